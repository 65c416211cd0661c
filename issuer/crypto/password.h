/*
 * password.h: how user passwords are kept and checked: argon2id (RFC 9106) through
 * libargon2, the reference implementation, stored as a PHC string
 * ("$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>", 16-byte random salt, 32-byte
 * tag) that carries its own parameters, so that changing the cost later needs no
 * migration: old hashes still verify, and password_needs_rehash() says when to
 * store a new one (after a successful login, when the password is at hand).
 *
 * Passwords are 1..PASSWORD_MAX_LEN bytes of well-formed UTF-8 without NUL, hashed
 * as given (no Unicode normalisation: the bytes a person typed are the bytes
 * hashed; a form and a CLI on one system send the same bytes).
 *
 * Cost: every hash, verification and burn costs one argon2id run at the
 * parameters (default: ~19 MiB and a few tens of milliseconds of one core). It
 * must NEVER run on an event-loop thread: a login would stall every request on
 * that loop. The server runs these calls on its worker pool; the CLI may call them
 * directly. Each call allocates m_kib KiB (freed, and wiped by libargon2, before
 * it returns) and, when p > 1, starts p threads of its own.
 *
 * Never logs, never prints, never keeps a password: callers wipe their buffers.
 */
#ifndef ISSUER_PASSWORD_H
#define ISSUER_PASSWORD_H

#include <stddef.h>
#include <stdint.h>

#include <wolfssl/wolfcrypt/settings.h>
#include <wolfssl/wolfcrypt/random.h>

/* Password length in bytes: NIST SP 800-63B §5.1.1.2 asks for at least 64 allowed. */
#define PASSWORD_MIN_LEN 1
#define PASSWORD_MAX_LEN 1024
/* Salt and tag lengths (RFC 9106 §4: 128-bit salt; a 256-bit tag). */
#define PASSWORD_SALT_LEN 16
#define PASSWORD_TAG_LEN  32
/* Longest PHC string written or accepted, without the NUL (store.h's
 * STORE_PASSWORD_HASH_MAX); ours are about 100 characters at the caps below. */
#define PASSWORD_ENCODED_MAX 255

/*
 * Defaults: OWASP's minimum for argon2id, "m=19456 (19 MiB), t=2, p=1" (OWASP
 * Password Storage Cheat Sheet, "Argon2id",
 * https://cheatsheetseries.owasp.org/cheatsheets/Password_Storage_Cheat_Sheet.html).
 * The sheet lists equivalent trade-offs of memory for passes (46 MiB with t=1,
 * 12 MiB with t=3, 9 MiB with t=4, 7 MiB with t=5); configured parameters must
 * reach at least one of those rows (password_params_check).
 */
#define PASSWORD_DEFAULT_M_KIB 19456
#define PASSWORD_DEFAULT_T     2
#define PASSWORD_DEFAULT_P     1

/* Upper bounds, so that a typo in the environment or a damaged stored hash cannot
 * make one login allocate gigabytes or run for minutes. */
#ifndef PASSWORD_M_KIB_MAX
#define PASSWORD_M_KIB_MAX (1024 * 1024) /* 1 GiB */
#endif
#ifndef PASSWORD_T_MAX
#define PASSWORD_T_MAX 64
#endif
#ifndef PASSWORD_P_MAX
#define PASSWORD_P_MAX 16
#endif

/* argon2id's cost: memory in KiB, passes, lanes (one thread each). */
struct password_params {
	uint32_t m_kib;
	uint32_t t;
	uint32_t p;
};

typedef enum password_err {
	PASSWORD_OK = 0,
	PASSWORD_INVALID = 1, /* the password is not acceptable (password_valid) */
	/* The call failed. */
	PASSWORD_BAD_PARAMS = 10, /* parameters out of range (password_params_check with tiny allowed) */
	PASSWORD_ERROR = 11,      /* the RNG or libargon2 failed (out of memory), or out is too small */
} password_err;

/* The defaults above. */
void password_params_default(struct password_params *p);

/*
 * 1 when p is within the caps and at least OWASP's minimum (one of the rows above);
 * with allow_tiny, any parameters argon2 accepts (m >= 8p KiB, t >= 1) within
 * the caps, for tests only. Else 0.
 */
int password_params_check(const struct password_params *p, int allow_tiny);

/* 1 when p is below OWASP's minimum (only reachable with PASSWORD_ARGON2_TEST=1). */
int password_params_weak(const struct password_params *p);

/* 1 when pw[0..len) is PASSWORD_MIN_LEN..PASSWORD_MAX_LEN bytes of well-formed UTF-8
 * (no overlong form, no surrogate, at most U+10FFFF) without NUL, else 0. */
int password_valid(const char *pw, size_t len);

/*
 * Hash pw[0..len) with p and a fresh PASSWORD_SALT_LEN-byte salt from rng into
 * out[cap] as a NUL-terminated PHC string. PASSWORD_INVALID when the password is
 * not acceptable, PASSWORD_BAD_PARAMS when p is not (tiny ones are allowed here:
 * the policy is the caller's), PASSWORD_ERROR otherwise; on any
 * failure out is "" (when cap > 0). rng belongs to the calling thread.
 */
password_err password_hash(const char *pw, size_t len, const struct password_params *p, WC_RNG *rng,
                           char *out, size_t cap);

/*
 * 1 when pw[0..len) is the password encoded was made from, else 0 (also when
 * encoded is not an argon2id v=19 PHC string within the caps, or libargon2 fails:
 * fail closed). The tag comparison is libargon2's constant-time one. An
 * unacceptable password costs the same as a wrong one (a run at encoded's
 * parameters), so neither answer comes early.
 */
int password_verify(const char *encoded, const char *pw, size_t len);

/*
 * 1 when encoded should be replaced by a hash made with p: its parameters, salt
 * or tag length differ from ours, or it is not an argon2id v=19 PHC string; else 0.
 * Cheap (parses only).
 */
int password_needs_rehash(const char *encoded, const struct password_params *p);

/*
 * Parse encoded's parameters into *out: 0, or -1 when it is not a well-formed
 * "$argon2id$v=19$m=M,t=T,p=P$<salt>$<tag>" string (base64 without padding,
 * at most PASSWORD_ENCODED_MAX characters). Does not check the caps.
 */
int password_parse(const char *encoded, struct password_params *out);

/*
 * Spend what a verification at p costs, and answer nothing: for a login whose
 * username is unknown, so that it takes as long as a wrong password for a known
 * one (the caller verifies against a real hash or burns, never neither). Use the
 * current parameters; a user whose stored hash has other ones costs what those do.
 */
void password_burn(const struct password_params *p);

#endif
