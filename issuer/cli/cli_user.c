/*
 * cli_user.c: `identity-backend user add | list | remove`: the people who sign in
 * at the login page. add checks the username and email, loads the rules for new
 * passwords (policy.h: PASSWORD_MIN_LENGTH, and the list of common passwords
 * PASSWORD_LIST names) before it reads the password from standard input, refuses
 * a password that breaks one with the rule's reason, stores only its argon2id
 * hash (password.h) under a new random user id (the ID token's `sub`, never the
 * username), and prints the id; list shows who exists and who is locked out;
 * remove deletes a user with their sessions, codes and refresh tokens. A refused
 * password leaves nothing behind: no user, and no new database file.
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

/* Largest --now (for tests): 9999-12-31T23:59:59Z. */
#define USER_NOW_MAX 253402300799LL
/* RFC 5321 §4.5.3.1.1: the local part of an address is at most 64 octets. */
#define USER_EMAIL_LOCAL_MAX 64

#define ALNUM "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

typedef struct user_args {
	const char *db, *sub, *name, *username, *email;
	int password_stdin, add_only, has_now;
	int64_t now;
} user_args;

/* 1 when s has no control character, so it may be echoed to a terminal. */
static int printable(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

/* Print a usage error; returns -1 so parsers can `return usage(…)`. */
static int usage(const char *msg, const char *arg)
{
	if (arg && !printable(arg))
		arg = "(a value with control characters, not shown)";
	return cli_usage_error(
	    "user",
	    "usage: identity-backend user add --username USERNAME [--email EMAIL] --password-stdin\n"
	    "                               [--db FILE]\n"
	    "       identity-backend user list [--db FILE]\n"
	    "       identity-backend user show USERNAME [--db FILE]\n"
	    "       identity-backend user unlock USERNAME [--db FILE]\n"
	    "       identity-backend user remove USERNAME [--db FILE]\n",
	    msg, arg);
}

/* ---- values ---- */

/* 1..STORE_USERNAME_MAX characters of [A-Za-z0-9._@+-]: room for an email
 * address as a username, nothing that needs escaping in HTML, URLs or logs. */
static int valid_username(const char *u)
{
	size_t n = strspn(u, ALNUM "._@+-");

	return n > 0 && n <= STORE_USERNAME_MAX && u[n] == '\0';
}

/*
 * A "valid email address" of the WHATWG HTML standard (§4.10.5.1.5, what a
 * browser's <input type=email> accepts): 1*( atext / "." ) "@" and labels of
 * letters, digits and inner hyphens (at most 63) joined by dots; with RFC 5321's
 * limits of 64 octets before the "@" and STORE_EMAIL_MAX in all. ASCII only:
 * internationalised addresses (RFC 6531) are not accepted.
 */
static int valid_email(const char *e)
{
	const char *at = strchr(e, '@'), *d;
	size_t local, n;

	if (!at || strlen(e) > STORE_EMAIL_MAX)
		return 0;
	local = (size_t)(at - e);
	if (local == 0 || local > USER_EMAIL_LOCAL_MAX || strspn(e, ALNUM ".!#$%&'*+/=?^_`{|}~-") != local)
		return 0;
	for (d = at + 1;; d += n + 1) {
		n = strspn(d, ALNUM "-");
		if (n == 0 || n > 63 || d[0] == '-' || d[n - 1] == '-')
			return 0;
		if (d[n] == '\0')
			return 1;
		if (d[n] != '.')
			return 0;
	}
}

/* ---- arguments ---- */

/* One option into the user_args at ctx: --password-stdin (no value) or a "--flag value"
 * pair; returns 0, or -1 with a usage message printed. */
static int option(void *ctx, const char *flag, const char *val)
{
	user_args *a = ctx;

	if (!val && strcmp(flag, "--password-stdin") == 0) {
		a->password_stdin = 1;
	} else if (!val) {
		return usage("unknown option", flag);
	} else if (strcmp(flag, "--db") == 0) {
		a->db = val;
	} else if (strcmp(flag, "--username") == 0) {
		a->username = val;
		a->add_only = 1;
	} else if (strcmp(flag, "--email") == 0) {
		a->email = val;
		a->add_only = 1;
	} else if (strcmp(flag, "--now") == 0) { /* for tests; not in the usage text */
		if (cli_parse_i64(val, 0, USER_NOW_MAX, &a->now))
			return usage("invalid --now (Unix seconds)", val);
		a->has_now = 1;
	} else {
		return usage("unknown option", flag);
	}
	return 0;
}

/* 1 for the subcommands that take one USERNAME. */
static int names_one(const char *sub)
{
	return strcmp(sub, "remove") == 0 || strcmp(sub, "show") == 0 || strcmp(sub, "unlock") == 0;
}

/* Which arguments each subcommand takes; 0 or -1 with a usage message printed. */
static int check(const user_args *a)
{
	if (!a->sub)
		return usage("a subcommand (add, list, show, unlock, remove) is required", NULL);
	if (strcmp(a->sub, "add") == 0) {
		if (a->name)
			return usage("unexpected argument", a->name);
		if (!a->username)
			return usage("add needs --username", NULL);
		if (!valid_username(a->username))
			return usage("invalid --username (1..64 of A-Z a-z 0-9 . _ @ + -)", a->username);
		if (a->email && !valid_email(a->email))
			return usage("invalid --email (an address such as name@example.com)", a->email);
		if (!a->password_stdin)
			return usage("add needs --password-stdin (the password is read from standard input)",
			             NULL);
		if (a->has_now)
			return usage("add", "takes no --now");
		return 0;
	}
	if (strcmp(a->sub, "list") != 0 && !names_one(a->sub))
		return usage("unknown subcommand", a->sub);
	if (a->add_only || a->password_stdin)
		return usage(a->sub, "takes only --db");
	if (strcmp(a->sub, "list") == 0 && a->name)
		return usage("unexpected argument", a->name);
	if (names_one(a->sub)) {
		if (a->has_now && strcmp(a->sub, "show") != 0)
			return usage(a->sub, "takes no --now");
		if (!a->name) {
			char msg[64];
			snprintf(msg, sizeof msg, "%s needs a USERNAME", a->sub);
			return usage(msg, NULL);
		}
		if (!valid_username(a->name))
			return usage("invalid username", a->name);
	}
	return 0;
}

/* One positional: the subcommand, then remove's USERNAME. */
static int word(void *ctx, const char *arg)
{
	user_args *a = ctx;

	return cli_next_word(&a->sub, &a->name, arg) ? usage("unexpected argument", arg) : 0;
}

/* Options and positionals in any order; after "--" only positionals. */
static int parse_args(user_args *a, int argc, char **argv)
{
	static const struct option opts[] = {
	    CLI_VALUE("db"),  CLI_VALUE("username"),        CLI_VALUE("email"),
	    CLI_VALUE("now"), CLI_SWITCH("password-stdin"), CLI_END};
	static const cli_syntax syn = {opts, option, word, usage};

	return cli_parse(argc, argv, &syn, a) ? -1 : check(a);
}

/* ---- add ---- */

/*
 * The password from standard input into buf[PASSWORD_MAX_LEN + 4] with read(2),
 * one trailing newline ("\n" or "\r\n") removed; it must then be
 * password_valid(). Returns 0, or an exit status with a message printed (which
 * never shows the password).
 */
static int read_password(char buf[PASSWORD_MAX_LEN + 4], size_t *len)
{
	const char *why = NULL;
	int rc = cli_read_secret("user", "password", buf, PASSWORD_MAX_LEN, len);

	if (rc)
		return rc;
	if (*len == 0)
		why = "the password on stdin is empty";
	else if (*len > PASSWORD_MAX_LEN)
		why = "the password on stdin is longer than 1024 bytes";
	else if (!password_valid(buf, *len))
		why = "the password on stdin is not UTF-8 text (or holds a NUL byte)";
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

/* A random (version 4) UUID, RFC 9562 §5.4, as 36 lowercase characters + NUL. */
static int new_user_id(WC_RNG *rng, char out[37])
{
	static const char hex[] = "0123456789abcdef";
	uint8_t b[16];
	size_t o = 0;

	if (wc_RNG_GenerateBlock(rng, b, sizeof b) != 0)
		return -1;
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40); /* version 4 */
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80); /* variant 10 */
	for (size_t i = 0; i < sizeof b; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[b[i] >> 4];
		out[o++] = hex[b[i] & 15];
	}
	out[o] = '\0';
	return 0;
}

/* Fill u's id and password hash; 0 or EXIT_INVALID with a message printed. */
static int make_user(struct store_user *u, const char *pw, size_t len, const struct password_params *p)
{
	WC_RNG rng;
	password_err e = PASSWORD_ERROR;
	int rc = EXIT_INVALID;

	if (wc_InitRng(&rng) != 0) {
		fputs("identity-backend user: cannot seed the random generator\n", stderr);
		return EXIT_INVALID;
	}
	if (new_user_id(&rng, u->id) == 0 &&
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
	int rc;

	memset(&u, 0, sizeof u);
	snprintf(u.username, sizeof u.username, "%s", a->username);
	snprintf(u.email, sizeof u.email, "%s", a->email ? a->email : "");
	u.created_at = (int64_t)time(NULL);
	rc = make_user(&u, pw, len, p);
	explicit_bzero(pw, len);
	if (rc)
		goto out;
	if ((e = store_user_put(s, &u)) == STORE_CONFLICT) {
		fprintf(stderr, "identity-backend user: user exists: %s\n", u.username);
		rc = EXIT_INVALID;
		goto out;
	}
	if (e != STORE_OK) {
		rc = cli_store_fail("user", s, "add", e);
		goto out;
	}
	if ((o = cJSON_CreateObject()) && (!cJSON_AddStringToObject(o, "user_id", u.id) ||
	                                   !cJSON_AddStringToObject(o, "username", u.username) ||
	                                   (u.email[0] && !cJSON_AddStringToObject(o, "email", u.email)))) {
		cJSON_Delete(o);
		o = NULL;
	}
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
	cJSON *o = cJSON_CreateObject();

	if (!o || !cJSON_AddStringToObject(o, "user_id", u->id) ||
	    !cJSON_AddStringToObject(o, "username", u->username) ||
	    (u->email[0] && !cJSON_AddStringToObject(o, "email", u->email)) ||
	    !cJSON_AddNumberToObject(o, "created_at", (double)u->created_at) ||
	    !cJSON_AddItemToArray(l->out, o)) {
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

/* One user's row (never its hash) and its sign-in record: failures counted since
 * when, and the lock in force (locked_until, 0 when none) at now. */
static int user_show(store *s, const char *username, int64_t now)
{
	struct store_user u;
	struct store_login g = {0};
	store_err e = store_user_get_by_name(s, username, &u);
	cJSON *o;

	if (e == STORE_NOT_FOUND) {
		fprintf(stderr, "identity-backend user: no such user: %s\n", username);
		return EXIT_INVALID;
	}
	if (e == STORE_OK && (e = store_login_get(s, u.username, &g)) == STORE_NOT_FOUND)
		e = STORE_OK;
	if (e != STORE_OK)
		return cli_store_fail("user", s, "show", e);
	explicit_bzero(u.password_hash, sizeof u.password_hash);
	if ((o = cJSON_CreateObject()) &&
	    (!cJSON_AddStringToObject(o, "user_id", u.id) ||
	     !cJSON_AddStringToObject(o, "username", u.username) ||
	     (u.email[0] && !cJSON_AddStringToObject(o, "email", u.email)) ||
	     !cJSON_AddNumberToObject(o, "created_at", (double)u.created_at) ||
	     !cJSON_AddBoolToObject(o, "locked", g.locked_until > now) ||
	     !cJSON_AddNumberToObject(o, "locked_until",
	                              (double)(g.locked_until > now ? g.locked_until : 0)) ||
	     !cJSON_AddNumberToObject(o, "failed_attempts", (double)g.attempts))) {
		cJSON_Delete(o);
		o = NULL;
	}
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

static int user_remove(store *s, const char *username)
{
	return cli_removed("user", s, store_user_delete(s, username), "user", username);
}

/* see cli.h */
int cli_user(int argc, char **argv)
{
	user_args a;
	struct password_params params;
	struct policy policy;
	struct policy_list *list = NULL;
	char pw[PASSWORD_MAX_LEN + 4] = "", err[256];
	size_t len = 0;
	store *s = NULL;
	int rc = EXIT_USAGE, weak_allowed = 0;

	memset(&a, 0, sizeof a);
	password_params_default(&params);
	if (parse_args(&a, argc, argv))
		goto out;
	if (strcmp(a.sub, "add") == 0) {
		if (cli_password_params(&params, &weak_allowed, err, sizeof err)) {
			usage(err, NULL);
			goto out;
		}
		if (weak_allowed && password_params_weak(&params))
			fprintf(
			    stderr,
			    "identity-backend user: warning: PASSWORD_ARGON2_TEST=1: argon2id m=%lu,t=%lu "
			    "is below OWASP's minimum; for tests only\n",
			    (unsigned long)params.m_kib, (unsigned long)params.t);
		if ((rc = load_policy(&policy, &list)) || (rc = read_password(pw, &len)) ||
		    (rc = check_password(&policy, a.username, pw, len)))
			goto out;
	}
	if ((rc = cli_store_open("user", a.db, strcmp(a.sub, "add") == 0, &s)))
		goto out;
	if (strcmp(a.sub, "add") == 0)
		rc = user_add(s, &a, pw, len, &params);
	else if (strcmp(a.sub, "list") == 0)
		rc = user_list(s, a.has_now ? a.now : (int64_t)time(NULL));
	else if (strcmp(a.sub, "show") == 0)
		rc = user_show(s, a.name, a.has_now ? a.now : (int64_t)time(NULL));
	else if (strcmp(a.sub, "unlock") == 0)
		rc = user_unlock(s, a.name);
	else
		rc = user_remove(s, a.name);
out:
	explicit_bzero(pw, sizeof pw);
	policy_list_free(list);
	store_close(s);
	return rc;
}
