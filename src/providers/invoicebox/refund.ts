import type { RefundPaymentInput } from "@medusajs/framework/types"
import { allocateRefund, kopecksToRubles, refundableKopecks, rublesToKopecks, toKopecks } from "../../core"
import { userError } from "./messages"
import type InvoiceboxProviderService from "./service"
import type { InvoiceboxPaymentData } from "./service"

export interface RefundHints {
  /** Medusa refund id (ref_…): the idempotency key of the refund. */
  refundId?: string
  description?: string
  /** Returned goods by SKU, when the refund pays for a received return. */
  returned?: Map<string, number>
  /** True when no Medusa refund with this id exists (a failed attempt Medusa rolled back). */
  isMedusaRefundGone?: (refundId: string) => Promise<boolean>
}

export async function refundInvoice(
  provider: InvoiceboxProviderService,
  data: InvoiceboxPaymentData,
  input: RefundPaymentInput,
  hints: RefundHints = {}
): Promise<InvoiceboxPaymentData> {
  const amount = toKopecks(input.amount as any)
  if (amount <= 0) {
    throw userError("INVALID_DATA", "Сумма возврата должна быть больше нуля", "The refund amount must be positive")
  }
  const orderId = data.invoicebox_order_id
  const refundId = hints.refundId ?? (input.context?.idempotency_key as string | undefined)
  const merchantOrderId = (refundId ?? `${data.merchant_order_id}-r${(data.refunds?.length ?? 0) + 1}`).slice(0, 100)

  // A retried Medusa refund must not refund twice: the refund's merchantOrderId is derived from
  // the Medusa refund, so an earlier attempt is found and reused.
  const existing = (data.refunds ?? []).find((r) => r.merchant_order_id === merchantOrderId)
  if (existing) return data

  // A refund made by hand in the Invoicebox cabinet is being recorded in Medusa (see
  // lib/refund-sync): the money has already gone back, so nothing is sent to Invoicebox.
  const pending = data.cabinet_refund_pending
  if (pending && pending.amount_kopecks === amount) {
    const { cabinet_refund_pending: _done, ...rest } = data
    return {
      ...rest,
      refunds: [
        ...(data.refunds ?? []),
        {
          id: pending.id,
          merchant_order_id: "",
          amount_kopecks: amount,
          status: pending.status,
          ...(refundId ? { medusa_refund_id: refundId } : {}),
          source: "cabinet",
        },
      ],
    }
  }

  // An earlier attempt whose answer was lost may already have refunded this money under the id
  // of a Medusa refund that no longer exists (Medusa deletes it when the provider throws); the
  // admin's retry has a new id. Adopt that refund instead of paying the money out twice.
  if (refundId && hints.isMedusaRefundGone) {
    const remote = await provider.call("read the refunds", () => provider.client.findRefunds({ parentId: orderId }, { pageSize: 100 }))
    const recorded = new Set((data.refunds ?? []).map((r) => r.id))
    for (const r of remote.items) {
      if (recorded.has(r.id) || r.status === "canceled" || !r.merchantOrderId?.startsWith("ref_")) continue
      if (r.merchantOrderId === merchantOrderId || rublesToKopecks(r.amount) !== amount) continue
      if (!(await hints.isMedusaRefundGone(r.merchantOrderId))) continue
      return {
        ...data,
        refunds: [
          ...(data.refunds ?? []),
          {
            id: r.id,
            merchant_order_id: r.merchantOrderId,
            amount_kopecks: amount,
            status: r.status,
            medusa_refund_id: refundId,
            source: "medusa",
            created_at: r.createdAt,
          },
        ],
      }
    }
  }

  const available = await provider.call("read the refundable basket", () => provider.client.getRefundableBasket(orderId))
  const availableTotal = available.reduce((s, i) => s + refundableKopecks(i), 0)
  if (amount > availableTotal) {
    throw userError(
      "INVALID_DATA",
      `Нельзя вернуть ${kopecksToRubles(amount)}: по счёту ${orderId} к возврату доступно ${kopecksToRubles(availableTotal)}`,
      `Cannot refund ${kopecksToRubles(amount)}: only ${kopecksToRubles(availableTotal)} of invoice ${orderId} is still refundable`
    )
  }
  const basketItems = allocateRefund(available, amount, hints.returned)
  const vatAmount = basketItems.reduce((s, l) => s + rublesToKopecks(l.totalVatAmount), 0)
  const description = (hints.description ?? `Возврат по счёту ${data.merchant_order_id}`).slice(0, 1000)

  const { refund } = await provider.call("create the refund", () =>
    provider.client.createOrRecoverRefund({
      parentId: orderId,
      merchantOrderId,
      amount: kopecksToRubles(amount),
      vatAmount: kopecksToRubles(vatAmount),
      basketItems,
      description,
    })
  )
  return {
    ...data,
    refunds: [
      ...(data.refunds ?? []),
      {
        id: refund.id,
        merchant_order_id: merchantOrderId,
        amount_kopecks: rublesToKopecks(refund.amount),
        status: refund.status,
        ...(refundId ? { medusa_refund_id: refundId } : {}),
        source: "medusa",
        created_at: refund.createdAt,
      },
    ],
  }
}
