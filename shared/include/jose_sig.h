/*
 * jose_sig.h: the seam under signature verification, where the big-number
 * arithmetic of RSA, ECDSA and Ed25519 is done.
 *
 * Every decision is the core's and is taken before or after these calls, the
 * same whichever backend computes: which key and algorithm, lengths, RSA s < n
 * and modulus size, ECDSA 1 <= r,s < n, Ed25519 S < L and small-order keys, EC
 * coordinates below the field prime. A backend computes, and verifies what the
 * standards fix with no room for choice: the ECDSA and Ed25519 equations, and,
 * if it says so, an RSA signature whole (hash, s^e mod n and the encoding: the
 * one EMSA-PKCS1-v1_5 block, or EMSA-PSS with MGF1 and a salt of exactly the
 * hash length, RFC 8017 §9); otherwise the core checks the RSA encoding itself
 * on the output of rsa_public (rsapad.c). For the same input, two correct
 * backends give the same verdict, which the package's tests check across them.
 *
 * Backends: jose_sig_wolfcrypt (wolfCrypt, inside the core) and the host's
 * crypto library behind the WebAssembly module (verifier-wasm/src/host.c). HMAC
 * is not behind the seam: it is hashing, which the core does itself.
 */
#ifndef JOSE_SIG_H
#define JOSE_SIG_H

#include <stddef.h>
#include <stdint.h>

#include "jose_alg.h"
#include "jose_err.h"

/* The curves of EC and OKP keys. */
typedef enum jose_crv {
	JOSE_CRV_NONE,
	JOSE_CRV_P256,
	JOSE_CRV_P384,
	JOSE_CRV_P521,
	JOSE_CRV_ED25519,
} jose_crv;

/* Key types (RFC 7518 §6.1, RFC 8037 §2). */
typedef enum jose_kty { JOSE_KTY_OCT = 1, JOSE_KTY_RSA, JOSE_KTY_EC, JOSE_KTY_OKP } jose_kty;

/*
 * A public key as a backend sees it: raw big-endian bytes (Ed25519: its
 * 32-byte encoding), already checked by the core for length and range.
 */
typedef struct jose_pubkey {
	jose_kty kty;
	jose_crv crv;
	const uint8_t *a; /* RSA n (no leading zero byte), EC x, Ed25519 A */
	size_t a_len;
	const uint8_t *b; /* RSA e, EC y; NULL for Ed25519 */
	size_t b_len;
} jose_pubkey;

/*
 * A backend. Calls for one key set come from one thread at a time unless the
 * backend says otherwise (jose_sig_wolfcrypt may be shared by any threads).
 */
typedef struct jose_sig_ops {
	const char *name; /* "wolfcrypt", "host", …: for messages and tests */
	/*
	 * Once per RSA, EC or OKP key at import. JOSE_OK, with any per-key state in
	 * *handle (0 when none); JOSE_E_JWK_INVALID when an EC point is not on its
	 * curve (the one check at import that needs arithmetic); JOSE_E_NOT_SUPPORTED
	 * when this backend cannot use the key; or a band-1 error.
	 */
	jose_err (*load)(void *ctx, const jose_pubkey *k, uintptr_t *handle);
	/* Release what load kept (never called for a key load refused). */
	void (*unload)(void *ctx, uintptr_t handle);
	/*
	 * RSA: out[0..k->a_len) = s^e mod n, big-endian, for s of exactly k->a_len
	 * bytes and s < n. JOSE_OK or a band-1 error.
	 */
	jose_err (*rsa_public)(void *ctx, const jose_pubkey *k, uintptr_t handle, const uint8_t *s,
	                       uint8_t *out);
	/*
	 * ECDSA (ES*: sig is r||s, both in [1, n-1]; the backend hashes msg with
	 * alg's hash), Ed25519 (EdDSA, Ed25519: sig is R||S with S < L), or RSA
	 * (RS*, PS*: sig as long as n and below it), which a backend may decline
	 * with JOSE_E_NOT_SUPPORTED (the core then uses rsa_public). JOSE_OK,
	 * JOSE_E_SIG_FAILED, or a band-1 error.
	 */
	jose_err (*verify)(void *ctx, const jose_pubkey *k, uintptr_t handle, jose_alg alg,
	                   const uint8_t *msg, size_t msg_len, const uint8_t *sig, size_t sig_len);
	void *ctx; /* passed to every call */
} jose_sig_ops;

/* wolfCrypt inside the core: stateless, safe to share between threads. */
extern const jose_sig_ops jose_sig_wolfcrypt;

#endif
