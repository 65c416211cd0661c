/*
 * keys.h: the issuer's signing keys, behind the smallest interface that can
 * sign (as acme-client's keyproc answers only "sign" and "thumbprint").
 *
 * A keys_key is one private key bound to one JWS algorithm: RS256/384/512 and
 * PS256/384/512 (RSA 2048..4096 bits), ES256/384/512 (P-256/384/521), EdDSA
 * (Ed25519). Its kid is its RFC 7638 thumbprint, so a kid names exactly one
 * public key and is the same wherever it is recomputed. Outside this module the
 * private key exists only as the PKCS#8 DER of keys_export_private (for the
 * store); nothing here prints, logs or returns private members in a JWK.
 *
 * Every key that exists has signed a probe token that the JOSE core verified
 * against the key's own public JWK (generate and import both run this
 * self-test), so a key the verifier would refuse (too small, wrong curve, a
 * private half that does not match its public half) is never handed out.
 *
 * Threads: a keys_key is immutable after creation and may be shared by any
 * number of threads signing at once. keys_sign_jws builds the wolfCrypt key
 * object (RsaKey, ecc_key, ed25519_key) on its own stack from the stored DER
 * and frees it before returning: wolfCrypt's RsaKey keeps per-operation state
 * (key->state, key->rng), so one shared object would need a mutex, serialising
 * every event-loop thread behind one key for ~0.6 ms per RSA signature. The
 * per-call copy costs a DER parse and no lock: measured here under 1 us,
 * 0.1% of an RS256 signature and 1.4% of an ES256 one. The WC_RNG is the
 * caller's and is not thread-safe: each thread passes its own.
 *
 * Errors are the core's jose_err: JOSE_OK; JOSE_E_ARG (NULL, unknown or
 * unsupported alg name, limits exceeded), JOSE_E_NOMEM, JOSE_E_INTERNAL
 * (wolfCrypt failed: RNG, or a signature that did not pass its own check);
 * JOSE_E_JWK_INVALID for key material that cannot be used.
 */
#ifndef ISSUER_KEYS_H
#define ISSUER_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>
#include <wolfssl/wolfcrypt/settings.h>
#include <wolfssl/wolfcrypt/random.h>

#include "crypto/seal.h"
#include "jose.h"
#include "store/store.h"

/* Length of a kid: base64url of a SHA-256 thumbprint, without the NUL. */
#define KEYS_KID_LEN 43

/* RSA modulus sizes keys_generate_ex accepts (bits); import accepts any size in between. */
#define KEYS_RSA_DEFAULT_BITS 2048
#define KEYS_RSA_MIN_BITS     2048
#define KEYS_RSA_MAX_BITS     4096

/* Largest private key DER handled (an RSA-4096 PKCS#8 is about 2.4 KB). */
#ifndef KEYS_DER_MAX
#define KEYS_DER_MAX 4096
#endif

typedef struct keys_key keys_key;

/*
 * Generate a new key for alg ("ES256", "RS256", "EdDSA", …; see above) with
 * RSA keys of KEYS_RSA_DEFAULT_BITS and e = 65537. rng must be seeded and is
 * used by this thread only. On JOSE_OK *out is a new key (keys_free);
 * otherwise *out is NULL.
 */
jose_err keys_generate(const char *alg, WC_RNG *rng, keys_key **out);

/*
 * keys_generate with an RSA modulus of rsa_bits (2048, 3072 or 4096; 0 means
 * the default). rsa_bits must be 0 for EC and EdDSA algorithms.
 */
jose_err keys_generate_ex(const char *alg, unsigned rsa_bits, WC_RNG *rng, keys_key **out);

/*
 * Load a private key for alg from der[0..len): PKCS#8 PrivateKeyInfo /
 * OneAsymmetricKey (what keys_export_private writes, and `openssl genpkey`
 * too), or the traditional form (PKCS#1 RSAPrivateKey, SEC1 ECPrivateKey), or
 * for EdDSA a raw 32-byte Ed25519 seed. The key type, curve and size must fit
 * alg; trailing bytes are refused. Costs one signature and one verification
 * (the self-test) and seeds a DRBG: load once, keep the object. On JOSE_OK *out
 * is a new key; JOSE_E_JWK_INVALID when der is not a usable key for alg.
 */
jose_err keys_import_private(const char *alg, const uint8_t *der, size_t len, keys_key **out);

/*
 * Export the private key as unencrypted PKCS#8 DER (RFC 5208; RFC 8410 for
 * Ed25519, private key only; EC keys carry their public point) into a new
 * buffer *der of *len bytes. The encoding is canonical: import followed by
 * export gives the same bytes. The buffer is secret: release it with
 * keys_free_der, which wipes it.
 */
jose_err keys_export_private(const keys_key *k, uint8_t **der, size_t *len);

/* Wipe and free a buffer from keys_export_private; NULL is accepted. */
void keys_free_der(uint8_t *der, size_t len);

/*
 * k as a store row's private part: row->private_der gets k's DER, sealed with
 * seal's first key when seal has keys (seal.h; bound to k's kid), and row->kid
 * and row->alg are set. 0, or -1 when the export, the seal or the size failed
 * (the row's private part is then wiped).
 */
int keys_to_row(const keys_key *k, const seal_keys *seal, WC_RNG *rng, struct store_key *row);

/*
 * The key of a stored row: its private part opened with seal when it is sealed,
 * imported, and checked against the row's kid. JOSE_OK; else JOSE_E_ARG with
 * *sealed 1 when the row is sealed and no configured secret opens it (none set,
 * or other secrets), *sealed 0 when the key itself does not load.
 */
jose_err keys_from_row(const struct store_key *row, const seal_keys *seal, keys_key **out, int *sealed);

/* The key's kid (KEYS_KID_LEN characters, NUL-terminated), valid while k lives. */
const char *keys_kid(const keys_key *k);

/* The JWS algorithm name the key signs with ("ES256"), valid while k lives. */
const char *keys_alg(const keys_key *k);

/*
 * The public JWK of k as a new cJSON object (cJSON_Delete): kty, crv/x/y or
 * n/e, kid, alg, use "sig". Never a private member.
 */
jose_err keys_public_jwk(const keys_key *k, cJSON **out);

/*
 * The RFC 7638 SHA-256 thumbprint of jwk into out (base64url, NUL-terminated).
 * Hashes only the required public members (RSA e, kty, n; EC crv, kty, x, y;
 * OKP crv, kty, x; oct k, kty), which must be strings: base64url (strict) for
 * key values, [A-Za-z0-9-] for crv. JOSE_E_JWK_INVALID when one is missing or
 * malformed, JOSE_E_NOT_SUPPORTED for another kty.
 */
jose_err keys_thumbprint_jwk(const cJSON *jwk, char out[KEYS_KID_LEN + 1]);

/*
 * Sign payload[0..payload_len) (the claims' JSON text, signed as given, not
 * parsed) into a compact JWS in a new NUL-terminated string *out_token (free()).
 * The protected header is {"alg":…,"kid":…,"typ":"JWT"} followed by the
 * members of header_extra, a JSON object text or NULL: its "typ" replaces
 * "JWT" (e.g. "at+jwt", RFC 9068), "alg" and "kid" are refused (JOSE_E_ARG).
 * The token must fit the core's limits (JOSE_HEADER_MAX_LEN,
 * JOSE_TOKEN_MAX_LEN) or JOSE_E_ARG. ECDSA signatures are r||s of the curve
 * size (RFC 7518 §3.4), PSS uses MGF1 with the same hash and a salt as long as
 * the hash (§3.5). RSA signatures are verified with the public key before
 * they leave (a CRT fault would otherwise leak a prime: Boneh-DeMillo-Lipton).
 * rng is required except for EdDSA (RSA blinding and PSS salt, ECDSA nonces).
 */
jose_err keys_sign_jws(const keys_key *k, WC_RNG *rng, const char *header_extra, const char *payload,
                       size_t payload_len, char **out_token);

/* Wipe and free k; NULL is accepted. */
void keys_free(keys_key *k);

#endif
