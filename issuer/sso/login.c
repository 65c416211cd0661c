/*
 * login.c: the login page and POST /login. The form names a flow (session.h)
 * and carries its CSRF token; the username and password are checked by
 * signin.h (on the worker pool, with the lockout and the address limit), and
 * the result comes back to finish the flow: a session, then the consent page or
 * a code for the client. A wrong password, an unknown username and a locked
 * account get one message; only the right password of a disabled account is
 * told so.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/page.h"
#include "crypto/password.h"
#include "sso/endpoints.h"
#include "sso/cookie.h"
#include "sso/flow.h"
#include "sso/redirect.h"
#include "sso/retry.h"
#include "sso/session.h"
#include "runtime/factors.h"
#include "runtime/signin.h"

/* A sign-in of the login page in flight: the attempt, and the flow it finishes. */
struct login_job {
	struct signin s; /* first */
	struct store_flow flow;
	uint8_t flow_hash[SECRET_HASH_LEN];
	char flow_id[SECRET_TEXT_LEN + 1], csrf[SECRET_TEXT_LEN + 1];
};

/* see endpoints.h */
void client_face(app_thread *t, const char *client_id, struct client_face *out)
{
	struct store_client *c = malloc(sizeof *c); /* big: kept off the coroutine's stack */

	memset(out, 0, sizeof *out);
	snprintf(out->name, sizeof out->name, "%s", client_id);
	if (c && app_client_get(t, client_id, c) == STORE_OK) {
		if (c->name[0])
			snprintf(out->name, sizeof out->name, "%s", c->name);
		if (c->logo_uri[0]) {
			snprintf(out->logo, sizeof out->logo, "%s", c->logo_uri);
			page_origin(c->logo_uri, out->logo_origin, sizeof out->logo_origin);
		}
		explicit_bzero(c, sizeof *c);
	}
	free(c);
}

/* see endpoints.h */
void login_page(h2o_req_t *req, app_thread *t, int status, const struct store_flow *f, const char *id,
                const char *csrf, const char *username, const char *message)
{
	struct client_face *face = h2o_mem_alloc_pool(&req->pool, sizeof *face);
	char origin[STORE_URI_MAX + 1] = "", rp_id[256];
	const char *lead = "";
	int pw = message && username && *username; /* the message is the password's: focus it */

	memset(face, 0, sizeof *face);
	if (f) {
		client_face(t, f->client_id, face);
		lead = page_msg(req, "login.lead", (struct page_var[]){{"client", face->name}}, 1);
		page_origin(f->redirect_uri, origin, sizeof origin);
	}
	struct page_var v[] = {
	    {"lead", lead},
	    {"flow", id},
	    {"csrf", csrf},
	    {"username", username},
	    {"message", message},
	    {"username_focus", pw ? "" : "autofocus"},
	    {"password_focus", pw ? "autofocus" : ""},
	    {"password_invalid", pw ? "true" : "false"},
	    {"logo", face->logo},
	    {"logo_class", face->logo[0] ? "logo" : "logo none"},
	    {"forgot_class", t->app->cfg->mail ? "" : "none"},
	    {"register_class", t->app->cfg->registration ? "" : "none"},
	    {"links_class", t->app->cfg->mail || t->app->cfg->registration ? "links" : "links none"},
	    {"rp_id", rp_id},
	    {"passkey_class", f ? "" : "none"}};
	const struct page_csp o = {.form_origin = origin, .img_origin = face->logo_origin, .script = 1};

	factors_rp_id(t, rp_id, sizeof rp_id);
	page_send_csp(req, status, "login.html", v, sizeof v / sizeof v[0], &o);
}

/* see endpoints.h */
void login_finish(h2o_req_t *req, app_thread *t, const struct store_flow *f,
                  const uint8_t flow_hash[SECRET_HASH_LEN], const char *id, const char *csrf,
                  const struct store_user *u, const char *amr, int64_t now)
{
	struct store_client c;
	struct store_flow taken;
	uint8_t sid[SECRET_HASH_LEN];
	int consent;

	if (session_start(req, t, u->id, amr, now, sid)) {
		page_unavailable(req);
		return;
	}
	if (app_client_get(t, f->client_id, &c) != STORE_OK ||
	    (consent = consent_needed(t, &c, u->id, f->scope, f->prompt)) < 0) {
		page_error(req, 400, "Sign-in expired", FLOW_EXPIRED);
		return;
	}
	if (consent) {
		if (store_flow_set_user(t->db, flow_hash, SECRET_HASH_LEN, now, u->id, now, amr, 0) ==
		    STORE_OK) {
			struct store_flow signed_in = *f;
			snprintf(signed_in.amr, sizeof signed_in.amr, "%s", amr);
			consent_page(req, t, &signed_in, id, csrf, u->username);
		} else {
			page_error(req, 400, "Sign-in expired", FLOW_EXPIRED);
		}
		return;
	}
	if (store_flow_take(t->db, flow_hash, SECRET_HASH_LEN, now, &taken) != STORE_OK) {
		page_error(req, 400, "Sign-in expired", FLOW_EXPIRED);
		return;
	}
	snprintf(taken.amr, sizeof taken.amr, "%s", amr);
	redirect_code(req, t, &taken, u->id, now, sid);
}

/* The right password: the second step when the person has a second factor, the
 * account page when the client wants one they have not set up, else done. */
static void succeeded(struct login_job *j, h2o_req_t *req, int64_t now)
{
	app_thread *t = j->s.t;
	struct factors_have have;
	int required = factors_required(t, j->flow.client_id);

	if (required < 0 || factors_have(t, j->s.user.id, &have) != STORE_OK) {
		page_unavailable(req);
		return;
	}
	if (have.any) {
		if (store_flow_set_user(t->db, j->flow_hash, SECRET_HASH_LEN, now, j->s.user.id, now, "pwd",
		                        1) != STORE_OK) {
			page_error(req, 400, "Sign-in expired", FLOW_EXPIRED);
			return;
		}
		snprintf(j->flow.user_id, sizeof j->flow.user_id, "%s", j->s.user.id);
		j->flow.mfa_pending = 1;
		second_page(req, t, 200, &j->flow, j->flow_hash, j->flow_id, j->csrf, NULL);
	} else if (required) {
		mfa_enrol_first(req, t, &j->s.user, now);
	} else {
		login_finish(req, t, &j->flow, j->flow_hash, j->flow_id, j->csrf, &j->s.user, "pwd", now);
	}
}

/* The result of the check (signin.h), answered; req is NULL when the browser left. */
static void login_done(struct signin *s, h2o_req_t *req, enum signin_result r, int64_t now)
{
	struct login_job *j = (struct login_job *)s;

	if (!req)
		return;
	if (r == SIGNIN_OK)
		succeeded(j, req, now);
	else if (r == SIGNIN_DISABLED || r == SIGNIN_UNVERIFIED || r == SIGNIN_WRONG)
		login_retry(req, s->t, &j->flow, j->flow_id, j->csrf, s->username,
		            r == SIGNIN_DISABLED     ? "disabled"
		            : r == SIGNIN_UNVERIFIED ? "unverified"
		                                     : "wrong");
	else
		page_unavailable(req);
}

/* Count the attempt and hand the check to the pool; login_done answers. */
static void check_password(h2o_req_t *req, app_thread *t, const http_form *form, const struct store_flow *f,
                           const uint8_t flow_hash[SECRET_HASH_LEN], const char *username,
                           const char *password, int64_t now)
{
	struct login_job *j =
	    (struct login_job *)signin_new(t, sizeof *j, username, password, f->client_id, login_done);

	if (!j) {
		page_unavailable(req);
		return;
	}
	j->flow = *f;
	memcpy(j->flow_hash, flow_hash, SECRET_HASH_LEN);
	snprintf(j->flow_id, sizeof j->flow_id, "%s", http_form_get(form, "flow"));
	snprintf(j->csrf, sizeof j->csrf, "%s", http_form_get(form, "csrf"));
	if (signin_start(&j->s, req, now))
		page_unavailable(req);
}

/*
 * The per-address limit: 1 after answering 429 when this address failed too
 * often, unless the username signed in from this address before (signin.h):
 * others behind the same proxy or NAT cannot lock a known person out.
 */
static int limited(h2o_req_t *req, app_thread *t, const http_form *form, int64_t now)
{
	int64_t retry = 0;
	char minutes[24], after[24];

	if (!signin_limited(req, t, http_form_get(form, "username"), now, &retry))
		return 0;
	snprintf(minutes, sizeof minutes, "%lld", (long long)((retry + 59) / 60));
	snprintf(after, sizeof after, "%lld", (long long)(retry > 0 ? retry : 1));
	response_add_header(req, "retry-after", after);
	login_page(req, t, 429, NULL, http_form_get(form, "flow"), http_form_get(form, "csrf"),
	           http_form_get(form, "username"),
	           page_msg(req, "login.limited", (struct page_var[]){{"n", minutes}}, 1));
	return 1;
}

/* A parsed form: the limit, the flow, the fields, then the password check. */
static void login_form(h2o_req_t *req, app_thread *t, const http_form *form)
{
	struct store_flow *f = h2o_mem_alloc_pool(&req->pool, sizeof *f);
	uint8_t hash[SECRET_HASH_LEN];
	int64_t now = app_now();
	const char *user = http_form_get(form, "username"), *pw = http_form_get(form, "password");

	if (limited(req, t, form, now) || flow_check(req, t, form, now, f, hash))
		return;
	if (!user || !*user || strlen(user) > STORE_USERNAME_MAX || !pw || !*pw ||
	    strlen(pw) > PASSWORD_MAX_LEN) {
		login_retry(req, t, f, http_form_get(form, "flow"), http_form_get(form, "csrf"),
		            user && strlen(user) <= STORE_USERNAME_MAX ? user : NULL, "missing");
		return;
	}
	check_password(req, t, form, f, hash, user, pw, now);
}

static void login_post(h2o_req_t *req, app_thread *t)
{
	http_form form;
	const char *pw;

	if (flow_params(req, &form, NULL) != HTTP_OK) {
		page_error(req, 400, "Sign-in expired", FLOW_EXPIRED);
		return;
	}
	login_form(req, t, &form);
	if ((pw = http_form_get(&form, "password")) != NULL)
		memset((char *)pw, 0, strlen(pw)); /* the decoded copy in req's pool, on every path */
}

/* see routes.h */
void login_endpoint(h2o_req_t *req, app_thread *t)
{
	if (h2o_memis(req->method.base, req->method.len, H2O_STRLIT("POST")))
		login_post(req, t);
	else
		login_retry_page(req, t); /* after a failed POST; else "start from your application" */
}
