import { InvoiceboxInvoice } from "medusa-payment-invoicebox/storefront/next"

export default function OrderConfirmed({ params }: { params: { id: string } }) {
  return (
    <main data-testid="order-confirmed">
      <h1>Спасибо! Заказ оформлен.</h1>
      {/* The README's step 4: the invoice on the confirmation page (nothing for other methods). */}
      <InvoiceboxInvoice invoiceRef={{ orderId: params.id }} />
    </main>
  )
}
