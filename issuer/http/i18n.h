/*
 * i18n.h: the words of the pages and mails in the reader's language.
 *
 * Catalogs. Each language is one JSON file www/i18n/TAG.json (TAG a BCP 47 tag:
 * "en", "de", "pt-br"), compiled into the binary by the Makefile like the pages.
 * A catalog is one object of messages by key; a key is 1..I18N_KEY_MAX of a-z 0-9
 * _ . - ("login.wrong"). A message is a string, or, when it counts something, an
 * object of plural forms {"one": "...", "other": "..."} chosen by the value of its
 * {{n}}. Members whose names start with "_" describe the catalog: "_plural" is
 * "n==1" (the form "one" for exactly 1: English, German) or "n<=1" (for 0 and 1:
 * French); "_name" is the language's own name. en.json holds every message and
 * is what any other catalog's missing message falls back to, so a message is
 * never shown empty; a catalog's key that English lacks stops the start.
 * Adding a language is adding its file (and a `make`): nothing else lists them.
 *
 * Messages. A message is text with {{name}} placeholders (the same names as the
 * page's or mail's values, escaped wherever they are inserted) and **emphasis**
 * (<strong> in HTML, plain in text mail). A message's own text is escaped too:
 * neither a catalog nor a value can put markup on a page.
 *
 * Choosing a language (i18n_ui_locales, i18n_accept_language): OIDC's ui_locales
 * first, then Accept-Language, then English; a tag matches a catalog exactly or by
 * its language ("de-CH" gets "de"), case-insensitively.
 *
 * Everything here is read-only after the catalogs are loaded once (on first use,
 * under pthread_once), so any thread may call any function.
 */
#ifndef ISSUER_I18N_H
#define ISSUER_I18N_H

#include <stddef.h>
#include <stdint.h>

/* Most catalogs (languages) the binary carries. */
#ifndef I18N_MAX_LANGS
#define I18N_MAX_LANGS 32
#endif
/* Longest language tag of a catalog or of a request ("de-CH", "zh-Hant-TW"). */
#define I18N_TAG_MAX 35
/* Longest message key. */
#define I18N_KEY_MAX 64
/* The part of an Accept-Language header or ui_locales read; the rest is ignored. */
#ifndef I18N_HEADER_MAX
#define I18N_HEADER_MAX 1024
#endif

/* A language: an index of the loaded catalogs; 0 is always English. */
#define I18N_EN 0

/* One {{name}} and its value (NULL renders as nothing). */
struct i18n_arg {
	const char *name;
	const char *value;
};

/* The pieces of an expanded message, as i18n_expand hands them over. */
enum i18n_piece {
	I18N_TEXT,   /* the message's own text */
	I18N_VALUE,  /* an argument's value */
	I18N_EM_ON,  /* start of **emphasis** (s is NULL) */
	I18N_EM_OFF, /* its end */
};
typedef void i18n_sink(void *ctx, enum i18n_piece kind, const char *s, size_t n);

/* Load the embedded catalogs (once; later calls only report): 0, or -1 with a
 * one-line reason in err (a catalog that is no JSON object, a bad key or plural
 * form, a key English lacks, no en.json). */
int i18n_init(char *err, size_t errlen);

/* How many languages there are (1 when the catalogs failed to load: English,
 * with every message missing, so messages fall back to their keys). */
int i18n_count(void);

/* Every language's tag, comma-separated, English first ("en,de,fr"): discovery's
 * ui_locales_supported. */
const char *i18n_tags(void);

/* The tag of language lang ("en" for any index out of range). */
const char *i18n_tag(int lang);

/* The language of tag[0..len): the catalog of exactly that tag, else the one of its
 * first subtag ("de-CH" → "de"); -1 when none. Case-insensitive. */
int i18n_find(const char *tag, size_t len);

/* The first supported language of ui_locales (space-separated tags), or -1. */
int i18n_ui_locales(const char *s, size_t len);

/* The best supported language of an Accept-Language value (RFC 9110 §12.5.4):
 * the highest q (default 1, q=0 never), the first of equal ones; "*" counts as
 * English. -1 when none. Never reads past len or I18N_HEADER_MAX bytes. */
int i18n_accept_language(const char *s, size_t len);

/* Message key[0..keylen) in lang (English when lang lacks it), the plural form chosen
 * by the value of args' "n"; NULL when no catalog has it. */
const char *i18n_message(int lang, const char *key, size_t keylen, const struct i18n_arg *args, size_t n);

/* The key of the English message whose text is exactly text (plural messages never
 * match), or NULL: how C code's English strings reach the catalogs. */
const char *i18n_key_of(const char *text);

/* Expand msg: sink gets its text, each {{name}}'s value from args (nothing for an
 * unknown name) and the emphasis marks, in order. Anything not exactly {{name}} or
 * a pair of ** is text. */
void i18n_expand(const char *msg, const struct i18n_arg *args, size_t n, i18n_sink *sink, void *ctx);

#endif
