import http from "node:http"
import type { AddressInfo } from "node:net"
import { freshConnectionAgent, rawPost } from "../../../integration-tests/helpers/raw-post"

/**
 * Why the notification fuzz test (integration-tests/http/resilience.spec.ts) failed now and then
 * with `read ECONNRESET` / `socket hang up` on a loaded machine: its keep-alive agent reused a
 * connection the server had closed while the shared event loop stalled. Reproduced here with a
 * short server keepAliveTimeout (2 s: Node's agent never reuses a socket whose hint is 1 s) and a
 * stall just longer than it plus Node's 1 s server-side grace, right after a response was sent.
 */
const KEEP_ALIVE_MS = 2000
const STALL_MS = KEEP_ALIVE_MS + 1000 + 200

function busyWait(ms: number) {
  const until = Date.now() + ms
  while (Date.now() < until) {
    // A synchronous stall, like a long GC pause or a starved CPU: no timer or socket is serviced.
  }
}

async function stallingServer() {
  let stalls = 0
  const server = http.createServer((req, res) => {
    req.resume()
    req.on("end", () => {
      // After the response is written and the keep-alive timer armed, before the client reads it.
      res.on("finish", () => setImmediate(() => stalls++ === 0 && busyWait(STALL_MS)))
      res.setHeader("content-type", "application/json")
      res.end('{"status":"success"}')
    })
  })
  server.keepAliveTimeout = KEEP_ALIVE_MS
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  return { server, port: (server.address() as AddressInfo).port }
}

async function twoPosts(agent: http.Agent): Promise<string> {
  const { server, port } = await stallingServer()
  try {
    const body = Buffer.from("{}")
    await rawPost(port, "/hooks/invoicebox", body, {}, agent)
    const second = await rawPost(port, "/hooks/invoicebox", body, {}, agent)
    return `HTTP ${second.status}`
  } catch (e) {
    return `${(e as { code?: string }).code ?? ""} ${(e as Error).message}`.trim()
  } finally {
    agent.destroy()
    await new Promise((resolve) => server.close(resolve))
  }
}

describe("a request right after an event-loop stall longer than the server's keep-alive", () => {
  it("is reset when a keep-alive agent reuses the connection the server closed (the old fuzz agent)", async () => {
    expect(await twoPosts(new http.Agent({ keepAlive: true, maxSockets: 32 }))).toMatch(/ECONNRESET/)
  }, 20_000)

  it("succeeds with the fuzz test's agent: a fresh connection per request", async () => {
    expect(await twoPosts(freshConnectionAgent())).toBe("HTTP 200")
  }, 20_000)
})
