/*
 * api.c: the C side of the WebAssembly verifier: a verifier object holding an
 * imported key set and checked options, built once; verify calls that pass
 * only the token and the clock. The JS loader (../index.js) owns every buffer
 * it hands in and frees it; nothing here keeps a pointer into JS-owned memory
 * after returning. Results are error codes and pointers to static strings, so
 * a successful verification allocates nothing that JS has to free.
 *
 * Two modules are built from this file: the full one (IDB_WASM_CRYPTO: wolfCrypt
 * does the arithmetic, or the host does with wolfCrypt behind it) and the small
 * one (the host always does: host.c).
 */
#include <stdlib.h>
#include <string.h>

#include "host.h"
#include "inner.h"

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
	uint32_t key_index;    /* position in the key set of the key that verified */
	uint32_t header_fills; /* changes whenever the header text may have: JS reuses its last reading */
} idb_result;

/*
 * Bytes of a verifier's arena for the claims tree of one token (a JWT of a
 * few hundred bytes of claims needs a few KiB); larger trees spill to malloc.
 */
#define ARENA_SIZE (16 * 1024)

/*
 * A bump allocator for cJSON while one claims tree lives: cJSON allocates every
 * node and string apart, and those calls cost more than the parse. Reset after
 * each token; what does not fit goes to malloc and back to free.
 */
typedef struct arena {
	size_t used;
	_Alignas(16) uint8_t bytes[ARENA_SIZE];
} arena;

typedef struct idb_verifier {
	jose_jwks *keys;
	jose_jws_cache cache; /* the last header that passed, and the last payload */
	cJSON *doc;           /* the options document: owns the strings opts points to */
	jose_jwt_opts opts;
	const char *issuers[LIST_MAX], *audiences[LIST_MAX], *required[LIST_MAX];
	arena arena;
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

#ifdef IDB_WASM_CRYPTO
/* Present in the full module only: the loader tells the two modules apart by it. */
EXPORT int idb_wasm_crypto(void)
{
	return 1;
}
#endif

/*
 * The digest of in[0..len) under the hash of alg (HS256: SHA-256, HS384,
 * HS512) into out. For JWK thumbprints (RFC 7638). 0 or -1.
 */
EXPORT int idb_digest(int alg, const uint8_t *in, size_t len, uint8_t *out)
{
	return alg >= JOSE_ALG_HS256 && alg <= JOSE_ALG_HS512 &&
	               jose_digest((jose_alg)alg, in, len, out) == JOSE_OK
	           ? 0
	           : -1;
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

/* A finite number option (jose's seconds may be fractional or negative). */
static int read_number(const cJSON *doc, const char *name, double *out, int *present)
{
	const cJSON *v = jose_json_member(doc, name);

	if (!v)
		return 0;
	if (!cJSON_IsNumber(v) || !(v->valuedouble >= -JOSE_NUMERICDATE_MAX) ||
	    !(v->valuedouble <= JOSE_NUMERICDATE_MAX))
		return -1;
	*out = v->valuedouble;
	*present = 1;
	return 0;
}

/*
 * clockTolerance and maxTokenAge, in seconds as jose means them: the whole
 * value goes to the fractional fields (jose_jwt.h adds them). An unchecked
 * maximum age (jose's maxTokenAge: 0) still requires "iat".
 */
static int read_times(const cJSON *doc, jose_jwt_opts *o)
{
	double tol = 0, age = 0;
	int has_tol = 0, has_age = 0;
	const cJSON *checked = jose_json_member(doc, "maxTokenAgeChecked");

	if (read_number(doc, "clockTolerance", &tol, &has_tol) ||
	    read_number(doc, "maxTokenAge", &age, &has_age) || (checked && !cJSON_IsBool(checked)))
		return -1;
	o->leeway = 0, o->leeway_frac = tol;
	o->has_max_age = has_age;
	o->max_age = has_age && cJSON_IsTrue(checked) ? 0 : -1;
	o->max_age_frac = age;
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
	    read_list(v->doc, "requiredClaims", v->required, &o->n_required) || read_times(v->doc, o) ||
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
	jose_jws_cache_clear(&v->cache);
	jose_jwks_free(v->keys);
	cJSON_Delete(v->doc);
	free(v);
}

/*
 * Build a verifier from a JWK Set (or one JWK) and an options document (see
 * index.js: jose's option names, checked there and normalised to seconds and
 * arrays), with the host's arithmetic when host is non-zero (always, in the
 * small module). Returns JOSE_OK with *out set, JOSE_E_ARG for bad options,
 * JOSE_E_NOT_SUPPORTED when the small module's host cannot use a key, or the
 * import verdict.
 */
EXPORT int idb_verifier_new(const char *keys, size_t keys_len, const char *opts, size_t opts_len, int host,
                            idb_verifier **out, jose_fail *why)
{
	idb_verifier *v = calloc(1, sizeof *v);
	jose_err err = JOSE_E_NOMEM;
#ifdef IDB_WASM_CRYPTO
	const jose_sig_ops *ops = host ? &idb_sig_host : &idb_sig_defer;
#else
	const jose_sig_ops *ops = &idb_sig_host;
	(void)host;
#endif

	*out = NULL;
	if (!v)
		return err;
	err = jose_json_parse(opts, opts_len, JOSE_JSON_MAX_DEPTH, JOSE_E_ARG, &v->doc);
	if (err == JOSE_OK && read_opts(v))
		err = JOSE_E_ARG;
	if (err == JOSE_OK)
		err = jose_jwks_import_ops(keys, keys_len, ops, &v->keys, why);
	if (err != JOSE_OK) {
		idb_verifier_free(v);
		return err;
	}
	*out = v;
	return JOSE_OK;
}

/*
 * Check a detached signature sig over msg with the first usable key of v that
 * may verify alg: the signature primitive alone, as the package's tests run
 * Wycheproof's primitive vectors through each backend. JOSE_OK or an error.
 */
EXPORT int idb_key_verify(idb_verifier *v, int alg, const uint8_t *msg, size_t len, const uint8_t *sig,
                          size_t sig_len)
{
	for (size_t i = 0; alg >= 0 && alg < JOSE_ALG_COUNT && i < v->keys->n; i++) {
		const jose_key *k = &v->keys->keys[i];
		if (!k->dead && (k->algs & JOSE_ALG_BIT(alg)))
			return jose_key_verify(k, (jose_alg)alg, msg, len, sig, sig_len);
	}
	return JOSE_E_NO_MATCHING_KEY;
}

/*
 * The arena cJSON allocates from while check_claims runs. The module is single
 * threaded and check_claims does not nest, so one pointer says where to.
 */
static arena *current;

static void *arena_alloc(size_t n)
{
	size_t at = (current->used + 15) & ~(size_t)15;

	if (n <= ARENA_SIZE && at <= ARENA_SIZE - n) {
		current->used = at + n;
		return current->bytes + at;
	}
	return malloc(n);
}

static void arena_free(void *p)
{
	if ((uint8_t *)p < current->bytes || (uint8_t *)p >= current->bytes + ARENA_SIZE)
		free(p);
}

/*
 * The claims of a signature-verified JWS: strict JSON object, then the rules,
 * with only the members the rules read built (JS parses the text for the caller).
 */
static jose_err check_claims(idb_verifier *v, const jose_jws *jws, jose_fail *why)
{
	cJSON_Hooks hooks = {arena_alloc, arena_free};
	jose_err err;

	current = &v->arena;
	current->used = 0;
	cJSON_InitHooks(&hooks);
	err = jose_jwt_check_claims_text(jws->header, jws->payload, jws->payload_len, &v->opts, why);
	cJSON_InitHooks(NULL);
	return err;
}

/*
 * Verify one token at time now (Unix seconds): jose_jwt_verify's steps, keeping
 * the decoded header and claims for JS in *out (valid until the next verify on
 * v). Returns JOSE_OK or an error, with why saying why.
 */
EXPORT int idb_verify(idb_verifier *v, const char *token, size_t len, double now, jose_fail *why,
                      idb_result *out)
{
	jose_jws jws;
	jose_err err;

	memset(why, 0, sizeof *why);
	memset(out, 0, sizeof *out);
	v->opts.now = (int64_t)now;
	err = jose_jws_verify_cached(v->keys, v->opts.algs, token, len, &v->cache, &jws, why);
	if (err == JOSE_OK)
		err = check_claims(v, &jws, why);
	if (err == JOSE_OK)
		*out = (idb_result){v->cache.text,
		                    (uint32_t)v->cache.text_len,
		                    jws.payload,
		                    (uint32_t)jws.payload_len,
		                    (uint32_t)jws.key_index,
		                    v->cache.fills};
	jose_jws_clear(&jws);
	return err;
}
