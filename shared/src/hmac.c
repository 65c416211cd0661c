/*
 * hmac.c: HMAC-SHA-256/384/512 (RFC 2104) for HS* and the digests under every
 * other signature, over wolfCrypt's SHA-2 (which both WebAssembly modules
 * carry, since it is hashing, not the seam's arithmetic).
 *
 * HMAC(K, m) = H((K' ^ opad) || H((K' ^ ipad) || m)). The two pad blocks
 * depend on the key alone, so they are hashed once at import and their states
 * kept with the key (immutable afterwards, copied per call: thread-safe). A
 * token then costs the hashing of the token itself and one more block,
 * instead of four blocks more. Never allocates during a verification.
 */
#include <stdlib.h>
#include <string.h>

#include <wolfssl/wolfcrypt/settings.h>
#include <wolfssl/wolfcrypt/hash.h>
#include <wolfssl/wolfcrypt/sha256.h>
#include <wolfssl/wolfcrypt/sha512.h>

#include "inner.h"

/* One hash state of either family. */
typedef union hstate {
	wc_Sha256 s256;
	wc_Sha512 s512; /* also SHA-384's type */
} hstate;

/* The precomputed states of one key, for HS256 [0], HS384 [1], HS512 [2]. */
struct jose_hmac {
	hstate inner[3], outer[3];
	unsigned char have[3];
};

/* Block size of the hash of HS256 + i (64 for SHA-256, 128 for SHA-384/512). */
static size_t block_of(int i)
{
	return i == 0 ? WC_SHA256_BLOCK_SIZE : WC_SHA512_BLOCK_SIZE;
}

static int h_init(int i, hstate *h)
{
	return i == 0 ? wc_InitSha256(&h->s256) : i == 1 ? wc_InitSha384(&h->s512) : wc_InitSha512(&h->s512);
}

static int h_update(int i, hstate *h, const uint8_t *m, size_t n)
{
	return i == 0   ? wc_Sha256Update(&h->s256, m, (word32)n)
	       : i == 1 ? wc_Sha384Update(&h->s512, m, (word32)n)
	                : wc_Sha512Update(&h->s512, m, (word32)n);
}

static int h_final(int i, hstate *h, uint8_t *out)
{
	return i == 0   ? wc_Sha256Final(&h->s256, out)
	       : i == 1 ? wc_Sha384Final(&h->s512, out)
	                : wc_Sha512Final(&h->s512, out);
}

/* dst = a copy of the kept state src (wolfCrypt's copy functions take src non-const; they only read it). */
static int h_copy(int i, const hstate *src, hstate *dst)
{
	hstate *s = (hstate *)src;

	return i == 0   ? wc_Sha256Copy(&s->s256, &dst->s256)
	       : i == 1 ? wc_Sha384Copy(&s->s512, &dst->s512)
	                : wc_Sha512Copy(&s->s512, &dst->s512);
}

static void h_free(int i, hstate *h)
{
	if (i == 0)
		wc_Sha256Free(&h->s256);
	else if (i == 1)
		wc_Sha384Free(&h->s512);
	else
		wc_Sha512Free(&h->s512);
}

/* Hash one pad block (K' ^ pad) into a fresh state. */
static int pad_state(int i, const uint8_t *key, size_t key_len, uint8_t pad, hstate *h)
{
	uint8_t block[WC_SHA512_BLOCK_SIZE];
	size_t bs = block_of(i);

	memset(block, pad, bs);
	for (size_t j = 0; j < key_len; j++)
		block[j] ^= key[j];
	return h_init(i, h) || h_update(i, h, block, bs);
}

/* Both states for hash i; a key longer than the block is hashed first (RFC 2104 §2). */
static int prepare_one(struct jose_hmac *m, int i, const uint8_t *key, size_t len)
{
	uint8_t kh[WC_SHA512_DIGEST_SIZE];
	hstate h;

	if (len > block_of(i)) {
		if (h_init(i, &h) || h_update(i, &h, key, len) || h_final(i, &h, kh))
			return -1;
		h_free(i, &h);
		key = kh;
		len = jose_alg_hash_len((jose_alg)(JOSE_ALG_HS256 + i));
	}
	if (pad_state(i, key, len, 0x36, &m->inner[i]) || pad_state(i, key, len, 0x5c, &m->outer[i]))
		return -1;
	m->have[i] = 1;
	return 0;
}

/* see inner.h */
jose_err jose_hmac_prepare(jose_key *k)
{
	struct jose_hmac *m = calloc(1, sizeof *m);

	if (!m)
		return JOSE_E_NOMEM;
	for (int i = 0; i < 3; i++)
		if ((k->algs & JOSE_ALG_BIT(JOSE_ALG_HS256 + i)) && prepare_one(m, i, k->a, k->a_len)) {
			jose_hmac_free(m);
			return JOSE_E_INTERNAL;
		}
	k->hmac = m;
	return JOSE_OK;
}

/* see inner.h */
void jose_hmac_free(struct jose_hmac *m)
{
	if (!m)
		return;
	for (int i = 0; i < 3; i++)
		if (m->have[i]) {
			h_free(i, &m->inner[i]);
			h_free(i, &m->outer[i]);
		}
	free(m);
}

/* see inner.h */
jose_err jose_hmac(const jose_key *k, jose_alg alg, const uint8_t *msg, size_t len, uint8_t *mac)
{
	int i = (int)alg - JOSE_ALG_HS256;
	size_t hl = jose_alg_hash_len(alg);
	uint8_t inner[WC_SHA512_DIGEST_SIZE];
	hstate h;
	int bad;

	if (i < 0 || i > 2 || !k->hmac || !k->hmac->have[i])
		return JOSE_E_ARG;
	if (h_copy(i, &k->hmac->inner[i], &h))
		return JOSE_E_INTERNAL;
	bad = h_update(i, &h, msg, len) || h_final(i, &h, inner);
	h_free(i, &h);
	if (bad || h_copy(i, &k->hmac->outer[i], &h))
		return JOSE_E_INTERNAL;
	bad = h_update(i, &h, inner, hl) || h_final(i, &h, mac);
	h_free(i, &h);
	return bad ? JOSE_E_INTERNAL : JOSE_OK;
}

/* see inner.h */
jose_err jose_digest(jose_alg alg, const uint8_t *msg, size_t len, uint8_t *out)
{
	int rc;

	switch (jose_alg_hash_len(alg)) {
	case 32:
		rc = wc_Sha256Hash(msg, (word32)len, out);
		break;
	case 48:
		rc = wc_Sha384Hash(msg, (word32)len, out);
		break;
	default:
		rc = wc_Sha512Hash(msg, (word32)len, out);
		break;
	}
	return rc == 0 ? JOSE_OK : JOSE_E_INTERNAL;
}
