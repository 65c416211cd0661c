/*
 * webauthn.c: WebAuthn registration and assertion checks (see webauthn.h).
 *
 * Layout: error strings; the strict CBOR scan (no allocation) in front of
 * libcbor; COSE_Key; authenticatorData; clientDataJSON; signatures (the
 * arithmetic is the JOSE core's wolfCrypt backend, jose_sig.h; every length and
 * range is decided here first); the two ceremonies. It never logs and keeps no
 * state; libcbor's items live only inside one call.
 */
#include <stdlib.h>
#include <string.h>

#include <cbor.h>
#include <wolfssl/wolfcrypt/settings.h>
#include <wolfssl/wolfcrypt/hash.h>
#include <wolfssl/wolfcrypt/sha256.h>

#include "jose.h"
#include "jose_b64url.h"
#include "jose_json.h"
#include "jose_sig.h"
#include "mfa/webauthn.h"

/* ---- error strings --------------------------------------------------------------------- */

static const struct {
	webauthn_err e;
	const char *s;
} ERRORS[] = {
    {WEBAUTHN_OK, "ok"},
    {WEBAUTHN_E_ARG, "bad argument"},
    {WEBAUTHN_E_NOMEM, "out of memory"},
    {WEBAUTHN_E_INTERNAL, "internal error in the crypto library"},
    {WEBAUTHN_E_CBOR_TRUNCATED, "CBOR ends inside an item"},
    {WEBAUTHN_E_CBOR_TRAILING, "bytes after the CBOR item"},
    {WEBAUTHN_E_CBOR_INDEFINITE, "CBOR indefinite length"},
    {WEBAUTHN_E_CBOR_MALFORMED, "malformed CBOR (reserved or stray byte)"},
    {WEBAUTHN_E_CBOR_NONCANONICAL, "CBOR head longer than its value needs"},
    {WEBAUTHN_E_CBOR_DEPTH, "CBOR nested too deep"},
    {WEBAUTHN_E_CBOR_TYPE, "CBOR value of the wrong type"},
    {WEBAUTHN_E_CBOR_SIZE, "CBOR value too large"},
    {WEBAUTHN_E_CBOR_DUPLICATE, "CBOR map key repeated"},
    {WEBAUTHN_E_ATT_MEMBER, "attestation object member missing or unknown"},
    {WEBAUTHN_E_ATT_FMT, "attestation format is not \"none\""},
    {WEBAUTHN_E_ATT_STMT, "attestation statement of \"none\" is not empty"},
    {WEBAUTHN_E_AUTHDATA_LENGTH, "authenticator data has the wrong length"},
    {WEBAUTHN_E_RP_ID, "authenticator data is for another RP ID"},
    {WEBAUTHN_E_FLAG_UP, "user not present"},
    {WEBAUTHN_E_FLAG_UV, "user not verified"},
    {WEBAUTHN_E_FLAG_AT, "attested credential data missing or unexpected"},
    {WEBAUTHN_E_FLAG_ED, "extension data and the ED flag disagree"},
    {WEBAUTHN_E_FLAG_BS, "backed up but not backup eligible"},
    {WEBAUTHN_E_CRED_ID, "credential id empty or too long"},
    {WEBAUTHN_E_COSE_KEY, "malformed credential public key"},
    {WEBAUTHN_E_COSE_ALG, "credential algorithm not accepted"},
    {WEBAUTHN_E_COSE_POINT, "credential public key is not a usable point (off P-256, or of small order)"},
    {WEBAUTHN_E_RSA_SIZE, "credential RSA key size or exponent not accepted"},
    {WEBAUTHN_E_CLIENT_JSON, "malformed clientDataJSON"},
    {WEBAUTHN_E_CLIENT_TYPE, "clientDataJSON type is not this ceremony's"},
    {WEBAUTHN_E_CHALLENGE, "challenge does not match"},
    {WEBAUTHN_E_ORIGIN, "origin not allowed"},
    {WEBAUTHN_E_CROSS_ORIGIN, "cross-origin ceremony refused"},
    {WEBAUTHN_E_SIG_FORMAT, "malformed signature"},
    {WEBAUTHN_E_SIGNATURE, "signature does not verify"},
    {WEBAUTHN_E_CLONED, "signature counter did not increase: possibly a cloned authenticator"},
};

/* see webauthn.h */
const char *webauthn_strerror(webauthn_err e)
{
	for (size_t i = 0; i < sizeof ERRORS / sizeof ERRORS[0]; i++)
		if (ERRORS[i].e == e)
			return ERRORS[i].s;
	return "unknown error";
}

/* ---- strict CBOR scan ------------------------------------------------------------------ */

/*
 * Read the head at d[*pos..n): major type, argument. Refuses indefinite lengths,
 * reserved additional information, stray breaks and heads longer than needed.
 */
static webauthn_err cbor_head(const uint8_t *d, size_t n, size_t *pos, int *major, uint64_t *arg)
{
	static const uint64_t least[4] = {24, 0x100, 0x10000, 0x100000000};
	unsigned ai, len;

	if (*pos >= n)
		return WEBAUTHN_E_CBOR_TRUNCATED;
	*major = d[*pos] >> 5;
	ai = d[*pos] & 31;
	(*pos)++;
	if (ai == 31)
		return *major == 7 || *major < 2 || *major == 6 ? WEBAUTHN_E_CBOR_MALFORMED
		                                                : WEBAUTHN_E_CBOR_INDEFINITE;
	if (ai >= 28)
		return WEBAUTHN_E_CBOR_MALFORMED;
	if (ai < 24) {
		*arg = ai;
		return WEBAUTHN_OK;
	}
	len = 1u << (ai - 24);
	if (n - *pos < len)
		return WEBAUTHN_E_CBOR_TRUNCATED;
	*arg = 0;
	for (unsigned i = 0; i < len; i++)
		*arg = *arg << 8 | d[(*pos)++];
	/* Major 7 with ai 25..27 is a float: any value is its own. ai 24 is a simple value >= 32. */
	if (*major == 7)
		return ai == 24 && *arg < 32 ? WEBAUTHN_E_CBOR_MALFORMED : WEBAUTHN_OK;
	return *arg < least[ai - 24] ? WEBAUTHN_E_CBOR_NONCANONICAL : WEBAUTHN_OK;
}

/* Skip one item at d[*pos..n), at nesting depth depth. */
static webauthn_err cbor_skip(const uint8_t *d, size_t n, size_t *pos, unsigned depth)
{
	webauthn_err e;
	uint64_t arg, items;
	int major;

	if (depth > WEBAUTHN_CBOR_DEPTH)
		return WEBAUTHN_E_CBOR_DEPTH;
	if ((e = cbor_head(d, n, pos, &major, &arg)) != WEBAUTHN_OK)
		return e;
	switch (major) {
	case 2: /* byte and text strings */
	case 3:
		if (arg > n - *pos)
			return WEBAUTHN_E_CBOR_TRUNCATED;
		*pos += (size_t)arg;
		return WEBAUTHN_OK;
	case 4: /* arrays and maps: every member takes at least a byte */
	case 5:
		if (arg > (n - *pos) / (major == 5 ? 2 : 1))
			return WEBAUTHN_E_CBOR_SIZE;
		items = major == 5 ? 2 * arg : arg;
		for (uint64_t i = 0; i < items; i++)
			if ((e = cbor_skip(d, n, pos, depth + 1)) != WEBAUTHN_OK)
				return e;
		return WEBAUTHN_OK;
	case 6: /* a tag and the item it tags */
		return cbor_skip(d, n, pos, depth + 1);
	default: /* integers, simple values, floats: the head is all */
		return WEBAUTHN_OK;
	}
}

/*
 * The one CBOR item at the start of d[0..n): scanned, then built by libcbor.
 * *used is its length; with whole set, bytes after it are refused.
 */
static webauthn_err cbor_take(const uint8_t *d, size_t n, int whole, cbor_item_t **item, size_t *used)
{
	struct cbor_load_result res;
	size_t pos = 0;
	webauthn_err e;

	*item = NULL;
	if ((e = cbor_skip(d, n, &pos, 1)) != WEBAUTHN_OK)
		return e;
	if (whole && pos != n)
		return WEBAUTHN_E_CBOR_TRAILING;
	*item = cbor_load(d, pos, &res);
	if (!*item)
		return res.error.code == CBOR_ERR_MEMERROR ? WEBAUTHN_E_NOMEM : WEBAUTHN_E_CBOR_MALFORMED;
	if (res.read != pos) {
		cbor_decref(item);
		return WEBAUTHN_E_CBOR_MALFORMED;
	}
	*used = pos;
	return WEBAUTHN_OK;
}

/* 1 when map keys a and b are the same integer or the same text. */
static int same_key(const cbor_item_t *a, const cbor_item_t *b)
{
	if (cbor_typeof(a) != cbor_typeof(b))
		return 0;
	if (cbor_isa_uint(a) || cbor_isa_negint(a))
		return cbor_get_int(a) == cbor_get_int(b);
	if (cbor_isa_string(a))
		return cbor_string_length(a) == cbor_string_length(b) &&
		       !memcmp(cbor_string_handle(a), cbor_string_handle(b), cbor_string_length(a));
	return 0;
}

/* A map whose keys are all of key_type and distinct. */
static webauthn_err map_check(const cbor_item_t *m, cbor_type key_type)
{
	struct cbor_pair *p;
	size_t n;

	if (!cbor_isa_map(m))
		return WEBAUTHN_E_CBOR_TYPE;
	p = cbor_map_handle(m);
	n = cbor_map_size(m);
	for (size_t i = 0; i < n; i++) {
		cbor_type t = cbor_typeof(p[i].key);
		if (t != key_type && !(key_type == CBOR_TYPE_UINT && t == CBOR_TYPE_NEGINT))
			return WEBAUTHN_E_CBOR_TYPE;
		for (size_t j = 0; j < i; j++)
			if (same_key(p[i].key, p[j].key))
				return WEBAUTHN_E_CBOR_DUPLICATE;
	}
	return WEBAUTHN_OK;
}

/* An integer item's value, when it fits an int64_t; 0 or -1. */
static int int_value(const cbor_item_t *it, int64_t *v)
{
	uint64_t u;

	if (!cbor_isa_uint(it) && !cbor_isa_negint(it))
		return -1;
	u = cbor_get_int(it);
	if (u > INT64_MAX)
		return -1;
	*v = cbor_isa_uint(it) ? (int64_t)u : -1 - (int64_t)u;
	return 0;
}

/* ---- COSE_Key ---------------------------------------------------------------------------- */

/* A checked credential key: the raw parts, as jose_sig.h's backends take them. */
struct cose {
	webauthn_alg alg;
	jose_pubkey pk;
	uint8_t a[512]; /* EC x, Ed25519 A, RSA n */
	uint8_t b[8];   /* EC y (32 bytes: see b32), RSA e */
	uint8_t b32[32];
};

/* COSE labels (RFC 9052 §7.1, RFC 9053 §7). */
enum { COSE_KTY = 1, COSE_ALG = 3, COSE_CRV = -1, COSE_X = -2, COSE_Y = -3, COSE_N = -1, COSE_E = -2 };
enum { KTY_OKP = 1, KTY_EC2 = 2, KTY_RSA = 3, CRV_P256 = 1, CRV_ED25519 = 6 };

/* The value under integer label in COSE map m, or NULL. */
static const cbor_item_t *cose_get(const cbor_item_t *m, int64_t label)
{
	struct cbor_pair *p = cbor_map_handle(m);
	int64_t k;

	for (size_t i = 0; i < cbor_map_size(m); i++)
		if (int_value(p[i].key, &k) == 0 && k == label)
			return p[i].value;
	return NULL;
}

/* Copy the byte string under label into out, which it must fill between min and max bytes. */
static webauthn_err cose_bytes(const cbor_item_t *m, int64_t label, uint8_t *out, size_t min, size_t max,
                               size_t *len)
{
	const cbor_item_t *v = cose_get(m, label);

	if (!v || !cbor_isa_bytestring(v))
		return WEBAUTHN_E_COSE_KEY;
	*len = cbor_bytestring_length(v);
	if (*len < min || *len > max)
		return WEBAUTHN_E_COSE_KEY;
	memcpy(out, cbor_bytestring_handle(v), *len);
	return WEBAUTHN_OK;
}

/* 1 when m has an integer value v under label. */
static int cose_int_is(const cbor_item_t *m, int64_t label, int64_t v)
{
	const cbor_item_t *it = cose_get(m, label);
	int64_t x;

	return it && int_value(it, &x) == 0 && x == v;
}

static webauthn_err cose_ec2(const cbor_item_t *m, struct cose *k)
{
	size_t xl, yl;
	uintptr_t h;

	if (cbor_map_size(m) != 5 || !cose_int_is(m, COSE_CRV, CRV_P256))
		return WEBAUTHN_E_COSE_KEY;
	if (cose_bytes(m, COSE_X, k->a, 32, 32, &xl) || cose_bytes(m, COSE_Y, k->b32, 32, 32, &yl))
		return WEBAUTHN_E_COSE_KEY;
	k->pk = (jose_pubkey){JOSE_KTY_EC, JOSE_CRV_P256, k->a, 32, k->b32, 32};
	/* The backend's load checks the point is on the curve, of the right order. */
	return jose_sig_wolfcrypt.load(jose_sig_wolfcrypt.ctx, &k->pk, &h) == JOSE_OK ? WEBAUTHN_OK
	                                                                              : WEBAUTHN_E_COSE_POINT;
}

static webauthn_err cose_okp(const cbor_item_t *m, struct cose *k)
{
	size_t xl;

	if (cbor_map_size(m) != 4 || !cose_int_is(m, COSE_CRV, CRV_ED25519))
		return WEBAUTHN_E_COSE_KEY;
	if (cose_bytes(m, COSE_X, k->a, 32, 32, &xl))
		return WEBAUTHN_E_COSE_KEY;
	if (jose_ed25519_small_order(k->a))
		return WEBAUTHN_E_COSE_POINT;
	k->pk = (jose_pubkey){JOSE_KTY_OKP, JOSE_CRV_ED25519, k->a, 32, NULL, 0};
	return WEBAUTHN_OK;
}

static webauthn_err cose_rsa(const cbor_item_t *m, struct cose *k)
{
	size_t nl, el;

	if (cbor_map_size(m) != 4)
		return WEBAUTHN_E_COSE_KEY;
	if (cose_bytes(m, COSE_N, k->a, 1, sizeof k->a, &nl) ||
	    cose_bytes(m, COSE_E, k->b, 1, sizeof k->b, &el))
		return cose_get(m, COSE_N) && cose_get(m, COSE_E) ? WEBAUTHN_E_RSA_SIZE : WEBAUTHN_E_COSE_KEY;
	/* 2048..4096 bits without a leading zero; e odd, at least 3, at most 32 bits, no leading zero. */
	if (nl < 256 || k->a[0] == 0 || el > 4 || k->b[0] == 0 || !(k->b[el - 1] & 1) ||
	    (el == 1 && k->b[0] < 3))
		return WEBAUTHN_E_RSA_SIZE;
	k->pk = (jose_pubkey){JOSE_KTY_RSA, JOSE_CRV_NONE, k->a, nl, k->b, el};
	return WEBAUTHN_OK;
}

/* Check the COSE_Key item m into *k. */
static webauthn_err cose_from_item(const cbor_item_t *m, struct cose *k)
{
	webauthn_err e;
	int64_t kty, alg;

	memset(k, 0, sizeof *k);
	if ((e = map_check(m, CBOR_TYPE_UINT)) != WEBAUTHN_OK)
		return e;
	if (!cose_get(m, COSE_KTY) || !cose_get(m, COSE_ALG) || int_value(cose_get(m, COSE_KTY), &kty) ||
	    int_value(cose_get(m, COSE_ALG), &alg))
		return WEBAUTHN_E_COSE_KEY;
	if (alg == WEBAUTHN_ES256 && kty == KTY_EC2)
		e = cose_ec2(m, k);
	else if (alg == WEBAUTHN_EDDSA && kty == KTY_OKP)
		e = cose_okp(m, k);
	else if (alg == WEBAUTHN_RS256 && kty == KTY_RSA)
		e = cose_rsa(m, k);
	else
		return WEBAUTHN_E_COSE_ALG;
	k->alg = (webauthn_alg)alg;
	return e;
}

/* Check the COSE_Key at the start of d[0..n) into *k, its length in *used (whole: nothing after it). */
static webauthn_err cose_parse(const uint8_t *d, size_t n, int whole, struct cose *k, size_t *used)
{
	cbor_item_t *m;
	webauthn_err e = cbor_take(d, n, whole, &m, used);

	if (e != WEBAUTHN_OK)
		return e;
	e = cose_from_item(m, k);
	cbor_decref(&m);
	return e;
}

/* see webauthn.h */
webauthn_err webauthn_cose_check(const uint8_t *cose, size_t len, webauthn_alg *alg)
{
	struct cose k;
	size_t used;
	webauthn_err e;

	if (!cose || !alg)
		return WEBAUTHN_E_ARG;
	if (len > WEBAUTHN_COSE_MAX)
		return WEBAUTHN_E_CBOR_SIZE;
	e = cose_parse(cose, len, 1, &k, &used);
	*alg = e == WEBAUTHN_OK ? k.alg : (webauthn_alg)0;
	return e;
}

/* ---- authenticatorData ------------------------------------------------------------------ */

/* authenticatorData's parts (L3 §6.1), pointing into the caller's bytes. */
struct authdata {
	uint8_t flags;
	uint32_t count;
	const uint8_t *aaguid, *cred_id, *cose;
	size_t cred_id_len, cose_len;
	struct cose key;
};

/* The extensions map at d[0..n), which must end exactly there. */
static webauthn_err authdata_extensions(const uint8_t *d, size_t n)
{
	cbor_item_t *m;
	size_t used;
	webauthn_err e = cbor_take(d, n, 1, &m, &used);

	if (e == WEBAUTHN_E_CBOR_TRAILING)
		return WEBAUTHN_E_AUTHDATA_LENGTH;
	if (e != WEBAUTHN_OK)
		return e;
	e = map_check(m, CBOR_TYPE_STRING);
	cbor_decref(&m);
	return e;
}

/* Attested credential data at d[0..n) (L3 §6.5.1), and the extensions after it when ED is set. */
static webauthn_err authdata_credential(const uint8_t *d, size_t n, struct authdata *a)
{
	size_t used, off;
	webauthn_err e;

	if (n < 18)
		return WEBAUTHN_E_AUTHDATA_LENGTH;
	a->aaguid = d;
	a->cred_id_len = (size_t)d[16] << 8 | d[17];
	if (a->cred_id_len == 0 || a->cred_id_len > WEBAUTHN_CRED_ID_MAX)
		return WEBAUTHN_E_CRED_ID;
	if (n - 18 < a->cred_id_len)
		return WEBAUTHN_E_AUTHDATA_LENGTH;
	a->cred_id = d + 18;
	off = 18 + a->cred_id_len;
	a->cose = d + off;
	e = cose_parse(d + off, n - off, 0, &a->key, &used);
	if (e != WEBAUTHN_OK)
		return e;
	if (used > WEBAUTHN_COSE_MAX)
		return WEBAUTHN_E_CBOR_SIZE;
	a->cose_len = used;
	off += used;
	if (a->flags & WEBAUTHN_FLAG_ED)
		return off < n ? authdata_extensions(d + off, n - off) : WEBAUTHN_E_FLAG_ED;
	return off == n ? WEBAUTHN_OK : WEBAUTHN_E_AUTHDATA_LENGTH;
}

/*
 * Split d[0..n) into *a and check what does not depend on the ceremony's key:
 * length, rpIdHash, UP, UV when required, BS only with BE, AT as the ceremony
 * wants (registration: set), extensions as ED says.
 */
static webauthn_err authdata_parse(const webauthn_expect *x, const uint8_t *d, size_t n, int registration,
                                   struct authdata *a)
{
	uint8_t rp_hash[WC_SHA256_DIGEST_SIZE];

	memset(a, 0, sizeof *a);
	if (n < 37 || n > WEBAUTHN_ATTESTATION_MAX)
		return WEBAUTHN_E_AUTHDATA_LENGTH;
	if (wc_Sha256Hash((const byte *)x->rp_id, (word32)strlen(x->rp_id), rp_hash) != 0)
		return WEBAUTHN_E_INTERNAL;
	if (!jose_ct_equal(rp_hash, d, sizeof rp_hash))
		return WEBAUTHN_E_RP_ID;
	a->flags = d[32];
	a->count = (uint32_t)d[33] << 24 | (uint32_t)d[34] << 16 | (uint32_t)d[35] << 8 | d[36];
	if (!(a->flags & WEBAUTHN_FLAG_UP))
		return WEBAUTHN_E_FLAG_UP;
	if (x->require_uv && !(a->flags & WEBAUTHN_FLAG_UV))
		return WEBAUTHN_E_FLAG_UV;
	if ((a->flags & WEBAUTHN_FLAG_BS) && !(a->flags & WEBAUTHN_FLAG_BE))
		return WEBAUTHN_E_FLAG_BS;
	if (!(a->flags & WEBAUTHN_FLAG_AT) != !registration)
		return WEBAUTHN_E_FLAG_AT;
	if (registration)
		return authdata_credential(d + 37, n - 37, a);
	if (a->flags & WEBAUTHN_FLAG_ED)
		return n > 37 ? authdata_extensions(d + 37, n - 37) : WEBAUTHN_E_FLAG_ED;
	return n == 37 ? WEBAUTHN_OK : WEBAUTHN_E_AUTHDATA_LENGTH;
}

/* ---- clientDataJSON --------------------------------------------------------------------- */

/* The string member name of obj: NULL when absent; *bad set when present but not a string. */
static const char *json_str(const cJSON *obj, const char *name, int *bad)
{
	const cJSON *m = jose_json_member(obj, name);

	if (m && !cJSON_IsString(m))
		*bad = 1;
	return m && cJSON_IsString(m) ? m->valuestring : NULL;
}

/* The challenge member (base64url, no padding) against x's, in constant time. */
static webauthn_err check_challenge(const webauthn_expect *x, const char *b64)
{
	uint8_t got[WEBAUTHN_CHALLENGE_MAX];
	size_t len = 0;

	if (!b64 || jose_b64url_decode(got, sizeof got, &len, b64, strlen(b64)) != 0 ||
	    len != x->challenge_len)
		return WEBAUTHN_E_CHALLENGE;
	return jose_ct_equal(got, x->challenge, len) ? WEBAUTHN_OK : WEBAUTHN_E_CHALLENGE;
}

static webauthn_err check_origin(const webauthn_expect *x, const char *origin)
{
	for (size_t i = 0; origin && i < x->n_origins; i++)
		if (!strcmp(origin, x->origins[i]))
			return WEBAUTHN_OK;
	return WEBAUTHN_E_ORIGIN;
}

/* crossOrigin absent or false, and no topOrigin (L3 §5.8.1: only an iframe's ceremony has them). */
static webauthn_err check_cross_origin(const cJSON *root)
{
	const cJSON *c = jose_json_member(root, "crossOrigin");

	if (c && !cJSON_IsBool(c))
		return WEBAUTHN_E_CLIENT_JSON;
	if ((c && cJSON_IsTrue(c)) || jose_json_member(root, "topOrigin"))
		return WEBAUTHN_E_CROSS_ORIGIN;
	return WEBAUTHN_OK;
}

/* clientDataJSON cd[0..n) (L3 §5.8.1) for the ceremony type ("webauthn.create" or "webauthn.get"). */
static webauthn_err check_client_data(const webauthn_expect *x, const uint8_t *cd, size_t n, const char *type)
{
	cJSON *root = NULL;
	const char *t, *ch, *origin;
	webauthn_err e = WEBAUTHN_OK;
	jose_err je;
	int bad = 0;

	if (n > WEBAUTHN_CLIENT_DATA_MAX)
		return WEBAUTHN_E_CLIENT_JSON;
	/* The core reports text it refuses as the bad_input code given (any would do here). */
	je = jose_json_parse((const char *)cd, n, JOSE_JSON_MAX_DEPTH, JOSE_E_JWT_INVALID, &root);
	if (je != JOSE_OK)
		return je == JOSE_E_NOMEM ? WEBAUTHN_E_NOMEM : WEBAUTHN_E_CLIENT_JSON;
	t = json_str(root, "type", &bad);
	ch = json_str(root, "challenge", &bad);
	origin = json_str(root, "origin", &bad);
	if (!cJSON_IsObject(root) || bad)
		e = WEBAUTHN_E_CLIENT_JSON;
	else if (!t || strcmp(t, type))
		e = WEBAUTHN_E_CLIENT_TYPE;
	else if ((e = check_challenge(x, ch)) == WEBAUTHN_OK && (e = check_origin(x, origin)) == WEBAUTHN_OK)
		e = check_cross_origin(root);
	cJSON_Delete(root);
	return e;
}

/* ---- signatures ------------------------------------------------------------------------- */

/* P-256's group order n, big-endian. */
static const uint8_t P256_N[32] = {0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff,
                                   0xff, 0xff, 0xff, 0xff, 0xff, 0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17,
                                   0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51};

/*
 * One DER INTEGER at d[*pos..n) into out[32] (left-padded): minimal, positive,
 * at most 32 bytes of value, in 1..n-1. 0, or -1.
 */
static int der_scalar(const uint8_t *d, size_t n, size_t *pos, uint8_t out[32])
{
	size_t len;

	if (n - *pos < 2 || d[*pos] != 0x02)
		return -1;
	len = d[*pos + 1];
	*pos += 2;
	if (len == 0 || len > 33 || n - *pos < len)
		return -1;
	if (d[*pos] & 0x80) /* negative */
		return -1;
	if (d[*pos] == 0 && (len == 1 || !(d[*pos + 1] & 0x80))) /* not minimal (or zero) */
		return -1;
	if (len == 33) { /* only the leading zero of a 256-bit value with its top bit set */
		if (d[*pos] != 0)
			return -1;
		(*pos)++;
		len--;
	}
	memset(out, 0, 32);
	memcpy(out + 32 - len, d + *pos, len);
	*pos += len;
	return memcmp(out, P256_N, 32) < 0 ? 0 : -1;
}

/* A DER ECDSA-Sig-Value (SEQUENCE of r and s, short form length) into r||s. */
static webauthn_err der_ecdsa(const uint8_t *sig, size_t n, uint8_t rs[64])
{
	size_t pos = 2;

	if (n < 8 || n > 72 || sig[0] != 0x30 || sig[1] != n - 2)
		return WEBAUTHN_E_SIG_FORMAT;
	if (der_scalar(sig, n, &pos, rs) || der_scalar(sig, n, &pos, rs + 32) || pos != n)
		return WEBAUTHN_E_SIG_FORMAT;
	return WEBAUTHN_OK;
}

/* 1 when Ed25519's S (little-endian) is below the group order L (RFC 8032 §5.1.7). */
static int ed25519_s_ok(const uint8_t s[32])
{
	static const uint8_t L[32] = {0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7,
	                              0xa2, 0xde, 0xf9, 0xde, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	                              0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10};

	for (int i = 31; i >= 0; i--)
		if (s[i] != L[i])
			return s[i] < L[i];
	return 0;
}

/* RSASSA-PKCS1-v1_5 with SHA-256 (RFC 8017 §8.2.2): s^e mod n must be exactly EM. */
static webauthn_err verify_rs256(const struct cose *k, const uint8_t *msg, size_t n, const uint8_t *sig,
                                 size_t len)
{
	static const uint8_t prefix[19] = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
	                                   0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20};
	uint8_t em[512], got[512];
	size_t k_len = k->pk.a_len;

	if (len != k_len || memcmp(sig, k->pk.a, k_len) >= 0)
		return WEBAUTHN_E_SIG_FORMAT;
	em[0] = 0x00, em[1] = 0x01;
	memset(em + 2, 0xff, k_len - 3 - sizeof prefix - 32);
	em[k_len - 1 - sizeof prefix - 32] = 0x00;
	memcpy(em + k_len - sizeof prefix - 32, prefix, sizeof prefix);
	if (wc_Sha256Hash(msg, (word32)n, em + k_len - 32) != 0)
		return WEBAUTHN_E_INTERNAL;
	if (jose_sig_wolfcrypt.rsa_public(jose_sig_wolfcrypt.ctx, &k->pk, 0, sig, got) != JOSE_OK)
		return WEBAUTHN_E_INTERNAL;
	return jose_ct_equal(em, got, k_len) ? WEBAUTHN_OK : WEBAUTHN_E_SIGNATURE;
}

/* The backend's verdict as ours. */
static webauthn_err backend_verify(const struct cose *k, jose_alg alg, const uint8_t *msg, size_t n,
                                   const uint8_t *sig, size_t len)
{
	jose_err e = jose_sig_wolfcrypt.verify(jose_sig_wolfcrypt.ctx, &k->pk, 0, alg, msg, n, sig, len);

	return e == JOSE_OK             ? WEBAUTHN_OK
	       : e == JOSE_E_SIG_FAILED ? WEBAUTHN_E_SIGNATURE
	                                : WEBAUTHN_E_INTERNAL;
}

/* Verify sig over msg[0..n) with key k. */
static webauthn_err verify_sig(const struct cose *k, const uint8_t *msg, size_t n, const uint8_t *sig,
                               size_t len)
{
	uint8_t rs[64];
	webauthn_err e;

	switch (k->alg) {
	case WEBAUTHN_ES256:
		if ((e = der_ecdsa(sig, len, rs)) != WEBAUTHN_OK)
			return e;
		return backend_verify(k, JOSE_ALG_ES256, msg, n, rs, sizeof rs);
	case WEBAUTHN_EDDSA:
		if (len != 64 || !ed25519_s_ok(sig + 32))
			return WEBAUTHN_E_SIG_FORMAT;
		return backend_verify(k, JOSE_ALG_EDDSA, msg, n, sig, len);
	case WEBAUTHN_RS256:
		return verify_rs256(k, msg, n, sig, len);
	}
	return WEBAUTHN_E_COSE_ALG;
}

/* ---- ceremonies ------------------------------------------------------------------------- */

/* x is usable: an RP ID, a challenge of an accepted length, 1..WEBAUTHN_ORIGINS_MAX origins. */
static int expect_ok(const webauthn_expect *x)
{
	if (!x || !x->rp_id || !*x->rp_id || !x->challenge || x->challenge_len < WEBAUTHN_CHALLENGE_MIN ||
	    x->challenge_len > WEBAUTHN_CHALLENGE_MAX || !x->origins || x->n_origins == 0 ||
	    x->n_origins > WEBAUTHN_ORIGINS_MAX)
		return 0;
	for (size_t i = 0; i < x->n_origins; i++)
		if (!x->origins[i])
			return 0;
	return 1;
}

/* The text member name of attestation map m, or NULL. */
static const cbor_item_t *att_get(const cbor_item_t *m, const char *name)
{
	struct cbor_pair *p = cbor_map_handle(m);
	size_t len = strlen(name);

	for (size_t i = 0; i < cbor_map_size(m); i++)
		if (cbor_string_length(p[i].key) == len && !memcmp(cbor_string_handle(p[i].key), name, len))
			return p[i].value;
	return NULL;
}

/* The attestation object's members (L3 §6.5.4): exactly fmt "none", an empty attStmt, authData. */
static webauthn_err att_members(const cbor_item_t *m, const cbor_item_t **auth_data)
{
	const cbor_item_t *fmt, *stmt;
	webauthn_err e;

	*auth_data = NULL;
	if ((e = map_check(m, CBOR_TYPE_STRING)) != WEBAUTHN_OK)
		return e;
	fmt = att_get(m, "fmt");
	stmt = att_get(m, "attStmt");
	*auth_data = att_get(m, "authData");
	if (!fmt || !stmt || !*auth_data || cbor_map_size(m) != 3)
		return WEBAUTHN_E_ATT_MEMBER;
	if (!cbor_isa_string(fmt) || !cbor_isa_map(stmt) || !cbor_isa_bytestring(*auth_data))
		return WEBAUTHN_E_CBOR_TYPE;
	if (cbor_string_length(fmt) != 4 || memcmp(cbor_string_handle(fmt), "none", 4))
		return WEBAUTHN_E_ATT_FMT;
	return cbor_map_size(stmt) == 0 ? WEBAUTHN_OK : WEBAUTHN_E_ATT_STMT;
}

/* Fill out from the registration's parsed authenticator data. */
static void credential_out(const struct authdata *a, webauthn_credential *out)
{
	out->flags = a->flags;
	out->sign_count = a->count;
	memcpy(out->aaguid, a->aaguid, 16);
	out->alg = a->key.alg;
	out->cred_id_len = a->cred_id_len;
	memcpy(out->cred_id, a->cred_id, a->cred_id_len);
	out->cose_len = a->cose_len;
	memcpy(out->cose_key, a->cose, a->cose_len);
}

/* see webauthn.h */
webauthn_err webauthn_register(const webauthn_expect *x, const uint8_t *client_data, size_t cd_len,
                               const uint8_t *att, size_t att_len, webauthn_credential *out)
{
	const cbor_item_t *ad;
	cbor_item_t *m = NULL;
	struct authdata a;
	size_t used;
	webauthn_err e;

	if (!out)
		return WEBAUTHN_E_ARG;
	memset(out, 0, sizeof *out);
	if (!expect_ok(x) || !client_data || !att)
		return WEBAUTHN_E_ARG;
	if ((e = check_client_data(x, client_data, cd_len, "webauthn.create")) != WEBAUTHN_OK)
		return e;
	if (att_len > WEBAUTHN_ATTESTATION_MAX)
		return WEBAUTHN_E_CBOR_SIZE;
	if ((e = cbor_take(att, att_len, 1, &m, &used)) != WEBAUTHN_OK)
		return e;
	if ((e = att_members(m, &ad)) == WEBAUTHN_OK &&
	    (e = authdata_parse(x, cbor_bytestring_handle(ad), cbor_bytestring_length(ad), 1, &a)) ==
	        WEBAUTHN_OK)
		credential_out(&a, out);
	cbor_decref(&m);
	return e;
}

/* authData || SHA-256(clientDataJSON) into a new buffer, its length in *n; NULL when out of memory. */
static uint8_t *signed_message(const uint8_t *ad, size_t ad_len, const uint8_t *cd, size_t cd_len, size_t *n)
{
	uint8_t *msg = malloc(ad_len + WC_SHA256_DIGEST_SIZE);

	if (!msg)
		return NULL;
	memcpy(msg, ad, ad_len);
	if (wc_Sha256Hash(cd, (word32)cd_len, msg + ad_len) != 0) {
		free(msg);
		return NULL;
	}
	*n = ad_len + WC_SHA256_DIGEST_SIZE;
	return msg;
}

/* see webauthn.h */
webauthn_err webauthn_verify(const webauthn_expect *x, const uint8_t *cose, size_t cose_len,
                             uint32_t stored_count, const uint8_t *client_data, size_t cd_len,
                             const uint8_t *auth_data, size_t ad_len, const uint8_t *sig, size_t sig_len,
                             webauthn_assertion *out)
{
	struct authdata a;
	struct cose k;
	uint8_t *msg;
	size_t n = 0, used;
	webauthn_err e;

	if (!out)
		return WEBAUTHN_E_ARG;
	memset(out, 0, sizeof *out);
	if (!expect_ok(x) || !cose || !client_data || !auth_data || !sig)
		return WEBAUTHN_E_ARG;
	if (cose_len > WEBAUTHN_COSE_MAX)
		return WEBAUTHN_E_CBOR_SIZE;
	if ((e = cose_parse(cose, cose_len, 1, &k, &used)) != WEBAUTHN_OK ||
	    (e = check_client_data(x, client_data, cd_len, "webauthn.get")) != WEBAUTHN_OK ||
	    (e = authdata_parse(x, auth_data, ad_len, 0, &a)) != WEBAUTHN_OK)
		return e;
	if (!(msg = signed_message(auth_data, ad_len, client_data, cd_len, &n)))
		return WEBAUTHN_E_NOMEM;
	e = verify_sig(&k, msg, n, sig, sig_len);
	free(msg);
	if (e != WEBAUTHN_OK)
		return e;
	out->flags = a.flags;
	out->sign_count = a.count;
	/* L3 §7.2 step 22: a counter that did not grow, when either side counts. */
	if ((a.count != 0 || stored_count != 0) && a.count <= stored_count)
		return WEBAUTHN_E_CLONED;
	return WEBAUTHN_OK;
}
