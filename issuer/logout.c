/*
 * logout.c: GET and POST /logout (OIDC RP-Initiated Logout 1.0). Placeholder
 * until the full version lands: shows the signed-out page only.
 */
#include "page.h"
#include "session.h"

/* see routes.h */
void logout_endpoint(h2o_req_t *req, app_thread *t)
{
	(void)t;
	page_send(req, 200, "signed-out.html", NULL, 0, NULL);
}
