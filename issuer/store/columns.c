/*
 * columns.c: the column tables of every stored row type (see columns.h). The
 * order of each table is the order of the backend's column list for that row
 * (tests compare the two); the sizes come from the struct fields themselves.
 */
#include <limits.h>
#include <stddef.h>

#include "store/columns.h"

/* clang-format off */
#define TEXT(type, field, null) {.name = #field, .kind = STORE_COL_TEXT, .null_if_empty = null, \
	.off = offsetof(type, field), .size = sizeof(((type *)0)->field)}
#define BLOB(type, field, len) {.name = #field, .kind = STORE_COL_BLOB, .null_if_empty = 1, \
	.off = offsetof(type, field), .size = sizeof(((type *)0)->field), .len_off = offsetof(type, len)}
#define INT(type, field, lo, hi) {.name = #field, .kind = STORE_COL_INT, \
	.off = offsetof(type, field), .min = (lo), .max = (hi)}
#define I64(type, field, null) {.name = #field, .kind = STORE_COL_I64, .null_if_empty = null, \
	.off = offsetof(type, field), .min = INT64_MIN, .max = INT64_MAX}
#define TABLE(var, label, type, cols) \
	const struct store_table var = {label, cols, sizeof cols / sizeof cols[0], sizeof(type)}
/* clang-format on */

#define C struct store_client
static const struct store_col client_cols[] = {
    TEXT(C, id, 0),
    BLOB(C, secret_hash, secret_hash_len),
    BLOB(C, secret_salt, secret_salt_len),
    INT(C, is_public, 0, 1),
    INT(C, needs_consent, 0, 1),
    TEXT(C, grants, 0),
    TEXT(C, redirect_uris, 0),
    TEXT(C, audiences, 0),
    TEXT(C, scope, 0),
    TEXT(C, subjects, 0),
    I64(C, created_at, 0),
    TEXT(C, post_logout_uris, 0),
    TEXT(C, id_token_alg, 0),
    TEXT(C, name, 0),
    TEXT(C, logo_uri, 0),
    BLOB(C, prev_hash, prev_hash_len),
    BLOB(C, prev_salt, prev_salt_len),
    I64(C, prev_until, 0),
    INT(C, require_mfa, 0, 1),
};
TABLE(store_cols_client, "client", C, client_cols);
#undef C

#define K struct store_key
static const struct store_col key_cols[] = {
    TEXT(K, kid, 0),       TEXT(K, alg, 0),       BLOB(K, private_der, private_der_len),
    I64(K, created_at, 0), I64(K, not_before, 0), I64(K, retired_at, 1),
    I64(K, expires_at, 1),
};
TABLE(store_cols_key, "key", K, key_cols);
#undef K

#define A struct store_code
static const struct store_col code_cols[] = {
    BLOB(A, code_hash, code_hash_len),
    TEXT(A, client_id, 0),
    TEXT(A, user_id, 0),
    TEXT(A, redirect_uri, 0),
    TEXT(A, scope, 0),
    TEXT(A, nonce, 0),
    TEXT(A, code_challenge, 0),
    TEXT(A, code_challenge_method, 0),
    I64(A, auth_time, 0),
    I64(A, expires_at, 0),
    BLOB(A, session_hash, session_hash_len),
    TEXT(A, amr, 0),
};
TABLE(store_cols_code, "code", A, code_cols);
#undef A

#define U struct store_user
static const struct store_col user_cols[] = {
    TEXT(U, id, 0),
    TEXT(U, username, 0),
    TEXT(U, email, 1),
    TEXT(U, password_hash, 0),
    I64(U, created_at, 0),
    TEXT(U, name, 0),
    INT(U, email_verified, 0, 1),
    INT(U, disabled, 0, 1),
    TEXT(U, groups, 0),
    INT(U, verify_required, 0, 1),
};
TABLE(store_cols_user, "user", U, user_cols);
#undef U

#define S struct store_session
static const struct store_col session_cols[] = {
    BLOB(S, id_hash, id_hash_len), TEXT(S, user_id, 0), I64(S, auth_time, 0),
    I64(S, expires_at, 0),         TEXT(S, amr, 0),
};
TABLE(store_cols_session, "session", S, session_cols);
#undef S

#define R struct store_refresh
static const struct store_col refresh_cols[] = {
    /* the column is named for what it holds; the field is just "hash" */
    {.name = "token_hash",
     .kind = STORE_COL_BLOB,
     .null_if_empty = 1,
     .off = offsetof(R, hash),
     .size = sizeof(((R *)0)->hash),
     .len_off = offsetof(R, hash_len)},
    TEXT(R, family_id, 0),
    TEXT(R, client_id, 0),
    TEXT(R, user_id, 0),
    TEXT(R, scope, 0),
    I64(R, auth_time, 0),
    I64(R, created_at, 0),
    I64(R, expires_at, 0),
    BLOB(R, session_hash, session_hash_len),
    TEXT(R, amr, 0),
};
TABLE(store_cols_refresh, "refresh token", R, refresh_cols);
#undef R

#define F struct store_flow
static const struct store_col flow_cols[] = {
    BLOB(F, id_hash, id_hash_len),
    BLOB(F, csrf_hash, csrf_hash_len),
    BLOB(F, browser_hash, browser_hash_len),
    TEXT(F, client_id, 0),
    TEXT(F, redirect_uri, 0),
    TEXT(F, scope, 0),
    TEXT(F, state, 0),
    TEXT(F, nonce, 0),
    TEXT(F, code_challenge, 0),
    TEXT(F, code_challenge_method, 0),
    INT(F, prompt, 0, STORE_PROMPT_LOGIN | STORE_PROMPT_CONSENT),
    I64(F, max_age, 0),
    TEXT(F, user_id, 1),
    I64(F, auth_time, 0),
    I64(F, created_at, 0),
    I64(F, expires_at, 0),
    TEXT(F, amr, 0),
    INT(F, mfa_pending, 0, 1),
};
TABLE(store_cols_flow, "login flow", F, flow_cols);
#undef F

#define M struct store_mail
static const struct store_col mail_cols[] = {
    TEXT(M, id, 0),
    TEXT(M, kind, 0),
    TEXT(M, sender, 0),
    TEXT(M, rcpt, 0),
    TEXT(M, message, 0),
    INT(M, state, STORE_MAIL_QUEUED, STORE_MAIL_FAILED),
    INT(M, attempts, 0, INT_MAX),
    I64(M, created_at, 0),
    I64(M, next_at, 0),
    I64(M, lease_until, 0),
    I64(M, done_at, 0),
    TEXT(M, last_error, 0),
};
TABLE(store_cols_mail, "mail", M, mail_cols);
#undef M

#define L struct store_link
static const struct store_col link_cols[] = {
    BLOB(L, hash, hash_len), TEXT(L, kind, 0),      TEXT(L, user_id, 1),
    TEXT(L, email, 0),       I64(L, created_at, 0), I64(L, expires_at, 0),
};
TABLE(store_cols_link, "link", L, link_cols);
#undef L

#define G struct store_factor
static const struct store_col factor_cols[] = {
    TEXT(G, id, 0),
    TEXT(G, user_id, 0),
    TEXT(G, kind, 0),
    TEXT(G, name, 0),
    BLOB(G, cred_id, cred_id_len),
    BLOB(G, data, data_len),
    {.name = "counter", .kind = STORE_COL_I64, .off = offsetof(G, counter), .min = 0, .max = INT64_MAX},
    INT(G, confirmed, 0, 1),
    I64(G, created_at, 0),
    I64(G, last_used_at, 0),
};
TABLE(store_cols_factor, "factor", G, factor_cols);
#undef G
