/*
 * cli_user.c: `identity-backend user add | list | remove`: the people who sign in
 * at the login page. add checks the username and email, loads the rules for new
 * passwords (policy.h: PASSWORD_MIN_LENGTH, and the list of common passwords
 * PASSWORD_LIST names) before it reads the password from standard input, refuses
 * a password that breaks one with the rule's reason, stores only its argon2id
 * hash (password.h) under a new random user id (the ID token's `sub`, never the
 * username), and prints the id; list shows who exists and who is locked out;
 * remove deletes a user with their sessions, codes and refresh tokens; show lists
 * their second factors (what and when, never their secrets), and mfa reset removes
 * them all and ends the user's sessions. A refused password leaves nothing behind:
 * no user, and no new database file.
 *
 * A password is never printed, logged, put in an error message or kept: stdin is
 * read with read(2) into one buffer (no stdio buffer holds a copy), which is
 * wiped as soon as it is hashed. The hash is not shown either, not even by list.
 * Hashing here, on the operator's command, is fine; in the server it belongs on
 * the worker pool (password.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "crypto/password.h"
#include "crypto/policy.h"
#include "crypto/secret.h"
#include "mail/mail.h"
#include "store/valid.h"
#include "oauth/claims.h"

/* Largest --now (for tests): 9999-12-31T23:59:59Z. */
#define USER_NOW_MAX 253402300799LL

#define ALNUM "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

typedef struct user_args {
	const char *db, *sub, *name, *username, *email, *fullname;
	const char *action;                /* mfa's: "reset" */
	char groups[STORE_GROUPS_MAX + 1]; /* --group values as a list */
	int password_stdin, keep_sessions, has_groups, verified, has_now, bad_group;
	int64_t now;
} user_args;

/* --email-verified or --email-unverified: user_args.verified. */
enum { VERIFIED_UNSET = 0, VERIFIED_YES, VERIFIED_NO };

/* Print a usage error; returns -1 so parsers can `return usage(…)`. */
static int usage(const char *msg, const char *arg)
{
	return cli_usage_error(
	    "user",
	    "usage: identity-backend user add --username USERNAME [--email EMAIL] [--name NAME]\n"
	    "                               [--email-verified] [--group GROUP]... [--password-stdin]\n"
	    "       identity-backend user update USERNAME [--email EMAIL] [--name NAME]\n"
	    "                               [--email-verified | --email-unverified]\n"
	    "                               [--group GROUP]... [--no-groups]\n"
	    "       identity-backend user set-password USERNAME [--password-stdin] [--keep-sessions]\n"
	    "       identity-backend user list | show USERNAME | disable USERNAME | enable USERNAME\n"
	    "       identity-backend user unlock USERNAME | remove USERNAME\n"
	    "       identity-backend user mfa reset USERNAME\n"
	    "Every subcommand takes --db FILE|URL. Without --password-stdin the password is\n"
	    "asked at the terminal, twice, and not echoed.\n",
	    msg, arg);
}

/* ---- values ---- */

/* A group name: 1..64 of [A-Za-z0-9._:@/+-] ("admins", "system:masters", "/team/ops"). */
static int valid_group(const char *g)
{
	size_t n = strspn(g, ALNUM "._:@/+-");

	return n > 0 && n <= 64 && g[n] == '\0';
}

/* Append group g to a->groups (once); a bad or excess group is remembered for check(). */
static void add_group(user_args *a, const char *g)
{
	size_t used = strlen(a->groups), n = strlen(g);

	a->has_groups = 1;
	if (!valid_group(g) || used + n + 1 > STORE_GROUPS_MAX)
		a->bad_group = 1;
	else if (!store_list_has(a->groups, g))
		snprintf(a->groups + used, sizeof a->groups - used, "%s%s", used ? "\n" : "", g);
}

/* ---- arguments ---- */

/* A switch (val NULL) of user_args; 0, or -1 with a usage message printed. */
static int option_switch(user_args *a, const char *flag)
{
	if (strcmp(flag, "--password-stdin") == 0)
		a->password_stdin = 1;
	else if (strcmp(flag, "--keep-sessions") == 0)
		a->keep_sessions = 1;
	else if (strcmp(flag, "--email-verified") == 0 || strcmp(flag, "--email-unverified") == 0)
		a->verified = a->verified ? -1 : flag[8] == 'v' ? VERIFIED_YES : VERIFIED_NO;
	else if (strcmp(flag, "--no-groups") == 0)
		a->has_groups = 1, a->groups[0] = '\0';
	else
		return usage("unknown option", flag);
	return 0;
}

/* One option into the user_args at ctx: a switch or a "--flag value" pair; returns 0, or -1
 * with a usage message printed. */
static int option(void *ctx, const char *flag, const char *val)
{
	user_args *a = ctx;

	if (!val)
		return option_switch(a, flag);
	if (strcmp(flag, "--db") == 0)
		a->db = val;
	else if (strcmp(flag, "--username") == 0)
		a->username = val;
	else if (strcmp(flag, "--email") == 0)
		a->email = val;
	else if (strcmp(flag, "--name") == 0)
		a->fullname = val;
	else if (strcmp(flag, "--group") == 0)
		add_group(a, val);
	else if (strcmp(flag, "--now") == 0) { /* for tests; not in the usage text */
		if (cli_parse_i64(val, 0, USER_NOW_MAX, &a->now))
			return usage("invalid --now (Unix seconds)", val);
		a->has_now = 1;
	} else
		return usage("unknown option", flag);
	return 0;
}

/* The profile options (add and update) are well-formed; 0 or -1 with a usage message. */
static int check_profile(const user_args *a)
{
	if (a->email && !(a->email[0] == '\0' && strcmp(a->sub, "update") == 0) &&
	    !store_email_valid(a->email))
		return usage("invalid --email (an address such as name@example.com)", a->email);
	if (a->fullname && !(a->fullname[0] == '\0' && strcmp(a->sub, "update") == 0) &&
	    !store_fullname_valid(a->fullname))
		return usage("invalid --name (1..128 bytes of UTF-8 text, no control characters)",
		             a->fullname);
	if (a->bad_group)
		return usage("invalid --group (1..64 of A-Z a-z 0-9 . _ : @ / + -; 1024 bytes in all)", NULL);
	if (a->verified < 0)
		return usage("--email-verified and --email-unverified", "take one of them");
	return 0;
}

/* Which subcommand takes which option: a bit per option group. */
enum { O_ADD = 1, O_PROFILE = 2, O_PASSWORD = 4, O_KEEP = 8, O_NOW = 16 };

struct user_sub {
	const char *name;
	int takes;    /* O_* the subcommand accepts */
	int username; /* 1: takes one USERNAME */
};

static const struct user_sub user_subs[] = {
    {"add", O_ADD | O_PROFILE | O_PASSWORD, 0},
    {"list", O_NOW, 0},
    {"show", O_NOW, 1},
    {"update", O_PROFILE, 1},
    {"set-password", O_PASSWORD | O_KEEP, 1},
    {"disable", 0, 1},
    {"enable", 0, 1},
    {"unlock", 0, 1},
    {"remove", 0, 1},
    {"mfa", 0, 1},
};

static const struct user_sub *find_sub(const char *name)
{
	for (size_t i = 0; name && i < sizeof user_subs / sizeof user_subs[0]; i++)
		if (strcmp(user_subs[i].name, name) == 0)
			return &user_subs[i];
	return NULL;
}

/* Options given that sub does not take: the first one's name, or NULL. */
static const char *stray_option(const user_args *a, int takes)
{
	if (!(takes & O_ADD) && a->username)
		return "--username";
	if (!(takes & O_PROFILE) && (a->email || a->fullname || a->has_groups || a->verified))
		return a->email        ? "--email"
		       : a->fullname   ? "--name"
		       : a->has_groups ? "--group"
		                       : "--email-verified";
	if (!(takes & O_PASSWORD) && a->password_stdin)
		return "--password-stdin";
	if (!(takes & O_KEEP) && a->keep_sessions)
		return "--keep-sessions";
	if (!(takes & O_NOW) && a->has_now)
		return "--now";
	return NULL;
}

/* Which arguments each subcommand takes; 0 or -1 with a usage message printed. */
static int check(const user_args *a)
{
	const struct user_sub *sub = find_sub(a->sub);
	const char *stray;
	char msg[64];

	if (!a->sub)
		return usage("a subcommand is required", NULL);
	if (!sub)
		return usage("unknown subcommand", a->sub);
	if ((stray = stray_option(a, sub->takes))) {
		snprintf(msg, sizeof msg, "%s takes no", sub->name);
		return usage(msg, stray);
	}
	if (strcmp(sub->name, "mfa") == 0 && (!a->action || strcmp(a->action, "reset") != 0))
		return usage(a->action ? "unknown mfa action (there is: reset)"
		                       : "mfa needs an action: reset",
		             a->action);
	if (sub->username && !a->name) {
		snprintf(msg, sizeof msg, "%s%s%s needs a USERNAME", sub->name, a->action ? " " : "",
		         a->action ? a->action : "");
		return usage(msg, NULL);
	}
	if (!sub->username && a->name)
		return usage("unexpected argument", a->name);
	if (a->name && !store_username_valid(a->name))
		return usage("invalid username", a->name);
	if ((sub->takes & O_ADD) && !a->username)
		return usage("add needs --username", NULL);
	if ((sub->takes & O_ADD) && !store_username_valid(a->username))
		return usage("invalid --username (1..64 of A-Z a-z 0-9 . _ @ + -)", a->username);
	if (strcmp(sub->name, "update") == 0 && !a->email && !a->fullname && !a->has_groups && !a->verified)
		return usage("update needs --email, --name, --email-verified, --email-unverified, --group or "
		             "--no-groups",
		             NULL);
	if ((sub->takes & O_PASSWORD) && !a->password_stdin && !isatty(STDIN_FILENO))
		return usage("standard input is not a terminal: give --password-stdin and the password on it",
		             NULL);
	return (sub->takes & O_PROFILE) ? check_profile(a) : 0;
}

/* One positional: the subcommand, mfa's action, then the USERNAME. */
static int word(void *ctx, const char *arg)
{
	user_args *a = ctx;

	if (a->sub && strcmp(a->sub, "mfa") == 0 && !a->action) {
		a->action = arg;
		return 0;
	}
	return cli_next_word(&a->sub, &a->name, arg) ? usage("unexpected argument", arg) : 0;
}

/* Options and positionals in any order; after "--" only positionals. */
static int parse_args(user_args *a, int argc, char **argv)
{
	static const struct option opts[] = {CLI_VALUE("db"),
	                                     CLI_VALUE("username"),
	                                     CLI_VALUE("email"),
	                                     CLI_VALUE("name"),
	                                     CLI_VALUE("group"),
	                                     CLI_VALUE("now"),
	                                     CLI_SWITCH("no-groups"),
	                                     CLI_SWITCH("email-verified"),
	                                     CLI_SWITCH("email-unverified"),
	                                     CLI_SWITCH("password-stdin"),
	                                     CLI_SWITCH("keep-sessions"),
	                                     CLI_END};
	static const cli_syntax syn = {opts, option, word, usage};

	return cli_parse(argc, argv, &syn, a) ? -1 : check(a);
}

/* ---- showing a user ---- */

/* Who u is, never the hash: a new object, or NULL out of memory. */
static cJSON *user_json(const struct store_user *u)
{
	cJSON *o = cJSON_CreateObject();

	if (o && cJSON_AddStringToObject(o, "user_id", u->id) &&
	    cJSON_AddStringToObject(o, "username", u->username) &&
	    (!u->email[0] || cJSON_AddStringToObject(o, "email", u->email)) &&
	    cJSON_AddBoolToObject(o, "email_verified", u->email_verified) &&
	    (!u->name[0] || cJSON_AddStringToObject(o, "name", u->name)) &&
	    claims_add_groups(o, u->groups) == 0 && cJSON_AddBoolToObject(o, "disabled", u->disabled) &&
	    cJSON_AddNumberToObject(o, "created_at", (double)u->created_at))
		return o;
	cJSON_Delete(o);
	return NULL;
}

/* ---- verification mail ---- */

/* How long a verification link works, seconds (as a registration's). */
#define VERIFY_TTL 86400

/* The server's mail settings from the environment when mail is on and JWT_ISSUER
 * says where links lead, else NULL (a reason printed when a setting is invalid). */
static const struct mail_config *mail_env(void)
{
	static struct mail_config c;
	const char *issuer = getenv("JWT_ISSUER");
	struct mail_settings in;
	char err[256];
	int rc;

	if (!issuer || !*issuer)
		return NULL;
	cli_mail_env(&in, issuer);
	rc = mail_config_read(&in, &c, err, sizeof err);
	if (rc < 0)
		fprintf(stderr, "identity-backend user: no verification mail: invalid %s\n", err);
	return rc > 0 ? &c : NULL;
}

/* Inside s's open transaction: a single-use link to confirm u's address (stored as
 * its hash) and the mail that carries it; OK or the failure. */
static store_err queue_verification(store *s, const struct mail_config *c, const struct store_user *u,
                                    int64_t now)
{
	struct store_link l = {
	    .hash_len = SECRET_HASH_LEN, .kind = "verify", .created_at = now, .expires_at = now + VERIFY_TTL};
	char text[SECRET_TEXT_LEN + 1], url[1024];
	store_err e = STORE_NOMEM, se = STORE_OK;
	mail_err me;
	WC_RNG rng;

	if (wc_InitRng(&rng) != 0)
		return STORE_NOMEM;
	if (secret_generate(&rng, text) == 0) {
		secret_hash(text, SECRET_TEXT_LEN, l.hash);
		snprintf(l.user_id, sizeof l.user_id, "%s", u->id);
		snprintf(l.email, sizeof l.email, "%s", u->email);
		snprintf(url, sizeof url, "%s/verify-email?token=%s", c->issuer, text);
		if ((e = store_link_put(s, &l)) == STORE_OK &&
		    (me = mail_queue(s, c, "verify", u->email,
		                     &(struct mail_vars){.name = u->name[0] ? u->name : NULL,
		                                         .username = u->username,
		                                         .link = url,
		                                         .valid_for = VERIFY_TTL},
		                     now, NULL, &se)) != MAIL_OK)
			e = me == MAIL_STORE ? se : STORE_INVALID;
	}
	wc_FreeRng(&rng);
	explicit_bzero(text, sizeof text);
	explicit_bzero(url, sizeof url);
	return e;
}

/* Write u (put, or update) and, when mail is on and its address is not confirmed,
 * a verification mail, in one transaction; *mailed says whether one was queued. */
static store_err write_user(store *s, const struct store_user *u, int put, int want_mail, int *mailed)
{
	const struct mail_config *c = want_mail && u->email[0] && !u->email_verified ? mail_env() : NULL;
	store_err e = store_tx_begin(s), e2;

	*mailed = 0;
	if (e != STORE_OK)
		return e;
	e = put ? store_user_put(s, u) : store_user_update(s, u);
	if (e == STORE_OK && c && (e = queue_verification(s, c, u, (int64_t)time(NULL))) == STORE_OK)
		*mailed = 1;
	e2 = store_tx_end(s, e == STORE_OK);
	return e == STORE_OK ? e2 : e;
}

/* ---- add ---- */

/*
 * The password from standard input into buf[PASSWORD_MAX_LEN + 4] with read(2),
 * one trailing newline ("\n" or "\r\n") removed; it must then be
 * password_valid(). Returns 0, or an exit status with a message printed (which
 * never shows the password).
 */
static int read_password(const user_args *a, char buf[PASSWORD_MAX_LEN + 4], size_t *len)
{
	const char *why = NULL;
	int rc = a->password_stdin ? cli_read_secret("user", "password", buf, PASSWORD_MAX_LEN, len)
	                           : cli_read_secret_tty("user", "password", buf, PASSWORD_MAX_LEN, len);

	if (rc)
		return rc;
	if (*len == 0)
		why = "the password is empty";
	else if (*len > PASSWORD_MAX_LEN)
		why = "the password is longer than 1024 bytes";
	else if (!password_valid(buf, *len))
		why = "the password is not UTF-8 text (or holds a NUL byte)";
	if (!why)
		return 0;
	usage(why, NULL);
	return EXIT_USAGE;
}

/*
 * The rules for new passwords from PASSWORD_MIN_LENGTH and PASSWORD_LIST into *p,
 * the list loaded into *list (NULL with PASSWORD_LIST=none; the caller frees it).
 * 0, or EXIT_USAGE with the reason printed: a list that cannot be read is never
 * skipped quietly.
 */
static int load_policy(struct policy *p, struct policy_list **list)
{
	char err[512];
	const char *path;

	policy_default(p);
	*list = NULL;
	if (cli_env_password_policy(&p->min_chars, &path, err, sizeof err)) {
		fprintf(stderr, "identity-backend user: %s\n", err);
		return EXIT_USAGE;
	}
	if (path && policy_list_load(path, list, err, sizeof err)) {
		fprintf(stderr, "identity-backend user: PASSWORD_LIST: %s; %s\n", err,
		        CLI_PASSWORD_LIST_HINT);
		return EXIT_USAGE;
	}
	p->list = *list;
	return 0;
}

/* 0 when pw[0..len) may be the new password of username under p, else
 * EXIT_INVALID with the rule it breaks printed (never the password). */
static int check_password(const struct policy *p, const char *username, const char *pw, size_t len)
{
	char why[256];

	if (policy_check(p, username, pw, len, why, sizeof why) == POLICY_OK)
		return 0;
	fprintf(stderr, "identity-backend user: password refused: %s\n", why);
	return EXIT_INVALID;
}

/* Fill u's id (when new_id) and password hash; 0 or EXIT_INVALID with a message printed. */
static int make_user(struct store_user *u, int new_id, const char *pw, size_t len,
                     const struct password_params *p)
{
	WC_RNG rng;
	password_err e = PASSWORD_ERROR;
	int rc = EXIT_INVALID;

	if (wc_InitRng(&rng) != 0) {
		fputs("identity-backend user: cannot seed the random generator\n", stderr);
		return EXIT_INVALID;
	}
	if ((!new_id || secret_uuid(&rng, u->id) == 0) &&
	    (e = password_hash(pw, len, p, &rng, u->password_hash, sizeof u->password_hash)) == PASSWORD_OK)
		rc = 0;
	else
		fprintf(stderr, "identity-backend user: cannot hash the password%s\n",
		        e == PASSWORD_BAD_PARAMS ? ": argon2id parameters out of range"
		                                 : " (out of memory?)");
	wc_FreeRng(&rng);
	return rc;
}

/* Add the user; pw[0..len) is wiped as soon as it is hashed. */
static int user_add(store *s, const user_args *a, char *pw, size_t len, const struct password_params *p)
{
	struct store_user u;
	store_err e;
	cJSON *o;
	int rc, mailed = 0;

	memset(&u, 0, sizeof u);
	snprintf(u.username, sizeof u.username, "%s", a->username);
	snprintf(u.email, sizeof u.email, "%s", a->email ? a->email : "");
	snprintf(u.name, sizeof u.name, "%s", a->fullname ? a->fullname : "");
	snprintf(u.groups, sizeof u.groups, "%s", a->groups);
	u.email_verified = a->verified == VERIFIED_YES && u.email[0];
	u.created_at = (int64_t)time(NULL);
	rc = make_user(&u, 1, pw, len, p);
	explicit_bzero(pw, len);
	if (rc)
		goto out;
	if ((e = write_user(s, &u, 1, 1, &mailed)) == STORE_CONFLICT) {
		fprintf(stderr, "identity-backend user: user exists: %s\n", u.username);
		rc = EXIT_INVALID;
		goto out;
	}
	if (e != STORE_OK) {
		rc = cli_store_fail("user", s, "add", e);
		goto out;
	}
	if ((o = user_json(&u)) && mailed && !cJSON_AddTrueToObject(o, "verification_mail"))
		cJSON_Delete(o), o = NULL;
	rc = cli_print_json("user", o);
	if (!rc)
		cli_audit("user.created", "sub", u.id, "username", u.username);
out:
	explicit_bzero(&u, sizeof u);
	return rc;
}

/* ---- list, remove ---- */

typedef struct list_ctx {
	cJSON *out;
	int64_t now;
	int nomem;
} list_ctx;

/* Who a user is and whether they are locked out; this callback does not read the hash. */
static int list_one(void *ctx, const struct store_user *u)
{
	list_ctx *l = ctx;
	cJSON *o = user_json(u);

	if (!o || !cJSON_AddItemToArray(l->out, o)) {
		cJSON_Delete(o);
		return l->nomem = 1;
	}
	return 0;
}

/* Mark each listed user locked or not: a lock of their username in force at now. */
static store_err add_locks(store *s, cJSON *users, int64_t now, int *nomem)
{
	cJSON *o;

	cJSON_ArrayForEach(o, users)
	{
		struct store_login g;
		store_err e =
		    store_login_get(s, cJSON_GetStringValue(cJSON_GetObjectItem(o, "username")), &g);

		if (e != STORE_OK && e != STORE_NOT_FOUND)
			return e;
		if (!cJSON_AddBoolToObject(o, "locked", e == STORE_OK && g.locked_until > now))
			*nomem = 1;
	}
	return STORE_OK;
}

static int user_list(store *s, int64_t now)
{
	list_ctx l = {.out = cJSON_CreateArray(), .now = now};
	store_err e = l.out ? store_user_list(s, list_one, &l) : STORE_NOMEM;

	if (e == STORE_OK && !l.nomem)
		e = add_locks(s, l.out, now, &l.nomem);
	return cli_list_done("user", s, e, l.nomem, l.out);
}

/* One second factor into the array of the list_ctx at ctx: what it is and when it
 * was made and last used (0: never), never its data. */
static int factor_one(void *ctx, const struct store_factor *f)
{
	list_ctx *l = ctx;
	cJSON *o = cJSON_CreateObject();

	if (!o || !cJSON_AddStringToObject(o, "id", f->id) || !cJSON_AddStringToObject(o, "kind", f->kind) ||
	    !cJSON_AddStringToObject(o, "name", f->name) ||
	    !cJSON_AddBoolToObject(o, "confirmed", f->confirmed) ||
	    !cJSON_AddNumberToObject(o, "created_at", (double)f->created_at) ||
	    !cJSON_AddNumberToObject(o, "last_used_at", (double)f->last_used_at) ||
	    !cJSON_AddItemToArray(l->out, o)) {
		cJSON_Delete(o);
		return l->nomem = 1;
	}
	return 0;
}

/* o's "factors": the second factors of user_id, oldest first. */
static store_err add_factors(store *s, cJSON *o, const char *user_id)
{
	list_ctx l = {.out = cJSON_AddArrayToObject(o, "factors")};
	store_err e = l.out ? store_factor_list(s, user_id, factor_one, &l) : STORE_NOMEM;

	return e == STORE_OK && l.nomem ? STORE_NOMEM : e;
}

/* u as show prints it: the profile, the sign-in record g at now, and the factors;
 * into *out (NULL when out of memory). */
static store_err show_json(store *s, const struct store_user *u, const struct store_login *g, int64_t now,
                           cJSON **out)
{
	cJSON *o = user_json(u);
	store_err e = STORE_OK;

	if (o && (!cJSON_AddBoolToObject(o, "locked", g->locked_until > now) ||
	          !cJSON_AddNumberToObject(o, "locked_until",
	                                   (double)(g->locked_until > now ? g->locked_until : 0)) ||
	          !cJSON_AddNumberToObject(o, "failed_attempts", (double)g->attempts)))
		e = STORE_NOMEM;
	if (o && e == STORE_OK)
		e = add_factors(s, o, u->id);
	if (e != STORE_OK) {
		cJSON_Delete(o);
		o = NULL;
	}
	*out = o;
	return e == STORE_NOMEM ? STORE_OK : e; /* out of memory: cli_print_json says so */
}

/* One user's row (never its hash), its sign-in record (failures counted since when,
 * and the lock in force, locked_until, 0 when none, at now) and its second factors. */
static int user_show(store *s, const char *username, int64_t now)
{
	struct store_user u;
	struct store_login g = {0};
	store_err e = store_user_get_by_name(s, username, &u);
	cJSON *o = NULL;

	if (e == STORE_NOT_FOUND) {
		fprintf(stderr, "identity-backend user: no such user: %s\n", username);
		return EXIT_INVALID;
	}
	explicit_bzero(u.password_hash, sizeof u.password_hash);
	if (e == STORE_OK && (e = store_login_get(s, u.username, &g)) == STORE_NOT_FOUND)
		e = STORE_OK;
	if (e == STORE_OK)
		e = show_json(s, &u, &g, now, &o);
	if (e != STORE_OK)
		return cli_store_fail("user", s, "show", e);
	return cli_print_json("user", o);
}

/* Lift a lock of the username and forget its failures (a user who exists, or not:
 * the sign-in record is per username). */
static int user_unlock(store *s, const char *username)
{
	struct store_user u;
	store_err e = store_user_get_by_name(s, username, &u);
	cJSON *o;

	if (e == STORE_NOT_FOUND) {
		fprintf(stderr, "identity-backend user: no such user: %s\n", username);
		return EXIT_INVALID;
	}
	explicit_bzero(u.password_hash, sizeof u.password_hash);
	if (e == STORE_OK && (e = store_login_unlock(s, u.username)) == STORE_NOT_FOUND)
		e = STORE_OK; /* nothing on record: nothing to lift */
	if (e != STORE_OK)
		return cli_store_fail("user", s, "unlock", e);
	cli_audit("user.unlocked", "sub", u.id, "username", u.username);
	if ((o = cJSON_CreateObject()) && !cJSON_AddStringToObject(o, "unlocked", u.username)) {
		cJSON_Delete(o);
		o = NULL;
	}
	return cli_print_json("user", o);
}

/* ---- set-password, disable, enable, update ---- */

/* The user named username into *u; 0, or an exit status with the reason printed. */
static int find_user(store *s, const char *username, const char *what, struct store_user *u)
{
	store_err e = store_user_get_by_name(s, username, u);

	if (e == STORE_NOT_FOUND) {
		fprintf(stderr, "identity-backend user: no such user: %s\n", username);
		return EXIT_INVALID;
	}
	return e == STORE_OK ? 0 : cli_store_fail("user", s, what, e);
}

/* Run change(s, u) and, when end is set, end u's sessions, in one transaction. */
static store_err apply(store *s, const struct store_user *u,
                       store_err (*change)(store *, const struct store_user *), int end)
{
	store_err e = store_tx_begin(s), e2;

	if (e != STORE_OK)
		return e;
	if ((e = change(s, u)) == STORE_OK && end)
		e = store_user_end_sessions(s, u->id);
	e2 = store_tx_end(s, e == STORE_OK);
	return e == STORE_OK ? e2 : e;
}

static store_err put_password(store *s, const struct store_user *u)
{
	return store_user_set_password(s, u->id, u->password_hash);
}

/* Print u (without its hash) and, when event is set, record it; the exit status. */
static int changed(const char *event, struct store_user *u)
{
	int rc;

	explicit_bzero(u->password_hash, sizeof u->password_hash);
	rc = cli_print_json("user", user_json(u));
	if (!rc && event)
		cli_audit(event, "sub", u->id, "username", u->username);
	return rc;
}

/* A new password for the user (same `sub`); their sessions and refresh tokens end
 * unless --keep-sessions. pw[0..len) is wiped as soon as it is hashed. */
static int user_set_password(store *s, const user_args *a, char *pw, size_t len,
                             const struct password_params *p)
{
	struct store_user u;
	store_err e;
	int rc = find_user(s, a->name, "set-password", &u);

	if (!rc)
		rc = make_user(&u, 0, pw, len, p);
	explicit_bzero(pw, len);
	if (!rc && (e = apply(s, &u, put_password, !a->keep_sessions)) != STORE_OK)
		rc = cli_store_fail("user", s, "set-password", e);
	if (!rc)
		rc = changed("user.password_changed", &u);
	explicit_bzero(&u, sizeof u);
	return rc;
}

/* disable (their sessions and refresh tokens end too) or enable a user. */
static int user_set_disabled(store *s, const char *username, int disabled)
{
	struct store_user u;
	store_err e;
	int rc = find_user(s, username, disabled ? "disable" : "enable", &u);

	u.disabled = disabled;
	if (!rc && (e = apply(s, &u, store_user_update, disabled)) != STORE_OK)
		rc = cli_store_fail("user", s, disabled ? "disable" : "enable", e);
	if (!rc)
		rc = changed(disabled ? "user.disabled" : "user.enabled", &u);
	explicit_bzero(&u, sizeof u);
	return rc;
}

/* Apply update's options to u: a new address is unverified unless --email-verified
 * says otherwise; "" removes the address (or the name). 0, or EXIT_USAGE. */
static int edit_profile(const user_args *a, struct store_user *u)
{
	if (a->email && strcmp(a->email, u->email) != 0) {
		snprintf(u->email, sizeof u->email, "%s", a->email);
		u->email_verified = 0;
	}
	if (a->fullname)
		snprintf(u->name, sizeof u->name, "%s", a->fullname);
	if (a->has_groups)
		snprintf(u->groups, sizeof u->groups, "%s", a->groups);
	if (a->verified)
		u->email_verified = a->verified == VERIFIED_YES;
	if (u->email_verified && !u->email[0]) {
		usage("--email-verified", "the user has no email address");
		return EXIT_USAGE;
	}
	return 0;
}

static int user_update(store *s, const user_args *a)
{
	struct store_user u;
	store_err e;
	int rc = find_user(s, a->name, "update", &u), mailed = 0, new_address;

	new_address = !rc && a->email && strcmp(a->email, u.email) != 0;
	if (!rc)
		rc = edit_profile(a, &u);
	if (!rc && (e = write_user(s, &u, 0, new_address, &mailed)) != STORE_OK)
		rc = cli_store_fail("user", s, "update", e);
	if (!rc && mailed)
		fputs("identity-backend user: a verification mail is queued for the new address\n", stderr);
	if (!rc)
		rc = changed("user.changed", &u);
	explicit_bzero(&u, sizeof u);
	return rc;
}

/* In one transaction: remove every second factor of u (*n gets how many) and end
 * their sessions, so that nobody stays signed in on a factor that is gone. */
static store_err clear_factors(store *s, const struct store_user *u, int *n)
{
	store_err e = store_tx_begin(s), e2;

	if (e != STORE_OK)
		return e;
	if ((e = store_factor_clear(s, u->id, NULL, n)) == STORE_OK)
		e = store_user_end_sessions(s, u->id);
	e2 = store_tx_end(s, e == STORE_OK);
	return e == STORE_OK ? e2 : e;
}

/* mfa reset: the user signs in with the password alone until they set up new
 * factors (a lost phone, a lost key); prints {"user_id","username","factors_removed"}. */
static int user_mfa_reset(store *s, const char *username)
{
	struct store_user u;
	store_err e;
	cJSON *o;
	int n = 0, rc = find_user(s, username, "mfa reset", &u);

	explicit_bzero(u.password_hash, sizeof u.password_hash);
	if (!rc && (e = clear_factors(s, &u, &n)) != STORE_OK)
		rc = cli_store_fail("user", s, "mfa reset", e);
	if (!rc) {
		cli_audit("user.mfa_reset", "sub", u.id, "username", u.username);
		if ((o = cJSON_CreateObject()) && (!cJSON_AddStringToObject(o, "user_id", u.id) ||
		                                   !cJSON_AddStringToObject(o, "username", u.username) ||
		                                   !cJSON_AddNumberToObject(o, "factors_removed", n))) {
			cJSON_Delete(o);
			o = NULL;
		}
		rc = cli_print_json("user", o);
	}
	explicit_bzero(&u, sizeof u);
	return rc;
}

static int user_remove(store *s, const char *username)
{
	return cli_removed("user", s, store_user_delete(s, username), "user", username);
}

/* The password settings and the new password, checked against the policy for username;
 * 0 or an exit status with the reason printed. */
static int new_password(const user_args *a, const char *username, struct password_params *params,
                        char pw[PASSWORD_MAX_LEN + 4], size_t *len)
{
	struct policy policy;
	struct policy_list *list = NULL;
	char err[256];
	int rc, weak_allowed = 0;

	if (cli_password_params(params, &weak_allowed, err, sizeof err)) {
		usage(err, NULL);
		return EXIT_USAGE;
	}
	if (weak_allowed && password_params_weak(params))
		fprintf(stderr,
		        "identity-backend user: warning: PASSWORD_ARGON2_TEST=1: argon2id m=%lu,t=%lu "
		        "is below OWASP's minimum; for tests only\n",
		        (unsigned long)params->m_kib, (unsigned long)params->t);
	if (!(rc = load_policy(&policy, &list)) && !(rc = read_password(a, pw, len)))
		rc = check_password(&policy, username, pw, *len);
	policy_list_free(list);
	return rc;
}

/* The subcommand a names on the open store s; pw[0..len) for add and set-password. */
static int run(store *s, const user_args *a, char *pw, size_t len, const struct password_params *params)
{
	int64_t now = a->has_now ? a->now : (int64_t)time(NULL);

	if (strcmp(a->sub, "add") == 0)
		return user_add(s, a, pw, len, params);
	if (strcmp(a->sub, "set-password") == 0)
		return user_set_password(s, a, pw, len, params);
	if (strcmp(a->sub, "list") == 0)
		return user_list(s, now);
	if (strcmp(a->sub, "show") == 0)
		return user_show(s, a->name, now);
	if (strcmp(a->sub, "update") == 0)
		return user_update(s, a);
	if (strcmp(a->sub, "disable") == 0 || strcmp(a->sub, "enable") == 0)
		return user_set_disabled(s, a->name, a->sub[0] == 'd');
	if (strcmp(a->sub, "unlock") == 0)
		return user_unlock(s, a->name);
	if (strcmp(a->sub, "mfa") == 0)
		return user_mfa_reset(s, a->name);
	return user_remove(s, a->name);
}

/* see cli.h */
int cli_user(int argc, char **argv)
{
	user_args a;
	struct password_params params;
	char pw[PASSWORD_MAX_LEN + 4] = "";
	size_t len = 0;
	store *s = NULL;
	int rc = EXIT_USAGE, adding, setting;

	memset(&a, 0, sizeof a);
	password_params_default(&params);
	if (parse_args(&a, argc, argv))
		goto out;
	adding = strcmp(a.sub, "add") == 0;
	setting = strcmp(a.sub, "set-password") == 0;
	if ((adding || setting) && (rc = new_password(&a, adding ? a.username : a.name, &params, pw, &len)))
		goto out;
	if ((rc = cli_store_open("user", a.db, adding, &s)))
		goto out;
	rc = run(s, &a, pw, len, &params);
out:
	explicit_bzero(pw, sizeof pw);
	store_close(s);
	return rc;
}
