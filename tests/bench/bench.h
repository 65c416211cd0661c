/*
 * bench.h: what the C benchmarks share: a monotonic clock, integer settings from
 * the environment (BENCH_ROUNDS, ...) and the median of the rounds. Header-only
 * (static functions): each benchmark is one .c file and one binary.
 */
#ifndef TESTS_BENCH_H
#define TESTS_BENCH_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* Most rounds a benchmark measures. */
#define MAX_ROUNDS 51

/* Seconds on the monotonic clock. */
static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The integer in environment variable name, def when unset; exits 2 (naming prog) when outside [lo, hi]. */
static long env_long(const char *prog, const char *name, long def, long lo, long hi)
{
	const char *s = getenv(name);
	char *end;
	long v;
	if (s == NULL || *s == '\0')
		return def;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < lo || v > hi) {
		fprintf(stderr, "%s: %s=%s: expected an integer in [%ld, %ld]\n", prog, name, s, lo, hi);
		exit(2);
	}
	return v;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* The median of v[0..n) (n >= 1); sorts v. */
static double median(double *v, size_t n)
{
	qsort(v, n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#endif
