/**
 * The plugin's gate client against the sandbox's gate over real WebSockets: the wire format
 * both sides read from docs api/websockets.md has to meet in the middle.
 */
import { Sandbox, startSandbox } from "../../../sandbox"
import { call, documentedOrder, waitFor } from "../../../sandbox/__tests__/helpers"
import { asValue } from "@medusajs/framework/awilix"
import { ContainerRegistrationKeys, Modules, createMedusaContainer } from "@medusajs/framework/utils"
import { InMemoryLockingProvider } from "@medusajs/locking/dist/providers/in-memory"
import { resolveOptions } from "../../../providers/invoicebox/options"
import { startInvoiceboxGates } from ".."
import { GateClient } from "../gate-client"
import { TransportLog } from "../transport-log"

const TOKEN = "gate-sandbox-token-5f1e2d3c4b5a6978"

describe("GateClient against the sandbox gate", () => {
  let sandbox: Sandbox
  let client: GateClient | undefined
  const lines: string[] = []
  const logger = { info: (t: string) => void lines.push(t), warn: (t: string) => void lines.push(t), error: (t: string) => void lines.push(t), debug: () => undefined }

  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0, apiToken: TOKEN, notificationRetry: { attempts: 10, delaysMs: [100, 200, 400, 800] } })
  })
  afterAll(() => sandbox.close())
  afterEach(async () => {
    await client?.stop({ graceMs: 500 })
    client = undefined
    await waitFor(() => sandbox.gateState().connected === 0)
    sandbox.reset()
  })

  function start(onOrder: (order: any) => Promise<unknown>, token = TOKEN) {
    client = new GateClient({
      url: `${sandbox.url.replace(/^http/, "ws")}/v3/gate/rpc`,
      token,
      handlers: { onOrderStatusChange: async (params) => onOrder((params as any[])[0]) },
      log: new TransportLog(logger, "gate", [token]),
      backoff: { baseMs: 50, maxMs: 400 },
    })
    client.start()
    return client
  }

  async function paidOrder() {
    const created = await call(sandbox.url, "POST", "/v3/billing/api/order/order", documentedOrder(), { token: TOKEN })
    expect(created.status).toBe(200)
    await sandbox.pay(created.body.data.id)
    return created.body.data
  }

  it("receives onOrderStatusChange and its answer counts as delivered", async () => {
    const seen: any[] = []
    start(async (order) => (seen.push(order), { status: "success" }))
    await waitFor(() => sandbox.gateState().connected === 1, 10_000)
    const order = await paidOrder()
    await waitFor(() => sandbox.deliveries().find((d) => d.transport === "websocket" && d.outcome === "delivered"), 10_000)
    expect(seen.map((o) => [o.id, o.status])).toEqual([[order.id, "completed"]])
  })

  it("reconnects after the gate drops it during a call and gets the call again", async () => {
    const seen: string[] = []
    const gate = start(async (order) => (seen.push(order.id), { status: "success" }))
    await waitFor(() => sandbox.gateState().connected === 1, 10_000)
    sandbox.injectGateFault("drop-mid-call")
    const order = await paidOrder()
    await waitFor(() => sandbox.deliveries().find((d) => d.transport === "websocket" && d.outcome === "delivered"), 15_000)
    expect(gate.connections).toBeGreaterThanOrEqual(2)
    expect(seen.filter((id) => id === order.id).length).toBeGreaterThanOrEqual(1)
    expect(sandbox.deliveries().filter((d) => d.transport === "websocket")[0]).toMatchObject({ outcome: "failed", willRetry: true })
  })

  it("keeps trying while the gate refuses handshakes and connects once it accepts", async () => {
    sandbox.refuseGateConnections({ count: 3 })
    const gate = start(async () => ({ status: "success" }))
    await waitFor(() => gate.connected, 15_000)
    expect(sandbox.gateState()).toMatchObject({ refused: 3, opened: 1 })
  })

  it("reports a refused token without ever writing it", async () => {
    lines.length = 0
    const wrong = "wrong-token-that-must-not-leak-0001"
    const gate = start(async () => ({ status: "success" }), wrong)
    await waitFor(() => lines.some((l) => /refused the token/.test(l)), 10_000)
    expect(gate.connected).toBe(false)
    expect(lines.join("\n")).not.toContain(wrong)
  })
})

describe("startInvoiceboxGates: one connection per Invoicebox shop, whatever the provider ids", () => {
  const SHOP_B = { merchantId: "0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9", apiToken: "gate-shop-b-token-8a7b6c5d4e3f2a1b" }
  let a: Sandbox
  let b: Sandbox

  beforeAll(async () => {
    a = await startSandbox({ port: 0, apiToken: TOKEN })
    b = await startSandbox({ port: 0, ...SHOP_B })
  })
  afterAll(async () => {
    await a.close()
    await b.close()
  })

  /** A container shaped like Medusa's for what the gate reads: providers, locking, logger. */
  function containerWith(providers: Record<string, Record<string, unknown>>) {
    const cradle: Record<string, unknown> = { payment_providers: Object.keys(providers) }
    for (const [id, options] of Object.entries(providers)) {
      cradle[id] = { client: {}, options: resolveOptions(options as never), providerId: id, bindProviderId: () => undefined }
    }
    const container = createMedusaContainer()
    container.register(Modules.PAYMENT, asValue({ __container__: cradle }))
    container.register(Modules.LOCKING, asValue(new InMemoryLockingProvider()))
    container.register(ContainerRegistrationKeys.LOGGER, asValue({ info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined }))
    return container
  }

  it("connects each shop to its own gate once, shares a shop between its providers, and skips http-only providers", async () => {
    const shopA = { merchantId: "ffffffff-ffff-ffff-ffff-ffffffffffff", apiToken: TOKEN, notificationKey: "k", apiUrl: a.url }
    const gates = startInvoiceboxGates(
      containerWith({
        pp_invoicebox_ooo: { ...shopA, notificationTransport: "websocket" },
        pp_invoicebox_ooo_wholesale: { ...shopA, notificationTransport: "both", storeName: "Опт" },
        pp_invoicebox_ip: { ...SHOP_B, notificationKey: "k2", apiUrl: b.url, notificationTransport: "websocket" },
        pp_invoicebox_http_only: { ...SHOP_B, notificationKey: "k2", apiUrl: b.url, notificationTransport: "http" },
      }) as never
    )
    try {
      // The gate counts a connection before the client has seen its handshake end: wait for both.
      await waitFor(() => a.gateState().connected === 1 && b.gateState().connected === 1 && gates.status().every((g) => g.connected), 15_000)
      expect(gates.status().map((g) => [g.providerId, g.role, g.connected])).toEqual([
        ["pp_invoicebox_ooo", "leader", true],
        ["pp_invoicebox_ip", "leader", true],
      ])
      const { reply } = await b.callShop("getStatus", { logQuantity: 1 })
      expect((reply as any).result.settings).toMatchObject({ providerId: "pp_invoicebox_ip", merchantId: SHOP_B.merchantId })
      expect(JSON.stringify(reply)).not.toContain(SHOP_B.apiToken)
      expect([a.gateState().maxConcurrent, b.gateState().maxConcurrent]).toEqual([1, 1])
    } finally {
      await gates.stop()
    }
    await waitFor(() => a.gateState().connected === 0 && b.gateState().connected === 0)
  })
})
