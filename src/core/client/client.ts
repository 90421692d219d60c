import axios, { AxiosInstance } from "axios"
import {
  InvoiceboxAuthError,
  InvoiceboxError,
  InvoiceboxNetworkError,
  InvoiceboxOutcomeUnknownError,
  InvoiceboxServerError,
  InvoiceboxValidationError,
} from "../errors"
import { errorFromResponse, errorFromTransport, invalidResponseError, isRecord, Redactor, tryParseJson } from "./http-errors"
import { encodeQuery, hasEmptyListFilter, QueryInput } from "./query"
import { HttpMethod, retryDelayFor, RetryPolicy } from "./retry"
import type {
  ApiPrefix,
  AuthInfo,
  Counterparty,
  CreateOrderRequest,
  InvoiceboxOrder,
  InvoiceboxRefund,
  InvoiceboxShipment,
  OrderFilter,
  Page,
  PageRequest,
  RefundableBasketItem,
  RefundFilter,
  RefundRequest,
  ShipmentFilter,
  ShipmentRequest,
  UpdateOrderRequest,
} from "./types"
import { assertSafeApiUrl, invalidOption } from "./url"
import { buildUserAgent } from "./user-agent"
import type { RequestBudget } from "./budget"

export interface InvoiceboxClientLogger {
  debug?(message: string): void
  warn?(message: string): void
  error?(message: string): void
}

export interface InvoiceboxClientOptions {
  /** e.g. `https://api.invoicebox.ru`; http only for loopback hosts (the sandbox). */
  baseUrl: string
  /** Bearer token from the cabinet ("API токен"); never logged nor put in an error. */
  apiToken: string
  /** `v3` for app.invoicebox.ru shops, `l3` for shops from the older Инвойсбокс.Бизнес cabinet. */
  apiPrefix?: ApiPrefix
  /** Per attempt, wall clock. Default 15 000. */
  timeoutMs?: number
  /** Appended after `medusa-payment-invoicebox/<version> (Node.js/<v>)`. */
  userAgent?: string
  /** Resends of a GET (and of a rate-limited write). Default 3. */
  maxRetries?: number
  /** First backoff step. Default 250. */
  retryBaseDelayMs?: number
  /** Cap on any single wait, including Retry-After. Default 10 000. */
  maxRetryDelayMs?: number
  logger?: InvoiceboxClientLogger
  /** The account's request budget, shared with every other client of the account (see budget.ts). */
  budget?: RequestBudget
  /**
   * After a create whose outcome is unknown (timeout, reset, 5xx), how long look-ups by
   * merchantOrderId keep looking before the create is sent once more. Default 8 000; 0 = one look-up.
   */
  recoveryWaitMs?: number
}

export interface RecoveredOrder {
  order: InvoiceboxOrder
  /** True when the order already existed (an earlier attempt went through) and was looked up. */
  recovered: boolean
  /** True when nothing was found after an unknown outcome and the create was sent a second time. */
  resent?: boolean
}

export interface RecoveredRefund {
  refund: InvoiceboxRefund
  recovered: boolean
  resent?: boolean
}

/** What `cancelTwinOrders` did with the other orders carrying one merchantOrderId. */
export interface TwinOrders {
  canceled: string[]
  /** Twins that were paid (or held) and could not be cancelled: the caller must adopt or refund them. */
  paid: InvoiceboxOrder[]
}

interface RequestSpec {
  operation: string
  method: HttpMethod
  path: string
  query?: QueryInput
  body?: unknown
}

interface Envelope {
  status: number
  requestId?: string
  data: unknown
  metaData: Record<string, unknown>
}

const DEFAULT_TIMEOUT_MS = 15_000
const DEFAULT_MAX_RETRIES = 3
const DEFAULT_RETRY_BASE_DELAY_MS = 250
const DEFAULT_MAX_RETRY_DELAY_MS = 10_000
const DEFAULT_RECOVERY_WAIT_MS = 8_000
/** First pause between recovery look-ups; doubled after each one, so 8 s cost about five look-ups. */
const RECOVERY_FIRST_PAUSE_MS = 1_000
/** Page size used when walking every page; large enough to keep the reconciliation job cheap. */
const LIST_PAGE_SIZE = 100
/** Stops a walk over pages against a server that ignores `page` and sends no totals. */
const MAX_PAGES = 10_000
/** A 2xx body bigger than this is not an Invoicebox answer; refuse rather than buffer it. */
const MAX_RESPONSE_BYTES = 20 * 1024 * 1024

/**
 * The only code that talks HTTP to Invoicebox. Every call goes through `request()`, which owns the
 * URL, headers, timeout, retry policy and error mapping.
 *
 * Safety rules: reads are retried on transient failures; writes are never resent after an unknown
 * outcome (Invoicebox has no idempotency key) — `createOrRecoverOrder` / `createOrRecoverRefund`
 * resolve that by looking the object up by its `merchantOrderId`.
 */
export class InvoiceboxClient {
  private readonly baseUrl: string
  private readonly apiPrefix: ApiPrefix
  private readonly timeoutMs: number
  private readonly retryPolicy: RetryPolicy
  private readonly logger?: InvoiceboxClientLogger
  private readonly http: AxiosInstance
  private readonly headers: Record<string, string>
  private readonly redact: Redactor
  private readonly budget?: RequestBudget
  private readonly recoveryWaitMs: number

  constructor(options: InvoiceboxClientOptions) {
    if (!isRecord(options)) {
      throw invalidOption("options object is required")
    }
    const url = assertSafeApiUrl(options.baseUrl)
    this.baseUrl = url.toString().replace(/\/+$/, "")

    const token = typeof options.apiToken === "string" ? options.apiToken.trim() : ""
    if (!token) {
      throw invalidOption("apiToken is required (the API token from the Invoicebox cabinet)")
    }
    // A token with whitespace or control characters is a copy-paste accident; it would also make an
    // invalid header. The message deliberately does not echo the value.
    if (/[\s\u0000-\u001f\u007f]/.test(token)) {
      throw invalidOption("apiToken contains whitespace or control characters")
    }

    const prefix = options.apiPrefix ?? "v3"
    if (prefix !== "v3" && prefix !== "l3") {
      throw invalidOption(`apiPrefix must be "v3" or "l3", got "${String(prefix)}"`)
    }
    this.apiPrefix = prefix

    this.timeoutMs = positiveNumber(options.timeoutMs, DEFAULT_TIMEOUT_MS, "timeoutMs", false)
    this.recoveryWaitMs = positiveNumber(options.recoveryWaitMs, DEFAULT_RECOVERY_WAIT_MS, "recoveryWaitMs", true)
    this.retryPolicy = {
      maxRetries: positiveNumber(options.maxRetries, DEFAULT_MAX_RETRIES, "maxRetries", true),
      baseDelayMs: positiveNumber(options.retryBaseDelayMs, DEFAULT_RETRY_BASE_DELAY_MS, "retryBaseDelayMs", true),
      maxDelayMs: positiveNumber(options.maxRetryDelayMs, DEFAULT_MAX_RETRY_DELAY_MS, "maxRetryDelayMs", true),
    }
    if (!Number.isInteger(this.retryPolicy.maxRetries)) {
      throw invalidOption("maxRetries must be a whole number")
    }

    if (options.userAgent !== undefined && (typeof options.userAgent !== "string" || /[\r\n\u0000]/.test(options.userAgent))) {
      throw invalidOption("userAgent must be a single-line string")
    }
    this.logger = options.logger
    this.budget = options.budget

    this.redact = makeRedactor(token)
    this.headers = {
      Authorization: `Bearer ${token}`,
      Accept: "application/json",
      "Content-Type": "application/json",
      "User-Agent": buildUserAgent(options.userAgent),
    }
    this.http = axios.create({
      validateStatus: () => true,
      // Parsed by us: a non-JSON error page must become a typed error, not an axios parse failure.
      responseType: "text",
      transformResponse: [(data: unknown) => data],
      // A redirect would replay the bearer token to wherever it points; Invoicebox never redirects.
      maxRedirects: 0,
      maxContentLength: MAX_RESPONSE_BYTES,
    })
  }

  /** `GET /security/api/auth/auth`. Invoicebox answers 200 with `userId: null` for a missing token. */
  async checkAuth(): Promise<AuthInfo> {
    const spec: RequestSpec = { operation: "checkAuth", method: "GET", path: "/security/api/auth/auth" }
    const res = await this.request(spec)
    const data = isRecord(res.data) ? res.data : {}
    const userId = data.userId
    if (userId === null || userId === undefined || userId === "") {
      throw new InvoiceboxAuthError(
        `Invoicebox checkAuth failed: unauthorized — the API token was not accepted (userId is empty) ` +
          `(HTTP ${res.status}${res.requestId ? `, request id ${res.requestId}` : ""})`,
        { code: "unauthorized", httpStatus: res.status, requestId: res.requestId }
      )
    }
    // `accessToken` is echoed by the endpoint; it is dropped so that it cannot end up in a log.
    return { userId: String(userId), profile: data.profile }
  }

  /** `POST /billing/api/order/order`. Not resent on an unknown outcome: see `createOrRecoverOrder`. */
  async createOrder(req: CreateOrderRequest): Promise<InvoiceboxOrder> {
    const spec: RequestSpec = { operation: "createOrder", method: "POST", path: "/billing/api/order/order", body: req }
    return this.expectEntity<InvoiceboxOrder>(spec, await this.request(spec))
  }

  /**
   * Creates the order, or returns the one an earlier attempt already created. After a timeout, a
   * dropped connection, a 5xx or `merchant_order_id_duplicate`, the order is looked up by
   * `merchantOrderId` for up to `recoveryWaitMs`; only when nothing turns up is the create sent once
   * more. Invoicebox does not check merchantOrderId uniqueness by default, so a first attempt that
   * commits later still makes a second order: whichever look-up sees two keeps one and cancels the
   * other (`cancelTwinOrders`), here right after a resend and in the reconciliation job later.
   */
  async createOrRecoverOrder(req: CreateOrderRequest): Promise<RecoveredOrder> {
    const lookup = async () => {
      const matches = await this.findOrdersByMerchantOrderId(req.merchantOrderId, req.merchantId)
      const order = keeperOf(matches)
      if (order) {
        this.warnOnDrift("order", req.merchantOrderId, order, req)
        await this.cancelTwinOrders(req.merchantOrderId, order.id, req.merchantId, matches)
      }
      return order
    }
    const afterResend = async (order: InvoiceboxOrder) => {
      await this.cancelTwinOrders(req.merchantOrderId, order.id, req.merchantId).catch((e) =>
        this.logger?.warn?.(`Invoicebox createOrRecoverOrder: twin check after the resend failed (the job repeats it): ${(e as Error).message}`)
      )
    }
    const result = await this.createOrRecover("createOrRecoverOrder", () => this.createOrder(req), lookup, afterResend)
    return { order: result.entity, recovered: result.recovered, resent: result.resent }
  }

  /** Every order with exactly this `merchantOrderId` (and `merchantId` when given). */
  async findOrdersByMerchantOrderId(merchantOrderId: string, merchantId?: string): Promise<InvoiceboxOrder[]> {
    requireText(merchantOrderId, "findOrdersByMerchantOrderId", "merchantOrderId")
    const filter: OrderFilter = merchantId ? { merchantOrderId, merchantId } : { merchantOrderId }
    const matches: InvoiceboxOrder[] = []
    for await (const order of this.listOrders(filter)) {
      // Checked because a server that ignored the filter would otherwise hand back others' orders.
      if (order.merchantOrderId === merchantOrderId && (!merchantId || order.merchantId === merchantId)) matches.push(order)
    }
    return matches
  }

  /**
   * Cancels every unpaid order that carries `merchantOrderId` but is not `keepId`: the twins a
   * resend leaves when the first attempt committed late. Paid twins cannot be cancelled; they are
   * returned for the caller to adopt (a notification of any of them is this store's money).
   */
  async cancelTwinOrders(merchantOrderId: string, keepId: string, merchantId?: string, known?: InvoiceboxOrder[]): Promise<TwinOrders> {
    const matches = known ?? (await this.findOrdersByMerchantOrderId(merchantOrderId, merchantId))
    const result: TwinOrders = { canceled: [], paid: [] }
    for (const twin of matches) {
      if (twin.id === keepId) continue
      if (twin.status === "completed" || twin.status === "hold") result.paid.push(twin)
      if (twin.status !== "created") continue
      await this.cancelOrder(twin.id)
      result.canceled.push(twin.id)
      this.logger?.warn?.(`Invoicebox: order ${twin.id} is a twin of ${keepId} (merchantOrderId ${merchantOrderId}); cancelled`)
    }
    return result
  }

  /** `PUT /billing/api/order/order/{id}`; Invoicebox accepts it only before payment. */
  async updateOrder(id: string, patch: UpdateOrderRequest): Promise<InvoiceboxOrder> {
    const spec: RequestSpec = {
      operation: "updateOrder",
      method: "PUT",
      path: `/billing/api/order/order/${pathId(id, "updateOrder")}`,
      body: patch,
    }
    return this.expectEntity<InvoiceboxOrder>(spec, await this.request(spec))
  }

  /** `DELETE /billing/api/order/order/{id}`: cancels an unpaid order (or reverses a guarantee payment). */
  async cancelOrder(id: string): Promise<InvoiceboxOrder> {
    const spec: RequestSpec = {
      operation: "cancelOrder",
      method: "DELETE",
      path: `/billing/api/order/order/${pathId(id, "cancelOrder")}`,
    }
    return this.expectEntity<InvoiceboxOrder>(spec, await this.request(spec))
  }

  /** The order with this Invoicebox id, or null. Uses the documented filter (there is no documented single GET). */
  async getOrder(id: string): Promise<InvoiceboxOrder | null> {
    pathId(id, "getOrder")
    const page = await this.findPage<InvoiceboxOrder>("getOrder", "/filter/api/order/order", { id }, {})
    // Checked because a server that ignored the filter would otherwise hand back someone else's order.
    return page.items.find((order) => order.id === id) ?? null
  }

  /** `GET /filter/api/order/order` with Invoicebox filters; one page. */
  async findOrders(filter: OrderFilter = {}, paging: PageRequest = {}): Promise<Page<InvoiceboxOrder>> {
    return this.findPage<InvoiceboxOrder>("findOrders", "/filter/api/order/order", { ...filter }, paging)
  }

  /**
   * The order with exactly this `merchantOrderId` (and `merchantId` when given), or null. Should
   * Invoicebox hold several (uniqueness is reportedly configurable), the newest wins.
   */
  async findOrderByMerchantOrderId(merchantOrderId: string, merchantId?: string): Promise<InvoiceboxOrder | null> {
    requireText(merchantOrderId, "findOrderByMerchantOrderId", "merchantOrderId")
    const filter: OrderFilter = merchantId ? { merchantOrderId, merchantId } : { merchantOrderId }
    const page = await this.findPage<InvoiceboxOrder>(
      "findOrderByMerchantOrderId",
      "/filter/api/order/order",
      { ...filter },
      {}
    )
    const matches = page.items.filter(
      (order) => order.merchantOrderId === merchantOrderId && (!merchantId || order.merchantId === merchantId)
    )
    return keeperOf(matches)
  }

  /** Every order matching `filter`, page by page (for the reconciliation job). */
  async *listOrders(filter: OrderFilter = {}, options: { pageSize?: number } = {}): AsyncGenerator<InvoiceboxOrder> {
    const pageSize = options.pageSize ?? LIST_PAGE_SIZE
    let seen = 0
    for (let page = 1; page <= MAX_PAGES; page++) {
      const result = await this.findOrders(filter, { page, pageSize })
      for (const order of result.items) {
        yield order
      }
      seen += result.items.length
      // The server's page size, not ours: Invoicebox may clamp a large one, and a short page read
      // against the requested size would end the walk early.
      if (result.items.length === 0 || result.items.length < result.pageSize || seen >= result.totalCount) {
        return
      }
    }
  }

  /** `listOrders` collected into an array. */
  async findAllOrders(filter: OrderFilter = {}, options: { pageSize?: number } = {}): Promise<InvoiceboxOrder[]> {
    const orders: InvoiceboxOrder[] = []
    for await (const order of this.listOrders(filter, options)) {
      orders.push(order)
    }
    return orders
  }

  /** `GET /billing/api/order/order/{id}/refund-basket-item`: lines (and money) still refundable. */
  async getRefundableBasket(orderId: string): Promise<RefundableBasketItem[]> {
    const spec: RequestSpec = {
      operation: "getRefundableBasket",
      method: "GET",
      path: `/billing/api/order/order/${pathId(orderId, "getRefundableBasket")}/refund-basket-item`,
    }
    const res = await this.request(spec)
    if (!Array.isArray(res.data)) {
      throw this.invalidResponse(spec, res, "expected a list of basket items in `data`")
    }
    return res.data as RefundableBasketItem[]
  }

  /** `POST /billing/api/order/refund-order`. Not resent on an unknown outcome: see `createOrRecoverRefund`. */
  async createRefund(req: RefundRequest): Promise<InvoiceboxRefund> {
    const spec: RequestSpec = {
      operation: "createRefund",
      method: "POST",
      path: "/billing/api/order/refund-order",
      body: req,
    }
    return this.expectEntity<InvoiceboxRefund>(spec, await this.request(spec))
  }

  /** Like `createOrRecoverOrder`, keyed on the refund's own `merchantOrderId` within its parent order. */
  async createOrRecoverRefund(req: RefundRequest): Promise<RecoveredRefund> {
    const lookup = async () => {
      const page = await this.findPage<InvoiceboxRefund>(
        "createOrRecoverRefund",
        "/filter/api/order/refund-order",
        { merchantOrderId: req.merchantOrderId, parentId: req.parentId },
        {}
      )
      const matches = page.items.filter((r) => r.merchantOrderId === req.merchantOrderId && r.parentId === req.parentId)
      const refund = keeperOf(matches)
      if (refund) {
        this.warnOnDrift("refund", req.merchantOrderId, refund, req)
        if (matches.length > 1) this.warnTwinRefunds(req.merchantOrderId, refund.id, matches)
      }
      return refund
    }
    const result = await this.createOrRecover("createOrRecoverRefund", () => this.createRefund(req), lookup)
    return { refund: result.entity, recovered: result.recovered, resent: result.resent }
  }

  /**
   * `POST /billing/api/order/correction-order` (docs refund/correction.md): the fee / penalty
   * order of a refund with a fee; `parentId` is the draft refund's id. Not resent on an unknown
   * outcome: see `createOrRecoverCorrectionOrder`.
   */
  async createCorrectionOrder(req: CreateOrderRequest & { parentId: string }): Promise<InvoiceboxOrder> {
    requireText(req.parentId, "createCorrectionOrder", "parentId")
    const spec: RequestSpec = { operation: "createCorrectionOrder", method: "POST", path: "/billing/api/order/correction-order", body: req }
    return this.expectEntity<InvoiceboxOrder>(spec, await this.request(spec))
  }

  /**
   * Like `createOrRecoverOrder` for a correction order: a lost answer is resolved by looking the
   * order up by its `merchantOrderId`; only an order correcting this very refund counts.
   */
  async createOrRecoverCorrectionOrder(req: CreateOrderRequest & { parentId: string }): Promise<RecoveredOrder> {
    const lookup = async () => {
      const order = await this.findOrderByMerchantOrderId(req.merchantOrderId, req.merchantId)
      if (!order) return null
      if (order.parentId && order.parentId !== req.parentId) {
        throw new InvoiceboxValidationError(
          `Invoicebox createOrRecoverCorrectionOrder failed: merchant_order_id_duplicate — ${req.merchantOrderId} corrects another refund`,
          { code: "merchant_order_id_duplicate" }
        )
      }
      this.warnOnDrift("order", req.merchantOrderId, order, req)
      return order
    }
    const result = await this.createOrRecover("createOrRecoverCorrectionOrder", () => this.createCorrectionOrder(req), lookup)
    return { order: result.entity, recovered: result.recovered, resent: result.resent }
  }

  /** `GET /filter/api/order/refund-order`; one page. */
  async findRefunds(filter: RefundFilter = {}, paging: PageRequest = {}): Promise<Page<InvoiceboxRefund>> {
    return this.findPage<InvoiceboxRefund>("findRefunds", "/filter/api/order/refund-order", { ...filter }, paging)
  }

  /** `POST /billing/api/order/shipment`: makes Invoicebox issue the closing documents / final receipt. */
  async createShipment(req: ShipmentRequest): Promise<InvoiceboxShipment> {
    const spec: RequestSpec = {
      operation: "createShipment",
      method: "POST",
      path: "/billing/api/order/shipment",
      body: req,
    }
    return this.expectEntity<InvoiceboxShipment>(spec, await this.request(spec))
  }

  /** `GET /filter/api/order/shipment?orderId=…|id=…`; one page. */
  async findShipments(filter: ShipmentFilter = {}, paging: PageRequest = {}): Promise<Page<InvoiceboxShipment>> {
    return this.findPage<InvoiceboxShipment>("findShipments", "/filter/api/order/shipment", { ...filter }, paging)
  }

  /** Company / ИП details by ИНН (`GET /filter/api/counterparty-detail?vatNumber=`), or null if unknown. */
  async findCounterparty(inn: string): Promise<Counterparty | null> {
    const vatNumber = typeof inn === "string" ? inn.trim() : ""
    if (!/^(\d{10}|\d{12})$/.test(vatNumber)) {
      throw new InvoiceboxValidationError(
        "Invoicebox findCounterparty failed: invalid_argument — an ИНН has 10 or 12 digits",
        { code: "invalid_argument", fields: [{ name: "vatNumber", code: "invalid_format", message: "10 or 12 digits" }] }
      )
    }
    const page = await this.findPage<Counterparty>(
      "findCounterparty",
      "/filter/api/counterparty-detail",
      { vatNumber },
      {}
    )
    return page.items.find((c) => c.vatNumber === vatNumber) ?? page.items[0] ?? null
  }

  private async createOrRecover<T>(
    operation: string,
    create: () => Promise<T>,
    lookup: () => Promise<T | null>,
    afterResend?: (entity: T) => Promise<void>
  ): Promise<{ entity: T; recovered: boolean; resent: boolean }> {
    try {
      return { entity: await create(), recovered: false, resent: false }
    } catch (first) {
      const duplicate = isDuplicate(first)
      if (!duplicate && !isAmbiguous(first)) {
        throw first
      }
      const existing = await this.lookupWithin(operation, lookup, first)
      if (existing) {
        this.logger?.warn?.(`Invoicebox ${operation}: recovered the existing object after "${(first as InvoiceboxError).code}"`)
        return { entity: existing, recovered: true, resent: false }
      }
      if (duplicate) {
        throw first
      }
      // Nothing turned up within the wait, so the first attempt most likely created nothing and
      // one resend is the lesser risk. Should it still commit later, the twin it leaves is found
      // and cancelled (afterResend now, the reconciliation job later).
      this.logger?.warn?.(
        `Invoicebox ${operation}: not found within ${this.recoveryWaitMs} ms after "${(first as InvoiceboxError).code}"; sending once more`
      )
      try {
        const entity = await create()
        await afterResend?.(entity)
        return { entity, recovered: false, resent: true }
      } catch (second) {
        if (isDuplicate(second)) {
          const late = await this.safeLookup(operation, lookup, second)
          if (late) {
            return { entity: late, recovered: true, resent: false }
          }
        }
        throw second
      }
    }
  }

  /**
   * Looks for what an attempt with an unknown outcome may have created, again and again with
   * growing pauses until `recoveryWaitMs` has passed: a request Invoicebox is still working on
   * shows up only after its answer was lost.
   */
  private async lookupWithin<T>(operation: string, lookup: () => Promise<T | null>, original: unknown): Promise<T | null> {
    const deadline = Date.now() + this.recoveryWaitMs
    for (let pause = RECOVERY_FIRST_PAUSE_MS; ; pause *= 2) {
      const found = await this.safeLookup(operation, lookup, original)
      const left = deadline - Date.now()
      if (found || left <= 0) return found
      await sleep(Math.min(pause, left))
    }
  }

  /** Refunds cannot be cancelled: a twin is money paid out twice, and the admin must hear of it. */
  private warnTwinRefunds(merchantOrderId: string, keptId: string, matches: Array<{ id: string }>): void {
    this.logger?.error?.(
      `Invoicebox: ${matches.length} refunds carry merchantOrderId ${merchantOrderId} (${matches.map((m) => m.id).join(", ")}); ` +
        `${keptId} is booked now, the others are booked by the refund sync as refunds made outside Medusa`
    )
  }

  /** A failed lookup must not hide the original error: the caller needs to know the outcome is open. */
  private async safeLookup<T>(operation: string, lookup: () => Promise<T | null>, original: unknown): Promise<T | null> {
    try {
      return await lookup()
    } catch (lookupError) {
      this.logger?.warn?.(
        `Invoicebox ${operation}: lookup after "${(original as InvoiceboxError).code}" failed: ${
          lookupError instanceof Error ? lookupError.message : String(lookupError)
        }`
      )
      throw original
    }
  }

  private warnOnDrift(
    kind: string,
    merchantOrderId: string,
    found: { amount?: number; currencyId?: string },
    wanted: { amount?: number; currencyId?: string }
  ): void {
    if (found.amount !== wanted.amount || (wanted.currencyId && found.currencyId !== wanted.currencyId)) {
      this.logger?.warn?.(
        `Invoicebox: the existing ${kind} ${merchantOrderId} has amount ${found.amount} ${found.currencyId ?? ""}, ` +
          `the request had ${wanted.amount} ${wanted.currencyId ?? ""}`
      )
    }
  }

  private async findPage<T>(
    operation: string,
    path: string,
    filter: QueryInput,
    paging: PageRequest
  ): Promise<Page<T>> {
    const page = paging.page ?? 1
    if (hasEmptyListFilter(filter)) {
      return { items: [], totalCount: 0, page, pageSize: paging.pageSize ?? 0 }
    }
    const query: QueryInput = { ...filter }
    if (paging.page !== undefined) query.page = paging.page
    if (paging.pageSize !== undefined) query.pageSize = paging.pageSize
    const spec: RequestSpec = { operation, method: "GET", path, query }
    const res = await this.request(spec)
    if (!Array.isArray(res.data)) {
      throw this.invalidResponse(spec, res, "expected a list in `data`")
    }
    const items = res.data as T[]
    return {
      items,
      totalCount: numberOr(res.metaData.totalCount, items.length),
      page: numberOr(res.metaData.page, page),
      pageSize: numberOr(res.metaData.pageSize, paging.pageSize ?? items.length),
    }
  }

  private expectEntity<T>(spec: RequestSpec, res: Envelope): T {
    if (!isRecord(res.data) || res.data.id === undefined || res.data.id === null) {
      throw this.invalidResponse(spec, res, "expected an object with an id in `data`")
    }
    return res.data as T
  }

  private invalidResponse(spec: RequestSpec, res: Envelope, reason: string): InvoiceboxServerError {
    return invalidResponseError({
      operation: spec.operation,
      method: spec.method,
      path: spec.path,
      status: res.status,
      requestId: res.requestId,
      reason,
      redact: this.redact,
    })
  }

  /** The single HTTP path: one attempt per loop, with the retry decision in `retryDelayFor`. */
  private async request(spec: RequestSpec): Promise<Envelope> {
    for (let retries = 0; ; retries++) {
      try {
        return await this.attempt(spec)
      } catch (error) {
        const delay = retryDelayFor(spec.method, error, retries, this.retryPolicy)
        if (delay === undefined) {
          throw error
        }
        this.logger?.warn?.(
          `${error instanceof Error ? error.message : String(error)}; retry ${retries + 1}/${this.retryPolicy.maxRetries} in ${delay} ms`
        )
        await sleep(delay)
      }
    }
  }

  private async attempt(spec: RequestSpec): Promise<Envelope> {
    // Every attempt, retries included, is one request of the account's quota.
    await this.budget?.acquire(spec.operation)
    const path = spec.path + (spec.query ? encodeQuery(spec.query) : "")
    const url = `${this.baseUrl}/${this.apiPrefix}${path}`
    const started = Date.now()
    // axios' own timeout is a socket-idle timer; this one bounds the whole attempt.
    const deadline = new AbortController()
    const timer = setTimeout(() => deadline.abort(), this.timeoutMs)
    let response
    try {
      response = await this.http.request<string>({
        url,
        method: spec.method,
        headers: this.headers,
        data: spec.body === undefined ? undefined : JSON.stringify(spec.body),
        timeout: this.timeoutMs,
        signal: deadline.signal,
      })
    } catch (error) {
      const mapped = errorFromTransport({
        operation: spec.operation,
        method: spec.method,
        path,
        error,
        timeoutMs: this.timeoutMs,
        redact: this.redact,
      })
      this.logger?.debug?.(`Invoicebox ${spec.operation}: ${spec.method} ${path} -> ${mapped.code} after ${Date.now() - started} ms`)
      throw mapped
    } finally {
      clearTimeout(timer)
    }

    const requestId = headerValue(response.headers["x-request-id"])
    const status = response.status
    this.logger?.debug?.(
      `Invoicebox ${spec.operation}: ${spec.method} ${path} -> ${status} in ${Date.now() - started} ms` +
        (requestId ? ` (request id ${requestId})` : "")
    )
    const bodyText = typeof response.data === "string" ? response.data : ""

    if (status < 200 || status >= 300) {
      throw errorFromResponse({
        operation: spec.operation,
        method: spec.method,
        path,
        status,
        requestId,
        retryAfter: headerValue(response.headers["retry-after"]),
        bodyText,
        redact: this.redact,
      })
    }

    const parsed = tryParseJson(bodyText)
    if (!parsed.ok) {
      if (bodyText.trim() === "") {
        return { status, requestId, data: undefined, metaData: {} }
      }
      throw this.invalidResponse(spec, { status, requestId, data: undefined, metaData: {} }, "the body is not JSON")
    }
    const body = parsed.value
    if (!isRecord(body) || !("data" in body)) {
      throw this.invalidResponse(spec, { status, requestId, data: undefined, metaData: {} }, "no `data` in the body")
    }
    return {
      status,
      requestId,
      data: body.data,
      metaData: isRecord(body.metaData) ? body.metaData : {},
    }
  }
}

function isAmbiguous(error: unknown): boolean {
  return (
    error instanceof InvoiceboxOutcomeUnknownError ||
    error instanceof InvoiceboxServerError ||
    error instanceof InvoiceboxNetworkError
  )
}

function isDuplicate(error: unknown): boolean {
  return error instanceof InvoiceboxValidationError && error.code === "merchant_order_id_duplicate"
}

/** Paid (or held) first, then still open, then the rest: the one a twin set keeps. */
function keeperRank(status: string | undefined): number {
  if (status === "completed" || status === "hold") return 0
  if (status === "created" || status === "draft") return 1
  return 2
}

/**
 * The object of several with one merchantOrderId that is kept: the paid one, else an open one,
 * the earliest created among equals (Invoicebox need not refuse twins, see cancelTwinOrders).
 */
function keeperOf<T extends { createdAt?: string; status?: string }>(items: T[]): T | null {
  if (items.length === 0) {
    return null
  }
  const better = (a: T, b: T) =>
    keeperRank(a.status) - keeperRank(b.status) || timeOf(a.createdAt) - timeOf(b.createdAt)
  return items.reduce((best, item) => (better(item, best) < 0 ? item : best))
}

function timeOf(value: string | undefined): number {
  const t = value ? Date.parse(value) : NaN
  return Number.isNaN(t) ? -Infinity : t
}

function pathId(id: string, operation: string): string {
  return encodeURIComponent(requireText(id, operation, "id"))
}

function requireText(value: string, operation: string, name: string): string {
  if (typeof value !== "string" || value.trim() === "") {
    throw new InvoiceboxValidationError(`Invoicebox ${operation} failed: invalid_argument — ${name} is required`, {
      code: "invalid_argument",
      fields: [{ name, code: "required", message: `${name} is required` }],
    })
  }
  return value
}

function positiveNumber(value: unknown, fallback: number, name: string, allowZero: boolean): number {
  if (value === undefined) {
    return fallback
  }
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw invalidOption(`${name} must be a ${allowZero ? "non-negative" : "positive"} number`)
  }
  return value
}

function numberOr(value: unknown, fallback: number): number {
  const n = typeof value === "string" && value.trim() !== "" ? Number(value) : value
  return typeof n === "number" && Number.isFinite(n) ? n : fallback
}

function headerValue(value: unknown): string | undefined {
  if (Array.isArray(value)) {
    return value.length ? String(value[0]) : undefined
  }
  return value === undefined || value === null || value === "" ? undefined : String(value)
}

function makeRedactor(token: string): Redactor {
  return (text: string) => (text.includes(token) ? text.split(token).join("[redacted]") : text)
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
