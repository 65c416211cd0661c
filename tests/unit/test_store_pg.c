/*
 * test_store_pg.c: the PostgreSQL storage backend (issuer/store/store_pg.c) on a
 * real PostgreSQL server that this test starts in a folder of its own
 * (tests/pg.sh: initdb, a free port, a unix socket in that folder) and stops at
 * the end, also when a check fails. The store contract (store_contract.h) runs
 * on it, each part on a fresh database; then what only a server has: choice of
 * the backend by URL, refusals of a database that is not ours or is newer, the
 * password kept out of every message, and a server that stops answering (a
 * bounded wait, BUSY, then recovery without reopening the store).
 */
#include "../../issuer/store/store.c"
#include "../../issuer/store/valid.c"
#include "../../issuer/store/columns.c"
#include "../../issuer/store/store_sqlite.c"
#include "../../issuer/store/store_pg.c"
#include "../test.h"
#include "store_contract.h"

#include <dirent.h>
#include <signal.h>

static char dir[64];
static char admin_url[256]; /* the server's superuser on database "postgres" */

static void pg_stop(void)
{
	char cmd[256];

	if (!dir[0])
		return;
	snprintf(cmd, sizeof cmd, "tests/pg.sh stop %s", dir);
	if (system(cmd) != 0)
		printf("# could not stop the test server in %s\n", dir);
	dir[0] = '\0';
}

/* Start the server; 0 with admin_url set, or -1. */
static int pg_start(void)
{
	char cmd[256];
	FILE *f;
	int ok;

	snprintf(dir, sizeof dir, "/tmp/test_store_pg.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	atexit(pg_stop);
	snprintf(cmd, sizeof cmd, "tests/pg.sh start %s", dir);
	if (!(f = popen(cmd, "r")))
		return -1;
	ok = fgets(admin_url, sizeof admin_url, f) != NULL;
	ok &= pclose(f) == 0;
	admin_url[strcspn(admin_url, "\n")] = '\0';
	return ok && strncmp(admin_url, "postgresql://", 13) == 0 ? 0 : -1;
}

/* The admin URL with another database name. */
static void url_of(const char *db, char *out, size_t n)
{
	size_t base = strlen(admin_url) - strlen("postgres");

	snprintf(out, n, "%.*s%s", (int)base, admin_url, db);
}

static void quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/* Run SQL as the superuser on database "postgres"; 0 on success. */
static int admin(const char *sql)
{
	PGconn *c = PQconnectdb(admin_url);
	PGresult *r;

	PQsetNoticeProcessor(c, quiet, NULL); /* "does not exist, skipping" */
	r = PQexec(c, sql);
	int ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;

	if (!ok)
		printf("# %s: %s", sql, PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
	return ok ? 0 : -1;
}

/* The contract's hooks: a new database per name, SQL on a store's own connection. */
static int pg_fresh(const char *name, char *where, size_t n)
{
	char sql[256], db[64];

	snprintf(db, sizeof db, "idb_%s", name);
	snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", db);
	if (admin(sql))
		return -1;
	snprintf(sql, sizeof sql, "CREATE DATABASE %s", db);
	if (admin(sql))
		return -1;
	url_of(db, where, n);
	return 0;
}

static int64_t pg_count(store *s, const char *sql)
{
	PGconn *c = ((struct pg *)s)->conn;
	PGresult *r;
	int64_t v = -1;

	if (!c || PQsetnonblocking(c, 0) != 0)
		return -1;
	r = PQexec(c, sql);
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
		v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	else
		printf("# %s: %s", sql, PQerrorMessage(c));
	PQclear(r);
	PQsetnonblocking(c, 1);
	return v;
}

static int pg_exec_sql(store *s, const char *sql)
{
	PGconn *c = ((struct pg *)s)->conn;
	PGresult *r;
	int ok;

	if (!c || PQsetnonblocking(c, 0) != 0)
		return -1;
	r = PQexec(c, sql);
	ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
	if (!ok)
		printf("# %s: %s", sql, PQerrorMessage(c));
	PQclear(r);
	PQsetnonblocking(c, 1);
	return ok ? 0 : -1;
}

static int pg_schema_once(store *s)
{
	return pg_count(s, "SELECT version FROM idb_schema") == PG_SCHEMA_VERSION &&
	       pg_count(s, "SELECT count(*) FROM idb_schema") == 1 &&
	       pg_count(s, "SELECT count(*) FROM information_schema.tables WHERE table_schema = "
	                   "current_schema()") == 15;
}

static const struct store_contract pg_contract = {
    .ops = &store_pg_ops,
    .fresh = pg_fresh,
    .count = pg_count,
    .exec = pg_exec_sql,
    .schema_once = pg_schema_once,
};

/* store_open chooses PostgreSQL by the URL's scheme; a password never shows. */
static void test_open_by_url(void)
{
	char where[300], url[300], err[512], red[300];
	store *s;

	T_CHECK(pg_fresh("url", where, sizeof where) == 0, "a fresh database");
	s = store_open(where, err, sizeof err);
	T_CHECK(s && s->ops == &store_pg_ops && !strcmp(s->ops->name, "postgres"),
	        "store_open(postgresql://...): the PostgreSQL backend (%s)", s ? "ok" : err);
	store_close(s);
	snprintf(url, sizeof url, "postgres://%s", where + strlen("postgresql://"));
	s = store_open(url, err, sizeof err);
	T_CHECK(s && s->ops == &store_pg_ops, "postgres:// too (%s)", s ? "ok" : err);
	store_close(s);

	snprintf(url, sizeof url, "postgresql://idb:s3cr3t-pw@127.0.0.1:1/nowhere?connect_timeout=2");
	s = store_open(url, err, sizeof err);
	T_CHECK(!s && strstr(err, "PostgreSQL") && !strstr(err, "s3cr3t-pw"),
	        "an unreachable server: refused with a reason, no password in it (%s)", err);
	s = store_open("postgresql://idb@127.0.0.1:1/x?nonsense=1", err, sizeof err);
	T_CHECK(!s && strstr(err, "nonsense"), "an unknown URL parameter: refused, named (%s)", err);
	T_CHECK(!strcmp(store_redact("postgresql://u:pw@h:5/db?sslmode=require", red, sizeof red),
	                "postgresql://u:***@h:5/db?sslmode=require") &&
	            !strcmp(store_redact("postgres://u@h/db?password=pw&x=1", red, sizeof red),
	                    "postgres://u@h/db?password=***&x=1") &&
	            !strcmp(store_redact("host=h password=pw dbname=d", red, sizeof red),
	                    "host=h password=*** dbname=d") &&
	            !strcmp(store_redact("postgres://h1,h2/db", red, sizeof red), "postgres://h1,h2/db") &&
	            !strcmp(store_redact("var/id.db", red, sizeof red), "var/id.db"),
	        "store_redact hides the password of a URL, a query and a key=value string, nothing else");
	T_CHECK(
	    !strcmp(store_redact("postgresql://user:longpassword@host/db", red, 20), "postgresql://user:*"),
	    "store_redact cuts to the buffer, never past the mask (%s)", red);
}

/* A database with tables of its own, or a newer schema: refused, untouched. */
static void test_refusals(void)
{
	char where[300], err[512];
	store *s;

	T_CHECK(pg_fresh("foreign", where, sizeof where) == 0, "a fresh database");
	{
		PGconn *c = PQconnectdb(where);
		PGresult *r = PQexec(c, "CREATE TABLE orders (id int)");

		T_CHECK(PQresultStatus(r) == PGRES_COMMAND_OK, "someone else's table made");
		PQclear(r);
		PQfinish(c);
	}
	s = store_open(where, err, sizeof err);
	T_CHECK(!s && strstr(err, "not an identity-backend database"), "a foreign database is refused (%s)",
	        err);

	T_CHECK(pg_fresh("newer", where, sizeof where) == 0, "a fresh database");
	s = store_open(where, err, sizeof err);
	T_CHECK(s && pg_exec_sql(s, "UPDATE idb_schema SET version = 99") == 0, "schema made, set to v99");
	store_close(s);
	s = store_open(where, err, sizeof err);
	T_CHECK(!s && strstr(err, "newer than this program") && strstr(err, "99"),
	        "a newer schema is refused (%s)", err);
	T_CHECK(pg_fresh("backup", where, sizeof where) == 0 && (s = store_open(where, err, sizeof err)) &&
	            store_backup(s, "/tmp/never-written.db", 0) == STORE_INVALID &&
	            access("/tmp/never-written.db", F_OK) != 0,
	        "backup on PostgreSQL: INVALID, nothing written (pg_dump's job)");
	store_close(s);
}

/* A database at schema v4 (before multi-factor sign-in) is migrated to v5: its rows
 * read with amr "" and no second factor owed, and its users can have factors. */
static void test_migrate_v4(void)
{
	char where[300], err[512];
	struct store_session se;
	struct store_flow f;
	struct store_factor fa = {.id = "f4", .user_id = "u4", .kind = STORE_FACTOR_TOTP, .created_at = NOW};
	PGconn *c;
	store *s;
	int ok;

	T_CHECK(pg_fresh("v4", where, sizeof where) == 0, "a fresh database");
	c = PQconnectdb(where);
	ok = PQstatus(c) == CONNECTION_OK;
	for (int i = 0; ok && i < 4; i++) {
		PGresult *r = PQexec(c, pg_migrations[i]);

		ok = PQresultStatus(r) == PGRES_COMMAND_OK;
		PQclear(r);
	}
	if (ok) {
		PGresult *r =
		    PQexec(c, "UPDATE idb_schema SET version = 4; INSERT INTO clients (id, is_public, "
		              "created_at) VALUES ('c4', 1, 1); INSERT INTO users (id, username, "
		              "password_hash, created_at) VALUES ('u4', 'four', 'h', 1); INSERT INTO "
		              "sessions VALUES ('\\x04', 'u4', 5, 4000000000); INSERT INTO login_flows "
		              "(id_hash, csrf_hash, browser_hash, client_id, redirect_uri, scope, "
		              "code_challenge, code_challenge_method, user_id, auth_time, created_at, "
		              "expires_at) VALUES ('\\x40', '\\x41', '\\x42', 'c4', "
		              "'https://a.example/cb', 'openid', 'x', 'S256', 'u4', 5, 5, 4000000000)");

		ok = PQresultStatus(r) == PGRES_COMMAND_OK;
		PQclear(r);
	}
	PQfinish(c);
	T_CHECK(ok, "a v4 database with a session and a signed-in flow, made by hand");
	s = store_open(where, err, sizeof err);
	T_CHECK(s && pg_count(s, "SELECT version FROM idb_schema") == PG_SCHEMA_VERSION &&
	            PG_SCHEMA_VERSION == 6,
	        "v4 -> the latest on open (%s)", s ? "ok" : err);
	if (!s)
		return;
	T_CHECK(store_session_get(s, (const uint8_t *)"\x04", 1, NOW, &se) == STORE_OK && se.amr[0] == '\0' &&
	            store_flow_get(s, (const uint8_t *)"\x40", 1, NOW, &f) == STORE_OK && f.amr[0] == '\0' &&
	            f.mfa_pending == 0 && !strcmp(f.user_id, "u4"),
	        "the rows read back with amr \"\" and no second factor owed");
	T_CHECK(store_factor_put(s, &fa) == STORE_OK && store_user_delete(s, "four") == STORE_OK &&
	            pg_count(s, "SELECT count(*) FROM factors") == 0,
	        "a factor of a migrated user goes with the user");
	store_close(s);
}

/* Signal the postmaster pid and every child of it (each backend is a session of
 * its own, so a process group does not reach them). */
static void signal_server(pid_t pid, int sig)
{
	DIR *d = opendir("/proc");
	struct dirent *e;

	kill(pid, sig);
	while (d && (e = readdir(d))) {
		char path[300], buf[512], *close_paren;
		FILE *f;
		int ppid = 0;

		snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
		if (!(f = fopen(path, "r")))
			continue;
		if (fgets(buf, sizeof buf, f) && (close_paren = strrchr(buf, ')')) &&
		    sscanf(close_paren + 2, "%*c %d", &ppid) == 1 && ppid == pid)
			kill((pid_t)atoi(e->d_name), sig);
		fclose(f);
	}
	if (d)
		closedir(d);
}

/* A server that stops answering (SIGSTOP): a call waits the timeout, then BUSY;
 * once it answers again, the same store works without being reopened. */
static void test_stalled_server(void)
{
	char where[300], err[512], pidfile[128], line[32];
	struct store_client got;
	int64_t t0;
	pid_t pid = 0;
	int r = -1;
	FILE *f;
	store *s;

	T_CHECK(pg_fresh("stall", where, sizeof where) == 0, "a fresh database");
	s = store_open(where, err, sizeof err);
	snprintf(pidfile, sizeof pidfile, "%s/data/postmaster.pid", dir);
	if ((f = fopen(pidfile, "r")) && fgets(line, sizeof line, f))
		pid = (pid_t)atoi(line);
	if (f)
		fclose(f);
	T_CHECK(s && pid > 0, "a store, and the server's pid %d", (int)pid);
	if (!s || pid <= 0)
		goto out;
	store_pg_set_timeout(300);
	signal_server(pid, SIGSTOP);
	t0 = pg_now_ms();
	T_CHECK(store_revoke_check(s, "jti", NOW, &r) == STORE_BUSY && r == 1,
	        "a stopped server: BUSY, and a revocation check that failed is not \"not revoked\" (%s)",
	        store_errmsg(s));
	T_CHECK(pg_now_ms() - t0 < 3000, "within the timeout (%lld ms for 300)",
	        (long long)(pg_now_ms() - t0));
	t0 = pg_now_ms();
	T_CHECK(store_client_get(s, "c", &got) == STORE_BUSY && pg_now_ms() - t0 < 100,
	        "the next call fails at once (%lld ms): no second wait on a server that just timed out",
	        (long long)(pg_now_ms() - t0));
	signal_server(pid, SIGCONT);
	store_pg_set_timeout(0);
	t0 = pg_now_ms();
	for (int i = 0; i < 40 && store_revoke_check(s, "jti", NOW, &r) != STORE_OK; i++)
		usleep(100 * 1000);
	T_CHECK(r == 0 && pg_now_ms() - t0 < 4000,
	        "the server is back: the same store reconnects by itself and answers (after %lld ms)",
	        (long long)(pg_now_ms() - t0));
out:
	if (pid > 0)
		signal_server(pid, SIGCONT);
	store_close(s);
}

int main(void)
{
	if (pg_start() != 0) {
		T_CHECK(0, "start a PostgreSQL server with tests/pg.sh (installed by scripts/setup.sh)");
		T_DONE();
	}
	printf("# PostgreSQL test server: %s\n", admin_url);
	contract_run(&pg_contract);
	test_open_by_url();
	test_refusals();
	test_migrate_v4();
	test_stalled_server();
	pg_stop();
	T_DONE();
}
