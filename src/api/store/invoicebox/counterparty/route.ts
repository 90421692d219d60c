import type { MedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import type { ICacheService, Logger } from "@medusajs/framework/types"
import { ContainerRegistrationKeys, Modules } from "@medusajs/framework/utils"
import { isValidInn, type Counterparty } from "../../../../core"
import { defaultInvoiceboxProvider } from "../../../../lib"
import { resetMemoryBudget, takeLookupSlot } from "../../../../providers/invoicebox/request-budget"

/**
 * What the storefront gets: enough to fill the payer form, nothing Invoicebox-internal. Declared once,
 * in the storefront kit that reads it (a type-only import: nothing of the kit runs on the server).
 */
export type { Counterparty as CounterpartyAnswer } from "../../../../storefront/client"
import type { Counterparty as CounterpartyAnswer } from "../../../../storefront/client"

/** Register data changes rarely; a day keeps Invoicebox out of repeated checkouts of one buyer. */
export const FOUND_TTL_SECONDS = 24 * 60 * 60
/** Shorter: a company registered today should not stay "unknown" for a whole day. */
export const NOT_FOUND_TTL_SECONDS = 60 * 60
export const CACHE_KEY_PREFIX = "invoicebox:counterparty:v1:"

export const RATE_LIMIT = { limit: 30, windowMs: 60_000 }
const MAX_INN_INPUT = 32
const MAX_TRACKED_CLIENTS = 10_000

type CachedLookup = { found: true; counterparty: CounterpartyAnswer } | { found: false }

/**
 * Per-client fixed-window counter, kept in this process's memory on purpose: it only shields the
 * Invoicebox lookup quota from one noisy client. With N server instances a client gets at most N
 * times the limit, and a restart forgets the counters — both harmless here, whereas a shared store
 * would add a Redis round trip to every checkout keystroke. Correctness (payments) never depends on it.
 */
const windows = new Map<string, { start: number; count: number }>()

export function takeRateLimitToken(client: string, now = Date.now()): { ok: true } | { ok: false; retryAfterSeconds: number } {
  const current = windows.get(client)
  if (!current || now - current.start >= RATE_LIMIT.windowMs) {
    if (windows.size >= MAX_TRACKED_CLIENTS) {
      for (const [key, w] of windows) if (now - w.start >= RATE_LIMIT.windowMs) windows.delete(key)
      // Under a flood of distinct addresses, forgetting everyone is better than growing without bound.
      if (windows.size >= MAX_TRACKED_CLIENTS) windows.clear()
    }
    windows.set(client, { start: now, count: 1 })
    return { ok: true }
  }
  if (current.count >= RATE_LIMIT.limit) {
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((current.start + RATE_LIMIT.windowMs - now) / 1000)) }
  }
  current.count++
  return { ok: true }
}

/** For tests: start every case with fresh windows. */
export function resetRateLimit(): void {
  windows.clear()
  resetMemoryBudget()
}

type InnCheck = { ok: true; inn: string } | { ok: false; code: string; ru: string; en: string }

export function checkInnParam(raw: unknown): InnCheck {
  const bad = (code: string, ru: string, en: string): InnCheck => ({ ok: false, code, ru: `ИНН (inn): ${ru}`, en: `INN (inn): ${en}` })
  if (raw === undefined || raw === null || raw === "") return bad("missing", "укажите ИНН", "the INN is required")
  if (typeof raw !== "string") return bad("malformed", "передайте одно значение", "pass a single value")
  if (raw.length > MAX_INN_INPUT) return bad("too_long", "слишком длинное значение", "the value is too long")
  const inn = raw.trim()
  if (!/^\d+$/.test(inn)) return bad("not_digits", "допускаются только цифры", "digits only")
  if (inn.length !== 10 && inn.length !== 12) {
    return bad("invalid_length", "10 цифр для организации или 12 для ИП", "10 digits for a company or 12 for a sole proprietor")
  }
  if (!isValidInn(inn)) return bad("invalid_checksum", "неверная контрольная сумма", "the checksum is invalid")
  return { ok: true, inn }
}

export function toAnswer(inn: string, c: Counterparty): CounterpartyAnswer {
  return {
    name: c.name || c.nameFull || "",
    inn: c.vatNumber || inn,
    kpp: c.taxRegistrationReasonCode || null,
    address: c.registrationAddress || c.postAddress || null,
    ogrn: c.registrationNumber || null,
    type: inn.length === 12 ? "sole_proprietor" : "legal",
  }
}

function clientAddress(req: MedusaRequest): string {
  // req.ip honours Express's "trust proxy", which Medusa sets to 1 (@medusajs/framework
  // dist/http/express-loader.js): the address the one proxy in front appended to X-Forwarded-For.
  // Exposed without a proxy, a client can forge that header and dodge this limit — the global
  // look-up limit (takeLookupSlot) is what protects the Invoicebox quota then.
  return req.ip || req.socket?.remoteAddress || "unknown"
}

function tryResolve<T>(req: MedusaRequest, key: string): T | undefined {
  try {
    return req.scope.resolve<T>(key)
  } catch {
    return undefined
  }
}

/**
 * GET /store/invoicebox/counterparty?inn= — the company (or ИП) behind an ИНН, from Invoicebox's
 * register look-up, to fill the payer form at checkout.
 */
export async function GET(req: MedusaRequest, res: MedusaResponse): Promise<void> {
  const limited = takeRateLimitToken(clientAddress(req))
  if (!limited.ok) {
    res.setHeader("Retry-After", String(limited.retryAfterSeconds))
    res.status(429).json({
      type: "too_many_requests",
      message: `Слишком много запросов проверки ИНН, повторите через ${limited.retryAfterSeconds} с / Too many INN look-ups, retry in ${limited.retryAfterSeconds} s`,
    })
    return
  }

  const check = checkInnParam(req.query?.inn)
  if (!check.ok) {
    res.status(400).json({ type: "invalid_data", code: check.code, field: "inn", message: `${check.ru} / ${check.en}` })
    return
  }
  const { inn } = check
  const logger = tryResolve<Logger>(req, ContainerRegistrationKeys.LOGGER) ?? console
  const cache = tryResolve<ICacheService>(req, Modules.CACHE)
  const key = CACHE_KEY_PREFIX + inn

  let lookup: CachedLookup | null = null
  try {
    lookup = (await cache?.get<CachedLookup>(key)) ?? null
  } catch (e) {
    logger.warn(`Invoicebox counterparty: cache read failed, asking Invoicebox: ${(e as Error).message}`)
  }

  if (!lookup) {
    const provider = defaultInvoiceboxProvider(req.scope, typeof req.query?.provider_id === "string" ? req.query.provider_id : undefined)
    const slot = await takeLookupSlot({
      merchantId: provider.options.merchantId,
      redisUrl: provider.options.redisUrl ?? process.env.REDIS_URL,
      settings: provider.options.requestBudget,
      warn: (message) => logger.warn(message),
    })
    if (!slot.ok) {
      const seconds = Math.max(1, Math.ceil(slot.waitMs / 1000))
      res.setHeader("Retry-After", String(seconds))
      res.status(429).json({
        type: "too_many_requests",
        code: "lookups_busy",
        message: `Проверка ИНН сейчас перегружена, заполните реквизиты вручную или повторите через ${seconds} с / INN look-ups are busy right now, fill in the details yourself or retry in ${seconds} s`,
      })
      return
    }
    let found: Counterparty | null
    try {
      found = await provider.client.findCounterparty(inn)
    } catch (e) {
      logger.warn(`Invoicebox counterparty look-up for an INN failed: ${(e as Error).message}`)
      res.status(502).json({
        type: "unexpected_state",
        message:
          "Не удалось получить реквизиты из Инвойсбокс, заполните их вручную / Could not get the company details from Invoicebox, please fill them in yourself",
      })
      return
    }
    lookup = found ? { found: true, counterparty: toAnswer(inn, found) } : { found: false }
    try {
      await cache?.set(key, lookup, lookup.found ? FOUND_TTL_SECONDS : NOT_FOUND_TTL_SECONDS)
    } catch (e) {
      logger.warn(`Invoicebox counterparty: cache write failed: ${(e as Error).message}`)
    }
  }

  if (!lookup.found) {
    res.status(404).json({
      type: "not_found",
      field: "inn",
      message: `Организация или ИП с ИНН ${inn} не найдены, заполните реквизиты вручную / No company or sole proprietor with INN ${inn} was found, please fill in the details yourself`,
    })
    return
  }
  res.status(200).json({ counterparty: lookup.counterparty })
}
