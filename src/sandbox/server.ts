/**
 * The Invoicebox emulator's HTTP layer.
 *
 * Built on plain node:http rather than a framework: the sandbox needs no middleware, and fault
 * injection needs exact control over each socket (answer nothing, destroy it before or after the
 * request was applied, keep it hanging) which frameworks hide.
 */
import { randomUUID } from "node:crypto"
import http from "node:http"
import type { AddressInfo, Socket } from "node:net"
import { Readable } from "node:stream"
import { findCounterparty } from "./counterparty"
import { ActiveFault, Faults, FaultSpec, parseFaultSpec, RateLimiter } from "./faults"
import { phpJson } from "./json"
import { GateFaultMode, GateState, SandboxGate } from "./gate"
import { Delivery, Notifier } from "./notifications"
import { renderNotFoundPage, renderPaymentPage, renderResultPage } from "./payment-page"
import { applyListQuery, FieldKind } from "./query"
import { CabinetRefundRequest, notFound, SandboxOrder, SandboxRefund, SandboxShipment, SandboxState, TRANSITIONS, type TransitionTarget, type TransitionVerb } from "./state"
import { ApiError, isObject } from "./validation"

export const DEMO_MERCHANT_ID = "ffffffff-ffff-ffff-ffff-ffffffffffff"
export const DEMO_API_TOKEN = "b37c4c689295904ed21eee5d9a48d42e"

/** Spread over about 24 hours, like Invoicebox's "10 more times over the following 24 h". */
export const DEFAULT_RETRY_DELAYS_MS = [60, 300, 900, 1800, 3600, 7200, 10800, 14400, 21600, 25200].map((s) => s * 1000)

export interface SandboxOptions {
  /** 0 = a random free port. */
  port?: number
  host?: string
  merchantId?: string
  apiToken?: string
  /** The shop's notification signing key ("API ключ"); default "test". */
  notificationKey?: string
  /** HMAC algorithm of notifications; default sha1. */
  notificationAlgorithm?: string
  rateLimit?: { limit: number; windowMs: number }
  /** attempts = total tries including the first (default 11: the first plus Invoicebox's 10 repeats). */
  notificationRetry?: { attempts: number; delaysMs: number[] }
  /** How long a shop may take to answer a notification (default 20000, as Invoicebox). */
  notificationTimeoutMs?: number
  /** The shop-wide notification URL, used for orders created without notificationUrl. */
  notificationUrl?: string
  /** Base of paymentUrl; default the sandbox URL. */
  paymentPageBaseUrl?: string
  /** ms until a created refund becomes completed; 0 (default) = at once, negative = never. */
  refundCompleteAfterMs?: number
  /** Basket items an order, refund or shipment may have; default 100, Invoicebox's limit. */
  maxBasketItems?: number
  /** How often overdue orders are expired (they are also checked on every request); default 1000. */
  expirySweepMs?: number
  /**
   * Refuse a used merchantOrderId (orders, refunds, correction orders); default false, as
   * Invoicebox does by default (InvoiceBox/invoicebox-mcp-server src/tools/reads.ts:180).
   */
  uniqueMerchantOrderId?: boolean
  logger?: (line: string) => void
}

export interface SandboxStats {
  quota: {
    /** Requests allowed per window and API token (the account), like Invoicebox's 100 / 30 s. */
    limit: number
    windowMs: number
    /** API calls refused with 429 because the quota was exceeded, since start or reset. */
    violations: number
    /** API calls counted against the quota and let through, since start or reset. */
    accepted: number
  }
}

export interface Sandbox {
  url: string
  port: number
  close(): Promise<void>
  orders(): SandboxOrder[]
  refunds(): SandboxRefund[]
  shipments(): SandboxShipment[]
  deliveries(): Delivery[]
  /** Marks the order paid and resolves after the first notification attempt. */
  pay(orderId: string): Promise<SandboxOrder>
  /** The payer confirms with a deferred instrument (funds held); then `pay` or `cancel`. */
  hold(orderId: string): Promise<SandboxOrder>
  expire(orderId: string): Promise<SandboxOrder>
  cancel(orderId: string): Promise<SandboxOrder>
  /** A refund made in the Invoicebox cabinet; everything still refundable when called without input. */
  createRefund(orderId: string, input?: CabinetRefundRequest): SandboxRefund
  /** Completes a created refund now (useful with refundCompleteAfterMs < 0). */
  completeRefund(refundId: string): SandboxRefund
  injectFault(fault: FaultSpec): void
  clearFaults(): void
  /** Resolves once every late-commit replay pending now has been applied (or refused). */
  lateCommitsSettled(): Promise<void>
  setRateLimit(limit: number, windowMs: number): void
  stats(): SandboxStats
  blockNotifications(blocked: boolean): void
  /** The WebSocket gate (`/v3/gate/rpc?token=…`): its connections and faults. */
  gateState(): GateState
  /** The next `count` gate calls fail: cut during the call, or their reply lost. */
  injectGateFault(mode: GateFaultMode, count?: number): void
  /** Refuses gate handshakes for `ms` and/or the next `count` ones. */
  refuseGateConnections(refusal: { ms?: number; count?: number }): void
  /** Cuts every gate connection now; returns how many were open. */
  disconnectGate(): number
  /** Calls a method on the shop's connection as Invoicebox does for diagnostics (`getStatus`). */
  callShop(method: string, params?: unknown): Promise<{ reply: unknown; error: string | null }>
  reset(): void
}

type Json = Record<string, unknown>

interface Call {
  req: http.IncomingMessage
  res: http.ServerResponse
  /** commit-then-drop: the request is applied, then the socket is destroyed instead of answering. */
  dropAfterCommit: boolean
  /** late-commit's replay: applied with nobody waiting for the answer. */
  replay?: boolean
}

const BODY_LIMIT = 1024 * 1024

const ORDER_FIELDS: Record<string, FieldKind> = {
  id: "string",
  merchantId: "string",
  merchantOrderId: "string",
  status: "string",
  parentId: "string",
  orderContainerId: "string",
  currencyId: "string",
  amount: "number",
  createdAt: "date",
  expirationDate: "date",
  paidAt: "date",
}
const REFUND_FIELDS: Record<string, FieldKind> = {
  id: "string",
  parentId: "string",
  merchantId: "string",
  merchantOrderId: "string",
  status: "string",
  amount: "number",
  createdAt: "date",
}
const SHIPMENT_FIELDS: Record<string, FieldKind> = {
  id: "number",
  orderId: "string",
  merchantId: "string",
  status: "string",
  createdAt: "date",
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on("data", (chunk: Buffer) => {
      size += chunk.length
      if (size > BODY_LIMIT) {
        reject(new ApiError(413, "payload_too_large", "Payload Too Large"))
        req.destroy()
        return
      }
      chunks.push(chunk)
    })
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")))
    req.on("error", reject)
  })
}

async function readJson(req: http.IncomingMessage, { optional = false } = {}): Promise<unknown> {
  const text = await readBody(req)
  if (text.trim() === "") {
    if (optional) return undefined
    throw new ApiError(400, "bad_request", "Request body is required")
  }
  try {
    return JSON.parse(text)
  } catch {
    throw new ApiError(400, "bad_request", "Malformed JSON")
  }
}

function displayHost(host: string): string {
  if (host === "0.0.0.0" || host === "") return "127.0.0.1"
  if (host === "::") return "[::1]"
  return host.includes(":") ? `[${host}]` : host
}

export class InvoiceboxSandbox implements Sandbox {
  url = ""
  port = 0
  private readonly server: http.Server
  private readonly sockets = new Set<Socket>()
  private readonly state: SandboxState
  private readonly notifier: Notifier
  private readonly gate: SandboxGate
  private readonly faults = new Faults()
  private readonly limiter: RateLimiter
  private readonly merchantId: string
  private readonly apiToken: string
  private readonly userId = randomUUID()
  private sweepTimer?: NodeJS.Timeout
  private readonly lateCommits = new Map<NodeJS.Timeout, Promise<void>>()
  private closing?: Promise<void>

  constructor(private readonly options: SandboxOptions = {}) {
    this.merchantId = options.merchantId ?? DEMO_MERCHANT_ID
    this.apiToken = options.apiToken ?? DEMO_API_TOKEN
    this.limiter = new RateLimiter(options.rateLimit?.limit ?? 100, options.rateLimit?.windowMs ?? 30_000)
    this.gate = new SandboxGate({
      apiToken: this.apiToken,
      timeoutMs: options.notificationTimeoutMs ?? 20_000,
      logger: options.logger,
    })
    this.notifier = new Notifier({
      gate: this.gate,
      key: options.notificationKey ?? "test",
      algorithm: options.notificationAlgorithm,
      timeoutMs: options.notificationTimeoutMs ?? 20_000,
      attempts: options.notificationRetry?.attempts ?? 11,
      delaysMs: options.notificationRetry?.delaysMs ?? DEFAULT_RETRY_DELAYS_MS,
      defaultUrl: options.notificationUrl,
      logger: options.logger,
      // docs merchant/order/delete.md:91-93: the order keeps the shop's shipping_unavailable answer.
      onVerdict: (orderId, status, code) => this.state.noteVerdict(orderId, status, code),
    })
    this.state = new SandboxState({
      merchantId: this.merchantId,
      paymentUrl: (id) => `${(this.options.paymentPageBaseUrl ?? this.url).replace(/\/+$/, "")}/pay/${id}`,
      onStatusChange: (order) => this.notifier.notify(order, order),
      refundCompleteAfterMs: options.refundCompleteAfterMs ?? 0,
      maxBasketItems: options.maxBasketItems,
      uniqueMerchantOrderId: options.uniqueMerchantOrderId ?? false,
    })
    this.server = http.createServer((req, res) => void this.handle(req, res))
    // The gate shares the API's port, as ws-gate.invoicebox.ru is a host of its own only in production.
    this.server.on("upgrade", (req, socket, head) => this.gate.handleUpgrade(req, socket, head))
    this.server.on("connection", (socket) => {
      this.sockets.add(socket)
      socket.on("close", () => this.sockets.delete(socket))
    })
  }

  async listen(): Promise<this> {
    const host = this.options.host ?? "127.0.0.1"
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject)
      this.server.listen(this.options.port ?? 0, host, () => {
        this.server.off("error", reject)
        resolve()
      })
    })
    this.port = (this.server.address() as AddressInfo).port
    this.url = `http://${displayHost(host)}:${this.port}`
    const sweepMs = this.options.expirySweepMs ?? 1000
    if (sweepMs > 0) {
      this.sweepTimer = setInterval(() => this.state.sweepExpired(), sweepMs)
      // The sweep alone must not keep a process (or a test run) alive.
      this.sweepTimer.unref()
    }
    return this
  }

  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      if (this.sweepTimer) clearInterval(this.sweepTimer)
      this.clearLateCommits()
      this.state.clearTimers()
      this.notifier.close()
      this.gate.close()
      this.server.close(() => resolve())
      // Hanging faults keep sockets open on purpose; closing must not wait for them.
      for (const socket of this.sockets) socket.destroy()
      this.server.closeAllConnections()
    })
    return this.closing
  }

  // ---- programmatic control ---------------------------------------------------------------

  orders(): SandboxOrder[] {
    return this.state.listOrders()
  }
  refunds(): SandboxRefund[] {
    return this.state.listRefunds()
  }
  shipments(): SandboxShipment[] {
    return this.state.listShipments()
  }
  deliveries(): Delivery[] {
    return this.notifier.deliveries()
  }

  private async transition(orderId: string, to: TransitionTarget, payment: { guarantee?: boolean } = {}): Promise<SandboxOrder> {
    const { order, notified } = this.state.transition(orderId, to, payment)
    await notified
    return this.state.getOrder(orderId) ?? order
  }
  /** `guarantee`: paid with a guarantee instrument, which a later DELETE can reverse (docs merchant/order/delete.md:51-54). */
  pay(orderId: string, payment: { guarantee?: boolean } = {}): Promise<SandboxOrder> {
    return this.transition(orderId, "completed", payment)
  }
  /** The payer confirms with a deferred instrument: the order is `hold` until `pay` or `cancel`. */
  hold(orderId: string): Promise<SandboxOrder> {
    return this.transition(orderId, "hold")
  }
  expire(orderId: string): Promise<SandboxOrder> {
    return this.transition(orderId, "expired")
  }
  cancel(orderId: string): Promise<SandboxOrder> {
    return this.transition(orderId, "canceled")
  }
  createRefund(orderId: string, input?: CabinetRefundRequest): SandboxRefund {
    return this.state.createCabinetRefund(orderId, input)
  }
  completeRefund(refundId: string): SandboxRefund {
    return this.state.completeRefund(refundId)
  }
  injectFault(fault: FaultSpec): void {
    this.faults.add(fault)
  }
  clearFaults(): void {
    this.faults.clear()
  }
  setRateLimit(limit: number, windowMs: number): void {
    this.limiter.set(limit, windowMs)
  }
  /**
   * The account quota and how often it was exceeded since start or reset (`GET /__sandbox/stats`).
   * Stable for the benchmark: `quota.violations` counts every call refused with 429 by the quota
   * (injected 429 faults are not counted); changing the limit keeps the counters.
   */
  stats(): SandboxStats {
    return {
      quota: {
        limit: this.limiter.limit,
        windowMs: this.limiter.windowMs,
        violations: this.limiter.violations,
        accepted: this.limiter.accepted,
      },
    }
  }
  blockNotifications(blocked: boolean): void {
    this.notifier.blocked = blocked
  }
  gateState(): GateState {
    return this.gate.state()
  }
  injectGateFault(mode: GateFaultMode, count = 1): void {
    this.gate.injectFault(mode, count)
  }
  refuseGateConnections(refusal: { ms?: number; count?: number }): void {
    this.gate.refuse(refusal)
  }
  disconnectGate(): number {
    return this.gate.disconnectAll()
  }
  async callShop(method: string, params: unknown = {}): Promise<{ reply: unknown; error: string | null }> {
    const result = await this.gate.call(method, JSON.stringify(params), { verdict: false })
    let reply: unknown = null
    try {
      reply = result.reply === null ? null : JSON.parse(result.reply)
    } catch {
      reply = result.reply
    }
    return { reply, error: result.error }
  }
  /** Back to the state right after start: no data, no faults, initial rate limit, notifications on. */
  reset(): void {
    this.clearLateCommits()
    this.state.reset()
    this.notifier.reset()
    this.gate.reset()
    this.faults.clear()
    this.limiter.set(this.options.rateLimit?.limit ?? 100, this.options.rateLimit?.windowMs ?? 30_000)
    this.limiter.reset()
  }

  private clearLateCommits(): void {
    for (const timer of this.lateCommits.keys()) clearTimeout(timer)
    this.lateCommits.clear()
  }

  // ---- HTTP -------------------------------------------------------------------------------

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const requestId = randomUUID()
    res.setHeader("X-Request-Id", requestId)
    const call: Call = { req, res, dropAfterCommit: false }
    const url = new URL(req.url ?? "/", "http://sandbox.invalid")
    const path = url.pathname.replace(/\/+$/, "") || "/"
    const method = req.method ?? "GET"
    if (this.options.logger) {
      res.on("finish", () => this.options.logger?.(`${method} ${url.pathname}${url.search} -> ${res.statusCode} [${requestId}]`))
    }
    try {
      this.state.sweepExpired()
      if (path.startsWith("/__sandbox/")) return await this.control(call, method, path.slice("/__sandbox".length), url.searchParams)
      if (path.startsWith("/pay/")) return await this.paymentPage(call, method, path)
      const api = /^\/(v3|l3)(\/.*)$/.exec(path)
      if (api) return await this.api(call, method, api[2], url.searchParams)
      if (path === "/" && method === "GET") {
        return this.json(call, 200, {
          data: { name: "Invoicebox sandbox", api: [`${this.url}/v3`, `${this.url}/l3`], merchantId: this.merchantId },
          extendedData: [],
        })
      }
      throw new ApiError(404, "not_found", "Not Found")
    } catch (error) {
      if (error instanceof ApiError) {
        for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value)
        return this.json(call, error.status, error.toBody())
      }
      this.options.logger?.(`internal error [${requestId}]: ${(error as Error)?.stack ?? String(error)}`)
      return this.json(call, 500, { error: { message: "Internal Server Error", code: "internal_error", fields: [] } })
    }
  }

  private json(call: Call, status: number, body: unknown): void {
    if (call.replay) return
    if (call.dropAfterCommit) {
      call.req.socket.destroy()
      return
    }
    if (call.res.headersSent || call.res.destroyed) return
    const text = phpJson(body)
    call.res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", "Content-Length": Buffer.byteLength(text) })
    call.res.end(text)
  }

  private html(call: Call, status: number, page: string): void {
    call.res.writeHead(status, { "Content-Type": "text/html; charset=utf-8", "Content-Length": Buffer.byteLength(page) })
    call.res.end(page)
  }

  /** Applies an injected fault; returns true when the call must not be handled any further. */
  private applyFault(call: Call, fault: ActiveFault): boolean {
    switch (fault.mode) {
      case "500":
        this.json(call, 500, { error: { message: "Internal Server Error", code: "internal_error", fields: [] } })
        return true
      case "429":
        call.res.setHeader("Retry-After", String(fault.retryAfterSeconds))
        this.json(call, 429, { error: { message: "Too Many Requests", code: "too_many_requests", fields: [] } })
        return true
      case "hang":
        // Nothing is read or written; close() destroys the socket.
        return true
      case "reset":
        call.req.socket.destroy()
        return true
      case "commit-then-drop":
        call.dropAfterCommit = true
        return false
      case "late-commit":
        return false // handled by lateCommit, which needs the body first
    }
  }

  /**
   * A gateway timeout whose request the backend still applies later: the caller sees 504 and
   * nothing is there yet, so only a look-up that waits long enough finds what it created. The
   * replay goes through the same handler (validation, rate limit) as any request.
   */
  private async lateCommit(call: Call, method: string, path: string, query: URLSearchParams, afterMs: number): Promise<void> {
    const body = await readBody(call.req)
    this.json(call, 504, { error: { message: "Gateway Timeout", code: "gateway_timeout", fields: [] } })
    const req = Object.assign(Readable.from([Buffer.from(body)]), {
      headers: call.req.headers,
      socket: { remoteAddress: call.req.socket.remoteAddress },
    }) as unknown as http.IncomingMessage
    let settle!: () => void
    const settled = new Promise<void>((resolve) => (settle = resolve))
    const timer = setTimeout(() => {
      this.api({ req, res: call.res, dropAfterCommit: false, replay: true }, method, path, query)
        .catch((e) => this.options.logger?.(`late commit of ${method} ${path} refused: ${(e as Error).message}`))
        .finally(() => {
          this.lateCommits.delete(timer)
          settle()
        })
    }, afterMs)
    this.lateCommits.set(timer, settled)
  }

  async lateCommitsSettled(): Promise<void> {
    await Promise.all([...this.lateCommits.values()])
  }

  private authorize(call: Call): string | null {
    const header = call.req.headers.authorization
    if (header === undefined) return null
    const token = /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1]
    if (token !== this.apiToken) throw new ApiError(401, "unauthorized", "Unauthorized")
    return token
  }

  private async api(call: Call, method: string, path: string, query: URLSearchParams): Promise<void> {
    const fault = call.replay ? null : this.faults.take(method, path)
    if (fault?.mode === "late-commit") return this.lateCommit(call, method, path, query, fault.commitAfterMs)
    if (fault && this.applyFault(call, fault)) return

    const header = call.req.headers.authorization
    const rateKey = header ?? `ip:${call.req.socket.remoteAddress}`
    const limited = this.limiter.check(rateKey)
    if (!limited.ok) {
      throw new ApiError(429, "too_many_requests", "Too Many Requests", [], { "Retry-After": String(limited.retryAfterSeconds) })
    }

    if (path === "/security/api/auth/auth") {
      if (method !== "GET") throw new ApiError(405, "method_not_allowed", "Method Not Allowed")
      // Documented quirk: without a token the check succeeds with userId null.
      const token = this.authorize(call)
      return this.json(call, 200, {
        data: token ? { userId: this.userId, profile: null, accessToken: token } : { userId: null, profile: null, accessToken: null },
        extendedData: [],
      })
    }
    if (this.authorize(call) === null) throw new ApiError(401, "unauthorized", "Unauthorized")

    const ok = (data: unknown, metaData?: unknown) =>
      this.json(call, 200, metaData === undefined ? { data, extendedData: [] } : { data, extendedData: [], metaData })
    const allow = (...methods: string[]) => {
      if (!methods.includes(method)) throw new ApiError(405, "method_not_allowed", "Method Not Allowed")
    }

    if (path === "/billing/api/order/order") {
      allow("POST")
      return ok(this.state.createOrder(await readJson(call.req)))
    }
    const refundable = /^\/billing\/api\/order\/order\/([^/]+)\/refund-basket-item$/.exec(path)
    if (refundable) {
      allow("GET")
      return ok(this.state.refundableBasket(decodeURIComponent(refundable[1])))
    }
    const single = /^\/billing\/api\/order\/order\/([^/]+)$/.exec(path)
    if (single) {
      allow("GET", "PUT", "DELETE")
      const id = decodeURIComponent(single[1])
      if (method === "GET") {
        const order = this.state.getOrder(id)
        if (!order) throw notFound("Order", "id")
        return ok(order)
      }
      if (method === "PUT") return ok(this.state.updateOrder(id, await readJson(call.req)))
      const { order, notified } = this.state.cancelOrder(id)
      // The answer does not wait for the shop: the shop may be busy calling this very API.
      notified.catch(() => undefined)
      return ok(order)
    }
    if (path === "/filter/api/order/order") {
      allow("GET")
      const list = applyListQuery(this.state.listOrders(), query, ORDER_FIELDS)
      return ok(list.items, list.metaData)
    }
    if (path === "/billing/api/order/refund-order") {
      allow("POST")
      return ok(this.state.createRefund(await readJson(call.req)))
    }
    // InvoiceBox/docs docs/merchant/refund/correction.md:63-64
    if (path === "/billing/api/order/correction-order") {
      allow("POST")
      return ok(this.state.createCorrectionOrder(await readJson(call.req)))
    }
    if (path === "/filter/api/order/refund-order") {
      allow("GET")
      const list = applyListQuery(this.state.listRefunds(), query, REFUND_FIELDS)
      return ok(list.items, list.metaData)
    }
    if (path === "/billing/api/order/shipment") {
      allow("POST", "GET")
      if (method === "POST") return ok(this.state.createShipment(await readJson(call.req)))
      const list = applyListQuery(this.state.listShipments(), query, SHIPMENT_FIELDS)
      return ok(list.items, list.metaData)
    }
    if (path === "/filter/api/order/shipment") {
      allow("GET")
      const list = applyListQuery(this.state.listShipments(), query, SHIPMENT_FIELDS)
      return ok(list.items, list.metaData)
    }
    if (path === "/filter/api/counterparty-detail") {
      allow("GET")
      const inn = query.get("vatNumber")
      if (!inn) {
        throw new ApiError(422, "validation_error", "Validation Error", [{ name: "vatNumber", code: "required", message: "vatNumber is required" }])
      }
      const found = findCounterparty(inn)
      if (!found) {
        throw new ApiError(422, "validation_error", "Validation Error", [
          { name: "vatNumber", code: "wrong_value", message: "vatNumber is not a valid ИНН" },
        ])
      }
      return ok([found], { totalCount: 1, pageSize: 30, page: 1 })
    }
    throw new ApiError(404, "not_found", "Not Found")
  }

  private async control(call: Call, method: string, path: string, query: URLSearchParams): Promise<void> {
    const ok = (data: unknown, extra: Json = {}) => this.json(call, 200, { data, extendedData: [], ...extra })
    const transition = /^\/orders\/([^/]+)\/([a-z]+)$/.exec(path)
    if (transition && method === "POST" && Object.prototype.hasOwnProperty.call(TRANSITIONS, transition[2])) {
      const id = decodeURIComponent(transition[1])
      const to = TRANSITIONS[transition[2] as TransitionVerb]
      const body = await readJson(call.req, { optional: true })
      if (body !== undefined && !isObject(body)) throw new ApiError(400, "bad_request", "The body must be a JSON object")
      const guarantee = to === "completed" && isObject(body) && body.guarantee === true
      const before = this.notifier.deliveries().length
      const order = await this.transition(id, to, { guarantee })
      return ok(order, { deliveries: this.notifier.deliveries().slice(before).filter((entry) => entry.orderId === id) })
    }
    const refunds = /^\/orders\/([^/]+)\/refunds$/.exec(path)
    if (refunds && method === "POST") {
      const body = await readJson(call.req, { optional: true })
      if (body !== undefined && !isObject(body)) throw new ApiError(400, "bad_request", "The body must be a JSON object")
      return ok(this.state.createCabinetRefund(decodeURIComponent(refunds[1]), (body ?? {}) as CabinetRefundRequest))
    }
    const completeRefund = /^\/refunds\/([^/]+)\/complete$/.exec(path)
    if (completeRefund && method === "POST") return ok(this.state.completeRefund(decodeURIComponent(completeRefund[1])))
    if (path === "/state" && method === "GET") {
      return ok({ orders: this.orders(), refunds: this.refunds(), shipments: this.shipments() })
    }
    if (path === "/deliveries" && method === "GET") {
      const orderId = query.get("orderId")
      return ok(this.deliveries().filter((entry) => !orderId || entry.orderId === orderId))
    }
    if (path === "/faults") {
      if (method === "POST") {
        this.faults.add(parseFaultSpec(await readJson(call.req)))
        return ok(this.faults.list())
      }
      if (method === "DELETE") {
        this.faults.clear()
        return ok([])
      }
      if (method === "GET") return ok(this.faults.list())
    }
    if ((path === "/stats" || path === "/rate-limit") && method === "GET") return ok(this.stats())
    if (path === "/rate-limit" && method === "POST") {
      const body = await readJson(call.req)
      const limit = isObject(body) ? body.limit : undefined
      const windowMs = isObject(body) ? body.windowMs ?? this.limiter.windowMs : undefined
      if (typeof limit !== "number" || !Number.isInteger(limit) || limit < 1 || typeof windowMs !== "number" || windowMs < 1) {
        throw new ApiError(422, "validation_error", "Validation Error", [
          { name: "limit", code: "wrong_value", message: "limit (positive integer) and windowMs (positive) are required" },
        ])
      }
      this.setRateLimit(limit, windowMs)
      return ok({ limit, windowMs })
    }
    const block = /^\/notifications\/(block|unblock)$/.exec(path)
    if (block && method === "POST") {
      this.blockNotifications(block[1] === "block")
      return ok({ blocked: this.notifier.blocked })
    }
    if (path.startsWith("/gate")) return this.gateControl(call, method, path.slice("/gate".length))
    if (path === "/reset" && method === "POST") {
      this.reset()
      return ok({ reset: true })
    }
    throw new ApiError(404, "not_found", "Not Found")
  }

  /** `/__sandbox/gate…`: the WebSocket gate's state and faults. */
  private async gateControl(call: Call, method: string, path: string): Promise<void> {
    const ok = (data: unknown) => this.json(call, 200, { data, extendedData: [] })
    const body = async () => {
      const parsed = await readJson(call.req, { optional: true })
      if (parsed !== undefined && !isObject(parsed)) throw new ApiError(400, "bad_request", "The body must be a JSON object")
      return (parsed ?? {}) as Json
    }
    const count = (value: unknown, name: string) => {
      if (value === undefined) return undefined
      if (typeof value !== "number" || !Number.isInteger(value) || value < 0) {
        throw new ApiError(422, "validation_error", "Validation Error", [{ name, code: "wrong_value", message: `${name} must be a non-negative integer` }])
      }
      return value
    }
    if (path === "" && method === "GET") return ok(this.gate.state())
    if (path === "/faults" && method === "POST") {
      const { mode, count: n } = await body()
      if (mode !== "drop-mid-call" && mode !== "lose-reply") {
        throw new ApiError(422, "validation_error", "Validation Error", [
          { name: "mode", code: "wrong_value", message: 'mode must be "drop-mid-call" or "lose-reply"' },
        ])
      }
      this.gate.injectFault(mode, count(n, "count") ?? 1)
      return ok(this.gate.state())
    }
    if (path === "/faults" && method === "DELETE") {
      this.gate.clearFaults()
      return ok(this.gate.state())
    }
    if (path === "/refuse" && method === "POST") {
      const { ms, count: n } = await body()
      this.gate.refuse({ ms: count(ms, "ms"), count: count(n, "count") })
      return ok(this.gate.state())
    }
    if (path === "/disconnect" && method === "POST") return ok({ disconnected: this.gate.disconnectAll() })
    if (path === "/call" && method === "POST") {
      const { method: rpcMethod, params } = await body()
      if (typeof rpcMethod !== "string" || rpcMethod === "") {
        throw new ApiError(422, "validation_error", "Validation Error", [{ name: "method", code: "required", message: "method is required" }])
      }
      // docs api/websockets.md: getStatus takes { "logQuantity": 40 }.
      return ok(await this.callShop(rpcMethod, params ?? {}))
    }
    throw new ApiError(404, "not_found", "Not Found")
  }

  private async paymentPage(call: Call, method: string, path: string): Promise<void> {
    const match = /^\/pay\/([^/]+)(?:\/(confirm|decline))?$/.exec(path)
    const id = match ? decodeURIComponent(match[1]) : ""
    const order = match ? this.state.getOrder(id) : undefined
    if (!match || !order) return this.html(call, 404, renderNotFoundPage())
    if (!match[2]) {
      if (method !== "GET") return this.html(call, 405, renderResultPage(order, "Метод не поддерживается."))
      return this.html(call, 200, renderPaymentPage(order))
    }
    if (method !== "POST") return this.html(call, 405, renderResultPage(order, "Метод не поддерживается."))
    const form = new URLSearchParams(await readBody(call.req))
    if (order.status !== "created") {
      return this.html(call, 409, renderResultPage(order, "Счёт уже нельзя оплатить или отклонить."))
    }
    const confirmed = match[2] === "confirm"
    const after = await this.transition(id, confirmed ? "completed" : "canceled", { guarantee: form.get("instrument") === "guarantee" })
    // docs merchant/notification/shipping-unavailable.md:52-54: on shipping_unavailable the page
    // tells the payer the service cannot be provided and sends them to the shop's error page.
    const refused = confirmed && this.state.refusedAsUndeliverable(id)
    if (refused) {
      const note = SHIPPING_UNAVAILABLE_NOTE
      if (typeof after.failUrl === "string" && after.failUrl !== "") {
        call.res.writeHead(303, { Location: after.failUrl, "Content-Length": 0 })
        call.res.end()
        return
      }
      return this.html(call, 200, renderResultPage(after, note, { refused: true }))
    }
    const target = confirmed ? after.successUrl : after.failUrl
    if (typeof target === "string" && target !== "") {
      call.res.writeHead(303, { Location: target, "Content-Length": 0 })
      call.res.end()
      return
    }
    return this.html(call, 200, renderResultPage(after))
  }
}

/** What the payer reads when the shop answered shipping_unavailable (docs merchant/notification/shipping-unavailable.md:52-53). */
export const SHIPPING_UNAVAILABLE_NOTE =
  "Магазин не может поставить товар или оказать услугу. Оплата не подтверждена: гарантийный платёж будет отменён, " +
  "иначе магазин вернёт деньги."

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  return new InvoiceboxSandbox(options).listen()
}
