/*
 * cli_client.c: `identity-backend client add | list | remove`: register OAuth
 * clients in the store, list them, remove them. Every value is checked here,
 * before it reaches the store: ids, grant types, redirect URIs (RFC 3986,
 * RFC 6749 §3.1.2, RFC 8252 §7) and post-logout redirect URIs (OIDC
 * RP-Initiated Logout §3, held to the same rules), scopes (RFC 6749 §3.3),
 * audiences, subjects, the ID token's signing alg.
 *
 * A client secret is shown once, on stdout, by add, and never again: the store
 * keeps only its salted hash (secret.h), list never prints a hash or a salt,
 * nothing is logged, and every buffer that held the secret is wiped (stdin is
 * read with read(2), so no stdio buffer keeps a copy).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "jose_utf8.h"
#include "crypto/secret.h"

/* Most bytes of a secret read by --secret-stdin, and the fewest accepted. */
#define CLIENT_SECRET_MAX 1024
#define CLIENT_SECRET_MIN 32
/* Longest audience and subject (OIDC Core §2: sub is at most 255 ASCII chars). */
#define CLIENT_AUDIENCE_MAX STORE_URI_MAX
#define CLIENT_SUBJECT_MAX  255

#define ALPHA "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

/* The client fields an option sets: client_args.given, for update. */
enum {
	F_GRANTS = 1 << 0,
	F_REDIRECTS = 1 << 1,
	F_LOGOUTS = 1 << 2,
	F_ALG = 1 << 3,
	F_AUDIENCES = 1 << 4,
	F_SUBJECTS = 1 << 5,
	F_SCOPE = 1 << 6,
	F_CONSENT = 1 << 7,
	F_NAME = 1 << 8,
	F_LOGO = 1 << 9,
	F_PUBLIC = 1 << 10, /* add only */
	F_MFA = 1 << 11,
};

typedef struct client_args {
	const char *db, *sub, *id, *id_opt; /* id: the positional; id_opt: --id (add) */
	int secret_stdin, given, has_grace;
	int64_t grace;
	struct store_client c;
} client_args;

/* Longest --grace of rotate-secret: 90 days. */
#define CLIENT_GRACE_MAX (90 * 86400)

/* Print a usage error; returns -1 so parsers can `return usage(…)`. */
static int usage(const char *msg, const char *arg)
{
	return cli_usage_error(
	    "client",
	    "usage: identity-backend client add --id ID [--secret-stdin] [--grant G]...\n"
	    "           [--redirect-uri U]... [--audience A]... [--subject S]... [--scope \"a b\"]\n"
	    "           [--post-logout-redirect-uri U]... [--id-token-alg RS256|PS256|ES256|EdDSA]\n"
	    "           [--name NAME] [--logo-uri https://...] [--public] [--consent] [--require-mfa]\n"
	    "           [--db FILE]\n"
	    "       identity-backend client update ID [the options of add but --id, --public and\n"
	    "           --secret-stdin; a list given replaces the stored one] [--no-consent]\n"
	    "           [--no-require-mfa]\n"
	    "       identity-backend client rotate-secret ID [--grace SPAN] [--secret-stdin]\n"
	    "       identity-backend client list | show ID | remove ID [--db FILE]\n",
	    msg, arg);
}

/* ---- values ---- */

/* 1..STORE_ID_MAX characters of [A-Za-z0-9._~-] (RFC 3986 unreserved). */
static int valid_id(const char *id)
{
	size_t n = strspn(id, ALPHA "0123456789._~-");

	return n > 0 && n <= STORE_ID_MAX && id[n] == '\0';
}

/* The JWAs an ID token may be signed with (the issuer keeps a key of each). */
static int valid_id_token_alg(const char *a)
{
	return strcmp(a, "RS256") == 0 || strcmp(a, "PS256") == 0 || strcmp(a, "ES256") == 0 ||
	       strcmp(a, "EdDSA") == 0;
}

static int valid_grant(const char *g)
{
	return strcmp(g, "client_credentials") == 0 || strcmp(g, "authorization_code") == 0 ||
	       strcmp(g, "refresh_token") == 0 || strcmp(g, "password") == 0;
}

/* Length of the UTF-8 sequence at p[0..n) if it is well-formed and not a control
 * character (C0, DEL, C1); else 0. */
static size_t text_char(const unsigned char *p, size_t n)
{
	uint32_t cp = 0;
	size_t len = jose_utf8_seq(p, n, &cp);

	return len && cp >= 0x20 && !(cp >= 0x7f && cp <= 0x9f) ? len : 0;
}

/* Audiences and subjects: 1..max bytes of UTF-8 text without control characters. */
static int valid_text(const char *s, size_t max)
{
	size_t len = strlen(s), n;

	if (len == 0 || len > max)
		return 0;
	for (const unsigned char *p = (const unsigned char *)s, *end = p + len; p < end; p += n)
		if (!(n = text_char(p, (size_t)(end - p))))
			return 0;
	return 1;
}

static int valid_redirect(const char *u);

/* A logo: an https URL (shown as an image on the sign-in pages), or "" for none. */
static int valid_logo(const char *u)
{
	return !u[0] || (strncmp(u, "https://", 8) == 0 && valid_redirect(u));
}

/* RFC 3986 §2: a character that may appear in a URI, with '%' as "%" HEXDIG HEXDIG. */
static int uri_char(const char *p)
{
	static const char hex[] = "0123456789ABCDEFabcdef";

	if (*p == '%')
		return p[1] && strchr(hex, p[1]) && p[2] && strchr(hex, p[2]);
	return *p && strchr(ALPHA "0123456789-._~:/?#[]@!$&'()*+,;=", *p);
}

/* Length of u's scheme (RFC 3986 §3.1: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ),
 * then ':'), or 0 when u does not begin with one. */
static size_t uri_scheme(const char *u)
{
	size_t n = strspn(u, ALPHA "0123456789+-.");

	return n > 0 && strchr(ALPHA, u[0]) && u[n] == ':' ? n : 0;
}

static int scheme_is(const char *u, size_t n, const char *name)
{
	return strlen(name) == n && strncasecmp(u, name, n) == 0;
}

/*
 * A redirect URI: absolute (RFC 6749 §3.1.2), no fragment, only URI characters.
 * http(s) needs "//" and a host, and no userinfo; any other scheme is a native
 * app's private-use scheme (RFC 8252 §7.1), except those that run or read content.
 */
static int valid_redirect(const char *u)
{
	static const char *const banned[] = {"javascript", "data", "vbscript", "file", "blob", "about"};
	size_t n = strlen(u), scheme = uri_scheme(u);
	const char *auth;
	size_t host;

	if (n == 0 || n > STORE_URI_MAX || scheme == 0 || !u[scheme + 1] || strchr(u, '#'))
		return 0;
	for (const char *p = u; *p; p += *p == '%' ? 3 : 1)
		if (!uri_char(p))
			return 0;
	for (size_t i = 0; i < sizeof banned / sizeof banned[0]; i++)
		if (scheme_is(u, scheme, banned[i]))
			return 0;
	if (!scheme_is(u, scheme, "http") && !scheme_is(u, scheme, "https"))
		return 1;
	if (strncmp(u + scheme, "://", 3) != 0)
		return 0;
	auth = u + scheme + 3;
	host = strcspn(auth, "/?");
	return host > 0 && auth[0] != ':' && !memchr(auth, '@', host);
}

/* RFC 6749 §3.3: scope-token *( SP scope-token ), scope-token = 1*NQCHAR; or "". */
static int valid_scope(const char *s)
{
	size_t n = strlen(s);

	if (n > STORE_SCOPE_MAX || s[0] == ' ' || (n && s[n - 1] == ' ') || strstr(s, "  "))
		return 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p > 0x7e || *p == '"' || *p == '\\')
			return 0;
	return 1;
}

/* Append item to the '\n'-joined list[cap + 1] unless already there; 0 or -1 (full). */
static int push(char *list, size_t cap, const char *item)
{
	size_t len = strlen(list), n = strlen(item);

	if (store_list_has(list, item))
		return 0;
	if (len + (len > 0) + n > cap)
		return -1;
	if (len)
		list[len++] = '\n';
	memcpy(list + len, item, n + 1);
	return 0;
}

/* ---- arguments ---- */

/* "invalid --flag (what a valid value is): value", then the usage; returns -1. */
static int bad_value(const char *flag, const char *val)
{
	static const char *const hints[][2] = {
	    {"--grant", "client_credentials, authorization_code, refresh_token or password"},
	    {"--redirect-uri", "absolute, no fragment; http(s) needs a host and no user"},
	    {"--post-logout-redirect-uri", "absolute, no fragment; http(s) needs a host and no user"},
	    {"--id-token-alg", "RS256, PS256, ES256 or EdDSA"},
	    {"--audience", "1..2048 bytes of UTF-8, no control characters"},
	    {"--subject", "1..255 bytes of UTF-8, no control characters"},
	    {"--scope", "RFC 6749 3.3: tokens of printable ASCII except \" and \\, one space apart"},
	    {"--name", "1..128 bytes of UTF-8, no control characters"},
	    {"--logo-uri", "an https URL, no fragment"},
	    {"--grace", "a span such as 3600, 30m, 12h, 7d; at most 90 days"},
	};
	char msg[160];

	for (size_t i = 0; i < sizeof hints / sizeof hints[0]; i++)
		if (strcmp(flag, hints[i][0]) == 0) {
			snprintf(msg, sizeof msg, "invalid %s (%s)", flag, hints[i][1]);
			return usage(msg, val); /* cli_usage_error never echoes a control character */
		}
	return usage("invalid value for", flag);
}

/* A repeatable list option: check val, then push it; 0 or -1 with a usage message. */
static int list_option(client_args *a, int field, char *list, size_t cap, const char *flag, const char *val,
                       int ok)
{
	a->given |= field;
	if (!ok)
		return bad_value(flag, val);
	return push(list, cap, val) ? usage("too many values for", flag) : 0;
}

/* An option that takes no value (--secret-stdin, --public, --consent, --no-consent,
 * --require-mfa, --no-require-mfa):
 * recorded; 0, or -1 with a usage message printed for any other. */
static int switch_option(client_args *a, const char *arg)
{
	if (strcmp(arg, "--secret-stdin") == 0)
		a->secret_stdin = 1;
	else if (strcmp(arg, "--public") == 0)
		a->c.is_public = 1, a->given |= F_PUBLIC;
	else if (strcmp(arg, "--consent") == 0 || strcmp(arg, "--no-consent") == 0)
		a->c.needs_consent = arg[2] == 'c', a->given |= F_CONSENT;
	else if (strcmp(arg, "--require-mfa") == 0 || strcmp(arg, "--no-require-mfa") == 0)
		a->c.require_mfa = arg[2] == 'r', a->given |= F_MFA;
	else
		return usage("unknown option", arg);
	return 0;
}

/* --name, --logo-uri, --grace; 0, -1 with a usage message, or 1 for another flag. */
static int text_option(client_args *a, const char *flag, const char *val)
{
	if (strcmp(flag, "--name") == 0) {
		if (val[0] && !valid_text(val, STORE_NAME_MAX))
			return bad_value(flag, val);
		snprintf(a->c.name, sizeof a->c.name, "%s", val);
		a->given |= F_NAME;
	} else if (strcmp(flag, "--logo-uri") == 0) {
		if (!valid_logo(val))
			return bad_value(flag, val);
		snprintf(a->c.logo_uri, sizeof a->c.logo_uri, "%s", val);
		a->given |= F_LOGO;
	} else if (strcmp(flag, "--grace") == 0) {
		if (cli_parse_span(val, CLIENT_GRACE_MAX, &a->grace))
			return bad_value(flag, val);
		a->has_grace = 1;
	} else {
		return 1;
	}
	return 0;
}

/* One option into the client_args at ctx: a switch (no value) or a "--flag value" pair;
 * returns 0, or -1 with a usage message printed. */
static int option(void *ctx, const char *flag, const char *val)
{
	client_args *a = ctx;
	struct store_client *c = &a->c;
	int rc;

	if (!val)
		return switch_option(a, flag);
	if ((rc = text_option(a, flag, val)) <= 0)
		return rc;
	if (strcmp(flag, "--db") == 0)
		a->db = val;
	else if (strcmp(flag, "--id") == 0)
		a->id_opt = val;
	else if (strcmp(flag, "--grant") == 0)
		return list_option(a, F_GRANTS, c->grants, STORE_GRANTS_MAX, flag, val, valid_grant(val));
	else if (strcmp(flag, "--redirect-uri") == 0)
		return list_option(a, F_REDIRECTS, c->redirect_uris, STORE_LIST_MAX, flag, val,
		                   valid_redirect(val));
	else if (strcmp(flag, "--post-logout-redirect-uri") == 0)
		return list_option(a, F_LOGOUTS, c->post_logout_uris, STORE_LIST_MAX, flag, val,
		                   valid_redirect(val));
	else if (strcmp(flag, "--id-token-alg") == 0) {
		if (!valid_id_token_alg(val))
			return bad_value(flag, val);
		snprintf(c->id_token_alg, sizeof c->id_token_alg, "%s", val);
		a->given |= F_ALG;
	} else if (strcmp(flag, "--audience") == 0)
		return list_option(a, F_AUDIENCES, c->audiences, STORE_LIST_MAX, flag, val,
		                   valid_text(val, CLIENT_AUDIENCE_MAX));
	else if (strcmp(flag, "--subject") == 0)
		return list_option(a, F_SUBJECTS, c->subjects, STORE_LIST_MAX, flag, val,
		                   valid_text(val, CLIENT_SUBJECT_MAX));
	else if (strcmp(flag, "--scope") == 0) {
		if (!valid_scope(val))
			return bad_value(flag, val);
		snprintf(c->scope, sizeof c->scope, "%s", val);
		a->given |= F_SCOPE;
	} else
		return usage("unknown option", flag);
	return 0;
}

/* How grants, redirect URIs and the rest of c fit together; 0 or -1 with a usage message. */
static int check_fit(const struct store_client *c, int secret_stdin)
{
	int code = store_list_has(c->grants, "authorization_code");

	if (c->is_public && store_list_has(c->grants, "client_credentials"))
		return usage("a --public client cannot use client_credentials (it has no secret)", NULL);
	if (c->is_public && store_list_has(c->grants, "password"))
		return usage("the password grant is for confidential first-party clients only", "--public");
	if (c->is_public && secret_stdin)
		return usage("a --public client has no secret", "--secret-stdin");
	if (store_list_has(c->grants, "refresh_token") && !code && !store_list_has(c->grants, "password"))
		return usage("refresh_token needs the authorization_code or the password grant", NULL);
	if (code != (c->redirect_uris[0] != '\0'))
		return usage(code ? "authorization_code needs --redirect-uri"
		                  : "--redirect-uri needs the authorization_code grant",
		             NULL);
	/* Both only mean something to a client people sign in to (ID tokens, logout). */
	if (!code && (c->post_logout_uris[0] || c->id_token_alg[0]))
		return usage(c->post_logout_uris[0]
		                 ? "--post-logout-redirect-uri needs the authorization_code grant"
		                 : "--id-token-alg needs the authorization_code grant",
		             NULL);
	return 0;
}

/* Grants and scope of an add: defaults, then how they fit together. */
static int check_add(client_args *a)
{
	struct store_client *c = &a->c;

	if (a->id)
		return usage("unexpected argument", a->id);
	if (!a->id_opt || !valid_id(a->id_opt))
		return usage(a->id_opt ? "invalid --id (1..128 of A-Z a-z 0-9 . _ ~ -)" : "add needs --id",
		             a->id_opt);
	if (a->has_grace)
		return usage("add takes no", "--grace");
	snprintf(c->id, sizeof c->id, "%s", a->id_opt);
	if (!c->grants[0])
		push(c->grants, STORE_GRANTS_MAX, c->is_public ? "authorization_code" : "client_credentials");
	if (check_fit(c, a->secret_stdin))
		return -1;
	/* OIDC Core §5.4, §11: what a login client asks for unless told otherwise. */
	if (!(a->given & F_SCOPE) &&
	    (store_list_has(c->grants, "authorization_code") || store_list_has(c->grants, "password")))
		snprintf(c->scope, sizeof c->scope, "openid profile email groups%s",
		         store_list_has(c->grants, "refresh_token") ? " offline_access" : "");
	return 0;
}

/* The options each subcommand but add takes; 0 or -1 with a usage message printed. */
static int check_other(client_args *a)
{
	int update = strcmp(a->sub, "update") == 0, rotate = strcmp(a->sub, "rotate-secret") == 0;
	char msg[64];

	if (a->id_opt || (a->given & F_PUBLIC) || (!update && a->given) ||
	    (!rotate && (a->secret_stdin || a->has_grace))) {
		snprintf(msg, sizeof msg, "%s takes %s", a->sub,
		         update   ? "no --id, --public or --secret-stdin"
		         : rotate ? "only --grace, --secret-stdin and --db"
		                  : "only --db");
		return usage(msg, NULL);
	}
	if (strcmp(a->sub, "list") == 0)
		return a->id ? usage("unexpected argument", a->id) : 0;
	if (!a->id || !a->id[0] || strlen(a->id) > STORE_ID_MAX) {
		snprintf(msg, sizeof msg, "%s needs a client ID", a->sub);
		return usage(a->id ? "invalid client id" : msg, a->id);
	}
	if (update && !a->given)
		return usage("update needs an option that changes something", NULL);
	return 0;
}

/* Which arguments each subcommand takes; 0 or -1 with a usage message printed. */
static int check(client_args *a)
{
	static const char *const subs[] = {"add", "list", "show", "update", "rotate-secret", "remove"};
	int known = 0;

	if (!a->sub)
		return usage("a subcommand (add, list, show, update, rotate-secret, remove) is required",
		             NULL);
	for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++)
		known |= strcmp(a->sub, subs[i]) == 0;
	if (!known)
		return usage("unknown subcommand", a->sub);
	return strcmp(a->sub, "add") == 0 ? check_add(a) : check_other(a);
}

/* One positional: the subcommand, then its ID (add takes none: check_add refuses one). */
static int word(void *ctx, const char *arg)
{
	client_args *a = ctx;

	return cli_next_word(&a->sub, &a->id, arg) ? usage("unexpected argument", arg) : 0;
}

/* Options and positionals in any order; after "--" only positionals. */
static int parse_args(client_args *a, int argc, char **argv)
{
	static const struct option opts[] = {CLI_VALUE("db"),
	                                     CLI_VALUE("id"),
	                                     CLI_VALUE("grant"),
	                                     CLI_VALUE("redirect-uri"),
	                                     CLI_VALUE("audience"),
	                                     CLI_VALUE("subject"),
	                                     CLI_VALUE("scope"),
	                                     CLI_VALUE("id-token-alg"),
	                                     CLI_VALUE("post-logout-redirect-uri"),
	                                     CLI_VALUE("name"),
	                                     CLI_VALUE("logo-uri"),
	                                     CLI_VALUE("grace"),
	                                     CLI_SWITCH("secret-stdin"),
	                                     CLI_SWITCH("public"),
	                                     CLI_SWITCH("consent"),
	                                     CLI_SWITCH("no-consent"),
	                                     CLI_SWITCH("require-mfa"),
	                                     CLI_SWITCH("no-require-mfa"),
	                                     CLI_END};
	static const cli_syntax syn = {opts, option, word, usage};

	return cli_parse(argc, argv, &syn, a) ? -1 : check(a);
}

/* ---- add ---- */

/*
 * The secret from standard input into buf[CLIENT_SECRET_MAX + 4], one trailing
 * newline (or CRLF) removed: RFC 6749 Appendix A.2's VSCHAR (printable ASCII),
 * CLIENT_SECRET_MIN..CLIENT_SECRET_MAX of them. Returns 0, or an exit status
 * with a message printed.
 */
static int read_secret(char buf[CLIENT_SECRET_MAX + 4], size_t *len)
{
	const char *why = NULL;
	size_t n;
	int rc = cli_read_secret("client", "secret", buf, CLIENT_SECRET_MAX, len);

	if (rc)
		return rc;
	n = *len;
	for (size_t i = 0; i < n && !why; i++)
		if (buf[i] < 0x20 || buf[i] > 0x7e)
			why = "the secret on stdin has a character outside printable ASCII";
	if (n > CLIENT_SECRET_MAX)
		why = "the secret on stdin is longer than 1024 characters";
	else if (n < CLIENT_SECRET_MIN)
		why = "the secret on stdin is shorter than 32 characters";
	if (!why)
		return 0;
	usage(why, NULL);
	return EXIT_USAGE;
}

/* Hash secret into c (a fresh one into secret when *len is 0); 0 or EXIT_INVALID. */
static int set_secret(struct store_client *c, char *secret, size_t *len)
{
	WC_RNG rng;
	int rc = EXIT_INVALID;

	if (wc_InitRng(&rng) != 0) {
		fputs("identity-backend client: cannot seed the random generator\n", stderr);
		return EXIT_INVALID;
	}
	if (*len == 0 && secret_generate(&rng, secret) == 0)
		*len = SECRET_TEXT_LEN;
	if (*len && secret_client_set(&rng, c, secret, *len) == 0)
		rc = 0;
	else
		fputs("identity-backend client: cannot make the client secret\n", stderr);
	wc_FreeRng(&rng);
	return rc;
}

/* {"client_id":…,"client_secret":…}; the secret by reference, so cJSON keeps no copy. */
static int print_added(const struct store_client *c, const char *secret)
{
	cJSON *o = cJSON_CreateObject();

	if (o && (!cJSON_AddStringToObject(o, "client_id", c->id) ||
	          (!c->is_public &&
	           !cJSON_AddItemToObject(o, "client_secret", cJSON_CreateStringReference(secret))))) {
		cJSON_Delete(o);
		o = NULL;
	}
	return cli_print_json("client", o);
}

static int client_add(store *s, client_args *a, char *secret, size_t len)
{
	struct store_client *c = &a->c;
	store_err e;
	int rc;

	c->created_at = (int64_t)time(NULL);
	if (!c->is_public && (rc = set_secret(c, secret, &len)))
		return rc;
	if ((e = store_client_put(s, c)) == STORE_CONFLICT) {
		fprintf(stderr, "identity-backend client: client exists: %s\n", c->id);
		return EXIT_INVALID;
	}
	if (e != STORE_OK)
		return cli_store_fail("client", s, "add", e);
	/* A secret nobody saw must not open anything: undo the add. */
	if ((rc = print_added(c, secret)) && (e = store_client_delete(s, c->id)) != STORE_OK)
		cli_store_fail("client", s, "could not undo the add; remove the client", e);
	if (!rc)
		cli_audit("client.created", "client", c->id, "grants", c->grants);
	return rc;
}

/* ---- list, remove ---- */

/* The '\n'-joined list as a JSON array of strings, or NULL when out of memory. */
static cJSON *list_array(const char *list)
{
	char item[STORE_LIST_MAX + 1];
	cJSON *arr = cJSON_CreateArray();

	for (const char *p = list; arr && *p;) {
		size_t n = strcspn(p, "\n");
		memcpy(item, p, n);
		item[n] = '\0';
		if (!cJSON_AddItemToArray(arr, cJSON_CreateString(item))) {
			cJSON_Delete(arr);
			arr = NULL;
		}
		p += n + (p[n] == '\n');
	}
	return arr;
}

typedef struct list_ctx {
	cJSON *out;
	int nomem;
} list_ctx;

/* What a client may do, never its secret (nor its hash or salt): a new object, or
 * NULL out of memory. */
static cJSON *client_json(const struct store_client *c)
{
	cJSON *o = cJSON_CreateObject();

	if (!o || !cJSON_AddStringToObject(o, "client_id", c->id) ||
	    !cJSON_AddBoolToObject(o, "public", c->is_public) ||
	    !cJSON_AddBoolToObject(o, "consent", c->needs_consent) ||
	    !cJSON_AddBoolToObject(o, "require_mfa", c->require_mfa) ||
	    !cJSON_AddItemToObject(o, "grants", list_array(c->grants)) ||
	    !cJSON_AddItemToObject(o, "redirect_uris", list_array(c->redirect_uris)) ||
	    !cJSON_AddItemToObject(o, "post_logout_redirect_uris", list_array(c->post_logout_uris)) ||
	    !cJSON_AddStringToObject(o, "id_token_alg", c->id_token_alg[0] ? c->id_token_alg : "RS256") ||
	    !cJSON_AddItemToObject(o, "audiences", list_array(c->audiences)) ||
	    !cJSON_AddItemToObject(o, "subjects", list_array(c->subjects)) ||
	    !cJSON_AddStringToObject(o, "scope", c->scope) ||
	    (c->name[0] && !cJSON_AddStringToObject(o, "name", c->name)) ||
	    (c->logo_uri[0] && !cJSON_AddStringToObject(o, "logo_uri", c->logo_uri)) ||
	    (c->prev_until && !cJSON_AddNumberToObject(o, "previous_secret_until", (double)c->prev_until)) ||
	    !cJSON_AddNumberToObject(o, "created_at", (double)c->created_at)) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static int list_one(void *ctx, const struct store_client *c)
{
	list_ctx *l = ctx;
	cJSON *o = client_json(c);

	if (!o || !cJSON_AddItemToArray(l->out, o)) {
		cJSON_Delete(o);
		return l->nomem = 1;
	}
	return 0;
}

static int client_list(store *s)
{
	list_ctx l = {.out = cJSON_CreateArray()};
	store_err e = l.out ? store_client_list(s, list_one, &l) : STORE_NOMEM;

	return cli_list_done("client", s, e, l.nomem, l.out);
}

/* ---- show, update, rotate-secret ---- */

/* The client id into *c; 0, or an exit status with the reason printed. */
static int find_client(store *s, const char *id, const char *what, struct store_client *c)
{
	store_err e = store_client_get(s, id, c);

	if (e == STORE_NOT_FOUND) {
		fprintf(stderr, "identity-backend client: no such client: %s\n", id);
		return EXIT_INVALID;
	}
	return e == STORE_OK ? 0 : cli_store_fail("client", s, what, e);
}

static int client_show(store *s, const char *id)
{
	static struct store_client c;
	int rc = find_client(s, id, "show", &c);

	if (!rc)
		rc = cli_print_json("client", client_json(&c));
	explicit_bzero(&c, sizeof c);
	return rc;
}

/* The fields a->given names, from a->c into c. */
static void merge(const client_args *a, struct store_client *c)
{
	const struct store_client *n = &a->c;

#define TAKE(bit, field)                                                                                     \
	if (a->given & (bit))                                                                                \
	memcpy(c->field, n->field, sizeof c->field)
	TAKE(F_GRANTS, grants);
	TAKE(F_REDIRECTS, redirect_uris);
	TAKE(F_LOGOUTS, post_logout_uris);
	TAKE(F_ALG, id_token_alg);
	TAKE(F_AUDIENCES, audiences);
	TAKE(F_SUBJECTS, subjects);
	TAKE(F_SCOPE, scope);
	TAKE(F_NAME, name);
	TAKE(F_LOGO, logo_uri);
#undef TAKE
	if (a->given & F_CONSENT)
		c->needs_consent = n->needs_consent;
	if (a->given & F_MFA)
		c->require_mfa = n->require_mfa;
}

/* Change what the options say, keep the rest; the result must fit together as an add's. */
static int client_update(store *s, const client_args *a)
{
	static struct store_client c;
	store_err e;
	int rc = find_client(s, a->id, "update", &c);

	if (!rc) {
		merge(a, &c);
		rc = check_fit(&c, 0) ? EXIT_USAGE : 0;
	}
	if (!rc && (e = store_client_update(s, &c)) != STORE_OK)
		rc = cli_store_fail("client", s, "update", e);
	if (!rc && !(rc = cli_print_json("client", client_json(&c))))
		cli_audit("client.changed", "client", c.id, "grants", c.grants);
	explicit_bzero(&c, sizeof c);
	return rc;
}

/* A new secret, shown once; the old one keeps working for a->grace seconds (0: not at all). */
static int client_rotate(store *s, const client_args *a, char *secret, size_t len)
{
	static struct store_client c;
	store_err e;
	int rc = find_client(s, a->id, "rotate-secret", &c);

	if (!rc && c.is_public) {
		fprintf(stderr, "identity-backend client: %s is a public client: it has no secret\n", c.id);
		rc = EXIT_INVALID;
	}
	if (!rc) {
		memcpy(c.prev_hash, c.secret_hash, sizeof c.prev_hash);
		memcpy(c.prev_salt, c.secret_salt, sizeof c.prev_salt);
		c.prev_hash_len = a->grace ? c.secret_hash_len : 0;
		c.prev_salt_len = a->grace ? c.secret_salt_len : 0;
		c.prev_until = a->grace ? (int64_t)time(NULL) + a->grace : 0;
		rc = set_secret(&c, secret, &len);
	}
	if (!rc && (e = store_client_update(s, &c)) != STORE_OK)
		rc = cli_store_fail("client", s, "rotate-secret", e);
	/* Printed after the store has it; if printing fails, the operator rotates again. */
	if (!rc && !(rc = print_added(&c, secret)))
		cli_audit("client.secret_rotated", "client", c.id, NULL, NULL);
	explicit_bzero(&c, sizeof c);
	return rc;
}

static int client_remove(store *s, const char *id)
{
	return cli_removed("client", s, store_client_delete(s, id), "client", id);
}

/* see cli.h */
int cli_client(int argc, char **argv)
{
	static client_args a; /* ~17 KB; the CLI runs one command per process */
	char secret[CLIENT_SECRET_MAX + 4] = "";
	size_t len = 0;
	store *s = NULL;
	int rc = EXIT_USAGE;

	memset(&a, 0, sizeof a);
	if (parse_args(&a, argc, argv))
		goto out;
	if (a.secret_stdin && (rc = read_secret(secret, &len)))
		goto out;
	if ((rc = cli_store_open("client", a.db, strcmp(a.sub, "add") == 0, &s)))
		goto out;
	if (strcmp(a.sub, "add") == 0)
		rc = client_add(s, &a, secret, len);
	else if (strcmp(a.sub, "list") == 0)
		rc = client_list(s);
	else if (strcmp(a.sub, "show") == 0)
		rc = client_show(s, a.id);
	else if (strcmp(a.sub, "update") == 0)
		rc = client_update(s, &a);
	else if (strcmp(a.sub, "rotate-secret") == 0)
		rc = client_rotate(s, &a, secret, len);
	else
		rc = client_remove(s, a.id);
out:
	store_close(s);
	explicit_bzero(secret, sizeof secret);
	explicit_bzero(&a, sizeof a);
	return rc;
}
