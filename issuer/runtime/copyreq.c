/*
 * copyreq.c: a request's private copy and the hand-over of its answer (see
 * copyreq.h). The copy is a real h2o_req_t (h2o_init_request copies the
 * request line, headers and variables into its pool) whose output stream is
 * ours: it collects the answer instead of writing to a connection. Its conn is
 * ours too, and knows only the peer's address, taken from the original when
 * the copy is made. No filters are configured on the issuer's paths, so an
 * answer goes straight to the collector.
 *
 * The original is watched (a shared chunk in its pool, as pool.c does): when
 * H2O disposes of it, `orig` becomes NULL and the answer is dropped.
 */
#include <stdlib.h>
#include <string.h>

#include "runtime/copyreq.h"

struct watch {
	struct copyreq *cr; /* NULL once the copy is done with the original */
};

struct copyreq {
	h2o_req_t req; /* first: the copy handlers see (its pool is last in h2o_req_t) */
	h2o_conn_t conn;
	h2o_ostream_t out;
	h2o_req_t *orig; /* NULL once disposed of */
	struct watch *watch;
	h2o_context_t *ctx;
	struct sockaddr_storage peer;
	socklen_t peer_len;
	h2o_iovec_t body;   /* the answer's bytes so far */
	int sent, released; /* the answer is complete; the handler is done */
	int head_kept;      /* keep_head ran */
	h2o_timeout_entry_t finish;
};

static socklen_t copy_peername(h2o_conn_t *conn, struct sockaddr *sa)
{
	struct copyreq *cr = H2O_STRUCT_FROM_MEMBER(struct copyreq, conn, conn);

	memcpy(sa, &cr->peer, cr->peer_len);
	return cr->peer_len;
}

static const h2o_conn_callbacks_t copy_callbacks = {.get_peername = copy_peername};

static void watch_dispose(void *arg)
{
	struct watch *w = arg;

	if (w->cr) {
		w->cr->orig = NULL;
		w->cr->watch = NULL;
	}
}

static h2o_iovec_t copy_iov(h2o_mem_pool_t *pool, h2o_iovec_t v)
{
	return v.base ? h2o_strdup(pool, v.base, v.len) : v;
}

/* The collected answer, on the original (every byte copied into its pool). */
static void replay(struct copyreq *cr)
{
	h2o_req_t *o = cr->orig, *c = &cr->req;
	h2o_iovec_t *client = h2o_req_getenv(c, H2O_STRLIT("client_id"), 0);

	o->res.status = c->res.status;
	o->res.reason = h2o_strdup(&o->pool, c->res.reason, strlen(c->res.reason)).base;
	o->res.content_length = c->res.content_length;
	o->res.headers = (h2o_headers_t){NULL, 0, 0};
	for (size_t i = 0; i < c->res.headers.size; i++) {
		const h2o_header_t *h = c->res.headers.entries + i;
		h2o_iovec_t v = copy_iov(&o->pool, h->value);
		if (h2o_iovec_is_token(h->name)) {
			h2o_add_header(&o->pool, &o->res.headers, (const h2o_token_t *)h->name, NULL, v.base,
			               v.len);
		} else {
			h2o_iovec_t n = copy_iov(&o->pool, *h->name);
			h2o_add_header_by_str(&o->pool, &o->res.headers, n.base, n.len, 0, NULL, v.base,
			                      v.len);
		}
	}
	if (client)
		*h2o_req_getenv(o, H2O_STRLIT("client_id"), 1) = copy_iov(&o->pool, *client);
	h2o_send_inline(o, cr->body.base, cr->body.len);
}

/* On the loop's next turn after the answer and the release: hand over, free. */
static void on_finish(h2o_timeout_entry_t *entry)
{
	struct copyreq *cr = H2O_STRUCT_FROM_MEMBER(struct copyreq, finish, entry);

	if (cr->watch)
		cr->watch->cr = NULL;
	if (cr->orig)
		replay(cr);
	h2o_dispose_request(&cr->req);
	free(cr);
}

static void maybe_finish(struct copyreq *cr)
{
	if (cr->sent && cr->released && !h2o_timeout_is_linked(&cr->finish))
		h2o_timeout_link(cr->ctx->loop, &cr->ctx->zero_timeout, &cr->finish);
}

/* The answer's head into the copy's own pool, while the handler that made it still
 * runs: H2O keeps pointers to header values (a handler may pass a buffer on its
 * stack, gone by the time the answer is handed over). */
static void keep_head(h2o_req_t *req)
{
	h2o_mem_pool_t *pool = &req->pool;

	req->res.reason = h2o_strdup(pool, req->res.reason, strlen(req->res.reason)).base;
	for (size_t i = 0; i < req->res.headers.size; i++) {
		h2o_header_t *h = req->res.headers.entries + i;
		h->value = copy_iov(pool, h->value);
		if (!h2o_iovec_is_token(h->name)) {
			h2o_iovec_t *n = h2o_mem_alloc_pool(pool, sizeof *n);
			*n = copy_iov(pool, *h->name);
			h->name = n;
		}
		h->orig_name = NULL;
	}
}

/* The copy's output stream: keep the head and the bytes; the last call completes
 * the answer. */
static void collect(h2o_ostream_t *self, h2o_req_t *req, h2o_iovec_t *bufs, size_t bufcnt,
                    h2o_send_state_t state)
{
	struct copyreq *cr = H2O_STRUCT_FROM_MEMBER(struct copyreq, out, self);
	size_t len = cr->body.len;
	char *p;

	if (!cr->head_kept) {
		keep_head(req);
		cr->head_kept = 1;
	}

	for (size_t i = 0; i < bufcnt; i++)
		len += bufs[i].len;
	if (len != cr->body.len) {
		p = h2o_mem_alloc_pool(&req->pool, len);
		if (cr->body.len)
			memcpy(p, cr->body.base, cr->body.len);
		for (size_t i = 0, at = cr->body.len; i < bufcnt; at += bufs[i++].len)
			memcpy(p + at, bufs[i].base, bufs[i].len);
		cr->body = h2o_iovec_init(p, len);
	}
	if (h2o_send_state_is_in_progress(state)) {
		h2o_proceed_response(req); /* a generator with more to give */
		return;
	}
	cr->sent = 1;
	maybe_finish(cr);
}

/* The parts of the request h2o_init_request leaves out (set while it was routed). */
static void copy_routing(h2o_req_t *c, const h2o_req_t *o)
{
	h2o_mem_pool_t *pool = &c->pool;

	c->authority = copy_iov(pool, o->authority);
	c->method = copy_iov(pool, o->method);
	c->path = copy_iov(pool, o->path);
	c->path_normalized = copy_iov(pool, o->path_normalized);
	c->query_at = o->query_at;
	c->scheme = o->scheme;
	c->hostconf = o->hostconf;
	c->pathconf = o->pathconf;
	c->processed_at = o->processed_at;
	c->entity = copy_iov(pool, o->entity);
}

/* see copyreq.h */
h2o_req_t *copyreq_new(h2o_req_t *req)
{
	struct copyreq *cr = calloc(1, sizeof *cr);

	if (!cr)
		return NULL;
	cr->conn = (h2o_conn_t){.ctx = req->conn->ctx,
	                        .hosts = req->conn->hosts,
	                        .connected_at = req->conn->connected_at,
	                        .id = req->conn->id,
	                        .callbacks = &copy_callbacks};
	if (req->conn->callbacks->get_peername)
		cr->peer_len = req->conn->callbacks->get_peername(req->conn, (struct sockaddr *)&cr->peer);
	cr->ctx = req->conn->ctx;
	cr->orig = req;
	cr->out.do_send = collect;
	cr->finish.cb = on_finish;
	h2o_init_request(&cr->req, &cr->conn, req);
	copy_routing(&cr->req, req);
	cr->req._ostr_top = &cr->out;
	cr->watch = h2o_mem_alloc_shared(&req->pool, sizeof *cr->watch, watch_dispose);
	cr->watch->cr = cr;
	return &cr->req;
}

/* see copyreq.h */
void copyreq_release(h2o_req_t *copy)
{
	struct copyreq *cr = (struct copyreq *)copy;

	cr->released = 1;
	maybe_finish(cr);
}
