/**
 * The sandbox's WebSocket gate, after docs.invoicebox.ru `api/websockets.md` (InvoiceBox/docs,
 * docs/api/websockets.md): the shop connects to `/v3/gate/rpc?token=<API token>`, and the gate
 * calls JSON-RPC 2.0 `onOrderStatusChange` with `params: [OrderNotification]` when an order's
 * status changes. Where the page is silent the strict reading is taken, and said so below.
 */
import { randomBytes } from "node:crypto"
import type http from "node:http"
import type { Duplex } from "node:stream"
import { WebSocket, WebSocketServer } from "ws"
import type { DeliveryOutcome } from "./notifications"

/** docs: "Для подключения к серверу веб-сокетов используется только версия API /v3/". */
export const GATE_PATH = "/v3/gate/rpc"

export type GateFaultMode =
  /** The call is sent, then the connection is cut before any answer can come back. */
  | "drop-mid-call"
  /** The shop's answer arrives and is thrown away with the connection (a lost reply). */
  | "lose-reply"

export interface GateCallResult {
  outcome: DeliveryOutcome
  reply: string | null
  error: string | null
  rpcId: string | null
}

export interface GateState {
  /** Connections open now. */
  connected: number
  /** The most connections that were open at the same time since start (or reset). */
  maxConcurrent: number
  /** Handshakes accepted since start (or reset). */
  opened: number
  /** Handshakes refused: a wrong token, or a refusal asked for by a test. */
  refused: number
  faults: Array<{ mode: GateFaultMode; remaining: number }>
  refusing: { until: string | null; remaining: number }
}

interface Pending {
  resolve: (result: GateCallResult) => void
  loseReply: boolean
  /** An onOrderStatusChange answer is judged as a verdict; a diagnostic call's is only returned. */
  verdict: boolean
}

const MAX_MESSAGE_BYTES = 1024 * 1024

export class SandboxGate {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES })
  private readonly open: WebSocket[] = []
  private readonly pending = new Map<WebSocket, Map<string, Pending>>()
  private faults: Array<{ mode: GateFaultMode; remaining: number }> = []
  private refuseUntil = 0
  private refuseRemaining = 0
  private stats = { maxConcurrent: 0, opened: 0, refused: 0 }

  constructor(
    private readonly options: { apiToken: string; timeoutMs: number; logger?: (line: string) => void }
  ) {}

  /** Takes over an HTTP upgrade request; answers anything that is not the gate with 404. */
  handleUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? "/", "http://sandbox.invalid")
    const path = url.pathname.replace(/\/+$/, "")
    if (path !== GATE_PATH) return reject(socket, 404, "Not Found")
    // docs: the token is passed in the query parameter `token`. The page does not say what the
    // gate answers to a wrong one; refusing the handshake is the strict reading.
    if (url.searchParams.get("token") !== this.options.apiToken) {
      this.stats.refused++
      this.log("gate: handshake refused (wrong or missing token)")
      return reject(socket, 401, "Unauthorized")
    }
    if (this.refusing()) {
      this.stats.refused++
      this.log("gate: handshake refused (refusal fault)")
      return reject(socket, 503, "Service Unavailable")
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws))
  }

  hasConnection(): boolean {
    return this.open.length > 0
  }

  /**
   * Calls `method` on the newest open connection; `paramsJson` is spliced in as is, so the
   * order's bytes are those of the HTTP notification. The page does not say what the gate does
   * with several connections of one shop; here only the newest one is called, so a plugin that
   * keeps stale connections around misses calls instead of getting them twice.
   */
  call(method: string, paramsJson: string, { verdict = true }: { verdict?: boolean } = {}): Promise<GateCallResult> {
    const ws = this.open[this.open.length - 1]
    if (!ws) return Promise.resolve({ outcome: "failed", reply: null, error: "no gate connection", rpcId: null })
    // Ids like the docs' example ("01823fdac4b7a7b5a3ac"): 20 hex digits, new for every call.
    const rpcId = randomBytes(10).toString("hex")
    const message = `{"jsonrpc":"2.0","id":"${rpcId}","method":${JSON.stringify(method)},"params":${paramsJson}}`
    const fault = verdict ? this.takeFault() : undefined
    return new Promise<GateCallResult>((resolve) => {
      const calls = this.pending.get(ws)!
      const timer = setTimeout(() => finish({ outcome: "failed", reply: null, error: `no reply within ${this.options.timeoutMs} ms`, rpcId }), this.options.timeoutMs)
      const finish = (result: GateCallResult) => {
        clearTimeout(timer)
        calls.delete(rpcId)
        resolve(result)
      }
      calls.set(rpcId, { resolve: finish, loseReply: fault === "lose-reply", verdict })
      ws.send(message, (error) => {
        if (error) return finish({ outcome: "failed", reply: null, error: `send failed: ${error.message}`, rpcId })
        if (fault === "drop-mid-call") {
          this.log(`gate: dropping the connection during call ${rpcId} (fault)`)
          ws.terminate()
        }
      })
    })
  }

  injectFault(mode: GateFaultMode, count = 1): void {
    this.faults.push({ mode, remaining: count })
  }

  /** Refuses handshakes for `ms` milliseconds and/or the next `count` ones. */
  refuse({ ms = 0, count = 0 }: { ms?: number; count?: number }): void {
    this.refuseUntil = ms > 0 ? Date.now() + ms : 0
    this.refuseRemaining = count
  }

  /** Cuts every connection now (as a gate restart would). */
  disconnectAll(): number {
    const n = this.open.length
    for (const ws of [...this.open]) ws.terminate()
    return n
  }

  clearFaults(): void {
    this.faults = []
    this.refuseUntil = 0
    this.refuseRemaining = 0
  }

  reset(): void {
    this.clearFaults()
    this.stats = { maxConcurrent: this.open.length, opened: 0, refused: 0 }
  }

  state(): GateState {
    return {
      connected: this.open.length,
      ...this.stats,
      faults: this.faults.map((f) => ({ ...f })),
      refusing: { until: this.refuseUntil > Date.now() ? new Date(this.refuseUntil).toISOString() : null, remaining: this.refuseRemaining },
    }
  }

  close(): void {
    this.disconnectAll()
    this.wss.close()
  }

  private accept(ws: WebSocket): void {
    this.open.push(ws)
    this.pending.set(ws, new Map())
    this.stats.opened++
    this.stats.maxConcurrent = Math.max(this.stats.maxConcurrent, this.open.length)
    this.log(`gate: shop connected (${this.open.length} open)`)
    ws.on("message", (data) => this.onReply(ws, data.toString()))
    ws.on("error", () => undefined)
    ws.on("close", () => {
      const index = this.open.indexOf(ws)
      if (index >= 0) this.open.splice(index, 1)
      for (const [rpcId, call] of this.pending.get(ws) ?? []) {
        call.resolve({ outcome: "failed", reply: null, error: "the connection closed before the reply", rpcId })
      }
      this.pending.delete(ws)
      this.log(`gate: shop disconnected (${this.open.length} open)`)
    })
  }

  private onReply(ws: WebSocket, text: string): void {
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch {
      return this.log("gate: the shop sent a message that is not JSON")
    }
    const id = (parsed as { id?: unknown } | null)?.id
    const call = typeof id === "string" ? this.pending.get(ws)?.get(id) : undefined
    if (!call) return this.log("gate: the shop sent a message that answers no pending call")
    if (call.loseReply) {
      this.log(`gate: the reply to ${id} is lost with the connection (fault)`)
      ws.terminate()
      return
    }
    const judged = call.verdict ? judgeRpcReply(parsed) : { outcome: "delivered" as const, error: null }
    call.resolve({ ...judged, reply: call.verdict ? text.slice(0, 2000) : text, rpcId: id as string })
  }

  private takeFault(): GateFaultMode | undefined {
    const fault = this.faults.find((f) => f.remaining > 0)
    if (!fault) return undefined
    fault.remaining--
    this.faults = this.faults.filter((f) => f.remaining > 0)
    return fault.mode
  }

  private refusing(): boolean {
    if (this.refuseUntil > Date.now()) return true
    if (this.refuseRemaining > 0) {
      this.refuseRemaining--
      return true
    }
    return false
  }

  private log(line: string): void {
    this.options.logger?.(line)
  }
}

function reject(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`)
  socket.destroy()
}

/**
 * The verdicts are the HTTP notification's (reference §6.4): the page shows no answer to
 * onOrderStatusChange, so the answer's `result` is read as the HTTP reply body would be.
 * JSON-RPC 2.0 §5: a response has "jsonrpc": "2.0" and exactly one of result / error; anything
 * else, and any JSON-RPC error, is a failed delivery that is retried.
 */
export function judgeRpcReply(parsed: unknown): { outcome: DeliveryOutcome; error: string | null } {
  const r = (parsed ?? {}) as Record<string, unknown>
  if (r.jsonrpc !== "2.0") return { outcome: "failed", error: 'the reply lacks "jsonrpc": "2.0"' }
  const hasResult = Object.prototype.hasOwnProperty.call(r, "result")
  const hasError = Object.prototype.hasOwnProperty.call(r, "error")
  if (hasResult === hasError) return { outcome: "failed", error: "the reply must carry exactly one of result and error" }
  if (hasError) {
    const e = r.error as { code?: unknown; message?: unknown } | null
    return { outcome: "failed", error: `JSON-RPC error ${String(e?.code)}: ${String(e?.message)}` }
  }
  const verdict = r.result as { status?: unknown; code?: unknown } | null
  if (!verdict || typeof verdict !== "object") return { outcome: "failed", error: "result is not a JSON object" }
  if (verdict.status === "success") return { outcome: "delivered", error: null }
  if (verdict.status === "error") {
    const code = typeof verdict.code === "string" && verdict.code !== "" ? verdict.code : "out_of_service"
    return { outcome: code === "out_of_service" ? "failed" : "rejected", error: code }
  }
  return { outcome: "failed", error: "result has no status success/error" }
}
