/*
 * test_webauthn.c: WebAuthn registration and assertion checks (issuer/mfa/webauthn.c).
 *
 * First the independent vectors of tests/vectors/webauthn/ (README.md there):
 * the W3C Level 3 §16.2 registration and authentication, py_webauthn's
 * registrations and assertions (ES256, RS256, EdDSA) with the outcomes its
 * tests assert, and the signature steps over Wycheproof (DER ECDSA P-256,
 * RSASSA-PKCS1-v1_5 2048/SHA-256, Ed25519). Then every refusal, each by
 * changing one thing in a valid vector: strict CBOR, the attestation object,
 * authenticator data and its flags, COSE keys, clientDataJSON, signatures,
 * and the cloned-authenticator counter rule.
 */
#include "../../issuer/mfa/webauthn.c"
#include "../test.h"

#define BUF 4096

typedef struct blob {
	size_t n;
	uint8_t b[BUF];
} blob;

static int nib(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c - 'A' + 10;
}

/* Hex or base64url text into *o (the vector files use one or the other). */
static void dec(blob *o, const char *text, int hex)
{
	o->n = 0;
	if (!text)
		return;
	if (hex) {
		for (; text[0] && text[1] && o->n < BUF; text += 2)
			o->b[o->n++] = (uint8_t)(nib(text[0]) << 4 | nib(text[1]));
	} else if (jose_b64url_decode(o->b, BUF, &o->n, text, strlen(text)) != 0) {
		o->n = 0;
	}
}

static void field(blob *o, const cJSON *obj, const char *name, int hex)
{
	dec(o, jose_json_string(obj, name), hex);
}

static cJSON *load(const char *rel)
{
	char *text = t_read_vector(rel);
	cJSON *j = text ? cJSON_Parse(text) : NULL;

	free(text);
	T_CHECK(j != NULL, "%s parses", rel);
	return j;
}

/* ---- the W3C vector, kept for the mutations below ------------------------------------- */

static const char *W3C_ORIGINS[] = {"https://example.org"};
static blob w3c_reg_chal, w3c_reg_cd, w3c_att, w3c_cred_id, w3c_cose, w3c_aaguid;
static blob w3c_get_chal, w3c_get_cd, w3c_get_ad, w3c_get_sig;

static webauthn_expect w3c_expect(const blob *chal, int uv)
{
	return (webauthn_expect){"example.org", chal->b, chal->n, W3C_ORIGINS, 1, uv};
}

static void w3c(void)
{
	cJSON *j = load("webauthn/w3c-webauthn-3-none-es256.json");
	const cJSON *r = jose_json_member(j, "registration"), *a = jose_json_member(j, "authentication");
	webauthn_credential cred;
	webauthn_assertion as;
	webauthn_expect x;

	if (!j)
		return;
	field(&w3c_reg_chal, r, "challenge", 1), field(&w3c_reg_cd, r, "clientDataJSON", 1);
	field(&w3c_att, r, "attestationObject", 1), field(&w3c_cred_id, r, "credentialId", 1);
	field(&w3c_cose, r, "credentialPublicKey", 1), field(&w3c_aaguid, r, "aaguid", 1);
	field(&w3c_get_chal, a, "challenge", 1), field(&w3c_get_cd, a, "clientDataJSON", 1);
	field(&w3c_get_ad, a, "authenticatorData", 1), field(&w3c_get_sig, a, "signature", 1);

	x = w3c_expect(&w3c_reg_chal, 0);
	T_CHECK(webauthn_register(&x, w3c_reg_cd.b, w3c_reg_cd.n, w3c_att.b, w3c_att.n, &cred) == WEBAUTHN_OK,
	        "W3C L3 16.2: the none/ES256 registration is accepted");
	T_CHECK(cred.cred_id_len == w3c_cred_id.n && !memcmp(cred.cred_id, w3c_cred_id.b, w3c_cred_id.n) &&
	            cred.cose_len == w3c_cose.n && !memcmp(cred.cose_key, w3c_cose.b, w3c_cose.n) &&
	            !memcmp(cred.aaguid, w3c_aaguid.b, 16) && cred.alg == WEBAUTHN_ES256,
	        "W3C: credential id, public key, AAGUID and alg as published");
	T_CHECK(cred.flags == cJSON_GetObjectItem(r, "flags")->valueint &&
	            cred.sign_count == (uint32_t)cJSON_GetObjectItem(r, "signCount")->valueint,
	        "W3C: flags 0x%02x and counter %u as published", cred.flags, cred.sign_count);

	x = w3c_expect(&w3c_get_chal, 0);
	T_CHECK(webauthn_verify(&x, w3c_cose.b, w3c_cose.n, 0, w3c_get_cd.b, w3c_get_cd.n, w3c_get_ad.b,
	                        w3c_get_ad.n, w3c_get_sig.b, w3c_get_sig.n, &as) == WEBAUTHN_OK &&
	            as.flags == cJSON_GetObjectItem(a, "flags")->valueint && as.sign_count == 0,
	        "W3C L3 16.2: the authentication verifies (flags 0x%02x, counter stays 0)", as.flags);
	cJSON_Delete(j);
}

/* ---- py_webauthn ------------------------------------------------------------------------ */

/* The outcome a vector names: "ok", "refused" (any refusal) or an error's enum name. */
static int outcome_is(const char *want, webauthn_err got)
{
	static const struct {
		const char *name;
		webauthn_err e;
	} names[] = {{"WEBAUTHN_E_ATT_FMT", WEBAUTHN_E_ATT_FMT}, {"WEBAUTHN_E_FLAG_UV", WEBAUTHN_E_FLAG_UV}};

	if (!strcmp(want, "ok"))
		return got == WEBAUTHN_OK;
	if (!strcmp(want, "refused"))
		return got >= 10;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (!strcmp(want, names[i].name))
			return got == names[i].e;
	return 0;
}

static blob py_cose_es256; /* a py_webauthn ES256 key, for the wrong-key check */

static void py_registrations(const cJSON *j, const char *const *origins)
{
	const cJSON *v;
	int n = 0;

	cJSON_ArrayForEach(v, jose_json_member(j, "registrations"))
	{
		static blob chal, cd, att, id, cose;
		webauthn_credential cred;
		webauthn_expect x;
		webauthn_err e;
		const char *want = jose_json_string(v, "expect");

		field(&chal, v, "challenge", 0), field(&cd, v, "clientDataJSON", 0),
		    field(&att, v, "attestationObject", 0);
		x = (webauthn_expect){"localhost", chal.b, chal.n, origins, 1, 0};
		e = webauthn_register(&x, cd.b, cd.n, att.b, att.n, &cred);
		T_CHECK(outcome_is(want, e), "py_webauthn registration \"%s\": %s (%s)",
		        jose_json_string(v, "name"), want, webauthn_strerror(e));
		if (!strcmp(want, "ok")) {
			field(&id, v, "credentialId", 0), field(&cose, v, "credentialPublicKey", 0);
			T_CHECK(cred.cred_id_len == id.n && !memcmp(cred.cred_id, id.b, id.n) &&
			            cred.cose_len == cose.n && !memcmp(cred.cose_key, cose.b, cose.n) &&
			            cred.sign_count ==
			                (uint32_t)cJSON_GetObjectItem(v, "signCount")->valueint,
			        "py_webauthn: credential id, public key and counter %u as its test asserts",
			        cred.sign_count);
		}
		n++;
	}
	T_CHECK(n == 2, "py_webauthn: %d registrations read", n);
}

static void py_authentications(const cJSON *j, const char *const *origins)
{
	const cJSON *v;
	int n = 0;

	cJSON_ArrayForEach(v, jose_json_member(j, "authentications"))
	{
		static blob chal, cd, ad, sig, cose;
		const char *list[2], *const *use = origins, *want = jose_json_string(v, "expect");
		const cJSON *o = jose_json_member(v, "origins");
		size_t n_origins = 1;
		webauthn_assertion as;
		webauthn_expect x;
		webauthn_err e;
		uint32_t stored = (uint32_t)cJSON_GetObjectItem(v, "storedSignCount")->valuedouble;

		field(&chal, v, "challenge", 0), field(&cd, v, "clientDataJSON", 0);
		field(&ad, v, "authenticatorData", 0), field(&sig, v, "signature", 0);
		field(&cose, v, "credentialPublicKey", 0);
		if (o) {
			list[0] = cJSON_GetArrayItem(o, 0)->valuestring,
			list[1] = cJSON_GetArrayItem(o, 1)->valuestring;
			use = list, n_origins = 2;
		}
		x = (webauthn_expect){"localhost", chal.b,    chal.n,
		                      use,         n_origins, cJSON_IsTrue(jose_json_member(v, "requireUV"))};
		e = webauthn_verify(&x, cose.b, cose.n, stored, cd.b, cd.n, ad.b, ad.n, sig.b, sig.n, &as);
		T_CHECK(outcome_is(want, e), "py_webauthn assertion \"%s\": %s (%s)",
		        jose_json_string(v, "name"), want, webauthn_strerror(e));
		if (jose_json_member(v, "newSignCount"))
			T_CHECK(as.sign_count == (uint32_t)cJSON_GetObjectItem(v, "newSignCount")->valueint,
			        "py_webauthn \"%s\": new counter %u as its test asserts",
			        jose_json_string(v, "name"), as.sign_count);
		if (n == 0)
			py_cose_es256 = cose;
		n++;
	}
	T_CHECK(n == 6, "py_webauthn: %d assertions read", n);
}

/* One py_webauthn assertion by name, for the mutations below. */
static const cJSON *py_find(const cJSON *j, const char *name)
{
	const cJSON *v;

	cJSON_ArrayForEach(v, jose_json_member(j, "authentications")) if (!strcmp(jose_json_string(v, "name"),
	                                                                          name)) return v;
	return NULL;
}

/* Verify py_webauthn assertion v with its own inputs, except stored count and the key. */
static webauthn_err py_verify(const cJSON *v, const blob *key, uint32_t stored, webauthn_assertion *as)
{
	static const char *origins[] = {"http://localhost:5000"};
	static blob chal, cd, ad, sig, cose;
	webauthn_expect x;

	field(&chal, v, "challenge", 0), field(&cd, v, "clientDataJSON", 0);
	field(&ad, v, "authenticatorData", 0), field(&sig, v, "signature", 0),
	    field(&cose, v, "credentialPublicKey", 0);
	x = (webauthn_expect){"localhost", chal.b, chal.n, origins, 1, 0};
	if (key)
		cose = *key;
	return webauthn_verify(&x, cose.b, cose.n, stored, cd.b, cd.n, ad.b, ad.n, sig.b, sig.n, as);
}

/* Cloned authenticators (L3 §6.1.1, §7.2 step 22): the counter must grow when either side counts. */
static void counters(const cJSON *j)
{
	const cJSON *ec = py_find(j, "EC2 (ES256) public key"), *okp = py_find(j, "OKP (EdDSA) public key");
	webauthn_assertion as;

	T_CHECK(py_verify(ec, NULL, 77, &as) == WEBAUTHN_OK && as.sign_count == 78,
	        "counter 77 -> 78: accepted");
	T_CHECK(py_verify(ec, NULL, 78, &as) == WEBAUTHN_E_CLONED && as.sign_count == 78,
	        "cloned authenticator: counter 78 again is WEBAUTHN_E_CLONED, the new count still reported");
	T_CHECK(py_verify(ec, NULL, 1000, &as) == WEBAUTHN_E_CLONED,
	        "cloned authenticator: 78 after 1000 refused");
	T_CHECK(py_verify(okp, NULL, 7, &as) == WEBAUTHN_E_CLONED &&
	            py_verify(okp, NULL, 6, &as) == WEBAUTHN_OK,
	        "EdDSA: 7 after 7 refused as cloned, 7 after 6 accepted");
	T_CHECK(py_verify(ec, &py_cose_es256, 0, &as) == WEBAUTHN_OK,
	        "control: the same vector with its own key passes the signature");
	{
		const cJSON *uv = py_find(j, "user verification required but not done");
		static blob other;
		field(&other, uv, "credentialPublicKey", 0);
		T_CHECK(py_verify(ec, &other, 0, &as) == WEBAUTHN_E_SIGNATURE,
		        "another credential's ES256 key: WEBAUTHN_E_SIGNATURE, not a counter error");
	}
	T_CHECK(strcmp(webauthn_strerror(WEBAUTHN_E_CLONED), webauthn_strerror(WEBAUTHN_E_SIGNATURE)) != 0,
	        "the cloned error has its own sentence: %s", webauthn_strerror(WEBAUTHN_E_CLONED));
}

static void py(void)
{
	static const char *origins[] = {"http://localhost:5000"};
	cJSON *j = load("webauthn/py_webauthn.json");

	if (!j)
		return;
	py_registrations(j, origins);
	py_authentications(j, origins);
	counters(j);
	cJSON_Delete(j);
}

/* ---- Wycheproof: the signature steps alone --------------------------------------------- */

/* Run every test of a Wycheproof file through verify_sig with a key built by make_key. */
static void wycheproof(const char *rel, const char *what, int (*make_key)(const cJSON *g, struct cose *k))
{
	cJSON *j = load(rel);
	const cJSON *g, *t;
	int n = 0, bad = 0, acceptable = 0;
	static blob msg, sig;

	if (!j)
		return;
	cJSON_ArrayForEach(g, jose_json_member(j, "testGroups"))
	{
		struct cose k;
		if (make_key(g, &k) != 0)
			continue;
		cJSON_ArrayForEach(t, jose_json_member(g, "tests"))
		{
			const char *result = jose_json_string(t, "result");
			webauthn_err e;
			dec(&msg, jose_json_string(t, "msg"), 1), dec(&sig, jose_json_string(t, "sig"), 1);
			e = verify_sig(&k, msg.b, msg.n, sig.b, sig.n);
			n++;
			if (!strcmp(result, "acceptable")) {
				acceptable++;
				continue;
			}
			if ((e == WEBAUTHN_OK) != !strcmp(result, "valid") || e == WEBAUTHN_E_INTERNAL) {
				bad++;
				printf("# %s tcId %d (%s): %s\n", what,
				       cJSON_GetObjectItem(t, "tcId")->valueint,
				       jose_json_string(t, "comment"), webauthn_strerror(e));
			}
		}
	}
	T_CHECK(n > 100 && bad == 0, "Wycheproof %s: %d tests, %d disagree (%d acceptable left either way)",
	        what, n, bad, acceptable);
	cJSON_Delete(j);
}

static int key_p256(const cJSON *g, struct cose *k)
{
	static blob wx, wy;
	const cJSON *pk = jose_json_member(g, "publicKey");
	uintptr_t h;

	memset(k, 0, sizeof *k);
	dec(&wx, jose_json_string(pk, "wx"), 1), dec(&wy, jose_json_string(pk, "wy"), 1);
	/* Wycheproof may prefix a coordinate with a zero byte (its sign in ASN.1). */
	if (wx.n > 32 || wy.n > 32) {
		if (wx.n == 33 && wx.b[0] == 0)
			memmove(wx.b, wx.b + 1, --wx.n);
		if (wy.n == 33 && wy.b[0] == 0)
			memmove(wy.b, wy.b + 1, --wy.n);
	}
	if (wx.n > 32 || wy.n > 32)
		return -1;
	memset(k->a, 0, 32), memset(k->b32, 0, 32);
	memcpy(k->a + 32 - wx.n, wx.b, wx.n), memcpy(k->b32 + 32 - wy.n, wy.b, wy.n);
	k->alg = WEBAUTHN_ES256;
	k->pk = (jose_pubkey){JOSE_KTY_EC, JOSE_CRV_P256, k->a, 32, k->b32, 32};
	return jose_sig_wolfcrypt.load(NULL, &k->pk, &h) == JOSE_OK ? 0 : -1;
}

static int key_rsa(const cJSON *g, struct cose *k)
{
	static blob n, e;
	const cJSON *pk = jose_json_member(g, "publicKey");

	memset(k, 0, sizeof *k);
	dec(&n, jose_json_string(pk, "modulus"), 1), dec(&e, jose_json_string(pk, "publicExponent"), 1);
	while (n.n > 0 && n.b[0] == 0)
		memmove(n.b, n.b + 1, --n.n);
	if (n.n > sizeof k->a || e.n > sizeof k->b)
		return -1;
	memcpy(k->a, n.b, n.n), memcpy(k->b, e.b, e.n);
	k->alg = WEBAUTHN_RS256;
	k->pk = (jose_pubkey){JOSE_KTY_RSA, JOSE_CRV_NONE, k->a, n.n, k->b, e.n};
	return 0;
}

static int key_ed25519(const cJSON *g, struct cose *k)
{
	static blob a;

	memset(k, 0, sizeof *k);
	dec(&a, jose_json_string(jose_json_member(g, "publicKey"), "pk"), 1);
	if (a.n != 32)
		return -1;
	memcpy(k->a, a.b, 32);
	k->alg = WEBAUTHN_EDDSA;
	k->pk = (jose_pubkey){JOSE_KTY_OKP, JOSE_CRV_ED25519, k->a, 32, NULL, 0};
	return 0;
}

/* ---- registration refusals ------------------------------------------------------------- */

/* A CBOR head (shortest form) at o; its length. */
static size_t head(uint8_t *o, int major, uint64_t v)
{
	if (v < 24)
		return o[0] = (uint8_t)(major << 5 | v), 1;
	if (v < 256)
		return o[0] = (uint8_t)(major << 5 | 24), o[1] = (uint8_t)v, 2;
	o[0] = (uint8_t)(major << 5 | 25), o[1] = (uint8_t)(v >> 8), o[2] = (uint8_t)v;
	return 3;
}

static size_t text(uint8_t *o, const char *s)
{
	size_t n = head(o, 3, strlen(s));
	memcpy(o + n, s, strlen(s));
	return n + strlen(s);
}

/* {"fmt": fmt, "attStmt": stmt (raw CBOR), "authData": ad} into *out. */
static void att_build(blob *out, const char *fmt, const char *stmt_hex, const blob *ad)
{
	blob stmt;
	uint8_t *o = out->b;

	dec(&stmt, stmt_hex, 1);
	o += head(o, 5, 3);
	o += text(o, "fmt"), o += text(o, fmt);
	o += text(o, "attStmt");
	memcpy(o, stmt.b, stmt.n), o += stmt.n;
	o += text(o, "authData"), o += head(o, 2, ad->n);
	memcpy(o, ad->b, ad->n), o += ad->n;
	out->n = (size_t)(o - out->b);
}

/* The W3C registration's authenticatorData (the byte string at offset 30 of the object). */
static blob w3c_ad(void)
{
	blob ad;

	ad.n = 164;
	memcpy(ad.b, w3c_att.b + 30, ad.n);
	return ad;
}

static webauthn_err reg_with(const blob *att)
{
	webauthn_expect x = w3c_expect(&w3c_reg_chal, 0);
	webauthn_credential c;

	return webauthn_register(&x, w3c_reg_cd.b, w3c_reg_cd.n, att->b, att->n, &c);
}

static webauthn_err reg_ad(const blob *ad)
{
	blob att;

	att_build(&att, "none", "a0", ad);
	return reg_with(&att);
}

/* A check of one outcome; a failure also prints what came instead. */
#define EXPECT(got, want, ...)                                                                               \
	do {                                                                                                 \
		webauthn_err got_ = (got);                                                                   \
		if (got_ != (want))                                                                          \
			printf("# got %d: %s\n", got_, webauthn_strerror(got_));                             \
		T_CHECK(got_ == (want), __VA_ARGS__);                                                        \
	} while (0)

static void cbor_strict(void)
{
	blob att = w3c_att, ad = w3c_ad();

	T_CHECK(w3c_att.b[28] == 0x58 && w3c_att.b[29] == 0xa4 && reg_ad(&ad) == WEBAUTHN_OK,
	        "control: the W3C registration rebuilt from its parts is accepted");
	att.b[att.n++] = 0x00;
	EXPECT(reg_with(&att), WEBAUTHN_E_CBOR_TRAILING,
	       "a byte after the attestation object: CBOR_TRAILING");
	att.n = w3c_att.n - 1;
	EXPECT(reg_with(&att), WEBAUTHN_E_CBOR_TRUNCATED, "attestation object cut short: CBOR_TRUNCATED");
	att = w3c_att;
	att.b[0] = 0xbf, att.b[att.n++] = 0xff;
	EXPECT(reg_with(&att), WEBAUTHN_E_CBOR_INDEFINITE, "an indefinite-length map: CBOR_INDEFINITE");
	att = w3c_att;
	memmove(att.b + 2, att.b + 1, att.n - 1), att.n++;
	att.b[0] = 0xb8, att.b[1] = 0x03;
	EXPECT(reg_with(&att), WEBAUTHN_E_CBOR_NONCANONICAL,
	       "map length 3 in a two-byte head: CBOR_NONCANONICAL");
	att = w3c_att;
	att.b[0] = 0x86;
	EXPECT(reg_with(&att), WEBAUTHN_E_CBOR_TYPE, "an array where the map belongs: CBOR_TYPE");
	att = w3c_att;
	att.b[0] = 0xbc;
	EXPECT(reg_with(&att), WEBAUTHN_E_CBOR_MALFORMED,
	       "reserved additional information 28: CBOR_MALFORMED");
	att.b[0] = 0xff;
	EXPECT(reg_with(&att), WEBAUTHN_E_CBOR_MALFORMED, "a stray break byte: CBOR_MALFORMED");
	{ /* A map claiming 2^32-1 entries in a few bytes: refused before anything is allocated. */
		static const uint8_t big[] = {0xba, 0xff, 0xff, 0xff, 0xff, 0x01, 0x02};
		memcpy(att.b, big, sizeof big), att.n = sizeof big;
		EXPECT(reg_with(&att), WEBAUTHN_E_CBOR_SIZE, "a map count beyond the bytes left: CBOR_SIZE");
	}
	{ /* Nested arrays deeper than WEBAUTHN_CBOR_DEPTH, as the attStmt's value. */
		char deep[64] = "";
		for (int i = 0; i < WEBAUTHN_CBOR_DEPTH; i++)
			strcat(deep, "81");
		strcat(deep, "00");
		att_build(&att, "none", deep, &ad);
		EXPECT(reg_with(&att), WEBAUTHN_E_CBOR_DEPTH, "attStmt nested %d deep: CBOR_DEPTH",
		       WEBAUTHN_CBOR_DEPTH + 1);
	}
	att.n = WEBAUTHN_ATTESTATION_MAX + 1;
	EXPECT(reg_with(&att), WEBAUTHN_E_CBOR_SIZE,
	       "an attestation object over WEBAUTHN_ATTESTATION_MAX: CBOR_SIZE");
}

static void attestation_object(void)
{
	blob ad = w3c_ad(), att;
	uint8_t *o;

	att_build(&att, "packed", "a0", &ad);
	EXPECT(reg_with(&att), WEBAUTHN_E_ATT_FMT, "fmt \"packed\": ATT_FMT (only none is accepted)");
	att_build(&att, "None", "a0", &ad);
	EXPECT(reg_with(&att), WEBAUTHN_E_ATT_FMT, "fmt \"None\" (case differs): ATT_FMT");
	att_build(&att, "none", "a16363666701", &ad); /* {"cfg": 1} */
	EXPECT(reg_with(&att), WEBAUTHN_E_ATT_STMT, "none with a non-empty attStmt: ATT_STMT");
	att_build(&att, "none", "80", &ad);
	EXPECT(reg_with(&att), WEBAUTHN_E_CBOR_TYPE, "attStmt an array: CBOR_TYPE");
	/* Four members: the three and "extra". */
	att_build(&att, "none", "a0", &ad);
	att.b[0] = 0xa4;
	o = att.b + att.n;
	o += text(o, "extra"), o += head(o, 0, 1);
	att.n = (size_t)(o - att.b);
	EXPECT(reg_with(&att), WEBAUTHN_E_ATT_MEMBER, "an unknown fourth member: ATT_MEMBER");
	/* "fmt" twice, no authData. */
	o = att.b;
	o += head(o, 5, 3), o += text(o, "fmt"), o += text(o, "none"), o += text(o, "attStmt"),
	    o += head(o, 5, 0);
	o += text(o, "fmt"), o += text(o, "none");
	att.n = (size_t)(o - att.b);
	EXPECT(reg_with(&att), WEBAUTHN_E_CBOR_DUPLICATE, "\"fmt\" twice: CBOR_DUPLICATE");
	o = att.b;
	o += head(o, 5, 2), o += text(o, "fmt"), o += text(o, "none"), o += text(o, "attStmt"),
	    o += head(o, 5, 0);
	att.n = (size_t)(o - att.b);
	EXPECT(reg_with(&att), WEBAUTHN_E_ATT_MEMBER, "no authData: ATT_MEMBER");
	o = att.b;
	o += head(o, 5, 1), o += head(o, 0, 1), o += head(o, 0, 2);
	att.n = (size_t)(o - att.b);
	EXPECT(reg_with(&att), WEBAUTHN_E_CBOR_TYPE, "an integer map key: CBOR_TYPE");
}

static void authenticator_data(void)
{
	blob ad = w3c_ad(), m;

	m = ad, m.b[0] ^= 1;
	EXPECT(reg_ad(&m), WEBAUTHN_E_RP_ID, "another RP ID's hash: RP_ID");
	m = ad, m.b[32] &= (uint8_t)~WEBAUTHN_FLAG_UP;
	EXPECT(reg_ad(&m), WEBAUTHN_E_FLAG_UP, "UP clear: FLAG_UP");
	m = ad, m.b[32] &= (uint8_t)~WEBAUTHN_FLAG_BE;
	EXPECT(reg_ad(&m), WEBAUTHN_E_FLAG_BS, "BS without BE: FLAG_BS");
	m = ad, m.b[32] &= (uint8_t)~WEBAUTHN_FLAG_AT;
	EXPECT(reg_ad(&m), WEBAUTHN_E_FLAG_AT, "registration without AT: FLAG_AT");
	m = ad, m.b[32] |= WEBAUTHN_FLAG_ED;
	EXPECT(reg_ad(&m), WEBAUTHN_E_FLAG_ED, "ED set, no extensions: FLAG_ED");
	m = ad, m.b[m.n++] = 0xa0;
	EXPECT(reg_ad(&m), WEBAUTHN_E_AUTHDATA_LENGTH, "extensions without ED: AUTHDATA_LENGTH");
	m = ad, m.b[32] |= WEBAUTHN_FLAG_ED, m.b[m.n++] = 0xa1, m.b[m.n++] = 0x61, m.b[m.n++] = 'x',
	m.b[m.n++] = 0xf5;
	EXPECT(reg_ad(&m), WEBAUTHN_OK, "ED with an extensions map {\"x\": true}: accepted");
	m.b[m.n++] = 0x00;
	EXPECT(reg_ad(&m), WEBAUTHN_E_AUTHDATA_LENGTH, "a byte after the extensions: AUTHDATA_LENGTH");
	m = ad, m.b[32] |= WEBAUTHN_FLAG_ED, m.b[m.n++] = 0x80;
	EXPECT(reg_ad(&m), WEBAUTHN_E_CBOR_TYPE, "extensions an array: CBOR_TYPE");
	m = ad, m.n = 36;
	EXPECT(reg_ad(&m), WEBAUTHN_E_AUTHDATA_LENGTH, "36 bytes: AUTHDATA_LENGTH");
	m = ad, m.n = 37 + 17;
	EXPECT(reg_ad(&m), WEBAUTHN_E_AUTHDATA_LENGTH,
	       "attested data cut inside its length: AUTHDATA_LENGTH");
	m = ad, m.b[53] = 0, m.b[54] = 0;
	EXPECT(reg_ad(&m), WEBAUTHN_E_CRED_ID, "credential id of length 0: CRED_ID");
	m = ad, m.b[53] = 0x04, m.b[54] = 0x00;
	EXPECT(reg_ad(&m), WEBAUTHN_E_CRED_ID, "credential id of 1024 bytes: CRED_ID (1023 is the most)");
	{ /* A 1023-byte credential id is accepted; the COSE key follows it. */
		blob big;
		memcpy(big.b, ad.b, 53);
		big.b[53] = 0x03, big.b[54] = 0xff;
		memset(big.b + 55, 0x5a, 1023);
		memcpy(big.b + 55 + 1023, w3c_cose.b, w3c_cose.n);
		big.n = 55 + 1023 + w3c_cose.n;
		EXPECT(reg_ad(&big), WEBAUTHN_OK, "credential id of 1023 bytes: accepted");
	}
	m = ad, m.b[54] = 0x30; /* claims 48 bytes: the key's first bytes become id, the rest is no key */
	T_CHECK(reg_ad(&m) >= 10, "a credential id length past the key's start: refused (%s)",
	        webauthn_strerror(reg_ad(&m)));
	m = ad, m.n -= 1;
	EXPECT(reg_ad(&m), WEBAUTHN_E_CBOR_TRUNCATED, "COSE key cut short: CBOR_TRUNCATED");
	{
		webauthn_expect x = w3c_expect(&w3c_reg_chal, 1);
		webauthn_credential c;
		EXPECT(webauthn_register(&x, w3c_reg_cd.b, w3c_reg_cd.n, w3c_att.b, w3c_att.n, &c),
		       WEBAUTHN_E_FLAG_UV, "W3C registration without UV when UV is required: FLAG_UV");
		T_CHECK(c.cred_id_len == 0 && c.cose_len == 0, "and the output is zeroed");
	}
}

/* ---- COSE keys ------------------------------------------------------------------------- */

static webauthn_err cose_hex(const char *hex)
{
	blob b;
	webauthn_alg alg;

	dec(&b, hex, 1);
	return webauthn_cose_check(b.b, b.n, &alg);
}

#define X32 "afefa16f97ca9b2d23eb86ccb64098d20db90856062eb249c33a9b672f26df61"
#define A32 "6161616161616161616161616161616161616161616161616161616161616161"
#define Y32 "930a56b87a2fca66334b03458abf879717c12cc68ed73290af2e2664796b9220"

static void cose_keys(void)
{
	webauthn_alg alg;
	blob b;

	T_CHECK(webauthn_cose_check(w3c_cose.b, w3c_cose.n, &alg) == WEBAUTHN_OK && alg == WEBAUTHN_ES256,
	        "control: the W3C ES256 key");
	EXPECT(cose_hex("a5010203262002215820" X32 "225820" Y32), WEBAUTHN_E_COSE_KEY,
	       "EC2 on crv 2 (P-384): COSE_KEY");
	EXPECT(cose_hex("a5010103262001215820" X32 "225820" Y32), WEBAUTHN_E_COSE_ALG,
	       "ES256 with kty OKP: COSE_ALG");
	EXPECT(cose_hex("a501020338222001215820" X32 "225820" Y32), WEBAUTHN_E_COSE_ALG,
	       "alg -35 (ES384): COSE_ALG");
	EXPECT(cose_hex("a4010203262001215820" X32), WEBAUTHN_E_COSE_KEY, "EC2 without y: COSE_KEY");
	{
		char y31[300];
		snprintf(y31, sizeof y31, "a5010203262001215820" X32 "22581f%.62s", Y32);
		EXPECT(cose_hex(y31), WEBAUTHN_E_COSE_KEY, "y of 31 bytes: COSE_KEY");
	}
	EXPECT(cose_hex("a5010203262001215820" X32 "225820" Y32 "00"), WEBAUTHN_E_CBOR_TRAILING,
	       "a byte after the key: CBOR_TRAILING");
	{
		char off[300];
		snprintf(off, sizeof off, "a5010203262001215820%.63s0225820" Y32, X32);
		EXPECT(cose_hex(off), WEBAUTHN_E_COSE_POINT,
		       "x changed in its last bit: not on P-256, COSE_POINT");
	}
	EXPECT(cose_hex("a6010203262001215820" X32 "225820" Y32 "235820" X32), WEBAUTHN_E_COSE_KEY,
	       "EC2 with a private d (-4): COSE_KEY");
	EXPECT(cose_hex("a6010203262001215820" X32 "225820" Y32 "0102"), WEBAUTHN_E_CBOR_DUPLICATE,
	       "kty twice: CBOR_DUPLICATE");
	EXPECT(cose_hex("a5016132032620012158"
	                "20" X32 "225820" Y32),
	       WEBAUTHN_E_COSE_KEY, "kty as the text \"2\": COSE_KEY");
	EXPECT(cose_hex("a50102032620012178"
	                "20" A32 "225820" Y32),
	       WEBAUTHN_E_COSE_KEY, "x as a text string: COSE_KEY");
	/* OKP. */
	T_CHECK(cose_hex("a4010103272006215820" X32) == WEBAUTHN_OK, "an Ed25519 OKP key (alg -8)");
	EXPECT(cose_hex("a4010103272004215820" X32), WEBAUTHN_E_COSE_KEY, "OKP on crv 4 (X25519): COSE_KEY");
	EXPECT(cose_hex("a4010103262006215820" X32), WEBAUTHN_E_COSE_ALG, "OKP with alg -7: COSE_ALG");
	EXPECT(
	    cose_hex("a40101032720062158200100000000000000000000000000000000000000000000000000000000000000"),
	    WEBAUTHN_E_COSE_POINT,
	    "Ed25519 key 1 (the identity, small order: verifies forgeries): COSE_POINT");
	EXPECT(
	    cose_hex("a4010103272006215820ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"),
	    WEBAUTHN_E_COSE_POINT, "Ed25519 key p-1 with the sign bit set (small order): COSE_POINT");
	/* RSA: build n of the given size. */
	{
		char hex[1400];
		size_t o;
		o = (size_t)sprintf(hex, "a401030339010020590100");
		for (int i = 0; i < 256; i++)
			o += (size_t)sprintf(hex + o, "%s", i == 0 ? "c3" : "a5");
		sprintf(hex + o, "2143010001");
		EXPECT(cose_hex(hex), WEBAUTHN_OK, "an RSA-2048 key with e 65537");
		sprintf(hex + o, "2143010000");
		EXPECT(cose_hex(hex), WEBAUTHN_E_RSA_SIZE, "even e: RSA_SIZE");
		sprintf(hex + o, "214101");
		EXPECT(cose_hex(hex), WEBAUTHN_E_RSA_SIZE, "e = 1: RSA_SIZE");
		o = (size_t)sprintf(hex, "a40103033901002058ff");
		for (int i = 0; i < 255; i++)
			o += (size_t)sprintf(hex + o, "c3");
		sprintf(hex + o, "2143010001");
		EXPECT(cose_hex(hex), WEBAUTHN_E_RSA_SIZE, "an RSA modulus of 2040 bits: RSA_SIZE");
	}
	b.n = WEBAUTHN_COSE_MAX + 1;
	memset(b.b, 0, b.n);
	EXPECT(webauthn_cose_check(b.b, b.n, &alg), WEBAUTHN_E_CBOR_SIZE,
	       "a key over WEBAUTHN_COSE_MAX: CBOR_SIZE");
}

/* ---- clientDataJSON -------------------------------------------------------------------- */

static webauthn_err reg_cd(const char *cd)
{
	webauthn_expect x = w3c_expect(&w3c_reg_chal, 0);
	webauthn_credential c;

	return webauthn_register(&x, (const uint8_t *)cd, strlen(cd), w3c_att.b, w3c_att.n, &c);
}

#define CH "\"AMMPt4UxxGTStncdq417YDwBFi8vpIa-pw8oOuVW4TA\""

static void client_data(void)
{
	EXPECT(
	    reg_cd("{\"type\":\"webauthn.create\",\"challenge\":" CH ",\"origin\":\"https://example.org\"}"),
	    WEBAUTHN_OK, "control: a minimal clientDataJSON (no crossOrigin: Level 2 clients)");
	EXPECT(reg_cd("{\"type\":\"webauthn.get\",\"challenge\":" CH ",\"origin\":\"https://example.org\"}"),
	       WEBAUTHN_E_CLIENT_TYPE, "webauthn.get in a registration: CLIENT_TYPE");
	EXPECT(reg_cd("{\"challenge\":" CH ",\"origin\":\"https://example.org\"}"), WEBAUTHN_E_CLIENT_TYPE,
	       "no type: CLIENT_TYPE");
	EXPECT(
	    reg_cd(
	        "{\"type\":\"webauthn.create\",\"challenge\":\"AMMPt4UxxGTStncdq417YDwBFi8vpIa-pw8oOuVW4TB\","
	        "\"origin\":\"https://example.org\"}"),
	    WEBAUTHN_E_CHALLENGE, "a challenge one bit off: CHALLENGE");
	EXPECT(reg_cd("{\"type\":\"webauthn.create\",\"challenge\":\"AMMPt4UxxGTStncdq417YDwBFi8vpIa-"
	              "pw8oOuVW4TA=\","
	              "\"origin\":\"https://example.org\"}"),
	       WEBAUTHN_E_CHALLENGE, "the challenge with base64 padding: CHALLENGE");
	EXPECT(
	    reg_cd(
	        "{\"type\":\"webauthn.create\",\"challenge\":\"AMMPt4UxxGTStncdq417YDwBFi8vpIa-pw8oOuVW4T\","
	        "\"origin\":\"https://example.org\"}"),
	    WEBAUTHN_E_CHALLENGE, "a challenge one byte short: CHALLENGE");
	EXPECT(reg_cd("{\"type\":\"webauthn.create\",\"challenge\":" CH
	              ",\"origin\":\"https://example.org.evil\"}"),
	       WEBAUTHN_E_ORIGIN, "another origin: ORIGIN");
	EXPECT(
	    reg_cd("{\"type\":\"webauthn.create\",\"challenge\":" CH ",\"origin\":\"https://example.org/\"}"),
	    WEBAUTHN_E_ORIGIN, "the origin with a trailing slash: ORIGIN (exact match)");
	EXPECT(
	    reg_cd("{\"type\":\"webauthn.create\",\"challenge\":" CH ",\"origin\":\"HTTPS://example.org\"}"),
	    WEBAUTHN_E_ORIGIN, "the origin in other case: ORIGIN");
	EXPECT(reg_cd("{\"type\":\"webauthn.create\",\"challenge\":" CH ",\"origin\":\"https://example.org\","
	              "\"crossOrigin\":true,\"topOrigin\":\"https://evil.example\"}"),
	       WEBAUTHN_E_CROSS_ORIGIN, "crossOrigin true: CROSS_ORIGIN");
	EXPECT(reg_cd("{\"type\":\"webauthn.create\",\"challenge\":" CH ",\"origin\":\"https://example.org\","
	              "\"crossOrigin\":\"false\"}"),
	       WEBAUTHN_E_CLIENT_JSON, "crossOrigin as a string: CLIENT_JSON");
	EXPECT(reg_cd("{\"type\":\"webauthn.get\",\"type\":\"webauthn.create\",\"challenge\":" CH
	              ",\"origin\":\"https://example.org\"}"),
	       WEBAUTHN_E_CLIENT_JSON, "type twice (the last would win in a lenient parser): CLIENT_JSON");
	EXPECT(reg_cd("{\"type\":\"webauthn.create\",\"challenge\":" CH
	              ",\"origin\":\"https://example.org\"} x"),
	       WEBAUTHN_E_CLIENT_JSON, "bytes after the object: CLIENT_JSON");
	EXPECT(reg_cd("[\"webauthn.create\"]"), WEBAUTHN_E_CLIENT_JSON, "an array: CLIENT_JSON");
	EXPECT(reg_cd("{\"type\":1,\"challenge\":" CH ",\"origin\":\"https://example.org\"}"),
	       WEBAUTHN_E_CLIENT_JSON, "type a number: CLIENT_JSON");
	EXPECT(reg_cd("{\"type\":\"webauthn.create\",\"challenge\":" CH
	              ",\"origin\":\"https://example.org\\u0000.evil\"}"),
	       WEBAUTHN_E_CLIENT_JSON,
	       "an origin with an escaped NUL (would cut it at a C string's end): CLIENT_JSON");
}

/* ---- assertion refusals ---------------------------------------------------------------- */

static webauthn_err get_with(const blob *cd, const blob *ad, const blob *sig, int uv, uint32_t stored)
{
	webauthn_expect x = w3c_expect(&w3c_get_chal, uv);
	webauthn_assertion as;

	return webauthn_verify(&x, w3c_cose.b, w3c_cose.n, stored, cd->b, cd->n, ad->b, ad->n, sig->b, sig->n,
	                       &as);
}

static void assertions(void)
{
	blob ad = w3c_get_ad, sig = w3c_get_sig, cd = w3c_get_cd, m;

	EXPECT(get_with(&cd, &ad, &sig, 0, 0), WEBAUTHN_OK, "control: the W3C assertion");
	EXPECT(get_with(&cd, &ad, &sig, 1, 0), WEBAUTHN_E_FLAG_UV,
	       "W3C assertion (no UV) when UV is required: FLAG_UV");
	m = ad, m.b[36] = 1;
	EXPECT(get_with(&cd, &m, &sig, 0, 0), WEBAUTHN_E_SIGNATURE,
	       "the counter changed after signing: SIGNATURE");
	m = cd, m.b[m.n - 2] = ' ';
	EXPECT(get_with(&m, &ad, &sig, 0, 0), WEBAUTHN_E_CLIENT_JSON,
	       "clientDataJSON's crossOrigin made 'fals ': CLIENT_JSON");
	m = ad, m.b[32] |= WEBAUTHN_FLAG_AT;
	EXPECT(get_with(&cd, &m, &sig, 0, 0), WEBAUTHN_E_FLAG_AT, "AT in an assertion: FLAG_AT");
	m = ad, m.b[m.n++] = 0;
	EXPECT(get_with(&cd, &m, &sig, 0, 0), WEBAUTHN_E_AUTHDATA_LENGTH,
	       "a byte after assertion data: AUTHDATA_LENGTH");
	m = ad, m.b[32] &= (uint8_t)~WEBAUTHN_FLAG_UP;
	EXPECT(get_with(&cd, &m, &sig, 0, 0), WEBAUTHN_E_FLAG_UP, "assertion without UP: FLAG_UP");
	/* The signature's DER. */
	m = sig, m.b[m.n++] = 0;
	EXPECT(get_with(&cd, &ad, &m, 0, 0), WEBAUTHN_E_SIG_FORMAT,
	       "a byte after the DER signature: SIG_FORMAT");
	m = sig, m.b[1]++;
	EXPECT(get_with(&cd, &ad, &m, 0, 0), WEBAUTHN_E_SIG_FORMAT, "a DER length one too long: SIG_FORMAT");
	{ /* r with one more leading zero byte than DER allows. */
		blob b;
		b.b[0] = 0x30, b.b[1] = (uint8_t)(sig.b[1] + 1), b.b[2] = 0x02,
		b.b[3] = (uint8_t)(sig.b[3] + 1), b.b[4] = 0;
		memcpy(b.b + 5, sig.b + 4, sig.n - 4), b.n = sig.n + 1;
		EXPECT(get_with(&cd, &ad, &b, 0, 0), WEBAUTHN_E_SIG_FORMAT,
		       "r with a superfluous zero byte: SIG_FORMAT");
	}
	m = sig, m.n = 64;
	memcpy(m.b, sig.b + 5, 32), memcpy(m.b + 32, sig.b + 40, 32);
	EXPECT(get_with(&cd, &ad, &m, 0, 0), WEBAUTHN_E_SIG_FORMAT,
	       "a raw r||s (JOSE form) instead of DER: SIG_FORMAT");
	m = sig, m.b[sig.n - 1] ^= 1;
	EXPECT(get_with(&cd, &ad, &m, 0, 0), WEBAUTHN_E_SIGNATURE, "s changed in its last bit: SIGNATURE");
	{
		webauthn_expect x = w3c_expect(&w3c_get_chal, 0);
		webauthn_assertion as;
		blob okp;
		dec(&okp, "a4010103272006215820" X32, 1);
		EXPECT(webauthn_verify(&x, okp.b, okp.n, 0, cd.b, cd.n, ad.b, ad.n, sig.b, sig.n, &as),
		       WEBAUTHN_E_SIG_FORMAT, "a 72-byte DER signature for an Ed25519 key: SIG_FORMAT");
		x.challenge_len = 15;
		EXPECT(
		    webauthn_verify(&x, w3c_cose.b, w3c_cose.n, 0, cd.b, cd.n, ad.b, ad.n, sig.b, sig.n, &as),
		    WEBAUTHN_E_ARG, "a 15-byte challenge: ARG (the caller's mistake)");
		x = w3c_expect(&w3c_reg_chal, 0);
		EXPECT(
		    webauthn_verify(&x, w3c_cose.b, w3c_cose.n, 0, cd.b, cd.n, ad.b, ad.n, sig.b, sig.n, &as),
		    WEBAUTHN_E_CHALLENGE,
		    "replayed: the assertion against another ceremony's challenge, CHALLENGE");
		x = w3c_expect(&w3c_get_chal, 0);
		x.rp_id = "example.com";
		EXPECT(
		    webauthn_verify(&x, w3c_cose.b, w3c_cose.n, 0, cd.b, cd.n, ad.b, ad.n, sig.b, sig.n, &as),
		    WEBAUTHN_E_RP_ID, "another RP ID: RP_ID");
		x = w3c_expect(&w3c_get_chal, 0);
		EXPECT(webauthn_verify(&x, w3c_cose.b, w3c_cose.n, 0, w3c_reg_cd.b, w3c_reg_cd.n, ad.b, ad.n,
		                       sig.b, sig.n, &as),
		       WEBAUTHN_E_CLIENT_TYPE,
		       "the registration's clientDataJSON in an assertion: CLIENT_TYPE");
	}
	{ /* Ed25519's S >= L (RFC 8032 §5.1.7: malleable): refused before any arithmetic. */
		blob s;
		s.n = 64;
		memset(s.b, 0, 64);
		s.b[63] = 0x10, s.b[32] = 0xed;
		memcpy(s.b + 33, "\xd3\xf5\x5c\x1a\x63\x12\x58\xd6\x9c\xf7\xa2\xde\xf9\xde\x14", 15);
		T_CHECK(!ed25519_s_ok(s.b + 32) && (s.b[32] = 0xec, ed25519_s_ok(s.b + 32)),
		        "Ed25519: S = L refused, L-1 accepted");
	}
	T_CHECK(strcmp(webauthn_strerror((webauthn_err)12345), "unknown error") == 0 &&
	            strcmp(webauthn_strerror(WEBAUTHN_E_CBOR_INDEFINITE),
	                   webauthn_strerror(WEBAUTHN_E_CBOR_TRAILING)),
	        "strerror: distinct sentences, and one for an unknown value");
	{ /* Every error has its own sentence. */
		int dup = 0;
		for (size_t i = 0; i < sizeof ERRORS / sizeof ERRORS[0]; i++)
			for (size_t k = 0; k < i; k++)
				dup += ERRORS[i].e == ERRORS[k].e || !strcmp(ERRORS[i].s, ERRORS[k].s);
		T_CHECK(dup == 0, "the %zu error codes and sentences are all distinct",
		        sizeof ERRORS / sizeof ERRORS[0]);
	}
}

int main(void)
{
	w3c();
	py();
	wycheproof("webauthn/wycheproof_ecdsa_secp256r1_sha256_test.json", "ECDSA P-256 DER", key_p256);
	wycheproof("wycheproof/rsa_signature_2048_sha256_test.json", "RSASSA-PKCS1-v1_5 2048 SHA-256",
	           key_rsa);
	wycheproof("wycheproof/ed25519_test.json", "Ed25519", key_ed25519);
	cbor_strict();
	attestation_object();
	authenticator_data();
	cose_keys();
	client_data();
	assertions();
	T_DONE();
}
