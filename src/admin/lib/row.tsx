import { Text } from "@medusajs/ui"
import type { ReactNode } from "react"

/** A label / value row as in Medusa's own detail sections; `grid` sets the column split. */
export function Row({
  label,
  children,
  testId,
  grid = "grid-cols-2 py-3",
}: {
  label: string
  children: ReactNode
  testId?: string
  grid?: string
}) {
  return (
    <div className={`text-ui-fg-subtle grid items-start px-6 ${grid}`} data-testid={testId}>
      <Text size="small" leading="compact" weight="plus">
        {label}
      </Text>
      <div className="flex min-w-0 flex-col gap-y-1">{children}</div>
    </div>
  )
}
