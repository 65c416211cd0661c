/*
 * static.h: the demo app's static files at /demo/ (www/demo/) and the WASM
 * verifier package at /demo/verifier/ (two files from verifier-wasm/, mapped
 * in place: never copied). Only GET and HEAD, only regular files with a known
 * extension that really lie under the folder; no listings; every other request
 * under /demo/ is a JSON 404 like any unknown path.
 *
 * Where the files are: WWW_DIR (the folder holding demo/), else the first
 * www/ with a demo/ inside found walking up from the binary's own folder
 * (build/bin/identity-backend → ../../www). The verifier package: VERIFIER_DIR,
 * else verifier-wasm/ next to that www/.
 */
#ifndef ISSUER_STATIC_H
#define ISSUER_STATIC_H

#include <h2o.h>

/* Largest file served, bytes (the WASM module is about 230 KiB). */
#ifndef STATIC_MAX_FILE
#define STATIC_MAX_FILE (4 << 20)
#endif
/* Folders searched above the binary's own for www/demo (build/san/bin needs 3). */
#ifndef STATIC_MAX_UP
#define STATIC_MAX_UP 4
#endif

/*
 * Find the folders (once, before the loops start). Never fails: when www/demo
 * is not found it logs one warning line on stderr and /demo/ answers 404.
 */
void static_init(void);

/* The www/ folder found by static_init (real path), or NULL. */
const char *static_www_dir(void);

/* Answer req when its path is /demo, under /demo/ or /favicon.ico; 1 when answered, 0 when not ours. */
int static_serve(h2o_req_t *req);

#endif
