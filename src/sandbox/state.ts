import { randomUUID } from "node:crypto"
import { kopecksToWire, lineTotal, parseKopecks, QUANTITY_SCALE, quantityToWire, unitWithoutVat, VAT_RATES } from "./arithmetic"
import {
  ApiError,
  atom,
  checkBasketArithmetic,
  isObject,
  ParsedLine,
  sum,
  UPDATABLE_ORDER_FIELDS,
  validateOrder,
  validateRefundShape,
  validateShipmentShape,
  ValidOrder,
  wireLine,
} from "./validation"

type Json = Record<string, unknown>

/** `hold`: the payer confirmed with a deferred instrument (funds held); it becomes `completed` or is released. */
export type OrderStatus = "created" | "hold" | "completed" | "expired" | "canceled"
export type RefundStatus = "draft" | "created" | "completed" | "canceled"

/** An order as the API returns it (rubles, ATOM datetimes). */
export interface SandboxOrder {
  id: string
  status: OrderStatus
  merchantId: string
  merchantOrderId: string
  amount: number
  vatAmount: number
  currencyId: string
  paymentUrl: string
  orderContainerId: string
  createdAt: string
  expirationDate: string
  paidAt?: string
  notificationUrl?: string
  successUrl?: string
  failUrl?: string
  description: string
  languageId: string
  customer: Json
  basketItems: Json[]
  [key: string]: unknown
}

export interface SandboxRefund {
  id: string
  parentId: string
  merchantOrderId: string
  merchantId: string
  description: string
  amount: number
  vatAmount: number
  currencyId: string
  basketItems: Json[]
  createdAt: string
  status: RefundStatus
  [key: string]: unknown
}

export interface SandboxShipment {
  id: number
  orderId: string
  merchantId: string
  status: "completed"
  type: "shipment"
  final: boolean
  documentNumber?: string
  documentDate?: string
  amount: number
  vatAmount: number
  basketItems: Json[]
  createdAt: string
  [key: string]: unknown
}

interface OrderRecord {
  id: string
  status: OrderStatus
  valid: ValidOrder
  createdAt: number
  paidAt?: number
  orderContainerId: string
  /** Set for a correction order: the draft refund it corrects (its `parentId`). */
  correctsRefundId?: string
  /**
   * Paid with a guarantee instrument (pre-authorised card, guarantee fund, promised payment):
   * cancelling such an order before its shipment returns the money (docs merchant/order/delete.md:51-54).
   */
  guarantee?: boolean
  /** The shop answered the paid notification with `shipping_unavailable` (docs merchant/order/delete.md:91-93). */
  shippingUnavailable?: boolean
}

interface RefundRecord {
  id: string
  parentId: string
  merchantOrderId: string
  description: string
  status: RefundStatus
  amount: number
  vatAmount: number
  lines: ParsedLine[]
  parentLines: number[]
  createdAt: number
  /** The correction order (fee / penalty) that recalculated this refund, once there is one. */
  correctionOrderId?: string
}

interface ShipmentRecord {
  id: number
  orderId: string
  final: boolean
  documentNumber?: string
  documentDate?: string
  lines: ParsedLine[]
  parentLines: number[]
  createdAt: number
}

interface Remaining {
  amount: number
  vat: number
  quantityMicro: number
}

export interface CabinetRefundRequest {
  /** Rubles, as typed in the cabinet; absent = everything still refundable. */
  amount?: number
  /** Lines to refund by sku; quantity defaults to the remaining quantity, amount (rubles) to its value. */
  lines?: Array<{ sku: string; quantity?: number; amount?: number }>
  merchantOrderId?: string
  description?: string
  status?: "created" | "draft"
}

export interface StateOptions {
  merchantId: string
  paymentUrl: (orderId: string) => string
  /** Called on every order status change; resolves after the first delivery attempt. */
  onStatusChange: (order: SandboxOrder) => Promise<unknown>
  /** ms until a created refund becomes completed; 0 = right after the response, negative = never. */
  refundCompleteAfterMs: number
  /** Basket items an order, refund or shipment may have (Invoicebox: 100). */
  maxBasketItems?: number
  /**
   * Refuse a second order or refund with a used merchantOrderId. Off by default, as Invoicebox:
   * "уникальность номера в Инвойсбоксе по умолчанию не проверяется" (InvoiceBox/invoicebox-mcp-server
   * src/tools/reads.ts:180); a shop can have the check switched on.
   */
  uniqueMerchantOrderId?: boolean
  now?: () => number
}

export const notFound = (what: string, name: string): ApiError =>
  new ApiError(404, "not_found", `${what} not found`, [{ name, code: "not_found", message: `${what} not found` }])

/** The control verbs (`POST /__sandbox/orders/<id>/<verb>`) and the status each one leads to. */
export const TRANSITIONS = { pay: "completed", hold: "hold", expire: "expired", cancel: "canceled" } as const
export type TransitionVerb = keyof typeof TRANSITIONS
export type TransitionTarget = (typeof TRANSITIONS)[TransitionVerb]

const verbOf = (to: TransitionTarget) => (Object.keys(TRANSITIONS) as TransitionVerb[]).find((verb) => TRANSITIONS[verb] === to)!

const wrongStatus = (status: string, operation: string): ApiError =>
  new ApiError(422, "wrong_order_status", "Wrong order status", [
    { name: "status", code: "wrong_order_status", message: `cannot ${operation} an order in status ${status}` },
  ])

/** The sandbox's in-memory Invoicebox: orders, refunds, shipments and their status rules. */
export class SandboxState {
  private orders = new Map<string, OrderRecord>()
  private refunds = new Map<string, RefundRecord>()
  private shipments: ShipmentRecord[] = []
  private nextShipmentId = 1
  private readonly timers = new Set<NodeJS.Timeout>()
  private readonly now: () => number

  constructor(private readonly options: StateOptions) {
    this.now = options.now ?? Date.now
  }

  reset(): void {
    this.clearTimers()
    this.orders.clear()
    this.refunds.clear()
    this.shipments = []
    this.nextShipmentId = 1
  }

  clearTimers(): void {
    for (const timer of this.timers) clearTimeout(timer)
    this.timers.clear()
  }

  setRefundCompleteAfterMs(ms: number): void {
    this.options.refundCompleteAfterMs = ms
  }

  // ---- orders -------------------------------------------------------------------------------

  private orderWire(record: OrderRecord): SandboxOrder {
    const { valid } = record
    const echo = valid.echo
    const order: SandboxOrder = {
      id: record.id,
      ...echo,
      description: echo.description as string,
      merchantId: echo.merchantId as string,
      merchantOrderId: echo.merchantOrderId as string,
      currencyId: echo.currencyId as string,
      languageId: (echo.languageId as string | undefined) ?? "ru",
      amount: kopecksToWire(valid.amount),
      vatAmount: kopecksToWire(valid.vatAmount),
      basketItems: valid.lines.map(wireLine),
      orderContainerId: record.orderContainerId,
      status: record.status,
      subtype: "order",
      processingStatus: "",
      createdAt: atom(record.createdAt),
      expirationDate: valid.expirationDate,
      fileIds: [],
      paymentUrl: this.options.paymentUrl(record.id),
      customer: { ...valid.customer },
      processable: (echo.processable as boolean | undefined) ?? true,
    }
    if (record.paidAt !== undefined) order.paidAt = atom(record.paidAt)
    return order
  }

  listOrders(): SandboxOrder[] {
    return [...this.orders.values()].map((record) => this.orderWire(record))
  }

  getOrder(id: string): SandboxOrder | undefined {
    const record = this.orders.get(id)
    return record && this.orderWire(record)
  }

  private record(id: string): OrderRecord {
    const record = this.orders.get(id)
    if (!record) throw notFound("Order", "id")
    return record
  }

  private checkMerchant(body: unknown): void {
    if (isObject(body) && typeof body.merchantId === "string" && body.merchantId !== this.options.merchantId) {
      throw new ApiError(403, "forbidden", "Forbidden", [
        { name: "merchantId", code: "forbidden", message: "The token has no access to this merchant" },
      ])
    }
  }

  createOrder(body: unknown): SandboxOrder {
    this.checkMerchant(body)
    const valid = validateOrder(body, this.now(), this.options.maxBasketItems)
    this.assertUniqueMerchantOrderId(valid.echo.merchantOrderId as string)
    const id = randomUUID()
    const record: OrderRecord = {
      id,
      status: "created",
      valid,
      createdAt: this.now(),
      orderContainerId:
        typeof valid.echo.orderContainerId === "string" && valid.echo.orderContainerId !== ""
          ? valid.echo.orderContainerId
          : randomUUID(),
    }
    this.orders.set(id, record)
    return this.orderWire(record)
  }

  private assertUniqueMerchantOrderId(merchantOrderId: string): void {
    if (!this.options.uniqueMerchantOrderId) return
    for (const existing of this.orders.values()) {
      if (existing.valid.echo.merchantOrderId === merchantOrderId) {
        throw new ApiError(422, "merchant_order_id_duplicate", "Merchant order id duplicate", [
          { name: "merchantOrderId", code: "merchant_order_id_duplicate", message: "merchantOrderId is already used" },
        ])
      }
    }
  }

  updateOrder(id: string, patch: unknown): SandboxOrder {
    const record = this.record(id)
    this.checkMerchant(patch)
    if (!isObject(patch)) throw new ApiError(422, "validation_error", "Validation Error", [{ name: "", code: "wrong_type", message: "The body must be a JSON object" }])
    if (record.status !== "created") throw wrongStatus(record.status, "update")
    const current = this.orderWire(record)
    const merged: Json = {
      ...record.valid.echo,
      amount: current.amount,
      vatAmount: current.vatAmount,
      expirationDate: current.expirationDate,
      basketItems: current.basketItems,
      customer: current.customer,
    }
    for (const key of UPDATABLE_ORDER_FIELDS) if (patch[key] !== undefined) merged[key] = patch[key]
    record.valid = validateOrder(merged, this.now(), this.options.maxBasketItems)
    return this.orderWire(record)
  }

  /**
   * Applies a status transition: from `created` to any other status, and from `hold` to
   * `completed` (the money arrived) or `canceled` (the hold is released). The returned promise
   * is the first notification attempt.
   */
  transition(id: string, to: TransitionTarget, payment: { guarantee?: boolean } = {}): { order: SandboxOrder; notified: Promise<unknown> } {
    const record = this.record(id)
    const allowed = record.status === "created" || (record.status === "hold" && (to === "completed" || to === "canceled"))
    if (!allowed) throw wrongStatus(record.status, verbOf(to))
    record.status = to
    if (to === "completed") {
      record.paidAt = this.now()
      if (payment.guarantee) record.guarantee = true
    }
    const order = this.orderWire(record)
    return { order, notified: this.options.onStatusChange(order) }
  }

  /** The shop's final reply to a notification about the order (Notifier's onVerdict). */
  noteVerdict(id: string, status: string, code: string): void {
    const record = this.orders.get(id)
    if (record && status === "completed" && code === "shipping_unavailable") record.shippingUnavailable = true
  }

  /** True once the shop refused the paid order with `shipping_unavailable`. */
  refusedAsUndeliverable(id: string): boolean {
    return this.orders.get(id)?.shippingUnavailable === true
  }

  /**
   * DELETE /order/:id. Before payment: a cancellation. A paid order only when it was paid with a
   * guarantee instrument AND the shop answered `shipping_unavailable`: then the payment is
   * reversed and the order cancelled; "Если в заказе иной статус - возвращается ошибка"
   * (InvoiceBox/docs docs/merchant/order/delete.md:93, and :51-54 for guarantee instruments).
   */
  cancelOrder(id: string): { order: SandboxOrder; notified: Promise<unknown> } {
    const record = this.record(id)
    if (record.status !== "completed") return this.transition(id, "canceled")
    if (!record.guarantee || !record.shippingUnavailable) throw wrongStatus(record.status, "cancel")
    record.status = "canceled"
    const order = this.orderWire(record)
    return { order, notified: this.options.onStatusChange(order) }
  }

  /** Expires every created order whose expirationDate has passed. */
  sweepExpired(): void {
    const now = this.now()
    for (const record of this.orders.values()) {
      if (record.status === "created" && record.valid.expiresAt <= now) {
        // Nobody waits for this notification; its outcome is in the delivery log.
        this.transition(record.id, "expired").notified.catch(() => undefined)
      }
    }
  }

  // ---- refunds ------------------------------------------------------------------------------

  private refundWire(refund: RefundRecord): SandboxRefund {
    const parent = this.record(refund.parentId)
    return {
      id: refund.id,
      parentId: refund.parentId,
      description: refund.description,
      merchantOrderId: refund.merchantOrderId,
      merchantId: this.options.merchantId,
      amount: kopecksToWire(refund.amount),
      vatAmount: kopecksToWire(refund.vatAmount),
      currencyId: parent.valid.echo.currencyId as string,
      basketItems: refund.lines.map(wireLine),
      createdAt: atom(refund.createdAt),
      status: refund.status,
    }
  }

  listRefunds(): SandboxRefund[] {
    return [...this.refunds.values()].map((refund) => this.refundWire(refund))
  }

  /** What is still refundable per parent line; draft refunds reserve their amounts too. */
  private remaining(order: OrderRecord): Remaining[] {
    const remaining = order.valid.lines.map((line) => ({
      amount: line.totalAmount,
      vat: line.totalVatAmount,
      quantityMicro: line.quantityMicro,
    }))
    for (const refund of this.refunds.values()) {
      if (refund.parentId !== order.id || refund.status === "canceled") continue
      refund.lines.forEach((line, index) => {
        const target = remaining[refund.parentLines[index]]
        target.amount -= line.totalAmount
        target.vat -= line.totalVatAmount
        target.quantityMicro = Math.max(0, target.quantityMicro - line.quantityMicro)
      })
    }
    return remaining
  }

  /** GET .../order/{id}/refund-basket-item: remaining lines, shaped so they can be sent back as is. */
  refundableBasket(orderId: string): Json[] {
    const order = this.record(orderId)
    const remaining = this.remaining(order)
    const out: Json[] = []
    order.valid.lines.forEach((line, index) => {
      const left = remaining[index]
      if (left.amount <= 0) return
      const offer = (quantityMicro: number, unit: number, unitWoVat: number, total: number, vat: number) =>
        out.push({
          ...line.wire,
          quantity: quantityToWire(quantityMicro),
          amount: kopecksToWire(unit),
          amountWoVat: kopecksToWire(unitWoVat),
          totalAmount: kopecksToWire(total),
          totalVatAmount: kopecksToWire(vat),
          availableQuantity: quantityToWire(quantityMicro),
          availableAmount: kopecksToWire(total),
          availableVatAmount: kopecksToWire(vat),
        })
      if (left.quantityMicro > 0 && lineTotal(line.amount, left.quantityMicro) === left.amount) {
        offer(left.quantityMicro, line.amount, line.amountWoVat, left.amount, left.vat)
        return
      }
      // Money left that does not divide into the paid unit price is offered the way a refund must
      // send it: whole units at that price, then one unit of the remainder, never a unit dearer than paid.
      const rate = VAT_RATES[line.vatCode] ?? 0
      const units = Math.floor(left.amount / line.amount)
      const rest = left.amount - units * line.amount
      const restWoVat = unitWithoutVat(rest, rate)
      const restVat = Math.min(rest - restWoVat, left.vat)
      if (units > 0) offer(units * QUANTITY_SCALE, line.amount, line.amountWoVat, units * line.amount, left.vat - restVat)
      if (rest > 0) offer(QUANTITY_SCALE, rest, restWoVat, rest, restVat)
    })
    return out
  }

  createRefund(body: unknown): SandboxRefund {
    const request = validateRefundShape(body, this.options.maxBasketItems)
    const parent = this.orders.get(request.parentId)
    if (!parent) throw notFound("Parent order", "parentId")
    if (parent.status !== "completed") throw wrongStatus(parent.status, "refund")
    for (const refund of this.options.uniqueMerchantOrderId ? this.refunds.values() : []) {
      if (refund.merchantOrderId === request.merchantOrderId) {
        throw new ApiError(422, "merchant_order_id_duplicate", "Merchant order id duplicate", [
          { name: "merchantOrderId", code: "merchant_order_id_duplicate", message: "this refund merchantOrderId was already used" },
        ])
      }
    }

    const remaining = this.remaining(parent)
    // An order may hold several lines of one SKU (a discounted line split so that amount ×
    // quantity stays exact): each refund line goes to the first of them that still has room,
    // counting what earlier lines of the same request took.
    const room = remaining.map((left) => left.amount)
    const parentLines: number[] = []
    request.lines.forEach((line, index) => {
      const candidates = parent.valid.lines.map((parentLine, i) => (parentLine.sku === line.sku ? i : -1)).filter((i) => i >= 0)
      if (candidates.length === 0) {
        throw new ApiError(422, "basket_item_not_found", "Basket item not found", [
          { name: `basketItems[${index}].sku`, code: "basket_item_not_found", message: `the order has no line with sku ${line.sku}` },
        ])
      }
      const target = candidates.find((i) => room[i] >= line.totalAmount) ?? candidates[0]
      room[target] -= line.totalAmount
      parentLines.push(target)
    })

    // Shape of each line first (rules 1, 3, 4); rule 2 is waived for a line that takes exactly the
    // remaining amount and VAT, because the remainder after earlier refunds is always acceptable.
    const takesRest = (line: ParsedLine) => {
      const left = remaining[parentLines[request.lines.indexOf(line)]]
      return line.totalAmount === left.amount && line.totalVatAmount === left.vat
    }
    checkBasketArithmetic(request.lines, request.amount, request.vatAmount, { skipVatRuleFor: takesRest })

    const exceeded: Array<{ name: string; code: string; message: string }> = []
    request.lines.forEach((line, index) => {
      const left = remaining[parentLines[index]]
      const prefix = `basketItems[${index}]`
      if (line.totalAmount > left.amount) {
        exceeded.push({ name: `${prefix}.totalAmount`, code: "refund_amount_exceeded", message: `at most ${kopecksToWire(left.amount)} is refundable for sku ${line.sku}` })
      }
      if (line.totalVatAmount > left.vat) {
        exceeded.push({ name: `${prefix}.totalVatAmount`, code: "refund_amount_exceeded", message: `at most ${kopecksToWire(left.vat)} VAT is refundable for sku ${line.sku}` })
      }
      // A refund gives back units that were sold: none may cost more than one unit was paid
      // (the refund's basketItems are the base order's lines, docs/merchant/refund/create.md:39).
      const paid = parent.valid.lines[parentLines[index]]
      if (line.amount > paid.amount) {
        exceeded.push({ name: `${prefix}.amount`, code: "refund_amount_exceeded", message: `a refunded unit of sku ${line.sku} costs at most the paid ${kopecksToWire(paid.amount)}` })
      }
      const oneUnitOfRest = line.quantityMicro === QUANTITY_SCALE && left.amount > 0
      if (line.quantityMicro > left.quantityMicro && !oneUnitOfRest) {
        exceeded.push({ name: `${prefix}.quantity`, code: "refund_amount_exceeded", message: `at most ${quantityToWire(left.quantityMicro)} is refundable for sku ${line.sku}` })
      }
      left.amount -= line.totalAmount
      left.vat -= line.totalVatAmount
      left.quantityMicro = Math.max(0, left.quantityMicro - line.quantityMicro)
    })
    const available = this.remaining(parent).reduce((total, left) => total + left.amount, 0)
    if (request.amount > available) {
      exceeded.push({ name: "amount", code: "refund_amount_exceeded", message: `at most ${kopecksToWire(available)} is refundable` })
    }
    if (exceeded.length > 0) throw new ApiError(422, "refund_amount_exceeded", "Refund amount exceeded", exceeded)

    const record: RefundRecord = {
      id: randomUUID(),
      parentId: parent.id,
      merchantOrderId: request.merchantOrderId,
      description: request.description,
      status: request.status,
      amount: request.amount,
      vatAmount: request.vatAmount,
      lines: request.lines,
      parentLines,
      createdAt: this.now(),
    }
    this.refunds.set(record.id, record)
    const response = this.refundWire(record)
    this.scheduleRefundCompletion(record)
    return response
  }

  private scheduleRefundCompletion(record: RefundRecord): void {
    const delay = this.options.refundCompleteAfterMs
    if (record.status !== "created" || delay < 0) return
    const complete = () => {
      if (record.status === "created") record.status = "completed"
    }
    if (delay === 0) {
      complete()
      return
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer)
      complete()
    }, delay)
    this.timers.add(timer)
  }

  completeRefund(refundId: string): SandboxRefund {
    const refund = this.refunds.get(refundId)
    if (!refund) throw notFound("Refund", "id")
    if (refund.status !== "created" && refund.status !== "completed") {
      throw new ApiError(422, "wrong_order_status", "Wrong order status", [
        { name: "status", code: "wrong_order_status", message: `cannot complete a refund in status ${refund.status}` },
      ])
    }
    refund.status = "completed"
    return this.refundWire(refund)
  }

  /** A refund made by the merchant in the Invoicebox cabinet (not through the API). */
  createCabinetRefund(orderId: string, input: CabinetRefundRequest = {}): SandboxRefund {
    const order = this.record(orderId)
    if (order.status !== "completed") throw wrongStatus(order.status, "refund")
    const remaining = this.remaining(order)
    const lines: Json[] = []
    let amount = 0
    let vatAmount = 0
    const push = (index: number, quantityMicro: number, unit: number, unitWoVat: number, totalAmount: number, vat: number) => {
      const left = remaining[index]
      lines.push({
        ...order.valid.lines[index].wire,
        quantity: quantityToWire(quantityMicro),
        amount: kopecksToWire(unit),
        amountWoVat: kopecksToWire(unitWoVat),
        totalAmount: kopecksToWire(totalAmount),
        totalVatAmount: kopecksToWire(vat),
      })
      left.amount -= totalAmount
      left.vat -= vat
      left.quantityMicro = Math.max(0, left.quantityMicro - quantityMicro)
      amount += totalAmount
      vatAmount += vat
    }
    // The cabinet refunds the way the API demands (unit first, no unit dearer than paid): whole
    // units at the paid price, then one unit of the remainder; all that is left takes its VAT exactly.
    const addLine = (index: number, totalAmount: number, quantityMicro?: number) => {
      const source = order.valid.lines[index]
      const left = remaining[index]
      const takesRest = totalAmount === left.amount
      const vatOfUnits = (q: number, woVat: number, total: number) => Math.min(total - lineTotal(woVat, q), left.vat)
      if (quantityMicro !== undefined && quantityMicro > 0 && lineTotal(source.amount, quantityMicro) === totalAmount) {
        push(index, quantityMicro, source.amount, source.amountWoVat, totalAmount, takesRest ? left.vat : vatOfUnits(quantityMicro, source.amountWoVat, totalAmount))
        return
      }
      const units = Math.floor(totalAmount / source.amount)
      const rest = totalAmount - units * source.amount
      const restWoVat = unitWithoutVat(rest, VAT_RATES[source.vatCode] ?? 0)
      if (units > 0) {
        const unitsVat = vatOfUnits(units * QUANTITY_SCALE, source.amountWoVat, units * source.amount)
        push(index, units * QUANTITY_SCALE, source.amount, source.amountWoVat, units * source.amount, rest === 0 && takesRest ? left.vat : unitsVat)
      }
      if (rest > 0) {
        const restVat = Math.min(rest - restWoVat, left.vat)
        push(index, QUANTITY_SCALE, rest, restWoVat, rest, takesRest && Math.abs(left.vat - restVat) <= 1 ? left.vat : restVat)
      }
    }
    const kopecks = (value: number, name: string): number => {
      const parsed = parseKopecks(value)
      if (!parsed.ok || parsed.units <= 0) {
        throw new ApiError(422, "validation_error", "Validation Error", [{ name, code: "wrong_value", message: `${name} must be a positive amount with at most 2 decimals` }])
      }
      return parsed.units
    }

    if (input.lines && input.lines.length > 0) {
      input.lines.forEach((wanted, n) => {
        const index = order.valid.lines.findIndex((line, i) => line.sku === wanted.sku && remaining[i].amount > 0)
        if (index < 0) throw notFound(`Refundable line ${wanted.sku}`, `lines[${n}].sku`)
        const quantityMicro =
          wanted.quantity !== undefined ? Math.round(wanted.quantity * QUANTITY_SCALE) : remaining[index].quantityMicro
        const total =
          wanted.amount !== undefined
            ? kopecks(wanted.amount, `lines[${n}].amount`)
            : wanted.quantity !== undefined
              ? lineTotal(order.valid.lines[index].amount, quantityMicro)
              : remaining[index].amount
        addLine(index, total, quantityMicro)
      })
    } else {
      let toRefund = input.amount !== undefined ? kopecks(input.amount, "amount") : Number.POSITIVE_INFINITY
      remaining.forEach((left, index) => {
        if (toRefund <= 0 || left.amount <= 0) return
        const take = Math.min(left.amount, toRefund)
        addLine(index, take, take === left.amount ? left.quantityMicro : undefined)
        toRefund -= take
      })
      if (Number.isFinite(toRefund) && toRefund > 0) {
        throw new ApiError(422, "refund_amount_exceeded", "Refund amount exceeded", [
          { name: "amount", code: "refund_amount_exceeded", message: "the amount is more than is left to refund" },
        ])
      }
    }
    if (lines.length === 0) {
      throw new ApiError(422, "refund_amount_exceeded", "Refund amount exceeded", [
        { name: "amount", code: "refund_amount_exceeded", message: "nothing is left to refund" },
      ])
    }
    return this.createRefund({
      parentId: order.id,
      merchantOrderId: input.merchantOrderId ?? `cabinet-refund-${randomUUID()}`,
      description: input.description ?? "Возврат из личного кабинета",
      status: input.status,
      amount: kopecksToWire(amount),
      vatAmount: kopecksToWire(vatAmount),
      basketItems: lines,
    })
  }

  /**
   * POST /billing/api/order/correction-order: the fee / penalty / service-charge order of a
   * refund with a fee. Rules, each from InvoiceBox/docs docs/merchant/refund/:
   * - the body is a full CreateOrderRequest and answers an OrderResponse (correction.md:65-66), so
   *   the order rules (basket arithmetic, customer, expirationDate, unique merchantOrderId —
   *   order/create.md:102) all apply, through the same validateOrder as any order;
   * - `parentId` is required and is the refund's id (correction.md:58-59, order/create.md:118);
   * - that refund must be a `draft` (correction.md:54; refund.md:24: only a draft "возможно
   *   скорректировать"), so a refund is corrected at most once;
   * - the refund is then recalculated to its amount minus the correction's, and that is what the
   *   buyer gets (correction.md:17, :45): the correction must leave something to pay out, and be in
   *   the refund's currency (the two amounts are subtracted);
   * - the refund's lines stay whole: the fiscal "ВОЗВРАТ 100%" receipt is for the refund, and the
   *   correction gets its own "ОПЛАТА 100%" receipt (correction.md:34-37, :46-49), so the correction
   *   is a paid (`completed`) order;
   * - with the correction the draft is formed and paid out (correction.md:17 "После чего
   *   произойдет перерасчёт ... и покупателю осуществится возврат"): `draft` → `created`, then
   *   completed like any created refund.
   * No notification is sent for the correction order: the docs describe none.
   */
  createCorrectionOrder(body: unknown): SandboxOrder {
    this.checkMerchant(body)
    if (isObject(body) && (body.parentId === undefined || body.parentId === null || body.parentId === "")) {
      throw new ApiError(422, "validation_error", "Validation Error", [
        { name: "parentId", code: "required", message: "parentId (the draft refund's id) is required for a correction order" },
      ])
    }
    const valid = validateOrder(body, this.now(), this.options.maxBasketItems)
    const refund = this.refunds.get(valid.echo.parentId as string)
    if (!refund) throw notFound("Refund", "parentId")
    if (refund.status !== "draft") {
      throw new ApiError(422, "wrong_order_status", "Wrong order status", [
        { name: "parentId", code: "wrong_order_status", message: `only a draft refund can be corrected; this refund is ${refund.status}` },
      ])
    }
    const parent = this.record(refund.parentId)
    if (valid.echo.currencyId !== parent.valid.echo.currencyId) {
      throw new ApiError(422, "wrong_currency", "Wrong currency", [
        { name: "currencyId", code: "wrong_value", message: `the refund is in ${String(parent.valid.echo.currencyId)}` },
      ])
    }
    if (valid.amount <= 0 || valid.amount >= refund.amount) {
      throw new ApiError(422, "validation_error", "Validation Error", [
        { name: "amount", code: "wrong_value", message: `a correction must be more than 0 and less than the refund (${kopecksToWire(refund.amount)})` },
      ])
    }
    this.assertUniqueMerchantOrderId(valid.echo.merchantOrderId as string)
    const now = this.now()
    const record: OrderRecord = {
      id: randomUUID(),
      status: "completed",
      valid,
      createdAt: now,
      paidAt: now,
      orderContainerId: randomUUID(),
      correctsRefundId: refund.id,
    }
    this.orders.set(record.id, record)
    refund.amount -= valid.amount
    refund.correctionOrderId = record.id
    refund.status = "created"
    this.scheduleRefundCompletion(refund)
    return this.orderWire(record)
  }

  // ---- shipments ----------------------------------------------------------------------------

  private shipmentWire(shipment: ShipmentRecord): SandboxShipment {
    const out: SandboxShipment = {
      id: shipment.id,
      orderId: shipment.orderId,
      merchantId: this.options.merchantId,
      status: "completed",
      type: "shipment",
      final: shipment.final,
      amount: kopecksToWire(sum(shipment.lines, "totalAmount")),
      vatAmount: kopecksToWire(sum(shipment.lines, "totalVatAmount")),
      basketItems: shipment.lines.map(wireLine),
      createdAt: atom(shipment.createdAt),
    }
    if (shipment.documentNumber !== undefined) out.documentNumber = shipment.documentNumber
    if (shipment.documentDate !== undefined) out.documentDate = shipment.documentDate
    return out
  }

  listShipments(): SandboxShipment[] {
    return this.shipments.map((shipment) => this.shipmentWire(shipment))
  }

  createShipment(body: unknown): SandboxShipment {
    const request = validateShipmentShape(body, this.options.maxBasketItems)
    const order = this.orders.get(request.orderId)
    if (!order) throw notFound("Order", "orderId")
    if (order.status !== "completed") throw wrongStatus(order.status, "ship")

    const shipped = order.valid.lines.map(() => ({ amount: 0, quantityMicro: 0 }))
    for (const shipment of this.shipments) {
      if (shipment.orderId !== order.id) continue
      shipment.lines.forEach((line, index) => {
        shipped[shipment.parentLines[index]].amount += line.totalAmount
        shipped[shipment.parentLines[index]].quantityMicro += line.quantityMicro
      })
    }
    const parentLines: number[] = []
    const problems: Array<{ name: string; code: string; message: string }> = []
    request.lines.forEach((line, index) => {
      const candidates = order.valid.lines.map((parentLine, i) => (parentLine.sku === line.sku ? i : -1)).filter((i) => i >= 0)
      if (candidates.length === 0) {
        throw new ApiError(422, "basket_item_not_found", "Basket item not found", [
          { name: `basketItems[${index}].sku`, code: "basket_item_not_found", message: `the order has no line with sku ${line.sku}` },
        ])
      }
      const fits = (i: number) =>
        shipped[i].quantityMicro + line.quantityMicro <= order.valid.lines[i].quantityMicro &&
        shipped[i].amount + line.totalAmount <= order.valid.lines[i].totalAmount
      const target = candidates.find(fits)
      if (target === undefined) {
        const i = candidates[0]
        problems.push({
          name: `basketItems[${index}]`,
          code: "shipment_amount_exceeded",
          message:
            `sku ${line.sku}: ordered ${quantityToWire(order.valid.lines[i].quantityMicro)} for ${kopecksToWire(order.valid.lines[i].totalAmount)}, ` +
            `already shipped ${quantityToWire(shipped[i].quantityMicro)} for ${kopecksToWire(shipped[i].amount)}`,
        })
        return
      }
      shipped[target].amount += line.totalAmount
      shipped[target].quantityMicro += line.quantityMicro
      parentLines.push(target)
    })
    if (problems.length > 0) throw new ApiError(422, "shipment_amount_exceeded", "Shipment exceeds the order", problems)

    const record: ShipmentRecord = {
      id: this.nextShipmentId++,
      orderId: order.id,
      final: request.final,
      documentNumber: request.documentNumber,
      documentDate: request.documentDate,
      lines: request.lines,
      parentLines,
      createdAt: this.now(),
    }
    this.shipments.push(record)
    return this.shipmentWire(record)
  }
}
