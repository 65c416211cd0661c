/*
 * store.c: what every caller of the seam shares (see store.h): choosing the
 * backend for a database URL, the error phrases, the '\n'-list helpers. Nothing
 * here knows SQL or touches a file.
 */
#include <string.h>

#include "store/store.h"

/* see store.h */
int store_is_postgres(const char *where)
{
	return where && (strncmp(where, "postgres://", 11) == 0 || strncmp(where, "postgresql://", 13) == 0);
}

/* see store.h */
store *store_open(const char *where, char *err, size_t errlen)
{
	if (err && errlen)
		err[0] = '\0';
	if (!where || !*where) {
		if (err && errlen)
			strncat(err, "no database given", errlen - 1);
		return NULL;
	}
	if (store_is_postgres(where))
		return store_pg_open(where, err, errlen);
	if (strncmp(where, "sqlite:", 7) == 0)
		where += 7;
	return store_sqlite_open(where, err, errlen);
}

/* Copy from[0..len) into out at *at, within n (always NUL-terminated). */
static void put(char *out, size_t n, size_t *at, const char *from, size_t len)
{
	while (len-- && *at + 1 < n)
		out[(*at)++] = *from++;
	out[*at < n ? *at : n - 1] = '\0';
}

/* see store.h */
const char *store_redact(const char *where, char *out, size_t n)
{
	const char *auth, *at, *colon, *pw;
	size_t o = 0;

	if (!out || n == 0)
		return "";
	out[0] = '\0';
	if (!where)
		return out;
	auth = strstr(where, "://");
	auth = auth ? auth + 3 : where;
	at = store_is_postgres(where) ? strpbrk(auth, "@/?") : NULL;
	colon = at && *at == '@' ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
	if (colon) { /* user:password@ */
		put(out, n, &o, where, (size_t)(colon - where) + 1);
		put(out, n, &o, "***", 3);
		where = at;
	}
	while ((pw = strstr(where, "password=")) != NULL) { /* ?password=... or key=value form */
		size_t keep = (size_t)(pw - where) + 9;

		put(out, n, &o, where, keep);
		put(out, n, &o, "***", 3);
		where = pw + 9 + strcspn(pw + 9, "& ");
	}
	put(out, n, &o, where, strlen(where));
	return out;
}

/* see store.h: parents before children, as the foreign keys require. */
const struct store_raw_table store_raw_tables[] = {
    {"clients",
     "id, secret_hash, secret_salt, is_public, grants, redirect_uris, audiences, scope, subjects, "
     "needs_consent, created_at, post_logout_uris, id_token_alg, name, logo_uri, prev_hash, prev_salt, "
     "prev_until, require_mfa",
     "tbbitttttiittttbbii"},
    {"users",
     "id, username, email, password_hash, created_at, failed_logins, locked_until, name, email_verified, "
     "disabled, groups, verify_required",
     "ttttiiitiiti"},
    {"account_links", "hash, kind, user_id, email, created_at, expires_at, used", "btttiii"},
    {"factors", "id, user_id, kind, name, cred_id, data, counter, confirmed, created_at, last_used_at",
     "ttttbbiiii"},
    {"signing_keys", "kid, alg, private_der, created_at, not_before, retired_at, expires_at", "ttbiiii"},
    {"revoked_tokens", "jti, expires_at", "ti"},
    {"sessions", "id_hash, user_id, auth_time, expires_at, amr", "btiit"},
    {"auth_codes",
     "code_hash, client_id, user_id, redirect_uri, scope, nonce, code_challenge, code_challenge_method, "
     "auth_time, expires_at, used, session_hash, amr",
     "btttttttiiibt"},
    {"refresh_tokens",
     "token_hash, family_id, client_id, user_id, scope, auth_time, created_at, expires_at, used, revoked, "
     "used_at, replaced_by, session_hash, amr",
     "bttttiiiiiibbt"},
    {"login_flows",
     "id_hash, csrf_hash, browser_hash, client_id, redirect_uri, scope, state, nonce, code_challenge, "
     "code_challenge_method, prompt, max_age, user_id, auth_time, created_at, expires_at, amr, mfa_pending",
     "bbbtttttttiitiiiti"},
    {"consents", "user_id, client_id, scope, granted_at", "ttti"},
    {"login_attempts", "name, attempts, since, locked_until", "tiii"},
    {"outbox",
     "id, kind, sender, rcpt, message, state, attempts, created_at, next_at, lease_until, done_at, "
     "last_error",
     "tttttiiiiiit"},
    {"challenges", "hash, user_id, expires_at", "bti"},
};
const size_t store_raw_n = sizeof store_raw_tables / sizeof store_raw_tables[0];

/* see store.h */
const char *store_strerror(store_err e)
{
	switch (e) {
	case STORE_OK:
		return "ok";
	case STORE_NOT_FOUND:
		return "not found";
	case STORE_CONFLICT:
		return "already exists";
	case STORE_REUSED:
		return "refresh token reused";
	case STORE_INVALID:
		return "invalid argument";
	case STORE_NOMEM:
		return "out of memory";
	case STORE_BUSY:
		return "database busy";
	case STORE_IO:
		return "database I/O error";
	case STORE_CORRUPT:
		return "database corrupt";
	case STORE_READONLY:
		return "database read-only";
	case STORE_FULL:
		return "database or disk full";
	}
	return "unknown storage error";
}

/* see store.h */
int store_list_has(const char *list, const char *item)
{
	size_t n = strlen(item);

	if (!list || !*list)
		return 0;
	for (const char *p = list;; p++) {
		const char *end = strchr(p, '\n');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (len == n && memcmp(p, item, n) == 0)
			return 1;
		if (!end)
			return 0;
		p = end;
	}
}

/* see store.h */
int store_list_valid(const char *list, size_t max)
{
	size_t n = 0;
	unsigned char prev = '\n'; /* so a leading '\n' reads as an empty item */

	for (const unsigned char *p = (const unsigned char *)list; *p; p++, n++) {
		if (n >= max)
			return 0;
		if (*p == '\n' && prev == '\n')
			return 0;
		if ((*p < 0x20 && *p != '\n') || *p == 0x7f)
			return 0;
		prev = *p;
	}
	return n == 0 || prev != '\n';
}
