/*
 * judge.c: a token's verdict (see judge.h). Reads the keyring and the
 * revocation list; answers nothing itself.
 */
#include <string.h>

#include "jose_json.h"
#include "oauth/judge.h"

/* A valid token whose client (client_id) or person (sub of a token with
 * auth_time: a person's access token or an ID token) was removed since it was
 * issued, or whose person is disabled, is refused as revoked: removing a client
 * or user, or disabling a user, ends its tokens at once here, not at their expiry. A failed lookup fails
 * closed (unavailable). */
static void removed_party(app_thread *t, struct judge_verdict *v)
{
	const char *cid = jose_json_string(v->jwt.payload, "client_id");
	const char *sub = jose_json_string(v->jwt.payload, "sub");
	struct store_client c;
	struct store_user u = {.disabled = 0};
	store_err e = STORE_OK;

	if (cid && (e = app_client_get(t, cid, &c)) == STORE_NOT_FOUND)
		v->message = "the token's client was removed";
	else if (e == STORE_OK && sub && jose_json_member(v->jwt.payload, "auth_time") &&
	         (e = store_user_get(t->db, sub, &u)) == STORE_NOT_FOUND)
		v->message = "the token's user was removed";
	else if (e == STORE_OK && u.disabled)
		e = STORE_NOT_FOUND, v->message = "the token's user is disabled";
	if (e == STORE_NOT_FOUND) {
		v->code = "ERR_JWT_REVOKED";
		metrics_verify_failure(t->app->metrics, t->index, "revoked");
	} else if (e != STORE_OK) {
		v->unavailable = 1;
	}
	memset(&u, 0, sizeof u);
}

/* see judge.h */
void judge_token(app_thread *t, const char *token, size_t len, const char *aud, int legacy,
                 struct judge_verdict *v)
{
	const char *iss[] = {t->app->cfg->issuer}, *auds[] = {aud};
	jose_jwt_opts o = {.now = app_now(),
	                   .issuers = iss,
	                   .n_issuers = 1,
	                   .audiences = aud ? auds : NULL,
	                   .n_audiences = aud ? 1 : 0};
	const char *jti;
	int revoked = 0;
	jose_err e;

	memset(v, 0, sizeof *v);
	o.algs = JOSE_ALGS_ALL & ~JOSE_ALGS_HMAC; /* asymmetric tokens first, with every rule */
	e = keyring_verify(t->app->keys, &o, token, len, &v->jwt, &v->why);
	if (e == JOSE_E_ALG_NOT_ALLOWED && legacy && t->app->cfg->legacy_secret) {
		/* legacy HS256 tokens carry no iss */
		o.algs = JOSE_ALG_BIT(JOSE_ALG_HS256), o.issuers = NULL, o.n_issuers = 0;
		e = keyring_verify(t->app->keys, &o, token, len, &v->jwt, &v->why);
	}
	if (e != JOSE_OK) {
		v->code = jose_err_code(e);
		v->message = v->why.reason ? v->why.reason : jose_err_message(e);
		metrics_verify_failure(t->app->metrics, t->index, v->code);
		return;
	}
	if ((jti = jose_json_string(v->jwt.payload, "jti")) &&
	    store_revoke_check(t->db, jti, o.now, &revoked) != STORE_OK)
		v->unavailable = 1;
	if (revoked) {
		v->code = "ERR_JWT_REVOKED";
		v->message = "the token has been revoked";
		metrics_verify_failure(t->app->metrics, t->index, "revoked");
		return;
	}
	if (!v->unavailable)
		removed_party(t, v);
}
