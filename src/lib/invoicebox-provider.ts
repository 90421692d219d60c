import { MedusaError } from "@medusajs/framework/utils"
import type InvoiceboxProviderService from "../providers/invoicebox/service"
import { INVOICEBOX_PROVIDER_PREFIX, isInvoiceboxProviderId } from "../core/provider-id"
import { paymentProviderInstance, paymentProviderKeys } from "./medusa-internals"

export { INVOICEBOX_PROVIDER_PREFIX, isInvoiceboxProviderId }

type Resolver = { resolve<T = unknown>(key: string): T }

/** `shop2` → `pp_invoicebox_shop2`; a full id is returned as it is. */
export function invoiceboxProviderId(idOrShort: string): string {
  return isInvoiceboxProviderId(idOrShort) ? idOrShort : `${INVOICEBOX_PROVIDER_PREFIX}${idOrShort}`
}

function isProvider(value: unknown): value is InvoiceboxProviderService {
  const v = value as { client?: unknown; options?: unknown; bindProviderId?: unknown } | undefined
  return !!v && typeof v.client === "object" && typeof v.options === "object" && typeof v.bindProviderId === "function"
}

/**
 * Every Invoicebox provider registered in the payment module (one per Invoicebox shop: an ООО and
 * an ИП, a v3 and an l3 shop…), each told its own id. Routes, jobs and workflows take the one
 * they need from here instead of assuming a single `pp_invoicebox_invoicebox`.
 */
export function listInvoiceboxProviders(scope: Resolver): InvoiceboxProviderService[] {
  const out: InvoiceboxProviderService[] = []
  for (const key of paymentProviderKeys(scope)) {
    if (!isInvoiceboxProviderId(key)) continue
    const provider = paymentProviderInstance(scope, key)
    if (!isProvider(provider)) continue
    provider.bindProviderId(key)
    out.push(provider)
  }
  return out
}

/** The provider registered as `providerId` (full or short id). */
export function resolveInvoiceboxProvider(scope: Resolver, providerId: string): InvoiceboxProviderService {
  const id = invoiceboxProviderId(providerId)
  const provider = paymentProviderInstance(scope, id)
  if (!isProvider(provider)) {
    const known = listInvoiceboxProviders(scope).map((p) => p.providerId)
    throw new MedusaError(
      MedusaError.Types.NOT_FOUND,
      `Платёжный провайдер ${id} не зарегистрирован (есть: ${known.join(", ") || "нет"}); добавьте его в options.providers модуля @medusajs/medusa/payment / ` +
        `The payment provider ${id} is not registered (registered: ${known.join(", ") || "none"}); add it to options.providers of the @medusajs/medusa/payment module`
    )
  }
  provider.bindProviderId(id)
  return provider
}

/**
 * For the places that have no invoice yet to tell them the shop (the company look-up, a bare
 * /hooks/invoicebox): the only provider, or the one given. Several providers and none given is
 * an error naming them.
 */
export function defaultInvoiceboxProvider(scope: Resolver, providerId?: string): InvoiceboxProviderService {
  if (providerId) return resolveInvoiceboxProvider(scope, providerId)
  const all = listInvoiceboxProviders(scope)
  if (all.length === 1) return all[0]
  throw new MedusaError(
    all.length ? MedusaError.Types.INVALID_DATA : MedusaError.Types.NOT_FOUND,
    all.length
      ? `Зарегистрировано несколько провайдеров Инвойсбокс (${all.map((p) => p.providerId).join(", ")}): укажите нужный / ` +
          `Several Invoicebox providers are registered (${all.map((p) => p.providerId).join(", ")}): name the one to use`
      : "Ни один провайдер Инвойсбокс не зарегистрирован в модуле @medusajs/medusa/payment / " +
          "No Invoicebox provider is registered in the @medusajs/medusa/payment module"
  )
}
