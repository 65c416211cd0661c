/*
 * test_mfa_ct.c: the second factors' secret comparisons are constant time,
 * checked the ctgrind way as tests/unit/test_ct.c does: the secret bytes are
 * marked undefined for valgrind's memcheck, the call runs, and any branch or
 * memory address that depends on them is reported; VALGRIND_COUNT_ERRORS turns
 * that into a check, and a leaky control comparison must be flagged.
 *
 * Checked: totp_verify with the TOTP secret marked (HMAC, dynamic truncation,
 * the code compare over the whole window, the verdict and the step chosen by
 * masks), recovery_redeem with the stored salts and hashes marked (every entry
 * hashed and compared, the match selected and spent by masks). The verdicts are
 * public once returned. Without valgrind the binary re-executes itself under it;
 * under ASan (SAN=1) it reports skip.
 */
#include "../../issuer/mfa/recovery.c"
#include "../../issuer/mfa/totp.c"
#include "ctgrind.h"

struct totp_case {
	uint8_t key[20];
	const char *code;
	uint64_t last, step;
	totp_result r;
};

static void totp_call(void *ctx)
{
	struct totp_case *c = ctx;

	SECRET(c->key, sizeof c->key);
	c->r = totp_verify(c->key, sizeof c->key, c->code, strlen(c->code), 2 * 30 + 7, 1, c->last, &c->step);
	PUBLIC(&c->r, sizeof c->r);
	PUBLIC(&c->step, sizeof c->step);
	PUBLIC(c->key, sizeof c->key);
}

struct recovery_case {
	recovery_hash set[RECOVERY_CODES];
	char code[RECOVERY_CODE_TEXT + 1];
	int r;
};

static void recovery_call(void *ctx)
{
	struct recovery_case *c = ctx;

	SECRET(c->set, sizeof c->set);
	c->r = recovery_redeem(c->set, RECOVERY_CODES, c->code, strlen(c->code));
	PUBLIC(&c->r, sizeof c->r);
	PUBLIC(c->set, sizeof c->set);
}

static void leaky_call(void *ctx)
{
	struct recovery_case *c = ctx;
	volatile int r;

	SECRET(c->set, sizeof c->set);
	r = memcmp(c->set[0].hash, c->set[1].hash, RECOVERY_HASH_LEN) == 0;
	(void)r;
	PUBLIC(c->set, sizeof c->set);
}

static void run_checks(void)
{
	/* The RFC 4226 secret: steps 1, 2, 3 give 287082, 359152, 969429; now is step 2. */
	struct totp_case t = {.code = "359152"};
	static struct recovery_case rc;
	char codes[RECOVERY_CODES][RECOVERY_CODE_TEXT + 1];
	WC_RNG rng;

	memcpy(t.key, "12345678901234567890", 20);
	T_CHECK(errors_of(totp_call, &t) == 0 && t.r == TOTP_OK && t.step == 2,
	        "totp_verify, right code: no secret-dependent branch or address");
	t.code = "969429";
	T_CHECK(errors_of(totp_call, &t) == 0 && t.r == TOTP_OK && t.step == 3,
	        "totp_verify, next step's code: no secret-dependent branch or address");
	t.code = "123456";
	T_CHECK(errors_of(totp_call, &t) == 0 && t.r == TOTP_MISMATCH,
	        "totp_verify, wrong code: no secret-dependent branch or address");
	t.code = "287082", t.last = 2;
	T_CHECK(errors_of(totp_call, &t) == 0 && t.r == TOTP_REUSED,
	        "totp_verify, reused code: no secret-dependent branch or address");

	T_CHECK(wc_InitRng(&rng) == 0 && recovery_generate(&rng, codes, rc.set) == 0, "recovery codes made");
	memcpy(rc.code, codes[6], sizeof rc.code);
	T_CHECK(errors_of(recovery_call, &rc) == 0 && rc.r == 6,
	        "recovery_redeem, the 7th code: no secret-dependent branch or address");
	T_CHECK(errors_of(recovery_call, &rc) == 0 && rc.r == -1,
	        "recovery_redeem, the same code again (spent): no secret-dependent branch or address");
	memcpy(rc.code, "00000-00000", 12);
	T_CHECK(errors_of(recovery_call, &rc) == 0 && rc.r == -1,
	        "recovery_redeem, a wrong code: no secret-dependent branch or address");
	T_CHECK(errors_of(leaky_call, &rc) > 0,
	        "control: memcmp of two stored hashes is flagged (the harness can fail)");
	wc_FreeRng(&rng);
}

int main(int argc, char **argv)
{
	(void)argc;
	return ctgrind_main(argv, run_checks);
}
