/*
 * main.c: the identity-backend binary's entry point: dispatch to a subcommand.
 * Subcommands live one per file (cli_*.c); this file only routes and prints
 * usage. It must never grow logic of its own.
 */
#include <stdio.h>
#include <string.h>

#include <wolfssl/wolfcrypt/settings.h>
#include <wolfssl/wolfcrypt/wc_port.h>

#include "cli.h"

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
    "The other issuer commands (keys, client, user) are being built: see README.md.\n";

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
} commands[] = {
    {"verify", cli_verify},
    {"serve", cli_serve},
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
