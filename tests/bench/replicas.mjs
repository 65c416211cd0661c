// replicas.mjs DIR: the scale-out benchmark behind tests/bench/replicas.sh: what one
// issuer costs on SQLite, on PostgreSQL, and as two replicas sharing PostgreSQL behind
// a load balancer, next to node-oidc-provider, in one run on this machine.
//
// Configurations, one after the other (each started, measured, stopped):
//   SQLite        one `serve --threads 2 --db DIR/identity.db`;
//   PG, 1         one `serve --threads 2 --db postgresql://...` on a PostgreSQL server
//                 started for the run (tests/pg.sh: a throwaway cluster, default
//                 settings, synchronous commit), keys sealed (SECRETS_SYSTEM);
//   PG, 2+HAProxy two such `serve` processes, the same --db URL and the same --issuer
//                 (the proxy's URL), behind HAProxy (round-robin, health checks); every
//                 request goes to the proxy;
//   peer          node-oidc-provider, one Node process per operation kind:
//                 issuer-oidc-provider.mjs for client_credentials, sso-oidc-provider.mjs
//                 for codes and refresh tokens (both say how they are configured alike;
//                 the peer keeps codes and refresh tokens in memory).
// Users (BENCH_REPLICAS_USERS) and clients are made with `identity-backend user add` and
// `client add` on each database. Operations, for each configuration:
//   client_credentials  POST /token by wrk (one Lua-scripted request, Basic auth,
//                 scope=read, ES256 JWT access tokens on both sides): one checked
//                 request, a BENCH_REPLICAS_WARMUP s warm-up, then BENCH_REPLICAS_SECONDS
//                 measured; wrk's non-2xx and socket errors must be 0;
//   code exchange codes are made first, untimed, by BENCH_REPLICAS_CONNS lanes each running
//                 one login after the other, each with a fresh browser and its own PKCE
//                 S256 pair: GET /authorize, the login page's flow and csrf, POST /login
//                 with the next user → 303 with a code (the peer: its devInteractions login
//                 and consent forms, any account, no password). Warm-up: one second of
//                 logins and the exchange of those codes, whose rate sizes the measured
//                 batch to about BENCH_REPLICAS_SECONDS of exchanges (logins stop after 40 s:
//                 codes live 60 s). Measured: each code of the batch once, POST /token
//                 grant_type=authorization_code with its verifier, the same lanes;
//   refresh rotation every refresh token from those exchanges starts a chain; a lane
//                 takes a chain, POSTs grant_type=refresh_token with its newest token
//                 (each token used once) and puts it back with the rotated one; 1 s
//                 warm-up, then BENCH_REPLICAS_SECONDS measured.
// Per operation and configuration: the rate, p50 and p99 latency (wrk's for
// client_credentials; the Node driver's for the rest), ours / node-oidc-provider, the
// largest VmRSS of each server process during the measured load (/proc/PID/status, every
// 50 ms; refresh: its warm-up second too), and on PostgreSQL the connections
// identity-backend holds during it (the largest count of `SELECT count(*) FROM
// pg_stat_activity WHERE datname = current_database() AND application_name =
// 'identity-backend'`, run by psql once a second); the server processes' and the
// driver's CPU in the details.
// Passwords are hashed at a test cost (PASSWORD_ARGON2_TEST=1, m=64 KiB, t=1, for
// `user add` and `serve`), LOGIN_FAILURES_PER_ADDRESS=0 and LOGIN_FLOWS_PER_ADDRESS=0: logins only make the codes
// here; ACCESS_LOG=off. Every answer is checked (a code per login, the tokens in each
// /token answer, a new refresh token each rotation); a wrong one fails that configuration.
// The table on stdout, progress on stderr; exit 1 if a configuration failed.
import { execFile, execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { cpus, loadavg } from 'node:os'
import { createRequire } from 'node:module'
import http from 'node:http'
import { BIN, freePort, startHaproxy, startPostgres, startServer, stopChild } from '../lib.mjs'
import { CB, CLIENT_ID, SCOPE_OURS, b64u, drive, exchange, hreq, loginOurs, loginPeer, pct, peerJwk, refresh, show, startNodePeer, startPeer, timedPool, windowRates } from './flows.mjs'
import { cpuSeconds, harness, machineBusy, rssSampler, runCli, runWrk, wrkScript } from './proc.mjs'

const HERE = dirname(fileURLToPath(import.meta.url))
const num = (name, def) => {
  const v = process.env[name]
  if (v === undefined || v === '') return def
  const n = Number(v)
  if (!Number.isInteger(n) || n <= 0) {
    console.error(`replicas bench: ${name}=${v}: expected a positive integer`)
    process.exit(2)
  }
  return n
}
const SECONDS = num('BENCH_REPLICAS_SECONDS', 3)
const WARMUP = num('BENCH_REPLICAS_WARMUP', 2)
const CONNS = num('BENCH_REPLICAS_CONNS', 64)
const WRK_CONNS = num('BENCH_REPLICAS_WRK_CONNS', 32)
const WRK_THREADS = num('BENCH_REPLICAS_WRK_THREADS', 1)
const USERS = num('BENCH_REPLICAS_USERS', 8)
const CODE_CAP = 40 // s of logins at most: codes live 60 s, and the first one made is exchanged first

const TINY = { PASSWORD_ARGON2_TEST: '1', PASSWORD_ARGON2_M_KIB: '64', PASSWORD_ARGON2_T: '1' }
const SECRETS = { SECRETS_SYSTEM: b64u(randomBytes(32)) } // PostgreSQL keeps private keys sealed with it
const SERVE_ENV = { ...TINY, ...SECRETS, LOGIN_FAILURES_PER_ADDRESS: '0', LOGIN_FLOWS_PER_ADDRESS: '0', ACCESS_LOG: 'off', ...(process.env.BENCH_DB_POOL_SIZE ? { DB_POOL_SIZE: process.env.BENCH_DB_POOL_SIZE } : {}) }
const CC_ID = 'svc'
const CC_BODY = 'grant_type=client_credentials&scope=read'
const PG_CONNS = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'identity-backend'"

const dir = process.argv[2]
if (!dir) {
  console.error('usage: node tests/bench/replicas.mjs DIR   (see tests/bench/replicas.sh)')
  process.exit(2)
}
const { log, fail, failures, track } = harness('bench-replicas')
const basic = (id, secret) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`
const users = Array.from({ length: USERS }, (_, i) => ({ name: `bench${i}`, password: `pw-${b64u(randomBytes(12))}` }))

// ---- setup ---------------------------------------------------------------------

// The users, the sign-in client (web) and the service client (svc) in db; resolves their secrets.
async function provision(db) {
  const env = { ...TINY, ...SECRETS }
  for (const u of users) await runCli(['user', 'add', '--db', db, '--username', u.name, '--password-stdin'], `${u.password}\n`, env)
  const web = JSON.parse(await runCli(['client', 'add', '--db', db, '--id', CLIENT_ID, '--grant', 'authorization_code', '--grant', 'refresh_token', '--redirect-uri', CB, '--scope', SCOPE_OURS], '', env))
  const svc = JSON.parse(await runCli(['client', 'add', '--db', db, '--id', CC_ID, '--grant', 'client_credentials', '--audience', 'api', '--scope', 'read write'], '', env))
  if (!web.client_secret || !svc.client_secret) throw new Error('client add printed no client_secret')
  return { web: web.client_secret, svc: svc.client_secret }
}

async function serve(db, port, issuer) {
  const s = await startServer({ db, port, threads: 2, issuer, env: SERVE_ENV, readyMs: 30000 })
  track(s.child)
  return s
}

// ---- what is sampled during a load ----------------------------------------------

// The connections identity-backend holds on the PostgreSQL at url, counted once a
// second until the returned stop(), which resolves the largest count (null without url).
function pgConnSampler(url) {
  if (!url) return async () => null
  let max = null
  let error = null
  let inFlight = Promise.resolve()
  const count = () =>
    (inFlight = new Promise((resolve) =>
      execFile('psql', [url, '-qAt', '-c', PG_CONNS], { timeout: 5000 }, (err, out, stderr) => {
        if (err) error = `psql: ${stderr || err.message}`
        else max = Math.max(max ?? 0, Number(out.trim()))
        resolve()
      }),
    ))
  count()
  const t = setInterval(() => inFlight.then(count), 1000)
  return async () => {
    clearInterval(t)
    await inFlight
    if (max === null) throw new Error(`no count of the PostgreSQL connections: ${error}`)
    return max
  }
}

// fn() while the server processes (pids) and, on PostgreSQL, its connections are sampled;
// resolves {out: what fn resolved, load: {rss: MB per pid, cpu: cores per pid, driver:
// cores this process used, machine: cores busy on the whole machine, conns}}.
async function underLoad(pids, pgUrl, fn) {
  const stopRss = rssSampler(pids)
  const stopConns = pgConnSampler(pgUrl)
  const cpu0 = pids.map(cpuSeconds)
  const drv0 = process.cpuUsage()
  const busy0 = machineBusy()
  const t0 = performance.now()
  let out
  try {
    out = await fn()
  } catch (e) {
    stopRss()
    await stopConns().catch(() => {})
    throw e
  }
  const wall = (performance.now() - t0) / 1000
  const rss = stopRss().map((kb) => kb / 1024)
  const cpu = pids.map((pid, i) => (cpuSeconds(pid) - cpu0[i]) / wall)
  const drv = process.cpuUsage(drv0)
  const machine = (machineBusy() - busy0) / wall
  return { out, load: { rss, cpu, driver: (drv.user + drv.system) / 1e6 / wall, machine, conns: await stopConns() } }
}

// ---- the operations --------------------------------------------------------------

// client_credentials by wrk against port: one checked request, a warm-up, the measured run.
async function measureCc(port, secret, pids, pgUrl) {
  const auth = basic(CC_ID, secret)
  const agent = new http.Agent({ keepAlive: false })
  const r = await hreq(agent, port, '/token', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: auth }, body: CC_BODY })
  let j
  try {
    j = JSON.parse(r.text)
  } catch {}
  if (r.status !== 200 || typeof j?.access_token !== 'string' || j.access_token.split('.').length !== 3) throw new Error(`client_credentials: expected 200 with a JWT access_token: ${show(r)}`)
  const script = wrkScript(dir, CC_BODY, auth)
  const wrk = (seconds) => runWrk({ port, script, seconds, conns: WRK_CONNS, threads: WRK_THREADS, pid: pids[0], track })
  await wrk(WARMUP)
  const { out: w, load } = await underLoad(pids, pgUrl, () => wrk(SECONDS))
  return { rate: w.rate, p50: w.p50_us / 1000, p99: w.p99_us / 1000, n: w.requests, ...load, driver: w.wrkCpu }
}

// Codes through the login form (untimed), their exchange, then refresh rotation, on srv.
async function measureFlows(srv, secret, pids, pgUrl) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONNS })
  try {
    let next = 0
    const login = srv.kind === 'ours' ? () => loginOurs(srv, agent, users[next++ % users.length]) : () => loginPeer(srv, agent, new Map())
    const lat = []
    const timedExchange = async (c) => {
      const t = performance.now()
      const j = await exchange(srv, agent, secret, c)
      lat.push(performance.now() - t)
      return j
    }
    // Warm-up: a second of logins, their codes exchanged; that rate sizes the measured batch.
    const warmCodes = await drive(CONNS, performance.now() + 1000, login)
    const warmed = await timedPool(warmCodes, CONNS, timedExchange)
    const want = Math.max(4 * CONNS, Math.round((warmCodes.length / warmed.seconds) * SECONDS))
    log(`  ${warmCodes.length} codes exchanged as a warm-up (${(warmCodes.length / warmed.seconds).toFixed(0)}/s); ${want} codes by login (${CODE_CAP} s at most) ...`)
    const cap = performance.now() + CODE_CAP * 1000
    const made = await timedPool(Array.from({ length: want }), CONNS, () => (performance.now() < cap ? login() : null))
    const codes = made.out.filter(Boolean)
    const logins = { n: codes.length, rate: codes.length / made.seconds }
    if (codes.length < CONNS) throw new Error(`only ${codes.length} codes in ${CODE_CAP} s: too few to measure`)
    log(`  ${codes.length} codes (${logins.rate.toFixed(0)} logins/s); exchanging them ...`)
    lat.length = 0
    const { out: ex, load: exLoad } = await underLoad(pids, pgUrl, () => timedPool(codes, CONNS, timedExchange))
    lat.sort((a, b) => a - b)
    const exchanged = { rate: codes.length / ex.seconds, p50: pct(lat, 0.5), p99: pct(lat, 0.99), n: codes.length, seconds: ex.seconds, ...exLoad }

    const chains = [...warmed.out, ...ex.out].map((j) => j.refresh_token)
    log(`  refresh rotation of ${chains.length} chains, 1 s warm-up + ${SECONDS} s ...`)
    const start = performance.now() + 1000
    const deadline = start + SECONDS * 1000
    const { out: recs, load: rfLoad } = await underLoad(pids, pgUrl, () =>
      drive(CONNS, deadline, async () => {
        const r = await refresh(srv, agent, secret, chains.shift())
        chains.push(r.rt)
        return r
      }),
    )
    const rlat = recs.filter((r) => r.t >= start && r.t < deadline).map((r) => r.ms).sort((a, b) => a - b)
    const refreshed = { rate: windowRates(recs, start, SECONDS * 1000, 1).median, p50: pct(rlat, 0.5), p99: pct(rlat, 0.99), n: rlat.length, seconds: SECONDS, ...rfLoad }
    return { logins, exchange: exchanged, refresh: refreshed }
  } finally {
    agent.destroy()
  }
}

// All three operations on one of our configurations; port: where the load goes (a server or the proxy).
async function measureOurs(label, port, secrets, pids, pgUrl) {
  log(`${label}: client_credentials with wrk, ${WARMUP} s warm-up + ${SECONDS} s ...`)
  const cc = await measureCc(port, secrets.svc, pids, pgUrl)
  log(`${label}: codes by login, their exchange, refresh rotation ...`)
  const flows = await measureFlows({ port, kind: 'ours' }, secrets.web, pids, pgUrl)
  log(`${label}: ${cc.rate.toFixed(0)} client_credentials/s, ${flows.exchange.rate.toFixed(0)} exchanges/s, ${flows.refresh.rate.toFixed(0)} refreshes/s`)
  return { cc, ...flows }
}

// ---- main ------------------------------------------------------------------------

const require = createRequire(join(HERE, '..', 'package.json'))
const OP_VERSION = require('oidc-provider/package.json').version
const load0 = loadavg().map((x) => x.toFixed(2)).join(' ')
const t0run = performance.now()
const CONFIGS = [
  ['sqlite', 'SQLite, 1 process'],
  ['pg1', 'PostgreSQL, 1 replica'],
  ['pg2', 'PostgreSQL, 2 + HAProxy'],
  ['peer', 'node-oidc-provider'],
]
const results = {}
let pgVersion = '?'
let haproxyVersion = '?'

// 1. SQLite.
{
  const servers = []
  try {
    const db = join(dir, 'identity.db')
    log('SQLite: users and clients ...')
    const secrets = await provision(db)
    servers.push(await serve(db, await freePort()))
    results.sqlite = await measureOurs('SQLite', servers[0].port, secrets, [servers[0].child.pid])
  } catch (e) {
    fail('SQLite', e)
  } finally {
    for (const s of servers) await s.stop()
  }
}

// 2. and 3. PostgreSQL: one replica, then two behind HAProxy.
let pg = null
try {
  log('PostgreSQL: starting a throwaway server ...')
  pg = await startPostgres()
  pgVersion = execFileSync('psql', [pg.url, '-qAt', '-c', 'SHOW server_version'], { encoding: 'utf8' }).trim()
  log('PostgreSQL: users and clients ...')
  const secrets = await provision(pg.url)
  {
    const servers = []
    try {
      servers.push(await serve(pg.url, await freePort()))
      results.pg1 = await measureOurs('PostgreSQL, 1 replica', servers[0].port, secrets, [servers[0].child.pid], pg.url)
    } catch (e) {
      fail('PostgreSQL, 1 replica', e)
    } finally {
      for (const s of servers) await s.stop()
    }
  }
  {
    const servers = []
    let proxy = null
    try {
      const [pa, pb, pp] = [await freePort(), await freePort(), await freePort()]
      const issuer = `http://127.0.0.1:${pp}`
      servers.push(await serve(pg.url, pa, issuer))
      servers.push(await serve(pg.url, pb, issuer))
      proxy = await startHaproxy(pp, [pa, pb])
      haproxyVersion = /version (\S+)/.exec(execFileSync(proxy.child.spawnfile, ['-v'], { encoding: 'utf8' }))?.[1] ?? '?'
      results.pg2 = await measureOurs('PostgreSQL, 2 replicas + HAProxy', pp, secrets, servers.map((s) => s.child.pid), pg.url)
    } catch (e) {
      fail('PostgreSQL, 2 replicas + HAProxy', e)
    } finally {
      if (proxy) await proxy.stop()
      for (const s of servers) await s.stop()
    }
  }
} catch (e) {
  fail('PostgreSQL', e)
} finally {
  if (pg) pg.stop()
}

// 4. The peer: client_credentials on issuer-oidc-provider.mjs, the rest on sso-oidc-provider.mjs.
{
  let peer = null
  try {
    const secret = b64u(randomBytes(32))
    peer = await startNodePeer(dir, track, join(HERE, 'issuer-oidc-provider.mjs'), { alg: 'ES256', jwk: await peerJwk('ES256'), client_id: CC_ID, client_secret: secret, audience: 'api', scope: 'read write' }, 'peer-cc')
    log(`node-oidc-provider: client_credentials with wrk, ${WARMUP} s warm-up + ${SECONDS} s ...`)
    const cc = await measureCc(peer.port, secret, [peer.child.pid])
    await stopChild(peer.child)
    const webSecret = b64u(randomBytes(32))
    peer = await startPeer(dir, track, webSecret)
    log('node-oidc-provider: codes by login, their exchange, refresh rotation ...')
    const flows = await measureFlows(peer, webSecret, [peer.child.pid])
    log(`node-oidc-provider: ${cc.rate.toFixed(0)} client_credentials/s, ${flows.exchange.rate.toFixed(0)} exchanges/s, ${flows.refresh.rate.toFixed(0)} refreshes/s`)
    results.peer = { cc, ...flows }
  } catch (e) {
    fail('node-oidc-provider', e)
  } finally {
    if (peer) await stopChild(peer.child)
  }
}

// ---- report ----------------------------------------------------------------------

const p = (s = '') => console.log(s)
const f0 = (x) => (Number.isFinite(x) ? x.toFixed(0) : '-')
const ms = (x) => (Number.isFinite(x) ? `${x < 10 ? x.toFixed(2) : x.toFixed(1)} ms` : '-')
p(`identity-backend scale-out: ${BIN}`)
p(`machine: nproc=${cpus().length}, cpu=${cpus()[0]?.model?.trim() || 'unknown'}, load average at start ${load0}; PostgreSQL ${pgVersion} (throwaway cluster, default settings), HAProxy ${haproxyVersion}, oidc-provider ${OP_VERSION} on Node ${process.version}`)
p(`ours: serve --threads 2 per process, PASSWORD_ARGON2_TEST=1 PASSWORD_ARGON2_M_KIB=64 PASSWORD_ARGON2_T=1 (user add and serve: logins are not measured here),`)
p(`      LOGIN_FAILURES_PER_ADDRESS=0, LOGIN_FLOWS_PER_ADDRESS=0, ACCESS_LOG=off, SECRETS_SYSTEM set; SQLite: WAL, group commit (every acknowledged write flushed); PostgreSQL: synchronous_commit on`)
p(`load: client_credentials by wrk -t${WRK_THREADS} -c${WRK_CONNS} (${WARMUP} s warm-up, ${SECONDS} s); exchanges and refreshes by one Node process, ${CONNS} lanes`)
p(`      (each code made beforehand by a real login, PKCE S256; about ${SECONDS} s of exchanges after a warm-up; refresh: 1 s warm-up, ${SECONDS} s).`)
p(`      Servers, PostgreSQL, HAProxy and the drivers share the machine's ${cpus().length} cores: compare ratios, not absolutes.`)
p()
p('operation          | configuration           |  rate/s |       p50 |       p99 |  vs op | RSS MB per process | PG conns')
p('-------------------+-------------------------+---------+-----------+-----------+--------+--------------------+---------')
for (const [op, name] of [
  ['cc', 'client_credentials'],
  ['exchange', 'code exchange'],
  ['refresh', 'refresh rotation'],
]) {
  CONFIGS.forEach(([key, label], i) => {
    const r = results[key]?.[op]
    const peer = results.peer?.[op]
    const cells = r
      ? [f0(r.rate).padStart(7), ms(r.p50).padStart(9), ms(r.p99).padStart(9), (peer ? `${(r.rate / peer.rate).toFixed(2)}x` : '-').padStart(6), (r.rss ?? []).map((x) => x.toFixed(1)).join(' + ').padEnd(18), String(r.conns ?? '-').padStart(8)]
      : ['FAILED'.padStart(7)]
    p([(i ? '' : name).padEnd(18), label.padEnd(23), ...cells].join(' | '))
  })
}
p()
p('vs op = ours / node-oidc-provider in this run; RSS = the largest VmRSS of each server process during the measured load (not the')
p('driver, PostgreSQL or HAProxy); PG conns = the most connections with application_name identity-backend seen during it.')
p('node-oidc-provider keeps codes and refresh tokens in memory; ours commit each one before answering.')
p()
p(`Details (CPU in cores of the ${cpus().length} during each measured load; driver: wrk for client_credentials, this Node process for the rest; rest:`)
p('everything else busy on the machine: PostgreSQL, HAProxy, the sampling psql, other work; well above 0 on SQLite, a busy machine):')
for (const [key, label] of CONFIGS) {
  const r = results[key]
  if (!r) continue
  const cpu = (x) => {
    const rest = x.machine - x.cpu.reduce((a, b) => a + b, 0) - x.driver
    return `cores: server ${x.cpu.map((c) => c.toFixed(2)).join(' + ')}, driver ${x.driver.toFixed(2)}, rest ${rest.toFixed(2)}`
  }
  p(`  ${label}: ${r.logins.n} codes by login at ${f0(r.logins.rate)}/s${key === 'peer' ? ' (devInteractions: no password)' : ''}`)
  p(`    ${r.cc.n} client_credentials (${cpu(r.cc)}); ${r.exchange.n} exchanges in ${r.exchange.seconds.toFixed(1)} s (${cpu(r.exchange)}); ${r.refresh.n} refreshes (${cpu(r.refresh)})`)
}
if (results.pg1 && results.pg2) {
  const x = (op) => `${(results.pg2[op].rate / results.pg1[op].rate).toFixed(2)}x`
  p(`  two replicas / one on PostgreSQL: client_credentials ${x('cc')}, exchanges ${x('exchange')}, refreshes ${x('refresh')} (on ${cpus().length} shared cores)`)
}
p()
p(`Total run time: ${((performance.now() - t0run) / 1000).toFixed(0)} s.`)
if (failures.length) {
  p()
  p(`FAILED (${failures.length}):`)
  for (const f of failures) p(`  - ${f}`)
  process.exit(1)
}
