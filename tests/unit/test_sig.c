/*
 * test_sig.c: the signature seam (jose_sig.h) and the decisions the core keeps
 * on its side of it, the RSA encodings of rsapad.c, and RFC 9864's "Ed25519".
 *
 * Why: the WebAssembly package runs the same core over a second backend (the
 * host's crypto), and its verdicts must not depend on which one computes. So
 * the core must refuse, before any backend is asked, every signature whose
 * form alone is wrong (lengths, RSA s >= n, ECDSA r or s outside [1, n-1],
 * Ed25519 S >= L), must take a backend's refusal of an EC point as a dead key,
 * and must check RSA padding itself. A recording backend that accepts
 * everything shows which calls reach it; OpenSSL (an independent
 * implementation, linked for the issuer anyway) signs the RSA and Ed25519
 * vectors, including moduli whose size is not a multiple of 8 (the PSS corner
 * where EM is one byte shorter than the modulus, RFC 8017 §9.1.1 note).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <wolfssl/wolfcrypt/settings.h>
#include <wolfssl/wolfcrypt/ecc.h>

#include "../test.h"
#include "inner.h"
#include "jose.h"

/* ---- a backend that records its calls --------------------------------------- */

typedef struct rec {
	int loads, unloads, rsa_calls, verifies;
	jose_err load_result;   /* what load answers */
	jose_err verify_result; /* what verify answers */
	int rsa_whole;          /* verify takes RSA signatures whole (else declines them) */
} rec;

static jose_err rec_load(void *ctx, const jose_pubkey *k, uintptr_t *handle)
{
	rec *r = ctx;
	(void)k;
	r->loads++;
	*handle = 1000 + (uintptr_t)r->loads;
	return r->load_result;
}

static void rec_unload(void *ctx, uintptr_t handle)
{
	rec *r = ctx;
	r->unloads += handle > 1000;
}

/* Answers an EM that no padding check accepts (all zeros). */
static jose_err rec_rsa(void *ctx, const jose_pubkey *k, uintptr_t handle, const uint8_t *s, uint8_t *out)
{
	rec *r = ctx;
	(void)handle, (void)s;
	r->rsa_calls++;
	memset(out, 0, k->a_len);
	return JOSE_OK;
}

static jose_err rec_verify(void *ctx, const jose_pubkey *k, uintptr_t handle, jose_alg alg,
                           const uint8_t *msg, size_t msg_len, const uint8_t *sig, size_t sig_len)
{
	rec *r = ctx;
	(void)handle, (void)alg, (void)msg, (void)msg_len, (void)sig, (void)sig_len;
	if (k->kty == JOSE_KTY_RSA && !r->rsa_whole)
		return JOSE_E_NOT_SUPPORTED;
	r->verifies++;
	return r->verify_result;
}

static jose_sig_ops rec_ops(rec *r)
{
	return (jose_sig_ops){"recorder", rec_load, rec_unload, rec_rsa, rec_verify, r};
}

/* ---- helpers ------------------------------------------------------------------ */

static char *b64(const uint8_t *in, size_t n)
{
	size_t cap = JOSE_B64URL_ENCODED_LEN(n) + 1;
	char *out = malloc(cap);
	if (out)
		jose_b64url_encode(out, cap, in, n);
	return out;
}

static jose_jwks *import_ops(const char *jwk, const jose_sig_ops *ops, jose_err *err, jose_fail *why)
{
	jose_jwks *set = NULL;
	memset(why, 0, sizeof *why);
	*err = jose_jwks_import_ops(jwk, strlen(jwk), ops, &set, why);
	return set;
}

/* The P-256 key of RFC 7515 A.3. */
#define A3_X   "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU"
#define A3_Y   "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"
#define A3_JWK "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" A3_X "\",\"y\":\"" A3_Y "\"}"

/* ---- 1. the curve table against wolfCrypt's ---------------------------------- */

static void hex_of(const uint8_t *b, size_t n, char *out)
{
	size_t i = 0;
	while (i + 1 < n && b[i] == 0)
		i++;
	for (size_t o = 0; i < n; i++, o += 2)
		sprintf(out + o, "%02X", b[i]);
}

static void curves(void)
{
	static const struct {
		jose_crv crv;
		int id;
	} ids[] = {
	    {JOSE_CRV_P256, ECC_SECP256R1}, {JOSE_CRV_P384, ECC_SECP384R1}, {JOSE_CRV_P521, ECC_SECP521R1}};

	for (size_t i = 0; i < 3; i++) {
		const jose_curve *c = jose_curve_find(ids[i].crv);
		const ecc_set_type *dp = wc_ecc_get_curve_params(wc_ecc_get_curve_idx(ids[i].id));
		char p[140] = "", n[140] = "";
		if (c) {
			hex_of(c->p, c->size, p);
			hex_of(c->n, c->size, n);
		}
		/* Compared without leading zero digits (wolfCrypt writes P-521's as "1FF…"). */
		T_CHECK(c && dp && strcmp(p + strspn(p, "0"), dp->prime + strspn(dp->prime, "0")) == 0 &&
		            strcmp(n + strspn(n, "0"), dp->order + strspn(dp->order, "0")) == 0 &&
		            (size_t)dp->size == c->size && jose_curve_named(c->name) == c,
		        "curve %s: prime, order and size equal wolfCrypt's", c ? c->name : "?");
	}
	T_CHECK(!jose_curve_named("secp256k1") && !jose_curve_named(NULL),
	        "unknown curve names find nothing");
}

/* ---- 2. import through a backend ---------------------------------------------- */

static void import_seam(void)
{
	rec r = {.load_result = JOSE_OK};
	jose_sig_ops ops = rec_ops(&r);
	jose_fail why;
	jose_err err;
	const char *set_json = "{\"keys\":[" A3_JWK ",{\"kty\":\"oct\",\"k\":\""
	                       "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	                       "\"},{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"11qYAYKxCrfVS_"
	                       "7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}]}";

	jose_jwks *set = import_ops(set_json, &ops, &err, &why);
	T_CHECK(err == JOSE_OK && set && jose_jwks_usable(set) == 3 && r.loads == 2,
	        "the backend loads the EC and OKP keys once each, never the HMAC key (%d loads)", r.loads);
	T_CHECK(set && set->keys[0].index == 0 && set->keys[2].index == 2,
	        "each key knows its position in the set");
	jose_jwks_free(set);
	T_CHECK(r.unloads == 2, "freeing the set unloads every loaded key (%d)", r.unloads);

	r = (rec){.load_result = JOSE_E_JWK_INVALID};
	set = import_ops("{\"keys\":[" A3_JWK "]}", &ops, &err, &why);
	T_CHECK(err == JOSE_OK && set && set->keys[0].dead == JOSE_E_JWK_INVALID &&
	            strcmp(set->keys[0].dead_why, "EC public key is not a valid point on its curve") == 0,
	        "an EC point the backend refuses makes a dead key with the off-curve reason");
	jose_jwks_free(set);
	T_CHECK(r.unloads == 0, "a refused key is never unloaded");

	r = (rec){.load_result = JOSE_E_NOT_SUPPORTED};
	set = import_ops("{\"keys\":[" A3_JWK "]}", &ops, &err, &why);
	T_CHECK(err == JOSE_E_NOT_SUPPORTED && !set && why.err == JOSE_E_NOT_SUPPORTED,
	        "a key the backend cannot use fails the import with ERR_JOSE_NOT_SUPPORTED (got %s)",
	        jose_err_code(err));

	/* x = p: off the field, refused by the core before any backend sees it. */
	r = (rec){.load_result = JOSE_OK};
	set = import_ops(
	    "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"_____wAAAAEAAAAAAAAAAAAAAAD_______________8\","
	    "\"y\":\"" A3_Y "\"}",
	    &ops, &err, &why);
	T_CHECK(err == JOSE_E_JWK_INVALID && r.loads == 0,
	        "EC x = p is refused by the core without the backend (%s, %d loads)", jose_err_code(err),
	        r.loads);
	jose_jwks_free(set);
}

/* ---- 3. what reaches the backend at verification ------------------------------ */

static jose_err try_sig(const jose_key *k, jose_alg alg, const uint8_t *sig, size_t n)
{
	static const uint8_t msg[] = "eyJhbGciOiJFUzI1NiJ9.e30";
	return jose_key_verify(k, alg, msg, sizeof msg - 1, sig, n);
}

static void verify_seam(void)
{
	rec r = {.load_result = JOSE_OK, .verify_result = JOSE_OK};
	jose_sig_ops ops = rec_ops(&r);
	const jose_curve *c = jose_curve_find(JOSE_CRV_P256);
	uint8_t sig[132];
	jose_fail why;
	jose_err err;
	jose_jwks *set = import_ops(A3_JWK, &ops, &err, &why);
	const jose_key *k = set ? &set->keys[0] : NULL;

	if (!k) {
		T_CHECK(0, "EC key imports through the recorder");
		return;
	}
	memset(sig, 0, 64);
	T_CHECK(try_sig(k, JOSE_ALG_ES256, sig, 64) == JOSE_E_SIG_FAILED && r.verifies == 0,
	        "ES256 r = s = 0 (CVE-2022-21449) never reaches the backend");
	memcpy(sig, c->n, 32);
	memset(sig + 32, 1, 32);
	T_CHECK(try_sig(k, JOSE_ALG_ES256, sig, 64) == JOSE_E_SIG_FAILED && r.verifies == 0,
	        "ES256 r = n never reaches the backend");
	memset(sig, 1, 32);
	memcpy(sig + 32, c->n, 32);
	sig[63]--; /* s = n - 1: in range */
	T_CHECK(try_sig(k, JOSE_ALG_ES256, sig, 64) == JOSE_OK && r.verifies == 1,
	        "ES256 with r, s in [1, n-1] is the backend's to judge (accepted by the recorder)");
	T_CHECK(try_sig(k, JOSE_ALG_ES256, sig, 63) == JOSE_E_SIG_FAILED &&
	            try_sig(k, JOSE_ALG_ES256, sig, 65) == JOSE_E_SIG_FAILED && r.verifies == 1,
	        "ES256 signatures of 63 or 65 bytes never reach the backend");
	r.verify_result = JOSE_E_SIG_FAILED;
	T_CHECK(try_sig(k, JOSE_ALG_ES256, sig, 64) == JOSE_E_SIG_FAILED,
	        "the backend's refusal is the verdict");
	jose_jwks_free(set);

	r = (rec){.load_result = JOSE_OK, .verify_result = JOSE_OK};
	set = import_ops(
	    "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}",
	    &ops, &err, &why);
	if (set) {
		static const uint8_t L[32] = {0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58,
		                              0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
		                              0,    0,    0,    0,    0,    0,    0,    0,
		                              0,    0,    0,    0,    0,    0,    0,    0x10};
		memset(sig, 7, 32);
		memcpy(sig + 32, L, 32);
		T_CHECK(try_sig(&set->keys[0], JOSE_ALG_EDDSA, sig, 64) == JOSE_E_SIG_FAILED &&
		            r.verifies == 0,
		        "Ed25519 S = L (malleable, RFC 8032 5.1.7) never reaches the backend");
		sig[32]--; /* S = L - 1 */
		T_CHECK(try_sig(&set->keys[0], JOSE_ALG_ED25519, sig, 64) == JOSE_OK && r.verifies == 1,
		        "Ed25519 S = L - 1 is the backend's to judge, under the alg name Ed25519 too");
	}
	jose_jwks_free(set);
}

/* ---- 4. RSA through the seam: s < n, and padding checked by the core --------- */

typedef struct ossl_key {
	EVP_PKEY *pkey;
	char *jwk;
} ossl_key;

/* An OpenSSL RSA key of bits with public exponent exp (0: OpenSSL's default, 65537). */
static ossl_key rsa_key_e(int bits, uint64_t exp)
{
	ossl_key k = {0};
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_RSA, NULL);
	BIGNUM *n = NULL, *e = NULL, *pub = NULL;
	uint8_t nb[600], eb[8];

	if (exp && (pub = BN_new()) != NULL)
		BN_set_word(pub, (BN_ULONG)exp);
	if (ctx && EVP_PKEY_keygen_init(ctx) > 0 && EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, bits) > 0 &&
	    (!pub || EVP_PKEY_CTX_set1_rsa_keygen_pubexp(ctx, pub) > 0) &&
	    EVP_PKEY_keygen(ctx, &k.pkey) > 0 && EVP_PKEY_get_bn_param(k.pkey, "n", &n) > 0 &&
	    EVP_PKEY_get_bn_param(k.pkey, "e", &e) > 0) {
		int nl = BN_bn2bin(n, nb), el = BN_bn2bin(e, eb);
		char *n64 = b64(nb, (size_t)nl), *e64 = b64(eb, (size_t)el);
		size_t cap = strlen(n64) + 64;
		k.jwk = malloc(cap);
		snprintf(k.jwk, cap, "{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"%s\"}", n64, e64);
		free(n64);
		free(e64);
	}
	BN_free(n);
	BN_free(e);
	BN_free(pub);
	EVP_PKEY_CTX_free(ctx);
	return k;
}

static ossl_key rsa_key(int bits)
{
	return rsa_key_e(bits, 0);
}

/* OpenSSL's signature of msg: PKCS#1 v1.5, or PSS with salt = hash length. */
static size_t ossl_sign(EVP_PKEY *pkey, int pss, const EVP_MD *md, const char *msg, uint8_t *sig)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pc = NULL;
	size_t len = 600;
	int ok = m && EVP_DigestSignInit(m, &pc, md, NULL, pkey) > 0 &&
	         (!pss || (EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PSS_PADDING) > 0 &&
	                   EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, RSA_PSS_SALTLEN_DIGEST) > 0)) &&
	         EVP_DigestSign(m, sig, &len, (const uint8_t *)msg, strlen(msg)) > 0;
	EVP_MD_CTX_free(m);
	return ok ? len : 0;
}

/*
 * Public exponents past 32 bits (wolfCrypt's SP code takes 29 in its 32-bit
 * build): the core accepts up to 64, so every backend must compute them.
 */
static void rsa_exponents(void)
{
	static const uint64_t exps[] = {3, 0x20000001, 0x1fffffffffffffffULL};
	static const char msg[] = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJlIn0";
	uint8_t sig[600];

	for (size_t i = 0; i < sizeof exps / sizeof exps[0]; i++) {
		ossl_key k = rsa_key_e(2048, exps[i]);
		jose_jwks *set = NULL;
		jose_fail why = {0};
		jose_err err = k.jwk ? jose_jwks_import(k.jwk, strlen(k.jwk), &set, &why) : JOSE_E_ARG;
		size_t n = err == JOSE_OK ? ossl_sign(k.pkey, 0, EVP_sha256(), msg, sig) : 0;
		T_CHECK(n && jose_key_verify(&set->keys[0], JOSE_ALG_RS256, (const uint8_t *)msg, strlen(msg),
		                             sig, n) == JOSE_OK,
		        "RSA-2048 with e = %#llx: OpenSSL's RS256 signature verifies (%s)",
		        (unsigned long long)exps[i], jose_err_code(err));
		if (n)
			sig[n / 2] ^= 1;
		T_CHECK(n && jose_key_verify(&set->keys[0], JOSE_ALG_RS256, (const uint8_t *)msg, strlen(msg),
		                             sig, n) == JOSE_E_SIG_FAILED,
		        "RSA-2048 with e = %#llx: a flipped bit is refused", (unsigned long long)exps[i]);
		jose_jwks_free(set);
		EVP_PKEY_free(k.pkey);
		free(k.jwk);
	}
}

static void rsa_sizes(void)
{
	static const int sizes[] = {2048, 2049, 2055, 3071};
	static const char msg[] = "eyJhbGciOiJQUzI1NiJ9.eyJzdWIiOiJvZGQifQ";
	uint8_t sig[600];

	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		ossl_key k = rsa_key(sizes[i]);
		jose_jwks *set = NULL;
		jose_fail why = {0};
		jose_err err = k.jwk ? jose_jwks_import(k.jwk, strlen(k.jwk), &set, &why) : JOSE_E_ARG;
		const jose_key *key = err == JOSE_OK ? &set->keys[0] : NULL;
		size_t n;
		if (!key) {
			T_CHECK(0, "RSA-%d key from OpenSSL imports", sizes[i]);
			continue;
		}
		n = ossl_sign(k.pkey, 1, EVP_sha256(), msg, sig);
		T_CHECK(n && jose_key_verify(key, JOSE_ALG_PS256, (const uint8_t *)msg, strlen(msg), sig,
		                             n) == JOSE_OK,
		        "RSA-%d: OpenSSL's PS256 signature verifies", sizes[i]);
		n = ossl_sign(k.pkey, 1, EVP_sha512(), msg, sig);
		T_CHECK(n && jose_key_verify(key, JOSE_ALG_PS512, (const uint8_t *)msg, strlen(msg), sig,
		                             n) == JOSE_OK,
		        "RSA-%d: OpenSSL's PS512 signature verifies", sizes[i]);
		T_CHECK(n && jose_key_verify(key, JOSE_ALG_PS256, (const uint8_t *)msg, strlen(msg), sig,
		                             n) == JOSE_E_SIG_FAILED,
		        "RSA-%d: a PS512 signature is refused as PS256", sizes[i]);
		n = ossl_sign(k.pkey, 0, EVP_sha384(), msg, sig);
		T_CHECK(n && jose_key_verify(key, JOSE_ALG_RS384, (const uint8_t *)msg, strlen(msg), sig,
		                             n) == JOSE_OK,
		        "RSA-%d: OpenSSL's RS384 signature verifies", sizes[i]);
		T_CHECK(n && jose_key_verify(key, JOSE_ALG_PS384, (const uint8_t *)msg, strlen(msg), sig,
		                             n) == JOSE_E_SIG_FAILED,
		        "RSA-%d: a PKCS#1 v1.5 signature is refused as PSS", sizes[i]);
		jose_jwks_free(set);
		EVP_PKEY_free(k.pkey);
		free(k.jwk);
	}
}

static void rsa_seam(void)
{
	ossl_key k = rsa_key(2048);
	rec r = {.load_result = JOSE_OK};
	jose_sig_ops ops = rec_ops(&r);
	static const char msg[] = "eyJhbGciOiJSUzI1NiJ9.e30";
	uint8_t sig[600];
	jose_fail why;
	jose_err err;
	jose_jwks *set = k.jwk ? import_ops(k.jwk, &ops, &err, &why) : NULL;

	if (!set) {
		T_CHECK(0, "RSA key imports through the recorder");
		EVP_PKEY_free(k.pkey);
		free(k.jwk);
		return;
	}
	memcpy(sig, set->keys[0].a, 256); /* s = n */
	T_CHECK(jose_key_verify(&set->keys[0], JOSE_ALG_RS256, (const uint8_t *)msg, strlen(msg), sig, 256) ==
	                JOSE_E_SIG_FAILED &&
	            r.rsa_calls == 0,
	        "RSA s = n never reaches the backend");
	T_CHECK(jose_key_verify(&set->keys[0], JOSE_ALG_RS256, (const uint8_t *)msg, strlen(msg), sig, 255) ==
	                JOSE_E_SIG_FAILED &&
	            r.rsa_calls == 0,
	        "RSA s one byte short never reaches the backend");
	size_t n = ossl_sign(k.pkey, 0, EVP_sha256(), msg, sig);
	T_CHECK(n == 256 &&
	            jose_key_verify(&set->keys[0], JOSE_ALG_RS256, (const uint8_t *)msg, strlen(msg), sig,
	                            n) == JOSE_E_SIG_FAILED &&
	            r.rsa_calls == 1,
	        "a backend answering a block without padding gets a refusal: the core checks the padding");
	jose_jwks_free(set);
	EVP_PKEY_free(k.pkey);
	free(k.jwk);
}

/* ---- 5. RFC 9864 "Ed25519" ------------------------------------------------------- */

static char *ed_token(EVP_PKEY *pkey, const char *header)
{
	static const char payload[] = "{\"sub\":\"svc\"}";
	char *h = b64((const uint8_t *)header, strlen(header)),
	     *p = b64((const uint8_t *)payload, strlen(payload));
	size_t cap = strlen(h) + strlen(p) + 100, slen = 64;
	char *input = malloc(cap), *token = malloc(cap), *s;
	uint8_t sig[64];
	EVP_MD_CTX *m = EVP_MD_CTX_new();

	snprintf(input, cap, "%s.%s", h, p);
	EVP_DigestSignInit(m, NULL, NULL, NULL, pkey);
	EVP_DigestSign(m, sig, &slen, (const uint8_t *)input, strlen(input));
	s = b64(sig, 64);
	snprintf(token, cap, "%s.%s", input, s);
	EVP_MD_CTX_free(m);
	free(h), free(p), free(input), free(s);
	return token;
}

static jose_err verify_with(const char *jwk, uint32_t algs, const char *token)
{
	jose_jwks *set = NULL;
	jose_jws jws;
	jose_fail why = {0};
	jose_err err = jose_jwks_import(jwk, strlen(jwk), &set, &why);

	if (err == JOSE_OK)
		err = jose_jws_verify(set, algs, token, strlen(token), &jws, &why);
	if (err == JOSE_OK)
		jose_jws_clear(&jws);
	jose_jwks_free(set);
	return err;
}

static void ed25519_alg(void)
{
	EVP_PKEY *pkey = NULL;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
	uint8_t pub[32];
	size_t plen = 32;
	uint32_t mask = 0;

	if (!ctx || EVP_PKEY_keygen_init(ctx) <= 0 || EVP_PKEY_keygen(ctx, &pkey) <= 0 ||
	    EVP_PKEY_get_raw_public_key(pkey, pub, &plen) <= 0) {
		T_CHECK(0, "OpenSSL makes an Ed25519 key");
		EVP_PKEY_CTX_free(ctx);
		return;
	}
	char *x = b64(pub, 32), jwk[200], jwk_eddsa[200], jwk_ed[200];
	snprintf(jwk, sizeof jwk, "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"%s\"}", x);
	snprintf(jwk_eddsa, sizeof jwk_eddsa,
	         "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"alg\":\"EdDSA\",\"x\":\"%s\"}", x);
	snprintf(jwk_ed, sizeof jwk_ed,
	         "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"alg\":\"Ed25519\",\"x\":\"%s\"}", x);
	char *t_new = ed_token(pkey, "{\"alg\":\"Ed25519\"}"), *t_old = ed_token(pkey, "{\"alg\":\"EdDSA\"}");

	T_CHECK(jose_alg_from_name("Ed25519", 7) == JOSE_ALG_ED25519 &&
	            strcmp(jose_alg_name(JOSE_ALG_ED25519), "Ed25519") == 0 &&
	            jose_alg_parse_list("EdDSA,Ed25519", &mask) == 0 && mask == JOSE_ALGS_OKP,
	        "\"Ed25519\" is an algorithm name next to \"EdDSA\"");
	T_CHECK(verify_with(jwk, 0, t_new) == JOSE_OK,
	        "alg Ed25519 (OpenSSL-signed) verifies with an Ed25519 key");
	T_CHECK(verify_with(jwk, 0, t_old) == JOSE_OK, "alg EdDSA still verifies");
	T_CHECK(verify_with(jwk_ed, 0, t_new) == JOSE_OK,
	        "a key with \"alg\":\"Ed25519\" verifies alg Ed25519");
	T_CHECK(verify_with(jwk_eddsa, 0, t_new) == JOSE_E_NO_MATCHING_KEY,
	        "a key with \"alg\":\"EdDSA\" does not verify alg Ed25519 (the key's alg binds exactly)");
	T_CHECK(verify_with(jwk_ed, 0, t_old) == JOSE_E_NO_MATCHING_KEY,
	        "a key with \"alg\":\"Ed25519\" does not verify alg EdDSA");
	T_CHECK(verify_with(jwk, JOSE_ALG_BIT(JOSE_ALG_EDDSA), t_new) == JOSE_E_ALG_NOT_ALLOWED,
	        "an allowlist of EdDSA alone refuses alg Ed25519");
	T_CHECK(verify_with(jwk, JOSE_ALG_BIT(JOSE_ALG_ED25519), t_old) == JOSE_E_ALG_NOT_ALLOWED,
	        "an allowlist of Ed25519 alone refuses alg EdDSA");
	free(x), free(t_new), free(t_old);
	EVP_PKEY_free(pkey);
	EVP_PKEY_CTX_free(ctx);
}

int main(void)
{
	curves();
	import_seam();
	verify_seam();
	rsa_seam();
	rsa_sizes();
	rsa_exponents();
	ed25519_alg();
	T_DONE();
}
