// Benchmark helper: create -> first PTY output byte, timed with the official
// e2b SDK against the local emulator.  Prints one JSON object on stdout.
//
//   E2B_API_URL=http://127.0.0.1:PORT E2B_SANDBOX_URL=http://127.0.0.1:PORT \
//   E2B_API_KEY=e2b_... node tests/e2b/bench-sdk.mjs [--runs N] [--warmup N] [--template codex]
//
// Each run: Sandbox.create(template) -> pty.create({onData}) -> first onData
// byte (the login shell's first output); then the sandbox is killed (not timed).
// SDK_DIR selects the SDK install (default tests/e2b/sdk-check).
import { join, dirname } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { readFileSync } from 'node:fs'

const here = dirname(fileURLToPath(import.meta.url))
const sdkDir = process.env.SDK_DIR || join(here, 'sdk-check')
const { Sandbox } = await import(pathToFileURL(join(sdkDir, 'node_modules/e2b/dist/index.mjs')).href)
const version = JSON.parse(readFileSync(join(sdkDir, 'node_modules/e2b/package.json'), 'utf8')).version

const argv = process.argv.slice(2)
const opt = (name, def) => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : def }
const runs = Number(opt('--runs', '1'))
const warmup = Number(opt('--warmup', '0')) // untimed runs first (loads undici, warms the emulator)
const template = opt('--template', 'codex')
if (!process.env.E2B_API_URL || !process.env.E2B_SANDBOX_URL) {
  console.error('bench-sdk: set E2B_API_URL and E2B_SANDBOX_URL to the emulator')
  process.exit(2)
}

const samples = []
const createMs = []
for (let i = 0; i < warmup + runs; i++) {
  const t0 = performance.now()
  const sbx = await Sandbox.create(template, { timeoutMs: 120_000 })
  const t1 = performance.now()
  let resolveFirst
  const first = new Promise((r) => { resolveFirst = r })
  const pty = await sbx.pty.create({ cols: 80, rows: 24, timeoutMs: 0, onData: () => resolveFirst(performance.now()) })
  const t2 = await first
  if (i >= warmup) { samples.push(t2 - t0); createMs.push(t1 - t0) }
  await sbx.pty.kill(pty.pid).catch(() => {})
  await sbx.kill()
}
const sorted = [...samples].sort((a, b) => a - b)
const r = (x) => Math.round(x * 10) / 10
console.log(JSON.stringify({
  tool: 'e2b-sdk', sdk: version, template, runs, warmup,
  ms: r(sorted[Math.floor((sorted.length - 1) / 2)]),
  min_ms: r(sorted[0]), max_ms: r(sorted[sorted.length - 1]),
  create_ms: r(createMs.reduce((a, b) => a + b, 0) / createMs.length),
  samples_ms: samples.map(r),
}))
