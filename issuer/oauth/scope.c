/*
 * scope.c: OAuth scope strings (see scope.h): the RFC 6749 §3.3 syntax and
 * "is every token of one in another". Pure functions of their strings.
 */
#include <string.h>

#include "oauth/scope.h"

static int nqchar(unsigned char ch)
{
	return ch == 0x21 || (ch >= 0x23 && ch <= 0x5b) || (ch >= 0x5d && ch <= 0x7e);
}

/* see scope.h */
int scope_valid(const char *scope)
{
	const unsigned char *p = (const unsigned char *)scope;

	if (!*p)
		return 0;
	for (int prev_space = 1; *p; p++) {
		if (*p == ' ') {
			if (prev_space)
				return 0;
			prev_space = 1;
		} else if (!nqchar(*p))
			return 0;
		else
			prev_space = 0;
	}
	return p[-1] != ' ';
}

/* 1 when tok[0..n) is one of allowed's space-separated tokens. */
static int has_token(const char *allowed, const char *tok, size_t n)
{
	for (const char *p = allowed; *p;) {
		size_t m = strcspn(p, " ");
		if (m == n && memcmp(p, tok, n) == 0)
			return 1;
		p += m;
		p += *p == ' ';
	}
	return 0;
}

/* see scope.h */
int scope_allowed(const char *scope, const char *allowed)
{
	for (const char *p = scope; *p;) {
		size_t n = strcspn(p, " ");
		if (n && !has_token(allowed, p, n))
			return 0;
		p += n;
		p += *p == ' ';
	}
	return 1;
}

/* see scope.h */
size_t scope_intersect(const char *scope, const char *a, const char *b, char *out, size_t outlen)
{
	size_t o = 0;

	if (outlen == 0)
		return 0;
	out[0] = '\0';
	for (const char *p = scope; *p;) {
		size_t n = strcspn(p, " ");

		if (n && has_token(a, p, n) && has_token(b, p, n) && !has_token(out, p, n) &&
		    o + (o > 0) + n < outlen) {
			if (o)
				out[o++] = ' ';
			memcpy(out + o, p, n);
			out[o += n] = '\0';
		}
		p += n;
		p += *p == ' ';
	}
	return o;
}
