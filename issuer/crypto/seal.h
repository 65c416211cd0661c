/*
 * seal.h: private signing keys sealed at rest with the operator's system
 * secrets (SECRETS_SYSTEM), so that a database copy, a backup or the network
 * between replicas and PostgreSQL never carries a usable private key.
 *
 * A sealed value is "IDBSEAL1" || a 12-byte random nonce || ChaCha20-Poly1305
 * (RFC 8439) ciphertext || its 16-byte tag, under a key derived from one secret
 * (HMAC-SHA-256 of a fixed label, keyed with the secret). The associated data is
 * the key's kid, so a sealed key copied onto another key's row does not open.
 * Several secrets may be configured: the first seals, every one opens, which is
 * how the secret is rotated (add the new one first, `keys reseal`, drop the old).
 * A plain DER key never starts with the magic (DER starts with 0x30).
 *
 * It never logs, and wipes every derived key and buffer it filled on the way out.
 */
#ifndef ISSUER_SEAL_H
#define ISSUER_SEAL_H

#include <stddef.h>
#include <stdint.h>

#include <wolfssl/wolfcrypt/settings.h>
#include <wolfssl/wolfcrypt/random.h>

/* Shortest system secret accepted, in bytes, and how many may be given. */
#define SEAL_SECRET_MIN  32
#define SEAL_SECRETS_MAX 8
/* Bytes a sealed value adds to the plain one: magic, nonce, tag. */
#define SEAL_OVERHEAD (8 + 12 + 16)

/* The keys derived from the system secrets; n == 0: sealing is off. */
typedef struct seal_keys {
	size_t n;
	uint8_t key[SEAL_SECRETS_MAX][32];
} seal_keys;

/*
 * Derive keys from text, the comma-separated secrets (each at least
 * SEAL_SECRET_MIN bytes, at most SEAL_SECRETS_MAX of them, no empty one). NULL or
 * "" gives n = 0. 0, or -1 with a one-line reason in err (never the secret).
 */
int seal_keys_parse(const char *text, seal_keys *out, char *err, size_t errlen);

/* Wipe k. */
void seal_keys_wipe(seal_keys *k);

/* 1 when b[0..n) is a sealed value (starts with the magic), else 0. */
int seal_is_sealed(const uint8_t *b, size_t n);

/*
 * Seal in[0..n) bound to aad (a NUL-terminated kid) with k's first key into
 * out[cap] (cap >= n + SEAL_OVERHEAD), its length in *out_len. 0, or -1 when k
 * has no key, the buffer is short or the RNG failed.
 */
int seal_close(const seal_keys *k, WC_RNG *rng, const char *aad, const uint8_t *in, size_t n, uint8_t *out,
               size_t cap, size_t *out_len);

/*
 * Open the sealed in[0..n) bound to aad with any of k's keys into out[cap], its
 * length in *out_len. 0, or -1 when none opens it (other secrets, another kid,
 * damaged bytes, not a sealed value); out is wiped then.
 */
int seal_open(const seal_keys *k, const char *aad, const uint8_t *in, size_t n, uint8_t *out, size_t cap,
              size_t *out_len);

#endif
