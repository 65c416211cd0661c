/*
 * b64url.c: strict base64url without padding, and padded standard base64 by the
 * same loop (see jose_b64url.h).
 * Table-driven (one lookup a character); never reads past in_len, never writes past
 * out_cap. Non-canonical input (set unused bits, length 1 mod 4) is refused so
 * a signature or key has exactly one spelling.
 */
#include "inner.h"

#ifdef __wasm_simd128__
#include <wasm_simd128.h>
#endif

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Each byte's value plus one in the base64url (RFC 4648 §5) and base64 (§4) alphabets; 0: not in it. */
static const uint8_t url_values[256] = {
    0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
    0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  63, 0,  0,  53, 54, 55, 56,
    57, 58, 59, 60, 61, 62, 0,  0,  0,  0,  0,  0,  0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13,
    14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 0,  0,  0,  0,  64, 0,  27, 28, 29, 30, 31, 32, 33,
    34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 0,  0,  0,  0,  0,  0,  0,
    0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
    0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
    0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
    0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
    0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
};
static const uint8_t std_values[256] = {
    0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
    0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  63, 0,  0,  0,  64, 53, 54, 55, 56,
    57, 58, 59, 60, 61, 62, 0,  0,  0,  0,  0,  0,  0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13,
    14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 0,  0,  0,  0,  0,  0,  27, 28, 29, 30, 31, 32, 33,
    34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 0,  0,  0,  0,  0,  0,  0,
    0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
    0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
    0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
    0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
    0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
};

#ifdef __wasm_simd128__
/*
 * 16 base64url characters at in to 12 bytes at out (writing 16); -1 if one is
 * not in the alphabet. A character is in it when its low nibble's entry in
 * lo_bad shares no bit with its high nibble's class in hi_class (a class per
 * high nibble that holds letters, digits, '-' or '_'; one for every other). Its
 * value is the character plus its high nibble's offset ('_' apart), and four
 * 6-bit values pack into three bytes in each 32-bit lane.
 */
static int decode16(uint8_t *out, const unsigned char *in)
{
	const v128_t lo_bad = wasm_i8x16_const(0x25, 0x21, 0x21, 0x21, 0x21, 0x21, 0x21, 0x21, 0x21, 0x21,
	                                       0x23, 0x3b, 0x3b, 0x3a, 0x3b, 0x33);
	const v128_t hi_class = wasm_i8x16_const(0x20, 0x20, 0x01, 0x02, 0x04, 0x08, 0x04, 0x10, 0x20, 0x20,
	                                         0x20, 0x20, 0x20, 0x20, 0x20, 0x20);
	const v128_t offset = wasm_i8x16_const(0, 0, 62 - '-', 52 - '0', -'A', -'A', 26 - 'a', 26 - 'a', 0, 0,
	                                       0, 0, 0, 0, 0, 0);
	v128_t c = wasm_v128_load(in), hi = wasm_u8x16_shr(c, 4),
	       lo = wasm_v128_and(c, wasm_i8x16_splat(0x0f));

	if (wasm_v128_any_true(
	        wasm_v128_and(wasm_i8x16_swizzle(lo_bad, lo), wasm_i8x16_swizzle(hi_class, hi))))
		return -1;
	v128_t underscore = wasm_i8x16_eq(c, wasm_i8x16_splat('_'));
	v128_t add =
	    wasm_v128_bitselect(wasm_i8x16_splat(63 - '_'), wasm_i8x16_swizzle(offset, hi), underscore);
	v128_t v = wasm_i8x16_add(c, add);
	/* Each 16-bit lane: first << 6 | second; each 32-bit lane: first pair << 12 | second pair. */
	v128_t w =
	    wasm_v128_or(wasm_i16x8_shl(wasm_v128_and(v, wasm_i16x8_splat(0xff)), 6), wasm_u16x8_shr(v, 8));
	v128_t q = wasm_v128_or(wasm_i32x4_shl(wasm_v128_and(w, wasm_i32x4_splat(0xffff)), 12),
	                        wasm_u32x4_shr(w, 16));
	wasm_v128_store(out, wasm_i8x16_swizzle(q, wasm_i8x16_const(2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12,
	                                                            -1, -1, -1, -1)));
	return 0;
}
#endif

/* Unpadded base64 of the alphabet whose values (plus one) are t (see jose_b64url_decode). */
static int decode(uint8_t *out, size_t out_cap, size_t *out_len, const char *in, size_t in_len,
                  const uint8_t t[256])
{
	const unsigned char *u = (const unsigned char *)in;
	size_t rem = in_len % 4, full = in_len - rem, o = 0, i = 0;
	size_t need = full / 4 * 3 + (rem ? rem - 1 : 0);

	if (rem == 1 || need > out_cap)
		return -1;
#ifdef __wasm_simd128__
	/* Whole blocks of 16 while 16 bytes fit (each writes 4 more than it decodes). */
	for (; t == url_values && i + 16 <= full && o + 16 <= out_cap; i += 16, o += 12)
		if (decode16(out + o, u + i))
			return -1;
#endif
	for (; i < full; i += 4) {
		unsigned a = t[u[i]], b = t[u[i + 1]], c = t[u[i + 2]], d = t[u[i + 3]];
		if (!a || !b || !c || !d)
			return -1;
		uint32_t v = (a - 1) << 18 | (b - 1) << 12 | (c - 1) << 6 | (d - 1);
		out[o++] = (uint8_t)(v >> 16);
		out[o++] = (uint8_t)(v >> 8);
		out[o++] = (uint8_t)v;
	}
	if (rem) {
		unsigned a = t[u[full]], b = t[u[full + 1]], c = rem == 3 ? t[u[full + 2]] : 1;
		if (!a || !b || !c)
			return -1;
		a--, b--, c--;
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
	return decode(out, out_cap, out_len, in, in_len, url_values);
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
	return decode(out, out_cap, out_len, in, in_len - pad, std_values);
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
