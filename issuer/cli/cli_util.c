/*
 * cli_util.c: input helpers shared by the subcommands (see cli.h). Bounded reads
 * only: no input, however large, makes the binary allocate more than max + 1.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
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

/* One line typed at the terminal after prompt, echo off, into buf[max + 4]; 0 or -1 (errno). */
static int tty_line(const char *prompt, char *buf, size_t max, size_t *len)
{
	struct termios was, quiet;
	size_t n = 0;
	ssize_t r;
	char c;
	int rc = 0;

	if (tcgetattr(STDIN_FILENO, &was) != 0)
		return -1;
	quiet = was;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	quiet.c_lflag |= ICANON;
	if (tcsetattr(STDIN_FILENO, TCSANOW, &quiet) != 0)
		return -1;
	fputs(prompt, stderr);
	fflush(stderr);
	/* One byte at a time, so nothing after the line is taken; past max + 1 bytes
	 * the rest is read and dropped, and *len > max tells the caller. */
	while ((r = read(STDIN_FILENO, &c, 1)) == 1 || (r < 0 && errno == EINTR)) {
		if (r == 1 && c == '\n')
			break;
		if (r == 1 && n <= max)
			buf[n++] = c;
	}
	if (r == 0 && n == 0)
		rc = -1, errno = EIO; /* end of input: nothing was typed */
	else if (r < 0)
		rc = -1;
	if (n && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	*len = n;
	tcsetattr(STDIN_FILENO, TCSANOW, &was);
	fputc('\n', stderr);
	c = 0;
	return rc;
}

/* see cli.h */
int cli_read_secret_tty(const char *cmd, const char *what, char *buf, size_t max, size_t *len)
{
	char again[PASSWORD_MAX_LEN + 4], prompt[96];
	size_t n2 = 0;
	int same;

	if (max > PASSWORD_MAX_LEN) {
		errno = EINVAL;
		goto fail;
	}
	snprintf(prompt, sizeof prompt, "New %s: ", what);
	if (tty_line(prompt, buf, max, len) != 0)
		goto fail;
	snprintf(prompt, sizeof prompt, "Repeat the %s: ", what);
	if (tty_line(prompt, again, max, &n2) != 0) {
		explicit_bzero(again, sizeof again);
		goto fail;
	}
	same = *len == n2 && memcmp(buf, again, n2) == 0;
	explicit_bzero(again, sizeof again);
	if (same)
		return 0;
	fprintf(stderr, "identity-backend %s: the two %ss differ; nothing was changed\n", cmd, what);
	return EXIT_INVALID;
fail:
	fprintf(stderr, "identity-backend %s: cannot read the %s from the terminal: %s\n", cmd, what,
	        strerror(errno));
	return EXIT_INVALID;
}

/* A positional for cli_parse: to syn->pos, or a usage error for a command that takes none; 0 or -1. */
static int parse_word(const cli_syntax *syn, void *ctx, const char *word)
{
	if (syn->pos)
		return syn->pos(ctx, word) ? -1 : 0;
	syn->usage("unexpected argument", word);
	return -1;
}

/* The next option or word of av[0..ac) (av[0] the command word) for cli_parse: 0 when
 * handed on, 1 when the options are over (optind: the first word after "--"), -1 when stopped. */
static int parse_next(int ac, char **av, const cli_syntax *syn, void *ctx)
{
	int at = optind ? optind : 1, idx = -1, c;

	/* There are no short options: "-abc" (a KID may begin with "-") is a positional. */
	if (at < ac && av[at][0] == '-' && av[at][1] && av[at][1] != '-') {
		optind = at + 1;
		return parse_word(syn, ctx, av[at]);
	}
	/* "-": words that are not options come back in order (as code 1); ":": a missing value is ':' */
	if ((c = getopt_long(ac, av, "-:", syn->opts, &idx)) == -1)
		return 1;
	if (c == 1)
		return parse_word(syn, ctx, optarg);
	/* No abbreviations: "--li" is not "--listen". */
	if (c == ':' || c == '?' || idx < 0 || strncmp(av[at], "--", 2) != 0 ||
	    strcmp(av[at] + 2, syn->opts[idx].name) != 0) {
		syn->usage(c == ':' ? "missing value for" : "unknown option", av[at]);
		return -1;
	}
	return syn->opt(ctx, av[at], optarg) ? -1 : 0;
}

/* see cli.h */
int cli_parse(int argc, char **argv, const cli_syntax *syn, void *ctx)
{
	char **av = argv - 1; /* getopt's argv[0] is the command word */
	int rc;

	optind = 0; /* start afresh */
	opterr = 0;
	while ((rc = parse_next(argc + 1, av, syn, ctx)) == 0)
		continue;
	for (int i = optind; rc > 0 && i < argc + 1; i++) /* the words after "--" */
		rc = parse_word(syn, ctx, av[i]) ? -1 : 1;
	return rc > 0 ? 0 : -1;
}

/* see cli.h */
int cli_next_word(const char **first, const char **second, const char *word)
{
	const char **slot = !*first ? first : second && !*second ? second : NULL;

	if (!slot)
		return -1;
	*slot = word;
	return 0;
}

/* see cli.h */
int cli_usage_error(const char *cmd, const char *text, const char *msg, const char *arg)
{
	for (const unsigned char *p = (const unsigned char *)(arg ? arg : ""); *p; p++)
		if (*p < 0x20 || *p == 0x7f) {
			arg = "(a value with control characters, not shown)";
			break;
		}
	fprintf(stderr, "identity-backend %s: %s%s%s\n%s", cmd, msg, arg ? ": " : "", arg ? arg : "", text);
	return -1;
}
