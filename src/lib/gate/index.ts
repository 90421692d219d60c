import { ContainerRegistrationKeys, Modules } from "@medusajs/framework/utils"
import type { Logger, MedusaContainer } from "@medusajs/framework/types"
import { buildUserAgent, packageVersion } from "../../core"
import { usesWebSocket, webSocketUrlFor } from "../../providers/invoicebox/options"
import type InvoiceboxProviderService from "../../providers/invoicebox/service"
import { PROCESSING_BUDGET_MS, sha256 } from "../apply-invoice-state"
import { listInvoiceboxProviders } from "../invoicebox-provider"
import { bilingual, replyFor } from "../invoicebox-verdict"
import { settleOrderNotification } from "../order-notification"
import { GateClient } from "./gate-client"
import { LeaderElection, type LeaseLocking } from "./leader"
import type { RpcHandler } from "./rpc"
import { TransportLog } from "./transport-log"

export { Backoff, reconnectDelay, DEFAULT_BACKOFF, type BackoffPolicy } from "./backoff"
export { Heartbeat } from "./heartbeat"
export { answerRpc, RPC_ERRORS } from "./rpc"
export { GateClient, type GateClientOptions, type SocketLike } from "./gate-client"
export { LeaderElection, type LeaseLocking, type LeaderWork } from "./leader"
export { TransportLog } from "./transport-log"

/** getStatus without logQuantity (docs example: 40); never more lines than the buffer holds. */
const DEFAULT_LOG_QUANTITY = 40

export interface GateStatus {
  providerId: string
  merchantId: string
  url: string
  role: string
  connected: boolean
  connections: number
  connectedSince: string | null
  lastError: string | null
}

interface ShopGate {
  providerId: string
  provider: InvoiceboxProviderService
  client: GateClient
  election: LeaderElection
  log: TransportLog
}

/** The running gate connections of this process (one election per Invoicebox shop). */
export class InvoiceboxGates {
  constructor(private readonly gates: ShopGate[]) {}

  status(): GateStatus[] {
    return this.gates.map(({ providerId, provider, client, election }) => ({
      providerId,
      merchantId: provider.options.merchantId,
      url: webSocketUrlFor(provider.options),
      role: election.role,
      connected: client.connected,
      connections: client.connections,
      connectedSince: client.connectedSince?.toISOString() ?? null,
      lastError: client.lastError ?? null,
    }))
  }

  async stop(): Promise<void> {
    await Promise.all(this.gates.map((gate) => gate.election.stop()))
  }
}

/**
 * Starts one leader election per Invoicebox shop among the providers whose
 * notificationTransport includes the gate. Two providers of one shop (same merchantId and
 * token) share one connection: the gate knows the shop by its token, not by our provider ids.
 */
export function startInvoiceboxGates(container: MedusaContainer): InvoiceboxGates {
  const logger = container.resolve<Logger>(ContainerRegistrationKeys.LOGGER)
  const locking = container.resolve<LeaseLocking>(Modules.LOCKING)
  const byShop = new Map<string, ShopGate>()
  for (const provider of listInvoiceboxProviders(container)) {
    const providerId = provider.providerId
    if (!usesWebSocket(provider.options)) continue
    const { merchantId, apiToken, notificationKey } = provider.options
    // The lock key is visible in Redis: it names the shop by a hash of the token, never the token.
    const shopKey = `${String(merchantId).toLowerCase()}:${sha256(apiToken).slice(0, 16)}`
    const shared = byShop.get(shopKey)
    if (shared) {
      logger.info(`Invoicebox gate: provider ${providerId} shares the connection of ${shared.providerId} (same shop)`)
      continue
    }
    const log = new TransportLog(logger, `Invoicebox gate (${providerId})`, [apiToken, notificationKey])
    if (provider.options.notificationTransport === "websocket" && provider.options.notificationUrl) {
      log.warn(
        `notificationUrl is set although notificationTransport is "websocket": invoices carry it and Invoicebox POSTs there too; ` +
          `use "both" if the URL is reachable, or leave it unset`
      )
    }
    const gate = { providerId, provider, log } as ShopGate
    gate.client = new GateClient({
      url: webSocketUrlFor(provider.options),
      token: apiToken,
      handlers: handlersFor(container, gate),
      closingHandlers: closingHandlersFor(container, gate),
      log,
      userAgent: buildUserAgent(),
    })
    gate.election = new LeaderElection({ lockKey: `invoicebox:ws-gate:${shopKey}`, locking, work: gate.client, log })
    byShop.set(shopKey, gate)
  }
  const gates = [...byShop.values()]
  for (const gate of gates) gate.election.start()
  return new InvoiceboxGates(gates)
}

/**
 * A gate call carries no X-Signature, and needs none to be safe:
 * - Authenticity comes from the connection. The store dialled the gate itself, over TLS with
 *   Node's certificate check (never turned off; plain ws only to loopback, i.e. the sandbox), and
 *   proved itself with the API token. A call on that connection is as trustworthy as an API
 *   answer; over HTTP the notification key alone vouches for a body.
 * - No call's word moves money. Every status but `completed` (hold, a cancellation, an expiry…)
 *   is re-read from the API by applyInvoiceState before it changes Medusa. `completed` is
 *   captured only through the provider's authorizePayment (captureOrderInvoiceWorkflow →
 *   authorizePaymentSessionStep, or processPaymentWorkflow for pay-first carts), which reads the
 *   invoice from the API and checks its amount before the payment module books anything. So that
 *   re-read suffices: a forged `completed` would cost one API request and capture nothing
 *   Invoicebox does not confirm.
 */
function handlersFor(container: MedusaContainer, gate: ShopGate): Record<string, RpcHandler> {
  return {
    // docs api/websockets.md: "params": [ OrderNotification ]; an object in place of the array is
    // taken as the notification itself rather than lost.
    onOrderStatusChange: async (params) => {
      const body = Array.isArray(params) ? params[0] : params
      const receivedAt = new Date()
      const reply = await settleOrderNotification(container, gate.provider, {
        body,
        channel: "websocket",
        bodySha256: sha256(JSON.stringify(body ?? null)),
        receivedAt,
        deadline: receivedAt.getTime() + PROCESSING_BUDGET_MS,
      })
      const order = (body ?? {}) as { id?: unknown; status?: unknown }
      gate.log.info(
        `onOrderStatusChange ${String(order.id)} (${String(order.status)}) → ${reply.status === "success" ? "success" : reply.code}`
      )
      return reply
    },
    getStatus: async (params) => statusReport(gate, params),
  }
}

/**
 * While the store shuts down a new call is not started (the database may be closing): the
 * answer asks Invoicebox to deliver again, and the next leader settles it.
 */
function closingHandlersFor(container: MedusaContainer, gate: ShopGate): Record<string, RpcHandler> {
  return {
    ...handlersFor(container, gate),
    onOrderStatusChange: async () =>
      replyFor("out_of_service", bilingual("Магазин перезапускается, повторите уведомление", "The store is restarting, please retry")),
  }
}

/** docs api/websockets.md, getStatus: { version, type, settings, log[] }. No secret is in it. */
function statusReport(gate: ShopGate, params: unknown): Record<string, unknown> {
  const first = Array.isArray(params) ? params[0] : params
  const asked = Number((first as { logQuantity?: unknown } | undefined)?.logQuantity)
  const quantity = Number.isFinite(asked) && asked >= 0 ? asked : DEFAULT_LOG_QUANTITY
  const options = gate.provider.options
  return {
    version: packageVersion(),
    type: "plugin",
    settings: {
      plugin: "medusa-payment-invoicebox",
      platform: "medusa",
      node: process.version,
      providerId: gate.providerId,
      merchantId: options.merchantId,
      apiUrl: options.apiUrl,
      apiPrefix: options.apiPrefix,
      notificationTransport: options.notificationTransport,
      webSocketUrl: webSocketUrlFor(options),
      notificationUrl: options.notificationUrl ?? null,
      signatureAlgorithm: options.signatureAlgorithm,
      requirePaymentBeforeOrder: !!options.requirePaymentBeforeOrder,
      connection: {
        role: gate.election.role,
        connections: gate.client.connections,
        connectedSince: gate.client.connectedSince?.toISOString() ?? null,
      },
    },
    log: gate.log.recent(quantity),
  }
}
