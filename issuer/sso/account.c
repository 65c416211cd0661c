/*
 * account.c: what a person does about their own account by mail, without an
 * administrator: a password reset (/forgot, /reset), an address confirmed
 * (/verify-email) and, with REGISTRATION=open, an account of their own
 * (/register, and the legacy JSON /auth/register with ACCOUNT_JSON_API=on).
 *
 * Every link is a single-use random token, stored hashed (store.h, struct
 * store_link), written in one transaction with the mail that carries it
 * (mail.h): a reset link works RESET_TTL, a verification link ACCOUNT_VERIFY_TTL. A
 * link's GET only shows a form; the POST spends it, so a mail scanner that
 * follows links spends nothing. /forgot answers the same words whether or not
 * an account has the address, after the same store work (an unknown address,
 * a disabled account or one over its hourly limit of reset mails gets a decoy
 * link that opens nothing, and no mail). New passwords follow the server's
 * policy and are hashed on the worker pool. Forms carry a CSRF token bound to
 * the browser (cookie.h); every POST is counted against the address's limit of
 * failed sign-ins (signin.h), so no address can mail or register without end.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/page.h"
#include "jose_json.h"
#include "runtime/audit.h"
#include "runtime/signin.h"
#include "sso/account.h"
#include "sso/cookie.h"
#include "sso/endpoints.h"
#include "sso/flow.h"
#include "store/valid.h"

#define RESET_TTL       1800 /* a reset link: 30 minutes */
#define RESETS_PER_HOUR 3    /* reset mails to one account per hour; more get decoys */
#define FORM            "account"

#define EXPIRED  "This link has expired or was already used. Ask for a new one from the sign-in page."
#define BAD_FORM "This form has expired; reload the page and try again."

/* ---- pieces ---- */

/* see account.h */
int account_form_csrf(h2o_req_t *req, app_thread *t, char csrf[SECRET_TEXT_LEN + 1])
{
	uint8_t browser[SECRET_HASH_LEN];

	if (cookie_browser_ensure(req, t, browser)) {
		page_unavailable(req);
		return -1;
	}
	cookie_form_token(FORM, browser, csrf);
	return 0;
}

/* see account.h */
int account_read_form(h2o_req_t *req, app_thread *t, http_form *f, int post)
{
	if (flow_params(req, f, NULL) != HTTP_OK) {
		page_error(
		    req, 400, "Invalid form",
		    "This form could not be read: it holds a character or a size this server does not take.");
		return -1;
	}
	if (post && !cookie_form_check(req, t, FORM, http_form_get(f, "csrf"))) {
		page_error(req, 400, "Form expired", BAD_FORM);
		return -1;
	}
	return 0;
}

/* see account.h */
int account_limited(h2o_req_t *req, app_thread *t, int64_t now, int64_t *retry)
{
	struct sockaddr_storage ss;

	if (signin_limited(req, t, NULL, now, retry))
		return 1;
	ratelimit_failed(t->app->limits, RATELIMIT_LOGIN,
	                 response_peer(req, &ss) ? (const struct sockaddr *)&ss : NULL, now);
	return 0;
}

/* see account.h */
int account_over_limit(h2o_req_t *req, app_thread *t, int64_t now)
{
	int64_t retry = 0;
	char after[24];

	if (!account_limited(req, t, now, &retry))
		return 0;
	snprintf(after, sizeof after, "%lld", (long long)(retry > 0 ? retry : 1));
	response_add_header(req, "retry-after", after);
	page_error(req, 429, "Too many attempts", "Too many attempts from your network; try again later.");
	return 1;
}

/* see account.h */
const char *account_policy(h2o_req_t *req, app_thread *t, const char *username, const char *pw, char *why,
                           size_t whylen)
{
	const struct policy *p = t->app->cfg->policy;
	policy_err e = policy_check(p, username, pw, strlen(pw), why, whylen);
	char min[16];

	if (e == POLICY_OK)
		return NULL;
	if (e != POLICY_TOO_SHORT || !p)
		return why; /* a fixed reason: the page shows it in its language */
	snprintf(min, sizeof min, "%u", p->min_chars);
	return page_msg(req, "policy.too_short", (struct page_var[]){{"min", min}}, 1);
}

/* see account.h */
int account_new_link(app_thread *t, const char *kind, const char *user_id, const char *email, int64_t now,
                     int64_t ttl, char text[SECRET_TEXT_LEN + 1], struct store_link *l)
{
	memset(l, 0, sizeof *l);
	if (secret_generate(&t->rng, text))
		return -1;
	secret_hash(text, SECRET_TEXT_LEN, l->hash);
	l->hash_len = SECRET_HASH_LEN;
	snprintf(l->kind, sizeof l->kind, "%s", kind);
	snprintf(l->user_id, sizeof l->user_id, "%s", user_id);
	snprintf(l->email, sizeof l->email, "%s", email);
	l->created_at = now;
	l->expires_at = now + ttl;
	return 0;
}

/* see account.h */
store_err account_queue_link(app_thread *t, const struct store_link *l, const char *text,
                             const char *mail_kind, const struct store_user *u, const char *path, int64_t now,
                             const char *lang)
{
	char url[1024];
	store_err e = store_link_put(t->db, l), e2 = STORE_OK;
	mail_err me = MAIL_OK;

	snprintf(url, sizeof url, "%s%s?token=%s", t->app->cfg->issuer, path, text);
	if (e == STORE_OK && u)
		me = mail_queue(t->db, t->app->cfg->mail, mail_kind, u->email,
		                &(struct mail_vars){.name = u->name[0] ? u->name : NULL,
		                                    .username = u->username,
		                                    .link = url,
		                                    .valid_for = l->expires_at - l->created_at,
		                                    .lang = lang},
		                now, NULL, &e2);
	explicit_bzero(url, sizeof url);
	if (e == STORE_OK && me != MAIL_OK)
		e = me == MAIL_STORE ? e2 : STORE_INVALID;
	return e;
}

/* account_queue_link in a transaction of its own, then the sender woken. */
static store_err send_link(app_thread *t, const struct store_link *l, const char *text, const char *mail_kind,
                           const struct store_user *u, const char *path, int64_t now, const char *lang)
{
	store_err e = store_tx_begin(t->db), e2;

	if (e != STORE_OK)
		return e;
	e = account_queue_link(t, l, text, mail_kind, u, path, now, lang);
	e2 = store_tx_end(t->db, e == STORE_OK);
	if (e == STORE_OK && (e = e2) == STORE_OK && u && t->app->mail)
		mailer_kick(t->app->mail);
	return e;
}

/* The link of the request's token of kind, live at now, and its user; 0, or -1 after
 * answering (an expired page for any link that opens nothing, 503). */
static int live_link(h2o_req_t *req, app_thread *t, const http_form *f, const char *kind, int64_t now,
                     struct store_link *l, struct store_user *u)
{
	const char *token = http_form_get(f, "token");
	uint8_t hash[SECRET_HASH_LEN];
	store_err e = STORE_NOT_FOUND;

	if (token && strlen(token) == SECRET_TEXT_LEN) {
		secret_hash(token, SECRET_TEXT_LEN, hash);
		e = store_link_get(t->db, hash, sizeof hash, kind, now, l);
		if (e == STORE_OK)
			e = store_user_get(t->db, l->user_id, u);
	}
	if (e == STORE_OK && !u->disabled)
		return 0;
	if (store_unavailable(e))
		page_unavailable(req);
	else
		page_error(req, 400, "Link expired", EXPIRED);
	return -1;
}

/* ---- /forgot ---- */

static void forgot_page(h2o_req_t *req, app_thread *t, int status, const char *email, const char *message)
{
	char csrf[SECRET_TEXT_LEN + 1];
	struct page_var v[] = {{"csrf", csrf}, {"email", email}, {"message", message}};

	if (!account_form_csrf(req, t, csrf))
		page_send(req, status, "forgot.html", v, sizeof v / sizeof v[0], NULL);
}

/* The user to mail a reset link for email into *u: 1 when one may get it now, 0 for a
 * decoy (none, disabled, over the hourly limit), -1 when the store failed. */
static int reset_target(app_thread *t, const char *email, int64_t now, struct store_user *u)
{
	store_err e = store_user_get_by_email(t->db, email, u);
	int n = 0, found = e == STORE_OK;

	/* The count runs for an unknown address too (of nobody's links): the same work. */
	if (e == STORE_OK || e == STORE_NOT_FOUND)
		e = store_link_count(t->db, found ? u->id : "", "reset", now - 3600, &n);
	if (e != STORE_OK)
		return -1;
	return found && !u->disabled && n < RESETS_PER_HOUR;
}

static void forgot_post(h2o_req_t *req, app_thread *t, const http_form *f, int64_t now)
{
	const char *email = http_form_get(f, "email");
	char text[SECRET_TEXT_LEN + 1];
	struct store_user u;
	struct store_link l;
	int real;

	if (!email || !store_email_valid(email)) {
		forgot_page(req, t, 400, email && strlen(email) <= STORE_EMAIL_MAX ? email : NULL,
		            "Enter an email address such as name@example.com.");
		return;
	}
	if ((real = reset_target(t, email, now, &u)) < 0 ||
	    account_new_link(t, "reset", real ? u.id : "", email, now, RESET_TTL, text, &l) ||
	    send_link(t, &l, text, "reset", real ? &u : NULL, "/reset", now, i18n_tag(page_lang(req))) !=
	        STORE_OK) {
		page_unavailable(req);
	} else {
		page_error(req, 200, "Check your mail",
		           page_msg(req, "forgot.sent", (struct page_var[]){{"email", email}}, 1));
	}
	explicit_bzero(text, sizeof text);
	explicit_bzero(&u, sizeof u);
}

/* see endpoints.h */
void forgot_endpoint(h2o_req_t *req, app_thread *t)
{
	int post = h2o_memis(req->method.base, req->method.len, H2O_STRLIT("POST"));
	int64_t now = app_now();
	http_form f;

	if (!t->app->cfg->mail) {
		page_error(req, 404, "Not available",
		           "Password reset by mail is not set up; ask your administrator.");
		return;
	}
	if (!post) {
		forgot_page(req, t, 200, NULL, NULL);
		return;
	}
	if (!account_read_form(req, t, &f, 1) && !account_over_limit(req, t, now))
		forgot_post(req, t, &f, now);
}

/* ---- /reset ---- */

/* A reset on its way through the pool: the new hash, then the link spent. */
struct reset_job {
	struct newpass n; /* first */
	uint8_t hash[SECRET_HASH_LEN];
};

static void reset_page(h2o_req_t *req, app_thread *t, int status, const char *token, const char *username,
                       const char *message)
{
	char csrf[SECRET_TEXT_LEN + 1];
	struct page_var v[] = {
	    {"csrf", csrf}, {"token", token}, {"username", username}, {"message", message}};

	if (!account_form_csrf(req, t, csrf))
		page_send(req, status, "reset.html", v, sizeof v / sizeof v[0], NULL);
}

/* In one transaction: the link spent, the password set, every session and the other
 * reset links ended, the address confirmed when the link went to it. */
static store_err reset_apply(app_thread *t, const struct reset_job *j, int64_t now, struct store_user *u)
{
	struct store_link l;
	store_err e = store_tx_begin(t->db), e2;

	if (e != STORE_OK)
		return e;
	if ((e = store_link_take(t->db, j->hash, sizeof j->hash, "reset", now, &l)) == STORE_OK &&
	    (e = store_user_get(t->db, l.user_id, u)) == STORE_OK && u->disabled)
		e = STORE_NOT_FOUND;
	if (e == STORE_OK && (e = store_user_set_password(t->db, u->id, j->n.hash)) == STORE_OK &&
	    (e = store_user_end_sessions(t->db, u->id)) == STORE_OK &&
	    (e = store_link_end(t->db, u->id, "reset")) == STORE_OK && strcasecmp(l.email, u->email) == 0) {
		u->email_verified = 1;
		e = store_user_update(t->db, u);
	}
	e2 = store_tx_end(t->db, e == STORE_OK);
	return e == STORE_OK ? e2 : e;
}

static void reset_done(struct newpass *n, h2o_req_t *req, int ok)
{
	struct store_user u;
	store_err e = ok ? reset_apply(n->t, (struct reset_job *)n, app_now(), &u) : STORE_NOMEM;

	if (e == STORE_OK)
		audit_req(req, "user.password_changed", "info", NULL, u.id, u.username,
		          (reqlog_field[]){{"by", "reset", 0}}, 1);
	if (req && e == STORE_OK)
		page_error(
		    req, 200, "Password set",
		    "Your new password is set, and you are signed out everywhere else. Sign in with it "
		    "from your application.");
	else if (req && e == STORE_NOT_FOUND)
		page_error(req, 400, "Link expired", EXPIRED);
	else if (req)
		page_unavailable(req);
	explicit_bzero(&u, sizeof u);
}

static void reset_post(h2o_req_t *req, app_thread *t, const http_form *f, int64_t now)
{
	const char *pw = http_form_get(f, "password"), *pw2 = http_form_get(f, "password2");
	const char *token = http_form_get(f, "token");
	struct store_link l;
	struct store_user u;
	struct reset_job *j;
	char why[256];
	const char *bad = NULL;

	if (live_link(req, t, f, "reset", now, &l, &u))
		return;
	if (!pw || !pw2 || strcmp(pw, pw2) != 0)
		reset_page(req, t, 400, token, u.username, "The two passwords differ.");
	else if (strlen(pw) > PASSWORD_MAX_LEN || !password_valid(pw, strlen(pw)) ||
	         (bad = account_policy(req, t, u.username, pw, why, sizeof why)) != NULL)
		reset_page(req, t, 400, token, u.username,
		           strlen(pw) > PASSWORD_MAX_LEN ? "The password is too long."
		           : bad                         ? bad
		                                         : "The password is too long or not text.");
	else if (!(j = (struct reset_job *)newpass_new(t, sizeof *j, pw, reset_done)))
		page_unavailable(req);
	else {
		memcpy(j->hash, l.hash, sizeof j->hash);
		if (newpass_start(&j->n, req))
			page_unavailable(req);
	}
	explicit_bzero(&u, sizeof u);
}

/* see endpoints.h */
void reset_endpoint(h2o_req_t *req, app_thread *t)
{
	int post = h2o_memis(req->method.base, req->method.len, H2O_STRLIT("POST"));
	int64_t now = app_now();
	struct store_link l;
	struct store_user u;
	http_form f;

	if (!t->app->cfg->mail) {
		page_error(req, 404, "Not available",
		           "Password reset by mail is not set up; ask your administrator.");
		return;
	}
	if (account_read_form(req, t, &f, post))
		return;
	if (post) {
		if (!account_over_limit(req, t, now))
			reset_post(req, t, &f, now);
	} else if (!live_link(req, t, &f, "reset", now, &l, &u)) {
		reset_page(req, t, 200, http_form_get(&f, "token"), u.username, NULL);
		explicit_bzero(&u, sizeof u);
	}
}

/* ---- /verify-email ---- */

/* Spend the verification link of token and confirm the address it went to when the
 * account still has it: OK, NOT_FOUND (no such live link), CONFLICT (another address
 * now), or the store's failure. */
static store_err verify_apply(app_thread *t, const char *token, int64_t now, struct store_user *u)
{
	uint8_t hash[SECRET_HASH_LEN];
	struct store_link l;
	store_err e, e2;

	if (!token || strlen(token) != SECRET_TEXT_LEN)
		return STORE_NOT_FOUND;
	secret_hash(token, SECRET_TEXT_LEN, hash);
	if ((e = store_tx_begin(t->db)) != STORE_OK)
		return e;
	if ((e = store_link_take(t->db, hash, sizeof hash, "verify", now, &l)) == STORE_OK &&
	    (e = store_user_get(t->db, l.user_id, u)) == STORE_OK) {
		if (strcasecmp(l.email, u->email) != 0) {
			e = STORE_CONFLICT;
		} else {
			u->email_verified = 1;
			u->verify_required = 0;
			e = store_user_update(t->db, u);
		}
	}
	e2 = store_tx_end(t->db, e == STORE_OK || e == STORE_CONFLICT);
	return e == STORE_OK ? e2 : e;
}

/* see endpoints.h */
void verify_email_endpoint(h2o_req_t *req, app_thread *t)
{
	int post = h2o_memis(req->method.base, req->method.len, H2O_STRLIT("POST"));
	char csrf[SECRET_TEXT_LEN + 1];
	struct store_link l;
	struct store_user u = {.disabled = 0};
	http_form f;
	store_err e;

	if (account_read_form(req, t, &f, post))
		return;
	if (!post) {
		if (!live_link(req, t, &f, "verify", app_now(), &l, &u) && !account_form_csrf(req, t, csrf))
			page_send(req, 200, "verify.html",
			          (struct page_var[]){{"csrf", csrf},
			                              {"token", http_form_get(&f, "token")},
			                              {"email", l.email},
			                              {"username", u.username}},
			          4, NULL);
	} else if ((e = verify_apply(t, http_form_get(&f, "token"), app_now(), &u)) == STORE_OK) {
		audit_req(req, "user.changed", "info", NULL, u.id, u.username,
		          (reqlog_field[]){{"email_verified", "true", 0}}, 1);
		page_error(req, 200, "Address confirmed", "Thank you: your email address is confirmed.");
	} else if (e == STORE_CONFLICT) {
		page_error(req, 400, "Link expired",
		           "This link was for an address the account no longer has.");
	} else if (store_unavailable(e)) {
		page_unavailable(req);
	} else {
		page_error(req, 400, "Link expired", EXPIRED);
	}
	explicit_bzero(&u, sizeof u);
}
