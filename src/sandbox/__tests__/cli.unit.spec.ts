import { spawn } from "node:child_process"
import path from "node:path"
import { parseArgs, runCli, UsageError } from "../cli"
import { call, documentedOrder } from "./helpers"

const BIN = path.resolve(__dirname, "../../../bin/invoicebox-sandbox.js")

describe("invoicebox-sandbox CLI", () => {
  it("parses the documented flags", () => {
    const { options } = parseArgs([
      "--port",
      "4010",
      "--notification-key",
      "test",
      "--merchant-id=11111111-1111-1111-1111-111111111111",
      "--api-token",
      "t0ken",
      "--host",
      "0.0.0.0",
      "--rate-limit",
      "5",
      "--rate-window-ms",
      "1000",
      "--notification-delays-ms",
      "10,20",
    ])
    expect(options).toMatchObject({
      port: 4010,
      notificationKey: "test",
      merchantId: "11111111-1111-1111-1111-111111111111",
      apiToken: "t0ken",
      host: "0.0.0.0",
      rateLimit: { limit: 5, windowMs: 1000 },
      notificationRetry: { attempts: 11, delaysMs: [10, 20] },
      refundCompleteAfterMs: 2000,
    })
  })

  it("checks merchantOrderId uniqueness only when asked (Invoicebox does not by default)", () => {
    expect(parseArgs([]).options.uniqueMerchantOrderId).toBeUndefined()
    expect(parseArgs(["--unique-merchant-order-id"]).options.uniqueMerchantOrderId).toBe(true)
  })

  it("rejects unknown flags and missing values", () => {
    expect(() => parseArgs(["--prot", "1"])).toThrow(UsageError)
    expect(() => parseArgs(["--port"])).toThrow(UsageError)
    expect(() => parseArgs(["--port", "--quiet"])).toThrow(UsageError)
    expect(() => parseArgs(["--rate-limit", "0"])).toThrow(UsageError)
  })

  it("prints usage and exits 2 on a bad flag", async () => {
    const err: string[] = []
    const codes: number[] = []
    await runCli(["--nope"], { out: () => undefined, err: (line) => err.push(line), exit: (code) => codes.push(code) })
    expect(codes).toEqual([2])
    expect(err.join("\n")).toContain("unknown option --nope")
    expect(err.join("\n")).toContain("Usage: invoicebox-sandbox")
  })

  it("runs as a child process: prints its URL, serves the API and stops on SIGTERM", async () => {
    const child = spawn(process.execPath, [BIN, "--port", "0", "--notification-key", "test", "--quiet"], {
      cwd: path.resolve(__dirname, "../../.."),
      stdio: ["ignore", "pipe", "pipe"],
    })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk) => (stdout += chunk))
    child.stderr.on("data", (chunk) => (stderr += chunk))
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)))
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no URL printed; stdout=${stdout} stderr=${stderr}`)), 20_000)
        child.stdout.on("data", () => {
          const match = /listening on (http:\/\/\S+)/.exec(stdout)
          if (match) {
            clearTimeout(timer)
            resolve(match[1])
          }
        })
        child.on("exit", (code) => reject(new Error(`exited with ${code}: ${stderr}`)))
      })
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
      const created = await call(url, "POST", "/v3/billing/api/order/order", documentedOrder())
      expect(created.status).toBe(200)
      expect(created.body.data.status).toBe("created")
      expect(created.body.data.paymentUrl).toBe(`${url}/pay/${created.body.data.id}`)
    } finally {
      child.kill("SIGTERM")
    }
    expect(await exited).toBe(0)
    expect(stdout).toContain("SIGTERM received")
  }, 30_000)
})
