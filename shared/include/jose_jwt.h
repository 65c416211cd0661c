/*
 * jose_jwt.h: JWT verification (RFC 7519, RFC 8725): the signature through
 * jose_jws_verify, then the claims, with jose's jwtVerify option names and
 * meanings so behaviour is the same here, in the CLI and in the WASM package.
 *
 * Claim rules, in jose's order (so the same token gets the same code and claim
 * name): header "typ" equal to the expected one, ignoring case and an
 * "application/" prefix (RFC 8725 §3.11); presence of "iss", "sub", "aud" when
 * they are expected, of "iat" with a maximum age, then of the required claims
 * (last listed first, as jose checks them); "iss" equal (byte for byte) to one
 * of the accepted issuers; "sub" equal to the expected subject; "aud" (string
 * or array of strings) sharing one value with the accepted audiences; "iat",
 * "nbf", "exp" when present must be NumericDates (a string is an error, never
 * parsed); nbf > now + leeway is not yet valid; exp <= now - leeway is expired;
 * with a maximum age, now - iat - leeway must not exceed it and iat must not be
 * later than now + leeway. The payload must be a JSON object.
 */
#ifndef JOSE_JWT_H
#define JOSE_JWT_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "jose_jws.h"

/* Options of a verification. Zero-initialise, then set what you need. */
typedef struct jose_jwt_opts {
	uint32_t algs;       /* allowlist mask; 0 = all supported */
	int64_t now;         /* the caller's clock, Unix seconds */
	int64_t leeway;      /* seconds of clock tolerance (negative: stricter, as jose allows) */
	double leeway_frac;  /* added to leeway: jose's clockTolerance may be any number (1.5) */
	int64_t max_age;     /* seconds; < 0 (iat still required) or has_max_age == 0: unchecked */
	double max_age_frac; /* added to max_age, likewise */
	int has_max_age;
	const char *const *issuers; /* accepted "iss" values, or NULL */
	size_t n_issuers;
	const char *const *audiences; /* accepted "aud" values, or NULL */
	size_t n_audiences;
	const char *subject;         /* expected "sub", or NULL */
	const char *typ;             /* expected header "typ", or NULL */
	const char *const *required; /* claims that must be present */
	size_t n_required;
} jose_jwt_opts;

/* A verified JWT. Free with jose_jwt_clear. */
typedef struct jose_jwt {
	cJSON *header;
	cJSON *payload;
	jose_alg alg;
	size_t key_index; /* position in the key set document of the key that verified */
} jose_jwt;

/*
 * Verify a compact JWT against keys and opts. On JOSE_OK, out owns the parsed
 * header and claims; otherwise out is zeroed and why says what failed.
 */
jose_err jose_jwt_verify(const jose_jwks *keys, const jose_jwt_opts *opts, const char *token, size_t len,
                         jose_jwt *out, jose_fail *why);

/*
 * Check the claims of an already signature-verified JWT (header and payload
 * parsed). Exposed for the issuer, which verifies its own tokens' signatures
 * once and checks claims per request. Returns JOSE_OK or a verdict.
 */
jose_err jose_jwt_check_claims(const cJSON *header, const cJSON *payload, const jose_jwt_opts *opts,
                               jose_fail *why);

/*
 * The claims' JSON text text[0..len) strictly parsed, then checked as
 * jose_jwt_check_claims does: the same verdicts, codes and reasons as
 * jose_jwt_verify gives after the signature, building only the members the
 * rules read. For callers that hand the claims on as text (the WebAssembly
 * package, whose JavaScript parses them for the caller).
 */
jose_err jose_jwt_check_claims_text(const cJSON *header, const uint8_t *text, size_t len,
                                    const jose_jwt_opts *opts, jose_fail *why);

/* Free what jose_jwt_verify put in jwt, and zero it. */
void jose_jwt_clear(jose_jwt *jwt);

/*
 * 1 when the "aud" claim value aud (a string, or an array of strings: RFC 7519
 * §4.1.3) holds a string for which accept(ctx, value) returns non-zero; 0
 * otherwise, and for NULL or any other JSON type. The one reading of "aud" that
 * claim checks, introspection and logout hints share.
 */
int jose_jwt_aud_any(const cJSON *aud, int (*accept)(void *ctx, const char *value), void *ctx);

#endif
