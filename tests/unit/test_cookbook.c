/*
 * test_cookbook.c: known-answer JWS tests from the specifications themselves:
 *  - RFC 7520 ("JOSE Cookbook") §4.1 RS256, §4.2 PS384, §4.3 ES512, §4.4 HS256,
 *    §4.6 and §4.7, RFC 8037 Appendix A.4 Ed25519 and RFC 7797 §4.2 b64=false,
 *    read from tests/vectors/jose-cookbook/ (their license beside them);
 *  - RFC 7515 Appendix A.1 (HS256) and A.3 (ES256), short enough to embed.
 *
 * Why: tokens made by other implementations from the RFCs' own keys prove we
 * interoperate, not merely agree with ourselves; and the A.1 token doubles as a
 * JWT with a known "exp" to pin the expiry boundary (RFC 7519 §4.1.4).
 *
 * Each cookbook file gives the JWK (input.key) and the token (output.compact,
 * or for §4.6, §4.7 and RFC 7797, built from output.json_flat). Verification
 * sets refuse private material, so d, p, q, dp, dq, qi, oth are stripped from
 * asymmetric keys (and the unstripped key is checked to be refused); oct keys
 * are the secret itself and stay as they are. Payloads are not JSON here, so
 * jose_jws_verify is used, never the JWT function.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "../test.h"
#include "jose.h"

/* Largest cookbook file read. */

/* ---- files and JSON helpers ------------------------------------------------ */

static const cJSON *jget(const cJSON *obj, const char *path)
{
	char name[64];
	while (obj && *path) {
		size_t n = strcspn(path, ".");
		if (n >= sizeof name)
			return NULL;
		memcpy(name, path, n);
		name[n] = '\0';
		obj = cJSON_GetObjectItemCaseSensitive(obj, name);
		path += n + (path[n] == '.');
	}
	return obj;
}

static const char *jstr(const cJSON *obj, const char *path)
{
	const cJSON *v = jget(obj, path);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Parse jose-cookbook/rel of the vectors; a failed check and NULL when it cannot. */
static cJSON *load_cookbook(const char *rel)
{
	char path[256];
	snprintf(path, sizeof path, "jose-cookbook/%s", rel);
	char *text = t_read_vector(path);
	if (!text)
		return NULL;
	cJSON *doc = cJSON_Parse(text);
	free(text);
	T_CHECK(doc != NULL, "cookbook %s: file parses as JSON", rel);
	return doc;
}

static const char *code(jose_err err)
{
	return err == JOSE_OK ? "JOSE_OK" : jose_err_code(err);
}

/* ---- key sets and verification --------------------------------------------- */

static jose_err import_text(const char *json, jose_jwks **set)
{
	jose_fail why = {0};
	*set = NULL;
	return json ? jose_jwks_import(json, strlen(json), set, &why) : JOSE_E_ARG;
}

/* Verify token with set (all algorithms allowed); on success copy out the payload. */
static jose_err verify(const jose_jwks *set, const char *token, char **payload, jose_fail *why)
{
	jose_jws out;
	memset(&out, 0, sizeof out);
	jose_err err = jose_jws_verify(set, 0, token, strlen(token), &out, why);
	if (err == JOSE_OK && payload) {
		*payload = malloc(out.payload_len + 1);
		if (*payload) {
			memcpy(*payload, out.payload, out.payload_len);
			(*payload)[out.payload_len] = '\0';
		}
	}
	if (err == JOSE_OK)
		jose_jws_clear(&out);
	return err;
}

/*
 * A copy of token with one character in the middle of the signature changed:
 * the decoded signature changes and the encoding stays canonical, so the only
 * acceptable answer is JOSE_E_SIG_FAILED.
 */
static char *tamper_signature(const char *token)
{
	const char *dot = strrchr(token, '.');
	char *copy = malloc(strlen(token) + 1);
	if (!copy || !dot || strlen(dot) < 12) {
		free(copy);
		return NULL;
	}
	strcpy(copy, token);
	size_t at = (size_t)(dot - token) + 6;
	copy[at] = copy[at] == 'A' ? 'B' : 'A';
	return copy;
}

/* ---- RFC 7520 / RFC 8037 / RFC 7797 files ---------------------------------- */

typedef enum {
	TOK_COMPACT,  /* output.compact */
	TOK_FLAT,     /* output.json_flat: protected (or empty) . payload . signature */
	TOK_DETACHED, /* output.json_flat with a detached payload: protected . . signature */
} token_form;

static const struct cookbook_case {
	const char *file; /* under $VECTORS/jose-cookbook/ */
	token_form form;
	jose_err want;
	const char *what;
} COOKBOOK[] = {
    {"jws/4_1.rsa_v15_signature.json", TOK_COMPACT, JOSE_OK, "RFC 7520 4.1 RS256"},
    {"jws/4_2.rsa-pss_signature.json", TOK_COMPACT, JOSE_OK, "RFC 7520 4.2 PS384"},
    {"jws/4_3.ecdsa_signature.json", TOK_COMPACT, JOSE_OK, "RFC 7520 4.3 ES512"},
    {"jws/4_4.hmac-sha2_integrity_protection.json", TOK_COMPACT, JOSE_OK, "RFC 7520 4.4 HS256"},
    /*
     * §4.6 puts "kid" in the unprotected header, which compact serialization cannot
     * carry; the signature covers only protected.payload, so the compact form
     * without the kid is the same signed token, and the one key matches by alg.
     */
    {"jws/4_6.protecting_specific_header_fields.json", TOK_FLAT, JOSE_OK,
     "RFC 7520 4.6 HS256, kid unprotected (compact form drops it)"},
    /*
     * §4.7 has no protected header at all: "alg" is only in the unprotected
     * header, so its compact form starts with an empty header part and cannot
     * name an algorithm. It must be refused as malformed, never verified.
     */
    {"jws/4_7.protecting_content_only.json", TOK_FLAT, JOSE_E_JWS_INVALID,
     "RFC 7520 4.7 no protected header, so no alg in compact form"},
    {"curve25519/jws.json", TOK_COMPACT, JOSE_OK, "RFC 8037 A.4 Ed25519"},
    /*
     * RFC 7797 §4.2 is JSON-only: its payload "$.02" contains a '.', so the
     * compact form is the detached one (RFC 7797 §5.2, RFC 7515 Appendix F).
     * The design rejects b64=false outright: JOSE_E_NOT_SUPPORTED.
     */
    {"rfc7797/4.2.hmac-sha2_b64_false.json", TOK_DETACHED, JOSE_E_NOT_SUPPORTED,
     "RFC 7797 4.2 b64=false must be refused as not supported"},
};

/* input.key without private members (kept as is for oct), as new JSON text. */
static char *public_jwk(const cJSON *doc)
{
	static const char *const priv[] = {"d", "p", "q", "dp", "dq", "qi", "oth"};
	cJSON *key = cJSON_Duplicate(jget(doc, "input.key"), 1);
	const char *kty = jstr(doc, "input.key.kty");
	char *text = NULL;
	if (!key || !kty)
		goto out;
	for (size_t i = 0; strcmp(kty, "oct") != 0 && i < sizeof priv / sizeof priv[0]; i++)
		cJSON_DeleteItemFromObjectCaseSensitive(key, priv[i]);
	text = cJSON_PrintUnformatted(key);
out:
	cJSON_Delete(key);
	return text;
}

/* The compact token of a case, as new text, or NULL when the file lacks it. */
static char *case_token(const cJSON *doc, token_form form)
{
	const char *prot = jstr(doc, "output.json_flat.protected");
	const char *payload = form == TOK_DETACHED ? "" : jstr(doc, "output.json_flat.payload");
	const char *sig = jstr(doc, "output.json_flat.signature");
	if (form == TOK_COMPACT) {
		const char *compact = jstr(doc, "output.compact");
		char *copy = compact ? malloc(strlen(compact) + 1) : NULL;
		return copy ? strcpy(copy, compact) : NULL;
	}
	if (!payload || !sig)
		return NULL;
	prot = prot ? prot : "";
	size_t len = strlen(prot) + strlen(payload) + strlen(sig) + 3;
	char *tok = malloc(len);
	if (tok)
		snprintf(tok, len, "%s.%s.%s", prot, payload, sig);
	return tok;
}

/* Private key material must never enter a verification set (jose_jwk.h). */
static void check_private_refused(const struct cookbook_case *c, const cJSON *doc)
{
	const char *kty = jstr(doc, "input.key.kty");
	char *text;
	jose_jwks *set = NULL;
	if (!kty || strcmp(kty, "oct") == 0)
		return;
	text = cJSON_PrintUnformatted(jget(doc, "input.key"));
	jose_err err = import_text(text, &set);
	T_CHECK(err != JOSE_OK || jose_jwks_usable(set) == 0,
	        "%s: the private JWK (with d) is not usable for verification (import gave %s)", c->what,
	        code(err));
	jose_jwks_free(set);
	cJSON_free(text);
}

/* A valid token must verify to input.payload, and fail once its signature is touched. */
static void check_accepted(const struct cookbook_case *c, const cJSON *doc, const jose_jwks *set,
                           const char *token)
{
	char *payload = NULL;
	jose_fail why = {0};
	jose_err err = verify(set, token, &payload, &why);
	const char *want = jstr(doc, "input.payload");
	T_CHECK(err == JOSE_OK, "%s: verifies (got %s%s%s)", c->what, code(err), why.reason ? ": " : "",
	        why.reason ? why.reason : "");
	if (err == JOSE_OK)
		T_CHECK(payload && want && strcmp(payload, want) == 0, "%s: payload equals input.payload",
		        c->what);
	free(payload);
	char *bad = tamper_signature(token);
	err = bad ? verify(set, bad, NULL, &why) : JOSE_E_ARG;
	T_CHECK(err == JOSE_E_SIG_FAILED,
	        "%s: a changed signature byte gives ERR_JWS_SIGNATURE_VERIFICATION_FAILED (got %s)", c->what,
	        code(err));
	free(bad);
}

static void run_cookbook_case(const struct cookbook_case *c)
{
	cJSON *doc = load_cookbook(c->file);
	char *jwk = NULL, *token = NULL;
	jose_jwks *set = NULL;
	if (!doc)
		return;
	jwk = public_jwk(doc);
	token = case_token(doc, c->form);
	jose_err err = import_text(jwk, &set);
	T_CHECK(err == JOSE_OK && jose_jwks_usable(set) == 1,
	        "%s: public JWK imports as one usable key (got %s)", c->what, code(err));
	T_CHECK(token != NULL, "%s: the file holds the token parts", c->what);
	if (set && token && c->want == JOSE_OK) {
		check_accepted(c, doc, set, token);
	} else if (set && token) {
		jose_fail why = {0};
		err = verify(set, token, NULL, &why);
		T_CHECK(err == c->want, "%s: gives %s (got %s)", c->what, code(c->want), code(err));
	}
	check_private_refused(c, doc);
	jose_jwks_free(set);
	cJSON_free(jwk);
	free(token);
	cJSON_Delete(doc);
}

/* ---- RFC 7515 Appendix A.1 and A.3, embedded -------------------------------- */

/* RFC 7515 A.1.1: the HMAC key (JWK) and the resulting HS256 compact JWS. */
static const char A1_JWK[] = "{\"kty\":\"oct\",\"k\":\"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-"
                             "1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow\"}";
static const char A1_TOKEN[] =
    "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9."
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0"
    "cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
/* RFC 7515 A.1.1: the JWS Payload bytes (with its CR LF line breaks). */
static const char A1_PAYLOAD[] =
    "{\"iss\":\"joe\",\r\n \"exp\":1300819380,\r\n \"http://example.com/is_root\":true}";
#define A1_EXP INT64_C(1300819380)

/* RFC 7515 A.3.1: the P-256 public key (x, y of the JWK; d left out) and the ES256 JWS. */
static const char A3_JWK[] = "{\"kty\":\"EC\",\"crv\":\"P-256\","
                             "\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
                             "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}";
static const char A3_TOKEN[] =
    "eyJhbGciOiJFUzI1NiJ9."
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0"
    "cnVlfQ.DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-"
    "Kg6NU1Q";
/*
 * The A.3 key with a corrupted y (a mis-transcription once made of it): the
 * point is not on P-256 (checked with an independent library), so import must
 * refuse it (invalid-curve attacks; jose_jwk.h checks the point).
 */
static const char A3_JWK_OFF_CURVE[] = "{\"kty\":\"EC\",\"crv\":\"P-256\","
                                       "\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
                                       "\"y\":\"x_FEzRu9m36HLN_tie__mfIc6T7Z9HxlW9q4jRPcrEU\"}";

/* jose_jwt_verify of token at time now (leeway s), returning the "iss" it saw. */
static jose_err jwt_at(const jose_jwks *set, const char *token, int64_t now, int64_t leeway, jose_fail *why,
                       int *iss_is_joe)
{
	jose_jwt_opts opts;
	jose_jwt jwt;
	memset(&opts, 0, sizeof opts);
	memset(&jwt, 0, sizeof jwt);
	opts.now = now;
	opts.leeway = leeway;
	jose_err err = jose_jwt_verify(set, &opts, token, strlen(token), &jwt, why);
	if (iss_is_joe) {
		const cJSON *iss =
		    err == JOSE_OK ? cJSON_GetObjectItemCaseSensitive(jwt.payload, "iss") : NULL;
		*iss_is_joe = cJSON_IsString(iss) && strcmp(iss->valuestring, "joe") == 0;
	}
	if (err == JOSE_OK)
		jose_jwt_clear(&jwt);
	return err;
}

/* RFC 7519 §4.1.4: valid strictly before exp, expired at and after it. */
static void check_a1_expiry(const jose_jwks *set)
{
	jose_fail why = {0};
	int joe = 0;
	jose_err err = jwt_at(set, A1_TOKEN, 1300819300, 0, &why, &joe);
	T_CHECK(err == JOSE_OK && joe, "RFC 7515 A.1 as a JWT at now=1300819300: valid, iss \"joe\" (got %s)",
	        code(err));
	err = jwt_at(set, A1_TOKEN, A1_EXP - 1, 0, &why, NULL);
	T_CHECK(err == JOSE_OK, "RFC 7515 A.1 as a JWT one second before exp: valid (got %s)", code(err));
	memset(&why, 0, sizeof why);
	err = jwt_at(set, A1_TOKEN, A1_EXP, 0, &why, NULL);
	T_CHECK(err == JOSE_E_JWT_EXPIRED, "RFC 7515 A.1 as a JWT at now == exp: ERR_JWT_EXPIRED (got %s)",
	        code(err));
	memset(&why, 0, sizeof why);
	err = jwt_at(set, A1_TOKEN, 1300819381, 0, &why, NULL);
	T_CHECK(err == JOSE_E_JWT_EXPIRED && why.claim && strcmp(why.claim, "exp") == 0,
	        "RFC 7515 A.1 as a JWT at now=1300819381: ERR_JWT_EXPIRED, claim \"exp\" (got %s, claim %s)",
	        code(err), why.claim ? why.claim : "NULL");
	err = jwt_at(set, A1_TOKEN, A1_EXP, 1, &why, NULL);
	T_CHECK(err == JOSE_OK, "RFC 7515 A.1 as a JWT at now == exp with 1 s leeway: valid (got %s)",
	        code(err));
}

static void run_rfc7515_a1(void)
{
	jose_jwks *set = NULL;
	jose_fail why = {0};
	char *payload = NULL;
	jose_err err = import_text(A1_JWK, &set);
	T_CHECK(err == JOSE_OK, "RFC 7515 A.1: the 64-byte oct JWK imports (got %s)", code(err));
	if (err != JOSE_OK)
		return;
	err = verify(set, A1_TOKEN, &payload, &why);
	T_CHECK(err == JOSE_OK, "RFC 7515 A.1: HS256 JWS verifies (got %s)", code(err));
	T_CHECK(payload && strcmp(payload, A1_PAYLOAD) == 0,
	        "RFC 7515 A.1: payload bytes are those of A.1.1");
	free(payload);
	jose_jws out;
	memset(&out, 0, sizeof out);
	err = jose_jws_verify(set, JOSE_ALG_BIT(JOSE_ALG_RS256), A1_TOKEN, strlen(A1_TOKEN), &out, &why);
	T_CHECK(err == JOSE_E_ALG_NOT_ALLOWED,
	        "RFC 7515 A.1: HS256 outside an RS256-only allowlist is refused (got %s)", code(err));
	if (err == JOSE_OK)
		jose_jws_clear(&out);
	check_a1_expiry(set);
	jose_jwks_free(set);
}

static void run_rfc7515_a3(void)
{
	jose_jwks *set = NULL;
	jose_fail why = {0};
	char *payload = NULL;
	int joe = 0;
	jose_err err = import_text(A3_JWK, &set);
	T_CHECK(err == JOSE_OK, "RFC 7515 A.3: the P-256 public JWK imports (got %s)", code(err));
	if (err == JOSE_OK) {
		err = verify(set, A3_TOKEN, &payload, &why);
		T_CHECK(err == JOSE_OK && payload && strcmp(payload, A1_PAYLOAD) == 0,
		        "RFC 7515 A.3: ES256 JWS verifies, payload as in A.1 (got %s)", code(err));
		err = jwt_at(set, A3_TOKEN, 1300819300, 0, &why, &joe);
		T_CHECK(err == JOSE_OK && joe, "RFC 7515 A.3 as a JWT at now=1300819300: valid (got %s)",
		        code(err));
	}
	free(payload);
	jose_jwks_free(set);
	err = import_text(A3_JWK_OFF_CURVE, &set);
	T_CHECK(err == JOSE_E_JWK_INVALID && set == NULL,
	        "RFC 7515 A.3 key with an off-curve y: ERR_JWK_INVALID (got %s)", code(err));
	jose_jwks_free(set);
}

int main(void)
{
	for (size_t i = 0; i < sizeof COOKBOOK / sizeof COOKBOOK[0]; i++)
		run_cookbook_case(&COOKBOOK[i]);
	run_rfc7515_a1();
	run_rfc7515_a3();
	T_DONE();
}
