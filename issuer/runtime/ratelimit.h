/*
 * ratelimit.h: abuse controls that need memory across requests. Per-address limits count *failed* attempts
 * only (a wrong password at /login, a failed client authentication at /token, /introspect and /revoke): once
 * an address has `max_failures` failures within `window` seconds, its next attempts at that place are refused
 * (HTTP 429) until enough of its oldest failures left the window. Successful requests are never counted, so a
 * busy service minting thousands of tokens a second from one address never meets a limit.
 *
 * The window slides in steps of window/16 (ratelimit.c): a failure is remembered
 * for at least `window` seconds and at most window + 2 * window/16.
 *
 * The table is shared by every loop thread: a fixed number of slots (RATELIMIT_SLOTS,
 * in sets of 8 chosen by SipHash-2-4 of the address under a random key: an
 * attacker cannot aim collisions), behind a mutex held for one set's scan per
 * call; a full set evicts its slot whose last failure is oldest. Memory is
 * fixed at creation (about 96 bytes a slot). IPv6 addresses are counted by
 * their /64 (one host usually owns a whole /64); IPv4-mapped IPv6 as IPv4.
 *
 * A request whose address could not be read (its connection was reset before
 * it was handled) counts in one bucket that all such requests share: a missing
 * address is never a way around a limit.
 *
 * Parties known at an address: a username that signed in from an address is
 * remembered there for RATELIMIT_KNOWN_SECONDS (ratelimit_remember), so that a
 * per-address limit filled by others behind the same proxy or NAT does not
 * refuse a person whose sign-ins from there succeeded before (ratelimit_known).
 * This memory is per process and shares the slots: under a flood of distinct
 * addresses it can be evicted, and then the address limit applies again.
 *
 * Per-account lockout (too many attempts for one username) lives in the store
 * (store.h login_admit), since it must survive restarts and replicas.
 */
#ifndef ISSUER_RATELIMIT_H
#define ISSUER_RATELIMIT_H

#include <stdint.h>
#include <sys/socket.h>

/* How long a successful sign-in makes its username known at its address. */
#ifndef RATELIMIT_KNOWN_SECONDS
#define RATELIMIT_KNOWN_SECONDS (30 * 86400)
#endif

#ifndef RATELIMIT_SLOTS
#define RATELIMIT_SLOTS 4096
#endif

/* Where a failure happened: each has its own counters and limit. */
enum ratelimit_where {
	RATELIMIT_LOGIN,       /* a failed sign-in at /login */
	RATELIMIT_CLIENT_AUTH, /* a failed client authentication at /token, /introspect or /revoke */
	RATELIMIT_FLOW,        /* a login flow stored for a browser without a session at /authorize */
	RATELIMIT_KNOWN,       /* a successful sign-in of a username at an address (no limit of its own) */
	RATELIMIT_COUNT
};

struct ratelimit_config {
	unsigned max_failures[RATELIMIT_COUNT]; /* 0: no limit at that place */
	int64_t window[RATELIMIT_COUNT];        /* seconds, >= 1 */
};

typedef struct ratelimit ratelimit;

/* A table for cfg (copied; a window below 1 counts as 1), with a fresh random
 * hash key; NULL if out of memory or the RNG failed. */
ratelimit *ratelimit_new(const struct ratelimit_config *cfg);

/* Free l (NULL is fine). */
void ratelimit_free(ratelimit *l);

/* 1 when peer has reached its limit at w at time now (refuse the attempt before
 * checking anything), else 0; *retry_after (may be NULL) gets the seconds until
 * it may try again (0 when not blocked). A NULL l and a place whose
 * max_failures is 0 are never limited; a NULL or non-IP peer is the shared
 * bucket of unknown addresses. */
int ratelimit_blocked(ratelimit *l, enum ratelimit_where w, const struct sockaddr *peer, int64_t now,
                      int64_t *retry_after);

/* Count one failed attempt of peer at w at time now (nothing for a place never limited). */
void ratelimit_failed(ratelimit *l, enum ratelimit_where w, const struct sockaddr *peer, int64_t now);

/* Take back one attempt of peer at w counted by ratelimit_failed when it was
 * submitted, now that it succeeded (successes are never counted). */
void ratelimit_forgive(ratelimit *l, enum ratelimit_where w, const struct sockaddr *peer, int64_t now);

/* Remember that party (a username) signed in from peer at now. */
void ratelimit_remember(ratelimit *l, const struct sockaddr *peer, const char *party, int64_t now);

/* 1 when party signed in from peer within RATELIMIT_KNOWN_SECONDS before now (and
 * this process still remembers it), else 0. */
int ratelimit_known(ratelimit *l, const struct sockaddr *peer, const char *party, int64_t now);

#endif
