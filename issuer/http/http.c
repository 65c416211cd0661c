/*
 * http.c: HTTP input parsers (see http.h). Every loop is bounded by the input
 * length it was given; indices, not pointers, walk the input, so an empty input
 * with a NULL base is never offset. Percent-decoding is one small state machine
 * (struct sink) fed a byte at a time, shared by forms and Basic credentials:
 * Basic decodes base64 straight into it, so no intermediate buffer exists and
 * no limit beyond the caller's buffers applies.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"
#include "jose_b64url.h"
#include "jose_utf8.h"

/* see http.h */
const char *http_strerror(http_err e)
{
	switch (e) {
	case HTTP_OK:
		return "ok";
	case HTTP_E_SYNTAX:
		return "malformed input";
	case HTTP_E_DUPLICATE:
		return "parameter included more than once";
	case HTTP_E_TOO_MANY:
		return "too many parameters";
	case HTTP_E_TOO_LONG:
		return "value too long";
	case HTTP_E_ENCODING:
		return "invalid characters or UTF-8";
	}
	return "unknown error";
}

/* ---- characters ---------------------------------------------------------- */

/* ASCII lower case; locale-independent on purpose (tolower() is not). */
static unsigned char lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + ('a' - 'A')) : c;
}

/* 1 when a[0..n) and b[0..n) are equal ignoring ASCII case. */
static int case_equal(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
			return 0;
	return 1;
}

/* SP or HTAB: optional whitespace (RFC 9110 §5.6.3). */
static int ows(char c)
{
	return c == ' ' || c == '\t';
}

/* 0..15 for a hex digit, -1 for anything else. */
static int hex(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * 1 when s[0..n) is well-formed UTF-8 (Unicode Table 3-7: no overlong forms, no
 * surrogates, nothing above U+10FFFF, no truncated sequence) holding no C0
 * control character and no DEL; else 0.
 */
static int text_ok(const unsigned char *s, size_t n)
{
	uint32_t cp;

	for (size_t i = 0, k; i < n; i += k)
		if (!(k = jose_utf8_seq(s + i, n - i, &cp)) || cp < 0x20 || cp == 0x7f)
			return 0;
	return 1;
}

/* ---- percent-decoding ------------------------------------------------------ */

/*
 * Decodes form-urlencoded bytes into buf[0..cap), one NUL-terminated string
 * after another. Invariant: pos <= cap. A byte is written only if a NUL can
 * still follow it, so sink_end never finds the buffer full after a byte.
 */
struct sink {
	char *buf;
	size_t cap;
	size_t pos;   /* next byte to write */
	size_t start; /* where the current string began */
	int pct;      /* 0: plain; 1: after '%'; 2: after '%' and one hex digit */
	int high;     /* the first hex digit, when pct == 2 */
	http_err err; /* first error; once set, further bytes are ignored */
};

static void sink_init(struct sink *s, char *buf, size_t cap)
{
	s->buf = buf;
	s->cap = cap;
	s->pos = s->start = 0;
	s->pct = s->high = 0;
	s->err = HTTP_OK;
}

/* Feed one input byte: '+' is a space, %XX is byte XX. */
static void sink_put(struct sink *s, unsigned char c)
{
	if (s->err != HTTP_OK)
		return;
	if (s->pct) {
		int v = hex(c);
		if (v < 0) {
			s->err = HTTP_E_SYNTAX;
			return;
		}
		if (s->pct == 1) {
			s->high = v;
			s->pct = 2;
			return;
		}
		c = (unsigned char)(s->high << 4 | v);
		s->pct = 0;
	} else if (c == '%') {
		s->pct = 1;
		return;
	} else if (c == '+') {
		c = ' ';
	}
	if (s->cap - s->pos < 2) {
		s->err = HTTP_E_TOO_LONG;
		return;
	}
	s->buf[s->pos++] = (char)c;
}

/*
 * End the current string: check it, NUL-terminate it and start the next one
 * after it. Stores where it began and its length; returns the sink's error.
 */
static http_err sink_end(struct sink *s, size_t *start, size_t *n)
{
	if (s->err == HTTP_OK && s->pct)
		s->err = HTTP_E_SYNTAX; /* "%" or "%X" at the end */
	if (s->err == HTTP_OK && s->pos == s->cap)
		s->err = HTTP_E_TOO_LONG; /* only when nothing was written: no room for the NUL */
	if (s->err == HTTP_OK && !text_ok((const unsigned char *)s->buf + s->start, s->pos - s->start))
		s->err = HTTP_E_ENCODING;
	if (s->err != HTTP_OK)
		return s->err;
	*start = s->start;
	*n = s->pos - s->start;
	s->buf[s->pos++] = '\0';
	s->start = s->pos;
	return HTTP_OK;
}

/* ---- forms ------------------------------------------------------------------ */

/* see http.h */
http_err http_form_parse(const char *in, size_t len, http_form *out, char *buf, size_t cap)
{
	struct sink s;
	http_err err = HTTP_OK;
	size_t i = 0;

	out->n = 0;
	sink_init(&s, buf, cap);
	while (i < len) {
		size_t end = i, eq, name_at, name_n, value_at, value_n;

		while (end < len && in[end] != '&')
			end++;
		if (end == i) { /* empty pair */
			i = end + 1;
			continue;
		}
		if (out->n == HTTP_FORM_MAX_FIELDS) {
			err = HTTP_E_TOO_MANY;
			break;
		}
		for (eq = i; eq < end && in[eq] != '='; eq++)
			sink_put(&s, (unsigned char)in[eq]);
		if ((err = sink_end(&s, &name_at, &name_n)) != HTTP_OK)
			break;
		for (size_t j = eq + 1; j < end; j++) /* eq == end: no '=', empty value */
			sink_put(&s, (unsigned char)in[j]);
		if ((err = sink_end(&s, &value_at, &value_n)) != HTTP_OK)
			break;
		for (size_t k = 0; k < out->n && err == HTTP_OK; k++)
			if (out->f[k].name_len == name_n &&
			    memcmp(out->f[k].name, buf + name_at, name_n) == 0)
				err = HTTP_E_DUPLICATE;
		if (err != HTTP_OK)
			break;
		out->f[out->n].name = buf + name_at;
		out->f[out->n].name_len = name_n;
		out->f[out->n].value = buf + value_at;
		out->f[out->n].value_len = value_n;
		out->n++;
		i = end + 1;
	}
	if (err != HTTP_OK)
		out->n = 0;
	return err;
}

/* see http.h */
const char *http_form_get(const http_form *f, const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < f->n; i++)
		if (f->f[i].name_len == n && memcmp(f->f[i].name, name, n) == 0)
			return f->f[i].value;
	return NULL;
}

/* ---- Authorization ---------------------------------------------------------- */

/*
 * If hdr[0..len) starts with auth-scheme name (any case) and one or more spaces
 * (RFC 9110 §11.4: 1*SP), store where the credentials begin in *pos and return
 * 1; else 0.
 */
static int scheme(const char *hdr, size_t len, const char *name, size_t *pos)
{
	size_t n = strlen(name), i;

	if (len <= n || !case_equal(hdr, name, n) || hdr[n] != ' ')
		return 0;
	for (i = n; i < len && hdr[i] == ' '; i++)
		;
	*pos = i;
	return 1;
}

/* see http.h */
http_err http_basic_parse(const char *hdr, size_t len, char *id, size_t idcap, char *secret, size_t seccap)
{
	struct sink sid, ssec, *cur = &sid;
	size_t pos = 0, id_raw = 0, at, n, raw_len = 0;
	uint8_t *raw = NULL;
	int colon = 0;
	http_err err = HTTP_E_SYNTAX;

	sink_init(&sid, id, idcap);
	sink_init(&ssec, secret, seccap);
	if (!scheme(hdr, len, "Basic", &pos) || pos == len)
		goto out;
	/* Decoded, the credentials are shorter than their base64; wiped and freed below. */
	if (!(raw = malloc(len - pos))) {
		err = HTTP_E_TOO_LONG;
		goto out;
	}
	if (jose_b64_decode(raw, len - pos, &raw_len, hdr + pos, len - pos))
		goto out;
	for (size_t i = 0; i < raw_len; i++) {
		if (!colon && raw[i] == ':') { /* RFC 7617 §2: split at the first ':' */
			colon = 1;
			cur = &ssec;
			continue;
		}
		id_raw += !colon;
		sink_put(cur, raw[i]);
	}
	if (!colon || id_raw == 0)
		goto out;
	if ((err = sink_end(&sid, &at, &n)) != HTTP_OK)
		goto out;
	err = sink_end(&ssec, &at, &n);
out:
	if (raw) {
		explicit_bzero(raw, len - pos);
		free(raw);
	}
	if (err != HTTP_OK) {
		/* Wipe the partial secret: a caller may not clear buffers it thinks unused. */
		if (idcap > 0)
			memset(id, 0, sid.pos < idcap ? sid.pos + 1 : idcap);
		if (seccap > 0)
			memset(secret, 0, ssec.pos < seccap ? ssec.pos + 1 : seccap);
	}
	return err;
}

/* see http.h */
int http_auth_scheme_is(const char *hdr, size_t len, const char *name)
{
	size_t pos;

	return hdr && scheme(hdr, len, name, &pos);
}

/* see http.h */
http_err http_bearer_parse(const char *hdr, size_t len, const char **tok, size_t *tok_len)
{
	size_t pos = 0, i;

	*tok = NULL;
	*tok_len = 0;
	if (!scheme(hdr, len, "Bearer", &pos))
		return HTTP_E_SYNTAX;
	for (i = pos; i < len; i++) {
		char c = hdr[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/'))
			break;
	}
	if (i == pos)
		return HTTP_E_SYNTAX;
	while (i < len && hdr[i] == '=')
		i++;
	if (i != len)
		return HTTP_E_SYNTAX;
	*tok = hdr + pos;
	*tok_len = len - pos;
	return HTTP_OK;
}

/* ---- cookies and media types ------------------------------------------------ */

/* RFC 6265 §4.1.1 cookie-octet: %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E. */
static int cookie_octet(unsigned char c)
{
	return c >= 0x21 && c <= 0x7e && c != '"' && c != ',' && c != ';' && c != '\\';
}

/* see http.h */
http_err http_cookie_get(const char *hdr, size_t len, const char *name, char *out, size_t cap)
{
	size_t nlen = strlen(name), i = 0;

	if (cap > 0)
		out[0] = '\0';
	if (nlen == 0)
		return HTTP_E_SYNTAX;
	while (i < len) {
		size_t end, eq;

		while (i < len && ows(hdr[i]))
			i++;
		for (end = i; end < len && hdr[end] != ';'; end++)
			;
		for (eq = i; eq < end && hdr[eq] != '='; eq++)
			;
		if (eq < end && eq - i == nlen && memcmp(hdr + i, name, nlen) == 0) {
			size_t v = eq + 1, e = end;

			while (e > v && ows(hdr[e - 1]))
				e--;
			if (e - v >= 2 && hdr[v] == '"' && hdr[e - 1] == '"') {
				v++;
				e--;
			}
			for (size_t k = v; k < e; k++)
				if (!cookie_octet((unsigned char)hdr[k]))
					return HTTP_E_SYNTAX;
			if (e - v >= cap)
				return HTTP_E_TOO_LONG;
			memcpy(out, hdr + v, e - v);
			out[e - v] = '\0';
			return HTTP_OK;
		}
		i = end + 1;
	}
	return HTTP_E_SYNTAX;
}

/* see http.h */
int http_media_type_is(const char *ct, size_t len, const char *type)
{
	size_t i = 0, e = 0, n = strlen(type);

	while (i < len && ows(ct[i]))
		i++;
	for (e = i; e < len && ct[e] != ';'; e++)
		;
	while (e > i && ows(ct[e - 1]))
		e--;
	return n > 0 && e - i == n && case_equal(ct + i, type, n);
}
