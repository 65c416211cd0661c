/*
 * flow.c: login flows checked against the browser that started them (see
 * flow.h). Compares the flow id, CSRF token and browser cookie by hash in
 * constant time; never writes one to a log, a page or an error message.
 */
#include <stdio.h>
#include <string.h>

#include "http/page.h"
#include "jose.h"
#include "oauth/oauth.h"
#include "runtime/audit.h"
#include "runtime/ratelimit.h"
#include "sso/cookie.h"
#include "sso/flow.h"

/* see flow.h */
http_err flow_params(h2o_req_t *req, http_form *form, h2o_iovec_t *raw)
{
	h2o_iovec_t in = h2o_iovec_init("", 0), ct;
	char *buf;

	if (h2o_memis(req->method.base, req->method.len, H2O_STRLIT("POST"))) {
		ct = response_request_header(req, H2O_TOKEN_CONTENT_TYPE);
		if (!ct.base || !http_media_type_is(ct.base, ct.len, "application/x-www-form-urlencoded"))
			return HTTP_E_SYNTAX;
		if (req->entity.base)
			in = req->entity;
	} else if (req->query_at != SIZE_MAX) {
		in = h2o_iovec_init(req->path.base + req->query_at + 1, req->path.len - req->query_at - 1);
	}
	if (raw)
		*raw = in;
	buf = h2o_mem_alloc_pool(&req->pool, HTTP_FORM_BUF_SIZE(in.len));
	return http_form_parse(in.base, in.len, form, buf, HTTP_FORM_BUF_SIZE(in.len));
}

/* 1 when the request's Origin header is absent (a client that is no browser) or
 * the issuer's origin; else 0. "null" is refused: it is what sandboxed frames,
 * data: and file: pages send, never our own pages (page.c's same-origin referrer
 * policy makes their form posts carry the issuer's origin). */
static int origin_ok(h2o_req_t *req, app_thread *t)
{
	ssize_t i = h2o_find_header_by_str(&req->headers, H2O_STRLIT("origin"), -1);
	h2o_iovec_t o = i < 0 ? h2o_iovec_init(NULL, 0) : req->headers.entries[i].value;
	char ours[512];

	if (!o.base)
		return 1;
	page_origin(t->app->cfg->issuer, ours, sizeof ours);
	return o.len == strlen(ours) && memcmp(o.base, ours, o.len) == 0;
}

/* 1 when hash[0..len) is the SHA-256 of text (SECRET_TEXT_LEN characters), in constant time. */
static int hash_is(const uint8_t *hash, size_t len, const char *text)
{
	uint8_t h[SECRET_HASH_LEN];

	if (!text || strlen(text) != SECRET_TEXT_LEN || len != SECRET_HASH_LEN)
		return 0;
	secret_hash(text, SECRET_TEXT_LEN, h);
	return jose_ct_equal(h, hash, SECRET_HASH_LEN);
}

/* see flow.h */
int flow_check(h2o_req_t *req, app_thread *t, const http_form *form, int64_t now, struct store_flow *f,
               uint8_t hash[SECRET_HASH_LEN])
{
	const char *id = http_form_get(form, "flow");
	uint8_t browser[SECRET_HASH_LEN];
	store_err e = STORE_NOT_FOUND;
	int ok;

	if (origin_ok(req, t) && id && strlen(id) == SECRET_TEXT_LEN) {
		secret_hash(id, SECRET_TEXT_LEN, hash);
		e = store_flow_get(t->db, hash, SECRET_HASH_LEN, now, f);
	}
	if (store_unavailable(e) || (e != STORE_OK && e != STORE_NOT_FOUND)) {
		page_unavailable(req);
		return -1;
	}
	ok = e == STORE_OK && cookie_browser(req, t, browser) == 0;
	ok = ok && f->browser_hash_len == SECRET_HASH_LEN &&
	     jose_ct_equal(f->browser_hash, browser, SECRET_HASH_LEN);
	ok = ok && hash_is(f->csrf_hash, f->csrf_hash_len, http_form_get(form, "csrf"));
	if (!ok) {
		page_error(req, 400, "Sign-in expired", FLOW_EXPIRED);
		return -1;
	}
	return 0;
}

/* see flow.h */
int flow_ids(app_thread *t, struct store_flow *f, char id[SECRET_TEXT_LEN + 1],
             char csrf[SECRET_TEXT_LEN + 1])
{
	if (secret_generate(&t->rng, id) || secret_generate(&t->rng, csrf))
		return -1;
	secret_hash(id, SECRET_TEXT_LEN, f->id_hash);
	f->id_hash_len = SECRET_HASH_LEN;
	secret_hash(csrf, SECRET_TEXT_LEN, f->csrf_hash);
	f->csrf_hash_len = SECRET_HASH_LEN;
	return 0;
}

/* see flow.h */
int flow_flood(h2o_req_t *req, app_thread *t, int64_t now, int json)
{
	struct sockaddr_storage ss;
	const struct sockaddr *sa = response_peer(req, &ss) ? (const struct sockaddr *)&ss : NULL;
	int64_t retry = 0;
	char after[24];

	if (!ratelimit_blocked(t->app->limits, RATELIMIT_FLOW, sa, now, &retry)) {
		ratelimit_failed(t->app->limits, RATELIMIT_FLOW, sa, now);
		return 0;
	}
	metrics_limited(t->app->metrics, t->index, METRICS_LIMITED_LOGIN);
	audit_req(req, "limit.hit", "warn", NULL, NULL, NULL,
	          (reqlog_field[]){{"limit", "LOGIN_FLOWS_PER_ADDRESS", 0}}, 1);
	snprintf(after, sizeof after, "%lld", (long long)(retry > 0 ? retry : 1));
	response_add_header(req, "retry-after", after);
	if (json)
		response_send_error(req, 429, "slow_down",
		                    "too many sign-ins from this address; try again later");
	else
		page_error(req, 429, "Too many sign-ins",
		           "Too many sign-ins were started from your network; try again in a few minutes.");
	return 1;
}
