/*
 * cli.h: the subcommands of the identity-backend binary and the helpers they
 * share. Each subcommand takes argc/argv after its own name and returns the
 * process exit status (0 ok, 1 a verdict such as "invalid token", 2 usage).
 */
#ifndef ISSUER_CLI_H
#define ISSUER_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define EXIT_INVALID 1
#define EXIT_USAGE   2

/* `identity-backend verify …` (design.md, "Command line"). */
int cli_verify(int argc, char **argv);

/* `identity-backend serve …`: run the issuer until SIGTERM. */
int cli_serve(int argc, char **argv);

/*
 * Read all of f into a new NUL-terminated buffer of at most max bytes.
 * Returns 0 and sets *buf and *len; 1 when the input is longer than max (*buf is
 * NULL); -1 on a read or allocation error (errno set).
 */
int cli_read_all(FILE *f, size_t max, char **buf, size_t *len);

/* Parse a decimal int64 in [min, max]; returns 0 or -1. */
int cli_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out);

#endif
