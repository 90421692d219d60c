import { defineWidgetConfig } from "@medusajs/admin-sdk"
import type { AdminOrder, DetailWidgetProps } from "@medusajs/framework/types"
import { ArrowPath, ArrowUpRightOnBox } from "@medusajs/icons"
import { Badge, Button, Container, Copy, Heading, StatusBadge, Text, toast } from "@medusajs/ui"
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query"
import type { ReactNode } from "react"
import { InvoiceManageSection } from "../components/invoice-manage"
import { RefundFeeNote, RefundWithFeeSection } from "../components/refund-with-fee"
import { QueryState } from "../lib/query-state"
import { Row } from "../lib/row"
import { adminFetch, type CheckStatusResponse, type InvoiceView, type OrderView } from "../lib/api"
import {
  INVOICE_STATUS,
  REFUND_STATUS,
  SHIPMENT_STATUS,
  SOURCE,
  STRINGS,
  VERDICT,
  adminLanguage,
  formatDate,
  formatDateTime,
  formatMoney,
  labelOf,
  pickHalf,
  timeLeft,
  type Lang,
} from "../lib/i18n"

/**
 * Under the dashboard's ["orders", "detail"] key on purpose: the dashboard invalidates it after a
 * refund, a capture or a cancellation, so the widget refreshes together with the rest of the page.
 */
const viewKey = (orderId: string) => ["orders", "detail", orderId, "invoicebox"]

function Value({ children }: { children: ReactNode }) {
  return (
    <Text size="small" leading="compact" className="text-ui-fg-base break-words">
      {children}
    </Text>
  )
}

function InvoiceBlock({ inv, fulfillments, lang }: { inv: InvoiceView; fulfillments: OrderView["fulfillments"]; lang: Lang }) {
  const s = STRINGS[lang]
  const i = inv.invoice
  const status = labelOf(INVOICE_STATUS, i.status, lang)
  const open = i.status === "created" || i.status === "draft" || i.status === "processing"
  const left = open ? timeLeft(i.expires_at, s) : null
  const refunded = inv.refunds.filter((r) => r.status !== "canceled").reduce((sum, r) => sum + r.amount_kopecks, 0)
  // Shipped in Medusa but without an Invoicebox shipment: no closing documents will come for it.
  const unregistered =
    inv.captured_at && !inv.live_error
      ? fulfillments.filter((f) => f.shipped_at && !inv.shipments.some((sh) => sh.fulfillment_id === f.fulfillment_id))
      : []
  return (
    <>
      <Row label={s.invoiceNo} testId="invoicebox-invoice-id">
        <div className="flex items-center gap-x-2">
          <Text size="small" leading="compact" className="text-ui-fg-base truncate font-mono">
            {i.id}
          </Text>
          <Copy content={i.id} />
        </div>
        <div>
          <StatusBadge color={status.color} data-testid="invoicebox-status" data-status={i.status}>
            {status.text}
          </StatusBadge>
        </div>
      </Row>
      <Row label={s.amount} testId="invoicebox-amount">
        <Value>
          <span className="txt-compact-medium-plus">{formatMoney(i.amount_kopecks, i.currency, lang)}</span>
        </Value>
        {i.vat_amount_kopecks !== null && (
          <Text size="xsmall" className="text-ui-fg-muted">
            {s.vat} {formatMoney(i.vat_amount_kopecks, i.currency, lang)}
          </Text>
        )}
      </Row>
      {i.paid_at ? (
        <Row label={s.paidAt}>
          <Value>{formatDateTime(i.paid_at, lang)}</Value>
        </Row>
      ) : (
        <Row label={s.dueDate} testId="invoicebox-due">
          <Value>{formatDateTime(i.expires_at, lang)}</Value>
          {left && (
            <Text size="xsmall" className={left === s.expired ? "text-ui-fg-error" : "text-ui-fg-muted"}>
              {left}
            </Text>
          )}
        </Row>
      )}
      {i.payment_url && (
        <Row label={s.paymentLink}>
          <div className="flex items-center gap-x-2">
            <a
              href={i.payment_url}
              target="_blank"
              rel="noreferrer"
              className="text-ui-fg-interactive hover:text-ui-fg-interactive-hover txt-compact-small truncate"
              data-testid="invoicebox-payment-link"
            >
              {i.payment_url.replace(/^https?:\/\//, "")}
            </a>
            <Copy content={i.payment_url} />
            <a href={i.payment_url} target="_blank" rel="noreferrer" aria-label={s.open} className="text-ui-fg-muted">
              <ArrowUpRightOnBox />
            </a>
          </div>
        </Row>
      )}
      {inv.payer && (
        <Row label={s.payer} testId="invoicebox-payer">
          <Value>
            <span className="txt-compact-small-plus">{inv.payer.name}</span>
          </Value>
          <Text size="xsmall" className="text-ui-fg-subtle">
            {s[inv.payer.type] ?? inv.payer.type} · {s.inn} {inv.payer.inn}
            {inv.payer.kpp ? ` · ${s.kpp} ${inv.payer.kpp}` : ""}
            {inv.payer.ogrn ? ` · ${s.ogrn} ${inv.payer.ogrn}` : ""}
          </Text>
          {inv.payer.address && (
            <Text size="xsmall" className="text-ui-fg-subtle">
              {inv.payer.address}
            </Text>
          )}
          {(inv.payer.email || inv.payer.phone) && (
            <Text size="xsmall" className="text-ui-fg-subtle">
              {[inv.payer.email, inv.payer.phone].filter(Boolean).join(" · ")}
            </Text>
          )}
        </Row>
      )}
      <Row label={s.refunds} testId="invoicebox-refunds">
        {inv.refunds.length === 0 ? (
          <Text size="small" className="text-ui-fg-muted">
            {s.noRefunds}
          </Text>
        ) : (
          <>
            {inv.refunds.map((r) => {
              const st = labelOf(REFUND_STATUS, r.status, lang)
              return (
                <div key={r.id} className="flex flex-col gap-y-0.5" data-testid="invoicebox-refund">
                  <div className="flex items-center gap-x-2">
                    <Text size="small" leading="compact" weight="plus" className="text-ui-fg-base">
                      {formatMoney(r.amount_kopecks, i.currency, lang)}
                    </Text>
                    <Badge size="2xsmall" color={st.color}>
                      {st.text}
                    </Badge>
                  </div>
                  <Text size="xsmall" className="text-ui-fg-muted">
                    {formatDateTime(r.created_at, lang)} · {r.source === "cabinet" ? s.fromCabinet : s.fromMedusa}
                    {r.reason || r.note ? ` · ${[r.reason, r.note].filter(Boolean).join(": ")}` : ""}
                  </Text>
                  {r.fee && <RefundFeeNote fee={r.fee} currency={i.currency} lang={lang} />}
                </div>
              )
            })}
            <Text size="xsmall" className="text-ui-fg-subtle">
              {s.refunded}: {formatMoney(refunded, i.currency, lang)} {s.of} {formatMoney(i.amount_kopecks, i.currency, lang)}
            </Text>
          </>
        )}
      </Row>
      <Row label={s.shipments} testId="invoicebox-shipments">
        {unregistered.map((f) => (
          <Text key={f.fulfillment_id} size="xsmall" className="text-ui-fg-error">
            {s.shippedNotRegistered} ({f.fulfillment_id})
            {typeof f.record?.error === "string" ? `: ${pickHalf(f.record.error, lang)}` : ""}
          </Text>
        ))}
        {inv.shipments.length === 0 ? (
          <Text size="small" className="text-ui-fg-muted">
            {s.noShipments}
          </Text>
        ) : (
          inv.shipments.map((sh) => {
            const st = labelOf(SHIPMENT_STATUS, sh.status, lang)
            return (
              <div key={sh.id} className="flex flex-col gap-y-0.5" data-testid="invoicebox-shipment">
                <div className="flex flex-wrap items-center gap-x-2">
                  <Badge size="2xsmall" color={st.color}>
                    {st.text}
                  </Badge>
                  <Text size="small" leading="compact" className="text-ui-fg-base">
                    {formatMoney(sh.amount_kopecks, i.currency, lang)}
                    {sh.final ? ` · ${s.final}` : ""}
                  </Text>
                </div>
                <Text size="xsmall" className="text-ui-fg-muted break-all">
                  {s.document} {sh.document_number ?? sh.id}
                  {sh.document_date ? ` · ${formatDate(sh.document_date, lang)}` : ""}
                </Text>
              </div>
            )
          })
        )}
      </Row>
      {inv.live_error && (
        <div className="px-6 py-3">
          <Text size="xsmall" className="text-ui-fg-error">
            {pickHalf(inv.live_error, lang)}
          </Text>
        </div>
      )}
    </>
  )
}

function Timeline({ view, lang }: { view: OrderView; lang: Lang }) {
  const s = STRINGS[lang]
  return (
    <div className="px-6 py-4" data-testid="invoicebox-timeline">
      <Text size="small" leading="compact" weight="plus" className="text-ui-fg-subtle mb-3">
        {s.timeline}
      </Text>
      {view.timeline.length === 0 ? (
        <Text size="small" className="text-ui-fg-muted">
          {s.noTimeline}
        </Text>
      ) : (
        <ol className="flex flex-col gap-y-3">
          {[...view.timeline].reverse().map((e) => {
            const verdict = labelOf(VERDICT, e.verdict, lang)
            const status = labelOf(INVOICE_STATUS, e.status, lang)
            const source = SOURCE[e.source]?.[lang === "en" ? 1 : 0] ?? e.source
            return (
              <li key={e.id} className="flex gap-x-3">
                <span
                  className={`mt-1.5 size-2 shrink-0 rounded-full ${
                    verdict.color === "green" ? "bg-ui-tag-green-icon" : verdict.color === "red" ? "bg-ui-tag-red-icon" : "bg-ui-tag-orange-icon"
                  }`}
                />
                <div className="flex min-w-0 flex-col gap-y-0.5">
                  <div className="flex flex-wrap items-center gap-x-2">
                    <Text size="small" leading="compact" weight="plus" className="text-ui-fg-base">
                      {status.text}
                    </Text>
                    <Badge size="2xsmall" color={verdict.color}>
                      {verdict.text}
                    </Badge>
                  </div>
                  <Text size="xsmall" className="text-ui-fg-muted">
                    {formatDateTime(e.received_at, lang)} · {source}
                  </Text>
                  {e.message && (e.verdict !== "success" || e.status === "term_extended" || e.status === "link_sent") && (
                    <Text size="xsmall" className="text-ui-fg-subtle break-words">
                      {pickHalf(e.message, lang)}
                    </Text>
                  )}
                </div>
              </li>
            )
          })}
        </ol>
      )}
    </div>
  )
}

const InvoiceboxOrderWidget = ({ data: order }: DetailWidgetProps<AdminOrder>) => {
  const lang = adminLanguage()
  const s = STRINGS[lang]
  const queryClient = useQueryClient()
  const query = useQuery({
    queryKey: viewKey(order.id),
    queryFn: () => adminFetch<OrderView>(`/admin/invoicebox/orders/${encodeURIComponent(order.id)}`),
    staleTime: 15_000,
  })
  const check = useMutation({
    mutationFn: () =>
      adminFetch<CheckStatusResponse>(`/admin/invoicebox/orders/${encodeURIComponent(order.id)}/check-status`, { method: "POST" }),
    onSuccess: (res) => {
      const changed = res.results.some((r) => r.effect !== "none" && r.effect !== "duplicate")
      const failed = res.results.find((r) => r.verdict !== "success")
      const status = res.results.map((r) => labelOf(INVOICE_STATUS, r.status, lang).text).join(", ")
      if (failed) toast.warning(s.checked, { description: pickHalf(failed.message, lang) || status })
      else toast.success(s.checked, { description: status })
      if (res.view) queryClient.setQueryData(viewKey(order.id), res.view)
      // The rest of the order page (payment section, status) is the dashboard's: let it refetch.
      if (changed) queryClient.invalidateQueries({ queryKey: ["orders"] })
    },
    onError: (e: Error) => toast.error(s.checkFailed, { description: pickHalf(e.message, lang) }),
  })

  const view = query.data
  // Orders paid by other means get no widget at all.
  if (view && view.invoices.length === 0) return null
  if (query.isError && (query.error as { status?: number })?.status === 404) return null

  const [current, ...others] = view ? [...view.invoices].reverse() : []

  return (
    <Container className="divide-y p-0" data-testid="invoicebox-widget">
      <div className="flex items-center justify-between gap-x-4 px-6 py-4">
        <div className="flex flex-col">
          <Heading level="h2">{s.title}</Heading>
          {view && (
            <Text size="xsmall" className="text-ui-fg-muted">
              {current?.invoice.live ? s.liveNote : s.storedNote} · {s.updated} {formatDateTime(view.read_at, lang)}
            </Text>
          )}
        </div>
        <Button
          size="small"
          variant="secondary"
          onClick={() => check.mutate()}
          isLoading={check.isPending}
          disabled={!view}
          data-testid="invoicebox-check-status"
        >
          <ArrowPath />
          {check.isPending ? s.checking : s.checkStatus}
        </Button>
      </div>
      <QueryState query={query} loading={s.loading} failed={s.loadFailed} lang={lang} />
      {current && view && <InvoiceBlock inv={current} fulfillments={view.fulfillments} lang={lang} />}
      {current && view && (
        <RefundWithFeeSection orderId={order.id} inv={current} lang={lang} onDone={(next) => queryClient.setQueryData<OrderView>(viewKey(order.id), next)} />
      )}
      {current && view && (
        <InvoiceManageSection orderId={order.id} inv={current} lang={lang} onDone={(next) => queryClient.setQueryData<OrderView>(viewKey(order.id), next)} />
      )}
      {view && <Timeline view={view} lang={lang} />}
      {others.length > 0 && (
        <div className="px-6 py-4">
          <Text size="small" leading="compact" weight="plus" className="text-ui-fg-subtle mb-2">
            {s.previousInvoices}
          </Text>
          {others.map((o) => {
            const st = labelOf(INVOICE_STATUS, o.invoice.status, lang)
            return (
              <div key={o.session_id} className="flex items-center gap-x-2">
                <Text size="xsmall" className="text-ui-fg-subtle font-mono">
                  {o.invoice.id}
                </Text>
                <Text size="xsmall" className="text-ui-fg-subtle">
                  {formatMoney(o.invoice.amount_kopecks, o.invoice.currency, lang)}
                </Text>
                <Badge size="2xsmall" color={st.color}>
                  {st.text}
                </Badge>
              </div>
            )
          })}
        </div>
      )}
    </Container>
  )
}

export const config = defineWidgetConfig({
  zone: "order.details.side.after",
})

export default InvoiceboxOrderWidget
