/*
 * strtod.c: cJSON's number reader inside the WebAssembly modules, correctly
 * rounded (as JavaScript's JSON.parse and glibc are) without long double. The
 * modules' libc (musl) converts through long double, which WebAssembly only
 * has in software: its code was 7 KB of each gzipped module, and a claim like
 * "exp" cost more than the rest of its token. cJSON.c is compiled with
 * -Dstrtod=idb_strtod for the modules only; test_strtod checks this file
 * against glibc's strtod natively.
 *
 * Two paths. Plain numbers (at most 15 significant digits and a decimal
 * exponent within 22 of them) are exact in double arithmetic, one operation
 * rounding once (Clinger's fast path): every NumericDate takes it. Anything
 * else is computed exactly with integers: the decimal value as a fraction N/D
 * of big integers, 54 quotient bits by long division, then one round half to
 * even (subnormals included). Bounded work: the strict JSON scanner caps a
 * number at 63 characters, and values past 10^310 or below 10^-330 are
 * infinity or zero without any arithmetic.
 */
#include <stdint.h>
#include <string.h>

/* strtod for the text cJSON hands over (its own NUL-terminated copy of one JSON number). */
double idb_strtod(const char *s, char **end);

/* Significant digits kept: JSON numbers here have at most 63 characters (see the note in idb_strtod). */
#define DIGITS_MAX 64

/* Big integers of BN_LIMBS 32-bit limbs, little-endian: enough for 10^393 shifted by 64 bits. */
#define BN_LIMBS 48

typedef struct bn {
	uint32_t w[BN_LIMBS];
	int n; /* limbs in use */
} bn;

static void bn_small(bn *a, uint32_t v)
{
	memset(a, 0, sizeof *a);
	a->w[0] = v;
	a->n = v ? 1 : 0;
}

/* a = a * m + add. */
static void bn_muladd(bn *a, uint32_t m, uint32_t add)
{
	uint64_t carry = add;

	for (int i = 0; i < a->n; i++) {
		uint64_t t = (uint64_t)a->w[i] * m + carry;
		a->w[i] = (uint32_t)t;
		carry = t >> 32;
	}
	if (carry && a->n < BN_LIMBS)
		a->w[a->n++] = (uint32_t)carry;
}

static int bn_bits(const bn *a)
{
	int bits = a->n * 32;

	if (!a->n)
		return 0;
	for (uint32_t top = a->w[a->n - 1]; !(top & 0x80000000u); top <<= 1)
		bits--;
	return bits;
}

static void bn_shl(bn *a, int k)
{
	int limbs = k / 32, bits = k % 32;

	if (!a->n || k <= 0)
		return;
	for (int i = a->n - 1 + limbs + 1; i >= 0; i--) {
		uint32_t hi = i - limbs >= 0 && i - limbs < a->n ? a->w[i - limbs] : 0;
		uint32_t lo = i - limbs - 1 >= 0 && i - limbs - 1 < a->n ? a->w[i - limbs - 1] : 0;
		if (i < BN_LIMBS)
			a->w[i] = bits ? (hi << bits) | (lo >> (32 - bits)) : hi;
	}
	a->n = a->n + limbs + 1 > BN_LIMBS ? BN_LIMBS : a->n + limbs + 1;
	while (a->n && !a->w[a->n - 1])
		a->n--;
}

static int bn_cmp(const bn *a, const bn *b)
{
	if (a->n != b->n)
		return a->n < b->n ? -1 : 1;
	for (int i = a->n - 1; i >= 0; i--)
		if (a->w[i] != b->w[i])
			return a->w[i] < b->w[i] ? -1 : 1;
	return 0;
}

/* a -= b, for a >= b. */
static void bn_sub(bn *a, const bn *b)
{
	uint64_t borrow = 0;

	for (int i = 0; i < a->n; i++) {
		uint64_t t = (uint64_t)a->w[i] - (i < b->n ? b->w[i] : 0) - borrow;
		a->w[i] = (uint32_t)t;
		borrow = (t >> 32) & 1;
	}
	while (a->n && !a->w[a->n - 1])
		a->n--;
}

/* A double from its parts: sign, m < 2^53, binary exponent e2 (value m * 2^e2, e2 >= -1074). */
static double make_double(int neg, uint64_t m, int e2)
{
	uint64_t bits;
	double d;

	if (m >= (UINT64_C(1) << 52))
		bits = ((uint64_t)(e2 + 1075) << 52) | (m & ((UINT64_C(1) << 52) - 1));
	else
		bits = m; /* subnormal (e2 == -1074) or zero */
	if (e2 + 1075 >= 2047)
		bits = UINT64_C(0x7ff0000000000000); /* past the largest double: infinity */
	bits |= (uint64_t)neg << 63;
	memcpy(&d, &bits, sizeof d);
	return d;
}

/* digits (no leading zero) * 10^e, correctly rounded: the exact path. */
static double exact(int neg, const char *digits, int n, int e)
{
	bn num, den;
	uint64_t q = 0;
	int s, qbits, shift, e2, sticky;

	bn_small(&num, 0);
	for (int i = 0; i < n; i++) {
		if (!num.n)
			bn_small(&num, (uint32_t)(digits[i] - '0'));
		else
			bn_muladd(&num, 10, (uint32_t)(digits[i] - '0'));
	}
	bn_small(&den, 1);
	for (int i = 0; i < (e < 0 ? -e : e); i++)
		bn_muladd(e < 0 ? &den : &num, 10, 0);
	/* Scale by 2^s so that num / den lies in [2^54, 2^56): 55 or 56 quotient bits. */
	s = 55 - (bn_bits(&num) - bn_bits(&den));
	if (s > 0)
		bn_shl(&num, s);
	else
		bn_shl(&den, -s);
	/* Long division, one quotient bit at a time: q = floor(num / den), num = remainder. */
	bn_shl(&den, 56);
	for (int i = 56; i >= 0; i--) {
		q <<= 1;
		if (bn_cmp(&num, &den) >= 0) {
			bn_sub(&num, &den);
			q |= 1;
		}
		/* den >>= 1 */
		for (int j = 0; j < den.n; j++)
			den.w[j] = (den.w[j] >> 1) | (j + 1 < den.n ? den.w[j + 1] << 31 : 0);
		while (den.n && !den.w[den.n - 1])
			den.n--;
	}
	sticky = num.n != 0;
	/* value = q * 2^-s (plus a remainder, sticky); keep 53 bits, or fewer below the normal range. */
	qbits = 64;
	while (qbits > 0 && !(q >> (qbits - 1) & 1))
		qbits--;
	shift = qbits - 53;
	e2 = -s + shift;
	if (e2 < -1074) {
		shift += -1074 - e2;
		e2 = -1074;
	}
	if (shift > 64)
		return make_double(neg, 0, -1074);
	uint64_t m = shift == 64 ? 0 : q >> shift;
	uint64_t rest = shift == 0 ? 0 : shift == 64 ? q : q & ((UINT64_C(1) << shift) - 1);
	uint64_t half = shift == 0 ? 0 : UINT64_C(1) << (shift - 1);
	if (shift > 0 && (rest > half || (rest == half && (sticky || (m & 1)))))
		m++; /* round half to even: past half, or a tie broken by the remainder or an odd m */
	if (m == (UINT64_C(1) << 53)) {
		m >>= 1;
		e2++;
	}
	return make_double(neg, m, e2);
}

/* see the prototype above */
double idb_strtod(const char *s, char **end)
{
	static const double pow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
	                               1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
	char digits[DIGITS_MAX];
	const char *p = s;
	int neg = 0, n = 0, e = 0, any = 0, dropped = 0;
	long exp = 0;

	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	for (int frac = 0;; p++) {
		if (*p == '.' && !frac) {
			frac = 1;
			continue;
		}
		if (*p < '0' || *p > '9')
			break;
		any = 1;
		if (n == 0 && *p == '0') {
			e -= frac; /* a leading zero: only shifts the point */
			continue;
		}
		if (n < DIGITS_MAX) {
			digits[n++] = *p;
			e -= frac;
		} else {
			dropped |= *p != '0';
			e += !frac;
		}
	}
	if (!any) {
		if (end)
			*end = (char *)s;
		return 0;
	}
	if ((*p == 'e' || *p == 'E') &&
	    ((p[1] >= '0' && p[1] <= '9') || ((p[1] == '+' || p[1] == '-') && p[2] >= '0' && p[2] <= '9'))) {
		int eneg = p[1] == '-';
		p += 1 + (p[1] == '+' || p[1] == '-');
		for (; *p >= '0' && *p <= '9'; p++)
			if (exp < 100000)
				exp = exp * 10 + (*p - '0');
		e += (int)(eneg ? -exp : exp);
	}
	if (end)
		*end = (char *)p;
	/* Never reached from cJSON (it hands over at most 63 characters): past 64 digits, a
	 * nonzero tail only nudges the last kept one, which is exact except at a tie there. */
	if (dropped)
		digits[n - 1] |= 1;
	while (n > 0 && digits[n - 1] == '0')
		n--, e++;
	if (n == 0)
		return neg ? -0.0 : 0.0;
	if (n + e > 310)
		return make_double(neg, 0, 2000); /* infinity */
	if (n + e < -330)
		return neg ? -0.0 : 0.0;
	if (n <= 15 && e >= -22 && e <= 22) {
		int64_t v = 0;
		for (int i = 0; i < n; i++)
			v = v * 10 + (digits[i] - '0');
		double d = e >= 0 ? (double)v * pow10[e] : (double)v / pow10[-e];
		return neg ? -d : d;
	}
	return exact(neg, digits, n, e);
}
