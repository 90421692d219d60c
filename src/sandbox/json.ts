/**
 * JSON the way Invoicebox (a PHP service) writes it: slashes escaped as `\/`, Cyrillic left raw.
 * Receivers that re-serialise the parsed body before checking the HMAC break on exactly this, so the
 * sandbox reproduces it rather than sending "friendlier" JSON than the real service.
 */
export function phpJson(value: unknown): string {
  // A "/" can only occur inside JSON strings, so the replacement never touches the structure.
  return JSON.stringify(value).replace(/\//g, "\\/")
}
