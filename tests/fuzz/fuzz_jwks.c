/*
 * fuzz_jwks.c: libFuzzer target for JWK and JWK Set import. The whole input is
 * the document given to jose_jwks_import; when it imports, the fixed tokens of
 * fuzz.h are verified against it (so a key the fuzzer mutates into a usable
 * but odd one meets real signatures: RSA, ECDSA P-256/P-521, Ed25519, HMAC).
 *
 * Promises checked (jose_jwk.h, jose_jws.h): import fails only with
 * JOSE_E_JWKS_INVALID, JOSE_E_JWK_INVALID or JOSE_E_NOMEM, leaves *out NULL
 * then, and says why; a set never holds more usable keys than
 * JOSE_JWKS_MAX_KEYS; verification against any imported set ends in a verdict
 * or OK, never JOSE_E_ARG or JOSE_E_INTERNAL.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "jose.h"

static void check_verdict(const char *what, jose_err e, const jose_fail *why)
{
	FUZZ_CHECK(e == JOSE_OK || e == JOSE_E_NOMEM || jose_err_is_verdict(e), "%s returned %s", what,
	           jose_err_code(e));
	if (jose_err_is_verdict(e))
		FUZZ_CHECK(why->err == e && why->reason != NULL, "%s returned %s but why says %s", what,
		           jose_err_code(e), jose_err_code(why->err));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	jose_jwks *set = (jose_jwks *)1; /* must be overwritten */
	jose_fail why = {0};
	jose_err e = jose_jwks_import((const char *)data, size, &set, &why);

	FUZZ_CHECK(e == JOSE_OK || e == JOSE_E_JWKS_INVALID || e == JOSE_E_JWK_INVALID || e == JOSE_E_NOMEM,
	           "jose_jwks_import returned %s", jose_err_code(e));
	if (e != JOSE_OK) {
		FUZZ_CHECK(set == NULL, "jose_jwks_import left a set on %s", jose_err_code(e));
		if (e != JOSE_E_NOMEM)
			FUZZ_CHECK(why.err == e && why.reason, "import returned %s, why says %s",
			           jose_err_code(e), jose_err_code(why.err));
		return 0;
	}
	FUZZ_CHECK(set != NULL && jose_jwks_usable(set) <= JOSE_JWKS_MAX_KEYS, "import: bad set");

	for (size_t i = 0; i < FUZZ_N_TOKENS; i++) {
		jose_jws jws;
		jose_fail w = {0};
		jose_err v = jose_jws_verify(set, 0, FUZZ_TOKENS[i], strlen(FUZZ_TOKENS[i]), &jws, &w);
		check_verdict("jose_jws_verify", v, &w);
		if (v == JOSE_OK)
			jose_jws_clear(&jws);
	}
	{ /* RFC 7515 A.1 as a JWT, at a time it is valid */
		jose_jwt_opts o = {.now = 1300819379};
		jose_jwt jwt;
		jose_fail w = {0};
		jose_err v = jose_jwt_verify(set, &o, FUZZ_TOKENS[0], strlen(FUZZ_TOKENS[0]), &jwt, &w);
		check_verdict("jose_jwt_verify", v, &w);
		if (v == JOSE_OK)
			jose_jwt_clear(&jwt);
	}
	jose_jwks_free(set);
	return 0;
}
