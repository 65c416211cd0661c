/*
 * access.c: minting access tokens and building token responses (see access.h).
 * Signs on the loop thread through the keyring; never logs or keeps a token.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/response.h"
#include "oauth/access.h"
#include "oauth/oauth.h"

/* see access.h */
const char *access_alg(const server_config *cfg)
{
	return strcmp(cfg->alg, "HS256") ? cfg->alg : "ES256";
}

/* Append item to arr unless it is skip; 0, or -1 when out of memory. */
static int add_item(cJSON *arr, const char *item, size_t n, const char *skip)
{
	char buf[STORE_LIST_MAX + 1];
	cJSON *s;

	memcpy(buf, item, n);
	buf[n] = '\0';
	if (skip && strcmp(buf, skip) == 0)
		return 0;
	if (!(s = cJSON_CreateString(buf)) || !cJSON_AddItemToArray(arr, s)) {
		cJSON_Delete(s);
		return -1;
	}
	return 0;
}

/* The aud claim of a (see access.h) into claims; 0, or -1 when out of memory. */
static int add_aud(cJSON *claims, const char *issuer, const struct access_claims *a)
{
	const char *list = a->aud ? "" : a->client->audiences;
	const char *first = a->aud                                                             ? a->aud
	                    : a->for_person && (!list[0] || scope_allowed("openid", a->scope)) ? issuer
	                                                                                       : NULL;
	const char *skip = a->for_person ? issuer : NULL;
	cJSON *arr = cJSON_CreateArray(), *one;

	if (!arr || (first && add_item(arr, first, strlen(first), NULL)))
		goto fail;
	for (const char *p = list; *p;) {
		size_t n = strcspn(p, "\n");
		if (add_item(arr, p, n, skip))
			goto fail;
		p += n + (p[n] == '\n');
	}
	if (cJSON_GetArraySize(arr) == 1) {
		one = cJSON_DetachItemFromArray(arr, 0);
		cJSON_Delete(arr);
		return cJSON_AddItemToObject(claims, "aud", one) ? 0 : (cJSON_Delete(one), -1);
	}
	if (cJSON_AddItemToObject(claims, "aud", arr))
		return 0;
fail:
	cJSON_Delete(arr);
	return -1;
}

/* The claims of a at now as compact JSON text (malloc'd), or NULL. */
static char *claims_text(app_thread *t, const struct access_claims *a, int64_t now)
{
	const server_config *cfg = t->app->cfg;
	cJSON *c = cJSON_CreateObject();
	int ok = c && cJSON_AddStringToObject(c, "iss", cfg->issuer) &&
	         cJSON_AddStringToObject(c, "sub", a->sub) && add_aud(c, cfg->issuer, a) == 0 &&
	         cJSON_AddNumberToObject(c, "exp", (double)(now + cfg->token_ttl)) &&
	         cJSON_AddNumberToObject(c, "iat", (double)now) &&
	         cJSON_AddStringToObject(c, "jti", a->jti) &&
	         cJSON_AddStringToObject(c, "client_id", a->client->id);
	char *text;

	if (ok && (a->for_person || (a->scope && *a->scope)))
		ok = cJSON_AddStringToObject(c, "scope", a->scope ? a->scope : "") != NULL;
	if (ok && a->for_person)
		ok = cJSON_AddNumberToObject(c, "auth_time", (double)a->auth_time) != NULL;
	text = ok ? cJSON_PrintUnformatted(c) : NULL;
	cJSON_Delete(c);
	return text;
}

/* see access.h */
char *access_mint(app_thread *t, const struct access_claims *a, int64_t now)
{
	char header[32], *claims = claims_text(t, a, now), *token = NULL;

	/* Legacy HS256 tokens keep the plain header their old verifiers expect (alg and typ JWT). */
	snprintf(header, sizeof header, "{\"typ\":\"%s\"}", a->typ);
	if (claims &&
	    keyring_sign(t->app->keys, a->alg, &t->rng, now, strcmp(a->alg, "HS256") ? header : NULL, claims,
	                 strlen(claims), &token) != JOSE_OK)
		token = NULL;
	free(claims);
	return token;
}

/* see access.h */
cJSON *access_answer_add(cJSON *doc, const char *name, const char *value)
{
	if (doc && !cJSON_AddStringToObject(doc, name, value)) {
		cJSON_Delete(doc);
		return NULL;
	}
	return doc;
}

/* see access.h */
cJSON *access_answer_new(app_thread *t, const char *access_token, const char *scope)
{
	cJSON *doc = access_answer_add(cJSON_CreateObject(), "access_token", access_token);

	doc = access_answer_add(doc, "token_type", "Bearer");
	if (doc && !cJSON_AddNumberToObject(doc, "expires_in", (double)t->app->cfg->token_ttl)) {
		cJSON_Delete(doc);
		return NULL;
	}
	return scope && *scope ? access_answer_add(doc, "scope", scope) : doc;
}

/* see access.h */
void access_answer_send(h2o_req_t *req, cJSON *doc)
{
	response_add_header(req, "pragma", "no-cache");
	response_send_cjson(req, 200, doc);
}
