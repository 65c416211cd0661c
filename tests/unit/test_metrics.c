/*
 * test_metrics.c: the issuer's observability (issuer/metrics.c, issuer/reqlog.c).
 * Metrics: the rendered text is parsed back by an independent exposition
 * format 0.0.4 checker (syntax of every line, # HELP/# TYPE before a family's
 * samples, families contiguous, histograms cumulative with +Inf == _count) and
 * exact values are compared; threads hammer the counters concurrently (also
 * while a scraper renders) and the totals must come out exact, the sign-in and
 * abuse-control families (every label value, zeros included) too. Reqlog: lines
 * are parsed back with cJSON, for hostile input too (quotes, backslashes,
 * control bytes, invalid UTF-8, 10 KB fields), and must never hold a query
 * string. The .c files are included to reach their statics; the key set and the
 * store's pool, whose figures the gauges read, are fakes defined here.
 */
#include "../../issuer/runtime/metrics.c"
#include "../../issuer/runtime/reqlog.c"
#include "../test.h"

#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>

#include <cjson/cJSON.h>

/* ---- fakes of the gauges' sources (keyring.h, dbpool.h) ---- */

static struct keyring_signer fake_signers[3];
static size_t fake_n_signers;
static unsigned long long fake_failed;

size_t keyring_signers(keyring *r, int64_t now, struct keyring_signer *out, size_t max)
{
	size_t n = fake_n_signers < max ? fake_n_signers : max;

	(void)r, (void)now;
	memcpy(out, fake_signers, n * sizeof *out);
	return n;
}

unsigned long long dbpool_failed(dbpool *p)
{
	(void)p;
	return fake_failed;
}

/* The mail module's counters (mail.h), as a sender would have left them. */
static struct mail_stats fake_mail = {.queued = 4, .sent = 3, .failed = 2, .gave_up = 1, .depth = -1};

struct mail_stats *mail_stats(void)
{
	return &fake_mail;
}

/* Two operations: code_take called 3 times (1 ms, 20 ms, 7 s), ping never. */
const double dbpool_bucket_le[DBPOOL_BUCKETS] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                 0.05,   0.1,     0.25,   0.5,   1,      2.5,   5};
static const char *const fake_ops[] = {"code_take", "ping"};

size_t dbpool_ops(void)
{
	return 2;
}

const char *dbpool_op_name(size_t i)
{
	return i < 2 ? fake_ops[i] : NULL;
}

void dbpool_latency(dbpool *p, size_t i, uint64_t *count, double *sum, uint64_t bucket[DBPOOL_BUCKETS])
{
	(void)p;
	memset(bucket, 0, DBPOOL_BUCKETS * sizeof *bucket);
	*count = i == 0 ? 3 : 0;
	*sum = i == 0 ? 7.021 : 0;
	if (i == 0)
		bucket[3] = 1, bucket[7] = 1;
}

static const char *const routes[] = {"/token", "/verify", "other"};
#define N_ROUTES 3

/* ---- an exposition format 0.0.4 checker, written from the format's description ---- */

#define MAX_FAMILIES 48

struct family {
	char name[128], type[16];
	int help, closed;
};

struct expo {
	struct family f[MAX_FAMILIES];
	int n, current; /* current: family of the last sample, -1 before any */
	char err[200];
};

static int name_ok(const char *s, size_t n, int metric)
{
	if (n == 0 || isdigit((unsigned char)s[0]))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!(isalnum((unsigned char)s[i]) || s[i] == '_' || (metric && s[i] == ':')))
			return 0;
	return 1;
}

static struct family *family_get(struct expo *x, const char *name, size_t n)
{
	for (int i = 0; i < x->n; i++)
		if (strlen(x->f[i].name) == n && memcmp(x->f[i].name, name, n) == 0)
			return &x->f[i];
	if (x->n == MAX_FAMILIES || n >= sizeof x->f[0].name)
		return NULL;
	memcpy(x->f[x->n].name, name, n);
	x->f[x->n].name[n] = '\0';
	return &x->f[x->n++];
}

/* The family a sample name belongs to (histogram suffixes stripped), or NULL. */
static struct family *family_of(struct expo *x, const char *name, size_t n)
{
	static const char *const suffix[] = {"_bucket", "_sum", "_count"};

	for (int i = 0; i < x->n; i++)
		if (strlen(x->f[i].name) == n && memcmp(x->f[i].name, name, n) == 0 && x->f[i].type[0])
			return &x->f[i];
	for (size_t s = 0; s < 3; s++) {
		size_t l = strlen(suffix[s]);
		if (n > l && memcmp(name + n - l, suffix[s], l) == 0)
			for (int i = 0; i < x->n; i++)
				if (strlen(x->f[i].name) == n - l && memcmp(x->f[i].name, name, n - l) == 0 &&
				    strcmp(x->f[i].type, "histogram") == 0)
					return &x->f[i];
	}
	return NULL;
}

static int value_ok(const char *s, size_t n)
{
	char tmp[64], *end;

	if (n == 0 || n >= sizeof tmp)
		return 0;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	if (!strcmp(tmp, "+Inf") || !strcmp(tmp, "-Inf") || !strcmp(tmp, "NaN"))
		return 1;
	strtod(tmp, &end);
	return *end == '\0' && !isspace((unsigned char)tmp[0]);
}

/* One line (without '\n'); 0 with x->err set if it breaks the format. */
static int expo_line(struct expo *x, const char *l, size_t n)
{
	const char *p = l, *e = l + n, *q;
	struct family *f;

	if (n == 0)
		return snprintf(x->err, sizeof x->err, "empty line"), 0;
	if (p[0] == '#') {
		int help;
		if (n > 7 && !memcmp(p, "# HELP ", 7))
			help = 1;
		else if (n > 7 && !memcmp(p, "# TYPE ", 7))
			help = 0;
		else
			return snprintf(x->err, sizeof x->err, "stray comment: %.*s", (int)(n < 60 ? n : 60),
			                l),
			       0;
		p += 7;
		for (q = p; q < e && *q != ' '; q++)
			;
		if (!name_ok(p, (size_t)(q - p), 1) || q == e ||
		    (f = family_get(x, p, (size_t)(q - p))) == NULL)
			return snprintf(x->err, sizeof x->err, "bad HELP/TYPE: %.*s", (int)(n < 60 ? n : 60),
			                l),
			       0;
		if (f->closed || x->current == (int)(f - x->f))
			return snprintf(x->err, sizeof x->err, "HELP/TYPE after samples: %.*s",
			                (int)(n < 60 ? n : 60), l),
			       0;
		q++;
		if (help) {
			if (f->help++)
				return snprintf(x->err, sizeof x->err, "second HELP: %.*s",
				                (int)(n < 60 ? n : 60), l),
				       0;
			if (f->type[0])
				return snprintf(x->err, sizeof x->err, "HELP after TYPE: %.*s",
				                (int)(n < 60 ? n : 60), l),
				       0;
			return 1;
		}
		if (f->type[0] || (size_t)(e - q) >= sizeof f->type)
			return snprintf(x->err, sizeof x->err, "bad TYPE: %.*s", (int)(n < 60 ? n : 60), l),
			       0;
		memcpy(f->type, q, (size_t)(e - q));
		f->type[e - q] = '\0';
		if (strcmp(f->type, "counter") && strcmp(f->type, "gauge") && strcmp(f->type, "histogram"))
			return snprintf(x->err, sizeof x->err, "unknown type: %.*s", (int)(n < 60 ? n : 60),
			                l),
			       0;
		return 1;
	}
	for (q = p; q < e && *q != '{' && *q != ' '; q++)
		;
	if (!name_ok(p, (size_t)(q - p), 1) || (f = family_of(x, p, (size_t)(q - p))) == NULL || !f->help)
		return snprintf(x->err, sizeof x->err, "sample without HELP/TYPE: %.*s",
		                (int)(n < 60 ? n : 60), l),
		       0;
	if (f->closed)
		return snprintf(x->err, sizeof x->err, "family not contiguous: %.*s", (int)(n < 60 ? n : 60),
		                l),
		       0;
	if (x->current >= 0 && x->current != (int)(f - x->f))
		x->f[x->current].closed = 1;
	x->current = (int)(f - x->f);
	p = q;
	if (p < e && *p == '{') {
		p++;
		while (p < e && *p != '}') {
			for (q = p; q < e && *q != '='; q++)
				;
			if (!name_ok(p, (size_t)(q - p), 0) || q + 1 >= e || q[1] != '"')
				return snprintf(x->err, sizeof x->err, "bad label name: %.*s",
				                (int)(n < 60 ? n : 60), l),
				       0;
			for (p = q + 2; p < e && *p != '"'; p++)
				if (*p == '\\' &&
				    (p + 1 == e || (p[1] != '\\' && p[1] != '"' && p[1] != 'n')))
					return snprintf(x->err, sizeof x->err, "bad escape: %.*s",
					                (int)(n < 60 ? n : 60), l),
					       0;
				else if (*p == '\\')
					p++;
			if (p == e)
				return snprintf(x->err, sizeof x->err, "unterminated label: %.*s",
				                (int)(n < 60 ? n : 60), l),
				       0;
			p++;
			if (p < e && *p == ',')
				p++;
			else if (p < e && *p != '}')
				return snprintf(x->err, sizeof x->err, "bad label list: %.*s",
				                (int)(n < 60 ? n : 60), l),
				       0;
		}
		if (p == e)
			return snprintf(x->err, sizeof x->err, "unterminated labels: %.*s",
			                (int)(n < 60 ? n : 60), l),
			       0;
		p++;
	}
	if (p == e || *p != ' ')
		return snprintf(x->err, sizeof x->err, "no value: %.*s", (int)(n < 60 ? n : 60), l), 0;
	p++;
	for (q = p; q < e && *q != ' '; q++)
		;
	if (!value_ok(p, (size_t)(q - p)))
		return snprintf(x->err, sizeof x->err, "bad value: %.*s", (int)(n < 60 ? n : 60), l), 0;
	if (q < e && !value_ok(q + 1, (size_t)(e - q - 1))) /* optional timestamp */
		return snprintf(x->err, sizeof x->err, "bad timestamp: %.*s", (int)(n < 60 ? n : 60), l), 0;
	return 1;
}

/* 1 if text[0..len) is a well-formed exposition, else 0 with err set. */
static int expo_check(const char *text, size_t len, char err[200])
{
	struct expo x;
	const char *p = text, *e = text + len, *nl;

	memset(&x, 0, sizeof x);
	x.current = -1;
	if (strlen(text) != len || len == 0 || text[len - 1] != '\n')
		return snprintf(err, 200, "length or final newline"), 0;
	for (; p < e; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(e - p));
		if (!expo_line(&x, p, (size_t)(nl - p))) {
			memcpy(err, x.err, sizeof x.err);
			return 0;
		}
	}
	for (int i = 0; i < x.n; i++)
		if (!x.f[i].help || !x.f[i].type[0])
			return snprintf(err, 200, "family %s lacks HELP or TYPE", x.f[i].name), 0;
	return 1;
}

/* The value of sample `key` (name and labels exactly as rendered), or -1 if absent. */
static double sample(const char *text, const char *key)
{
	size_t n = strlen(key);

	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, key, n) && p[n] == ' ')
			return strtod(p + n + 1, NULL);
	return -1;
}

/*
 * Every histogram of route r: le ascending, counts cumulative, +Inf last and
 * equal to _count. Returns 1 if so.
 */
static int histogram_ok(const char *text, const char *route, double *count_out)
{
	char key[256];
	const char *p;
	double prev_le = -1, prev = 0, inf = -1, count;
	int n = 0;

	snprintf(key, sizeof key, "idb_http_request_duration_seconds_bucket{route=\"%s\",le=\"", route);
	for (p = strstr(text, key); p; p = strstr(p + 1, key)) {
		char *end;
		double le, v;
		const char *lv = p + strlen(key);
		if (!strncmp(lv, "+Inf\"", 5)) {
			le = INFINITY, end = (char *)lv + 4;
		} else {
			le = strtod(lv, &end);
		}
		if (*end != '"' || le <= prev_le)
			return 0;
		v = strtod(strchr(end, ' ') + 1, NULL);
		if (v < prev)
			return 0;
		prev_le = le, prev = v, n++;
		if (isinf(le))
			inf = v;
	}
	snprintf(key, sizeof key, "idb_http_request_duration_seconds_count{route=\"%s\"}", route);
	count = sample(text, key);
	if (count_out)
		*count_out = count;
	return n == 13 && inf >= 0 && inf == count;
}

static char *render_checked(metrics *m, const char *what)
{
	size_t len = 0;
	char err[200] = "";
	char *text = metrics_render(m, &len);

	T_CHECK(text != NULL, "%s: metrics_render returns text", what);
	if (text == NULL)
		return NULL;
	T_CHECK(expo_check(text, len, err), "%s: every line is valid exposition syntax %s", what, err);
	return text;
}

/* The checker itself must reject what it claims to: each text breaks one rule. */
static void test_checker(void)
{
	static const char *const bad[] = {
	    "x 1\n",                                           /* sample without HELP/TYPE */
	    "# HELP x h\n# TYPE x counter\nx\n",               /* no value */
	    "# HELP x h\n# TYPE x counter\nx{a=\"\\q\"} 1\n",  /* bad escape */
	    "# HELP x h\n# TYPE x counter\nx{a=\"b} 1\n",      /* unterminated label */
	    "# HELP x h\n# TYPE x counter\nx 1 2 3\n",         /* trailing junk */
	    "# HELP x h\n# TYPE x counter\nx one\n",           /* not a number */
	    "# HELP x h\n# TYPE x counter\nx 1\n# HELP x h\n", /* HELP after samples */
	    "# HELP x h\n# TYPE x counter\n# HELP y h\n# TYPE y gauge\nx 1\ny 1\nx 2\n", /* not contiguous */
	    "# HELP x h\n# TYPE x counter\nx 1",                    /* no final newline */
	    "# HELP x h\n# TYPE x counter\nx_bucket{le=\"1\"} 1\n", /* suffix of a non-histogram */
	};
	static const char good[] =
	    "# HELP x h\n# TYPE x counter\nx{a=\"\\\\\\\"\\n\",b=\"\"} 1e3\n"
	    "# HELP h h\n# TYPE h histogram\nh_bucket{le=\"+Inf\"} 0\nh_sum 0\nh_count 0\n";
	char err[200];
	int rejected = 0;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		rejected += !expo_check(bad[i], strlen(bad[i]), err);
	T_CHECK(rejected == (int)(sizeof bad / sizeof bad[0]),
	        "exposition checker rejects %d of %zu broken texts", rejected, sizeof bad / sizeof bad[0]);
	err[0] = '\0';
	T_CHECK(expo_check(good, strlen(good), err), "exposition checker accepts escapes and histograms %s",
	        err);
}

/* ---- metrics: known increments ---- */

static void test_render_exact(void)
{
	metrics *m = metrics_new(2, routes, N_ROUTES);
	char *text;

	T_CHECK(m != NULL, "metrics_new(2 threads, 3 routes)");
	if (m == NULL)
		return;
	/* /token: 200 x3 (two threads), 401 x1; /verify: 200 x1; other: 404 x2. */
	metrics_request(m, 0, 0, 200, 0.0004);  /* le 0.0005 */
	metrics_request(m, 1, 0, 200, 0.0005);  /* le 0.0005 (bounds are inclusive) */
	metrics_request(m, 1, 0, 200, 0.003);   /* le 0.005 */
	metrics_request(m, 0, 0, 401, 3.0);     /* +Inf only */
	metrics_request(m, 0, 1, 200, 0.25);    /* le 0.25 */
	metrics_request(m, 1, 2, 404, 0.00001); /* le 0.0005 */
	metrics_request(m, 0, 2, 404, 0.00001);
	metrics_token(m, 0, METRICS_GRANT_CLIENT_CREDENTIALS);
	metrics_token(m, 1, METRICS_GRANT_CLIENT_CREDENTIALS);
	metrics_token(m, 1, METRICS_GRANT_REFRESH_TOKEN);
	metrics_token(m, 1, (enum metrics_grant)7); /* out of range: not counted */
	metrics_verify_failure(m, 0, "ERR_JWT_EXPIRED");
	metrics_verify_failure(m, 1, "ERR_JWT_EXPIRED");
	metrics_verify_failure(m, 1, "revoked");
	metrics_verify_failure(m, 0, "ERR_JWT_EXPIRE");              /* a prefix is not the code */
	metrics_verify_failure(m, 0, "<script>\"evil\"\n</script>"); /* client text never becomes a label */
	metrics_verify_failure(m, 0, NULL);
	metrics_verify_failure(m, 0, "");

	if ((text = render_checked(m, "known increments")) == NULL)
		goto out;
	T_CHECK(sample(text, "idb_http_requests_total{route=\"/token\",code=\"200\"}") == 3,
	        "/token 200 == 3");
	T_CHECK(sample(text, "idb_http_requests_total{route=\"/token\",code=\"401\"}") == 1,
	        "/token 401 == 1");
	T_CHECK(sample(text, "idb_http_requests_total{route=\"/verify\",code=\"200\"}") == 1,
	        "/verify 200 == 1");
	T_CHECK(sample(text, "idb_http_requests_total{route=\"other\",code=\"404\"}") == 2, "other 404 == 2");
	T_CHECK(sample(text, "idb_http_requests_total{route=\"/verify\",code=\"404\"}") == -1,
	        "a status never seen on a route is absent");
	T_CHECK(strstr(text, "code=\"2xx\"") == NULL && strstr(text, "code=\"other\"") == NULL,
	        "codes are exact, no classes, no \"other\" when none was out of range");

	T_CHECK(sample(text, "idb_http_request_duration_seconds_bucket{route=\"/token\",le=\"0.0005\"}") == 2,
	        "/token le=0.0005 == 2 (0.0004 and 0.0005: le is inclusive)");
	T_CHECK(sample(text, "idb_http_request_duration_seconds_bucket{route=\"/token\",le=\"0.0025\"}") == 2,
	        "/token le=0.0025 == 2");
	T_CHECK(sample(text, "idb_http_request_duration_seconds_bucket{route=\"/token\",le=\"0.005\"}") == 3,
	        "/token le=0.005 == 3");
	T_CHECK(sample(text, "idb_http_request_duration_seconds_bucket{route=\"/token\",le=\"2.5\"}") == 3,
	        "/token le=2.5 == 3");
	T_CHECK(sample(text, "idb_http_request_duration_seconds_bucket{route=\"/token\",le=\"+Inf\"}") == 4,
	        "/token le=+Inf == 4");
	T_CHECK(sample(text, "idb_http_request_duration_seconds_count{route=\"/token\"}") == 4,
	        "/token _count == 4");
	T_CHECK(strstr(text, "idb_http_request_duration_seconds_sum{route=\"/token\"} 3.003900000\n") != NULL,
	        "/token _sum == 3.0039 exactly (nanosecond sums)");
	T_CHECK(sample(text, "idb_http_request_duration_seconds_bucket{route=\"/verify\",le=\"0.1\"}") == 0 &&
	            sample(text, "idb_http_request_duration_seconds_bucket{route=\"/verify\",le=\"0.25\"}") ==
	                1,
	        "/verify: 0.25 s lands in le=0.25, not le=0.1");
	for (size_t r = 0; r < N_ROUTES; r++)
		T_CHECK(histogram_ok(text, routes[r], NULL),
		        "histogram %s: 13 buckets, cumulative, +Inf == _count", routes[r]);

	T_CHECK(sample(text, "idb_tokens_issued_total{grant=\"client_credentials\"}") == 2,
	        "client_credentials == 2");
	T_CHECK(sample(text, "idb_tokens_issued_total{grant=\"refresh_token\"}") == 1, "refresh_token == 1");
	T_CHECK(sample(text, "idb_tokens_issued_total{grant=\"json\"}") == 0 &&
	            sample(text, "idb_tokens_issued_total{grant=\"authorization_code\"}") == 0,
	        "grants never issued are present with 0");

	T_CHECK(sample(text, "idb_token_verification_failures_total{reason=\"ERR_JWT_EXPIRED\"}") == 2,
	        "ERR_JWT_EXPIRED == 2");
	T_CHECK(sample(text, "idb_token_verification_failures_total{reason=\"revoked\"}") == 1,
	        "revoked == 1");
	T_CHECK(sample(text, "idb_token_verification_failures_total{reason=\"other\"}") == 4,
	        "unknown reasons (prefix, hostile text, NULL, empty) count as other == 4");
	T_CHECK(strstr(text, "<script") == NULL && strstr(text, "evil") == NULL,
	        "a hostile reason string never reaches the output");
	for (size_t i = 0; i < N_REASONS; i++) {
		char key[128];
		snprintf(key, sizeof key, "idb_token_verification_failures_total{reason=\"%s\"}",
		         reason_text[i]);
		T_CHECK(sample(text, key) >= 0, "reason %s always present", reason_text[i]);
	}

	T_CHECK(strstr(text, "idb_process_") == NULL, "the process family has the standard names only");
	T_CHECK(sample(text, "idb_build_info{version=\"" METRICS_VERSION "\"}") == 1, "build_info 1");
	T_CHECK(strstr(text, "# TYPE idb_http_request_duration_seconds histogram\n") &&
	            strstr(text, "# TYPE idb_http_requests_total counter\n") &&
	            strstr(text, "# TYPE process_start_time_seconds gauge\n"),
	        "TYPE lines name the right types");
	free(text);
out:
	metrics_free(m);
}

/* ---- metrics: sign-in and abuse-control families ---- */

static unsigned fake_jobs(void *ctx)
{
	return *(unsigned *)ctx;
}

static void test_sign_in(void)
{
	static const char *const outcome[] = {"ok", "failed", "locked", "limited"};
	metrics *m = metrics_new(3, routes, N_ROUTES);
	unsigned jobs = 7;
	char *text, key[128];
	int all = 1;

	if (m == NULL)
		return;
	if ((text = render_checked(m, "sign-in fresh")) != NULL) {
		for (size_t i = 0; i < 4; i++) {
			snprintf(key, sizeof key, "idb_logins_total{outcome=\"%s\"}", outcome[i]);
			all &= sample(text, key) == 0;
		}
		T_CHECK(all, "fresh: every outcome of idb_logins_total present with 0");
		T_CHECK(sample(text, "idb_account_lockouts_total") == 0 &&
		            sample(text, "idb_requests_limited_total{endpoint=\"login\"}") == 0 &&
		            sample(text, "idb_requests_limited_total{endpoint=\"client_auth\"}") == 0 &&
		            sample(text, "idb_client_auth_failures_total") == 0,
		        "fresh: lockouts, limited (both endpoints) and client auth failures present with 0");
		T_CHECK(sample(text, "idb_password_jobs") == 0,
		        "fresh: idb_password_jobs 0 without a source");
		T_CHECK(strstr(text, "# TYPE idb_logins_total counter\n") &&
		            strstr(text, "# TYPE idb_account_lockouts_total counter\n") &&
		            strstr(text, "# TYPE idb_requests_limited_total counter\n") &&
		            strstr(text, "# TYPE idb_client_auth_failures_total counter\n") &&
		            strstr(text, "# TYPE idb_password_jobs gauge\n") &&
		            strstr(text, "# HELP idb_password_jobs "),
		        "TYPE and HELP lines of the sign-in families");
		free(text);
	}
	/* Spread over shards (thread 5 folds onto shard 2); out-of-range enums are not counted. */
	metrics_login(m, 0, METRICS_LOGIN_OK);
	metrics_login(m, 1, METRICS_LOGIN_OK);
	metrics_login(m, 2, METRICS_LOGIN_FAILED);
	metrics_login(m, 5, METRICS_LOGIN_FAILED);
	metrics_login(m, 0, METRICS_LOGIN_FAILED);
	metrics_login(m, 1, METRICS_LOGIN_LOCKED);
	metrics_login(m, 0, (enum metrics_login)4);
	metrics_login(m, 0, (enum metrics_login) - 1);
	metrics_lockout(m, 1);
	metrics_lockout(m, 2);
	metrics_limited(m, 0, METRICS_LIMITED_CLIENT_AUTH);
	metrics_limited(m, 1, METRICS_LIMITED_CLIENT_AUTH);
	metrics_limited(m, 2, METRICS_LIMITED_CLIENT_AUTH);
	metrics_limited(m, 2, (enum metrics_limited)2);
	for (int i = 0; i < 11; i++)
		metrics_client_auth_failure(m, (unsigned)i);
	metrics_set_password_jobs(m, fake_jobs, &jobs);
	if ((text = render_checked(m, "sign-in counts")) != NULL) {
		T_CHECK(sample(text, "idb_logins_total{outcome=\"ok\"}") == 2 &&
		            sample(text, "idb_logins_total{outcome=\"failed\"}") == 3 &&
		            sample(text, "idb_logins_total{outcome=\"locked\"}") == 1 &&
		            sample(text, "idb_logins_total{outcome=\"limited\"}") == 0,
		        "logins by outcome summed over shards: ok 2, failed 3, locked 1, limited 0");
		T_CHECK(sample(text, "idb_account_lockouts_total") == 2, "lockouts == 2");
		T_CHECK(sample(text, "idb_requests_limited_total{endpoint=\"client_auth\"}") == 3 &&
		            sample(text, "idb_requests_limited_total{endpoint=\"login\"}") == 0,
		        "limited: client_auth 3, login 0 (out-of-range endpoint not counted)");
		T_CHECK(sample(text, "idb_client_auth_failures_total") == 11,
		        "client auth failures == 11 (threads folded onto 3 shards)");
		T_CHECK(sample(text, "idb_password_jobs") == 7, "idb_password_jobs reads its source: 7");
		free(text);
	}
	jobs = 0;
	if ((text = render_checked(m, "gauge back to 0")) != NULL) {
		T_CHECK(sample(text, "idb_password_jobs") == 0, "idb_password_jobs follows its source: 0");
		free(text);
	}
	metrics_free(m);
}

static void test_edges(void)
{
	static const char *const odd[] = {"/a\"b\\c\nd"};
	metrics *m;
	char *text;

	T_CHECK(metrics_new(0, routes, N_ROUTES) == NULL, "metrics_new: 0 threads refused");
	T_CHECK(metrics_new(1, routes, 0) == NULL, "metrics_new: 0 routes refused");
	metrics_free(NULL);

	if ((m = metrics_new(1, routes, N_ROUTES)) == NULL)
		return;
	text = render_checked(m, "fresh");
	if (text) {
		T_CHECK(strstr(text, "idb_http_requests_total{") == NULL, "fresh: no request series yet");
		T_CHECK(strstr(text, "# TYPE idb_http_requests_total counter") != NULL,
		        "fresh: family still declared");
		free(text);
	}
	/* Statuses outside 100..599 count as "other"; the edges count as themselves. */
	metrics_request(m, 0, 0, 99, 0.001);
	metrics_request(m, 0, 0, 600, 0.001);
	metrics_request(m, 0, 0, -1, 0.001);
	metrics_request(m, 0, 0, 0, 0.001);
	metrics_request(m, 0, 0, 100000, 0.001);
	metrics_request(m, 0, 0, 100, 0.001);
	metrics_request(m, 0, 0, 599, 0.001);
	/* Route index out of range counts on the last route; thread out of range folds. */
	metrics_request(m, 5, 42, 200, 0.001);
	/* Latency: NaN and negative are 0 (first bucket), huge is +Inf only. */
	metrics_request(m, 0, 1, 200, NAN);
	metrics_request(m, 0, 1, 200, -5);
	metrics_request(m, 0, 1, 200, 1e300);
	metrics_request(m, 0, 1, 200, INFINITY);
	if ((text = render_checked(m, "edges")) != NULL) {
		T_CHECK(sample(text, "idb_http_requests_total{route=\"/token\",code=\"other\"}") == 5,
		        "statuses 99, 600, -1, 0, 100000 count as code=\"other\"");
		T_CHECK(sample(text, "idb_http_requests_total{route=\"/token\",code=\"100\"}") == 1 &&
		            sample(text, "idb_http_requests_total{route=\"/token\",code=\"599\"}") == 1,
		        "statuses 100 and 599 count as themselves");
		T_CHECK(sample(text, "idb_http_requests_total{route=\"other\",code=\"200\"}") == 1,
		        "route index out of range counts on the last route");
		T_CHECK(sample(text,
		               "idb_http_request_duration_seconds_bucket{route=\"/verify\",le=\"0.0005\"}") ==
		            2,
		        "NaN and negative latency land in the first bucket");
		T_CHECK(
		    sample(text, "idb_http_request_duration_seconds_bucket{route=\"/verify\",le=\"2.5\"}") ==
		            2 &&
		        sample(text, "idb_http_request_duration_seconds_count{route=\"/verify\"}") == 4,
		    "huge and infinite latency land in +Inf only");
		T_CHECK(histogram_ok(text, "/verify", NULL),
		        "histogram still consistent after odd latencies");
		free(text);
	}
	metrics_free(m);

	/* A route name with characters the format escapes. */
	if ((m = metrics_new(1, odd, 1)) == NULL)
		return;
	metrics_request(m, 0, 0, 200, 0.001);
	if ((text = render_checked(m, "escaped route label")) != NULL) {
		T_CHECK(sample(text, "idb_http_requests_total{route=\"/a\\\"b\\\\c\\nd\",code=\"200\"}") == 1,
		        "route label escapes quote, backslash and newline");
		free(text);
	}
	metrics_free(m);
}

/* ---- metrics: the process family and the service gauges ---- */

static void test_process(void)
{
	metrics *m = metrics_new(1, routes, N_ROUTES);
	double now = (double)time(NULL), cpu0, cpu1, start;
	volatile double spin = 0;
	char *text;
	int fd;

	if (m == NULL || (text = render_checked(m, "process family")) == NULL) {
		metrics_free(m);
		return;
	}
	start = sample(text, "process_start_time_seconds");
	T_CHECK(start > now - 600 && start <= now + 1,
	        "process_start_time_seconds is when this test started (%.2f, now %.0f)", start, now);
	T_CHECK(sample(text, "process_resident_memory_bytes") > 1e5 &&
	            sample(text, "process_virtual_memory_bytes") >=
	                sample(text, "process_resident_memory_bytes"),
	        "resident and virtual memory from /proc/self/statm, virtual >= resident");
	T_CHECK(sample(text, "process_max_fds") >= sample(text, "process_open_fds") &&
	            sample(text, "process_open_fds") >= 3,
	        "process_open_fds (stdin, stdout, stderr at least) within process_max_fds");
	T_CHECK(strstr(text, "# TYPE process_cpu_seconds_total counter\n") &&
	            strstr(text, "# TYPE process_open_fds gauge\n") &&
	            strstr(text, "# TYPE process_max_fds gauge\n") &&
	            strstr(text, "# TYPE process_virtual_memory_bytes gauge\n") &&
	            strstr(text, "# TYPE process_resident_memory_bytes gauge\n"),
	        "TYPE lines of the process family");
	cpu0 = sample(text, "process_cpu_seconds_total");
	free(text);
	/* Two more descriptors and some CPU: both figures follow. */
	fd = open("/dev/null", O_RDONLY);
	for (long i = 0; i < 60000000; i++)
		spin += (double)i;
	if ((text = render_checked(m, "process family again")) != NULL) {
		cpu1 = sample(text, "process_cpu_seconds_total");
		T_CHECK(cpu1 > cpu0, "process_cpu_seconds_total grows with work (%.3f -> %.3f)", cpu0, cpu1);
		free(text);
	}
	if (fd >= 0)
		close(fd);
	metrics_free(m);
}

static void test_service(void)
{
	metrics *m = metrics_new(2, routes, N_ROUTES);
	atomic_uint open = 17;
	int64_t now = (int64_t)time(NULL);
	char *text;

	if (m == NULL)
		return;
	if ((text = render_checked(m, "service gauges unset")) != NULL) {
		T_CHECK(sample(text, "idb_refresh_token_reuse_total") == 0, "refresh reuse present with 0");
		T_CHECK(strstr(text, "idb_connections_") == NULL &&
		            strstr(text, "idb_signing_key_") == NULL &&
		            strstr(text, "idb_store_errors_total") == NULL,
		        "connections, key ages and store errors absent without a source");
		free(text);
	}
	metrics_refresh_reuse(m, 0);
	metrics_refresh_reuse(m, 1);
	metrics_refresh_reuse(m, 3); /* folds onto shard 1 */
	metrics_set_connections(m, &open, 1024);
	metrics_set_store(m, (dbpool *)&open); /* the fake never reads it */
	metrics_set_keyring(m, (keyring *)&open, 90 * 86400);
	fake_failed = 5;
	fake_n_signers = 2;
	fake_signers[0] = (struct keyring_signer){"ES256", now - 3600};
	fake_signers[1] = (struct keyring_signer){"RS256", now + 50}; /* a clock step: never negative */
	if ((text = render_checked(m, "service gauges")) != NULL) {
		double es = sample(text, "idb_signing_key_age_seconds{alg=\"ES256\"}");
		T_CHECK(sample(text, "idb_refresh_token_reuse_total") == 3,
		        "refresh reuse summed over shards: 3");
		T_CHECK(sample(text, "idb_store_errors_total") == 5,
		        "idb_store_errors_total reads the pool: 5");
		T_CHECK(
		    sample(text, "idb_store_call_duration_seconds_bucket{op=\"code_take\",le=\"0.0005\"}") ==
		            0 &&
		        sample(text,
		               "idb_store_call_duration_seconds_bucket{op=\"code_take\",le=\"0.001\"}") ==
		            1 &&
		        sample(text,
		               "idb_store_call_duration_seconds_bucket{op=\"code_take\",le=\"0.025\"}") ==
		            2 &&
		        sample(text, "idb_store_call_duration_seconds_bucket{op=\"code_take\",le=\"5\"}") ==
		            2 &&
		        sample(text,
		               "idb_store_call_duration_seconds_bucket{op=\"code_take\",le=\"+Inf\"}") == 3 &&
		        sample(text, "idb_store_call_duration_seconds_count{op=\"code_take\"}") == 3 &&
		        sample(text, "idb_store_call_duration_seconds_sum{op=\"code_take\"}") > 7.02 &&
		        strstr(text, "op=\"ping\"") == NULL &&
		        strstr(text, "# TYPE idb_store_call_duration_seconds histogram\n"),
		    "store latency: cumulative buckets per operation, +Inf the count, unused operations "
		    "left out");
		T_CHECK(sample(text, "idb_mail_queued_total") == 4 &&
		            sample(text, "idb_mail_sent_total") == 3 &&
		            sample(text, "idb_mail_failed_total") == 2 &&
		            sample(text, "idb_mail_given_up_total") == 1 &&
		            strstr(text, "# TYPE idb_mail_sent_total counter\n") &&
		            !strstr(text, "idb_mail_outbox_depth"),
		        "mail: queued 4, sent 3, failed 2, given up 1; no depth before the sender counted");
		T_CHECK(sample(text, "idb_connections_open") == 17 &&
		            sample(text, "idb_connections_max") == 1024,
		        "connections: open 17 of max 1024");
		T_CHECK(es >= 3600 && es <= 3602, "ES256 key age 3600 s (%.0f)", es);
		T_CHECK(sample(text, "idb_signing_key_age_seconds{alg=\"RS256\"}") == 0,
		        "a key made in the future is 0 s old");
		T_CHECK(sample(text, "idb_signing_key_rotation_seconds") == 90 * 86400,
		        "rotation period shown");
		T_CHECK(strstr(text, "# TYPE idb_refresh_token_reuse_total counter\n") &&
		            strstr(text, "# TYPE idb_store_errors_total counter\n") &&
		            strstr(text, "# TYPE idb_connections_open gauge\n") &&
		            strstr(text, "# TYPE idb_signing_key_age_seconds gauge\n"),
		        "TYPE lines of the service families");
		free(text);
	}
	open = 3;
	fake_n_signers = 0;
	fake_mail.depth = 7;
	if ((text = render_checked(m, "service gauges follow")) != NULL) {
		T_CHECK(sample(text, "idb_mail_outbox_depth") == 7 &&
		            strstr(text, "# TYPE idb_mail_outbox_depth gauge\n"),
		        "the outbox depth once counted: 7");
		T_CHECK(sample(text, "idb_connections_open") == 3, "connections follow their source: 3");
		T_CHECK(strstr(text, "idb_signing_key_age_seconds{") == NULL &&
		            strstr(text, "# TYPE idb_signing_key_age_seconds gauge\n"),
		        "no signing key: the family is declared, with no sample");
		free(text);
	}
	metrics_free(m);
}

/* ---- metrics: concurrency ---- */

#define HAMMER_N 200000
static const int hammer_status[] = {200, 200, 401, 404, 500, 700, 204};
static const double hammer_secs[] = {0.0001, 0.0007, 0.002, 0.03, 0.3, 4.0, 0.0049, 0.01, 0.01};

struct hammer {
	metrics *m;
	unsigned thread;
};

/* How many tokens of grant g one hammer thread counts. */
static double hammer_tokens(enum metrics_grant g)
{
	unsigned n = 0;

	for (unsigned i = 0; i < HAMMER_N; i += 10)
		n += i / 10 % METRICS_GRANT_COUNT == (unsigned)g;
	return n;
}

static void *hammer_run(void *arg)
{
	struct hammer *h = arg;

	for (unsigned i = 0; i < HAMMER_N; i++) {
		metrics_request(h->m, h->thread, i % N_ROUTES, hammer_status[i % 7], hammer_secs[i % 9]);
		if (i % 10 == 0)
			metrics_token(h->m, h->thread, (enum metrics_grant)(i / 10 % METRICS_GRANT_COUNT));
		if (i % 100 == 0)
			metrics_verify_failure(h->m, h->thread, i % 200 ? "ERR_JWS_INVALID" : "nonsense");
		if (i % 50 == 0) {
			metrics_login(h->m, h->thread, (enum metrics_login)(i / 50 % METRICS_LOGIN_COUNT));
			metrics_client_auth_failure(h->m, h->thread);
			metrics_limited(h->m, h->thread, (enum metrics_limited)(i / 50 % 2));
		}
		if (i % 1000 == 0)
			metrics_lockout(h->m, h->thread);
	}
	return NULL;
}

static atomic_int scraping, scraper_ready;

/* Renders while the hammer runs: every scrape must be well-formed and its histograms consistent. */
static void *scraper_run(void *arg)
{
	metrics *m = arg;
	int renders = 0, bad = 0;
	char err[200];

	do {
		size_t len;
		char *text = metrics_render(m, &len);
		if (text == NULL || !expo_check(text, len, err))
			bad++;
		for (size_t r = 0; text && r < N_ROUTES; r++)
			bad += !histogram_ok(text, routes[r], NULL);
		free(text);
		renders++;
		atomic_store(&scraper_ready, 1);
	} while (atomic_load(&scraping));
	return (void *)(intptr_t)(bad ? -1 : renders);
}

static void hammer(unsigned shards, const char *what)
{
	metrics *m = metrics_new(shards, routes, N_ROUTES);
	pthread_t th[4], scraper;
	struct hammer h[4];
	uint64_t want[N_ROUTES][8] = {{0}}, want_count[N_ROUTES] = {0};
	void *scrape_result = NULL;
	char *text;
	int ok = 1;

	if (m == NULL)
		return;
	atomic_store(&scraping, 1);
	atomic_store(&scraper_ready, 0);
	pthread_create(&scraper, NULL, scraper_run, m);
	while (!atomic_load(&scraper_ready)) /* so the scrapes overlap the hammer even on a busy machine */
		sched_yield();
	for (unsigned t = 0; t < 4; t++) {
		h[t].m = m, h[t].thread = t;
		pthread_create(&th[t], NULL, hammer_run, &h[t]);
	}
	for (unsigned t = 0; t < 4; t++)
		pthread_join(th[t], NULL);
	atomic_store(&scraping, 0);
	pthread_join(scraper, &scrape_result);
	T_CHECK((intptr_t)scrape_result > 0,
	        "%s: %ld renders during the hammer, all well-formed and consistent", what,
	        (long)(intptr_t)scrape_result);

	for (unsigned i = 0; i < HAMMER_N; i++) {
		want[i % N_ROUTES][i % 7] += 4;
		want_count[i % N_ROUTES] += 4;
	}
	if ((text = render_checked(m, what)) == NULL)
		goto out;
	for (size_t r = 0; r < N_ROUTES; r++) {
		for (int s = 0; s < 7; s++) {
			char key[128];
			uint64_t w = 0;
			if (hammer_status[s] == 700 || (s == 1))
				continue; /* 200 appears twice in the pattern; 700 is "other" */
			for (int k = 0; k < 7; k++)
				if (hammer_status[k] == hammer_status[s])
					w += want[r][k];
			snprintf(key, sizeof key, "idb_http_requests_total{route=\"%s\",code=\"%d\"}",
			         routes[r], hammer_status[s]);
			ok &= sample(text, key) == (double)w;
		}
		{
			char key[128];
			double count;
			snprintf(key, sizeof key, "idb_http_requests_total{route=\"%s\",code=\"other\"}",
			         routes[r]);
			ok &= sample(text, key) == (double)want[r][5];
			ok &= histogram_ok(text, routes[r], &count) && count == (double)want_count[r];
		}
	}
	T_CHECK(ok, "%s: per-route, per-status and histogram totals exact after 4 x %d requests", what,
	        HAMMER_N);
	T_CHECK(sample(text, "idb_tokens_issued_total{grant=\"json\"}") ==
	            4 * hammer_tokens(METRICS_GRANT_JSON),
	        "%s: token totals exact", what);
	T_CHECK(sample(text, "idb_token_verification_failures_total{reason=\"ERR_JWS_INVALID\"}") ==
	                4 * 1000 &&
	            sample(text, "idb_token_verification_failures_total{reason=\"other\"}") == 4 * 1000,
	        "%s: failure totals exact", what);
	T_CHECK(sample(text, "idb_logins_total{outcome=\"ok\"}") == 4 * HAMMER_N / 50 / 4 &&
	            sample(text, "idb_logins_total{outcome=\"limited\"}") == 4 * HAMMER_N / 50 / 4 &&
	            sample(text, "idb_client_auth_failures_total") == 4 * HAMMER_N / 50 &&
	            sample(text, "idb_requests_limited_total{endpoint=\"login\"}") == 4 * HAMMER_N / 50 / 2 &&
	            sample(text, "idb_account_lockouts_total") == 4 * HAMMER_N / 1000,
	        "%s: sign-in, client auth failure, limited and lockout totals exact", what);
	free(text);
out:
	metrics_free(m);
}

/* ---- reqlog ---- */

#define NOW_MS 1700000000123LL /* 2023-11-14T22:13:20.123Z */

static cJSON *format_parse(const reqlog_entry *e, char *buf, size_t cap, size_t *len)
{
	*len = reqlog_format(buf, cap, e, NOW_MS);
	if (*len == 0 || *len >= cap)
		return NULL;
	buf[*len] = '\0';
	return cJSON_Parse(buf);
}

static const char *str_field(cJSON *j, const char *name)
{
	cJSON *f = cJSON_GetObjectItemCaseSensitive(j, name);
	return cJSON_IsString(f) ? f->valuestring : NULL;
}

/* The request id field, and the other lines (start, warnings, audit events) in the same form. */
static void test_reqlog_lines(void)
{
	char buf[REQLOG_LINE_MAX + 1], big[600];
	reqlog_entry e = {"GET", 3, "/ping", 5, 200, 0.001, 2, NULL, NULL, 0, "6f1c\"0e"};
	reqlog_field f[] = {{"event", "auth.login.failed", 0},
	                    {"username", "al\"ice\n", 0},
	                    {"until", NULL, 1700000000},
	                    {"neg", NULL, -42},
	                    {"gone", NULL, INT64_MIN}};
	size_t len = reqlog_format(buf, sizeof buf - 1, &e, 1700000000123);
	cJSON *j;

	buf[len] = '\0';
	T_CHECK(len && strstr(buf, ",\"request_id\":\"6f1c\\\"0e\",\"thread\":0}\n"),
	        "the access line carries request_id (escaped) before thread: %.*s", (int)len - 1, buf);
	len = reqlog_format_line(buf, sizeof buf - 1, 1700000000123, "warn", f, 5);
	buf[len] = '\0';
	T_CHECK(len && !strcmp(buf, "{\"ts\":\"2023-11-14T22:13:20.123Z\",\"level\":\"warn\",\"event\":"
	                            "\"auth.login.failed\",\"username\":\"al\\\"ice\\u000a\",\"until\":"
	                            "1700000000,\"neg\":-42}\n"),
	        "another line: ts and level first, fields in order, strings escaped, numbers signed, "
	        "a field with no value left out: %.*s",
	        (int)len - 1, buf);
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = 0;
	f[1].str = big;
	len = reqlog_format_line(buf, sizeof buf - 1, 0, "info", f, 2);
	buf[len] = '\0';
	j = len ? cJSON_Parse(buf) : NULL;
	T_CHECK(j && strlen(cJSON_GetObjectItem(j, "username")->valuestring) == REQLOG_FIELD_MAX + 3,
	        "a value longer than REQLOG_FIELD_MAX is cut and ends in an ellipsis");
	cJSON_Delete(j);
	T_CHECK(reqlog_format_line(buf, 40, 0, "info", f, 2) == 0,
	        "a line that does not fit: 0, nothing cut");
}

static void test_reqlog_plain(void)
{
	static const char *const order[] = {"ts", "level", "msg",    "method", "path",  "status",
	                                    "ms", "bytes", "client", "remote", "thread"};
	char buf[REQLOG_LINE_MAX + 1];
	size_t len, i = 0;
	reqlog_entry e = {"POST", 4, "/token", 6, 200, 0.0004126, 612, "svc", "10.0.0.7", 1, NULL};
	cJSON *j = format_parse(&e, buf, sizeof buf, &len), *f;
	int in_order = 1;

	T_CHECK(j != NULL, "plain line parses as JSON");
	if (j == NULL)
		return;
	T_CHECK(len > 0 && buf[len - 1] == '\n' && memchr(buf, '\n', len - 1) == NULL,
	        "one line, ending in \\n");
	T_CHECK(!strcmp(buf,
	                "{\"ts\":\"2023-11-14T22:13:20.123Z\",\"level\":\"info\",\"msg\":\"request\","
	                "\"method\":\"POST\",\"path\":\"/token\",\"status\":200,\"ms\":0.413,\"bytes\":612,"
	                "\"client\":\"svc\",\"remote\":\"10.0.0.7\",\"thread\":1}\n"),
	        "plain line byte for byte: %.*s", (int)len - 1, buf);
	cJSON_ArrayForEach(f, j) in_order &= i < 11 && !strcmp(f->string, order[i++]);
	T_CHECK(in_order && i == 11, "fields in the documented order");
	cJSON_Delete(j);

	e.client_id = NULL, e.remote = NULL, e.method = NULL, e.path = NULL, e.status = -3, e.seconds = NAN;
	e.bytes = UINT64_MAX, e.thread = UINT32_MAX;
	j = format_parse(&e, buf, sizeof buf, &len);
	T_CHECK(j && !cJSON_GetObjectItem(j, "client") && !cJSON_GetObjectItem(j, "remote"),
	        "client and remote omitted when NULL");
	T_CHECK(j && !strcmp(str_field(j, "method"), "") && !strcmp(str_field(j, "path"), ""),
	        "NULL method and path are empty strings");
	T_CHECK(strstr(buf, "\"status\":-3,\"ms\":0.000,\"bytes\":18446744073709551615,") &&
	            strstr(buf, "\"thread\":4294967295}"),
	        "negative status, NaN latency, widest bytes and thread: %.*s", (int)len - 1, buf);
	cJSON_Delete(j);

	e.seconds = 1e300;
	j = format_parse(&e, buf, sizeof buf, &len);
	T_CHECK(j && cJSON_IsNumber(cJSON_GetObjectItem(j, "ms")), "huge latency is still a number");
	cJSON_Delete(j);
	e.seconds = 12.3456789;
	j = format_parse(&e, buf, sizeof buf, &len);
	T_CHECK(j && strstr(buf, "\"ms\":12345.679,"), "ms has three decimals, rounded");
	cJSON_Delete(j);

	T_CHECK(reqlog_format(buf, 63, &e, NOW_MS) == 0, "cap < 64 formats nothing");
	T_CHECK(reqlog_format(buf, 100, &e, NOW_MS) == 0, "a line that does not fit formats nothing");
}

static void test_reqlog_ts(void)
{
	char buf[REQLOG_LINE_MAX], want[100];
	reqlog_entry e = {"GET", 3, "/", 1, 200, 0, 0, NULL, NULL, 0, NULL};
	int ok = 1;
	uint64_t x = 88172645463325252ULL; /* xorshift64 state */

	/* Against gmtime_r (fine in a test) at the edges and at 20000 random instants up to 9999. */
	for (int i = 0; i < 20006; i++) {
		int64_t ms;
		time_t t;
		struct tm tm;
		if (i < 6) {
			static const int64_t edge[] = {0,
			                               951782400000LL,
			                               951868799999LL,
			                               4107542400000LL,
			                               253402300799999LL,
			                               1709164800000LL};
			ms = edge[i];
		} else {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			ms = (int64_t)(x % 253402300800000ULL);
		}
		t = (time_t)(ms / 1000);
		gmtime_r(&t, &tm);
		snprintf(want, sizeof want, "{\"ts\":\"%04d-%02d-%02dT%02d:%02d:%02d.%03d", tm.tm_year + 1900,
		         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
		if (reqlog_format(buf, sizeof buf, &e, ms) == 0 || strncmp(buf, want, strlen(want)) ||
		    buf[strlen(want)] != 'Z') {
			if (ok)
				printf("# ts mismatch at %lld: %.40s vs %s\n", (long long)ms, buf, want);
			ok = 0;
		}
	}
	T_CHECK(ok, "ts matches gmtime_r at leap days, century edges and 20000 random instants");
	reqlog_format(buf, sizeof buf, &e, -5);
	T_CHECK(!strncmp(buf, "{\"ts\":\"1970-01-01T00:00:00.000Z\"", 32),
	        "ts before 1970 clamps to the epoch");
	reqlog_format(buf, sizeof buf, &e, INT64_MAX);
	T_CHECK(!strncmp(buf, "{\"ts\":\"9999-12-31T23:59:59.999Z\"", 32), "ts after 9999 clamps");
}

static void test_reqlog_hostile(void)
{
	char buf[REQLOG_LINE_MAX + 1];
	size_t len;
	cJSON *j;
	const char *s;
	/* quote, backslash, C0 controls, DEL, C1 control (U+0085), valid 2/3/4-byte UTF-8. */
	static const char path[] = "/a\"b\\c\x01\x1f\x7f\xc2\x85 \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80";
	/* Invalid UTF-8: lone continuation, overlong '/', surrogate, beyond U+10FFFF, truncated, 0xff. */
	static const char bad[] = "x\x80y\xc0\xafz\xed\xa0\x80w\xf4\x90\x80\x80v\xe2\x82u\xff";
	reqlog_entry e = {"GET", 3, path, sizeof path - 1, 200, 0.001, 1, bad, "::1", 0, NULL};

	j = format_parse(&e, buf, sizeof buf, &len);
	T_CHECK(j != NULL, "hostile strings: line parses as JSON");
	s = j ? str_field(j, "path") : NULL;
	T_CHECK(s && !strcmp(s, "/a\"b\\c\x01\x1f\x7f\xc2\x85 \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"),
	        "quotes, backslash, controls and valid UTF-8 round-trip exactly");
	T_CHECK(strstr(buf, "\\u0001\\u001f\\u007f\\u0085 ") != NULL, "C0, DEL and C1 controls as \\u00XX");
	s = j ? str_field(j, "client") : NULL;
	T_CHECK(
	    s &&
	        !strcmp(
	            s,
	            "x\xef\xbf\xbdy\xef\xbf\xbd\xef\xbf\xbdz\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdw"
	            "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdv\xef\xbf\xbd\xef\xbf\xbdu\xef\xbf\xbd"),
	    "each invalid UTF-8 byte becomes U+FFFD: %s", s ? s : "(null)");
	{
		const char *c = strstr(buf, "\"client\":\""), *end = c ? strstr(c, "\",\"remote\"") : NULL;
		int ascii = c && end;
		for (; ascii && c < end; c++)
			ascii = *c >= 0x20 && *c < 0x7f;
		T_CHECK(ascii,
		        "no invalid byte reaches the line (the client field's raw text is printable ASCII)");
	}
	cJSON_Delete(j);

	/* An embedded NUL in the path (cJSON stops strings at \u0000, so check the raw text). */
	e.path = "/x\0y", e.path_len = 4;
	j = format_parse(&e, buf, sizeof buf, &len);
	T_CHECK(j && strstr(buf, "\"path\":\"/x\\u0000y\""), "NUL byte escaped as \\u0000");
	cJSON_Delete(j);
}

static void test_reqlog_query(void)
{
	char buf[REQLOG_LINE_MAX + 1];
	size_t len;
	cJSON *j;
	static const char path[] = "/callback?code=SECRETCODE&state=xyz";
	reqlog_entry e = {"GET", 3, path, sizeof path - 1, 302, 0.001, 0, NULL, NULL, 0, NULL};

	j = format_parse(&e, buf, sizeof buf, &len);
	T_CHECK(j && !strcmp(str_field(j, "path"), "/callback"), "path is cut at '?'");
	T_CHECK(strstr(buf, "SECRETCODE") == NULL && strstr(buf, "state") == NULL && strchr(buf, '?') == NULL,
	        "no part of the query reaches the line");
	cJSON_Delete(j);
	e.path = "?code=SECRETCODE", e.path_len = 16;
	j = format_parse(&e, buf, sizeof buf, &len);
	T_CHECK(j && !strcmp(str_field(j, "path"), "") && !strstr(buf, "SECRETCODE"),
	        "a bare query logs path \"\"");
	cJSON_Delete(j);
}

static void test_reqlog_long(void)
{
	static char big[10240], ctl[10240], inv[10240], utf[10240];
	char buf[REQLOG_LINE_MAX + 1], clen[REQLOG_CLIENT_MAX * 3], rlen[1000];
	size_t len;
	cJSON *j;
	const char *s;
	reqlog_entry e = {big, sizeof big, big, sizeof big, 200, 0.001, 1, clen, rlen, 3, NULL};

	memset(big, 'a', sizeof big);
	memset(ctl, '\x01', sizeof ctl);
	memset(inv, '\xff', sizeof inv);
	for (size_t i = 0; i + 3 <= sizeof utf; i += 3)
		memcpy(utf + i, "\xe2\x82\xac", 3);
	utf[sizeof utf - 1] = 'z';
	memset(clen, '"', sizeof clen - 1);
	clen[sizeof clen - 1] = '\0';
	memset(rlen, '\x02', sizeof rlen - 1);
	rlen[sizeof rlen - 1] = '\0';

	j = format_parse(&e, buf, sizeof buf, &len);
	T_CHECK(j != NULL && len < 4096,
	        "10 KB path and method, long client and remote: valid JSON, %zu bytes", len);
	s = j ? str_field(j, "path") : NULL;
	T_CHECK(s && strlen(s) == REQLOG_PATH_MAX + 3 && !strcmp(s + REQLOG_PATH_MAX, "\xe2\x80\xa6"),
	        "path cut to %d bytes and marked with an ellipsis", REQLOG_PATH_MAX);
	s = j ? str_field(j, "method") : NULL;
	T_CHECK(s && strlen(s) == REQLOG_METHOD_MAX + 3, "method cut to %d bytes", REQLOG_METHOD_MAX);
	cJSON_Delete(j);

	/* Worst expansions: control bytes (6x), invalid bytes (6x), 3-byte characters at the cut. */
	const char *fill[] = {ctl, inv, utf};
	for (int k = 0; k < 3; k++) {
		e.path = e.method = fill[k];
		j = format_parse(&e, buf, sizeof buf, &len);
		T_CHECK(j != NULL && len < 4096 && len <= REQLOG_LINE_MAX,
		        "worst-case expansion %d: valid, %zu bytes", k, len);
		cJSON_Delete(j);
	}
	e.path = utf, e.path_len = sizeof utf;
	j = format_parse(&e, buf, sizeof buf, &len);
	s = j ? str_field(j, "path") : NULL;
	T_CHECK(s && strlen(s) == REQLOG_PATH_MAX / 3 * 3 + 3,
	        "multi-byte characters are never split at the cut");
	cJSON_Delete(j);

	/* A line of exactly-the-limit fields is not cut. */
	e.method = "GET", e.method_len = 3, e.path = big, e.path_len = REQLOG_PATH_MAX;
	j = format_parse(&e, buf, sizeof buf, &len);
	s = j ? str_field(j, "path") : NULL;
	T_CHECK(s && strlen(s) == REQLOG_PATH_MAX && s[REQLOG_PATH_MAX - 1] == 'a',
	        "a path of exactly %d is kept whole", REQLOG_PATH_MAX);
	cJSON_Delete(j);
}

int main(void)
{
	test_checker();
	test_render_exact();
	test_sign_in();
	test_edges();
	test_process();
	test_service();
	hammer(4, "4 threads, 4 shards");
	hammer(2, "4 threads, 2 shards (folded)");
	test_reqlog_plain();
	test_reqlog_lines();
	test_reqlog_ts();
	test_reqlog_hostile();
	test_reqlog_query();
	test_reqlog_long();
	T_DONE();
}
