// sso.mjs DIR: the single sign-on benchmark behind tests/bench/sso.sh (read its header).
//
//   1. bench_argon2: password_verify in a loop on one core at the configured cost.
//   2. Logins: `user add` of BENCH_SSO_USERS users, `client add` of a confidential
//      client; then per worker count W (BENCH_SSO_WORKERS, "1 2"): `serve
//      --workers W` with LOGIN_FAILURES_PER_ADDRESS=0, and 4*W lanes, each doing
//      GET /authorize (its own fresh browser: no cookie) → the login page's flow
//      and csrf → POST /login with the next user → 303 to the redirect URI with a
//      code, over and over; a warm-up, then BENCH_SSO_ROUNDS rounds of
//      BENCH_SSO_LOGIN_SECONDS; meanwhile one lane GETs /ping every 10 ms.
//   3. Codes and refreshes (ours: --workers 2; then the peer): one login (ours:
//      the real form; the peer: its devInteractions login and consent forms,
//      scripted), then per round: BENCH_SSO_CODES silent /authorize requests with
//      the session cookie (302/303 with a code each: the SSO rate), then each code
//      exchanged at /token (the exchange rate; each gives a refresh token); then
//      refresh_token rotations of the families so made, each family rotated
//      sequentially, BENCH_SSO_CONNS lanes, rounds of BENCH_SSO_SECONDS.
// Every answer is checked (status, a code in the Location, tokens in the JSON);
// any other answer is a failure. Rates are medians of the rounds.
// Prints the report on stdout; progress on stderr. Exit 1 if any component failed.
import { spawn, execFile } from 'node:child_process'
import { openSync, closeSync, mkdirSync, existsSync } from 'node:fs'
import { join, dirname, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { cpus, loadavg } from 'node:os'
import { randomBytes } from 'node:crypto'
import http from 'node:http'
import { createRequire } from 'node:module'
import { median } from './timing.mjs'
import { CB, CLIENT_ID, FORM, SCOPE_OURS, absorb, b64u, cookieHeader, drive, exchange, hreq, loginOurs, loginPeer, pct, refresh, show, ssoCode, startPeer, timedPool, waitReady, windowRates } from './flows.mjs'
import { BIN, freePort, serveArgs, sleep, stopChild as stop } from '../lib.mjs'
import { cpuSeconds, harness, runCli } from './proc.mjs'

const HERE = dirname(fileURLToPath(import.meta.url))
const ROOT = join(HERE, '..', '..')
const BUILD = process.env.BUILD || 'build'
const shownBin = relative(ROOT, BIN).startsWith('..') ? BIN : relative(ROOT, BIN) // as the report names it
const ARGON2_BIN = join(ROOT, BUILD, 'bench', 'bench_argon2')

const env = (name, def) => {
  const v = process.env[name]
  if (v === undefined || v === '') return def
  const n = Number(v)
  if (!Number.isInteger(n) || n <= 0) {
    console.error(`sso bench: ${name}=${v}: expected a positive integer`)
    process.exit(2)
  }
  return n
}
// BENCH_SSO_LOGINS=0 leaves out steps 1 and 2's logins (argon2 and the login rounds): codes and refresh only.
const RUN_LOGINS = process.env.BENCH_SSO_LOGINS !== '0'
const WORKERS = RUN_LOGINS ? (process.env.BENCH_SSO_WORKERS || '1 2').split(/\s+/).filter(Boolean).map(Number) : []
const USERS = env('BENCH_SSO_USERS', 32)
const ROUNDS = env('BENCH_SSO_ROUNDS', 3)
const LOGIN_SECONDS = env('BENCH_SSO_LOGIN_SECONDS', 8)
const LOGIN_WARMUP = env('BENCH_SSO_LOGIN_WARMUP', 2)
const LANES_PER_WORKER = env('BENCH_SSO_LOGIN_LANES_PER_WORKER', 4)
const CODES = env('BENCH_SSO_CODES', 3000)
const SECONDS = env('BENCH_SSO_SECONDS', 5)
const CONNS = env('BENCH_SSO_CONNS', 64)
const THREADS = env('BENCH_SSO_THREADS', 2)
const RUN_PEER = process.env.BENCH_SSO_PEER !== '0'
const KEYCLOAK_PER_VCPU = 15 // Keycloak's sizing guide: password logins per second per vCPU

const dir = process.argv[2]
if (!dir) {
  console.error('usage: node tests/bench/sso.mjs DIR   (see tests/bench/sso.sh)')
  process.exit(2)
}
for (const w of WORKERS) {
  if (!Number.isInteger(w) || w < 1 || w > 64) {
    console.error(`sso bench: BENCH_SSO_WORKERS: ${w}: expected integers in 1..64`)
    process.exit(2)
  }
}

const { log, fail, failures, track } = harness('bench-sso')

// ---- servers -----------------------------------------------------------------

async function startOurs(db, workers, name) {
  const port = await freePort()
  const logFile = join(dir, `${name}.log`)
  const fd = openSync(logFile, 'w')
  let child
  try {
    child = track(
      spawn(BIN, serveArgs({ db, port, threads: THREADS, issuer: `http://127.0.0.1:${port}`, args: ['--workers', String(workers)] }), {
        env: { ...process.env, LOGIN_FAILURES_PER_ADDRESS: '0', LOGIN_FLOWS_PER_ADDRESS: '0' },
        stdio: ['ignore', 'ignore', fd],
      }),
    )
  } finally {
    closeSync(fd)
  }
  await waitReady(child, port, '/ping', 30000, logFile)
  return { child, port, kind: 'ours' }
}

// ---- the measurements ----------------------------------------------------------

async function benchLogins(db, users, workers) {
  const srv = await startOurs(db, workers, `logins-w${workers}`)
  const lanes = LANES_PER_WORKER * workers
  const agent = new http.Agent({ keepAlive: true, maxSockets: lanes })
  const pingAgent = new http.Agent({ keepAlive: true, maxSockets: 1 })
  let nextUser = 0
  try {
    log(`logins, --workers ${workers}: ${lanes} lanes, ${LOGIN_WARMUP} s warm-up + ${ROUNDS} x ${LOGIN_SECONDS} s ...`)
    const t0 = performance.now()
    const start = t0 + LOGIN_WARMUP * 1000
    const deadline = start + ROUNDS * LOGIN_SECONDS * 1000
    let cpu0 = NaN
    let cpu1 = NaN
    const pings = []
    let pingErr = null
    let loadDone = false
    const pinger = (async () => {
      while (!loadDone) {
        const r = await hreq(pingAgent, srv.port, '/ping')
        if (r.status !== 200) pingErr ??= new Error(`GET /ping during the logins: ${show(r)}`)
        const now = performance.now()
        if (now >= start && now < deadline) pings.push(r.ms)
        await sleep(10)
      }
    })()
    const marks = setTimeout(() => (cpu0 = cpuSeconds(srv.child.pid)), LOGIN_WARMUP * 1000)
    const markEnd = setTimeout(() => (cpu1 = cpuSeconds(srv.child.pid)), (LOGIN_WARMUP + ROUNDS * LOGIN_SECONDS) * 1000)
    let recs
    try {
      recs = await drive(lanes, deadline, () => loginOurs(srv, agent, users[nextUser++ % users.length]), agent)
    } finally {
      loadDone = true
      clearTimeout(marks)
      clearTimeout(markEnd)
      await pinger
    }
    if (pingErr) throw pingErr
    const { rates, median: rate } = windowRates(recs, start, LOGIN_SECONDS * 1000, ROUNDS)
    const lat = recs.filter((r) => r.t >= start && r.t < deadline).map((r) => r.ms).sort((a, b) => a - b)
    pings.sort((a, b) => a - b)
    const cpu = (cpu1 - cpu0) / (ROUNDS * LOGIN_SECONDS)
    log(`  ${rate.toFixed(1)} logins/s (rounds ${rates.map((x) => x.toFixed(1)).join(', ')}), p50 ${pct(lat, 0.5).toFixed(0)} ms, p99 ${pct(lat, 0.99).toFixed(0)} ms; /ping p99 ${pct(pings, 0.99).toFixed(2)} ms`)
    return { workers, lanes, rate, rates, n: lat.length, p50: pct(lat, 0.5), p99: pct(lat, 0.99), pings: pings.length, ping50: pct(pings, 0.5), ping99: pct(pings, 0.99), pingMax: pings[pings.length - 1], cpu }
  } finally {
    agent.destroy()
    pingAgent.destroy()
    await stop(srv.child)
  }
}

// SSO codes, exchanges and refreshes against srv (ours or the peer).
async function benchTokens(srv, secret, firstLogin) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONNS })
  const label = srv.kind === 'ours' ? 'identity-backend' : 'oidc-provider'
  try {
    const jar = new Map()
    await firstLogin(jar, agent)
    // Warm-up: a few hundred of each, uncounted.
    const warm = await timedPool(Array.from({ length: 300 }), CONNS, () => ssoCode(srv, agent, jar))
    const first = (await timedPool(warm.out, CONNS, (c) => exchange(srv, agent, secret, c))).out[0]
    const alg = (jwt) => {
      try {
        return JSON.parse(Buffer.from(jwt.split('.')[0], 'base64url')).alg ?? '?'
      } catch {
        return 'opaque'
      }
    }
    const algs = { id: alg(first.id_token), access: first.access_token.split('.').length === 3 ? alg(first.access_token) : 'opaque' }
    const sso = []
    const exch = []
    const families = []
    const cpuSso = []
    const cpuExch = []
    const drvSso = []
    const drvExch = []
    const drv = () => {
      const u = process.cpuUsage()
      return (u.user + u.system) / 1e6
    }
    for (let k = 0; k < ROUNDS; k++) {
      log(`${label}: round ${k + 1}/${ROUNDS}: ${CODES} SSO codes, then ${CODES} exchanges, ${CONNS} lanes ...`)
      let c0 = cpuSeconds(srv.child.pid)
      let d0 = drv()
      const a = await timedPool(Array.from({ length: CODES }), CONNS, () => ssoCode(srv, agent, jar))
      cpuSso.push((cpuSeconds(srv.child.pid) - c0) / a.seconds)
      drvSso.push((drv() - d0) / a.seconds)
      sso.push(CODES / a.seconds)
      c0 = cpuSeconds(srv.child.pid)
      d0 = drv()
      const b = await timedPool(a.out, CONNS, (c) => exchange(srv, agent, secret, c))
      cpuExch.push((cpuSeconds(srv.child.pid) - c0) / b.seconds)
      drvExch.push((drv() - d0) / b.seconds)
      exch.push(CODES / b.seconds)
      for (const j of b.out) families.push(j.refresh_token)
    }
    // Refresh: families in a queue; a lane takes one, rotates it once, puts it back.
    log(`${label}: refresh rotations of ${families.length} families, ${CONNS} lanes, ${ROUNDS} x ${SECONDS} s ...`)
    const queue = families
    const t0 = performance.now()
    const start = t0 + 1000
    const deadline = start + ROUNDS * SECONDS * 1000
    let c0 = NaN
    let d0 = NaN
    const mark = setTimeout(() => ((c0 = cpuSeconds(srv.child.pid)), (d0 = drv())), 1000)
    const recs = await drive(CONNS, deadline, async () => {
      const rt = queue.shift()
      const r = await refresh(srv, agent, secret, rt)
      queue.push(r.rt)
      return r
    })
    clearTimeout(mark)
    const cpuRefresh = (cpuSeconds(srv.child.pid) - c0) / ((performance.now() - start) / 1000)
    const drvRefresh = (drv() - d0) / ((performance.now() - start) / 1000)
    const rr = windowRates(recs, start, SECONDS * 1000, ROUNDS)
    const lat = recs.filter((r) => r.t >= start && r.t < deadline).map((r) => r.ms).sort((a, b) => a - b)
    const out = {
      sso: median([...sso]),
      ssoRounds: sso,
      exchange: median([...exch]),
      exchangeRounds: exch,
      refresh: rr.median,
      refreshRounds: rr.rates,
      refreshP50: pct(lat, 0.5),
      refreshP99: pct(lat, 0.99),
      families: families.length,
      cpu: { sso: median(cpuSso), exchange: median(cpuExch), refresh: cpuRefresh },
      driver: { sso: median(drvSso), exchange: median(drvExch), refresh: drvRefresh },
      algs,
    }
    log(`${label}: SSO ${out.sso.toFixed(0)}/s, exchanges ${out.exchange.toFixed(0)}/s, refreshes ${out.refresh.toFixed(0)}/s`)
    return out
  } finally {
    agent.destroy()
  }
}

// ---- main ----------------------------------------------------------------------

const require = createRequire(join(HERE, '..', 'package.json'))
const OP_VERSION = require('oidc-provider/package.json').version
const t0run = performance.now()
const load0 = loadavg().map((x) => x.toFixed(2)).join(' ')
for (const f of [BIN, ARGON2_BIN]) if (!existsSync(f)) fail('setup', `${f} not found: run 'make' first`)

// 1. Raw argon2id rate, one core.
let argon2 = null
if (RUN_LOGINS && !failures.length) {
  log(`raw argon2id verification rate (${ARGON2_BIN}) ...`)
  try {
    const out = await new Promise((resolve, reject) =>
      execFile(ARGON2_BIN, { timeout: 120000 }, (err, stdout, stderr) => (err ? reject(new Error(`${err.code ?? err.signal}: ${stderr}`)) : resolve(stdout))),
    )
    const m = /^argon2id m=(\d+) t=(\d+) p=(\d+) verify ([\d.]+) ms ([\d.]+)$/m.exec(out)
    if (!m) throw new Error(`unexpected output: ${out}`)
    argon2 = { m: Number(m[1]), t: Number(m[2]), p: Number(m[3]), rate: Number(m[4]), ms: Number(m[5]) }
  } catch (e) {
    fail('bench_argon2', e)
  }
}

// 2. Users and the client.
const db = join(dir, 'identity.db')
const users = Array.from({ length: USERS }, (_, i) => ({ name: `bench${String(i).padStart(3, '0')}`, password: `pw-${b64u(randomBytes(12))}` }))
let secret = null
let userAddMs = null
if (!failures.length) {
  log(`${USERS} users (identity-backend user add, 2 at a time) and a confidential client ...`)
  try {
    const times = []
    let next = 0
    await Promise.all(
      [0, 1].map(async () => {
        while (next < users.length) {
          const u = users[next++]
          const t = performance.now()
          await runCli(['user', 'add', '--db', db, '--username', u.name, '--password-stdin'], u.password)
          times.push(performance.now() - t)
        }
      }),
    )
    userAddMs = median(times)
    const out = await runCli(['client', 'add', '--db', db, '--id', CLIENT_ID, '--grant', 'authorization_code', '--grant', 'refresh_token', '--redirect-uri', CB])
    secret = JSON.parse(out).client_secret
    if (!secret) throw new Error(`client add printed no client_secret: ${out.slice(0, 200)}`)
  } catch (e) {
    fail('setup', e)
  }
}

// 3. Logins per worker count.
const logins = {}
if (!failures.length) {
  for (const w of WORKERS) {
    try {
      logins[w] = await benchLogins(db, users, w)
    } catch (e) {
      fail(`logins --workers ${w}`, e)
    }
  }
}

// 4. Codes, exchanges, refreshes: ours, then the peer.
const tokens = {}
if (secret) {
  let srv
  try {
    srv = await startOurs(db, 2, 'tokens')
    tokens.ours = await benchTokens(srv, secret, (jar, agent) => loginOurs(srv, agent, users[0], jar))
  } catch (e) {
    fail('identity-backend codes/refresh', e)
  } finally {
    if (srv) await stop(srv.child)
  }
}
if (RUN_PEER) {
  let srv
  try {
    const peerSecret = b64u(randomBytes(32))
    srv = await startPeer(dir, track, peerSecret)
    tokens.peer = await benchTokens(srv, peerSecret, (jar, agent) => loginPeer(srv, agent, jar))
  } catch (e) {
    fail('oidc-provider codes/refresh', e)
  } finally {
    if (srv) await stop(srv.child)
  }
}

// ---- report ------------------------------------------------------------------

const p = (s = '') => console.log(s)
const f0 = (x) => (x == null || !Number.isFinite(x) ? '-' : String(Math.round(x)))
const f1 = (x) => (x == null || !Number.isFinite(x) ? '-' : x.toFixed(1))
const ms = (x, d = 0) => (x == null || !Number.isFinite(x) ? '-' : `${x.toFixed(d)} ms`)
const cpuModel = cpus()[0]?.model?.trim() || 'unknown'
p()
p('SSO: password logins, SSO codes, code exchanges and refresh rotations over HTTP/1.1 keep-alive (a Node driver on the same cores)')
p(`machine: nproc=${cpus().length}, cpu=${cpuModel}, load average at start ${load0}`)
p(`ours: ${shownBin} serve --threads ${THREADS} --workers W, LOGIN_FAILURES_PER_ADDRESS=0; peer: oidc-provider ${OP_VERSION}, one Node ${process.version} process`)
p(`rates are medians of ${ROUNDS} rounds; the driver and the server share the machine's ${cpus().length} cores: every figure is a shared-core figure.`)
if (argon2) p(`argon2id cost: m=${argon2.m} KiB, t=${argon2.t}, p=${argon2.p}; raw password_verify on one core (tests/bench/bench_argon2.c): ${f1(argon2.rate)}/s (${argon2.ms.toFixed(1)} ms each); identity-backend user add: ${ms(userAddMs)} median (process, hash, db)`)
p()
p('Password logins (GET /authorize → POST /login → 303 with a code; a fresh browser each, users round-robin):')
p('workers | lanes | logins/s | per worker | vs 15/s/vCPU | vs raw argon2 | p50 login | p99 login | /ping p50 | /ping p99 | /ping max | server CPU')
p('--------+-------+----------+------------+--------------+---------------+-----------+-----------+-----------+-----------+-----------+-----------')
for (const w of WORKERS) {
  const r = logins[w]
  if (!r) {
    p(`${String(w).padStart(7)} | FAILED`)
    continue
  }
  const per = r.rate / w
  p(
    [
      String(w).padStart(7),
      String(r.lanes).padStart(5),
      f1(r.rate).padStart(8),
      f1(per).padStart(10),
      `${(per / KEYCLOAK_PER_VCPU).toFixed(2)}x`.padStart(12),
      (argon2 ? `${((100 * per) / argon2.rate).toFixed(0)}%` : '-').padStart(13),
      ms(r.p50).padStart(9),
      ms(r.p99).padStart(9),
      ms(r.ping50, 2).padStart(9),
      ms(r.ping99, 2).padStart(9),
      ms(r.pingMax, 2).padStart(9),
      `${r.cpu.toFixed(2)} cores`.padStart(10),
    ].join(' | '),
  )
}
p('(per worker = logins/s / W, each pool worker hashing on one core: the "per core" figure; vs raw argon2 = per worker / the one-core password_verify rate;')
p(` rounds: ${WORKERS.filter((w) => logins[w]).map((w) => `W=${w}: ${logins[w].rates.map(f1).join(', ')}`).join('; ')}; /ping: one GET every 10 ms during the measured rounds)`)
p()
p(`Codes and refresh (${CONNS} lanes; --workers 2; codes made by silent SSO /authorize with the session cookie, ${CODES} per round):`)
p('                    | SSO codes/s | exchanges/s | refreshes/s | refresh p50 | refresh p99')
p('--------------------+-------------+-------------+-------------+-------------+------------')
const row = (name, t) =>
  p(
    [
      name.padEnd(19),
      (t ? f0(t.sso) : 'FAILED').padStart(11),
      (t ? f0(t.exchange) : '-').padStart(11),
      (t ? f0(t.refresh) : '-').padStart(11),
      (t ? ms(t.refreshP50, 1) : '-').padStart(11),
      (t ? ms(t.refreshP99, 1) : '-').padStart(11),
    ].join(' | '),
  )
row('identity-backend', tokens.ours)
if (RUN_PEER) {
  row(`oidc-provider`, tokens.peer)
  const o = tokens.ours
  const q = tokens.peer
  if (o && q) p(`${'ratio ours/op'.padEnd(19)} | ${`${(o.sso / q.sso).toFixed(2)}x`.padStart(11)} | ${`${(o.exchange / q.exchange).toFixed(2)}x`.padStart(11)} | ${`${(o.refresh / q.refresh).toFixed(2)}x`.padStart(11)} |`)
}
for (const [name, t] of [
  ['identity-backend', tokens.ours],
  ['oidc-provider', tokens.peer],
]) {
  if (!t) continue
  p(
    `  ${name}: rounds SSO ${t.ssoRounds.map(f0).join(', ')}; exchanges ${t.exchangeRounds.map(f0).join(', ')}; refreshes ${t.refreshRounds.map(f0).join(', ')} (${t.families} families); ` +
      `CPU (cores, server/driver) SSO ${t.cpu.sso.toFixed(2)}/${t.driver.sso.toFixed(2)}, exchanges ${t.cpu.exchange.toFixed(2)}/${t.driver.exchange.toFixed(2)}, ` +
      `refreshes ${t.cpu.refresh.toFixed(2)}/${t.driver.refresh.toFixed(2)}; ID token ${t.algs.id}, access token ${t.algs.access}`,
  )
}
if (tokens.ours && Math.max(tokens.ours.cpu.exchange, tokens.ours.cpu.refresh) + Math.max(tokens.ours.driver.exchange, tokens.ours.driver.refresh) < 1.6)
  p(`  note: ours used ${tokens.ours.cpu.exchange.toFixed(2)} cores on exchanges and ${tokens.ours.cpu.refresh.toFixed(2)} on refreshes with cores to spare: those are bound by the database's commits (WAL, synchronous=FULL: an fsync each) on ${dir}'s disk; TMPDIR=/dev/shm shows them without the disk.`)
p('(ours: ID token RS256, access token ES256 JWT, refresh token rotated, scope "openid profile email offline_access"; op: the same algs through')
p(' resourceIndicators, refresh tokens issued and rotated by configuration (it drops offline_access without prompt=consent); its login is')
p(' devInteractions\' (no password), so its login rate is not compared; it keeps codes, grants and refresh tokens in memory (its default')
p(' adapter\'s logic over an unbounded Map: no disk, nothing survives a restart), ours in SQLite. Every answer is checked: a code per redirect, 200 with the tokens, a new refresh token.)')
p()
p('Reference (reported, never asserted):')
const verdict = (ok) => (ok === null ? 'n/a' : ok ? 'met' : 'MISSED')
for (const w of WORKERS) {
  const r = logins[w]
  const per = r ? r.rate / w : null
  p(`  [${verdict(r ? per >= KEYCLOAK_PER_VCPU : null).padEnd(6)}] Keycloak's sizing guide plans ${KEYCLOAK_PER_VCPU} password logins/s per vCPU: --workers ${w}: ${r ? `${f1(per)} logins/s per worker (${(per / KEYCLOAK_PER_VCPU).toFixed(2)}x)` : 'no figure'}`)
}
p()
p(`Total run time: ${Math.round((performance.now() - t0run) / 1000)} s.`)
if (failures.length) {
  p()
  p(`FAILED components (${failures.length}):`)
  for (const f of failures) p(`  - ${f}`)
  process.exit(1)
}
