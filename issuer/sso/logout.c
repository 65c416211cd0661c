/*
 * logout.c: GET and POST /logout (OpenID Connect RP-Initiated Logout 1.0). With
 * an id_token_hint we signed for the person signed in here, the session ends at
 * once; otherwise the person confirms on a page whose form carries a token bound
 * to their browser cookie, so a link on another site cannot sign anyone out.
 *
 * It must never redirect to a post_logout_redirect_uri the client did not
 * register (exact match; otherwise an error page), never trust a hint not signed
 * by our keys for our issuer (an expired one is fine: logging out is why RPs
 * keep them), and never end a session on a GET that does not name its user.
 */
#include <stdio.h>
#include <string.h>

#include "runtime/audit.h"
#include "jose.h"
#include "jose_b64url.h"
#include "jose_json.h"
#include "http/page.h"
#include "sso/endpoints.h"
#include "sso/cookie.h"
#include "sso/flow.h"
#include "sso/redirect.h"
#include "sso/session.h"

#define BAD_LOGOUT "This sign-out link is not valid. Go back to the application."

/* What a logout request asked, checked. */
struct logout {
	const char *uri, *state;
	char client[STORE_ID_MAX + 1]; /* client_id, or the hint's azp/aud; "" */
	char sub[STORE_ID_MAX + 1];    /* the valid hint's subject; "" without one */
};

/* Read and check the request into l; 0, or -1 after an error page. */
static int read_logout(h2o_req_t *req, app_thread *t, const http_form *q, struct logout *l)
{
	const char *hint = http_form_get(q, "id_token_hint"), *id = http_form_get(q, "client_id");
	struct store_client c;
	store_err e = STORE_NOT_FOUND;

	memset(l, 0, sizeof *l);
	l->uri = http_form_get(q, "post_logout_redirect_uri");
	l->state = http_form_get(q, "state");
	if (id && !*id)
		id = NULL; /* the confirmation form sends empty fields */
	if (l->uri && !*l->uri)
		l->uri = NULL;
	if ((id && strlen(id) > STORE_ID_MAX) || (hint && session_hint(t, hint, id, l->sub, l->client))) {
		page_error(req, 400, "Invalid sign-out request", BAD_LOGOUT);
		return -1;
	}
	if (id)
		snprintf(l->client, sizeof l->client, "%s", id);
	if (!l->uri)
		return 0;
	if (l->client[0])
		e = app_client_get(t, l->client, &c);
	if (store_unavailable(e)) {
		page_unavailable(req);
		return -1;
	}
	if (e != STORE_OK || !store_list_has(c.post_logout_uris, l->uri)) {
		page_error(req, 400, "Invalid sign-out request",
		           "The application asked to return you to an address it has not registered.");
		return -1;
	}
	return 0;
}

/* 1 when the request is the confirmation form's POST with this browser's token. */
static int confirmed(h2o_req_t *req, app_thread *t, const http_form *q)
{
	return cookie_form_check(req, t, "logout", http_form_get(q, "csrf"));
}

static void confirm_page(h2o_req_t *req, app_thread *t, const struct logout *l)
{
	uint8_t browser[SECRET_HASH_LEN];
	char csrf[SECRET_TEXT_LEN + 1], origin[STORE_URI_MAX + 1] = "";
	struct page_var v[] = {{"csrf", csrf},
	                       {"client_id", l->client},
	                       {"post_logout_redirect_uri", l->uri},
	                       {"state", l->state}};

	if (cookie_browser_ensure(req, t, browser)) {
		page_unavailable(req);
		return;
	}
	cookie_form_token("logout", browser, csrf);
	if (l->uri)
		page_origin(l->uri, origin, sizeof origin);
	page_send(req, 200, "logout.html", v, sizeof v / sizeof v[0], origin);
}

/* see routes.h */
void logout_endpoint(h2o_req_t *req, app_thread *t)
{
	http_form q;
	struct logout l;
	struct store_session s;
	store_err e;
	int post = h2o_memis(req->method.base, req->method.len, H2O_STRLIT("POST"));

	if (flow_params(req, &q, NULL) != HTTP_OK) {
		page_error(req, 400, "Invalid sign-out request", BAD_LOGOUT);
		return;
	}
	if (read_logout(req, t, &q, &l))
		return;
	e = session_current(req, t, app_now(), &s);
	if (store_unavailable(e)) {
		page_unavailable(req);
		return;
	}
	if (post && http_form_get(&q, "csrf") && !confirmed(req, t, &q)) {
		page_error(req, 400, "Sign-out expired", "This sign-out page has expired; please try again.");
		return;
	}
	if (e == STORE_OK && !(l.sub[0] && strcmp(l.sub, s.user_id) == 0) &&
	    !(post && confirmed(req, t, &q))) {
		confirm_page(req, t, &l);
		return;
	}
	if (session_end(req, t)) {
		page_unavailable(req);
		return;
	}
	if (e == STORE_OK)
		audit_req(req, "auth.logout", "info", l.client[0] ? l.client : NULL, s.user_id, NULL, NULL,
		          0);
	if (l.uri) {
		const char *p[] = {"state", l.state && *l.state ? l.state : NULL};
		redirect_to(req, t, l.uri, p, 1, 0);
	} else
		page_send(req, 200, "signed-out.html", NULL, 0, NULL);
}
