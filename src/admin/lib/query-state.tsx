import { Text } from "@medusajs/ui"
import { pickHalf, type Lang } from "./i18n"

/** The loading line and the error line every Invoicebox admin view shows above its data. */
export function QueryState({
  query,
  loading,
  failed,
  lang,
}: {
  query: { isPending: boolean; isError: boolean; error: unknown }
  loading: string
  failed: string
  lang: Lang
}) {
  if (query.isPending) {
    return (
      <div className="px-6 py-4">
        <Text size="small" className="text-ui-fg-muted">
          {loading}
        </Text>
      </div>
    )
  }
  if (query.isError) {
    return (
      <div className="px-6 py-4">
        <Text size="small" className="text-ui-fg-error">
          {failed}: {pickHalf((query.error as Error).message, lang)}
        </Text>
      </div>
    )
  }
  return null
}
