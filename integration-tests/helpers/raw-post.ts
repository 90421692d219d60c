import http from "node:http"

export interface RawReply {
  status: number
  contentType: string
  body: string
}

/**
 * The agent for tests that fire thousands of requests at a store in the same process.
 *
 * One connection per request, never a reused one. A Node server closes an idle keep-alive socket
 * keepAliveTimeout (Medusa: Node's default 5 s) plus 1 s after it finished a response. When the
 * event loop that runs both the store and the client stalls that long (a loaded 2-core machine),
 * the timer fires first, the client then reads the response, hands the socket back to a keep-alive
 * agent and writes the next request into a connection the server has already closed: `socket hang
 * up` / `read ECONNRESET`. The client cannot see that in time (it has not read the FIN yet), and
 * Node's agent ignores the server's `Keep-Alive: timeout=5` hint unless given a `timeout` of its
 * own, which would not cover a socket still in use during the stall anyway.
 * src/lib/__tests__/keep-alive-reset.unit.spec.ts reproduces this deterministically.
 */
export function freshConnectionAgent(maxSockets = 32): http.Agent {
  return new http.Agent({ keepAlive: false, maxSockets })
}

export function rawPost(
  port: number,
  path: string,
  body: Buffer,
  headers: Record<string, string>,
  agent: http.Agent,
  host = "127.0.0.1"
): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host, port, path, method: "POST", agent, headers: { ...headers, "content-length": String(body.length) }, timeout: 30_000 },
      (res) => {
        const chunks: Buffer[] = []
        res.on("data", (c) => chunks.push(c))
        res.on("end", () => resolve({ status: res.statusCode ?? 0, contentType: String(res.headers["content-type"] ?? ""), body: Buffer.concat(chunks).toString("utf8") }))
        res.on("error", reject)
      }
    )
    req.on("timeout", () => req.destroy(new Error("timed out")))
    req.on("error", (e) => reject(e))
    req.end(body)
  })
}
