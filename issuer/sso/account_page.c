/*
 * account_page.c: /account, where a signed-in person looks after how they
 * sign in: an authenticator app (enrolled with a QR code drawn here, confirmed
 * by its first code), recovery codes (shown once), passkeys (registered by the
 * page's script), and the sessions where they are signed in, each of which
 * they can end. Without a session the page asks them to sign in: password,
 * then their second factor (POST /account/login, /account/mfa), the second
 * step's state being a single-use challenge bound to this browser. Every form
 * carries the browser's account CSRF token (account.h); a session of a
 * disabled user counts as none.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/password.h"
#include "http/page.h"
#include "http/response.h"
#include "jose_b64url.h"
#include "mfa/qr.h"
#include "runtime/audit.h"
#include "runtime/factors.h"
#include "runtime/signin.h"
#include "sso/account.h"
#include "sso/cookie.h"
#include "sso/endpoints.h"
#include "sso/redirect.h"
#include "sso/session.h"

#define WRONG         "The username or password is incorrect."
#define WRONG_CODE    "That code is not right, or it was used already. Try the next code your app shows."
#define PASSKEY_WRONG "That passkey could not be used here. Try again, or use another way to sign in."
#define EXPIRED       "This sign-in took too long. Start again."

/* The key of the notice the page shows after an action (?done=..., ?setup=...): a
 * fixed list, never text from the URL; NULL for none. */
static const char *notice_of(const char *done)
{
	static const char *const notices[][2] = {
	    {"app", "account.notice_app"},           {"passkey", "account.notice_passkey"},
	    {"removed", "account.notice_removed"},   {"ended", "account.notice_ended"},
	    {"required", "account.notice_required"},
	};

	for (size_t i = 0; done && i < sizeof notices / sizeof notices[0]; i++)
		if (strcmp(done, notices[i][0]) == 0)
			return notices[i][1];
	return NULL;
}

/* The notice of the query's ?setup= or ?done= in req's language, or NULL. */
static const char *notice_text(h2o_req_t *req, const http_form *f)
{
	const char *setup = http_form_get(f, "setup"),
	           *key = notice_of(setup ? setup : http_form_get(f, "done"));

	return key ? page_msg(req, key, NULL, 0) : NULL;
}

/* Answer 303 to /account?done=what (what NULL: no notice). */
static void back(h2o_req_t *req, app_thread *t, const char *what)
{
	char path[64];

	snprintf(path, sizeof path, "/account%s%s", what ? "?done=" : "", what ? what : "");
	redirect_local(req, t, path);
}

/* The binding of this browser's account sign-in challenges (factors.h): SHA-256 of a
 * label and the idb_browser cookie's hash; 0, or -1 after answering 503. */
static int binding(h2o_req_t *req, app_thread *t, const char *label, uint8_t out[SECRET_HASH_LEN])
{
	uint8_t browser[SECRET_HASH_LEN];
	char text[64 + 2 * SECRET_HASH_LEN];
	int n;

	if (cookie_browser_ensure(req, t, browser)) {
		page_unavailable(req);
		return -1;
	}
	n = snprintf(text, sizeof text, "%s:", label);
	for (size_t i = 0; i < SECRET_HASH_LEN; i++)
		n += snprintf(text + n, sizeof text - (size_t)n, "%02x", browser[i]);
	secret_hash(text, (size_t)n, out);
	return 0;
}

/* The account page's sign-in form, with status, username and message. */
static void login_form(h2o_req_t *req, app_thread *t, int status, const char *username, const char *message)
{
	char csrf[SECRET_TEXT_LEN + 1];
	int pw = message && username && *username; /* the message is the password's: focus it */
	struct page_var v[] = {{"csrf", csrf},
	                       {"username", username},
	                       {"message", message},
	                       {"username_focus", pw ? "" : "autofocus"},
	                       {"password_focus", pw ? "autofocus" : ""},
	                       {"password_invalid", pw ? "true" : "false"}};

	if (!account_form_csrf(req, t, csrf))
		page_send(req, status, "account-login.html", v, sizeof v / sizeof v[0], NULL);
}

/* 1 when req's session is live and its user enabled (into *se, *u); 0 when there is
 * none; -1 after answering 503. */
static int signed_in(h2o_req_t *req, app_thread *t, int64_t now, struct store_session *se,
                     struct store_user *u)
{
	store_err e = session_current(req, t, now, se);

	if (e == STORE_OK)
		e = store_user_get(t->db, se->user_id, u);
	if (e == STORE_OK)
		return !u->disabled;
	if (e == STORE_NOT_FOUND)
		return 0;
	page_unavailable(req);
	return -1;
}

/* "2026-12-05 22:48 UTC" of t into out[32]. */
static void when(int64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!t || !gmtime_r(&tt, &tm) || !strftime(out, 32, "%Y-%m-%d %H:%M UTC", &tm))
		snprintf(out, 32, "never");
}

/* The rows of what a page lists, as they are made. */
struct rows {
	h2o_req_t *req;
	const char *csrf;
	const char *html; /* NULL until the first row */
	int failed;
};

/* Append one row: label, meta, and a button (text) posting action for id. */
static void row(struct rows *r, const char *label, const char *meta, const char *action, const char *id,
                const char *button)
{
	struct page_var v[] = {{"label", label},   {"meta", meta}, {"csrf", r->csrf},
	                       {"action", action}, {"id", id},     {"button", button}};
	const char *html = page_fragment(r->req, r->html, "account-row.html", v, sizeof v / sizeof v[0]);

	if (html)
		r->html = html;
	else
		r->failed = 1;
}

/* The rows of the factors of kind in f[0..n). */
static const char *factor_rows(h2o_req_t *req, const char *csrf, const struct store_factor *f, size_t n,
                               const char *kind)
{
	struct rows r = {.req = req, .csrf = csrf};
	char made[32], used[32];

	for (size_t i = 0; i < n; i++) {
		if (strcmp(f[i].kind, kind) != 0 || !f[i].confirmed)
			continue;
		when(f[i].created_at, made);
		when(f[i].last_used_at, used);
		const struct page_var a[] = {
		    {"made", made},
		    {"used", f[i].last_used_at ? used : page_msg(req, "account.never", NULL, 0)}};
		row(&r, page_tr(req, f[i].name), page_msg(req, "account.added", a, 2), "remove", f[i].id,
		    page_msg(req, "account.remove", NULL, 0));
	}
	return r.failed ? NULL : r.html ? r.html : "";
}

/* The hex of a session's id hash: how the page names it (its owner's own, never the cookie). */
static void session_name(const struct store_session *se, char out[2 * SECRET_HASH_LEN + 1])
{
	for (size_t i = 0; i < SECRET_HASH_LEN; i++)
		sprintf(out + 2 * i, "%02x", se->id_hash[i]);
}

/* Sessions listed for the page: the rows, and the current one's id hash. */
struct session_rows {
	struct rows r;
	const uint8_t *current;
};

static int session_row(void *ctx, const struct store_session *se)
{
	struct session_rows *s = ctx;
	h2o_req_t *req = s->r.req;
	char since[32], meta[256], id[2 * SECRET_HASH_LEN + 1];
	int here = memcmp(se->id_hash, s->current, SECRET_HASH_LEN) == 0;
	const char *how = factors_amr_has(se->amr, "mfa") ? "account.two_factors" : "account.password_only";

	when(se->auth_time, since);
	snprintf(meta, sizeof meta, "%s%s%s (%s)", here ? page_msg(req, "account.this_browser", NULL, 0) : "",
	         here ? " · " : "", page_msg(req, how, NULL, 0), se->amr[0] ? se->amr : "pwd");
	session_name(se, id);
	row(&s->r, page_msg(req, "account.since", (struct page_var[]){{"when", since}}, 1), meta,
	    "end-session", id, page_msg(req, "account.sign_out", NULL, 0));
	return s->r.failed;
}

/* What the account page shows of u, besides the rows. */
struct view {
	char csrf[SECRET_TEXT_LEN + 1];
	char challenge[FACTORS_CHALLENGE_TEXT + 1];
	char rp_id[256];
	char handle[STORE_ID_MAX * 2];
	char left[16], total[16];
	char *creds;
	struct factors_have have;
};

/* Fill v for u's page (a new registration challenge bound to the session se). */
static int view_fill(h2o_req_t *req, app_thread *t, const struct store_session *se,
                     const struct store_user *u, struct view *v)
{
	v->creds = h2o_mem_alloc_pool(&req->pool, FACTORS_IDS_MAX);
	if (account_form_csrf(req, t, v->csrf))
		return -1;
	if (factors_have(t, u->id, &v->have) != STORE_OK ||
	    factors_passkey_ids(t, u->id, v->creds, FACTORS_IDS_MAX) != STORE_OK ||
	    factors_challenge_new(t, u->id, se->id_hash, app_now(), v->challenge)) {
		page_unavailable(req);
		return -1;
	}
	factors_rp_id(t, v->rp_id, sizeof v->rp_id);
	jose_b64url_encode(v->handle, sizeof v->handle, (const uint8_t *)u->id, strlen(u->id));
	snprintf(v->left, sizeof v->left, "%d", v->have.recovery_left);
	snprintf(v->total, sizeof v->total, "%d", RECOVERY_CODES);
	return 0;
}

/* Answer with the account page of u, signed in with session se. */
static void show(h2o_req_t *req, app_thread *t, const struct store_session *se, const struct store_user *u,
                 int status, const char *notice, const char *message)
{
	struct view *v = h2o_mem_alloc_pool(&req->pool, sizeof *v);
	struct store_factor *f = NULL;
	size_t n = 0;
	struct session_rows s = {.r = {.req = req}, .current = se->id_hash};
	const char *apps, *keys;

	memset(v, 0, sizeof *v);
	if (view_fill(req, t, se, u, v))
		return;
	s.r.csrf = v->csrf;
	if (factors_list(t, u->id, &f, &n) != STORE_OK ||
	    store_session_list(t->db, u->id, app_now(), session_row, &s) != STORE_OK) {
		factors_list_free(f);
		page_unavailable(req);
		return;
	}
	apps = factor_rows(req, v->csrf, f, n, STORE_FACTOR_TOTP);
	keys = factor_rows(req, v->csrf, f, n, STORE_FACTOR_PASSKEY);
	factors_list_free(f);
	struct page_var pv[] = {
	    {"username", u->username},
	    {"display_name", u->name[0] ? u->name : u->username},
	    {"notice", notice},
	    {"message", message},
	    {"csrf", v->csrf},
	    {"app_rows_html", apps},
	    {"app_add_class", v->have.totp ? "none" : ""},
	    {"passkey_rows_html", keys},
	    {"codes_class", v->have.any ? "" : "none"},
	    {"n", v->left},
	    {"total", v->total},
	    {"session_rows_html", s.r.html},
	    {"challenge", v->challenge},
	    {"rp_id", v->rp_id},
	    {"rp_name", v->rp_id},
	    {"user_handle", v->handle},
	    {"credentials", v->creds},
	};
	const struct page_csp o = {.script = 1};
	page_send_csp(req, status, "account.html", pv, sizeof pv / sizeof pv[0], &o);
}

/* The standard base64 of the SVG svg[0..len), as a data: URI in req's pool. */
static const char *svg_uri(h2o_req_t *req, const char *svg, size_t len)
{
	static const char prefix[] = "data:image/svg+xml;base64,";
	size_t cap = sizeof prefix + (len + 2) / 3 * 4 + 4, n;
	char *out = h2o_mem_alloc_pool(&req->pool, cap), *b = out + sizeof prefix - 1;

	memcpy(out, prefix, sizeof prefix - 1);
	n = jose_b64url_encode(b, cap - (sizeof prefix - 1), (const uint8_t *)svg, len);
	for (size_t i = 0; i < n; i++)
		b[i] = b[i] == '-' ? '+' : b[i] == '_' ? '/' : b[i];
	while (n % 4)
		b[n++] = '=';
	b[n] = '\0';
	return out;
}

/* The enrolment page of app id with its secret b32, for u. */
static void app_page(h2o_req_t *req, app_thread *t, const struct store_user *u, const char *id,
                     const char *b32, const char *message)
{
	char csrf[SECRET_TEXT_LEN + 1], issuer[256], uri[512],
	    shown[TOTP_SECRET_B32 + TOTP_SECRET_B32 / 4 + 1];
	char *svg = NULL;
	size_t len = 0, k = 0;
	uint8_t key[TOTP_SECRET_MAX];
	size_t key_len = 0;

	factors_rp_id(t, issuer, sizeof issuer);
	if (totp_base32_decode(key, sizeof key, &key_len, b32, strlen(b32)) ||
	    totp_uri(uri, sizeof uri, issuer, u->username, key, key_len) < 0 || qr_svg(uri, &svg, &len) ||
	    account_form_csrf(req, t, csrf)) {
		explicit_bzero(key, sizeof key);
		qr_svg_free(svg, len);
		page_unavailable(req);
		return;
	}
	for (size_t i = 0; b32[i]; i++) {
		if (i && i % 4 == 0)
			shown[k++] = ' ';
		shown[k++] = b32[i];
	}
	shown[k] = '\0';
	struct page_var v[] = {
	    {"csrf", csrf},      {"id", id}, {"secret", shown}, {"uri", uri}, {"qr", svg_uri(req, svg, len)},
	    {"message", message}};
	const struct page_csp o = {.img_origin = "data:"};
	page_send_csp(req, 200, "account-app.html", v, sizeof v / sizeof v[0], &o);
	explicit_bzero(key, sizeof key);
	explicit_bzero(uri, sizeof uri);
	qr_svg_free(svg, len);
}

/* Show a new set of recovery codes of u, once, with notice. */
static void codes_page(h2o_req_t *req, app_thread *t, const struct store_user *u, const char *notice)
{
	char codes[RECOVERY_CODES][RECOVERY_CODE_TEXT + 1],
	    text[RECOVERY_CODES * (RECOVERY_CODE_TEXT + 1) + 1];
	size_t n = 0;

	if (factors_recovery_new(t, u->id, app_now(), codes)) {
		page_unavailable(req);
		return;
	}
	for (size_t i = 0; i < RECOVERY_CODES; i++)
		n += (size_t)snprintf(text + n, sizeof text - n, "%s\n", codes[i]);
	audit_req(req, "account.recovery_codes.new", "info", NULL, u->id, u->username, NULL, 0);
	struct page_var v[] = {{"codes", text}, {"notice", notice ? page_tr(req, notice) : NULL}};
	page_send(req, 200, "account-codes.html", v, sizeof v / sizeof v[0], NULL);
	explicit_bzero(codes, sizeof codes);
	explicit_bzero(text, sizeof text);
}

static void app_begin(h2o_req_t *req, app_thread *t, const struct store_user *u)
{
	char id[STORE_ID_MAX + 1], b32[TOTP_SECRET_B32 + 1];

	if (factors_totp_begin(t, u->id, app_now(), id, b32)) {
		page_unavailable(req);
		return;
	}
	app_page(req, t, u, id, b32, NULL);
	explicit_bzero(b32, sizeof b32);
}

static void app_confirm(h2o_req_t *req, app_thread *t, const struct store_user *u, const http_form *f)
{
	const char *id = http_form_get(f, "id");
	char b32[TOTP_SECRET_B32 + 1];
	struct factors_have have;

	switch (factors_totp_confirm(t, u->id, id, http_form_get(f, "code"), app_now())) {
	case FACTORS_OK:
		audit_req(req, "account.mfa.added", "info", NULL, u->id, u->username,
		          (reqlog_field[]){{"factor", "totp", 0}}, 1);
		if (factors_have(t, u->id, &have) == STORE_OK && have.recovery_left == 0)
			codes_page(req, t, u, "Your authenticator app is on.");
		else
			back(req, t, "app");
		return;
	case FACTORS_WRONG:
		if (factors_totp_pending(t, u->id, id, b32) == 0) {
			app_page(req, t, u, id, b32, WRONG_CODE);
			explicit_bzero(b32, sizeof b32);
		} else {
			back(req, t, NULL);
		}
		return;
	default:
		page_unavailable(req);
	}
}

/* Remove u's factor id; the recovery codes go with the last second factor. */
static void remove_factor(h2o_req_t *req, app_thread *t, const struct store_session *se,
                          const struct store_user *u, const char *id)
{
	struct factors_have have;
	store_err e = id ? store_factor_delete(t->db, id, u->id) : STORE_NOT_FOUND;

	if (e == STORE_OK && factors_have(t, u->id, &have) == STORE_OK && !have.any)
		e = store_factor_clear(t->db, u->id, STORE_FACTOR_RECOVERY, NULL);
	if (e == STORE_OK) {
		audit_req(req, "account.mfa.removed", "info", NULL, u->id, u->username, NULL, 0);
		back(req, t, "removed");
	} else if (e == STORE_NOT_FOUND) {
		show(req, t, se, u, 404, NULL, "There is no such sign-in method any more.");
	} else {
		page_unavailable(req);
	}
}

/* The session of u named id (session_name) into *out; 1 found, 0 not, -1 store failed. */
struct find_session {
	const char *id;
	struct store_session *out;
	int found;
};

static int find_session(void *ctx, const struct store_session *se)
{
	struct find_session *f = ctx;
	char name[2 * SECRET_HASH_LEN + 1];

	session_name(se, name);
	if (strcmp(name, f->id) == 0) {
		*f->out = *se;
		f->found = 1;
	}
	return f->found;
}

/* End u's session id (this browser's own too, which signs out). */
static void end_session(h2o_req_t *req, app_thread *t, const struct store_session *se,
                        const struct store_user *u, const char *id)
{
	struct store_session other;
	struct find_session f = {.id = id ? id : "", .out = &other};

	if (store_session_list(t->db, u->id, app_now(), find_session, &f) != STORE_OK) {
		page_unavailable(req);
		return;
	}
	if (!f.found) {
		show(req, t, se, u, 404, NULL, "That session has ended already.");
		return;
	}
	if (store_refresh_revoke_session(t->db, other.id_hash, other.id_hash_len) != STORE_OK ||
	    (store_session_delete(t->db, other.id_hash, other.id_hash_len) != STORE_OK)) {
		page_unavailable(req);
		return;
	}
	audit_req(req, "account.session.ended", "info", NULL, u->id, u->username, NULL, 0);
	if (memcmp(other.id_hash, se->id_hash, SECRET_HASH_LEN) == 0)
		cookie_set(req, t, SESSION_COOKIE, "", 0);
	back(req, t, "ended");
}

/* A signed-in POST /account: one action. */
static void act(h2o_req_t *req, app_thread *t, const struct store_session *se, const struct store_user *u,
                const http_form *f)
{
	const char *a = http_form_get(f, "action"), *id = http_form_get(f, "id");
	struct factors_have have;

	if (!a)
		a = "";
	if (strcmp(a, "app-begin") == 0)
		app_begin(req, t, u);
	else if (strcmp(a, "app-confirm") == 0)
		app_confirm(req, t, u, f);
	else if (strcmp(a, "codes-new") == 0 && factors_have(t, u->id, &have) == STORE_OK && have.any)
		codes_page(req, t, u, NULL);
	else if (strcmp(a, "remove") == 0)
		remove_factor(req, t, se, u, id);
	else if (strcmp(a, "end-session") == 0)
		end_session(req, t, se, u, id);
	else if (strcmp(a, "sign-out") == 0 && session_end(req, t) == 0)
		back(req, t, NULL);
	else
		show(req, t, se, u, 400, NULL, "That did not work. Try again.");
}

/* see endpoints.h */
void account_endpoint(h2o_req_t *req, app_thread *t)
{
	int post = h2o_memis(req->method.base, req->method.len, H2O_STRLIT("POST"));
	struct store_session *se = h2o_mem_alloc_pool(&req->pool, sizeof *se);
	struct store_user *u = h2o_mem_alloc_pool(&req->pool, sizeof *u);
	http_form f;
	int in;

	if (account_read_form(req, t, &f, post) || (in = signed_in(req, t, app_now(), se, u)) < 0)
		return;
	if (!in)
		login_form(req, t, post ? 400 : 200, NULL, post ? EXPIRED : NULL);
	else if (post)
		act(req, t, se, u, &f);
	else
		show(req, t, se, u, 200, notice_text(req, &f), NULL);
}

/* ---- signing in to the account page ---- */

/* The view of the account sign-in's second step for u, with challenge (its pending state). */
static struct mfa_view account_view(const struct store_user *u, const char *csrf, const char *challenge,
                                    const uint8_t *b)
{
	return (struct mfa_view){.user_id = u->id,
	                         .flow = "",
	                         .csrf = csrf,
	                         .action = "/account/mfa",
	                         .passkey_action = "/account/mfa",
	                         .challenge = challenge,
	                         .binding = b};
}

/* The second step of u's account sign-in: a new challenge bound to this browser (the
 * step's state), and its page with status and message. */
static void account_second(h2o_req_t *req, app_thread *t, const struct store_user *u, int status,
                           const char *message)
{
	uint8_t b[SECRET_HASH_LEN];
	char *challenge = h2o_mem_alloc_pool(&req->pool, FACTORS_CHALLENGE_TEXT + 1);
	char *csrf = h2o_mem_alloc_pool(&req->pool, SECRET_TEXT_LEN + 1);

	if (binding(req, t, "account-mfa", b) || account_form_csrf(req, t, csrf))
		return;
	if (factors_challenge_new(t, u->id, b, app_now(), challenge)) {
		page_unavailable(req);
		return;
	}
	const struct mfa_view v = account_view(u, csrf, challenge, b);
	mfa_page(req, t, status, &v, message);
}

/* Signed in to the account page with amr: a session, then the page. */
static void account_signed_in(h2o_req_t *req, app_thread *t, const struct store_user *u, const char *amr)
{
	uint8_t sid[SECRET_HASH_LEN];

	if (session_start(req, t, u->id, amr, app_now(), sid))
		page_unavailable(req);
	else
		back(req, t, NULL);
}

/* The password's result (signin.h): the second step, the page, or the form again. */
static void password_done(struct signin *s, h2o_req_t *req, enum signin_result r, int64_t now)
{
	struct factors_have have;

	(void)now;
	if (!req)
		return;
	if (r == SIGNIN_OK && factors_have(s->t, s->user.id, &have) != STORE_OK)
		page_unavailable(req);
	else if (r == SIGNIN_OK && have.any)
		account_second(req, s->t, &s->user, 200, NULL);
	else if (r == SIGNIN_OK)
		account_signed_in(req, s->t, &s->user, "pwd");
	else if (r == SIGNIN_UNAVAILABLE)
		page_unavailable(req);
	else
		login_form(req, s->t, r == SIGNIN_WRONG ? 200 : 403, s->username,
		           r == SIGNIN_WRONG ? WRONG : "This account cannot sign in now.");
}

/* see endpoints.h */
void account_login_page_endpoint(h2o_req_t *req, app_thread *t)
{
	http_form f;
	const char *user, *pw;
	struct signin *s;
	int64_t retry = 0;

	if (account_read_form(req, t, &f, 1))
		return;
	user = http_form_get(&f, "username");
	pw = http_form_get(&f, "password");
	if (signin_limited(req, t, user, app_now(), &retry))
		login_form(req, t, 429, user, "Too many failed sign-ins from your network; try again later.");
	else if (!user || !*user || strlen(user) > STORE_USERNAME_MAX || !pw || !*pw ||
	         strlen(pw) > PASSWORD_MAX_LEN)
		login_form(req, t, 200, NULL, "Enter your username and your password.");
	else if (!(s = signin_new(t, sizeof *s, user, pw, NULL, password_done)) ||
	         signin_start(s, req, app_now()))
		page_unavailable(req);
	if (pw)
		memset((char *)pw, 0, strlen(pw));
}

/* The pending second step of this browser, named by the form's challenge: its user
 * into *u and the challenge's bytes into challenge; 0, or -1 after answering. */
static int account_pending(h2o_req_t *req, app_thread *t, const http_form *f, struct store_user *u,
                           uint8_t challenge[FACTORS_CHALLENGE_LEN], uint8_t b[SECRET_HASH_LEN])
{
	char user_id[STORE_ID_MAX + 1];
	enum factors_result r;
	store_err e = STORE_NOT_FOUND;

	if (binding(req, t, "account-mfa", b))
		return -1;
	r = factors_challenge_take(t, http_form_get(f, "challenge"), b, app_now(), challenge, user_id);
	if (r == FACTORS_OK)
		e = store_user_get(t->db, user_id, u);
	if (r == FACTORS_UNAVAILABLE || (e != STORE_OK && e != STORE_NOT_FOUND))
		page_unavailable(req);
	else if (e != STORE_OK || u->disabled)
		login_form(req, t, 400, NULL, EXPIRED);
	else
		return 0;
	return -1;
}

/* A passkey's answer on the account sign-in's second step for u. */
static enum factors_result account_passkey_step(app_thread *t, const http_form *f, const struct store_user *u,
                                                const uint8_t challenge[FACTORS_CHALLENGE_LEN], char *amr)
{
	struct factors_passkey pk;
	webauthn_err why;
	enum factors_result r = factors_passkey_check(
	    t, u->id, challenge, 0, http_form_get(f, "credential"), http_form_get(f, "client_data"),
	    http_form_get(f, "authenticator_data"), http_form_get(f, "signature"), app_now(), &pk, &why);

	factors_amr(1, 0, 1, pk.flags, amr);
	return r;
}

/* see endpoints.h */
void account_mfa_endpoint(h2o_req_t *req, app_thread *t)
{
	http_form f;
	struct store_user *u = h2o_mem_alloc_pool(&req->pool, sizeof *u);
	uint8_t challenge[FACTORS_CHALLENGE_LEN], *b = h2o_mem_alloc_pool(&req->pool, SECRET_HASH_LEN);
	char amr[STORE_AMR_MAX + 1], csrf[SECRET_TEXT_LEN + 1];
	int64_t now = app_now();
	int passkey;
	enum factors_result r;

	if (account_read_form(req, t, &f, 1) || account_pending(req, t, &f, u, challenge, b) ||
	    account_form_csrf(req, t, csrf))
		return;
	const struct mfa_view v = account_view(u, csrf, NULL, b);
	if (mfa_admit(req, t, u, &v, now) <= 0)
		return;
	passkey = http_form_get(&f, "credential") && *http_form_get(&f, "credential");
	r = passkey ? account_passkey_step(t, &f, u, challenge, amr)
	            : mfa_code(req, t, u, &v, http_form_get(&f, "code"), now, amr);
	if (r == FACTORS_OK) {
		mfa_passed(req, t, u, NULL, amr, now);
		account_signed_in(req, t, u, amr);
	} else if (r == FACTORS_WRONG) {
		const server_config *cfg = t->app->cfg;
		int64_t until = 0;
		store_login_failed(t->db, u->username, now, cfg->lockout_threshold, cfg->lockout_seconds,
		                   &until);
		audit_req(req, "auth.mfa.failed", "warn", NULL, u->id, u->username, NULL, 0);
		account_second(req, t, u, 200, passkey ? PASSKEY_WRONG : WRONG_CODE);
	} else {
		page_unavailable(req);
	}
}

/* see endpoints.h */
void account_passkey_endpoint(h2o_req_t *req, app_thread *t)
{
	http_form f;
	struct store_session *se = h2o_mem_alloc_pool(&req->pool, sizeof *se);
	struct store_user *u = h2o_mem_alloc_pool(&req->pool, sizeof *u);
	uint8_t challenge[FACTORS_CHALLENGE_LEN];
	char owner[STORE_ID_MAX + 1];
	webauthn_err why = WEBAUTHN_E_CHALLENGE;
	enum factors_result r;
	int64_t now = app_now();
	int in;

	if (account_read_form(req, t, &f, 1) || (in = signed_in(req, t, now, se, u)) < 0)
		return;
	if (!in) {
		login_form(req, t, 400, NULL, EXPIRED);
		return;
	}
	r = factors_challenge_take(t, http_form_get(&f, "challenge"), se->id_hash, now, challenge, owner);
	if (r == FACTORS_OK && strcmp(owner, u->id) != 0)
		r = FACTORS_WRONG;
	if (r == FACTORS_OK)
		r = factors_passkey_register(t, u->id, http_form_get(&f, "name"), challenge,
		                             http_form_get(&f, "client_data"),
		                             http_form_get(&f, "attestation"), now, &why);
	if (r == FACTORS_OK) {
		audit_req(req, "account.mfa.added", "info", NULL, u->id, u->username,
		          (reqlog_field[]){{"factor", "passkey", 0}}, 1);
		back(req, t, "passkey");
	} else if (r == FACTORS_WRONG) {
		audit_req(req, "account.passkey.refused", "warn", NULL, u->id, u->username,
		          (reqlog_field[]){{"why", webauthn_strerror(why), 0}}, 1);
		show(req, t, se, u, 400, NULL, "The passkey could not be added. Try again.");
	} else {
		page_unavailable(req);
	}
}
