/*
 * fuzz_jwt.c: libFuzzer target for token verification. Input: one option byte
 * (which claim checks and which clock, see opts_of), then the token bytes. The
 * token goes through jose_jwt_verify, jose_jws_verify and jose_jws_decode
 * against the fixed key set of fuzz.h, with every algorithm allowed.
 *
 * Promises checked (jose_err.h, jose_jws.h, jose_jwt.h): no input makes a call
 * fail (JOSE_E_ARG, JOSE_E_INTERNAL); every verdict comes with its why; outputs
 * are zeroed on error; the JWT verdict agrees with the JWS one (a token the JWS
 * layer refuses is refused by the JWT layer with the same error, and a JWT the
 * JWT layer accepts passes the JWS layer and decodes to the same header).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "jose.h"

static jose_jwks *keys;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	jose_fail why = {0};

	(void)argc, (void)argv;
	if (jose_jwks_import(FUZZ_JWKS, strlen(FUZZ_JWKS), &keys, &why) != JOSE_OK || jose_jwks_usable(keys) != 6) {
		fprintf(stderr, "fuzz_jwt: the fixed key set does not import: %s\n", why.reason ? why.reason : "?");
		abort();
	}
	return 0;
}

/*
 * Option byte: bits 0-1 the clock (1700000100, 1300819379 when the RFC 7515
 * examples are valid, 4102444800 = the seeds' exp, 0); bit 2 a 60 s leeway;
 * bit 3 the accepted issuers; bit 4 the audiences; bit 5 the subject; bit 6 the
 * typ "JWT"; bit 7 a 3600 s maximum age and required jti and iat.
 */
static void opts_of(uint8_t b, jose_jwt_opts *o)
{
	static const int64_t clocks[4] = {1700000100, 1300819379, 4102444800, 0};
	static const char *const iss[] = {"https://issuer.example", "joe"};
	static const char *const aud[] = {"api", "other"};
	static const char *const req[] = {"jti", "iat"};

	memset(o, 0, sizeof *o);
	o->algs = 0; /* every supported algorithm */
	o->now = clocks[b & 3];
	o->leeway = b & 4 ? 60 : 0;
	if (b & 8)
		o->issuers = iss, o->n_issuers = 2;
	if (b & 16)
		o->audiences = aud, o->n_audiences = 2;
	if (b & 32)
		o->subject = "svc";
	if (b & 64)
		o->typ = "JWT";
	if (b & 128)
		o->has_max_age = 1, o->max_age = 3600, o->required = req, o->n_required = 2;
}

/* A call may fail only by running out of memory; anything else is a verdict with its why. */
static void check_outcome(const char *what, jose_err e, const jose_fail *why)
{
	FUZZ_CHECK(e == JOSE_OK || e == JOSE_E_NOMEM || jose_err_is_verdict(e), "%s returned %s", what,
	           jose_err_code(e));
	if (jose_err_is_verdict(e))
		FUZZ_CHECK(why->err == e && why->reason != NULL, "%s returned %s but why says %s", what,
		           jose_err_code(e), jose_err_code(why->err));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	jose_jwt_opts o;
	jose_jwt jwt;
	jose_jws jws;
	jose_fail why_jwt = {0}, why_jws = {0}, why_dec = {0};
	cJSON *hdr = NULL, *payload = NULL;
	const char *tok;
	size_t n;
	jose_err e_jwt, e_jws, e_dec;

	if (size < 1)
		return 0;
	opts_of(data[0], &o);
	tok = (const char *)data + 1, n = size - 1;

	e_jwt = jose_jwt_verify(keys, &o, tok, n, &jwt, &why_jwt);
	check_outcome("jose_jwt_verify", e_jwt, &why_jwt);
	if (e_jwt != JOSE_OK)
		FUZZ_CHECK(!jwt.header && !jwt.payload, "jose_jwt_verify left output on %s", jose_err_code(e_jwt));
	else
		FUZZ_CHECK(cJSON_IsObject(jwt.header) && cJSON_IsObject(jwt.payload) && jwt.alg < JOSE_ALG_COUNT,
		           "jose_jwt_verify: OK without an object header and payload");

	e_jws = jose_jws_verify(keys, JOSE_ALGS_ALL, tok, n, &jws, &why_jws);
	check_outcome("jose_jws_verify", e_jws, &why_jws);
	if (e_jws != JOSE_OK)
		FUZZ_CHECK(!jws.header && !jws.payload && !jws.payload_len, "jose_jws_verify left output on %s",
		           jose_err_code(e_jws));
	else
		FUZZ_CHECK(jws.payload && jws.payload[jws.payload_len] == 0, "payload not NUL-terminated");
	if (e_jws != JOSE_OK && e_jws != JOSE_E_NOMEM && e_jwt != JOSE_E_NOMEM)
		FUZZ_CHECK(e_jwt == e_jws, "JWS says %s, JWT says %s", jose_err_code(e_jws), jose_err_code(e_jwt));
	if (e_jwt == JOSE_OK && e_jws != JOSE_E_NOMEM)
		FUZZ_CHECK(e_jws == JOSE_OK && jws.alg == jwt.alg, "JWT accepted, JWS says %s", jose_err_code(e_jws));

	e_dec = jose_jws_decode(tok, n, &hdr, &payload, &why_dec);
	check_outcome("jose_jws_decode", e_dec, &why_dec);
	if (e_dec != JOSE_OK)
		FUZZ_CHECK(!hdr && !payload, "jose_jws_decode left output on %s", jose_err_code(e_dec));
	if (e_jws == JOSE_OK && e_dec != JOSE_E_NOMEM)
		FUZZ_CHECK(e_dec == JOSE_OK && cJSON_Compare(hdr, jws.header, 1),
		           "verified token does not decode to the same header (%s)", jose_err_code(e_dec));
	if (e_jwt == JOSE_OK && e_dec == JOSE_OK)
		FUZZ_CHECK(cJSON_Compare(payload, jwt.payload, 1), "decoded payload differs from the verified one");

	cJSON_Delete(hdr);
	cJSON_Delete(payload);
	if (e_jws == JOSE_OK)
		jose_jws_clear(&jws);
	if (e_jwt == JOSE_OK)
		jose_jwt_clear(&jwt);
	return 0;
}
