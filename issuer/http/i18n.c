/*
 * i18n.c: the message catalogs and the choice of a language (see i18n.h). The
 * catalogs are parsed once, strictly (jose_json: duplicate keys refused), and
 * never change after; a lookup never fails to something empty: a missing message
 * falls back to English. Request headers are read within their length only.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/i18n.h"
#include "jose_json.h"

/* An embedded catalog of www/i18n/ (name: its tag). */
struct i18n_file {
	const char *name;
	const unsigned char *data;
	size_t len;
};

/* i18n_files[]: generated from www/i18n/ by the Makefile. */
#include "www_i18n.inc"

/* A loaded catalog. */
struct catalog {
	char tag[I18N_TAG_MAX + 1];
	cJSON *root; /* the object of messages */
	int one_le1; /* _plural "n<=1": "one" for 0 and 1 */
};

static struct catalog langs[I18N_MAX_LANGS] = {{"en", NULL, 0}};
static int nlangs = 1;
static char tags[I18N_MAX_LANGS * (I18N_TAG_MAX + 1)] = "en";
static char load_err[256];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static int key_valid(const char *k)
{
	size_t n = strlen(k);

	return n >= 1 && n <= I18N_KEY_MAX && strspn(k, "abcdefghijklmnopqrstuvwxyz0123456789_.-") == n;
}

/* 0 when m is a message: a string, or an object of "one" and "other" strings. */
static int message_valid(const cJSON *m)
{
	const cJSON *f;

	if (cJSON_IsString(m))
		return 0;
	if (!cJSON_IsObject(m) || !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(m, "other")))
		return -1;
	cJSON_ArrayForEach(f, m) if (!cJSON_IsString(f) ||
	                             (strcmp(f->string, "one") && strcmp(f->string, "other"))) return -1;
	return 0;
}

/* Check catalog c (tag) against English (en, NULL when c is English); 0 or -1 with err. */
static int catalog_check(struct catalog *c, const cJSON *en)
{
	const cJSON *m, *plural = cJSON_GetObjectItemCaseSensitive(c->root, "_plural");

	if (plural && (!cJSON_IsString(plural) ||
	               (strcmp(plural->valuestring, "n==1") && strcmp(plural->valuestring, "n<=1"))))
		return snprintf(load_err, sizeof load_err, "%.35s.json: _plural is not \"n==1\" or \"n<=1\"",
		                c->tag),
		       -1;
	c->one_le1 = plural && strcmp(plural->valuestring, "n<=1") == 0;
	cJSON_ArrayForEach(m, c->root)
	{
		if (m->string[0] == '_')
			continue;
		if (!key_valid(m->string) || message_valid(m))
			return snprintf(load_err, sizeof load_err, "%.35s.json: \"%.64s\" is no message",
			                c->tag, m->string),
			       -1;
		if (en && !cJSON_GetObjectItemCaseSensitive(en, m->string))
			return snprintf(load_err, sizeof load_err, "%.35s.json: \"%.64s\" is not in en.json",
			                c->tag, m->string),
			       -1;
	}
	return 0;
}

/* Parse file f into c; 0 or -1 with err. */
static int catalog_parse(const struct i18n_file *f, struct catalog *c)
{
	size_t n = strlen(f->name);

	if (n == 0 || n > I18N_TAG_MAX || strspn(f->name, "abcdefghijklmnopqrstuvwxyz-") != n)
		return snprintf(load_err, sizeof load_err, "%.40s.json: not a lower-case language tag",
		                f->name),
		       -1;
	snprintf(c->tag, sizeof c->tag, "%s", f->name);
	if (jose_json_parse((const char *)f->data, f->len, 4, JOSE_E_JWT_INVALID, &c->root) != JOSE_OK ||
	    !cJSON_IsObject(c->root))
		return snprintf(load_err, sizeof load_err, "%.35s.json: not a JSON object", c->tag), -1;
	return 0;
}

static void load(void)
{
	struct catalog tmp[I18N_MAX_LANGS];
	size_t nf = sizeof i18n_files / sizeof i18n_files[0];
	int n = 1, en = -1;

	memset(tmp, 0, sizeof tmp);
	if (nf > I18N_MAX_LANGS)
		return (void)snprintf(load_err, sizeof load_err, "more than %d catalogs", I18N_MAX_LANGS);
	for (size_t i = 0; i < nf; i++) {
		int at = strcmp(i18n_files[i].name, "en") == 0 ? 0 : n++;
		if (at == 0)
			en = 0;
		if (catalog_parse(&i18n_files[i], &tmp[at]))
			goto fail;
	}
	if (en < 0) {
		snprintf(load_err, sizeof load_err, "www/i18n/en.json is missing");
		goto fail;
	}
	for (int i = 0; i < n; i++)
		if (catalog_check(&tmp[i], i ? tmp[0].root : NULL))
			goto fail;
	memcpy(langs, tmp, sizeof tmp);
	nlangs = n;
	for (int i = 1; i < n; i++)
		strcat(strcat(tags, ","), langs[i].tag);
	return;
fail:
	for (int i = 0; i < I18N_MAX_LANGS; i++)
		cJSON_Delete(tmp[i].root);
}

/* see i18n.h */
int i18n_init(char *err, size_t errlen)
{
	pthread_once(&once, load);
	if (load_err[0] && err && errlen)
		snprintf(err, errlen, "%s", load_err);
	return load_err[0] ? -1 : 0;
}

/* see i18n.h */
int i18n_count(void)
{
	i18n_init(NULL, 0);
	return nlangs;
}

/* see i18n.h */
const char *i18n_tags(void)
{
	i18n_init(NULL, 0);
	return tags;
}

/* see i18n.h */
const char *i18n_tag(int lang)
{
	return lang >= 0 && lang < i18n_count() ? langs[lang].tag : "en";
}

/* see i18n.h */
int i18n_find(const char *tag, size_t len)
{
	size_t primary = 0;
	int n = i18n_count();

	while (primary < len && tag[primary] != '-' && tag[primary] != '_')
		primary++;
	if (len == 0 || len > I18N_TAG_MAX)
		return -1;
	for (int i = 0; i < n; i++)
		if (strlen(langs[i].tag) == len && strncasecmp(langs[i].tag, tag, len) == 0)
			return i;
	for (int i = 0; i < n; i++)
		if (strlen(langs[i].tag) == primary && strncasecmp(langs[i].tag, tag, primary) == 0)
			return i;
	return -1;
}

/* see i18n.h */
int i18n_ui_locales(const char *s, size_t len)
{
	size_t i = 0;

	if (len > I18N_HEADER_MAX)
		len = I18N_HEADER_MAX;
	while (i < len) {
		size_t k = 0;
		int l;
		while (i + k < len && s[i + k] != ' ')
			k++;
		if (k && (l = i18n_find(s + i, k)) >= 0)
			return l;
		i += k + 1;
	}
	return -1;
}

static int lws(char c)
{
	return c == ' ' || c == '\t';
}

/* The q of one Accept-Language member's parameters p[0..n) in thousandths; 1000 when
 * absent, -1 when malformed. */
static int qvalue(const char *p, size_t n)
{
	size_t i = 0;
	int q = 0, digits = 0;

	while (i < n && lws(p[i]))
		i++;
	if (i == n)
		return 1000;
	if (p[i] != ';')
		return -1;
	for (i++; i < n && lws(p[i]); i++)
		;
	if (n - i < 3 || (p[i] != 'q' && p[i] != 'Q') || p[i + 1] != '=' ||
	    (p[i + 2] != '0' && p[i + 2] != '1'))
		return -1;
	q = (p[i + 2] - '0') * 1000;
	i += 3;
	if (i < n && p[i] == '.')
		for (i++; i < n && p[i] >= '0' && p[i] <= '9' && digits < 3; i++, digits++)
			q += (p[i] - '0') * (digits == 0 ? 100 : digits == 1 ? 10 : 1);
	while (i < n && lws(p[i]))
		i++;
	return i == n && q <= 1000 ? q : -1;
}

/* see i18n.h */
int i18n_accept_language(const char *s, size_t len)
{
	int best = -1, best_q = 0;
	size_t i = 0;

	if (len > I18N_HEADER_MAX)
		len = I18N_HEADER_MAX;
	while (i < len) {
		size_t end = i, tag = 0, at;
		int q, l;
		while (end < len && s[end] != ',')
			end++;
		while (i < end && lws(s[i]))
			i++;
		at = i;
		while (at + tag < end && s[at + tag] != ';' && !lws(s[at + tag]))
			tag++;
		q = qvalue(s + at + tag, end - at - tag);
		l = tag == 1 && s[at] == '*' ? I18N_EN : i18n_find(s + at, tag);
		if (tag && q > best_q && l >= 0)
			best = l, best_q = q;
		i = end + 1;
	}
	return best;
}

/* The plural form of m (a string, or an object of forms) for the value of args' n. */
static const char *form(const struct catalog *c, const cJSON *m, const struct i18n_arg *args, size_t n)
{
	const cJSON *one;
	long long count = -1;

	if (cJSON_IsString(m))
		return m->valuestring;
	for (size_t i = 0; i < n; i++)
		if (strcmp(args[i].name, "n") == 0 && args[i].value)
			count = strtoll(args[i].value, NULL, 10);
	one = cJSON_GetObjectItemCaseSensitive(m, "one");
	if (one && (count == 1 || (c->one_le1 && count == 0)))
		return one->valuestring;
	return cJSON_GetObjectItemCaseSensitive(m, "other")->valuestring;
}

/* see i18n.h */
const char *i18n_message(int lang, const char *key, size_t keylen, const struct i18n_arg *args, size_t n)
{
	char k[I18N_KEY_MAX + 1];
	int count = i18n_count();

	if (keylen == 0 || keylen > I18N_KEY_MAX)
		return NULL;
	memcpy(k, key, keylen);
	k[keylen] = '\0';
	if (lang < 0 || lang >= count)
		lang = I18N_EN;
	for (int l = lang;; l = I18N_EN) {
		const cJSON *m = langs[l].root ? cJSON_GetObjectItemCaseSensitive(langs[l].root, k) : NULL;
		if (m && k[0] != '_')
			return form(&langs[l], m, args, n);
		if (l == I18N_EN)
			return NULL;
	}
}

/* see i18n.h */
const char *i18n_key_of(const char *text)
{
	const cJSON *m;

	if (i18n_count() && langs[0].root)
		cJSON_ArrayForEach(m, langs[0].root) if (m->string[0] != '_' && cJSON_IsString(m) &&
		                                         strcmp(m->valuestring, text) == 0) return m->string;
	return NULL;
}

static int arg_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* Length of a "{{name}}" at s (name_len set), or 0. */
static size_t arg_placeholder(const char *s, size_t *name_len)
{
	size_t i = 2;

	if (s[0] != '{' || s[1] != '{')
		return 0;
	while (arg_char(s[i]) && i - 2 <= 32)
		i++;
	if (i == 2 || i - 2 > 32 || s[i] != '}' || s[i + 1] != '}')
		return 0;
	*name_len = i - 2;
	return i + 2;
}

/* see i18n.h */
void i18n_expand(const char *msg, const struct i18n_arg *args, size_t n, i18n_sink *sink, void *ctx)
{
	const char *run = msg, *s = msg;
	int em = 0;

	while (*s) {
		size_t k = 0, name_len = 0;
		if (s[0] == '*' && s[1] == '*' && (em || strstr(s + 2, "**"))) {
			sink(ctx, I18N_TEXT, run, (size_t)(s - run));
			sink(ctx, em ? I18N_EM_OFF : I18N_EM_ON, NULL, 0);
			em = !em;
			run = s += 2;
			continue;
		}
		if (s[0] != '{' || !(k = arg_placeholder(s, &name_len))) {
			s++;
			continue;
		}
		sink(ctx, I18N_TEXT, run, (size_t)(s - run));
		for (size_t i = 0; i < n; i++)
			if (strlen(args[i].name) == name_len && memcmp(args[i].name, s + 2, name_len) == 0) {
				if (args[i].value)
					sink(ctx, I18N_VALUE, args[i].value, strlen(args[i].value));
				break;
			}
		run = s += k;
	}
	sink(ctx, I18N_TEXT, run, (size_t)(s - run));
}
