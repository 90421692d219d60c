import type { ReactNode } from "react"

export const metadata = { title: "Invoicebox storefront kit — Next.js example" }
// Every Store API read of this example is a live one (carts and invoices change under it).
export const fetchCache = "force-no-store"
export const dynamic = "force-dynamic"

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="ru">
      <body style={{ fontFamily: "system-ui, sans-serif", maxWidth: 860, margin: "2rem auto", padding: "0 1rem" }}>{children}</body>
    </html>
  )
}
