/*
 * test_seal.c: private keys sealed at rest (issuer/crypto/seal.c) and a key row's
 * private part (keys_to_row, keys_from_row in issuer/keys/keys.c). The AEAD under
 * the seal is checked first against RFC 8439 §2.8.2's test vector, so the
 * wolfCrypt build (its assembly included) is known to compute ChaCha20-Poly1305;
 * then the seal's own promises: a round trip, every secret of the list opens,
 * only the first seals, the kid is bound, a flipped byte or another secret does
 * not open, and malformed SECRETS_SYSTEM values are refused with a reason.
 */
#include <wolfssl/wolfcrypt/chacha20_poly1305.h>

#include "../../issuer/crypto/seal.c"
#include "../../issuer/keys/keys.c"
#include "../test.h"

static WC_RNG rng;

static int nib(char c)
{
	return c <= '9' ? c - '0' : c - 'a' + 10;
}

static size_t unhex(const char *h, uint8_t *out)
{
	size_t n = 0;

	for (; h[0] && h[1]; h += 2)
		out[n++] = (uint8_t)(nib(h[0]) << 4 | nib(h[1]));
	return n;
}

/* RFC 8439 §2.8.2: "Ladies and Gentlemen of the class of '99..." */
static void rfc8439(void)
{
	static const char key[] = "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f";
	static const char nonce[] = "070000004041424344454647";
	static const char aad[] = "50515253c0c1c2c3c4c5c6c7";
	static const char pt[] =
	    "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for "
	    "the future, sunscreen would be it.";
	static const char ct_head[] = "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6";
	static const char tag[] = "1ae10b594f09e26a7e902ecbd0600691";
	uint8_t k[32], n[12], a[12], c[sizeof pt], t[16], want[32], want_tag[16], back[sizeof pt];

	unhex(key, k), unhex(nonce, n), unhex(aad, a), unhex(ct_head, want), unhex(tag, want_tag);
	T_CHECK(wc_ChaCha20Poly1305_Encrypt(k, n, a, sizeof a, (const byte *)pt, sizeof pt - 1, c, t) == 0 &&
	            !memcmp(c, want, 32) && !memcmp(t, want_tag, 16),
	        "ChaCha20-Poly1305 of RFC 8439 section 2.8.2: ciphertext and tag as published");
	T_CHECK(wc_ChaCha20Poly1305_Decrypt(k, n, a, sizeof a, c, sizeof pt - 1, t, back) == 0 &&
	            !memcmp(back, pt, sizeof pt - 1),
	        "and it decrypts back");
}

/* 1 when needle[0..m) occurs in hay[0..n). */
static int contains(const uint8_t *hay, size_t n, const uint8_t *needle, size_t m)
{
	for (size_t i = 0; i + m <= n; i++)
		if (!memcmp(hay + i, needle, m))
			return 1;
	return 0;
}

#define S1 "first-secret-of-at-least-32-bytes-1"
#define S2 "second-secret-of-at-least-32-bytes2"

static void parse(void)
{
	seal_keys k;
	char err[128] = "", many[400] = "";

	T_CHECK(seal_keys_parse(NULL, &k, err, sizeof err) == 0 && k.n == 0 &&
	            seal_keys_parse("", &k, err, sizeof err) == 0 && k.n == 0,
	        "no SECRETS_SYSTEM: sealing off");
	T_CHECK(seal_keys_parse(S1 "," S2, &k, err, sizeof err) == 0 && k.n == 2 &&
	            memcmp(k.key[0], k.key[1], 32) != 0,
	        "two secrets: two different keys");
	T_CHECK(seal_keys_parse("short", &k, err, sizeof err) == -1 && strstr(err, "shorter than 32") &&
	            !strstr(err, "short,") && k.n == 0,
	        "a secret under 32 bytes: refused, the secret not in the reason (%s)", err);
	T_CHECK(seal_keys_parse(S1 ",", &k, err, sizeof err) == -1 &&
	            seal_keys_parse("," S1, &k, err, sizeof err) == -1 &&
	            seal_keys_parse(S1 ",," S2, &k, err, sizeof err) == -1,
	        "an empty secret (trailing, leading or doubled comma): refused");
	for (int i = 0; i < 9; i++)
		snprintf(many + strlen(many), sizeof many - strlen(many), "%s" S1, i ? "," : "");
	T_CHECK(seal_keys_parse(many, &k, err, sizeof err) == -1 && strstr(err, "more than 8"),
	        "more than 8 secrets: refused (%s)", err);
}

static void round_trip(void)
{
	seal_keys one, both, other;
	char err[128];
	uint8_t plain[300], sealed[400], back[400];
	size_t n = 0, m = 0;

	memset(plain, 0x30, sizeof plain);
	seal_keys_parse(S1, &one, err, sizeof err);
	seal_keys_parse(S2 "," S1, &both, err, sizeof err);
	seal_keys_parse(S2, &other, err, sizeof err);
	T_CHECK(seal_close(&one, &rng, "kid-1", plain, sizeof plain, sealed, sizeof sealed, &n) == 0 &&
	            n == sizeof plain + SEAL_OVERHEAD && seal_is_sealed(sealed, n) &&
	            !seal_is_sealed(plain, sizeof plain) && !contains(sealed, n, plain, 16),
	        "sealed: the magic, %zu bytes more, no plain bytes in it", (size_t)SEAL_OVERHEAD);
	T_CHECK(seal_open(&one, "kid-1", sealed, n, back, sizeof back, &m) == 0 && m == sizeof plain &&
	            !memcmp(back, plain, m),
	        "opened with the same secret: the plain bytes");
	T_CHECK(seal_open(&both, "kid-1", sealed, n, back, sizeof back, &m) == 0 && m == sizeof plain,
	        "opened by a list holding the secret in second place (rotation)");
	T_CHECK(seal_open(&other, "kid-1", sealed, n, back, sizeof back, &m) == -1 && m == 0,
	        "another secret does not open it");
	T_CHECK(seal_open(&one, "kid-2", sealed, n, back, sizeof back, &m) == -1,
	        "bound to its kid: under another kid it does not open");
	sealed[n / 2] ^= 1;
	T_CHECK(seal_open(&one, "kid-1", sealed, n, back, sizeof back, &m) == -1,
	        "a flipped byte: does not open");
	T_CHECK(seal_close(&both, &rng, "kid-1", plain, sizeof plain, sealed, sizeof sealed, &n) == 0 &&
	            seal_open(&other, "kid-1", sealed, n, back, sizeof back, &m) == 0,
	        "the first secret of the list seals");
	T_CHECK(seal_close(&one, &rng, "k", plain, sizeof plain, sealed, sizeof plain, &n) == -1 &&
	            seal_close(&(seal_keys){0}, &rng, "k", plain, 1, sealed, sizeof sealed, &n) == -1 &&
	            seal_open(&one, "k", plain, sizeof plain, back, sizeof back, &m) == -1,
	        "a short buffer, no secret, or plain bytes: refused");
	seal_keys_wipe(&one);
	seal_keys_wipe(&both);
	seal_keys_wipe(&other);
}

/* A real key through the store row's private part, sealed and plain. */
static void rows(void)
{
	seal_keys seal, other;
	keys_key *k = NULL, *back = NULL;
	struct store_key row = {0};
	char err[128];
	int sealed = -1;

	seal_keys_parse(S1, &seal, err, sizeof err);
	seal_keys_parse(S2, &other, err, sizeof err);
	T_CHECK(keys_generate("ES256", &rng, &k) == JOSE_OK && keys_to_row(k, &seal, &rng, &row) == 0 &&
	            !strcmp(row.kid, keys_kid(k)) && !strcmp(row.alg, "ES256") &&
	            seal_is_sealed(row.private_der, row.private_der_len),
	        "keys_to_row with a secret: the row's private part is sealed");
	T_CHECK(keys_from_row(&row, &seal, &back, &sealed) == JOSE_OK && sealed == 0 &&
	            !strcmp(keys_kid(back), row.kid),
	        "keys_from_row opens and loads it");
	keys_free(back);
	back = NULL;
	T_CHECK(keys_from_row(&row, NULL, &back, &sealed) == JOSE_E_ARG && sealed == 1 && !back &&
	            keys_from_row(&row, &other, &back, &sealed) == JOSE_E_ARG && sealed == 1,
	        "without the secret, or with another: not loaded, and said to be sealed");
	snprintf(row.kid, sizeof row.kid, "another-kid");
	T_CHECK(keys_from_row(&row, &seal, &back, &sealed) == JOSE_E_ARG && sealed == 1,
	        "the sealed bytes moved to another kid's row: not opened");
	T_CHECK(keys_to_row(k, NULL, &rng, &row) == 0 &&
	            !seal_is_sealed(row.private_der, row.private_der_len) && row.private_der[0] == 0x30 &&
	            keys_from_row(&row, &seal, &back, &sealed) == JOSE_OK,
	        "without a secret the row holds the plain DER, which loads with or without one");
	keys_free(back);
	keys_free(k);
	explicit_bzero(&row, sizeof row);
	seal_keys_wipe(&seal);
	seal_keys_wipe(&other);
}

int main(void)
{
	if (wolfCrypt_Init() != 0 || wc_InitRng(&rng) != 0) {
		printf("not ok - wolfCrypt init\n");
		return 1;
	}
	rfc8439();
	parse();
	round_trip();
	rows();
	wc_FreeRng(&rng);
	wolfCrypt_Cleanup();
	T_DONE();
}
