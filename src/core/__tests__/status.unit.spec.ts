import { InvoiceboxUnknownStatusError } from "../errors"
import {
  INVOICEBOX_ORDER_STATUSES,
  isAmbiguousStatus,
  isFinalStatus,
  isHeldStatus,
  isKnownOrderStatus,
  isPaidStatus,
  mapOrderStatus,
  mapRefundStatus,
  mapShipmentStatus,
  parseOrderStatus,
} from "../status"

const MEDUSA_STATUSES = ["authorized", "captured", "pending", "requires_more", "error", "canceled", "pending_authorization"]

function thrown(fn: () => unknown): unknown {
  try {
    fn()
  } catch (e) {
    return e
  }
  return undefined
}

describe("mapOrderStatus", () => {
  it.each([
    ["draft", "pending"],
    ["created", "pending"],
    ["processing", "pending"],
    ["hold", "authorized"],
    ["completed", "captured"],
    ["expired", "canceled"],
    ["canceled", "canceled"],
    ["cancelled", "canceled"],
    ["processing-error", "error"],
    ["success", "pending"],
  ])("%s -> %s", (status, expected) => {
    expect(mapOrderStatus(status)).toBe(expected)
  })

  it("maps every known status to a Medusa payment session status", () => {
    for (const status of INVOICEBOX_ORDER_STATUSES) expect(MEDUSA_STATUSES).toContain(mapOrderStatus(status))
  })

  it.each(["", "paid", "COMPLETED", " completed", "toString", "__proto__", "constructor"])(
    "throws InvoiceboxUnknownStatusError for %p instead of assuming pending",
    (status) => {
      const error = thrown(() => mapOrderStatus(status))
      expect(error).toBeInstanceOf(InvoiceboxUnknownStatusError)
      expect((error as InvoiceboxUnknownStatusError).code).toBe("unknown_status")
      expect(isKnownOrderStatus(status)).toBe(false)
    }
  )

  it("does not echo an arbitrarily long status into the message", () => {
    const error = thrown(() => parseOrderStatus("x".repeat(10_000))) as Error
    expect(error.message.length).toBeLessThan(300)
  })

  it("flags the SDK example's 'success' as needing a re-read, never as paid", () => {
    expect(isAmbiguousStatus("success")).toBe(true)
    expect(isPaidStatus("success")).toBe(false)
    for (const status of INVOICEBOX_ORDER_STATUSES.filter((s) => s !== "success")) expect(isAmbiguousStatus(status)).toBe(false)
  })

  it("classifies paid, held and final statuses", () => {
    expect(INVOICEBOX_ORDER_STATUSES.filter(isPaidStatus)).toEqual(["completed"])
    expect(INVOICEBOX_ORDER_STATUSES.filter(isHeldStatus)).toEqual(["hold"])
    expect([...INVOICEBOX_ORDER_STATUSES].filter(isFinalStatus).sort()).toEqual(["canceled", "cancelled", "completed", "expired"])
    expect(thrown(() => isPaidStatus("paid"))).toBeInstanceOf(InvoiceboxUnknownStatusError)
  })
})

describe("refund and shipment statuses", () => {
  it.each(["draft", "created", "completed", "canceled"])("refund %s is known", (s) => {
    expect(mapRefundStatus(s)).toBe(s)
  })
  it.each(["draft", "pending", "completed", "canceled"])("shipment %s is known", (s) => {
    expect(mapShipmentStatus(s)).toBe(s)
  })
  it("rejects statuses of the other lists and unknown ones", () => {
    expect(thrown(() => mapRefundStatus("pending"))).toBeInstanceOf(InvoiceboxUnknownStatusError)
    expect(thrown(() => mapRefundStatus("hold"))).toBeInstanceOf(InvoiceboxUnknownStatusError)
    expect(thrown(() => mapShipmentStatus("created"))).toBeInstanceOf(InvoiceboxUnknownStatusError)
    expect(thrown(() => mapShipmentStatus(undefined as never))).toBeInstanceOf(InvoiceboxUnknownStatusError)
  })
})
