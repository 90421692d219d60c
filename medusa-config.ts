// The development / test / demo store. It loads the plugin from ./src (the package never ships
// this file: tsconfig excludes it).
import { ContainerRegistrationKeys, defineConfig, loadEnv } from "@medusajs/framework/utils"

loadEnv(process.env.NODE_ENV || "development", process.cwd())

const backendUrl = process.env.MEDUSA_BACKEND_URL || "http://localhost:9000"

const databaseUrl =
  process.env.DATABASE_URL ||
  (process.env.DB_HOST
    ? `postgres://${process.env.DB_USERNAME || "postgres"}:${process.env.DB_PASSWORD || ""}@${
        process.env.DB_HOST
      }:${process.env.DB_PORT || 5432}/${process.env.DB_NAME || "medusa_invoicebox"}`
    : undefined)

const notificationTransport = (process.env.INVOICEBOX_NOTIFICATION_TRANSPORT || "http") as "http" | "websocket" | "both"

export const invoiceboxOptions = {
  merchantId: process.env.INVOICEBOX_MERCHANT_ID || "ffffffff-ffff-ffff-ffff-ffffffffffff",
  apiToken: process.env.INVOICEBOX_API_TOKEN || "b37c4c689295904ed21eee5d9a48d42e",
  notificationKey: process.env.INVOICEBOX_NOTIFICATION_KEY || "test",
  apiUrl: process.env.INVOICEBOX_API_URL || "https://api.invoicebox.ru",
  apiPrefix: (process.env.INVOICEBOX_API_PREFIX as "v3" | "l3") || "v3",
  // With the gate alone the store is assumed unreachable: no URL unless one is given.
  notificationUrl:
    process.env.INVOICEBOX_NOTIFICATION_URL || (notificationTransport === "websocket" ? undefined : `${backendUrl}/hooks/invoicebox`),
  notificationTransport,
  // Unset: the public gate, or the sandbox's own gate when INVOICEBOX_API_URL is a loopback sandbox.
  webSocketUrl: process.env.INVOICEBOX_WS_URL || undefined,
  storeName: process.env.INVOICEBOX_STORE_NAME || "Medusa Store",
  successUrl: process.env.INVOICEBOX_SUCCESS_URL,
  failUrl: process.env.INVOICEBOX_FAIL_URL,
  returnUrl: process.env.INVOICEBOX_RETURN_URL,
  allowedReturnHosts: process.env.INVOICEBOX_ALLOWED_RETURN_HOSTS
    ? process.env.INVOICEBOX_ALLOWED_RETURN_HOSTS.split(",")
    : ["localhost", "127.0.0.1"],
  paymentTermMinutes: Number(process.env.INVOICEBOX_PAYMENT_TERM_MINUTES || 3 * 24 * 60),
  requirePaymentBeforeOrder: process.env.INVOICEBOX_PAY_FIRST === "true",
  checkStockOnPayment: process.env.INVOICEBOX_CHECK_STOCK_ON_PAYMENT === "true",
  // A return refunded for less than its goods keeps the difference as a fee line (refund with a fee).
  returnFee: process.env.INVOICEBOX_RETURN_FEE === "true",
  // The account's Invoicebox quota; unset, the real 100 / 30 s. The benchmark and suites whose sandbox
  // has another quota (1 000 000) set the same here.
  // How long a create whose answer was lost is looked up before it is resent (default 8000 ms).
  ...(process.env.INVOICEBOX_RECOVERY_WAIT_MS ? { recoveryWaitMs: Number(process.env.INVOICEBOX_RECOVERY_WAIT_MS) } : {}),
  ...(process.env.INVOICEBOX_REQUEST_BUDGET_LIMIT ? { requestBudget: { limit: Number(process.env.INVOICEBOX_REQUEST_BUDGET_LIMIT) } } : {}),
}

/**
 * More Invoicebox shops beside the first (a second legal entity, an l3 shop…), as JSON:
 * `[{ "id": "ip", "options": { "merchantId": "…", "apiToken": "…", "notificationKey": "…" } }]`.
 * Each becomes `pp_invoicebox_<id>`; its notifications go to `/hooks/invoicebox/<id>` unless it
 * says otherwise.
 */
function extraInvoiceboxProviders() {
  const raw = process.env.INVOICEBOX_EXTRA_PROVIDERS
  if (!raw) return []
  const list = JSON.parse(raw) as Array<{ id: string; options: Record<string, unknown> }>
  return list.map(({ id, options }) => ({
    resolve: "./src/providers/invoicebox",
    id,
    options: { notificationUrl: `${invoiceboxOptions.notificationUrl}/${id}`, storeName: invoiceboxOptions.storeName, ...options },
  }))
}

// Several server / worker instances share state only through Redis: events, workflow executions
// and scheduled jobs (one run per cycle across instances), locks (the plugin serialises each
// invoice with the locking module) and the cache. Without REDIS_URL the in-memory defaults stay.
const redisUrl = process.env.REDIS_URL
const redisModules = redisUrl
  ? [
      { resolve: "@medusajs/medusa/event-bus-redis", options: { redisUrl } },
      { resolve: "@medusajs/medusa/workflow-engine-redis", options: { redis: { redisUrl } } },
      {
        resolve: "@medusajs/medusa/locking",
        options: {
          providers: [{ resolve: "@medusajs/medusa/locking-redis", id: "locking-redis", is_default: true, options: { redisUrl } }],
        },
      },
      { resolve: "@medusajs/medusa/cache-redis", options: { redisUrl } },
    ]
  : []

const WORKER_MODES = ["shared", "worker", "server"] as const
const workerMode = (process.env.WORKER_MODE || undefined) as (typeof WORKER_MODES)[number] | undefined
if (workerMode !== undefined && !WORKER_MODES.includes(workerMode)) {
  throw new Error(`WORKER_MODE must be one of ${WORKER_MODES.join(", ")}, got "${workerMode}"`)
}

module.exports = defineConfig({
  projectConfig: {
    databaseUrl,
    databaseLogging: false,
    // Shared admin sessions across instances; unset keeps Medusa's in-memory store.
    redisUrl,
    // Unset: Medusa's own MEDUSA_WORKER_MODE, else "shared".
    workerMode,
    http: {
      storeCors: process.env.STORE_CORS || "http://localhost:8000,http://localhost:9000",
      adminCors: process.env.ADMIN_CORS || "http://localhost:9000,http://localhost:5173",
      authCors: process.env.AUTH_CORS || "http://localhost:8000,http://localhost:9000,http://localhost:5173",
      jwtSecret: process.env.JWT_SECRET || "supersecret",
      cookieSecret: process.env.COOKIE_SECRET || "supersecret",
    },
  },
  admin: {
    disable: process.env.MEDUSA_DISABLE_ADMIN === "true",
    backendUrl,
  },
  modules: [
    {
      // The plugin's own data (notification ledger). An app that installs the package gets it
      // automatically through `plugins`; this repo is the app, so it lists it.
      resolve: "./src/modules/invoicebox",
    },
    {
      resolve: "@medusajs/medusa/payment",
      // The provider never receives the cart; it loads it through `query`.
      dependencies: [ContainerRegistrationKeys.QUERY],
      options: {
        providers: [
          {
            resolve: "./src/providers/invoicebox",
            id: "invoicebox",
            options: invoiceboxOptions,
          },
          ...extraInvoiceboxProviders(),
        ],
      },
    },
    {
      // «Отправить ссылку на оплату» needs a notification provider on the `email` channel; the dev
      // store logs messages with Medusa's local provider (a real store uses SendGrid, Resend, …).
      resolve: "@medusajs/medusa/notification",
      options: {
        providers: [{ resolve: "@medusajs/medusa/notification-local", id: "local", options: { channels: ["email"] } }],
      },
    },
    ...redisModules,
  ],
})
