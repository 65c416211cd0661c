/*
 * test_utf8.c: jose_utf8_seq, the one UTF-8 decoder, against the boundary and
 * malformed cases of RFC 3629 (§3 table, §4 and §10) and of Markus Kuhn's
 * "UTF-8 decoder capability and stress test": every first and last code point
 * of each length, overlong forms, surrogates, values past U+10FFFF, stray and
 * missing continuation bytes, and reads bounded by n.
 */
#include <stdint.h>
#include <string.h>

#include "jose_utf8.h"
#include "../test.h"

static void ok(const char *bytes, size_t n, uint32_t want, const char *what)
{
	uint32_t cp = 0xFFFFFFFFu;
	size_t len = jose_utf8_seq((const uint8_t *)bytes, n, &cp);
	T_CHECK(len == n && cp == want, "well-formed %s: length %zu, U+%04X (got %zu, U+%04X)", what, n,
	        (unsigned)want, len, (unsigned)cp);
}

static void bad(const char *bytes, size_t n, const char *what)
{
	uint32_t cp = 0x12345u;
	size_t len = jose_utf8_seq((const uint8_t *)bytes, n, &cp);
	T_CHECK(len == 0 && cp == 0x12345u, "refused %s (got length %zu), the code point untouched", what, len);
}

int main(void)
{
	/* RFC 3629 §3: first and last code point of each sequence length. */
	ok("\x00", 1, 0x0000, "U+0000");
	ok("\x7f", 1, 0x007F, "U+007F");
	ok("\xc2\x80", 2, 0x0080, "U+0080");
	ok("\xdf\xbf", 2, 0x07FF, "U+07FF");
	ok("\xe0\xa0\x80", 3, 0x0800, "U+0800");
	ok("\xed\x9f\xbf", 3, 0xD7FF, "U+D7FF (last before the surrogates)");
	ok("\xee\x80\x80", 3, 0xE000, "U+E000 (first after the surrogates)");
	ok("\xef\xbf\xbf", 3, 0xFFFF, "U+FFFF");
	ok("\xf0\x90\x80\x80", 4, 0x10000, "U+10000");
	ok("\xf4\x8f\xbf\xbf", 4, 0x10FFFF, "U+10FFFF");
	ok("\xe2\x82\xac", 3, 0x20AC, "U+20AC (euro sign)");
	ok("\xf0\x9f\x98\x80", 4, 0x1F600, "U+1F600 (an emoji)");

	/* Overlong forms (RFC 3629 §10: the classic attack, e.g. '/' as C0 AF). */
	bad("\xc0\xaf", 2, "overlong '/' (C0 AF)");
	bad("\xc1\xbf", 2, "overlong U+007F (C1 BF)");
	bad("\xe0\x80\xaf", 3, "overlong '/' in three bytes");
	bad("\xe0\x9f\xbf", 3, "overlong U+07FF in three bytes");
	bad("\xf0\x80\x80\xaf", 4, "overlong '/' in four bytes");
	bad("\xf0\x8f\xbf\xbf", 4, "overlong U+FFFF in four bytes");
	/* Surrogates (RFC 3629 §3: not characters). */
	bad("\xed\xa0\x80", 3, "U+D800 (high surrogate)");
	bad("\xed\xbf\xbf", 3, "U+DFFF (low surrogate)");
	/* Past U+10FFFF and bytes that never occur. */
	bad("\xf4\x90\x80\x80", 4, "U+110000");
	bad("\xf5\x80\x80\x80", 4, "lead byte F5");
	bad("\xf8\x88\x80\x80\x80", 5, "a five-byte form (F8)");
	bad("\xfe", 1, "byte FE");
	bad("\xff", 1, "byte FF");
	/* Continuation bytes where a lead belongs, and missing ones. */
	bad("\x80", 1, "a lone continuation byte 80");
	bad("\xbf", 1, "a lone continuation byte BF");
	bad("\xc2", 1, "a two-byte lead at the end of the input");
	bad("\xc2\x41", 2, "a two-byte lead followed by ASCII");
	bad("\xe2\x82", 2, "a three-byte sequence cut after two");
	bad("\xf0\x9f\x98", 3, "a four-byte sequence cut after three");
	bad("\xe2\x82\xac", 2, "a whole sequence, but n cuts it (the read stays within n)");
	bad("", 0, "empty input (n = 0)");
	T_CHECK(jose_utf8_seq((const uint8_t *)"\xe2\x82\xac", 3, NULL) == 3, "cp may be NULL");
	T_CHECK(jose_utf8_seq((const uint8_t *)"ab", 2, NULL) == 1, "ASCII: one byte at a time");
	T_DONE();
}
