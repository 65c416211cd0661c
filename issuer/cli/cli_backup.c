/*
 * cli_backup.c: `identity-backend backup --to FILE [--force] [--db FILE]`: a
 * consistent copy of the database, taken while a server keeps serving (the
 * store's online backup), that `serve --db FILE` opens as it is. Refuses to
 * overwrite a file unless --force; a copy that fails half-way leaves nothing
 * under the target name.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"

static int usage(const char *why, const char *what)
{
	fprintf(stderr, "identity-backend backup: %s%s%s\n", why, what ? ": " : "", what ? what : "");
	return EXIT_USAGE;
}

/* see cli.h */
int cli_backup(int argc, char **argv)
{
	static const struct option opts[] = {{"to", required_argument, NULL, 't'},
	                                     {"db", required_argument, NULL, 'd'},
	                                     {"force", no_argument, NULL, 'f'},
	                                     {NULL, 0, NULL, 0}};
	const char *to = NULL, *db = NULL;
	int force = 0, c, rc;
	store *s = NULL;
	store_err e;
	struct stat sb;
	cJSON *o;

	/* main passes what follows "backup"; getopt wants the command word first, and
	 * argv[-1] is it (argv points into main's array). optind 0: start afresh. */
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc + 1, argv - 1, ":", opts, NULL)) != -1) {
		if (c == 't')
			to = optarg;
		else if (c == 'd')
			db = optarg;
		else if (c == 'f')
			force = 1;
		else
			return usage(c == ':' ? "missing value for" : "unknown option", argv[optind - 2]);
	}
	if (optind - 1 != argc)
		return usage("unexpected argument", argv[optind - 1]);
	if (!to || !*to)
		return usage("--to FILE is required", NULL);
	if (!force && lstat(to, &sb) == 0)
		return usage("the target exists (--force replaces it)", to);
	if ((rc = cli_store_open("backup", db, 0, &s)))
		return rc;
	if ((e = store_backup(s, to, force)) != STORE_OK) {
		rc = cli_store_fail("backup", s, "backup", e);
		store_close(s);
		return rc;
	}
	store_close(s);
	o = cJSON_CreateObject();
	if (o && (!cJSON_AddStringToObject(o, "backup", to) ||
	          !cJSON_AddNumberToObject(o, "bytes", stat(to, &sb) == 0 ? (double)sb.st_size : 0))) {
		cJSON_Delete(o);
		o = NULL;
	}
	return cli_print_json("backup", o);
}
