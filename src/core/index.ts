export * from "./errors"
export * from "./money"
export * from "./vat"
export * from "./signature"
export * from "./status"
export * from "./requisites"
export * from "./basket"
export * from "./client"
export * from "./lines"
export * from "./refunds"
export * from "./shipments"

// The contracts of DESIGN.md, named so that they stay visible here (the `export *` above already
// exports them; an explicit re-export of the same binding is allowed).
export { verifySignature } from "./signature"
export { isValidInn, isValidKpp } from "./requisites"
export { InvoiceboxClient } from "./client"
