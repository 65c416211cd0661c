/*
 * mime.c: one mail's text from its parts (see mime.h). It must never let a
 * CR, LF or NUL of a part become a line break of the message, nor write a line
 * longer than RFC 5322's 998 characters (ours stay under 78), nor any 8-bit byte.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jose_utf8.h"
#include "mail/mime.h"

/* QP lines end at 76 characters with their soft-break '=' (RFC 2045 §6.7 rule 5). */
#define QP_LINE 76
/* An encoded word is at most 75 characters (RFC 2047 §2); "=?UTF-8?B?" and "?=" take 12,
 * leaving 63 for base64: 45 bytes of text give 60. */
#define EW_BYTES 45
/* Header lines are kept within this many characters where we fold (RFC 5322 §2.1.1: 78). */
#define HEADER_LINE 76

/* see mime.h */
void mail_buf_add(struct mail_buf *b, const char *s, size_t n)
{
	size_t cap;
	char *p;

	if (b->bad)
		return;
	if (n > b->max - b->len) {
		b->bad = 1;
		return;
	}
	if (b->len + n + 1 > b->cap) {
		cap = b->cap ? b->cap : 1024;
		while (cap < b->len + n + 1)
			cap *= 2;
		if (!(p = malloc(cap))) {
			b->bad = 1;
			return;
		}
		if (b->p) {
			memcpy(p, b->p, b->len);
			explicit_bzero(b->p, b->cap);
			free(b->p);
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

/* see mime.h */
void mail_buf_puts(struct mail_buf *b, const char *s)
{
	mail_buf_add(b, s, strlen(s));
}

/* see mime.h */
void mail_buf_free(struct mail_buf *b)
{
	if (b->p) {
		explicit_bzero(b->p, b->cap);
		free(b->p);
	}
	b->p = NULL;
	b->len = b->cap = 0;
}

/* RFC 5322 §3.2.3 atext: letters, digits and !#$%&'*+-/=?^_`{|}~ */
static int atext(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-/=?^_`{|}~", c));
}

/* The local part s[0..n): a dot-atom of 1..MAIL_LOCAL_MAX bytes. */
static int local_valid(const char *s, size_t n)
{
	if (n == 0 || n > MAIL_LOCAL_MAX || s[0] == '.' || s[n - 1] == '.')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!(atext(s[i]) || (s[i] == '.' && s[i - 1] != '.')))
			return 0;
	return 1;
}

/* The domain s[0..n): two or more LDH labels of 1..MAIL_LABEL_MAX bytes. */
static int domain_valid(const char *s, size_t n)
{
	size_t label = 0, labels = 1;

	if (n == 0 || n > 253)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c == '.') {
			if (label == 0 || s[i - 1] == '-')
				return 0;
			label = 0, labels++;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      (c == '-' && label > 0)) ||
		    ++label > MAIL_LABEL_MAX)
			return 0;
	}
	return label > 0 && s[n - 1] != '-' && labels >= 2;
}

/* see mime.h */
int mail_addr_valid(const char *addr)
{
	const char *at;
	size_t n;

	if (!addr || (n = strnlen(addr, MAIL_ADDR_MAX + 1)) > MAIL_ADDR_MAX || !(at = strrchr(addr, '@')))
		return 0;
	return local_valid(addr, (size_t)(at - addr)) && domain_valid(at + 1, n - (size_t)(at - addr) - 1);
}

/* see mime.h */
int mail_text_line(const char *s, size_t n)
{
	uint32_t cp;
	size_t k;

	for (size_t i = 0; i < n; i += k) {
		if (!(k = jose_utf8_seq((const uint8_t *)s + i, n - i, &cp)) || cp < 0x20 ||
		    (cp >= 0x7f && cp < 0xa0))
			return 0;
	}
	return 1;
}

/* 1 when s[0..n) is printable ASCII (space included) that no reader could take for an
 * encoded word ("=?" starts one, RFC 2047 §2): it may go into a header as it is. */
static int printable(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e || (s[i] == '=' && i + 1 < n && s[i + 1] == '?'))
			return 0;
	return 1;
}

static void hex_byte(struct mail_buf *b, unsigned char c)
{
	static const char hex[] = "0123456789ABCDEF";
	char e[3] = {'=', hex[c >> 4], hex[c & 15]};

	mail_buf_add(b, e, 3);
}

/* One input line s[0..n) (no line break in it) as QP lines, with its hard break. */
static void qp_line(struct mail_buf *b, const char *s, size_t n)
{
	size_t col = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		int enc = c == '=' || c < 0x20 || c > 0x7e || (col == 0 && (c == '.' || c == ' ')) ||
		          ((c == ' ' || c == '\t') && i + 1 == n);
		size_t w = enc ? 3 : 1;

		if (col + w > QP_LINE - 1) { /* room for the soft break's '=' */
			mail_buf_add(b, "=\r\n", 3);
			col = 0;
			enc |= c == '.' || c == ' ';
			w = enc ? 3 : 1;
		}
		if (enc)
			hex_byte(b, c);
		else
			mail_buf_add(b, (const char *)&c, 1);
		col += w;
	}
	mail_buf_add(b, "\r\n", 2);
}

/* see mime.h */
void mail_qp(struct mail_buf *b, const char *text, size_t n)
{
	size_t start = 0;

	for (size_t i = 0; i <= n; i++) {
		if ((i < n && text[i] != '\n') || (i == n && start == n && n > 0))
			continue; /* inside a line; or the end right after a last line break */
		qp_line(b, text + start,
		        i > start && text[i - 1] == '\r' && i < n ? i - start - 1 : i - start);
		start = i + 1;
	}
}

static void base64(struct mail_buf *b, const unsigned char *s, size_t n)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)s[i] << 16 | (i + 1 < n ? (uint32_t)s[i + 1] << 8 : 0) |
		             (i + 2 < n ? s[i + 2] : 0);
		char q[4] = {a[v >> 18 & 63], a[v >> 12 & 63], i + 1 < n ? a[v >> 6 & 63] : '=',
		             i + 2 < n ? a[v & 63] : '='};

		mail_buf_add(b, q, 4);
	}
}

/* see mime.h */
int mail_header_text(struct mail_buf *b, const char *s, size_t used)
{
	size_t n = strlen(s), i = 0, k;

	if (!mail_text_line(s, n))
		return -1;
	if (printable(s, n) && used + n <= 998 - 2) {
		mail_buf_add(b, s, n);
		return 0;
	}
	for (int first = 1; i < n; first = 0) { /* whole characters; each next word on a line of its own */
		int own_line = !first || used + 20 >= HEADER_LINE; /* else it shares the header's line */
		size_t end = i, room = own_line ? EW_BYTES : (HEADER_LINE - used - 12) / 4 * 3;

		if (own_line && (!first || used > 0))
			mail_buf_add(b, "\r\n ", 3);
		while (end < n && (k = jose_utf8_seq((const uint8_t *)s + end, n - end, NULL)) &&
		       end + k - i <= room)
			end += k;
		mail_buf_add(b, "=?UTF-8?B?", 10);
		base64(b, (const unsigned char *)s + i, end - i);
		mail_buf_add(b, "?=", 2);
		i = end;
	}
	return 0;
}

/* see mime.h */
int mail_mailbox(struct mail_buf *b, const char *name, const char *addr)
{
	size_t n = name ? strlen(name) : 0;

	if (!mail_addr_valid(addr) || n > MAIL_NAME_MAX || !mail_text_line(name ? name : "", n))
		return -1;
	if (n && printable(name, n)) {
		mail_buf_add(b, "\"", 1);
		for (size_t i = 0; i < n; i++) {
			if (name[i] == '"' || name[i] == '\\')
				mail_buf_add(b, "\\", 1);
			mail_buf_add(b, name + i, 1);
		}
		mail_buf_add(b, "\" ", 2);
	} else if (n) {
		mail_header_text(b, name, 6); /* after "From: " or "To: "; the address on the next line */
		mail_buf_add(b, "\r\n ", 3);
	}
	mail_buf_add(b, "<", 1);
	mail_buf_puts(b, addr);
	mail_buf_add(b, ">", 1);
	return 0;
}

/* see mime.h */
void mail_date(int64_t t, char out[32])
{
	static const char days[7][4] = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};
	static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	time_t tt = (time_t)t;
	struct tm tm;
	char tmp[96];

	if (!gmtime_r(&tt, &tm)) {
		memcpy(out, "Thu, 01 Jan 1970 00:00:00 +0000", 32);
		return;
	}
	snprintf(tmp, sizeof tmp, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[((t / 86400) % 7 + 7) % 7],
	         tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
	snprintf(out, 32, "%.31s", tmp); /* 31 characters for any year of four digits */
}

/* The headers of p, up to the blank line before the body; -1 when a part is refused. */
static int headers(struct mail_buf *b, const struct mail_parts *p)
{
	const char *domain = strrchr(p->from_addr, '@');
	char date[32];

	mail_date(p->date, date);
	mail_buf_puts(b, "From: ");
	if (!domain || mail_mailbox(b, p->from_name, p->from_addr))
		return -1;
	mail_buf_puts(b, "\r\nTo: ");
	if (mail_mailbox(b, p->to_name, p->to_addr))
		return -1;
	mail_buf_puts(b, "\r\nSubject: ");
	if (strlen(p->subject) > MAIL_SUBJECT_MAX || mail_header_text(b, p->subject, 9))
		return -1;
	mail_buf_puts(b, "\r\nDate: ");
	mail_buf_puts(b, date);
	mail_buf_puts(b, "\r\nMessage-ID: <");
	mail_buf_puts(b, p->id);
	mail_buf_puts(b, domain);
	mail_buf_puts(b, ">\r\nMIME-Version: 1.0\r\nAuto-Submitted: auto-generated\r\n"
	                 "Content-Type: multipart/alternative;\r\n boundary=\"=_");
	mail_buf_puts(b, p->id);
	mail_buf_puts(b, "\"\r\n\r\n");
	return 0;
}

/* One body part of type (text/plain, text/html) holding body, after its boundary line. */
static int part(struct mail_buf *b, const char *id, const char *type, const char *body)
{
	size_t n = strlen(body);
	uint32_t cp;

	for (size_t i = 0, k; i < n; i += k) /* UTF-8, as the charset says; line breaks allowed */
		if (!(k = jose_utf8_seq((const uint8_t *)body + i, n - i, &cp)) ||
		    (cp < 0x20 && cp != '\n' && cp != '\r' && cp != '\t'))
			return -1;
	mail_buf_puts(b, "--=_");
	mail_buf_puts(b, id);
	mail_buf_puts(b, "\r\nContent-Type: ");
	mail_buf_puts(b, type);
	mail_buf_puts(b, "; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n");
	mail_qp(b, body, n);
	return 0;
}

/* 1 when id is 1..64 letters and digits (it goes into a header and the boundary). */
static int id_valid(const char *id)
{
	size_t n = 0;

	for (; id && id[n]; n++)
		if (!((id[n] >= 'a' && id[n] <= 'z') || (id[n] >= 'A' && id[n] <= 'Z') ||
		      (id[n] >= '0' && id[n] <= '9')) ||
		    n >= 64)
			return 0;
	return n > 0;
}

/* see mime.h */
char *mail_compose(const struct mail_parts *p, size_t max, size_t *len)
{
	struct mail_buf b = {.max = max};

	if (!p->from_addr || !p->to_addr || !p->subject || !p->text || !p->html || !id_valid(p->id))
		return NULL;
	if (headers(&b, p) || part(&b, p->id, "text/plain", p->text) || part(&b, p->id, "text/html", p->html))
		goto fail;
	mail_buf_puts(&b, "--=_");
	mail_buf_puts(&b, p->id);
	mail_buf_puts(&b, "--\r\n");
	if (b.bad)
		goto fail;
	*len = b.len;
	return b.p;
fail:
	mail_buf_free(&b);
	return NULL;
}
