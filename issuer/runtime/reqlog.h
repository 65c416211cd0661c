/*
 * reqlog.h: the access log, one JSON line per request, e.g.
 *
 *   {"ts":"2023-11-14T22:13:20.123Z","level":"info","msg":"request","method":"POST",
 *    "path":"/token","status":200,"ms":0.412,"bytes":612,"client":"svc","remote":"10.0.0.7",
 *    "request_id":"5f0c…","thread":1}
 *
 * (on one line). Fields in that order; "client", "remote" and "request_id" are
 * omitted when unknown. Every other line the server writes (start, stop,
 * warnings, audit events) has the same "ts" and "level" first
 * (reqlog_format_line). Each line goes out in a single write(2) of fewer than PIPE_BUF
 * (4096) bytes, so lines from several threads never interleave in a pipe or
 * an O_APPEND file.
 *
 * It must never log a header, a body, a query string (queries carry codes and
 * states: the path is cut at '?') or a secret, and never fail or stall a
 * request: write errors are ignored, nothing locks (no stdio, no gmtime), and
 * the fd should be O_NONBLOCK (a full pipe then drops lines instead of
 * blocking the event loop; SIGPIPE must be ignored, as server.c does).
 *
 * Strings are JSON-escaped: '"' and '\\' with a backslash, control characters
 * (C0, DEL, C1) as \u00XX, each byte of invalid UTF-8 as \ufffd. A field whose
 * escaped text is longer than its limit below is cut at a character boundary
 * and ends in "…" (U+2026).
 */
#ifndef ISSUER_REQLOG_H
#define ISSUER_REQLOG_H

#include <stddef.h>
#include <stdint.h>

/* Limits of the escaped text of each field (bytes, before the "…" of a cut field). */
#ifndef REQLOG_METHOD_MAX
#define REQLOG_METHOD_MAX 32
#endif
#ifndef REQLOG_PATH_MAX
#define REQLOG_PATH_MAX 2048
#endif
#ifndef REQLOG_CLIENT_MAX
#define REQLOG_CLIENT_MAX 512
#endif
#ifndef REQLOG_REMOTE_MAX
#define REQLOG_REMOTE_MAX 128
#endif

/* Longest line, '\n' included: below PIPE_BUF (checked in reqlog.c against the limits above). */
#define REQLOG_LINE_MAX 4095

/* Limit of the escaped text of each value of reqlog_format_line. */
#ifndef REQLOG_FIELD_MAX
#define REQLOG_FIELD_MAX 256
#endif
/* Most fields of one reqlog_format_line line (so that it stays below PIPE_BUF). */
#define REQLOG_FIELDS_MAX 12

/* One finished request. Strings are only read during the call. */
typedef struct reqlog_entry {
	const char *method; /* method[0..method_len), NULL: "" */
	size_t method_len;
	const char *path; /* path[0..path_len), cut at the first '?'; NULL: "" */
	size_t path_len;
	int status;             /* HTTP status sent */
	double seconds;         /* latency; negative or NaN is logged as 0 */
	uint64_t bytes;         /* response body length */
	const char *client_id;  /* NUL-terminated, NULL: no "client" field */
	const char *remote;     /* peer address text, NUL-terminated, NULL: no "remote" field */
	unsigned thread;        /* event-loop thread index */
	const char *request_id; /* NUL-terminated, NULL: no "request_id" field */
} reqlog_entry;

/* One field of reqlog_format_line: name (a literal of ours: not escaped) and either
 * a string value (escaped, cut at REQLOG_FIELD_MAX) or, when str is NULL, num. */
typedef struct reqlog_field {
	const char *name;
	const char *str;
	int64_t num;
} reqlog_field;

/*
 * Format e's line, '\n' included and no NUL, into buf[0..cap) with ts =
 * now_ms (milliseconds since the Unix epoch, clamped to years 1970..9999).
 * Returns its length, or 0 if it did not fit (never when cap >= REQLOG_LINE_MAX;
 * always when cap < 64).
 */
size_t reqlog_format(char *buf, size_t cap, const reqlog_entry *e, int64_t now_ms);

/*
 * Any other line of the log, in the same form: {"ts":…,"level":level, then the
 * fields in order (a field whose str is NULL and num is INT64_MIN is left out)}
 * and '\n', into buf[0..cap) with ts = now_ms. At most REQLOG_FIELDS_MAX fields
 * (the rest are dropped). Returns its length, or 0 if it did not fit (never when
 * cap >= REQLOG_LINE_MAX).
 */
size_t reqlog_format_line(char *buf, size_t cap, int64_t now_ms, const char *level,
                          const reqlog_field *fields, size_t n);

/* Milliseconds since the Unix epoch now (CLOCK_REALTIME). */
int64_t reqlog_now_ms(void);

/* Write one line made by reqlog_format_line to stderr in one write(2) (status and
 * audit lines of the server and the commands: level, then the fields). */
void reqlog_print(const char *level, const reqlog_field *fields, size_t n);

#endif
