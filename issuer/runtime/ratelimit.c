/*
 * limits.c: the per-address failure table (see limits.h). A set-associative
 * cache: SipHash-2-4 under a random key picks one set of RATELIMIT_WAYS slots for
 * (place, address); a slot counts its failures in RATELIMIT_BUCKETS time buckets
 * covering the window, so memory per slot is fixed whatever max_failures is.
 *
 * It must never allocate after ratelimit_new, never hold the mutex for more than
 * one set's scan (RATELIMIT_WAYS slots), and never count a success.
 *
 * Time: the window w is cut into buckets of g = ceil(w / RATELIMIT_BUCKETS)
 * seconds, n = ceil(w / g) of them (n <= RATELIMIT_BUCKETS). A failure in
 * bucket b (= now / g) is remembered while the current bucket is at most b + n,
 * so for more than n * g >= w and at most (n + 1) * g < w + 2g seconds: never
 * shorter than the window, at most 2/RATELIMIT_BUCKETS of it longer. A clock that
 * goes back counts and checks in the newest bucket seen.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>

#include <wolfssl/wolfcrypt/settings.h>
#include <wolfssl/wolfcrypt/random.h>

#include "runtime/ratelimit.h"

/* Slots per set: a new address evicts the slot with the oldest last failure among these. */
#ifndef RATELIMIT_WAYS
#define RATELIMIT_WAYS 8
#endif
/* Time buckets per window (the window's granularity is window / RATELIMIT_BUCKETS). */
#ifndef RATELIMIT_BUCKETS
#define RATELIMIT_BUCKETS 16
#endif

#if RATELIMIT_SLOTS < RATELIMIT_WAYS || RATELIMIT_SLOTS % RATELIMIT_WAYS != 0
#error "RATELIMIT_SLOTS must be a multiple of RATELIMIT_WAYS"
#endif
#define N_SETS (RATELIMIT_SLOTS / RATELIMIT_WAYS)
#define RING   (RATELIMIT_BUCKETS + 1) /* n + 1 buckets are live at once: the current one and n before */

/* An address as counted: IPv4 whole, IPv6 by its /64, IPv4-mapped IPv6 as IPv4. */
struct addr {
	uint64_t bits;
	uint64_t party; /* keyed hash of the party (ratelimit_remember); 0 for the address alone */
	uint8_t family; /* 4 or 6, ADDR_NONE; 0 in an empty slot */
	uint8_t where;
};
/* The family of every request whose address is unknown: one shared bucket. */
#define ADDR_NONE 9

struct slot {
	struct addr a;
	int64_t last;         /* bucket number of the last failure */
	uint32_t count[RING]; /* failures in bucket b at count[b % RING], for b in (last - RING, last] */
};

struct ratelimit {
	pthread_mutex_t lock;
	uint64_t key[2]; /* SipHash key, random per table */
	unsigned max[RATELIMIT_COUNT];
	int64_t grain[RATELIMIT_COUNT]; /* g, seconds per bucket */
	int64_t span[RATELIMIT_COUNT];  /* n, buckets remembered before the current one */
	struct slot slot[RATELIMIT_SLOTS];
};

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                                                             \
	do {                                                                                                 \
		v0 += v1, v1 = ROTL(v1, 13), v1 ^= v0, v0 = ROTL(v0, 32);                                    \
		v2 += v3, v3 = ROTL(v3, 16), v3 ^= v2;                                                       \
		v0 += v3, v3 = ROTL(v3, 21), v3 ^= v0;                                                       \
		v2 += v1, v1 = ROTL(v1, 17), v1 ^= v2, v2 = ROTL(v2, 32);                                    \
	} while (0)

/* SipHash-2-4 of the two words m[0], m[1] (a 16-byte message, little-endian words). */
static uint64_t siphash(const uint64_t key[2], const uint64_t m[2])
{
	uint64_t v0 = key[0] ^ 0x736f6d6570736575ULL, v1 = key[1] ^ 0x646f72616e646f6dULL;
	uint64_t v2 = key[0] ^ 0x6c7967656e657261ULL, v3 = key[1] ^ 0x7465646279746573ULL;
	const uint64_t last = (uint64_t)16 << 56;

	for (int i = 0; i < 3; i++) {
		uint64_t w = i < 2 ? m[i] : last;
		v3 ^= w;
		SIPROUND;
		SIPROUND;
		v0 ^= w;
	}
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

/* peer as counted into *a: a NULL or non-IP peer (a connection whose address
 * could not be read) counts in one bucket shared by all such requests. */
static void addr_of(const struct sockaddr *peer, enum ratelimit_where w, struct addr *a)
{
	const uint8_t *b;

	memset(a, 0, sizeof *a);
	a->where = (uint8_t)w;
	if (peer == NULL) {
		a->family = ADDR_NONE;
		return;
	}
	if (peer->sa_family == AF_INET) {
		b = (const uint8_t *)&((const struct sockaddr_in *)(const void *)peer)->sin_addr;
		a->family = 4;
	} else if (peer->sa_family == AF_INET6) {
		const struct in6_addr *in6 = &((const struct sockaddr_in6 *)(const void *)peer)->sin6_addr;
		b = in6->s6_addr;
		if (IN6_IS_ADDR_V4MAPPED(in6)) {
			b += 12;
			a->family = 4;
		} else {
			a->family = 6;
		}
	} else {
		a->family = ADDR_NONE;
		return;
	}
	for (int i = 0; i < (a->family == 4 ? 4 : 8); i++)
		a->bits = a->bits << 8 | b[i];
}

static int addr_eq(const struct addr *x, const struct addr *y)
{
	return x->bits == y->bits && x->party == y->party && x->family == y->family && x->where == y->where;
}

/* SipHash-2-4 of party, chained over 8-byte words; never 0 (0 is "no party"). */
static uint64_t party_hash(const ratelimit *l, const char *party)
{
	uint64_t h = 0, m[2];
	size_t n = strlen(party);

	for (size_t i = 0; i <= n; i += 8) {
		uint64_t w = 0;
		for (size_t j = 0; j < 8 && i + j < n; j++)
			w |= (uint64_t)(uint8_t)party[i + j] << (8 * j);
		m[0] = h ^ w;
		m[1] = (uint64_t)i << 8 | (uint64_t)n << 32;
		h = siphash(l->key, m);
	}
	return h ? h : 1;
}

static struct slot *set_of(ratelimit *l, const struct addr *a)
{
	uint64_t m[2] = {a->bits ^ a->party, (uint64_t)a->family << 8 | a->where};

	return &l->slot[siphash(l->key, m) % N_SETS * RATELIMIT_WAYS];
}

/* The oldest bucket of s still remembered at bucket cur (cur >= s->last); never negative. */
static int64_t first_live(const ratelimit *l, const struct slot *s, int64_t cur)
{
	int64_t b = cur - l->span[s->a.where];

	if (b < s->last - RING + 1)
		b = s->last - RING + 1;
	return b > 0 ? b : 0;
}

/* Failures of s still remembered at bucket cur (cur >= s->last). */
static uint64_t live(const ratelimit *l, const struct slot *s, int64_t cur)
{
	uint64_t sum = 0;

	for (int64_t b = first_live(l, s, cur); b <= s->last; b++)
		sum += s->count[b % RING];
	return sum;
}

/* see limits.h */
ratelimit *ratelimit_new(const struct ratelimit_config *cfg)
{
	ratelimit *l = calloc(1, sizeof *l);
	WC_RNG rng;

	if (l == NULL)
		return NULL;
	if (wc_InitRng(&rng) != 0) {
		free(l);
		return NULL;
	}
	if (wc_RNG_GenerateBlock(&rng, (byte *)l->key, sizeof l->key) != 0 ||
	    pthread_mutex_init(&l->lock, NULL) != 0) {
		wc_FreeRng(&rng);
		free(l);
		return NULL;
	}
	wc_FreeRng(&rng);
	for (int w = 0; w < RATELIMIT_COUNT; w++) {
		int64_t win = w == RATELIMIT_KNOWN  ? RATELIMIT_KNOWN_SECONDS
		              : cfg->window[w] >= 1 ? cfg->window[w]
		                                    : 1;
		l->max[w] = w == RATELIMIT_KNOWN ? 1 : cfg->max_failures[w];
		l->grain[w] = (win + RATELIMIT_BUCKETS - 1) / RATELIMIT_BUCKETS;
		l->span[w] = (win + l->grain[w] - 1) / l->grain[w];
	}
	return l;
}

/* see limits.h */
void ratelimit_free(ratelimit *l)
{
	if (l == NULL)
		return;
	pthread_mutex_destroy(&l->lock);
	free(l);
}

/* see limits.h */
int ratelimit_blocked(ratelimit *l, enum ratelimit_where w, const struct sockaddr *peer, int64_t now,
                      int64_t *retry_after)
{
	struct addr a;
	struct slot *set;
	int blocked = 0;

	if (retry_after)
		*retry_after = 0;
	if (l == NULL || (unsigned)w >= RATELIMIT_COUNT || l->max[w] == 0)
		return 0;
	addr_of(peer, w, &a);
	if (now < 0)
		now = 0;
	set = set_of(l, &a);
	pthread_mutex_lock(&l->lock);
	for (int i = 0; i < RATELIMIT_WAYS; i++) {
		struct slot *s = &set[i];
		int64_t g = l->grain[w], cur = now / g, b;
		uint64_t sum;

		if (!addr_eq(&s->a, &a))
			continue;
		if (cur < s->last)
			cur = s->last, now = cur * g; /* a clock that went back */
		if ((sum = live(l, s, cur)) < l->max[w])
			break;
		blocked = 1;
		/* The oldest live buckets leave one by one; once the rest is below max, the wait ends. */
		for (b = first_live(l, s, cur); sum >= l->max[w]; b++)
			sum -= s->count[b % RING];
		/* Bucket b - 1 was the last to leave: it is forgotten at bucket (b - 1) + n + 1. */
		if (retry_after)
			*retry_after = (b + l->span[w]) * g - now;
		break;
	}
	pthread_mutex_unlock(&l->lock);
	return blocked;
}

/* Count one event of a at now (a failure; for RATELIMIT_KNOWN, a success). */
static void count(ratelimit *l, enum ratelimit_where w, const struct addr *ap, int64_t now)
{
	struct addr a = *ap;
	struct slot *set, *s = NULL;
	int64_t cur;

	if (now < 0)
		now = 0;
	cur = now / l->grain[w];
	set = set_of(l, &a);
	pthread_mutex_lock(&l->lock);
	for (int i = 0; i < RATELIMIT_WAYS && s == NULL; i++)
		if (addr_eq(&set[i].a, &a))
			s = &set[i];
	if (s == NULL) {
		/* An empty slot, else the one whose last failure is oldest (in its own buckets' time). */
		s = &set[0];
		for (int i = 0; i < RATELIMIT_WAYS; i++) {
			if (set[i].a.family == 0) {
				s = &set[i];
				break;
			}
			if (set[i].last * l->grain[set[i].a.where] < s->last * l->grain[s->a.where])
				s = &set[i];
		}
		memset(s, 0, sizeof *s);
		s->a = a;
		s->last = cur;
	}
	if (cur < s->last)
		cur = s->last; /* a clock that went back: count it in the newest bucket */
	/* Clear the buckets between the last failure and now (all of them after a long quiet). */
	for (int64_t b = s->last + 1; b <= cur && b <= s->last + RING; b++)
		s->count[b % RING] = 0;
	s->last = cur;
	if (s->count[cur % RING] < UINT32_MAX)
		s->count[cur % RING]++;
	pthread_mutex_unlock(&l->lock);
}

/* see limits.h */
void ratelimit_failed(ratelimit *l, enum ratelimit_where w, const struct sockaddr *peer, int64_t now)
{
	struct addr a;

	if (l == NULL || (unsigned)w >= RATELIMIT_COUNT || w == RATELIMIT_KNOWN || l->max[w] == 0)
		return;
	addr_of(peer, w, &a);
	count(l, w, &a, now);
}

/* see limits.h */
void ratelimit_forgive(ratelimit *l, enum ratelimit_where w, const struct sockaddr *peer, int64_t now)
{
	struct addr a;
	struct slot *set;

	if (l == NULL || (unsigned)w >= RATELIMIT_COUNT || w == RATELIMIT_KNOWN || l->max[w] == 0)
		return;
	addr_of(peer, w, &a);
	set = set_of(l, &a);
	pthread_mutex_lock(&l->lock);
	for (int i = 0; i < RATELIMIT_WAYS; i++) {
		struct slot *s = &set[i];
		int64_t cur = now < 0 ? 0 : now / l->grain[w];

		if (!addr_eq(&s->a, &a))
			continue;
		if (cur < s->last)
			cur = s->last;
		/* The newest live bucket that holds a count: the attempt's own, or close to it. */
		for (int64_t b = s->last; b >= first_live(l, s, cur); b--)
			if (s->count[b % RING]) {
				s->count[b % RING]--;
				break;
			}
		break;
	}
	pthread_mutex_unlock(&l->lock);
}

/* see limits.h */
void ratelimit_remember(ratelimit *l, const struct sockaddr *peer, const char *party, int64_t now)
{
	struct addr a;

	if (l == NULL || party == NULL)
		return;
	addr_of(peer, RATELIMIT_KNOWN, &a);
	a.party = party_hash(l, party);
	count(l, RATELIMIT_KNOWN, &a, now);
}

/* see limits.h */
int ratelimit_known(ratelimit *l, const struct sockaddr *peer, const char *party, int64_t now)
{
	struct addr a;
	struct slot *set;
	int known = 0;

	if (l == NULL || party == NULL)
		return 0;
	addr_of(peer, RATELIMIT_KNOWN, &a);
	a.party = party_hash(l, party);
	set = set_of(l, &a);
	pthread_mutex_lock(&l->lock);
	for (int i = 0; i < RATELIMIT_WAYS && !known; i++) {
		int64_t cur = (now < 0 ? 0 : now) / l->grain[RATELIMIT_KNOWN];

		if (addr_eq(&set[i].a, &a))
			known = live(l, &set[i], cur < set[i].last ? set[i].last : cur) > 0;
	}
	pthread_mutex_unlock(&l->lock);
	return known;
}
