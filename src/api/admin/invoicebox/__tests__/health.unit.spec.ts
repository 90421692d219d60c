import { maskSecret } from "../health/route"

describe("maskSecret", () => {
  it("shows the start and end of a long secret, never the whole of it", () => {
    const token = "b37c4c689295904ed21eee5d9a48d42e"
    const masked = maskSecret(token)!
    expect(masked).toBe("b37c…2e")
    expect(masked).not.toContain(token.slice(4, -2))
  })

  it("shows only the length of a short secret, whose ends would give most of it away", () => {
    expect(maskSecret("test")).toBe("•••• (4)")
    expect(maskSecret("12345678901")).toBe("•••• (11)")
  })

  it("says nothing for a missing secret", () => {
    expect(maskSecret(undefined)).toBeNull()
    expect(maskSecret("")).toBeNull()
  })
})
