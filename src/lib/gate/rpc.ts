/**
 * The JSON-RPC 2.0 side of Invoicebox's gate (docs.invoicebox.ru, api/websockets.md): the gate
 * calls the shop (`onOrderStatusChange`, `getStatus`), the shop answers. The store never calls
 * the gate. Written here rather than taken from a library: the shop only answers calls, which
 * is one object shape in and one out, and a JSON-RPC library would bring its own transport.
 */

export type RpcId = string | number | null

export type RpcHandler = (params: unknown) => Promise<unknown>

export interface RpcRequest {
  id: RpcId
  method: string
  params: unknown
  /** Without an id the call is a notification and gets no answer (JSON-RPC 2.0 §4.1). */
  isNotification: boolean
}

/** JSON-RPC 2.0 §5.1 error codes. */
export const RPC_ERRORS = {
  parse: { code: -32700, message: "Parse error" },
  invalidRequest: { code: -32600, message: "Invalid Request" },
  methodNotFound: { code: -32601, message: "Method not found" },
  internal: { code: -32603, message: "Internal error" },
} as const

type RpcResponse = Record<string, unknown>

function response(id: RpcId, method: string | undefined, body: { result: unknown } | { error: { code: number; message: string } }): RpcResponse {
  // Invoicebox's own example of a getStatus answer carries "method" next to "result"; JSON-RPC 2.0
  // does not name it. Sending it satisfies the example, and a JSON-RPC peer ignores it.
  return { jsonrpc: "2.0", id, ...(method ? { method } : {}), ...body }
}

function asRequest(value: unknown): RpcRequest | "response" | undefined {
  if (!value || typeof value !== "object" || Array.isArray(value)) return undefined
  const v = value as Record<string, unknown>
  if (typeof v.method !== "string") {
    // An answer to a call of ours; the store makes none, so it is ignored.
    return "result" in v || "error" in v ? "response" : undefined
  }
  // The docs' calls all say "2.0"; a call without the member is still answered rather than lost.
  if (v.jsonrpc !== undefined && v.jsonrpc !== "2.0") return undefined
  const hasId = Object.prototype.hasOwnProperty.call(v, "id")
  const id = v.id
  if (hasId && id !== null && typeof id !== "string" && typeof id !== "number") return undefined
  return { id: (id ?? null) as RpcId, method: v.method, params: v.params, isNotification: !hasId }
}

async function answerOne(value: unknown, handlers: Record<string, RpcHandler>): Promise<RpcResponse | undefined> {
  const request = asRequest(value)
  if (request === "response") return undefined
  if (!request) {
    const id = value && typeof value === "object" && !Array.isArray(value) ? ((value as { id?: unknown }).id as RpcId) : null
    return response(typeof id === "string" || typeof id === "number" ? id : null, undefined, { error: { ...RPC_ERRORS.invalidRequest } })
  }
  const handler = Object.prototype.hasOwnProperty.call(handlers, request.method) ? handlers[request.method] : undefined
  let body: { result: unknown } | { error: { code: number; message: string } }
  if (!handler) {
    body = { error: { ...RPC_ERRORS.methodNotFound } }
  } else {
    try {
      body = { result: await handler(request.params) }
    } catch {
      // The handlers turn their own failures into verdicts; this is the last resort, and it
      // carries no detail that could hold data of the store.
      body = { error: { ...RPC_ERRORS.internal } }
    }
  }
  return request.isNotification ? undefined : response(request.id, request.method, body)
}

/**
 * The answer to one WebSocket message (a call or a batch of calls), as text, or undefined when
 * nothing is to be sent (notifications, answers to calls we never make).
 */
export async function answerRpc(text: string, handlers: Record<string, RpcHandler>): Promise<string | undefined> {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return JSON.stringify(response(null, undefined, { error: { ...RPC_ERRORS.parse } }))
  }
  if (Array.isArray(parsed)) {
    if (parsed.length === 0) return JSON.stringify(response(null, undefined, { error: { ...RPC_ERRORS.invalidRequest } }))
    const answers = (await Promise.all(parsed.map((item) => answerOne(item, handlers)))).filter((a): a is RpcResponse => !!a)
    return answers.length ? JSON.stringify(answers) : undefined
  }
  const answer = await answerOne(parsed, handlers)
  return answer ? JSON.stringify(answer) : undefined
}

/** The method names of a message, for the log (never its params: they hold payer data). */
export function methodsOf(text: string): string {
  try {
    const parsed = JSON.parse(text)
    const list = Array.isArray(parsed) ? parsed : [parsed]
    return list.map((item) => (item && typeof item.method === "string" ? item.method : "?")).join(",")
  } catch {
    return "?"
  }
}
