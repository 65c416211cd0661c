/*
 * wellknown.c: the discovery document (OpenID Connect Discovery 1.0 §3, RFC 8414)
 * and the JWK Set (RFC 7517 §5). Both describe only what exists: endpoints this
 * server answers, algorithms it signs with. The JWKS carries public members only
 * (the keyring builds it) and may be cached for JWKS_MAX_AGE seconds, which is
 * why a rotated-in key waits its lead time (`keys rotate --lead`) before signing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "routes.h"

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

/* see routes.h */
void wellknown_discovery(h2o_req_t *req, app_thread *t)
{
	const char *iss = t->app->cfg->issuer;
	cJSON *doc = cJSON_CreateObject();

	cJSON_AddStringToObject(doc, "issuer", iss);
	add_url(doc, "jwks_uri", iss, "/.well-known/jwks.json");
	add_url(doc, "token_endpoint", iss, "/token");
	add_url(doc, "introspection_endpoint", iss, "/introspect");
	add_url(doc, "revocation_endpoint", iss, "/revoke");
	add_list(doc, "grant_types_supported", "client_credentials");
	add_list(doc, "token_endpoint_auth_methods_supported", "client_secret_basic,client_secret_post");
	add_list(doc, "introspection_endpoint_auth_methods_supported",
	         "client_secret_basic,client_secret_post");
	add_list(doc, "revocation_endpoint_auth_methods_supported", "client_secret_basic,client_secret_post");
	/* OAuth access tokens are never legacy HS256 (token.c): ES256 then. */
	add_list(doc, "access_token_signing_alg_values_supported",
	         strcmp(t->app->cfg->alg, "HS256") ? t->app->cfg->alg : "ES256");
	add_list(doc, "subject_types_supported", "public");
	add_list(doc, "claims_supported", "iss,sub,aud,exp,iat,jti,client_id,scope");
	routes_send_cjson(req, 200, doc);
}

/* see routes.h */
void wellknown_jwks(h2o_req_t *req, app_thread *t)
{
	size_t len = 0;
	char *jwks = keyring_jwks(t->app->keys, &len);
	char cache[64];

	if (!jwks) {
		routes_send_error(req, 503, "temporarily_unavailable", "no key set yet");
		return;
	}
	snprintf(cache, sizeof cache, "public, max-age=%d", JWKS_MAX_AGE);
	h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL,
	               h2o_strdup(&req->pool, cache, strlen(cache)).base, strlen(cache));
	routes_add_header(req, "access-control-allow-origin", "*");
	req->res.status = 200;
	h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
	               H2O_STRLIT("application/json"));
	routes_add_header(req, "x-content-type-options", "nosniff");
	req->res.reason = "OK";
	req->res.content_length = len;
	h2o_send_inline(req, jwks, len);
	free(jwks);
}
