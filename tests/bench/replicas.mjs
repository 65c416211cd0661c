// replicas.mjs DIR: the scale-out benchmark behind tests/bench/replicas.sh.
//
// In one run, on this machine, one configuration after the other:
//   sqlite   one `serve --threads 2` on a SQLite file in DIR;
//   pg-1     one `serve` on a PostgreSQL 15 started here (tests/pg.sh), keys sealed;
//   pg-2     two `serve` processes on that PostgreSQL behind HAProxy (round-robin),
//            the load sent to the proxy;
//   peer     node-oidc-provider (sso-oidc-provider.mjs: codes and refresh tokens in
//            memory), for code exchange and refresh rotation.
// For each: client_credentials tokens/s, measured with wrk (one thread, 32
// connections, BENCH_REPLICAS_SECONDS, its p99; a Node driver could not keep up with
// the server), then one login through the real form, BENCH_REPLICAS_CODES
// silent SSO codes (not timed) exchanged at /token (timed), then refresh rotations of
// those families for BENCH_REPLICAS_SECONDS; rate and p99 of each; the largest VmRSS of
// each server process under that load; PostgreSQL connections held by identity-backend.
// Passwords are hashed at a test cost (PASSWORD_ARGON2_TEST=1, m=64 KiB, t=1: logins are
// not what this measures) and the per-address limits are off. Every answer is checked
// (flows.mjs): a wrong one fails the run. Prints the table on stdout, progress on stderr.
import { execFile, execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import http from 'node:http'
import { loadavg } from 'node:os'
import { BIN, launchServer, startHaproxy, startPostgres, freePort } from '../lib.mjs'
import { CB, CLIENT_ID, FORM, SCOPE_OURS, b64u, drive, exchange, hreq, loginOurs, loginPeer, pct, refresh, show, ssoCode, startPeer, timedPool } from './flows.mjs'
import { harness } from './proc.mjs'

const num = (name, def) => (process.env[name] ? Number(process.env[name]) : def)
const SECONDS = num('BENCH_REPLICAS_SECONDS', 4)
const CONNS = num('BENCH_REPLICAS_CONNS', 64)
const CODES = num('BENCH_REPLICAS_CODES', 1500)
const TINY = { PASSWORD_ARGON2_TEST: '1', PASSWORD_ARGON2_M_KIB: '64', PASSWORD_ARGON2_T: '1' }
const SECRETS = { SECRETS_SYSTEM: b64u(randomBytes(32)) }
const SERVE_ENV = { ...TINY, ...SECRETS, LOGIN_FAILURES_PER_ADDRESS: '0', CLIENT_AUTH_FAILURES_PER_ADDRESS: '0', ACCESS_LOG: 'off' }

const dir = process.argv[2]
if (!dir) {
  console.error('usage: node tests/bench/replicas.mjs DIR   (see tests/bench/replicas.sh)')
  process.exit(2)
}
const { log, fail, failures, track } = harness('bench-replicas')

function cli(args, input = '') {
  return new Promise((resolve, reject) => {
    const p = execFile(BIN, args, { env: { ...process.env, ...TINY, ...SECRETS } }, (err, stdout, stderr) =>
      err ? reject(new Error(`${args.slice(0, 2).join(' ')}: ${stderr}`)) : resolve(stdout ? JSON.parse(stdout) : null),
    )
    p.stdin.end(input)
  })
}

// A user and the two clients (sign-in: web; service: svc) in db; resolves their secrets.
async function provision(db) {
  await cli(['user', 'add', '--db', db, '--username', 'bench', '--password-stdin'], 'bench-password-1\n')
  const web = await cli(['client', 'add', '--db', db, '--id', CLIENT_ID, '--grant', 'authorization_code', '--grant', 'refresh_token', '--redirect-uri', CB, '--scope', SCOPE_OURS])
  const svc = await cli(['client', 'add', '--db', db, '--id', 'svc', '--grant', 'client_credentials', '--audience', 'api'])
  return { web: web.client_secret, svc: svc.client_secret }
}

// The largest VmRSS (MB) of each pid, sampled every 200 ms until stop().
function rssSampler(pids) {
  const max = pids.map(() => 0)
  const t = setInterval(() => {
    pids.forEach((pid, i) => {
      try {
        const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0)
        max[i] = Math.max(max[i], kb / 1024)
      } catch {}
    })
  }, 200)
  return () => (clearInterval(t), max)
}

// client_credentials for SECONDS with wrk against port (after a 2 s warm-up): {rate, p99}; throws on any
// non-2xx answer or socket error.
function ccWrk(port, secret) {
  const script = join(dir, 'cc.lua')
  writeFileSync(script, [
    'wrk.method = "POST"',
    'wrk.body = "grant_type=client_credentials&audience=api"',
    'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"',
    `wrk.headers["Authorization"] = "Basic ${Buffer.from(`svc:${secret}`).toString('base64')}"`,
  ].join('\n'))
  const run = (secs) => execFileSync('wrk', ['-t1', '-c32', `-d${secs}s`, '--latency', '-s', script, `http://127.0.0.1:${port}/token`], { encoding: 'utf8' })
  run(2) // warm-up: the server's first seconds (key generation, caches) are not its rate
  const out = run(SECONDS)
  if (/Non-2xx|Socket errors/.test(out)) throw new Error(`client_credentials under wrk: ${out}`)
  const ms = (v, unit) => Number(v) * (unit === 'us' ? 0.001 : unit === 's' ? 1000 : 1)
  const p99 = /^\s*99%\s+([\d.]+)(us|ms|s)/m.exec(out)
  return { rate: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]), p99: p99 ? ms(p99[1], p99[2]) : NaN }
}

// rate/s and p99 of the records of a drive() run that began at t0.
const summary = (recs, t0) => {
  const lat = recs.map((r) => r.ms).sort((a, b) => a - b)
  return { rate: recs.length / ((performance.now() - t0) / 1000), p99: pct(lat, 0.99) }
}

// The three measurements on srv ({port, kind}); cc only for ours.
async function measure(label, srv, secrets, pids, pgUrl) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONNS })
  const out = { label }
  const stopRss = rssSampler(pids)
  try {
    if (secrets.svc) {
      log(`${label}: client_credentials with wrk, ${SECONDS} s ...`)
      out.cc = ccWrk(srv.port, secrets.svc)
    }
    const jar = new Map()
    if (srv.kind === 'ours') await loginOurs(srv, agent, { name: 'bench', password: 'bench-password-1' }, jar)
    else await loginPeer(srv, agent, jar)
    log(`${label}: ${CODES} codes, then their exchange ...`)
    const codes = (await timedPool(Array.from({ length: CODES }), CONNS, () => ssoCode(srv, agent, jar))).out
    const lat = []
    const ex = await timedPool(codes, CONNS, async (c) => {
      const t = performance.now()
      const j = await exchange(srv, agent, secrets.web, c)
      lat.push(performance.now() - t)
      return j
    })
    out.exchange = { rate: CODES / ex.seconds, p99: pct(lat.sort((a, b) => a - b), 0.99) }
    log(`${label}: refresh rotations, ${SECONDS} s ...`)
    const queue = ex.out.map((j) => j.refresh_token)
    const t0 = performance.now()
    const recs = await drive(CONNS, t0 + SECONDS * 1000, async () => {
      const r = await refresh(srv, agent, secrets.web, queue.shift())
      queue.push(r.rt)
      return r
    })
    out.refresh = summary(recs, t0)
    if (pgUrl)
      out.conns = Number(execFileSync('psql', [pgUrl, '-qAt', '-c', "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'identity-backend'"], { encoding: 'utf8' }).trim())
  } finally {
    out.rss = stopRss()
    agent.destroy()
  }
  log(`${label}: cc ${out.cc?.rate.toFixed(0) ?? '-'}/s, exchanges ${out.exchange.rate.toFixed(0)}/s, refreshes ${out.refresh.rate.toFixed(0)}/s`)
  return out
}

async function serveOn(db, port, issuer) {
  const s = await launchServer({ db, port, threads: 2, issuer, env: SERVE_ENV, readyMs: 30000 })
  if (s.outcome !== 'listening') throw new Error(`serve on ${db.replace(/:[^:@]*@/, ':***@')}: ${s.stderr()}`)
  track(s.child)
  return s
}

const results = []
const load0 = loadavg().map((x) => x.toFixed(2)).join(' ')
const t0run = performance.now()
let pg = null
let proxy = null
try {
  // SQLite.
  const file = join(dir, 'identity.db')
  let secrets = await provision(file)
  let a = await serveOn(file, await freePort())
  results.push(await measure('sqlite', { port: a.port, kind: 'ours' }, secrets, [a.child.pid]))
  await a.stop()

  // PostgreSQL, one replica, then two behind HAProxy.
  pg = await startPostgres()
  secrets = await provision(pg.url)
  a = await serveOn(pg.url, await freePort())
  results.push(await measure('pg-1', { port: a.port, kind: 'ours' }, secrets, [a.child.pid], pg.url))
  await a.stop()
  const [pa, pb, pp] = [await freePort(), await freePort(), await freePort()]
  a = await serveOn(pg.url, pa, `http://127.0.0.1:${pp}`)
  const b = await serveOn(pg.url, pb, `http://127.0.0.1:${pp}`)
  proxy = await startHaproxy(pp, [pa, pb])
  results.push(await measure('pg-2 (HAProxy)', { port: pp, kind: 'ours' }, secrets, [a.child.pid, b.child.pid], pg.url))
  await proxy.stop()
  proxy = null
  await a.stop()
  await b.stop()

  // The peer.
  const peerSecret = b64u(randomBytes(32))
  const peer = await startPeer(dir, track, peerSecret)
  results.push(await measure('node-oidc-provider', peer, { web: peerSecret }, [peer.child.pid]))
  peer.child.kill('SIGTERM')
} catch (e) {
  fail('run', e)
} finally {
  if (proxy) await proxy.stop()
  if (pg) pg.stop()
}

const peerRow = results.find((r) => r.label === 'node-oidc-provider')
const sqliteRow = results.find((r) => r.label === 'sqlite')
const f = (x, d = 0) => (Number.isFinite(x) ? x.toFixed(d) : '-')
const ratio = (x, y) => (x && y ? `${(x / y).toFixed(2)}x` : '-')
console.log(`identity-backend scale-out benchmark: ${BIN}; ${CONNS} lanes, ${SECONDS} s per rate, ${CODES} codes; load average at start ${load0}`)
console.log('client_credentials: ES256 access tokens, driven by wrk (1 thread, 32 connections); exchanges and refreshes: the Node driver; exchanges: ID token RS256 + access token ES256; refresh: rotation, each token used once.')
console.log('')
console.log('config              | cc/s   | cc p99   | vs sqlite | exch/s | exch p99 | vs op | refresh/s | refresh p99 | vs op | RSS MB per process | PG conns')
console.log('--------------------+--------+----------+-----------+--------+----------+-------+-----------+-------------+-------+--------------------+---------')
for (const r of results)
  console.log(
    [
      r.label.padEnd(19),
      f(r.cc?.rate).padStart(6),
      `${f(r.cc?.p99, 1)} ms`.padStart(8),
      (r.label === 'node-oidc-provider' ? '-' : ratio(r.cc?.rate, sqliteRow?.cc?.rate)).padStart(9),
      f(r.exchange?.rate).padStart(6),
      `${f(r.exchange?.p99, 1)} ms`.padStart(8),
      ratio(r.exchange?.rate, peerRow?.exchange?.rate).padStart(5),
      f(r.refresh?.rate).padStart(9),
      `${f(r.refresh?.p99, 1)} ms`.padStart(11),
      ratio(r.refresh?.rate, peerRow?.refresh?.rate).padStart(5),
      (r.rss ?? []).map((x) => f(x, 1)).join(' + ').padStart(18),
      String(r.conns ?? '-').padStart(8),
    ].join(' | '),
  )
console.log('')
console.log('node-oidc-provider keeps codes and refresh tokens in memory (nothing durable); ours commit every one (SQLite: WAL, an fsync each;')
console.log('PostgreSQL: synchronous_commit on, the default). Driver and servers share the machine: compare ratios, not absolutes.')
console.log(`Total run time: ${((performance.now() - t0run) / 1000).toFixed(0)} s.`)
process.exit(failures.length ? 1 : 0)
