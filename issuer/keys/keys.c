/*
 * keys.c: signing keys on wolfCrypt (see keys.h).
 *
 * A keys_key holds its private key once, as canonical PKCS#8 DER, plus the raw
 * public values (for the JWK and the kid). Every signature decodes the DER into
 * a wolfCrypt object on the stack and frees it (which zeroes it) before
 * returning, so the key object is never written after creation and threads can
 * share it. Generation and import meet in one function (from_der) that
 * normalises the DER, derives the public values and the kid, and runs the
 * self-test; there is no other way to make a key.
 *
 * This file must never write private material anywhere but the caller's own
 * buffers: no logging, no private JWK members, secrets wiped before free.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wolfssl/wolfcrypt/settings.h>
#include <wolfssl/wolfcrypt/asn.h>
#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/ed25519.h>
#include <wolfssl/wolfcrypt/hash.h>
#include <wolfssl/wolfcrypt/rsa.h>

#include "keys/keys.h"

/* Largest RSA modulus in bytes, and largest signature of any algorithm. */
#define RSA_MAX_BYTES (KEYS_RSA_MAX_BITS / 8)
#define SIG_MAX       RSA_MAX_BYTES

/* Largest EC coordinate (P-521). */
#define EC_MAX_BYTES 66

/* Longest canonical thumbprint input: an oct key of JOSE_OCT_MAX bytes. */
#define CANON_MAX (JOSE_B64URL_ENCODED_LEN(JOSE_OCT_MAX) + 64)

enum kind { RSA_PKCS1, RSA_PSS, EC, ED25519 };

/* What each algorithm needs; one row per supported algorithm. */
struct alg_info {
	const char *name;
	jose_alg alg;
	enum kind kind;
	enum wc_HashType hash; /* WC_HASH_TYPE_NONE for EdDSA (hashing is internal) */
	int mgf;               /* PSS only */
	int curve;             /* EC only: wolfCrypt curve id */
	size_t size;           /* EC coordinate size; Ed25519 public key size */
	const char *crv;       /* EC and OKP only */
};

static const struct alg_info algs[] = {
    {"RS256", JOSE_ALG_RS256, RSA_PKCS1, WC_HASH_TYPE_SHA256, 0, 0, 0, NULL},
    {"RS384", JOSE_ALG_RS384, RSA_PKCS1, WC_HASH_TYPE_SHA384, 0, 0, 0, NULL},
    {"RS512", JOSE_ALG_RS512, RSA_PKCS1, WC_HASH_TYPE_SHA512, 0, 0, 0, NULL},
    {"PS256", JOSE_ALG_PS256, RSA_PSS, WC_HASH_TYPE_SHA256, WC_MGF1SHA256, 0, 0, NULL},
    {"PS384", JOSE_ALG_PS384, RSA_PSS, WC_HASH_TYPE_SHA384, WC_MGF1SHA384, 0, 0, NULL},
    {"PS512", JOSE_ALG_PS512, RSA_PSS, WC_HASH_TYPE_SHA512, WC_MGF1SHA512, 0, 0, NULL},
    {"ES256", JOSE_ALG_ES256, EC, WC_HASH_TYPE_SHA256, 0, ECC_SECP256R1, 32, "P-256"},
    {"ES384", JOSE_ALG_ES384, EC, WC_HASH_TYPE_SHA384, 0, ECC_SECP384R1, 48, "P-384"},
    {"ES512", JOSE_ALG_ES512, EC, WC_HASH_TYPE_SHA512, 0, ECC_SECP521R1, 66, "P-521"},
    {"EdDSA", JOSE_ALG_EDDSA, ED25519, WC_HASH_TYPE_NONE, 0, 0, ED25519_PUB_KEY_SIZE, "Ed25519"},
};

struct keys_key {
	const struct alg_info *ai;
	uint8_t *der; /* canonical PKCS#8: the only copy of the secret */
	size_t der_len;
	uint8_t a[RSA_MAX_BYTES]; /* RSA n (no leading zero), EC x, Ed25519 public key */
	size_t a_len;
	uint8_t b[EC_MAX_BYTES]; /* RSA e, EC y */
	size_t b_len;
	size_t sig_len; /* exact signature length */
	char kid[KEYS_KID_LEN + 1];
};

/* ---- small helpers ---------------------------------------------------------- */

/* Zero n bytes at p in a way the compiler may not drop. */
static void wipe(void *p, size_t n)
{
	volatile uint8_t *v = p;

	while (n--)
		*v++ = 0;
}

static const struct alg_info *find_alg(const char *name)
{
	for (size_t i = 0; name && i < sizeof algs / sizeof algs[0]; i++)
		if (strcmp(algs[i].name, name) == 0)
			return &algs[i];
	return NULL;
}

/* Base64url of in[0..len) into a new string, or NULL. */
static char *b64(const uint8_t *in, size_t len)
{
	size_t cap = JOSE_B64URL_ENCODED_LEN(len) + 1;
	char *s = malloc(cap);

	if (s && jose_b64url_encode(s, cap, in, len) != cap - 1) {
		free(s);
		s = NULL;
	}
	return s;
}

/* ---- RFC 7638 thumbprints -------------------------------------------------- */

/* SHA-256 of the canonical JSON text canon, base64url into out. */
static jose_err hash_canon(const char *canon, int n, char out[KEYS_KID_LEN + 1])
{
	uint8_t digest[WC_SHA256_DIGEST_SIZE];

	if (n < 0 || n >= CANON_MAX)
		return JOSE_E_JWK_INVALID;
	if (wc_Sha256Hash((const byte *)canon, (word32)n, digest) != 0)
		return JOSE_E_INTERNAL;
	return jose_b64url_encode(out, KEYS_KID_LEN + 1, digest, sizeof digest) == KEYS_KID_LEN
	           ? JOSE_OK
	           : JOSE_E_INTERNAL;
}

/*
 * The thumbprint from the required members, already checked to need no JSON
 * escaping. RFC 7638 §3.2: members in lexicographic order, no whitespace.
 * kty "RSA": m1 = e, m2 = n; "EC": crv, x, y; "OKP": crv, x; "oct": m1 = k.
 */
static jose_err thumbprint(const char *kty, const char *crv, const char *m1, const char *m2,
                           char out[KEYS_KID_LEN + 1])
{
	char canon[CANON_MAX];
	int n;

	if (strcmp(kty, "RSA") == 0)
		n = snprintf(canon, sizeof canon, "{\"e\":\"%s\",\"kty\":\"RSA\",\"n\":\"%s\"}", m1, m2);
	else if (strcmp(kty, "EC") == 0)
		n = snprintf(canon, sizeof canon, "{\"crv\":\"%s\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}",
		             crv, m1, m2);
	else if (strcmp(kty, "OKP") == 0)
		n = snprintf(canon, sizeof canon, "{\"crv\":\"%s\",\"kty\":\"OKP\",\"x\":\"%s\"}", crv, m1);
	else
		n = snprintf(canon, sizeof canon, "{\"k\":\"%s\",\"kty\":\"oct\"}", m1);
	return hash_canon(canon, n, out);
}

/* Member name of jwk as strict base64url of at most max bytes, or NULL. */
static const char *b64_member(const cJSON *jwk, const char *name, size_t max)
{
	uint8_t scratch[JOSE_OCT_MAX];
	const char *s = jose_json_string(jwk, name);
	size_t len;

	if (!s || max > sizeof scratch || jose_b64url_decode(scratch, max, &len, s, strlen(s)) != 0 ||
	    len == 0)
		s = NULL;
	wipe(scratch, sizeof scratch); /* an oct k is a secret */
	return s;
}

/* "crv" of jwk when it is 1..16 characters of [A-Za-z0-9-], else NULL. */
static const char *crv_member(const cJSON *jwk)
{
	const char *s = jose_json_string(jwk, "crv");
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > 16 ||
	    strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-") != n)
		return NULL;
	return s;
}

/* see keys.h */
jose_err keys_thumbprint_jwk(const cJSON *jwk, char out[KEYS_KID_LEN + 1])
{
	const char *kty = jose_json_string(jwk, "kty"), *crv = NULL, *m1 = NULL, *m2 = NULL;

	if (!jwk || !out)
		return JOSE_E_ARG;
	if (!kty)
		return JOSE_E_JWK_INVALID;
	if (strcmp(kty, "RSA") == 0) {
		m1 = b64_member(jwk, "e", RSA_MAX_BYTES);
		m2 = b64_member(jwk, "n", RSA_MAX_BYTES);
	} else if (strcmp(kty, "EC") == 0) {
		crv = crv_member(jwk);
		m1 = b64_member(jwk, "x", EC_MAX_BYTES);
		m2 = b64_member(jwk, "y", EC_MAX_BYTES);
	} else if (strcmp(kty, "OKP") == 0) {
		crv = crv_member(jwk);
		m1 = b64_member(jwk, "x", EC_MAX_BYTES * 2); /* room for Ed448/X448 */
		m2 = "";
	} else if (strcmp(kty, "oct") == 0) {
		m1 = b64_member(jwk, "k", JOSE_OCT_MAX);
		m2 = "";
	} else {
		return JOSE_E_NOT_SUPPORTED;
	}
	if (!m1 || !m2 || (!crv && (strcmp(kty, "EC") == 0 || strcmp(kty, "OKP") == 0)))
		return JOSE_E_JWK_INVALID;
	return thumbprint(kty, crv, m1, m2, out);
}

/* The kid of k from its raw public values. */
static jose_err compute_kid(keys_key *k)
{
	const char *kty = k->ai->kind == EC ? "EC" : k->ai->kind == ED25519 ? "OKP" : "RSA";
	char *a = b64(k->a, k->a_len), *b = b64(k->b, k->b_len);
	jose_err err = JOSE_E_NOMEM;

	if (!a || !b)
		goto out;
	if (k->ai->kind == RSA_PKCS1 || k->ai->kind == RSA_PSS)
		err = thumbprint(kty, NULL, b, a, k->kid); /* e, then n */
	else
		err = thumbprint(kty, k->ai->crv, a, b, k->kid);
out:
	free(a);
	free(b);
	return err;
}

/* ---- signing ---------------------------------------------------------------- */

/*
 * Check an RSA signature with the public half before it leaves: a fault in
 * one CRT half yields a signature whose gcd with n reveals a prime.
 */
static int rsa_selfcheck(const keys_key *k, RsaKey *key, const uint8_t *digest, size_t hlen,
                         const uint8_t *enc, size_t enc_len, const uint8_t *sig)
{
	uint8_t in[SIG_MAX], out[SIG_MAX];
	int n;

	memcpy(in, sig, k->sig_len); /* wolfCrypt's verify takes a non-const input */
	if (k->ai->kind == RSA_PKCS1) {
		n = wc_RsaSSL_Verify(in, (word32)k->sig_len, out, sizeof out, key);
		return n == (int)enc_len && memcmp(out, enc, enc_len) == 0;
	}
	n = wc_RsaPSS_Verify_ex(in, (word32)k->sig_len, out, sizeof out, k->ai->hash, k->ai->mgf, (int)hlen,
	                        key);
	return n > 0 && wc_RsaPSS_CheckPadding_ex(digest, (word32)hlen, out, (word32)n, k->ai->hash,
	                                          (int)hlen, (int)k->sig_len * 8) == 0;
}

/* RSASSA-PKCS1-v1_5 (RFC 8017 §8.2) or RSASSA-PSS with salt = hash length. */
static jose_err sign_rsa(const keys_key *k, WC_RNG *rng, const uint8_t *digest, size_t hlen, uint8_t *sig)
{
	uint8_t enc[MAX_ENCODED_SIG_SZ];
	jose_err err = JOSE_E_INTERNAL;
	word32 idx = 0, enc_len = 0;
	RsaKey key;
	int n;

	if (wc_InitRsaKey(&key, NULL) != 0)
		return JOSE_E_INTERNAL;
	if (wc_RsaPrivateKeyDecode(k->der, &idx, &key, (word32)k->der_len) != 0 ||
	    wc_RsaSetRNG(&key, rng) != 0)
		goto out;
	if (k->ai->kind == RSA_PKCS1) {
		enc_len = wc_EncodeSignature(enc, digest, (word32)hlen, wc_HashGetOID(k->ai->hash));
		n = wc_RsaSSL_Sign(enc, enc_len, sig, SIG_MAX, &key, rng);
	} else {
		n = wc_RsaPSS_Sign_ex(digest, (word32)hlen, sig, SIG_MAX, k->ai->hash, k->ai->mgf, (int)hlen,
		                      &key, rng);
	}
	if (n == (int)k->sig_len && rsa_selfcheck(k, &key, digest, hlen, enc, enc_len, sig))
		err = JOSE_OK;
out:
	wc_FreeRsaKey(&key);
	return err;
}

/* ECDSA as JWS wants it (RFC 7518 §3.4): r and s, each left-padded to the curve size. */
static jose_err sign_ec(const keys_key *k, WC_RNG *rng, const uint8_t *digest, size_t hlen, uint8_t *sig)
{
	size_t size = k->ai->size;
	jose_err err = JOSE_E_INTERNAL;
	word32 idx = 0;
	ecc_key key;
	mp_int r, s;

	if (mp_init_multi(&r, &s, NULL, NULL, NULL, NULL) != 0)
		return JOSE_E_INTERNAL;
	if (wc_ecc_init(&key) != 0)
		goto out_mp;
	if (wc_EccPrivateKeyDecode(k->der, &idx, &key, (word32)k->der_len) == 0 &&
	    wc_ecc_sign_hash_ex(digest, (word32)hlen, rng, &key, &r, &s) == 0 &&
	    mp_to_unsigned_bin_len(&r, sig, (int)size) == 0 &&
	    mp_to_unsigned_bin_len(&s, sig + size, (int)size) == 0)
		err = JOSE_OK;
	wc_ecc_free(&key);
out_mp:
	mp_clear(&r);
	mp_clear(&s);
	return err;
}

/* Ed25519 (RFC 8032 §5.1.6) over the whole signing input. */
static jose_err sign_ed25519(const keys_key *k, const uint8_t *msg, size_t len, uint8_t *sig)
{
	jose_err err = JOSE_E_INTERNAL;
	word32 idx = 0, sig_len = ED25519_SIG_SIZE;
	ed25519_key key;

	if (wc_ed25519_init(&key) != 0)
		return JOSE_E_INTERNAL;
	/* The stored DER holds the seed only; the public key was derived and
	 * checked when the key was made, so it is trusted here (no re-derivation). */
	if (wc_Ed25519PrivateKeyDecode(k->der, &idx, &key, (word32)k->der_len) == 0 &&
	    wc_ed25519_import_public_ex(k->a, (word32)k->a_len, &key, 1) == 0 &&
	    wc_ed25519_sign_msg(msg, (word32)len, sig, &sig_len, &key) == 0 && sig_len == ED25519_SIG_SIZE)
		err = JOSE_OK;
	wc_ed25519_free(&key);
	return err;
}

/* Sign msg[0..len) into sig (k->sig_len bytes, at most SIG_MAX). */
static jose_err sign_input(const keys_key *k, WC_RNG *rng, const uint8_t *msg, size_t len, uint8_t *sig)
{
	uint8_t digest[WC_MAX_DIGEST_SIZE];
	size_t hlen;
	jose_err err;

	if (len > UINT32_MAX || (!rng && k->ai->kind != ED25519))
		return JOSE_E_ARG;
	if (k->ai->kind == ED25519)
		return sign_ed25519(k, msg, len, sig);
	hlen = (size_t)wc_HashGetDigestSize(k->ai->hash);
	if (wc_Hash(k->ai->hash, msg, (word32)len, digest, sizeof digest) != 0)
		return JOSE_E_INTERNAL;
	err = k->ai->kind == EC ? sign_ec(k, rng, digest, hlen, sig) : sign_rsa(k, rng, digest, hlen, sig);
	wipe(digest, sizeof digest);
	return err;
}

/* ---- JWS -------------------------------------------------------------------- */

/* Copy the members of extra (a JSON object text) into hdr; "typ" replaces hdr's. */
static jose_err add_extra(cJSON *hdr, const char *extra)
{
	cJSON *obj = NULL, *m, *copy;
	jose_err err;

	err = jose_json_parse(extra, strlen(extra), JOSE_JSON_MAX_DEPTH, JOSE_E_ARG, &obj);
	if (err != JOSE_OK)
		return err;
	err = JOSE_E_ARG;
	if (!cJSON_IsObject(obj) || jose_json_member(obj, "alg") || jose_json_member(obj, "kid"))
		goto out;
	err = JOSE_E_NOMEM;
	cJSON_ArrayForEach(m, obj)
	{
		if (!(copy = cJSON_Duplicate(m, 1)))
			goto out;
		if (strcmp(m->string, "typ") == 0) {
			if (!cJSON_ReplaceItemInObjectCaseSensitive(hdr, "typ", copy)) {
				cJSON_Delete(copy);
				goto out;
			}
		} else if (!cJSON_AddItemToObject(hdr, m->string, copy)) {
			cJSON_Delete(copy);
			goto out;
		}
	}
	err = JOSE_OK;
out:
	cJSON_Delete(obj);
	return err;
}

/* The protected header's JSON text (cJSON_free), or NULL with *err set. */
static char *header_text(const keys_key *k, const char *extra, jose_err *err)
{
	cJSON *hdr = cJSON_CreateObject();
	char *text = NULL;

	*err = JOSE_E_NOMEM;
	if (!hdr || !cJSON_AddStringToObject(hdr, "alg", k->ai->name) ||
	    !cJSON_AddStringToObject(hdr, "kid", k->kid) || !cJSON_AddStringToObject(hdr, "typ", "JWT"))
		goto out;
	if (extra && (*err = add_extra(hdr, extra)) != JOSE_OK)
		goto out;
	*err = (text = jose_json_print(hdr)) ? JOSE_OK : JOSE_E_NOMEM;
out:
	cJSON_Delete(hdr);
	return text;
}

/* see keys.h */
jose_err keys_sign_jws(const keys_key *k, WC_RNG *rng, const char *header_extra, const char *payload,
                       size_t payload_len, char **out_token)
{
	uint8_t sig[SIG_MAX];
	char *hdr = NULL, *tok = NULL;
	size_t hb, pb, sb, total;
	jose_err err = JOSE_E_ARG;

	if (out_token)
		*out_token = NULL;
	if (!k || !out_token || (!payload && payload_len) || payload_len > JOSE_TOKEN_MAX_LEN)
		return JOSE_E_ARG;
	if (!(hdr = header_text(k, header_extra, &err)))
		goto out;
	hb = JOSE_B64URL_ENCODED_LEN(strlen(hdr));
	pb = JOSE_B64URL_ENCODED_LEN(payload_len);
	sb = JOSE_B64URL_ENCODED_LEN(k->sig_len);
	total = hb + 1 + pb + 1 + sb;
	err = JOSE_E_ARG;
	if (hb > JOSE_HEADER_MAX_LEN || total > JOSE_TOKEN_MAX_LEN)
		goto out;
	err = JOSE_E_NOMEM;
	if (!(tok = malloc(total + 1)))
		goto out;
	jose_b64url_encode(tok, hb + 1, (const uint8_t *)hdr, strlen(hdr));
	tok[hb] = '.';
	jose_b64url_encode(tok + hb + 1, pb + 1, (const uint8_t *)(payload ? payload : ""), payload_len);
	if ((err = sign_input(k, rng, (const uint8_t *)tok, hb + 1 + pb, sig)) != JOSE_OK)
		goto out;
	tok[hb + 1 + pb] = '.';
	jose_b64url_encode(tok + hb + 1 + pb + 1, sb + 1, sig, k->sig_len);
	*out_token = tok;
	tok = NULL;
	err = JOSE_OK;
out:
	cJSON_free(hdr);
	free(tok);
	return err;
}

/* ---- public JWK, self-test -------------------------------------------------- */

/* Add member name = base64url(in[0..len)) to obj; 0 or -1. */
static int add_b64(cJSON *obj, const char *name, const uint8_t *in, size_t len)
{
	char *s = b64(in, len);
	int ok = s && cJSON_AddStringToObject(obj, name, s);

	free(s);
	return ok ? 0 : -1;
}

/* see keys.h */
jose_err keys_public_jwk(const keys_key *k, cJSON **out)
{
	enum kind kind = k ? k->ai->kind : RSA_PKCS1;
	cJSON *jwk = NULL;
	int bad;

	if (!out)
		return JOSE_E_ARG;
	*out = NULL;
	if (!k)
		return JOSE_E_ARG;
	if (!(jwk = cJSON_CreateObject()))
		return JOSE_E_NOMEM;
	if (kind == RSA_PKCS1 || kind == RSA_PSS)
		bad = !cJSON_AddStringToObject(jwk, "kty", "RSA") || add_b64(jwk, "n", k->a, k->a_len) ||
		      add_b64(jwk, "e", k->b, k->b_len);
	else
		bad = !cJSON_AddStringToObject(jwk, "kty", kind == EC ? "EC" : "OKP") ||
		      !cJSON_AddStringToObject(jwk, "crv", k->ai->crv) || add_b64(jwk, "x", k->a, k->a_len) ||
		      (kind == EC && add_b64(jwk, "y", k->b, k->b_len));
	if (bad || !cJSON_AddStringToObject(jwk, "kid", k->kid) ||
	    !cJSON_AddStringToObject(jwk, "alg", k->ai->name) ||
	    !cJSON_AddStringToObject(jwk, "use", "sig")) {
		cJSON_Delete(jwk);
		return JOSE_E_NOMEM;
	}
	*out = jwk;
	return JOSE_OK;
}

/*
 * Sign a probe token and verify it with the JOSE core against the key's own
 * public JWK: proves the private half matches the public half and that the
 * verifier accepts this key (size, curve, exponent, ROCA) and its signatures.
 */
static jose_err selftest(const keys_key *k, WC_RNG *rng)
{
	cJSON *jwk = NULL;
	char *text = NULL, *tok = NULL;
	jose_jwks *set = NULL;
	jose_jws jws;
	jose_err err;

	memset(&jws, 0, sizeof jws);
	err = keys_sign_jws(k, rng, NULL, "{}", 2, &tok);
	if (err == JOSE_E_INTERNAL)
		err = JOSE_E_JWK_INVALID; /* the DRBG just worked: the key is what fails */
	if (err != JOSE_OK)
		goto out;
	if ((err = keys_public_jwk(k, &jwk)) != JOSE_OK)
		goto out;
	err = JOSE_E_NOMEM;
	if (!(text = jose_json_print(jwk)))
		goto out;
	err = jose_jwks_import(text, strlen(text), &set, NULL);
	if (err == JOSE_OK &&
	    (err = jose_jws_verify(set, JOSE_ALG_BIT(k->ai->alg), tok, strlen(tok), &jws, NULL)) == JOSE_OK)
		jose_jws_clear(&jws);
	if (jose_err_is_verdict(err))
		err = JOSE_E_JWK_INVALID;
out:
	jose_jwks_free(set);
	cJSON_free(text);
	cJSON_Delete(jwk);
	free(tok);
	return err;
}

/* ---- loading: DER in, canonical DER + public values + kid out ------------------ */

/* RSA: PKCS#1 or PKCS#8 in; n, e and PKCS#8 of the PKCS#1 encoding out. */
static jose_err load_rsa(keys_key *k, const uint8_t *der, size_t len, uint8_t *canon, word32 *canon_len)
{
	uint8_t pk1[KEYS_DER_MAX];
	word32 idx = 0, a_len = sizeof k->a, b_len = sizeof k->b;
	jose_err err = JOSE_E_JWK_INVALID;
	RsaKey key;
	int n, bits;

	if (wc_InitRsaKey(&key, NULL) != 0)
		return JOSE_E_INTERNAL;
	if (wc_RsaPrivateKeyDecode(der, &idx, &key, (word32)len) != 0 || idx != len)
		goto out;
	bits = mp_count_bits(&key.n);
	if (bits < KEYS_RSA_MIN_BITS || bits > KEYS_RSA_MAX_BITS ||
	    wc_RsaFlattenPublicKey(&key, k->b, &b_len, k->a, &a_len) != 0)
		goto out;
	err = JOSE_E_INTERNAL;
	if ((n = wc_RsaKeyToDer(&key, pk1, sizeof pk1)) <= 0 ||
	    wc_CreatePKCS8Key(canon, canon_len, pk1, (word32)n, RSAk, NULL, 0) <= 0)
		goto out;
	k->a_len = a_len;
	k->b_len = b_len;
	k->sig_len = (size_t)wc_RsaEncryptSize(&key);
	err = JOSE_OK;
out:
	wipe(pk1, sizeof pk1);
	wc_FreeRsaKey(&key);
	return err;
}

/* EC: SEC1 or PKCS#8 in (public point derived when absent); x, y and PKCS#8 out. */
static jose_err load_ec(keys_key *k, const uint8_t *der, size_t len, WC_RNG *rng, uint8_t *canon,
                        word32 *canon_len)
{
	word32 idx = 0, x_len = (word32)k->ai->size, y_len = (word32)k->ai->size;
	jose_err err = JOSE_E_JWK_INVALID;
	ecc_key key;

	if (wc_ecc_init(&key) != 0)
		return JOSE_E_INTERNAL;
	if (wc_EccPrivateKeyDecode(der, &idx, &key, (word32)len) != 0 || idx != len || !key.dp ||
	    key.dp->id != k->ai->curve)
		goto out;
	if (key.type == ECC_PRIVATEKEY_ONLY && wc_ecc_make_pub_ex(&key, NULL, rng) != 0)
		goto out;
	if (wc_ecc_export_public_raw(&key, k->a, &x_len, k->b, &y_len) != 0 || x_len != k->ai->size ||
	    y_len != k->ai->size)
		goto out;
	err = wc_EccKeyToPKCS8(&key, canon, canon_len) > 0 ? JOSE_OK : JOSE_E_INTERNAL;
	k->a_len = x_len;
	k->b_len = y_len;
	k->sig_len = 2 * k->ai->size;
out:
	wc_ecc_free(&key);
	return err;
}

/* Ed25519: raw 32-byte seed or PKCS#8 (v1 or v2) in; public key and v1 PKCS#8 out. */
static jose_err load_ed25519(keys_key *k, const uint8_t *der, size_t len, uint8_t *canon, word32 *canon_len)
{
	jose_err err = JOSE_E_JWK_INVALID;
	ed25519_key key;
	word32 idx = 0;
	int n;

	if (wc_ed25519_init(&key) != 0)
		return JOSE_E_INTERNAL;
	if (len == ED25519_KEY_SIZE) {
		if (wc_ed25519_import_private_only(der, ED25519_KEY_SIZE, &key) != 0)
			goto out;
	} else if (wc_Ed25519PrivateKeyDecode(der, &idx, &key, (word32)len) != 0 || idx != len) {
		goto out; /* a v2 key whose public key does not match its seed fails here */
	}
	if (wc_ed25519_make_public(&key, k->a, ED25519_PUB_KEY_SIZE) != 0)
		goto out;
	err = JOSE_E_INTERNAL;
	if ((n = wc_Ed25519PrivateKeyToDer(&key, canon, *canon_len)) <= 0)
		goto out;
	*canon_len = (word32)n;
	k->a_len = ED25519_PUB_KEY_SIZE;
	k->b_len = 0;
	k->sig_len = ED25519_SIG_SIZE;
	err = JOSE_OK;
out:
	wc_ed25519_free(&key);
	return err;
}

/* The one way to make a key: load der as a key for ai, then kid and self-test. */
static jose_err from_der(const struct alg_info *ai, const uint8_t *der, size_t len, WC_RNG *rng,
                         keys_key **out)
{
	uint8_t canon[KEYS_DER_MAX];
	word32 canon_len = sizeof canon;
	keys_key *k = calloc(1, sizeof *k);
	jose_err err = JOSE_E_NOMEM;

	if (!k)
		goto out;
	k->ai = ai;
	if (ai->kind == EC)
		err = load_ec(k, der, len, rng, canon, &canon_len);
	else if (ai->kind == ED25519)
		err = load_ed25519(k, der, len, canon, &canon_len);
	else
		err = load_rsa(k, der, len, canon, &canon_len);
	if (err != JOSE_OK)
		goto out;
	err = JOSE_E_NOMEM;
	if (!(k->der = malloc(canon_len)))
		goto out;
	memcpy(k->der, canon, canon_len);
	k->der_len = canon_len;
	if ((err = compute_kid(k)) != JOSE_OK || (err = selftest(k, rng)) != JOSE_OK)
		goto out;
	*out = k;
	k = NULL;
out:
	wipe(canon, sizeof canon);
	keys_free(k);
	return err;
}

/* ---- the API ---------------------------------------------------------------- */

/* see keys.h */
jose_err keys_import_private(const char *alg, const uint8_t *der, size_t len, keys_key **out)
{
	const struct alg_info *ai = find_alg(alg);
	jose_err err;
	WC_RNG rng;

	if (out)
		*out = NULL;
	if (!ai || !der || !out)
		return JOSE_E_ARG;
	if (len == 0 || len > KEYS_DER_MAX)
		return JOSE_E_JWK_INVALID;
	if (wc_InitRng(&rng) != 0)
		return JOSE_E_INTERNAL;
	err = from_der(ai, der, len, &rng, out);
	wc_FreeRng(&rng);
	return err;
}

/* Generate a wolfCrypt key for ai and encode it as DER into der (KEYS_DER_MAX). */
static jose_err make_der(const struct alg_info *ai, unsigned bits, WC_RNG *rng, uint8_t *der, word32 *len)
{
	int n = -1;

	if (ai->kind == EC) {
		ecc_key key;
		if (wc_ecc_init(&key) != 0)
			return JOSE_E_INTERNAL;
		if (wc_ecc_make_key_ex(rng, (int)ai->size, &key, ai->curve) == 0)
			n = wc_EccKeyToPKCS8(&key, der, len);
		wc_ecc_free(&key);
	} else if (ai->kind == ED25519) {
		ed25519_key key;
		if (wc_ed25519_init(&key) != 0)
			return JOSE_E_INTERNAL;
		if (wc_ed25519_make_key(rng, ED25519_KEY_SIZE, &key) == 0)
			n = wc_Ed25519PrivateKeyToDer(&key, der, *len);
		wc_ed25519_free(&key);
	} else {
		RsaKey key;
		if (wc_InitRsaKey(&key, NULL) != 0)
			return JOSE_E_INTERNAL;
		if (wc_MakeRsaKey(&key, (int)bits, WC_RSA_EXPONENT, rng) == 0)
			n = wc_RsaKeyToDer(&key, der, *len);
		wc_FreeRsaKey(&key);
	}
	if (n <= 0)
		return JOSE_E_INTERNAL;
	*len = (word32)n;
	return JOSE_OK;
}

/* see keys.h */
jose_err keys_generate_ex(const char *alg, unsigned rsa_bits, WC_RNG *rng, keys_key **out)
{
	const struct alg_info *ai = find_alg(alg);
	uint8_t der[KEYS_DER_MAX];
	word32 len = sizeof der;
	int rsa;
	jose_err err;

	if (out)
		*out = NULL;
	if (!ai || !rng || !out)
		return JOSE_E_ARG;
	rsa = ai->kind == RSA_PKCS1 || ai->kind == RSA_PSS;
	if (rsa && rsa_bits == 0)
		rsa_bits = KEYS_RSA_DEFAULT_BITS;
	if (rsa ? rsa_bits != 2048 && rsa_bits != 3072 && rsa_bits != 4096 : rsa_bits != 0)
		return JOSE_E_ARG;
	err = make_der(ai, rsa_bits, rng, der, &len);
	if (err == JOSE_OK)
		err = from_der(ai, der, len, rng, out);
	wipe(der, sizeof der);
	return err;
}

/* see keys.h */
jose_err keys_generate(const char *alg, WC_RNG *rng, keys_key **out)
{
	return keys_generate_ex(alg, 0, rng, out);
}

/* see keys.h */
jose_err keys_export_private(const keys_key *k, uint8_t **der, size_t *len)
{
	if (der)
		*der = NULL;
	if (!k || !der || !len)
		return JOSE_E_ARG;
	if (!(*der = malloc(k->der_len)))
		return JOSE_E_NOMEM;
	memcpy(*der, k->der, k->der_len);
	*len = k->der_len;
	return JOSE_OK;
}

/* see keys.h */
void keys_free_der(uint8_t *der, size_t len)
{
	if (der)
		wipe(der, len);
	free(der);
}

/* see keys.h */
const char *keys_kid(const keys_key *k)
{
	return k ? k->kid : NULL;
}

/* see keys.h */
const char *keys_alg(const keys_key *k)
{
	return k ? k->ai->name : NULL;
}

/* see keys.h */
void keys_free(keys_key *k)
{
	if (!k)
		return;
	keys_free_der(k->der, k->der_len);
	wipe(k, sizeof *k);
	free(k);
}

/* see keys.h */
int keys_to_row(const keys_key *k, const seal_keys *seal, WC_RNG *rng, struct store_key *row)
{
	uint8_t *der = NULL;
	size_t len = 0;
	int rc = -1;

	if (keys_export_private(k, &der, &len) != JOSE_OK)
		goto out;
	snprintf(row->kid, sizeof row->kid, "%s", keys_kid(k));
	snprintf(row->alg, sizeof row->alg, "%s", keys_alg(k));
	if (seal && seal->n)
		rc = seal_close(seal, rng, row->kid, der, len, row->private_der, sizeof row->private_der,
		                &row->private_der_len);
	else if (len <= sizeof row->private_der) {
		memcpy(row->private_der, der, len);
		row->private_der_len = len;
		rc = 0;
	}
out:
	if (rc) {
		explicit_bzero(row->private_der, sizeof row->private_der);
		row->private_der_len = 0;
	}
	keys_free_der(der, len);
	return rc;
}

/* see keys.h */
jose_err keys_from_row(const struct store_key *row, const seal_keys *seal, keys_key **out, int *sealed)
{
	uint8_t *der = NULL;
	size_t len = 0;
	jose_err e = JOSE_E_ARG;

	*out = NULL;
	*sealed = seal_is_sealed(row->private_der, row->private_der_len);
	if (!*sealed) {
		e = keys_import_private(row->alg, row->private_der, row->private_der_len, out);
	} else if (seal && (der = malloc(row->private_der_len)) &&
	           seal_open(seal, row->kid, row->private_der, row->private_der_len, der,
	                     row->private_der_len, &len) == 0) {
		*sealed = 0; /* opened: what follows is about the key itself */
		e = keys_import_private(row->alg, der, len, out);
	}
	if (e == JOSE_OK && strcmp(keys_kid(*out), row->kid) != 0) {
		keys_free(*out);
		*out = NULL;
		e = JOSE_E_ARG;
	}
	if (der)
		keys_free_der(der, row->private_der_len);
	return e;
}
