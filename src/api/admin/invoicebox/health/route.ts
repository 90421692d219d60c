import type { AuthenticatedMedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import type { Logger } from "@medusajs/framework/types"
import { ContainerRegistrationKeys } from "@medusajs/framework/utils"
import { InvoiceboxAuthError } from "../../../../core"
import { resolveInvoiceboxProvider } from "../../../../lib"
import { INVOICEBOX_MODULE } from "../../../../modules/invoicebox"
import type InvoiceboxModuleService from "../../../../modules/invoicebox/service"

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

/**
 * GET /admin/invoicebox/health — is the shop connected: the credentials checked against
 * Invoicebox now, the configured merchant, the notification URL to paste into the Invoicebox
 * cabinet, and when the last notification arrived. Secrets are masked.
 */
export async function GET(req: AuthenticatedMedusaRequest, res: MedusaResponse): Promise<void> {
  const logger = req.scope.resolve<Logger>(ContainerRegistrationKeys.LOGGER)
  let provider
  try {
    provider = resolveInvoiceboxProvider(req.scope)
  } catch (e) {
    res.json({ ok: false, configured: false, problem: (e as Error).message })
    return
  }
  const options = provider.options

  const started = Date.now()
  let credentials: { ok: boolean; latency_ms: number; user_id?: string; error?: string; kind?: "auth" | "network" }
  try {
    const auth = await provider.client.checkAuth()
    credentials = { ok: true, latency_ms: Date.now() - started, user_id: auth.userId }
  } catch (e) {
    const auth = e instanceof InvoiceboxAuthError
    logger.warn(`Invoicebox health: credentials check failed: ${(e as Error).message}`)
    credentials = {
      ok: false,
      latency_ms: Date.now() - started,
      kind: auth ? "auth" : "network",
      error: auth
        ? "Инвойсбокс не принял API-токен: проверьте apiToken и префикс API (v3/l3) / Invoicebox rejected the API token: check apiToken and the API prefix (v3/l3)"
        : `Инвойсбокс недоступен: ${(e as Error).message} / Invoicebox is unreachable: ${(e as Error).message}`,
    }
  }

  const ledger = req.scope.resolve<InvoiceboxModuleService>(INVOICEBOX_MODULE)
  const [last] = await ledger.listInvoiceboxNotifications({ source: "notification" }, { order: { received_at: "DESC" }, take: 1 })
  const [lastAny] = await ledger.listInvoiceboxNotifications({}, { order: { received_at: "DESC" }, take: 1 })

  const suggested = `${req.protocol}://${req.get("host")}/hooks/invoicebox`
  let sandbox = false
  try {
    sandbox = LOOPBACK.has(new URL(options.apiUrl).hostname)
  } catch {}

  res.json({
    ok: credentials.ok,
    configured: true,
    merchant_id: options.merchantId,
    api_url: options.apiUrl,
    api_prefix: options.apiPrefix,
    sandbox,
    credentials,
    secrets: {
      api_token: maskSecret(options.apiToken),
      notification_key: maskSecret(options.notificationKey),
    },
    signature_algorithm: options.signatureAlgorithm,
    notification_url: options.notificationUrl ?? suggested,
    notification_url_configured: !!options.notificationUrl,
    last_notification: last
      ? {
          received_at: last.received_at,
          invoicebox_order_id: last.invoicebox_order_id,
          status: last.status,
          verdict: last.verdict,
        }
      : null,
    last_activity: lastAny ? { received_at: lastAny.received_at, source: lastAny.source, verdict: lastAny.verdict } : null,
    checked_at: new Date().toISOString(),
  })
}
