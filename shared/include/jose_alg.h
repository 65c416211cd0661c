/*
 * jose_alg.h: the JWS algorithms the core verifies (RFC 7518 §3, RFC 8037 §3.1,
 * and RFC 9864's fully-specified "Ed25519", which verifies exactly as "EdDSA"
 * with an Ed25519 key but is its own name in allowlists and key "alg").
 * "none" is not an algorithm here and never will be: it has no enum value, so no
 * allowlist can contain it. Allowlists are bitmasks of JOSE_ALG_BIT(a).
 */
#ifndef JOSE_ALG_H
#define JOSE_ALG_H

#include <stddef.h>
#include <stdint.h>

typedef enum jose_alg {
	JOSE_ALG_HS256,
	JOSE_ALG_HS384,
	JOSE_ALG_HS512,
	JOSE_ALG_RS256,
	JOSE_ALG_RS384,
	JOSE_ALG_RS512,
	JOSE_ALG_PS256,
	JOSE_ALG_PS384,
	JOSE_ALG_PS512,
	JOSE_ALG_ES256,
	JOSE_ALG_ES384,
	JOSE_ALG_ES512,
	JOSE_ALG_EDDSA,
	JOSE_ALG_ED25519,
	JOSE_ALG_COUNT
} jose_alg;

#define JOSE_ALG_BIT(a) (UINT32_C(1) << (a))
#define JOSE_ALGS_ALL   (JOSE_ALG_BIT(JOSE_ALG_COUNT) - 1)
#define JOSE_ALGS_HMAC                                                                                       \
	(JOSE_ALG_BIT(JOSE_ALG_HS256) | JOSE_ALG_BIT(JOSE_ALG_HS384) | JOSE_ALG_BIT(JOSE_ALG_HS512))
#define JOSE_ALGS_RSA                                                                                        \
	(JOSE_ALG_BIT(JOSE_ALG_RS256) | JOSE_ALG_BIT(JOSE_ALG_RS384) | JOSE_ALG_BIT(JOSE_ALG_RS512) |        \
	 JOSE_ALG_BIT(JOSE_ALG_PS256) | JOSE_ALG_BIT(JOSE_ALG_PS384) | JOSE_ALG_BIT(JOSE_ALG_PS512))
#define JOSE_ALGS_PSS                                                                                        \
	(JOSE_ALG_BIT(JOSE_ALG_PS256) | JOSE_ALG_BIT(JOSE_ALG_PS384) | JOSE_ALG_BIT(JOSE_ALG_PS512))
#define JOSE_ALGS_OKP (JOSE_ALG_BIT(JOSE_ALG_EDDSA) | JOSE_ALG_BIT(JOSE_ALG_ED25519))

/* The algorithm named exactly name[0..len) (case-sensitive), or -1. */
int jose_alg_from_name(const char *name, size_t len);

/* The registered name of alg ("ES256"), or NULL when alg is out of range. */
const char *jose_alg_name(int alg);

/*
 * Parse a comma-separated list ("RS256,ES256") into *mask. Returns 0, or -1 on
 * an empty list or an unknown name (so a typo never widens or empties the set).
 */
int jose_alg_parse_list(const char *list, uint32_t *mask);

#endif
