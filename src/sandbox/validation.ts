import {
  ArithmeticProblem,
  checkLine,
  checkTotals,
  kopecksToWire,
  LineNumbers,
  parseKopecks,
  parseQuantity,
  QUANTITY_DECIMALS,
  quantityToWire,
  VAT_RATES,
} from "./arithmetic"
import { isValidInn, isValidKpp } from "./requisites"

export interface FieldError {
  name: string
  code: string
  message: string
}

/** An Invoicebox error answer: HTTP status plus the `{error:{message, code, fields}}` body. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields: FieldError[] = [],
    readonly headers: Record<string, string> = {}
  ) {
    super(message)
  }
  toBody() {
    return { error: { message: this.message, code: this.code, fields: this.fields } }
  }
}

export const CURRENCIES = ["RUB", "USD", "EUR", "GBP", "CNY"]
export const LANGUAGES = ["ru", "en"]
export const PAYMENT_TYPES = ["full_prepayment", "prepayment", "advance", "full_payment"]
export const ITEM_TYPES = ["commodity", "service"]
export const CUSTOMER_TYPES = ["legal", "private"]
export const CATEGORY_TYPES = ["merchantHonestSignMap", "honestSign"]

const ISO_DATETIME_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/

type Json = Record<string, unknown>

export function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value)
}

/** Collects field errors so that one answer names every problem, as Invoicebox's `fields` list does. */
class Checker {
  readonly errors: FieldError[] = []

  add(name: string, code: string, message: string): void {
    this.errors.push({ name, code, message })
  }

  string(obj: Json, key: string, path: string, opts: { required?: boolean; max: number; nonEmpty?: boolean }): string | undefined {
    const value = obj[key]
    if (value === undefined || value === null) {
      if (opts.required) this.add(path, "required", `${path} is required`)
      return undefined
    }
    if (typeof value !== "string") {
      this.add(path, "wrong_type", `${path} must be a string`)
      return undefined
    }
    if ((opts.required || opts.nonEmpty) && value.trim() === "") {
      this.add(path, "required", `${path} must not be empty`)
      return undefined
    }
    if ([...value].length > opts.max) {
      this.add(path, "too_long", `${path} must be at most ${opts.max} characters`)
      return undefined
    }
    return value
  }

  money(obj: Json, key: string, path: string, opts: { required?: boolean } = {}): number | undefined {
    const value = obj[key]
    if (value === undefined || value === null) {
      if (opts.required) this.add(path, "required", `${path} is required`)
      return undefined
    }
    const parsed = parseKopecks(value)
    if (!parsed.ok) {
      const message =
        parsed.reason === "too_many_decimals"
          ? `${path} must have at most 2 decimals`
          : parsed.reason === "too_large"
            ? `${path} is too large`
            : `${path} must be a number`
      this.add(path, parsed.reason === "not_a_number" ? "wrong_type" : "wrong_value", message)
      return undefined
    }
    return parsed.units
  }

  number(obj: Json, key: string, path: string): void {
    const value = obj[key]
    if (value !== undefined && value !== null && (typeof value !== "number" || !Number.isFinite(value))) {
      this.add(path, "wrong_type", `${path} must be a number`)
    }
  }

  boolean(obj: Json, key: string, path: string): void {
    const value = obj[key]
    if (value !== undefined && value !== null && typeof value !== "boolean") {
      this.add(path, "wrong_type", `${path} must be a boolean`)
    }
  }

  object(obj: Json, key: string, path: string, opts: { required?: boolean } = {}): Json | undefined {
    const value = obj[key]
    if (value === undefined || value === null) {
      if (opts.required) this.add(path, "required", `${path} is required`)
      return undefined
    }
    if (!isObject(value)) {
      this.add(path, "wrong_type", `${path} must be an object`)
      return undefined
    }
    return value
  }

  oneOf(obj: Json, key: string, path: string, allowed: string[], opts: { required?: boolean; code?: string } = {}): string | undefined {
    const value = this.string(obj, key, path, { required: opts.required, max: 100 })
    if (value === undefined) return undefined
    if (!allowed.includes(value)) {
      this.add(path, opts.code ?? "wrong_value", `${path} must be one of ${allowed.join(", ")}`)
      return undefined
    }
    return value
  }

  date(obj: Json, key: string, path: string): string | undefined {
    const value = this.string(obj, key, path, { max: 10 })
    if (value === undefined) return undefined
    if (!isValidDate(value)) {
      this.add(path, "wrong_value", `${path} must be a date YYYY-MM-DD`)
      return undefined
    }
    return value
  }
}

export function isValidDate(value: string): boolean {
  const match = ISO_DATE.exec(value)
  if (!match) return false
  const date = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])))
  return date.toISOString().slice(0, 10) === value
}

/** ATOM with an explicit offset, the way Invoicebox writes datetimes. */
export function atom(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "+00:00")
}

export interface ParsedLine extends LineNumbers {
  sku: string
  /** The line as echoed back: known fields only, numbers as sent. */
  wire: Json
}

const OPTIONAL_LINE_STRINGS: Array<[string, number]> = [
  ["groupName", 500],
  ["originCountry", 20],
  ["originCountryCode", 4],
  ["category", 20],
]

/**
 * At most 100 basket items in an order, a refund or a shipment: the official client's schemas
 * (InvoiceBox/invoicebox-mcp-server src/tools/writes.ts:455 createOrder, :670, :804).
 */
export const MAX_BASKET_ITEMS = 100

/** Validates a BasketItem[] (orders, refunds and shipments share the shape) and returns parsed lines. */
function parseBasket(check: Checker, body: Json, maxItems: number, path = "basketItems"): ParsedLine[] {
  const value = body.basketItems
  if (value === undefined || value === null) {
    check.add(path, "required", `${path} is required`)
    return []
  }
  if (!Array.isArray(value)) {
    check.add(path, "wrong_type", `${path} must be an array`)
    return []
  }
  if (value.length === 0) {
    check.add(path, "required", `${path} must not be empty`)
    return []
  }
  if (value.length > maxItems) {
    check.add(path, "wrong_value", `${path} must have at most ${maxItems} items, got ${value.length}`)
    return []
  }
  const lines: ParsedLine[] = []
  value.forEach((item, index) => {
    const prefix = `${path}[${index}]`
    if (!isObject(item)) {
      check.add(prefix, "wrong_type", `${prefix} must be an object`)
      return
    }
    const before = check.errors.length
    const sku = check.string(item, "sku", `${prefix}.sku`, { required: true, max: 500 })
    const name = check.string(item, "name", `${prefix}.name`, { required: true, max: 500 })
    check.string(item, "measure", `${prefix}.measure`, { required: true, max: 10 })
    check.string(item, "measureCode", `${prefix}.measureCode`, { required: true, max: 4 })

    let quantityMicro: number | undefined
    if (item.quantity === undefined || item.quantity === null) {
      check.add(`${prefix}.quantity`, "required", `${prefix}.quantity is required`)
    } else {
      const parsed = parseQuantity(item.quantity)
      if (!parsed.ok) {
        check.add(
          `${prefix}.quantity`,
          parsed.reason === "not_a_number" ? "wrong_type" : "wrong_value",
          parsed.reason === "too_many_decimals"
            ? `${prefix}.quantity must have at most ${QUANTITY_DECIMALS} decimals`
            : `${prefix}.quantity must be a number`
        )
      } else if (parsed.units <= 0) {
        check.add(`${prefix}.quantity`, "wrong_value", `${prefix}.quantity must be greater than zero`)
      } else {
        quantityMicro = parsed.units
      }
    }
    const amount = check.money(item, "amount", `${prefix}.amount`, { required: true })
    const amountWoVat = check.money(item, "amountWoVat", `${prefix}.amountWoVat`, { required: true })
    const totalAmount = check.money(item, "totalAmount", `${prefix}.totalAmount`, { required: true })
    const totalVatAmount = check.money(item, "totalVatAmount", `${prefix}.totalVatAmount`, { required: true })
    check.money(item, "excise", `${prefix}.excise`)
    const vatCode = check.oneOf(item, "vatCode", `${prefix}.vatCode`, Object.keys(VAT_RATES), { required: true })

    const type = item.type
    if (type === undefined || type === null) {
      check.add(`${prefix}.type`, "required", `${prefix}.type is required`)
    } else if (typeof type === "number") {
      if (!Number.isInteger(type) || type < 1 || type > 33) {
        check.add(`${prefix}.type`, "wrong_value", `${prefix}.type must be a tag-1212 code 1..33`)
      }
    } else if (typeof type !== "string" || !ITEM_TYPES.includes(type)) {
      check.add(`${prefix}.type`, "wrong_value", `${prefix}.type must be commodity, service or a tag-1212 code`)
    }
    check.oneOf(item, "paymentType", `${prefix}.paymentType`, PAYMENT_TYPES, { required: true })

    for (const [key, max] of OPTIONAL_LINE_STRINGS) check.string(item, key, `${prefix}.${key}`, { max })
    check.number(item, "grossWeight", `${prefix}.grossWeight`)
    check.number(item, "netWeight", `${prefix}.netWeight`)
    check.date(item, "serviceDate", `${prefix}.serviceDate`)
    if (item.category !== undefined && item.category !== null) {
      check.oneOf(item, "categoryType", `${prefix}.categoryType`, CATEGORY_TYPES, { required: true })
    }
    check.object(item, "metaData", `${prefix}.metaData`)

    if (check.errors.length > before) return
    lines.push({
      sku: sku as string,
      quantityMicro: quantityMicro as number,
      amount: amount as number,
      amountWoVat: amountWoVat as number,
      totalAmount: totalAmount as number,
      totalVatAmount: totalVatAmount as number,
      vatCode: vatCode as string,
      wire: echoLine(item, name as string),
    })
  })
  return lines
}

const LINE_ECHO_KEYS = [
  "sku",
  "name",
  "groupName",
  "measure",
  "measureCode",
  "originCountry",
  "originCountryCode",
  "grossWeight",
  "netWeight",
  "quantity",
  "amount",
  "amountWoVat",
  "totalAmount",
  "totalVatAmount",
  "excise",
  "vatCode",
  "type",
  "serviceDate",
  "paymentType",
  "categoryType",
  "category",
  "metaData",
]

function pick(source: Json, keys: string[]): Json {
  const out: Json = {}
  for (const key of keys) if (source[key] !== undefined && source[key] !== null) out[key] = source[key]
  return out
}

function echoLine(item: Json, name: string): Json {
  return { ...pick(item, LINE_ECHO_KEYS), name }
}

/** Lines are echoed with the numbers normalised, the way a server re-serialises what it stored. */
export function wireLine(line: ParsedLine): Json {
  return {
    ...line.wire,
    quantity: quantityToWire(line.quantityMicro),
    amount: kopecksToWire(line.amount),
    amountWoVat: kopecksToWire(line.amountWoVat),
    totalAmount: kopecksToWire(line.totalAmount),
    totalVatAmount: kopecksToWire(line.totalVatAmount),
  }
}

function arithmeticError(problems: ArithmeticProblem[]): ApiError {
  return new ApiError(
    422,
    problems[0].code,
    "Calculation Error",
    problems.map((problem) => ({ name: problem.field, code: problem.code, message: problem.message }))
  )
}

/** Per-line rules for every line, then the order totals; throws the first failing code with all fields. */
export function checkBasketArithmetic(
  lines: ParsedLine[],
  amount: number,
  vatAmount: number,
  options: { skipVatRuleFor?: (line: ParsedLine) => boolean } = {}
): void {
  const lineProblems = lines.flatMap((line, index) =>
    checkLine(line, `basketItems[${index}]`, { skipVatRule: options.skipVatRuleFor?.(line) })
  )
  if (lineProblems.length > 0) throw arithmeticError(lineProblems)
  const totalProblems = checkTotals(lines, amount, vatAmount)
  if (totalProblems.length > 0) throw arithmeticError(totalProblems)
}

function shapeError(errors: FieldError[]): ApiError {
  return new ApiError(422, "validation_error", "Validation Error", errors)
}

const CUSTOMER_ECHO_KEYS = [
  "type",
  "name",
  "phone",
  "email",
  "vatNumber",
  "taxRegistrationReasonCode",
  "registrationAddress",
  "countryId",
]

function checkCustomer(check: Checker, body: Json): Json | undefined {
  const customer = check.object(body, "customer", "customer", { required: true })
  if (!customer) return undefined
  check.oneOf(customer, "type", "customer.type", CUSTOMER_TYPES)
  check.string(customer, "name", "customer.name", { max: 500 })
  check.string(customer, "phone", "customer.phone", { max: 100 })
  check.string(customer, "email", "customer.email", { max: 100 })
  check.string(customer, "registrationAddress", "customer.registrationAddress", { max: 1000 })
  check.string(customer, "countryId", "customer.countryId", { max: 3 })
  const inn = check.string(customer, "vatNumber", "customer.vatNumber", { max: 20 })
  if (inn !== undefined && inn !== "" && !isValidInn(inn)) {
    check.add("customer.vatNumber", "wrong_value", "customer.vatNumber is not a valid ИНН (10 or 12 digits with a valid checksum)")
  }
  const kpp = check.string(customer, "taxRegistrationReasonCode", "customer.taxRegistrationReasonCode", { max: 9 })
  if (kpp !== undefined && kpp !== "" && !isValidKpp(kpp)) {
    check.add("customer.taxRegistrationReasonCode", "wrong_value", "customer.taxRegistrationReasonCode is not a valid КПП")
  }
  return pick(customer, CUSTOMER_ECHO_KEYS)
}

const ORDER_ECHO_KEYS = [
  "description",
  "merchantId",
  "merchantOrderId",
  "merchantOrderIdVisible",
  "currencyId",
  "languageId",
  "metaData",
  "notificationUrl",
  "successUrl",
  "failUrl",
  "returnUrl",
  "invoiceSetting",
  "orderSetting",
  "parentId",
  "orderContainerId",
  "shopId",
  "userAccountId",
  "processable",
]

/** The fields PUT may change (reference §4.2); anything else in a PUT body is ignored. */
export const UPDATABLE_ORDER_FIELDS = [
  "description",
  "amount",
  "vatAmount",
  "expirationDate",
  "basketItems",
  "metaData",
  "customer",
  "shopId",
]

export interface ValidOrder {
  /** Echo of the known request fields (what the response repeats back). */
  echo: Json
  customer: Json
  lines: ParsedLine[]
  amount: number
  vatAmount: number
  expiresAt: number
  expirationDate: string
}

function checkUrl(check: Checker, body: Json, key: string): void {
  const value = check.string(body, key, key, { max: 1000 })
  if (value === undefined || value === "") return
  try {
    const url = new URL(value)
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error("scheme")
  } catch {
    check.add(key, "wrong_value", `${key} must be an absolute http(s) URL`)
  }
}

/** Full CreateOrderRequest validation; PUT validates the merged order with the same function. */
export function validateOrder(body: unknown, now: number, maxItems = MAX_BASKET_ITEMS): ValidOrder {
  if (!isObject(body)) throw shapeError([{ name: "", code: "wrong_type", message: "The body must be a JSON object" }])
  const check = new Checker()
  check.string(body, "description", "description", { required: true, max: 1000 })
  check.string(body, "merchantId", "merchantId", { required: true, max: 36 })
  check.string(body, "merchantOrderId", "merchantOrderId", { required: true, max: 256 })
  check.string(body, "merchantOrderIdVisible", "merchantOrderIdVisible", { max: 256 })
  const amount = check.money(body, "amount", "amount", { required: true })
  const vatAmount = check.money(body, "vatAmount", "vatAmount", { required: true })
  for (const key of ["notificationUrl", "successUrl", "failUrl", "returnUrl"]) checkUrl(check, body, key)
  for (const key of ["parentId", "orderContainerId", "userAccountId"]) check.string(body, key, key, { max: 36 })
  if (body.shopId !== undefined && body.shopId !== null && typeof body.shopId !== "number") {
    check.string(body, "shopId", "shopId", { max: 36 })
  }
  check.boolean(body, "processable", "processable")
  check.object(body, "metaData", "metaData")
  check.object(body, "invoiceSetting", "invoiceSetting")
  check.object(body, "orderSetting", "orderSetting")
  const customer = checkCustomer(check, body)
  const lines = parseBasket(check, body, maxItems)
  if (amount !== undefined && amount < 0) check.add("amount", "wrong_value", "amount must not be negative")
  if (vatAmount !== undefined && vatAmount < 0) check.add("vatAmount", "wrong_value", "vatAmount must not be negative")

  // These three have error codes of their own (reference §7.1); they win only when nothing else is wrong.
  const specific: ApiError[] = []
  const currency = body.currencyId
  if (currency === undefined || currency === null) {
    check.add("currencyId", "required", "currencyId is required")
  } else if (typeof currency !== "string" || !CURRENCIES.includes(currency)) {
    specific.push(new ApiError(422, "wrong_currency", "Wrong currency", [
      { name: "currencyId", code: "wrong_value", message: `currencyId must be one of ${CURRENCIES.join(", ")}` },
    ]))
  }
  const language = body.languageId
  if (language !== undefined && language !== null && (typeof language !== "string" || !LANGUAGES.includes(language))) {
    specific.push(new ApiError(422, "language_not_found", "Language not found", [
      { name: "languageId", code: "wrong_value", message: "languageId must be ru or en" },
    ]))
  }
  let expiresAt = NaN
  const expiration = body.expirationDate
  if (expiration === undefined || expiration === null) {
    check.add("expirationDate", "required", "expirationDate is required")
  } else {
    expiresAt = typeof expiration === "string" && ISO_DATETIME_WITH_OFFSET.test(expiration) ? Date.parse(expiration) : NaN
    if (!Number.isFinite(expiresAt) || expiresAt <= now) {
      specific.push(new ApiError(422, "wrong_expiration_date", "Wrong expiration date", [
        {
          name: "expirationDate",
          code: "wrong_value",
          message: "expirationDate must be an ISO-8601 datetime with an offset, in the future",
        },
      ]))
    }
  }

  if (check.errors.length > 0) throw shapeError([...check.errors, ...specific.flatMap((error) => error.fields)])
  if (specific.length > 0) throw specific[0]

  checkBasketArithmetic(lines, amount as number, vatAmount as number)

  return {
    echo: pick(body, ORDER_ECHO_KEYS),
    customer: customer as Json,
    lines,
    amount: amount as number,
    vatAmount: vatAmount as number,
    expiresAt,
    expirationDate: atom(expiresAt),
  }
}

export interface ValidRefund {
  parentId: string
  merchantOrderId: string
  description: string
  status: "created" | "draft"
  amount: number
  vatAmount: number
  lines: ParsedLine[]
}

/** CreateRefundOrderRequest shape; amounts against the parent are checked by the state. */
export function validateRefundShape(body: unknown, maxItems = MAX_BASKET_ITEMS): ValidRefund {
  if (!isObject(body)) throw shapeError([{ name: "", code: "wrong_type", message: "The body must be a JSON object" }])
  const check = new Checker()
  const parentId = check.string(body, "parentId", "parentId", { required: true, max: 36 })
  const merchantOrderId = check.string(body, "merchantOrderId", "merchantOrderId", { required: true, max: 100 })
  const description = check.string(body, "description", "description", { required: true, max: 1000 })
  const amount = check.money(body, "amount", "amount", { required: true })
  const vatAmount = check.money(body, "vatAmount", "vatAmount", { required: true })
  const status = check.oneOf(body, "status", "status", ["created", "draft"])
  const lines = parseBasket(check, body, maxItems)
  if (check.errors.length > 0) throw shapeError(check.errors)
  return {
    parentId: parentId as string,
    merchantOrderId: merchantOrderId as string,
    description: description as string,
    status: (status ?? "created") as "created" | "draft",
    amount: amount as number,
    vatAmount: vatAmount as number,
    lines,
  }
}

export interface ValidShipment {
  orderId: string
  documentNumber?: string
  documentDate?: string
  final: boolean
  lines: ParsedLine[]
}

export function validateShipmentShape(body: unknown, maxItems = MAX_BASKET_ITEMS): ValidShipment {
  if (!isObject(body)) throw shapeError([{ name: "", code: "wrong_type", message: "The body must be a JSON object" }])
  const check = new Checker()
  const orderId = check.string(body, "orderId", "orderId", { required: true, max: 36 })
  const documentNumber = check.string(body, "documentNumber", "documentNumber", { max: 36 })
  const documentDate = check.date(body, "documentDate", "documentDate")
  check.boolean(body, "final", "final")
  const lines = parseBasket(check, body, maxItems)
  if (check.errors.length > 0) throw shapeError(check.errors)
  checkBasketArithmetic(lines, sum(lines, "totalAmount"), sum(lines, "totalVatAmount"))
  return {
    orderId: orderId as string,
    documentNumber,
    documentDate,
    final: body.final === true,
    lines,
  }
}

export function sum(lines: ParsedLine[], key: "totalAmount" | "totalVatAmount"): number {
  return lines.reduce((total, line) => total + line[key], 0)
}
