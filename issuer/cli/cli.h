/*
 * cli.h: the subcommands of the identity-backend binary and the helpers they
 * share. Each subcommand takes argc/argv after its own name and returns the
 * process exit status (0 ok, 1 a verdict such as "invalid token", 2 usage).
 */
#ifndef ISSUER_CLI_H
#define ISSUER_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <getopt.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "crypto/password.h"
#include "crypto/policy.h"
#include "crypto/seal.h"
#include "mail/mail.h"
#include "store/store.h"

#define EXIT_INVALID 1
#define EXIT_USAGE   2

/* `identity-backend verify …`: one JSON verdict on stdout (see main.c's usage text). */
int cli_verify(int argc, char **argv);

/* `identity-backend serve …`: run the issuer until SIGTERM. */
int cli_serve(int argc, char **argv);

/*
 * `identity-backend keys list | rotate [--alg A] [--lead S] | retire KID [--grace S]`:
 * rotate adds a key that signs after the lead time (env KEY_LEAD_SECONDS, default 300); retire stops a key
 * signing at once and unpublishes it after the grace time (default: token lifetime + 300 s). Exit 1 when the
 * store fails or the key is unknown or already retired.
 */
int cli_keys(int argc, char **argv);

/*
 * `identity-backend client add --id ID [...] | list | remove ID`: register,
 * list and remove OAuth clients. add prints the client secret once; list never
 * prints a secret, hash or salt. Exit 1 when the store fails, the id exists
 * (add) or does not (remove).
 */
int cli_client(int argc, char **argv);

/*
 * `identity-backend user add --username U [--email E] --password-stdin | list |
 * show U | unlock U | remove U`: the people who sign in. show prints one user
 * (never the hash) with its sign-in record (locked, locked_until,
 * failed_attempts); unlock lifts a lock and forgets the failures. add reads the password from stdin, checks
 * it against the rules for new passwords (policy.h: PASSWORD_MIN_LENGTH,
 * PASSWORD_LIST), stores its argon2id hash (parameters from
 * PASSWORD_ARGON2_M_KIB, _T, _P; password.h) under a new random user id and
 * prints {"user_id","username","email"}; list and remove never print a password
 * or its hash. Exit 1 when the password is refused (with the rule it fails), the
 * store fails, the username exists (add) or does not (remove); 2 for usage
 * errors and settings out of range, a list of common passwords that cannot be
 * read among them.
 */
int cli_user(int argc, char **argv);

/*
 * `identity-backend backup --to FILE [--force] [--db FILE]`: a consistent copy of
 * the database while a server keeps serving (store_backup); prints
 * {"backup": FILE, "bytes": N}. Exit 2 when --to is missing, the target exists
 * without --force or there is no database; 1 when the copy failed.
 */
int cli_backup(int argc, char **argv);

/*
 * `identity-backend doctor [--db FILE] [--issuer URL]`: a security self-check of a
 * deployment in the server's environment: one line per finding on stdout, exit 1
 * when there is any, 0 ("no findings") when none; 2 for usage errors and a missing
 * database. Reads, never writes; prints no secret.
 */
int cli_doctor(int argc, char **argv);

/*
 * `identity-backend store copy --from DB --to DB [--merge]`: the whole
 * installation from one database to another (SQLite or PostgreSQL, either way),
 * in one transaction on the target; an empty target unless --merge. Prints
 * {"copied":{"clients":N,...}}; exit 2 for usage errors and a non-empty target,
 * 1 when a store fails (nothing is then copied).
 */
int cli_store(int argc, char **argv);

/*
 * `identity-backend mail test --to ADDRESS [--wait SECONDS] | status`: test queues
 * a test mail with the server's settings (SMTP_URL, MAIL_FROM) for its sender and
 * prints {"queued": id, "smtp": URL with the password masked}; with --wait it
 * watches the mail up to SECONDS and prints {"id","state","attempts","last_error"}
 * (exit 0 when sent, 1 when failed or still queued). status prints the outbox's
 * counts {"queued","due","sent","failed"}. Exit 2 for usage errors and mail off.
 */
int cli_mail(int argc, char **argv);

/* The mail settings from the environment (SMTP_URL, MAIL_FROM, MAIL_RETRY_SECONDS,
 * SMTP_CA_FILE) and issuer, for mail_config_read; in borrows the strings. */
void cli_mail_env(struct mail_settings *in, const char *issuer);

/* Where the store lives when neither --db nor DATABASE_URL is given. */
#define CLI_DB_DEFAULT "var/identity.db"

/*
 * The database when --db is not given: DATABASE_URL when set and not empty, else
 * CLI_DB_DEFAULT. Also applies DB_TIMEOUT_MS (1..600000 ms, the longest wait for
 * a networked database's answer) to the stores opened after; -1 with a message
 * printed for "identity-backend <cmd>" when that is not a number in range.
 */
int cli_db_env(const char *cmd, const char **db);

/*
 * SECRETS_SYSTEM (comma-separated secrets of at least 32 bytes; the first seals
 * new private keys, every one opens) into *seal, for the store at db. Required
 * when db is PostgreSQL: a networked database and its backups must never hold a
 * usable private key. 0, or -1 with "identity-backend <cmd>: ..." printed (never
 * a secret).
 */
int cli_seal_env(const char *cmd, const char *db, seal_keys *seal);

/* cli_keys.c: how many users' authenticator-app keys are stored unsealed, into *n (for
 * doctor; `keys reseal` seals them). STORE_OK or the store's failure. */
store_err cli_app_keys_unsealed(store *s, size_t *n);

/*
 * Open the store at path (a SQLite file, sqlite:FILE or a postgres:// URL), or at
 * cli_db_env's database when path is NULL, into *out.
 * Only a command that adds something (create = 1) makes a new SQLite file (and the
 * default's var/ directory, mode 0700); any other finds none and says "no database
 * at <path>" (exit 2), so a mistyped --db never leaves an empty file behind.
 * Returns 0, or the exit status after printing "identity-backend <cmd>: <reason>"
 * (a URL's password never in it).
 */
int cli_store_open(const char *cmd, const char *path, int create, store **out);

/*
 * Report a failed store call e on stderr as "identity-backend <cmd>: <what>: <detail>";
 * returns EXIT_INVALID.
 */
int cli_store_fail(const char *cmd, store *s, const char *what, store_err e);

/*
 * Finish a list subcommand: print the array out (e: the store's answer; nomem: a
 * row could not be added) or report the failure. out is consumed. Exit status.
 */
int cli_list_done(const char *cmd, store *s, store_err e, int nomem, cJSON *out);

/*
 * An audit event of a command (audit.h: "client.created", "user.removed",
 * "keys.rotated", ...) with up to two fields (a NULL name: none), to the file
 * AUDIT_LOG names or to stderr, as the server writes its own. Never a secret.
 */
void cli_audit(const char *event, const char *name1, const char *value1, const char *name2,
               const char *value2);

/*
 * Finish a remove subcommand for name after the store answered e: "no such <noun>"
 * (exit 1) for NOT_FOUND, the store's failure, or {"removed": name}. Exit status.
 */
int cli_removed(const char *cmd, store *s, store_err e, const char *noun, const char *name);

/*
 * Print o on stdout as indented JSON and a newline, then delete o (which may be
 * NULL: an allocation failed). Returns 0, or EXIT_INVALID with a message on
 * stderr when out of memory or stdout cannot be written. The printed text is
 * wiped before it is freed, so o may hold a secret (by reference, see
 * cJSON_CreateStringReference, to keep cJSON from copying it).
 */
int cli_print_json(const char *cmd, cJSON *o);

/*
 * Read all of f into a new NUL-terminated buffer of at most max bytes.
 * Returns 0 and sets *buf and *len; 1 when the input is longer than max (*buf is
 * NULL); -1 on a read or allocation error (errno set).
 */
int cli_read_all(FILE *f, size_t max, char **buf, size_t *len);

/*
 * Read a secret (a password, a client secret) of at most max bytes from standard
 * input with read(2), so no stdio buffer keeps a copy, into buf[max + 4]: one
 * trailing "\n" or "\r\n" removed, NUL-terminated, *len set; longer input leaves
 * *len > max for the caller to refuse. Returns 0, or EXIT_INVALID after printing
 * "identity-backend <cmd>: cannot read the <what>: <reason>". The caller wipes buf.
 */
int cli_read_secret(const char *cmd, const char *what, char *buf, size_t max, size_t *len);

/*
 * A new secret typed at the terminal on standard input: prompt (on stderr) and
 * read one line with echo off, then ask again and compare; into buf[max + 4] as
 * cli_read_secret (max at most PASSWORD_MAX_LEN). 0 when both lines match; EXIT_INVALID after saying why when
 * they differ or the terminal cannot be read (echo is restored either way).
 * Call only when isatty(STDIN_FILENO). The caller wipes buf.
 */
int cli_read_secret_tty(const char *cmd, const char *what, char *buf, size_t max, size_t *len);

/*
 * GET url (http or https; at most 3 redirects; 10 s) into a new NUL-terminated
 * buffer of at most max bytes: 0 and *buf, *len set; 1 when the body is longer
 * than max (*buf NULL); -1 with a one-line reason in err (unreachable, TLS
 * failure, an HTTP status of 400 or more, out of memory).
 */
int cli_fetch(const char *url, size_t max, char **buf, size_t *len, char *err, size_t errlen);

/* Parse a decimal int64 in [min, max]: digits only, a '-' first for a negative
 * value (no sign, space or other character); returns 0 or -1. */
int cli_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out);

/* A span of time in seconds, as jose writes them: "90" (seconds), "30s", "5m", "2h",
 * "1d", "1w"; within [0, max] seconds into *out. 0, or -1. */
int cli_parse_span(const char *s, int64_t max, int64_t *out);

/* Print "identity-backend <cmd>: <msg>[: <arg>]" and then text (the command's usage)
 * on stderr; an arg with a control character is not echoed to the terminal (a note
 * stands in for it). Returns -1, so that parsers can `return usage(...)`. */
int cli_usage_error(const char *cmd, const char *text, const char *msg, const char *arg);

/* Entries of a command's table of long options (getopt_long's struct option) for
 * cli_syntax: one that takes a value, one that takes none, and the end. cli_parse
 * knows an option by its place in the table; val only has to be none of 1, ':' and
 * '?', getopt_long's codes for a word, a missing value and an unknown option.
 * (clang-format is off for them: it would spread each over three lines.) */
/* clang-format off */
#define CLI_VALUE(name)  {name, required_argument, NULL, 2}
#define CLI_SWITCH(name) {name, no_argument, NULL, 2}
#define CLI_END          {NULL, 0, NULL, 0}
/* clang-format on */

/*
 * How a command reads its arguments with cli_parse. opt gets each option, spelt
 * out in full ("--name"), with its value (NULL for a switch); pos gets each other
 * word, NULL for a command that takes none (the word is then a usage error,
 * "unexpected argument"); both return 0, or non-zero to stop after printing why.
 * usage prints a usage error: why ("unknown option", "missing value for") and
 * the word; what it returns is not used.
 */
typedef struct cli_syntax {
	const struct option *opts; /* long options only, CLI_END last */
	int (*opt)(void *ctx, const char *name, const char *value);
	int (*pos)(void *ctx, const char *word);
	int (*usage)(const char *why, const char *word);
} cli_syntax;

/*
 * The arguments of a command (argv: what follows the command word, which is
 * argv[-1]) read with getopt_long over syn->opts (main has split "--name=value"
 * already), each handed in order to syn's callbacks with ctx, options and
 * positionals mixed freely; a word that begins with one "-" (a KID may) is a
 * positional, and so is every word after "--". No abbreviations: "--li" is not
 * "--listen". Returns 0, or -1 after a message (a callback's or syn->usage's).
 */
int cli_parse(int argc, char **argv, const cli_syntax *syn, void *ctx);

/* A command's positionals, its subcommand and then that one's argument: word
 * into *first when empty, else into *second when there is one and it is empty;
 * 0, or -1 when there is no room (the caller's "unexpected argument"). */
int cli_next_word(const char **first, const char **second, const char *word);

/* The number in environment variable name, parsed by cli_parse_i64 into *v: 0 when
 * it is unset or empty (*v keeps the caller's default) or valid, -1 when not. */
int cli_env_i64(const char *name, int64_t min, int64_t max, int64_t *v);

/* JWT_EXPIRATION_MINUTES (1..1440, default 15) into *minutes; 0 or -1. */
int cli_env_token_minutes(int64_t *minutes);

/*
 * The settings of the rules for new passwords (policy.h): PASSWORD_MIN_LENGTH
 * (characters, POLICY_MIN_CHARS_FLOOR..POLICY_MIN_CHARS_MAX, default
 * POLICY_MIN_CHARS_DEFAULT) into *min_chars, and PASSWORD_LIST into *list: the
 * file of common passwords to load with policy_list_load (unset or empty:
 * POLICY_LIST_DEFAULT), or NULL for "none" (no list; said explicitly, never
 * assumed when a file is missing). 0, or -1 with a one-line reason naming the
 * variable in err. Reads no file.
 */
int cli_env_password_policy(unsigned *min_chars, const char **list, char *err, size_t errlen);

/* What an operator can do when the list of common passwords cannot be loaded:
 * said after policy_list_load's reason. */
#define CLI_PASSWORD_LIST_HINT                                                                               \
	"PASSWORD_LIST=FILE names another list; PASSWORD_LIST=none sets passwords without one"

/*
 * The argon2id cost of new password hashes: PASSWORD_ARGON2_M_KIB, _T and _P over
 * the defaults, within password.h's ranges and at least OWASP's minimum unless
 * PASSWORD_ARGON2_TEST=1 (then *weak_allowed is 1: tests only, it lets an
 * operator's typo weaken every stored password). 0, or -1 with a one-line reason
 * naming the variable in err and p set to the defaults.
 */
int cli_password_params(struct password_params *p, int *weak_allowed, char *err, size_t errlen);

#endif
