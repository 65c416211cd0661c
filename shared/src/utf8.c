/*
 * utf8.c: one well-formed UTF-8 sequence at a time (see jose_utf8.h). Decodes
 * the code point and then rejects what RFC 3629 forbids, so the rules live in
 * one comparison each, not in per-lead-byte ranges.
 */
#include "jose_utf8.h"

/* see jose_utf8.h */
size_t jose_utf8_seq(const uint8_t *s, size_t n, uint32_t *cp)
{
	static const uint32_t min[5] = {0, 0, 0x80, 0x800, 0x10000}; /* shortest form of each length */
	size_t len;
	uint32_t c;

	if (n == 0)
		return 0;
	if (s[0] < 0x80)
		len = 1, c = s[0];
	else if ((s[0] & 0xe0) == 0xc0)
		len = 2, c = s[0] & 0x1fu;
	else if ((s[0] & 0xf0) == 0xe0)
		len = 3, c = s[0] & 0x0fu;
	else if ((s[0] & 0xf8) == 0xf0)
		len = 4, c = s[0] & 0x07u;
	else
		return 0; /* a continuation byte, or F8..FF */
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3fu);
	}
	if (c < min[len] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	if (cp)
		*cp = c;
	return len;
}
