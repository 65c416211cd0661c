/*
 * flow.h: a login flow is the stored state of one /authorize request while the
 * person signs in (login.html, consent.html): the page carries only its id and a
 * CSRF token, and it finishes only in the browser that started it (idb_browser).
 */
#ifndef ISSUER_SSO_FLOW_H
#define ISSUER_SSO_FLOW_H

#include <stdint.h>

#include "crypto/secret.h"
#include "http/http.h"
#include "runtime/app.h"
#include "store/store.h"

/* The message of every refused flow (expired, another browser's, a bad CSRF token). */
#define FLOW_EXPIRED "This sign-in page has expired; go back to the application and try again."

/*
 * The request's parameters as a form: the query string of a GET or HEAD, the
 * application/x-www-form-urlencoded body of a POST (another media type:
 * HTTP_E_SYNTAX). raw (may be NULL) gets the text parsed. Decoded strings live
 * in req's pool.
 */
http_err flow_params(h2o_req_t *req, http_form *form, h2o_iovec_t *raw);

/*
 * The flow named by form's `flow`, if it lives at now, belongs to this browser
 * (idb_browser) and form's `csrf` is its token, into *f with its id's hash in
 * hash; also refused when an Origin header names another origin. 0, or -1 after
 * answering (400 FLOW_EXPIRED, or 503 when the store failed).
 */
int flow_check(h2o_req_t *req, app_thread *t, const http_form *form, int64_t now, struct store_flow *f,
               uint8_t hash[SECRET_HASH_LEN]);

/* New random flow id and CSRF token (text, for the page) with their hashes set in f;
 * 0, or -1 if the RNG failed. */
int flow_ids(app_thread *t, struct store_flow *f, char id[SECRET_TEXT_LEN + 1],
             char csrf[SECRET_TEXT_LEN + 1]);

/*
 * Count a stored row a browser without a session makes us keep (a login flow, the
 * login page's passkey challenge) for its address: past LOGIN_FLOWS_PER_ADDRESS in
 * the window the address is refused, so an anonymous flood fills no disk. 0 when
 * it may go on; 1 after answering 429 (with Retry-After; an HTML page, or a JSON
 * error when json), counted in /metrics and the audit log.
 */
int flow_flood(h2o_req_t *req, app_thread *t, int64_t now, int json);

#endif
