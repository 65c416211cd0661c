/*
 * fuzz_router.c: libFuzzer target for whole HTTP requests against the issuer,
 * in process. The input is written, as is, to one end of a socketpair whose
 * other end H2O serves exactly as a connection accepted by `serve` (same
 * global configuration, same request handler, same route table, a real app
 * with its SQLite store, keys and metrics); then the writing side is shut, and
 * the loop runs until the server closes the connection or 50 ms pass.
 *
 * Promise checked: no request makes the issuer answer 5xx (every handler
 * response is checked in the handler itself, so pipelined requests and any
 * protocol H2O speaks are covered; the first status line on the wire is
 * checked too), and nothing crashes, leaks or trips a sanitizer.
 *
 * The server's fixed state (LLVMFuzzerInitialize): a new SQLite file in a
 * temporary directory (removed at exit), one thread, ES256 tokens, the legacy
 * HS256 secret FUZZ_LEGACY, the `browser-ui` client with secret
 * FUZZ_BROWSER_SECRET, and a client FUZZ_CLIENT registered for audiences, scopes
 * and subjects, so seeds can authenticate (Basic or form), get tokens issued and
 * carry tokens that verify (tests/fuzz/seeds.mjs uses the same values).
 *
 * Tokens whose claims the fuzzer changes would never verify, so the harness
 * signs on request: every run of exactly FUZZ_SIG_LEN '@' that follows a '.' is
 * replaced, in place (lengths, and so Content-Length, stay right), by the
 * HS256 signature under FUZZ_LEGACY of the base64url-and-dots run before that
 * '.'. Seeds write "header.payload.@@@…@" for a token /verify should accept.
 */
#include "../../issuer/server.c" /* first: it defines _GNU_SOURCE; gives worker, config, on_req */

#include <fcntl.h>
#include <sys/stat.h>

#include <wolfssl/wolfcrypt/hmac.h>

#include "fuzz.h"
#include "jose_b64url.h"
#include "secret.h"

#define FUZZ_LEGACY         "fuzz-legacy-secret-0123456789abcdef"
#define FUZZ_BROWSER_SECRET "fuzz-browser-secret"
#define FUZZ_CLIENT         "fuzz-client"
#define FUZZ_CLIENT_SECRET  "fuzz-client-secret"
/* Length of an HS256 signature in base64url: a run of this many '@' is signed in place. */
#define FUZZ_SIG_LEN 43
/* How long one input may keep the connection open, in milliseconds. */
#define FUZZ_DEADLINE_MS 50
/* Response bytes kept for the status-line check (the rest is read and dropped). */
#define FUZZ_RESP_MAX 4096

static worker w;
static int revoked; /* a /revoke answered 200 during this input: undo it after */
static int verbose; /* FUZZ_VERBOSE=1: one line per response on stderr (for checking seeds) */
static app *the_app;
static server_config cfg;
static char dir[64], db[96];

static void cleanup(void)
{
	static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};
	char path[128];

	app_thread_fini(&w.state);
	app_stop(the_app);
	for (size_t i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
		snprintf(path, sizeof path, "%s%s", db, suffix[i]);
		unlink(path);
	}
	rmdir(dir);
}

/* The server's handler, then the check every response it made passes. */
static int fuzz_on_req(h2o_handler_t *self, h2o_req_t *req)
{
	int r = on_req(self, req);

	revoked |= req->res.status == 200 && req->path_normalized.len == 7 &&
	           memcmp(req->path_normalized.base, "/revoke", 7) == 0;
	if (verbose)
		fprintf(stderr, "fuzz_router: %.*s %.*s -> %d\n", (int)req->method.len, req->method.base,
		        (int)req->path.len, req->path.base, req->res.status);
	FUZZ_CHECK(req->res.status > 0 && req->res.status < 500, "%.*s %.*s answered %d",
	           (int)req->method.len, req->method.base, (int)req->path.len, req->path.base,
	           req->res.status);
	return r;
}

/* FUZZ_CLIENT: client_credentials and the seeds' JSON /token, two audiences, three scopes. */
static void register_client(void)
{
	struct store_client c;
	store_err e;

	memset(&c, 0, sizeof c);
	strcpy(c.id, FUZZ_CLIENT);
	strcpy(c.grants, "client_credentials");
	strcpy(c.audiences, "api\nhttps://api.example");
	strcpy(c.scope, "read write openid");
	strcpy(c.subjects, "svc\nalice");
	c.created_at = app_now();
	if (secret_client_set(&w.state.rng, &c, FUZZ_CLIENT_SECRET, strlen(FUZZ_CLIENT_SECRET)) ||
	    (e = store_client_put(w.state.db, &c)) != STORE_OK) {
		fprintf(stderr, "fuzz_router: cannot register %s\n", FUZZ_CLIENT);
		abort();
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");
	char err[512];

	(void)argc, (void)argv;
	verbose = getenv("FUZZ_VERBOSE") && *getenv("FUZZ_VERBOSE") == '1';
	snprintf(dir, sizeof dir, "%s/fuzz-router-XXXXXX", tmp && *tmp && strlen(tmp) < 32 ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		perror("fuzz_router: mkdtemp");
		abort();
	}
	snprintf(db, sizeof db, "%s/identity.db", dir);
	strcpy(cfg.host, "127.0.0.1");
	cfg.port = 8080;
	cfg.threads = 1;
	cfg.issuer = "http://127.0.0.1:8080";
	cfg.db = db;
	cfg.token_ttl = 900;
	cfg.alg = "ES256";
	cfg.legacy_secret = FUZZ_LEGACY;
	cfg.browser_ui_secret = FUZZ_BROWSER_SECRET;
	cfg.access_log = 0;
	if (!(the_app = app_start(&cfg, err, sizeof err)) ||
	    app_thread_init(&w.state, the_app, 0, err, sizeof err)) {
		fprintf(stderr, "fuzz_router: cannot start the app: %s\n", err);
		abort();
	}
	atexit(cleanup);
	register_client();
	signal(SIGPIPE, SIG_IGN);

	build_config();
	/* build_config made one host, one path "/", one handler: wrap that handler. */
	config.hosts[0]->paths.entries[0].handlers.entries[0]->on_req = fuzz_on_req;
	h2o_context_init(&w.ctx, h2o_evloop_create(), &config);
	w.accept.ctx = &w.ctx;
	w.accept.hosts = config.hosts;
	return 0;
}

static int64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int connections_open(void)
{
	return !h2o_linklist_is_empty(&w.ctx.http1._conns) || !h2o_linklist_is_empty(&w.ctx.http2._conns);
}

/* The status of the first response on the wire, or 0 when there is none to read. */
static int first_status(const char *r, size_t n)
{
	if (n < 12 || memcmp(r, "HTTP/1.", 7) != 0 || r[8] != ' ')
		return 0;
	if (r[9] < '0' || r[9] > '9' || r[10] < '0' || r[10] > '9' || r[11] < '0' || r[11] > '9')
		return 0;
	return (r[9] - '0') * 100 + (r[10] - '0') * 10 + (r[11] - '0');
}

static int b64url_or_dot(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
	       c == '_' || c == '.';
}

/* Sign in place every ".@@…@" (FUZZ_SIG_LEN '@', no more) of buf[0..n) (see the header). */
static void sign_markers(char *buf, size_t n)
{
	for (size_t i = 1; i + FUZZ_SIG_LEN <= n; i++) {
		size_t start = i - 1, k = 0;
		uint8_t mac[WC_SHA256_DIGEST_SIZE];
		char sig[FUZZ_SIG_LEN + 1];
		Hmac h;
		int ok;

		if (buf[i - 1] != '.' || buf[i] != '@')
			continue;
		while (k < FUZZ_SIG_LEN && buf[i + k] == '@')
			k++;
		if (k < FUZZ_SIG_LEN || (i + k < n && buf[i + k] == '@'))
			continue;
		while (start > 0 && b64url_or_dot(buf[start - 1]))
			start--;
		ok = wc_HmacInit(&h, NULL, INVALID_DEVID) == 0;
		ok = ok &&
		     wc_HmacSetKey(&h, WC_SHA256, (const byte *)FUZZ_LEGACY, (word32)strlen(FUZZ_LEGACY)) ==
		         0 &&
		     wc_HmacUpdate(&h, (const byte *)buf + start, (word32)(i - 1 - start)) == 0 &&
		     wc_HmacFinal(&h, mac) == 0;
		wc_HmacFree(&h);
		FUZZ_CHECK(ok && jose_b64url_encode(sig, sizeof sig, mac, sizeof mac) == FUZZ_SIG_LEN,
		           "HMAC");
		memcpy(buf + i, sig, FUZZ_SIG_LEN);
		i += FUZZ_SIG_LEN - 1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char resp[FUZZ_RESP_MAX], drop[4096];
	size_t sent = 0, got = 0;
	int sv[2], eof = 0, status;
	int64_t deadline;
	h2o_socket_t *sock;
	char *in = malloc(size ? size : 1);

	if (!in)
		return 0;
	memcpy(in, data, size);
	sign_markers(in, size);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
		perror("fuzz_router: socketpair");
		abort();
	}
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	sock = h2o_evloop_socket_create(w.ctx.loop, sv[0], H2O_SOCKET_FLAG_IS_ACCEPTED_CONNECTION);
	h2o_accept(&w.accept, sock);

	deadline = now_ms() + FUZZ_DEADLINE_MS;
	while (!eof && now_ms() < deadline) {
		if (sent < size) {
			ssize_t k = write(sv[1], in + sent, size - sent);
			if (k > 0)
				sent += (size_t)k;
			else if (k < 0 && errno != EAGAIN)
				sent = size; /* the server closed early: nothing more to say */
			if (sent == size)
				shutdown(sv[1], SHUT_WR);
		} else if (size == 0 && sent == 0) {
			shutdown(sv[1], SHUT_WR);
			sent = 1;
		}
		h2o_evloop_run(w.ctx.loop, 1);
		for (;;) {
			char *to = got < sizeof resp ? resp + got : drop;
			size_t room = got < sizeof resp ? sizeof resp - got : sizeof drop;
			ssize_t k = read(sv[1], to, room);
			if (k > 0) {
				if (got < sizeof resp)
					got += (size_t)k;
				continue;
			}
			if (k == 0 || (k < 0 && errno != EAGAIN))
				eof = 1;
			break;
		}
	}
	close(sv[1]);
	free(in);
	/* Let H2O see the close and free the connection before the next input. */
	for (int i = 0; i < 100 && connections_open(); i++)
		h2o_evloop_run(w.ctx.loop, 1);

	/* Inputs must not depend on each other: forget every revocation this one made. */
	if (revoked)
		store_revoke_purge(w.state.db, INT64_MAX);
	revoked = 0;

	status = first_status(resp, got);
	if (verbose) {
		const char *cr = memchr(resp, '\r', got);
		fprintf(stderr, "fuzz_router: wire: %.*s\n", (int)(cr ? (size_t)(cr - resp) : got), resp);
	}
	FUZZ_CHECK(status < 500, "the first response on the wire is %d", status);
	return 0;
}
