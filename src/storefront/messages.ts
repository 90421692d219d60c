/** Every text the storefront kit shows a buyer, in Russian (the default) and English. */
export type Lang = "ru" | "en"

const ru = {
  methodTitle: "Оплата по счёту для организаций и ИП",
  methodHint: "Счёт от Инвойсбокс на вашу организацию или ИП; оплата с расчётного счёта, закрывающие документы — по ЭДО или почтой.",
  inn: "ИНН",
  innHint: "10 цифр для организации, 12 — для ИП. Реквизиты заполнятся автоматически.",
  innLookup: "Найти",
  innLooking: "Ищем организацию…",
  innFound: "Найдено",
  innNotFound: "Организация с таким ИНН не найдена — заполните реквизиты вручную.",
  innLookupFailed: "Не удалось проверить ИНН, заполните реквизиты вручную.",
  ogrn: "ОГРН",
  ogrnip: "ОГРНИП",
  typeLegal: "Организация",
  typeSole: "Индивидуальный предприниматель",
  name: "Наименование",
  kpp: "КПП",
  kppHint: "9 символов; у ИП КПП нет.",
  address: "Юридический адрес",
  email: "Эл. почта для счёта",
  phone: "Телефон",
  required: "обязательное поле",
  invoice: "Счёт",
  numero: "№",
  order: "Заказ",
  amount: "Сумма к оплате",
  dueDate: "Оплатить до",
  payNow: "Оплатить счёт",
  moscowTime: "МСК",
  payer: "Плательщик",
  status_awaiting: "Ожидает оплаты",
  status_paid: "Оплачен",
  status_partially_refunded: "Оплачен, частичный возврат",
  status_refunded: "Возвращён",
  status_expired: "Срок оплаты истёк",
  status_canceled: "Отменён",
  waiting: "Ждём оплату — статус обновится сам.",
  paidThanks: "Спасибо! Оплата получена, заказ передан в работу.",
  notFound: "Счёт не найден.",
  loading: "Загрузка…",
  noReference: "В адресе нет номера корзины или заказа.",
}
export type MessageKey = keyof typeof ru

const en: Record<MessageKey, string> = {
  methodTitle: "Pay by invoice (companies and sole proprietors)",
  methodHint: "An Invoicebox invoice to your company or sole proprietorship; pay from your business account, closing documents by EDI or post.",
  inn: "INN (tax id)",
  innHint: "10 digits for a company, 12 for a sole proprietor. The details fill in automatically.",
  innLookup: "Look up",
  innLooking: "Looking the company up…",
  innFound: "Found",
  innNotFound: "No company with this INN was found — please fill in the details yourself.",
  innLookupFailed: "Could not check the INN; please fill in the details yourself.",
  ogrn: "OGRN",
  ogrnip: "OGRNIP",
  typeLegal: "Company",
  typeSole: "Sole proprietor",
  name: "Legal name",
  kpp: "KPP",
  kppHint: "9 characters; sole proprietors have none.",
  address: "Legal address",
  email: "E-mail for the invoice",
  phone: "Phone",
  required: "is required",
  invoice: "Invoice",
  numero: "No.",
  order: "Order",
  amount: "Amount due",
  dueDate: "Due by",
  payNow: "Pay the invoice",
  moscowTime: "Moscow time",
  payer: "Payer",
  status_awaiting: "Awaiting payment",
  status_paid: "Paid",
  status_partially_refunded: "Paid, partially refunded",
  status_refunded: "Refunded",
  status_expired: "Expired",
  status_canceled: "Cancelled",
  waiting: "Waiting for the payment — the status updates by itself.",
  paidThanks: "Thank you! The payment has arrived and the order is being processed.",
  notFound: "Invoice not found.",
  loading: "Loading…",
  noReference: "The address names no cart or order.",
}

export const MESSAGES: Record<Lang, Record<MessageKey, string>> = { ru, en }

/** `overrides` lets a store reword any text without forking the components. */
export function translate(lang: Lang, key: MessageKey, overrides?: Partial<Record<MessageKey, string>>): string {
  return overrides?.[key] ?? MESSAGES[lang]?.[key] ?? ru[key]
}

export function formatMoney(amount: number, currency: string, lang: Lang): string {
  return new Intl.NumberFormat(lang === "en" ? "en-GB" : "ru-RU", {
    style: "currency",
    currency: currency.toUpperCase(),
    currencyDisplay: "narrowSymbol",
  }).format(amount)
}

/** Invoicebox and Russian buyers reason in Moscow time; the zone is named so nobody guesses. */
export function formatDueDate(iso: string, lang: Lang): string {
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return iso
  const text = new Intl.DateTimeFormat(lang === "en" ? "en-GB" : "ru-RU", {
    timeZone: "Europe/Moscow",
    dateStyle: "long",
    timeStyle: "short",
  }).format(d)
  return `${text} (${translate(lang, "moscowTime")})`
}
