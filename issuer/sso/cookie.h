/*
 * cookie.h: the browser sign-in's cookies (HttpOnly, SameSite=Lax, Path=/ or the issuer URL's path,
 * Secure when the issuer URL is https):
 *  - idb_browser: a random value binding login flows (and the logout form) to
 *    one browser; set by /authorize when absent, for the browser's lifetime;
 *  - idb_session: the SSO session's random id, for cfg->session_ttl (session.h).
 * Both values are 256-bit random (secret.h); the store only ever sees their
 * SHA-256, and they are compared by hash in constant time.
 *
 * With an https issuer the names carry a prefix browsers enforce (RFC 6265bis
 * §4.1.3): __Host- (Secure, Path=/, no Domain: no other host or path can set or
 * shadow them) when the issuer URL has no path, else __Secure- (__Host- requires
 * Path=/). An http issuer (tests, a first look on loopback) uses the bare names.
 */
#ifndef ISSUER_SSO_COOKIE_H
#define ISSUER_SSO_COOKIE_H

#include <stdint.h>

#include "crypto/secret.h"
#include "http/http.h"
#include "http/response.h"
#include "runtime/app.h"

#define SESSION_COOKIE "idb_session"
#define BROWSER_COOKIE "idb_browser"

/* The value of our cookie name (one of the two above, under its prefix: 256-bit
 * random text) into out; 0 when req carries a well-formed one, else -1. */
int cookie_get(h2o_req_t *req, app_thread *t, const char *name, char out[SECRET_TEXT_LEN + 1]);

/* The value of cookie name (under our prefix) of any form into out[cap]; 0 when req
 * carries one that fits, else -1. */
int cookie_get_text(h2o_req_t *req, app_thread *t, const char *name, char *out, size_t cap);

/* Set cookie name=value on req's answer with max_age seconds (0: expire it now). */
void cookie_set(h2o_req_t *req, app_thread *t, const char *name, const char *value, int64_t max_age);

/* The SHA-256 of this browser's idb_browser cookie; 0, or -1 when it has none (or a malformed one). */
int cookie_browser(h2o_req_t *req, app_thread *t, uint8_t hash[SECRET_HASH_LEN]);

/* As cookie_browser, but a browser without the cookie gets a new one (Set-Cookie on
 * req's answer); 0, or -1 if the RNG failed. */
int cookie_browser_ensure(h2o_req_t *req, app_thread *t, uint8_t hash[SECRET_HASH_LEN]);

/* The CSRF token of a form of kind label ("logout", "account") for the browser
 * whose idb_browser hash is browser: base64url(SHA-256(label ":" browser)). */
void cookie_form_token(const char *label, const uint8_t browser[SECRET_HASH_LEN],
                       char out[SECRET_TEXT_LEN + 1]);

/* 1 when csrf is the token of label for the browser of req (compared in constant time), else 0. */
int cookie_form_check(h2o_req_t *req, app_thread *t, const char *label, const char *csrf);

#endif
