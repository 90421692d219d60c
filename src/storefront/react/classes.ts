import { useMemo } from "react"
import { createStoreClient, type StoreClient } from "../client"

/** Class names a host stylesheet can target; every part is optional and nothing is styled inline. */
export type ClassNames<K extends string> = Partial<Record<K, string>>

export const cx = (...parts: (string | false | null | undefined)[]): string | undefined => {
  const s = parts.filter(Boolean).join(" ")
  return s || undefined
}

/** Either a ready client (the js-sdk's `sdk`) or what a client component can be given as plain props. */
export interface StoreProps {
  sdk?: StoreClient
  backendUrl?: string
  publishableKey?: string
}

export function useStore({ sdk, backendUrl, publishableKey }: StoreProps): StoreClient {
  return useMemo(() => {
    if (sdk) return sdk
    if (!backendUrl || !publishableKey) throw new Error("medusa-payment-invoicebox: pass `sdk`, or `backendUrl` and `publishableKey`")
    return createStoreClient({ baseUrl: backendUrl, publishableKey })
  }, [sdk, backendUrl, publishableKey])
}
