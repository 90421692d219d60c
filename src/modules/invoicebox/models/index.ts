export { InvoiceboxInvoice } from "./invoicebox-invoice"
export { InvoiceboxNotification } from "./invoicebox-notification"
export { InvoiceboxRefund } from "./invoicebox-refund"
export { InvoiceboxShipment } from "./invoicebox-shipment"
