#!/usr/bin/env node
"use strict"

// Runs the compiled sandbox of a built/published package, and falls back to the TypeScript
// sources inside the repository so that `npx invoicebox-sandbox` works before any build.
const fs = require("fs")
const path = require("path")

const compiled = path.join(__dirname, "../.medusa/server/src/sandbox/cli.js")
const sources = path.join(__dirname, "../src/sandbox")

function mtime(file) {
  try {
    return fs.statSync(file).mtimeMs
  } catch {
    return -1
  }
}

// In the repository a build left over from earlier would silently run old code; sources edited
// after the build win. A published package ships no sources, so it always runs the build.
function sourcesNewerThanBuild() {
  let names
  try {
    names = fs.readdirSync(sources)
  } catch {
    return false
  }
  const built = mtime(compiled)
  return names.some((name) => name.endsWith(".ts") && mtime(path.join(sources, name)) > built)
}

let cli
if (fs.existsSync(compiled) && !sourcesNewerThanBuild()) {
  cli = require(compiled)
} else {
  require("ts-node").register({ transpileOnly: true, compilerOptions: { module: "commonjs" } })
  cli = require("../src/sandbox/cli.ts")
}

cli.runCli(process.argv.slice(2)).catch((error) => {
  process.stderr.write(`invoicebox-sandbox: ${error && error.stack ? error.stack : error}\n`)
  process.exit(1)
})
