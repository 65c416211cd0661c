/*
 * userinfo.c: GET and POST /userinfo (OIDC Core §5.3): the claims about the
 * signed-in person that the access token's scope allows (profile:
 * preferred_username; email: email and email_verified, which is false because
 * nothing here verifies addresses). The token comes as a Bearer credential
 * (RFC 6750 §2.1) or, on POST, as the form field access_token (§2.2), never
 * both; errors follow RFC 6750 §3 (401 invalid_token with WWW-Authenticate,
 * 403 insufficient_scope).
 *
 * Only a person's access token opens it: RFC 9068 typ at+jwt, our iss, aud
 * including the issuer, not expired, not revoked, with sub, client_id, scope
 * (containing openid) and auth_time (which client_credentials tokens never
 * carry). An ID token (typ JWT) or an HS256 token is never accepted. The
 * person is read from the store on every call, so a deleted user's tokens stop
 * working at once. Never answers with more than the scope allows, never with
 * the password hash or lockout state.
 */
#include <stdio.h>
#include <string.h>

#include "jose.h"
#include "oauth/endpoints.h"
#include "oauth/claims.h"
#include "oauth/oauth.h"

/* 401 with a WWW-Authenticate challenge: error NULL when no credential was sent (RFC 6750 §3.1). */
static void unauthorized(h2o_req_t *req, const char *error, const char *description)
{
	char *h = h2o_mem_alloc_pool(&req->pool, 160);

	if (error)
		snprintf(h, 160, "Bearer error=\"%s\", error_description=\"%s\"", error, description);
	else
		snprintf(h, 160, "Bearer");
	response_add_header(req, "www-authenticate", h);
	response_send_error(req, 401, error ? error : "invalid_request", description);
}

/* The bearer token of req (header, or POST form body) into *tok; 0, or -1 answered. */
static int bearer(h2o_req_t *req, const char **tok)
{
	h2o_iovec_t auth = response_request_header(req, H2O_TOKEN_AUTHORIZATION),
	            ct = response_request_header(req, H2O_TOKEN_CONTENT_TYPE);
	const char *in_body = NULL;
	http_form f;
	const char *in_header;
	size_t n;

	if (h2o_memis(req->method.base, req->method.len, H2O_STRLIT("POST")) && ct.base &&
	    http_media_type_is(ct.base, ct.len, "application/x-www-form-urlencoded")) {
		if (oauth_read_form(req, &f))
			return -1;
		in_body = http_form_get(&f, "access_token");
	}
	if (auth.base && in_body) {
		response_send_error(req, 400, "invalid_request",
		                    "send the access token once (RFC 6750 section 2)");
		return -1;
	}
	if (in_body) {
		*tok = in_body;
		return 0;
	}
	if (auth.base && http_bearer_parse(auth.base, auth.len, &in_header, &n) == HTTP_OK) {
		*tok = response_pool_str(req, in_header, n);
		return 0;
	}
	if (auth.base && http_auth_scheme_is(auth.base, auth.len, "Bearer"))
		unauthorized(req, "invalid_token", "the access token is malformed");
	else /* no credential, or another scheme: no error code (RFC 6750 §3.1) */
		unauthorized(req, NULL, "a Bearer access token is required");
	return -1;
}

/* Verify tok as a person's access token into *jwt; 0, or -1 answered. */
static int verify(h2o_req_t *req, app_thread *t, const char *tok, jose_jwt *jwt)
{
	static const char *const required[] = {"sub", "jti", "client_id", "scope", "auth_time"};
	const char *iss[] = {t->app->cfg->issuer}, *jti;
	jose_jwt_opts o = {.algs = JOSE_ALGS_ALL & ~JOSE_ALGS_HMAC,
	                   .now = app_now(),
	                   .issuers = iss,
	                   .n_issuers = 1,
	                   .audiences = iss,
	                   .n_audiences = 1,
	                   .typ = "at+jwt",
	                   .required = required,
	                   .n_required = sizeof required / sizeof required[0]};
	jose_fail why = {0};
	jose_err e = keyring_verify(t->app->keys, &o, tok, strlen(tok), jwt, &why);
	double at;
	int revoked = 1;

	if (e != JOSE_OK) {
		metrics_verify_failure(t->app->metrics, t->index, jose_err_code(e));
		unauthorized(req, "invalid_token", "the access token is invalid or expired");
		return -1;
	}
	if (!(jti = jose_json_string(jwt->payload, "jti")) || !jose_json_string(jwt->payload, "sub") ||
	    !jose_json_string(jwt->payload, "scope") ||
	    jose_json_numericdate(jwt->payload, "auth_time", &at) != 1) {
		unauthorized(req, "invalid_token", "not an access token of a person");
		return -1;
	}
	if (store_revoke_check(t->db, jti, o.now, &revoked) != STORE_OK) {
		oauth_store_unavailable(req);
		return -1;
	}
	if (revoked) {
		metrics_verify_failure(t->app->metrics, t->index, "revoked");
		unauthorized(req, "invalid_token", "the access token has been revoked");
		return -1;
	}
	return 0;
}

/* The claims of user u that scope allows, or NULL out of memory. */
static cJSON *claims(const struct store_user *u, const char *scope)
{
	cJSON *doc = cJSON_CreateObject();

	if (doc && (!cJSON_AddStringToObject(doc, "sub", u->id) || claims_add_user(doc, u, scope))) {
		cJSON_Delete(doc);
		doc = NULL;
	}
	return doc;
}

/* see routes.h */
void userinfo_endpoint(h2o_req_t *req, app_thread *t)
{
	jose_jwt jwt = {0};
	struct store_user u;
	const char *tok, *scope;
	store_err e;

	/* Browsers of any origin may call it: no cookie is read. */
	if (response_cors(req, "GET, POST"))
		return;
	response_add_header(req, "access-control-expose-headers", "WWW-Authenticate");
	if (bearer(req, &tok) || verify(req, t, tok, &jwt))
		goto out;
	scope = jose_json_string(jwt.payload, "scope");
	if (!scope_allowed("openid", scope)) {
		response_add_header(req, "www-authenticate",
		                    "Bearer error=\"insufficient_scope\", scope=\"openid\"");
		response_send_error(req, 403, "insufficient_scope", "the access token's scope lacks openid");
		goto out;
	}
	e = store_user_get(t->db, jose_json_string(jwt.payload, "sub"), &u);
	if (e == STORE_NOT_FOUND || e == STORE_INVALID)
		unauthorized(req, "invalid_token", "the user no longer exists");
	else if (e == STORE_OK && u.disabled)
		unauthorized(req, "invalid_token", "the user is disabled");
	else if (e != STORE_OK)
		oauth_store_unavailable(req);
	else
		response_send_cjson(req, 200, claims(&u, scope));
	memset(&u, 0, sizeof u); /* the password hash came along */
out:
	jose_jwt_clear(&jwt);
}
