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
 * One entry of a key set. Raw big-endian key bytes, plus what the signature
 * backend kept for it at import (handle). The wolfCrypt backend keeps nothing
 * and builds its key objects per verification on the stack, which keeps the
 * set immutable and so shareable between threads (wolfCrypt's RsaKey keeps
 * per-operation state).
 */
typedef struct jose_key {
	jose_kty kty;
	jose_crv crv;         /* EC and OKP keys, else JOSE_CRV_NONE */
	uint32_t algs;        /* algorithms this key may verify, after alg/use/key_ops */
	jose_err dead;        /* JOSE_OK when usable, else why import refused it */
	const char *dead_why; /* static reason when dead */
	char *kid;            /* NUL-terminated copy (JSON \u0000 is refused), or NULL */
	uint8_t *a;           /* RSA n, EC x, OKP x, oct k */
	size_t a_len;
	uint8_t *b; /* RSA e, EC y; NULL otherwise */
	size_t b_len;
	size_t index;            /* position of the JWK in the document (0 for a lone JWK) */
	const jose_sig_ops *ops; /* the backend that loaded it (RSA, EC, OKP), else NULL */
	uintptr_t handle;        /* what ops->load kept for it */
	struct jose_hmac *hmac;  /* oct keys: the precomputed HMAC states, per hash */
} jose_key;

struct jose_jwks {
	size_t n; /* entries in keys[], dead ones included */
	jose_key *keys;
};

/* A NIST curve as the core compares against it (curve.c). */
typedef struct jose_curve {
	jose_crv crv;
	const char *name; /* the JWK "crv" */
	size_t size;      /* bytes of a coordinate, and of r and of s */
	jose_alg alg;     /* the one JWS algorithm for the curve */
	const uint8_t *p; /* field prime, size bytes, big-endian */
	const uint8_t *n; /* group order, size bytes, big-endian */
} jose_curve;

/* The curve crv (P-256, P-384, P-521), or NULL. */
const jose_curve *jose_curve_find(jose_crv crv);

/* The curve whose JWK name is name ("P-256"), or NULL (also for NULL). */
const jose_curve *jose_curve_named(const char *name);

/*
 * Check sig over msg with key k for algorithm alg (alg must be in k->algs).
 * Returns JOSE_OK, JOSE_E_SIG_FAILED (any malformed or wrong signature),
 * JOSE_E_JWK_INVALID (an HMAC key shorter than the hash), or a band-1 error.
 * Allocates nothing on the heap.
 */
jose_err jose_key_verify(const jose_key *k, jose_alg alg, const uint8_t *msg, size_t msg_len,
                         const uint8_t *sig, size_t sig_len);

/* Bits of the big-endian integer b[0..len) whose first byte is not zero (0 when len is 0). */
size_t jose_bit_len(const uint8_t *b, size_t len);

/* Digest length in bytes of alg's hash (32, 48 or 64; 64 for Ed25519's SHA-512). */
size_t jose_alg_hash_len(jose_alg alg);

/* The key type of alg's family (HS: oct, RS/PS: RSA, ES: EC, EdDSA/Ed25519: OKP). */
jose_kty jose_alg_kty(jose_alg alg);

/*
 * HMAC keys (hmac.c): precompute the inner and outer hash states of k->a for
 * every hash k may be used with, once at import, so a verification hashes only
 * the token. Returns JOSE_OK or JOSE_E_NOMEM; freed by jose_hmac_free.
 */
jose_err jose_hmac_prepare(jose_key *k);
void jose_hmac_free(struct jose_hmac *h);

/* HMAC of msg under k for HS256/384/512 into mac (jose_alg_hash_len bytes). */
jose_err jose_hmac(const jose_key *k, jose_alg alg, const uint8_t *msg, size_t len, uint8_t *mac);

/*
 * The digest of msg under alg's hash (SHA-256/384/512) into out
 * (jose_alg_hash_len(alg) bytes). JOSE_OK or JOSE_E_INTERNAL.
 */
jose_err jose_digest(jose_alg alg, const uint8_t *msg, size_t len, uint8_t *out);

/*
 * RSA signature encodings (rsapad.c): em is s^e mod n (em_len bytes, the
 * modulus length), bits the modulus size, digest the message's hash under alg.
 * JOSE_OK when em is exactly EMSA-PKCS1-v1_5 (RS*) or a valid EMSA-PSS with
 * MGF1 and a salt as long as the hash (PS*), else JOSE_E_SIG_FAILED.
 */
jose_err jose_rsa_check_pkcs1(jose_alg alg, const uint8_t *em, size_t em_len, const uint8_t *digest);
jose_err jose_rsa_check_pss(jose_alg alg, const uint8_t *em, size_t em_len, size_t bits,
                            const uint8_t *digest);

#endif
