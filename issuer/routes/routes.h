/*
 * routes.h: the issuer's HTTP surface (design.md "HTTP surface"): an exact-match
 * table of path and method to handler, and the response helpers handlers share.
 * Every answer is JSON with its content type (except /ping, "OK", /metrics,
 * Prometheus text, and the sign-in pages, HTML: page.h); an unknown path is a
 * JSON 404, a known path with another method a JSON 405. A row's method is one
 * method or a list in the Allow header's form ("GET, POST"); HEAD goes with GET.
 * Handlers run on their loop thread, answer before they
 * return, and never block.
 */
#ifndef ISSUER_ROUTES_H
#define ISSUER_ROUTES_H

#include <cjson/cJSON.h>
#include <h2o.h>

#include "runtime/app.h"

typedef void (*route_fn)(h2o_req_t *req, app_thread *t);

/* Answer req from the route table; returns the route's index for metrics. */
size_t routes_dispatch(h2o_req_t *req, app_thread *t);

/* The metrics label of each route index (the path; the last one is "other"), and their count. */
const char *const *routes_names(size_t *n);

/* Send body[0..len) with status and the JSON content type, no-store. */
void routes_send_json(h2o_req_t *req, int status, const char *body, size_t len);

/* Send doc (printed compactly; consumed: deleted here) with status. */
void routes_send_cjson(h2o_req_t *req, int status, cJSON *doc);

/* Send {"error": code, "error_description": description} (RFC 6749 §5.2 shape). */
void routes_send_error(h2o_req_t *req, int status, const char *code, const char *description);

/* The value of request header token, or a zero-length iovec with base NULL. */
h2o_iovec_t routes_header(h2o_req_t *req, const h2o_token_t *token);

/* Add a response header by name (lower case), both strings static or pool-owned. */
void routes_add_header(h2o_req_t *req, const char *name, const char *value);

/* Handlers in their own files. */
void wellknown_discovery(h2o_req_t *req, app_thread *t);
void wellknown_jwks(h2o_req_t *req, app_thread *t);
void token_endpoint(h2o_req_t *req, app_thread *t);
void check_verify(h2o_req_t *req, app_thread *t);
void check_introspect(h2o_req_t *req, app_thread *t);
void check_revoke(h2o_req_t *req, app_thread *t);
void userinfo_endpoint(h2o_req_t *req, app_thread *t);
/* The browser sign-in (session.h): authorize.c, login.c, consent.c, logout.c. */
void authorize_endpoint(h2o_req_t *req, app_thread *t);
void login_endpoint(h2o_req_t *req, app_thread *t);
void consent_endpoint(h2o_req_t *req, app_thread *t);
void logout_endpoint(h2o_req_t *req, app_thread *t);

#endif
