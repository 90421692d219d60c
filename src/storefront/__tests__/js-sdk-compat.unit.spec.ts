import Medusa from "@medusajs/js-sdk"
import type { StoreClient } from "../client"
import { readInvoice } from ".."

// The helpers take @medusajs/js-sdk's `sdk` as it is; this file fails the typecheck (tsc -p
// tsconfig.storefront-tests.json) if the kit's StoreClient stops accepting it.
describe("@medusajs/js-sdk compatibility", () => {
  it("passes the js-sdk's client to the helpers, which call its fetch with the Store API path", async () => {
    const sdk = new Medusa({ baseUrl: "http://store.invalid", publishableKey: "pk_test" })
    const client: StoreClient = sdk
    const seen: string[] = []
    sdk.client.fetch = (async (path: string, init: any) => {
      seen.push(`${path}?${new URLSearchParams(init.query)}`)
      return { order: null, invoice: null }
    }) as any
    expect(await readInvoice(client, { cartId: "cart_1" })).toEqual({ order: null, invoice: null })
    expect(seen).toEqual(["/store/invoicebox/invoice?cart_id=cart_1"])
  })
})
