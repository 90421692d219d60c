/**
 * Medusa registers a provider as `pp_<identifier>_<id>`; the identifier of this plugin is `invoicebox`.
 * Framework-free: the server and the storefront kit both use it.
 */
export const INVOICEBOX_PROVIDER_PREFIX = "pp_invoicebox_"

export function isInvoiceboxProviderId(id: unknown): id is string {
  return typeof id === "string" && id.startsWith(INVOICEBOX_PROVIDER_PREFIX) && id.length > INVOICEBOX_PROVIDER_PREFIX.length
}
