/*
 * session.c: SSO sessions (see session.h): the idb_session cookie's session,
 * started at sign-in and ended at logout. Never compares a secret but by hash.
 */
#include <stdio.h>
#include <string.h>

#include "jose.h"
#include "jose_json.h"
#include "sso/cookie.h"
#include "sso/session.h"

/* see session.h */
store_err session_current(h2o_req_t *req, app_thread *t, int64_t now, struct store_session *out)
{
	char v[SECRET_TEXT_LEN + 1];
	uint8_t h[SECRET_HASH_LEN];

	if (cookie_get(req, t, SESSION_COOKIE, v))
		return STORE_NOT_FOUND;
	secret_hash(v, SECRET_TEXT_LEN, h);
	return store_session_get(t->db, h, sizeof h, now, out);
}

/* Delete the session named by the browser's cookie, if any. */
static void drop_current(h2o_req_t *req, app_thread *t)
{
	char v[SECRET_TEXT_LEN + 1];
	uint8_t h[SECRET_HASH_LEN];

	if (cookie_get(req, t, SESSION_COOKIE, v))
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
	snprintf(s.amr, sizeof s.amr, "pwd");
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

	if (!cookie_get(req, t, SESSION_COOKIE, v)) {
		secret_hash(v, SECRET_TEXT_LEN, h);
		memset(v, 0, sizeof v);
		if (store_refresh_revoke_session(t->db, h, sizeof h) != STORE_OK)
			return -1;
		store_session_delete(t->db, h, sizeof h); /* none (NOT_FOUND) is fine */
	}
	cookie_set(req, t, SESSION_COOKIE, "", 0);
	return 0;
}

/* An accept of jose_jwt_aud_any: the value is the client id ctx. */
static int is_client(void *ctx, const char *v)
{
	return strcmp(v, ctx) == 0;
}

/* see session.h */
int session_hint(app_thread *t, const char *hint, const char *client_id, char sub[STORE_ID_MAX + 1],
                 char client[STORE_ID_MAX + 1])
{
	const char *iss[] = {t->app->cfg->issuer};
	jose_jwt_opts o = {.algs = JOSE_ALGS_ALL & ~JOSE_ALGS_HMAC,
	                   .now = app_now(),
	                   .leeway = SESSION_HINT_LEEWAY,
	                   .issuers = iss,
	                   .n_issuers = 1};
	jose_jwt jwt;
	jose_fail why;
	const cJSON *aud;
	const char *s, *azp, *typ;
	int rc = -1;

	if (keyring_verify(t->app->keys, &o, hint, strlen(hint), &jwt, &why) != JOSE_OK)
		return -1;
	aud = jose_json_member(jwt.payload, "aud");
	s = jose_json_string(jwt.payload, "sub");
	azp = jose_json_string(jwt.payload, "azp");
	typ = jose_json_string(jwt.header, "typ");
	if (!s || strlen(s) > STORE_ID_MAX || (typ && strcmp(typ, "at+jwt") == 0))
		goto out;
	if (client_id && !jose_jwt_aud_any(aud, is_client, (void *)client_id))
		goto out;
	if (!client_id)
		client_id = azp ? azp : cJSON_IsString(aud) ? aud->valuestring : NULL;
	snprintf(client, STORE_ID_MAX + 1, "%s",
	         client_id && strlen(client_id) <= STORE_ID_MAX ? client_id : "");
	snprintf(sub, STORE_ID_MAX + 1, "%s", s);
	rc = 0;
out:
	jose_jwt_clear(&jwt);
	return rc;
}
