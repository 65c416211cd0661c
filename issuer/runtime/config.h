/*
 * config.h: what `serve` was asked to do, as typed and checked values. The command
 * line and the environment are parsed and validated before anything starts
 * (cli/cli_serve.c); the runtime and the handlers only read this, never getenv.
 */
#ifndef ISSUER_RUNTIME_CONFIG_H
#define ISSUER_RUNTIME_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/password.h"
#include "crypto/policy.h"
#include "crypto/seal.h"
#include "http/brand.h"
#include "http/proxies.h"
#include "mail/mail.h"
#include "runtime/ratelimit.h"

/* Largest request body accepted (the token endpoint's forms are small). */
#ifndef SERVER_MAX_BODY
#define SERVER_MAX_BODY (64 * 1024)
#endif

/* Most threads `--threads` may ask for. */
#define SERVER_MAX_THREADS 64

/* Open client connections a process holds at most by default (MAX_CONNECTIONS), and
 * the most it may be set to. Each costs a descriptor and a few KiB (more with TLS);
 * past it the kernel's backlog holds new connections until one closes. */
#ifndef SERVER_CONNECTIONS_DEFAULT
#define SERVER_CONNECTIONS_DEFAULT 1024
#endif
#define SERVER_CONNECTIONS_MAX 1000000

/* What `serve` was asked to do, already validated. */
typedef struct server_config {
	char host[256]; /* numeric IPv4/IPv6 address to bind */
	uint16_t port;
	unsigned threads;        /* event-loop threads, 1..SERVER_MAX_THREADS */
	unsigned workers;        /* password-hashing threads (pool.h), 1..POOL_MAX_WORKERS; 0 means 1 */
	const char *issuer;      /* the issuer URL, without a trailing slash */
	const char *issuer_path; /* its path ("" or "/auth"): routes, pages and cookies live under it */
	const char *db;          /* the store: a SQLite file or a PostgreSQL URL */
	unsigned db_pool;        /* DB_POOL_SIZE: store connections and their threads, 1..DBPOOL_MAX */
	int db_timeout_ms;       /* DB_TIMEOUT_MS: longest wait for a connection of the pool, ms */
	int64_t token_ttl;       /* access token lifetime, seconds (JWT_EXPIRATION_MINUTES * 60) */
	int64_t
	    key_rotation; /* KEY_ROTATION_DAYS: a signing key's life before its successor, seconds; 0 off */
	int64_t key_lead; /* KEY_LEAD_SECONDS: a new key is published this long before it signs */
	const char *alg;  /* JWS algorithm of issued tokens (JWT_ALGORITHM): ES256 RS256 PS256 EdDSA HS256 */
	const char *legacy_secret;      /* JWT_SECRET_KEY: enables legacy HS256, or NULL */
	const seal_keys *seal;          /* SECRETS_SYSTEM: private keys sealed at rest, or NULL */
	const proxies *trusted_proxies; /* TRUSTED_PROXIES: peers whose X-Forwarded-For counts, or NULL */
	const char *browser_ui_secret;  /* BROWSER_UI_CLIENT_SECRET: registers `browser-ui`, or NULL */
	int access_log;                 /* 1: one JSON line per request on stderr */
	const char *www_dir;            /* WWW_DIR: the folder of demo/ and inspect/, or NULL: found */
	const char *verifier_dir;       /* VERIFIER_DIR: the verifier package, or NULL: found */
	const char *tls_cert;           /* --tls-cert: PEM certificate chain, or NULL: plain HTTP */
	const char *tls_key;            /* --tls-key: its PEM private key (with tls_cert) */
	/* Connections and listeners (server.c). Defaults are set in cli_serve.c. */
	unsigned max_connections; /* MAX_CONNECTIONS: open client connections, 1..SERVER_CONNECTIONS_MAX */
	int http2;                /* HTTP2=on: HTTP/2 by ALPN on TLS; else HTTP/1.1 only */
	int http2_cleartext;      /* HTTP2_CLEARTEXT=on: h2c Upgrade and prior-knowledge HTTP/2 without TLS */
	char metrics_host[256];   /* METRICS_LISTEN: /metrics's own listener (numeric address), "" none */
	uint16_t metrics_port;    /* its port; 0: no listener, and no /metrics anywhere */
	/* Sign-in (the SSO flow). Defaults are set in cli_serve.c, in one place. */
	struct password_params argon2; /* PASSWORD_ARGON2_*: cost of new hashes and of burns */
	int64_t session_ttl;           /* SESSION_TTL_MINUTES: an SSO session's life, seconds */
	int64_t code_ttl;              /* an authorization code's life, seconds (60) */
	int64_t flow_ttl;              /* a login flow's life (the login page's), seconds (600) */
	int64_t refresh_ttl;           /* REFRESH_TOKEN_DAYS: a refresh grant's absolute life, seconds */
	int64_t refresh_grace;   /* REFRESH_REUSE_GRACE_SECONDS: a lost answer's retry, seconds; 0 off */
	int lockout_threshold;   /* LOGIN_LOCKOUT_THRESHOLD: failures that lock an account; 0 off */
	int64_t lockout_seconds; /* LOGIN_LOCKOUT_MINUTES: how long, seconds */
	struct ratelimit_config limits; /* per-address limits on failed attempts (limits.h) */
	int account_json_api;           /* ACCOUNT_JSON_API=on: /auth/login, /users/me (account_api.c) */
	int registration;               /* REGISTRATION=open: /register (needs mail) */
	int registration_verified;      /* REGISTRATION_REQUIRE_VERIFIED (on): sign in once confirmed */
	int mfa_required;               /* MFA=required: every sign-in needs two factors; else optional */
	const struct policy *policy;    /* the rules for new passwords (resets, registrations), or NULL
	                                 * when the server sets none (mail off, registration off) */
	/* Mail (SMTP_URL, MAIL_FROM, MAIL_RETRY_SECONDS): NULL when mail is off. */
	const struct mail_config *mail;
	/* BRAND_DIR's files, read at start-up (brand.h; empty without one), or NULL. */
	const struct brand *brand;
} server_config;

#endif
