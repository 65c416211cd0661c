/*
 * app.h: what the request handlers share. `app` is built once at start-up from
 * the validated configuration and is read-only afterwards, except for what its
 * own modules synchronise (the keyring's lock, the metrics' per-thread shards).
 * `app_thread` is one event-loop thread's own state: its RNG, its client cache
 * and its log batch, none of which may be touched by another thread. Its `db`
 * is the pool's handle (dbpool.h), shared by every thread.
 *
 * Start-up order (app_start): open the store (migrating it), register the
 * legacy `browser-ui` client when configured, load or generate the signing
 * keys. Any failure stops start-up with a one-line reason; nothing answers
 * requests until all of it succeeded.
 */
#ifndef ISSUER_APP_H
#define ISSUER_APP_H

#include <pthread.h>
#include <stdint.h>

#include <h2o.h>
#include <wolfssl/wolfcrypt/settings.h>
#include <wolfssl/wolfcrypt/random.h>

#include "keys/keyring.h"
#include "runtime/dbpool.h"
#include "runtime/mailer.h"
#include "runtime/ratelimit.h"
#include "runtime/metrics.h"
#include "runtime/pool.h"
#include "runtime/config.h"
#include "store/store.h"

/* Seconds between two reloads of the key table (rotations reach a running server this fast). */
#ifndef APP_KEY_SYNC_SECONDS
#define APP_KEY_SYNC_SECONDS 1
#endif
/* Algorithms whose keys start-up generates before answering (make_ring's order). */
#define APP_KEYS_AT_START 3

/* Seconds a retired key stays published beyond the token lifetime (clock skew, caches). */
#ifndef APP_KEY_GRACE_EXTRA
#define APP_KEY_GRACE_EXTRA 300
#endif

/* Seconds between two purges of expired revocations and codes. */
#ifndef APP_PURGE_SECONDS
#define APP_PURGE_SECONDS 3600
#endif

/* Clients each thread keeps, and for how long (seconds): `client remove` reaches a
 * running server within this time, like a key rotation. A hit saves a SQLite read
 * transaction (three system calls) on every token request. */
#ifndef APP_CLIENT_CACHE
#define APP_CLIENT_CACHE 16
#endif
#ifndef APP_CLIENT_TTL
#define APP_CLIENT_TTL 1
#endif

/* The access log is written in batches of whole lines: at most this many bytes (one
 * write(2), atomic on a pipe), at least every APP_LOG_FLUSH_MS. */
#define APP_LOG_BUF      4096
#define APP_LOG_FLUSH_MS 100

struct app_client_slot {
	struct store_client c;
	int64_t fetched; /* 0: empty */
};

typedef struct app {
	const server_config *cfg;
	keyring *keys;
	metrics *metrics;
	ratelimit *limits; /* per-address failure counts (cfg->limits) */
	pool *workers;     /* password hashing off the loops (cfg->workers threads) */
	dbpool *db;        /* the store's connections, off the loops (cfg->db_pool of them) */
	pthread_t keygen;  /* makes the keys start-up left (APP_KEYS_AT_START), then ends */
	int keygen_started;
	int64_t started; /* Unix seconds */
	mailer *mail;    /* the mail sender (cfg->mail), or NULL: mail is off */
} app;

typedef struct app_thread {
	app *app;
	store *db;           /* dbpool_store(app->db): calls from a coroutine wait off the loop */
	pool_receiver *jobs; /* this loop's end of app->workers (set by server.c once the loop exists) */
	dbpool_home *home;   /* where this loop's store calls come back (set by server.c, likewise) */
	int ticking;         /* app_thread_tick's coroutine is running */
	uint64_t rid;        /* app_request_id's state (xorshift64*, seeded from rng) */
	WC_RNG rng;
	unsigned index;
	int64_t next_sync, next_purge;
	struct app_client_slot *clients; /* APP_CLIENT_CACHE slots */
	char log[APP_LOG_BUF];
	size_t log_len;
	int64_t log_flushed_ms;
} app_thread;

/* Build the shared state for cfg, with one metrics label per route (route_names[0..n_routes));
 * NULL with a one-line reason in err. */
app *app_start(const server_config *cfg, const char *const *route_names, size_t n_routes, char *err,
               size_t errlen);

/* Free what app_start built (after every thread finished). */
void app_stop(app *a);

/* Give thread index the pool's store handle and its own RNG; 0, or -1 with a reason in err. */
int app_thread_init(app_thread *t, app *a, unsigned index, char *err, size_t errlen);

/* Periodic work, called by each loop between rounds: thread 0 syncs keys and purges,
 * in a coroutine (its store calls wait off the loop; one tick at a time). */
void app_thread_tick(app_thread *t);

/*
 * The client with id, from this thread's cache when fetched less than
 * APP_CLIENT_TTL seconds ago, else from the store. As store_client_get.
 */
store_err app_client_get(app_thread *t, const char *id, struct store_client *out);

/* Add one access log line (formatted by reqlog_format) to the thread's batch. */
void app_log(app_thread *t, const char *line, size_t len, int64_t now_ms);

/* Write out the thread's batch of log lines (at a tick, and when stopping). */
void app_log_flush(app_thread *t, int64_t now_ms);

/* Release the thread's RNG and cache (after flushing the log). */
void app_thread_fini(app_thread *t);

/* Length of the request ids app_request_id makes (hex digits). */
#define APP_REQUEST_ID_LEN 16

/* A fresh request id into out[APP_REQUEST_ID_LEN + 1]: 64 bits from this thread's
 * stream (seeded from its RNG), as hex. Unique enough to find a request's lines;
 * not a secret. */
void app_request_id(app_thread *t, char out[APP_REQUEST_ID_LEN + 1]);

/* Current Unix time in seconds. */
int64_t app_now(void);

#endif
