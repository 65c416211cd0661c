/*
 * proxies.c: the client's address behind trusted proxies (see proxies.h).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/proxies.h"

/* Parse an address (IPv4, or IPv6 without brackets) of len bytes into *ss; 0 or -1. */
static int parse_addr(const char *s, size_t len, struct sockaddr_storage *ss)
{
	char buf[INET6_ADDRSTRLEN];
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof *ss);
	if (len == 0 || len >= sizeof buf)
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (inet_pton(AF_INET, buf, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, buf, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		return 0;
	}
	return -1;
}

/* The address bytes of ss (an IPv4-mapped IPv6 address as IPv4): its family, or 0. */
static int bytes_of(const struct sockaddr_storage *ss, const uint8_t **b)
{
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;

	if (ss->ss_family == AF_INET) {
		*b = (const uint8_t *)&((const struct sockaddr_in *)ss)->sin_addr;
		return AF_INET;
	}
	if (ss->ss_family != AF_INET6)
		return 0;
	*b = in6->sin6_addr.s6_addr;
	if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
		*b += 12;
		return AF_INET;
	}
	return AF_INET6;
}

/* see proxies.h */
int proxies_parse(const char *text, proxies *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	for (const char *p = text; p && *p;) {
		size_t n = strcspn(p, ","), a, b;
		const char *slash;
		struct sockaddr_storage ss;
		const uint8_t *bytes;
		char *end;
		long bits;
		int fam;

		for (a = 0; a < n && p[a] == ' '; a++)
			;
		for (b = n; b > a && p[b - 1] == ' '; b--)
			;
		slash = memchr(p + a, '/', b - a);
		fam =
		    out->n < PROXIES_MAX && parse_addr(p + a, (slash ? (size_t)(slash - p) : b) - a, &ss) == 0
		        ? bytes_of(&ss, &bytes)
		        : 0;
		bits = fam == AF_INET ? 32 : 128;
		if (fam && slash) {
			bits = strtol(slash + 1, &end, 10);
			if (end != p + b || slash + 1 == end || bits < 0 ||
			    bits > (fam == AF_INET ? 32 : 128))
				fam = 0;
		}
		if (!fam && out->n == PROXIES_MAX)
			snprintf(err, errlen, "more than %d networks", PROXIES_MAX);
		else if (!fam)
			snprintf(err, errlen, "not an address or CIDR: %.*s", (int)(b - a), p + a);
		if (!fam)
			return -1;
		out->net[out->n].family = fam;
		memcpy(out->net[out->n].addr, bytes, fam == AF_INET ? 4 : 16);
		out->net[out->n++].bits = (int)bits;
		p += n + (p[n] == ',');
	}
	return 0;
}

/* see proxies.h */
int proxies_trusts(const proxies *p, const struct sockaddr_storage *addr)
{
	const uint8_t *b;
	int fam = bytes_of(addr, &b);

	for (size_t i = 0; fam && i < p->n; i++) {
		int bits = p->net[i].bits, full = bits / 8, rest = bits % 8;

		if (p->net[i].family != fam || memcmp(p->net[i].addr, b, (size_t)full) != 0)
			continue;
		if (!rest || ((p->net[i].addr[full] ^ b[full]) & (0xff << (8 - rest))) == 0)
			return 1;
	}
	return 0;
}

/* The hop ending at *end (exclusive) in s: its first byte and length, trimmed;
 * *end moves to the comma before it (or to s). */
static void prev_hop(const char *s, const char **end, const char **hop, size_t *len)
{
	const char *e = *end, *b = e;

	while (b > s && b[-1] != ',')
		b--;
	*end = b > s ? b - 1 : s;
	while (b < e && (*b == ' ' || *b == '\t'))
		b++;
	while (e > b && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	*hop = b, *len = (size_t)(e - b);
}

/* A Forwarded element's for= value ("for=192.0.2.1;proto=https", "for=192.0.2.1:8080",
 * `for="[2001:db8::1]:443"`) as an address into *ss; 0, or -1 when it has none or it
 * is not an address ("unknown", an obfuscated name). */
static int forwarded_for(const char *h, size_t n, struct sockaddr_storage *ss)
{
	for (size_t i = 0; i + 4 <= n; i++) {
		size_t j = i + 4, k;
		const char *colon, *close;

		if (strncasecmp(h + i, "for=", 4) != 0 || (i && h[i - 1] != ';' && h[i - 1] != ' '))
			continue;
		k = j + strcspn(h + j, ";");
		if (k > n)
			k = n;
		if (j < k && h[j] == '"' && h[k - 1] == '"' && k - j >= 2)
			j++, k--;
		if (j < k && h[j] == '[') {
			close = memchr(h + j, ']', k - j);
			return close ? parse_addr(h + j + 1, (size_t)(close - (h + j + 1)), ss) : -1;
		}
		colon = memchr(h + j, ':', k - j);
		if (colon && !memchr(colon + 1, ':', (size_t)(h + k - colon - 1)))
			k = (size_t)(colon - h); /* IPv4 with a port */
		return parse_addr(h + j, k - j, ss);
	}
	return -1;
}

/* see proxies.h */
int proxies_client(const proxies *p, const struct sockaddr_storage *peer, const char *xff, size_t xff_len,
                   const char *fwd, size_t fwd_len, struct sockaddr_storage *out)
{
	const int use_xff = xff_len > 0;
	const char *s = use_xff ? xff : fwd, *end = s + (use_xff ? xff_len : fwd_len), *hop;
	struct sockaddr_storage at = *peer, next;
	size_t len;

	*out = *peer;
	if (!proxies_trusts(p, peer) || (!xff_len && !fwd_len))
		return 0;
	for (int i = 0; i < PROXIES_HOPS_MAX && proxies_trusts(p, &at) && end > s; i++) {
		prev_hop(s, &end, &hop, &len);
		if ((use_xff ? parse_addr(hop, len, &next) : forwarded_for(hop, len, &next)) != 0)
			break; /* not an address: trust stops at the last proxy */
		at = next;
	}
	*out = at;
	return memcmp(&at, peer, sizeof at) != 0;
}
