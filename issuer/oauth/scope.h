/*
 * scope.h: OAuth 2.0 scope strings (RFC 6749 §3.3: space-separated NQCHAR
 * tokens), as clients ask for them and as registrations allow them.
 */
#ifndef ISSUER_OAUTH_SCOPE_H
#define ISSUER_OAUTH_SCOPE_H

#include <stddef.h>

/* Scopes this issuer knows (OIDC Core §5.4, §11; groups: the groups claim). */
#define SCOPE_KNOWN "openid profile email groups offline_access"

/* 1 when every space-separated token of scope is in allowed (also space-separated), else 0. */
int scope_allowed(const char *scope, const char *allowed);

/* 1 when scope is a valid RFC 6749 §3.3 scope string (NQCHAR tokens, single spaces). */
int scope_valid(const char *scope);

/* The tokens of scope that are in both a and b, each once, in scope's order, into
 * out[outlen] (NUL-terminated; a token that does not fit is left out). Returns
 * the length of out: 0 when nothing is left. */
size_t scope_intersect(const char *scope, const char *a, const char *b, char *out, size_t outlen);

#endif
