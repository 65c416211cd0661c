/*
 * jwt.c: JWT claim validation after jose_jws_verify (see jose_jwt.h).
 *
 * The order and wording follow jose's jwtVerify (v5) so a caller switching from
 * jose sees the same error code, claim name and message for the same token:
 * typ, presence (implied claims, then required ones last first), iss, sub,
 * aud, iat's type, nbf, exp, max age.
 */
#include <math.h>
#include <string.h>
#include <strings.h>

#include "inner.h"

/* typ comparison of RFC 8725 §3.11: case-insensitive, "application/" optional. */
static const char *typ_body(const char *t)
{
	return strncasecmp(t, "application/", 12) == 0 ? t + 12 : t;
}

static int in_list(const char *v, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (list[i] && strcmp(v, list[i]) == 0)
			return 1;
	return 0;
}

/* see jose_jwt.h */
int jose_jwt_aud_any(const cJSON *aud, int (*accept)(void *ctx, const char *value), void *ctx)
{
	const cJSON *a;

	if (cJSON_IsString(aud))
		return accept(ctx, aud->valuestring) != 0;
	if (!cJSON_IsArray(aud))
		return 0;
	cJSON_ArrayForEach(a, aud)
	{
		if (cJSON_IsString(a) && accept(ctx, a->valuestring))
			return 1;
	}
	return 0;
}

/* An accept of jose_jwt_aud_any: the value is one of the caller's audiences. */
static int wanted_aud(void *ctx, const char *v)
{
	const jose_jwt_opts *o = ctx;

	return in_list(v, o->audiences, o->n_audiences);
}

static jose_err claim_fail(jose_fail *why, const char *reason, const char *claim)
{
	return jose_fail_set(why, JOSE_E_CLAIM, reason, claim);
}

/*
 * Presence: the claims the options imply, then the required ones from the last
 * listed to the first (jose builds [...required, implied] and checks it reversed).
 */
static jose_err check_required(const cJSON *p, const jose_jwt_opts *o, jose_fail *why)
{
	static const struct {
		const char *name, *reason;
	} implied[] = {
	    {"iss", "missing required \"iss\" claim"},
	    {"sub", "missing required \"sub\" claim"},
	    {"aud", "missing required \"aud\" claim"},
	    {"iat", "missing required \"iat\" claim"},
	};
	int need[4] = {o->n_issuers > 0, o->subject != NULL, o->n_audiences > 0, o->has_max_age};

	for (int i = 0; i < 4; i++)
		if (need[i] && !jose_json_member(p, implied[i].name))
			return claim_fail(why, implied[i].reason, implied[i].name);
	for (size_t i = o->n_required; i-- > 0;)
		if (o->required[i] && !jose_json_member(p, o->required[i]))
			return claim_fail(why, "missing required claim", o->required[i]);
	return JOSE_OK;
}

static jose_err check_identity(const cJSON *p, const jose_jwt_opts *o, jose_fail *why)
{
	const char *iss = jose_json_string(p, "iss"), *sub = jose_json_string(p, "sub");

	if (o->n_issuers && (!iss || !in_list(iss, o->issuers, o->n_issuers)))
		return claim_fail(why, "unexpected \"iss\" claim value", "iss");
	if (o->subject && (!sub || strcmp(sub, o->subject) != 0))
		return claim_fail(why, "unexpected \"sub\" claim value", "sub");
	if (o->n_audiences && !jose_jwt_aud_any(jose_json_member(p, "aud"), wanted_aud, (void *)o))
		return claim_fail(why, "unexpected \"aud\" claim value", "aud");
	return JOSE_OK;
}

/* A NumericDate member: 1 present (in *v), 0 absent, or a claim failure. */
static int read_date(const cJSON *p, const char *name, double *v, jose_fail *why, jose_err *err)
{
	static const struct {
		const char *name, *reason;
	} reasons[] = {
	    {"iat", "\"iat\" claim must be a number"},
	    {"nbf", "\"nbf\" claim must be a number"},
	    {"exp", "\"exp\" claim must be a number"},
	};
	int rc = jose_json_numericdate(p, name, v);

	for (size_t i = 0; rc < 0 && i < 3; i++)
		if (strcmp(name, reasons[i].name) == 0)
			*err = claim_fail(why, reasons[i].reason, name);
	return rc;
}

static jose_err check_max_age(double iat, double now, double tol, const jose_jwt_opts *o, jose_fail *why)
{
	double age = now - iat;

	if (age - tol > (double)o->max_age + o->max_age_frac)
		return jose_fail_set(why, JOSE_E_JWT_EXPIRED,
		                     "\"iat\" claim timestamp check failed (too far in the past)", "iat");
	if (age < 0 - tol)
		return claim_fail(why, "\"iat\" claim timestamp check failed (it should be in the past)",
		                  "iat");
	return JOSE_OK;
}

/* iat's type, nbf, exp, then the maximum age: jose's order. */
static jose_err check_times(const cJSON *p, const jose_jwt_opts *o, jose_fail *why)
{
	double iat = 0, nbf = 0, exp = 0, now = (double)o->now, tol = (double)o->leeway + o->leeway_frac;
	jose_err err = JOSE_OK;

	if (read_date(p, "iat", &iat, why, &err) < 0)
		return err;
	switch (read_date(p, "nbf", &nbf, why, &err)) {
	case -1:
		return err;
	case 1:
		if (nbf > now + tol)
			return claim_fail(why, "\"nbf\" claim timestamp check failed", "nbf");
	}
	switch (read_date(p, "exp", &exp, why, &err)) {
	case -1:
		return err;
	case 1:
		if (exp <= now - tol)
			return jose_fail_set(why, JOSE_E_JWT_EXPIRED, "\"exp\" claim timestamp check failed",
			                     "exp");
	}
	if (o->has_max_age && o->max_age >= 0)
		return check_max_age(iat, now, tol, o, why);
	return JOSE_OK;
}

/* see jose_jwt.h */
jose_err jose_jwt_check_claims(const cJSON *header, const cJSON *payload, const jose_jwt_opts *o,
                               jose_fail *why)
{
	const char *typ = jose_json_string(header, "typ");
	jose_err err;

	if (!o || !cJSON_IsObject(header) || !isfinite(o->leeway_frac) || !isfinite(o->max_age_frac))
		return JOSE_E_ARG;
	if (!cJSON_IsObject(payload))
		return jose_fail_set(why, JOSE_E_JWT_INVALID, NULL, NULL);
	if (o->typ && (!typ || strcasecmp(typ_body(typ), typ_body(o->typ)) != 0))
		return claim_fail(why, "unexpected \"typ\" JWT header value", "typ");
	if ((err = check_required(payload, o, why)) != JOSE_OK ||
	    (err = check_identity(payload, o, why)) != JOSE_OK)
		return err;
	return check_times(payload, o, why);
}

/* see jose_jwt.h */
jose_err jose_jwt_verify(const jose_jwks *keys, const jose_jwt_opts *opts, const char *token, size_t len,
                         jose_jwt *out, jose_fail *why)
{
	jose_jws jws;
	cJSON *payload = NULL;
	jose_err err;

	if (out)
		memset(out, 0, sizeof *out);
	if (!opts || !out)
		return JOSE_E_ARG;
	err = jose_jws_verify(keys, opts->algs, token, len, &jws, why);
	if (err != JOSE_OK)
		return err;
	err = jose_json_parse((const char *)jws.payload, jws.payload_len, JOSE_JSON_MAX_DEPTH,
	                      JOSE_E_JWT_INVALID, &payload);
	if (err == JOSE_E_JWT_INVALID)
		jose_fail_set(why, err, "JWT Claims Set must be a strict top-level JSON object", NULL);
	if (err == JOSE_OK)
		err = jose_jwt_check_claims(jws.header, payload, opts, why);
	if (err == JOSE_OK) {
		out->header = jws.header;
		out->payload = payload;
		out->alg = jws.alg;
		out->key_index = jws.key_index;
		jws.header = NULL;
		payload = NULL;
	}
	cJSON_Delete(payload);
	jose_jws_clear(&jws);
	return err;
}

/* see jose_jwt.h */
void jose_jwt_clear(jose_jwt *jwt)
{
	if (!jwt)
		return;
	cJSON_Delete(jwt->header);
	cJSON_Delete(jwt->payload);
	memset(jwt, 0, sizeof *jwt);
}
