/*
 * account.h: the pieces the self-service account pages share (account.c:
 * reset and verification; register.c: registration): their forms' CSRF
 * token, the address's limit, and single-use links written with their mail.
 */
#ifndef ISSUER_SSO_ACCOUNT_H
#define ISSUER_SSO_ACCOUNT_H

#include <stdint.h>

#include "crypto/secret.h"
#include "http/http.h"
#include "runtime/app.h"
#include "store/store.h"

/* How long a verification link works, seconds (24 hours). */
#define ACCOUNT_VERIFY_TTL 86400

/* The CSRF token of this browser's account forms into csrf (the browser gets its
 * idb_browser cookie when it has none); 0, or -1 after answering 503. */
int account_form_csrf(h2o_req_t *req, app_thread *t, char csrf[SECRET_TEXT_LEN + 1]);

/* The request's parameters into f (cookie.h) and, for a POST, a valid CSRF token;
 * 0, or -1 after answering 400. */
int account_read_form(h2o_req_t *req, app_thread *t, http_form *f, int post);

/* 1 when the address of req is over its limit of failed sign-ins (signin.h), with
 * *retry the seconds to wait (nothing answered); else 0, and this attempt is counted
 * against the limit. */
int account_limited(h2o_req_t *req, app_thread *t, int64_t now, int64_t *retry);

/* account_limited, answering 429 (an HTML page with Retry-After) when it is 1. */
int account_over_limit(h2o_req_t *req, app_thread *t, int64_t now);

/* A new link of kind for user_id ("" for a decoy) and email, valid ttl seconds from
 * now, into *l, its token's text into text; 0, or -1 when the RNG failed. */
int account_new_link(app_thread *t, const char *kind, const char *user_id, const char *email, int64_t now,
                     int64_t ttl, char text[SECRET_TEXT_LEN + 1], struct store_link *l);

/*
 * Store link l and, when u is not NULL, queue the mail of mail_kind (mail.h) to
 * u's address (in language lang, a tag: http/i18n.h) carrying the issuer's path?token=text: inside the
 * caller's transaction (store_tx_begin), so that both commit or neither; after the commit, mailer_kick wakes
 * the sender. OK, or the store's failure (STORE_INVALID when the mail could not be made).
 */
store_err account_queue_link(app_thread *t, const struct store_link *l, const char *text,
                             const char *mail_kind, const struct store_user *u, const char *path, int64_t now,
                             const char *lang);

/* The new password pw of the account username against the server's rules: NULL when
 * it passes, else the reason in req's language (why[whylen] may hold it). */
const char *account_policy(h2o_req_t *req, app_thread *t, const char *username, const char *pw, char *why,
                           size_t whylen);

#endif
