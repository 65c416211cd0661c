/*
 * routes.c: the route table and the handlers that need no storage (see
 * routes.h). A handler gets the request and the validated configuration; it
 * answers before returning and never blocks the loop.
 */
#include <string.h>

#include "routes.h"

typedef void (*route_fn)(h2o_req_t *req, const server_config *cfg);

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
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 413:
		return "Payload Too Large";
	default:
		return status < 500 ? "Client Error" : "Service Unavailable";
	}
}

/* see routes.h */
void routes_send_json(h2o_req_t *req, int status, const char *body, size_t len)
{
	req->res.status = status;
	req->res.reason = reason(status);
	h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
	               H2O_STRLIT("application/json"));
	h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL, H2O_STRLIT("no-store"));
	h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-content-type-options"), 0, NULL,
	                      H2O_STRLIT("nosniff"));
	req->res.content_length = len;
	h2o_send_inline(req, body, len);
}

/* see routes.h */
void routes_send_error(h2o_req_t *req, int status, const char *code, const char *description)
{
	char body[512];
	int n =
	    snprintf(body, sizeof body, "{\"error\":\"%s\",\"error_description\":\"%s\"}", code, description);

	routes_send_json(req, status, body, n > 0 && (size_t)n < sizeof body ? (size_t)n : 0);
}

static void ping(h2o_req_t *req, const server_config *cfg)
{
	(void)cfg;
	req->res.status = 200;
	req->res.reason = "OK";
	h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
	               H2O_STRLIT("text/plain; charset=utf-8"));
	req->res.content_length = 2;
	h2o_send_inline(req, H2O_STRLIT("OK"));
}

static void health(h2o_req_t *req, const server_config *cfg)
{
	(void)cfg;
	static const char body[] = "{\"status\":\"ok\",\"service\":\"identity-backend\"}";

	routes_send_json(req, 200, body, sizeof body - 1);
}

static const route table[] = {
    {"/ping", "GET", ping},
    {"/health", "GET", health},
};

static int is(h2o_iovec_t v, const char *s)
{
	size_t n = strlen(s);

	return v.len == n && memcmp(v.base, s, n) == 0;
}

/* see routes.h */
void routes_dispatch(h2o_req_t *req, const server_config *cfg)
{
	int path_known = 0;

	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
		if (!is(req->path_normalized, table[i].path))
			continue;
		path_known = 1;
		if (is(req->method, table[i].method) ||
		    (is(req->method, "HEAD") && strcmp(table[i].method, "GET") == 0)) {
			table[i].fn(req, cfg);
			return;
		}
	}
	if (path_known)
		routes_send_error(req, 405, "method_not_allowed", "this endpoint does not take that method");
	else
		routes_send_error(req, 404, "not_found", "no such endpoint");
}
