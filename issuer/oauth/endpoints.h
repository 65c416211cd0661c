/*
 * endpoints.h: the OAuth 2.0 and OpenID Connect endpoints, one handler each, as the
 * route table (routes.h) calls them. Each runs on its loop thread, answers before it
 * returns (JSON, RFC 6749 §5.2 errors) and never blocks.
 */
#ifndef ISSUER_OAUTH_ENDPOINTS_H
#define ISSUER_OAUTH_ENDPOINTS_H

#include <h2o.h>

#include "runtime/app.h"

/* wellknown.c: GET /.well-known/openid-configuration and GET /.well-known/jwks.json. */
void wellknown_discovery(h2o_req_t *req, app_thread *t);
void wellknown_jwks(h2o_req_t *req, app_thread *t);

/* token.c: POST /token (every grant; the legacy JSON {sub, aud} body too). */
void token_endpoint(h2o_req_t *req, app_thread *t);

/* verify.c: POST /verify (the legacy JSON {"token","aud"}). */
void verify_endpoint(h2o_req_t *req, app_thread *t);

/* introspect.c: POST /introspect (RFC 7662) and /revoke (RFC 7009). */
void introspect_endpoint(h2o_req_t *req, app_thread *t);
void revoke_endpoint(h2o_req_t *req, app_thread *t);

/* userinfo.c: GET or POST /userinfo (RFC 6750 Bearer). */
void userinfo_endpoint(h2o_req_t *req, app_thread *t);

/* account_api.c: the legacy JSON account API (ACCOUNT_JSON_API=on; else 404):
 * POST /auth/login and GET /users/me. */
void account_login_endpoint(h2o_req_t *req, app_thread *t);
void account_me_endpoint(h2o_req_t *req, app_thread *t);

#endif
