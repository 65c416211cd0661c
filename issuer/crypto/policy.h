/*
 * policy.h: which new passwords are accepted, after NIST SP 800-63B §5.1.1.2
 * ("Memorized Secret Verifiers"). Every place that sets a new password asks
 * policy_check first (today `user add`; later registration and reset pages). A
 * password that is only being verified (a login, and the rehash after it) is
 * never checked: the policy is for new passwords, and existing accounts keep
 * signing in with what they have.
 *
 * The rules, in the order they are checked (the first that fails is the answer):
 *   1. at most POLICY_MAX_BYTES bytes of well-formed UTF-8 without NUL
 *      (password_valid's rule; nothing is ever truncated);
 *   2. at least min_chars characters, counted as Unicode code points (so
 *      "ééééééééééé" is 11 characters in 22 bytes); any character is allowed,
 *      spaces and emoji too, and there are no composition rules ("one digit,
 *      one symbol"): NIST asks for neither;
 *   3. not one character repeated ("aaaaaaaaaaaa"), and not one run of
 *      consecutive digits or letters, up or down ("123456789012", digits wrap
 *      from 9 to 0; "zyxwvutsrqpo"): §5.1.1.2's "repetitive or sequential
 *      characters";
 *   4. not the username, nor the username followed by digits ("alice2024"),
 *      in any ASCII letter case: §5.1.1.2's "context-specific words";
 *   5. not on the list of common passwords, in any ASCII letter case:
 *      §5.1.1.2's "passwords obtained from previous breach corpuses" and
 *      "dictionary words". The list is a file shipped by a maintained Debian
 *      package, read at run time, never copied into this tree: by default John
 *      the Ripper's password.lst from `john-data` (the most common passwords
 *      of 1996 to 2011, most common first; lines starting with "#!comment:"
 *      are comments). Any file of one password per line can stand in for it.
 *
 * Threads: a policy_list is read-only once policy_list_load returns it, and
 * policy_check keeps no state and does not read the locale, so any number of
 * threads (loop threads included: a check is one pass over the password and a
 * hash lookup, no allocation) may check against one list at once. Load the list
 * once, when the first new password is to be set (as `user add` does) or at
 * start-up (as a server with registration pages should, so that a missing list
 * stops the start and not a registration), never per check.
 *
 * Never logs, never prints, never keeps or copies a password: the reason it
 * gives names the rule, never the password or a part of it.
 */
#ifndef ISSUER_POLICY_H
#define ISSUER_POLICY_H

#include <stddef.h>

#include "crypto/password.h"

/* Fewest characters a new password may have: the default, and the range a
 * deployment may configure. NIST requires at least 8. 64 is the most: a minimum
 * above the length NIST says must always be allowed would refuse passwords it
 * says to accept (and 64 characters of 4 bytes each still fit POLICY_MAX_BYTES). */
#define POLICY_MIN_CHARS_DEFAULT 12
#define POLICY_MIN_CHARS_FLOOR   8
#define POLICY_MIN_CHARS_MAX     64

/* Longest new password in bytes: what password_hash takes and a login accepts.
 * NIST asks that at least 64 characters be allowed: 1024 bytes hold 256
 * characters of any kind (UTF-8 spends at most 4 bytes on one) and 1024 ASCII. */
#define POLICY_MAX_BYTES PASSWORD_MAX_LEN
#if POLICY_MAX_BYTES < 4 * 64
#error "POLICY_MAX_BYTES must hold 64 characters of 4 bytes (NIST SP 800-63B 5.1.1.2)"
#endif

/* The list of common passwords by default, and the Debian package that ships it
 * (a build for another system may name its own). */
#ifndef POLICY_LIST_DEFAULT
#define POLICY_LIST_DEFAULT "/usr/share/john/password.lst"
#endif
#ifndef POLICY_LIST_PACKAGE
#define POLICY_LIST_PACKAGE "john-data"
#endif

/* Largest list file read: room for the biggest public lists (rockyou.txt is
 * 134 MiB); the hash set adds at most 16 bytes an entry on top. Entries are
 * offsets into the file's text, so this must stay below 4 GiB. */
#ifndef POLICY_LIST_MAX_BYTES
#define POLICY_LIST_MAX_BYTES (256u << 20)
#endif

/* A loaded list: the file's distinct entries (ASCII letters lowercased) in a hash
 * set. Opaque; read-only from the moment policy_list_load returns it. */
struct policy_list;

/* What a new password must meet. */
struct policy {
	unsigned min_chars;             /* POLICY_MIN_CHARS_FLOOR..POLICY_MIN_CHARS_MAX */
	const struct policy_list *list; /* NULL: no list of common passwords (rule 5 off) */
};

typedef enum policy_err {
	POLICY_OK = 0,
	/* The password is refused; the reason says which rule it fails. */
	POLICY_NOT_TEXT = 1,  /* not UTF-8, or holds a NUL: rule 1 */
	POLICY_TOO_LONG = 2,  /* more than POLICY_MAX_BYTES bytes: rule 1 */
	POLICY_TOO_SHORT = 3, /* fewer than min_chars characters (empty too): rule 2 */
	POLICY_REPEATED = 4,  /* one character repeated: rule 3 */
	POLICY_SEQUENCE = 5,  /* one run of consecutive digits or letters: rule 3 */
	POLICY_USERNAME = 6,  /* the username, or the username and digits: rule 4 */
	POLICY_LISTED = 7,    /* on the list of common passwords: rule 5 */
	/* The call failed. */
	POLICY_BAD_ARGS = 20, /* a NULL policy or password, or min_chars out of range */
} policy_err;

/* min_chars = POLICY_MIN_CHARS_DEFAULT, no list. */
void policy_default(struct policy *p);

/*
 * Check a new password pw[0..len) for the account username (NULL or "" when it
 * has none yet) against p. POLICY_OK, or the first rule it fails with a one-line
 * reason a person can act on in why[whylen] (lower case, no final period, e.g.
 * "too short: at least 12 characters"; "" on POLICY_OK; why may be NULL). The
 * password is only read.
 */
policy_err policy_check(const struct policy *p, const char *username, const char *pw, size_t len, char *why,
                        size_t whylen);

/*
 * Read the list at path (one password per line, "\n" or "\r\n"; empty lines,
 * lines starting with "#!comment:", lines holding a NUL byte and lines longer
 * than POLICY_MAX_BYTES are skipped) into a new list in *out. 0, or -1 with
 * *out NULL and a one-line reason in err[errlen] naming the file ("cannot read
 * FILE: No such file or directory", "FILE is larger than ...", "FILE holds no
 * password"); for a missing POLICY_LIST_DEFAULT it names POLICY_LIST_PACKAGE.
 * Allocates the file's size plus at most 16 bytes an entry.
 */
int policy_list_load(const char *path, struct policy_list **out, char *err, size_t errlen);

/* The number of distinct entries (after lowercasing) in l. */
size_t policy_list_count(const struct policy_list *l);

/* 1 when pw[0..len) is on l in any ASCII letter case, else 0. */
int policy_list_contains(const struct policy_list *l, const char *pw, size_t len);

/* Free l (NULL is fine). No check may be running on it. */
void policy_list_free(struct policy_list *l);

#endif
