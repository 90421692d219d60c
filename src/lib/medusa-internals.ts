import { MedusaError, Modules } from "@medusajs/framework/utils"
import type { MedusaContainer } from "@medusajs/framework/types"

/*
 * Every place where the plugin relies on something Medusa does not document as public API goes
 * through this file, and `checkMedusaInternals` proves each assumption once at boot. A Medusa
 * upgrade that breaks one of them then stops the store at start with a message naming the
 * assumption and the version, instead of failing later inside a payment.
 */

type Resolver = { resolve<T = unknown>(key: string): T }
type Cradle = Record<string, unknown>

/** Medusa's registration list of payment providers inside the payment module's container. */
const PROVIDER_LIST_KEY = "payment_providers"

export class MedusaInternalsError extends MedusaError {
  constructor(assumption: string, detail: string) {
    super(
      MedusaError.Types.UNEXPECTED_STATE,
      `medusa-payment-invoicebox cannot run on this Medusa (${medusaVersion()}): ${assumption}. ${detail} ` +
        "Pin a Medusa version listed in the plugin README or upgrade the plugin."
    )
  }
}

export function medusaVersion(): string {
  for (const pkg of ["@medusajs/medusa/package.json", "@medusajs/framework/package.json"]) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-var-requires
      return `${pkg.replace("/package.json", "")} ${require(pkg).version}`
    } catch {
      // next candidate
    }
  }
  return "unknown version"
}

/**
 * The payment module's own container: providers are registered there (as `pp_<identifier>_<id>`),
 * not in the app container, and the module service exposes it as `__container__`.
 */
export function paymentModuleContainer(scope: Resolver): Cradle {
  const paymentModule = scope.resolve<{ __container__?: Cradle }>(Modules.PAYMENT)
  const cradle = paymentModule?.__container__
  if (!cradle || typeof cradle !== "object") {
    throw new MedusaInternalsError(
      "the payment module service exposes its container as `__container__`",
      "It does not: payment providers cannot be reached."
    )
  }
  return cradle
}

/** The registration keys of every payment provider (`pp_system_default`, `pp_invoicebox_…`, …). */
export function paymentProviderKeys(scope: Resolver): string[] {
  const cradle = paymentModuleContainer(scope)
  let keys: unknown
  try {
    keys = cradle[PROVIDER_LIST_KEY]
  } catch {
    keys = undefined
  }
  if (Array.isArray(keys)) return keys.map(String)
  // Older registrations: every key of the cradle, filtered by the provider prefix.
  return Object.keys(cradle).filter((k) => k.startsWith("pp_"))
}

/** The provider instance registered under `key`, or undefined (the cradle throws on unknown keys). */
export function paymentProviderInstance(scope: Resolver, key: string): unknown {
  try {
    return paymentModuleContainer(scope)[key]
  } catch {
    return undefined
  }
}

type SessionRowUpdate = { id: string; status?: string; data?: Record<string, unknown> }

/**
 * Updates a payment session row without calling the provider. The payment module's public
 * updatePaymentSession calls the provider's updatePayment (which would edit the invoice); the
 * generated CRUD method `updatePaymentSessions` of MedusaService only writes the row.
 */
export async function updatePaymentSessionRow(scope: Resolver, update: SessionRowUpdate): Promise<void> {
  const paymentModule = scope.resolve<{ updatePaymentSessions?: (u: SessionRowUpdate) => Promise<unknown> }>(Modules.PAYMENT)
  if (typeof paymentModule.updatePaymentSessions !== "function") {
    throw new MedusaInternalsError(
      "the payment module has the generated method `updatePaymentSessions`",
      "It is missing: an expired invoice cannot mark its payment session cancelled."
    )
  }
  await paymentModule.updatePaymentSessions(update)
}

/**
 * Medusa's root container. The payment provider lives in the payment module's container, which
 * has neither the locking module nor this plugin's module; the framework exports the root one.
 */
export function rootContainer(): MedusaContainer {
  // Required lazily: importing @medusajs/framework at module load would pull the whole framework
  // into code paths (core, sandbox) that never need it.
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { container } = require("@medusajs/framework") as { container?: MedusaContainer }
  if (!container || typeof container.resolve !== "function") {
    throw new MedusaInternalsError("@medusajs/framework exports the root `container`", "It does not.")
  }
  return container
}

/**
 * Proves every assumption above against the running app; throws MedusaInternalsError naming the
 * first one that does not hold. Returns the provider keys it found.
 */
export function checkMedusaInternals(container: MedusaContainer): string[] {
  const keys = paymentProviderKeys(container)
  for (const key of keys) {
    if (paymentProviderInstance(container, key) === undefined) {
      throw new MedusaInternalsError(
        `payment provider ${key} resolves from the payment module's container`,
        "It does not: providers are registered differently in this version."
      )
    }
  }
  const paymentModule = container.resolve<Record<string, unknown>>(Modules.PAYMENT)
  if (typeof paymentModule.updatePaymentSessions !== "function") {
    throw new MedusaInternalsError("the payment module has the generated method `updatePaymentSessions`", "It is missing.")
  }
  const root = rootContainer()
  if (!root.hasRegistration?.(Modules.PAYMENT)) {
    throw new MedusaInternalsError(
      "the root container of @medusajs/framework holds the modules",
      "The payment module is not registered in it."
    )
  }
  return keys
}
