/*
 * keyring.h: the running server's view of its signing keys, shared by every
 * event-loop thread. It mirrors the store's key table (keyring_sync, called once
 * at start and then every second by one thread), so `identity-backend keys
 * rotate|retire` in another process reaches a running server within a second,
 * without a restart or a signal.
 *
 * Policy:
 *  - every key the store lists (not yet expired) is published in the JWKS, so a
 *    rotated-in key is public from the moment it is written, and a retired key
 *    stays public until its expires_at (after every token it signed expired);
 *  - a key signs only from its not_before (the lead time) and until retired; of
 *    several signing-eligible keys of one algorithm the newest signs;
 *  - at sync, an algorithm the server must sign with and that has no eligible key
 *    gets a fresh one, eligible at once (first start, or every key retired);
 *  - with scheduled rotation on (keyring_set_rotation), a signing key older than
 *    the period gets a successor that is published at once and signs after the
 *    lead time; keys it supersedes are retired and stay published for the grace
 *    time, so no token fails verification during a rotation;
 *  - the legacy HS256 secret (JWT_SECRET_KEY), when configured, signs HS256 and
 *    verifies HS256 tokens but is never published.
 *
 * Threads: readers (sign, verify, JWKS) take a shared lock for the duration of
 * the call; keyring_sync builds the new view outside the lock and swaps it in
 * under the exclusive lock (writer-preferring, so a busy server cannot starve
 * it). Private keys live in keys_key objects only (keys.h).
 */
#ifndef ISSUER_KEYRING_H
#define ISSUER_KEYRING_H

#include <stddef.h>
#include <stdint.h>

#include <wolfssl/wolfcrypt/settings.h>
#include <wolfssl/wolfcrypt/random.h>

#include "jose.h"
#include "crypto/seal.h"
#include "store/store.h"

/* Most keys the ring holds (the JWKS the core imports allows 64). */
#ifndef KEYRING_MAX_KEYS
#define KEYRING_MAX_KEYS 48
#endif
/* Shortest legacy HS256 secret accepted (RFC 7518 §3.2: at least the hash size). */
#define KEYRING_LEGACY_MIN 32

typedef struct keyring keyring;

/*
 * A new, empty ring. required[0..n) are the algorithms it must always be able to
 * sign with ("ES256", "RS256", ...). legacy[0..legacy_len) is the HS256 secret or
 * NULL; it is copied. NULL on ENOMEM or a bad argument.
 */
keyring *keyring_new(const char *const *required, size_t n, const char *legacy, size_t legacy_len);

/* A warning about the ring the caller should log, once (more unexpired keys in
 * the store than KEYRING_MAX_KEYS: the oldest are not published), or NULL. */
const char *keyring_warning(keyring *r);

/* Wipe and free the ring; NULL is accepted. */
void keyring_free(keyring *r);

/*
 * Bring the ring in line with the store at time now (see the policy above),
 * generating and storing missing keys with rng. 0 on success; -1 with a
 * one-line reason in err when the store failed or a stored key could not be
 * loaded (the ring then keeps its previous view).
 */
int keyring_sync(keyring *r, store *s, WC_RNG *rng, int64_t now, char *err, size_t errlen);

/*
 * As keyring_sync, but generates missing keys only for the first n required
 * algorithms (the ones start-up must not go without); the rest get theirs at the
 * next keyring_sync. Start-up uses it so that a first start does not wait for
 * every RSA key generation (each 30..150 ms).
 */
int keyring_sync_first(keyring *r, store *s, WC_RNG *rng, int64_t now, size_t n, char *err, size_t errlen);

/*
 * Turn scheduled rotation on for the required algorithms (every > 0 seconds; 0:
 * off, the default): at each keyring_sync, a signing key made at least every
 * seconds ago, with no newer key waiting, gets a successor signing after lead
 * seconds; once the successor signs, the older keys of its algorithm past their
 * period are retired and stay published for grace seconds (the longest token
 * lifetime and some clock skew). Call before the first sync.
 */
void keyring_set_rotation(keyring *r, int64_t every, int64_t lead, int64_t grace);

/* Seal the private keys the ring generates with seal's first key, and open sealed
 * stored keys with any of its keys (seal.h); seal is copied. Call before the first
 * sync. Without it (or with no keys), keys are stored plain and sealed ones do not load. */
void keyring_set_seal(keyring *r, const seal_keys *seal);

/*
 * Sign payload[0..len) (claims JSON) as a compact JWS with the eligible key for
 * alg at time now; header_extra as in keys_sign_jws (e.g. "{\"typ\":\"at+jwt\"}").
 * JOSE_E_ARG when there is no key for alg. *token is malloc'd (free()).
 */
jose_err keyring_sign(keyring *r, const char *alg, WC_RNG *rng, int64_t now, const char *header_extra,
                      const char *payload, size_t len, char **token);

/*
 * Verify token[0..len) against every published key (and the legacy secret) with
 * opts (opts->algs 0 means: the algorithms of the ring). As jose_jwt_verify.
 */
jose_err keyring_verify(keyring *r, const jose_jwt_opts *opts, const char *token, size_t len, jose_jwt *out,
                        jose_fail *why);

/*
 * The JWKS document ({"keys":[…]}, public members only) as a new malloc'd
 * string of *len bytes, or NULL on ENOMEM.
 */
char *keyring_jwks(keyring *r, size_t *len);

/* 1 when a key signs alg at time now (HS256: when legacy HS256 is on), else 0. */
int keyring_can_sign(keyring *r, const char *alg, int64_t now);

/* Counts for /health: published keys, and whether legacy HS256 is on. */
void keyring_stats(keyring *r, size_t *published, int *legacy);

/* One algorithm's signing key, as /metrics shows its age. */
struct keyring_signer {
	char alg[16];       /* "ES256", "RS256", ... */
	int64_t created_at; /* when the key was made, Unix seconds */
};

/*
 * The keys that sign at now, one per algorithm (the one keyring_sign would use),
 * into out[0..max); returns how many. The legacy HS256 secret is not a key here.
 */
size_t keyring_signers(keyring *r, int64_t now, struct keyring_signer *out, size_t max);

/* The JWA names the ring signs with, for discovery, joined by "," into buf. */
void keyring_algs(keyring *r, char *buf, size_t cap);

#endif
