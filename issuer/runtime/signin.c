/*
 * signin.c: a username and password checked with the lockout, the address limit,
 * the audit log and the metrics (see signin.h).
 */
#include <stdlib.h>
#include <string.h>

#include "crypto/password.h"
#include "http/response.h"
#include "runtime/audit.h"
#include "runtime/signin.h"

/* username (at most STORE_USERNAME_MAX bytes) in ASCII lower case into name. */
static void party(const char *username, char name[STORE_USERNAME_MAX + 1])
{
	size_t i = 0;

	for (; username[i] && i < STORE_USERNAME_MAX; i++)
		name[i] =
		    username[i] >= 'A' && username[i] <= 'Z' ? (char)(username[i] - 'A' + 'a') : username[i];
	name[i] = '\0';
}

static void signin_free(struct signin *s)
{
	if (s->password) {
		explicit_bzero(s->password, s->password_len);
		free(s->password);
	}
	explicit_bzero(s, s->size);
	free(s);
}

/* On a worker, after a successful check: a new hash when the stored one has other
 * parameters (password.h: the password is only at hand now). Costs one more run,
 * once per user after a change of cost. */
static void rehash(struct signin *s)
{
	WC_RNG rng;

	if (!password_needs_rehash(s->hash, &s->current) || wc_InitRng(&rng) != 0)
		return;
	if (password_hash(s->password, s->password_len, &s->current, &rng, s->rehash, sizeof s->rehash) !=
	    PASSWORD_OK)
		s->rehash[0] = '\0';
	wc_FreeRng(&rng);
}

/* On a worker: verify, or burn the same cost for an unknown username or an
 * attempt that was not admitted. */
static void job_run(pool_job *pj)
{
	struct signin *s = (struct signin *)pj;

	if (s->hash[0] && !s->locked)
		s->ok = password_verify(s->hash, s->password, s->password_len);
	else
		password_burn(&s->burn);
	if (s->ok)
		rehash(s);
	explicit_bzero(s->password, s->password_len);
}

static const struct sockaddr *peer(const struct signin *s)
{
	return s->has_peer ? (const struct sockaddr *)&s->peer : NULL;
}

static const char *client_of(const struct signin *s)
{
	return s->client_id[0] ? s->client_id : NULL;
}

/* auth.login.locked: a lock of the username started (until: its end). */
static void audit_locked(const struct signin *s, h2o_req_t *req, int64_t until)
{
	audit_req(req, "auth.login.locked", "warn", client_of(s), s->user.id[0] ? s->user.id : NULL,
	          s->username, (reqlog_field[]){{"until", NULL, until}}, 1);
}

/* A failed attempt (counted when submitted): the lock once the threshold is on record. */
static enum signin_result failed(struct signin *s, h2o_req_t *req, int64_t now)
{
	app_thread *t = s->t;
	int64_t until = 0;

	if (!s->locked &&
	    store_login_failed(t->db, s->username, now, t->app->cfg->lockout_threshold,
	                       t->app->cfg->lockout_seconds, &until) == STORE_OK &&
	    until > 0) {
		metrics_lockout(t->app->metrics, t->index);
		audit_locked(s, req, until);
	}
	metrics_login(t->app->metrics, t->index, s->locked ? METRICS_LOGIN_LOCKED : METRICS_LOGIN_FAILED);
	audit_req(req, "auth.login.failed", "warn", client_of(s), s->user.id[0] ? s->user.id : NULL,
	          s->username,
	          (reqlog_field[]){{"reason",
	                            s->locked       ? "locked"
	                            : s->user.id[0] ? "password"
	                                            : "unknown_user",
	                            0}},
	          1);
	return SIGNIN_WRONG;
}

/* The right password: the username's count cleared and the address's attempt
 * taken back (refused instead when a lock came into force meanwhile). */
static enum signin_result succeeded(struct signin *s, h2o_req_t *req, int64_t now)
{
	app_thread *t = s->t;
	store_err e = store_login_clear(t->db, s->username, now);

	if (e == STORE_CONFLICT) {
		s->locked = 1;
		return failed(s, req, now);
	}
	if (e != STORE_OK)
		return SIGNIN_UNAVAILABLE;
	ratelimit_forgive(t->app->limits, RATELIMIT_LOGIN, peer(s), now);
	ratelimit_remember(t->app->limits, peer(s), s->name, now);
	if (s->rehash[0])
		store_user_set_password(t->db, s->user.id, s->rehash); /* a failure keeps the old hash */
	if (s->user.disabled || s->user.verify_required) {
		metrics_login(t->app->metrics, t->index, METRICS_LOGIN_FAILED);
		audit_req(req, "auth.login.failed", "warn", client_of(s), s->user.id, s->username,
		          (reqlog_field[]){{"reason", s->user.disabled ? "disabled" : "unverified", 0}}, 1);
		return s->user.disabled ? SIGNIN_DISABLED : SIGNIN_UNVERIFIED;
	}
	metrics_login(t->app->metrics, t->index, METRICS_LOGIN_OK);
	audit_req(req, "auth.login.succeeded", "info", client_of(s), s->user.id, s->username, NULL, 0);
	return SIGNIN_OK;
}

/* Back on the loop: record, then the caller's answer (to nobody when req is NULL). */
static void job_done(pool_job *pj)
{
	struct signin *s = (struct signin *)pj;
	int64_t now = app_now();

	if (!pj->cancelled)
		s->done(s, pj->req, s->ok ? succeeded(s, pj->req, now) : failed(s, pj->req, now), now);
	signin_free(s);
}

/* see signin.h */
int signin_limited(h2o_req_t *req, app_thread *t, const char *username, int64_t now, int64_t *retry)
{
	struct sockaddr_storage ss;
	const struct sockaddr *sa = response_peer(req, &ss) ? (struct sockaddr *)&ss : NULL;
	char name[STORE_USERNAME_MAX + 1];

	*retry = 0;
	if (!ratelimit_blocked(t->app->limits, RATELIMIT_LOGIN, sa, now, retry))
		return 0;
	if (username && strlen(username) <= STORE_USERNAME_MAX) {
		party(username, name);
		if (ratelimit_known(t->app->limits, sa, name, now))
			return 0;
	}
	metrics_login(t->app->metrics, t->index, METRICS_LOGIN_LIMITED);
	metrics_limited(t->app->metrics, t->index, METRICS_LIMITED_LOGIN);
	audit_req(req, "limit.hit", "warn", NULL, NULL, NULL,
	          (reqlog_field[]){{"limit", "LOGIN_FAILURES_PER_ADDRESS", 0}}, 1);
	return 1;
}

/* see signin.h */
struct signin *signin_new(app_thread *t, size_t size, const char *username, const char *password,
                          const char *client_id, signin_done done)
{
	struct signin *s = size >= sizeof *s ? calloc(1, size) : NULL;

	if (!s || !(s->password = malloc(strlen(password) + 1))) {
		free(s);
		return NULL;
	}
	s->size = size;
	s->password_len = strlen(password);
	memcpy(s->password, password, s->password_len + 1);
	s->t = t;
	s->done = done;
	snprintf(s->username, sizeof s->username, "%s", username);
	snprintf(s->client_id, sizeof s->client_id, "%s", client_id ? client_id : "");
	party(username, s->name);
	s->burn = s->current = t->app->cfg->argon2;
	s->job.run = job_run;
	s->job.done = job_done;
	return s;
}

/* Count the attempt for its username (store) and its address: 0, or -1 when the
 * store failed. s->locked when it was not admitted. */
static int count_attempt(struct signin *s, h2o_req_t *req, int64_t now)
{
	app_thread *t = s->t;
	int admitted = 0, started = 0;
	int64_t until = 0;

	if (store_login_admit(t->db, s->username, now, t->app->cfg->lockout_threshold,
	                      t->app->cfg->lockout_seconds, &admitted, &until, &started) != STORE_OK)
		return -1;
	if (started) {
		metrics_lockout(t->app->metrics, t->index);
		audit_locked(s, req, until);
	}
	s->locked = !admitted;
	ratelimit_failed(t->app->limits, RATELIMIT_LOGIN, peer(s), now);
	return 0;
}

/* see signin.h */
int signin_start(struct signin *s, h2o_req_t *req, int64_t now)
{
	app_thread *t = s->t;
	store_err e;

	s->has_peer = response_peer(req, &s->peer);
	e = store_user_get_by_name(t->db, s->username, &s->user);
	if (e == STORE_OK)
		memcpy(s->hash, s->user.password_hash, sizeof s->hash);
	else
		memset(&s->user, 0, sizeof s->user);
	if ((e != STORE_OK && e != STORE_NOT_FOUND) || count_attempt(s, req, now) ||
	    pool_submit_req(t->app->workers, t->jobs, &s->job, req) != 0) {
		signin_free(s);
		return -1;
	}
	return 0;
}

/* ---- new passwords ---- */

static void newpass_free(struct newpass *n)
{
	if (n->password) {
		explicit_bzero(n->password, n->password_len);
		free(n->password);
	}
	explicit_bzero(n, n->size);
	free(n);
}

/* On a worker: the hash at the server's cost. */
static void newpass_run(pool_job *pj)
{
	struct newpass *n = (struct newpass *)pj;
	WC_RNG rng;

	if (wc_InitRng(&rng) == 0) {
		n->ok = password_hash(n->password, n->password_len, &n->t->app->cfg->argon2, &rng, n->hash,
		                      sizeof n->hash) == PASSWORD_OK;
		wc_FreeRng(&rng);
	}
	explicit_bzero(n->password, n->password_len);
}

static void newpass_back(pool_job *pj)
{
	struct newpass *n = (struct newpass *)pj;

	if (!pj->cancelled)
		n->done(n, pj->req, n->ok);
	newpass_free(n);
}

/* see signin.h */
struct newpass *newpass_new(app_thread *t, size_t size, const char *password, newpass_done done)
{
	struct newpass *n = size >= sizeof *n ? calloc(1, size) : NULL;

	if (!n || !(n->password = malloc(strlen(password) + 1))) {
		free(n);
		return NULL;
	}
	n->size = size;
	n->password_len = strlen(password);
	memcpy(n->password, password, n->password_len + 1);
	n->t = t;
	n->done = done;
	n->job.run = newpass_run;
	n->job.done = newpass_back;
	return n;
}

/* see signin.h */
int newpass_start(struct newpass *n, h2o_req_t *req)
{
	if (pool_submit_req(n->t->app->workers, n->t->jobs, &n->job, req) != 0) {
		newpass_free(n);
		return -1;
	}
	return 0;
}
