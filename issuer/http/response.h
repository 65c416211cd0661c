/*
 * response.h: how every answer of the issuer is sent, in one place: status line
 * with its reason phrase, content type, no-store unless the caller set its own
 * cache policy, nosniff, and the RFC 6749 §5.2 JSON error shape. Handlers, the
 * sign-in pages (page.h) and the static files (static.h) all answer through
 * these, so a header every answer needs is added here once.
 *
 * Everything runs on the request's loop thread; strings passed in must be static
 * or live in req's pool until the response is sent.
 */
#ifndef ISSUER_HTTP_RESPONSE_H
#define ISSUER_HTTP_RESPONSE_H

#include <sys/socket.h>

#include <cjson/cJSON.h>
#include <h2o.h>

#include "http/proxies.h"

/* The reason phrase of status ("Not Found"; "Client Error"/"Server Error" for the rest). */
const char *response_reason(int status);

/* Add a response header by name (lower case). */
void response_add_header(h2o_req_t *req, const char *name, const char *value);

/* The value of request header token, or a zero-length iovec with base NULL. */
h2o_iovec_t response_request_header(h2o_req_t *req, const h2o_token_t *token);

/* The client's address of req into *ss (zeroed first): the connection's peer, or,
 * when that is a trusted proxy (response_set_proxies), the client it forwarded for
 * (proxies.h). 1 when known, 0 when not (the connection has no peer address, as
 * in some tests and fuzzing). */
int response_peer(h2o_req_t *req, struct sockaddr_storage *ss);

/* Trust p's networks as proxies from now on (TRUSTED_PROXIES; p is copied). Call
 * once at start-up, before the first request. */
void response_set_proxies(const proxies *p);

/*
 * CORS for an endpoint that browsers of any origin may call and that reads no
 * cookie (/token, /userinfo): adds Access-Control-Allow-Origin: * to req's
 * answer; when req is an OPTIONS preflight, answers it (204, methods, the
 * Authorization and Content-Type request headers, cached 10 minutes) and
 * returns 1, else returns 0 and the handler goes on.
 */
int response_cors(h2o_req_t *req, const char *methods);

/* Copy s into req's pool as a NUL-terminated string. */
const char *response_pool_str(h2o_req_t *req, const char *s, size_t len);

/* Longest X-Request-Id taken from a trusted proxy (longer ones are replaced). */
#define RESPONSE_REQUEST_ID_MAX 64

/*
 * Give req its request id and echo it in the answer's X-Request-Id: the
 * request's own X-Request-Id when the peer is a trusted proxy (TRUSTED_PROXIES)
 * and the value is 1..RESPONSE_REQUEST_ID_MAX of A-Z a-z 0-9 . _ -, else made
 * (the caller's fresh id, copied). Call once, before the handler.
 */
void response_set_request_id(h2o_req_t *req, const char *made);

/* req's request id (response_set_request_id), or NULL. */
const char *response_request_id(h2o_req_t *req);

/* Name the client req authenticated as (copied), for its access-log line. */
void response_note_client(h2o_req_t *req, const char *id);

/* The client response_note_client named for req, or NULL. */
const char *response_noted_client(h2o_req_t *req);

/* Seconds a client is told to wait before retrying a 503 (the store or the key set
 * is briefly unavailable: a failover, a restart). */
#define RESPONSE_RETRY_AFTER "1"

/* When req's status (set already) is 503 and no Retry-After was set: add
 * Retry-After: RESPONSE_RETRY_AFTER. Every 503 this server sends carries one. */
void response_retry_after(h2o_req_t *req);

/* Send body[0..len) with status and content type; no-store unless Cache-Control was set;
 * a 503 gets Retry-After. */
void response_send_typed(h2o_req_t *req, int status, const char *type, const char *body, size_t len);

/* Send body[0..len) with status and the JSON content type. */
void response_send_json(h2o_req_t *req, int status, const char *body, size_t len);

/*
 * Make cJSON's allocation failures visible: after this (once, before any thread
 * builds JSON), an allocation cJSON could not get marks the thread it failed on
 * until response_json_reset, and response_send_cjson answers 503 rather than a
 * document with members missing. Handlers need not check each cJSON_Add*.
 */
void response_json_init(void);

/* Forget this thread's cJSON allocation failures (at the start of each request). */
void response_json_reset(void);

/* 1 when a cJSON allocation failed on this thread since response_json_reset. */
int response_json_failed(void);

/* Send doc (printed compactly; consumed: deleted here) with status; 503 when out of
 * memory, also when a cJSON allocation failed while the answer was being built. */
void response_send_cjson(h2o_req_t *req, int status, cJSON *doc);

/* Send {"error": code, "error_description": description} (RFC 6749 §5.2 shape). */
void response_send_error(h2o_req_t *req, int status, const char *code, const char *description);

#endif
