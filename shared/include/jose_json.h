/*
 * jose_json.h: strict JSON for JOSE objects, over cJSON.
 *
 * cJSON alone is lenient (leading zeros, "1.", trailing bytes, duplicate member
 * names, embedded \u0000 that silently truncates a string, any nesting depth).
 * jose_json_parse first validates the text against RFC 8259 with a small
 * non-recursive scanner (UTF-8 checked, depth capped, \u0000 refused), then lets
 * cJSON build the tree and refuses duplicate member names at any level. A
 * header with two "alg" members, or a kid that truncates at NUL, never reaches
 * a decision. Member lookup is case-sensitive.
 */
#ifndef JOSE_JSON_H
#define JOSE_JSON_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "jose_err.h"

/* Deepest nesting of arrays/objects accepted (a top-level object is depth 1). */
#ifndef JOSE_JSON_MAX_DEPTH
#define JOSE_JSON_MAX_DEPTH 16
#endif

/* Most members one object may have (bounds the duplicate-name check). */
#ifndef JOSE_JSON_MAX_MEMBERS
#define JOSE_JSON_MAX_MEMBERS 1024
#endif

/* Largest |NumericDate| accepted: 2^53 - 1, the largest exact integer in a double. */
#define JOSE_NUMERICDATE_MAX 9007199254740991.0

/*
 * Check text[0..len) is one strict JSON value within max_depth. Returns 0 when
 * it is, -1 otherwise. Never allocates, never recurses.
 */
int jose_json_validate(const char *text, size_t len, unsigned max_depth);

/*
 * Parse text[0..len) strictly (see above) into a new cJSON tree in *out, to be
 * freed with cJSON_Delete. Returns JOSE_OK, JOSE_E_NOMEM, or bad_input (the
 * verdict the caller wants for malformed JSON, e.g. JOSE_E_JWS_INVALID).
 */
jose_err jose_json_parse(const char *text, size_t len, unsigned max_depth, jose_err bad_input, cJSON **out);

/*
 * jose_json_parse with the same verdict for every text, for a caller that
 * reads only some top-level members: when the text is an object, *out holds
 * only the members keep(ctx, name, name_len) selects (name decoded, as cJSON
 * has it). The others are checked but, unless a name is escaped or the object
 * has more than 64 members, never built, so it costs less than the whole
 * tree. Any other value is parsed whole.
 */
jose_err jose_json_parse_members(const char *text, size_t len, unsigned max_depth, jose_err bad_input,
                                 int (*keep)(void *ctx, const char *name, size_t len), void *ctx,
                                 cJSON **out);

/* The member of object obj named exactly name (case-sensitive), or NULL. */
const cJSON *jose_json_member(const cJSON *obj, const char *name);

/* The string value of member name, or NULL when absent or not a string. */
const char *jose_json_string(const cJSON *obj, const char *name);

/*
 * Read a NumericDate (RFC 7519 §2): a JSON number, finite, |v| <= 2^53-1.
 * Returns 1 and stores it in *out; 0 when the member is absent; -1 when it is
 * present but not such a number (a string "exp" is -1, never parsed).
 */
int jose_json_numericdate(const cJSON *obj, const char *name, double *out);

/*
 * Print item as compact JSON into a new string (free with cJSON_free), with
 * every number in the shortest form that reads back to the same double:
 * cJSON's own printer rounds some (9007199254740991 prints as …990).
 * Returns NULL when out of memory.
 */
char *jose_json_print(const cJSON *item);

#endif
