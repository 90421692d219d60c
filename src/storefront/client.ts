import { validatePayer, type Payer } from "../core/requisites/payer"
import { formatPayerErrors } from "../core/requisites/payer-message"
import { checkInn, samePayer } from "./payer"
import { isFinalInvoiceStatus, type InvoiceLookup } from "./view"

/** A subset of @medusajs/js-sdk's FetchArgs: `sdk` must be assignable to StoreClient. */
export interface StoreFetchInit {
  method?: string
  body?: Record<string, any>
  query?: Record<string, string | number | undefined>
  headers?: Record<string, string>
  cache?: "default" | "force-cache" | "no-cache" | "no-store" | "only-if-cached" | "reload"
  signal?: AbortSignal
}

/**
 * What the helpers need of a Medusa client: `sdk.client.fetch` of @medusajs/js-sdk has this shape
 * (JSON body, `query` object, throws on non-2xx with `status` and `message`), and so does
 * createStoreClient for storefronts without the js-sdk.
 */
export interface StoreClient {
  client: { fetch<T = unknown>(path: string, init?: StoreFetchInit): Promise<T> }
}

/** The js-sdk's FetchError, for storefronts that use the kit's own client. */
export class StoreFetchError extends Error {
  constructor(
    message: string,
    readonly status: number
  ) {
    super(message)
    this.name = "StoreFetchError"
  }
}

/** A minimal Store API client (publishable key, JSON) for storefronts without @medusajs/js-sdk. */
export function createStoreClient(opts: { baseUrl: string; publishableKey: string; fetch?: typeof fetch }): StoreClient {
  const doFetch = opts.fetch ?? ((...args: Parameters<typeof fetch>) => fetch(...args))
  return {
    client: {
      async fetch<T>(path: string, init: StoreFetchInit = {}): Promise<T> {
        const url = new URL(opts.baseUrl.replace(/\/+$/, "") + path)
        for (const [k, v] of Object.entries(init.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v))
        const res = await doFetch(url.toString(), {
          method: init.method ?? "GET",
          headers: { "content-type": "application/json", "x-publishable-api-key": opts.publishableKey, ...init.headers },
          body: init.body === undefined ? undefined : JSON.stringify(init.body),
          cache: init.cache,
          signal: init.signal,
        })
        const json = (await res.json().catch(() => ({}))) as { message?: string }
        if (!res.ok) throw new StoreFetchError(json.message ?? `HTTP ${res.status}`, res.status)
        return json as T
      },
    },
  }
}

export const DEFAULT_PROVIDER_ID = "pp_invoicebox_invoicebox"

export interface PaymentSessionLike {
  id: string
  provider_id: string
  status?: string
  amount?: number
  data?: Record<string, unknown>
}

type CartAnswer = { cart: { id: string; total?: number; payment_collection?: { id: string; payment_sessions?: PaymentSessionLike[] } | null } }

function sameUrl(a: unknown, b: string | undefined): boolean {
  const norm = (u: unknown) => {
    if (typeof u !== "string" || u === "") return null
    try {
      return new URL(u).toString()
    } catch {
      return u
    }
  }
  return norm(a) === norm(b)
}

/**
 * Issues the invoice: creates (or reuses) the cart's payment collection and a payment session of
 * the Invoicebox provider with the payer. Call it after the shipping method is set — Medusa drops
 * the session when the cart total changes. An existing session is kept only when it already carries
 * this payer, return URL and total; otherwise a new one is created, so edited requisites always
 * reach the invoice. A payer the server would refuse is refused here, before any request, with the
 * server's message.
 */
export async function startInvoiceSession(
  sdk: StoreClient,
  input: { cartId: string; payer: unknown; returnUrl?: string; providerId?: string; headers?: Record<string, string> }
): Promise<{ session: PaymentSessionLike; reused: boolean }> {
  const providerId = input.providerId ?? DEFAULT_PROVIDER_ID
  const checked = validatePayer(input.payer)
  if (!checked.ok) {
    const { ru, en } = formatPayerErrors(checked.errors)
    throw new StoreFetchError(`${ru} / ${en}`, 400)
  }
  const { cart } = await sdk.client.fetch<CartAnswer>(`/store/carts/${encodeURIComponent(input.cartId)}`, {
    query: { fields: "id,total,payment_collection.id,*payment_collection.payment_sessions" },
    cache: "no-store",
    headers: input.headers,
  })
  const existing = (cart.payment_collection?.payment_sessions ?? []).find(
    (s) =>
      s.provider_id === providerId &&
      (s.status ?? "pending") === "pending" &&
      !!s.data?.invoicebox_order_id &&
      samePayer(s.data?.payer, checked.payer) &&
      sameUrl(s.data?.return_url, input.returnUrl) &&
      (cart.total === undefined || s.amount === undefined || Number(s.amount) === Number(cart.total))
  )
  if (existing) return { session: existing, reused: true }

  const collectionId =
    cart.payment_collection?.id ??
    (await sdk.client.fetch<{ payment_collection: { id: string } }>("/store/payment-collections", { method: "POST", body: { cart_id: cart.id }, headers: input.headers }))
      .payment_collection.id
  const data: { payer: Payer; return_url?: string } = { payer: checked.payer }
  if (input.returnUrl) data.return_url = input.returnUrl
  const { payment_collection } = await sdk.client.fetch<{ payment_collection: { payment_sessions?: PaymentSessionLike[] } }>(
    `/store/payment-collections/${encodeURIComponent(collectionId)}/payment-sessions`,
    { method: "POST", body: { provider_id: providerId, data }, headers: input.headers }
  )
  const session = (payment_collection.payment_sessions ?? []).filter((s) => s.provider_id === providerId).at(-1)
  if (!session) throw new StoreFetchError("Платёжная сессия не создана / The payment session was not created", 500)
  return { session, reused: false }
}

/** A company as GET /store/invoicebox/counterparty answers it (the route declares its answer with this type). */
export interface Counterparty {
  name: string
  inn: string
  kpp: string | null
  address: string | null
  ogrn: string | null
  type: "legal" | "sole_proprietor"
}

export type LookupResult =
  | { status: "found"; counterparty: Counterparty }
  | { status: "not_found" }
  | { status: "invalid"; error: { ru: string; en: string } }
  | { status: "failed"; error: unknown }

/** The company (or ИП) behind an ИНН; an ИНН with a wrong checksum is answered without a request. */
export async function lookupCompany(sdk: StoreClient, inn: string, opts: { providerId?: string } = {}): Promise<LookupResult> {
  const value = inn.trim()
  const problem = checkInn(value)
  if (problem) return { status: "invalid", error: problem }
  try {
    const { counterparty } = await sdk.client.fetch<{ counterparty: Counterparty }>("/store/invoicebox/counterparty", {
      query: { inn: value, provider_id: opts.providerId },
    })
    return { status: "found", counterparty }
  } catch (e) {
    const status = (e as { status?: number })?.status
    if (status === 404) return { status: "not_found" }
    return { status: "failed", error: e }
  }
}

export type InvoiceRef = { cartId: string } | { sessionId: string } | { orderId: string }

export function invoiceQuery(ref: InvoiceRef): Record<string, string> {
  if ("cartId" in ref) return { cart_id: ref.cartId }
  if ("sessionId" in ref) return { session_id: ref.sessionId }
  return { order_id: ref.orderId }
}

/** The order a cart (or session) became and its invoice, never from a cache. */
export function readInvoice(sdk: StoreClient, ref: InvoiceRef, init: { signal?: AbortSignal } = {}): Promise<InvoiceLookup> {
  return sdk.client.fetch<InvoiceLookup>("/store/invoicebox/invoice", { query: invoiceQuery(ref), cache: "no-store", signal: init.signal })
}

export interface PollOptions {
  intervalMs?: number
  signal?: AbortSignal
  onUpdate?: (lookup: InvoiceLookup) => void
  /** A failed read does not stop the polling (the store may restart); it is reported here. */
  onError?: (error: unknown) => void
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms)
    signal?.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true })
  })

/**
 * Reads the invoice until it is final (paid, refunded, expired, cancelled) or `signal` aborts;
 * resolves with the last answer (null when aborted before the first one).
 */
export async function pollUntilPaid(sdk: StoreClient, ref: InvoiceRef, opts: PollOptions = {}): Promise<InvoiceLookup | null> {
  const interval = opts.intervalMs ?? 3000
  let last: InvoiceLookup | null = null
  while (!opts.signal?.aborted) {
    try {
      last = await readInvoice(sdk, ref, { signal: opts.signal })
      opts.onUpdate?.(last)
      if (isFinalInvoiceStatus(last.invoice?.status)) return last
    } catch (e) {
      if (opts.signal?.aborted) break
      opts.onError?.(e)
    }
    await sleep(interval, opts.signal)
  }
  return last
}
