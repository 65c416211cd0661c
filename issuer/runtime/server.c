/*
 * server.c: H2O evloop threads, listeners, and the one request handler that
 * calls the route table serve handed in, then records metrics and the access log
 * (see server.h). Each thread owns an h2o_context_t, its loop and its listener;
 * the h2o_globalconf_t is built once and only read afterwards. The main thread
 * alone receives the signals (sigwait): SIGTERM or SIGINT set a flag every loop
 * checks between 100 ms rounds; SIGHUP reloads the TLS files (tls.h) and never
 * stops the server. Before any handler runs, an HTTP/1 request whose framing two
 * readers could end at two places (framing.h) is answered 400 and its connection
 * closed.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <h2o.h>

#include "runtime/app.h"
#include "runtime/reqlog.h"
#include "runtime/server.h"
#include "http/framing.h"
#include "http/response.h"
#include "http/page.h"
#include "http/static.h"
#include "runtime/tls.h"

typedef struct loop {
	pthread_t thread;
	int fd;
	h2o_context_t ctx;
	h2o_accept_ctx_t accept;
	h2o_socket_t *listener;
	app_thread state;
} loop;

static h2o_globalconf_t config;
static const server_routes *routes; /* set by build_config, before any loop runs */
static atomic_int stopping;
static int hsts;                          /* the issuer is https: every answer says so (RFC 6797) */
static _Atomic(SSL_CTX *) tls_now;        /* the context new connections get; NULL: plain HTTP */
static SSL_CTX *tls_old[SERVER_TLS_KEEP]; /* replaced ones: an accept may still be using one */
static size_t tls_n_old;

static void on_accept(h2o_socket_t *listener, const char *err)
{
	loop *w = listener->data;
	h2o_socket_t *sock;

	if (err != NULL || (sock = h2o_evloop_socket_accept(listener)) == NULL)
		return;
	w->accept.ssl_ctx = atomic_load(&tls_now);
	h2o_accept(&w->accept, sock);
}

/* The listening socket on host:port; -1 with errno set on failure. Not SO_REUSEPORT:
 * a second server started on a port in use must fail (EADDRINUSE), not silently
 * share the traffic. Every loop accepts on a dup of this one socket. */
static int listen_on(const server_config *cfg)
{
	struct sockaddr_storage ss = {0};
	struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;
	int fd, one = 1;

	if (inet_pton(AF_INET, cfg->host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET, in4->sin_port = htons(cfg->port), len = sizeof *in4;
	} else if (inet_pton(AF_INET6, cfg->host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6, in6->sin6_port = htons(cfg->port), len = sizeof *in6;
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
	if (!(w->state.jobs = pool_receiver_new(w->state.app->workers, w->ctx.loop))) {
		fprintf(stderr, "identity-backend serve: out of memory\n");
		kill(getpid(), SIGTERM); /* to the process: the main thread is in sigwait */
		return NULL;
	}
	w->accept.ctx = &w->ctx;
	w->accept.hosts = config.hosts;
	w->listener = h2o_evloop_socket_create(w->ctx.loop, w->fd, H2O_SOCKET_FLAG_DONT_READ);
	w->listener->data = w;
	h2o_socket_read_start(w->listener, on_accept);
	while (!atomic_load(&stopping)) {
		h2o_evloop_run(w->ctx.loop, APP_LOG_FLUSH_MS);
		app_thread_tick(&w->state);
		if (w->state.log_len &&
		    h2o_now(w->ctx.loop) - (uint64_t)w->state.log_flushed_ms >= APP_LOG_FLUSH_MS)
			app_log_flush(&w->state, (int64_t)h2o_now(w->ctx.loop));
	}
	/* Stop accepting, ask keep-alive connections to close, let requests in flight finish. */
	h2o_socket_read_stop(w->listener);
	h2o_socket_close(w->listener);
	h2o_context_request_shutdown(&w->ctx);
	for (int i = 0; i < 5; i++) /* 500 ms: our handlers answer in microseconds */
		h2o_evloop_run(w->ctx.loop, 100);
	/* Jobs still out come back here (done runs, cancelled if they never ran). */
	pool_receiver_free(w->state.jobs);
	w->state.jobs = NULL;
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
	                  .client_id = t->client_id,
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

/* The single H2O handler: every path goes through the route table; then metrics and the log. */
static int on_req(h2o_handler_t *self, h2o_req_t *req)
{
	app_thread *t = app_thread_of(req);
	struct timespec t0;
	size_t route;
	double secs;

	(void)self;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	t->client_id = NULL;
	response_json_reset();
	if (hsts)
		response_add_header(req, "strict-transport-security", "max-age=31536000");
	route = refused_framing(req) ? routes->n - 1 : routes->dispatch(req, t);
	secs = seconds_since(&t0);
	metrics_request(t->app->metrics, t->index, route, req->res.status, secs);
	if (t->app->cfg->access_log)
		log_request(req, t, secs);
	t->client_id = NULL;
	return 0;
}

static void build_config(const server_config *cfg, const server_routes *r)
{
	h2o_hostconf_t *host;
	h2o_pathconf_t *path;
	h2o_handler_t *handler;

	routes = r;
	h2o_config_init(&config);
	config.max_request_entity_size = SERVER_MAX_BODY;
	config.server_name = h2o_iovec_init(H2O_STRLIT("identity-backend"));
	/* Without TLS, HTTP/2 by "Upgrade: h2c" or by its preface ("PRI * HTTP/2.0")
	 * only when asked for: H2O gates both on this one switch (lib/http1.c). */
	config.http1.upgrade_to_http2 = cfg->http2_cleartext;
	host = h2o_config_register_host(&config, h2o_iovec_init(H2O_STRLIT("default")), 65535);
	path = h2o_config_register_path(host, "/", 0);
	handler = h2o_create_handler(path, sizeof *handler);
	handler->on_req = on_req;
}

/* SIGHUP: load the TLS files again; new connections get the new context. */
static void reload_tls(const server_config *cfg)
{
	char err[512];
	SSL_CTX *next, *prev;

	if (!cfg->tls_cert) {
		fprintf(stderr, "{\"msg\":\"SIGHUP: nothing to reload (keys, clients and users are re-read "
		                "from the store)\"}\n");
		return;
	}
	if (!(next = tls_context_new(cfg->tls_cert, cfg->tls_key, cfg->http2, err, sizeof err))) {
		fprintf(stderr,
		        "{\"level\":\"error\",\"msg\":\"SIGHUP: the TLS files did not load; the previous "
		        "certificate stays\",\"reason\":\"%s\"}\n",
		        err);
		return;
	}
	prev = atomic_exchange(&tls_now, next);
	if (tls_n_old == SERVER_TLS_KEEP) { /* the oldest has been out of use for a long time */
		SSL_CTX_free(tls_old[0]);
		memmove(tls_old, tls_old + 1, (SERVER_TLS_KEEP - 1) * sizeof tls_old[0]);
		tls_n_old--;
	}
	tls_old[tls_n_old++] = prev;
	fprintf(stderr, "{\"msg\":\"SIGHUP: TLS certificate reloaded\",\"cert\":\"%s\"}\n", cfg->tls_cert);
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

/* see server.h */
int server_run(const server_config *cfg, const server_routes *r)
{
	static loop loops[SERVER_MAX_THREADS];
	sigset_t set;
	unsigned started = 0;
	app *a;

	response_json_init(); /* before any thread builds JSON: the app makes its key set */
	if (cfg->trusted_proxies)
		response_set_proxies(cfg->trusted_proxies); /* before any request */
	page_set_base(cfg->issuer_path);
	if (cfg->tls_cert) {
		char err[512];
		SSL_CTX *ctx = tls_context_new(cfg->tls_cert, cfg->tls_key, cfg->http2, err, sizeof err);
		if (!ctx) {
			fprintf(stderr, "identity-backend serve: %s\n", err);
			return SERVER_BAD_TLS;
		}
		atomic_store(&tls_now, ctx);
	}
	hsts = strncmp(cfg->issuer, "https://", 8) == 0;
	for (unsigned i = 0; i < cfg->threads; i++) {
		if ((loops[i].fd = i ? fcntl(loops[0].fd, F_DUPFD_CLOEXEC, 0) : listen_on(cfg)) < 0) {
			fprintf(stderr, "identity-backend serve: cannot listen on %s:%u: %s\n", cfg->host,
			        cfg->port, strerror(errno));
			while (i--)
				close(loops[i].fd);
			return -1;
		}
	}
	if (!(a = start_app(cfg, r, loops))) {
		for (unsigned i = 0; i < cfg->threads; i++)
			close(loops[i].fd);
		return -1;
	}
	static_init(cfg->www_dir, cfg->verifier_dir);
	build_config(cfg, r);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	for (; started < cfg->threads; started++)
		if (pthread_create(&loops[started].thread, NULL, run_loop, &loops[started]) != 0)
			break;
	if (started < cfg->threads) {
		fprintf(stderr, "identity-backend serve: cannot start thread %u\n", started);
		raise(SIGTERM);
	}
	fprintf(stderr,
	        "{\"msg\":\"listening\",\"address\":\"%s%s%s:%u\",\"threads\":%u,\"issuer\":\"%s\","
	        "\"http2\":%s,\"http2_cleartext\":%s}\n",
	        strchr(cfg->host, ':') ? "[" : "", cfg->host, strchr(cfg->host, ':') ? "]" : "", cfg->port,
	        cfg->threads, cfg->issuer, cfg->tls_cert && cfg->http2 ? "true" : "false",
	        cfg->http2_cleartext ? "true" : "false");
	wait_for_stop(cfg, loops, started);
	stop_app(a, loops, cfg->threads);
	SSL_CTX_free(atomic_exchange(&tls_now, NULL));
	while (tls_n_old)
		SSL_CTX_free(tls_old[--tls_n_old]);
	fprintf(stderr, "{\"msg\":\"stopped\"}\n");
	return started < cfg->threads ? -1 : 0;
}
