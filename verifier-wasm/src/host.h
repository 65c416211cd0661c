/*
 * host.h: the signature backend of the WebAssembly module that asks the
 * JavaScript host's crypto library (see host.c). Built into both modules; the
 * full one (IDB_WASM_CRYPTO) also has jose_sig_wolfcrypt to fall back on.
 */
#ifndef IDB_HOST_H
#define IDB_HOST_H

#include "jose.h"

/* The host backend: keys loaded into the host once, arithmetic done there. */
extern const jose_sig_ops idb_sig_host;

#ifdef IDB_WASM_CRYPTO
/* wolfCrypt's, with the signature arithmetic deferrable to WebCrypto (see defer.c). */
extern const jose_sig_ops idb_sig_defer;
#endif

#endif
