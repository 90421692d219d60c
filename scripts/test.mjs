#!/usr/bin/env node
// `npm test`: type check, unit tests (core, sandbox, client over real HTTP), then the Medusa
// integration tests against a PostgreSQL (the given one, or an embedded one). Prints one
// closing line "tests: N passed, N failed" so CI can read the result whatever the runner.
import { spawn } from "node:child_process"
import fs from "node:fs"
import net from "node:net"
import os from "node:os"
import path from "node:path"
import { ensurePostgres } from "./db.mjs"

const only = process.argv.slice(2)
const want = (k) => only.length === 0 || only.includes(k)
const jestBin = path.resolve("node_modules/jest/bin/jest.js")
const results = []
// Medusa's logger also writes every jest run's lines here (LOG_FILE), for the "log secrets" step.
const logDir = fs.mkdtempSync(path.join(os.tmpdir(), "invoicebox-logs-"))
const logFileFor = (testType) => path.join(logDir, `${testType.replace(/\W/g, "-")}.log`)

function run(title, cmd, args, env = {}) {
  console.log(`\n=== ${title} ===`)
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: "inherit", env: { ...process.env, ...env } })
    child.on("exit", (code) => resolve(code ?? 1))
  })
}

async function jest(title, testType, extraEnv = {}, { files = [], logName = testType } = {}) {
  const out = path.join(os.tmpdir(), `invoicebox-jest-${logName.replace(/\W/g, "-")}-${process.pid}.json`)
  const code = await run(title, process.execPath, [jestBin, "--runInBand", "--forceExit", "--json", `--outputFile=${out}`, ...files], {
    TEST_TYPE: testType,
    NODE_OPTIONS: "--experimental-vm-modules",
    LOG_FILE: logFileFor(logName),
    ...extraEnv,
  })
  let passed = 0
  let failed = code === 0 ? 0 : 1
  if (fs.existsSync(out)) {
    const r = JSON.parse(fs.readFileSync(out, "utf8"))
    passed = r.numPassedTests
    failed = r.numFailedTests + (r.numRuntimeErrorTestSuites ?? 0) + (code !== 0 && r.numFailedTests === 0 ? 1 : 0)
    fs.rmSync(out)
  }
  results.push({ title, passed, failed })
  return code
}

/** Redis for the multi-instance test: the running one, or one started here when it is installed. */
async function ensureRedis() {
  const up = () =>
    new Promise((resolve) => {
      const sock = net.connect({ port: 6379, host: "127.0.0.1" })
      sock.once("connect", () => (sock.destroy(), resolve(true)))
      sock.once("error", () => resolve(false))
    })
  if (await up()) return true
  const started = await new Promise((resolve) => {
    const child = spawn("redis-server", ["--daemonize", "yes", "--bind", "127.0.0.1", "--port", "6379", "--save", "", "--appendonly", "no"], { stdio: "ignore" })
    child.on("error", () => resolve(false))
    child.on("exit", (code) => resolve(code === 0))
  })
  if (!started) return false
  for (let i = 0; i < 50 && !(await up()); i++) await new Promise((r) => setTimeout(r, 100))
  return up()
}

let exit = 0
if (want("typecheck")) {
  const code = await run("type check", process.execPath, [path.resolve("node_modules/typescript/bin/tsc"), "--noEmit", "-p", "tsconfig.json"])
  results.push({ title: "type check", passed: code === 0 ? 1 : 0, failed: code === 0 ? 0 : 1 })
  exit = code || exit
}
if (want("unit")) exit = (await jest("unit tests", "unit")) || exit
if (want("integration")) {
  const db = await ensurePostgres({ name: "test", persistent: false, log: (s) => console.log(`[db] ${s}`) })
  try {
    exit = (await jest("integration tests (Medusa + sandbox)", "integration:http", db.env)) || exit
    // Invoicebox's other modes: a shop that refuses a reused merchantOrderId, and a server that
    // pages by the MCP client's _page/_pageSize instead of the docs' page/pageSize. The suites
    // above run Invoicebox's defaults; the fault scenarios run once more against the other two.
    const strict = { ...db.env, INVOICEBOX_SANDBOX_UNIQUE_MERCHANT_ORDER_ID: "1", INVOICEBOX_SANDBOX_PAGING: "underscore" }
    exit =
      (await jest("integration tests, unique merchantOrderId + _page paging (resilience faults)", "integration:http", strict, {
        // Only its fault scenarios: the hostile-input and database parts do not depend on either mode.
        files: ["integration-tests/http/resilience.spec.ts", "--testNamePattern", "faults: "],
        logName: "integration-strict",
      })) || exit
  } finally {
    await db.stop().catch(() => {})
  }
}

// --- several instances: two store processes over one PostgreSQL and Redis ---
if (want("multi")) {
  const redis = await ensureRedis()
  if (!redis) {
    console.log("\n=== several instances ===\nRedis is not reachable on 127.0.0.1:6379 and redis-server is not installed")
    results.push({ title: "several instances (needs Redis)", passed: 0, failed: 1 })
    exit = exit || 1
  } else {
    const db = await ensurePostgres({ name: "multi", persistent: false, log: (s) => console.log(`[db] ${s}`) })
    try {
      exit = (await jest("several instances (Redis)", "integration:multi", db.env)) || exit
    } finally {
      await db.stop().catch(() => {})
    }
  }
}

// --- log secrets: no line the suites logged may carry the API token or the notification key ---
if (results.some((r) => r.title.startsWith("integration"))) {
  const { reportLogSecrets } = await import("../integration-tests/log-secrets/check.mjs")
  console.log("\n=== log secrets ===")
  const clean = reportLogSecrets(fs.readdirSync(logDir).map((f) => path.join(logDir, f)))
  results.push({ title: "log secrets", passed: clean ? 1 : 0, failed: clean ? 0 : 1 })
  exit = exit || (clean ? 0 : 1)
}
fs.rmSync(logDir, { recursive: true, force: true })

const passed = results.reduce((s, r) => s + r.passed, 0)
const failed = results.reduce((s, r) => s + r.failed, 0)
console.log("\nSummary:")
for (const r of results) console.log(`  ${r.title}: ${r.passed} passed, ${r.failed} failed`)
console.log(`tests: ${passed} passed, ${failed} failed`)
process.exit(exit || (failed > 0 ? 1 : 0))
