/*
 * verify.c: the legacy POST /verify {"token","aud"}: {"valid":true,"claims":{...}}
 * or 401 {"valid":false,"error":...} for a token this issuer signed (judge.h),
 * the answer the services this issuer replaces expect.
 *
 * It vouches for access tokens only (RFC 8725 §3.11, explicit typing): typ at+jwt
 * (RFC 9068), or typ JWT or none without auth_time (the legacy JSON /token's and
 * legacy callers' shape). An ID token (typ JWT with auth_time) is refused, unless the caller asks for a typ
 * ({"typ":"JWT"}): then exactly that typ is required.
 */
#include <strings.h>
#include <string.h>

#include "jose_json.h"
#include "oauth/endpoints.h"
#include "oauth/judge.h"
#include "oauth/oauth.h"

/* typ with an optional "application/" prefix, compared without regard to case (RFC 7515 §4.1.9). */
static int typ_is(const char *typ, const char *want)
{
	if (!typ)
		return 0;
	if (strncasecmp(typ, "application/", 12) == 0)
		typ += 12;
	return strcasecmp(typ, want) == 0;
}

/* A valid token's typ against what /verify vouches for (see above): 1 when refused
 * (v then says why), else 0. */
static int wrong_typ(struct judge_verdict *v, const char *want)
{
	const char *typ = jose_json_string(v->jwt.header, "typ");
	int ok = want ? typ_is(typ, want)
	              : typ_is(typ, "at+jwt") ||
	                    ((!typ || typ_is(typ, "JWT")) && !jose_json_member(v->jwt.payload, "auth_time"));

	if (ok)
		return 0;
	v->code = "ERR_JWT_CLAIM_VALIDATION_FAILED";
	v->message = want ? "unexpected \"typ\" JWT header value"
	                  : "not an access token (typ at+jwt): an ID token is not accepted here";
	v->why.claim = "typ";
	return 1;
}

/* see endpoints.h */
void verify_endpoint(h2o_req_t *req, app_thread *t)
{
	cJSON *doc = NULL, *out;
	const char *token, *aud = NULL, *want = NULL;
	const cJSON *a, *w;
	struct judge_verdict v = {0};

	if (jose_json_parse(req->entity.base ? req->entity.base : "", req->entity.len, JOSE_JSON_MAX_DEPTH,
	                    JOSE_E_JWT_INVALID, &doc) != JOSE_OK ||
	    !cJSON_IsObject(doc) || !(token = jose_json_string(doc, "token")) ||
	    ((a = jose_json_member(doc, "aud")) && !(aud = jose_json_string(doc, "aud"))) ||
	    ((w = jose_json_member(doc, "typ")) && !(want = jose_json_string(doc, "typ")))) {
		response_send_json(
		    req, 400,
		    H2O_STRLIT("{\"valid\":false,\"error\":\"invalid_request\",\"message\":\"the body "
		               "must be a JSON object {\\\"token\\\":…,\\\"aud\\\":…}\"}"));
		goto out;
	}
	judge_token(t, token, strlen(token), aud, 1, &v);
	if (!v.code && !v.unavailable && wrong_typ(&v, want))
		metrics_verify_failure(t->app->metrics, t->index, v.code);
	if (v.unavailable) {
		oauth_store_unavailable(req);
		goto out;
	}
	out = cJSON_CreateObject();
	cJSON_AddBoolToObject(out, "valid", !v.code);
	if (v.code) {
		cJSON_AddStringToObject(out, "error", v.code);
		cJSON_AddStringToObject(out, "message", v.message);
		if (v.why.claim)
			cJSON_AddStringToObject(out, "claim", v.why.claim);
	} else {
		cJSON_AddItemToObject(out, "claims", v.jwt.payload);
		v.jwt.payload = NULL;
	}
	response_send_cjson(req, v.code ? 401 : 200, out);
out:
	jose_jwt_clear(&v.jwt);
	cJSON_Delete(doc);
}
