/*
 * dbpool.h: store calls of requests, off the event loops. A bounded pool of
 * connections to the store, each owned by a worker thread, behind a store
 * handle (dbpool_store) that handlers use like any other store.
 *
 * A request's handler runs in a coroutine (coro.h) on its loop thread. When it
 * calls the store through the handle, the coroutine is suspended and queued; the
 * loop goes on serving every other connection; a worker continues the
 * coroutine on its own thread for that one call, on its own connection, then
 * hands it back to the loop it came from (H2O's multithread queue), where the
 * call returns to the handler with its answer. Between store_tx_begin and
 * store_tx_end the coroutine stays on its worker, so a transaction runs on one
 * connection, and the code between must not touch H2O or loop state (it only
 * computes and calls the store).
 *
 * Bounds: DBPOOL_MAX_QUEUE calls wait at most (past it, STORE_BUSY at once, so a
 * stalled database costs memory in proportion to the queue, not to the load); a
 * call that waited longer than the pool's timeout when a worker takes it is
 * answered STORE_BUSY without running (the database is too slow to be of use).
 * With the backend's own bound on each round trip (DB_TIMEOUT_MS), no call waits
 * much beyond two timeouts: requests get 503 with Retry-After, never hang, and a
 * stalled database never delays a request that does not need it.
 *
 * A call through the handle from outside any coroutine (start-up, tools, tests)
 * runs on the calling thread, on one extra connection kept for that (opened by
 * the first such call), under a mutex. A coroutine on a thread with no home (dbpool_home_new) is treated the
 * same way.
 */
#ifndef ISSUER_DBPOOL_H
#define ISSUER_DBPOOL_H

#include <h2o.h>

#include "store/store.h"

/* Most connections (and workers) in one pool. */
#define DBPOOL_MAX 64

/* Most calls waiting for a worker at once. */
#ifndef DBPOOL_MAX_QUEUE
#define DBPOOL_MAX_QUEUE 4096
#endif

typedef struct dbpool dbpool;
typedef struct dbpool_home dbpool_home;

/* Open n (1..DBPOOL_MAX) connections to the store named by where (store_open)
 * and start n workers. A call that
 * waited timeout_ms (<= 0: STORE_PG_TIMEOUT_MS) for a worker is refused. NULL
 * with a one-line reason in err. */
dbpool *dbpool_new(const char *where, unsigned n, int timeout_ms, char *err, size_t errlen);

/* Stop the workers (after the calls queued ran), close every connection, free p.
 * Call once every home was freed. NULL is fine. */
void dbpool_free(dbpool *p);

/* The handle: every store call through it runs as described above. It belongs
 * to p (store_close on it does nothing). */
store *dbpool_store(dbpool *p);

/* Make the calling thread's loop the home of the coroutines it starts: their
 * calls, through any pool, come back here. NULL when out of memory. */
dbpool_home *dbpool_home_new(h2o_loop_t *loop);

/* Detach the calling thread's home (before its loop is destroyed): first runs
 * the loop until every call of its coroutines still out has come back. NULL is fine. */
void dbpool_home_free(dbpool_home *h);

/* Calls waiting for a worker or running now (for /metrics). */
unsigned dbpool_depth(dbpool *p);

/* Calls through the handle that failed since p was made: the store unavailable
 * (store_unavailable()) or the call itself failed (out of memory, invalid), not
 * answers such as "not found" (for /metrics). Any thread. */
unsigned long long dbpool_failed(dbpool *p);

/* Buckets of the store-call latency histogram: upper bounds in seconds
 * (dbpool_bucket_le, 0.1 ms to 5 s), +Inf apart. */
#define DBPOOL_BUCKETS 15
extern const double dbpool_bucket_le[DBPOOL_BUCKETS];

/* The handle's operations (a fixed list: the histogram's op label), and op i's name
 * ("code_take", ...), or NULL past the end. */
size_t dbpool_ops(void);
const char *dbpool_op_name(size_t i);

/* Op i's calls through p so far, each timed from the handler's call to its answer
 * (the wait for a connection included): their count, total seconds, and how many
 * ended in each bucket (not cumulative; those past the last bound are only in
 * count). Thread-safe. */
void dbpool_latency(dbpool *p, size_t i, uint64_t *count, double *sum, uint64_t bucket[DBPOOL_BUCKETS]);

#endif
