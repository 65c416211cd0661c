/*
 * smtp.c: SMTP_URL and one delivery with libcurl's SMTP (see smtp.h). It must
 * never put the password in a message or a log, nor send a byte in the clear
 * when the URL asks for TLS (CURLUSESSL_ALL: no STARTTLS, no mail).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "mail/smtp.h"

static int hexval(char c)
{
	return c >= '0' && c <= '9'   ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
	                              : -1;
}

/* Percent-decode s[0..n) into out[cap]; -1 when malformed, too long, or it decodes a control byte. */
static int decode(const char *s, size_t n, char *out, size_t cap)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)s[i];

		if (c == '%') {
			if (i + 2 >= n || hexval(s[i + 1]) < 0 || hexval(s[i + 2]) < 0)
				return -1;
			c = hexval(s[i + 1]) << 4 | hexval(s[i + 2]);
			i += 2;
		}
		if (c < 0x20 || c == 0x7f || o + 1 >= cap)
			return -1;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return 0;
}

static int bad(char *err, size_t errlen, const char *why)
{
	snprintf(err, errlen, "SMTP_URL: %s", why);
	return -1;
}

/* host[:port] of s[0..n) into u; 0 or -1. */
static int host_port(const char *s, size_t n, struct smtp_url *u)
{
	const char *colon, *end = s + n;
	size_t hn;
	long port;
	char *e;

	if (n && s[0] == '[') {
		const char *close = memchr(s, ']', n);
		if (!close)
			return -1;
		colon = close + 1 < end && close[1] == ':' ? close + 1 : NULL;
		if (close + 1 < end && !colon)
			return -1;
		hn = (size_t)(close + 1 - s);
	} else {
		colon = memchr(s, ':', n);
		hn = colon ? (size_t)(colon - s) : n;
	}
	if (hn == 0 || hn >= sizeof u->host)
		return -1;
	for (size_t i = 0; i < hn; i++)
		if (!(strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-[]:", s[i])))
			return -1;
	memcpy(u->host, s, hn);
	u->host[hn] = '\0';
	if (!colon)
		return 0;
	if (colon + 1 == end || end - colon > 6)
		return -1;
	port = strtol(colon + 1, &e, 10);
	if (e != end || port < 1 || port > 65535 || colon[1] < '0' || colon[1] > '9')
		return -1;
	u->port = (unsigned)port;
	return 0;
}

/* The scheme of url: its TLS mode and default port, and where the rest starts; NULL when unknown. */
static const char *scheme(const char *url, struct smtp_url *u)
{
	static const struct {
		const char *prefix;
		enum smtp_tls tls;
		unsigned port;
	} s[] = {{"smtp://", SMTP_STARTTLS, 25},
	         {"smtps://", SMTP_IMPLICIT, 465},
	         {"smtp+insecure://", SMTP_PLAIN, 25}};

	for (size_t i = 0; i < sizeof s / sizeof s[0]; i++)
		if (strncmp(url, s[i].prefix, strlen(s[i].prefix)) == 0) {
			u->tls = s[i].tls;
			u->port = s[i].port;
			return url + strlen(s[i].prefix);
		}
	return NULL;
}

/* see smtp.h */
int smtp_url_parse(const char *url, const char *ca, struct smtp_url *out, char *err, size_t errlen)
{
	struct smtp_url u;
	const char *rest, *at, *end, *colon;
	size_t n;

	memset(&u, 0, sizeof u);
	memset(out, 0, sizeof *out);
	if (!url || !*url)
		return bad(err, errlen, "empty");
	if (!(rest = scheme(url, &u)))
		return bad(err, errlen, "the scheme must be smtp://, smtps:// or smtp+insecure://");
	end = rest + strcspn(rest, "/?#");
	if (*end && strcmp(end, "/") != 0)
		return bad(err, errlen, "no path, query or fragment after the host");
	n = (size_t)(end - rest);
	at = memchr(rest, '@', n);
	for (const char *p = at ? at + 1 : rest; p < end; p++)
		if (*p == '@')
			return bad(err, errlen, "write '@' in a user name or password as %40");
	if (at) {
		colon = memchr(rest, ':', (size_t)(at - rest));
		if (decode(rest, (size_t)((colon ? colon : at) - rest), u.user, sizeof u.user) ||
		    (colon && decode(colon + 1, (size_t)(at - colon - 1), u.password, sizeof u.password)))
			return bad(err, errlen, "a malformed or too long user name or password");
		n -= (size_t)(at + 1 - rest);
		rest = at + 1;
	}
	if (host_port(rest, n, &u))
		return bad(err, errlen, "the host (a name, an IPv4 address or [IPv6]) and port (1..65535)");
	if (ca && *ca && snprintf(u.ca_file, sizeof u.ca_file, "%s", ca) >= (int)sizeof u.ca_file)
		return bad(err, errlen, "SMTP_CA_FILE is too long");
	snprintf(u.curl_url, sizeof u.curl_url, "%s://%s:%u", u.tls == SMTP_IMPLICIT ? "smtps" : "smtp",
	         u.host, u.port);
	snprintf(u.shown, sizeof u.shown, "%s://%s%s%s%s:%u",
	         u.tls == SMTP_IMPLICIT ? "smtps"
	         : u.tls == SMTP_PLAIN  ? "smtp+insecure"
	                                : "smtp",
	         u.user, u.password[0] ? ":***" : "", u.user[0] || u.password[0] ? "@" : "", u.host, u.port);
	*out = u;
	explicit_bzero(&u, sizeof u);
	return 0;
}

/* see smtp.h */
int smtp_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

struct upload {
	const char *p;
	size_t left;
};

static size_t feed(char *buf, size_t size, size_t n, void *ctx)
{
	struct upload *u = ctx;
	size_t k = size * n < u->left ? size * n : u->left;

	memcpy(buf, u->p, k);
	u->p += k;
	u->left -= k;
	return k;
}

/* libcurl's progress callback (about once a second, and on every transfer step): stop when asked. */
static int progress(void *ctx, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	(void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
	return ctx && atomic_load((const atomic_int *)ctx) ? 1 : 0;
}

/* A reply code that refuses this message for good: 5xx, except those that say the
 * connection or the login is wrong (530 STARTTLS or auth required, 534, 535, 538). */
static int refused(long code, CURLcode rc)
{
	return code >= 500 && code <= 599 && code != 530 && code != 534 && code != 535 && code != 538 &&
	       rc != CURLE_LOGIN_DENIED && rc != CURLE_USE_SSL_FAILED && rc != CURLE_SSL_CONNECT_ERROR;
}

/* Set up c for u; the recipients list is the caller's to free. */
static struct curl_slist *setup(CURL *c, const struct smtp_url *u, const char *from, const char *rcpt,
                                struct upload *up, const atomic_int *cancel, char *why, char *mfrom,
                                size_t mlen)
{
	char to[300];
	struct curl_slist *r;

	snprintf(mfrom, mlen, "<%s>", from);
	snprintf(to, sizeof to, "<%s>", rcpt);
	if (!(r = curl_slist_append(NULL, to)))
		return NULL;
	curl_easy_setopt(c, CURLOPT_URL, u->curl_url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(c, CURLOPT_USE_SSL, (long)(u->tls == SMTP_PLAIN ? CURLUSESSL_NONE : CURLUSESSL_ALL));
	if (u->user[0] || u->password[0]) {
		curl_easy_setopt(c, CURLOPT_USERNAME, u->user);
		curl_easy_setopt(c, CURLOPT_PASSWORD, u->password);
	}
	if (u->ca_file[0])
		curl_easy_setopt(c, CURLOPT_CAINFO, u->ca_file);
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, mfrom);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, r);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, feed);
	curl_easy_setopt(c, CURLOPT_READDATA, up);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)up->left);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)SMTP_CONNECT_SECONDS);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)SMTP_TIMEOUT_SECONDS);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, why);
	if (cancel) {
		curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, progress);
		curl_easy_setopt(c, CURLOPT_XFERINFODATA, (void *)cancel);
		curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	}
	return r;
}

/* see smtp.h */
enum smtp_result smtp_send(const struct smtp_url *u, const char *from, const char *rcpt, const char *msg,
                           size_t len, const atomic_int *cancel, char *err, size_t errlen)
{
	struct upload up = {msg, len};
	char why[CURL_ERROR_SIZE] = "", mfrom[300];
	struct curl_slist *r = NULL;
	CURLcode rc = CURLE_OUT_OF_MEMORY;
	long code = 0;
	CURL *c = curl_easy_init();

	if (c && (r = setup(c, u, from, rcpt, &up, cancel, why, mfrom, sizeof mfrom))) {
		rc = curl_easy_perform(c);
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	}
	curl_slist_free_all(r);
	if (c)
		curl_easy_cleanup(c);
	if (rc == CURLE_OK)
		return SMTP_SENT;
	if (u->password[0] && strstr(why, u->password)) /* never echoed by libcurl; be sure */
		why[0] = '\0';
	snprintf(err, errlen, "%s%s%s (SMTP %ld)", curl_easy_strerror(rc), why[0] ? ": " : "", why, code);
	return refused(code, rc) ? SMTP_REFUSED : SMTP_RETRY;
}
