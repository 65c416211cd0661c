/*
 * introspect.c: POST /introspect (RFC 7662) and /revoke (RFC 7009) for an
 * authenticated confidential client. Access tokens are judged like /verify
 * (judge.h) and told only to a client they concern (issued to it, or meant for
 * one of its audiences). Refresh tokens (opaque: no '.') are looked up by their
 * hash, and only for the client they were issued to; revoking one revokes its
 * whole family (every rotation of the grant). Access tokens already issued from
 * that grant live on until their exp (token_ttl): the store does not link jtis
 * to grants, and RFC 7009 §2.1 leaves that to the server.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/audit.h"
#include "jose_json.h"
#include "oauth/endpoints.h"
#include "oauth/judge.h"
#include "oauth/oauth.h"
#include "crypto/secret.h"

/* Whose audiences concerns() matches: the client, and the issuer's own URL. */
struct audience_of {
	const struct store_client *c;
	const char *issuer;
};

/* An accept of jose_jwt_aud_any: the value is one of the client's audiences, and
 * not the issuer itself: every person's access token is meant for the issuer's
 * /userinfo, so a client registered with the issuer URL as an audience would
 * otherwise learn about all of them. */
static int client_audience(void *ctx, const char *v)
{
	const struct audience_of *a = ctx;

	return strcmp(v, a->issuer) != 0 && store_list_has(a->c->audiences, v);
}

/* 1 when client c may learn about the token: it was issued to c, or is meant for one of c's audiences. */
static int concerns(app_thread *t, const struct store_client *c, const cJSON *payload)
{
	const char *cid = jose_json_string(payload, "client_id");
	struct audience_of a = {c, t->app->cfg->issuer};

	return (cid && strcmp(cid, c->id) == 0) ||
	       jose_jwt_aud_any(jose_json_member(payload, "aud"), client_audience, &a);
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

/* Form, client and token parameter of an introspection (a confidential client) or a
 * revocation (a public client too: revoking); 0 or -1 (answered). */
static int read_request(h2o_req_t *req, app_thread *t, int revoking, http_form *f, struct store_client *c,
                        const char **token)
{
	if (oauth_read_form(req, f) ||
	    (revoking ? oauth_client_identify_revoker(req, t, f, c) : oauth_client_auth(req, t, f, c)))
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

	if (e == STORE_OK && (e = store_refresh_revoke_family(t->db, r.family_id)) == STORE_OK)
		audit_req(req, "oauth.token.revoked", "info", c->id, r.user_id, NULL,
		          (reqlog_field[]){{"token_type", "refresh_token", 0}}, 1);
	if (other)
		response_send_error(req, 400, "unauthorized_client",
		                    "the token was not issued to this client");
	else if (e == STORE_OK || e == STORE_NOT_FOUND) /* unknown, used or expired: nothing to do (§2.2) */
		response_send_json(req, 200, H2O_STRLIT("{}"));
	else
		oauth_store_unavailable(req);
}

/* see endpoints.h */
void introspect_endpoint(h2o_req_t *req, app_thread *t)
{
	http_form f;
	struct store_client c;
	const char *token;
	struct judge_verdict v;

	if (read_request(req, t, 0, &f, &c, &token))
		return;
	if (opaque(token)) {
		introspect_refresh(req, t, &c, token);
		return;
	}
	judge_token(t, token, strlen(token), NULL, 0, &v);
	if (v.unavailable)
		oauth_store_unavailable(req);
	else if (v.code || !concerns(t, &c, v.jwt.payload))
		response_send_json(req, 200, H2O_STRLIT("{\"active\":false}"));
	else
		response_send_cjson(req, 200, active_answer(v.jwt.payload));
	jose_jwt_clear(&v.jwt);
}

/* see endpoints.h */
void revoke_endpoint(h2o_req_t *req, app_thread *t)
{
	http_form f;
	struct store_client c;
	const char *token, *jti, *cid;
	double exp = 0;
	struct judge_verdict v;
	store_err e;

	if (read_request(req, t, 1, &f, &c, &token))
		return;
	if (opaque(token)) {
		revoke_refresh(req, t, &c, token);
		return;
	}
	judge_token(t, token, strlen(token), NULL, 0, &v);
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
		audit_req(req, "oauth.token.revoked", "info", c.id, jose_json_string(v.jwt.payload, "sub"),
		          NULL, (reqlog_field[]){{"token_type", "access_token", 0}}, 1);
		response_send_json(req, 200, H2O_STRLIT("{}"));
	}
	jose_jwt_clear(&v.jwt);
}
