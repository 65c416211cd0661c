/*
 * metrics.h: the issuer's Prometheus metrics (text exposition format 0.0.4),
 * served at /metrics. Each event-loop thread counts into its own shard
 * (relaxed atomic counters, shards on separate cache lines); metrics_render
 * sums the shards when scraped.
 *
 * It must never take a lock or allocate on the request path (metrics_request,
 * metrics_token, metrics_verify_failure are a few relaxed atomic adds), and a
 * label value must never hold a secret or a client-supplied string: routes are
 * a fixed list given at creation, statuses are numbers, grants and failure
 * reasons are fixed enumerations (an unknown reason counts as "other").
 */
#ifndef ISSUER_METRICS_H
#define ISSUER_METRICS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "keys/keyring.h"
#include "runtime/dbpool.h"

/* The value of idb_build_info's version label. */
#ifndef METRICS_VERSION
#define METRICS_VERSION "0.1.0"
#endif

/* Tokens issued, by grant (the label values are in metrics.c). */
enum metrics_grant {
	METRICS_GRANT_CLIENT_CREDENTIALS,
	METRICS_GRANT_JSON, /* the legacy JSON /token */
	METRICS_GRANT_AUTHORIZATION_CODE,
	METRICS_GRANT_REFRESH_TOKEN,
	METRICS_GRANT_PASSWORD, /* the password grant (and the JSON /auth/login) */
	METRICS_GRANT_COUNT
};

/* How a sign-in at /login ended (the label values are in metrics.c). */
enum metrics_login {
	METRICS_LOGIN_OK,      /* signed in */
	METRICS_LOGIN_FAILED,  /* wrong password or unknown username */
	METRICS_LOGIN_LOCKED,  /* refused: the account is locked (answered as a wrong password) */
	METRICS_LOGIN_LIMITED, /* refused: too many failures from the address (limits.h) */
	METRICS_LOGIN_COUNT
};

/* Where a per-address limit refused a request (as limits.h's enum ratelimit_where). */
enum metrics_limited { METRICS_LIMITED_LOGIN, METRICS_LIMITED_CLIENT_AUTH, METRICS_LIMITED_COUNT };

typedef struct metrics metrics;

/*
 * Counters for `threads` shards (1..) and the routes routes[0..n_routes) (1..),
 * the label values of `route`, e.g. {"/token", "/verify", ..., "other"}; by
 * convention the last one is the catch-all. Copies nothing: routes must outlive
 * the metrics. Memory is about threads * n_routes * 4.1 KB (a counter per
 * status 100..599 per route per shard). NULL if threads or n_routes is 0 or
 * memory ran out.
 */
metrics *metrics_new(unsigned threads, const char *const *routes, size_t n_routes);

/* Free m (NULL is fine). No thread may still be counting into it. */
void metrics_free(metrics *m);

/*
 * Thread `thread` (0..threads-1) finished a request on route index `route`
 * with HTTP status `status` after `seconds`. Lock-free and allocation-free.
 * A route index out of range counts on the last route; a status outside
 * 100..599 counts as code "other"; a negative or NaN latency counts as 0.
 * A thread index out of range shares shard thread % threads (still exact:
 * every add is atomic, the shard split only avoids contention).
 */
void metrics_request(metrics *m, unsigned thread, size_t route, int status, double seconds);

/* Thread `thread` issued a token by grant g (g out of range: not counted). */
void metrics_token(metrics *m, unsigned thread, enum metrics_grant g);

/*
 * Thread `thread` saw a verification fail (at /verify, /introspect, ...) for
 * `reason`: a jose error code ("ERR_JWT_EXPIRED", ...: the list is in
 * metrics.c) or "revoked"; anything else, NULL included, counts as "other".
 * The string is only compared, never kept or shown.
 */
void metrics_verify_failure(metrics *m, unsigned thread, const char *reason);

/* Thread `thread` finished a sign-in attempt with outcome o (out of range: not counted). */
void metrics_login(metrics *m, unsigned thread, enum metrics_login o);

/* Thread `thread` locked an account (its failures reached the lockout threshold). */
void metrics_lockout(metrics *m, unsigned thread);

/* Thread `thread` refused a request at w because of a per-address limit. */
void metrics_limited(metrics *m, unsigned thread, enum metrics_limited w);

/* Thread `thread` counted one failed client authentication (at /token, /introspect, /revoke). */
void metrics_client_auth_failure(metrics *m, unsigned thread);

/*
 * The gauge idb_password_jobs reads jobs(ctx) at each render (from the
 * scraping thread: it must be thread-safe, e.g. pool_depth). Set once, before
 * any render; without it the gauge reads 0.
 */
void metrics_set_password_jobs(metrics *m, unsigned (*jobs)(void *ctx), void *ctx);

/* Thread `thread` saw a used refresh token come back (its family was revoked). */
void metrics_refresh_reuse(metrics *m, unsigned thread);

/*
 * idb_store_errors_total reads dbpool_failed(db) at each render: the store calls
 * that failed (the database unavailable, busy past its timeout, out of memory).
 * Set once, before any render; without it the counter is not shown.
 */
void metrics_set_store(metrics *m, dbpool *db);

/*
 * The gauges idb_connections_open and idb_connections_max read *open (the
 * server's count of client connections, at each render) and max. Set once,
 * before any render; without it neither family is shown.
 */
void metrics_set_connections(metrics *m, const atomic_uint *open, unsigned max);

/*
 * idb_signing_key_age_seconds{alg} reads the keys that sign now from ring at each
 * render (keyring_signers: thread-safe), and idb_signing_key_rotation_seconds is
 * rotation (KEY_ROTATION_DAYS in seconds, 0: scheduled rotation off). Set once,
 * before any render; without it neither family is shown.
 */
void metrics_set_keyring(metrics *m, keyring *ring, int64_t rotation);
/* The counter idb_audit_dropped_total reads dropped() at each render (thread-safe,
 * e.g. audit_dropped). Set once, before any render; without it the counter reads 0. */
void metrics_set_audit_dropped(metrics *m, uint64_t (*dropped)(void));

/*
 * The exposition text (format 0.0.4) in a new malloc'd NUL-terminated buffer,
 * its length in *len; NULL if memory ran out. Families, each with # HELP and
 * # TYPE: idb_http_requests_total{route,code} (codes seen only),
 * idb_http_request_duration_seconds{route} (histogram, every route),
 * idb_tokens_issued_total{grant}, idb_token_verification_failures_total{reason}
 * (every value, zeros included), idb_logins_total{outcome="ok|failed|locked|
 * limited"}, idb_account_lockouts_total, idb_requests_limited_total{endpoint=
 * "login|client_auth"}, idb_client_auth_failures_total (every value, zeros
 * included), idb_password_jobs (gauge: jobs waiting or running in the password
 * pool), idb_refresh_token_reuse_total, idb_store_errors_total (when set),
 * idb_connections_open and idb_connections_max (when set),
 * idb_signing_key_age_seconds{alg} and idb_signing_key_rotation_seconds (when
 * set), idb_build_info{version} 1, and the process family every Prometheus
 * client library exports: process_cpu_seconds_total, process_start_time_seconds
 * (from /proc, else when m was created), process_resident_memory_bytes,
 * process_virtual_memory_bytes, process_open_fds, process_max_fds (each omitted
 * when /proc or getrlimit cannot tell). Label values come from fixed lists or
 * from the key set (alg: a JWA name, a handful at most), never from a request. Safe while other threads
 * count: each histogram is consistent (buckets cumulative, +Inf == _count); _sum may lag or lead _count by
 * requests counted during the render.
 */
char *metrics_render(metrics *m, size_t *len);

#endif
