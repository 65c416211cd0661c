/*
 * reqlog.c: access-log lines (see reqlog.h). Formatting is by hand into the
 * caller's buffer: no stdio (its locale and stream machinery), no gmtime_r
 * (glibc takes its timezone lock even for UTC), no allocation. Every field has
 * a byte limit, so a line is bounded whatever the request held.
 */
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "runtime/reqlog.h"
#include "jose_utf8.h"

/* The fixed text between fields. */
#define P_TS     "{\"ts\":\""
#define P_METHOD "\",\"level\":\"info\",\"msg\":\"request\",\"method\":\""
#define P_PATH   "\",\"path\":\""
#define P_STATUS "\",\"status\":"
#define P_MS     ",\"ms\":"
#define P_BYTES  ",\"bytes\":"
#define P_CLIENT ",\"client\":\""
#define P_REMOTE ",\"remote\":\""
#define P_RID    ",\"request_id\":\""
#define P_THREAD ",\"thread\":"
#define P_END    "}\n"

#define ELLIPSIS     "\xe2\x80\xa6" /* U+2026, ends a cut field */
#define ELLIPSIS_LEN 3
#define TS_LEN       24                 /* 2023-11-14T22:13:20.123Z */
#define MS_MAX_US    999999999999999ULL /* ~31 years: a longer latency is a broken clock */
#define TS_MAX_MS    253402300799999LL  /* 9999-12-31T23:59:59.999Z */

/* The longest line the limits allow (the numbers at their widest), which must stay below PIPE_BUF. */
#define LIT(s) (sizeof(s) - 1)
#define LINE_BOUND                                                                                           \
	(LIT(P_TS) + TS_LEN + LIT(P_METHOD) + REQLOG_METHOD_MAX + ELLIPSIS_LEN + LIT(P_PATH) +               \
	 REQLOG_PATH_MAX + ELLIPSIS_LEN + LIT(P_STATUS) + 11 + LIT(P_MS) + 19 + LIT(P_BYTES) + 20 +          \
	 LIT(P_CLIENT) + REQLOG_CLIENT_MAX + ELLIPSIS_LEN + 1 + LIT(P_REMOTE) + REQLOG_REMOTE_MAX +          \
	 ELLIPSIS_LEN + 1 + LIT(P_RID) + REQLOG_FIELD_MAX + ELLIPSIS_LEN + 1 + LIT(P_THREAD) + 10 +          \
	 LIT(P_END))
typedef char reqlog_line_bound_check[LINE_BOUND <= REQLOG_LINE_MAX ? 1 : -1];
/* The same for reqlog_format_line: names of ours are short (32 bytes at most). */
#define OTHER_BOUND                                                                                          \
	(LIT(P_TS) + TS_LEN + 16 + 16 +                                                                      \
	 REQLOG_FIELDS_MAX * (2 + 32 + 4 + REQLOG_FIELD_MAX + ELLIPSIS_LEN + 1) + LIT(P_END))
typedef char reqlog_other_bound_check[OTHER_BOUND <= REQLOG_LINE_MAX ? 1 : -1];

/* Output cursor: appends that do not fit set `over` and write nothing. */
struct w {
	char *p, *end;
	int over;
};

static void emit(struct w *w, const char *s, size_t n)
{
	if (w->over || (size_t)(w->end - w->p) < n) {
		w->over = 1;
		return;
	}
	memcpy(w->p, s, n);
	w->p += n;
}

#define PUT_LIT(w, s) emit(w, s, LIT(s))

static void put_u64(struct w *w, uint64_t v, int min_digits)
{
	char d[20];
	size_t i = sizeof d;

	do {
		d[--i] = (char)('0' + v % 10);
		v /= 10;
	} while ((v != 0 || (int)(sizeof d - i) < min_digits) && i > 0);
	emit(w, d + i, sizeof d - i);
}

static void put_int(struct w *w, int v)
{
	if (v < 0) {
		emit(w, "-", 1);
		put_u64(w, (uint64_t)0 - (uint64_t)(int64_t)v, 1);
	} else {
		put_u64(w, (uint64_t)v, 1);
	}
}

/* \u00XX for byte c. */
static size_t hex_escape(char out[6], unsigned c)
{
	static const char hex[] = "0123456789abcdef";

	memcpy(out, "\\u00", 4);
	out[4] = hex[c >> 4];
	out[5] = hex[c & 15];
	return 6;
}

/* s[0..n) JSON-escaped (see reqlog.h), at most max bytes of it, then "…" if cut. */
static void put_escaped(struct w *w, const char *str, size_t n, size_t max)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t done = 0, i = 0;

	while (i < n) {
		char u[6];
		const char *unit = u;
		size_t len, used;
		unsigned c = s[i];

		/* Fast path: a run of printable ASCII that needs no escape goes out in one copy. */
		size_t lim = n - i < max - done ? n - i : max - done;
		for (len = 0;
		     len < lim && s[i + len] - 0x20u < 0x5fu && s[i + len] != '"' && s[i + len] != '\\';
		     len++)
			;
		if (len > 0) {
			emit(w, str + i, len);
			done += len, i += len;
			continue;
		}
		if (c == '"' || c == '\\') {
			u[0] = '\\', u[1] = (char)c, len = 2, used = 1;
		} else if (c < 0x20 || c == 0x7f) {
			len = hex_escape(u, c), used = 1;
		} else if (c < 0x80) {
			unit = str + i, len = used = 1;
		} else if ((used = jose_utf8_seq(s + i, n - i, NULL)) == 0) {
			memcpy(u, "\\ufffd", 6), len = 6, used = 1;
		} else if (c == 0xc2 && s[i + 1] < 0xa0) { /* C1 control, U+0080..U+009F */
			len = hex_escape(u, s[i + 1]);
		} else {
			unit = str + i, len = used;
		}
		if (done + len > max) {
			emit(w, ELLIPSIS, ELLIPSIS_LEN);
			return;
		}
		emit(w, unit, len);
		done += len, i += used;
	}
}

/* now_ms as RFC 3339 UTC with milliseconds (TS_LEN bytes). */
static void put_ts(struct w *w, int64_t now_ms)
{
	int64_t days, secs, z, era, doe, yoe, y, doy, mp, d, mo;

	if (now_ms < 0)
		now_ms = 0;
	if (now_ms > TS_MAX_MS)
		now_ms = TS_MAX_MS;
	days = now_ms / 86400000, secs = now_ms / 1000 % 86400;
	/* Civil date from days since 1970-01-01 (H. Hinnant, "chrono-Compatible Low-Level Date Algorithms").
	 */
	z = days + 719468;
	era = z / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	mo = mp < 10 ? mp + 3 : mp - 9;
	y += mo <= 2;

	put_u64(w, (uint64_t)y, 4);
	emit(w, "-", 1);
	put_u64(w, (uint64_t)mo, 2);
	emit(w, "-", 1);
	put_u64(w, (uint64_t)d, 2);
	emit(w, "T", 1);
	put_u64(w, (uint64_t)(secs / 3600), 2);
	emit(w, ":", 1);
	put_u64(w, (uint64_t)(secs / 60 % 60), 2);
	emit(w, ":", 1);
	put_u64(w, (uint64_t)(secs % 60), 2);
	emit(w, ".", 1);
	put_u64(w, (uint64_t)(now_ms % 1000), 3);
	emit(w, "Z", 1);
}

/* see reqlog.h */
size_t reqlog_format(char *buf, size_t cap, const reqlog_entry *e, int64_t now_ms)
{
	struct w w = {buf, buf + cap, 0};
	const char *q;
	size_t path_len = e->path ? e->path_len : 0;
	uint64_t us;

	if (cap < 64)
		return 0;
	if (e->path && (q = memchr(e->path, '?', path_len)) != NULL)
		path_len = (size_t)(q - e->path);
	/* Microseconds, rounded; negative and NaN are 0. */
	us = !(e->seconds > 0)                      ? 0
	     : e->seconds * 1e6 < (double)MS_MAX_US ? (uint64_t)(e->seconds * 1e6 + 0.5)
	                                            : MS_MAX_US;

	PUT_LIT(&w, P_TS);
	put_ts(&w, now_ms);
	PUT_LIT(&w, P_METHOD);
	put_escaped(&w, e->method, e->method ? e->method_len : 0, REQLOG_METHOD_MAX);
	PUT_LIT(&w, P_PATH);
	put_escaped(&w, e->path, path_len, REQLOG_PATH_MAX);
	PUT_LIT(&w, P_STATUS);
	put_int(&w, e->status);
	PUT_LIT(&w, P_MS);
	put_u64(&w, us / 1000, 1);
	emit(&w, ".", 1);
	put_u64(&w, us % 1000, 3);
	PUT_LIT(&w, P_BYTES);
	put_u64(&w, e->bytes, 1);
	/* Each byte escapes to at least one, so reading past max + 1 could only be cut. */
	if (e->client_id) {
		PUT_LIT(&w, P_CLIENT);
		put_escaped(&w, e->client_id, strnlen(e->client_id, REQLOG_CLIENT_MAX + 1),
		            REQLOG_CLIENT_MAX);
		emit(&w, "\"", 1);
	}
	if (e->remote) {
		PUT_LIT(&w, P_REMOTE);
		put_escaped(&w, e->remote, strnlen(e->remote, REQLOG_REMOTE_MAX + 1), REQLOG_REMOTE_MAX);
		emit(&w, "\"", 1);
	}
	if (e->request_id) {
		PUT_LIT(&w, P_RID);
		put_escaped(&w, e->request_id, strnlen(e->request_id, REQLOG_FIELD_MAX + 1),
		            REQLOG_FIELD_MAX);
		emit(&w, "\"", 1);
	}
	PUT_LIT(&w, P_THREAD);
	put_u64(&w, e->thread, 1);
	PUT_LIT(&w, P_END);
	return w.over ? 0 : (size_t)(w.p - buf);
}

/* see reqlog.h */
size_t reqlog_format_line(char *buf, size_t cap, int64_t now_ms, const char *level,
                          const reqlog_field *fields, size_t n)
{
	struct w w = {buf, buf + cap, 0};

	if (cap < 64)
		return 0;
	PUT_LIT(&w, P_TS);
	put_ts(&w, now_ms);
	PUT_LIT(&w, "\",\"level\":\"");
	put_escaped(&w, level, strnlen(level, 16), 16);
	emit(&w, "\"", 1);
	for (size_t i = 0; i < n && i < REQLOG_FIELDS_MAX; i++) {
		const reqlog_field *f = &fields[i];
		if (!f->str && f->num == INT64_MIN)
			continue;
		PUT_LIT(&w, ",\"");
		emit(&w, f->name, strnlen(f->name, 32));
		PUT_LIT(&w, "\":");
		if (f->str) {
			emit(&w, "\"", 1);
			put_escaped(&w, f->str, strnlen(f->str, REQLOG_FIELD_MAX + 1), REQLOG_FIELD_MAX);
			emit(&w, "\"", 1);
		} else if (f->num < 0) {
			emit(&w, "-", 1);
			put_u64(&w, (uint64_t)0 - (uint64_t)f->num, 1);
		} else {
			put_u64(&w, (uint64_t)f->num, 1);
		}
	}
	PUT_LIT(&w, P_END);
	return w.over ? 0 : (size_t)(w.p - buf);
}

/* see reqlog.h */
int64_t reqlog_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* see reqlog.h */
void reqlog_print(const char *level, const reqlog_field *fields, size_t n)
{
	char line[REQLOG_LINE_MAX + 1];
	size_t len = reqlog_format_line(line, sizeof line, reqlog_now_ms(), level, fields, n);

	if (len && write(STDERR_FILENO, line, len) < 0)
		return; /* a closed stderr loses the line, never the server */
}
