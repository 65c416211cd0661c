/*
 * cookie.c: the two cookies of the browser sign-in (see cookie.h). Never logs a
 * cookie; the store only ever sees a cookie value's hash.
 */
#include <stdio.h>
#include <string.h>

#include "sso/cookie.h"

static int secure(app_thread *t)
{
	return strncmp(t->app->cfg->issuer, "https://", 8) == 0;
}

/* name with the prefix of cookie.h into out (room for COOKIE_NAME_MAX bytes). */
#define COOKIE_NAME_MAX 40
static const char *full_name(app_thread *t, const char *name, char out[COOKIE_NAME_MAX])
{
	const char *p = t->app->cfg->issuer_path;
	const char *prefix = !secure(t) ? "" : p && *p && strcmp(p, "/") != 0 ? "__Secure-" : "__Host-";

	snprintf(out, COOKIE_NAME_MAX, "%s%s", prefix, name);
	return out;
}

/* see cookie.h */
int cookie_get(h2o_req_t *req, app_thread *t, const char *name, char out[SECRET_TEXT_LEN + 1])
{
	char v[SECRET_TEXT_LEN + 2], full[COOKIE_NAME_MAX];

	full_name(t, name, full);
	for (ssize_t i = -1; (i = h2o_find_header(&req->headers, H2O_TOKEN_COOKIE, i)) != -1;) {
		h2o_iovec_t h = req->headers.entries[i].value;
		if (http_cookie_get(h.base, h.len, full, v, sizeof v) == HTTP_OK &&
		    strlen(v) == SECRET_TEXT_LEN) {
			memcpy(out, v, SECRET_TEXT_LEN + 1);
			return 0;
		}
	}
	return -1;
}

/* see cookie.h */
int cookie_get_text(h2o_req_t *req, app_thread *t, const char *name, char *out, size_t cap)
{
	char full[COOKIE_NAME_MAX];

	full_name(t, name, full);
	for (ssize_t i = -1; (i = h2o_find_header(&req->headers, H2O_TOKEN_COOKIE, i)) != -1;) {
		h2o_iovec_t h = req->headers.entries[i].value;
		if (http_cookie_get(h.base, h.len, full, out, cap) == HTTP_OK)
			return 0;
	}
	return -1;
}

/* The cookies' Path: the issuer URL's path, or "/". */
static const char *cookie_path(app_thread *t)
{
	const char *p = t->app->cfg->issuer_path;

	return p && *p ? p : "/";
}

/* Set-Cookie name=value with our attributes; max_age < 0: a browser-session cookie. */
void cookie_set(h2o_req_t *req, app_thread *t, const char *name, const char *value, int64_t max_age)
{
	char *c = h2o_mem_alloc_pool(&req->pool, 512);
	char age[40] = "", full[COOKIE_NAME_MAX];

	if (max_age >= 0)
		snprintf(age, sizeof age, "; Max-Age=%lld", (long long)max_age);
	snprintf(c, 512, "%s=%s; Path=%s; HttpOnly; SameSite=Lax%s%s", full_name(t, name, full), value,
	         cookie_path(t), age, secure(t) ? "; Secure" : "");
	response_add_header(req, "set-cookie", c);
}

/* see cookie.h */
int cookie_browser(h2o_req_t *req, app_thread *t, uint8_t hash[SECRET_HASH_LEN])
{
	char v[SECRET_TEXT_LEN + 1];

	if (cookie_get(req, t, BROWSER_COOKIE, v))
		return -1;
	secret_hash(v, SECRET_TEXT_LEN, hash);
	return 0;
}

/* see cookie.h */
int cookie_browser_ensure(h2o_req_t *req, app_thread *t, uint8_t hash[SECRET_HASH_LEN])
{
	char v[SECRET_TEXT_LEN + 1];

	if (cookie_browser(req, t, hash) == 0)
		return 0;
	if (secret_generate(&t->rng, v))
		return -1;
	secret_hash(v, SECRET_TEXT_LEN, hash);
	cookie_set(req, t, BROWSER_COOKIE, v, -1);
	return 0;
}

/* see cookie.h */
void cookie_form_token(const char *label, const uint8_t browser[SECRET_HASH_LEN],
                       char out[SECRET_TEXT_LEN + 1])
{
	char in[32 + SECRET_HASH_LEN];
	size_t n = (size_t)snprintf(in, 32, "%s:", label);
	uint8_t h[SECRET_HASH_LEN];

	memcpy(in + n, browser, SECRET_HASH_LEN);
	secret_hash(in, n + SECRET_HASH_LEN, h);
	jose_b64url_encode(out, SECRET_TEXT_LEN + 1, h, sizeof h);
}

/* see cookie.h */
int cookie_form_check(h2o_req_t *req, app_thread *t, const char *label, const char *csrf)
{
	uint8_t browser[SECRET_HASH_LEN];
	char want[SECRET_TEXT_LEN + 1];

	if (!csrf || strlen(csrf) != SECRET_TEXT_LEN || cookie_browser(req, t, browser))
		return 0;
	cookie_form_token(label, browser, want);
	return jose_ct_equal(want, csrf, SECRET_TEXT_LEN);
}
