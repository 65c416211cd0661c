/*
 * cli_fetch.c: one HTTP(S) GET for the CLI (see cli.h), with libcurl: http and
 * https only (redirects too, at most 3), a time limit and a size limit, and
 * certificates checked against the system's CAs. Never sends credentials.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "cli/cli.h"

/* Seconds a fetch may take in all, and to connect. */
#define CLI_FETCH_SECONDS         10
#define CLI_FETCH_CONNECT_SECONDS 5

struct sink {
	char *buf;
	size_t len, max;
	int over; /* more than max bytes came */
};

static size_t take(char *data, size_t size, size_t n, void *ctx)
{
	struct sink *s = ctx;
	size_t add = size * n;
	char *nb;

	if (add > s->max - s->len) {
		s->over = 1;
		return 0; /* stops the transfer */
	}
	if (!(nb = realloc(s->buf, s->len + add + 1)))
		return 0;
	s->buf = nb;
	memcpy(s->buf + s->len, data, add);
	s->len += add;
	s->buf[s->len] = '\0';
	return add;
}

/* see cli.h */
int cli_fetch(const char *url, size_t max, char **buf, size_t *len, char *err, size_t errlen)
{
	struct sink s = {.max = max};
	char why[CURL_ERROR_SIZE] = "";
	CURL *c;
	CURLcode rc = CURLE_FAILED_INIT;

	*buf = NULL;
	*len = 0;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK && (c = curl_easy_init()) != NULL) {
		curl_easy_setopt(c, CURLOPT_URL, url);
		curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
		curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
		curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
		curl_easy_setopt(c, CURLOPT_MAXREDIRS, 3L);
		curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)CLI_FETCH_SECONDS);
		curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)CLI_FETCH_CONNECT_SECONDS);
		curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
		curl_easy_setopt(c, CURLOPT_USERAGENT, "identity-backend");
		curl_easy_setopt(c, CURLOPT_ERRORBUFFER, why);
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, take);
		curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
		rc = curl_easy_perform(c);
		curl_easy_cleanup(c);
	}
	curl_global_cleanup();
	if (s.over) {
		free(s.buf);
		return 1;
	}
	if (rc != CURLE_OK) {
		snprintf(err, errlen, "%s", why[0] ? why : curl_easy_strerror(rc));
		free(s.buf);
		return -1;
	}
	*buf = s.buf ? s.buf : calloc(1, 1);
	*len = s.len;
	return *buf ? 0 : -1;
}
