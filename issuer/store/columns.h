/*
 * columns.h: each stored row type of store.h described once, column by column:
 * the column's name, its kind, where its field lies in the struct and how big it
 * may be. Backends bind and read whole rows from these tables instead of writing
 * the same bind and read sequence out for every table, so a new column is one line
 * here (plus a migration), and a new backend reads and writes every table with one
 * pair of functions. Handlers never include this; they see store.h only.
 *
 * Conventions every backend keeps: TEXT fields are NUL-terminated char arrays of
 * at most size - 1 bytes; BLOB fields are byte arrays with a size_t length, and no
 * bytes are written as NULL; a column marked null_if_empty writes "" or 0 as NULL;
 * NULL reads back as "", no bytes or 0. A value read that does not fit its field or
 * lies outside [min, max] makes the row unreadable (STORE_CORRUPT), never cut.
 */
#ifndef ISSUER_STORE_COLUMNS_H
#define ISSUER_STORE_COLUMNS_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

enum store_col_kind {
	STORE_COL_TEXT, /* char field[size] */
	STORE_COL_BLOB, /* uint8_t field[size], its length a size_t at len_off */
	STORE_COL_INT,  /* int */
	STORE_COL_I64,  /* int64_t */
};

struct store_col {
	const char *name;
	enum store_col_kind kind;
	int null_if_empty; /* write "" (TEXT) or 0 (INT, I64) as NULL */
	size_t off;        /* offsetof the field in the row struct */
	size_t size;       /* TEXT, BLOB: sizeof the field */
	size_t len_off;    /* BLOB: offsetof its length */
	int64_t min, max;  /* INT, I64: the values a read accepts */
};

struct store_table {
	const char *name; /* for messages */
	const struct store_col *cols;
	size_t n;
	size_t row_size; /* sizeof the row struct */
};

/* The row types, their columns in the order of the backends' column lists. */
extern const struct store_table store_cols_client, store_cols_key, store_cols_code, store_cols_user,
    store_cols_session, store_cols_refresh, store_cols_flow;

/* The mail outbox's row (struct store_mail). */
extern const struct store_table store_cols_mail, store_cols_link;

/* A second factor's row (struct store_factor). */
extern const struct store_table store_cols_factor;

#endif
