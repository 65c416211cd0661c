/*
 * retry.h: a failed sign-in answered the POST/Redirect/GET way. A POST /login
 * that failed (a wrong password, an unknown, disabled or unconfirmed account, a
 * missing field) answers 303 to GET /login?error=CODE; that GET shows the same
 * flow's login page with the message of CODE, the focus on the password field.
 * A reload shows the page again and never posts the form a second time.
 *
 * CODE is one of a fixed list (the URL never carries text that is shown). The
 * flow's id, its CSRF token and the username typed go in a short cookie
 * (idb_login: HttpOnly, SameSite=Lax, Secure on https, for the flow's life), and
 * the GET checks them as POST /login does (flow_check: the flow lives, is this
 * browser's, and the token is its own).
 */
#ifndef ISSUER_SSO_RETRY_H
#define ISSUER_SSO_RETRY_H

#include <h2o.h>

#include "runtime/app.h"
#include "store/store.h"

/* The messages of the codes (the English text of the catalogs' login.*). */
#define LOGIN_WRONG      "The username or password is incorrect."
#define LOGIN_DISABLED   "This account is disabled. Ask your administrator to enable it."
#define LOGIN_UNVERIFIED "Confirm your email address first: open the link we mailed you when you registered."
#define LOGIN_MISSING    "Enter your username and your password."

/* Answer the failed POST of flow f (id, csrf; username as typed, or NULL) with the
 * cookie and a 303 to GET /login?error=code ("wrong", "disabled", "unverified",
 * "missing"). */
void login_retry(h2o_req_t *req, app_thread *t, const struct store_flow *f, const char *id, const char *csrf,
                 const char *username, const char *code);

/* GET /login: the login page of the cookie's flow with the message of ?error= (200;
 * 403 for disabled and unverified), or the error page of a GET without one. */
void login_retry_page(h2o_req_t *req, app_thread *t);

#endif
