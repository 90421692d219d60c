import type { SubscriberArgs, SubscriberConfig } from "@medusajs/framework"
import { ContainerRegistrationKeys } from "@medusajs/framework/utils"
import { registerInvoiceboxShipment } from "../lib/shipments"

/**
 * A Medusa shipment registers the Invoicebox shipment (closing documents). A failure never
 * blocks the fulfilment: it is recorded on the fulfillment and retried by the reconciliation job.
 */
export default async function invoiceboxShipmentCreated({ event, container }: SubscriberArgs<{ id: string }>) {
  try {
    await registerInvoiceboxShipment(container, event.data.id)
  } catch (e) {
    container
      .resolve(ContainerRegistrationKeys.LOGGER)
      .warn(`Invoicebox: shipment for fulfillment ${event.data.id} not registered yet: ${(e as Error).message}`)
  }
}

export const config: SubscriberConfig = {
  event: "shipment.created",
  context: { subscriberId: "invoicebox-shipment-created" },
}
