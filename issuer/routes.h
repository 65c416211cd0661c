/*
 * routes.h: the issuer's HTTP surface (design.md "HTTP surface"): an exact-match
 * table of path and method to handler, and the JSON response helpers handlers
 * share. Every answer is JSON with its content type (except /ping, "OK"); an
 * unknown path is a JSON 404, a known path with another method a JSON 405.
 */
#ifndef ISSUER_ROUTES_H
#define ISSUER_ROUTES_H

#include <h2o.h>

#include "server.h"

/* Answer req (on its loop thread) from the route table. */
void routes_dispatch(h2o_req_t *req, const server_config *cfg);

/* Send body[0..len) with status and the JSON content type; no-store unless cacheable. */
void routes_send_json(h2o_req_t *req, int status, const char *body, size_t len);

/* Send {"error": code, "error_description": description} (RFC 6749 §5.2 shape). */
void routes_send_error(h2o_req_t *req, int status, const char *code, const char *description);

#endif
