/*
 * cli_util.c: input helpers shared by the subcommands (see cli.h). Bounded reads
 * only: no input, however large, makes the binary allocate more than max + 1.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

/* see cli.h */
int cli_read_all(FILE *f, size_t max, char **buf, size_t *len)
{
	char *b = malloc(max + 2);
	size_t n = 0, r;

	*buf = NULL;
	if (!b)
		return -1;
	while (n <= max && (r = fread(b + n, 1, max + 1 - n, f)) > 0)
		n += r;
	if (ferror(f)) {
		free(b);
		return -1;
	}
	if (n > max) {
		free(b);
		return 1;
	}
	b[n] = '\0';
	*buf = b;
	*len = n;
	return 0;
}

/* see cli.h */
int cli_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out)
{
	char *end;
	long long v;

	if (!s || (!(s[0] >= '0' && s[0] <= '9') && !(s[0] == '-' && s[1] >= '0' && s[1] <= '9')))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* see cli.h */
int cli_parse_span(const char *s, int64_t max, int64_t *out)
{
	static const struct {
		char unit;
		int64_t secs;
	} units[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}, {'w', 604800}};
	char num[24];
	size_t n = s ? strlen(s) : 0;
	int64_t v, mul = 1;

	if (n == 0 || n >= sizeof num)
		return -1;
	memcpy(num, s, n + 1);
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
		if (n > 1 && num[n - 1] == units[i].unit) {
			num[n - 1] = '\0';
			mul = units[i].secs;
		}
	if (cli_parse_i64(num, 0, max / mul, &v))
		return -1;
	*out = v * mul;
	return 0;
}

/* see cli.h */
int cli_read_secret(const char *cmd, const char *what, char *buf, size_t max, size_t *len)
{
	const size_t cap = max + 3; /* a maximal secret, "\r\n", and one more to see it is too long */
	size_t n = 0;
	ssize_t r = 0;

	while (n < cap && ((r = read(STDIN_FILENO, buf + n, cap - n)) > 0 || (r < 0 && errno == EINTR)))
		n += r > 0 ? (size_t)r : 0;
	if (r < 0) {
		fprintf(stderr, "identity-backend %s: cannot read the %s: %s\n", cmd, what, strerror(errno));
		return EXIT_INVALID;
	}
	if (n && buf[n - 1] == '\n')
		n -= n >= 2 && buf[n - 2] == '\r' ? 2 : 1;
	buf[n] = '\0';
	*len = n;
	return 0;
}

/* see cli.h */
int cli_parse(int argc, char **argv, const struct option *opts, cli_arg_fn opt, cli_arg_fn pos, void *ctx,
              const char **why, const char **what)
{
	char **av = argv - 1; /* getopt's argv[0] is the command word */
	int c, idx, at;

	*why = *what = NULL;
	optind = 0; /* start afresh */
	opterr = 0;
	/* "-": words that are not options come back in order (as code 1); ":": a missing value is ':' */
	while ((at = optind ? optind : 1, idx = -1, 1)) {
		/* There are no short options: "-abc" (a KID may begin with "-") is a positional. */
		if (at < argc + 1 && av[at][0] == '-' && av[at][1] && av[at][1] != '-') {
			if (pos(ctx, av[at], NULL))
				return -1;
			optind = at + 1;
			continue;
		}
		if ((c = getopt_long(argc + 1, av, "-:", opts, &idx)) == -1)
			break;
		if (c == 1) {
			if (pos(ctx, optarg, NULL))
				return -1;
			continue;
		}
		/* No abbreviations: "--li" is not "--listen". */
		if (c == ':' || c == '?' || idx < 0 || strncmp(av[at], "--", 2) != 0 ||
		    strcmp(av[at] + 2, opts[idx].name) != 0) {
			*why = c == ':' ? "missing value for" : "unknown option";
			*what = av[at];
			return 1;
		}
		if (opt(ctx, av[at], optarg))
			return -1;
	}
	for (int i = optind; i < argc + 1; i++) /* after "--" */
		if (pos(ctx, av[i], NULL))
			return -1;
	return 0;
}

/* see cli.h */
int cli_usage_error(const char *cmd, const char *text, const char *msg, const char *arg)
{
	fprintf(stderr, "identity-backend %s: %s%s%s\n%s", cmd, msg, arg ? ": " : "", arg ? arg : "", text);
	return -1;
}
