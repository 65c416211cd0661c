/*
 * seal.c: sealing private keys at rest (see seal.h). ChaCha20-Poly1305 from
 * wolfCrypt; keys derived by HMAC-SHA-256; nothing here reads the environment.
 */
#include <stdio.h>
#include <string.h>

#include <wolfssl/wolfcrypt/chacha20_poly1305.h>
#include <wolfssl/wolfcrypt/hmac.h>

#include "crypto/seal.h"

static const char magic[8] = "IDBSEAL1";
static const char label[] = "identity-backend private key seal v1";

/* key = HMAC-SHA-256(secret, label); 0 or -1. */
static int derive(const char *secret, size_t n, uint8_t key[32])
{
	Hmac h;
	int rc = -1;

	if (wc_HmacInit(&h, NULL, INVALID_DEVID) != 0)
		return -1;
	if (wc_HmacSetKey(&h, WC_SHA256, (const byte *)secret, (word32)n) == 0 &&
	    wc_HmacUpdate(&h, (const byte *)label, sizeof label - 1) == 0 && wc_HmacFinal(&h, key) == 0)
		rc = 0;
	wc_HmacFree(&h);
	return rc;
}

/* see seal.h */
int seal_keys_parse(const char *text, seal_keys *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	for (const char *p = text; p && *p;) {
		size_t n = strcspn(p, ",");

		if (out->n == SEAL_SECRETS_MAX || n < SEAL_SECRET_MIN) {
			if (out->n == SEAL_SECRETS_MAX)
				snprintf(err, errlen, "more than %d secrets", SEAL_SECRETS_MAX);
			else
				snprintf(err, errlen, "secret %zu is shorter than %d bytes", out->n + 1,
				         SEAL_SECRET_MIN);
			seal_keys_wipe(out);
			return -1;
		}
		if (derive(p, n, out->key[out->n++])) {
			snprintf(err, errlen, "cannot derive a key from secret %zu", out->n);
			seal_keys_wipe(out);
			return -1;
		}
		p += n + (p[n] == ',');
		if (p[-1] == ',' && !*p) {
			snprintf(err, errlen, "an empty secret after the last comma");
			seal_keys_wipe(out);
			return -1;
		}
	}
	return 0;
}

/* see seal.h */
void seal_keys_wipe(seal_keys *k)
{
	explicit_bzero(k, sizeof *k);
}

/* see seal.h */
int seal_is_sealed(const uint8_t *b, size_t n)
{
	return n >= SEAL_OVERHEAD && memcmp(b, magic, sizeof magic) == 0;
}

/* see seal.h */
int seal_close(const seal_keys *k, WC_RNG *rng, const char *aad, const uint8_t *in, size_t n, uint8_t *out,
               size_t cap, size_t *out_len)
{
	uint8_t *nonce = out + sizeof magic, *ct = nonce + 12;

	*out_len = 0;
	if (!k->n || cap < n + SEAL_OVERHEAD || n > UINT32_MAX - SEAL_OVERHEAD)
		return -1;
	memcpy(out, magic, sizeof magic);
	if (wc_RNG_GenerateBlock(rng, nonce, 12) != 0 ||
	    wc_ChaCha20Poly1305_Encrypt(k->key[0], nonce, (const byte *)aad, (word32)strlen(aad), in,
	                                (word32)n, ct, ct + n) != 0) {
		explicit_bzero(out, cap);
		return -1;
	}
	*out_len = n + SEAL_OVERHEAD;
	return 0;
}

/* see seal.h */
int seal_open(const seal_keys *k, const char *aad, const uint8_t *in, size_t n, uint8_t *out, size_t cap,
              size_t *out_len)
{
	const uint8_t *nonce = in + sizeof magic, *ct = nonce + 12;
	size_t len = n - SEAL_OVERHEAD;

	*out_len = 0;
	if (!seal_is_sealed(in, n) || cap < len)
		return -1;
	for (size_t i = 0; i < k->n; i++)
		if (wc_ChaCha20Poly1305_Decrypt(k->key[i], nonce, (const byte *)aad, (word32)strlen(aad), ct,
		                                (word32)len, ct + len, out) == 0) {
			*out_len = len;
			return 0;
		}
	explicit_bzero(out, cap);
	return -1;
}
