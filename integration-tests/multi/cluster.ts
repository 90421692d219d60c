/**
 * Two real store processes (`medusa start`, as in production) over one PostgreSQL database and one
 * Redis, for the multi-instance test. Medusa's in-process test runner cannot do this: it boots one
 * app with in-memory modules, where "exactly once" would be proven by a single process's memory.
 */
import { spawn, type ChildProcess } from "node:child_process"
import { createHash } from "node:crypto"
import fs from "node:fs"
import path from "node:path"
import type { SeedResult } from "../../demo/seed"
import { sql as pgSql } from "../helpers/pg"

export const ROOT = path.resolve(__dirname, "../..")
const MEDUSA_CLI = fs.realpathSync(path.join(ROOT, "node_modules/.bin/medusa"))

/**
 * A Redis database of its own: it is flushed before and after the run, so that a schedule or a
 * queue left by another run (or another interval) cannot leak into this one.
 */
export const MULTI_REDIS_URL = process.env.MULTI_TEST_REDIS_URL || "redis://127.0.0.1:6379/11"

const TEMPLATE_DB = "medusa_ibx_multi_template"

export async function sql<T = any>(database: string, text: string, params: unknown[] = []): Promise<T[]> {
  if (!process.env.DB_HOST) {
    throw new Error(
      "The multi-instance test needs a PostgreSQL: set DB_HOST (and DB_PORT / DB_USERNAME / DB_PASSWORD), or run it through `node scripts/with-db.mjs`"
    )
  }
  return pgSql<T>(text, params, database)
}

const adminDb = () => process.env.DB_WAITINGROOM_DATABASE || "postgres"

/** What the migrated and seeded template depends on; any change rebuilds it. */
function fingerprint(): string {
  const hash = createHash("sha256")
  const files = [
    "package-lock.json",
    "medusa-config.ts",
    "demo/seed.ts",
    ...walk(path.join(ROOT, "src")).filter((f) => /[\\/](migrations|links)[\\/]/.test(f) || /[\\/]models[\\/]/.test(f)),
  ]
  for (const f of files.sort()) {
    const abs = path.isAbsolute(f) ? f : path.join(ROOT, f)
    if (fs.existsSync(abs)) hash.update(path.relative(ROOT, abs)).update(fs.readFileSync(abs))
  }
  return hash.digest("hex").slice(0, 32)
}

function walk(dir: string): string[] {
  if (!fs.existsSync(dir)) return []
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name)
    return e.isDirectory() ? walk(p) : [p]
  })
}

/** Runs a medusa CLI command to completion; rejects with the output's tail. */
function medusaCli(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const out: Buffer[] = []
    const child = spawn(process.execPath, [MEDUSA_CLI, ...args], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] })
    child.stdout.on("data", (c) => out.push(c))
    child.stderr.on("data", (c) => out.push(c))
    child.on("error", reject)
    child.on("exit", (code) => {
      const text = Buffer.concat(out).toString("utf8")
      if (code === 0) resolve(text)
      else reject(new Error(`medusa ${args.join(" ")} failed (exit ${code}):\n${text.split("\n").slice(-30).join("\n")}`))
    })
  })
}

/** The environment of a child store: the parent's, minus what jest put there. */
export function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith("JEST_") || k === "TEST_TYPE" || k === "NODE_OPTIONS" || k === "DB_NAME" || k === "DATABASE_URL") continue
    if (k === "REDIS_URL" || k === "WORKER_MODE" || k === "MEDUSA_WORKER_MODE") continue
    env[k] = v
  }
  return { ...env, NODE_ENV: "development", MEDUSA_DISABLE_ADMIN: "true", MEDUSA_DISABLE_TELEMETRY: "true", ...extra }
}

/**
 * A fresh database for this run, cloned from a migrated and seeded template (migrating from
 * scratch costs half a minute; a clone costs a second). Returns its name and the seed.
 */
export async function prepareDatabase(): Promise<{ dbName: string; seed: SeedResult }> {
  const fp = fingerprint()
  const rows = await sql(adminDb(), "SELECT shobj_description(oid, 'pg_database') AS comment FROM pg_database WHERE datname = $1", [TEMPLATE_DB])
  let meta: { fingerprint?: string; seed?: SeedResult } = {}
  try {
    meta = rows[0]?.comment ? JSON.parse(rows[0].comment) : {}
  } catch {
    meta = {}
  }
  if (!rows.length || meta.fingerprint !== fp || !meta.seed) {
    await sql(adminDb(), `DROP DATABASE IF EXISTS ${TEMPLATE_DB} WITH (FORCE)`)
    await sql(adminDb(), `CREATE DATABASE ${TEMPLATE_DB}`)
    const seedFile = path.join(require("node:os").tmpdir(), `ibx-multi-seed-${process.pid}.json`)
    const env = childEnv({ DB_NAME: TEMPLATE_DB, DEMO_SEED_OUTPUT: seedFile, LOG_LEVEL: "error" })
    await medusaCli(["db:migrate"], env)
    await medusaCli(["exec", "./demo/seed.ts"], env)
    const seed = JSON.parse(fs.readFileSync(seedFile, "utf8")) as SeedResult
    fs.rmSync(seedFile, { force: true })
    const comment = JSON.stringify({ fingerprint: fp, seed }).replace(/'/g, "''")
    await sql(adminDb(), `COMMENT ON DATABASE ${TEMPLATE_DB} IS '${comment}'`)
    meta = { fingerprint: fp, seed }
  }
  const dbName = `medusa_ibx_multi_${process.pid}_${Date.now().toString(36)}`
  await sql(adminDb(), `CREATE DATABASE ${dbName} TEMPLATE ${TEMPLATE_DB}`)
  return { dbName, seed: meta.seed! }
}

export async function dropDatabase(dbName: string): Promise<void> {
  await sql(adminDb(), `DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`)
}

export async function flushRedis(url = MULTI_REDIS_URL): Promise<void> {
  const Redis = require("ioredis")
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 })
  try {
    await client.connect()
    await client.flushdb()
  } finally {
    client.disconnect()
  }
}

export interface LogLine {
  at: number
  text: string
}

export interface Instance {
  name: string
  url: string
  lines: LogLine[]
  child: ChildProcess
  stop(): Promise<void>
}

/** Starts `medusa start` and resolves once GET /health answers. */
export async function startInstance(name: string, port: number, env: NodeJS.ProcessEnv, timeoutMs = 90_000): Promise<Instance> {
  const child = spawn(process.execPath, [MEDUSA_CLI, "start", "--port", String(port)], {
    cwd: ROOT,
    env: { ...env, PORT: String(port) },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  })
  const lines: LogLine[] = []
  // Kept after the run for whoever has to read why it failed.
  const logFile = path.join(ROOT, ".data", `multi-${name}.log`)
  fs.mkdirSync(path.dirname(logFile), { recursive: true })
  fs.writeFileSync(logFile, "")
  let partial = ""
  const onData = (chunk: Buffer) => {
    fs.appendFileSync(logFile, chunk)
    const text = partial + chunk.toString("utf8")
    const parts = text.split("\n")
    partial = parts.pop() ?? ""
    const at = Date.now()
    // eslint-disable-next-line no-control-regex
    for (const p of parts) if (p.trim()) lines.push({ at, text: p.replace(/\u001b\[[0-9;]*m/g, "") })
  }
  child.stdout!.on("data", onData)
  child.stderr!.on("data", onData)
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()))
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    try {
      process.kill(-child.pid!, "SIGTERM")
    } catch {
      child.kill("SIGTERM")
    }
    const done = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 10_000))])
    if (!done) {
      try {
        process.kill(-child.pid!, "SIGKILL")
      } catch {
        child.kill("SIGKILL")
      }
      await exited
    }
  }
  const url = `http://localhost:${port}`
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`${name} exited (${child.exitCode}) before it was ready:\n${lines.slice(-30).map((l) => l.text).join("\n")}`)
    }
    try {
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) })
      if (res.ok) break
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop()
      throw new Error(`${name} did not answer /health within ${timeoutMs / 1000} s:\n${lines.slice(-30).map((l) => l.text).join("\n")}`)
    }
    await new Promise((r) => setTimeout(r, 250))
  }
  return { name, url, lines, child, stop }
}
