/*
 * dbpool.c: the pool of store connections on worker threads (see dbpool.h).
 *
 * One call is a `struct call` on the calling coroutine's own stack (it lives as
 * long as the call). Its way: on the loop, enter() suspends the coroutine with
 * `enqueue`, which (on the loop's stack, the coroutine switched away) puts the
 * call in the FIFO; a worker pops it, sets `conn` and resumes the coroutine,
 * which makes the call on that connection; leave() suspends it with `go_home`,
 * which (on the worker's stack) sends the call to its home loop's queue; the
 * loop's receiver resumes it there, and the forwarding function returns. A
 * worker never touches a call after sending it home.
 *
 * In a transaction the coroutine stays on the worker from tx_begin to tx_end:
 * calls made meanwhile find they run on a worker (worker_self) and use its
 * connection directly; tx_end's leave sends the coroutine home. A coroutine that
 * ended inside a transaction (a handler's bug) has it rolled back by the worker.
 *
 * Every forwarding function has the same shape: FORWARD writes them.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <h2o/multithread.h>

#include "runtime/coro.h"
#include "runtime/dbpool.h"
#include "runtime/reqlog.h"

/* Every operation of the handle, for its latency histogram (idb_store_call_duration_seconds). */
#define DBPOOL_OPS(X)                                                                                        \
	X(tx_begin)                                                                                          \
	X(tx_end)                                                                                            \
	X(ping)                                                                                              \
	X(backup)                                                                                            \
	X(raw_each)                                                                                          \
	X(raw_put)                                                                                           \
	X(client_put)                                                                                        \
	X(client_get)                                                                                        \
	X(client_list)                                                                                       \
	X(client_delete)                                                                                     \
	X(client_update)                                                                                     \
	X(key_put)                                                                                           \
	X(key_list)                                                                                          \
	X(key_retire)                                                                                        \
	X(key_set_private)                                                                                   \
	X(key_purge)                                                                                         \
	X(revoke_put)                                                                                        \
	X(revoke_check)                                                                                      \
	X(revoke_purge)                                                                                      \
	X(code_put)                                                                                          \
	X(code_take)                                                                                         \
	X(code_purge)                                                                                        \
	X(user_put)                                                                                          \
	X(user_get)                                                                                          \
	X(user_get_by_name)                                                                                  \
	X(user_list)                                                                                         \
	X(user_delete)                                                                                       \
	X(user_set_password)                                                                                 \
	X(user_update)                                                                                       \
	X(user_end_sessions)                                                                                 \
	X(user_get_by_email)                                                                                 \
	X(link_put)                                                                                          \
	X(link_get)                                                                                          \
	X(link_take)                                                                                         \
	X(link_end)                                                                                          \
	X(link_count)                                                                                        \
	X(link_purge)                                                                                        \
	X(login_admit)                                                                                       \
	X(login_failed)                                                                                      \
	X(login_clear)                                                                                       \
	X(login_unlock)                                                                                      \
	X(login_get)                                                                                         \
	X(login_purge)                                                                                       \
	X(session_put)                                                                                       \
	X(session_get)                                                                                       \
	X(session_delete)                                                                                    \
	X(session_purge)                                                                                     \
	X(refresh_put)                                                                                       \
	X(refresh_get)                                                                                       \
	X(refresh_rotate)                                                                                    \
	X(refresh_revoke_family)                                                                             \
	X(refresh_revoke_session)                                                                            \
	X(refresh_purge)                                                                                     \
	X(flow_put)                                                                                          \
	X(flow_get)                                                                                          \
	X(flow_set_user)                                                                                     \
	X(flow_take)                                                                                         \
	X(flow_purge)                                                                                        \
	X(consent_put)                                                                                       \
	X(consent_get)                                                                                       \
	X(outbox_put)                                                                                        \
	X(outbox_claim)                                                                                      \
	X(outbox_done)                                                                                       \
	X(outbox_retry)                                                                                      \
	X(outbox_get)                                                                                        \
	X(outbox_count)                                                                                      \
	X(outbox_purge)                                                                                      \
	X(session_list)                                                                                      \
	X(factor_put)                                                                                        \
	X(factor_list)                                                                                       \
	X(factor_by_cred)                                                                                    \
	X(factor_use)                                                                                        \
	X(factor_swap)                                                                                       \
	X(factor_delete)                                                                                     \
	X(factor_clear)                                                                                      \
	X(challenge_put)                                                                                     \
	X(challenge_take)                                                                                    \
	X(challenge_purge)

enum {
#define OP_ENUM(n) OP_##n,
	DBPOOL_OPS(OP_ENUM)
#undef OP_ENUM
	    OP_COUNT
};

static const char *const op_names[OP_COUNT] = {
#define OP_NAME(n) #n,
    DBPOOL_OPS(OP_NAME)
#undef OP_NAME
};

/* see dbpool.h */
const double dbpool_bucket_le[DBPOOL_BUCKETS] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                 0.05,   0.1,     0.25,   0.5,   1,      2.5,   5};

/* One operation's calls: how many, their total time, and how many ended in each bucket. */
struct latency {
	atomic_ullong count, sum_us, bucket[DBPOOL_BUCKETS];
};

struct dbpool_home {
	h2o_multithread_receiver_t receiver;
	h2o_multithread_queue_t *queue;
	h2o_loop_t *loop;
	atomic_uint out; /* calls of this loop's coroutines not yet back */
};

struct call {
	h2o_multithread_message_t msg; /* its way home */
	dbpool *p;
	coro *c;
	dbpool_home *home;
	store *conn; /* the worker's connection; NULL: refused (the answer is BUSY) */
	int64_t queued_ms;
	int64_t t0_us; /* when the handler made the call (monotonic) */
	int op;        /* OP_*: which operation */
	int on_worker; /* a worker took it: it must be sent home */
	int direct;    /* ran on the calling thread, under the direct connection's lock */
	char err[160]; /* the connection's detail of a failure, carried home */
	struct call *next;
};

struct worker {
	dbpool *p;
	store *conn;
	pthread_t thread;
	int started;
	dbpool_home *tx_home; /* in a transaction: the coroutine's home, else NULL */
};

struct dbpool {
	store handle; /* first: the handle is the pool */
	pthread_mutex_t lock;
	pthread_cond_t work;
	struct call *head, *tail;
	unsigned queued, running, n;
	int stop, timeout_ms;
	struct worker workers[DBPOOL_MAX];
	store *direct; /* opened by the first call from outside a coroutine */
	pthread_mutex_t direct_lock;
	char *where;
	atomic_ullong failed; /* calls that failed (dbpool_failed) */
	struct latency latency[OP_COUNT];
};

static __thread struct worker *worker_here;
static __thread dbpool_home *home_here;
static __thread char last_err[160];
static __thread dbpool *direct_tx; /* the pool whose direct connection this thread holds for a
                                      transaction, or NULL */

static const struct store_ops pool_ops;

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Thread-local reads that are never cached across a coroutine's switch: not
 * inlined, and (the empty asm) never taken by the compiler for pure functions. */
__attribute__((noinline)) static struct worker *worker_self(void)
{
	__asm__ volatile("" ::: "memory");
	return worker_here;
}
__attribute__((noinline)) static dbpool_home *home_self(void)
{
	__asm__ volatile("" ::: "memory");
	return home_here;
}
__attribute__((noinline)) static dbpool *direct_tx_self(void)
{
	__asm__ volatile("" ::: "memory");
	return direct_tx;
}
__attribute__((noinline)) static void set_direct_tx(dbpool *p)
{
	direct_tx = p;
}
__attribute__((noinline)) static void note_err(const char *msg)
{
	snprintf(last_err, sizeof last_err, "%s", msg);
}

/* On the loop, the coroutine switched away: queue the call, or answer it BUSY at once. */
static void enqueue(coro *c, void *arg)
{
	struct call *k = arg;
	dbpool *p = k->p;
	int refused;

	pthread_mutex_lock(&p->lock);
	if ((refused = p->stop || p->queued >= DBPOOL_MAX_QUEUE) == 0) {
		k->next = NULL;
		if (p->tail)
			p->tail->next = k;
		else
			p->head = k;
		p->tail = k;
		p->queued++;
		atomic_fetch_add(&k->home->out, 1);
		pthread_cond_signal(&p->work);
	}
	pthread_mutex_unlock(&p->lock);
	if (refused)
		coro_resume(c); /* k->conn is NULL: the call answers BUSY here */
}

/* On the worker, the coroutine switched away: send it to its loop. */
static void go_home(coro *c, void *arg)
{
	struct call *k = arg;
	dbpool_home *h = k->home;

	(void)c;
	h2o_multithread_send_message(&h->receiver, &k->msg); /* the loop's from here */
}

/* On the loop: the calls come home; each coroutine continues where it left. */
static void on_home(h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages)
{
	dbpool_home *h = H2O_STRUCT_FROM_MEMBER(dbpool_home, receiver, receiver);

	while (!h2o_linklist_is_empty(messages)) {
		struct call *k = H2O_STRUCT_FROM_MEMBER(struct call, msg.link, messages->next);
		h2o_linklist_unlink(&k->msg.link);
		atomic_fetch_sub(&h->out, 1);
		coro_resume(k->c);
	}
}

/* The connection this call runs on (the coroutine may have moved to a worker by
 * the time it returns), or NULL when refused. */
static store *enter(store *s, struct call *k, int op)
{
	dbpool *p = (dbpool *)s;
	struct worker *w = worker_self();

	memset(k, 0, sizeof *k);
	k->op = op;
	k->t0_us = now_us();
	if (w) /* inside a transaction, on its worker */
		return k->conn = w->conn;
	if (direct_tx_self() == p) /* inside a transaction on the direct connection */
		return k->conn = p->direct;
	if (!(k->c = coro_self()) || !(k->home = home_self())) {
		pthread_mutex_lock(&p->direct_lock);
		k->direct = 1;
		if (!p->direct && !(p->direct = store_open(p->where, k->err, sizeof k->err)))
			return NULL; /* BUSY, with open's reason */
		return k->conn = p->direct;
	}
	k->p = p;
	k->queued_ms = now_ms();
	coro_suspend(enqueue, k);
	return k->conn;
}

/* The call's time, from the handler's call to its answer, in its histogram. */
static void record(dbpool *p, const struct call *k)
{
	struct latency *l = &p->latency[k->op];
	int64_t us = now_us() - k->t0_us;
	size_t b = 0;

	if (us < 0)
		us = 0;
	while (b < DBPOOL_BUCKETS && (double)us > dbpool_bucket_le[b] * 1e6)
		b++;
	if (b < DBPOOL_BUCKETS)
		atomic_fetch_add_explicit(&l->bucket[b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&l->sum_us, (unsigned long long)us, memory_order_relaxed);
	atomic_fetch_add_explicit(&l->count, 1, memory_order_relaxed);
}

/* After the call: back to the loop, or out of the direct connection's lock.
 * stay (a transaction began): keep the worker, or the lock, until it ends. */
static void leave(store *s, struct call *k, store_err e, int stay)
{
	dbpool *p = (dbpool *)s;

	if (k->conn && e != STORE_OK)
		snprintf(k->err, sizeof k->err, "%s", k->conn->ops->errmsg(k->conn));
	if (k->direct) {
		if (stay)
			set_direct_tx(p);
		else
			pthread_mutex_unlock(&p->direct_lock);
	} else if (k->on_worker) {
		if (stay) {
			record(p, k);
			worker_self()->tx_home = k->home;
			return;
		}
		coro_suspend(go_home, k);
	}
	record(p, k);
	if (e >= STORE_INVALID)
		atomic_fetch_add_explicit(&p->failed, 1, memory_order_relaxed);
	if (e != STORE_OK)
		note_err(k->err);
}

static store_err busy(struct call *k)
{
	if (!k->err[0])
		snprintf(k->err, sizeof k->err, "no database connection free within the timeout");
	return STORE_BUSY;
}

/* The forwarding function of op name: the same call on the connection enter gives. */
#define FORWARD(name, params, ...)                                                                           \
	static store_err fw_##name params                                                                    \
	{                                                                                                    \
		struct call k;                                                                               \
		store *db_ = enter(s, &k, OP_##name);                                                        \
		store_err e = db_ ? db_->ops->name(db_, __VA_ARGS__) : busy(&k);                             \
		leave(s, &k, e, 0);                                                                          \
		return e;                                                                                    \
	}

/* tx_begin: when it succeeds, the coroutine keeps its worker (or the direct
 * connection's lock) until tx_end. */
static store_err fw_tx_begin(store *s)
{
	struct call k;
	store *db = enter(s, &k, OP_tx_begin);
	store_err e = db ? db->ops->tx_begin(db) : busy(&k);

	leave(s, &k, e, e == STORE_OK && (k.on_worker || k.direct));
	return e;
}

/* tx_end: on the transaction's worker (or direct connection); then home (or unlocked). */
static store_err fw_tx_end(store *s, int commit)
{
	dbpool *p = (dbpool *)s;
	struct worker *w = worker_self();
	struct call k;
	store *db;
	store_err e;

	if (w && w->tx_home) {
		memset(&k, 0, sizeof k);
		k.op = OP_tx_end;
		k.t0_us = now_us();
		k.c = coro_self();
		k.home = w->tx_home;
		k.conn = w->conn;
		k.on_worker = 1;
		w->tx_home = NULL;
		e = w->conn->ops->tx_end(w->conn, commit);
		leave(s, &k, e, 0);
		return e;
	}
	if (direct_tx_self() == p) {
		e = p->direct->ops->tx_end(p->direct, commit);
		set_direct_tx(NULL);
		pthread_mutex_unlock(&p->direct_lock);
		return e;
	}
	db = enter(s, &k, OP_tx_end); /* no transaction: the backend answers INVALID */
	e = db ? db->ops->tx_end(db, commit) : busy(&k);
	leave(s, &k, e, 0);
	return e;
}

static store_err fw_ping(store *s)
{
	struct call k;
	store *db = enter(s, &k, OP_ping);
	store_err e = db ? db->ops->ping(db) : busy(&k);

	leave(s, &k, e, 0);
	return e;
}

FORWARD(backup, (store * s, const char *to, int replace), to, replace)
FORWARD(raw_each, (store * s, size_t t, store_raw_cb cb, void *ctx), t, cb, ctx)
FORWARD(raw_put, (store * s, size_t t, const struct store_value *v, size_t n, int merge), t, v, n, merge)
FORWARD(client_put, (store * s, const struct store_client *c), c)
FORWARD(client_get, (store * s, const char *id, struct store_client *out), id, out)
FORWARD(client_list, (store * s, store_client_cb cb, void *ctx), cb, ctx)
FORWARD(client_delete, (store * s, const char *id), id)
FORWARD(client_update, (store * s, const struct store_client *c), c)
FORWARD(key_put, (store * s, const struct store_key *key), key)
FORWARD(key_list, (store * s, int64_t now, store_key_cb cb, void *ctx), now, cb, ctx)
FORWARD(key_retire, (store * s, const char *kid, int64_t retired_at, int64_t expires_at), kid, retired_at,
        expires_at)
FORWARD(key_set_private, (store * s, const char *kid, const uint8_t *der, size_t len), kid, der, len)
FORWARD(key_purge, (store * s, int64_t now), now)
FORWARD(revoke_put, (store * s, const char *jti, int64_t expires_at), jti, expires_at)
FORWARD(revoke_check, (store * s, const char *jti, int64_t now, int *revoked), jti, now, revoked)
FORWARD(revoke_purge, (store * s, int64_t now), now)
FORWARD(code_put, (store * s, const struct store_code *c), c)
FORWARD(code_take, (store * s, const uint8_t *hash, size_t hash_len, int64_t now, struct store_code *out),
        hash, hash_len, now, out)
FORWARD(code_purge, (store * s, int64_t now), now)
FORWARD(user_put, (store * s, const struct store_user *u), u)
FORWARD(user_get, (store * s, const char *id, struct store_user *out), id, out)
FORWARD(user_get_by_name, (store * s, const char *username, struct store_user *out), username, out)
FORWARD(user_list, (store * s, store_user_cb cb, void *ctx), cb, ctx)
FORWARD(user_delete, (store * s, const char *username), username)
FORWARD(user_set_password, (store * s, const char *id, const char *hash), id, hash)
FORWARD(user_update, (store * s, const struct store_user *u), u)
FORWARD(user_end_sessions, (store * s, const char *id), id)
FORWARD(user_get_by_email, (store * s, const char *email, struct store_user *out), email, out)
FORWARD(link_put, (store * s, const struct store_link *l), l)
FORWARD(link_get,
        (store * s, const uint8_t *hash, size_t len, const char *kind, int64_t now, struct store_link *out),
        hash, len, kind, now, out)
FORWARD(link_take,
        (store * s, const uint8_t *hash, size_t len, const char *kind, int64_t now, struct store_link *out),
        hash, len, kind, now, out)
FORWARD(link_end, (store * s, const char *user_id, const char *kind), user_id, kind)
FORWARD(link_count, (store * s, const char *user_id, const char *kind, int64_t since, int *n), user_id, kind,
        since, n)
FORWARD(link_purge, (store * s, int64_t now), now)
FORWARD(login_admit,
        (store * s, const char *username, int64_t now, int threshold, int64_t period, int *admitted,
         int64_t *locked_until, int *locked_started),
        username, now, threshold, period, admitted, locked_until, locked_started)
FORWARD(login_failed,
        (store * s, const char *username, int64_t now, int threshold, int64_t period, int64_t *locked_until),
        username, now, threshold, period, locked_until)
FORWARD(login_clear, (store * s, const char *username, int64_t now), username, now)
FORWARD(login_unlock, (store * s, const char *username), username)
FORWARD(login_get, (store * s, const char *username, struct store_login *out), username, out)
FORWARD(login_purge, (store * s, int64_t now, int64_t period), now, period)
FORWARD(session_put, (store * s, const struct store_session *se), se)
FORWARD(session_get,
        (store * s, const uint8_t *hash, size_t hash_len, int64_t now, struct store_session *out), hash,
        hash_len, now, out)
FORWARD(session_delete, (store * s, const uint8_t *hash, size_t hash_len), hash, hash_len)
FORWARD(session_purge, (store * s, int64_t now), now)
FORWARD(refresh_put, (store * s, const struct store_refresh *r), r)
FORWARD(refresh_get,
        (store * s, const uint8_t *hash, size_t hash_len, int64_t now, struct store_refresh *out), hash,
        hash_len, now, out)
FORWARD(refresh_rotate,
        (store * s, const uint8_t *old_hash, size_t old_hash_len, const struct store_refresh *next,
         int64_t now, int64_t grace, struct store_refresh *old_out),
        old_hash, old_hash_len, next, now, grace, old_out)
FORWARD(refresh_revoke_family, (store * s, const char *family_id), family_id)
FORWARD(refresh_revoke_session, (store * s, const uint8_t *session_hash, size_t session_hash_len),
        session_hash, session_hash_len)
FORWARD(refresh_purge, (store * s, int64_t now), now)
FORWARD(flow_put, (store * s, const struct store_flow *f), f)
FORWARD(flow_get, (store * s, const uint8_t *hash, size_t hash_len, int64_t now, struct store_flow *out),
        hash, hash_len, now, out)
FORWARD(flow_set_user,
        (store * s, const uint8_t *hash, size_t hash_len, int64_t now, const char *user_id, int64_t auth_time,
         const char *amr, int mfa_pending),
        hash, hash_len, now, user_id, auth_time, amr, mfa_pending)
FORWARD(flow_take, (store * s, const uint8_t *hash, size_t hash_len, int64_t now, struct store_flow *out),
        hash, hash_len, now, out)
FORWARD(flow_purge, (store * s, int64_t now), now)
FORWARD(consent_put, (store * s, const char *user_id, const char *client_id, const char *scope, int64_t now),
        user_id, client_id, scope, now)
FORWARD(consent_get, (store * s, const char *user_id, const char *client_id, char *scope_out), user_id,
        client_id, scope_out)

FORWARD(outbox_put, (store * s, const struct store_mail *m), m)
FORWARD(outbox_claim, (store * s, int64_t now, int64_t lease, struct store_mail *out), now, lease, out)
FORWARD(outbox_done, (store * s, const char *id, int attempt, int64_t now), id, attempt, now)
FORWARD(outbox_retry,
        (store * s, const char *id, int attempt, int64_t now, int64_t next_at, const char *error), id,
        attempt, now, next_at, error)
FORWARD(outbox_get, (store * s, const char *id, struct store_mail *out), id, out)
FORWARD(outbox_count, (store * s, int64_t now, struct store_outbox_counts *out), now, out)
FORWARD(outbox_purge, (store * s, int64_t before), before)
FORWARD(session_list, (store * s, const char *user_id, int64_t now, store_session_cb cb, void *ctx), user_id,
        now, cb, ctx)
FORWARD(factor_put, (store * s, const struct store_factor *f), f)
FORWARD(factor_list, (store * s, const char *user_id, store_factor_cb cb, void *ctx), user_id, cb, ctx)
FORWARD(factor_by_cred, (store * s, const uint8_t *cred_id, size_t cred_id_len, struct store_factor *out),
        cred_id, cred_id_len, out)
FORWARD(factor_use, (store * s, const char *id, const char *user_id, int64_t counter, int64_t now), id,
        user_id, counter, now)
FORWARD(factor_swap,
        (store * s, const char *id, const char *user_id, const uint8_t *old, size_t old_len,
         const uint8_t *data, size_t data_len, int64_t now),
        id, user_id, old, old_len, data, data_len, now)
FORWARD(factor_delete, (store * s, const char *id, const char *user_id), id, user_id)
FORWARD(factor_clear, (store * s, const char *user_id, const char *kind, int *n), user_id, kind, n)
FORWARD(challenge_put,
        (store * s, const uint8_t *hash, size_t hash_len, const char *user_id, int64_t expires_at), hash,
        hash_len, user_id, expires_at)
FORWARD(challenge_take, (store * s, const uint8_t *hash, size_t hash_len, int64_t now, char *user_id), hash,
        hash_len, now, user_id)
FORWARD(challenge_purge, (store * s, int64_t now), now)

/* The handle is not opened on its own (dbpool_new) nor closed (dbpool_free). */
static store *handle_open(const char *where, char *err, size_t errlen)
{
	(void)where;
	snprintf(err, errlen, "a pool is made by dbpool_new");
	return NULL;
}

static void handle_close(store *s)
{
	(void)s;
}

/* The detail of the last failure of a call made from this thread. */
static const char *handle_errmsg(store *s)
{
	(void)s;
	return last_err;
}

static const struct store_ops pool_ops = {
    .name = "pool",
    .open = handle_open,
    .close = handle_close,
    .errmsg = handle_errmsg,
    .tx_begin = fw_tx_begin,
    .tx_end = fw_tx_end,
    .ping = fw_ping,
    .backup = fw_backup,
    .raw_each = fw_raw_each,
    .raw_put = fw_raw_put,
    .client_put = fw_client_put,
    .client_get = fw_client_get,
    .client_list = fw_client_list,
    .client_delete = fw_client_delete,
    .client_update = fw_client_update,
    .key_put = fw_key_put,
    .key_list = fw_key_list,
    .key_retire = fw_key_retire,
    .key_set_private = fw_key_set_private,
    .key_purge = fw_key_purge,
    .revoke_put = fw_revoke_put,
    .revoke_check = fw_revoke_check,
    .revoke_purge = fw_revoke_purge,
    .code_put = fw_code_put,
    .code_take = fw_code_take,
    .code_purge = fw_code_purge,
    .user_put = fw_user_put,
    .user_get = fw_user_get,
    .user_get_by_name = fw_user_get_by_name,
    .user_list = fw_user_list,
    .user_delete = fw_user_delete,
    .user_set_password = fw_user_set_password,
    .user_update = fw_user_update,
    .user_end_sessions = fw_user_end_sessions,
    .user_get_by_email = fw_user_get_by_email,
    .link_put = fw_link_put,
    .link_get = fw_link_get,
    .link_take = fw_link_take,
    .link_end = fw_link_end,
    .link_count = fw_link_count,
    .link_purge = fw_link_purge,
    .login_admit = fw_login_admit,
    .login_failed = fw_login_failed,
    .login_clear = fw_login_clear,
    .login_unlock = fw_login_unlock,
    .login_get = fw_login_get,
    .login_purge = fw_login_purge,
    .session_put = fw_session_put,
    .session_get = fw_session_get,
    .session_delete = fw_session_delete,
    .session_purge = fw_session_purge,
    .refresh_put = fw_refresh_put,
    .refresh_get = fw_refresh_get,
    .refresh_rotate = fw_refresh_rotate,
    .refresh_revoke_family = fw_refresh_revoke_family,
    .refresh_revoke_session = fw_refresh_revoke_session,
    .refresh_purge = fw_refresh_purge,
    .flow_put = fw_flow_put,
    .flow_get = fw_flow_get,
    .flow_set_user = fw_flow_set_user,
    .flow_take = fw_flow_take,
    .flow_purge = fw_flow_purge,
    .consent_put = fw_consent_put,
    .consent_get = fw_consent_get,
    .outbox_put = fw_outbox_put,
    .outbox_claim = fw_outbox_claim,
    .outbox_done = fw_outbox_done,
    .outbox_retry = fw_outbox_retry,
    .outbox_get = fw_outbox_get,
    .outbox_count = fw_outbox_count,
    .outbox_purge = fw_outbox_purge,
    .session_list = fw_session_list,
    .factor_put = fw_factor_put,
    .factor_list = fw_factor_list,
    .factor_by_cred = fw_factor_by_cred,
    .factor_use = fw_factor_use,
    .factor_swap = fw_factor_swap,
    .factor_delete = fw_factor_delete,
    .factor_clear = fw_factor_clear,
    .challenge_put = fw_challenge_put,
    .challenge_take = fw_challenge_take,
    .challenge_purge = fw_challenge_purge,
};

/* A call whose coroutine ended on this worker inside a transaction: undo it. */
static void end_stray_tx(struct worker *w)
{
	if (!w->tx_home)
		return;
	(void)w->conn->ops->tx_end(w->conn, 0);
	w->tx_home = NULL;
	reqlog_print(
	    "error",
	    (reqlog_field[]){{"msg", "a request ended inside a store transaction; it was rolled back", 0}},
	    1);
}

static void *work(void *arg)
{
	struct worker *w = arg;
	dbpool *p = w->p;
	struct call *k;

	worker_here = w;
	pthread_mutex_lock(&p->lock);
	for (;;) {
		while (!p->head && !p->stop)
			pthread_cond_wait(&p->work, &p->lock);
		if (!(k = p->head))
			break; /* stopping, and nothing left */
		if (!(p->head = k->next))
			p->tail = NULL;
		p->queued--, p->running++;
		pthread_mutex_unlock(&p->lock);

		k->on_worker = 1;
		k->conn = now_ms() - k->queued_ms > p->timeout_ms ? NULL : w->conn;
		coro_resume(k->c); /* the call, a transaction's calls; go_home sends it back */
		end_stray_tx(w);

		pthread_mutex_lock(&p->lock);
		p->running--;
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

/* Start w's thread with every signal blocked (the server's main thread waits for
 * them; a coroutine resumed here runs with that mask too); 0 or -1. */
static int start_worker(struct worker *w)
{
	sigset_t all, old;
	int rc;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&w->thread, NULL, work, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	w->started = rc == 0;
	return rc ? -1 : 0;
}

/* see dbpool.h */
dbpool *dbpool_new(const char *where, unsigned n, int timeout_ms, char *err, size_t errlen)
{
	pthread_mutexattr_t attr;
	dbpool *p;

	if (n < 1 || n > DBPOOL_MAX) {
		snprintf(err, errlen, "a pool holds 1..%d connections", DBPOOL_MAX);
		return NULL;
	}
	if (!(p = calloc(1, sizeof *p))) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	p->handle.ops = &pool_ops;
	p->timeout_ms = timeout_ms > 0 ? timeout_ms : STORE_PG_TIMEOUT_MS;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->work, NULL);
	/* Recursive: a callback of a direct call (key_list's) may call the store. */
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&p->direct_lock, &attr);
	pthread_mutexattr_destroy(&attr);
	if (!(p->where = strdup(where))) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	for (p->n = 0; p->n < n; p->n++) {
		struct worker *w = &p->workers[p->n];
		w->p = p;
		if (!(w->conn = store_open(where, err, errlen)))
			goto fail;
		if (start_worker(w)) {
			store_close(w->conn);
			snprintf(err, errlen, "cannot start the database threads");
			goto fail;
		}
	}
	return p;
fail:
	dbpool_free(p);
	return NULL;
}

/* see dbpool.h */
void dbpool_free(dbpool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->stop = 1;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->lock);
	for (unsigned i = 0; i < p->n; i++) {
		if (p->workers[i].started)
			pthread_join(p->workers[i].thread, NULL);
		store_close(p->workers[i].conn);
	}
	store_close(p->direct);
	free(p->where);
	pthread_mutex_destroy(&p->direct_lock);
	pthread_cond_destroy(&p->work);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

/* see dbpool.h */
store *dbpool_store(dbpool *p)
{
	return &p->handle;
}

/* see dbpool.h */
unsigned dbpool_depth(dbpool *p)
{
	unsigned n;

	pthread_mutex_lock(&p->lock);
	n = p->queued + p->running;
	pthread_mutex_unlock(&p->lock);
	return n;
}

/* see dbpool.h */
unsigned long long dbpool_failed(dbpool *p)
{
	return atomic_load_explicit(&p->failed, memory_order_relaxed);
}

/* see dbpool.h */
dbpool_home *dbpool_home_new(h2o_loop_t *loop)
{
	dbpool_home *h = calloc(1, sizeof *h);

	if (!h || !(h->queue = h2o_multithread_create_queue(loop))) {
		free(h);
		return NULL;
	}
	h->loop = loop;
	atomic_init(&h->out, 0);
	h2o_multithread_register_receiver(h->queue, &h->receiver, on_home);
	home_here = h;
	return h;
}

/* see dbpool.h */
void dbpool_home_free(dbpool_home *h)
{
	if (!h)
		return;
	while (atomic_load(&h->out) > 0)
		h2o_evloop_run(h->loop, 10);
	home_here = NULL;
	h2o_multithread_unregister_receiver(h->queue, &h->receiver);
	h2o_multithread_destroy_queue(h->queue);
#if H2O_VERSION_MAJOR == 2 && H2O_VERSION_MINOR < 3
	free(h->queue); /* H2O 2.2's evloop destroy_queue closes the pipe but forgets this free */
#endif
	free(h);
}

/* see dbpool.h */
size_t dbpool_ops(void)
{
	return OP_COUNT;
}

/* see dbpool.h */
const char *dbpool_op_name(size_t i)
{
	return i < OP_COUNT ? op_names[i] : NULL;
}

/* see dbpool.h */
void dbpool_latency(dbpool *p, size_t i, uint64_t *count, double *sum, uint64_t bucket[DBPOOL_BUCKETS])
{
	const struct latency *l = &p->latency[i < OP_COUNT ? i : 0];

	*count = atomic_load_explicit(&l->count, memory_order_relaxed);
	*sum = (double)atomic_load_explicit(&l->sum_us, memory_order_relaxed) / 1e6;
	for (size_t b = 0; b < DBPOOL_BUCKETS; b++)
		bucket[b] = atomic_load_explicit(&l->bucket[b], memory_order_relaxed);
}
