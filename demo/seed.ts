// Seeds a Russian B2B store: region "Россия" (RUB) with the Invoicebox provider, 22 % VAT with a
// 10 % product, goods and one service, a shipping option, a publishable key and (optionally) an
// admin user. Idempotent: a second run finds what the first created. Used by the demo
// (`medusa exec ./demo/seed.ts`) and by the integration tests.
import { writeFileSync } from "node:fs"
import type { MedusaContainer } from "@medusajs/framework/types"
import { ContainerRegistrationKeys, Modules, ProductStatus } from "@medusajs/framework/utils"
import {
  createApiKeysWorkflow,
  createProductsWorkflow,
  createRegionsWorkflow,
  createSalesChannelsWorkflow,
  createShippingOptionsWorkflow,
  createShippingProfilesWorkflow,
  createStockLocationsWorkflow,
  createTaxRatesWorkflow,
  createTaxRegionsWorkflow,
  linkSalesChannelsToApiKeyWorkflow,
  linkSalesChannelsToStockLocationWorkflow,
  updateStoresWorkflow,
} from "@medusajs/medusa/core-flows"

export const INVOICEBOX_PROVIDER_ID = "pp_invoicebox_invoicebox"

export interface SeedOptions {
  /** Prices include VAT (usual in Russia). */
  taxInclusive?: boolean
  /** Extra payment providers for the region (e.g. pp_system_default for comparisons). */
  extraProviders?: string[]
  shippingPrice?: number
}

export interface SeedResult {
  regionId: string
  salesChannelId: string
  publishableKey: string
  shippingOptionId: string
  /** Another way to ship at the courier's price (switching to it keeps the cart total). */
  altShippingOptionId: string
  returnShippingOptionId: string
  stockLocationId: string
  taxRegionId: string
  products: Array<{ id: string; handle: string; title: string; variantIds: string[]; variantSkus: string[] }>
}

const PRODUCTS = [
  {
    title: "Бумага офисная А4, 500 листов",
    handle: "paper-a4",
    description: "Бумага для принтера, класс C, 80 г/м².",
    options: [{ title: "Упаковка", values: ["1 пачка", "Коробка 5 пачек"] }],
    variants: [
      { title: "1 пачка", sku: "PAPER-A4-1", options: { Упаковка: "1 пачка" }, price: 449.9 },
      { title: "Коробка 5 пачек", sku: "PAPER-A4-5", options: { Упаковка: "Коробка 5 пачек" }, price: 2150 },
    ],
    metadata: { invoicebox_measure: "упак", invoicebox_measure_code: "778" },
  },
  {
    title: "Картридж лазерный HP 85A",
    handle: "cartridge-85a",
    description: "Совместимый картридж, ресурс 1600 страниц.",
    options: [{ title: "Тип", values: ["Стандарт"] }],
    variants: [{ title: "Стандарт", sku: "CART-85A", options: { Тип: "Стандарт" }, price: 1890.5 }],
  },
  {
    title: "Справочник «Налоговый кодекс РФ» 2026",
    handle: "tax-code-book",
    description: "Книга; облагается НДС 10 %.",
    options: [{ title: "Формат", values: ["Печатное издание"] }],
    variants: [{ title: "Печатное издание", sku: "BOOK-NK-2026", options: { Формат: "Печатное издание" }, price: 1200 }],
    vat10: true,
  },
  {
    title: "Настройка рабочего места (услуга)",
    handle: "workstation-setup",
    description: "Выезд инженера и настройка ПК, 1 час.",
    options: [{ title: "Длительность", values: ["1 час"] }],
    variants: [{ title: "1 час", sku: "SRV-SETUP-1H", options: { Длительность: "1 час" }, price: 3000 }],
    metadata: { invoicebox_item_type: "service", invoicebox_measure: "ч", invoicebox_measure_code: "356" },
    service: true,
  },
]

export async function seedB2BStore(container: MedusaContainer, opts: SeedOptions = {}): Promise<SeedResult> {
  const query = container.resolve(ContainerRegistrationKeys.QUERY)
  const link = container.resolve(ContainerRegistrationKeys.LINK)
  const fulfillment = container.resolve(Modules.FULFILLMENT)
  const storeModule = container.resolve(Modules.STORE)

  // Sales channel
  const { data: channels } = await query.graph({ entity: "sales_channel", fields: ["id", "name"] })
  let salesChannel = channels.find((c: any) => c.name === "B2B магазин") ?? channels[0]
  if (!salesChannel) {
    const { result } = await createSalesChannelsWorkflow(container).run({
      input: { salesChannelsData: [{ name: "B2B магазин" }] },
    })
    salesChannel = result[0]
  }

  const [store] = await storeModule.listStores()
  if (store) {
    await updateStoresWorkflow(container).run({
      input: {
        selector: { id: store.id },
        update: {
          name: "Канцелярия для бизнеса",
          supported_currencies: [{ currency_code: "rub", is_default: true, is_tax_inclusive: !!opts.taxInclusive }],
          default_sales_channel_id: salesChannel.id,
        },
      },
    })
  }

  // Region
  const { data: regions } = await query.graph({ entity: "region", fields: ["id", "name"] })
  let region = regions.find((r: any) => r.name === "Россия")
  if (!region) {
    const { result } = await createRegionsWorkflow(container).run({
      input: {
        regions: [
          {
            name: "Россия",
            currency_code: "rub",
            countries: ["ru"],
            payment_providers: [INVOICEBOX_PROVIDER_ID, ...(opts.extraProviders ?? [])],
            automatic_taxes: true,
            is_tax_inclusive: !!opts.taxInclusive,
          } as any,
        ],
      },
    })
    region = result[0]
  }

  // Taxes: 22 % by default (Russia's base rate since 2026), 10 % for books
  const { data: taxRegions } = await query.graph({ entity: "tax_region", fields: ["id", "country_code"] })
  let taxRegion = taxRegions.find((t: any) => t.country_code === "ru")
  if (!taxRegion) {
    const { result } = await createTaxRegionsWorkflow(container).run({
      input: [{ country_code: "ru", provider_id: "tp_system", default_tax_rate: { rate: 22, code: "VAT22", name: "НДС 22%" } }],
    })
    taxRegion = result[0]
  }

  // Stock location + fulfillment
  const { data: locations } = await query.graph({ entity: "stock_location", fields: ["id", "name"] })
  let location = locations.find((l: any) => l.name === "Склад Москва")
  if (!location) {
    const { result } = await createStockLocationsWorkflow(container).run({
      input: { locations: [{ name: "Склад Москва", address: { city: "Москва", country_code: "RU", address_1: "ул. Складская, 1" } }] },
    })
    location = result[0]
    await link.create({
      [Modules.STOCK_LOCATION]: { stock_location_id: location.id },
      [Modules.FULFILLMENT]: { fulfillment_provider_id: "manual_manual" },
    })
    await linkSalesChannelsToStockLocationWorkflow(container).run({ input: { id: location.id, add: [salesChannel.id] } })
  }

  let [profile] = await fulfillment.listShippingProfiles({ type: "default" })
  if (!profile) {
    const { result } = await createShippingProfilesWorkflow(container).run({
      input: { data: [{ name: "Default Shipping Profile", type: "default" }] },
    })
    profile = result[0]
  }

  const { data: options } = await query.graph({ entity: "shipping_option", fields: ["id", "name"] })
  let shippingOption = options.find((o: any) => o.name === "Доставка курьером")
  let returnOption = options.find((o: any) => o.name === "Возврат на склад")
  let altOption = options.find((o: any) => o.name === "Транспортная компания")
  if (!shippingOption) {
    const fulfillmentSet = await fulfillment.createFulfillmentSets({
      name: "Доставка по России",
      type: "shipping",
      service_zones: [{ name: "Россия", geo_zones: [{ country_code: "ru", type: "country" }] }],
    })
    await link.create({
      [Modules.STOCK_LOCATION]: { stock_location_id: location.id },
      [Modules.FULFILLMENT]: { fulfillment_set_id: fulfillmentSet.id },
    })
    const { result } = await createShippingOptionsWorkflow(container).run({
      input: [
        {
          name: "Доставка курьером",
          price_type: "flat",
          provider_id: "manual_manual",
          service_zone_id: fulfillmentSet.service_zones[0].id,
          shipping_profile_id: profile.id,
          type: { label: "Курьер", description: "1–2 рабочих дня", code: "courier" },
          prices: [
            { currency_code: "rub", amount: opts.shippingPrice ?? 500 },
            { region_id: region.id, amount: opts.shippingPrice ?? 500 },
          ],
          rules: [
            { attribute: "enabled_in_store", value: "true", operator: "eq" },
            { attribute: "is_return", value: "false", operator: "eq" },
          ],
        },
        {
          name: "Транспортная компания",
          price_type: "flat",
          provider_id: "manual_manual",
          service_zone_id: fulfillmentSet.service_zones[0].id,
          shipping_profile_id: profile.id,
          type: { label: "ТК", description: "Доставка транспортной компанией до терминала", code: "carrier" },
          prices: [
            { currency_code: "rub", amount: opts.shippingPrice ?? 500 },
            { region_id: region.id, amount: opts.shippingPrice ?? 500 },
          ],
          rules: [
            { attribute: "enabled_in_store", value: "true", operator: "eq" },
            { attribute: "is_return", value: "false", operator: "eq" },
          ],
        },
        {
          name: "Возврат на склад",
          price_type: "flat",
          provider_id: "manual_manual",
          service_zone_id: fulfillmentSet.service_zones[0].id,
          shipping_profile_id: profile.id,
          type: { label: "Возврат", description: "Покупатель привозит товар на склад", code: "return" },
          prices: [
            { currency_code: "rub", amount: 0 },
            { region_id: region.id, amount: 0 },
          ],
          rules: [
            { attribute: "enabled_in_store", value: "true", operator: "eq" },
            { attribute: "is_return", value: "true", operator: "eq" },
          ],
        },
      ],
    })
    shippingOption = result[0]
    altOption = result[1]
    returnOption = result[2]
  }

  // Products
  const { data: existing } = await query.graph({
    entity: "product",
    fields: ["id", "handle", "title", "variants.id", "variants.sku"],
    filters: { handle: PRODUCTS.map((p) => p.handle) },
  })
  const missing = PRODUCTS.filter((p) => !existing.some((e: any) => e.handle === p.handle))
  let created: any[] = []
  if (missing.length) {
    const { result } = await createProductsWorkflow(container).run({
      input: {
        products: missing.map((p) => ({
          title: p.title,
          handle: p.handle,
          description: p.description,
          status: ProductStatus.PUBLISHED,
          shipping_profile_id: profile.id,
          options: p.options,
          metadata: p.metadata,
          sales_channels: [{ id: salesChannel.id }],
          variants: p.variants.map((v) => ({
            title: v.title,
            sku: v.sku,
            options: v.options,
            manage_inventory: false,
            prices: [{ currency_code: "rub", amount: v.price }],
          })),
        })),
      },
    })
    created = result
  }
  const all = [...existing, ...created]

  const book = all.find((p: any) => p.handle === "tax-code-book")
  const { data: rates } = await query.graph({ entity: "tax_rate", fields: ["id", "code"] })
  if (book && !rates.some((r: any) => r.code === "VAT10")) {
    await createTaxRatesWorkflow(container).run({
      input: [
        {
          tax_region_id: taxRegion.id,
          rate: 10,
          code: "VAT10",
          name: "НДС 10%",
          rules: [{ reference: "product", reference_id: book.id }],
        } as any,
      ],
    })
  }

  // Publishable key
  const { data: keys } = await query.graph({ entity: "api_key", fields: ["id", "token", "title", "type"] })
  let key = keys.find((k: any) => k.type === "publishable" && k.title === "Витрина")
  if (!key) {
    const { result } = await createApiKeysWorkflow(container).run({
      input: { api_keys: [{ title: "Витрина", type: "publishable", created_by: "" }] },
    })
    key = result[0]
    await linkSalesChannelsToApiKeyWorkflow(container).run({ input: { id: key.id, add: [salesChannel.id] } })
  }

  return {
    regionId: region.id,
    salesChannelId: salesChannel.id,
    publishableKey: key.token,
    shippingOptionId: shippingOption.id,
    // A demo database seeded by 0.1 has no second option; the courier stands in.
    altShippingOptionId: (altOption ?? shippingOption).id,
    returnShippingOptionId: returnOption.id,
    stockLocationId: location.id,
    taxRegionId: taxRegion.id,
    products: all.map((p: any) => ({
      id: p.id,
      handle: p.handle,
      title: p.title,
      variantIds: (p.variants ?? []).map((v: any) => v.id),
      variantSkus: (p.variants ?? []).map((v: any) => v.sku),
    })),
  }
}

export default async function seed({ container }: { container: MedusaContainer }) {
  const logger = container.resolve(ContainerRegistrationKeys.LOGGER)
  const result = await seedB2BStore(container, { taxInclusive: true })
  logger.info(`Demo store seeded: region ${result.regionId}, publishable key ${result.publishableKey}`)
  // scripts/demo.mjs hands the publishable key to the storefront through this file rather than by
  // parsing the log.
  if (process.env.DEMO_SEED_OUTPUT) {
    writeFileSync(process.env.DEMO_SEED_OUTPUT, JSON.stringify(result, null, 2))
  }
}
