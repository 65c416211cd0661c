/*
 * cli_mail.c: `identity-backend mail test --to ADDRESS [--wait SECONDS]` and
 * `mail status`: does the mail of this deployment work? test queues one test
 * mail in the outbox with the server's settings (SMTP_URL, MAIL_FROM,
 * JWT_ISSUER), for the running server's sender to deliver, and with --wait
 * watches it until it was sent or failed. status counts the outbox. Neither
 * prints a password, a message or a link.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"

/* Longest --wait, seconds. */
#define CLI_MAIL_WAIT_MAX 600

struct mail_args {
	const char *sub, *extra, *to, *wait, *db;
};

/* see cli.h */
void cli_mail_env(struct mail_settings *in, const char *issuer)
{
	in->smtp_url = getenv("SMTP_URL");
	in->mail_from = getenv("MAIL_FROM");
	in->retry_seconds = getenv("MAIL_RETRY_SECONDS");
	in->ca_file = getenv("SMTP_CA_FILE");
	in->issuer = issuer;
}

/* Print a usage error; returns -1 so parsers can `return usage(...)`. */
static int usage(const char *msg, const char *arg)
{
	return cli_usage_error("mail",
	                       "usage: identity-backend mail test --to ADDRESS [--wait SECONDS] [--db FILE]\n"
	                       "       identity-backend mail status [--db FILE]\n",
	                       msg, arg);
}

static int mail_opt(void *ctx, const char *name, const char *value)
{
	struct mail_args *a = ctx;

	if (strcmp(name, "--to") == 0)
		a->to = value;
	else if (strcmp(name, "--wait") == 0)
		a->wait = value;
	else
		a->db = value;
	return 0;
}

static int mail_pos(void *ctx, const char *word)
{
	struct mail_args *a = ctx;

	return cli_next_word(&a->sub, &a->extra, word) || a->extra ? usage("unexpected argument", word) : 0;
}

static int mail_usage(const char *why, const char *word)
{
	return usage(why, word);
}

static const char *state_name(int state)
{
	return state == STORE_MAIL_SENT ? "sent" : state == STORE_MAIL_FAILED ? "failed" : "queued";
}

/* Watch mail id for up to seconds; print where it stands. Exit 0 when sent, else 1. */
static int watch(store *s, const char *id, int64_t seconds)
{
	struct timespec pause = {0, 250 * 1000000};
	struct store_mail *m = calloc(1, sizeof *m);
	time_t until = time(NULL) + (time_t)seconds;
	store_err e = STORE_NOMEM;
	cJSON *o = NULL;
	int sent;

	while (m && (e = store_outbox_get(s, id, m)) == STORE_OK && m->state == STORE_MAIL_QUEUED &&
	       time(NULL) < until)
		nanosleep(&pause, NULL);
	if (e != STORE_OK) {
		free(m);
		return cli_store_fail("mail", s, "watch", e);
	}
	sent = m->state == STORE_MAIL_SENT;
	if ((o = cJSON_CreateObject()) && (!cJSON_AddStringToObject(o, "id", id) ||
	                                   !cJSON_AddStringToObject(o, "state", state_name(m->state)) ||
	                                   !cJSON_AddNumberToObject(o, "attempts", m->attempts) ||
	                                   !cJSON_AddStringToObject(o, "last_error", m->last_error)))
		cJSON_Delete(o), o = NULL;
	explicit_bzero(m, sizeof *m);
	free(m);
	return cli_print_json("mail", o) || !sent ? EXIT_INVALID : 0;
}

/* mail test: queue the test mail (and watch it). */
static int mail_test(const struct mail_args *a)
{
	const char *issuer = getenv("JWT_ISSUER");
	struct mail_settings in;
	struct mail_config c;
	char err[256], id[MAIL_ID_LEN + 1];
	int64_t wait = 0;
	store *s = NULL;
	store_err se;
	mail_err me;
	cJSON *o;
	int rc;

	if (!a->to)
		return usage("test needs --to ADDRESS", NULL), EXIT_USAGE;
	if (a->wait && cli_parse_i64(a->wait, 0, CLI_MAIL_WAIT_MAX, &wait))
		return usage("--wait takes seconds (0..600)", a->wait), EXIT_USAGE;
	cli_mail_env(&in, issuer && *issuer ? issuer : "http://127.0.0.1:8080");
	if ((rc = mail_config_read(&in, &c, err, sizeof err)) <= 0) {
		fprintf(stderr, "identity-backend mail: %s\n",
		        rc ? err : "mail is off: set SMTP_URL and MAIL_FROM as the server has them");
		return EXIT_USAGE;
	}
	if ((rc = cli_store_open("mail", a->db, 0, &s)))
		return rc;
	if ((me = mail_queue(s, &c, "test", a->to, NULL, (int64_t)time(NULL), id, &se)) != MAIL_OK) {
		rc = me == MAIL_STORE
		         ? cli_store_fail("mail", s, "queue", se)
		         : (fprintf(stderr, "identity-backend mail: %s\n", mail_strerror(me)), EXIT_USAGE);
		store_close(s);
		return rc;
	}
	if (wait > 0) {
		rc = watch(s, id, wait);
		store_close(s);
		return rc;
	}
	store_close(s);
	if ((o = cJSON_CreateObject()) &&
	    (!cJSON_AddStringToObject(o, "queued", id) || !cJSON_AddStringToObject(o, "smtp", c.smtp.shown)))
		cJSON_Delete(o), o = NULL;
	explicit_bzero(&c, sizeof c);
	return cli_print_json("mail", o);
}

/* mail status: the outbox's counts. */
static int mail_status(const struct mail_args *a)
{
	struct store_outbox_counts n;
	store *s = NULL;
	store_err e;
	cJSON *o;
	int rc;

	if ((rc = cli_store_open("mail", a->db, 0, &s)))
		return rc;
	e = store_outbox_count(s, (int64_t)time(NULL), &n);
	rc = e == STORE_OK ? 0 : cli_store_fail("mail", s, "count", e);
	store_close(s);
	if (rc)
		return rc;
	if ((o = cJSON_CreateObject()) && (!cJSON_AddNumberToObject(o, "queued", (double)n.queued) ||
	                                   !cJSON_AddNumberToObject(o, "due", (double)n.due) ||
	                                   !cJSON_AddNumberToObject(o, "sent", (double)n.sent) ||
	                                   !cJSON_AddNumberToObject(o, "failed", (double)n.failed)))
		cJSON_Delete(o), o = NULL;
	return cli_print_json("mail", o);
}

/* see cli.h */
int cli_mail(int argc, char **argv)
{
	static const struct option opts[] = {CLI_VALUE("to"), CLI_VALUE("wait"), CLI_VALUE("db"), CLI_END};
	static const cli_syntax syn = {opts, mail_opt, mail_pos, mail_usage};
	struct mail_args a = {0};

	if (cli_parse(argc, argv, &syn, &a))
		return EXIT_USAGE;
	if (a.sub && strcmp(a.sub, "test") == 0)
		return mail_test(&a);
	if (a.sub && strcmp(a.sub, "status") == 0 && !a.to && !a.wait)
		return mail_status(&a);
	usage(!a.sub                    ? "a subcommand (test, status) is required"
	      : strcmp(a.sub, "status") ? "unknown subcommand"
	                                : "status takes only --db",
	      a.sub && strcmp(a.sub, "status") ? a.sub : NULL);
	return EXIT_USAGE;
}
