/*
 * test_store.c: the SQLite storage backend (issuer/store_sqlite.c) through the
 * storage seam, on real files in a fresh directory under /tmp (removed at the
 * end): migrations, refusals (newer schema, foreign database, random bytes),
 * file modes, every operation's answers and errors, single-use codes under
 * concurrent redemption by threads and by processes (RFC 6749 §4.1.2: a code is
 * used once) and of login flows (a flow ends in one code), consents, and honest
 * failures (read-only, busy, damaged) instead of wrong answers. The .c is
 * included to reach its statics.
 */
#include "../../issuer/store/store.c"
#include "../../issuer/store/valid.c"
#include "../../issuer/store/columns.c"
#include "../../issuer/store/store_sqlite.c"
#include "../test.h"

#include <dirent.h>
#include <sys/wait.h>

#define NOW     1700000000
#define NTHREAD 8
#define NCODE   200
#define NPROC   4
#define NPCODE  100

static char dir[64];

/* dir/name into buf. */
static const char *at(char *buf, size_t n, const char *name)
{
	snprintf(buf, n, "%s/%s", dir, name);
	return buf;
}

static void rm_dir(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[512];

	if (!d)
		return;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			unlink(at(p, sizeof p, e->d_name));
	closedir(d);
	rmdir(dir);
}

/* One integer from SQL on the store's own connection (or -1). */
static int64_t q_int(store *s, const char *sql)
{
	int64_t v = -1;

	if (sq_int(((struct sq *)s)->db, sql, &v) != SQLITE_OK)
		return -1;
	return v;
}

static int q_exec(store *s, const char *sql)
{
	return sqlite3_exec(((struct sq *)s)->db, sql, NULL, NULL, NULL);
}

static unsigned file_mode(const char *p)
{
	struct stat sb;

	return stat(p, &sb) == 0 ? (unsigned)(sb.st_mode & 0777) : 01000;
}

static int write_file(const char *p, const void *b, size_t n, mode_t mode)
{
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, mode);
	int ok;

	if (fd < 0)
		return -1;
	ok = write(fd, b, n) == (ssize_t)n;
	close(fd);
	return ok ? 0 : -1;
}

/* Raw SQL on a file, outside the store (to build bad databases). */
static int raw_exec(const char *p, const char *sql)
{
	sqlite3 *db = NULL;
	int rc = sqlite3_open(p, &db);

	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_close(db);
	return rc;
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
	       !strcmp(a->id_token_alg, b->id_token_alg) && a->created_at == b->created_at;
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
	       a->expires_at == b->expires_at;
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

/* store_open picks the backend from the name: a path or sqlite:PATH is SQLite; PostgreSQL
 * URLs and an empty name are refused with a reason, never opened as a file. */
static void test_store_open(void)
{
	char p[256], url[300], err[512];
	store *s;

	s = store_open(at(p, sizeof p, "open.db"), err, sizeof err);
	T_CHECK(s && s->ops == &store_sqlite_ops, "store_open(path): a SQLite store (%s)", s ? "ok" : err);
	store_close(s);
	snprintf(url, sizeof url, "sqlite:%s", p);
	s = store_open(url, err, sizeof err);
	T_CHECK(s && s->ops == &store_sqlite_ops, "store_open(sqlite:path): the same file (%s)",
	        s ? "ok" : err);
	store_close(s);
	for (int i = 0; i < 2; i++) {
		const char *pg = i ? "postgresql://u@127.0.0.1/db" : "postgres://u@127.0.0.1/db";
		s = store_open(pg, err, sizeof err);
		T_CHECK(!s && strstr(err, "PostgreSQL") && access("postgres:", F_OK) != 0,
		        "store_open(%s): refused with a reason (%s), no file made", pg, err);
	}
	s = store_open("", err, sizeof err);
	T_CHECK(!s && err[0], "store_open(\"\"): refused with a reason (%s)", err);
	T_CHECK(store_open(NULL, NULL, 0) == NULL, "store_open(NULL) with no error buffer: NULL");
}

/* The column tables every backend reads and writes rows by name the SQL's columns,
 * in the same order, and cover each struct field once (no field left behind). */
static void test_column_tables(void)
{
	static const struct {
		const struct store_table *t;
		const char *sql;
	} tabs[] = {{&store_cols_client, SQ_CLIENT_COLS},   {&store_cols_key, SQ_KEY_COLS},
	            {&store_cols_code, SQ_CODE_COLS},       {&store_cols_user, SQ_USER_COLS},
	            {&store_cols_session, SQ_SESSION_COLS}, {&store_cols_refresh, SQ_REFRESH_COLS},
	            {&store_cols_flow, SQ_FLOW_COLS}};

	for (size_t i = 0; i < sizeof tabs / sizeof tabs[0]; i++) {
		const struct store_table *t = tabs[i].t;
		char names[1024] = "";
		size_t covered = 0;

		for (size_t c = 0; c < t->n; c++) {
			const struct store_col *col = &t->cols[c];
			snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", c ? ", " : "",
			         col->name);
			covered += col->kind == STORE_COL_TEXT   ? col->size
			           : col->kind == STORE_COL_BLOB ? col->size + sizeof(size_t)
			           : col->kind == STORE_COL_INT  ? sizeof(int)
			                                         : sizeof(int64_t);
		}
		T_CHECK(strcmp(names, tabs[i].sql) == 0, "the %s columns are the SQL's, in order (%s)",
		        t->name, names);
		/* Padding aside, the fields add up to the struct: none is missing from the table. */
		T_CHECK(covered <= t->row_size && t->row_size - covered < 16,
		        "the %s columns cover its struct (%zu of %zu bytes)", t->name, covered, t->row_size);
	}
}

static void test_open_and_migrate(void)
{
	char p[256], p2[256], err[512];
	store *s;
	int64_t objects;

	s = store_sqlite_open(at(p, sizeof p, "id.db"), err, sizeof err);
	T_CHECK(s != NULL, "fresh file opens and migrates (%s)", s ? "ok" : err);
	if (!s)
		return;
	T_CHECK(strcmp(s->ops->name, "sqlite") == 0 && s->ops == &store_sqlite_ops,
	        "the store carries its ops");
	T_CHECK(q_int(s, "PRAGMA user_version") == SQ_SCHEMA_VERSION && SQ_SCHEMA_VERSION == 3,
	        "user_version is the schema version (3)");
	T_CHECK(q_int(s, "PRAGMA application_id") == SQ_APP_ID, "application_id marks the file as ours");
	T_CHECK(q_int(s, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name IN ('clients', "
	                 "'signing_keys', 'revoked_tokens', 'users', 'sessions', 'auth_codes', "
	                 "'refresh_tokens')") == 7,
	        "schema v1 has the seven tables");
	T_CHECK(q_int(s, "SELECT count(*) FROM pragma_index_list('users') WHERE name = "
	                 "'users_username_nocase' AND \"unique\" = 1") == 1,
	        "schema v2: usernames are unique in any ASCII case");
	T_CHECK(q_int(s, "SELECT count(*) FROM pragma_index_list('revoked_tokens') WHERE "
	                 "name = 'revoked_tokens_expires'") == 1,
	        "revoked_tokens is indexed on expires_at");
	T_CHECK(q_int(s, "SELECT journal_mode = 'wal' FROM pragma_journal_mode") == 1, "WAL mode");
	T_CHECK(q_int(s, "PRAGMA foreign_keys") == 1, "foreign keys enforced");
	T_CHECK(q_int(s, "PRAGMA synchronous") == 2, "synchronous = FULL");
	T_CHECK(file_mode(p) == 0600, "database file mode is 0600 (%03o)", file_mode(p));
	T_CHECK(file_mode(at(p2, sizeof p2, "id.db-wal")) == 0600, "-wal file mode is 0600 (%03o)",
	        file_mode(p2));
	T_CHECK(file_mode(at(p2, sizeof p2, "id.db-shm")) == 0600, "-shm file mode is 0600 (%03o)",
	        file_mode(p2));
	objects = q_int(s, "SELECT count(*) FROM sqlite_schema");
	store_close(s);

	s = store_sqlite_open(p, err, sizeof err);
	T_CHECK(s != NULL, "reopen succeeds (%s)", s ? "ok" : err);
	if (!s)
		return;
	T_CHECK(q_int(s, "PRAGMA user_version") == 3 &&
	            q_int(s, "SELECT count(*) FROM sqlite_schema") == objects,
	        "reopen is idempotent: same version, same %lld schema objects", (long long)objects);
	store_close(s);
	s = store_sqlite_ops.open(p, err, sizeof err);
	T_CHECK(s != NULL, "ops->open opens the same file");
	store_close(s);
	store_close(NULL);
}

static void test_refusals(void)
{
	char p[256], err[512];
	uint8_t junk[8192];
	store *s;
	FILE *f;

	/* A database written by a newer program. */
	s = store_sqlite_open(at(p, sizeof p, "newer.db"), err, sizeof err);
	store_close(s);
	T_CHECK(raw_exec(p, "PRAGMA user_version = 99") == SQLITE_OK, "set user_version 99 by hand");
	err[0] = '\0';
	s = store_sqlite_open(p, err, sizeof err);
	T_CHECK(s == NULL && strstr(err, "newer than this program") && strstr(err, "99"),
	        "a newer schema is refused: \"%s\"", err);
	store_close(s);

	/* Someone else's database. */
	T_CHECK(raw_exec(at(p, sizeof p, "other.db"), "CREATE TABLE t (x)") == SQLITE_OK &&
	            chmod(p, 0644) == 0,
	        "foreign database made (mode 0644)");
	s = store_sqlite_open(p, err, sizeof err);
	T_CHECK(s == NULL && strstr(err, "not an identity-backend database"),
	        "a foreign database is refused: \"%s\"", err);
	{
		char wal[300];
		sqlite3 *db = NULL;
		sqlite3_stmt *st = NULL;
		int journal_delete = 0;

		if (sqlite3_open_v2(p, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
		    sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL) == SQLITE_OK &&
		    sqlite3_step(st) == SQLITE_ROW)
			journal_delete = !strcmp((const char *)sqlite3_column_text(st, 0), "delete");
		sqlite3_finalize(st);
		sqlite3_close(db);
		snprintf(wal, sizeof wal, "%s-wal", p);
		T_CHECK(file_mode(p) == 0644 && journal_delete && access(wal, F_OK) != 0,
		        "and left as it was: mode 0644 (%03o), journal mode delete, no -wal", file_mode(p));
	}
	T_CHECK(raw_exec(p, "PRAGMA application_id = 42") == SQLITE_OK, "foreign application_id set");
	s = store_sqlite_open(p, err, sizeof err);
	T_CHECK(s == NULL && strstr(err, "application_id 42"), "a foreign application_id is refused: \"%s\"",
	        err);

	/* Random bytes. */
	f = fopen("/dev/urandom", "rb");
	T_CHECK(f && fread(junk, 1, sizeof junk, f) == sizeof junk, "read random bytes");
	if (f)
		fclose(f);
	junk[0] = 'X'; /* never "SQLite format 3" by chance */
	T_CHECK(write_file(at(p, sizeof p, "junk.db"), junk, sizeof junk, 0600) == 0, "random file written");
	s = store_sqlite_open(p, err, sizeof err);
	T_CHECK(s == NULL && strstr(err, "junk.db: not a SQLite database"),
	        "random bytes are refused with a clear message: \"%s\"", err);

	/* Missing directory, empty path. */
	s = store_sqlite_open(at(p, sizeof p, "no/such/dir.db"), err, sizeof err);
	T_CHECK(s == NULL && strstr(err, "does its directory exist?"), "missing directory: \"%s\"", err);
	s = store_sqlite_open("", err, sizeof err);
	T_CHECK(s == NULL && err[0], "empty path refused: \"%s\"", err);
	T_CHECK(store_sqlite_open("", NULL, 0) == NULL, "NULL err buffer is fine");

	/* An existing file that others can read is made 0600. */
	T_CHECK(write_file(at(p, sizeof p, "loose.db"), "", 0, 0644) == 0 && chmod(p, 0644) == 0,
	        "empty 0644 file made");
	s = store_sqlite_open(p, err, sizeof err);
	T_CHECK(s != NULL && file_mode(p) == 0600, "an existing 0644 file is tightened to 0600 (%03o)",
	        file_mode(p));
	store_close(s);
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
	T_CHECK(q_exec(s, "INSERT INTO clients (id, is_public, created_at, scope) VALUES "
	                  "('huge', 1, 0, printf('%2000s', 'x'))") == SQLITE_OK,
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

	T_CHECK(q_exec(s,
	               "INSERT INTO users (id, username, password_hash, created_at) VALUES "
	               "('user-1', 'alice', '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA', 0)") == SQLITE_OK,
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
	return u;
}

static int user_eq(const struct store_user *a, const struct store_user *b)
{
	return !strcmp(a->id, b->id) && !strcmp(a->username, b->username) && !strcmp(a->email, b->email) &&
	       !strcmp(a->password_hash, b->password_hash) && a->created_at == b->created_at &&
	       a->failed_logins == b->failed_logins && a->locked_until == b->locked_until;
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
	return r;
}

static int refresh_eq(const struct store_refresh *a, const struct store_refresh *b)
{
	return a->hash_len == b->hash_len && !memcmp(a->hash, b->hash, a->hash_len) &&
	       !strcmp(a->family_id, b->family_id) && !strcmp(a->client_id, b->client_id) &&
	       !strcmp(a->user_id, b->user_id) && !strcmp(a->scope, b->scope) &&
	       a->auth_time == b->auth_time && a->created_at == b->created_at &&
	       a->expires_at == b->expires_at;
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

/* 1 when SQLite's plan for sql mentions index. */
static int plan_uses(store *s, const char *sql, const char *index)
{
	char q[1024];
	sqlite3_stmt *st = NULL;
	int found = 0;

	snprintf(q, sizeof q, "EXPLAIN QUERY PLAN %s", sql);
	if (sqlite3_prepare_v2(((struct sq *)s)->db, q, -1, &st, NULL) == SQLITE_OK)
		while (sqlite3_step(st) == SQLITE_ROW)
			found |= sqlite3_column_text(st, 3) &&
			         strstr((const char *)sqlite3_column_text(st, 3), index);
	sqlite3_finalize(st);
	return found;
}

static void test_ops_table(void)
{
	const struct store_ops *o = &store_sqlite_ops;

	T_CHECK(o->open && o->close && o->errmsg && o->client_put && o->client_get && o->client_list &&
	            o->client_delete && o->key_put && o->key_list && o->key_retire && o->key_purge &&
	            o->revoke_put && o->revoke_check && o->revoke_purge && o->code_put && o->code_take &&
	            o->code_purge && o->user_put && o->user_get && o->user_get_by_name && o->user_list &&
	            o->user_delete && o->user_login_failed && o->user_login_ok && o->user_set_password &&
	            o->session_put && o->session_get && o->session_delete && o->session_purge &&
	            o->refresh_put && o->refresh_get && o->refresh_rotate && o->refresh_revoke_family &&
	            o->refresh_purge && o->flow_put && o->flow_get && o->flow_set_user && o->flow_take &&
	            o->flow_purge && o->consent_put && o->consent_get && o->tx_begin && o->tx_end && o->ping,
	        "the SQLite backend fills every member of struct store_ops");
}

static void test_users(store *s)
{
	struct store_user a = user("u-b", "bob", "bob@example.com"), b = user("u-a", "Zed.Z", ""), got, bad;
	struct collect col = {0};
	int64_t until = -1;
	int n = 0;

	T_CHECK(store_user_put(s, &a) == STORE_OK && store_user_put(s, &b) == STORE_OK, "two users put");
	T_CHECK(store_user_get(s, "u-b", &got) == STORE_OK && user_eq(&a, &got),
	        "user_get: every field round-trips");
	T_CHECK(store_user_get(s, "u-a", &got) == STORE_OK && user_eq(&b, &got) && got.email[0] == '\0' &&
	            q_int(s, "SELECT email IS NULL FROM users WHERE id = 'u-a'") == 1,
	        "no email: stored as NULL, read back as \"\"");
	T_CHECK(store_user_get_by_name(s, "bob", &got) == STORE_OK && user_eq(&a, &got), "user_get_by_name");
	T_CHECK(store_user_get_by_name(s, "BoB", &got) == STORE_OK && !strcmp(got.id, "u-b") &&
	            store_user_get_by_name(s, "zed.z", &got) == STORE_OK && !strcmp(got.username, "Zed.Z"),
	        "usernames match in any ASCII case; the stored spelling comes back");
	T_CHECK(plan_uses(s, queries[Q_USER_GET_NAME], "users_username_nocase") &&
	            plan_uses(s, queries[Q_USER_DELETE], "users_username_nocase"),
	        "lookups and deletes by name use the NOCASE index");
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
	bad = user("u-x", "x", "");
	bad.failed_logins = -1;
	T_CHECK(store_user_put(s, &bad) == STORE_INVALID && store_user_put(s, NULL) == STORE_INVALID,
	        "negative failure count, NULL user: INVALID");
	T_CHECK(store_user_get(s, NULL, &got) == STORE_INVALID &&
	            store_user_get_by_name(s, "bob", NULL) == STORE_INVALID,
	        "NULL arguments to the gets: INVALID");

	/* Lockout: threshold 3, 60 s. */
	T_CHECK(store_user_login_failed(s, "u-b", NOW, 3, 60, &until) == STORE_OK && until == 0 &&
	            store_user_login_failed(s, "u-b", NOW + 1, 3, 60, &until) == STORE_OK && until == 0 &&
	            store_user_get(s, "u-b", &got) == STORE_OK && got.failed_logins == 2 &&
	            got.locked_until == 0,
	        "two failures: counted, not locked");
	T_CHECK(store_user_login_failed(s, "u-b", NOW + 2, 3, 60, &until) == STORE_OK && until == NOW + 62 &&
	            store_user_get(s, "u-b", &got) == STORE_OK && got.failed_logins == 3 &&
	            got.locked_until == NOW + 62,
	        "the third reaches the threshold: locked until now + 60");
	T_CHECK(store_user_login_failed(s, "u-b", NOW + 30, 3, 60, &until) == STORE_OK && until == NOW + 62 &&
	            store_user_get(s, "u-b", &got) == STORE_OK && got.failed_logins == 3 &&
	            got.locked_until == NOW + 62,
	        "a failure during the lock neither counts nor extends it");
	T_CHECK(store_user_login_failed(s, "u-b", NOW + 62, 3, 60, &until) == STORE_OK &&
	            until == NOW + 122 && store_user_get(s, "u-b", &got) == STORE_OK &&
	            got.failed_logins == 4,
	        "after the lock, the next failure locks again at once (only a success resets)");
	T_CHECK(store_user_login_ok(s, "u-b") == STORE_OK && store_user_get(s, "u-b", &got) == STORE_OK &&
	            got.failed_logins == 0 && got.locked_until == 0,
	        "login_ok resets the count and the lock");
	T_CHECK(store_user_login_ok(s, "u-b") == STORE_OK, "login_ok with nothing to reset: OK (no write)");
	T_CHECK(store_user_login_failed(s, "u-a", NOW, 0, 60, NULL) == STORE_OK &&
	            store_user_login_failed(s, "u-a", NOW, 0, 60, NULL) == STORE_OK &&
	            store_user_get(s, "u-a", &got) == STORE_OK && got.failed_logins == 2 &&
	            got.locked_until == 0,
	        "threshold 0: failures are counted, never locked; NULL locked_until is fine");
	T_CHECK(store_user_login_ok(s, "u-a") == STORE_OK, "reset u-a");
	T_CHECK(store_user_login_failed(s, "nobody", NOW, 3, 60, &until) == STORE_NOT_FOUND &&
	            store_user_login_ok(s, "nobody") == STORE_NOT_FOUND,
	        "lockout calls for an unknown id: NOT_FOUND");
	T_CHECK(store_user_login_failed(s, "u-a", NOW, -1, 60, NULL) == STORE_INVALID &&
	            store_user_login_failed(s, "u-a", NOW, 3, -5, NULL) == STORE_INVALID &&
	            store_user_login_failed(s, "u-a", NOW, 3, INT64_MAX, NULL) == STORE_INVALID &&
	            store_user_login_failed(s, NULL, NOW, 3, 60, NULL) == STORE_INVALID,
	        "negative threshold or lock, an overflowing lock end, NULL id: INVALID");

	T_CHECK(store_user_set_password(s, "u-a", "$argon2id$v=19$m=65536,t=3,p=1$bmV3c2FsdA$bmV3aGFzaA") ==
	                STORE_OK &&
	            store_user_get(s, "u-a", &got) == STORE_OK &&
	            !strcmp(got.password_hash, "$argon2id$v=19$m=65536,t=3,p=1$bmV3c2FsdA$bmV3aGFzaA"),
	        "set_password replaces the hash");
	T_CHECK(store_user_set_password(s, "nobody", "x") == STORE_NOT_FOUND &&
	            store_user_set_password(s, "u-a", "") == STORE_INVALID,
	        "set_password: unknown id NOT_FOUND, empty hash INVALID");

	/* A row too big for the struct (written by another tool) is CORRUPT, never cut. */
	T_CHECK(q_exec(s, "INSERT INTO users (id, username, password_hash, created_at) VALUES "
	                  "('u-huge', printf('%100s', 'x'), 'h', 0)") == SQLITE_OK &&
	            store_user_get(s, "u-huge", &got) == STORE_CORRUPT,
	        "over-long stored username: CORRUPT");
	T_CHECK(
	    q_exec(s, "UPDATE users SET username = 'huge', failed_logins = 3000000000 WHERE id = 'u-huge'") ==
	            SQLITE_OK &&
	        store_user_get(s, "u-huge", &got) == STORE_CORRUPT,
	    "a failure count beyond int: CORRUPT");
	T_CHECK(store_user_delete(s, "HUGE") == STORE_OK && store_user_delete(s, "huge") == STORE_NOT_FOUND,
	        "delete by username in any case; again: NOT_FOUND");
	T_CHECK(store_user_delete(s, NULL) == STORE_INVALID, "delete NULL: INVALID");
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
	T_CHECK(store_refresh_rotate(s, r1.hash, r1.hash_len, &nx, NOW, &old) == STORE_OK &&
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
	T_CHECK(store_refresh_rotate(s, nx.hash, nx.hash_len, &(struct store_refresh){0}, NOW, &old) ==
	            STORE_INVALID,
	        "an empty successor: INVALID");

	/* The attack: the first token comes back. */
	r1 = refresh(1, "fam-1", "client-r", "u-b", NOW + 600);
	bad = next_token(2, "client-r", NOW + 1200);
	T_CHECK(store_refresh_rotate(s, r1.hash, r1.hash_len, &bad, NOW + 10, &old) == STORE_REUSED &&
	            !strcmp(old.family_id, "fam-1") && !strcmp(old.user_id, "u-b"),
	        "refresh token reuse: STORE_REUSED, old_out says whose (RFC 9700 §4.14.2)");
	T_CHECK(store_refresh_get(s, nx.hash, nx.hash_len, NOW + 10, &got) == STORE_NOT_FOUND &&
	            store_refresh_get(s, bad.hash, bad.hash_len, NOW + 10, &got) == STORE_NOT_FOUND,
	        "reuse revokes the family: the legitimate successor is dead, no new token stored");
	bad = next_token(3, "client-r", NOW + 1200);
	T_CHECK(store_refresh_rotate(s, nx.hash, nx.hash_len, &bad, NOW + 10, &old) == STORE_NOT_FOUND &&
	            old.family_id[0] == '\0',
	        "rotating a token of a revoked family: NOT_FOUND, old_out zeroed");
	T_CHECK(store_refresh_rotate(s, r1.hash, r1.hash_len, &bad, NOW + 10, &old) == STORE_REUSED,
	        "presenting the reused token again: REUSED again");
	T_CHECK(!store_unavailable(STORE_REUSED) &&
	            !strcmp(store_strerror(STORE_REUSED), "refresh token reused"),
	        "STORE_REUSED is an answer, with its own words");

	/* What must not change anything. */
	r1 = refresh(10, "fam-2", "client-r", "u-b", NOW + 600);
	T_CHECK(store_refresh_put(s, &r1) == STORE_OK, "fam-2: a fresh grant");
	bad = next_token(10, "client-q", NOW + 1200);
	T_CHECK(store_refresh_rotate(s, r1.hash, r1.hash_len, &bad, NOW, &old) == STORE_NOT_FOUND &&
	            store_refresh_get(s, r1.hash, r1.hash_len, NOW, &got) == STORE_OK,
	        "another client presents it: NOT_FOUND, and the token stays active");
	bad = next_token(11, "client-r", NOW + 1200);
	T_CHECK(store_refresh_rotate(s, r1.hash, r1.hash_len, &bad, NOW + 600, &old) == STORE_NOT_FOUND &&
	            store_refresh_get(s, r1.hash, r1.hash_len, NOW, &got) == STORE_OK,
	        "expired: NOT_FOUND, not marked used");
	T_CHECK(store_refresh_rotate(s, r1.hash, 31, &bad, NOW, &old) == STORE_NOT_FOUND,
	        "unknown hash: NOT_FOUND");
	bad = next_token(12, "client-r", NOW + 1200);
	memcpy(bad.hash, r1.hash, 32); /* the successor's hash collides with an existing token */
	T_CHECK(store_refresh_rotate(s, r1.hash, r1.hash_len, &bad, NOW, &old) == STORE_CONFLICT &&
	            store_refresh_get(s, r1.hash, r1.hash_len, NOW, &got) == STORE_OK &&
	            old.family_id[0] == '\0',
	        "a successor hash that exists: CONFLICT, rolled back (old still active)");
	bad = next_token(13, "client-r", 0);
	T_CHECK(store_refresh_rotate(s, r1.hash, r1.hash_len, &bad, NOW, &old) == STORE_OK &&
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
	T_CHECK(store_refresh_rotate(s, NULL, 32, &bad, NOW, &old) == STORE_INVALID &&
	            store_refresh_rotate(s, r1.hash, 32, NULL, NOW, &old) == STORE_INVALID &&
	            store_refresh_rotate(s, r1.hash, 32, &bad, NOW, NULL) == STORE_INVALID &&
	            store_refresh_get(s, r1.hash, 0, NOW, &got) == STORE_INVALID,
	        "NULL or empty arguments: INVALID");

	/* Purge: expired and revoked go; used-but-unexpired stay (reuse must still be seen). */
	r1 = refresh(20, "fam-3", "client-r", "u-b", NOW + 600);
	nx = next_token(20, "client-r", NOW + 900);
	T_CHECK(store_refresh_put(s, &r1) == STORE_OK &&
	            store_refresh_rotate(s, r1.hash, r1.hash_len, &nx, NOW, &old) == STORE_OK,
	        "fam-3: a token and its successor");
	used = q_int(s, "SELECT count(*) FROM refresh_tokens WHERE used = 1 AND revoked = 0");
	T_CHECK(store_refresh_purge(s, NOW + 1) == STORE_OK &&
	            q_int(s, "SELECT count(*) FROM refresh_tokens WHERE revoked = 1") == 0 &&
	            q_int(s, "SELECT count(*) FROM refresh_tokens WHERE used = 1") == used && used >= 1,
	        "purge deletes revoked families, keeps used tokens until they expire");
	bad = next_token(21, "client-r", NOW + 900);
	T_CHECK(store_refresh_rotate(s, r1.hash, r1.hash_len, &bad, NOW + 2, &old) == STORE_REUSED,
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
	       a->created_at == b->created_at && a->expires_at == b->expires_at;
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
	T_CHECK(q_exec(s, "UPDATE login_flows SET state = printf('%600s', 'x') WHERE id_hash = "
	                  "(SELECT id_hash FROM login_flows WHERE length(state) > 100)") == SQLITE_OK &&
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
	T_CHECK(store_flow_set_user(s, h, 32, NOW, "u-none", NOW) == STORE_NOT_FOUND,
	        "set_user with an unknown user: NOT_FOUND");
	T_CHECK(store_flow_set_user(s, h, 32, NOW + 600, "u-f", NOW) == STORE_NOT_FOUND,
	        "set_user on an expired flow: NOT_FOUND");
	T_CHECK(store_flow_set_user(s, h, 31, NOW, "u-f", NOW) == STORE_NOT_FOUND,
	        "set_user on an unknown flow: NOT_FOUND");
	T_CHECK(store_flow_set_user(s, h, 32, NOW, "", NOW) == STORE_INVALID &&
	            store_flow_set_user(s, h, 32, NOW, NULL, NOW) == STORE_INVALID &&
	            store_flow_set_user(s, h, 32, NOW, "u-f", 0) == STORE_INVALID &&
	            store_flow_set_user(s, h, 0, NOW, "u-f", NOW) == STORE_INVALID,
	        "set_user: empty user, no auth_time, empty hash: INVALID");
	T_CHECK(store_flow_get(s, h, 32, NOW, &got) == STORE_OK && got.user_id[0] == '\0',
	        "and none of those changed the flow");
	T_CHECK(store_flow_set_user(s, h, 32, NOW, "u-f", NOW - 3) == STORE_OK &&
	            store_flow_get(s, h, 32, NOW, &got) == STORE_OK && !strcmp(got.user_id, "u-f") &&
	            got.auth_time == NOW - 3 && !strcmp(got.state, f.state),
	        "set_user records who signed in and when; the rest stays");
	f.auth_time = NOW - 3;
	snprintf(f.user_id, sizeof f.user_id, "u-f");
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
	T_CHECK(plan_uses(s, "DELETE FROM login_flows WHERE expires_at <= 1", "login_flows_expires"),
	        "purge uses the expires_at index");
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
	T_CHECK(q_exec(s, "UPDATE consents SET scope = printf('%2000s', 'x')") == SQLITE_OK &&
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
	            store_flow_set_user(s, f2.id_hash, 32, NOW, "u-g", NOW) == STORE_OK &&
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
	T_CHECK(plan_uses(s, "SELECT 1 FROM login_flows WHERE client_id = 'x'", "login_flows_client") &&
	            plan_uses(s, "SELECT 1 FROM login_flows WHERE user_id = 'x'", "login_flows_user") &&
	            plan_uses(s, "SELECT 1 FROM consents WHERE client_id = 'x'", "consents_client"),
	        "the cascades find child rows through indexes");
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

/* A database at schema v1 (as the first release wrote it) is migrated to the current schema. */
static void test_migrate_v1(void)
{
	char p[256], p2[256], err[512];
	struct store_user got, u = user("u-x", "bob", "");
	store *s;

	T_CHECK(raw_exec(at(p, sizeof p, "v1.db"), migrations[0]) == SQLITE_OK &&
	            raw_exec(p, "PRAGMA user_version = 1; INSERT INTO users (id, username, password_hash, "
	                        "created_at) VALUES ('u-1', 'Bob', 'h', 1)") == SQLITE_OK,
	        "a v1 database with user Bob, made by hand");
	s = store_sqlite_open(p, err, sizeof err);
	T_CHECK(s && q_int(s, "PRAGMA user_version") == SQ_SCHEMA_VERSION &&
	            q_int(s, "SELECT count(*) FROM sqlite_schema WHERE name = 'users_username_nocase'") == 1,
	        "v1 -> v%d on open: the NOCASE index exists (%s)", SQ_SCHEMA_VERSION, s ? "ok" : err);
	T_CHECK(s && store_user_get_by_name(s, "bob", &got) == STORE_OK && !strcmp(got.id, "u-1") &&
	            store_user_put(s, &u) == STORE_CONFLICT,
	        "the v1 user is found in any case, and its name in another case is taken");
	store_close(s);

	T_CHECK(raw_exec(at(p2, sizeof p2, "v1dup.db"), migrations[0]) == SQLITE_OK &&
	            raw_exec(p2, "PRAGMA user_version = 1; INSERT INTO users (id, username, password_hash, "
	                         "created_at) VALUES ('u-1', 'carol', 'h', 1), ('u-2', 'Carol', 'h', 1)") ==
	                SQLITE_OK,
	        "a v1 database with 'carol' and 'Carol'");
	err[0] = '\0';
	s = store_sqlite_open(p2, err, sizeof err);
	T_CHECK(s == NULL && strstr(err, "schema migration failed") && strstr(err, "UNIQUE"),
	        "v2 cannot merge two users: the open fails and says why (\"%s\")", err);
	store_close(s);
	{
		sqlite3 *db = NULL;
		int64_t v = -1;

		T_CHECK(sqlite3_open(p2, &db) == SQLITE_OK &&
		            sq_int(db, "PRAGMA user_version", &v) == SQLITE_OK && v == 1,
		        "and the file is left at v1, untouched");
		sqlite3_close(db);
	}
}

/* A database at schema v2 (the release before login flows) is migrated to v3,
 * keeping every row: clients gain empty post-logout lists and the default alg. */
static void test_migrate_v2(void)
{
	char p[256], err[512];
	struct store_client got;
	struct store_user u;
	struct store_flow f = flow(9, "old-client", NOW + 60);
	char scope[STORE_SCOPE_MAX + 1];
	store *s;

	T_CHECK(raw_exec(at(p, sizeof p, "v2.db"), migrations[0]) == SQLITE_OK &&
	            raw_exec(p, migrations[1]) == SQLITE_OK &&
	            raw_exec(p,
	                     "PRAGMA user_version = 2; INSERT INTO clients (id, is_public, grants, "
	                     "redirect_uris, scope, needs_consent, created_at) VALUES ('old-client', 1, "
	                     "'authorization_code', 'https://old.example/cb', 'openid', 1, 7); INSERT INTO "
	                     "users (id, username, password_hash, created_at) VALUES ('u-old', 'Olga', 'h', "
	                     "8); INSERT INTO sessions VALUES (x'01', 'u-old', 8, 9)") == SQLITE_OK,
	        "a v2 database with a client, a user and a session, made by hand");
	s = store_sqlite_open(p, err, sizeof err);
	T_CHECK(s && q_int(s, "PRAGMA user_version") == 3 &&
	            q_int(s, "SELECT count(*) FROM sqlite_schema WHERE name IN ('login_flows', 'consents', "
	                     "'login_flows_expires')") == 3,
	        "v2 -> v3 on open: login_flows, consents and the expiry index exist (%s)", s ? "ok" : err);
	if (!s)
		return;
	T_CHECK(store_client_get(s, "old-client", &got) == STORE_OK && got.post_logout_uris[0] == '\0' &&
	            got.id_token_alg[0] == '\0' && !strcmp(got.redirect_uris, "https://old.example/cb") &&
	            !strcmp(got.scope, "openid") && got.is_public && got.needs_consent && got.created_at == 7,
	        "the v2 client keeps its fields and gains no post-logout URIs and the default alg");
	T_CHECK(store_user_get_by_name(s, "olga", &u) == STORE_OK && !strcmp(u.id, "u-old") &&
	            q_int(s, "SELECT count(*) FROM sessions") == 1,
	        "the v2 user and session are kept");
	T_CHECK(store_flow_put(s, &f) == STORE_OK &&
	            store_flow_set_user(s, f.id_hash, f.id_hash_len, NOW, "u-old", NOW) == STORE_OK &&
	            store_consent_put(s, "u-old", "old-client", "openid", NOW) == STORE_OK &&
	            store_consent_get(s, "u-old", "old-client", scope) == STORE_OK,
	        "flows and consents work on the migrated file");
	T_CHECK(q_int(s, "SELECT count(*) FROM pragma_foreign_key_check") == 0 &&
	            q_int(s, "SELECT count(*) FROM pragma_integrity_check WHERE integrity_check != 'ok'") ==
	                0,
	        "foreign keys and integrity hold after the migration");
	store_close(s);
}

/* ---- concurrency of refresh rotation and of failure counting ---- */

#define NRTOKEN 100

struct rotator {
	const char *path;
	pthread_barrier_t *bar;
	int idx, errors;
	unsigned char res[NRTOKEN]; /* 1 OK, 2 REUSED, 3 other */
};

static void *rotate_racer(void *arg)
{
	struct rotator *r = arg;
	store *s = store_sqlite_open(r->path, NULL, 0);
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
		e = store_refresh_rotate(s, tok.hash, tok.hash_len, &nx, NOW, &old);
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
	store *s = store_sqlite_open(r->path, NULL, 0);

	pthread_barrier_wait(r->bar);
	for (int i = 0; i < 25; i++)
		r->errors += !s || store_user_login_failed(s, "user-1", NOW, 0, 60, NULL) != STORE_OK;
	store_close(s);
	return NULL;
}

static void test_rotate_race(void)
{
	char p[256], err[512];
	pthread_t th[NTHREAD];
	pthread_barrier_t bar;
	struct rotator r[NTHREAD];
	struct store_user got;
	store *s;
	int exact = 1, wins = 0, reused = 0, other = 0, errors = 0;

	s = store_sqlite_open(at(p, sizeof p, "race.db"), err, sizeof err);
	if (!s) {
		T_CHECK(0, "reopen race.db: %s", err);
		return;
	}
	T_CHECK(put_tokens(s, 3000, NRTOKEN), "%d refresh tokens, one family each", NRTOKEN);
	memset(r, 0, sizeof r);
	pthread_barrier_init(&bar, NULL, NTHREAD);
	for (int t = 0; t < NTHREAD; t++) {
		r[t].path = p;
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

	/* Failure counting: NTHREAD connections x 25 failures, none lost. */
	T_CHECK(store_user_login_ok(s, "user-1") == STORE_OK, "reset user-1");
	pthread_barrier_destroy(&bar);
	pthread_barrier_init(&bar, NULL, NTHREAD);
	for (int t = 0; t < NTHREAD; t++)
		pthread_create(&th[t], NULL, fail_racer, &r[t]);
	for (int t = 0; t < NTHREAD; t++) {
		pthread_join(th[t], NULL);
		errors += r[t].errors;
	}
	T_CHECK(errors == 0 && store_user_get(s, "user-1", &got) == STORE_OK &&
	            got.failed_logins == NTHREAD * 25,
	        "%d threads count %d failed logins at once: none lost (%d counted, %d errors)", NTHREAD,
	        NTHREAD * 25, got.failed_logins, errors);
	pthread_barrier_destroy(&bar);
	store_close(s);
}

/* The same race between processes. */
static void test_rotate_processes(void)
{
	char p[256], err[512];
	pid_t pid[NPROC];
	int fd[NPROC][2];
	unsigned char res[NPROC][NPCODE];
	store *s;
	int exact = 1, wins = 0, reused = 0, clean = 1;

	s = store_sqlite_open(at(p, sizeof p, "race.db"), err, sizeof err);
	if (!s) {
		T_CHECK(0, "reopen race.db: %s", err);
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
			store *cs = store_sqlite_open(p, NULL, 0);

			close(fd[k][0]);
			for (unsigned i = 0; cs && i < NPCODE; i++) {
				struct store_refresh t =
				    refresh(4000 + i, "x", "client-c", "user-1", NOW + 600);
				struct store_refresh nx =
				    next_token(10000 + (unsigned)k * NPCODE + i, "client-c", 0);
				store_err e = store_refresh_rotate(cs, t.hash, t.hash_len, &nx, NOW, &old);

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

/* A rotation blocked by another writer beyond the busy timeout: BUSY, and nothing changed. */
static void test_rotate_busy(store *s)
{
	char p[256], err[512];
	struct store_client c = client("client-busy", 0);
	struct store_user u = user("u-busy", "busy", "");
	struct store_refresh t = refresh(50, "fam-busy", "client-busy", "u-busy", NOW + 600), nx, old, got;
	store *other = store_sqlite_open(at(p, sizeof p, "id.db"), err, sizeof err);

	if (!other) {
		T_CHECK(0, "second connection: %s", err);
		return;
	}
	T_CHECK(store_client_put(s, &c) == STORE_OK && store_user_put(s, &u) == STORE_OK &&
	            store_refresh_put(s, &t) == STORE_OK,
	        "a token for the busy test");
	T_CHECK(q_exec(other, "BEGIN IMMEDIATE") == SQLITE_OK, "another connection holds the write lock");
	sqlite3_busy_timeout(((struct sq *)s)->db, 50);
	nx = next_token(50, "client-busy", NOW + 1200);
	T_CHECK(store_refresh_rotate(s, t.hash, t.hash_len, &nx, NOW, &old) == STORE_BUSY &&
	            old.hash_len == 0,
	        "rotate while another writer holds the lock: STORE_BUSY (\"%s\")", store_errmsg(s));
	T_CHECK(store_user_login_failed(s, "u-busy", NOW, 3, 60, NULL) == STORE_BUSY,
	        "login_failed likewise: STORE_BUSY, never a silent miss");
	q_exec(other, "ROLLBACK");
	T_CHECK(sqlite3_get_autocommit(((struct sq *)s)->db) &&
	            store_refresh_get(s, t.hash, t.hash_len, NOW, &got) == STORE_OK &&
	            store_refresh_rotate(s, t.hash, t.hash_len, &nx, NOW, &old) == STORE_OK,
	        "no transaction left open; the token was untouched and rotates once the lock is gone");
	sqlite3_busy_timeout(((struct sq *)s)->db, STORE_SQLITE_BUSY_MS);
	T_CHECK(store_user_delete(s, "busy") == STORE_OK && store_client_delete(s, "client-busy") == STORE_OK,
	        "clean up");
	store_close(other);
}

/* tx_begin/tx_end: an exchange's code take and refresh put commit together or not at all. */
static void test_tx(store *s)
{
	char p[256], err[512];
	struct store_client c = client("client-tx", 0);
	struct store_user u = user("u-tx", "txuser", "");
	struct store_code k = code(700, "client-tx", NOW + 60), got;
	struct store_refresh r = refresh(700, "fam-tx", "client-tx", "u-tx", NOW + 600), rgot, nx, old;
	store *other;

	snprintf(k.user_id, sizeof k.user_id, "u-tx");
	T_CHECK(store_client_put(s, &c) == STORE_OK && store_user_put(s, &u) == STORE_OK &&
	            store_code_put(s, &k) == STORE_OK,
	        "a code for the transaction tests");
	T_CHECK(store_tx_begin(s) == STORE_OK &&
	            store_code_take(s, k.code_hash, k.code_hash_len, NOW, &got) == STORE_OK &&
	            store_refresh_put(s, &r) == STORE_OK && store_tx_end(s, 0) == STORE_OK,
	        "take and put inside a transaction, then tx_end(0)");
	T_CHECK(sqlite3_get_autocommit(((struct sq *)s)->db) &&
	            store_refresh_get(s, r.hash, r.hash_len, NOW, &rgot) == STORE_NOT_FOUND &&
	            q_int(s, "SELECT count(*) FROM auth_codes WHERE client_id = 'client-tx' AND used = 0") ==
	                1,
	        "tx_end(0) undid both: no refresh token, the code unused");
	T_CHECK(store_tx_begin(s) == STORE_OK && store_tx_begin(s) == STORE_INVALID,
	        "no nested tx_begin: INVALID");
	nx = next_token(700, "client-tx", NOW + 1200);
	T_CHECK(store_refresh_rotate(s, r.hash, r.hash_len, &nx, NOW, &old) == STORE_INVALID,
	        "refresh_rotate (a transaction of its own) inside one: INVALID");
	T_CHECK(store_code_take(s, k.code_hash, k.code_hash_len, NOW, &got) == STORE_OK &&
	            code_eq(&k, &got) && store_refresh_put(s, &r) == STORE_OK,
	        "the transaction goes on after a refused call");
	/* Another connection of this thread cannot write meanwhile: BUSY once its
	 * busy timeout is out, never a deadlock on the process's writer turn. */
	other = store_sqlite_open(at(p, sizeof p, "id.db"), err, sizeof err);
	if (other) {
		sqlite3_busy_timeout(((struct sq *)other)->db, 50);
		T_CHECK(store_revoke_put(other, "jti-tx", NOW + 60) == STORE_BUSY,
		        "a write through another connection of the same thread: BUSY (\"%s\")",
		        store_errmsg(other));
		T_CHECK(store_code_take(other, k.code_hash, k.code_hash_len, NOW, &got) == STORE_BUSY,
		        "and its take of the code being taken: BUSY, not a second winner");
	}
	T_CHECK(store_tx_end(s, 1) == STORE_OK, "tx_end(1) commits");
	T_CHECK(store_refresh_get(s, r.hash, r.hash_len, NOW, &rgot) == STORE_OK && refresh_eq(&r, &rgot) &&
	            store_code_take(s, k.code_hash, k.code_hash_len, NOW, &got) == STORE_NOT_FOUND,
	        "both took effect: the refresh token is there, the code is used");
	if (other) {
		T_CHECK(store_refresh_get(other, r.hash, r.hash_len, NOW, &rgot) == STORE_OK &&
		            store_revoke_put(other, "jti-tx", NOW + 60) == STORE_OK,
		        "the other connection sees both and writes again");
		sqlite3_busy_timeout(((struct sq *)other)->db, STORE_SQLITE_BUSY_MS);
		store_close(other);
	}
	T_CHECK(store_tx_end(s, 1) == STORE_INVALID && store_tx_end(s, 0) == STORE_INVALID,
	        "tx_end without tx_begin: INVALID");
	T_CHECK(store_user_delete(s, "txuser") == STORE_OK && store_client_delete(s, "client-tx") == STORE_OK,
	        "clean up");
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
	r->s = store_sqlite_open(r->path, r->err, sizeof r->err);
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
	char p[256], err[512];
	pthread_t th[NTHREAD];
	pthread_barrier_t bar;
	struct racer r[NTHREAD];
	struct store_client c = client("client-c", 0);
	store *s;
	int opened = 0, errors = 0, exact = 1, total = 0;

	memset(r, 0, sizeof r);
	pthread_barrier_init(&bar, NULL, NTHREAD);
	at(p, sizeof p, "race.db");
	for (int t = 0; t < NTHREAD; t++) {
		r[t].path = p;
		r[t].bar = &bar;
		pthread_create(&th[t], NULL, open_racer, &r[t]);
	}
	for (int t = 0; t < NTHREAD; t++) {
		pthread_join(th[t], NULL);
		opened += r[t].opened;
		if (!r[t].opened)
			printf("# thread %d: %s\n", t, r[t].err);
	}
	T_CHECK(opened == NTHREAD, "%d threads opening one fresh file at once all succeed (%d did)", NTHREAD,
	        opened);

	s = store_sqlite_open(p, err, sizeof err);
	T_CHECK(s && q_int(s, "PRAGMA user_version") == 3 &&
	            q_int(s, "SELECT count(*) FROM sqlite_schema WHERE "
	                     "type = 'table'") == 9,
	        "and the schema was created once");
	if (!s)
		goto out;
	T_CHECK(store_client_put(s, &c) == STORE_OK &&
	            q_exec(s, "INSERT INTO users (id, username, password_hash, created_at) VALUES "
	                      "('user-1', 'alice', 'x', 0)") == SQLITE_OK,
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
	char p[256], err[512];
	pthread_t th[NTHREAD];
	pthread_barrier_t bar;
	struct racer r[NTHREAD];
	store *s;
	int errors = 0, exact = 1, total = 0, ok = 1;

	s = store_sqlite_open(at(p, sizeof p, "race.db"), err, sizeof err);
	if (!s) {
		T_CHECK(0, "reopen race.db: %s", err);
		return;
	}
	memset(r, 0, sizeof r);
	pthread_barrier_init(&bar, NULL, NTHREAD);
	put_codes(s, 6000, NCODE);
	for (int t = 0; t < NTHREAD; t++) {
		r[t].bar = &bar;
		ok &= (r[t].s = store_sqlite_open(p, r[t].err, sizeof r[t].err)) != NULL;
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
	char p[256], err[512];
	pid_t pid[NPROC];
	int fd[NPROC][2];
	unsigned char won[NPROC][NPCODE];
	store *s;
	int exact = 1, total = 0, clean = 1;

	s = store_sqlite_open(at(p, sizeof p, "race.db"), err, sizeof err);
	if (!s) {
		T_CHECK(0, "reopen race.db: %s", err);
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
			store *cs = store_sqlite_open(p, NULL, 0);

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
	char p[256], err[512];
	pthread_t th[NTHREAD];
	pthread_barrier_t bar;
	struct racer r[NTHREAD];
	store *s;
	int opened = 0, errors = 0, exact = 1, total = 0, ok = 1;

	s = store_sqlite_open(at(p, sizeof p, "race.db"), err, sizeof err);
	if (!s) {
		T_CHECK(0, "reopen race.db: %s", err);
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
		opened += (r[t].s = store_sqlite_open(p, NULL, 0)) != NULL;
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

/* ---- honest failures ---- */

static void test_busy(store *s)
{
	char p[256], err[512];
	store *other = store_sqlite_open(at(p, sizeof p, "id.db"), err, sizeof err);
	int r = -1;

	if (!other) {
		T_CHECK(0, "second connection: %s", err);
		return;
	}
	T_CHECK(q_exec(other, "BEGIN IMMEDIATE") == SQLITE_OK, "another connection holds the write lock");
	sqlite3_busy_timeout(((struct sq *)s)->db, 50); /* not the 2 s default, in a test */
	T_CHECK(store_revoke_put(s, "jti-busy", NOW + 60) == STORE_BUSY && store_unavailable(STORE_BUSY),
	        "a write blocked past the busy timeout: STORE_BUSY (\"%s\")", store_errmsg(s));
	T_CHECK(store_revoke_check(s, "jti-busy", NOW, &r) == STORE_OK && r == 0,
	        "reads go on while another connection writes (WAL)");
	T_CHECK(store_ping(s) == STORE_OK, "ping answers while another connection writes");
	q_exec(other, "ROLLBACK");
	T_CHECK(store_revoke_put(s, "jti-busy", NOW + 60) == STORE_OK,
	        "once the lock is gone, the write succeeds");
	sqlite3_busy_timeout(((struct sq *)s)->db, STORE_SQLITE_BUSY_MS);
	store_close(other);
}

/* In a child, so that root can drop to an unprivileged user: root writes
 * through any file mode. The child prints its own lines; the exit status says
 * whether any failed (77: could not drop privileges, so not run). */
static void test_readonly(void)
{
	char p[256], err[512];
	struct store_client got, c = client("ro-client", 0);
	store *s;
	pid_t pid;
	int st = 0, r = 0;

	s = store_sqlite_open(at(p, sizeof p, "ro.db"), err, sizeof err);
	T_CHECK(s && store_client_put(s, &c) == STORE_OK, "ro.db made with one client");
	store_close(s); /* the last close checkpoints and removes -wal and -shm */
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		t_failed_ = 0; /* the child reports its own checks only */
		if (geteuid() == 0 && (chown(dir, 65534, 65534) || chown(p, 65534, 65534) || setgid(65534) ||
		                       setuid(65534) || geteuid() == 0))
			_exit(77);
		if (chmod(p, 0400) != 0) {
			printf("not ok - chmod 0400: %s\n", strerror(errno));
			fflush(stdout);
			_exit(1);
		}
		s = store_sqlite_open(p, err, sizeof err);
		T_CHECK(s != NULL, "a read-only file with a current schema opens (%s)",
		        s ? "read-only" : err);
		if (!s) {
			fflush(stdout);
			_exit(1);
		}
		T_CHECK(store_client_get(s, "ro-client", &got) == STORE_OK && client_eq(&c, &got),
		        "reads work on a read-only file");
		T_CHECK(store_revoke_check(s, "jti", NOW, &r) == STORE_OK && r == 0, "revoke_check reads");
		c = client("ro-2", 0);
		T_CHECK(store_client_put(s, &c) == STORE_READONLY && store_unavailable(STORE_READONLY),
		        "client_put on a read-only file: STORE_READONLY (\"%s\")", store_errmsg(s));
		T_CHECK(store_revoke_put(s, "jti", NOW + 60) == STORE_READONLY, "revoke_put: STORE_READONLY");
		store_close(s);
		fflush(stdout);
		_exit(t_failed_ ? 1 : 0);
	}
	T_CHECK(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st), "read-only child ran");
	if (WIFEXITED(st) && WEXITSTATUS(st) == 77)
		T_SKIP("read-only file: cannot drop root privileges here");
	else
		T_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "read-only checks passed in the child");
	if (geteuid() == 0 && (chown(dir, 0, 0) || chown(p, 0, 0))) /* give them back for cleanup */
		T_CHECK(0, "chown back: %s", strerror(errno));
}

/* Damage the pages of a database: opening must fail with a clear message, and a
 * connection already open must answer CORRUPT, never "not found". */
static int overwrite_pages(const char *p, int64_t only_page)
{
	uint8_t junk[4096];
	struct stat sb;
	int fd = open(p, O_WRONLY), ok;

	memset(junk, 0xa5, sizeof junk);
	ok = fd >= 0 && fstat(fd, &sb) == 0 && sb.st_size > 4096;
	for (off_t off = 4096; ok && off < sb.st_size; off += 4096)
		if (!only_page || off == (only_page - 1) * 4096)
			ok = pwrite(fd, junk, sizeof junk, off) == (ssize_t)sizeof junk;
	if (fd >= 0)
		close(fd);
	return ok;
}

static void test_damaged(void)
{
	char p[256], err[512];
	struct store_client c = client("dmg", 0), got;
	store *s, *s2;
	int64_t root;

	s = store_sqlite_open(at(p, sizeof p, "damaged.db"), err, sizeof err);
	T_CHECK(s && store_client_put(s, &c) == STORE_OK, "damaged.db made with one client");
	root = s ? q_int(s, "SELECT rootpage FROM sqlite_schema WHERE name = 'clients'") : -1;
	store_close(s); /* checkpoints: every row is in the main file now */

	/* A connection that has read the schema but not the clients page yet. */
	s2 = store_sqlite_open(p, err, sizeof err);
	T_CHECK(s2 && q_int(s2, "SELECT count(*) FROM sqlite_schema") > 0 && root > 1 &&
	            q_int(s2, "PRAGMA page_size") == 4096,
	        "second connection open, clients table at page %lld", (long long)root);
	T_CHECK(overwrite_pages(p, root), "the clients table's page overwritten under it");
	T_CHECK(s2 && store_client_get(s2, "dmg", &got) == STORE_CORRUPT && store_unavailable(STORE_CORRUPT),
	        "a read from a damaged page: STORE_CORRUPT (\"%s\")", s2 ? store_errmsg(s2) : "");
	store_close(s2);

	T_CHECK(overwrite_pages(p, 0), "every page but the first overwritten");
	s = store_sqlite_open(p, err, sizeof err);
	T_CHECK(s == NULL && strstr(err, "damaged.db: not a SQLite database, or a damaged one"),
	        "a damaged file is refused at open: \"%s\"", err);
	store_close(s);
}

static void test_errors(void)
{
	static const struct {
		int rc;
		store_err e;
	} map[] = {
	    {SQLITE_OK, STORE_OK},
	    {SQLITE_DONE, STORE_OK},
	    {SQLITE_CONSTRAINT_PRIMARYKEY, STORE_CONFLICT},
	    {SQLITE_CONSTRAINT_UNIQUE, STORE_CONFLICT},
	    {SQLITE_CONSTRAINT_FOREIGNKEY, STORE_NOT_FOUND},
	    {SQLITE_CONSTRAINT_CHECK, STORE_INVALID},
	    {SQLITE_TOOBIG, STORE_INVALID},
	    {SQLITE_NOMEM, STORE_NOMEM},
	    {SQLITE_BUSY, STORE_BUSY},
	    {SQLITE_BUSY_SNAPSHOT, STORE_BUSY},
	    {SQLITE_LOCKED, STORE_BUSY},
	    {SQLITE_IOERR_WRITE, STORE_IO},
	    {SQLITE_IOERR_FSYNC, STORE_IO},
	    {SQLITE_CANTOPEN, STORE_IO},
	    {SQLITE_ERROR, STORE_IO},
	    {SQLITE_CORRUPT, STORE_CORRUPT},
	    {SQLITE_NOTADB, STORE_CORRUPT},
	    {SQLITE_READONLY, STORE_READONLY},
	    {SQLITE_READONLY_DBMOVED, STORE_READONLY},
	    {SQLITE_FULL, STORE_FULL},
	};
	int ok = 1;

	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (sq_map(map[i].rc) != map[i].e) {
			printf("# %s (%d) maps to %d\n", sqlite3_errstr(map[i].rc), map[i].rc,
			       sq_map(map[i].rc));
			ok = 0;
		}
	T_CHECK(ok, "SQLite result codes map to store_err");
	T_CHECK(!store_unavailable(STORE_NOT_FOUND) && !store_unavailable(STORE_INVALID) &&
	            store_unavailable(STORE_IO) && store_unavailable(STORE_FULL),
	        "store_unavailable marks the 503 band only");
	T_CHECK(!strcmp(store_strerror(STORE_FULL), "database or disk full") &&
	            !strcmp(store_strerror((store_err)99), "unknown storage error"),
	        "store_strerror");
	T_CHECK(store_list_valid("", 10) && store_list_valid("a\nb", 3) && !store_list_valid("a\nb", 2) &&
	            !store_list_valid("\na", 10) && !store_list_valid("a\x7f", 10),
	        "store_list_valid");
}

int main(void)
{
	char p[256], err[512];
	store *s;

	snprintf(dir, sizeof dir, "/tmp/test_store.XXXXXX");
	if (!mkdtemp(dir)) {
		T_CHECK(0, "mkdtemp: %s", strerror(errno));
		T_DONE();
	}
	test_errors();
	test_ops_table();
	test_store_open();
	test_column_tables();
	test_open_and_migrate();
	test_refusals();
	s = store_sqlite_open(at(p, sizeof p, "id.db"), err, sizeof err);
	T_CHECK(s != NULL, "open id.db for the operations (%s)", s ? "ok" : err);
	if (s) {
		test_clients(s);
		test_keys(s);
		test_revoke(s);
		test_codes(s);
		test_users(s);
		test_sessions(s);
		test_refresh(s);
		test_flows(s);
		test_busy(s);
		test_rotate_busy(s);
		test_tx(s);
		store_close(s);
	}
	test_concurrency();
	test_processes();
	test_flow_race();
	test_tx_race();
	test_rotate_race();
	test_rotate_processes();
	test_migrate_v1();
	test_migrate_v2();
	test_readonly();
	test_damaged();
	rm_dir();
	T_CHECK(access(dir, F_OK) != 0, "temporary directory removed");
	T_DONE();
}
