/*
 * scope.h: OAuth 2.0 scope strings (RFC 6749 §3.3: space-separated NQCHAR
 * tokens), as clients ask for them and as registrations allow them.
 */
#ifndef ISSUER_OAUTH_SCOPE_H
#define ISSUER_OAUTH_SCOPE_H

/* 1 when every space-separated token of scope is in allowed (also space-separated), else 0. */
int scope_allowed(const char *scope, const char *allowed);

/* 1 when scope is a valid RFC 6749 §3.3 scope string (NQCHAR tokens, single spaces). */
int scope_valid(const char *scope);

#endif
