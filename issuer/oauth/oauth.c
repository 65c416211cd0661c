/*
 * oauth.c: form bodies and client authentication (see oauth.h).
 * A failed authentication says only "invalid_client": never whether the id or
 * the secret was wrong, and an unknown id costs the same hash as a known one.
 * Credentials are always checked, also from an address over its limit: a
 * client's valid secret is never refused because others behind the same proxy
 * or NAT failed; only failures are answered 429 there. Checking a secret costs
 * one HMAC, and a 256-bit secret cannot be guessed, so the limit guards the
 * logs and the metrics, not the secret.
 */
#include <stdio.h>
#include <string.h>

#include "runtime/audit.h"
#include "oauth/oauth.h"
#include "crypto/secret.h"

/* see oauth.h */
void oauth_store_unavailable(h2o_req_t *req)
{
	response_send_error(req, 503, "temporarily_unavailable", "the store is unavailable; retry");
}

/* see oauth.h */
int oauth_read_form(h2o_req_t *req, http_form *form)
{
	h2o_iovec_t ct = response_request_header(req, H2O_TOKEN_CONTENT_TYPE);
	size_t cap = HTTP_FORM_BUF_SIZE(req->entity.len);
	char *buf = h2o_mem_alloc_pool(&req->pool, cap);
	http_err e;
	char why[128];

	if (!ct.base || !http_media_type_is(ct.base, ct.len, "application/x-www-form-urlencoded")) {
		response_send_error(req, 415, "invalid_request",
		                    "the body must be application/x-www-form-urlencoded");
		return -1;
	}
	if ((e = http_form_parse(req->entity.base ? req->entity.base : "", req->entity.len, form, buf,
	                         cap))) {
		snprintf(why, sizeof why, "malformed form body: %s", http_strerror(e));
		response_send_error(req, 400, "invalid_request", why);
		return -1;
	}
	return 0;
}

/* Why a client authentication was refused, to be answered by oauth_client_auth. */
struct refusal {
	int status; /* 400, 401, or 503 when the store failed */
	const char *error, *why;
};

/* -1, with r set to status, error and why. */
static int refuse(struct refusal *r, int status, const char *error, const char *why)
{
	r->status = status;
	r->error = error;
	r->why = why;
	return -1;
}

static int unauthorized(struct refusal *r, const char *why)
{
	return refuse(r, 401, "invalid_client", why);
}

/* Look the client up and check its secret; 0 or -1 (with r). */
static int check_client(app_thread *t, const char *id, const char *secret, struct store_client *c,
                        struct refusal *r)
{
	static const struct store_client nobody = {.secret_hash_len = 32, .secret_salt_len = 16};
	store_err e = app_client_get(t, id, c);
	int ok;

	if (store_unavailable(e) || (e != STORE_OK && e != STORE_NOT_FOUND))
		return refuse(r, 503, NULL, NULL);
	/* Same work for an unknown id as for a known one. */
	ok = secret_client_check_at(e == STORE_OK ? c : &nobody, secret, strlen(secret), app_now()) &&
	     e == STORE_OK;
	if (!ok)
		return unauthorized(r, "client authentication failed");
	return 0;
}

/* oauth_client_auth without the per-address limit and the answer: 0, or -1 with r. */
static int client_auth(h2o_req_t *req, app_thread *t, const http_form *form, struct store_client *c,
                       struct refusal *r)
{
	h2o_iovec_t auth = response_request_header(req, H2O_TOKEN_AUTHORIZATION);
	const char *id = http_form_get(form, "client_id"), *secret = http_form_get(form, "client_secret");
	char hid[STORE_ID_MAX + 1], hsecret[OAUTH_SECRET_MAX + 1];
	int rc;

	if (auth.base) {
		if (secret) {
			return refuse(r, 400, "invalid_request",
			              "use one client authentication method, not two");
		}
		if (http_basic_parse(auth.base, auth.len, hid, sizeof hid, hsecret, sizeof hsecret) !=
		    HTTP_OK) {
			return unauthorized(r, "malformed Basic credentials");
		}
		if (id && strcmp(id, hid) != 0) {
			return refuse(r, 400, "invalid_request",
			              "client_id differs from the authenticated client");
		}
		rc = check_client(t, hid, hsecret, c, r);
		memset(hsecret, 0, sizeof hsecret);
		return rc;
	}
	if (!id || !secret) {
		return unauthorized(
		    r, "client authentication required (client_secret_basic or client_secret_post)");
	}
	if (strlen(id) > STORE_ID_MAX || strlen(secret) > OAUTH_SECRET_MAX) {
		return unauthorized(r, "client authentication failed");
	}
	return check_client(t, id, secret, c, r);
}

/* see oauth.h */
int oauth_client_auth(h2o_req_t *req, app_thread *t, const http_form *form, struct store_client *c)
{
	struct sockaddr_storage ss;
	const struct sockaddr *peer = NULL;
	int64_t now = app_now(), retry;
	struct refusal r = {0};
	char *after;
	int blocked;

	if (client_auth(req, t, form, c, &r) == 0) {
		response_note_client(req, c->id);
		return 0;
	}
	if (r.status == 503) {
		oauth_store_unavailable(req);
		return -1;
	}
	/* Every other refusal is a failed authentication; successes never count. */
	if (response_peer(req, &ss))
		peer = (const struct sockaddr *)&ss;
	blocked = ratelimit_blocked(t->app->limits, RATELIMIT_CLIENT_AUTH, peer, now, &retry);
	ratelimit_failed(t->app->limits, RATELIMIT_CLIENT_AUTH, peer, now);
	metrics_client_auth_failure(t->app->metrics, t->index);
	if (blocked) {
		after = h2o_mem_alloc_pool(&req->pool, 24);
		snprintf(after, 24, "%lld", (long long)retry);
		response_add_header(req, "retry-after", after);
		response_send_error(req, 429, "temporarily_unavailable",
		                    "too many failed client authentications from this address; retry later");
		metrics_limited(t->app->metrics, t->index, METRICS_LIMITED_CLIENT_AUTH);
		audit_req(req, "limit.hit", "warn", NULL, NULL, NULL,
		          (reqlog_field[]){{"limit", "CLIENT_AUTH_FAILURES_PER_ADDRESS", 0}}, 1);
		return -1;
	}
	if (r.status == 401)
		response_add_header(req, "www-authenticate",
		                    "Basic realm=\"identity-backend\", charset=\"UTF-8\"");
	response_send_error(req, r.status, r.error, r.why);
	return -1;
}

/* oauth_client_identify and oauth_client_identify_revoker: a public client by its
 * client_id alone when public_ok, else oauth_client_auth. */
static int identify(h2o_req_t *req, app_thread *t, const http_form *form, int public_ok,
                    struct store_client *c)
{
	const char *id = http_form_get(form, "client_id");
	store_err e;

	if (public_ok && id && !http_form_get(form, "client_secret") &&
	    !response_request_header(req, H2O_TOKEN_AUTHORIZATION).base && strlen(id) <= STORE_ID_MAX) {
		e = app_client_get(t, id, c);
		if (store_unavailable(e) || (e != STORE_OK && e != STORE_NOT_FOUND)) {
			oauth_store_unavailable(req);
			return -1;
		}
		if (e == STORE_OK && c->is_public) {
			response_note_client(req, c->id);
			return 0;
		}
	}
	/* A confidential client, or no client at all: a secret is required (and a failure counted). */
	return oauth_client_auth(req, t, form, c);
}

/* see oauth.h */
int oauth_client_identify(h2o_req_t *req, app_thread *t, const http_form *form, const char *grant,
                          struct store_client *c)
{
	return identify(req, t, form,
	                strcmp(grant, "authorization_code") == 0 || strcmp(grant, "refresh_token") == 0, c);
}

/* see oauth.h */
int oauth_client_identify_revoker(h2o_req_t *req, app_thread *t, const http_form *form,
                                  struct store_client *c)
{
	return identify(req, t, form, 1, c);
}

/* see oauth.h */
int oauth_json_to_form(const cJSON *doc, const char *name, http_form *f)
{
	const cJSON *m = jose_json_member(doc, name);

	if (!m)
		return 0;
	if (!cJSON_IsString(m) || f->n == HTTP_FORM_MAX_FIELDS)
		return -1;
	f->f[f->n++] = (http_field){name, strlen(name), m->valuestring, strlen(m->valuestring)};
	return 0;
}
