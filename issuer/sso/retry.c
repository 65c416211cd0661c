/*
 * retry.c: the login page again after a failed sign-in, by POST/Redirect/GET (see
 * retry.h). It never shows text from the URL (only a code's fixed message) and
 * never renders a flow the cookie names without flow_check's checks.
 */
#include <stdio.h>
#include <string.h>

#include "http/page.h"
#include "jose.h"
#include "sso/cookie.h"
#include "sso/endpoints.h"
#include "sso/flow.h"
#include "sso/retry.h"

#define RETRY_COOKIE "idb_login"
/* The cookie's value: flow id "." CSRF token "." base64url(username). */
#define RETRY_VALUE_MAX (2 * SECRET_TEXT_LEN + 2 + JOSE_B64URL_ENCODED_LEN(STORE_USERNAME_MAX) + 1)

static const struct {
	const char *code, *message;
	int status;
} failures[] = {
    {"wrong", LOGIN_WRONG, 200},
    {"disabled", LOGIN_DISABLED, 403},
    {"unverified", LOGIN_UNVERIFIED, 403},
    {"missing", LOGIN_MISSING, 200},
};

/* see retry.h */
void login_retry(h2o_req_t *req, app_thread *t, const struct store_flow *f, const char *id, const char *csrf,
                 const char *username, const char *code)
{
	char value[RETRY_VALUE_MAX], user[JOSE_B64URL_ENCODED_LEN(STORE_USERNAME_MAX) + 1] = "";
	size_t cap = strlen(t->app->cfg->issuer) + 32;
	char *loc = h2o_mem_alloc_pool(&req->pool, cap);
	int64_t age = f->expires_at - app_now();
	size_t n = username ? strlen(username) : 0;

	if (n && n <= STORE_USERNAME_MAX)
		jose_b64url_encode(user, sizeof user, (const uint8_t *)username, n);
	snprintf(value, sizeof value, "%s.%s.%s", id, csrf, user);
	cookie_set(req, t, RETRY_COOKIE, value, age > 0 ? age : 1);
	snprintf(loc, cap, "%s/login?error=%s", t->app->cfg->issuer, code);
	req->res.status = 303;
	req->res.reason = "See Other";
	response_add_header(req, "location", loc);
	response_add_header(req, "cache-control", "no-store");
	req->res.content_length = 0;
	h2o_send_inline(req, "", 0);
	explicit_bzero(value, sizeof value);
}

/* Split the cookie's value v into the flow id, the token and the username (decoded
 * into user[STORE_USERNAME_MAX + 1]); 0 or -1. */
static int parse(char *v, char **id, char **csrf, char *user)
{
	char *dot1 = strchr(v, '.'), *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
	size_t n = 0;

	if (!dot2 || dot1 - v != SECRET_TEXT_LEN || dot2 - dot1 - 1 != SECRET_TEXT_LEN)
		return -1;
	*dot1 = *dot2 = '\0';
	*id = v, *csrf = dot1 + 1;
	if (jose_b64url_decode((uint8_t *)user, STORE_USERNAME_MAX, &n, dot2 + 1, strlen(dot2 + 1)))
		return -1;
	user[n] = '\0';
	return strlen(user) == n ? 0 : -1;
}

/* The flow the cookie names, checked, into *f (with id and csrf); 0, or -1 after answering. */
static int cookie_flow(h2o_req_t *req, app_thread *t, char *v, char **id, char **csrf, char *user,
                       struct store_flow *f)
{
	uint8_t hash[SECRET_HASH_LEN];
	http_form form = {.n = 2};

	if (cookie_get_text(req, t, RETRY_COOKIE, v, RETRY_VALUE_MAX) || parse(v, id, csrf, user)) {
		page_error(req, 400, "Start from your application",
		           "To sign in, start from the application you want to use: it will bring you here.");
		return -1;
	}
	form.f[0] = (http_field){"flow", 4, *id, SECRET_TEXT_LEN};
	form.f[1] = (http_field){"csrf", 4, *csrf, SECRET_TEXT_LEN};
	return flow_check(req, t, &form, app_now(), f, hash);
}

/* see retry.h */
void login_retry_page(h2o_req_t *req, app_thread *t)
{
	char *v = h2o_mem_alloc_pool(&req->pool, RETRY_VALUE_MAX), *id, *csrf;
	char *user = h2o_mem_alloc_pool(&req->pool, STORE_USERNAME_MAX + 1);
	struct store_flow *f = h2o_mem_alloc_pool(&req->pool, sizeof *f);
	const char *code = NULL, *message = NULL;
	int status = 200;
	http_form q;

	if (cookie_flow(req, t, v, &id, &csrf, user, f))
		return;
	if (flow_params(req, &q, NULL) == HTTP_OK)
		code = http_form_get(&q, "error");
	for (size_t i = 0; code && i < sizeof failures / sizeof failures[0]; i++)
		if (strcmp(code, failures[i].code) == 0)
			message = failures[i].message, status = failures[i].status;
	login_page(req, t, status, f, id, csrf, user[0] ? user : NULL, message);
}
