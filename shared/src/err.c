/*
 * err.c: every string of the error enum, in one place (see jose_err.h).
 * The code strings are a contract: jose's codes, byte for byte, so a caller
 * moving from jose keeps its error handling.
 */
#include "inner.h"

static const struct {
	jose_err err;
	const char *code;
	const char *message;
} table[] = {
    {JOSE_OK, "OK", "success"},
    {JOSE_E_ARG, "ERR_INVALID_ARGUMENT", "invalid argument"},
    {JOSE_E_NOMEM, "ERR_OUT_OF_MEMORY", "out of memory"},
    {JOSE_E_INTERNAL, "ERR_INTERNAL", "internal error"},
    {JOSE_E_JWS_INVALID, "ERR_JWS_INVALID", "invalid compact JWS"},
    {JOSE_E_JWT_INVALID, "ERR_JWT_INVALID", "JWT Claims Set must be a top-level JSON object"},
    {JOSE_E_SIG_FAILED, "ERR_JWS_SIGNATURE_VERIFICATION_FAILED", "signature verification failed"},
    {JOSE_E_JWT_EXPIRED, "ERR_JWT_EXPIRED", "JWT expired"},
    {JOSE_E_CLAIM, "ERR_JWT_CLAIM_VALIDATION_FAILED", "claim validation failed"},
    {JOSE_E_ALG_NOT_ALLOWED, "ERR_JOSE_ALG_NOT_ALLOWED",
     "\"alg\" (Algorithm) Header Parameter value not allowed"},
    {JOSE_E_NO_MATCHING_KEY, "ERR_JWKS_NO_MATCHING_KEY", "no applicable key found in the JSON Web Key Set"},
    {JOSE_E_MULTIPLE_KEYS, "ERR_JWKS_MULTIPLE_MATCHING_KEYS",
     "multiple matching keys found in the JSON Web Key Set"},
    {JOSE_E_JWK_INVALID, "ERR_JWK_INVALID", "invalid JSON Web Key"},
    {JOSE_E_JWKS_INVALID, "ERR_JWKS_INVALID", "JSON Web Key Set malformed"},
    {JOSE_E_NOT_SUPPORTED, "ERR_JOSE_NOT_SUPPORTED", "not supported"},
};

static size_t find(jose_err err)
{
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
		if (table[i].err == err)
			return i;
	return 3; /* JOSE_E_INTERNAL: an unknown value is a bug, never a verdict */
}

/* see jose_err.h */
const char *jose_err_code(jose_err err)
{
	return table[find(err)].code;
}

/* see jose_err.h */
const char *jose_err_message(jose_err err)
{
	return table[find(err)].message;
}

/* see jose_err.h */
int jose_err_is_verdict(jose_err err)
{
	return err >= JOSE_E_JWS_INVALID && err <= JOSE_E_NOT_SUPPORTED;
}

/* see jose_err.h */
jose_err jose_fail_set(jose_fail *why, jose_err err, const char *reason, const char *claim)
{
	if (why) {
		why->err = err;
		why->reason = reason ? reason : jose_err_message(err);
		why->claim = claim;
	}
	return err;
}
