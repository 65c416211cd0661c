/*
 * jose.h: the JOSE core of identity-backend in one include. Portable C99; no
 * globals, no I/O, thread-safe (every object is immutable once built or owned by
 * one call). See each module's header for its rules and limits.
 */
#ifndef JOSE_H
#define JOSE_H

#include "jose_alg.h"
#include "jose_b64url.h"
#include "jose_err.h"
#include "jose_json.h"
#include "jose_jwk.h"
#include "jose_jws.h"
#include "jose_jwt.h"
#include "jose_sig.h"
#include "jose_utf8.h"

/* Constant-time equality of a[0..n) and b[0..n): 1 when equal, 0 otherwise. */
int jose_ct_equal(const void *a, const void *b, size_t n);

#endif
