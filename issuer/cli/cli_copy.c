/*
 * cli_copy.c: `identity-backend store copy --from DB --to DB [--merge]`: moves an
 * installation between backends (SQLite to PostgreSQL and back): clients, users,
 * signing keys, revocations, sessions, codes, refresh tokens (used and revoked
 * ones too, so reuse is still caught), login flows and consents, row for row.
 *
 * The copy is one transaction on the target: it lands whole or not at all, and a
 * SQLite file the copy created is removed again when it fails. A target that
 * holds any row is refused unless --merge (rows whose key exists are then kept
 * as they are). Private keys stored plain are sealed on the way when
 * SECRETS_SYSTEM is set, which PostgreSQL requires; sealed keys travel as they
 * are (the target needs the same secrets). Never prints a row, a secret or a
 * URL's password.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <wolfssl/wolfcrypt/settings.h>
#include <wolfssl/wolfcrypt/random.h>

#include "cli/cli.h"

static int usage(const char *why, const char *what)
{
	fprintf(stderr, "identity-backend store: %s%s%s\n", why, what ? ": " : "", what ? what : "");
	return EXIT_USAGE;
}

/* What the row callback needs; the first failure stays in e. */
struct copy {
	store *to;
	size_t t, rows;
	int merge;
	const seal_keys *seal;
	WC_RNG *rng;
	store_err e;
	const char *why; /* a failure of ours (sealing), else NULL */
};

/* A signing key row whose private part is plain gets it sealed (v: kid, alg, private_der, ...). */
static int seal_key(struct copy *c, struct store_value *v, uint8_t *buf, size_t cap)
{
	char kid[STORE_ID_MAX + 1];
	size_t n = 0;

	if (!c->seal->n || v[2].kind != 'b' || seal_is_sealed(v[2].p, v[2].len))
		return 0;
	if (v[0].kind != 't' || v[0].len > STORE_ID_MAX)
		return -1;
	memcpy(kid, v[0].p, v[0].len);
	kid[v[0].len] = '\0';
	if (seal_close(c->seal, c->rng, kid, v[2].p, v[2].len, buf, cap, &n))
		return -1;
	v[2].p = buf;
	v[2].len = n;
	return 0;
}

static int copy_row(void *ctx, const struct store_value *v, size_t n)
{
	struct copy *c = ctx;
	struct store_value w[STORE_RAW_COLS_MAX];
	uint8_t sealed[STORE_KEY_DER_MAX];

	memcpy(w, v, n * sizeof *v);
	if (strcmp(store_raw_tables[c->t].name, "signing_keys") == 0 &&
	    seal_key(c, w, sealed, sizeof sealed)) {
		c->why = "a private key could not be sealed";
		c->e = STORE_INVALID;
		return 1;
	}
	c->e = store_raw_put(c->to, c->t, w, n, c->merge);
	explicit_bzero(sealed, sizeof sealed);
	c->rows++;
	return c->e != STORE_OK;
}

static int any_row(void *ctx, const struct store_value *v, size_t n)
{
	(void)v, (void)n;
	*(int *)ctx = 1;
	return 1;
}

/* 1 when the store holds a row in any table, 0 when none, -1 when it cannot say. */
static int holds_rows(store *s)
{
	int any = 0;

	for (size_t t = 0; t < store_raw_n && !any; t++)
		if (store_raw_each(s, t, any_row, &any) != STORE_OK)
			return -1;
	return any;
}

/* Every table from `from` into `to` in one transaction; the rows of each into counts
 * (*nomem set when one could not be added: the copy stands, the report lacks it). */
static int copy_all(store *from, store *to, struct copy *c, cJSON *counts, int *nomem)
{
	store_err e;

	if ((e = store_tx_begin(to)) != STORE_OK)
		return cli_store_fail("store", to, "copy", e);
	for (c->t = 0; c->t < store_raw_n; c->t++) {
		c->rows = 0;
		e = store_raw_each(from, c->t, copy_row, c);
		if (e != STORE_OK || c->e != STORE_OK) {
			store_tx_end(to, 0);
			if (c->why)
				return fprintf(stderr, "identity-backend store: copy: %s\n", c->why),
				       EXIT_INVALID;
			return cli_store_fail("store", e != STORE_OK ? from : to,
			                      e != STORE_OK ? "reading the source"
			                                    : store_raw_tables[c->t].name,
			                      e != STORE_OK ? e : c->e);
		}
		*nomem |=
		    !counts || !cJSON_AddNumberToObject(counts, store_raw_tables[c->t].name, (double)c->rows);
	}
	if ((e = store_tx_end(to, 1)) != STORE_OK)
		return cli_store_fail("store", to, "commit", e);
	return 0;
}

/* store copy: see the top of this file. */
static int store_copy(const char *from_db, const char *to_db, int merge, const seal_keys *seal)
{
	struct copy c = {.merge = merge, .seal = seal, .e = STORE_OK};
	int made =
	    !store_is_postgres(to_db) && access(strncmp(to_db, "sqlite:", 7) ? to_db : to_db + 7, F_OK) != 0;
	store *from = NULL, *to = NULL;
	cJSON *o = NULL, *counts = cJSON_CreateObject();
	WC_RNG rng;
	int rc, held, nomem = 0;

	if (wc_InitRng(&rng) != 0)
		return fputs("identity-backend store: cannot seed the random generator\n", stderr),
		       EXIT_INVALID;
	c.rng = &rng;
	if ((rc = cli_store_open("store", from_db, 0, &from)) ||
	    (rc = cli_store_open("store", to_db, 1, &to)))
		goto out;
	c.to = to;
	if ((held = holds_rows(to)) != 0 && !(held == 1 && merge)) {
		rc = held < 0 ? cli_store_fail("store", to, "reading the target", STORE_IO)
		              : usage("the target holds data (--merge adds to it)", NULL);
		goto out;
	}
	if ((rc = copy_all(from, to, &c, counts, &nomem)))
		goto out;
	made = 0;
	if (nomem || !(o = cJSON_CreateObject()) || !cJSON_AddItemToObject(o, "copied", counts)) {
		fputs("identity-backend store: copied, but out of memory for the report\n", stderr);
		cJSON_Delete(o);
		rc = 0;
		goto out;
	}
	counts = NULL; /* o owns it */
	rc = cli_print_json("store", o);
out:
	cJSON_Delete(counts);
	store_close(from);
	store_close(to);
	wc_FreeRng(&rng);
	if (made && to) { /* a failed copy leaves no new file behind */
		char p[4096];
		const char *f = strncmp(to_db, "sqlite:", 7) ? to_db : to_db + 7;

		unlink(f);
		snprintf(p, sizeof p, "%s-wal", f), unlink(p);
		snprintf(p, sizeof p, "%s-shm", f), unlink(p);
	}
	return rc;
}

/* see cli.h */
int cli_store(int argc, char **argv)
{
	static const struct option opts[] = {{"from", required_argument, NULL, 'f'},
	                                     {"to", required_argument, NULL, 't'},
	                                     {"merge", no_argument, NULL, 'm'},
	                                     {NULL, 0, NULL, 0}};
	const char *from = NULL, *to = NULL;
	seal_keys seal;
	int merge = 0, c, rc;

	if (argc < 1 || strcmp(argv[0], "copy") != 0)
		return usage(argc < 1 ? "a subcommand (copy) is required" : "unknown subcommand",
		             argc < 1 ? NULL : argv[0]);
	/* argv[0] is "copy": getopt's argv[0]. optind 0: start afresh. */
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		if (c == 'f')
			from = optarg;
		else if (c == 't')
			to = optarg;
		else if (c == 'm')
			merge = 1;
		else
			return usage(c == ':' ? "missing value for" : "unknown option", argv[optind - 1]);
	}
	if (optind != argc)
		return usage("unexpected argument", argv[optind]);
	if (!from || !*from || !to || !*to)
		return usage("copy needs --from DB and --to DB", NULL);
	if (strcmp(from, to) == 0)
		return usage("--from and --to name the same database", NULL);
	if (cli_seal_env("store", to, &seal))
		return EXIT_USAGE;
	rc = store_copy(from, to, merge, &seal);
	seal_keys_wipe(&seal);
	return rc;
}
