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

/* check.c: POST /verify (legacy JSON), /introspect (RFC 7662), /revoke (RFC 7009). */
void check_verify(h2o_req_t *req, app_thread *t);
void check_introspect(h2o_req_t *req, app_thread *t);
void check_revoke(h2o_req_t *req, app_thread *t);

/* userinfo.c: GET or POST /userinfo (RFC 6750 Bearer). */
void userinfo_endpoint(h2o_req_t *req, app_thread *t);

#endif
