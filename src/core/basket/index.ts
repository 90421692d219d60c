export { buildBasket } from "./build"
export { toWireBasketItems } from "./wire"
export * from "./types"
