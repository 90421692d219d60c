import { readFileSync } from "fs"
import { join } from "path"
import { STRINGS } from "../lib/i18n"

// The widget file is TSX with React imports; reading its config as text keeps this a plain unit test.
const widget = readFileSync(join(__dirname, "../widgets/invoicebox-order.tsx"), "utf8")

describe("order widget placement", () => {
  it("sits in the order page's side column, where the payment is, not below Metadata/JSON", () => {
    const zone = /zone:\s*"([^"]+)"/.exec(widget)?.[1]
    expect(zone).toMatch(/^order\.details\.side\.(before|after)$/)
  })

  it("uses a zone the installed admin SDK knows", () => {
    const shared = readFileSync(require.resolve("@medusajs/admin-shared"), "utf8")
    const zone = /zone:\s*"([^"]+)"/.exec(widget)![1]
    expect(shared).toContain(`"${zone}"`)
  })
})

describe("cabinet notification hint", () => {
  // Invoicebox docs docs/merchant/cms/1c-bitrix.md «Настройка в личном кабинете Инвойсбокс (для версии 3)»
  const documented = ["«Начало работы»", "«Настройки»", "«Мои магазины»", "«Уведомления по протоколу»", "API l3", "«URL уведомления»"]
  it.each([["ru", STRINGS.ru], ["en", STRINGS.en]])("%s names the cabinet path as Invoicebox documents it", (_l, dict) => {
    for (const name of documented) expect(dict.notificationUrlHint).toContain(name)
    expect(dict.notificationUrlHint).not.toContain("API v3")
  })
})
