/**
 * ATOM date-time in UTC without milliseconds (`2024-01-31T12:00:00+00:00`), the format of the docs
 * and the PHP SDK for `expirationDate`; `Date#toISOString()` adds milliseconds and `Z`.
 */
export function toInvoiceboxDateTime(date: Date): string {
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) {
    throw new TypeError("toInvoiceboxDateTime: invalid date")
  }
  return `${date.toISOString().slice(0, 19)}+00:00`
}
