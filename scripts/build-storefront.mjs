#!/usr/bin/env node
// Builds the storefront kit (`medusa-payment-invoicebox/storefront`, `/react`, `/next`) into
// .medusa/server/storefront: one self-contained ESM and one CJS file per entry (bundled, so no
// extension-less relative imports trip a bundler or Node), plus .d.ts files. `medusa plugin:build`
// compiles src/ for the server only; this runs after it (npm run build).
import { execFileSync } from "node:child_process"
import fs from "node:fs"
import path from "node:path"
import { fileURLToPath } from "node:url"
import { build } from "esbuild"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const out = path.join(root, ".medusa", "server", "storefront")
const PKG = "medusa-payment-invoicebox"

// The next entry renders the react entry's components: it imports them by the package's own
// name, so that Next.js sees the "use client" boundary of that file instead of a bundled copy.
const reactAsPackage = {
  name: "react-entry-as-package",
  setup(b) {
    b.onResolve({ filter: /^\.\.\/react$/ }, () => ({ path: `${PKG}/storefront/react`, external: true }))
  },
}

const entries = [
  { name: "index", file: "src/storefront/index.ts" },
  { name: "react", file: "src/storefront/react/index.ts", banner: '"use client";' },
  { name: "next", file: "src/storefront/next/index.tsx", plugins: [reactAsPackage] },
]

export async function buildStorefront({ log = console.log } = {}) {
  fs.rmSync(out, { recursive: true, force: true })
  for (const e of entries) {
    for (const format of ["esm", "cjs"]) {
      await build({
        entryPoints: [path.join(root, e.file)],
        outfile: path.join(out, `${e.name}.${format === "esm" ? "mjs" : "cjs"}`),
        bundle: true,
        format,
        platform: "neutral",
        target: "es2020",
        jsx: "automatic",
        external: ["react", "react/*", "react-dom", "next", "next/*"],
        banner: e.banner ? { js: e.banner } : undefined,
        plugins: e.plugins ?? [],
        logLevel: "warning",
      })
    }
  }
  execFileSync(process.execPath, [path.join(root, "node_modules", "typescript", "bin", "tsc"), "-p", path.join(root, "tsconfig.storefront.json")], {
    stdio: "inherit",
  })
  log(`storefront kit built into ${path.relative(root, out)}`)
  return out
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  buildStorefront().catch((e) => {
    console.error(e)
    process.exit(1)
  })
}
