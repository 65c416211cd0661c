/*
 * fuzz_http.c: libFuzzer target for the issuer's HTTP input parsers
 * (issuer/http.h). Input: one option byte, then the bytes every parser gets as
 * its input (a form body, an Authorization value, a Cookie value, a
 * Content-Type value: each parser is run on the same bytes).
 *
 * Option byte: bit 7 gives the Basic parser small buffers (id cap bits 0-3,
 * secret cap bits 4-6, times 3); bit 6 gives the form parser a buffer smaller
 * than HTTP_FORM_BUF_SIZE (bits 0-5 bytes); bit 5 gives the cookie parser a cap
 * of bits 0-4 bytes. Every output buffer is an exact-size heap block filled
 * with junk first, so a write past a cap is an ASan error and an output left
 * unset on error is seen.
 *
 * Promises checked (http.h): outputs hold nothing usable on error (form n = 0,
 * strings ""); results are NUL-terminated, within their caps, and point into
 * the input or the caller's buffer; decoded text has no NUL or control
 * character; form names are distinct and http_form_get finds each;
 * HTTP_FORM_BUF_SIZE(len) is always enough (never HTTP_E_TOO_LONG) and a
 * smaller buffer never changes an accepted result; a bearer token is the
 * non-empty tail of the input.
 *
 * The same bytes as an Accept-Language value and as OIDC's ui_locales (http/i18n.h):
 * the language chosen is one of the catalogs' or none, the same on a second call,
 * and no byte past the input (or I18N_HEADER_MAX) is read; as a catalog message,
 * i18n_expand hands over pieces that tile the message, values only where asked.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "fuzz.h"
#include "http/http.h"
#include "http/i18n.h"

/* An exact-size heap block of cap bytes, filled with junk (NULL when cap is 0). */
static char *junk(size_t cap)
{
	char *p = cap ? malloc(cap) : NULL;

	if (p)
		memset(p, 0xA5, cap);
	return p;
}

static int clean_text(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

static void check_form(const char *in, size_t len, const http_form *f, http_err e, const char *buf,
                       size_t cap)
{
	FUZZ_CHECK(http_strerror(e) != NULL, "http_strerror(%d) is NULL", (int)e);
	if (e != HTTP_OK) {
		FUZZ_CHECK(f->n == 0, "form: error %s with n = %zu", http_strerror(e), f->n);
		return;
	}
	FUZZ_CHECK(f->n <= HTTP_FORM_MAX_FIELDS, "form: n = %zu", f->n);
	for (size_t i = 0; i < f->n; i++) {
		const http_field *x = &f->f[i];
		FUZZ_CHECK(x->name >= buf && x->name + x->name_len < buf + cap && x->value >= buf &&
		               x->value + x->value_len < buf + cap,
		           "form: field %zu outside the buffer", i);
		FUZZ_CHECK(x->name[x->name_len] == 0 && strlen(x->name) == x->name_len &&
		               x->value[x->value_len] == 0 && strlen(x->value) == x->value_len,
		           "form: field %zu not NUL-terminated at its length", i);
		FUZZ_CHECK(clean_text(x->name, x->name_len) && clean_text(x->value, x->value_len),
		           "form: control character in field %zu", i);
		for (size_t j = 0; j < i; j++)
			FUZZ_CHECK(strcmp(f->f[j].name, x->name) != 0, "form: name \"%s\" twice", x->name);
		FUZZ_CHECK(http_form_get(f, x->name) == x->value, "form_get misses \"%s\"", x->name);
	}
	(void)in, (void)len;
}

static void fuzz_form(uint8_t opt, const char *in, size_t len)
{
	size_t full = HTTP_FORM_BUF_SIZE(len), small = opt & 0x40 ? (size_t)(opt & 0x3f) : full;
	char *buf = junk(full), *sbuf = junk(small);
	http_form f, g;
	http_err e, es;

	memset(&f, 0xA5, sizeof f);
	e = http_form_parse(in, len, &f, buf, full);
	check_form(in, len, &f, e, buf, full);
	FUZZ_CHECK(e != HTTP_E_TOO_LONG, "form: HTTP_FORM_BUF_SIZE(%zu) was not enough", len);
	if (small < full) {
		memset(&g, 0xA5, sizeof g);
		es = http_form_parse(in, len, &g, sbuf, small);
		check_form(in, len, &g, es, sbuf, small);
		if (e != HTTP_OK)
			FUZZ_CHECK(es != HTTP_OK, "form: small buffer accepts what the full one refuses (%s)",
			           http_strerror(e));
		if (es == HTTP_OK) {
			FUZZ_CHECK(e == HTTP_OK && g.n == f.n, "form: small buffer changes the result");
			for (size_t i = 0; i < f.n; i++)
				FUZZ_CHECK(strcmp(f.f[i].name, g.f[i].name) == 0 &&
				               strcmp(f.f[i].value, g.f[i].value) == 0,
				           "form: small buffer changes field %zu", i);
		}
	}
	free(buf);
	free(sbuf);
}

static void fuzz_basic(uint8_t opt, const char *in, size_t len)
{
	size_t idcap = opt & 0x80 ? (size_t)(opt & 0x0f) : 512,
	       seccap = opt & 0x80 ? (size_t)(opt >> 4 & 7) * 3 : 512;
	char *id = junk(idcap), *sec = junk(seccap);
	http_err e = http_basic_parse(in, len, id, idcap, sec, seccap);

	FUZZ_CHECK(http_strerror(e) != NULL, "http_strerror(%d) is NULL", (int)e);
	if (e == HTTP_OK) {
		FUZZ_CHECK(id && memchr(id, 0, idcap) && sec && memchr(sec, 0, seccap),
		           "basic: unterminated result");
		FUZZ_CHECK(id[0] != 0, "basic: OK with an empty id");
		FUZZ_CHECK(clean_text(id, strlen(id)) && clean_text(sec, strlen(sec)),
		           "basic: control character");
		FUZZ_CHECK(len >= 6 && strncasecmp(in, "basic ", 6) == 0, "basic: OK without the scheme");
	} else {
		FUZZ_CHECK(!idcap || id[0] == 0, "basic: id not wiped on %s", http_strerror(e));
		FUZZ_CHECK(!seccap || sec[0] == 0, "basic: secret not wiped on %s", http_strerror(e));
	}
	free(id);
	free(sec);
}

static void fuzz_bearer(const char *in, size_t len)
{
	const char *tok = (const char *)1;
	size_t n = 12345;
	http_err e = http_bearer_parse(in, len, &tok, &n);

	if (e == HTTP_OK)
		FUZZ_CHECK(tok && n > 0 && tok > in && tok + n == in + len && clean_text(tok, n),
		           "bearer: token is not a non-empty tail of the input");
	else
		FUZZ_CHECK(e == HTTP_E_SYNTAX && tok == NULL && n == 0,
		           "bearer: error %d leaves tok %p n %zu", (int)e, (const void *)tok, n);
}

static int cookie_octet(unsigned char c)
{
	return c == 0x21 || (c >= 0x23 && c <= 0x2b) || (c >= 0x2d && c <= 0x3a) ||
	       (c >= 0x3c && c <= 0x5b) || (c >= 0x5d && c <= 0x7e);
}

static void fuzz_cookie(uint8_t opt, const char *in, size_t len)
{
	/* Fixed names, and the input's own first name (up to '=', at most 32 bytes, no NUL). */
	char own[33] = "";
	const char *names[] = {"sid", "__Host-idb_session", "a", "", own};
	const char *eq = memchr(in, '=', len < 32 ? len : 32);
	size_t cap = opt & 0x20 ? (size_t)(opt & 0x1f) : 256;

	if (eq && !memchr(in, 0, (size_t)(eq - in)))
		memcpy(own, in, (size_t)(eq - in)), own[eq - in] = 0;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		char *out = junk(cap);
		http_err e = http_cookie_get(in, len, names[i], out, cap);
		if (e == HTTP_OK) {
			size_t n;
			FUZZ_CHECK(out && memchr(out, 0, cap), "cookie: unterminated value");
			n = strlen(out);
			for (size_t j = 0; j < n; j++)
				FUZZ_CHECK(cookie_octet((unsigned char)out[j]), "cookie: value byte 0x%02x",
				           out[j] & 0xff);
			FUZZ_CHECK(names[i][0] != 0, "cookie: an empty name matched");
		} else {
			FUZZ_CHECK(!cap || out[0] == 0, "cookie: value not cleared on %s", http_strerror(e));
		}
		free(out);
	}
}

static void fuzz_media(const char *in, size_t len)
{
	int form = http_media_type_is(in, len, "application/x-www-form-urlencoded");
	int json = http_media_type_is(in, len, "application/json");
	int none = http_media_type_is(in, len, "");

	FUZZ_CHECK((form == 0 || form == 1) && (json == 0 || json == 1) && (none == 0 || none == 1),
	           "media type: not 0 or 1");
	FUZZ_CHECK(!(form && json), "media type: two types at once");
}

/* i18n_expand's sink: counts the message's own bytes and the values' bytes. */
struct pieces {
	size_t text, values;
	int em;
};

static void count_piece(void *ctx, enum i18n_piece kind, const char *s, size_t n)
{
	struct pieces *p = ctx;

	if (kind == I18N_TEXT)
		p->text += n;
	else if (kind == I18N_VALUE) {
		FUZZ_CHECK(n == 1 && s[0] == 'V', "expand: a value that is not the argument's");
		p->values++;
	} else
		p->em += kind == I18N_EM_ON ? 1 : -1;
	FUZZ_CHECK(p->em == 0 || p->em == 1, "expand: emphasis nested or closed twice");
}

static void fuzz_languages(const char *in, size_t len)
{
	char *copy = junk(len), *msg = malloc(len + 1);
	int a, u, n = i18n_count();
	struct pieces p = {0, 0, 0};
	const struct i18n_arg args[] = {{"n", "V"}, {"name", "V"}};

	if (len)
		memcpy(copy, in, len); /* exact size: a read past len is an ASan error */
	a = i18n_accept_language(copy, len);
	u = i18n_ui_locales(copy, len);
	FUZZ_CHECK(a >= -1 && a < n && u >= -1 && u < n, "language out of range: %d %d", a, u);
	FUZZ_CHECK(a == i18n_accept_language(copy, len) && u == i18n_ui_locales(copy, len),
	           "not deterministic");
	if (msg) {
		memcpy(msg, in, len);
		msg[len] = '\0';
		i18n_expand(msg, args, 2, count_piece, &p);
		FUZZ_CHECK(p.em == 0 && p.text <= strlen(msg),
		           "expand: emphasis left open, or more text than given");
	}
	free(copy);
	free(msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in;
	size_t len;

	if (size < 1)
		return 0;
	in = (const char *)data + 1, len = size - 1;
	fuzz_form(data[0], in, len);
	fuzz_basic(data[0], in, len);
	fuzz_bearer(in, len);
	fuzz_cookie(data[0], in, len);
	fuzz_media(in, len);
	fuzz_languages(in, len);
	return 0;
}
