/*
 * strtod.c: cJSON's number reader inside the WebAssembly modules. The module's
 * libc (musl) converts through long double, which WebAssembly only has in
 * software: a claim like "exp" cost more than the rest of its token. Numbers
 * that are plain integers of at most 15 digits (every NumericDate until the
 * year 31 million) are exact in a double and converted here; anything else
 * (fractions, exponents, longer digit strings) goes to strtod, so results are
 * always the correctly rounded ones. cJSON.c is compiled with
 * -Dstrtod=idb_strtod for the modules only.
 */
#include <stdlib.h>

/* strtod for the text cJSON hands over (its own copy of one JSON number). */
double idb_strtod(const char *s, char **end);

double idb_strtod(const char *s, char **end)
{
	const char *p = s + (*s == '-');
	long long v = 0;
	int n = 0;

	while (p[n] >= '0' && p[n] <= '9' && n < 16)
		v = v * 10 + (p[n++] - '0');
	if (n == 0 || n > 15 || p[n] == '.' || p[n] == 'e' || p[n] == 'E' || (p[n] >= '0' && p[n] <= '9'))
		return strtod(s, end);
	if (end)
		*end = (char *)(p + n);
	return *s == '-' ? -(double)v : (double)v;
}
