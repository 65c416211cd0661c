/*
 * limits.h: abuse controls that need memory across requests (issue "SSO",
 * deliver 7). Per-address limits count *failed* attempts only (a wrong password
 * at /login, a failed client authentication at /token and /introspect): an
 * address with more than `max_failures` failures within `window` seconds is
 * refused (HTTP 429) at that place until its oldest failures leave the window.
 * Successful requests are never counted, so a busy service minting thousands of
 * tokens a second from one address never meets a limit.
 *
 * The table is shared by every loop thread: a fixed number of slots (LIMITS_SLOTS,
 * keyed by a keyed hash of the address: an attacker cannot aim collisions),
 * behind a mutex held for a few hundred nanoseconds per call; a full table
 * evicts the slot whose failures are oldest. Memory is fixed at creation. IPv6
 * addresses are counted by their /64 (one host usually owns a whole /64).
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

/* A table for cfg (copied); NULL if out of memory. */
limits *limits_new(const struct limits_config *cfg);

/* Free l (NULL is fine). */
void limits_free(limits *l);

/* 1 when peer has reached its limit at w at time now (refuse the attempt before
 * checking anything), else 0; *retry_after (may be NULL) gets the seconds until
 * it may try again. A NULL or non-IP peer is never limited. */
int limits_blocked(limits *l, enum limits_where w, const struct sockaddr *peer, int64_t now,
                   int64_t *retry_after);

/* Count one failed attempt of peer at w at time now. */
void limits_failed(limits *l, enum limits_where w, const struct sockaddr *peer, int64_t now);

#endif
