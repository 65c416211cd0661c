// mint.mjs DIR [ALG...]: one fresh key and one realistic access token per algorithm,
// for the verify benchmark (see run.sh). Writes, for each ALG:
//   DIR/<ALG>.jwks.json  the verification JWK Set (public key; the oct key for HS*)
//   DIR/<ALG>.token      a compact JWT signed with it (kid in the header)
//   DIR/<ALG>.key.json   what the Node peers need: {alg, kid, iss, aud, jwk, pem|secret}
// The issuer and audience below must match ISS/AUD in bench_verify.c.
import { mkdirSync, writeFileSync } from 'node:fs'
import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import { SignJWT, exportJWK, exportSPKI, generateKeyPair, generateSecret } from 'jose'

export const ISS = 'https://id.example.com/'
export const AUD = 'https://api.example.com'
export const ALL_ALGS = ['HS256', 'RS256', 'PS256', 'ES256', 'ES384', 'EdDSA', 'HS512', 'RS512', 'ES512']

const [dir, ...requested] = process.argv.slice(2)
if (!dir) {
  console.error('usage: node mint.mjs DIR [ALG...]')
  process.exit(2)
}
const algs = requested.length ? requested : ALL_ALGS
mkdirSync(dir, { recursive: true })

const now = Math.floor(Date.now() / 1000)
for (const alg of algs) {
  if (!ALL_ALGS.includes(alg)) throw new Error(`mint: unknown algorithm ${alg}`)
  const kid = `bench-${alg.toLowerCase()}-${randomUUID().slice(0, 8)}`
  const hs = alg.startsWith('HS')
  let signKey, jwk, extra
  if (hs) {
    signKey = await generateSecret(alg, { extractable: true }) // 256/384/512-bit KeyObject
    jwk = await exportJWK(signKey)
    extra = { secret: jwk.k } // base64url of the raw secret
  } else {
    const opts = alg === 'EdDSA' ? { crv: 'Ed25519', extractable: true } : { extractable: true }
    const { publicKey, privateKey } = await generateKeyPair(alg, opts) // RSA: 2048-bit
    signKey = privateKey
    jwk = await exportJWK(publicKey)
    extra = { pem: await exportSPKI(publicKey) }
  }
  jwk = { ...jwk, kid, alg, use: 'sig' }

  // A typical OAuth2/OIDC access token: ~300 bytes of claims.
  const claims = {
    scope: 'openid profile email orders:read orders:write',
    client_id: 'web-frontend-7f3a9c2e',
    auth_time: now - 120,
  }
  const token = await new SignJWT(claims)
    .setProtectedHeader({ alg, typ: 'at+jwt', kid })
    .setIssuer(ISS)
    .setSubject(randomUUID())
    .setAudience(AUD)
    .setIssuedAt(now)
    .setExpirationTime(now + 10 * 365 * 86400) // far future: the bench never sees expiry
    .setJti(randomUUID())
    .sign(signKey)

  writeFileSync(join(dir, `${alg}.jwks.json`), JSON.stringify({ keys: [jwk] }))
  writeFileSync(join(dir, `${alg}.token`), token)
  writeFileSync(join(dir, `${alg}.key.json`), JSON.stringify({ alg, kid, iss: ISS, aud: AUD, jwk, ...extra }))
  const payloadLen = Buffer.from(token.split('.')[1], 'base64url').length
  console.error(`mint: ${alg}: token ${token.length} bytes (payload ${payloadLen} bytes)`)
}
