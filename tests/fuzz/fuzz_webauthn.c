/*
 * fuzz_webauthn.c: libFuzzer target for the WebAuthn checks (issuer/mfa/webauthn.h).
 * The first byte picks what the rest of the input replaces in the W3C Level 3
 * §16.2 ceremony (tests/vectors/webauthn/w3c-webauthn-3-none-es256.json), the
 * other parts staying as published, so every parser is reached with real
 * neighbours:
 *   0  the attestationObject of the registration (strict CBOR, attestation
 *      object, authenticatorData, COSE_Key)
 *   1  the stored COSE_Key of the assertion (webauthn_cose_check, then the
 *      assertion against it)
 *   2  the assertion's authenticatorData
 *   3  the assertion's clientDataJSON
 *   4  the assertion's signature
 *
 * Promises checked: every call ends in WEBAUTHN_OK, out of memory, or a refusal
 * (code 10 and up) with a sentence, never a bad-call or internal error; a
 * refused registration leaves its output zeroed; an accepted one holds a
 * credential id of 1..WEBAUTHN_CRED_ID_MAX bytes and a COSE_Key that
 * webauthn_cose_check accepts with the same algorithm; an assertion accepted
 * with a replaced authenticatorData or clientDataJSON has exactly the published
 * bytes (the signature covers them).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "mfa/webauthn.h"

static const char ORIGIN[] = "https://example.org";
static const char *const ORIGINS[] = {ORIGIN};

static const uint8_t REG_CHALLENGE[] = {0x00, 0xc3, 0x0f, 0xb7, 0x85, 0x31, 0xc4, 0x64, 0xd2, 0xb6, 0x77,
                                        0x1d, 0xab, 0x8d, 0x7b, 0x60, 0x3c, 0x01, 0x16, 0x2f, 0x2f, 0xa4,
                                        0x86, 0xbe, 0xa7, 0x0f, 0x28, 0x3a, 0xe5, 0x56, 0xe1, 0x30};
static const char REG_CLIENT_DATA[] =
    "{\"type\":\"webauthn.create\",\"challenge\":\"AMMPt4UxxGTStncdq417YDwBFi8vpIa-pw8oOuVW4TA\","
    "\"origin\":\"https://example.org\",\"crossOrigin\":false,\"extraData\":\"clientDataJSON may be extended "
    "with additional fields in the future, such as this: BkQeDjdcTBrXBiAwJTLE5Q\"}";

static const uint8_t GET_CHALLENGE[] = {0x39, 0xc0, 0xe7, 0x52, 0x14, 0x17, 0xba, 0x54, 0xd4, 0x3e, 0x8d,
                                        0xc9, 0x51, 0x74, 0xf4, 0x23, 0xde, 0xe9, 0xbf, 0x3c, 0xd8, 0x04,
                                        0xff, 0x6d, 0x65, 0xc8, 0x57, 0xc9, 0xab, 0xf4, 0xd4, 0x08};
static const char GET_CLIENT_DATA[] =
    "{\"type\":\"webauthn.get\",\"challenge\":\"OcDnUhQXulTUPo3JUXT0I97pvzzYBP9tZ"
    "chXyav01Ag\",\"origin\":\"https://example.org\",\"crossOrigin\":false}";
static const uint8_t GET_AUTH_DATA[] = {0xbf, 0xab, 0xc3, 0x74, 0x32, 0x95, 0x8b, 0x06, 0x33, 0x60,
                                        0xd3, 0xad, 0x64, 0x61, 0xc9, 0xc4, 0x73, 0x5a, 0xe7, 0xf8,
                                        0xed, 0xd4, 0x65, 0x92, 0xa5, 0xe0, 0xf0, 0x14, 0x52, 0xb2,
                                        0xe4, 0xb5, 0x19, 0x00, 0x00, 0x00, 0x00};
static const uint8_t GET_SIG[] = {0x30, 0x46, 0x02, 0x21, 0x00, 0xf5, 0x0a, 0x4e, 0x2e, 0x44, 0x09, 0x24,
                                  0x9c, 0x4a, 0x85, 0x3b, 0xa3, 0x61, 0x28, 0x2f, 0x09, 0x84, 0x1d, 0xf4,
                                  0xdd, 0x45, 0x47, 0xa1, 0x3a, 0x87, 0x78, 0x02, 0x18, 0xde, 0xff, 0xcd,
                                  0x38, 0x02, 0x21, 0x00, 0x84, 0x80, 0xac, 0x0f, 0x0b, 0x93, 0x53, 0x81,
                                  0x74, 0xf5, 0x75, 0xbf, 0x11, 0xa1, 0xdd, 0x5d, 0x78, 0xc6, 0xe4, 0x86,
                                  0x01, 0x3f, 0x93, 0x72, 0x95, 0xea, 0x13, 0x65, 0x3e, 0x33, 0x1e, 0x87};
static const uint8_t COSE[] = {0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x58, 0x20, 0xaf, 0xef, 0xa1,
                               0x6f, 0x97, 0xca, 0x9b, 0x2d, 0x23, 0xeb, 0x86, 0xcc, 0xb6, 0x40, 0x98, 0xd2,
                               0x0d, 0xb9, 0x08, 0x56, 0x06, 0x2e, 0xb2, 0x49, 0xc3, 0x3a, 0x9b, 0x67, 0x2f,
                               0x26, 0xdf, 0x61, 0x22, 0x58, 0x20, 0x93, 0x0a, 0x56, 0xb8, 0x7a, 0x2f, 0xca,
                               0x66, 0x33, 0x4b, 0x03, 0x45, 0x8a, 0xbf, 0x87, 0x97, 0x17, 0xc1, 0x2c, 0xc6,
                               0x8e, 0xd7, 0x32, 0x90, 0xaf, 0x2e, 0x26, 0x64, 0x79, 0x6b, 0x92, 0x20};

static void check_outcome(const char *what, webauthn_err e)
{
	FUZZ_CHECK(e == WEBAUTHN_OK || e == WEBAUTHN_E_NOMEM || e >= 10, "%s returned %d (%s)", what, (int)e,
	           webauthn_strerror(e));
	FUZZ_CHECK(strcmp(webauthn_strerror(e), "unknown error") != 0, "%s returned %d, an unlisted code",
	           what, (int)e);
}

static void registration(const uint8_t *att, size_t n)
{
	webauthn_expect x = {"example.org", REG_CHALLENGE, sizeof REG_CHALLENGE, ORIGINS, 1, 0};
	static webauthn_credential c, zero;
	webauthn_alg alg;
	webauthn_err e =
	    webauthn_register(&x, (const uint8_t *)REG_CLIENT_DATA, strlen(REG_CLIENT_DATA), att, n, &c);

	check_outcome("webauthn_register", e);
	if (e != WEBAUTHN_OK) {
		FUZZ_CHECK(!memcmp(&c, &zero, sizeof c), "a refused registration left output");
		return;
	}
	FUZZ_CHECK(c.cred_id_len >= 1 && c.cred_id_len <= WEBAUTHN_CRED_ID_MAX, "credential id length %zu",
	           c.cred_id_len);
	FUZZ_CHECK(c.cose_len > 0 && c.cose_len <= WEBAUTHN_COSE_MAX, "COSE length %zu", c.cose_len);
	FUZZ_CHECK(webauthn_cose_check(c.cose_key, c.cose_len, &alg) == WEBAUTHN_OK && alg == c.alg,
	           "the registered key does not check again");
}

/* The W3C assertion with one part replaced; returns its outcome. */
static webauthn_err assertion(const uint8_t *cose, size_t cose_len, const uint8_t *cd, size_t cd_len,
                              const uint8_t *ad, size_t ad_len, const uint8_t *sig, size_t sig_len)
{
	webauthn_expect x = {"example.org", GET_CHALLENGE, sizeof GET_CHALLENGE, ORIGINS, 1, 0};
	webauthn_assertion a;
	webauthn_err e = webauthn_verify(&x, cose, cose_len, 0, cd, cd_len, ad, ad_len, sig, sig_len, &a);

	check_outcome("webauthn_verify", e);
	return e;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *cd = (const uint8_t *)GET_CLIENT_DATA;
	size_t cd_len = strlen(GET_CLIENT_DATA);
	webauthn_alg alg;
	webauthn_err e;

	if (size < 1)
		return 0;
	switch (data[0] % 5) {
	case 0:
		registration(data + 1, size - 1);
		break;
	case 1:
		check_outcome("webauthn_cose_check", webauthn_cose_check(data + 1, size - 1, &alg));
		assertion(data + 1, size - 1, cd, cd_len, GET_AUTH_DATA, sizeof GET_AUTH_DATA, GET_SIG,
		          sizeof GET_SIG);
		break;
	case 2:
		e = assertion(COSE, sizeof COSE, cd, cd_len, data + 1, size - 1, GET_SIG, sizeof GET_SIG);
		FUZZ_CHECK(e != WEBAUTHN_OK || (size - 1 == sizeof GET_AUTH_DATA &&
		                                !memcmp(data + 1, GET_AUTH_DATA, size - 1)),
		           "an authenticatorData other than the signed one was accepted");
		break;
	case 3:
		e = assertion(COSE, sizeof COSE, data + 1, size - 1, GET_AUTH_DATA, sizeof GET_AUTH_DATA,
		              GET_SIG, sizeof GET_SIG);
		FUZZ_CHECK(e != WEBAUTHN_OK || (size - 1 == cd_len && !memcmp(data + 1, cd, cd_len)),
		           "a clientDataJSON other than the signed one was accepted");
		break;
	default:
		assertion(COSE, sizeof COSE, cd, cd_len, GET_AUTH_DATA, sizeof GET_AUTH_DATA, data + 1,
		          size - 1);
		break;
	}
	return 0;
}
