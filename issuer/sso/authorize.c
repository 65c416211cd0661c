/*
 * authorize.c: GET and POST /authorize, the authorization endpoint (RFC 6749
 * §4.1.1, RFC 7636, OIDC Core §3.1.2). It checks the request, then either
 * answers at once (a code for a browser with a live SSO session, or an error)
 * or starts a login flow: what was asked is kept server-side (store_flow) and
 * the login page carries only the flow's id and CSRF token.
 *
 * It must never redirect before client_id and redirect_uri checked out (an
 * unknown client or an unregistered URI gets an error page: RFC 6749 §4.1.2.1,
 * no open redirector), never accept PKCE other than S256, and never issue a code
 * without a session or a sign-in that satisfies prompt and max_age.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/audit.h"
#include "oauth/oauth.h"
#include "http/page.h"
#include "sso/endpoints.h"
#include "sso/cookie.h"
#include "sso/flow.h"
#include "sso/redirect.h"
#include "runtime/factors.h"
#include "sso/session.h"

/* A PKCE S256 challenge: base64url of a SHA-256, unpadded. */
#define PKCE_S256_LEN 43
/* Longest max_age (digits): about 31 years of seconds. */
#define MAX_AGE_DIGITS 9

#define BAD_LINK "This sign-in link is not valid. Go back to the application and try again."

/* The client named by id, if it may use the code flow and uri is one of its redirect URIs,
 * into *c; 0, or -1 after an error page (never a redirect). */
static int known_client(h2o_req_t *req, app_thread *t, const char *id, const char *uri,
                        struct store_client *c)
{
	store_err e = STORE_NOT_FOUND;

	if (id && *id && strlen(id) <= STORE_ID_MAX)
		e = app_client_get(t, id, c);
	if (store_unavailable(e) || (e != STORE_OK && e != STORE_NOT_FOUND)) {
		page_unavailable(req);
		return -1;
	}
	if (e != STORE_OK || !store_list_has(c->grants, "authorization_code")) {
		page_error(req, 400, "Unknown application",
		           "The application that sent you here is not registered with this sign-in service.");
		return -1;
	}
	if (!uri || strlen(uri) > STORE_URI_MAX || !store_list_has(c->redirect_uris, uri)) {
		page_error(req, 400, "Invalid redirect address",
		           "The application asked to return you to an address it has not registered.");
		return -1;
	}
	return 0;
}

/*
 * A parameter given twice: the request has no one meaning (RFC 6749 §3.1), but when
 * client_id and redirect_uri each appear once and check out, the client is told at
 * its redirect URI (invalid_request); otherwise an error page.
 */
static void repeated(h2o_req_t *req, app_thread *t, h2o_iovec_t raw)
{
	const char *want[3] = {"client_id", "redirect_uri", "state"}, *val[3] = {NULL, NULL, NULL};
	int count[3] = {0, 0, 0};
	struct store_client c;

	for (size_t i = 0; i < raw.len;) {
		size_t n = 0;
		http_form one;
		char *buf;
		while (i + n < raw.len && raw.base[i + n] != '&')
			n++;
		buf = h2o_mem_alloc_pool(&req->pool, HTTP_FORM_BUF_SIZE(n));
		if (n && http_form_parse(raw.base + i, n, &one, buf, HTTP_FORM_BUF_SIZE(n)) == HTTP_OK &&
		    one.n == 1)
			for (int k = 0; k < 3; k++)
				if (strcmp(one.f[0].name, want[k]) == 0)
					count[k]++, val[k] = one.f[0].value;
		i += n + 1;
	}
	if (count[0] != 1 || count[1] != 1) {
		page_error(req, 400, "Invalid request", BAD_LINK);
		return;
	}
	if (known_client(req, t, val[0], val[1], &c) == 0)
		redirect_error(req, t, val[1], count[2] == 1 ? val[2] : NULL, "invalid_request",
		               "a parameter was given more than once");
}

/* prompt (OIDC Core §3.1.2.1): space-separated none, login, consent, select_account (as
 * login); none only alone. STORE_PROMPT_* flags into *flags, *none; 0 or -1. */
static int parse_prompt(const char *p, int *flags, int *none)
{
	int n = 0;

	*flags = *none = 0;
	for (const char *s = p ? p : ""; *s;) {
		size_t k = strcspn(s, " ");
		if (k == 4 && memcmp(s, "none", 4) == 0)
			*none = 1;
		else if ((k == 5 && memcmp(s, "login", 5) == 0) ||
		         (k == 14 && memcmp(s, "select_account", 14) == 0))
			*flags |= STORE_PROMPT_LOGIN;
		else if (k == 7 && memcmp(s, "consent", 7) == 0)
			*flags |= STORE_PROMPT_CONSENT;
		else if (k)
			return -1;
		n += k > 0;
		s += k;
		s += *s == ' ';
	}
	return *none && n > 1 ? -1 : 0;
}

/* max_age: a non-negative integer of at most MAX_AGE_DIGITS digits, or -1 when absent; 0 or -1. */
static int parse_max_age(const char *s, int64_t *out)
{
	size_t n = s ? strlen(s) : 0;

	*out = -1;
	if (!s)
		return 0;
	if (n == 0 || n > MAX_AGE_DIGITS || strspn(s, "0123456789") != n)
		return -1;
	*out = strtoll(s, NULL, 10);
	return 0;
}

static int b64url_only(const char *s)
{
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == strlen(s);
}

/* The reason the PKCE parameters are refused (RFC 7636 §4.3, S256 only), or NULL. */
static const char *pkce_problem(const char *challenge, const char *method)
{
	if (!challenge)
		return "code_challenge is required (PKCE with S256)";
	if (!method || strcmp(method, "S256") != 0)
		return "PKCE S256 is required";
	if (strlen(challenge) != PKCE_S256_LEN || !b64url_only(challenge))
		return "code_challenge must be 43 characters of base64url (S256)";
	return NULL;
}

/* The error code and description of what is wrong with q's protocol parameters, or
 * NULL with the scope to grant in granted: the scopes asked for that this issuer
 * knows and the client may use; others are ignored (OIDC Core §3.1.2.1). */
static const char *problem(const http_form *q, const struct store_client *c, const char **code,
                           char granted[STORE_SCOPE_MAX + 1])
{
	const char *rt = http_form_get(q, "response_type"), *scope = http_form_get(q, "scope");
	const char *mode = http_form_get(q, "response_mode"), *nonce = http_form_get(q, "nonce");

	*code = "invalid_request";
	if (http_form_get(q, "request"))
		return *code = "request_not_supported", "request objects are not supported";
	if (http_form_get(q, "request_uri"))
		return *code = "request_uri_not_supported", "request_uri is not supported";
	if (!rt)
		return "response_type is required";
	if (strcmp(rt, "code") != 0)
		return *code = "unsupported_response_type", "only response_type=code is supported";
	if (mode && strcmp(mode, "query") != 0)
		return "only response_mode=query is supported";
	if (!scope || strlen(scope) > STORE_SCOPE_MAX || !scope_valid(scope))
		return *code = "invalid_scope", "scope is missing or malformed";
	if (!scope_intersect(scope, SCOPE_KNOWN, c->scope, granted, STORE_SCOPE_MAX + 1))
		return *code = "invalid_scope", "no scope this client may use was asked for";
	if (nonce && strlen(nonce) > STORE_NONCE_MAX)
		return "nonce is too long";
	return pkce_problem(http_form_get(q, "code_challenge"), http_form_get(q, "code_challenge_method"));
}

/* Fill f from q (checked); 0, or -1 after the error redirect. */
static int read_request(h2o_req_t *req, app_thread *t, const http_form *q, const struct store_client *c,
                        struct store_flow *f, int *none)
{
	const char *uri = http_form_get(q, "redirect_uri"), *state = http_form_get(q, "state");
	const char *code = NULL, *why = NULL;

	if (state && strlen(state) > STORE_STATE_MAX)
		why = "state is too long", state = NULL;
	else if (!(why = problem(q, c, &code, f->scope)) &&
	         parse_prompt(http_form_get(q, "prompt"), &f->prompt, none))
		why = "prompt must be none (alone), login, consent or select_account";
	else if (!why && parse_max_age(http_form_get(q, "max_age"), &f->max_age))
		why = "max_age must be a non-negative integer";
	if (why) {
		redirect_error(req, t, uri, state, code ? code : "invalid_request", why);
		return -1;
	}
	snprintf(f->client_id, sizeof f->client_id, "%s", c->id);
	snprintf(f->redirect_uri, sizeof f->redirect_uri, "%s", uri);
	snprintf(f->state, sizeof f->state, "%s", state ? state : "");
	snprintf(f->nonce, sizeof f->nonce, "%s", http_form_get(q, "nonce") ? http_form_get(q, "nonce") : "");
	snprintf(f->code_challenge, sizeof f->code_challenge, "%s", http_form_get(q, "code_challenge"));
	snprintf(f->code_challenge_method, sizeof f->code_challenge_method, "S256");
	return 0;
}

static void unavailable(h2o_req_t *req, app_thread *t, const struct store_flow *f)
{
	redirect_error(req, t, f->redirect_uri, f->state, "temporarily_unavailable",
	               "the server cannot complete the request now; try again");
}

/* Store flow f (signed in already when s is not NULL) and answer with its page. */
static void start_flow(h2o_req_t *req, app_thread *t, struct store_flow *f, const struct store_session *s,
                       const char *login_hint)
{
	char id[SECRET_TEXT_LEN + 1], csrf[SECRET_TEXT_LEN + 1];
	struct store_user u;
	int64_t now = app_now();

	if (!s && flow_flood(req, t, now, 0))
		return;

	f->browser_hash_len = SECRET_HASH_LEN;
	f->created_at = now;
	f->expires_at = now + t->app->cfg->flow_ttl;
	if (s && store_user_get(t->db, s->user_id, &u) != STORE_OK)
		s = NULL; /* the user is gone: sign in again */
	if (s) {
		snprintf(f->user_id, sizeof f->user_id, "%.*s", (int)sizeof f->user_id - 1, s->user_id);
		snprintf(f->amr, sizeof f->amr, "%s", s->amr);
		f->auth_time = s->auth_time;
	}
	if (cookie_browser_ensure(req, t, f->browser_hash) || flow_ids(t, f, id, csrf) ||
	    store_flow_put(t->db, f) != STORE_OK)
		unavailable(req, t, f);
	else if (s && f->mfa_pending)
		second_page(req, t, 200, f, f->id_hash, id, csrf, NULL);
	else if (s)
		consent_page(req, t, f, id, csrf, u.username);
	else
		login_page(req, t, 200, f, id, csrf,
		           login_hint && strlen(login_hint) <= STORE_USERNAME_MAX ? login_hint : NULL, NULL);
	memset(id, 0, sizeof id);
	memset(csrf, 0, sizeof csrf);
}

/* The request's id_token_hint, if any, into sub: 0, or -1 after redirecting with
 * invalid_request when it is not an ID token this issuer gave this client. */
static int read_hint(h2o_req_t *req, app_thread *t, const http_form *q, const struct store_client *c,
                     const struct store_flow *f, char sub[STORE_ID_MAX + 1])
{
	const char *hint = http_form_get(q, "id_token_hint");
	char client[STORE_ID_MAX + 1];

	if (!hint || !*hint || session_hint(t, hint, c->id, sub, client) == 0)
		return 0;
	redirect_error(req, t, f->redirect_uri, f->state, "invalid_request",
	               "id_token_hint is not an ID token this server issued to this client");
	return -1;
}

/* 1 when session s, good for the request otherwise, lacks the second factor that
 * client c (or MFA=required) wants; 0 when not; -1 when the store failed. */
static int step_up(app_thread *t, const struct store_client *c, const struct store_session *s)
{
	int required = factors_required(t, c->id);

	return required <= 0 ? required : !factors_amr_has(s->amr, "mfa");
}

/* Session s must add a second factor: the second step when its user has one, else
 * the account page to set one up. */
static void second_or_setup(h2o_req_t *req, app_thread *t, struct store_flow *f,
                            const struct store_session *s, const char *login_hint)
{
	struct factors_have have;

	if (factors_have(t, s->user_id, &have) != STORE_OK)
		unavailable(req, t, f);
	else if (!have.any)
		mfa_setup_redirect(req, t);
	else
		start_flow(req, t, f, s, login_hint);
}

/* A code for the browser's session s, with its amr. */
static void code_for_session(h2o_req_t *req, app_thread *t, struct store_flow *f,
                             const struct store_session *s)
{
	snprintf(f->amr, sizeof f->amr, "%s", s->amr);
	redirect_code(req, t, f, s->user_id, s->auth_time, s->id_hash);
}

/* With a valid request in f: a code now (SSO), an error for prompt=none, or a flow.
 * hint_sub: the subject of the request's id_token_hint, or NULL: a session of
 * anyone else does not count (OIDC Core §3.1.2.1): sign in again, or
 * login_required with prompt=none. */
static void decide(h2o_req_t *req, app_thread *t, const struct store_client *c, struct store_flow *f,
                   int none, const char *login_hint, const char *hint_sub)
{
	int64_t now = app_now();
	struct store_session s;
	store_err e = session_current(req, t, now, &s);
	int login, consent = 0;

	if (e != STORE_OK && e != STORE_NOT_FOUND) {
		unavailable(req, t, f);
		return;
	}
	/* OIDC Core §3.1.2.1: max_age=0 is prompt=login. */
	login = e != STORE_OK || (f->prompt & STORE_PROMPT_LOGIN) || f->max_age == 0 ||
	        (f->max_age > 0 && now - s.auth_time > f->max_age) ||
	        (hint_sub && strcmp(hint_sub, s.user_id) != 0);
	if (!login && (f->mfa_pending = step_up(t, c, &s)) < 0) {
		unavailable(req, t, f);
		return;
	}
	if (!login && !f->mfa_pending &&
	    (consent = consent_needed(t, c, s.user_id, f->scope, f->prompt)) < 0) {
		unavailable(req, t, f);
		return;
	}
	if (none && (login || f->mfa_pending || consent))
		redirect_error(req, t, f->redirect_uri, f->state,
		               login || f->mfa_pending ? "login_required" : "consent_required",
		               login            ? "the user must sign in"
		               : f->mfa_pending ? "the user must sign in with a second factor"
		                                : "the user must consent");
	else if (!login && !f->mfa_pending && !consent)
		code_for_session(req, t, f, &s);
	else if (!login && f->mfa_pending)
		second_or_setup(req, t, f, &s, login_hint);
	else
		start_flow(req, t, f, login ? NULL : &s, login_hint);
}

/* see routes.h */
void authorize_endpoint(h2o_req_t *req, app_thread *t)
{
	http_form q;
	h2o_iovec_t raw;
	struct store_client c;
	struct store_flow *f = h2o_mem_alloc_pool(&req->pool, sizeof *f);
	http_err e = flow_params(req, &q, &raw);
	char hint_sub[STORE_ID_MAX + 1] = "";
	int none;

	memset(f, 0, sizeof *f);
	if (e == HTTP_E_DUPLICATE) {
		repeated(req, t, raw);
		return;
	}
	if (e != HTTP_OK) {
		page_error(req, 400, "Invalid request", BAD_LINK);
		return;
	}
	page_ui_locales(req, http_form_get(&q, "ui_locales")); /* OIDC Core §3.1.2.1: the pages' language */
	if (known_client(req, t, http_form_get(&q, "client_id"), http_form_get(&q, "redirect_uri"), &c))
		return;
	if (read_request(req, t, &q, &c, f, &none) == 0 && read_hint(req, t, &q, &c, f, hint_sub) == 0)
		decide(req, t, &c, f, none, http_form_get(&q, "login_hint"), hint_sub[0] ? hint_sub : NULL);
}
