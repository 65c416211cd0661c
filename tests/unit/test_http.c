/*
 * test_http.c: the HTTP input parsers (issuer/http.c, included to reach its
 * statics). Vectors come from the specifications, never from our own output:
 *  - WHATWG URL Standard §5.1 urlencoded parsing, as web-platform-tests
 *    url/urlencoded-parser.any.js spells it out (where browsers repair input we
 *    refuse it; each such case says what browsers do);
 *  - RFC 6749 §4.1.1, §4.1.3 and Appendix B (form bodies and queries), OpenID
 *    Connect Core §3.1.2.1 (authorization request), RFC 6749 §2.3.1 (Basic
 *    client credentials, form-encoded inside);
 *  - RFC 7617 §2 and §2.1 (Basic), RFC 6750 §2.1 (Bearer), RFC 6265 §4.2.2
 *    (Cookie). Base64 of our own credential strings was made with coreutils
 *    base64(1), not with the code under test.
 * Every input is copied into a heap block of exactly its length, so under
 * SAN=1 any read past len is an ASan error; the "past len" checks also catch it
 * without sanitizers by passing a prefix whose next byte would change the result.
 * Then: the UTF-8 validator against an independent RFC 3629 decoder on every
 * string of up to 3 bytes (and 4-byte ones around the F0..F4 leads), a
 * randomized loop (fixed seed, 100000 inputs through every parser) and a
 * percent-encode round trip of random UTF-8 forms.
 */
#include <stdint.h>

#include "../../issuer/http/http.c"
#include "../test.h"

/* ---- helpers ----------------------------------------------------------------- */

/* in[0..len) copied into a block of exactly len bytes (ASan redzone right after). */
static char *exact(const char *in, size_t len)
{
	char *p = malloc(len ? len : 1);
	if (!p)
		abort();
	if (len)
		memcpy(p, in, len);
	return p;
}

/* s made printable for a test line: bytes outside 0x20..0x7e as \xNN (4 rotating buffers). */
static const char *show(const char *s)
{
	static char bufs[4][512];
	static unsigned which;
	char *b = bufs[which++ % 4];
	size_t o = 0;

	for (; *s && o + 5 < sizeof bufs[0]; s++)
		if ((unsigned char)*s >= 0x20 && (unsigned char)*s < 0x7f)
			b[o++] = *s;
		else
			o += (size_t)snprintf(b + o, 5, "\\x%02X", (unsigned char)*s);
	b[o] = '\0';
	return b;
}

static const char *ename(http_err e)
{
	static const char *const names[] = {"HTTP_OK",         "HTTP_E_SYNTAX",   "HTTP_E_DUPLICATE",
	                                    "HTTP_E_TOO_MANY", "HTTP_E_TOO_LONG", "HTTP_E_ENCODING"};
	return (unsigned)e < sizeof names / sizeof names[0] ? names[e] : "?";
}

/* Form parse of the first len bytes of s from an exact-size copy, into a buffer of cap bytes. */
static http_err form_n(const char *s, size_t len, http_form *f, char *buf, size_t cap)
{
	char *in = exact(s, len);
	http_err e = http_form_parse(in, len, f, buf, cap);
	free(in);
	return e;
}

static char fbuf[4096];

static http_err form(const char *s, http_form *f)
{
	return form_n(s, strlen(s), f, fbuf, sizeof fbuf);
}

/* A form test case: the input, the expected result and, on HTTP_OK, the pairs. */
struct form_case {
	const char *in;
	http_err err;
	size_t n;
	const char *pairs[4][2];
	const char *why; /* for a refusal where browsers accept: what they do instead */
};

static void form_case_check(const char *suite, const struct form_case *c)
{
	http_form f;
	http_err e = form(c->in, &f);
	int ok = e == c->err;

	if (ok && e == HTTP_OK) {
		ok = f.n == c->n;
		for (size_t i = 0; ok && i < c->n; i++)
			ok = strcmp(f.f[i].name, c->pairs[i][0]) == 0 &&
			     f.f[i].name_len == strlen(c->pairs[i][0]) &&
			     strcmp(f.f[i].value, c->pairs[i][1]) == 0 &&
			     f.f[i].value_len == strlen(c->pairs[i][1]);
	}
	if (ok && e != HTTP_OK)
		ok = f.n == 0;
	T_CHECK(ok, "%s: \"%s\" -> %s%s%s (got %s)", suite, show(c->in), ename(c->err),
	        c->why ? "; browsers: " : "", c->why ? c->why : "", ename(e));
}

/* Basic parse of s from an exact-size copy. */
static http_err basic(const char *s, size_t len, char *id, size_t idcap, char *sec, size_t seccap)
{
	char *in = exact(s, len);
	http_err e = http_basic_parse(in, len, id, idcap, sec, seccap);
	free(in);
	return e;
}

static void basic_ok(const char *hdr, const char *want_id, const char *want_sec, size_t want_sec_len,
                     const char *what)
{
	char id[64], sec[64];
	http_err e = basic(hdr, strlen(hdr), id, sizeof id, sec, sizeof sec);
	T_CHECK(e == HTTP_OK && strcmp(id, want_id) == 0 && strlen(sec) == want_sec_len &&
	            memcmp(sec, want_sec, want_sec_len + 1) == 0,
	        "basic: %s (got %s)", what, ename(e));
}

static void basic_err(const char *hdr, http_err want, const char *what)
{
	char id[64], sec[64];
	http_err e = basic(hdr, strlen(hdr), id, sizeof id, sec, sizeof sec);
	T_CHECK(e == want && id[0] == '\0' && sec[0] == '\0', "basic: %s -> %s (got %s)", what, ename(want),
	        ename(e));
}

/* Bearer parse of the first len bytes of s; on HTTP_OK *out is the token as an offset into s. */
static http_err bearer_n(const char *s, size_t len, size_t *off, size_t *tlen)
{
	char *in = exact(s, len);
	const char *tok = (const char *)1;
	http_err e = http_bearer_parse(in, len, &tok, tlen);
	*off = tok ? (size_t)(tok - in) : (size_t)-1;
	free(in);
	return e;
}

static void bearer_ok(const char *hdr, const char *want, const char *what)
{
	size_t off, n;
	http_err e = bearer_n(hdr, strlen(hdr), &off, &n);
	T_CHECK(e == HTTP_OK && n == strlen(want) && memcmp(hdr + off, want, n) == 0, "bearer: %s (got %s)",
	        what, ename(e));
}

static void bearer_bad(const char *hdr, const char *what)
{
	size_t off, n;
	http_err e = bearer_n(hdr, strlen(hdr), &off, &n);
	T_CHECK(e == HTTP_E_SYNTAX && off == (size_t)-1 && n == 0, "bearer: %s -> HTTP_E_SYNTAX (got %s)",
	        what, ename(e));
}

static http_err cookie_n(const char *s, size_t len, const char *name, char *out, size_t cap)
{
	char *in = exact(s, len);
	http_err e = http_cookie_get(in, len, name, out, cap);
	free(in);
	return e;
}

static void cookie_is(const char *hdr, const char *name, http_err want, const char *want_val,
                      const char *what)
{
	char out[64];
	http_err e = cookie_n(hdr, strlen(hdr), name, out, sizeof out);
	T_CHECK(e == want && (e != HTTP_OK || strcmp(out, want_val) == 0) && (e == HTTP_OK || out[0] == '\0'),
	        "cookie: %s: %s in \"%s\" -> %s \"%s\" (got %s \"%s\")", what, name, show(hdr), ename(want),
	        show(want_val ? want_val : ""), ename(e), show(out));
}

static int media_n(const char *s, size_t len, const char *type)
{
	char *in = exact(s, len);
	int r = http_media_type_is(in, len, type);
	free(in);
	return r;
}

static void media_is(const char *ct, const char *type, int want)
{
	T_CHECK(media_n(ct, strlen(ct), type) == want, "media type: \"%s\" is %s: %d", ct, type, want);
}

/* ---- forms ---------------------------------------------------------------------- */

/*
 * WHATWG urlencoded parsing, case by case from web-platform-tests
 * url/urlencoded-parser.any.js; "why" notes where browsers differ on purpose.
 */
static const struct form_case whatwg[] = {
    {"test", HTTP_OK, 1, {{"test", ""}}, NULL},
    {"\xEF\xBB\xBFtest=\xEF\xBB\xBF", HTTP_OK, 1, {{"\xEF\xBB\xBFtest", "\xEF\xBB\xBF"}}, NULL},
    {"%EF%BB%BFtest=%EF%BB%BF", HTTP_OK, 1, {{"\xEF\xBB\xBFtest", "\xEF\xBB\xBF"}}, NULL},
    {"%EF%BF%BF=%EF%BF%BF", HTTP_OK, 1, {{"\xEF\xBF\xBF", "\xEF\xBF\xBF"}}, NULL},
    {"%FE%FF", HTTP_E_ENCODING, 0, {{0}}, "U+FFFD U+FFFD"},
    {"%FF%FE", HTTP_E_ENCODING, 0, {{0}}, "U+FFFD U+FFFD"},
    {"\xE2\x80\xA0&\xE2\x80\xA0=x", HTTP_E_DUPLICATE, 0, {{0}}, "both pairs"},
    {"%C2", HTTP_E_ENCODING, 0, {{0}}, "U+FFFD"},
    {"%C2x", HTTP_E_ENCODING, 0, {{0}}, "U+FFFD x"},
    {"_charset_=windows-1252&test=%C2x", HTTP_E_ENCODING, 0, {{0}}, "U+FFFD x"},
    {"", HTTP_OK, 0, {{0}}, NULL},
    {"a", HTTP_OK, 1, {{"a", ""}}, NULL},
    {"a=b", HTTP_OK, 1, {{"a", "b"}}, NULL},
    {"a=", HTTP_OK, 1, {{"a", ""}}, NULL},
    {"=b", HTTP_OK, 1, {{"", "b"}}, NULL},
    {"&", HTTP_OK, 0, {{0}}, NULL},
    {"&a", HTTP_OK, 1, {{"a", ""}}, NULL},
    {"a&", HTTP_OK, 1, {{"a", ""}}, NULL},
    {"a&a", HTTP_E_DUPLICATE, 0, {{0}}, "both pairs"},
    {"a&b&c", HTTP_OK, 3, {{"a", ""}, {"b", ""}, {"c", ""}}, NULL},
    {"a=b&c=d", HTTP_OK, 2, {{"a", "b"}, {"c", "d"}}, NULL},
    {"a=b&c=d&", HTTP_OK, 2, {{"a", "b"}, {"c", "d"}}, NULL},
    {"&&&a=b&&&&c=d&", HTTP_OK, 2, {{"a", "b"}, {"c", "d"}}, NULL},
    {"a=a&a=b&a=c", HTTP_E_DUPLICATE, 0, {{0}}, "three pairs"},
    {"a==a", HTTP_OK, 1, {{"a", "=a"}}, NULL},
    {"a=a+b+c+d", HTTP_OK, 1, {{"a", "a b c d"}}, NULL},
    {"%=a", HTTP_E_SYNTAX, 0, {{0}}, "keep \"%\""},
    {"%a=a", HTTP_E_SYNTAX, 0, {{0}}, "keep \"%a\""},
    {"%a_=a", HTTP_E_SYNTAX, 0, {{0}}, "keep \"%a_\""},
    {"%61=a", HTTP_OK, 1, {{"a", "a"}}, NULL},
    {"%61+%4d%4D=", HTTP_OK, 1, {{"a MM", ""}}, NULL},
    {"id=0&value=%", HTTP_E_SYNTAX, 0, {{0}}, "keep \"%\""},
    {"b=%2sf%2a", HTTP_E_SYNTAX, 0, {{0}}, "\"%2sf*\""},
    {"b=%2%2af%2a", HTTP_E_SYNTAX, 0, {{0}}, "\"%2*f*\""},
    {"b=%%2a", HTTP_E_SYNTAX, 0, {{0}}, "\"%*\""},
};

/* OAuth and OpenID Connect request examples, and the RFC 6749 Appendix B encoding. */
static const struct form_case oauth[] = {
    /* RFC 6749 §4.1.3 token request body */
    {"grant_type=authorization_code&code=SplxlOBeZQQYbYS6WxSbIA"
     "&redirect_uri=https%3A%2F%2Fclient%2Eexample%2Ecom%2Fcb",
     HTTP_OK,
     3,
     {{"grant_type", "authorization_code"},
      {"code", "SplxlOBeZQQYbYS6WxSbIA"},
      {"redirect_uri", "https://client.example.com/cb"}},
     NULL},
    /* RFC 6749 §4.1.1 authorization request query */
    {"response_type=code&client_id=s6BhdRkqt3&state=xyz&redirect_uri=https%3A%2F%2Fclient%2Eexample%2Ecom%"
     "2Fcb",
     HTTP_OK,
     4,
     {{"response_type", "code"},
      {"client_id", "s6BhdRkqt3"},
      {"state", "xyz"},
      {"redirect_uri", "https://client.example.com/cb"}},
     NULL},
    /* OpenID Connect Core §3.1.2.1 (the first four parameters) */
    {"response_type=code&scope=openid%20profile%20email&client_id=s6BhdRkqt3&state=af0ifjsldkj",
     HTTP_OK,
     4,
     {{"response_type", "code"},
      {"scope", "openid profile email"},
      {"client_id", "s6BhdRkqt3"},
      {"state", "af0ifjsldkj"}},
     NULL},
    /* RFC 6749 Appendix B: " %&+£€" is encoded as "+%25%26%2B%C2%A3%E2%82%AC" */
    {"x=+%25%26%2B%C2%A3%E2%82%AC", HTTP_OK, 1, {{"x", " %&+\xC2\xA3\xE2\x82\xAC"}}, NULL},
    /* names are case-sensitive: two different parameters */
    {"state=1&State=2", HTTP_OK, 2, {{"state", "1"}, {"State", "2"}}, NULL},
    /* RFC 6749 §3.1 parameter_pollution: duplicates are caught after decoding */
    {"scope=openid&%73cope=admin", HTTP_E_DUPLICATE, 0, {{0}}, NULL},
    {"a+b=1&a%20b=2", HTTP_E_DUPLICATE, 0, {{0}}, NULL},
    {"=1&=2", HTTP_E_DUPLICATE, 0, {{0}}, NULL},
    /* the last valid code points of each length, and the edges around surrogates */
    {"a=%C2%80%DF%BF&b=%E0%A0%80%ED%9F%BF%EE%80%80&c=%F0%90%80%80%F4%8F%BF%BF",
     HTTP_OK,
     3,
     {{"a", "\xC2\x80\xDF\xBF"},
      {"b", "\xE0\xA0\x80\xED\x9F\xBF\xEE\x80\x80"},
      {"c", "\xF0\x90\x80\x80\xF4\x8F\xBF\xBF"}},
     NULL},
    {"a=%3d%3D", HTTP_OK, 1, {{"a", "=="}}, NULL},
    {"sp ace=a b", HTTP_OK, 1, {{"sp ace", "a b"}}, NULL},
};

/* Input that must be refused, and why. */
static const struct form_case form_bad[] = {
    {"a=%", HTTP_E_SYNTAX, 0, {{0}}, NULL},
    {"a=%4", HTTP_E_SYNTAX, 0, {{0}}, NULL},
    {"a=%G1", HTTP_E_SYNTAX, 0, {{0}}, NULL},
    {"a=%1G", HTTP_E_SYNTAX, 0, {{0}}, NULL},
    {"a=% 1", HTTP_E_SYNTAX, 0, {{0}}, NULL},
    {"a=%+1", HTTP_E_SYNTAX, 0, {{0}}, NULL},
    {"%", HTTP_E_SYNTAX, 0, {{0}}, NULL},
    {"a%=1", HTTP_E_SYNTAX, 0, {{0}}, NULL},
    {"a=1&b=%4&c=3", HTTP_E_SYNTAX, 0, {{0}}, NULL},
    /* NUL injection: a C string would end at it */
    {"a=%00", HTTP_E_ENCODING, 0, {{0}}, NULL},
    {"a%00b=1", HTTP_E_ENCODING, 0, {{0}}, NULL},
    /* overlong '/' (CVE-2000-0884-style path tricks): %C0%AF */
    {"a=%C0%AF", HTTP_E_ENCODING, 0, {{0}}, NULL},
    {"a=%C1%BF", HTTP_E_ENCODING, 0, {{0}}, NULL},
    {"a=%E0%80%AF", HTTP_E_ENCODING, 0, {{0}}, NULL},
    {"a=%E0%9F%BF", HTTP_E_ENCODING, 0, {{0}}, NULL},
    {"a=%F0%80%80%AF", HTTP_E_ENCODING, 0, {{0}}, NULL},
    {"a=%F0%8F%BF%BF", HTTP_E_ENCODING, 0, {{0}}, NULL},
    /* UTF-16 surrogates encoded as UTF-8 (CESU-8) */
    {"a=%ED%A0%80", HTTP_E_ENCODING, 0, {{0}}, NULL},
    {"a=%ED%BF%BF", HTTP_E_ENCODING, 0, {{0}}, NULL},
    /* above U+10FFFF, and lead bytes that can never appear */
    {"a=%F4%90%80%80", HTTP_E_ENCODING, 0, {{0}}, NULL},
    {"a=%F5%80%80%80", HTTP_E_ENCODING, 0, {{0}}, NULL},
    {"a=%F8%88%80%80%80", HTTP_E_ENCODING, 0, {{0}}, NULL},
    {"a=%FF", HTTP_E_ENCODING, 0, {{0}}, NULL},
    /* stray continuation, truncated sequences, a sequence cut by a new character */
    {"a=%80", HTTP_E_ENCODING, 0, {{0}}, NULL},
    {"a=%E2%82", HTTP_E_ENCODING, 0, {{0}}, NULL},
    {"a=%F0%90%80", HTTP_E_ENCODING, 0, {{0}}, NULL},
    {"a=%E2%82x", HTTP_E_ENCODING, 0, {{0}}, NULL},
    {"a=%E2%28%A1", HTTP_E_ENCODING, 0, {{0}}, NULL},
    /* a sequence cannot span the '=' or '&' */
    {"a%E2=%82%AC", HTTP_E_ENCODING, 0, {{0}}, NULL},
    /* control characters, percent-encoded or raw: CR LF (header/log injection), TAB, DEL */
    {"a=%0D%0A", HTTP_E_ENCODING, 0, {{0}}, NULL},
    {"a=%09", HTTP_E_ENCODING, 0, {{0}}, NULL},
    {"a=%1F", HTTP_E_ENCODING, 0, {{0}}, NULL},
    {"a=%7F", HTTP_E_ENCODING, 0, {{0}}, NULL},
    {"a=\x01", HTTP_E_ENCODING, 0, {{0}}, NULL},
    {"a=x\ny", HTTP_E_ENCODING, 0, {{0}}, NULL},
    {"a=\x7f", HTTP_E_ENCODING, 0, {{0}}, NULL},
    {"a=\xC3", HTTP_E_ENCODING, 0, {{0}}, NULL},
    {"a=\xC0\xAF", HTTP_E_ENCODING, 0, {{0}}, NULL},
};

static void test_form_vectors(void)
{
	for (size_t i = 0; i < sizeof whatwg / sizeof whatwg[0]; i++)
		form_case_check("WHATWG urlencoded", &whatwg[i]);
	for (size_t i = 0; i < sizeof oauth / sizeof oauth[0]; i++)
		form_case_check("OAuth form", &oauth[i]);
	for (size_t i = 0; i < sizeof form_bad / sizeof form_bad[0]; i++)
		form_case_check("refused", &form_bad[i]);
}

/* "p0=0&p1=1&..." with n pairs, sep between pairs. */
static size_t many(char *out, size_t cap, size_t n, const char *sep)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++)
		o += (size_t)snprintf(out + o, cap - o, "%sp%zu=%zu", i ? sep : "", i, i);
	return o;
}

static void test_form_limits(void)
{
	char in[1024], buf[2048];
	http_form f;
	size_t len;
	http_err e;

	len = many(in, sizeof in, HTTP_FORM_MAX_FIELDS, "&");
	e = form_n(in, len, &f, buf, sizeof buf);
	T_CHECK(e == HTTP_OK && f.n == HTTP_FORM_MAX_FIELDS && strcmp(http_form_get(&f, "p31"), "31") == 0,
	        "form: exactly %d fields are accepted (got %s)", HTTP_FORM_MAX_FIELDS, ename(e));
	len = many(in, sizeof in, HTTP_FORM_MAX_FIELDS, "&&&");
	e = form_n(in, len, &f, buf, sizeof buf);
	T_CHECK(e == HTTP_OK && f.n == HTTP_FORM_MAX_FIELDS,
	        "form: empty pairs do not count toward the limit");
	len = many(in, sizeof in, HTTP_FORM_MAX_FIELDS + 1, "&");
	e = form_n(in, len, &f, buf, sizeof buf);
	T_CHECK(e == HTTP_E_TOO_MANY && f.n == 0, "form: %d fields -> HTTP_E_TOO_MANY (got %s)",
	        HTTP_FORM_MAX_FIELDS + 1, ename(e));

	/*
	 * The RFC 6749 §4.1.3 body needs exactly the decoded lengths plus one NUL per
	 * name and value, computed here from the expected strings, not from the parser.
	 */
	const struct form_case *c = &oauth[0];
	size_t need = 0;
	for (size_t i = 0; i < c->n; i++)
		need += strlen(c->pairs[i][0]) + 1 + strlen(c->pairs[i][1]) + 1;
	len = strlen(c->in);
	e = form_n(c->in, len, &f, buf, need);
	T_CHECK(e == HTTP_OK && f.n == 3, "form: buf of exactly the needed %zu bytes is enough (got %s)",
	        need, ename(e));
	memset(buf, 'X', sizeof buf);
	e = form_n(c->in, len, &f, buf, need - 1);
	T_CHECK(e == HTTP_E_TOO_LONG && f.n == 0 && buf[need - 1] == 'X',
	        "form: buf one byte short -> HTTP_E_TOO_LONG, nothing written past cap (got %s)", ename(e));
	e = form_n(c->in, len, &f, buf, HTTP_FORM_BUF_SIZE(len));
	T_CHECK(e == HTTP_OK, "form: HTTP_FORM_BUF_SIZE(len) is enough");
	/* Short by one where the missing byte is a NUL: empty value, then empty name. */
	e = form_n("a", 1, &f, buf, 3);
	T_CHECK(e == HTTP_OK && f.n == 1 && f.f[0].value_len == 0, "form: \"a\" fits 3 bytes");
	e = form_n("a", 1, &f, buf, 2);
	T_CHECK(e == HTTP_E_TOO_LONG, "form: \"a\" in 2 bytes -> HTTP_E_TOO_LONG (got %s)", ename(e));
	e = form_n("=", 1, &f, buf, 1);
	T_CHECK(e == HTTP_E_TOO_LONG, "form: \"=\" in 1 byte -> HTTP_E_TOO_LONG (got %s)", ename(e));
	e = form_n("", 0, &f, NULL, 0);
	T_CHECK(e == HTTP_OK && f.n == 0, "form: empty input, no buffer at all");
	e = form_n("&&", 2, &f, NULL, 0);
	T_CHECK(e == HTTP_OK && f.n == 0, "form: only separators, no buffer at all");
	e = http_form_parse(NULL, 0, &f, NULL, 0);
	T_CHECK(e == HTTP_OK && f.n == 0, "form: NULL input of length 0");
	/* A '%' escape that decodes to one byte needs one byte, not three. */
	e = form_n("%41=%42", 7, &f, buf, 4);
	T_CHECK(e == HTTP_OK && strcmp(f.f[0].name, "A") == 0 && strcmp(f.f[0].value, "B") == 0,
	        "form: \"%%41=%%42\" fits 4 bytes");
}

static void test_form_get(void)
{
	http_form f;
	http_err e = form(oauth[0].in, &f);

	T_CHECK(e == HTTP_OK && strcmp(http_form_get(&f, "code"), "SplxlOBeZQQYbYS6WxSbIA") == 0,
	        "form_get: present");
	T_CHECK(http_form_get(&f, "Code") == NULL, "form_get: case-sensitive");
	T_CHECK(http_form_get(&f, "grant") == NULL && http_form_get(&f, "grant_type_") == NULL,
	        "form_get: no prefix or extension match");
	T_CHECK(http_form_get(&f, "scope") == NULL, "form_get: absent -> NULL");
	e = form("a=&b", &f);
	T_CHECK(e == HTTP_OK && http_form_get(&f, "a") && *http_form_get(&f, "a") == '\0' &&
	            http_form_get(&f, "b") && *http_form_get(&f, "b") == '\0',
	        "form_get: empty value is \"\", not NULL");
}

static void test_form_past_len(void)
{
	http_form f;
	http_err e = form_n("a=1%41", 5, &f, fbuf, sizeof fbuf);
	T_CHECK(e == HTTP_E_SYNTAX,
	        "form: \"a=1%%4\" of \"a=1%%41\" -> HTTP_E_SYNTAX, not read past len (got %s)", ename(e));
	e = form_n("a=1&a=2", 3, &f, fbuf, sizeof fbuf);
	T_CHECK(e == HTTP_OK && f.n == 1 && strcmp(f.f[0].value, "1") == 0, "form: \"a=1\" of \"a=1&a=2\"");
	e = form_n("a=%C3%A9", 5, &f, fbuf, sizeof fbuf);
	T_CHECK(e == HTTP_E_ENCODING, "form: \"a=%%C3\" of \"a=%%C3%%A9\" -> HTTP_E_ENCODING (got %s)",
	        ename(e));
}

/* ---- Basic ----------------------------------------------------------------------- */

static void test_basic(void)
{
	char id[16], sec[16];
	http_err e;

	/* RFC 7617 §2 */
	basic_ok("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==", "Aladdin", "open sesame", 11, "RFC 7617 §2 Aladdin");
	basic_ok("basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==", "Aladdin", "open sesame", 11, "scheme in lower case");
	basic_ok("BASIC QWxhZGRpbjpvcGVuIHNlc2FtZQ==", "Aladdin", "open sesame", 11, "scheme in upper case");
	basic_ok("Basic    QWxhZGRpbjpvcGVuIHNlc2FtZQ==", "Aladdin", "open sesame", 11, "several spaces");
	/* RFC 7617 §2.1: user "test", password "123£" in UTF-8 */
	basic_ok("Basic dGVzdDoxMjPCow==", "test", "123\xC2\xA3", 5, "RFC 7617 §2.1 UTF-8 password");
	/* RFC 6749 §2.3.1 */
	basic_ok("Basic czZCaGRSa3F0MzpnWDFmQmF0M2JW", "s6BhdRkqt3", "gX1fBat3bV", 10,
	         "RFC 6749 §2.3.1 example");
	/* RFC 6749 §2.3.1 + Appendix B: secret " %&+£€" sent form-encoded */
	basic_ok("Basic Y2xpZW50OislMjUlMjYlMkIlQzIlQTMlRTIlODIlQUM=", "client", " %&+\xC2\xA3\xE2\x82\xAC",
	         9, "RFC 6749 Appendix B secret, form-encoded");
	/* "my%3Aclient:p%3Aw%25rd%2B1+x": ':' in the id, ':' '%' '+' ' ' in the secret */
	basic_ok("Basic bXklM0FjbGllbnQ6cCUzQXclMjVyZCUyQjEreA==", "my:client", "p:w%rd+1 x", 10,
	         "encoded ':' in id and ':', '%', '+', ' ' in secret");
	basic_ok("Basic YTpiOmM=", "a", "b:c", 3, "\"a:b:c\" splits at the first ':'");
	basic_ok("Basic YTpiK2M=", "a", "b c", 3, "\"a:b+c\": '+' is a space (RFC 6749 Appendix B)");
	basic_ok("Basic YStiOg==", "a b", "", 0, "\"a+b:\": empty secret is allowed");
	basic_ok("Basic YTo=", "a", "", 0, "\"a:\"");

	basic_err("Basic Ong=", HTTP_E_SYNTAX, "\":x\" (empty id)");
	basic_err("Basic YWJj", HTTP_E_SYNTAX, "\"abc\" (no ':')");
	basic_err("Basic YTolMDA=", HTTP_E_ENCODING, "\"a:%00\"");
	basic_err("Basic YTolQzAlQUY=", HTTP_E_ENCODING, "\"a:%C0%AF\" overlong");
	basic_err("Basic YTolRUQlQTAlODA=", HTTP_E_ENCODING, "\"a:%ED%A0%80\" surrogate");
	basic_err("Basic aWQ6JUY0JTkwJTgwJTgw", HTTP_E_ENCODING, "\"id:%F4%90%80%80\" above U+10FFFF");
	basic_err("Basic YToB", HTTP_E_ENCODING, "raw control byte in secret");
	basic_err("Basic YTr/", HTTP_E_ENCODING, "raw 0xFF in secret");
	basic_err("Basic YTolNA==", HTTP_E_SYNTAX, "\"a:%4\"");
	basic_err("Basic YSVaWjpi", HTTP_E_SYNTAX, "\"a%ZZ:b\"");
	basic_err("Basic", HTTP_E_SYNTAX, "\"Basic\" without credentials");
	basic_err("Basic ", HTTP_E_SYNTAX, "\"Basic \" without credentials");
	basic_err("Basic    ", HTTP_E_SYNTAX, "\"Basic    \" without credentials");
	basic_err("", HTTP_E_SYNTAX, "empty header");
	basic_err("BasicQWxhZGRpbjpvcGVuIHNlc2FtZQ==", HTTP_E_SYNTAX, "no space after the scheme");
	basic_err("Basic\tQWxhZGRpbjpvcGVuIHNlc2FtZQ==", HTTP_E_SYNTAX, "tab after the scheme (1*SP only)");
	basic_err(" Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==", HTTP_E_SYNTAX, "space before the scheme");
	basic_err("Bearer QWxhZGRpbjpvcGVuIHNlc2FtZQ==", HTTP_E_SYNTAX, "another scheme");
	basic_err("Basi QWxhZGRpbjpvcGVuIHNlc2FtZQ==", HTTP_E_SYNTAX, "a prefix of the scheme");
	basic_err("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=", HTTP_E_SYNTAX, "truncated base64 (one '=' short)");
	basic_err("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ", HTTP_E_SYNTAX, "base64 without padding");
	basic_err("Basic QWxhZGRpbjpvcGVuIHNlc2FtZ", HTTP_E_SYNTAX, "base64 of length 1 mod 4");
	basic_err("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ===", HTTP_E_SYNTAX, "three '='");
	basic_err("Basic YTpiY===", HTTP_E_SYNTAX, "three '=' in a group of four");
	basic_err("Basic Y===", HTTP_E_SYNTAX, "one character and three '='");
	basic_err("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ== ", HTTP_E_SYNTAX, "trailing space");
	basic_err("Basic QWxhZGRp bjpvcGVuIHNlc2FtZQ==", HTTP_E_SYNTAX, "space inside the base64");
	basic_err("Basic QWxhZGRp\r\nbjpvcGVuIHNlc2FtZQ==", HTTP_E_SYNTAX, "CRLF inside the base64");
	basic_err("Basic YT=6YQ==", HTTP_E_SYNTAX, "'=' inside the base64");
	basic_err("Basic ====", HTTP_E_SYNTAX, "only padding");
	basic_err("Basic YTp-", HTTP_E_SYNTAX, "base64url '-' is not base64");
	basic_err("Basic YTp_", HTTP_E_SYNTAX, "base64url '_' is not base64");
	basic_err("Basic YTp=", HTTP_E_SYNTAX, "non-zero unused bits (\"YTp=\" vs \"YTo=\")");
	basic_err("Basic YR==", HTTP_E_SYNTAX, "non-zero unused bits (\"YR==\" vs \"YQ==\")");

	/* Buffers: "Aladdin" needs 8 bytes, "open sesame" 12. */
	const char *h = "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==";
	e = basic(h, strlen(h), id, 8, sec, 12);
	T_CHECK(e == HTTP_OK && strcmp(id, "Aladdin") == 0 && strcmp(sec, "open sesame") == 0,
	        "basic: buffers of exactly 8 and 12 bytes are enough");
	memset(id, 'X', sizeof id);
	e = basic(h, strlen(h), id, 7, sec, 12);
	T_CHECK(e == HTTP_E_TOO_LONG && id[7] == 'X',
	        "basic: id buffer one byte short -> HTTP_E_TOO_LONG (got %s)", ename(e));
	memset(sec, 'X', sizeof sec);
	e = basic(h, strlen(h), id, 8, sec, 11);
	int wiped = sec[11] == 'X';
	for (size_t i = 0; i < 11; i++)
		wiped &= sec[i] == 0;
	T_CHECK(e == HTTP_E_TOO_LONG && wiped,
	        "basic: secret buffer one byte short -> HTTP_E_TOO_LONG, partial secret wiped (got %s)",
	        ename(e));
	e = basic("Basic YTo=", 10, id, 2, sec, 1);
	T_CHECK(e == HTTP_OK && strcmp(id, "a") == 0 && sec[0] == '\0', "basic: empty secret fits 1 byte");
	e = basic("Basic YTo=", 10, id, 2, NULL, 0);
	T_CHECK(e == HTTP_E_TOO_LONG, "basic: empty secret in 0 bytes -> HTTP_E_TOO_LONG (got %s)", ename(e));
	e = basic("Basic YTo=", 10, NULL, 0, sec, 1);
	T_CHECK(e == HTTP_E_TOO_LONG, "basic: id in 0 bytes -> HTTP_E_TOO_LONG (got %s)", ename(e));
	/* "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=" of the RFC value: a read past len would see the last '='. */
	e = basic(h, strlen(h) - 1, id, sizeof id, sec, sizeof sec);
	T_CHECK(e == HTTP_E_SYNTAX, "basic: len-1 of the RFC 7617 value -> HTTP_E_SYNTAX, not read past len");
	e = http_basic_parse(NULL, 0, id, sizeof id, sec, sizeof sec);
	T_CHECK(e == HTTP_E_SYNTAX, "basic: NULL input of length 0");
}

/* ---- Bearer ---------------------------------------------------------------------- */

static void test_bearer(void)
{
	size_t off, n;
	http_err e;

	bearer_ok("Bearer mF_9.B5f-4.1JqM", "mF_9.B5f-4.1JqM", "RFC 6750 §2.1 example");
	bearer_ok("bearer mF_9.B5f-4.1JqM", "mF_9.B5f-4.1JqM", "scheme in lower case");
	bearer_ok("BEARER mF_9.B5f-4.1JqM", "mF_9.B5f-4.1JqM", "scheme in upper case");
	bearer_ok("Bearer   abc", "abc", "several spaces");
	bearer_ok("Bearer AZaz09-._~+/", "AZaz09-._~+/", "every b64token character");
	bearer_ok("Bearer abc==", "abc==", "trailing '='");
	bearer_ok("Bearer eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln",
	          "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln", "a JWT");

	bearer_bad("Bearer a b", "\"Bearer a b\"");
	bearer_bad("Bearer", "scheme only");
	bearer_bad("Bearer ", "scheme and a space");
	bearer_bad("", "empty header");
	T_CHECK(http_auth_scheme_is("bearer a b", 10, "Bearer") &&
	            http_auth_scheme_is("Bearer ", 7, "Bearer") &&
	            !http_auth_scheme_is("Bearer", 6, "Bearer") &&
	            !http_auth_scheme_is("Basic YQ==", 10, "Bearer") &&
	            !http_auth_scheme_is("Bearerx y", 9, "Bearer") && !http_auth_scheme_is(NULL, 0, "Bearer"),
	        "http_auth_scheme_is: the scheme in any case and a space, nothing else");
	bearer_bad("Bearerabc", "no space after the scheme");
	bearer_bad("Bearer\tabc", "tab after the scheme");
	bearer_bad(" Bearer abc", "space before the scheme");
	bearer_bad("Basic abc", "another scheme");
	bearer_bad("Bearer abc ", "trailing space");
	bearer_bad("Bearer =", "only '='");
	bearer_bad("Bearer ==abc", "'=' before the token");
	bearer_bad("Bearer abc=d", "'=' inside the token");
	bearer_bad("Bearer a,b", "','");
	bearer_bad("Bearer a;b", "';'");
	bearer_bad("Bearer a\"b\"", "'\"'");
	bearer_bad("Bearer a%20b", "'%'");
	bearer_bad("Bearer a\\b", "'\\'");
	bearer_bad("Bearer a:b", "':'");
	bearer_bad("Bearer a\xC3\xA9", "non-ASCII");
	bearer_bad("Bearer a\r\nX-Evil: 1", "CRLF");
	bearer_bad("Bearer realm=\"x\"", "auth-params instead of a token");

	e = bearer_n("Bearer abc d", 10, &off, &n);
	T_CHECK(e == HTTP_OK && off == 7 && n == 3,
	        "bearer: \"Bearer abc\" of \"Bearer abc d\", not read past len");
	e = bearer_n("Bearer abc=d", 11, &off, &n);
	T_CHECK(e == HTTP_OK && n == 4, "bearer: \"Bearer abc=\" of \"Bearer abc=d\"");
	const char *tok = "x";
	e = http_bearer_parse(NULL, 0, &tok, &n);
	T_CHECK(e == HTTP_E_SYNTAX && tok == NULL, "bearer: NULL input of length 0");
}

/* ---- cookies and media types -------------------------------------------------------- */

static void test_cookie(void)
{
	char out[8];
	http_err e;

	/* RFC 6265 §4.2.2 */
	cookie_is("SID=31d4d96e407aad42", "SID", HTTP_OK, "31d4d96e407aad42", "RFC 6265 §4.2.2");
	cookie_is("SID=31d4d96e407aad42; lang=en-US", "SID", HTTP_OK, "31d4d96e407aad42", "RFC 6265 §4.2.2");
	cookie_is("SID=31d4d96e407aad42; lang=en-US", "lang", HTTP_OK, "en-US", "RFC 6265 §4.2.2");
	cookie_is("SID=31d4d96e407aad42; lang=en-US", "sid", HTTP_E_SYNTAX, NULL, "names are case-sensitive");
	cookie_is("SID=31d4d96e407aad42; lang=en-US", "Lang", HTTP_E_SYNTAX, NULL,
	          "names are case-sensitive");
	cookie_is("SID=31d4d96e407aad42; lang=en-US", "ID", HTTP_E_SYNTAX, NULL, "no suffix match");
	cookie_is("SID=31d4d96e407aad42; lang=en-US", "lan", HTTP_E_SYNTAX, NULL, "no prefix match");
	cookie_is("a=\"xyz\"", "a", HTTP_OK, "xyz", "DQUOTEs stripped (RFC 6265 §4.1.1)");
	cookie_is("a=\"\"", "a", HTTP_OK, "", "quoted empty value");
	cookie_is("a=", "a", HTTP_OK, "", "empty value");
	cookie_is("a=b=c", "a", HTTP_OK, "b=c", "'=' inside the value");
	cookie_is("a=1; a=2", "a", HTTP_OK, "1", "first occurrence wins");
	cookie_is("xa=1; a=2", "a", HTTP_OK, "2", "name is matched whole");
	cookie_is("x=a=1; a=2", "a", HTTP_OK, "2", "name is not matched inside a value");
	cookie_is("  a=1 ;\tb=2\t ", "b", HTTP_OK, "2", "spaces and tabs around pairs");
	cookie_is("  a=1 ;\tb=2\t ", "a", HTTP_OK, "1", "spaces and tabs around pairs");
	cookie_is("a=1;b=2", "b", HTTP_OK, "2", "no space after ';'");
	cookie_is("junk; _ga=x y,z; b=2", "b", HTTP_OK, "2", "others' malformed cookies are skipped");
	cookie_is("a; b=1", "a", HTTP_E_SYNTAX, NULL, "a pair without '=' has no value");
	cookie_is("a =1", "a", HTTP_E_SYNTAX, NULL, "space before '=' is part of the name");
	cookie_is("", "a", HTTP_E_SYNTAX, NULL, "empty header");
	cookie_is("a=1", "", HTTP_E_SYNTAX, NULL, "empty name asked for");
	cookie_is("=1", "", HTTP_E_SYNTAX, NULL, "empty name asked for");
	cookie_is("a=x y", "a", HTTP_E_SYNTAX, NULL, "space inside the value");
	cookie_is("a=x,y", "a", HTTP_E_SYNTAX, NULL, "',' inside the value");
	cookie_is("a=x\\y", "a", HTTP_E_SYNTAX, NULL, "'\\' inside the value");
	cookie_is("a=\"", "a", HTTP_E_SYNTAX, NULL, "a lone DQUOTE");
	cookie_is("a=\"x", "a", HTTP_E_SYNTAX, NULL, "an unclosed DQUOTE");
	cookie_is("a=x\"y\"", "a", HTTP_E_SYNTAX, NULL, "DQUOTE inside the value");
	cookie_is("a=\xC3\xA9", "a", HTTP_E_SYNTAX, NULL, "non-ASCII value");
	cookie_is("a=\x01", "a", HTTP_E_SYNTAX, NULL, "control character");
	cookie_is("a=x y; a=2", "a", HTTP_E_SYNTAX, NULL, "first occurrence malformed");

	e = cookie_n("a=123", 5, "a", out, 4);
	T_CHECK(e == HTTP_OK && strcmp(out, "123") == 0, "cookie: value fits a buffer of exactly 4 bytes");
	e = cookie_n("a=123", 5, "a", out, 3);
	T_CHECK(e == HTTP_E_TOO_LONG && out[0] == '\0',
	        "cookie: buffer one byte short -> HTTP_E_TOO_LONG (got %s)", ename(e));
	e = cookie_n("a=\"123\"", 7, "a", out, 4);
	T_CHECK(e == HTTP_OK && strcmp(out, "123") == 0,
	        "cookie: quoted value needs no room for its DQUOTEs");
	e = cookie_n("a=", 2, "a", NULL, 0);
	T_CHECK(e == HTTP_E_TOO_LONG, "cookie: empty value in 0 bytes -> HTTP_E_TOO_LONG (got %s)", ename(e));
	e = cookie_n("a=1; b=22", 8, "b", out, sizeof out);
	T_CHECK(e == HTTP_OK && strcmp(out, "2") == 0,
	        "cookie: \"a=1; b=2\" of \"a=1; b=22\", not read past len");
	e = cookie_n("a=1; bc=2", 6, "b", out, sizeof out);
	T_CHECK(e == HTTP_E_SYNTAX, "cookie: \"a=1; b\" of \"a=1; bc=2\" has no b");
	e = cookie_n("a=\"1\"", 4, "a", out, sizeof out);
	T_CHECK(e == HTTP_E_SYNTAX, "cookie: \"a=\\\"1\" of \"a=\\\"1\\\"\" is unclosed (got %s)", ename(e));
	e = http_cookie_get(NULL, 0, "a", out, sizeof out);
	T_CHECK(e == HTTP_E_SYNTAX, "cookie: NULL input of length 0");
}

static void test_media_type(void)
{
	const char *form = "application/x-www-form-urlencoded", *json = "application/json";

	media_is("application/x-www-form-urlencoded", form, 1);
	media_is("Application/X-WWW-Form-URLEncoded", form, 1);
	media_is("application/x-www-form-urlencoded;charset=UTF-8", form, 1);
	media_is("application/x-www-form-urlencoded ; charset=UTF-8", form, 1);
	media_is(" \tapplication/json\t ", json, 1);
	media_is("application/json; charset=utf-8", json, 1);
	media_is("application/json;", json, 1);
	media_is("APPLICATION/JSON", json, 1);
	media_is("application/json", form, 0);
	media_is("application/jsonx", json, 0);
	media_is("application/jso", json, 0);
	media_is("application/json-patch+json", json, 0);
	media_is("application / json", json, 0);
	media_is("application/json,text/plain", json, 0);
	media_is("xapplication/json", json, 0);
	media_is("", json, 0);
	media_is(";", json, 0);
	media_is("text/plain", json, 0);
	media_is("multipart/form-data; boundary=x", form, 0);
	media_is("", "", 0);
	T_CHECK(media_n("application/jsonx", 16, json) == 1,
	        "media type: len-1 of \"application/jsonx\" is json");
	T_CHECK(http_media_type_is(NULL, 0, json) == 0, "media type: NULL input of length 0");
}

static void test_strerror(void)
{
	int ok = 1;
	for (int e = HTTP_OK; e <= HTTP_E_ENCODING + 1; e++)
		ok &= http_strerror((http_err)e) != NULL && http_strerror((http_err)e)[0] != '\0';
	ok &= strcmp(http_strerror((http_err)1000), "unknown error") == 0;
	T_CHECK(ok, "http_strerror: a phrase for every value, also unknown ones");
}

/* ---- UTF-8 validator, exhaustively over short sequences ------------------------------- */

/*
 * Independent reference: decode by the bit patterns, then check the code
 * point's range and minimal length (RFC 3629 §3, §4).
 */
static int ref_text_ok(const unsigned char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		unsigned c = s[i], cp, k, min;
		if (c < 0x80) {
			if (c < 0x20 || c == 0x7f)
				return 0;
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0)
			k = 1, cp = c & 0x1f, min = 0x80;
		else if ((c & 0xf0) == 0xe0)
			k = 2, cp = c & 0x0f, min = 0x800;
		else if ((c & 0xf8) == 0xf0)
			k = 3, cp = c & 0x07, min = 0x10000;
		else
			return 0;
		if (n - i - 1 < k)
			return 0;
		for (unsigned j = 1; j <= k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + j] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += k + 1;
	}
	return 1;
}

static void test_utf8(void)
{
	unsigned char s[4];
	size_t bad = 0, tried = 0;

	/* Every 1- and 2-byte string, every 3-byte string, and 4-byte strings from lead bytes F0..F4 and F5.
	 */
	for (unsigned a = 0; a < 256; a++) {
		s[0] = (unsigned char)a;
		bad += text_ok(s, 1) != ref_text_ok(s, 1), tried++;
		for (unsigned b = 0; b < 256; b++) {
			s[1] = (unsigned char)b;
			bad += text_ok(s, 2) != ref_text_ok(s, 2), tried++;
			for (unsigned c = 0; c < 256; c++) {
				s[2] = (unsigned char)c;
				bad += text_ok(s, 3) != ref_text_ok(s, 3), tried++;
				if (a >= 0xf0 && a <= 0xf5 && b >= 0x80 && b <= 0xbf)
					for (unsigned d = 0x70; d < 0xd0; d++) {
						s[3] = (unsigned char)d;
						bad += text_ok(s, 4) != ref_text_ok(s, 4), tried++;
					}
			}
		}
	}
	T_CHECK(bad == 0, "UTF-8 validator agrees with an RFC 3629 decoder on %zu byte strings (%zu differ)",
	        tried, bad);
}

/* ---- randomized --------------------------------------------------------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint32_t rnd(void)
{
	/* xorshift64*: fixed seed, same sequence on every run */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545f4914f6cdd1du) >> 32);
}

/* Standard base64 with padding (RFC 4648 §4), for building random Basic headers. */
static size_t b64enc(char *out, const unsigned char *in, size_t n)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0) |
		             (i + 2 < n ? in[i + 2] : 0);
		out[o++] = a[v >> 18];
		out[o++] = a[(v >> 12) & 63];
		out[o++] = i + 1 < n ? a[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? a[v & 63] : '=';
	}
	return o;
}

/* 1 when p[0..n] lies inside buf[0..cap) and p[n] is its first NUL. */
static int inside(const char *p, size_t n, const char *buf, size_t cap)
{
	return p >= buf && (size_t)(p - buf) < cap && n < cap - (size_t)(p - buf) && p[n] == '\0' &&
	       strlen(p) == n;
}

static int valid_err(http_err e)
{
	return e >= HTTP_OK && e <= HTTP_E_ENCODING;
}

static void test_random(void)
{
	static const char alpha[] =
	    "%%%%++==&&;;::\"  \t,AaFf0123456789zZ._-~/\\\x80\xC2\xE2\xED\xF0\xF4\xFF\x00\x01";
	const size_t na = sizeof alpha - 1;
	static const char *const prefix[] = {"", "Basic ", "Bearer ", "basic  ", "a=", "Bearer a"};
	size_t fails = 0, oks = 0, basic_oks = 0, bearer_oks = 0, cookie_oks = 0, iters = 100000;
	char s[160], buf[HTTP_FORM_BUF_SIZE(sizeof s)], id[72], sec[72], out[72];
	char first[200] = "";

	for (size_t it = 0; it < iters; it++) {
		const char *pre = prefix[rnd() % 6];
		size_t pl = strlen(pre), n = rnd() % 65, len;
		unsigned char raw[64];
		int bad = 0;

		memcpy(s, pre, pl);
		for (size_t i = 0; i < n; i++)
			raw[i] = (unsigned char)alpha[rnd() % na];
		/* Half the Basic headers carry real base64, so the decoder behind it is reached. */
		if (strcmp(pre, "Basic ") == 0 && rnd() % 2)
			len = pl + b64enc(s + pl, raw, n);
		else
			memcpy(s + pl, raw, n), len = pl + n;

		char *in = exact(s, len);
		http_form f;
		http_err e = http_form_parse(in, len, &f, buf, HTTP_FORM_BUF_SIZE(len));
		bad |= !valid_err(e) || e == HTTP_E_TOO_LONG || f.n > HTTP_FORM_MAX_FIELDS;
		if (e == HTTP_OK) {
			oks++;
			for (size_t i = 0; i < f.n; i++) {
				bad |=
				    !inside(f.f[i].name, f.f[i].name_len, buf, HTTP_FORM_BUF_SIZE(len)) ||
				    !inside(f.f[i].value, f.f[i].value_len, buf, HTTP_FORM_BUF_SIZE(len)) ||
				    !ref_text_ok((const unsigned char *)f.f[i].name, f.f[i].name_len) ||
				    !ref_text_ok((const unsigned char *)f.f[i].value, f.f[i].value_len);
				for (size_t j = 0; j < i; j++)
					bad |= strcmp(f.f[i].name, f.f[j].name) == 0;
			}
		} else {
			bad |= f.n != 0;
		}
		/* A small buffer: the parser must stop at cap, never write past it. */
		size_t small = rnd() % 8;
		e = http_form_parse(in, len, &f, buf, small);
		bad |= !valid_err(e);
		for (size_t i = 0; e == HTTP_OK && i < f.n; i++)
			bad |= !inside(f.f[i].name, f.f[i].name_len, buf, small) ||
			       !inside(f.f[i].value, f.f[i].value_len, buf, small);

		size_t idcap = rnd() % 2 ? sizeof id : rnd() % sizeof id;
		size_t seccap = rnd() % 2 ? sizeof sec : rnd() % sizeof sec;
		e = http_basic_parse(in, len, id, idcap, sec, seccap);
		bad |= !valid_err(e) || e == HTTP_E_DUPLICATE || e == HTTP_E_TOO_MANY;
		basic_oks += e == HTTP_OK;
		if (e == HTTP_OK)
			bad |= !inside(id, strlen(id), id, idcap) || id[0] == '\0' ||
			       !inside(sec, strlen(sec), sec, seccap) ||
			       !ref_text_ok((const unsigned char *)id, strlen(id)) ||
			       !ref_text_ok((const unsigned char *)sec, strlen(sec));

		const char *tok;
		size_t tl;
		e = http_bearer_parse(in, len, &tok, &tl);
		bad |= e != HTTP_OK && e != HTTP_E_SYNTAX;
		bearer_oks += e == HTTP_OK;
		if (e == HTTP_OK)
			bad |= tl == 0 || tok < in || tok + tl != in + len;
		else
			bad |= tok != NULL || tl != 0;

		size_t cap = rnd() % sizeof out;
		e = http_cookie_get(in, len, (const char *[]){"a", "A", "Bearer a", "%"}[rnd() % 4], out,
		                    cap);
		bad |= e != HTTP_OK && e != HTTP_E_SYNTAX && e != HTTP_E_TOO_LONG;
		cookie_oks += e == HTTP_OK;
		if (e == HTTP_OK)
			bad |= !inside(out, strlen(out), out, cap);

		int m = http_media_type_is(in, len, "a/b");
		bad |= m != 0 && m != 1;
		free(in);

		if (bad && fails++ == 0)
			snprintf(first, sizeof first, "iteration %zu, %zu bytes", it, len);
	}
	T_CHECK(fails == 0,
	        "random: %zu inputs give a valid result, fields inside buf and NUL-terminated, "
	        "HTTP_FORM_BUF_SIZE always enough (HTTP_OK: %zu forms, %zu Basic, %zu Bearer, %zu cookies; "
	        "%zu failures %s)",
	        iters, oks, basic_oks, bearer_oks, cookie_oks, fails, first);
}

/*
 * Round trip: random names and values of valid UTF-8 text, encoded by the
 * definition (unreserved bytes as is, ' ' as '+' or %20, everything else %XX in
 * either case), must parse back to exactly themselves.
 */
static void test_roundtrip(void)
{
	static const char *const pieces[] = {"a",
	                                     "Z",
	                                     "0",
	                                     " ",
	                                     "%",
	                                     "&",
	                                     "=",
	                                     "+",
	                                     ";",
	                                     "~",
	                                     "\xC2\xA3",
	                                     "\xE2\x82\xAC",
	                                     "\xF0\x9F\x98\x80",
	                                     "\xF4\x8F\xBF\xBF",
	                                     "\xC2\x80"};
	size_t fails = 0, iters = 20000;

	for (size_t it = 0; it < iters; it++) {
		char names[8][40], values[8][40], enc[2048], buf[HTTP_FORM_BUF_SIZE(sizeof enc)];
		size_t nf = rnd() % 9, o = 0;
		int bad = 0;

		for (size_t i = 0; i < nf; i++) {
			for (int which = 0; which < 2; which++) {
				char *t = which ? values[i] : names[i];
				size_t k = rnd() % 6, tl = 0;
				t[0] = '\0';
				if (!which) /* distinct names: a unique ASCII prefix */
					tl = (size_t)snprintf(t, 8, "n%zu", i);
				for (size_t j = 0; j < k; j++) {
					const char *p = pieces[rnd() % (sizeof pieces / sizeof pieces[0])];
					memcpy(t + tl, p, strlen(p) + 1);
					tl += strlen(p);
				}
				if (which)
					enc[o++] = '=';
				else if (i)
					enc[o++] = '&';
				for (const unsigned char *p = (const unsigned char *)t; *p; p++) {
					if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
					    (*p >= '0' && *p <= '9') || *p == '.' || *p == '-' || *p == '_' ||
					    *p == '~')
						enc[o++] = (char)*p;
					else if (*p == ' ' && rnd() % 2)
						enc[o++] = '+';
					else
						o += (size_t)sprintf(enc + o, rnd() % 2 ? "%%%02X" : "%%%02x",
						                     *p);
				}
			}
			if (rnd() % 4 == 0)
				enc[o++] = '&'; /* an empty pair */
		}
		char *in = exact(enc, o);
		http_form f;
		http_err e = http_form_parse(in, o, &f, buf, HTTP_FORM_BUF_SIZE(o));
		bad = e != HTTP_OK || f.n != nf;
		for (size_t i = 0; !bad && i < nf; i++)
			bad = strcmp(f.f[i].name, names[i]) != 0 || strcmp(f.f[i].value, values[i]) != 0 ||
			      http_form_get(&f, names[i]) != f.f[i].value;
		free(in);
		fails += bad;
	}
	T_CHECK(fails == 0,
	        "round trip: %zu random forms of UTF-8 text decode to what was encoded (%zu failed)", iters,
	        fails);
}

int main(void)
{
	test_form_vectors();
	test_form_limits();
	test_form_get();
	test_form_past_len();
	test_basic();
	test_bearer();
	test_cookie();
	test_media_type();
	test_strerror();
	test_utf8();
	test_random();
	test_roundtrip();
	T_DONE();
}
