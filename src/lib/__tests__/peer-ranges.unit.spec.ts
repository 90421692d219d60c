import { readFileSync } from "fs"
import { join } from "path"
import semver from "semver"

const pkg = JSON.parse(readFileSync(join(__dirname, "../../../package.json"), "utf8"))
const MEDUSA = ["@medusajs/admin-sdk", "@medusajs/framework", "@medusajs/icons", "@medusajs/medusa"]

describe("peer ranges", () => {
  it("does not make a store install Medusa's dev tools", () => {
    // A store never needs the CLI or the test runner to run a payment plugin; as peers they caused ERESOLVE.
    expect(pkg.peerDependencies).not.toHaveProperty("@medusajs/cli")
    expect(pkg.peerDependencies).not.toHaveProperty("@medusajs/test-utils")
  })

  it.each(MEDUSA)("%s accepts the dev pin and later 2.x releases, never 3.x", (name) => {
    const range = pkg.peerDependencies[name]
    expect(semver.satisfies(pkg.devDependencies[name], range)).toBe(true)
    expect(semver.satisfies("2.99.0", range)).toBe(true)
    expect(semver.satisfies("3.0.0", range)).toBe(false)
  })
})
