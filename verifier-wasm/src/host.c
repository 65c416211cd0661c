/*
 * host.c: the signature backend (shared/include/jose_sig.h) served by the
 * JavaScript host's own crypto library (node:crypto in Node, Deno, Bun and
 * workerd with nodejs_compat), through four functions the module imports from
 * "env". The host keeps one key object per loaded key (created at load, never
 * per call) and verifies RSA (hash and encoding in one native call: hashing in
 * the module would cost more than the host's whole check), ECDSA (given DER)
 * and Ed25519 signatures, or computes s^e mod n when it cannot verify an RSA
 * scheme. Every decision the core makes is made before, so verdicts equal those
 * of wolfCrypt.
 *
 * The host answers -1 when it cannot do something (a curve or a call form its
 * runtime lacks). In the full module wolfCrypt then does that key or that call
 * instead (handle 0 marks such a key); in the small module, which has no
 * wolfCrypt arithmetic, the key is JOSE_E_NOT_SUPPORTED and the loader
 * rebuilds the verifier on the full module.
 */
#include "host.h"

#include <string.h>

#define IMPORT(name) __attribute__((import_module("env"), import_name(name)))

/* > 0: a handle; 0: the host refuses the key (an EC point off its curve); -1: cannot. */
IMPORT("host_key_load")
int host_key_load(int kty, int crv, const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len);
IMPORT("host_key_free") void host_key_free(int handle);
/* 0, with s^e mod n in out[0..len); -1: cannot. */
IMPORT("host_rsa") int host_rsa(int handle, const uint8_t *s, size_t len, uint8_t *out);
/* 1: valid, 0: invalid, -1: cannot. */
IMPORT("host_verify")
int host_verify(int handle, int alg, const uint8_t *msg, size_t len, const uint8_t *sig, size_t sig_len);

#ifdef IDB_WASM_CRYPTO
static const jose_sig_ops *const fallback = &jose_sig_wolfcrypt;
#else
/* No arithmetic to fall back on: a stand-in whose every answer says so. */
static jose_err none_load(void *ctx, const jose_pubkey *k, uintptr_t *handle)
{
	(void)ctx, (void)k, (void)handle;
	return JOSE_E_NOT_SUPPORTED;
}

static jose_err none_rsa(void *ctx, const jose_pubkey *k, uintptr_t handle, const uint8_t *s, uint8_t *out)
{
	(void)ctx, (void)k, (void)handle, (void)s, (void)out;
	return JOSE_E_INTERNAL;
}

static jose_err none_verify(void *ctx, const jose_pubkey *k, uintptr_t handle, jose_alg alg,
                            const uint8_t *msg, size_t msg_len, const uint8_t *sig, size_t sig_len)
{
	(void)ctx, (void)k, (void)handle, (void)alg, (void)msg, (void)msg_len, (void)sig, (void)sig_len;
	return JOSE_E_INTERNAL;
}

static const jose_sig_ops none = {"none", none_load, NULL, none_rsa, none_verify, NULL};
static const jose_sig_ops *const fallback = &none;
#endif

static jose_err h_load(void *ctx, const jose_pubkey *k, uintptr_t *handle)
{
	int h = host_key_load((int)k->kty, (int)k->crv, k->a, k->a_len, k->b, k->b_len);

	(void)ctx;
	*handle = 0;
	if (h > 0) {
		*handle = (uintptr_t)h;
		return JOSE_OK;
	}
	if (h == 0 && k->kty == JOSE_KTY_EC)
		return JOSE_E_JWK_INVALID;
	/* The host cannot use this key (or refused a key it has no reason to refuse). */
	return fallback->load(fallback->ctx, k, handle);
}

static void h_unload(void *ctx, uintptr_t handle)
{
	(void)ctx;
	if (handle)
		host_key_free((int)handle);
}

static jose_err h_rsa_public(void *ctx, const jose_pubkey *k, uintptr_t handle, const uint8_t *s,
                             uint8_t *out)
{
	(void)ctx;
	if (handle && host_rsa((int)handle, s, k->a_len, out) == 0)
		return JOSE_OK;
	return fallback->rsa_public(fallback->ctx, k, 0, s, out);
}

/* An ECDSA signature's DER (ECDSA-Sig-Value) is at most this long: P-521's two 66-byte scalars. */
#define DER_SIG_MAX (3 + 2 * (2 + 1 + 66))

/* One scalar of n big-endian bytes as a DER INTEGER at out; returns its length. */
static size_t der_integer(uint8_t *out, const uint8_t *v, size_t n)
{
	size_t o = 0;

	while (n > 1 && *v == 0)
		v++, n--;
	out[o++] = 0x02;
	out[o++] = (uint8_t)(n + (*v >> 7));
	if (*v & 0x80)
		out[o++] = 0;
	memcpy(out + o, v, n);
	return o + n;
}

/*
 * r||s (two scalars the core has checked to be in [1, n)) as DER into out
 * (DER_SIG_MAX bytes); returns its length. node:crypto takes DER as it is and
 * p1363 only by converting it, which costs more than this.
 */
static size_t der_signature(uint8_t *out, const uint8_t *sig, size_t sig_len)
{
	size_t half = sig_len / 2, body = 0;
	uint8_t ints[DER_SIG_MAX];

	body += der_integer(ints, sig, half);
	body += der_integer(ints + body, sig + half, half);
	out[0] = 0x30;
	if (body < 128) {
		out[1] = (uint8_t)body;
		memcpy(out + 2, ints, body);
		return 2 + body;
	}
	out[1] = 0x81;
	out[2] = (uint8_t)body;
	memcpy(out + 3, ints, body);
	return 3 + body;
}

static jose_err h_verify(void *ctx, const jose_pubkey *k, uintptr_t handle, jose_alg alg, const uint8_t *msg,
                         size_t msg_len, const uint8_t *sig, size_t sig_len)
{
	uint8_t der[DER_SIG_MAX];
	int ok = -1;

	(void)ctx;
	if (handle && k->kty == JOSE_KTY_EC) /* the core passes r||s of its curve: at most P-521's */
		ok = sig_len <= 2 * 66 ? host_verify((int)handle, (int)alg, msg, msg_len, der,
		                                     der_signature(der, sig, sig_len))
		                       : 0;
	else if (handle)
		ok = host_verify((int)handle, (int)alg, msg, msg_len, sig, sig_len);
	if (ok >= 0)
		return ok == 1 ? JOSE_OK : JOSE_E_SIG_FAILED;
	if (k->kty == JOSE_KTY_RSA)
		return JOSE_E_NOT_SUPPORTED; /* the core checks the encoding on h_rsa_public's output */
	return fallback->verify(fallback->ctx, k, 0, alg, msg, msg_len, sig, sig_len);
}

/* see host.h */
const jose_sig_ops idb_sig_host = {"host", h_load, h_unload, h_rsa_public, h_verify, NULL};
