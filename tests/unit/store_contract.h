/*
 * store_contract.h: the storage seam's contract, as one suite that runs against
 * any backend of struct store_ops. A backend's test file includes its .c files
 * and tests/test.h, then this header, fills a struct store_contract and calls
 * contract_run(). The suite checks every operation's answers and refusals, rows
 * too big for their structs (CORRUPT, never cut), cascades, transactions, and
 * single use under real concurrency: codes, login flows and refresh rotations
 * raced by threads with their own connections and by processes (RFC 6749 §4.1.2:
 * a code is used once; RFC 9700 §4.14.2: a replayed refresh token revokes its
 * family), failed logins counted with none lost.
 *
 * Its SQL (to count rows, or to write a row behind the store's back) is portable:
 * the same statements run on every backend, so the backends' schemas share
 * their table and column names.
 */
#ifndef TESTS_STORE_CONTRACT_H
#define TESTS_STORE_CONTRACT_H

#include <pthread.h>
#include <stdarg.h>
#include <sys/wait.h>
#include <unistd.h>

#define NOW     1700000000
#define NTHREAD 8
#define NCODE   200
#define NPROC   4
#define NPCODE  100

/* What the suite needs from a backend's test file. */
struct store_contract {
	const struct store_ops *ops;
	/* Make a new, empty store named name and write its `where` (for ops->open)
	 * into where[n]; 0 on success. */
	int (*fresh)(const char *name, char *where, size_t n);
	/* One integer from a query on s's own connection; -1 on failure. */
	int64_t (*count)(store *s, const char *sql);
	/* Run a statement on s's own connection; 0 on success. */
	int (*exec)(store *s, const char *sql);
	/* 1 when s holds this program's schema, made once (no duplicate objects). */
	int (*schema_once)(store *s);
};

static const struct store_contract *SC;
static char ops_where[512];  /* the store the operation tests share */
static char race_where[512]; /* the store the races share */

static int64_t q_int(store *s, const char *sql)
{
	return SC->count(s, sql);
}

static int q_exec(store *s, const char *sql)
{
	return SC->exec(s, sql);
}

/* q_exec of a formatted statement (at most 8 KB). */
static int q_execf(store *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int q_execf(store *s, const char *fmt, ...)
{
	char sql[8192];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(sql, sizeof sql, fmt, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= sizeof sql ? -1 : SC->exec(s, sql);
}

/* n 'x' characters (n < 4096), for values too long for their field. */
static const char *xs(size_t n)
{
	static char buf[4096];

	if (n >= sizeof buf)
		n = sizeof buf - 1;
	memset(buf, 'x', n);
	buf[n] = '\0';
	return buf;
}

static store *copen(const char *where, char *err, size_t n)
{
	return SC->ops->open(where, err, n);
}

static struct store_client client(const char *id, int is_public)
{
	struct store_client c;

	memset(&c, 0, sizeof c);
	snprintf(c.id, sizeof c.id, "%s", id);
	if (!is_public) {
		memset(c.secret_hash, 0xab, 32);
		c.secret_hash_len = 32;
		memset(c.secret_salt, 0x5a, 16);
		c.secret_salt_len = 16;
	}
	c.is_public = is_public;
	c.needs_consent = is_public;
	snprintf(c.grants, sizeof c.grants, "client_credentials\nauthorization_code");
	snprintf(c.redirect_uris, sizeof c.redirect_uris, "https://app.example/cb\nhttp://127.0.0.1:9000/cb");
	snprintf(c.audiences, sizeof c.audiences, "api://orders\napi://billing");
	snprintf(c.scope, sizeof c.scope, "openid profile email offline_access");
	snprintf(c.subjects, sizeof c.subjects, "svc-a\nsvc-b");
	snprintf(c.post_logout_uris, sizeof c.post_logout_uris,
	         "https://app.example/bye\nhttps://app.example/");
	snprintf(c.id_token_alg, sizeof c.id_token_alg, "%s", is_public ? "" : "EdDSA");
	c.created_at = NOW;
	snprintf(c.name, sizeof c.name, "%s", is_public ? "" : "Orders \"Admin\" <Ünïcode>");
	snprintf(c.logo_uri, sizeof c.logo_uri, "%s", is_public ? "" : "https://app.example/logo.png");
	return c;
}

static int client_eq(const struct store_client *a, const struct store_client *b)
{
	return !strcmp(a->id, b->id) && a->secret_hash_len == b->secret_hash_len &&
	       !memcmp(a->secret_hash, b->secret_hash, a->secret_hash_len) &&
	       a->secret_salt_len == b->secret_salt_len &&
	       !memcmp(a->secret_salt, b->secret_salt, a->secret_salt_len) && a->is_public == b->is_public &&
	       a->needs_consent == b->needs_consent && !strcmp(a->grants, b->grants) &&
	       !strcmp(a->redirect_uris, b->redirect_uris) && !strcmp(a->audiences, b->audiences) &&
	       !strcmp(a->scope, b->scope) && !strcmp(a->subjects, b->subjects) &&
	       !strcmp(a->post_logout_uris, b->post_logout_uris) &&
	       !strcmp(a->id_token_alg, b->id_token_alg) && a->created_at == b->created_at &&
	       !strcmp(a->name, b->name) && !strcmp(a->logo_uri, b->logo_uri) &&
	       a->prev_hash_len == b->prev_hash_len &&
	       !memcmp(a->prev_hash, b->prev_hash, a->prev_hash_len) &&
	       a->prev_salt_len == b->prev_salt_len &&
	       !memcmp(a->prev_salt, b->prev_salt, a->prev_salt_len) && a->prev_until == b->prev_until;
}

static struct store_code code(unsigned n, const char *client_id, int64_t expires_at)
{
	struct store_code c;

	memset(&c, 0, sizeof c);
	memset(c.code_hash, 0xc0, 32);
	c.code_hash[0] = (uint8_t)(n >> 8);
	c.code_hash[1] = (uint8_t)n;
	c.code_hash_len = 32;
	snprintf(c.client_id, sizeof c.client_id, "%s", client_id);
	snprintf(c.user_id, sizeof c.user_id, "user-1");
	snprintf(c.redirect_uri, sizeof c.redirect_uri, "https://app.example/cb");
	snprintf(c.scope, sizeof c.scope, "openid email");
	snprintf(c.nonce, sizeof c.nonce, "n-0S6_WzA2Mj");
	snprintf(c.code_challenge, sizeof c.code_challenge, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
	snprintf(c.code_challenge_method, sizeof c.code_challenge_method, "S256");
	c.auth_time = NOW - 5;
	c.expires_at = expires_at;
	memset(c.session_hash, 0x5e, 32);
	c.session_hash[0] = (uint8_t)n;
	c.session_hash_len = 32;
	snprintf(c.amr, sizeof c.amr, "pwd otp mfa");
	return c;
}

static int code_eq(const struct store_code *a, const struct store_code *b)
{
	return a->code_hash_len == b->code_hash_len &&
	       !memcmp(a->code_hash, b->code_hash, a->code_hash_len) && !strcmp(a->client_id, b->client_id) &&
	       !strcmp(a->user_id, b->user_id) && !strcmp(a->redirect_uri, b->redirect_uri) &&
	       !strcmp(a->scope, b->scope) && !strcmp(a->nonce, b->nonce) &&
	       !strcmp(a->code_challenge, b->code_challenge) &&
	       !strcmp(a->code_challenge_method, b->code_challenge_method) && a->auth_time == b->auth_time &&
	       a->expires_at == b->expires_at && a->session_hash_len == b->session_hash_len &&
	       !memcmp(a->session_hash, b->session_hash, a->session_hash_len) && !strcmp(a->amr, b->amr);
}

static struct store_key key(const char *kid, int64_t created)
{
	struct store_key k;

	memset(&k, 0, sizeof k);
	snprintf(k.kid, sizeof k.kid, "%s", kid);
	snprintf(k.alg, sizeof k.alg, "ES256");
	for (size_t i = 0; i < 121; i++)
		k.private_der[i] = (uint8_t)(i * 7 + created);
	k.private_der_len = 121;
	k.created_at = created;
	k.not_before = created + 3600;
	return k;
}

struct collect {
	int n;
	char ids[8][STORE_ID_MAX + 1];
	struct store_key keys[4];
};

static int collect_client(void *ctx, const struct store_client *c)
{
	struct collect *col = ctx;

	if (col->n < 8)
		snprintf(col->ids[col->n], sizeof col->ids[0], "%s", c->id);
	col->n++;
	return 0;
}

static int collect_key(void *ctx, const struct store_key *k)
{
	struct collect *col = ctx;

	if (col->n < 4)
		col->keys[col->n] = *k;
	col->n++;
	return 0;
}

static int stop_at_first(void *ctx, const struct store_client *c)
{
	(void)c;
	++*(int *)ctx;
	return 1;
}

static void test_clients(store *s)
{
	struct store_client a = client("client-b", 0), b = client("client-a", 1), got, bad;
	struct collect col = {0};
	char longid[STORE_ID_MAX + 2];
	int n = 0;

	T_CHECK(store_client_put(s, &a) == STORE_OK, "confidential client put");
	T_CHECK(store_client_put(s, &b) == STORE_OK, "public client put");
	T_CHECK(store_client_get(s, "client-b", &got) == STORE_OK && client_eq(&a, &got),
	        "confidential client round-trips every field (post-logout URIs and ID token alg too)");
	T_CHECK(store_client_get(s, "client-a", &got) == STORE_OK && client_eq(&b, &got) && got.is_public &&
	            got.secret_hash_len == 0,
	        "public client round-trips (no secret)");
	T_CHECK(store_client_get(s, "nobody", &got) == STORE_NOT_FOUND && got.id[0] == '\0' &&
	            got.created_at == 0,
	        "unknown client: NOT_FOUND, the output zeroed");
	T_CHECK(store_client_put(s, &a) == STORE_CONFLICT, "duplicate id: CONFLICT");
	T_CHECK(strstr(store_errmsg(s), "UNIQUE") || strstr(store_errmsg(s), "constraint"),
	        "errmsg says why: \"%s\"", store_errmsg(s));
	T_CHECK(store_client_list(s, collect_client, &col) == STORE_OK && col.n == 2 &&
	            !strcmp(col.ids[0], "client-a") && !strcmp(col.ids[1], "client-b"),
	        "list gives both, in id order");
	T_CHECK(store_client_list(s, stop_at_first, &n) == STORE_OK && n == 1,
	        "a callback can stop the list");
	T_CHECK(store_client_get(s, "client-a", &got) == STORE_OK,
	        "client-a again (a failed get zeroes its output)");
	T_CHECK(store_list_has(got.redirect_uris, "http://127.0.0.1:9000/cb") &&
	            store_list_has(got.redirect_uris, "https://app.example/cb") &&
	            !store_list_has(got.redirect_uris, "https://app.example/c") &&
	            !store_list_has(got.redirect_uris, "https://app.example/cb\nhttp://127.0.0.1:9000/cb") &&
	            !store_list_has("", ""),
	        "store_list_has matches whole items only");

	bad = client("x", 1);
	bad.secret_hash_len = 32;
	T_CHECK(store_client_put(s, &bad) == STORE_INVALID, "public client with a secret: INVALID");
	bad = client("x", 0);
	bad.secret_hash_len = 0;
	T_CHECK(store_client_put(s, &bad) == STORE_INVALID, "confidential client without a secret: INVALID");
	bad = client("x", 0);
	snprintf(bad.redirect_uris, sizeof bad.redirect_uris, "https://a/cb\n\nhttps://b/cb");
	T_CHECK(store_client_put(s, &bad) == STORE_INVALID, "list with an empty item: INVALID");
	snprintf(bad.redirect_uris, sizeof bad.redirect_uris, "https://a/cb\n");
	T_CHECK(store_client_put(s, &bad) == STORE_INVALID, "list with a trailing newline: INVALID");
	snprintf(bad.redirect_uris, sizeof bad.redirect_uris, "https://a/\tcb");
	T_CHECK(store_client_put(s, &bad) == STORE_INVALID, "list with a control character: INVALID");
	bad = client("x", 0);
	snprintf(bad.post_logout_uris, sizeof bad.post_logout_uris, "https://a/bye\n");
	T_CHECK(store_client_put(s, &bad) == STORE_INVALID,
	        "post-logout list with a trailing newline: INVALID");
	bad = client("x", 0);
	memset(bad.post_logout_uris, 'u', sizeof bad.post_logout_uris); /* not terminated */
	T_CHECK(store_client_put(s, &bad) == STORE_INVALID, "unterminated post-logout list: INVALID");
	{
		static const char *const algs[] = {"RS256", "PS256", "ES256", "EdDSA", ""};
		static const char *const bad_algs[] = {"none", "HS256", "rs256", "ES384", "EdDSA "};
		int ok = 1;

		for (size_t i = 0; i < sizeof algs / sizeof algs[0]; i++) {
			struct store_client one = client("alg-ok", 0);

			snprintf(one.id_token_alg, sizeof one.id_token_alg, "%s", algs[i]);
			ok &= store_client_put(s, &one) == STORE_OK &&
			      store_client_get(s, "alg-ok", &got) == STORE_OK &&
			      !strcmp(got.id_token_alg, algs[i]) &&
			      store_client_delete(s, "alg-ok") == STORE_OK;
		}
		T_CHECK(ok, "id_token_alg RS256, PS256, ES256, EdDSA and \"\" (RS256) round-trip");
		ok = 1;
		for (size_t i = 0; i < sizeof bad_algs / sizeof bad_algs[0]; i++) {
			bad = client("x", 0);
			snprintf(bad.id_token_alg, sizeof bad.id_token_alg, "%s", bad_algs[i]);
			ok &= store_client_put(s, &bad) == STORE_INVALID;
		}
		bad = client("x", 0);
		memset(bad.id_token_alg, 'E', sizeof bad.id_token_alg);
		ok &= store_client_put(s, &bad) == STORE_INVALID;
		T_CHECK(ok,
		        "id_token_alg none, HS256, rs256, ES384, a trailing space, unterminated: INVALID");
	}
	bad = client("x", 0);
	memset(bad.id, 'i', sizeof bad.id); /* not terminated */
	T_CHECK(store_client_put(s, &bad) == STORE_INVALID, "unterminated id: INVALID");
	bad = client("", 0);
	T_CHECK(store_client_put(s, &bad) == STORE_INVALID, "empty id: INVALID");
	memset(longid, 'i', sizeof longid - 1);
	longid[sizeof longid - 1] = '\0';
	T_CHECK(store_client_get(s, longid, &got) == STORE_NOT_FOUND, "over-long id in a get: NOT_FOUND");

	/* A row too big for the struct (written by another tool) is CORRUPT, never cut. */
	T_CHECK(q_execf(s,
	                "INSERT INTO clients (id, is_public, created_at, scope) VALUES ('huge', 1, 0, '%s')",
	                xs(2000)) == 0,
	        "over-long scope inserted behind the store's back");
	T_CHECK(store_client_get(s, "huge", &got) == STORE_CORRUPT,
	        "over-long stored value: CORRUPT, not truncated");
	T_CHECK(store_client_delete(s, "huge") == STORE_OK, "delete it");
	T_CHECK(store_client_delete(s, "huge") == STORE_NOT_FOUND, "delete again: NOT_FOUND");
}

static void test_keys(store *s)
{
	struct store_key k1 = key("kid-old", 1000), k2 = key("kid-new", 3000), k3 = key("kid-mid", 2000), bad;
	struct collect col = {0};

	T_CHECK(store_key_put(s, &k1) == STORE_OK && store_key_put(s, &k2) == STORE_OK &&
	            store_key_put(s, &k3) == STORE_OK,
	        "three keys put");
	T_CHECK(store_key_put(s, &k1) == STORE_CONFLICT, "duplicate kid: CONFLICT");
	T_CHECK(store_key_list(s, NOW, collect_key, &col) == STORE_OK && col.n == 3 &&
	            !strcmp(col.keys[0].kid, "kid-new") && !strcmp(col.keys[1].kid, "kid-mid") &&
	            !strcmp(col.keys[2].kid, "kid-old"),
	        "key_list: newest created first");
	T_CHECK(col.keys[2].private_der_len == 121 && !memcmp(col.keys[2].private_der, k1.private_der, 121) &&
	            !strcmp(col.keys[2].alg, "ES256") && col.keys[2].not_before == 4600 &&
	            col.keys[2].retired_at == 0 && col.keys[2].expires_at == 0,
	        "key fields round-trip (DER bytes, alg, times; 0 = not set)");
	T_CHECK(store_key_retire(s, "kid-old", NOW, NOW + 600) == STORE_OK, "retire kid-old");
	T_CHECK(store_key_retire(s, "kid-old", NOW, NOW + 600) == STORE_CONFLICT,
	        "retire it again: CONFLICT");
	T_CHECK(store_key_retire(s, "kid-none", NOW, NOW + 600) == STORE_NOT_FOUND,
	        "retire unknown: NOT_FOUND");
	T_CHECK(store_key_retire(s, "kid-mid", NOW, NOW - 1) == STORE_INVALID,
	        "expiry before retirement: INVALID");
	col.n = 0;
	T_CHECK(store_key_list(s, NOW + 599, collect_key, &col) == STORE_OK && col.n == 3 &&
	            !strcmp(col.keys[2].kid, "kid-old") && col.keys[2].retired_at == NOW &&
	            col.keys[2].expires_at == NOW + 600,
	        "a retired key stays listed (published) until it expires");
	col.n = 0;
	T_CHECK(store_key_list(s, NOW + 600, collect_key, &col) == STORE_OK && col.n == 2 &&
	            !strcmp(col.keys[1].kid, "kid-mid"),
	        "from its expiry it is no longer listed");
	{
		struct collect c2 = {0};
		uint8_t der[200];

		memset(der, 0x5d, sizeof der);
		T_CHECK(store_key_set_private(s, "kid-mid", der, sizeof der) == STORE_OK &&
		            store_key_list(s, NOW, collect_key, &c2) == STORE_OK && c2.n == 3 &&
		            !strcmp(c2.keys[1].kid, "kid-mid") && c2.keys[1].private_der_len == sizeof der &&
		            !memcmp(c2.keys[1].private_der, der, sizeof der) && c2.keys[1].created_at == 2000,
		        "key_set_private replaces the private bytes, nothing else");
		T_CHECK(store_key_set_private(s, "kid-none", der, 10) == STORE_NOT_FOUND &&
		            store_key_set_private(s, "kid-mid", der, 0) == STORE_INVALID &&
		            store_key_set_private(s, "kid-mid", der, STORE_KEY_DER_MAX + 1) ==
		                STORE_INVALID &&
		            store_key_set_private(s, NULL, der, 10) == STORE_INVALID,
		        "key_set_private: unknown kid NOT_FOUND; empty, too long or NULL: INVALID");
	}
	T_CHECK(store_key_purge(s, NOW + 600) == STORE_OK &&
	            q_int(s, "SELECT count(*) FROM signing_keys WHERE kid = 'kid-old'") == 0 &&
	            q_int(s, "SELECT count(*) FROM signing_keys") == 2,
	        "purge deletes the expired key, private bytes and all");
	bad = key("kid-bad", 1);
	bad.private_der_len = 0;
	T_CHECK(store_key_put(s, &bad) == STORE_INVALID, "key without DER: INVALID");
	bad = key("kid-bad", 1);
	bad.expires_at = 5;
	T_CHECK(store_key_put(s, &bad) == STORE_INVALID, "expiry without retirement: INVALID");
}

static void test_revoke(store *s)
{
	int r = -1;

	T_CHECK(store_revoke_put(s, "jti-1", NOW + 60) == STORE_OK, "revoke jti-1 until now+60");
	T_CHECK(store_revoke_check(s, "jti-1", NOW, &r) == STORE_OK && r == 1, "revoked before its expiry");
	T_CHECK(store_revoke_check(s, "jti-1", NOW + 59, &r) == STORE_OK && r == 1,
	        "revoked a second before");
	T_CHECK(store_revoke_check(s, "jti-1", NOW + 60, &r) == STORE_OK && r == 0,
	        "no longer listed once the token itself has expired");
	T_CHECK(store_revoke_check(s, "jti-2", NOW, &r) == STORE_OK && r == 0,
	        "an unknown jti is not revoked");
	T_CHECK(store_revoke_put(s, "jti-1", NOW + 30) == STORE_OK &&
	            store_revoke_check(s, "jti-1", NOW + 45, &r) == STORE_OK && r == 1,
	        "revoking again is idempotent and never shortens the entry");
	T_CHECK(store_revoke_put(s, "jti-3", NOW + 10) == STORE_OK, "revoke jti-3 until now+10");
	T_CHECK(store_revoke_purge(s, NOW + 10) == STORE_OK &&
	            q_int(s, "SELECT count(*) FROM revoked_tokens") == 1 &&
	            store_revoke_check(s, "jti-1", NOW, &r) == STORE_OK && r == 1,
	        "purge removes only the expired entries");
	T_CHECK(store_revoke_purge(s, NOW + 60) == STORE_OK &&
	            q_int(s, "SELECT count(*) FROM revoked_tokens") == 0,
	        "purge at the last expiry empties the table");
	T_CHECK(store_revoke_put(s, "", NOW) == STORE_INVALID, "empty jti: INVALID");
	r = 0;
	T_CHECK(store_revoke_check(s, NULL, NOW, &r) == STORE_INVALID && r == 0, "NULL jti: INVALID");
}

static void test_codes(store *s)
{
	struct store_code c = code(1, "client-b", NOW + 60), got, c2;

	T_CHECK(q_exec(s, "INSERT INTO users (id, username, password_hash, created_at) VALUES "
	                  "('user-1', 'alice', '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA', 0)") == 0,
	        "user-1 inserted (user operations come with the login issue)");
	T_CHECK(store_code_put(s, &c) == STORE_OK, "code put");
	T_CHECK(store_code_put(s, &c) == STORE_CONFLICT, "same code hash again: CONFLICT");
	T_CHECK(store_code_take(s, c.code_hash, c.code_hash_len, NOW, &got) == STORE_OK && code_eq(&c, &got),
	        "take returns every bound field");
	T_CHECK(store_code_take(s, c.code_hash, c.code_hash_len, NOW, &got) == STORE_NOT_FOUND,
	        "code replay: the second take is NOT_FOUND (RFC 6749 §4.1.2)");
	c2 = code(2, "client-b", NOW + 60);
	T_CHECK(store_code_put(s, &c2) == STORE_OK &&
	            store_code_take(s, c2.code_hash, c2.code_hash_len, NOW + 60, &got) == STORE_NOT_FOUND &&
	            store_code_take(s, c2.code_hash, c2.code_hash_len, NOW + 59, &got) == STORE_OK,
	        "an expired code is NOT_FOUND and stays unused; before expiry it is taken");
	T_CHECK(store_code_take(s, c.code_hash, 31, NOW, &got) == STORE_NOT_FOUND, "unknown hash: NOT_FOUND");
	c2 = code(3, "no-such-client", NOW + 60);
	T_CHECK(store_code_put(s, &c2) == STORE_NOT_FOUND,
	        "code for an unknown client: NOT_FOUND (foreign key)");
	c2 = code(4, "client-b", NOW + 60);
	snprintf(c2.user_id, sizeof c2.user_id, "user-2");
	T_CHECK(store_code_put(s, &c2) == STORE_NOT_FOUND,
	        "code for an unknown user: NOT_FOUND (foreign key)");
	c2 = code(5, "client-b", NOW + 5);
	T_CHECK(store_code_put(s, &c2) == STORE_OK, "a fifth code put");
	c2 = code(6, "client-b", NOW + 600);
	T_CHECK(store_code_put(s, &c2) == STORE_OK, "a sixth code put");
	T_CHECK(store_code_purge(s, NOW + 10) == STORE_OK && q_int(s, "SELECT count(*) FROM auth_codes") == 1,
	        "purge removes used and expired codes");
	T_CHECK(store_code_take(s, c.code_hash, 0, NOW, &got) == STORE_INVALID, "empty hash: INVALID");
	T_CHECK(store_client_delete(s, "client-b") == STORE_OK &&
	            q_int(s, "SELECT count(*) FROM auth_codes") == 0,
	        "deleting a client deletes its codes");
}

/* ---- users, sessions, refresh tokens ---- */

static struct store_user user(const char *id, const char *name, const char *email)
{
	struct store_user u;

	memset(&u, 0, sizeof u);
	snprintf(u.id, sizeof u.id, "%s", id);
	snprintf(u.username, sizeof u.username, "%s", name);
	snprintf(u.email, sizeof u.email, "%s", email);
	snprintf(u.password_hash, sizeof u.password_hash,
	         "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$"
	         "aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g");
	u.created_at = NOW;
	if (email[0]) {
		snprintf(u.name, sizeof u.name, "Bob \"the\" Builder");
		snprintf(u.groups, sizeof u.groups, "admins\ndevelopers");
		u.email_verified = 1;
	}
	return u;
}

static int user_eq(const struct store_user *a, const struct store_user *b)
{
	return !strcmp(a->id, b->id) && !strcmp(a->username, b->username) && !strcmp(a->email, b->email) &&
	       !strcmp(a->password_hash, b->password_hash) && a->created_at == b->created_at &&
	       !strcmp(a->name, b->name) && a->email_verified == b->email_verified &&
	       a->disabled == b->disabled && !strcmp(a->groups, b->groups);
}

static int collect_user(void *ctx, const struct store_user *u)
{
	struct collect *col = ctx;

	if (col->n < 8)
		snprintf(col->ids[col->n], sizeof col->ids[0], "%s", u->username);
	col->n++;
	return 0;
}

static int stop_user(void *ctx, const struct store_user *u)
{
	(void)u;
	++*(int *)ctx;
	return 1;
}

static struct store_session session(unsigned n, const char *user_id, int64_t expires_at)
{
	struct store_session se;

	memset(&se, 0, sizeof se);
	memset(se.id_hash, 0x5e, 32);
	se.id_hash[0] = (uint8_t)n;
	se.id_hash_len = 32;
	snprintf(se.user_id, sizeof se.user_id, "%s", user_id);
	se.auth_time = NOW - 10;
	se.expires_at = expires_at;
	snprintf(se.amr, sizeof se.amr, "pwd");
	return se;
}

static struct store_refresh refresh(unsigned n, const char *family, const char *client_id,
                                    const char *user_id, int64_t expires_at)
{
	struct store_refresh r;

	memset(&r, 0, sizeof r);
	memset(r.hash, 0x7f, 32);
	r.hash[0] = (uint8_t)(n >> 8);
	r.hash[1] = (uint8_t)n;
	r.hash_len = 32;
	snprintf(r.family_id, sizeof r.family_id, "%s", family);
	snprintf(r.client_id, sizeof r.client_id, "%s", client_id);
	snprintf(r.user_id, sizeof r.user_id, "%s", user_id);
	snprintf(r.scope, sizeof r.scope, "openid profile offline_access");
	r.auth_time = NOW - 100;
	r.created_at = NOW;
	r.expires_at = expires_at;
	snprintf(r.amr, sizeof r.amr, "hwk");
	return r;
}

static int refresh_eq(const struct store_refresh *a, const struct store_refresh *b)
{
	return a->hash_len == b->hash_len && !memcmp(a->hash, b->hash, a->hash_len) &&
	       !strcmp(a->family_id, b->family_id) && !strcmp(a->client_id, b->client_id) &&
	       !strcmp(a->user_id, b->user_id) && !strcmp(a->scope, b->scope) &&
	       a->auth_time == b->auth_time && a->created_at == b->created_at &&
	       a->expires_at == b->expires_at && a->session_hash_len == b->session_hash_len &&
	       !memcmp(a->session_hash, b->session_hash, a->session_hash_len) && !strcmp(a->amr, b->amr);
}

/* The successor a client presents: only hash, client, times. */
static struct store_refresh next_token(unsigned n, const char *client_id, int64_t expires_at)
{
	struct store_refresh r;

	memset(&r, 0, sizeof r);
	memset(r.hash, 0x3c, 32);
	r.hash[0] = (uint8_t)(n >> 8);
	r.hash[1] = (uint8_t)n;
	r.hash_len = 32;
	snprintf(r.client_id, sizeof r.client_id, "%s", client_id);
	r.created_at = NOW + 1;
	r.expires_at = expires_at;
	return r;
}

/* Every member of the backend's table is filled: a missing one would crash a handler. */
static void test_ops_table(const struct store_ops *o)
{

	T_CHECK(o->open && o->close && o->errmsg && o->client_put && o->client_get && o->client_list &&
	            o->client_delete && o->key_put && o->key_list && o->key_retire && o->key_purge &&
	            o->key_set_private && o->revoke_put && o->revoke_check && o->revoke_purge &&
	            o->code_put && o->code_take && o->code_purge && o->user_put && o->user_get &&
	            o->user_get_by_name && o->user_list && o->user_delete && o->login_admit &&
	            o->login_failed && o->login_clear && o->login_unlock && o->login_get && o->login_purge &&
	            o->user_set_password && o->user_update && o->user_end_sessions && o->client_update &&
	            o->user_get_by_email && o->link_put && o->link_get && o->link_take && o->link_end &&
	            o->link_count && o->link_purge && o->session_put && o->session_get && o->session_delete &&
	            o->session_purge && o->refresh_put && o->refresh_get && o->refresh_rotate &&
	            o->refresh_revoke_family && o->refresh_revoke_session && o->refresh_purge &&
	            o->flow_put && o->flow_get && o->flow_set_user && o->flow_take && o->flow_purge &&
	            o->consent_put && o->consent_get && o->tx_begin && o->tx_end && o->ping && o->backup &&
	            o->name && o->raw_each && o->raw_put && o->outbox_put && o->outbox_claim &&
	            o->outbox_done && o->outbox_retry && o->outbox_get && o->outbox_count &&
	            o->outbox_purge && o->session_list && o->factor_put && o->factor_list &&
	            o->factor_by_cred && o->factor_use && o->factor_swap && o->factor_delete &&
	            o->factor_clear && o->challenge_put && o->challenge_take && o->challenge_purge,
	        "the %s backend fills every member of struct store_ops", o->name);
}

static void test_users(store *s)
{
	struct store_user a = user("u-b", "bob", "bob@example.com"), b = user("u-a", "Zed.Z", ""), got, bad;
	struct collect col = {0};
	int n = 0;

	T_CHECK(store_user_put(s, &a) == STORE_OK && store_user_put(s, &b) == STORE_OK, "two users put");
	T_CHECK(store_user_get(s, "u-b", &got) == STORE_OK && user_eq(&a, &got),
	        "user_get: every field round-trips");
	T_CHECK(store_user_get(s, "u-a", &got) == STORE_OK && user_eq(&b, &got) && got.email[0] == '\0' &&
	            q_int(s, "SELECT count(*) FROM users WHERE id = 'u-a' AND email IS NULL") == 1,
	        "no email: stored as NULL, read back as \"\"");
	T_CHECK(store_user_get_by_name(s, "bob", &got) == STORE_OK && user_eq(&a, &got), "user_get_by_name");
	T_CHECK(store_user_get_by_name(s, "BoB", &got) == STORE_OK && !strcmp(got.id, "u-b") &&
	            store_user_get_by_name(s, "zed.z", &got) == STORE_OK && !strcmp(got.username, "Zed.Z"),
	        "usernames match in any ASCII case; the stored spelling comes back");
	T_CHECK(store_user_get_by_name(s, "bobby", &got) == STORE_NOT_FOUND && got.id[0] == '\0' &&
	            store_user_get(s, "bob", &got) == STORE_NOT_FOUND,
	        "unknown username, or a username given as id: NOT_FOUND (output zeroed)");
	bad = user("u-c", "BOB", "");
	T_CHECK(store_user_put(s, &bad) == STORE_CONFLICT, "username taken in another case: CONFLICT");
	bad = user("u-b", "carol", "");
	T_CHECK(store_user_put(s, &bad) == STORE_CONFLICT, "id taken: CONFLICT");
	T_CHECK(store_user_list(s, collect_user, &col) == STORE_OK && col.n == 3 &&
	            !strcmp(col.ids[0], "alice") && !strcmp(col.ids[1], "bob") &&
	            !strcmp(col.ids[2], "Zed.Z"),
	        "user_list: every user, in username order regardless of case");
	T_CHECK(store_user_list(s, stop_user, &n) == STORE_OK && n == 1, "a callback can stop the list");
	T_CHECK(store_user_list(s, NULL, NULL) == STORE_INVALID, "NULL callback: INVALID");

	bad = user("", "x", "");
	T_CHECK(store_user_put(s, &bad) == STORE_INVALID, "empty id: INVALID");
	bad = user("u-x", "", "");
	T_CHECK(store_user_put(s, &bad) == STORE_INVALID, "empty username: INVALID");
	bad = user("u-x", "x", "");
	bad.password_hash[0] = '\0';
	T_CHECK(store_user_put(s, &bad) == STORE_INVALID, "empty password hash: INVALID");
	bad = user("u-x", "x", "");
	memset(bad.username, 'u', sizeof bad.username);
	T_CHECK(store_user_put(s, &bad) == STORE_INVALID, "unterminated username: INVALID");
	T_CHECK(store_user_put(s, NULL) == STORE_INVALID, "NULL user: INVALID");
	T_CHECK(store_user_get(s, NULL, &got) == STORE_INVALID &&
	            store_user_get_by_name(s, "bob", NULL) == STORE_INVALID,
	        "NULL arguments to the gets: INVALID");

	T_CHECK(store_user_set_password(s, "u-a", "$argon2id$v=19$m=65536,t=3,p=1$bmV3c2FsdA$bmV3aGFzaA") ==
	                STORE_OK &&
	            store_user_get(s, "u-a", &got) == STORE_OK &&
	            !strcmp(got.password_hash, "$argon2id$v=19$m=65536,t=3,p=1$bmV3c2FsdA$bmV3aGFzaA"),
	        "set_password replaces the hash");
	T_CHECK(store_user_set_password(s, "nobody", "x") == STORE_NOT_FOUND &&
	            store_user_set_password(s, "u-a", "") == STORE_INVALID,
	        "set_password: unknown id NOT_FOUND, empty hash INVALID");

	/* A row too big for the struct (written by another tool) is CORRUPT, never cut. */
	T_CHECK(q_execf(s,
	                "INSERT INTO users (id, username, password_hash, created_at) VALUES "
	                "('u-huge', '%s', 'h', 0)",
	                xs(100)) == 0 &&
	            store_user_get(s, "u-huge", &got) == STORE_CORRUPT,
	        "over-long stored username: CORRUPT");
	T_CHECK(q_exec(s, "UPDATE users SET username = 'huge' WHERE id = 'u-huge'") == SQLITE_OK,
	        "a username that fits again");
	T_CHECK(store_user_delete(s, "HUGE") == STORE_OK && store_user_delete(s, "huge") == STORE_NOT_FOUND,
	        "delete by username in any case; again: NOT_FOUND");
	T_CHECK(store_user_delete(s, NULL) == STORE_INVALID, "delete NULL: INVALID");
}

/* admit n attempts of name at now; how many were admitted. */
static int admit_n(store *s, const char *name, int64_t now, int threshold, int n, int *started)
{
	int admitted, got = 0, st;
	int64_t until;

	*started = 0;
	for (int i = 0; i < n; i++) {
		if (store_login_admit(s, name, now, threshold, 60, &admitted, &until, &st) != STORE_OK)
			return -1;
		got += admitted;
		*started += st;
	}
	return got;
}

/* Sign-in attempts: counted when submitted, per username in any case, known or not. */
static void test_logins(store *s)
{
	struct store_login g;
	int admitted = 0, started = 0;
	int64_t until = 0;

	T_CHECK(
	    admit_n(s, "Bob", NOW, 3, 3, &started) == 3 && started == 0 &&
	        store_login_get(s, "bob", &g) == STORE_OK && g.attempts == 3 && g.since == NOW &&
	        g.locked_until == 0,
	    "threshold 3: three attempts admitted at once, counted for the name in any case, no lock yet");
	T_CHECK(store_login_admit(s, "BOB", NOW + 1, 3, 60, &admitted, &until, &started) == STORE_OK &&
	            !admitted && started == 1 && until == NOW + 61,
	        "the fourth is refused and starts a lock of one period");
	T_CHECK(admit_n(s, "bob", NOW + 2, 3, 5, &started) == 0 && started == 0 &&
	            store_login_get(s, "bob", &g) == STORE_OK && g.locked_until == NOW + 61 &&
	            g.attempts == 3,
	        "attempts during the lock are refused; they neither count nor extend it");
	T_CHECK(store_login_failed(s, "bob", NOW + 3, 3, 60, &until) == STORE_OK && until == 0,
	        "a failure returning during the lock starts nothing");
	T_CHECK(store_login_clear(s, "bob", NOW + 30) == STORE_CONFLICT &&
	            store_login_get(s, "bob", &g) == STORE_OK && g.locked_until == NOW + 61,
	        "a correct password checked meanwhile does not end the lock (CONFLICT)");
	T_CHECK(store_login_admit(s, "bob", NOW + 61, 3, 60, &admitted, &until, &started) == STORE_OK &&
	            admitted && !started && store_login_get(s, "bob", &g) == STORE_OK && g.attempts == 1 &&
	            g.locked_until == 0 && g.since == NOW + 61,
	        "after the lock, the count starts again: one typo does not lock again");
	T_CHECK(admit_n(s, "bob", NOW + 62, 3, 1, &started) == 1 &&
	            store_login_failed(s, "bob", NOW + 62, 3, 60, &until) == STORE_OK && until == 0 &&
	            admit_n(s, "bob", NOW + 63, 3, 1, &started) == 1 &&
	            store_login_failed(s, "bob", NOW + 64, 3, 60, &until) == STORE_OK && until == NOW + 124 &&
	            store_login_failed(s, "bob", NOW + 65, 3, 60, &until) == STORE_OK && until == 0,
	        "a failed check with the threshold on record starts the lock, once");
	T_CHECK(store_login_admit(s, "bob", NOW + 124, 3, 60, &admitted, &until, &started) == STORE_OK &&
	            admitted && store_login_clear(s, "bob", NOW + 125) == STORE_OK &&
	            store_login_get(s, "bob", &g) == STORE_NOT_FOUND,
	        "a success without a lock in force forgets the count");
	T_CHECK(admit_n(s, "carol", NOW, 3, 3, &started) == 3 &&
	            admit_n(s, "carol", NOW + 60, 3, 3, &started) == 3,
	        "a count older than the period starts again");
	T_CHECK(admit_n(s, "dave", NOW, 0, 50, &started) == 50 &&
	            store_login_get(s, "dave", &g) == STORE_NOT_FOUND,
	        "threshold 0: everything admitted, nothing written");
	T_CHECK(admit_n(s, "erin", NOW, 1, 2, &started) == 1 && started == 1 &&
	            store_login_unlock(s, "erin") == STORE_OK &&
	            store_login_get(s, "erin", &g) == STORE_NOT_FOUND &&
	            admit_n(s, "erin", NOW, 1, 1, &started) == 1,
	        "unlock forgets a lock in force");
	T_CHECK(store_login_purge(s, NOW + 200, 60) == STORE_OK &&
	            store_login_get(s, "carol", &g) == STORE_NOT_FOUND &&
	            store_login_get(s, "erin", &g) == STORE_NOT_FOUND,
	        "purge forgets counts older than the period with no lock in force");
	T_CHECK(admit_n(s, "frank", NOW + 300, 1, 2, &started) == 1 &&
	            store_login_purge(s, NOW + 330, 10) == STORE_OK &&
	            store_login_get(s, "frank", &g) == STORE_OK && g.locked_until == NOW + 360,
	        "but keeps a lock in force");
	T_CHECK(
	    store_login_admit(s, "", NOW, 3, 60, &admitted, &until, &started) == STORE_INVALID &&
	        store_login_admit(s, NULL, NOW, 3, 60, &admitted, &until, &started) == STORE_INVALID &&
	        store_login_admit(s, "x", NOW, -1, 60, &admitted, &until, &started) == STORE_INVALID &&
	        store_login_admit(s, "x", NOW, 3, 0, &admitted, &until, &started) == STORE_INVALID &&
	        store_login_admit(s, "x", NOW, 3, INT64_MAX, &admitted, &until, &started) == STORE_INVALID &&
	        store_login_admit(s, xs(STORE_USERNAME_MAX + 1), NOW, 3, 60, &admitted, &until, &started) ==
	            STORE_INVALID &&
	        store_login_get(s, "x", NULL) == STORE_INVALID &&
	        store_login_clear(s, NULL, NOW) == STORE_INVALID,
	    "empty, NULL or over-long names, a negative threshold, a period of 0 or overflowing: INVALID");
}

static void test_sessions(store *s)
{
	struct store_session a = session(1, "u-b", NOW + 60), got, b;

	T_CHECK(store_session_put(s, &a) == STORE_OK, "session put");
	T_CHECK(store_session_put(s, &a) == STORE_CONFLICT, "same hash again: CONFLICT");
	T_CHECK(store_session_get(s, a.id_hash, a.id_hash_len, NOW, &got) == STORE_OK &&
	            got.id_hash_len == 32 && !memcmp(got.id_hash, a.id_hash, 32) &&
	            !strcmp(got.user_id, "u-b") && got.auth_time == NOW - 10 && got.expires_at == NOW + 60,
	        "session_get returns every field");
	T_CHECK(store_session_get(s, a.id_hash, a.id_hash_len, NOW + 59, &got) == STORE_OK &&
	            store_session_get(s, a.id_hash, a.id_hash_len, NOW + 60, &got) == STORE_NOT_FOUND &&
	            got.user_id[0] == '\0',
	        "valid a second before its expiry; from expires_at on, NOT_FOUND");
	T_CHECK(store_session_get(s, a.id_hash, 31, NOW, &got) == STORE_NOT_FOUND, "another hash: NOT_FOUND");
	b = session(2, "no-such-user", NOW + 60);
	T_CHECK(store_session_put(s, &b) == STORE_NOT_FOUND,
	        "session of an unknown user: NOT_FOUND (foreign key)");
	b = session(3, "u-b", NOW + 5);
	T_CHECK(store_session_put(s, &b) == STORE_OK, "a second session");
	T_CHECK(store_session_delete(s, b.id_hash, b.id_hash_len) == STORE_OK &&
	            store_session_get(s, b.id_hash, b.id_hash_len, NOW, &got) == STORE_NOT_FOUND &&
	            store_session_delete(s, b.id_hash, b.id_hash_len) == STORE_NOT_FOUND,
	        "delete (logout); deleting again: NOT_FOUND");
	b = session(4, "u-b", NOW + 5);
	T_CHECK(store_session_put(s, &b) == STORE_OK && store_session_purge(s, NOW + 5) == STORE_OK &&
	            q_int(s, "SELECT count(*) FROM sessions") == 1 &&
	            store_session_get(s, a.id_hash, a.id_hash_len, NOW, &got) == STORE_OK,
	        "purge removes only expired sessions");
	b = session(5, "u-b", NOW + 5);
	b.id_hash_len = 0;
	T_CHECK(store_session_put(s, &b) == STORE_INVALID, "empty hash: INVALID");
	b = session(5, "", NOW + 5);
	T_CHECK(store_session_put(s, &b) == STORE_INVALID, "empty user id: INVALID");
	T_CHECK(store_session_get(s, a.id_hash, STORE_HASH_MAX + 1, NOW, &got) == STORE_INVALID &&
	            store_session_get(s, NULL, 32, NOW, &got) == STORE_INVALID &&
	            store_session_delete(s, NULL, 32) == STORE_INVALID,
	        "over-long or NULL hash: INVALID");
}

static void test_refresh(store *s)
{
	struct store_client c = client("client-r", 0), c2 = client("client-q", 1);
	struct store_refresh r1 = refresh(1, "fam-1", "client-r", "u-b", NOW + 600), got, old, nx, bad;
	struct store_user gone;
	int64_t used;

	T_CHECK(store_client_put(s, &c) == STORE_OK && store_client_put(s, &c2) == STORE_OK,
	        "clients for refresh tokens");
	T_CHECK(store_refresh_put(s, &r1) == STORE_OK, "refresh token put");
	T_CHECK(store_refresh_put(s, &r1) == STORE_CONFLICT, "same hash again: CONFLICT");
	T_CHECK(store_refresh_get(s, r1.hash, r1.hash_len, NOW, &got) == STORE_OK && refresh_eq(&r1, &got),
	        "refresh_get returns every field of an active token");
	bad = refresh(2, "fam-x", "no-client", "u-b", NOW + 600);
	T_CHECK(store_refresh_put(s, &bad) == STORE_NOT_FOUND, "unknown client: NOT_FOUND (foreign key)");
	bad = refresh(2, "fam-x", "client-r", "no-user", NOW + 600);
	T_CHECK(store_refresh_put(s, &bad) == STORE_NOT_FOUND, "unknown user: NOT_FOUND (foreign key)");
	bad = refresh(2, "", "client-r", "u-b", NOW + 600);
	T_CHECK(store_refresh_put(s, &bad) == STORE_INVALID, "empty family: INVALID");
	bad = refresh(2, "fam-x", "client-r", "u-b", NOW + 600);
	snprintf(bad.scope, sizeof bad.scope, "openid\nemail");
	T_CHECK(store_refresh_put(s, &bad) == STORE_INVALID, "a newline in the scope: INVALID");

	/* Rotation. */
	nx = next_token(1, "client-r", NOW + 1200);
	snprintf(nx.family_id, sizeof nx.family_id, "fam-ignored");
	snprintf(nx.scope, sizeof nx.scope, "admin");
	T_CHECK(store_refresh_rotate(s, r1.hash, r1.hash_len, &nx, NOW, 0, &old) == STORE_OK &&
	            refresh_eq(&r1, &old),
	        "rotate: OK, and old_out is the old token");
	T_CHECK(store_refresh_get(s, r1.hash, r1.hash_len, NOW, &got) == STORE_NOT_FOUND,
	        "the old token is used: no longer active");
	T_CHECK(
	    store_refresh_get(s, nx.hash, nx.hash_len, NOW, &got) == STORE_OK &&
	        !strcmp(got.family_id, "fam-1") && !strcmp(got.user_id, "u-b") &&
	        !strcmp(got.client_id, "client-r") && !strcmp(got.scope, r1.scope) &&
	        got.auth_time == r1.auth_time && got.created_at == NOW + 1 && got.expires_at == NOW + 1200,
	    "the new token: the old one's family, user, scope (RFC 6749 §6) and auth_time; its own times");
	T_CHECK(store_refresh_rotate(s, nx.hash, nx.hash_len, &(struct store_refresh){0}, NOW, 0, &old) ==
	            STORE_INVALID,
	        "an empty successor: INVALID");

	/* The attack: the first token comes back. */
	r1 = refresh(1, "fam-1", "client-r", "u-b", NOW + 600);
	bad = next_token(2, "client-r", NOW + 1200);
	T_CHECK(store_refresh_rotate(s, r1.hash, r1.hash_len, &bad, NOW + 10, 0, &old) == STORE_REUSED &&
	            !strcmp(old.family_id, "fam-1") && !strcmp(old.user_id, "u-b"),
	        "refresh token reuse: STORE_REUSED, old_out says whose (RFC 9700 §4.14.2)");
	T_CHECK(store_refresh_get(s, nx.hash, nx.hash_len, NOW + 10, &got) == STORE_NOT_FOUND &&
	            store_refresh_get(s, bad.hash, bad.hash_len, NOW + 10, &got) == STORE_NOT_FOUND,
	        "reuse revokes the family: the legitimate successor is dead, no new token stored");
	bad = next_token(3, "client-r", NOW + 1200);
	T_CHECK(store_refresh_rotate(s, nx.hash, nx.hash_len, &bad, NOW + 10, 0, &old) == STORE_NOT_FOUND &&
	            old.family_id[0] == '\0',
	        "rotating a token of a revoked family: NOT_FOUND, old_out zeroed");
	T_CHECK(store_refresh_rotate(s, r1.hash, r1.hash_len, &bad, NOW + 10, 0, &old) == STORE_REUSED,
	        "presenting the reused token again: REUSED again");
	T_CHECK(!store_unavailable(STORE_REUSED) &&
	            !strcmp(store_strerror(STORE_REUSED), "refresh token reused"),
	        "STORE_REUSED is an answer, with its own words");

	/* What must not change anything. */
	r1 = refresh(10, "fam-2", "client-r", "u-b", NOW + 600);
	T_CHECK(store_refresh_put(s, &r1) == STORE_OK, "fam-2: a fresh grant");
	bad = next_token(10, "client-q", NOW + 1200);
	T_CHECK(store_refresh_rotate(s, r1.hash, r1.hash_len, &bad, NOW, 0, &old) == STORE_NOT_FOUND &&
	            store_refresh_get(s, r1.hash, r1.hash_len, NOW, &got) == STORE_OK,
	        "another client presents it: NOT_FOUND, and the token stays active");
	bad = next_token(11, "client-r", NOW + 1200);
	T_CHECK(store_refresh_rotate(s, r1.hash, r1.hash_len, &bad, NOW + 600, 0, &old) == STORE_NOT_FOUND &&
	            store_refresh_get(s, r1.hash, r1.hash_len, NOW, &got) == STORE_OK,
	        "expired: NOT_FOUND, not marked used");
	T_CHECK(store_refresh_rotate(s, r1.hash, 31, &bad, NOW, 0, &old) == STORE_NOT_FOUND,
	        "unknown hash: NOT_FOUND");
	bad = next_token(12, "client-r", NOW + 1200);
	memcpy(bad.hash, r1.hash, 32); /* the successor's hash collides with an existing token */
	T_CHECK(store_refresh_rotate(s, r1.hash, r1.hash_len, &bad, NOW, 0, &old) == STORE_CONFLICT &&
	            store_refresh_get(s, r1.hash, r1.hash_len, NOW, &got) == STORE_OK &&
	            old.family_id[0] == '\0',
	        "a successor hash that exists: CONFLICT, rolled back (old still active)");
	bad = next_token(13, "client-r", 0);
	T_CHECK(store_refresh_rotate(s, r1.hash, r1.hash_len, &bad, NOW, 0, &old) == STORE_OK &&
	            store_refresh_get(s, bad.hash, bad.hash_len, NOW, &got) == STORE_OK &&
	            got.expires_at == NOW + 600,
	        "expires_at 0: the successor keeps the old expiry (absolute lifetime)");
	T_CHECK(store_refresh_revoke_family(s, "fam-2") == STORE_OK &&
	            store_refresh_get(s, bad.hash, bad.hash_len, NOW, &got) == STORE_NOT_FOUND,
	        "revoke_family: the family's live token is dead");
	T_CHECK(store_refresh_revoke_family(s, "fam-2") == STORE_OK &&
	            store_refresh_revoke_family(s, "fam-none") == STORE_NOT_FOUND &&
	            store_refresh_revoke_family(s, "") == STORE_INVALID,
	        "revoke_family again: OK; unknown family NOT_FOUND; empty INVALID");
	{
		/* Families issued in a browser session end with it (RP-initiated logout). */
		struct store_refresh a1 = refresh(60, "fam-sa", "client-r", "u-b", NOW + 600),
		                     a2 = refresh(61, "fam-sb", "client-r", "u-b", NOW + 600),
		                     b1 = refresh(62, "fam-sc", "client-r", "u-b", NOW + 600),
		                     n1 = next_token(63, "client-r", 0);
		const uint8_t sa[32] = {0xaa, 1}, sb[32] = {0xbb, 2};

		memcpy(a1.session_hash, sa, 32), a1.session_hash_len = 32;
		memcpy(a2.session_hash, sa, 32), a2.session_hash_len = 32;
		memcpy(b1.session_hash, sb, 32), b1.session_hash_len = 32;
		T_CHECK(store_refresh_put(s, &a1) == STORE_OK && store_refresh_put(s, &a2) == STORE_OK &&
		            store_refresh_put(s, &b1) == STORE_OK &&
		            store_refresh_rotate(s, a1.hash, a1.hash_len, &n1, NOW, 0, &old) == STORE_OK &&
		            store_refresh_get(s, n1.hash, n1.hash_len, NOW, &got) == STORE_OK &&
		            got.session_hash_len == 32 && !memcmp(got.session_hash, sa, 32),
		        "a refresh token keeps its browser session, and its successor inherits it");
		T_CHECK(store_refresh_revoke_session(s, sa, 32) == STORE_OK &&
		            store_refresh_get(s, n1.hash, n1.hash_len, NOW, &got) == STORE_NOT_FOUND &&
		            store_refresh_get(s, a2.hash, a2.hash_len, NOW, &got) == STORE_NOT_FOUND &&
		            store_refresh_get(s, b1.hash, b1.hash_len, NOW, &got) == STORE_OK &&
		            refresh_eq(&got, &b1),
		        "revoke_session: every family of that session is dead, another session's lives");
		T_CHECK(store_refresh_revoke_session(s, sa, 32) == STORE_OK &&
		            store_refresh_revoke_session(s, NULL, 32) == STORE_INVALID &&
		            store_refresh_revoke_session(s, sa, 0) == STORE_INVALID,
		        "revoke_session again: OK; NULL or empty: INVALID");
	}
	T_CHECK(store_refresh_rotate(s, NULL, 32, &bad, NOW, 0, &old) == STORE_INVALID &&
	            store_refresh_rotate(s, r1.hash, 32, NULL, NOW, 0, &old) == STORE_INVALID &&
	            store_refresh_rotate(s, r1.hash, 32, &bad, NOW, 0, NULL) == STORE_INVALID &&
	            store_refresh_get(s, r1.hash, 0, NOW, &got) == STORE_INVALID,
	        "NULL or empty arguments: INVALID");

	/* Purge: expired and revoked go; used-but-unexpired stay (reuse must still be seen). */
	r1 = refresh(20, "fam-3", "client-r", "u-b", NOW + 600);
	nx = next_token(20, "client-r", NOW + 900);
	T_CHECK(store_refresh_put(s, &r1) == STORE_OK &&
	            store_refresh_rotate(s, r1.hash, r1.hash_len, &nx, NOW, 0, &old) == STORE_OK,
	        "fam-3: a token and its successor");
	used = q_int(s, "SELECT count(*) FROM refresh_tokens WHERE used = 1 AND revoked = 0");
	T_CHECK(store_refresh_purge(s, NOW + 1) == STORE_OK &&
	            q_int(s, "SELECT count(*) FROM refresh_tokens WHERE revoked = 1") == 0 &&
	            q_int(s, "SELECT count(*) FROM refresh_tokens WHERE used = 1") == used && used >= 1,
	        "purge deletes revoked families, keeps used tokens until they expire");
	bad = next_token(21, "client-r", NOW + 900);
	T_CHECK(store_refresh_rotate(s, r1.hash, r1.hash_len, &bad, NOW + 2, 0, &old) == STORE_REUSED,
	        "so reuse is still detected after a purge");
	T_CHECK(store_refresh_purge(s, NOW + 900) == STORE_OK &&
	            q_int(s, "SELECT count(*) FROM refresh_tokens") == 0,
	        "purge at the last expiry empties the table");

	/* Deleting a user or a client takes their tokens, sessions and codes along. */
	r1 = refresh(30, "fam-4", "client-q", "u-b", NOW + 600);
	T_CHECK(store_refresh_put(s, &r1) == STORE_OK && store_client_delete(s, "client-q") == STORE_OK &&
	            q_int(s, "SELECT count(*) FROM refresh_tokens") == 0,
	        "deleting a client deletes its refresh tokens");
	r1 = refresh(31, "fam-5", "client-r", "u-b", NOW + 600);
	{
		struct store_code cd = code(77, "client-r", NOW + 60);

		snprintf(cd.user_id, sizeof cd.user_id, "u-b");
		T_CHECK(store_refresh_put(s, &r1) == STORE_OK && store_code_put(s, &cd) == STORE_OK &&
		            q_int(s, "SELECT count(*) FROM sessions WHERE user_id = 'u-b'") == 1,
		        "u-b has a session, a code and a refresh token");
	}
	T_CHECK(store_user_delete(s, "Bob") == STORE_OK &&
	            q_int(s, "SELECT count(*) FROM sessions WHERE user_id = 'u-b'") == 0 &&
	            q_int(s, "SELECT count(*) FROM auth_codes WHERE user_id = 'u-b'") == 0 &&
	            q_int(s, "SELECT count(*) FROM refresh_tokens WHERE user_id = 'u-b'") == 0 &&
	            store_user_get(s, "u-b", &gone) == STORE_NOT_FOUND,
	        "user_delete removes the user's sessions, codes and refresh tokens");
	T_CHECK(store_client_delete(s, "client-r") == STORE_OK, "clean up client-r");
}

/* The reuse grace (REFRESH_REUSE_GRACE_SECONDS): a retry whose answer was lost is
 * rotated again; a replay after the grace, or once the successor was used, still
 * revokes the family. */
static void test_refresh_grace(store *s)
{
	struct store_client c = client("client-gr", 0);
	struct store_user u = user("u-gr", "grace", "");
	struct store_refresh r1 = refresh(200, "fam-gr", "client-gr", "u-gr", NOW + 600), got, old;
	struct store_refresh n2 = next_token(200, "client-gr", 0), n3 = next_token(201, "client-gr", 0),
	                     n4 = next_token(202, "client-gr", 0), n5 = next_token(203, "client-gr", 0);

	T_CHECK(store_client_put(s, &c) == STORE_OK && store_user_put(s, &u) == STORE_OK &&
	            store_refresh_put(s, &r1) == STORE_OK &&
	            store_refresh_rotate(s, r1.hash, r1.hash_len, &n2, NOW, 5, &old) == STORE_OK,
	        "grace 5 s: a token rotated once");
	T_CHECK(store_refresh_rotate(s, r1.hash, r1.hash_len, &n3, NOW + 4, 5, &old) == STORE_OK &&
	            refresh_eq(&r1, &old) &&
	            store_refresh_get(s, n3.hash, n3.hash_len, NOW + 4, &got) == STORE_OK &&
	            !strcmp(got.family_id, "fam-gr") &&
	            store_refresh_get(s, n2.hash, n2.hash_len, NOW + 4, &got) == STORE_NOT_FOUND,
	        "its retry 4 s later (the answer was lost): a fresh successor, the lost one superseded");
	T_CHECK(store_refresh_rotate(s, n3.hash, n3.hash_len, &n4, NOW + 5, 5, &old) == STORE_OK,
	        "the client goes on with the fresh successor");
	T_CHECK(store_refresh_rotate(s, r1.hash, r1.hash_len, &n5, NOW + 6, 5, &old) == STORE_REUSED &&
	            store_refresh_get(s, n4.hash, n4.hash_len, NOW + 6, &got) == STORE_NOT_FOUND,
	        "the first token again, once its successor was used: REUSED, the family revoked");
	r1 = refresh(210, "fam-gr2", "client-gr", "u-gr", NOW + 600);
	n2 = next_token(210, "client-gr", 0);
	n3 = next_token(211, "client-gr", 0);
	T_CHECK(store_refresh_put(s, &r1) == STORE_OK &&
	            store_refresh_rotate(s, r1.hash, r1.hash_len, &n2, NOW, 5, &old) == STORE_OK &&
	            store_refresh_rotate(s, r1.hash, r1.hash_len, &n3, NOW + 5, 5, &old) == STORE_REUSED &&
	            store_refresh_get(s, n2.hash, n2.hash_len, NOW + 5, &got) == STORE_NOT_FOUND,
	        "a replay at the end of the grace (5 s of 5): REUSED, the family revoked");
	r1 = refresh(220, "fam-gr3", "client-gr", "u-gr", NOW + 600);
	n2 = next_token(220, "client-gr", 0);
	n3 = next_token(221, "client-gr", 0);
	T_CHECK(store_refresh_put(s, &r1) == STORE_OK &&
	            store_refresh_rotate(s, r1.hash, r1.hash_len, &n2, NOW, 0, &old) == STORE_OK &&
	            store_refresh_rotate(s, r1.hash, r1.hash_len, &n3, NOW + 1, 0, &old) == STORE_REUSED,
	        "grace 0: any replay is REUSED");
	T_CHECK(store_refresh_rotate(s, r1.hash, r1.hash_len, &n3, NOW, -1, &old) == STORE_INVALID,
	        "a negative grace: INVALID");
	T_CHECK(store_user_delete(s, "grace") == STORE_OK && store_client_delete(s, "client-gr") == STORE_OK,
	        "clean up");
}

/* ---- login flows and consents ---- */

static struct store_flow flow(unsigned n, const char *client_id, int64_t expires_at)
{
	struct store_flow f;

	memset(&f, 0, sizeof f);
	memset(f.id_hash, 0xf1, 32);
	f.id_hash[0] = (uint8_t)(n >> 8);
	f.id_hash[1] = (uint8_t)n;
	f.id_hash_len = 32;
	memset(f.csrf_hash, 0xc5, 32);
	f.csrf_hash_len = 32;
	memset(f.browser_hash, 0xb0, 16);
	f.browser_hash_len = 16;
	snprintf(f.client_id, sizeof f.client_id, "%s", client_id);
	snprintf(f.redirect_uri, sizeof f.redirect_uri, "https://app.example/cb");
	snprintf(f.scope, sizeof f.scope, "openid email");
	snprintf(f.state, sizeof f.state, "af0ifjsldkj");
	snprintf(f.nonce, sizeof f.nonce, "n-0S6_WzA2Mj");
	snprintf(f.code_challenge, sizeof f.code_challenge, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
	snprintf(f.code_challenge_method, sizeof f.code_challenge_method, "S256");
	f.prompt = STORE_PROMPT_LOGIN | STORE_PROMPT_CONSENT;
	f.max_age = 0;
	f.created_at = NOW - 1;
	f.expires_at = expires_at;
	return f;
}

static int flow_eq(const struct store_flow *a, const struct store_flow *b)
{
	return a->id_hash_len == b->id_hash_len && !memcmp(a->id_hash, b->id_hash, a->id_hash_len) &&
	       a->csrf_hash_len == b->csrf_hash_len &&
	       !memcmp(a->csrf_hash, b->csrf_hash, a->csrf_hash_len) &&
	       a->browser_hash_len == b->browser_hash_len &&
	       !memcmp(a->browser_hash, b->browser_hash, a->browser_hash_len) &&
	       !strcmp(a->client_id, b->client_id) && !strcmp(a->redirect_uri, b->redirect_uri) &&
	       !strcmp(a->scope, b->scope) && !strcmp(a->state, b->state) && !strcmp(a->nonce, b->nonce) &&
	       !strcmp(a->code_challenge, b->code_challenge) &&
	       !strcmp(a->code_challenge_method, b->code_challenge_method) && a->prompt == b->prompt &&
	       a->max_age == b->max_age && !strcmp(a->user_id, b->user_id) && a->auth_time == b->auth_time &&
	       a->created_at == b->created_at && a->expires_at == b->expires_at && !strcmp(a->amr, b->amr) &&
	       a->mfa_pending == b->mfa_pending;
}

/* put, get and their refusals; expiry at exactly expires_at. */
static void test_flow_put_get(store *s)
{
	struct store_flow f = flow(1, "client-f", NOW + 600), got, bad;

	T_CHECK(store_flow_put(s, &f) == STORE_OK, "flow put");
	T_CHECK(store_flow_put(s, &f) == STORE_CONFLICT, "same flow hash again: CONFLICT");
	T_CHECK(store_flow_get(s, f.id_hash, f.id_hash_len, NOW, &got) == STORE_OK && flow_eq(&f, &got) &&
	            got.user_id[0] == '\0' && got.auth_time == 0,
	        "get returns every field (no user yet: \"\", auth_time 0)");
	T_CHECK(q_int(s, "SELECT count(*) FROM login_flows WHERE user_id IS NULL") == 1,
	        "no user is stored as NULL (the foreign key then checks nothing)");
	T_CHECK(store_flow_get(s, f.id_hash, f.id_hash_len, NOW + 599, &got) == STORE_OK &&
	            store_flow_get(s, f.id_hash, f.id_hash_len, NOW + 600, &got) == STORE_NOT_FOUND &&
	            got.client_id[0] == '\0',
	        "get: found a second before expires_at, NOT_FOUND (and zeroed) from it");
	T_CHECK(store_flow_get(s, f.id_hash, 31, NOW, &got) == STORE_NOT_FOUND, "unknown hash: NOT_FOUND");
	T_CHECK(store_flow_get(s, f.id_hash, 0, NOW, &got) == STORE_INVALID &&
	            store_flow_get(s, NULL, 32, NOW, &got) == STORE_INVALID &&
	            store_flow_get(s, f.id_hash, 32, NOW, NULL) == STORE_INVALID,
	        "get: empty or NULL hash, NULL out: INVALID");

	bad = flow(2, "no-such-client", NOW + 600);
	T_CHECK(store_flow_put(s, &bad) == STORE_NOT_FOUND, "flow for an unknown client: NOT_FOUND");
	bad = flow(2, "client-f", NOW + 600);
	snprintf(bad.user_id, sizeof bad.user_id, "u-none");
	bad.auth_time = NOW;
	T_CHECK(store_flow_put(s, &bad) == STORE_NOT_FOUND, "flow for an unknown user: NOT_FOUND");
	bad = flow(2, "client-f", NOW + 600);
	bad.prompt = 4;
	T_CHECK(store_flow_put(s, &bad) == STORE_INVALID, "prompt beyond the flags: INVALID");
	bad.prompt = -1;
	T_CHECK(store_flow_put(s, &bad) == STORE_INVALID, "negative prompt: INVALID");
	bad = flow(2, "client-f", NOW + 600);
	bad.max_age = -2;
	T_CHECK(store_flow_put(s, &bad) == STORE_INVALID, "max_age below -1: INVALID");
	bad = flow(2, "client-f", NOW + 600);
	bad.csrf_hash_len = 0;
	T_CHECK(store_flow_put(s, &bad) == STORE_INVALID, "no CSRF hash: INVALID");
	bad = flow(2, "client-f", NOW + 600);
	bad.browser_hash_len = STORE_HASH_MAX + 1;
	T_CHECK(store_flow_put(s, &bad) == STORE_INVALID, "over-long browser hash: INVALID");
	bad = flow(2, "client-f", NOW + 600);
	memset(bad.state, 's', sizeof bad.state);
	T_CHECK(store_flow_put(s, &bad) == STORE_INVALID, "unterminated state: INVALID");
	bad = flow(2, "client-f", NOW + 600);
	snprintf(bad.scope, sizeof bad.scope, "openid\nemail");
	T_CHECK(store_flow_put(s, &bad) == STORE_INVALID, "scope with a newline: INVALID");
	bad = flow(2, "client-f", NOW + 600);
	bad.redirect_uri[0] = '\0';
	T_CHECK(store_flow_put(s, &bad) == STORE_INVALID, "empty redirect URI: INVALID");
	bad = flow(2, "client-f", NOW + 600);
	bad.auth_time = NOW;
	T_CHECK(store_flow_put(s, &bad) == STORE_INVALID, "auth_time without a user: INVALID");
	T_CHECK(store_flow_put(s, NULL) == STORE_INVALID, "NULL flow: INVALID");

	bad = flow(3, "client-f", NOW + 600);
	memset(bad.state, 's', STORE_STATE_MAX);
	bad.state[STORE_STATE_MAX] = '\0';
	bad.max_age = -1;
	bad.prompt = 0;
	bad.nonce[0] = '\0';
	T_CHECK(store_flow_put(s, &bad) == STORE_OK &&
	            store_flow_get(s, bad.id_hash, bad.id_hash_len, NOW, &got) == STORE_OK &&
	            flow_eq(&bad, &got),
	        "a state of STORE_STATE_MAX bytes, max_age -1, prompt 0, no nonce round-trip");
	T_CHECK(q_execf(s, "UPDATE login_flows SET state = '%s' WHERE length(state) > 100", xs(600)) == 0 &&
	            store_flow_get(s, bad.id_hash, bad.id_hash_len, NOW, &got) == STORE_CORRUPT,
	        "an over-long stored state: CORRUPT, not truncated");
	T_CHECK(store_flow_take(s, bad.id_hash, bad.id_hash_len, NOW, &got) == STORE_CORRUPT &&
	            store_flow_get(s, bad.id_hash, bad.id_hash_len, NOW, &got) == STORE_NOT_FOUND,
	        "take of it: CORRUPT, and the flow is gone (never finished with a cut value)");
}

/* set_user, take (once), purge. */
static void test_flow_user_take(store *s)
{
	struct store_flow f = flow(1, "client-f", NOW + 600), got, f4 = flow(4, "client-f", NOW + 10);
	uint8_t h[32];

	memcpy(h, f.id_hash, 32);
	T_CHECK(store_flow_set_user(s, h, 32, NOW, "u-none", NOW, "pwd", 0) == STORE_NOT_FOUND,
	        "set_user with an unknown user: NOT_FOUND");
	T_CHECK(store_flow_set_user(s, h, 32, NOW + 600, "u-f", NOW, "pwd", 0) == STORE_NOT_FOUND,
	        "set_user on an expired flow: NOT_FOUND");
	T_CHECK(store_flow_set_user(s, h, 31, NOW, "u-f", NOW, "pwd", 0) == STORE_NOT_FOUND,
	        "set_user on an unknown flow: NOT_FOUND");
	T_CHECK(store_flow_set_user(s, h, 32, NOW, "", NOW, "pwd", 0) == STORE_INVALID &&
	            store_flow_set_user(s, h, 32, NOW, NULL, NOW, "pwd", 0) == STORE_INVALID &&
	            store_flow_set_user(s, h, 32, NOW, "u-f", 0, "pwd", 0) == STORE_INVALID &&
	            store_flow_set_user(s, h, 0, NOW, "u-f", NOW, "pwd", 0) == STORE_INVALID,
	        "set_user: empty user, no auth_time, empty hash: INVALID");
	T_CHECK(store_flow_get(s, h, 32, NOW, &got) == STORE_OK && got.user_id[0] == '\0',
	        "and none of those changed the flow");
	T_CHECK(store_flow_set_user(s, h, 32, NOW, "u-f", NOW - 3, "pwd", 0) == STORE_OK &&
	            store_flow_get(s, h, 32, NOW, &got) == STORE_OK && !strcmp(got.user_id, "u-f") &&
	            got.auth_time == NOW - 3 && !strcmp(got.state, f.state),
	        "set_user records who signed in and when; the rest stays");
	f.auth_time = NOW - 3;
	snprintf(f.user_id, sizeof f.user_id, "u-f");
	snprintf(f.amr, sizeof f.amr, "pwd");
	T_CHECK(store_flow_take(s, h, 32, NOW + 600, &got) == STORE_NOT_FOUND &&
	            store_flow_get(s, h, 32, NOW, &got) == STORE_OK,
	        "take of an expired flow: NOT_FOUND, and it is left alone");
	T_CHECK(store_flow_take(s, h, 32, NOW, &got) == STORE_OK && flow_eq(&f, &got),
	        "take returns the whole flow, user included");
	T_CHECK(store_flow_take(s, h, 32, NOW, &got) == STORE_NOT_FOUND && got.client_id[0] == '\0' &&
	            store_flow_get(s, h, 32, NOW, &got) == STORE_NOT_FOUND,
	        "a flow ends once: the second take and a get are NOT_FOUND");
	T_CHECK(store_flow_take(s, h, 0, NOW, &got) == STORE_INVALID &&
	            store_flow_take(s, h, 32, NOW, NULL) == STORE_INVALID,
	        "take: empty hash, NULL out: INVALID");
	f = flow(5, "client-f", NOW + 600);
	T_CHECK(store_flow_put(s, &f4) == STORE_OK && store_flow_put(s, &f) == STORE_OK &&
	            store_flow_purge(s, NOW + 10) == STORE_OK &&
	            q_int(s, "SELECT count(*) FROM login_flows") == 1 &&
	            store_flow_get(s, f.id_hash, f.id_hash_len, NOW, &got) == STORE_OK,
	        "purge removes only the expired flows");
}

/* put, replace, get; unknown pairs and rows. */
static void test_consents(store *s)
{
	char scope[STORE_SCOPE_MAX + 1] = "x";

	T_CHECK(store_consent_get(s, "u-f", "client-f", scope) == STORE_NOT_FOUND && scope[0] == '\0',
	        "no consent on record: NOT_FOUND (scope emptied)");
	T_CHECK(store_consent_put(s, "u-f", "client-f", "openid email", NOW) == STORE_OK &&
	            store_consent_get(s, "u-f", "client-f", scope) == STORE_OK &&
	            !strcmp(scope, "openid email"),
	        "consent put, then got");
	T_CHECK(store_consent_put(s, "u-f", "client-f", "openid profile", NOW + 5) == STORE_OK &&
	            store_consent_get(s, "u-f", "client-f", scope) == STORE_OK &&
	            !strcmp(scope, "openid profile") &&
	            q_int(s, "SELECT granted_at FROM consents WHERE user_id = 'u-f'") == NOW + 5 &&
	            q_int(s, "SELECT count(*) FROM consents") == 1,
	        "a second put replaces the scope and the time (one row)");
	T_CHECK(store_consent_get(s, "u-f", "client-g", scope) == STORE_NOT_FOUND &&
	            store_consent_get(s, "u-g", "client-f", scope) == STORE_NOT_FOUND,
	        "another client's or another user's consent: NOT_FOUND");
	T_CHECK(store_consent_put(s, "u-none", "client-f", "openid", NOW) == STORE_NOT_FOUND &&
	            store_consent_put(s, "u-f", "no-such-client", "openid", NOW) == STORE_NOT_FOUND,
	        "consent of an unknown user or for an unknown client: NOT_FOUND");
	T_CHECK(store_consent_put(s, "u-f", "client-f", "openid\nemail", NOW) == STORE_INVALID &&
	            store_consent_put(s, "", "client-f", "openid", NOW) == STORE_INVALID &&
	            store_consent_put(s, "u-f", NULL, "openid", NOW) == STORE_INVALID &&
	            store_consent_put(s, "u-f", "client-f", NULL, NOW) == STORE_INVALID &&
	            store_consent_get(s, "u-f", "client-f", NULL) == STORE_INVALID,
	        "consent: newline in scope, empty or NULL ids, NULL scope: INVALID");
	T_CHECK(q_execf(s, "UPDATE consents SET scope = '%s'", xs(2000)) == 0 &&
	            store_consent_get(s, "u-f", "client-f", scope) == STORE_CORRUPT && scope[0] == '\0',
	        "an over-long stored scope: CORRUPT, not truncated");
	T_CHECK(store_consent_put(s, "u-f", "client-f", "openid", NOW) == STORE_OK, "and put back");
}

/* Removing a client or a user removes its flows and consents (foreign keys). */
static void test_flow_cascade(store *s)
{
	struct store_user g = user("u-g", "gina", "");
	struct store_client cg = client("client-g", 1);
	struct store_flow f = flow(6, "client-g", NOW + 600), f2 = flow(7, "client-f", NOW + 600), got;

	T_CHECK(store_user_put(s, &g) == STORE_OK && store_client_put(s, &cg) == STORE_OK &&
	            store_flow_put(s, &f) == STORE_OK && store_flow_put(s, &f2) == STORE_OK &&
	            store_flow_set_user(s, f2.id_hash, 32, NOW, "u-g", NOW, "pwd", 0) == STORE_OK &&
	            store_consent_put(s, "u-g", "client-f", "openid", NOW) == STORE_OK &&
	            store_consent_put(s, "u-f", "client-g", "openid", NOW) == STORE_OK,
	        "a second user and client, with flows and consents");
	T_CHECK(store_client_delete(s, "client-g") == STORE_OK &&
	            q_int(s, "SELECT count(*) FROM login_flows WHERE client_id = 'client-g'") == 0 &&
	            q_int(s, "SELECT count(*) FROM consents WHERE client_id = 'client-g'") == 0 &&
	            q_int(s, "SELECT count(*) FROM consents") == 2,
	        "deleting a client deletes its flows and consents, only its");
	T_CHECK(store_user_delete(s, "gina") == STORE_OK &&
	            store_flow_get(s, f2.id_hash, 32, NOW, &got) == STORE_NOT_FOUND &&
	            q_int(s, "SELECT count(*) FROM consents WHERE user_id = 'u-g'") == 0 &&
	            q_int(s, "SELECT count(*) FROM login_flows") == 1,
	        "deleting a user deletes the flows it signed in to and its consents");
	T_CHECK(store_client_delete(s, "client-f") == STORE_OK &&
	            q_int(s, "SELECT count(*) FROM login_flows") == 0 &&
	            q_int(s, "SELECT count(*) FROM consents") == 0,
	        "clean up client-f: its flows and consents go with it");
}

static void test_flows(store *s)
{
	struct store_user u = user("u-f", "frank", "");
	struct store_client c = client("client-f", 1);

	T_CHECK(store_client_put(s, &c) == STORE_OK && store_user_put(s, &u) == STORE_OK,
	        "client-f and user u-f for the flows");
	test_flow_put_get(s);
	test_flow_user_take(s);
	test_consents(s);
	test_flow_cascade(s);
}

/* ---- concurrency of refresh rotation and of failure counting ---- */

#define NRTOKEN 100

struct rotator {
	const char *path;
	pthread_barrier_t *bar;
	int idx, errors, admitted, started;
	unsigned char res[NRTOKEN]; /* 1 OK, 2 REUSED, 3 other */
};

static void *rotate_racer(void *arg)
{
	struct rotator *r = arg;
	store *s = copen(r->path, NULL, 0);
	struct store_refresh old;

	for (unsigned i = 0; i < NRTOKEN; i++) {
		struct store_refresh tok = refresh(3000 + i, "x", "client-c", "user-1", NOW + 600);
		struct store_refresh nx =
		    next_token((unsigned)(r->idx * NRTOKEN + i), "client-c", NOW + 1200);
		store_err e;

		pthread_barrier_wait(r->bar); /* every thread rotates token i at once */
		if (!s) {
			r->res[i] = 3;
			continue;
		}
		e = store_refresh_rotate(s, tok.hash, tok.hash_len, &nx, NOW, 0, &old);
		r->res[i] = e == STORE_OK ? 1 : e == STORE_REUSED ? 2 : 3;
	}
	store_close(s);
	return NULL;
}

static int put_tokens(store *s, unsigned from, unsigned n)
{
	int ok = 1;
	char fam[32];

	ok &= store_tx_begin(s) == STORE_OK; /* one commit for them all */
	for (unsigned i = from; i < from + n; i++) {
		struct store_refresh t;

		snprintf(fam, sizeof fam, "fam-%u", i);
		t = refresh(i, fam, "client-c", "user-1", NOW + 600);
		ok &= store_refresh_put(s, &t) == STORE_OK;
	}
	ok &= store_tx_end(s, 1) == STORE_OK;
	return ok;
}

static void *fail_racer(void *arg)
{
	struct rotator *r = arg;
	store *s = copen(r->path, NULL, 0);

	pthread_barrier_wait(r->bar);
	for (int i = 0; i < 25; i++) {
		int admitted = 0, started = 0;
		int64_t until;

		r->errors += !s || store_login_admit(s, "Race-User", NOW, 60, 60, &admitted, &until,
		                                     &started) != STORE_OK;
		r->admitted += admitted;
		r->started += started;
	}
	store_close(s);
	return NULL;
}

static void test_rotate_race(void)
{
	char err[512];
	pthread_t th[NTHREAD];
	pthread_barrier_t bar;
	struct rotator r[NTHREAD];
	store *s;
	int exact = 1, wins = 0, reused = 0, other = 0, errors = 0;

	s = copen(race_where, err, sizeof err);
	if (!s) {
		T_CHECK(0, "reopen the race store: %s", err);
		return;
	}
	T_CHECK(put_tokens(s, 3000, NRTOKEN), "%d refresh tokens, one family each", NRTOKEN);
	memset(r, 0, sizeof r);
	pthread_barrier_init(&bar, NULL, NTHREAD);
	for (int t = 0; t < NTHREAD; t++) {
		r[t].path = race_where;
		r[t].bar = &bar;
		r[t].idx = t;
		pthread_create(&th[t], NULL, rotate_racer, &r[t]);
	}
	for (int t = 0; t < NTHREAD; t++)
		pthread_join(th[t], NULL);
	for (unsigned i = 0; i < NRTOKEN; i++) {
		int w = 0;

		for (int t = 0; t < NTHREAD; t++) {
			w += r[t].res[i] == 1;
			reused += r[t].res[i] == 2;
			other += r[t].res[i] == 3;
		}
		exact &= w == 1;
		wins += w;
	}
	T_CHECK(exact && wins == NRTOKEN && reused == NRTOKEN * (NTHREAD - 1) && other == 0,
	        "%d threads rotate each of %d refresh tokens at once: exactly one OK each, the rest REUSED "
	        "(%d OK, %d REUSED, %d errors)",
	        NTHREAD, NRTOKEN, wins, reused, other);
	T_CHECK(
	    q_int(s, "SELECT count(DISTINCT family_id) FROM refresh_tokens WHERE revoked = 1 AND family_id "
	             "LIKE 'fam-3%'") == NRTOKEN &&
	        q_int(s, "SELECT count(*) FROM refresh_tokens WHERE family_id LIKE 'fam-3%'") == 2 * NRTOKEN,
	    "and each raced family is revoked, with exactly one successor stored");

	/* Sign-in attempts: NTHREAD connections x 25 at once, threshold 60. */
	pthread_barrier_destroy(&bar);
	pthread_barrier_init(&bar, NULL, NTHREAD);
	for (int t = 0; t < NTHREAD; t++)
		pthread_create(&th[t], NULL, fail_racer, &r[t]);
	for (int t = 0; t < NTHREAD; t++) {
		pthread_join(th[t], NULL);
		errors += r[t].errors;
	}
	{
		int admitted = 0, started = 0;
		struct store_login g;

		for (int t = 0; t < NTHREAD; t++)
			admitted += r[t].admitted, started += r[t].started;
		T_CHECK(errors == 0 && admitted == 60 && started == 1 &&
		            store_login_get(s, "race-user", &g) == STORE_OK && g.attempts == 60 &&
		            g.locked_until == NOW + 60,
		        "%d connections submit %d sign-in attempts at once: exactly the threshold (60) "
		        "admitted, one "
		        "lock started (%d admitted, %d locks, %d errors)",
		        NTHREAD, NTHREAD * 25, admitted, started, errors);
	}
	pthread_barrier_destroy(&bar);
	store_close(s);
}

/* The same race between processes. */
static void test_rotate_processes(void)
{
	char err[512];
	pid_t pid[NPROC];
	int fd[NPROC][2];
	unsigned char res[NPROC][NPCODE];
	store *s;
	int exact = 1, wins = 0, reused = 0, clean = 1;

	s = copen(race_where, err, sizeof err);
	if (!s) {
		T_CHECK(0, "reopen the race store: %s", err);
		return;
	}
	T_CHECK(put_tokens(s, 4000, NPCODE), "%d more refresh tokens", NPCODE);
	store_close(s);
	fflush(stdout);
	for (int k = 0; k < NPROC; k++) {
		if (pipe(fd[k]) != 0 || (pid[k] = fork()) < 0) {
			T_CHECK(0, "pipe/fork");
			return;
		}
		if (pid[k] == 0) {
			unsigned char w[NPCODE] = {0};
			struct store_refresh old;
			store *cs = copen(race_where, NULL, 0);

			close(fd[k][0]);
			for (unsigned i = 0; cs && i < NPCODE; i++) {
				struct store_refresh t =
				    refresh(4000 + i, "x", "client-c", "user-1", NOW + 600);
				struct store_refresh nx =
				    next_token(10000 + (unsigned)k * NPCODE + i, "client-c", 0);
				store_err e = store_refresh_rotate(cs, t.hash, t.hash_len, &nx, NOW, 0, &old);

				w[i] = e == STORE_OK ? 1 : e == STORE_REUSED ? 2 : 3;
			}
			store_close(cs);
			_exit(cs && write(fd[k][1], w, sizeof w) == (ssize_t)sizeof w ? 0 : 1);
		}
		close(fd[k][1]);
	}
	for (int k = 0; k < NPROC; k++) {
		int st = 0;

		clean &= read(fd[k][0], res[k], NPCODE) == NPCODE;
		close(fd[k][0]);
		clean &= waitpid(pid[k], &st, 0) == pid[k] && WIFEXITED(st) && WEXITSTATUS(st) == 0;
	}
	for (unsigned i = 0; clean && i < NPCODE; i++) {
		int w = 0;

		for (int k = 0; k < NPROC; k++) {
			clean &= res[k][i] != 3;
			w += res[k][i] == 1;
			reused += res[k][i] == 2;
		}
		exact &= w == 1;
		wins += w;
	}
	T_CHECK(clean && exact && wins == NPCODE,
	        "%d processes rotate each of %d refresh tokens: exactly one OK each (%d OK, %d REUSED)",
	        NPROC, NPCODE, wins, reused);
}

/* tx_begin/tx_end: an exchange's code take and refresh put commit together or not at all. */
static void test_tx(store *s)
{
	char err[512];
	struct store_client c = client("client-tx", 0);
	struct store_user u = user("u-tx", "txuser", "");
	struct store_code k = code(700, "client-tx", NOW + 60), got;
	struct store_refresh r = refresh(700, "fam-tx", "client-tx", "u-tx", NOW + 600), rgot, nx, old;
	store *other = copen(ops_where, err, sizeof err);

	snprintf(k.user_id, sizeof k.user_id, "u-tx");
	T_CHECK(store_client_put(s, &c) == STORE_OK && store_user_put(s, &u) == STORE_OK &&
	            store_code_put(s, &k) == STORE_OK,
	        "a code for the transaction tests");
	T_CHECK(store_tx_begin(s) == STORE_OK &&
	            store_code_take(s, k.code_hash, k.code_hash_len, NOW, &got) == STORE_OK &&
	            store_refresh_put(s, &r) == STORE_OK && store_tx_end(s, 0) == STORE_OK,
	        "take and put inside a transaction, then tx_end(0)");
	T_CHECK(store_refresh_get(s, r.hash, r.hash_len, NOW, &rgot) == STORE_NOT_FOUND &&
	            q_int(s, "SELECT count(*) FROM auth_codes WHERE client_id = 'client-tx' AND used = 0") ==
	                1,
	        "tx_end(0) undid both: no refresh token, the code unused");
	T_CHECK(store_tx_begin(s) == STORE_OK && store_tx_begin(s) == STORE_INVALID,
	        "no nested tx_begin: INVALID");
	nx = next_token(700, "client-tx", NOW + 1200);
	T_CHECK(store_refresh_rotate(s, r.hash, r.hash_len, &nx, NOW, 0, &old) == STORE_INVALID,
	        "refresh_rotate (a transaction of its own) inside one: INVALID");
	T_CHECK(store_code_take(s, k.code_hash, k.code_hash_len, NOW, &got) == STORE_OK &&
	            code_eq(&k, &got) && store_refresh_put(s, &r) == STORE_OK,
	        "the transaction goes on after a refused call");
	/* Another connection (opened before: an open may migrate) sees none of it before the commit. */
	T_CHECK(other && store_refresh_get(other, r.hash, r.hash_len, NOW, &rgot) == STORE_NOT_FOUND,
	        "another connection does not see the uncommitted token (%s)", other ? "ok" : err);
	T_CHECK(store_tx_end(s, 1) == STORE_OK, "tx_end(1) commits");
	T_CHECK(store_refresh_get(s, r.hash, r.hash_len, NOW, &rgot) == STORE_OK && refresh_eq(&r, &rgot) &&
	            store_code_take(s, k.code_hash, k.code_hash_len, NOW, &got) == STORE_NOT_FOUND,
	        "both took effect: the refresh token is there, the code is used");
	if (other) {
		T_CHECK(store_refresh_get(other, r.hash, r.hash_len, NOW, &rgot) == STORE_OK &&
		            store_code_take(other, k.code_hash, k.code_hash_len, NOW, &got) ==
		                STORE_NOT_FOUND,
		        "the other connection sees both once committed");
		store_close(other);
	}
	T_CHECK(store_tx_end(s, 1) == STORE_INVALID && store_tx_end(s, 0) == STORE_INVALID,
	        "tx_end without tx_begin: INVALID");
	T_CHECK(store_user_delete(s, "txuser") == STORE_OK && store_client_delete(s, "client-tx") == STORE_OK,
	        "clean up");
}

/* ---- the mail outbox ---- */

/* A QUEUED mail with id, due at next_at. */
static struct store_mail *mail_row(const char *id, int64_t next_at)
{
	static struct store_mail m;

	memset(&m, 0, sizeof m);
	snprintf(m.id, sizeof m.id, "%s", id);
	snprintf(m.kind, sizeof m.kind, "verify");
	snprintf(m.sender, sizeof m.sender, "idp@example.com");
	snprintf(m.rcpt, sizeof m.rcpt, "alice@example.org");
	snprintf(m.message, sizeof m.message, "Subject: hi\r\n\r\nhttps://idp.example/verify?t=%s\r\n", id);
	m.created_at = NOW;
	m.next_at = next_at;
	return &m;
}

static store_err put_mail(store *s, const char *id, int64_t next_at)
{
	return store_outbox_put(s, mail_row(id, next_at));
}

/* put, get, refusals: a mail is kept whole, and only a well-formed new one goes in. */
static void test_outbox_put(store *s)
{
	struct store_mail *m = mail_row("m-1", NOW), got, bad;

	T_CHECK(store_outbox_put(s, m) == STORE_OK && store_outbox_get(s, "m-1", &got) == STORE_OK &&
	            !strcmp(got.message, m->message) && !strcmp(got.rcpt, "alice@example.org") &&
	            got.state == STORE_MAIL_QUEUED && got.attempts == 0 && got.next_at == NOW,
	        "outbox_put then outbox_get: the mail, whole, QUEUED");
	T_CHECK(put_mail(s, "m-1", NOW) == STORE_CONFLICT, "the same id again: CONFLICT");
	T_CHECK(store_outbox_get(s, "m-none", &got) == STORE_NOT_FOUND && got.id[0] == '\0',
	        "an unknown id: NOT_FOUND, the row zeroed");
	bad = *mail_row("m-bad", NOW);
	snprintf(bad.rcpt, sizeof bad.rcpt, "a@b\r\nBcc: x@y");
	T_CHECK(store_outbox_put(s, &bad) == STORE_INVALID, "a recipient with CR LF: INVALID");
	bad = *mail_row("m-bad", NOW);
	bad.attempts = 3;
	T_CHECK(store_outbox_put(s, &bad) == STORE_INVALID, "a mail put as already tried: INVALID");
	bad = *mail_row("m-bad", NOW);
	bad.message[0] = '\0';
	T_CHECK(store_outbox_put(s, &bad) == STORE_INVALID && store_outbox_put(s, NULL) == STORE_INVALID,
	        "an empty message, or none: INVALID");
	bad = *mail_row("m-big", NOW);
	memset(bad.message, 'x', sizeof bad.message - 1);
	bad.message[sizeof bad.message - 1] = '\0';
	T_CHECK(store_outbox_put(s, &bad) == STORE_OK && store_outbox_get(s, "m-big", &got) == STORE_OK &&
	            strlen(got.message) == STORE_MAIL_MAX,
	        "a message of STORE_MAIL_MAX bytes goes in and comes out whole");
	T_CHECK(q_exec(s, "DELETE FROM outbox") == 0, "clean up");
}

/* claim order, leases, fencing, done, retry, give up, count, purge. */
static void test_outbox_claim(store *s)
{
	struct store_mail got, again;
	struct store_outbox_counts n;

	T_CHECK(put_mail(s, "m-late", NOW + 100) == STORE_OK && put_mail(s, "m-old", NOW - 10) == STORE_OK &&
	            put_mail(s, "m-new", NOW) == STORE_OK,
	        "three mails, one not yet due");
	T_CHECK(store_outbox_claim(s, NOW, 60, &got) == STORE_OK && !strcmp(got.id, "m-old") &&
	            got.attempts == 1 && got.lease_until == NOW + 60 && got.message[0],
	        "claim takes the mail due longest, attempt 1, leased for 60 s, message and all");
	T_CHECK(store_outbox_claim(s, NOW, 60, &again) == STORE_OK && !strcmp(again.id, "m-new"),
	        "a second claim takes the next due mail, not the leased one");
	T_CHECK(store_outbox_claim(s, NOW, 60, &again) == STORE_NOT_FOUND && again.id[0] == '\0',
	        "nothing else due: NOT_FOUND (the late mail waits)");
	T_CHECK(store_outbox_count(s, NOW, &n) == STORE_OK && n.queued == 3 && n.due == 0 && n.sent == 0,
	        "count: 3 queued, none due while two are leased");
	T_CHECK(store_outbox_claim(s, NOW + 60, 60, &again) == STORE_OK && !strcmp(again.id, "m-old") &&
	            again.attempts == 2,
	        "a lease that ran out (a sender that died): the mail is claimed again, attempt 2");
	T_CHECK(store_outbox_done(s, "m-old", 1, NOW + 61) == STORE_NOT_FOUND &&
	            store_outbox_retry(s, "m-old", 1, NOW + 61, NOW + 90, "late") == STORE_NOT_FOUND,
	        "the first claimer, late: done and retry find its claim superseded (NOT_FOUND)");
	T_CHECK(store_outbox_done(s, "m-old", 2, NOW + 61) == STORE_OK &&
	            store_outbox_get(s, "m-old", &got) == STORE_OK && got.state == STORE_MAIL_SENT &&
	            got.message[0] == '\0' && got.done_at == NOW + 61 &&
	            store_outbox_done(s, "m-old", 2, NOW + 62) == STORE_NOT_FOUND,
	        "done: SENT, message wiped; done again: NOT_FOUND");
	T_CHECK(store_outbox_retry(s, "m-new", 1, NOW + 5, NOW + 30, "connect: refused") == STORE_OK &&
	            store_outbox_get(s, "m-new", &got) == STORE_OK && got.state == STORE_MAIL_QUEUED &&
	            got.next_at == NOW + 30 && got.lease_until == 0 &&
	            !strcmp(got.last_error, "connect: refused") && got.message[0],
	        "retry: QUEUED again, due later, with the reason, message kept");
	T_CHECK(store_outbox_claim(s, NOW + 29, 60, &got) == STORE_NOT_FOUND &&
	            store_outbox_claim(s, NOW + 30, 60, &got) == STORE_OK && !strcmp(got.id, "m-new") &&
	            got.attempts == 2,
	        "not before next_at; then attempt 2");
	T_CHECK(store_outbox_retry(s, "m-new", 2, NOW + 31, 0, "550 no such user") == STORE_OK &&
	            store_outbox_get(s, "m-new", &got) == STORE_OK && got.state == STORE_MAIL_FAILED &&
	            got.message[0] == '\0' && got.done_at == NOW + 31,
	        "retry with next_at 0 gives up: FAILED, message wiped");
	T_CHECK(store_outbox_count(s, NOW + 200, &n) == STORE_OK && n.queued == 1 && n.due == 1 &&
	            n.sent == 1 && n.failed == 1,
	        "count: 1 queued and due, 1 sent, 1 failed");
	T_CHECK(store_outbox_purge(s, NOW + 30) == STORE_OK && q_int(s, "SELECT count(*) FROM outbox") == 3 &&
	            store_outbox_purge(s, NOW + 31) == STORE_OK &&
	            q_int(s, "SELECT count(*) FROM outbox") == 2 &&
	            store_outbox_purge(s, NOW + 1000) == STORE_OK &&
	            q_int(s, "SELECT count(*) FROM outbox WHERE id = 'm-late'") == 1 &&
	            q_int(s, "SELECT count(*) FROM outbox") == 1,
	        "purge: sent and failed mails done by `before` go, queued ones stay");
	T_CHECK(store_outbox_claim(s, NOW, 0, &got) == STORE_INVALID &&
	            store_outbox_done(s, "m-late", 0, NOW) == STORE_INVALID &&
	            store_outbox_retry(s, "m-late", 1, NOW, NOW, NULL) == STORE_INVALID,
	        "a lease of 0, attempt 0, no reason: INVALID");
	T_CHECK(q_exec(s, "DELETE FROM outbox") == 0, "clean up");
}

/* A mail written in a transaction exists only if the transaction commits. */
static void test_outbox_tx(store *s)
{
	struct store_mail got;

	T_CHECK(store_tx_begin(s) == STORE_OK && put_mail(s, "m-tx", NOW) == STORE_OK &&
	            store_revoke_put(s, "jti-mail-tx", NOW + 60) == STORE_OK &&
	            store_tx_end(s, 0) == STORE_OK && store_outbox_get(s, "m-tx", &got) == STORE_NOT_FOUND,
	        "outbox_put inside a transaction rolled back: no mail");
	T_CHECK(store_tx_begin(s) == STORE_OK && put_mail(s, "m-tx", NOW) == STORE_OK &&
	            store_revoke_put(s, "jti-mail-tx", NOW + 60) == STORE_OK &&
	            store_tx_end(s, 1) == STORE_OK && store_outbox_get(s, "m-tx", &got) == STORE_OK,
	        "committed: the mail is there with the row it goes with");
	T_CHECK(q_exec(s, "DELETE FROM outbox") == 0, "clean up");
}

static void test_outbox(store *s)
{
	test_outbox_put(s);
	test_outbox_claim(s);
	test_outbox_tx(s);
}

#define NMAIL 200

struct mail_racer {
	pthread_barrier_t *bar;
	store *s;
	int errors, claimed;
	unsigned char got[NMAIL];
};

/* Claim until nothing is due, marking each claimed mail done. */
static void *claim_racer(void *arg)
{
	struct mail_racer *r = arg;
	struct store_mail *m = malloc(sizeof *m);
	store_err e;

	pthread_barrier_wait(r->bar);
	while (m && r->s && (e = store_outbox_claim(r->s, NOW, 300, m)) != STORE_NOT_FOUND) {
		unsigned i;

		if (e != STORE_OK || sscanf(m->id, "race-%u", &i) != 1 || i >= NMAIL) {
			if (e == STORE_BUSY)
				continue;
			r->errors++;
			break;
		}
		r->got[i]++;
		r->claimed++;
		if (store_outbox_done(r->s, m->id, m->attempts, NOW) != STORE_OK)
			r->errors++;
	}
	free(m);
	return NULL;
}

/* Threads with connections of their own claim NMAIL mails at once: each mail is
 * claimed exactly once. */
static void test_outbox_race(void)
{
	char err[512], id[32];
	pthread_t th[NTHREAD];
	pthread_barrier_t bar;
	struct mail_racer r[NTHREAD];
	store *s = copen(race_where, err, sizeof err);
	int ok = s != NULL, once = 1, errors = 0, total = 0;

	for (unsigned i = 0; ok && i < NMAIL; i++) {
		snprintf(id, sizeof id, "race-%u", i);
		ok &= put_mail(s, id, NOW - (int64_t)(i % 7)) == STORE_OK;
	}
	T_CHECK(ok, "%d mails queued for the race", NMAIL);
	pthread_barrier_init(&bar, NULL, NTHREAD);
	for (int t = 0; t < NTHREAD; t++) {
		memset(&r[t], 0, sizeof r[t]);
		r[t].bar = &bar;
		r[t].s = copen(race_where, err, sizeof err);
		pthread_create(&th[t], NULL, claim_racer, &r[t]);
	}
	for (int t = 0; t < NTHREAD; t++) {
		pthread_join(th[t], NULL);
		errors += r[t].errors;
		total += r[t].claimed;
		store_close(r[t].s);
	}
	for (unsigned i = 0; i < NMAIL; i++) {
		unsigned n = 0;

		for (int t = 0; t < NTHREAD; t++)
			n += r[t].got[i];
		once &= n == 1;
	}
	pthread_barrier_destroy(&bar);
	T_CHECK(once && errors == 0 && total == NMAIL,
	        "%d threads claimed %d mails at once: each exactly once (%d claims, %d errors)", NTHREAD,
	        NMAIL, total, errors);
	T_CHECK(s && q_int(s, "SELECT count(*) FROM outbox WHERE state = 1") == NMAIL,
	        "every mail is SENT once");
	if (s)
		q_exec(s, "DELETE FROM outbox");
	store_close(s);
}

/* ---- concurrency ---- */

struct racer {
	const char *path;
	pthread_barrier_t *bar;
	store *s;
	int opened, errors;
	char err[256];
	unsigned char won[NCODE];
};

/* All threads open a fresh file at once: migrations must not trip over each other. */
static void *open_racer(void *arg)
{
	struct racer *r = arg;

	pthread_barrier_wait(r->bar);
	r->s = copen(r->path, r->err, sizeof r->err);
	r->opened = r->s != NULL;
	return NULL;
}

static void *take_racer(void *arg)
{
	struct racer *r = arg;
	struct store_code got;

	for (unsigned i = 0; i < NCODE; i++) {
		struct store_code c = code(1000 + i, "client-c", NOW + 60);
		store_err e;

		pthread_barrier_wait(r->bar); /* every thread asks for code i at once */
		if (!r->s)
			continue;
		e = store_code_take(r->s, c.code_hash, c.code_hash_len, NOW, &got);
		if (e == STORE_OK && code_eq(&c, &got))
			r->won[i] = 1;
		else if (e != STORE_NOT_FOUND)
			r->errors++;
	}
	return NULL;
}

static void put_codes(store *s, unsigned from, unsigned n)
{
	int ok = 1;

	ok &= store_tx_begin(s) == STORE_OK; /* one commit for them all */
	for (unsigned i = from; i < from + n; i++) {
		struct store_code c = code(i, "client-c", NOW + 60);

		ok &= store_code_put(s, &c) == STORE_OK;
	}
	ok &= store_tx_end(s, 1) == STORE_OK;
	T_CHECK(ok, "%u codes put", n);
}

static void test_concurrency(void)
{
	char err[512];
	pthread_t th[NTHREAD];
	pthread_barrier_t bar;
	struct racer r[NTHREAD];
	struct store_client c = client("client-c", 0);
	store *s;
	int opened = 0, errors = 0, exact = 1, total = 0;

	memset(r, 0, sizeof r);
	pthread_barrier_init(&bar, NULL, NTHREAD);
	if (SC->fresh("race", race_where, sizeof race_where) != 0) {
		T_CHECK(0, "a fresh store for the races");
		pthread_barrier_destroy(&bar);
		return;
	}
	for (int t = 0; t < NTHREAD; t++) {
		r[t].path = race_where;
		r[t].bar = &bar;
		pthread_create(&th[t], NULL, open_racer, &r[t]);
	}
	for (int t = 0; t < NTHREAD; t++) {
		pthread_join(th[t], NULL);
		opened += r[t].opened;
		if (!r[t].opened)
			printf("# thread %d: %s\n", t, r[t].err);
	}
	T_CHECK(opened == NTHREAD, "%d threads opening one fresh %s store at once all succeed (%d did)",
	        NTHREAD, SC->ops->name, opened);

	s = copen(race_where, err, sizeof err);
	T_CHECK(s && SC->schema_once(s), "and the schema was created once");
	if (!s)
		goto out;
	T_CHECK(store_client_put(s, &c) == STORE_OK &&
	            q_exec(s, "INSERT INTO users (id, username, password_hash, created_at) VALUES "
	                      "('user-1', 'alice', 'x', 0)") == 0,
	        "client and user for the race");
	put_codes(s, 1000, NCODE);

	for (int t = 0; t < NTHREAD; t++)
		pthread_create(&th[t], NULL, take_racer, &r[t]);
	for (int t = 0; t < NTHREAD; t++) {
		pthread_join(th[t], NULL);
		errors += r[t].errors;
	}
	for (unsigned i = 0; i < NCODE; i++) {
		int winners = 0;

		for (int t = 0; t < NTHREAD; t++)
			winners += r[t].won[i];
		exact &= winners == 1;
		total += winners;
	}
	T_CHECK(exact && total == NCODE && errors == 0,
	        "%d threads, own connections, race for each of %d codes: exactly one winner each (%d wins, "
	        "%d errors)",
	        NTHREAD, NCODE, total, errors);
	T_CHECK(q_int(s, "SELECT count(*) FROM auth_codes WHERE used = 1") == NCODE, "all %d codes are used",
	        NCODE);
out:
	for (int t = 0; t < NTHREAD; t++)
		store_close(r[t].s);
	store_close(s);
	pthread_barrier_destroy(&bar);
}

/* An exchange's transaction raced by every thread: per code, exactly one takes
 * it and stores its refresh token; no token without its code, none twice. */
/* An exchange's transaction raced by every thread: per code, exactly one takes
 * it and stores its refresh token; no token without its code, none twice. */
static void *tx_racer(void *arg)
{
	struct racer *r = arg;
	struct store_code got;

	for (unsigned i = 0; i < NCODE; i++) {
		struct store_code c = code(6000 + i, "client-c", NOW + 60);
		struct store_refresh t = refresh(6000 + i, "fam-txrace", "client-c", "user-1", NOW + 600);
		store_err e;

		pthread_barrier_wait(r->bar);
		if (!r->s || (e = store_tx_begin(r->s)) != STORE_OK) {
			r->errors += r->s != NULL;
			continue;
		}
		e = store_code_take(r->s, c.code_hash, c.code_hash_len, NOW, &got);
		if (e == STORE_OK && (e = store_refresh_put(r->s, &t)) == STORE_OK &&
		    (e = store_tx_end(r->s, 1)) == STORE_OK)
			r->won[i] = 1;
		else {
			r->errors += e != STORE_NOT_FOUND;
			r->errors += store_tx_end(r->s, 0) != STORE_OK;
		}
	}
	return NULL;
}

static void test_tx_race(void)
{
	char err[512];
	pthread_t th[NTHREAD];
	pthread_barrier_t bar;
	struct racer r[NTHREAD];
	store *s;
	int errors = 0, exact = 1, total = 0, ok = 1;

	s = copen(race_where, err, sizeof err);
	if (!s) {
		T_CHECK(0, "reopen the race store: %s", err);
		return;
	}
	memset(r, 0, sizeof r);
	pthread_barrier_init(&bar, NULL, NTHREAD);
	put_codes(s, 6000, NCODE);
	for (int t = 0; t < NTHREAD; t++) {
		r[t].bar = &bar;
		ok &= (r[t].s = copen(race_where, r[t].err, sizeof r[t].err)) != NULL;
	}
	T_CHECK(ok, "%d connections", NTHREAD);
	for (int t = 0; t < NTHREAD; t++)
		pthread_create(&th[t], NULL, tx_racer, &r[t]);
	for (int t = 0; t < NTHREAD; t++) {
		pthread_join(th[t], NULL);
		errors += r[t].errors;
	}
	for (unsigned i = 0; i < NCODE; i++) {
		int winners = 0;

		for (int t = 0; t < NTHREAD; t++)
			winners += r[t].won[i];
		exact &= winners == 1;
		total += winners;
	}
	T_CHECK(exact && total == NCODE && errors == 0,
	        "%d threads race tx_begin, code_take, refresh_put, tx_end for each of %d codes: exactly one "
	        "winner each (%d wins, %d errors)",
	        NTHREAD, NCODE, total, errors);
	T_CHECK(q_int(s, "SELECT count(*) FROM refresh_tokens WHERE family_id = 'fam-txrace'") == NCODE,
	        "one refresh token per code, none twice");
	for (int t = 0; t < NTHREAD; t++)
		store_close(r[t].s);
	store_close(s);
	pthread_barrier_destroy(&bar);
}

/* The same race between processes: each child takes what it can and reports. */
static void test_processes(void)
{
	char err[512];
	pid_t pid[NPROC];
	int fd[NPROC][2];
	unsigned char won[NPROC][NPCODE];
	store *s;
	int exact = 1, total = 0, clean = 1;

	s = copen(race_where, err, sizeof err);
	if (!s) {
		T_CHECK(0, "reopen the race store: %s", err);
		return;
	}
	put_codes(s, 2000, NPCODE);
	store_close(s);
	fflush(stdout);
	for (int k = 0; k < NPROC; k++) {
		if (pipe(fd[k]) != 0 || (pid[k] = fork()) < 0) {
			T_CHECK(0, "pipe/fork");
			return;
		}
		if (pid[k] == 0) {
			unsigned char w[NPCODE] = {0};
			struct store_code got;
			store *cs = copen(race_where, NULL, 0);

			close(fd[k][0]);
			for (unsigned i = 0; cs && i < NPCODE; i++) {
				struct store_code c = code(2000 + i, "client-c", NOW + 60);
				store_err e = store_code_take(cs, c.code_hash, c.code_hash_len, NOW, &got);

				w[i] = e == STORE_OK ? 1 : e == STORE_NOT_FOUND ? 0 : 2;
			}
			store_close(cs);
			_exit(cs && write(fd[k][1], w, sizeof w) == (ssize_t)sizeof w ? 0 : 1);
		}
		close(fd[k][1]);
	}
	for (int k = 0; k < NPROC; k++) {
		int st = 0;

		clean &= read(fd[k][0], won[k], NPCODE) == NPCODE;
		close(fd[k][0]);
		clean &= waitpid(pid[k], &st, 0) == pid[k] && WIFEXITED(st) && WEXITSTATUS(st) == 0;
	}
	for (unsigned i = 0; clean && i < NPCODE; i++) {
		int winners = 0;

		for (int k = 0; k < NPROC; k++) {
			clean &= won[k][i] != 2;
			winners += won[k][i] == 1;
		}
		exact &= winners == 1;
		total += winners;
	}
	T_CHECK(clean && exact && total == NPCODE,
	        "%d processes race for each of %d codes: exactly one winner each (%d wins)", NPROC, NPCODE,
	        total);
}

/* Login flows: the same race as codes, on take. A flow ends in one code. */
static void *flow_take_racer(void *arg)
{
	struct racer *r = arg;
	struct store_flow got;

	for (unsigned i = 0; i < NCODE; i++) {
		struct store_flow f = flow(1000 + i, "client-c", NOW + 60);
		store_err e;

		pthread_barrier_wait(r->bar); /* every thread takes flow i at once */
		if (!r->s)
			continue;
		e = store_flow_take(r->s, f.id_hash, f.id_hash_len, NOW, &got);
		if (e == STORE_OK && flow_eq(&f, &got))
			r->won[i] = 1;
		else if (e != STORE_NOT_FOUND)
			r->errors++;
	}
	return NULL;
}

static void test_flow_race(void)
{
	char err[512];
	pthread_t th[NTHREAD];
	pthread_barrier_t bar;
	struct racer r[NTHREAD];
	store *s;
	int opened = 0, errors = 0, exact = 1, total = 0, ok = 1;

	s = copen(race_where, err, sizeof err);
	if (!s) {
		T_CHECK(0, "reopen the race store: %s", err);
		return;
	}
	ok &= store_tx_begin(s) == STORE_OK; /* one commit for them all */
	for (unsigned i = 0; i < NCODE; i++) {
		struct store_flow f = flow(1000 + i, "client-c", NOW + 60);

		ok &= store_flow_put(s, &f) == STORE_OK;
	}
	ok &= store_tx_end(s, 1) == STORE_OK;
	T_CHECK(ok, "%d flows put", NCODE);
	memset(r, 0, sizeof r);
	pthread_barrier_init(&bar, NULL, NTHREAD);
	for (int t = 0; t < NTHREAD; t++) {
		r[t].bar = &bar;
		opened += (r[t].s = copen(race_where, NULL, 0)) != NULL;
	}
	for (int t = 0; t < NTHREAD; t++)
		pthread_create(&th[t], NULL, flow_take_racer, &r[t]);
	for (int t = 0; t < NTHREAD; t++) {
		pthread_join(th[t], NULL);
		errors += r[t].errors;
	}
	for (unsigned i = 0; i < NCODE; i++) {
		int winners = 0;

		for (int t = 0; t < NTHREAD; t++)
			winners += r[t].won[i];
		exact &= winners == 1;
		total += winners;
	}
	T_CHECK(
	    opened == NTHREAD && exact && total == NCODE && errors == 0,
	    "%d threads, own connections, take each of %d flows at once: exactly one winner each (%d wins, "
	    "%d errors)",
	    NTHREAD, NCODE, total, errors);
	T_CHECK(q_int(s, "SELECT count(*) FROM login_flows") == 0, "and every flow is gone");
	for (int t = 0; t < NTHREAD; t++)
		store_close(r[t].s);
	store_close(s);
	pthread_barrier_destroy(&bar);
}

/* ---- raw rows: store copy's interface ---- */

struct raw_copy {
	store *to;
	size_t t, rows;
	int merge;
	store_err e;
};

static int raw_count(void *ctx, const struct store_value *v, size_t n)
{
	(void)v, (void)n;
	((struct raw_copy *)ctx)->rows++;
	return 0;
}

static int raw_copy_row(void *ctx, const struct store_value *v, size_t n)
{
	struct raw_copy *c = ctx;

	c->rows++;
	return (c->e = store_raw_put(c->to, c->t, v, n, c->merge)) != STORE_OK;
}

/* Copy every table of from into to in one transaction; the first failure, or OK. */
static store_err raw_copy_all(store *from, store *to, int merge, size_t *rows)
{
	store_err e = store_tx_begin(to);

	*rows = 0;
	for (size_t t = 0; e == STORE_OK && t < store_raw_n; t++) {
		struct raw_copy c = {.to = to, .t = t, .merge = merge, .e = STORE_OK};

		e = store_raw_each(from, t, raw_copy_row, &c);
		if (e == STORE_OK)
			e = c.e;
		*rows += c.rows;
	}
	if (e == STORE_OK)
		return store_tx_end(to, 1);
	store_tx_end(to, 0);
	return e;
}

static struct store_factor factor(const char *id, const char *user_id, const char *kind, int64_t created);
static int factor_eq(const struct store_factor *a, const struct store_factor *b);

/* Every column list matches its kinds; each table's rows come out whole; a copy into a
 * fresh store holds the same rows, a second copy conflicts unless merged. */
static void test_raw(store *s)
{
	char where[512], err[512], sql[128];
	struct store_user u = user("u-raw", "raw", "raw@example.com");
	struct store_client c = client("client-raw", 0);
	struct store_refresh r = refresh(300, "fam-raw", "client-raw", "u-raw", NOW + 600), nx, old, got;
	struct store_key k = key("kid-raw", NOW);
	struct store_factor fa = factor("f-raw", "u-raw", STORE_FACTOR_PASSKEY, NOW), fg;
	char uid[STORE_ID_MAX + 1];
	size_t rows = 0, again = 0, total = 0;
	int kinds_ok = 1, same = 1;
	store *to;

	for (size_t t = 0; t < store_raw_n; t++) {
		size_t commas = 0;

		for (const char *p = store_raw_tables[t].cols; *p; p++)
			commas += *p == ',';
		kinds_ok &=
		    strlen(store_raw_tables[t].kinds) == commas + 1 && commas + 1 <= STORE_RAW_COLS_MAX;
	}
	T_CHECK(kinds_ok && store_raw_n == 14, "the raw tables: 14, each column with its kind");
	nx = next_token(300, "client-raw", 0);
	T_CHECK(store_client_put(s, &c) == STORE_OK && store_user_put(s, &u) == STORE_OK &&
	            store_refresh_put(s, &r) == STORE_OK && store_key_put(s, &k) == STORE_OK &&
	            store_refresh_rotate(s, r.hash, r.hash_len, &nx, NOW, 5, &old) == STORE_OK &&
	            store_consent_put(s, "u-raw", "client-raw", "openid", NOW) == STORE_OK &&
	            store_revoke_put(s, "jti-raw", NOW + 60) == STORE_OK &&
	            put_mail(s, "mail-raw", NOW) == STORE_OK && store_factor_put(s, &fa) == STORE_OK &&
	            store_challenge_put(s, (const uint8_t *)"raw-challenge", 13, "u-raw", NOW + 60) ==
	                STORE_OK,
	        "rows in every kind of table (a used refresh token, a passkey, a challenge among them)");
	for (size_t t = 0; t < store_raw_n; t++) {
		struct raw_copy cnt = {0};

		snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", store_raw_tables[t].name);
		same &=
		    store_raw_each(s, t, raw_count, &cnt) == STORE_OK && (int64_t)cnt.rows == q_int(s, sql);
		total += cnt.rows;
	}
	T_CHECK(same && total > 10, "raw_each gives every row of every table (%zu rows)", total);
	to = SC->fresh("copy", where, sizeof where) == 0 ? copen(where, err, sizeof err) : NULL;
	T_CHECK(to && raw_copy_all(s, to, 0, &rows) == STORE_OK && rows == total,
	        "copied into a fresh store in one transaction (%zu rows)", rows);
	same = 1;
	for (size_t t = 0; to && t < store_raw_n; t++) {
		snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", store_raw_tables[t].name);
		same &= q_int(to, sql) == q_int(s, sql);
	}
	T_CHECK(to && same, "the copy holds as many rows of each table");
	T_CHECK(to && store_refresh_get(to, nx.hash, nx.hash_len, NOW, &got) == STORE_OK &&
	            !strcmp(got.family_id, "fam-raw") &&
	            store_refresh_rotate(to, r.hash, r.hash_len, &(struct store_refresh){0}, NOW, 0, &old) ==
	                STORE_INVALID &&
	            store_refresh_rotate(to, r.hash, r.hash_len, &nx, NOW + 1, 0, &old) == STORE_REUSED,
	        "in the copy the successor is active and the used token is still known as used");
	T_CHECK(to && store_factor_by_cred(to, fa.cred_id, fa.cred_id_len, &fg) == STORE_OK &&
	            factor_eq(&fa, &fg) &&
	            store_challenge_take(to, (const uint8_t *)"raw-challenge", 13, NOW, uid) == STORE_OK &&
	            !strcmp(uid, "u-raw"),
	        "in the copy the passkey is whole and the challenge can be taken once");
	T_CHECK(to && raw_copy_all(s, to, 0, &again) == STORE_CONFLICT,
	        "copying again: CONFLICT, all rolled back");
	T_CHECK(to && raw_copy_all(s, to, 1, &again) == STORE_OK && again == total,
	        "copying again with merge: every row skipped or kept, OK");
	T_CHECK(store_raw_put(s, store_raw_n, NULL, 0, 0) == STORE_INVALID &&
	            store_raw_put(s, 0, (struct store_value[1]){{0}}, 1, 0) == STORE_INVALID &&
	            store_raw_each(s, 0, NULL, NULL) == STORE_INVALID,
	        "raw calls with a bad table, a wrong column count or no callback: INVALID");
	store_close(to);
	T_CHECK(store_user_delete(s, "raw") == STORE_OK && store_client_delete(s, "client-raw") == STORE_OK &&
	            q_exec(s, "DELETE FROM outbox") == 0 && q_exec(s, "DELETE FROM challenges") == 0 &&
	            q_int(s, "SELECT count(*) FROM factors") == 0,
	        "clean up (the factor went with its user)");
}

/* Run the whole contract against c's backend: first the operations on one fresh
 * store, then the races on another. */
/* client_update: every field replaced, the rotation's previous secret kept. */
static void test_client_update(store *s)
{
	struct store_client c = client("client-up", 0), got;

	T_CHECK(store_client_put(s, &c) == STORE_OK, "a client to update");
	snprintf(c.name, sizeof c.name, "Renamed");
	snprintf(c.redirect_uris, sizeof c.redirect_uris, "https://new.example/cb");
	memcpy(c.prev_hash, c.secret_hash, 32);
	c.prev_hash_len = 32;
	memcpy(c.prev_salt, c.secret_salt, 16);
	c.prev_salt_len = 16;
	c.prev_until = NOW + 3600;
	memset(c.secret_hash, 0xcd, 32);
	c.needs_consent = 1;
	T_CHECK(store_client_update(s, &c) == STORE_OK &&
	            store_client_get(s, "client-up", &got) == STORE_OK && client_eq(&c, &got),
	        "client_update replaces every field; the previous secret and its end round-trip");
	snprintf(c.id, sizeof c.id, "client-none");
	T_CHECK(store_client_update(s, &c) == STORE_NOT_FOUND, "client_update of an unknown id: NOT_FOUND");
	snprintf(c.id, sizeof c.id, "client-up");
	c.secret_hash_len = 0;
	T_CHECK(store_client_update(s, &c) == STORE_INVALID &&
	            store_client_get(s, "client-up", &got) == STORE_OK && got.secret_hash_len == 32 &&
	            got.secret_hash[0] == 0xcd,
	        "a confidential client without a secret: INVALID, the row unchanged");
	T_CHECK(store_client_delete(s, "client-up") == STORE_OK, "clean up");
}

/* user_update and user_end_sessions: the profile changes, the password stays;
 * every session, unused code, flow and refresh token of the user ends, and
 * nobody else's. */
static void test_user_lifecycle(store *s)
{
	struct store_client c = client("client-l", 0);
	struct store_user u = user("u-life", "life", "life@example.com"), o = user("u-other", "other", ""),
	                  got;
	struct store_session s1 = session(40, "u-life", NOW + 600), s2 = session(41, "u-other", NOW + 600);
	struct store_refresh r1 = refresh(40, "fam-l1", "client-l", "u-life", NOW + 600),
	                     r2 = refresh(41, "fam-l2", "client-l", "u-other", NOW + 600);
	struct store_code k1 = code(40, "client-l", NOW + 60), k2 = code(41, "client-l", NOW + 60);
	struct store_code kgot;
	struct store_refresh rgot;
	struct store_session sgot;

	snprintf(k1.user_id, sizeof k1.user_id, "u-life");
	snprintf(k2.user_id, sizeof k2.user_id, "u-other");
	T_CHECK(store_client_put(s, &c) == STORE_OK && store_user_put(s, &u) == STORE_OK &&
	            store_user_put(s, &o) == STORE_OK && store_session_put(s, &s1) == STORE_OK &&
	            store_session_put(s, &s2) == STORE_OK && store_refresh_put(s, &r1) == STORE_OK &&
	            store_refresh_put(s, &r2) == STORE_OK && store_code_put(s, &k1) == STORE_OK &&
	            store_code_put(s, &k2) == STORE_OK,
	        "two users with a session, a refresh token and a code each");

	snprintf(u.email, sizeof u.email, "new@example.com");
	snprintf(u.name, sizeof u.name, "Life Two");
	snprintf(u.groups, sizeof u.groups, "ops");
	u.email_verified = 0;
	u.disabled = 1;
	snprintf(u.password_hash, sizeof u.password_hash, "$argon2id$v=19$m=1,t=1,p=1$x$y");
	T_CHECK(store_user_update(s, &u) == STORE_OK && store_user_get(s, "u-life", &got) == STORE_OK &&
	            !strcmp(got.email, "new@example.com") && !strcmp(got.name, "Life Two") &&
	            !strcmp(got.groups, "ops") && got.email_verified == 0 && got.disabled == 1 &&
	            strcmp(got.password_hash, u.password_hash) != 0,
	        "user_update changes the profile and the flags, never the password hash");
	u.email[0] = '\0';
	T_CHECK(store_user_update(s, &u) == STORE_OK &&
	            q_int(s, "SELECT count(*) FROM users WHERE id = 'u-life' AND email IS NULL") == 1,
	        "an address removed is stored as NULL");
	snprintf(u.groups, sizeof u.groups, "a\n\nb");
	T_CHECK(store_user_update(s, &u) == STORE_INVALID, "a malformed group list: INVALID");
	snprintf(u.groups, sizeof u.groups, "ops");
	u.disabled = 2;
	T_CHECK(store_user_update(s, &u) == STORE_INVALID, "disabled outside 0..1: INVALID");
	u.disabled = 0;
	snprintf(u.id, sizeof u.id, "u-none");
	T_CHECK(store_user_update(s, &u) == STORE_NOT_FOUND, "user_update of an unknown id: NOT_FOUND");

	T_CHECK(store_user_end_sessions(s, "u-life") == STORE_OK, "end the sessions of one user");
	T_CHECK(store_session_get(s, s1.id_hash, s1.id_hash_len, NOW, &sgot) == STORE_NOT_FOUND &&
	            store_refresh_get(s, r1.hash, r1.hash_len, NOW, &rgot) == STORE_NOT_FOUND &&
	            store_code_take(s, k1.code_hash, k1.code_hash_len, NOW, &kgot) == STORE_NOT_FOUND,
	        "their session, refresh token and code are gone");
	T_CHECK(store_session_get(s, s2.id_hash, s2.id_hash_len, NOW, &sgot) == STORE_OK &&
	            store_refresh_get(s, r2.hash, r2.hash_len, NOW, &rgot) == STORE_OK &&
	            store_code_take(s, k2.code_hash, k2.code_hash_len, NOW, &kgot) == STORE_OK,
	        "another user's session, refresh token and code are untouched");
	T_CHECK(store_user_end_sessions(s, "u-life") == STORE_OK, "ending again: OK (nothing left)");
	T_CHECK(store_user_end_sessions(s, "u-none") == STORE_NOT_FOUND &&
	            store_user_end_sessions(s, "") == STORE_INVALID &&
	            store_user_end_sessions(s, NULL) == STORE_INVALID,
	        "unknown user NOT_FOUND; empty or NULL id INVALID");
	T_CHECK(store_tx_begin(s) == STORE_OK && store_session_put(s, &s1) == STORE_OK &&
	            store_user_end_sessions(s, "u-life") == STORE_OK && store_tx_end(s, 0) == STORE_OK &&
	            store_session_get(s, s1.id_hash, s1.id_hash_len, NOW, &sgot) == STORE_NOT_FOUND,
	        "inside a transaction it joins it (undone with it)");
	T_CHECK(store_user_delete(s, "life") == STORE_OK && store_user_delete(s, "other") == STORE_OK &&
	            store_client_delete(s, "client-l") == STORE_OK,
	        "clean up");
}

static struct store_link mklink(unsigned n, const char *kind, const char *user_id, int64_t expires_at)
{
	struct store_link l;

	memset(&l, 0, sizeof l);
	memset(l.hash, 0x11, 32);
	l.hash[0] = (uint8_t)n;
	l.hash_len = 32;
	snprintf(l.kind, sizeof l.kind, "%s", kind);
	snprintf(l.user_id, sizeof l.user_id, "%s", user_id);
	snprintf(l.email, sizeof l.email, "x%u@example.com", n);
	l.created_at = NOW;
	l.expires_at = expires_at;
	return l;
}

/* Single-use links, a decoy among them, and finding a user by address. */
static void test_links(store *s)
{
	struct store_user u = user("u-link", "linda", "Linda@Example.COM"), got;
	struct store_link a = mklink(1, "reset", "u-link", NOW + 1800),
	                  v = mklink(2, "verify", "u-link", NOW + 86400),
	                  d = mklink(3, "reset", "", NOW + 1800), out;
	int n = -1;

	T_CHECK(store_user_put(s, &u) == STORE_OK && store_link_put(s, &a) == STORE_OK &&
	            store_link_put(s, &v) == STORE_OK && store_link_put(s, &d) == STORE_OK,
	        "links put: a reset, a verification, a decoy");
	T_CHECK(store_link_put(s, &a) == STORE_CONFLICT, "the same hash again: CONFLICT");
	T_CHECK(store_user_get_by_email(s, "linda@example.com", &got) == STORE_OK &&
	            !strcmp(got.id, "u-link") &&
	            store_user_get_by_email(s, "nobody@example.com", &got) == STORE_NOT_FOUND,
	        "user_get_by_email in any ASCII case; unknown: NOT_FOUND");
	T_CHECK(store_link_get(s, a.hash, 32, "reset", NOW, &out) == STORE_OK &&
	            !strcmp(out.user_id, "u-link") && out.expires_at == NOW + 1800 &&
	            !strcmp(out.email, a.email),
	        "link_get reads a live link, every field");
	T_CHECK(store_link_get(s, a.hash, 32, "verify", NOW, &out) == STORE_NOT_FOUND &&
	            out.user_id[0] == '\0',
	        "another kind: NOT_FOUND, output zeroed");
	T_CHECK(store_link_get(s, d.hash, 32, "reset", NOW, &out) == STORE_NOT_FOUND &&
	            store_link_take(s, d.hash, 32, "reset", NOW, &out) == STORE_NOT_FOUND,
	        "a decoy is never found nor taken");
	T_CHECK(store_link_get(s, a.hash, 32, "reset", NOW + 1800, &out) == STORE_NOT_FOUND,
	        "from expires_at on: NOT_FOUND");
	T_CHECK(store_link_count(s, "u-link", "reset", NOW, &n) == STORE_OK && n == 1 &&
	            store_link_count(s, "u-link", "reset", NOW + 1, &n) == STORE_OK && n == 0,
	        "link_count counts the user's links of a kind since a time");
	T_CHECK(store_link_take(s, a.hash, 32, "reset", NOW, &out) == STORE_OK &&
	            store_link_take(s, a.hash, 32, "reset", NOW, &out) == STORE_NOT_FOUND,
	        "take: once, then NOT_FOUND");
	T_CHECK(store_link_end(s, "u-link", "verify") == STORE_OK &&
	            store_link_get(s, v.hash, 32, "verify", NOW, &out) == STORE_NOT_FOUND,
	        "link_end spends every link of the kind of the user");
	T_CHECK(store_link_purge(s, NOW) == STORE_OK &&
	            q_int(s, "SELECT count(*) FROM account_links WHERE user_id = 'u-link'") == 0 &&
	            q_int(s, "SELECT count(*) FROM account_links WHERE user_id IS NULL") == 1,
	        "purge removes used links; the live decoy stays until it expires");
	T_CHECK(store_link_put(s, &(struct store_link){.hash_len = 0, .kind = "reset", .expires_at = 1}) ==
	                STORE_INVALID &&
	            store_link_get(s, NULL, 32, "reset", NOW, &out) == STORE_INVALID,
	        "no hash: INVALID");
	a = mklink(4, "reset", "u-link", NOW + 60);
	T_CHECK(store_link_put(s, &a) == STORE_OK && store_user_delete(s, "linda") == STORE_OK &&
	            q_int(s, "SELECT count(*) FROM account_links WHERE user_id = 'u-link'") == 0,
	        "removing the user removes their links");
	a = mklink(5, "reset", "u-gone", NOW + 60);
	T_CHECK(store_link_put(s, &a) == STORE_NOT_FOUND, "a link of an unknown user: NOT_FOUND");
	T_CHECK(store_link_purge(s, NOW + 1800) == STORE_OK, "clean up");
}

/* ---- how people signed in (amr), sessions of a user ---- */

struct session_seen {
	int n;
	uint8_t first[2]; /* id_hash[0] of the first two, in order */
	int64_t auth_time[2];
	char amr[STORE_AMR_MAX + 1];
};

static int collect_session(void *ctx, const struct store_session *se)
{
	struct session_seen *v = ctx;

	if (v->n < 2) {
		v->first[v->n] = se->id_hash[0];
		v->auth_time[v->n] = se->auth_time;
	}
	if (v->n == 0)
		snprintf(v->amr, sizeof v->amr, "%s", se->amr);
	v->n++;
	return 0;
}

static int stop_session(void *ctx, const struct store_session *se)
{
	(void)se;
	++*(int *)ctx;
	return 1;
}

/* An amr of n bytes of 'a' (n <= STORE_AMR_MAX + 1: one too many fits the field unterminated). */
static void amr_of(char amr[STORE_AMR_MAX + 1], size_t n)
{
	memset(amr, 'a', STORE_AMR_MAX + 1);
	if (n <= STORE_AMR_MAX)
		amr[n] = '\0';
}

/* amr on sessions, codes, refresh tokens (kept across rotations) and flows; what a put refuses. */
static void test_amr_rows(store *s)
{
	struct store_session se = session(40, "u-m", NOW + 60), got;
	struct store_code c = code(40, "client-m", NOW + 60), gc;
	struct store_refresh r = refresh(40, "fam-m", "client-m", "u-m", NOW + 600), nx, old, gr;
	struct store_flow f = flow(40, "client-m", NOW + 600), gf;

	snprintf(c.user_id, sizeof c.user_id, "u-m");
	snprintf(se.amr, sizeof se.amr, "pwd otp mfa");
	amr_of(r.amr, STORE_AMR_MAX);
	T_CHECK(store_session_put(s, &se) == STORE_OK &&
	            store_session_get(s, se.id_hash, 32, NOW, &got) == STORE_OK &&
	            !strcmp(got.amr, "pwd otp mfa"),
	        "a session's amr round-trips");
	T_CHECK(store_code_put(s, &c) == STORE_OK &&
	            store_code_take(s, c.code_hash, 32, NOW, &gc) == STORE_OK && code_eq(&c, &gc),
	        "a code's amr round-trips through take");
	nx = next_token(41, "client-m", 0);
	snprintf(nx.amr, sizeof nx.amr, "swk");
	T_CHECK(store_refresh_put(s, &r) == STORE_OK &&
	            store_refresh_rotate(s, r.hash, 32, &nx, NOW, 0, &old) == STORE_OK &&
	            !strcmp(old.amr, r.amr) && store_refresh_get(s, nx.hash, 32, NOW, &gr) == STORE_OK &&
	            !strcmp(gr.amr, r.amr),
	        "a refresh token's amr (STORE_AMR_MAX bytes) is kept across a rotation; next's is ignored");
	snprintf(f.amr, sizeof f.amr, "pwd");
	snprintf(f.user_id, sizeof f.user_id, "u-m");
	f.auth_time = NOW - 1;
	f.mfa_pending = 1;
	T_CHECK(store_flow_put(s, &f) == STORE_OK && store_flow_get(s, f.id_hash, 32, NOW, &gf) == STORE_OK &&
	            flow_eq(&f, &gf),
	        "a flow owing its second factor round-trips (amr, mfa_pending)");
	T_CHECK(store_flow_set_user(s, f.id_hash, 32, NOW, "u-m", NOW, "pwd otp mfa", 0) == STORE_OK &&
	            store_flow_get(s, f.id_hash, 32, NOW, &gf) == STORE_OK &&
	            !strcmp(gf.amr, "pwd otp mfa") && gf.mfa_pending == 0 && gf.auth_time == NOW &&
	            !strcmp(gf.user_id, "u-m"),
	        "set_user after the second factor replaces amr and mfa_pending");
	T_CHECK(store_flow_set_user(s, f.id_hash, 32, NOW, "u-m", NOW, "pwd", 1) == STORE_OK &&
	            store_flow_take(s, f.id_hash, 32, NOW, &gf) == STORE_OK && !strcmp(gf.amr, "pwd") &&
	            gf.mfa_pending == 1,
	        "and back (a first factor again): take returns what was recorded last");
	T_CHECK(store_flow_set_user(s, f.id_hash, 32, NOW, "u-m", NOW, "pwd", 0) == STORE_NOT_FOUND,
	        "set_user on a taken flow: NOT_FOUND");
	T_CHECK(store_session_delete(s, se.id_hash, 32) == STORE_OK, "clean up the session");
}

/* Every put and set_user refuses an amr that is too long, unterminated or holds a control character. */
static void test_amr_invalid(store *s)
{
	struct store_session se = session(41, "u-m", NOW + 60);
	struct store_code c = code(41, "client-m", NOW + 60);
	struct store_refresh r = refresh(42, "fam-m2", "client-m", "u-m", NOW + 600);
	struct store_flow f = flow(41, "client-m", NOW + 600), g = flow(42, "client-m", NOW + 600);
	char amr[STORE_AMR_MAX + 2];
	int bad = 0;

	snprintf(c.user_id, sizeof c.user_id, "u-m");
	for (int k = 0; k < 3; k++) { /* unterminated; a newline; DEL */
		amr_of(se.amr, STORE_AMR_MAX + 1);
		if (k)
			snprintf(se.amr, sizeof se.amr, "pwd%cotp", k == 1 ? '\n' : 0x7f);
		memcpy(c.amr, se.amr, sizeof c.amr);
		memcpy(r.amr, se.amr, sizeof r.amr);
		memcpy(f.amr, se.amr, sizeof f.amr);
		bad += store_session_put(s, &se) == STORE_INVALID && store_code_put(s, &c) == STORE_INVALID &&
		       store_refresh_put(s, &r) == STORE_INVALID && store_flow_put(s, &f) == STORE_INVALID;
	}
	T_CHECK(bad == 3, "an unterminated amr, or one with a newline or DEL: INVALID on every put");
	T_CHECK(store_flow_put(s, &g) == STORE_OK, "a flow to sign in to");
	amr_of(amr, STORE_AMR_MAX + 1);
	amr[STORE_AMR_MAX + 1] = '\0';
	T_CHECK(store_flow_set_user(s, g.id_hash, 32, NOW, "u-m", NOW, amr, 0) == STORE_INVALID &&
	            store_flow_set_user(s, g.id_hash, 32, NOW, "u-m", NOW, "pwd\totp", 0) == STORE_INVALID &&
	            store_flow_set_user(s, g.id_hash, 32, NOW, "u-m", NOW, NULL, 0) == STORE_INVALID &&
	            store_flow_set_user(s, g.id_hash, 32, NOW, "u-m", NOW, "pwd", 2) == STORE_INVALID &&
	            store_flow_set_user(s, g.id_hash, 32, NOW, "u-m", NOW, "pwd", -1) == STORE_INVALID,
	        "set_user: an amr too long, with a tab or NULL, mfa_pending not 0 or 1: INVALID");
	amr_of(amr, STORE_AMR_MAX);
	T_CHECK(store_flow_set_user(s, g.id_hash, 32, NOW, "u-m", NOW, amr, 0) == STORE_OK &&
	            store_flow_set_user(s, g.id_hash, 32, NOW, "u-m", NOW, "", 0) == STORE_OK,
	        "set_user: an amr of STORE_AMR_MAX bytes, or \"\": OK");
	f = flow(43, "client-m", NOW + 600);
	f.mfa_pending = 1;
	T_CHECK(store_flow_put(s, &f) == STORE_INVALID, "a flow owing a second factor but nobody's: INVALID");
	f.mfa_pending = 2;
	snprintf(f.user_id, sizeof f.user_id, "u-m");
	f.auth_time = NOW;
	T_CHECK(store_flow_put(s, &f) == STORE_INVALID, "mfa_pending 2: INVALID");
	T_CHECK(q_execf(s, "UPDATE login_flows SET amr = '%s' WHERE client_id = 'client-m'",
	                xs(STORE_AMR_MAX + 1)) == 0 &&
	            store_flow_get(s, g.id_hash, 32, NOW, &f) == STORE_CORRUPT,
	        "a stored amr longer than STORE_AMR_MAX: CORRUPT, not cut");
	T_CHECK(q_exec(s, "DELETE FROM login_flows WHERE client_id = 'client-m'") == 0, "clean up the flows");
}

/* session_list: the user's unexpired sessions, newest sign-in first. */
static void test_session_list(store *s)
{
	struct store_session a = session(50, "u-m", NOW + 60), b = session(51, "u-m", NOW + 60),
	                     c = session(52, "u-m", NOW + 5), d = session(53, "u-n", NOW + 60);
	struct session_seen v = {0};
	int stops = 0;

	a.auth_time = NOW - 30;
	b.auth_time = NOW - 5;
	snprintf(b.amr, sizeof b.amr, "pwd otp mfa");
	T_CHECK(store_session_put(s, &a) == STORE_OK && store_session_put(s, &b) == STORE_OK &&
	            store_session_put(s, &c) == STORE_OK && store_session_put(s, &d) == STORE_OK,
	        "sessions of two users, one about to expire");
	T_CHECK(store_session_list(s, "u-m", NOW + 5, collect_session, &v) == STORE_OK && v.n == 2 &&
	            v.first[0] == 51 && v.first[1] == 50 && v.auth_time[0] == NOW - 5 &&
	            !strcmp(v.amr, "pwd otp mfa"),
	        "session_list: the user's unexpired sessions, newest auth_time first, amr included (%d)",
	        v.n);
	memset(&v, 0, sizeof v);
	T_CHECK(store_session_list(s, "u-m", NOW, collect_session, &v) == STORE_OK && v.n == 3,
	        "before the third one's expiry: three");
	memset(&v, 0, sizeof v);
	T_CHECK(store_session_list(s, "u-none", NOW, collect_session, &v) == STORE_OK && v.n == 0,
	        "an unknown user: none, OK");
	T_CHECK(store_session_list(s, "u-m", NOW, stop_session, &stops) == STORE_OK && stops == 1,
	        "a callback's non-zero stops the list (OK)");
	T_CHECK(store_session_list(s, NULL, NOW, collect_session, &v) == STORE_INVALID &&
	            store_session_list(s, "u-m", NOW, NULL, NULL) == STORE_INVALID,
	        "NULL user or callback: INVALID");
	T_CHECK(store_user_end_sessions(s, "u-m") == STORE_OK &&
	            store_session_list(s, "u-m", NOW, stop_session, &stops) == STORE_OK && stops == 1 &&
	            store_session_delete(s, d.id_hash, 32) == STORE_OK,
	        "end_sessions leaves none to list");
}

/* ---- second factors ---- */

static struct store_factor factor(const char *id, const char *user_id, const char *kind, int64_t created)
{
	struct store_factor f;
	int passkey = !strcmp(kind, STORE_FACTOR_PASSKEY);

	memset(&f, 0, sizeof f);
	snprintf(f.id, sizeof f.id, "%s", id);
	snprintf(f.user_id, sizeof f.user_id, "%s", user_id);
	snprintf(f.kind, sizeof f.kind, "%s", kind);
	snprintf(f.name, sizeof f.name, "Phone of %s", user_id);
	if (passkey) {
		memset(f.cred_id, 0xcd, 20);
		f.cred_id[0] = (uint8_t)id[strlen(id) - 1];
		f.cred_id_len = 20;
	}
	for (size_t i = 0; i < 48; i++)
		f.data[i] = (uint8_t)(i * 13 + (uint8_t)id[0]);
	f.data_len = 48;
	f.confirmed = strcmp(kind, STORE_FACTOR_TOTP) != 0;
	f.created_at = created;
	return f;
}

static int factor_eq(const struct store_factor *a, const struct store_factor *b)
{
	return !strcmp(a->id, b->id) && !strcmp(a->user_id, b->user_id) && !strcmp(a->kind, b->kind) &&
	       !strcmp(a->name, b->name) && a->cred_id_len == b->cred_id_len &&
	       !memcmp(a->cred_id, b->cred_id, a->cred_id_len) && a->data_len == b->data_len &&
	       !memcmp(a->data, b->data, a->data_len) && a->counter == b->counter &&
	       a->confirmed == b->confirmed && a->created_at == b->created_at &&
	       a->last_used_at == b->last_used_at;
}

struct factor_seen {
	int n;
	struct store_factor f[6];
};

static int collect_factor(void *ctx, const struct store_factor *f)
{
	struct factor_seen *v = ctx;

	if (v->n < 6)
		v->f[v->n] = *f;
	v->n++;
	return 0;
}

static int stop_factor(void *ctx, const struct store_factor *f)
{
	(void)f;
	++*(int *)ctx;
	return 1;
}

/* The factor id of user_id as stored, into *out (by its list). */
static int factor_now(store *s, const char *user_id, const char *id, struct store_factor *out)
{
	struct factor_seen v = {0};

	if (store_factor_list(s, user_id, collect_factor, &v) != STORE_OK)
		return 0;
	for (int i = 0; i < v.n && i < 6; i++)
		if (!strcmp(v.f[i].id, id)) {
			*out = v.f[i];
			return 1;
		}
	return 0;
}

/* put, list, by_cred and what put refuses. */
static void test_factor_put(store *s)
{
	struct store_factor t = factor("f-totp", "u-m", STORE_FACTOR_TOTP, NOW - 10),
	                    r = factor("f-rec", "u-m", STORE_FACTOR_RECOVERY, NOW - 20),
	                    p = factor("f-pk1", "u-m", STORE_FACTOR_PASSKEY, NOW - 10),
	                    o = factor("f-other", "u-n", STORE_FACTOR_PASSKEY, NOW), bad, got;
	struct factor_seen v = {0};
	int stops = 0;

	p.counter = 7;
	p.last_used_at = NOW - 1;
	snprintf(p.name, sizeof p.name, "YubiKey 5 «blue»");
	T_CHECK(store_factor_put(s, &t) == STORE_OK && store_factor_put(s, &r) == STORE_OK &&
	            store_factor_put(s, &p) == STORE_OK && store_factor_put(s, &o) == STORE_OK,
	        "factors of each kind put, for two users");
	T_CHECK(store_factor_list(s, "u-m", collect_factor, &v) == STORE_OK && v.n == 3 &&
	            factor_eq(&v.f[0], &r) && factor_eq(&v.f[1], &p) && factor_eq(&v.f[2], &t),
	        "list: the user's factors only, oldest first, then by id; every field round-trips");
	T_CHECK(store_factor_list(s, "u-m", stop_factor, &stops) == STORE_OK && stops == 1,
	        "a callback's non-zero stops the list (OK)");
	memset(&v, 0, sizeof v);
	T_CHECK(store_factor_list(s, "u-none", collect_factor, &v) == STORE_OK && v.n == 0 &&
	            store_factor_list(s, NULL, collect_factor, &v) == STORE_INVALID &&
	            store_factor_list(s, "u-m", NULL, NULL) == STORE_INVALID,
	        "list: an unknown user has none; NULL user or callback: INVALID");
	T_CHECK(store_factor_by_cred(s, p.cred_id, p.cred_id_len, &got) == STORE_OK && factor_eq(&p, &got),
	        "by_cred: the passkey of that credential id, whole");
	T_CHECK(store_factor_by_cred(s, p.cred_id, 19, &got) == STORE_NOT_FOUND && got.id[0] == '\0',
	        "by_cred: another credential id: NOT_FOUND (zeroed)");
	T_CHECK(store_factor_by_cred(s, p.cred_id, 0, &got) == STORE_INVALID &&
	            store_factor_by_cred(s, NULL, 20, &got) == STORE_INVALID &&
	            store_factor_by_cred(s, p.cred_id, STORE_CRED_ID_MAX + 1, &got) == STORE_INVALID &&
	            store_factor_by_cred(s, p.cred_id, 20, NULL) == STORE_INVALID,
	        "by_cred: empty, NULL or over-long credential id, NULL out: INVALID");

	bad = factor("f-totp", "u-n", STORE_FACTOR_TOTP, NOW);
	T_CHECK(store_factor_put(s, &bad) == STORE_CONFLICT,
	        "an id taken (by another user's factor): CONFLICT");
	bad = factor("f-pk2", "u-n", STORE_FACTOR_PASSKEY, NOW);
	memcpy(bad.cred_id, p.cred_id, 20);
	T_CHECK(store_factor_put(s, &bad) == STORE_CONFLICT,
	        "a credential id taken (another user's): CONFLICT");
	bad = factor("f-x", "u-none", STORE_FACTOR_TOTP, NOW);
	T_CHECK(store_factor_put(s, &bad) == STORE_NOT_FOUND, "a factor of an unknown user: NOT_FOUND");
	bad = factor("f-x", "u-m", "sms", NOW);
	T_CHECK(store_factor_put(s, &bad) == STORE_INVALID, "an unknown kind: INVALID");
	bad = factor("f-x", "u-m", STORE_FACTOR_PASSKEY, NOW);
	bad.cred_id_len = 0;
	T_CHECK(store_factor_put(s, &bad) == STORE_INVALID, "a passkey without a credential id: INVALID");
	bad.cred_id_len = STORE_CRED_ID_MAX + 1;
	T_CHECK(store_factor_put(s, &bad) == STORE_INVALID,
	        "a credential id over STORE_CRED_ID_MAX: INVALID");
	bad = factor("f-x", "u-m", STORE_FACTOR_TOTP, NOW);
	bad.cred_id_len = 4;
	T_CHECK(store_factor_put(s, &bad) == STORE_INVALID, "a TOTP with a credential id: INVALID");
	bad = factor("f-x", "u-m", STORE_FACTOR_TOTP, NOW);
	bad.data_len = STORE_FACTOR_DATA_MAX + 1;
	T_CHECK(store_factor_put(s, &bad) == STORE_INVALID, "data over STORE_FACTOR_DATA_MAX: INVALID");
	bad = factor("f-x", "u-m", STORE_FACTOR_TOTP, NOW);
	memset(bad.name, 'n', sizeof bad.name);
	T_CHECK(store_factor_put(s, &bad) == STORE_INVALID, "an unterminated name: INVALID");
	snprintf(bad.name, sizeof bad.name, "two\nlines");
	T_CHECK(store_factor_put(s, &bad) == STORE_INVALID, "a name with a newline: INVALID");
	bad = factor("", "u-m", STORE_FACTOR_TOTP, NOW);
	T_CHECK(store_factor_put(s, &bad) == STORE_INVALID, "an empty id: INVALID");
	bad = factor("f-x", "u-m", STORE_FACTOR_TOTP, NOW);
	memset(bad.id, 'i', sizeof bad.id);
	T_CHECK(store_factor_put(s, &bad) == STORE_INVALID, "an unterminated id: INVALID");
	bad = factor("f-x", "", STORE_FACTOR_TOTP, NOW);
	T_CHECK(store_factor_put(s, &bad) == STORE_INVALID, "no user: INVALID");
	bad = factor("f-x", "u-m", STORE_FACTOR_TOTP, NOW);
	bad.counter = -1;
	T_CHECK(store_factor_put(s, &bad) == STORE_INVALID, "a negative counter: INVALID");
	bad.counter = 0;
	bad.confirmed = 2;
	T_CHECK(store_factor_put(s, &bad) == STORE_INVALID && store_factor_put(s, NULL) == STORE_INVALID,
	        "confirmed 2, or a NULL factor: INVALID");
	bad = factor("f-full", "u-m", STORE_FACTOR_RECOVERY, NOW);
	memset(bad.data, 0xee, STORE_FACTOR_DATA_MAX);
	bad.data_len = STORE_FACTOR_DATA_MAX;
	memset(bad.name, 'n', STORE_NAME_MAX);
	bad.name[STORE_NAME_MAX] = '\0';
	T_CHECK(store_factor_put(s, &bad) == STORE_OK && factor_now(s, "u-m", "f-full", &got) &&
	            factor_eq(&bad, &got) && store_factor_delete(s, "f-full", "u-m") == STORE_OK,
	        "data of STORE_FACTOR_DATA_MAX bytes and a name of STORE_NAME_MAX round-trip");
	T_CHECK(q_int(s, "SELECT count(*) FROM factors WHERE user_id = 'u-m'") == 3,
	        "and no refused put wrote");
}

/* use: single per counter; swap: a compare-and-swap of the bytes. */
static void test_factor_use_swap(store *s)
{
	struct store_factor got, r = factor("f-rec", "u-m", STORE_FACTOR_RECOVERY, NOW - 20);
	uint8_t next[40];

	T_CHECK(store_factor_use(s, "f-totp", "u-m", 55, NOW) == STORE_OK &&
	            factor_now(s, "u-m", "f-totp", &got) && got.counter == 55 && got.last_used_at == NOW &&
	            got.confirmed == 1,
	        "use: a TOTP's first code stores its step and when, and confirms it");
	T_CHECK(store_factor_use(s, "f-totp", "u-m", 55, NOW + 1) == STORE_CONFLICT &&
	            store_factor_use(s, "f-totp", "u-m", 54, NOW + 1) == STORE_CONFLICT &&
	            factor_now(s, "u-m", "f-totp", &got) && got.counter == 55 && got.last_used_at == NOW,
	        "use: the same step again, or an older one: CONFLICT, nothing changes (a replayed code)");
	T_CHECK(store_factor_use(s, "f-totp", "u-m", 56, NOW + 30) == STORE_OK &&
	            factor_now(s, "u-m", "f-totp", &got) && got.counter == 56,
	        "use: the next step: OK");
	T_CHECK(store_factor_use(s, "f-totp", "u-n", 57, NOW) == STORE_NOT_FOUND &&
	            store_factor_use(s, "f-none", "u-m", 57, NOW) == STORE_NOT_FOUND &&
	            factor_now(s, "u-m", "f-totp", &got) && got.counter == 56,
	        "use: another user's factor, or an unknown one: NOT_FOUND, nothing changes");
	T_CHECK(store_factor_use(s, "f-totp", "u-m", -1, NOW) == STORE_INVALID &&
	            store_factor_use(s, NULL, "u-m", 60, NOW) == STORE_INVALID &&
	            store_factor_use(s, "f-totp", NULL, 60, NOW) == STORE_INVALID,
	        "use: a negative counter, NULL id or user: INVALID");
	T_CHECK(store_factor_use(s, "f-other", "u-n", 0, NOW) == STORE_OK &&
	            store_factor_use(s, "f-other", "u-n", 0, NOW + 1) == STORE_OK &&
	            factor_now(s, "u-n", "f-other", &got) && got.counter == 0 && got.last_used_at == NOW + 1,
	        "use: an authenticator without a counter (both 0): every use OK");
	T_CHECK(store_factor_use(s, "f-other", "u-n", 3, NOW + 2) == STORE_OK &&
	            store_factor_use(s, "f-other", "u-n", 0, NOW + 3) == STORE_CONFLICT &&
	            store_factor_use(s, "f-other", "u-n", 3, NOW + 3) == STORE_CONFLICT,
	        "use: once it counts, 0 or the same count again: CONFLICT (a cloned authenticator)");

	memset(next, 0x42, sizeof next);
	T_CHECK(store_factor_swap(s, "f-rec", "u-m", next, sizeof next, next, 8, NOW) == STORE_CONFLICT &&
	            factor_now(s, "u-m", "f-rec", &got) && factor_eq(&r, &got),
	        "swap from bytes it no longer holds: CONFLICT, nothing changes");
	T_CHECK(store_factor_swap(s, "f-rec", "u-m", r.data, r.data_len - 1, next, 8, NOW) == STORE_CONFLICT,
	        "swap from a prefix of its bytes: CONFLICT");
	T_CHECK(store_factor_swap(s, "f-rec", "u-m", r.data, r.data_len, next, sizeof next, NOW + 5) ==
	                STORE_OK &&
	            factor_now(s, "u-m", "f-rec", &got) && got.data_len == sizeof next &&
	            !memcmp(got.data, next, sizeof next) && got.last_used_at == NOW + 5 && got.counter == 0,
	        "swap from its bytes: OK, the new bytes and when");
	T_CHECK(store_factor_swap(s, "f-rec", "u-m", r.data, r.data_len, next, 8, NOW + 6) == STORE_CONFLICT,
	        "the same swap again (a recovery code spent twice): CONFLICT");
	T_CHECK(store_factor_swap(s, "f-rec", "u-n", next, sizeof next, NULL, 0, NOW) == STORE_NOT_FOUND &&
	            store_factor_swap(s, "f-none", "u-m", next, sizeof next, NULL, 0, NOW) == STORE_NOT_FOUND,
	        "swap of another user's factor, or an unknown one: NOT_FOUND");
	T_CHECK(store_factor_swap(s, "f-rec", "u-m", next, sizeof next, NULL, 0, NOW + 7) == STORE_OK &&
	            factor_now(s, "u-m", "f-rec", &got) && got.data_len == 0 &&
	            store_factor_swap(s, "f-rec", "u-m", next, sizeof next, next, 1, NOW) == STORE_CONFLICT &&
	            store_factor_swap(s, "f-rec", "u-m", NULL, 0, next, 4, NOW + 8) == STORE_OK &&
	            factor_now(s, "u-m", "f-rec", &got) && got.data_len == 4,
	        "swap to no bytes and from no bytes");
	T_CHECK(q_exec(s, "UPDATE factors SET data = substr(data, 1, 0) WHERE id = 'f-rec'") == 0 &&
	            store_factor_swap(s, "f-rec", "u-m", next, 4, next, 1, NOW) == STORE_CONFLICT &&
	            store_factor_swap(s, "f-rec", "u-m", NULL, 0, next, 4, NOW + 9) == STORE_OK &&
	            factor_now(s, "u-m", "f-rec", &got) && got.data_len == 4 && got.last_used_at == NOW + 9,
	        "stored empty bytes (not NULL, as a copy may write them) equal no bytes too");
	T_CHECK(store_factor_swap(s, "f-rec", "u-m", NULL, 4, next, 4, NOW) == STORE_INVALID &&
	            store_factor_swap(s, "f-rec", "u-m", next, 4, NULL, 4, NOW) == STORE_INVALID &&
	            store_factor_swap(s, "f-rec", "u-m", next, 4, next, STORE_FACTOR_DATA_MAX + 1, NOW) ==
	                STORE_INVALID &&
	            store_factor_swap(s, NULL, "u-m", next, 4, next, 4, NOW) == STORE_INVALID,
	        "swap: NULL bytes with a length, new bytes over the limit, NULL id: INVALID");
}

/* delete, clear, the user's removal; a stored row that does not fit. */
static void test_factor_delete(store *s)
{
	struct store_factor p2 = factor("f-pk2", "u-m", STORE_FACTOR_PASSKEY, NOW), got;
	int n = -1;

	T_CHECK(store_factor_delete(s, "f-totp", "u-n") == STORE_NOT_FOUND &&
	            store_factor_delete(s, "f-totp", "u-m") == STORE_OK &&
	            store_factor_delete(s, "f-totp", "u-m") == STORE_NOT_FOUND &&
	            store_factor_delete(s, NULL, "u-m") == STORE_INVALID,
	        "delete: only the owner's; again NOT_FOUND; NULL id: INVALID");
	T_CHECK(store_factor_put(s, &p2) == STORE_OK &&
	            store_factor_clear(s, "u-m", "sms", &n) == STORE_INVALID &&
	            store_factor_clear(s, NULL, NULL, &n) == STORE_INVALID,
	        "clear: an unknown kind or no user: INVALID");
	T_CHECK(store_factor_clear(s, "u-m", STORE_FACTOR_PASSKEY, &n) == STORE_OK && n == 2 &&
	            q_int(s, "SELECT count(*) FROM factors WHERE user_id = 'u-m'") == 1 &&
	            q_int(s, "SELECT count(*) FROM factors WHERE user_id = 'u-n'") == 1,
	        "clear of a kind: the user's passkeys only (%d)", n);
	T_CHECK(store_factor_clear(s, "u-none", NULL, &n) == STORE_OK && n == 0 &&
	            store_factor_clear(s, "u-m", NULL, NULL) == STORE_OK &&
	            q_int(s, "SELECT count(*) FROM factors WHERE user_id = 'u-m'") == 0,
	        "clear of all: OK with n NULL; a user without any: 0");
	p2 = factor("f-pk3", "u-m", STORE_FACTOR_PASSKEY, NOW);
	T_CHECK(store_factor_put(s, &p2) == STORE_OK &&
	            q_execf(s, "UPDATE factors SET name = '%s' WHERE id = 'f-pk3'", xs(STORE_NAME_MAX + 1)) ==
	                0 &&
	            store_factor_by_cred(s, p2.cred_id, p2.cred_id_len, &got) == STORE_CORRUPT &&
	            got.id[0] == '\0' &&
	            store_factor_list(s, "u-m", collect_factor, &(struct factor_seen){0}) == STORE_CORRUPT,
	        "a stored name longer than STORE_NAME_MAX: CORRUPT, never cut");
	T_CHECK(store_user_end_sessions(s, "u-m") == STORE_OK &&
	            q_int(s, "SELECT count(*) FROM factors WHERE user_id = 'u-m'") == 1,
	        "ending the user's sessions keeps their factors");
}

/* ---- WebAuthn challenges ---- */

static void test_challenges(store *s)
{
	uint8_t h[32], h2[32], h3[32];
	char uid[STORE_ID_MAX + 1] = "x";

	memset(h, 0xa1, sizeof h);
	memset(h2, 0xa2, sizeof h2);
	memset(h3, 0xa3, sizeof h3);
	T_CHECK(store_challenge_put(s, h, 32, "u-m", NOW + 60) == STORE_OK &&
	            store_challenge_put(s, h, 32, "u-n", NOW + 90) == STORE_CONFLICT,
	        "challenge put; the same hash again: CONFLICT");
	T_CHECK(store_challenge_put(s, h2, 32, "", NOW + 60) == STORE_OK,
	        "a challenge for nobody yet (\"\")");
	T_CHECK(store_challenge_take(s, h, 32, NOW + 60, uid) == STORE_NOT_FOUND && uid[0] == '\0',
	        "take at its expiry: NOT_FOUND");
	T_CHECK(store_challenge_take(s, h, 32, NOW + 59, uid) == STORE_OK && !strcmp(uid, "u-m"),
	        "take before: OK, its user");
	T_CHECK(store_challenge_take(s, h, 32, NOW, uid) == STORE_NOT_FOUND && uid[0] == '\0',
	        "take again: NOT_FOUND (single use)");
	snprintf(uid, sizeof uid, "x");
	T_CHECK(store_challenge_take(s, h2, 32, NOW, uid) == STORE_OK && uid[0] == '\0',
	        "take of nobody's challenge: OK, \"\"");
	T_CHECK(store_challenge_take(s, h2, 31, NOW, uid) == STORE_NOT_FOUND, "an unknown hash: NOT_FOUND");
	T_CHECK(store_challenge_put(s, h, 0, "u-m", NOW) == STORE_INVALID &&
	            store_challenge_put(s, h, STORE_HASH_MAX + 1, "u-m", NOW) == STORE_INVALID &&
	            store_challenge_put(s, NULL, 32, "u-m", NOW) == STORE_INVALID &&
	            store_challenge_put(s, h, 32, NULL, NOW) == STORE_INVALID &&
	            store_challenge_put(s, h, 32, xs(STORE_ID_MAX + 1), NOW) == STORE_INVALID,
	        "put: empty, over-long or NULL hash, NULL or over-long user: INVALID");
	T_CHECK(store_challenge_take(s, h, 0, NOW, uid) == STORE_INVALID &&
	            store_challenge_take(s, NULL, 32, NOW, uid) == STORE_INVALID &&
	            store_challenge_take(s, h, 32, NOW, NULL) == STORE_INVALID,
	        "take: empty or NULL hash, NULL out: INVALID");
	T_CHECK(store_challenge_put(s, h, 32, "u-m", NOW + 10) == STORE_OK &&
	            store_challenge_put(s, h3, 32, "u-m", NOW + 11) == STORE_OK &&
	            store_challenge_purge(s, NOW + 10) == STORE_OK &&
	            q_int(s, "SELECT count(*) FROM challenges") == 1 &&
	            store_challenge_take(s, h3, 32, NOW + 10, uid) == STORE_OK,
	        "purge deletes only the expired");
	T_CHECK(q_execf(s, "INSERT INTO challenges (hash, user_id, expires_at) VALUES (%s, '%s', %d)",
	                SC->ops == &store_pg_ops ? "'\\xa4'::bytea" : "x'a4'", xs(STORE_ID_MAX + 1),
	                NOW + 60) == 0 &&
	            store_challenge_take(s, (const uint8_t *)"\xa4", 1, NOW, uid) == STORE_CORRUPT &&
	            uid[0] == '\0',
	        "a stored user id over STORE_ID_MAX: CORRUPT, never cut");
}

static void test_mfa(store *s)
{
	struct store_user u = user("u-m", "mallory", ""), n = user("u-n", "niaj", "");
	struct store_client c = client("client-m", 1);

	T_CHECK(store_user_put(s, &u) == STORE_OK && store_user_put(s, &n) == STORE_OK &&
	            store_client_put(s, &c) == STORE_OK,
	        "user u-m and client-m for multi-factor sign-in");
	test_amr_rows(s);
	test_amr_invalid(s);
	test_session_list(s);
	test_factor_put(s);
	test_factor_use_swap(s);
	test_factor_delete(s);
	test_challenges(s);
	T_CHECK(store_user_delete(s, "mallory") == STORE_OK &&
	            q_int(s, "SELECT count(*) FROM factors WHERE user_id = 'u-m'") == 0 &&
	            store_user_delete(s, "niaj") == STORE_OK &&
	            q_int(s, "SELECT count(*) FROM factors") == 0 &&
	            store_client_delete(s, "client-m") == STORE_OK,
	        "removing the user removes their factors (foreign key); clean up");
}

/* ---- concurrency of single uses: factors and challenges ---- */

struct mfa_racer {
	pthread_barrier_t *bar;
	store *s;
	int errors;
	unsigned char used[NCODE], took[NCODE];
};

static void challenge_hash(unsigned i, uint8_t h[32])
{
	memset(h, 0x6c, 32);
	h[0] = (uint8_t)(i >> 8);
	h[1] = (uint8_t)i;
}

/* Round i: every thread uses the factor with step i + 1 and takes challenge i, at once. */
static void *mfa_race(void *arg)
{
	struct mfa_racer *r = arg;
	char uid[STORE_ID_MAX + 1];

	for (unsigned i = 0; i < NCODE; i++) {
		uint8_t h[32];
		store_err e;

		challenge_hash(i, h);
		pthread_barrier_wait(r->bar);
		if (!r->s)
			continue;
		e = store_factor_use(r->s, "f-race", "user-1", (int64_t)i + 1, NOW + i);
		r->used[i] = e == STORE_OK;
		r->errors += e != STORE_OK && e != STORE_CONFLICT;
		e = store_challenge_take(r->s, h, 32, NOW, uid);
		r->took[i] = e == STORE_OK && !strcmp(uid, "user-1");
		r->errors += e != STORE_OK && e != STORE_NOT_FOUND;
	}
	return NULL;
}

/* Challenges 0..n-1 and factor id (counter 0) of user-1 in the race store. */
static int mfa_race_rows(store *s, const char *id, unsigned n)
{
	struct store_factor f = factor(id, "user-1", STORE_FACTOR_TOTP, NOW);
	int ok = store_tx_begin(s) == STORE_OK && store_factor_put(s, &f) == STORE_OK;

	for (unsigned i = 0; ok && i < n; i++) {
		uint8_t h[32];

		challenge_hash(i, h);
		ok &= store_challenge_put(s, h, 32, "user-1", NOW + 60) == STORE_OK;
	}
	return store_tx_end(s, ok) == STORE_OK && ok;
}

static void test_mfa_race(void)
{
	char err[512];
	pthread_t th[NTHREAD];
	pthread_barrier_t bar;
	struct mfa_racer r[NTHREAD];
	store *s = copen(race_where, err, sizeof err);
	int opened = 0, errors = 0, exact_use = 1, exact_take = 1;

	if (!s) {
		T_CHECK(0, "reopen the race store: %s", err);
		return;
	}
	T_CHECK(mfa_race_rows(s, "f-race", NCODE), "a factor and %d challenges put", NCODE);
	memset(r, 0, sizeof r);
	pthread_barrier_init(&bar, NULL, NTHREAD);
	for (int t = 0; t < NTHREAD; t++) {
		r[t].bar = &bar;
		opened += (r[t].s = copen(race_where, NULL, 0)) != NULL;
	}
	for (int t = 0; t < NTHREAD; t++)
		pthread_create(&th[t], NULL, mfa_race, &r[t]);
	for (int t = 0; t < NTHREAD; t++) {
		pthread_join(th[t], NULL);
		errors += r[t].errors;
	}
	for (unsigned i = 0; i < NCODE; i++) {
		int used = 0, took = 0;

		for (int t = 0; t < NTHREAD; t++)
			used += r[t].used[i], took += r[t].took[i];
		exact_use &= used == 1;
		exact_take &= took == 1;
	}
	T_CHECK(opened == NTHREAD && exact_use && errors == 0,
	        "%d threads, own connections, use one factor with each of %d steps at once: exactly one OK "
	        "each (%d errors)",
	        NTHREAD, NCODE, errors);
	T_CHECK(opened == NTHREAD && exact_take,
	        "%d threads take each of %d challenges at once: exactly one winner each", NTHREAD, NCODE);
	T_CHECK(q_int(s, "SELECT counter FROM factors WHERE id = 'f-race'") == NCODE &&
	            q_int(s, "SELECT count(*) FROM challenges") == 0,
	        "the factor holds the last step; every challenge is gone");
	for (int t = 0; t < NTHREAD; t++)
		store_close(r[t].s);
	store_close(s);
	pthread_barrier_destroy(&bar);
}

/* The same between processes: each child uses factor f-proc-i with step 7 and takes challenge i. */
static void test_mfa_processes(void)
{
	char err[512];
	pid_t pid[NPROC];
	int fd[NPROC][2];
	unsigned char won[NPROC][2 * NPCODE];
	store *s = copen(race_where, err, sizeof err);
	int exact = 1, clean = 1, ok = 1;

	if (!s) {
		T_CHECK(0, "reopen the race store: %s", err);
		return;
	}
	for (unsigned i = 0; i < NPCODE; i++) {
		char id[32];

		snprintf(id, sizeof id, "f-proc-%u", i);
		ok &= mfa_race_rows(s, id, i == 0 ? NPCODE : 0);
	}
	store_close(s);
	T_CHECK(ok, "%d factors and challenges put", NPCODE);
	fflush(stdout);
	for (int k = 0; k < NPROC; k++) {
		if (pipe(fd[k]) != 0 || (pid[k] = fork()) < 0) {
			T_CHECK(0, "pipe/fork");
			return;
		}
		if (pid[k] == 0) {
			unsigned char w[2 * NPCODE] = {0};
			char uid[STORE_ID_MAX + 1], id[32];
			store *cs = copen(race_where, NULL, 0);

			close(fd[k][0]);
			for (unsigned i = 0; cs && i < NPCODE; i++) {
				uint8_t h[32];
				store_err e;

				snprintf(id, sizeof id, "f-proc-%u", i);
				e = store_factor_use(cs, id, "user-1", 7, NOW);
				w[i] = e == STORE_OK ? 1 : e == STORE_CONFLICT ? 0 : 2;
				challenge_hash(i, h);
				e = store_challenge_take(cs, h, 32, NOW, uid);
				w[NPCODE + i] = e == STORE_OK ? 1 : e == STORE_NOT_FOUND ? 0 : 2;
			}
			store_close(cs);
			_exit(cs && write(fd[k][1], w, sizeof w) == (ssize_t)sizeof w ? 0 : 1);
		}
		close(fd[k][1]);
	}
	for (int k = 0; k < NPROC; k++) {
		int st = 0;

		clean &= read(fd[k][0], won[k], sizeof won[k]) == (ssize_t)sizeof won[k];
		close(fd[k][0]);
		clean &= waitpid(pid[k], &st, 0) == pid[k] && WIFEXITED(st) && WEXITSTATUS(st) == 0;
	}
	for (unsigned i = 0; clean && i < 2 * NPCODE; i++) {
		int winners = 0;

		for (int k = 0; k < NPROC; k++) {
			clean &= won[k][i] != 2;
			winners += won[k][i] == 1;
		}
		exact &= winners == 1;
	}
	T_CHECK(
	    clean && exact,
	    "%d processes use each of %d factors with one step, and take each of %d challenges: exactly one "
	    "OK each",
	    NPROC, NPCODE, NPCODE);
}

static void contract_run(const struct store_contract *c)
{
	char err[512];
	store *s;

	SC = c;
	test_ops_table(c->ops);
	s = c->fresh("ops", ops_where, sizeof ops_where) == 0 ? copen(ops_where, err, sizeof err) : NULL;
	T_CHECK(s != NULL, "a fresh %s store for the operations (%s)", c->ops->name, s ? "ok" : err);
	if (s) {
		test_clients(s);
		test_keys(s);
		test_revoke(s);
		test_codes(s);
		test_users(s);
		test_logins(s);
		test_sessions(s);
		test_refresh(s);
		test_refresh_grace(s);
		test_flows(s);
		test_client_update(s);
		test_user_lifecycle(s);
		test_links(s);
		test_tx(s);
		test_outbox(s);
		test_mfa(s);
		test_raw(s);
		store_close(s);
	}
	test_concurrency();
	test_processes();
	test_flow_race();
	test_tx_race();
	test_rotate_race();
	test_rotate_processes();
	test_outbox_race();
	test_mfa_race();
	test_mfa_processes();
}

#endif
