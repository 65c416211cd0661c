/*
 * test_claims.c: claim rules of jose_jwt_check_claims, case by case, with the
 * caller-supplied clock. Expected codes and claim names are jose v5's
 * (jwtVerify), so behaviour matches what users of jose already know.
 */
#include "../test.h"
#include "jose.h"

#define NOW 1700000000

static jose_err check(const char *hdr, const char *payload, const jose_jwt_opts *o, jose_fail *why)
{
	cJSON *h = cJSON_Parse(hdr), *p = cJSON_Parse(payload);
	jose_err e;

	memset(why, 0, sizeof *why);
	e = jose_jwt_check_claims(h, p, o, why);
	cJSON_Delete(h);
	cJSON_Delete(p);
	return e;
}

/* Expect err (and, for claim errors, the claim name) for payload under o. */
static void expect(const char *name, const char *payload, const jose_jwt_opts *o, jose_err err,
                   const char *claim)
{
	jose_fail why;
	jose_err got = check("{\"alg\":\"ES256\",\"typ\":\"at+jwt\"}", payload, o, &why);

	T_CHECK(got == err && (!claim || (why.claim && strcmp(why.claim, claim) == 0)), "%s: got %s (%s)",
	        name, jose_err_code(got), why.claim ? why.claim : "-");
}

static void times(void)
{
	jose_jwt_opts o = {.now = NOW};

	expect("valid exp", "{\"exp\":1700000001}", &o, JOSE_OK, NULL);
	expect("exp == now is expired", "{\"exp\":1700000000}", &o, JOSE_E_JWT_EXPIRED, "exp");
	expect("exp as a string", "{\"exp\":\"1800000000\"}", &o, JOSE_E_CLAIM, "exp");
	expect("exp 1e300 out of range", "{\"exp\":1e300}", &o, JOSE_E_CLAIM, "exp");
	expect("nbf in the future", "{\"nbf\":1700000001}", &o, JOSE_E_CLAIM, "nbf");
	expect("nbf == now accepted", "{\"nbf\":1700000000}", &o, JOSE_OK, NULL);
	expect("iat as a boolean", "{\"iat\":true}", &o, JOSE_E_CLAIM, "iat");
	o.leeway = 30;
	expect("leeway covers a just-expired token", "{\"exp\":1699999990}", &o, JOSE_OK, NULL);
	expect("leeway covers a near-future nbf", "{\"nbf\":1700000020}", &o, JOSE_OK, NULL);
	expect("leeway has limits", "{\"exp\":1699999960}", &o, JOSE_E_JWT_EXPIRED, "exp");
	o.leeway = 0, o.has_max_age = 1, o.max_age = 600;
	expect("max age: fresh iat", "{\"iat\":1699999500}", &o, JOSE_OK, NULL);
	expect("max age: old iat", "{\"iat\":1699999000}", &o, JOSE_E_JWT_EXPIRED, "iat");
	expect("max age: iat in the future", "{\"iat\":1700000100}", &o, JOSE_E_CLAIM, "iat");
	expect("max age: iat required", "{}", &o, JOSE_E_CLAIM, "iat");
	/* 2038: 32-bit time_t overflows at 2^31; NumericDates here are 64-bit. */
	jose_jwt_opts y2100 = {.now = 4102444800LL};
	expect("2038: exp in 2106 valid in 2100", "{\"exp\":4294967296}", &y2100, JOSE_OK, NULL);
	expect("2038: exp in 2038 expired in 2100", "{\"exp\":2147483648}", &y2100, JOSE_E_JWT_EXPIRED,
	       "exp");
}

static void identity(void)
{
	const char *iss[] = {"https://a.example", "https://b.example"}, *aud[] = {"api"}, *req[] = {"jti"};
	jose_jwt_opts o = {.now = NOW, .issuers = iss, .n_issuers = 2, .audiences = aud, .n_audiences = 1};

	expect("iss and aud match", "{\"iss\":\"https://b.example\",\"aud\":\"api\"}", &o, JOSE_OK, NULL);
	expect("aud array with one match", "{\"iss\":\"https://a.example\",\"aud\":[\"x\",\"api\"]}", &o,
	       JOSE_OK, NULL);
	expect("aud array without match", "{\"iss\":\"https://a.example\",\"aud\":[\"x\"]}", &o, JOSE_E_CLAIM,
	       "aud");
	expect("aud as a number", "{\"iss\":\"https://a.example\",\"aud\":1}", &o, JOSE_E_CLAIM, "aud");
	expect("iss compared exactly (trailing slash)", "{\"iss\":\"https://a.example/\",\"aud\":\"api\"}",
	       &o, JOSE_E_CLAIM, "iss");
	expect("iss compared exactly (case)", "{\"iss\":\"https://A.example\",\"aud\":\"api\"}", &o,
	       JOSE_E_CLAIM, "iss");
	expect("missing iss", "{\"aud\":\"api\"}", &o, JOSE_E_CLAIM, "iss");
	expect("missing aud", "{\"iss\":\"https://a.example\"}", &o, JOSE_E_CLAIM, "aud");
	o.subject = "svc";
	expect("sub mismatch", "{\"iss\":\"https://a.example\",\"aud\":\"api\",\"sub\":\"other\"}", &o,
	       JOSE_E_CLAIM, "sub");
	o.subject = NULL, o.required = req, o.n_required = 1;
	expect("required claim missing", "{\"iss\":\"https://a.example\",\"aud\":\"api\"}", &o, JOSE_E_CLAIM,
	       "jti");
}

static void typ(void)
{
	jose_jwt_opts o = {.now = NOW, .typ = "application/AT+JWT"};
	jose_fail why;

	T_CHECK(check("{\"typ\":\"at+jwt\"}", "{}", &o, &why) == JOSE_OK,
	        "typ: case and application/ prefix ignored");
	T_CHECK(check("{\"typ\":\"JWT\"}", "{}", &o, &why) == JOSE_E_CLAIM && strcmp(why.claim, "typ") == 0,
	        "typ mismatch (token confusion, RFC 8725 §3.11)");
	T_CHECK(check("{}", "{}", &o, &why) == JOSE_E_CLAIM, "typ missing when expected");
	T_CHECK(check("{}", "[1]", &o, &why) == JOSE_E_JWT_INVALID, "payload not an object");
}

static int equals(void *ctx, const char *v)
{
	return strcmp(v, ctx) == 0;
}

/* jose_jwt_aud_any: "aud" as a string or an array of strings (RFC 7519 §4.1.3), nothing else. */
static void aud_any(void)
{
	static const struct {
		const char *json;
		int want;
		const char *what;
	} cases[] = {
	    {"\"api\"", 1, "a string equal to the value"},
	    {"\"apis\"", 0, "a string that only starts with it"},
	    {"[\"x\", \"api\"]", 1, "an array holding it"},
	    {"[\"x\", \"y\"]", 0, "an array without it"},
	    {"[1, {\"api\": 1}, [\"api\"]]", 0, "non-strings inside the array"},
	    {"[]", 0, "an empty array"},
	    {"1", 0, "a number"},
	    {"{\"api\": \"api\"}", 0, "an object"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		cJSON *aud = cJSON_Parse(cases[i].json);
		T_CHECK(aud && jose_jwt_aud_any(aud, equals, "api") == cases[i].want, "aud_any: %s -> %d",
		        cases[i].what, cases[i].want);
		cJSON_Delete(aud);
	}
	T_CHECK(jose_jwt_aud_any(NULL, equals, "api") == 0, "aud_any: no aud claim -> 0");
}

int main(void)
{
	times();
	aud_any();
	identity();
	typ();
	T_CHECK(jose_ct_equal("abcd", "abcd", 4) == 1 && jose_ct_equal("abcd", "abce", 4) == 0 &&
	            jose_ct_equal("\x00", "\x80", 1) == 0 && jose_ct_equal("", "", 0) == 1,
	        "constant-time equality is exact");
	T_DONE();
}
