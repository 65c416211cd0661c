/*
 * session.c: SSO sessions (see session.h): the idb_session cookie's session,
 * started at sign-in and ended at logout. Never compares a secret but by hash.
 */
#include <stdio.h>
#include <string.h>

#include "sso/cookie.h"
#include "sso/session.h"

/* see session.h */
store_err session_current(h2o_req_t *req, app_thread *t, int64_t now, struct store_session *out)
{
	char v[SECRET_TEXT_LEN + 1];
	uint8_t h[SECRET_HASH_LEN];

	if (cookie_get(req, SESSION_COOKIE, v))
		return STORE_NOT_FOUND;
	secret_hash(v, SECRET_TEXT_LEN, h);
	return store_session_get(t->db, h, sizeof h, now, out);
}

/* Delete the session named by the browser's cookie, if any. */
static void drop_current(h2o_req_t *req, app_thread *t)
{
	char v[SECRET_TEXT_LEN + 1];
	uint8_t h[SECRET_HASH_LEN];

	if (cookie_get(req, SESSION_COOKIE, v))
		return;
	secret_hash(v, SECRET_TEXT_LEN, h);
	store_session_delete(t->db, h, sizeof h); /* none (NOT_FOUND) is fine */
}

/* see session.h */
int session_start(h2o_req_t *req, app_thread *t, const char *user_id, int64_t now,
                  uint8_t id_hash[SECRET_HASH_LEN])
{
	struct store_session s = {
	    .id_hash_len = SECRET_HASH_LEN, .auth_time = now, .expires_at = now + t->app->cfg->session_ttl};
	char v[SECRET_TEXT_LEN + 1];
	int rc = -1;

	drop_current(req, t);
	snprintf(s.user_id, sizeof s.user_id, "%s", user_id);
	if (secret_generate(&t->rng, v))
		return -1;
	secret_hash(v, SECRET_TEXT_LEN, s.id_hash);
	if (store_session_put(t->db, &s) == STORE_OK) {
		cookie_set(req, t, SESSION_COOKIE, v, t->app->cfg->session_ttl);
		memcpy(id_hash, s.id_hash, SECRET_HASH_LEN);
		rc = 0;
	}
	memset(v, 0, sizeof v);
	return rc;
}

/* see session.h */
int session_end(h2o_req_t *req, app_thread *t)
{
	char v[SECRET_TEXT_LEN + 1];
	uint8_t h[SECRET_HASH_LEN];

	if (!cookie_get(req, SESSION_COOKIE, v)) {
		secret_hash(v, SECRET_TEXT_LEN, h);
		memset(v, 0, sizeof v);
		if (store_refresh_revoke_session(t->db, h, sizeof h) != STORE_OK)
			return -1;
		store_session_delete(t->db, h, sizeof h); /* none (NOT_FOUND) is fine */
	}
	cookie_set(req, t, SESSION_COOKIE, "", 0);
	return 0;
}
