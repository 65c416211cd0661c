/*
 * page.c: the template renderer and the HTML answers (see page.h). It must never
 * insert a value or a message unescaped, never let a page run script (the CSP
 * allows none) and never render a page larger than PAGE_MAX. No globals but the
 * embedded files and the settings of start-up (base path, https, brand).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/http.h"
#include "http/page.h"
#include "http/response.h"

/* An embedded file of www/. */
struct page_file {
	const char *name;
	const unsigned char *data;
	size_t len;
};

/* page_files[]: generated from www/ by the Makefile. */
#include "www_pages.inc"

/* The CSP of every page; %s%s: the image origin and the form origin, each with its space. */
#define CSP_FORMAT                                                                                           \
	"default-src 'none'; style-src 'self'; img-src 'self'%s%s; frame-ancestors 'none'; "                 \
	"base-uri 'none'; form-action 'self'%s%s"

/* see page.h */
const char *page_file(const char *name, size_t *len)
{
	for (size_t i = 0; i < sizeof page_files / sizeof page_files[0]; i++)
		if (strcmp(page_files[i].name, name) == 0) {
			*len = page_files[i].len;
			return (const char *)page_files[i].data;
		}
	*len = 0;
	return NULL;
}

static const char *entity(char c)
{
	switch (c) {
	case '&':
		return "&amp;";
	case '<':
		return "&lt;";
	case '>':
		return "&gt;";
	case '"':
		return "&quot;";
	case '\'':
		return "&#39;";
	default:
		return NULL;
	}
}

/* see page.h */
size_t page_escape(const char *s, char *out, size_t cap)
{
	size_t n = 0;

	for (; *s; s++) {
		const char *e = entity(*s);
		size_t k = e ? strlen(e) : 1;
		if (n + k < cap)
			memcpy(out + n, e ? e : s, k);
		n += k;
	}
	if (cap)
		out[n < cap ? n : cap - 1] = '\0';
	return n;
}

/* A growing output buffer, bounded by PAGE_MAX. */
struct buf {
	char *p;
	size_t len, cap;
	int failed;
};

static void put(struct buf *b, const char *s, size_t n)
{
	if (b->failed)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *p;
		while (cap < b->len + n + 1)
			cap *= 2;
		if (b->len + n + 1 > PAGE_MAX || !(p = realloc(b->p, cap))) {
			b->failed = 1;
			return;
		}
		b->p = p, b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void put_escaped(struct buf *b, const char *s)
{
	for (const char *run = s;; s++) {
		const char *e = *s ? entity(*s) : NULL;
		if (*s && !e)
			continue;
		put(b, run, (size_t)(s - run));
		if (!*s)
			return;
		put(b, e, strlen(e));
		run = s + 1;
	}
}

static int name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

static int key_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

/* Length of a placeholder "{{name}}" or "{{t:key}}" at tpl[0..len), or 0 when there
 * is none; *name_len set (for t:, the key's length after "t:"), *msg 1 for a key. */
static size_t placeholder(const char *tpl, size_t len, size_t *name_len, int *msg)
{
	size_t i = 2, max = PAGE_NAME_MAX;
	int (*ok)(char) = name_char;

	if (len < 5 || tpl[0] != '{' || tpl[1] != '{')
		return 0;
	*msg = len > 4 && tpl[2] == 't' && tpl[3] == ':';
	if (*msg)
		i = 4, max = I18N_KEY_MAX, ok = key_char;
	while (i < len && i - 2 - 2 * *msg <= max && ok(tpl[i]))
		i++;
	*name_len = i - 2 - 2 * (size_t)*msg;
	if (*name_len == 0 || *name_len > max || i + 1 >= len || tpl[i] != '}' || tpl[i + 1] != '}')
		return 0;
	return i + 2;
}

static const char *lookup(const struct page_var *vars, size_t n, const char *name, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(vars[i].name) == len && memcmp(vars[i].name, name, len) == 0)
			return vars[i].value;
	return NULL;
}

/* i18n_expand's sink onto a struct buf: text and values escaped, emphasis as <strong>. */
static void sink_html(void *ctx, enum i18n_piece kind, const char *s, size_t n)
{
	struct buf *b = ctx;

	if (kind == I18N_EM_ON || kind == I18N_EM_OFF)
		put(b, kind == I18N_EM_ON ? "<strong>" : "</strong>", kind == I18N_EM_ON ? 8 : 9);
	else
		for (size_t i = 0; i < n; i++) { /* s[0..n) is not NUL-terminated for text */
			const char *e = entity(s[i]);
			put(b, e ? e : s + i, e ? strlen(e) : 1);
		}
}

/* The message key[0..len) in lang, expanded with vars as its arguments, onto b. */
static void put_message(struct buf *b, int lang, const char *key, size_t len, const struct i18n_arg *args,
                        size_t n)
{
	const char *m = i18n_message(lang, key, len, args, n);

	if (m)
		i18n_expand(m, args, n, sink_html, b);
	else
		sink_html(b, I18N_TEXT, key, len); /* no catalog has it: the key, never nothing */
}

/* The value v of var name onto b: a message (title, message) in lang when v is one. */
static void put_value(struct buf *b, int lang, const char *name, size_t name_len, const char *v,
                      const struct i18n_arg *args, size_t n)
{
	const char *key = NULL;

	if ((name_len == 5 && memcmp(name, "title", 5) == 0) ||
	    (name_len == 7 && memcmp(name, "message", 7) == 0))
		key = i18n_key_of(v);
	if (key)
		put_message(b, lang, key, strlen(key), args, n);
	else
		put_escaped(b, v);
}

/* see page.h */
char *page_render_lang(int lang, const char *tpl, size_t len, const struct page_var *vars, size_t n,
                       size_t *out_len)
{
	struct buf b = {0};
	size_t i = 0, run = 0, k, name_len;
	struct i18n_arg *args = calloc(n + 1, sizeof *args);
	int msg;

	for (size_t j = 0; args && j < n; j++)
		args[j] = (struct i18n_arg){vars[j].name, vars[j].value};
	put(&b, "", 0);
	while (args && i < len) {
		if (tpl[i] != '{' || !(k = placeholder(tpl + i, len - i, &name_len, &msg))) {
			i++;
			continue;
		}
		put(&b, tpl + run, i - run);
		if (msg) {
			put_message(&b, lang, tpl + i + 4, name_len, args, n);
		} else {
			const char *v = lookup(vars, n, tpl + i + 2, name_len);
			if (v)
				put_value(&b, lang, tpl + i + 2, name_len, v, args, n);
		}
		i += k;
		run = i;
	}
	put(&b, tpl + run, i - run);
	free(args);
	if (b.failed || !args) {
		free(b.p);
		return NULL;
	}
	*out_len = b.len;
	return b.p;
}

/* see page.h */
char *page_render(const char *tpl, size_t len, const struct page_var *vars, size_t n, size_t *out_len)
{
	return page_render_lang(I18N_EN, tpl, len, vars, n, out_len);
}

static int scheme_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' ||
	       c == '-' || c == '.';
}

static int host_char(char c)
{
	return scheme_char(c) || c == ':' || c == '[' || c == ']' || c == '_';
}

/* 1 for schemes that run or embed content (never a form's target). */
static int active_scheme(const char *uri, size_t n)
{
	static const char *const bad[] = {"javascript", "data", "blob", "filesystem", "vbscript"};

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (strlen(bad[i]) == n && strncasecmp(uri, bad[i], n) == 0)
			return 1;
	return 0;
}

/* see page.h */
void page_origin(const char *uri, char *out, size_t cap)
{
	size_t s = 0, h;

	out[0] = '\0';
	while (scheme_char(uri[s]))
		s++;
	if (s == 0 || uri[s] != ':')
		return;
	if (strncmp(uri + s, "://", 3) != 0) { /* private-use scheme: a scheme source */
		if (s + 2 <= cap && !active_scheme(uri, s))
			memcpy(out, uri, s + 1), out[s + 1] = '\0';
		return;
	}
	h = s + 3;
	while (host_char(uri[h]))
		h++;
	if (h == s + 3 || (uri[h] && uri[h] != '/' && uri[h] != '?') || h + 1 > cap)
		return;
	memcpy(out, uri, h);
	out[h] = '\0';
}

/* Send body with the HTML security headers, in language lang (Content-Language). */
static void send_html(h2o_req_t *req, int status, const char *body, size_t len, const char *form_origin,
                      const char *img_origin, int lang)
{
	int form = form_origin && *form_origin, img = img_origin && *img_origin;
	size_t cap = sizeof CSP_FORMAT + (form ? strlen(form_origin) : 0) + (img ? strlen(img_origin) : 0);
	char *csp = h2o_mem_alloc_pool(&req->pool, cap);

	snprintf(csp, cap, CSP_FORMAT, img ? " " : "", img ? img_origin : "", form ? " " : "",
	         form ? form_origin : "");
	req->res.status = status;
	req->res.reason = response_reason(status);
	response_add_header(req, "content-type", "text/html; charset=utf-8");
	response_add_header(req, "content-language", i18n_tag(lang));
	response_add_header(req, "cache-control", "no-store");
	response_add_header(req, "content-security-policy", csp);
	response_add_header(req, "x-content-type-options", "nosniff");
	/* same-origin, not no-referrer: under no-referrer a browser's form post says
	 * Origin: null, which /login, /consent and /logout then could not tell from a
	 * sandboxed frame's. Nothing is sent to other origins either way. */
	response_add_header(req, "referrer-policy", "same-origin");
	response_add_header(req, "x-frame-options", "DENY");
	response_retry_after(req);
	req->res.content_length = len;
	h2o_send_inline(req, body, len);
}

/* The settings of start-up: the issuer URL's path (for {{base}}), the language
 * cookie's full name, and the brand folder's files. */
static char page_base[256];
static char lang_cookie[64] = PAGE_LANG_COOKIE;
static const struct brand *page_brand;
static char brand_logo_url[sizeof page_base + 32];

/* see page.h */
void page_set_base(const char *base)
{
	snprintf(page_base, sizeof page_base, "%s", base ? base : "");
}

/* see page.h */
void page_set_site(int https, const struct brand *b)
{
	/* the prefixes of sso/cookie.c: __Host- needs Path=/ */
	const char *prefix = !https                                        ? ""
	                     : page_base[0] && strcmp(page_base, "/") != 0 ? "__Secure-"
	                                                                   : "__Host-";

	snprintf(lang_cookie, sizeof lang_cookie, "%s%s", prefix, PAGE_LANG_COOKIE);
	page_brand = b;
	brand_logo_url[0] = '\0';
	if (b && b->logo_name)
		snprintf(brand_logo_url, sizeof brand_logo_url, "%s/static/%s", page_base, b->logo_name);
}

/* The language our Set-Cookie on req's answer names: the language, -2 when it
 * clears the cookie, -1 when the answer sets none. */
static int lang_set_here(h2o_req_t *req)
{
	size_t cn = strlen(lang_cookie);

	for (size_t i = 0; i < req->res.headers.size; i++) {
		const h2o_header_t *h = req->res.headers.entries + i;
		if (h2o_lcstris(h->name->base, h->name->len, H2O_STRLIT("set-cookie")) && h->value.len > cn &&
		    memcmp(h->value.base, lang_cookie, cn) == 0 && h->value.base[cn] == '=') {
			const char *v = h->value.base + cn + 1;
			size_t k = 0;
			int l;
			while (cn + 1 + k < h->value.len && v[k] != ';')
				k++;
			return (l = i18n_find(v, k)) >= 0 ? l : -2;
		}
	}
	return -1;
}

/* The language of req's language cookie, or -1. */
static int lang_cookie_of(h2o_req_t *req)
{
	char v[I18N_TAG_MAX + 1];

	for (ssize_t i = -1; (i = h2o_find_header(&req->headers, H2O_TOKEN_COOKIE, i)) != -1;) {
		h2o_iovec_t h = req->headers.entries[i].value;
		if (http_cookie_get(h.base, h.len, lang_cookie, v, sizeof v) == HTTP_OK)
			return i18n_find(v, strlen(v));
	}
	return -1;
}

/* see page.h */
int page_lang(h2o_req_t *req)
{
	h2o_iovec_t al;
	int l = lang_set_here(req);

	if (l >= 0)
		return l;
	if (l == -1 && (l = lang_cookie_of(req)) >= 0)
		return l;
	al = response_request_header(req, H2O_TOKEN_ACCEPT_LANGUAGE);
	if (al.base && (l = i18n_accept_language(al.base, al.len)) >= 0)
		return l;
	return I18N_EN;
}

/* Set-Cookie for the language cookie: value, max_age seconds (0: clear it). */
static void lang_cookie_set(h2o_req_t *req, const char *value, int max_age)
{
	size_t cap = sizeof lang_cookie + sizeof page_base + I18N_TAG_MAX + 80;
	char *c = h2o_mem_alloc_pool(&req->pool, cap);

	snprintf(c, cap, "%s=%s; Path=%s; Max-Age=%d; HttpOnly; SameSite=Lax%s", lang_cookie, value,
	         page_base[0] ? page_base : "/", max_age,
	         strncmp(lang_cookie, "__", 2) == 0 ? "; Secure" : "");
	response_add_header(req, "set-cookie", c);
}

/* see page.h */
void page_ui_locales(h2o_req_t *req, const char *ui_locales)
{
	int l = ui_locales ? i18n_ui_locales(ui_locales, strlen(ui_locales)) : -1;

	if (l >= 0)
		lang_cookie_set(req, i18n_tag(l), PAGE_LANG_SECONDS);
	else if (lang_cookie_of(req) >= 0)
		lang_cookie_set(req, "", 0);
}

/* i18n_expand's sink onto a struct buf as plain text (emphasis dropped). */
static void sink_text(void *ctx, enum i18n_piece kind, const char *s, size_t n)
{
	if (kind == I18N_TEXT || kind == I18N_VALUE)
		put(ctx, s, n);
}

/* see page.h */
const char *page_msg(h2o_req_t *req, const char *key, const struct page_var *args, size_t n)
{
	struct i18n_arg a[PAGE_MSG_ARGS];
	struct buf b = {0};
	const char *m;
	char *out;

	n = n < PAGE_MSG_ARGS ? n : PAGE_MSG_ARGS;
	for (size_t i = 0; i < n; i++)
		a[i] = (struct i18n_arg){args[i].name, args[i].value};
	if (!(m = i18n_message(page_lang(req), key, strlen(key), a, n)))
		return key;
	put(&b, "", 0);
	i18n_expand(m, a, n, sink_text, &b);
	if (b.failed || !(out = h2o_mem_alloc_pool(&req->pool, b.len + 1))) {
		free(b.p);
		return key;
	}
	memcpy(out, b.p, b.len + 1);
	free(b.p);
	return out;
}

/* see page.h */
const char *page_tr(h2o_req_t *req, const char *english)
{
	const char *key = english ? i18n_key_of(english) : NULL;

	return key ? page_msg(req, key, NULL, 0) : english;
}

/* see page.h */
void page_send(h2o_req_t *req, int status, const char *name, const struct page_var *vars, size_t n,
               const char *form_origin)
{
	page_send_img(req, status, name, vars, n, form_origin, NULL);
}

/* The values every page gets (page.h) after vars[0..n), into a new array of n + 4 in req's pool. */
static struct page_var *with_site(h2o_req_t *req, const struct page_var *vars, size_t n, int lang)
{
	struct page_var *all = h2o_mem_alloc_pool(&req->pool, (n + 4) * sizeof *all);

	if (n)
		memcpy(all, vars, n * sizeof *vars);
	all[n] = (struct page_var){"base", page_base};
	all[n + 1] = (struct page_var){"lang", i18n_tag(lang)};
	all[n + 2] = (struct page_var){"brand_logo", brand_logo_url};
	all[n + 3] = (struct page_var){"brand_class", brand_logo_url[0] ? "brand" : "brand none"};
	return all;
}

/* see page.h */
void page_send_img(h2o_req_t *req, int status, const char *name, const struct page_var *vars, size_t n,
                   const char *form_origin, const char *img_origin)
{
	size_t len, out_len;
	const char *tpl = page_file(name, &len);
	int lang = page_lang(req);
	char *html =
	    tpl ? page_render_lang(lang, tpl, len, with_site(req, vars, n, lang), n + 4, &out_len) : NULL;

	if (!html) {
		static const char busy[] =
		    "<!doctype html><html lang=\"en\"><title>Unavailable</title><p>Please try again.";
		send_html(req, 503, busy, sizeof busy - 1, NULL, NULL, I18N_EN);
		return;
	}
	send_html(req, status, html, out_len, form_origin, img_origin, lang);
	free(html);
}

/* see page.h */
void page_error(h2o_req_t *req, int status, const char *title, const char *message)
{
	const struct page_var v[] = {{"title", title}, {"message", message}};

	page_send(req, status, "error.html", v, 2, NULL);
}

/* see page.h */
void page_unavailable(h2o_req_t *req)
{
	page_error(req, 503, "Try again", "The service is busy; please try again in a moment.");
}

/* Answer 200 with body[0..len) of type, cacheable for max_age seconds. */
static void send_static(h2o_req_t *req, const char *type, const char *body, size_t len, const char *max_age)
{
	req->res.status = 200;
	req->res.reason = response_reason(200);
	response_add_header(req, "content-type", type);
	response_add_header(req, "cache-control", max_age);
	response_add_header(req, "x-content-type-options", "nosniff");
	req->res.content_length = len;
	h2o_send_inline(req, body, len);
}

/* see page.h */
void page_style(h2o_req_t *req)
{
	size_t len;
	const char *css = page_file("style.css", &len);

	if (!css) {
		page_error(req, 404, "Not found", "There is no such page.");
		return;
	}
	send_static(req, "text/css; charset=utf-8", css, len, "public, max-age=3600");
}

/* see page.h */
void page_brand_file(h2o_req_t *req, const char *name)
{
	const struct brand *b = page_brand;

	if (strcmp(name, "brand.css") == 0) {
		send_static(req, "text/css; charset=utf-8", b && b->css ? b->css : "", b ? b->css_len : 0,
		            "public, max-age=300");
		return;
	}
	if (!b || !b->logo_name || strcmp(name, b->logo_name) != 0) {
		page_error(req, 404, "Not found", "There is no such page.");
		return;
	}
	/* an SVG opened on its own is a document of our origin: no script, no requests */
	if (strcmp(b->logo_type, "image/svg+xml") == 0)
		response_add_header(req, "content-security-policy",
		                    "default-src 'none'; style-src 'unsafe-inline'; sandbox");
	send_static(req, b->logo_type, b->logo, b->logo_len, "public, max-age=300");
}
