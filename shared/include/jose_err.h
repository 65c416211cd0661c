/*
 * jose_err.h: the one error enum of the JOSE core, and its strings.
 *
 * Two bands, kept apart on purpose (a caller must never mistake one for the other):
 *   - JOSE_E_ARG .. JOSE_E_INTERNAL: the *call* failed (bad argument, out of memory,
 *     a crypto library fault). Nothing is known about the token.
 *   - JOSE_E_JWS_INVALID ..: a *verdict*: the token, key or key set is invalid, and
 *     why. Each maps to one of jose's error codes (byte for byte), which
 *     the CLI, the issuer and the WASM package all print unchanged.
 * All strings live in err.c.
 */
#ifndef JOSE_ERR_H
#define JOSE_ERR_H

#include <stddef.h>

typedef enum jose_err {
	JOSE_OK = 0,

	/* Band 1: the call failed. */
	JOSE_E_ARG = 1,  /* a NULL pointer or an option out of range */
	JOSE_E_NOMEM,    /* an allocation failed */
	JOSE_E_INTERNAL, /* wolfCrypt or cJSON failed in a way input cannot cause */

	/* Band 2: verdicts. Values are stable; append only. */
	JOSE_E_JWS_INVALID = 100, /* ERR_JWS_INVALID: not a well-formed compact JWS */
	JOSE_E_JWT_INVALID,       /* ERR_JWT_INVALID: payload is not a JSON object */
	JOSE_E_SIG_FAILED,        /* ERR_JWS_SIGNATURE_VERIFICATION_FAILED */
	JOSE_E_JWT_EXPIRED,       /* ERR_JWT_EXPIRED (exp, or iat with max age) */
	JOSE_E_CLAIM,             /* ERR_JWT_CLAIM_VALIDATION_FAILED (see .claim) */
	JOSE_E_ALG_NOT_ALLOWED,   /* ERR_JOSE_ALG_NOT_ALLOWED */
	JOSE_E_NO_MATCHING_KEY,   /* ERR_JWKS_NO_MATCHING_KEY */
	JOSE_E_MULTIPLE_KEYS,     /* ERR_JWKS_MULTIPLE_MATCHING_KEYS */
	JOSE_E_JWK_INVALID,       /* ERR_JWK_INVALID: a key is malformed or too weak */
	JOSE_E_JWKS_INVALID,      /* ERR_JWKS_INVALID: the key set itself is malformed */
	JOSE_E_NOT_SUPPORTED,     /* ERR_JOSE_NOT_SUPPORTED: crit, b64=false, … */
} jose_err;

/*
 * Why a verdict was reached: filled by the verify and import functions when they
 * return a band-2 error. All pointers are to static strings: nothing to free, and
 * safe to keep after the call.
 */
typedef struct jose_fail {
	jose_err err;
	const char *reason; /* one human sentence, e.g. "\"exp\" claim timestamp check failed" */
	const char *claim;  /* for JOSE_E_CLAIM / JOSE_E_JWT_EXPIRED: "exp", "aud", …; else NULL */
} jose_fail;

/* The jose code string for err ("ERR_JWS_INVALID"); "ERR_INTERNAL" etc. for band 1. */
const char *jose_err_code(jose_err err);

/* A generic one-line message for err, used when no specific reason was recorded. */
const char *jose_err_message(jose_err err);

/*
 * Record a verdict in why (when not NULL): reason NULL means the generic
 * message of err; claim may be NULL. Returns err, so callers can write
 * `return jose_fail_set(why, JOSE_E_CLAIM, "…", "exp");`.
 */
jose_err jose_fail_set(jose_fail *why, jose_err err, const char *reason, const char *claim);

/* Non-zero when err is a verdict about the input (band 2), zero for call failures. */
int jose_err_is_verdict(jose_err err);

#endif
