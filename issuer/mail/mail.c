/*
 * mail.c: queueing mail in the outbox and delivering it from there (see mail.h).
 * It must never log or return a message's text, a subject or a link, never queue
 * a mail whose parts it has not checked, and never mark a mail sent before the
 * SMTP server accepted it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "http/i18n.h"
#include "mail/mail.h"

/* The templates of www/mail/, compiled in by the Makefile. */
struct mail_tpl_file {
	const char *name;
	const unsigned char *data;
	size_t len;
};
#include "mail_templates.inc"

/* Longest link and username a mail takes. */
#define MAIL_LINK_MAX 2048
#define MAIL_USER_MAX 256
/* Largest rendered body (each of the two). */
#define MAIL_BODY_MAX (STORE_MAIL_MAX / 2)

static struct mail_stats stats = {.depth = -1};

/* see mail.h */
struct mail_stats *mail_stats(void)
{
	return &stats;
}

/* see mail.h */
const char *mail_strerror(mail_err e)
{
	switch (e) {
	case MAIL_OK:
		return "ok";
	case MAIL_BAD_ADDRESS:
		return "not a mail address we send to";
	case MAIL_BAD_VALUE:
		return "a value of the mail is not acceptable";
	case MAIL_NO_KIND:
		return "no such kind of mail";
	case MAIL_TOO_BIG:
		return "the mail is too big";
	case MAIL_NOMEM:
		return "out of memory";
	case MAIL_NO_RANDOM:
		return "no random numbers";
	case MAIL_STORE:
		return "the outbox could not be written";
	}
	return "unknown mail error";
}

/* see mail.h */
const char *mail_file(const char *name, size_t *len)
{
	for (size_t i = 0; i < sizeof mail_tpl_files / sizeof mail_tpl_files[0]; i++)
		if (strcmp(mail_tpl_files[i].name, name) == 0) {
			*len = mail_tpl_files[i].len;
			return (const char *)mail_tpl_files[i].data;
		}
	return NULL;
}

/* MAIL_FROM ("addr" or "Name <addr>", the name maybe in double quotes) into c. */
static int parse_from(const char *from, struct mail_config *c)
{
	const char *lt = strrchr(from, '<');
	size_t n = strlen(from), name_len;

	if (!lt)
		return snprintf(c->from_addr, sizeof c->from_addr, "%s", from) < (int)sizeof c->from_addr &&
		               mail_addr_valid(c->from_addr)
		           ? 0
		           : -1;
	if (n < 2 || from[n - 1] != '>' || (size_t)(from + n - 1 - lt - 1) > MAIL_ADDR_MAX)
		return -1;
	memcpy(c->from_addr, lt + 1, (size_t)(from + n - 1 - lt - 1));
	c->from_addr[from + n - 1 - lt - 1] = '\0';
	name_len = (size_t)(lt - from);
	while (name_len && from[name_len - 1] == ' ')
		name_len--;
	if (name_len >= 2 && from[0] == '"' && from[name_len - 1] == '"')
		from++, name_len -= 2;
	if (name_len > MAIL_NAME_MAX || memchr(from, '"', name_len) || !mail_text_line(from, name_len))
		return -1;
	memcpy(c->from_name, from, name_len);
	c->from_name[name_len] = '\0';
	return mail_addr_valid(c->from_addr) ? 0 : -1;
}

/* see mail.h */
int mail_config_read(const struct mail_settings *in, struct mail_config *out, char *err, size_t errlen)
{
	const char *retry = in->retry_seconds;
	int has_url = in->smtp_url && *in->smtp_url, has_from = in->mail_from && *in->mail_from;
	char *end;
	long r;

	memset(out, 0, sizeof *out);
	out->retry_seconds = MAIL_RETRY_SECONDS;
	if (!has_url && !has_from)
		return 0;
	if (!has_from)
		return snprintf(err, errlen, "MAIL_FROM: missing (SMTP_URL is set: mail needs a sender)"), -1;
	if (!has_url)
		return snprintf(err, errlen, "SMTP_URL: missing (MAIL_FROM is set: mail needs a server)"), -1;
	if (smtp_url_parse(in->smtp_url, in->ca_file, &out->smtp, err, errlen))
		return -1;
	if (parse_from(in->mail_from, out))
		return snprintf(err, errlen, "MAIL_FROM: not \"address\" or \"Name <address>\""), -1;
	if (retry && *retry) {
		errno = 0;
		r = strtol(retry, &end, 10);
		if (errno || *end || end == retry || r < 1 || r > MAIL_RETRY_MAX_SECONDS || *retry < '0' ||
		    *retry > '9')
			return snprintf(err, errlen, "MAIL_RETRY_SECONDS: not 1..%d", MAIL_RETRY_MAX_SECONDS),
			       -1;
		out->retry_seconds = r;
	}
	snprintf(out->issuer, sizeof out->issuer, "%s", in->issuer ? in->issuer : "");
	return 1;
}

/* ---- templates ---- */

/* The HTML escape of s[0..n) (& < > " ') onto b. */
static void html_escape(struct mail_buf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *e = s[i] == '&'    ? "&amp;"
		                : s[i] == '<'  ? "&lt;"
		                : s[i] == '>'  ? "&gt;"
		                : s[i] == '"'  ? "&quot;"
		                : s[i] == '\'' ? "&#39;"
		                               : NULL;
		if (e)
			mail_buf_puts(b, e);
		else
			mail_buf_add(b, s + i, 1);
	}
}

/* i18n_expand's sinks: the HTML part (escaped, emphasis in <strong>), the text part. */
static void sink_html(void *ctx, enum i18n_piece kind, const char *s, size_t n)
{
	if (kind == I18N_EM_ON || kind == I18N_EM_OFF)
		mail_buf_puts(ctx, kind == I18N_EM_ON ? "<strong>" : "</strong>");
	else
		html_escape(ctx, s, n);
}

static void sink_text(void *ctx, enum i18n_piece kind, const char *s, size_t n)
{
	if (kind == I18N_TEXT || kind == I18N_VALUE)
		mail_buf_add(ctx, s, n);
}

/* The first "{{" or "}}" (two of c) in s[0..n), or NULL. */
static const char *find2(const char *s, size_t n, char c)
{
	for (size_t i = 0; i + 1 < n; i++)
		if (s[i] == c && s[i + 1] == c)
			return s + i;
	return NULL;
}

/* {{name}} (name[0..n)) onto b: a message of lang for "t:key", else its var's value,
 * HTML-escaped when html; -1 when there is no such message or var. */
static int expand(struct mail_buf *b, const char *name, size_t n, const struct i18n_arg *vars, size_t nv,
                  int html, int lang)
{
	size_t k = 0;

	if (n > 2 && name[0] == 't' && name[1] == ':') {
		const char *m = i18n_message(lang, name + 2, n - 2, vars, nv);
		if (!m)
			return -1;
		i18n_expand(m, vars, nv, html ? sink_html : sink_text, b);
		return 0;
	}
	while (k < nv && (strlen(vars[k].name) != n || memcmp(vars[k].name, name, n)))
		k++;
	if (k == nv)
		return -1;
	if (html)
		html_escape(b, vars[k].value, strlen(vars[k].value));
	else
		mail_buf_puts(b, vars[k].value);
	return 0;
}

/* Render tpl[0..n) in lang with vars onto b, values HTML-escaped when html; -1 on an
 * unknown {{name}} or message. */
static int render(struct mail_buf *b, const char *tpl, size_t n, const struct i18n_arg *vars, size_t nv,
                  int html, int lang)
{
	size_t i = 0;

	while (i < n) {
		const char *open = find2(tpl + i, n - i, '{'), *close;

		if (!open) {
			mail_buf_add(b, tpl + i, n - i);
			break;
		}
		mail_buf_add(b, tpl + i, (size_t)(open - tpl) - i);
		if (!(close = find2(open + 2, n - (size_t)(open + 2 - tpl), '}')) ||
		    expand(b, open + 2, (size_t)(close - open - 2), vars, nv, html, lang))
			return -1;
		i = (size_t)(close + 2 - tpl);
	}
	return b->bad ? -1 : 0;
}

/* "24 hours", "30 minutes", "2 days" in lang for seconds into out[64]; "" for 0. */
static void span_text(int64_t s, int lang, char out[64])
{
	int64_t v = s;
	const char *unit = "span.minutes", *m;
	char num[24];
	struct mail_buf b = {.max = 63};

	out[0] = '\0';
	if (s <= 0)
		return;
	if (s % 86400 == 0 && s >= 2 * 86400)
		v = s / 86400, unit = "span.days";
	else if (s % 3600 == 0)
		v = s / 3600, unit = "span.hours";
	else
		v = (s + 59) / 60;
	snprintf(num, sizeof num, "%lld", (long long)v);
	if ((m = i18n_message(lang, unit, strlen(unit), &(struct i18n_arg){"n", num}, 1)) != NULL)
		i18n_expand(m, &(struct i18n_arg){"n", num}, 1, sink_text, &b);
	if (b.p && !b.bad)
		snprintf(out, 64, "%.*s", (int)b.len, b.p);
	mail_buf_free(&b);
}

/* 1 when link is a plain http(s) URL of printable ASCII without space, quotes or angle brackets. */
static int link_valid(const char *link)
{
	size_t n = strnlen(link, MAIL_LINK_MAX + 1);

	if (n > MAIL_LINK_MAX || (strncmp(link, "https://", 8) != 0 && strncmp(link, "http://", 7) != 0))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (link[i] <= 0x20 || link[i] >= 0x7f || strchr("\"'<>\\`", link[i]))
			return 0;
	return 1;
}

/* 1 when s (NULL: fine) is one line of text of at most max bytes. */
static int value_valid(const char *s, size_t max)
{
	size_t n = s ? strnlen(s, max + 1) : 0;

	return n <= max && mail_text_line(s ? s : "", n);
}

/* The kind's name: 1..STORE_MAIL_KIND_MAX of a-z 0-9 _ (it names template files). */
static int kind_valid(const char *kind)
{
	size_t n = kind ? strlen(kind) : 0;

	if (n == 0 || n > STORE_MAIL_KIND_MAX)
		return 0;
	return strspn(kind, "abcdefghijklmnopqrstuvwxyz0123456789_") == n;
}

/* The rendered subject, text and HTML of a mail (three buffers). */
struct rendered {
	struct mail_buf subject, text, html;
};

static void rendered_free(struct rendered *r)
{
	mail_buf_free(&r->subject);
	mail_buf_free(&r->text);
	mail_buf_free(&r->html);
}

/* Render kind's templates in lang with vars into r; MAIL_OK or why not. */
static mail_err render_kind(const char *kind, const struct i18n_arg *vars, size_t nv, int lang,
                            struct rendered *r)
{
	char name[STORE_MAIL_KIND_MAX + 8];
	const char *txt, *html, *nl;
	size_t tn = 0, hn = 0;

	r->subject.max = MAIL_SUBJECT_MAX;
	r->text.max = r->html.max = MAIL_BODY_MAX;
	snprintf(name, sizeof name, "%s.txt", kind);
	txt = mail_file(name, &tn);
	snprintf(name, sizeof name, "%s.html", kind);
	html = mail_file(name, &hn);
	if (!txt || !html || tn < 10 || strncmp(txt, "Subject: ", 9) != 0 || !(nl = memchr(txt, '\n', tn)))
		return MAIL_NO_KIND;
	if (render(&r->subject, txt + 9, (size_t)(nl - txt) - 9, vars, nv, 0, lang) ||
	    render(&r->text, nl + 1, tn - (size_t)(nl + 1 - txt), vars, nv, 0, lang) ||
	    render(&r->html, html, hn, vars, nv, 1, lang))
		return r->subject.bad || r->text.bad || r->html.bad ? MAIL_TOO_BIG : MAIL_NO_KIND;
	while (r->text.len && r->text.p[0] == '\n') /* the blank line after the subject */
		memmove(r->text.p, r->text.p + 1, r->text.len--);
	return MAIL_OK;
}

/* A new mail id: 128 random bits as hex. */
static int new_id(char out[MAIL_ID_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char r[MAIL_ID_LEN / 2];

	if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r)
		return -1;
	for (size_t i = 0; i < sizeof r; i++)
		out[2 * i] = hex[r[i] >> 4], out[2 * i + 1] = hex[r[i] & 15];
	out[MAIL_ID_LEN] = '\0';
	return 0;
}

/* Compose the mail into m (id, message and the rest); MAIL_OK or why not. */
static mail_err compose(const struct mail_config *c, const char *kind, const char *to, const char *to_name,
                        const struct rendered *r, int64_t now, struct store_mail *m)
{
	struct mail_parts p = {c->from_name, c->from_addr, to_name, to, r->subject.p,
	                       r->text.p,    r->html.p,    m->id,   now};
	size_t len = 0;
	char *msg;

	if (new_id(m->id))
		return MAIL_NO_RANDOM;
	if (!(msg = mail_compose(&p, STORE_MAIL_MAX, &len)))
		return MAIL_TOO_BIG; /* every part was checked before: only the size is left */
	memcpy(m->message, msg, len + 1);
	explicit_bzero(msg, len);
	free(msg);
	snprintf(m->kind, sizeof m->kind, "%s", kind);
	snprintf(m->sender, sizeof m->sender, "%s", c->from_addr);
	snprintf(m->rcpt, sizeof m->rcpt, "%s", to);
	m->created_at = m->next_at = now;
	return MAIL_OK;
}

/* Render kind's templates for `to` with v's values (checked) and c's into r. */
static mail_err render_vars(const struct mail_config *c, const char *kind, const char *to,
                            const struct mail_vars *v, struct rendered *r)
{
	const char *name = v->name && *v->name ? v->name : v->username && *v->username ? v->username : to;
	int lang = v->lang ? i18n_find(v->lang, strlen(v->lang)) : I18N_EN;
	char valid_for[64];
	struct i18n_arg vars[] = {{"name", name},
	                          {"username", v->username ? v->username : ""},
	                          {"link", v->link ? v->link : ""},
	                          {"valid_for", valid_for},
	                          {"issuer", c->issuer},
	                          {"address", to},
	                          {"lang", i18n_tag(lang < 0 ? I18N_EN : lang)}};

	lang = lang < 0 ? I18N_EN : lang;
	span_text(v->valid_for, lang, valid_for);
	return render_kind(kind, vars, sizeof vars / sizeof vars[0], lang, r);
}

/* see mail.h */
mail_err mail_queue(store *s, const struct mail_config *c, const char *kind, const char *to,
                    const struct mail_vars *v, int64_t now, char id_out[MAIL_ID_LEN + 1], store_err *store_e)
{
	static const struct mail_vars none = {0};
	struct rendered r = {{0}, {0}, {0}};
	struct store_mail *m = NULL;
	mail_err e;
	store_err se = STORE_OK;

	v = v ? v : &none;
	if (store_e)
		*store_e = STORE_OK;
	if (!c || !kind_valid(kind))
		return MAIL_NO_KIND;
	if (!mail_addr_valid(to))
		return MAIL_BAD_ADDRESS;
	if (!value_valid(v->name, MAIL_NAME_MAX) || !value_valid(v->username, MAIL_USER_MAX) ||
	    (v->link && !link_valid(v->link)) || v->valid_for < 0)
		return MAIL_BAD_VALUE;
	if ((e = render_vars(c, kind, to, v, &r)) != MAIL_OK)
		goto out;
	if (!(m = calloc(1, sizeof *m))) {
		e = MAIL_NOMEM;
		goto out;
	}
	if ((e = compose(c, kind, to, v->name ? v->name : "", &r, now, m)) != MAIL_OK)
		goto out;
	if ((se = store_outbox_put(s, m)) != STORE_OK) {
		e = MAIL_STORE;
		goto out;
	}
	atomic_fetch_add_explicit(&stats.queued, 1, memory_order_relaxed);
	if (id_out)
		memcpy(id_out, m->id, MAIL_ID_LEN + 1);
	e = MAIL_OK;
out:
	if (store_e)
		*store_e = se;
	if (m)
		explicit_bzero(m, sizeof *m);
	free(m);
	rendered_free(&r);
	return e;
}

/* ---- delivery ---- */

/* see mail.h */
int64_t mail_backoff(int64_t base, int attempt)
{
	int64_t d = base > 0 ? base : MAIL_RETRY_SECONDS;

	if (attempt >= MAIL_MAX_ATTEMPTS)
		return 0;
	for (int i = 1; i < attempt && d < MAIL_RETRY_MAX_SECONDS; i++)
		d *= 2;
	return d < MAIL_RETRY_MAX_SECONDS ? d : MAIL_RETRY_MAX_SECONDS;
}

/* Record that the server accepted m: tries a few times, since a failure here means
 * the mail goes out again after its lease. */
static void record_sent(store *s, const struct store_mail *m, int64_t now, struct mail_outcome *o)
{
	struct timespec pause = {0, 200 * 1000000};
	store_err e = STORE_OK;

	for (int i = 0; i < 5; i++) {
		if ((e = store_outbox_done(s, m->id, m->attempts, now)) == STORE_OK || !store_unavailable(e))
			break;
		nanosleep(&pause, NULL);
	}
	atomic_fetch_add_explicit(&stats.sent, 1, memory_order_relaxed);
	o->step = MAIL_STEP_SENT;
	if (e != STORE_OK) { /* NOT_FOUND: the lease ran out and another sender has it */
		o->sent_unrecorded = 1;
		o->store_e = e;
		snprintf(o->error, sizeof o->error, "sent, but not recorded: %s (%s)", store_strerror(e),
		         store_errmsg(s));
	}
}

/* Record a failed attempt of m: due again after the backoff, or given up. */
static void record_failed(store *s, const struct mail_config *c, const struct store_mail *m, int64_t now,
                          int refused, struct mail_outcome *o)
{
	int64_t delay = refused ? 0 : mail_backoff(c->retry_seconds, m->attempts);
	store_err e;

	atomic_fetch_add_explicit(&stats.failed, 1, memory_order_relaxed);
	o->next_at = delay ? now + delay : 0;
	o->step = delay ? MAIL_STEP_RETRY : MAIL_STEP_GAVE_UP;
	if (!delay)
		atomic_fetch_add_explicit(&stats.gave_up, 1, memory_order_relaxed);
	if ((e = store_outbox_retry(s, m->id, m->attempts, now, o->next_at, o->error)) != STORE_OK &&
	    e != STORE_NOT_FOUND) { /* the lease runs out, and the mail is tried again then */
		o->step = MAIL_STEP_STORE;
		o->store_e = e;
	}
}

/* see mail.h */
void mail_deliver_one(store *s, const struct mail_config *c, int64_t now, const atomic_int *cancel,
                      struct mail_outcome *o)
{
	struct store_mail *m = malloc(sizeof *m);
	enum smtp_result r;
	store_err e;

	memset(o, 0, sizeof *o);
	if (!m || (e = store_outbox_claim(s, now, MAIL_LEASE_SECONDS, m)) != STORE_OK) {
		o->step = !m || e != STORE_NOT_FOUND ? MAIL_STEP_STORE : MAIL_STEP_IDLE;
		o->store_e = m ? e : STORE_NOMEM;
		if (o->step == MAIL_STEP_STORE)
			snprintf(o->error, sizeof o->error, "%s", m ? store_errmsg(s) : "out of memory");
		free(m);
		return;
	}
	snprintf(o->id, sizeof o->id, "%s", m->id);
	snprintf(o->kind, sizeof o->kind, "%s", m->kind);
	o->attempt = m->attempts;
	r = smtp_send(&c->smtp, m->sender, m->rcpt, m->message, strlen(m->message), cancel, o->error,
	              sizeof o->error);
	if (r == SMTP_SENT)
		record_sent(s, m, now, o);
	else
		record_failed(s, c, m, now, r == SMTP_REFUSED, o);
	explicit_bzero(m, sizeof *m);
	free(m);
}
