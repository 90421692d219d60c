import { readFileSync } from "node:fs"
import { join } from "node:path"
import fc from "fast-check"
import { signBody, verifySignature } from "../signature"

// examples/payment-notification.php of InvoiceBox/invoicebox-sdk-php: the body as sent, byte for byte.
const body = readFileSync(join(__dirname, "fixtures", "php-sdk-notification.json"))
const SDK_SIGNATURE = "4731e2fb446ba519fd9d8798a1a0873f073189e8"
const SDK_KEY = "test"

describe("notification signature", () => {
  it("the fixture is the exact SDK body (PHP escapes, raw Cyrillic, no trailing newline)", () => {
    const text = body.toString("utf8")
    expect(text.endsWith('"processable":true}')).toBe(true)
    expect(text).toContain('"paymentUrl":"https:\\/\\/pay.invoicebox.ru\\/order\\/')
    expect(text).toContain("Проездной билет")
  })

  it("reproduces the SDK example signature (known answer)", () => {
    expect(signBody(body, SDK_KEY)).toBe(SDK_SIGNATURE)
    expect(signBody(body.toString("utf8"), SDK_KEY, "sha1")).toBe(SDK_SIGNATURE)
    expect(verifySignature(body, SDK_SIGNATURE, SDK_KEY)).toBe(true)
    expect(verifySignature(body.toString("utf8"), SDK_SIGNATURE, SDK_KEY)).toBe(true)
  })

  it("ignores hex case and surrounding whitespace of the header", () => {
    expect(verifySignature(body, SDK_SIGNATURE.toUpperCase(), SDK_KEY)).toBe(true)
    expect(verifySignature(body, ` ${SDK_SIGNATURE}\n`, SDK_KEY)).toBe(true)
  })

  it("fails when any single byte of the body changes", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: body.length - 1 }), fc.integer({ min: 1, max: 255 }), (index, delta) => {
        const tampered = Buffer.from(body)
        tampered[index] = (tampered[index] + delta) % 256
        expect(verifySignature(tampered, SDK_SIGNATURE, SDK_KEY)).toBe(false)
      })
    )
  })

  it("fails for a re-serialised body: the raw bytes are what is signed", () => {
    const reserialised = JSON.stringify(JSON.parse(body.toString("utf8")))
    expect(reserialised).not.toBe(body.toString("utf8"))
    expect(verifySignature(reserialised, SDK_SIGNATURE, SDK_KEY)).toBe(false)
  })

  it("fails when one hex digit of the signature or the key differs", () => {
    const flipped = (SDK_SIGNATURE[0] === "4" ? "5" : "4") + SDK_SIGNATURE.slice(1)
    expect(verifySignature(body, flipped, SDK_KEY)).toBe(false)
    expect(verifySignature(body, SDK_SIGNATURE, "Test")).toBe(false)
  })

  it.each([
    ["missing", undefined],
    ["empty", ""],
    ["truncated", SDK_SIGNATURE.slice(0, 39)],
    ["too long", SDK_SIGNATURE + "0"],
    ["non-hex of the same length", "z".repeat(40)],
    ["non-ASCII look-alike", "\u0134" + SDK_SIGNATURE.slice(1)],
    ["not a string", 12345 as never],
  ])("returns false (never throws) for a %s signature", (_name, signature) => {
    expect(verifySignature(body, signature as string | undefined, SDK_KEY)).toBe(false)
  })

  it("returns false for an unknown algorithm, an empty key or a body of the wrong type", () => {
    expect(verifySignature(body, SDK_SIGNATURE, SDK_KEY, "no-such-hash")).toBe(false)
    expect(verifySignature(body, signBody(body, ""), "")).toBe(false)
    expect(verifySignature(null as never, SDK_SIGNATURE, SDK_KEY)).toBe(false)
    expect(verifySignature(body, SDK_SIGNATURE, undefined as never)).toBe(false)
  })

  it("supports other algorithms the cabinet may select", () => {
    const sha256 = signBody(body, SDK_KEY, "sha256")
    expect(sha256).toMatch(/^[0-9a-f]{64}$/)
    expect(verifySignature(body, sha256, SDK_KEY, "SHA256")).toBe(true)
    expect(verifySignature(body, sha256, SDK_KEY)).toBe(false)
    expect(verifySignature(body, SDK_SIGNATURE, SDK_KEY, "sha256")).toBe(false)
  })

  it("signs and verifies any body and key (round trip)", () => {
    fc.assert(
      fc.property(fc.string(), fc.string({ minLength: 1 }), (text, key) => {
        const sig = signBody(text, key)
        expect(sig).toMatch(/^[0-9a-f]{40}$/)
        expect(verifySignature(Buffer.from(text, "utf8"), sig, key)).toBe(true)
      })
    )
  })
})
