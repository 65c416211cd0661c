/*
 * consent.c: the consent page and POST /consent, for clients registered with
 * --consent (and any client asked with prompt=consent). The page says in plain
 * words what the client will get; the answer finishes the flow: allow records
 * the consent and issues the code, deny sends access_denied to the client.
 *
 * It must never finish a flow nobody signed in to (login.c sets its user), one
 * of another browser, or one without its CSRF token; and it must never record a
 * consent wider than the scopes the person was shown.
 */
#include <stdio.h>
#include <string.h>

#include "oauth/oauth.h"
#include "http/page.h"
#include "sso/endpoints.h"
#include "sso/cookie.h"
#include "sso/flow.h"
#include "sso/redirect.h"
#include "sso/session.h"

/* What each known scope means, in the words shown to people. */
static const struct {
	const char *scope, *words;
} meanings[] = {
    {"openid", "sign you in"},
    {"profile", "see your username"},
    {"email", "see your email address"},
    {"offline_access", "stay signed in (refresh tokens)"},
};

/* One line per scope of scope ("openid: sign you in"), in req's language, into out[cap]. */
static void describe(h2o_req_t *req, const char *scope, char *out, size_t cap)
{
	size_t len = 0;

	out[0] = '\0';
	for (const char *p = scope; *p && len < cap;) {
		size_t n = strcspn(p, " ");
		const char *words = "a permission this service does not describe";
		for (size_t i = 0; i < sizeof meanings / sizeof meanings[0]; i++)
			if (strlen(meanings[i].scope) == n && memcmp(meanings[i].scope, p, n) == 0)
				words = meanings[i].words;
		len += (size_t)snprintf(out + len, cap - len, "%s%.*s: %s", len ? "\n" : "", (int)n, p,
		                        page_tr(req, words));
		p += n;
		p += *p == ' ';
	}
}

/* see session.h */
/* see endpoints.h */
int consent_needed(app_thread *t, const struct store_client *c, const char *user_id, const char *scope,
                   int prompt)
{
	char granted[STORE_SCOPE_MAX + 1];
	store_err e;

	if (prompt & STORE_PROMPT_CONSENT)
		return 1;
	if (!c->needs_consent)
		return 0;
	if ((e = store_consent_get(t->db, user_id, c->id, granted)) == STORE_NOT_FOUND)
		return 1;
	if (e != STORE_OK)
		return -1;
	return !scope_allowed(scope, granted);
}

void consent_page(h2o_req_t *req, app_thread *t, const struct store_flow *f, const char *id, const char *csrf,
                  const char *username)
{
	struct client_face *face = h2o_mem_alloc_pool(&req->pool, sizeof *face);
	char scopes[2048], origin[STORE_URI_MAX + 1];

	client_face(t, f->client_id, face);
	struct page_var v[] = {{"client", face->name},
	                       {"user", username},
	                       {"scopes", scopes},
	                       {"flow", id},
	                       {"csrf", csrf},
	                       {"logo", face->logo},
	                       {"logo_class", face->logo[0] ? "logo" : "logo none"}};
	describe(req, f->scope, scopes, sizeof scopes);
	page_origin(f->redirect_uri, origin, sizeof origin);
	page_send_img(req, 200, "consent.html", v, sizeof v / sizeof v[0], origin, face->logo_origin);
}

/* granted ∪ scope into out[STORE_SCOPE_MAX + 1] (scope alone when it does not fit). */
static void merge(const char *granted, const char *scope, char *out)
{
	size_t len = (size_t)snprintf(out, STORE_SCOPE_MAX + 1, "%s", granted);

	for (const char *p = scope; *p;) {
		size_t n = strcspn(p, " ");
		char tok[STORE_SCOPE_MAX + 1];
		snprintf(tok, sizeof tok, "%.*s", (int)n, p);
		if (!scope_allowed(tok, out)) {
			if (len + 1 + n > STORE_SCOPE_MAX) {
				snprintf(out, STORE_SCOPE_MAX + 1, "%s", scope);
				return;
			}
			len += (size_t)snprintf(out + len, STORE_SCOPE_MAX + 1 - len, "%s%s", len ? " " : "",
			                        tok);
		}
		p += n;
		p += *p == ' ';
	}
}

/* Record that f's user allowed f's client f's scopes (added to earlier ones); 0 or -1. */
static int remember(app_thread *t, const struct store_flow *f, int64_t now)
{
	char granted[STORE_SCOPE_MAX + 1] = "", all[STORE_SCOPE_MAX + 1];
	store_err e = store_consent_get(t->db, f->user_id, f->client_id, granted);

	if (e != STORE_OK && e != STORE_NOT_FOUND)
		return -1;
	merge(e == STORE_OK ? granted : "", f->scope, all);
	return store_consent_put(t->db, f->user_id, f->client_id, all, now) == STORE_OK ? 0 : -1;
}

/* 0 when the browser still has a live session of the user who signed in for f
 * (into *se); else -1 after answering: a consent page left open across a logout (or a
 * session that expired, or another user's sign-in) cannot approve anything. */
static int live_session(h2o_req_t *req, app_thread *t, const struct store_flow *f, int64_t now,
                        struct store_session *se)
{
	store_err e = session_current(req, t, now, se);

	if (e == STORE_OK && strcmp(se->user_id, f->user_id) == 0)
		return 0;
	if (e != STORE_OK && e != STORE_NOT_FOUND)
		page_unavailable(req);
	else
		page_error(req, 400, "Sign-in expired",
		           "You signed out, or your session ended, before this "
		           "request was approved. Start again from your application.");
	return -1;
}

/* see routes.h */
void consent_endpoint(h2o_req_t *req, app_thread *t)
{
	http_form form;
	struct store_flow *f = h2o_mem_alloc_pool(&req->pool, sizeof *f);
	uint8_t hash[SECRET_HASH_LEN];
	int64_t now = app_now();
	struct store_session se;
	const char *decision;
	int allow;

	if (flow_params(req, &form, NULL) != HTTP_OK) {
		page_error(req, 400, "Sign-in expired", FLOW_EXPIRED);
		return;
	}
	if (flow_check(req, t, &form, now, f, hash))
		return;
	decision = http_form_get(&form, "decision");
	allow = decision && strcmp(decision, "allow") == 0;
	if (!f->user_id[0] || f->mfa_pending || !decision || (!allow && strcmp(decision, "deny") != 0)) {
		page_error(req, 400, "Sign-in expired", FLOW_EXPIRED);
		return;
	}
	if (live_session(req, t, f, now, &se))
		return;
	if (allow && remember(t, f, now)) {
		page_unavailable(req);
		return;
	}
	if (store_flow_take(t->db, hash, SECRET_HASH_LEN, now, f) != STORE_OK)
		page_error(req, 400, "Sign-in expired", FLOW_EXPIRED);
	else if (allow)
		redirect_code(req, t, f, f->user_id, f->auth_time, se.id_hash);
	else
		redirect_error(req, t, f->redirect_uri, f->state, "access_denied",
		               "the user denied the request");
}
