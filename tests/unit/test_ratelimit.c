/*
 * test_limits.c: the per-address failure table (issuer/limits.c). Blocking
 * starts at exactly max_failures failures and not one before, lifts when the
 * oldest failures leave the window (retry_after says when, to the second),
 * places are independent, IPv6 counts by /64 and IPv4-mapped IPv6 as IPv4,
 * peers that are not IP are never limited, a flood of addresses never grows
 * memory and evicts the oldest slot, and threads counting at once lose nothing.
 * The .c is included to reach its statics.
 */
#include "../../issuer/runtime/ratelimit.c"
#include "../test.h"

#include <arpa/inet.h>
#include <sys/un.h>

#define T0 1700000000 /* a realistic now; a multiple of 4 (the 60 s window's bucket) */

static struct sockaddr_storage v4(const char *s)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *a = (struct sockaddr_in *)&ss;

	memset(&ss, 0, sizeof ss);
	a->sin_family = AF_INET;
	a->sin_port = htons(40000);
	inet_pton(AF_INET, s, &a->sin_addr);
	return ss;
}

static struct sockaddr_storage v6(const char *s)
{
	struct sockaddr_storage ss;
	struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof ss);
	a->sin6_family = AF_INET6;
	a->sin6_port = htons(40001);
	inet_pton(AF_INET6, s, &a->sin6_addr);
	return ss;
}

#define SA(ss) ((const struct sockaddr *)&(ss))

/* A temporary address as a sockaddr pointer (a ring of 8: main thread only). */
static const struct sockaddr *tmp(struct sockaddr_storage ss)
{
	static struct sockaddr_storage ring[8];
	static unsigned n;

	ring[n % 8] = ss;
	return (const struct sockaddr *)&ring[n++ % 8];
}

static ratelimit *make(unsigned login_max, unsigned client_max, int64_t window)
{
	struct ratelimit_config c = {{login_max, client_max}, {window, window}};
	return ratelimit_new(&c);
}

static void fail_n(ratelimit *l, enum ratelimit_where w, const struct sockaddr *p, int64_t now, int n)
{
	for (int i = 0; i < n; i++)
		ratelimit_failed(l, w, p, now);
}

static void test_threshold(void)
{
	ratelimit *l = make(5, 5, 60);
	struct sockaddr_storage a = v4("192.0.2.10");
	int64_t retry = -1;
	int early = 0;

	T_CHECK(l != NULL, "ratelimit_new(5 failures per 60 s)");
	if (l == NULL)
		return;
	for (int i = 0; i < 5; i++) {
		early |= ratelimit_blocked(l, RATELIMIT_CLIENT_AUTH, SA(a), T0, &retry);
		ratelimit_failed(l, RATELIMIT_CLIENT_AUTH, SA(a), T0);
	}
	T_CHECK(!early && retry == 0, "not blocked before the 5th failure (retry_after 0 while free)");
	T_CHECK(ratelimit_blocked(l, RATELIMIT_CLIENT_AUTH, SA(a), T0, &retry), "blocked after 5 failures");
	/* 60 s in 16 buckets of 4 s: failures at T0 (bucket start) leave at T0 + 64. */
	T_CHECK(retry == 64, "retry_after == 64 s (window 60 s, bucket 4 s): %lld", (long long)retry);
	T_CHECK(ratelimit_blocked(l, RATELIMIT_CLIENT_AUTH, SA(a), T0 + 63, &retry) && retry == 1,
	        "still blocked 1 s before, retry_after 1");
	T_CHECK(!ratelimit_blocked(l, RATELIMIT_CLIENT_AUTH, SA(a), T0 + 64, &retry) && retry == 0,
	        "unblocked once the window passed");
	T_CHECK(ratelimit_blocked(l, RATELIMIT_CLIENT_AUTH, SA(a), T0 + 30, NULL), "retry_after may be NULL");
	ratelimit_free(l);

	/* Failure times within the bucket: never remembered less than the window, at most 2 buckets more. */
	for (int64_t off = 0; off < 4; off++) {
		int64_t t = T0 + off;
		l = make(1, 1, 60);
		ratelimit_failed(l, RATELIMIT_LOGIN, SA(a), t);
		T_CHECK(ratelimit_blocked(l, RATELIMIT_LOGIN, SA(a), t + 60, &retry) &&
		            !ratelimit_blocked(l, RATELIMIT_LOGIN, SA(a), t + 60 + retry, NULL) &&
		            t + 60 + retry - t <= 60 + 2 * 4,
		        "failure at bucket offset %lld: blocked for at least the window, lifted after %lld s",
		        (long long)off, (long long)(60 + retry));
		ratelimit_free(l);
	}
}

static void test_sliding(void)
{
	ratelimit *l = make(5, 5, 60);
	struct sockaddr_storage a = v4("198.51.100.7");
	int64_t retry;

	if (l == NULL)
		return;
	/* Failures at T0, +10, +20, +30, +40: the 5th blocks until the first (bucket T0) leaves. */
	for (int i = 0; i < 5; i++)
		ratelimit_failed(l, RATELIMIT_LOGIN, SA(a), T0 + 10 * i);
	T_CHECK(ratelimit_blocked(l, RATELIMIT_LOGIN, SA(a), T0 + 40, &retry) && retry == 24,
	        "sliding: blocked at +40 until the oldest leaves at +64 (retry %lld)", (long long)retry);
	T_CHECK(!ratelimit_blocked(l, RATELIMIT_LOGIN, SA(a), T0 + 64, NULL),
	        "sliding: free at +64 (4 left)");
	ratelimit_failed(l, RATELIMIT_LOGIN, SA(a), T0 + 64);
	/* The failure at +10 is in bucket T0+8: it leaves at T0 + 8 + 64. */
	T_CHECK(ratelimit_blocked(l, RATELIMIT_LOGIN, SA(a), T0 + 64, &retry) && retry == 8,
	        "sliding: one more failure blocks until the 2nd oldest leaves (retry %lld)",
	        (long long)retry);
	/* A long quiet forgets everything, however large the counts were. */
	fail_n(l, RATELIMIT_LOGIN, SA(a), T0 + 100, 1000);
	T_CHECK(ratelimit_blocked(l, RATELIMIT_LOGIN, SA(a), T0 + 100, &retry) && retry == 64,
	        "1000 failures in one second: retry_after is still the window (%lld)", (long long)retry);
	T_CHECK(!ratelimit_blocked(l, RATELIMIT_LOGIN, SA(a), T0 + 100 + 86400 * 365, NULL),
	        "a year later: forgotten");
	ratelimit_failed(l, RATELIMIT_LOGIN, SA(a), T0 + 100 + 86400 * 365);
	T_CHECK(!ratelimit_blocked(l, RATELIMIT_LOGIN, SA(a), T0 + 100 + 86400 * 365, NULL),
	        "after the quiet, one failure counts as one (old buckets cleared)");
	ratelimit_free(l);

	/* The smallest window (1 s) and the largest (1440 min). */
	l = make(2, 2, 1);
	fail_n(l, RATELIMIT_LOGIN, SA(a), T0, 2);
	T_CHECK(ratelimit_blocked(l, RATELIMIT_LOGIN, SA(a), T0, &retry) && retry == 2 &&
	            !ratelimit_blocked(l, RATELIMIT_LOGIN, SA(a), T0 + 2, NULL),
	        "window 1 s: blocked for 2 s at most (retry %lld)", (long long)retry);
	ratelimit_free(l);
	l = make(2, 2, 86400);
	fail_n(l, RATELIMIT_LOGIN, SA(a), T0, 2);
	T_CHECK(ratelimit_blocked(l, RATELIMIT_LOGIN, SA(a), T0 + 86399, NULL) &&
	            ratelimit_blocked(l, RATELIMIT_LOGIN, SA(a), T0, &retry) && retry >= 86400 &&
	            retry <= 86400 + 2 * 5400 &&
	            !ratelimit_blocked(l, RATELIMIT_LOGIN, SA(a), T0 + retry, NULL),
	        "window 24 h: blocked for at least 24 h, lifted after %lld s", (long long)retry);
	ratelimit_free(l);

	/* A clock that goes back neither unblocks nor crashes. */
	l = make(3, 3, 60);
	fail_n(l, RATELIMIT_LOGIN, SA(a), T0 + 1000, 3);
	T_CHECK(ratelimit_blocked(l, RATELIMIT_LOGIN, SA(a), T0 + 900, &retry) && retry > 0,
	        "clock back 100 s: still blocked (retry %lld)", (long long)retry);
	ratelimit_failed(l, RATELIMIT_LOGIN, SA(a), T0);
	T_CHECK(ratelimit_blocked(l, RATELIMIT_LOGIN, SA(a), T0 + 1000, NULL),
	        "a failure from the past still counts");
	fail_n(l, RATELIMIT_LOGIN, SA(a), -5, 3);
	T_CHECK(!ratelimit_blocked(l, RATELIMIT_LOGIN, tmp(v4("192.0.2.99")), -5, NULL),
	        "negative now: clamped, no crash");
	ratelimit_free(l);
}

static void test_where_and_addresses(void)
{
	ratelimit *l = make(3, 3, 60);
	struct sockaddr_storage a = v4("203.0.113.5"), b = v4("203.0.113.6");
	struct sockaddr_storage n1 = v6("2001:db8:1:2::1"), n2 = v6("2001:db8:1:2:ffff:ffff:ffff:fffe"),
	                        other64 = v6("2001:db8:1:3::1");
	struct sockaddr_storage mapped = v6("::ffff:203.0.113.5"), compat = v6("::203.0.113.5");
	struct sockaddr_un un = {.sun_family = AF_UNIX};

	if (l == NULL)
		return;
	fail_n(l, RATELIMIT_CLIENT_AUTH, SA(a), T0, 3);
	T_CHECK(ratelimit_blocked(l, RATELIMIT_CLIENT_AUTH, SA(a), T0, NULL) &&
	            !ratelimit_blocked(l, RATELIMIT_LOGIN, SA(a), T0, NULL),
	        "places are independent: client_auth blocked, login free");
	T_CHECK(!ratelimit_blocked(l, RATELIMIT_CLIENT_AUTH, SA(b), T0, NULL),
	        "the next IPv4 address is free");
	T_CHECK(ratelimit_blocked(l, RATELIMIT_CLIENT_AUTH, SA(mapped), T0, NULL),
	        "::ffff:203.0.113.5 is 203.0.113.5 (IPv4-mapped counts as IPv4)");
	T_CHECK(!ratelimit_blocked(l, RATELIMIT_CLIENT_AUTH, SA(compat), T0, NULL),
	        "::203.0.113.5 (not mapped) is an IPv6 address of its own");
	ratelimit_failed(l, RATELIMIT_LOGIN, SA(mapped), T0);
	ratelimit_failed(l, RATELIMIT_LOGIN, SA(mapped), T0);
	ratelimit_failed(l, RATELIMIT_LOGIN, SA(a), T0);
	T_CHECK(ratelimit_blocked(l, RATELIMIT_LOGIN, SA(a), T0, NULL),
	        "failures from the mapped and the plain form add up");

	ratelimit_failed(l, RATELIMIT_LOGIN, SA(n1), T0);
	ratelimit_failed(l, RATELIMIT_LOGIN, SA(n2), T0);
	T_CHECK(!ratelimit_blocked(l, RATELIMIT_LOGIN, SA(n1), T0, NULL),
	        "IPv6: 2 failures in the /64, free");
	ratelimit_failed(l, RATELIMIT_LOGIN, tmp(v6("2001:db8:1:2:1234::9")), T0);
	T_CHECK(ratelimit_blocked(l, RATELIMIT_LOGIN, SA(n1), T0, NULL) &&
	            ratelimit_blocked(l, RATELIMIT_LOGIN, SA(n2), T0, NULL),
	        "IPv6: 3 failures from 3 hosts of one /64 block the whole /64");
	T_CHECK(!ratelimit_blocked(l, RATELIMIT_LOGIN, SA(other64), T0, NULL), "IPv6: the next /64 is free");

	/* A request whose address could not be read (its connection was reset first). */
	fail_n(l, RATELIMIT_LOGIN, NULL, T0, 2);
	T_CHECK(!ratelimit_blocked(l, RATELIMIT_LOGIN, NULL, T0, NULL), "no address: 2 failures, free");
	fail_n(l, RATELIMIT_LOGIN, (const struct sockaddr *)&un, T0, 1);
	T_CHECK(ratelimit_blocked(l, RATELIMIT_LOGIN, NULL, T0, NULL) &&
	            ratelimit_blocked(l, RATELIMIT_LOGIN, (const struct sockaddr *)&un, T0, NULL),
	        "no address and AF_UNIX peers share one bucket: a missing address never escapes the limit");
	T_CHECK(!ratelimit_blocked(l, (enum ratelimit_where)RATELIMIT_COUNT, SA(a), T0, NULL),
	        "a place out of range is never limited");
	ratelimit_failed(l, (enum ratelimit_where)7, SA(a), T0);
	ratelimit_free(l);

	l = make(0, 2, 60);
	fail_n(l, RATELIMIT_LOGIN, SA(a), T0, 1000);
	T_CHECK(!ratelimit_blocked(l, RATELIMIT_LOGIN, SA(a), T0, NULL), "max_failures 0: never limited");
	T_CHECK(!ratelimit_blocked(NULL, RATELIMIT_LOGIN, SA(a), T0, NULL), "a NULL table never limits");
	ratelimit_failed(NULL, RATELIMIT_LOGIN, SA(a), T0);
	ratelimit_free(l);
	ratelimit_free(NULL);

	/* Two tables hash differently: the key is random per table. */
	{
		ratelimit *x = make(1, 1, 60), *y = make(1, 1, 60);
		struct addr k;
		int differ = 0;
		addr_of(SA(a), RATELIMIT_LOGIN, &k);
		for (int i = 0; i < 4 && x && y; i++) {
			k.bits += (uint64_t)i;
			differ |= set_of(x, &k) - x->slot != set_of(y, &k) - y->slot;
		}
		T_CHECK(x && y && memcmp(x->key, y->key, sizeof x->key) != 0 && differ,
		        "each table has its own random SipHash key");
		ratelimit_free(x);
		ratelimit_free(y);
	}
}

/* SipHash-2-4 against the reference implementation's vector for the 16-byte message 00..0f. */
static void test_siphash(void)
{
	/* key 00..0f; siphash24 of 00..0f (vectors.h of the SipHash reference, entry 16). */
	const uint64_t key[2] = {0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL};
	const uint64_t m[2] = {0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL};
	const uint8_t want[8] = {0xdb, 0x9b, 0xc2, 0x57, 0x7f, 0xcc, 0x2a, 0x3f}; /* little-endian */
	uint64_t h = siphash(key, m), w = 0;

	for (int i = 7; i >= 0; i--)
		w = w << 8 | want[i];
	T_CHECK(h == w, "SipHash-2-4 matches the reference vector (16-byte message)");
}

static void test_eviction(void)
{
	ratelimit *l = make(3, 3, 60);
	struct sockaddr_storage p, same[RATELIMIT_WAYS + 1];
	struct addr k;
	const struct slot *target;
	size_t used = 0, found = 0;
	int ok = 1;

	if (l == NULL)
		return;
	/* 100000 addresses (IPv4 and IPv6 /64s), 3 failures each: the table never grows. */
	for (uint32_t i = 0; i < 50000; i++) {
		struct sockaddr_in *a4 = (struct sockaddr_in *)&p;
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&p;
		memset(&p, 0, sizeof p);
		a4->sin_family = AF_INET;
		a4->sin_addr.s_addr = htonl(0x0a000000u + i);
		fail_n(l, RATELIMIT_CLIENT_AUTH, SA(p), T0 + i / 1000, 3);
		memset(&p, 0, sizeof p);
		a6->sin6_family = AF_INET6;
		a6->sin6_addr.s6_addr[0] = 0x20, a6->sin6_addr.s6_addr[1] = 0x01;
		memcpy(&a6->sin6_addr.s6_addr[4], &i, 4);
		fail_n(l, RATELIMIT_LOGIN, SA(p), T0 + i / 1000, 3);
	}
	for (size_t i = 0; i < RATELIMIT_SLOTS; i++)
		used += l->slot[i].a.family != 0;
	T_CHECK(sizeof *l < 2 * RATELIMIT_SLOTS * sizeof(struct slot) && used == RATELIMIT_SLOTS,
	        "100000 addresses: the %d slots are all used, none added (%zu bytes in all)", RATELIMIT_SLOTS,
	        sizeof *l);
	/* The newest address of the flood is still counted (eviction takes the oldest, not the newest). */
	T_CHECK(ratelimit_blocked(l, RATELIMIT_LOGIN, SA(p), T0 + 49, NULL),
	        "the last address of the flood is still blocked");
	ratelimit_free(l);

	/* RATELIMIT_WAYS + 1 addresses of one set: the newcomer evicts the oldest last failure. */
	l = make(3, 3, 3600);
	if (l == NULL)
		return;
	addr_of(tmp(v4("10.0.0.0")), RATELIMIT_LOGIN, &k);
	target = set_of(l, &k);
	for (uint32_t i = 0; found < RATELIMIT_WAYS + 1 && i < 10000000; i++) {
		struct sockaddr_in *a4 = (struct sockaddr_in *)&same[found];
		struct addr ki;
		memset(&same[found], 0, sizeof same[found]);
		a4->sin_family = AF_INET;
		a4->sin_addr.s_addr = htonl(0x0a000000u + i);
		addr_of(SA(same[found]), RATELIMIT_LOGIN, &ki);
		if (set_of(l, &ki) == target)
			found++;
	}
	if (found < RATELIMIT_WAYS + 1) {
		T_SKIP("no %d addresses of one set found", RATELIMIT_WAYS + 1);
		ratelimit_free(l);
		return;
	}
	/* same[1] fails first (oldest), the others later; same[1] is the one evicted. */
	fail_n(l, RATELIMIT_LOGIN, SA(same[1]), T0, 3);
	fail_n(l, RATELIMIT_LOGIN, SA(same[0]), T0 + 100, 3);
	for (int i = 2; i < RATELIMIT_WAYS; i++)
		fail_n(l, RATELIMIT_LOGIN, SA(same[i]), T0 + 100 + i, 3);
	ratelimit_failed(l, RATELIMIT_LOGIN, SA(same[RATELIMIT_WAYS]), T0 + 200);
	ok &= !ratelimit_blocked(l, RATELIMIT_LOGIN, SA(same[1]), T0 + 200, NULL);
	for (int i = 0; i < RATELIMIT_WAYS; i++)
		if (i != 1)
			ok &= ratelimit_blocked(l, RATELIMIT_LOGIN, SA(same[i]), T0 + 200, NULL);
	T_CHECK(ok, "a full set evicts the slot whose last failure is oldest, and only it");
	ratelimit_free(l);
}

/* ---- threads ---- */

#define THREADS    4
#define PER_THREAD 20000

struct worker {
	ratelimit *l;
	int id;
	int blocked_seen;
};

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	struct sockaddr_storage shared = v4("192.0.2.1"), own;
	char buf[32];

	snprintf(buf, sizeof buf, "2001:db8:%x::1", (unsigned)w->id + 1);
	own = v6(buf);
	for (int i = 0; i < PER_THREAD; i++) {
		ratelimit_failed(w->l, RATELIMIT_CLIENT_AUTH, SA(shared), T0);
		w->blocked_seen += ratelimit_blocked(w->l, RATELIMIT_LOGIN, SA(own), T0, NULL);
		if (i < 100)
			ratelimit_failed(w->l, RATELIMIT_LOGIN, SA(own), T0);
		/* Churn: addresses that come and go, older than the ones counted (so evicted first). */
		struct sockaddr_storage c = v4("10.1.0.0");
		((struct sockaddr_in *)&c)->sin_addr.s_addr =
		    htonl(0x0a010000u + (uint32_t)(i * THREADS + w->id));
		ratelimit_failed(w->l, RATELIMIT_LOGIN, SA(c), T0 - 10);
	}
	return NULL;
}

static void test_threads(void)
{
	ratelimit *l = make(100, 1000000, 60);
	pthread_t th[THREADS];
	struct worker w[THREADS];
	struct sockaddr_storage shared = v4("192.0.2.1");
	struct addr k;
	uint64_t total = 0;
	int own_ok = 1;

	if (l == NULL)
		return;
	for (int i = 0; i < THREADS; i++) {
		w[i] = (struct worker){l, i, 0};
		pthread_create(&th[i], NULL, worker_run, &w[i]);
	}
	for (int i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	addr_of(SA(shared), RATELIMIT_CLIENT_AUTH, &k);
	for (int i = 0; i < RATELIMIT_WAYS; i++) {
		const struct slot *s = set_of(l, &k) + i;
		if (addr_eq(&s->a, &k))
			total = live(l, s, s->last);
	}
	for (int i = 0; i < THREADS; i++)
		own_ok &= w[i].blocked_seen > 0;
	T_CHECK(total == (uint64_t)THREADS * PER_THREAD,
	        "%d threads x %d failures of one address among 80000 churning ones: %llu counted, none lost",
	        THREADS, PER_THREAD, (unsigned long long)total);
	T_CHECK(own_ok, "each thread saw its own /64 blocked after its 100 failures");
	T_CHECK(ratelimit_blocked(l, RATELIMIT_CLIENT_AUTH, SA(shared), T0, NULL) == (total >= 1000000),
	        "blocked only past the limit of 1000000");
	ratelimit_free(l);
}

/* Parties known at an address, and a success taking back its counted attempt. */
static void test_known_and_forgive(void)
{
	ratelimit *l = make(3, 3, 60);
	struct sockaddr_storage a = v4("198.51.100.7"), b = v4("198.51.100.8");

	T_CHECK(l != NULL, "a table for the known parties");
	if (!l)
		return;
	T_CHECK(!ratelimit_known(l, SA(a), "carol", T0), "nobody is known at first");
	ratelimit_remember(l, SA(a), "carol", T0);
	T_CHECK(ratelimit_known(l, SA(a), "carol", T0 + 10) && !ratelimit_known(l, SA(a), "dave", T0 + 10) &&
	            !ratelimit_known(l, SA(b), "carol", T0 + 10),
	        "a party signed in at an address is known there, only there, and only that party");
	T_CHECK(ratelimit_known(l, SA(a), "carol", T0 + RATELIMIT_KNOWN_SECONDS - 3 * 86400) &&
	            !ratelimit_known(l, SA(a), "carol", T0 + RATELIMIT_KNOWN_SECONDS + 3 * 86400),
	        "and stays known for RATELIMIT_KNOWN_SECONDS");
	fail_n(l, RATELIMIT_LOGIN, SA(a), T0, 3);
	T_CHECK(ratelimit_blocked(l, RATELIMIT_LOGIN, SA(a), T0, NULL), "3 failures block the address");
	ratelimit_forgive(l, RATELIMIT_LOGIN, SA(a), T0);
	T_CHECK(!ratelimit_blocked(l, RATELIMIT_LOGIN, SA(a), T0, NULL),
	        "a success takes its counted attempt back: below the limit again");
	ratelimit_forgive(l, RATELIMIT_LOGIN, SA(b), T0);
	ratelimit_remember(l, SA(a), NULL, T0);
	T_CHECK(!ratelimit_known(l, SA(a), NULL, T0) && !ratelimit_known(NULL, SA(a), "carol", T0),
	        "forgiving an address with nothing counted, a NULL party or table: no effect");
	ratelimit_free(l);
}

int main(void)
{
	test_threshold();
	test_sliding();
	test_where_and_addresses();
	test_siphash();
	test_eviction();
	test_threads();
	test_known_and_forgive();
	T_DONE();
}
