import { MedusaService } from "@medusajs/framework/utils"
import { InvoiceboxNotification } from "./models"

/** CRUD over the ledger (listInvoiceboxNotifications, createInvoiceboxNotifications, …). */
class InvoiceboxModuleService extends MedusaService({ InvoiceboxNotification }) {}

export default InvoiceboxModuleService
