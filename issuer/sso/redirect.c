/*
 * redirect.c: the one way back to a client (see redirect.h). It must never
 * redirect anywhere but to a URI the caller took from a registered client (or a
 * flow made from one), and never puts a code in a log or an error message.
 */
#include <stdio.h>
#include <string.h>

#include "runtime/audit.h"
#include "crypto/secret.h"
#include "oauth/oauth.h"
#include "sso/redirect.h"

static int unreserved(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
	       c == '.' || c == '_' || c == '~';
}

/* Append name=pct(value) with separator sep at out + n; returns the new length. */
static size_t put_param(char *out, size_t n, char sep, const char *name, const char *value)
{
	static const char hex[] = "0123456789ABCDEF";

	out[n++] = sep;
	n += (size_t)sprintf(out + n, "%s=", name);
	for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
		if (unreserved(*p)) {
			out[n++] = (char)*p;
			continue;
		}
		out[n++] = '%';
		out[n++] = hex[*p >> 4];
		out[n++] = hex[*p & 15];
	}
	return n;
}

/* see redirect.h */
void redirect_to(h2o_req_t *req, app_thread *t, const char *uri, const char *const *pairs, size_t n,
                 int with_iss)
{
	const char *iss = t->app->cfg->issuer;
	size_t cap = strlen(uri) + 1 + (with_iss ? 5 + 3 * strlen(iss) : 0), len = strlen(uri);
	char sep = strchr(uri, '?') ? '&' : '?', *loc;
	int post = h2o_memis(req->method.base, req->method.len, H2O_STRLIT("POST"));

	for (size_t i = 0; i < n; i++)
		if (pairs[2 * i + 1])
			cap += strlen(pairs[2 * i]) + 2 + 3 * strlen(pairs[2 * i + 1]);
	loc = h2o_mem_alloc_pool(&req->pool, cap + 1);
	memcpy(loc, uri, len);
	for (size_t i = 0; i < n; i++)
		if (pairs[2 * i + 1]) {
			len = put_param(loc, len, sep, pairs[2 * i], pairs[2 * i + 1]);
			sep = '&';
		}
	if (with_iss)
		len = put_param(loc, len, sep, "iss", iss);
	loc[len] = '\0';
	req->res.status = post ? 303 : 302;
	req->res.reason = post ? "See Other" : "Found";
	response_add_header(req, "location", loc);
	response_add_header(req, "cache-control", "no-store");
	response_add_header(req, "referrer-policy", "no-referrer");
	req->res.content_length = 0;
	h2o_send_inline(req, "", 0);
}

/* see redirect.h */
void redirect_local(h2o_req_t *req, app_thread *t, const char *path)
{
	const char *base = t->app->cfg->issuer_path ? t->app->cfg->issuer_path : "";
	size_t n = strlen(base) + strlen(path) + 1;
	char *loc = h2o_mem_alloc_pool(&req->pool, n);

	snprintf(loc, n, "%s%s", base, path);
	req->res.status = 303;
	req->res.reason = "See Other";
	response_add_header(req, "location", loc);
	response_add_header(req, "cache-control", "no-store");
	req->res.content_length = 0;
	h2o_send_inline(req, "", 0);
}

/* see redirect.h */
void redirect_error(h2o_req_t *req, app_thread *t, const char *uri, const char *state, const char *error,
                    const char *description)
{
	const char *p[] = {"error",     error,   "error_description",
	                   description, "state", state && *state ? state : NULL};

	redirect_to(req, t, uri, p, 3, 1);
}

/* see redirect.h */
void redirect_code(h2o_req_t *req, app_thread *t, const struct store_flow *f, const char *user_id,
                   int64_t auth_time, const uint8_t *session_hash)
{
	struct store_code c = {
	    .code_hash_len = SECRET_HASH_LEN, .auth_time = auth_time, .session_hash_len = SECRET_HASH_LEN};
	char code[SECRET_TEXT_LEN + 1];
	const char *p[4] = {"code", code, "state", f->state[0] ? f->state : NULL};

	memcpy(c.session_hash, session_hash, SECRET_HASH_LEN);
	snprintf(c.client_id, sizeof c.client_id, "%s", f->client_id);
	snprintf(c.user_id, sizeof c.user_id, "%s", user_id);
	snprintf(c.redirect_uri, sizeof c.redirect_uri, "%s", f->redirect_uri);
	snprintf(c.scope, sizeof c.scope, "%s", f->scope);
	snprintf(c.nonce, sizeof c.nonce, "%s", f->nonce);
	snprintf(c.code_challenge, sizeof c.code_challenge, "%s", f->code_challenge);
	snprintf(c.code_challenge_method, sizeof c.code_challenge_method, "S256");
	snprintf(c.amr, sizeof c.amr, "%s", f->amr);
	c.expires_at = app_now() + t->app->cfg->code_ttl;
	if (secret_generate(&t->rng, code) == 0) {
		secret_hash(code, SECRET_TEXT_LEN, c.code_hash);
		if (store_code_put(t->db, &c) == STORE_OK) {
			audit_req(req, "oauth.code.issued", "info", c.client_id, c.user_id, NULL, NULL, 0);
			redirect_to(req, t, f->redirect_uri, p, 2, 1);
			memset(code, 0, sizeof code);
			return;
		}
	}
	memset(code, 0, sizeof code);
	redirect_error(req, t, f->redirect_uri, f->state, "temporarily_unavailable",
	               "the server cannot issue a code now; try again");
}
