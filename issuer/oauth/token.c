/*
 * token.c: POST /token. Two dialects on one path:
 *  - OAuth 2.0 (form body): grant_type=client_credentials (RFC 6749 §4.4) for a
 *    confidential client, scope and audience (RFC 8707 `resource`, or
 *    `audience`) limited to what the client was registered for, answered with a
 *    JWT access token per RFC 9068 (typ at+jwt, sub = client_id, jti);
 *    authorization_code and refresh_token (grant.c) for a confidential client
 *    or a public one identified by its client_id (oauth_client_identify);
 *  - the legacy JSON body {"sub","aud"} (the API this service replaces): the same client authentication
 * (Basic, or client_id/client_secret members), the subject and audience must be registered for the client;
 * the answer carries `token` and the OAuth fields. Tokens are signed on the loop thread (a signature
 * costs 20..700 us); nothing in this file touches the store except the client lookup (grant.c does).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jose_json.h"
#include "oauth/access.h"
#include "oauth/grant.h"
#include "oauth/endpoints.h"
#include "oauth/oauth.h"
#include "crypto/secret.h"

/* The audience the request asks for (resource or audience, not both), checked; 0 or -1. */
static int pick_audience(h2o_req_t *req, const http_form *f, const struct store_client *c, const char **aud)
{
	const char *res = http_form_get(f, "resource"), *a = http_form_get(f, "audience");

	if (res && a) {
		response_send_error(req, 400, "invalid_request", "send resource or audience, not both");
		return -1;
	}
	*aud = res ? res : a;
	if (*aud ? !store_list_has(c->audiences, *aud) : !c->audiences[0]) {
		response_send_error(req, 400, "invalid_target",
		                    *aud ? "this client may not ask for that audience"
		                         : "the client has no registered audience (client add --audience)");
		return -1;
	}
	return 0;
}

/* Sign and send the token of a (a->jti drawn here); the legacy JSON body's answer also
 * carries it as `token`. */
static void issue(h2o_req_t *req, app_thread *t, struct access_claims *a, enum metrics_grant kind,
                  int legacy_shape)
{
	char jti[SECRET_TEXT_LEN + 1], *token = NULL;
	cJSON *doc;

	a->jti = jti;
	if (secret_generate(&t->rng, jti) || !(token = access_mint(t, a, app_now()))) {
		response_send_error(req, 503, "temporarily_unavailable", "cannot sign a token now; retry");
		return;
	}
	metrics_token(t->app->metrics, t->index, kind);
	doc = access_answer_new(t, token, a->scope);
	if (legacy_shape)
		doc = access_answer_add(doc, "token", token);
	access_answer_send(req, doc);
	free(token);
}

static void client_credentials(h2o_req_t *req, app_thread *t, const http_form *f,
                               const struct store_client *c)
{
	struct access_claims a = {.client = c, .sub = c->id, .alg = access_alg(t->app->cfg), .typ = "at+jwt"};
	const char *scope = http_form_get(f, "scope");

	if (!store_list_has(c->grants, "client_credentials")) {
		response_send_error(req, 400, "unauthorized_client",
		                    "this client may not use client_credentials");
		return;
	}
	if (scope && (!scope_valid(scope) || !scope_allowed(scope, c->scope))) {
		response_send_error(req, 400, "invalid_scope",
		                    "scope is malformed or not allowed for this client");
		return;
	}
	a.scope = scope ? scope : c->scope;
	if (pick_audience(req, f, c, &a.aud) == 0)
		issue(req, t, &a, METRICS_GRANT_CLIENT_CREDENTIALS, 0);
}

static void form_token(h2o_req_t *req, app_thread *t)
{
	http_form f;
	struct store_client c;
	const char *grant;

	if (oauth_read_form(req, &f))
		return;
	if (!(grant = http_form_get(&f, "grant_type"))) {
		response_send_error(req, 400, "invalid_request", "grant_type is required");
		return;
	}
	if (oauth_client_identify(req, t, &f, grant, &c))
		return;
	if (strcmp(grant, "client_credentials") == 0)
		client_credentials(req, t, &f, &c);
	else if (strcmp(grant, "authorization_code") == 0)
		grant_authorization_code(req, t, &f, &c);
	else if (strcmp(grant, "refresh_token") == 0)
		grant_refresh_token(req, t, &f, &c);
	else if (strcmp(grant, "password") == 0)
		grant_password(req, t, &f, &c);
	else
		response_send_error(req, 400, "unsupported_grant_type",
		                    "this server supports authorization_code, refresh_token, "
		                    "client_credentials and password");
}

static void seed_token(h2o_req_t *req, app_thread *t)
{
	cJSON *doc = NULL;
	http_form f = {0};
	struct store_client c;
	const char *sub, *aud;

	if (jose_json_parse(req->entity.base ? req->entity.base : "", req->entity.len, JOSE_JSON_MAX_DEPTH,
	                    JOSE_E_JWT_INVALID, &doc) != JOSE_OK ||
	    !cJSON_IsObject(doc) || !(sub = jose_json_string(doc, "sub")) ||
	    !(aud = jose_json_string(doc, "aud")) || oauth_json_to_form(doc, "client_id", &f) ||
	    oauth_json_to_form(doc, "client_secret", &f)) {
		response_send_error(req, 400, "invalid_request",
		                    "the body must be a JSON object {\"sub\":…,\"aud\":…}");
		goto out;
	}
	if (oauth_client_auth(req, t, &f, &c))
		goto out;
	if (!store_list_has(c.subjects, sub) || !store_list_has(c.audiences, aud)) {
		response_send_error(req, 403, "access_denied",
		                    "this client may not ask for that subject or audience");
		goto out;
	}
	issue(req, t,
	      &(struct access_claims){
	          .client = &c, .sub = sub, .aud = aud, .alg = t->app->cfg->alg, .typ = "JWT"},
	      METRICS_GRANT_JSON, 1);
out:
	cJSON_Delete(doc);
}

/* see routes.h */
void token_endpoint(h2o_req_t *req, app_thread *t)
{
	h2o_iovec_t ct = response_request_header(req, H2O_TOKEN_CONTENT_TYPE);

	/* Public clients call from browsers of any origin; no cookie is read here. */
	if (response_cors(req, "POST"))
		return;
	if (ct.base && http_media_type_is(ct.base, ct.len, "application/json"))
		seed_token(req, t);
	else
		form_token(req, t);
}
