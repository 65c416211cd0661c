// The peer of the SSO benchmark (tests/bench/sso.sh): node-oidc-provider, one
// Node process, configured like our issuer for the authorization code flow.
//
//   node tests/bench/sso-oidc-provider.mjs CONFIG.json
//
// CONFIG.json: { "port": 8081, "rsa": {private RS256 JWK with kid},
//                "ec": {private ES256 JWK with kid}, "client_id": "web",
//                "client_secret": "...", "redirect_uri": "http://127.0.0.1:9/cb" }
//
// Configured alike, as far as it goes:
// - features.devInteractions on: its login form takes any account id and no
//   password (there is no password hashing on this side: its login rate is not
//   compared), its consent form creates the grant; sso.mjs drives both with
//   scripted POSTs. After that, the _session cookie gives codes without asking
//   again (the grant is the session's), as ours does with idb_session;
// - one confidential client, client_secret_basic, grants authorization_code and
//   refresh_token, PKCE S256 (its default for the code flow), ID tokens RS256;
// - access tokens: JWTs signed ES256 (ours: JWT_ALGORITHM's default, ES256),
//   through features.resourceIndicators with one default resource (otherwise
//   they are opaque and only stored);
// - refresh tokens: issued on every code exchange of a client that has the
//   grant (oidc-provider drops offline_access unless prompt=consent, so a
//   silent SSO request could not carry it) and rotated on every use, as ours;
// - in memory: the default adapter's logic (lib/adapters/memory_adapter.js)
//   over a plain Map with expiry, because the default keeps at most 1000
//   entries (an LRU) and the benchmark holds thousands of live codes and refresh
//   tokens; no proxy, plain HTTP on 127.0.0.1, no request logging; sso.mjs
//   starts it with NODE_ENV=production.
// Prints "listening on http://127.0.0.1:PORT" on stderr when it accepts requests.
import { readFileSync } from 'node:fs'
import Provider from 'oidc-provider'

const cfg = JSON.parse(readFileSync(process.argv[2], 'utf8'))
const issuer = `http://127.0.0.1:${cfg.port}`
const RESOURCE = 'urn:identity-backend:bench:api'

// oidc-provider's MemoryAdapter without its 1000-entry cap.
const storage = new Map()
const sget = (k) => {
  const e = storage.get(k)
  if (!e) return undefined
  if (e.exp && e.exp < Date.now()) {
    storage.delete(k)
    return undefined
  }
  return e.v
}
const sset = (k, v, expiresIn) => storage.set(k, { v, exp: expiresIn ? Date.now() + expiresIn * 1000 : 0 })
const grantable = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest'])
class MapAdapter {
  constructor(model) {
    this.model = model
  }
  key(id) {
    return `${this.model}:${id}`
  }
  async destroy(id) {
    storage.delete(this.key(id))
  }
  async consume(id) {
    const v = sget(this.key(id))
    if (v) v.consumed = Math.floor(Date.now() / 1000)
  }
  async find(id) {
    return sget(this.key(id))
  }
  async findByUid(uid) {
    return this.find(sget(`sessionUid:${uid}`))
  }
  async findByUserCode(userCode) {
    return this.find(sget(`userCode:${userCode}`))
  }
  async upsert(id, payload, expiresIn) {
    const key = this.key(id)
    if (this.model === 'Session') sset(`sessionUid:${payload.uid}`, id, expiresIn)
    const { grantId, userCode } = payload
    if (grantable.has(this.model) && grantId) {
      const grant = sget(`grant:${grantId}`)
      if (!grant) sset(`grant:${grantId}`, [key])
      else grant.push(key)
    }
    if (userCode) sset(`userCode:${userCode}`, id, expiresIn)
    sset(key, payload, expiresIn)
  }
  async revokeByGrantId(grantId) {
    const grant = sget(`grant:${grantId}`)
    if (grant) {
      for (const k of grant) storage.delete(k)
      storage.delete(`grant:${grantId}`)
    }
  }
}

const provider = new Provider(issuer, {
  adapter: MapAdapter,
  clients: [
    {
      client_id: cfg.client_id,
      client_secret: cfg.client_secret,
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: [cfg.redirect_uri],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'RS256',
    },
  ],
  jwks: { keys: [cfg.rsa, cfg.ec] },
  scopes: ['openid', 'offline_access', 'api'],
  claims: { openid: ['sub'], profile: ['name'], email: ['email', 'email_verified'] },
  findAccount: (ctx, id) => ({ accountId: id, claims: () => ({ sub: id, name: id, email: `${id}@example.com`, email_verified: true }) }),
  cookies: { keys: ['identity-backend-bench-cookie-key'] },
  pkce: { required: () => true },
  issueRefreshToken: (ctx, client) => client.grantTypeAllowed('refresh_token'),
  rotateRefreshToken: () => true,
  ttl: { AccessToken: 900, AuthorizationCode: 60, IdToken: 900, RefreshToken: 30 * 86400, Session: 12 * 3600, Grant: 30 * 86400, Interaction: 1800 },
  features: {
    devInteractions: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => RESOURCE,
      useGrantedResource: () => true,
      getResourceServerInfo: (ctx, resourceIndicator) => {
        if (resourceIndicator !== RESOURCE) throw new Error(`unknown resource ${resourceIndicator}`)
        return { audience: 'api', scope: 'api', accessTokenFormat: 'jwt', accessTokenTTL: 900, jwt: { sign: { alg: 'ES256' } } }
      },
    },
  },
})

provider.on('server_error', (ctx, err) => console.error('oidc-provider server_error:', err))

const server = provider.listen(cfg.port, '127.0.0.1', () => {
  console.error(`listening on ${issuer}`)
})
const stop = () => {
  server.close(() => process.exit(0))
  server.closeAllConnections?.()
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
