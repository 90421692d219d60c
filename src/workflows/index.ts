export * from "./capture-order-invoice"
