// The Next.js example (examples/nextjs) as the browser suite runs it: the kit built as the package
// ships it, the example built in production mode (`next build`, where thrown server-action messages
// are replaced) against the running store, then `next start` on a free port.
import { spawn } from "node:child_process"
import fs from "node:fs"
import path from "node:path"
import { buildStorefront } from "../scripts/build-storefront.mjs"
import { root } from "./lib.mjs"

export const exampleDir = path.join(root, "examples", "nextjs")
const nextBin = path.join(root, "node_modules", "next", "dist", "bin", "next")

function run(args, env, logFile) {
  return new Promise((resolve, reject) => {
    const out = fs.openSync(logFile, "a")
    const child = spawn(process.execPath, [nextBin, ...args], { cwd: exampleDir, env, stdio: ["ignore", out, out] })
    child.on("error", reject)
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`next ${args[0]} exited with ${code}; see ${logFile}`))))
  })
}

/** The example resolves `medusa-payment-invoicebox` to this checkout, as `npm install ../..` would. */
function linkPackage() {
  const dir = path.join(exampleDir, "node_modules")
  const link = path.join(dir, "medusa-payment-invoicebox")
  fs.mkdirSync(dir, { recursive: true })
  fs.rmSync(link, { force: true, recursive: true })
  fs.symlinkSync(root, link, "dir")
}

export async function startNextExample({ backendUrl, publishableKey, port, logFile, log = () => {} }) {
  fs.writeFileSync(logFile, "")
  await buildStorefront({ log })
  linkPackage()
  const env = {
    ...process.env,
    NODE_ENV: "production",
    NEXT_TELEMETRY_DISABLED: "1",
    NEXT_PUBLIC_MEDUSA_BACKEND_URL: backendUrl,
    NEXT_PUBLIC_MEDUSA_PUBLISHABLE_KEY: publishableKey,
  }
  const started = Date.now()
  await run(["build"], env, logFile)
  log(`[next] production build in ${Math.round((Date.now() - started) / 1000)} s`)
  const out = fs.openSync(logFile, "a")
  const child = spawn(process.execPath, [nextBin, "start", "-p", String(port)], { cwd: exampleDir, env, stdio: ["ignore", out, out], detached: true })
  const url = `http://localhost:${port}`
  const deadline = Date.now() + 60_000
  for (;;) {
    try {
      const res = await fetch(`${url}/ru`, { signal: AbortSignal.timeout(10_000) })
      if (res.status < 500) break
    } catch {}
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`next start did not answer on ${url}; see ${logFile}`)
    await new Promise((r) => setTimeout(r, 500))
  }
  const stop = () =>
    new Promise((resolve) => {
      if (child.exitCode !== null) return resolve()
      child.once("exit", () => resolve())
      try {
        process.kill(-child.pid, "SIGTERM")
      } catch {
        resolve()
      }
    })
  return { url, stop }
}
