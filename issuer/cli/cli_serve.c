/*
 * cli_serve.c: `identity-backend serve`: read the configuration (embedded
 * defaults, then the environment (the legacy names: JWT_*), then flags), check all of
 * it, and only then start the server. Invalid configuration stops start-up with
 * a one-line reason and exit status 2; nothing is half-started.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "http/brand.h"
#include "http/i18n.h"
#include "routes/routes.h"
#include "runtime/audit.h"
#include "runtime/dbpool.h"
#include "runtime/pool.h"
#include "runtime/server.h"

/* "host:port", "[v6]:port" or ":port" into host (a numeric address, hsize bytes)
 * and *port_out; 0 or -1. */
static int parse_listen(const char *s, char *host_out, size_t hsize, uint16_t *port_out)
{
	const char *colon = strrchr(s, ':');
	const char *host = s;
	size_t hlen;
	int64_t port;
	struct in_addr a4;
	struct in6_addr a6;

	if (!colon || cli_parse_i64(colon + 1, 1, 65535, &port))
		return -1;
	hlen = (size_t)(colon - s);
	if (hlen >= 2 && s[0] == '[' && colon[-1] == ']')
		host = s + 1, hlen -= 2;
	if (hlen == 0)
		host = "0.0.0.0", hlen = 7;
	else if (hlen == 9 && strncmp(host, "localhost", 9) == 0) /* the one name taken: no resolver */
		host = "127.0.0.1", hlen = 9;                     /* strlen("127.0.0.1") too */
	if (hlen >= hsize)
		return -1;
	memcpy(host_out, host, hlen);
	host_out[hlen] = '\0';
	*port_out = (uint16_t)port;
	/* A literal address (names other than localhost are not resolved: say which address). */
	return inet_pton(AF_INET, host_out, &a4) == 1 || inet_pton(AF_INET6, host_out, &a6) == 1 ? 0 : -1;
}

/* The issuer URL: http(s)://…, no trailing slash, no query or fragment. */
static int check_issuer(const char *iss)
{
	size_t n = strlen(iss);

	return (strncmp(iss, "https://", 8) == 0 || strncmp(iss, "http://", 7) == 0) && n > 8 && n < 512 &&
	               iss[n - 1] != '/' && !strpbrk(iss, "?# \t\r\n\"\\")
	           ? 0
	           : -1;
}

static int fail(const char *what, const char *value)
{
	fprintf(stderr, "identity-backend serve: invalid %s: %s\n", what, value ? value : "(missing)");
	return EXIT_USAGE;
}

/* The sign-in's numeric variables (lifetimes, lockout, per-address limits) over the
 * defaults; 0 or the exit status. */
static int read_sign_in_numbers(server_config *cfg)
{
	static const struct {
		const char *name, *range;
		int64_t min, max;
	} var[] = {
	    {"LOGIN_LOCKOUT_THRESHOLD", "LOGIN_LOCKOUT_THRESHOLD (0..1000, 0: off)", 0, 1000},
	    {"LOGIN_LOCKOUT_MINUTES", "LOGIN_LOCKOUT_MINUTES (1..1440)", 1, 1440},
	    {"LOGIN_FAILURES_PER_ADDRESS", "LOGIN_FAILURES_PER_ADDRESS (0..1000000, 0: off)", 0, 1000000},
	    {"CLIENT_AUTH_FAILURES_PER_ADDRESS", "CLIENT_AUTH_FAILURES_PER_ADDRESS (0..1000000, 0: off)", 0,
	     1000000},
	    {"FAILURE_WINDOW_MINUTES", "FAILURE_WINDOW_MINUTES (1..1440)", 1, 1440},
	    {"LOGIN_FLOWS_PER_ADDRESS", "LOGIN_FLOWS_PER_ADDRESS (0..1000000, 0: off)", 0, 1000000},
	    {"SESSION_TTL_MINUTES", "SESSION_TTL_MINUTES (5..43200)", 5, 43200},
	    {"REFRESH_TOKEN_DAYS", "REFRESH_TOKEN_DAYS (1..365)", 1, 365},
	    {"KEY_ROTATION_DAYS", "KEY_ROTATION_DAYS (0..3650, 0: off)", 0, 3650},
	    {"KEY_LEAD_SECONDS", "KEY_LEAD_SECONDS (0..31622400)", 0, 366 * 86400},
	    {"REFRESH_REUSE_GRACE_SECONDS", "REFRESH_REUSE_GRACE_SECONDS (0..300, 0: off)", 0, 300},
	};
	int64_t v[sizeof var / sizeof var[0]] = {cfg->lockout_threshold,
	                                         cfg->lockout_seconds / 60,
	                                         cfg->limits.max_failures[RATELIMIT_LOGIN],
	                                         cfg->limits.max_failures[RATELIMIT_CLIENT_AUTH],
	                                         cfg->limits.window[RATELIMIT_LOGIN] / 60,
	                                         cfg->limits.max_failures[RATELIMIT_FLOW],
	                                         cfg->session_ttl / 60,
	                                         cfg->refresh_ttl / 86400,
	                                         cfg->key_rotation / 86400,
	                                         cfg->key_lead,
	                                         cfg->refresh_grace};

	for (size_t i = 0; i < sizeof var / sizeof var[0]; i++)
		if (cli_env_i64(var[i].name, var[i].min, var[i].max, &v[i]))
			return fail(var[i].range, getenv(var[i].name));
	cfg->lockout_threshold = (int)v[0];
	cfg->lockout_seconds = v[1] * 60;
	cfg->limits.max_failures[RATELIMIT_LOGIN] = (unsigned)v[2];
	cfg->limits.max_failures[RATELIMIT_CLIENT_AUTH] = (unsigned)v[3];
	cfg->limits.window[RATELIMIT_LOGIN] = cfg->limits.window[RATELIMIT_CLIENT_AUTH] = v[4] * 60;
	cfg->limits.max_failures[RATELIMIT_FLOW] = (unsigned)v[5];
	cfg->session_ttl = v[6] * 60;
	cfg->refresh_ttl = v[7] * 86400;
	cfg->key_rotation = v[8] * 86400;
	cfg->key_lead = v[9];
	cfg->refresh_grace = v[10];
	return 0;
}

/* The sign-in variables (README "Configuration"); 0 or the exit status. */
static int read_sign_in_env(server_config *cfg)
{
	char err[160];
	int rc, weak_allowed;

	if (cli_password_params(&cfg->argon2, &weak_allowed, err, sizeof err)) {
		fprintf(stderr, "identity-backend serve: %s\n", err);
		return EXIT_USAGE;
	}
	if ((rc = read_sign_in_numbers(cfg)))
		return rc;
	return 0;
}

/* The JWT_* environment variables (legacy names) other than JWT_ISSUER into cfg; 0 or the exit status. */
static int read_env(server_config *cfg)
{
	static const char *const algs[] = {"ES256", "RS256", "PS256", "EdDSA", "HS256"};
	const char *alg = getenv("JWT_ALGORITHM");
	const char *legacy = getenv("JWT_SECRET_KEY"), *bui = getenv("BROWSER_UI_CLIENT_SECRET");
	int64_t minutes;
	size_t i = 0;

	if (cli_env_token_minutes(&minutes))
		return fail("JWT_EXPIRATION_MINUTES (1..1440)", getenv("JWT_EXPIRATION_MINUTES"));
	cfg->token_ttl = minutes * 60;
	cfg->alg = alg && *alg ? alg : "ES256";
	while (i < sizeof algs / sizeof algs[0] && strcmp(algs[i], cfg->alg))
		i++;
	if (i == sizeof algs / sizeof algs[0])
		return fail("JWT_ALGORITHM (ES256, RS256, PS256, EdDSA, or HS256 with JWT_SECRET_KEY)",
		            cfg->alg);
	if (legacy && *legacy && strlen(legacy) < 32)
		return fail("JWT_SECRET_KEY (at least 32 bytes)", "(too short; value not shown)");
	cfg->legacy_secret = legacy && *legacy ? legacy : NULL;
	if (strcmp(cfg->alg, "HS256") == 0 && !cfg->legacy_secret)
		return fail("JWT_ALGORITHM", "HS256 needs JWT_SECRET_KEY");
	if (bui && *bui && strlen(bui) < 32)
		return fail("BROWSER_UI_CLIENT_SECRET (at least 32 bytes)", "(too short; value not shown)");
	cfg->browser_ui_secret = bui && *bui ? bui : NULL;
	return read_sign_in_env(cfg);
}

/* The sign-in settings' defaults (server.h says what each is). */
static void sign_in_defaults(server_config *cfg)
{
	password_params_default(&cfg->argon2);
	cfg->session_ttl = 12 * 3600;
	cfg->code_ttl = 60;
	cfg->flow_ttl = 10 * 60;
	cfg->refresh_ttl = 30 * 86400;
	cfg->lockout_threshold = 10;
	cfg->lockout_seconds = 15 * 60;
	cfg->limits.max_failures[RATELIMIT_LOGIN] = 50;
	cfg->limits.window[RATELIMIT_LOGIN] = 15 * 60;
	cfg->limits.max_failures[RATELIMIT_CLIENT_AUTH] = 100;
	cfg->limits.window[RATELIMIT_CLIENT_AUTH] = 15 * 60;
	cfg->limits.max_failures[RATELIMIT_FLOW] = 300;
	cfg->limits.window[RATELIMIT_FLOW] = 10 * 60;
	cfg->key_rotation = 90 * 86400;
	cfg->key_lead = 300;
	cfg->refresh_grace = 5;
}

/* The scale-out variables: the database (DATABASE_URL, DB_TIMEOUT_MS, DB_POOL_SIZE), the
 * sealing secrets (SECRETS_SYSTEM) and the trusted proxies (TRUSTED_PROXIES); 0 or the
 * exit status. */
static int read_scale_env(server_config *cfg)
{
	static seal_keys seal;
	static proxies trusted;
	int64_t conns = 2 * (int64_t)cfg->threads < 8 ? 8 : 2 * (int64_t)cfg->threads,
	        ms = STORE_PG_TIMEOUT_MS;
	char err[200];

	if (cli_db_env("serve", &cfg->db) || cli_seal_env("serve", cfg->db, &seal))
		return EXIT_USAGE;
	(void)cli_env_i64("DB_TIMEOUT_MS", 1, 600000, &ms); /* checked by cli_db_env */
	cfg->db_timeout_ms = (int)ms;
	if (cli_env_i64("DB_POOL_SIZE", 1, DBPOOL_MAX, &conns))
		return fail("DB_POOL_SIZE (1..64)", getenv("DB_POOL_SIZE"));
	cfg->db_pool = (unsigned)(conns > DBPOOL_MAX ? DBPOOL_MAX : conns);
	cfg->seal = seal.n ? &seal : NULL;
	if (proxies_parse(getenv("TRUSTED_PROXIES"), &trusted, err, sizeof err))
		return fail("TRUSTED_PROXIES (comma-separated addresses or CIDRs)", err);
	if (audit_open(getenv("AUDIT_LOG"), err, sizeof err)) {
		fprintf(stderr, "identity-backend serve: %s\n", err);
		return EXIT_USAGE;
	}
	cfg->trusted_proxies = &trusted;
	return 0;
}

/* A variable that is "on" or "off" (unset or empty: off) into *v; 0 or the exit status. */
static int read_on_off(const char *name, int *v)
{
	const char *s = getenv(name);
	char what[64];

	*v = s && strcmp(s, "on") == 0;
	if (!s || !*s || *v || strcmp(s, "off") == 0)
		return 0;
	snprintf(what, sizeof what, "%s (on or off)", name);
	return fail(what, s);
}

/* The connection settings: --max-connections or MAX_CONNECTIONS, HTTP2,
 * HTTP2_CLEARTEXT and METRICS_LISTEN (README "Configuration"); 0 or the exit status. */
static int read_conn_env(server_config *cfg, const char *max_flag)
{
	const char *mlisten = getenv("METRICS_LISTEN");
	int64_t n = SERVER_CONNECTIONS_DEFAULT;
	int rc;

	if (max_flag ? cli_parse_i64(max_flag, 1, SERVER_CONNECTIONS_MAX, &n)
	             : cli_env_i64("MAX_CONNECTIONS", 1, SERVER_CONNECTIONS_MAX, &n))
		return fail("--max-connections / MAX_CONNECTIONS (1..1000000)",
		            max_flag ? max_flag : getenv("MAX_CONNECTIONS"));
	cfg->max_connections = (unsigned)n;
	if ((rc = read_on_off("ACCOUNT_JSON_API", &cfg->account_json_api)) ||
	    (rc = read_on_off("HTTP2", &cfg->http2)) ||
	    (rc = read_on_off("HTTP2_CLEARTEXT", &cfg->http2_cleartext)))
		return rc;
	if (mlisten && *mlisten &&
	    parse_listen(mlisten, cfg->metrics_host, sizeof cfg->metrics_host, &cfg->metrics_port))
		return fail("METRICS_LISTEN (host:port)", mlisten);
	return 0;
}

/* The mail settings (SMTP_URL, MAIL_FROM, MAIL_RETRY_SECONDS, SMTP_CA_FILE) for the issuer URL into
 * cfg->mail (NULL: mail off); 0 or the exit status. Never prints a password. */
static int read_mail_env(server_config *cfg)
{
	static struct mail_config mail;
	struct mail_settings in;
	char err[256];
	int rc;

	cli_mail_env(&in, cfg->issuer);
	rc = mail_config_read(&in, &mail, err, sizeof err);

	if (rc < 0) {
		fprintf(stderr, "identity-backend serve: invalid %s\n", err);
		return EXIT_USAGE;
	}
	cfg->mail = rc ? &mail : NULL;
	return 0;
}

/* REGISTRATION (off|open) and REGISTRATION_REQUIRE_VERIFIED (on|off, default on); 0 or
 * the exit status. Registration mails a verification link: it needs mail. */
static int read_registration_env(server_config *cfg)
{
	const char *reg = getenv("REGISTRATION"), *ver = getenv("REGISTRATION_REQUIRE_VERIFIED");

	cfg->registration = reg && strcmp(reg, "open") == 0;
	if (reg && *reg && !cfg->registration && strcmp(reg, "off") != 0)
		return fail("REGISTRATION (off or open)", reg);
	cfg->registration_verified = !ver || !*ver || strcmp(ver, "on") == 0;
	if (ver && *ver && strcmp(ver, "on") != 0 && strcmp(ver, "off") != 0)
		return fail("REGISTRATION_REQUIRE_VERIFIED (on or off)", ver);
	if (cfg->registration && !cfg->mail) {
		fputs("identity-backend serve: REGISTRATION=open needs mail (SMTP_URL and MAIL_FROM): "
		      "a registration mails its verification link\n",
		      stderr);
		return EXIT_USAGE;
	}
	return 0;
}

/* MFA (optional|required, default optional) into cfg->mfa_required; 0 or the exit status. */
static int read_mfa_env(server_config *cfg)
{
	const char *mfa = getenv("MFA");

	cfg->mfa_required = mfa && strcmp(mfa, "required") == 0;
	if (mfa && *mfa && !cfg->mfa_required && strcmp(mfa, "optional") != 0)
		return fail("MFA (optional or required)", mfa);
	return 0;
}

/* The pages' catalogs (compiled in: a broken one is a build's fault, caught here
 * before anything starts) and BRAND_DIR (brand.h) into cfg->brand; 0 or the exit status. */
static int read_pages_env(server_config *cfg)
{
	static struct brand brand;
	char err[512];

	if (i18n_init(err, sizeof err)) {
		fprintf(stderr, "identity-backend serve: the message catalogs (www/i18n): %s\n", err);
		return EXIT_USAGE;
	}
	if (brand_load(getenv("BRAND_DIR"), &brand, err, sizeof err)) {
		fprintf(stderr, "identity-backend serve: invalid %s\n", err);
		return EXIT_USAGE;
	}
	cfg->brand = &brand;
	return 0;
}

/* The rules for new passwords (PASSWORD_MIN_LENGTH, PASSWORD_LIST) when the server
 * sets passwords (mail on: resets; registration), into cfg->policy; 0 or the exit status. */
static int read_policy_env(server_config *cfg)
{
	static struct policy policy;
	static struct policy_list *list;
	const char *path;
	char err[512];

	cfg->policy = NULL;
	if (!cfg->mail && !cfg->registration)
		return 0;
	policy_default(&policy);
	if (cli_env_password_policy(&policy.min_chars, &path, err, sizeof err)) {
		fprintf(stderr, "identity-backend serve: %s\n", err);
		return EXIT_USAGE;
	}
	if (path && policy_list_load(path, &list, err, sizeof err)) {
		fprintf(stderr, "identity-backend serve: PASSWORD_LIST: %s; %s\n", err,
		        CLI_PASSWORD_LIST_HINT);
		return EXIT_USAGE;
	}
	policy.list = list;
	cfg->policy = &policy;
	return 0;
}

/* The default database's folder, var/, created 0700 when missing; 0 or the exit status. */
static int default_db_dir(const char *db)
{
	if (strcmp(db, CLI_DB_DEFAULT) != 0 || mkdir("var", 0700) == 0 || errno == EEXIST)
		return 0;
	fprintf(stderr, "identity-backend serve: cannot create var/: %s\n", strerror(errno));
	return 1;
}

/* serve's flags as given (each takes one value), checked after. */
struct serve_flags {
	const char *listen, *issuer, *threads, *db, *access_log, *workers, *tls_cert, *tls_key,
	    *max_connections;
};

static int serve_option(void *ctx, const char *flag, const char *val)
{
	static const struct {
		const char *name;
		size_t off;
	} map[] = {{"--listen", offsetof(struct serve_flags, listen)},
	           {"--issuer", offsetof(struct serve_flags, issuer)},
	           {"--threads", offsetof(struct serve_flags, threads)},
	           {"--db", offsetof(struct serve_flags, db)},
	           {"--access-log", offsetof(struct serve_flags, access_log)},
	           {"--workers", offsetof(struct serve_flags, workers)},
	           {"--tls-cert", offsetof(struct serve_flags, tls_cert)},
	           {"--tls-key", offsetof(struct serve_flags, tls_key)},
	           {"--max-connections", offsetof(struct serve_flags, max_connections)}};

	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (strcmp(flag, map[i].name) == 0) {
			*(const char **)((char *)ctx + map[i].off) = val;
			return 0;
		}
	return fail("option", flag);
}

/* A usage error: "invalid option" and the word, whatever was wrong with it. */
static int bad_option(const char *why, const char *word)
{
	(void)why;
	return fail("option", word);
}

/* The command line into *f (serve takes no positional); 0 or the exit status (a usage line printed). */
static int read_flags(int argc, char **argv, struct serve_flags *f)
{
	static const struct option opts[] = {CLI_VALUE("listen"),          CLI_VALUE("issuer"),
	                                     CLI_VALUE("threads"),         CLI_VALUE("db"),
	                                     CLI_VALUE("access-log"),      CLI_VALUE("workers"),
	                                     CLI_VALUE("tls-cert"),        CLI_VALUE("tls-key"),
	                                     CLI_VALUE("max-connections"), CLI_END};
	static const cli_syntax syn = {opts, serve_option, NULL, bad_option};

	return cli_parse(argc, argv, &syn, f) ? EXIT_USAGE : 0;
}

/* see cli.h */
int cli_serve(int argc, char **argv)
{
	static char issuer[512];
	const char *listen = "127.0.0.1:8080", *iss = getenv("JWT_ISSUER"), *log = getenv("ACCESS_LOG");
	const char *workers = getenv("PASSWORD_WORKERS");
	server_config cfg = {.threads = (unsigned)sysconf(_SC_NPROCESSORS_ONLN)};
	server_routes routes;
	struct serve_flags f = {0};
	int64_t threads, n_workers = sysconf(_SC_NPROCESSORS_ONLN);
	int rc;

	if ((rc = read_flags(argc, argv, &f)))
		return rc;
	listen = f.listen ? f.listen : listen;
	iss = f.issuer ? f.issuer : iss;
	log = f.access_log ? f.access_log : log;
	workers = f.workers ? f.workers : workers;
	cfg.db = f.db;
	cfg.tls_cert = f.tls_cert;
	cfg.tls_key = f.tls_key;
	if (f.threads && cli_parse_i64(f.threads, 1, SERVER_MAX_THREADS, &threads))
		return fail("--threads (1..64)", f.threads);
	if (f.threads)
		cfg.threads = (unsigned)threads;
	if (cfg.threads < 1 || cfg.threads > SERVER_MAX_THREADS)
		cfg.threads = cfg.threads < 1 ? 1 : SERVER_MAX_THREADS;
	if (parse_listen(listen, cfg.host, sizeof cfg.host, &cfg.port))
		return fail("--listen (host:port)", listen);
	if (!cfg.tls_cert != !cfg.tls_key)
		return fail("--tls-cert and --tls-key (give both, or neither)",
		            cfg.tls_cert ? cfg.tls_cert : cfg.tls_key);
	if (!iss) { /* the address as given: localhost stays localhost, IPv6 in brackets */
		const char *shown = strncmp(listen, "localhost:", 10) == 0 ? "localhost" : cfg.host;
		snprintf(issuer, sizeof issuer, "%s://%s%s%s:%u", cfg.tls_cert ? "https" : "http",
		         strchr(shown, ':') ? "[" : "", shown, strchr(shown, ':') ? "]" : "", cfg.port);
		iss = issuer;
	}
	if (check_issuer(iss))
		return fail("issuer URL (http(s)://host[:port][/path], no trailing slash)", iss);
	cfg.issuer = iss;
	cfg.issuer_path = strchr(strstr(iss, "://") + 3, '/') ? strchr(strstr(iss, "://") + 3, '/') : "";
	if (log && strcmp(log, "on") && strcmp(log, "off"))
		return fail("--access-log / ACCESS_LOG (on or off)", log);
	cfg.access_log = !log || strcmp(log, "on") == 0;
	if (workers && *workers && cli_parse_i64(workers, 1, POOL_MAX_WORKERS, &n_workers))
		return fail("--workers / PASSWORD_WORKERS (1..64)", workers);
	if (n_workers < 1 || n_workers > POOL_MAX_WORKERS) /* the default (cores) out of range */
		n_workers = n_workers < 1 ? 1 : POOL_MAX_WORKERS;
	cfg.workers = (unsigned)n_workers;
	sign_in_defaults(&cfg);
	cfg.www_dir = getenv("WWW_DIR");
	cfg.verifier_dir = getenv("VERIFIER_DIR");
	if ((rc = read_env(&cfg)) || (rc = read_scale_env(&cfg)) ||
	    (rc = read_conn_env(&cfg, f.max_connections)) || (rc = read_mail_env(&cfg)) ||
	    (rc = read_registration_env(&cfg)) || (rc = read_mfa_env(&cfg)) || (rc = read_policy_env(&cfg)) ||
	    (rc = read_pages_env(&cfg)) || (rc = default_db_dir(cfg.db)))
		return rc;
	routes.find = routes_find;
	routes.uses_store = routes_uses_store;
	routes.run = routes_run;
	routes.names = routes_names(&routes.n);
	rc = server_run(&cfg, &routes);
	return rc == 0 ? 0 : rc == SERVER_BAD_CONFIG ? EXIT_USAGE : 1;
}
