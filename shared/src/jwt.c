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

/* The registered claims the rules read, found in one pass over the claims. */
enum { ISS, SUB, AUD, IAT, NBF, EXP, REGISTERED };
static const char *const registered_names[REGISTERED] = {"iss", "sub", "aud", "iat", "nbf", "exp"};

static void index_claims(const cJSON *p, const cJSON *at[REGISTERED])
{
	memset(at, 0, REGISTERED * sizeof at[0]);
	for (const cJSON *c = p->child; c; c = c->next)
		for (int i = 0; i < REGISTERED; i++)
			if (c->string[0] == registered_names[i][0] &&
			    strcmp(c->string, registered_names[i]) == 0) {
				at[i] = c; /* names are unique: jose_json_parse refuses duplicates */
				break;
			}
}

/*
 * Presence: the claims the options imply, then the required ones from the last
 * listed to the first (jose builds [...required, implied] and checks it reversed).
 */
static jose_err check_required(const cJSON *p, const cJSON *const at[REGISTERED], const jose_jwt_opts *o,
                               jose_fail *why)
{
	static const struct {
		int claim;
		const char *reason;
	} implied[] = {
	    {ISS, "missing required \"iss\" claim"},
	    {SUB, "missing required \"sub\" claim"},
	    {AUD, "missing required \"aud\" claim"},
	    {IAT, "missing required \"iat\" claim"},
	};
	int need[4] = {o->n_issuers > 0, o->subject != NULL, o->n_audiences > 0, o->has_max_age};

	for (int i = 0; i < 4; i++)
		if (need[i] && !at[implied[i].claim])
			return claim_fail(why, implied[i].reason, registered_names[implied[i].claim]);
	for (size_t i = o->n_required; i-- > 0;)
		if (o->required[i] && !jose_json_member(p, o->required[i]))
			return claim_fail(why, "missing required claim", o->required[i]);
	return JOSE_OK;
}

static jose_err check_identity(const cJSON *const at[REGISTERED], const jose_jwt_opts *o, jose_fail *why)
{
	const char *iss = cJSON_IsString(at[ISS]) ? at[ISS]->valuestring : NULL;
	const char *sub = cJSON_IsString(at[SUB]) ? at[SUB]->valuestring : NULL;

	if (o->n_issuers && (!iss || !in_list(iss, o->issuers, o->n_issuers)))
		return claim_fail(why, "unexpected \"iss\" claim value", "iss");
	if (o->subject && (!sub || strcmp(sub, o->subject) != 0))
		return claim_fail(why, "unexpected \"sub\" claim value", "sub");
	if (o->n_audiences && !jose_jwt_aud_any(at[AUD], wanted_aud, (void *)o))
		return claim_fail(why, "unexpected \"aud\" claim value", "aud");
	return JOSE_OK;
}

/* A NumericDate claim: 1 present (in *v), 0 absent, -1 not a NumericDate (a claim failure in *err). */
static int read_date(const cJSON *const at[REGISTERED], int claim, double *v, jose_fail *why, jose_err *err)
{
	static const char *const reasons[REGISTERED] = {
	    [IAT] = "\"iat\" claim must be a number",
	    [NBF] = "\"nbf\" claim must be a number",
	    [EXP] = "\"exp\" claim must be a number",
	};
	const cJSON *c = at[claim];

	if (!c)
		return 0;
	if (!cJSON_IsNumber(c) || !isfinite(c->valuedouble) || fabs(c->valuedouble) > JOSE_NUMERICDATE_MAX) {
		*err = claim_fail(why, reasons[claim], registered_names[claim]);
		return -1;
	}
	*v = c->valuedouble;
	return 1;
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
static jose_err check_times(const cJSON *const at[REGISTERED], const jose_jwt_opts *o, jose_fail *why)
{
	double iat = 0, nbf = 0, exp = 0, now = (double)o->now, tol = (double)o->leeway + o->leeway_frac;
	jose_err err = JOSE_OK;

	if (read_date(at, IAT, &iat, why, &err) < 0)
		return err;
	switch (read_date(at, NBF, &nbf, why, &err)) {
	case -1:
		return err;
	case 1:
		if (nbf > now + tol)
			return claim_fail(why, "\"nbf\" claim timestamp check failed", "nbf");
	}
	switch (read_date(at, EXP, &exp, why, &err)) {
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
	const cJSON *at[REGISTERED];
	jose_err err;

	if (!o || !cJSON_IsObject(header) || !isfinite(o->leeway_frac) || !isfinite(o->max_age_frac))
		return JOSE_E_ARG;
	if (!cJSON_IsObject(payload))
		return jose_fail_set(why, JOSE_E_JWT_INVALID, NULL, NULL);
	if (o->typ && (!typ || strcasecmp(typ_body(typ), typ_body(o->typ)) != 0))
		return claim_fail(why, "unexpected \"typ\" JWT header value", "typ");
	index_claims(payload, at);
	if ((err = check_required(payload, at, o, why)) != JOSE_OK ||
	    (err = check_identity(at, o, why)) != JOSE_OK)
		return err;
	return check_times(at, o, why);
}

/* Whether a rule reads this registered claim under options o (iat, nbf and exp are always checked). */
static int claim_asked(const jose_jwt_opts *o, int claim)
{
	switch (claim) {
	case ISS:
		return o->n_issuers > 0;
	case SUB:
		return o->subject != NULL;
	case AUD:
		return o->n_audiences > 0;
	default:
		return 1;
	}
}

/* A keep of jose_json_parse_members: the claims some rule reads (registered or required). */
static int claim_read(void *ctx, const char *name, size_t len)
{
	const jose_jwt_opts *o = ctx;

	for (int i = 0; i < REGISTERED; i++)
		if (len == 3 && memcmp(name, registered_names[i], 3) == 0 && (!o || claim_asked(o, i)))
			return 1;
	for (size_t i = 0; o && i < o->n_required; i++)
		if (o->required[i] && strlen(o->required[i]) == len && memcmp(o->required[i], name, len) == 0)
			return 1;
	return 0;
}

/* see jose_jwt.h */
jose_err jose_jwt_check_claims_text(const cJSON *header, const uint8_t *text, size_t len,
                                    const jose_jwt_opts *o, jose_fail *why)
{
	cJSON *claims = NULL;
	jose_err err = jose_json_parse_members((const char *)text, len, JOSE_JSON_MAX_DEPTH,
	                                       JOSE_E_JWT_INVALID, claim_read, (void *)o, &claims);

	if (err == JOSE_E_JWT_INVALID)
		jose_fail_set(why, err, "JWT Claims Set must be a strict top-level JSON object", NULL);
	if (err == JOSE_OK)
		err = jose_jwt_check_claims(header, claims, o, why);
	cJSON_Delete(claims);
	return err;
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
