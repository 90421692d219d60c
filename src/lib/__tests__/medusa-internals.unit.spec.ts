import { Modules } from "@medusajs/framework/utils"
import { checkMedusaInternals, MedusaInternalsError, paymentProviderKeys, updatePaymentSessionRow } from "../medusa-internals"
import { listInvoiceboxProviders, resolveInvoiceboxProvider } from "../invoicebox-provider"

/** A stand-in for the app container: the payment module with the given shape. */
function appWith(paymentModule: unknown) {
  return { resolve: (key: string) => (key === Modules.PAYMENT ? paymentModule : undefined), hasRegistration: () => true } as any
}

const provider = (id: string) => {
  const p = { client: {}, options: {}, providerId: "", bindProviderId: (v: string) => void (p.providerId = v) }
  return p
}

describe("Medusa internals the plugin relies on", () => {
  it("names the assumption and the Medusa version when the payment module has no __container__", () => {
    const check = () => checkMedusaInternals(appWith({ updatePaymentSessions: async () => undefined }))
    expect(check).toThrow(MedusaInternalsError)
    expect(check).toThrow(/__container__/)
    expect(check).toThrow(/@medusajs\/(medusa|framework) \d+\.\d+\.\d+/)
  })

  it("names the generated updatePaymentSessions when it is missing", async () => {
    const app = appWith({ __container__: { payment_providers: [] } })
    expect(() => checkMedusaInternals(app)).toThrow(/updatePaymentSessions/)
    await expect(updatePaymentSessionRow(app, { id: "payses_1" })).rejects.toThrow(/updatePaymentSessions/)
  })

  it("fails when a registered provider does not resolve from the module's container", () => {
    const cradle = new Proxy({ payment_providers: ["pp_invoicebox_a"] } as Record<string, unknown>, {
      get: (t, k) => {
        if (k in t) return t[k as string]
        throw new Error(`not registered: ${String(k)}`)
      },
    })
    expect(() => checkMedusaInternals(appWith({ __container__: cradle, updatePaymentSessions: async () => undefined }))).toThrow(/pp_invoicebox_a/)
  })

  it("lists every Invoicebox provider under any id and tells each its id", () => {
    const a = provider("a")
    const b = provider("b")
    const app = appWith({
      __container__: { payment_providers: ["pp_system_default", "pp_invoicebox_ooo", "pp_invoicebox_ip"], pp_system_default: {}, pp_invoicebox_ooo: a, pp_invoicebox_ip: b },
    })
    expect(paymentProviderKeys(app)).toHaveLength(3)
    expect(listInvoiceboxProviders(app).map((p) => p.providerId)).toEqual(["pp_invoicebox_ooo", "pp_invoicebox_ip"])
    expect(resolveInvoiceboxProvider(app, "ip")).toBe(b)
    expect(() => resolveInvoiceboxProvider(app, "other")).toThrow(/pp_invoicebox_other.*pp_invoicebox_ooo, pp_invoicebox_ip/s)
  })
})
