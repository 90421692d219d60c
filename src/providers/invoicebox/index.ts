import { ModuleProvider, Modules } from "@medusajs/framework/utils"
import InvoiceboxProviderService from "./service"

export default ModuleProvider(Modules.PAYMENT, {
  services: [InvoiceboxProviderService],
})

export { InvoiceboxProviderService }
export * from "./options"
