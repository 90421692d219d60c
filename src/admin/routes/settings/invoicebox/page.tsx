import { defineRouteConfig } from "@medusajs/admin-sdk"
import { ArrowPath, CreditCard } from "@medusajs/icons"
import { Badge, Button, Container, Copy, Heading, StatusBadge, Text } from "@medusajs/ui"
import { useQuery } from "@tanstack/react-query"
import type { ReactNode } from "react"
import { QueryState } from "../../../lib/query-state"
import { Row as BaseRow } from "../../../lib/row"
import { adminFetch, type HealthView } from "../../../lib/api"
import { STRINGS, VERDICT, INVOICE_STATUS, adminLanguage, formatDateTime, labelOf, pickHalf, timeAgo } from "../../../lib/i18n"

const Row = (props: { label: string; children: ReactNode; testId?: string }) => (
  <BaseRow {...props} grid="grid-cols-[minmax(180px,1fr)_2fr] gap-x-4 py-4" />
)

function Mono({ children }: { children: ReactNode }) {
  return (
    <Text size="small" leading="compact" className="text-ui-fg-base break-all font-mono">
      {children}
    </Text>
  )
}

/** Settings → Invoicebox: is the shop connected, and what to paste into the Invoicebox cabinet. */
const InvoiceboxHealthPage = () => {
  const lang = adminLanguage()
  const s = STRINGS[lang]
  const query = useQuery({
    queryKey: ["invoicebox", "health"],
    queryFn: () => adminFetch<HealthView>("/admin/invoicebox/health"),
    staleTime: 0,
  })
  const h = query.data

  return (
    <Container className="divide-y p-0" data-testid="invoicebox-health">
      <div className="flex items-center justify-between px-6 py-4">
        <div>
          <Heading level="h1">{s.healthTitle}</Heading>
          <Text size="small" className="text-ui-fg-subtle">
            {s.healthSubtitle}
          </Text>
        </div>
        <div className="flex items-center gap-x-3">
          {h && (
            <StatusBadge color={h.ok ? "green" : "red"} data-testid="invoicebox-health-status">
              {h.ok ? s.healthOk : s.healthFail}
            </StatusBadge>
          )}
          <Button size="small" variant="secondary" onClick={() => query.refetch()} isLoading={query.isFetching}>
            <ArrowPath />
            {s.recheck}
          </Button>
        </div>
      </div>
      <QueryState query={query} loading={s.loading} failed={s.loadFailed} lang={lang} />
      {h && !h.configured && (
        <div className="px-6 py-4">
          <Text size="small" className="text-ui-fg-error">
            {s.notConfigured}: {pickHalf(h.problem, lang)}
          </Text>
        </div>
      )}
      {h?.configured && (
        <>
          <Row label={s.credentials} testId="invoicebox-health-credentials">
            {h.credentials?.ok ? (
              <Text size="small" leading="compact" className="text-ui-fg-base">
                {s.credentialsOk} · {h.credentials.latency_ms} {s.latency}
              </Text>
            ) : (
              <Text size="small" leading="compact" className="text-ui-fg-error">
                {pickHalf(h.credentials?.error, lang)}
              </Text>
            )}
          </Row>
          <Row label={s.merchantId}>
            <div className="flex items-center gap-x-2">
              <Mono>{h.merchant_id}</Mono>
              <Copy content={h.merchant_id ?? ""} />
            </div>
          </Row>
          <Row label={s.apiUrl}>
            <div className="flex items-center gap-x-2">
              <Mono>
                {h.api_url} ({h.api_prefix})
              </Mono>
              {h.sandbox && (
                <Badge size="2xsmall" color="orange">
                  {s.sandbox}
                </Badge>
              )}
            </div>
          </Row>
          <Row label={s.apiToken}>
            <Mono>{h.secrets?.api_token ?? "—"}</Mono>
          </Row>
          <Row label={s.notificationKey}>
            <Mono>{h.secrets?.notification_key ?? "—"}</Mono>
            <Text size="xsmall" className="text-ui-fg-muted">
              {s.signatureAlgorithm}: HMAC-{String(h.signature_algorithm ?? "sha1").toUpperCase()}
            </Text>
          </Row>
          <Row label={s.notificationUrl} testId="invoicebox-health-notification-url">
            <div className="flex items-center gap-x-2">
              <Mono>{h.notification_url}</Mono>
              <Copy content={h.notification_url ?? ""} />
            </div>
            <Text size="xsmall" className="text-ui-fg-muted">
              {s.notificationUrlHint}
            </Text>
            {!h.notification_url_configured && (
              <Text size="xsmall" className="text-ui-fg-error">
                {s.notificationUrlSuggested}
              </Text>
            )}
          </Row>
          <Row label={s.lastNotification} testId="invoicebox-health-last-notification">
            {h.last_notification ? (
              <>
                <Text size="small" leading="compact" className="text-ui-fg-base">
                  {formatDateTime(h.last_notification.received_at, lang)} ({timeAgo(h.last_notification.received_at, s)})
                </Text>
                <div className="flex items-center gap-x-2">
                  <Text size="xsmall" className="text-ui-fg-muted font-mono">
                    {h.last_notification.invoicebox_order_id}
                  </Text>
                  <Badge size="2xsmall" color={labelOf(INVOICE_STATUS, h.last_notification.status, lang).color}>
                    {labelOf(INVOICE_STATUS, h.last_notification.status, lang).text}
                  </Badge>
                  <Badge size="2xsmall" color={labelOf(VERDICT, h.last_notification.verdict, lang).color}>
                    {labelOf(VERDICT, h.last_notification.verdict, lang).text}
                  </Badge>
                </div>
              </>
            ) : (
              <Text size="small" className="text-ui-fg-muted">
                {s.noNotifications}
              </Text>
            )}
          </Row>
        </>
      )}
    </Container>
  )
}

export const config = defineRouteConfig({
  label: "Инвойсбокс / Invoicebox",
  icon: CreditCard,
})

export default InvoiceboxHealthPage
