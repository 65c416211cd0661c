/*
 * totp.h: one-time codes from an authenticator app (RFC 6238 TOTP over RFC 4226
 * HOTP), the secret's base32 text (RFC 4648 §6) and the otpauth:// URI an app
 * scans at enrolment.
 *
 * The issuer's codes are what every authenticator app reads by default: HMAC-SHA-1,
 * 6 digits, 30-second steps from the Unix epoch, a 20-byte random secret.
 * SHA-256 and SHA-512 exist for RFC 6238's own test vectors and for callers that
 * need them; totp_verify uses the defaults only.
 *
 * A code is compared in constant time against every step of the window, and
 * verification reports the step that matched, so the caller can store it and
 * refuse that code (and any older one) next time: a code is used once.
 * Nothing here logs, keeps state or allocates; buffers that held the secret or a
 * code are wiped before they go.
 */
#ifndef ISSUER_MFA_TOTP_H
#define ISSUER_MFA_TOTP_H

#include <stddef.h>
#include <stdint.h>

#include <wolfssl/wolfcrypt/settings.h>
#include <wolfssl/wolfcrypt/random.h>

/* A new secret's length (RFC 4226 §4 recommends 160 bits) and its base32 text length. */
#define TOTP_SECRET_BYTES 20
#define TOTP_SECRET_B32   32
/* Longest secret accepted from a caller, in bytes (RFC 6238's SHA-512 seed is 64). */
#ifndef TOTP_SECRET_MAX
#define TOTP_SECRET_MAX 64
#endif
/* The issuer's parameters: digits of a code and seconds of a step. */
#define TOTP_DIGITS 6
#define TOTP_PERIOD 30
/* Most digits totp_hotp makes (RFC 4226 allows 6 to 8; 8 is RFC 6238's vectors). */
#define TOTP_DIGITS_MAX 8
/* Widest window totp_verify accepts, in steps each side of now. */
#define TOTP_WINDOW_MAX 2

/* The HMAC's hash (RFC 6238 §1.2). */
typedef enum totp_hash { TOTP_SHA1, TOTP_SHA256, TOTP_SHA512 } totp_hash;

/* What totp_verify decided. */
typedef enum totp_result {
	TOTP_OK = 0,    /* the code matched a step of the window not used before */
	TOTP_MISMATCH,  /* no step of the window gives this code */
	TOTP_REUSED,    /* it matched, but only a step at or before the last one used */
	TOTP_MALFORMED, /* not TOTP_DIGITS decimal digits (spaces aside) */
	TOTP_BAD_CALL,  /* bad argument: secret length, window, time before the epoch */
} totp_result;

/* A new random secret of TOTP_SECRET_BYTES from rng. 0, or -1 if the RNG failed. */
int totp_secret_generate(WC_RNG *rng, uint8_t out[TOTP_SECRET_BYTES]);

/*
 * Base32 (RFC 4648 §6, upper case) of in[0..n) into out[cap], NUL-terminated,
 * with "=" padding when pad is set (authenticator apps want none). The text's
 * length, or 0 when cap is too small (out is then "").
 */
size_t totp_base32_encode(char *out, size_t cap, const uint8_t *in, size_t n, int pad);

/*
 * Decode base32 text in[0..len) into out[cap], the length in *out_len. Either
 * case is accepted, and so are spaces between groups (as apps show a secret);
 * padding is optional but, when present, exactly what RFC 4648 prescribes. Refused
 * (-1): other characters, a length no encoding has, bits left over that are not
 * zero (so one secret has one text), cap too small. 0 on success.
 */
int totp_base32_decode(uint8_t *out, size_t cap, size_t *out_len, const char *in, size_t len);

/*
 * The HOTP value (RFC 4226 §5.3) of key[0..key_len) at counter, with hash h, as
 * digits decimal digits (6..TOTP_DIGITS_MAX) and a NUL in out. 0, or -1 on a bad
 * argument or a failed HMAC.
 */
int totp_hotp(totp_hash h, const uint8_t *key, size_t key_len, uint64_t counter, unsigned digits,
              char out[TOTP_DIGITS_MAX + 1]);

/* The time step of Unix time t with period seconds from T0 = 0 (RFC 6238 §4.2); t >= 0, period > 0. */
uint64_t totp_step(int64_t t, unsigned period);

/*
 * Check code[0..len) (TOTP_DIGITS digits; ASCII spaces are ignored) against
 * key[0..key_len) at Unix time now, with SHA-1 and TOTP_PERIOD, for the steps
 * now-window .. now+window (window <= TOTP_WINDOW_MAX). A step at or before
 * last_step (the last one this secret accepted; 0 when none) is never accepted:
 * TOTP_REUSED. On TOTP_OK *step holds the step that matched: store it as the
 * new last_step. Every step of the window is computed and compared, whatever
 * matches, so the time taken does not tell which step or how much matched.
 */
totp_result totp_verify(const uint8_t *key, size_t key_len, const char *code, size_t len, int64_t now,
                        unsigned window, uint64_t last_step, uint64_t *step);

/*
 * The otpauth:// URI of a TOTP secret (Google Authenticator's Key Uri Format),
 * as apps scan it: otpauth://totp/ISSUER:ACCOUNT?secret=B32&issuer=ISSUER&
 * algorithm=SHA1&digits=6&period=30, issuer and account percent-encoded (every
 * byte but RFC 3986's unreserved ones). issuer and account are NUL-terminated
 * UTF-8, non-empty, without ':' (apps split the label there) or control
 * characters. The URI's length, written to out[cap] with a NUL; -1 when an
 * argument is refused or cap is too small (out is then "").
 */
int totp_uri(char *out, size_t cap, const char *issuer, const char *account, const uint8_t *secret,
             size_t secret_len);

#endif
