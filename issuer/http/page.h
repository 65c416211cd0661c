/*
 * page.h: the issuer's HTML pages (login, consent, error, sign-out) and their one
 * style sheet. The files in www/ (*.html, *.css) are compiled into the binary by
 * the Makefile ($(BUILD)/gen/www_pages.inc), so `serve` works from any folder.
 *
 * Templates hold `{{name}}` placeholders and nothing else: no conditions, no
 * loops, no raw insertion. Every value is HTML-escaped (& < > " ') on the way in,
 * so a template cannot be made to carry markup or script from a request. A
 * placeholder without a value renders as nothing.
 *
 * Every HTML answer goes out with the same security headers: no-store caching, a
 * Content-Security-Policy without any script (styles only from /static/), no
 * framing, no referrer, no MIME sniffing. Pages never show secrets: a flow id or
 * CSRF token appears only in the hidden fields of the browser's own form.
 */
#ifndef ISSUER_PAGE_H
#define ISSUER_PAGE_H

#include <stddef.h>

#include <h2o.h>

/* Longest template or rendered page (a sanity bound: ours are a few KB). */
#ifndef PAGE_MAX
#define PAGE_MAX (256 * 1024)
#endif
/* Longest placeholder name. */
#define PAGE_NAME_MAX 32

/* One placeholder's value; value NULL renders as nothing. A name ending in "_html"
 * carries markup page_fragment made (rows of our own templates, their values
 * escaped already), inserted as it is: never give such a name anything else. */
struct page_var {
	const char *name;
	const char *value;
};

/* The embedded file www/<name> ("login.html", "style.css"), its length in *len; NULL if none. */
const char *page_file(const char *name, size_t *len);

/*
 * HTML-escape s into out[cap] (NUL-terminated): & < > " ' become entities. Returns
 * the length the escaped text needs (without the NUL), which may exceed cap - 1:
 * then out holds nothing usable, as with snprintf.
 */
size_t page_escape(const char *s, char *out, size_t cap);

/*
 * Render tpl[0..len) with vars[0..n): each {{name}} (name: 1..PAGE_NAME_MAX of
 * A-Z a-z 0-9 _) becomes its escaped value, or nothing when no var has that name;
 * any other text, a lone "{{" included, is copied as is. A new malloc'd
 * NUL-terminated string of *out_len bytes, or NULL when out of memory or longer
 * than PAGE_MAX.
 */
char *page_render(const char *tpl, size_t len, const struct page_var *vars, size_t n, size_t *out_len);

/*
 * The template www/<name> rendered with vars, appended to before (a fragment made
 * by this function, or NULL), as a new string in req's pool: the rows of a list,
 * for a page_var whose name ends in "_html". NULL when out of memory or the template is missing.
 */
const char *page_fragment(h2o_req_t *req, const char *before, const char *name, const struct page_var *vars,
                          size_t n);

/* The issuer URL's path ("" or "/auth"): pages get it as {{base}}, in front of every
 * link and form action. Set once at start-up, before the first request; copied. */
void page_set_base(const char *base);

/*
 * Answer req with the template www/<name> rendered with vars (and {{base}}), status, and the
 * HTML security headers. form_origin: an extra origin for CSP form-action (the
 * client a form's answer redirects to: browsers check redirects after a form
 * post against it), or NULL. A missing template or no memory answers 503.
 */
void page_send(h2o_req_t *req, int status, const char *name, const struct page_var *vars, size_t n,
               const char *form_origin);

/* page_send, with img_origin (NULL for none) allowed as a CSP img-src: the origin of
 * a client's logo shown on the page. */
void page_send_img(h2o_req_t *req, int status, const char *name, const struct page_var *vars, size_t n,
                   const char *form_origin, const char *img_origin);

/* What a page's Content-Security-Policy allows beyond the defaults (page_send). */
struct page_csp {
	const char *form_origin; /* page_send's form_origin, or NULL */
	const char *img_origin;  /* page_send_img's img_origin, or NULL ("data:" for an inline QR code) */
	int script;              /* 1: the issuer's own scripts (/static/passkey.js), nothing inline */
};

/* page_send with the policy o. */
void page_send_csp(h2o_req_t *req, int status, const char *name, const struct page_var *vars, size_t n,
                   const struct page_csp *o);

/* Answer req with error.html: status, a title and one message for a person. */
void page_error(h2o_req_t *req, int status, const char *title, const char *message);

/* The 503 error page of a sign-in step that may work a moment later (the store or
 * the password workers were busy): "Try again". */
void page_unavailable(h2o_req_t *req);

/*
 * The origin of uri ("https://app.example:8443" from "https://app.example:8443/cb")
 * into out[cap] when it is plain enough to go in a CSP header (scheme, host and
 * port of safe characters); else out is "". A private-use scheme
 * ("com.example.app:/cb") gives the scheme source "com.example.app:"; schemes
 * that carry content (javascript:, data:, blob:, ...) give "".
 */
void page_origin(const char *uri, char *out, size_t cap);

/* GET /static/style.css: the embedded style sheet, cacheable for an hour. */
void page_style(h2o_req_t *req);

/* GET /static/passkey.js: the embedded script of the passkey buttons, likewise. */
void page_script(h2o_req_t *req);

#endif
