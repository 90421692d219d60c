import { MedusaError, Modules } from "@medusajs/framework/utils"
import type InvoiceboxProviderService from "../providers/invoicebox/service"

/** `pp_<identifier>_<id>`: the provider registered with `id: "invoicebox"` in medusa-config. */
export const INVOICEBOX_PROVIDER_ID = "pp_invoicebox_invoicebox"

type Resolver = { resolve<T = unknown>(key: string): T }

/**
 * The provider instance registered in the payment module. Routes, jobs and workflows need its
 * client and options, but providers live in the payment module's own container, which the
 * module exposes as `__container__` (an awilix cradle that throws on unknown keys).
 */
export function resolveInvoiceboxProvider(scope: Resolver, providerId = INVOICEBOX_PROVIDER_ID): InvoiceboxProviderService {
  let provider: unknown
  try {
    const paymentModule = scope.resolve<{ __container__?: Record<string, unknown> }>(Modules.PAYMENT)
    provider = paymentModule?.__container__?.[providerId]
  } catch {
    provider = undefined
  }
  if (!provider || typeof (provider as { client?: unknown }).client !== "object") {
    throw new MedusaError(
      MedusaError.Types.UNEXPECTED_STATE,
      `Платёжный провайдер ${providerId} не зарегистрирован: добавьте его в options.providers модуля @medusajs/medusa/payment / ` +
        `The payment provider ${providerId} is not registered: add it to options.providers of the @medusajs/medusa/payment module`
    )
  }
  return provider as InvoiceboxProviderService
}
