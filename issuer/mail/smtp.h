/*
 * smtp.h: the SMTP server mail goes to (SMTP_URL), and one delivery to it with
 * libcurl. The URL's password is kept for libcurl only: every form of the URL
 * this module gives for people (smtp_url's shown, error messages) has it masked.
 *
 * SMTP_URL forms:
 *   smtp://[user[:password]@]host[:port]           STARTTLS required (port 25 unless given;
 *                                                  587 is the usual submission port)
 *   smtps://[user[:password]@]host[:port]          TLS from the first byte (port 465)
 *   smtp+insecure://[user[:password]@]host[:port]  no TLS: the message and any password
 *                                                  cross the network in the clear
 * user and password are percent-decoded (write '@' as %40, ':' as %3A). The host is a
 * name, an IPv4 address or an [IPv6] literal; a path, query or fragment is refused.
 * The server's certificate is checked against the system's CAs, or SMTP_CA_FILE's
 * (smtp_url_parse's ca_file).
 */
#ifndef ISSUER_MAIL_SMTP_H
#define ISSUER_MAIL_SMTP_H

#include <stdatomic.h>
#include <stddef.h>

/* Seconds one delivery may take in all, and to connect. A sender's lease on a mail
 * (mail.h, MAIL_LEASE_SECONDS) is longer than the first. */
#ifndef SMTP_TIMEOUT_SECONDS
#define SMTP_TIMEOUT_SECONDS 60
#endif
#ifndef SMTP_CONNECT_SECONDS
#define SMTP_CONNECT_SECONDS 10
#endif

enum smtp_tls {
	SMTP_STARTTLS, /* smtp://: the server must offer STARTTLS, or nothing is sent */
	SMTP_IMPLICIT, /* smtps:// */
	SMTP_PLAIN,    /* smtp+insecure:// */
};

struct smtp_url {
	enum smtp_tls tls;
	char host[256]; /* as written in the URL ("[::1]" keeps its brackets) */
	unsigned port;
	char user[256], password[256]; /* decoded; "" when absent */
	char curl_url[300];            /* smtp(s)://host:port, without credentials */
	char shown[600];               /* the URL for people: the password as "***" */
	char ca_file[512];             /* SMTP_CA_FILE, or "": the system's CAs */
};

/* Parse url into *out, with ca_file (NULL or "": the system's CAs) for checking the
 * server's certificate; 0, or -1 with a one-line reason in err that never holds the
 * password. */
int smtp_url_parse(const char *url, const char *ca_file, struct smtp_url *out, char *err, size_t errlen);

/* Prepare libcurl (curl_global_init): once, before any thread sends. 0 or -1. */
int smtp_init(void);

/* What one delivery came to. */
enum smtp_result {
	SMTP_SENT = 0,    /* the server accepted the message (250 after its end) */
	SMTP_RETRY = 1,   /* not sent, or unknown: try again later (connection, TLS, 4xx, auth) */
	SMTP_REFUSED = 2, /* the server refused this message for good (5xx for it: the address,
	                   * its size, its content): trying again cannot help */
};

/*
 * Deliver msg[0..len) (the whole message, CRLF lines) from `from` to `rcpt` (both
 * valid addresses, mime.h) through u; blocks up to SMTP_TIMEOUT_SECONDS, or until
 * *cancel (when cancel is not NULL) becomes non-zero: then it gives up within a
 * second (SMTP_RETRY). Any failure leaves a one-line reason in err (the server's
 * reply code when there was one; never a password, never the message).
 */
enum smtp_result smtp_send(const struct smtp_url *u, const char *from, const char *rcpt, const char *msg,
                           size_t len, const atomic_int *cancel, char *err, size_t errlen);

#endif
