/*
 * fuzz_router.c: libFuzzer target for whole HTTP requests against the issuer,
 * in process. The input is written, as is, to one end of a socketpair whose
 * other end H2O serves exactly as a connection accepted by `serve` (same
 * global configuration, same request handler, same route table, a real app
 * with its SQLite store, keys, metrics, per-address limits and password worker
 * pool); then the writing side is shut, and the loop runs until the server
 * closes the connection or 50 ms pass, longer (up to FUZZ_JOB_MS) while a
 * request waits for the pool. The connection's peer is set to 127.0.0.1 (a
 * socketpair has no IP peer, and the limits count only IP peers).
 *
 * Promise checked: no request makes the issuer answer 5xx (every handler
 * response is checked in the handler itself, or, for a /login that handed its
 * password check to the pool, when the request is disposed of, so pipelined
 * requests and any protocol H2O speaks are covered; the first status line on
 * the wire is checked too); every request ends within the input (no request
 * left waiting, no pool job left running); and nothing crashes, leaks or trips
 * a sanitizer.
 *
 * The server's fixed state (LLVMFuzzerInitialize): a new SQLite file in a
 * temporary directory (on /dev/shm when there is one: the store syncs every
 * commit; removed at exit), one thread, one password worker, ES256 tokens, the
 * legacy HS256 secret FUZZ_LEGACY, the `browser-ui` client with secret
 * FUZZ_BROWSER_SECRET, a client FUZZ_CLIENT registered for audiences, scopes and
 * subjects, so seeds can authenticate (Basic or form), get tokens issued and
 * carry tokens that verify (tests/fuzz/seeds.mjs uses the same values). For the
 * sign-in flow: the user FUZZ_USERNAME / FUZZ_PASSWORD (id FUZZ_USER_ID; a
 * tiny argon2id hash, so a login per input is cheap), the public client
 * FUZZ_PUBLIC and the confidential client FUZZ_WEB (secret FUZZ_WEB_SECRET,
 * consent required), both with authorization_code and refresh_token (web also with
 * the password grant).
 *
 * Flows, cookies, codes and refresh tokens are random in a real run, so an
 * input could never name one. The harness stores fixed ones instead (`fixtures`:
 * 43-character values, as the server makes): the idb_browser cookie
 * FUZZ_COOKIE_BROWSER, the SSO session FUZZ_COOKIE_SESSION of the user, three
 * login flows (FUZZ_FLOW_PUBLIC and FUZZ_FLOW_WEB not yet signed in, and
 * FUZZ_FLOW_SIGNED at the consent step, each with its FUZZ_CSRF_*, bound to that
 * browser), two codes (FUZZ_CODE_PUBLIC, FUZZ_CODE_WEB) and two refresh tokens
 * (FUZZ_REFRESH_PUBLIC, FUZZ_REFRESH_WEB); every code and flow has the PKCE
 * challenge of FUZZ_VERIFIER. They are single use: after each input that
 * reached a sign-in or token endpoint, everything those endpoints change is put
 * back (flows, sessions, codes, refresh tokens, consents, revocations, the
 * user's failure count and lock, the per-address counts), so inputs never
 * depend on one another.
 *
 * Tokens whose claims the fuzzer changes would never verify, so the harness
 * signs on request: every run of exactly FUZZ_SIG_LEN '@' that follows a '.' is
 * replaced, in place (lengths, and so Content-Length, stay right), by the
 * HS256 signature under FUZZ_LEGACY of the base64url-and-dots run before that
 * '.'. Seeds write "header.payload.@@@…@" for a token /verify should accept.
 * /userinfo never takes HS256 and /logout wants an ID token, so two more
 * markers are replaced by tokens the keyring signed at start-up: "$AT$" by an
 * access token of the user (typ at+jwt, scope openid profile email, for
 * FUZZ_PUBLIC) and "$IDT$" by an ID token of the user for FUZZ_WEB. Those change
 * the input's length: use them in a request line or header, not in a body.
 */
#include "../../issuer/runtime/server.c" /* first: it defines _GNU_SOURCE; gives loop, config, on_req */

#include <fcntl.h>
#include <sys/stat.h>

#include <wolfssl/wolfcrypt/hmac.h>

#include "fuzz.h"
#include "oauth/idtoken.h"
#include "routes/routes.h"
#include "jose_b64url.h"
#include "crypto/password.h"
#include "crypto/secret.h"

#define FUZZ_LEGACY         "fuzz-legacy-secret-0123456789abcdef"
#define FUZZ_BROWSER_SECRET "fuzz-browser-secret"
#define FUZZ_CLIENT         "fuzz-client"
#define FUZZ_CLIENT_SECRET  "fuzz-client-secret"

/* The sign-in fixtures (see the header; tests/fuzz/seeds.mjs repeats them). */
#define FUZZ_USER_ID         "fuzz-user-1"
#define FUZZ_USERNAME        "alice"
#define FUZZ_PASSWORD        "fuzz-password"
#define FUZZ_PUBLIC          "fuzz-public"
#define FUZZ_PUBLIC_REDIRECT "https://app.example/cb"
#define FUZZ_WEB             "fuzz-web"
#define FUZZ_WEB_SECRET      "fuzz-web-secret"
#define FUZZ_WEB_REDIRECT    "https://web.example/cb"
#define FUZZ_SCOPE           "openid profile email offline_access"
#define FUZZ_VERIFIER        "fuzz-code-verifier-0123456789-0123456789-0123456789"
#define FUZZ_COOKIE_BROWSER  "fuzzBrowserCookie0000000000000000000000000A"
#define FUZZ_COOKIE_SESSION  "fuzzSessionCookie0000000000000000000000000A"
#define FUZZ_FLOW_PUBLIC     "fuzzFlowPublic000000000000000000000000000AA"
#define FUZZ_CSRF_PUBLIC     "fuzzCsrfPublic000000000000000000000000000AA"
#define FUZZ_FLOW_WEB        "fuzzFlowWeb000000000000000000000000000000AA"
#define FUZZ_CSRF_WEB        "fuzzCsrfWeb000000000000000000000000000000AA"
#define FUZZ_FLOW_SIGNED     "fuzzFlowSigned000000000000000000000000000AA"
#define FUZZ_CSRF_SIGNED     "fuzzCsrfSigned000000000000000000000000000AA"
#define FUZZ_CODE_PUBLIC     "fuzzCodePublic000000000000000000000000000AA"
#define FUZZ_CODE_WEB        "fuzzCodeWeb000000000000000000000000000000AA"
#define FUZZ_REFRESH_PUBLIC  "fuzzRefreshPublic000000000000000000000000AA"
#define FUZZ_REFRESH_WEB     "fuzzRefreshWeb000000000000000000000000000AA"
#define FIXED_LEN(v)         _Static_assert(sizeof(v) == SECRET_TEXT_LEN + 1, #v " must be 43 characters")
FIXED_LEN(FUZZ_COOKIE_BROWSER);
FIXED_LEN(FUZZ_COOKIE_SESSION);
FIXED_LEN(FUZZ_FLOW_PUBLIC);
FIXED_LEN(FUZZ_CSRF_PUBLIC);
FIXED_LEN(FUZZ_FLOW_WEB);
FIXED_LEN(FUZZ_CSRF_WEB);
FIXED_LEN(FUZZ_FLOW_SIGNED);
FIXED_LEN(FUZZ_CSRF_SIGNED);
FIXED_LEN(FUZZ_CODE_PUBLIC);
FIXED_LEN(FUZZ_CODE_WEB);
FIXED_LEN(FUZZ_REFRESH_PUBLIC);
FIXED_LEN(FUZZ_REFRESH_WEB);

/* Length of an HS256 signature in base64url: a run of this many '@' is signed in place. */
#define FUZZ_SIG_LEN 43
/* How long one input may keep the connection open, in milliseconds. */
#define FUZZ_DEADLINE_MS 50
/* How long a request waiting for the pool may take (a tiny argon2id run is well under
 * a millisecond; this only bounds a hang, which then fails the input). */
#define FUZZ_JOB_MS 2000
/* Response bytes kept for the status-line check (the rest is read and dropped). */
#define FUZZ_RESP_MAX 4096

static loop w;
static int dirty;   /* a sign-in or token endpoint ran during this input: put the fixtures back */
static int pending; /* requests answered later (in a coroutine, or a /login waiting for the
                       pool), not yet disposed of */
static int verbose; /* FUZZ_VERBOSE=1: one line per response on stderr (for checking seeds) */
static app *the_app;
static server_routes fuzz_routes; /* the real route table, as cli_serve.c hands it to server_run */
static server_config cfg;
static struct mail_config fuzz_mail; /* cfg.mail */
static struct policy fuzz_policy;    /* cfg.policy */
static char mail_why[256];           /* why the mail settings were refused */
static char dir[64], db[96];
static char password_hash_of_user[STORE_PASSWORD_HASH_MAX + 1];
static char challenge[SECRET_TEXT_LEN + 1]; /* PKCE S256 of FUZZ_VERIFIER */
static char *access_token, *id_token;       /* what "$AT$" and "$IDT$" become */

static void cleanup(void)
{
	static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};
	char path[128];

	pool_receiver_free(w.state.jobs); /* before the pool (app_stop) and the store go */
	w.state.jobs = NULL;
	dbpool_home_free(w.state.home);
	w.state.home = NULL;
	app_thread_fini(&w.state);
	app_stop(the_app);
	free(access_token);
	free(id_token);
	for (size_t i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
		snprintf(path, sizeof path, "%s%s", db, suffix[i]);
		unlink(path);
	}
	rmdir(dir);
}

static int path_is(const h2o_req_t *req, const char *p)
{
	return h2o_memis(req->path_normalized.base, req->path_normalized.len, p, strlen(p));
}

/* The endpoints whose effects `fixtures` undoes. */
static int changes_state(const h2o_req_t *req)
{
	static const char *const paths[] = {
	    "/authorize", "/login",         "/consent",     "/logout",         "/token",
	    "/revoke",    "/introspect",    "/login/mfa",   "/login/passkey",  "/login/passkey/challenge",
	    "/account",   "/account/login", "/account/mfa", "/account/passkey"};

	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
		if (path_is(req, paths[i]))
			return 1;
	return 0;
}

/* A request that was still waiting when the handler returned is being disposed of:
 * it ends here, and what it answered (if it answered: the peer may have left) is checked. */
static void on_dispose(void *arg)
{
	h2o_req_t *req = *(h2o_req_t **)arg;

	pending--;
	if (verbose)
		fprintf(stderr, "fuzz_router: %.*s %.*s -> %d (later)\n", (int)req->method.len,
		        req->method.base, (int)req->path.len, req->path.base, req->res.status);
	FUZZ_CHECK(req->res.status < 500, "%.*s %.*s answered %d from the pool", (int)req->method.len,
	           req->method.base, (int)req->path.len, req->path.base, req->res.status);
}

/* The server's handler, then the check every response it made passes. */
static int fuzz_on_req(h2o_handler_t *self, h2o_req_t *req)
{
	int r = on_req(self, req);

	dirty |= changes_state(req);
	if (verbose)
		fprintf(stderr, "fuzz_router: %.*s %.*s -> %d\n", (int)req->method.len, req->method.base,
		        (int)req->path.len, req->path.base, req->res.status);
	if (req->res.status == 0) {
		/* A handler in a coroutine, or a password check on the pool: the answer comes later. */
		h2o_req_t **watch = h2o_mem_alloc_shared(&req->pool, sizeof *watch, on_dispose);
		*watch = req;
		pending++;
		return r;
	}
	FUZZ_CHECK(req->res.status > 0 && req->res.status < 500, "%.*s %.*s answered %d",
	           (int)req->method.len, req->method.base, (int)req->path.len, req->path.base,
	           req->res.status);
	return r;
}

static void must(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_router: cannot %s (%s)\n", what, store_errmsg(w.state.db));
		abort();
	}
}

/* FUZZ_CLIENT: client_credentials and the seeds' JSON /token, two audiences, three scopes. */
static void register_client(void)
{
	struct store_client c;

	memset(&c, 0, sizeof c);
	strcpy(c.id, FUZZ_CLIENT);
	strcpy(c.grants, "client_credentials");
	strcpy(c.audiences, "api\nhttps://api.example");
	strcpy(c.scope, "read write openid");
	strcpy(c.subjects, "svc\nalice");
	c.created_at = app_now();
	must(secret_client_set(&w.state.rng, &c, FUZZ_CLIENT_SECRET, strlen(FUZZ_CLIENT_SECRET)) == 0 &&
	         store_client_put(w.state.db, &c) == STORE_OK,
	     "register " FUZZ_CLIENT);
}

/* The sign-in clients (web: 1 for FUZZ_WEB, else FUZZ_PUBLIC). */
static void sign_in_client(struct store_client *c, int web)
{
	memset(c, 0, sizeof *c);
	strcpy(c->id, web ? FUZZ_WEB : FUZZ_PUBLIC);
	strcpy(c->grants,
	       web ? "authorization_code\nrefresh_token\npassword" : "authorization_code\nrefresh_token");
	strcpy(c->redirect_uris, web ? FUZZ_WEB_REDIRECT : FUZZ_PUBLIC_REDIRECT "\nhttp://127.0.0.1:9999/cb");
	strcpy(c->post_logout_uris, web ? "https://web.example/bye" : "https://app.example/bye");
	strcpy(c->scope, FUZZ_SCOPE);
	c->is_public = !web;
	c->needs_consent = web;
	if (web)
		strcpy(c->id_token_alg, "ES256");
	c->created_at = app_now();
	if (web)
		must(secret_client_set(&w.state.rng, c, FUZZ_WEB_SECRET, strlen(FUZZ_WEB_SECRET)) == 0,
		     "hash " FUZZ_WEB "'s secret");
}

static void put_flow(const char *id, const char *csrf, const char *client, const char *uri, int signed_in,
                     int64_t now)
{
	struct store_flow f;

	memset(&f, 0, sizeof f);
	secret_hash(id, SECRET_TEXT_LEN, f.id_hash);
	secret_hash(csrf, SECRET_TEXT_LEN, f.csrf_hash);
	secret_hash(FUZZ_COOKIE_BROWSER, SECRET_TEXT_LEN, f.browser_hash);
	f.id_hash_len = f.csrf_hash_len = f.browser_hash_len = SECRET_HASH_LEN;
	strcpy(f.client_id, client);
	strcpy(f.redirect_uri, uri);
	strcpy(f.scope, FUZZ_SCOPE);
	strcpy(f.state, "fuzz-state");
	strcpy(f.nonce, "fuzz-nonce");
	strcpy(f.code_challenge, challenge);
	strcpy(f.code_challenge_method, "S256");
	f.max_age = -1;
	if (signed_in) {
		strcpy(f.user_id, FUZZ_USER_ID);
		f.auth_time = now - 60;
	}
	f.created_at = now;
	f.expires_at = now + cfg.flow_ttl;
	must(store_flow_put(w.state.db, &f) == STORE_OK, "store a flow");
}

static void put_code(const char *code, const char *client, const char *uri, int64_t now)
{
	struct store_code c;

	memset(&c, 0, sizeof c);
	secret_hash(code, SECRET_TEXT_LEN, c.code_hash);
	c.code_hash_len = SECRET_HASH_LEN;
	strcpy(c.client_id, client);
	strcpy(c.user_id, FUZZ_USER_ID);
	strcpy(c.redirect_uri, uri);
	strcpy(c.scope, FUZZ_SCOPE);
	strcpy(c.nonce, "fuzz-nonce");
	strcpy(c.code_challenge, challenge);
	strcpy(c.code_challenge_method, "S256");
	c.auth_time = now - 60;
	c.expires_at = now + 3600; /* not cfg.code_ttl: a long fuzzing run outlives a minute */
	must(store_code_put(w.state.db, &c) == STORE_OK, "store a code");
}

static void put_refresh(const char *token, const char *client, int64_t now)
{
	struct store_refresh r;

	memset(&r, 0, sizeof r);
	secret_hash(token, SECRET_TEXT_LEN, r.hash);
	r.hash_len = SECRET_HASH_LEN;
	snprintf(r.family_id, sizeof r.family_id, "fuzz-family-%s", client);
	strcpy(r.client_id, client);
	strcpy(r.user_id, FUZZ_USER_ID);
	strcpy(r.scope, FUZZ_SCOPE);
	r.auth_time = now - 60;
	r.created_at = now;
	r.expires_at = now + cfg.refresh_ttl;
	must(store_refresh_put(w.state.db, &r) == STORE_OK, "store a refresh token");
}

/*
 * Put the sign-in state back as it was at start-up. Deleting and adding the two
 * clients again also drops their flows, codes, refresh tokens and consents (the
 * store cascades); then every session, revocation, challenge, second factor and
 * leftover row goes, the
 * user is unlocked with its own hash, the per-address counts start afresh, and
 * the fixtures are stored again.
 */
static void fixtures(void)
{
	struct store_client pub, web;
	struct store_session se;
	int64_t now = app_now();
	store_err e;

	sign_in_client(&pub, 0);
	sign_in_client(&web, 1);
	for (int i = 0; i < 2; i++) {
		e = store_client_delete(w.state.db, i ? FUZZ_WEB : FUZZ_PUBLIC);
		must(e == STORE_OK || e == STORE_NOT_FOUND, "remove a sign-in client");
	}
	must(store_client_put(w.state.db, &pub) == STORE_OK && store_client_put(w.state.db, &web) == STORE_OK,
	     "register the sign-in clients");
	must(store_session_purge(w.state.db, INT64_MAX) == STORE_OK &&
	         store_flow_purge(w.state.db, INT64_MAX) == STORE_OK &&
	         store_code_purge(w.state.db, INT64_MAX) == STORE_OK &&
	         store_refresh_purge(w.state.db, INT64_MAX) == STORE_OK &&
	         store_revoke_purge(w.state.db, INT64_MAX) == STORE_OK &&
	         store_challenge_purge(w.state.db, INT64_MAX) == STORE_OK &&
	         store_factor_clear(w.state.db, FUZZ_USER_ID, NULL, NULL) == STORE_OK,
	     "purge the sign-in state");
	must(store_login_purge(w.state.db, INT64_MAX - 1, 1) == STORE_OK &&
	         store_user_set_password(w.state.db, FUZZ_USER_ID, password_hash_of_user) == STORE_OK,
	     "reset " FUZZ_USERNAME);
	ratelimit_free(the_app->limits);
	must((the_app->limits = ratelimit_new(&cfg.limits)) != NULL, "renew the per-address limits");

	memset(&se, 0, sizeof se);
	secret_hash(FUZZ_COOKIE_SESSION, SECRET_TEXT_LEN, se.id_hash);
	se.id_hash_len = SECRET_HASH_LEN;
	strcpy(se.user_id, FUZZ_USER_ID);
	se.auth_time = now - 60;
	se.expires_at = now + cfg.session_ttl;
	must(store_session_put(w.state.db, &se) == STORE_OK, "store the session");
	put_flow(FUZZ_FLOW_PUBLIC, FUZZ_CSRF_PUBLIC, FUZZ_PUBLIC, FUZZ_PUBLIC_REDIRECT, 0, now);
	put_flow(FUZZ_FLOW_WEB, FUZZ_CSRF_WEB, FUZZ_WEB, FUZZ_WEB_REDIRECT, 0, now);
	put_flow(FUZZ_FLOW_SIGNED, FUZZ_CSRF_SIGNED, FUZZ_WEB, FUZZ_WEB_REDIRECT, 1, now);
	put_code(FUZZ_CODE_PUBLIC, FUZZ_PUBLIC, FUZZ_PUBLIC_REDIRECT, now);
	put_code(FUZZ_CODE_WEB, FUZZ_WEB, FUZZ_WEB_REDIRECT, now);
	put_refresh(FUZZ_REFRESH_PUBLIC, FUZZ_PUBLIC, now);
	put_refresh(FUZZ_REFRESH_WEB, FUZZ_WEB, now);
}

/* The user, its tiny hash, the PKCE challenge, and the two tokens the markers stand for. */
static void sign_in_setup(void)
{
	struct store_user u;
	struct store_client web;
	uint8_t d[SECRET_HASH_LEN];
	int64_t now = app_now();
	char claims[512];
	struct idtoken it = {
	    .client = &web, .sub = FUZZ_USER_ID, .auth_time = now - 60, .nonce = "fuzz-nonce"};

	secret_hash(FUZZ_VERIFIER, strlen(FUZZ_VERIFIER), d);
	must(jose_b64url_encode(challenge, sizeof challenge, d, sizeof d) == SECRET_TEXT_LEN,
	     "encode the challenge");
	memset(&u, 0, sizeof u);
	strcpy(u.id, FUZZ_USER_ID);
	strcpy(u.username, FUZZ_USERNAME);
	strcpy(u.email, "alice@example.com");
	u.created_at = now;
	must(password_hash(FUZZ_PASSWORD, strlen(FUZZ_PASSWORD), &cfg.argon2, &w.state.rng, u.password_hash,
	                   sizeof u.password_hash) == PASSWORD_OK &&
	         store_user_put(w.state.db, &u) == STORE_OK,
	     "add " FUZZ_USERNAME);
	memcpy(password_hash_of_user, u.password_hash, sizeof password_hash_of_user);
	fixtures();

	snprintf(claims, sizeof claims,
	         "{\"iss\":\"%s\",\"aud\":\"%s\",\"sub\":\"" FUZZ_USER_ID "\",\"client_id\":\"" FUZZ_PUBLIC
	         "\",\"scope\":\"openid profile email\",\"auth_time\":%lld,\"iat\":%lld,\"exp\":4102444800,"
	         "\"jti\":\"fuzz-access-1\"}",
	         cfg.issuer, cfg.issuer, (long long)(now - 60), (long long)now);
	sign_in_client(&web, 1);
	must(keyring_sign(the_app->keys, "ES256", &w.state.rng, now, "{\"typ\":\"at+jwt\"}", claims,
	                  strlen(claims), &access_token) == JOSE_OK &&
	         idtoken_sign(&w.state, &it, now, &id_token) == JOSE_OK,
	     "sign the marker tokens");
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");
	char err[512];

	(void)argc, (void)argv;
	verbose = getenv("FUZZ_VERBOSE") && *getenv("FUZZ_VERBOSE") == '1';
	if (!(tmp && *tmp && strlen(tmp) < 32))
		tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	snprintf(dir, sizeof dir, "%s/fuzz-router-XXXXXX", tmp);
	if (!mkdtemp(dir)) {
		perror("fuzz_router: mkdtemp");
		abort();
	}
	snprintf(db, sizeof db, "%s/identity.db", dir);
	strcpy(cfg.host, "127.0.0.1");
	cfg.port = 8080;
	cfg.threads = 1;
	cfg.workers = 1;
	cfg.issuer = "http://127.0.0.1:8080";
	cfg.db = db;
	cfg.db_pool = 2; /* store calls of the handlers go through two workers, as in `serve` */
	cfg.token_ttl = 900;
	cfg.alg = "ES256";
	cfg.legacy_secret = FUZZ_LEGACY;
	cfg.browser_ui_secret = FUZZ_BROWSER_SECRET;
	cfg.access_log = 0;
	cfg.account_json_api = 1; /* /auth/login and /users/me are fuzzed too */
	/* Mail on (to a port nobody listens on: no sender runs here, mails stay in the
	 * outbox) and registration open, so /forgot, /reset, /verify-email and
	 * /register are fuzzed too, under the default password rules without a list. */
	must(mail_config_read(&(struct mail_settings){.smtp_url = "smtp+insecure://127.0.0.1:9",
	                                              .mail_from = "fuzz@issuer.test",
	                                              .issuer = cfg.issuer},
	                      &fuzz_mail, mail_why, sizeof mail_why) == 1,
	     "mail settings");
	cfg.mail = &fuzz_mail;
	cfg.registration = 1;
	cfg.registration_verified = 1;
	policy_default(&fuzz_policy);
	cfg.policy = &fuzz_policy;
	/* As cli_serve.c's sign_in_defaults, but: the smallest argon2id argon2 accepts (a
	 * login per input must stay cheap), and limits an input can reach (a lockout after
	 * 3 failures, 429 after 5 failures from one address), since every count starts
	 * afresh with each input. */
	cfg.argon2 = (struct password_params){.m_kib = 8, .t = 1, .p = 1};
	cfg.session_ttl = 12 * 3600;
	cfg.code_ttl = 60;
	cfg.flow_ttl = 30 * 60;
	cfg.refresh_ttl = 30 * 86400;
	cfg.lockout_threshold = 3;
	cfg.lockout_seconds = 15 * 60;
	cfg.limits.max_failures[RATELIMIT_LOGIN] = 5;
	cfg.limits.window[RATELIMIT_LOGIN] = 15 * 60;
	cfg.limits.max_failures[RATELIMIT_CLIENT_AUTH] = 5;
	cfg.limits.window[RATELIMIT_CLIENT_AUTH] = 15 * 60;
	/* HTTP/2 without TLS is off in `serve` unless HTTP2_CLEARTEXT=on; on here, so that
	 * the HTTP/2 seeds (prior knowledge, h2c) keep reaching the handlers. */
	cfg.http2_cleartext = 1;
	fuzz_routes.find = routes_find;
	fuzz_routes.uses_store = routes_uses_store;
	fuzz_routes.run = routes_run;
	fuzz_routes.names = routes_names(&fuzz_routes.n);
	if (!(the_app = app_start(&cfg, fuzz_routes.names, fuzz_routes.n, err, sizeof err)) ||
	    app_thread_init(&w.state, the_app, 0, err, sizeof err)) {
		fprintf(stderr, "fuzz_router: cannot start the app: %s\n", err);
		abort();
	}
	atexit(cleanup);
	register_client();
	signal(SIGPIPE, SIG_IGN);

	static_init(NULL, NULL,
	            NULL); /* /demo/, /inspect/: www/ is found from the binary's folder, as for `serve` */
	build_config(&cfg, &fuzz_routes);
	/* build_config made one public host, one path "/", one handler: wrap that handler. */
	public_hosts[0]->paths.entries[0].handlers.entries[0]->on_req = fuzz_on_req;
	h2o_context_init(&w.ctx, h2o_evloop_create(), &config);
	w.pub.accept.ctx = &w.ctx;
	w.pub.accept.hosts = public_hosts;
	/* As run_loop: this loop's end of the password pool, so /login really runs. */
	if (!(w.state.jobs = pool_receiver_new(the_app->workers, w.ctx.loop)) ||
	    !(w.state.home = dbpool_home_new(w.ctx.loop))) {
		fprintf(stderr, "fuzz_router: cannot attach to the pool\n");
		abort();
	}
	sign_in_setup();
	return 0;
}

static int64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int connections_open(void)
{
	return !h2o_linklist_is_empty(&w.ctx.http1._conns) || !h2o_linklist_is_empty(&w.ctx.http2._conns);
}

/* The status of the first response on the wire, or 0 when there is none to read. */
static int first_status(const char *r, size_t n)
{
	if (n < 12 || memcmp(r, "HTTP/1.", 7) != 0 || r[8] != ' ')
		return 0;
	if (r[9] < '0' || r[9] > '9' || r[10] < '0' || r[10] > '9' || r[11] < '0' || r[11] > '9')
		return 0;
	return (r[9] - '0') * 100 + (r[10] - '0') * 10 + (r[11] - '0');
}

static int b64url_or_dot(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
	       c == '_' || c == '.';
}

/* Sign in place every ".@@…@" (FUZZ_SIG_LEN '@', no more) of buf[0..n) (see the header). */
static void sign_markers(char *buf, size_t n)
{
	for (size_t i = 1; i + FUZZ_SIG_LEN <= n; i++) {
		size_t start = i - 1, k = 0;
		uint8_t mac[WC_SHA256_DIGEST_SIZE];
		char sig[FUZZ_SIG_LEN + 1];
		Hmac h;
		int ok;

		if (buf[i - 1] != '.' || buf[i] != '@')
			continue;
		while (k < FUZZ_SIG_LEN && buf[i + k] == '@')
			k++;
		if (k < FUZZ_SIG_LEN || (i + k < n && buf[i + k] == '@'))
			continue;
		while (start > 0 && b64url_or_dot(buf[start - 1]))
			start--;
		ok = wc_HmacInit(&h, NULL, INVALID_DEVID) == 0;
		ok = ok &&
		     wc_HmacSetKey(&h, WC_SHA256, (const byte *)FUZZ_LEGACY, (word32)strlen(FUZZ_LEGACY)) ==
		         0 &&
		     wc_HmacUpdate(&h, (const byte *)buf + start, (word32)(i - 1 - start)) == 0 &&
		     wc_HmacFinal(&h, mac) == 0;
		wc_HmacFree(&h);
		FUZZ_CHECK(ok && jose_b64url_encode(sig, sizeof sig, mac, sizeof mac) == FUZZ_SIG_LEN,
		           "HMAC");
		memcpy(buf + i, sig, FUZZ_SIG_LEN);
		i += FUZZ_SIG_LEN - 1;
	}
}

/* data[0..size) with "$AT$" and "$IDT$" replaced by their tokens, malloc'd, its length in *n. */
static char *expand_tokens(const uint8_t *data, size_t size, size_t *n)
{
	size_t at = strlen(access_token), idt = strlen(id_token), cap = 0, o = 0;
	char *out;

	for (size_t i = 0; i < size; i++) /* a bound: every '$' could start a token */
		cap += data[i] == '$' ? (at > idt ? at : idt) : 1;
	if (!(out = malloc(cap ? cap : 1)))
		return NULL;
	for (size_t i = 0; i < size;) {
		if (size - i >= 4 && memcmp(data + i, "$AT$", 4) == 0) {
			memcpy(out + o, access_token, at), o += at, i += 4;
		} else if (size - i >= 5 && memcmp(data + i, "$IDT$", 5) == 0) {
			memcpy(out + o, id_token, idt), o += idt, i += 5;
		} else
			out[o++] = (char)data[i++];
	}
	*n = o;
	return out;
}

/* Run the loop until H2O closed every connection and every request and pool job ended
 * (the done of a job whose request left still runs here, not in the next input). */
static void settle(void)
{
	int64_t until = now_ms() + FUZZ_JOB_MS;

	for (int i = 0; i < 100 && connections_open(); i++)
		h2o_evloop_run(w.ctx.loop, 1);
	while ((pending > 0 || pool_depth(the_app->workers) > 0 || dbpool_depth(the_app->db) > 0) &&
	       now_ms() < until)
		h2o_evloop_run(w.ctx.loop, 1);
	FUZZ_CHECK(pending == 0 && pool_depth(the_app->workers) == 0 && dbpool_depth(the_app->db) == 0,
	           "%d request(s) answered later still open after %d ms", pending, FUZZ_JOB_MS);
	/* A job's message is sent before the pool counts it finished: it is readable now. */
	h2o_evloop_run(w.ctx.loop, 0);
	h2o_evloop_run(w.ctx.loop, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char resp[FUZZ_RESP_MAX], drop[4096];
	size_t sent = 0, got = 0;
	int sv[2], eof = 0, status;
	int64_t deadline, hard;
	h2o_socket_t *sock;
	struct sockaddr_in peer = {.sin_family = AF_INET, .sin_port = htons(40000)};
	char *in = expand_tokens(data, size, &size);

	if (!in)
		return 0;
	sign_markers(in, size);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
		perror("fuzz_router: socketpair");
		abort();
	}
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	sock = h2o_evloop_socket_create(w.ctx.loop, sv[0], H2O_SOCKET_FLAG_IS_ACCEPTED_CONNECTION);
	peer.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	h2o_socket_setpeername(sock, (struct sockaddr *)&peer, sizeof peer);
	h2o_accept(&w.pub.accept, sock);

	deadline = now_ms() + FUZZ_DEADLINE_MS;
	hard = now_ms() + FUZZ_JOB_MS;
	while (!eof && (now_ms() < deadline || (pending > 0 && now_ms() < hard))) {
		if (sent < size) {
			ssize_t k = write(sv[1], in + sent, size - sent);
			if (k > 0)
				sent += (size_t)k;
			else if (k < 0 && errno != EAGAIN)
				sent = size; /* the server closed early: nothing more to say */
			if (sent == size)
				shutdown(sv[1], SHUT_WR);
		} else if (size == 0 && sent == 0) {
			shutdown(sv[1], SHUT_WR);
			sent = 1;
		}
		h2o_evloop_run(w.ctx.loop, 1);
		for (;;) {
			char *to = got < sizeof resp ? resp + got : drop;
			size_t room = got < sizeof resp ? sizeof resp - got : sizeof drop;
			ssize_t k = read(sv[1], to, room);
			if (k > 0) {
				if (got < sizeof resp)
					got += (size_t)k;
				continue;
			}
			if (k == 0 || (k < 0 && errno != EAGAIN))
				eof = 1;
			break;
		}
	}
	close(sv[1]);
	free(in);
	/* Let H2O see the close and free the connection, and the pool finish, before the next input. */
	settle();

	/* Inputs must not depend on each other: undo what this one changed. */
	if (dirty)
		fixtures();
	dirty = 0;

	status = first_status(resp, got);
	if (verbose) {
		const char *cr = memchr(resp, '\r', got);
		fprintf(stderr, "fuzz_router: wire: %.*s\n", (int)(cr ? (size_t)(cr - resp) : got), resp);
	}
	FUZZ_CHECK(status < 500, "the first response on the wire is %d", status);
	return 0;
}
