/*
 * framing.c: the framing check of HTTP/1 request heads (see framing.h). It
 * walks the head line by line and only counts: it never parses a value, so a
 * refusal never depends on what a value says.
 */
#include <string.h>
#include <strings.h>

#include "http/framing.h"

/* 1 when the n bytes at p are the header name `name` in any case. */
static int named(const char *p, size_t n, const char *name)
{
	return n == strlen(name) && strncasecmp(p, name, n) == 0;
}

/* see framing.h */
enum framing framing_check(const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len, *eol;
	unsigned lengths = 0, codings = 0;

	if (end - p >= 2 && p[0] == '\r' && p[1] == '\n')
		p += 2;
	else if (p < end && p[0] == '\n')
		p++;
	if (!(eol = memchr(p, '\n', (size_t)(end - p)))) /* the request line */
		return FRAMING_OK;
	for (p = eol + 1; p < end && *p != '\r' && *p != '\n'; p = eol + 1) {
		const char *stop, *colon;

		if (*p == ' ' || *p == '\t')
			return FRAMING_OBS_FOLD;
		eol = memchr(p, '\n', (size_t)(end - p));
		stop = eol ? eol : end;
		if ((colon = memchr(p, ':', (size_t)(stop - p)))) {
			lengths += named(p, (size_t)(colon - p), "content-length");
			codings += named(p, (size_t)(colon - p), "transfer-encoding");
		}
		if (!eol)
			break;
	}
	if (lengths > 1)
		return FRAMING_TWO_LENGTHS;
	if (lengths && codings)
		return FRAMING_LENGTH_AND_CODED;
	return codings > 1 ? FRAMING_TWO_CODINGS : FRAMING_OK;
}

/* see framing.h */
const char *framing_reason(enum framing f)
{
	switch (f) {
	case FRAMING_OBS_FOLD:
		return "a header line continues the previous one (obs-fold)";
	case FRAMING_TWO_LENGTHS:
		return "more than one Content-Length header";
	case FRAMING_LENGTH_AND_CODED:
		return "both Content-Length and Transfer-Encoding";
	case FRAMING_TWO_CODINGS:
		return "more than one Transfer-Encoding header";
	case FRAMING_OK:
		break;
	}
	return "";
}
