/*
 * idtoken.c: building and signing ID tokens (see idtoken.h). Claims are the
 * registered ones of OIDC Core §2 and the person's claims the scope allows
 * (claims.h); no scope, no secret. The header says typ "JWT" so an ID token can never pass for an
 * RFC 9068 access token (typ "at+jwt") at /userinfo or a resource server.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wolfssl/wolfcrypt/settings.h>
#include <wolfssl/wolfcrypt/hash.h>

#include "oauth/claims.h"
#include "oauth/idtoken.h"
#include "runtime/factors.h"
#include "jose.h"

/* see idtoken.h */
const char *idtoken_alg(const struct store_client *c)
{
	return c->id_token_alg[0] ? c->id_token_alg : "RS256";
}

/* see idtoken.h */
int idtoken_at_hash(const char *alg, const char *access_token, char out[IDTOKEN_AT_HASH_MAX + 1])
{
	const byte *in = (const byte *)access_token;
	word32 len = (word32)strlen(access_token);
	size_t n = strlen(alg), half;
	byte d[WC_SHA512_DIGEST_SIZE];
	int rc;

	if (strcmp(alg, "EdDSA") == 0 || (n == 5 && strcmp(alg + 2, "512") == 0))
		rc = wc_Sha512Hash(in, len, d), half = WC_SHA512_DIGEST_SIZE / 2;
	else if (n == 5 && strcmp(alg + 2, "384") == 0)
		rc = wc_Sha384Hash(in, len, d), half = WC_SHA384_DIGEST_SIZE / 2;
	else if (n == 5 && strcmp(alg + 2, "256") == 0)
		rc = wc_Sha256Hash(in, len, d), half = WC_SHA256_DIGEST_SIZE / 2;
	else
		return -1;
	return rc == 0 && jose_b64url_encode(out, IDTOKEN_AT_HASH_MAX + 1, d, half) ? 0 : -1;
}

/* amr (RFC 8176 values, OIDC Core §2) as an array, and the acr it amounts to; 0 or -1. */
static int add_amr(cJSON *c, const char *amr)
{
	cJSON *list = cJSON_AddArrayToObject(c, "amr");
	char m[STORE_AMR_MAX + 1];

	for (const char *p = amr; list && *p;) {
		size_t n = strcspn(p, " ");
		snprintf(m, sizeof m, "%.*s", (int)n, p);
		if (!cJSON_AddItemToArray(list, cJSON_CreateString(m)))
			return -1;
		p += n;
		p += *p == ' ';
	}
	return list && cJSON_AddStringToObject(c, "acr", factors_acr(amr)) ? 0 : -1;
}

/* The claims JSON text (malloc'd), or NULL: out of memory never signs a token with claims missing. */
static char *claims_text(app_thread *t, const struct idtoken *it, const char *alg, int64_t now)
{
	char at_hash[IDTOKEN_AT_HASH_MAX + 1];
	cJSON *c = cJSON_CreateObject();
	char *text = NULL;
	int ok = c && cJSON_AddStringToObject(c, "iss", t->app->cfg->issuer) &&
	         cJSON_AddStringToObject(c, "sub", it->sub) &&
	         cJSON_AddStringToObject(c, "aud", it->client->id) &&
	         cJSON_AddNumberToObject(c, "exp", (double)(now + t->app->cfg->token_ttl)) &&
	         cJSON_AddNumberToObject(c, "iat", (double)now) &&
	         cJSON_AddNumberToObject(c, "auth_time", (double)it->auth_time);

	if (ok && it->amr && *it->amr)
		ok = add_amr(c, it->amr) == 0;
	if (ok && it->nonce && *it->nonce)
		ok = cJSON_AddStringToObject(c, "nonce", it->nonce) != NULL;
	if (ok && it->user && it->scope)
		ok = claims_add_user(c, it->user, it->scope) == 0;
	if (ok && it->access_token)
		ok = idtoken_at_hash(alg, it->access_token, at_hash) == 0 &&
		     cJSON_AddStringToObject(c, "at_hash", at_hash) != NULL;
	if (ok)
		text = cJSON_PrintUnformatted(c);
	cJSON_Delete(c);
	return text;
}

/* see idtoken.h */
jose_err idtoken_sign(app_thread *t, const struct idtoken *it, int64_t now, char **token)
{
	const char *alg = idtoken_alg(it->client);
	char *claims;
	jose_err e;

	*token = NULL;
	if (strcmp(alg, "HS256") == 0) /* a shared secret is never an ID token key here */
		return JOSE_E_ARG;
	if (!(claims = claims_text(t, it, alg, now)))
		return JOSE_E_NOMEM;
	e = keyring_sign(t->app->keys, alg, &t->rng, now, "{\"typ\":\"JWT\"}", claims, strlen(claims), token);
	free(claims);
	return e;
}
