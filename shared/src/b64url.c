/*
 * b64url.c: strict base64url without padding, and padded standard base64 by the
 * same loop (see jose_b64url.h).
 * Table-driven and branch-light; never reads past in_len, never writes past
 * out_cap. Non-canonical input (set unused bits, length 1 mod 4) is refused so
 * a signature or key has exactly one spelling.
 */
#include "inner.h"

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* 0..63 for a character of the alphabet whose last two are c62 and c63, 64 for anything else. */
static unsigned value(unsigned char c, char c62, char c63)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == (unsigned char)c62)
		return 62;
	if (c == (unsigned char)c63)
		return 63;
	return 64;
}

/* Unpadded base64 of the alphabet ending in c62, c63 (see jose_b64url_decode). */
static int decode(uint8_t *out, size_t out_cap, size_t *out_len, const char *in, size_t in_len, char c62,
                  char c63)
{
	size_t rem = in_len % 4, full = in_len - rem, o = 0;
	size_t need = full / 4 * 3 + (rem ? rem - 1 : 0);

	if (rem == 1 || need > out_cap)
		return -1;
	for (size_t i = 0; i < full; i += 4) {
		unsigned a = value(in[i], c62, c63), b = value(in[i + 1], c62, c63),
		         c = value(in[i + 2], c62, c63), d = value(in[i + 3], c62, c63);
		if ((a | b | c | d) & 64)
			return -1;
		uint32_t v = a << 18 | b << 12 | c << 6 | d;
		out[o++] = (uint8_t)(v >> 16);
		out[o++] = (uint8_t)(v >> 8);
		out[o++] = (uint8_t)v;
	}
	if (rem) {
		unsigned a = value(in[full], c62, c63), b = value(in[full + 1], c62, c63);
		unsigned c = rem == 3 ? value(in[full + 2], c62, c63) : 0;
		if ((a | b | c) & 64)
			return -1;
		uint32_t v = a << 18 | b << 12 | c << 6;
		out[o++] = (uint8_t)(v >> 16);
		if (rem == 3)
			out[o++] = (uint8_t)(v >> 8);
		/* The bits below the last whole byte must be zero (canonical form). */
		if (rem == 2 ? (b & 0x0f) : (c & 0x03))
			return -1;
	}
	*out_len = o;
	return 0;
}

/* see jose_b64url.h */
int jose_b64url_decode(uint8_t *out, size_t out_cap, size_t *out_len, const char *in, size_t in_len)
{
	return decode(out, out_cap, out_len, in, in_len, '-', '_');
}

/* see jose_b64url.h */
int jose_b64_decode(uint8_t *out, size_t out_cap, size_t *out_len, const char *in, size_t in_len)
{
	size_t pad = 0;

	if (in_len == 0 || in_len % 4 != 0)
		return -1;
	while (pad < 2 && in[in_len - 1 - pad] == '=')
		pad++;
	/* What the padding stands for must be missing: "xx==" and "xxx=", never "xxxx=". */
	return decode(out, out_cap, out_len, in, in_len - pad, '+', '/');
}

/* see jose_b64url.h */
size_t jose_b64url_encode(char *out, size_t out_cap, const uint8_t *in, size_t len)
{
	size_t n = JOSE_B64URL_ENCODED_LEN(len), o = 0, i = 0;

	if (n + 1 > out_cap || n < len) /* n < len: size_t overflow */
		return 0;
	for (; i + 3 <= len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o++] = alphabet[v >> 18];
		out[o++] = alphabet[(v >> 12) & 63];
		out[o++] = alphabet[(v >> 6) & 63];
		out[o++] = alphabet[v & 63];
	}
	if (len - i) {
		uint32_t v = (uint32_t)in[i] << 16 | (len - i == 2 ? (uint32_t)in[i + 1] << 8 : 0);
		out[o++] = alphabet[v >> 18];
		out[o++] = alphabet[(v >> 12) & 63];
		if (len - i == 2)
			out[o++] = alphabet[(v >> 6) & 63];
	}
	out[o] = '\0';
	return o;
}
