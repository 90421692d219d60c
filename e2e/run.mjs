#!/usr/bin/env node
// `npm run test:e2e`: the browser suite. Checks the machine first (Debian's Chromium, never a
// downloaded browser), then runs e2e/*.e2e.mjs with node:test and prints one closing line
// "e2e: N passed, N failed" like `npm test` does.
import { spawn } from "node:child_process"
import fs from "node:fs"
import os from "node:os"
import path from "node:path"
import { CHROMIUM, root } from "./lib.mjs"

if (!fs.existsSync(CHROMIUM)) {
  console.error(
    `Chromium was not found at ${CHROMIUM}. Install Debian's package (apt-get install -y chromium) ` +
      "or point CHROMIUM_PATH at a Chromium binary; the suite never downloads browsers."
  )
  process.exit(1)
}

const files = fs
  .readdirSync(path.join(root, "e2e"))
  .filter((f) => f.endsWith(".e2e.mjs"))
  .map((f) => path.join("e2e", f))
const tap = path.join(os.tmpdir(), `invoicebox-e2e-${process.pid}.tap`)

const child = spawn(
  process.execPath,
  [
    "--test",
    "--test-concurrency=1",
    "--test-reporter=spec",
    "--test-reporter-destination=stdout",
    "--test-reporter=tap",
    `--test-reporter-destination=${tap}`,
    ...files,
  ],
  { cwd: root, stdio: "inherit", env: process.env }
)
const forward = (sig) => child.kill(sig)
process.on("SIGINT", forward)
process.on("SIGTERM", forward)

child.on("exit", (code, signal) => {
  let passed = 0
  let failed = 0
  if (fs.existsSync(tap)) {
    const text = fs.readFileSync(tap, "utf8")
    passed = Number(/^# pass (\d+)/m.exec(text)?.[1] ?? 0)
    failed = Number(/^# fail (\d+)/m.exec(text)?.[1] ?? 0)
    fs.rmSync(tap)
  }
  if (code !== 0 && failed === 0) failed = 1
  console.log(`\ne2e: ${passed} passed, ${failed} failed`)
  process.exit(code ?? (signal ? 1 : 0))
})
