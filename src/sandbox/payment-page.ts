import type { SandboxOrder } from "./state"

const CURRENCY_SIGNS: Record<string, string> = { RUB: "₽", USD: "$", EUR: "€", GBP: "£", CNY: "¥" }

export function escapeHtml(value: unknown): string {
  return String(value ?? "")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;")
}

/** "12 345,60 ₽": Russian grouping with a non-breaking space and a decimal comma. */
export function formatMoney(rubles: number, currency: string): string {
  const [whole, fraction] = Math.abs(rubles).toFixed(2).split(".")
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, "\u00a0")
  return `${rubles < 0 ? "−" : ""}${grouped},${fraction}\u00a0${CURRENCY_SIGNS[currency] ?? currency}`
}

function formatDateTime(iso: string): string {
  const date = new Date(iso)
  if (Number.isNaN(date.getTime())) return iso
  // Moscow time, as Invoicebox shows it to Russian payers.
  return new Intl.DateTimeFormat("ru-RU", {
    timeZone: "Europe/Moscow",
    dateStyle: "long",
    timeStyle: "short",
  }).format(date) + " (МСК)"
}

const STATUS_TEXT: Record<string, string> = {
  created: "Ожидает оплаты",
  completed: "Оплачен",
  expired: "Срок оплаты истёк",
  canceled: "Отменён",
}

function layout(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="ru">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;max-width:760px;margin:2rem auto;padding:0 1rem;color:#1f2430}
.sandbox{background:#fff4ce;border:1px solid #e6c300;padding:.5rem .75rem;border-radius:6px;font-size:.9rem}
table{border-collapse:collapse;width:100%;margin:1rem 0}th,td{border-bottom:1px solid #ddd;padding:.4rem;text-align:left}
td.num,th.num{text-align:right;white-space:nowrap}.total{font-size:1.4rem;font-weight:600}
form{display:inline-block;margin-right:.75rem}button{font-size:1rem;padding:.6rem 1.4rem;border-radius:6px;border:1px solid #888;cursor:pointer}
button.pay{background:#2f6fed;color:#fff;border-color:#2f6fed}
</style>
</head>
<body>
<p class="sandbox">Тестовая платёжная страница песочницы Инвойсбокс. Деньги не списываются.</p>
${body}
</body>
</html>`
}

function payerBlock(customer: Record<string, unknown>): string {
  const rows: Array<[string, unknown]> = [
    ["Плательщик", customer.name],
    ["ИНН", customer.vatNumber],
    ["КПП", customer.taxRegistrationReasonCode],
    ["Юридический адрес", customer.registrationAddress],
    ["Эл. почта", customer.email],
    ["Телефон", customer.phone],
  ]
  const present = rows.filter(([, value]) => value !== undefined && value !== null && value !== "")
  if (present.length === 0) return "<p>Плательщик: не указан</p>"
  const type = customer.type === "legal" ? "организация или ИП" : customer.type === "private" ? "физическое лицо" : null
  return `<h2>Плательщик${type ? ` (${type})` : ""}</h2>
<table>${present.map(([label, value]) => `<tr><th>${label}</th><td>${escapeHtml(value)}</td></tr>`).join("")}</table>`
}

export function renderPaymentPage(order: SandboxOrder): string {
  const number = (order.merchantOrderIdVisible as string | undefined) ?? order.merchantOrderId
  const lines = order.basketItems
    .map(
      (item, index) => `<tr><td>${index + 1}</td><td>${escapeHtml(item.name)}</td>` +
        `<td class="num">${escapeHtml(item.quantity)} ${escapeHtml(item.measure)}</td>` +
        `<td class="num">${formatMoney(item.amount as number, order.currencyId)}</td>` +
        `<td class="num">${formatMoney(item.totalAmount as number, order.currencyId)}</td>` +
        `<td class="num">${formatMoney(item.totalVatAmount as number, order.currencyId)}</td></tr>`
    )
    .join("\n")
  const actions =
    order.status === "created"
      ? `<form method="post" action="/pay/${escapeHtml(order.id)}/confirm"><button class="pay" type="submit">Оплатить</button></form>
<form method="post" action="/pay/${escapeHtml(order.id)}/confirm"><input type="hidden" name="instrument" value="guarantee"><button type="submit">Оплатить гарантийным платежом</button></form>
<form method="post" action="/pay/${escapeHtml(order.id)}/decline"><button type="submit">Отказаться</button></form>`
      : `<p><strong>Оплата невозможна: ${escapeHtml(STATUS_TEXT[order.status] ?? order.status)}.</strong></p>`
  return layout(
    `Счёт № ${number}`,
    `<h1>Счёт № ${escapeHtml(number)}</h1>
<p>${escapeHtml(order.description)}</p>
<p>Статус: <strong>${escapeHtml(STATUS_TEXT[order.status] ?? order.status)}</strong></p>
<p class="total">К оплате: ${formatMoney(order.amount, order.currencyId)}</p>
<p>В том числе НДС: ${formatMoney(order.vatAmount, order.currencyId)}</p>
<p>Оплатить до: ${escapeHtml(formatDateTime(order.expirationDate))}</p>
<h2>Состав счёта</h2>
<table>
<tr><th>№</th><th>Наименование</th><th class="num">Кол-во</th><th class="num">Цена</th><th class="num">Сумма</th><th class="num">НДС</th></tr>
${lines}
</table>
${payerBlock(order.customer)}
${actions}`
  )
}

export function renderResultPage(order: SandboxOrder, note?: string, flags: { refused?: boolean } = {}): string {
  const headline = flags.refused
    ? "Оплата не может быть подтверждена"
    : order.status === "completed"
      ? "Счёт оплачен"
      : order.status === "canceled"
        ? "Вы отказались от оплаты счёта"
        : STATUS_TEXT[order.status] ?? order.status
  const back = typeof order.returnUrl === "string" ? `<p><a href="${escapeHtml(order.returnUrl)}">Вернуться в магазин</a></p>` : ""
  return layout(
    headline,
    `<h1>${escapeHtml(headline)}</h1>
<p>Счёт № ${escapeHtml(order.merchantOrderId)} на сумму ${formatMoney(order.amount, order.currencyId)}.</p>
${note ? `<p>${escapeHtml(note)}</p>` : ""}
${back}`
  )
}

export function renderNotFoundPage(): string {
  return layout("Счёт не найден", "<h1>Счёт не найден</h1><p>Проверьте ссылку на оплату.</p>")
}
