/*
 * mailer.c: the server's mail sender thread (see mailer.h). It must never log a
 * message, a subject, a link or an address, and never hold a lock while it talks
 * to the SMTP server or the store.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "runtime/mailer.h"
#include "runtime/reqlog.h"

struct mailer {
	const struct mail_config *cfg;
	char *db;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	int stop, kicked;
	atomic_int cancel; /* set with stop: a delivery in flight gives up */
};

/* One line of the log for o (a mail id, its kind, the attempt; the reason when it failed). */
static void log_outcome(const struct mail_outcome *o)
{
	static const char *const msg[] = {"", "mail sent", "mail not sent; it will be tried again",
	                                  "mail given up", "mail: the outbox failed"};
	const char *level = o->step == MAIL_STEP_SENT && !o->sent_unrecorded ? "info"
	                    : o->step == MAIL_STEP_RETRY                     ? "warn"
	                                                                     : "error";
	reqlog_field f[] = {{"msg", msg[o->step], 0},
	                    {"mail_id", o->id[0] ? o->id : NULL, INT64_MIN},
	                    {"kind", o->kind[0] ? o->kind : NULL, INT64_MIN},
	                    {"attempt", NULL, o->attempt ? o->attempt : INT64_MIN},
	                    {"next_at", NULL, o->step == MAIL_STEP_RETRY ? o->next_at : INT64_MIN},
	                    {"reason", o->error[0] ? o->error : NULL, INT64_MIN}};

	reqlog_print(level, f, sizeof f / sizeof f[0]);
}

/* Deliver what is due, at most MAILER_BATCH mails; 1 when more may be due. After a
 * failure that the next mail would likely meet too (SMTP or the store down), the
 * rest waits for the next poll: an outage costs one attempt a second, not a burst. */
static int deliver(mailer *m, store *s)
{
	struct mail_outcome o;

	for (int n = 0; n < MAILER_BATCH; n++) {
		pthread_mutex_lock(&m->lock);
		int stop = m->stop;
		pthread_mutex_unlock(&m->lock);
		if (stop)
			return 0;
		mail_deliver_one(s, m->cfg, (int64_t)time(NULL), &m->cancel, &o);
		if (o.step == MAIL_STEP_IDLE)
			return 0;
		log_outcome(&o);
		if (o.step == MAIL_STEP_STORE || o.step == MAIL_STEP_RETRY)
			return 0; /* the store or the SMTP server is unwell: one try per poll until it is not
			           */
	}
	return 1;
}

/* The periodic chores: the outbox's depth for the gauge, and purging old mails. */
static void chores(store *s, int64_t now, int64_t *next_count, int64_t *next_purge)
{
	struct store_outbox_counts c;

	if (now >= *next_count) {
		*next_count = now + MAILER_COUNT_SECONDS;
		if (store_outbox_count(s, now, &c) == STORE_OK)
			atomic_store(&mail_stats()->depth, c.queued);
	}
	if (now >= *next_purge) {
		*next_purge = now + MAILER_PURGE_SECONDS;
		(void)store_outbox_purge(s, now - MAIL_KEEP_SECONDS);
	}
}

/* Sleep until kicked, stopped, or MAILER_POLL_MS passed; 1 when stopping. */
static int wait_turn(mailer *m)
{
	struct timespec until;
	int stop;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += MAILER_POLL_MS / 1000;
	until.tv_nsec += (long)(MAILER_POLL_MS % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L)
		until.tv_sec++, until.tv_nsec -= 1000000000L;
	pthread_mutex_lock(&m->lock);
	while (!m->stop && !m->kicked)
		if (pthread_cond_timedwait(&m->wake, &m->lock, &until) != 0)
			break;
	m->kicked = 0;
	stop = m->stop;
	pthread_mutex_unlock(&m->lock);
	return stop;
}

static void *run(void *arg)
{
	mailer *m = arg;
	store *s = NULL;
	int64_t next_count = 0, next_purge = 0;
	char err[256];
	int warned = 0, more = 0;

	do {
		if (!s && !(s = store_open(m->db, err, sizeof err)) && !warned++)
			reqlog_print("error",
			             (reqlog_field[]){{"msg", "mail: cannot open the store; retrying", 0},
			                              {"reason", err, 0}},
			             2);
		if (s) {
			warned = 0;
			more = deliver(m, s);
			chores(s, (int64_t)time(NULL), &next_count, &next_purge);
		}
	} while (more || !wait_turn(m));
	store_close(s);
	return NULL;
}

/* see mailer.h */
mailer *mailer_start(const struct mail_config *c, const char *db, char *err, size_t errlen)
{
	mailer *m = calloc(1, sizeof *m);
	sigset_t all, old;
	int rc;

	if (!m || !(m->db = strdup(db))) {
		free(m);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (smtp_init()) {
		free(m->db), free(m);
		snprintf(err, errlen, "cannot initialise libcurl");
		return NULL;
	}
	m->cfg = c;
	pthread_mutex_init(&m->lock, NULL);
	pthread_cond_init(&m->wake, NULL);
	sigfillset(&all); /* the main thread waits for the signals */
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&m->thread, NULL, run, m);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		pthread_cond_destroy(&m->wake);
		pthread_mutex_destroy(&m->lock);
		free(m->db), free(m);
		snprintf(err, errlen, "cannot start the mail thread");
		return NULL;
	}
	reqlog_print("info",
	             (reqlog_field[]){{"msg", "mail: sending through", 0},
	                              {"smtp", c->smtp.shown, 0},
	                              {"from", c->from_addr, 0}},
	             3);
	return m;
}

/* see mailer.h */
void mailer_kick(mailer *m)
{
	if (!m)
		return;
	pthread_mutex_lock(&m->lock);
	m->kicked = 1;
	pthread_cond_signal(&m->wake);
	pthread_mutex_unlock(&m->lock);
}

/* see mailer.h */
void mailer_stop(mailer *m)
{
	if (!m)
		return;
	atomic_store(&m->cancel, 1);
	pthread_mutex_lock(&m->lock);
	m->stop = 1;
	pthread_cond_signal(&m->wake);
	pthread_mutex_unlock(&m->lock);
	pthread_join(m->thread, NULL);
	pthread_cond_destroy(&m->wake);
	pthread_mutex_destroy(&m->lock);
	free(m->db);
	free(m);
}
