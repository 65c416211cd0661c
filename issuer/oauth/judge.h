/*
 * judge.h: the verdict on a token this issuer signed, as /verify, /introspect and
 * /revoke need it: verified with the shared core against the published keys
 * (the same rules as the CLI and the WASM verifier; legacy HS256 tokens, without
 * iss, only for the legacy /verify and only when JWT_SECRET_KEY is set), then
 * looked up in the revocation list and the store:
 * a revoked jti is refused until the token's own expiry, a token whose client or
 * person was removed is refused as revoked, and a failed lookup fails closed
 * (unavailable).
 */
#ifndef ISSUER_OAUTH_JUDGE_H
#define ISSUER_OAUTH_JUDGE_H

#include <stddef.h>

#include "jose.h"
#include "runtime/app.h"

/* The outcome of judging one token. */
struct judge_verdict {
	jose_jwt jwt; /* header and payload when verified (jose_jwt_clear it) */
	jose_fail why;
	const char *code; /* NULL when valid; else jose's error code or "ERR_JWT_REVOKED" */
	const char *message;
	int unavailable; /* the store could not answer: the caller answers 503 */
};

/* Judge token[0..len) (aud checked when not NULL) into *v; failures are counted in /metrics.
 * legacy: also accept an HS256 token made with JWT_SECRET_KEY (the legacy /verify only:
 * the secret is shared with legacy callers, so it never vouches for a token anywhere else). */
void judge_token(app_thread *t, const char *token, size_t len, const char *aud, int legacy,
                 struct judge_verdict *v);

#endif
