/*
 * jws.c: compact JWS verification (see jose_jws.h for the order of checks).
 *
 * Before the signature is checked, only the protected header is interpreted;
 * the payload is just base64url-decoded and handed back. Header and signature
 * are decoded into stack buffers; the only allocations are cJSON's tree of the
 * header and the payload buffer the caller receives (with a jose_jws_cache,
 * neither once the cache holds the header: its buffers are reused).
 */
#include <stdlib.h>
#include <string.h>

#ifdef __wasm_simd128__
#include <wasm_simd128.h>
#endif

#include "inner.h"

/* Largest signature: an RSA-4096 block. */
#define SIG_MAX (JOSE_RSA_MAX_BITS / 8)

typedef struct parts {
	const char *h, *p, *s;
	size_t hlen, plen, slen;
} parts;

/* The first '.' in [p, end), or NULL (16 bytes a step with WebAssembly SIMD). */
static const char *find_dot(const char *p, const char *end)
{
#ifdef __wasm_simd128__
	for (; end - p >= 16; p += 16) {
		uint32_t at = wasm_i8x16_bitmask(wasm_i8x16_eq(wasm_v128_load(p), wasm_i8x16_splat('.')));
		if (at)
			return p + __builtin_ctz(at);
	}
#endif
	return memchr(p, '.', (size_t)(end - p));
}

/* Exactly three segments, the header non-empty (an empty signature is refused
 * after the header's alg, so "alg":"none" gets its own error). */
static jose_err split(const char *t, size_t len, parts *o, jose_fail *why)
{
	const char *end = t + len, *d1 = find_dot(t, end), *d2;

	if (len > JOSE_TOKEN_MAX_LEN)
		return jose_fail_set(why, JOSE_E_JWS_INVALID, "token larger than 64 KiB", NULL);
	if (!d1 || !(d2 = find_dot(d1 + 1, end)) || find_dot(d2 + 1, end))
		return jose_fail_set(why, JOSE_E_JWS_INVALID, "Invalid Compact JWS: need three parts", NULL);
	o->h = t, o->hlen = (size_t)(d1 - t);
	o->p = d1 + 1, o->plen = (size_t)(d2 - d1 - 1);
	o->s = d2 + 1, o->slen = len - (size_t)(d2 + 1 - t);
	if (o->hlen == 0)
		return jose_fail_set(why, JOSE_E_JWS_INVALID, "Invalid Compact JWS: empty header", NULL);
	if (o->hlen > JOSE_HEADER_MAX_LEN)
		return jose_fail_set(why, JOSE_E_JWS_INVALID, "JWS Protected Header too large", NULL);
	return JOSE_OK;
}

/* Decoded header text: JOSE_B64URL_DECODED_MAX(JOSE_HEADER_MAX_LEN) bytes. */
#define HEADER_TEXT_MAX JOSE_B64URL_DECODED_MAX(JOSE_HEADER_MAX_LEN)

/* Decode (into buf, HEADER_TEXT_MAX bytes) and strictly parse the protected header; it must be a JSON object.
 */
static jose_err parse_header(const parts *t, uint8_t *buf, size_t *n, cJSON **hdr, jose_fail *why)
{
	jose_err err;

	if (jose_b64url_decode(buf, HEADER_TEXT_MAX, n, t->h, t->hlen))
		return jose_fail_set(why, JOSE_E_JWS_INVALID, "JWS Protected Header is not base64url", NULL);
	err = jose_json_parse((const char *)buf, *n, JOSE_JSON_MAX_DEPTH, JOSE_E_JWS_INVALID, hdr);
	if (err == JOSE_OK && !cJSON_IsObject(*hdr)) {
		cJSON_Delete(*hdr);
		*hdr = NULL;
		err = JOSE_E_JWS_INVALID;
	}
	if (err == JOSE_E_JWS_INVALID)
		jose_fail_set(why, err, "JWS Protected Header must be a strict JSON object", NULL);
	return err;
}

static int registered(const char *name)
{
	static const char *const names[] = {"alg",      "jku", "jwk", "kid",  "x5u", "x5c", "x5t",
	                                    "x5t#S256", "typ", "cty", "crit", "enc", "zip"};

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(name, names[i]) == 0)
			return 1;
	return 0;
}

/* RFC 7515 §4.1.11: we understand no extension, so any well-formed crit rejects. */
static jose_err check_crit(const cJSON *hdr, jose_fail *why)
{
	const cJSON *crit = jose_json_member(hdr, "crit"), *c;

	if (!crit)
		return JOSE_OK;
	if (!cJSON_IsArray(crit) || !crit->child)
		return jose_fail_set(why, JOSE_E_JWS_INVALID, "\"crit\" must be a non-empty array of strings",
		                     NULL);
	cJSON_ArrayForEach(c, crit)
	{
		if (!cJSON_IsString(c) || registered(c->valuestring))
			return jose_fail_set(why, JOSE_E_JWS_INVALID,
			                     "\"crit\" must list extension names only", NULL);
		if (!jose_json_member(hdr, c->valuestring))
			return jose_fail_set(why, JOSE_E_JWS_INVALID,
			                     "\"crit\" lists a missing Header Parameter", NULL);
	}
	return jose_fail_set(why, JOSE_E_NOT_SUPPORTED,
	                     "Extension Header Parameter in \"crit\" is not recognized", NULL);
}

/* alg, kid, b64, crit. Sets *alg. */
static jose_err check_header(const cJSON *hdr, uint32_t allowed, jose_alg *alg, jose_fail *why)
{
	const cJSON *a = jose_json_member(hdr, "alg"), *kid = jose_json_member(hdr, "kid"),
	            *b64 = jose_json_member(hdr, "b64");
	int n;

	if (!cJSON_IsString(a))
		return jose_fail_set(why, JOSE_E_JWS_INVALID,
		                     "JWS \"alg\" (Algorithm) Header Parameter missing or invalid", NULL);
	if (kid && !cJSON_IsString(kid))
		return jose_fail_set(why, JOSE_E_JWS_INVALID, "JWS \"kid\" Header Parameter must be a string",
		                     NULL);
	if (b64 && !cJSON_IsBool(b64))
		return jose_fail_set(why, JOSE_E_JWS_INVALID,
		                     "JWS \"b64\" Header Parameter must be a boolean", NULL);
	n = jose_alg_from_name(a->valuestring, strlen(a->valuestring));
	if (n < 0 || !(allowed & JOSE_ALG_BIT(n)))
		return jose_fail_set(why, JOSE_E_ALG_NOT_ALLOWED, NULL, NULL);
	*alg = (jose_alg)n;
	if (cJSON_IsFalse(b64))
		return jose_fail_set(why, JOSE_E_NOT_SUPPORTED,
		                     "unencoded payloads (\"b64\": false) are not supported", NULL);
	return check_crit(hdr, why);
}

/*
 * The one key that may verify: kid equal (when the token names one), kty of
 * the algorithm's family, usable for alg. A dead or too-short key that would
 * otherwise have matched turns "no key" into that key's precise error.
 */
static jose_err select_key(const jose_jwks *set, const char *kid, jose_alg alg, const jose_key **out,
                           jose_fail *why)
{
	const jose_key *found = NULL, *refused = NULL;
	size_t count = 0;

	for (size_t i = 0; i < set->n; i++) {
		const jose_key *k = &set->keys[i];
		if ((kid && (!k->kid || strcmp(k->kid, kid) != 0)) || k->kty != jose_alg_kty(alg))
			continue;
		if (k->dead || (k->kty == JOSE_KTY_OCT && k->a_len < jose_alg_hash_len(alg) &&
		                (k->algs & JOSE_ALG_BIT(alg)))) {
			refused = k;
			continue;
		}
		if (k->algs & JOSE_ALG_BIT(alg))
			found = k, count++;
	}
	if (count > 1)
		return jose_fail_set(why, JOSE_E_MULTIPLE_KEYS, NULL, NULL);
	if (count == 1) {
		*out = found;
		return JOSE_OK;
	}
	if (refused)
		return jose_fail_set(
		    why, JOSE_E_JWK_INVALID,
		    refused->dead ? refused->dead_why : "HMAC key shorter than the hash output", NULL);
	return jose_fail_set(why, JOSE_E_NO_MATCHING_KEY, NULL, NULL);
}

/* Decode the payload into *out (NUL-terminated), grown as needed (*cap bytes; 0: a new buffer). */
static jose_err decode_payload(const parts *t, uint8_t **out, size_t *cap, size_t *len, jose_fail *why)
{
	size_t need = JOSE_B64URL_DECODED_MAX(t->plen) + 1;

	if (need > *cap) {
		uint8_t *p = realloc(*out, need);
		if (!p)
			return JOSE_E_NOMEM;
		*out = p, *cap = need;
	}
	if (jose_b64url_decode(*out, *cap, len, t->p, t->plen) == 0) {
		(*out)[*len] = 0;
		return JOSE_OK;
	}
	return jose_fail_set(why, JOSE_E_JWS_INVALID, "JWS Payload is not base64url", NULL);
}

static jose_err check_signature(const jose_key *k, jose_alg alg, const parts *t, jose_fail *why)
{
	uint8_t sig[SIG_MAX];
	size_t n;
	jose_err err;

	if (t->slen == 0)
		return jose_fail_set(why, JOSE_E_JWS_INVALID, "Invalid Compact JWS: empty signature", NULL);
	if (t->slen > JOSE_B64URL_ENCODED_LEN(SIG_MAX))
		return jose_fail_set(why, JOSE_E_SIG_FAILED, NULL, NULL);
	if (jose_b64url_decode(sig, sizeof sig, &n, t->s, t->slen))
		return jose_fail_set(why, JOSE_E_JWS_INVALID, "JWS Signature is not base64url", NULL);
	err = jose_key_verify(k, alg, (const uint8_t *)t->h, t->hlen + 1 + t->plen, sig, n);
	return err == JOSE_E_SIG_FAILED ? jose_fail_set(why, err, NULL, NULL) : err;
}

/* Everything the header segment decides: its parse, alg, crit, b64, and the key. */
static jose_err check_head(const jose_jwks *keys, uint32_t allowed, const parts *t, uint8_t *text,
                           size_t *text_len, cJSON **hdr, jose_alg *alg, const jose_key **key, jose_fail *why)
{
	jose_err err;

	if ((err = parse_header(t, text, text_len, hdr, why)) != JOSE_OK ||
	    (err = check_header(*hdr, allowed, alg, why)) != JOSE_OK ||
	    (err = select_key(keys, jose_json_string(*hdr, "kid"), *alg, key, why)) != JOSE_OK) {
		cJSON_Delete(*hdr);
		*hdr = NULL;
	}
	return err;
}

/* see jose_jws.h */
jose_err jose_jws_verify(const jose_jwks *keys, uint32_t allowed, const char *token, size_t len,
                         jose_jws *out, jose_fail *why)
{
	uint8_t text[HEADER_TEXT_MAX], *payload = NULL;
	const jose_key *key = NULL;
	cJSON *hdr = NULL;
	size_t plen = 0, cap = 0, tlen;
	jose_alg alg = JOSE_ALG_HS256;
	parts t;
	jose_err err;

	if (out)
		memset(out, 0, sizeof *out);
	if (!keys || !out || (!token && len))
		return JOSE_E_ARG;
	allowed = allowed ? allowed & JOSE_ALGS_ALL : JOSE_ALGS_ALL;
	if ((err = split(token ? token : "", len, &t, why)) != JOSE_OK ||
	    (err = check_head(keys, allowed, &t, text, &tlen, &hdr, &alg, &key, why)) != JOSE_OK ||
	    (err = decode_payload(&t, &payload, &cap, &plen, why)) != JOSE_OK ||
	    (err = check_signature(key, alg, &t, why)) != JOSE_OK)
		goto out;
	*out = (jose_jws){hdr, payload, plen, alg, key->index, 0};
	hdr = NULL;
	payload = NULL;
out:
	cJSON_Delete(hdr);
	free(payload);
	return err;
}

/* Fill the cache's header for t, unless it already holds exactly this segment. */
static jose_err cache_head(const jose_jwks *keys, uint32_t allowed, const parts *t, jose_jws_cache *c,
                           jose_fail *why)
{
	const jose_key *key = NULL;
	jose_err err;

	if (c->keys == keys && c->allowed == allowed && c->segment_len == t->hlen && c->header &&
	    memcmp(c->segment, t->h, t->hlen) == 0)
		return JOSE_OK;
	cJSON_Delete(c->header);
	c->header = NULL;
	c->segment_len = 0;
	err = check_head(keys, allowed, t, c->text, &c->text_len, &c->header, &c->alg, &key, why);
	if (err != JOSE_OK)
		return err;
	memcpy(c->segment, t->h, t->hlen);
	c->segment_len = t->hlen;
	c->key = key;
	c->keys = keys;
	c->allowed = allowed;
	c->fills++;
	return JOSE_OK;
}

/* see jose_jws.h */
jose_err jose_jws_verify_cached(const jose_jwks *keys, uint32_t allowed, const char *token, size_t len,
                                jose_jws_cache *cache, jose_jws *out, jose_fail *why)
{
	size_t plen = 0;
	parts t;
	jose_err err;

	if (out)
		memset(out, 0, sizeof *out);
	if (!keys || !out || !cache || (!token && len))
		return JOSE_E_ARG;
	allowed = allowed ? allowed & JOSE_ALGS_ALL : JOSE_ALGS_ALL;
	if ((err = split(token ? token : "", len, &t, why)) != JOSE_OK ||
	    (err = cache_head(keys, allowed, &t, cache, why)) != JOSE_OK ||
	    (err = decode_payload(&t, &cache->payload, &cache->payload_cap, &plen, why)) != JOSE_OK ||
	    (err = check_signature(cache->key, cache->alg, &t, why)) != JOSE_OK)
		return err;
	const jose_key *key = cache->key;
	*out = (jose_jws){cache->header, cache->payload, plen, cache->alg, key->index, 1};
	return JOSE_OK;
}

/* see jose_jws.h */
void jose_jws_cache_clear(jose_jws_cache *cache)
{
	if (!cache)
		return;
	uint32_t fills = cache->fills;

	cJSON_Delete(cache->header);
	free(cache->payload);
	memset(cache, 0, sizeof *cache);
	cache->fills = fills + 1; /* whoever kept the old text must read it again */
}

/* see jose_jws.h */
void jose_jws_clear(jose_jws *jws)
{
	if (!jws)
		return;
	if (!jws->borrowed) {
		cJSON_Delete(jws->header);
		free(jws->payload);
	}
	memset(jws, 0, sizeof *jws);
}

/* see jose_jws.h */
jose_err jose_jws_decode(const char *token, size_t len, cJSON **header, cJSON **payload, jose_fail *why)
{
	uint8_t text[HEADER_TEXT_MAX], *p = NULL;
	size_t plen, cap = 0, tlen;
	parts t;
	jose_err err;

	if (!header || !payload || (!token && len))
		return JOSE_E_ARG;
	*header = *payload = NULL;
	if ((err = split(token ? token : "", len, &t, why)) != JOSE_OK ||
	    (err = parse_header(&t, text, &tlen, header, why)) != JOSE_OK ||
	    (err = decode_payload(&t, &p, &cap, &plen, why)) != JOSE_OK)
		goto out;
	/* A payload that is not a JSON object is simply not returned. */
	if (jose_json_parse((char *)p, plen, JOSE_JSON_MAX_DEPTH, JOSE_E_JWT_INVALID, payload) == JOSE_OK &&
	    !cJSON_IsObject(*payload)) {
		cJSON_Delete(*payload);
		*payload = NULL;
	}
out:
	if (err != JOSE_OK) {
		cJSON_Delete(*header);
		*header = NULL;
	}
	free(p);
	return err;
}
