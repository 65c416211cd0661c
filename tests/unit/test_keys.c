/*
 * test_keys.c: the issuer's signing keys (issuer/keys.c, included to reach its
 * statics), checked against the JOSE core's verifier and against vectors that
 * come from the specifications, never from our own output alone:
 *  - RFC 7638 §3.1 (RSA thumbprint) and RFC 8037 A.3 (Ed25519 thumbprint);
 *  - RFC 8037 A.4: Ed25519 signing is deterministic, so signing the RFC's input
 *    with the RFC's seed must give the RFC's signature byte for byte;
 *  - RFC 7520 §4.1: same for RSASSA-PKCS1-v1_5 (from tests/vectors/).
 * For every algorithm: generate, sign a JWT, verify with jose_jwt_verify against
 * the key's public JWK; tampered tokens fail; export/import round trips; key
 * material that does not fit is refused; one key signs from several threads.
 */
#include <pthread.h>

#include "../../issuer/crypto/seal.c"
#include "../../issuer/keys/keys.c"
#include "../test.h"

#define NOW 1700000000

static const char *const ALL_ALGS[] = {"RS256", "RS384", "RS512", "PS256", "PS384",
                                       "PS512", "ES256", "ES384", "ES512", "EdDSA"};

static WC_RNG rng;

static const char *code(jose_err err)
{
	return err == JOSE_OK ? "JOSE_OK" : jose_err_code(err);
}

/* ---- helpers ----------------------------------------------------------------- */

/* A JWK Set holding k's public JWK. */
static jose_jwks *set_of(const keys_key *k)
{
	cJSON *jwk = NULL, *set = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(set, "keys");
	jose_jwks *out = NULL;
	char *text;

	if (keys_public_jwk(k, &jwk) != JOSE_OK || !arr) {
		cJSON_Delete(set);
		return NULL;
	}
	cJSON_AddItemToArray(arr, jwk);
	text = cJSON_PrintUnformatted(set);
	if (text)
		jose_jwks_import(text, strlen(text), &out, NULL);
	cJSON_free(text);
	cJSON_Delete(set);
	return out;
}

/* Verify token as a JWT from issuer "https://issuer.test" for audience "api". */
static jose_err verify_jwt(const jose_jwks *set, const char *alg, const char *typ, const char *token,
                           jose_jwt *out)
{
	static const char *const iss[] = {"https://issuer.test"}, *const aud[] = {"api"};
	jose_jwt_opts o = {.now = NOW, .issuers = iss, .n_issuers = 1, .audiences = aud, .n_audiences = 1};
	jose_jwt jwt;
	jose_err err;

	o.algs = JOSE_ALG_BIT(jose_alg_from_name(alg, strlen(alg)));
	o.typ = typ;
	memset(&jwt, 0, sizeof jwt);
	err = jose_jwt_verify(set, &o, token, strlen(token), out ? out : &jwt, NULL);
	if (!out)
		jose_jwt_clear(&jwt);
	return err;
}

static const char PAYLOAD[] = "{\"iss\":\"https://issuer.test\",\"sub\":\"alice\",\"aud\":\"api\","
                              "\"iat\":1700000000,\"exp\":1700000300}";

static char *sign(const keys_key *k, const char *extra)
{
	char *tok = NULL;

	keys_sign_jws(k, &rng, extra, PAYLOAD, strlen(PAYLOAD), &tok);
	return tok;
}

/* Copy of token with one base64url character at offset at (from the part's start) changed. */
static char *tamper(const char *token, int part, size_t at)
{
	char *copy = malloc(strlen(token) + 1);
	char *p;

	if (!copy)
		return NULL;
	strcpy(copy, token);
	p = copy;
	for (int i = 0; i < part && p; i++)
		p = strchr(p, '.') + 1;
	p += at;
	*p = *p == 'A' ? 'B' : 'A';
	return copy;
}

/* Decoded length of the signature part of token. */
static size_t sig_bytes(const char *token)
{
	const char *s = strrchr(token, '.') + 1;
	uint8_t buf[1024];
	size_t len = 0;

	return jose_b64url_decode(buf, sizeof buf, &len, s, strlen(s)) == 0 ? len : 0;
}

/* Private key of an already-checked alg, or NULL. */
static keys_key *gen(const char *alg)
{
	keys_key *k = NULL;
	jose_err err = keys_generate(alg, &rng, &k);

	T_CHECK(err == JOSE_OK && k, "%s: keys_generate (got %s)", alg, code(err));
	return k;
}

/* ---- per algorithm ----------------------------------------------------------- */

static size_t expected_sig_len(const char *alg)
{
	if (strcmp(alg, "ES256") == 0 || strcmp(alg, "EdDSA") == 0)
		return 64;
	if (strcmp(alg, "ES384") == 0)
		return 96;
	if (strcmp(alg, "ES512") == 0)
		return 132;
	return 256; /* RSA-2048 */
}

static void check_public_jwk(const char *alg, const keys_key *k)
{
	static const char *const priv[] = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"};
	char tp[KEYS_KID_LEN + 1] = "";
	cJSON *jwk = NULL;
	int clean = 1;

	T_CHECK(keys_public_jwk(k, &jwk) == JOSE_OK && jwk, "%s: public JWK", alg);
	for (size_t i = 0; i < sizeof priv / sizeof priv[0]; i++)
		clean &= jose_json_member(jwk, priv[i]) == NULL;
	T_CHECK(clean, "%s: public JWK has no private member (d, p, q, dp, dq, qi, oth, k)", alg);
	T_CHECK(jose_json_string(jwk, "alg") && strcmp(jose_json_string(jwk, "alg"), alg) == 0 &&
	            jose_json_string(jwk, "use") && strcmp(jose_json_string(jwk, "use"), "sig") == 0,
	        "%s: public JWK says alg %s and use sig", alg, alg);
	T_CHECK(strlen(keys_kid(k)) == KEYS_KID_LEN && jose_json_string(jwk, "kid") &&
	            strcmp(jose_json_string(jwk, "kid"), keys_kid(k)) == 0,
	        "%s: kid is 43 characters and in the JWK", alg);
	T_CHECK(keys_thumbprint_jwk(jwk, tp) == JOSE_OK && strcmp(tp, keys_kid(k)) == 0,
	        "%s: kid is the RFC 7638 thumbprint of the published JWK", alg);
	cJSON_Delete(jwk);
}

static void check_sign_verify(const char *alg, const keys_key *k, const jose_jwks *set)
{
	char *tok = sign(k, NULL), *bad;
	jose_jwt jwt;
	jose_err err;

	memset(&jwt, 0, sizeof jwt);
	T_CHECK(tok != NULL, "%s: keys_sign_jws", alg);
	if (!tok)
		return;
	err = verify_jwt(set, alg, "JWT", tok, &jwt);
	T_CHECK(err == JOSE_OK, "%s: jose_jwt_verify accepts the token (got %s)", alg, code(err));
	if (err == JOSE_OK) {
		const char *h_alg = jose_json_string(jwt.header, "alg"),
		           *kid = jose_json_string(jwt.header, "kid");
		const char *typ = jose_json_string(jwt.header, "typ"),
		           *sub = jose_json_string(jwt.payload, "sub");
		T_CHECK(h_alg && strcmp(h_alg, alg) == 0 && kid && strcmp(kid, keys_kid(k)) == 0 && typ &&
		            strcmp(typ, "JWT") == 0,
		        "%s: header has alg, kid and typ JWT", alg);
		T_CHECK(sub && strcmp(sub, "alice") == 0, "%s: payload round-trips", alg);
		jose_jwt_clear(&jwt);
	}
	T_CHECK(sig_bytes(tok) == expected_sig_len(alg), "%s: signature is exactly %zu bytes (got %zu)", alg,
	        expected_sig_len(alg), sig_bytes(tok));
	bad = tamper(tok, 2, 10);
	err = verify_jwt(set, alg, NULL, bad, NULL);
	T_CHECK(err == JOSE_E_SIG_FAILED, "%s: changed signature gives SIG_FAILED (got %s)", alg, code(err));
	free(bad);
	bad = tamper(tok, 1, 10);
	err = verify_jwt(set, alg, NULL, bad, NULL);
	T_CHECK(err == JOSE_E_SIG_FAILED, "%s: changed payload gives SIG_FAILED (got %s)", alg, code(err));
	free(bad);
	bad = tamper(tok, 0, 4);
	err = verify_jwt(set, alg, NULL, bad, NULL);
	T_CHECK(err != JOSE_OK, "%s: changed header is refused (got %s)", alg, code(err));
	free(bad);
	free(tok);
}

static void check_export_import(const char *alg, const keys_key *k, const jose_jwks *set)
{
	uint8_t *der = NULL, *der2 = NULL;
	size_t len = 0, len2 = 0;
	keys_key *k2 = NULL;
	char *tok;
	jose_err err;

	T_CHECK(keys_export_private(k, &der, &len) == JOSE_OK && der && len > 0, "%s: export", alg);
	T_CHECK(len > 2 && der[0] == 0x30, "%s: export is a DER SEQUENCE", alg);
	err = keys_import_private(alg, der, len, &k2);
	T_CHECK(err == JOSE_OK && k2, "%s: import of the export (got %s)", alg, code(err));
	if (!k2)
		goto out;
	T_CHECK(strcmp(keys_kid(k2), keys_kid(k)) == 0, "%s: imported key has the same kid", alg);
	T_CHECK(keys_export_private(k2, &der2, &len2) == JOSE_OK && len2 == len &&
	            memcmp(der, der2, len) == 0,
	        "%s: export is canonical (import then export gives the same bytes)", alg);
	tok = sign(k2, NULL);
	err = tok ? verify_jwt(set, alg, NULL, tok, NULL) : JOSE_E_ARG;
	T_CHECK(err == JOSE_OK, "%s: the imported key's token verifies with the original JWKS (got %s)", alg,
	        code(err));
	free(tok);
	/* The same DER under another algorithm of a different key type or curve. */
	const char *other = alg[0] == 'E' && alg[1] == 'S' ? (strcmp(alg, "ES256") ? "ES256" : "ES384")
	                    : alg[0] == 'E'                ? "ES256"
	                                                   : "EdDSA";
	keys_key *k3 = NULL;
	err = keys_import_private(other, der, len, &k3);
	T_CHECK(err == JOSE_E_JWK_INVALID && !k3, "%s: its DER imported as %s is JWK_INVALID (got %s)", alg,
	        other, code(err));
	keys_free(k3);
	/*
	 * The last byte is, for EC, the public point's y (now off the curve or not
	 * matching d); for RSA, the CRT coefficient qi (signatures come out wrong
	 * and the signature self-check refuses them); for Ed25519, the seed (a
	 * different, valid key).
	 */
	der[len - 1] ^= 1;
	err = keys_import_private(alg, der, len, &k3);
	if (strcmp(alg, "EdDSA") == 0)
		T_CHECK(err == JOSE_OK && strcmp(keys_kid(k3), keys_kid(k)) != 0,
		        "%s: a changed seed byte is another key, with another kid", alg);
	else
		T_CHECK(err == JOSE_E_JWK_INVALID && !k3,
		        "%s: a changed last byte (%s) is JWK_INVALID (got %s)", alg,
		        alg[0] == 'E' ? "public y" : "CRT qi", code(err));
	keys_free(k3);
	k3 = NULL;
	der[len - 1] ^= 1;
	err = keys_import_private(alg, der, len - 1, &k3);
	T_CHECK(err == JOSE_E_JWK_INVALID && !k3, "%s: truncated DER is JWK_INVALID (got %s)", alg,
	        code(err));
	keys_free(k3);
out:
	keys_free_der(der, len);
	keys_free_der(der2, len2);
	keys_free(k2);
}

static void check_alg(const char *alg)
{
	keys_key *k = gen(alg);
	jose_jwks *set;

	if (!k)
		return;
	T_CHECK(strcmp(keys_alg(k), alg) == 0, "%s: keys_alg", alg);
	check_public_jwk(alg, k);
	set = set_of(k);
	T_CHECK(set && jose_jwks_usable(set) == 1, "%s: the public JWK imports into the core", alg);
	if (set) {
		check_sign_verify(alg, k, set);
		check_export_import(alg, k, set);
	}
	jose_jwks_free(set);
	keys_free(k);
}

/* ---- RFC vectors ------------------------------------------------------------- */

/* RFC 7638 §3.1; the expected value is the RFC's (its bytes begin 55, 54, 203, 177). */
static void rfc7638(void)
{
	static const char jwk_text[] =
	    "{\"kty\":\"RSA\",\"n\":"
	    "\"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFx"
	    "uhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-"
	    "65YGjQR0_"
	    "FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-"
	    "bFTWhAI4vMQFh6WeZu"
	    "0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw\",\"e\":\"AQAB\","
	    "\"alg\":\"RS256\",\"kid\":\"2011-04-29\"}";
	cJSON *jwk = cJSON_Parse(jwk_text);
	char tp[KEYS_KID_LEN + 1] = "";
	jose_err err = keys_thumbprint_jwk(jwk, tp);

	T_CHECK(err == JOSE_OK && strcmp(tp, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs") == 0,
	        "RFC 7638 3.1: RSA thumbprint (got %s %s)", code(err), tp);
	cJSON_DeleteItemFromObjectCaseSensitive(jwk, "e");
	T_CHECK(keys_thumbprint_jwk(jwk, tp) == JOSE_E_JWK_INVALID,
	        "RFC 7638: RSA JWK without e is JWK_INVALID");
	cJSON_AddStringToObject(jwk, "e", "AQ+B");
	T_CHECK(keys_thumbprint_jwk(jwk, tp) == JOSE_E_JWK_INVALID,
	        "RFC 7638: e not base64url is JWK_INVALID");
	cJSON_Delete(jwk);

	jwk = cJSON_Parse("{\"kty\":\"EC\",\"crv\":\"P-256\\\"\",\"x\":\"AA\",\"y\":\"AA\"}");
	T_CHECK(keys_thumbprint_jwk(jwk, tp) == JOSE_E_JWK_INVALID,
	        "RFC 7638: a crv that would need JSON escaping is JWK_INVALID");
	cJSON_Delete(jwk);
	jwk = cJSON_Parse("{\"kty\":\"XYZ\"}");
	T_CHECK(keys_thumbprint_jwk(jwk, tp) == JOSE_E_NOT_SUPPORTED,
	        "RFC 7638: unknown kty is NOT_SUPPORTED");
	cJSON_Delete(jwk);
	T_CHECK(keys_thumbprint_jwk(NULL, tp) == JOSE_E_ARG, "RFC 7638: NULL JWK is JOSE_E_ARG");
}

/* RFC 8037 A.1-A.4: the Ed25519 key, its thumbprint, and its deterministic signature. */
static void rfc8037(void)
{
	static const char x[] = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
	static const char d[] = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A";
	static const char input[] = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc";
	static const char want[] =
	    "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";
	static const char thumb[] = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k";
	char tp[KEYS_KID_LEN + 1] = "", got[128] = "";
	uint8_t seed[32], sig[64];
	size_t seed_len = 0;
	keys_key *k = NULL;
	cJSON *jwk = cJSON_CreateObject();
	jose_err err;

	cJSON_AddStringToObject(jwk, "kty", "OKP");
	cJSON_AddStringToObject(jwk, "crv", "Ed25519");
	cJSON_AddStringToObject(jwk, "x", x);
	err = keys_thumbprint_jwk(jwk, tp);
	T_CHECK(err == JOSE_OK && strcmp(tp, thumb) == 0, "RFC 8037 A.3: Ed25519 thumbprint (got %s)", tp);
	cJSON_Delete(jwk);

	jose_b64url_decode(seed, sizeof seed, &seed_len, d, strlen(d));
	err = keys_import_private("EdDSA", seed, seed_len, &k);
	T_CHECK(err == JOSE_OK && k, "RFC 8037 A.1: raw 32-byte seed imports (got %s)", code(err));
	if (!k)
		return;
	T_CHECK(strcmp(keys_kid(k), thumb) == 0, "RFC 8037 A.2/A.3: derived public key gives the RFC's kid");
	err = sign_input(k, NULL, (const uint8_t *)input, strlen(input), sig);
	jose_b64url_encode(got, sizeof got, sig, sizeof sig);
	T_CHECK(err == JOSE_OK && strcmp(got, want) == 0, "RFC 8037 A.4: signature equals the RFC's (got %s)",
	        got);
	wipe(seed, sizeof seed);
	keys_free(k);
}

/* DER length octets for n into p; returns their count. */
static size_t der_len(uint8_t *p, size_t n)
{
	if (n < 0x80) {
		p[0] = (uint8_t)n;
		return 1;
	}
	if (n < 0x100) {
		p[0] = 0x81, p[1] = (uint8_t)n;
		return 2;
	}
	p[0] = 0x82, p[1] = (uint8_t)(n >> 8), p[2] = (uint8_t)n;
	return 3;
}

/* Append INTEGER(base64url member name of jwk) to out at *o; -1 when absent. */
static int der_int(uint8_t *out, size_t *o, const cJSON *jwk, const char *name)
{
	const char *s = jose_json_string(jwk, name);
	uint8_t v[600];
	size_t n = 0, pad;

	if (!s || jose_b64url_decode(v, sizeof v, &n, s, strlen(s)) != 0 || n == 0)
		return -1;
	pad = v[0] & 0x80 ? 1 : 0;
	out[(*o)++] = 0x02;
	*o += der_len(out + *o, n + pad);
	if (pad)
		out[(*o)++] = 0;
	memcpy(out + *o, v, n);
	*o += n;
	return 0;
}

/* PKCS#1 RSAPrivateKey (RFC 8017 A.1.2) from a private RSA JWK: our own DER, not wolfCrypt's. */
static size_t pkcs1_from_jwk(const cJSON *jwk, uint8_t *out)
{
	static const char *const members[] = {"n", "e", "d", "p", "q", "dp", "dq", "qi"};
	uint8_t body[4096];
	size_t o = 0, h;

	body[o++] = 0x02, body[o++] = 0x01, body[o++] = 0x00; /* version 0 */
	for (size_t i = 0; i < sizeof members / sizeof members[0]; i++)
		if (der_int(body, &o, jwk, members[i]) != 0)
			return 0;
	out[0] = 0x30;
	h = 1 + der_len(out + 1, o);
	memcpy(out + h, body, o);
	return h + o;
}

/* RFC 7520 §4.1: RSASSA-PKCS1-v1_5 is deterministic, so our signature must be the RFC's. */
static void rfc7520_rs256(void)
{
	char got[400] = "", *text;
	uint8_t der[4096], sig[SIG_MAX];
	cJSON *doc, *key, *sg;
	keys_key *k = NULL;
	size_t len;
	jose_err err;

	if (!(text = t_read_vector("jose-cookbook/jws/4_1.rsa_v15_signature.json")))
		return;
	doc = cJSON_Parse(text);
	free(text);
	key = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "input"), "key");
	sg = cJSON_GetObjectItemCaseSensitive(doc, "signing");
	len = key ? pkcs1_from_jwk(key, der) : 0;
	T_CHECK(len > 0, "RFC 7520 4.1: PKCS#1 DER built from the cookbook's private JWK");
	err = len ? keys_import_private("RS256", der, len, &k) : JOSE_E_ARG;
	T_CHECK(err == JOSE_OK && k, "RFC 7520 4.1: PKCS#1 RSAPrivateKey imports (got %s)", code(err));
	if (k) {
		const char *input = jose_json_string(sg, "sig-input"), *want = jose_json_string(sg, "sig");
		char tp[KEYS_KID_LEN + 1] = "";
		err = input ? sign_input(k, &rng, (const uint8_t *)input, strlen(input), sig) : JOSE_E_ARG;
		jose_b64url_encode(got, sizeof got, sig, k->sig_len);
		T_CHECK(err == JOSE_OK && want && strcmp(got, want) == 0,
		        "RFC 7520 4.1: RS256 signature equals the RFC's (got %s)", code(err));
		T_CHECK(keys_thumbprint_jwk(key, tp) == JOSE_OK && strcmp(tp, keys_kid(k)) == 0,
		        "RFC 7520 4.1: kid equals the thumbprint of the cookbook's JWK");
	}
	wipe(der, sizeof der);
	keys_free(k);
	cJSON_Delete(doc);
}

/* ---- other DER forms and bad keys -------------------------------------------- */

/* Import der as alg; expect want, and on success the kid kid (if not NULL). */
static void expect_import(const char *what, const char *alg, const uint8_t *der, size_t len, jose_err want,
                          const char *kid)
{
	keys_key *k = NULL;
	jose_err err = keys_import_private(alg, der, len, &k);

	T_CHECK(err == want && (want != JOSE_OK || (k && (!kid || strcmp(keys_kid(k), kid) == 0))) &&
	            (want == JOSE_OK || !k),
	        "%s (got %s)", what, code(err));
	keys_free(k);
}

static void ec_forms(void)
{
	keys_key *a = gen("ES256"), *b = gen("ES256");
	uint8_t *da = NULL, *db = NULL, out[512];
	size_t la = 0, lb = 0;
	uint8_t xa[32], ya[32], xb[32], yb[32], dd[32];
	word32 lxa = 32, lya = 32, lxb = 32, lyb = 32, ld = 32, idx = 0;
	ecc_key ka, kb, mixed;
	int n;

	if (!a || !b)
		goto out;
	keys_export_private(a, &da, &la);
	keys_export_private(b, &db, &lb);
	wc_ecc_init(&ka);
	wc_ecc_init(&kb);
	wc_ecc_init(&mixed);
	wc_EccPrivateKeyDecode(da, &idx, &ka, (word32)la);
	idx = 0;
	wc_EccPrivateKeyDecode(db, &idx, &kb, (word32)lb);
	/* SEC1 ECPrivateKey without the public point: import derives it. */
	n = wc_EccPrivateKeyToDer(&ka, out, sizeof out);
	T_CHECK(n > 0, "ES256: SEC1 private-only DER made");
	if (n > 0)
		expect_import("ES256: SEC1 ECPrivateKey without public point imports, same kid", "ES256", out,
		              (size_t)n, JOSE_OK, keys_kid(a));
	/* A's private scalar with B's public point: the self-test must catch it. */
	wc_ecc_export_private_raw(&ka, xa, &lxa, ya, &lya, dd, &ld);
	wc_ecc_export_public_raw(&kb, xb, &lxb, yb, &lyb);
	word32 l8 = sizeof out;
	if (wc_ecc_import_unsigned(&mixed, xb, yb, dd, ECC_SECP256R1) == 0 &&
	    wc_EccKeyToPKCS8(&mixed, out, &l8) > 0)
		expect_import("ES256: private key with another key's public point is JWK_INVALID (self-test)",
		              "ES256", out, l8, JOSE_E_JWK_INVALID, NULL);
	else
		T_CHECK(0, "ES256: mixed key built");
	wipe(dd, sizeof dd);
	wc_ecc_free(&ka);
	wc_ecc_free(&kb);
	wc_ecc_free(&mixed);
out:
	keys_free_der(da, la);
	keys_free_der(db, lb);
	keys_free(a);
	keys_free(b);
}

static void ed25519_forms(void)
{
	keys_key *k = gen("EdDSA");
	uint8_t *der = NULL, out[256];
	size_t len = 0;
	ed25519_key key;
	word32 idx = 0;
	int n;

	if (!k)
		return;
	keys_export_private(k, &der, &len);
	T_CHECK(len == 48, "EdDSA: export is the 48-byte RFC 8410 PKCS#8 (got %zu)", len);
	wc_ed25519_init(&key);
	if (wc_Ed25519PrivateKeyDecode(der, &idx, &key, (word32)len) == 0 &&
	    wc_ed25519_import_public(k->a, 32, &key) == 0 &&
	    (n = wc_Ed25519KeyToDer(&key, out, sizeof out)) > 0) {
		expect_import("EdDSA: OneAsymmetricKey v2 (with public key) imports, same kid", "EdDSA", out,
		              (size_t)n, JOSE_OK, keys_kid(k));
		out[n - 1] ^= 1;
		expect_import("EdDSA: v2 whose public key does not match the seed is JWK_INVALID", "EdDSA",
		              out, (size_t)n, JOSE_E_JWK_INVALID, NULL);
	} else {
		T_CHECK(0, "EdDSA: v2 DER built");
	}
	wc_ed25519_free(&key);
	expect_import("EdDSA: 31-byte seed is JWK_INVALID", "EdDSA", der + len - 32, 31, JOSE_E_JWK_INVALID,
	              NULL);
	expect_import("EdDSA: the seed at the end of the PKCS#8 imports raw, same kid", "EdDSA",
	              der + len - 32, 32, JOSE_OK, keys_kid(k));
	keys_free_der(der, len);
	keys_free(k);
}

static void rsa_forms(void)
{
	uint8_t der[KEYS_DER_MAX + 8], *p8 = NULL;
	size_t len8 = 0;
	keys_key *k = NULL;
	RsaKey key;
	int n = 0;
	jose_err err;

	/* Traditional PKCS#1 and trailing bytes, from an exported key. */
	if ((k = gen("PS256")) && keys_export_private(k, &p8, &len8) == JOSE_OK) {
		word32 idx = 0;
		wc_InitRsaKey(&key, NULL);
		if (wc_RsaPrivateKeyDecode(p8, &idx, &key, (word32)len8) == 0)
			n = wc_RsaKeyToDer(&key, der, sizeof der);
		wc_FreeRsaKey(&key);
		T_CHECK(n > 0, "PS256: PKCS#1 DER made");
		if (n > 0)
			expect_import("PS256: PKCS#1 RSAPrivateKey imports, same kid", "PS256", der,
			              (size_t)n, JOSE_OK, keys_kid(k));
		memcpy(der, p8, len8);
		der[len8] = 0;
		expect_import("PS256: PKCS#8 with a trailing byte is JWK_INVALID", "PS256", der, len8 + 1,
		              JOSE_E_JWK_INVALID, NULL);
		expect_import("PS256: the same key as RS256 imports (one key, one alg: the caller decides)",
		              "RS256", p8, len8, JOSE_OK, NULL);
	}
	keys_free_der(p8, len8);
	keys_free(k);
	k = NULL;

	/* RFC 8725 / RFC 7518 §3.3: 2048 bits at least; the core refuses less, so must we. */
	wc_InitRsaKey(&key, NULL);
	n = wc_MakeRsaKey(&key, 1024, WC_RSA_EXPONENT, &rng) == 0 ? wc_RsaKeyToDer(&key, der, sizeof der)
	                                                          : -1;
	wc_FreeRsaKey(&key);
	if (n > 0)
		expect_import("RS256: RSA-1024 key is JWK_INVALID", "RS256", der, (size_t)n,
		              JOSE_E_JWK_INVALID, NULL);

	/* 3072 bits on request. */
	err = keys_generate_ex("RS256", 3072, &rng, &k);
	T_CHECK(err == JOSE_OK && k && k->sig_len == 384, "RS256: keys_generate_ex 3072 bits (got %s)",
	        code(err));
	if (k) {
		jose_jwks *set = set_of(k);
		char *tok = sign(k, NULL);
		T_CHECK(tok && sig_bytes(tok) == 384 && verify_jwt(set, "RS256", NULL, tok, NULL) == JOSE_OK,
		        "RS256-3072: 384-byte signature verifies");
		free(tok);
		jose_jwks_free(set);
	}
	keys_free(k);
}

/*
 * gcd(s^e - EM mod n, n) for a signature s of the PKCS#1 block EM: 1 when s is
 * right, a prime of n when one CRT half was wrong. 1 on any failure.
 */
static int leaks_prime(RsaKey *key, const uint8_t *sig, size_t klen, const uint8_t *enc, size_t enc_len)
{
	uint8_t em[SIG_MAX];
	mp_int s, m, t, g;
	int leak = 0;

	memset(em, 0xff, klen);
	em[0] = 0x00, em[1] = 0x01, em[klen - enc_len - 1] = 0x00;
	memcpy(em + klen - enc_len, enc, enc_len);
	if (mp_init_multi(&s, &m, &t, &g, NULL, NULL) != 0)
		return 0;
	if (mp_read_unsigned_bin(&s, sig, (word32)klen) == 0 &&
	    mp_read_unsigned_bin(&m, em, (word32)klen) == 0 && mp_exptmod(&s, &key->e, &key->n, &t) == 0 &&
	    (mp_cmp(&t, &m) == MP_LT ? mp_sub(&m, &t, &t) : mp_sub(&t, &m, &t)) == 0 &&
	    mp_gcd(&t, &key->n, &g) == 0)
		leak = mp_cmp_d(&g, 1) == MP_GT && mp_cmp(&g, &key->n) == MP_LT;
	mp_clear(&s), mp_clear(&m), mp_clear(&t), mp_clear(&g);
	return leak;
}

/*
 * Boneh-DeMillo-Lipton / Lenstra (1997): one wrong CRT half in an RSA
 * signature reveals a prime of n through a gcd. Fault: the stored qi is
 * corrupted (a bit flip in storage or memory). The raw wolfCrypt signature
 * of that key does leak a prime (first check: the attack is real here);
 * keys_sign_jws must refuse to hand such a signature out (second check).
 */
static void rsa_crt_fault(void)
{
	keys_key *k = gen("RS256"), bad;
	uint8_t *der = NULL, digest[32], enc[MAX_ENCODED_SIG_SZ], sig[SIG_MAX];
	size_t len = 0;
	char *tok = NULL;
	word32 idx = 0, enc_len;
	jose_err err;
	RsaKey key;

	if (!k || keys_export_private(k, &der, &len) != JOSE_OK)
		goto out;
	der[len - 1] ^= 1; /* the last byte of qi, the last INTEGER of the key */
	wc_InitRsaKey(&key, NULL);
	wc_Sha256Hash((const byte *)"x", 1, digest);
	enc_len = wc_EncodeSignature(enc, digest, sizeof digest, wc_HashGetOID(WC_HASH_TYPE_SHA256));
	if (wc_RsaPrivateKeyDecode(der, &idx, &key, (word32)len) == 0 &&
	    wc_RsaSSL_Sign(enc, enc_len, sig, sizeof sig, &key, &rng) == 256)
		T_CHECK(
		    leaks_prime(&key, sig, 256, enc, enc_len),
		    "RSA CRT fault (Boneh-DeMillo-Lipton): the raw faulty signature reveals a prime of n");
	else
		T_CHECK(0, "RSA CRT fault: raw signature with the corrupted key");
	wc_FreeRsaKey(&key);
	bad = *k;
	bad.der = der;
	err = keys_sign_jws(&bad, &rng, NULL, "{}", 2, &tok);
	T_CHECK(err == JOSE_E_INTERNAL && !tok,
	        "RSA CRT fault (Boneh-DeMillo-Lipton): keys_sign_jws returns no token (got %s)", code(err));
	free(tok);
out:
	keys_free_der(der, len);
	keys_free(k);
}

static void bad_arguments(void)
{
	static const uint8_t junk[] = {0x30, 0x03, 0x02, 0x01, 0x00};
	keys_key *k = NULL;
	char *tok = (char *)"x";

	T_CHECK(keys_generate("HS256", &rng, &k) == JOSE_E_ARG && !k,
	        "HS256 is not a signing-key algorithm here");
	T_CHECK(keys_generate("none", &rng, &k) == JOSE_E_ARG && !k, "\"none\" is refused");
	T_CHECK(keys_generate("es256", &rng, &k) == JOSE_E_ARG && !k, "alg names are case-sensitive");
	T_CHECK(keys_generate(NULL, &rng, &k) == JOSE_E_ARG && !k, "NULL alg is JOSE_E_ARG");
	T_CHECK(keys_generate("ES256", NULL, &k) == JOSE_E_ARG && !k, "NULL rng is JOSE_E_ARG");
	T_CHECK(keys_generate_ex("RS256", 1024, &rng, &k) == JOSE_E_ARG && !k,
	        "RSA-1024 generation is refused");
	T_CHECK(keys_generate_ex("RS256", 2049, &rng, &k) == JOSE_E_ARG && !k, "odd RSA size is refused");
	T_CHECK(keys_generate_ex("ES256", 2048, &rng, &k) == JOSE_E_ARG && !k,
	        "bits with an EC alg is JOSE_E_ARG");
	expect_import("junk DER is JWK_INVALID", "ES256", junk, sizeof junk, JOSE_E_JWK_INVALID, NULL);
	expect_import("junk DER is JWK_INVALID (RSA)", "RS256", junk, sizeof junk, JOSE_E_JWK_INVALID, NULL);
	expect_import("junk DER is JWK_INVALID (EdDSA)", "EdDSA", junk, sizeof junk, JOSE_E_JWK_INVALID,
	              NULL);
	expect_import("empty DER is JWK_INVALID", "ES256", junk, 0, JOSE_E_JWK_INVALID, NULL);
	T_CHECK(keys_sign_jws(NULL, &rng, NULL, "{}", 2, &tok) == JOSE_E_ARG && tok == NULL,
	        "sign with NULL key is JOSE_E_ARG and clears *out_token");
	keys_free(NULL);
	keys_free_der(NULL, 0);
}

/* ---- header extras and limits ------------------------------------------------- */

static void headers_and_limits(void)
{
	keys_key *k = gen("ES256"), *e = gen("EdDSA");
	jose_jwks *set = k ? set_of(k) : NULL;
	char *tok = NULL, *big;
	jose_jwt jwt;
	jose_err err;
	size_t n;

	if (!k || !e || !set)
		goto out;
	memset(&jwt, 0, sizeof jwt);
	tok = sign(k, "{\"typ\":\"at+jwt\",\"cty\":\"x\"}");
	err = tok ? verify_jwt(set, "ES256", "at+jwt", tok, &jwt) : JOSE_E_ARG;
	T_CHECK(err == JOSE_OK, "extra header: typ at+jwt verifies with typ at+jwt required (got %s)",
	        code(err));
	if (err == JOSE_OK) {
		cJSON *first = jwt.header->child;
		T_CHECK(first && strcmp(first->string, "alg") == 0 && first->next &&
		            strcmp(first->next->string, "kid") == 0 && first->next->next &&
		            strcmp(first->next->next->string, "typ") == 0,
		        "extra header: alg, kid, typ come first");
		T_CHECK(jose_json_string(jwt.header, "cty") &&
		            strcmp(jose_json_string(jwt.header, "cty"), "x") == 0,
		        "extra header: other members are kept");
		jose_jwt_clear(&jwt);
	}
	free(tok);
	tok = NULL;
	T_CHECK(keys_sign_jws(k, &rng, "{\"alg\":\"none\"}", "{}", 2, &tok) == JOSE_E_ARG && !tok,
	        "extra header: alg cannot be overridden");
	T_CHECK(keys_sign_jws(k, &rng, "{\"kid\":\"other\"}", "{}", 2, &tok) == JOSE_E_ARG && !tok,
	        "extra header: kid cannot be overridden");
	T_CHECK(keys_sign_jws(k, &rng, "[1]", "{}", 2, &tok) == JOSE_E_ARG && !tok,
	        "extra header: must be an object");
	T_CHECK(keys_sign_jws(k, &rng, "{\"typ\":\"a\",\"typ\":\"b\"}", "{}", 2, &tok) == JOSE_E_ARG && !tok,
	        "extra header: duplicate member names are refused");
	T_CHECK(keys_sign_jws(k, &rng, "{", "{}", 2, &tok) == JOSE_E_ARG && !tok,
	        "extra header: malformed JSON is refused");
	T_CHECK(keys_sign_jws(k, NULL, NULL, "{}", 2, &tok) == JOSE_E_ARG && !tok,
	        "ES256 without an rng is JOSE_E_ARG");
	T_CHECK(keys_sign_jws(e, NULL, NULL, "{}", 2, &tok) == JOSE_OK && tok, "EdDSA needs no rng");
	free(tok);
	tok = NULL;

	/* The largest payload whose token still fits JOSE_TOKEN_MAX_LEN, and one byte more. */
	big = malloc(JOSE_TOKEN_MAX_LEN);
	if (!big)
		goto out;
	memset(big, ' ', JOSE_TOKEN_MAX_LEN);
	n = (JOSE_TOKEN_MAX_LEN - 200) / 4 * 3;
	err = keys_sign_jws(k, &rng, NULL, big, n, &tok);
	T_CHECK(err == JOSE_OK && strlen(tok) <= JOSE_TOKEN_MAX_LEN, "limits: a token under the cap is made");
	free(tok);
	tok = NULL;
	err = keys_sign_jws(k, &rng, NULL, big, JOSE_TOKEN_MAX_LEN / 4 * 3, &tok);
	T_CHECK(err == JOSE_E_ARG && !tok, "limits: a token over JOSE_TOKEN_MAX_LEN is refused (got %s)",
	        code(err));
	free(big);
out:
	jose_jwks_free(set);
	keys_free(k);
	keys_free(e);
}

/* ---- threads ------------------------------------------------------------------ */

#define THREADS    4
#define PER_THREAD 25

struct job {
	const keys_key *k;
	const jose_jwks *set;
	int ok;
};

/* Sign and verify PER_THREAD tokens with a shared key and this thread's own RNG. */
static void *worker(void *arg)
{
	struct job *j = arg;
	WC_RNG own;

	if (wc_InitRng(&own) != 0)
		return NULL;
	for (int i = 0; i < PER_THREAD; i++) {
		char *tok = NULL;
		if (keys_sign_jws(j->k, &own, NULL, PAYLOAD, strlen(PAYLOAD), &tok) == JOSE_OK &&
		    verify_jwt(j->set, keys_alg(j->k), NULL, tok, NULL) == JOSE_OK)
			j->ok++;
		free(tok);
	}
	wc_FreeRng(&own);
	return NULL;
}

static void threads(const char *alg)
{
	keys_key *k = gen(alg);
	jose_jwks *set = k ? set_of(k) : NULL;
	struct job jobs[THREADS];
	pthread_t t[THREADS];
	int ok = 0, started = 0;

	if (!set)
		goto out;
	for (int i = 0; i < THREADS; i++) {
		jobs[i] = (struct job){k, set, 0};
		started += pthread_create(&t[i], NULL, worker, &jobs[i]) == 0;
	}
	for (int i = 0; i < started; i++) {
		pthread_join(t[i], NULL);
		ok += jobs[i].ok;
	}
	T_CHECK(ok == THREADS * PER_THREAD, "%s: %d threads share one key, every token verifies (%d/%d)", alg,
	        THREADS, ok, THREADS * PER_THREAD);
out:
	jose_jwks_free(set);
	keys_free(k);
}

int main(void)
{
	if (wolfCrypt_Init() != 0 || wc_InitRng(&rng) != 0) {
		printf("not ok - wolfCrypt init\n");
		return 1;
	}
	rfc7638();
	rfc8037();
	rfc7520_rs256();
	for (size_t i = 0; i < sizeof ALL_ALGS / sizeof ALL_ALGS[0]; i++)
		check_alg(ALL_ALGS[i]);
	ec_forms();
	ed25519_forms();
	rsa_forms();
	rsa_crt_fault();
	bad_arguments();
	headers_and_limits();
	threads("ES256");
	threads("RS256");
	threads("EdDSA");
	wc_FreeRng(&rng);
	wolfCrypt_Cleanup();
	T_DONE();
}
