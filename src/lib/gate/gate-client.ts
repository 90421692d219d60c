import WebSocket from "ws"
import { Backoff, DEFAULT_BACKOFF, type BackoffPolicy } from "./backoff"
import { Heartbeat } from "./heartbeat"
import { answerRpc, methodsOf, type RpcHandler } from "./rpc"
import type { TransportLog } from "./transport-log"

/** The part of a `ws` WebSocket the client uses; unit tests pass a fake. */
export interface SocketLike {
  readonly readyState: number
  send(data: string, cb?: (error?: Error) => void): void
  ping(): void
  close(code?: number, reason?: string): void
  terminate(): void
  on(event: "open", listener: () => void): unknown
  on(event: "message", listener: (data: WebSocket.RawData) => void): unknown
  on(event: "pong" | "ping", listener: () => void): unknown
  on(event: "error", listener: (error: Error) => void): unknown
  on(event: "close", listener: (code: number, reason: Buffer) => void): unknown
}

export type CreateSocket = (url: string, options: WebSocket.ClientOptions) => SocketLike

export interface GateClientOptions {
  /** The gate URL without the token. */
  url: string
  token: string
  handlers: Record<string, RpcHandler>
  /** Used instead of `handlers` while the client shuts down (answers that ask for a redelivery). */
  closingHandlers?: Record<string, RpcHandler>
  log: TransportLog
  heartbeatMs?: number
  handshakeTimeoutMs?: number
  /** A connection that stays up this long resets the backoff. */
  stableMs?: number
  backoff?: BackoffPolicy
  random?: () => number
  userAgent?: string
  createSocket?: CreateSocket
}

export const GATE_DEFAULTS = { heartbeatMs: 15_000, handshakeTimeoutMs: 10_000, stableMs: 30_000 }

/** A notification is a few kilobytes; a batch of them stays far below this. */
const MAX_MESSAGE_BYTES = 1024 * 1024

const defaultCreateSocket: CreateSocket = (url, options) => new WebSocket(url, options)

function text(data: WebSocket.RawData): string {
  if (Buffer.isBuffer(data)) return data.toString("utf8")
  if (Array.isArray(data)) return Buffer.concat(data).toString("utf8")
  return Buffer.from(data).toString("utf8")
}

/**
 * One connection to Invoicebox's gate, kept open until stop(): reconnects with capped,
 * jittered exponential backoff, detects a dead peer by ping/pong, answers the gate's JSON-RPC
 * calls. Calls are answered concurrently; the settlement path serialises what needs it.
 */
export class GateClient {
  private socket: SocketLike | undefined
  private heartbeat: Heartbeat | undefined
  private stopped = true
  private closing = false
  private reconnectTimer: NodeJS.Timeout | undefined
  private stableTimer: NodeJS.Timeout | undefined
  private readonly backoff: Backoff
  private readonly inFlight = new Set<Promise<void>>()
  /** Successful opens since start. */
  connections = 0
  connectedSince: Date | undefined
  lastError: string | undefined

  constructor(private readonly options: GateClientOptions) {
    this.backoff = new Backoff(options.backoff ?? DEFAULT_BACKOFF, options.random)
  }

  get connected(): boolean {
    return this.socket?.readyState === WebSocket.OPEN
  }

  start(): void {
    if (!this.stopped) return
    this.stopped = false
    this.closing = false
    this.connect()
  }

  /**
   * Graceful: calls in progress get up to `graceMs` to be answered (new ones are answered with
   * a request to redeliver), then the connection is closed. `terminate` drops it at once, for a
   * leader that may be losing its lock.
   */
  async stop({ graceMs = 5_000, terminate = false }: { graceMs?: number; terminate?: boolean } = {}): Promise<void> {
    this.stopped = true
    this.clearTimers()
    const socket = this.socket
    if (!socket) return
    if (terminate || socket.readyState !== WebSocket.OPEN) {
      this.heartbeat?.stop()
      socket.terminate()
      return
    }
    this.closing = true
    await settleWithin([...this.inFlight], graceMs)
    await closeWithin(socket, graceMs)
  }

  private connect(): void {
    if (this.stopped) return
    const { log } = this.options
    let socket: SocketLike
    try {
      socket = (this.options.createSocket ?? defaultCreateSocket)(`${this.options.url}?token=${encodeURIComponent(this.options.token)}`, {
        handshakeTimeout: this.options.handshakeTimeoutMs ?? GATE_DEFAULTS.handshakeTimeoutMs,
        maxPayload: MAX_MESSAGE_BYTES,
        headers: this.options.userAgent ? { "User-Agent": this.options.userAgent } : undefined,
      })
    } catch (e) {
      this.lastError = log.redact((e as Error).message)
      log.error(`cannot open ${this.options.url}: ${this.lastError}`)
      this.scheduleReconnect()
      return
    }
    this.socket = socket
    const heartbeat = new Heartbeat({
      intervalMs: this.options.heartbeatMs ?? GATE_DEFAULTS.heartbeatMs,
      ping: () => socket.ping(),
      onDead: () => {
        log.warn("the gate did not answer a ping: dropping the connection")
        socket.terminate()
      },
    })
    this.heartbeat = heartbeat
    let opened = false
    socket.on("open", () => {
      opened = true
      this.connections++
      this.connectedSince = new Date()
      this.lastError = undefined
      log.info(`connected to ${this.options.url} (connection ${this.connections})`)
      heartbeat.start()
      this.stableTimer = setTimeout(() => this.backoff.reset(), this.options.stableMs ?? GATE_DEFAULTS.stableMs)
      this.stableTimer.unref?.()
    })
    socket.on("message", (data) => {
      heartbeat.alive()
      this.answer(socket, text(data))
    })
    socket.on("pong", () => heartbeat.alive())
    socket.on("ping", () => heartbeat.alive())
    socket.on("error", (error) => {
      this.lastError = log.redact(error.message)
      const hint = /\b40[13]\b/.test(error.message) ? " (the gate refused the token: check apiToken)" : ""
      log.warn(`connection error: ${this.lastError}${hint}`)
    })
    socket.on("close", (code, reason) => {
      heartbeat.stop()
      if (this.stableTimer) clearTimeout(this.stableTimer)
      if (this.socket === socket) this.socket = undefined
      this.connectedSince = undefined
      if (opened) log.info(`connection closed (code ${code}${reason?.length ? `, ${log.redact(reason.toString("utf8"))}` : ""})`)
      this.scheduleReconnect()
    })
  }

  private answer(socket: SocketLike, message: string): void {
    const { log } = this.options
    const handlers = this.closing && this.options.closingHandlers ? this.options.closingHandlers : this.options.handlers
    const work = (async () => {
      const reply = await answerRpc(message, handlers)
      if (reply === undefined) return
      if (socket.readyState !== WebSocket.OPEN) {
        log.warn(`the answer to ${methodsOf(message)} was not sent: the connection closed meanwhile (Invoicebox calls again)`)
        return
      }
      socket.send(reply, (error) => {
        if (error) log.warn(`the answer to ${methodsOf(message)} was not sent: ${log.redact(error.message)}`)
      })
    })()
      .catch((e) => log.error(`answering ${methodsOf(message)} failed: ${log.redact((e as Error).message)}`))
      .finally(() => this.inFlight.delete(work))
    this.inFlight.add(work)
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.reconnectTimer) return
    const delay = this.backoff.next()
    this.options.log.info(`reconnecting in ${delay} ms (attempt ${this.backoff.consecutiveFailures})`)
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined
      this.connect()
    }, delay)
    this.reconnectTimer.unref?.()
  }

  private clearTimers(): void {
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer)
    if (this.stableTimer) clearTimeout(this.stableTimer)
    this.reconnectTimer = undefined
    this.stableTimer = undefined
  }
}

function settleWithin(work: Promise<unknown>[], ms: number): Promise<void> {
  if (!work.length) return Promise.resolve()
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms)
    timer.unref?.()
    void Promise.allSettled(work).then(() => {
      clearTimeout(timer)
      resolve()
    })
  })
}

/** A close handshake, bounded: a peer that never answers it is cut off. */
function closeWithin(socket: SocketLike, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      socket.terminate()
      resolve()
    }, ms)
    timer.unref?.()
    socket.on("close", () => {
      clearTimeout(timer)
      resolve()
    })
    socket.close(1001, "shutting down")
  })
}
