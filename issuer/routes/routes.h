/*
 * routes.h: the issuer's HTTP surface: an exact-match table of path and method to
 * handler (the endpoints of oauth/endpoints.h and sso/endpoints.h, and /ping,
 * /health here), then the static files (static.h); /metrics is not here but on
 * its own listener (server.h). Every answer is JSON
 * with its content type (except /ping, "OK", and the
 * sign-in pages, HTML: page.h); an unknown path is a JSON 404, a known path with
 * another method a JSON 405. A row's method is one method or a list in the Allow
 * header's form ("GET, POST"); HEAD goes with GET. Handlers run on their loop
 * thread, answer before they return, and never block.
 */
#ifndef ISSUER_ROUTES_H
#define ISSUER_ROUTES_H

#include <h2o.h>

#include "runtime/app.h"

typedef void (*route_fn)(h2o_req_t *req, app_thread *t);

/* Answer req from the route table; returns the route's index for metrics. */
size_t routes_dispatch(h2o_req_t *req, app_thread *t);

/* The metrics label of each route index (the path; the last one is "other"), and their count. */
const char *const *routes_names(size_t *n);

#endif
