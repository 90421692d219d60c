import { ContainerRegistrationKeys } from "@medusajs/framework/utils"
import type { Logger } from "@medusajs/framework/types"
import { listInvoiceboxProviders } from "./invoicebox-provider"
import { checkMedusaInternals, rootContainer } from "./medusa-internals"

/**
 * Runs when the app starts (the plugin module's onApplicationStart): proves the Medusa internals
 * the plugin relies on (a broken one stops Medusa here, naming it, instead of failing inside a
 * payment later) and says where each Invoicebox shop's calls go, so that a store set up "for the
 * sandbox" that really talks to production (or the other way round) is seen at boot, not at checkout.
 */
export async function checkInvoiceboxSetup(): Promise<void> {
  const container = rootContainer()
  checkMedusaInternals(container)
  const logger = container.resolve<Logger>(ContainerRegistrationKeys.LOGGER)
  const providers = listInvoiceboxProviders(container)
  if (!providers.length) {
    logger.warn("Invoicebox: the plugin is installed but no Invoicebox payment provider is registered in @medusajs/medusa/payment")
  }
  for (const p of providers) {
    const o = p.options
    logger.info(
      `Invoicebox: ${p.providerId} → ${o.apiUrl}/${o.apiPrefix} (merchant ${o.merchantId}), notifications ` +
        `${o.notificationUrl ? `to ${o.notificationUrl}` : "to the URL set in the Invoicebox cabinet"}`
    )
  }
}
