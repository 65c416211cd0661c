/*
 * sig_wolfcrypt.c: the wolfCrypt backend of the signature seam (jose_sig.h):
 * the RSA public operation, ECDSA and Ed25519 verification, and the EC point
 * check at import. It decides nothing the core decides (lengths, ranges,
 * padding); it only computes.
 *
 * Stateless: every wolfCrypt key object is built on the stack from the raw
 * bytes for one call and freed before returning (wolfCrypt's RsaKey keeps
 * per-operation state, so a shared one would not be thread-safe). Never
 * allocates on the heap itself.
 */
#include <string.h>

#include <wolfssl/wolfcrypt/settings.h>
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/ed25519.h>
#include <wolfssl/wolfcrypt/rsa.h>

#include "inner.h"

static int curve_id(jose_crv crv)
{
	switch (crv) {
	case JOSE_CRV_P256:
		return ECC_SECP256R1;
	case JOSE_CRV_P384:
		return ECC_SECP384R1;
	case JOSE_CRV_P521:
		return ECC_SECP521R1;
	default:
		return ECC_CURVE_INVALID;
	}
}

#ifdef USE_ECC_B_PARAM
/*
 * The point must be on its curve (invalid-curve attacks). For P-256, P-384 and
 * P-521 that is enough: their groups have prime order (cofactor 1), so every
 * affine point generates the whole group. wc_ecc_check_key would also multiply
 * by the order, which costs a scalar multiplication and, in the WebAssembly build,
 * counts as a use of the key in the SP code's per-key table cache (the table would
 * then be built during the first token instead of the second).
 */
static int ec_point_valid(const jose_pubkey *k)
{
	int idx = wc_ecc_get_curve_idx(curve_id(k->crv)), ok = 0;
	ecc_point *p = wc_ecc_new_point();

	if (p && idx >= 0 && mp_read_unsigned_bin(p->x, k->a, (word32)k->a_len) == 0 &&
	    mp_read_unsigned_bin(p->y, k->b, (word32)k->b_len) == 0 && mp_set(p->z, 1) == 0)
		ok = wc_ecc_point_is_on_curve(p, idx) == 0;
	wc_ecc_del_point(p);
	return ok;
}
#else
/* The point must be on the curve and of the right order (invalid-curve attacks). */
static int ec_point_valid(const jose_pubkey *k)
{
	ecc_key key;
	int ok;

	if (wc_ecc_init(&key) != 0)
		return 0;
	ok = wc_ecc_import_unsigned(&key, k->a, k->b, NULL, curve_id(k->crv)) == 0 &&
	     wc_ecc_check_key(&key) == 0;
	wc_ecc_free(&key);
	return ok;
}
#endif

static jose_err wc_load(void *ctx, const jose_pubkey *k, uintptr_t *handle)
{
	(void)ctx;
	*handle = 0;
	if (k->kty == JOSE_KTY_EC && !ec_point_valid(k))
		return JOSE_E_JWK_INVALID;
	return JOSE_OK;
}

/* s^e mod n by sp_int's exponentiation, for any exponent and modulus size. */
static jose_err rsa_generic(const jose_pubkey *k, const uint8_t *s, uint8_t *out)
{
	jose_err err = JOSE_E_INTERNAL;
	mp_int b, e, n, r;

	if (mp_init_multi(&b, &e, &n, &r, NULL, NULL) != 0)
		return JOSE_E_INTERNAL;
	if (mp_read_unsigned_bin(&b, s, (word32)k->a_len) == 0 &&
	    mp_read_unsigned_bin(&e, k->b, (word32)k->b_len) == 0 &&
	    mp_read_unsigned_bin(&n, k->a, (word32)k->a_len) == 0 && mp_exptmod_nct(&b, &e, &n, &r) == 0 &&
	    mp_to_unsigned_bin_len(&r, out, (int)k->a_len) == 0)
		err = JOSE_OK;
	mp_clear(&b);
	mp_clear(&e);
	mp_clear(&n);
	mp_clear(&r);
	return err;
}

#ifdef WOLFSSL_HAVE_SP_RSA
/*
 * wolfCrypt's RSA function runs moduli of exactly 2048, 3072 and 4096 bits on
 * its SP code (the native build's x86-64 assembly), which takes public
 * exponents of at most 29 bits in its 32-bit build and fails on larger ones.
 * The core accepts exponents up to 64 bits: those go to rsa_generic. (The
 * WebAssembly build has no SP RSA at all: there, sp_int's exponentiation with
 * a small exponent measured faster than the SP code, and smaller.)
 */
#define SP_EXPONENT_BITS 29

static jose_err rsa_sp(const jose_pubkey *k, const uint8_t *s, uint8_t *out)
{
	word32 len = (word32)k->a_len;
	jose_err err = JOSE_E_INTERNAL;
	RsaKey key;

	if (wc_InitRsaKey(&key, NULL) != 0)
		return JOSE_E_INTERNAL;
	if (wc_RsaPublicKeyDecodeRaw(k->a, (word32)k->a_len, k->b, (word32)k->b_len, &key) == 0 &&
	    wc_RsaFunction(s, (word32)k->a_len, out, &len, RSA_PUBLIC_DECRYPT, &key, NULL) == 0 &&
	    len == k->a_len)
		err = JOSE_OK;
	wc_FreeRsaKey(&key);
	return err;
}
#endif

static jose_err wc_rsa_public(void *ctx, const jose_pubkey *k, uintptr_t handle, const uint8_t *s,
                              uint8_t *out)
{
	(void)ctx, (void)handle;
#ifdef WOLFSSL_HAVE_SP_RSA
	if (jose_bit_len(k->b, k->b_len) <= SP_EXPONENT_BITS)
		return rsa_sp(k, s, out);
#endif
	return rsa_generic(k, s, out);
}

static jose_err verify_ecdsa(const jose_pubkey *k, jose_alg alg, const uint8_t *msg, size_t n,
                             const uint8_t *sig, size_t sig_len)
{
	uint8_t digest[64];
	size_t half = sig_len / 2;
	jose_err err = JOSE_E_INTERNAL;
	mp_int r, s;
	ecc_key key;
	int ok = 0;

	if (jose_digest(alg, msg, n, digest) != JOSE_OK || mp_init_multi(&r, &s, NULL, NULL, NULL, NULL) != 0)
		return JOSE_E_INTERNAL;
	if (wc_ecc_init(&key) != 0)
		goto out_mp;
	if (wc_ecc_import_unsigned(&key, k->a, k->b, NULL, curve_id(k->crv)) != 0 ||
	    mp_read_unsigned_bin(&r, sig, (word32)half) != 0 ||
	    mp_read_unsigned_bin(&s, sig + half, (word32)half) != 0)
		goto out;
	/* r and s are in range (the core checked): any failure now is a wrong signature. */
	err = wc_ecc_verify_hash_ex(&r, &s, digest, (word32)jose_alg_hash_len(alg), &ok, &key) == 0 && ok == 1
	          ? JOSE_OK
	          : JOSE_E_SIG_FAILED;
out:
	wc_ecc_free(&key);
out_mp:
	mp_clear(&r);
	mp_clear(&s);
	return err;
}

static jose_err verify_ed25519(const jose_pubkey *k, const uint8_t *msg, size_t n, const uint8_t *sig,
                               size_t sig_len)
{
	jose_err err = JOSE_E_INTERNAL;
	ed25519_key key;
	int ok = 0;

	if (wc_ed25519_init(&key) != 0 || k->a_len != ED25519_PUB_KEY_SIZE)
		return JOSE_E_INTERNAL;
	/*
	 * What wc_ed25519_import_public does with a 32-byte key, done here: that
	 * function also references the key-pair check, whose signing code and
	 * 30 KB base-point table would then be linked into the WebAssembly module.
	 * A point that does not decode makes verify fail: a wrong signature, as everywhere.
	 */
	memcpy(key.p, k->a, ED25519_PUB_KEY_SIZE);
	key.pubKeySet = 1;
	err = wc_ed25519_verify_msg(sig, (word32)sig_len, msg, (word32)n, &ok, &key) == 0 && ok == 1
	          ? JOSE_OK
	          : JOSE_E_SIG_FAILED;
	wc_ed25519_free(&key);
	return err;
}

static jose_err wc_verify(void *ctx, const jose_pubkey *k, uintptr_t handle, jose_alg alg, const uint8_t *msg,
                          size_t msg_len, const uint8_t *sig, size_t sig_len)
{
	(void)ctx, (void)handle;
	if (k->kty == JOSE_KTY_EC)
		return verify_ecdsa(k, alg, msg, msg_len, sig, sig_len);
	if (k->kty == JOSE_KTY_OKP)
		return verify_ed25519(k, msg, msg_len, sig, sig_len);
	return JOSE_E_NOT_SUPPORTED; /* RSA: the core checks the encoding on wc_rsa_public's output */
}

/* see jose_sig.h */
const jose_sig_ops jose_sig_wolfcrypt = {"wolfcrypt", wc_load, NULL, wc_rsa_public, wc_verify, NULL};
