/*
 * test_password.c: argon2id password hashes (issuer/password.c). libargon2 is
 * checked against independent vectors first: RFC 9106 §5.3 (argon2id with a
 * secret and associated data, through argon2_ctx) and the reference
 * implementation's own argon2id vectors (phc-winner-argon2 src/test.c, v=19,
 * "password"/"somesalt"), both as raw tags and as PHC strings through
 * password_verify. Then our layer: the PHC string we write, verification of
 * right, wrong and malformed input, the password rules (length, UTF-8, NUL),
 * parameter policy from the environment (OWASP minimum unless
 * PASSWORD_ARGON2_TEST=1, caps), needs_rehash, and that password_burn costs
 * what a verification does (the unknown-user timing defence). Tiny parameters
 * everywhere but one hash at the default cost, whose time is printed.
 */
#include "../../issuer/crypto/password.c"
#include "../../issuer/cli/cli_env.c"
#include "../../issuer/cli/cli_util.c"
#include "../test.h"

/* The serve and user commands' reading of PASSWORD_ARGON2_* (cli_env.c). */
static int from_env(struct password_params *p, char *err, size_t errlen)
{
	int weak_allowed;

	return cli_password_params(p, &weak_allowed, err, errlen);
}

#include <math.h>
#include <time.h>

#include <wolfssl/wolfcrypt/wc_port.h>

static WC_RNG rng;

static const struct password_params tiny = {64, 1, 1};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int hex_eq(const uint8_t *b, size_t n, const char *hex)
{
	char buf[3];

	if (strlen(hex) != 2 * n)
		return 0;
	for (size_t i = 0; i < n; i++) {
		snprintf(buf, sizeof buf, "%02x", b[i]);
		if (memcmp(buf, hex + 2 * i, 2) != 0)
			return 0;
	}
	return 1;
}

/* RFC 9106 §5.3: Argon2id, m=32 KiB, t=3, p=4, 32-byte tag; password 32 x 0x01,
 * salt 16 x 0x02, secret 8 x 0x03, associated data 12 x 0x04. */
static void test_rfc9106(void)
{
	uint8_t pwd[32], salt[16], secret[8], ad[12], tag[32];
	argon2_context ctx;
	int rc;

	memset(pwd, 0x01, sizeof pwd);
	memset(salt, 0x02, sizeof salt);
	memset(secret, 0x03, sizeof secret);
	memset(ad, 0x04, sizeof ad);
	memset(&ctx, 0, sizeof ctx);
	ctx.out = tag;
	ctx.outlen = sizeof tag;
	ctx.pwd = pwd;
	ctx.pwdlen = sizeof pwd;
	ctx.salt = salt;
	ctx.saltlen = sizeof salt;
	ctx.secret = secret;
	ctx.secretlen = sizeof secret;
	ctx.ad = ad;
	ctx.adlen = sizeof ad;
	ctx.t_cost = 3;
	ctx.m_cost = 32;
	ctx.lanes = 4;
	ctx.threads = 4;
	ctx.version = ARGON2_VERSION_13;
	ctx.flags = ARGON2_DEFAULT_FLAGS;
	rc = argon2id_ctx(&ctx);
	T_CHECK(rc == ARGON2_OK && hex_eq(tag, sizeof tag,
	                                  "0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659"),
	        "libargon2 reproduces the RFC 9106 §5.3 argon2id tag (secret and associated data, 4 lanes)");
}

/* phc-winner-argon2 src/test.c, argon2id version 0x13 (salt "somesalt", 8 bytes). */
static void test_reference_vectors(void)
{
	static const struct {
		uint32_t t, m, p;
		const char *pwd, *salt, *hex, *phc;
	} v[] = {
	    {2, 1u << 16, 1, "password", "somesalt",
	     "09316115d5cf24ed5a15a31a3ba326e5cf32edc24702987c02b6566f61913cf7",
	     "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc"},
	    {2, 1u << 8, 1, "password", "somesalt", NULL,
	     "$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4"},
	    {2, 1u << 8, 2, "password", "somesalt", NULL,
	     "$argon2id$v=19$m=256,t=2,p=2$c29tZXNhbHQ$bQk8UB/VmZZF4Oo79iDXuL5/0ttZwg2f/5U52iv1cDc"},
	};
	uint8_t tag[32];

	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		struct password_params p;

		if (v[i].hex)
			T_CHECK(argon2id_hash_raw(v[i].t, v[i].m, v[i].p, v[i].pwd, strlen(v[i].pwd),
			                          v[i].salt, strlen(v[i].salt), tag,
			                          sizeof tag) == ARGON2_OK &&
			            hex_eq(tag, sizeof tag, v[i].hex),
			        "libargon2 raw argon2id tag matches the reference test.c (m=%u, t=%u, p=%u)",
			        v[i].m, v[i].t, v[i].p);
		T_CHECK(password_verify(v[i].phc, v[i].pwd, strlen(v[i].pwd)) == 1,
		        "password_verify accepts the reference PHC string (m=%u, t=%u, p=%u)", v[i].m, v[i].t,
		        v[i].p);
		T_CHECK(password_verify(v[i].phc, "passwore", 8) == 0, "and refuses a one-letter change");
		T_CHECK(password_parse(v[i].phc, &p) == 0 && p.m_kib == v[i].m && p.t == v[i].t &&
		            p.p == v[i].p,
		        "password_parse reads m, t, p of the reference string");
	}
	T_CHECK(password_verify("$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$"
	                        "C4TWUs9rDEvq7w3+J4umqA32aWKB1+DSiRuBfYxFj94",
	                        "differentpassword", 17) == 1,
	        "reference vector with \"differentpassword\" verifies");
}

/* The PHC string we write: prefix, parameters, 22-char salt, 43-char tag. */
static int phc_shape(const char *s, const struct password_params *p)
{
	char want[96];
	size_t n = (size_t)snprintf(want, sizeof want, "$argon2id$v=19$m=%u,t=%u,p=%u$", (unsigned)p->m_kib,
	                            (unsigned)p->t, (unsigned)p->p);
	const char *salt = s + n;

	return strncmp(s, want, n) == 0 && strspn(salt, B64_CHARS) == 22 && salt[22] == '$' &&
	       strspn(salt + 23, B64_CHARS) == 43 && salt[23 + 43] == '\0';
}

static void test_hash_verify(void)
{
	char h1[128], h2[128], small[40];
	const char pw[] = "correct horse battery staple";
	struct password_params p = tiny;

	T_CHECK(password_hash(pw, strlen(pw), &tiny, &rng, h1, sizeof h1) == PASSWORD_OK &&
	            phc_shape(h1, &tiny),
	        "hash: $argon2id$v=19$m=64,t=1,p=1$<22-char salt>$<43-char tag>");
	T_CHECK(password_verify(h1, pw, strlen(pw)) == 1, "verify: the right password");
	T_CHECK(password_verify(h1, "correct horse battery stapl", strlen(pw) - 1) == 0 &&
	            password_verify(h1, "correct horse battery staple!", strlen(pw) + 1) == 0 &&
	            password_verify(h1, "Correct horse battery staple", strlen(pw)) == 0,
	        "verify: a prefix, an extension, a changed letter are wrong");
	T_CHECK(password_verify(h1, pw, strlen(pw) - 1) == 0, "verify: the length counts, not a NUL");
	T_CHECK(password_hash(pw, strlen(pw), &tiny, &rng, h2, sizeof h2) == PASSWORD_OK &&
	            strcmp(h1, h2) != 0 && strncmp(h1, h2, 28) == 0,
	        "the same password twice: new salt, different strings");
	T_CHECK(password_hash(pw, strlen(pw), &tiny, &rng, small, sizeof small) == PASSWORD_ERROR &&
	            small[0] == 0,
	        "an output buffer too small: PASSWORD_ERROR, output cleared");
	T_CHECK(password_hash("", 0, &tiny, &rng, h2, sizeof h2) == PASSWORD_INVALID && h2[0] == 0,
	        "empty password: PASSWORD_INVALID");
	p.m_kib = 4; /* below 8 KiB per lane */
	T_CHECK(password_hash(pw, strlen(pw), &p, &rng, h2, sizeof h2) == PASSWORD_BAD_PARAMS,
	        "m below 8*p: PASSWORD_BAD_PARAMS");
	p = tiny;
	p.t = 0;
	T_CHECK(password_hash(pw, strlen(pw), &p, &rng, h2, sizeof h2) == PASSWORD_BAD_PARAMS,
	        "t=0: BAD_PARAMS");
	p = tiny;
	p.m_kib = PASSWORD_M_KIB_MAX + 1;
	T_CHECK(password_hash(pw, strlen(pw), &p, &rng, h2, sizeof h2) == PASSWORD_BAD_PARAMS,
	        "m above the cap: BAD_PARAMS");
	T_CHECK(password_hash(pw, strlen(pw), &tiny, NULL, h2, sizeof h2) == PASSWORD_ERROR, "no RNG: ERROR");

	/* UTF-8 passwords round-trip; the bytes are what counts. */
	{
		const char *nfd = "pa\xcc\x88sswo\xcc\x88rd \xf0\x9f\x94\x91",
		           *nfc = "p\xc3\xa4ssw\xc3\xb6rd \xf0\x9f\x94\x91";

		T_CHECK(password_hash(nfd, strlen(nfd), &tiny, &rng, h2, sizeof h2) == PASSWORD_OK &&
		            password_verify(h2, nfd, strlen(nfd)) == 1 &&
		            password_verify(h2, nfc, strlen(nfc)) == 0,
		        "a UTF-8 password verifies; its NFC spelling is another password (no normalisation)");
	}
}

static void test_malformed(void)
{
	char h[128], bad[160];
	const char pw[] = "pw";
	static const char *const garbage[] = {
	    "",
	    "$argon2i$v=19$m=64,t=1,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
	    "$argon2id$v=16$m=64,t=1,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
	    "$argon2id$m=64,t=1,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
	    "$argon2id$v=19$m=064,t=1,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
	    "$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHQ=$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
	    "$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHQ",
	    "$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc$",
	    "$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHQ$CTFhF",
	    "$argon2id$v=19$m=99999999999,t=1,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
	    "$argon2id$v=19$m=64,t=1,p=-1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
	};
	struct password_params p;
	double t0;
	int ok = 1;

	for (size_t i = 0; i < sizeof garbage / sizeof garbage[0]; i++)
		ok &= password_verify(garbage[i], pw, 2) == 0 && password_parse(garbage[i], &p) == -1 &&
		      password_needs_rehash(garbage[i], &tiny) == 1;
	T_CHECK(ok, "%zu malformed or foreign strings: verify 0, parse -1, needs_rehash 1",
	        sizeof garbage / sizeof garbage[0]);
	T_CHECK(password_verify(NULL, pw, 2) == 0 && password_needs_rehash(NULL, &tiny) == 1,
	        "NULL encoded: not verified, needs rehash");

	T_CHECK(password_hash(pw, 2, &tiny, &rng, h, sizeof h) == PASSWORD_OK, "hash for tampering");
	snprintf(bad, sizeof bad, "%s", h);
	bad[strlen(bad) - 5] = bad[strlen(bad) - 5] == 'A' ? 'B' : 'A'; /* six bits of the tag */
	T_CHECK(password_verify(bad, pw, 2) == 0, "a tag with one bit flipped does not verify");
	snprintf(bad, sizeof bad, "%s", h);
	bad[35] = bad[35] == 'A' ? 'B' : 'A'; /* a salt character */
	T_CHECK(password_verify(bad, pw, 2) == 0, "a changed salt does not verify");
	snprintf(bad, sizeof bad, "$argon2id$v=19$m=65,t=1,p=1%s", h + 27); /* h + 27: "$salt$tag" */
	T_CHECK(password_verify(bad, pw, 2) == 0, "changed parameters (m=65) do not verify");

	/* Caps: a stored string cannot make a verification allocate 4 GiB. */
	snprintf(bad, sizeof bad, "$argon2id$v=19$m=4194304,t=1,p=1%s", h + 27);
	t0 = now_ms();
	T_CHECK(password_parse(bad, &p) == 0 && p.m_kib == 4194304 && password_verify(bad, pw, 2) == 0 &&
	            now_ms() - t0 < 50,
	        "m=4 GiB in a stored string: refused at once, nothing allocated (%.1f ms)", now_ms() - t0);
	snprintf(bad, sizeof bad, "$argon2id$v=19$m=64,t=65,p=1%s", h + 27);
	T_CHECK(password_verify(bad, pw, 2) == 0, "t above the cap in a stored string: refused");
	memset(bad, 'A', sizeof bad - 1);
	bad[sizeof bad - 1] = '\0';
	memcpy(bad, "$argon2id$v=19$m=64,t=1,p=1$", 28);
	T_CHECK(password_parse(bad, &p) == -1, "longer than %d characters: refused", PASSWORD_ENCODED_MAX);
}

static void test_password_rules(void)
{
	char big[PASSWORD_MAX_LEN + 1];
	static const struct {
		const char *s;
		size_t n;
		int ok;
		const char *what;
	} v[] = {
	    {"a", 1, 1, "one byte"},
	    {"", 0, 0, "empty"},
	    {"a\0b", 3, 0, "a NUL inside"},
	    {"\xc3\xa9t\xc3\xa9", 5, 1, "UTF-8 two-byte sequences"},
	    {"\xe2\x82\xac \xf0\x9f\x98\x80", 8, 1, "three- and four-byte sequences"},
	    {"\xc3", 1, 0, "a truncated sequence"},
	    {"\xe2\x82", 2, 0, "a truncated three-byte sequence"},
	    {"\xc0\xaf", 2, 0, "an overlong '/' (C0 AF)"},
	    {"\xe0\x80\xaf", 3, 0, "an overlong three-byte form"},
	    {"\xed\xa0\x80", 3, 0, "a UTF-16 surrogate (U+D800)"},
	    {"\xf4\x90\x80\x80", 4, 0, "above U+10FFFF"},
	    {"\xff", 1, 0, "byte FF"},
	    {"\x80", 1, 0, "a lone continuation byte"},
	    {"tab\there", 8, 1, "a tab (control characters other than NUL are allowed)"},
	};

	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
		T_CHECK(password_valid(v[i].s, v[i].n) == v[i].ok, "password_valid: %s -> %d", v[i].what,
		        v[i].ok);
	memset(big, 'x', sizeof big);
	T_CHECK(password_valid(big, PASSWORD_MAX_LEN) == 1 && password_valid(big, PASSWORD_MAX_LEN + 1) == 0,
	        "1024 bytes are allowed, 1025 are not");
	T_CHECK(password_valid(NULL, 1) == 0, "NULL is not a password");
}

static void test_params(void)
{
	struct password_params p;
	char err[256];

	password_params_default(&p);
	T_CHECK(p.m_kib == 19456 && p.t == 2 && p.p == 1, "defaults: OWASP's m=19456 KiB, t=2, p=1");
	T_CHECK(password_params_check(&p, 0) && !password_params_weak(&p), "the defaults pass the policy");

	static const struct {
		uint32_t m, t, p;
		int ok;
	} rows[] = {
	    {47104, 1, 1, 1}, {12288, 3, 1, 1}, {9216, 4, 1, 1},  {7168, 5, 1, 1}, {19456, 2, 4, 1},
	    {19455, 2, 1, 0}, {47103, 1, 1, 0}, {12288, 2, 1, 0}, {7167, 9, 1, 0}, {65536, 1, 1, 1},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		p = (struct password_params){rows[i].m, rows[i].t, rows[i].p};
		T_CHECK(password_params_check(&p, 0) == rows[i].ok, "policy: m=%u,t=%u,p=%u -> %s", rows[i].m,
		        rows[i].t, rows[i].p,
		        rows[i].ok ? "accepted (an OWASP row or above)" : "below OWASP");
	}
	p = tiny;
	T_CHECK(!password_params_check(&p, 0) && password_params_check(&p, 1) && password_params_weak(&p),
	        "tiny parameters: only with allow_tiny, and weak");

	unsetenv("PASSWORD_ARGON2_TEST");
	unsetenv("PASSWORD_ARGON2_M_KIB");
	unsetenv("PASSWORD_ARGON2_T");
	unsetenv("PASSWORD_ARGON2_P");
	T_CHECK(from_env(&p, err, sizeof err) == 0 && p.m_kib == 19456 && p.t == 2 &&
	            p.p == 1,
	        "no environment: the defaults");
	setenv("PASSWORD_ARGON2_M_KIB", "65536", 1);
	setenv("PASSWORD_ARGON2_T", "3", 1);
	setenv("PASSWORD_ARGON2_P", "2", 1);
	T_CHECK(from_env(&p, err, sizeof err) == 0 && p.m_kib == 65536 && p.t == 3 &&
	            p.p == 2,
	        "PASSWORD_ARGON2_M_KIB/_T/_P set the parameters");
	setenv("PASSWORD_ARGON2_M_KIB", "12288", 1);
	setenv("PASSWORD_ARGON2_P", "", 1);
	T_CHECK(from_env(&p, err, sizeof err) == 0 && p.m_kib == 12288 && p.t == 3 &&
	            p.p == 1,
	        "OWASP's 12 MiB/t=3 row is accepted; an empty variable is the default");
	setenv("PASSWORD_ARGON2_M_KIB", "1024", 1);
	T_CHECK(from_env(&p, err, sizeof err) == -1 && strstr(err, "below OWASP") &&
	            p.m_kib == 19456,
	        "below OWASP's minimum: refused, defaults left (\"%s\")", err);
	setenv("PASSWORD_ARGON2_TEST", "yes", 1);
	T_CHECK(from_env(&p, err, sizeof err) == -1, "PASSWORD_ARGON2_TEST=yes is not 1");
	setenv("PASSWORD_ARGON2_TEST", "1", 1);
	setenv("PASSWORD_ARGON2_M_KIB", "64", 1);
	setenv("PASSWORD_ARGON2_T", "1", 1);
	T_CHECK(from_env(&p, err, sizeof err) == 0 && p.m_kib == 64 && p.t == 1 &&
	            password_params_weak(&p),
	        "PASSWORD_ARGON2_TEST=1 allows tiny parameters (m=64, t=1)");
	static const char *const bad_m[] = {"abc", "-1",          "+64",        "1e3",    " 64",
	                                    "64 ", "99999999999", "4294967296", "2000000"};
	for (size_t i = 0; i < sizeof bad_m / sizeof bad_m[0]; i++) {
		setenv("PASSWORD_ARGON2_M_KIB", bad_m[i], 1);
		T_CHECK(from_env(&p, err, sizeof err) == -1 &&
		            strstr(err, "PASSWORD_ARGON2_M_KIB"),
		        "PASSWORD_ARGON2_M_KIB=\"%s\" refused (\"%s\")", bad_m[i], err);
	}
	setenv("PASSWORD_ARGON2_M_KIB", "64", 1);
	setenv("PASSWORD_ARGON2_P", "9", 1);
	T_CHECK(from_env(&p, err, sizeof err) == -1,
	        "m below 8 KiB per lane: refused (\"%s\")", err);
	setenv("PASSWORD_ARGON2_P", "0", 1);
	T_CHECK(from_env(&p, err, sizeof err) == -1, "p=0 refused");
	setenv("PASSWORD_ARGON2_P", "1", 1);
	setenv("PASSWORD_ARGON2_T", "0", 1);
	T_CHECK(from_env(&p, err, sizeof err) == -1, "t=0 refused");
	setenv("PASSWORD_ARGON2_T", "65", 1);
	T_CHECK(from_env(&p, err, sizeof err) == -1, "t above the cap refused");
	T_CHECK(from_env(&p, NULL, 0) == -1, "a NULL error buffer is fine");
	unsetenv("PASSWORD_ARGON2_TEST");
	unsetenv("PASSWORD_ARGON2_M_KIB");
	unsetenv("PASSWORD_ARGON2_T");
	unsetenv("PASSWORD_ARGON2_P");
}

static void test_rehash(void)
{
	char h[128];
	struct password_params p = tiny;

	T_CHECK(password_hash("pw", 2, &tiny, &rng, h, sizeof h) == PASSWORD_OK, "hash at tiny parameters");
	T_CHECK(password_needs_rehash(h, &tiny) == 0, "needs_rehash: same parameters -> 0");
	p.m_kib = 128;
	T_CHECK(password_needs_rehash(h, &p) == 1, "other m -> 1");
	p = tiny;
	p.t = 2;
	T_CHECK(password_needs_rehash(h, &p) == 1, "other t -> 1");
	p = tiny;
	p.p = 2;
	T_CHECK(password_needs_rehash(h, &p) == 1, "other p -> 1");
	T_CHECK(password_needs_rehash("$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHQ$"
	                              "CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
	                              &tiny) == 1,
	        "an 8-byte salt (not ours) -> 1");
	T_CHECK(password_needs_rehash(h, NULL) == 1, "NULL params -> 1");
}

/* Median of three runs of one verification and one burn: they must cost alike.
 * Loose bounds (a factor of 2.5): the machine may be busy building. */
static void test_burn(void)
{
	const struct password_params p = {8192, 1, 1};
	char h[128];
	double v[3], b[3], mv, mb, t;

	T_CHECK(password_hash("secret", 6, &p, &rng, h, sizeof h) == PASSWORD_OK,
	        "hash at m=8 MiB for timing");
	for (int i = 0; i < 3; i++) {
		t = now_ms();
		(void)password_verify(h, "wrong!", 6);
		v[i] = now_ms() - t;
		t = now_ms();
		password_burn(&p);
		b[i] = now_ms() - t;
	}
	mv = v[0] + v[1] + v[2] - fmin(v[0], fmin(v[1], v[2])) - fmax(v[0], fmax(v[1], v[2]));
	mb = b[0] + b[1] + b[2] - fmin(b[0], fmin(b[1], b[2])) - fmax(b[0], fmax(b[1], b[2]));
	T_CHECK(mb > mv / 2.5 && mb < mv * 2.5,
	        "password_burn costs what a wrong-password verify does (%.1f ms vs %.1f ms)", mb, mv);
	t = now_ms();
	(void)password_verify(h, "bad\xff", 4);
	t = now_ms() - t;
	T_CHECK(t > mv / 2.5, "an invalid password (not UTF-8) costs a full run too (%.1f ms)", t);
	t = now_ms();
	password_burn(NULL);
	T_CHECK(now_ms() - t < 5, "password_burn(NULL) does nothing");
}

/* One hash at the default cost (OWASP's minimum), timed: what a login costs. */
static void test_default_cost(void)
{
	struct password_params p;
	char h[128];
	double t0, th, tv;
	int ok;

	password_params_default(&p);
	t0 = now_ms();
	ok = password_hash("a password at the default cost", 30, &p, &rng, h, sizeof h) == PASSWORD_OK;
	th = now_ms() - t0;
	t0 = now_ms();
	ok = ok && password_verify(h, "a password at the default cost", 30) == 1;
	tv = now_ms() - t0;
	T_CHECK(ok && phc_shape(h, &p) && strncmp(h, "$argon2id$v=19$m=19456,t=2,p=1$", 31) == 0 &&
	            !password_needs_rehash(h, &p),
	        "default cost: $argon2id$v=19$m=19456,t=2,p=1$..., verifies");
	printf("# argon2id at m=19456 KiB, t=2, p=1 on this machine: hash %.1f ms, verify %.1f ms\n", th, tv);
}

int main(void)
{
	if (wolfCrypt_Init() != 0 || wc_InitRng(&rng) != 0) {
		T_CHECK(0, "wolfCrypt and its RNG initialise");
		T_DONE();
	}
	test_rfc9106();
	test_reference_vectors();
	test_hash_verify();
	test_malformed();
	test_password_rules();
	test_params();
	test_rehash();
	test_burn();
	test_default_cost();
	wc_FreeRng(&rng);
	wolfCrypt_Cleanup();
	T_DONE();
}
