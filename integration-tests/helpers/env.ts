import net from "node:net"
import { generateJwtToken, Modules } from "@medusajs/framework/utils"
import type { MedusaContainer } from "@medusajs/framework/types"
import { startSandbox, type Sandbox, type SandboxOptions } from "../../src/sandbox"

export const NOTIFICATION_KEY = "test-notification-key"
// Not the public demo token: the log-secrets check greps the suites' logs for it.
export const API_TOKEN = "itest-4f0c2b9e7d1a46e8a3b5c6d7e8f90a1b"
export const MERCHANT_ID = "ffffffff-ffff-ffff-ffff-ffffffffffff"

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.on("error", reject)
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo
      srv.close(() => resolve(port))
    })
  })
}

/**
 * Starts the Invoicebox sandbox and points the store at it. Must be called at the top level of a
 * spec file, before medusaIntegrationTestRunner: jest runs this beforeAll first, so the
 * environment is in place when the runner loads medusa-config.ts.
 */
export function useSandbox(
  extraEnv: Record<string, string> = {},
  sandboxOptions: Partial<SandboxOptions> = {}
): { sandbox: () => Sandbox; storePort: () => number } {
  let sandbox: Sandbox
  let port: number
  const saved: Record<string, string | undefined> = {}
  beforeAll(async () => {
    sandbox = await startSandbox({
      port: 0,
      // npm test runs the suites once as Invoicebox does by default (a reused merchantOrderId is
      // taken) and the resilience suite once more with the check on (scripts/test.mjs).
      uniqueMerchantOrderId: process.env.INVOICEBOX_SANDBOX_UNIQUE_MERCHANT_ORDER_ID === "1",
      notificationKey: NOTIFICATION_KEY,
      apiToken: API_TOKEN,
      notificationRetry: { attempts: 3, delaysMs: [200, 400, 800] },
      ...sandboxOptions,
    })
    port = await freePort()
    const env: Record<string, string> = {
      PORT: String(port),
      INVOICEBOX_API_URL: sandbox.url,
      INVOICEBOX_NOTIFICATION_KEY: NOTIFICATION_KEY,
      INVOICEBOX_MERCHANT_ID: MERCHANT_ID,
      INVOICEBOX_API_TOKEN: API_TOKEN,
      INVOICEBOX_NOTIFICATION_URL: `http://localhost:${port}/hooks/invoicebox`,
      // Look-ups after a lost answer wait a second, not 8: the suites lose many answers on purpose.
      INVOICEBOX_RECOVERY_WAIT_MS: "1000",
      MEDUSA_DISABLE_ADMIN: "true",
      ...extraEnv,
    }
    for (const [k, v] of Object.entries(env)) {
      saved[k] = process.env[k]
      process.env[k] = v
    }
  })
  afterAll(async () => {
    await sandbox?.close()
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
    }
  })
  return { sandbox: () => sandbox, storePort: () => port }
}

export async function adminHeaders(container: MedusaContainer) {
  const userModule = container.resolve(Modules.USER)
  const authModule = container.resolve(Modules.AUTH)
  const user = await userModule.createUsers({ email: `admin-${Date.now()}@example.com` })
  const authIdentity = await authModule.createAuthIdentities({
    provider_identities: [{ provider: "emailpass", entity_id: user.email }],
    app_metadata: { user_id: user.id },
  })
  const token = generateJwtToken(
    { actor_id: user.id, actor_type: "user", auth_identity_id: authIdentity.id },
    { secret: process.env.JWT_SECRET || "supersecret", expiresIn: "1d" }
  )
  return { headers: { authorization: `Bearer ${token}` } }
}
