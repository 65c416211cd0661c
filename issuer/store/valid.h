/*
 * valid.h: the checks a row must pass before a storage backend (store_sqlite.c,
 * and any other behind the seam of store.h) writes it, so every backend refuses
 * the same values with STORE_INVALID. Handlers never include this; they see
 * store.h only.
 */
#ifndef ISSUER_STORE_VALID_H
#define ISSUER_STORE_VALID_H

#include <string.h>

#include "store/store.h"

/* A char array field holds a string only if it is NUL-terminated within it. */
#define STORE_TERMINATED(field) (memchr((field), '\0', sizeof(field)) != NULL)

/* 1 when the row may be written: every string terminated within its field,
 * required fields set, lists well-formed, lengths within the limits of store.h;
 * else 0. None of them looks at the database. */
int store_client_valid(const struct store_client *c);
int store_key_valid(const struct store_key *k);
int store_code_valid(const struct store_code *c);
int store_user_valid(const struct store_user *u);

/* 1..STORE_USERNAME_MAX characters of [A-Za-z0-9._@+-]: room for an email address as
 * a username, nothing that needs escaping in HTML, URLs or logs. */
int store_username_valid(const char *u);

/*
 * A "valid email address" of the WHATWG HTML standard (§4.10.5.1.5, what a
 * browser's <input type=email> accepts): 1*( atext / "." ) "@" and labels of
 * letters, digits and inner hyphens (at most 63) joined by dots; with RFC 5321's
 * limits of 64 octets before the "@" and STORE_EMAIL_MAX in all. ASCII only:
 * internationalised addresses (RFC 6531) are not accepted.
 */
int store_email_valid(const char *e);

/* A person's full name: 1..STORE_NAME_MAX bytes of UTF-8 text without control characters. */
int store_fullname_valid(const char *n);

/* 1 when l may be stored: a hash, a kind, terminated strings, expires_at after created_at. */
int store_link_valid(const struct store_link *l);
int store_session_valid(const struct store_session *se);
int store_refresh_valid(const struct store_refresh *r);
int store_flow_valid(const struct store_flow *f);
/* A mail for outbox_put: id, kind, sender, rcpt and message set, without control
 * characters but the message's CR LF; QUEUED, attempts 0, not leased, not done. */
int store_mail_valid(const struct store_mail *m);

/* 1 when amr may be stored as a session's, code's, flow's or refresh token's amr: at
 * most STORE_AMR_MAX bytes, no control character; "" (unknown) included. 0 for NULL. */
int store_amr_valid(const char *amr);

/* 1 when kind is one of STORE_FACTOR_* (not NULL), else 0. */
int store_factor_kind_valid(const char *kind);

/* A factor for factor_put: id and user_id set, a known kind, a credential id for a
 * passkey only, a name without control characters, counter >= 0, confirmed 0 or 1,
 * lengths within the limits of store.h. */
int store_factor_valid(const struct store_factor *f);

/* The key of username's sign-in attempts into out: ASCII lower case. 0, or -1
 * when username is NULL, empty or longer than STORE_USERNAME_MAX. */
int store_login_name(const char *username, char out[STORE_USERNAME_MAX + 1]);

/* 1 when login_admit's (threshold, period) are usable at now, else 0. */
int store_login_args_valid(int64_t now, int threshold, int64_t period);

/* What a refresh rotation reads of the old token besides its row (every backend). */
struct store_rotation {
	int used, revoked;
	int64_t used_at;
	uint8_t replaced_by[STORE_HASH_MAX];
	size_t replaced_by_len;
};

/* 1 when refresh_rotate's arguments are usable (store.h), else 0. */
int store_rotate_args_valid(const uint8_t *old_hash, size_t old_len, const struct store_refresh *next,
                            const struct store_refresh *old_out, int64_t grace);

/* 1 when the used token old (read as r) presented at now may be rotated again under
 * the reuse grace (store.h): unexpired, its family not revoked, used less than grace
 * seconds ago, with a successor on record (whose being unused the backend checks). */
int store_regrant_due(const struct store_rotation *r, const struct store_refresh *old, int64_t now,
                      int64_t grace);

/* The successor of old into *row: next's hash and times (expires_at 0: old's), old's
 * family, client, user, scope and auth_time. */
void store_refresh_successor(const struct store_refresh *old, const struct store_refresh *next,
                             struct store_refresh *row);

#endif
