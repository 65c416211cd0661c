/*
 * fuzz.h: what the libFuzzer targets of tests/fuzz/ share: the fixed key set
 * (one public key of each kind the core verifies), a few fixed tokens signed by
 * those keys, and FUZZ_CHECK, the one way a target reports a broken promise.
 *
 * A target never prints on success and never exits: libFuzzer owns the process.
 * A broken promise (an invariant a header documents) is reported as one line on
 * stderr and abort(), so libFuzzer saves the input as a crash. Keys and tokens
 * come from the specifications (RFC 7515 A.1 and A.3, RFC 7520 §3, RFC 8037 A),
 * except the P-384 key, a throwaway key made for the seeds (tests/fuzz/seeds.mjs
 * holds its private half, and mints the seed tokens; keep both files in step).
 */
#ifndef TESTS_FUZZ_H
#define TESTS_FUZZ_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

/* Report a broken invariant and abort (a libFuzzer crash). */
#define FUZZ_CHECK(cond, ...)                                                                                \
	do {                                                                                                 \
		if (!(cond)) {                                                                               \
			fprintf(stderr, "FUZZ_CHECK failed at %s:%d: %s: ", __FILE__, __LINE__, #cond);      \
			fprintf(stderr, __VA_ARGS__);                                                        \
			fputc('\n', stderr);                                                                 \
			abort();                                                                             \
		}                                                                                            \
	} while (0)

/*
 * 1 when a and b are the same JSON tree: same types, member names in the same
 * order, equal strings, numbers equal as doubles (so two infinities are equal:
 * cJSON_Compare says they differ, as inf - inf is NaN). With inf_is_null, an
 * infinite number of a also matches a null in b (what cJSON prints for it).
 */
static inline int fuzz_same_json(const cJSON *a, const cJSON *b, int inf_is_null)
{
	const cJSON *x, *y;

	if (!a || !b)
		return a == b;
	if (inf_is_null && cJSON_IsNumber(a) && isinf(a->valuedouble) && cJSON_IsNull(b))
		return 1;
	if ((a->type & 0xff) != (b->type & 0xff))
		return 0;
	if (cJSON_IsNumber(a))
		return a->valuedouble == b->valuedouble && signbit(a->valuedouble) == signbit(b->valuedouble);
	if (cJSON_IsString(a))
		return strcmp(a->valuestring, b->valuestring) == 0;
	for (x = a->child, y = b->child; x && y; x = x->next, y = y->next)
		if ((cJSON_IsObject(a) && strcmp(x->string, y->string) != 0) ||
		    !fuzz_same_json(x, y, inf_is_null))
			return 0;
	return !x && !y;
}

/* The RSA key (RFC 7520 §3.4) and the P-521 key (RFC 7520 §3.2) share this kid. */
#define FUZZ_KID_BILBO "bilbo.baggins@hobbiton.example"

/*
 * The fixed JWK Set: HS (RFC 7515 A.1.1, no kid), RSA-2048 (RFC 7520 §3.4),
 * P-256 (RFC 7515 A.3.1, no kid), P-384 ("p384"), P-521 (RFC 7520 §3.2) and
 * Ed25519 (RFC 8037 A.2, no kid). Every algorithm has exactly one candidate key.
 */
static const char FUZZ_JWKS[] =
    "{\"keys\":["
    "{\"kty\":\"oct\",\"k\":\"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-"
    "1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow\"},"
    "{\"kty\":\"RSA\",\"kid\":\"" FUZZ_KID_BILBO "\",\"use\":\"sig\","
    "\"n\":\"n4EPtAOCc9AlkeQHPzHStgAbgs7bTZLwUBZdR8_KuKPEHLd4rHVTeT-O-XV2jRojdNhxJWTDvNd7nqQ0VEiZQHz_"
    "AJmSCpMaJMRBSFKrKb2wqVwGU_NsYOYL-QtiWN2lbzcEe6XC0dApr5ydQLrHqkHHig3RBordaZ6Aj-oBHqFEHYpPe7Tpe-"
    "OfVfHd1E6cS6M1FZcD1NNLYD5lFHpPI9bTwJlsde3uhGqC0ZCuEHg8lhzwOHrtIQbS0FVbb9k3-tVTU4fg_3L_"
    "vniUFAKwuCLqKnS2BYwdq_mzSnbLY7h_qixoR7jig3__kRhuaxwUkRz5iaiQkqgc5gHdrNP5zw\",\"e\":\"AQAB\"},"
    "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
    "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"},"
    "{\"kty\":\"EC\",\"crv\":\"P-384\",\"kid\":\"p384\","
    "\"x\":\"my4kiRh-LwcaMNA_ZG3x1PP1bwDi4KlfPVE5V0O0q8X0--W2nkNI1J7JIOHPH6Z2\","
    "\"y\":\"-7FvTuI3mxJHKHqFJRnEzixIEJZYADOc8Z_XtK9-dItYsDcjfZNMFOWs1IL8DO_B\"},"
    "{\"kty\":\"EC\",\"kid\":\"" FUZZ_KID_BILBO "\",\"use\":\"sig\",\"crv\":\"P-521\","
    "\"x\":\"AHKZLLOsCOzz5cY97ewNUajB957y-C-U88c3v13nmGZx6sYl_oJXu9A5RkTKqjqvjyekWF-7ytDyRXYgCF5cj0Kt\","
    "\"y\":\"AdymlHvOiLxXkEhayXQnNCvDX4h9htZaCJN34kfmC6pV5OhQHiraVySsUdaQkAgDPrwQrJmbnX9cwlGfP-HqHZR1\"},"
    "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}"
    "]}";

/*
 * Tokens the fixed set verifies: RFC 7515 A.1 (HS256, a JWT whose exp is
 * 1300819380), A.3 (ES256, same claims), RFC 7520 §4.1 (RS256) and §4.3 (ES512)
 * (payload: a sentence, not JSON), RFC 8037 A.4 (EdDSA, same).
 */
#define FUZZ_RFC_PAYLOAD_7520                                                                                \
	"SXTigJlzIGEgZGFuZ2Vyb3VzIGJ1c2luZXNzLCBGcm9kbywgZ29pbmcgb3V0IHlvdXIgZG9vci4gWW91IHN0ZXAg"           \
	"b250byB0aGUgcm9hZCwgYW5kIGlmIHlvdSBkb24ndCBrZWVwIHlvdXIgZmVldCwgdGhlcmXigJlzIG5vIGtub3dp"           \
	"bmcgd2hlcmUgeW91IG1pZ2h0IGJlIHN3ZXB0IG9mZiB0by4"
static const char *const FUZZ_TOKENS[] = {
    "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9."
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ."
    "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
    "eyJhbGciOiJFUzI1NiJ9."
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ."
    "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q",
    "eyJhbGciOiJSUzI1NiIsImtpZCI6ImJpbGJvLmJhZ2dpbnNAaG9iYml0b24uZXhhbXBsZSJ9." FUZZ_RFC_PAYLOAD_7520
    ".MRjdkly7_-oTPTS3AXP41iQIGKa80A0ZmTuV5MEaHoxnW2e5CZ5NlKtainoFmKZopdHM1O2U4mwzJdQx996ivp83xuglII7PNDi84w"
    "nB-BDkoBwA78185hX-Es4JIwmDLJK3lfWRa-XtL0RnltuYv746iYTh_qHRD68BNt1uSNCrUCTJDt5aAE6x8wW1Kt9eRo4QPocSadnHX"
    "Fxnt8Is9UzpERV0ePPQdLuW3IS_de3xyIrDaLGdjluPxUAhb6L2aXic1U12podGU0KLUQSE_oI-ZnmKJ3F4uOZDnd6QZWJushZ41Axf_"
    "fcIe8u9ipH84ogoree7vjbU5y18kDquDg",
    "eyJhbGciOiJFUzUxMiIsImtpZCI6ImJpbGJvLmJhZ2dpbnNAaG9iYml0b24uZXhhbXBsZSJ9." FUZZ_RFC_PAYLOAD_7520
    ".AE_R_YZCChjn4791jSQCrdPZCNYqHXCTZH0-JZGYNlaAjP2kqaluUIIUnC9qvbu9Plon7KRTzoNEuT4Va2cmL1eJAQy3mtPBu_u_"
    "sDDyYjnAMDxXPn7XrT0lw-kvAD890jl8e2puQens_IEKBpHABlsbEPX6sFY8OcGDqoRuBomu9xQ2",
    ("eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc."
     "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg"),
};
#define FUZZ_N_TOKENS (sizeof FUZZ_TOKENS / sizeof FUZZ_TOKENS[0])

#endif
