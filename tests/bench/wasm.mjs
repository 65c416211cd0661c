// wasm.mjs DIR ALG...: the WASM verifier (@identity-backend/verifier, verifier-wasm/)
// against the Node peers, in one Node process, on the tokens minted by mint.mjs
// (see run.sh), and the package's cold start and size. Prints a self-contained
// section on stdout:
//
//   1. ops/s per alg for   wasm      createVerifier({keys: <ALG>.jwks.json, algorithms, issuer,
//                                    audience}) once per alg, then verify(token) (synchronous)
//                          jose      await jwtVerify(token, key, {algorithms, issuer, audience}),
//                                    key imported once as a KeyObject (as in peers.mjs)
//                          fast-jwt  createVerifier({key, algorithms, allowedIss, allowedAud,
//                                    cache: false})
//      Each figure is the median of BENCH_ROUNDS (5) rounds of BENCH_WASM_ROUND_MS (800) ms,
//      after one uncounted warm-up round of BENCH_WARMUP_MS (200) ms per library. Within a
//      round the three libraries run one after another (the order rotates from round to
//      round), so a burst of machine noise hits all three rather than one.
//   2. cold start: median of BENCH_COLD_RUNS (7) fresh `node -e` children, each timing with
//      performance.now(), from just before `await import(index.js)` to the end of the first
//      verify of the ES256 token (import + compile/instantiate + createVerifier + verify).
//      Node's own start-up is not included (shown apart, as the whole child's wall time).
//   3. dist/verifier.wasm size, raw and gzipped (zlib level 9).
//   4. the targets from the issue, each marked met / MISSED (or "not measured" when the
//      alg it needs was not benchmarked).
//
// Before timing, each library must accept the token, and the WASM verifier must refuse
// the token with a corrupted signature and a verifier for another audience must refuse
// the token, so the loop cannot be timing a verifier that checks nothing.
//
// A benchmark, not a test: missed targets do not change the exit status. It exits
// non-zero only when something fails to run or a verification fails.
import { readFileSync, statSync } from 'node:fs'
import { join, dirname, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { spawnSync } from 'node:child_process'
import { gzipSync } from 'node:zlib'
import { createPublicKey, createSecretKey } from 'node:crypto'
import { jwtVerify } from 'jose'
import { createVerifier as fastJwtVerifier } from 'fast-jwt'
import { median, roundAsync, roundSync } from './timing.mjs'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const PKG_INDEX = join(ROOT, 'verifier-wasm/index.js')
const WASM_FILE = join(ROOT, 'verifier-wasm/dist/verifier.wasm')

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

const ROUNDS = Math.max(1, num('BENCH_ROUNDS', 5))
const ROUND_MS = Math.max(1, num('BENCH_WASM_ROUND_MS', 800))
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
const { createVerifier: wasmVerifier } = await import(pathToFileURL(PKG_INDEX).href)


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

const results = {} // alg -> { wasm, jose, 'fast-jwt' }
const LIBS = ['wasm', 'jose', 'fast-jwt']
for (const alg of algs) {
  const token = readFileSync(join(dir, `${alg}.token`), 'utf8').trim()
  const jwks = readFileSync(join(dir, `${alg}.jwks.json`), 'utf8')
  const k = JSON.parse(readFileSync(join(dir, `${alg}.key.json`), 'utf8'))
  const hs = alg.startsWith('HS')
  const secret = hs ? Buffer.from(k.secret, 'base64url') : null

  let wv, other
  try {
    wv = await wasmVerifier({ keys: jwks, algorithms: [alg], issuer: k.iss, audience: k.aud })
    other = await wasmVerifier({ keys: jwks, algorithms: [alg], issuer: k.iss, audience: 'https://other.example.com' })
  } catch (e) {
    die(`wasm ${alg}: createVerifier failed: ${e.code || e.name}: ${e.message}`)
  }
  const joseKey = hs ? createSecretKey(secret) : createPublicKey({ key: k.jwk, format: 'jwk' })
  const joseOpts = { algorithms: [alg], issuer: k.iss, audience: k.aud }
  const fj = fastJwtVerifier({ key: hs ? secret : k.pem, algorithms: [alg], allowedIss: k.iss, allowedAud: k.aud, cache: false })

  const fns = {
    wasm: { fn: () => check(wv.verify(token).payload.sub), round: roundSync },
    jose: { fn: async () => check((await jwtVerify(token, joseKey, joseOpts)).payload.sub), round: roundAsync },
    'fast-jwt': { fn: () => check(fj(token).sub), round: roundSync },
  }

  // Sanity: everyone accepts the token; the wasm verifier refuses what it must.
  const bad = corrupt(token)
  for (const lib of LIBS) {
    try {
      await fns[lib].fn()
    } catch (e) {
      die(`${lib} ${alg}: verification failed: ${e.code || e.name}: ${e.message}`)
    }
  }
  const e1 = await mustRefuse(`wasm ${alg}: a token with a corrupted signature`, () => wv.verify(bad))
  const e2 = await mustRefuse(`wasm ${alg}: the token, by a verifier for another audience`, () => other.verify(token))
  if (e1.name !== 'JwtError' || e2.name !== 'JwtError')
    die(`wasm ${alg}: refused, but not with JwtError: ${e1.name}: ${e1.message} / ${e2.name}: ${e2.message}`)
  other.close()
  await mustRefuse(`jose ${alg}: a token with a corrupted signature`, () => jwtVerify(bad, joseKey, joseOpts))
  await mustRefuse(`fast-jwt ${alg}: a token with a corrupted signature`, () => fj(bad))

  const rates = { wasm: [], jose: [], 'fast-jwt': [] }
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
  wv.close()
  results[alg] = Object.fromEntries(LIBS.map((l) => [l, Math.round(median(rates[l]))]))
  console.error(`bench: wasm ${alg}: ${LIBS.map((l) => `${l} ${results[alg][l]}`).join(', ')}`)
}

// ---- 2. cold start --------------------------------------------------------------------

const coldAlg = 'ES256'
let cold = null
{
  // ES256 is in the default list; if it was not benchmarked, mint.mjs did not write it.
  let token, jwks
  try {
    token = readFileSync(join(dir, `${coldAlg}.token`), 'utf8').trim()
    jwks = readFileSync(join(dir, `${coldAlg}.jwks.json`), 'utf8')
  } catch {
    console.error(`bench: wasm cold start skipped: no ${coldAlg} token in ${dir}`)
  }
  if (token) {
    const k = JSON.parse(readFileSync(join(dir, `${coldAlg}.key.json`), 'utf8'))
    const child = `(async () => {
  const t0 = performance.now();
  const { createVerifier } = await import(${JSON.stringify(pathToFileURL(PKG_INDEX).href)});
  const t1 = performance.now();
  const v = await createVerifier({ keys: ${JSON.stringify(jwks)}, algorithms: [${JSON.stringify(coldAlg)}],
    issuer: ${JSON.stringify(k.iss)}, audience: ${JSON.stringify(k.aud)} });
  const t2 = performance.now();
  const { payload } = v.verify(${JSON.stringify(token)});
  const t3 = performance.now();
  if (typeof payload.sub !== 'string') throw new Error('verified payload has no sub');
  console.log(JSON.stringify([t3 - t0, t1 - t0, t2 - t1, t3 - t2]));
})().catch((e) => { console.error(e); process.exit(1); });`
    const runs = [] // [total, import, createVerifier (incl. compile + instantiate), first verify]
    const outer = []
    for (let i = 0; i < COLD_RUNS; i++) {
      const w0 = performance.now()
      const r = spawnSync(process.execPath, ['-e', child], { encoding: 'utf8', cwd: ROOT })
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
    cold = {
      ms: median(col(0)),
      min: Math.min(...col(0)),
      max: Math.max(...col(0)),
      phases: [1, 2, 3].map((i) => median(col(i))),
      wall: median(outer),
    }
  }
}

// ---- 3. size --------------------------------------------------------------------------

const wasmBytes = readFileSync(WASM_FILE)
const raw = statSync(WASM_FILE).size
const gz = gzipSync(wasmBytes, { level: 9 }).length

// ---- output ---------------------------------------------------------------------------

const ratio = (a, b) => `${(a / b).toFixed(2)}x`
const fmt = (cols) =>
  `${cols[0].padEnd(6)} | ${cols[1].padStart(10)} | ${cols[2].padStart(10)} | ${cols[3].padStart(14)} | ${cols[4].padStart(9)} | ${cols[5].padStart(13)}`
const lines = []
lines.push(
  `WASM verifier (@identity-backend/verifier) vs the Node peers, ops/s, one Node process (medians of ${ROUNDS} round(s) of ~${ROUND_MS} ms, libraries interleaved)`,
)
lines.push(`node ${process.version}; load average at the start ${load0}`)
lines.push('')
lines.push(fmt(['alg', 'wasm ops/s', 'jose ops/s', 'fast-jwt ops/s', 'wasm/jose', 'wasm/fast-jwt']))
lines.push('-------+------------+------------+----------------+-----------+--------------')
for (const alg of algs) {
  const r = results[alg]
  lines.push(fmt([alg, String(r.wasm), String(r.jose), String(r['fast-jwt']), ratio(r.wasm, r.jose), ratio(r.wasm, r['fast-jwt'])]))
}
lines.push('')
const kb = (n) => `${(n / 1000).toFixed(1)} KB`
if (cold)
  lines.push(
    `cold start (${coldAlg}, import + createVerifier + first verify, in a fresh process): ${cold.ms.toFixed(1)} ms median of ${COLD_RUNS} (min ${cold.min.toFixed(1)}, max ${cold.max.toFixed(1)}); whole child incl. Node start-up ${cold.wall.toFixed(0)} ms`,
    `  phases (medians): import ${cold.phases[0].toFixed(1)} ms, createVerifier (incl. wasm compile + instantiate) ${cold.phases[1].toFixed(1)} ms, first verify ${cold.phases[2].toFixed(1)} ms`,
  )
else lines.push(`cold start: not measured (${coldAlg} not in the benchmarked algs)`)
lines.push(`verifier.wasm: ${raw} bytes (${kb(raw)}) raw, ${gz} bytes (${kb(gz)}) gzip -9`)
lines.push('')

// Targets from the issue (KB = 1000 bytes).
const targets = []
const target = (name, measured, ok) => targets.push({ name, measured, ok })
{
  const joseAlgs = algs.filter((a) => results[a])
  const slow = joseAlgs.filter((a) => results[a].wasm <= results[a].jose)
  target(
    'faster than jose on every alg',
    joseAlgs.map((a) => `${a} ${ratio(results[a].wasm, results[a].jose)}`).join(', '),
    slow.length === 0,
  )
}
for (const a of ['HS256', 'EdDSA']) {
  const r = results[a]
  target(`>= fast-jwt for ${a}`, r ? ratio(r.wasm, r['fast-jwt']) : 'not measured', r ? r.wasm >= r['fast-jwt'] : null)
}
for (const a of ['RS256', 'ES256']) {
  const r = results[a]
  target(`within 2x of fast-jwt for ${a} (>= 0.50x)`, r ? ratio(r.wasm, r['fast-jwt']) : 'not measured', r ? 2 * r.wasm >= r['fast-jwt'] : null)
}
target('wasm <= 250 KB raw', kb(raw), raw <= 250_000)
target('wasm <= 100 KB gzipped', kb(gz), gz <= 100_000)
target('cold start < 20 ms', cold ? `${cold.ms.toFixed(1)} ms` : 'not measured', cold ? cold.ms < 20 : null)

const mark = (ok) => (ok === null ? 'n/a' : ok ? 'met' : 'MISSED')
const w = Math.max(...targets.map((t) => t.name.length))
lines.push('targets (from the issue):')
for (const t of targets) lines.push(`  [${mark(t.ok).padEnd(6)}] ${t.name.padEnd(w)}  ${t.measured}`)
const missed = targets.filter((t) => t.ok === false).length
lines.push(`  ${targets.length - missed - targets.filter((t) => t.ok === null).length} met, ${missed} missed`)
console.log(lines.join('\n'))
