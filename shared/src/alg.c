/*
 * alg.c: names of the supported JWS algorithms and allowlist parsing.
 * Names compare case-sensitively: "none", "None" and "HS256 " are not algorithms.
 */
#include <string.h>

#include "inner.h"

static const char *const names[JOSE_ALG_COUNT] = {
    "HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256",
    "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519",
};

/* see jose_alg.h */
int jose_alg_from_name(const char *name, size_t len)
{
	for (int a = 0; a < JOSE_ALG_COUNT; a++)
		if (strlen(names[a]) == len && memcmp(names[a], name, len) == 0)
			return a;
	return -1;
}

/* see jose_alg.h */
const char *jose_alg_name(int alg)
{
	return alg >= 0 && alg < JOSE_ALG_COUNT ? names[alg] : NULL;
}

/* see jose_alg.h */
int jose_alg_parse_list(const char *list, uint32_t *mask)
{
	uint32_t m = 0;

	if (!list || !mask || !*list)
		return -1;
	for (const char *p = list;;) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		int a = jose_alg_from_name(p, n);
		if (a < 0)
			return -1;
		m |= JOSE_ALG_BIT(a);
		if (!end)
			break;
		p = end + 1;
	}
	*mask = m;
	return 0;
}

/* see inner.h */
size_t jose_alg_hash_len(jose_alg alg)
{
	switch (alg) {
	case JOSE_ALG_HS256:
	case JOSE_ALG_RS256:
	case JOSE_ALG_PS256:
	case JOSE_ALG_ES256:
		return 32;
	case JOSE_ALG_HS384:
	case JOSE_ALG_RS384:
	case JOSE_ALG_PS384:
	case JOSE_ALG_ES384:
		return 48;
	default:
		return 64;
	}
}

/* see inner.h */
jose_kty jose_alg_kty(jose_alg alg)
{
	if (JOSE_ALG_BIT(alg) & JOSE_ALGS_HMAC)
		return JOSE_KTY_OCT;
	if (JOSE_ALG_BIT(alg) & JOSE_ALGS_RSA)
		return JOSE_KTY_RSA;
	return JOSE_ALG_BIT(alg) & JOSE_ALGS_OKP ? JOSE_KTY_OKP : JOSE_KTY_EC;
}
