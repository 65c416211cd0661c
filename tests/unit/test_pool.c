/*
 * test_pool.c: the worker pool (issuer/pool.c). Real H2O evloops run in the
 * test's threads: every job's done must run exactly once, on the loop thread
 * that submitted it, after run ran on a worker (which takes no signals); the
 * queue refuses the (POOL_MAX_QUEUE+1)th waiting job while the workers are held
 * on a gate, leaving that job untouched; several loop threads sharing one pool
 * each get back only their own jobs; pool_receiver_free cancels its loop's
 * queued jobs and waits for its running one. The request watch is checked in
 * every order on a plain h2o_mem_pool_t standing for req->pool (clearing it is
 * what H2O does when it disposes of a request): disposed while queued, while
 * running, after the job was sent back but before the loop received it, from
 * inside done, and after done. A finished job's memory is poisoned in done and
 * must still be poisoned after its request's pool is cleared, so a late write
 * by the watch fails here even without a sanitizer. The .c is included to reach
 * `submit`, which takes the memory pool directly.
 */
#include "../../issuer/runtime/coro.c"
#include "../../issuer/runtime/pool.c"
#include "../test.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stdint.h>
#include <time.h>

#define POISON 0x5a

struct tjob {
	pool_job j; /* first: done casts back */
	int owner;  /* the loop that submitted it (index into loops[]) */
	int block;  /* run waits at the gate */
	int ran;    /* set by run (worker) */
	int run_on_worker, run_sigs_blocked;
	int dones; /* done calls (loop thread) */
	int done_on_owner;
	int cancelled;
	h2o_req_t *req_at_done;
	h2o_mem_pool_t *clear_in_done; /* done disposes of "the request" itself */
	int poison;                    /* done fills j with POISON */
};

/* One loop and the thread it runs on. */
struct tloop {
	h2o_loop_t *loop;
	pool_receiver *r;
	pthread_t thread;
	int done;    /* dones seen on this loop */
	int foreign; /* dones of another loop's job seen here */
};

static struct tloop loops[4];
/* The loops (bit i: loops[i]) that run on the calling thread. */
static __thread unsigned my_loops;

/* ---- the gate the blocking jobs wait at ---- */

static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static int gate_open, gate_waiting;

static void gate_set(int open)
{
	pthread_mutex_lock(&gate_lock);
	gate_open = open;
	pthread_cond_broadcast(&gate_cond);
	pthread_mutex_unlock(&gate_lock);
}

/* Wait (up to 5 s) until n jobs are held at the gate; 0 or -1. */
static int gate_wait_for(int n)
{
	struct timespec until;
	int rc = 0;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 5;
	pthread_mutex_lock(&gate_lock);
	while (gate_waiting < n && rc == 0)
		rc = pthread_cond_timedwait(&gate_cond, &gate_lock, &until);
	rc = gate_waiting >= n ? 0 : -1;
	pthread_mutex_unlock(&gate_lock);
	return rc;
}

static void t_run(pool_job *pj)
{
	struct tjob *t = (struct tjob *)pj;
	sigset_t cur;

	t->run_on_worker = !pthread_equal(pthread_self(), loops[t->owner].thread);
	pthread_sigmask(SIG_BLOCK, NULL, &cur);
	t->run_sigs_blocked = sigismember(&cur, SIGTERM) && sigismember(&cur, SIGINT);
	if (t->block) {
		pthread_mutex_lock(&gate_lock);
		gate_waiting++;
		pthread_cond_broadcast(&gate_cond);
		while (!gate_open)
			pthread_cond_wait(&gate_cond, &gate_lock);
		gate_waiting--;
		pthread_mutex_unlock(&gate_lock);
	}
	t->ran++;
}

static void t_done(pool_job *pj)
{
	struct tjob *t = (struct tjob *)pj;
	int self = -1;

	/* The loop this runs on: the owner if it is on this thread, else this thread's first. */
	for (int i = 3; i >= 0; i--)
		if (my_loops & (1u << i))
			self = i;
	if (my_loops & (1u << t->owner))
		self = t->owner;
	t->dones++;
	t->done_on_owner = self == t->owner;
	t->cancelled = pj->cancelled;
	t->req_at_done = pj->req;
	if (self >= 0) {
		loops[self].done++;
		if (self != t->owner)
			loops[self].foreign++;
	}
	if (t->clear_in_done)
		h2o_mem_clear_pool(t->clear_in_done);
	if (t->poison)
		memset(&t->j, POISON, sizeof t->j);
}

static int poisoned(const struct tjob *t)
{
	const unsigned char *b = (const unsigned char *)&t->j;

	for (size_t i = 0; i < sizeof t->j; i++)
		if (b[i] != POISON)
			return 0;
	return 1;
}

static void tjob_init(struct tjob *t, int owner)
{
	memset(t, 0, sizeof *t);
	t->j.run = t_run;
	t->j.done = t_done;
	t->owner = owner;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Run l's loop until *counter >= n or 10 s passed; 0 or -1. */
static int run_until(struct tloop *l, const int *counter, int n)
{
	double until = now_ms() + 10000;

	while (*counter < n && now_ms() < until)
		h2o_evloop_run(l->loop, 10);
	return *counter >= n ? 0 : -1;
}

/* Run l's loop for about ms milliseconds (to see that nothing more arrives). */
static void run_for(struct tloop *l, int ms)
{
	double until = now_ms() + ms;

	while (now_ms() < until)
		h2o_evloop_run(l->loop, 5);
}

static void loop_open(struct tloop *l, pool *p)
{
	memset(l, 0, sizeof *l);
	l->thread = pthread_self();
	my_loops |= 1u << (l - loops);
	l->loop = h2o_evloop_create();
	l->r = pool_receiver_new(p, l->loop);
}

static void loop_close(struct tloop *l)
{
	pool_receiver_free(l->r);
	h2o_evloop_run(l->loop, 0); /* lets the loop free the queue's closed socket */
	h2o_evloop_destroy(l->loop);
	my_loops &= ~(1u << (l - loops));
	memset(l, 0, sizeof *l);
}

/* Wait (up to 5 s, without running any loop) until nothing is queued or running. */
static int drained(pool *p)
{
	double until = now_ms() + 5000;

	while (pool_depth(p) && now_ms() < until) {
		struct timespec ms = {0, 1000000};
		nanosleep(&ms, NULL);
	}
	return pool_depth(p) == 0 ? 0 : -1;
}

/* ---- tests ---- */

static void test_limits(void)
{
	T_CHECK(pool_new(0) == NULL, "pool_new(0) is refused");
	T_CHECK(pool_new(POOL_MAX_WORKERS + 1) == NULL, "pool_new(POOL_MAX_WORKERS + 1) is refused");
	pid_t pid = fork();
	int status = -1;

	if (pid == 0) { /* in a child, so a crash is a failed check, not a lost suite */
		pool_free(NULL);
		pool_receiver_free(NULL);
		_exit(0);
	}
	T_CHECK(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	        "pool_free(NULL) and pool_receiver_free(NULL) return (status %d)", status);
}

#define MANY 1000 /* below POOL_MAX_QUEUE: all accepted */

static void test_many(void)
{
	static struct tjob jobs[MANY];
	pool *p = pool_new(3);
	int refused = 0, once = 1, on_owner = 1, worker = 1, sigs = 1, not_cancelled = 1;

	loop_open(&loops[0], p);
	for (int i = 0; i < MANY; i++) {
		tjob_init(&jobs[i], 0);
		refused += pool_submit(p, loops[0].r, &jobs[i].j) != 0;
	}
	T_CHECK(refused == 0, "%d jobs from one loop are all accepted (%d refused)", MANY, refused);
	T_CHECK(run_until(&loops[0], &loops[0].done, MANY) == 0, "all %d dones ran (%d)", MANY,
	        loops[0].done);
	run_for(&loops[0], 50);
	for (int i = 0; i < MANY; i++) {
		once &= jobs[i].ran == 1 && jobs[i].dones == 1;
		on_owner &= jobs[i].done_on_owner;
		worker &= jobs[i].run_on_worker;
		sigs &= jobs[i].run_sigs_blocked;
		not_cancelled &= !jobs[i].cancelled && jobs[i].req_at_done == NULL;
	}
	T_CHECK(loops[0].done == MANY && once, "every job ran once and its done ran exactly once");
	T_CHECK(on_owner, "every done ran on the submitting loop's thread");
	T_CHECK(worker, "every run ran on a worker thread, not the loop's");
	T_CHECK(sigs, "workers block SIGTERM and SIGINT (the main thread takes them)");
	T_CHECK(not_cancelled, "no job was marked cancelled; req stays NULL for pool_submit");
	T_CHECK(pool_depth(p) == 0, "pool_depth is 0 when everything came back");
	loop_close(&loops[0]);
	pool_free(p);
}

static void test_bound(void)
{
	static struct tjob jobs[POOL_MAX_QUEUE + 2];
	struct tjob extra, extra_req;
	h2o_mem_pool_t mp;
	h2o_req_t *fake = (h2o_req_t *)&mp; /* never dereferenced by the pool */
	pool *p = pool_new(2);
	int refused = 0, all = 1;

	h2o_mem_init_pool(&mp);
	loop_open(&loops[0], p);
	gate_set(0);
	for (int i = 0; i < 2; i++) {
		tjob_init(&jobs[i], 0);
		jobs[i].block = 1;
		refused += pool_submit(p, loops[0].r, &jobs[i].j) != 0;
	}
	T_CHECK(gate_wait_for(2) == 0, "both workers are held at the gate");
	for (int i = 2; i < POOL_MAX_QUEUE + 2; i++) {
		tjob_init(&jobs[i], 0);
		refused += pool_submit(p, loops[0].r, &jobs[i].j) != 0;
	}
	T_CHECK(refused == 0, "POOL_MAX_QUEUE (%d) waiting jobs are accepted (%d refused)", POOL_MAX_QUEUE,
	        refused);
	T_CHECK(pool_depth(p) == POOL_MAX_QUEUE + 2, "pool_depth counts waiting and running jobs (%u)",
	        pool_depth(p));

	tjob_init(&extra, 0);
	extra.j.req = (h2o_req_t *)&extra; /* sentinels: a refused job must come back untouched */
	extra.j.cancelled = 7;
	T_CHECK(pool_submit(p, loops[0].r, &extra.j) == -1, "one more waiting job is refused");
	T_CHECK(extra.j.req == (h2o_req_t *)&extra && extra.j.cancelled == 7 && extra.j.run == t_run &&
	            extra.j.done == t_done,
	        "the refused job is untouched");
	tjob_init(&extra_req, 0);
	extra_req.poison = 1;
	T_CHECK(submit(p, loops[0].r, &extra_req.j, &mp, fake) == -1 && extra_req.j.req == NULL &&
	            extra_req.j.watch == NULL,
	        "a refused job for a request is refused too, and not watched");
	memset(&extra_req.j, POISON, sizeof extra_req.j);
	h2o_mem_clear_pool(&mp); /* had it been watched, this would write into it */
	T_CHECK(poisoned(&extra_req), "disposing of that request leaves the refused job alone");

	gate_set(1);
	T_CHECK(run_until(&loops[0], &loops[0].done, POOL_MAX_QUEUE + 2) == 0,
	        "the gate opened, all %d came back", POOL_MAX_QUEUE + 2);
	run_for(&loops[0], 20);
	for (int i = 0; i < POOL_MAX_QUEUE + 2; i++)
		all &= jobs[i].ran == 1 && jobs[i].dones == 1 && jobs[i].done_on_owner;
	T_CHECK(all && loops[0].done == POOL_MAX_QUEUE + 2 && extra.dones == 0 && extra.ran == 0,
	        "each accepted job came back once; the refused ones never ran");
	tjob_init(&extra, 0);
	T_CHECK(pool_submit(p, loops[0].r, &extra.j) == 0 && run_until(&loops[0], &extra.dones, 1) == 0,
	        "the queue takes jobs again once it drained");
	loop_close(&loops[0]);
	pool_free(p);
}

#define PER_LOOP 300 /* 3 x 300 < POOL_MAX_QUEUE: none refused even if all wait at once */

struct loop_arg {
	pool *p;
	int index;
	struct tjob *jobs;
	int ok_submit, ok_done, ok_after;
};

static void *loop_thread(void *arg)
{
	struct loop_arg *a = arg;
	struct tloop *l = &loops[a->index];
	int refused = 0;

	/* H2O keeps freed socket buffers per thread for reuse; a thread that ends loses them
	 * (valgrind: definitely lost). This thread keeps none. */
	h2o_socket_buffer_prototype.allocator.max = 0;
	loop_open(l, a->p);
	for (int i = 0; i < PER_LOOP; i++) {
		tjob_init(&a->jobs[i], a->index);
		refused += pool_submit(a->p, l->r, &a->jobs[i].j) != 0;
	}
	a->ok_submit = refused == 0;
	a->ok_done = run_until(l, &l->done, PER_LOOP) == 0;
	run_for(l, 50);
	a->ok_after = l->done == PER_LOOP && l->foreign == 0;
	pool_receiver_free(l->r);
	h2o_evloop_run(l->loop, 0);
	h2o_evloop_destroy(l->loop);
	l->loop = NULL; /* keep the counters for the checks */
	return NULL;
}

static void test_several_loops(void)
{
	static struct tjob jobs[3][PER_LOOP];
	struct loop_arg args[3];
	pthread_t th[3];
	pool *p = pool_new(2);
	int once = 1, own = 1;

	for (int i = 0; i < 3; i++) {
		args[i] = (struct loop_arg){.p = p, .index = i + 1, .jobs = jobs[i]};
		pthread_create(&th[i], NULL, loop_thread, &args[i]);
	}
	for (int i = 0; i < 3; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < 3; i++) {
		T_CHECK(args[i].ok_submit, "loop %d: %d jobs accepted", i + 1, PER_LOOP);
		T_CHECK(args[i].ok_done, "loop %d: %d jobs back", i + 1, PER_LOOP);
		T_CHECK(args[i].ok_after, "loop %d: got exactly its own %d jobs (%d, %d foreign)", i + 1,
		        PER_LOOP, loops[i + 1].done, loops[i + 1].foreign);
		for (int k = 0; k < PER_LOOP; k++) {
			once &= jobs[i][k].ran == 1 && jobs[i][k].dones == 1;
			own &= jobs[i][k].done_on_owner;
		}
	}
	T_CHECK(once, "three loops sharing a pool: every job ran once, every done once");
	T_CHECK(own, "three loops sharing a pool: every done ran on its own loop's thread");
	T_CHECK(pool_depth(p) == 0, "pool_depth is 0 afterwards");
	pool_free(p);
	memset(loops, 0, sizeof loops);
}

/* The request watch, in every order the loop thread can see. */
static void test_watch(void)
{
	h2o_mem_pool_t mp;
	h2o_req_t *fake = (h2o_req_t *)&mp; /* stands for the request; the pool never reads it */
	struct tjob t;
	pool *p = pool_new(1);

	loop_open(&loops[0], p);

	/* 1. Disposed of while the job runs. */
	h2o_mem_init_pool(&mp);
	gate_set(0);
	tjob_init(&t, 0);
	t.block = 1;
	T_CHECK(submit(p, loops[0].r, &t.j, &mp, fake) == 0 && t.j.req == fake && t.j.watch != NULL,
	        "watched: req set, watch in the request's pool");
	T_CHECK(gate_wait_for(1) == 0, "the job is running");
	h2o_mem_clear_pool(&mp);
	T_CHECK(t.j.req == NULL && t.j.watch == NULL, "disposed while running: req is NULL at once");
	gate_set(1);
	T_CHECK(run_until(&loops[0], &t.dones, 1) == 0 && t.req_at_done == NULL && t.ran == 1,
	        "disposed while running: done runs once and sees req NULL");

	/* 2. Disposed of while the job waits in the queue (the worker is busy). */
	{
		struct tjob hold, q;
		h2o_mem_init_pool(&mp);
		gate_set(0);
		tjob_init(&hold, 0);
		hold.block = 1;
		tjob_init(&q, 0);
		pool_submit(p, loops[0].r, &hold.j);
		gate_wait_for(1);
		submit(p, loops[0].r, &q.j, &mp, fake);
		h2o_mem_clear_pool(&mp);
		gate_set(1);
		T_CHECK(run_until(&loops[0], &q.dones, 1) == 0 && q.req_at_done == NULL && q.ran == 1 &&
		            hold.dones == 1,
		        "disposed while queued: done runs once and sees req NULL");
	}

	/* 3. Sent back by the worker, disposed of before the loop received it. */
	h2o_mem_init_pool(&mp);
	tjob_init(&t, 0);
	submit(p, loops[0].r, &t.j, &mp, fake);
	T_CHECK(drained(p) == 0 && t.dones == 0, "the job is back in the loop's queue, not yet received");
	h2o_mem_clear_pool(&mp);
	T_CHECK(run_until(&loops[0], &t.dones, 1) == 0 && t.req_at_done == NULL,
	        "disposed between send and receive: done sees req NULL");

	/* 4. Done first (request alive), disposed of later: the watch must not touch the freed job. */
	h2o_mem_init_pool(&mp);
	tjob_init(&t, 0);
	t.poison = 1;
	submit(p, loops[0].r, &t.j, &mp, fake);
	T_CHECK(run_until(&loops[0], &t.dones, 1) == 0 && t.req_at_done == fake,
	        "request alive: done sees its req");
	h2o_mem_clear_pool(&mp);
	T_CHECK(poisoned(&t) && t.dones == 1, "disposed after done: the finished job is not written to");

	/* 5. Done disposes of the request itself (the response ends it). */
	h2o_mem_init_pool(&mp);
	tjob_init(&t, 0);
	t.clear_in_done = &mp;
	t.poison = 1;
	submit(p, loops[0].r, &t.j, &mp, fake);
	T_CHECK(run_until(&loops[0], &t.dones, 1) == 0 && t.req_at_done == fake && poisoned(&t),
	        "disposed from inside done: done saw req, the job is not written to afterwards");

	/* 6. The real entry point: pool_submit_req watches req->pool. */
	{
		h2o_req_t *req = calloc(1, sizeof *req);
		h2o_mem_init_pool(&req->pool);
		tjob_init(&t, 0);
		T_CHECK(pool_submit_req(p, loops[0].r, &t.j, req) == 0 && t.j.req == req,
		        "pool_submit_req sets req");
		T_CHECK(run_until(&loops[0], &t.dones, 1) == 0 && t.req_at_done == req && t.j.watch == NULL,
		        "pool_submit_req: done sees req, the watch is detached");
		h2o_mem_clear_pool(&req->pool);
		free(req);

		req = calloc(1, sizeof *req);
		h2o_mem_init_pool(&req->pool);
		tjob_init(&t, 0);
		gate_set(0);
		t.block = 1;
		pool_submit_req(p, loops[0].r, &t.j, req);
		gate_wait_for(1);
		h2o_mem_clear_pool(&req->pool); /* what h2o_dispose_request does */
		free(req);
		gate_set(1);
		T_CHECK(run_until(&loops[0], &t.dones, 1) == 0 && t.req_at_done == NULL,
		        "pool_submit_req: request freed while running, done sees req NULL");
	}

	run_for(&loops[0], 20);
	loop_close(&loops[0]);
	pool_free(p);
}

static void *open_gate_later(void *arg)
{
	struct timespec ms100 = {0, 100000000};

	(void)arg;
	nanosleep(&ms100, NULL);
	gate_set(1);
	return NULL;
}

/* pool_receiver_free: queued jobs come back cancelled, the running one is waited for. */
static void test_receiver_free(void)
{
	struct tjob a[4], b[3];
	h2o_mem_pool_t mp;
	h2o_req_t *fake = (h2o_req_t *)&mp;
	pool *p = pool_new(1);
	pthread_t opener;
	int cancelled_ok = 1, b_ok = 1;

	h2o_mem_init_pool(&mp);
	loop_open(&loops[0], p);
	loop_open(&loops[1], p); /* a second loop on the same thread: B */
	gate_set(0);
	for (int i = 0; i < 4; i++) {
		tjob_init(&a[i], 0);
		a[i].block = i == 0;
	}
	for (int i = 0; i < 3; i++)
		tjob_init(&b[i], 1);
	submit(p, loops[0].r, &a[0].j, &mp, fake);
	T_CHECK(gate_wait_for(1) == 0, "A's first job holds the only worker");
	submit(p, loops[0].r, &a[1].j, &mp, fake);
	pool_submit(p, loops[1].r, &b[0].j);
	pool_submit(p, loops[0].r, &a[2].j);
	pool_submit(p, loops[1].r, &b[1].j);
	submit(p, loops[0].r, &a[3].j, &mp, fake);
	pool_submit(p, loops[1].r, &b[2].j);
	T_CHECK(pool_depth(p) == 7, "7 jobs out (%u)", pool_depth(p));

	pthread_create(&opener, NULL, open_gate_later, NULL);
	pool_receiver_free(loops[0].r); /* blocks until A's running job finished */
	pthread_join(opener, NULL);
	loops[0].r = NULL;
	T_CHECK(a[0].dones == 1 && a[0].ran == 1 && !a[0].cancelled && a[0].req_at_done == fake,
	        "the running job was waited for; its done ran in pool_receiver_free, not cancelled");
	for (int i = 1; i < 4; i++)
		cancelled_ok &= a[i].dones == 1 && a[i].ran == 0 && a[i].cancelled &&
		                a[i].req_at_done == NULL && a[i].done_on_owner && a[i].j.watch == NULL;
	T_CHECK(cancelled_ok, "the queued jobs came back cancelled: done once, run never, req NULL");
	T_CHECK(loops[1].done == 0, "B received nothing yet");
	T_CHECK(run_until(&loops[1], &loops[1].done, 3) == 0, "B's jobs still run and come back to B");
	for (int i = 0; i < 3; i++)
		b_ok &= b[i].dones == 1 && b[i].ran == 1 && !b[i].cancelled && b[i].done_on_owner;
	T_CHECK(b_ok && loops[1].foreign == 0, "B got only its own jobs, none cancelled");
	for (int i = 0; i < 4; i++)
		memset(&a[i].j, POISON, sizeof a[i].j);
	h2o_mem_clear_pool(&mp); /* A's requests end after their jobs came back */
	cancelled_ok = 1;
	for (int i = 0; i < 4; i++)
		cancelled_ok &= poisoned(&a[i]);
	T_CHECK(cancelled_ok, "disposing of A's requests afterwards does not touch their jobs");
	T_CHECK(pool_depth(p) == 0, "pool_depth is 0");

	h2o_evloop_run(loops[0].loop, 0);
	h2o_evloop_destroy(loops[0].loop);
	my_loops &= ~1u;
	loop_close(&loops[1]);
	pool_free(p);
	memset(loops, 0, sizeof loops);
}

int main(void)
{
	test_limits();
	test_many();
	test_bound();
	test_several_loops();
	test_watch();
	test_receiver_free();
	T_DONE();
}
