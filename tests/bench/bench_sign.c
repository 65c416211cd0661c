/*
 * bench_sign [ALG...]: single-threaded rate of the issuer's JWS signing
 * (issuer/keys.h: keys_sign_jws), the raw figure the issuer benchmark
 * (tests/bench/issuer.sh) compares the server's token rate with.
 *
 * For each ALG (default: RS256 ES256 EdDSA): keys_generate once, then
 * keys_sign_jws in a loop over a realistic access-token payload (~300 bytes of
 * claims, header typ at+jwt, as the token endpoint signs) for BENCH_ROUNDS (3)
 * rounds of BENCH_ROUND_MS (700) ms after one uncounted warm-up of
 * BENCH_WARMUP_MS (150) ms. Every call must return JOSE_OK. Prints one line
 * per alg:
 *
 *   sign ALG OPS_PER_S        (median of the rounds, rounded to an integer)
 *
 * What a call includes is what the server pays per token besides HTTP and
 * JSON: the header text, base64url, the private key DER decoded into a
 * wolfCrypt object, the signature and, for RSA, its verification before the
 * token leaves (keys.h). One thread, one WC_RNG, as one server thread has.
 *
 * The Makefile's bench rule links libjose, wolfCrypt and cJSON only, so the
 * issuer's key module is compiled into this program directly.
 */
#include "../../issuer/crypto/seal.c"
#include "../../issuer/keys/keys.c"

#include "bench.h"

/* Sign for ms milliseconds; signatures per second. Exits on any failure. */
static double round_ops(const keys_key *k, WC_RNG *rng, const char *payload, double ms)
{
	double t0 = now_s(), t = t0, end = t0 + ms / 1000.0;
	long n = 0;
	while (t < end) {
		char *tok = NULL;
		jose_err err = keys_sign_jws(k, rng, "{\"typ\":\"at+jwt\"}", payload, strlen(payload), &tok);
		if (err != JOSE_OK || tok == NULL) {
			fprintf(stderr, "bench_sign: keys_sign_jws(%s) failed: %d\n", keys_alg(k), (int)err);
			exit(1);
		}
		free(tok);
		n++;
		t = now_s();
	}
	return (double)n / (t - t0);
}

int main(int argc, char **argv)
{
	static const char *const defaults[] = {"RS256", "ES256", "EdDSA"};
	const char *const *names = defaults;
	int nnames = 3;
	long rounds = env_long("bench_sign", "BENCH_ROUNDS", 3, 1, MAX_ROUNDS);
	long round_ms = env_long("bench_sign", "BENCH_ROUND_MS", 700, 10, 600000);
	long warmup_ms = env_long("bench_sign", "BENCH_WARMUP_MS", 150, 0, 600000);
	char payload[512];
	WC_RNG rng;
	long now = (long)time(NULL);

	if (argc > 1) {
		names = (const char *const *)(argv + 1);
		nnames = argc - 1;
	}
	snprintf(payload, sizeof payload,
	         "{\"iss\":\"http://127.0.0.1:8080\",\"sub\":\"bench\",\"aud\":\"api\",\"exp\":%ld,"
	         "\"iat\":%ld,\"nbf\":%ld,\"jti\":\"3q2-7wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\","
	         "\"client_id\":\"bench\",\"scope\":\"read\"}",
	         now + 3600, now, now);
	if (wc_InitRng(&rng) != 0) {
		fprintf(stderr, "bench_sign: wc_InitRng failed\n");
		return 1;
	}
	for (int i = 0; i < nnames; i++) {
		keys_key *k = NULL;
		double r[MAX_ROUNDS];
		jose_err err = keys_generate(names[i], &rng, &k);
		if (err != JOSE_OK) {
			fprintf(stderr, "bench_sign: keys_generate(%s) failed: %d\n", names[i], (int)err);
			return 1;
		}
		if (warmup_ms > 0)
			(void)round_ops(k, &rng, payload, (double)warmup_ms);
		for (long j = 0; j < rounds; j++)
			r[j] = round_ops(k, &rng, payload, (double)round_ms);
		printf("sign %s %.0f\n", names[i], median(r, (size_t)rounds));
		fflush(stdout);
		keys_free(k);
	}
	wc_FreeRng(&rng);
	return 0;
}
