/*
 * test_dbpool.c: coroutines (issuer/runtime/coro.c) and the pool of store
 * connections on worker threads (issuer/runtime/dbpool.c), on real SQLite files
 * and a real H2O evloop on the test's main thread (the "loop").
 *
 * Coroutines: one suspends on the loop, is continued on another thread and
 * back, and ends; CORO_MAX (set small here) alive at once refuses one more.
 * The pool: a call from a coroutine runs on a worker (its callback sees a
 * worker thread) and returns on the loop; while a write waits for SQLite's
 * lock (held by another connection), the loop keeps turning; a transaction's
 * code runs on one worker and its rollback and commit take effect; a call that
 * waited longer than the pool's timeout is refused BUSY without running; past
 * DBPOOL_MAX_QUEUE waiting calls, BUSY at once; one code raced by a hundred
 * coroutines is taken once; dbpool_home_free waits for a call still out. Then
 * the store contract suite runs through the pool's handle (calls from outside
 * coroutines: the direct connection), which checks that every forwarded
 * operation passes its arguments and answers through unchanged.
 */
#define CORO_MAX         160
#define DBPOOL_MAX_QUEUE 64
#include "../../issuer/runtime/coro.c"
#include "../../issuer/runtime/dbpool.c"
#include "../../issuer/runtime/reqlog.c"
#include "../../issuer/store/store.c"
#include "../../issuer/store/valid.c"
#include "../../issuer/store/columns.c"
#include "../../issuer/store/store_sqlite.c"
#include "../../issuer/store/store_pg.c"
#include "../test.h"
#include "store_contract.h"

#include <dirent.h>

static char dir[64];
static h2o_loop_t *loop;
static pthread_t main_thread;

static void rm_dir(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[512];

	if (!d)
		return;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.') {
			snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
			unlink(p);
		}
	closedir(d);
	rmdir(dir);
}

static int64_t ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Turn the loop until *flag is set (or 10 s went by); the longest gap between two turns, ms. */
static int64_t spin_until(const int *flag)
{
	int64_t start = ms_now(), last = start, gap = 0;

	while (!*flag && ms_now() - start < 10000) {
		h2o_evloop_run(loop, 5);
		if (ms_now() - last > gap)
			gap = ms_now() - last;
		last = ms_now();
	}
	return gap;
}

/* pthread_self, asked anew: glibc declares it const, so the compiler may reuse
 * its answer across a switch that moved the coroutine to another thread. */
__attribute__((noinline)) static pthread_t self(void)
{
	__asm__ volatile("" ::: "memory");
	return pthread_self();
}

/* ---- coroutines ---- */

static coro *parked;
static int steps;
static pthread_t seen[3];

static void park(coro *c, void *arg)
{
	(void)arg;
	parked = c;
}

static void hop(void *arg)
{
	(void)arg;
	seen[steps++] = self();
	coro_suspend(park, NULL);
	seen[steps++] = self();
	coro_suspend(park, NULL);
	seen[steps++] = self();
}

static void *resume_here(void *arg)
{
	(void)arg;
	coro_resume(parked);
	return NULL;
}

static void sleep_forever(void *arg)
{
	(void)arg;
	coro_suspend(park, NULL);
}

static void test_coro(void)
{
	pthread_t other;
	coro *held[CORO_MAX];
	int n = 0, refused;

	T_CHECK(coro_self() == NULL, "outside any coroutine, coro_self is NULL");
	T_CHECK(coro_start(hop, NULL) == 0 && steps == 1 && coro_alive() == 1,
	        "a started coroutine runs until it suspends, and is alive");
	pthread_create(&other, NULL, resume_here, NULL);
	pthread_join(other, NULL);
	T_CHECK(steps == 2 && pthread_equal(seen[0], main_thread) && pthread_equal(seen[1], other),
	        "resumed on another thread, it runs there");
	coro_resume(parked);
	T_CHECK(steps == 3 && pthread_equal(seen[2], main_thread) && coro_alive() == 0,
	        "resumed back here, it runs to its end and its stack is released");
	while (n < CORO_MAX && coro_start(sleep_forever, NULL) == 0)
		held[n++] = parked;
	refused = coro_start(sleep_forever, NULL) != 0;
	T_CHECK(n == CORO_MAX && refused, "%d coroutines alive at once, and one more is refused (%d)",
	        CORO_MAX, n);
	while (n)
		coro_resume(held[--n]);
	T_CHECK(coro_alive() == 0, "all of them ended");
}

/* ---- the pool ---- */

static dbpool *pool;
static store *db; /* the pool's handle */
static char where[128];

/* Another connection of this process holding SQLite's write lock (BEGIN IMMEDIATE). */
static sqlite3 *holder;

static void hold_lock(void)
{
	sqlite3_open(where, &holder);
	sqlite3_exec(holder, "BEGIN IMMEDIATE", NULL, NULL, NULL);
}

static void release_lock(void)
{
	sqlite3_exec(holder, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(holder);
	holder = NULL;
}

static void on_release(h2o_timeout_entry_t *e)
{
	(void)e;
	release_lock();
}

static h2o_timeout_t release_timeout;
static h2o_timeout_entry_t release_entry = {.cb = on_release};

/* Release the lock from the loop after h2o's timeout (ms given to h2o_timeout_init). */
static void release_later(void)
{
	h2o_timeout_link(loop, &release_timeout, &release_entry);
}

static struct store_code a_code(const char *secret)
{
	struct store_code c = {0};

	snprintf((char *)c.code_hash, sizeof c.code_hash, "%s", secret);
	c.code_hash_len = 32;
	strcpy(c.client_id, "c1");
	strcpy(c.user_id, "u1");
	strcpy(c.redirect_uri, "https://app.example/cb");
	strcpy(c.scope, "openid");
	c.expires_at = 4000000000;
	return c;
}

struct job {
	int done;
	store_err e, e2;
	pthread_t during, after, in_tx;
	struct store_code code;
};

static int on_list(void *ctx, const struct store_client *c)
{
	(void)c;
	((struct job *)ctx)->during = pthread_self();
	return 0;
}

static void put_and_list(void *arg)
{
	struct job *j = arg;
	struct store_client c = {0};
	struct store_user u = user("u1", "alice", "");

	strcpy(c.id, "c1");
	strcpy(c.grants, "client_credentials");
	c.is_public = 1;
	j->e = store_client_put(db, &c);
	if (j->e == STORE_OK)
		j->e = store_user_put(db, &u);
	j->e2 = store_client_list(db, on_list, j);
	j->after = self();
	j->done = 1;
}

static void put_code(void *arg)
{
	struct job *j = arg;

	j->e = store_code_put(db, &j->code);
	j->after = self();
	j->done = 1;
}

static void take_code(void *arg)
{
	struct job *j = arg;
	struct store_code out;

	j->e = store_code_take(db, j->code.code_hash, j->code.code_hash_len, 1700000000, &out);
	j->done = 1;
}

/* Put a code in a transaction: rolled back when j->e2 is 0, committed otherwise. */
static void tx_code(void *arg)
{
	struct job *j = arg;
	int commit = j->e2 != 0;

	j->e = store_tx_begin(db);
	if (j->e == STORE_OK)
		j->e = store_code_put(db, &j->code);
	j->in_tx = self();
	j->e2 = store_tx_end(db, commit);
	j->after = self();
	j->done = 1;
}

static void test_calls(void)
{
	struct job j = {0};

	T_CHECK(coro_start(put_and_list, &j) == 0 && !j.done, "a store call suspends its coroutine");
	spin_until(&j.done);
	T_CHECK(j.done && j.e == STORE_OK && j.e2 == STORE_OK, "the calls answer OK");
	T_CHECK(!pthread_equal(j.during, main_thread), "the call ran on a worker thread, not the loop");
	T_CHECK(pthread_equal(j.after, main_thread), "and the coroutine came back to its loop");
	{
		uint64_t count, bucket[DBPOOL_BUCKETS], in_buckets = 0;
		double sum;
		dbpool_latency(pool, OP_client_put, &count, &sum, bucket);
		for (size_t b = 0; b < DBPOOL_BUCKETS; b++)
			in_buckets += bucket[b];
		T_CHECK(count == 1 && in_buckets == 1 && sum > 0 &&
		            !strcmp(dbpool_op_name(OP_client_put), "client_put") &&
		            dbpool_op_name(dbpool_ops()) == NULL,
		        "the call is timed under its operation's name (%llu call, %.6f s)",
		        (unsigned long long)count, sum);
	}
}

static void test_loop_free(void)
{
	struct job j = {.code = a_code("loop-free")};
	int64_t t0 = ms_now(), gap;

	hold_lock();
	release_later();
	coro_start(put_code, &j);
	gap = spin_until(&j.done);
	T_CHECK(j.done && j.e == STORE_OK && ms_now() - t0 >= 250,
	        "a write waited %lld ms for SQLite's lock, then succeeded", (long long)(ms_now() - t0));
	T_CHECK(gap < 100, "meanwhile the loop kept turning (longest gap %lld ms)", (long long)gap);
}

static void test_pool_tx(void)
{
	struct job roll = {.code = a_code("tx-roll")}, keep = {.code = a_code("tx-keep"), .e2 = 1};
	struct job t1 = {.code = roll.code}, t2 = {.code = keep.code};

	coro_start(tx_code, &roll);
	spin_until(&roll.done);
	coro_start(tx_code, &keep);
	spin_until(&keep.done);
	T_CHECK(roll.e == STORE_OK && roll.e2 == STORE_OK && keep.e == STORE_OK && keep.e2 == STORE_OK,
	        "two transactions begin, put and end");
	T_CHECK(!pthread_equal(roll.in_tx, main_thread) && pthread_equal(roll.after, main_thread),
	        "between tx_begin and tx_end the coroutine stays on a worker, then comes home");
	coro_start(take_code, &t1);
	spin_until(&t1.done);
	coro_start(take_code, &t2);
	spin_until(&t2.done);
	T_CHECK(t1.e == STORE_NOT_FOUND && t2.e == STORE_OK,
	        "the rolled-back code is not there, the committed one is");
}

static unsigned queued_now(dbpool *p)
{
	unsigned n;

	pthread_mutex_lock(&p->lock);
	n = p->queued;
	pthread_mutex_unlock(&p->lock);
	return n;
}

/* One worker, timeout 100 ms: the worker waits 400 ms for the lock; a second call
 * waits behind it past its timeout; then DBPOOL_MAX_QUEUE more fill the queue. */
static void test_bounds(void)
{
	struct job first = {.code = a_code("first")}, late = {.code = a_code("late")}, check = {0};
	struct job extra[DBPOOL_MAX_QUEUE + 4];
	char err[256];
	dbpool *one = dbpool_new(where, 1, 100, err, sizeof err);
	store *keep = db;
	int busy_at_once = 0, queued = 0;

	T_CHECK(one != NULL, "a pool of one connection (%s)", one ? "ok" : err);
	if (!one)
		return;
	db = dbpool_store(one);
	hold_lock();
	release_later();
	coro_start(put_code, &first);
	for (int i = 0; i < 500 && queued_now(one); i++) /* until the worker holds it */
		usleep(1000);
	coro_start(put_code, &late);
	for (size_t i = 0; i < sizeof extra / sizeof extra[0]; i++) {
		extra[i] = (struct job){.code = a_code("extra")};
		coro_start(take_code, &extra[i]);
		if (extra[i].done && extra[i].e == STORE_BUSY)
			busy_at_once++;
		else
			queued++;
	}
	T_CHECK(queued == DBPOOL_MAX_QUEUE - 1 && busy_at_once == 5,
	        "past %d waiting calls the rest are refused BUSY at once (%d queued, %d refused)",
	        DBPOOL_MAX_QUEUE, queued + 1, busy_at_once);
	spin_until(&first.done);
	spin_until(&late.done);
	for (size_t i = 0; i < sizeof extra / sizeof extra[0]; i++)
		spin_until(&extra[i].done);
	T_CHECK(first.e == STORE_OK, "the call the worker held succeeded once the lock was free");
	T_CHECK(late.e == STORE_BUSY, "the call queued behind it past the timeout is refused BUSY");
	check.code = late.code;
	coro_start(take_code, &check);
	spin_until(&check.done);
	T_CHECK(check.e == STORE_NOT_FOUND, "and never ran (its code is not there)");
	db = keep;
	dbpool_free(one);
}

static void test_race(void)
{
	enum { N = 60 }; /* fewer than DBPOOL_MAX_QUEUE: none refused */
	static struct job j[N];
	struct job put = {.code = a_code("raced")};
	int ok = 0, gone = 0;

	coro_start(put_code, &put);
	spin_until(&put.done);
	for (int i = 0; i < N; i++) {
		j[i] = (struct job){.code = put.code};
		coro_start(take_code, &j[i]);
	}
	for (int i = 0; i < N; i++) {
		spin_until(&j[i].done);
		ok += j[i].e == STORE_OK;
		gone += j[i].e == STORE_NOT_FOUND;
	}
	T_CHECK(put.e == STORE_OK && ok == 1 && gone == N - 1,
	        "one code raced by %d coroutines through 4 workers is taken once (%d taken, %d not found)", N,
	        ok, gone);
}

static void test_home_free(void)
{
	struct job j = {.code = a_code("home")};
	dbpool_home *h = home_here;

	hold_lock();
	release_later();
	coro_start(put_code, &j);
	dbpool_home_free(h);
	T_CHECK(j.done && j.e == STORE_OK, "dbpool_home_free waits for the call still out");
	T_CHECK(dbpool_home_new(loop) != NULL, "a new home");
}

/* ---- the contract, through the handle ---- */

static struct store_ops pooled_ops;

static store *pooled_open(const char *w, char *err, size_t n)
{
	dbpool *p = dbpool_new(w, 2, 0, err, n);

	if (p) /* store_close on the handle frees the pool (pooled_close) */
		p->handle.ops = &pooled_ops;
	/* Its direct connection now, as a backend's open connects: the contract opens a
	 * second store before a transaction to see its effects from outside. */
	if (p && store_ping(dbpool_store(p)) != STORE_OK) {
		snprintf(err, n, "%s", store_errmsg(dbpool_store(p)));
		dbpool_free(p);
		return NULL;
	}
	return p ? dbpool_store(p) : NULL;
}

static void pooled_close(store *s)
{
	dbpool_free((dbpool *)s);
}

static int pooled_fresh(const char *name, char *w, size_t n)
{
	int len = snprintf(w, n, "%s/contract-%s.db", dir, name);

	return len < 0 || (size_t)len >= n || (unlink(w) != 0 && errno != ENOENT);
}

/* The pool's direct connection (a call from outside a coroutine opens it). */
static struct sq *direct_of(store *s)
{
	if (!((dbpool *)s)->direct)
		(void)store_ping(s);
	return (struct sq *)((dbpool *)s)->direct;
}

static int64_t pooled_count(store *s, const char *sql)
{
	int64_t v = -1;

	return sq_int(direct_of(s)->db, sql, &v) == SQLITE_OK ? v : -1;
}

static int pooled_exec(store *s, const char *sql)
{
	return sqlite3_exec(direct_of(s)->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

static int pooled_schema_once(store *s)
{
	return pooled_count(s, "PRAGMA user_version") == SQ_SCHEMA_VERSION &&
	       pooled_count(s, "SELECT count(*) FROM sqlite_schema WHERE type = 'table'") == 14;
}

int main(void)
{
	char err[256];
	store *first;

	main_thread = pthread_self();
	snprintf(dir, sizeof dir, "/tmp/test_dbpool.XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	atexit(rm_dir);
	test_coro();

	snprintf(where, sizeof where, "%s/pool.db", dir);
	first = store_open(where, err, sizeof err); /* made and migrated once, as app_start does */
	store_close(first);
	loop = h2o_evloop_create();
	h2o_timeout_init(loop, &release_timeout, 300);
	pool = dbpool_new(where, 4, 0, err, sizeof err);
	T_CHECK(pool != NULL && dbpool_home_new(loop) != NULL, "a pool of 4 connections (%s)",
	        pool ? "ok" : err);
	if (!pool)
		T_DONE();
	db = dbpool_store(pool);
	test_calls();
	test_loop_free();
	test_pool_tx();
	test_bounds();
	test_race();
	test_home_free();
	for (int i = 0; i < 100 && dbpool_depth(pool); i++) /* a worker counts its call done last */
		usleep(10000);
	T_CHECK(dbpool_depth(pool) == 0 && coro_alive() == 0, "nothing left waiting, no coroutine alive");
	dbpool_home_free(home_here);
	dbpool_free(pool);

	pooled_ops = pool_ops;
	pooled_ops.name = "pool";
	pooled_ops.open = pooled_open;
	pooled_ops.close = pooled_close;
	contract_run(&(struct store_contract){.ops = &pooled_ops,
	                                      .fresh = pooled_fresh,
	                                      .count = pooled_count,
	                                      .exec = pooled_exec,
	                                      .schema_once = pooled_schema_once});
	T_DONE();
}
