/*
 * defer.c: the full module's signature backend for verifiers whose arithmetic
 * may be done by the browser's WebCrypto (verifyAsync in ../index.js). It is
 * wolfCrypt's (jose_sig_wolfcrypt) in every call, except while JS has asked
 * for a deferral (idb_defer): then the one signature check of a verification
 * is not computed but noted (key, algorithm, message, signature) for JS to put
 * to WebCrypto, and the verification goes on as if the signature were valid.
 * JS then keeps that verdict (WebCrypto said valid), or verifies the token
 * again with the answer "invalid" (JOSE_E_SIG_FAILED at the same step) or with
 * wolfCrypt (WebCrypto could not). So the core still makes every decision in
 * the same order and sets every error: only the arithmetic is elsewhere, and
 * every check the core makes before it (lengths, ranges, Ed25519 S < L, the
 * key's binding to the algorithm) has passed when a request is noted.
 */
#ifdef IDB_WASM_CRYPTO
#include <string.h>

#include "host.h"
#include "inner.h"

#define EXPORT __attribute__((visibility("default"), used))

/* What signature checks do until the next idb_defer. */
enum { DEFER_OFF, DEFER_NOTE, DEFER_INVALID };

/* The noted request (JS reads it by these offsets: keep in step with index.js's readNote). */
typedef struct idb_note {
	uint32_t noted; /* 1 when a check was noted since idb_defer */
	uint32_t alg, kty, crv;
	const uint8_t *a; /* the key as the core holds it: RSA n, EC x, Ed25519 A */
	uint32_t a_len;
	const uint8_t *b; /* RSA e, EC y */
	uint32_t b_len;
	const uint8_t *msg; /* the signing input, in the token JS passed */
	uint32_t msg_len;
	uint32_t sig_len;
	uint8_t sig[JOSE_RSA_MAX_BITS / 8];
} idb_note;

static int mode;
static idb_note note;

/*
 * Set what signature checks do until the next call (0: compute, 1: note the
 * request and answer valid, 2: answer invalid) and clear the note; returns it.
 */
EXPORT idb_note *idb_defer(int m)
{
	mode = m;
	note.noted = 0;
	return &note;
}

static jose_err d_load(void *ctx, const jose_pubkey *k, uintptr_t *handle)
{
	(void)ctx;
	return jose_sig_wolfcrypt.load(jose_sig_wolfcrypt.ctx, k, handle);
}

static void d_unload(void *ctx, uintptr_t handle)
{
	(void)ctx;
	if (jose_sig_wolfcrypt.unload)
		jose_sig_wolfcrypt.unload(jose_sig_wolfcrypt.ctx, handle);
}

static jose_err d_rsa_public(void *ctx, const jose_pubkey *k, uintptr_t handle, const uint8_t *s,
                             uint8_t *out)
{
	(void)ctx;
	return jose_sig_wolfcrypt.rsa_public(jose_sig_wolfcrypt.ctx, k, handle, s, out);
}

static jose_err d_verify(void *ctx, const jose_pubkey *k, uintptr_t handle, jose_alg alg, const uint8_t *msg,
                         size_t msg_len, const uint8_t *sig, size_t sig_len)
{
	(void)ctx;
	if (mode == DEFER_INVALID)
		return JOSE_E_SIG_FAILED;
	if (mode == DEFER_NOTE && sig_len <= sizeof note.sig && msg_len <= UINT32_MAX) {
		note = (idb_note){1,
		                  (uint32_t)alg,
		                  (uint32_t)k->kty,
		                  (uint32_t)k->crv,
		                  k->a,
		                  (uint32_t)k->a_len,
		                  k->b,
		                  (uint32_t)k->b_len,
		                  msg,
		                  (uint32_t)msg_len,
		                  (uint32_t)sig_len,
		                  {0}};
		memcpy(note.sig, sig, sig_len);
		return JOSE_OK;
	}
	return jose_sig_wolfcrypt.verify(jose_sig_wolfcrypt.ctx, k, handle, alg, msg, msg_len, sig, sig_len);
}

/* see host.h */
const jose_sig_ops idb_sig_defer = {"wolfcrypt", d_load, d_unload, d_rsa_public, d_verify, NULL};
#endif
