import type { Logger } from "@medusajs/framework/types"

export const TRANSPORT_LOG_LINES = 200

type Level = "info" | "warn" | "error" | "debug"

/**
 * The gate's own log: every line goes to Medusa's logger and into a short ring buffer, which
 * is what `getStatus` returns to Invoicebox as `log` (docs api/websockets.md: "log": [lines]).
 * Every line passes through `redact`, so the token cannot reach either, even inside a library's
 * error message.
 */
export class TransportLog {
  private readonly lines: string[] = []

  constructor(
    private readonly logger: Pick<Logger, Level>,
    private readonly prefix: string,
    private readonly secrets: string[] = [],
    private readonly capacity = TRANSPORT_LOG_LINES
  ) {}

  info(text: string): void {
    this.write("info", text)
  }
  warn(text: string): void {
    this.write("warn", text)
  }
  error(text: string): void {
    this.write("error", text)
  }
  debug(text: string): void {
    this.write("debug", text, false)
  }

  /** The newest `count` lines, oldest first. */
  recent(count: number): string[] {
    const n = Math.max(0, Math.min(Math.floor(count), this.capacity))
    return n === 0 ? [] : this.lines.slice(-n)
  }

  redact(text: string): string {
    let out = text
    for (const secret of this.secrets) {
      if (!secret) continue
      out = out.split(secret).join("…")
      const encoded = encodeURIComponent(secret)
      if (encoded !== secret) out = out.split(encoded).join("…")
    }
    return out
  }

  private write(level: Level, text: string, keep = true): void {
    const line = this.redact(text)
    if (keep) {
      this.lines.push(`${new Date().toISOString()} ${level.toUpperCase()} ${line}`)
      if (this.lines.length > this.capacity) this.lines.splice(0, this.lines.length - this.capacity)
    }
    this.logger[level](`${this.prefix}: ${line}`)
  }
}
