/*
 * inner.h: internals shared by the core's modules (not installed, not an API).
 * Unit tests may include it to reach the signature primitive and key records.
 */
#ifndef JOSE_INNER_H
#define JOSE_INNER_H

#include <stddef.h>
#include <stdint.h>

#include "jose.h"

/*
 * One entry of a key set. Raw big-endian key bytes only: wolfCrypt objects are
 * built per verification on the stack, which keeps the set immutable and so
 * shareable between threads (wolfCrypt's RsaKey keeps per-operation state).
 */
typedef struct jose_key {
	jose_kty kty;
	int curve;            /* wolfCrypt ecc_curve_id for EC keys, else 0 */
	uint32_t algs;        /* algorithms this key may verify, after alg/use/key_ops */
	jose_err dead;        /* JOSE_OK when usable, else why import refused it */
	const char *dead_why; /* static reason when dead */
	char *kid;            /* NUL-terminated copy (JSON \u0000 is refused), or NULL */
	uint8_t *a;           /* RSA n, EC x, OKP x, oct k */
	size_t a_len;
	uint8_t *b; /* RSA e, EC y; NULL otherwise */
	size_t b_len;
} jose_key;

struct jose_jwks {
	size_t n; /* entries in keys[], dead ones included */
	jose_key *keys;
};

/*
 * Check sig over msg with key k for algorithm alg (alg must be in k->algs).
 * Returns JOSE_OK, JOSE_E_SIG_FAILED (any malformed or wrong signature),
 * JOSE_E_JWK_INVALID (an HMAC key shorter than the hash), or a band-1 error. Allocates nothing on the heap.
 */
jose_err jose_key_verify(const jose_key *k, jose_alg alg, const uint8_t *msg, size_t msg_len,
                         const uint8_t *sig, size_t sig_len);

/* Digest length in bytes of alg's hash (32, 48 or 64; 64 for EdDSA's SHA-512). */
size_t jose_alg_hash_len(jose_alg alg);

#endif
