/*
 * ctgrind.h: the harness of the constant-time tests (test_ct.c, test_mfa_ct.c),
 * the ctgrind way (Langley, 2010): secret bytes are marked undefined for
 * valgrind's memcheck, the code under test runs, and any branch or memory
 * address that depends on them is reported as a use of an undefined value;
 * errors_of turns that into a number a check can test.
 */
#ifndef TESTS_UNIT_CTGRIND_H
#define TESTS_UNIT_CTGRIND_H

#include <unistd.h>

#include <valgrind/memcheck.h>

#include "../test.h"

/* Mark n bytes at p secret (undefined to memcheck), or public again. */
#define SECRET(p, n) VALGRIND_MAKE_MEM_UNDEFINED((p), (n))
#define PUBLIC(p, n) VALGRIND_MAKE_MEM_DEFINED((p), (n))

#if defined(__SANITIZE_ADDRESS__)
#define CTGRIND_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CTGRIND_UNDER_ASAN 1
#endif
#endif

/* Run f(ctx); returns how many errors memcheck reported meanwhile. */
static unsigned errors_of(void (*f)(void *), void *ctx)
{
	unsigned before = VALGRIND_COUNT_ERRORS;

	f(ctx);
	return VALGRIND_COUNT_ERRORS - before;
}

/*
 * A test's main: run() under valgrind, with wolfCrypt initialised around it.
 * Outside valgrind the binary re-executes itself under it; an ASan build (which
 * valgrind cannot run) or a machine without valgrind reports a skip. Returns the
 * exit status.
 */
static int ctgrind_main(char **argv, void (*run)(void))
{
#ifdef CTGRIND_UNDER_ASAN
	(void)argv;
	(void)run;
	T_SKIP("constant-time checks need valgrind, which cannot run an ASan build (run without SAN=1)");
	return 0;
#else
	if (!RUNNING_ON_VALGRIND) {
		char *args[] = {"valgrind", "-q", "--error-limit=no", "--exit-on-first-error=no",
		                argv[0],    NULL};
		fflush(stdout);
		execvp("valgrind", args);
		T_SKIP("constant-time checks: valgrind is not installed (scripts/setup.sh installs it)");
		return 0;
	}
	wolfCrypt_Init();
	run();
	wolfCrypt_Cleanup();
	T_DONE();
#endif
}

#endif
