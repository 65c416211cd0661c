/*
 * http.h: the issuer's HTTP input parsers. Everything a handler reads from a
 * request that is not routing goes through here: form bodies and query strings
 * (application/x-www-form-urlencoded), client credentials (RFC 7617 Basic with
 * the RFC 6749 §2.3.1 form-encoding of id and secret), bearer tokens (RFC 6750
 * §2.1), cookies (RFC 6265 §4.2) and the Content-Type check.
 *
 * Pure functions: no H2O, no allocation, no globals, no recursion, no locale.
 * Inputs are (pointer, length) pairs as H2O hands them over, NOT NUL-terminated:
 * nothing here ever reads in[len] or beyond, or writes past a caller's cap.
 * Results either point into the input or are copied into caller buffers,
 * always NUL-terminated. We are stricter than browsers on purpose: input that a
 * browser would repair (a stray '%', invalid UTF-8, a repeated parameter) is
 * refused rather than guessed at, so every handler sees one meaning per request.
 * On any error the outputs hold nothing usable (form n = 0, strings "").
 */
#ifndef ISSUER_HTTP_H
#define ISSUER_HTTP_H

#include <stddef.h>

/* Most parameters one form or query string may carry (OAuth requests use < 15). */
#ifndef HTTP_FORM_MAX_FIELDS
#define HTTP_FORM_MAX_FIELDS 32
#endif

/* A buf of this many bytes always holds the decoded form of an input of len bytes. */
#define HTTP_FORM_BUF_SIZE(len) ((len) + 2 * (size_t)HTTP_FORM_MAX_FIELDS)

/*
 * Why a parser refused its input. All of them mean "the request is bad" (answer
 * 400, or 401 for credentials), except HTTP_E_TOO_LONG, which may also mean the
 * caller's buffer was too small for an input that was otherwise fine.
 */
typedef enum http_err {
	HTTP_OK = 0,
	HTTP_E_SYNTAX,    /* malformed: bad %-escape, bad base64, wrong scheme, absent cookie, ... */
	HTTP_E_DUPLICATE, /* a form parameter given twice (RFC 6749 §3.1) */
	HTTP_E_TOO_MANY,  /* more than HTTP_FORM_MAX_FIELDS form parameters */
	HTTP_E_TOO_LONG,  /* a decoded result does not fit the caller's buffer */
	HTTP_E_ENCODING   /* decoded text has NUL, a control character or invalid UTF-8 */
} http_err;

/* A short English phrase for e, never NULL (also for values outside the enum). */
const char *http_strerror(http_err e);

/* One decoded form parameter; name and value are NUL-terminated and point into the caller's buf. */
typedef struct http_field {
	const char *name;
	size_t name_len;
	const char *value;
	size_t value_len;
} http_field;

/* A decoded form: f[0..n) in input order, names pairwise distinct. */
typedef struct http_form {
	size_t n;
	http_field f[HTTP_FORM_MAX_FIELDS];
} http_form;

/*
 * Parse application/x-www-form-urlencoded in[0..len) (a POST body, or a URL
 * query without its '?') by the WHATWG URL Standard §5.1 rules: '&' separates
 * pairs, empty pairs are skipped ("a=1&&b=2", a trailing '&'), the first '='
 * splits name from value (no '=': empty value; "=b": empty name), '+' is a
 * space and %XX is the byte XX (either case of hex digit).
 *
 * Stricter than browsers:
 *  - a '%' not followed by two hex digits: HTTP_E_SYNTAX (browsers keep it);
 *  - a decoded NUL, control character (0x00-0x1f, 0x7f; tab and newline
 *    included) or invalid UTF-8 (overlong forms, surrogates, > U+10FFFF,
 *    truncated sequences): HTTP_E_ENCODING (browsers substitute U+FFFD);
 *  - the same name twice: HTTP_E_DUPLICATE (RFC 6749 §3.1: parameters "MUST
 *    NOT be included more than once"; names compare byte for byte, so case-
 *    sensitively, after decoding);
 *  - more than HTTP_FORM_MAX_FIELDS pairs: HTTP_E_TOO_MANY.
 * Decoded names and values are written NUL-terminated into buf (cap bytes) and
 * out->f[i] point into it. They need the sum of (decoded length + 1) over all
 * names and values, at most HTTP_FORM_BUF_SIZE(len); a smaller cap than needed
 * gives HTTP_E_TOO_LONG. The first problem met, left to right, is reported.
 */
http_err http_form_parse(const char *in, size_t len, http_form *out, char *buf, size_t cap);

/* The value of parameter name (NUL-terminated, exact match) in f, or NULL when absent. */
const char *http_form_get(const http_form *f, const char *name);

/*
 * RFC 7617 Basic credentials from an Authorization header value hdr[0..len):
 * the scheme "Basic" in any case, one or more spaces, then standard base64 (RFC
 * 4648 §4: padding required, no whitespace or other characters, and, as RFC 4648
 * §3.5 allows, the unused bits of the last character must be zero), nothing
 * after. The decoded "id:secret" is split at its FIRST ':' and each part is then
 * form-urlencoded-decoded as RFC 6749 §2.3.1 requires (same rules and errors as
 * http_form_parse: '+' is a space, so a client whose id or secret holds ':',
 * '%' or '+' must send them as %3A, %25, %2B).
 * id and secret are written NUL-terminated into id[idcap] and secret[seccap].
 * HTTP_E_SYNTAX: another scheme, no credentials, bad base64, no ':', an empty
 * id, a bad %-escape; HTTP_E_TOO_LONG: a part does not fit; HTTP_E_ENCODING: a
 * part decodes to NUL, a control character or invalid UTF-8. An empty secret is
 * HTTP_OK (the caller decides). On error, whatever was written is wiped.
 */
http_err http_basic_parse(const char *hdr, size_t len, char *id, size_t idcap, char *secret, size_t seccap);

/*
 * RFC 6750 §2.1 Bearer token from an Authorization header value hdr[0..len):
 * the scheme "Bearer" in any case, one or more spaces, then a b64token
 * (1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="), nothing after.
 * Sets *tok and *tok_len to the token inside hdr (not NUL-terminated); else
 * HTTP_E_SYNTAX with *tok = NULL and *tok_len = 0.
 */
http_err http_bearer_parse(const char *hdr, size_t len, const char **tok, size_t *tok_len);

/* 1 when the Authorization header value hdr[0..len) uses the auth scheme name (any
 * case, then a space: "Bearer x"), else 0; tells a malformed credential of a scheme
 * from another scheme (RFC 6750 §3.1 answers them differently). */
int http_auth_scheme_is(const char *hdr, size_t len, const char *name);

/*
 * The value of the cookie named name (NUL-terminated, exact case-sensitive
 * match) in a Cookie header value hdr[0..len) ("a=1; b=2", RFC 6265 §4.2.1).
 * Pairs are split at ';', spaces and tabs around a pair are ignored, a pair's
 * name is everything before its first '='. The first pair with that name wins;
 * one DQUOTE on each side of its value is stripped and what is left must be
 * cookie-octets (RFC 6265 §4.1.1: visible ASCII except '"', ',', ';', '\').
 * Other pairs are skipped unread, so a malformed cookie of another application
 * on the same host cannot lock the user out. The value is copied NUL-terminated
 * into out[cap]; an empty value is HTTP_OK. HTTP_E_SYNTAX when absent, name is
 * empty, or the value is malformed; HTTP_E_TOO_LONG when it does not fit.
 */
http_err http_cookie_get(const char *hdr, size_t len, const char *name, char *out, size_t cap);

/*
 * 1 when the media type in a Content-Type value ct[0..len) is type (e.g.
 * "application/x-www-form-urlencoded", "application/json"), compared ASCII
 * case-insensitively, ignoring spaces and tabs around it and any parameters
 * after ';' (so "application/json; charset=utf-8" is "application/json"), else 0.
 */
int http_media_type_is(const char *ct, size_t len, const char *type);

#endif
