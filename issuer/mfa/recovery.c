/*
 * recovery.c: recovery codes (see recovery.h). No state, no logging; every
 * buffer that held a code or its hash is wiped on the way out.
 */
#include <string.h>

#include <wolfssl/wolfcrypt/hmac.h>

#include "jose.h"
#include "mfa/recovery.h"

/* Crockford's base32: 32 symbols, so 5 random bits make one uniformly. */
static const char ALPHABET[] = "0123456789abcdefghjkmnpqrstvwxyz";

/* HMAC-SHA-256(salt, code) into out; 0 or -1. */
static int code_hash(const uint8_t salt[RECOVERY_SALT_LEN], const char code[RECOVERY_CODE_CHARS],
                     uint8_t out[RECOVERY_HASH_LEN])
{
	Hmac h;
	int rc = -1;

	if (wc_HmacInit(&h, NULL, INVALID_DEVID) != 0)
		return -1;
	if (wc_HmacSetKey(&h, WC_SHA256, salt, RECOVERY_SALT_LEN) == 0 &&
	    wc_HmacUpdate(&h, (const byte *)code, RECOVERY_CODE_CHARS) == 0 && wc_HmacFinal(&h, out) == 0)
		rc = 0;
	wc_HmacFree(&h);
	return rc;
}

/* One code's canonical characters from 50 random bits (7 bytes; 6 bits unused). */
static int random_code(WC_RNG *rng, char code[RECOVERY_CODE_CHARS + 1])
{
	uint8_t raw[7];
	uint64_t bits = 0;

	if (wc_RNG_GenerateBlock(rng, raw, sizeof raw) != 0)
		return -1;
	for (size_t i = 0; i < sizeof raw; i++)
		bits = bits << 8 | raw[i];
	for (int i = 0; i < RECOVERY_CODE_CHARS; i++, bits >>= 5)
		code[i] = ALPHABET[bits & 31];
	code[RECOVERY_CODE_CHARS] = '\0';
	memset(raw, 0, sizeof raw);
	bits = 0;
	return 0;
}

/* see recovery.h */
int recovery_generate(WC_RNG *rng, char codes[RECOVERY_CODES][RECOVERY_CODE_TEXT + 1],
                      recovery_hash hashes[RECOVERY_CODES])
{
	char c[RECOVERY_CODE_CHARS + 1];
	int rc = -1;

	for (int i = 0; i < RECOVERY_CODES; i++) {
		if (random_code(rng, c) != 0 ||
		    wc_RNG_GenerateBlock(rng, hashes[i].salt, RECOVERY_SALT_LEN) != 0 ||
		    code_hash(hashes[i].salt, c, hashes[i].hash) != 0)
			goto out;
		memcpy(codes[i], c, 5);
		codes[i][5] = '-';
		memcpy(codes[i] + 6, c + 5, 5);
		codes[i][RECOVERY_CODE_TEXT] = '\0';
	}
	rc = 0;
out:
	memset(c, 0, sizeof c);
	if (rc != 0) {
		memset(codes, 0, sizeof(char[RECOVERY_CODE_TEXT + 1]) * RECOVERY_CODES);
		memset(hashes, 0, sizeof(recovery_hash) * RECOVERY_CODES);
	}
	return rc;
}

/* The canonical character for typed c, or 0 when c is not one (nor an alias). */
static char canonical(char c)
{
	if (c >= 'A' && c <= 'Z')
		c = (char)(c - 'A' + 'a');
	if (c == 'i' || c == 'l')
		return '1';
	if (c == 'o')
		return '0';
	return c != '\0' && strchr(ALPHABET, c) ? c : 0;
}

/* see recovery.h */
int recovery_normalise(const char *in, size_t len, char out[RECOVERY_CODE_CHARS + 1])
{
	size_t n = 0;

	out[0] = '\0';
	if (!in || len > RECOVERY_INPUT_MAX)
		return -1;
	for (size_t i = 0; i < len; i++) {
		char c;
		if (in[i] == ' ' || in[i] == '-')
			continue;
		c = canonical(in[i]);
		if (!c || n == RECOVERY_CODE_CHARS) {
			memset(out, 0, RECOVERY_CODE_CHARS + 1);
			return -1;
		}
		out[n++] = c;
	}
	out[n] = '\0';
	return n == RECOVERY_CODE_CHARS ? 0 : -1;
}

/* 1 when e is spent (all zeros), else 0; constant time. */
static int spent(const recovery_hash *e)
{
	uint32_t acc = 0;

	for (size_t i = 0; i < sizeof e->hash; i++)
		acc |= e->hash[i];
	return (int)((acc - 1) >> 31);
}

/* Wipe set[index] (no entry when index is -1), touching every entry alike. */
static void spend(recovery_hash *set, size_t n, int index)
{
	for (size_t i = 0; i < n; i++) {
		uint32_t d = (uint32_t)i ^ (uint32_t)index, same = ((d | (0u - d)) >> 31) ^ 1u;
		uint8_t keep = (uint8_t)(same - 1u); /* 0x00 for the entry spent, 0xff for the others */
		for (size_t k = 0; k < RECOVERY_SALT_LEN; k++)
			set[i].salt[k] &= keep;
		for (size_t k = 0; k < RECOVERY_HASH_LEN; k++)
			set[i].hash[k] &= keep;
	}
}

/* see recovery.h */
int recovery_redeem(recovery_hash *set, size_t n, const char *in, size_t len)
{
	char code[RECOVERY_CODE_CHARS + 1];
	uint8_t h[RECOVERY_HASH_LEN];
	int found = -1;

	if (!set || recovery_normalise(in, len, code) != 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned hit;
		if (code_hash(set[i].salt, code, h) != 0) {
			memset(code, 0, sizeof code);
			return -1;
		}
		/* Keep scanning after a hit, select by masks: the time does not tell which code matched. */
		hit =
		    0u - (unsigned)(jose_ct_equal(h, set[i].hash, RECOVERY_HASH_LEN) & (1 ^ spent(&set[i])));
		found = (int)(((unsigned)found & ~hit) | ((unsigned)i & hit));
	}
	spend(set, n, found);
	memset(code, 0, sizeof code);
	memset(h, 0, sizeof h);
	return found;
}

/* see recovery.h */
size_t recovery_left(const recovery_hash *set, size_t n)
{
	size_t left = 0;

	for (size_t i = 0; i < n; i++)
		left += !spent(&set[i]);
	return left;
}
