// The peer of the issuer benchmark (tests/bench/issuer.sh): node-oidc-provider,
// one Node process, configured like our issuer for client_credentials.
//
//   node tests/bench/issuer-oidc-provider.mjs CONFIG.json
//
// CONFIG.json: { "port": 8081, "alg": "ES256", "jwk": {private JWK with kid},
//                "client_id": "bench", "client_secret": "...",
//                "audience": "api", "scope": "read write" }
//
// Configured alike (what makes the peer comparable):
// - features.clientCredentials on; every other optional feature left at its
//   default (devInteractions off: there is no login here);
// - features.resourceIndicators with one resource server whose audience is
//   "api", scope "read write", accessTokenFormat 'jwt' and jwt.sign.alg = the
//   benchmarked alg (otherwise its access tokens are opaque); defaultResource
//   picks it, so the token request carries no resource parameter, as ours;
// - jwks given explicitly: one private key of that alg (RSA keys 2048-bit);
// - one client "bench", client_secret_basic, grant client_credentials, scope
//   "read write", id_token_signed_response_alg = the alg (with a single-alg key
//   set every client must name an alg the key set has, or invalid_client_metadata);
// - the default in-memory adapter (JWT access tokens are not stored), no proxy,
//   plain HTTP on 127.0.0.1, no request logging; issuer.mjs starts it with
//   NODE_ENV=production.
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
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: cfg.alg,
      scope: cfg.scope,
    },
  ],
  jwks: { keys: [cfg.jwk] },
  scopes: cfg.scope.split(' '),
  cookies: { keys: ['identity-backend-bench-cookie-key'] },
  ttl: { ClientCredentials: 3600 },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => RESOURCE,
      useGrantedResource: () => true,
      getResourceServerInfo: (ctx, resourceIndicator) => {
        if (resourceIndicator !== RESOURCE) throw new Error(`unknown resource ${resourceIndicator}`)
        return {
          audience: cfg.audience,
          scope: cfg.scope,
          accessTokenFormat: 'jwt',
          accessTokenTTL: 3600,
          jwt: { sign: { alg: cfg.alg } },
        }
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
