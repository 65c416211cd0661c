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

#endif
