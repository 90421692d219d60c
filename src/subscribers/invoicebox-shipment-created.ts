import type { SubscriberArgs, SubscriberConfig } from "@medusajs/framework"
import { ContainerRegistrationKeys } from "@medusajs/framework/utils"
import { recordShipment } from "../lib/shipments"

/**
 * A Medusa shipment registers the Invoicebox shipment (closing documents), or waits for the
 * payment when the invoice is not paid yet. A failure never blocks the fulfilment: it is recorded
 * in the plugin's shipment table and retried by the reconciliation job.
 */
export default async function invoiceboxShipmentCreated({ event, container }: SubscriberArgs<{ id: string }>) {
  try {
    await recordShipment(container, event.data.id)
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
