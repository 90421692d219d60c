import type { FilterScalar, FilterValue } from "./types"

export type QueryInput = Record<string, FilterValue | Record<string, FilterScalar> | undefined | null>

/**
 * Encodes a filter in Invoicebox's grammar (reference §4.1): `field=v`, lists as `field[]=a&field[]=b`,
 * operators and sorting as `field[_ge]=v` / `_order[createdAt]=desc`.
 */
export function encodeQuery(query: QueryInput): string {
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null) {
      continue
    }
    if (Array.isArray(value)) {
      for (const item of value) {
        params.append(`${key}[]`, String(item))
      }
    } else if (typeof value === "object") {
      for (const [op, item] of Object.entries(value)) {
        if (item !== undefined && item !== null) {
          params.append(`${key}[${op}]`, String(item))
        }
      }
    } else {
      params.append(key, String(value))
    }
  }
  const text = params.toString()
  return text ? `?${text}` : ""
}

/** A list filter with no values matches nothing; sending it would drop the filter and match everything. */
export function hasEmptyListFilter(query: QueryInput): boolean {
  return Object.values(query).some((value) => Array.isArray(value) && value.length === 0)
}
