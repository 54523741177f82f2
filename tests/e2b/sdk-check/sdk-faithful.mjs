// Runs the official `e2b` SDK against the local E2B emulator and prints TAP
// lines without numbers ("ok - desc" / "not ok - desc" / "# diag"); the
// caller (tests/integration/e2b-emulator.sh) numbers them.
//
// Environment:
//   E2B_API_URL, E2B_SANDBOX_URL, E2B_API_KEY   point the SDK at the emulator
//   EMU_URL      emulator base URL (admin endpoints /_emulator/...)
//   EMU_LOG      the emulator's --log file (JSONL), to assert what the SDK sent
//   SDK_DIR      directory whose node_modules holds the e2b version under test
//                (default: this directory)
//   EXPECT_SDK   the version SDK_DIR's package.json pins: the installed SDK
//                must be exactly that one, and the routes checked follow it
import { readFileSync } from 'node:fs'
import { join, dirname } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const sdkDir = process.env.SDK_DIR || here
const sdkPkg = JSON.parse(readFileSync(join(sdkDir, 'node_modules/e2b/package.json'), 'utf8'))
const e2b = await import(pathToFileURL(join(sdkDir, 'node_modules/e2b/dist/index.mjs')).href)
const { Sandbox, CommandExitError, AuthenticationError, SandboxError, NotFoundError,
  TimeoutError, RateLimitError, SandboxNotFoundError } = e2b
const V = sdkPkg.version
const WANT = process.env.EXPECT_SDK || '(EXPECT_SDK unset)'
// 2.51+ uses the /v2 create/connect routes: decided by the pin, not by
// whatever happens to be installed.
const isV2 = !/^2\.(?:[0-4]\d|50)\./.test(WANT)
const EMU = process.env.EMU_URL
const LOG = process.env.EMU_LOG

let failed = 0
const out = (s) => process.stdout.write(s + '\n')
const diag = (s) => String(s).split('\n').forEach((l) => out('# ' + l))

async function check(desc, fn) {
  const t0 = Date.now()
  try {
    await fn()
    out(`ok - [${V}] ${desc} (${Date.now() - t0} ms)`)
  } catch (e) {
    failed++
    out(`not ok - [${V}] ${desc}`)
    diag((e && e.stack) || String(e))
  }
}
function assert(cond, msg) { if (!cond) throw new Error('assertion failed: ' + msg) }
function eq(a, b, msg) {
  if (JSON.stringify(a) !== JSON.stringify(b)) {
    throw new Error(`${msg}: expected ${JSON.stringify(b)}, got ${JSON.stringify(a)}`)
  }
}
async function rejects(p, cls, msg) {
  try { await p } catch (e) {
    if (cls && !(e instanceof cls)) throw new Error(`${msg}: expected ${cls.name}, got ${e && e.constructor && e.constructor.name}: ${e && e.message}`)
    return e
  }
  throw new Error(`${msg}: expected a rejection`)
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
async function until(fn, ms, what) {
  const end = Date.now() + ms
  for (;;) {
    if (await fn()) return
    if (Date.now() > end) throw new Error('timed out waiting for ' + what)
    await sleep(25)
  }
}
function logRecords() {
  return readFileSync(LOG, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l))
}
async function admin(method, path, body) {
  const r = await fetch(EMU + path, {
    method, headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  if (r.status >= 300) throw new Error(`admin ${method} ${path}: ${r.status}`)
  return r.status === 204 ? null : r.json()
}
const dec = new TextDecoder()

// ----------------------------------------------------------------------------
const runTag = 'sdk-' + V + '-' + process.pid
let sbx

await check(`the SDK under test is the pinned one (${WANT})`, async () => {
  eq(V, WANT, 'installed e2b version')
})

await check('Sandbox.create(codex) with envs, metadata, timeoutMs, network', async () => {
  sbx = await Sandbox.create('codex', {
    envs: { FOO: 'bar', OPENAI_API_KEY: 'sk-test-secret' },
    metadata: { run: runTag, workdir: '/tmp/project' },
    timeoutMs: 600_000,
    network: { allowOut: ['api.openai.com', '*.chatgpt.com', '1.2.3.4'], denyOut: ['0.0.0.0/0'] },
  })
  assert(/^i[a-z0-9]{20}$/.test(sbx.sandboxId), 'sandbox id shape: ' + sbx.sandboxId)
})

await check('create request body on the wire (route, template, envVars, metadata, timeout, network; secrets redacted in log)', async () => {
  const recs = logRecords().filter((r) => r.plane === 'api' && r.method === 'POST' && r.sandboxID === sbx.sandboxId)
  const c = recs.find((r) => r.path === (isV2 ? '/v2/sandboxes' : '/sandboxes'))
  assert(c, 'create request logged on ' + (isV2 ? '/v2/sandboxes' : '/sandboxes'))
  eq(c.status, 201, 'status')
  eq(c.body.templateID, 'codex', 'templateID')
  eq(c.body.timeout, 600, 'timeout seconds')
  eq(c.body.metadata, { run: runTag, workdir: '/tmp/project' }, 'metadata')
  eq(c.body.envVars, { FOO: 'bar', OPENAI_API_KEY: '[redacted]' }, 'envVars (log redacts secret-looking keys)')
  eq(c.body.network, { allowOut: ['api.openai.com', '*.chatgpt.com', '1.2.3.4'], denyOut: ['0.0.0.0/0'] }, 'network')
  if (!isV2) eq(c.body.secure, true, 'v1 create sends secure:true')
  eq(c.headers['x-api-key'], '[redacted]', 'api key redacted in log')
  eq(c.auth, 'ok', 'api key accepted')
  diag('create body: ' + JSON.stringify(c.body))
})

await check('getInfo(): template alias, metadata, state, endAt', async () => {
  const info = await sbx.getInfo()
  eq(info.sandboxId, sbx.sandboxId, 'id')
  eq(info.name, 'codex', 'alias')
  eq(info.metadata.run, runTag, 'metadata')
  eq(info.state, 'running', 'state')
  const ttl = (info.endAt.getTime() - Date.now()) / 1000
  assert(ttl > 590 && ttl <= 601, 'endAt ~ now+600s, got ' + ttl)
})

await check('isRunning() via envd /health', async () => {
  eq(await sbx.isRunning(), true, 'isRunning')
})

await check('files.write (multipart) + files.read round trip', async () => {
  const info = await sbx.files.write('/home/user/hello.txt', 'hello world\n')
  eq(info.path, '/home/user/hello.txt', 'write result path')
  eq(await sbx.files.read('/home/user/hello.txt'), 'hello world\n', 'read back')
  const bin = new Uint8Array(256).map((_, i) => i)
  await sbx.files.write('/home/user/deep/dir/bin.dat', bin.buffer)
  const got = await sbx.files.read('/home/user/deep/dir/bin.dat', { format: 'bytes' })
  eq(Array.from(got), Array.from(bin), 'binary round trip, parents created')
  await sbx.files.write('/home/user/empty', '')
  eq(await sbx.files.read('/home/user/empty'), '', 'empty file')
})

await check('files.write([...]) multi-file upload and relative paths', async () => {
  const res = await sbx.files.write([
    { path: '/home/user/a.txt', data: 'A' },
    { path: 'rel/b.txt', data: 'B' },
  ])
  eq(res.map((r) => r.path), ['/home/user/a.txt', '/home/user/rel/b.txt'], 'paths')
  eq(await sbx.files.read('/home/user/rel/b.txt'), 'B', 'relative resolves against /home/user')
})

await check('files.write with useOctetStream', async () => {
  await sbx.files.write('/home/user/oct.txt', 'octet body', { useOctetStream: true })
  eq(await sbx.files.read('/home/user/oct.txt'), 'octet body', 'octet read back')
  const rec = logRecords().reverse().find((r) => r.plane === 'envd' && r.method === 'POST' && r.path === '/files' && r.query.path === '/home/user/oct.txt')
  assert(rec && /application\/octet-stream/.test(rec.headers['content-type']), 'sent as octet-stream')
})

await check('files.list / exists / makeDir / getInfo / rename / remove', async () => {
  const names = (await sbx.files.list('/home/user')).map((e) => e.name)
  for (const n of ['hello.txt', 'a.txt', 'deep', 'rel']) assert(names.includes(n), 'list has ' + n + ': ' + names)
  const deep = (await sbx.files.list('/home/user/deep', { depth: 2 })).map((e) => e.path)
  assert(deep.includes('/home/user/deep/dir/bin.dat'), 'depth 2 listing: ' + deep)
  eq(await sbx.files.exists('/home/user/hello.txt'), true, 'exists')
  eq(await sbx.files.exists('/home/user/nope'), false, 'not exists')
  eq(await sbx.files.makeDir('/home/user/newdir'), true, 'makeDir')
  eq(await sbx.files.makeDir('/home/user/newdir'), false, 'makeDir again -> false')
  const fi = await sbx.files.getInfo('/home/user/hello.txt')
  eq(fi.type, 'file', 'type'); eq(fi.size, 12, 'size')
  const mv = await sbx.files.rename('/home/user/a.txt', '/home/user/newdir/a2.txt')
  eq(mv.path, '/home/user/newdir/a2.txt', 'rename')
  await sbx.files.remove('/home/user/newdir')
  eq(await sbx.files.exists('/home/user/newdir'), false, 'removed')
})

await check('files.read of a missing file -> NotFoundError', async () => {
  const e = await rejects(sbx.files.read('/home/user/does-not-exist'), NotFoundError, 'missing file')
  eq(e.message, "path '/home/user/does-not-exist' does not exist", 'message (404 body)')
})

await check('commands.run: stdout, stderr, exit 0, sandbox envVars, cwd default /home/user', async () => {
  const r = await sbx.commands.run('echo "$FOO"; echo err >&2; pwd; echo "$HOME"')
  eq(r.exitCode, 0, 'exit code')
  const [foo, pwd, home] = r.stdout.trim().split('\n')
  eq(foo, 'bar', 'create envVars reach processes')
  assert(pwd.endsWith('/home/user'), 'default cwd is /home/user: ' + pwd)
  assert(home.endsWith('/home/user'), 'HOME: ' + home)
  eq(r.stderr, 'err\n', 'stderr')
  const rec = logRecords().reverse().find((x) => x.plane === 'envd' && x.path === '/process.Process/Start')
  eq(rec.headers['connect-timeout-ms'], '60000', 'commands.run sends Connect-Timeout-Ms 60000')
  eq(rec.headers['keepalive-ping-interval'], '50', 'keepalive header')
  eq(rec.body.stdin, false, 'stdin:false')
})

await check('commands.run with envs + cwd + user root', async () => {
  await sbx.files.write('/home/user/sub/marker', 'x')
  const r = await sbx.commands.run('pwd; echo "$BAR"; ls', { envs: { BAR: 'baz', FOO: 'override' }, cwd: '/home/user/sub' })
  const lines = r.stdout.trim().split('\n')
  assert(lines[0].endsWith('/home/user/sub'), 'cwd: ' + lines[0])
  eq(lines[1], 'baz', 'request envs'); eq(lines[2], 'marker', 'ls in cwd')
  const r2 = await sbx.commands.run('echo "$FOO $USER $HOME"', { envs: { FOO: 'override' }, user: 'root' })
  const [foo, user, home] = r2.stdout.trim().split(' ')
  eq(foo, 'override', 'request envs override sandbox envs'); eq(user, 'root', 'USER')
  assert(home.endsWith('/root'), 'root HOME: ' + home)
})

await check('commands.run non-zero exit -> CommandExitError with exitCode/stderr', async () => {
  const e = await rejects(sbx.commands.run('echo out; echo bad >&2; exit 3'), CommandExitError, 'exit 3')
  eq(e.exitCode, 3, 'exitCode'); eq(e.stdout, 'out\n', 'stdout'); eq(e.stderr, 'bad\n', 'stderr')
  eq(e.error, 'exit status 3', 'error text')
})

await check('commands.run in a missing cwd -> InvalidArgument error', async () => {
  const e = await rejects(sbx.commands.run('true', { cwd: '/home/user/no/such/dir' }), SandboxError, 'bad cwd')
  eq(e.message, "[invalid_argument] cwd '/home/user/no/such/dir' does not exist", 'message')
})

await check('commands.run streams output through onStdout/onStderr', async () => {
  const chunks = []
  const r = await sbx.commands.run('for i in 1 2 3; do echo line$i; sleep 0.05; done; echo e >&2', {
    onStdout: (d) => chunks.push(d), onStderr: (d) => chunks.push('E:' + d),
  })
  eq(r.stdout, 'line1\nline2\nline3\n', 'stdout')
  assert(chunks.join('').includes('line3') && chunks.includes('E:e\n'), 'callbacks: ' + JSON.stringify(chunks))
})

await check('background command + sendStdin + closeStdin + wait', async () => {
  const h = await sbx.commands.run('cat; echo done', { background: true, stdin: true })
  assert(h.pid > 0, 'pid')
  await sbx.commands.sendStdin(h.pid, 'hello\n')
  await sbx.commands.sendStdin(h.pid, 'world\n')
  await sbx.commands.closeStdin(h.pid)
  const r = await h.wait()
  eq(r.stdout, 'hello\nworld\ndone\n', 'stdin echoed by cat')
})

await check('background command: commands.list, connect(pid), kill -> end "signal: killed"', async () => {
  const h = await sbx.commands.run('while :; do echo tick; sleep 0.1; done', { background: true, timeoutMs: 0 })
  const procs = await sbx.commands.list()
  assert(procs.some((p) => p.pid === h.pid && p.cmd === '/bin/bash'), 'listed: ' + JSON.stringify(procs))
  await h.disconnect()
  let seen = ''
  const h2 = await sbx.commands.connect(h.pid, { onStdout: (d) => { seen += d }, timeoutMs: 0 })
  await until(() => seen.includes('tick'), 3000, 'ticks after connect')
  eq(await sbx.commands.kill(h.pid), true, 'kill')
  const e = await rejects(h2.wait(), CommandExitError, 'killed process')
  eq(e.exitCode, -1, 'exitCode -1'); eq(e.error, 'signal: killed', 'signal: killed')
  eq(await sbx.commands.kill(h.pid), false, 'kill again -> false (not_found)')
  await until(async () => !(await sbx.commands.list()).some((p) => p.pid === h.pid), 2000, 'gone from list')
})

await check('Connect-Timeout-Ms is the process lifetime (timeoutMs:1000 kills sleep 30)', async () => {
  const t0 = Date.now()
  const h = await sbx.commands.run('sleep 30', { background: true, timeoutMs: 1000 })
  const e = await rejects(h.wait(), TimeoutError, 'timed out command')
  const dt = Date.now() - t0
  assert(dt < 5000, 'ended after ' + dt + ' ms')
  // The server's deadline (envd's "context deadline exceeded") and the
  // SDK's own timer (same timeoutMs) race by design: either text, nothing else.
  assert(/^\[deadline_exceeded\] (context deadline exceeded|the operation timed out): This error is likely due to exceeding 'timeoutMs'/.test(e.message), 'message: ' + e.message)
  await until(async () => !(await sbx.commands.list()).some((p) => p.pid === h.pid), 2000, 'process killed')
})

let ptyOut = ''
let pty
await check('pty.create (real PTY: tty, TERM, size) + onData + sendInput', async () => {
  pty = await sbx.pty.create({ cols: 80, rows: 24, onData: (d) => { ptyOut += dec.decode(d, { stream: true }) }, timeoutMs: 0, envs: { PS1: '$ ' } })
  assert(pty.pid > 0, 'pid')
  const enc = new TextEncoder()
  await sbx.pty.sendInput(pty.pid, enc.encode('tty; echo "T=$TERM"; stty size\n'))
  await until(() => /24 80/.test(ptyOut), 5000, '"24 80" from stty size; got ' + JSON.stringify(ptyOut.slice(-300)))
  assert(/\/dev\/pts\/\d+/.test(ptyOut), 'tty is a pts')
  assert(ptyOut.includes('T=xterm-256color'), 'TERM default from SDK')
  const rec = logRecords().reverse().find((x) => x.plane === 'envd' && x.path === '/process.Process/Start' && x.body.pty)
  eq(rec.body.pty, { size: { cols: 80, rows: 24 } }, 'pty size sent'); eq(rec.body.process.args, ['-i', '-l'], 'args')
  assert(!('connect-timeout-ms' in rec.headers), 'no Connect-Timeout-Ms with timeoutMs:0')
})

await check('pty.resize -> TIOCSWINSZ + SIGWINCH seen inside', async () => {
  const enc = new TextEncoder()
  // wait for the shell to have run the trap command, not for a time
  await sbx.pty.sendInput(pty.pid, enc.encode("trap 'echo GOT-WINCH' WINCH; echo TRAP-$((40+2))\n"))
  await until(() => ptyOut.includes('TRAP-42'), 5000, 'the trap to be set')
  ptyOut = ''
  await sbx.pty.resize(pty.pid, { cols: 120, rows: 40 })
  await until(() => ptyOut.includes('GOT-WINCH'), 5000, 'SIGWINCH trap output')
  await sbx.pty.sendInput(pty.pid, enc.encode('stty size\n'))
  await until(() => /40 120/.test(ptyOut), 5000, '"40 120" after resize; got ' + JSON.stringify(ptyOut.slice(-300)))
})

await check('pty exit -> wait() resolves with exitCode 0', async () => {
  await sbx.pty.sendInput(pty.pid, new TextEncoder().encode('exit\n'))
  const r = await pty.wait()
  eq(r.exitCode, 0, 'exit code')
})

await check('pty.kill -> true, wait() -> exit -1; kill again -> false', async () => {
  const p = await sbx.pty.create({ cols: 80, rows: 24, onData: () => {}, timeoutMs: 0 })
  eq(await sbx.pty.kill(p.pid), true, 'kill')
  const e = await rejects(p.wait(), CommandExitError, 'killed pty')
  eq(e.exitCode, -1, 'exitCode')
  eq(await sbx.pty.kill(p.pid), false, 'second kill')
})

await check('unknown pid -> NotFoundError on sendInput', async () => {
  const e = await rejects(sbx.pty.sendInput(999999, new Uint8Array([0x61])), NotFoundError, 'unknown pid')
  eq(e.message, '[not_found] process with pid 999999 not found', 'message')
})

await check('setTimeout(ms) -> POST /sandboxes/{id}/timeout, endAt moves (can shorten)', async () => {
  await sbx.setTimeout(120_000)
  const info = await sbx.getInfo()
  const ttl = (info.endAt.getTime() - Date.now()) / 1000
  assert(ttl > 110 && ttl <= 121, 'endAt ~ now+120s, got ' + ttl)
  const rec = logRecords().reverse().find((x) => x.path === `/sandboxes/${sbx.sandboxId}/timeout`)
  eq(rec.body, { timeout: 120 }, 'body'); eq(rec.status, 204, 'status')
})

await check('Sandbox.connect(id) -> fresh token, runs commands; v2/v1 route', async () => {
  const s2 = await Sandbox.connect(sbx.sandboxId)
  const r = await s2.commands.run('cat /home/user/hello.txt 2>/dev/null || cat "$HOME/hello.txt"')
  eq(r.stdout, 'hello world\n', 'same sandbox filesystem')
  const rec = logRecords().reverse().find((x) => x.method === 'POST' && /\/connect$/.test(x.path) && x.sandboxID === sbx.sandboxId)
  eq(rec.path, (isV2 ? '/v2' : '') + `/sandboxes/${sbx.sandboxId}/connect`, 'route')
  eq(rec.status, 200, 'already running -> 200')
  diag('connect body: ' + JSON.stringify(rec.body))
  const info = await sbx.getInfo()
  assert((info.endAt.getTime() - Date.now()) / 1000 > 110, 'connect never shortens the TTL')
})

await check('Sandbox.list (metadata filter) includes the sandbox', async () => {
  const pg = Sandbox.list({ query: { metadata: { run: runTag } } })
  const items = await pg.nextItems()
  eq(items.map((i) => i.sandboxId), [sbx.sandboxId], 'filtered by metadata')
  eq(items[0].state, 'running', 'state')
  eq(pg.hasNext, false, 'no next page')
})

await check('pause -> envd 502, connect resumes (201) and processes continue', async () => {
  const h = await sbx.commands.run('sleep 300', { background: true, timeoutMs: 0 })
  await h.disconnect()
  eq(await Sandbox.pause(sbx.sandboxId), true, 'pause')
  eq(await Sandbox.pause(sbx.sandboxId), false, 'pause again -> false (409)')
  eq((await sbx.getInfo()).state, 'paused', 'state paused')
  eq(await sbx.isRunning(), false, 'envd unreachable while paused')
  const s2 = await Sandbox.connect(sbx.sandboxId)
  eq((await s2.getInfo()).state, 'running', 'resumed')
  const rec = logRecords().reverse().find((x) => /\/connect$/.test(x.path || '') && x.sandboxID === sbx.sandboxId)
  eq(rec.status, 201, 'resume -> 201')
  assert((await s2.commands.list()).some((p) => p.pid === h.pid), 'process survived pause')
  await s2.commands.kill(h.pid)
})

await check('kill() -> true, isRunning false, getInfo NotFound, kill again -> false', async () => {
  const stream = await sbx.pty.create({ cols: 80, rows: 24, onData: () => {}, timeoutMs: 0 })
  eq(await sbx.kill(), true, 'kill')
  eq(await sbx.isRunning(), false, 'isRunning after kill')
  let e = await rejects(sbx.getInfo(), SandboxError, 'getInfo after kill')
  eq(e.message, `Sandbox ${sbx.sandboxId} not found`, 'getInfo message')
  eq(await Sandbox.kill(sbx.sandboxId), false, 'second kill')
  e = await rejects(Sandbox.connect(sbx.sandboxId), SandboxNotFoundError, 'connect to a killed sandbox')
  eq(e.message, `Paused sandbox ${sbx.sandboxId} not found`, 'connect message')
  e = await rejects(sbx.commands.run('true'), SandboxError, 'envd call after kill')
  eq(e.message, 'Sandbox is probably not running anymore', 'envd message')
  e = await rejects(stream.wait(), TimeoutError, 'open pty stream ends when the sandbox dies')
  eq(e.message, '[unknown] terminated: The sandbox was killed or reached its end of life while the request was in flight.', 'stream message')
})

await check('sandbox expires after its timeout (timer), envd then answers 502', async () => {
  const s = await Sandbox.create('base', { timeoutMs: 1500 })
  eq(await s.isRunning(), true, 'running')
  await until(async () => !(await s.isRunning()), 5000, 'the sandbox to expire')
  const e = await rejects(s.getInfo(), SandboxError, 'getInfo after expiry')
  eq(e.message, `Sandbox ${s.sandboxId} not found`, 'message')
})

await check('wrong API key -> AuthenticationError', async () => {
  const e = await rejects(Sandbox.create('codex', { apiKey: 'e2b_' + 'f'.repeat(40) }), AuthenticationError, 'bad key')
  eq(e.message, 'Unauthorized, please check your credentials. - Invalid API key, please visit https://e2b.dev/docs/quickstart/api-key to get your API key.', 'message')
})

await check('unknown template -> 404 SandboxError (code 404 body)', async () => {
  const e = await rejects(Sandbox.create('no-such-template'), SandboxError, 'unknown template')
  eq(e.message, "404: template 'no-such-template' not found", 'message')
})

await check('network: domains without denyOut 0.0.0.0/0 -> 400', async () => {
  const e = await rejects(Sandbox.create('codex', { network: { allowOut: ['example.com'] } }), SandboxError, 'bad network')
  eq(e.message, "400: When specifying allowed domains in allow out, you must include 'ALL_TRAFFIC' in deny out to block all other traffic.", 'message')
})

await check('fault injection: 429 + Retry-After once -> the SDK retries and succeeds', async () => {
  await admin('POST', '/_emulator/fail', { spec: `POST ${isV2 ? '/v2/sandboxes' : '/sandboxes'}=429:Retry-After=1:times=1` })
  const t0 = Date.now()
  const s = await Sandbox.create('base', { timeoutMs: 30_000 })
  assert(Date.now() - t0 >= 900, 'waited Retry-After')
  await s.kill()
  await admin('DELETE', '/_emulator/fail')
})

await check('fault injection: 429 without Retry-After -> RateLimitError; 500 -> SandboxError', async () => {
  await admin('POST', '/_emulator/fail', { method: 'POST', path: isV2 ? '/v2/sandboxes' : '/sandboxes', status: 429, times: 1 })
  let e = await rejects(Sandbox.create('base'), RateLimitError, '429')
  eq(e.message, 'Rate limit exceeded, please try again later - emulated fault', '429 message')
  await admin('POST', '/_emulator/fail', { spec: `POST ${isV2 ? '/v2/sandboxes' : '/sandboxes'}=500:times=1:message=boom` })
  e = await rejects(Sandbox.create('base'), SandboxError, '500')
  eq(e.message, '500: boom', 'message')
  await admin('DELETE', '/_emulator/fail')
})

const left = await admin('GET', '/_emulator/sandboxes')
await check('no sandboxes left behind', async () => {
  eq(left.filter((s) => s.metadata && s.metadata.run === runTag).length, 0, 'leftovers')
})

process.exit(failed ? 1 : 0)
