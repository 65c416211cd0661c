/*
 * framing.h: is an HTTP/1 request head's framing unambiguous? H2O 2.2.5 (as
 * Debian ships it) picks one reading of a head that two parties may read two
 * ways: the first of two Content-Length headers, Transfer-Encoding over
 * Content-Length, and an obs-fold line (a header line that starts with a space
 * or tab) as a header of its own with an empty name. A proxy in front that reads
 * the same bytes the other way ends the body elsewhere, and whatever follows is a
 * request nobody checked (request smuggling). The server refuses these heads
 * before any handler runs (400, connection closed: RFC 9112 §6.1, §6.3, §5.2).
 *
 * A pure function of its input: no I/O, no allocation; it reads at most len bytes.
 */
#ifndef ISSUER_FRAMING_H
#define ISSUER_FRAMING_H

#include <stddef.h>

/* What a head's framing is: fine, or why it is refused. */
enum framing {
	FRAMING_OK,
	FRAMING_OBS_FOLD,         /* a header line starts with SP or HTAB (RFC 9112 §5.2) */
	FRAMING_TWO_LENGTHS,      /* Content-Length more than once, equal values or not (§6.3) */
	FRAMING_LENGTH_AND_CODED, /* Content-Length and Transfer-Encoding together (§6.1) */
	FRAMING_TWO_CODINGS,      /* Transfer-Encoding more than once */
};

/*
 * The framing of the request head at the start of buf (the request line, then
 * header lines up to the empty line; LF or CRLF line ends, one empty line before
 * the request line skipped, as picohttpparser reads it). Bytes after the head (a
 * body, the next request) are never read. A head cut short by len is judged on
 * the lines it has.
 */
enum framing framing_check(const char *buf, size_t len);

/* A short English reason for an answer's error_description ("" for FRAMING_OK). */
const char *framing_reason(enum framing f);

#endif
