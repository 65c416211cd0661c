/*
 * wolfCrypt profile "wasm": verify-only wolfCrypt for the WebAssembly verifier
 * (verifier-wasm/), compiled by emcc from Debian's wolfssl 5.5.4 source package.
 *
 * On:  SHA-256/384/512 (under HMAC, the RSA padding checks and every digest,
 *      all the core's own code over them);
 *      ECC verify on P-256/P-384/P-521 (ES*); Ed25519 verify (EdDSA); the RSA
 *      public operation comes from sp_int's exponentiation (RS*, PS*: the core
 *      checks the padding itself, so wolfCrypt's RSA module is not linked);
 *      SP math in portable 32-bit C (sp_c32.c: wasm has no x86 assembly, and its
 *      64-bit multiply is emulated) for P-256 and P-384; generic sp_int for
 *      P-521. No SP RSA: with e = 65537, sp_int's exponentiation measured faster
 *      than the SP code here (6.5k against 5.4k RS256/s) and is 13 KB smaller.
 * Off: every private-key operation, key generation and signing; the RNG (a
 *      verifier never needs randomness, so the module imports no entropy
 *      source: WC_NO_RNG); ciphers, DH, DSA, MD5, SHA-1; filesystem, threads,
 *      stdio, error strings. Each of these would only add size and imports.
 * Measured and left out: -msimd128 (no rate changed beyond noise), WOLFSSL_SP_SMALL
 * (52 KB gzipped instead of 98, but ES256 5x and ES384 9x slower), wasm-opt -O3
 * instead of -Oz (the same rates).
 */
#ifndef IDB_USER_SETTINGS_WASM_H
#define IDB_USER_SETTINGS_WASM_H

#define WOLFCRYPT_ONLY
#define SINGLE_THREADED
#define NO_FILESYSTEM
#define NO_WRITEV
#define NO_ERROR_STRINGS
#define WOLFSSL_IGNORE_FILE_WARN
#define WC_NO_RNG
#define NO_SIG_WRAPPER
#define WOLFSSL_NO_SIGALG_CHECK

/* Hashes and MACs. */
#define WOLFSSL_SHA384
#define WOLFSSL_SHA512
#define NO_SHA
#define NO_MD4
#define NO_MD5
#define NO_OLD_WC_NAMES
#define NO_OLD_SHA_NAMES

/* RSA: no module of its own (see above); sp_int's exponentiation is kept. */
#define NO_RSA

/* ECC verify on the NIST curves JOSE uses, Ed25519 verify. */
#define HAVE_ECC
#define ECC_USER_CURVES
#define HAVE_ECC256
#define HAVE_ECC384
#define HAVE_ECC521
#define ECC_SHAMIR
#define NO_ECC_SIGN
#define NO_ECC_DHE
#define NO_ECC_KEY_EXPORT
#define HAVE_ECC_VERIFY
#define USE_ECC_B_PARAM /* the on-curve check of keys at import (sig_wolfcrypt.c) */
#define HAVE_ED25519
#define NO_ED25519_SIGN
#define NO_ED25519_KEY_EXPORT
#define WOLFSSL_PUBLIC_MP

/* Math. */
#define WOLFSSL_SP_MATH_ALL
#define WOLFSSL_HAVE_SP_ECC
#define WOLFSSL_SP_384
/*
 * Per-key tables: the SP code keeps a 256-point table for each of the last
 * FP_ENTRIES points it multiplied at least twice, so a verifier's public key is
 * multiplied like the base point from its second token on. Measured: ES256 3.1k
 * -> 7.8k/s, ES384 1.2k -> 2.8k/s, for 0.6 KB of gzipped module and 4 x (18 + 30)
 * KB of zeroed memory (the module runs one thread, so one cache serves it).
 * ecc.c is compiled without it (IDB_NO_FP_ECC, conf/wasm.mk): its own cache for
 * P-521 made that curve 4x faster but cost 2.5 KB gzipped, over the module's budget.
 */
#ifndef IDB_NO_FP_ECC
#define FP_ECC
#endif
#define FP_ENTRIES 4
#define WOLFSSL_SP_NO_3072
#define SP_WORD_SIZE 32
#define SP_INT_BITS 4096
#define TFM_TIMING_RESISTANT
#define ECC_TIMING_RESISTANT

/* Everything else off. */
#define NO_AES
#define NO_AES_CBC
#define NO_DES3
#define NO_DH
#define NO_DSA
#define NO_RC4
#define NO_PSK
#define NO_PWDBASED
#define NO_OLD_TLS
#define NO_ASN_TIME
#define NO_CODING
#define NO_CERTS
#define WOLFSSL_NO_SHAKE256
#define WOLFSSL_NO_SHAKE128

#endif
