// flows.mjs: what the sign-in benchmarks (sso.mjs, replicas.mjs) share: HTTP/1.1
// requests over keep-alive agents, cookies, PKCE, the login through our form and
// through node-oidc-provider's devInteractions, silent SSO codes, code exchange and
// refresh rotation (each answer checked: a wrong one throws), node-oidc-provider
// started like our client, and the load drivers (a pool of lanes over items, lanes
// until a deadline, rates per window).
import { spawn } from 'node:child_process'
import { openSync, closeSync, readFileSync, writeFileSync } from 'node:fs'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { randomBytes, createHash } from 'node:crypto'
import http from 'node:http'
import { generateKeyPair, exportJWK, calculateJwkThumbprint } from 'jose'
import { median } from './timing.mjs'
import { freePort, sleep } from '../lib.mjs'

const PEER = join(dirname(fileURLToPath(import.meta.url)), 'sso-oidc-provider.mjs')

export const CB = 'http://127.0.0.1:9/cb'
export const CLIENT_ID = 'web'
export const SCOPE_OURS = 'openid profile email offline_access'
export const SCOPE_PEER = 'openid profile email api' // offline_access needs prompt=consent there (sso-oidc-provider.mjs)
export const FORM = 'application/x-www-form-urlencoded'

export const b64u = (buf) => Buffer.from(buf).toString('base64url')
export const pkce = () => {
  const verifier = b64u(randomBytes(32))
  return { verifier, challenge: b64u(createHash('sha256').update(verifier).digest()) }
}

// One HTTP/1.1 request over agent (keep-alive). Resolves {status, headers, text, ms};
// status 0 when the connection failed.
export function hreq(agent, port, path, { method = 'GET', headers = {}, body } = {}) {
  return new Promise((resolve) => {
    const h = { ...headers }
    if (body != null) h['content-length'] = Buffer.byteLength(body)
    const t0 = performance.now()
    const req = http.request({ host: '127.0.0.1', port, path, method, headers: h, agent }, (res) => {
      const parts = []
      res.on('data', (c) => parts.push(c))
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text: Buffer.concat(parts).toString('utf8'), ms: performance.now() - t0 }))
      res.on('error', (e) => resolve({ status: 0, error: e.message, headers: {}, text: '' }))
    })
    req.on('error', (e) => resolve({ status: 0, error: e.message, headers: {}, text: '' }))
    req.setTimeout(30000, () => req.destroy(new Error('timeout (30 s)')))
    if (body != null) req.write(body)
    req.end()
  })
}

export const show = (r) => `${r.status} ${r.headers?.location ?? ''} ${(r.error ?? r.text ?? '').slice(0, 200)}`.trim()

// name=value of each Set-Cookie of r into jar (a Map); Max-Age=0 deletes.
export function absorb(jar, r) {
  for (const line of r.headers['set-cookie'] ?? []) {
    const [nv, ...attrs] = line.split(';').map((s) => s.trim())
    const i = nv.indexOf('=')
    if (attrs.some((a) => /^max-age=0$/i.test(a)) || /expires=Thu, 01 Jan 1970/i.test(line)) jar.delete(nv.slice(0, i))
    else jar.set(nv.slice(0, i), nv.slice(i + 1))
  }
}

export const cookieHeader = (jar) => [...jar].map(([k, v]) => `${k}=${v}`).join('; ')

// The code of a redirect to CB (302/303), or null.
export function codeOf(r) {
  if (r.status !== 302 && r.status !== 303) return null
  const loc = r.headers.location
  if (!loc || !loc.startsWith(CB + '?')) return null
  return new URL(loc).searchParams.get('code')
}

export const pct = (sorted, q) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : NaN)

// Wait until GET path answers 200; throws if the process exits first or after timeoutMs.
export async function waitReady(child, port, path, timeoutMs, logFile) {
  const agent = new http.Agent({ keepAlive: false })
  const t0 = performance.now()
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      let t = ''
      try {
        t = readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-10).join('\n')
      } catch {}
      throw new Error(`exited (code ${child.exitCode}, signal ${child.signalCode}) before answering${t ? `; its stderr ends:\n${t}` : ''}`)
    }
    const r = await hreq(agent, port, path)
    if (r.status === 200) return
    if (performance.now() - t0 > timeoutMs) throw new Error(`GET ${path} not 200 after ${timeoutMs} ms (last: ${show(r)})`)
    await sleep(20)
  }
}

// Run lanes until deadline; lane(i, agent) resolves one record {ok, t, ms} or throws.
// Returns the records (t = completion time, performance.now()).
export async function drive(n, deadline, lane, agent) {
  const recs = []
  let error = null
  await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      while (!error && performance.now() < deadline) {
        try {
          recs.push(await lane(i, agent))
        } catch (e) {
          error ??= e
        }
      }
    }),
  )
  if (error) throw error
  return recs
}

// Rates of recs per window [start + k*len, start + (k+1)*len), k < rounds; median and all.
export function windowRates(recs, start, len, rounds) {
  const counts = new Array(rounds).fill(0)
  for (const r of recs) {
    const k = Math.floor((r.t - start) / len)
    if (k >= 0 && k < rounds) counts[k]++
  }
  const rates = counts.map((c) => c / (len / 1000))
  return { rates, median: median([...rates]) }
}

// A fresh private JWK of alg (RSA 2048-bit, P-256, Ed25519) with its thumbprint as kid,
// for a node-oidc-provider peer.
export async function peerJwk(alg) {
  const { privateKey } = await generateKeyPair(alg, { extractable: true })
  const k = await exportJWK(privateKey)
  k.kid = await calculateJwkThumbprint(k)
  k.alg = alg
  k.use = 'sig'
  return k
}

// node-oidc-provider as script (sso-oidc-provider.mjs, issuer-oidc-provider.mjs) on a free
// port, configured by cfg plus that port (written to dir/NAME.json; its log: dir/NAME.log),
// the process passed to track; ready once its discovery document answers 200. Resolves
// {child, port, kind: 'peer'}.
export async function startNodePeer(dir, track, script, cfg, name = 'peer') {
  const port = await freePort()
  const file = join(dir, `${name}.json`)
  writeFileSync(file, JSON.stringify({ port, ...cfg }))
  const logFile = join(dir, `${name}.log`)
  const fd = openSync(logFile, 'w')
  let child
  try {
    child = track(spawn(process.execPath, [script, file], { env: { ...process.env, NODE_ENV: 'production' }, stdio: ['ignore', 'ignore', fd] }))
  } finally {
    closeSync(fd)
  }
  await waitReady(child, port, '/.well-known/openid-configuration', 30000, logFile)
  return { child, port, kind: 'peer' }
}

// node-oidc-provider (sso-oidc-provider.mjs) with fresh RS256 and ES256 keys, configured like our client.
export const startPeer = async (dir, track, secret) =>
  startNodePeer(dir, track, PEER, { rsa: await peerJwk('RS256'), ec: await peerJwk('ES256'), client_id: CLIENT_ID, client_secret: secret, redirect_uri: CB })

export const authPath = (srv, p, scope) =>
  `${srv.kind === 'ours' ? '/authorize' : '/auth'}?${new URLSearchParams({
    client_id: CLIENT_ID,
    redirect_uri: CB,
    response_type: 'code',
    scope,
    state: b64u(randomBytes(8)),
    nonce: b64u(randomBytes(8)),
    code_challenge: p.challenge,
    code_challenge_method: 'S256',
  })}`

export const hidden = (html, name) => new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1]

// Ours: one login through the real form with a fresh browser (jar). Resolves
// {code, ms: POST /login latency}; throws on any unexpected answer.
export async function loginOurs(srv, agent, user, jar = new Map()) {
  const p = pkce()
  let r = await hreq(agent, srv.port, authPath(srv, p, SCOPE_OURS))
  absorb(jar, r)
  const flow = hidden(r.text, 'flow')
  const csrf = hidden(r.text, 'csrf')
  if (r.status !== 200 || !flow || !csrf) throw new Error(`GET /authorize: expected the login page with flow and csrf: ${show(r)}`)
  r = await hreq(agent, srv.port, '/login', {
    method: 'POST',
    headers: { 'content-type': FORM, cookie: cookieHeader(jar) },
    body: new URLSearchParams({ flow, csrf, username: user.name, password: user.password }).toString(),
  })
  absorb(jar, r)
  const code = codeOf(r)
  if (r.status !== 303 || !code) throw new Error(`POST /login as ${user.name}: expected 303 to the redirect URI with a code: ${show(r)}`)
  return { code, verifier: p.verifier, ms: r.ms, t: performance.now() }
}

// The peer: devInteractions' login form (any account id) and consent form, scripted.
export async function loginPeer(srv, agent, jar) {
  const p = pkce()
  let r = await hreq(agent, srv.port, authPath(srv, p, SCOPE_PEER))
  for (let step = 0; step < 8; step++) {
    absorb(jar, r)
    const code = codeOf(r)
    if (code) return { code, verifier: p.verifier }
    const loc = r.headers.location
    if ((r.status !== 302 && r.status !== 303) || !loc) throw new Error(`oidc-provider interaction step ${step}: ${show(r)}`)
    const path = new URL(loc, `http://127.0.0.1:${srv.port}`)
    r = await hreq(agent, srv.port, path.pathname + path.search, { headers: { cookie: cookieHeader(jar) } })
    absorb(jar, r)
    const m = /^\/interaction\/([^/]+)$/.exec(path.pathname)
    if (m && r.status === 200) {
      const prompt = /name="prompt" value="(login|consent)"/.exec(r.text)?.[1]
      if (!prompt) throw new Error(`oidc-provider interaction page without a known prompt: ${show(r)}`)
      const form = prompt === 'login' ? { prompt, login: 'bench-user', password: 'any' } : { prompt }
      r = await hreq(agent, srv.port, `/interaction/${m[1]}`, { method: 'POST', headers: { 'content-type': FORM, cookie: cookieHeader(jar) }, body: new URLSearchParams(form).toString() })
    }
  }
  throw new Error('oidc-provider: no code after 8 interaction steps')
}

// A silent SSO /authorize with the session's cookies: a code at once.
export async function ssoCode(srv, agent, jar) {
  const p = pkce()
  const r = await hreq(agent, srv.port, authPath(srv, p, srv.kind === 'ours' ? SCOPE_OURS : SCOPE_PEER), { headers: { cookie: cookieHeader(jar) } })
  const code = codeOf(r)
  if (!code) throw new Error(`SSO ${srv.kind === 'ours' ? '/authorize' : '/auth'} with the session cookie: expected a redirect with a code: ${show(r)}`)
  return { code, verifier: p.verifier }
}

export const tokenHeaders = (secret) => ({ 'content-type': FORM, authorization: `Basic ${Buffer.from(`${CLIENT_ID}:${secret}`).toString('base64')}` })

export async function exchange(srv, agent, secret, c) {
  const r = await hreq(agent, srv.port, '/token', {
    method: 'POST',
    headers: tokenHeaders(secret),
    body: new URLSearchParams({ grant_type: 'authorization_code', code: c.code, redirect_uri: CB, code_verifier: c.verifier }).toString(),
  })
  let j
  try {
    j = JSON.parse(r.text)
  } catch {}
  if (r.status !== 200 || !j?.id_token || !j.access_token || !j.refresh_token) throw new Error(`code exchange: expected 200 with id_token, access_token, refresh_token: ${show(r)}`)
  return j
}

export async function refresh(srv, agent, secret, rt) {
  const r = await hreq(agent, srv.port, '/token', { method: 'POST', headers: tokenHeaders(secret), body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: rt }).toString() })
  let j
  try {
    j = JSON.parse(r.text)
  } catch {}
  if (r.status !== 200 || !j?.access_token || !j.refresh_token || j.refresh_token === rt) throw new Error(`refresh: expected 200 with a new (rotated) refresh_token: ${show(r)}`)
  return { rt: j.refresh_token, ms: r.ms, t: performance.now() }
}

// items through fn with n in flight; resolves {out, seconds, lat: sorted ms}.
export async function timedPool(items, n, fn) {
  const out = new Array(items.length)
  let next = 0
  const t0 = performance.now()
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) {
        const i = next++
        out[i] = await fn(items[i])
      }
    }),
  )
  return { out, seconds: (performance.now() - t0) / 1000 }
}
