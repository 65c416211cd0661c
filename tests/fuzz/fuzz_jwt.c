/*
 * fuzz_jwt.c: libFuzzer target for token verification. Input: an option byte
 * (which claim checks and which clock, see opts_of), a mode byte (see
 * resign), then the token bytes. The token goes through jose_jwt_verify,
 * jose_jws_verify and jose_jws_decode against the fixed key set of fuzz.h,
 * with every algorithm allowed.
 *
 * Claims are only read after the signature verifies, and no mutation of a
 * signed token keeps its signature: so in re-sign mode the harness replaces the
 * signature segment with the HMAC of the rest under the set's oct key (RFC 7515
 * A.1), and the header and claim rules behind the signature check are fuzzed
 * too.
 *
 * Promises checked (jose_err.h, jose_jws.h, jose_jwt.h): no input makes a call
 * fail (JOSE_E_ARG, JOSE_E_INTERNAL); every verdict comes with its why; outputs
 * are zeroed on error; the JWT verdict agrees with the JWS one (a token the JWS
 * layer refuses is refused by the JWT layer with the same error, and a JWT the
 * JWT layer accepts passes the JWS layer and decodes to the same header); the
 * allowlist decides (RFC 8725 §3.1): a token that verifies is refused with
 * JOSE_E_ALG_NOT_ALLOWED by every allowlist without its algorithm, and still
 * verifies with an allowlist of that algorithm alone.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <wolfssl/wolfcrypt/settings.h>
#include <wolfssl/wolfcrypt/hmac.h>

#include "fuzz.h"
#include "jose.h"

/* The oct key of FUZZ_JWKS (RFC 7515 A.1.1 "k"), decoded. */
static const char OCT_K[] =
    "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow";
static uint8_t oct[64];
static size_t oct_len;

static jose_jwks *keys;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	jose_fail why = {0};

	(void)argc, (void)argv;
	if (jose_jwks_import(FUZZ_JWKS, strlen(FUZZ_JWKS), &keys, &why) != JOSE_OK ||
	    jose_jwks_usable(keys) != 6) {
		fprintf(stderr, "fuzz_jwt: the fixed key set does not import: %s\n",
		        why.reason ? why.reason : "?");
		abort();
	}
	if (jose_b64url_decode(oct, sizeof oct, &oct_len, OCT_K, strlen(OCT_K)) != 0) {
		fprintf(stderr, "fuzz_jwt: bad oct key\n");
		abort();
	}
	return 0;
}

/*
 * Mode byte: bit 0 set: re-sign, i.e. replace everything after the last '.'
 * with the base64url HMAC (bits 1-2: 0 or 3 SHA-256, 1 SHA-384, 2 SHA-512) of
 * everything before it. Returns the token to verify in a new exact-size block
 * (so ASan sees any read past its end), its length in *n; NULL when out of memory.
 */
static char *resign(uint8_t mode, const char *in, size_t len, size_t *n)
{
	static const int types[4] = {WC_SHA256, WC_SHA384, WC_SHA512, WC_SHA256};
	static const size_t sizes[4] = {32, 48, 64, 32};
	const char *dot = NULL;
	uint8_t mac[64];
	char enc[JOSE_B64URL_ENCODED_LEN(64) + 1], *out;
	Hmac h;
	size_t head, sig;
	int ok;

	for (size_t i = len; i > 0 && !dot; i--)
		if (in[i - 1] == '.')
			dot = in + i - 1;
	if (!(mode & 1) || !dot) {
		if ((out = malloc(len ? len : 1)))
			memcpy(out, in, len), *n = len;
		return out;
	}
	head = (size_t)(dot - in);
	ok = wc_HmacInit(&h, NULL, INVALID_DEVID) == 0;
	ok = ok && wc_HmacSetKey(&h, types[mode >> 1 & 3], oct, (word32)oct_len) == 0 &&
	     wc_HmacUpdate(&h, (const byte *)in, (word32)head) == 0 && wc_HmacFinal(&h, mac) == 0;
	wc_HmacFree(&h);
	FUZZ_CHECK(ok, "wolfCrypt HMAC failed");
	sig = JOSE_B64URL_ENCODED_LEN(sizes[mode >> 1 & 3]);
	FUZZ_CHECK(jose_b64url_encode(enc, sizeof enc, mac, sizes[mode >> 1 & 3]) == sig, "encode");
	if (!(out = malloc(head + 1 + sig)))
		return NULL;
	memcpy(out, in, head + 1);
	memcpy(out + head + 1, enc, sig);
	*n = head + 1 + sig;
	return out;
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

/* A token that verified under alg: refused without alg, accepted with alg alone. */
static void check_allowlist(const char *tok, size_t n, jose_alg alg)
{
	jose_jws again;
	jose_fail why = {0};
	jose_err e = jose_jws_verify(keys, JOSE_ALGS_ALL & ~JOSE_ALG_BIT(alg), tok, n, &again, &why);

	FUZZ_CHECK(e == JOSE_E_ALG_NOT_ALLOWED || e == JOSE_E_NOMEM,
	           "%s token verified without %s allowed: %s", jose_alg_name(alg), jose_alg_name(alg),
	           jose_err_code(e));
	e = jose_jws_verify(keys, JOSE_ALG_BIT(alg), tok, n, &again, &why);
	FUZZ_CHECK(e == JOSE_OK || e == JOSE_E_NOMEM, "%s token refused with only %s allowed: %s",
	           jose_alg_name(alg), jose_alg_name(alg), jose_err_code(e));
	if (e == JOSE_OK)
		jose_jws_clear(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	jose_jwt_opts o;
	jose_jwt jwt;
	jose_jws jws;
	jose_fail why_jwt = {0}, why_jws = {0}, why_dec = {0};
	cJSON *hdr = NULL, *payload = NULL;
	char *tok;
	size_t n = 0;
	jose_err e_jwt, e_jws, e_dec;

	if (size < 2)
		return 0;
	opts_of(data[0], &o);
	if (!(tok = resign(data[1], (const char *)data + 2, size - 2, &n)))
		return 0;

	e_jwt = jose_jwt_verify(keys, &o, tok, n, &jwt, &why_jwt);
	check_outcome("jose_jwt_verify", e_jwt, &why_jwt);
	if (e_jwt != JOSE_OK)
		FUZZ_CHECK(!jwt.header && !jwt.payload, "jose_jwt_verify left output on %s",
		           jose_err_code(e_jwt));
	else
		FUZZ_CHECK(cJSON_IsObject(jwt.header) && cJSON_IsObject(jwt.payload) &&
		               jwt.alg < JOSE_ALG_COUNT,
		           "jose_jwt_verify: OK without an object header and payload");

	e_jws = jose_jws_verify(keys, JOSE_ALGS_ALL, tok, n, &jws, &why_jws);
	check_outcome("jose_jws_verify", e_jws, &why_jws);
	if (e_jws != JOSE_OK)
		FUZZ_CHECK(!jws.header && !jws.payload && !jws.payload_len,
		           "jose_jws_verify left output on %s", jose_err_code(e_jws));
	else
		FUZZ_CHECK(jws.payload && jws.payload[jws.payload_len] == 0, "payload not NUL-terminated");
	if (e_jws != JOSE_OK && e_jws != JOSE_E_NOMEM && e_jwt != JOSE_E_NOMEM)
		FUZZ_CHECK(e_jwt == e_jws, "JWS says %s, JWT says %s", jose_err_code(e_jws),
		           jose_err_code(e_jwt));
	if (e_jwt == JOSE_OK && e_jws != JOSE_E_NOMEM)
		FUZZ_CHECK(e_jws == JOSE_OK && jws.alg == jwt.alg, "JWT accepted, JWS says %s",
		           jose_err_code(e_jws));

	if (e_jws == JOSE_OK)
		check_allowlist(tok, n, jws.alg);

	e_dec = jose_jws_decode(tok, n, &hdr, &payload, &why_dec);
	check_outcome("jose_jws_decode", e_dec, &why_dec);
	if (e_dec != JOSE_OK)
		FUZZ_CHECK(!hdr && !payload, "jose_jws_decode left output on %s", jose_err_code(e_dec));
	if (e_jws == JOSE_OK && e_dec != JOSE_E_NOMEM)
		FUZZ_CHECK(e_dec == JOSE_OK && fuzz_same_json(hdr, jws.header, 0),
		           "verified token does not decode to the same header (%s)", jose_err_code(e_dec));
	if (e_jwt == JOSE_OK && e_dec == JOSE_OK)
		FUZZ_CHECK(fuzz_same_json(payload, jwt.payload, 0),
		           "decoded payload differs from the verified one");

	cJSON_Delete(hdr);
	cJSON_Delete(payload);
	if (e_jws == JOSE_OK)
		jose_jws_clear(&jws);
	if (e_jwt == JOSE_OK)
		jose_jwt_clear(&jwt);
	free(tok);
	return 0;
}
