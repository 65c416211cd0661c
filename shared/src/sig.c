/*
 * sig.c: the signature primitives under JWS, on wolfCrypt (see inner.h).
 *
 * Every wolfCrypt key object is built here, on the stack, from the raw bytes of
 * an immutable jose_key, and freed before returning: wolfCrypt's RsaKey keeps
 * per-operation state, so a shared one would not be thread-safe. Any malformed
 * signature (wrong length, s >= n, r or s outside [1, n-1], DER instead of
 * r||s) is JOSE_E_SIG_FAILED, exactly like a wrong one. Never allocates on
 * the heap itself.
 */
#include <string.h>

#include <wolfssl/wolfcrypt/settings.h>
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/ed25519.h>
#include <wolfssl/wolfcrypt/hash.h>
#include <wolfssl/wolfcrypt/hmac.h>
#include <wolfssl/wolfcrypt/rsa.h>

#include "inner.h"

/* Largest RSA modulus in bytes. */
#define RSA_MAX_BYTES (JOSE_RSA_MAX_BITS / 8)

/*
 * DER prefixes of the DigestInfo for SHA-256/384/512 (RFC 8017 §9.2, note 1).
 * Fixed bytes: comparing against them avoids wolfCrypt's ASN.1 module (size
 * that matters in the WASM build) and any lenient DER parsing.
 */
#define DIGESTINFO_PREFIX 19
static const uint8_t digestinfo[3][DIGESTINFO_PREFIX] = {
    {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00,
     0x04, 0x20},
    {0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00,
     0x04, 0x30},
    {0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00,
     0x04, 0x40},
};

static enum wc_HashType hash_of(jose_alg alg)
{
	switch (jose_alg_hash_len(alg)) {
	case 32:
		return WC_HASH_TYPE_SHA256;
	case 48:
		return WC_HASH_TYPE_SHA384;
	default:
		return WC_HASH_TYPE_SHA512;
	}
}

static jose_err verify_hmac(const jose_key *k, jose_alg alg, const uint8_t *msg, size_t n, const uint8_t *sig,
                            size_t sig_len)
{
	static const int types[] = {WC_SHA256, WC_SHA384, WC_SHA512};
	size_t len = jose_alg_hash_len(alg);
	uint8_t mac[WC_MAX_DIGEST_SIZE];
	jose_err err = JOSE_E_INTERNAL;
	Hmac h;

	if (sig_len != len)
		return JOSE_E_SIG_FAILED;
	if (wc_HmacInit(&h, NULL, INVALID_DEVID) != 0)
		return JOSE_E_INTERNAL;
	if (wc_HmacSetKey(&h, types[alg - JOSE_ALG_HS256], k->a, (word32)k->a_len) == 0 &&
	    wc_HmacUpdate(&h, msg, (word32)n) == 0 && wc_HmacFinal(&h, mac) == 0)
		err = jose_ct_equal(mac, sig, len) ? JOSE_OK : JOSE_E_SIG_FAILED;
	wc_HmacFree(&h);
	return err;
}

/* RSASSA-PKCS1-v1_5: the recovered block must be exactly DigestInfo(prefix || digest). */
static jose_err rsa_pkcs1(RsaKey *key, jose_alg alg, const uint8_t *digest, const uint8_t *sig,
                          size_t sig_len)
{
	uint8_t buf[RSA_MAX_BYTES], *out = NULL;
	size_t len = jose_alg_hash_len(alg);
	int n;

	memcpy(buf, sig, sig_len); /* the inline form (the one the verify-only WASM build has) */
	n = wc_RsaSSL_VerifyInline(buf, (word32)sig_len, &out, key);
	if (n != (int)(DIGESTINFO_PREFIX + len) || !out)
		return JOSE_E_SIG_FAILED;
	return memcmp(out, digestinfo[alg - JOSE_ALG_RS256], DIGESTINFO_PREFIX) == 0 &&
	               memcmp(out + DIGESTINFO_PREFIX, digest, len) == 0
	           ? JOSE_OK
	           : JOSE_E_SIG_FAILED;
}

/* RSASSA-PSS with MGF1 on the same hash and a salt as long as the hash (RFC 7518 §3.5). */
static jose_err rsa_pss(RsaKey *key, jose_alg alg, const uint8_t *digest, const uint8_t *sig, size_t sig_len,
                        size_t bits)
{
	static const int mgfs[] = {WC_MGF1SHA256, WC_MGF1SHA384, WC_MGF1SHA512};
	uint8_t in[RSA_MAX_BYTES], out[RSA_MAX_BYTES];
	size_t len = jose_alg_hash_len(alg);
	int n;

	memcpy(in, sig, sig_len);
	n = wc_RsaPSS_Verify_ex(in, (word32)sig_len, out, sizeof out, hash_of(alg),
	                        mgfs[alg - JOSE_ALG_PS256], (int)len, key);
	if (n < 0)
		return JOSE_E_SIG_FAILED;
	return wc_RsaPSS_CheckPadding_ex(digest, (word32)len, out, (word32)n, hash_of(alg), (int)len,
	                                 (int)bits) == 0
	           ? JOSE_OK
	           : JOSE_E_SIG_FAILED;
}

static jose_err verify_rsa(const jose_key *k, jose_alg alg, const uint8_t *msg, size_t n, const uint8_t *sig,
                           size_t sig_len)
{
	uint8_t digest[WC_MAX_DIGEST_SIZE];
	jose_err err = JOSE_E_INTERNAL;
	RsaKey key;

	/* The signature is exactly the modulus length and, as an integer, below n
	 * (k->a has no leading zero byte, so equal lengths compare bytewise). */
	if (sig_len != k->a_len || sig_len > RSA_MAX_BYTES || memcmp(sig, k->a, sig_len) >= 0)
		return JOSE_E_SIG_FAILED;
	if (wc_Hash(hash_of(alg), msg, (word32)n, digest, sizeof digest) != 0)
		return JOSE_E_INTERNAL;
	if (wc_InitRsaKey(&key, NULL) != 0)
		return JOSE_E_INTERNAL;
	if (wc_RsaPublicKeyDecodeRaw(k->a, (word32)k->a_len, k->b, (word32)k->b_len, &key) == 0) {
		if (alg >= JOSE_ALG_PS256)
			err = rsa_pss(&key, alg, digest, sig, sig_len, (size_t)wc_RsaEncryptSize(&key) * 8);
		else
			err = rsa_pkcs1(&key, alg, digest, sig, sig_len);
	}
	wc_FreeRsaKey(&key);
	return err;
}

/* Read one half of r||s; it must lie in [1, order-1]. */
static int read_scalar(mp_int *v, const uint8_t *bytes, size_t len, mp_int *order)
{
	return mp_read_unsigned_bin(v, bytes, (word32)len) == 0 && !mp_iszero(v) && mp_cmp(v, order) == MP_LT;
}

static jose_err verify_ec(const jose_key *k, jose_alg alg, const uint8_t *msg, size_t n, const uint8_t *sig,
                          size_t sig_len)
{
	uint8_t digest[WC_MAX_DIGEST_SIZE];
	size_t half = k->a_len, hlen = jose_alg_hash_len(alg);
	jose_err err = JOSE_E_INTERNAL;
	mp_int r, s, order;
	int ok = 0;
	ecc_key key;

	if (sig_len != 2 * half)
		return JOSE_E_SIG_FAILED;
	if (wc_Hash(hash_of(alg), msg, (word32)n, digest, sizeof digest) != 0)
		return JOSE_E_INTERNAL;
	if (mp_init_multi(&r, &s, &order, NULL, NULL, NULL) != 0)
		return JOSE_E_INTERNAL;
	if (wc_ecc_init(&key) != 0)
		goto out_mp;
	if (wc_ecc_import_unsigned(&key, k->a, k->b, NULL, k->curve) != 0 ||
	    mp_read_radix(&order, key.dp->order, MP_RADIX_HEX) != 0)
		goto out;
	err = JOSE_E_SIG_FAILED;
	if (!read_scalar(&r, sig, half, &order) || !read_scalar(&s, sig + half, half, &order))
		goto out;
	if (wc_ecc_verify_hash_ex(&r, &s, digest, (word32)hlen, &ok, &key) == 0 && ok == 1)
		err = JOSE_OK;
out:
	wc_ecc_free(&key);
out_mp:
	mp_clear(&r);
	mp_clear(&s);
	mp_clear(&order);
	return err;
}

/*
 * RFC 8032 §5.1.7: S must be below the group order L, or signatures are
 * malleable. wolfCrypt 5.5.4 misses S values just above L; check it here.
 * S is little-endian, so compare from the most significant (last) byte down.
 */
static int ed25519_s_canonical(const uint8_t s[32])
{
	static const uint8_t order[32] = {
	    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
	    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
	};

	for (int i = 31; i >= 0; i--)
		if (s[i] != order[i])
			return s[i] < order[i];
	return 0; /* S == L */
}

static jose_err verify_ed25519(const jose_key *k, const uint8_t *msg, size_t n, const uint8_t *sig,
                               size_t sig_len)
{
	jose_err err = JOSE_E_INTERNAL;
	ed25519_key key;
	int ok = 0;

	if (sig_len != ED25519_SIG_SIZE || !ed25519_s_canonical(sig + 32))
		return JOSE_E_SIG_FAILED;
	if (wc_ed25519_init(&key) != 0)
		return JOSE_E_INTERNAL;
	if (wc_ed25519_import_public(k->a, (word32)k->a_len, &key) == 0)
		err = wc_ed25519_verify_msg(sig, (word32)sig_len, msg, (word32)n, &ok, &key) == 0 && ok == 1
		          ? JOSE_OK
		          : JOSE_E_SIG_FAILED;
	wc_ed25519_free(&key);
	return err;
}

/* see inner.h */
jose_err jose_key_verify(const jose_key *k, jose_alg alg, const uint8_t *msg, size_t msg_len,
                         const uint8_t *sig, size_t sig_len)
{
	static const uint8_t empty[1];

	if (!k || k->dead != JOSE_OK || !(k->algs & JOSE_ALG_BIT(alg)) || (!msg && msg_len) ||
	    (!sig && sig_len) || msg_len > UINT32_MAX)
		return JOSE_E_ARG;
	if (k->kty == JOSE_KTY_OCT && k->a_len < jose_alg_hash_len(alg))
		return JOSE_E_JWK_INVALID; /* RFC 7518 §3.2: key at least as long as the hash */
	msg = msg ? msg : empty;
	sig = sig ? sig : empty;
	switch (k->kty) {
	case JOSE_KTY_OCT:
		return verify_hmac(k, alg, msg, msg_len, sig, sig_len);
	case JOSE_KTY_RSA:
		return verify_rsa(k, alg, msg, msg_len, sig, sig_len);
	case JOSE_KTY_EC:
		return verify_ec(k, alg, msg, msg_len, sig, sig_len);
	case JOSE_KTY_OKP:
		return verify_ed25519(k, msg, msg_len, sig, sig_len);
	}
	return JOSE_E_INTERNAL;
}
