/*
 * grant.c: the authorization_code and refresh_token grants (see grant.h). A
 * code or refresh token arrives as text, is hashed (secret_hash) and consumed
 * atomically by the store before anything is issued, so of many concurrent
 * exchanges of one code exactly one gets tokens, and a refresh token presented
 * twice revokes its whole family. This file never stores, logs or echoes a code
 * or a refresh token in the clear, and never issues a token for a code before
 * its client, redirect_uri and PKCE verifier all matched.
 *
 * A person's access token (RFC 9068, typ at+jwt, minted by access.c) says sub =
 * the user's id, client_id, scope, auth_time (which a client_credentials token
 * never carries: /userinfo tells the two apart by it) and aud = the issuer URL
 * (when the scope has openid, so that /userinfo accepts it, or when the client
 * registered no audience) followed by the client's registered audiences, so an
 * API the client was registered for accepts the same token.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/audit.h"
#include "oauth/access.h"
#include "oauth/grant.h"
#include "oauth/idtoken.h"
#include "jose.h"
#include "oauth/oauth.h"
#include "crypto/secret.h"
#include "runtime/factors.h"
#include "runtime/signin.h"

/* What one answer to a person's grant carries. */
struct user_grant {
	const struct store_client *client;
	const char *user_id;
	const char *scope; /* of this answer (a refresh may narrow it) */
	int64_t auth_time;
	const char *amr;     /* how the person signed in (factors.h), or NULL / "" */
	const char *nonce;   /* for the ID token, or NULL */
	const char *refresh; /* the refresh token to return, or NULL */
	const char *jti;     /* the access token's id */
	enum metrics_grant kind;
};

static int has_scope(const char *scope, const char *name)
{
	return scope_allowed(name, scope);
}

static void invalid_grant(h2o_req_t *req, const char *why)
{
	response_send_error(req, 400, "invalid_grant", why);
}

/* The answer to a store call that got no answer. */
static void store_failed(h2o_req_t *req, store_err e)
{
	if (store_unavailable(e) || e == STORE_CONFLICT) /* CONFLICT: a 2^-256 collision; retry */
		oauth_store_unavailable(req);
	else
		response_send_error(req, 500, "server_error", "the store failed");
}

/* The person of g into *u: 0, or -1 answered (removed or disabled since the grant
 * began: invalid_grant; the store failed). */
static int grant_user(h2o_req_t *req, app_thread *t, const struct user_grant *g, struct store_user *u)
{
	store_err e = store_user_get(t->db, g->user_id, u);

	if (e == STORE_NOT_FOUND)
		invalid_grant(req, "the user no longer exists");
	else if (e != STORE_OK)
		store_failed(req, e);
	else if (u->disabled)
		invalid_grant(req, "the user is disabled");
	else
		return 0;
	return -1;
}

/* Sign and send the tokens of g (RFC 6749 §5.1, OIDC Core §3.1.3.3). */
static void answer(h2o_req_t *req, app_thread *t, const struct user_grant *g)
{
	int64_t now = app_now();
	char *at = NULL, *idt = NULL;
	struct store_user u;
	cJSON *doc;

	struct access_claims a = {.client = g->client,
	                          .sub = g->user_id,
	                          .scope = g->scope,
	                          .jti = g->jti,
	                          .for_person = 1,
	                          .auth_time = g->auth_time,
	                          .alg = access_alg(t->app->cfg),
	                          .typ = "at+jwt"};

	if (grant_user(req, t, g, &u))
		goto out;
	if (!(at = access_mint(t, &a, now)) ||
	    (has_scope(g->scope, "openid") && idtoken_sign(t,
	                                                   &(struct idtoken){.client = g->client,
	                                                                     .sub = g->user_id,
	                                                                     .auth_time = g->auth_time,
	                                                                     .amr = g->amr,
	                                                                     .nonce = g->nonce,
	                                                                     .access_token = at,
	                                                                     .user = &u,
	                                                                     .scope = g->scope},
	                                                   now, &idt) != JOSE_OK)) {
		response_send_error(req, 503, "temporarily_unavailable", "cannot sign a token now; retry");
		goto out;
	}
	metrics_token(t->app->metrics, t->index, g->kind);
	audit_req(req,
	          g->kind == METRICS_GRANT_REFRESH_TOKEN ? "oauth.refresh.rotated"
	          : g->kind == METRICS_GRANT_PASSWORD    ? "oauth.password.granted"
	                                                 : "oauth.code.exchanged",
	          "info", g->client->id, g->user_id, NULL, NULL, 0);
	doc = access_answer_new(t, at, g->scope);
	if (idt)
		doc = access_answer_add(doc, "id_token", idt);
	if (g->refresh)
		doc = access_answer_add(doc, "refresh_token", g->refresh);
	access_answer_send(req, doc);
out:
	explicit_bzero(&u, sizeof u); /* the password hash came along */
	free(at);
	free(idt);
}

/*
 * An id derived from a code's hash: base64url(SHA-256(label ":" hash)). The
 * refresh family and the first access token's jti of a code are derived, not
 * drawn, so that a replayed code can find what its first exchange issued
 * without the code row having to remember it. Unpredictable to anyone who
 * never held the code (or the database, which holds the ids themselves).
 */
static void derive(const char *label, const uint8_t hash[SECRET_HASH_LEN], char out[SECRET_TEXT_LEN + 1])
{
	char buf[16 + SECRET_HASH_LEN];
	uint8_t d[SECRET_HASH_LEN];
	size_t n = (size_t)snprintf(buf, 16, "%s:", label);

	memcpy(buf + n, hash, SECRET_HASH_LEN);
	secret_hash(buf, n + SECRET_HASH_LEN, d);
	jose_b64url_encode(out, SECRET_TEXT_LEN + 1, d, sizeof d);
}

/*
 * A code that is unknown, used or expired. If it had been exchanged, revoke
 * what that issued (RFC 6749 §4.1.2: SHOULD; RFC 9700 §4.5): its refresh family
 * and, when there was one, its first access token. Without a family nothing
 * says the code was ever exchanged, and revoking a made-up jti for every bad
 * code would let anyone fill the revocation table; such an access token then
 * lives out its token_ttl (15 minutes by default). Failures are ignored: the
 * answer is invalid_grant either way.
 */
static void code_replayed(app_thread *t, const uint8_t hash[SECRET_HASH_LEN])
{
	char id[SECRET_TEXT_LEN + 1];

	derive("family", hash, id);
	if (store_refresh_revoke_family(t->db, id) != STORE_OK)
		return;
	derive("jti", hash, id);
	(void)store_revoke_put(t->db, id, app_now() + t->app->cfg->token_ttl);
}

/* 1 when v is a code_verifier of RFC 7636 §4.1: 43..128 of A-Z a-z 0-9 - . _ ~ */
static int verifier_valid(const char *v)
{
	size_t n = strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~");

	return v[n] == '\0' && n >= 43 && n <= 128;
}

/* 1 when BASE64URL(SHA256(verifier)) is the code's S256 challenge (RFC 7636 §4.6), in constant time. */
static int pkce_ok(const struct store_code *code, const char *verifier)
{
	uint8_t d[SECRET_HASH_LEN];
	char enc[SECRET_TEXT_LEN + 1];

	secret_hash(verifier, strlen(verifier), d);
	jose_b64url_encode(enc, sizeof enc, d, sizeof d);
	return strcmp(code->code_challenge_method, "S256") == 0 &&
	       strlen(code->code_challenge) == SECRET_TEXT_LEN &&
	       jose_ct_equal(enc, code->code_challenge, SECRET_TEXT_LEN);
}

/* Why the taken code may not be exchanged by c with uri and verifier, or NULL. */
static const char *code_mismatch(const struct store_code *row, const struct store_client *c, const char *uri,
                                 const char *verifier)
{
	if (strcmp(row->client_id, c->id) != 0)
		return "the code was issued to another client";
	if (strcmp(row->redirect_uri, uri) != 0)
		return "redirect_uri differs from the authorization request's";
	if (!pkce_ok(row, verifier))
		return "code_verifier does not match the code_challenge (RFC 7636 section 4.6)";
	return NULL;
}

/* Store the refresh grant of the code row (hash: the code's) as the token text. */
static store_err new_refresh(app_thread *t, const struct store_code *row, const uint8_t hash[SECRET_HASH_LEN],
                             const char text[SECRET_TEXT_LEN + 1])
{
	struct store_refresh r = {.hash_len = SECRET_HASH_LEN, .auth_time = row->auth_time};

	secret_hash(text, SECRET_TEXT_LEN, r.hash);
	derive("family", hash, r.family_id);
	memcpy(r.client_id, row->client_id, sizeof r.client_id);
	memcpy(r.user_id, row->user_id, sizeof r.user_id);
	memcpy(r.scope, row->scope, sizeof r.scope);
	memcpy(r.session_hash, row->session_hash, row->session_hash_len);
	r.session_hash_len = row->session_hash_len;
	memcpy(r.amr, row->amr, sizeof r.amr);
	r.created_at = app_now();
	r.expires_at = r.created_at + t->app->cfg->refresh_ttl;
	return store_refresh_put(t->db, &r);
}

/*
 * see grant.h. The code is taken and its refresh token stored in one
 * transaction (store_tx_begin): one commit, so one disk flush per exchange
 * rather than two, and no used-up code without its refresh token when the
 * second write fails (the code then stays usable: the answer is a 503 to
 * retry). A code whose client, redirect_uri or verifier does not match is
 * used up all the same (committed): a guess costs the code.
 */
void grant_authorization_code(h2o_req_t *req, app_thread *t, const http_form *f, const struct store_client *c)
{
	const char *code = http_form_get(f, "code"), *uri = http_form_get(f, "redirect_uri"),
	           *verifier = http_form_get(f, "code_verifier"), *why;
	char refresh[SECRET_TEXT_LEN + 1], jti[SECRET_TEXT_LEN + 1];
	uint8_t hash[SECRET_HASH_LEN];
	struct store_code row;
	store_err e;
	int offline;

	if (!store_list_has(c->grants, "authorization_code")) {
		response_send_error(req, 400, "unauthorized_client",
		                    "this client may not use authorization_code");
		return;
	}
	if (!code || !uri || !verifier || !verifier_valid(verifier)) {
		response_send_error(
		    req, 400, "invalid_request",
		    "code, redirect_uri and code_verifier (43..128 characters of A-Z a-z 0-9 - . _ "
		    "~, RFC 7636) are required");
		return;
	}
	secret_hash(code, strlen(code), hash);
	/* Drawn before the transaction, which should hold the write lock for no
	 * more than its writes; unused when the grant is not offline. */
	if (secret_generate(&t->rng, refresh)) {
		response_send_error(req, 503, "temporarily_unavailable", "no randomness now; retry");
		return;
	}
	if ((e = store_tx_begin(t->db)) != STORE_OK) {
		store_failed(req, e);
		return;
	}
	if ((e = store_code_take(t->db, hash, sizeof hash, app_now(), &row)) != STORE_OK) {
		(void)store_tx_end(t->db, 0); /* nothing was written */
		if (e == STORE_NOT_FOUND) {
			code_replayed(t, hash);
			audit_req(req, "oauth.code.replayed", "warn", c->id, NULL, NULL, NULL, 0);
			invalid_grant(req, "the code is unknown, expired or already used");
		} else
			store_failed(req, e);
		return;
	}
	if ((why = code_mismatch(&row, c, uri, verifier))) {
		if ((e = store_tx_end(t->db, 1)) != STORE_OK)
			store_failed(req, e);
		else
			invalid_grant(req, why);
		return;
	}
	offline = has_scope(row.scope, "offline_access") && store_list_has(c->grants, "refresh_token");
	if (offline && (e = new_refresh(t, &row, hash, refresh)) != STORE_OK) {
		(void)store_tx_end(t->db, 0);
		store_failed(req, e);
		return;
	}
	if ((e = store_tx_end(t->db, 1)) != STORE_OK) {
		store_failed(req, e);
		return;
	}
	derive("jti", hash, jti);
	answer(req, t,
	       &(struct user_grant){.client = c,
	                            .user_id = row.user_id,
	                            .scope = row.scope,
	                            .auth_time = row.auth_time,
	                            .amr = row.amr,
	                            .nonce = row.nonce,
	                            .refresh = offline ? refresh : NULL,
	                            .jti = jti,
	                            .kind = METRICS_GRANT_AUTHORIZATION_CODE});
}

/* A narrower scope asked for on a refresh must lie within the grant's; 0, or -1 answered. */
static int scope_refused(h2o_req_t *req, app_thread *t, const struct store_client *c,
                         const uint8_t hash[SECRET_HASH_LEN], const char *scope)
{
	struct store_refresh cur;
	store_err e;

	if (!scope_valid(scope)) {
		response_send_error(req, 400, "invalid_scope", "scope is malformed");
		return -1;
	}
	e = store_refresh_get(t->db, hash, SECRET_HASH_LEN, app_now(), &cur);
	if (e != STORE_OK && e != STORE_NOT_FOUND) {
		store_failed(req, e);
		return -1;
	}
	/* Not found (used, say) or another client's: the rotation gives the answer. */
	if (e == STORE_OK && strcmp(cur.client_id, c->id) == 0 && !scope_allowed(scope, cur.scope)) {
		response_send_error(req, 400, "invalid_scope", "scope must lie within the granted scope");
		return -1;
	}
	return 0;
}

/* see grant.h */
void grant_refresh_token(h2o_req_t *req, app_thread *t, const http_form *f, const struct store_client *c)
{
	const char *token = http_form_get(f, "refresh_token"), *scope = http_form_get(f, "scope");
	struct store_refresh next = {.hash_len = SECRET_HASH_LEN}, old = {.hash_len = 0};
	char text[SECRET_TEXT_LEN + 1], jti[SECRET_TEXT_LEN + 1];
	uint8_t hash[SECRET_HASH_LEN];
	store_err e;

	if (!store_list_has(c->grants, "refresh_token")) {
		response_send_error(req, 400, "unauthorized_client", "this client may not use refresh_token");
		return;
	}
	if (!token) {
		response_send_error(req, 400, "invalid_request", "refresh_token is required");
		return;
	}
	secret_hash(token, strlen(token), hash);
	if (scope && scope_refused(req, t, c, hash, scope))
		return;
	if (secret_generate(&t->rng, text) || secret_generate(&t->rng, jti)) {
		response_send_error(req, 503, "temporarily_unavailable", "no randomness now; retry");
		return;
	}
	secret_hash(text, SECRET_TEXT_LEN, next.hash);
	memcpy(next.client_id, c->id, sizeof next.client_id);
	next.created_at = app_now(); /* expires_at 0: the grant's absolute lifetime stays */
	e = store_refresh_rotate(t->db, hash, sizeof hash, &next, next.created_at, t->app->cfg->refresh_grace,
	                         &old);
	if (e == STORE_REUSED) {
		metrics_refresh_reuse(t->app->metrics, t->index);
		audit_req(req, "oauth.refresh.reuse_detected", "warn", c->id,
		          old.user_id[0] ? old.user_id : NULL, NULL,
		          (reqlog_field[]){{"family", "revoked", 0}}, 1);
	}
	if (e == STORE_REUSED)
		invalid_grant(req,
		              "the refresh token was already used: every token of its grant is now revoked");
	else if (e == STORE_NOT_FOUND)
		invalid_grant(req, "the refresh token is unknown, expired, revoked or another client's");
	else if (e != STORE_OK)
		store_failed(req, e);
	else
		answer(req, t,
		       &(struct user_grant){.client = c,
		                            .user_id = old.user_id,
		                            .scope = scope ? scope : old.scope,
		                            .auth_time = old.auth_time,
		                            .amr = old.amr,
		                            .refresh = text,
		                            .jti = jti,
		                            .kind = METRICS_GRANT_REFRESH_TOKEN});
}

/* ---- the password grant ---- */

/* A password grant in flight: the attempt, the client and the scope it will get. */
struct password_job {
	struct signin s; /* first */
	struct store_client client;
	char scope[STORE_SCOPE_MAX + 1];
};

/* A new refresh grant (a family of its own) for the signed-in user of j, as text. */
static store_err password_refresh(app_thread *t, const struct password_job *j, int64_t now,
                                  char text[SECRET_TEXT_LEN + 1])
{
	struct store_refresh r = {
	    .hash_len = SECRET_HASH_LEN, .auth_time = now, .created_at = now, .amr = "pwd"};

	if (secret_generate(&t->rng, text) || secret_generate(&t->rng, r.family_id))
		return STORE_NOMEM;
	secret_hash(text, SECRET_TEXT_LEN, r.hash);
	memcpy(r.client_id, j->client.id, sizeof r.client_id);
	memcpy(r.user_id, j->s.user.id, sizeof r.user_id);
	memcpy(r.scope, j->scope, sizeof r.scope);
	r.expires_at = now + t->app->cfg->refresh_ttl;
	return store_refresh_put(t->db, &r);
}

/* The tokens of a successful password grant. */
static void password_tokens(h2o_req_t *req, app_thread *t, struct password_job *j, int64_t now)
{
	char refresh[SECRET_TEXT_LEN + 1], jti[SECRET_TEXT_LEN + 1];
	int offline =
	    has_scope(j->scope, "offline_access") && store_list_has(j->client.grants, "refresh_token");
	store_err e = secret_generate(&t->rng, jti) ? STORE_NOMEM : STORE_OK;

	if (e == STORE_OK && offline)
		e = password_refresh(t, j, now, refresh);
	if (e == STORE_NOMEM) {
		response_send_error(req, 503, "temporarily_unavailable", "no randomness now; retry");
		return;
	}
	if (e != STORE_OK) {
		store_failed(req, e);
		return;
	}
	answer(req, t,
	       &(struct user_grant){.client = &j->client,
	                            .user_id = j->s.user.id,
	                            .scope = j->scope,
	                            .auth_time = now,
	                            .amr = "pwd",
	                            .refresh = offline ? refresh : NULL,
	                            .jti = jti,
	                            .kind = METRICS_GRANT_PASSWORD});
}

/* The result of the check (signin.h), answered; req is NULL when the caller left. */
static void password_done(struct signin *s, h2o_req_t *req, enum signin_result r, int64_t now)
{
	if (!req)
		return;
	int two =
	    r == SIGNIN_OK ? factors_needed(s->t, s->user.id, ((struct password_job *)s)->client.id) : 0;

	if (two < 0)
		oauth_store_unavailable(req);
	else if (two)
		invalid_grant(req, "the account signs in with two factors: use the authorization code flow");
	else if (r == SIGNIN_OK)
		password_tokens(req, s->t, (struct password_job *)s, now);
	else if (r == SIGNIN_WRONG)
		invalid_grant(req, "the username or password is incorrect");
	else if (r == SIGNIN_DISABLED)
		invalid_grant(req, "the account is disabled");
	else if (r == SIGNIN_UNVERIFIED)
		invalid_grant(req, "the account's email address is not confirmed yet");
	else
		oauth_store_unavailable(req);
}

/* The scope a password grant of c gets for the scope asked (NULL: c's own) into out;
 * 0, or -1 answered. */
static int password_scope(h2o_req_t *req, const struct store_client *c, const char *scope,
                          char out[STORE_SCOPE_MAX + 1])
{
	if (!scope)
		scope = c->scope;
	if (strlen(scope) > STORE_SCOPE_MAX || (*scope && !scope_valid(scope))) {
		response_send_error(req, 400, "invalid_scope", "scope is malformed");
		return -1;
	}
	if (!scope_intersect(scope, SCOPE_KNOWN, c->scope, out, STORE_SCOPE_MAX + 1)) {
		response_send_error(req, 400, "invalid_scope", "no scope this client may use was asked for");
		return -1;
	}
	return 0;
}

/* The per-address limit of failed sign-ins: 1 after answering 429. */
static int password_limited(h2o_req_t *req, app_thread *t, const char *username, int64_t now)
{
	int64_t retry = 0;
	char after[24];

	if (!signin_limited(req, t, username, now, &retry))
		return 0;
	snprintf(after, sizeof after, "%lld", (long long)(retry > 0 ? retry : 1));
	response_add_header(req, "retry-after", after);
	response_send_error(req, 429, "temporarily_unavailable",
	                    "too many failed sign-ins from this address; retry later");
	return 1;
}

/* see grant.h */
void grant_password(h2o_req_t *req, app_thread *t, const http_form *f, const struct store_client *c)
{
	const char *user = http_form_get(f, "username"), *pw = http_form_get(f, "password");
	char scope[STORE_SCOPE_MAX + 1];
	int64_t now = app_now();
	struct password_job *j;

	if (!store_list_has(c->grants, "password") || c->is_public) {
		response_send_error(req, 400, "unauthorized_client",
		                    "this client may not use the password grant");
		return;
	}
	if (!user || !*user || strlen(user) > STORE_USERNAME_MAX || !pw || !*pw ||
	    strlen(pw) > PASSWORD_MAX_LEN) {
		response_send_error(req, 400, "invalid_request", "username and password are required");
		return;
	}
	if (password_scope(req, c, http_form_get(f, "scope"), scope) || password_limited(req, t, user, now))
		return;
	j = (struct password_job *)signin_new(t, sizeof *j, user, pw, c->id, password_done);
	if (!j) {
		response_send_error(req, 503, "temporarily_unavailable", "out of memory; retry");
		return;
	}
	j->client = *c;
	memcpy(j->scope, scope, sizeof j->scope);
	if (signin_start(&j->s, req, now))
		oauth_store_unavailable(req);
}
