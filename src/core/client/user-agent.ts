import { readFileSync } from "node:fs"
import { dirname, join } from "node:path"

export const PACKAGE_NAME = "medusa-payment-invoicebox"
const FALLBACK_VERSION = "0.0.0"
/** src/core/client and .medusa/server/src/core/client are 3 and 5 levels below the root; leave slack. */
const MAX_LEVELS = 8

let cachedVersion: string | undefined

/**
 * Version of this package, found by walking up from `startDir` to our own package.json. A fixed
 * relative `require` would break because the sources run from `src/` in tests and from
 * `.medusa/server/src/` once built, at different depths.
 */
export function findPackageVersion(startDir: string): string {
  let dir = startDir
  for (let level = 0; level <= MAX_LEVELS; level++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name?: unknown; version?: unknown }
      if (pkg.name === PACKAGE_NAME && typeof pkg.version === "string" && pkg.version) {
        return pkg.version
      }
    } catch {
      // No package.json (or an unreadable one) at this level: keep walking.
    }
    const parent = dirname(dir)
    if (parent === dir) {
      break
    }
    dir = parent
  }
  return FALLBACK_VERSION
}

export function packageVersion(): string {
  cachedVersion ??= findPackageVersion(__dirname)
  return cachedVersion
}

/**
 * Invoicebox asks integrations to identify themselves as `AppName/version (details)`.
 * The caller's suffix (e.g. "Medusa/2.21.2 shop-42") is appended after ours.
 */
export function buildUserAgent(suffix?: string): string {
  const base = `${PACKAGE_NAME}/${packageVersion()} (Node.js/${process.version})`
  const extra = suffix?.trim()
  return extra ? `${base} ${extra}` : base
}
