/*
 * oauth.h: what the OAuth endpoints (/token, /introspect, /revoke) share:
 * reading a form body, authenticating the client (RFC 6749 §2.3.1:
 * client_secret_basic or client_secret_post, never both) and identifying the
 * client of a grant (scopes: scope.h). Each function
 * that can fail has already sent the error response when it returns -1, so a
 * handler only returns.
 */
#ifndef ISSUER_OAUTH_H
#define ISSUER_OAUTH_H

#include "http/http.h"
#include "http/response.h"
#include "runtime/app.h"
#include "oauth/scope.h"
#include "store/store.h"

/* Longest client secret accepted on the wire (ours are 43 characters). */
#define OAUTH_SECRET_MAX 1024

/*
 * Parse req's body as application/x-www-form-urlencoded into form (decoded
 * strings in req's pool). 0, or -1 after a 415 (another media type) or a 400
 * invalid_request (malformed, repeated parameter).
 */
int oauth_read_form(h2o_req_t *req, http_form *form);

/* Answer 503 temporarily_unavailable, "the store is unavailable; retry": a store
 * call got no answer, and the same request may work a moment later. */
void oauth_store_unavailable(h2o_req_t *req);

/*
 * Authenticate the confidential client of req from its Authorization: Basic
 * header or the form's client_id/client_secret into *c. 0, or -1 after a 401
 * invalid_client (with WWW-Authenticate when Basic was used or nothing was
 * sent), a 400 invalid_request (two methods at once) or a 503 (store down).
 * Sets t->client_id for the access log.
 */
int oauth_client_auth(h2o_req_t *req, app_thread *t, const http_form *form, struct store_client *c);

/* The JSON string member name of doc, when present, as a field of form (its value
 * points into doc): 0, or -1 when it is not a string or the form is full. */
int oauth_json_to_form(const cJSON *doc, const char *name, http_form *f);

/*
 * Identify the client of a /token request for grant (the grant_type) into *c.
 * A public client (store_client.is_public) is accepted by the form's client_id
 * alone (token_endpoint_auth_method "none", RFC 6749 §2.1, RFC 7636), only
 * when it sends no secret and no Authorization header and only for the grants
 * that need a user's code or refresh token (authorization_code,
 * refresh_token); everything else is oauth_client_auth: a public client that
 * sends a secret, or a confidential one that sends none, is invalid_client.
 * 0, or -1 after the error response (as oauth_client_auth).
 */
int oauth_client_identify(h2o_req_t *req, app_thread *t, const http_form *form, const char *grant,
                          struct store_client *c);

/*
 * Identify the client of a /revoke request into *c: as oauth_client_identify, a
 * public client by its client_id alone (RFC 7009 §2.1 asks credentials of
 * confidential clients only), so that it can revoke its own tokens; a
 * confidential one by its secret. 0, or -1 after the error response.
 */
int oauth_client_identify_revoker(h2o_req_t *req, app_thread *t, const http_form *form,
                                  struct store_client *c);

#endif
