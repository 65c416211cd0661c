/*
 * endpoints.h: the browser sign-in's endpoints, one handler each, as the route
 * table (routes.h) calls them, and the two pages the flow answers with from more
 * than one of them. Each runs on its loop thread and never blocks (the password
 * check goes to the worker pool and answers later, on the same loop).
 */
#ifndef ISSUER_SSO_ENDPOINTS_H
#define ISSUER_SSO_ENDPOINTS_H

#include <h2o.h>

#include "runtime/app.h"
#include "crypto/secret.h"
#include "runtime/factors.h"
#include "store/store.h"

/* authorize.c, login.c, consent.c, logout.c: /authorize, /login, /consent, /logout. */
void authorize_endpoint(h2o_req_t *req, app_thread *t);
void login_endpoint(h2o_req_t *req, app_thread *t);
void consent_endpoint(h2o_req_t *req, app_thread *t);
void logout_endpoint(h2o_req_t *req, app_thread *t);

/* account.c: GET|POST /forgot, /reset and /verify-email (a reset and a verification by mail). */
void forgot_endpoint(h2o_req_t *req, app_thread *t);
void reset_endpoint(h2o_req_t *req, app_thread *t);
void verify_email_endpoint(h2o_req_t *req, app_thread *t);

/* register.c: GET|POST /register (REGISTRATION=open; else 404) and the legacy JSON
 * POST /auth/register (with ACCOUNT_JSON_API=on too). */
void register_endpoint(h2o_req_t *req, app_thread *t);
void register_json_endpoint(h2o_req_t *req, app_thread *t);

/* second.c: POST /login/mfa (the second step's code), /login/passkey (a passkey,
 * alone or as the second step) and /login/passkey/challenge (the login page's
 * passkey button asks for its challenge: JSON). */
void second_endpoint(h2o_req_t *req, app_thread *t);
void passkey_login_endpoint(h2o_req_t *req, app_thread *t);
void passkey_challenge_endpoint(h2o_req_t *req, app_thread *t);

/* account_page.c: GET|POST /account (the signed-in person's factors and sessions),
 * POST /account/login and /account/mfa (signing in to it), /account/passkey. */
void account_endpoint(h2o_req_t *req, app_thread *t);
void account_login_page_endpoint(h2o_req_t *req, app_thread *t);
void account_mfa_endpoint(h2o_req_t *req, app_thread *t);
void account_passkey_endpoint(h2o_req_t *req, app_thread *t);

/* second.c: what the second step's page shows and where it posts. */
struct mfa_view {
	const char *user_id;   /* who owes the second factor */
	const char *client_id; /* the client they sign in to (the page's lead), or NULL: the account page */
	const char *redirect_uri; /* where the flow ends (the page's CSP lets its forms go there), or NULL */
	const char *flow;         /* the login flow's id, or "" */
	const char *csrf;         /* the form's CSRF token */
	const char *action;       /* where the code goes: "/login/mfa", "/account/mfa" */
	const char *passkey_action; /* where a passkey's answer goes: "/login/passkey", "/account/mfa" */
	const char *challenge;      /* the passkey challenge to show, or NULL: one is made, bound to binding,
	                             * when the user has passkeys */
	const uint8_t *binding;     /* SECRET_HASH_LEN bytes: what a made challenge is bound to */
};

/* second.c: answer with the second step's page v, status and message (or NULL). */
void mfa_page(h2o_req_t *req, app_thread *t, int status, const struct mfa_view *v, const char *message);

/* second.c: count a second-step attempt of u for the account lockout: 1 when it may be
 * checked, 0 after answering v's page (429, locked), -1 after answering 503. */
int mfa_admit(h2o_req_t *req, app_thread *t, const struct store_user *u, const struct mfa_view *v,
              int64_t now);

/* second.c: check the code u typed (an app's, or a recovery code) with the amr of a
 * password and that code into amr; the result of factors_check_code (audited). */
enum factors_result mfa_code(h2o_req_t *req, app_thread *t, const struct store_user *u,
                             const struct mfa_view *v, const char *code, int64_t now,
                             char amr[STORE_AMR_MAX + 1]);

/* second.c: a wrong second factor of u: counted (lockout), audited, and v's page again with message. */
void mfa_refused(h2o_req_t *req, app_thread *t, const struct store_user *u, const struct mfa_view *v,
                 const char *message, int64_t now);

/* second.c: u showed the second factor (amr): the lockout's count cleared, audited. */
void mfa_passed(h2o_req_t *req, app_thread *t, const struct store_user *u, const char *client_id,
                const char *amr, int64_t now);

/* second.c: the second step's page of flow f (id, csrf; its id's hash flow_hash),
 * whose user passed the password, with status and message (or NULL). */
void second_page(h2o_req_t *req, app_thread *t, int status, const struct store_flow *f,
                 const uint8_t flow_hash[SECRET_HASH_LEN], const char *id, const char *csrf,
                 const char *message);

/* second.c: u passed the password but must have two factors and has one: a session
 * (amr pwd) and the account page, to set up the second. */
void mfa_enrol_first(h2o_req_t *req, app_thread *t, const struct store_user *u, int64_t now);

/* second.c: answer with 303 to the account page, where the signed-in person is asked to
 * set up a second factor. */
void mfa_setup_redirect(h2o_req_t *req, app_thread *t);

/* login.c: u signed in to flow f (id, csrf, its id's hash flow_hash) at now with amr: a
 * session, then the consent page or the client's code. */
void login_finish(h2o_req_t *req, app_thread *t, const struct store_flow *f,
                  const uint8_t flow_hash[SECRET_HASH_LEN], const char *id, const char *csrf,
                  const struct store_user *u, const char *amr, int64_t now);

/* How the pages show a client: its registered name (else its id), its logo's URL
 * and that URL's origin (for the page's CSP), "" when it has none. */
struct client_face {
	char name[STORE_NAME_MAX > STORE_ID_MAX ? STORE_NAME_MAX + 1 : STORE_ID_MAX + 1];
	char logo[STORE_URI_MAX + 1];
	char logo_origin[STORE_URI_MAX + 1];
};

/* login.c: the face of client_id into *out (its id alone when the store cannot say). */
void client_face(app_thread *t, const char *client_id, struct client_face *out);

/* login.c: answer with the login page of flow (id, csrf) for its client, status, username
 * prefilled (or NULL) and message in the alert (or NULL). */
void login_page(h2o_req_t *req, app_thread *t, int status, const struct store_flow *f, const char *id,
                const char *csrf, const char *username, const char *message);

/* consent.c: answer with the consent page of flow (id, csrf) for username. */
void consent_page(h2o_req_t *req, app_thread *t, const struct store_flow *f, const char *id, const char *csrf,
                  const char *username);

/* 1 when user_id must be asked before client c gets scope (c needs consent and none on
 * record covers scope, or prompt asks for it), 0 when not, -1 when the store failed. */
int consent_needed(app_thread *t, const struct store_client *c, const char *user_id, const char *scope,
                   int prompt);

#endif
