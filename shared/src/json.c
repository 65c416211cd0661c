/*
 * json.c: strict JSON over cJSON (see jose_json.h).
 *
 * jose_json_validate is a non-recursive RFC 8259 scanner: it bounds depth with a
 * 64-bit stack of container kinds, checks UTF-8 (no overlongs, no surrogates),
 * escapes (no \u0000, paired surrogates) and the number grammar. Only text that
 * passes reaches cJSON, so cJSON's leniencies never decide anything, and a
 * cJSON failure afterwards can only mean it ran out of memory.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef __wasm_simd128__
#include <wasm_simd128.h>
#endif

#include "inner.h"

#if JOSE_JSON_MAX_DEPTH > 64
#error "JOSE_JSON_MAX_DEPTH must fit the scanner's 64-bit container stack"
#endif

/* cJSON copies a number into a 64-byte buffer; longer ones are refused. */
#define NUMBER_MAX 63

typedef struct scan {
	const unsigned char *p, *end;
} scan;

static void skip_ws(scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

static int hex4(scan *s, unsigned *out)
{
	unsigned v = 0;

	if (s->end - s->p < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		unsigned c = *s->p++, d;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			d = (c | 0x20) - 'a' + 10;
		else
			return -1;
		v = v << 4 | d;
	}
	*out = v;
	return 0;
}

/* After a backslash: one escape. \u0000 is refused (it would truncate in C). */
static int scan_escape(scan *s)
{
	unsigned u, lo;

	if (s->p >= s->end)
		return -1;
	switch (*s->p++) {
	case '"':
	case '\\':
	case '/':
	case 'b':
	case 'f':
	case 'n':
	case 'r':
	case 't':
		return 0;
	case 'u':
		break;
	default:
		return -1;
	}
	if (hex4(s, &u) || u == 0 || (u >= 0xDC00 && u <= 0xDFFF))
		return -1;
	if (u < 0xD800 || u > 0xDBFF)
		return 0;
	/* A high surrogate must be followed by an escaped low surrogate. */
	if (s->end - s->p < 2 || s->p[0] != '\\' || s->p[1] != 'u')
		return -1;
	s->p += 2;
	return hex4(s, &lo) || lo < 0xDC00 || lo > 0xDFFF ? -1 : 0;
}

/* One UTF-8 sequence starting with byte c >= 0x80 (already consumed). */
static int scan_utf8(scan *s)
{
	size_t n = jose_utf8_seq(s->p - 1, (size_t)(s->end - s->p) + 1, NULL);

	if (n < 2)
		return -1;
	s->p += n - 1;
	return 0;
}

#ifdef __wasm_simd128__
/*
 * Past whole blocks of 16 string bytes that need no look: printable ASCII other
 * than '"' and '\\'. Stops at the first byte that does, or where fewer than 16 remain.
 */
static const unsigned char *skip_plain(const unsigned char *p, const unsigned char *end)
{
	for (; end - p >= 16; p += 16) {
		v128_t c = wasm_v128_load(p);
		v128_t look = wasm_v128_or(wasm_v128_or(wasm_i8x16_eq(c, wasm_i8x16_splat('"')),
		                                        wasm_i8x16_eq(c, wasm_i8x16_splat('\\'))),
		                           wasm_v128_or(wasm_u8x16_lt(c, wasm_i8x16_splat(0x20)),
		                                        wasm_i8x16_lt(c, wasm_i8x16_splat(0))));
		uint32_t at = wasm_i8x16_bitmask(look);
		if (at)
			return p + __builtin_ctz(at);
	}
	return p;
}
#endif

/* At the opening quote: one string, through its closing quote. */
static int scan_string(scan *s)
{
	s->p++;
	while (s->p < s->end) {
#ifdef __wasm_simd128__
		if ((s->p = skip_plain(s->p, s->end)) == s->end)
			break;
#endif
		unsigned c = *s->p++;
		if (c == '"')
			return 0;
		if (c < 0x20)
			return -1;
		if (c == '\\' ? scan_escape(s) : c >= 0x80 ? scan_utf8(s) : 0)
			return -1;
	}
	return -1;
}

static int digits(scan *s)
{
	const unsigned char *start = s->p;

	while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
		s->p++;
	return s->p > start ? 0 : -1;
}

/* -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)? */
static int scan_number(scan *s)
{
	const unsigned char *start = s->p;

	if (*s->p == '-')
		s->p++;
	if (s->p < s->end && *s->p == '0')
		s->p++;
	else if (digits(s))
		return -1;
	if (s->p < s->end && *s->p == '.') {
		s->p++;
		if (digits(s))
			return -1;
	}
	if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
		s->p++;
		if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
			s->p++;
		if (digits(s))
			return -1;
	}
	return s->p - start <= NUMBER_MAX ? 0 : -1;
}

static int scan_literal(scan *s, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
		return -1;
	s->p += n;
	return 0;
}

/* One scalar value (string, number, literal) at s->p. */
static int scan_scalar(scan *s)
{
	switch (*s->p) {
	case '"':
		return scan_string(s);
	case 't':
		return scan_literal(s, "true");
	case 'f':
		return scan_literal(s, "false");
	case 'n':
		return scan_literal(s, "null");
	default:
		return (*s->p == '-' || (*s->p >= '0' && *s->p <= '9')) ? scan_number(s) : -1;
	}
}

enum { VALUE, VALUE_OR_CLOSE, KEY, KEY_OR_CLOSE, AFTER };

/* One top-level member as spelled in the text. */
typedef struct member {
	const unsigned char *name, *value;
	size_t name_len, value_len;
} member;

/*
 * Top-level members jose_json_parse_members compares by their spelling; an
 * object with more, or with an escaped name, is parsed whole instead.
 */
#define MEMBERS_BY_SPELLING 64

/* What the scanner notes of a top-level object's members while it validates. */
typedef struct members {
	member m[MEMBERS_BY_SPELLING];
	size_t n;
	int whole; /* too many members or an escaped name: parse the text whole */
} members;

static void note_name(members *r, const unsigned char *quote, const unsigned char *end)
{
	member *m = &r->m[r->n];

	if (r->whole || r->n == MEMBERS_BY_SPELLING) {
		r->whole = 1;
		return;
	}
	m->name = quote + 1;
	m->name_len = (size_t)(end - 1 - m->name);
	r->whole = memchr(m->name, '\\', m->name_len) != NULL;
}

static void note_value(members *r, const unsigned char *start, const unsigned char *end)
{
	if (r->whole)
		return;
	r->m[r->n].value = start;
	r->m[r->n++].value_len = (size_t)(end - start);
}

/*
 * The scanner of jose_json_validate; with r, it also notes the name and value
 * spans of the members of a top-level object.
 */
static int validate(const char *text, size_t len, unsigned max_depth, members *r)
{
	scan s = {(const unsigned char *)text, (const unsigned char *)text + len};
	const unsigned char *value = NULL; /* where the current top-level member's value starts */
	uint64_t objects = 0;              /* bit d set: the container at depth d+1 is an object */
	unsigned depth = 0;
	int state = VALUE;

	if (!text || max_depth > 64)
		return -1;
	for (;;) {
		skip_ws(&s);
		if (state == AFTER && depth == 0)
			return s.p == s.end ? 0 : -1;
		if (s.p == s.end)
			return -1;
		int in_obj = depth && (objects >> (depth - 1) & 1), top = r && depth == 1 && (objects & 1);
		unsigned c = *s.p;
		if (state == AFTER) {
			if (c == ',') {
				s.p++;
				state = in_obj ? KEY : VALUE;
			} else if (c == (in_obj ? '}' : ']')) {
				s.p++;
				if (--depth == 1 && r && (objects & 1))
					note_value(r, value, s.p);
			} else {
				return -1;
			}
		} else if ((state == KEY_OR_CLOSE && c == '}') || (state == VALUE_OR_CLOSE && c == ']')) {
			s.p++;
			state = AFTER;
			if (--depth == 1 && r && (objects & 1))
				note_value(r, value, s.p);
		} else if (state == KEY || state == KEY_OR_CLOSE) {
			const unsigned char *quote = s.p;
			if (c != '"' || scan_string(&s))
				return -1;
			if (top)
				note_name(r, quote, s.p);
			skip_ws(&s);
			if (s.p == s.end || *s.p++ != ':')
				return -1;
			state = VALUE;
		} else if (c == '{' || c == '[') {
			if (depth == max_depth)
				return -1;
			value = top ? s.p : value;
			objects = (objects & ~(UINT64_C(1) << depth)) | ((uint64_t)(c == '{') << depth);
			depth++;
			s.p++;
			state = c == '{' ? KEY_OR_CLOSE : VALUE_OR_CLOSE;
		} else {
			const unsigned char *start = s.p;
			if (scan_scalar(&s))
				return -1;
			state = AFTER;
			if (top)
				note_value(r, start, s.p);
		}
	}
}

/* see jose_json.h */
int jose_json_validate(const char *text, size_t len, unsigned max_depth)
{
	return validate(text, len, max_depth, NULL);
}

/* Duplicate member names (at any depth, bounded by the validated depth). */
static int has_duplicates(const cJSON *item)
{
	size_t n = 0;

	for (const cJSON *c = item->child; c; c = c->next, n++) {
		if (cJSON_IsObject(item)) {
			if (n >= JOSE_JSON_MAX_MEMBERS)
				return 1;
			for (const cJSON *d = item->child; d != c; d = d->next)
				if (c->string[0] == d->string[0] && strcmp(c->string, d->string) == 0)
					return 1;
		}
		if ((cJSON_IsObject(c) || cJSON_IsArray(c)) && has_duplicates(c))
			return 1;
	}
	return 0;
}

/* see jose_json.h */
jose_err jose_json_parse(const char *text, size_t len, unsigned max_depth, jose_err bad_input, cJSON **out)
{
	cJSON *root;

	if (!out)
		return JOSE_E_ARG;
	*out = NULL;
	if (jose_json_validate(text, len, max_depth))
		return bad_input;
	root = cJSON_ParseWithLengthOpts(text, len, NULL, 0);
	if (!root)
		return JOSE_E_NOMEM; /* the text was valid: only allocation can fail */
	if (has_duplicates(root)) {
		cJSON_Delete(root);
		return bad_input;
	}
	*out = root;
	return JOSE_OK;
}

/* A string without escapes made from its text, as cJSON would parse it; NULL otherwise (or out of memory). */
static cJSON *plain_string(const member *m)
{
	size_t n = m->value_len - 1; /* the text and its closing quote */
	cJSON *item;
	char *text;

	if (*m->value != '"' || memchr(m->value + 1, '\\', --n) || !(text = cJSON_malloc(n + 1)))
		return NULL;
	if (!(item = cJSON_CreateNull())) {
		cJSON_free(text);
		return NULL;
	}
	memcpy(text, m->value + 1, n);
	text[n] = 0;
	item->type = cJSON_String;
	item->valuestring = text;
	return item;
}

/*
 * Add m's value to root when kept. A value holding an object gets jose_json_parse's
 * whole check either way: only objects can repeat a name.
 */
static jose_err add_member(cJSON *root, const member *m, int kept, unsigned max_depth, jose_err bad_input)
{
	cJSON *item = NULL;
	char *name;

	if ((*m->value == '{' || *m->value == '[') && memchr(m->value, '{', m->value_len)) {
		jose_err err =
		    jose_json_parse((const char *)m->value, m->value_len, max_depth, bad_input, &item);
		if (err != JOSE_OK || !kept) {
			cJSON_Delete(item);
			return err;
		}
	} else if (!kept) {
		return JOSE_OK;
	} else if (!(item = plain_string(m)) &&
	           !(item = cJSON_ParseWithLengthOpts((const char *)m->value, m->value_len, NULL, 0))) {
		return JOSE_E_NOMEM;
	}
	if (!(name = cJSON_malloc(m->name_len + 1))) {
		cJSON_Delete(item);
		return JOSE_E_NOMEM;
	}
	memcpy(name, m->name, m->name_len);
	name[m->name_len] = 0;
	item->string = name;
	cJSON_AddItemToArray(root, item);
	return JOSE_OK;
}

/* Each noted member, kept as keep says, once its name is known not to repeat. */
static jose_err object_members(const members *r, unsigned max_depth, jose_err bad_input,
                               int (*keep)(void *ctx, const char *name, size_t len), void *ctx, cJSON *root)
{
	jose_err err = JOSE_OK;

	for (size_t i = 0; i < r->n && err == JOSE_OK; i++) {
		const member *m = &r->m[i];
		for (size_t j = 0; j < i; j++)
			if (r->m[j].name_len == m->name_len &&
			    memcmp(r->m[j].name, m->name, m->name_len) == 0)
				return bad_input;
		err =
		    add_member(root, m, keep(ctx, (const char *)m->name, m->name_len), max_depth, bad_input);
	}
	return err;
}

/* The object text parsed whole (names with escapes, many members), then the members not kept dropped. */
static jose_err whole_members(const char *text, size_t len, unsigned max_depth, jose_err bad_input,
                              int (*keep)(void *ctx, const char *name, size_t len), void *ctx, cJSON **out)
{
	jose_err err = jose_json_parse(text, len, max_depth, bad_input, out);
	cJSON *c = err == JOSE_OK ? (*out)->child : NULL, *next;

	for (; c; c = next) {
		next = c->next;
		if (!keep(ctx, c->string, strlen(c->string)))
			cJSON_Delete(cJSON_DetachItemViaPointer(*out, c));
	}
	return err;
}

/* see jose_json.h */
jose_err jose_json_parse_members(const char *text, size_t len, unsigned max_depth, jose_err bad_input,
                                 int (*keep)(void *ctx, const char *name, size_t len), void *ctx, cJSON **out)
{
	members r;
	size_t lead = 0;
	cJSON *root;
	jose_err err;

	if (!out || !keep)
		return JOSE_E_ARG;
	*out = NULL;
	r.n = 0, r.whole = 0;
	if (validate(text, len, max_depth, &r))
		return bad_input;
	while (text[lead] == ' ' || text[lead] == '\t' || text[lead] == '\n' || text[lead] == '\r')
		lead++; /* valid text holds a value after its leading white space */
	if (text[lead] != '{')
		return jose_json_parse(text, len, max_depth, bad_input, out);
	if (r.whole)
		return whole_members(text, len, max_depth, bad_input, keep, ctx, out);
	if (!(root = cJSON_CreateObject()))
		return JOSE_E_NOMEM;
	err = object_members(&r, max_depth, bad_input, keep, ctx, root);
	if (err != JOSE_OK)
		cJSON_Delete(root);
	else
		*out = root;
	return err;
}

/* see jose_json.h */
const cJSON *jose_json_member(const cJSON *obj, const char *name)
{
	if (!cJSON_IsObject(obj))
		return NULL;
	return cJSON_GetObjectItemCaseSensitive(obj, name);
}

/* see jose_json.h */
const char *jose_json_string(const cJSON *obj, const char *name)
{
	const cJSON *m = jose_json_member(obj, name);

	return cJSON_IsString(m) ? m->valuestring : NULL;
}

/* see jose_json.h */
int jose_json_numericdate(const cJSON *obj, const char *name, double *out)
{
	const cJSON *m = jose_json_member(obj, name);

	if (!m)
		return 0;
	if (!cJSON_IsNumber(m) || !isfinite(m->valuedouble) || fabs(m->valuedouble) > JOSE_NUMERICDATE_MAX)
		return -1;
	*out = m->valuedouble;
	return 1;
}

/* Replace every number under item by a raw node holding its exact spelling. */
static int exact_numbers(cJSON *item)
{
	for (cJSON *c = item->child; c; c = c->next) {
		if (cJSON_IsNumber(c) && isfinite(c->valuedouble)) {
			char buf[32], *raw;
			for (int prec = 15; prec <= 17; prec++) {
				snprintf(buf, sizeof buf, "%.*g", prec, c->valuedouble);
				if (strtod(buf, NULL) == c->valuedouble)
					break;
			}
			if (!(raw = malloc(strlen(buf) + 1)))
				return -1;
			strcpy(raw, buf);
			c->type = cJSON_Raw;
			c->valuestring = raw;
		} else if ((cJSON_IsObject(c) || cJSON_IsArray(c)) && exact_numbers(c)) {
			return -1;
		}
	}
	return 0;
}

/* see jose_json.h */
char *jose_json_print(const cJSON *item)
{
	cJSON *copy = cJSON_Duplicate(item, 1), wrap = {0};
	char *out = NULL;

	if (!copy)
		return NULL;
	wrap.type = cJSON_Array;
	wrap.child = copy;
	if (exact_numbers(&wrap) == 0)
		out = cJSON_PrintUnformatted(copy);
	cJSON_Delete(copy);
	return out;
}
