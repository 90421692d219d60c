/**
 * One SQL statement against the test PostgreSQL named by DB_HOST / DB_PORT / DB_USERNAME /
 * DB_PASSWORD (what scripts/db.mjs sets), for what the Medusa test runner does not do itself:
 * creating or cloning databases, cutting connections. `database` defaults to the maintenance DB.
 */
export function pgConfig(database = process.env.DB_WAITINGROOM_DATABASE || "postgres") {
  return {
    host: process.env.DB_HOST || "localhost",
    port: Number(process.env.DB_PORT || 5432),
    user: process.env.DB_USERNAME || "postgres",
    password: process.env.DB_PASSWORD || undefined,
    database,
  }
}

export async function sql<T = any>(text: string, params: unknown[] = [], database?: string): Promise<T[]> {
  const { Client } = require("pg")
  const client = new Client(pgConfig(database))
  await client.connect()
  try {
    return (await client.query(text, params)).rows
  } finally {
    await client.end()
  }
}
