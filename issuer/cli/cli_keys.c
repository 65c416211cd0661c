/*
 * cli_keys.c: `identity-backend keys list | rotate | retire | reseal`: the
 * operator's view of the signing keys in the store, the two steps of a rotation
 * (a new key is published at once and signs after a lead time; an old key is
 * retired, stops signing at once and leaves the JWKS after a grace time), and
 * sealing every stored private key anew with the first SECRETS_SYSTEM secret
 * (after adding a secret, or to seal keys stored plain). The running server
 * picks the changes up from the store by itself (keyring.h).
 *
 * Never prints, logs or keeps private key material: rotate holds the new key's
 * DER only between keys_export_private and store_key_put, reseal a key's only
 * while it seals it anew, and both wipe it.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "keys/keys.h"

/* Default publish-before-sign lead (s): verifiers cache the JWKS for 300 s. */
#define KEYS_LEAD_DEFAULT 300
/* Extra grace (s) after the token lifetime before a retired key is unpublished. */
#define KEYS_GRACE_EXTRA 300
/* Largest --lead and --grace (s): one year. */
#define KEYS_SPAN_MAX (366 * 86400)
/* Largest --now: 9999-12-31T23:59:59Z. */
#define KEYS_NOW_MAX 253402300799LL
/* Most distinct algorithms tracked when marking each one's signing key. */
#define KEYS_ALGS_MAX 16

typedef struct keys_args {
	const char *db, *sub, *kid, *alg;
	int64_t now, lead, grace;
	int has_lead, has_grace;
	seal_keys seal; /* SECRETS_SYSTEM */
} keys_args;

/* Print a usage error; returns -1 so parsers can `return usage(…)`. */
static int usage(const char *msg, const char *arg)
{
	return cli_usage_error(
	    "keys",
	    "usage: identity-backend keys list [--db FILE]\n"
	    "       identity-backend keys rotate [--alg ES256|RS256|PS256|EdDSA] [--lead SECONDS]\n"
	    "                                    [--db FILE]\n"
	    "       identity-backend keys retire KID [--grace SECONDS] [--db FILE]\n"
	    "       identity-backend keys reseal [--db FILE]\n",
	    msg, arg);
}

/* One "--flag value" pair into the keys_args at ctx; returns 0, or -1 with a usage message printed. */
static int option(void *ctx, const char *flag, const char *val)
{
	keys_args *a = ctx;
	int bad = 0;

	if (strcmp(flag, "--db") == 0)
		a->db = val;
	else if (strcmp(flag, "--alg") == 0)
		a->alg = val;
	else if (strcmp(flag, "--lead") == 0)
		bad = cli_parse_i64(val, 0, KEYS_SPAN_MAX, &a->lead), a->has_lead = 1;
	else if (strcmp(flag, "--grace") == 0)
		bad = cli_parse_i64(val, 0, KEYS_SPAN_MAX, &a->grace), a->has_grace = 1;
	else if (strcmp(flag, "--now") == 0) /* for tests; not in the usage text */
		bad = cli_parse_i64(val, 1, KEYS_NOW_MAX, &a->now);
	else
		return usage("unknown option", flag);
	return bad ? usage("invalid value for", flag) : 0;
}

/* Lead and grace from the environment when no flag gave them; 0 or -1. */
static int defaults(keys_args *a)
{
	int64_t m;

	if (!a->alg)
		a->alg = "ES256";
	if (!a->has_lead)
		a->lead = KEYS_LEAD_DEFAULT;
	if (!a->has_lead && cli_env_i64("KEY_LEAD_SECONDS", 0, KEYS_SPAN_MAX, &a->lead))
		return usage("invalid KEY_LEAD_SECONDS (0..31622400)", getenv("KEY_LEAD_SECONDS"));
	if (!a->has_grace && cli_env_token_minutes(&m))
		return usage("invalid JWT_EXPIRATION_MINUTES (1..1440)", getenv("JWT_EXPIRATION_MINUTES"));
	if (!a->has_grace)
		a->grace = m * 60 + KEYS_GRACE_EXTRA;
	if (!a->now)
		a->now = (int64_t)time(NULL);
	return 0;
}

/* Which options each subcommand takes; 0 or -1 with a usage message printed. */
static int check(keys_args *a)
{
	static const char *const algs[] = {"ES256", "RS256", "PS256", "EdDSA"};
	int known = 0;

	if (!a->sub)
		return usage("a subcommand (list, rotate, retire, reseal) is required", NULL);
	if (strcmp(a->sub, "list") && strcmp(a->sub, "rotate") && strcmp(a->sub, "retire") &&
	    strcmp(a->sub, "reseal"))
		return usage("unknown subcommand", a->sub);
	if (strcmp(a->sub, "retire") == 0 && !a->kid)
		return usage("retire needs a KID", NULL);
	if (a->kid && strcmp(a->sub, "retire") != 0)
		return usage("unexpected argument", a->kid);
	if (a->kid && (!a->kid[0] || strlen(a->kid) > STORE_ID_MAX))
		return usage("invalid KID", a->kid);
	if ((!strcmp(a->sub, "list") || !strcmp(a->sub, "reseal")) && (a->alg || a->has_lead || a->has_grace))
		return usage(a->sub, "takes only --db");
	if (strcmp(a->sub, "rotate") == 0 && a->has_grace)
		return usage("rotate does not take", "--grace");
	if (strcmp(a->sub, "retire") == 0 && (a->alg || a->has_lead))
		return usage("retire does not take", a->alg ? "--alg" : "--lead");
	for (size_t i = 0; a->alg && i < sizeof algs / sizeof algs[0]; i++)
		known |= strcmp(a->alg, algs[i]) == 0;
	if (a->alg && !known)
		return usage("unsupported --alg", a->alg);
	return defaults(a);
}

/* One positional: the subcommand, then retire's KID. */
static int word(void *ctx, const char *arg)
{
	keys_args *a = ctx;

	return cli_next_word(&a->sub, &a->kid, arg) ? usage("unexpected argument", arg) : 0;
}

/* Options and positionals in any order; after "--" only positionals (a kid is
 * base64url and may itself begin with "-"). */
static int parse_args(keys_args *a, int argc, char **argv)
{
	static const struct option opts[] = {CLI_VALUE("db"),    CLI_VALUE("alg"), CLI_VALUE("lead"),
	                                     CLI_VALUE("grace"), CLI_VALUE("now"), CLI_END};
	static const cli_syntax syn = {opts, option, word, usage};

	return cli_parse(argc, argv, &syn, a) ? -1 : check(a);
}

/* ---- list ---- */

typedef struct list_ctx {
	cJSON *out;
	int64_t now;
	char signing[KEYS_ALGS_MAX][STORE_ALG_MAX + 1]; /* algs whose signing key was seen */
	size_t n_signing;
	int nomem;
} list_ctx;

/* 1 when k is the key the server signs with: the first eligible of its alg
 * in the store's newest-first order (store.h, key_list). */
static int is_signing(list_ctx *c, const struct store_key *k)
{
	for (size_t i = 0; i < c->n_signing; i++)
		if (strcmp(c->signing[i], k->alg) == 0)
			return 0;
	if (c->n_signing == KEYS_ALGS_MAX)
		return 0;
	memcpy(c->signing[c->n_signing++], k->alg, sizeof c->signing[0]);
	return 1;
}

/* Public facts only: this callback never reads k->private_der. */
static int list_one(void *ctx, const struct store_key *k)
{
	list_ctx *c = ctx;
	cJSON *o = cJSON_CreateObject();
	int eligible = !k->retired_at && k->not_before <= c->now;

	if (!o || !cJSON_AddStringToObject(o, "kid", k->kid) || !cJSON_AddStringToObject(o, "alg", k->alg) ||
	    !cJSON_AddStringToObject(o, "status",
	                             k->retired_at ? "retired"
	                             : eligible    ? "active"
	                                           : "pending") ||
	    !cJSON_AddBoolToObject(o, "signing", eligible && is_signing(c, k)) ||
	    !cJSON_AddNumberToObject(o, "created_at", (double)k->created_at) ||
	    !cJSON_AddNumberToObject(o, "not_before", (double)k->not_before) ||
	    (k->retired_at && !cJSON_AddNumberToObject(o, "retired_at", (double)k->retired_at)) ||
	    (k->expires_at && !cJSON_AddNumberToObject(o, "expires_at", (double)k->expires_at)) ||
	    !cJSON_AddItemToArray(c->out, o)) {
		cJSON_Delete(o);
		return c->nomem = 1;
	}
	return 0;
}

static int keys_list(store *s, const keys_args *a)
{
	list_ctx c = {.out = cJSON_CreateArray(), .now = a->now};
	store_err e = STORE_NOMEM;

	if (!c.out || (e = store_key_list(s, a->now, list_one, &c)) != STORE_OK || c.nomem) {
		cJSON_Delete(c.out);
		return e == STORE_OK || e == STORE_NOMEM ? cli_print_json("keys", NULL)
		                                         : cli_store_fail("keys", s, "list", e);
	}
	return cli_print_json("keys", c.out);
}

/* ---- rotate ---- */

/* A new key for a->alg as a store row (sealed with SECRETS_SYSTEM when set); 0, or -1
 * with a message printed. */
static int new_key(const keys_args *a, struct store_key *row)
{
	WC_RNG rng;
	keys_key *k = NULL;
	jose_err err = JOSE_E_INTERNAL;
	int rc = -1;

	if (wc_InitRng(&rng) != 0) {
		fputs("identity-backend keys: cannot seed the random generator\n", stderr);
		return -1;
	}
	if ((err = keys_generate(a->alg, &rng, &k)) != JOSE_OK)
		goto out;
	if (keys_to_row(k, &a->seal, &rng, row)) {
		err = JOSE_E_INTERNAL;
		goto out;
	}
	row->created_at = a->now;
	row->not_before = a->now + a->lead;
	rc = 0;
out:
	if (rc)
		fprintf(stderr, "identity-backend keys: cannot generate a %s key: %s\n", a->alg,
		        jose_err_message(err));
	keys_free(k);
	wc_FreeRng(&rng);
	return rc;
}

static int keys_rotate(store *s, const keys_args *a)
{
	struct store_key *row = calloc(1, sizeof *row); /* ~8 KB, wiped before free */
	cJSON *o = NULL;
	store_err e;
	int rc = EXIT_INVALID;

	if (!row) {
		fputs("identity-backend keys: out of memory\n", stderr);
		return EXIT_INVALID;
	}
	if (new_key(a, row))
		goto out;
	if ((e = store_key_put(s, row)) != STORE_OK) {
		rc = cli_store_fail("keys", s, "cannot store the new key", e);
		goto out;
	}
	if ((o = cJSON_CreateObject()) &&
	    (!cJSON_AddStringToObject(o, "kid", row->kid) || !cJSON_AddStringToObject(o, "alg", row->alg) ||
	     !cJSON_AddNumberToObject(o, "not_before", (double)row->not_before))) {
		cJSON_Delete(o);
		o = NULL;
	}
	rc = cli_print_json("keys", o);
	if (!rc)
		cli_audit("keys.rotated", "kid", row->kid, "alg", row->alg);
out:
	explicit_bzero(row, sizeof *row);
	free(row);
	return rc;
}

/* ---- retire ---- */

static int keys_retire(store *s, const keys_args *a)
{
	store_err e = store_key_retire(s, a->kid, a->now, a->now + a->grace);
	cJSON *o;

	if (e == STORE_NOT_FOUND || e == STORE_CONFLICT) {
		fprintf(stderr, "identity-backend keys: %s: %s\n",
		        e == STORE_NOT_FOUND ? "no such key" : "already retired", a->kid);
		return EXIT_INVALID;
	}
	if (e != STORE_OK)
		return cli_store_fail("keys", s, "retire", e);
	if ((o = cJSON_CreateObject()) &&
	    (!cJSON_AddStringToObject(o, "kid", a->kid) ||
	     !cJSON_AddNumberToObject(o, "retired_at", (double)a->now) ||
	     !cJSON_AddNumberToObject(o, "expires_at", (double)(a->now + a->grace)))) {
		cJSON_Delete(o);
		o = NULL;
	}
	cli_audit("keys.retired", "kid", a->kid, NULL, NULL);
	return cli_print_json("keys", o);
}

/* ---- reseal ---- */

/* The stored keys, copied (key_list wipes its row after each call). */
struct key_rows {
	size_t n;
	struct store_key *k;
	int nomem;
};

static int keep_row(void *ctx, const struct store_key *k)
{
	struct key_rows *r = ctx;
	struct store_key *more = realloc(r->k, (r->n + 1) * sizeof *more);

	if (!more) {
		r->nomem = 1;
		return 1;
	}
	r->k = more;
	r->k[r->n++] = *k;
	return 0;
}

/* Seal row's private part anew with the first secret (opening it first when sealed);
 * 0, or -1 when no configured secret opens it or sealing failed. */
static int reseal_row(const seal_keys *seal, WC_RNG *rng, struct store_key *row)
{
	keys_key *k = NULL;
	int sealed = 0, rc = -1;

	if (keys_from_row(row, seal, &k, &sealed) == JOSE_OK && keys_to_row(k, seal, rng, row) == 0)
		rc = 0;
	else
		fprintf(stderr, "identity-backend keys: key %s: %s\n", row->kid,
		        sealed ? "sealed, and no secret in SECRETS_SYSTEM opens it" : "cannot be loaded");
	keys_free(k);
	return rc;
}

/* The authenticator-app keys (second factors of kind totp) of every user, each
 * with its stored bytes kept to swap them atomically; the users' ids first. */
struct app_keys {
	size_t n, n_users;
	struct store_factor *f;
	char (*users)[STORE_ID_MAX + 1];
	int nomem;
};

static int keep_app_key(void *ctx, const struct store_factor *f)
{
	struct app_keys *a = ctx;
	struct store_factor *more;

	if (strcmp(f->kind, STORE_FACTOR_TOTP) != 0)
		return 0;
	if (!(more = realloc(a->f, (a->n + 1) * sizeof *more))) {
		a->nomem = 1;
		return 1;
	}
	a->f = more;
	a->f[a->n++] = *f;
	return 0;
}

static int keep_user_id(void *ctx, const struct store_user *u)
{
	struct app_keys *a = ctx;
	char(*more)[STORE_ID_MAX + 1] = realloc(a->users, (a->n_users + 1) * sizeof *more);

	if (!more) {
		a->nomem = 1;
		return 1;
	}
	a->users = more;
	memcpy(a->users[a->n_users++], u->id, sizeof *more);
	return 0;
}

/* Every user's app keys into a; STORE_OK or the failure (STORE_NOMEM). */
static store_err list_app_keys(store *s, struct app_keys *a)
{
	store_err e = store_user_list(s, keep_user_id, a);

	for (size_t i = 0; i < a->n_users && e == STORE_OK && !a->nomem; i++)
		e = store_factor_list(s, a->users[i], keep_app_key, a);
	free(a->users);
	a->users = NULL;
	return e == STORE_OK && a->nomem ? STORE_NOMEM : e;
}

/* see cli.h */
store_err cli_app_keys_unsealed(store *s, size_t *n)
{
	struct app_keys a = {0};
	store_err e = list_app_keys(s, &a);

	*n = 0;
	for (size_t i = 0; e == STORE_OK && i < a.n; i++)
		*n += !seal_is_sealed(a.f[i].data, a.f[i].data_len);
	if (a.f)
		explicit_bzero(a.f, a.n * sizeof *a.f);
	free(a.f);
	return e;
}

/* Seal the app key f anew with the first secret into out[cap] (*out_len); 0, or -1
 * (printed) when no configured secret opens it. The key stays bound to the factor's id. */
static int reseal_app(const seal_keys *seal, WC_RNG *rng, const struct store_factor *f, uint8_t *out,
                      size_t cap, size_t *out_len)
{
	uint8_t plain[STORE_FACTOR_DATA_MAX];
	size_t len = f->data_len;
	int sealed = seal_is_sealed(f->data, f->data_len), rc = -1;

	if (sealed ? seal_open(seal, f->id, f->data, f->data_len, plain, sizeof plain, &len) == 0
	           : (memcpy(plain, f->data, len), 1))
		rc = seal_close(seal, rng, f->id, plain, len, out, cap, out_len);
	if (rc)
		fprintf(stderr, "identity-backend keys: an authenticator app of user %s: %s\n", f->user_id,
		        sealed ? "sealed, and no secret in SECRETS_SYSTEM opens it" : "cannot be sealed");
	explicit_bzero(plain, sizeof plain);
	return rc;
}

/* Swap every app key in a for its resealed bytes, inside the caller's transaction. */
static store_err reseal_apps(store *s, const seal_keys *seal, WC_RNG *rng, struct app_keys *a)
{
	uint8_t next[STORE_FACTOR_DATA_MAX];
	size_t len = 0;
	store_err e = STORE_OK;

	for (size_t i = 0; i < a->n && e == STORE_OK; i++) {
		const struct store_factor *f = &a->f[i];
		if (reseal_app(seal, rng, f, next, sizeof next, &len))
			e = STORE_INVALID;
		else
			e = store_factor_swap(s, f->id, f->user_id, f->data, f->data_len, next, len,
			                      f->last_used_at);
	}
	explicit_bzero(next, sizeof next);
	return e;
}

/* Every stored key (unexpired) and every authenticator app's key sealed anew with
 * SECRETS_SYSTEM's first secret, all in one transaction: {"resealed": N,
 * "app_keys_resealed": M}. */
static int keys_reseal(store *s, keys_args *a)
{
	struct key_rows r = {0};
	struct app_keys apps = {0};
	WC_RNG rng;
	store_err e = STORE_OK;
	int rc = EXIT_INVALID, bad = 0;
	cJSON *o;

	if (!a->seal.n) {
		fputs("identity-backend keys: reseal needs SECRETS_SYSTEM (the secret to seal with first)\n",
		      stderr);
		return EXIT_USAGE;
	}
	if (wc_InitRng(&rng) != 0) {
		fputs("identity-backend keys: cannot seed the random generator\n", stderr);
		return EXIT_INVALID;
	}
	if ((e = store_key_list(s, 0, keep_row, &r)) != STORE_OK || r.nomem) {
		rc = r.nomem ? (fputs("identity-backend keys: out of memory\n", stderr), EXIT_INVALID)
		             : cli_store_fail("keys", s, "list", e);
		goto out;
	}
	for (size_t i = 0; i < r.n && !bad; i++)
		bad = reseal_row(&a->seal, &rng, &r.k[i]);
	if (bad)
		goto out;
	if ((e = list_app_keys(s, &apps)) == STORE_OK && (e = store_tx_begin(s)) == STORE_OK) {
		for (size_t i = 0; i < r.n && e == STORE_OK; i++)
			e = store_key_set_private(s, r.k[i].kid, r.k[i].private_der, r.k[i].private_der_len);
		if (e == STORE_OK)
			e = reseal_apps(s, &a->seal, &rng, &apps);
		e = e == STORE_OK ? store_tx_end(s, 1) : (store_tx_end(s, 0), e);
	}
	if (e != STORE_OK) {
		rc = cli_store_fail("keys", s, "reseal", e);
		goto out;
	}
	if ((o = cJSON_CreateObject()) &&
	    (!cJSON_AddNumberToObject(o, "resealed", (double)r.n) ||
	     !cJSON_AddNumberToObject(o, "app_keys_resealed", (double)apps.n))) {
		cJSON_Delete(o);
		o = NULL;
	}
	rc = cli_print_json("keys", o);
out:
	if (r.k)
		explicit_bzero(r.k, r.n * sizeof *r.k);
	free(r.k);
	if (apps.f)
		explicit_bzero(apps.f, apps.n * sizeof *apps.f);
	free(apps.f);
	wc_FreeRng(&rng);
	return rc;
}

/* see cli.h */
int cli_keys(int argc, char **argv)
{
	keys_args a = {0};
	const char *db;
	store *s;
	int rc;

	if (parse_args(&a, argc, argv))
		return EXIT_USAGE;
	db = a.db;
	if (cli_db_env("keys", &db) ||
	    (strcmp(a.sub, "list") && strcmp(a.sub, "retire") && cli_seal_env("keys", db, &a.seal)))
		return EXIT_USAGE;
	if ((rc = cli_store_open("keys", db, strcmp(a.sub, "rotate") == 0, &s)) == 0) {
		if (strcmp(a.sub, "list") == 0)
			rc = keys_list(s, &a);
		else if (strcmp(a.sub, "rotate") == 0)
			rc = keys_rotate(s, &a);
		else if (strcmp(a.sub, "reseal") == 0)
			rc = keys_reseal(s, &a);
		else
			rc = keys_retire(s, &a);
		store_close(s);
	}
	seal_keys_wipe(&a.seal);
	return rc;
}
