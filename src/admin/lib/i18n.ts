// The plugin's admin strings in Russian (the default: the merchants are Russian) and English.
export type Lang = "ru" | "en"

/**
 * The admin's own language choice (i18next keeps it in localStorage "lng"), else the browser's;
 * anything but English reads Russian.
 */
export function adminLanguage(): Lang {
  let chosen: string | null = null
  try {
    chosen = window.localStorage.getItem("lng")
  } catch {
    chosen = null
  }
  const lang = (chosen || document.documentElement.lang || navigator.language || "ru").toLowerCase()
  return lang.startsWith("en") ? "en" : "ru"
}

const ru = {
  title: "Инвойсбокс — счёт",
  checkStatus: "Проверить статус",
  checking: "Проверяем…",
  checked: "Статус проверен",
  checkFailed: "Не удалось проверить статус",
  loading: "Загрузка данных Инвойсбокс…",
  loadFailed: "Не удалось загрузить данные Инвойсбокс",
  invoiceNo: "Счёт",
  amount: "Сумма",
  vat: "в т. ч. НДС",
  dueDate: "Оплатить до",
  timeLeft: "осталось",
  expired: "срок истёк",
  paidAt: "Оплачен",
  paymentLink: "Ссылка на оплату",
  open: "Открыть",
  copy: "Скопировать",
  payer: "Плательщик",
  inn: "ИНН",
  kpp: "КПП",
  ogrn: "ОГРН",
  address: "Юр. адрес",
  email: "Эл. почта",
  phone: "Телефон",
  legal: "Организация",
  sole_proprietor: "ИП",
  refunds: "Возвраты",
  noRefunds: "Возвратов нет",
  refunded: "Возвращено",
  of: "из",
  fromCabinet: "из кабинета Инвойсбокс",
  fromMedusa: "из Medusa",
  shipments: "Отгрузки и закрывающие документы",
  noShipments: "Отгрузок пока нет — закрывающие документы (акт, УПД) Инвойсбокс выставит после отгрузки.",
  shippedNotRegistered: "Отгрузка в Medusa ещё не зарегистрирована в Инвойсбокс",
  document: "Документ",
  final: "итоговая",
  timeline: "Уведомления",
  noTimeline: "Уведомлений от Инвойсбокс ещё не было",
  liveNote: "Статус прочитан из Инвойсбокс",
  storedNote: "Сохранённые данные",
  updated: "Обновлено",
  previousInvoices: "Другие счета заказа",
  days: "дн.",
  hours: "ч",
  minutes: "мин",
  // health
  healthTitle: "Инвойсбокс: подключение",
  healthSubtitle: "Проверка доступа к API, настройки магазина и уведомлений",
  healthOk: "Подключено",
  healthFail: "Нет подключения",
  credentials: "Доступ к API",
  credentialsOk: "Токен принят",
  latency: "мс",
  merchantId: "Магазин (merchantId)",
  apiUrl: "Адрес API",
  sandbox: "песочница",
  apiToken: "API-токен",
  notificationKey: "Ключ подписи уведомлений",
  signatureAlgorithm: "Алгоритм подписи",
  notificationUrl: "Адрес для уведомлений",
  notificationUrlHint: "Вставьте в личном кабинете Инвойсбокс (business.invoicebox.ru): «Начало работы» → «Настройки» → «Мои магазины», вкладка «Уведомления по протоколу», «Тип уведомления» «API l3», поле «URL уведомления», затем «Сохранить».",
  notificationUrlSuggested: "Не задан в настройках плагина (notificationUrl); предложен адрес этого сервера.",
  lastNotification: "Последнее уведомление",
  noNotifications: "Уведомлений ещё не было",
  recheck: "Проверить снова",
  notConfigured: "Провайдер Инвойсбокс не настроен",
  ago: "назад",
  justNow: "только что",
} as const

type Strings = { [K in keyof typeof ru]: string }

const en: Strings = {
  title: "Invoicebox invoice",
  checkStatus: "Check status",
  checking: "Checking…",
  checked: "Status checked",
  checkFailed: "Could not check the status",
  loading: "Loading Invoicebox data…",
  loadFailed: "Could not load the Invoicebox data",
  invoiceNo: "Invoice",
  amount: "Amount",
  vat: "incl. VAT",
  dueDate: "Due by",
  timeLeft: "left",
  expired: "expired",
  paidAt: "Paid",
  paymentLink: "Payment link",
  open: "Open",
  copy: "Copy",
  payer: "Payer",
  inn: "INN",
  kpp: "KPP",
  ogrn: "OGRN",
  address: "Legal address",
  email: "E-mail",
  phone: "Phone",
  legal: "Company",
  sole_proprietor: "Sole proprietor",
  refunds: "Refunds",
  noRefunds: "No refunds",
  refunded: "Refunded",
  of: "of",
  fromCabinet: "from the Invoicebox cabinet",
  fromMedusa: "from Medusa",
  shipments: "Shipments and closing documents",
  noShipments: "No shipments yet — Invoicebox issues the closing documents (act, UPD) once goods are shipped.",
  shippedNotRegistered: "A Medusa shipment is not registered with Invoicebox yet",
  document: "Document",
  final: "final",
  timeline: "Notifications",
  noTimeline: "No notifications from Invoicebox yet",
  liveNote: "Status read from Invoicebox",
  storedNote: "Stored data",
  updated: "Updated",
  previousInvoices: "Other invoices of the order",
  days: "d",
  hours: "h",
  minutes: "min",
  healthTitle: "Invoicebox connection",
  healthSubtitle: "API access, shop and notification settings",
  healthOk: "Connected",
  healthFail: "Not connected",
  credentials: "API access",
  credentialsOk: "Token accepted",
  latency: "ms",
  merchantId: "Shop (merchantId)",
  apiUrl: "API URL",
  sandbox: "sandbox",
  apiToken: "API token",
  notificationKey: "Notification signing key",
  signatureAlgorithm: "Signature algorithm",
  notificationUrl: "Notification URL",
  notificationUrlHint: "Paste it in the Invoicebox cabinet (business.invoicebox.ru): «Начало работы» (Getting started) → «Настройки» (Settings) → «Мои магазины» (My shops), tab «Уведомления по протоколу» (Protocol notifications), «Тип уведомления» (notification type) \"API l3\", field «URL уведомления» (notification URL), then «Сохранить» (Save).",
  notificationUrlSuggested: "Not set in the plugin options (notificationUrl); this server's address is suggested.",
  lastNotification: "Last notification",
  noNotifications: "No notifications yet",
  recheck: "Check again",
  notConfigured: "The Invoicebox provider is not configured",
  ago: "ago",
  justNow: "just now",
}

export type StringKey = keyof typeof ru

export const STRINGS: Record<Lang, Strings> = { ru, en }

type Labelled = { label: [ru: string, en: string]; color: "green" | "red" | "blue" | "orange" | "grey" | "purple" }

export const INVOICE_STATUS: Record<string, Labelled> = {
  draft: { label: ["Черновик", "Draft"], color: "grey" },
  created: { label: ["Ожидает оплаты", "Awaiting payment"], color: "orange" },
  processing: { label: ["Платёж обрабатывается", "Payment processing"], color: "blue" },
  hold: { label: ["Средства заблокированы", "Funds on hold"], color: "blue" },
  success: { label: ["Оплачен (уточняется)", "Paid (being confirmed)"], color: "blue" },
  completed: { label: ["Оплачен", "Paid"], color: "green" },
  expired: { label: ["Просрочен", "Expired"], color: "red" },
  canceled: { label: ["Отменён", "Cancelled"], color: "grey" },
  cancelled: { label: ["Отменён", "Cancelled"], color: "grey" },
  "processing-error": { label: ["Ошибка оплаты", "Payment error"], color: "red" },
  // Admin actions on an unpaid invoice, recorded in the timeline (src/lib/invoice-admin.ts).
  term_extended: { label: ["Срок оплаты продлён", "Payment term extended"], color: "blue" },
  link_sent: { label: ["Ссылка на оплату отправлена", "Payment link sent"], color: "blue" },
}

export const REFUND_STATUS: Record<string, Labelled> = {
  draft: { label: ["Черновик", "Draft"], color: "grey" },
  created: { label: ["В обработке", "Processing"], color: "orange" },
  completed: { label: ["Выполнен", "Completed"], color: "green" },
  canceled: { label: ["Отменён", "Cancelled"], color: "grey" },
}

export const SHIPMENT_STATUS: Record<string, Labelled> = {
  draft: { label: ["Черновик", "Draft"], color: "grey" },
  pending: { label: ["Документы формируются", "Documents being issued"], color: "orange" },
  completed: { label: ["Документы выставлены", "Documents issued"], color: "green" },
  canceled: { label: ["Отменена", "Cancelled"], color: "grey" },
}

export const VERDICT: Record<string, Labelled> = {
  success: { label: ["Принято", "Accepted"], color: "green" },
  processing: { label: ["Обрабатывается", "Processing"], color: "blue" },
  out_of_service: { label: ["Сбой, Инвойсбокс повторит", "Failed, Invoicebox retries"], color: "red" },
  signature_error: { label: ["Неверная подпись", "Bad signature"], color: "red" },
  order_not_found: { label: ["Заказ не найден", "Order not found"], color: "red" },
  order_wrong_amount: { label: ["Неверная сумма", "Wrong amount"], color: "red" },
  order_already_paid: { label: ["Уже оплачен", "Already paid"], color: "orange" },
  shipping_unavailable: { label: ["Товар недоступен, оплата возвращается", "Undeliverable, payment given back"], color: "red" },
}

export const SOURCE: Record<string, [ru: string, en: string]> = {
  notification: ["Уведомление Инвойсбокс", "Invoicebox notification"],
  reconciliation: ["Сверка по расписанию", "Scheduled reconciliation"],
  admin: ["Проверка из админки", "Admin check"],
}

export function labelOf(table: Record<string, Labelled>, key: string | null | undefined, lang: Lang) {
  const entry = key ? table[key] : undefined
  return { text: entry ? entry.label[lang === "en" ? 1 : 0] : key || "—", color: entry?.color ?? "grey" }
}

/** Server messages read "Русский / English": show the admin's half. */
export function pickHalf(message: string | null | undefined, lang: Lang): string {
  if (!message) return ""
  const parts = message.split(" / ")
  if (parts.length !== 2) return message
  return lang === "en" ? parts[1] : parts[0]
}

export const formatMoney = (kopecks: number | null | undefined, currency: string, lang: Lang) =>
  kopecks === null || kopecks === undefined
    ? "—"
    : new Intl.NumberFormat(lang === "en" ? "en-GB" : "ru-RU", {
        style: "currency",
        currency: (currency || "RUB").toUpperCase(),
        currencyDisplay: "narrowSymbol",
      }).format(
        kopecks / 100
      )

/** Invoicebox document dates are plain "YYYY-MM-DD": shown as dates, with no time zone shift. */
export const formatDate = (ymd: string, lang: Lang) => {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(ymd)
  if (!m) return ymd
  return new Intl.DateTimeFormat(lang === "en" ? "en-GB" : "ru-RU", { dateStyle: "medium", timeZone: "UTC" }).format(
    new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])))
  )
}

export const formatDateTime = (iso: string | null | undefined, lang: Lang) => {
  if (!iso) return "—"
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return iso
  return new Intl.DateTimeFormat(lang === "en" ? "en-GB" : "ru-RU", { dateStyle: "medium", timeStyle: "short" }).format(d)
}

export function timeLeft(iso: string | null | undefined, s: Strings): string | null {
  if (!iso) return null
  const ms = new Date(iso).getTime() - Date.now()
  if (Number.isNaN(ms)) return null
  if (ms <= 0) return s.expired
  const minutes = Math.floor(ms / 60000)
  const d = Math.floor(minutes / 1440)
  const h = Math.floor((minutes % 1440) / 60)
  const m = minutes % 60
  const parts = [d ? `${d} ${s.days}` : "", d || h ? `${h} ${s.hours}` : "", `${m} ${s.minutes}`].filter(Boolean)
  return `${s.timeLeft} ${parts.join(" ")}`
}

export function timeAgo(iso: string | null | undefined, s: Strings): string {
  if (!iso) return "—"
  const ms = Date.now() - new Date(iso).getTime()
  if (Number.isNaN(ms)) return iso
  if (ms < 60_000) return s.justNow
  const minutes = Math.floor(ms / 60000)
  const d = Math.floor(minutes / 1440)
  const h = Math.floor((minutes % 1440) / 60)
  const text = d ? `${d} ${s.days}` : h ? `${h} ${s.hours}` : `${minutes % 60} ${s.minutes}`
  return `${text} ${s.ago}`
}
