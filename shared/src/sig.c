/*
 * sig.c: the signature step of JWS (see inner.h), with every decision taken
 * here and only arithmetic asked of the key's backend (jose_sig.h).
 *
 * Decided here, the same for every backend: lengths (HMAC tag = hash, RSA s =
 * modulus, ECDSA r||s = twice the curve size, Ed25519 = 64 bytes); RSA s < n;
 * ECDSA 1 <= r, s < n (so r = s = 0, CVE-2022-21449, never reaches
 * arithmetic); Ed25519 S < L (RFC 8032 §5.1.7); the RSA padding (rsapad.c)
 * unless the backend verifies RSA signatures whole (jose_sig.h).
 * Any malformed signature is JOSE_E_SIG_FAILED, exactly like a wrong one.
 * Never allocates on the heap.
 */
#include <string.h>

#include "inner.h"

/* Largest RSA modulus in bytes. */
#define RSA_MAX_BYTES (JOSE_RSA_MAX_BITS / 8)

static jose_err verify_hmac(const jose_key *k, jose_alg alg, const uint8_t *msg, size_t n, const uint8_t *sig,
                            size_t sig_len)
{
	size_t len = jose_alg_hash_len(alg);
	uint8_t mac[64];
	jose_err err;

	if (sig_len != len)
		return JOSE_E_SIG_FAILED;
	if ((err = jose_hmac(k, alg, msg, n, mac)) != JOSE_OK)
		return err;
	return jose_ct_equal(mac, sig, len) ? JOSE_OK : JOSE_E_SIG_FAILED;
}

static jose_pubkey pub_of(const jose_key *k)
{
	return (jose_pubkey){k->kty, k->crv, k->a, k->a_len, k->b, k->b_len};
}

static jose_err verify_rsa(const jose_key *k, jose_alg alg, const uint8_t *msg, size_t n, const uint8_t *sig,
                           size_t sig_len)
{
	uint8_t digest[64], em[RSA_MAX_BYTES];
	jose_pubkey pub = pub_of(k);
	jose_err err;

	/* Exactly the modulus length and, as an integer, below n (k->a has no
	 * leading zero byte, so equal lengths compare bytewise). */
	if (sig_len != k->a_len || sig_len > RSA_MAX_BYTES || memcmp(sig, k->a, sig_len) >= 0)
		return JOSE_E_SIG_FAILED;
	/* A backend that verifies RSA whole does it in one call (see jose_sig.h). */
	err = k->ops->verify(k->ops->ctx, &pub, k->handle, alg, msg, n, sig, sig_len);
	if (err != JOSE_E_NOT_SUPPORTED)
		return err;
	if ((err = jose_digest(alg, msg, n, digest)) != JOSE_OK ||
	    (err = k->ops->rsa_public(k->ops->ctx, &pub, k->handle, sig, em)) != JOSE_OK)
		return err;
	if (JOSE_ALG_BIT(alg) & JOSE_ALGS_PSS)
		return jose_rsa_check_pss(alg, em, sig_len, jose_bit_len(k->a, k->a_len), digest);
	return jose_rsa_check_pkcs1(alg, em, sig_len, digest);
}

/* A signature half v (size bytes, big-endian) lies in [1, n-1]. */
static int scalar_in_range(const uint8_t *v, const jose_curve *c)
{
	size_t i = 0;

	while (i < c->size && v[i] == 0)
		i++;
	return i < c->size && memcmp(v, c->n, c->size) < 0;
}

static jose_err verify_ec(const jose_key *k, jose_alg alg, const uint8_t *msg, size_t n, const uint8_t *sig,
                          size_t sig_len)
{
	const jose_curve *c = jose_curve_find(k->crv);
	jose_pubkey pub = pub_of(k);

	if (!c)
		return JOSE_E_INTERNAL;
	if (sig_len != 2 * c->size || !scalar_in_range(sig, c) || !scalar_in_range(sig + c->size, c))
		return JOSE_E_SIG_FAILED;
	return k->ops->verify(k->ops->ctx, &pub, k->handle, alg, msg, n, sig, sig_len);
}

/*
 * RFC 8032 §5.1.7: S must be below the group order L, or signatures are
 * malleable (some libraries miss S values just above L; it is checked here
 * for every backend). S is little-endian: compare from the last byte down.
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

static jose_err verify_ed25519(const jose_key *k, jose_alg alg, const uint8_t *msg, size_t n,
                               const uint8_t *sig, size_t sig_len)
{
	jose_pubkey pub = pub_of(k);

	if (sig_len != 64 || !ed25519_s_canonical(sig + 32))
		return JOSE_E_SIG_FAILED;
	return k->ops->verify(k->ops->ctx, &pub, k->handle, alg, msg, n, sig, sig_len);
}

/* see inner.h */
jose_err jose_key_verify(const jose_key *k, jose_alg alg, const uint8_t *msg, size_t msg_len,
                         const uint8_t *sig, size_t sig_len)
{
	static const uint8_t empty[1];

	if (!k || k->dead != JOSE_OK || !(k->algs & JOSE_ALG_BIT(alg)) || (!msg && msg_len) ||
	    (!sig && sig_len) || msg_len > UINT32_MAX || (k->kty != JOSE_KTY_OCT && !k->ops))
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
		return verify_ed25519(k, alg, msg, msg_len, sig, sig_len);
	}
	return JOSE_E_INTERNAL;
}
