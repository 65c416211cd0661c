/*
 * test_strtod.c: the WebAssembly modules' number reader
 * (verifier-wasm/src/strtod.c, included here) against glibc's strtod, which is
 * correctly rounded: the same double, bit for bit, and the same end pointer,
 * for hand-picked hard cases (halfway points, the subnormal range, the largest
 * double and just past it, mantissas as long as cJSON's 63 characters allow)
 * and for random JSON numbers of every shape.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../test.h"
#include "../../verifier-wasm/src/strtod.c"

static int same(const char *s, char *detail, size_t cap)
{
	char *e1 = NULL, *e2 = NULL;
	double a = idb_strtod(s, &e1), b = strtod(s, &e2);
	uint64_t x, y;

	memcpy(&x, &a, 8);
	memcpy(&y, &b, 8);
	if (x == y && e1 == e2)
		return 1;
	snprintf(detail, cap, "%s: ours %.17g (%016llx, end +%d), glibc %.17g (%016llx, end +%d)", s, a,
	         (unsigned long long)x, (int)(e1 - s), b, (unsigned long long)y, (int)(e2 - s));
	return 0;
}

static const char *const hard[] = {
    "0",
    "-0",
    "1",
    "-1",
    "1800000000",
    "1800000000.5",
    "1.8e9",
    "9007199254740991",
    "9007199254740992",
    "9007199254740993",
    "9007199254740995",
    "9007199254740991.4",
    "9007199254740991.5",
    "123456789012345678",
    "0.1",
    "0.3",
    "0.30000000000000004",
    "1e22",
    "1e23",
    "8.98846567431158e307",
    "1.7976931348623157e308",
    "1.7976931348623158e308",
    "1.7976931348623159e308",
    "2e308",
    "1e310",
    "2.2250738585072011e-308",
    "2.2250738585072014e-308",
    "4.9406564584124654e-324",
    "2.4703282292062327e-324",
    "2.4703282292062328e-324",
    "1e-324",
    "3e-324",
    "1e-330",
    "1e-400",
    "1e400",
    "0.000000000000000000000000000001",
    /* 63 characters, cJSON's most: just below the smallest normal double's halfway point */
    "2.22507385850720113605740979670913197593481954635164564802342e-308",
    "9007199254740992.999999999999999999999999999999999999999999999999",
    "1e0000000000000000000000000000000000000000000000000000000005",
    "12345e-2x",
    "1.",
    ".5",
    "e5",
    "-",
    "1e",
    "1e+",
    "1e-5z",
    "179769313486231570000000000000000000000000000000000000000000000e248",
};

int main(void)
{
	char detail[2048], buf[80];
	int wrong = 0;
	uint64_t state = 0x5eedULL;

	for (size_t i = 0; i < sizeof hard / sizeof hard[0]; i++)
		T_CHECK(same(hard[i], detail, sizeof detail), "%.60s%s", hard[i],
		        strlen(hard[i]) > 60 ? "…" : "");
	/* Random JSON numbers: sign, 1-40 digits with a point somewhere, an exponent. */
	for (int i = 0; i < 500000; i++) {
		size_t o = 0;
		int nd =
		    1 + (int)((state = state * 6364136223846793005ULL + 1442695040888963407ULL) >> 58) % 40;
		if (state >> 63)
			buf[o++] = '-';
		for (int d = 0; d < nd; d++) {
			state = state * 6364136223846793005ULL + 1442695040888963407ULL;
			if (d == 1 && (state >> 40) % 3 == 0)
				buf[o++] = '.';
			buf[o++] = (char)('0' + (d == 0 ? 1 + (state >> 33) % 9 : (state >> 33) % 10));
		}
		state = state * 6364136223846793005ULL + 1442695040888963407ULL;
		if ((state >> 60) % 4)
			o += (size_t)snprintf(buf + o, sizeof buf - o, "e%d",
			                      (int)((state >> 20) % 700) - 350);
		buf[o] = '\0';
		if (!same(buf, detail, sizeof detail) && wrong++ < 5)
			T_CHECK(0, "random number %d: %s", i, detail);
	}
	T_CHECK(wrong == 0, "500,000 random numbers: the same double and end as glibc (%d differ)", wrong);
	T_DONE();
}
