#!/usr/bin/env node
// Checks that no log line written while the test suites ran contains an API token or a
// notification key the suites use. `npm test` points Medusa's logger at files (LOG_FILE) for every
// jest run and calls checkLogSecrets() on them at the end; by hand:
//   node integration-tests/log-secrets/check.mjs <log file>...
//
// The secrets are read from the files that define them, so a new value there is checked at once.
// The public demo token appears in the sandbox CLI's banner by design, but no suite starts the CLI
// and the plugin's own lines must never carry it; resilience.spec.ts uses a token of its own that
// nothing prints on purpose, so a leak cannot hide behind the demo token's publicity.
import fs from "node:fs"
import path from "node:path"
import { fileURLToPath } from "node:url"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..")

const SOURCES = ["integration-tests/helpers/env.ts", "integration-tests/http/resilience.spec.ts"]

/** `export const NAME = "value"` for every exported constant whose name says token or key. */
export function secretsUnderTest() {
  const secrets = []
  for (const rel of SOURCES) {
    const file = path.join(root, rel)
    if (!fs.existsSync(file)) continue
    const text = fs.readFileSync(file, "utf8")
    for (const m of text.matchAll(/export const (\w*(?:TOKEN|KEY)\w*) = "([^"]{8,})"/g)) {
      secrets.push({ name: `${m[1]} (${rel})`, value: m[2] })
    }
  }
  return secrets
}

/**
 * @param {string[]} files log files (a missing file counts as empty)
 * @param {{ name: string, value: string }[]} secrets
 * @returns {{ ok: boolean, lines: number, pluginLines: number, findings: { file: string, line: number, secret: string }[] }}
 */
export function checkLogSecrets(files, secrets = secretsUnderTest()) {
  const findings = []
  let lines = 0
  let pluginLines = 0
  for (const file of files) {
    if (!fs.existsSync(file)) continue
    const text = fs.readFileSync(file, "utf8")
    text.split("\n").forEach((line, i) => {
      if (!line) return
      lines++
      if (/Invoicebox|Инвойсбокс/.test(line)) pluginLines++
      // JSON log lines escape some characters; the secrets are plain ASCII, so both forms are one.
      for (const s of secrets) if (line.includes(s.value)) findings.push({ file, line: i + 1, secret: s.name })
    })
  }
  return { ok: findings.length === 0, lines, pluginLines, findings }
}

/** Prints the verdict without ever printing a secret; returns true when clean. */
export function reportLogSecrets(files, { minPluginLines = 1, log = console.log } = {}) {
  const secrets = secretsUnderTest()
  const r = checkLogSecrets(files, secrets)
  log(`${r.lines} log lines (${r.pluginLines} from the plugin) checked for ${secrets.length} secrets: ${secrets.map((s) => s.name).join(", ")}`)
  for (const f of r.findings.slice(0, 20)) log(`  LEAK: ${f.file}:${f.line} contains ${f.secret}`)
  if (secrets.length === 0) log("  FAIL: no secrets found to look for (were the constants renamed?)")
  // A check over empty logs would pass whatever the plugin printed.
  if (r.pluginLines < minPluginLines) log(`  FAIL: only ${r.pluginLines} plugin log lines were captured; the logs did not reach the files`)
  return r.ok && secrets.length > 0 && r.pluginLines >= minPluginLines
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const files = process.argv.slice(2)
  if (!files.length) {
    console.error("usage: node integration-tests/log-secrets/check.mjs <log file>...")
    process.exit(2)
  }
  process.exit(reportLogSecrets(files) ? 0 : 1)
}
