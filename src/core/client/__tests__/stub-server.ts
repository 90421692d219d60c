import http, { IncomingMessage, ServerResponse } from "node:http"
import type { AddressInfo, Socket } from "node:net"

export interface RecordedRequest {
  method: string
  url: string
  headers: http.IncomingHttpHeaders
  body: string
}

export type StubHandler = (req: RecordedRequest, res: ServerResponse, raw: IncomingMessage) => void

/**
 * A scripted HTTP server on 127.0.0.1:0. Handlers are consumed in order; the last one keeps answering.
 * Every request is recorded, including those that are answered by dropping the connection.
 */
export interface StubServer {
  url: string
  requests: RecordedRequest[]
  /** Replaces the script. */
  reply(...handlers: StubHandler[]): void
  close(): Promise<void>
}

export async function startStub(): Promise<StubServer> {
  const requests: RecordedRequest[] = []
  let script: StubHandler[] = [(_req, res) => json(res, 200, { data: null })]
  const sockets = new Set<Socket>()

  const server = http.createServer((raw, res) => {
    const chunks: Buffer[] = []
    raw.on("data", (c: Buffer) => chunks.push(c))
    raw.on("end", () => {
      const recorded: RecordedRequest = {
        method: raw.method ?? "",
        url: raw.url ?? "",
        headers: raw.headers,
        body: Buffer.concat(chunks).toString("utf8"),
      }
      requests.push(recorded)
      const handler = script.length > 1 ? script.shift()! : script[0]
      handler(recorded, res, raw)
    })
  })
  server.on("connection", (socket) => {
    sockets.add(socket)
    socket.on("close", () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    reply(...handlers) {
      script = handlers
    },
    close() {
      for (const socket of sockets) socket.destroy()
      return new Promise((resolve) => server.close(() => resolve()))
    },
  }
}

export function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {}
): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text), ...headers })
  res.end(text)
}

/** Answers nothing until the client gives up. */
export const hang: StubHandler = () => undefined

/** Drops the connection without a response, as a proxy restart or a crash after commit would. */
export const reset: StubHandler = (_req, _res, raw) => {
  raw.socket.destroy()
}
