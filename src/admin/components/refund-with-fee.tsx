import { Button, Input, Label, Text, toast } from "@medusajs/ui"
import { useMutation, useQueryClient } from "@tanstack/react-query"
import { useState, type ReactNode } from "react"
import { adminFetch, type InvoiceView, type OrderView } from "../lib/api"
import { formatMoney, pickHalf, type Lang } from "../lib/i18n"

/** Mirrors FEE_VAT_CODES of src/providers/invoicebox/options.ts (the admin bundle must not import server code). */
const VAT_CODES = ["VATNONE", "RUS_VAT0", "RUS_VAT5", "RUS_VAT7", "RUS_VAT10", "RUS_VAT20", "RUS_VAT22"] as const
type FeeView = NonNullable<InvoiceView["refunds"][number]["fee"]>

const STRINGS = {
  ru: {
    open: "Возврат с удержанием",
    title: "Возврат с удержанием (штраф, комиссия, сервисный сбор)",
    hint: "Инвойсбокс оформит возврат товаров на полную сумму и корректировочный заказ на удержание; покупатель получит разницу.",
    amount: "Сумма возврата товаров, ₽",
    feeAmount: "Удержание, ₽",
    feeName: "Название удержания",
    feeNameDefault: "Сбор за возврат товара",
    vat: "НДС удержания",
    type: "Тип позиции",
    service: "Услуга",
    commodity: "Товар",
    note: "Комментарий",
    payout: "Покупатель получит",
    submit: "Оформить возврат",
    cancel: "Отмена",
    done: "Возврат с удержанием оформлен",
    failed: "Не удалось оформить возврат",
    invalid: "Укажите суммы (не больше двух знаков после запятой); удержание меньше суммы возврата",
    feeLine: "удержание",
    goods: "возврат товаров",
    correction: "корректировочный заказ",
    pending: "ожидает оформления",
    vatNone: "без НДС",
  },
  en: {
    open: "Refund with a fee",
    title: "Refund with a fee (penalty, restocking fee, service charge)",
    hint: "Invoicebox makes a refund of the goods' full value and a correction order for the fee; the buyer gets the difference.",
    amount: "Goods refunded, ₽",
    feeAmount: "Fee, ₽",
    feeName: "Fee line name",
    feeNameDefault: "Restocking fee",
    vat: "Fee VAT",
    type: "Line type",
    service: "Service",
    commodity: "Commodity",
    note: "Note",
    payout: "The buyer gets",
    submit: "Make the refund",
    cancel: "Cancel",
    done: "Refund with a fee made",
    failed: "Could not make the refund",
    invalid: "Enter amounts (at most two decimals); the fee must be less than the refund",
    feeLine: "fee",
    goods: "goods refunded",
    correction: "correction order",
    pending: "not made yet",
    vatNone: "no VAT",
  },
} as const

const vatLabel = (code: string, lang: Lang) => (code === "VATNONE" ? STRINGS[lang].vatNone : `${code.replace(/^RUS_VAT/, "")} %`)

/** crypto.randomUUID exists only in secure contexts; an admin served over plain http on a LAN has getRandomValues only. */
function newKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16))
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")
}

/** Kopecks of a typed amount ("1 000,55" or "1000.55"), or null when it is not a money amount. */
export function parseRubles(text: string): number | null {
  const clean = text.replace(/[\s\u00a0]/g, "").replace(",", ".")
  if (!/^\d+(\.\d{1,2})?$/.test(clean)) return null
  const [whole, frac = ""] = clean.split(".")
  return Number(whole) * 100 + Number(frac.padEnd(2, "0"))
}

/** One line under a refund in the widget's list: the fee kept and the goods' value refunded. */
export function RefundFeeNote({ fee, currency, lang }: { fee: FeeView; currency: string; lang: Lang }) {
  const s = STRINGS[lang]
  return (
    <Text size="xsmall" className="text-ui-fg-subtle" data-testid="invoicebox-refund-fee">
      {s.goods} {formatMoney(fee.gross_kopecks, currency, lang)} − {s.feeLine} «{fee.name}» {formatMoney(fee.fee_kopecks, currency, lang)} (
      {vatLabel(fee.vat_code, lang)}) · {s.correction} {fee.correction_order_id ?? s.pending}
    </Text>
  )
}

/** The widget's "refund with a fee" form (POST /admin/invoicebox/orders/:id/refund-with-fee). */
export function RefundWithFeeSection({ orderId, inv, lang, onDone }: { orderId: string; inv: InvoiceView; lang: Lang; onDone: (view: OrderView) => void }) {
  const s = STRINGS[lang]
  const queryClient = useQueryClient()
  const [open, setOpen] = useState(false)
  const [amount, setAmount] = useState("")
  const [feeAmount, setFeeAmount] = useState("")
  const [feeName, setFeeName] = useState<string>(s.feeNameDefault)
  const [vatCode, setVatCode] = useState<string>("VATNONE")
  const [type, setType] = useState<"service" | "commodity">("service")
  const [note, setNote] = useState("")
  // One key per filled-in form: sending it again after a lost answer is the same refund, not a second one.
  const [key, setKey] = useState(newKey)
  const gross = parseRubles(amount)
  const fee = parseRubles(feeAmount)
  const valid = gross !== null && fee !== null && fee > 0 && fee < gross && feeName.trim().length > 0
  const submit = useMutation({
    mutationFn: () =>
      adminFetch<{ view: OrderView }>(`/admin/invoicebox/orders/${encodeURIComponent(orderId)}/refund-with-fee`, {
        method: "POST",
        body: JSON.stringify({
          amount: gross! / 100,
          fee: { amount: fee! / 100, name: feeName.trim(), vat_code: vatCode, type },
          ...(note.trim() ? { note: note.trim() } : {}),
          idempotency_key: key,
          ...(inv.payment_id ? { payment_id: inv.payment_id } : {}),
        }),
      }),
    onSuccess: (res) => {
      toast.success(s.done, { description: `${s.payout}: ${formatMoney(gross! - fee!, inv.invoice.currency, lang)}` })
      onDone(res.view)
      queryClient.invalidateQueries({ queryKey: ["orders"] })
      setKey(newKey())
      setOpen(false)
    },
    onError: (e: Error) => toast.error(s.failed, { description: pickHalf(e.message, lang) }),
  })
  if (!inv.captured_at || inv.canceled_at) return null
  if (!open) {
    return (
      <div className="flex justify-end px-6 py-3">
        <Button size="small" variant="secondary" onClick={() => setOpen(true)} data-testid="invoicebox-refund-fee-open">
          {s.open}
        </Button>
      </div>
    )
  }
  const select = "bg-ui-bg-field shadow-borders-base txt-compact-small h-8 rounded-md px-2"
  return (
    <form
      className="flex flex-col gap-y-3 px-6 py-4"
      data-testid="invoicebox-refund-fee-form"
      onSubmit={(e) => {
        e.preventDefault()
        if (valid) submit.mutate()
      }}
    >
      <Text size="small" weight="plus">
        {s.title}
      </Text>
      <Text size="xsmall" className="text-ui-fg-muted">
        {s.hint}
      </Text>
      <div className="grid grid-cols-2 gap-3">
        <Field label={s.amount} id="ibx-fee-gross">
          <Input id="ibx-fee-gross" size="small" inputMode="decimal" value={amount} onChange={(e) => setAmount(e.target.value)} />
        </Field>
        <Field label={s.feeAmount} id="ibx-fee-amount">
          <Input id="ibx-fee-amount" size="small" inputMode="decimal" value={feeAmount} onChange={(e) => setFeeAmount(e.target.value)} />
        </Field>
        <Field label={s.feeName} id="ibx-fee-name">
          <Input id="ibx-fee-name" size="small" maxLength={500} value={feeName} onChange={(e) => setFeeName(e.target.value)} />
        </Field>
        <Field label={s.vat} id="ibx-fee-vat">
          <select id="ibx-fee-vat" className={select} value={vatCode} onChange={(e) => setVatCode(e.target.value)}>
            {VAT_CODES.map((c) => (
              <option key={c} value={c}>
                {vatLabel(c, lang)}
              </option>
            ))}
          </select>
        </Field>
        <Field label={s.type} id="ibx-fee-type">
          <select id="ibx-fee-type" className={select} value={type} onChange={(e) => setType(e.target.value as "service" | "commodity")}>
            <option value="service">{s.service}</option>
            <option value="commodity">{s.commodity}</option>
          </select>
        </Field>
        <Field label={s.note} id="ibx-fee-note">
          <Input id="ibx-fee-note" size="small" maxLength={1000} value={note} onChange={(e) => setNote(e.target.value)} />
        </Field>
      </div>
      <Text size="small" data-testid="invoicebox-refund-fee-payout">
        {valid ? `${s.payout}: ${formatMoney(gross! - fee!, inv.invoice.currency, lang)}` : amount || feeAmount ? s.invalid : ""}
      </Text>
      <div className="flex justify-end gap-x-2">
        <Button size="small" variant="secondary" type="button" onClick={() => setOpen(false)}>
          {s.cancel}
        </Button>
        <Button size="small" type="submit" disabled={!valid} isLoading={submit.isPending} data-testid="invoicebox-refund-fee-submit">
          {s.submit}
        </Button>
      </div>
    </form>
  )
}

function Field({ label, id, children }: { label: string; id: string; children: ReactNode }) {
  return (
    <div className="flex flex-col gap-y-1">
      <Label htmlFor={id} size="xsmall">
        {label}
      </Label>
      {children}
    </div>
  )
}
