/*
 * claims.h: what a person's tokens and /userinfo say about them, by scope (OIDC
 * Core §5.4): profile gives name and preferred_username, email gives email and
 * email_verified, groups gives groups (the claim Kubernetes and most proxies
 * read). The same claims go into the ID token, for clients that read only it.
 */
#ifndef ISSUER_OAUTH_CLAIMS_H
#define ISSUER_OAUTH_CLAIMS_H

#include <cjson/cJSON.h>

#include "store/store.h"

/* Add to doc the claims of u that scope grants (never sub: the caller's). 0, or -1 out of memory. */
int claims_add_user(cJSON *doc, const struct store_user *u, const char *scope);

/* A groups list (store.h: '\n'-separated) as the JSON array "groups" of doc; 0, or -1 out of memory. */
int claims_add_groups(cJSON *doc, const char *groups);

/* The claims claims_add_user can give, comma-separated, for discovery's claims_supported. */
#define CLAIMS_USER "name,preferred_username,email,email_verified,groups"

#endif
