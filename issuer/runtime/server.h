/*
 * server.h: the HTTP server of `identity-backend serve`: H2O's evloop on N
 * threads, each with its own context and a copy of the one listening socket, one
 * exact-match route table, JSON responses. Handlers run on the loop thread and
 * must never block it. Configuration is parsed and checked before this starts
 * (cli_serve.c); the server only receives typed values.
 *
 * What it holds back, and from whom: HTTP/1 requests framed ambiguously (two
 * Content-Length, Content-Length with Transfer-Encoding, obs-fold) get 400 and a
 * closed connection before any handler (request smuggling behind a proxy); HTTP/2
 * only when asked for (HTTP2 over TLS, HTTP2_CLEARTEXT without); at most
 * max_connections open client connections per process, the rest waiting in the
 * kernel's backlog (a flood of idle connections costs bounded memory and
 * descriptors); and /metrics only on its own listener (METRICS_LISTEN), never on
 * the public address.
 */
#ifndef ISSUER_SERVER_H
#define ISSUER_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include <h2o.h>

#include "runtime/app.h"
#include "runtime/config.h"

/*
 * The HTTP surface the server answers with, handed in by the caller (routes.h), so
 * the runtime knows nothing of the endpoints: find gives req's route index (under
 * the issuer's path, base), uses_store says whether that route's handler calls the
 * store, and run answers req by it. names[i] is index i's metrics label (n labels,
 * the last one for everything else).
 *
 * A route that uses the store runs in a coroutine (coro.h) on a copy of its
 * request (copyreq.h), so its store calls wait on the database pool's workers
 * (dbpool.h) while the loop serves everyone else; the others run directly.
 */
typedef struct server_routes {
	size_t (*find)(h2o_req_t *req, const char *base);
	int (*uses_store)(size_t route);
	void (*run)(size_t route, h2o_req_t *req, app_thread *t);
	const char *const *names;
	size_t n;
} server_routes;

/*
 * Bind every listener (so an address in use fails here, before anything
 * starts), run the event loops until SIGTERM or SIGINT, then stop accepting,
 * let requests in flight finish (up to half a second) and return. Returns 0 on a
 * clean shutdown, -1 (with a one-line reason on stderr) if it could not start,
 * SERVER_BAD_CONFIG when the certificate or key would not load or METRICS_LISTEN's
 * address cannot be bound. With cfg->metrics_port, loop 0 also accepts there and
 * answers GET /metrics alone (plain HTTP, never counted against max_connections,
 * never logged); without it no address serves /metrics. With cfg->tls_cert, every
 * connection is TLS (tls.h), and SIGHUP reloads the two files: connections
 * accepted afterwards get the new certificate, open ones keep theirs; a reload
 * that fails is logged and the previous certificate stays.
 */
int server_run(const server_config *cfg, const server_routes *routes);

/* TLS contexts a running server keeps after SIGHUP replaced them (an accept on another
 * thread may still be starting a handshake with one); older ones are freed. */
#ifndef SERVER_TLS_KEEP
#define SERVER_TLS_KEEP 16
#endif

/* What server_run returns when cfg cannot be used: its TLS files, or METRICS_LISTEN's address. */
#define SERVER_BAD_CONFIG 2

/* How long a loop stops accepting after accept ran out of descriptors (EMFILE,
 * ENFILE) or memory: the listening socket stays readable, so retrying at once
 * would spin a core; meanwhile new connections wait in the kernel's backlog. */
#ifndef SERVER_ACCEPT_BACKOFF_MS
#define SERVER_ACCEPT_BACKOFF_MS 100
#endif

/* Descriptors the server keeps open besides its connections (listeners, database
 * files, logs, queues), for the limit of open files it asks for at start. */
#ifndef SERVER_FD_RESERVE
#define SERVER_FD_RESERVE 64
#endif

#endif
