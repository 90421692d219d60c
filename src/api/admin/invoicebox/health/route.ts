import type { AuthenticatedMedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import type { Logger, MedusaContainer } from "@medusajs/framework/types"
import { ContainerRegistrationKeys } from "@medusajs/framework/utils"
import { InvoiceboxAuthError, SUPPORTED_CURRENCIES } from "../../../../core"
import { listInvoiceboxProviders } from "../../../../lib"
import { usesWebSocket, webSocketUrlFor } from "../../../../providers/invoicebox/options"
import { INVOICEBOX_MODULE } from "../../../../modules/invoicebox"
import type InvoiceboxModuleService from "../../../../modules/invoicebox/service"
import type InvoiceboxProviderService from "../../../../providers/invoicebox/service"

/**
 * Shows enough of a secret to tell two values apart ("b37c…2e"), never enough to use it. Short
 * secrets (a test key such as "test") are shown only by length.
 */
export function maskSecret(value: string | undefined | null): string | null {
  if (!value) return null
  if (value.length < 12) return `${"•".repeat(4)} (${value.length})`
  return `${value.slice(0, 4)}…${value.slice(-2)}`
}

const LOOPBACK = new Set(["localhost", "127.0.0.1", "::1", "[::1]"])

/** Something that makes invoices wrong without any error: the merchant reads it on the settings page. */
export interface SetupWarning {
  code: "no_region" | "unsupported_currency" | "no_tax_rates" | "no_notification_url"
  message: string
}

/**
 * GET /admin/invoicebox/health — is each Invoicebox shop connected: the credentials checked
 * against Invoicebox now, the merchant, the notification URL to paste into the cabinet, when the
 * last notification arrived, and what in the store's setup would make invoices silently wrong.
 * Secrets are masked. The first provider's fields are also at the top level.
 */
export async function GET(req: AuthenticatedMedusaRequest, res: MedusaResponse): Promise<void> {
  const providers = listInvoiceboxProviders(req.scope)
  if (!providers.length) {
    res.json({
      ok: false,
      configured: false,
      providers: [],
      problem:
        "Ни один провайдер Инвойсбокс не зарегистрирован в модуле @medusajs/medusa/payment / No Invoicebox provider is registered in the @medusajs/medusa/payment module",
    })
    return
  }
  const base = `${req.protocol}://${req.get("host")}/hooks/invoicebox`
  const views = await Promise.all(providers.map((p) => providerHealth(req.scope, p, providers.length > 1 ? `${base}/${shortId(p.providerId)}` : base)))
  res.json({ ...views[0], ok: views.every((v) => v.ok), providers: views })
}

const shortId = (providerId: string) => providerId.replace(/^pp_invoicebox_/, "")

async function providerHealth(scope: MedusaContainer, provider: InvoiceboxProviderService, suggestedUrl: string) {
  const logger = scope.resolve<Logger>(ContainerRegistrationKeys.LOGGER)
  const options = provider.options
  const started = Date.now()
  let credentials: { ok: boolean; latency_ms: number; user_id?: string; error?: string; kind?: "auth" | "network" }
  try {
    const auth = await provider.client.checkAuth()
    credentials = { ok: true, latency_ms: Date.now() - started, user_id: auth.userId }
  } catch (e) {
    const auth = e instanceof InvoiceboxAuthError
    logger.warn(`Invoicebox health (${provider.providerId}): credentials check failed: ${(e as Error).message}`)
    credentials = {
      ok: false,
      latency_ms: Date.now() - started,
      kind: auth ? "auth" : "network",
      error: auth
        ? "Инвойсбокс не принял API-токен: проверьте apiToken и префикс API (v3/l3) / Invoicebox rejected the API token: check apiToken and the API prefix (v3/l3)"
        : `Инвойсбокс недоступен: ${(e as Error).message} / Invoicebox is unreachable: ${(e as Error).message}`,
    }
  }

  const ledger = scope.resolve<InvoiceboxModuleService>(INVOICEBOX_MODULE)
  const [last] = await ledger.listInvoiceboxNotifications({ source: "notification", provider_id: provider.providerId }, { order: { received_at: "DESC" }, take: 1 })
  const [lastAny] = await ledger.listInvoiceboxNotifications({ provider_id: provider.providerId }, { order: { received_at: "DESC" }, take: 1 })
  let sandbox = false
  try {
    sandbox = LOOPBACK.has(new URL(options.apiUrl).hostname)
  } catch {}

  return {
    provider_id: provider.providerId,
    ok: credentials.ok,
    configured: true,
    merchant_id: options.merchantId,
    api_url: options.apiUrl,
    api_prefix: options.apiPrefix,
    sandbox,
    credentials,
    secrets: { api_token: maskSecret(options.apiToken), notification_key: maskSecret(options.notificationKey) },
    signature_algorithm: options.signatureAlgorithm,
    notification_url: options.notificationUrl ?? suggestedUrl,
    notification_url_configured: !!options.notificationUrl,
    warnings: await setupWarnings(scope, provider),
    last_notification: last
      ? { received_at: last.received_at, invoicebox_order_id: last.invoicebox_order_id, status: last.status, verdict: last.verdict }
      : null,
    last_activity: lastAny ? { received_at: lastAny.received_at, source: lastAny.source, verdict: lastAny.verdict } : null,
    notification_transport: options.notificationTransport,
    // This instance's view: with several instances one of them leads, the others stand by (a
    // `server` instance holds no gate at all, so it shows none).
    web_socket: usesWebSocket(options)
      ? { url: webSocketUrlFor(options), gates: ledger.gateStatus().filter((g) => g.merchantId === options.merchantId) }
      : null,
    checked_at: new Date().toISOString(),
  }
}

/** The regions offering the provider, their currencies and tax rates, and how notifications arrive. */
export async function setupWarnings(scope: MedusaContainer, provider: InvoiceboxProviderService): Promise<SetupWarning[]> {
  const query = scope.resolve(ContainerRegistrationKeys.QUERY)
  const warnings: SetupWarning[] = []
  const { data: regions } = await query.graph({
    entity: "region",
    fields: ["id", "name", "currency_code", "countries.iso_2", "payment_providers.id"],
    filters: {},
  })
  const offering = regions.filter((r: any) => (r.payment_providers ?? []).some((p: any) => p?.id === provider.providerId))
  if (!offering.length) {
    warnings.push({
      code: "no_region",
      message: `Способ оплаты ${provider.providerId} не подключён ни к одному региону: покупатели его не увидят / ${provider.providerId} is not enabled in any region: buyers cannot choose it`,
    })
  }
  const countries = [...new Set(offering.flatMap((r: any) => (r.countries ?? []).map((c: any) => c?.iso_2)).filter(Boolean))] as string[]
  const { data: taxRegions } = countries.length
    ? await query.graph({ entity: "tax_region", fields: ["country_code", "tax_rates.rate"], filters: { country_code: countries } })
    : { data: [] }
  const taxed = new Set(taxRegions.filter((t: any) => (t.tax_rates ?? []).length > 0).map((t: any) => t.country_code))
  for (const r of offering) {
    const currency = String(r.currency_code ?? "").toUpperCase()
    if (!(SUPPORTED_CURRENCIES as readonly string[]).includes(currency)) {
      warnings.push({
        code: "unsupported_currency",
        message: `Регион «${r.name}» в валюте ${currency}: Инвойсбокс её не принимает (допустимы ${SUPPORTED_CURRENCIES.join(", ")}) / Region "${r.name}" uses ${currency}, which Invoicebox does not take (supported: ${SUPPORTED_CURRENCIES.join(", ")})`,
      })
    }
    const untaxed = (r.countries ?? []).map((c: any) => c?.iso_2).filter((c: string) => c && !taxed.has(c))
    if (untaxed.length) {
      warnings.push({
        code: "no_tax_rates",
        message: `Для стран ${untaxed.join(", ")} региона «${r.name}» нет налоговых ставок: каждая позиция счёта уйдёт «без НДС» (${provider.options.untaxedVatCode}) / Countries ${untaxed.join(", ")} of region "${r.name}" have no tax rates: every invoice line goes out as ${provider.options.untaxedVatCode}`,
      })
    }
  }
  const transport = provider.options.notificationTransport ?? "http"
  if (!provider.options.notificationUrl && transport === "http") {
    warnings.push({
      code: "no_notification_url",
      message:
        "Не задан notificationUrl и не включены уведомления по WebSocket: оплаты будут видны только после проверки задания сверки (или по адресу из кабинета Инвойсбокс) / " +
        "No notificationUrl and no WebSocket transport: payments show only when the reconciliation job checks (or through the URL set in the Invoicebox cabinet)",
    })
  }
  return warnings
}
