import { Module } from "@medusajs/framework/utils"
import InvoiceboxModuleService from "./service"

export const INVOICEBOX_MODULE = "invoicebox"

export default Module(INVOICEBOX_MODULE, {
  service: InvoiceboxModuleService,
})

export { InvoiceboxModuleService }
export * from "./models"
