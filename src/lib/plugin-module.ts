import { INVOICEBOX_MODULE } from "../modules/invoicebox"
import type InvoiceboxModuleService from "../modules/invoicebox/service"
import { rootContainer } from "./medusa-internals"

type Resolver = { resolve<T = unknown>(key: string): T }

/**
 * The plugin's own module (ledger, invoices, refunds, shipments). Routes, jobs and workflows pass
 * their scope; the payment provider, whose container does not hold it, gets it from the root.
 */
export function invoiceboxModule(scope?: Resolver): InvoiceboxModuleService {
  const resolver: Resolver = scope ?? rootContainer()
  return resolver.resolve<InvoiceboxModuleService>(INVOICEBOX_MODULE)
}
