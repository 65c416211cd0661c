/*
 * account_api.c: the JSON account API of the service this issuer replaces, for
 * its existing callers, served only with ACCOUNT_JSON_API=on (else its paths
 * answer 404 like any unknown path). Same rules as the pages and /token:
 *   POST /auth/login {username, password[, scope]}: the password grant
 *     (grant.h) for a confidential client registered with it, authenticated
 *     by Basic or by client_id/client_secret members; the token response.
 *   GET /users/me: /userinfo with a Bearer access token.
 */
#include <string.h>

#include "jose_json.h"
#include "oauth/endpoints.h"
#include "oauth/grant.h"
#include "oauth/oauth.h"

/* 1 after answering 404 when the API is off. */
static int off(h2o_req_t *req, app_thread *t)
{
	if (t->app->cfg->account_json_api)
		return 0;
	response_send_error(req, 404, "not_found", "no such endpoint");
	return 1;
}

/* Wipe the password the body carried (the parsed copy; the body itself is req's). */
static void wipe_password(cJSON *doc)
{
	cJSON *m = cJSON_GetObjectItemCaseSensitive(doc, "password");

	if (cJSON_IsString(m))
		memset(m->valuestring, 0, strlen(m->valuestring));
}

/* see endpoints.h */
void account_login_endpoint(h2o_req_t *req, app_thread *t)
{
	static const char *const fields[] = {"username", "password", "scope", "client_id", "client_secret"};
	cJSON *doc = NULL;
	http_form f = {0};
	struct store_client c;
	int bad = 0;

	if (off(req, t))
		return;
	bad = jose_json_parse(req->entity.base ? req->entity.base : "", req->entity.len, JOSE_JSON_MAX_DEPTH,
	                      JOSE_E_JWT_INVALID, &doc) != JOSE_OK ||
	      !cJSON_IsObject(doc);
	for (size_t i = 0; !bad && i < sizeof fields / sizeof fields[0]; i++)
		bad = oauth_json_to_form(doc, fields[i], &f) != 0;
	if (bad)
		response_send_error(req, 400, "invalid_request",
		                    "the body must be a JSON object {\"username\":…,\"password\":…}");
	else if (!oauth_client_auth(req, t, &f, &c))
		grant_password(req, t, &f, &c);
	wipe_password(doc);
	cJSON_Delete(doc);
	memset(&c, 0, sizeof c);
}

/* see endpoints.h */
void account_me_endpoint(h2o_req_t *req, app_thread *t)
{
	if (!off(req, t))
		userinfo_endpoint(req, t);
}
