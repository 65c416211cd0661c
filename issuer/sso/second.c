/*
 * second.c: the second step of a sign-in (an authenticator app's code, a
 * recovery code or a passkey, after the password: POST /login/mfa and
 * /login/passkey) and the passkey sign-in without a password (the login page's
 * button: POST /login/passkey/challenge, then /login/passkey). The flow records
 * who passed the password (store.h mfa_pending); nothing but the right second
 * factor of that person ends it. Failures count towards the account's lockout
 * like wrong passwords; every answer is the same for a wrong, a used and an
 * unknown code.
 */
#include <stdio.h>
#include <string.h>

#include "http/page.h"
#include "http/response.h"
#include "runtime/audit.h"
#include "runtime/factors.h"
#include "sso/endpoints.h"
#include "sso/flow.h"
#include "sso/redirect.h"
#include "sso/session.h"

#define WRONG_CODE    "That code is not right, or it was used already. Try the next code your app shows."
#define LOCKED        "Too many wrong codes. Wait a few minutes, then try again."
#define PASSKEY_WRONG "That passkey could not be used here. Try again, or use another way to sign in."
#define DISABLED      "This account is disabled. Ask your administrator to enable it."

/* see endpoints.h */
void mfa_enrol_first(h2o_req_t *req, app_thread *t, const struct store_user *u, int64_t now)
{
	uint8_t sid[SECRET_HASH_LEN];

	if (session_start(req, t, u->id, "pwd", now, sid))
		page_unavailable(req);
	else
		mfa_setup_redirect(req, t);
}

/* see endpoints.h */
void mfa_setup_redirect(h2o_req_t *req, app_thread *t)
{
	redirect_local(req, t, "/account?setup=required");
}

/* see endpoints.h */
void mfa_page(h2o_req_t *req, app_thread *t, int status, const struct mfa_view *v, const char *message)
{
	struct factors_have have;
	char *challenge = h2o_mem_alloc_pool(&req->pool, FACTORS_CHALLENGE_TEXT + 1), rp_id[256], *creds;
	struct client_face *face = h2o_mem_alloc_pool(&req->pool, sizeof *face);
	const char *lead = "";

	snprintf(challenge, FACTORS_CHALLENGE_TEXT + 1, "%s", v->challenge ? v->challenge : "");
	if (factors_have(t, v->user_id, &have) != STORE_OK ||
	    (have.passkeys && !v->challenge &&
	     factors_challenge_new(t, v->user_id, v->binding, app_now(), challenge))) {
		page_unavailable(req);
		return;
	}
	creds = h2o_mem_alloc_pool(&req->pool, FACTORS_IDS_MAX);
	if (!have.passkeys || factors_passkey_ids(t, v->user_id, creds, FACTORS_IDS_MAX) != STORE_OK)
		creds[0] = '\0';
	if (v->client_id) {
		client_face(t, v->client_id, face);
		lead = page_msg(req, "login.lead", (struct page_var[]){{"client", face->name}}, 1);
	}
	factors_rp_id(t, rp_id, sizeof rp_id);
	struct page_var pv[] = {
	    {"lead", lead},
	    {"message", message},
	    {"flow", v->flow},
	    {"csrf", v->csrf},
	    {"action", v->action},
	    {"passkey_action", v->passkey_action},
	    {"code_class", have.totp || have.recovery_left ? "" : "none"},
	    {"passkey_class", have.passkeys ? "" : "none"},
	    {"challenge", challenge},
	    {"rp_id", rp_id},
	    {"credentials", creds},
	};
	char *origin = h2o_mem_alloc_pool(&req->pool, STORE_URI_MAX + 1);
	origin[0] = '\0';
	if (v->redirect_uri)
		page_origin(v->redirect_uri, origin, STORE_URI_MAX + 1);
	const struct page_csp o = {.form_origin = origin, .script = 1};
	page_send_csp(req, status, "mfa.html", pv, sizeof pv / sizeof pv[0], &o);
}

/* The view of the second step of flow f (id, csrf, its id's hash). */
static struct mfa_view flow_view(const struct store_flow *f, const uint8_t hash[SECRET_HASH_LEN],
                                 const char *id, const char *csrf)
{
	return (struct mfa_view){.user_id = f->user_id,
	                         .client_id = f->client_id,
	                         .redirect_uri = f->redirect_uri,
	                         .flow = id,
	                         .csrf = csrf,
	                         .action = "/login/mfa",
	                         .passkey_action = "/login/passkey",
	                         .binding = hash};
}

/* see endpoints.h */
void second_page(h2o_req_t *req, app_thread *t, int status, const struct store_flow *f,
                 const uint8_t flow_hash[SECRET_HASH_LEN], const char *id, const char *csrf,
                 const char *message)
{
	const struct mfa_view v = flow_view(f, flow_hash, id, csrf);

	mfa_page(req, t, status, &v, message);
}

/* see endpoints.h */
int mfa_admit(h2o_req_t *req, app_thread *t, const struct store_user *u, const struct mfa_view *v,
              int64_t now)
{
	const server_config *cfg = t->app->cfg;
	int admitted = 0, started = 0;
	int64_t until = 0;

	if (store_login_admit(t->db, u->username, now, cfg->lockout_threshold, cfg->lockout_seconds,
	                      &admitted, &until, &started) != STORE_OK) {
		page_unavailable(req);
		return -1;
	}
	if (admitted)
		return 1;
	audit_req(req, "auth.mfa.locked", "warn", v->client_id, u->id, u->username, NULL, 0);
	mfa_page(req, t, 429, v, LOCKED);
	return 0;
}

/* see endpoints.h */
void mfa_refused(h2o_req_t *req, app_thread *t, const struct store_user *u, const struct mfa_view *v,
                 const char *message, int64_t now)
{
	const server_config *cfg = t->app->cfg;
	int64_t until = 0;

	store_login_failed(t->db, u->username, now, cfg->lockout_threshold, cfg->lockout_seconds, &until);
	audit_req(req, "auth.mfa.failed", "warn", v->client_id, u->id, u->username, NULL, 0);
	mfa_page(req, t, 200, v, message);
}

/* see endpoints.h */
void mfa_passed(h2o_req_t *req, app_thread *t, const struct store_user *u, const char *client_id,
                const char *amr, int64_t now)
{
	store_login_clear(t->db, u->username, now); /* a lock in force (CONFLICT) stays */
	audit_req(req, "auth.mfa.succeeded", "info", client_id, u->id, u->username,
	          (reqlog_field[]){{"amr", amr, 0}}, 1);
}

/* The flow of form, checked, and the user who owes it the second step, into *f and *u; 0, or
 * -1 after answering. */
static int pending(h2o_req_t *req, app_thread *t, const http_form *form, int64_t now, struct store_flow *f,
                   uint8_t hash[SECRET_HASH_LEN], struct store_user *u)
{
	store_err e;

	if (flow_check(req, t, form, now, f, hash))
		return -1;
	if (!f->mfa_pending || !f->user_id[0] ||
	    (e = store_user_get(t->db, f->user_id, u)) == STORE_NOT_FOUND) {
		page_error(req, 400, "Sign-in expired", FLOW_EXPIRED);
		return -1;
	}
	if (e != STORE_OK) {
		page_unavailable(req);
		return -1;
	}
	if (u->disabled) {
		page_error(req, 403, "Account disabled", DISABLED);
		return -1;
	}
	return 0;
}

/* A parsed POST /login/mfa. */
static void code_form(h2o_req_t *req, app_thread *t, const http_form *form)
{
	struct store_flow *f = h2o_mem_alloc_pool(&req->pool, sizeof *f);
	struct store_user *u = h2o_mem_alloc_pool(&req->pool, sizeof *u);
	const char *id = http_form_get(form, "flow"), *csrf = http_form_get(form, "csrf");
	uint8_t hash[SECRET_HASH_LEN];
	int64_t now = app_now();
	char amr[STORE_AMR_MAX + 1];

	if (pending(req, t, form, now, f, hash, u))
		return;
	const struct mfa_view v = flow_view(f, hash, id, csrf);
	if (mfa_admit(req, t, u, &v, now) <= 0)
		return;
	switch (mfa_code(req, t, u, &v, http_form_get(form, "code"), now, amr)) {
	case FACTORS_OK:
		mfa_passed(req, t, u, f->client_id, amr, now);
		login_finish(req, t, f, hash, id, csrf, u, amr, now);
		break;
	case FACTORS_WRONG:
		mfa_refused(req, t, u, &v, WRONG_CODE, now);
		break;
	default:
		page_unavailable(req);
	}
}

/* see endpoints.h */
enum factors_result mfa_code(h2o_req_t *req, app_thread *t, const struct store_user *u,
                             const struct mfa_view *v, const char *code, int64_t now,
                             char amr[STORE_AMR_MAX + 1])
{
	int recovery = 0;
	enum factors_result r = factors_check_code(t, u->id, code, now, &recovery);

	factors_amr(1, 1, 0, 0, amr);
	if (r == FACTORS_OK && recovery)
		audit_req(req, "auth.mfa.recovery_used", "warn", v->client_id, u->id, u->username, NULL, 0);
	return r;
}

/* see endpoints.h */
void second_endpoint(h2o_req_t *req, app_thread *t)
{
	http_form form;
	const char *code;

	if (!h2o_memis(req->method.base, req->method.len, H2O_STRLIT("POST")) ||
	    flow_params(req, &form, NULL) != HTTP_OK) {
		page_error(req, 400, "Sign-in expired", FLOW_EXPIRED);
		return;
	}
	code_form(req, t, &form);
	if ((code = http_form_get(&form, "code")) != NULL)
		memset((char *)code, 0, strlen(code));
}

/* The passkey's answer of form checked against the challenge it names (bound to
 * the flow hash), for user_id (NULL: whoever owns it, with user verification). */
static enum factors_result check_passkey(app_thread *t, const http_form *form,
                                         const uint8_t hash[SECRET_HASH_LEN], const char *user_id,
                                         int64_t now, struct factors_passkey *pk)
{
	uint8_t challenge[FACTORS_CHALLENGE_LEN];
	char owner[STORE_ID_MAX + 1];
	webauthn_err why;
	enum factors_result r =
	    factors_challenge_take(t, http_form_get(form, "challenge"), hash, now, challenge, owner);

	if (r != FACTORS_OK)
		return r;
	if (strcmp(owner, user_id ? user_id : "") != 0)
		return FACTORS_WRONG; /* made for another step of this flow */
	return factors_passkey_check(t, user_id, challenge, !user_id, http_form_get(form, "credential"),
	                             http_form_get(form, "client_data"),
	                             http_form_get(form, "authenticator_data"),
	                             http_form_get(form, "signature"), now, pk, &why);
}

/* A passkey as the second factor of f's user u. */
static void passkey_second(h2o_req_t *req, app_thread *t, const http_form *form, struct store_flow *f,
                           const uint8_t hash[SECRET_HASH_LEN], struct store_user *u, int64_t now)
{
	const char *id = http_form_get(form, "flow"), *csrf = http_form_get(form, "csrf");
	const struct mfa_view v = flow_view(f, hash, id, csrf);
	struct factors_passkey pk;
	char amr[STORE_AMR_MAX + 1];

	if (mfa_admit(req, t, u, &v, now) <= 0)
		return;
	switch (check_passkey(t, form, hash, u->id, now, &pk)) {
	case FACTORS_OK:
		factors_amr(1, 0, 1, pk.flags, amr);
		mfa_passed(req, t, u, f->client_id, amr, now);
		login_finish(req, t, f, hash, id, csrf, u, amr, now);
		break;
	case FACTORS_WRONG:
		mfa_refused(req, t, u, &v, PASSKEY_WRONG, now);
		break;
	default:
		page_unavailable(req);
	}
}

/* A passkey alone (user verified) signs in its owner to flow f. */
static void passkey_alone(h2o_req_t *req, app_thread *t, const http_form *form, struct store_flow *f,
                          const uint8_t hash[SECRET_HASH_LEN], int64_t now)
{
	const char *id = http_form_get(form, "flow"), *csrf = http_form_get(form, "csrf");
	struct store_user *u = h2o_mem_alloc_pool(&req->pool, sizeof *u);
	struct factors_passkey pk;
	char amr[STORE_AMR_MAX + 1];
	enum factors_result r = check_passkey(t, form, hash, NULL, now, &pk);
	store_err e = r == FACTORS_OK ? store_user_get(t->db, pk.user_id, u) : STORE_NOT_FOUND;

	if (r == FACTORS_UNAVAILABLE || (e != STORE_OK && e != STORE_NOT_FOUND)) {
		page_unavailable(req);
	} else if (r != FACTORS_OK || e != STORE_OK) {
		audit_req(req, "auth.passkey.failed", "warn", f->client_id, NULL, NULL, NULL, 0);
		login_page(req, t, 200, f, id, csrf, NULL, PASSKEY_WRONG);
	} else if (u->disabled || u->verify_required) {
		login_page(req, t, 403, f, id, csrf, u->username, DISABLED);
	} else {
		factors_amr(0, 0, 1, pk.flags, amr);
		audit_req(req, "auth.login.succeeded", "info", f->client_id, u->id, u->username,
		          (reqlog_field[]){{"amr", amr, 0}}, 1);
		login_finish(req, t, f, hash, id, csrf, u, amr, now);
	}
}

/* see endpoints.h */
void passkey_login_endpoint(h2o_req_t *req, app_thread *t)
{
	http_form form;
	struct store_flow *f = h2o_mem_alloc_pool(&req->pool, sizeof *f);
	struct store_user *u = h2o_mem_alloc_pool(&req->pool, sizeof *u);
	uint8_t hash[SECRET_HASH_LEN];
	int64_t now = app_now();

	if (!h2o_memis(req->method.base, req->method.len, H2O_STRLIT("POST")) ||
	    flow_params(req, &form, NULL) != HTTP_OK) {
		page_error(req, 400, "Sign-in expired", FLOW_EXPIRED);
		return;
	}
	if (flow_check(req, t, &form, now, f, hash))
		return;
	if (!f->mfa_pending) {
		if (f->user_id[0])
			page_error(req, 400, "Sign-in expired", FLOW_EXPIRED); /* signed in already */
		else
			passkey_alone(req, t, &form, f, hash, now);
		return;
	}
	if (pending(req, t, &form, now, f, hash, u) == 0)
		passkey_second(req, t, &form, f, hash, u, now);
}

/* see endpoints.h */
void passkey_challenge_endpoint(h2o_req_t *req, app_thread *t)
{
	http_form form;
	struct store_flow *f = h2o_mem_alloc_pool(&req->pool, sizeof *f);
	uint8_t hash[SECRET_HASH_LEN];
	char challenge[FACTORS_CHALLENGE_TEXT + 1];
	int64_t now = app_now();
	cJSON *doc;

	if (!h2o_memis(req->method.base, req->method.len, H2O_STRLIT("POST")) ||
	    flow_params(req, &form, NULL) != HTTP_OK) {
		response_send_error(req, 400, "invalid_request",
		                    "a form with the flow and its csrf token is required");
		return;
	}
	if (flow_check(req, t, &form, now, f, hash) || flow_flood(req, t, now, 1))
		return;
	if (f->user_id[0] || factors_challenge_new(t, "", hash, now, challenge)) {
		response_send_error(req, f->user_id[0] ? 400 : 503,
		                    f->user_id[0] ? "invalid_request" : "temporarily_unavailable",
		                    f->user_id[0] ? "this sign-in has passed its first step" : "try again");
		return;
	}
	doc = cJSON_CreateObject();
	cJSON_AddStringToObject(doc, "challenge", challenge);
	response_add_header(req, "cache-control", "no-store");
	response_send_cjson(req, 200, doc);
}
