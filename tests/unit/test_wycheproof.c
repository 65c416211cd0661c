/*
 * test_wycheproof.c: the JOSE core against Google's Wycheproof vectors, read
 * from tests/vectors/wycheproof/ (Apache-2.0, their license beside them).
 *
 * Why: the vectors are independent of our code and aim at the bugs that break a
 * verifier: ECDSA range checks, malleability and arithmetic edge cases, PKCS#1
 * v1.5 padding parsing, PSS edge cases, non-canonical Ed25519 encodings, HMAC tag
 * handling; and, at the JWS level, alg confusion, alg "none", lenient base64url,
 * weak and mislabelled keys.
 *
 * Part 1 (primitive files) builds a JWK from each group's raw key material (hex),
 * imports it with jose_jwks_import, so the import path is exercised too, and
 * checks every case with jose_key_verify (inner.h). Part 2 (JWS/JWK files)
 * imports each group's key set and checks every token with jose_jws_verify.
 *
 * Verdicts: "valid" must give JOSE_OK, "invalid" must not, "acceptable" may go
 * either way; any rejection must be a verdict (band 2 of jose_err.h), never a
 * call failure. Where the design deliberately decides otherwise (short HMAC
 * keys and tags, weak RSA keys, key "alg" honoured, strict base64url, per-member
 * key sets), the design's verdict is expected and the case is counted as "by
 * design" in the file's summary line; every such rule says why where it is
 * decided (hmac_rule, rsa_rule, DESIGN[]). Two upstream cases contradict
 * themselves and are judged as their identical valid twin (valid_twin).
 *
 * Output: per file one summary check, one case-count check, and one failing line
 * per wrong verdict (at most MAX_LINES per file) with tcId and comment, so the
 * thousands of cases never flood the log.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "../test.h"
#include "inner.h"
#include "jose.h"

/* Failing lines printed per file; the summary still counts every wrong case. */
#define MAX_LINES 20

typedef enum { WANT_ACCEPT, WANT_REJECT, WANT_EITHER } want_t;

/* Running count of one vector file. */
typedef struct tally {
	const char *file;
	size_t cases;  /* cases judged */
	size_t design; /* cases whose verdict a deliberate design rule decides */
	size_t defect; /* cases judged as their identical "valid" twin (upstream defect) */
	size_t wrong;  /* wrong verdicts */
} tally;

/* ---- small helpers: JSON members, files ---------------------------------- */

static const char *jstr(const cJSON *obj, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* A member that is a number or a decimal string ("keySize": "2048"), or -1. */
static long jlong(const cJSON *obj, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
	if (cJSON_IsNumber(v))
		return (long)v->valuedouble;
	if (cJSON_IsString(v))
		return strtol(v->valuestring, NULL, 10);
	return -1;
}

/* Parse wycheproof/name of the vectors; a failed check and NULL when it cannot. */
static cJSON *load_vectors(const char *name)
{
	char path[256];
	snprintf(path, sizeof path, "wycheproof/%s", name);
	char *text = t_read_vector(path);
	cJSON *doc = text ? cJSON_Parse(text) : NULL;
	free(text);
	if (text)
		T_CHECK(doc != NULL, "wycheproof %s: file parses as JSON", name);
	return doc;
}

/* ---- hex and base64url ----------------------------------------------------- */

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode hex into a new buffer (at least one byte, so never NULL on success). */
static uint8_t *hex_decode(const char *hex, size_t *len)
{
	if (!hex || strlen(hex) % 2)
		return NULL;
	size_t n = strlen(hex);
	uint8_t *out = malloc(n / 2 + 1);
	if (!out)
		return NULL;
	for (size_t i = 0; i < n / 2; i++) {
		int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
		if (hi < 0 || lo < 0) {
			free(out);
			return NULL;
		}
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	*len = n / 2;
	return out;
}

/* base64url of in[0..len) as a new NUL-terminated string, or NULL. */
static char *b64url(const uint8_t *in, size_t len)
{
	size_t cap = JOSE_B64URL_ENCODED_LEN(len) + 1;
	char *out = malloc(cap);
	if (!out)
		return NULL;
	size_t n = len ? jose_b64url_encode(out, cap, in, len) : 0;
	if (len && n == 0) {
		free(out);
		return NULL;
	}
	out[n] = '\0';
	return out;
}

/* A hex big-endian integer as base64url with leading zero bytes stripped (RFC 7518 §6.3.1). */
static char *hex_to_b64url_int(const char *hex)
{
	size_t len = 0, skip = 0;
	uint8_t *raw = hex_decode(hex, &len);
	if (!raw)
		return NULL;
	while (skip + 1 < len && raw[skip] == 0)
		skip++;
	char *out = b64url(raw + skip, len - skip);
	free(raw);
	return out;
}

/*
 * A hex EC coordinate as base64url of exactly size bytes (RFC 7518 §6.2.1.2):
 * extra leading zero bytes stripped, short values left-padded; NULL if too big.
 */
static char *hex_to_b64url_fixed(const char *hex, size_t size)
{
	size_t len = 0, skip = 0;
	uint8_t *raw = hex_decode(hex, &len);
	uint8_t fixed[66] = {0};
	char *out = NULL;
	if (!raw || size > sizeof fixed)
		goto out;
	while (len - skip > size && raw[skip] == 0)
		skip++;
	if (len - skip > size)
		goto out;
	memcpy(fixed + size - (len - skip), raw + skip, len - skip);
	out = b64url(fixed, size);
out:
	free(raw);
	return out;
}

/* ---- JWK text and import --------------------------------------------------- */

/* A JWK object from name/value pairs (NULL-terminated list), as new JSON text. */
static char *jwk_text(const char *const *pairs)
{
	cJSON *o = cJSON_CreateObject();
	char *text = NULL;
	if (!o)
		return NULL;
	for (size_t i = 0; pairs[i]; i += 2) {
		if (!pairs[i + 1] || !cJSON_AddStringToObject(o, pairs[i], pairs[i + 1]))
			goto out;
	}
	text = cJSON_PrintUnformatted(o);
out:
	cJSON_Delete(o);
	return text;
}

/*
 * Import one JWK. JOSE_OK leaves *set with exactly one live key; otherwise *set
 * is NULL and the refusal is returned (import error, or the dead entry's error).
 */
static jose_err import_key(const char *jwk, jose_jwks **set)
{
	jose_fail why = {0};
	jose_err err;
	*set = NULL;
	if (!jwk)
		return JOSE_E_ARG; /* the harness could not build the JWK */
	err = jose_jwks_import(jwk, strlen(jwk), set, &why);
	if (err != JOSE_OK)
		return err;
	if ((*set)->n == 1 && (*set)->keys[0].dead == JOSE_OK)
		return JOSE_OK;
	err = (*set)->n == 1 ? (*set)->keys[0].dead : JOSE_E_JWK_INVALID;
	jose_jwks_free(*set);
	*set = NULL;
	return err;
}

/* ---- judging --------------------------------------------------------------- */

static want_t want_of(const cJSON *tc)
{
	const char *r = jstr(tc, "result");
	if (r && strcmp(r, "valid") == 0)
		return WANT_ACCEPT;
	if (r && strcmp(r, "acceptable") == 0)
		return WANT_EITHER;
	return WANT_REJECT;
}

static void report_wrong(tally *t, const cJSON *tc, const char *what, jose_err got, const char *reason)
{
	const char *comment = jstr(tc, "comment");
	t->wrong++;
	if (t->wrong <= MAX_LINES)
		T_CHECK(0, "wycheproof %s tcId %ld (%s): %s; core gave %s%s%s%s", t->file, jlong(tc, "tcId"),
		        comment && *comment ? comment : "-", what,
		        got == JOSE_OK ? "JOSE_OK" : jose_err_code(got), reason ? " (" : "",
		        reason ? reason : "", reason ? ")" : "");
	else if (t->wrong == MAX_LINES + 1)
		printf("# wycheproof %s: further wrong verdicts are counted, not listed\n", t->file);
}

/* Why a case is judged differently from Wycheproof's "result", if it is. */
typedef enum {
	AS_WYCHEPROOF, /* Wycheproof's verdict stands */
	BY_DESIGN,     /* a deliberate design rule decides (rule text says which) */
	BY_DEFECT,     /* the vector contradicts itself (see valid_twin) */
} basis;

typedef struct rule {
	basis basis;
	want_t want; /* unused for AS_WYCHEPROOF */
	const char *why;
} rule;

static const rule WYCHEPROOF = {AS_WYCHEPROOF, WANT_EITHER, NULL};

/* Judge one outcome against the case's result, or against r when r overrides it. */
static void judge(tally *t, const cJSON *tc, const rule *r, jose_err got, const char *reason)
{
	want_t want = r->basis == AS_WYCHEPROOF ? want_of(tc) : r->want;
	t->cases++;
	t->design += r->basis == BY_DESIGN;
	t->defect += r->basis == BY_DEFECT;
	if (want == WANT_ACCEPT && got != JOSE_OK)
		report_wrong(t, tc, r->why ? r->why : "valid case rejected", got, reason);
	else if (want == WANT_REJECT && got == JOSE_OK)
		report_wrong(t, tc, r->why ? r->why : "invalid case accepted", got, reason);
	else if (got != JOSE_OK && !jose_err_is_verdict(got))
		report_wrong(t, tc, "rejected by a call failure, not a verdict", got, reason);
}

static void summarise(const tally *t, long expected_cases)
{
	T_CHECK(t->wrong == 0,
	        "wycheproof %s: %zu cases (%zu decided by design rules, %zu defective vectors), %zu wrong "
	        "verdicts",
	        t->file, t->cases, t->design, t->defect, t->wrong);
	T_CHECK(expected_cases < 0 || (size_t)expected_cases == t->cases,
	        "wycheproof %s: all %ld cases of numberOfTests were run (%zu)", t->file, expected_cases,
	        t->cases);
}

/* ---- part 1: primitive files ----------------------------------------------- */

typedef enum { K_EC, K_RSA, K_ED25519, K_HMAC } key_kind;

typedef struct prim_file {
	const char *name;
	key_kind kind;
	jose_alg alg;
} prim_file;

static const prim_file PRIM[] = {
    {"ecdsa_secp256r1_sha256_p1363_test.json", K_EC, JOSE_ALG_ES256},
    {"ecdsa_secp384r1_sha384_p1363_test.json", K_EC, JOSE_ALG_ES384},
    {"ecdsa_secp521r1_sha512_p1363_test.json", K_EC, JOSE_ALG_ES512},
    {"rsa_signature_2048_sha256_test.json", K_RSA, JOSE_ALG_RS256},
    {"rsa_signature_3072_sha384_test.json", K_RSA, JOSE_ALG_RS384},
    {"rsa_signature_4096_sha512_test.json", K_RSA, JOSE_ALG_RS512},
    {"rsa_pss_2048_sha256_mgf1_32_test.json", K_RSA, JOSE_ALG_PS256},
    {"ed25519_test.json", K_ED25519, JOSE_ALG_EDDSA},
    {"hmac_sha256_test.json", K_HMAC, JOSE_ALG_HS256},
};

static const struct {
	const char *wycheproof, *crv;
	size_t size;
} EC_CURVES[] = {
    {"secp256r1", "P-256", 32},
    {"secp384r1", "P-384", 48},
    {"secp521r1", "P-521", 66},
};

/* EC: from the raw wx/wy (hex, sometimes with a sign byte or short), not the file's JWK. */
static char *jwk_ec(const cJSON *group)
{
	const cJSON *pk = cJSON_GetObjectItemCaseSensitive(group, "publicKey");
	const char *curve = jstr(pk, "curve");
	char *x = NULL, *y = NULL, *text = NULL;
	for (size_t i = 0; curve && i < sizeof EC_CURVES / sizeof EC_CURVES[0]; i++) {
		if (strcmp(curve, EC_CURVES[i].wycheproof) != 0)
			continue;
		x = hex_to_b64url_fixed(jstr(pk, "wx"), EC_CURVES[i].size);
		y = hex_to_b64url_fixed(jstr(pk, "wy"), EC_CURVES[i].size);
		const char *pairs[] = {"kty", "EC", "crv", EC_CURVES[i].crv, "x", x, "y", y, NULL};
		text = jwk_text(pairs);
		break;
	}
	free(x);
	free(y);
	return text;
}

static char *jwk_rsa(const cJSON *group)
{
	const cJSON *pk = cJSON_GetObjectItemCaseSensitive(group, "publicKey");
	char *n = hex_to_b64url_int(jstr(pk, "modulus"));
	char *e = hex_to_b64url_int(jstr(pk, "publicExponent"));
	const char *pairs[] = {"kty", "RSA", "n", n, "e", e, NULL};
	char *text = jwk_text(pairs);
	free(n);
	free(e);
	return text;
}

static char *jwk_ed25519(const cJSON *group)
{
	const cJSON *pk = cJSON_GetObjectItemCaseSensitive(group, "publicKey");
	size_t len = 0;
	uint8_t *raw = hex_decode(jstr(pk, "pk"), &len);
	char *x = raw ? b64url(raw, len) : NULL;
	const char *pairs[] = {"kty", "OKP", "crv", "Ed25519", "x", x, NULL};
	char *text = jwk_text(pairs);
	free(raw);
	free(x);
	return text;
}

static char *jwk_for_group(key_kind kind, const cJSON *group)
{
	switch (kind) {
	case K_EC:
		return jwk_ec(group);
	case K_RSA:
		return jwk_rsa(group);
	case K_ED25519:
		return jwk_ed25519(group);
	case K_HMAC:
		break;
	}
	return NULL;
}

/*
 * Design rule for RSA: moduli under 2048 bits are refused at import (RFC 7518
 * §3.3, NIST SP 800-131A), so such a group must fail import whatever the case.
 * None of the files used today has one; the rule keeps the harness honest if
 * a file with 1024-bit groups is added. Returns 1 when the rule applies.
 */
static int rsa_rule(const cJSON *group, rule *r)
{
	static const rule weak = {BY_DESIGN, WANT_REJECT,
	                          "RSA key under 2048 bits must be refused at import (design)"};
	long bits = jlong(group, "keySize");
	*r = bits > 0 && bits < JOSE_RSA_MIN_BITS ? weak : WYCHEPROOF;
	return r->basis != AS_WYCHEPROOF;
}

/* Check one case's signature (hex member sig_name) over its msg with the imported key. */
static jose_err verify_hex(const jose_jwks *set, jose_alg alg, const cJSON *tc, const char *sig_name)
{
	size_t msg_len = 0, sig_len = 0;
	uint8_t *msg = hex_decode(jstr(tc, "msg"), &msg_len);
	uint8_t *sig = hex_decode(jstr(tc, sig_name), &sig_len);
	jose_err err = JOSE_E_ARG; /* undecodable hex: a harness fault, reported as a call failure */
	if (msg && sig)
		err = jose_key_verify(&set->keys[0], alg, msg, msg_len, sig, sig_len);
	free(msg);
	free(sig);
	return err;
}

static void run_sig_group(tally *t, const prim_file *pf, const cJSON *group)
{
	rule r = WYCHEPROOF;
	int at_import = pf->kind == K_RSA && rsa_rule(group, &r);
	char *jwk = jwk_for_group(pf->kind, group);
	jose_jwks *set = NULL;
	jose_err ierr = import_key(jwk, &set);
	const cJSON *tc;
	cJSON_ArrayForEach(tc, cJSON_GetObjectItemCaseSensitive(group, "tests"))
	{
		jose_err got = ierr;
		if (ierr == JOSE_OK && !at_import)
			got = verify_hex(set, pf->alg, tc, "sig");
		judge(t, tc, &r, got, ierr != JOSE_OK ? "key import refused" : NULL);
	}
	jose_jwks_free(set);
	cJSON_free(jwk);
}

/*
 * Design rules for HMAC, where JWS is stricter than the bare MAC Wycheproof tests:
 *  - keys shorter than 32 bytes are refused at import: RFC 7518 §3.2 requires a
 *    key at least as long as the hash output for HS256;
 *  - truncated tags are rejected: JWS HS256 carries and compares the full 32-byte
 *    HMAC output (RFC 7518 §3.2), Wycheproof's 128-bit tag groups do not apply.
 */
static const rule HMAC_SHORT_KEY = {
    BY_DESIGN, WANT_REJECT, "HMAC key under 32 bytes must be refused at import (RFC 7518 3.2, design)"};
static const rule HMAC_SHORT_TAG = {
    BY_DESIGN, WANT_REJECT, "truncated HMAC tag must be rejected: HS256 compares all 32 bytes (design)"};

/* The rule for one HMAC case; returns 1 when it applies at import (short key). */
static int hmac_rule(size_t key_len, size_t tag_len, rule *r)
{
	*r = key_len < 32 ? HMAC_SHORT_KEY : tag_len < 32 ? HMAC_SHORT_TAG : WYCHEPROOF;
	return key_len < 32;
}

static void run_hmac_case(tally *t, const cJSON *tc)
{
	size_t key_len = 0, tag_len = 0;
	uint8_t *key = hex_decode(jstr(tc, "key"), &key_len);
	uint8_t *tag = hex_decode(jstr(tc, "tag"), &tag_len);
	char *k = key ? b64url(key, key_len) : NULL;
	const char *pairs[] = {"kty", "oct", "k", k, NULL};
	char *jwk = k ? jwk_text(pairs) : NULL;
	jose_jwks *set = NULL;
	jose_err ierr = import_key(jwk, &set);
	rule r;
	int at_import = hmac_rule(key_len, tag ? tag_len : 32, &r);
	jose_err got = ierr;
	if (ierr == JOSE_OK && !at_import)
		got = verify_hex(set, JOSE_ALG_HS256, tc, "tag");
	judge(t, tc, &r, got, ierr != JOSE_OK ? "key import refused" : NULL);
	jose_jwks_free(set);
	cJSON_free(jwk);
	free(k);
	free(key);
	free(tag);
}

static void run_prim_file(const prim_file *pf)
{
	cJSON *doc = load_vectors(pf->name);
	tally t = {pf->name, 0, 0, 0, 0};
	const cJSON *group, *tc;
	if (!doc)
		return;
	cJSON_ArrayForEach(group, cJSON_GetObjectItemCaseSensitive(doc, "testGroups"))
	{
		if (pf->kind != K_HMAC) {
			run_sig_group(&t, pf, group);
			continue;
		}
		cJSON_ArrayForEach(tc, cJSON_GetObjectItemCaseSensitive(group, "tests"))
		    run_hmac_case(&t, tc);
	}
	summarise(&t, jlong(doc, "numberOfTests"));
	cJSON_Delete(doc);
}

/* ---- part 2: JWS and JWK files --------------------------------------------- */

/*
 * Cases where the design deliberately decides otherwise than Wycheproof.
 * Matched on file, tcId and comment, so a renumbered vector file cannot silently
 * reuse an entry for another case.
 */
static const struct design_case {
	const char *file;
	long tc_id;
	const char *comment;
	rule rule;
} DESIGN[] = {
    /*
     * RFC 7520 Figure 20 is a PS384 token; Wycheproof's copy of the key says
     * "alg":"PS256". A key's "alg" is honoured (RFC 7517 §4.4, jose_jwk.h), so no
     * key matches a PS384 token.
     */
    {"json_web_signature_test.json",
     346,
     "Figure20",
     {BY_DESIGN, WANT_REJECT,
      "key \"alg\" PS256, token PS384: a key's alg is honoured (RFC 7517 4.4, design)"}},
    {"json_web_signature_test.json",
     350,
     "Figure20",
     {BY_DESIGN, WANT_REJECT,
      "key \"alg\" PS256, token PS384: a key's alg is honoured (RFC 7517 4.4, design)"}},
    /*
     * RFC 7520 Figure 27 (ES512): Wycheproof's copy of the key says "alg":"ES521",
     * which is no registered JWS algorithm, so the key may verify nothing. (Its
     * own json_web_key_test tcId 19 expects exactly that for a P-256 key.)
     */
    {"json_web_signature_test.json",
     347,
     "Figure27",
     {BY_DESIGN, WANT_REJECT,
      "key \"alg\" \"ES521\" is no JWS algorithm: the key verifies nothing (design)"}},
    {"json_web_signature_test.json",
     351,
     "Figure27",
     {BY_DESIGN, WANT_REJECT,
      "key \"alg\" \"ES521\" is no JWS algorithm: the key verifies nothing (design)"}},
    /*
     * A '?' inside the header or payload part: base64url is strict (RFC 7515 §2,
     * jose_b64url.h), so a character outside the alphabet rejects the token.
     */
    {"json_web_signature_test.json",
     372,
     "InvalidCharacterInsertedInHeader",
     {BY_DESIGN, WANT_REJECT, "'?' in the header part: base64url is strict (RFC 7515 2, design)"}},
    {"json_web_signature_test.json",
     373,
     "InvalidCharacterInsertedInPayload",
     {BY_DESIGN, WANT_REJECT, "'?' in the payload part: base64url is strict (RFC 7515 2, design)"}},
    /*
     * A set mixing an oct key and an EC public key. Wycheproof wants the whole
     * set refused; here every member is judged alone (jose_jwk.h) and kty, never
     * the token, decides what a key verifies, so the EC key can never act as an
     * HMAC secret and the oct key verifies its HS256 token.
     */
    {"json_web_key_test.json",
     1,
     "rejectsValid",
     {BY_DESIGN, WANT_ACCEPT, "mixed oct + EC set: members are judged one by one, kty decides (design)"}},
    /*
     * Two oct keys with one kid, but the second "k" ("...Bingge") is not canonical
     * base64url (non-zero unused bits), so strict import keeps it as a dead entry
     * and exactly one usable key matches. (With a canonical second key the core
     * answers ERR_JWKS_MULTIPLE_MATCHING_KEYS.)
     */
    {"json_web_key_test.json",
     4,
     "rejectsDuplicateKid",
     {BY_DESIGN, WANT_ACCEPT,
      "duplicate kid, but the twin's k is non-canonical base64url: a dead entry (design)"}},
};

static rule design_case(const char *file, const cJSON *tc)
{
	const char *comment = jstr(tc, "comment");
	for (size_t i = 0; i < sizeof DESIGN / sizeof DESIGN[0]; i++) {
		if (strcmp(DESIGN[i].file, file) == 0 && DESIGN[i].tc_id == jlong(tc, "tcId") && comment &&
		    strcmp(DESIGN[i].comment, comment) == 0)
			return DESIGN[i].rule;
	}
	return WYCHEPROOF;
}

/*
 * Upstream defect: json_web_signature tcIds 367 and 370 ("invalidBase64Padding",
 * "invalidBase64PaddingInPayload") carry a token byte for byte equal to the
 * valid tcId 357: the padding they are named after is not there. The same input
 * under the same key must get the same verdict, so an "invalid" case whose token
 * equals a "valid" case's token in the same group is judged as valid and counted
 * as a defective vector.
 */
static int valid_twin(const cJSON *group, const cJSON *tc)
{
	const char *jws = jstr(tc, "jws");
	const cJSON *other;
	if (!jws || want_of(tc) != WANT_REJECT)
		return 0;
	cJSON_ArrayForEach(other, cJSON_GetObjectItemCaseSensitive(group, "tests"))
	{
		const char *o = jstr(other, "jws");
		if (other != tc && o && strcmp(o, jws) == 0 && want_of(other) == WANT_ACCEPT)
			return 1;
	}
	return 0;
}

static rule jws_rule(const char *file, const cJSON *group, const cJSON *tc)
{
	static const rule twin = {BY_DEFECT, WANT_ACCEPT, "token identical to a valid case of its group"};
	rule r = design_case(file, tc);
	return r.basis == AS_WYCHEPROOF && valid_twin(group, tc) ? twin : r;
}

/*
 * The group's key set: "public" when present and not null, else "private" (HMAC
 * groups). Either may be one JWK or a JWKS ({"keys":[…]}); import takes both.
 */
static jose_err import_group(const cJSON *group, jose_jwks **set, jose_fail *why)
{
	const cJSON *keys = cJSON_GetObjectItemCaseSensitive(group, "public");
	if (!keys || cJSON_IsNull(keys))
		keys = cJSON_GetObjectItemCaseSensitive(group, "private");
	char *text = keys ? cJSON_PrintUnformatted(keys) : NULL;
	jose_err err = JOSE_E_ARG;
	*set = NULL;
	if (text)
		err = jose_jwks_import(text, strlen(text), set, why);
	cJSON_free(text);
	return err;
}

/*
 * Verify one case's "jws". A string is passed as is. JSON serialization (a
 * "jws" object, or a string holding one, flag JsonSerialization) is not
 * supported by design (compact JWS only): it is passed as text too and must be
 * rejected, which Wycheproof also expects.
 */
static jose_err verify_jws(const jose_jwks *set, const cJSON *tc, jose_fail *why)
{
	const cJSON *jws = cJSON_GetObjectItemCaseSensitive(tc, "jws");
	char *printed = cJSON_IsString(jws) ? NULL : cJSON_PrintUnformatted(jws);
	const char *token = cJSON_IsString(jws) ? jws->valuestring : printed;
	jose_jws out;
	jose_err err = JOSE_E_ARG;
	memset(&out, 0, sizeof out);
	if (token)
		err = jose_jws_verify(set, 0, token, strlen(token), &out, why);
	if (err == JOSE_OK)
		jose_jws_clear(&out);
	cJSON_free(printed);
	return err;
}

static void run_jws_group(tally *t, const cJSON *group)
{
	jose_fail iwhy = {0};
	jose_jwks *set = NULL;
	jose_err ierr = import_group(group, &set, &iwhy);
	const cJSON *tc;
	cJSON_ArrayForEach(tc, cJSON_GetObjectItemCaseSensitive(group, "tests"))
	{
		jose_fail why = {0};
		jose_err got = ierr;
		const char *reason = iwhy.reason ? iwhy.reason : "key set import refused";
		if (ierr == JOSE_OK) {
			got = verify_jws(set, tc, &why);
			reason = why.reason;
		}
		rule r = jws_rule(t->file, group, tc);
		judge(t, tc, &r, got, got == JOSE_OK ? NULL : reason);
	}
	jose_jwks_free(set);
}

static void run_jws_file(const char *name)
{
	cJSON *doc = load_vectors(name);
	tally t = {name, 0, 0, 0, 0};
	const cJSON *group;
	if (!doc)
		return;
	cJSON_ArrayForEach(group, cJSON_GetObjectItemCaseSensitive(doc, "testGroups"))
	    run_jws_group(&t, group);
	summarise(&t, jlong(doc, "numberOfTests"));
	cJSON_Delete(doc);
}

int main(void)
{
	for (size_t i = 0; i < sizeof PRIM / sizeof PRIM[0]; i++)
		run_prim_file(&PRIM[i]);
	run_jws_file("json_web_signature_test.json");
	run_jws_file("json_web_key_test.json");
	T_DONE();
}
