#!/usr/bin/env node
// Runs a command with a PostgreSQL available: `node scripts/with-db.mjs [--name test] -- <cmd...>`.
import { spawn } from "node:child_process"
import { ensurePostgres } from "./db.mjs"

const args = process.argv.slice(2)
const sep = args.indexOf("--")
const own = sep >= 0 ? args.slice(0, sep) : []
const cmd = sep >= 0 ? args.slice(sep + 1) : args
const name = own.includes("--name") ? own[own.indexOf("--name") + 1] : "test"

const db = await ensurePostgres({ name, log: (s) => console.error(`[db] ${s}`) })
const child = spawn(cmd[0], cmd.slice(1), { stdio: "inherit", env: { ...process.env, ...db.env } })
const forward = (sig) => child.kill(sig)
process.on("SIGINT", forward)
process.on("SIGTERM", forward)
child.on("exit", async (code, signal) => {
  await db.stop().catch(() => {})
  process.exit(code ?? (signal ? 1 : 0))
})
