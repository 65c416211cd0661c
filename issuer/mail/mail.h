/*
 * mail.h: mail for people (address verification, password reset, ...), written
 * to the store's outbox in the same transaction as what it announces, and
 * delivered from there by a sender that retries with backoff.
 *
 * The way of one mail: a handler calls mail_queue inside its transaction; the
 * message is composed at once from the templates www/mail/KIND.txt and
 * KIND.html (compiled in) and put in the outbox (store.h, struct store_mail), so
 * it exists exactly when the transaction commits. A sender (runtime/mailer.c, a
 * thread of its own; or any replica's) calls mail_deliver_one, which claims one
 * due mail with a lease, hands it to the SMTP server (smtp.h), and marks it sent
 * only once the server accepted it, or puts it back for a later attempt.
 *
 * Delivery is at least once, and exactly once except in two windows: the SMTP
 * server accepted the message but its answer was lost (a connection cut after
 * the message's end), or the outbox could not be told it was sent (the store
 * failed right then, or the process died between the two). The mail is then
 * sent again after its lease, with the same Message-ID (receivers may drop the
 * copy by it). A lease is longer than a delivery may take, so two senders never
 * hold one mail at once; a sender whose lease ran out (a paused process) finds
 * its claim superseded and changes nothing.
 *
 * In a handler (the server's settings are app->cfg->mail, NULL when mail is off):
 *
 *     store_tx_begin(t->db);
 *     ... put the token's hash ...
 *     me = mail_queue(t->db, t->app->cfg->mail, "verify", u.email,
 *                     &(struct mail_vars){.name = u.name, .username = u.username,
 *                                         .link = link, .valid_for = 86400},
 *                     app_now(), id, &se);
 *     store_tx_end(t->db, me == MAIL_OK);  (503 when me is MAIL_STORE and
 *                                           store_unavailable(se))
 *     mailer_kick(t->app->mail);           (runtime/mailer.h: send now, not within 1 s)
 *
 * Secrets: a message may carry a link with a token; it lives in the outbox only
 * until the mail is sent or given up (then it is wiped), and nothing here logs a
 * message, a subject or a link: ids, kinds, states and SMTP's reasons only.
 */
#ifndef ISSUER_MAIL_H
#define ISSUER_MAIL_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "mail/mime.h"
#include "mail/smtp.h"
#include "store/store.h"

/* Length of a mail's id: 128 random bits as hex (the Message-ID's left part). */
#define MAIL_ID_LEN 32

/* A sender's lease on a claimed mail, seconds: longer than one delivery may take. */
#ifndef MAIL_LEASE_SECONDS
#define MAIL_LEASE_SECONDS (2 * SMTP_TIMEOUT_SECONDS)
#endif
/* Retries: the first after MAIL_RETRY_SECONDS (default; settable), each next one twice
 * as late, at most MAIL_RETRY_MAX_SECONDS apart; after MAIL_MAX_ATTEMPTS attempts the
 * mail is given up (about 9 hours with the defaults). */
#ifndef MAIL_RETRY_SECONDS
#define MAIL_RETRY_SECONDS 30
#endif
#ifndef MAIL_RETRY_MAX_SECONDS
#define MAIL_RETRY_MAX_SECONDS 3600
#endif
#ifndef MAIL_MAX_ATTEMPTS
#define MAIL_MAX_ATTEMPTS 12
#endif
/* Sent and given-up mails (their messages already wiped) are purged after this long. */
#ifndef MAIL_KEEP_SECONDS
#define MAIL_KEEP_SECONDS (7 * 86400)
#endif

/* The mail settings, checked (mail_config_read). */
struct mail_config {
	char from_addr[MAIL_ADDR_MAX + 1]; /* MAIL_FROM's address: From and the envelope sender */
	char from_name[MAIL_NAME_MAX + 1]; /* its display name, or "" */
	char issuer[512];                  /* the issuer URL, for {{issuer}} in templates */
	struct smtp_url smtp;              /* SMTP_URL */
	int64_t retry_seconds;             /* MAIL_RETRY_SECONDS: the first retry's delay */
};

/* The mail settings as written (environment variables); NULL or "" means unset. */
struct mail_settings {
	const char *smtp_url;      /* SMTP_URL */
	const char *mail_from;     /* MAIL_FROM */
	const char *retry_seconds; /* MAIL_RETRY_SECONDS */
	const char *ca_file;       /* SMTP_CA_FILE */
	const char *issuer;        /* the issuer URL (JWT_ISSUER or --issuer), for {{issuer}} */
};

/*
 * Check in and fill *out: SMTP_URL (smtp_url_parse, with SMTP_CA_FILE), MAIL_FROM
 * ("addr" or "Display Name <addr>", the name in printable text or UTF-8) and
 * MAIL_RETRY_SECONDS (1..3600, default MAIL_RETRY_SECONDS). Returns 1 when mail is
 * configured (SMTP_URL and MAIL_FROM both set), 0 when neither is (mail off), and
 * -1 with a one-line reason in err (never a password) when one is missing or a
 * value is invalid.
 */
int mail_config_read(const struct mail_settings *in, struct mail_config *out, char *err, size_t errlen);

/* What a mail says besides its kind's fixed text. Any field may be NULL (or 0). */
struct mail_vars {
	const char *name;     /* the person's name, UTF-8: the To header's display name and
	                       * {{name}} (which falls back to username, then to the address) */
	const char *username; /* {{username}} */
	const char *link;     /* {{link}}: the action's http(s) URL (it may carry a token) */
	int64_t valid_for;    /* {{valid_for}}: how long the link works, seconds ("24 hours") */
	const char *lang;     /* the language tag of the request that caused the mail (http/i18n.h;
	                       * page_lang), or NULL: English. The templates' {{t:key}} messages
	                       * and {{valid_for}} are in it; {{lang}} is the tag */
};

/* Why a mail was not queued. */
typedef enum mail_err {
	MAIL_OK = 0,
	MAIL_BAD_ADDRESS = 1, /* `to` is not an address mail_addr_valid accepts */
	MAIL_BAD_VALUE = 2,   /* a var holds a control character or invalid UTF-8, is too long,
	                       * or the link is not a plain http(s) URL */
	MAIL_NO_KIND = 3,     /* no templates www/mail/KIND.txt and .html */
	MAIL_TOO_BIG = 4,     /* the message would exceed STORE_MAIL_MAX */
	MAIL_NOMEM = 10,
	MAIL_NO_RANDOM = 11, /* the system's random source failed */
	MAIL_STORE = 20,     /* outbox_put failed: its store_err in *store_e (503 when unavailable) */
} mail_err;

/* A short English phrase for e. Never NULL. */
const char *mail_strerror(mail_err e);

/*
 * Queue one mail of kind ("verify", "reset", "register", "test": a pair of
 * templates in www/mail/) to the address `to`, with v's values, dated now, in s's
 * outbox: call it between store_tx_begin and store_tx_end with the row the mail
 * announces (a verification or reset token's hash), so the two commit or roll
 * back together; outside a transaction it commits on its own. The message is
 * composed here: From is c's MAIL_FROM, To is v->name and `to`, the Subject is the
 * first line of KIND.txt ("Subject: ..."); both bodies are rendered from the
 * templates, every value HTML-escaped in the HTML part, and no value can reach a
 * header but as an encoded word. On MAIL_OK the mail's id (MAIL_ID_LEN hex
 * characters, its Message-ID's left part: for logs, never a secret) is in id_out
 * when that is not NULL. On MAIL_STORE, *store_e (when not NULL) has the store's
 * answer (CONFLICT is impossible: ids are random); else it is STORE_OK. Safe on
 * any thread; allocates about 100 KB while it runs (off the caller's stack).
 */
mail_err mail_queue(store *s, const struct mail_config *c, const char *kind, const char *to,
                    const struct mail_vars *v, int64_t now, char id_out[MAIL_ID_LEN + 1], store_err *store_e);

/* What mail_deliver_one did. */
enum mail_step {
	MAIL_STEP_IDLE = 0, /* no mail was due */
	MAIL_STEP_SENT,     /* one mail accepted by the SMTP server, marked sent */
	MAIL_STEP_RETRY,    /* one mail not sent; due again at next_at */
	MAIL_STEP_GAVE_UP,  /* one mail refused for good or out of attempts: FAILED */
	MAIL_STEP_STORE,    /* the store failed (claim, or recording the outcome): store_e */
};

struct mail_outcome {
	enum mail_step step;
	char id[STORE_ID_MAX + 1];
	char kind[STORE_MAIL_KIND_MAX + 1];
	int attempt;                          /* this attempt's number (1: the first) */
	int64_t next_at;                      /* MAIL_STEP_RETRY: when it is due again */
	char error[STORE_MAIL_ERROR_MAX + 1]; /* the SMTP failure, or the store's */
	store_err store_e;
	int sent_unrecorded; /* the server accepted it but the outbox could not be told: it
	                      * will be sent again after its lease (the at-least-once window) */
};

/*
 * Claim one due mail of s's outbox, deliver it through c->smtp (blocking up to
 * SMTP_TIMEOUT_SECONDS: never call it on an event loop; cancel, when not NULL and
 * set, cuts that short and the mail is retried later), and record the outcome at
 * now (sent; or due again after a backoff; or given up). *o says what happened.
 * The counters of mail_stats follow.
 */
void mail_deliver_one(store *s, const struct mail_config *c, int64_t now, const atomic_int *cancel,
                      struct mail_outcome *o);

/* The delay before attempt `attempt` + 1 after attempt `attempt` failed: base, doubling,
 * at most MAIL_RETRY_MAX_SECONDS; 0 when attempt reached MAIL_MAX_ATTEMPTS (give up). */
int64_t mail_backoff(int64_t base, int attempt);

/* This process's mail counters (for /metrics); they only grow, but depth. */
struct mail_stats {
	atomic_ullong queued;  /* mails put in the outbox (by mail_queue: a transaction that
	                        * rolled back afterwards still counts) */
	atomic_ullong sent;    /* mails the SMTP server accepted */
	atomic_ullong failed;  /* delivery attempts that failed (retried or given up) */
	atomic_ullong gave_up; /* mails given up */
	atomic_llong depth;    /* mails waiting in the outbox when last counted; -1: never */
};
struct mail_stats *mail_stats(void);

/* The embedded file www/mail/<name> ("verify.txt"), its length in *len; NULL if none. */
const char *mail_file(const char *name, size_t *len);

#endif
