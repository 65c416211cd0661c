/*
 * page.c: the template renderer and the HTML answers (see page.h). It must never
 * insert a value unescaped, never let a page run script (the CSP allows none) and
 * never render a page larger than PAGE_MAX. No globals but the embedded files.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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
	"base-uri 'none'; form-action 'self'%s%s%s"
/* What a page with the passkey script adds: that script (nothing inline), which may
 * ask the issuer for a challenge. */
#define CSP_SCRIPT "; script-src 'self'; connect-src 'self'"

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

/* Length of a placeholder "{{name}}" at tpl[0..len), or 0 when there is none; *name_len set. */
static size_t placeholder(const char *tpl, size_t len, size_t *name_len)
{
	size_t i = 2;

	if (len < 5 || tpl[0] != '{' || tpl[1] != '{')
		return 0;
	while (i < len && i - 2 <= PAGE_NAME_MAX && name_char(tpl[i]))
		i++;
	if (i == 2 || i - 2 > PAGE_NAME_MAX || i + 1 >= len || tpl[i] != '}' || tpl[i + 1] != '}')
		return 0;
	*name_len = i - 2;
	return i + 2;
}

/* 1 when a placeholder's name says it carries a fragment's markup (page.h). */
static int is_html(const char *name)
{
	size_t n = strlen(name);

	return n > 5 && strcmp(name + n - 5, "_html") == 0;
}

static const struct page_var *lookup(const struct page_var *vars, size_t n, const char *name, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(vars[i].name) == len && memcmp(vars[i].name, name, len) == 0)
			return &vars[i];
	return NULL;
}

/* see page.h */
char *page_render(const char *tpl, size_t len, const struct page_var *vars, size_t n, size_t *out_len)
{
	struct buf b = {0};
	size_t i = 0, run = 0, k, name_len;

	put(&b, "", 0);
	while (i < len) {
		if (tpl[i] != '{' || !(k = placeholder(tpl + i, len - i, &name_len))) {
			i++;
			continue;
		}
		const struct page_var *v = lookup(vars, n, tpl + i + 2, name_len);
		put(&b, tpl + run, i - run);
		if (v && v->value && is_html(v->name))
			put(&b, v->value, strlen(v->value));
		else if (v && v->value)
			put_escaped(&b, v->value);
		i += k;
		run = i;
	}
	put(&b, tpl + run, i - run);
	if (b.failed) {
		free(b.p);
		return NULL;
	}
	*out_len = b.len;
	return b.p;
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

/* Send body with the HTML security headers. */
static void send_html(h2o_req_t *req, int status, const char *body, size_t len, const struct page_csp *o)
{
	const char *form_origin = o->form_origin, *img_origin = o->img_origin;
	int form = form_origin && *form_origin, img = img_origin && *img_origin;
	size_t cap = sizeof CSP_FORMAT + sizeof CSP_SCRIPT + (form ? strlen(form_origin) : 0) +
	             (img ? strlen(img_origin) : 0);
	char *csp = h2o_mem_alloc_pool(&req->pool, cap);

	snprintf(csp, cap, CSP_FORMAT, img ? " " : "", img ? img_origin : "", form ? " " : "",
	         form ? form_origin : "", o->script ? CSP_SCRIPT : "");
	req->res.status = status;
	req->res.reason = response_reason(status);
	response_add_header(req, "content-type", "text/html; charset=utf-8");
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

/* The issuer URL's path, for {{base}} (page_set_base). */
static char page_base[256];

/* see page.h */
void page_set_base(const char *base)
{
	snprintf(page_base, sizeof page_base, "%s", base ? base : "");
}

/* see page.h */
void page_send(h2o_req_t *req, int status, const char *name, const struct page_var *vars, size_t n,
               const char *form_origin)
{
	page_send_img(req, status, name, vars, n, form_origin, NULL);
}

/* see page.h */
void page_send_img(h2o_req_t *req, int status, const char *name, const struct page_var *vars, size_t n,
                   const char *form_origin, const char *img_origin)
{
	const struct page_csp o = {.form_origin = form_origin, .img_origin = img_origin};

	page_send_csp(req, status, name, vars, n, &o);
}

/* see page.h */
const char *page_fragment(h2o_req_t *req, const char *before, const char *name, const struct page_var *vars,
                          size_t n)
{
	size_t len, out_len, had = before ? strlen(before) : 0;
	const char *tpl = page_file(name, &len);
	struct page_var *all = h2o_mem_alloc_pool(&req->pool, (n + 1) * sizeof *all);
	char *html, *out = NULL;

	if (n)
		memcpy(all, vars, n * sizeof *vars);
	all[n] = (struct page_var){"base", page_base};
	if (!tpl || !(html = page_render(tpl, len, all, n + 1, &out_len)))
		return NULL;
	if (had + out_len < PAGE_MAX && (out = h2o_mem_alloc_pool(&req->pool, had + out_len + 1))) {
		memcpy(out, before ? before : "", had);
		memcpy(out + had, html, out_len + 1);
	}
	free(html);
	return out;
}

/* see page.h */
void page_send_csp(h2o_req_t *req, int status, const char *name, const struct page_var *vars, size_t n,
                   const struct page_csp *o)
{
	size_t len, out_len;
	const char *tpl = page_file(name, &len);
	struct page_var *all = h2o_mem_alloc_pool(&req->pool, (n + 1) * sizeof *all);
	char *html;

	if (n)
		memcpy(all, vars, n * sizeof *vars);
	all[n] = (struct page_var){"base", page_base};
	html = tpl ? page_render(tpl, len, all, n + 1, &out_len) : NULL;
	if (!html) {
		static const char busy[] = "<!doctype html><title>Unavailable</title><p>Please try again.";
		send_html(req, 503, busy, sizeof busy - 1, &(struct page_csp){0});
		return;
	}
	send_html(req, status, html, out_len, o);
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

/* Answer with the embedded file name as type, cacheable for an hour. */
static void send_static(h2o_req_t *req, const char *name, const char *type)
{
	size_t len;
	const char *css = page_file(name, &len);

	if (!css) {
		page_error(req, 404, "Not found", "There is no such page.");
		return;
	}
	req->res.status = 200;
	req->res.reason = response_reason(200);
	response_add_header(req, "content-type", type);
	response_add_header(req, "cache-control", "public, max-age=3600");
	response_add_header(req, "x-content-type-options", "nosniff");
	req->res.content_length = len;
	h2o_send_inline(req, css, len);
}

/* see page.h */
void page_style(h2o_req_t *req)
{
	send_static(req, "style.css", "text/css; charset=utf-8");
}

/* see page.h */
void page_script(h2o_req_t *req)
{
	send_static(req, "passkey.js", "text/javascript; charset=utf-8");
}
