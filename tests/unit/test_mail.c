/*
 * test_mail.c: the mail module (issuer/mail/): addresses as RFC 5321 allows them,
 * header injection through a name, an address or a subject (refused, or encoded
 * so that no CR LF reaches the message), RFC 2047 encoded words and
 * quoted-printable bodies decoded back to what went in, HTML escaping of every
 * value in the HTML part, the templates of every kind, SMTP_URL and MAIL_FROM
 * (the password masked in every message), the retry schedule, and mail_queue
 * into a real SQLite outbox inside a transaction. The .c files are included to
 * reach their statics.
 */
/* GCC 12 inlines mail_buf_add's wipe-then-free of the old buffer into the tests and
 * then warns of a use after free that is not there (ASan runs these tests: make test SAN=1). */
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12
#pragma GCC diagnostic ignored "-Wuse-after-free"
#endif
#include "../../issuer/store/store.c"
#include "../../issuer/store/valid.c"
#include "../../issuer/store/columns.c"
#include "../../issuer/store/store_sqlite.c"
#include "../../issuer/store/store_pg.c"
#include "../../issuer/mail/mime.c"
#include "../../issuer/mail/smtp.c"
#include "../../issuer/http/i18n.c"
#include "../../issuer/mail/mail.c"
#include "../test.h"

/* ---- decoders, written here from the RFCs (not from the code under test) ---- */

static int b64val(char c)
{
	const char *a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p = c ? strchr(a, c) : NULL;

	return p ? (int)(p - a) : -1;
}

/* Standard base64 s[0..n) onto out at *o; -1 when malformed. */
static int unb64(const char *s, size_t n, char *out, size_t *o)
{
	if (n % 4)
		return -1;
	for (size_t i = 0; i < n; i += 4) {
		int v[4];
		for (int k = 0; k < 4; k++)
			v[k] = s[i + k] == '=' ? 0 : b64val(s[i + k]);
		if (v[0] < 0 || v[1] < 0 || v[2] < 0 || v[3] < 0)
			return -1;
		out[(*o)++] = (char)(v[0] << 2 | v[1] >> 4);
		if (s[i + 2] != '=')
			out[(*o)++] = (char)((v[1] & 15) << 4 | v[2] >> 2);
		if (s[i + 3] != '=')
			out[(*o)++] = (char)((v[2] & 3) << 6 | v[3]);
	}
	out[*o] = '\0';
	return 0;
}

/* An unfolded header value made of encoded words (RFC 2047 §6.2: the white space
 * between two words is dropped) or plain text, decoded into out. -1 when malformed. */
static int decode_header(const char *v, char *out)
{
	size_t o = 0;

	while (*v) {
		const char *end;
		if (strncmp(v, "=?UTF-8?B?", 10) == 0 && (end = strstr(v + 10, "?=")) != NULL) {
			if (end - v > 75 || unb64(v + 10, (size_t)(end - v - 10), out, &o))
				return -1;
			v = end + 2;
			while (*v == ' ')
				v++;
		} else {
			out[o++] = *v++;
		}
	}
	out[o] = '\0';
	return 0;
}

static int hx(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Quoted-printable s (CRLF lines) decoded into out ("\n" line ends); -1 when malformed
 * or a line is longer than 76 characters. */
static int unqp(const char *s, char *out)
{
	size_t o = 0, col = 0;

	while (*s) {
		if (s[0] == '\r' && s[1] == '\n') {
			out[o++] = '\n', s += 2, col = 0;
			continue;
		}
		if (++col > 76)
			return -1;
		if (s[0] == '=' && s[1] == '\r' && s[2] == '\n') {
			s += 3, col = 0;
			continue;
		}
		if (s[0] == '=') {
			if (hx(s[1]) < 0 || hx(s[2]) < 0)
				return -1;
			out[o++] = (char)(hx(s[1]) << 4 | hx(s[2])), s += 3, col += 2;
			continue;
		}
		out[o++] = *s++;
	}
	out[o] = '\0';
	return 0;
}

/* The value of header name in msg, unfolded (CRLF + space removed), into out[n]; -1 when absent. */
static int header(const char *msg, const char *name, char *out, size_t n)
{
	const char *end = strstr(msg, "\r\n\r\n"), *p = msg;
	size_t o = 0, len = strlen(name);

	while (p && p < end && (strncmp(p, name, len) || p[len] != ':'))
		p = (p = strstr(p, "\r\n")) ? p + 2 : NULL;
	if (!p || p >= end)
		return -1;
	for (p += len + 2; p < end && o + 1 < n; p++) {
		if (p[0] == '\r' && p[1] == '\n') {
			if (p[2] != ' ' && p[2] != '\t')
				break;
			p++; /* and the loop's p++: on to the space, which stays (RFC 5322 §2.2.3) */
			continue;
		}
		out[o++] = *p;
	}
	out[o] = '\0';
	return 0;
}

/* The decoded body of the part of type (text/plain or text/html) into out. */
static int body_of(const char *msg, const char *type, char *out)
{
	char want[64], *copy;
	const char *p, *start, *end;
	int rc;

	snprintf(want, sizeof want, "Content-Type: %s; charset=UTF-8", type);
	if (!(p = strstr(msg, want)) || !(start = strstr(p, "\r\n\r\n")) ||
	    !(end = strstr(start + 4, "\r\n--=_")))
		return -1;
	copy = strndup(start + 4, (size_t)(end + 2 - start - 4));
	rc = copy ? unqp(copy, out) : -1;
	free(copy);
	return rc;
}

/* 1 when every byte of msg is 7-bit, no bare CR or LF is in it and no line exceeds max. */
static int lines_ok(const char *msg, size_t max)
{
	size_t col = 0;

	for (const char *p = msg; *p; p++) {
		if ((unsigned char)*p > 0x7e || (*p < 0x20 && *p != '\r' && *p != '\n' && *p != '\t'))
			return 0;
		if (*p == '\r') {
			if (p[1] != '\n')
				return 0;
			p++, col = 0;
			continue;
		}
		if (*p == '\n' || ++col > max)
			return 0;
	}
	return 1;
}

/* ---- addresses ---- */

static void test_addresses(void)
{
	static const char *const good[] = {"a@b.co", "first.last+tag@sub.example.org",
	                                   "x_y-z@xn--bcher-kva.example", "o'neil@example.com", "1@2.3"};
	static const char *const bad[] = {"",
	                                  "a",
	                                  "@b.co",
	                                  "a@",
	                                  "a@b",
	                                  "a@b..co",
	                                  ".a@b.co",
	                                  "a.@b.co",
	                                  "a..b@c.de",
	                                  "a b@c.de",
	                                  "a@b.co\r\nBcc: eve@evil.example",
	                                  "a@b.co\nBcc: eve@evil.example",
	                                  "a@-b.co",
	                                  "a@b-.co",
	                                  "<a@b.co>",
	                                  "a@b.co,d@e.fg",
	                                  "a@b.co;d@e.fg",
	                                  "\xc3\xbc@b.co",
	                                  "a@b\xc3\xbc.co",
	                                  "\"a b\"@c.de",
	                                  "a@[127.0.0.1]",
	                                  "a@b.co ",
	                                  " a@b.co"};
	char local[80], label[80], longest[300];
	int ok = 1;

	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		ok &= mail_addr_valid(good[i]);
	T_CHECK(ok, "addresses RFC 5321 allows are taken (dot-atoms, +tags, IDN A-labels)");
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (mail_addr_valid(bad[i]))
			printf("# accepted: %s\n", bad[i]);
		ok &= !mail_addr_valid(bad[i]);
	}
	T_CHECK(ok && !mail_addr_valid(NULL),
	        "header injection in an address (CR LF, ',' ';' '<'), spaces, quoted strings, literals, "
	        "non-ASCII, single labels and empty parts: refused (%zu cases)",
	        sizeof bad / sizeof bad[0]);
	memset(local, 'a', 64), strcpy(local + 64, "@b.co");
	memset(label, 'a', 63), strcpy(label + 63, ".co");
	T_CHECK(mail_addr_valid(local) && mail_addr_valid(strcat(strcpy(longest, "a@"), label)),
	        "a local part of 64 and a label of 63 bytes: taken");
	memset(local, 'a', 65), strcpy(local + 65, "@b.co");
	memset(label, 'a', 64), strcpy(label + 64, ".co");
	T_CHECK(!mail_addr_valid(local) && !mail_addr_valid(strcat(strcpy(longest, "a@"), label)),
	        "65 and 64: refused (RFC 5321 §4.5.3.1)");
	strcpy(longest, "a@");
	while (strlen(longest) < 260)
		strcat(longest, "abcdefghi.");
	strcat(longest, "co");
	T_CHECK(!mail_addr_valid(longest), "an address of %zu bytes (over 254): refused", strlen(longest));
}

/* ---- composition ---- */

static struct mail_parts parts(void)
{
	struct mail_parts p = {"Identity",
	                       "idp@example.com",
	                       "Alice",
	                       "alice@example.org",
	                       "Hello",
	                       "text body\n",
	                       "<p>html body</p>\n",
	                       "0123456789abcdef0123456789abcdef",
	                       1764963677};
	return p;
}

/* 1 when p makes a message. */
static int composes(const struct mail_parts *p)
{
	size_t len;
	char *m = mail_compose(p, 65536, &len);
	int made = m != NULL;

	free(m);
	return made;
}

static void test_injection(void)
{
	static const char *const evil[] = {"Eve\r\nBcc: x@evil.example",
	                                   "Eve\nBcc: x@evil.example",
	                                   "Eve\rBcc: x@evil.example",
	                                   "Eve\x85",
	                                   "Eve\x01",
	                                   "bad \xff utf-8"};
	struct mail_parts p = parts();
	size_t len;
	char *m;
	int refused = 1;

	for (size_t i = 0; i < sizeof evil / sizeof evil[0]; i++) {
		p = parts(), p.to_name = evil[i];
		refused &= !composes(&p);
		p = parts(), p.from_name = evil[i];
		refused &= !composes(&p);
		p = parts(), p.subject = evil[i];
		refused &= !composes(&p);
	}
	T_CHECK(refused, "a name or subject with CR, LF, NEL, a control byte or bad UTF-8: no message "
	                 "(header injection refused)");
	p = parts(), p.to_addr = "alice@example.org\r\nBcc: x@evil.example";
	T_CHECK(!(m = mail_compose(&p, 65536, &len)), "an address with CR LF: no message");
	free(m);
	p = parts(), p.id = "abc>\r\nBcc: x";
	T_CHECK(!(m = mail_compose(&p, 65536, &len)), "an id that is not letters and digits: no message");
	free(m);
	p = parts(), p.to_name = "Eve \"the\" \\ <x@evil.example>, y@evil.example";
	m = mail_compose(&p, 65536, &len);
	{
		char to[512];
		T_CHECK(
		    m && header(m, "To", to, sizeof to) == 0 &&
		        strcmp(to, "\"Eve \\\"the\\\" \\\\ <x@evil.example>, y@evil.example\" "
		                   "<alice@example.org>") == 0,
		    "a name with quotes, backslash, <, > and ',' stays one quoted string: one recipient (%s)",
		    m ? to : "none");
	}
	free(m);
}

static void test_encoded_words(void)
{
	struct mail_parts p = parts();
	char v[2048], dec[2048], subject[600] = "";
	size_t len;
	char *m;

	p.subject = "Bestätigen Sie Ihre Adresse – ✓";
	p.to_name = "Zoë Ångström";
	m = mail_compose(&p, 65536, &len);
	T_CHECK(m && header(m, "Subject", v, sizeof v) == 0 && strncmp(v, "=?UTF-8?B?", 10) == 0 &&
	            decode_header(v, dec) == 0 && strcmp(dec, p.subject) == 0,
	        "a non-ASCII subject is an encoded word that decodes back (RFC 2047)");
	T_CHECK(m && header(m, "To", v, sizeof v) == 0 && decode_header(v, dec) == 0 &&
	            strcmp(dec, "Zoë Ångström<alice@example.org>") == 0,
	        "a non-ASCII name too, before <address> (%s)", m ? dec : "");
	free(m);
	for (int i = 0; i < 10; i++)
		strcat(subject, "Größenänderung ✓ ");
	p = parts(), p.subject = subject;
	m = mail_compose(&p, 65536, &len);
	T_CHECK(m && lines_ok(m, 78) && header(m, "Subject", v, sizeof v) == 0 &&
	            decode_header(v, dec) == 0 && strcmp(dec, subject) == 0,
	        "a long subject: words of at most 75 characters on lines of at most 78, split between "
	        "characters, decoding back (%zu bytes)",
	        strlen(subject));
	free(m);
	p = parts(), p.to_name = "=?UTF-8?B?QWRtaW4=?=";
	m = mail_compose(&p, 65536, &len);
	T_CHECK(m && header(m, "To", v, sizeof v) == 0 && decode_header(v, dec) == 0 &&
	            strcmp(dec, "=?UTF-8?B?QWRtaW4=?=<alice@example.org>") == 0,
	        "a name that looks like an encoded word is encoded itself: it reads back as typed, not as "
	        "'Admin'");
	free(m);
	p = parts(), p.subject = "Plain ASCII subject";
	m = mail_compose(&p, 65536, &len);
	T_CHECK(m && header(m, "Subject", v, sizeof v) == 0 && !strcmp(v, "Plain ASCII subject"),
	        "an ASCII subject goes as it is");
	free(m);
}

static void test_bodies(void)
{
	struct mail_parts p = parts();
	char text[4096] = "", got[8192], v[256];
	size_t len;
	char *m;

	strcat(text, "a=b and ünïcödé\n.starts with a dot\n trailing space \ntab\t\n");
	for (int i = 0; i < 30; i++)
		strcat(text, "0123456789");
	strcat(text, "\nend\n");
	p.text = text;
	p.html = "<p>x</p>";
	m = mail_compose(&p, 65536, &len);
	T_CHECK(m && len == strlen(m) && lines_ok(m, 78),
	        "the message is 7-bit, CRLF only, lines of at most 78");
	T_CHECK(m && body_of(m, "text/plain", got) == 0 && strcmp(got, text) == 0,
	        "the text part decodes back to the text ('=', UTF-8, a long line, a leading dot, trailing "
	        "spaces)");
	T_CHECK(m && !strstr(m, "\r\n.") && !strstr(m, " \r\n"),
	        "no line of the message starts with '.' or ends with a space (SMTP and transport safe)");
	T_CHECK(m && header(m, "Message-ID", v, sizeof v) == 0 &&
	            !strcmp(v, "<0123456789abcdef0123456789abcdef@example.com>") &&
	            header(m, "Date", v, sizeof v) == 0 && !strcmp(v, "Fri, 05 Dec 2025 19:41:17 +0000") &&
	            header(m, "MIME-Version", v, sizeof v) == 0,
	        "Message-ID <id@sender's domain>, Date in RFC 5322 form, MIME-Version");
	T_CHECK(m && header(m, "Content-Type", v, sizeof v) == 0 &&
	            !strcmp(v, "multipart/alternative; boundary=\"=_0123456789abcdef0123456789abcdef\"") &&
	            strstr(m, "\r\n--=_0123456789abcdef0123456789abcdef--\r\n"),
	        "multipart/alternative with a boundary quoted-printable can never produce");
	free(m);
	p = parts();
	p.text = "bad \xc3 utf-8";
	T_CHECK(!(m = mail_compose(&p, 65536, &len)), "a body that is not UTF-8: no message");
	free(m);
	p = parts();
	T_CHECK(!(m = mail_compose(&p, 200, &len)), "a message over the size limit: no message");
	free(m);
}

/* ---- settings ---- */

/* mail_config_read of these settings (SMTP_CA_FILE unset). */
static int rd(const char *url, const char *from, const char *retry, const char *issuer, struct mail_config *c,
              char *err, size_t n)
{
	struct mail_settings in = {url, from, retry, NULL, issuer};

	return mail_config_read(&in, c, err, n);
}

static void test_settings(void)
{
	struct mail_config c;
	char err[256];

	T_CHECK(rd("smtp://user:s3cret@mail.example:587", "Identity <idp@example.com>", NULL,
	           "https://id.example", &c, err, sizeof err) == 1 &&
	            c.smtp.tls == SMTP_STARTTLS && c.smtp.port == 587 && !strcmp(c.smtp.user, "user") &&
	            !strcmp(c.smtp.password, "s3cret") &&
	            !strcmp(c.smtp.shown, "smtp://user:***@mail.example:587") &&
	            !strcmp(c.smtp.curl_url, "smtp://mail.example:587") && !strcmp(c.from_name, "Identity") &&
	            !strcmp(c.from_addr, "idp@example.com") && c.retry_seconds == MAIL_RETRY_SECONDS,
	        "smtp:// with a password: STARTTLS, shown as smtp://user:***@mail.example:587, From parsed");
	T_CHECK(rd("smtps://mail.example", "idp@example.com", "5", "", &c, err, sizeof err) == 1 &&
	            c.smtp.tls == SMTP_IMPLICIT && c.smtp.port == 465 && c.from_name[0] == '\0' &&
	            c.retry_seconds == 5,
	        "smtps:// defaults to 465; a bare address as MAIL_FROM; MAIL_RETRY_SECONDS");
	T_CHECK(rd("smtp+insecure://[::1]:2525", "\"Näme Ü\" <x@y.zz>", NULL, "", &c, err, sizeof err) == 1 &&
	            c.smtp.tls == SMTP_PLAIN && !strcmp(c.smtp.host, "[::1]") && c.smtp.port == 2525 &&
	            !strcmp(c.from_name, "Näme Ü"),
	        "smtp+insecure:// to an IPv6 literal; a quoted UTF-8 display name");
	T_CHECK(rd("smtp://a%40b:p%3Aq%25@h.example", "x@y.zz", NULL, "", &c, err, sizeof err) == 1 &&
	            !strcmp(c.smtp.user, "a@b") && !strcmp(c.smtp.password, "p:q%"),
	        "user and password are percent-decoded");
	T_CHECK(rd(NULL, NULL, NULL, "", &c, err, sizeof err) == 0 &&
	            rd("", "", NULL, "", &c, err, sizeof err) == 0,
	        "neither set: mail is off (0)");
	{
		static const char *const bad_urls[] = {
		    "http://user:s3cret@h.example",       "smtp://user:s3cret@h.example/x",
		    "smtp://user:s3cret@h.example:99999", "smtp://user:s3cret@",
		    "smtp://user:s3cret@h.ex ample",      "smtp://user:s3cret@h@x.example",
		    "smtp://user:s3%0acret@h.example",    "smtp://user:s3cret@h.example?x=1"};
		int all = 1;
		for (size_t i = 0; i < sizeof bad_urls / sizeof bad_urls[0]; i++) {
			err[0] = '\0';
			all &= rd(bad_urls[i], "x@y.zz", NULL, "", &c, err, sizeof err) == -1 && err[0] &&
			       !strstr(err, "s3cret") && !strstr(err, "s3");
		}
		T_CHECK(
		    all,
		    "bad SMTP_URLs (scheme, path, port, host, a raw '@', a control byte, a query): refused, "
		    "the reason never holding the password");
	}
	T_CHECK(rd("smtp://h.example", NULL, NULL, "", &c, err, sizeof err) == -1 && strstr(err, "MAIL_FROM"),
	        "SMTP_URL without MAIL_FROM: refused");
	T_CHECK(rd("smtp://h.example", "Eve <x@y.zz>\r\nBcc: a@b.cd", NULL, "", &c, err, sizeof err) == -1 &&
	            rd("smtp://h.example", "Eve\r\n <x@y.zz>", NULL, "", &c, err, sizeof err) == -1 &&
	            rd("smtp://h.example", "not an address", NULL, "", &c, err, sizeof err) == -1 &&
	            rd("smtp://h.example", "x@y.zz", "0", "", &c, err, sizeof err) == -1,
	        "MAIL_FROM with CR LF or no address, MAIL_RETRY_SECONDS 0: refused");
}

static void test_backoff(void)
{
	T_CHECK(mail_backoff(30, 1) == 30 && mail_backoff(30, 2) == 60 && mail_backoff(30, 3) == 120 &&
	            mail_backoff(30, 8) == 3600 && mail_backoff(30, 11) == 3600 &&
	            mail_backoff(30, MAIL_MAX_ATTEMPTS) == 0,
	        "retries after 30, 60, 120 s ..., at most an hour apart; none after %d attempts",
	        MAIL_MAX_ATTEMPTS);
}

/* ---- mail_queue, on a real outbox ---- */

static char dir[64];

static int q_exec_sq(store *s, const char *sql)
{
	return sqlite3_exec(((struct sq *)s)->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

static int64_t q_int_sq(store *s, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v = -1;

	if (sqlite3_prepare_v2(((struct sq *)s)->db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static struct mail_config config(void)
{
	struct mail_config c;
	char err[256];

	rd("smtp://mail.example", "Identity <idp@example.com>", NULL, "https://id.example", &c, err,
	   sizeof err);
	return c;
}

static void test_templates(store *s)
{
	static const char *const kinds[] = {"verify", "reset", "register", "test"};
	struct mail_config c = config();
	struct mail_vars v = {"Alice", "alice", "https://id.example/verify?t=abc", 86400, NULL};
	char id[MAIL_ID_LEN + 1];
	int all = 1;

	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		mail_err e = mail_queue(s, &c, kinds[i], "alice@example.org", &v, 1764963677, id, NULL);
		if (e != MAIL_OK)
			printf("# %s: %s\n", kinds[i], mail_strerror(e));
		all &= e == MAIL_OK && strlen(id) == MAIL_ID_LEN;
	}
	T_CHECK(all, "every kind's templates render and queue (verify, reset, register, test)");
	T_CHECK(mail_queue(s, &c, "nope", "alice@example.org", &v, 1, id, NULL) == MAIL_NO_KIND &&
	            mail_queue(s, &c, "../verify", "alice@example.org", &v, 1, id, NULL) == MAIL_NO_KIND &&
	            mail_queue(s, &c, "verify.txt", "alice@example.org", &v, 1, id, NULL) == MAIL_NO_KIND,
	        "an unknown kind, or one naming a path: MAIL_NO_KIND");
	T_CHECK(q_exec_sq(s, "DELETE FROM outbox") == 0, "clean up");
}

static void test_queue(store *s)
{
	struct mail_config c = config();
	struct mail_vars v = {"<script>alert('x')</script> & \"Bob\"", "bob",
	                      "https://id.example/reset?t=a&b=c", 1800, NULL};
	struct store_mail got;
	char id[MAIL_ID_LEN + 1], body[16384], to[512];
	store_err se;

	T_CHECK(store_tx_begin(s) == STORE_OK &&
	            mail_queue(s, &c, "reset", "bob@example.org", &v, 1764963677, id, &se) == MAIL_OK &&
	            store_tx_end(s, 0) == STORE_OK && store_outbox_get(s, id, &got) == STORE_NOT_FOUND,
	        "mail_queue inside a transaction rolled back: no mail");
	T_CHECK(store_tx_begin(s) == STORE_OK &&
	            mail_queue(s, &c, "reset", "bob@example.org", &v, 1764963677, id, &se) == MAIL_OK &&
	            store_tx_end(s, 1) == STORE_OK && store_outbox_get(s, id, &got) == STORE_OK &&
	            !strcmp(got.rcpt, "bob@example.org") && !strcmp(got.sender, "idp@example.com") &&
	            !strcmp(got.kind, "reset") && got.next_at == 1764963677,
	        "committed: one mail, envelope from MAIL_FROM to the address, due at once");
	T_CHECK(body_of(got.message, "text/html", body) == 0 && !strstr(body, "<script>") &&
	            strstr(body, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;Bob&quot;") &&
	            strstr(body, "href=\"https://id.example/reset?t=a&amp;b=c\"") &&
	            strstr(body, "30 minutes"),
	        "the HTML part: the name and the link HTML-escaped, in text and in href");
	T_CHECK(body_of(got.message, "text/plain", body) == 0 &&
	            strstr(body, "<script>alert('x')</script> & \"Bob\"") &&
	            strstr(body, "https://id.example/reset?t=a&b=c"),
	        "the text part: the values as they are");
	T_CHECK(header(got.message, "To", to, sizeof to) == 0 &&
	            !strcmp(to, "\"<script>alert('x')</script> & \\\"Bob\\\"\" <bob@example.org>") &&
	            lines_ok(got.message, 78),
	        "To: the name as one quoted string before the address; all lines short and 7-bit");
	v.name = "Eve\r\nBcc: x@evil.example";
	T_CHECK(mail_queue(s, &c, "verify", "eve@example.org", &v, 1, id, &se) == MAIL_BAD_VALUE,
	        "a name with CR LF: MAIL_BAD_VALUE (header injection)");
	v = (struct mail_vars){"Eve", "eve", "javascript:alert(1)", 60, NULL};
	T_CHECK(mail_queue(s, &c, "verify", "eve@example.org", &v, 1, id, &se) == MAIL_BAD_VALUE,
	        "a javascript: link: MAIL_BAD_VALUE");
	v.link = "https://id.example/a b\"onmouseover=x";
	T_CHECK(mail_queue(s, &c, "verify", "eve@example.org", &v, 1, id, &se) == MAIL_BAD_VALUE,
	        "a link with a space or a quote: MAIL_BAD_VALUE");
	v.link = "https://id.example/v";
	T_CHECK(mail_queue(s, &c, "verify", "eve@example.org\r\nBcc: x@evil.example", &v, 1, id, &se) ==
	                MAIL_BAD_ADDRESS &&
	            mail_queue(s, &c, "verify", "Eve <eve@example.org>", &v, 1, id, &se) == MAIL_BAD_ADDRESS,
	        "an address with CR LF, or a whole mailbox: MAIL_BAD_ADDRESS");
	T_CHECK(q_exec_sq(s, "SELECT 1") == 0 && q_int_sq(s, "SELECT count(*) FROM outbox") == 1,
	        "refused mails left nothing in the outbox");
}

/* How fast mails are composed and queued (printed, not asserted: a shared machine). */
static void time_queue(store *s)
{
	struct mail_config c = config();
	struct mail_vars v = {"Zoë Example", "zoe",
	                      "https://id.example/verify?t=0123456789abcdef0123456789abcdef", 86400, NULL};
	struct timespec t0, t1;
	int ok = 1, n = 2000;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	ok &= store_tx_begin(s) == STORE_OK;
	for (int i = 0; i < n; i++)
		ok &= mail_queue(s, &c, "verify", "zoe@example.org", &v, 1764963677, NULL, NULL) == MAIL_OK;
	ok &= store_tx_end(s, 1) == STORE_OK;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	T_CHECK(ok && q_int_sq(s, "SELECT count(*) FROM outbox WHERE kind = 'verify'") == n,
	        "%d mails queued in one transaction", n);
	printf("# %d mails composed and queued in %.1f ms (%.0f per second, one transaction; message %lld "
	       "bytes)\n",
	       n, (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6,
	       n / ((double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9),
	       (long long)q_int_sq(s, "SELECT max(length(message)) FROM outbox"));
}

int main(void)
{
	char path[128], err[256], cmd[160];
	store *s;

	test_addresses();
	test_injection();
	test_encoded_words();
	test_bodies();
	test_settings();
	test_backoff();
	snprintf(dir, sizeof dir, "/tmp/idb-mail-XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof path, "%s/mail.db", dir);
	s = store_open(path, err, sizeof err);
	T_CHECK(s != NULL, "a SQLite store for the outbox (%s)", s ? "ok" : err);
	if (s) {
		test_templates(s);
		test_queue(s);
		time_queue(s);
		store_close(s);
	}
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	T_DONE();
}
