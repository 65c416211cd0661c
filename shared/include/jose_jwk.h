/*
 * jose_jwk.h: import of JWKs and JWK Sets (RFC 7517) into verification keys.
 *
 * Accepted: RSA (2048..JOSE_RSA_MAX_BITS bits, odd e >= 3, no ROCA-weak modulus),
 * EC P-256/P-384/P-521 (coordinates of exactly the field size, point checked on
 * the curve), OKP Ed25519, oct (HMAC secrets). "use", "key_ops" and "alg" are
 * honoured: a key is only a candidate for the algorithms they allow, and a
 * public key is never an HMAC secret (kty decides, never the token).
 *
 * A set is parsed once; a member that is well-formed JSON but unusable (weak,
 * off-curve, private material in a verification set) is kept as a dead entry
 * carrying its error, so a token whose kid selects it gets that precise error
 * while the other keys keep working; members of unknown kty or crv, or meant
 * for encryption, are ignored, as RFC 7517 §5 asks.
 *
 * A jose_jwks is immutable after import and may be shared between threads when
 * its signature backend may (jose_sig_wolfcrypt may: no wolfCrypt object lives
 * in the set, the verify path builds them on its stack).
 */
#ifndef JOSE_JWK_H
#define JOSE_JWK_H

#include <stddef.h>
#include <stdint.h>

#include "jose_alg.h"
#include "jose_err.h"
#include "jose_sig.h"

/* Largest JWKS document accepted, in bytes. */
#ifndef JOSE_JWKS_MAX_LEN
#define JOSE_JWKS_MAX_LEN (256 * 1024)
#endif

/* Most keys one set may hold. */
#ifndef JOSE_JWKS_MAX_KEYS
#define JOSE_JWKS_MAX_KEYS 64
#endif

/* RSA modulus bounds, in bits (the Debian wolfSSL build caps at 4096). */
#define JOSE_RSA_MIN_BITS 2048
#ifndef JOSE_RSA_MAX_BITS
#define JOSE_RSA_MAX_BITS 4096
#endif

/* Longest kid kept (longer kids are refused as malformed). */
#ifndef JOSE_KID_MAX
#define JOSE_KID_MAX 256
#endif

/* Longest HMAC secret accepted, in bytes. */
#ifndef JOSE_OCT_MAX
#define JOSE_OCT_MAX 1024
#endif

typedef struct jose_jwks jose_jwks;

/*
 * Import a JWK Set ({"keys":[…]}) or a single JWK object from json[0..len).
 * On success *out holds a new set (free with jose_jwks_free) and JOSE_OK is
 * returned. Otherwise *out is NULL and the error is JOSE_E_JWKS_INVALID (not a
 * set), JOSE_E_JWK_INVALID (a single JWK that cannot be used), or a band-1
 * error; why, if not NULL, says which rule failed.
 */
jose_err jose_jwks_import(const char *json, size_t len, jose_jwks **out, jose_fail *why);

/*
 * The same, with the RSA, EC and OKP keys' arithmetic done by ops (jose_sig.h)
 * instead of jose_sig_wolfcrypt; ops must outlive the set. Every rule is the
 * same whichever backend is used; a key ops cannot use (JOSE_E_NOT_SUPPORTED
 * from its load) fails the import with that error, nothing else does.
 */
jose_err jose_jwks_import_ops(const char *json, size_t len, const jose_sig_ops *ops, jose_jwks **out,
                              jose_fail *why);

/* Free a set from jose_jwks_import; NULL is accepted. */
void jose_jwks_free(jose_jwks *set);

/* Number of usable keys in the set (dead and ignored entries are not counted). */
size_t jose_jwks_usable(const jose_jwks *set);

/*
 * 1 when the Ed25519 public key x is the encoding (sign bit ignored) of a point of
 * small order, canonical or not: 0, 1, the two order-8 y values, p-1, p, p+1. Such
 * a key verifies forged signatures (R = identity, S = 0); every importer of an
 * Ed25519 key (JWK here, COSE in the issuer's WebAuthn) refuses it, as libsodium does.
 */
int jose_ed25519_small_order(const uint8_t x[32]);

#endif
