// Raw wire checks of the E2B emulator (Node 20 stdlib only, no SDK): the
// things a hand-written client (runner/e2b/e2b.c) relies on and the SDK check does
// not see.  Prints TAP lines without numbers, like sdk-check/sdk-faithful.mjs.
//
// Environment: EMU_URL (http://127.0.0.1:PORT), E2B_API_KEY, EMU_LOG.
import { readFileSync } from 'node:fs'
import http from 'node:http'

const EMU = process.env.EMU_URL
const KEY = process.env.E2B_API_KEY
const LOG = process.env.EMU_LOG
let failed = 0
const out = (s) => process.stdout.write(s + '\n')
const diag = (s) => String(s).split('\n').forEach((l) => out('# ' + l))
async function check(desc, fn) {
  try { await fn(); out(`ok - [wire] ${desc}`) } catch (e) {
    failed++; out(`not ok - [wire] ${desc}`); diag((e && e.stack) || String(e))
  }
}
function assert(c, m) { if (!c) throw new Error('assertion failed: ' + m) }
function eq(a, b, m) { if (JSON.stringify(a) !== JSON.stringify(b)) throw new Error(`${m}: expected ${JSON.stringify(b)}, got ${JSON.stringify(a)}`) }
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
// Wait for a state (polled), never for a time.
async function waitFor(fn, ms, what) {
  const end = Date.now() + ms
  while (!(await fn())) {
    if (Date.now() > end) throw new Error('timed out waiting for ' + what)
    await sleep(20)
  }
}
const running = async (sel) => (await unary(sb, 'List', {})).json.processes.some(sel)
const started = (e, flag) => { if (e.msg.event && e.msg.event.start) flag.on = true }
const b64 = (s) => Buffer.from(s).toString('base64')
const unb64 = (s) => Buffer.from(s, 'base64').toString()

async function api(method, path, body, key = KEY) {
  const r = await fetch(EMU + path, {
    method,
    headers: { 'X-API-KEY': key, ...(body !== undefined && { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await r.text()
  let json = null
  try { json = JSON.parse(text) } catch {}
  return { status: r.status, headers: r.headers, json, text }
}
function envdHeaders(sb, extra = {}) {
  return { 'E2b-Sandbox-Id': sb.sandboxID, 'E2b-Sandbox-Port': '49983', ...(sb.envdAccessToken && { 'X-Access-Token': sb.envdAccessToken }), ...extra }
}
async function unary(sb, method, msg, extra = {}) {
  const r = await fetch(`${EMU}/process.Process/${method}`, {
    method: 'POST', headers: envdHeaders(sb, { 'content-type': 'application/json', 'connect-protocol-version': '1', ...extra }),
    body: JSON.stringify(msg),
  })
  return { status: r.status, ctype: r.headers.get('content-type'), json: await r.json().catch(() => null) }
}
function envelope(obj) {
  const p = Buffer.from(JSON.stringify(obj))
  const h = Buffer.alloc(5); h.writeUInt8(0, 0); h.writeUInt32BE(p.length, 1)
  return Buffer.concat([h, p])
}
// Opens a server stream; returns { events: async iterator of {flags, msg}, abort() }.
function stream(sb, method, msg, extra = {}) {
  const ac = new AbortController()
  const resP = fetch(`${EMU}/process.Process/${method}`, {
    method: 'POST', signal: ac.signal,
    headers: envdHeaders(sb, { 'content-type': 'application/connect+json', 'connect-protocol-version': '1', ...extra }),
    body: envelope(msg),
  })
  async function* events() {
    const res = await resP
    assert(res.status === 200, 'stream status ' + res.status)
    eq(res.headers.get('content-type'), 'application/connect+json', 'stream content-type')
    let buf = Buffer.alloc(0)
    const reader = res.body.getReader()
    for (;;) {
      while (buf.length >= 5) {
        const n = buf.readUInt32BE(1)
        if (buf.length < 5 + n) break
        const flags = buf[0]
        const m = JSON.parse(buf.subarray(5, 5 + n).toString())
        buf = buf.subarray(5 + n)
        yield { flags, msg: m }
      }
      const { value, done } = await reader.read()
      if (done) return
      buf = Buffer.concat([buf, Buffer.from(value)])
    }
  }
  return { events: events(), abort: () => ac.abort() }
}
async function collect(st, until = () => false) {
  const evs = []
  try {
    for await (const e of st.events) { evs.push(e); if (until(e, evs)) break }
  } catch (e) { if (e.name !== 'AbortError') throw e }
  return evs
}

let sb
await check('v1 create without secure -> no envdAccessToken; default timeout 15 s', async () => {
  const r = await api('POST', '/sandboxes', { templateID: 'base' })
  eq(r.status, 201, 'status'); eq(r.json.envdAccessToken, null, 'no token')
  const info = await api('GET', '/sandboxes/' + r.json.sandboxID)
  const ttl = (Date.parse(info.json.endAt) - Date.now()) / 1000
  assert(ttl > 13 && ttl <= 15.5, 'ttl ' + ttl)
  const h = await fetch(EMU + '/process.Process/List', { method: 'POST', headers: { 'E2b-Sandbox-Id': r.json.sandboxID, 'content-type': 'application/json' }, body: '{}' })
  eq(h.status, 200, 'envd without token works for an insecure sandbox')
  eq((await api('DELETE', '/sandboxes/' + r.json.sandboxID)).status, 204, 'kill')
})

await check('v2 create: 201 body shape, template by ID and ns/name:tag', async () => {
  const r = await api('POST', '/v2/sandboxes', { templateID: 'codex', timeout: 120, envVars: { E1: 'v1' } })
  eq(r.status, 201, 'status')
  sb = r.json
  for (const k of ['templateID', 'sandboxID', 'alias', 'clientID', 'envdVersion', 'envdAccessToken']) assert(sb[k], 'field ' + k)
  eq(sb.clientID, '6532622b', 'clientID'); eq(sb.domain, null, 'domain null'); eq(sb.trafficAccessToken, null, 'trafficAccessToken')
  const byId = await api('POST', '/v2/sandboxes', { templateID: sb.templateID, timeout: 5 })
  eq(byId.status, 201, 'by template id'); eq(byId.json.alias, 'codex', 'alias')
  const byRef = await api('POST', '/v2/sandboxes', { templateID: 'team/codex:latest', timeout: 5 })
  eq(byRef.status, 201, 'ns/name:tag')
  await api('DELETE', '/sandboxes/' + byId.json.sandboxID); await api('DELETE', '/sandboxes/' + byRef.json.sandboxID)
})

await check('API errors: 401 missing/bad key, 400 timeout<=0, 404 unknown sandbox, plain 404 for unknown routes', async () => {
  const a = await api('GET', '/v2/sandboxes', undefined, 'e2b_bad')
  eq(a.status, 401, '401')
  eq(a.json, { code: 401, message: 'Invalid API key, please visit https://e2b.dev/docs/quickstart/api-key to get your API key.' }, 'body')
  const z = await api('POST', '/v2/sandboxes', { templateID: 'codex', timeout: 0 })
  eq(z.status, 400, 'timeout 0'); eq(z.json, { code: 400, message: 'Timeout must be greater than 0' }, 'body')
  const gone = { code: 404, message: 'sandbox "inotthere000000000000" doesn\'t exist or you don\'t have access to it' }
  const n = await api('GET', '/sandboxes/inotthere000000000000')
  eq(n.status, 404, '404'); eq(n.json, gone, 'body')
  const k = await api('DELETE', '/sandboxes/inotthere000000000000')
  eq(k.status, 404, 'kill unknown -> 404'); eq(k.json, gone, 'kill unknown body')
  const u = await api('GET', '/no/such/route')
  eq(u.status, 404, 'unknown route'); eq(u.text, '404 page not found', 'gin-style text')
  const d = await api('POST', '/v2/sandboxes', { templateID: 'codex', network: { denyOut: ['example.com'] } })
  eq(d.status, 400, 'domain in denyOut -> 400')
  eq(d.json, { code: 400, message: "invalid denyOut entry 'example.com': only IP addresses and CIDR blocks are allowed" }, 'body')
})

await check('refreshes extends only; connect v2 without body -> 200 and extends only', async () => {
  const before = Date.parse((await api('GET', '/sandboxes/' + sb.sandboxID)).json.endAt)
  eq((await api('POST', `/sandboxes/${sb.sandboxID}/refreshes`, { duration: 15 })).status, 204, 'refresh')
  const after = Date.parse((await api('GET', '/sandboxes/' + sb.sandboxID)).json.endAt)
  assert(after >= before, 'refresh never shortens')
  const r = await fetch(`${EMU}/v2/sandboxes/${sb.sandboxID}/connect`, { method: 'POST', headers: { 'X-API-KEY': KEY } })
  eq(r.status, 200, 'connect running'); eq((await r.json()).envdAccessToken, sb.envdAccessToken, 'token again')
  const c1 = await api('POST', `/sandboxes/${sb.sandboxID}/connect`, {})
  eq(c1.status, 400, 'v1 connect requires timeout')
  eq(c1.json, { code: 400, message: 'Error when parsing request: timeout is required' }, 'v1 connect body')
  eq((await api('PUT', `/sandboxes/${sb.sandboxID}/network`, { allowOut: ['1.1.1.1'], denyOut: ['0.0.0.0/0'] })).status, 204, 'network update')
  eq((await api('GET', '/sandboxes/' + sb.sandboxID)).json.network, { allowOut: ['1.1.1.1'], denyOut: ['0.0.0.0/0'] }, 'network replaced')
})

await check('GET /v2/sandboxes pagination via X-Next-Token', async () => {
  const extra = []
  for (let i = 0; i < 3; i++) extra.push((await api('POST', '/v2/sandboxes', { templateID: 'base', timeout: 30, metadata: { page: 'p' } })).json.sandboxID)
  const md = encodeURIComponent('page=p')
  const p1 = await api('GET', `/v2/sandboxes?metadata=${md}&limit=2`)
  eq(p1.json.length, 2, 'page 1'); const tok = p1.headers.get('x-next-token'); assert(tok, 'next token')
  const p2 = await api('GET', `/v2/sandboxes?metadata=${md}&limit=2&nextToken=${tok}`)
  eq(p2.json.length, 1, 'page 2'); eq(p2.headers.get('x-next-token'), '', 'last page: empty token')
  for (const id of extra) await api('DELETE', '/sandboxes/' + id)
})

await check('envd: 401 bad token, 502 unknown sandbox, Host-based routing 49983-<id>.<domain>', async () => {
  const r = await fetch(EMU + '/process.Process/List', { method: 'POST', headers: { 'E2b-Sandbox-Id': sb.sandboxID, 'X-Access-Token': 'wrong', 'content-type': 'application/json' }, body: '{}' })
  eq(r.status, 401, 'bad token')
  eq(await r.json(), { code: 401, message: 'unauthorized access, please provide a valid access token or method signing if supported' }, 'body')
  const g = await fetch(EMU + '/health', { headers: { 'E2b-Sandbox-Id': 'inotthere000000000000' } })
  eq(g.status, 502, 'unknown sandbox')
  eq(await g.json(), { sandboxId: 'inotthere000000000000', message: 'The sandbox was not found', code: 502 }, 'body')
  const port = new URL(EMU).port
  const st = await new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: '/health', headers: { Host: `49983-${sb.sandboxID}.e2b.local` } }, (res) => { res.resume(); resolve(res.statusCode) }).on('error', reject)
  })
  eq(st, 204, 'host routed /health')
})

await check('Start: start first, stdout/stderr base64, end without exitCode for 0, 0x02 end-stream {}', async () => {
  const evs = await collect(stream(sb, 'Start', { process: { cmd: '/bin/bash', args: ['-c', 'echo hi; echo "$E1" >&2'] }, stdin: false }))
  assert(evs[0].msg.event.start.pid > 0, 'start first')
  const data = evs.filter((e) => e.msg.event && e.msg.event.data)
  eq(data.filter((e) => e.msg.event.data.stdout).map((e) => unb64(e.msg.event.data.stdout)).join(''), 'hi\n', 'stdout')
  eq(data.filter((e) => e.msg.event.data.stderr).map((e) => unb64(e.msg.event.data.stderr)).join(''), 'v1\n', 'stderr (sandbox envVars)')
  const end = evs[evs.length - 2].msg.event.end
  eq(end, { exited: true, status: 'exit status 0' }, 'end event (exitCode omitted when 0)')
  eq(evs[evs.length - 1], { flags: 2, msg: {} }, 'end-stream')
})

await check('Start: bad cwd -> 200 + end-stream error invalid_argument; unknown command -> exit 127', async () => {
  const evs = await collect(stream(sb, 'Start', { process: { cmd: '/bin/true', cwd: '/nope' } }))
  eq(evs.length, 1, 'only end-stream'); eq(evs[0].flags, 2, 'flag')
  eq(evs[0].msg.error.code, 'invalid_argument', 'code'); eq(evs[0].msg.error.message, "cwd '/nope' does not exist", 'message')
  const e2 = await collect(stream(sb, 'Start', { process: { cmd: 'no-such-cmd-xyz' } }))
  eq(e2[e2.length - 2].msg.event.end.exitCode, 127, 'exit 127 (command wrapped by /bin/sh like envd)')
})

await check('keepalive events every Keepalive-Ping-Interval seconds of silence', async () => {
  const evs = await collect(stream(sb, 'Start', { process: { cmd: '/bin/sleep', args: ['2.5'] } }, { 'Keepalive-Ping-Interval': '1' }))
  const ka = evs.filter((e) => e.msg.event && e.msg.event.keepalive).length
  assert(ka >= 2, 'keepalives: ' + ka)
})

await check('Connect-Timeout-Ms on Start: end-stream deadline_exceeded and the process is killed', async () => {
  const st = stream(sb, 'Start', { process: { cmd: '/bin/sleep', args: ['30'] } }, { 'Connect-Timeout-Ms': '700' })
  const evs = await collect(st)
  const pid = evs[0].msg.event.start.pid
  eq(evs[evs.length - 1].msg.error, { code: 'deadline_exceeded', message: 'context deadline exceeded' }, 'deadline')
  await waitFor(async () => !(await running((p) => p.pid === pid)), 3000, 'the process to be killed')
})

await check('tag selector: Connect by tag, output with no subscriber is dropped, SendInput/Update/SendSignal by tag', async () => {
  // B is printed while nothing is attached; the marker file says it was.
  // The emulator reads the pipe asynchronously: the marker comes a second
  // later, or under load B could still sit in the pipe when Connect attaches
  // (then it is not "output with no subscriber" and is rightly delivered).
  const script = 'read x; echo "A$x"; read z; echo B; sleep 1; touch "$HOME/b-done"; read y; echo "C$y"; sleep 30'
  const st = stream(sb, 'Start', { process: { cmd: '/bin/bash', args: ['-c', script] }, tag: 'codex', stdin: true })
  const first = collect(st, (e, evs) => evs.some((x) => x.msg.event && x.msg.event.data && unb64(x.msg.event.data.stdout || '').includes('A1')))
  await waitFor(() => running((p) => p.tag === 'codex'), 3000, 'the tagged process')
  eq((await unary(sb, 'SendInput', { process: { tag: 'codex' }, input: { stdin: b64('1\n') } })).status, 200, 'stdin by tag')
  const evs = await first
  st.abort() // detach
  await unary(sb, 'SendInput', { process: { tag: 'codex' }, input: { stdin: b64('z\n') } })
  await waitFor(async () => (await fetch(`${EMU}/files?path=/home/user/b-done`, { headers: envdHeaders(sb) })).status === 200,
    3000, 'B to be printed with nobody attached')
  const st2 = stream(sb, 'Connect', { process: { tag: 'codex' } })
  const on2 = { on: false }
  const got = collect(st2, (e, all) => { started(e, on2); return all.some((x) => x.msg.event && x.msg.event.data && unb64(x.msg.event.data.stdout || '').includes('C2')) })
  await waitFor(() => on2.on, 3000, 'Connect to be attached')
  await unary(sb, 'SendInput', { process: { tag: 'codex' }, input: { stdin: b64('2\n') } })
  const evs2 = await got
  const text = evs2.filter((x) => x.msg.event && x.msg.event.data).map((x) => unb64(x.msg.event.data.stdout)).join('')
  assert(evs2[0].msg.event.start.pid === evs[0].msg.event.start.pid, 'connect starts with start{pid}')
  assert(!text.includes('B'), 'B was dropped: ' + JSON.stringify(text))
  const list = await unary(sb, 'List', {})
  assert(list.json.processes.some((p) => p.tag === 'codex' && p.config.cmd === '/bin/bash'), 'List shows tag + config')
  const up = await unary(sb, 'Update', { process: { tag: 'codex' }, pty: { size: { cols: 10, rows: 10 } } })
  eq(up.status, 500, 'resize a non-pty -> internal'); eq(up.json, { code: 'internal', message: 'tty not assigned to process' }, 'body')
  const bad = await unary(sb, 'SendSignal', { process: { tag: 'codex' }, signal: 'SIGNAL_SIGHUP' })
  eq(bad.status, 501, 'unsupported signal -> unimplemented')
  eq(bad.json, { code: 'unimplemented', message: 'invalid signal: SIGNAL_SIGHUP' }, 'body')
  eq((await unary(sb, 'SendSignal', { process: { tag: 'codex' }, signal: 15 })).status, 200, 'numeric SIGTERM')
  st2.abort()
})

await check('unary errors: not_found 404 {code,message}; wrong content type 415; unknown user unauthenticated', async () => {
  const r = await unary(sb, 'SendInput', { process: { pid: 999999 }, input: { pty: b64('x') } })
  eq(r.status, 404, 'status'); eq(r.json, { code: 'not_found', message: 'process with pid 999999 not found' }, 'body')
  assert(/^application\/json/.test(r.ctype), 'json error content type')
  const p = await fetch(`${EMU}/process.Process/List`, { method: 'POST', headers: envdHeaders(sb, { 'content-type': 'application/proto' }), body: '' })
  eq(p.status, 415, 'proto not supported')
  const u = await unary(sb, 'List', {}, { Authorization: 'Basic ' + b64('mallory:') })
  eq(u.status, 401, 'unknown user'); eq(u.json, { code: 'unauthenticated', message: "invalid username: 'mallory'" }, 'body')
})

await check('PTY via raw Start: data.pty, SendInput pty, Update, SIGKILL -> end exitCode -1 "signal: killed"', async () => {
  const st = stream(sb, 'Start', { process: { cmd: '/bin/bash', args: ['--norc', '--noprofile', '-i'], envs: { PS1: '$ ' } }, pty: { size: { cols: 33, rows: 11 } }, tag: 'ptyraw' })
  let text = ''
  const all = collect(st, (e) => {
    if (e.msg.event && e.msg.event.data && e.msg.event.data.pty) text += unb64(e.msg.event.data.pty)
    return false
  })
  await waitFor(() => text.includes('$ '), 5000, 'the prompt')
  await unary(sb, 'SendInput', { process: { tag: 'ptyraw' }, input: { pty: b64('stty size\r') } })
  for (let i = 0; i < 100 && !text.includes('11 33'); i++) await sleep(30)
  assert(text.includes('11 33'), 'stty size: ' + JSON.stringify(text))
  const si = await unary(sb, 'SendInput', { process: { tag: 'ptyraw' }, input: { stdin: b64('x') } })
  eq(si.json.code, 'internal', 'stdin input to a pty process -> internal')
  await unary(sb, 'SendSignal', { process: { tag: 'ptyraw' }, signal: 'SIGNAL_SIGKILL' })
  const evs = await all
  eq(evs[evs.length - 2].msg.event.end, { exitCode: -1, status: 'signal: killed', error: 'signal: killed' }, 'end')
})

await check('StreamInput (client-streaming, HTTP/1.1 chunked upload): input applied as each envelope arrives', async () => {
  const st = stream(sb, 'Start', { process: { cmd: '/bin/cat' }, pty: { size: { cols: 80, rows: 24 } }, tag: 'si' })
  let text = ''
  const on = { on: false }
  const all = collect(st, (e) => {
    started(e, on)
    if (e.msg.event && e.msg.event.data && e.msg.event.data.pty) text += unb64(e.msg.event.data.pty)
    return false
  })
  await waitFor(() => on.on, 3000, 'cat to be started')
  const port = new URL(EMU).port
  const resP = new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/process.Process/StreamInput',
      headers: { ...envdHeaders(sb), 'content-type': 'application/connect+json', 'connect-protocol-version': '1', 'transfer-encoding': 'chunked' } }, (res) => {
      const chunks = []; res.on('data', (c) => chunks.push(c)); res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks) }))
    })
    req.on('error', reject)
    req.write(envelope({ start: { process: { tag: 'si' } } }))
    req.write(envelope({ data: { input: { pty: b64('first\r') } } }))
    ;(async () => {
      for (let i = 0; i < 100 && !text.includes('first'); i++) await sleep(20)
      req.write(envelope({ keepalive: {} }))
      req.write(envelope({ data: { input: { pty: b64('second\r') } } }))
      req.end()
    })()
  })
  const res = await resP
  assert(text.includes('first'), 'first input echoed before the upload ended')
  eq(res.status, 200, 'status')
  const n1 = res.body.readUInt32BE(1)
  eq(JSON.parse(res.body.subarray(5, 5 + n1)), {}, 'response message {}')
  eq(res.body[5 + n1], 2, 'end-stream flag'); eq(JSON.parse(res.body.subarray(10 + n1)), {}, 'end-stream {}')
  for (let i = 0; i < 100 && !text.includes('second'); i++) await sleep(20)
  assert(text.includes('second'), 'second input: ' + JSON.stringify(text))
  await unary(sb, 'SendSignal', { process: { tag: 'si' }, signal: 'SIGNAL_SIGKILL' })
  await all
})

await check('/files: octet-stream upload, X-Metadata, 404 body, directory 400, /envs', async () => {
  const up = await fetch(`${EMU}/files?path=/home/user/x/y.txt&username=user`, { method: 'POST', headers: envdHeaders(sb, { 'content-type': 'application/octet-stream', 'X-Metadata-Owner': 'Runner' }), body: 'data' })
  eq(up.status, 200, 'upload'); eq(await up.json(), [{ path: '/home/user/x/y.txt', name: 'y.txt', type: 'file', metadata: { owner: 'Runner' } }], 'result')
  const dl = await fetch(`${EMU}/files?path=/home/user/x/y.txt`, { headers: envdHeaders(sb) })
  eq(dl.headers.get('content-length'), '4', 'content-length'); eq(await dl.text(), 'data', 'body')
  const nf = await fetch(`${EMU}/files?path=/home/user/none`, { headers: envdHeaders(sb) })
  eq(nf.status, 404, '404'); eq(await nf.json(), { code: 404, message: "path '/home/user/none' does not exist" }, 'body')
  const dir = await fetch(`${EMU}/files?path=/home/user/x`, { headers: envdHeaders(sb) })
  eq(dir.status, 400, 'directory'); eq(await dir.json(), { code: 400, message: "path '/home/user/x' is a directory" }, 'body')
  const bad = await fetch(`${EMU}/files?path=/home/user/q`, { headers: { 'E2b-Sandbox-Id': sb.sandboxID, 'X-Access-Token': 'nope' } })
  eq(bad.status, 401, 'bad token on /files')
  eq(await bad.json(), { code: 401, message: 'unauthorized access, please provide a valid access token or method signing if supported' }, 'body')
  const envs = await fetch(`${EMU}/envs`, { headers: envdHeaders(sb) })
  eq(await envs.json(), { E1: 'v1' }, '/envs')
})

await check('/files: presigned URL signature (v1_ sha256) accepted without token', async () => {
  const { createHash } = await import('node:crypto')
  const path = '/home/user/x/y.txt'
  const sig = 'v1_' + createHash('sha256').update(`${path}:read::${sb.envdAccessToken}`).digest('base64').replace(/=+$/, '')
  const r = await fetch(`${EMU}/files?path=${encodeURIComponent(path)}&signature=${encodeURIComponent(sig)}`, { headers: { 'E2b-Sandbox-Id': sb.sandboxID } })
  eq(r.status, 200, 'signed read'); eq(await r.text(), 'data', 'body')
})

await check('request log: one JSON line per request with plane/method/path/status, secrets redacted', async () => {
  const recs = readFileSync(LOG, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l))
  const st = recs.find((r) => r.path === '/process.Process/Start' && r.sandboxID === sb.sandboxID)
  assert(st && st.plane === 'envd' && st.status === 200 && st.pid > 0, 'Start logged with pid')
  assert(!readFileSync(LOG, 'utf8').includes(sb.envdAccessToken), 'token never logged')
  assert(!readFileSync(LOG, 'utf8').includes(KEY), 'api key never logged')
})

await check('kill closes open streams; envd then 502', async () => {
  const st = stream(sb, 'Start', { process: { cmd: '/bin/sleep', args: ['60'] } })
  const on = { on: false }
  const p = collect(st, (e) => { started(e, on); return false }).then((evs) => evs, (e) => 'error: ' + e.message)
  await waitFor(() => on.on, 3000, 'the stream to be started')
  eq((await api('DELETE', '/sandboxes/' + sb.sandboxID)).status, 204, 'kill')
  const how = await p
  // cut: no end event and no end-stream envelope came
  assert(typeof how === 'string' || !how.some((e) => (e.msg.event && e.msg.event.end) || e.flags === 2),
    'the stream is cut, not ended: ' + JSON.stringify(how))
  const g = await fetch(EMU + '/health', { headers: { 'E2b-Sandbox-Id': sb.sandboxID } })
  eq(g.status, 502, '502 after kill')
  eq(await g.json(), { sandboxId: sb.sandboxID, message: 'The sandbox was not found', code: 502 }, '502 body')
})

process.exit(failed ? 1 : 0)
