/*
 * jose_jws.h: verification of a compact JWS (RFC 7515 §7.1) against a key set.
 *
 * The order is fixed and every step can only reject: split into exactly three
 * strict base64url parts; parse the protected header strictly; "alg" must be a
 * string in the caller's allowlist ("none" never is); unknown "crit" entries and
 * "b64":false reject; "kid" (if any) selects by exact byte match; "jku", "x5u",
 * "jwk", "x5c" are never consulted; exactly one usable key must match alg, kty,
 * curve, size, use and key_ops; then the signature is checked (ECDSA as
 * fixed-length r||s with 1 <= r,s < n; HMAC compared in constant time). The
 * payload is only returned, never parsed, so unsigned data is never interpreted.
 */
#ifndef JOSE_JWS_H
#define JOSE_JWS_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "jose_alg.h"
#include "jose_b64url.h"
#include "jose_err.h"
#include "jose_jwk.h"

/* Longest compact token accepted, in bytes. */
#ifndef JOSE_TOKEN_MAX_LEN
#define JOSE_TOKEN_MAX_LEN (64 * 1024)
#endif

/* Longest encoded protected header accepted, in characters. */
#ifndef JOSE_HEADER_MAX_LEN
#define JOSE_HEADER_MAX_LEN 4096
#endif

/* The result of a successful verification. Free with jose_jws_clear. */
typedef struct jose_jws {
	cJSON *header;    /* the protected header, strictly parsed */
	uint8_t *payload; /* decoded payload bytes, NUL-terminated for convenience */
	size_t payload_len;
	jose_alg alg;
	size_t key_index; /* position in the key set document of the key that verified */
	int borrowed;     /* header and payload belong to a jose_jws_cache */
} jose_jws;

/*
 * What jose_jws_verify_cached keeps between tokens: the last protected header
 * that passed every header rule (its segment, decoded text, parsed tree,
 * algorithm and chosen key) and a payload buffer reused from token to token.
 * Owned by one caller, used by one thread at a time; zero-initialise it, free
 * it with jose_jws_cache_clear. It remembers the key set (by address) and the
 * allowlist it was filled for and starts afresh when either changes; clear it
 * before freeing that key set, since a new set may get the same address.
 */
typedef struct jose_jws_cache {
	char segment[JOSE_HEADER_MAX_LEN]; /* the header segment as it appears in the token */
	size_t segment_len;                /* 0: empty */
	uint8_t text[JOSE_B64URL_DECODED_MAX(JOSE_HEADER_MAX_LEN)]; /* the decoded header (JSON) */
	size_t text_len;
	cJSON *header;
	jose_alg alg;
	const void *key; /* the key the header selects (a jose_key of keys) */
	const jose_jwks *keys;
	uint32_t allowed;
	uint8_t *payload; /* reused buffer: the last verified payload */
	size_t payload_cap;
	uint32_t fills; /* how often the header part was (re)filled: unchanged, text is unchanged */
} jose_jws_cache;

/*
 * Verify token[0..len) with a key of keys whose algorithm is in allowed (a mask
 * of JOSE_ALG_BIT; 0 means every supported algorithm). On JOSE_OK, out is
 * filled and owns its memory; on any error out is left zeroed and why (if not
 * NULL) says what was wrong.
 */
jose_err jose_jws_verify(const jose_jwks *keys, uint32_t allowed, const char *token, size_t len,
                         jose_jws *out, jose_fail *why);

/*
 * jose_jws_verify, with cache: a token whose header segment is byte for byte
 * the last one that passed skips its decoding, parsing and key selection (the
 * header rules depend on nothing else), and the payload is decoded into the
 * cache's buffer. Same verdicts, codes and reasons as jose_jws_verify. On
 * JOSE_OK, out->header and out->payload are the cache's (out->borrowed), valid
 * until the next call with this cache.
 */
jose_err jose_jws_verify_cached(const jose_jwks *keys, uint32_t allowed, const char *token, size_t len,
                                jose_jws_cache *cache, jose_jws *out, jose_fail *why);

/* Free what a cache holds and zero it; NULL is accepted. */
void jose_jws_cache_clear(jose_jws_cache *cache);

/* Free what a successful jose_jws_verify put in jws, and zero it. */
void jose_jws_clear(jose_jws *jws);

/*
 * Decode without verifying (for display only, never for a decision): header
 * and, when it is a JSON object, payload. Returns JOSE_OK or a verdict.
 */
jose_err jose_jws_decode(const char *token, size_t len, cJSON **header, cJSON **payload, jose_fail *why);

#endif
