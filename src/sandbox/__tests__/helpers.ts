import http from "node:http"
import type { AddressInfo } from "node:net"
import { DEMO_API_TOKEN, DEMO_MERCHANT_ID } from "../server"

export const TOKEN = DEMO_API_TOKEN
export const MERCHANT = DEMO_MERCHANT_ID

export interface Reply {
  status: number
  headers: Headers
  body: any
  text: string
}

/** A JSON call with the demo token unless `token: null`. */
export async function call(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  options: { token?: string | null; signal?: AbortSignal; headers?: Record<string, string> } = {}
): Promise<Reply> {
  const headers: Record<string, string> = { Accept: "application/json", ...options.headers }
  const token = options.token === undefined ? TOKEN : options.token
  if (token !== null) headers.Authorization = `Bearer ${token}`
  if (body !== undefined) headers["Content-Type"] = "application/json"
  const response = await fetch(base + path, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    signal: options.signal,
    redirect: "manual",
  })
  const text = await response.text()
  let parsed: unknown = undefined
  try {
    parsed = JSON.parse(text)
  } catch {
    parsed = undefined
  }
  return { status: response.status, headers: response.headers, body: parsed, text }
}

export function inDays(days: number): string {
  return new Date(Date.now() + days * 86_400_000).toISOString().replace(/\.\d{3}Z$/, "+00:00")
}

let counter = 0
export function uniqueId(prefix = "order"): string {
  counter += 1
  return `${prefix}-${Date.now()}-${counter}`
}

/**
 * The create-order request of the reference (§3 table, §9 SDK mock), with a valid ИНН and a future
 * expiration date so that it passes strict validation.
 */
export function documentedOrder(overrides: Record<string, unknown> = {}): Record<string, any> {
  return {
    description: "Проездной билет",
    merchantId: MERCHANT,
    merchantOrderId: uniqueId(),
    amount: 2790.67,
    vatAmount: 0,
    currencyId: "RUB",
    languageId: "ru",
    expirationDate: inDays(7),
    basketItems: [
      {
        sku: "0123456789",
        name: "Black Edition",
        measure: "шт",
        measureCode: "796",
        quantity: 1,
        amount: 2790.67,
        amountWoVat: 2790.67,
        totalAmount: 2790.67,
        totalVatAmount: 0,
        vatCode: "VATNONE",
        type: "commodity",
        paymentType: "full_prepayment",
      },
    ],
    customer: {
      type: "legal",
      name: "OOO TEST",
      phone: "78121111111",
      email: "test@test.test",
      vatNumber: "7707083893",
      registrationAddress: "123321, Колотушкина, 1, 1",
      taxRegistrationReasonCode: "504701001",
    },
    ...overrides,
  }
}

/** A B2B order with 20 % VAT: 3 × 1200.00 goods plus delivery 500.00. */
export function vatOrder(overrides: Record<string, unknown> = {}): Record<string, any> {
  return documentedOrder({
    description: "Поставка оборудования",
    amount: 4100,
    vatAmount: 683.33,
    basketItems: [
      {
        sku: "SKU-1",
        name: "Маршрутизатор",
        measure: "шт",
        measureCode: "796",
        quantity: 3,
        amount: 1200,
        amountWoVat: 1000,
        totalAmount: 3600,
        totalVatAmount: 600,
        vatCode: "RUS_VAT20",
        type: "commodity",
        paymentType: "full_prepayment",
      },
      {
        sku: "delivery",
        name: "Доставка",
        measure: "шт",
        measureCode: "796",
        quantity: 1,
        amount: 500,
        amountWoVat: 416.67,
        totalAmount: 500,
        totalVatAmount: 83.33,
        vatCode: "RUS_VAT20",
        type: "service",
        paymentType: "full_prepayment",
      },
    ],
    ...overrides,
  })
}

export interface Received {
  raw: Buffer
  headers: http.IncomingHttpHeaders
}

/** A shop notification endpoint whose answers are scripted per request. */
export async function startReceiver(
  answer: (index: number, received: Received) => { status: number; body: string; delayMs?: number }
): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = []
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on("data", (chunk: Buffer) => chunks.push(chunk))
    req.on("end", () => {
      const entry = { raw: Buffer.concat(chunks), headers: req.headers }
      received.push(entry)
      const reply = answer(received.length - 1, entry)
      const send = () => {
        if (res.destroyed) return
        res.writeHead(reply.status, { "Content-Type": "application/json" })
        res.end(reply.body)
      }
      if (reply.delayMs) setTimeout(send, reply.delayMs)
      else send()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/hooks/invoicebox`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

export async function waitFor<T>(probe: () => T | undefined | null | false, timeoutMs = 5000): Promise<T> {
  const started = Date.now()
  for (;;) {
    const value = probe()
    if (value) return value
    if (Date.now() - started > timeoutMs) throw new Error("waitFor timed out")
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}
