/**
 * `invoicebox-sandbox` command line. Side-effect free when imported (tests call parseArgs); the bin
 * calls runCli.
 */
import { DEMO_API_TOKEN, DEMO_MERCHANT_ID, DEFAULT_RETRY_DELAYS_MS, SandboxOptions, startSandbox } from "./server"

export const USAGE = `Usage: invoicebox-sandbox [options]

Emulates the Invoicebox API (paths under /v3 and /l3) for local development and tests.

Options:
  --port <n>                     port to listen on (default 4010; 0 = random)
  --host <host>                  interface to bind (default 127.0.0.1)
  --merchant-id <uuid>           shop id accepted in requests (default: Invoicebox demo shop)
  --api-token <token>            Bearer token accepted (default: Invoicebox demo token)
  --notification-key <key>       key of the X-Signature HMAC on notifications (default "test")
  --notification-url <url>       shop-wide notification URL for orders without notificationUrl
  --notification-timeout-ms <n>  how long the shop may take to answer (default 20000)
  --notification-attempts <n>    tries per notification including the first (default 11)
  --notification-delays-ms <list> comma-separated delays between tries (default: spread over 24 h)
  --rate-limit <n>               requests per window and token (default 100)
  --rate-window-ms <n>           rate-limit window (default 30000)
  --refund-complete-after-ms <n> created refunds become completed after n ms (default 2000; -1 = never)
  --max-basket-items <n>         basket items an order, refund or shipment may have (default 100)
  --payment-page-base-url <url>  base of paymentUrl (default: the sandbox URL)
  --unique-merchant-order-id     refuse a used merchantOrderId (default: not checked, as Invoicebox)
  --quiet                        do not log requests
  --help                         show this help

Control routes: POST /__sandbox/orders/<id>/pay|hold|expire|cancel, POST /__sandbox/orders/<id>/refunds,
GET /__sandbox/state, GET /__sandbox/deliveries, POST|DELETE /__sandbox/faults,
POST /__sandbox/rate-limit, GET /__sandbox/stats (quota violations), POST /__sandbox/notifications/block|unblock, POST /__sandbox/reset,
GET /__sandbox/gate, POST|DELETE /__sandbox/gate/faults, POST /__sandbox/gate/refuse|disconnect|call.
Payment page: GET /pay/<order id>. WebSocket gate: ws://<host>:<port>/v3/gate/rpc?token=<token>.`

export class UsageError extends Error {}

const VALUE_FLAGS = [
  "--port",
  "--host",
  "--merchant-id",
  "--api-token",
  "--notification-key",
  "--notification-url",
  "--notification-timeout-ms",
  "--notification-attempts",
  "--notification-delays-ms",
  "--rate-limit",
  "--rate-window-ms",
  "--refund-complete-after-ms",
  "--max-basket-items",
  "--payment-page-base-url",
]

export interface CliConfig {
  options: SandboxOptions
  quiet: boolean
  help: boolean
}

function integer(name: string, value: string, { min = 0 }: { min?: number } = {}): number {
  if (!/^-?\d+$/.test(value) || Number(value) < min) throw new UsageError(`${name} must be an integer >= ${min}`)
  return Number(value)
}

export function parseArgs(argv: string[]): CliConfig {
  const options: SandboxOptions = { port: 4010, refundCompleteAfterMs: 2000 }
  let quiet = false
  let help = false
  let rateLimit = 100
  let rateWindowMs = 30_000
  let attempts: number | undefined
  let delays: number[] | undefined
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === "--help" || arg === "-h") {
      help = true
      continue
    }
    if (arg === "--quiet") {
      quiet = true
      continue
    }
    if (arg === "--unique-merchant-order-id") {
      options.uniqueMerchantOrderId = true
      continue
    }
    if (!arg.startsWith("--")) throw new UsageError(`unexpected argument ${arg}`)
    const eq = arg.indexOf("=")
    const name = eq >= 0 ? arg.slice(0, eq) : arg
    if (!VALUE_FLAGS.includes(name)) throw new UsageError(`unknown option ${name}`)
    let value: string
    if (eq >= 0) {
      value = arg.slice(eq + 1)
    } else {
      const next = argv[i + 1]
      if (next === undefined || (next.startsWith("--") && next.length > 2)) throw new UsageError(`${name} needs a value`)
      value = next
      i++
    }
    switch (name) {
      case "--port":
        options.port = integer(name, value)
        if (options.port > 65535) throw new UsageError("--port must be at most 65535")
        break
      case "--host":
        options.host = value
        break
      case "--merchant-id":
        options.merchantId = value
        break
      case "--api-token":
        options.apiToken = value
        break
      case "--notification-key":
        options.notificationKey = value
        break
      case "--notification-url":
        options.notificationUrl = value
        break
      case "--notification-timeout-ms":
        options.notificationTimeoutMs = integer(name, value, { min: 1 })
        break
      case "--notification-attempts":
        attempts = integer(name, value, { min: 1 })
        break
      case "--notification-delays-ms":
        delays = value.split(",").map((part) => integer(name, part.trim()))
        break
      case "--rate-limit":
        rateLimit = integer(name, value, { min: 1 })
        break
      case "--rate-window-ms":
        rateWindowMs = integer(name, value, { min: 1 })
        break
      case "--refund-complete-after-ms":
        options.refundCompleteAfterMs = integer(name, value, { min: -1 })
        break
      case "--max-basket-items":
        options.maxBasketItems = integer(name, value, { min: 1 })
        break
      case "--payment-page-base-url":
        options.paymentPageBaseUrl = value
        break
      default:
        throw new UsageError(`unknown option ${name}`)
    }
  }
  options.rateLimit = { limit: rateLimit, windowMs: rateWindowMs }
  if (attempts !== undefined || delays !== undefined) {
    options.notificationRetry = { attempts: attempts ?? 11, delaysMs: delays ?? DEFAULT_RETRY_DELAYS_MS }
  }
  return { options, quiet, help }
}

export interface CliIo {
  out: (line: string) => void
  err: (line: string) => void
  exit: (code: number) => void
}

const defaultIo: CliIo = {
  out: (line) => process.stdout.write(line + "\n"),
  err: (line) => process.stderr.write(line + "\n"),
  exit: (code) => process.exit(code),
}

export async function runCli(argv: string[], io: CliIo = defaultIo): Promise<void> {
  let config: CliConfig
  try {
    config = parseArgs(argv)
  } catch (error) {
    if (!(error instanceof UsageError)) throw error
    io.err(`invoicebox-sandbox: ${error.message}\n\n${USAGE}`)
    io.exit(2)
    return
  }
  if (config.help) {
    io.out(USAGE)
    io.exit(0)
    return
  }
  const stamp = () => new Date().toISOString()
  const sandbox = await startSandbox({
    ...config.options,
    logger: config.quiet ? undefined : (line) => io.out(`${stamp()} ${line}`),
  }).catch((error: Error) => {
    io.err(`invoicebox-sandbox: cannot listen: ${error.message}`)
    io.exit(1)
    return undefined
  })
  if (!sandbox) return

  const { options } = config
  io.out(`Invoicebox sandbox listening on ${sandbox.url}`)
  io.out(`  API:      ${sandbox.url}/v3 (also ${sandbox.url}/l3)`)
  io.out(`  merchant: ${options.merchantId ?? DEMO_MERCHANT_ID}${options.merchantId ? "" : " (Invoicebox demo shop)"}`)
  // The token itself is never printed unless it is the public demo one.
  io.out(`  token:    ${options.apiToken && options.apiToken !== DEMO_API_TOKEN ? "as given by --api-token" : `${DEMO_API_TOKEN} (public demo token)`}`)

  let stopping = false
  const stop = (reason: string) => {
    if (stopping) {
      io.exit(1)
      return
    }
    stopping = true
    io.out(`Stopping the sandbox (${reason})`)
    void sandbox.close().then(() => io.exit(0))
  }
  process.on("SIGINT", () => stop("SIGINT received"))
  process.on("SIGTERM", () => stop("SIGTERM received"))

  // Under npx the chain is npm -> sh -c -> node: a SIGTERM sent to npx kills the shell, which does
  // not pass it on, and the sandbox would be orphaned holding its port. Re-parenting is the only
  // trace of that, so it is watched for - only under npm exec, to leave deliberate daemons alone.
  if (process.env.npm_command === "exec") {
    const parent = process.ppid
    const watch = setInterval(() => {
      if (process.ppid !== parent) {
        clearInterval(watch)
        stop("parent process exited")
      }
    }, 250)
    watch.unref()
  }
}

if (require.main === module) {
  void runCli(process.argv.slice(2))
}
