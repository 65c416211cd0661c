/*
 * idtoken.h: OpenID Connect ID tokens (OIDC Core §2, §3.1.3.6): who signed in,
 * for which client, when, signed with the client's registered alg (RS256 unless
 * it registered another). An ID token says who the person is to the client that
 * asked; it is never an access token and carries no scope. It carries the
 * person's claims the grant's scope allows (claims.h), as /userinfo does: many
 * clients (Kubernetes, proxies) read the ID token only.
 */
#ifndef ISSUER_IDTOKEN_H
#define ISSUER_IDTOKEN_H

#include <stdint.h>

#include "runtime/app.h"

/* Longest at_hash text: half of a SHA-512 digest (EdDSA) in base64url. */
#define IDTOKEN_AT_HASH_MAX 43

/* What one ID token says besides iss, aud (the client's id), exp and iat. */
struct idtoken {
	const struct store_client *client; /* aud; its id_token_alg chooses the signature */
	const char *sub;                   /* the user's id */
	int64_t auth_time;                 /* when the person signed in */
	const char *amr;               /* how (factors.h: "pwd otp mfa"): amr and acr; NULL / "": neither */
	const char *nonce;             /* the authorization request's, or NULL / "" */
	const char *access_token;      /* issued with it, for at_hash; or NULL */
	const struct store_user *user; /* the person, for the claims scope grants; or NULL */
	const char *scope;             /* the grant's scope */
};

/* The JWA an ID token for c is signed with: its id_token_alg, or "RS256" when empty. */
const char *idtoken_alg(const struct store_client *c);

/*
 * at_hash of access_token for an ID token signed with alg (OIDC Core
 * §3.1.3.6): the base64url of the left half of the hash of the token's ASCII,
 * the hash being the one of alg (SHA-256 for RS256/PS256/ES256, SHA-384 and
 * SHA-512 for the 384 and 512 variants) and SHA-512 for EdDSA (Ed25519 signs
 * with SHA-512; the spec predates EdDSA, and oidc-provider and others use
 * SHA-512 there). 0, or -1 for an alg it does not know.
 */
int idtoken_at_hash(const char *alg, const char *access_token, char out[IDTOKEN_AT_HASH_MAX + 1]);

/*
 * Sign the ID token of it at time now (exp: now + cfg->token_ttl) with t's RNG.
 * JOSE_OK with a malloc'd compact JWS in *token (free()), or the keyring's
 * error (JOSE_E_ARG when it cannot sign the client's alg).
 */
jose_err idtoken_sign(app_thread *t, const struct idtoken *it, int64_t now, char **token);

#endif
