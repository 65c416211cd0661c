/*
 * cli_store.c: what the store-backed subcommands (keys, client, user) share:
 * opening the database named by --db, reporting store failures in one form,
 * and printing their one JSON answer (see cli.h). It never prints a value it
 * was not handed, and wipes the printed text, which may carry a fresh secret.
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

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
int cli_removed(const char *cmd, store *s, store_err e, const char *noun, const char *name)
{
	cJSON *o;

	if (e == STORE_NOT_FOUND) {
		fprintf(stderr, "identity-backend %s: no such %s: %s\n", cmd, noun, name);
		return EXIT_INVALID;
	}
	if (e != STORE_OK)
		return cli_store_fail(cmd, s, "remove", e);
	if ((o = cJSON_CreateObject()) && !cJSON_AddStringToObject(o, "removed", name)) {
		cJSON_Delete(o);
		o = NULL;
	}
	return cli_print_json(cmd, o);
}
