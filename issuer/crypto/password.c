/*
 * password.c: argon2id password hashes (see password.h). A thin, strict layer
 * over libargon2: it checks inputs and parameters before libargon2 sees them,
 * draws salts from the caller's wolfCrypt DRBG, and parses PHC strings itself so
 * that no stored string can choose a cost above the caps.
 *
 * It must never: run a hash with parameters beyond the caps, answer "verified"
 * on any failure, print or log a password, or leave a copy of one behind (the
 * only copies are libargon2's own, which it wipes).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <argon2.h>

#include "crypto/password.h"
#include "jose_utf8.h"

/* OWASP's argon2id rows (password.h): each (m, t) pair is one acceptable minimum. */
static const struct {
	uint32_t m_kib, t;
} owasp_rows[] = {
    {47104, 1}, {19456, 2}, {12288, 3}, {9216, 4}, {7168, 5},
};

/* The argon2 version we write and accept: 1.3 (RFC 9106), "v=19". */
#define PW_VERSION ARGON2_VERSION_13

/* see password.h */
void password_params_default(struct password_params *p)
{
	p->m_kib = PASSWORD_DEFAULT_M_KIB;
	p->t = PASSWORD_DEFAULT_T;
	p->p = PASSWORD_DEFAULT_P;
}

/* Within the caps and argon2's own minimums (RFC 9106 §3.1: m >= 8p KiB). */
static int params_in_range(const struct password_params *p)
{
	return p->p >= 1 && p->p <= PASSWORD_P_MAX && p->t >= 1 && p->t <= PASSWORD_T_MAX &&
	       p->m_kib >= 8 * p->p && p->m_kib <= PASSWORD_M_KIB_MAX;
}

/* see password.h */
int password_params_weak(const struct password_params *p)
{
	for (size_t i = 0; i < sizeof owasp_rows / sizeof owasp_rows[0]; i++)
		if (p->m_kib >= owasp_rows[i].m_kib && p->t >= owasp_rows[i].t)
			return 0;
	return 1;
}

/* see password.h */
int password_params_check(const struct password_params *p, int allow_tiny)
{
	return p && params_in_range(p) && (allow_tiny || !password_params_weak(p));
}

/* see password.h */
int password_valid(const char *pw, size_t len)
{
	const unsigned char *s = (const unsigned char *)pw;
	size_t i = 0, n;

	if (!pw || len < PASSWORD_MIN_LEN || len > PASSWORD_MAX_LEN)
		return 0;
	while (i < len) {
		if (s[i] == 0 || !(n = jose_utf8_seq(s + i, len - i, NULL)))
			return 0;
		i += n;
	}
	return 1;
}

/* Parse a decimal without sign or leading zero, at most 10 digits, at *s; advances *s. */
static int parse_u32(const char **s, uint32_t *v)
{
	const char *p = *s;
	unsigned long long n = 0;
	size_t len = strspn(p, "0123456789");

	if (len == 0 || len > 10 || (p[0] == '0' && len > 1))
		return -1;
	for (size_t i = 0; i < len; i++)
		n = n * 10 + (unsigned long long)(p[i] - '0');
	if (n > UINT32_MAX)
		return -1;
	*v = (uint32_t)n;
	*s = p + len;
	return 0;
}

#define B64_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

/* Bytes of a field of len unpadded base64 characters, or 0 if no length fits. */
static size_t b64_bytes(size_t len)
{
	return len % 4 == 1 ? 0 : len / 4 * 3 + (len % 4 ? len % 4 - 1 : 0);
}

/* Parse encoded into *out and the salt and tag lengths in bytes; 0 or -1. */
static int parse(const char *encoded, struct password_params *out, size_t *salt_len, size_t *tag_len)
{
	static const char prefix[] = "$argon2id$v=19$m=";
	const char *s = encoded;
	struct password_params p;
	size_t n;

	if (!s || strnlen(s, PASSWORD_ENCODED_MAX + 1) > PASSWORD_ENCODED_MAX ||
	    strncmp(s, prefix, sizeof prefix - 1) != 0)
		return -1;
	s += sizeof prefix - 1;
	if (parse_u32(&s, &p.m_kib) || strncmp(s, ",t=", 3) != 0)
		return -1;
	s += 3;
	if (parse_u32(&s, &p.t) || strncmp(s, ",p=", 3) != 0)
		return -1;
	s += 3;
	if (parse_u32(&s, &p.p) || *s++ != '$')
		return -1;
	n = strspn(s, B64_CHARS);
	if (!(*salt_len = b64_bytes(n)) || s[n] != '$')
		return -1;
	s += n + 1;
	n = strspn(s, B64_CHARS);
	if (!(*tag_len = b64_bytes(n)) || s[n] != '\0')
		return -1;
	*out = p;
	return 0;
}

/* see password.h */
int password_parse(const char *encoded, struct password_params *out)
{
	size_t salt_len, tag_len;

	return parse(encoded, out, &salt_len, &tag_len);
}

/* see password.h */
password_err password_hash(const char *pw, size_t len, const struct password_params *p, WC_RNG *rng,
                           char *out, size_t cap)
{
	uint8_t salt[PASSWORD_SALT_LEN];
	password_err e;

	if (out && cap)
		out[0] = '\0';
	if (!password_valid(pw, len)) {
		e = PASSWORD_INVALID;
		goto out;
	}
	if (!password_params_check(p, 1)) {
		e = PASSWORD_BAD_PARAMS;
		goto out;
	}
	e = PASSWORD_ERROR;
	if (!out || !rng ||
	    cap < argon2_encodedlen(p->t, p->m_kib, p->p, PASSWORD_SALT_LEN, PASSWORD_TAG_LEN, Argon2_id) ||
	    wc_RNG_GenerateBlock(rng, salt, sizeof salt) != 0)
		goto out;
	if (argon2id_hash_encoded(p->t, p->m_kib, p->p, pw, len, salt, sizeof salt, PASSWORD_TAG_LEN, out,
	                          cap) != ARGON2_OK)
		goto out;
	e = PASSWORD_OK;
out:
	if (e != PASSWORD_OK && out && cap)
		memset(out, 0, cap);
	memset(salt, 0, sizeof salt);
	return e;
}

/* One argon2id run at p over a fixed input, its tag thrown away. */
static void burn(const struct password_params *p)
{
	static const char pw[] = "password burn: no such user";
	static const uint8_t salt[PASSWORD_SALT_LEN] = {0};
	uint8_t tag[PASSWORD_TAG_LEN];

	if (params_in_range(p))
		(void)argon2id_hash_raw(p->t, p->m_kib, p->p, pw, sizeof pw - 1, salt, sizeof salt, tag,
		                        sizeof tag);
	memset(tag, 0, sizeof tag);
}

/* see password.h */
int password_verify(const char *encoded, const char *pw, size_t len)
{
	struct password_params p;
	size_t salt_len, tag_len;

	if (parse(encoded, &p, &salt_len, &tag_len) || !params_in_range(&p) ||
	    salt_len < ARGON2_MIN_SALT_LENGTH || tag_len < ARGON2_MIN_OUTLEN)
		return 0;
	if (!password_valid(pw, len)) {
		burn(&p);
		return 0;
	}
	return argon2id_verify(encoded, pw, len) == ARGON2_OK;
}

/* see password.h */
int password_needs_rehash(const char *encoded, const struct password_params *p)
{
	struct password_params have;
	size_t salt_len, tag_len;

	if (!p || parse(encoded, &have, &salt_len, &tag_len))
		return 1;
	return have.m_kib != p->m_kib || have.t != p->t || have.p != p->p || salt_len != PASSWORD_SALT_LEN ||
	       tag_len != PASSWORD_TAG_LEN;
}

/* see password.h */
void password_burn(const struct password_params *p)
{
	if (p)
		burn(p);
}
