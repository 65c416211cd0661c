/*
 * api.c: the C side of the WebAssembly verifier: a verifier object holding an
 * imported key set and checked options, built once; verify calls that pass
 * only the token and the clock. The JS loader (../index.js) owns every buffer
 * it hands in and frees it; nothing here keeps a pointer into JS-owned memory
 * after returning. Results are error codes and pointers to static strings, so
 * a successful verification allocates nothing that JS has to free.
 */
#include <stdlib.h>
#include <string.h>

#include "jose.h"

#define EXPORT __attribute__((visibility("default"), used))

/* Most values one list option (issuer, audience, requiredClaims) may hold. */
#define LIST_MAX 32

/*
 * Where a successful verification left the decoded header and claims (JSON
 * text), for JS to read with one TextDecoder call each. Valid until the next
 * verify on the same verifier.
 */
typedef struct idb_result {
	const uint8_t *header;
	uint32_t header_len;
	const uint8_t *payload;
	uint32_t payload_len;
} idb_result;

typedef struct idb_verifier {
	jose_jwks *keys;
	uint8_t *payload; /* decoded claims of the last valid token */
	uint8_t header[JOSE_B64URL_DECODED_MAX(JOSE_HEADER_MAX_LEN)];
	cJSON *doc; /* the options document: owns the strings opts points to */
	jose_jwt_opts opts;
	const char *issuers[LIST_MAX], *audiences[LIST_MAX], *required[LIST_MAX];
} idb_verifier;

EXPORT void *idb_malloc(size_t n)
{
	return malloc(n ? n : 1);
}

EXPORT void idb_free(void *p)
{
	free(p);
}

/* The jose code string of err ("ERR_JWT_EXPIRED"). */
EXPORT const char *idb_err_code(int err)
{
	return jose_err_code((jose_err)err);
}

/* Read a list option: a string or an array of strings into out[]. */
static int read_list(const cJSON *doc, const char *name, const char **out, size_t *n)
{
	const cJSON *v = jose_json_member(doc, name), *it;

	*n = 0;
	if (!v)
		return 0;
	if (cJSON_IsString(v)) {
		out[(*n)++] = v->valuestring;
		return 0;
	}
	if (!cJSON_IsArray(v))
		return -1;
	cJSON_ArrayForEach(it, v)
	{
		if (!cJSON_IsString(it) || *n == LIST_MAX)
			return -1;
		out[(*n)++] = it->valuestring;
	}
	return 0;
}

static int read_seconds(const cJSON *doc, const char *name, int64_t *out, int *present)
{
	const cJSON *v = jose_json_member(doc, name);

	if (!v)
		return 0;
	if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0) || v->valuedouble > JOSE_NUMERICDATE_MAX)
		return -1;
	*out = (int64_t)v->valuedouble;
	if (present)
		*present = 1;
	return 0;
}

/* The algorithms option: an array of names, every one supported. */
static int read_algs(const cJSON *doc, uint32_t *mask)
{
	const cJSON *v = jose_json_member(doc, "algorithms"), *it;

	*mask = 0;
	if (!v)
		return 0;
	if (!cJSON_IsArray(v) || !v->child)
		return -1;
	cJSON_ArrayForEach(it, v)
	{
		int a =
		    cJSON_IsString(it) ? jose_alg_from_name(it->valuestring, strlen(it->valuestring)) : -1;
		if (a < 0)
			return -1;
		*mask |= JOSE_ALG_BIT(a);
	}
	return 0;
}

static int read_opts(idb_verifier *v)
{
	jose_jwt_opts *o = &v->opts;
	const cJSON *sub = jose_json_member(v->doc, "subject"), *typ = jose_json_member(v->doc, "typ");

	if (!cJSON_IsObject(v->doc) || read_algs(v->doc, &o->algs) ||
	    read_list(v->doc, "issuer", v->issuers, &o->n_issuers) ||
	    read_list(v->doc, "audience", v->audiences, &o->n_audiences) ||
	    read_list(v->doc, "requiredClaims", v->required, &o->n_required) ||
	    read_seconds(v->doc, "clockTolerance", &o->leeway, NULL) ||
	    read_seconds(v->doc, "maxTokenAge", &o->max_age, &o->has_max_age) ||
	    (sub && !cJSON_IsString(sub)) || (typ && !cJSON_IsString(typ)))
		return -1;
	o->issuers = v->issuers, o->audiences = v->audiences, o->required = v->required;
	o->subject = sub ? sub->valuestring : NULL;
	o->typ = typ ? typ->valuestring : NULL;
	return 0;
}

EXPORT void idb_verifier_free(idb_verifier *v)
{
	if (!v)
		return;
	jose_jwks_free(v->keys);
	cJSON_Delete(v->doc);
	free(v->payload);
	free(v);
}

/*
 * Build a verifier from a JWK Set (or one JWK) and an options document (see
 * index.js: jose's option names, normalised to seconds and arrays). Returns
 * JOSE_OK with *out set, JOSE_E_ARG for bad options, or the import verdict.
 */
EXPORT int idb_verifier_new(const char *keys, size_t keys_len, const char *opts, size_t opts_len,
                            idb_verifier **out, jose_fail *why)
{
	idb_verifier *v = calloc(1, sizeof *v);
	jose_err err = JOSE_E_NOMEM;

	*out = NULL;
	if (!v)
		return err;
	err = jose_json_parse(opts, opts_len, JOSE_JSON_MAX_DEPTH, JOSE_E_ARG, &v->doc);
	if (err == JOSE_OK && read_opts(v))
		err = JOSE_E_ARG;
	if (err == JOSE_OK)
		err = jose_jwks_import(keys, keys_len, &v->keys, why);
	if (err != JOSE_OK) {
		idb_verifier_free(v);
		return err;
	}
	*out = v;
	return JOSE_OK;
}

/* The claims of a signature-verified JWS: strict JSON object, then the rules. */
static jose_err check_claims(idb_verifier *v, const jose_jws *jws, jose_fail *why)
{
	cJSON *claims = NULL;
	jose_err err = jose_json_parse((const char *)jws->payload, jws->payload_len, JOSE_JSON_MAX_DEPTH,
	                               JOSE_E_JWT_INVALID, &claims);

	if (err == JOSE_E_JWT_INVALID)
		jose_fail_set(why, err, "JWT Claims Set must be a strict top-level JSON object", NULL);
	if (err == JOSE_OK)
		err = jose_jwt_check_claims(jws->header, claims, &v->opts, why);
	cJSON_Delete(claims);
	return err;
}

/*
 * Verify one token at time now (Unix seconds): jose_jwt_verify's steps, keeping
 * the decoded header and claims for JS in *out. Returns JOSE_OK or an error,
 * with why saying why.
 */
EXPORT int idb_verify(idb_verifier *v, const char *token, size_t len, double now, jose_fail *why,
                      idb_result *out)
{
	const char *dot = memchr(token, '.', len);
	size_t hlen = 0;
	jose_jws jws;
	jose_err err;

	memset(why, 0, sizeof *why);
	memset(out, 0, sizeof *out);
	v->opts.now = (int64_t)now;
	err = jose_jws_verify(v->keys, v->opts.algs, token, len, &jws, why);
	if (err == JOSE_OK)
		err = check_claims(v, &jws, why);
	/* The header segment was decoded once already; doing it again is cheaper than keeping it. */
	if (err == JOSE_OK &&
	    jose_b64url_decode(v->header, sizeof v->header, &hlen, token, (size_t)(dot - token)))
		err = JOSE_E_INTERNAL;
	if (err == JOSE_OK) {
		free(v->payload);
		v->payload = jws.payload;
		jws.payload = NULL;
		*out = (idb_result){v->header, (uint32_t)hlen, v->payload, (uint32_t)jws.payload_len};
	}
	jose_jws_clear(&jws);
	return err;
}
