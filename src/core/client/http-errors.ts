import {
  InvoiceboxAuthError,
  InvoiceboxError,
  InvoiceboxFieldError,
  InvoiceboxNetworkError,
  InvoiceboxOutcomeUnknownError,
  InvoiceboxRateLimitError,
  InvoiceboxServerError,
  InvoiceboxValidationError,
} from "../errors"
import { DEFAULT_RATE_LIMIT_DELAY_MS, parseRetryAfter } from "./retry"

/** Replaces every secret occurrence in a string; applied to everything that ends up in an error. */
export type Redactor = (text: string) => string

/**
 * What an error's `cause` holds instead of the axios error: axios errors carry the request config,
 * and with it the Authorization header, so they must never be attached or logged.
 */
export interface RequestFailureSummary {
  operation: string
  method: string
  path: string
  httpStatus?: number
  /** errno-style code of a transport failure (ECONNREFUSED, ECONNRESET, ECONNABORTED, …). */
  transportCode?: string
  /** Transport failure text, or the first bytes of a non-JSON error body. */
  detail?: string
}

export interface ParsedErrorBody {
  code?: string
  message?: string
  fields: InvoiceboxFieldError[]
}

/**
 * Reads Invoicebox's error envelope. The docs and the PHP SDK wrap it as `{error:{code,message,fields}}`;
 * the official MCP client reads `code`/`message` at the top level, so both are accepted.
 */
export function parseErrorBody(body: unknown): ParsedErrorBody {
  if (!isRecord(body)) {
    return { fields: [] }
  }
  const source = isRecord(body.error) ? body.error : body
  const code = typeof source.code === "string" || typeof source.code === "number" ? String(source.code) : undefined
  const message = typeof source.message === "string" ? source.message : undefined
  return { code: code || undefined, message: message || undefined, fields: parseFields(source.fields) }
}

function parseFields(raw: unknown): InvoiceboxFieldError[] {
  if (Array.isArray(raw)) {
    return raw.filter(isRecord).map((f) => ({
      name: stringOf(f.name ?? f.field ?? f.property),
      code: stringOf(f.code),
      message: stringOf(f.message),
    }))
  }
  // Some validators answer `{fields: {amount: "wrong value"}}`; keep the information rather than drop it.
  if (isRecord(raw)) {
    return Object.entries(raw).map(([name, value]) =>
      isRecord(value)
        ? { name, code: stringOf(value.code), message: stringOf(value.message) }
        : { name, code: "", message: stringOf(value) }
    )
  }
  return []
}

const DEFAULT_CODE_BY_STATUS: Record<number, string> = {
  400: "bad_request",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  409: "conflict",
  422: "unprocessable_entity",
  429: "too_many_requests",
}

export interface ResponseErrorInput {
  operation: string
  method: string
  path: string
  status: number
  requestId?: string
  retryAfter?: string | string[]
  /** Raw body text as received. */
  bodyText: string
  redact: Redactor
  nowMs?: number
}

/** Maps a non-2xx response to the typed error tree; the message names the operation and request id. */
export function errorFromResponse(input: ResponseErrorInput): InvoiceboxError {
  const { operation, status, requestId, redact } = input
  const json = tryParseJson(input.bodyText)
  const parsed = parseErrorBody(json.ok ? json.value : undefined)
  const code = redact(parsed.code ?? DEFAULT_CODE_BY_STATUS[status] ?? `http_${status}`)
  const fields = parsed.fields.map((f) => ({
    name: redact(f.name),
    code: redact(f.code),
    message: redact(f.message),
  }))
  const snippet = json.ok ? undefined : bodySnippet(input.bodyText, redact)
  const text = redact(parsed.message ?? snippet ?? `HTTP ${status}`)

  const fieldList = fields.length
    ? ` [${fields
        .slice(0, 5)
        .map((f) => `${f.name}: ${f.code || f.message || "invalid"}`)
        .join("; ")}${fields.length > 5 ? "; …" : ""}]`
    : ""
  const message =
    `Invoicebox ${operation} failed: ${code} — ${text}${fieldList} ` +
    `(HTTP ${status}${requestId ? `, request id ${requestId}` : ""})`

  const cause: RequestFailureSummary = {
    operation,
    method: input.method,
    path: redact(input.path),
    httpStatus: status,
    ...(snippet ? { detail: snippet } : {}),
  }
  const init = { code, httpStatus: status, requestId, fields, cause }

  if (status === 401 || status === 403) {
    return new InvoiceboxAuthError(message, init)
  }
  if (status === 429) {
    const retryAfterMs = parseRetryAfter(input.retryAfter, input.nowMs) ?? DEFAULT_RATE_LIMIT_DELAY_MS
    return new InvoiceboxRateLimitError(`${message}; retry after ${retryAfterMs} ms`, { ...init, retryAfterMs })
  }
  if (status >= 500) {
    return new InvoiceboxServerError(message, init)
  }
  if (status >= 400) {
    return new InvoiceboxValidationError(message, init)
  }
  // 1xx/3xx: redirects are disabled so that the token is never replayed to another host.
  return new InvoiceboxServerError(message, { ...init, code: `unexpected_http_${status}` })
}

/** A 2xx whose body we cannot use. For a write the effect may have happened, hence a server error. */
export function invalidResponseError(input: {
  operation: string
  method: string
  path: string
  status: number
  requestId?: string
  reason: string
  redact: Redactor
}): InvoiceboxServerError {
  const { operation, status, requestId, redact } = input
  return new InvoiceboxServerError(
    `Invoicebox ${operation} failed: invalid_response — ${input.reason} ` +
      `(HTTP ${status}${requestId ? `, request id ${requestId}` : ""})`,
    {
      code: "invalid_response",
      httpStatus: status,
      requestId,
      cause: { operation, method: input.method, path: redact(input.path), httpStatus: status, detail: input.reason },
    }
  )
}

/**
 * Codes raised before a single byte of the request reached Invoicebox: the connection was refused,
 * the name did not resolve, or TLS failed during the handshake. Safe to resend.
 */
const NOT_SENT_CODES = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EAI_FAIL",
  "EAI_NONAME",
  "EHOSTUNREACH",
  "EHOSTDOWN",
  "ENETUNREACH",
  "ENETDOWN",
  "EADDRNOTAVAIL",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "ERR_TLS_CERT_ALTNAME_INVALID",
  "ERR_SSL_WRONG_VERSION_NUMBER",
])

const TIMEOUT_CODES = new Set(["ECONNABORTED", "ERR_CANCELED", "ETIMEDOUT", "ESOCKETTIMEDOUT"])

export interface TransportErrorInput {
  operation: string
  method: string
  path: string
  error: unknown
  timeoutMs: number
  redact: Redactor
}

/**
 * Maps a failure without an HTTP response. Anything not provably "never sent" is treated as an
 * unknown outcome: a timeout or reset may hit after Invoicebox committed the write, and assuming
 * otherwise is how duplicate invoices and refunds happen.
 */
export function errorFromTransport(input: TransportErrorInput): InvoiceboxError {
  const { operation, redact } = input
  const transportCode = transportCodeOf(input.error)
  const rawMessage = input.error instanceof Error ? input.error.message : String(input.error)
  const detail = redact(rawMessage).slice(0, 300)
  const cause: RequestFailureSummary = {
    operation,
    method: input.method,
    path: redact(input.path),
    ...(transportCode ? { transportCode } : {}),
    detail,
  }

  if (transportCode && NOT_SENT_CODES.has(transportCode)) {
    return new InvoiceboxNetworkError(
      `Invoicebox ${operation} failed: network_error — could not reach Invoicebox (${transportCode}); ` +
        `the request was not sent`,
      { code: "network_error", cause }
    )
  }
  if (transportCode && TIMEOUT_CODES.has(transportCode)) {
    return new InvoiceboxOutcomeUnknownError(
      `Invoicebox ${operation} failed: timeout — no response within ${input.timeoutMs} ms; ` +
        `Invoicebox may or may not have processed the request`,
      { code: "timeout", cause }
    )
  }
  return new InvoiceboxOutcomeUnknownError(
    `Invoicebox ${operation} failed: connection_lost — ${detail || "connection closed"}` +
      `${transportCode ? ` (${transportCode})` : ""}; Invoicebox may or may not have processed the request`,
    { code: "connection_lost", cause }
  )
}

function transportCodeOf(error: unknown): string | undefined {
  if (!isRecord(error)) {
    return undefined
  }
  const own = typeof error.code === "string" ? error.code : undefined
  // axios keeps the errno code on the wrapped error, but a few paths only have it on `cause`.
  const nested = isRecord(error.cause) && typeof error.cause.code === "string" ? error.cause.code : undefined
  if (own === "ERR_NETWORK" && nested) {
    return nested
  }
  return own ?? nested
}

export function tryParseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  if (text.trim() === "") {
    return { ok: false }
  }
  try {
    return { ok: true, value: JSON.parse(text) }
  } catch {
    return { ok: false }
  }
}

function bodySnippet(text: string, redact: Redactor): string | undefined {
  const collapsed = text
    .replace(/<[^>]*>/g, " ")
    .replace(/\s+/g, " ")
    .trim()
  return collapsed ? redact(collapsed).slice(0, 200) : undefined
}

function stringOf(value: unknown): string {
  if (typeof value === "string") return value
  if (typeof value === "number" || typeof value === "boolean") return String(value)
  return ""
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value)
}
