/*
 * static.h: the demo app's static files at /demo/ (www/demo/), the token
 * inspector at /inspect/ (www/inspect/), and the WASM verifier package at
 * verifier/ below each (two files from verifier-wasm/, mapped in place: never
 * copied). Only GET and HEAD, only regular files with a known
 * extension that really lie under the folder; no listings; every other request
 * under those prefixes is a JSON 404 like any unknown path.
 *
 * Where the files are: WWW_DIR (the folder holding demo/), else the first
 * www/ with a demo/ inside found walking up from the binary's own folder
 * (build/bin/identity-backend → ../../www; installed, bin/identity-backend →
 * ../share/identity-backend/www). The verifier package: VERIFIER_DIR,
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
 * Find the folders (once, before the loops start): www (WWW_DIR; NULL or "": the
 * first www/ with a demo/ inside above the binary) and pkg (VERIFIER_DIR; NULL or
 * "": verifier-wasm/ next to that www/). Never fails: a folder not found is one
 * warning given to warn (which may be NULL: none), and what it would serve answers 404.
 */
void static_init(const char *www, const char *pkg, void (*warn)(const char *what));

/* The real path of the www/ folder static_init found (WWW_DIR or above the
 * binary), "" when none: other pages served from it (the API viewer) look there. */
const char *static_www(void);

/* Answer req when its path is /demo, /inspect, under /demo/ or /inspect/, or
 * /favicon.ico; 1 when answered, 0 when not ours. */
int static_serve(h2o_req_t *req);

#endif
