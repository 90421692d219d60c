import { ApiError } from "./validation"

export type FieldKind = "string" | "number" | "date"

export interface ListResult<T> {
  items: T[]
  metaData: { totalCount: number; pageSize: number; page: number }
}

const DEFAULT_PAGE_SIZE = 30
const MAX_PAGE_SIZE = 100
const OPERATORS = ["_eq", "_ne", "_gt", "_ge", "_lt", "_le", "_start"] as const
type Operator = (typeof OPERATORS)[number] | "_in"

interface Condition {
  field: string
  operator: Operator
  values: string[]
}

function invalid(name: string, message: string): ApiError {
  return new ApiError(422, "validation_error", "Validation Error", [{ name, code: "wrong_value", message }])
}

function positiveInt(params: URLSearchParams, names: string[], fallback: number): number {
  for (const name of names) {
    const raw = params.get(name)
    if (raw === null) continue
    if (!/^\d+$/.test(raw) || Number(raw) < 1) throw invalid(name, `${name} must be a positive integer`)
    return Number(raw)
  }
  return fallback
}

function compare(kind: FieldKind, actual: unknown, expected: string): number | null {
  if (actual === undefined || actual === null) return null
  if (kind === "number") {
    const a = Number(actual)
    const b = Number(expected)
    return Number.isNaN(b) ? null : a - b
  }
  if (kind === "date") {
    const a = Date.parse(String(actual))
    const b = Date.parse(expected)
    return Number.isNaN(b) ? null : a - b
  }
  const a = String(actual)
  return a === expected ? 0 : a < expected ? -1 : 1
}

function matches(kind: FieldKind, actual: unknown, condition: Condition): boolean {
  const results = condition.values.map((value) => compare(kind, actual, value))
  switch (condition.operator) {
    case "_eq":
    case "_in":
      return results.some((result) => result === 0)
    case "_ne":
      return results.every((result) => result !== 0)
    case "_gt":
      return results.every((result) => result !== null && result > 0)
    case "_ge":
      return results.every((result) => result !== null && result >= 0)
    case "_lt":
      return results.every((result) => result !== null && result < 0)
    case "_le":
      return results.every((result) => result !== null && result <= 0)
    case "_start":
      return condition.values.some((value) => actual !== undefined && actual !== null && String(actual).startsWith(value))
  }
}

/**
 * The filter grammar of reference §4.1: `field=v`, `field[]=a&field[]=b`, `field[_op]=v`,
 * `_order[field]=asc|desc`, paging `page`/`pageSize` (and the `_page`/`_pageSize` spelling the
 * official MCP client uses). Unknown fields are ignored, as extra parameters usually are.
 */
export function applyListQuery<T extends Record<string, unknown>>(
  items: T[],
  params: URLSearchParams,
  fields: Record<string, FieldKind>
): ListResult<T> {
  const conditions: Condition[] = []
  const order: Array<{ field: string; direction: 1 | -1 }> = []
  for (const key of new Set(params.keys())) {
    const match = /^(\w+)(?:\[(\w*)\])?$/.exec(key)
    if (!match) continue
    const [, field, operand] = match
    if (field === "_order") {
      if (!operand || !(operand in fields)) throw invalid(key, `cannot sort by ${operand}`)
      const direction = params.get(key)
      if (direction !== "asc" && direction !== "desc") throw invalid(key, "sort direction must be asc or desc")
      order.push({ field: operand, direction: direction === "asc" ? 1 : -1 })
      continue
    }
    if (!(field in fields)) continue
    const values = params.getAll(key)
    let operator: Operator
    if (operand === undefined) operator = "_eq"
    else if (operand === "") operator = "_in"
    else if ((OPERATORS as readonly string[]).includes(operand)) operator = operand as Operator
    else throw invalid(key, `unknown filter operator ${operand}`)
    conditions.push({ field, operator, values })
  }

  let filtered = items.filter((item) =>
    conditions.every((condition) => matches(fields[condition.field], item[condition.field], condition))
  )
  if (order.length > 0) {
    filtered = [...filtered].sort((a, b) => {
      for (const { field, direction } of order) {
        const result = compare(fields[field], a[field], String(b[field] ?? "")) ?? 0
        if (result !== 0) return result * direction
      }
      return 0
    })
  }
  const page = positiveInt(params, ["page", "_page"], 1)
  const pageSize = Math.min(positiveInt(params, ["pageSize", "_pageSize"], DEFAULT_PAGE_SIZE), MAX_PAGE_SIZE)
  return {
    items: filtered.slice((page - 1) * pageSize, page * pageSize),
    metaData: { totalCount: filtered.length, pageSize, page },
  }
}
