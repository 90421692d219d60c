// The demo storefront: catalogue → cart → checkout with «Оплата по счёту для организаций и ИП» →
// invoice page → back from Invoicebox's payment page to the order status. Plain browser JavaScript
// against Medusa's Store API, so that every call a real storefront needs is visible in one file.
import { STRINGS, pickLanguage } from "./i18n.js"
import { splitRussianAddress } from "./requisites.js"
// The plugin's storefront kit (React components and Store API helpers), bundled by scripts/demo.mjs.
import { mountInvoicePanel, mountPayerForm, readInvoice, startInvoiceSession, storeClient } from "/kit.js"

const PROVIDER_ID = "pp_invoicebox_invoicebox"
const CART_KEY = "ib_demo_cart_id"
const ORDERS_KEY = "ib_demo_orders"
const LANG_KEY = "ib_demo_lang"
// Payment statuses after which Invoicebox has nothing more to tell the buyer.
const SETTLED = new Set(["captured", "partially_refunded", "refunded", "canceled"])
// Line totals are not among the Store API's default cart fields.
const CART_FIELDS = "fields=+items.total,+items.tax_total"

const app = document.getElementById("app")
let config = null
let lang = localStorage.getItem(LANG_KEY) === "en" ? "en" : "ru"
let pollTimer = null
let countdownTimer = null
/** React islands of the current page, unmounted when the page changes. */
let islands = []
let notice = null

const t = (key) => STRINGS[lang][key] ?? STRINGS.ru[key] ?? key

const esc = (value) =>
  String(value ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c])

const money = (amount, currency = "rub") =>
  new Intl.NumberFormat(lang === "en" ? "en-GB" : "ru-RU", {
    style: "currency",
    currency: currency.toUpperCase(),
    currencyDisplay: "narrowSymbol",
  }).format(Number(amount ?? 0))

const dateTime = (iso) => {
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return String(iso ?? "")
  const text = new Intl.DateTimeFormat(lang === "en" ? "en-GB" : "ru-RU", {
    timeZone: "Europe/Moscow",
    dateStyle: "long",
    timeStyle: "short",
  }).format(d)
  return `${text} (${lang === "en" ? "Moscow time" : "МСК"})`
}

const timeLeft = (iso) => {
  const ms = new Date(iso).getTime() - Date.now()
  if (!(ms > 0)) return t("expiredShort")
  const minutes = Math.floor(ms / 60000)
  const d = Math.floor(minutes / 1440)
  const h = Math.floor((minutes % 1440) / 60)
  const m = minutes % 60
  return [d && `${d} ${t("days")}`, (d || h) && `${h} ${t("hours")}`, `${m} ${t("minutes")}`].filter(Boolean).join(" ")
}

// --- Store API ------------------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, body) {
    super(pickLanguage(body?.message || `HTTP ${status}`, lang))
    this.status = status
    this.body = body
  }
}

async function api(path, { method = "GET", body } = {}) {
  let res
  try {
    res = await fetch(config.backendUrl + path, {
      method,
      headers: {
        "content-type": "application/json",
        "x-publishable-api-key": config.publishableKey,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
  } catch {
    throw new ApiError(0, { message: t("backendDown") })
  }
  const json = await res.json().catch(() => ({}))
  if (!res.ok) throw new ApiError(res.status, json)
  return json
}

let regionPromise = null
function region() {
  regionPromise ??= api("/store/regions").then(({ regions }) => regions.find((r) => r.currency_code === "rub") ?? regions[0])
  return regionPromise
}

async function currentCart({ create = false } = {}) {
  const id = localStorage.getItem(CART_KEY)
  if (id) {
    try {
      const { cart } = await api(`/store/carts/${id}?${CART_FIELDS}`)
      if (!cart.completed_at) return cart
    } catch (e) {
      if (e.status !== 404) throw e
    }
    localStorage.removeItem(CART_KEY)
  }
  if (!create) return null
  const { cart } = await api("/store/carts", { method: "POST", body: { region_id: (await region()).id } })
  localStorage.setItem(CART_KEY, cart.id)
  return cart
}

const savedOrders = () => {
  try {
    return JSON.parse(localStorage.getItem(ORDERS_KEY) ?? "[]")
  } catch {
    return []
  }
}

function rememberOrder(order, cartId) {
  const list = savedOrders().filter((o) => o.order_id !== order.id)
  list.unshift({ order_id: order.id, cart_id: cartId, display_id: order.display_id, total: order.total, created_at: order.created_at })
  localStorage.setItem(ORDERS_KEY, JSON.stringify(list.slice(0, 20)))
}

// --- layout ---------------------------------------------------------------------------------

async function renderHeader() {
  const header = document.getElementById("header")
  let count = 0
  try {
    const cart = localStorage.getItem(CART_KEY) ? await currentCart() : null
    count = (cart?.items ?? []).reduce((n, i) => n + Number(i.quantity), 0)
  } catch {}
  header.innerHTML = `
    <div class="brand"><a href="#/">${esc(config.storeName)}</a><span>${esc(t("storeTagline"))}</span></div>
    <nav>
      <a href="#/" data-nav="catalogue">${esc(t("catalogue"))}</a>
      <a href="#/cart" data-nav="cart">${esc(t("cart"))}${count ? ` <b class="count" data-testid="cart-count">${count}</b>` : ""}</a>
      <a href="#/orders" data-nav="orders">${esc(t("myOrders"))}</a>
      <button type="button" class="link" id="lang-switch" data-testid="lang-switch">${esc(t("language"))}</button>
    </nav>`
  document.getElementById("lang-switch").onclick = () => {
    lang = lang === "ru" ? "en" : "ru"
    localStorage.setItem(LANG_KEY, lang)
    document.documentElement.lang = lang
    route()
  }
}

function showError(target, error) {
  target.innerHTML = `<div class="alert error" role="alert" data-testid="error">${esc(error.message ?? error)}</div>`
}

// --- catalogue ------------------------------------------------------------------------------

async function renderCatalogue() {
  const reg = await region()
  const { products } = await api(
    `/store/products?region_id=${reg.id}&limit=50&fields=id,title,description,handle,*variants,*variants.calculated_price`
  )
  app.innerHTML = `<h1>${esc(t("catalogue"))}</h1>
    <div class="grid">${products
      .map(
        (p) => `<article class="product" data-handle="${esc(p.handle)}">
          <div class="thumb" aria-hidden="true">${esc(initials(p.title))}</div>
          <h2>${esc(p.title)}</h2>
          <p class="muted">${esc(p.description ?? "")}</p>
          ${
            p.variants.length > 1
              ? `<label class="field"><span>${esc(t("variant"))}</span><select data-variant>${p.variants
                  .map((v) => `<option value="${esc(v.id)}" data-price="${v.calculated_price?.calculated_amount ?? ""}">${esc(v.title)}</option>`)
                  .join("")}</select></label>`
              : `<input type="hidden" data-variant value="${esc(p.variants[0]?.id)}" data-price="${p.variants[0]?.calculated_price?.calculated_amount ?? ""}">`
          }
          <div class="buy"><span class="price" data-price-label>${money(p.variants[0]?.calculated_price?.calculated_amount, reg.currency_code)}</span>
            <small class="muted">${esc(t("vatIncluded"))}</small>
            <button type="button" class="primary" data-add>${esc(t("addToCart"))}</button></div>
          <p class="note" data-note></p>
        </article>`
      )
      .join("")}</div>`
  for (const card of app.querySelectorAll(".product")) {
    const select = card.querySelector("[data-variant]")
    const label = card.querySelector("[data-price-label]")
    select.addEventListener("change", () => {
      label.textContent = money(select.selectedOptions[0].dataset.price, reg.currency_code)
    })
    card.querySelector("[data-add]").addEventListener("click", async (ev) => {
      const button = ev.currentTarget
      button.disabled = true
      try {
        const cart = await currentCart({ create: true })
        await api(`/store/carts/${cart.id}/line-items`, { method: "POST", body: { variant_id: select.value, quantity: 1 } })
        card.querySelector("[data-note]").textContent = t("added")
        await renderHeader()
      } catch (e) {
        showError(card.querySelector("[data-note]"), e)
      } finally {
        button.disabled = false
      }
    })
  }
}

const initials = (title) =>
  String(title)
    .split(/\s+/)
    .filter((w) => /^[\p{L}]/u.test(w))
    .slice(0, 2)
    .map((w) => w[0].toUpperCase())
    .join("")

// --- cart -----------------------------------------------------------------------------------

function totalsTable(c) {
  return `<table class="totals">
    <tr><th>${esc(t("subtotal"))}</th><td>${money(c.item_total, c.currency_code)}</td></tr>
    ${c.shipping_methods?.length ? `<tr><th>${esc(t("shipping"))}</th><td>${money(c.shipping_total, c.currency_code)}</td></tr>` : ""}
    <tr><th>${esc(t("vat"))}</th><td>${money(c.tax_total, c.currency_code)}</td></tr>
    <tr class="grand"><th>${esc(t("total"))}</th><td data-testid="cart-total">${money(c.total, c.currency_code)}</td></tr>
  </table>`
}

async function renderCart() {
  const cart = await currentCart()
  if (!cart?.items?.length) {
    app.innerHTML = `<h1>${esc(t("cart"))}</h1><p>${esc(t("emptyCart"))}</p><p><a class="button" href="#/">${esc(t("toCatalogue"))}</a></p>`
    return
  }
  app.innerHTML = `<h1>${esc(t("cart"))}</h1>
    <table class="lines">
      <thead><tr><th>${esc(t("item"))}</th><th class="num">${esc(t("price"))}</th><th class="num">${esc(t("qty"))}</th><th class="num">${esc(t("sum"))}</th><th></th></tr></thead>
      <tbody>${cart.items
        .map(
          (i) => `<tr data-line="${esc(i.id)}">
            <td>${esc(i.product_title)}<br><small class="muted">${esc(i.variant_title ?? "")}</small></td>
            <td class="num">${money(i.unit_price, cart.currency_code)}</td>
            <td class="num"><input type="number" min="1" max="999" value="${Number(i.quantity)}" data-qty aria-label="${esc(t("qty"))}"></td>
            <td class="num">${money(i.total, cart.currency_code)}</td>
            <td><button type="button" class="link" data-remove>${esc(t("remove"))}</button></td>
          </tr>`
        )
        .join("")}</tbody>
    </table>
    ${totalsTable(cart)}
    <p class="actions"><a class="button primary" href="#/checkout" data-testid="to-checkout">${esc(t("checkout"))}</a></p>
    <div id="cart-error"></div>`
  for (const row of app.querySelectorAll("[data-line]")) {
    const id = row.dataset.line
    row.querySelector("[data-qty]").addEventListener("change", async (ev) => {
      const quantity = Math.max(1, Math.min(999, Math.floor(Number(ev.target.value) || 1)))
      try {
        await api(`/store/carts/${cart.id}/line-items/${id}`, { method: "POST", body: { quantity } })
        await Promise.all([renderCart(), renderHeader()])
      } catch (e) {
        showError(document.getElementById("cart-error"), e)
      }
    })
    row.querySelector("[data-remove]").addEventListener("click", async () => {
      try {
        await api(`/store/carts/${cart.id}/line-items/${id}`, { method: "DELETE" })
        await Promise.all([renderCart(), renderHeader()])
      } catch (e) {
        showError(document.getElementById("cart-error"), e)
      }
    })
  }
}

// --- checkout -------------------------------------------------------------------------------

const field = (name, label, { type = "text", hint = "", attrs = "" } = {}) => `
  <label class="field" data-field="${name}">
    <span>${esc(label)}</span>
    <input name="${name}" type="${type}" ${attrs}>
    ${hint ? `<small class="hint">${esc(hint)}</small>` : ""}
    <small class="field-error" data-error-for="${name}" role="alert"></small>
  </label>`

async function renderCheckout() {
  let cart = await currentCart()
  if (!cart?.items?.length) {
    location.hash = "#/cart"
    return
  }
  // Shipping options are matched to the cart's country, so the cart needs one before they are listed.
  if (!cart.shipping_address?.country_code) {
    ;({ cart } = await api(`/store/carts/${cart.id}?${CART_FIELDS}`, {
      method: "POST",
      body: { shipping_address: { country_code: "ru" } },
    }))
  }
  const reg = await region()
  const [{ payment_providers }, { shipping_options }] = await Promise.all([
    api(`/store/payment-providers?region_id=${reg.id}`),
    api(`/store/shipping-options?cart_id=${cart.id}`),
  ])
  const invoicebox = payment_providers.find((p) => p.id === PROVIDER_ID)

  app.innerHTML = `<h1>${esc(t("checkoutTitle"))}</h1>
  <form id="checkout" class="checkout" novalidate>
    <div class="col">
      <section class="card">
        <h2>${esc(t("paymentMethod"))}</h2>
        ${
          invoicebox
            ? `<label class="method selected"><input type="radio" name="provider" value="${PROVIDER_ID}" checked>
                <span><b>${esc(t("invoiceboxTitle"))}</b><br><small class="muted">${esc(t("invoiceboxHint"))}</small></span></label>`
            : `<div class="alert error">${esc(t("noProviders"))}</div>`
        }
      </section>
      <section class="card" id="payer">
        <h2>${esc(t("payer"))}</h2>
        <div id="payer-form"></div>
      </section>
      <section class="card">
        <h2>${esc(t("delivery"))}</h2>
        <label class="check"><input type="checkbox" name="same" checked> ${esc(t("sameAddress"))}</label>
        <div class="two">
          ${field("city", t("city"))}
          ${field("postal_code", t("postalCode"), { attrs: 'inputmode="numeric" maxlength="6"' })}
        </div>
        ${field("address_1", t("deliveryAddress"))}
        ${field("contact", t("contact"), { attrs: 'autocomplete="name"' })}
        <h3>${esc(t("shippingMethod"))}</h3>
        ${
          shipping_options.length
            ? shipping_options
                .map(
                  (o, i) => `<label class="method"><input type="radio" name="shipping" value="${esc(o.id)}" ${i === 0 ? "checked" : ""}>
                    <span><b>${esc(o.name)}</b> — ${money(o.calculated_price?.calculated_amount ?? o.amount, cart.currency_code)}
                    ${o.type?.description ? `<br><small class="muted">${esc(o.type.description)}</small>` : ""}</span></label>`
                )
                .join("")
            : `<div class="alert error">${esc(t("noShipping"))}</div>`
        }
      </section>
    </div>
    <aside class="col summary card">
      <h2>${esc(t("lines"))}</h2>
      <ul class="summary-lines">${cart.items
        .map((i) => `<li><span>${esc(i.product_title)} × ${Number(i.quantity)}</span><span>${money(i.total, cart.currency_code)}</span></li>`)
        .join("")}</ul>
      <div id="summary-totals">${totalsTable(cart)}</div>
      <div id="checkout-error"></div>
      <button type="submit" class="primary wide" id="place-order" data-testid="place-order" ${invoicebox ? "" : "disabled"}>${esc(t("placeOrder"))}</button>
    </aside>
  </form>`

  const form = document.getElementById("checkout")
  const input = (name) => form.elements.namedItem(name)
  const payerForm = mountPayerForm(document.getElementById("payer-form"), {
    sdk: storeClient(config),
    lang,
    onChange: (values) => syncDelivery(values.address),
  })
  islands.push(payerForm)
  let legalAddress = ""

  const setError = (name, message) => {
    const el = form.querySelector(`[data-error-for="${name}"]`)
    if (el) el.textContent = message ?? ""
    form.querySelector(`[data-field="${name}"]`)?.classList.toggle("invalid", !!message)
  }

  // The delivery address follows the legal address typed (or found) in the kit's payer form.
  function syncDelivery(address = legalAddress) {
    legalAddress = address
    const same = input("same").checked
    for (const name of ["city", "postal_code", "address_1"]) input(name).readOnly = same
    if (same) {
      const parts = splitRussianAddress(address)
      input("city").value = parts.city
      input("postal_code").value = parts.postalCode
      input("address_1").value = parts.street || address
      for (const name of ["city", "postal_code", "address_1"]) if (input(name).value) setError(name, null)
    }
  }
  input("same").addEventListener("change", () => syncDelivery())
  syncDelivery()

  /** The kit checks the payer exactly as the server will; the demo checks its own delivery fields. */
  function validate() {
    const payer = payerForm.handle.current.validate()
    let ok = !!payer
    for (const name of ["city", "address_1"]) {
      const missing = !input(name).value.trim()
      setError(name, missing ? t("required") : null)
      if (missing) ok = false
    }
    return ok ? payer : null
  }

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault()
    const errorBox = document.getElementById("checkout-error")
    errorBox.innerHTML = ""
    const payer = validate()
    if (!payer) {
      errorBox.innerHTML = `<div class="alert error" role="alert">${esc(t("fixErrors"))}</div>`
      setTimeout(() => form.querySelector(".invalid input")?.focus())
      return
    }
    const button = document.getElementById("place-order")
    button.disabled = true
    button.textContent = t("placing")
    try {
      const order = await placeOrder(cart.id, {
        payer,
        contact: input("contact").value.trim(),
        delivery: {
          city: input("city").value.trim(),
          postal_code: input("postal_code").value.trim(),
          address_1: input("address_1").value.trim(),
        },
        shippingOptionId: form.querySelector('input[name="shipping"]:checked')?.value,
      })
      location.hash = `#/order/${order.id}`
    } catch (e) {
      // A refusal of the store names its fields: the kit puts each message at its field.
      const info = payerForm.handle.current.showError(e.body?.message ? { status: e.status, message: e.body.message } : e)
      showError(errorBox, { message: lang === "en" ? info.en : info.ru })
      button.disabled = false
      button.textContent = t("placeOrder")
    }
  })
}

/**
 * The order of calls matters: the payment session is created last, because Medusa drops it (and
 * the plugin cancels its invoice) whenever the cart total changes — e.g. when shipping is added.
 */
async function placeOrder(cartId, { payer, contact, delivery, shippingOptionId }) {
  const [firstName, ...rest] = (contact || payer.name).split(/\s+/)
  const address = {
    first_name: firstName,
    last_name: rest.join(" "),
    company: payer.name,
    country_code: "ru",
    phone: payer.phone ?? "",
  }
  await api(`/store/carts/${cartId}`, {
    method: "POST",
    body: {
      email: payer.email,
      shipping_address: { ...address, ...delivery },
      billing_address: { ...address, address_1: payer.address, city: delivery.city, postal_code: delivery.postal_code },
    },
  })
  if (shippingOptionId) {
    await api(`/store/carts/${cartId}/shipping-methods`, { method: "POST", body: { option_id: shippingOptionId } })
  }
  const returnUrl = `${location.origin}/?return_cart=${encodeURIComponent(cartId)}`
  // The kit's helper: collection, then a session with the payer — a fresh one if the payer changed.
  await startInvoiceSession(storeClient(config), { cartId, payer, returnUrl, providerId: PROVIDER_ID })
  const result = await api(`/store/carts/${cartId}/complete`, { method: "POST" })
  if (result.type !== "order") throw new ApiError(409, { message: result.error?.message ?? "Cart not completed" })
  rememberOrder(result.order, cartId)
  localStorage.removeItem(CART_KEY)
  return result.order
}

// --- order / invoice ------------------------------------------------------------------------

const ORDER_FIELDS = [
  "+payment_status",
  "*payment_collections.payment_sessions",
  "+items.variant_sku",
  "*items.tax_lines",
  "*shipping_methods.tax_lines",
].join(",")

function invoiceSession(order) {
  const sessions = (order.payment_collections ?? []).flatMap((c) => c.payment_sessions ?? [])
  return sessions.filter((s) => s.provider_id === PROVIDER_ID && s.data?.invoicebox_order_id).at(-1) ?? null
}

const rateOf = (line) => (line.tax_lines ?? []).reduce((sum, tl) => sum + Number(tl.rate ?? 0), 0)

function printableInvoice(order, data) {
  const payer = data.payer ?? {}
  const lines = [
    ...(order.items ?? []).map((i) => ({
      name: [i.product_title, i.variant_title].filter(Boolean).join(", "),
      sku: i.variant_sku,
      qty: Number(i.quantity),
      price: i.unit_price,
      total: i.total,
      vat: i.tax_total,
      rate: rateOf(i),
    })),
    ...(order.shipping_methods ?? []).map((s) => ({
      name: `${t("shipping")}: ${s.name}`,
      qty: 1,
      price: s.amount,
      total: s.total,
      vat: s.tax_total,
      rate: rateOf(s),
    })),
  ]
  const cur = order.currency_code
  return `<section class="invoice-doc" data-testid="printable-invoice">
    <header class="doc-head">
      <div><h2>${esc(t("invoiceTitle"))} ${esc(t("numero"))} ${esc(data.invoice_number ?? "—")}</h2>
        <p>${esc(t("orderTitle"))} ${esc(t("numero"))} ${esc(order.display_id)} · ${esc(t("placedAt"))}: ${esc(dateTime(order.created_at))}</p></div>
      <div class="doc-due"><small>${esc(t("dueDate"))}</small><b>${esc(dateTime(data.expires_at))}</b></div>
    </header>
    <div class="parties">
      <div><h3>${esc(t("seller"))}</h3><p><b>${esc(config.storeName)}</b></p><p class="muted">${esc(t("sellerNote"))}</p></div>
      <div><h3>${esc(t("buyer"))}</h3>
        <p><b>${esc(payer.name)}</b></p>
        <p>${esc(t("inn"))} ${esc(payer.inn)}${payer.kpp ? `, ${esc(t("kpp"))} ${esc(payer.kpp)}` : ""}</p>
        <p>${esc(payer.address ?? "")}</p>
        <p>${esc(payer.email ?? "")}${payer.phone ? `, ${esc(payer.phone)}` : ""}</p></div>
    </div>
    <table class="lines doc-lines">
      <thead><tr><th>№</th><th>${esc(t("item"))}</th><th class="num">${esc(t("qty"))}</th><th class="num">${esc(t("price"))}</th>
        <th class="num">${esc(t("vatRate"))}</th><th class="num">${esc(t("vat"))}</th><th class="num">${esc(t("sum"))}</th></tr></thead>
      <tbody>${lines
        .map(
          (l, n) => `<tr><td>${n + 1}</td><td>${esc(l.name)}${l.sku ? `<br><small class="muted">${esc(l.sku)}</small>` : ""}</td>
            <td class="num">${l.qty} ${esc(t("unit"))}</td><td class="num">${money(l.price, cur)}</td>
            <td class="num">${l.rate ? `${l.rate} %` : esc(t("noVat"))}</td><td class="num">${money(l.vat, cur)}</td>
            <td class="num">${money(l.total, cur)}</td></tr>`
        )
        .join("")}</tbody>
    </table>
    <table class="totals">
      <tr><th>${esc(t("vat"))}</th><td>${money(order.tax_total, cur)}</td></tr>
      <tr class="grand"><th>${esc(t("grandTotal"))}</th><td>${money(order.total, cur)}</td></tr>
    </table>
    <p class="doc-link">${esc(t("payNow"))}: <span>${esc(data.payment_url)}</span></p>
  </section>`
}

async function renderOrder(id) {
  let order
  try {
    ;({ order } = await api(`/store/orders/${encodeURIComponent(id)}?fields=${encodeURIComponent(ORDER_FIELDS)}`))
  } catch (e) {
    if (e.status === 404) {
      app.innerHTML = `<h1>${esc(t("orderNotFound"))}</h1>`
      return
    }
    throw e
  }
  const data = invoiceSession(order)?.data ?? {}
  const status = order.payment_status ?? "not_paid"
  const invoiceGone = ["expired", "canceled", "cancelled"].includes(data.invoice_status) && !SETTLED.has(status)
  const payable = !SETTLED.has(status) && !invoiceGone && data.payment_url
  app.innerHTML = `
    <div class="order-head">
      <h1>${esc(t("orderTitle"))} ${esc(t("numero"))} ${esc(order.display_id)}</h1>
      <span class="badge ${esc(status)}" data-testid="payment-status" data-status="${esc(status)}">${esc(t(`status_${status}`))}</span>
    </div>
    ${
      status === "captured"
        ? `<div class="alert ok" data-testid="paid-banner">${esc(t("paidThanks"))}</div>`
        : invoiceGone
          ? `<div class="alert error">${esc(t(data.invoice_status === "expired" ? "invoiceExpired" : "invoiceCanceled"))}</div>`
          : `<div class="alert info">${esc(t("waiting"))}</div>`
    }
    <div id="invoice-panel" data-testid="invoice-card"></div>
    <section class="card invoice-extras">
      ${payable ? `<div class="kv"><span>${esc(t("timeLeft"))}</span><b id="time-left">${esc(timeLeft(data.expires_at))}</b></div>` : ""}
      <div class="actions"><button type="button" id="print">${esc(t("print"))}</button></div>
    </section>
    ${data.invoicebox_order_id ? printableInvoice(order, data) : ""}`
  document.getElementById("print").onclick = () => window.print()
  if (payable) {
    countdownTimer = setInterval(() => {
      const el = document.getElementById("time-left")
      if (el) el.textContent = timeLeft(data.expires_at)
    }, 30_000)
  }
  // The kit's invoice panel polls the store's invoice route and turns to «Оплачен» by itself when
  // Invoicebox's notification reaches the store; the rest of the page is drawn again once then.
  islands.push(
    mountInvoicePanel(document.getElementById("invoice-panel"), {
      sdk: storeClient(config),
      lang,
      orderId: order.id,
      onUpdate: (lookup) => {
        const final = ["paid", "partially_refunded", "refunded", "expired", "canceled"].includes(lookup.invoice?.status)
        if (final && !SETTLED.has(status) && !invoiceGone && location.hash === `#/order/${id}`) {
          clearTimeout(pollTimer)
          pollTimer = setTimeout(() => location.hash === `#/order/${id}` && route(), 500)
        }
      },
    })
  )
}

function renderOrders() {
  const list = savedOrders()
  const shown = notice
  notice = null
  app.innerHTML = `${shown ? `<div class="alert error">${esc(t(shown))}</div>` : ""}<h1>${esc(t("myOrders"))}</h1>${
    list.length
      ? `<ul class="orders">${list
          .map((o) => `<li><a href="#/order/${esc(o.order_id)}">${esc(t("orderTitle"))} ${esc(t("numero"))} ${esc(o.display_id)}</a> — ${esc(dateTime(o.created_at))}</li>`)
          .join("")}</ul>`
      : `<p>${esc(t("noOrders"))}</p>`
  }`
}

// --- router ---------------------------------------------------------------------------------

async function route() {
  clearTimeout(pollTimer)
  clearInterval(countdownTimer)
  for (const island of islands.splice(0)) island.unmount()
  document.documentElement.lang = lang
  const hash = location.hash || "#/"
  const nav = hash.startsWith("#/cart") || hash.startsWith("#/checkout") ? "cart" : hash.startsWith("#/order") ? "orders" : "catalogue"
  try {
    await renderHeader()
    document.querySelectorAll("[data-nav]").forEach((a) => a.classList.toggle("active", a.dataset.nav === nav))
    const order = /^#\/order\/([^/?#]+)/.exec(hash)
    if (order) await renderOrder(decodeURIComponent(order[1]))
    else if (hash.startsWith("#/cart")) await renderCart()
    else if (hash.startsWith("#/checkout")) await renderCheckout()
    else if (hash.startsWith("#/orders")) renderOrders()
    else await renderCatalogue()
  } catch (e) {
    showError(app, e)
  }
}

async function start() {
  config = await fetch("/config.json").then((r) => r.json())
  document.title = config.storeName
  // Invoicebox sends the buyer back to ?return_cart=<cart id>. The store's guest invoice route
  // (through the kit's readInvoice) names the order of that cart, in this browser or any other.
  const params = new URLSearchParams(location.search)
  const returned = params.get("return_cart")
  if (returned) {
    const found = await readInvoice(storeClient(config), { cartId: returned }).catch(() => null)
    const orderId = found?.order?.id ?? savedOrders().find((o) => o.cart_id === returned)?.order_id
    history.replaceState(null, "", orderId ? `/#/order/${orderId}` : "/#/orders")
    if (!orderId) notice = "returnUnknown"
  }
  window.addEventListener("hashchange", route)
  await route()
}

start().catch((e) => showError(app, e))
