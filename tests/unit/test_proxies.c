/*
 * test_proxies.c: the client's address behind trusted proxies
 * (issuer/http/proxies.c): TRUSTED_PROXIES parsing, membership for IPv4, IPv6 and
 * IPv4-mapped addresses, and the rightmost-untrusted-hop rule for
 * X-Forwarded-For and Forwarded (RFC 7239), including the spoofing attack: a
 * client that sends its own X-Forwarded-For, directly or through the proxy,
 * never chooses the address it is counted under.
 */
#include <arpa/inet.h>

#include "../../issuer/http/proxies.c"
#include "../test.h"

static struct sockaddr_storage addr(const char *s)
{
	struct sockaddr_storage ss;

	if (parse_addr(s, strlen(s), &ss) != 0)
		printf("# bad test address %s\n", s);
	return ss;
}

static const char *text(const struct sockaddr_storage *ss, char *buf, size_t n)
{
	const void *a = ss->ss_family == AF_INET
	                    ? (const void *)&((const struct sockaddr_in *)ss)->sin_addr
	                    : (const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr;

	return inet_ntop(ss->ss_family, a, buf, (socklen_t)n) ? buf : "?";
}

/* The client for peer with X-Forwarded-For xff (or Forwarded fwd), as text. */
static const char *client(const proxies *p, const char *peer, const char *xff, const char *fwd)
{
	static char buf[INET6_ADDRSTRLEN];
	struct sockaddr_storage pe = addr(peer), out;

	proxies_client(p, &pe, xff, xff ? strlen(xff) : 0, fwd, fwd ? strlen(fwd) : 0, &out);
	return text(&out, buf, sizeof buf);
}

static void parsing(void)
{
	proxies p;
	char err[128];
	struct sockaddr_storage a;

	T_CHECK(proxies_parse(NULL, &p, err, sizeof err) == 0 && p.n == 0 &&
	            proxies_parse("", &p, err, sizeof err) == 0,
	        "unset or empty: no proxy is trusted");
	T_CHECK(proxies_parse("10.0.0.0/8, 127.0.0.1 ,::1/128,2001:db8::/32", &p, err, sizeof err) == 0 &&
	            p.n == 4,
	        "four networks, spaces around items allowed");
	a = addr("10.200.3.4");
	T_CHECK(proxies_trusts(&p, &a), "10.200.3.4 is in 10.0.0.0/8");
	a = addr("11.0.0.1");
	T_CHECK(!proxies_trusts(&p, &a), "11.0.0.1 is not");
	a = addr("127.0.0.2");
	T_CHECK(!proxies_trusts(&p, &a), "127.0.0.2 is not 127.0.0.1 (a host is /32)");
	a = addr("::ffff:10.1.2.3");
	T_CHECK(proxies_trusts(&p, &a), "an IPv4-mapped IPv6 peer counts as its IPv4 address");
	a = addr("2001:db8:ffff::1");
	T_CHECK(proxies_trusts(&p, &a), "2001:db8:ffff::1 is in 2001:db8::/32");
	a = addr("2001:db9::1");
	T_CHECK(!proxies_trusts(&p, &a), "2001:db9::1 is not");
	T_CHECK(proxies_parse("10.0.0.0/12", &p, err, sizeof err) == 0,
	        "a prefix that is not a byte boundary");
	a = addr("10.15.255.255");
	T_CHECK(proxies_trusts(&p, &a), "10.15.255.255 is in 10.0.0.0/12");
	a = addr("10.16.0.0");
	T_CHECK(!proxies_trusts(&p, &a), "10.16.0.0 is not");
	for (size_t i = 0; i < 7; i++) {
		static const char *const bad[] = {
		    "10.0.0.0/33",        "::1/129",     "10.0.0.1/", "example.com",
		    "10.0.0.1,,10.0.0.2", "10.0.0.0/8x", "10.0.0.256"};
		T_CHECK(proxies_parse(bad[i], &p, err, sizeof err) == -1 && strstr(err, "not an address"),
		        "refused: \"%s\" (%s)", bad[i], err);
	}
}

static void hops(void)
{
	proxies p;
	char err[128];

	proxies_parse("127.0.0.1, 10.0.0.0/8", &p, err, sizeof err);
	T_CHECK(!strcmp(client(&p, "203.0.113.9", "1.2.3.4", NULL), "203.0.113.9"),
	        "X-Forwarded-For from an untrusted peer is ignored (spoofing directly)");
	T_CHECK(!strcmp(client(&p, "127.0.0.1", "198.51.100.7", NULL), "198.51.100.7"),
	        "from the trusted proxy: the address it forwarded for");
	T_CHECK(!strcmp(client(&p, "127.0.0.1", "6.6.6.6, 198.51.100.7", NULL), "198.51.100.7"),
	        "a forged hop the client sent through the proxy is left of the real one: ignored (spoofing "
	        "through the proxy)");
	T_CHECK(!strcmp(client(&p, "127.0.0.1", "6.6.6.6, 198.51.100.7, 10.1.1.1", NULL), "198.51.100.7"),
	        "behind two proxies: the rightmost untrusted hop");
	T_CHECK(!strcmp(client(&p, "127.0.0.1", "10.2.2.2, 10.1.1.1", NULL), "10.2.2.2"),
	        "every hop trusted: the leftmost");
	T_CHECK(!strcmp(client(&p, "127.0.0.1", "6.6.6.6, garbage, 10.1.1.1", NULL), "10.1.1.1"),
	        "a hop that is not an address stops the walk at the last trusted proxy");
	T_CHECK(!strcmp(client(&p, "127.0.0.1", "", NULL), "127.0.0.1"), "no header: the proxy itself");
	T_CHECK(!strcmp(client(&p, "127.0.0.1", " 2001:db8::7 ", NULL), "2001:db8::7"),
	        "an IPv6 hop, spaces trimmed");
	T_CHECK(
	    !strcmp(client(&p, "127.0.0.1", NULL, "for=192.0.2.60;proto=http;by=203.0.113.43"), "192.0.2.60"),
	    "Forwarded (RFC 7239 §4): for=");
	T_CHECK(!strcmp(client(&p, "127.0.0.1", NULL, "for=6.6.6.6, for=\"[2001:db8:cafe::17]:4711\""),
	                "2001:db8:cafe::17"),
	        "Forwarded: quoted IPv6 with a port, rightmost element");
	T_CHECK(!strcmp(client(&p, "127.0.0.1", NULL, "for=192.0.2.43:8080"), "192.0.2.43"),
	        "Forwarded: IPv4 with a port");
	T_CHECK(!strcmp(client(&p, "127.0.0.1", NULL, "for=unknown"), "127.0.0.1"),
	        "Forwarded: for=unknown: the proxy itself");
	T_CHECK(!strcmp(client(&p, "127.0.0.1", "198.51.100.7", "for=6.6.6.6"), "198.51.100.7"),
	        "X-Forwarded-For wins over Forwarded");
	{
		char many[2048] = "";

		for (int i = 0; i < 40; i++)
			snprintf(many + strlen(many), sizeof many - strlen(many), "%s10.0.0.%d", i ? "," : "",
			         i + 1);
		T_CHECK(!strcmp(client(&p, "127.0.0.1", many, NULL), "10.0.0.25"),
		        "at most %d hops are walked (%s)", PROXIES_HOPS_MAX,
		        client(&p, "127.0.0.1", many, NULL));
	}
}

int main(void)
{
	parsing();
	hops();
	T_DONE();
}
