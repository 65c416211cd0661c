/*
 * cli_verify.c: `identity-backend verify`: check one JWT against a JWK Set (a file,
 * standard input, or an http(s) URL fetched once) with the shared core and print
 * the verdict as one JSON object.
 * Exit 0 valid, 1 invalid (token or key set), 2 usage or I/O errors. The JSON
 * printed for an invalid token never echoes the token or key material.
 */
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "jose.h"

/* Most values one repeatable flag (--iss, --aud, --require) takes. */
#define LIST_MAX 16

typedef struct list {
	const char *v[LIST_MAX];
	size_t n;
} list;

typedef struct args {
	const char *jwks, *token, *sub, *typ;
	list iss, aud, req;
	jose_jwt_opts opts;
	int has_now;
} args;

/* Print a usage error; returns -1 so parsers can `return usage(…)`. */
static int usage(const char *msg, const char *arg)
{
	return cli_usage_error(
	    "verify",
	    "usage: identity-backend verify --jwks FILE|URL [--alg A,B] [--iss ISS]... [--aud AUD]...\n"
	    "       [--sub SUB] [--typ TYP] [--require CLAIM]... [--max-age SPAN] [--leeway SPAN]\n"
	    "       [--now UNIX] TOKEN|-\n",
	    msg, arg);
}

static int push(list *l, const char *v)
{
	if (l->n == LIST_MAX)
		return -1;
	l->v[l->n++] = v;
	return 0;
}

/* One "--flag value" pair into the args at ctx; returns 0, or -1 with a usage message printed. */
static int option(void *ctx, const char *flag, const char *val)
{
	args *a = ctx;
	jose_jwt_opts *o = &a->opts;
	int bad = 0;

	if (strcmp(flag, "--jwks") == 0)
		a->jwks = val;
	else if (strcmp(flag, "--alg") == 0)
		bad = jose_alg_parse_list(val, &o->algs);
	else if (strcmp(flag, "--iss") == 0)
		bad = push(&a->iss, val);
	else if (strcmp(flag, "--aud") == 0)
		bad = push(&a->aud, val);
	else if (strcmp(flag, "--require") == 0)
		bad = push(&a->req, val);
	else if (strcmp(flag, "--sub") == 0)
		a->sub = val;
	else if (strcmp(flag, "--typ") == 0)
		a->typ = val;
	else if (strcmp(flag, "--leeway") == 0)
		bad = cli_parse_span(val, INT32_MAX, &o->leeway);
	else if (strcmp(flag, "--max-age") == 0) {
		bad = cli_parse_span(val, INT64_MAX / 2, &o->max_age);
		o->has_max_age = 1;
	} else if (strcmp(flag, "--now") == 0) {
		bad = cli_parse_i64(val, 0, (int64_t)JOSE_NUMERICDATE_MAX, &o->now);
		a->has_now = 1;
	} else {
		return usage("unknown option", flag);
	}
	return bad ? usage("invalid value for", flag) : 0;
}

/* The one positional: the token, or "-" for standard input. */
static int word(void *ctx, const char *arg)
{
	args *a = ctx;

	return cli_next_word(&a->token, NULL, arg) ? usage("more than one token", arg) : 0;
}

/* Options and the token in any order; after "--" the token. */
static int parse_args(args *a, int argc, char **argv)
{
	static const struct option opts[] = {
	    CLI_VALUE("jwks"),    CLI_VALUE("alg"), CLI_VALUE("iss"), CLI_VALUE("aud"),
	    CLI_VALUE("require"), CLI_VALUE("sub"), CLI_VALUE("typ"), CLI_VALUE("leeway"),
	    CLI_VALUE("max-age"), CLI_VALUE("now"), CLI_END};
	static const cli_syntax syn = {opts, option, word, usage};

	if (cli_parse(argc, argv, &syn, a))
		return -1;
	if (!a->jwks)
		return usage("--jwks FILE is required", NULL);
	if (!a->token)
		return usage("TOKEN (or - for standard input) is required", NULL);
	return 0;
}

/* Print the verdict object; takes ownership of nothing. */
static int print_invalid(const jose_fail *why, jose_err err)
{
	cJSON *o = cJSON_CreateObject();
	char *s;

	cJSON_AddFalseToObject(o, "valid");
	cJSON_AddStringToObject(o, "error", jose_err_code(err));
	cJSON_AddStringToObject(o, "message",
	                        why->err == err && why->reason ? why->reason : jose_err_message(err));
	if (why->err == err && why->claim)
		cJSON_AddStringToObject(o, "claim", why->claim);
	s = cJSON_PrintUnformatted(o);
	if (s)
		puts(s);
	free(s);
	cJSON_Delete(o);
	return s ? EXIT_INVALID : EXIT_USAGE;
}

static int print_valid(jose_jwt *jwt)
{
	cJSON *o = cJSON_CreateObject();
	char *s;

	cJSON_AddTrueToObject(o, "valid");
	cJSON_AddItemToObject(o, "header", jwt->header);
	cJSON_AddItemToObject(o, "payload", jwt->payload);
	jwt->header = jwt->payload = NULL; /* now owned by o */
	s = jose_json_print(o);
	if (s)
		puts(s);
	free(s);
	cJSON_Delete(o);
	return s ? 0 : EXIT_USAGE;
}

/* The whole of path ("-": standard input; http(s)://: fetched) into *buf; as cli_read_all. */
static int load(const char *path, size_t max, char **buf, size_t *len)
{
	FILE *f;
	char err[256];
	int rc;

	if (strncmp(path, "http://", 7) == 0 || strncmp(path, "https://", 8) == 0) {
		if ((rc = cli_fetch(path, max, buf, len, err, sizeof err)) < 0)
			fprintf(stderr, "identity-backend verify: cannot fetch %s: %s\n", path, err);
		return rc;
	}
	if (!(f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb"))) {
		fprintf(stderr, "identity-backend verify: %s: %s\n", path, strerror(errno));
		return -1;
	}
	rc = cli_read_all(f, max, buf, len);
	if (f != stdin)
		fclose(f);
	if (rc < 0)
		fprintf(stderr, "identity-backend verify: %s: %s\n", path, strerror(errno));
	return rc;
}

/*
 * The token from argv, or stdin with trailing whitespace (a newline) trimmed.
 * Returns 0, 1 when stdin holds more than any token we accept, -1 on error.
 */
static int read_token(const args *a, char **buf, size_t *len)
{
	int rc;

	if (strcmp(a->token, "-") != 0) {
		*len = strlen(a->token);
		return (*buf = strdup(a->token)) ? 0 : -1;
	}
	rc = load("-", JOSE_TOKEN_MAX_LEN + 2, buf, len); /* + room for a "\r\n" */
	while (rc == 0 && *len && strchr(" \t\r\n", (*buf)[*len - 1]))
		(*buf)[--*len] = '\0';
	return rc;
}

/* see cli.h */
int cli_verify(int argc, char **argv)
{
	args a = {0};
	jose_jwks *set = NULL;
	jose_jwt jwt = {0};
	jose_fail why = {0};
	char *jwks = NULL, *token = NULL;
	size_t jwks_len = 0, token_len = 0;
	int rc = EXIT_USAGE;
	jose_err err;

	if (parse_args(&a, argc, argv))
		return EXIT_USAGE;
	a.opts.issuers = a.iss.v, a.opts.n_issuers = a.iss.n;
	a.opts.audiences = a.aud.v, a.opts.n_audiences = a.aud.n;
	a.opts.required = a.req.v, a.opts.n_required = a.req.n;
	a.opts.subject = a.sub, a.opts.typ = a.typ;
	if (!a.has_now)
		a.opts.now = (int64_t)time(NULL);
	if (load(a.jwks, JOSE_JWKS_MAX_LEN, &jwks, &jwks_len) < 0 || read_token(&a, &token, &token_len) < 0)
		goto out;
	if (!jwks)
		err = jose_fail_set(&why, JOSE_E_JWKS_INVALID, "JSON Web Key Set too large", NULL);
	else if (!token)
		err = jose_fail_set(&why, JOSE_E_JWS_INVALID, "token larger than 64 KiB", NULL);
	else if ((err = jose_jwks_import(jwks, jwks_len, &set, &why)) == JOSE_OK)
		err = jose_jwt_verify(set, &a.opts, token, token_len, &jwt, &why);
	if (err == JOSE_OK)
		rc = print_valid(&jwt);
	else if (jose_err_is_verdict(err))
		rc = print_invalid(&why, err);
	else
		fprintf(stderr, "identity-backend verify: %s\n", jose_err_message(err));
out:
	jose_jwt_clear(&jwt);
	jose_jwks_free(set);
	free(jwks);
	free(token);
	return rc;
}
