/*
 * main.c: the identity-backend binary's entry point: dispatch to a subcommand.
 * Subcommands live one per file (cli_*.c); this file only routes and prints
 * usage. It must never grow logic of its own.
 */
#include <stdio.h>
#include <string.h>

#include <wolfssl/wolfcrypt/settings.h>
#include <wolfssl/wolfcrypt/wc_port.h>

#include "cli/cli.h"

static const char usage[] =
    "usage: identity-backend <command> [options]\n"
    "\n"
    "commands:\n"
    "  verify --jwks FILE [--alg A,B] [--iss ISS]... [--aud AUD]... [--sub SUB]\n"
    "         [--typ TYP] [--require CLAIM]... [--max-age S] [--leeway S] [--now UNIX] TOKEN|-\n"
    "      Verify a compact JWT against a JWK Set. Prints one JSON object:\n"
    "      {\"valid\":true,\"header\":{...},\"payload\":{...}} (exit 0) or\n"
    "      {\"valid\":false,\"error\":\"ERR_...\",\"message\":\"...\"} (exit 1); exit 2 on usage errors.\n"
    "      TOKEN '-' reads the token from standard input.\n"
    "\n"
    "  serve [--listen 127.0.0.1:8080] [--issuer URL] [--threads N] [--db FILE]\n"
    "      Run the issuer until SIGTERM. Environment: JWT_ISSUER. (So far: /ping, /health.)\n"
    "\n"
    "  keys list [--db FILE]\n"
    "  keys rotate [--alg ES256|RS256|PS256|EdDSA] [--lead SECONDS] [--db FILE]\n"
    "  keys retire KID [--grace SECONDS] [--db FILE]\n"
    "      Signing keys. list prints every published key (never private material) with its\n"
    "      status: pending (published, signs after its lead time), active, or retired.\n"
    "      rotate adds a key that signs after --lead (env KEY_LEAD_SECONDS, default 300)\n"
    "      and does not retire the old one; retire stops a key signing at once and keeps\n"
    "      it published for --grace (default JWT_EXPIRATION_MINUTES*60 + 300).\n"
    "\n"
    "  client add --id ID [--secret-stdin] [--grant G]... [--redirect-uri U]... [--audience A]...\n"
    "             [--subject S]... [--scope \"a b\"] [--public] [--consent] [--db FILE]\n"
    "  client list [--db FILE]\n"
    "  client remove ID [--db FILE]\n"
    "      OAuth clients. Grants: client_credentials (default), authorization_code (needs\n"
    "      --redirect-uri; the default of --public clients), refresh_token. add prints\n"
    "      {\"client_id\":...,\"client_secret\":...} once: the secret is never shown again.\n"
    "      --secret-stdin takes the secret (32..1024 printable ASCII characters) from stdin.\n"
    "      --audience and --subject list the aud and sub values the client may ask for;\n"
    "      --scope the scopes (default for login clients: openid profile email).\n"
    "\n"
    "  user add --username USERNAME [--email EMAIL] --password-stdin [--db FILE]\n"
    "  user list [--db FILE]\n"
    "  user remove USERNAME [--db FILE]\n"
    "      People who sign in. Usernames: 1..64 of A-Z a-z 0-9 . _ @ + -, unique in any\n"
    "      letter case. add reads the password (1..1024 bytes of UTF-8; one trailing newline\n"
    "      is dropped) from stdin, stores only its argon2id hash (PASSWORD_ARGON2_M_KIB, _T,\n"
    "      _P; default m=19456,t=2,p=1, OWASP's minimum) and prints\n"
    "      {\"user_id\":...,\"username\":...,\"email\":...}: user_id is the tokens' sub.\n"
    "      list shows user_id, username, email, created_at, locked; never a password hash.\n"
    "      remove also ends the user's sessions and refresh tokens.\n"
    "\n"
    "Store commands use --db FILE (default var/identity.db, created mode 0600) and exit 1\n"
    "when the store fails or the named row is missing or already exists.\n";

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
} commands[] = {
    {"verify", cli_verify}, {"serve", cli_serve}, {"keys", cli_keys},
    {"client", cli_client}, {"user", cli_user},
};

int main(int argc, char **argv)
{
	int rc = EXIT_USAGE;

	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0)) {
		fputs(usage, stdout);
		return 0;
	}
	if (wolfCrypt_Init() != 0) {
		fputs("identity-backend: wolfCrypt failed to initialise\n", stderr);
		return 1;
	}
	for (size_t i = 0; argc >= 2 && i < sizeof commands / sizeof commands[0]; i++)
		if (strcmp(argv[1], commands[i].name) == 0) {
			rc = commands[i].run(argc - 2, argv + 2);
			goto out;
		}
	if (argc >= 2)
		fprintf(stderr, "identity-backend: unknown command '%s'\n\n", argv[1]);
	fputs(usage, stderr);
out:
	wolfCrypt_Cleanup();
	return rc;
}
