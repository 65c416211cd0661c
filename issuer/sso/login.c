/*
 * login.c: the login page and POST /login. The form names a flow (session.h)
 * and carries its CSRF token; the password check runs on the worker pool
 * (pool.h), never on the loop, and its result comes back to finish the flow:
 * a session, then the consent page or a code for the client. A stored hash of
 * other argon2id parameters is replaced after a successful check (the job hashes
 * the password again while it is at hand).
 *
 * Every attempt is counted when it is submitted, before its check, for its
 * username in the store (store.h login_admit: the account lockout, shared by
 * replicas) and for its address here (ratelimit.h): attempts sent at once are
 * counted at once, so no more than the threshold are ever checked per period,
 * and a browser that leaves before the answer was counted all the same. A
 * correct password clears the count, unless a lock came into force while it was
 * being checked: then it is refused like a wrong one and the lock stays.
 *
 * It must never tell a wrong password from an unknown username or a locked
 * account: one message, and the same work before the answer (the count is
 * written for any name; an unknown name burns an argon2id run, a locked account
 * burns one too), and never keep a password beyond its job (the copy is wiped).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "runtime/audit.h"
#include "http/page.h"
#include "crypto/password.h"
#include "sso/endpoints.h"
#include "sso/cookie.h"
#include "sso/flow.h"
#include "sso/redirect.h"
#include "sso/session.h"

#define WRONG    "The username or password is incorrect."
#define DISABLED "This account is disabled. Ask your administrator to enable it."

/* A password check in flight. */
struct login_job {
	pool_job job; /* first: the pool hands back &job */
	app_thread *t;
	char *password; /* malloc'd copy, wiped in done */
	size_t password_len;
	char hash[STORE_PASSWORD_HASH_MAX + 1]; /* "" for an unknown username: burn */
	struct password_params burn;
	int locked;                     /* the attempt was not admitted: answer as a wrong password */
	int ok;                         /* run: the password matched */
	struct password_params current; /* cfg->argon2: the cost hashes should have */
	char rehash[STORE_PASSWORD_HASH_MAX + 1]; /* run: a new hash at current, or "" */
	struct store_user user;
	struct store_flow flow;
	uint8_t flow_hash[SECRET_HASH_LEN];
	char flow_id[SECRET_TEXT_LEN + 1], csrf[SECRET_TEXT_LEN + 1];
	char username[STORE_USERNAME_MAX + 1]; /* as typed, to fill the form again */
	char name[STORE_USERNAME_MAX + 1];     /* in ASCII lower case: the party known at an address */
	struct sockaddr_storage peer;
	int has_peer;
};

/* see session.h */
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
	char lead[sizeof face->name + 32] = "", origin[STORE_URI_MAX + 1] = "";

	memset(face, 0, sizeof *face);
	if (f) {
		client_face(t, f->client_id, face);
		snprintf(lead, sizeof lead, "to continue to %s", face->name);
		page_origin(f->redirect_uri, origin, sizeof origin);
	}
	struct page_var v[] = {{"lead", lead},
	                       {"flow", id},
	                       {"csrf", csrf},
	                       {"username", username},
	                       {"message", message},
	                       {"logo", face->logo},
	                       {"logo_class", face->logo[0] ? "logo" : "logo none"}};
	page_send_img(req, status, "login.html", v, sizeof v / sizeof v[0], origin, face->logo_origin);
}

/* username (at most STORE_USERNAME_MAX bytes) in ASCII lower case into name. */
static void login_party(const char *username, char name[STORE_USERNAME_MAX + 1])
{
	size_t i = 0;

	for (; username[i] && i < STORE_USERNAME_MAX; i++)
		name[i] =
		    username[i] >= 'A' && username[i] <= 'Z' ? (char)(username[i] - 'A' + 'a') : username[i];
	name[i] = '\0';
}

static void job_free(struct login_job *j)
{
	if (j->password) {
		memset(j->password, 0, j->password_len);
		free(j->password);
	}
	memset(j, 0, sizeof *j);
	free(j);
}

/* On a worker, after a successful check: a new hash when the stored one has other
 * parameters (password.h: the password is only at hand now). Costs one more run,
 * once per user after a change of cost. */
static void rehash(struct login_job *j)
{
	WC_RNG rng;

	if (!password_needs_rehash(j->hash, &j->current) || wc_InitRng(&rng) != 0)
		return;
	if (password_hash(j->password, j->password_len, &j->current, &rng, j->rehash, sizeof j->rehash) !=
	    PASSWORD_OK)
		j->rehash[0] = '\0';
	wc_FreeRng(&rng);
}

/* On a worker: verify, or burn the same cost for an unknown username or an
 * attempt that was not admitted. */
static void job_run(pool_job *pj)
{
	struct login_job *j = (struct login_job *)pj;

	if (j->hash[0] && !j->locked)
		j->ok = password_verify(j->hash, j->password, j->password_len);
	else
		password_burn(&j->burn);
	if (j->ok)
		rehash(j);
	memset(j->password, 0, j->password_len);
}

static const struct sockaddr *job_peer(const struct login_job *j)
{
	return j->has_peer ? (const struct sockaddr *)&j->peer : NULL;
}

/* auth.login.locked: a lock of the username started (until: its end). */
static void audit_locked(const struct login_job *j, h2o_req_t *req, int64_t until)
{
	audit_req(req, "auth.login.locked", "warn", j->flow.client_id, j->user.id[0] ? j->user.id : NULL,
	          j->username, (reqlog_field[]){{"until", NULL, until}}, 1);
}

/* A failed attempt (counted when submitted): the lock once the threshold is on
 * record, then the form again. */
static void failed(struct login_job *j, h2o_req_t *req, int64_t now)
{
	app_thread *t = j->t;
	int64_t until = 0;

	if (!j->locked &&
	    store_login_failed(t->db, j->username, now, t->app->cfg->lockout_threshold,
	                       t->app->cfg->lockout_seconds, &until) == STORE_OK &&
	    until > 0) {
		metrics_lockout(t->app->metrics, t->index);
		audit_locked(j, req, until);
	}
	metrics_login(j->t->app->metrics, j->t->index,
	              j->locked ? METRICS_LOGIN_LOCKED : METRICS_LOGIN_FAILED);
	audit_req(req, "auth.login.failed", "warn", j->flow.client_id, j->user.id[0] ? j->user.id : NULL,
	          j->username,
	          (reqlog_field[]){{"reason",
	                            j->locked       ? "locked"
	                            : j->user.id[0] ? "password"
	                                            : "unknown_user",
	                            0}},
	          1);
	if (req)
		login_page(req, j->t, 200, &j->flow, j->flow_id, j->csrf, j->username, WRONG);
}

/* The right password of a disabled account: said so (only the password's owner
 * learns it), and no session. */
static void disabled(struct login_job *j, h2o_req_t *req)
{
	metrics_login(j->t->app->metrics, j->t->index, METRICS_LOGIN_FAILED);
	audit_req(req, "auth.login.failed", "warn", j->flow.client_id, j->user.id, j->username,
	          (reqlog_field[]){{"reason", "disabled", 0}}, 1);
	if (req)
		login_page(req, j->t, 403, &j->flow, j->flow_id, j->csrf, j->username, DISABLED);
}

/* The right password: the username's count cleared and the address's attempt
 * taken back (refused instead when a lock came into force meanwhile), a session,
 * then the consent page or the code. */
static void succeeded(struct login_job *j, h2o_req_t *req, int64_t now)
{
	app_thread *t = j->t;
	struct store_client c;
	struct store_flow taken;
	uint8_t sid[SECRET_HASH_LEN];
	store_err e = store_login_clear(t->db, j->username, now);
	int consent;

	if (e == STORE_CONFLICT) {
		j->locked = 1;
		failed(j, req, now);
		return;
	}
	if (e != STORE_OK) {
		if (req)
			page_unavailable(req);
		return;
	}
	ratelimit_forgive(t->app->limits, RATELIMIT_LOGIN, job_peer(j), now);
	ratelimit_remember(t->app->limits, job_peer(j), j->name, now);
	if (j->user.disabled) {
		disabled(j, req);
		return;
	}
	if (j->rehash[0])
		store_user_set_password(t->db, j->user.id, j->rehash); /* a failure keeps the old hash */
	metrics_login(t->app->metrics, t->index, METRICS_LOGIN_OK);
	audit_req(req, "auth.login.succeeded", "info", j->flow.client_id, j->user.id, j->username, NULL, 0);
	if (!req)
		return;
	if (session_start(req, t, j->user.id, now, sid)) {
		page_unavailable(req);
		return;
	}
	if (app_client_get(t, j->flow.client_id, &c) != STORE_OK ||
	    (consent = consent_needed(t, &c, j->user.id, j->flow.scope, j->flow.prompt)) < 0) {
		page_error(req, 400, "Sign-in expired", FLOW_EXPIRED);
		return;
	}
	if (consent) {
		if (store_flow_set_user(t->db, j->flow_hash, SECRET_HASH_LEN, now, j->user.id, now) ==
		    STORE_OK)
			consent_page(req, t, &j->flow, j->flow_id, j->csrf, j->user.username);
		else
			page_error(req, 400, "Sign-in expired", FLOW_EXPIRED);
		return;
	}
	if (store_flow_take(t->db, j->flow_hash, SECRET_HASH_LEN, now, &taken) != STORE_OK) {
		page_error(req, 400, "Sign-in expired", FLOW_EXPIRED);
		return;
	}
	redirect_code(req, t, &taken, j->user.id, now, sid);
}

/* Back on the loop. j->job.req is NULL when the browser left: record, answer nobody. */
static void job_done(pool_job *pj)
{
	struct login_job *j = (struct login_job *)pj;
	int64_t now = app_now();

	if (!pj->cancelled) {
		if (j->ok)
			succeeded(j, pj->req, now);
		else
			failed(j, pj->req, now);
	}
	job_free(j);
}

/* A new job for the checked form, or NULL (out of memory). */
static struct login_job *job_new(app_thread *t, const char *password, const struct store_flow *f)
{
	struct login_job *j = calloc(1, sizeof *j);

	if (!j || !(j->password = malloc(strlen(password) + 1))) {
		free(j);
		return NULL;
	}
	j->password_len = strlen(password);
	memcpy(j->password, password, j->password_len + 1);
	j->t = t;
	j->flow = *f;
	j->burn = j->current = t->app->cfg->argon2;
	j->job.run = job_run;
	j->job.done = job_done;
	return j;
}

/* Count the attempt for its username (store) and its address: 0, or -1 when the
 * store failed. j->locked when it was not admitted. */
static int count_attempt(struct login_job *j, h2o_req_t *req, int64_t now)
{
	app_thread *t = j->t;
	int admitted = 0, started = 0;
	int64_t until = 0;

	if (store_login_admit(t->db, j->username, now, t->app->cfg->lockout_threshold,
	                      t->app->cfg->lockout_seconds, &admitted, &until, &started) != STORE_OK)
		return -1;
	if (started) {
		metrics_lockout(t->app->metrics, t->index);
		audit_locked(j, req, until);
	}
	j->locked = !admitted;
	ratelimit_failed(t->app->limits, RATELIMIT_LOGIN, job_peer(j), now);
	return 0;
}

/* Look the user up, count the attempt and hand the check to the pool; the
 * answer comes from job_done. */
static void check_password(h2o_req_t *req, app_thread *t, const http_form *form, const struct store_flow *f,
                           const uint8_t flow_hash[SECRET_HASH_LEN], const char *username,
                           const char *password, int64_t now)
{
	struct login_job *j = job_new(t, password, f);
	store_err e;

	if (!j) {
		page_unavailable(req);
		return;
	}
	memcpy(j->flow_hash, flow_hash, SECRET_HASH_LEN);
	snprintf(j->flow_id, sizeof j->flow_id, "%s", http_form_get(form, "flow"));
	snprintf(j->csrf, sizeof j->csrf, "%s", http_form_get(form, "csrf"));
	snprintf(j->username, sizeof j->username, "%s", username);
	login_party(username, j->name);
	j->has_peer = response_peer(req, &j->peer);
	e = store_user_get_by_name(t->db, username, &j->user);
	if (e == STORE_OK)
		memcpy(j->hash, j->user.password_hash, sizeof j->hash);
	else
		memset(&j->user, 0, sizeof j->user);
	if ((e != STORE_OK && e != STORE_NOT_FOUND) || count_attempt(j, req, now) ||
	    pool_submit_req(t->app->workers, t->jobs, &j->job, req) != 0) {
		job_free(j);
		page_unavailable(req);
	}
}

/*
 * The per-address limit: 1 after answering 429 when this address failed too
 * often, unless the username signed in from this address before (ratelimit.h):
 * others behind the same proxy or NAT cannot lock a known person out.
 */
static int limited(h2o_req_t *req, app_thread *t, const http_form *form, int64_t now)
{
	struct sockaddr_storage ss;
	int has = response_peer(req, &ss);
	const struct sockaddr *sa = has ? (struct sockaddr *)&ss : NULL;
	const char *user = http_form_get(form, "username");
	char name[STORE_USERNAME_MAX + 1];
	int64_t retry = 0;
	char msg[128], after[24];

	if (!ratelimit_blocked(t->app->limits, RATELIMIT_LOGIN, sa, now, &retry))
		return 0;
	if (user && strlen(user) <= STORE_USERNAME_MAX) {
		login_party(user, name);
		if (ratelimit_known(t->app->limits, sa, name, now))
			return 0;
	}
	metrics_login(t->app->metrics, t->index, METRICS_LOGIN_LIMITED);
	metrics_limited(t->app->metrics, t->index, METRICS_LIMITED_LOGIN);
	audit_req(req, "limit.hit", "warn", NULL, NULL, NULL,
	          (reqlog_field[]){{"limit", "LOGIN_FAILURES_PER_ADDRESS", 0}}, 1);
	snprintf(msg, sizeof msg, "Too many failed sign-ins from your network; try again in %lld minute%s.",
	         (long long)((retry + 59) / 60), (retry + 59) / 60 == 1 ? "" : "s");
	snprintf(after, sizeof after, "%lld", (long long)(retry > 0 ? retry : 1));
	response_add_header(req, "retry-after", after);
	login_page(req, t, 429, NULL, http_form_get(form, "flow"), http_form_get(form, "csrf"),
	           http_form_get(form, "username"), msg);
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
		login_page(req, t, 200, f, http_form_get(form, "flow"), http_form_get(form, "csrf"),
		           user && strlen(user) <= STORE_USERNAME_MAX ? user : NULL,
		           "Enter your username and your password.");
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
		page_error(req, 400, "Start from your application",
		           "To sign in, start from the application you want to use: it will bring you here.");
}
