/*
 * server.c: H2O evloop threads, listeners, and the one request handler that
 * calls the route table serve handed in, then records metrics and the access log
 * (see server.h). Each thread owns an h2o_context_t, its loop and its copy of the
 * listening socket; the h2o_globalconf_t is built once and only read afterwards.
 * The main thread alone receives the signals (sigwait): SIGTERM or SIGINT set a
 * flag every loop checks between 100 ms rounds; SIGHUP reloads the TLS files
 * (tls.h) and never stops the server.
 *
 * Connections are accepted here, not by H2O: the client's address is taken from
 * accept itself (a connection reset before its request is handled keeps it), the
 * process holds at most max_connections of them (past it no thread accepts, and
 * the kernel's backlog holds the rest), and running out of descriptors pauses
 * accepting for SERVER_ACCEPT_BACKOFF_MS instead of retrying at once forever.
 * METRICS_LISTEN is a listener of its own (loop 0 accepts there), whose one host
 * answers /metrics alone; the public listener's host has no /metrics. Before any
 * handler runs, an HTTP/1 request whose framing two readers could end at two
 * places (framing.h) is answered 400 and its connection closed.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <h2o.h>

#include "runtime/app.h"
#include "runtime/copyreq.h"
#include "runtime/coro.h"
#include "runtime/reqlog.h"
#include "runtime/server.h"
#include "http/framing.h"
#include "http/response.h"
#include "http/page.h"
#include "http/static.h"
#include "runtime/tls.h"

struct loop;

/* One listening socket as one loop sees it: its own descriptor (a dup), what it
 * accepts for, and why it is not reading when it is not. Touched only by its
 * loop's thread. */
typedef struct listener {
	int fd;                    /* -1: this loop does not accept here */
	h2o_socket_t *sock;        /* NULL until the loop starts and once it stopped accepting */
	h2o_accept_ctx_t accept;   /* its hosts: the public routes, or /metrics alone */
	struct loop *w;            /* the loop it belongs to */
	int counted;               /* its connections count against max_connections */
	int tls;                   /* its connections are TLS (the context of the moment) */
	int reading;               /* accepting now */
	int full;                  /* stopped: the process holds max_connections */
	h2o_timeout_entry_t retry; /* linked: stopped after accept ran out of descriptors */
} listener;

typedef struct loop {
	pthread_t thread;
	h2o_context_t ctx;
	listener pub;          /* the public address (--listen) */
	listener metrics;      /* METRICS_LISTEN, accepted by loop 0 alone */
	h2o_timeout_t backoff; /* SERVER_ACCEPT_BACKOFF_MS, for listener.retry */
	app_thread state;
} loop;

static h2o_globalconf_t config;
/* Each listener sees one host of config; set by build_config, before any loop runs. */
static h2o_hostconf_t *public_hosts[2], *metrics_hosts[2];
static const server_routes *routes; /* set by build_config, before any loop runs */
static atomic_int stopping;
static int hsts;                          /* the issuer is https: every answer says so (RFC 6797) */
static _Atomic(SSL_CTX *) tls_now;        /* the context new connections get; NULL: plain HTTP */
static SSL_CTX *tls_old[SERVER_TLS_KEEP]; /* replaced ones: an accept may still be using one */
static size_t tls_n_old;
static atomic_uint open_conns;     /* counted connections open now, all loops together */
static unsigned max_conns;         /* cfg->max_connections */
static atomic_llong accept_warned; /* when running out of descriptors was last logged, ms */

/* Accept on l when nothing holds it back; stop when something does. */
static void update(listener *l);

/* A slot for one more counted connection; 0 when the process holds max_conns. */
static int take_slot(void)
{
	unsigned n = atomic_load(&open_conns);

	do {
		if (n >= max_conns)
			return 0;
	} while (!atomic_compare_exchange_weak(&open_conns, &n, n + 1));
	return 1;
}

/* A counted connection closed (on l's thread): its slot is free, and l may accept
 * again. Other loops see the room at their next round (at most 100 ms). */
static void on_conn_close(void *data)
{
	listener *l = data;

	atomic_fetch_sub(&open_conns, 1);
	update(l);
}

static void on_retry(h2o_timeout_entry_t *entry)
{
	update(H2O_STRUCT_FROM_MEMBER(listener, retry, entry));
}

static int64_t monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* accept failed for want of descriptors or memory: stop accepting on l for
 * SERVER_ACCEPT_BACKOFF_MS (the listening socket stays readable, so retrying at
 * once would spin), and say so at most once a minute. */
static void back_off(listener *l, int err)
{
	long long now = monotonic_ms(), last = atomic_load(&accept_warned);

	h2o_timeout_link(l->w->ctx.loop, &l->w->backoff, &l->retry);
	update(l);
	if ((last == 0 || now - last >= 60000) && atomic_compare_exchange_strong(&accept_warned, &last, now))
		reqlog_print(
		    "warn",
		    (reqlog_field[]){{"msg",
		                      "cannot accept connections; new connections wait in the backlog "
		                      "(raise the limit of open files, or lower MAX_CONNECTIONS)",
		                      0},
		                     {"reason", strerror(err), 0}},
		    2);
}

static void on_accept(h2o_socket_t *listen_sock, const char *err)
{
	listener *l = listen_sock->data;
	struct sockaddr_storage peer;
	socklen_t len = sizeof peer;
	h2o_socket_t *sock;
	int fd, one = 1;

	if (err != NULL)
		return;
	if (l->counted && !take_slot()) {
		l->full = 1;
		update(l);
		return;
	}
	if ((fd = accept4(l->fd, (struct sockaddr *)&peer, &len, SOCK_NONBLOCK | SOCK_CLOEXEC)) < 0) {
		int e = errno;
		if (l->counted)
			atomic_fetch_sub(&open_conns, 1);
		if (e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM)
			back_off(l, e);
		return;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	sock = h2o_evloop_socket_create(l->w->ctx.loop, fd, H2O_SOCKET_FLAG_IS_ACCEPTED_CONNECTION);
	/* The address accept gave, kept in the socket: H2O would ask getpeername when a
	 * request wants it, and a connection reset by then has none (ENOTCONN), which
	 * would leave its failed sign-in counted under no address. */
	h2o_socket_setpeername(sock, (struct sockaddr *)&peer, len);
	if (l->counted) {
		sock->on_close.cb = on_conn_close;
		sock->on_close.data = l;
	}
	l->accept.ssl_ctx = l->tls ? atomic_load(&tls_now) : NULL;
	h2o_accept(&l->accept, sock);
}

static void update(listener *l)
{
	int on;

	if (l->full && atomic_load(&open_conns) < max_conns)
		l->full = 0;
	on = l->sock && !l->full && !h2o_timeout_is_linked(&l->retry);
	if (on == l->reading)
		return;
	if (on)
		h2o_socket_read_start(l->sock, on_accept);
	else
		h2o_socket_read_stop(l->sock);
	l->reading = on;
}

/* Start accepting on l (a listener with a descriptor) for loop w, for hosts. */
static void listener_start(listener *l, loop *w, h2o_hostconf_t **hosts)
{
	l->w = w;
	l->accept.ctx = &w->ctx;
	l->accept.hosts = hosts;
	l->retry.cb = on_retry;
	l->sock = h2o_evloop_socket_create(w->ctx.loop, l->fd, H2O_SOCKET_FLAG_DONT_READ);
	l->sock->data = l;
	update(l);
}

/* Stop accepting on l for good, and close its descriptor. */
static void listener_stop(listener *l)
{
	if (!l->sock)
		return;
	if (h2o_timeout_is_linked(&l->retry))
		h2o_timeout_unlink(&l->retry);
	if (l->reading)
		h2o_socket_read_stop(l->sock);
	h2o_socket_close(l->sock);
	l->sock = NULL;
	l->reading = 0;
}

/* The listening socket on host:port; -1 with errno set on failure. Not SO_REUSEPORT:
 * a second server started on a port in use must fail (EADDRINUSE), not silently
 * share the traffic. Every loop accepts on a dup of this one socket. */
static int listen_on(const char *host, uint16_t port)
{
	struct sockaddr_storage ss = {0};
	struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;
	int fd, one = 1;

	if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET, in4->sin_port = htons(port), len = sizeof *in4;
	} else if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6, in6->sin6_port = htons(port), len = sizeof *in6;
	} else {
		errno = EINVAL;
		return -1;
	}
	if ((fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) ||
	    bind(fd, (struct sockaddr *)&ss, len) || listen(fd, SOMAXCONN)) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static void *run_loop(void *arg)
{
	loop *w = arg;

	h2o_context_init(&w->ctx, h2o_evloop_create(), &config);
	if (!(w->state.jobs = pool_receiver_new(w->state.app->workers, w->ctx.loop)) ||
	    !(w->state.home = dbpool_home_new(w->ctx.loop))) {
		fprintf(stderr, "identity-backend serve: out of memory\n");
		kill(getpid(), SIGTERM); /* to the process: the main thread is in sigwait */
		return NULL;
	}
	h2o_timeout_init(w->ctx.loop, &w->backoff, SERVER_ACCEPT_BACKOFF_MS);
	listener_start(&w->pub, w, public_hosts);
	if (w->metrics.fd >= 0)
		listener_start(&w->metrics, w, metrics_hosts);
	while (!atomic_load(&stopping)) {
		h2o_evloop_run(w->ctx.loop, APP_LOG_FLUSH_MS);
		update(&w->pub); /* a connection another loop held may have closed */
		app_thread_tick(&w->state);
		if (w->state.log_len &&
		    h2o_now(w->ctx.loop) - (uint64_t)w->state.log_flushed_ms >= APP_LOG_FLUSH_MS)
			app_log_flush(&w->state, (int64_t)h2o_now(w->ctx.loop));
	}
	/* Stop accepting, ask keep-alive connections to close, let requests in flight finish. */
	listener_stop(&w->pub);
	listener_stop(&w->metrics);
	h2o_timeout_dispose(w->ctx.loop, &w->backoff);
	h2o_context_request_shutdown(&w->ctx);
	for (int i = 0; i < 5; i++) /* 500 ms: our handlers answer in microseconds */
		h2o_evloop_run(w->ctx.loop, 100);
	/* Jobs still out come back here (done runs, cancelled if they never ran), then the
	 * store calls still out (done's among them); then the answers they made go out. */
	pool_receiver_free(w->state.jobs);
	w->state.jobs = NULL;
	dbpool_home_free(w->state.home);
	w->state.home = NULL;
	h2o_evloop_run(w->ctx.loop, 0);
	return NULL;
}

/* The thread state of the loop req runs on. */
static app_thread *app_thread_of(h2o_req_t *req)
{
	return &((loop *)((char *)req->conn->ctx - offsetof(loop, ctx)))->state;
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* The access log line of a finished request, into the thread's batch. */
static void log_request(h2o_req_t *req, app_thread *t, double secs)
{
	char remote[INET6_ADDRSTRLEN + 8] = "", line[REQLOG_LINE_MAX + 1];
	struct sockaddr_storage ss;
	int known = response_peer(req, &ss);
	struct timespec now;
	int64_t now_ms;
	size_t len;
	reqlog_entry e = {.method = req->method.base,
	                  .method_len = req->method.len,
	                  .path = req->path.base,
	                  .path_len = req->path.len,
	                  .status = req->res.status,
	                  .seconds = secs,
	                  .bytes = req->res.content_length == SIZE_MAX ? 0 : req->res.content_length,
	                  .client_id = response_noted_client(req),
	                  .request_id = response_request_id(req),
	                  .thread = t->index};

	if (known && ss.ss_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, remote, sizeof remote);
	else if (known && ss.ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, remote, sizeof remote);
	e.remote = remote[0] ? remote : NULL;
	clock_gettime(CLOCK_REALTIME, &now);
	now_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
	if ((len = reqlog_format(line, sizeof line, &e, now_ms)) > 0)
		app_log(t, line, len, now_ms);
}

/* The metrics and the access log line of a request that has its answer. */
static void account(h2o_req_t *req, app_thread *t, size_t route, const struct timespec *t0)
{
	double secs = seconds_since(t0);

	metrics_request(t->app->metrics, t->index, route, req->res.status, secs);
	if (t->app->cfg->access_log)
		log_request(req, t, secs);
}

/* A request answered later (a handler in a coroutine, a password check on the
 * worker pool): accounted for when the request is disposed of, after its answer
 * went out, with its status and its whole time (0 when the client left before
 * any answer). */
struct later {
	h2o_req_t *req;
	app_thread *t;
	size_t route;
	struct timespec t0;
};

static void account_later(void *arg)
{
	struct later *l = arg;

	account(l->req, l->t, l->route, &l->t0);
}

static void add_hsts(h2o_req_t *req)
{
	if (hsts)
		response_add_header(req, "strict-transport-security", "max-age=31536000");
}

/* A route's handler and what it needs, in its coroutine. */
struct run {
	h2o_req_t *req; /* the copy */
	app_thread *t;
	size_t route;
};

static void run_request(void *arg)
{
	struct run *r = arg;

	routes->run(r->route, r->req, r->t);
	copyreq_release(r->req);
}

/* Run route's handler in a coroutine, on a copy of req; its answer reaches req
 * later (copyreq.h). Without a copy or a coroutine to be had: 503 at once. */
static void run_in_coroutine(h2o_req_t *req, app_thread *t, size_t route)
{
	h2o_req_t *copy = copyreq_new(req);
	struct run *r;

	if (!copy) {
		response_send_error(req, 503, "temporarily_unavailable", "out of memory; retry");
		return;
	}
	add_hsts(copy);
	if (response_request_id(copy))
		response_add_header(copy, "x-request-id", response_request_id(copy));
	r = h2o_mem_alloc_pool(&copy->pool, sizeof *r);
	*r = (struct run){.req = copy, .t = t, .route = route};
	if (coro_start(run_request, r) != 0) {
		response_send_error(copy, 503, "temporarily_unavailable",
		                    "too many requests in progress; retry");
		copyreq_release(copy);
	}
}

/*
 * 400, and the connection closed after it, for an HTTP/1 request whose head frames
 * its body ambiguously (framing.h); 0 when it does not. H2O has read the request
 * by now and left its head at the start of the socket's input (it consumes it
 * after the answer), so the head is checked as the client sent it.
 */
static int refused_framing(h2o_req_t *req)
{
	h2o_socket_t *sock;
	enum framing f;

	if (req->version >= 0x200 || !req->conn->callbacks->get_socket ||
	    !(sock = req->conn->callbacks->get_socket(req->conn)) || !sock->input)
		return 0;
	if ((f = framing_check(sock->input->bytes, sock->input->size)) == FRAMING_OK)
		return 0;
	req->http1_is_persistent = 0; /* whatever follows on this connection is never read */
	response_send_error(req, 400, "invalid_request", framing_reason(f));
	return 1;
}

/* The single H2O handler of the public listener: every path goes through the route
 * table (in a coroutine when its handler uses the store); then metrics and the log. */
static int on_req(h2o_handler_t *self, h2o_req_t *req)
{
	app_thread *t = app_thread_of(req);
	char rid[APP_REQUEST_ID_LEN + 1];
	struct timespec t0;
	size_t route;
	struct later *l;

	(void)self;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	response_json_reset();
	add_hsts(req); /* the copy a coroutine answers on gets its own; its answer replaces these */
	app_request_id(t, rid);
	response_set_request_id(req, rid);
	if (refused_framing(req))
		route = routes->n - 1;
	else if (routes->uses_store(route = routes->find(req, t->app->cfg->issuer_path)))
		run_in_coroutine(req, t, route);
	else
		routes->run(route, req, t);
	if (req->res.status == 0) {
		l = h2o_mem_alloc_shared(&req->pool, sizeof *l, account_later);
		*l = (struct later){.req = req, .t = t, .route = route, .t0 = t0};
	} else {
		account(req, t, route, &t0);
	}
	return 0;
}

/* The handler of the METRICS_LISTEN listener: GET /metrics, nothing else. Neither
 * counted in the request metrics nor logged (a scrape every few seconds would be
 * most of the log). */
static int on_metrics_req(h2o_handler_t *self, h2o_req_t *req)
{
	app_thread *t = app_thread_of(req);
	size_t len;
	char *text;

	(void)self;
	response_json_reset();
	if (refused_framing(req))
		return 0;
	if (!h2o_memis(req->path_normalized.base, req->path_normalized.len, H2O_STRLIT("/metrics"))) {
		response_send_error(req, 404, "not_found", "this listener serves /metrics alone");
	} else if (!h2o_memis(req->method.base, req->method.len, H2O_STRLIT("GET")) &&
	           !h2o_memis(req->method.base, req->method.len, H2O_STRLIT("HEAD"))) {
		response_add_header(req, "allow", "GET");
		response_send_error(req, 405, "method_not_allowed",
		                    "this endpoint does not take that method");
	} else if (!(text = metrics_render(t->app->metrics, &len))) {
		response_send_error(req, 503, "temporarily_unavailable", "out of memory");
	} else {
		response_send_typed(req, 200, "text/plain; version=0.0.4; charset=utf-8", text, len);
		free(text);
	}
	return 0;
}

/* A host of config whose every path goes to on_req_fn; it is alone in *list. */
static void add_host(const char *name, int (*on_req_fn)(h2o_handler_t *, h2o_req_t *),
                     h2o_hostconf_t *list[2])
{
	h2o_hostconf_t *host = h2o_config_register_host(&config, h2o_iovec_init(name, strlen(name)), 65535);
	h2o_handler_t *handler = h2o_create_handler(h2o_config_register_path(host, "/", 0), sizeof *handler);

	handler->on_req = on_req_fn;
	list[0] = host;
	list[1] = NULL;
}

static void build_config(const server_config *cfg, const server_routes *r)
{
	routes = r;
	max_conns = cfg->max_connections ? cfg->max_connections : SERVER_CONNECTIONS_DEFAULT;
	h2o_config_init(&config);
	config.max_request_entity_size = SERVER_MAX_BODY;
	config.server_name = h2o_iovec_init(H2O_STRLIT("identity-backend"));
	/* Without TLS, HTTP/2 by "Upgrade: h2c" or by its preface ("PRI * HTTP/2.0")
	 * only when asked for: H2O gates both on this one switch (lib/http1.c). */
	config.http1.upgrade_to_http2 = cfg->http2_cleartext;
	/* Each listener's accept context names its one host: a Host header can never
	 * reach the other listener's handler. */
	add_host("default", on_req, public_hosts);
	if (cfg->metrics_port)
		add_host("metrics", on_metrics_req, metrics_hosts);
}

/* Room in the process's limit of open files for max_connections and what the server
 * keeps open besides (SERVER_FD_RESERVE, and a few per thread): the soft limit is
 * raised as far as the hard one allows; when even that is too low, it says so, and
 * connections past it wait in the backlog (back_off). */
static void fit_open_files(const server_config *cfg)
{
	rlim_t want = (rlim_t)max_conns + SERVER_FD_RESERVE + 8 * (rlim_t)cfg->threads;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= want ? want : rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur >= want)
		return;
	reqlog_print("warn",
	             (reqlog_field[]){{"msg",
	                               "the limit of open files is below what MAX_CONNECTIONS needs: "
	                               "connections past it wait in the backlog",
	                               0},
	                              {"open_files", NULL, (int64_t)rl.rlim_cur},
	                              {"max_connections", NULL, max_conns},
	                              {"needed", NULL, (int64_t)want}},
	             4);
}

/* SIGHUP: load the TLS files again; new connections get the new context. */
static void reload_tls(const server_config *cfg)
{
	char err[512];
	SSL_CTX *next, *prev;

	if (!cfg->tls_cert) {
		reqlog_print(
		    "info",
		    (reqlog_field[]){{"msg",
		                      "SIGHUP: nothing to reload (keys, clients and users are re-read "
		                      "from the store)",
		                      0}},
		    1);
		return;
	}
	if (!(next = tls_context_new(cfg->tls_cert, cfg->tls_key, cfg->http2, err, sizeof err))) {
		reqlog_print(
		    "error",
		    (reqlog_field[]){
		        {"msg", "SIGHUP: the TLS files did not load; the previous certificate stays", 0},
		        {"reason", err, 0}},
		    2);
		return;
	}
	prev = atomic_exchange(&tls_now, next);
	if (tls_n_old == SERVER_TLS_KEEP) { /* the oldest has been out of use for a long time */
		SSL_CTX_free(tls_old[0]);
		memmove(tls_old, tls_old + 1, (SERVER_TLS_KEEP - 1) * sizeof tls_old[0]);
		tls_n_old--;
	}
	tls_old[tls_n_old++] = prev;
	reqlog_print(
	    "info",
	    (reqlog_field[]){{"msg", "SIGHUP: TLS certificate reloaded", 0}, {"cert", cfg->tls_cert, 0}}, 2);
}

/* Wait for SIGTERM or SIGINT (SIGHUP reloads and waits on), then stop the loops. */
static void wait_for_stop(const server_config *cfg, loop *w, unsigned n)
{
	sigset_t set;
	int sig = 0;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	while (sigwait(&set, &sig) != 0 || sig == SIGHUP)
		if (sig == SIGHUP)
			reload_tls(cfg);
	atomic_store(&stopping, 1);
	for (unsigned i = 0; i < n; i++)
		pthread_join(w[i].thread, NULL);
}

/* Close what start_app opened for the first n loops, then the app. */
static void stop_app(app *a, loop *w, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		app_thread_fini(&w[i].state);
	app_stop(a);
}

/* The shared state and each loop thread's own; the app, or NULL with a reason on stderr. */
static app *start_app(const server_config *cfg, const server_routes *r, loop *w)
{
	char err[512];
	app *a = app_start(cfg, r->names, r->n, err, sizeof err);
	unsigned i = 0;

	if (!a)
		goto fail;
	for (; i < cfg->threads; i++)
		if (app_thread_init(&w[i].state, a, i, err, sizeof err))
			goto fail;
	return a;
fail:
	fprintf(stderr, "identity-backend serve: %s\n", err);
	stop_app(a, w, i);
	return NULL;
}

/* "host:port", IPv6 in brackets, into buf. */
static const char *host_port(const char *host, uint16_t port, char *buf, size_t len)
{
	int v6 = strchr(host, ':') != NULL;

	snprintf(buf, len, "%s%s%s:%u", v6 ? "[" : "", host, v6 ? "]" : "", port);
	return buf;
}

/*
 * Bind the public address (one socket, a dup for each loop) and METRICS_LISTEN's
 * (loop 0 accepts there alone), or neither: 0, -1 when the public address cannot
 * be bound, SERVER_BAD_CONFIG when METRICS_LISTEN's cannot; a line on stderr.
 */
static int bind_listeners(const server_config *cfg, loop *w)
{
	char addr[300];
	int mfd = -1;
	unsigned i = 0;

	for (; i < cfg->threads; i++) {
		w[i].pub.counted = 1;
		w[i].pub.tls = cfg->tls_cert != NULL;
		w[i].metrics.fd = -1;
		if ((w[i].pub.fd =
		         i ? fcntl(w[0].pub.fd, F_DUPFD_CLOEXEC, 0) : listen_on(cfg->host, cfg->port)) < 0)
			break;
	}
	if (i < cfg->threads) {
		fprintf(stderr, "identity-backend serve: cannot listen on %s: %s\n",
		        host_port(cfg->host, cfg->port, addr, sizeof addr), strerror(errno));
		while (i--)
			close(w[i].pub.fd);
		return -1;
	}
	if (cfg->metrics_port && (mfd = listen_on(cfg->metrics_host, cfg->metrics_port)) < 0) {
		fprintf(stderr, "identity-backend serve: cannot listen on METRICS_LISTEN %s: %s\n",
		        host_port(cfg->metrics_host, cfg->metrics_port, addr, sizeof addr), strerror(errno));
		for (i = 0; i < cfg->threads; i++)
			close(w[i].pub.fd);
		return SERVER_BAD_CONFIG;
	}
	w[0].metrics.fd = mfd;
	return 0;
}

/* Close what bind_listeners opened (before any loop took them over). */
static void close_listeners(const server_config *cfg, loop *w)
{
	for (unsigned i = 0; i < cfg->threads; i++)
		close(w[i].pub.fd);
	if (w[0].metrics.fd >= 0)
		close(w[0].metrics.fd);
}

/* A warning line of the log (static.h's). */
static void warn_line(const char *what)
{
	reqlog_print("warn", (reqlog_field[]){{"msg", what, 0}}, 1);
}

/* see server.h */
int server_run(const server_config *cfg, const server_routes *r)
{
	static loop loops[SERVER_MAX_THREADS];
	char addr[300], maddr[sizeof addr + 16] = "";
	sigset_t set;
	unsigned started = 0;
	int rc;
	app *a;

	response_json_init(); /* before any thread builds JSON: the app makes its key set */
	if (cfg->trusted_proxies)
		response_set_proxies(cfg->trusted_proxies); /* before any request */
	page_set_base(cfg->issuer_path);
	page_set_site(strncmp(cfg->issuer, "https://", 8) == 0, cfg->brand);
	if (cfg->tls_cert) {
		char err[512];
		SSL_CTX *ctx = tls_context_new(cfg->tls_cert, cfg->tls_key, cfg->http2, err, sizeof err);
		if (!ctx) {
			fprintf(stderr, "identity-backend serve: %s\n", err);
			return SERVER_BAD_CONFIG;
		}
		atomic_store(&tls_now, ctx);
	}
	hsts = strncmp(cfg->issuer, "https://", 8) == 0;
	if ((rc = bind_listeners(cfg, loops)) != 0) {
		SSL_CTX_free(atomic_exchange(&tls_now, NULL));
		return rc;
	}
	/* Blocked before any thread starts (the key thread and the database workers
	 * start in start_app): every thread inherits the mask, so only the main
	 * thread's sigwait ever takes them, never a default action on another thread. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (!(a = start_app(cfg, r, loops))) {
		close_listeners(cfg, loops);
		return -1;
	}
	static_init(cfg->www_dir, cfg->verifier_dir, warn_line);
	build_config(cfg, r);
	metrics_set_connections(a->metrics, &open_conns, max_conns);
	fit_open_files(cfg);
	for (; started < cfg->threads; started++)
		if (pthread_create(&loops[started].thread, NULL, run_loop, &loops[started]) != 0)
			break;
	if (started < cfg->threads) {
		fprintf(stderr, "identity-backend serve: cannot start thread %u\n", started);
		raise(SIGTERM);
	}
	if (cfg->metrics_port)
		host_port(cfg->metrics_host, cfg->metrics_port, maddr, sizeof maddr);
	reqlog_print("info",
	             (reqlog_field[]){{"msg", "listening", 0},
	                              {"address", host_port(cfg->host, cfg->port, addr, sizeof addr), 0},
	                              {"threads", NULL, cfg->threads},
	                              {"issuer", cfg->issuer, 0},
	                              {"max_connections", NULL, max_conns},
	                              {"db_pool", NULL, cfg->db_pool},
	                              {"http2", cfg->tls_cert && cfg->http2 ? "on" : "off", 0},
	                              {"http2_cleartext", cfg->http2_cleartext ? "on" : "off", 0},
	                              {"metrics", cfg->metrics_port ? maddr : NULL, INT64_MIN}},
	             9);
	wait_for_stop(cfg, loops, started);
	stop_app(a, loops, cfg->threads);
	SSL_CTX_free(atomic_exchange(&tls_now, NULL));
	while (tls_n_old)
		SSL_CTX_free(tls_old[--tls_n_old]);
	reqlog_print("info", (reqlog_field[]){{"msg", "stopped", 0}}, 1);
	return started < cfg->threads ? -1 : 0;
}
