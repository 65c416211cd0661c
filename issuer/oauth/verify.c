/*
 * verify.c: the legacy POST /verify {"token","aud"}: {"valid":true,"claims":{...}}
 * or 401 {"valid":false,"error":...} for a token this issuer signed (judge.h),
 * the answer the services this issuer replaces expect.
 */
#include <string.h>

#include "jose_json.h"
#include "oauth/endpoints.h"
#include "oauth/judge.h"
#include "oauth/oauth.h"

/* see endpoints.h */
void verify_endpoint(h2o_req_t *req, app_thread *t)
{
	cJSON *doc = NULL, *out;
	const char *token, *aud = NULL;
	const cJSON *a;
	struct judge_verdict v = {0};

	if (jose_json_parse(req->entity.base ? req->entity.base : "", req->entity.len, JOSE_JSON_MAX_DEPTH,
	                    JOSE_E_JWT_INVALID, &doc) != JOSE_OK ||
	    !cJSON_IsObject(doc) || !(token = jose_json_string(doc, "token")) ||
	    ((a = jose_json_member(doc, "aud")) && !(aud = jose_json_string(doc, "aud")))) {
		response_send_json(
		    req, 400,
		    H2O_STRLIT("{\"valid\":false,\"error\":\"invalid_request\",\"message\":\"the body "
		               "must be a JSON object {\\\"token\\\":…,\\\"aud\\\":…}\"}"));
		goto out;
	}
	judge_token(t, token, strlen(token), aud, 1, &v);
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
