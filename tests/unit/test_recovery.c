/*
 * test_recovery.c: recovery codes (issuer/mfa/recovery.c): their shape and
 * randomness, the stored hash (the same HMAC-SHA-256 construction as a client
 * secret's, checked with crypto/secret.c's own check), single use, and the
 * normalisation of what a user types.
 */
#include <ctype.h>

#include "../../issuer/mfa/recovery.c"
#include "../../issuer/crypto/secret.c"
#include "../test.h"

static WC_RNG rng;

static int shape_ok(const char *c)
{
	if (strlen(c) != RECOVERY_CODE_TEXT || c[5] != '-')
		return 0;
	for (int i = 0; i < RECOVERY_CODE_TEXT; i++)
		if (i != 5 && !strchr(ALPHABET, c[i]))
			return 0;
	return 1;
}

static void generate(void)
{
	char codes[RECOVERY_CODES][RECOVERY_CODE_TEXT + 1];
	recovery_hash h[RECOVERY_CODES];
	int shapes = 1, distinct = 1;

	T_CHECK(recovery_generate(&rng, codes, h) == 0, "a set of recovery codes is made");
	for (int i = 0; i < RECOVERY_CODES; i++) {
		shapes &= shape_ok(codes[i]);
		for (int j = 0; j < i; j++)
			distinct &= strcmp(codes[i], codes[j]) != 0 &&
			            memcmp(h[i].salt, h[j].salt, 16) != 0 &&
			            memcmp(h[i].hash, h[j].hash, 32) != 0;
	}
	T_CHECK(shapes, "every code reads xxxxx-xxxxx from the unambiguous alphabet (e.g. %s)", codes[0]);
	T_CHECK(distinct, "codes, salts and hashes all differ");
	T_CHECK(RECOVERY_CODE_CHARS * 5 >= 50 && strlen(ALPHABET) == 32 && !strpbrk(ALPHABET, "ilou"),
	        "each code carries at least 50 bits (%d chars of a 32-symbol alphabet without i, l, o, u)",
	        RECOVERY_CODE_CHARS);
	T_CHECK(recovery_left(h, RECOVERY_CODES) == RECOVERY_CODES, "ten codes left");
	{ /* The stored form is a client secret's: HMAC-SHA-256 keyed with the salt. */
		struct store_client c;
		char raw[RECOVERY_CODE_CHARS + 1];
		memset(&c, 0, sizeof c);
		memcpy(c.secret_salt, h[3].salt, RECOVERY_SALT_LEN);
		memcpy(c.secret_hash, h[3].hash, RECOVERY_HASH_LEN);
		c.secret_salt_len = RECOVERY_SALT_LEN;
		c.secret_hash_len = RECOVERY_HASH_LEN;
		recovery_normalise(codes[3], strlen(codes[3]), raw);
		T_CHECK(secret_client_check(&c, raw, RECOVERY_CODE_CHARS) == 1 &&
		            secret_client_check(&c, codes[3], strlen(codes[3])) == 0,
		        "the hash is crypto/secret.c's keyed hash of the code without its dash");
	}
}

/* Every symbol turns up at every position over many codes: all 5 bits of each are random. */
static void uniform(void)
{
	static unsigned seen[RECOVERY_CODE_TEXT][32];
	char codes[RECOVERY_CODES][RECOVERY_CODE_TEXT + 1];
	recovery_hash h[RECOVERY_CODES];
	int missing = 0;

	for (int s = 0; s < 300; s++) {
		recovery_generate(&rng, codes, h);
		for (int i = 0; i < RECOVERY_CODES; i++)
			for (int p = 0; p < RECOVERY_CODE_TEXT; p++)
				if (p != 5)
					seen[p][strchr(ALPHABET, codes[i][p]) - ALPHABET]++;
	}
	for (int p = 0; p < RECOVERY_CODE_TEXT; p++)
		for (int k = 0; p != 5 && k < 32; k++)
			missing += seen[p][k] == 0;
	T_CHECK(missing == 0, "3000 codes: every symbol appears at every position (%d gaps)", missing);
}

static void redeem(void)
{
	char codes[RECOVERY_CODES][RECOVERY_CODE_TEXT + 1], typed[32];
	recovery_hash h[RECOVERY_CODES];
	int ok = 1;

	recovery_generate(&rng, codes, h);
	T_CHECK(recovery_redeem(h, RECOVERY_CODES, codes[4], strlen(codes[4])) == 4,
	        "a code redeems: index 4");
	T_CHECK(recovery_redeem(h, RECOVERY_CODES, codes[4], strlen(codes[4])) == -1 &&
	            recovery_left(h, RECOVERY_CODES) == RECOVERY_CODES - 1,
	        "single use: the same code a second time is refused, nine left");
	for (int i = 0; i < RECOVERY_CODES; i++)
		if (i != 4)
			ok &= recovery_redeem(h, RECOVERY_CODES, codes[i], strlen(codes[i])) == i;
	T_CHECK(ok && recovery_left(h, RECOVERY_CODES) == 0, "each other code redeems once, none left");
	T_CHECK(recovery_redeem(h, RECOVERY_CODES, codes[0], strlen(codes[0])) == -1,
	        "a spent set accepts nothing");

	recovery_generate(&rng, codes, h);
	/* Upper case, no dash, spaces around and inside. */
	snprintf(typed, sizeof typed, "  %.5s %.5s ", codes[1], codes[1] + 6);
	for (char *p = typed; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	T_CHECK(recovery_redeem(h, RECOVERY_CODES, typed, strlen(typed)) == 1,
	        "upper case, spaces instead of the dash: accepted (%s)", typed);
	{ /* Crockford's aliases: 0 typed as O, 1 typed as I or L. */
		char canon[RECOVERY_CODE_CHARS + 1];
		T_CHECK(recovery_normalise("OIL23-45678", 11, canon) == 0 && !strcmp(canon, "0112345678"),
		        "normalise: O I L read as 0 1 1 (%s)", canon);
		T_CHECK(recovery_normalise("oil23-45678", 11, canon) == 0 && !strcmp(canon, "0112345678"),
		        "normalise: lower-case o i l too (%s)", canon);
		T_CHECK(recovery_normalise("abcde-fghjk", 11, canon) == 0 && !strcmp(canon, "abcdefghjk"),
		        "normalise: the dash is dropped");
	}
	T_CHECK(recovery_redeem(h, RECOVERY_CODES, "00000-00000", 11) == -1 &&
	            recovery_left(h, RECOVERY_CODES) == RECOVERY_CODES - 1,
	        "a wrong code is refused and spends nothing");
	T_CHECK(recovery_normalise("abcde-fghj", 10, typed) == -1 &&
	            recovery_normalise("abcde-fghjkm", 12, typed) == -1,
	        "normalise: 9 or 11 characters refused");
	T_CHECK(recovery_normalise("abcde-fghju", 11, typed) == -1 &&
	            recovery_normalise("abcde_fghjk", 11, typed) == -1 &&
	            recovery_normalise("abcde-fghj\xc3\xa9", 12, typed) == -1,
	        "normalise: u (not in the alphabet), '_', a non-ASCII letter refused");
	{
		char longin[RECOVERY_INPUT_MAX + 2];
		memset(longin, ' ', sizeof longin);
		memcpy(longin, "abcde-fghjk", 11);
		T_CHECK(recovery_normalise(longin, sizeof longin, typed) == -1 &&
		            recovery_normalise(longin, RECOVERY_INPUT_MAX, typed) == 0,
		        "normalise: input longer than RECOVERY_INPUT_MAX refused");
	}
	T_CHECK(recovery_redeem(h, RECOVERY_CODES, NULL, 0) == -1 && recovery_redeem(NULL, 0, "x", 1) == -1,
	        "NULL input refused");
}

int main(void)
{
	T_CHECK(wc_InitRng(&rng) == 0, "RNG ready");
	generate();
	uniform();
	redeem();
	wc_FreeRng(&rng);
	T_DONE();
}
