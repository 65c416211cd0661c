/*
 * ct.c: constant-time comparison for secrets (HMAC tags, client secrets).
 * The loop touches every byte whatever the data; no early exit, no branch on
 * secret data. The result is folded without a data-dependent branch.
 */
#include "inner.h"

/* see jose.h */
int jose_ct_equal(const void *a, const void *b, size_t n)
{
	const volatile uint8_t *x = a, *y = b;
	uint32_t d = 0;

	for (size_t i = 0; i < n; i++)
		d |= (uint32_t)(x[i] ^ y[i]);
	return (int)(1 & ((d - 1) >> 8));
}
