/*
 * response.c: the answers every handler sends (see response.h). Never adds
 * anything a caller did not ask for but the headers every answer carries.
 */
#include <stdlib.h>
#include <string.h>

#include "http/response.h"

/* see response.h */
const char *response_reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 204:
		return "No Content";
	case 302:
		return "Found";
	case 303:
		return "See Other";
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

/* see response.h */
void response_add_header(h2o_req_t *req, const char *name, const char *value)
{
	h2o_add_header_by_str(&req->pool, &req->res.headers, name, strlen(name), 0, NULL, value,
	                      strlen(value));
}

/* see response.h */
h2o_iovec_t response_request_header(h2o_req_t *req, const h2o_token_t *token)
{
	ssize_t i = h2o_find_header(&req->headers, token, -1);

	return i < 0 ? h2o_iovec_init(NULL, 0) : req->headers.entries[i].value;
}

/* TRUSTED_PROXIES, set once at start-up before any request (response_set_proxies). */
static proxies trusted;

/* see response.h */
void response_set_proxies(const proxies *p)
{
	trusted = *p;
}

/* Every value of the request header name (lower case), comma-joined, in req's pool;
 * *len 0 when none. */
static const char *joined(h2o_req_t *req, const char *name, size_t *len)
{
	const size_t nl = strlen(name);
	size_t n = 0, at = 0;
	char *out;

	for (ssize_t i = -1; (i = h2o_find_header_by_str(&req->headers, name, nl, i)) != -1;)
		n += req->headers.entries[i].value.len + 1;
	*len = 0;
	if (!n)
		return NULL;
	out = h2o_mem_alloc_pool(&req->pool, n);
	for (ssize_t i = -1; (i = h2o_find_header_by_str(&req->headers, name, nl, i)) != -1;) {
		if (at)
			out[at++] = ',';
		memcpy(out + at, req->headers.entries[i].value.base, req->headers.entries[i].value.len);
		at += req->headers.entries[i].value.len;
	}
	*len = at;
	return out;
}

/* see response.h */
int response_peer(h2o_req_t *req, struct sockaddr_storage *ss)
{
	struct sockaddr_storage peer;
	const char *xff, *fwd;
	size_t xff_len, fwd_len;

	memset(ss, 0, sizeof *ss);
	if (!req->conn->callbacks->get_peername ||
	    req->conn->callbacks->get_peername(req->conn, (struct sockaddr *)ss) <= 0)
		return 0;
	if (!trusted.n || !proxies_trusts(&trusted, ss))
		return 1;
	peer = *ss;
	xff = joined(req, "x-forwarded-for", &xff_len);
	fwd = joined(req, "forwarded", &fwd_len);
	proxies_client(&trusted, &peer, xff, xff_len, fwd, fwd_len, ss);
	return 1;
}

/* see response.h */
int response_cors(h2o_req_t *req, const char *methods)
{
	response_add_header(req, "access-control-allow-origin", "*");
	if (!h2o_memis(req->method.base, req->method.len, H2O_STRLIT("OPTIONS")))
		return 0;
	response_add_header(req, "access-control-allow-methods", methods);
	response_add_header(req, "access-control-allow-headers", "Authorization, Content-Type");
	response_add_header(req, "access-control-max-age", "600");
	req->res.status = 204;
	req->res.reason = response_reason(204);
	h2o_send_inline(req, "", 0);
	return 1;
}

/* 1 when v is an id we pass on: 1..RESPONSE_REQUEST_ID_MAX of A-Z a-z 0-9 . _ - */
static int id_ok(h2o_iovec_t v)
{
	if (!v.base || v.len == 0 || v.len > RESPONSE_REQUEST_ID_MAX)
		return 0;
	for (size_t i = 0; i < v.len; i++) {
		unsigned char c = (unsigned char)v.base[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

/* 1 when the connection's own peer is a trusted proxy. */
static int from_proxy(h2o_req_t *req)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof ss);
	return trusted.n && req->conn->callbacks->get_peername &&
	       req->conn->callbacks->get_peername(req->conn, (struct sockaddr *)&ss) > 0 &&
	       proxies_trusts(&trusted, &ss);
}

/* see response.h */
void response_set_request_id(h2o_req_t *req, const char *made)
{
	ssize_t at = h2o_find_header_by_str(&req->headers, H2O_STRLIT("x-request-id"), -1);
	h2o_iovec_t given = at < 0 ? h2o_iovec_init(NULL, 0) : req->headers.entries[at].value, id;

	if (!(id_ok(given) && from_proxy(req)))
		given = h2o_iovec_init(made, strlen(made));
	id = h2o_strdup(&req->pool, given.base, given.len);
	*h2o_req_getenv(req, H2O_STRLIT("request_id"), 1) = id;
	response_add_header(req, "x-request-id", id.base);
}

/* see response.h */
const char *response_request_id(h2o_req_t *req)
{
	h2o_iovec_t *v = h2o_req_getenv(req, H2O_STRLIT("request_id"), 0);

	return v ? v->base : NULL;
}

/* see response.h */
void response_note_client(h2o_req_t *req, const char *id)
{
	*h2o_req_getenv(req, H2O_STRLIT("client_id"), 1) = h2o_strdup(&req->pool, id, strlen(id));
}

/* see response.h */
const char *response_noted_client(h2o_req_t *req)
{
	h2o_iovec_t *v = h2o_req_getenv(req, H2O_STRLIT("client_id"), 0);

	return v ? v->base : NULL;
}

/* see response.h */
const char *response_pool_str(h2o_req_t *req, const char *s, size_t len)
{
	char *p = h2o_mem_alloc_pool(&req->pool, len + 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

/* see response.h */
void response_send_typed(h2o_req_t *req, int status, const char *type, const char *body, size_t len)
{
	req->res.status = status;
	req->res.reason = response_reason(status);
	h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, type, strlen(type));
	if (h2o_find_header(&req->res.headers, H2O_TOKEN_CACHE_CONTROL, -1) == -1)
		h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL,
		               H2O_STRLIT("no-store"));
	response_add_header(req, "x-content-type-options", "nosniff");
	response_retry_after(req);
	req->res.content_length = len;
	h2o_send_inline(req, body, len);
}

/* see response.h */
void response_retry_after(h2o_req_t *req)
{
	if (req->res.status == 503 && h2o_find_header(&req->res.headers, H2O_TOKEN_RETRY_AFTER, -1) == -1)
		h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_RETRY_AFTER, NULL,
		               H2O_STRLIT(RESPONSE_RETRY_AFTER));
}

/* see response.h */
void response_send_json(h2o_req_t *req, int status, const char *body, size_t len)
{
	response_send_typed(req, status, "application/json", body, len);
}

/* This thread had a cJSON allocation fail since its request began (response_json_reset). */
static __thread int json_failed;

static void *json_malloc(size_t n)
{
	void *p = malloc(n);

	if (!p)
		json_failed = 1;
	return p;
}

/* see response.h */
void response_json_init(void)
{
	cJSON_Hooks hooks = {.malloc_fn = json_malloc, .free_fn = free};

	cJSON_InitHooks(&hooks);
}

/* see response.h */
void response_json_reset(void)
{
	json_failed = 0;
}

/* see response.h */
int response_json_failed(void)
{
	return json_failed;
}

/* see response.h */
void response_send_cjson(h2o_req_t *req, int status, cJSON *doc)
{
	static const char oom[] = "{\"error\":\"temporarily_unavailable\"}";
	char *text = doc && !response_json_failed() ? cJSON_PrintUnformatted(doc) : NULL;

	cJSON_Delete(doc);
	if (!text || response_json_failed()) {
		free(text);
		response_send_json(req, 503, oom, sizeof oom - 1);
		return;
	}
	response_send_json(req, status, text, strlen(text));
	free(text);
}

/* see response.h */
void response_send_error(h2o_req_t *req, int status, const char *code, const char *description)
{
	cJSON *doc = cJSON_CreateObject();

	cJSON_AddStringToObject(doc, "error", code);
	cJSON_AddStringToObject(doc, "error_description", description);
	response_send_cjson(req, status, doc);
}
