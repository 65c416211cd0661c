/*
 * cli_store.c: what the store-backed subcommands (keys, client, user) share:
 * the database named by --db or DATABASE_URL and its settings (DB_TIMEOUT_MS,
 * SECRETS_SYSTEM), opening it, reporting store failures in one form,
 * and printing their one JSON answer (see cli.h). It never prints a value it
 * was not handed, and wipes the printed text, which may carry a fresh secret.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "runtime/audit.h"
#include "cli/cli.h"

/* see cli.h */
int cli_store_open(const char *cmd, const char *path, int create, store **out)
{
	char err[512];
	struct stat st;
	const char *file; /* a SQLite file's path, for the existence check */

	*out = NULL;
	if (cli_db_env(cmd, &path))
		return EXIT_USAGE;
	file = strncmp(path, "sqlite:", 7) == 0 ? path + 7 : path;
	if (!create && !store_is_postgres(path) && stat(file, &st) != 0 && errno == ENOENT) {
		fprintf(stderr, "identity-backend %s: no database at %s\n", cmd, path);
		return EXIT_USAGE;
	}
	if (strcmp(path, CLI_DB_DEFAULT) == 0) {
		if (mkdir("var", 0700) != 0 && errno != EEXIST) {
			fprintf(stderr, "identity-backend %s: var: cannot create: %s\n", cmd,
			        strerror(errno));
			return EXIT_INVALID;
		}
	}
	err[0] = '\0';
	if (!(*out = store_open(path, err, sizeof err))) {
		fprintf(stderr, "identity-backend %s: %s\n", cmd, err[0] ? err : "cannot open the database");
		return EXIT_INVALID;
	}
	return 0;
}

/* see cli.h */
int cli_store_fail(const char *cmd, store *s, const char *what, store_err e)
{
	const char *detail = s ? store_errmsg(s) : "";

	fprintf(stderr, "identity-backend %s: %s: %s%s%s\n", cmd, what, store_strerror(e),
	        *detail ? ": " : "", detail);
	return EXIT_INVALID;
}

/* see cli.h */
int cli_print_json(const char *cmd, cJSON *o)
{
	char *text = o ? cJSON_Print(o) : NULL;
	int rc = EXIT_INVALID;

	cJSON_Delete(o);
	if (!text) {
		fprintf(stderr, "identity-backend %s: out of memory\n", cmd);
		return EXIT_INVALID;
	}
	if (puts(text) >= 0 && fflush(stdout) == 0)
		rc = 0;
	else
		fprintf(stderr, "identity-backend %s: cannot write the answer: %s\n", cmd, strerror(errno));
	explicit_bzero(text, strlen(text));
	cJSON_free(text);
	return rc;
}

/* see cli.h */
int cli_list_done(const char *cmd, store *s, store_err e, int nomem, cJSON *out)
{
	if (!out || e != STORE_OK || nomem) {
		cJSON_Delete(out);
		return e == STORE_OK || e == STORE_NOMEM ? cli_print_json(cmd, NULL)
		                                         : cli_store_fail(cmd, s, "list", e);
	}
	return cli_print_json(cmd, out);
}

/* see cli.h */
void cli_audit(const char *event, const char *name1, const char *value1, const char *name2,
               const char *value2)
{
	static int opened;
	reqlog_field f[3];
	size_t n = 0;
	char err[300];

	if (!opened) {
		opened = 1;
		if (audit_open(getenv("AUDIT_LOG"), err, sizeof err))
			fprintf(stderr, "identity-backend: %s: the event goes to stderr\n", err);
	}
	if (name1)
		f[n++] = (reqlog_field){name1, value1, 0};
	if (name2)
		f[n++] = (reqlog_field){name2, value2, 0};
	f[n++] = (reqlog_field){"by", "command", 0};
	audit_event(event, "info", NULL, f, n);
}

/* see cli.h */
int cli_removed(const char *cmd, store *s, store_err e, const char *noun, const char *name)
{
	char event[32];
	cJSON *o;

	if (e == STORE_NOT_FOUND) {
		fprintf(stderr, "identity-backend %s: no such %s: %s\n", cmd, noun, name);
		return EXIT_INVALID;
	}
	if (e != STORE_OK)
		return cli_store_fail(cmd, s, "remove", e);
	snprintf(event, sizeof event, "%s.removed", noun);
	cli_audit(event, strcmp(noun, "user") == 0 ? "username" : noun, name, NULL, NULL);
	if ((o = cJSON_CreateObject()) && !cJSON_AddStringToObject(o, "removed", name)) {
		cJSON_Delete(o);
		o = NULL;
	}
	return cli_print_json(cmd, o);
}

/* see cli.h */
int cli_db_env(const char *cmd, const char **db)
{
	const char *url = getenv("DATABASE_URL");
	int64_t ms = 0;

	if (db && !*db)
		*db = url && *url ? url : CLI_DB_DEFAULT;
	if (cli_env_i64("DB_TIMEOUT_MS", 1, 600000, &ms)) {
		fprintf(stderr,
		        "identity-backend %s: DB_TIMEOUT_MS: not a number of milliseconds in 1..600000\n",
		        cmd);
		return -1;
	}
	store_pg_set_timeout((int)ms);
	return 0;
}

/* see cli.h */
int cli_seal_env(const char *cmd, const char *db, seal_keys *seal)
{
	char why[128];

	if (seal_keys_parse(getenv("SECRETS_SYSTEM"), seal, why, sizeof why)) {
		fprintf(stderr, "identity-backend %s: SECRETS_SYSTEM: %s\n", cmd, why);
		return -1;
	}
	if (!seal->n && store_is_postgres(db)) {
		fprintf(stderr,
		        "identity-backend %s: SECRETS_SYSTEM is required with PostgreSQL (one or more "
		        "comma-separated secrets of at least 32 bytes that seal the private keys)\n",
		        cmd);
		return -1;
	}
	return 0;
}
