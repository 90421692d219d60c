export interface InvoiceboxFieldError {
  name: string
  code: string
  message: string
}

export interface InvoiceboxErrorInit {
  code: string
  httpStatus?: number
  requestId?: string
  fields?: InvoiceboxFieldError[]
  cause?: unknown
}

/**
 * Base of every error the core throws. `code` is Invoicebox's error code when the API gave one,
 * otherwise one of ours; `requestId` is the response's X-Request-Id, which Invoicebox support asks for.
 */
export class InvoiceboxError extends Error {
  readonly code: string
  readonly httpStatus?: number
  readonly requestId?: string
  readonly fields: InvoiceboxFieldError[]

  constructor(message: string, init: InvoiceboxErrorInit) {
    super(message)
    this.name = new.target.name
    this.code = init.code
    this.httpStatus = init.httpStatus
    this.requestId = init.requestId
    this.fields = init.fields ?? []
    if (init.cause !== undefined) {
      ;(this as { cause?: unknown }).cause = init.cause
    }
  }
}

/** 401 / 403: the token or merchant is wrong. */
export class InvoiceboxAuthError extends InvoiceboxError {}

/** 400 / 404 / 409 / 422: Invoicebox refused the request as invalid; `fields` names the culprits. */
export class InvoiceboxValidationError extends InvoiceboxError {}

/** 429: too many requests; wait `retryAfterMs` before the next one. */
export class InvoiceboxRateLimitError extends InvoiceboxError {
  readonly retryAfterMs: number
  constructor(message: string, init: InvoiceboxErrorInit & { retryAfterMs: number }) {
    super(message, init)
    this.retryAfterMs = init.retryAfterMs
  }
}

/** 5xx from Invoicebox. For a write, the outcome may still be unknown: see the client. */
export class InvoiceboxServerError extends InvoiceboxError {}

/** The request certainly never reached Invoicebox (connection refused, DNS): safe to resend. */
export class InvoiceboxNetworkError extends InvoiceboxError {}

/** Timeout or connection lost after the request was sent: Invoicebox may or may not have acted on it. */
export class InvoiceboxOutcomeUnknownError extends InvoiceboxError {}

/** The cart cannot be turned into an Invoicebox basket (empty, currency, VAT rate, arithmetic). */
export class InvoiceboxBasketError extends InvoiceboxError {}

/** Invoicebox answered with a status this plugin does not know; never treated as "pending". */
export class InvoiceboxUnknownStatusError extends InvoiceboxError {}
