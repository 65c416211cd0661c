/*
 * routes.c: the route table, the response helpers and the operational handlers
 * (/ping, /health, /metrics) (see routes.h). /health and /metrics say what the
 * server is doing, never what it knows: no key material, no secret, no client
 * data.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/page.h"
#include "routes/routes.h"
#include "http/static.h"

typedef struct route {
	const char *path;
	const char *method;
	route_fn fn;
} route;

static const char *reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 413:
		return "Payload Too Large";
	case 415:
		return "Unsupported Media Type";
	case 429:
		return "Too Many Requests";
	case 500:
		return "Internal Server Error";
	case 503:
		return "Service Unavailable";
	default:
		return status < 500 ? "Client Error" : "Server Error";
	}
}

/* see routes.h */
void routes_add_header(h2o_req_t *req, const char *name, const char *value)
{
	h2o_add_header_by_str(&req->pool, &req->res.headers, name, strlen(name), 0, NULL, value,
	                      strlen(value));
}

static void send_typed(h2o_req_t *req, int status, const char *type, const char *body, size_t len)
{
	req->res.status = status;
	req->res.reason = reason(status);
	h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, type, strlen(type));
	if (h2o_find_header(&req->res.headers, H2O_TOKEN_CACHE_CONTROL, -1) == -1)
		h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL,
		               H2O_STRLIT("no-store"));
	routes_add_header(req, "x-content-type-options", "nosniff");
	req->res.content_length = len;
	h2o_send_inline(req, body, len);
}

/* see routes.h */
void routes_send_json(h2o_req_t *req, int status, const char *body, size_t len)
{
	send_typed(req, status, "application/json", body, len);
}

/* see routes.h */
void routes_send_cjson(h2o_req_t *req, int status, cJSON *doc)
{
	char *text = doc ? cJSON_PrintUnformatted(doc) : NULL;

	cJSON_Delete(doc);
	if (!text) {
		static const char oom[] = "{\"error\":\"temporarily_unavailable\"}";
		routes_send_json(req, 503, oom, sizeof oom - 1);
		return;
	}
	routes_send_json(req, status, text, strlen(text));
	free(text);
}

/* see routes.h */
void routes_send_error(h2o_req_t *req, int status, const char *code, const char *description)
{
	cJSON *doc = cJSON_CreateObject();

	cJSON_AddStringToObject(doc, "error", code);
	cJSON_AddStringToObject(doc, "error_description", description);
	routes_send_cjson(req, status, doc);
}

/* see routes.h */
h2o_iovec_t routes_header(h2o_req_t *req, const h2o_token_t *token)
{
	ssize_t i = h2o_find_header(&req->headers, token, -1);

	return i < 0 ? h2o_iovec_init(NULL, 0) : req->headers.entries[i].value;
}

static void ping(h2o_req_t *req, app_thread *t)
{
	(void)t;
	send_typed(req, 200, "text/plain; charset=utf-8", "OK", 2);
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
	routes_send_cjson(req, 200, doc);
}

static void metrics_page(h2o_req_t *req, app_thread *t)
{
	size_t len;
	char *text = metrics_render(t->app->metrics, &len);

	if (!text) {
		routes_send_error(req, 503, "temporarily_unavailable", "out of memory");
		return;
	}
	send_typed(req, 200, "text/plain; version=0.0.4; charset=utf-8", text, len);
	free(text);
}

static void style(h2o_req_t *req, app_thread *t)
{
	(void)t;
	page_style(req);
}

static const route table[] = {
    {"/ping", "GET", ping},
    {"/health", "GET", health},
    {"/metrics", "GET", metrics_page},
    {"/.well-known/openid-configuration", "GET", wellknown_discovery},
    {"/.well-known/jwks.json", "GET", wellknown_jwks},
    {"/token", "POST, OPTIONS", token_endpoint},
    {"/userinfo", "GET, POST, OPTIONS", userinfo_endpoint},
    {"/verify", "POST", check_verify},
    {"/introspect", "POST", check_introspect},
    {"/revoke", "POST", check_revoke},
    {"/authorize", "GET, POST", authorize_endpoint},
    {"/login", "GET, POST", login_endpoint},
    {"/consent", "POST", consent_endpoint},
    {"/logout", "GET, POST", logout_endpoint},
    {"/static/style.css", "GET", style},
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
size_t routes_dispatch(h2o_req_t *req, app_thread *t)
{
	for (size_t i = 0; i < N_ROUTES; i++) {
		if (!is(req->path_normalized, table[i].path))
			continue;
		if (allows(table[i].method, req->method))
			table[i].fn(req, t);
		else {
			routes_add_header(req, "allow", table[i].method);
			routes_send_error(req, 405, "method_not_allowed",
			                  "this endpoint does not take that method");
		}
		return i;
	}
	if (!static_serve(req)) /* /demo/: the demo app's files (static.c) */
		routes_send_error(req, 404, "not_found", "no such endpoint");
	return N_ROUTES;
}
