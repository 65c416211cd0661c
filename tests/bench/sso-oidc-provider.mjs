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
// - the default in-memory adapter, no proxy, plain HTTP on 127.0.0.1, no
//   request logging; sso.mjs starts it with NODE_ENV=production.
// Prints "listening on http://127.0.0.1:PORT" on stderr when it accepts requests.
import { readFileSync } from 'node:fs'
import Provider from 'oidc-provider'

const cfg = JSON.parse(readFileSync(process.argv[2], 'utf8'))
const issuer = `http://127.0.0.1:${cfg.port}`
const RESOURCE = 'urn:identity-backend:bench:api'

const provider = new Provider(issuer, {
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
