import { InvoiceboxError } from "../errors"

const LOOPBACK_HOSTNAMES = new Set(["localhost", "127.0.0.1", "::1", "[::1]"])

/** True when the URL (or bare host name) points at this machine: localhost, 127.0.0.0/8 or ::1. */
export function isLoopbackHost(url: string | URL): boolean {
  if (typeof url === "string" && LOOPBACK_HOSTNAMES.has(url.trim().toLowerCase())) {
    return true
  }
  let hostname: string
  try {
    hostname = (typeof url === "string" && !url.includes("://") ? new URL(`http://${url}`) : new URL(url))
      .hostname
  } catch {
    return false
  }
  hostname = hostname.toLowerCase()
  if (LOOPBACK_HOSTNAMES.has(hostname) || hostname.endsWith(".localhost")) {
    return true
  }
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname)
}

/**
 * Parses and checks an Invoicebox API base URL. The bearer token travels in every request, so plain
 * http is only accepted for loopback hosts (the local sandbox); anything else must be https.
 * Credentials, query and fragment are refused because the client appends `/<prefix>/<path>` and
 * its own query string.
 */
export function assertSafeApiUrl(url: string, optionName = "baseUrl"): URL {
  if (typeof url !== "string" || url.trim() === "") {
    throw invalidOption(`${optionName} is required (e.g. https://api.invoicebox.ru)`)
  }
  let parsed: URL
  try {
    parsed = new URL(url.trim())
  } catch {
    throw invalidOption(`${optionName} is not a valid absolute URL: "${url}"`)
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    throw invalidOption(`${optionName} must use https, got "${parsed.protocol}"`)
  }
  if (parsed.protocol === "http:" && !isLoopbackHost(parsed)) {
    throw invalidOption(
      `${optionName} must use https (plain http is allowed only for localhost / 127.0.0.1 / ::1): "${parsed.origin}"`
    )
  }
  if (parsed.username || parsed.password) {
    throw invalidOption(`${optionName} must not contain credentials; use apiToken`)
  }
  if (parsed.search || parsed.hash) {
    throw invalidOption(`${optionName} must not contain a query string or fragment`)
  }
  return parsed
}

export function invalidOption(message: string): InvoiceboxError {
  return new InvoiceboxError(`Invalid Invoicebox client options: ${message}`, { code: "invalid_options" })
}
