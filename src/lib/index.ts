export * from "./apply-invoice-state"
export * from "./invoicebox-provider"
export * from "./invoicebox-verdict"
export * from "./raw-body"
