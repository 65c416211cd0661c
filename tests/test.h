/*
 * Minimal test harness for the C unit tests. Each test binary prints one TAP-like
 * line per check ("ok - …", "not ok - …", "skip - …") and exits non-zero when a
 * check failed; tests/run.sh adds the lines of every suite into the final
 * "N passed, N failed" summary. It must never hide a failure: a suite that
 * crashes prints nothing for its remaining checks and run.sh counts the crash.
 */
#ifndef TESTS_TEST_H
#define TESTS_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int t_failed_ = 0;

/* Report one named check; cond is evaluated once. */
#define T_CHECK(cond, ...)                                                                                   \
	do {                                                                                                 \
		if (cond) {                                                                                  \
			printf("ok - ");                                                                     \
		} else {                                                                                     \
			printf("not ok - ");                                                                 \
			t_failed_++;                                                                         \
		}                                                                                            \
		printf(__VA_ARGS__);                                                                         \
		printf("  (%s:%d)\n", __FILE__, __LINE__);                                                   \
	} while (0)

/* Report a check that could not run here (e.g. vectors folder absent). */
#define T_SKIP(...)                                                                                          \
	do {                                                                                                 \
		printf("skip - ");                                                                           \
		printf(__VA_ARGS__);                                                                         \
		printf("\n");                                                                                \
	} while (0)

#define T_DONE() return t_failed_ ? 1 : 0

/* Largest vector file t_read_vector reads (the biggest Wycheproof file is 360 KB). */
#ifndef T_VECTOR_MAX
#define T_VECTOR_MAX (4u << 20)
#endif

/*
 * Read the test vector file rel (e.g. "wycheproof/ed25519_test.json") from
 * $VECTORS, or from tests/vectors/ when VECTORS is unset (the suites run from the
 * repository's root), into a new NUL-terminated buffer the caller frees. The
 * vectors are committed, so a missing, unreadable or oversized file is a failed
 * check, never a skip; NULL then.
 */
static inline char *t_read_vector(const char *rel)
{
	const char *dir = getenv("VECTORS");
	char path[4096];
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir && *dir ? dir : "tests/vectors", rel);
	f = fopen(path, "rb");
	if (f && (buf = malloc(T_VECTOR_MAX + 1)) != NULL) {
		len = fread(buf, 1, T_VECTOR_MAX + 1, f);
		buf[len > T_VECTOR_MAX ? 0 : len] = '\0';
	}
	T_CHECK(f && buf && len > 0 && len <= T_VECTOR_MAX && !ferror(f), "vector file %s reads", path);
	if (f)
		fclose(f);
	if (buf && (len == 0 || len > T_VECTOR_MAX)) {
		free(buf);
		buf = NULL;
	}
	return buf;
}

#endif
