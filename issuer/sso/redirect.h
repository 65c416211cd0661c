/*
 * redirect.h: the way back from the sign-in to a client: a redirect to its
 * registered URI with parameters, for codes (RFC 6749 §4.1.2) and errors
 * (§4.1.2.1) alike, with iss (RFC 9207).
 */
#ifndef ISSUER_SSO_REDIRECT_H
#define ISSUER_SSO_REDIRECT_H

#include <stdint.h>

#include "runtime/app.h"
#include "store/store.h"

/*
 * Answer with a redirect to uri with pairs[0..2n) (name, value, ...; a NULL
 * value is left out) appended to its query ('?' or '&'), URL-encoded, and
 * iss=<issuer> (RFC 9207) when with_iss: 303 after a POST, 302 otherwise.
 * The only way back to a client: codes and errors alike.
 */
void redirect_to(h2o_req_t *req, app_thread *t, const char *uri, const char *const *pairs, size_t n,
                 int with_iss);

/* Answer with the RFC 6749 §4.1.2.1 error redirect: error, error_description, state (if not ""), iss. */
void redirect_error(h2o_req_t *req, app_thread *t, const char *uri, const char *state, const char *error,
                    const char *description);

/* Answer 303 See Other to one of our own pages: the issuer URL's path + path
 * ("/account?done=app"), uncached. */
void redirect_local(h2o_req_t *req, app_thread *t, const char *path);

/*
 * Issue an authorization code for what flow f asked (client, redirect URI, scope,
 * nonce, PKCE) to user_id signed in at auth_time in the browser session whose id
 * hash is session_hash (SECRET_HASH_LEN bytes: its refresh tokens end with that
 * session), with f's amr (how they signed in, for the ID token), store its
 * hash, and answer with the redirect carrying it and f's state. A store failure redirects with
 * temporarily_unavailable.
 */
void redirect_code(h2o_req_t *req, app_thread *t, const struct store_flow *f, const char *user_id,
                   int64_t auth_time, const uint8_t *session_hash);

#endif
