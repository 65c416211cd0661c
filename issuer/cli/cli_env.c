/*
 * cli_env.c: every number the program takes from its environment is read here
 * (see cli.h), the same way: decimal digits only (a '-' first where the range
 * allows), within the variable's range; unset or empty means the default; and
 * the settings that go with them (PASSWORD_LIST beside PASSWORD_MIN_LENGTH). The
 * commands read their environment once, at start-up; nothing after reads it.
 * Nothing here opens a file: what the settings name is loaded by the caller.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

/* see cli.h */
int cli_env_i64(const char *name, int64_t min, int64_t max, int64_t *v)
{
	const char *s = getenv(name);

	return !s || !*s ? 0 : cli_parse_i64(s, min, max, v);
}

/* see cli.h */
int cli_env_token_minutes(int64_t *minutes)
{
	*minutes = 15;
	return cli_env_i64("JWT_EXPIRATION_MINUTES", 1, 1440, minutes);
}

/* see cli.h */
int cli_password_params(struct password_params *p, int *weak_allowed, char *err, size_t errlen)
{
	static const char *const names[3] = {"PASSWORD_ARGON2_M_KIB", "PASSWORD_ARGON2_T",
	                                     "PASSWORD_ARGON2_P"};
	const char *test = getenv("PASSWORD_ARGON2_TEST");
	int64_t v[3];

	password_params_default(p);
	v[0] = p->m_kib, v[1] = p->t, v[2] = p->p;
	*weak_allowed = test && strcmp(test, "1") == 0;
	for (size_t i = 0; i < 3; i++)
		if (cli_env_i64(names[i], 0, UINT32_MAX, &v[i])) {
			snprintf(err, errlen, "%s: not a decimal number of at most 4294967295", names[i]);
			password_params_default(p);
			return -1;
		}
	*p = (struct password_params){.m_kib = (uint32_t)v[0], .t = (uint32_t)v[1], .p = (uint32_t)v[2]};
	if (!password_params_check(p, 1)) {
		snprintf(err, errlen,
		         "PASSWORD_ARGON2_M_KIB/_T/_P: m=%lu,t=%lu,p=%lu is out of range (p 1..%d, t 1..%d, "
		         "m 8*p..%lu KiB)",
		         (unsigned long)p->m_kib, (unsigned long)p->t, (unsigned long)p->p, PASSWORD_P_MAX,
		         PASSWORD_T_MAX, (unsigned long)PASSWORD_M_KIB_MAX);
	} else if (!*weak_allowed && password_params_weak(p)) {
		snprintf(
		    err, errlen,
		    "PASSWORD_ARGON2_M_KIB/_T: m=%lu,t=%lu is below OWASP's minimum for argon2id (m=19456 "
		    "KiB with t=2, or 47104/t=1, 12288/t=3, 9216/t=4, 7168/t=5)",
		    (unsigned long)p->m_kib, (unsigned long)p->t);
	} else {
		return 0;
	}
	password_params_default(p);
	return -1;
}

/* see cli.h */
int cli_env_password_policy(unsigned *min_chars, const char **list, char *err, size_t errlen)
{
	const char *l = getenv("PASSWORD_LIST");
	int64_t v = POLICY_MIN_CHARS_DEFAULT;

	*min_chars = POLICY_MIN_CHARS_DEFAULT;
	*list = POLICY_LIST_DEFAULT;
	if (cli_env_i64("PASSWORD_MIN_LENGTH", POLICY_MIN_CHARS_FLOOR, POLICY_MIN_CHARS_MAX, &v)) {
		snprintf(
		    err, errlen,
		    "PASSWORD_MIN_LENGTH: a number of characters from %d (NIST SP 800-63B's least) to %d",
		    POLICY_MIN_CHARS_FLOOR, POLICY_MIN_CHARS_MAX);
		return -1;
	}
	*min_chars = (unsigned)v;
	if (l && strcmp(l, "none") == 0)
		*list = NULL;
	else if (l && *l)
		*list = l;
	return 0;
}
