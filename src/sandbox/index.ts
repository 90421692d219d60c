/**
 * The Invoicebox sandbox: the documented Invoicebox JSON API (v3 and l3 paths) with strict validation,
 * a payment page, signed notifications with redelivery, and fault injection. See docs/internals.md.
 */
export { startSandbox, InvoiceboxSandbox, DEMO_API_TOKEN, DEMO_MERCHANT_ID, DEFAULT_RETRY_DELAYS_MS } from "./server"
export type { Sandbox, SandboxOptions, SandboxStats } from "./server"
export type { SandboxOrder, SandboxRefund, SandboxShipment, CabinetRefundRequest, OrderStatus, RefundStatus } from "./state"
export type { Delivery, DeliveryOutcome, DeliveryTransport } from "./notifications"
export { GATE_PATH } from "./gate"
export type { GateFaultMode, GateState } from "./gate"
export type { FaultMode, FaultSpec } from "./faults"
export { ApiError as SandboxApiError } from "./validation"
export type { FieldError } from "./validation"
