/*
 * secret.h: the issuer's random identifiers and how secrets are kept. Client
 * secrets, authorization codes, refresh tokens and session ids are 256-bit
 * random values drawn from wolfCrypt's DRBG and shown as base64url; the store
 * only ever holds a hash of them.
 *
 * A client secret is stored as HMAC-SHA-256 keyed with a 16-byte random salt of
 * its own. The secret is high-entropy random, so a fast keyed hash is the right
 * tool (RFC 6749 §2.3.1 leaves it to us): a slow password hash (argon2id,
 * bcrypt) would cap the token endpoint at a few hundred requests a second and
 * buy nothing against a 256-bit secret. Comparison is constant time.
 *
 * Never logs, never prints: callers decide where a fresh secret goes (once, to
 * the operator's terminal).
 */
#ifndef ISSUER_SECRET_H
#define ISSUER_SECRET_H

#include <stddef.h>
#include <stdint.h>

#include <wolfssl/wolfcrypt/settings.h>
#include <wolfssl/wolfcrypt/random.h>

#include "store/store.h"

/* Random bytes behind every generated secret, and its base64url length. */
#define SECRET_BYTES    32
#define SECRET_TEXT_LEN 43
/* Salt of a client secret's hash, and the hash's length (HMAC-SHA-256). */
#define SECRET_SALT_LEN 16
#define SECRET_HASH_LEN 32

/* A new random secret as base64url (SECRET_TEXT_LEN chars + NUL). 0, or -1 if the RNG failed. */
int secret_generate(WC_RNG *rng, char out[SECRET_TEXT_LEN + 1]);

/*
 * Set c's secret_salt (fresh random) and secret_hash for secret[0..len).
 * 0, or -1 if the RNG or the hash failed (c's secret fields are then cleared).
 */
int secret_client_set(WC_RNG *rng, struct store_client *c, const char *secret, size_t len);

/*
 * 1 when secret[0..len) is c's secret, else 0 (also for a public client, which
 * has none). Constant time in the secret's contents.
 */
int secret_client_check(const struct store_client *c, const char *secret, size_t len);

/* secret_client_check, or the secret before the client's last rotation while its
 * grace lasts (c->prev_until > now). Constant time in the secret's contents. */
int secret_client_check_at(const struct store_client *c, const char *secret, size_t len, int64_t now);

/* A random (version 4) UUID, RFC 9562 §5.4, as 36 lowercase characters + NUL: a new
 * user's id (the `sub`). 0, or -1 if the RNG failed. */
int secret_uuid(WC_RNG *rng, char out[37]);

/* SHA-256 of value[0..len) into out: how codes, refresh tokens and session ids are stored. */
void secret_hash(const char *value, size_t len, uint8_t out[SECRET_HASH_LEN]);

#endif
