/**
 * The plugin's gate client against the sandbox's gate over real WebSockets: the wire format
 * both sides read from docs api/websockets.md has to meet in the middle.
 */
import { Sandbox, startSandbox } from "../../../sandbox"
import { call, documentedOrder, waitFor } from "../../../sandbox/__tests__/helpers"
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
