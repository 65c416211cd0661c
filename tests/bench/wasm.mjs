// wasm.mjs DIR ALG...: the verifier package (@identity-backend/verifier, verifier-wasm/)
// against the Node peers, in one Node process, on the tokens minted by mint.mjs (see
// run.sh and wasm.sh), with the package's cold start and both modules' sizes. Prints a
// self-contained section on stdout:
//
//   1. ops/s per alg for   auto      node.js (what `import` gives in Node): the small module,
//                                    node:crypto's arithmetic; createVerifier({keys, algorithms,
//                                    issuer, audience}) once per alg, then verify(token)
//                          wasm      the same with crypto: 'wasm': the full module, wolfCrypt
//                          jose      await jwtVerify(token, key, {algorithms, issuer, audience}),
//                                    key imported once as a KeyObject (as in peers.mjs)
//                          fast-jwt  createVerifier({key, algorithms, allowedIss, allowedAud,
//                                    cache: false})
//      Each figure is verifications per CPU-second of this process (process.cpuUsage, so
//      time the machine gives to other processes counts against no library; jose's work on
//      libuv's threads is in it), the median of BENCH_WASM_ROUNDS (15) rounds of
//      BENCH_WASM_ROUND_MS (200) ms (short rounds, so a burst of another process's load
//      falls in few of them), after one uncounted warm-up round of BENCH_WARMUP_MS
//      (200) ms per library. Within a round the libraries run one after another, the order
//      rotating from round to round.
//   2. cold start, per mode: median and fastest of BENCH_COLD_RUNS (7) fresh Node children,
//      each an ES module file (as an ESM program is) timing with performance.now() from just before `await import(node.js)`
//      to the end of the first verify of the ES256 token (import + compile/instantiate +
//      createVerifier + verify). Node's own start-up is not included (shown apart, the child's
//      wall time). The same from a CommonJS file is shown too, with what a first import()
//      of an empty ES module costs there: Node starting its ES module loader.
//   3. dist/verifier.wasm and dist/verifier-small.wasm, raw and gzipped (zlib level 9).
//   4. the targets, each marked met / MISSED with its margin (KB = 1000 bytes).
//
// Before timing, each library must accept the token, and each mode must refuse the
// token with a corrupted signature and, in a verifier for another audience, the token
// itself, so no loop can be timing a verifier that checks nothing.
//
// A benchmark, not a test: missed targets do not change the exit status. It exits
// non-zero only when something fails to run or a verification fails.
import { readFileSync, statSync, writeFileSync } from 'node:fs'
import { join, dirname, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { spawnSync } from 'node:child_process'
import { gzipSync } from 'node:zlib'
import { createPublicKey, createSecretKey } from 'node:crypto'
import { jwtVerify } from 'jose'
import { createVerifier as fastJwtVerifier } from 'fast-jwt'
import { median } from './timing.mjs'

// One round: call fn for about ms of wall time; calls per CPU-second of this process.
async function roundCpu(fn, ms, isAsync) {
  let n = 0
  const c0 = process.cpuUsage()
  const end = performance.now() + ms
  while (performance.now() < end) {
    if (isAsync) await fn()
    else fn()
    n++
  }
  const c = process.cpuUsage(c0)
  return (n * 1e6) / (c.user + c.system)
}
const roundSync = (fn, ms) => roundCpu(fn, ms, false)
const roundAsync = (fn, ms) => roundCpu(fn, ms, true)

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const PKG_NODE = join(ROOT, 'verifier-wasm/node.js')
const MODULES = { full: join(ROOT, 'verifier-wasm/dist/verifier.wasm'), small: join(ROOT, 'verifier-wasm/dist/verifier-small.wasm') }

const num = (name, def) => {
  const v = process.env[name]
  if (v === undefined || v === '') return def
  const n = Number(v)
  if (!Number.isInteger(n) || n < 0) die(`${name}=${v}: expected a non-negative integer`)
  return n
}
function die(msg) {
  console.error(`wasm.mjs: ${msg}`)
  process.exit(1)
}

const ROUNDS = Math.max(1, num('BENCH_WASM_ROUNDS', 15))
const ROUND_MS = Math.max(1, num('BENCH_WASM_ROUND_MS', 200))
const WARMUP_MS = num('BENCH_WARMUP_MS', 200)
const COLD_RUNS = Math.max(1, num('BENCH_COLD_RUNS', 7))
const [dir, ...algs] = process.argv.slice(2)
if (!dir || algs.length === 0) {
  console.error('usage: node wasm.mjs DIR ALG...')
  process.exit(2)
}

const load0 = (() => {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')
  } catch {
    return '?'
  }
})()
const pkg = await import(pathToFileURL(PKG_NODE).href)

const check = (sub) => {
  if (typeof sub !== 'string') throw new Error('verified payload has no "sub"')
}

// Replace one signature character (well inside the signature, so it changes real bits).
function corrupt(token) {
  const dot = token.lastIndexOf('.')
  const i = dot + 1 + Math.floor((token.length - dot - 1) / 2)
  const c = token[i] === 'A' ? 'B' : 'A'
  return token.slice(0, i) + c + token.slice(i + 1)
}

async function mustRefuse(what, fn) {
  try {
    await fn()
  } catch (e) {
    return e
  }
  die(`${what} was accepted`)
}

// ---- 1. throughput --------------------------------------------------------------------

const MODES = ['auto', 'wasm']
const LIBS = [...MODES, 'jose', 'fast-jwt']
const results = {} // alg -> { auto, wasm, jose, 'fast-jwt' }
const used = {} // mode -> the arithmetic the verifier reported
for (const alg of algs) {
  const token = readFileSync(join(dir, `${alg}.token`), 'utf8').trim()
  const jwks = readFileSync(join(dir, `${alg}.jwks.json`), 'utf8')
  const k = JSON.parse(readFileSync(join(dir, `${alg}.key.json`), 'utf8'))
  const hs = alg.startsWith('HS')
  const secret = hs ? Buffer.from(k.secret, 'base64url') : null
  const bad = corrupt(token)

  const fns = {}
  for (const crypto of MODES) {
    let v, other
    try {
      v = await pkg.createVerifier({ keys: jwks, algorithms: [alg], issuer: k.iss, audience: k.aud, crypto })
      other = await pkg.createVerifier({ keys: jwks, algorithms: [alg], issuer: k.iss, audience: 'https://other.example.com', crypto })
    } catch (e) {
      die(`${crypto} ${alg}: createVerifier failed: ${e.code || e.name}: ${e.message}`)
    }
    used[crypto] = v.crypto
    const e1 = await mustRefuse(`${crypto} ${alg}: a token with a corrupted signature`, () => v.verify(bad))
    const e2 = await mustRefuse(`${crypto} ${alg}: the token, by a verifier for another audience`, () => other.verify(token))
    if (e1.name !== 'JwtError' || e2.name !== 'JwtError')
      die(`${crypto} ${alg}: refused, but not with JwtError: ${e1.name}: ${e1.message} / ${e2.name}: ${e2.message}`)
    other.close()
    fns[crypto] = { fn: () => check(v.verify(token).payload.sub), round: roundSync, close: () => v.close() }
  }
  const joseKey = hs ? createSecretKey(secret) : createPublicKey({ key: k.jwk, format: 'jwk' })
  const joseOpts = { algorithms: [alg], issuer: k.iss, audience: k.aud }
  const fj = fastJwtVerifier({ key: hs ? secret : k.pem, algorithms: [alg], allowedIss: k.iss, allowedAud: k.aud, cache: false })
  fns.jose = { fn: async () => check((await jwtVerify(token, joseKey, joseOpts)).payload.sub), round: roundAsync }
  fns['fast-jwt'] = { fn: () => check(fj(token).sub), round: roundSync }

  for (const lib of LIBS) {
    try {
      await fns[lib].fn()
    } catch (e) {
      die(`${lib} ${alg}: verification failed: ${e.code || e.name}: ${e.message}`)
    }
  }
  await mustRefuse(`jose ${alg}: a token with a corrupted signature`, () => jwtVerify(bad, joseKey, joseOpts))
  await mustRefuse(`fast-jwt ${alg}: a token with a corrupted signature`, () => fj(bad))

  const rates = Object.fromEntries(LIBS.map((l) => [l, []]))
  try {
    if (WARMUP_MS > 0) for (const lib of LIBS) await fns[lib].round(fns[lib].fn, WARMUP_MS)
    for (let r = 0; r < ROUNDS; r++) {
      for (let j = 0; j < LIBS.length; j++) {
        const lib = LIBS[(r + j) % LIBS.length]
        rates[lib].push(await fns[lib].round(fns[lib].fn, ROUND_MS))
      }
    }
  } catch (e) {
    die(`${alg}: verification failed during timing: ${e.code || e.name}: ${e.message}`)
  }
  for (const m of MODES) fns[m].close()
  results[alg] = Object.fromEntries(LIBS.map((l) => [l, Math.round(median(rates[l]))]))
  console.error(`bench: wasm ${alg}: ${LIBS.map((l) => `${l} ${results[alg][l]}`).join(', ')}`)
}

// ---- 2. cold start --------------------------------------------------------------------

const coldAlg = 'ES256'
const cold = {}
{
  let token, jwks, k
  try {
    token = readFileSync(join(dir, `${coldAlg}.token`), 'utf8').trim()
    jwks = readFileSync(join(dir, `${coldAlg}.jwks.json`), 'utf8')
    k = JSON.parse(readFileSync(join(dir, `${coldAlg}.key.json`), 'utf8'))
  } catch {
    console.error(`bench: wasm cold start skipped: no ${coldAlg} token in ${dir}`)
  }
  const EMPTY = 'data:text/javascript,export%20default%201'
  for (const [crypto, esm] of token ? [...MODES.map((m) => [m, true]), ...MODES.map((m) => [m, false])] : []) {
    const child = `(async () => {
  const t0 = performance.now();
  const { createVerifier } = await import(${JSON.stringify(pathToFileURL(PKG_NODE).href)});
  const t1 = performance.now();
  const v = await createVerifier({ keys: ${JSON.stringify(jwks)}, algorithms: [${JSON.stringify(coldAlg)}],
    issuer: ${JSON.stringify(k.iss)}, audience: ${JSON.stringify(k.aud)}, crypto: ${JSON.stringify(crypto)} });
  const t2 = performance.now();
  const { payload } = v.verify(${JSON.stringify(token)});
  const t3 = performance.now();
  if (typeof payload.sub !== 'string') throw new Error('verified payload has no sub');
  console.log(JSON.stringify([t3 - t0, t1 - t0, t2 - t1, t3 - t2]));
})().catch((e) => { console.error(e); process.exit(1); });`
    // From CommonJS: a first import() of an empty ES module, alone (Node's loader start-up).
    const emptyChild = `(async () => { const t0 = performance.now(); await import(${JSON.stringify(EMPTY)}); console.log(JSON.stringify([performance.now() - t0, 0, 0, 0])); })()`
    const childFile = join(dir, `cold-${crypto}.${esm ? 'mjs' : 'cjs'}`)
    const emptyFile = join(dir, 'cold-empty.cjs')
    writeFileSync(childFile, child)
    writeFileSync(emptyFile, emptyChild)
    const runs = [] // [total, import, createVerifier (incl. compile + instantiate), first verify]
    const outer = []
    const empty = []
    for (let i = 0; i < COLD_RUNS; i++) {
      if (!esm) {
        const e = spawnSync(process.execPath, [emptyFile], { encoding: 'utf8', cwd: ROOT })
        empty.push(JSON.parse(e.stdout)[0])
      }
      const w0 = performance.now()
      const r = spawnSync(process.execPath, [childFile], { encoding: 'utf8', cwd: ROOT })
      const w1 = performance.now()
      let t = null
      try {
        t = JSON.parse(r.stdout)
      } catch {}
      if (r.status !== 0 || !Array.isArray(t) || !t.every(Number.isFinite))
        die(`cold start child failed (status ${r.status}): ${r.stderr || r.stdout}`)
      runs.push(t)
      outer.push(w1 - w0)
    }
    const col = (i) => runs.map((t) => t[i])
    cold[esm ? crypto : `${crypto}-cjs`] = {
      ms: median(col(0)),
      min: Math.min(...col(0)),
      max: Math.max(...col(0)),
      phases: [1, 2, 3].map((i) => median(col(i))),
      wall: median(outer),
      empty: empty.length ? median(empty) : null,
    }
  }
}

// ---- 3. size --------------------------------------------------------------------------

const size = {}
for (const [name, file] of Object.entries(MODULES)) {
  const bytes = readFileSync(file)
  size[name] = { raw: statSync(file).size, gz: gzipSync(bytes, { level: 9 }).length }
}

// ---- output ---------------------------------------------------------------------------

const ratio = (a, b) => `${(a / b).toFixed(2)}x`
const W = [6, 9, 9, 9, 9, 9, 10, 9, 10]
const row = (cols) => cols.map((c, i) => (i === 0 ? String(c).padEnd(W[i]) : String(c).padStart(W[i]))).join(' | ')
const lines = []
lines.push(`The verifier package vs the Node peers, verifications per CPU-second, one Node process (medians of ${ROUNDS} round(s) of ~${ROUND_MS} ms, libraries interleaved)`)
lines.push(`node ${process.version} (OpenSSL ${process.versions.openssl}); load average at the start ${load0}`)
lines.push(`auto: node.js, ${used.auto} arithmetic (verifier-small.wasm + node:crypto); wasm: crypto 'wasm', ${used.wasm} (verifier.wasm, wolfCrypt)`)
lines.push('')
lines.push(row(['alg', 'auto', 'wasm', 'jose', 'fast-jwt', 'auto/jose', 'auto/f-jwt', 'wasm/jose', 'wasm/f-jwt']))
lines.push(W.map((w) => '-'.repeat(w)).join('-+-'))
for (const alg of algs) {
  const r = results[alg]
  lines.push(row([alg, r.auto, r.wasm, r.jose, r['fast-jwt'], ratio(r.auto, r.jose), ratio(r.auto, r['fast-jwt']), ratio(r.wasm, r.jose), ratio(r.wasm, r['fast-jwt'])]))
}
lines.push('')
const kb = (n) => `${(n / 1000).toFixed(1)} KB`
for (const m of MODES) {
  const c = cold[m]
  if (!c) {
    lines.push(`cold start (${m}): not measured (${coldAlg} not in the benchmarked algs)`)
    continue
  }
  const cjs = cold[`${m}-cjs`]
  lines.push(
    `cold start, ${m} (${coldAlg}, import + createVerifier + first verify, fresh process, ES module): ${c.ms.toFixed(1)} ms median of ${COLD_RUNS} (min ${c.min.toFixed(1)}, max ${c.max.toFixed(1)}); whole child incl. Node start-up ${c.wall.toFixed(0)} ms`,
    `  phases (medians): import ${c.phases[0].toFixed(1)} ms, createVerifier (incl. compile + instantiate) ${c.phases[1].toFixed(1)} ms, first verify ${c.phases[2].toFixed(1)} ms`,
    `  from a CommonJS file (import()): ${cjs.ms.toFixed(1)} ms median (min ${cjs.min.toFixed(1)}), of which Node's ES module loader start-up (import() of an empty module) ${cjs.empty.toFixed(1)} ms`,
  )
}
for (const [name, s] of Object.entries(size)) lines.push(`${name === 'full' ? 'verifier.wasm      ' : 'verifier-small.wasm'}: ${s.raw} bytes (${kb(s.raw)}) raw, ${s.gz} bytes (${kb(s.gz)}) gzip -9`)
lines.push('')

// Targets (KB = 1000 bytes), each with its margin.
const targets = []
const target = (name, measured, ok) => targets.push({ name, measured, ok })
const every = (lib, peer, min) => {
  const rs = algs.map((a) => results[a][lib] / results[a][peer])
  const worst = Math.min(...rs)
  const worstAlg = algs[rs.indexOf(worst)]
  target(`${lib} >= ${min.toFixed(1)}x ${peer} on every alg`, `lowest ${worstAlg} ${worst.toFixed(2)}x`, worst >= min)
}
every('auto', 'jose', 1.5)
every('auto', 'fast-jwt', 1.0)
for (const a of ['HS256', 'EdDSA']) {
  const r = results[a]
  target(`wasm >= 1.0x jose on ${a}`, r ? ratio(r.wasm, r.jose) : 'not measured', r ? r.wasm >= r.jose : null)
}
target('verifier.wasm <= 100 KB gzipped', `${kb(size.full.gz)} (${kb(100_000 - size.full.gz)} to spare)`, size.full.gz <= 100_000)
target('verifier-small.wasm <= 60 KB gzipped', `${kb(size.small.gz)}`, size.small.gz <= 60_000)
for (const m of MODES) target(`cold start < 20 ms (${m}, ES module)`, cold[m] ? `${cold[m].ms.toFixed(1)} ms` : 'not measured', cold[m] ? cold[m].ms < 20 : null)

const mark = (ok) => (ok === null ? 'n/a' : ok ? 'met' : 'MISSED')
const w = Math.max(...targets.map((t) => t.name.length))
lines.push('targets:')
for (const t of targets) lines.push(`  [${mark(t.ok).padEnd(6)}] ${t.name.padEnd(w)}  ${t.measured}`)
const missed = targets.filter((t) => t.ok === false).length
lines.push(`  ${targets.length - missed - targets.filter((t) => t.ok === null).length} met, ${missed} missed`)
console.log(lines.join('\n'))
