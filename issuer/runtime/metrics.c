/*
 * metrics.c: per-thread counter shards and their Prometheus rendering (see
 * metrics.h). The request path is a handful of relaxed atomic adds into the
 * caller's own shard: no lock, no allocation, no string kept. Rendering sums
 * the shards with relaxed loads, reads the gauges' sources (the password pool,
 * the connection count, the key set) and the process's own figures from /proc;
 * it allocates, and may run on any thread.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "runtime/metrics.h"
#include "mail/mail.h"

/* Statuses counted one by one; anything else is code "other" (the last slot). */
#define STATUS_MIN   100
#define STATUS_MAX   599
#define STATUS_SLOTS (STATUS_MAX - STATUS_MIN + 2)

/* Shards start on their own cache line so two threads never write one line. */
#define CACHE_LINE 64

/* Histogram upper bounds (le), ascending; the +Inf bucket follows them. */
static const double bound[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};
static const char *const bound_text[] = {"0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025",
                                         "0.05",   "0.1",   "0.25",   "0.5",   "1",    "2.5"};
#define N_BOUNDS  (sizeof bound / sizeof bound[0])
#define N_BUCKETS (N_BOUNDS + 1)

/* Label values of grant, in enum metrics_grant order. */
static const char *const grant_text[METRICS_GRANT_COUNT] = {
    "client_credentials", "json", "authorization_code", "refresh_token", "password"};

/* Label values of reason: jose's verification error codes, then "revoked", then "other" (last). */
static const char *const reason_text[] = {"ERR_JWS_INVALID",
                                          "ERR_JWT_INVALID",
                                          "ERR_JWS_SIGNATURE_VERIFICATION_FAILED",
                                          "ERR_JWT_EXPIRED",
                                          "ERR_JWT_CLAIM_VALIDATION_FAILED",
                                          "ERR_JOSE_ALG_NOT_ALLOWED",
                                          "ERR_JWKS_NO_MATCHING_KEY",
                                          "ERR_JWKS_MULTIPLE_MATCHING_KEYS",
                                          "ERR_JWK_INVALID",
                                          "ERR_JOSE_NOT_SUPPORTED",
                                          "revoked",
                                          "other"};
#define N_REASONS (sizeof reason_text / sizeof reason_text[0])

/* Label values of outcome, in enum metrics_login order. */
static const char *const login_text[METRICS_LOGIN_COUNT] = {"ok", "failed", "locked", "limited"};

/* Label values of endpoint, in enum metrics_limited order. */
static const char *const limited_text[METRICS_LIMITED_COUNT] = {"login", "client_auth"};

typedef _Atomic uint64_t ctr;

/* One route's counters in one shard. Latency sums are whole nanoseconds, so adds stay exact. */
struct route_ctr {
	ctr status[STATUS_SLOTS];
	ctr bucket[N_BUCKETS]; /* not cumulative: rendering accumulates */
	ctr sum_ns;
};

/* One thread's counters: a shard is `stride` bytes, a multiple of CACHE_LINE. */
struct shard {
	ctr token[METRICS_GRANT_COUNT];
	ctr failure[N_REASONS];
	ctr login[METRICS_LOGIN_COUNT];
	ctr lockouts;
	ctr limited[METRICS_LIMITED_COUNT];
	ctr client_auth_failures;
	ctr refresh_reuse;
	struct route_ctr route[]; /* n_routes */
};

struct metrics {
	unsigned threads;
	size_t n_routes;
	const char *const *routes;
	size_t stride;
	int64_t start_ms; /* CLOCK_REALTIME at metrics_new */
	unsigned char *shards;
	unsigned (*jobs)(void *ctx);     /* idb_password_jobs, or NULL (renders 0) */
	uint64_t (*audit_dropped)(void); /* idb_audit_dropped_total, or NULL (renders 0) */
	void *jobs_ctx;
	const atomic_uint *conns; /* idb_connections_open, or NULL (not shown) */
	unsigned conns_max;
	keyring *ring; /* idb_signing_key_age_seconds, or NULL (not shown) */
	dbpool *db;    /* idb_store_errors_total, or NULL (not shown) */
	int64_t rotation;
};

/* Signing keys shown at most: one per algorithm, and the ring signs with a handful. */
#define MAX_SIGNERS 16

/* see metrics.h */
metrics *metrics_new(unsigned threads, const char *const *routes, size_t n_routes)
{
	metrics *m = NULL;
	void *mem = NULL;
	struct timespec ts;
	size_t stride;

	if (threads == 0 || n_routes == 0 || routes == NULL)
		return NULL;
	if (n_routes > (SIZE_MAX / 2 - sizeof(struct shard)) / sizeof(struct route_ctr))
		return NULL;
	stride = sizeof(struct shard) + n_routes * sizeof(struct route_ctr);
	stride = (stride + CACHE_LINE - 1) / CACHE_LINE * CACHE_LINE;
	if (stride > SIZE_MAX / threads)
		return NULL;
	if ((m = calloc(1, sizeof *m)) == NULL)
		return NULL;
	if (posix_memalign(&mem, CACHE_LINE, stride * threads) != 0) {
		free(m);
		return NULL;
	}
	/* All-zero bytes are a zero _Atomic uint64_t on every target we build for (lock-free, plain). */
	memset(mem, 0, stride * threads);
	clock_gettime(CLOCK_REALTIME, &ts);
	m->threads = threads;
	m->n_routes = n_routes;
	m->routes = routes;
	m->stride = stride;
	m->start_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	m->shards = mem;
	return m;
}

/* see metrics.h */
void metrics_free(metrics *m)
{
	if (m == NULL)
		return;
	free(m->shards);
	free(m);
}

static struct shard *shard_of(const metrics *m, unsigned thread)
{
	return (struct shard *)(void *)(m->shards + (size_t)(thread % m->threads) * m->stride);
}

static void add(ctr *c, uint64_t n)
{
	atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

static uint64_t get(ctr *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

/* see metrics.h */
void metrics_request(metrics *m, unsigned thread, size_t route, int status, double seconds)
{
	struct route_ctr *r = &shard_of(m, thread)->route[route < m->n_routes ? route : m->n_routes - 1];
	size_t b = 0;
	uint64_t ns;

	if (!(seconds > 0)) /* negative or NaN */
		seconds = 0;
	while (b < N_BOUNDS && seconds > bound[b])
		b++;
	/* 2^64 ns is 584 years; anything near it is a broken clock, clamped. */
	ns = seconds < 1e10 ? (uint64_t)(seconds * 1e9 + 0.5) : (uint64_t)1e19;
	add(&r->status[status >= STATUS_MIN && status <= STATUS_MAX ? status - STATUS_MIN : STATUS_SLOTS - 1],
	    1);
	add(&r->bucket[b], 1);
	add(&r->sum_ns, ns);
}

/* see metrics.h */
void metrics_token(metrics *m, unsigned thread, enum metrics_grant g)
{
	if ((unsigned)g < METRICS_GRANT_COUNT)
		add(&shard_of(m, thread)->token[g], 1);
}

/* see metrics.h */
void metrics_verify_failure(metrics *m, unsigned thread, const char *reason)
{
	size_t i = 0;

	if (reason != NULL)
		while (i < N_REASONS - 1 && strcmp(reason, reason_text[i]) != 0)
			i++;
	else
		i = N_REASONS - 1;
	add(&shard_of(m, thread)->failure[i], 1);
}

/* see metrics.h */
void metrics_login(metrics *m, unsigned thread, enum metrics_login o)
{
	if ((unsigned)o < METRICS_LOGIN_COUNT)
		add(&shard_of(m, thread)->login[o], 1);
}

/* see metrics.h */
void metrics_lockout(metrics *m, unsigned thread)
{
	add(&shard_of(m, thread)->lockouts, 1);
}

/* see metrics.h */
void metrics_limited(metrics *m, unsigned thread, enum metrics_limited w)
{
	if ((unsigned)w < METRICS_LIMITED_COUNT)
		add(&shard_of(m, thread)->limited[w], 1);
}

/* see metrics.h */
void metrics_client_auth_failure(metrics *m, unsigned thread)
{
	add(&shard_of(m, thread)->client_auth_failures, 1);
}

/* see metrics.h */
void metrics_refresh_reuse(metrics *m, unsigned thread)
{
	add(&shard_of(m, thread)->refresh_reuse, 1);
}

/* see metrics.h */
void metrics_set_store(metrics *m, dbpool *db)
{
	m->db = db;
}

/* see metrics.h */
void metrics_set_connections(metrics *m, const atomic_uint *open, unsigned max)
{
	m->conns = open;
	m->conns_max = max;
}

/* see metrics.h */
void metrics_set_keyring(metrics *m, keyring *ring, int64_t rotation)
{
	m->ring = ring;
	m->rotation = rotation;
}

/* see metrics.h */
void metrics_set_audit_dropped(metrics *m, uint64_t (*dropped)(void))
{
	m->audit_dropped = dropped;
}

/* see metrics.h */
void metrics_set_password_jobs(metrics *m, unsigned (*jobs)(void *ctx), void *ctx)
{
	m->jobs = jobs;
	m->jobs_ctx = ctx;
}

/* A growing output buffer; `bad` once memory ran out (later appends do nothing). */
struct out {
	char *p;
	size_t len, cap;
	int bad;
};

static void out_printf(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void out_printf(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		if (o->bad)
			return;
		va_start(ap, fmt);
		n = vsnprintf(o->p + o->len, o->cap - o->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			o->bad = 1;
			return;
		}
		if ((size_t)n < o->cap - o->len) {
			o->len += (size_t)n;
			return;
		}
		size_t cap = o->cap * 2 > o->len + (size_t)n + 1 ? o->cap * 2 : o->len + (size_t)n + 1;
		char *p = realloc(o->p, cap);
		if (p == NULL) {
			o->bad = 1;
			return;
		}
		o->p = p, o->cap = cap;
	}
}

/* s as a label value: backslash, double quote and newline escaped (format 0.0.4). */
static void out_label(struct out *o, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			out_printf(o, "\\\\");
		else if (*s == '"')
			out_printf(o, "\\\"");
		else if (*s == '\n')
			out_printf(o, "\\n");
		else
			out_printf(o, "%c", *s);
	}
}

static void out_family(struct out *o, const char *name, const char *type, const char *help)
{
	out_printf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* idb_store_call_duration_seconds{op}: the operations called at least once (the op
 * label comes from the store's fixed list of operations). */
static void out_store_latency(struct out *o, dbpool *db)
{
	static const char name[] = "idb_store_call_duration_seconds";
	uint64_t count, bucket[DBPOOL_BUCKETS], cum;
	double sum;

	out_family(o, name, "histogram",
	           "Store calls by operation, from the handler's call to its answer (the wait for a "
	           "database connection included).");
	for (size_t i = 0; i < dbpool_ops(); i++) {
		const char *op = dbpool_op_name(i);
		dbpool_latency(db, i, &count, &sum, bucket);
		if (!count)
			continue;
		cum = 0;
		for (size_t b = 0; b < DBPOOL_BUCKETS; b++) {
			cum += bucket[b];
			out_printf(o, "%s_bucket{op=\"%s\",le=\"%g\"} %llu\n", name, op, dbpool_bucket_le[b],
			           (unsigned long long)cum);
		}
		out_printf(o, "%s_bucket{op=\"%s\",le=\"+Inf\"} %llu\n", name, op, (unsigned long long)count);
		out_printf(o, "%s_sum{op=\"%s\"} %.6f\n", name, op, sum);
		out_printf(o, "%s_count{op=\"%s\"} %llu\n", name, op, (unsigned long long)count);
	}
}

/* The whole of a small /proc file into buf (NUL-terminated); its length, or -1. */
static ssize_t read_proc(const char *path, char *buf, size_t cap)
{
	ssize_t n, got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	while ((size_t)got < cap - 1 && (n = read(fd, buf + got, cap - 1 - (size_t)got)) > 0)
		got += n;
	close(fd);
	buf[got] = '\0';
	return got > 0 ? got : -1;
}

/* Virtual and resident size in bytes from /proc/self/statm; 0, or -1 if unreadable. */
static int memory_bytes(int64_t *vsize, int64_t *rss)
{
	char buf[128];
	unsigned long long size, res;
	long page = sysconf(_SC_PAGESIZE);

	if (page <= 0 || read_proc("/proc/self/statm", buf, sizeof buf) < 0 ||
	    sscanf(buf, "%llu %llu", &size, &res) != 2 ||
	    size > (unsigned long long)INT64_MAX / (unsigned long)page)
		return -1;
	*vsize = (int64_t)size * page;
	*rss = (int64_t)res * page;
	return 0;
}

/*
 * When the process started, Unix seconds: its start in clock ticks after boot
 * (/proc/self/stat, field 22) plus the boot time (/proc/stat, btime); -1 if either
 * is unreadable. Field 2 (the command name) may hold spaces and parentheses, so
 * fields are counted after its last ')'.
 */
static double start_seconds(void)
{
	char buf[1024], stat[4096];
	unsigned long long ticks, btime;
	long hz = sysconf(_SC_CLK_TCK);
	const char *p, *b;
	int field = 2;

	if (hz <= 0 || read_proc("/proc/self/stat", buf, sizeof buf) < 0 || !(p = strrchr(buf, ')')) ||
	    read_proc("/proc/stat", stat, sizeof stat) < 0 || !(b = strstr(stat, "\nbtime ")) ||
	    sscanf(b, "\nbtime %llu", &btime) != 1)
		return -1;
	while (field < 22 && (p = strchr(p + 1, ' ')) != NULL)
		field++; /* p: the space before field `field` */
	if (!p || sscanf(p, " %llu", &ticks) != 1)
		return -1;
	return (double)btime + (double)ticks / (double)hz;
}

/* Descriptors open now (the entries of /proc/self/fd but the one reading it), or -1. */
static long open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	long n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;
}

/* The sum over the shards of the counter at byte offset off in struct shard. */
static uint64_t total(const metrics *m, size_t off)
{
	uint64_t n = 0;

	for (unsigned t = 0; t < m->threads; t++)
		n += get((ctr *)(void *)((unsigned char *)shard_of(m, t) + off));
	return n;
}

/* The sign-in and abuse-control families: every label value, zeros included. */
static void render_sign_in(struct out *o, const metrics *m)
{
	out_family(o, "idb_logins_total", "counter", "Sign-in attempts at /login, by outcome.");
	for (size_t i = 0; i < METRICS_LOGIN_COUNT; i++)
		out_printf(o, "idb_logins_total{outcome=\"%s\"} %llu\n", login_text[i],
		           (unsigned long long)total(m, offsetof(struct shard, login) + i * sizeof(ctr)));
	out_family(o, "idb_account_lockouts_total", "counter",
	           "Accounts locked after repeated failed sign-ins.");
	out_printf(o, "idb_account_lockouts_total %llu\n",
	           (unsigned long long)total(m, offsetof(struct shard, lockouts)));
	out_family(o, "idb_requests_limited_total", "counter",
	           "Requests refused by a per-address limit on failed attempts, by endpoint.");
	for (size_t i = 0; i < METRICS_LIMITED_COUNT; i++)
		out_printf(o, "idb_requests_limited_total{endpoint=\"%s\"} %llu\n", limited_text[i],
		           (unsigned long long)total(m, offsetof(struct shard, limited) + i * sizeof(ctr)));
	out_family(o, "idb_client_auth_failures_total", "counter",
	           "Failed client authentications at /token, /introspect and /revoke.");
	out_printf(o, "idb_client_auth_failures_total %llu\n",
	           (unsigned long long)total(m, offsetof(struct shard, client_auth_failures)));
	out_family(o, "idb_audit_dropped_total", "counter",
	           "Audit events that could not be written (a full pipe or disk)");
	out_printf(o, "idb_audit_dropped_total %llu\n",
	           (unsigned long long)(m->audit_dropped ? m->audit_dropped() : 0));
	out_family(o, "idb_password_jobs", "gauge",
	           "Password hashing jobs waiting or running in the worker pool.");
	out_printf(o, "idb_password_jobs %u\n", m->jobs ? m->jobs(m->jobs_ctx) : 0u);
}

/* Refresh-token reuse, store failures, connections and the signing keys' ages. */
static void render_service(struct out *o, const metrics *m)
{
	struct keyring_signer k[MAX_SIGNERS];
	size_t n;
	int64_t now = (int64_t)time(NULL);

	out_family(o, "idb_refresh_token_reuse_total", "counter",
	           "Used refresh tokens presented again (each revoked its family).");
	out_printf(o, "idb_refresh_token_reuse_total %llu\n",
	           (unsigned long long)total(m, offsetof(struct shard, refresh_reuse)));
	if (m->db) {
		out_family(o, "idb_store_errors_total", "counter",
		           "Store calls that failed: the database unavailable, busy past its timeout, or out "
		           "of memory.");
		out_printf(o, "idb_store_errors_total %llu\n", dbpool_failed(m->db));
		out_store_latency(o, m->db);
	}
	if (m->conns) {
		out_family(o, "idb_connections_open", "gauge",
		           "Client connections open on the public listener.");
		out_printf(o, "idb_connections_open %u\n",
		           atomic_load_explicit(m->conns, memory_order_relaxed));
		out_family(o, "idb_connections_max", "gauge",
		           "Client connections the process holds at most (MAX_CONNECTIONS).");
		out_printf(o, "idb_connections_max %u\n", m->conns_max);
	}
	if (!m->ring)
		return;
	n = keyring_signers(m->ring, now, k, MAX_SIGNERS);
	out_family(o, "idb_signing_key_age_seconds", "gauge",
	           "Age of the key that signs each algorithm now, seconds since it was made.");
	for (size_t i = 0; i < n; i++)
		out_printf(o, "idb_signing_key_age_seconds{alg=\"%s\"} %lld\n", k[i].alg,
		           (long long)(now - k[i].created_at > 0 ? now - k[i].created_at : 0));
	out_family(o, "idb_signing_key_rotation_seconds", "gauge",
	           "Scheduled key rotation period (KEY_ROTATION_DAYS) in seconds; 0: off.");
	out_printf(o, "idb_signing_key_rotation_seconds %lld\n", (long long)m->rotation);
}

/* The mail counters of this process (mail.h: mail_stats), zeros included; the outbox's
 * depth once the sender has counted it. */
static void render_mail(struct out *o)
{
	struct mail_stats *s = mail_stats();
	long long depth = atomic_load_explicit(&s->depth, memory_order_relaxed);

	out_family(o, "idb_mail_queued_total", "counter", "Mails put in the outbox.");
	out_printf(o, "idb_mail_queued_total %llu\n", atomic_load_explicit(&s->queued, memory_order_relaxed));
	out_family(o, "idb_mail_sent_total", "counter", "Mails the SMTP server accepted.");
	out_printf(o, "idb_mail_sent_total %llu\n", atomic_load_explicit(&s->sent, memory_order_relaxed));
	out_family(o, "idb_mail_failed_total", "counter",
	           "Mail delivery attempts that failed (each is retried with backoff, or given up).");
	out_printf(o, "idb_mail_failed_total %llu\n", atomic_load_explicit(&s->failed, memory_order_relaxed));
	out_family(o, "idb_mail_given_up_total", "counter",
	           "Mails given up: refused for good by the SMTP server, or out of attempts.");
	out_printf(o, "idb_mail_given_up_total %llu\n",
	           atomic_load_explicit(&s->gave_up, memory_order_relaxed));
	if (depth < 0)
		return;
	out_family(o, "idb_mail_outbox_depth", "gauge", "Mails waiting in the outbox (counted every 10 s).");
	out_printf(o, "idb_mail_outbox_depth %lld\n", depth);
}

/* The process family of the Prometheus client libraries; a figure /proc cannot give is left out. */
static void render_process(struct out *o, const metrics *m)
{
	struct rusage ru;
	struct rlimit rl;
	int64_t vsize, rss;
	double start = start_seconds();
	long fds = open_fds();

	if (getrusage(RUSAGE_SELF, &ru) == 0) {
		out_family(o, "process_cpu_seconds_total", "counter",
		           "Total user and system CPU time spent in seconds.");
		out_printf(o, "process_cpu_seconds_total %.6f\n",
		           (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
		               (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
	}
	out_family(o, "process_start_time_seconds", "gauge",
	           "Start time of the process since unix epoch in seconds.");
	if (start > 0)
		out_printf(o, "process_start_time_seconds %.2f\n", start);
	else
		out_printf(o, "process_start_time_seconds %lld.%03d\n", (long long)(m->start_ms / 1000),
		           (int)(m->start_ms % 1000));
	if (memory_bytes(&vsize, &rss) == 0) {
		out_family(o, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
		out_printf(o, "process_resident_memory_bytes %lld\n", (long long)rss);
		out_family(o, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.");
		out_printf(o, "process_virtual_memory_bytes %lld\n", (long long)vsize);
	}
	if (fds >= 0) {
		out_family(o, "process_open_fds", "gauge", "Number of open file descriptors.");
		out_printf(o, "process_open_fds %ld\n", fds);
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
		out_family(o, "process_max_fds", "gauge", "Maximum number of open file descriptors.");
		out_printf(o, "process_max_fds %llu\n", (unsigned long long)rl.rlim_cur);
	}
}

static void render_requests(struct out *o, const metrics *m)
{
	uint64_t n[STATUS_SLOTS];

	out_family(o, "idb_http_requests_total", "counter",
	           "HTTP requests answered, by route and status code.");
	for (size_t r = 0; r < m->n_routes; r++) {
		memset(n, 0, sizeof n);
		for (unsigned t = 0; t < m->threads; t++)
			for (size_t s = 0; s < STATUS_SLOTS; s++)
				n[s] += get(&shard_of(m, t)->route[r].status[s]);
		for (size_t s = 0; s < STATUS_SLOTS; s++) {
			if (n[s] == 0)
				continue;
			out_printf(o, "idb_http_requests_total{route=\"");
			out_label(o, m->routes[r]);
			if (s == STATUS_SLOTS - 1)
				out_printf(o, "\",code=\"other\"} %llu\n", (unsigned long long)n[s]);
			else
				out_printf(o, "\",code=\"%d\"} %llu\n", (int)s + STATUS_MIN,
				           (unsigned long long)n[s]);
		}
	}
}

static void render_durations(struct out *o, const metrics *m)
{
	const char *name = "idb_http_request_duration_seconds";

	out_family(o, name, "histogram", "Time to answer an HTTP request, by route.");
	for (size_t r = 0; r < m->n_routes; r++) {
		uint64_t b[N_BUCKETS] = {0}, sum_ns = 0, cum = 0;

		for (unsigned t = 0; t < m->threads; t++) {
			struct route_ctr *rc = &shard_of(m, t)->route[r];
			for (size_t i = 0; i < N_BUCKETS; i++)
				b[i] += get(&rc->bucket[i]);
			sum_ns += get(&rc->sum_ns);
		}
		/* _count is the bucket total, so +Inf == _count even while threads count. */
		for (size_t i = 0; i < N_BUCKETS; i++) {
			cum += b[i];
			out_printf(o, "%s_bucket{route=\"", name);
			out_label(o, m->routes[r]);
			out_printf(o, "\",le=\"%s\"} %llu\n", i < N_BOUNDS ? bound_text[i] : "+Inf",
			           (unsigned long long)cum);
		}
		out_printf(o, "%s_sum{route=\"", name);
		out_label(o, m->routes[r]);
		out_printf(o, "\"} %llu.%09llu\n", (unsigned long long)(sum_ns / 1000000000u),
		           (unsigned long long)(sum_ns % 1000000000u));
		out_printf(o, "%s_count{route=\"", name);
		out_label(o, m->routes[r]);
		out_printf(o, "\"} %llu\n", (unsigned long long)cum);
	}
}

/* see metrics.h */
char *metrics_render(metrics *m, size_t *len)
{
	struct out o = {NULL, 0, 16384, 0};

	if ((o.p = malloc(o.cap)) == NULL)
		return NULL;
	render_requests(&o, m);
	render_durations(&o, m);

	out_family(&o, "idb_tokens_issued_total", "counter", "Tokens issued, by grant.");
	for (size_t g = 0; g < METRICS_GRANT_COUNT; g++) {
		uint64_t n = 0;
		for (unsigned t = 0; t < m->threads; t++)
			n += get(&shard_of(m, t)->token[g]);
		out_printf(&o, "idb_tokens_issued_total{grant=\"%s\"} %llu\n", grant_text[g],
		           (unsigned long long)n);
	}

	out_family(&o, "idb_token_verification_failures_total", "counter",
	           "Tokens that failed verification, by reason.");
	for (size_t i = 0; i < N_REASONS; i++) {
		uint64_t n = 0;
		for (unsigned t = 0; t < m->threads; t++)
			n += get(&shard_of(m, t)->failure[i]);
		out_printf(&o, "idb_token_verification_failures_total{reason=\"%s\"} %llu\n", reason_text[i],
		           (unsigned long long)n);
	}

	render_sign_in(&o, m);
	render_service(&o, m);
	render_mail(&o);
	render_process(&o, m);
	out_family(&o, "idb_build_info", "gauge", "Build information; the value is always 1.");
	out_printf(&o, "idb_build_info{version=\"%s\"} 1\n", METRICS_VERSION);

	if (o.bad) {
		free(o.p);
		return NULL;
	}
	*len = o.len;
	return o.p;
}
