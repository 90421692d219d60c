import { createHmac } from "node:crypto"
import http from "node:http"
import https from "node:https"
import { phpJson } from "./json"

export type DeliveryOutcome =
  /** HTTP 200 with JSON {"status":"success"}. */
  | "delivered"
  /** No valid verdict (non-200, non-JSON, timeout, connection error, out_of_service): retried if tries remain. */
  | "failed"
  /** A final error verdict from the shop (e.g. order_wrong_amount): recorded, never retried. */
  | "rejected"
  /** Notifications were blocked: simulates a lost notification, never retried. */
  | "blocked"
  /** The order had no notificationUrl and no shop-wide URL is configured. */
  | "no_url"

export type DeliveryTransport = "http" | "websocket"

export interface Delivery {
  /** Sequence number of this log entry. */
  seq: number
  /** `http`: POST to the notification URL; `websocket`: onOrderStatusChange over the gate. */
  transport: DeliveryTransport
  /** The JSON-RPC id of a gate call (new for every attempt); null over HTTP. */
  rpcId: string | null
  /** One id per notification (status change); every attempt of it shares the id and the exact bytes. */
  notificationId: string
  orderId: string
  /** The order status the notification reports. */
  notificationStatus: string
  /** Same as notificationStatus; the name docs/internals.md uses. */
  status: string
  attempt: number
  url: string | null
  httpStatus: number | null
  /** The raw reply body (first 2000 characters). */
  reply: string | null
  error: string | null
  outcome: DeliveryOutcome
  willRetry: boolean
  signature: string | null
  /** The exact bytes sent (UTF-8). */
  body: string
  at: string
}

export interface NotifierOptions {
  key: string
  /** HMAC algorithm; Invoicebox's default is sha1. */
  algorithm?: string
  timeoutMs: number
  /** Total number of tries including the first. */
  attempts: number
  /** Delay before retry n (n = 1..); the last value repeats when the list is shorter. */
  delaysMs: number[]
  defaultUrl?: string
  /** The WebSocket gate; without it notifications go by HTTP only. */
  gate?: GateChannel
  logger?: (line: string) => void
  /** Told of every final error verdict (a rejected delivery), e.g. to mark `shipping_unavailable`. */
  onVerdict?: (orderId: string, status: string, code: string) => void
}

/** The part of the sandbox's gate the notifier calls. */
export interface GateChannel {
  hasConnection(): boolean
  call(method: string, paramsJson: string): Promise<{ outcome: DeliveryOutcome; reply: string | null; error: string | null; rpcId: string | null }>
}

interface Notification {
  transport: DeliveryTransport
  id: string
  orderId: string
  status: string
  url: string | null
  body: string
  signature: string
}

const REPLY_LIMIT = 64 * 1024

/**
 * Sends signed order notifications and redelivers them on Invoicebox's terms (reference §6):
 * only HTTP 200 + JSON {"status":"success"} counts as delivered.
 */
export class Notifier {
  private readonly log: Delivery[] = []
  private readonly timers = new Set<NodeJS.Timeout>()
  private readonly inFlight = new Set<http.ClientRequest>()
  private seq = 0
  private notificationSeq = 0
  private closed = false
  blocked = false

  constructor(private readonly options: NotifierOptions) {}

  deliveries(): Delivery[] {
    return this.log.map((entry) => ({ ...entry }))
  }

  /**
   * Makes the first attempt and resolves when it is finished (so that callers and tests are
   * deterministic); redeliveries run on timers afterwards.
   */
  async notify(order: { id: string; status: string; notificationUrl?: unknown }, payload: unknown): Promise<Delivery> {
    const body = phpJson(payload)
    const url = typeof order.notificationUrl === "string" && order.notificationUrl !== "" ? order.notificationUrl : this.options.defaultUrl ?? null
    const notification: Notification = {
      transport: "http",
      id: `n${++this.notificationSeq}`,
      orderId: order.id,
      status: order.status,
      url,
      body,
      signature: createHmac(this.options.algorithm ?? "sha1", this.options.key).update(body, "utf8").digest("hex"),
    }
    const attempts = [this.attempt(notification, 1)]
    // docs api/websockets.md: the gate calls onOrderStatusChange "при условии наличия активного
    // WebSocket соединения" (given an active connection). Whether it also POSTs to the
    // notification URL is not said; a shop that has both gets both, so that a plugin which
    // listens on both must settle the change once. Without a connection the gate makes no call
    // and nothing is queued for a later one (the strict reading of that condition).
    if (this.options.gate?.hasConnection()) attempts.push(this.attempt({ ...notification, transport: "websocket", url: null }, 1))
    const [http] = await Promise.all(attempts)
    return http
  }

  reset(): void {
    this.cancelPending()
    this.log.length = 0
    this.blocked = false
  }

  close(): void {
    this.closed = true
    this.cancelPending()
  }

  private cancelPending(): void {
    for (const timer of this.timers) clearTimeout(timer)
    this.timers.clear()
    for (const request of this.inFlight) request.destroy(new Error("sandbox closed"))
    this.inFlight.clear()
  }

  private record(notification: Notification, attempt: number, fields: Partial<Delivery> & { outcome: DeliveryOutcome }): Delivery {
    const entry: Delivery = {
      seq: ++this.seq,
      transport: notification.transport,
      rpcId: null,
      notificationId: notification.id,
      orderId: notification.orderId,
      notificationStatus: notification.status,
      status: notification.status,
      attempt,
      url: notification.url,
      httpStatus: null,
      reply: null,
      error: null,
      willRetry: false,
      signature: notification.url ? notification.signature : null,
      body: notification.body,
      at: new Date().toISOString(),
      ...fields,
    }
    this.log.push(entry)
    this.options.logger?.(
      `notification ${notification.status} for order ${notification.orderId} (${notification.transport}) attempt ${attempt}: ${entry.outcome}` +
        (entry.httpStatus !== null ? ` (HTTP ${entry.httpStatus})` : "") +
        (entry.error ? ` (${entry.error})` : "") +
        (entry.willRetry ? ", will retry" : "")
    )
    return entry
  }

  private async attempt(notification: Notification, attempt: number): Promise<Delivery> {
    if (notification.transport === "http" && !notification.url) return this.record(notification, attempt, { outcome: "no_url" })
    if (this.blocked) return this.record(notification, attempt, { outcome: "blocked" })

    // The same retry schedule for both transports: the docs give none for the gate.
    const result = notification.transport === "http" ? await this.send(notification) : await this.callGate(notification)
    const retriesLeft = attempt < this.options.attempts && !this.closed
    const willRetry = result.outcome === "failed" && retriesLeft
    const entry = this.record(notification, attempt, { ...result, willRetry })
    if (entry.outcome === "rejected" && entry.error) this.options.onVerdict?.(notification.orderId, notification.status, entry.error)
    if (willRetry) {
      const delays = this.options.delaysMs
      const delay = delays.length === 0 ? 0 : delays[Math.min(attempt - 1, delays.length - 1)]
      const timer = setTimeout(() => {
        this.timers.delete(timer)
        void this.attempt(notification, attempt + 1)
      }, delay)
      this.timers.add(timer)
    }
    return entry
  }

  private async callGate(notification: Notification): Promise<Partial<Delivery> & { outcome: DeliveryOutcome }> {
    const gate = this.options.gate
    if (!gate?.hasConnection()) return { outcome: "failed", error: "no gate connection" }
    // docs api/websockets.md: "params": [ OrderNotification ], the same object as the HTTP body.
    return gate.call("onOrderStatusChange", `[${notification.body}]`)
  }

  private send(notification: Notification): Promise<Pick<Delivery, "httpStatus" | "reply" | "error" | "outcome">> {
    return new Promise((resolve) => {
      let settled = false
      const finish = (result: Pick<Delivery, "httpStatus" | "reply" | "error" | "outcome">) => {
        if (settled) return
        settled = true
        this.inFlight.delete(request)
        resolve(result)
      }
      let url: URL
      try {
        url = new URL(notification.url as string)
      } catch {
        resolve({ httpStatus: null, reply: null, error: "invalid notification URL", outcome: "failed" })
        return
      }
      const payload = Buffer.from(notification.body, "utf8")
      const transport = url.protocol === "https:" ? https : http
      const request = transport.request(url, {
        method: "POST",
        headers: {
          "Content-Type": "application/json",
          "Content-Length": String(payload.length),
          "X-Signature": notification.signature,
          "User-Agent": "Invoicebox-Sandbox/1.0",
        },
      })
      this.inFlight.add(request)
      request.setTimeout(this.options.timeoutMs, () => {
        request.destroy(new Error(`no reply within ${this.options.timeoutMs} ms`))
      })
      request.on("error", (error) => {
        finish({ httpStatus: null, reply: null, error: error.message, outcome: "failed" })
      })
      request.on("response", (response) => {
        const chunks: Buffer[] = []
        let size = 0
        response.on("data", (chunk: Buffer) => {
          size += chunk.length
          if (size <= REPLY_LIMIT) chunks.push(chunk)
        })
        response.on("error", (error) => finish({ httpStatus: response.statusCode ?? null, reply: null, error: error.message, outcome: "failed" }))
        response.on("end", () => {
          const reply = Buffer.concat(chunks).toString("utf8")
          finish({ httpStatus: response.statusCode ?? null, reply: reply.slice(0, 2000), ...judge(response.statusCode, reply) })
        })
      })
      request.end(payload)
    })
  }
}

/** Reads the shop's verdict per reference §6.4–6.5. */
function judge(statusCode: number | undefined, reply: string): { outcome: DeliveryOutcome; error: string | null } {
  if (statusCode !== 200) return { outcome: "failed", error: `HTTP ${statusCode}` }
  let parsed: unknown
  try {
    parsed = JSON.parse(reply)
  } catch {
    return { outcome: "failed", error: "reply is not JSON" }
  }
  if (typeof parsed !== "object" || parsed === null) return { outcome: "failed", error: "reply is not a JSON object" }
  const verdict = parsed as { status?: unknown; code?: unknown }
  if (verdict.status === "success") return { outcome: "delivered", error: null }
  if (verdict.status === "error") {
    // The documented default code is out_of_service, and only that one asks for a retry.
    const code = typeof verdict.code === "string" && verdict.code !== "" ? verdict.code : "out_of_service"
    return { outcome: code === "out_of_service" ? "failed" : "rejected", error: code }
  }
  return { outcome: "failed", error: "reply has no status success/error" }
}
