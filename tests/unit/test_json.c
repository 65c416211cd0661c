/*
 * test_json.c: the strict JSON layer. Each case is a leniency of cJSON (or of
 * JSON parsers in general) that has mattered in JWT attacks: duplicate members
 * (CVE-2017-12973-style parser differentials), NUL truncation, deep nesting
 * (stack exhaustion), non-RFC 8259 numbers, invalid UTF-8.
 */
#include <math.h>

#include "../test.h"
#include "jose.h"

static int valid(const char *s)
{
	return jose_json_validate(s, strlen(s), JOSE_JSON_MAX_DEPTH) == 0;
}

static int parses(const char *s)
{
	cJSON *j = NULL;
	jose_err e = jose_json_parse(s, strlen(s), JOSE_JSON_MAX_DEPTH, JOSE_E_JWS_INVALID, &j);

	cJSON_Delete(j);
	return e == JOSE_OK;
}

/* depth levels of arrays: "[[…]]" */
static int nested_valid(int depth)
{
	char s[256];

	for (int i = 0; i < depth; i++) {
		s[i] = '[';
		s[2 * depth - 1 - i] = ']';
	}
	s[2 * depth] = 0;
	return valid(s);
}

static void nesting(void)
{
	T_CHECK(nested_valid(16), "16 levels of nesting accepted");
	T_CHECK(!nested_valid(17), "deep nesting: 17 levels refused (limit 16)");
	T_CHECK(!nested_valid(100), "deep nesting: 100 levels refused without recursion");
}

static void numericdates(void)
{
	cJSON *j = NULL;
	double v = 0;
	T_CHECK(parses("{\"exp\":\"9999999999\"}"), "string exp parses as JSON");
	const char *doc = "{\"exp\":\"1\",\"nbf\":2147483648,\"iat\":1e300,\"x\":1.5}";

	T_CHECK(jose_json_parse(doc, strlen(doc), 16, JOSE_E_JWS_INVALID, &j) == JOSE_OK, "claims parse");
	T_CHECK(jose_json_numericdate(j, "exp", &v) == -1, "exp as a string is not a NumericDate");
	T_CHECK(jose_json_numericdate(j, "nbf", &v) == 1 && v == 2147483648.0, "2038: 2^31 is a NumericDate");
	T_CHECK(jose_json_numericdate(j, "iat", &v) == -1, "1e300 is out of NumericDate range");
	T_CHECK(jose_json_numericdate(j, "x", &v) == 1 && v == 1.5, "fractional NumericDate accepted");
	T_CHECK(jose_json_numericdate(j, "absent", &v) == 0, "absent member reported as absent");
	T_CHECK(jose_json_member(j, "EXP") == NULL, "member lookup is case-sensitive");
	cJSON_Delete(j);
}

/* A keep of jose_json_parse_members: the names "a" and "b". */
static int keep_ab(void *ctx, const char *name, size_t len)
{
	(void)ctx;
	return len == 1 && (*name == 'a' || *name == 'b');
}

/* Equal trees: the same compact print (an infinite number prints as null in both). */
static int same_tree(const cJSON *a, const cJSON *b)
{
	char *x = a ? cJSON_PrintUnformatted(a) : NULL, *y = b ? cJSON_PrintUnformatted(b) : NULL;
	int same = (!x && !y) || (x && y && strcmp(x, y) == 0);

	cJSON_free(x);
	cJSON_free(y);
	return same;
}

/* parse_members gives parse's verdict on s, keeping exactly a and b, valued as parse has them. */
static int members_agree(const char *s)
{
	cJSON *whole = NULL, *part = NULL, *c;
	jose_err e = jose_json_parse(s, strlen(s), JOSE_JSON_MAX_DEPTH, JOSE_E_JWS_INVALID, &whole);
	jose_err pe = jose_json_parse_members(s, strlen(s), JOSE_JSON_MAX_DEPTH, JOSE_E_JWS_INVALID, keep_ab,
	                                      NULL, &part);
	cJSON *object = cJSON_IsObject(whole) ? whole : NULL;
	int same = e == pe && (object || same_tree(whole, part));

	cJSON_ArrayForEach(c, object)
	{
		const cJSON *kept = cJSON_GetObjectItemCaseSensitive(part, c->string);
		same = same &&
		       (keep_ab(NULL, c->string, strlen(c->string)) ? kept && same_tree(c, kept) : !kept);
	}
	cJSON_Delete(whole);
	cJSON_Delete(part);
	return same;
}

static void members(void)
{
	static const char *const texts[] = {
	    "{\"a\":1,\"b\":\"x\",\"c\":[1,2]}",
	    " {\"c\" : {\"d\":[{}]} , \"a\" : [ \"p\" , \"q\" ] , \"b\":null } ",
	    "{\"a\":1,\"a\":2}",
	    "{\"c\":1,\"c\":2}",
	    "{\"a\":1,\"\\u0061\":2}",
	    "{\"\\u0061\":7,\"c\":1}",
	    "{\"c\":{\"k\":1,\"k\":2}}",
	    "{\"c\":[{\"k\":1,\"k\":2}]}",
	    "{\"c\":[\"{\",\"}\"],\"b\":{\"x\":\"]\"}}",
	    "{\"b\":1e400,\"a\":-0.5e-3}",
	    "{\"a\":\"\\\"}\\\\\"}",
	    "{\"a\":\"\",\"b\":\"plain text longer than sixteen bytes\"}",
	    "{\"b\":\"\xc3\xa9\xf0\x9f\x98\x80\",\"a\":\"tab\\tafter\"}",
	    "{\"a\":1,}",
	    "{\"a\":1",
	    "[{\"a\":1}]",
	    "\"a\"",
	    "{}",
	};
	char many[1024] = "{";

	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
		T_CHECK(members_agree(texts[i]), "parse_members agrees with parse on %s", texts[i]);
	for (int i = 0; i < 70; i++)
		snprintf(many + strlen(many), sizeof many - strlen(many), "\"m%d\":%d,", i, i);
	strcat(many, "\"a\":1,\"m3\":0}");
	T_CHECK(members_agree(many), "parse_members agrees past 64 members (a repeat after them refused)");
	strcpy(many + strlen(many) - strlen(",\"m3\":0}"), "}"); /* the repeat dropped */
	T_CHECK(members_agree(many) && parses(many), "parse_members agrees past 64 members");
}

int main(void)
{
	static const char *const good[] = {
	    "{}",
	    "[]",
	    "0",
	    "-0",
	    "1.5e-3",
	    "\"\\u00e9\\ud83d\\ude00\"",
	    "{\"a\":[1,{\"b\":null}],\"c\":true}",
	    " {\"a\" : 1 } ",
	    "\"\xc3\xa9\xf0\x9f\x98\x80\"",
	};
	static const char *const bad[] = {
	    "",
	    "{",
	    "{\"a\":1,}",
	    "[1,]",
	    "01",
	    "1.",
	    ".5",
	    "+1",
	    "-",
	    "1e",
	    "NaN",
	    "Infinity",
	    "{\"a\":1}x",
	    "{\"a\":1}{}",
	    "'a'",
	    "{a:1}",
	    "\"\\x41\"",
	    "\"a\tb\"",
	    "\"\\u0000\"",
	    "\"\\ud800\"",
	    "\"\\udc00\"",
	    "\"\xc0\xaf\"",
	    "\"\xed\xa0\x80\"",
	    "\"\xf4\x90\x80\x80\"",
	    "\"\x80\"",
	    "\"abc",
	    "nul",
	    "tru",
	    "{\"a\"}",
	    "[1 2]",
	    "1234567890123456789012345678901234567890123456789012345678901234",
	};

	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		T_CHECK(valid(good[i]) && parses(good[i]), "strict JSON accepts %s", good[i]);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		T_CHECK(!valid(bad[i]) && !parses(bad[i]), "strict JSON refuses case %zu", i);
	T_CHECK(!parses("{\"alg\":\"HS256\",\"alg\":\"none\"}"), "duplicate member names refused");
	T_CHECK(!parses("{\"a\":{\"k\":1,\"k\":2}}"), "duplicate member names refused when nested");
	T_CHECK(!parses("[{\"k\":1,\"k\":2}]"), "duplicate member names refused inside arrays");
	T_CHECK(parses("{\"k\":1,\"K\":2}"), "names differing in case are distinct");
	T_CHECK(!parses("{\"kid\":\"a\\u0000b\"}"), "kid injection: \\u0000 (NUL truncation) refused");
	nesting();
	numericdates();
	members();
	T_DONE();
}
