/*
 * check.c: the endpoints that judge tokens this issuer signed: the legacy
 * POST /verify, /introspect (RFC 7662) and /revoke (RFC 7009). All three verify
 * with the shared core against the published keys (the same rules as the CLI
 * and the WASM verifier), then consult the revocation list: a revoked jti is
 * refused until the token's own expiry. A failed revocation lookup fails closed.
 * /introspect and /revoke also take our refresh tokens (opaque: no '.'), looked
 * up by their hash, and only for the client they were issued to; revoking one
 * revokes its whole family (every rotation of the grant). Access tokens already
 * issued from that grant live on until their exp (token_ttl): the store does not
 * link jtis to grants, and RFC 7009 §2.1 leaves that to the server.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jose_json.h"
#include "oauth/endpoints.h"
#include "oauth/oauth.h"
#include "crypto/secret.h"

/* The outcome of judging one token. */
struct verdict {
	jose_jwt jwt;
	jose_fail why;
	const char *code; /* NULL when valid */
	const char *message;
	int unavailable; /* the store could not answer */
};

/* Verify token with our keys (aud checked when given) and the revocation list. */
static void judge(app_thread *t, const char *token, size_t len, const char *aud, struct verdict *v)
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
	if (t->app->cfg->legacy_secret) /* asymmetric tokens first, with every rule */
		o.algs = JOSE_ALGS_ALL & ~JOSE_ALG_BIT(JOSE_ALG_HS256);
	e = keyring_verify(t->app->keys, &o, token, len, &v->jwt, &v->why);
	if (e == JOSE_E_ALG_NOT_ALLOWED && t->app->cfg->legacy_secret) {
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

/* see routes.h */
void check_verify(h2o_req_t *req, app_thread *t)
{
	cJSON *doc = NULL, *out;
	const char *token, *aud = NULL;
	const cJSON *a;
	struct verdict v = {0};

	if (jose_json_parse(req->entity.base ? req->entity.base : "", req->entity.len, JOSE_JSON_MAX_DEPTH,
	                    JOSE_E_JWT_INVALID, &doc) != JOSE_OK ||
	    !cJSON_IsObject(doc) || !(token = jose_json_string(doc, "token")) ||
	    ((a = jose_json_member(doc, "aud")) && !(aud = jose_json_string(doc, "aud")))) {
		response_send_json(
		    req, 400,
		    H2O_STRLIT("{\"valid\":false,\"error\":\"invalid_request\",\"message\":\"the body "
		               "must be a JSON object {\\\"token\\\":…,\\\"aud\\\":…}\"}"));
		goto out;
	}
	judge(t, token, strlen(token), aud, &v);
	if (v.unavailable) {
		oauth_store_unavailable(req);
		goto out;
	}
	out = cJSON_CreateObject();
	cJSON_AddBoolToObject(out, "valid", !v.code);
	if (v.code) {
		cJSON_AddStringToObject(out, "error", v.code);
		cJSON_AddStringToObject(out, "message", v.message);
		if (v.why.claim)
			cJSON_AddStringToObject(out, "claim", v.why.claim);
	} else {
		cJSON_AddItemToObject(out, "claims", v.jwt.payload);
		v.jwt.payload = NULL;
	}
	response_send_cjson(req, v.code ? 401 : 200, out);
out:
	jose_jwt_clear(&v.jwt);
	cJSON_Delete(doc);
}

/* An accept of jose_jwt_aud_any: the value is one of client ctx's audiences. */
static int client_audience(void *ctx, const char *v)
{
	const struct store_client *c = ctx;

	return store_list_has(c->audiences, v);
}

/* 1 when client c may learn about the token: it was issued to c, or is meant for one of c's audiences. */
static int concerns(const struct store_client *c, const cJSON *payload)
{
	const char *cid = jose_json_string(payload, "client_id");

	return (cid && strcmp(cid, c->id) == 0) ||
	       jose_jwt_aud_any(jose_json_member(payload, "aud"), client_audience, (void *)c);
}

/* The RFC 7662 answer for a valid token. */
static cJSON *active_answer(const cJSON *payload)
{
	static const char *const copy[] = {"scope", "client_id", "sub", "aud", "iss",
	                                   "exp",   "iat",       "nbf", "jti"};
	cJSON *out = cJSON_CreateObject();

	cJSON_AddTrueToObject(out, "active");
	for (size_t i = 0; i < sizeof copy / sizeof copy[0]; i++) {
		const cJSON *m = jose_json_member(payload, copy[i]);
		if (m)
			cJSON_AddItemToObject(out, copy[i], cJSON_Duplicate(m, 1));
	}
	cJSON_AddStringToObject(out, "token_type", "Bearer");
	return out;
}

/* Form, client and token parameter of an introspection or revocation; 0 or -1 (answered). */
static int read_request(h2o_req_t *req, app_thread *t, http_form *f, struct store_client *c,
                        const char **token)
{
	if (oauth_read_form(req, f) || oauth_client_auth(req, t, f, c))
		return -1;
	if (!(*token = http_form_get(f, "token"))) {
		response_send_error(req, 400, "invalid_request", "token is required");
		return -1;
	}
	return 0;
}

/* 1 when token has the shape of our refresh tokens (opaque base64url), not of a JWS. */
static int opaque(const char *token)
{
	return strchr(token, '.') == NULL;
}

/* The active refresh token text of client c into *r: STORE_OK, STORE_NOT_FOUND (also: another
 * client's, with *other set) or a store failure. */
static store_err refresh_of(app_thread *t, const struct store_client *c, const char *token,
                            struct store_refresh *r, int *other)
{
	uint8_t h[SECRET_HASH_LEN];
	store_err e;

	secret_hash(token, strlen(token), h);
	e = store_refresh_get(t->db, h, sizeof h, app_now(), r);
	*other = e == STORE_OK && strcmp(r->client_id, c->id) != 0;
	return *other ? STORE_NOT_FOUND : e;
}

/* /introspect of a refresh token (RFC 7662 §2.2). */
static void introspect_refresh(h2o_req_t *req, app_thread *t, const struct store_client *c, const char *token)
{
	struct store_refresh r;
	int other;
	store_err e = refresh_of(t, c, token, &r, &other);
	cJSON *out;

	if (e != STORE_OK && e != STORE_NOT_FOUND) {
		oauth_store_unavailable(req);
		return;
	}
	if (e == STORE_NOT_FOUND) {
		response_send_json(req, 200, H2O_STRLIT("{\"active\":false}"));
		return;
	}
	out = cJSON_CreateObject();
	cJSON_AddTrueToObject(out, "active");
	cJSON_AddStringToObject(out, "scope", r.scope);
	cJSON_AddStringToObject(out, "client_id", r.client_id);
	cJSON_AddStringToObject(out, "sub", r.user_id);
	cJSON_AddStringToObject(out, "iss", t->app->cfg->issuer);
	cJSON_AddNumberToObject(out, "exp", (double)r.expires_at);
	cJSON_AddNumberToObject(out, "iat", (double)r.created_at);
	cJSON_AddStringToObject(out, "token_type", "refresh_token");
	response_send_cjson(req, 200, out);
}

/* /revoke of a refresh token (RFC 7009 §2.1): its whole family. */
static void revoke_refresh(h2o_req_t *req, app_thread *t, const struct store_client *c, const char *token)
{
	struct store_refresh r;
	int other;
	store_err e = refresh_of(t, c, token, &r, &other);

	if (e == STORE_OK)
		e = store_refresh_revoke_family(t->db, r.family_id);
	if (other)
		response_send_error(req, 400, "unauthorized_client",
		                    "the token was not issued to this client");
	else if (e == STORE_OK || e == STORE_NOT_FOUND) /* unknown, used or expired: nothing to do (§2.2) */
		response_send_json(req, 200, H2O_STRLIT("{}"));
	else
		oauth_store_unavailable(req);
}

/* see routes.h */
void check_introspect(h2o_req_t *req, app_thread *t)
{
	http_form f;
	struct store_client c;
	const char *token;
	struct verdict v;

	if (read_request(req, t, &f, &c, &token))
		return;
	if (opaque(token)) {
		introspect_refresh(req, t, &c, token);
		return;
	}
	judge(t, token, strlen(token), NULL, &v);
	if (v.unavailable)
		oauth_store_unavailable(req);
	else if (v.code || !concerns(&c, v.jwt.payload))
		response_send_json(req, 200, H2O_STRLIT("{\"active\":false}"));
	else
		response_send_cjson(req, 200, active_answer(v.jwt.payload));
	jose_jwt_clear(&v.jwt);
}

/* see routes.h */
void check_revoke(h2o_req_t *req, app_thread *t)
{
	http_form f;
	struct store_client c;
	const char *token, *jti, *cid;
	double exp = 0;
	struct verdict v;
	store_err e;

	if (read_request(req, t, &f, &c, &token))
		return;
	if (opaque(token)) {
		revoke_refresh(req, t, &c, token);
		return;
	}
	judge(t, token, strlen(token), NULL, &v);
	if (v.unavailable) {
		oauth_store_unavailable(req);
	} else if (v.code) { /* invalid, expired or already revoked: nothing to do (RFC 7009 §2.2) */
		response_send_json(req, 200, H2O_STRLIT("{}"));
	} else if (!(cid = jose_json_string(v.jwt.payload, "client_id")) || strcmp(cid, c.id) != 0) {
		response_send_error(req, 400, "unauthorized_client",
		                    "the token was not issued to this client");
	} else if (!(jti = jose_json_string(v.jwt.payload, "jti")) ||
	           jose_json_numericdate(v.jwt.payload, "exp", &exp) != 1) {
		response_send_error(req, 400, "unsupported_token_type",
		                    "the token has no jti or exp to revoke by");
	} else if ((e = store_revoke_put(t->db, jti, (int64_t)exp)) != STORE_OK) {
		oauth_store_unavailable(req);
	} else {
		response_send_json(req, 200, H2O_STRLIT("{}"));
	}
	jose_jwt_clear(&v.jwt);
}
