import type { IncomingMessage } from "node:http"

export interface RawBody {
  /** The bytes as received, up to the limit. */
  body: Buffer
  /** More than `limit` bytes arrived; `body` is then incomplete and must not be trusted. */
  tooLarge: boolean
  /** The client went away or the stream failed before the end. */
  aborted: boolean
}

/**
 * Reads the request body without a body parser. The notification route must answer HTTP 200 with
 * a JSON verdict whatever arrives, and an express body-parser failure (oversized body, broken JSON,
 * an unexpected content type) would instead end in Medusa's global error handler with a 4xx/5xx.
 * An oversized body is drained, not buffered, so the reply can still be delivered.
 */
export function readRawBody(req: IncomingMessage, limit: number, timeoutMs = 10_000): Promise<RawBody> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    let size = 0
    let tooLarge = false
    let settled = false
    const finish = (aborted: boolean) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      resolve({ body: Buffer.concat(chunks), tooLarge, aborted })
    }
    const timer = setTimeout(() => finish(true), timeoutMs)
    timer.unref?.()
    if ((req as { readableEnded?: boolean }).readableEnded) return finish(false)
    req.on("data", (chunk: Buffer | string) => {
      const buf = typeof chunk === "string" ? Buffer.from(chunk) : chunk
      size += buf.length
      if (size > limit) {
        tooLarge = true
        chunks.length = 0
        return
      }
      chunks.push(buf)
    })
    req.on("end", () => finish(false))
    req.on("error", () => finish(true))
    req.on("aborted", () => finish(true))
  })
}

/** "256kb" / "1mb" / a number of bytes. */
export function parseSize(value: string | number): number {
  if (typeof value === "number") return value
  const m = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb)?\s*$/i.exec(value)
  if (!m) throw new Error(`Not a size: ${value}`)
  const unit = (m[2] ?? "b").toLowerCase()
  return Math.floor(Number(m[1]) * (unit === "mb" ? 1024 * 1024 : unit === "kb" ? 1024 : 1))
}
