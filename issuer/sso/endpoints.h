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
