import { EventEmitter } from "node:events"
import { InMemoryLockingProvider } from "@medusajs/locking/dist/providers/in-memory"
import { Backoff, reconnectDelay } from "../backoff"
import { GateClient, type SocketLike } from "../gate-client"
import { Heartbeat } from "../heartbeat"
import { LeaderElection, type LeaseLocking, type LeaderWork } from "../leader"
import { answerRpc } from "../rpc"
import { TransportLog } from "../transport-log"

const TOKEN = "gate-unit-token-0123456789abcdef"

function quietLogger() {
  const lines: string[] = []
  const write = (text: string) => void lines.push(text)
  return { lines, logger: { info: write, warn: write, error: write, debug: write } }
}

describe("reconnectDelay", () => {
  const policy = { baseMs: 1000, maxMs: 30_000, factor: 2 }

  it("doubles its ceiling per failure up to the cap, with half of it fixed and half random", () => {
    const low = [0, 1, 2, 3, 4, 5, 6].map((n) => reconnectDelay(n, policy, () => 0))
    const high = [0, 1, 2, 3, 4, 5, 6].map((n) => reconnectDelay(n, policy, () => 1))
    expect(high).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000])
    expect(low).toEqual(high.map((h) => h / 2))
  })

  it("never leaves [ceiling / 2, ceiling], whatever the random source returns", () => {
    for (const r of [-1, 0, 0.25, 0.5, 0.999, 1, 2, Number.NaN]) {
      for (const n of [0, 3, 10, 1000]) {
        const d = reconnectDelay(n, policy, () => r)
        const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(n, 32))
        expect(Number.isFinite(d)).toBe(true)
        expect(d).toBeGreaterThanOrEqual(ceiling / 2)
        expect(d).toBeLessThanOrEqual(ceiling)
      }
    }
  })

  it("spreads instances: different random draws give different delays", () => {
    const draws = [0.1, 0.4, 0.7, 0.95].map((r) => reconnectDelay(3, policy, () => r))
    expect(new Set(draws).size).toBe(draws.length)
  })

  it("Backoff counts consecutive failures and starts over after reset", () => {
    const backoff = new Backoff(policy, () => 1)
    expect([backoff.next(), backoff.next(), backoff.next()]).toEqual([1000, 2000, 4000])
    backoff.reset()
    expect(backoff.next()).toBe(1000)
  })
})

describe("Heartbeat", () => {
  beforeEach(() => jest.useFakeTimers())
  afterEach(() => jest.useRealTimers())

  it("pings every interval and declares the peer dead when a ping went unanswered until the next", () => {
    const ping = jest.fn()
    const onDead = jest.fn()
    const hb = new Heartbeat({ intervalMs: 1000, ping, onDead })
    hb.start()
    jest.advanceTimersByTime(1000)
    expect(ping).toHaveBeenCalledTimes(1)
    expect(onDead).not.toHaveBeenCalled()
    jest.advanceTimersByTime(1000)
    expect(onDead).toHaveBeenCalledTimes(1)
    jest.advanceTimersByTime(10_000)
    expect(onDead).toHaveBeenCalledTimes(1)
    expect(ping).toHaveBeenCalledTimes(1)
  })

  it("stays alive while pongs (or any frames) come back", () => {
    const onDead = jest.fn()
    const hb = new Heartbeat({ intervalMs: 1000, ping: () => setTimeout(() => hb.alive(), 100), onDead })
    hb.start()
    jest.advanceTimersByTime(60_000)
    expect(onDead).not.toHaveBeenCalled()
    hb.stop()
  })

  it("does nothing once stopped, and survives a ping that throws", () => {
    const onDead = jest.fn()
    const hb = new Heartbeat({
      intervalMs: 1000,
      ping: () => {
        throw new Error("socket closing")
      },
      onDead,
    })
    hb.start()
    jest.advanceTimersByTime(1000)
    hb.stop()
    jest.advanceTimersByTime(5000)
    expect(onDead).not.toHaveBeenCalled()
  })
})

describe("answerRpc (JSON-RPC 2.0)", () => {
  const handlers = {
    onOrderStatusChange: async (params: unknown) => ({ status: "success", seen: (params as any[])[0].id }),
    getStatus: async () => ({ version: "1" }),
    broken: async () => {
      throw new Error("secret detail")
    },
  }

  it("answers a call with its id, its method (as the docs' example does) and the result", async () => {
    const reply = JSON.parse((await answerRpc(JSON.stringify({ jsonrpc: "2.0", id: "01823fdac4b7a7b5a3ac", method: "onOrderStatusChange", params: [{ id: "o1" }] }), handlers))!)
    expect(reply).toEqual({ jsonrpc: "2.0", id: "01823fdac4b7a7b5a3ac", method: "onOrderStatusChange", result: { status: "success", seen: "o1" } })
  })

  it("answers protocol errors with the JSON-RPC codes and no detail of a failure", async () => {
    const parse = JSON.parse((await answerRpc("{not json", handlers))!)
    expect(parse).toMatchObject({ id: null, error: { code: -32700 } })
    const unknown = JSON.parse((await answerRpc(JSON.stringify({ jsonrpc: "2.0", id: 7, method: "nope" }), handlers))!)
    expect(unknown).toMatchObject({ id: 7, error: { code: -32601 } })
    const invalid = JSON.parse((await answerRpc(JSON.stringify({ jsonrpc: "1.0", id: 8, method: "getStatus" }), handlers))!)
    expect(invalid).toMatchObject({ id: 8, error: { code: -32600 } })
    const failed = await answerRpc(JSON.stringify({ jsonrpc: "2.0", id: 9, method: "broken" }), handlers)
    expect(JSON.parse(failed!)).toMatchObject({ id: 9, error: { code: -32603 } })
    expect(failed).not.toContain("secret detail")
  })

  it("runs notifications without answering, answers batches, and ignores answers to calls never made", async () => {
    const seen: unknown[] = []
    const h = { ...handlers, getStatus: async (p: unknown) => (seen.push(p), { ok: true }) }
    expect(await answerRpc(JSON.stringify({ jsonrpc: "2.0", method: "getStatus", params: { logQuantity: 1 } }), h)).toBeUndefined()
    expect(seen).toEqual([{ logQuantity: 1 }])
    expect(await answerRpc(JSON.stringify({ jsonrpc: "2.0", id: "x", result: {} }), h)).toBeUndefined()
    const batch = JSON.parse(
      (await answerRpc(JSON.stringify([{ jsonrpc: "2.0", id: 1, method: "getStatus" }, { jsonrpc: "2.0", method: "getStatus" }]), h))!
    )
    expect(batch).toEqual([{ jsonrpc: "2.0", id: 1, method: "getStatus", result: { ok: true } }])
  })

  it("takes a call without the jsonrpc member rather than losing a payment", async () => {
    const reply = JSON.parse((await answerRpc(JSON.stringify({ id: "a", method: "onOrderStatusChange", params: [{ id: "o2" }] }), handlers))!)
    expect(reply.result).toEqual({ status: "success", seen: "o2" })
  })
})

describe("TransportLog", () => {
  it("keeps the newest lines for getStatus and never writes the token, plain or URL-encoded", () => {
    const { lines, logger } = quietLogger()
    const secret = "tok/en+with=chars"
    const log = new TransportLog(logger, "gate", [secret], 3)
    log.info(`connecting to wss://x/v3/gate/rpc?token=${encodeURIComponent(secret)}`)
    log.warn(`error with ${secret}`)
    log.info("b")
    log.info("c")
    expect(log.recent(10)).toHaveLength(3)
    expect(log.recent(1)[0]).toMatch(/INFO c$/)
    for (const line of [...lines, ...log.recent(10)]) {
      expect(line).not.toContain(secret)
      expect(line).not.toContain(encodeURIComponent(secret))
    }
  })
})

/** A stand-in for a `ws` WebSocket: the test opens, closes and answers it by hand. */
class FakeSocket extends EventEmitter implements SocketLike {
  readyState = 0
  sent: string[] = []
  pings = 0
  terminated = false
  constructor(readonly url: string) {
    super()
  }
  send(data: string, cb?: (error?: Error) => void) {
    this.sent.push(data)
    cb?.()
  }
  ping() {
    this.pings++
  }
  close() {
    this.terminate()
  }
  terminate() {
    if (this.readyState === 3) return
    this.terminated = true
    this.readyState = 3
    this.emit("close", 1006, Buffer.alloc(0))
  }
  open() {
    this.readyState = 1
    this.emit("open")
  }
  fail(message: string) {
    this.emit("error", new Error(message))
    this.readyState = 3
    this.emit("close", 1006, Buffer.alloc(0))
  }
}

describe("GateClient (fake socket, fake timers)", () => {
  beforeEach(() => jest.useFakeTimers())
  afterEach(() => jest.useRealTimers())

  function client(overrides: Partial<ConstructorParameters<typeof GateClient>[0]> = {}) {
    const sockets: FakeSocket[] = []
    const { lines, logger } = quietLogger()
    const log = new TransportLog(logger, "gate", [TOKEN])
    const gate = new GateClient({
      url: "wss://ws-gate.example/v3/gate/rpc",
      token: TOKEN,
      handlers: { onOrderStatusChange: async () => ({ status: "success" }) },
      log,
      heartbeatMs: 1000,
      stableMs: 10_000,
      backoff: { baseMs: 1000, maxMs: 8000 },
      random: () => 1,
      createSocket: (url) => {
        const s = new FakeSocket(url)
        sockets.push(s)
        return s
      },
      ...overrides,
    })
    return { gate, sockets, lines, log }
  }

  it("puts the token in the query of the URL it dials, and nowhere in its log", () => {
    const { gate, sockets, lines } = client()
    gate.start()
    expect(sockets[0].url).toBe(`wss://ws-gate.example/v3/gate/rpc?token=${TOKEN}`)
    sockets[0].fail(`Unexpected server response: 401 for ${sockets[0].url}`)
    expect(lines.join("\n")).not.toContain(TOKEN)
    expect(lines.join("\n")).toMatch(/refused the token/)
    void gate.stop()
  })

  it("reconnects after failures with growing, capped delays, and starts over once a connection held", () => {
    const { gate, sockets } = client({ heartbeatMs: 3_600_000 })
    gate.start()
    const waits: number[] = []
    for (let i = 0; i < 5; i++) {
      sockets[sockets.length - 1].fail("connect ECONNREFUSED")
      const before = sockets.length
      let waited = 0
      while (sockets.length === before) {
        jest.advanceTimersByTime(100)
        waited += 100
      }
      waits.push(waited)
    }
    expect(waits).toEqual([1000, 2000, 4000, 8000, 8000])
    // Up long enough: the next drop is retried after the first delay again.
    sockets[sockets.length - 1].open()
    jest.advanceTimersByTime(10_000)
    sockets[sockets.length - 1].terminate()
    const count = sockets.length
    jest.advanceTimersByTime(999)
    expect(sockets.length).toBe(count)
    jest.advanceTimersByTime(1)
    expect(sockets.length).toBe(count + 1)
    void gate.stop()
  })

  it("keeps backing off from a gate that accepts and drops at once", () => {
    const { gate, sockets } = client()
    gate.start()
    const waits: number[] = []
    for (let i = 0; i < 3; i++) {
      const s = sockets[sockets.length - 1]
      s.open()
      s.terminate()
      const before = sockets.length
      let waited = 0
      while (sockets.length === before) {
        jest.advanceTimersByTime(100)
        waited += 100
      }
      waits.push(waited)
    }
    expect(waits).toEqual([1000, 2000, 4000])
    void gate.stop()
  })

  it("drops a connection whose peer stopped answering pings, then reconnects", () => {
    const { gate, sockets } = client()
    gate.start()
    sockets[0].open()
    jest.advanceTimersByTime(1000)
    expect(sockets[0].pings).toBe(1)
    sockets[0].emit("pong")
    jest.advanceTimersByTime(1000)
    expect(sockets[0].terminated).toBe(false)
    jest.advanceTimersByTime(1000)
    expect(sockets[0].terminated).toBe(true)
    jest.advanceTimersByTime(1000)
    expect(sockets).toHaveLength(2)
    void gate.stop()
  })

  it("answers a call on the connection it came on; an answer whose connection closed meanwhile is not sent", async () => {
    let release: () => void = () => undefined
    const slow = new Promise<void>((r) => (release = r))
    const { gate, sockets, lines } = client({
      handlers: {
        onOrderStatusChange: async (params) => {
          if ((params as any[])[0].id === "slow") await slow
          return { status: "success" }
        },
      },
    })
    gate.start()
    sockets[0].open()
    sockets[0].emit("message", Buffer.from(JSON.stringify({ jsonrpc: "2.0", id: "c1", method: "onOrderStatusChange", params: [{ id: "fast" }] })))
    await jest.advanceTimersByTimeAsync(0)
    expect(sockets[0].sent.map((s) => JSON.parse(s))).toEqual([{ jsonrpc: "2.0", id: "c1", method: "onOrderStatusChange", result: { status: "success" } }])
    sockets[0].emit("message", Buffer.from(JSON.stringify({ jsonrpc: "2.0", id: "c2", method: "onOrderStatusChange", params: [{ id: "slow" }] })))
    sockets[0].terminate()
    release()
    await jest.advanceTimersByTimeAsync(0)
    expect(sockets[0].sent).toHaveLength(1)
    expect(lines.join("\n")).toMatch(/was not sent: the connection closed meanwhile/)
    void gate.stop()
  })

  it("stops for good: no reconnect after stop(), even from a pending backoff", async () => {
    const { gate, sockets } = client()
    gate.start()
    sockets[0].fail("connect ECONNREFUSED")
    await gate.stop()
    jest.advanceTimersByTime(60_000)
    expect(sockets).toHaveLength(1)
  })

  it("while closing, answers new calls with the closing handlers", async () => {
    const { gate, sockets } = client({
      closingHandlers: { onOrderStatusChange: async () => ({ status: "error", code: "out_of_service", message: "restarting" }) },
    })
    gate.start()
    sockets[0].open()
    // The fake's close() closes at once; a real close handshake leaves a moment for late calls.
    sockets[0].close = () => undefined
    const stopping = gate.stop({ graceMs: 1000 })
    sockets[0].emit("message", Buffer.from(JSON.stringify({ jsonrpc: "2.0", id: "late", method: "onOrderStatusChange", params: [{}] })))
    await jest.advanceTimersByTimeAsync(0)
    expect(JSON.parse(sockets[0].sent[0]).result).toMatchObject({ status: "error", code: "out_of_service" })
    await jest.advanceTimersByTimeAsync(1000)
    await stopping
    expect(sockets[0].terminated).toBe(true)
  })
})

/** Work that records when it runs, to check that two leaders never overlap. */
function recordingWork(name: string, running: Set<string>, overlaps: string[][]): LeaderWork & { starts: number } {
  return {
    starts: 0,
    start() {
      this.starts++
      running.add(name)
      if (running.size > 1) overlaps.push([...running])
    },
    async stop() {
      running.delete(name)
    },
  }
}

describe("LeaderElection (Medusa's in-memory locking provider, fake timers)", () => {
  beforeEach(() => jest.useFakeTimers())
  afterEach(() => jest.useRealTimers())

  const KEY = "invoicebox:ws-gate:test"

  function election(name: string, locking: LeaseLocking, running: Set<string>, overlaps: string[][]) {
    const { logger } = quietLogger()
    const work = recordingWork(name, running, overlaps)
    const e = new LeaderElection({ lockKey: KEY, locking, work, log: new TransportLog(logger, name), leaseSeconds: 9, standbyPollMs: 1000, random: () => 0.5 })
    return { e, work }
  }

  it("elects exactly one leader among several instances and keeps it while it renews", async () => {
    const locking = new InMemoryLockingProvider() as unknown as LeaseLocking
    const running = new Set<string>()
    const overlaps: string[][] = []
    const all = ["A", "B", "C"].map((n) => election(n, locking, running, overlaps))
    for (const { e } of all) e.start()
    for (let t = 0; t < 120; t++) await jest.advanceTimersByTimeAsync(500)
    expect(all.map(({ e }) => e.role).sort()).toEqual(["leader", "standby", "standby"])
    expect(all.map(({ work }) => work.starts).reduce((a, b) => a + b)).toBe(1)
    expect(overlaps).toEqual([])
    for (const { e } of all) await e.stop()
  })

  it("hands over within lease + poll when the leader's locking calls stop succeeding, and the old leader drops first", async () => {
    const real = new InMemoryLockingProvider()
    const running = new Set<string>()
    const overlaps: string[][] = []
    let aDead = false
    // A's view of the lock: after "death" its renewals hang, as when Redis stops answering it.
    const lockingA: LeaseLocking = {
      acquire: (keys, args) => (aDead ? new Promise(() => undefined) : real.acquire(keys, args)),
      release: (keys, args) => real.release(keys, args),
    }
    const a = election("A", lockingA, running, overlaps)
    a.e.start()
    await jest.advanceTimersByTimeAsync(0)
    const b = election("B", real as unknown as LeaseLocking, running, overlaps)
    b.e.start()
    await jest.advanceTimersByTimeAsync(5000)
    expect([a.e.role, b.e.role]).toEqual(["leader", "standby"])

    aDead = true
    const diedAt = Date.now()
    let droppedAt = 0
    let tookOverAt = 0
    while (!tookOverAt && Date.now() - diedAt < 60_000) {
      await jest.advanceTimersByTimeAsync(100)
      if (!droppedAt && !running.has("A")) droppedAt = Date.now()
      if (b.e.role === "leader") tookOverAt = Date.now()
    }
    expect(droppedAt).toBeGreaterThan(0)
    expect(tookOverAt).toBeGreaterThan(0)
    expect(droppedAt).toBeLessThanOrEqual(tookOverAt)
    // Lease (9 s) since A's last renewal, plus at most one standby poll (1.5 s).
    expect(tookOverAt - diedAt).toBeLessThanOrEqual(9_000 + 1_500)
    expect(overlaps).toEqual([])
    await a.e.stop()
    await b.e.stop()
  })

  it("drops the connection at once when a renewal is refused", async () => {
    const real = new InMemoryLockingProvider()
    const running = new Set<string>()
    const overlaps: string[][] = []
    let refuse = false
    const locking: LeaseLocking = {
      acquire: (keys, args) => (refuse ? Promise.reject(new Error('Failed to acquire lock for key "x"')) : real.acquire(keys, args)),
      release: (keys, args) => real.release(keys, args),
    }
    const a = election("A", locking, running, overlaps)
    a.e.start()
    await jest.advanceTimersByTimeAsync(0)
    expect(running.has("A")).toBe(true)
    refuse = true
    await jest.advanceTimersByTimeAsync(3000)
    expect(running.has("A")).toBe(false)
    expect(a.e.role).toBe("standby")
    await a.e.stop()
  })

  it("on stop closes the connection, then releases the lock, so a standby takes over at its next poll", async () => {
    const locking = new InMemoryLockingProvider() as unknown as LeaseLocking
    const running = new Set<string>()
    const overlaps: string[][] = []
    const a = election("A", locking, running, overlaps)
    a.e.start()
    await jest.advanceTimersByTimeAsync(0)
    const b = election("B", locking, running, overlaps)
    b.e.start()
    await jest.advanceTimersByTimeAsync(0)
    await a.e.stop()
    expect(a.e.role).toBe("stopped")
    await jest.advanceTimersByTimeAsync(1500)
    expect(b.e.role).toBe("leader")
    expect(overlaps).toEqual([])
    await b.e.stop()
  })
})
