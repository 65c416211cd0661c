/*
 * test_b64url.c: strict base64url (RFC 4648 §5, RFC 7515 §2) and padded standard
 * base64 (§4). Vectors are the RFC 4648 §10 test strings, as printed there and
 * re-spelled in the URL-safe alphabet without padding.
 */
#include "../test.h"
#include "jose.h"

static int decodes_to(const char *in, const char *expect)
{
	uint8_t out[64];
	size_t n;

	if (jose_b64url_decode(out, sizeof out, &n, in, strlen(in)))
		return 0;
	return n == strlen(expect) && memcmp(out, expect, n) == 0;
}

static int rejects(const char *in)
{
	uint8_t out[64];
	size_t n;

	return jose_b64url_decode(out, sizeof out, &n, in, strlen(in)) == -1;
}

/* Padded standard base64 (RFC 4648 §4), for HTTP Basic: the §10 vectors as printed there. */
static void test_padded(void)
{
	static const char *const rfc4648[][2] = {
	    {"Zg==", "f"},        {"Zm8=", "fo"},        {"Zm9v", "foo"},
	    {"Zm9vYg==", "foob"}, {"Zm9vYmE=", "fooba"}, {"Zm9vYmFy", "foobar"},
	};
	static const char *const bad[][2] = {
	    {"", "empty input"},
	    {"Zg=", "a length that is not a multiple of 4"},
	    {"Zg", "missing padding"},
	    {"Zh==", "non-zero unused bits before '=='"},
	    {"Zm9=", "non-zero unused bits before '='"},
	    {"Zg==Zg==", "padding inside the text"},
	    {"Zm9v====", "padding where no character is missing"},
	    {"Z===", "three '='"},
	    {"-_-_", "the URL-safe alphabet"},
	    {"Zm 9v", "an inner space"},
	};
	uint8_t out[16];
	size_t n;

	for (size_t i = 0; i < sizeof rfc4648 / sizeof rfc4648[0]; i++)
		T_CHECK(jose_b64_decode(out, sizeof out, &n, rfc4648[i][0], strlen(rfc4648[i][0])) == 0 &&
		            n == strlen(rfc4648[i][1]) && memcmp(out, rfc4648[i][1], n) == 0,
		        "padded base64: RFC 4648 vector '%s' decodes", rfc4648[i][0]);
	T_CHECK(jose_b64_decode(out, sizeof out, &n, "+/+/", 4) == 0 && n == 3 && out[0] == 0xfb &&
	            out[1] == 0xff && out[2] == 0xbf,
	        "padded base64: '+' and '/' are 62 and 63");
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		T_CHECK(jose_b64_decode(out, sizeof out, &n, bad[i][0], strlen(bad[i][0])) == -1,
		        "padded base64: %s is refused", bad[i][1]);
	T_CHECK(jose_b64_decode(out, 2, &n, "Zm9v", 4) == -1,
	        "padded base64: a short buffer is refused, not overrun");
}

int main(void)
{
	static const char *const rfc4648[][2] = {
	    {"", ""},           {"Zg", "f"},          {"Zm8", "fo"},          {"Zm9v", "foo"},
	    {"Zm9vYg", "foob"}, {"Zm9vYmE", "fooba"}, {"Zm9vYmFy", "foobar"},
	};
	char enc[64];
	uint8_t small[2], bin[3] = {0xfb, 0xff, 0xbf};
	size_t n;

	for (size_t i = 0; i < sizeof rfc4648 / sizeof rfc4648[0]; i++) {
		T_CHECK(decodes_to(rfc4648[i][0], rfc4648[i][1]), "RFC 4648 vector '%s' decodes",
		        rfc4648[i][0]);
		n = jose_b64url_encode(enc, sizeof enc, (const uint8_t *)rfc4648[i][1],
		                       strlen(rfc4648[i][1]));
		T_CHECK(n == strlen(rfc4648[i][0]) && strcmp(enc, rfc4648[i][0]) == 0,
		        "RFC 4648 vector '%s' encodes", rfc4648[i][1]);
	}
	n = jose_b64url_encode(enc, sizeof enc, bin, 3);
	T_CHECK(n == 4 && strcmp(enc, "-_-_") == 0, "URL-safe alphabet: 0xfbffbf encodes as -_-_");
	T_CHECK(decodes_to("-_-_", "\xfb\xff\xbf"), "URL-safe alphabet decodes");
	T_CHECK(rejects("Zm9v+/"), "standard alphabet '+' and '/' are refused");
	T_CHECK(rejects("Zg=="), "padding is refused (RFC 7515 §2)");
	T_CHECK(rejects("Zm9v\n"), "trailing newline is refused");
	T_CHECK(rejects("Zm 9v"), "inner space is refused");
	T_CHECK(rejects("Z"), "length 1 mod 4 is refused");
	T_CHECK(rejects("Zh"), "non-zero unused bits (Zh for Zg) are refused: one spelling per value");
	T_CHECK(rejects("Zm9"), "non-zero unused bits in a 3-char tail are refused");
	T_CHECK(rejects("Zm9v\x80"), "non-ASCII byte is refused");
	T_CHECK(jose_b64url_decode(small, sizeof small, &n, "Zm9v", 4) == -1,
	        "output buffer too small is refused, not overrun");
	T_CHECK(jose_b64url_encode(enc, 4, (const uint8_t *)"foo", 3) == 0,
	        "encode refuses a buffer without room for NUL");
	test_padded();
	T_DONE();
}
