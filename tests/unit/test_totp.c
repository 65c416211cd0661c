/*
 * test_totp.c: TOTP codes, base32 and otpauth URIs (issuer/mfa/totp.c). The
 * codes are checked against RFC 6238 Appendix B (all three hashes, 8 digits)
 * and RFC 4226 Appendix D (6 digits), base32 against RFC 4648 §10, all read from
 * tests/vectors/totp/; then the verifier's promises: the window, a reused code,
 * malformed input, and the URI's percent-encoding.
 */
#include <inttypes.h>

#include "../../issuer/mfa/totp.c"
#include "../test.h"

#define SEED20 "12345678901234567890"
#define SEED32 SEED20 "123456789012"
#define SEED64 SEED20 SEED20 SEED20 "1234"

static void rfc6238(void)
{
	char *text = t_read_vector("totp/rfc6238-appendix-b.txt"), *line, *save = NULL;
	int n = 0, bad = 0;

	if (!text)
		return;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		long long t;
		char thex[17], want[9], mode[8], got[TOTP_DIGITS_MAX + 1];
		uint64_t T;
		totp_hash h;
		const char *seed;

		if (line[0] == '#' || sscanf(line, "%lld %16s %8s %7s", &t, thex, want, mode) != 4)
			continue;
		T = strtoull(thex, NULL, 16);
		h = !strcmp(mode, "SHA1") ? TOTP_SHA1 : !strcmp(mode, "SHA256") ? TOTP_SHA256 : TOTP_SHA512;
		seed = h == TOTP_SHA1 ? SEED20 : h == TOTP_SHA256 ? SEED32 : SEED64;
		n++;
		if (totp_step(t, 30) != T ||
		    totp_hotp(h, (const uint8_t *)seed, strlen(seed), T, 8, got) != 0 || strcmp(got, want)) {
			bad++;
			printf("# RFC 6238 at %lld %s: step %" PRIu64 ", code %s, want %s\n", t, mode,
			       totp_step(t, 30), got, want);
		}
	}
	T_CHECK(n == 18 && bad == 0, "RFC 6238 Appendix B: %d of 18 vectors read, %d differ", n, bad);
	free(text);
}

static void rfc4226(void)
{
	char *text = t_read_vector("totp/rfc4226-appendix-d.txt"), *line, *save = NULL;
	int n = 0, bad = 0;

	if (!text)
		return;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned long long c;
		char want[7], got[TOTP_DIGITS_MAX + 1];

		if (line[0] == '#' || sscanf(line, "%llu %6s", &c, want) != 2)
			continue;
		n++;
		if (totp_hotp(TOTP_SHA1, (const uint8_t *)SEED20, 20, c, 6, got) != 0 || strcmp(got, want))
			bad++;
	}
	T_CHECK(n == 10 && bad == 0, "RFC 4226 Appendix D: %d of 10 HOTP values read, %d differ", n, bad);
	free(text);
}

static void rfc4648(void)
{
	char *text = t_read_vector("totp/rfc4648-base32.txt"), *line, *save = NULL;
	int n = 0, bad = 0;

	if (!text)
		return;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char in[16], want[32], enc[32], nopad[32];
		uint8_t back[16];
		size_t back_len = 99, k;

		if (line[0] == '#' || sscanf(line, "%15s %31s", in, want) != 2)
			continue;
		if (!strcmp(in, "-"))
			in[0] = want[0] = '\0';
		n++;
		k = strcspn(want, "=");
		memcpy(nopad, want, k);
		nopad[k] = '\0';
		if (totp_base32_encode(enc, sizeof enc, (const uint8_t *)in, strlen(in), 1) != strlen(want) ||
		    strcmp(enc, want) ||
		    totp_base32_encode(enc, sizeof enc, (const uint8_t *)in, strlen(in), 0) != k ||
		    strcmp(enc, nopad) ||
		    totp_base32_decode(back, sizeof back, &back_len, want, strlen(want)) != 0 ||
		    back_len != strlen(in) || memcmp(back, in, back_len) ||
		    totp_base32_decode(back, sizeof back, &back_len, nopad, k) != 0 ||
		    back_len != strlen(in)) {
			bad++;
			printf("# RFC 4648 base32 of \"%s\": got %s, want %s\n", in, enc, want);
		}
	}
	T_CHECK(n == 7 && bad == 0, "RFC 4648 section 10 base32: %d of 7 vectors read, %d differ", n, bad);
	free(text);
}

static void base32_edges(void)
{
	uint8_t out[40];
	size_t n;
	char small[8];

	T_CHECK(totp_base32_decode(out, sizeof out, &n, "mzxw6ytboi", 10) == 0 && n == 6 &&
	            !memcmp(out, "foobar", 6),
	        "base32: lower case decodes");
	T_CHECK(totp_base32_decode(out, sizeof out, &n, "MZXW 6YTB OI", 12) == 0 && n == 6 &&
	            !memcmp(out, "foobar", 6),
	        "base32: spaces between groups are ignored");
	T_CHECK(totp_base32_decode(out, sizeof out, &n, "MZXW6YQ", 7) == 0 && n == 4, "base32: no padding");
	T_CHECK(totp_base32_decode(out, sizeof out, &n, "MZXW6YR=", 8) == -1,
	        "base32: non-zero leftover bits refused (one text per secret)");
	T_CHECK(totp_base32_decode(out, sizeof out, &n, "MZXW6YQ==", 9) == -1,
	        "base32: too much padding refused");
	T_CHECK(totp_base32_decode(out, sizeof out, &n, "MZXW6Y=Q", 8) == -1,
	        "base32: data after padding refused");
	T_CHECK(totp_base32_decode(out, sizeof out, &n, "MZX", 3) == -1, "base32: 3 characters is no length");
	T_CHECK(totp_base32_decode(out, sizeof out, &n, "MZXW1YQ", 7) == -1 &&
	            totp_base32_decode(out, sizeof out, &n, "MZXW8YQ", 7) == -1 &&
	            totp_base32_decode(out, sizeof out, &n, "MZXW-YQ", 7) == -1,
	        "base32: characters outside the alphabet (1, 8, -) refused");
	T_CHECK(totp_base32_decode(out, 3, &n, "MZXW6YQ", 7) == -1, "base32: output cap respected");
	T_CHECK(totp_base32_encode(small, sizeof small, (const uint8_t *)"foob", 4, 1) == 0 &&
	            small[0] == '\0',
	        "base32 encode: a short buffer gives 0 and an empty string");
}

static void generate(void)
{
	WC_RNG rng;
	uint8_t a[TOTP_SECRET_BYTES], b[TOTP_SECRET_BYTES];
	char text[TOTP_SECRET_B32 + 1];

	T_CHECK(wc_InitRng(&rng) == 0, "RNG ready");
	T_CHECK(totp_secret_generate(&rng, a) == 0 && totp_secret_generate(&rng, b) == 0 &&
	            memcmp(a, b, sizeof a) != 0,
	        "two new secrets differ");
	T_CHECK(totp_base32_encode(text, sizeof text, a, sizeof a, 0) == TOTP_SECRET_B32,
	        "a 20-byte secret is 32 base32 characters");
	wc_FreeRng(&rng);
}

/* The RFC 4226 secret: its codes at steps 0..9 are Appendix D's values. */
static const uint8_t K[] = SEED20;

static void verify(void)
{
	uint64_t step = 99;
	const int64_t t2 = 2 * 30 + 7; /* step 2: "359152" (RFC 4226 D: 1 "287082", 3 "969429", 4 "338314") */

	T_CHECK(totp_verify(K, 20, "359152", 6, t2, 1, 0, &step) == TOTP_OK && step == 2,
	        "the current step's code is accepted and its step reported");
	T_CHECK(totp_verify(K, 20, "969429", 6, t2, 1, 0, &step) == TOTP_OK && step == 3,
	        "the next step's code (clock behind) is accepted within a window of 1");
	T_CHECK(totp_verify(K, 20, "287082", 6, t2, 1, 0, &step) == TOTP_OK && step == 1,
	        "the previous step's code is accepted within a window of 1");
	T_CHECK(totp_verify(K, 20, "338314", 6, t2, 1, 0, &step) == TOTP_MISMATCH && step == 0,
	        "two steps ahead is refused with a window of 1");
	T_CHECK(totp_verify(K, 20, "338314", 6, t2, 2, 0, &step) == TOTP_OK && step == 4,
	        "and accepted with a window of 2");
	T_CHECK(totp_verify(K, 20, "359152", 6, t2, 0, 0, &step) == TOTP_OK &&
	            totp_verify(K, 20, "969429", 6, t2, 0, 0, &step) == TOTP_MISMATCH,
	        "window 0: the current step only");
	/* Replay (RFC 6238 §5.2: the verifier must not accept the second attempt of an OTP). */
	T_CHECK(totp_verify(K, 20, "359152", 6, t2, 1, 2, &step) == TOTP_REUSED && step == 0,
	        "replay: the code of the last step used is refused as reused");
	T_CHECK(totp_verify(K, 20, "287082", 6, t2, 1, 2, &step) == TOTP_REUSED,
	        "replay: an older step's code is refused as reused");
	T_CHECK(totp_verify(K, 20, "969429", 6, t2, 1, 2, &step) == TOTP_OK && step == 3,
	        "a later step than the last used is accepted");
	T_CHECK(totp_verify(K, 20, "123456", 6, t2, 1, 0, &step) == TOTP_MISMATCH, "a wrong code is refused");
	T_CHECK(totp_verify(K, 20, "359 152", 7, t2, 1, 0, &step) == TOTP_OK,
	        "a space inside the code is ignored");
	T_CHECK(totp_verify(K, 20, "28708", 5, t2, 1, 0, &step) == TOTP_MALFORMED &&
	            totp_verify(K, 20, "2870821", 7, t2, 1, 0, &step) == TOTP_MALFORMED &&
	            totp_verify(K, 20, "28708a", 6, t2, 1, 0, &step) == TOTP_MALFORMED &&
	            totp_verify(K, 20, "", 0, t2, 1, 0, &step) == TOTP_MALFORMED,
	        "5 digits, 7 digits, a letter, nothing: malformed");
	T_CHECK(totp_verify(K, 20, "287082", 6, t2, TOTP_WINDOW_MAX + 1, 0, &step) == TOTP_BAD_CALL &&
	            totp_verify(K, 0, "287082", 6, t2, 1, 0, &step) == TOTP_BAD_CALL &&
	            totp_verify(K, 20, "287082", 6, -1, 1, 0, &step) == TOTP_BAD_CALL,
	        "a too wide window, an empty secret, a time before 1970: bad call");
	{ /* An RFC 6238 time far ahead: its 8-digit code's last 6 digits are the 6-digit code. */
		char c8[TOTP_DIGITS_MAX + 1];
		totp_hotp(TOTP_SHA1, K, 20, totp_step(2000000000, 30), 8, c8);
		T_CHECK(strcmp(c8, "69279037") == 0 &&
		            totp_verify(K, 20, c8 + 2, 6, 2000000000, 1, 0, &step) == TOTP_OK &&
		            step == 0x3F940AA,
		        "at 2000000000 (RFC 6238): code 279037 accepted at step 0x3F940AA");
	}
}

static void uri(void)
{
	uint8_t secret[20];
	char out[512];
	int n;

	memcpy(secret, SEED20, 20);
	n = totp_uri(out, sizeof out, "Example Co", "alice@example.com", secret, 20);
	T_CHECK(
	    n > 0 && (size_t)n == strlen(out) &&
	        !strcmp(
	            out,
	            "otpauth://totp/Example%20Co:alice%40example.com?secret="
	            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Example%20Co&algorithm=SHA1&digits=6&period=30"),
	    "otpauth URI: label and issuer percent-encoded, secret unpadded base32 (%s)", out);
	n = totp_uri(out, sizeof out, "Bäckerei & Co/?#", "bob+1", secret, 20);
	T_CHECK(n > 0 && strstr(out, "totp/B%C3%A4ckerei%20%26%20Co%2F%3F%23:bob%2B1?") &&
	            strstr(out, "&issuer=B%C3%A4ckerei%20%26%20Co%2F%3F%23&"),
	        "UTF-8, '&', '/', '?', '#', '+' are percent-encoded (%s)", out);
	T_CHECK(totp_uri(out, sizeof out, "Evil:Issuer", "alice", secret, 20) == -1 && out[0] == '\0' &&
	            totp_uri(out, sizeof out, "Issuer", "a:b", secret, 20) == -1,
	        "a ':' in issuer or account is refused (apps split the label there)");
	T_CHECK(totp_uri(out, sizeof out, "", "alice", secret, 20) == -1 &&
	            totp_uri(out, sizeof out, "Issuer", "", secret, 20) == -1 &&
	            totp_uri(out, sizeof out, "Iss\nuer", "alice", secret, 20) == -1 &&
	            totp_uri(out, sizeof out, "Issuer", "al\xffice", secret, 20) == -1,
	        "empty parts, a control character, invalid UTF-8 are refused");
	T_CHECK(totp_uri(out, 40, "Example Co", "alice@example.com", secret, 20) == -1 && out[0] == '\0',
	        "a short buffer is refused, nothing half-written");
}

int main(void)
{
	rfc6238();
	rfc4226();
	rfc4648();
	base32_edges();
	generate();
	verify();
	uri();
	T_DONE();
}
