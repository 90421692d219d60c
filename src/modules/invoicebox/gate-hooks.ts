import type { Logger } from "@medusajs/framework/types"
import type { InvoiceboxGates } from "../../lib/gate"

/**
 * Why a module lifecycle hook starts the WebSocket gate (Medusa 2.21 has no app-level loaders):
 * the gate is a long-lived background connection, and Medusa starts its own ones the same way
 * — event-bus-redis starts its BullMQ worker and the index module its data synchroniser in
 * `__hooks.onApplicationStart`, gated on the worker mode, and stop them in the shutdown hooks.
 * onApplicationStart runs once every module is loaded (the payment module and its providers,
 * the locking module), on `medusa start` / `develop` and in the integration test runner; not on
 * `db:migrate`. A scheduled job would not do: with the Redis workflow engine each run lands on
 * one instance only, so standbys would not be waiting when the leader dies.
 *
 * `server` instances (HTTP only) never connect; `worker` and `shared` ones compete for the lock.
 */
export function invoiceboxGateHooks(cradle: Record<string, unknown>, workerMode: string | undefined) {
  let gates: InvoiceboxGates | undefined
  const logger = (): Logger | Console => {
    try {
      return (cradle.logger as Logger | undefined) ?? console
    } catch {
      return console
    }
  }
  return {
    onApplicationStart: async (): Promise<void> => {
      if (workerMode === "server" || gates) return
      try {
        // Loaded here, not at the top: the settlement code imports this module.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { startInvoiceboxGates } = require("../../lib/gate") as typeof import("../../lib/gate")
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { rootContainer } = require("../../lib/medusa-internals") as typeof import("../../lib/medusa-internals")
        // The root container: a module's own container sees only its declared dependencies, and
        // a plugin's module cannot declare the payment or locking module.
        gates = startInvoiceboxGates(rootContainer())
      } catch (e) {
        logger().error(`Invoicebox gate: not started: ${(e as Error).message}`)
      }
    },
    // Before the modules shut down: the lock is released while the locking module still runs.
    onApplicationPrepareShutdown: async (): Promise<void> => {
      const running = gates
      gates = undefined
      await running?.stop()
    },
    onApplicationShutdown: async (): Promise<void> => {
      await gates?.stop()
    },
    status: () => gates?.status() ?? [],
  }
}
