/*
 * pool.c: the worker pool (see pool.h). One mutex guards the FIFO and every
 * counter; workers sleep on `work`, pool_receiver_free sleeps on `idle`. A
 * finished job goes back through its loop's own h2o multithread queue (one
 * queue per receiver, so a receiver's messages are only ever its own jobs).
 *
 * Threads: run is the only thing that happens on a worker; submitting, the
 * request watch, the receiver callback and done are all on the loop thread that
 * submitted the job. A worker never touches a job after sending it back (the
 * loop may free it at once), and never touches j->req or j->watch.
 *
 * The request watch: a `struct pool_watch` allocated as a shared chunk in the
 * request's memory pool (refcount 1, released when H2O clears that pool, i.e.
 * disposes of the request). Whichever of these comes first on the loop thread
 * cuts the link both ways:
 *   - the request is disposed of (job queued, running, or sent back but not yet
 *     received): watch_dispose sets j->req and j->watch to NULL; done later sees
 *     req NULL and answers nothing;
 *   - the job comes back (or is cancelled) while the request lives: unwatch sets
 *     watch->job and j->watch to NULL before done; the chunk stays in the
 *     request's pool and its dispose, later, finds no job (done freed it).
 * It must never allocate a job from the request's pool, nor keep a watch alive
 * past its pool (it holds no reference of its own).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/coro.h"
#include "runtime/pool.h"

/* done, in a coroutine of its own when one can be had (its store calls then wait
 * off the loop: dbpool.h), else right here. */
static void done_run(void *arg)
{
	pool_job *j = arg;

	j->done(j);
}

static void finish(pool_job *j)
{
	if (coro_start(done_run, j) != 0)
		finish(j);
}

struct pool {
	pthread_mutex_t lock;
	pthread_cond_t work; /* a job was queued, or stop was set */
	pthread_cond_t idle; /* a job finished (a receiver may be waiting for its last one) */
	pool_job *head, *tail;
	unsigned queued, running, n;
	int stop;
	pthread_t threads[POOL_MAX_WORKERS];
};

struct pool_receiver {
	h2o_multithread_receiver_t receiver;
	h2o_multithread_queue_t *queue;
	pool *p;
	unsigned running; /* this loop's jobs on a worker now (under p->lock) */
	int gone;         /* pool_receiver_free started: submits are refused (loop thread only) */
};

struct pool_watch {
	pool_job *job; /* NULL once the job came back */
};

/* The request's pool is being cleared: the job (if still out) must forget req. */
static void watch_dispose(void *arg)
{
	struct pool_watch *w = arg;

	if (w->job) {
		w->job->req = NULL;
		w->job->watch = NULL;
		w->job = NULL;
	}
}

/* The job is back while its request lives: the request must forget the job. */
static void unwatch(pool_job *j)
{
	struct pool_watch *w = j->watch;

	if (w) {
		w->job = NULL;
		j->watch = NULL;
	}
}

/* Back on the loop thread: every message is one of this loop's finished jobs. */
static void on_messages(h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages)
{
	(void)receiver;
	while (!h2o_linklist_is_empty(messages)) {
		pool_job *j = H2O_STRUCT_FROM_MEMBER(pool_job, msg.link, messages->next);
		h2o_linklist_unlink(&j->msg.link);
		unwatch(j);
		finish(j);
	}
}

static void *worker(void *arg)
{
	pool *p = arg;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		pool_job *j;
		pool_receiver *to;

		while (!p->head && !p->stop)
			pthread_cond_wait(&p->work, &p->lock);
		if (!(j = p->head))
			break; /* stopping, and nothing left to run */
		if (!(p->head = j->next))
			p->tail = NULL;
		p->queued--, p->running++;
		to = j->to;
		to->running++;
		pthread_mutex_unlock(&p->lock);

		j->run(j);
		h2o_multithread_send_message(&to->receiver, &j->msg); /* j is the loop's from here */

		pthread_mutex_lock(&p->lock);
		p->running--;
		if (--to->running == 0)
			pthread_cond_broadcast(&p->idle);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

/* Queue j for r; with mp, watch it there for req. 0, or -1 (full or stopping). */
static int submit(pool *p, pool_receiver *r, pool_job *j, h2o_mem_pool_t *mp, h2o_req_t *req)
{
	struct pool_watch *w;

	if (r->gone)
		return -1;
	pthread_mutex_lock(&p->lock);
	if (p->stop || p->queued >= POOL_MAX_QUEUE) {
		pthread_mutex_unlock(&p->lock);
		return -1;
	}
	j->req = req;
	j->cancelled = 0;
	j->msg.link = (h2o_linklist_t){NULL, NULL};
	j->to = r;
	j->next = NULL;
	j->watch = NULL;
	if (mp) { /* before the job is visible to a worker; only the loop thread reads it */
		w = h2o_mem_alloc_shared(mp, sizeof *w, watch_dispose);
		w->job = j;
		j->watch = w;
	}
	if (p->tail)
		p->tail->next = j;
	else
		p->head = j;
	p->tail = j;
	p->queued++;
	pthread_cond_signal(&p->work);
	pthread_mutex_unlock(&p->lock);
	return 0;
}

/* see pool.h */
int pool_submit(pool *p, pool_receiver *r, pool_job *j)
{
	return submit(p, r, j, NULL, NULL);
}

/* see pool.h */
int pool_submit_req(pool *p, pool_receiver *r, pool_job *j, h2o_req_t *req)
{
	return submit(p, r, j, &req->pool, req);
}

/* see pool.h */
unsigned pool_depth(pool *p)
{
	unsigned n;

	pthread_mutex_lock(&p->lock);
	n = p->queued + p->running;
	pthread_mutex_unlock(&p->lock);
	return n;
}

/* see pool.h */
pool *pool_new(unsigned n)
{
	pool *p;
	sigset_t all, old;

	if (n < 1 || n > POOL_MAX_WORKERS || !(p = calloc(1, sizeof *p)))
		return NULL;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->idle, NULL);
	/* Workers take no signals: the server's main thread waits for SIGTERM/SIGINT. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (; p->n < n; p->n++)
		if (pthread_create(&p->threads[p->n], NULL, worker, p) != 0)
			break;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (p->n < n) {
		pool_free(p);
		return NULL;
	}
	return p;
}

/* see pool.h */
void pool_free(pool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->stop = 1;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->lock);
	for (unsigned i = 0; i < p->n; i++)
		pthread_join(p->threads[i], NULL);
	pthread_cond_destroy(&p->idle);
	pthread_cond_destroy(&p->work);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

/* see pool.h */
pool_receiver *pool_receiver_new(pool *p, h2o_loop_t *loop)
{
	pool_receiver *r = calloc(1, sizeof *r);

	if (!r)
		return NULL;
	r->p = p;
	r->queue = h2o_multithread_create_queue(loop); /* aborts rather than fail */
	h2o_multithread_register_receiver(r->queue, &r->receiver, on_messages);
	return r;
}

/* see pool.h */
void pool_receiver_free(pool_receiver *r)
{
	pool *p;
	pool_job *cancelled = NULL, **link, *j;
	h2o_linklist_t back;

	if (!r)
		return;
	p = r->p;
	r->gone = 1;
	pthread_mutex_lock(&p->lock);
	/* Take this loop's jobs off the queue, keeping their order. */
	for (link = &p->head, p->tail = NULL; (j = *link) != NULL;) {
		if (j->to == r) {
			*link = j->next;
			j->next = cancelled;
			cancelled = j;
			p->queued--;
		} else {
			p->tail = j;
			link = &j->next;
		}
	}
	while (r->running)
		pthread_cond_wait(&p->idle, &p->lock);
	pthread_mutex_unlock(&p->lock);
	/*
	 * No worker will send to r again, and every send already returned (a worker
	 * decrements r->running under p->lock after its send): the finished jobs
	 * not yet received sit in r->receiver._messages, which only this thread
	 * reads now. Take them out (h2o asserts the list is empty on unregister).
	 */
	h2o_linklist_init_anchor(&back);
	h2o_linklist_insert_list(&back, &r->receiver._messages);
	h2o_multithread_unregister_receiver(r->queue, &r->receiver);
	h2o_multithread_destroy_queue(r->queue);
#if H2O_VERSION_MAJOR == 2 && H2O_VERSION_MINOR < 3
	free(r->queue); /* H2O 2.2's evloop destroy_queue closes the pipe but forgets this free */
#endif
	on_messages(&r->receiver, &back);
	for (j = NULL; cancelled;) { /* the list is reversed: restore submit order for done */
		pool_job *next = cancelled->next;
		cancelled->next = j;
		j = cancelled;
		cancelled = next;
	}
	for (; j; j = cancelled) {
		cancelled = j->next;
		unwatch(j);
		j->req = NULL;
		j->cancelled = 1;
		finish(j);
	}
	free(r);
}
