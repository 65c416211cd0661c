/*
 * cli_util.c: input helpers shared by the subcommands (see cli.h). Bounded reads
 * only: no input, however large, makes the binary allocate more than max + 1.
 */
#include <errno.h>
#include <stdlib.h>

#include "cli.h"

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

	if (!s || !*s)
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}
