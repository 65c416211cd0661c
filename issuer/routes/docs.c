/*
 * docs.c: /openapi.json and the API viewer at /docs/ (see docs.h). The description
 * is compiled in (the Makefile turns www/openapi.json into openapi_json.inc) and
 * rewritten once, under a mutex, with this issuer's URL; the viewer's files are
 * read from www/ at each request, like the demo's (static.c): a viewer installed
 * after the server started is served at once. It never serves a path a request
 * names: the four files are fixed, and anything else is a 404.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "http/response.h"
#include "http/static.h"
#include "routes/docs.h"

#include "openapi_json.inc" /* static const unsigned char openapi_json[] (NUL-terminated) */

/* The viewer's files: URL path, file below www/, content type, whether it is the page. */
static const struct {
	const char *url, *file, *type;
	int page;
} files[] = {
    {"/docs/", "docs/index.html", "text/html; charset=utf-8", 1},
    {"/docs/docs.js", "docs/docs.js", "text/javascript; charset=utf-8", 0},
    {"/docs/swagger-ui-bundle.js", "docs/node_modules/swagger-ui-dist/swagger-ui-bundle.js",
     "text/javascript; charset=utf-8", 0},
    {"/docs/swagger-ui.css", "docs/node_modules/swagger-ui-dist/swagger-ui.css", "text/css; charset=utf-8",
     0},
};

static pthread_mutex_t openapi_lock = PTHREAD_MUTEX_INITIALIZER;
static char *openapi_text; /* the rewritten description, made once; never freed */
static size_t openapi_len;

/* The member name of object o, or NULL (o NULL too). */
static cJSON *member(const cJSON *o, const char *name)
{
	return cJSON_GetObjectItemCaseSensitive(o, name);
}

/* doc's servers set to [{"url": issuer}], and /metrics's variable to host:port when set. */
static int set_servers(cJSON *doc, const server_config *cfg)
{
	cJSON *servers = cJSON_CreateArray(), *one = cJSON_CreateObject(), *mservers, *var;
	char addr[300];
	int v6 = strchr(cfg->metrics_host, ':') != NULL;

	if (!servers || !one || !cJSON_AddStringToObject(one, "url", cfg->issuer)) {
		cJSON_Delete(servers);
		cJSON_Delete(one);
		return -1;
	}
	cJSON_AddItemToArray(servers, one);
	if (!cJSON_ReplaceItemInObjectCaseSensitive(doc, "servers", servers)) {
		cJSON_Delete(servers);
		return -1;
	}
	mservers = member(member(member(doc, "paths"), "/metrics"), "servers");
	var =
	    member(member(member(cJSON_GetArrayItem(mservers, 0), "variables"), "metrics_listen"), "default");
	if (cfg->metrics_port && cJSON_IsString(var)) {
		snprintf(addr, sizeof addr, "%s%s%s:%u", v6 ? "[" : "", cfg->metrics_host, v6 ? "]" : "",
		         cfg->metrics_port);
		cJSON_SetValuestring(var, addr);
	}
	return 0;
}

/* The description for cfg (made at the first call); NULL when memory ran out. */
static const char *openapi_for(const server_config *cfg, size_t *len)
{
	cJSON *doc;

	pthread_mutex_lock(&openapi_lock);
	if (!openapi_text &&
	    (doc = cJSON_ParseWithLength((const char *)openapi_json, sizeof openapi_json - 1))) {
		if (set_servers(doc, cfg) == 0 && (openapi_text = cJSON_PrintUnformatted(doc)))
			openapi_len = strlen(openapi_text);
		cJSON_Delete(doc);
	}
	*len = openapi_len;
	pthread_mutex_unlock(&openapi_lock);
	return openapi_text;
}

/* see docs.h */
void docs_openapi(h2o_req_t *req, app_thread *t)
{
	size_t len;
	const char *text = openapi_for(t->app->cfg, &len);

	if (!text) {
		response_send_error(req, 503, "temporarily_unavailable", "out of memory; retry");
		return;
	}
	response_add_header(req, "access-control-allow-origin", "*");
	response_send_json(req, 200, text, len);
}

/* see docs.h */
void docs_redirect(h2o_req_t *req, app_thread *t)
{
	(void)t;
	/* Relative: /docs → /docs/, and under an issuer path /auth/docs → /auth/docs/. */
	h2o_send_redirect(req, 301, "Moved Permanently", H2O_STRLIT("docs/"));
}

/* The whole file www/rel (regular, at most DOCS_MAX_FILE), malloc'd; NULL when absent. */
static char *read_www(const char *rel, size_t *len)
{
	char path[PATH_MAX];
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	ssize_t n;
	int fd;

	if (!static_www()[0] || snprintf(path, sizeof path, "%s/%s", static_www(), rel) >= (int)sizeof path ||
	    (fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)) < 0)
		return NULL;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size <= DOCS_MAX_FILE &&
	    (buf = malloc((size_t)st.st_size + 1)) != NULL) {
		while (got < (size_t)st.st_size &&
		       ((n = read(fd, buf + got, (size_t)st.st_size - got)) > 0 || (n < 0 && errno == EINTR)))
			got += n > 0 ? (size_t)n : 0;
		if (got != (size_t)st.st_size) { /* changed while we read: not now */
			free(buf);
			buf = NULL;
		}
	}
	close(fd);
	*len = got;
	return buf;
}

static void send_file(h2o_req_t *req, const char *type, int page, const char *body, size_t len)
{
	req->res.status = 200;
	req->res.reason = "OK";
	response_add_header(req, "content-type", type);
	response_add_header(req, "cache-control", "no-cache");
	response_add_header(req, "x-content-type-options", "nosniff");
	response_add_header(req, "referrer-policy", "no-referrer");
	response_add_header(req, "cross-origin-resource-policy", "same-origin");
	if (page) {
		response_add_header(req, "content-security-policy", DOCS_CSP);
		response_add_header(req, "x-frame-options", "DENY");
		response_add_header(req, "cross-origin-opener-policy", "same-origin");
	}
	req->res.content_length = len;
	h2o_send_inline(req, body, len);
}

/* see docs.h */
void docs_file(h2o_req_t *req, app_thread *t)
{
	h2o_iovec_t p = req->path_normalized;
	size_t len = 0;
	char *body = NULL;

	(void)t;
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		if (p.len != strlen(files[i].url) || memcmp(p.base, files[i].url, p.len) != 0)
			continue;
		if ((body = read_www(files[i].file, &len)) != NULL) {
			send_file(req, files[i].type, files[i].page, body, len);
			free(body);
			return;
		}
		break;
	}
	response_send_error(req, 404, "not_found",
	                    "the API viewer is not installed here (scripts/setup.sh installs it); "
	                    "the description is at /openapi.json");
}
