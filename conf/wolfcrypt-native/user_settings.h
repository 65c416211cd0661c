/*
 * wolfCrypt profile "native": the build of wolfCrypt that identity-backend links
 * on x86-64, compiled from Debian's wolfssl 5.5.4 source package (fetched by
 * scripts/setup.sh into third_party/src/, never committed).
 *
 * Why not Debian's libwolfssl? Its generic build does ECC and RSA with the
 * generic sp_int code. The SP code specialised for P-256/P-384/P-521 and
 * RSA-2048..4096, with its x86-64 assembly, verifies ES256 about 2x faster and
 * signs RSA several times faster (tests/bench/ measures it: make bench).
 *
 * On:  SHA-1/2 (SHA-1 only because asn.c needs it), HMAC, RSA (PKCS#1 v1.5, PSS,
 *      key generation for the issuer, blinding), ECC P-256/384/521 (timing
 *      resistant; Shamir's trick for verify), Ed25519, Hash-DRBG seeded from
 *      the OS, the SP math with x86-64 assembly, generic sp_int for the rest,
 *      x86-64 assembly for SHA-256/512 and the Curve25519 field.
 * Off: TLS (H2O brings OpenSSL for that), every cipher, DH, DSA, MD4/MD5, old
 *      names, filesystem access (keys reach wolfCrypt as bytes only).
 * Used only by conf/native.mk; the WASM profile has its own header.
 */
#ifndef IDB_USER_SETTINGS_NATIVE_H
#define IDB_USER_SETTINGS_NATIVE_H

#define WOLFCRYPT_ONLY
#define NO_FILESYSTEM
#define NO_WRITEV
#define NO_MAIN_DRIVER
#define HAVE_THREAD_LS
#define WOLFSSL_IGNORE_FILE_WARN

/* Hashes and MACs. */
#define WOLFSSL_SHA384
#define WOLFSSL_SHA512
#define NO_MD4
#define NO_MD5
#define NO_OLD_WC_NAMES
#define NO_OLD_SHA_NAMES

/* RSA. */
#define WC_RSA_PSS
#define WC_RSA_BLINDING
#define WOLFSSL_KEY_GEN
#define RSA_MIN_SIZE 1024

/* ECC and Ed25519. */
#define HAVE_ECC
#define ECC_USER_CURVES
#define HAVE_ECC256
#define HAVE_ECC384
#define HAVE_ECC521
#define ECC_TIMING_RESISTANT
#define ECC_SHAMIR
#define HAVE_ED25519
#define WOLFSSL_PUBLIC_MP

/* Math: SP for the sizes JOSE uses, with x86-64 assembly; sp_int for the rest. */
#define WOLFSSL_SP_MATH_ALL
#define WOLFSSL_HAVE_SP_RSA
#define WOLFSSL_HAVE_SP_ECC
#define WOLFSSL_SP_384
#define WOLFSSL_SP_521
#define WOLFSSL_SP_4096
#define WOLFSSL_SP_X86_64
#define WOLFSSL_SP_X86_64_ASM
#define WOLFSSL_X86_64_BUILD
#define SP_INT_BITS 4096
#define HAVE___UINT128_T 1 /* what configure detects for gcc/clang on x86-64 */
/* x86-64 assembly for SHA-2 (AVX1/AVX2, chosen at run time by cpuid) and for
 * the Curve25519 field (Ed25519): HS* and EdDSA depend on these. */
#define USE_INTEL_SPEEDUP
#define HAVE_INTEL_AVX1
#define HAVE_INTEL_AVX2
#define TFM_TIMING_RESISTANT

/* ChaCha20-Poly1305 (RFC 8439): private signing keys sealed at rest (SECRETS_SYSTEM);
 * the portable C code, no assembly. */
#define HAVE_CHACHA
#define HAVE_POLY1305

/* Randomness: Hash-DRBG over the OS source (getrandom / /dev/urandom). */
#define HAVE_HASHDRBG

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
#define NO_SESSION_CACHE
#define WOLFSSL_NO_SHAKE256
#define WOLFSSL_NO_SHAKE128

#endif
