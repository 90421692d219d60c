import { createHmac, timingSafeEqual } from "node:crypto"

/**
 * Invoicebox signs notifications with an HMAC of the raw request body (reference §6.3): the bytes
 * as received, never a re-serialisation, because PHP-style escapes (`\/`) and raw Cyrillic would
 * not survive JSON.parse + JSON.stringify.
 */
function hmacHex(rawBody: string | Buffer, key: string, algorithm: string): string {
  return createHmac(algorithm.trim().toLowerCase(), key)
    .update(typeof rawBody === "string" ? Buffer.from(rawBody, "utf8") : rawBody)
    .digest("hex")
}

/** The `X-Signature` value for a body (lowercase hex). Throws for an algorithm Node does not know. */
export function signBody(rawBody: string | Buffer, key: string, algorithm = "sha1"): string {
  return hmacHex(rawBody, key, algorithm)
}

/**
 * True only when `signature` is the HMAC of `rawBody` under `key`. Hex case is ignored; the
 * comparison is constant-time; anything odd (no signature, no key, unknown algorithm, garbage)
 * is false rather than an exception, because the caller answers the webhook either way.
 */
export function verifySignature(
  rawBody: string | Buffer,
  signature: string | undefined,
  key: string,
  algorithm = "sha1"
): boolean {
  try {
    if (typeof signature !== "string" || typeof key !== "string" || key.length === 0) return false
    if (typeof rawBody !== "string" && !Buffer.isBuffer(rawBody)) return false
    const expected = Buffer.from(hmacHex(rawBody, key, algorithm), "utf8")
    const given = Buffer.from(signature.trim().toLowerCase(), "utf8")
    // timingSafeEqual throws on different lengths; the length of a hex digest is not a secret.
    if (given.length !== expected.length) return false
    return timingSafeEqual(given, expected)
  } catch {
    return false
  }
}
