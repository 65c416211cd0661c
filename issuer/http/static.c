/*
 * static.c: serves the demo app (www/demo/) at /demo/, the token inspector
 * (www/inspect/) at /inspect/, and to each the two files of the WASM verifier
 * package at verifier/ below it (see static.h). It must never serve
 * a byte from outside those folders: the request path is checked against a
 * strict character set with no dot segments (h2o has already normalised it),
 * the folder's files are opened without following a final symlink and the
 * file really opened (/proc/self/fd) must lie inside the folder's real path,
 * and only regular files with an allowlisted extension are sent. Anything else
 * is the same JSON 404 as an unknown path, never a listing and never a hint of
 * what exists. Files are read on the loop thread: they are few, small and in
 * the page cache; a big or slow tree does not belong here. /favicon.ico, which
 * browsers fetch on every issuer page, is the demo's favicon.svg.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "http/response.h"
#include "http/static.h"

/* Longest path below a site's prefix we look at; ours are far shorter. */
#define REL_MAX 200

/* A policy the demo's pages satisfy: no inline script or style, fetches to this origin only. */
#define DEMO_CSP                                                                                             \
	"default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; "                       \
	"img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "                     \
	"form-action 'self'; frame-ancestors 'none'"
/* The inspector's: the same, but it fetches a key set from any URL its user types. */
#define INSPECT_CSP                                                                                          \
	"default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; "                       \
	"img-src 'self' data:; connect-src 'self' https: http:; object-src 'none'; base-uri 'none'; "        \
	"form-action 'self'; frame-ancestors 'none'"

/* The folders served: URL prefix, folder below www/, the policy of its active documents. */
static struct site {
	const char *prefix, *sub, *csp;
	char dir[PATH_MAX]; /* real path of www/<sub>, "" when absent: the site is off */
} sites[] = {
    {"/demo/", "demo", DEMO_CSP, ""},
    {"/inspect/", "inspect", INSPECT_CSP, ""},
};
#define N_SITES (sizeof sites / sizeof sites[0])

static char pkg_dir[PATH_MAX];  /* real path of verifier-wasm/, "" when not found */
static char www_root[PATH_MAX]; /* real path of www/, "" when not found */

/* The verifier package's files, by their path below a site's prefix, relative to pkg_dir. */
static const struct {
	const char *url, *file;
} package[] = {
    {"verifier/index.js", "index.js"},
    {"verifier/dist/verifier.wasm", "dist/verifier.wasm"},
};

static const struct {
	const char *ext, *type;
	int active; /* a document that could run script: gets the CSP and frame headers */
} types[] = {
    {".html", "text/html; charset=utf-8", 1},
    {".js", "text/javascript; charset=utf-8", 0},
    {".mjs", "text/javascript; charset=utf-8", 0},
    {".css", "text/css; charset=utf-8", 0},
    {".wasm", "application/wasm", 0},
    {".svg", "image/svg+xml", 1},
    {".json", "application/json", 0},
    {".png", "image/png", 0},
    {".ico", "image/x-icon", 0},
    {".txt", "text/plain; charset=utf-8", 0},
};

/* realpath(dir/sub) into out when it is a directory; 0, or -1. */
static int real_dir(const char *dir, const char *sub, char out[PATH_MAX])
{
	char path[PATH_MAX];
	struct stat st;

	if (snprintf(path, sizeof path, "%s/%s", dir, sub) >= (int)sizeof path || !realpath(path, out) ||
	    stat(out, &st) || !S_ISDIR(st.st_mode)) {
		out[0] = '\0';
		return -1;
	}
	return 0;
}

/* The www/ holding demo/ found walking up from the binary's folder: the source tree's
 * (build/bin/ → www/) or an installed one (bin/ → share/identity-backend/www/); 0, or -1. */
static int find_www(char out[PATH_MAX])
{
	static const char *const www[] = {"www", "share/identity-backend/www"};
	char dir[PATH_MAX], demo[PATH_MAX], sub[64];
	ssize_t n = readlink("/proc/self/exe", dir, sizeof dir - 1);
	char *slash;

	if (n <= 0)
		return -1;
	dir[n] = '\0';
	for (int up = 0; up <= STATIC_MAX_UP && (slash = strrchr(dir, '/')) != NULL; up++) {
		*slash = '\0'; /* from the binary's path to its folder, then one up each round */
		for (size_t i = 0; i < sizeof www / sizeof www[0]; i++) {
			snprintf(sub, sizeof sub, "%s/demo", www[i]);
			if (real_dir(dir[0] ? dir : "/", sub, demo) == 0)
				return real_dir(dir[0] ? dir : "/", www[i], out);
		}
	}
	return -1;
}

static void (*warn_fn)(const char *what);

static void warn(const char *what)
{
	if (warn_fn)
		warn_fn(what);
}

/* see static.h */
void static_init(const char *www, const char *pkg, void (*warn_with)(const char *what))
{
	char www_dir[PATH_MAX], path[PATH_MAX];

	warn_fn = warn_with;
	www_dir[0] = pkg_dir[0] = www_root[0] = '\0';
	for (size_t i = 0; i < N_SITES; i++)
		sites[i].dir[0] = '\0';
	if (www && *www ? real_dir(www, ".", www_dir) : find_www(www_dir)) {
		warn(www && *www
		         ? "WWW_DIR is not a folder: /demo/ and /inspect/ are off"
		         : "no www/demo found above the binary (set WWW_DIR): /demo/ and /inspect/ are off");
		return;
	}
	snprintf(www_root, sizeof www_root, "%s", www_dir);
	for (size_t i = 0; i < N_SITES; i++)
		if (real_dir(www_dir, sites[i].sub, sites[i].dir)) {
			snprintf(path, sizeof path, "WWW_DIR has no %s/ folder: %s is off", sites[i].sub,
			         sites[i].prefix);
			warn(path);
		}
	if (pkg && *pkg ? real_dir(pkg, ".", pkg_dir) : real_dir(www_dir, "../verifier-wasm", pkg_dir))
		warn("no verifier-wasm/ found (set VERIFIER_DIR): the demo and the inspector cannot verify "
		     "tokens");
	else if (snprintf(path, sizeof path, "%s/dist/verifier.wasm", pkg_dir) < (int)sizeof path &&
	         access(path, R_OK))
		warn("verifier-wasm/dist/verifier.wasm is not built yet (make wasm): the demo and the "
		     "inspector cannot verify tokens until it is");
}

/* see static.h */
const char *static_www(void)
{
	return www_root;
}

/* Only [A-Za-z0-9_.-] in segments split by single slashes, none starting with a dot. */
static int safe_rel(const char *rel, size_t len)
{
	if (len == 0 || len > REL_MAX || rel[len - 1] == '/')
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = rel[i];
		int start = i == 0 || rel[i - 1] == '/';

		if (start && (c == '.' || c == '/'))
			return 0;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-' || c == '.' || c == '/'))
			return 0;
	}
	return 1;
}

/* The type entry for rel's extension, or -1 when it is not one we serve. */
static int type_of(const char *rel)
{
	const char *dot = strrchr(rel, '.');

	for (size_t i = 0; dot && i < sizeof types / sizeof types[0]; i++)
		if (strcmp(dot, types[i].ext) == 0)
			return (int)i;
	return -1;
}

/* The file for rel (already checked safe) of site into path, and the folder it must lie in; 0, or -1. */
static int locate(const struct site *site, const char *rel, char path[PATH_MAX], const char **root)
{
	for (size_t i = 0; i < sizeof package / sizeof package[0]; i++)
		if (strcmp(rel, package[i].url) == 0) {
			*root = pkg_dir;
			return pkg_dir[0] &&
			               snprintf(path, PATH_MAX, "%s/%s", pkg_dir, package[i].file) < PATH_MAX
			           ? 0
			           : -1;
		}
	if (strncmp(rel, "verifier/", 9) == 0) /* the package's other files are not published */
		return -1;
	*root = site->dir;
	return snprintf(path, PATH_MAX, "%s/%s", site->dir, rel) < PATH_MAX ? 0 : -1;
}

/* Whether the open file fd really lies below root (symlinks resolved by the kernel). */
static int inside(int fd, const char *root)
{
	char link[64], real[PATH_MAX];
	size_t n = strlen(root);
	ssize_t len;

	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	if ((len = readlink(link, real, sizeof real - 1)) <= 0)
		return 0;
	real[len] = '\0';
	return strncmp(real, root, n) == 0 && real[n] == '/';
}

/* The whole file at path (regular, below root, at most STATIC_MAX_FILE); malloc'd, or NULL. */
static char *read_file(const char *path, const char *root, size_t *len)
{
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size > STATIC_MAX_FILE || !inside(fd, root))
		goto out;
	if (!(buf = malloc((size_t)st.st_size + 1)))
		goto out;
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	if (got != (size_t)st.st_size) { /* shrank while we read: try again next time */
		free(buf);
		buf = NULL;
	}
	*len = got;
out:
	close(fd);
	return buf;
}

static void send_file(h2o_req_t *req, const struct site *site, int type, const char *body, size_t len)
{
	req->res.status = 200;
	req->res.reason = "OK";
	h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, types[type].type,
	               strlen(types[type].type));
	h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL, H2O_STRLIT("no-cache"));
	response_add_header(req, "x-content-type-options", "nosniff");
	response_add_header(req, "referrer-policy", "no-referrer");
	response_add_header(req, "cross-origin-resource-policy", "same-origin");
	if (types[type].active) {
		response_add_header(req, "content-security-policy", site->csp);
		response_add_header(req, "x-frame-options", "DENY");
		response_add_header(req, "cross-origin-opener-policy", "same-origin");
	}
	req->res.content_length = len;
	h2o_send_inline(req, body, len);
}

static int is(h2o_iovec_t v, const char *s)
{
	size_t n = strlen(s);

	return v.len == n && memcmp(v.base, s, n) == 0;
}

/* The site whose prefix starts p, or whose prefix is p and a slash (*bare set), or NULL. */
static const struct site *site_of(h2o_iovec_t p, int *bare)
{
	for (size_t i = 0; i < N_SITES; i++) {
		size_t n = strlen(sites[i].prefix);
		*bare = p.len == n - 1 && memcmp(p.base, sites[i].prefix, n - 1) == 0;
		if (*bare || (p.len >= n && memcmp(p.base, sites[i].prefix, n) == 0))
			return &sites[i];
	}
	return NULL;
}

/* see static.h */
int static_serve(h2o_req_t *req)
{
	h2o_iovec_t p = req->path_normalized;
	char rel[REL_MAX + 1], path[PATH_MAX], *body;
	const char *root = NULL;
	const struct site *site;
	size_t len = 0, plen;
	int type, bare;

	if (is(p, "/favicon.ico")) /* browsers ask on every page of the issuer: the demo's icon */
		p = h2o_iovec_init(H2O_STRLIT("/demo/favicon.svg"));
	if (!(site = site_of(p, &bare)))
		return 0;
	if (bare) {
		h2o_send_redirect(req, 301, "Moved Permanently", site->prefix, strlen(site->prefix));
		return 1;
	}
	if (!is(req->method, "GET") && !is(req->method, "HEAD")) {
		response_add_header(req, "allow", "GET, HEAD");
		response_send_error(req, 405, "method_not_allowed",
		                    "this endpoint does not take that method");
		return 1;
	}
	plen = strlen(site->prefix);
	len = p.len - plen;
	if (len == 0) /* the folder's index; no other folder has one */
		len = (size_t)snprintf(rel, sizeof rel, "index.html");
	else if (len <= REL_MAX)
		memcpy(rel, p.base + plen, len), rel[len] = '\0';
	if (!site->dir[0] || len > REL_MAX || memchr(rel, '\0', len) || !safe_rel(rel, len) ||
	    (type = type_of(rel)) < 0 || locate(site, rel, path, &root) ||
	    !(body = read_file(path, root, &len))) {
		response_send_error(req, 404, "not_found", "no such endpoint");
		return 1;
	}
	send_file(req, site, type, body, len);
	free(body);
	return 1;
}
