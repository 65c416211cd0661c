/*
 * fuzz_mail.c: libFuzzer target for the mail module's composition
 * (issuer/mail/mime.h): header injection and malformed messages. Input: up to six
 * NUL-separated fields, the recipient's address, the recipient's name, the
 * sender's name, the subject, the text body and the HTML body (a missing field
 * takes a plain default).
 *
 * Promises checked (mime.h): an address mail_addr_valid accepts holds only atext,
 * dots and one '@' between a local part and a domain, within MAIL_ADDR_MAX; a
 * message mail_compose makes is 7-bit, CRLF only (no bare CR or LF), no line over
 * 998 characters, has exactly its eight header fields in order and no other (no
 * name, address or subject ever adds one: no header injection), and its
 * boundary line exactly three times (two parts and the end).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "mail/mime.h"

#define FIELDS 6
#define CT     "\r\nContent-Type: multipart/alternative;\r\n boundary=\""

static const char *const defaults[FIELDS] = {"alice@example.org", "Alice", "Identity", "Hello", "text\n",
                                             "<p>html</p>\n"};

/* Split data at NULs into f[FIELDS] (copies, NUL-terminated; defaults for missing ones). */
static void split(const uint8_t *data, size_t size, char *f[FIELDS])
{
	size_t at = 0;

	for (int i = 0; i < FIELDS; i++) {
		const uint8_t *nul = at < size ? memchr(data + at, 0, size - at) : NULL;
		size_t n = at < size ? (nul ? (size_t)(nul - data) - at : size - at) : 0;

		f[i] = at < size ? strndup((const char *)data + at, n) : strdup(defaults[i]);
		at = nul ? (size_t)(nul - data) + 1 : size + 1;
	}
}

static void check_address(const char *a)
{
	const char *at = strrchr(a, '@');

	if (!mail_addr_valid(a))
		return;
	FUZZ_CHECK(at && at != a && at[1] && strlen(a) <= MAIL_ADDR_MAX,
	           "an accepted address without its parts: %s", a);
	for (const char *p = a; *p; p++)
		FUZZ_CHECK((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		               strchr("!#$%&'*+-/=?^_`{|}~.", *p) || p == at,
		           "an accepted address with byte 0x%02x", (unsigned char)*p);
}

/* The message's bytes and lines: 7-bit, CRLF only, lines of at most 998. */
static void check_lines(const char *m, size_t len)
{
	size_t col = 0;

	FUZZ_CHECK(strlen(m) == len, "a NUL inside the message");
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)m[i];

		FUZZ_CHECK(c == '\t' || c == '\r' || c == '\n' || (c >= 0x20 && c < 0x7f), "byte 0x%02x", c);
		FUZZ_CHECK(c != '\r' || (i + 1 < len && m[i + 1] == '\n'), "a bare CR at %zu", i);
		FUZZ_CHECK(c != '\n' || (i > 0 && m[i - 1] == '\r'), "a bare LF at %zu", i);
		col = c == '\n' ? 0 : col + 1;
		FUZZ_CHECK(col <= 999, "a line over 998 characters");
	}
}

/* The header block holds exactly our eight fields, in order; the boundary line comes three times. */
static void check_structure(const char *m)
{
	static const char *const names[] = {
	    "From:",       "To:",           "Subject:",        "Date:",
	    "Message-ID:", "MIME-Version:", "Auto-Submitted:", "Content-Type:"};
	const char *end = strstr(m, "\r\n\r\n"), *line = m, *b;
	char boundary[80];
	size_t k = 0, count = 0;

	FUZZ_CHECK(end != NULL, "no end of the headers");
	for (; line < end + 2; line = strstr(line, "\r\n") + 2) {
		if (*line == ' ' || *line == '\t')
			continue; /* a continuation line */
		FUZZ_CHECK(k < 8 && strncmp(line, names[k], strlen(names[k])) == 0,
		           "header field %zu is not %s: %.40s", k, k < 8 ? names[k] : "(none)", line);
		k++;
	}
	FUZZ_CHECK(k == 8, "%zu header fields", k);
	b = strstr(m, CT); /* the header's boundary, not one in a name */
	FUZZ_CHECK(b && b < end && sscanf(b + strlen(CT), "%70[^\"]\"", boundary) == 1, "no boundary");
	for (const char *p = end; (p = strstr(p, boundary)) != NULL; p++)
		count += p[-1] == '-' && p[-2] == '-' && p[-3] == '\n';
	FUZZ_CHECK(count == 3, "the boundary line %zu times", count);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *f[FIELDS];
	struct mail_parts p;
	size_t len = 0;
	char *m;

	split(data, size, f);
	check_address(f[0]);
	p = (struct mail_parts){f[2], "idp@example.com",  f[1],      f[0], f[3], f[4],
	                        f[5], "0123456789abcdef", 1764963677};
	if ((m = mail_compose(&p, 1 << 20, &len)) != NULL) {
		check_lines(m, len);
		check_structure(m);
		free(m);
	}
	for (int i = 0; i < FIELDS; i++)
		free(f[i]);
	return 0;
}
