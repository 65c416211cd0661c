/*
 * fuzz_json.c: libFuzzer target for the strict JSON layer (jose_json.h). The
 * whole input is the text.
 *
 * Promises checked: jose_json_validate and jose_json_parse agree (parse
 * succeeds only on text the validator accepts; text the validator refuses is
 * the caller's bad_input verdict, never anything else); a deeper limit never
 * refuses what a shallower one accepted; whatever parses prints
 * (jose_json_print), the print parses again (round trip) and printing that
 * gives the same bytes (the print is a fixed point); reading NumericDates never
 * misbehaves on any member.
 *
 * One documented loss is allowed in the round trip: a number too large for a
 * double (1e400) parses as infinity, which cJSON prints as null. Neither can
 * ever be a NumericDate, so no verdict changes; fuzz_same_json(…, 1) accepts
 * exactly that.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "jose.h"

/* Read every member of every object as a NumericDate (bounds and type rules only). */
static void walk(const cJSON *item, unsigned depth)
{
	const cJSON *c;

	FUZZ_CHECK(depth <= JOSE_JSON_MAX_DEPTH + 1, "tree deeper than the validated depth");
	cJSON_ArrayForEach(c, item)
	{
		if (cJSON_IsObject(item) && c->string) {
			double v = 0;
			int r = jose_json_numericdate(item, c->string, &v);
			FUZZ_CHECK(r == 1 || r == -1, "member \"%s\" present but numericdate says %d",
			           c->string, r);
			if (r == 1)
				FUZZ_CHECK(v == v && v <= JOSE_NUMERICDATE_MAX && v >= -JOSE_NUMERICDATE_MAX,
				           "numericdate out of range");
			FUZZ_CHECK(jose_json_member(item, c->string) != NULL, "member lookup lost \"%s\"",
			           c->string);
		}
		walk(c, depth + 1);
	}
}

/* A keep of jose_json_parse_members: names of even length (half of them, any spelling). */
static int even_names(void *ctx, const char *name, size_t len)
{
	(void)ctx, (void)name;
	return len % 2 == 0;
}

/* parse_members against the whole tree root (NULL when parse refused the text with verdict e). */
static void members_agree(const char *text, size_t size, jose_err e, const cJSON *root)
{
	cJSON *part = NULL;
	jose_err pe = jose_json_parse_members(text, size, JOSE_JSON_MAX_DEPTH, JOSE_E_JWS_INVALID, even_names,
	                                      NULL, &part);
	const cJSON *c;

	if (pe == JOSE_E_NOMEM || e == JOSE_E_NOMEM)
		goto out;
	FUZZ_CHECK(pe == e, "parse_members says %s, parse says %s", jose_err_code(pe), jose_err_code(e));
	if (pe != JOSE_OK || !cJSON_IsObject(root))
		goto out;
	cJSON_ArrayForEach(c, root)
	{
		const cJSON *kept = cJSON_GetObjectItemCaseSensitive(part, c->string);
		if (strlen(c->string) % 2 == 0)
			FUZZ_CHECK(kept && fuzz_same_json(c, kept, 0), "parse_members changed member \"%s\"",
			           c->string);
		else
			FUZZ_CHECK(!kept, "parse_members kept member \"%s\"", c->string);
	}
out:
	cJSON_Delete(part);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	int valid = jose_json_validate(text, size, JOSE_JSON_MAX_DEPTH);
	int valid64 = jose_json_validate(text, size, 64);
	cJSON *root = (cJSON *)1, *again = NULL;
	char *printed = NULL, *reprinted = NULL;
	jose_err e;

	FUZZ_CHECK(valid == 0 || valid == -1, "validate returned %d", valid);
	FUZZ_CHECK(valid != 0 || valid64 == 0, "depth 64 refuses what depth %d accepts", JOSE_JSON_MAX_DEPTH);
	e = jose_json_parse(text, size, JOSE_JSON_MAX_DEPTH, JOSE_E_JWS_INVALID, &root);
	FUZZ_CHECK(e == JOSE_OK || e == JOSE_E_JWS_INVALID || e == JOSE_E_NOMEM, "parse returned %s",
	           jose_err_code(e));
	FUZZ_CHECK((e == JOSE_OK) == (root != NULL), "parse: %s with root %p", jose_err_code(e),
	           (void *)root);
	if (valid != 0)
		FUZZ_CHECK(e == JOSE_E_JWS_INVALID, "validator refuses, parse says %s", jose_err_code(e));
	members_agree(text, size, e, e == JOSE_OK ? root : NULL);
	if (e != JOSE_OK)
		return 0;
	FUZZ_CHECK(valid == 0, "parse accepted text the validator refuses");
	walk(root, 1);

	printed = jose_json_print(root);
	if (!printed) /* out of memory only */
		goto out;
	FUZZ_CHECK(jose_json_validate(printed, strlen(printed), JOSE_JSON_MAX_DEPTH) == 0,
	           "printed text is not strict JSON: %s", printed);
	e = jose_json_parse(printed, strlen(printed), JOSE_JSON_MAX_DEPTH, JOSE_E_JWS_INVALID, &again);
	FUZZ_CHECK(e == JOSE_OK || e == JOSE_E_NOMEM, "printed text does not parse again (%s): %s",
	           jose_err_code(e), printed);
	if (e != JOSE_OK)
		goto out;
	FUZZ_CHECK(fuzz_same_json(root, again, 1), "round trip changed the tree: %s", printed);
	reprinted = jose_json_print(again);
	if (reprinted)
		FUZZ_CHECK(strcmp(printed, reprinted) == 0, "print is not a fixed point:\n  %s\n  %s",
		           printed, reprinted);
out:
	cJSON_free(printed);
	cJSON_free(reprinted);
	cJSON_Delete(again);
	cJSON_Delete(root);
	return 0;
}
