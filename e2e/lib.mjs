// Shared helpers of the browser suite: Debian's Chromium through playwright-core (no browser is
// ever downloaded), free ports, screenshots.
import fs from "node:fs"
import net from "node:net"
import path from "node:path"
import { fileURLToPath } from "node:url"
import { chromium } from "playwright-core"

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
export const screenshotDir = path.join(root, "e2e", "screenshots")
export const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium"

export function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  })
}

export const freePort = () =>
  new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.unref()
    srv.on("error", reject)
    srv.listen(0, "0.0.0.0", () => {
      const { port } = srv.address()
      srv.close(() => resolve(port))
    })
  })

export async function shot(target, name) {
  fs.mkdirSync(screenshotDir, { recursive: true })
  const file = path.join(screenshotDir, name)
  await target.screenshot({ path: file, ...(typeof target.context === "function" ? { fullPage: true } : {}) })
  return file
}

/** "4 940,20 ₽" however Intl spaces it: compare money texts without the spacing characters. */
export const squash = (text) => String(text ?? "").replace(/[\s\u00a0\u202f]/g, "")
