/*
 * session.h: the browser side of single sign-on, shared by /authorize, /login,
 * /consent and /logout (authorize.c, login.c, consent.c, logout.c): the two
 * cookies, SSO sessions, login flows checked against the browser that started
 * them, authorization codes, and the one way back to a client (a redirect to its
 * registered URI with parameters).
 *
 * Cookies (HttpOnly, SameSite=Lax, Path=/, Secure when the issuer URL is https):
 *  - idb_browser: a random value binding login flows (and the logout form) to
 *    one browser; set by /authorize when absent, for the browser's lifetime;
 *  - idb_session: the SSO session's random id, for cfg->session_ttl.
 * Both values are 256-bit random (secret.h); the store only ever sees their
 * SHA-256, and they are compared by hash in constant time. Nothing here logs a
 * cookie, a code or a CSRF token, or puts one in an error message.
 *
 * Every function that answers the request says so; the others only add headers.
 */
#ifndef ISSUER_SESSION_H
#define ISSUER_SESSION_H

#include <stdint.h>

#include "http/http.h"
#include "http/response.h"
#include "runtime/app.h"
#include "crypto/secret.h"
#include "store/store.h"

#define SESSION_COOKIE "idb_session"
#define BROWSER_COOKIE "idb_browser"

/* The message of every refused flow (expired, another browser's, a bad CSRF token). */
#define SESSION_EXPIRED "This sign-in page has expired; go back to the application and try again."

/*
 * The request's parameters as a form: the query string of a GET or HEAD, the
 * application/x-www-form-urlencoded body of a POST (another media type:
 * HTTP_E_SYNTAX). raw (may be NULL) gets the text parsed. Decoded strings live
 * in req's pool.
 */
http_err session_params(h2o_req_t *req, http_form *form, h2o_iovec_t *raw);

/* The SHA-256 of this browser's idb_browser cookie; 0, or -1 when it has none (or a malformed one). */
int session_browser(h2o_req_t *req, uint8_t hash[SECRET_HASH_LEN]);

/* As session_browser, but a browser without the cookie gets a new one (Set-Cookie on
 * req's answer); 0, or -1 if the RNG failed. */
int session_browser_ensure(h2o_req_t *req, app_thread *t, uint8_t hash[SECRET_HASH_LEN]);

/*
 * The session of req's idb_session cookie, valid at now, into *out (its id_hash
 * set): STORE_OK; STORE_NOT_FOUND without a cookie or a live session; else the
 * store failed.
 */
store_err session_current(h2o_req_t *req, app_thread *t, int64_t now, struct store_session *out);

/* Start a session for user_id signed in at now (replacing the browser's current
 * one) and set its cookie on req's answer; 0, or -1 (RNG or store failed). */
int session_start(h2o_req_t *req, app_thread *t, const char *user_id, int64_t now);

/* End the browser's current session (if any) and expire its cookie on req's answer. */
void session_end(h2o_req_t *req, app_thread *t);

/*
 * Answer with a redirect to uri with pairs[0..2n) (name, value, ...; a NULL
 * value is left out) appended to its query ('?' or '&'), URL-encoded, and
 * iss=<issuer> (RFC 9207) when with_iss: 303 after a POST, 302 otherwise.
 * The only way back to a client: codes and errors alike.
 */
void session_redirect(h2o_req_t *req, app_thread *t, const char *uri, const char *const *pairs, size_t n,
                      int with_iss);

/* Answer with the RFC 6749 §4.1.2.1 error redirect: error, error_description, state (if not ""), iss. */
void session_redirect_error(h2o_req_t *req, app_thread *t, const char *uri, const char *state,
                            const char *error, const char *description);

/*
 * Issue an authorization code for what flow f asked (client, redirect URI, scope,
 * nonce, PKCE) to user_id signed in at auth_time, store its hash, and answer
 * with the redirect carrying it and f's state. A store failure redirects with
 * temporarily_unavailable.
 */
void session_issue_code(h2o_req_t *req, app_thread *t, const struct store_flow *f, const char *user_id,
                        int64_t auth_time);

/* 1 when user_id must be asked before client c gets scope (c needs consent and none on
 * record covers scope, or prompt asks for it), 0 when not, -1 when the store failed. */
int session_needs_consent(app_thread *t, const struct store_client *c, const char *user_id, const char *scope,
                          int prompt);

/*
 * The flow named by form's `flow`, if it lives at now, belongs to this browser
 * (idb_browser) and form's `csrf` is its token, into *f with its id's hash in
 * hash; also refused when an Origin header names another origin. 0, or -1 after
 * answering (400 SESSION_EXPIRED, or 503 when the store failed).
 */
int session_flow(h2o_req_t *req, app_thread *t, const http_form *form, int64_t now, struct store_flow *f,
                 uint8_t hash[SECRET_HASH_LEN]);

/* New random flow id and CSRF token (text, for the page) with their hashes set in f;
 * 0, or -1 if the RNG failed. */
int session_flow_ids(app_thread *t, struct store_flow *f, char id[SECRET_TEXT_LEN + 1],
                     char csrf[SECRET_TEXT_LEN + 1]);

#endif
