/*
 * limits.h: abuse controls that need memory across requests (issue "SSO",
 * deliver 7). Per-address limits count *failed* attempts only (a wrong password
 * at /login, a failed client authentication at /token, /introspect and
 * /revoke): once an address has `max_failures` failures within `window`
 * seconds, its next attempts at that place are refused (HTTP 429) until enough
 * of its oldest failures left the window. Successful requests are never
 * counted, so a busy service minting thousands of tokens a second from one
 * address never meets a limit.
 *
 * The window slides in steps of window/16 (limits.c): a failure is remembered
 * for at least `window` seconds and at most window + 2 * window/16.
 *
 * The table is shared by every loop thread: a fixed number of slots (LIMITS_SLOTS,
 * in sets of 8 chosen by SipHash-2-4 of the address under a random key: an
 * attacker cannot aim collisions), behind a mutex held for one set's scan per
 * call; a full set evicts its slot whose last failure is oldest. Memory is
 * fixed at creation (about 96 bytes a slot). IPv6 addresses are counted by
 * their /64 (one host usually owns a whole /64); IPv4-mapped IPv6 as IPv4.
 *
 * Per-account lockout (too many failures for one user) lives in the store
 * (store.h user_login_failed), since it must survive restarts and replicas.
 */
#ifndef ISSUER_LIMITS_H
#define ISSUER_LIMITS_H

#include <stdint.h>
#include <sys/socket.h>

#ifndef LIMITS_SLOTS
#define LIMITS_SLOTS 4096
#endif

/* Where a failure happened: each has its own counters and limit. */
enum limits_where {
	LIMITS_LOGIN,       /* a failed sign-in at /login */
	LIMITS_CLIENT_AUTH, /* a failed client authentication at /token or /introspect */
	LIMITS_COUNT
};

struct limits_config {
	unsigned max_failures[LIMITS_COUNT]; /* 0: no limit at that place */
	int64_t window[LIMITS_COUNT];        /* seconds, >= 1 */
};

typedef struct limits limits;

/* A table for cfg (copied; a window below 1 counts as 1), with a fresh random
 * hash key; NULL if out of memory or the RNG failed. */
limits *limits_new(const struct limits_config *cfg);

/* Free l (NULL is fine). */
void limits_free(limits *l);

/* 1 when peer has reached its limit at w at time now (refuse the attempt before
 * checking anything), else 0; *retry_after (may be NULL) gets the seconds until
 * it may try again (0 when not blocked). A NULL or non-IP peer, a NULL l, and a
 * place whose max_failures is 0 are never limited. */
int limits_blocked(limits *l, enum limits_where w, const struct sockaddr *peer, int64_t now,
                   int64_t *retry_after);

/* Count one failed attempt of peer at w at time now (nothing for a peer or place never limited). */
void limits_failed(limits *l, enum limits_where w, const struct sockaddr *peer, int64_t now);

#endif
