/*
 * recovery.h: the ten single-use recovery codes a user keeps on paper for when
 * the authenticator app is lost.
 *
 * A code is 10 characters of Crockford's base32 alphabet (digits and lower-case
 * letters without i, l, o, u), shown as two groups of five ("7fj2k-q9xm4"):
 * 50 random bits each. What the user types back is normalised first: case,
 * dashes and spaces do not matter, and the letters Crockford maps to digits
 * (i and l to 1, o to 0) are read as those digits.
 *
 * Codes are stored hashed, as client secrets are (crypto/secret.h): HMAC-SHA-256
 * keyed with a 16-byte random salt of each code's own. A code has 50 random bits,
 * so a slow password hash buys nothing the sign-in lockout does not already give.
 * A code is checked against every stored hash in constant time, and a code that
 * matched is spent on the spot (its hash wiped): the caller stores the set back in
 * the same transaction. Nothing here logs; buffers that held a code are wiped.
 */
#ifndef ISSUER_MFA_RECOVERY_H
#define ISSUER_MFA_RECOVERY_H

#include <stddef.h>
#include <stdint.h>

#include <wolfssl/wolfcrypt/settings.h>
#include <wolfssl/wolfcrypt/random.h>

/* Codes in a set; characters of a code (without the dash); its shown length ("xxxxx-xxxxx"). */
#define RECOVERY_CODES      10
#define RECOVERY_CODE_CHARS 10
#define RECOVERY_CODE_TEXT  11
/* Longest input recovery_normalise reads (spaces and dashes included). */
#define RECOVERY_INPUT_MAX 64
#define RECOVERY_SALT_LEN  16
#define RECOVERY_HASH_LEN  32

/* One stored code: its salt and HMAC-SHA-256. A spent code is all zeros. */
typedef struct recovery_hash {
	uint8_t salt[RECOVERY_SALT_LEN];
	uint8_t hash[RECOVERY_HASH_LEN];
} recovery_hash;

/*
 * A new set: RECOVERY_CODES codes as text (to show the user once) in codes[],
 * their hashes in hashes[]. 0, or -1 when the RNG or a hash failed (both arrays
 * are wiped then).
 */
int recovery_generate(WC_RNG *rng, char codes[RECOVERY_CODES][RECOVERY_CODE_TEXT + 1],
                      recovery_hash hashes[RECOVERY_CODES]);

/*
 * The code a user typed, in[0..len), as its RECOVERY_CODE_CHARS canonical
 * characters in out (NUL-terminated): upper case to lower, i and l to 1, o to 0,
 * spaces and dashes dropped. 0, or -1 when what is left is not exactly
 * RECOVERY_CODE_CHARS characters of the alphabet (or len > RECOVERY_INPUT_MAX).
 */
int recovery_normalise(const char *in, size_t len, char out[RECOVERY_CODE_CHARS + 1]);

/*
 * Redeem the typed code in[0..len) against set[0..n): every entry is hashed and
 * compared, spent ones included, whatever matches. The index of the code that
 * matched, which is spent (its entry wiped) so it never matches again; -1 when
 * none matches or the input is malformed.
 */
int recovery_redeem(recovery_hash *set, size_t n, const char *in, size_t len);

/* Codes of set[0..n) not yet spent. */
size_t recovery_left(const recovery_hash *set, size_t n);

#endif
