/*
 * judge.c: a token's verdict (see judge.h). Reads the keyring and the
 * revocation list; answers nothing itself.
 */
#include <string.h>

#include "jose_json.h"
#include "oauth/judge.h"

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
	if (!(jti = jose_json_string(v->jwt.payload, "jti")))
		return;
	if (store_revoke_check(t->db, jti, o.now, &revoked) != STORE_OK)
		v->unavailable = 1;
	if (revoked) {
		v->code = "ERR_JWT_REVOKED";
		v->message = "the token has been revoked";
		metrics_verify_failure(t->app->metrics, t->index, "revoked");
	}
}
