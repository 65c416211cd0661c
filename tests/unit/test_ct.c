/*
 * test_ct.c: secret comparisons are constant time, checked the ctgrind way
 * (Langley, 2010; Monocypher tests/ctgrind.c): the secret bytes are marked
 * undefined for valgrind's memcheck, the comparison runs, and any branch or
 * memory index that depends on them is reported as a use of an undefined value.
 * VALGRIND_COUNT_ERRORS around each call turns that into a check. A control
 * comparison (memcmp, which exits at the first difference) must be flagged, so
 * the harness is shown able to fail.
 *
 * Checked: jose_ct_equal (HMAC tags in the verifier, client secrets), the
 * verifier's HMAC step (HMAC of the token under a secret key, tag compare) and
 * secret_client_check (HMAC-SHA-256 of a presented secret, compare with the
 * stored hash). Not under valgrind (plain runs), the binary re-executes itself
 * under valgrind; under ASan (SAN=1) or without valgrind it reports skip.
 */
#include "../../issuer/crypto/secret.c"
#include "ctgrind.h"
#include "inner.h"
#include "jose_b64url.h"

struct pair {
	uint8_t a[32], b[32];
	int result;
};

static void ct_compare(void *ctx)
{
	struct pair *p = ctx;

	SECRET(p->a, sizeof p->a);
	SECRET(p->b, sizeof p->b);
	p->result = jose_ct_equal(p->a, p->b, sizeof p->a);
	PUBLIC(&p->result, sizeof p->result); /* the verdict itself is public */
	PUBLIC(p->a, sizeof p->a);
	PUBLIC(p->b, sizeof p->b);
}

static void leaky_compare(void *ctx)
{
	struct pair *p = ctx;

	SECRET(p->a, sizeof p->a);
	SECRET(p->b, sizeof p->b);
	p->result = memcmp(p->a, p->b, sizeof p->a) == 0;
	PUBLIC(&p->result, sizeof p->result);
	PUBLIC(p->a, sizeof p->a);
	PUBLIC(p->b, sizeof p->b);
}

struct client_case {
	struct store_client c;
	char presented[SECRET_TEXT_LEN + 1];
	int result;
};

static void client_check(void *ctx)
{
	struct client_case *k = ctx;

	SECRET(k->c.secret_hash, sizeof k->c.secret_hash);
	SECRET(k->presented, sizeof k->presented - 1);
	k->result = secret_client_check(&k->c, k->presented, SECRET_TEXT_LEN);
	PUBLIC(&k->result, sizeof k->result);
	PUBLIC(k->c.secret_hash, sizeof k->c.secret_hash);
	PUBLIC(k->presented, sizeof k->presented);
}

/* RFC 7515 A.1: an HS256 token and its key, the key marked secret. */
static const char A1_TOKEN[] =
    "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9."
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ."
    "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
static const char A1_JWKS[] =
    "{\"keys\":[{\"kty\":\"oct\",\"k\":\"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_"
    "T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow\"}]}";

struct hs_case {
	jose_jwks *set;
	uint8_t sig[32];
	jose_err result;
};

/* The verifier's HMAC step (jose_key_verify: HMAC under the key, tag compare); the
 * verdict is public, so it is declassified before the caller branches on it. */
static void hs256_verify(void *ctx)
{
	struct hs_case *h = ctx;
	jose_key *k = &h->set->keys[0];
	size_t input = strrchr(A1_TOKEN, '.') - A1_TOKEN;

	SECRET(k->a, k->a_len);
	h->result =
	    jose_key_verify(k, JOSE_ALG_HS256, (const uint8_t *)A1_TOKEN, input, h->sig, sizeof h->sig);
	PUBLIC(&h->result, sizeof h->result);
	PUBLIC(k->a, k->a_len);
}

static void run_checks(void)
{
	struct pair eq = {0}, ne = {0};
	struct client_case k = {0};
	struct hs_case h = {0};
	WC_RNG rng;
	char secret[SECRET_TEXT_LEN + 1];

	memset(eq.a, 7, 32), memset(eq.b, 7, 32);
	memset(ne.a, 7, 32), memset(ne.b, 7, 32), ne.b[0] = 8;
	T_CHECK(errors_of(ct_compare, &eq) == 0 && eq.result == 1,
	        "jose_ct_equal, equal inputs: no secret-dependent branch");
	T_CHECK(errors_of(ct_compare, &ne) == 0 && ne.result == 0,
	        "jose_ct_equal, inputs differing in byte 0: no secret-dependent branch");
	T_CHECK(errors_of(leaky_compare, &ne) > 0,
	        "control: memcmp on the same secrets is flagged (the harness can fail)");

	T_CHECK(wc_InitRng(&rng) == 0 && secret_generate(&rng, secret) == 0 &&
	            secret_client_set(&rng, &k.c, secret, SECRET_TEXT_LEN) == 0,
	        "a client secret is made and hashed");
	memcpy(k.presented, secret, sizeof secret);
	T_CHECK(errors_of(client_check, &k) == 0 && k.result == 1,
	        "secret_client_check, right secret: no secret-dependent branch");
	k.presented[SECRET_TEXT_LEN - 1] ^= 1;
	T_CHECK(errors_of(client_check, &k) == 0 && k.result == 0,
	        "secret_client_check, wrong last character: no secret-dependent branch");
	wc_FreeRng(&rng);

	T_CHECK(jose_jwks_import(A1_JWKS, strlen(A1_JWKS), &h.set, NULL) == JOSE_OK,
	        "RFC 7515 A.1 key imported");
	{
		const char *tag = strrchr(A1_TOKEN, '.') + 1;
		size_t n = 0;
		jose_b64url_decode(h.sig, sizeof h.sig, &n, tag, strlen(tag));
	}
	T_CHECK(h.set && errors_of(hs256_verify, &h) == 0 && h.result == JOSE_OK,
	        "HS256 verification (RFC 7515 A.1) under a secret key: no key-dependent branch");
	h.sig[31] ^= 1;
	T_CHECK(h.set && errors_of(hs256_verify, &h) == 0 && h.result == JOSE_E_SIG_FAILED,
	        "HS256 verification of a wrong tag: no key-dependent branch");
	jose_jwks_free(h.set);
}

int main(int argc, char **argv)
{
	(void)argc;
	return ctgrind_main(argv, run_checks);
}
