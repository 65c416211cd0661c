/*
 * docs.h: the API's description and its viewer. /openapi.json is this server's
 * OpenAPI 3.1 description (www/openapi.json, compiled into the binary, so it is
 * the repository's file byte for byte except that its servers name this issuer).
 * /docs/ is Swagger UI rendering it: the page and its starter script from
 * www/docs/, the viewer's two files from the swagger-ui-dist npm package that
 * scripts/setup.sh installs under www/docs/node_modules/ (never committed). The
 * page runs under a strict CSP: scripts and styles from this origin only, none
 * inline, no eval. Without www/ or without the package, /docs/ answers 404 and
 * /openapi.json still works.
 */
#ifndef ISSUER_DOCS_H
#define ISSUER_DOCS_H

#include <h2o.h>

#include "runtime/app.h"

/* Largest viewer file read (swagger-ui-bundle.js is about 1.7 MB). */
#ifndef DOCS_MAX_FILE
#define DOCS_MAX_FILE (8 << 20)
#endif

/* The policy of the viewer's page. */
#define DOCS_CSP                                                                                             \
	"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "                    \
	"connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

/* GET /openapi.json: the description, its servers set to the issuer's URL (and
 * /metrics's to METRICS_LISTEN when set); 503 when memory ran out. */
void docs_openapi(h2o_req_t *req, app_thread *t);

/* GET /docs: 301 to /docs/ (under the issuer's path, if it has one). */
void docs_redirect(h2o_req_t *req, app_thread *t);

/* GET /docs/ and its files (/docs/docs.js, /docs/swagger-ui-bundle.js,
 * /docs/swagger-ui.css): the file, or a JSON 404 when it is not there. */
void docs_file(h2o_req_t *req, app_thread *t);

#endif
