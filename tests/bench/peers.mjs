// peers.mjs DIR ALG...: verification throughput of the Node peers on the tokens
// minted by mint.mjs, one line per (peer, alg) on stdout:
//   jose ALG OPS            await jwtVerify(token, key, {algorithms, issuer, audience})
//   fast-jwt ALG OPS        createVerifier({key, algorithms, allowedIss, allowedAud, cache: false})
//   fast-jwt+cache ALG OPS  the same with cache: true (a hit is a hash of the token and a
//                           map lookup, not a verification: reported apart, never compared)
// OPS is the median of BENCH_ROUNDS (5) rounds of BENCH_ROUND_MS (1000) ms each, after
// one uncounted warm-up round (JIT). Every call must succeed, or the run aborts.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createPublicKey, createSecretKey } from 'node:crypto'
import { jwtVerify } from 'jose'
import { createVerifier } from 'fast-jwt'
import { median, roundAsync, roundSync } from './timing.mjs'

const ROUNDS = Number(process.env.BENCH_ROUNDS || 5)
const ROUND_MS = Number(process.env.BENCH_ROUND_MS || 1000)
const CACHE_ROUND_MS = Number(process.env.BENCH_CACHE_ROUND_MS || Math.min(ROUND_MS, 200))
const WARMUP_MS = Number(process.env.BENCH_WARMUP_MS || 200)
const [dir, ...algs] = process.argv.slice(2)
if (!dir || algs.length === 0) {
  console.error('usage: node peers.mjs DIR ALG...')
  process.exit(2)
}


async function measure(label, alg, fn, isAsync, ms) {
  const round = isAsync ? roundAsync : roundSync
  try {
    await round(fn, Math.min(WARMUP_MS, ms))
    const rates = []
    for (let i = 0; i < ROUNDS; i++) rates.push(await round(fn, ms))
    console.log(`${label} ${alg} ${Math.round(median(rates))}`)
  } catch (e) {
    console.error(`peers: ${label} ${alg}: verification failed: ${e.code || e.name}: ${e.message}`)
    process.exit(1)
  }
}

for (const alg of algs) {
  const token = readFileSync(join(dir, `${alg}.token`), 'utf8').trim()
  const k = JSON.parse(readFileSync(join(dir, `${alg}.key.json`), 'utf8'))
  const hs = alg.startsWith('HS')
  const secret = hs ? Buffer.from(k.secret, 'base64url') : null

  // jose: a KeyObject imported once (what a tuned service holds), not the JWK per call.
  const joseKey = hs ? createSecretKey(secret) : createPublicKey({ key: k.jwk, format: 'jwk' })
  const joseOpts = { algorithms: [alg], issuer: k.iss, audience: k.aud }
  const check = (sub) => {
    if (typeof sub !== 'string') throw new Error('verified payload has no "sub"')
  }
  await measure('jose', alg, async () => check((await jwtVerify(token, joseKey, joseOpts)).payload.sub), true, ROUND_MS)

  // fast-jwt: PEM (SPKI) for public keys, the raw secret bytes for HMAC.
  const fjKey = hs ? secret : k.pem
  const fjOpts = { key: fjKey, algorithms: [alg], allowedIss: k.iss, allowedAud: k.aud }
  const fj = createVerifier({ ...fjOpts, cache: false })
  await measure('fast-jwt', alg, () => check(fj(token).sub), false, ROUND_MS)
  const fjc = createVerifier({ ...fjOpts, cache: true })
  await measure('fast-jwt+cache', alg, () => check(fjc(token).sub), false, CACHE_ROUND_MS)
}
