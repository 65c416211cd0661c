/*
 * valid.h: the checks a row must pass before a storage backend (store_sqlite.c,
 * and any other behind the seam of store.h) writes it, so every backend refuses
 * the same values with STORE_INVALID. Handlers never include this; they see
 * store.h only.
 */
#ifndef ISSUER_STORE_VALID_H
#define ISSUER_STORE_VALID_H

#include <string.h>

#include "store/store.h"

/* A char array field holds a string only if it is NUL-terminated within it. */
#define STORE_TERMINATED(field) (memchr((field), '\0', sizeof(field)) != NULL)

/* 1 when the row may be written: every string terminated within its field,
 * required fields set, lists well-formed, lengths within the limits of store.h;
 * else 0. None of them looks at the database. */
int store_client_valid(const struct store_client *c);
int store_key_valid(const struct store_key *k);
int store_code_valid(const struct store_code *c);
int store_user_valid(const struct store_user *u);
int store_session_valid(const struct store_session *se);
int store_refresh_valid(const struct store_refresh *r);
int store_flow_valid(const struct store_flow *f);

#endif
