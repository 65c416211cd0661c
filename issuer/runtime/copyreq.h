/*
 * copyreq.h: a private copy of a request, for a handler that runs in a
 * coroutine (coro.h) and may wait while it runs. H2O may dispose of the
 * original request at any moment its connection ends (an HTTP/2 stream reset,
 * a closed connection); a handler that waits for the store meanwhile still
 * holds pointers into the request (its form, its headers). So it is given a
 * copy instead: method, path, headers, body and the client's address, in a
 * memory pool of its own, which lives until the handler is done with it.
 *
 * Whatever the handler answers on the copy (h2o_send_inline, h2o_send_redirect,
 * the response_* helpers) is collected: status, headers and body. Once the
 * answer is complete and the handler has released the copy, the answer is
 * given to the original request, if it still exists, on the loop's next turn
 * (never from inside the handler), and the copy is freed. A request
 * disposed of before that gets nothing, and nothing is touched of it.
 *
 * Only the loop thread that owns the original request calls these, and the
 * copy is only touched on that thread (a coroutine that moved to a store
 * worker does not touch it there).
 */
#ifndef ISSUER_COPYREQ_H
#define ISSUER_COPYREQ_H

#include <h2o.h>

/* A copy of req (after its handler was chosen, before any answer), or NULL when
 * out of memory. Its conn answers get_peername with req's peer and nothing else. */
h2o_req_t *copyreq_new(h2o_req_t *req);

/* The handler is done with copy: once its answer is complete too (now or
 * later, from a job), the answer goes to the original and the copy is freed. */
void copyreq_release(h2o_req_t *copy);

#endif
