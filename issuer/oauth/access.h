/*
 * access.h: the one place that mints OAuth access tokens (RFC 9068 JWTs) and
 * builds the token response (RFC 6749 §5.1) around them, for every grant:
 * client_credentials and the legacy JSON {sub, aud} body (token.c), and the
 * authorization_code and refresh_token grants that act for a person (grant.c).
 * Out of memory anywhere while building is a NULL, never a token or an answer
 * with members missing.
 */
#ifndef ISSUER_OAUTH_ACCESS_H
#define ISSUER_OAUTH_ACCESS_H

#include <stdint.h>

#include <cjson/cJSON.h>
#include <h2o.h>

#include "runtime/app.h"
#include "store/store.h"

/* What one access token says. */
struct access_claims {
	const struct store_client *client; /* client_id; its registered audiences */
	const char *sub;
	const char *scope; /* may be NULL or "" (then no scope claim, except for a person) */
	const char *jti;
	/* aud: `aud` when not NULL (one audience the client asked for); else, for a
	 * person, the issuer (when the scope has openid, so /userinfo accepts the
	 * token, or when the client registered no audience) followed by the client's
	 * audiences other than the issuer; else the client's audiences. One item is
	 * a string, several an array. */
	const char *aud;
	int for_person;    /* 1: a person's token: auth_time, scope always present */
	int64_t auth_time; /* for_person only */
	const char *alg;   /* JWS alg: access_alg(), or the legacy JSON body's JWT_ALGORITHM */
	const char *typ;   /* header typ: "at+jwt", or "JWT" for the legacy JSON body */
};

/* The alg of every OAuth access token: JWT_ALGORITHM, or ES256 in legacy HS256 mode. */
const char *access_alg(const server_config *cfg);

/* The signed access token of a at now, issued by this server (malloc'd), or NULL
 * when out of memory or no key signs a->alg now. */
char *access_mint(app_thread *t, const struct access_claims *a, int64_t now);

/* A token response for access_token: token_type, expires_in and scope (when not
 * empty), for the caller to add to; NULL when out of memory. */
cJSON *access_answer_new(app_thread *t, const char *access_token, const char *scope);

/* Add the string member name to doc (the answer); on failure doc is deleted and
 * NULL returned, so the caller's access_answer_send answers 503. doc may be NULL. */
cJSON *access_answer_add(cJSON *doc, const char *name, const char *value);

/* Send doc (consumed) as a 200 token response, not cacheable (RFC 6749 §5.1); a
 * NULL doc (out of memory) is a 503. */
void access_answer_send(h2o_req_t *req, cJSON *doc);

#endif
