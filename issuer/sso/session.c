/*
 * session.c: cookies, SSO sessions, flow checks, codes and the redirect back to
 * a client (see session.h). It must never redirect anywhere but to a URI the
 * caller took from a registered client (or a flow made from one), never compare
 * a secret but by hash in constant time, and never write a secret to a log, a
 * page or an error message.
 */
#include <stdio.h>
#include <string.h>

#include "jose.h"
#include "oauth/oauth.h"
#include "http/page.h"
#include "sso/session.h"

/* see session.h */
http_err session_params(h2o_req_t *req, http_form *form, h2o_iovec_t *raw)
{
	h2o_iovec_t in = h2o_iovec_init("", 0), ct;
	char *buf;

	if (h2o_memis(req->method.base, req->method.len, H2O_STRLIT("POST"))) {
		ct = response_request_header(req, H2O_TOKEN_CONTENT_TYPE);
		if (!ct.base || !http_media_type_is(ct.base, ct.len, "application/x-www-form-urlencoded"))
			return HTTP_E_SYNTAX;
		if (req->entity.base)
			in = req->entity;
	} else if (req->query_at != SIZE_MAX) {
		in = h2o_iovec_init(req->path.base + req->query_at + 1, req->path.len - req->query_at - 1);
	}
	if (raw)
		*raw = in;
	buf = h2o_mem_alloc_pool(&req->pool, HTTP_FORM_BUF_SIZE(in.len));
	return http_form_parse(in.base, in.len, form, buf, HTTP_FORM_BUF_SIZE(in.len));
}

/* The value of cookie name (one of ours: exactly SECRET_TEXT_LEN characters) into out; 0 or -1. */
static int our_cookie(h2o_req_t *req, const char *name, char out[SECRET_TEXT_LEN + 1])
{
	char v[SECRET_TEXT_LEN + 2];

	for (ssize_t i = -1; (i = h2o_find_header(&req->headers, H2O_TOKEN_COOKIE, i)) != -1;) {
		h2o_iovec_t h = req->headers.entries[i].value;
		if (http_cookie_get(h.base, h.len, name, v, sizeof v) == HTTP_OK &&
		    strlen(v) == SECRET_TEXT_LEN) {
			memcpy(out, v, SECRET_TEXT_LEN + 1);
			return 0;
		}
	}
	return -1;
}

static int secure(app_thread *t)
{
	return strncmp(t->app->cfg->issuer, "https://", 8) == 0;
}

/* Set-Cookie name=value with our attributes; max_age < 0: a browser-session cookie. */
static void set_cookie(h2o_req_t *req, app_thread *t, const char *name, const char *value, int64_t max_age)
{
	char *c = h2o_mem_alloc_pool(&req->pool, 256);
	char age[40] = "";

	if (max_age >= 0)
		snprintf(age, sizeof age, "; Max-Age=%lld", (long long)max_age);
	snprintf(c, 256, "%s=%s; Path=/; HttpOnly; SameSite=Lax%s%s", name, value, age,
	         secure(t) ? "; Secure" : "");
	response_add_header(req, "set-cookie", c);
}

/* see session.h */
int session_browser(h2o_req_t *req, uint8_t hash[SECRET_HASH_LEN])
{
	char v[SECRET_TEXT_LEN + 1];

	if (our_cookie(req, BROWSER_COOKIE, v))
		return -1;
	secret_hash(v, SECRET_TEXT_LEN, hash);
	return 0;
}

/* see session.h */
int session_browser_ensure(h2o_req_t *req, app_thread *t, uint8_t hash[SECRET_HASH_LEN])
{
	char v[SECRET_TEXT_LEN + 1];

	if (session_browser(req, hash) == 0)
		return 0;
	if (secret_generate(&t->rng, v))
		return -1;
	secret_hash(v, SECRET_TEXT_LEN, hash);
	set_cookie(req, t, BROWSER_COOKIE, v, -1);
	return 0;
}

/* see session.h */
store_err session_current(h2o_req_t *req, app_thread *t, int64_t now, struct store_session *out)
{
	char v[SECRET_TEXT_LEN + 1];
	uint8_t h[SECRET_HASH_LEN];

	if (our_cookie(req, SESSION_COOKIE, v))
		return STORE_NOT_FOUND;
	secret_hash(v, SECRET_TEXT_LEN, h);
	return store_session_get(t->db, h, sizeof h, now, out);
}

/* Delete the session named by the browser's cookie, if any. */
static void drop_current(h2o_req_t *req, app_thread *t)
{
	char v[SECRET_TEXT_LEN + 1];
	uint8_t h[SECRET_HASH_LEN];

	if (our_cookie(req, SESSION_COOKIE, v))
		return;
	secret_hash(v, SECRET_TEXT_LEN, h);
	store_session_delete(t->db, h, sizeof h); /* none (NOT_FOUND) is fine */
}

/* see session.h */
int session_start(h2o_req_t *req, app_thread *t, const char *user_id, int64_t now)
{
	struct store_session s = {
	    .id_hash_len = SECRET_HASH_LEN, .auth_time = now, .expires_at = now + t->app->cfg->session_ttl};
	char v[SECRET_TEXT_LEN + 1];
	int rc = -1;

	drop_current(req, t);
	snprintf(s.user_id, sizeof s.user_id, "%s", user_id);
	if (secret_generate(&t->rng, v))
		return -1;
	secret_hash(v, SECRET_TEXT_LEN, s.id_hash);
	if (store_session_put(t->db, &s) == STORE_OK) {
		set_cookie(req, t, SESSION_COOKIE, v, t->app->cfg->session_ttl);
		rc = 0;
	}
	memset(v, 0, sizeof v);
	return rc;
}

/* see session.h */
void session_end(h2o_req_t *req, app_thread *t)
{
	drop_current(req, t);
	set_cookie(req, t, SESSION_COOKIE, "", 0);
}

static int unreserved(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
	       c == '.' || c == '_' || c == '~';
}

/* Append name=pct(value) with separator sep at out + n; returns the new length. */
static size_t put_param(char *out, size_t n, char sep, const char *name, const char *value)
{
	static const char hex[] = "0123456789ABCDEF";

	out[n++] = sep;
	n += (size_t)sprintf(out + n, "%s=", name);
	for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
		if (unreserved(*p)) {
			out[n++] = (char)*p;
			continue;
		}
		out[n++] = '%';
		out[n++] = hex[*p >> 4];
		out[n++] = hex[*p & 15];
	}
	return n;
}

/* see session.h */
void session_redirect(h2o_req_t *req, app_thread *t, const char *uri, const char *const *pairs, size_t n,
                      int with_iss)
{
	const char *iss = t->app->cfg->issuer;
	size_t cap = strlen(uri) + 1 + (with_iss ? 5 + 3 * strlen(iss) : 0), len = strlen(uri);
	char sep = strchr(uri, '?') ? '&' : '?', *loc;
	int post = h2o_memis(req->method.base, req->method.len, H2O_STRLIT("POST"));

	for (size_t i = 0; i < n; i++)
		if (pairs[2 * i + 1])
			cap += strlen(pairs[2 * i]) + 2 + 3 * strlen(pairs[2 * i + 1]);
	loc = h2o_mem_alloc_pool(&req->pool, cap + 1);
	memcpy(loc, uri, len);
	for (size_t i = 0; i < n; i++)
		if (pairs[2 * i + 1]) {
			len = put_param(loc, len, sep, pairs[2 * i], pairs[2 * i + 1]);
			sep = '&';
		}
	if (with_iss)
		len = put_param(loc, len, sep, "iss", iss);
	loc[len] = '\0';
	req->res.status = post ? 303 : 302;
	req->res.reason = post ? "See Other" : "Found";
	response_add_header(req, "location", loc);
	response_add_header(req, "cache-control", "no-store");
	response_add_header(req, "referrer-policy", "no-referrer");
	req->res.content_length = 0;
	h2o_send_inline(req, "", 0);
}

/* see session.h */
void session_redirect_error(h2o_req_t *req, app_thread *t, const char *uri, const char *state,
                            const char *error, const char *description)
{
	const char *p[] = {"error",     error,   "error_description",
	                   description, "state", state && *state ? state : NULL};

	session_redirect(req, t, uri, p, 3, 1);
}

/* see session.h */
void session_issue_code(h2o_req_t *req, app_thread *t, const struct store_flow *f, const char *user_id,
                        int64_t auth_time)
{
	struct store_code c = {.code_hash_len = SECRET_HASH_LEN, .auth_time = auth_time};
	char code[SECRET_TEXT_LEN + 1];
	const char *p[4] = {"code", code, "state", f->state[0] ? f->state : NULL};

	snprintf(c.client_id, sizeof c.client_id, "%s", f->client_id);
	snprintf(c.user_id, sizeof c.user_id, "%s", user_id);
	snprintf(c.redirect_uri, sizeof c.redirect_uri, "%s", f->redirect_uri);
	snprintf(c.scope, sizeof c.scope, "%s", f->scope);
	snprintf(c.nonce, sizeof c.nonce, "%s", f->nonce);
	snprintf(c.code_challenge, sizeof c.code_challenge, "%s", f->code_challenge);
	snprintf(c.code_challenge_method, sizeof c.code_challenge_method, "S256");
	c.expires_at = app_now() + t->app->cfg->code_ttl;
	if (secret_generate(&t->rng, code) == 0) {
		secret_hash(code, SECRET_TEXT_LEN, c.code_hash);
		if (store_code_put(t->db, &c) == STORE_OK) {
			session_redirect(req, t, f->redirect_uri, p, 2, 1);
			memset(code, 0, sizeof code);
			return;
		}
	}
	memset(code, 0, sizeof code);
	session_redirect_error(req, t, f->redirect_uri, f->state, "temporarily_unavailable",
	                       "the server cannot issue a code now; try again");
}

/* see session.h */
int session_needs_consent(app_thread *t, const struct store_client *c, const char *user_id, const char *scope,
                          int prompt)
{
	char granted[STORE_SCOPE_MAX + 1];
	store_err e;

	if (prompt & STORE_PROMPT_CONSENT)
		return 1;
	if (!c->needs_consent)
		return 0;
	if ((e = store_consent_get(t->db, user_id, c->id, granted)) == STORE_NOT_FOUND)
		return 1;
	if (e != STORE_OK)
		return -1;
	return !scope_allowed(scope, granted);
}

/* 1 when the request's Origin header is absent, "null" (a no-referrer page's own
 * form posts send that) or the issuer's origin; else 0. */
static int origin_ok(h2o_req_t *req, app_thread *t)
{
	ssize_t i = h2o_find_header_by_str(&req->headers, H2O_STRLIT("origin"), -1);
	h2o_iovec_t o = i < 0 ? h2o_iovec_init(NULL, 0) : req->headers.entries[i].value;
	char ours[512];

	if (!o.base || h2o_memis(o.base, o.len, H2O_STRLIT("null")))
		return 1;
	page_origin(t->app->cfg->issuer, ours, sizeof ours);
	return o.len == strlen(ours) && memcmp(o.base, ours, o.len) == 0;
}

/* 1 when hash[0..len) is the SHA-256 of text (SECRET_TEXT_LEN characters), in constant time. */
static int hash_is(const uint8_t *hash, size_t len, const char *text)
{
	uint8_t h[SECRET_HASH_LEN];

	if (!text || strlen(text) != SECRET_TEXT_LEN || len != SECRET_HASH_LEN)
		return 0;
	secret_hash(text, SECRET_TEXT_LEN, h);
	return jose_ct_equal(h, hash, SECRET_HASH_LEN);
}

/* see session.h */
int session_flow(h2o_req_t *req, app_thread *t, const http_form *form, int64_t now, struct store_flow *f,
                 uint8_t hash[SECRET_HASH_LEN])
{
	const char *id = http_form_get(form, "flow");
	uint8_t browser[SECRET_HASH_LEN];
	store_err e = STORE_NOT_FOUND;
	int ok;

	if (origin_ok(req, t) && id && strlen(id) == SECRET_TEXT_LEN) {
		secret_hash(id, SECRET_TEXT_LEN, hash);
		e = store_flow_get(t->db, hash, SECRET_HASH_LEN, now, f);
	}
	if (store_unavailable(e) || (e != STORE_OK && e != STORE_NOT_FOUND)) {
		page_unavailable(req);
		return -1;
	}
	ok = e == STORE_OK && session_browser(req, browser) == 0;
	ok = ok && f->browser_hash_len == SECRET_HASH_LEN &&
	     jose_ct_equal(f->browser_hash, browser, SECRET_HASH_LEN);
	ok = ok && hash_is(f->csrf_hash, f->csrf_hash_len, http_form_get(form, "csrf"));
	if (!ok) {
		page_error(req, 400, "Sign-in expired", SESSION_EXPIRED);
		return -1;
	}
	return 0;
}

/* see session.h */
int session_flow_ids(app_thread *t, struct store_flow *f, char id[SECRET_TEXT_LEN + 1],
                     char csrf[SECRET_TEXT_LEN + 1])
{
	if (secret_generate(&t->rng, id) || secret_generate(&t->rng, csrf))
		return -1;
	secret_hash(id, SECRET_TEXT_LEN, f->id_hash);
	f->id_hash_len = SECRET_HASH_LEN;
	secret_hash(csrf, SECRET_TEXT_LEN, f->csrf_hash);
	f->csrf_hash_len = SECRET_HASH_LEN;
	return 0;
}
