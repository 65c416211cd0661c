/*
 * main.c: the identity-backend binary's entry point: dispatch to a subcommand.
 * Subcommands live one per file (cli/cli_*.c); this file only routes, prints
 * usage (all of it, or one command's for --help / -h anywhere in its options)
 * and the version. It must never grow logic of its own.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <h2o/version.h>
#include <sqlite3.h>
#include <wolfssl/version.h>
#include <wolfssl/wolfcrypt/settings.h>
#include <wolfssl/wolfcrypt/wc_port.h>

#include "cli/cli.h"

/* The project's version: the same as the npm package's (verifier-wasm/package.json). */
#define IDB_VERSION "0.1.0"

static const char usage_verify[] =
    "  verify --jwks FILE|URL [--alg A,B] [--iss ISS]... [--aud AUD]... [--sub SUB]\n"
    "         [--typ TYP] [--require CLAIM]... [--max-age SPAN] [--leeway SPAN] [--now UNIX] TOKEN|-\n"
    "      Verify a compact JWT against a JWK Set. Prints one JSON object:\n"
    "      {\"valid\":true,\"header\":{...},\"payload\":{...}} (exit 0) or\n"
    "      {\"valid\":false,\"error\":\"ERR_...\",\"message\":\"...\"} (exit 1); exit 2 on usage errors.\n"
    "      TOKEN '-' reads the token from standard input. SPAN: seconds, or 30s, 5m, 2h, 1d, 1w.\n"
    "      An http(s) URL for --jwks is fetched once (a failed fetch: exit 2).\n";

static const char usage_serve[] =
    "  serve [--listen HOST:PORT] [--issuer URL] [--threads N] [--workers N] [--db FILE]\n"
    "        [--access-log on|off] [--tls-cert FILE --tls-key FILE] [--max-connections N]\n"
    "      Run the issuer until SIGTERM or SIGINT (requests in flight finish): OAuth 2.0 and\n"
    "      OpenID Connect (discovery, JWKS, /authorize, /login, /token, /userinfo,\n"
    "      /introspect, /revoke, /logout), /verify, /ping, /health; /metrics only on\n"
    "      METRICS_LISTEN's own address. With --tls-cert/--tls-key (PEM), HTTPS only\n"
    "      (TLS 1.2+; HTTP/2 with HTTP2=on); SIGHUP reloads them.\n"
    "      Defaults:\n"
    "      127.0.0.1:8080, issuer http://HOST:PORT, one loop thread and one password\n"
    "      worker per core, var/identity.db. Environment (flags win): JWT_ISSUER,\n"
    "      JWT_EXPIRATION_MINUTES, JWT_ALGORITHM, JWT_SECRET_KEY, PASSWORD_WORKERS,\n"
    "      PASSWORD_ARGON2_M_KIB/_T/_P, SESSION_TTL_MINUTES, REFRESH_TOKEN_DAYS,\n"
    "      LOGIN_LOCKOUT_THRESHOLD/_MINUTES, LOGIN_FAILURES_PER_ADDRESS,\n"
    "      CLIENT_AUTH_FAILURES_PER_ADDRESS, FAILURE_WINDOW_MINUTES,\n"
    "      LOGIN_FLOWS_PER_ADDRESS, ACCESS_LOG, WWW_DIR,\n"
    "      VERIFIER_DIR, BROWSER_UI_CLIENT_SECRET, DATABASE_URL, DB_TIMEOUT_MS,\n"
    "      SECRETS_SYSTEM (required with PostgreSQL), TRUSTED_PROXIES,\n"
    "      REFRESH_REUSE_GRACE_SECONDS, MAX_CONNECTIONS (default 1024 a process),\n"
    "      METRICS_LISTEN, HTTP2 and HTTP2_CLEARTEXT (on|off; off by default). The\n"
    "      README's table says each one's range.\n";

static const char usage_keys[] =
    "  keys list [--db FILE]\n"
    "  keys rotate [--alg ES256|RS256|PS256|EdDSA] [--lead SECONDS] [--db FILE]\n"
    "  keys retire KID [--grace SECONDS] [--db FILE]\n"
    "  keys reseal [--db FILE]\n"
    "      Signing keys. list prints every published key (never private material) with its\n"
    "      status: pending (published, signs after its lead time), active, or retired.\n"
    "      rotate adds a key that signs after --lead (env KEY_LEAD_SECONDS, default 300)\n"
    "      and does not retire the old one; retire stops a key signing at once and keeps\n"
    "      it published for --grace (default JWT_EXPIRATION_MINUTES*60 + 300). With\n"
    "      SECRETS_SYSTEM set, private keys are stored sealed; reseal seals every stored key\n"
    "      anew with its first secret (to seal plain keys, or to rotate the secret).\n";

static const char usage_client[] =
    "  client add --id ID [--secret-stdin] [--grant G]... [--redirect-uri U]... [--audience A]...\n"
    "             [--subject S]... [--scope \"a b\"] [--public] [--consent] [--id-token-alg A]\n"
    "             [--post-logout-redirect-uri U]... [--db FILE]\n"
    "  client list [--db FILE]\n"
    "  client remove ID [--db FILE]\n"
    "      OAuth clients. Grants: client_credentials (default), authorization_code (needs\n"
    "      --redirect-uri; the default of --public clients), refresh_token. add prints\n"
    "      {\"client_id\":...,\"client_secret\":...} once: the secret is never shown again.\n"
    "      --secret-stdin takes the secret (32..1024 printable ASCII characters) from stdin.\n"
    "      --audience and --subject list the aud and sub values the client may ask for;\n"
    "      --scope the scopes (default for login clients: openid profile email);\n"
    "      --id-token-alg RS256 (default), PS256, ES256 or EdDSA.\n";

static const char usage_user[] =
    "  user add --username USERNAME [--email EMAIL] --password-stdin [--db FILE]\n"
    "  user list [--db FILE]\n"
    "  user show USERNAME [--db FILE]\n"
    "  user unlock USERNAME [--db FILE]\n"
    "  user remove USERNAME [--db FILE]\n"
    "  user mfa reset USERNAME [--db FILE]\n"
    "      People who sign in. Usernames: 1..64 of A-Z a-z 0-9 . _ @ + -, unique in any\n"
    "      letter case. add reads the password from stdin (UTF-8, at most 1024 bytes; one\n"
    "      trailing newline is dropped) and refuses it (exit 1, with the reason) when it has\n"
    "      fewer than PASSWORD_MIN_LENGTH characters (default 12, at least 8), is on the list\n"
    "      of common passwords PASSWORD_LIST (default /usr/share/john/password.lst, Debian's\n"
    "      john-data; none: no list), is the username (plus digits), one repeated character\n"
    "      or a run like 123456789012; else it stores only its argon2id hash\n"
    "      (PASSWORD_ARGON2_M_KIB, _T, _P; default m=19456,t=2,p=1, OWASP's minimum) and prints\n"
    "      {\"user_id\":...,\"username\":...,\"email\":...}: user_id is the tokens' sub.\n"
    "      list shows user_id, username, email, created_at, locked; never a password hash.\n"
    "      show prints one user with locked, locked_until and failed_attempts, and their\n"
    "      second factors (kind, name, created_at, last_used_at; never a secret); unlock lifts\n"
    "      a lock (LOGIN_LOCKOUT_THRESHOLD) and forgets the failures at once.\n"
    "      remove also ends the user's sessions and refresh tokens. mfa reset removes every\n"
    "      second factor of the user (TOTP, recovery codes, passkeys), ends their sessions\n"
    "      and refresh tokens, and prints how many factors it removed.\n";

static const char usage_backup[] =
    "  backup --to FILE [--force] [--db FILE]\n"
    "      A consistent copy of the database, taken while a server keeps serving; serve\n"
    "      --db FILE opens it as it is (restore: stop the server, put the copy in place).\n"
    "      Refuses an existing FILE unless --force; a failed copy leaves nothing under FILE.\n";

static const char usage_doctor[] =
    "  doctor [--db FILE] [--issuer URL]\n"
    "      A security self-check, run with the server's environment: issuer not https,\n"
    "      legacy HS256 on, weak argon2id, no list of common passwords (PASSWORD_LIST),\n"
    "      limits off, database or folder modes, a networked database without\n"
    "      SECRETS_SYSTEM, http redirect URIs to network hosts, keys past the rotation\n"
    "      period, mail settings (SMTP_URL, MAIL_FROM; smtp+insecure:// to a network host),\n"
    "      mails given up. One line per finding; exit 1 when there is any, else 0.\n";

static const char usage_store_copy[] =
    "  store copy --from DB --to DB [--merge]\n"
    "      Move an installation between databases (SQLite file or postgres:// URL, either\n"
    "      way): clients, users, second factors, keys, revocations, sessions, codes, refresh\n"
    "      tokens, login flows, consents, the mail outbox, WebAuthn challenges, in one\n"
    "      transaction on the target (all or nothing). The target must be empty unless\n"
    "      --merge. Plain private keys are sealed on the way when SECRETS_SYSTEM is set\n"
    "      (required for a PostgreSQL target).\n";

static const char usage_mail[] =
    "  mail test --to ADDRESS [--wait SECONDS] [--db FILE]\n"
    "  mail status [--db FILE]\n"
    "      Mail (SMTP_URL, MAIL_FROM: see the README's Mail section). test puts a test mail\n"
    "      in the outbox for the running server to send and prints its id; --wait watches\n"
    "      it until sent (exit 0) or failed or still queued (exit 1), with SMTP's reason.\n"
    "      status counts the outbox's mails: queued, due, sent, failed.\n";

static const char usage_version[] = "  version | --version\n"
                                    "      Print this program's version and those of the libraries in it.\n";

static const char usage_store[] =
    "Store commands use --db FILE|sqlite:FILE|postgres://... (else DATABASE_URL, else\n"
    "var/identity.db, created mode 0600 by the commands that add something; the others\n"
    "refuse a missing database file, exit 2) and exit 1 when the\n"
    "store fails or the named row is missing or already exists. Every command and subcommand\n"
    "takes --help (or -h), and every option both as --name VALUE and as --name=VALUE.\n";

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *usage;
} commands[] = {
    {"verify", cli_verify, usage_verify}, {"serve", cli_serve, usage_serve},
    {"keys", cli_keys, usage_keys},       {"client", cli_client, usage_client},
    {"user", cli_user, usage_user},       {"backup", cli_backup, usage_backup},
    {"doctor", cli_doctor, usage_doctor}, {"store", cli_store, usage_store_copy},
    {"mail", cli_mail, usage_mail},
};

#define N_COMMANDS (sizeof commands / sizeof commands[0])

/* The whole usage text on f. */
static void print_usage(FILE *f)
{
	fputs("usage: identity-backend <command> [options]\n\ncommands:\n", f);
	for (size_t i = 0; i < N_COMMANDS; i++)
		fprintf(f, "%s\n", commands[i].usage);
	fprintf(f, "%s\n%s", usage_version, usage_store);
}

/* `version`: ours, then each library's, one per line. */
static int print_version(void)
{
	printf("identity-backend %s\n"
	       "wolfCrypt %s (GPL-2.0-or-later or commercial; see LICENSE and NOTICE)\n"
	       "H2O %s\nSQLite %s\ncJSON %s\n",
	       IDB_VERSION, LIBWOLFSSL_VERSION_STRING, H2O_VERSION, sqlite3_libversion(), cJSON_Version());
	return fflush(stdout) == 0 ? 0 : 1;
}

/* 1 when the options of a command ask for help (before a "--" that ends them). */
static int asks_help(int argc, char **argv)
{
	for (int i = 0; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return 1;
	return 0;
}

/*
 * argv with every "--name=value" before a bare "--" split into "--name" and "value",
 * so each command reads both spellings of an option; *n gets the new count, and
 * *names the array of the split-off names to free (with the array). NULL when out
 * of memory.
 */
static char **split_options(int argc, char **argv, int *n, char ***names)
{
	char **out = calloc((size_t)argc * 2 + 1, sizeof *out), **own = calloc((size_t)argc + 1, sizeof *own);
	int k = 0, m = 0, options = 1;

	if (!out || !own)
		goto fail;
	for (int i = 0; i < argc; i++) {
		const char *eq = strchr(argv[i], '=');
		if (strcmp(argv[i], "--") == 0)
			options = 0;
		if (i < 2 || !options || strncmp(argv[i], "--", 2) != 0 || !eq) {
			out[k++] = argv[i];
			continue;
		}
		if (!(own[m] = strndup(argv[i], (size_t)(eq - argv[i]))))
			goto fail;
		out[k++] = own[m++];
		out[k++] = (char *)eq + 1;
	}
	*n = k;
	*names = own;
	return out;
fail:
	for (int i = 0; own && own[i]; i++)
		free(own[i]);
	free(own);
	free(out);
	return NULL;
}

int main(int argc, char **argv)
{
	int rc = EXIT_USAGE;
	const char *name = argc >= 2 ? argv[1] : "";
	char **args, **names = NULL;
	int n;

	if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
		print_usage(stdout);
		return 0;
	}
	if (strcmp(name, "--version") == 0 || strcmp(name, "version") == 0)
		return print_version();
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (strcmp(name, commands[i].name) == 0 && asks_help(argc - 2, argv + 2)) {
			printf("usage:\n%s", commands[i].usage);
			return fflush(stdout) == 0 ? 0 : 1;
		}
	if (wolfCrypt_Init() != 0) {
		fputs("identity-backend: wolfCrypt failed to initialise\n", stderr);
		return 1;
	}
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (strcmp(name, commands[i].name) == 0) {
			if (!(args = split_options(argc, argv, &n, &names))) {
				fputs("identity-backend: out of memory\n", stderr);
				rc = 1;
				goto out;
			}
			rc = commands[i].run(n - 2, args + 2);
			for (int j = 0; names[j]; j++)
				free(names[j]);
			free(names);
			free(args);
			goto out;
		}
	if (argc >= 2)
		fprintf(stderr, "identity-backend: unknown command '%s'\n\n", name);
	print_usage(stderr);
out:
	wolfCrypt_Cleanup();
	return rc;
}
