// issuer.mjs DIR: the issuer benchmark behind tests/bench/issuer.sh (read its header).
//
// For each algorithm, one after the other on the same machine in the same run:
//   ours:  identity-backend `client add` (fresh db in DIR), `serve` with
//          JWT_ALGORITHM=ALG, --threads THREADS; stderr (one JSON line per
//          request) goes to /dev/null during the load;
//   peer:  node-oidc-provider (issuer-oidc-provider.mjs), one Node process, a
//          fresh key of ALG, configured alike;
// then for each server: one POST /token exactly as wrk sends it (must be 200, the
// access token must verify with jose against the server's own JWK Set: issuer,
// audience "api", typ at+jwt, that one alg, scope "read"); the same grant through
// openid-client (certified RP); wrk warm-up; wrk measured run while /proc/PID is
// sampled (VmRSS max, CPU time); wrk's non-2xx and socket errors must be 0.
// Start-up: spawn to first 200 on /ping (peer: its discovery document), median of
// BENCH_ISSUER_STARTS fresh starts (empty folder: db creation + key generation)
// and as many warm starts (same folder again).
// Prints the report on stdout; progress on stderr. Exit 1 if any component failed.
import { spawn, execFileSync } from 'node:child_process'
import { openSync, closeSync, readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs'
import { join, dirname, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { cpus, loadavg } from 'node:os'
import { randomBytes } from 'node:crypto'
import http from 'node:http'
import { createRequire } from 'node:module'
import { generateKeyPair, exportJWK, calculateJwkThumbprint, jwtVerify, createRemoteJWKSet } from 'jose'
import * as oc from 'openid-client'
import { median } from './timing.mjs'
import { BIN, freePort, serveArgs, sleep, stopChild as stop } from '../lib.mjs'
import { harness, procStatus, runWrk, wrkScript } from './proc.mjs'

const HERE = dirname(fileURLToPath(import.meta.url))
const ROOT = join(HERE, '..', '..')
const BUILD = process.env.BUILD || 'build'
const shownBin = relative(ROOT, BIN).startsWith('..') ? BIN : relative(ROOT, BIN) // as the report names it
const SIGN_BIN = join(ROOT, BUILD, 'bench', 'bench_sign')
const PEER = join(HERE, 'issuer-oidc-provider.mjs')

const env = (name, def) => {
  const v = process.env[name]
  if (v === undefined || v === '') return def
  const n = Number(v)
  if (!Number.isFinite(n) || n <= 0) {
    console.error(`issuer bench: ${name}=${v}: expected a positive number`)
    process.exit(2)
  }
  return n
}
const ALGS = (process.env.BENCH_ISSUER_ALGS || 'ES256 RS256 EdDSA').split(/\s+/).filter(Boolean)
const SECONDS = env('BENCH_ISSUER_SECONDS', 10)
const WARMUP_SECONDS = env('BENCH_ISSUER_WARMUP', 3)
const CONNS = env('BENCH_ISSUER_CONNECTIONS', 64)
const WRK_THREADS = env('BENCH_ISSUER_WRK_THREADS', 2)
const THREADS = env('BENCH_ISSUER_THREADS', 2)
const STARTS = env('BENCH_ISSUER_STARTS', 5)
const RUN_OURS = process.env.BENCH_ISSUER_OURS !== '0'
const RUN_PEER = process.env.BENCH_ISSUER_PEER !== '0'
const SUPPORTED = ['ES256', 'RS256', 'EdDSA']

const CLIENT_ID = 'bench'
const AUDIENCE = 'api'
const CLIENT_SCOPE = 'read write'
const BODY = 'grant_type=client_credentials&scope=read'

const dir = process.argv[2]
if (!dir) {
  console.error('usage: node tests/bench/issuer.mjs DIR   (see tests/bench/issuer.sh)')
  process.exit(2)
}
for (const a of ALGS) {
  if (!SUPPORTED.includes(a)) {
    console.error(`issuer bench: unknown algorithm ${a} (BENCH_ISSUER_ALGS: any of ${SUPPORTED.join(' ')})`)
    process.exit(2)
  }
}

const { log, fail, failures, track } = harness('bench-issuer')

// ---- small helpers -----------------------------------------------------------

// Status of one GET on a fresh connection; 0 when the connection fails.
function getStatus(port, path) {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode))
      res.on('error', () => resolve(0))
    })
    req.on('error', () => resolve(0))
    req.setTimeout(2000, () => req.destroy())
  })
}

const tail = (file, n = 15) => {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-n).join('\n')
  } catch {
    return ''
  }
}

// Wait until GET path answers 200; milliseconds since t0. Throws if the process
// exits first or nothing answers within timeoutMs.
async function waitReady(child, port, path, t0, timeoutMs, logFile) {
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      const t = logFile ? tail(logFile) : ''
      throw new Error(`exited (code ${child.exitCode}, signal ${child.signalCode}) before answering${t ? `; its stderr ends:\n${t}` : ''}`)
    }
    const status = await getStatus(port, path)
    const ms = performance.now() - t0
    if (status === 200) return ms
    if (ms > timeoutMs) throw new Error(`GET ${path} not 200 after ${timeoutMs} ms (last status ${status || 'no connection'})`)
    if (status !== 0) await sleep(5)
    else await sleep(1)
  }
}

const mb = (kb) => (kb / 1024).toFixed(1)
const fmtRate = (x) => (x == null || !Number.isFinite(x) ? '-' : String(Math.round(x)))
const fmtMs = (us) => (us == null || !Number.isFinite(us) ? '-' : `${(us / 1000).toFixed(2)} ms`)

// ---- servers -----------------------------------------------------------------

// Ours: client add, then serve. Returns { child, port, issuer, secret, jwksUri, readyPath }.
async function startOurs(alg, logFile) {
  const d = join(dir, `ours-${alg}`)
  mkdirSync(d, { recursive: true })
  const db = join(d, 'identity.db')
  let out
  try {
    out = execFileSync(
      BIN,
      ['client', 'add', '--db', db, '--id', CLIENT_ID, '--grant', 'client_credentials', '--audience', AUDIENCE, '--scope', CLIENT_SCOPE],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30000 },
    )
  } catch (e) {
    throw new Error(`identity-backend client add failed (exit ${e.status}): ${(e.stderr || e.stdout || e.message).toString().trim().slice(0, 400)}`)
  }
  let secret
  try {
    secret = JSON.parse(out).client_secret
  } catch {}
  if (typeof secret !== 'string' || !secret) throw new Error(`client add printed no client_secret: ${out.slice(0, 300)}`)
  const port = await freePort()
  const issuer = `http://127.0.0.1:${port}`
  const child = spawnOurs(alg, db, port, logFile)
  await waitReady(child, port, '/ping', performance.now(), 30000, logFile)
  return { child, port, issuer, secret, jwksUri: `${issuer}/.well-known/jwks.json` }
}

function spawnOurs(alg, db, port, logFile) {
  const fd = logFile ? openSync(logFile, 'w') : 'ignore'
  try {
    return track(
      spawn(BIN, serveArgs({ db, port, threads: THREADS, issuer: `http://127.0.0.1:${port}` }), {
        env: { ...process.env, JWT_ALGORITHM: alg },
        stdio: ['ignore', 'ignore', fd],
      }),
    )
  } finally {
    if (typeof fd === 'number') closeSync(fd)
  }
}

// A fresh private JWK of alg for the peer (RSA 2048-bit, P-256, Ed25519).
async function peerKey(alg) {
  const { privateKey } = await generateKeyPair(alg, { extractable: true })
  const jwk = await exportJWK(privateKey)
  jwk.kid = await calculateJwkThumbprint(jwk)
  jwk.alg = alg
  jwk.use = 'sig'
  return jwk
}

async function writePeerConfig(alg, port) {
  const secret = randomBytes(32).toString('base64url')
  const cfg = { port, alg, jwk: await peerKey(alg), client_id: CLIENT_ID, client_secret: secret, audience: AUDIENCE, scope: CLIENT_SCOPE }
  const file = join(dir, `peer-${alg}-${port}.json`)
  writeFileSync(file, JSON.stringify(cfg))
  return { file, secret }
}

function spawnPeer(cfgFile, logFile) {
  const fd = openSync(logFile, 'w')
  try {
    return track(spawn(process.execPath, [PEER, cfgFile], { env: { ...process.env, NODE_ENV: 'production' }, stdio: ['ignore', 'ignore', fd] }))
  } finally {
    closeSync(fd)
  }
}

const PEER_READY = '/.well-known/openid-configuration'

async function startPeer(alg, logFile) {
  const port = await freePort()
  const { file, secret } = await writePeerConfig(alg, port)
  const child = spawnPeer(file, logFile)
  await waitReady(child, port, PEER_READY, performance.now(), 30000, logFile)
  const issuer = `http://127.0.0.1:${port}`
  const meta = await (await fetch(`${issuer}${PEER_READY}`)).json()
  return { child, port, issuer, secret, jwksUri: meta.jwks_uri }
}

// ---- checks ------------------------------------------------------------------

const basic = (secret) => `Basic ${Buffer.from(`${CLIENT_ID}:${secret}`).toString('base64')}`

// The request wrk sends, once: 200, a Bearer token that verifies against the JWK Set.
async function checkToken(srv, alg) {
  const res = await fetch(`${srv.issuer}/token`, {
    method: 'POST',
    headers: { authorization: basic(srv.secret), 'content-type': 'application/x-www-form-urlencoded' },
    body: BODY,
  })
  const text = await res.text()
  if (res.status !== 200) throw new Error(`POST /token answered ${res.status}, not 200: ${text.slice(0, 300)}`)
  let j
  try {
    j = JSON.parse(text)
  } catch {
    throw new Error(`POST /token answered 200 with a body that is not JSON: ${text.slice(0, 200)}`)
  }
  if (typeof j.access_token !== 'string') throw new Error(`no access_token in ${text.slice(0, 300)}`)
  if (!/^bearer$/i.test(j.token_type)) throw new Error(`token_type is ${JSON.stringify(j.token_type)}, not Bearer`)
  let v
  try {
    v = await jwtVerify(j.access_token, createRemoteJWKSet(new URL(srv.jwksUri)), {
      issuer: srv.issuer,
      audience: AUDIENCE,
      algorithms: [alg],
      typ: 'at+jwt',
    })
  } catch (e) {
    throw new Error(`the access token does not verify with jose against ${srv.jwksUri}: ${e.code || e.name}: ${e.message}`)
  }
  if (v.payload.scope !== 'read') throw new Error(`token scope is ${JSON.stringify(v.payload.scope)}, not "read"`)
  return { tokenBytes: j.access_token.length, bodyBytes: Buffer.byteLength(text), claims: Object.keys(v.payload).sort().join(','), expiresIn: j.expires_in }
}

// The same grant through openid-client (discovery when the server has it).
async function checkOpenidClient(srv) {
  let config
  let how = 'discovery'
  try {
    config = await oc.discovery(new URL(srv.issuer), CLIENT_ID, srv.secret, oc.ClientSecretBasic(), { execute: [oc.allowInsecureRequests] })
  } catch (e) {
    how = `server metadata given by hand (discovery: ${e.code || e.name})`
    config = new oc.Configuration({ issuer: srv.issuer, token_endpoint: `${srv.issuer}/token`, jwks_uri: srv.jwksUri }, CLIENT_ID, srv.secret, oc.ClientSecretBasic())
    oc.allowInsecureRequests(config)
  }
  try {
    const t = await oc.clientCredentialsGrant(config, { scope: 'read' })
    if (typeof t.access_token !== 'string') throw new Error('no access_token')
  } catch (e) {
    throw new Error(`openid-client ${OC_VERSION} clientCredentialsGrant (${how}): ${e.code || e.name}: ${e.message}${e.status ? ` (HTTP ${e.status})` : ''}`)
  }
  return how
}

// ---- wrk ---------------------------------------------------------------------

// One wrk run against port (proc.mjs runWrk) at this benchmark's threads and connections.
const wrk = (port, script, seconds, pid) => runWrk({ port, script, seconds, conns: CONNS, threads: WRK_THREADS, pid, track })

// ---- one server, one alg -----------------------------------------------------

async function benchOne(kind, alg) {
  const label = `${kind === 'ours' ? 'identity-backend' : 'oidc-provider'} ${alg}`
  const logFile = join(dir, `${kind}-${alg}.log`)
  let srv
  try {
    log(`${label}: start, check one token, wrk ${WARMUP_SECONDS} s warm-up + ${SECONDS} s at ${CONNS} connections ...`)
    // Our server's request log goes to /dev/null during the load (it still formats
    // and writes each line); the peer logs nothing per request.
    srv = kind === 'ours' ? await startOurs(alg, null) : await startPeer(alg, logFile)
    const check = await checkToken(srv, alg)
    const interop = await checkOpenidClient(srv)
    const idle = procStatus(srv.child.pid)
    const script = wrkScript(dir, BODY, basic(srv.secret))
    const warm = await wrk(srv.port, script, WARMUP_SECONDS, srv.child.pid)
    const res = await wrk(srv.port, script, SECONDS, srv.child.pid)
    const end = procStatus(srv.child.pid)
    if (srv.child.exitCode !== null || srv.child.signalCode !== null) throw new Error('the server exited during the run')
    log(`${label}: ${Math.round(res.rate)} req/s, p99 ${fmtMs(res.p99_us)}, RSS max ${mb(res.rssMax)} MB`)
    return { ...res, check, interop, idleRss: idle?.rss, hwm: end?.hwm, threads: end?.threads, warmRate: warm.rate }
  } catch (e) {
    fail(label, e)
    return { error: e.message }
  } finally {
    if (srv) await stop(srv.child)
  }
}

// ---- start-up ----------------------------------------------------------------

async function startupOurs(alg) {
  const fresh = []
  const warm = []
  let warmDir
  for (let i = 0; i < STARTS; i++) {
    const d = join(dir, `startup-${alg}-${i}`)
    mkdirSync(d, { recursive: true })
    warmDir ??= d
    const port = await freePort()
    const logFile = join(d, 'stderr.log')
    const t0 = performance.now()
    const child = spawnOurs(alg, join(d, 'identity.db'), port, logFile)
    try {
      fresh.push(await waitReady(child, port, '/ping', t0, 30000, logFile))
    } finally {
      await stop(child)
    }
  }
  for (let i = 0; i < STARTS; i++) {
    const port = await freePort()
    const logFile = join(warmDir, `stderr-warm-${i}.log`)
    const t0 = performance.now()
    const child = spawnOurs(alg, join(warmDir, 'identity.db'), port, logFile)
    try {
      warm.push(await waitReady(child, port, '/ping', t0, 30000, logFile))
    } finally {
      await stop(child)
    }
  }
  return { fresh: median(fresh), warm: median(warm), freshMax: Math.max(...fresh), warmMax: Math.max(...warm) }
}

async function startupPeer(alg) {
  const times = []
  for (let i = 0; i < STARTS; i++) {
    const port = await freePort()
    const { file } = await writePeerConfig(alg, port)
    const logFile = join(dir, `peer-startup-${alg}-${i}.log`)
    const t0 = performance.now()
    const child = spawnPeer(file, logFile)
    try {
      times.push(await waitReady(child, port, PEER_READY, t0, 30000, logFile))
    } finally {
      await stop(child)
    }
  }
  return { warm: median(times), warmMax: Math.max(...times) }
}

// ---- main --------------------------------------------------------------------

const require = createRequire(join(HERE, '..', 'package.json'))
const OP_VERSION = require('oidc-provider/package.json').version
const OC_VERSION = require('openid-client/package.json').version
const t0run = performance.now()
const load0 = loadavg().map((x) => x.toFixed(2)).join(' ')

// Warm this process's HTTP client paths (http, fetch) so that the first start-up
// measurement does not pay for loading them.
await getStatus(await freePort(), '/')
await fetch('http://127.0.0.1:1/').catch(() => {})

// 1. Raw signing rate, one core (machine still idle).
const sign = {}
if (RUN_OURS) {
  log(`raw signing rate (${SIGN_BIN}) ...`)
  try {
    if (!existsSync(SIGN_BIN)) throw new Error(`${SIGN_BIN} not found: run 'make' first`)
    const out = execFileSync(SIGN_BIN, ALGS, { encoding: 'utf8', timeout: 120000 })
    for (const m of out.matchAll(/^sign (\S+) (\d+)$/gm)) sign[m[1]] = Number(m[2])
    for (const a of ALGS) if (!(sign[a] > 0)) throw new Error(`no figure for ${a} in: ${out}`)
  } catch (e) {
    fail('bench_sign', e)
  }
}

// 2. Start-up.
const startup = {}
for (const alg of ALGS) {
  startup[alg] = {}
  if (RUN_OURS) {
    log(`identity-backend ${alg}: start-up, ${STARTS} fresh + ${STARTS} warm starts ...`)
    try {
      startup[alg].ours = await startupOurs(alg)
    } catch (e) {
      fail(`identity-backend ${alg} start-up`, e)
    }
  }
  if (RUN_PEER) {
    log(`oidc-provider ${alg}: start-up, ${STARTS} starts ...`)
    try {
      startup[alg].peer = await startupPeer(alg)
    } catch (e) {
      fail(`oidc-provider ${alg} start-up`, e)
    }
  }
}

// 3. Token rate under load, ours then the peer, alg by alg.
const results = {}
for (const alg of ALGS) {
  results[alg] = {}
  if (RUN_OURS) results[alg].ours = await benchOne('ours', alg)
  if (RUN_PEER) results[alg].peer = await benchOne('peer', alg)
}

// ---- report ------------------------------------------------------------------

const cpuModel = cpus()[0]?.model?.trim() || 'unknown'
const p = (s = '') => console.log(s)
p()
p(`Issuer: client_credentials token rate (POST /token, HTTP/1.1 keep-alive), wrk -t${WRK_THREADS} -c${CONNS} -d${SECONDS}s --latency after a ${WARMUP_SECONDS} s warm-up`)
p(`machine: nproc=${cpus().length}, cpu=${cpuModel}, load average at start ${load0}`)
p(`ours: ${shownBin} serve --threads ${THREADS}; peer: oidc-provider ${OP_VERSION}, one Node ${process.version} process; wrk ${WRK_THREADS} threads`)
p(`wrk and the server under test share the machine's ${cpus().length} cores: every figure below is a shared-core figure.`)
p()
const fmt = (cols) =>
  cols.map((c, i) => (i === 0 ? String(c).padEnd(6) : String(c).padStart([0, 11, 10, 9, 13, 10, 9, 7][i]))).join(' | ')
p(fmt(['alg', 'ours req/s', 'p99', 'RSS max', 'op req/s', 'p99', 'RSS max', 'ratio']))
p('-------+-------------+------------+-----------+---------------+------------+-----------+--------')
for (const alg of ALGS) {
  const o = results[alg].ours || {}
  const q = results[alg].peer || {}
  const cell = (r, f) => (r.error ? 'FAILED' : r.rate ? f(r) : '-')
  const ratio = o.rate && q.rate ? `${(o.rate / q.rate).toFixed(2)}x` : '-'
  p(
    fmt([
      alg,
      cell(o, (r) => fmtRate(r.rate)),
      cell(o, (r) => fmtMs(r.p99_us)),
      cell(o, (r) => `${mb(r.rssMax)} MB`),
      cell(q, (r) => fmtRate(r.rate)),
      cell(q, (r) => fmtMs(r.p99_us)),
      cell(q, (r) => `${mb(r.rssMax)} MB`),
      ratio,
    ]),
  )
}
p('("op" = node-oidc-provider; ratio = ours / op; p99 = 99th percentile latency seen by wrk; RSS max = VmRSS sampled every 50 ms during the measured run)')
{
  const busy = []
  for (const alg of ALGS) {
    for (const kind of ['ours', 'peer']) {
      const r = results[alg][kind]
      if (r?.others > 0.25) busy.push(`${alg} ${kind === 'ours' ? 'ours' : 'op'} ${r.others.toFixed(2)}`)
    }
  }
  if (busy.length) p(`WARNING: other processes took CPU during some runs (cores: ${busy.join(', ')}): those figures are low; run on an idle machine.`)
}
p()
p('Details:')
for (const alg of ALGS) {
  for (const [kind, name] of [
    ['ours', 'identity-backend'],
    ['peer', 'oidc-provider'],
  ]) {
    const r = results[alg][kind]
    if (!r) continue
    if (r.error) {
      p(`  ${alg} ${name}: FAILED: ${r.error}`)
      continue
    }
    p(
      `  ${alg} ${name}: ${r.requests} requests in ${(r.duration_us / 1e6).toFixed(1)} s, p50 ${fmtMs(r.p50_us)}, max ${fmtMs(r.max_us)}; ` +
        `CPU: server ${r.cpu.toFixed(2)}, wrk ${r.wrkCpu.toFixed(2)}, other processes ${r.others.toFixed(2)} cores; ` +
        `${Math.round(r.rate / r.cpu)} tokens per server CPU-second${kind === 'ours' && sign[alg] ? ` (${Math.round((100 * r.rate) / r.cpu / sign[alg])}% of raw signing)` : ''}; RSS idle ${mb(r.idleRss)} MB, peak (VmHWM) ${mb(r.hwm)} MB; ${r.threads} OS threads; ` +
        `token ${r.check.tokenBytes} B (claims ${r.check.claims}); warm-up ${Math.round(r.warmRate)} req/s; openid-client: ok (${r.interop})`,
    )
  }
}
if (Object.keys(sign).length) {
  p(`  raw keys_sign_jws, one core (tests/bench/bench_sign.c): ${ALGS.map((a) => `${a} ${sign[a] ?? '-'}/s`).join(', ')}`)
}

p()
p('Start-up, spawn to first 200 (ours: GET /ping; op: GET /.well-known/openid-configuration), median of ' + `${STARTS} (max in brackets):`)
for (const alg of ALGS) {
  const s = startup[alg]
  const o = s.ours
  const q = s.peer
  const parts = []
  if (RUN_OURS) parts.push(o ? `ours first start (new db, key generation) ${o.fresh.toFixed(1)} ms (${o.freshMax.toFixed(1)}), warm ${o.warm.toFixed(1)} ms (${o.warmMax.toFixed(1)})` : 'ours FAILED')
  if (RUN_PEER) parts.push(q ? `op (key given) ${q.warm.toFixed(1)} ms (${q.warmMax.toFixed(1)})` : 'op FAILED')
  p(`  ${alg}: ${parts.join('; ')}`)
}

p()
p('Targets (reported, never asserted):')
const verdict = (ok) => (ok === null ? 'n/a' : ok ? 'met' : 'MISSED')
const target = (ok, text) => p(`  [${verdict(ok).padEnd(6)}] ${text}`)
const es = results.ES256
if (es) {
  const o = es.ours
  const q = es.peer
  const ok = o?.rate && q?.rate ? o.rate >= 5 * q.rate : null
  target(ok, `ES256 rate >= 5x node-oidc-provider: ${o?.rate && q?.rate ? `${(o.rate / q.rate).toFixed(2)}x (${fmtRate(o.rate)} vs ${fmtRate(q.rate)} req/s)` : 'no figure'}`)
  target(o?.rate ? o.p99_us < 10000 : null, `ES256 p99 < 10 ms at ${CONNS} connections: ${o?.rate ? fmtMs(o.p99_us) : 'no figure'}`)
}
const rs = results.RS256
if (rs) {
  const o = rs.ours
  const want = sign.RS256 ? 0.8 * sign.RS256 * THREADS : null
  target(
    o?.rate && want ? o.rate >= want : null,
    `RS256 rate >= 80% of raw RSA-2048 signing x ${THREADS} server threads (0.8 x ${sign.RS256 ?? '?'} x ${THREADS} = ${want ? Math.round(want) : '?'}/s): ` +
      `${o?.rate ? `${fmtRate(o.rate)} req/s${want ? ` (${((100 * o.rate) / (want / 0.8)).toFixed(0)}% of raw x threads; per server CPU-second ${Math.round(o.rate / o.cpu)}, ${((100 * o.rate) / o.cpu / sign.RS256).toFixed(0)}% of raw)` : ''}` : 'no figure'}`,
  )
}
{
  const rss = ALGS.map((a) => results[a].ours).filter((r) => r?.rssMax)
  const worst = rss.length ? Math.max(...rss.map((r) => r.rssMax)) : null
  target(worst ? worst < 30 * 1024 : null, `RSS under load < 30 MB: ${worst ? `max ${mb(worst)} MB over ${rss.length} run(s)` : 'no figure'}`)
}
{
  const s = ALGS.map((a) => startup[a].ours).filter(Boolean)
  const warmWorst = s.length ? Math.max(...s.map((x) => x.warm)) : null
  const freshWorst = s.length ? Math.max(...s.map((x) => x.fresh)) : null
  target(warmWorst !== null ? warmWorst < 100 : null, `start-up to first answered request < 100 ms, existing db: ${warmWorst !== null ? `worst median ${warmWorst.toFixed(1)} ms` : 'no figure'}`)
  target(freshWorst !== null ? freshWorst < 100 : null, `start-up to first answered request < 100 ms, first start (db + keys created): ${freshWorst !== null ? `worst median ${freshWorst.toFixed(1)} ms` : 'no figure'}`)
}
p()
p(`Total run time: ${Math.round((performance.now() - t0run) / 1000)} s.`)
if (failures.length) {
  p()
  p(`FAILED components (${failures.length}):`)
  for (const f of failures) p(`  - ${f}`)
  process.exit(1)
}
