/*
 * test_store.c: the SQLite storage backend (issuer/store/store_sqlite.c), on real
 * files in a fresh directory under /tmp (removed at the end). The store contract
 * (store_contract.h: every operation, transactions, single use under races by
 * threads and processes) runs on it first; then what only a file has: backend
 * choice by name, migrations, refusals (newer schema, foreign database, random
 * bytes), file modes, query plans, and honest failures (read-only, busy,
 * damaged) instead of wrong answers. The .c is included to reach its statics.
 */
#include "../../issuer/store/store.c"
#include "../../issuer/store/valid.c"
#include "../../issuer/store/columns.c"
#include "../../issuer/store/store_sqlite.c"
#include "../../issuer/store/store_pg.c"
#include "../test.h"
#include "store_contract.h"

#include <dirent.h>

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

/* The contract's hooks: a fresh file in dir, SQL on a store's own connection. */
static int sq_fresh(const char *name, char *where, size_t n)
{
	int len = snprintf(where, n, "%s/%s.db", dir, name);

	return len < 0 || (size_t)len >= n || (unlink(where) != 0 && errno != ENOENT);
}

static int64_t sq_count(store *s, const char *sql)
{
	int64_t v = -1;

	if (sq_int(((struct sq *)s)->db, sql, &v) != SQLITE_OK)
		return -1;
	return v;
}

static int sq_exec(store *s, const char *sql)
{
	return sqlite3_exec(((struct sq *)s)->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

static int sq_schema_once(store *s)
{
	return sq_count(s, "PRAGMA user_version") == SQ_SCHEMA_VERSION &&
	       sq_count(s, "SELECT count(*) FROM sqlite_schema WHERE type = 'table'") == 14;
}

static const struct store_contract sqlite_contract = {
    .ops = &store_sqlite_ops,
    .fresh = sq_fresh,
    .count = sq_count,
    .exec = sq_exec,
    .schema_once = sq_schema_once,
};

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

/* store_open picks the backend from the name: a path or sqlite:PATH is SQLite; a
 * PostgreSQL URL goes to that backend (nothing listens on port 1: a reason), never
 * to a file; an empty name is refused with a reason. */
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
		const char *pg = i ? "postgresql://u@127.0.0.1:1/db" : "postgres://u@127.0.0.1:1/db";
		s = store_open(pg, err, sizeof err);
		T_CHECK(!s && strncmp(err, "PostgreSQL: ", 12) == 0 && access("postgres:", F_OK) != 0,
		        "store_open(%s): tried as PostgreSQL, a reason (%s), no file made", pg, err);
	}
	s = store_open("", err, sizeof err);
	T_CHECK(!s && err[0], "store_open(\"\"): refused with a reason (%s)", err);
	T_CHECK(store_open(NULL, NULL, 0) == NULL, "store_open(NULL) with no error buffer: NULL");
}

/* The longest run of bytes of t's struct that no column's field covers. */
static size_t longest_gap(const struct store_table *t)
{
	unsigned char *mark = calloc(1, t->row_size);
	size_t run = 0, longest = 0;

	if (!mark)
		return t->row_size;
	for (size_t c = 0; c < t->n; c++) {
		const struct store_col *col = &t->cols[c];
		size_t n = col->kind == STORE_COL_INT   ? sizeof(int)
		           : col->kind == STORE_COL_I64 ? sizeof(int64_t)
		                                        : col->size;

		memset(mark + col->off, 1, n);
		if (col->kind == STORE_COL_BLOB)
			memset(mark + col->len_off, 1, sizeof(size_t));
	}
	for (size_t i = 0; i < t->row_size; i++) {
		run = mark[i] ? 0 : run + 1;
		longest = run > longest ? run : longest;
	}
	free(mark);
	return longest;
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
	            {&store_cols_flow, SQ_FLOW_COLS},       {&store_cols_mail, SQ_MAIL_COLS},
	            {&store_cols_factor, SQ_FACTOR_COLS}};

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
		/* Padding aside, the fields cover the struct: none is missing from the table. A
		 * gap of 8 bytes or more is a field, not padding (no member is aligned beyond 8). */
		T_CHECK(covered <= t->row_size && longest_gap(t) < 8,
		        "the %s columns cover its struct (%zu of %zu bytes, no gap of a field)", t->name,
		        covered, t->row_size);
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
	T_CHECK(q_int(s, "PRAGMA user_version") == SQ_SCHEMA_VERSION && SQ_SCHEMA_VERSION == 9,
	        "user_version is the schema version (9)");
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
	T_CHECK(q_int(s, "PRAGMA synchronous") == 1 && ((struct sq *)s)->group,
	        "synchronous = NORMAL, with group commit flushing every commit before its call returns");
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
	T_CHECK(q_int(s, "PRAGMA user_version") == SQ_SCHEMA_VERSION &&
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

/* The lookups that would otherwise scan a table use their indexes. */
static void test_plans(store *s)
{
	T_CHECK(plan_uses(s, queries[Q_USER_GET_NAME], "users_username_nocase") &&
	            plan_uses(s, queries[Q_USER_DELETE], "users_username_nocase"),
	        "lookups and deletes by name use the NOCASE index");
	T_CHECK(plan_uses(s, "DELETE FROM login_flows WHERE expires_at <= 1", "login_flows_expires"),
	        "the flow purge uses the expires_at index");
	T_CHECK(plan_uses(s, "SELECT 1 FROM login_flows WHERE client_id = 'x'", "login_flows_client") &&
	            plan_uses(s, "SELECT 1 FROM login_flows WHERE user_id = 'x'", "login_flows_user") &&
	            plan_uses(s, "SELECT 1 FROM consents WHERE client_id = 'x'", "consents_client"),
	        "the cascades find child rows through indexes");
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
	T_CHECK(s && q_int(s, "PRAGMA user_version") == SQ_SCHEMA_VERSION &&
	            q_int(s, "SELECT count(*) FROM sqlite_schema WHERE name IN ('login_flows', 'consents', "
	                     "'login_flows_expires')") == 3,
	        "v2 -> v%d on open: login_flows, consents and the expiry index exist (%s)", SQ_SCHEMA_VERSION,
	        s ? "ok" : err);
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
	            store_flow_set_user(s, f.id_hash, f.id_hash_len, NOW, "u-old", NOW, "pwd", 0) ==
	                STORE_OK &&
	            store_consent_put(s, "u-old", "old-client", "openid", NOW) == STORE_OK &&
	            store_consent_get(s, "u-old", "old-client", scope) == STORE_OK,
	        "flows and consents work on the migrated file");
	T_CHECK(q_int(s, "SELECT count(*) FROM pragma_foreign_key_check") == 0 &&
	            q_int(s, "SELECT count(*) FROM pragma_integrity_check WHERE integrity_check != 'ok'") ==
	                0,
	        "foreign keys and integrity hold after the migration");
	store_close(s);
}

/* A database at schema v3 (before the refresh reuse grace) is migrated to v4: its
 * refresh tokens keep working, with the grace, and a replay is still caught. */
static void test_migrate_v3(void)
{
	char p[256], err[512];
	struct store_refresh old, nx = next_token(90, "c3", 0), nx2 = next_token(91, "c3", 0);
	store *s;

	T_CHECK(raw_exec(at(p, sizeof p, "v3.db"), migrations[0]) == SQLITE_OK &&
	            raw_exec(p, migrations[1]) == SQLITE_OK && raw_exec(p, migrations[2]) == SQLITE_OK &&
	            raw_exec(p,
	                     "PRAGMA user_version = 3; INSERT INTO clients (id, is_public, created_at) "
	                     "VALUES ('c3', 1, 1); INSERT INTO users (id, username, password_hash, "
	                     "created_at) VALUES ('u3', 'u3', 'h', 1); INSERT INTO refresh_tokens "
	                     "(token_hash, family_id, client_id, user_id, scope, auth_time, created_at, "
	                     "expires_at) VALUES (x'0102', 'f3', 'c3', 'u3', 'openid', 1, 1, 4000000000)") ==
	                SQLITE_OK,
	        "a v3 database with a refresh token, made by hand");
	s = store_sqlite_open(p, err, sizeof err);
	T_CHECK(s && q_int(s, "PRAGMA user_version") == SQ_SCHEMA_VERSION &&
	            q_int(s, "SELECT count(*) FROM pragma_table_info('refresh_tokens') WHERE name IN "
	                     "('used_at', 'replaced_by')") == 2,
	        "v3 -> v4 on open: refresh tokens gain used_at and replaced_by (%s)", s ? "ok" : err);
	if (!s)
		return;
	T_CHECK(store_refresh_rotate(s, (const uint8_t *)"\x01\x02", 2, &nx, NOW, 5, &old) == STORE_OK &&
	            !strcmp(old.family_id, "f3") &&
	            store_refresh_rotate(s, (const uint8_t *)"\x01\x02", 2, &nx2, NOW + 1, 5, &old) ==
	                STORE_OK,
	        "the old token rotates, and its retry within the grace is forgiven");
	store_close(s);
}

/* A database at schema v4 (lockout kept in users) is migrated to v5: a lock in
 * force moves to its username's sign-in attempts, in any case, and holds. */
static void test_migrate_v4(void)
{
	char p[256], err[512];
	struct store_login g;
	int admitted = 1, started = 0;
	int64_t until = 0;
	store *s;

	T_CHECK(raw_exec(at(p, sizeof p, "v4.db"), migrations[0]) == SQLITE_OK &&
	            raw_exec(p, migrations[1]) == SQLITE_OK && raw_exec(p, migrations[2]) == SQLITE_OK &&
	            raw_exec(p, migrations[3]) == SQLITE_OK &&
	            raw_exec(p,
	                     "PRAGMA user_version = 4; INSERT INTO users (id, username, password_hash, "
	                     "created_at, failed_logins, locked_until) VALUES ('u4', 'Locked', 'h', 1, 10, "
	                     "4000000000), ('u5', 'free', 'h', 1, 2, 0)") == SQLITE_OK,
	        "a v4 database with a locked user, made by hand");
	s = store_sqlite_open(p, err, sizeof err);
	T_CHECK(s && q_int(s, "PRAGMA user_version") == SQ_SCHEMA_VERSION, "v4 -> v5 on open (%s)",
	        s ? "ok" : err);
	if (!s)
		return;
	T_CHECK(store_login_get(s, "LOCKED", &g) == STORE_OK && g.locked_until == 4000000000 &&
	            store_login_admit(s, "locked", NOW, 10, 900, &admitted, &until, &started) == STORE_OK &&
	            !admitted && until == 4000000000 && store_login_get(s, "free", &g) == STORE_NOT_FOUND,
	        "the lock in force moved over and refuses; a user with no lock has nothing on record");
	store_close(s);
}

/* A database at schema v7 (before multi-factor sign-in) is migrated to v8: its
 * sessions, codes, refresh tokens and flows read with amr "" and no second factor
 * owed, and its users can have factors, removed with them. */
static void test_migrate_v7(void)
{
	char p[256], err[512];
	struct store_session se;
	struct store_flow f;
	struct store_refresh r;
	struct store_factor fa;
	int ok = 1;
	store *s;

	for (int i = 0; i < 7 && ok; i++)
		ok = raw_exec(at(p, sizeof p, "v7.db"), migrations[i]) == SQLITE_OK;
	T_CHECK(
	    ok &&
	        raw_exec(p, "PRAGMA user_version = 7; INSERT INTO clients (id, is_public, created_at) VALUES "
	                    "('c7', 1, 1); INSERT INTO users (id, username, password_hash, created_at) "
	                    "VALUES ('u7', 'seven', 'h', 1); INSERT INTO sessions VALUES (x'07', 'u7', 5, "
	                    "4000000000); INSERT INTO refresh_tokens (token_hash, family_id, client_id, "
	                    "user_id, scope, auth_time, created_at, expires_at) VALUES (x'0707', 'f7', "
	                    "'c7', 'u7', 'openid', 5, 5, 4000000000); INSERT INTO login_flows (id_hash, "
	                    "csrf_hash, browser_hash, client_id, redirect_uri, scope, code_challenge, "
	                    "code_challenge_method, user_id, auth_time, created_at, expires_at) VALUES "
	                    "(x'70', x'71', x'72', 'c7', 'https://a.example/cb', 'openid', 'x', 'S256', "
	                    "'u7', 5, 5, 4000000000)") == SQLITE_OK,
	    "a v7 database with a session, a refresh token and a signed-in flow, made by hand");
	s = store_sqlite_open(p, err, sizeof err);
	T_CHECK(s && q_int(s, "PRAGMA user_version") == SQ_SCHEMA_VERSION, "v7 -> v8 on open (%s)",
	        s ? "ok" : err);
	if (!s)
		return;
	T_CHECK(store_session_get(s, (const uint8_t *)"\x07", 1, NOW, &se) == STORE_OK && se.amr[0] == '\0' &&
	            store_refresh_get(s, (const uint8_t *)"\x07\x07", 2, NOW, &r) == STORE_OK &&
	            r.amr[0] == '\0' && store_flow_get(s, (const uint8_t *)"\x70", 1, NOW, &f) == STORE_OK &&
	            f.amr[0] == '\0' && f.mfa_pending == 0 && !strcmp(f.user_id, "u7"),
	        "the rows read back with amr \"\" and no second factor owed");
	fa = (struct store_factor){.id = "f7", .user_id = "u7", .kind = STORE_FACTOR_TOTP, .created_at = NOW};
	T_CHECK(store_factor_put(s, &fa) == STORE_OK && store_user_delete(s, "seven") == STORE_OK &&
	            q_int(s, "SELECT count(*) FROM factors") == 0,
	        "a factor of a migrated user goes with the user");
	store_close(s);
}

/* A rotation blocked by another writer beyond the busy timeout: BUSY, and nothing changed. */
static void test_rotate_busy(store *s)
{
	char err[512];
	struct store_client c = client("client-busy", 0);
	struct store_user u = user("u-busy", "busy", "");
	struct store_refresh t = refresh(50, "fam-busy", "client-busy", "u-busy", NOW + 600), nx, old, got;
	store *other = store_sqlite_open(ops_where, err, sizeof err);

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
	T_CHECK(store_refresh_rotate(s, t.hash, t.hash_len, &nx, NOW, 0, &old) == STORE_BUSY &&
	            old.hash_len == 0,
	        "rotate while another writer holds the lock: STORE_BUSY (\"%s\")", store_errmsg(s));
	{
		int admitted = 1, started = 0;
		int64_t until;

		T_CHECK(store_login_admit(s, "u-busy", NOW, 3, 60, &admitted, &until, &started) ==
		                STORE_BUSY &&
		            !admitted,
		        "login_admit likewise: STORE_BUSY and not admitted, never a silent pass");
	}
	q_exec(other, "ROLLBACK");
	T_CHECK(sqlite3_get_autocommit(((struct sq *)s)->db) &&
	            store_refresh_get(s, t.hash, t.hash_len, NOW, &got) == STORE_OK &&
	            store_refresh_rotate(s, t.hash, t.hash_len, &nx, NOW, 0, &old) == STORE_OK,
	        "no transaction left open; the token was untouched and rotates once the lock is gone");
	sqlite3_busy_timeout(((struct sq *)s)->db, STORE_SQLITE_BUSY_MS);
	T_CHECK(store_user_delete(s, "busy") == STORE_OK && store_client_delete(s, "client-busy") == STORE_OK,
	        "clean up");
	store_close(other);
}

/* A transaction holds the file's write lock: another connection of the same
 * thread waits for it, and past its busy timeout gets BUSY, never a deadlock on
 * the process's writer turn and never a second winner of the code being taken. */
static void test_tx_lock(store *s)
{
	char err[512];
	struct store_client c = client("client-txl", 0);
	struct store_code k = code(701, "client-txl", NOW + 60), got;
	store *other = store_sqlite_open(ops_where, err, sizeof err);

	if (!other) {
		T_CHECK(0, "second connection: %s", err);
		return;
	}
	T_CHECK(store_client_put(s, &c) == STORE_OK && store_code_put(s, &k) == STORE_OK,
	        "a code for the lock test");
	sqlite3_busy_timeout(((struct sq *)other)->db, 50);
	T_CHECK(store_tx_begin(s) == STORE_OK &&
	            store_code_take(s, k.code_hash, k.code_hash_len, NOW, &got) == STORE_OK,
	        "a transaction takes the code");
	T_CHECK(store_revoke_put(other, "jti-tx", NOW + 60) == STORE_BUSY,
	        "a write through another connection of the same thread: BUSY (\"%s\")", store_errmsg(other));
	T_CHECK(store_code_take(other, k.code_hash, k.code_hash_len, NOW, &got) == STORE_BUSY,
	        "and its take of the code being taken: BUSY, not a second winner");
	T_CHECK(store_tx_end(s, 1) == STORE_OK && sqlite3_get_autocommit(((struct sq *)s)->db) &&
	            store_revoke_put(other, "jti-tx", NOW + 60) == STORE_OK,
	        "after the commit no transaction is open and the other connection writes again");
	sqlite3_busy_timeout(((struct sq *)other)->db, STORE_SQLITE_BUSY_MS);
	T_CHECK(store_client_delete(s, "client-txl") == STORE_OK, "clean up");
	store_close(other);
}

/* ---- honest failures ---- */

static void test_busy(store *s)
{
	char err[512];
	store *other = store_sqlite_open(ops_where, err, sizeof err);
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

/* Group commit: one writer's every write call returns flushed (one flush each);
 * eight writers on their own connections share flushes, and lose nothing. */
#define GC_THREADS 8
#define GC_EACH    50

static void *gc_writer(void *arg)
{
	int id = *(int *)arg, ok = 0;
	char err[256], jti[64];
	store *w = store_sqlite_open(ops_where, err, sizeof err);

	for (int i = 0; w && i < GC_EACH; i++) {
		snprintf(jti, sizeof jti, "gc-%d-%d", id, i);
		ok += store_revoke_put(w, jti, NOW + 600) == STORE_OK;
	}
	store_close(w);
	*(int *)arg = ok;
	return NULL;
}

static void test_group_commit(store *s)
{
	struct sq_group *g = ((struct sq *)s)->group;
	pthread_t th[GC_THREADS];
	int n[GC_THREADS], covered = 1, ok = 0;
	uint64_t c0, f0;
	char jti[64];

	if (!g) {
		T_CHECK(0, "the operations' connection is in a group commit");
		return;
	}
	c0 = g->committed, f0 = g->flushes;
	for (int i = 0; i < 20; i++) {
		snprintf(jti, sizeof jti, "gc-one-%d", i);
		ok += store_revoke_put(s, jti, NOW + 600) == STORE_OK;
		pthread_mutex_lock(&sq_gc.m);
		covered &= g->flushed == g->committed;
		pthread_mutex_unlock(&sq_gc.m);
	}
	T_CHECK(ok == 20 && covered && g->committed - c0 == 20 && g->flushes - f0 == 20,
	        "one writer: each write returns once a flush covered its commit (20 commits, %llu flushes)",
	        (unsigned long long)(g->flushes - f0));
	c0 = g->committed, f0 = g->flushes;
	for (int i = 0; i < GC_THREADS; i++) {
		n[i] = i;
		pthread_create(&th[i], NULL, gc_writer, &n[i]);
	}
	for (int i = ok = 0; i < GC_THREADS; i++) {
		pthread_join(th[i], NULL);
		ok += n[i];
	}
	T_CHECK(ok == GC_THREADS * GC_EACH && g->committed - c0 == (uint64_t)ok &&
	            g->flushes - f0 < (uint64_t)ok,
	        "%d writers at once: %d commits shared %llu flushes", GC_THREADS, ok,
	        (unsigned long long)(g->flushes - f0));
	T_CHECK(g->flushed == g->committed && q_int(s, "SELECT count(*) FROM revoked_tokens WHERE jti LIKE "
	                                               "'gc-%'") == 20 + GC_THREADS * GC_EACH,
	        "every commit flushed, every row there");
}

int main(void)
{
	char err[512];
	store *s;

	snprintf(dir, sizeof dir, "/tmp/test_store.XXXXXX");
	if (!mkdtemp(dir)) {
		T_CHECK(0, "mkdtemp: %s", strerror(errno));
		T_DONE();
	}
	SC = &sqlite_contract; /* the file tests count rows the contract's way */
	test_errors();
	test_store_open();
	test_column_tables();
	test_open_and_migrate();
	test_refusals();
	contract_run(&sqlite_contract);
	s = store_sqlite_open(ops_where, err, sizeof err);
	T_CHECK(s != NULL, "reopen the operations' file (%s)", s ? "ok" : err);
	if (s) {
		test_plans(s);
		test_busy(s);
		test_rotate_busy(s);
		test_tx_lock(s);
		test_group_commit(s);
		store_close(s);
	}
	test_migrate_v1();
	test_migrate_v2();
	test_migrate_v3();
	test_migrate_v4();
	test_migrate_v7();
	test_readonly();
	test_damaged();
	rm_dir();
	T_CHECK(access(dir, F_OK) != 0, "temporary directory removed");
	T_DONE();
}
