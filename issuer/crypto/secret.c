/*
 * secret.c: random secrets and their stored hashes (see secret.h). Nothing here
 * keeps state; buffers that held key material are wiped before they go.
 */
#include <string.h>

#include <wolfssl/wolfcrypt/hmac.h>
#include <wolfssl/wolfcrypt/sha256.h>

#include "jose.h"
#include "jose_b64url.h"
#include "crypto/secret.h"

/* see secret.h */
int secret_generate(WC_RNG *rng, char out[SECRET_TEXT_LEN + 1])
{
	uint8_t raw[SECRET_BYTES];
	int rc = -1;

	if (wc_RNG_GenerateBlock(rng, raw, sizeof raw) != 0)
		goto out;
	if (jose_b64url_encode(out, SECRET_TEXT_LEN + 1, raw, sizeof raw) != SECRET_TEXT_LEN)
		goto out;
	out[SECRET_TEXT_LEN] = '\0';
	rc = 0;
out:
	memset(raw, 0, sizeof raw);
	return rc;
}

/* HMAC-SHA-256(salt, secret) into out; 0 or -1. */
static int keyed_hash(const uint8_t *salt, size_t salt_len, const char *secret, size_t len,
                      uint8_t out[SECRET_HASH_LEN])
{
	Hmac h;
	int rc = -1;

	if (wc_HmacInit(&h, NULL, INVALID_DEVID) != 0)
		return -1;
	if (wc_HmacSetKey(&h, WC_SHA256, salt, (word32)salt_len) == 0 &&
	    wc_HmacUpdate(&h, (const byte *)secret, (word32)len) == 0 && wc_HmacFinal(&h, out) == 0)
		rc = 0;
	wc_HmacFree(&h);
	return rc;
}

/* see secret.h */
int secret_client_set(WC_RNG *rng, struct store_client *c, const char *secret, size_t len)
{
	if (wc_RNG_GenerateBlock(rng, c->secret_salt, SECRET_SALT_LEN) != 0 ||
	    keyed_hash(c->secret_salt, SECRET_SALT_LEN, secret, len, c->secret_hash) != 0) {
		memset(c->secret_salt, 0, sizeof c->secret_salt);
		memset(c->secret_hash, 0, sizeof c->secret_hash);
		c->secret_salt_len = c->secret_hash_len = 0;
		return -1;
	}
	c->secret_salt_len = SECRET_SALT_LEN;
	c->secret_hash_len = SECRET_HASH_LEN;
	return 0;
}

/* 1 when HMAC(salt, secret) equals hash (SECRET_HASH_LEN bytes), in constant time. */
static int matches(const uint8_t *salt, size_t salt_len, const uint8_t *hash, size_t hash_len,
                   const char *secret, size_t len)
{
	uint8_t h[SECRET_HASH_LEN];
	int ok;

	if (hash_len != SECRET_HASH_LEN || salt_len == 0 || salt_len > STORE_SALT_MAX)
		return 0;
	if (keyed_hash(salt, salt_len, secret, len, h) != 0)
		return 0;
	ok = jose_ct_equal(h, hash, SECRET_HASH_LEN);
	memset(h, 0, sizeof h);
	return ok;
}

/* see secret.h */
int secret_client_check(const struct store_client *c, const char *secret, size_t len)
{
	return !c->is_public &&
	       matches(c->secret_salt, c->secret_salt_len, c->secret_hash, c->secret_hash_len, secret, len);
}

/* see secret.h */
int secret_client_check_at(const struct store_client *c, const char *secret, size_t len, int64_t now)
{
	int cur = secret_client_check(c, secret, len), prev = 0;

	if (!c->is_public && c->prev_until > now)
		prev = matches(c->prev_salt, c->prev_salt_len, c->prev_hash, c->prev_hash_len, secret, len);
	return cur | prev;
}

/* see secret.h */
int secret_uuid(WC_RNG *rng, char out[37])
{
	static const char hex[] = "0123456789abcdef";
	uint8_t b[16];
	size_t o = 0;

	if (wc_RNG_GenerateBlock(rng, b, sizeof b) != 0)
		return -1;
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40); /* version 4 */
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80); /* variant 10 */
	for (size_t i = 0; i < sizeof b; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[b[i] >> 4];
		out[o++] = hex[b[i] & 15];
	}
	out[o] = '\0';
	return 0;
}

/* see secret.h */
void secret_hash(const char *value, size_t len, uint8_t out[SECRET_HASH_LEN])
{
	wc_Sha256Hash((const byte *)value, (word32)len, out);
}
