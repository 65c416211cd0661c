/*
 * pool.h: the worker pool for work that must never run on an event-loop thread
 * (argon2id: tens of milliseconds and ~19 MiB per call, password.h). A loop
 * thread submits a job; a worker runs job->run; the job comes back to the loop
 * that submitted it through H2O's multithread queue (h2o/multithread.h), where
 * job->done runs. A request waiting for a job keeps its h2o_req_t and answers
 * from done.
 *
 * Requests can end while their job runs (the browser closed the connection):
 * pool_submit_req watches req's memory pool, and when H2O disposes of the
 * request the job's `req` becomes NULL before done runs, so done never touches
 * a freed request. Jobs are owned by the caller (malloc'd, freed in done), never
 * allocated from the request's pool.
 *
 * Every accepted job's done runs exactly once, on the loop thread that submitted
 * it, in a coroutine of its own (coro.h: so its store calls wait off the loop)
 * when one can be had: after run, or, for a job still waiting when its loop detaches
 * (pool_receiver_free), without run and with `cancelled` set. So nothing leaks at
 * shutdown and no worker ever writes to a loop that is gone.
 *
 * Bounds: at most POOL_MAX_QUEUE jobs wait at once; a submit beyond that is
 * refused (the caller answers 503: under a login flood the loop stays free and
 * memory stays bounded). Never blocks the submitting thread.
 */
#ifndef ISSUER_POOL_H
#define ISSUER_POOL_H

#include <h2o.h>
#include <h2o/multithread.h>

/* Most jobs waiting for a worker (not counting the ones running). */
#ifndef POOL_MAX_QUEUE
#define POOL_MAX_QUEUE 1024
#endif
/* Most worker threads. */
#define POOL_MAX_WORKERS 64

typedef struct pool pool;
typedef struct pool_receiver pool_receiver;
typedef struct pool_job pool_job;

struct pool_job {
	/* On a worker thread: only the job's own fields (never `req`: the loop may
	 * clear it meanwhile), no loop state, no store. */
	void (*run)(pool_job *j);
	/* Back on the loop thread that submitted it, after run; frees the job. */
	void (*done)(pool_job *j);
	/* The request waiting for the job (pool_submit_req), or NULL once it ended.
	 * Only read it on the loop thread. */
	h2o_req_t *req;
	/* Set by the pool before done when run never ran (pool_receiver_free); 0 otherwise. */
	int cancelled;
	/* Private to pool.c. */
	h2o_multithread_message_t msg;
	pool_receiver *to;
	pool_job *next;
	void *watch; /* the struct pool_watch in req's pool while req is watched, else NULL */
};

/* Start n (1..POOL_MAX_WORKERS) workers; NULL on failure. */
pool *pool_new(unsigned n);

/* Stop the workers after the jobs still queued ran, join them and free p. NULL
 * is fine. Call after the loops stopped and their receivers were freed (then
 * nothing is queued any more: pool_receiver_free took its loop's jobs back). */
void pool_free(pool *p);

/* Attach loop (the calling thread's) to p: jobs submitted from this loop come
 * back to it. NULL on failure. */
pool_receiver *pool_receiver_new(pool *p, h2o_loop_t *loop);

/* Detach (on the loop's thread, before the loop is destroyed). NULL is fine.
 * The loop's jobs still queued are taken off the queue; the ones running are
 * waited for (at most one per worker); then done runs here for all of them
 * (the queued ones with `cancelled` set and req NULL, run skipped). */
void pool_receiver_free(pool_receiver *r);

/* Queue j (run and done set) from r's loop thread. 0, or -1 when the queue is
 * full or p is stopping (j's public fields untouched: the caller still owns it). */
int pool_submit(pool *p, pool_receiver *r, pool_job *j);

/* As pool_submit, for a job that answers req: sets j->req and watches req so
 * that j->req is NULL by the time done runs if the request was disposed of.
 * The watch is a few bytes in req->pool, freed with the request. */
int pool_submit_req(pool *p, pool_receiver *r, pool_job *j, h2o_req_t *req);

/* Jobs waiting and running now (for /metrics). */
unsigned pool_depth(pool *p);

#endif
