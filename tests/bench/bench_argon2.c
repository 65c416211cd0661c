/*
 * bench_argon2: single-threaded rate of password_verify (issuer/password.h) at
 * the configured argon2id cost, the raw figure the SSO benchmark
 * (tests/bench/sso.sh) compares the server's login rate with: one worker of the
 * server's password pool can do at most this many logins a second.
 *
 * The cost is the server's: password_params_from_env (PASSWORD_ARGON2_M_KIB,
 * PASSWORD_ARGON2_T, PASSWORD_ARGON2_P; unset: OWASP's m=19456 KiB, t=2, p=1).
 * One password_hash makes the stored string, then password_verify in a loop
 * for BENCH_ROUNDS (3) rounds of BENCH_ROUND_MS (2000) ms after one uncounted
 * verification. Every verification must answer 1 (and one of a wrong password
 * 0), else it exits 1. Prints:
 *
 *   argon2id m=M t=T p=P verify VERIFY_PER_S ms MS_PER_VERIFY
 *
 * (the median of the rounds). One thread, as one pool worker runs one job.
 *
 * The Makefile's bench rule links libjose, wolfCrypt and cJSON; it adds
 * libargon2 for this program, and the password module is compiled into it
 * directly.
 */
#include "../../issuer/cli/cli_env.c"
#include "../../issuer/cli/cli_util.c"
#include "../../issuer/crypto/password.c"

#include "bench.h"

/* Verify for ms milliseconds (at least one call); verifications per second. Exits on a failure. */
static double round_ops(const char *encoded, const char *pw, double ms)
{
	double t0 = now_s(), t = t0, end = t0 + ms / 1000.0;
	long n = 0;
	do {
		if (password_verify(encoded, pw, strlen(pw)) != 1) {
			fprintf(stderr, "bench_argon2: password_verify refused the right password\n");
			exit(1);
		}
		n++;
		t = now_s();
	} while (t < end);
	return (double)n / (t - t0);
}

int main(void)
{
	static const char pw[] = "correct horse battery staple";
	long rounds = env_long("bench_argon2", "BENCH_ROUNDS", 3, 1, MAX_ROUNDS);
	long round_ms = env_long("bench_argon2", "BENCH_ROUND_MS", 2000, 10, 600000);
	struct password_params p;
	char err[160] = "", encoded[PASSWORD_ENCODED_MAX + 1];
	double rates[MAX_ROUNDS], rate;
	WC_RNG rng;
	int weak_allowed;

	if (cli_password_params(&p, &weak_allowed, err, sizeof err) != 0) {
		fprintf(stderr, "bench_argon2: %s\n", err);
		return 2;
	}
	if (wc_InitRng(&rng) != 0) {
		fprintf(stderr, "bench_argon2: wc_InitRng failed\n");
		return 1;
	}
	if (password_hash(pw, strlen(pw), &p, &rng, encoded, sizeof encoded) != PASSWORD_OK) {
		fprintf(stderr, "bench_argon2: password_hash failed\n");
		return 1;
	}
	wc_FreeRng(&rng);
	if (password_verify(encoded, "wrong", 5) != 0) {
		fprintf(stderr, "bench_argon2: password_verify accepted a wrong password\n");
		return 1;
	}
	round_ops(encoded, pw, 0); /* warm-up: one verification */
	for (long i = 0; i < rounds; i++)
		rates[i] = round_ops(encoded, pw, (double)round_ms);
	rate = median(rates, (size_t)rounds);
	printf("argon2id m=%u t=%u p=%u verify %.1f ms %.2f\n", (unsigned)p.m_kib, (unsigned)p.t,
	       (unsigned)p.p, rate, 1000.0 / rate);
	return 0;
}
