/*
 * mailer.h: the server's mail sender, a thread of its own (SMTP waits on the
 * network: never on an event loop). Every MAILER_POLL_MS, or at once when kicked,
 * it delivers the outbox's due mails one by one (mail_deliver_one: claim with a
 * lease, send, record) on a store connection of its own, logs each outcome by
 * mail id (never an address, a subject or a link), counts the outbox's waiting
 * mails for idb_mail_outbox_depth, and purges old sent and given-up mails. While
 * the SMTP server fails, it makes one attempt per poll. Every replica runs one;
 * their claims never overlap.
 */
#ifndef ISSUER_MAILER_H
#define ISSUER_MAILER_H

#include <stddef.h>

#include "mail/mail.h"

/* Milliseconds between two looks at the outbox when nobody kicks. */
#ifndef MAILER_POLL_MS
#define MAILER_POLL_MS 1000
#endif
/* Mails delivered at most before the sender looks at its stop flag and the clock again. */
#ifndef MAILER_BATCH
#define MAILER_BATCH 32
#endif
/* Seconds between two counts of the outbox (the depth gauge) and two purges. */
#define MAILER_COUNT_SECONDS 10
#define MAILER_PURGE_SECONDS 3600

typedef struct mailer mailer;

/* Start the sender for c on the store named db (opened by the thread; an open that
 * fails is retried at each poll, logged). c must outlive it. NULL with a reason in err. */
mailer *mailer_start(const struct mail_config *c, const char *db, char *err, size_t errlen);

/* Look at the outbox now rather than at the next poll (after a commit that queued
 * mail). Any thread; m may be NULL (mail off). */
void mailer_kick(mailer *m);

/* Stop the sender and free it: a delivery in flight is cut short within about a
 * second (that mail is retried later, by this server's successor or a replica). m may
 * be NULL. */
void mailer_stop(mailer *m);

#endif
