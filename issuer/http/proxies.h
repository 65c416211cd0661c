/*
 * proxies.h: the client's address behind trusted reverse proxies
 * (TRUSTED_PROXIES). A request's peer is the client unless the peer is one of the
 * operator's proxies; then the client is the rightmost address in
 * X-Forwarded-For (or, without it, in Forwarded's for= parameters, RFC 7239)
 * that is not itself a trusted proxy. A header sent by anyone else is ignored,
 * so a forged X-Forwarded-For changes nothing. The address drives the
 * per-address limits and the access log.
 *
 * Pure functions of their arguments: no I/O, no allocation.
 */
#ifndef ISSUER_PROXIES_H
#define ISSUER_PROXIES_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Most networks TRUSTED_PROXIES may list. */
#ifndef PROXIES_MAX
#define PROXIES_MAX 32
#endif
/* Most hops of X-Forwarded-For or Forwarded looked at, from the right. */
#ifndef PROXIES_HOPS_MAX
#define PROXIES_HOPS_MAX 16
#endif

/* A set of networks (IPv4 or IPv6, each with a prefix length). */
typedef struct proxies {
	size_t n;
	struct {
		int family; /* AF_INET or AF_INET6 */
		uint8_t addr[16];
		int bits;
	} net[PROXIES_MAX];
} proxies;

/*
 * Parse text, comma-separated CIDRs ("10.0.0.0/8, 127.0.0.1, ::1/128"; an address
 * without a prefix is one host), into *out. NULL or "" is the empty set. 0, or -1
 * with a one-line reason naming the bad item in err.
 */
int proxies_parse(const char *text, proxies *out, char *err, size_t errlen);

/* 1 when addr (an AF_INET or AF_INET6 sockaddr; an IPv4-mapped IPv6 address counts
 * as IPv4) lies in one of p's networks, else 0. */
int proxies_trusts(const proxies *p, const struct sockaddr_storage *addr);

/*
 * The client's address for a request whose peer is *peer: *peer itself unless p
 * trusts it; then the rightmost hop of xff[0..xff_len) (the X-Forwarded-For
 * values, comma-joined, in order) not trusted by p, or of fwd[0..fwd_len) (the
 * Forwarded values) when xff is empty. A hop that is not an address ("unknown",
 * an obfuscated name, garbage) ends the walk: the last trusted hop is the answer.
 * Writes *out and returns 1 when the answer differs from *peer, 0 when *out is *peer.
 */
int proxies_client(const proxies *p, const struct sockaddr_storage *peer, const char *xff, size_t xff_len,
                   const char *fwd, size_t fwd_len, struct sockaddr_storage *out);

#endif
