/*
 * claims.c: a person's claims by scope (see claims.h).
 */
#include <string.h>

#include "oauth/claims.h"
#include "oauth/scope.h"

/* see claims.h */
int claims_add_groups(cJSON *doc, const char *groups)
{
	cJSON *arr = cJSON_AddArrayToObject(doc, "groups");

	for (const char *p = groups; arr && *p;) {
		size_t n = strcspn(p, "\n");
		char g[STORE_GROUPS_MAX + 1];
		cJSON *item;

		memcpy(g, p, n);
		g[n] = '\0';
		if (!(item = cJSON_CreateString(g)) || !cJSON_AddItemToArray(arr, item)) {
			cJSON_Delete(item);
			return -1;
		}
		p += n + (p[n] == '\n');
	}
	return arr ? 0 : -1;
}

/* see claims.h */
int claims_add_user(cJSON *doc, const struct store_user *u, const char *scope)
{
	if (scope_allowed("profile", scope) &&
	    (!cJSON_AddStringToObject(doc, "preferred_username", u->username) ||
	     (u->name[0] && !cJSON_AddStringToObject(doc, "name", u->name))))
		return -1;
	if (scope_allowed("email", scope) && u->email[0] &&
	    (!cJSON_AddStringToObject(doc, "email", u->email) ||
	     !cJSON_AddBoolToObject(doc, "email_verified", u->email_verified)))
		return -1;
	if (scope_allowed("groups", scope) && claims_add_groups(doc, u->groups))
		return -1;
	return 0;
}
