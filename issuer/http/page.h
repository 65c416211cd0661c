/*
 * page.h: the issuer's HTML pages (login, consent, error, sign-out, the account
 * pages) and their style sheets. The files in www/ (*.html, *.css) are compiled
 * into the binary by the Makefile ($(BUILD)/gen/www_pages.inc), so `serve` works
 * from any folder.
 *
 * Templates hold placeholders and nothing else: no conditions, no loops, no raw
 * insertion. `{{name}}` is a value the handler gives; `{{t:key}}` is the message
 * key of the catalogs (i18n.h) in the page's language, its own {{name}}s filled
 * from the same values. Every value is HTML-escaped (& < > " ') on the way in, and
 * so is a message's text, so a template cannot be made to carry markup or script
 * from a request. A placeholder without a value renders as nothing. A boolean
 * attribute a handler switches is a value too: `<input … {{password_focus}}>` with
 * "autofocus" or "" (a constant of the handler's, never a request's text).
 *
 * Every page gets these values besides the handler's: {{base}} (the issuer URL's
 * path), {{lang}} (the page's language tag, for <html lang>), {{brand_logo}} and
 * {{brand_class}} (BRAND_DIR's logo: its URL and "brand", or "" and "brand none").
 *
 * Messages from C code. A handler hands a person's message to a page as text:
 * page_error's title and message and the value `message` (the alert of the
 * forms). When that text is exactly a catalog message's English text (how the
 * handlers' strings read: "The username or password is incorrect."), the page
 * shows that message in its language; any other text is shown as it is. A
 * message with arguments is made with page_msg ("to continue to {{client}}"),
 * one fixed English string without a catalog key with page_tr.
 *
 * The page's language (page_lang): the language cookie /authorize sets from
 * OIDC's ui_locales (page_ui_locales), else the request's Accept-Language, else
 * English; the answer says it in Content-Language. Mails take it from the request
 * that causes them (mail_vars.lang).
 *
 * Every HTML answer goes out with the same security headers: no-store caching, a
 * Content-Security-Policy without any script or inline style (styles only from
 * /static/), no framing, no referrer, no MIME sniffing. Pages never show secrets:
 * a flow id or CSRF token appears only in the hidden fields of the browser's own
 * form.
 */
#ifndef ISSUER_PAGE_H
#define ISSUER_PAGE_H

#include <stddef.h>

#include <h2o.h>

#include "http/brand.h"
#include "http/i18n.h"

/* Longest template or rendered page (a sanity bound: ours are a few KB). */
#ifndef PAGE_MAX
#define PAGE_MAX (256 * 1024)
#endif
/* Longest placeholder name (a message key's is I18N_KEY_MAX). */
#define PAGE_NAME_MAX 32
/* How long the language cookie (page_ui_locales) lives, seconds: a sign-in and the
 * account pages it leads to. */
#ifndef PAGE_LANG_SECONDS
#define PAGE_LANG_SECONDS 86400
#endif
/* The language cookie's name (under the prefix of sso/cookie.h on https). */
#define PAGE_LANG_COOKIE "idb_lang"

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
 * Render tpl[0..len) with vars[0..n) in English: each {{name}} (name: 1..PAGE_NAME_MAX
 * of A-Z a-z 0-9 _) becomes its escaped value, or nothing when no var has that name;
 * each {{t:key}} its message (escaped, its {{name}}s from vars); any other text, a
 * lone "{{" included, is copied as is. A new malloc'd NUL-terminated string of
 * *out_len bytes, or NULL when out of memory or longer than PAGE_MAX.
 */
char *page_render(const char *tpl, size_t len, const struct page_var *vars, size_t n, size_t *out_len);

/*
 * The template www/<name> rendered with vars, appended to before (a fragment made
 * by this function, or NULL), as a new string in req's pool: the rows of a list,
 * for a page_var whose name ends in "_html". NULL when out of memory or the template is missing.
 */
const char *page_fragment(h2o_req_t *req, const char *before, const char *name, const struct page_var *vars,
                          size_t n);

/* page_render in language lang (i18n.h), with the values `title` and `message`
 * shown in lang when they are a catalog message's English text. */
char *page_render_lang(int lang, const char *tpl, size_t len, const struct page_var *vars, size_t n,
                       size_t *out_len);

/* The issuer URL's path ("" or "/auth"): pages get it as {{base}}, in front of every
 * link and form action. Set once at start-up, before the first request; copied. */
void page_set_base(const char *base);

/* The issuer URL is https (the language cookie is Secure, with a name prefix as
 * sso/cookie.h says), and the brand folder's files (NULL: none). Set once at
 * start-up, after page_set_base and before the first request; b is kept. */
void page_set_site(int https, const struct brand *b);

/* The language of req's page (see above): an index of i18n.h. */
int page_lang(h2o_req_t *req);

/* /authorize's OIDC ui_locales (NULL when absent): its first supported language is
 * kept in the language cookie for the sign-in (and this answer's page uses it); with
 * none supported, a cookie from an earlier sign-in is cleared. */
void page_ui_locales(h2o_req_t *req, const char *ui_locales);

/* Most arguments page_msg takes (more are ignored). */
#define PAGE_MSG_ARGS 8

/* Message key (i18n.h) with args[0..n) (n at most PAGE_MSG_ARGS) in req's language as
 * plain text (emphasis dropped), in req's pool: for a value of a page. The key itself
 * if no catalog has it. */
const char *page_msg(h2o_req_t *req, const char *key, const struct page_var *args, size_t n);

/* english in req's language when it is a catalog message's English text, else
 * english itself (a value's text that is no message). */
const char *page_tr(h2o_req_t *req, const char *english);

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

/* Answer req with error.html: status, a title and one message for a person (each
 * shown in the page's language when it is a catalog message's English text). */
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

/* GET /static/brand.css, /static/logo.svg, /static/logo.png: BRAND_DIR's files
 * (brand.h; an empty style sheet when it has none, 404 for a logo it lacks). */
void page_brand_file(h2o_req_t *req, const char *name);

#endif
