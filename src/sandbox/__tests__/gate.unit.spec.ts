import WebSocket from "ws"
import { Sandbox, startSandbox } from "../index"
import { judgeRpcReply } from "../gate"
import { TOKEN, call, documentedOrder, startReceiver, waitFor } from "./helpers"

const ORDER = "/v3/billing/api/order/order"
const SUCCESS = { status: 200, body: JSON.stringify({ status: "success" }) }

type Answer = (message: any) => unknown | undefined

/** A shop on the gate whose answers are scripted; records every call it got. */
async function connectShop(base: string, answer: Answer = () => ({ status: "success" }), token = TOKEN) {
  const calls: any[] = []
  const ws = new WebSocket(`${base.replace(/^http/, "ws")}/v3/gate/rpc?token=${token}`)
  ws.on("message", (data) => {
    const message = JSON.parse(data.toString())
    calls.push(message)
    const result = answer(message)
    if (result !== undefined) ws.send(JSON.stringify({ jsonrpc: "2.0", id: message.id, result }))
  })
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve())
    ws.once("error", reject)
  })
  return { ws, calls, close: () => ws.terminate() }
}

/** The HTTP status a refused handshake got. */
function handshakeStatus(url: string): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url)
    ws.on("unexpected-response", (_req, res) => {
      resolve(res.statusCode ?? 0)
      ws.terminate()
    })
    ws.on("open", () => {
      resolve(101)
      ws.terminate()
    })
    ws.on("error", () => undefined)
  })
}

describe("sandbox WebSocket gate (docs api/websockets.md)", () => {
  let sandbox: Sandbox
  let base: string
  const shops: Array<{ close(): void }> = []

  beforeAll(async () => {
    sandbox = await startSandbox({
      port: 0,
      // Room for a reconnect between tries on a loaded machine.
      notificationRetry: { attempts: 8, delaysMs: [30, 60, 120, 240, 480] },
      notificationTimeoutMs: 400,
    })
    base = sandbox.url
  })
  afterAll(() => sandbox.close())
  beforeEach(() => sandbox.reset())
  afterEach(async () => {
    for (const shop of shops.splice(0)) shop.close()
    await waitFor(() => sandbox.gateState().connected === 0)
  })

  async function shop(answer?: Answer, token?: string) {
    const connected = await connectShop(base, answer, token)
    shops.push(connected)
    await waitFor(() => sandbox.gateState().connected >= 1)
    return connected
  }

  async function createOrder(overrides: Record<string, unknown> = {}) {
    const reply = await call(base, "POST", ORDER, documentedOrder(overrides))
    expect(reply.status).toBe(200)
    return reply.body.data
  }

  it("accepts the shop's token in the query and refuses a wrong or missing one, and any path but /v3/gate/rpc", async () => {
    const ws = base.replace(/^http/, "ws")
    expect(await handshakeStatus(`${ws}/v3/gate/rpc?token=${TOKEN}`)).toBe(101)
    expect(await handshakeStatus(`${ws}/v3/gate/rpc?token=wrong-token`)).toBe(401)
    expect(await handshakeStatus(`${ws}/v3/gate/rpc`)).toBe(401)
    expect(await handshakeStatus(`${ws}/l3/gate/rpc?token=${TOKEN}`)).toBe(404)
    expect(sandbox.gateState().refused).toBe(2)
  })

  it("calls onOrderStatusChange with [OrderNotification] on a paid order and records the delivery as websocket", async () => {
    const connected = await shop()
    const order = await createOrder()
    await sandbox.pay(order.id)
    expect(connected.calls).toHaveLength(1)
    const [message] = connected.calls
    expect(message).toMatchObject({ jsonrpc: "2.0", method: "onOrderStatusChange" })
    expect(message.id).toMatch(/^[0-9a-f]{20}$/)
    expect(message.params).toHaveLength(1)
    expect(message.params[0]).toMatchObject({ id: order.id, status: "completed", merchantId: order.merchantId })
    const deliveries = sandbox.deliveries().filter((d) => d.orderId === order.id)
    expect(deliveries.map((d) => [d.transport, d.outcome, d.rpcId])).toEqual([
      ["http", "no_url", null],
      ["websocket", "delivered", message.id],
    ])
  })

  it("delivers by both transports when the order has a notification URL and a shop is connected, same notification", async () => {
    const receiver = await startReceiver(() => SUCCESS)
    try {
      const connected = await shop()
      const order = await createOrder({ notificationUrl: receiver.url })
      await sandbox.pay(order.id)
      expect(receiver.received).toHaveLength(1)
      expect(connected.calls).toHaveLength(1)
      // Byte for byte the HTTP body is the call's params[0].
      expect(JSON.parse(receiver.received[0].raw.toString("utf8"))).toEqual(connected.calls[0].params[0])
      const deliveries = sandbox.deliveries().filter((d) => d.orderId === order.id)
      expect(deliveries.map((d) => [d.transport, d.outcome]).sort()).toEqual([
        ["http", "delivered"],
        ["websocket", "delivered"],
      ])
      expect(new Set(deliveries.map((d) => d.notificationId)).size).toBe(1)
    } finally {
      await receiver.close()
    }
  })

  it("makes no call and queues none when no shop is connected", async () => {
    const order = await createOrder()
    await sandbox.pay(order.id)
    const connected = await shop()
    await new Promise((r) => setTimeout(r, 200))
    expect(connected.calls).toHaveLength(0)
    expect(sandbox.deliveries().filter((d) => d.transport === "websocket")).toEqual([])
  })

  it.each([
    ["an out_of_service verdict", (n: number) => (n === 0 ? { status: "error", code: "out_of_service", message: "later" } : { status: "success" })],
    ["no answer", (n: number) => (n === 0 ? undefined : { status: "success" })],
  ])("calls again after %s, with a new id and the same order", async (_what, script) => {
    let n = 0
    const connected = await shop(() => script(n++))
    const order = await createOrder()
    await sandbox.pay(order.id)
    await waitFor(() => sandbox.deliveries().some((d) => d.transport === "websocket" && d.outcome === "delivered"), 5000)
    const ws = sandbox.deliveries().filter((d) => d.transport === "websocket")
    expect(ws.map((d) => [d.attempt, d.outcome, d.willRetry])).toEqual([
      [1, "failed", true],
      [2, "delivered", false],
    ])
    expect(connected.calls[0].id).not.toBe(connected.calls[1].id)
    expect(connected.calls[1].params).toEqual(connected.calls[0].params)
  })

  it("treats a final error verdict as rejected and a JSON-RPC error as failed", () => {
    expect(judgeRpcReply({ jsonrpc: "2.0", id: "1", result: { status: "error", code: "order_wrong_amount" } }).outcome).toBe("rejected")
    expect(judgeRpcReply({ jsonrpc: "2.0", id: "1", result: { status: "error" } }).outcome).toBe("failed")
    expect(judgeRpcReply({ jsonrpc: "2.0", id: "1", error: { code: -32603, message: "Internal error" } }).outcome).toBe("failed")
    expect(judgeRpcReply({ id: "1", result: { status: "success" } }).outcome).toBe("failed")
    expect(judgeRpcReply({ jsonrpc: "2.0", id: "1", result: { status: "success" }, error: null }).outcome).toBe("failed")
    expect(judgeRpcReply({ jsonrpc: "2.0", id: "1", method: "onOrderStatusChange", result: { status: "success" } }).outcome).toBe("delivered")
  })

  it("drops the connection during a call (fault) and calls again once the shop is back", async () => {
    await shop()
    sandbox.injectGateFault("drop-mid-call")
    const order = await createOrder()
    await sandbox.pay(order.id)
    await waitFor(() => sandbox.gateState().connected === 0)
    const again = await shop()
    await waitFor(() => again.calls.length === 1, 5000)
    await waitFor(() => sandbox.deliveries().some((d) => d.transport === "websocket" && d.outcome === "delivered"))
    const outcomes = sandbox.deliveries().filter((d) => d.transport === "websocket").map((d) => d.outcome)
    expect(outcomes[0]).toBe("failed")
    expect(outcomes[outcomes.length - 1]).toBe("delivered")
    expect(again.calls[0].params[0]).toMatchObject({ id: order.id, status: "completed" })
  })

  it("loses a reply with the connection (fault): the call counts as failed although the shop answered", async () => {
    const first = await shop()
    sandbox.injectGateFault("lose-reply")
    const order = await createOrder()
    await sandbox.pay(order.id)
    expect(first.calls).toHaveLength(1)
    await waitFor(() => sandbox.gateState().connected === 0)
    const [attempt] = sandbox.deliveries().filter((d) => d.transport === "websocket")
    expect(attempt).toMatchObject({ outcome: "failed", willRetry: true, error: "the connection closed before the reply" })
  })

  it("refuses handshakes for a while, or a number of them, on request", async () => {
    const url = `${base.replace(/^http/, "ws")}/v3/gate/rpc?token=${TOKEN}`
    sandbox.refuseGateConnections({ count: 2 })
    expect(await handshakeStatus(url)).toBe(503)
    expect(await handshakeStatus(url)).toBe(503)
    expect(await handshakeStatus(url)).toBe(101)
    sandbox.refuseGateConnections({ ms: 60_000 })
    expect(await handshakeStatus(url)).toBe(503)
    const reply = await call(base, "DELETE", "/__sandbox/gate/faults")
    expect(reply.body.data.refusing).toEqual({ until: null, remaining: 0 })
    expect(await handshakeStatus(url)).toBe(101)
  })

  it("calls only the newest of several connections and reports how many were open at once", async () => {
    const older = await shop()
    const newer = await connectShop(base)
    shops.push(newer)
    await waitFor(() => sandbox.gateState().connected === 2)
    const order = await createOrder()
    await sandbox.pay(order.id)
    expect(newer.calls).toHaveLength(1)
    expect(older.calls).toHaveLength(0)
    expect(sandbox.gateState()).toMatchObject({ connected: 2, maxConcurrent: 2 })
  })

  it("calls getStatus with { logQuantity } for diagnostics and returns the shop's answer as is", async () => {
    const connected = await shop((message) => (message.method === "getStatus" ? { version: "2.1", type: "device", settings: {}, log: ["Line 1"] } : undefined))
    const reply = await call(base, "POST", "/__sandbox/gate/call", { method: "getStatus", params: { logQuantity: 40 } })
    expect(connected.calls[0]).toMatchObject({ jsonrpc: "2.0", method: "getStatus", params: { logQuantity: 40 } })
    expect(reply.body.data).toEqual({
      reply: { jsonrpc: "2.0", id: connected.calls[0].id, result: { version: "2.1", type: "device", settings: {}, log: ["Line 1"] } },
      error: null,
    })
    expect(sandbox.deliveries()).toEqual([])
  })

  it("is controlled over HTTP: state, faults, disconnect", async () => {
    await shop()
    let reply = await call(base, "POST", "/__sandbox/gate/faults", { mode: "lose-reply", count: 2 })
    expect(reply.body.data.faults).toEqual([{ mode: "lose-reply", remaining: 2 }])
    reply = await call(base, "POST", "/__sandbox/gate/faults", { mode: "nonsense" })
    expect(reply.status).toBe(422)
    reply = await call(base, "POST", "/__sandbox/gate/disconnect")
    expect(reply.body.data).toEqual({ disconnected: 1 })
    await waitFor(() => sandbox.gateState().connected === 0)
    reply = await call(base, "GET", "/__sandbox/gate")
    expect(reply.body.data).toMatchObject({ connected: 0, opened: 1 })
  })
})
