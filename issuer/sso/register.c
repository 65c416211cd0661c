/*
 * register.c: accounts people make themselves, with REGISTRATION=open: the
 * page /register and, with ACCOUNT_JSON_API=on too, the legacy JSON
 * POST /auth/register {username, email, password, full_name}. Same rules for
 * both: a username as `user add` takes it, an address a browser's email field
 * takes, the password policy, the address's limit (account.h). The password is
 * hashed on the pool; then, in one transaction, the user (a new random `sub`),
 * a verification link (24 hours) and its mail. With
 * REGISTRATION_REQUIRE_VERIFIED (the default) the account signs in only once
 * the link is followed. The only thing the form tells that others cannot know
 * is that a username is taken, which it must; an address may be shared, so
 * nothing tells whether it has an account.
 */
#include <string.h>

#include "http/page.h"
#include "http/response.h"
#include "jose_json.h"
#include "runtime/audit.h"
#include "runtime/signin.h"
#include "sso/account.h"
#include "sso/endpoints.h"
#include "store/valid.h"

#define TAKEN "That username is taken; choose another."

/* A registration: what the form asked for, on its way through the pool. */
struct reg_job {
	struct newpass n; /* first */
	struct store_user u;
	int json;                    /* answer as /auth/register */
	char lang[I18N_TAG_MAX + 1]; /* the language of the request: its mail's */
};

/* The form (or JSON body) of a registration. */
struct reg_form {
	const char *username, *email, *name, *password, *password2;
};

static void reg_page(h2o_req_t *req, app_thread *t, int status, const struct reg_form *r, const char *message)
{
	char csrf[SECRET_TEXT_LEN + 1];
	struct page_var v[] = {{"csrf", csrf},
	                       {"username", r ? r->username : NULL},
	                       {"email", r ? r->email : NULL},
	                       {"name", r ? r->name : NULL},
	                       {"message", message}};

	if (!account_form_csrf(req, t, csrf))
		page_send(req, status, "register.html", v, sizeof v / sizeof v[0], NULL);
}

/* A refusal: the page again with message, or the JSON error. */
static void refuse(h2o_req_t *req, app_thread *t, int json, int status, const char *error,
                   const struct reg_form *r, const char *message)
{
	if (json)
		response_send_error(req, status, error, message);
	else
		reg_page(req, t, status, r, message);
}

/* What is wrong with r, or NULL; why[] holds a password rule's reason. */
static const char *problem(h2o_req_t *req, app_thread *t, const struct reg_form *r, char *why, size_t whylen)
{
	size_t n = r->password ? strlen(r->password) : 0;

	if (!r->username || !store_username_valid(r->username))
		return "Choose a username of 1 to 64 letters, digits and . _ @ + -.";
	if (!r->email || !store_email_valid(r->email))
		return "Enter an email address such as name@example.com.";
	if (r->name && r->name[0] && !store_fullname_valid(r->name))
		return "The full name is too long or holds a control character.";
	if (!r->password || (r->password2 && strcmp(r->password, r->password2) != 0))
		return "The two passwords differ.";
	if (n > PASSWORD_MAX_LEN || !password_valid(r->password, n))
		return "The password is too long or not text.";
	return account_policy(req, t, r->username, r->password, why, whylen);
}

/* In one transaction: the user, the verification link and its mail. */
static store_err reg_apply(app_thread *t, struct store_user *u, int64_t now, const char *lang)
{
	char text[SECRET_TEXT_LEN + 1];
	struct store_link l;
	store_err e;

	store_err e2;

	if (account_new_link(t, "verify", u->id, u->email, now, ACCOUNT_VERIFY_TTL, text, &l))
		return STORE_NOMEM;
	if ((e = store_tx_begin(t->db)) != STORE_OK)
		return e;
	if ((e = store_user_put(t->db, u)) == STORE_OK)
		e = account_queue_link(t, &l, text, "register", u, "/verify-email", now, lang);
	e2 = store_tx_end(t->db, e == STORE_OK);
	explicit_bzero(text, sizeof text);
	if (e == STORE_OK && (e = e2) == STORE_OK && t->app->mail)
		mailer_kick(t->app->mail);
	return e;
}

/* The JSON answer of /auth/register: who was made (never the hash), or NULL out of memory. */
static cJSON *created(const struct store_user *u)
{
	cJSON *o = cJSON_CreateObject();

	if (o && (!cJSON_AddStringToObject(o, "user_id", u->id) ||
	          !cJSON_AddStringToObject(o, "username", u->username) ||
	          !cJSON_AddStringToObject(o, "email", u->email) ||
	          !cJSON_AddFalseToObject(o, "email_verified"))) {
		cJSON_Delete(o);
		o = NULL;
	}
	return o;
}

static void reg_done(struct newpass *n, h2o_req_t *req, int ok)
{
	struct reg_job *j = (struct reg_job *)n;
	app_thread *t = n->t;
	store_err e = STORE_NOMEM;

	memcpy(j->u.password_hash, n->hash, sizeof j->u.password_hash);
	j->u.created_at = app_now();
	if (ok && secret_uuid(&t->rng, j->u.id) == 0)
		e = reg_apply(t, &j->u, j->u.created_at, j->lang);
	if (e == STORE_OK)
		audit_req(req, "user.created", "info", NULL, j->u.id, j->u.username,
		          (reqlog_field[]){{"by", "registration", 0}}, 1);
	if (!req)
		return;
	if (e == STORE_CONFLICT)
		refuse(req, t, j->json, 409, "username_taken",
		       &(struct reg_form){.username = j->u.username, .email = j->u.email, .name = j->u.name},
		       TAKEN);
	else if (e != STORE_OK)
		j->json ? response_send_error(req, 503, "temporarily_unavailable", "retry later")
		        : page_unavailable(req);
	else if (j->json)
		response_send_cjson(req, 201, created(&j->u));
	else
		page_error(req, 200, "Check your mail",
		           t->app->cfg->registration_verified
		               ? "Your account is made. Open the link we mailed you to confirm your address; "
		                 "then you "
		                 "can sign in."
		               : "Your account is made, and you can sign in now. Open the link we mailed you "
		                 "to confirm "
		                 "your address.");
}

/* Check r and hand the password to the pool; reg_done answers. */
static void reg_start(h2o_req_t *req, app_thread *t, const struct reg_form *r, int json)
{
	char why[256];
	const char *bad = problem(req, t, r, why, sizeof why);
	struct reg_job *j;

	if (bad) {
		refuse(req, t, json, 400, "invalid_request", r, bad);
		return;
	}
	if (!(j = (struct reg_job *)newpass_new(t, sizeof *j, r->password, reg_done))) {
		refuse(req, t, json, 503, "temporarily_unavailable", r, "The server is busy; try again.");
		return;
	}
	j->json = json;
	snprintf(j->lang, sizeof j->lang, "%s", i18n_tag(page_lang(req))); /* its mail's */
	snprintf(j->u.username, sizeof j->u.username, "%s", r->username);
	snprintf(j->u.email, sizeof j->u.email, "%s", r->email);
	snprintf(j->u.name, sizeof j->u.name, "%s", r->name ? r->name : "");
	j->u.verify_required = t->app->cfg->registration_verified;
	if (newpass_start(&j->n, req))
		refuse(req, t, json, 503, "temporarily_unavailable", r, "The server is busy; try again.");
}

/* see endpoints.h */
void register_endpoint(h2o_req_t *req, app_thread *t)
{
	int post = h2o_memis(req->method.base, req->method.len, H2O_STRLIT("POST"));
	http_form f;

	if (!t->app->cfg->registration) {
		page_error(req, 404, "Not available",
		           "This server does not take registrations; ask your administrator.");
		return;
	}
	if (account_read_form(req, t, &f, post))
		return;
	if (!post)
		reg_page(req, t, 200, NULL, NULL);
	else if (!account_over_limit(req, t, app_now()))
		reg_start(req, t,
		          &(struct reg_form){.username = http_form_get(&f, "username"),
		                             .email = http_form_get(&f, "email"),
		                             .name = http_form_get(&f, "name"),
		                             .password = http_form_get(&f, "password"),
		                             .password2 = http_form_get(&f, "password2")},
		          0);
}

/* A JSON string member of doc, or NULL (absent, or not a string: *bad set). */
static const char *member(const cJSON *doc, const char *name, int *bad)
{
	const cJSON *m = jose_json_member(doc, name);

	if (m && !cJSON_IsString(m))
		*bad = 1;
	return m && cJSON_IsString(m) ? m->valuestring : NULL;
}

/* see endpoints.h */
void register_json_endpoint(h2o_req_t *req, app_thread *t)
{
	cJSON *doc = NULL;
	struct reg_form r = {0};
	int bad = 0;
	int64_t retry = 0;
	char after[24];

	if (!t->app->cfg->account_json_api || !t->app->cfg->registration) {
		response_send_error(req, 404, "not_found", "no such endpoint");
		return;
	}
	if (jose_json_parse(req->entity.base ? req->entity.base : "", req->entity.len, JOSE_JSON_MAX_DEPTH,
	                    JOSE_E_JWT_INVALID, &doc) != JOSE_OK ||
	    !cJSON_IsObject(doc))
		bad = 1;
	else
		r = (struct reg_form){.username = member(doc, "username", &bad),
		                      .email = member(doc, "email", &bad),
		                      .name = member(doc, "full_name", &bad),
		                      .password = member(doc, "password", &bad)};
	if (bad) {
		response_send_error(
		    req, 400, "invalid_request",
		    "the body must be a JSON object {\"username\",\"email\",\"password\",\"full_name\"}");
	} else if (account_limited(req, t, app_now(), &retry)) {
		snprintf(after, sizeof after, "%lld", (long long)(retry > 0 ? retry : 1));
		response_add_header(req, "retry-after", after);
		response_send_error(req, 429, "temporarily_unavailable",
		                    "too many attempts from this address");
	} else {
		reg_start(req, t, &r, 1);
	}
	if (r.password)
		memset((char *)r.password, 0, strlen(r.password));
	cJSON_Delete(doc);
}
