export { InvoiceboxNotification } from "./invoicebox-notification"
