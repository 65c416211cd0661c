/*
 * cli_doctor.c: `identity-backend doctor [--db FILE] [--issuer URL]`: a security
 * self-check of a deployment, run with the environment the server runs with. One
 * line per finding on stdout ("identity-backend doctor: <what>: <why>"), exit 1 when
 * there is any, 0 and "no findings" when there is none, 2 for usage errors. It
 * reads the database but never changes it, and never prints a secret or a key.
 *
 * What it looks at: the issuer URL (https), legacy HS256 (JWT_SECRET_KEY), the
 * argon2id cost, the rules for new passwords (PASSWORD_MIN_LENGTH, and the list
 * of common passwords: missing, unreadable or turned off with PASSWORD_LIST=none),
 * per-account and per-address limits, the database file's and its
 * folder's modes, a networked database without SECRETS_SYSTEM, clients' http
 * redirect URIs to hosts other than loopback, signing keys older than the
 * rotation period, private keys stored unsealed where they should be sealed
 * (SECRETS_SYSTEM set, or PostgreSQL), and mail: SMTP_URL and MAIL_FROM invalid or
 * one without the other, mail in the clear (smtp+insecure://) to a host other than
 * loopback, mails given up or still waiting after several attempts in the outbox.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli/cli.h"
#include "http/brand.h"

/* Keys older than this many days are a finding when scheduled rotation is off. */
#ifndef DOCTOR_KEY_DAYS
#define DOCTOR_KEY_DAYS 90
#endif

struct doctor {
	int findings;
	int64_t now;
	int64_t key_days;
	int want_sealed; /* SECRETS_SYSTEM set, or a networked database: keys should be sealed */
};

static void finding(struct doctor *d, const char *what, const char *why)
{
	printf("identity-backend doctor: %s: %s\n", what, why);
	d->findings++;
}

/* 1 when the host of an http(s) URI is loopback (127.0.0.0/8, localhost, [::1]). */
static int loopback(const char *uri)
{
	const char *h = strstr(uri, "://");
	size_t n;

	if (!h)
		return 0;
	h += 3;
	n = strcspn(h, ":/?#");
	return (n >= 4 && strncmp(h, "127.", 4) == 0) || (n == 9 && strncmp(h, "localhost", 9) == 0) ||
	       strncmp(h, "[::1]", 5) == 0;
}

static void check_issuer(struct doctor *d, const char *issuer)
{
	if (strncmp(issuer, "https://", 8) != 0 && !loopback(issuer))
		finding(d, "issuer",
		        "not https: tokens, cookies and passwords cross the network in the clear");
	else if (strncmp(issuer, "https://", 8) != 0)
		finding(d, "issuer",
		        "http on loopback: fine for development, never for users (set an https JWT_ISSUER)");
}

static void check_env(struct doctor *d)
{
	static const char *const limits[] = {"LOGIN_LOCKOUT_THRESHOLD", "LOGIN_FAILURES_PER_ADDRESS",
	                                     "CLIENT_AUTH_FAILURES_PER_ADDRESS"};
	struct password_params p;
	char err[256], why[320];
	int weak_allowed;
	int64_t v;

	if (getenv("JWT_SECRET_KEY") && *getenv("JWT_SECRET_KEY"))
		finding(d, "JWT_SECRET_KEY",
		        "legacy HS256 is on: anyone holding the shared secret can mint tokens");
	if (cli_password_params(&p, &weak_allowed, err, sizeof err))
		finding(d, "argon2id", err);
	else if (weak_allowed && password_params_weak(&p))
		finding(d, "argon2id",
		        "PASSWORD_ARGON2_TEST=1 allows hashes below OWASP's minimum (tests only)");
	for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++) {
		v = 1;
		if (cli_env_i64(limits[i], 0, 1000000, &v) == 0 && v == 0) {
			snprintf(why, sizeof why,
			         "0 turns %s off: guessing passwords or secrets is unlimited",
			         i == 0 ? "account lockout" : "the per-address limit");
			finding(d, limits[i], why);
		}
	}
	v = DOCTOR_KEY_DAYS;
	if (cli_env_i64("KEY_ROTATION_DAYS", 0, 3650, &v) == 0 && v == 0)
		finding(d, "KEY_ROTATION_DAYS", "0 turns scheduled key rotation off");
	d->key_days = v ? v : DOCTOR_KEY_DAYS;
}

/* The rules for new passwords (policy.h): their settings, and that the list of
 * common passwords loads as `user add` would load it. */
static void check_policy(struct doctor *d)
{
	struct policy_list *l = NULL;
	const char *path;
	char err[512], why[768];
	unsigned min_chars;

	if (cli_env_password_policy(&min_chars, &path, err, sizeof err)) {
		finding(d, "password policy", err);
	} else if (!path) {
		finding(d, "PASSWORD_LIST",
		        "none: new passwords are not checked against a list of common passwords");
	} else if (policy_list_load(path, &l, err, sizeof err)) {
		snprintf(why, sizeof why, "%s; new passwords cannot be set until it loads (%s)", err,
		         CLI_PASSWORD_LIST_HINT);
		finding(d, "PASSWORD_LIST", why);
	}
	policy_list_free(l);
}

/* The database file (a SQLite path) and its folder: no one but the owner may read or change them. */
static void check_files(struct doctor *d, const char *db)
{
	char dir[4096], why[320];
	const char *slash = strrchr(db, '/');
	struct stat sb;

	if (strstr(db, "://")) {
		if (!getenv("SECRETS_SYSTEM") || !*getenv("SECRETS_SYSTEM"))
			finding(d, "SECRETS_SYSTEM",
			        "unset with a networked database: private keys are stored unsealed");
		return;
	}
	if (stat(db, &sb) == 0 && (sb.st_mode & 077)) {
		snprintf(why, sizeof why, "mode %03o: others may read the private keys (chmod 600)",
		         (unsigned)(sb.st_mode & 0777));
		finding(d, db, why);
	}
	snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - db) + (slash == db) : 1, slash ? db : ".");
	if (stat(dir, &sb) == 0 && (sb.st_mode & 022)) {
		snprintf(why, sizeof why, "folder mode %03o: others may replace the database",
		         (unsigned)(sb.st_mode & 0777));
		finding(d, dir, why);
	}
}

static int check_client(void *ctx, const struct store_client *c)
{
	struct doctor *d = ctx;
	char what[STORE_ID_MAX + 16], why[STORE_URI_MAX + 96];

	for (const char *p = c->redirect_uris; *p;) {
		size_t n = strcspn(p, "\n");
		char uri[STORE_URI_MAX + 1];
		snprintf(uri, sizeof uri, "%.*s", (int)n, p);
		if (strncmp(uri, "http://", 7) == 0 && !loopback(uri)) {
			snprintf(what, sizeof what, "client %s", c->id);
			snprintf(why, sizeof why,
			         "redirect URI %s is http to a network host: codes travel in the clear", uri);
			finding(d, what, why);
		}
		p += n + (p[n] == '\n');
	}
	if (store_list_has(c->grants, "password")) {
		snprintf(what, sizeof what, "client %s", c->id);
		finding(d, what,
		        "may use the password grant: it sees its users' passwords (RFC 9700 section 2.4); "
		        "move it to the code flow when it can");
	}
	return 0;
}

static int check_key(void *ctx, const struct store_key *k)
{
	struct doctor *d = ctx;
	char what[STORE_ID_MAX + 16], why[128];

	if (k->retired_at == 0 && d->now - k->created_at > d->key_days * 86400) {
		snprintf(what, sizeof what, "key %s", k->kid);
		snprintf(why, sizeof why,
		         "%s key signing for %lld days (more than %lld): rotate it (keys rotate)", k->alg,
		         (long long)((d->now - k->created_at) / 86400), (long long)d->key_days);
		finding(d, what, why);
	}
	if (d->want_sealed && !seal_is_sealed(k->private_der, k->private_der_len)) {
		snprintf(what, sizeof what, "key %s", k->kid);
		finding(d, what,
		        "its private key is stored unsealed: run keys reseal with SECRETS_SYSTEM set");
	}
	return 0;
}

/* Authenticator apps' keys stored plain where keys should be sealed. */
static void check_app_keys(struct doctor *d, store *s)
{
	size_t n = 0;
	char why[128];

	if (!d->want_sealed || cli_app_keys_unsealed(s, &n) != STORE_OK || !n)
		return;
	snprintf(why, sizeof why, "%zu stored unsealed: run keys reseal with SECRETS_SYSTEM set", n);
	finding(d, "authenticator apps", why);
}

/* The mail settings as serve reads them (never printing the password). */
static void check_mail(struct doctor *d)
{
	struct mail_settings in;
	struct mail_config c;
	char err[256];
	int rc;

	cli_mail_env(&in, "");
	rc = mail_config_read(&in, &c, err, sizeof err);

	if (rc < 0)
		finding(d, "mail", err);
	else if (rc > 0 && c.smtp.tls == SMTP_PLAIN && strncmp(c.smtp.host, "127.", 4) != 0 &&
	         strcmp(c.smtp.host, "localhost") != 0 && strcmp(c.smtp.host, "[::1]") != 0)
		finding(d, "SMTP_URL",
		        "smtp+insecure:// to a network host: mails (with their links) and the SMTP password "
		        "cross the network in the clear");
	explicit_bzero(&c, sizeof c);
}

/* Self-registration as serve reads it: open without mail does not start; open without
 * verification lets anyone sign in with an address they do not own. */
static void check_registration(struct doctor *d)
{
	const char *reg = getenv("REGISTRATION"), *ver = getenv("REGISTRATION_REQUIRE_VERIFIED");

	if (!reg || strcmp(reg, "open") != 0)
		return;
	if (!getenv("SMTP_URL") || !*getenv("SMTP_URL"))
		finding(d, "REGISTRATION", "open without mail (SMTP_URL, MAIL_FROM): serve refuses to start");
	if (ver && strcmp(ver, "off") == 0)
		finding(d, "REGISTRATION_REQUIRE_VERIFIED",
		        "off with REGISTRATION=open: anyone can sign in with an address they do not own");
}

/* BRAND_DIR as serve reads it (brand.h): a folder or file it refuses stops the start. */
static void check_brand(struct doctor *d)
{
	struct brand b;
	char err[512];

	if (brand_load(getenv("BRAND_DIR"), &b, err, sizeof err))
		finding(d, "BRAND_DIR", strncmp(err, "BRAND_DIR: ", 11) == 0 ? err + 11 : err);
	else
		brand_free(&b);
}

/* The outbox: mails given up, and mails that keep failing (SMTP trouble). */
static void check_outbox(struct doctor *d, store *s)
{
	struct store_outbox_counts n;
	char why[160];

	if (store_outbox_count(s, d->now, &n) != STORE_OK)
		return;
	if (n.failed > 0) {
		snprintf(why, sizeof why, "%lld mails were given up (see the server's log by mail id)",
		         (long long)n.failed);
		finding(d, "outbox", why);
	}
	if (n.queued > 0 && n.due == n.queued && n.queued >= 10) {
		snprintf(why, sizeof why,
		         "%lld mails are waiting and due: is a server with SMTP_URL running?",
		         (long long)n.queued);
		finding(d, "outbox", why);
	}
}

static int usage(const char *why, const char *what)
{
	fprintf(stderr, "identity-backend doctor: %s%s%s\n", why, what ? ": " : "", what ? what : "");
	return EXIT_USAGE;
}

/* see cli.h */
int cli_doctor(int argc, char **argv)
{
	static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
	                                     {"issuer", required_argument, NULL, 'i'},
	                                     {NULL, 0, NULL, 0}};
	const char *db = NULL, *issuer = getenv("JWT_ISSUER");
	struct doctor d = {.now = (int64_t)time(NULL)};
	store *s = NULL;
	store_err e;
	int c, rc;

	/* main passes what follows "doctor"; argv[-1] is that word, getopt's argv[0]. */
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc + 1, argv - 1, ":", opts, NULL)) != -1) {
		if (c == 'd')
			db = optarg;
		else if (c == 'i')
			issuer = optarg;
		else
			return usage(c == ':' ? "missing value for" : "unknown option", argv[optind - 2]);
	}
	if (optind - 1 != argc)
		return usage("unexpected argument", argv[optind - 1]);
	check_issuer(&d, issuer && *issuer ? issuer : "http://127.0.0.1:8080");
	check_env(&d);
	check_policy(&d);
	check_mail(&d);
	check_registration(&d);
	check_brand(&d);
	if (cli_db_env("doctor", &db))
		return EXIT_USAGE;
	check_files(&d, db);
	d.want_sealed = store_is_postgres(db) || (getenv("SECRETS_SYSTEM") && *getenv("SECRETS_SYSTEM"));
	if ((rc = cli_store_open("doctor", db, 0, &s))) /* an unreadable database says why */
		return rc;
	if ((e = store_client_list(s, check_client, &d)) != STORE_OK ||
	    (e = store_key_list(s, d.now, check_key, &d)) != STORE_OK) {
		rc = cli_store_fail("doctor", s, "read", e);
		store_close(s);
		return rc;
	}
	check_outbox(&d, s);
	check_app_keys(&d, s);
	store_close(s);
	if (!d.findings)
		printf("identity-backend doctor: no findings\n");
	return d.findings ? 1 : 0;
}
