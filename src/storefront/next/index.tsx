/**
 * medusa-payment-invoicebox/storefront/next — for Next.js (App Router) storefronts such as Medusa's
 * dtc-starter. Server-side only: server-action wrappers that return errors instead of throwing
 * (production builds replace a thrown action's message), an uncached invoice read, and ready
 * server components that render the kit's client components with plain props.
 */
import { createStoreClient, readInvoice, startInvoiceSession, type InvoiceRef, type StoreClient } from "../client"
import { readInvoiceboxError, type InvoiceboxErrorInfo } from "../errors"
import { translate, type Lang } from "../messages"
import { InvoicePanel, type InvoicePanelClass } from "../react"
import type { ClassNames } from "../react/classes"
import type { InvoiceLookup } from "../view"

export type ActionResult<T> = { ok: true; data: T } | { ok: false; error: InvoiceboxErrorInfo }

/** Runs `fn` and returns its result or its error as data: call it inside your own "use server" action. */
export async function invoiceboxAction<T>(fn: () => Promise<T>): Promise<ActionResult<T>> {
  try {
    return { ok: true, data: await fn() }
  } catch (e) {
    // next/navigation's redirect() and notFound() work by throwing: they must keep going up.
    const digest = (e as { digest?: unknown } | null)?.digest
    if (typeof digest === "string" && /^NEXT_(REDIRECT|NOT_FOUND|HTTP_ERROR_FALLBACK)/.test(digest)) throw e
    return { ok: false, error: readInvoiceboxError(e) }
  }
}

/** The origin the buyer's browser used, from the request headers of the running server action. */
async function requestOrigin(): Promise<string> {
  const { headers } = await import("next/headers.js")
  const h = await headers()
  const host = h.get("x-forwarded-host") ?? h.get("host") ?? "localhost"
  const proto = h.get("x-forwarded-proto") ?? (/^(localhost|127\.0\.0\.1)(:|$)/.test(host) ? "http" : "https")
  return `${proto}://${host}`
}

/**
 * Issues the invoice for a cart from a server action: a fresh payment session whenever the payer
 * changed, `returnPath` (e.g. `/ru/checkout/invoicebox-return`) made absolute on the request's
 * origin with `?cart_id=`. Never throws: a refused payer comes back with its field errors.
 */
export function startInvoiceboxSession(
  sdk: StoreClient,
  input: { cartId: string; payer: unknown; returnPath: string; providerId?: string; headers?: Record<string, string> }
): Promise<ActionResult<{ session_id: string; reused: boolean }>> {
  return invoiceboxAction(async () => {
    const returnUrl = new URL(input.returnPath, await requestOrigin())
    returnUrl.searchParams.set("cart_id", input.cartId)
    const { session, reused } = await startInvoiceSession(sdk, { ...input, returnUrl: returnUrl.toString() })
    return { session_id: session.id, reused }
  })
}

export interface StoreConfig {
  /** Default: NEXT_PUBLIC_MEDUSA_BACKEND_URL, as in Medusa's Next.js starter, else http://localhost:9000. */
  backendUrl?: string
  /** Default: NEXT_PUBLIC_MEDUSA_PUBLISHABLE_KEY. */
  publishableKey?: string
}

function storeConfig(c: StoreConfig = {}): Required<StoreConfig> {
  return {
    backendUrl: c.backendUrl ?? process.env.NEXT_PUBLIC_MEDUSA_BACKEND_URL ?? "http://localhost:9000",
    publishableKey: c.publishableKey ?? process.env.NEXT_PUBLIC_MEDUSA_PUBLISHABLE_KEY ?? "",
  }
}

/** The invoice read past Next's data cache (`cache: "no-store"`), for a status that must be current. */
export async function readInvoiceNoStore(ref: InvoiceRef, config?: StoreConfig): Promise<InvoiceLookup | null> {
  const { backendUrl, publishableKey } = storeConfig(config)
  try {
    return await readInvoice(createStoreClient({ baseUrl: backendUrl, publishableKey }), ref)
  } catch (e) {
    if ((e as { status?: number }).status === 404) return null
    throw e
  }
}

export interface InvoiceboxInvoiceProps extends StoreConfig {
  invoiceRef: InvoiceRef
  lang?: Lang
  classNames?: ClassNames<InvoicePanelClass>
  pollMs?: number
}

/** The confirmation page's invoice (server component): nothing for an order paid another way. */
export async function InvoiceboxInvoice(props: InvoiceboxInvoiceProps) {
  const config = storeConfig(props)
  const initial = await readInvoiceNoStore(props.invoiceRef, config)
  if (!initial?.invoice) return null
  return <InvoicePanel {...config} invoiceRef={props.invoiceRef} initial={initial} lang={props.lang} classNames={props.classNames} pollMs={props.pollMs} hideWhenMissing />
}

type SearchParams = Record<string, string | string[] | undefined>

type ReturnPageProps = { params?: unknown; searchParams?: SearchParams | Promise<SearchParams> }

/**
 * The page Invoicebox sends the buyer back to (`return_url`): works for a guest in any browser, as
 * it needs only the `cart_id` (or `session_id` / `order_id`) of its address. Its props are exactly
 * a Next.js page's; other settings go through createInvoiceboxReturnPage.
 */
export function createInvoiceboxReturnPage(options: { lang?: Lang } & StoreConfig = {}) {
  return async function InvoiceboxReturn(props: ReturnPageProps) {
    const params = (await props.searchParams) ?? {}
    const one = (k: string) => (typeof params[k] === "string" ? (params[k] as string) : undefined)
    const lang: Lang = options.lang ?? (one("lang") === "en" ? "en" : "ru")
    const cartId = one("cart_id")
    const sessionId = one("session_id")
    const orderId = one("order_id")
    const ref: InvoiceRef | null = cartId ? { cartId } : sessionId ? { sessionId } : orderId ? { orderId } : null
    if (!ref) return <p data-testid="invoice-return-missing">{translate(lang, "noReference")}</p>
    const config = storeConfig(options)
    const initial = await readInvoiceNoStore(ref, config)
    const displayId = initial?.order?.display_id
    return (
      <div data-testid="invoice-return">
        <h1 data-testid="invoice-return-title">
          {displayId != null ? `${translate(lang, "order")} ${translate(lang, "numero")} ${displayId}` : translate(lang, "invoice")}
        </h1>
        <InvoicePanel {...config} invoiceRef={ref} initial={initial} lang={lang} />
      </div>
    )
  }
}

/** The return page with the starter's environment variables: `export { InvoiceboxReturnPage as default } from "…/next"`. */
export const InvoiceboxReturnPage = createInvoiceboxReturnPage()
