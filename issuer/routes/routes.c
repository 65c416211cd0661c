/*
 * routes.c: the route table, the response helpers and the operational handlers
 * (/ping, /health) (see routes.h). /health says what the server is doing, never
 * what it knows: no key material, no secret, no client data, and no counts of
 * outcomes (sign-ins, lockouts, limits): those are for /metrics, which the public
 * address never serves (server.h: METRICS_LISTEN).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/page.h"
#include "http/response.h"
#include "http/static.h"
#include "oauth/endpoints.h"
#include "routes/docs.h"
#include "routes/routes.h"
#include "sso/endpoints.h"

typedef struct route {
	const char *path;
	const char *method;
	route_fn fn;
	int store; /* the handler calls the store: it runs in a coroutine (server.c) */
} route;

static void ping(h2o_req_t *req, app_thread *t)
{
	(void)t;
	response_send_typed(req, 200, "text/plain; charset=utf-8", "OK", 2);
}

static void health(h2o_req_t *req, app_thread *t)
{
	size_t published;
	int legacy;
	cJSON *doc = cJSON_CreateObject();
	char algs[128];

	keyring_stats(t->app->keys, &published, &legacy);
	keyring_algs(t->app->keys, algs, sizeof algs);
	cJSON_AddStringToObject(doc, "status", published ? "ok" : "degraded");
	cJSON_AddStringToObject(doc, "service", "identity-backend");
	cJSON_AddStringToObject(doc, "issuer", t->app->cfg->issuer);
	cJSON_AddNumberToObject(doc, "uptime_seconds", (double)(app_now() - t->app->started));
	cJSON_AddNumberToObject(doc, "threads", t->app->cfg->threads);
	cJSON_AddNumberToObject(doc, "published_keys", (double)published);
	cJSON_AddStringToObject(doc, "token_alg", t->app->cfg->alg);
	cJSON_AddStringToObject(doc, "signing_algs", algs);
	cJSON_AddBoolToObject(doc, "legacy_hs256", legacy);
	if (legacy)
		cJSON_AddStringToObject(
		    doc, "warning",
		    "legacy HS256 is enabled (JWT_SECRET_KEY): anyone holding the shared secret "
		    "can mint tokens; migrate verifiers to the JWKS and unset it");
	response_send_cjson(req, 200, doc);
}

/* Liveness: the process runs its loops and answers (nothing else is asked). */
static void health_live(h2o_req_t *req, app_thread *t)
{
	static const char body[] = "{\"status\":\"ok\"}";

	(void)t;
	response_send_json(req, 200, body, sizeof body - 1);
}

/*
 * Readiness: this thread's store connection answers a read, and a key signs the
 * configured access-token algorithm and the ID tokens' default (RS256) now. 200
 * {"status":"ready",...} or 503 {"status":"not_ready",...}, each check named.
 */
static void health_ready(h2o_req_t *req, app_thread *t)
{
	int64_t now = app_now();
	int store_ok = store_ping(t->db) == STORE_OK;
	int keys_ok = keyring_can_sign(t->app->keys, t->app->cfg->alg, now) &&
	              keyring_can_sign(t->app->keys, "RS256", now);
	cJSON *doc = cJSON_CreateObject(), *checks = cJSON_AddObjectToObject(doc, "checks");

	cJSON_AddStringToObject(doc, "status", store_ok && keys_ok ? "ready" : "not_ready");
	cJSON_AddStringToObject(checks, "store", store_ok ? "ok" : "failing");
	cJSON_AddStringToObject(checks, "keys", keys_ok ? "ok" : "no signing key");
	response_send_cjson(req, store_ok && keys_ok ? 200 : 503, doc);
}

static void style(h2o_req_t *req, app_thread *t)
{
	(void)t;
	page_style(req);
}

static void script(h2o_req_t *req, app_thread *t)
{
	(void)t;
	page_script(req);
}

/* /static/brand.css, /static/logo.svg, /static/logo.png: BRAND_DIR's files (brand.h). */
static void brand_css(h2o_req_t *req, app_thread *t)
{
	(void)t;
	page_brand_file(req, "brand.css");
}

static void logo_svg(h2o_req_t *req, app_thread *t)
{
	(void)t;
	page_brand_file(req, "logo.svg");
}

static void logo_png(h2o_req_t *req, app_thread *t)
{
	(void)t;
	page_brand_file(req, "logo.png");
}

static const route table[] = {
    {"/ping", "GET", ping, 0},
    {"/health", "GET", health, 0},
    {"/health/live", "GET", health_live, 0},
    {"/health/ready", "GET", health_ready, 1},
    {"/.well-known/openid-configuration", "GET", wellknown_discovery, 0},
    {"/.well-known/jwks.json", "GET", wellknown_jwks, 0},
    {"/token", "POST, OPTIONS", token_endpoint, 1},
    {"/userinfo", "GET, POST, OPTIONS", userinfo_endpoint, 1},
    {"/verify", "POST", verify_endpoint, 1},
    {"/introspect", "POST", introspect_endpoint, 1},
    {"/revoke", "POST", revoke_endpoint, 1},
    {"/authorize", "GET, POST", authorize_endpoint, 1},
    {"/login", "GET, POST", login_endpoint, 1},
    {"/login/mfa", "POST", second_endpoint, 1},
    {"/login/passkey", "POST", passkey_login_endpoint, 1},
    {"/login/passkey/challenge", "POST", passkey_challenge_endpoint, 1},
    {"/consent", "POST", consent_endpoint, 1},
    {"/logout", "GET, POST", logout_endpoint, 1},
    {"/forgot", "GET, POST", forgot_endpoint, 1},
    {"/reset", "GET, POST", reset_endpoint, 1},
    {"/verify-email", "GET, POST", verify_email_endpoint, 1},
    {"/register", "GET, POST", register_endpoint, 1},
    {"/auth/register", "POST", register_json_endpoint, 1},
    {"/auth/login", "POST", account_login_endpoint, 1},
    {"/users/me", "GET", account_me_endpoint, 1},
    {"/account", "GET, POST", account_endpoint, 1},
    {"/account/login", "POST", account_login_page_endpoint, 1},
    {"/account/mfa", "POST", account_mfa_endpoint, 1},
    {"/account/passkey", "POST", account_passkey_endpoint, 1},
    {"/static/style.css", "GET", style, 0},
    {"/static/passkey.js", "GET", script, 0},
    {"/static/brand.css", "GET", brand_css, 0},
    {"/static/logo.svg", "GET", logo_svg, 0},
    {"/static/logo.png", "GET", logo_png, 0},
    {"/openapi.json", "GET", docs_openapi, 0},
    {"/docs", "GET", docs_redirect, 0},
    {"/docs/", "GET", docs_file, 0},
    {"/docs/docs.js", "GET", docs_file, 0},
    {"/docs/swagger-ui-bundle.js", "GET", docs_file, 0},
    {"/docs/swagger-ui.css", "GET", docs_file, 0},
};

#define N_ROUTES (sizeof table / sizeof table[0])

/* see routes.h */
const char *const *routes_names(size_t *n)
{
	static const char *names[N_ROUTES + 1];

	for (size_t i = 0; i < N_ROUTES; i++)
		names[i] = table[i].path;
	names[N_ROUTES] = "other";
	*n = N_ROUTES + 1;
	return names;
}

static int is(h2o_iovec_t v, const char *s)
{
	size_t n = strlen(s);

	return v.len == n && memcmp(v.base, s, n) == 0;
}

/* 1 when method is in list ("GET" or "GET, POST": the Allow header's form); HEAD goes with GET. */
static int allows(const char *list, h2o_iovec_t method)
{
	for (const char *p = list; *p;) {
		size_t n = strcspn(p, ",");
		if ((method.len == n && memcmp(method.base, p, n) == 0) ||
		    (n == 3 && memcmp(p, "GET", 3) == 0 && is(method, "HEAD")))
			return 1;
		p += n;
		p += strspn(p, ", ");
	}
	return 0;
}

/* see routes.h */
size_t routes_find(h2o_req_t *req, const char *base)
{
	size_t bl = base ? strlen(base) : 0;

	/* Under an issuer URL with a path, requests come with it (a proxy that keeps it)
	 * or without it (one that strips it): both reach the same endpoint. */
	if (bl && req->path_normalized.len > bl && memcmp(req->path_normalized.base, base, bl) == 0 &&
	    req->path_normalized.base[bl] == '/') {
		req->path_normalized.base += bl;
		req->path_normalized.len -= bl;
	}
	for (size_t i = 0; i < N_ROUTES; i++)
		if (is(req->path_normalized, table[i].path))
			return i;
	return N_ROUTES;
}

/* see routes.h */
int routes_uses_store(size_t i)
{
	return i < N_ROUTES && table[i].store;
}

/* see routes.h */
void routes_run(size_t i, h2o_req_t *req, app_thread *t)
{
	if (i >= N_ROUTES) {
		if (!static_serve(req)) /* /demo/: the demo app's files (static.c) */
			response_send_error(req, 404, "not_found", "no such endpoint");
	} else if (allows(table[i].method, req->method)) {
		table[i].fn(req, t);
	} else {
		response_add_header(req, "allow", table[i].method);
		response_send_error(req, 405, "method_not_allowed",
		                    "this endpoint does not take that method");
	}
}
