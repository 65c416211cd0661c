/*
 * totp.c: TOTP codes, base32 and otpauth URIs (see totp.h). Pure functions over
 * wolfCrypt's HMAC; never logs a secret or a code, wipes what held them.
 */
#include <string.h>

#include <wolfssl/wolfcrypt/hmac.h>

#include "jose.h"
#include "jose_utf8.h"
#include "mfa/totp.h"

static const char B32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/* see totp.h */
int totp_secret_generate(WC_RNG *rng, uint8_t out[TOTP_SECRET_BYTES])
{
	return wc_RNG_GenerateBlock(rng, out, TOTP_SECRET_BYTES) == 0 ? 0 : -1;
}

/* see totp.h */
size_t totp_base32_encode(char *out, size_t cap, const uint8_t *in, size_t n, int pad)
{
	size_t chars = (n * 8 + 4) / 5, total = pad ? (n + 4) / 5 * 8 : chars, o = 0;
	uint32_t acc = 0;
	unsigned bits = 0;

	if (cap == 0)
		return 0;
	out[0] = '\0';
	if (n > (SIZE_MAX - 8) / 8 || total >= cap)
		return 0;
	for (size_t i = 0; i < n; i++) {
		acc = acc << 8 | in[i];
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			out[o++] = B32[(acc >> bits) & 31];
		}
	}
	if (bits > 0)
		out[o++] = B32[(acc << (5 - bits)) & 31];
	while (o < total)
		out[o++] = '=';
	out[o] = '\0';
	return o;
}

/* Value of base32 character c in either case, or -1. */
static int b32_value(char c)
{
	if (c >= 'a' && c <= 'z')
		c = (char)(c - 'a' + 'A');
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= '2' && c <= '7')
		return c - '2' + 26;
	return -1;
}

/* 1 when a text of `chars` base32 characters followed by `pads` '=' is a valid length. */
static int b32_length_ok(size_t chars, size_t pads)
{
	static const int pads_for[8] = {0, -1, 6, -1, 4, 3, -1, 1};
	int want = pads_for[chars % 8];

	if (want < 0)
		return 0;
	return pads == 0 || (size_t)want == pads;
}

/* see totp.h */
int totp_base32_decode(uint8_t *out, size_t cap, size_t *out_len, const char *in, size_t len)
{
	size_t chars = 0, pads = 0, o = 0;
	uint32_t acc = 0;
	unsigned bits = 0;

	*out_len = 0;
	for (size_t i = 0; i < len; i++) {
		int v = b32_value(in[i]);
		if (in[i] == ' ')
			continue;
		if (in[i] == '=') {
			pads++;
			continue;
		}
		if (v < 0 || pads > 0)
			return -1;
		chars++;
		acc = acc << 5 | (uint32_t)v;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			if (o >= cap)
				return -1;
			out[o++] = (uint8_t)(acc >> bits);
		}
		acc &= (1u << bits) - 1;
	}
	if (!b32_length_ok(chars, pads) || acc != 0)
		return -1;
	*out_len = o;
	return 0;
}

/* wolfCrypt's HMAC type and the digest length of each totp_hash. */
static const int HMAC_TYPE[] = {WC_SHA, WC_SHA256, WC_SHA512};
static const size_t MAC_LEN[] = {WC_SHA_DIGEST_SIZE, WC_SHA256_DIGEST_SIZE, WC_SHA512_DIGEST_SIZE};

/* HMAC of the 8-byte big-endian counter under key into mac; its length, or 0. */
static size_t hmac_counter(totp_hash h, const uint8_t *key, size_t key_len, uint64_t counter,
                           uint8_t mac[WC_MAX_DIGEST_SIZE])
{
	uint8_t msg[8];
	size_t len = 0;
	Hmac ctx;

	for (int i = 7; i >= 0; i--, counter >>= 8)
		msg[i] = (uint8_t)counter;
	if (wc_HmacInit(&ctx, NULL, INVALID_DEVID) != 0)
		return 0;
	if (wc_HmacSetKey(&ctx, HMAC_TYPE[h], key, (word32)key_len) == 0 &&
	    wc_HmacUpdate(&ctx, msg, sizeof msg) == 0 && wc_HmacFinal(&ctx, mac) == 0)
		len = MAC_LEN[h];
	wc_HmacFree(&ctx);
	return len;
}

/* All-ones when cond is 1, zero when 0, without a branch on it. */
static uint64_t ct_mask(int cond)
{
	return (uint64_t)0 - (uint64_t)(cond & 1);
}

/* see totp.h */
int totp_hotp(totp_hash h, const uint8_t *key, size_t key_len, uint64_t counter, unsigned digits,
              char out[TOTP_DIGITS_MAX + 1])
{
	uint8_t mac[WC_MAX_DIGEST_SIZE];
	size_t mac_len;
	uint32_t bin, off;

	out[0] = '\0';
	if ((unsigned)h > TOTP_SHA512 || !key || key_len == 0 || key_len > TOTP_SECRET_MAX || digits < 6 ||
	    digits > TOTP_DIGITS_MAX)
		return -1;
	mac_len = hmac_counter(h, key, key_len, counter, mac);
	if (mac_len == 0)
		return -1;
	/*
	 * Dynamic truncation (RFC 4226 §5.3): 31 bits at the offset the last nibble
	 * names. Every offset is read and the named one kept by a mask, so no memory
	 * address depends on the MAC.
	 */
	off = mac[mac_len - 1] & 0xf;
	bin = 0;
	for (uint32_t i = 0; i < 16; i++) {
		uint32_t word = (uint32_t)mac[i] << 24 | (uint32_t)mac[i + 1] << 16 |
		                (uint32_t)mac[i + 2] << 8 | mac[i + 3];
		bin |= word & (uint32_t)ct_mask(i == off);
	}
	bin &= 0x7fffffff;
	memset(mac, 0, sizeof mac);
	for (int i = (int)digits - 1; i >= 0; i--, bin /= 10)
		out[i] = (char)('0' + bin % 10);
	out[digits] = '\0';
	return 0;
}

/* see totp.h */
uint64_t totp_step(int64_t t, unsigned period)
{
	return t <= 0 || period == 0 ? 0 : (uint64_t)t / period;
}

/* The code's digits without spaces into digits[TOTP_DIGITS + 1]; 0, or -1 when malformed. */
static int code_digits(const char *code, size_t len, char digits[TOTP_DIGITS + 1])
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		if (code[i] == ' ')
			continue;
		if (code[i] < '0' || code[i] > '9' || n == TOTP_DIGITS)
			return -1;
		digits[n++] = code[i];
	}
	digits[n] = '\0';
	return n == TOTP_DIGITS ? 0 : -1;
}

/* see totp.h */
totp_result totp_verify(const uint8_t *key, size_t key_len, const char *code, size_t len, int64_t now,
                        unsigned window, uint64_t last_step, uint64_t *step)
{
	char want[TOTP_DIGITS + 1], got[TOTP_DIGITS_MAX + 1];
	uint64_t cur, fresh = 0, stale = 0, matched = 0;
	totp_result r = TOTP_BAD_CALL;

	*step = 0;
	if (!key || key_len == 0 || key_len > TOTP_SECRET_MAX || window > TOTP_WINDOW_MAX || now < 0)
		return TOTP_BAD_CALL;
	if (!code || code_digits(code, len, want) != 0)
		return TOTP_MALFORMED;
	cur = totp_step(now, TOTP_PERIOD);
	for (uint64_t s = cur >= window ? cur - window : 0; s <= cur + window; s++) {
		uint64_t hit;
		if (totp_hotp(TOTP_SHA1, key, key_len, s, TOTP_DIGITS, got) != 0)
			goto out;
		hit = ct_mask(jose_ct_equal(got, want, TOTP_DIGITS));
		/* The later of two matching steps wins; which steps match is never branched on. */
		stale |= hit & ct_mask(s <= last_step);
		hit &= ~ct_mask(s <= last_step);
		matched = (matched & ~hit) | (s & hit);
		fresh |= hit;
	}
	/* The verdict by masks too: which outcome it is becomes public only in the return value. */
	r = (totp_result)((fresh & TOTP_OK) | (~fresh & stale & TOTP_REUSED) |
	                  (~fresh & ~stale & TOTP_MISMATCH));
	*step = matched & fresh;
out:
	memset(want, 0, sizeof want);
	memset(got, 0, sizeof got);
	return r;
}

/* 1 for RFC 3986's unreserved characters. */
static int unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
	       c == '.' || c == '_' || c == '~';
}

/* 1 when s is non-empty UTF-8 without controls or ':'. */
static int label_part_ok(const char *s)
{
	size_t n = strlen(s), i = 0;

	if (n == 0)
		return 0;
	while (i < n) {
		uint32_t cp;
		size_t k = jose_utf8_seq((const uint8_t *)s + i, n - i, &cp);
		if (k == 0 || cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0) || cp == ':')
			return 0;
		i += k;
	}
	return 1;
}

/* Append s percent-encoded at out[*o] (cap-bounded); 0, or -1 when it does not fit. */
static int put_pct(char *out, size_t cap, size_t *o, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (*o + 4 > cap)
			return -1;
		if (unreserved(c)) {
			out[(*o)++] = (char)c;
		} else {
			out[(*o)++] = '%';
			out[(*o)++] = hex[c >> 4];
			out[(*o)++] = hex[c & 15];
		}
	}
	return 0;
}

/* Append the literal s; 0, or -1 when it does not fit. */
static int put_str(char *out, size_t cap, size_t *o, const char *s)
{
	size_t n = strlen(s);

	if (*o + n + 1 > cap)
		return -1;
	memcpy(out + *o, s, n);
	*o += n;
	return 0;
}

/* see totp.h */
int totp_uri(char *out, size_t cap, const char *issuer, const char *account, const uint8_t *secret,
             size_t secret_len)
{
	char b32[(TOTP_SECRET_MAX * 8 + 4) / 5 + 1];
	size_t o = 0;
	int rc = -1;

	if (!out || cap == 0)
		return -1;
	out[0] = '\0';
	if (!issuer || !account || !secret || secret_len == 0 || secret_len > TOTP_SECRET_MAX ||
	    !label_part_ok(issuer) || !label_part_ok(account))
		return -1;
	if (totp_base32_encode(b32, sizeof b32, secret, secret_len, 0) == 0)
		goto out;
	if (put_str(out, cap, &o, "otpauth://totp/") || put_pct(out, cap, &o, issuer) ||
	    put_str(out, cap, &o, ":") || put_pct(out, cap, &o, account) ||
	    put_str(out, cap, &o, "?secret=") || put_str(out, cap, &o, b32) ||
	    put_str(out, cap, &o, "&issuer=") || put_pct(out, cap, &o, issuer) ||
	    put_str(out, cap, &o, "&algorithm=SHA1&digits=6&period=30"))
		goto out;
	out[o] = '\0';
	rc = (int)o;
out:
	memset(b32, 0, sizeof b32);
	if (rc < 0)
		memset(out, 0, cap);
	return rc;
}
