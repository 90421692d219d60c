import { Button, Input, Label, Text, toast } from "@medusajs/ui"
import { useMutation } from "@tanstack/react-query"
import { useState } from "react"
import { adminFetch, type InvoiceView, type OrderView } from "../lib/api"
import { pickHalf, type Lang } from "../lib/i18n"

const STRINGS = {
  ru: {
    extend: "Продлить срок оплаты",
    until: "Новый срок (не больше 30 дней от сегодня)",
    save: "Продлить",
    extended: "Срок оплаты продлён",
    send: "Отправить ссылку на оплату",
    email: "Эл. почта (пусто — адрес заказа)",
    sendNow: "Отправить",
    sent: "Ссылка на оплату отправлена",
    failed: "Не удалось",
    cancel: "Отмена",
  },
  en: {
    extend: "Extend the payment term",
    until: "New term (at most 30 days from today)",
    save: "Extend",
    extended: "Payment term extended",
    send: "Send the payment link",
    email: "E-mail (empty: the order's address)",
    sendNow: "Send",
    sent: "Payment link sent",
    failed: "Failed",
    cancel: "Cancel",
  },
} as const

/** "YYYY-MM-DDTHH:mm" in local time, for <input type="datetime-local">. */
function localInput(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0")
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`
}

type Result = { view: OrderView }

/**
 * «Продлить срок оплаты» and «Отправить ссылку на оплату» for an unpaid invoice
 * (POST /admin/invoicebox/orders/:id/extend-term and /send-payment-link); both show up in the timeline.
 */
export function InvoiceManageSection({ orderId, inv, lang, onDone }: { orderId: string; inv: InvoiceView; lang: Lang; onDone: (view: OrderView) => void }) {
  const s = STRINGS[lang]
  const [mode, setMode] = useState<"none" | "extend" | "send">("none")
  const current = inv.invoice.expires_at ? new Date(inv.invoice.expires_at) : new Date()
  const [until, setUntil] = useState(localInput(new Date(Math.max(current.getTime(), Date.now()) + 3 * 86_400_000)))
  const [email, setEmail] = useState("")
  const base = `/admin/invoicebox/orders/${encodeURIComponent(orderId)}`
  const done = (message: string) => (r: Result) => {
    toast.success(message)
    setMode("none")
    onDone(r.view)
  }
  const failed = (e: Error) => toast.error(s.failed, { description: pickHalf(e.message, lang) })
  const extend = useMutation({
    mutationFn: () => adminFetch<Result>(`${base}/extend-term`, { method: "POST", body: JSON.stringify({ expires_at: new Date(until).toISOString() }) }),
    onSuccess: done(s.extended),
    onError: failed,
  })
  const send = useMutation({
    mutationFn: () => adminFetch<Result>(`${base}/send-payment-link`, { method: "POST", body: JSON.stringify(email.trim() ? { email: email.trim() } : {}) }),
    onSuccess: done(s.sent),
    onError: failed,
  })
  if (inv.invoice.status !== "created" || inv.captured_at) return null

  return (
    <div className="flex flex-col gap-y-3 px-6 py-4" data-testid="invoicebox-manage">
      <div className="flex flex-wrap gap-2">
        <Button size="small" variant="secondary" onClick={() => setMode(mode === "extend" ? "none" : "extend")} data-testid="invoicebox-extend-open">
          {s.extend}
        </Button>
        <Button size="small" variant="secondary" onClick={() => setMode(mode === "send" ? "none" : "send")} data-testid="invoicebox-send-open">
          {s.send}
        </Button>
      </div>
      {mode === "extend" && (
        <div className="flex flex-col gap-y-2">
          <Label size="small" htmlFor="invoicebox-extend-until">{s.until}</Label>
          <Input id="invoicebox-extend-until" type="datetime-local" size="small" value={until} onChange={(e) => setUntil(e.target.value)} />
          <div className="flex gap-x-2">
            <Button size="small" onClick={() => extend.mutate()} isLoading={extend.isPending} data-testid="invoicebox-extend-submit">
              {s.save}
            </Button>
            <Button size="small" variant="transparent" onClick={() => setMode("none")}>{s.cancel}</Button>
          </div>
        </div>
      )}
      {mode === "send" && (
        <div className="flex flex-col gap-y-2">
          <Label size="small" htmlFor="invoicebox-send-email">{s.email}</Label>
          <Input id="invoicebox-send-email" type="email" size="small" value={email} onChange={(e) => setEmail(e.target.value)} />
          <Text size="xsmall" className="text-ui-fg-muted break-all">{inv.invoice.payment_url}</Text>
          <div className="flex gap-x-2">
            <Button size="small" onClick={() => send.mutate()} isLoading={send.isPending} data-testid="invoicebox-send-submit">
              {s.sendNow}
            </Button>
            <Button size="small" variant="transparent" onClick={() => setMode("none")}>{s.cancel}</Button>
          </div>
        </div>
      )}
    </div>
  )
}
