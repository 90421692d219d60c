import { defineMiddlewares } from "@medusajs/framework/http"
import { invoiceboxCancelGuard } from "./admin/orders/invoicebox-cancel-guard"
import { rejectNulInPaymentData } from "./store/payment-collections/reject-nul"

/**
 * Add routes here; keep one entry per route so that owners can change theirs independently.
 */
export default defineMiddlewares({
  routes: [
    {
      // The notification route reads the raw bytes itself (signature over the exact body, a size
      // limit, and a JSON verdict even for an oversized or broken body); a body parser here would
      // turn those cases into Medusa's generic 4xx error responses.
      matcher: "/hooks/invoicebox",
      methods: ["POST"],
      bodyParser: false,
    },
    {
      matcher: "/hooks/invoicebox/:provider",
      methods: ["POST"],
      bodyParser: false,
    },
    {
      matcher: "/admin/orders/:id/cancel",
      methods: ["POST"],
      middlewares: [invoiceboxCancelGuard],
    },
    {
      matcher: "/store/payment-collections/:id/payment-sessions",
      methods: ["POST"],
      middlewares: [rejectNulInPaymentData],
    },
  ],
})
