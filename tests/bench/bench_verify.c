/*
 * bench_verify DIR ALG...: single-threaded throughput of jose_jwt_verify on the
 * tokens minted by tests/bench/mint.mjs (see tests/bench/run.sh).
 *
 * For each ALG: DIR/<ALG>.jwks.json is imported once with jose_jwks_import, then
 * DIR/<ALG>.token is verified in a loop with the options a real service would
 * use (allowlist = that one alg, now = the current time, issuer and audience
 * checked), for BENCH_ROUNDS (5) rounds of BENCH_ROUND_MS (1000) ms each after one
 * uncounted warm-up of BENCH_WARMUP_MS (200) ms. Prints one line per alg:
 *
 *   native ALG OPS_PER_S        (median of the rounds, rounded to an integer)
 *
 * Every call must return JOSE_OK and its result is freed with jose_jwt_clear; any
 * other outcome aborts with the error code, reason, token and key set. Before the
 * timed loop, a token with a corrupted signature and a wrong audience must both
 * be refused, so the loop cannot be timing a verifier that checks nothing.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jose_alg.h"
#include "jose_err.h"
#include "jose_jwk.h"
#include "jose_jwt.h"

#include "bench.h"

/* Must match ISS and AUD in mint.mjs. */
#define BENCH_ISS "https://id.example.com/"
#define BENCH_AUD "https://api.example.com"

/* Read a whole file into a NUL-terminated buffer; exits on failure. */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0;
	if (f == NULL) {
		fprintf(stderr, "bench_verify: cannot open %s: %s\n", path, strerror(errno));
		exit(1);
	}
	for (;;) {
		size_t got;
		if (cap - n < 4096) {
			char *nb;
			cap = cap ? cap * 2 : 8192;
			nb = realloc(buf, cap);
			if (nb == NULL) {
				fprintf(stderr, "bench_verify: out of memory reading %s\n", path);
				exit(1);
			}
			buf = nb;
		}
		got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		fprintf(stderr, "bench_verify: cannot read %s\n", path);
		exit(1);
	}
	fclose(f);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
		n--;
	buf[n] = '\0';
	*len = n;
	return buf;
}

struct bench {
	const char *alg_name;
	const jose_jwks *keys;
	const char *token;
	size_t token_len;
	const char *token_path;
	const char *jwks_path;
	jose_jwt_opts opts;
};

static void die_verify(const struct bench *b, const char *what, jose_err e, const jose_fail *why)
{
	fprintf(stderr,
	        "bench_verify: %s %s: jose_jwt_verify returned %d %s: %s%s%s\n"
	        "  token (%s): %s\n  jwks: %s\n",
	        b->alg_name, what, (int)e, jose_err_code(e), why->reason ? why->reason : jose_err_message(e),
	        why->claim ? " claim=" : "", why->claim ? why->claim : "", b->token_path, b->token,
	        b->jwks_path);
	exit(1);
}

/* Verify once and require JOSE_OK. */
static void verify_ok(const struct bench *b, const char *what)
{
	jose_jwt jwt;
	jose_fail why;
	jose_err e;
	memset(&jwt, 0, sizeof jwt);
	memset(&why, 0, sizeof why);
	e = jose_jwt_verify(b->keys, &b->opts, b->token, b->token_len, &jwt, &why);
	if (e != JOSE_OK)
		die_verify(b, what, e, &why);
	if (jwt.payload == NULL || (int)jwt.alg != jose_alg_from_name(b->alg_name, strlen(b->alg_name))) {
		fprintf(stderr, "bench_verify: %s %s: JOSE_OK but no payload or wrong alg %d\n", b->alg_name,
		        what, (int)jwt.alg);
		exit(1);
	}
	jose_jwt_clear(&jwt);
}

/* Verify a variant that must be refused with the expected error. */
static void verify_refused(const struct bench *b, const jose_jwt_opts *opts, const char *token,
                           const char *what, jose_err expected)
{
	jose_jwt jwt;
	jose_fail why;
	jose_err e;
	memset(&jwt, 0, sizeof jwt);
	memset(&why, 0, sizeof why);
	e = jose_jwt_verify(b->keys, opts, token, strlen(token), &jwt, &why);
	if (e == JOSE_OK) {
		fprintf(stderr, "bench_verify: %s: %s was ACCEPTED (expected %s)\n", b->alg_name, what,
		        jose_err_code(expected));
		exit(1);
	}
	if (e != expected)
		fprintf(stderr, "bench_verify: note: %s: %s refused with %s (%s), expected %s\n", b->alg_name,
		        what, jose_err_code(e), why.reason ? why.reason : "no reason",
		        jose_err_code(expected));
	jose_jwt_clear(&jwt);
}

/* One timed round: verifications per second over about ms milliseconds. */
static double round_ops(struct bench *b, long ms)
{
	double t0, t, end;
	unsigned long n = 0;
	b->opts.now = (int64_t)time(NULL);
	t0 = now_s();
	end = t0 + (double)ms / 1000.0;
	t = t0;
	while (t < end) {
		verify_ok(b, "timed loop");
		n++;
		t = now_s();
	}
	return (double)n / (t - t0);
}

int main(int argc, char **argv)
{
	static const char *const issuers[] = {BENCH_ISS};
	static const char *const audiences[] = {BENCH_AUD};
	static const char *const wrong_aud[] = {"https://other.example.com"};
	long rounds = env_long("bench_verify", "BENCH_ROUNDS", 5, 1, MAX_ROUNDS);
	long round_ms = env_long("bench_verify", "BENCH_ROUND_MS", 1000, 1, 60000);
	long warmup_ms = env_long("bench_verify", "BENCH_WARMUP_MS", 200, 0, 60000);
	const char *dir;
	int i;

	if (argc < 3) {
		fprintf(stderr, "usage: bench_verify DIR ALG...\n");
		return 2;
	}
	dir = argv[1];
	for (i = 2; i < argc; i++) {
		struct bench b;
		char jwks_path[4096], token_path[4096];
		char *jwks_json, *token, *bad;
		size_t jwks_len, token_len;
		jose_jwks *keys = NULL;
		jose_fail why;
		jose_err e;
		jose_jwt_opts wrong;
		double rates[MAX_ROUNDS];
		int alg = jose_alg_from_name(argv[i], strlen(argv[i]));
		long r;

		if (alg < 0) {
			fprintf(stderr, "bench_verify: unknown algorithm %s\n", argv[i]);
			return 2;
		}
		snprintf(jwks_path, sizeof jwks_path, "%s/%s.jwks.json", dir, argv[i]);
		snprintf(token_path, sizeof token_path, "%s/%s.token", dir, argv[i]);
		jwks_json = slurp(jwks_path, &jwks_len);
		token = slurp(token_path, &token_len);

		memset(&why, 0, sizeof why);
		e = jose_jwks_import(jwks_json, jwks_len, &keys, &why);
		if (e != JOSE_OK || keys == NULL) {
			fprintf(stderr,
			        "bench_verify: %s: jose_jwks_import returned %d %s: %s (usable keys: %lu)\n"
			        "  jwks (%s): %s\n",
			        argv[i], (int)e, jose_err_code(e),
			        why.reason ? why.reason : jose_err_message(e),
			        keys ? (unsigned long)jose_jwks_usable(keys) : 0UL, jwks_path, jwks_json);
			return 1;
		}

		if (jose_jwks_usable(keys) != 1) /* a dead key: the first verify says why */
			fprintf(stderr, "bench_verify: %s: %s has %lu usable keys, expected 1\n", argv[i],
			        jwks_path, (unsigned long)jose_jwks_usable(keys));

		memset(&b, 0, sizeof b);
		b.alg_name = argv[i];
		b.keys = keys;
		b.token = token;
		b.token_len = token_len;
		b.token_path = token_path;
		b.jwks_path = jwks_path;
		b.opts.algs = JOSE_ALG_BIT(alg);
		b.opts.now = (int64_t)time(NULL);
		b.opts.issuers = issuers;
		b.opts.n_issuers = 1;
		b.opts.audiences = audiences;
		b.opts.n_audiences = 1;

		/* Sanity: the real token passes; a forged signature and a foreign audience do not. */
		verify_ok(&b, "first call");
		bad = malloc(token_len + 1);
		if (bad == NULL)
			return 1;
		memcpy(bad, token, token_len + 1);
		{
			size_t pos = token_len - 8; /* inside the signature, away from padding bits */
			bad[pos] = bad[pos] == 'A' ? 'B' : 'A';
		}
		verify_refused(&b, &b.opts, bad, "token with a corrupted signature", JOSE_E_SIG_FAILED);
		free(bad);
		wrong = b.opts;
		wrong.audiences = wrong_aud;
		verify_refused(&b, &wrong, token, "token for another audience", JOSE_E_CLAIM);

		if (warmup_ms > 0)
			(void)round_ops(&b, warmup_ms);
		for (r = 0; r < rounds; r++)
			rates[r] = round_ops(&b, round_ms);
		printf("native %s %.0f\n", argv[i], median(rates, (size_t)rounds));
		fflush(stdout);

		jose_jwks_free(keys);
		free(jwks_json);
		free(token);
	}
	return 0;
}
