/*
 * grant.h: the /token grants that act for a person: authorization_code (RFC
 * 6749 §4.1.3, RFC 7636 §4.6, OIDC Core §3.1.3) and refresh_token (RFC 6749 §6,
 * with rotation and reuse detection, RFC 9700 §4.14.2). token.c parses the form
 * and identifies the client (oauth_client_identify), then hands over here. Each
 * function answers the request before it returns.
 */
#ifndef ISSUER_GRANT_H
#define ISSUER_GRANT_H

#include "http/http.h"
#include "http/response.h"
#include "runtime/app.h"
#include "store/store.h"

/*
 * grant_type=authorization_code for client c (already identified). The code is
 * taken (single use) before any check that can fail on it, so a wrong
 * redirect_uri, code_verifier or client burns it; a code that is unknown, used
 * or expired is invalid_grant and revokes what its first exchange issued.
 */
void grant_authorization_code(h2o_req_t *req, app_thread *t, const http_form *f,
                              const struct store_client *c);

/* grant_type=refresh_token for client c (already identified). */
void grant_refresh_token(h2o_req_t *req, app_thread *t, const http_form *f, const struct store_client *c);

/*
 * grant_type=password (RFC 6749 §4.3) for client c, authenticated: only a
 * confidential client registered with the password grant. username and
 * password are checked as the login page checks them (signin.h: the lockout,
 * the address limit, the same answer for every failure); the scope asked for
 * (c's own when none) is narrowed to what c may use, unknown scopes ignored.
 * Answers the token response, with a refresh token for offline_access.
 */
void grant_password(h2o_req_t *req, app_thread *t, const http_form *f, const struct store_client *c);

#endif
