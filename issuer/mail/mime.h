/*
 * mime.h: the text of one mail, built from parts that cannot break out of their
 * place (RFC 5322 headers, RFC 2045-2047 MIME). Addresses are checked against
 * what RFC 5321 allows in a path, and everything else a person can influence (a
 * display name, the subject) goes into a header only as an RFC 2047 encoded word
 * or a quoted string of printable ASCII: no CR, LF or NUL from any part ever
 * reaches the message as a line break, so no header can be injected. Bodies go
 * out as quoted-printable UTF-8, whose lines are at most 76 characters, never
 * start with '.', and never contain the multipart boundary.
 *
 * No I/O, no store, no globals: pure functions over caller's strings.
 */
#ifndef ISSUER_MAIL_MIME_H
#define ISSUER_MAIL_MIME_H

#include <stddef.h>
#include <stdint.h>

/* Longest address (RFC 5321 §4.5.3.1.3: a path of 256 octets with its < and >). */
#define MAIL_ADDR_MAX 254
/* Longest local part and domain label (RFC 5321 §4.5.3.1.1, RFC 1035 §2.3.4). */
#define MAIL_LOCAL_MAX 64
#define MAIL_LABEL_MAX 63
/* Longest display name and subject, in bytes of UTF-8. */
#ifndef MAIL_NAME_MAX
#define MAIL_NAME_MAX 128
#endif
#ifndef MAIL_SUBJECT_MAX
#define MAIL_SUBJECT_MAX 256
#endif

/*
 * 1 when addr is an address we send to or from, else 0: local@domain, where the
 * local part is a dot-atom of RFC 5321 (atext characters and single inner dots; no
 * quoted strings, no comments) of 1..64 bytes, and the domain is two or more
 * LDH labels (letters, digits, inner hyphens; IDNs in their xn-- form) of 1..63
 * bytes, or an address literal is refused; at most MAIL_ADDR_MAX bytes in all.
 * Nothing else passes: no space, CR, LF, '<', '>', ',', ';', '"' or non-ASCII.
 */
int mail_addr_valid(const char *addr);

/* 1 when s[0..n) is well-formed UTF-8 without control characters (C0, DEL, C1), else 0. */
int mail_text_line(const char *s, size_t n);

/* A growing buffer: p holds len bytes and a NUL; bad is set once an append failed
 * (out of memory, or over max) and every later append is ignored. */
struct mail_buf {
	char *p;
	size_t len, cap, max;
	int bad;
};

/* Append s[0..n) to b. */
void mail_buf_add(struct mail_buf *b, const char *s, size_t n);
/* Append the NUL-terminated s to b. */
void mail_buf_puts(struct mail_buf *b, const char *s);
/* Free b's bytes (wiped first: a body may hold a link's secret). */
void mail_buf_free(struct mail_buf *b);

/*
 * Append text[0..n) (UTF-8; "\n" or "\r\n" end lines) to b as quoted-printable
 * (RFC 2045 §6.7): lines of at most 76 characters, CRLF hard breaks, '=' soft
 * breaks, '=', non-ASCII and control bytes encoded, and also a '.' or a space
 * that starts a line and a space or tab before a line break.
 */
void mail_qp(struct mail_buf *b, const char *text, size_t n);

/*
 * Append the header value s (UTF-8 without control characters) to b, as is when
 * it is printable ASCII, else as RFC 2047 "B" encoded words of at most 75
 * characters each, split between characters, folded onto continuation lines
 * (CRLF and a space). used is how many characters the line holds already (for
 * folding). Returns -1, appending nothing, when s holds a control character or
 * invalid UTF-8.
 */
int mail_header_text(struct mail_buf *b, const char *s, size_t used);

/*
 * Append a mailbox (RFC 5322 §3.4) for name and addr to b: "addr" when name is
 * empty, else the name as a quoted string (printable ASCII, '"' and '\' escaped)
 * or encoded words, then " <addr>". -1, appending nothing, when addr is not
 * mail_addr_valid or name is not a mail_text_line of at most MAIL_NAME_MAX bytes.
 */
int mail_mailbox(struct mail_buf *b, const char *name, const char *addr);

/* RFC 5322 §3.3 date-time of t (UTC) into out[32]: "Sat, 05 Dec 2026 19:41:17 +0000". */
void mail_date(int64_t t, char out[32]);

/* What one mail is made of. Strings are UTF-8; text and html are the two bodies. */
struct mail_parts {
	const char *from_name, *from_addr; /* the sender (MAIL_FROM) */
	const char *to_name, *to_addr;     /* the recipient; to_name may be "" */
	const char *subject;
	const char *text, *html;
	const char *id; /* the Message-ID's left part (letters and digits); its right part is
	                 * from_addr's domain */
	int64_t date;   /* Unix seconds */
};

/*
 * The whole message for p (headers From, To, Subject, Date, Message-ID,
 * MIME-Version, Auto-Submitted, and a multipart/alternative body with the text
 * and the HTML part, both quoted-printable UTF-8), CRLF line ends, 7-bit, into a
 * new malloc'd NUL-terminated string of *len bytes (at most max). NULL when a part
 * is refused (an address, a name or the subject as above, a body that is not
 * UTF-8) or the message would exceed max or memory ran out.
 */
char *mail_compose(const struct mail_parts *p, size_t max, size_t *len);

#endif
