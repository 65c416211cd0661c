/*
 * wellknown.c: the discovery document (OpenID Connect Discovery 1.0 §3, RFC 8414)
 * and the JWK Set (RFC 7517 §5). Both describe only what exists: endpoints this
 * server answers, algorithms it signs with. Both are public and read by
 * browsers of any origin (Access-Control-Allow-Origin: *). The JWKS carries
 * public members only (the keyring builds it) and may be cached for
 * JWKS_MAX_AGE seconds, which is why a rotated-in key waits its lead time
 * (`keys rotate --lead`) before signing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/i18n.h"
#include "http/response.h"
#include "oauth/claims.h"
#include "oauth/access.h"
#include "oauth/endpoints.h"
#include "runtime/factors.h"

/* Cache lifetime of the JWKS, seconds; keep it below the default key lead time (300). */
#ifndef JWKS_MAX_AGE
#define JWKS_MAX_AGE 300
#endif

/* Add issuer + suffix as member name of doc. */
static void add_url(cJSON *doc, const char *name, const char *issuer, const char *suffix)
{
	char url[640];

	snprintf(url, sizeof url, "%s%s", issuer, suffix);
	cJSON_AddStringToObject(doc, name, url);
}

/* Add a string array from a comma-separated list. */
static void add_list(cJSON *doc, const char *name, const char *csv)
{
	cJSON *arr = cJSON_AddArrayToObject(doc, name);
	char buf[256], *save = NULL;

	snprintf(buf, sizeof buf, "%s", csv);
	for (char *tok = strtok_r(buf, ",", &save); arr && tok; tok = strtok_r(NULL, ",", &save))
		cJSON_AddItemToArray(arr, cJSON_CreateString(tok));
}

/* The endpoints: member name and path. */
static void add_endpoints(cJSON *doc, const char *iss)
{
	static const char *const eps[][2] = {
	    {"authorization_endpoint", "/authorize"}, {"token_endpoint", "/token"},
	    {"userinfo_endpoint", "/userinfo"},       {"end_session_endpoint", "/logout"},
	    {"jwks_uri", "/.well-known/jwks.json"},   {"introspection_endpoint", "/introspect"},
	    {"revocation_endpoint", "/revoke"},
	};

	for (size_t i = 0; i < sizeof eps / sizeof eps[0]; i++)
		add_url(doc, eps[i][0], iss, eps[i][1]);
}

/* see routes.h */
void wellknown_discovery(h2o_req_t *req, app_thread *t)
{
	const char *iss = t->app->cfg->issuer;
	cJSON *doc = cJSON_CreateObject();

	cJSON_AddStringToObject(doc, "issuer", iss);
	add_endpoints(doc, iss);
	add_list(doc, "response_types_supported", "code");
	add_list(doc, "response_modes_supported", "query");
	add_list(doc, "grant_types_supported",
	         "authorization_code,refresh_token,client_credentials,password");
	add_list(doc, "subject_types_supported", "public");
	/* Every alg a client may register (the keyring always signs all four: app.c). */
	add_list(doc, "id_token_signing_alg_values_supported", "RS256,ES256,PS256,EdDSA");
	add_list(doc, "code_challenge_methods_supported", "S256");
	add_list(doc, "scopes_supported", "openid,profile,email,groups,offline_access");
	add_list(doc, "ui_locales_supported", i18n_tags());
	add_list(doc, "claims_supported", "sub,iss,aud,exp,iat,auth_time,nonce,at_hash,amr,acr," CLAIMS_USER);
	add_list(doc, "acr_values_supported", FACTORS_ACR_PWD "," FACTORS_ACR_MFA ",phr,phrh");
	add_list(doc, "token_endpoint_auth_methods_supported", "client_secret_basic,client_secret_post,none");
	add_list(doc, "introspection_endpoint_auth_methods_supported",
	         "client_secret_basic,client_secret_post");
	add_list(doc, "revocation_endpoint_auth_methods_supported", "client_secret_basic,client_secret_post");
	add_list(doc, "access_token_signing_alg_values_supported", access_alg(t->app->cfg));
	add_list(doc, "prompt_values_supported", "none,login,consent");
	cJSON_AddTrueToObject(doc, "authorization_response_iss_parameter_supported"); /* RFC 9207 */
	cJSON_AddFalseToObject(doc, "request_parameter_supported");
	cJSON_AddFalseToObject(doc, "request_uri_parameter_supported");
	cJSON_AddFalseToObject(doc, "claims_parameter_supported");
	response_add_header(req, "access-control-allow-origin", "*");
	response_send_cjson(req, 200, doc);
}

/* see routes.h */
void wellknown_jwks(h2o_req_t *req, app_thread *t)
{
	size_t len = 0;
	char *jwks = keyring_jwks(t->app->keys, &len);
	char cache[64];

	if (!jwks) {
		response_send_error(req, 503, "temporarily_unavailable", "no key set yet");
		return;
	}
	snprintf(cache, sizeof cache, "public, max-age=%d", JWKS_MAX_AGE);
	h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL,
	               h2o_strdup(&req->pool, cache, strlen(cache)).base, strlen(cache));
	response_add_header(req, "access-control-allow-origin", "*");
	req->res.status = 200;
	h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
	               H2O_STRLIT("application/json"));
	response_add_header(req, "x-content-type-options", "nosniff");
	req->res.reason = "OK";
	req->res.content_length = len;
	h2o_send_inline(req, jwks, len);
	free(jwks);
}
