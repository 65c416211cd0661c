/*
 * routes.h: the issuer's HTTP surface: an exact-match table of path and method to
 * handler (the endpoints of oauth/endpoints.h and sso/endpoints.h, and /ping,
 * /health here), then the static files (static.h); /metrics is not here but on
 * its own listener (server.h). Every answer is JSON
 * with its content type (except /ping, "OK", and the
 * sign-in pages, HTML: page.h); an unknown path is a JSON 404, a known path with
 * another method a JSON 405. A row's method is one method or a list in the Allow
 * header's form ("GET, POST"); HEAD goes with GET. Handlers run on their loop
 * thread, and never block: those that call the store run in a coroutine and
 * wait for it off the loop (server.c, dbpool.h), and a password check answers
 * from the worker pool's job (pool.h).
 */
#ifndef ISSUER_ROUTES_H
#define ISSUER_ROUTES_H

#include <h2o.h>

#include "runtime/app.h"

typedef void (*route_fn)(h2o_req_t *req, app_thread *t);

/* The index of req's route (its metrics label), or the last index (routes_names)
 * when none matches. Under an issuer URL with a path (base, e.g. "/auth"; NULL or
 * "" for none), that path is taken off req->path_normalized first. */
size_t routes_find(h2o_req_t *req, const char *base);

/* 1 when route i's handler calls the store (so it must run in a coroutine, on a
 * copy of the request: see server.c), else 0. */
int routes_uses_store(size_t i);

/* Answer req by route i (routes_find's): its handler, 405 for a method it does
 * not take, or, for no route, the static files or a 404. */
void routes_run(size_t i, h2o_req_t *req, app_thread *t);

/* The metrics label of each route index (the path; the last one is "other"), and their count. */
const char *const *routes_names(size_t *n);

#endif
