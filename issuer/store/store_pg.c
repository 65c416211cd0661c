/*
 * store_pg.c: the PostgreSQL backend of the storage seam (store.h), through
 * libpq. One `store` is one connection, used by one thread, like SQLite's.
 *
 * Every round trip is bounded: queries go out with libpq's asynchronous calls
 * and the answer is awaited with poll() for at most the store's timeout
 * (STORE_PG_TIMEOUT_MS, or store_pg_set_timeout), so a stopped or unreachable
 * server makes a call fail with STORE_BUSY in bounded time instead of holding
 * its thread. A connection that timed out or broke is dropped and opened anew
 * (the same URL, so a multi-host URL finds the new primary) on the next call;
 * a transaction it held is lost, and the calls of that transaction fail until
 * tx_end.
 *
 * Single use without locks of our own: a code is taken by one UPDATE ...
 * RETURNING (concurrent takers queue on the row lock and find it used), a flow
 * by one DELETE ... RETURNING, a refresh rotation reads its token FOR UPDATE
 * inside a transaction, and a deadlock or serialization failure (SQLSTATE
 * 40P01, 40001) retries the rotation. The SQL sticks to what CockroachDB and
 * YugabyteDB also speak: no advisory locks, no LISTEN, no server-side code.
 *
 * It must never print or store the connection URL's password: messages come
 * from the server or libpq (which do not repeat it), and the URL kept for
 * reconnecting is wiped when the store closes.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <libpq-fe.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/columns.h"
#include "store/store.h"
#include "store/valid.h"

/* After the server failed to answer in time, a connection waits this long (ms, doubling
 * with each further timeout up to the maximum) before trying it again, and fails at
 * once meanwhile: a stalled database costs a thread one wait per period, not one per
 * request. A refused connection (nothing listening) costs nothing and is retried at once. */
#ifndef STORE_PG_BACKOFF_MS
#define STORE_PG_BACKOFF_MS 500
#endif
#ifndef STORE_PG_BACKOFF_MAX_MS
#define STORE_PG_BACKOFF_MAX_MS 8000
#endif
/* Tries of a refresh rotation that lost a deadlock or serialization race. */
#ifndef STORE_PG_RETRIES
#define STORE_PG_RETRIES 5
#endif
/* Parameters of one statement, at most (clients and login flows have 18 columns;
 * pp_row and raw_put check). */
#define PG_MAX_PARAMS 24
/* The application name in idb_schema: a database without it is not ours. */
#define PG_APP "identity-backend"

/* ASCII-only case folding, as SQLite's NOCASE: usernames are unique in any ASCII case. */
#define PG_FOLD(x) "translate(" x ", 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')"

/*
 * The schema, one entry per version: migrations[i] takes version i to i+1, in
 * one transaction with the version row. Append only. The same tables and
 * columns as the SQLite backend's (so `store copy` and the contract tests see
 * one shape); every integer is BIGINT, hashes are BYTEA.
 */
static const char *const pg_migrations[] = {
    "CREATE TABLE idb_schema (app TEXT PRIMARY KEY, version BIGINT NOT NULL);\n"
    "CREATE TABLE clients (\n"
    "  id TEXT PRIMARY KEY, secret_hash BYTEA, secret_salt BYTEA,\n"
    "  is_public BIGINT NOT NULL DEFAULT 0 CHECK (is_public IN (0, 1)),\n"
    "  grants TEXT NOT NULL DEFAULT '', redirect_uris TEXT NOT NULL DEFAULT '',\n"
    "  audiences TEXT NOT NULL DEFAULT '', scope TEXT NOT NULL DEFAULT '',\n"
    "  subjects TEXT NOT NULL DEFAULT '',\n"
    "  needs_consent BIGINT NOT NULL DEFAULT 0 CHECK (needs_consent IN (0, 1)),\n"
    "  created_at BIGINT NOT NULL,\n"
    "  post_logout_uris TEXT NOT NULL DEFAULT '', id_token_alg TEXT NOT NULL DEFAULT '',\n"
    "  CHECK ((is_public = 1) = (secret_hash IS NULL)));\n"
    "CREATE TABLE signing_keys (\n"
    "  seq BIGSERIAL NOT NULL UNIQUE,\n" /* insertion order, for keys made in one second */
    "  kid TEXT PRIMARY KEY, alg TEXT NOT NULL, private_der BYTEA NOT NULL,\n"
    "  created_at BIGINT NOT NULL, not_before BIGINT NOT NULL, retired_at BIGINT, expires_at BIGINT,\n"
    "  CHECK (expires_at IS NULL OR retired_at IS NOT NULL AND expires_at >= retired_at));\n"
    "CREATE INDEX signing_keys_created ON signing_keys (created_at);\n"
    "CREATE TABLE revoked_tokens (jti TEXT PRIMARY KEY, expires_at BIGINT NOT NULL);\n"
    "CREATE INDEX revoked_tokens_expires ON revoked_tokens (expires_at);\n"
    "CREATE TABLE users (\n"
    "  id TEXT PRIMARY KEY, username TEXT NOT NULL, email TEXT, password_hash TEXT NOT NULL,\n"
    "  created_at BIGINT NOT NULL, failed_logins BIGINT NOT NULL DEFAULT 0,\n"
    "  locked_until BIGINT NOT NULL DEFAULT 0);\n"
    "CREATE UNIQUE INDEX users_username_nocase ON users (" PG_FOLD(
        "username") ");\n"
                    "CREATE TABLE sessions (\n"
                    "  id_hash BYTEA PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users (id) ON DELETE "
                    "CASCADE,\n"
                    "  auth_time BIGINT NOT NULL, expires_at BIGINT NOT NULL);\n"
                    "CREATE INDEX sessions_user ON sessions (user_id);\n"
                    "CREATE INDEX sessions_expires ON sessions (expires_at);\n"
                    "CREATE TABLE auth_codes (\n"
                    "  code_hash BYTEA PRIMARY KEY,\n"
                    "  client_id TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,\n"
                    "  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,\n"
                    "  redirect_uri TEXT NOT NULL, scope TEXT NOT NULL, nonce TEXT NOT NULL DEFAULT '',\n"
                    "  code_challenge TEXT NOT NULL, code_challenge_method TEXT NOT NULL,\n"
                    "  auth_time BIGINT NOT NULL, expires_at BIGINT NOT NULL,\n"
                    "  used BIGINT NOT NULL DEFAULT 0 CHECK (used IN (0, 1)));\n"
                    "CREATE INDEX auth_codes_client ON auth_codes (client_id);\n"
                    "CREATE INDEX auth_codes_user ON auth_codes (user_id);\n"
                    "CREATE INDEX auth_codes_expires ON auth_codes (expires_at);\n"
                    "CREATE TABLE refresh_tokens (\n"
                    "  token_hash BYTEA PRIMARY KEY, family_id TEXT NOT NULL,\n"
                    "  client_id TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,\n"
                    "  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,\n"
                    "  scope TEXT NOT NULL, auth_time BIGINT NOT NULL, created_at BIGINT NOT NULL,\n"
                    "  expires_at BIGINT NOT NULL,\n"
                    "  used BIGINT NOT NULL DEFAULT 0 CHECK (used IN (0, 1)),\n"
                    "  revoked BIGINT NOT NULL DEFAULT 0 CHECK (revoked IN (0, 1)),\n"
                    "  used_at BIGINT NOT NULL DEFAULT 0, replaced_by BYTEA);\n"
                    "CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);\n"
                    "CREATE INDEX refresh_tokens_client ON refresh_tokens (client_id);\n"
                    "CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);\n"
                    "CREATE INDEX refresh_tokens_expires ON refresh_tokens (expires_at);\n"
                    "CREATE TABLE login_flows (\n"
                    "  id_hash BYTEA PRIMARY KEY, csrf_hash BYTEA NOT NULL, browser_hash BYTEA NOT NULL,\n"
                    "  client_id TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,\n"
                    "  redirect_uri TEXT NOT NULL, scope TEXT NOT NULL, state TEXT NOT NULL DEFAULT '',\n"
                    "  nonce TEXT NOT NULL DEFAULT '', code_challenge TEXT NOT NULL,\n"
                    "  code_challenge_method TEXT NOT NULL,\n"
                    "  prompt BIGINT NOT NULL DEFAULT 0 CHECK (prompt BETWEEN 0 AND 3),\n"
                    "  max_age BIGINT NOT NULL DEFAULT -1 CHECK (max_age >= -1),\n"
                    "  user_id TEXT REFERENCES users (id) ON DELETE CASCADE,\n"
                    "  auth_time BIGINT NOT NULL DEFAULT 0, created_at BIGINT NOT NULL,\n"
                    "  expires_at BIGINT NOT NULL);\n"
                    "CREATE INDEX login_flows_client ON login_flows (client_id);\n"
                    "CREATE INDEX login_flows_user ON login_flows (user_id);\n"
                    "CREATE INDEX login_flows_expires ON login_flows (expires_at);\n"
                    "CREATE TABLE consents (\n"
                    "  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,\n"
                    "  client_id TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,\n"
                    "  scope TEXT NOT NULL, granted_at BIGINT NOT NULL, PRIMARY KEY (user_id, client_id));\n"
                    "CREATE INDEX consents_client ON consents (client_id);\n"
                    "INSERT INTO idb_schema (app, version) VALUES ('" PG_APP "', 0);\n",
    /* 2: sign-in attempts are counted by username, known or not, when they are
     * submitted (store.h login_admit); users.failed_logins and locked_until are
     * read no more, and a lock in force moves over. */
    "CREATE TABLE login_attempts (\n"
    "  name TEXT PRIMARY KEY, attempts BIGINT NOT NULL CHECK (attempts >= 0),\n"
    "  since BIGINT NOT NULL, locked_until BIGINT NOT NULL DEFAULT 0);\n"
    "INSERT INTO login_attempts (name, attempts, since, locked_until)\n"
    "  SELECT " PG_FOLD(
        "username") ", LEAST(failed_logins, 2147483647), created_at, locked_until FROM users\n"
                    "  WHERE locked_until > 0;\n"
                    "UPDATE users SET failed_logins = 0, locked_until = 0;\n"
                    "ALTER TABLE auth_codes ADD COLUMN session_hash BYTEA;\n"
                    "ALTER TABLE refresh_tokens ADD COLUMN session_hash BYTEA;\n"
                    "CREATE INDEX refresh_tokens_session ON refresh_tokens (session_hash) WHERE session_hash "
                    "IS NOT NULL;\n",
    /* 3: account lifecycle (as SQLite's 6). */
    "ALTER TABLE users ADD COLUMN name TEXT NOT NULL DEFAULT '';\n"
    "ALTER TABLE users ADD COLUMN email_verified BIGINT NOT NULL DEFAULT 0 CHECK (email_verified IN (0, "
    "1));\n"
    "ALTER TABLE users ADD COLUMN disabled BIGINT NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1));\n"
    "ALTER TABLE users ADD COLUMN groups TEXT NOT NULL DEFAULT '';\n"
    "ALTER TABLE clients ADD COLUMN name TEXT NOT NULL DEFAULT '';\n"
    "ALTER TABLE clients ADD COLUMN logo_uri TEXT NOT NULL DEFAULT '';\n"
    "ALTER TABLE clients ADD COLUMN prev_hash BYTEA;\n"
    "ALTER TABLE clients ADD COLUMN prev_salt BYTEA;\n"
    "ALTER TABLE clients ADD COLUMN prev_until BIGINT NOT NULL DEFAULT 0;\n"
    "ALTER TABLE users ADD COLUMN verify_required BIGINT NOT NULL DEFAULT 0 CHECK (verify_required IN (0, "
    "1));\n"
    "CREATE INDEX users_email ON users (" PG_FOLD(
        "email") ");\n"
                 "CREATE TABLE account_links (\n"
                 "  hash BYTEA PRIMARY KEY, kind TEXT NOT NULL,\n"
                 "  user_id TEXT REFERENCES users (id) ON DELETE CASCADE, email TEXT NOT NULL,\n"
                 "  created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL,\n"
                 "  used BIGINT NOT NULL DEFAULT 0 CHECK (used IN (0, 1)));\n"
                 "CREATE INDEX account_links_user ON account_links (user_id, kind, created_at);\n"
                 "CREATE INDEX account_links_expires ON account_links (expires_at);\n",
    /* 4: the mail outbox (store.h, struct store_mail); as SQLite's migration 7. */
    "CREATE TABLE outbox (\n"
    "  id TEXT PRIMARY KEY, kind TEXT NOT NULL, sender TEXT NOT NULL, rcpt TEXT NOT NULL,\n"
    "  message TEXT NOT NULL, state BIGINT NOT NULL DEFAULT 0 CHECK (state IN (0, 1, 2)),\n"
    "  attempts BIGINT NOT NULL DEFAULT 0 CHECK (attempts >= 0), created_at BIGINT NOT NULL,\n"
    "  next_at BIGINT NOT NULL, lease_until BIGINT NOT NULL DEFAULT 0,\n"
    "  done_at BIGINT NOT NULL DEFAULT 0, last_error TEXT NOT NULL DEFAULT '');\n"
    "CREATE INDEX outbox_due ON outbox (state, next_at);\n",
    /* 5: multi-factor sign-in; as SQLite's migration 8. */
    "ALTER TABLE sessions ADD COLUMN amr TEXT NOT NULL DEFAULT '';\n"
    "ALTER TABLE auth_codes ADD COLUMN amr TEXT NOT NULL DEFAULT '';\n"
    "ALTER TABLE refresh_tokens ADD COLUMN amr TEXT NOT NULL DEFAULT '';\n"
    "ALTER TABLE login_flows ADD COLUMN amr TEXT NOT NULL DEFAULT '';\n"
    "ALTER TABLE login_flows ADD COLUMN mfa_pending BIGINT NOT NULL DEFAULT 0 CHECK (mfa_pending IN (0, "
    "1));\n"
    "CREATE TABLE factors (\n"
    "  id TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,\n"
    "  kind TEXT NOT NULL CHECK (kind IN ('totp', 'recovery', 'passkey')),\n"
    "  name TEXT NOT NULL DEFAULT '', cred_id BYTEA UNIQUE, data BYTEA,\n"
    "  counter BIGINT NOT NULL DEFAULT 0 CHECK (counter >= 0),\n"
    "  confirmed BIGINT NOT NULL DEFAULT 0 CHECK (confirmed IN (0, 1)),\n"
    "  created_at BIGINT NOT NULL, last_used_at BIGINT NOT NULL DEFAULT 0);\n"
    "CREATE INDEX factors_user ON factors (user_id, created_at);\n"
    "CREATE TABLE challenges (hash BYTEA PRIMARY KEY, user_id TEXT NOT NULL DEFAULT '',\n"
    "  expires_at BIGINT NOT NULL);\n"
    "CREATE INDEX challenges_expires ON challenges (expires_at);\n",
    /* 6: a client whose users sign in with two factors; as SQLite's migration 9. */
    "ALTER TABLE clients ADD COLUMN require_mfa BIGINT NOT NULL DEFAULT 0 CHECK (require_mfa IN (0, 1));\n",
};
#define PG_SCHEMA_VERSION ((int)(sizeof pg_migrations / sizeof pg_migrations[0]))

enum pg_query {
	P_CLIENT_PUT,
	P_CLIENT_UPDATE,
	P_USER_UPDATE,
	P_USER_GET_EMAIL,
	P_LINK_PUT,
	P_LINK_GET,
	P_LINK_TAKE,
	P_LINK_END,
	P_LINK_COUNT,
	P_LINK_PURGE,
	P_USER_END_SESSIONS,
	P_USER_END_CODES,
	P_USER_END_FLOWS,
	P_USER_END_REFRESH,
	P_CLIENT_GET,
	P_CLIENT_LIST,
	P_CLIENT_DELETE,
	P_KEY_PUT,
	P_KEY_LIST,
	P_KEY_RETIRE,
	P_KEY_EXISTS,
	P_KEY_SET_PRIVATE,
	P_KEY_PURGE,
	P_REVOKE_PUT,
	P_REVOKE_CHECK,
	P_REVOKE_PURGE,
	P_CODE_PUT,
	P_CODE_TAKE,
	P_CODE_PURGE,
	P_USER_PUT,
	P_USER_GET,
	P_USER_GET_NAME,
	P_USER_LIST,
	P_USER_DELETE,
	P_LOGIN_ADMIT,
	P_LOGIN_FAILED,
	P_LOGIN_LOCKED,
	P_LOGIN_CLEAR,
	P_LOGIN_UNLOCK,
	P_LOGIN_GET,
	P_LOGIN_PURGE,
	P_USER_SET_PASSWORD,
	P_SESSION_PUT,
	P_SESSION_GET,
	P_SESSION_DELETE,
	P_SESSION_PURGE,
	P_REFRESH_PUT,
	P_REFRESH_GET,
	P_REFRESH_FIND,
	P_REFRESH_USE,
	P_REFRESH_SUPERSEDE,
	P_REFRESH_REPLACED,
	P_REFRESH_REVOKE,
	P_REFRESH_REVOKE_SESSION,
	P_REFRESH_PURGE,
	P_FLOW_PUT,
	P_FLOW_GET,
	P_FLOW_SET_USER,
	P_FLOW_TAKE,
	P_FLOW_PURGE,
	P_CONSENT_PUT,
	P_CONSENT_GET,
	P_PING,
	P_OUTBOX_PUT,
	P_OUTBOX_CLAIM,
	P_OUTBOX_DONE,
	P_OUTBOX_RETRY,
	P_OUTBOX_GET,
	P_OUTBOX_COUNT,
	P_OUTBOX_PURGE,
	P_SESSION_LIST,
	P_FACTOR_PUT,
	P_FACTOR_LIST,
	P_FACTOR_BY_CRED,
	P_FACTOR_USE,
	P_FACTOR_SWAP,
	P_FACTOR_EXISTS,
	P_FACTOR_DELETE,
	P_FACTOR_CLEAR,
	P_CHALLENGE_PUT,
	P_CHALLENGE_TAKE,
	P_CHALLENGE_PURGE,
	P_COUNT
};

#define PG_CLIENT_COLS                                                                                       \
	"id, secret_hash, secret_salt, is_public, needs_consent, grants, redirect_uris, audiences, scope, "  \
	"subjects, created_at, post_logout_uris, id_token_alg, name, logo_uri, prev_hash, prev_salt, "       \
	"prev_until, require_mfa"
#define PG_KEY_COLS "kid, alg, private_der, created_at, not_before, retired_at, expires_at"
#define PG_CODE_COLS                                                                                         \
	"code_hash, client_id, user_id, redirect_uri, scope, nonce, code_challenge, code_challenge_method, " \
	"auth_time, expires_at, session_hash, amr"
/* A sign-in count that no longer holds ($2 now, $4 the period): see SQ_LOGIN_STALE. */
#define PG_LOGIN_STALE "(a.since + $4::bigint <= $2::bigint OR a.locked_until <> 0)"
#define PG_USER_COLS                                                                                         \
	"id, username, email, password_hash, created_at, name, email_verified, disabled, groups, "           \
	"verify_required"
#define PG_LINK_COLS "hash, kind, user_id, email, created_at, expires_at"
/* A link that may be used ($1 its hash, $2 now, $3 its kind). */
#define PG_LINK_LIVE                                                                                         \
	"hash = $1::bytea AND kind = $3 AND used = 0 AND expires_at > $2::bigint AND user_id IS NOT NULL"
#define PG_SESSION_COLS "id_hash, user_id, auth_time, expires_at, amr"
#define PG_FLOW_COLS                                                                                         \
	"id_hash, csrf_hash, browser_hash, client_id, redirect_uri, scope, state, nonce, code_challenge, "   \
	"code_challenge_method, prompt, max_age, user_id, auth_time, created_at, expires_at, amr, "          \
	"mfa_pending"
#define PG_REFRESH_COLS                                                                                      \
	"token_hash, family_id, client_id, user_id, scope, auth_time, created_at, expires_at, "              \
	"session_hash, amr"
#define PG_FACTOR_COLS "id, user_id, kind, name, cred_id, data, counter, confirmed, created_at, last_used_at"
#define PG_FAMILY_REVOKED                                                                                    \
	"EXISTS (SELECT 1 FROM refresh_tokens AS f WHERE f.family_id = t.family_id AND f.revoked = 1)"

#define PG_MAIL_COLS                                                                                         \
	"id, kind, sender, rcpt, message, state, attempts, created_at, next_at, lease_until, done_at, "      \
	"last_error"

/* Integer parameters are cast: libpq sends them as text, and an operator needs a type. */
static const char *const pg_queries[P_COUNT] = {
    [P_CLIENT_PUT] = "INSERT INTO clients (" PG_CLIENT_COLS
                     ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, "
                     "$17, $18, $19)",
    /* Every column but id ($1), in PG_CLIENT_COLS' order. */
    [P_CLIENT_UPDATE] =
        "UPDATE clients SET secret_hash = $2::bytea, secret_salt = $3::bytea, "
        "is_public = $4::bigint, needs_consent = $5::bigint, grants = $6, redirect_uris = $7, "
        "audiences = $8, scope = $9, subjects = $10, created_at = $11::bigint, "
        "post_logout_uris = $12, id_token_alg = $13, name = $14, logo_uri = $15, "
        "prev_hash = $16::bytea, prev_salt = $17::bytea, prev_until = $18::bigint, require_mfa = $19::bigint "
        "WHERE id = $1",
    [P_CLIENT_GET] = "SELECT " PG_CLIENT_COLS " FROM clients WHERE id = $1",
    [P_CLIENT_LIST] = "SELECT " PG_CLIENT_COLS " FROM clients ORDER BY id COLLATE \"C\"",
    [P_CLIENT_DELETE] = "DELETE FROM clients WHERE id = $1",
    [P_KEY_PUT] = "INSERT INTO signing_keys (" PG_KEY_COLS ") VALUES ($1, $2, $3, $4, $5, $6, $7)",
    [P_KEY_LIST] = "SELECT " PG_KEY_COLS " FROM signing_keys WHERE expires_at IS NULL OR "
                   "expires_at > $1::bigint ORDER BY created_at DESC, seq DESC",
    [P_KEY_RETIRE] = "UPDATE signing_keys SET retired_at = $2::bigint, expires_at = $3::bigint "
                     "WHERE kid = $1 AND retired_at IS NULL",
    [P_KEY_EXISTS] = "SELECT 1 FROM signing_keys WHERE kid = $1",
    [P_KEY_SET_PRIVATE] = "UPDATE signing_keys SET private_der = $2::bytea WHERE kid = $1",
    [P_KEY_PURGE] = "DELETE FROM signing_keys WHERE expires_at <= $1::bigint",
    [P_REVOKE_PUT] = "INSERT INTO revoked_tokens (jti, expires_at) VALUES ($1, $2::bigint) ON CONFLICT "
                     "(jti) DO UPDATE SET expires_at = GREATEST(revoked_tokens.expires_at, "
                     "excluded.expires_at)",
    [P_REVOKE_CHECK] = "SELECT 1 FROM revoked_tokens WHERE jti = $1 AND expires_at > $2::bigint",
    [P_REVOKE_PURGE] = "DELETE FROM revoked_tokens WHERE expires_at <= $1::bigint",
    [P_CODE_PUT] = "INSERT INTO auth_codes (" PG_CODE_COLS
                   ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    /* Concurrent takers queue on the row's lock; each re-reads the row once the
     * one before commits, and only the first finds used = 0. */
    [P_CODE_TAKE] = "UPDATE auth_codes SET used = 1 WHERE code_hash = $1::bytea AND used = 0 AND "
                    "expires_at > $2::bigint RETURNING " PG_CODE_COLS,
    [P_CODE_PURGE] = "DELETE FROM auth_codes WHERE expires_at <= $1::bigint OR used = 1",
    [P_USER_PUT] = "INSERT INTO users (" PG_USER_COLS ") VALUES ($1, $2, $3, $4, $5::bigint, $6, $7::bigint, "
                   "$8::bigint, $9, $10::bigint)",
    [P_USER_UPDATE] = "UPDATE users SET email = $2, name = $3, email_verified = $4::bigint, "
                      "disabled = $5::bigint, groups = $6, verify_required = $7::bigint WHERE id = $1",
    [P_USER_GET_EMAIL] = "SELECT " PG_USER_COLS " FROM users WHERE " PG_FOLD("email") " = " PG_FOLD(
        "$1::text") " ORDER BY " PG_FOLD("username") " COLLATE \"C\", username COLLATE \"C\" LIMIT 1",
    [P_LINK_PUT] =
        "INSERT INTO account_links (" PG_LINK_COLS ") VALUES ($1, $2, $3, $4, $5::bigint, $6::bigint)",
    [P_LINK_GET] = "SELECT " PG_LINK_COLS " FROM account_links WHERE " PG_LINK_LIVE,
    [P_LINK_TAKE] = "UPDATE account_links SET used = 1 WHERE " PG_LINK_LIVE " RETURNING " PG_LINK_COLS,
    [P_LINK_END] = "UPDATE account_links SET used = 1 WHERE user_id = $1 AND kind = $2",
    [P_LINK_COUNT] = "SELECT count(*) FROM account_links WHERE user_id = $1 AND kind = $2 AND "
                     "created_at >= $3::bigint",
    [P_LINK_PURGE] = "DELETE FROM account_links WHERE used = 1 OR expires_at <= $1::bigint",
    [P_USER_END_SESSIONS] = "DELETE FROM sessions WHERE user_id = $1",
    [P_USER_END_CODES] = "DELETE FROM auth_codes WHERE user_id = $1",
    [P_USER_END_FLOWS] = "DELETE FROM login_flows WHERE user_id = $1",
    [P_USER_END_REFRESH] = "UPDATE refresh_tokens SET revoked = 1 WHERE user_id = $1",
    [P_USER_GET] = "SELECT " PG_USER_COLS " FROM users WHERE id = $1",
    [P_USER_GET_NAME] =
        "SELECT " PG_USER_COLS " FROM users WHERE " PG_FOLD("username") " = " PG_FOLD("$1::text"),
    [P_USER_LIST] = "SELECT " PG_USER_COLS
                    " FROM users ORDER BY " PG_FOLD("username") " COLLATE \"C\", username COLLATE \"C\"",
    [P_USER_DELETE] = "DELETE FROM users WHERE " PG_FOLD("username") " = " PG_FOLD("$1::text"),
    /* One statement: concurrent failures each count (the row lock orders them). */
    /* As SQLite's: $1 name, $2 now, $3 threshold, $4 period. */
    [P_LOGIN_ADMIT] = "INSERT INTO login_attempts AS a (name, attempts, since, locked_until) "
                      "VALUES ($1, 1, $2::bigint, 0) ON CONFLICT (name) DO UPDATE SET "
                      "attempts = CASE WHEN " PG_LOGIN_STALE " THEN 1 WHEN a.attempts < $3::bigint "
                      "THEN a.attempts + 1 ELSE a.attempts END, "
                      "since = CASE WHEN " PG_LOGIN_STALE " THEN $2::bigint ELSE a.since END, "
                      "locked_until = CASE WHEN " PG_LOGIN_STALE " OR a.attempts < $3::bigint THEN 0 "
                      "ELSE $2::bigint + $4::bigint END "
                      "WHERE a.locked_until <= $2::bigint RETURNING a.locked_until",
    [P_LOGIN_FAILED] = "UPDATE login_attempts SET locked_until = $2::bigint + $4::bigint WHERE name = $1 "
                       "AND attempts >= $3::bigint AND locked_until <= $2::bigint RETURNING locked_until",
    [P_LOGIN_LOCKED] = "SELECT locked_until FROM login_attempts WHERE name = $1",
    [P_LOGIN_CLEAR] = "DELETE FROM login_attempts WHERE name = $1 AND locked_until <= $2::bigint",
    [P_LOGIN_UNLOCK] = "DELETE FROM login_attempts WHERE name = $1",
    [P_LOGIN_GET] = "SELECT attempts, since, locked_until FROM login_attempts WHERE name = $1",
    [P_LOGIN_PURGE] = "DELETE FROM login_attempts WHERE locked_until <= $1::bigint "
                      "AND since <= $1::bigint - $2::bigint",
    [P_USER_SET_PASSWORD] = "UPDATE users SET password_hash = $2 WHERE id = $1",
    [P_SESSION_PUT] = "INSERT INTO sessions (" PG_SESSION_COLS ") VALUES ($1, $2, $3, $4, $5)",
    [P_SESSION_GET] = "SELECT " PG_SESSION_COLS " FROM sessions WHERE id_hash = $1::bytea AND "
                      "expires_at > $2::bigint",
    [P_SESSION_DELETE] = "DELETE FROM sessions WHERE id_hash = $1::bytea",
    [P_SESSION_PURGE] = "DELETE FROM sessions WHERE expires_at <= $1::bigint",
    [P_REFRESH_PUT] =
        "INSERT INTO refresh_tokens (" PG_REFRESH_COLS ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    [P_REFRESH_GET] = "SELECT " PG_REFRESH_COLS " FROM refresh_tokens AS t WHERE token_hash = $1::bytea "
                      "AND used = 0 AND expires_at > $2::bigint AND NOT " PG_FAMILY_REVOKED,
    /* FOR UPDATE: of two rotations of one token, the second waits for the first
     * to commit and then reads the token as it left it (used). */
    [P_REFRESH_FIND] = "SELECT " PG_REFRESH_COLS ", used, CASE WHEN " PG_FAMILY_REVOKED
                       " THEN 1 ELSE 0 END, used_at, replaced_by FROM refresh_tokens AS t "
                       "WHERE token_hash = $1::bytea FOR UPDATE",
    [P_REFRESH_USE] = "UPDATE refresh_tokens SET used = 1, used_at = $2::bigint, replaced_by = $3::bytea "
                      "WHERE token_hash = $1::bytea",
    /* The reuse grace: the lost successor $1, if still unused, gives way to $3. */
    [P_REFRESH_SUPERSEDE] = "UPDATE refresh_tokens SET used = 1, used_at = $2::bigint, replaced_by = "
                            "$3::bytea WHERE token_hash = $1::bytea AND used = 0 AND revoked = 0",
    [P_REFRESH_REPLACED] = "UPDATE refresh_tokens SET replaced_by = $3::bytea WHERE token_hash = $1::bytea "
                           "AND used = 1 AND used_at <= $2::bigint",
    [P_REFRESH_REVOKE] = "UPDATE refresh_tokens SET revoked = 1 WHERE family_id = $1",
    [P_REFRESH_REVOKE_SESSION] = "UPDATE refresh_tokens SET revoked = 1 WHERE session_hash = $1::bytea",
    [P_REFRESH_PURGE] = "DELETE FROM refresh_tokens WHERE expires_at <= $1::bigint OR revoked = 1",
    [P_FLOW_PUT] = "INSERT INTO login_flows (" PG_FLOW_COLS ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, "
                   "$9, $10, $11, $12, $13, $14, $15, $16, $17, $18)",
    [P_FLOW_GET] = "SELECT " PG_FLOW_COLS " FROM login_flows WHERE id_hash = $1::bytea AND "
                   "expires_at > $2::bigint",
    [P_FLOW_SET_USER] = "UPDATE login_flows SET user_id = $3, auth_time = $4::bigint, amr = $5, "
                        "mfa_pending = $6::bigint WHERE id_hash = $1::bytea AND expires_at > $2::bigint",
    [P_FLOW_TAKE] = "DELETE FROM login_flows WHERE id_hash = $1::bytea AND expires_at > $2::bigint "
                    "RETURNING " PG_FLOW_COLS,
    [P_FLOW_PURGE] = "DELETE FROM login_flows WHERE expires_at <= $1::bigint",
    [P_CONSENT_PUT] = "INSERT INTO consents (user_id, client_id, scope, granted_at) VALUES ($1, $2, $3, "
                      "$4::bigint) ON CONFLICT (user_id, client_id) DO UPDATE SET scope = "
                      "excluded.scope, granted_at = excluded.granted_at",
    [P_CONSENT_GET] = "SELECT scope FROM consents WHERE user_id = $1 AND client_id = $2",
    [P_PING] = "SELECT 1 FROM clients LIMIT 0",
    [P_OUTBOX_PUT] =
        "INSERT INTO outbox (" PG_MAIL_COLS ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, "
        "$12)",
    /* A second claimer of the same mail waits on its row lock, then re-reads the row
     * as the first left it (leased) and takes nothing. $1 now, $2 the lease's end. */
    [P_OUTBOX_CLAIM] =
        "UPDATE outbox SET attempts = attempts + 1, lease_until = $2::bigint WHERE id = (SELECT "
        "id FROM outbox WHERE state = 0 AND next_at <= $1::bigint AND lease_until <= $1::bigint "
        "ORDER BY next_at, created_at LIMIT 1) AND state = 0 AND lease_until <= $1::bigint "
        "RETURNING " PG_MAIL_COLS,
    [P_OUTBOX_DONE] = "UPDATE outbox SET state = 1, done_at = $3::bigint, message = '', lease_until = 0 "
                      "WHERE id = $1 AND attempts = $2::bigint AND state = 0",
    [P_OUTBOX_RETRY] = "UPDATE outbox SET state = CASE WHEN $4::bigint = 0 THEN 2 ELSE 0 END, "
                       "next_at = CASE WHEN $4::bigint = 0 THEN next_at ELSE $4::bigint END, "
                       "done_at = CASE WHEN $4::bigint = 0 THEN $3::bigint ELSE 0 END, "
                       "message = CASE WHEN $4::bigint = 0 THEN '' ELSE message END, lease_until = 0, "
                       "last_error = $5 WHERE id = $1 AND attempts = $2::bigint AND state = 0",
    [P_OUTBOX_GET] = "SELECT " PG_MAIL_COLS " FROM outbox WHERE id = $1",
    [P_OUTBOX_COUNT] = "SELECT count(*) FILTER (WHERE state = 0), count(*) FILTER (WHERE state = 0 AND "
                       "next_at <= $1::bigint AND lease_until <= $1::bigint), count(*) FILTER (WHERE state = "
                       "1), count(*) FILTER (WHERE state = 2) FROM outbox",
    [P_OUTBOX_PURGE] = "DELETE FROM outbox WHERE state <> 0 AND done_at <= $1::bigint",
    [P_SESSION_LIST] = "SELECT " PG_SESSION_COLS " FROM sessions WHERE user_id = $1 AND expires_at > "
                       "$2::bigint ORDER BY auth_time DESC, id_hash",
    [P_FACTOR_PUT] =
        "INSERT INTO factors (" PG_FACTOR_COLS ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    [P_FACTOR_LIST] =
        "SELECT " PG_FACTOR_COLS " FROM factors WHERE user_id = $1 ORDER BY created_at, id COLLATE \"C\"",
    [P_FACTOR_BY_CRED] =
        "SELECT " PG_FACTOR_COLS " FROM factors WHERE cred_id = $1::bytea AND kind = 'passkey'",
    /* $1 id, $2 user_id, $3 counter, $4 now: see SQLite's Q_FACTOR_USE. */
    [P_FACTOR_USE] = "UPDATE factors SET counter = $3::bigint, last_used_at = $4::bigint, confirmed = 1 "
                     "WHERE id = $1 AND user_id = $2 AND (counter < $3::bigint OR (counter = 0 AND "
                     "$3::bigint = 0))",
    /* $3 the old bytes, $4 the new (NULL: none), $5 now; no bytes equal no bytes. */
    [P_FACTOR_SWAP] = "UPDATE factors SET data = $4::bytea, last_used_at = $5::bigint WHERE id = $1 AND "
                      "user_id = $2 AND coalesce(data, '\\x'::bytea) = coalesce($3::bytea, '\\x'::bytea)",
    [P_FACTOR_EXISTS] = "SELECT 1 FROM factors WHERE id = $1 AND user_id = $2",
    [P_FACTOR_DELETE] = "DELETE FROM factors WHERE id = $1 AND user_id = $2",
    [P_FACTOR_CLEAR] = "DELETE FROM factors WHERE user_id = $1 AND ($2::text IS NULL OR kind = $2::text)",
    [P_CHALLENGE_PUT] = "INSERT INTO challenges (hash, user_id, expires_at) VALUES ($1, $2, $3::bigint)",
    [P_CHALLENGE_TAKE] =
        "DELETE FROM challenges WHERE hash = $1::bytea AND expires_at > $2::bigint RETURNING user_id",
    [P_CHALLENGE_PURGE] = "DELETE FROM challenges WHERE expires_at <= $1::bigint",
};

struct pg {
	store base; /* first: a store * is a struct pg * */
	PGconn *conn;
	char *url;           /* for reconnecting; holds the password: wiped on close */
	int in_tx;           /* inside a transaction begun by tx_begin */
	int tx_lost;         /* its connection broke: every call fails until tx_end */
	int64_t quiet_until; /* after timeouts: no try before this (monotonic ms) */
	int backoff_ms;      /* the next quiet period; 0 after a success */
	unsigned char prepared[P_COUNT];
	char msg[256]; /* last failure, for errmsg() */
};

/* The parameters of one statement: text (or NULL) values, bytea sent as binary. */
struct pg_params {
	int n;
	const char *v[PG_MAX_PARAMS];
	int len[PG_MAX_PARAMS];
	int fmt[PG_MAX_PARAMS];
	char num[PG_MAX_PARAMS][24];
};

static int pg_timeout_ms = STORE_PG_TIMEOUT_MS;

/* see store.h */
void store_pg_set_timeout(int ms)
{
	pg_timeout_ms = ms > 0 ? ms : STORE_PG_TIMEOUT_MS;
}

/* ---- messages and errors ---- */

static store_err pg_fail_ours(struct pg *s, const char *what, const char *why, store_err e)
{
	snprintf(s->msg, sizeof s->msg, "%s: %s", what, why);
	return e;
}

/* SQLSTATE classes (PostgreSQL Appendix A) to store_err. */
static store_err pg_map(const char *state)
{
	static const struct {
		const char *prefix;
		store_err e;
	} map[] = {
	    {"23505", STORE_CONFLICT}, {"23503", STORE_NOT_FOUND}, {"23", STORE_INVALID},
	    {"22", STORE_INVALID},     {"40", STORE_BUSY},         {"55P03", STORE_BUSY},
	    {"57014", STORE_BUSY},     {"53100", STORE_FULL},      {"53", STORE_BUSY},
	    {"25006", STORE_READONLY},
	};

	if (!state)
		return STORE_IO;
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (strncmp(state, map[i].prefix, strlen(map[i].prefix)) == 0)
			return map[i].e;
	return STORE_IO;
}

/* The first line of libpq's or the server's message, for errmsg(). */
static void pg_set_msg(struct pg *s, const char *what, const char *text)
{
	size_t n;

	snprintf(s->msg, sizeof s->msg, "%s: %s", what, text && *text ? text : "connection lost");
	n = strcspn(s->msg, "\n");
	s->msg[n] = '\0';
}

/* ---- one bounded round trip ---- */

static int64_t pg_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait until the socket is ready for events or the deadline passes: 1 ready, 0 timeout, -1 error. */
static int pg_poll(PGconn *c, short events, int64_t deadline)
{
	struct pollfd p = {.fd = PQsocket(c), .events = events};
	int64_t left;
	int rc;

	if (p.fd < 0)
		return -1;
	do {
		left = deadline - pg_now_ms();
		if (left <= 0)
			return 0;
		rc = poll(&p, 1, (int)left);
	} while (rc < 0 && errno == EINTR);
	return rc;
}

/* Drop the connection (it timed out or broke); the next call opens a new one. */
static void pg_drop(struct pg *s)
{
	PQfinish(s->conn);
	s->conn = NULL;
	memset(s->prepared, 0, sizeof s->prepared);
	if (s->in_tx)
		s->tx_lost = 1;
}

/* No answer in time: the connection's state is unknown, so it goes, and the next
 * try waits for the back-off period. */
static store_err pg_timed_out(struct pg *s, const char *what)
{
	snprintf(s->msg, sizeof s->msg, "%s: no answer from PostgreSQL within %d ms", what, pg_timeout_ms);
	pg_drop(s);
	s->backoff_ms = !s->backoff_ms                                 ? STORE_PG_BACKOFF_MS
	                : s->backoff_ms >= STORE_PG_BACKOFF_MAX_MS / 2 ? STORE_PG_BACKOFF_MAX_MS
	                                                               : s->backoff_ms * 2;
	s->quiet_until = pg_now_ms() + s->backoff_ms;
	return STORE_BUSY;
}

/*
 * Wait for the whole answer to the query just sent, until the deadline: the
 * last result (an error result wins over later ones) into *out. BUSY on a
 * timeout, IO when the connection broke; the connection is dropped then.
 */
static store_err pg_collect(struct pg *s, const char *what, int64_t deadline, PGresult **out)
{
	PGresult *res = NULL, *r;
	int rc;

	while ((rc = PQflush(s->conn)) == 1) {
		int ready = pg_poll(s->conn, POLLIN | POLLOUT, deadline);

		if (ready == 0)
			return pg_timed_out(s, what);
		if (ready < 0 || !PQconsumeInput(s->conn))
			break;
	}
	for (; rc == 0;) {
		while (PQisBusy(s->conn)) {
			int ready = pg_poll(s->conn, POLLIN, deadline);

			if (ready == 0) {
				PQclear(res);
				return pg_timed_out(s, what);
			}
			if (ready < 0) { /* no socket to wait on: PQgetResult would block */
				PQclear(res);
				pg_set_msg(s, what, "the connection's socket is gone");
				pg_drop(s);
				return STORE_IO;
			}
			if (!PQconsumeInput(s->conn))
				break;
		}
		if (!(r = PQgetResult(s->conn)))
			break;
		if (res && PQresultStatus(res) == PGRES_FATAL_ERROR)
			PQclear(r);
		else {
			PQclear(res);
			res = r;
		}
		if (PQstatus(s->conn) == CONNECTION_BAD)
			break;
	}
	if (!res || PQstatus(s->conn) == CONNECTION_BAD) {
		pg_set_msg(s, what, PQerrorMessage(s->conn));
		PQclear(res);
		pg_drop(s);
		return STORE_IO;
	}
	*out = res;
	s->backoff_ms = 0; /* it answers */
	return STORE_OK;
}

/* Connect to s->url within the timeout; 0, or -1 with the reason in err. */
static int pg_connect(struct pg *s, char *err, size_t errlen)
{
	static const char *const keys[] = {"dbname", "fallback_application_name", NULL};
	const char *vals[] = {s->url, PG_APP, NULL};
	int64_t deadline = pg_now_ms() + pg_timeout_ms;
	PostgresPollingStatusType st = PGRES_POLLING_WRITING;

	s->conn = PQconnectStartParams(keys, vals, 1);
	if (!s->conn || PQstatus(s->conn) == CONNECTION_BAD)
		goto fail;
	while (st != PGRES_POLLING_OK && st != PGRES_POLLING_FAILED) {
		int ready = pg_poll(s->conn, st == PGRES_POLLING_READING ? POLLIN : POLLOUT, deadline);

		if (ready == 0) {
			pg_timed_out(s, "connect");
			snprintf(err, errlen, "PostgreSQL did not answer within %d ms", pg_timeout_ms);
			return -1;
		}
		st = ready < 0 ? PGRES_POLLING_FAILED : PQconnectPoll(s->conn);
	}
	if (st == PGRES_POLLING_OK && PQsetnonblocking(s->conn, 1) == 0)
		return 0;
fail:
	snprintf(err, errlen, "%s", s->conn ? PQerrorMessage(s->conn) : "out of memory");
	err[strcspn(err, "\n")] = '\0';
	pg_drop(s);
	return -1;
}

/* 0 when the idle connection has already been closed by the server (a crash, a
 * failover, a restart: the socket reads end-of-file), else 1. Costs one poll(). */
static int pg_alive(struct pg *s)
{
	struct pollfd p = {.fd = PQsocket(s->conn), .events = POLLIN};

	if (s->in_tx || p.fd < 0 || poll(&p, 1, 0) <= 0)
		return p.fd >= 0;
	return PQconsumeInput(s->conn) && PQstatus(s->conn) == CONNECTION_OK;
}

/* A usable connection: the one we have, or a new one. */
static store_err pg_ready(struct pg *s, const char *what)
{
	char why[200];

	if (s->tx_lost)
		return pg_fail_ours(s, what, "the connection broke inside the transaction", STORE_IO);
	if (s->conn && PQstatus(s->conn) == CONNECTION_OK && pg_alive(s))
		return STORE_OK;
	pg_drop(s);
	if (pg_now_ms() < s->quiet_until) /* it timed out lately: do not wait on it again yet */
		return pg_fail_ours(s, what, "PostgreSQL did not answer lately; retrying shortly",
		                    STORE_BUSY);
	if (pg_connect(s, why, sizeof why) == 0)
		return STORE_OK;
	return pg_fail_ours(s, what, why, s->quiet_until > pg_now_ms() ? STORE_BUSY : STORE_IO);
}

/* The result's own outcome: OK for rows or a command, else the mapped SQLSTATE. */
static store_err pg_check(struct pg *s, const char *what, PGresult *res)
{
	ExecStatusType st = PQresultStatus(res);

	if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK)
		return STORE_OK;
	pg_set_msg(s, what, PQresultErrorMessage(res));
	return pg_map(PQresultErrorField(res, PG_DIAG_SQLSTATE));
}

/*
 * Run query q with p (NULL: none), prepared on this connection on first use;
 * the result, when OK, into *out (the caller PQclears it).
 */
static store_err pg_query(struct pg *s, enum pg_query q, const char *what, const struct pg_params *p,
                          PGresult **out)
{
	int64_t deadline = pg_now_ms() + pg_timeout_ms;
	char name[16];
	PGresult *res = NULL;
	store_err e;

	*out = NULL;
	if ((e = pg_ready(s, what)) != STORE_OK)
		return e;
	snprintf(name, sizeof name, "idb%d", (int)q);
	if (!s->prepared[q]) {
		if (!PQsendPrepare(s->conn, name, pg_queries[q], 0, NULL)) {
			pg_set_msg(s, what, PQerrorMessage(s->conn));
			pg_drop(s);
			return STORE_IO;
		}
		if ((e = pg_collect(s, what, deadline, &res)) != STORE_OK ||
		    (e = pg_check(s, what, res)) != STORE_OK) {
			PQclear(res);
			return e;
		}
		PQclear(res);
		s->prepared[q] = 1;
	}
	if (!PQsendQueryPrepared(s->conn, name, p ? p->n : 0, p ? p->v : NULL, p ? p->len : NULL,
	                         p ? p->fmt : NULL, 0)) {
		pg_set_msg(s, what, PQerrorMessage(s->conn));
		pg_drop(s);
		return STORE_IO;
	}
	if ((e = pg_collect(s, what, deadline, &res)) != STORE_OK)
		return e;
	if ((e = pg_check(s, what, res)) != STORE_OK) {
		PQclear(res);
		return e;
	}
	*out = res;
	return STORE_OK;
}

/* Run SQL text (several statements allowed, no parameters), bounded like pg_query. */
static store_err pg_simple(struct pg *s, const char *what, const char *sql)
{
	PGresult *res = NULL;
	store_err e;

	if ((e = pg_ready(s, what)) != STORE_OK)
		return e;
	if (!PQsendQuery(s->conn, sql)) {
		pg_set_msg(s, what, PQerrorMessage(s->conn));
		pg_drop(s);
		return STORE_IO;
	}
	if ((e = pg_collect(s, what, pg_now_ms() + pg_timeout_ms, &res)) == STORE_OK)
		e = pg_check(s, what, res);
	PQclear(res);
	return e;
}

/* ---- parameters ---- */

static void pp_text(struct pg_params *p, const char *v)
{
	p->v[p->n] = v;
	p->len[p->n] = 0;
	p->fmt[p->n++] = 0;
}

static void pp_blob(struct pg_params *p, const uint8_t *v, size_t n)
{
	p->v[p->n] = n ? (const char *)v : NULL;
	p->len[p->n] = (int)n;
	p->fmt[p->n++] = 1;
}

static void pp_i64(struct pg_params *p, int64_t v)
{
	snprintf(p->num[p->n], sizeof p->num[0], "%" PRId64, v);
	pp_text(p, p->num[p->n]);
}

/* The columns of row, t's order, as $1.. ; -1 when a string does not fit its field. */
static int pp_row(struct pg_params *p, const struct store_table *t, const void *row)
{
	const char *r = row;

	if (t->n > PG_MAX_PARAMS - (size_t)p->n)
		return -1;
	for (size_t i = 0; i < t->n; i++) {
		const struct store_col *c = &t->cols[i];
		int64_t v;

		switch (c->kind) {
		case STORE_COL_TEXT:
			if (!memchr(r + c->off, '\0', c->size))
				return -1;
			pp_text(p, c->null_if_empty && !r[c->off] ? NULL : r + c->off);
			break;
		case STORE_COL_BLOB:
			if (*(const size_t *)(r + c->len_off) > c->size)
				return -1;
			pp_blob(p, (const uint8_t *)r + c->off, *(const size_t *)(r + c->len_off));
			break;
		case STORE_COL_INT:
		case STORE_COL_I64:
			v = c->kind == STORE_COL_INT ? *(const int *)(r + c->off)
			                             : *(const int64_t *)(r + c->off);
			if (c->null_if_empty && v == 0)
				pp_text(p, NULL);
			else
				pp_i64(p, v);
			break;
		}
	}
	return 0;
}

/* ---- reading rows ---- */

static int pg_hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* A bytea in hex text form ("\x0a1b...") into dst[cap]; -1 when it does not fit. */
static int pg_col_blob(const char *v, size_t n, uint8_t *dst, size_t cap, size_t *len)
{
	*len = 0;
	if (n < 2 || v[0] != '\\' || v[1] != 'x' || (n - 2) % 2 || (n - 2) / 2 > cap)
		return -1;
	for (size_t i = 2; i < n; i += 2) {
		int hi = pg_hexval(v[i]), lo = pg_hexval(v[i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		dst[(*len)++] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

/* A BIGINT in text form within [min, max] into *out; -1 otherwise. */
static int pg_col_i64(const char *v, int64_t min, int64_t max, int64_t *out)
{
	char *end;
	long long x;

	errno = 0;
	x = strtoll(v, &end, 10);
	if (errno || end == v || *end || x < min || x > max)
		return -1;
	*out = x;
	return 0;
}

/* Row i of res, columns first.. in t's order, into row (zeroed first); -1 when a
 * value does not fit its field or range: nothing is ever cut. */
static int pg_read_row(PGresult *res, int i, int first, const struct store_table *t, void *row)
{
	char *r = row;

	memset(row, 0, t->row_size);
	for (size_t k = 0; k < t->n; k++) {
		const struct store_col *c = &t->cols[k];
		int at = first + (int)k;
		const char *v = PQgetvalue(res, i, at);
		size_t n = (size_t)PQgetlength(res, i, at);
		int64_t x;

		if (PQgetisnull(res, i, at))
			continue;
		switch (c->kind) {
		case STORE_COL_TEXT:
			if (n >= c->size || memchr(v, '\0', n))
				return -1;
			memcpy(r + c->off, v, n);
			break;
		case STORE_COL_BLOB:
			if (pg_col_blob(v, n, (uint8_t *)r + c->off, c->size, (size_t *)(r + c->len_off)))
				return -1;
			break;
		case STORE_COL_INT:
		case STORE_COL_I64:
			if (pg_col_i64(v, c->min, c->max, &x))
				return -1;
			if (c->kind == STORE_COL_INT)
				*(int *)(r + c->off) = (int)x;
			else
				*(int64_t *)(r + c->off) = x;
			break;
		}
	}
	return 0;
}

static store_err pg_fail_row(struct pg *s, const char *what, const struct store_table *t)
{
	snprintf(s->msg, sizeof s->msg, "%s: stored %s does not fit the limits", what, t->name);
	return STORE_CORRUPT;
}

/* ---- shared shapes of the operations ---- */

/* Run q with p for its effect; *changed (may be NULL) gets the rows it changed. */
static store_err pg_exec(struct pg *s, enum pg_query q, const char *what, const struct pg_params *p,
                         int *changed)
{
	PGresult *res = NULL;
	store_err e = pg_query(s, q, what, p, &res);

	if (e == STORE_OK && changed)
		*changed = atoi(PQcmdTuples(res));
	PQclear(res);
	return e;
}

/* Insert row with q (t's columns as $1..); validation is the caller's. */
static store_err pg_put_row(struct pg *s, enum pg_query q, const char *what, const struct store_table *t,
                            const void *row)
{
	struct pg_params p = {0};

	if (pp_row(&p, t, row))
		return pg_fail_ours(s, what, "a value does not fit its field", STORE_INVALID);
	return pg_exec(s, q, what, &p, NULL);
}

/* The one row of q with p, read as t into out (zeroed on any failure); NOT_FOUND when none. */
static store_err pg_get_row(struct pg *s, enum pg_query q, const char *what, const struct pg_params *p,
                            const struct store_table *t, void *out)
{
	PGresult *res = NULL;
	store_err e = pg_query(s, q, what, p, &res);

	if (e == STORE_OK)
		e = PQntuples(res) == 0              ? STORE_NOT_FOUND
		    : pg_read_row(res, 0, 0, t, out) ? pg_fail_row(s, what, t)
		                                     : STORE_OK;
	PQclear(res);
	if (e != STORE_OK && out)
		explicit_bzero(out, t->row_size);
	return e;
}

/* The unexpired row of q by hash ($1) at now ($2), as pg_get_row. */
static store_err pg_get_by_hash(struct pg *s, enum pg_query q, const char *what, const uint8_t *hash,
                                size_t hash_len, int64_t now, const struct store_table *t, void *out)
{
	struct pg_params p = {0};

	if (!hash || !out || hash_len == 0 || hash_len > STORE_HASH_MAX) {
		if (out)
			explicit_bzero(out, t->row_size);
		return pg_fail_ours(s, what, "invalid argument", STORE_INVALID);
	}
	pp_blob(&p, hash, hash_len);
	pp_i64(&p, now);
	return pg_get_row(s, q, what, &p, t, out);
}

/* Each row of q (with p), read as t, to each(ctx, row) until it returns non-zero. */
static store_err pg_each_row(struct pg *s, enum pg_query q, const char *what, const struct pg_params *p,
                             const struct store_table *t, int (*each)(void *ctx, const void *row), void *ctx)
{
	PGresult *res = NULL;
	void *row = malloc(t->row_size);
	store_err e =
	    row ? pg_query(s, q, what, p, &res) : pg_fail_ours(s, what, "out of memory", STORE_NOMEM);

	for (int i = 0; e == STORE_OK && i < PQntuples(res); i++) {
		if (pg_read_row(res, i, 0, t, row))
			e = pg_fail_row(s, what, t);
		else if (each(ctx, row))
			break;
	}
	PQclear(res);
	if (row)
		explicit_bzero(row, t->row_size);
	free(row);
	return e;
}

/* Run q with the one text (or blob) key; NOT_FOUND when it changed no row. */
static store_err pg_exec_key(struct pg *s, enum pg_query q, const char *what, const char *text,
                             const uint8_t *blob, size_t n)
{
	struct pg_params p = {0};
	store_err e;
	int changed = 0;

	if (text)
		pp_text(&p, text);
	else
		pp_blob(&p, blob, n);
	e = pg_exec(s, q, what, &p, &changed);
	return e == STORE_OK && changed == 0 ? STORE_NOT_FOUND : e;
}

static store_err pg_purge(store *base, enum pg_query q, const char *what, int64_t now)
{
	struct pg_params p = {0};

	pp_i64(&p, now);
	return pg_exec((struct pg *)base, q, what, &p, NULL);
}

/* The typed callbacks of the list calls, behind pg_each_row's untyped one. */
struct pg_each {
	union {
		store_client_cb client;
		store_key_cb key;
		store_user_cb user;
		store_factor_cb factor;
		store_session_cb session;
	} cb;
	void *ctx;
};
static int pg_each_client(void *a, const void *row)
{
	return ((const struct pg_each *)a)->cb.client(((const struct pg_each *)a)->ctx, row);
}
static int pg_each_key(void *a, const void *row)
{
	return ((const struct pg_each *)a)->cb.key(((const struct pg_each *)a)->ctx, row);
}
static int pg_each_user(void *a, const void *row)
{
	return ((const struct pg_each *)a)->cb.user(((const struct pg_each *)a)->ctx, row);
}
static int pg_each_factor(void *a, const void *row)
{
	return ((const struct pg_each *)a)->cb.factor(((const struct pg_each *)a)->ctx, row);
}
static int pg_each_session(void *a, const void *row)
{
	return ((const struct pg_each *)a)->cb.session(((const struct pg_each *)a)->ctx, row);
}

/* ---- transactions ---- */

static store_err pg_tx_begin(store *base)
{
	struct pg *s = (struct pg *)base;
	store_err e;

	if (s->in_tx)
		return pg_fail_ours(s, "tx_begin", "a transaction is open already", STORE_INVALID);
	if ((e = pg_simple(s, "tx_begin", "BEGIN")) == STORE_OK)
		s->in_tx = 1;
	return e;
}

static store_err pg_tx_end(store *base, int commit)
{
	struct pg *s = (struct pg *)base;
	int lost = s->tx_lost;
	store_err e;

	if (!s->in_tx)
		return pg_fail_ours(s, "tx_end", "no transaction is open", STORE_INVALID);
	s->in_tx = 0;
	s->tx_lost = 0;
	if (lost) /* the server rolled it back when the connection went */
		return commit ? pg_fail_ours(s, "tx_end", "the transaction was lost with its connection",
		                             STORE_IO)
		              : STORE_OK;
	if (commit && (e = pg_simple(s, "tx_end", "COMMIT")) != STORE_OK) {
		if (s->conn) /* a failed COMMIT has already ended it; make sure */
			pg_simple(s, "tx_end", "ROLLBACK");
		return e;
	}
	if (!commit && s->conn)
		pg_simple(s, "tx_end", "ROLLBACK");
	return STORE_OK;
}

static store_err pg_ping(store *base)
{
	return pg_exec((struct pg *)base, P_PING, "ping", NULL, NULL);
}

static store_err pg_backup(store *base, const char *to, int replace)
{
	(void)to;
	(void)replace;
	return pg_fail_ours((struct pg *)base, "backup",
	                    "a PostgreSQL database is backed up with pg_dump or pg_basebackup",
	                    STORE_INVALID);
}

/* ---- clients ---- */

static store_err pg_client_put(store *base, const struct store_client *c)
{
	struct pg *s = (struct pg *)base;

	if (!c || !store_client_valid(c))
		return pg_fail_ours(s, "client_put", "invalid client", STORE_INVALID);
	return pg_put_row(s, P_CLIENT_PUT, "client_put", &store_cols_client, c);
}

static store_err pg_client_update(store *base, const struct store_client *c)
{
	struct pg *s = (struct pg *)base;
	struct pg_params p = {0};
	int changed = 0;
	store_err e;

	if (!c || !store_client_valid(c) || pp_row(&p, &store_cols_client, c))
		return pg_fail_ours(s, "client_update", "invalid client", STORE_INVALID);
	e = pg_exec(s, P_CLIENT_UPDATE, "client_update", &p, &changed);
	return e == STORE_OK && !changed ? STORE_NOT_FOUND : e;
}

static store_err pg_client_get(store *base, const char *id, struct store_client *out)
{
	struct pg *s = (struct pg *)base;
	struct pg_params p = {0};

	if (!id || !out)
		return pg_fail_ours(s, "client_get", "NULL argument", STORE_INVALID);
	pp_text(&p, id);
	return pg_get_row(s, P_CLIENT_GET, "client_get", &p, &store_cols_client, out);
}

static store_err pg_client_list(store *base, store_client_cb cb, void *ctx)
{
	struct pg *s = (struct pg *)base;
	struct pg_each a = {.cb.client = cb, .ctx = ctx};

	if (!cb)
		return pg_fail_ours(s, "client_list", "NULL callback", STORE_INVALID);
	return pg_each_row(s, P_CLIENT_LIST, "client_list", NULL, &store_cols_client, pg_each_client, &a);
}

static store_err pg_client_delete(store *base, const char *id)
{
	struct pg *s = (struct pg *)base;

	if (!id)
		return pg_fail_ours(s, "client_delete", "NULL argument", STORE_INVALID);
	return pg_exec_key(s, P_CLIENT_DELETE, "client_delete", id, NULL, 0);
}

/* ---- signing keys, revocations ---- */

static store_err pg_key_put(store *base, const struct store_key *k)
{
	struct pg *s = (struct pg *)base;

	if (!k || !store_key_valid(k))
		return pg_fail_ours(s, "key_put", "invalid key", STORE_INVALID);
	return pg_put_row(s, P_KEY_PUT, "key_put", &store_cols_key, k);
}

static store_err pg_key_list(store *base, int64_t now, store_key_cb cb, void *ctx)
{
	struct pg *s = (struct pg *)base;
	struct pg_each a = {.cb.key = cb, .ctx = ctx};
	struct pg_params p = {0};

	if (!cb)
		return pg_fail_ours(s, "key_list", "NULL callback", STORE_INVALID);
	pp_i64(&p, now);
	return pg_each_row(s, P_KEY_LIST, "key_list", &p, &store_cols_key, pg_each_key, &a);
}

static store_err pg_key_retire(store *base, const char *kid, int64_t retired_at, int64_t expires_at)
{
	struct pg *s = (struct pg *)base;
	struct pg_params p = {0};
	PGresult *res = NULL;
	store_err e;
	int changed = 0;

	if (!kid || retired_at <= 0 || expires_at < retired_at)
		return pg_fail_ours(s, "key_retire", "invalid argument", STORE_INVALID);
	pp_text(&p, kid);
	pp_i64(&p, retired_at);
	pp_i64(&p, expires_at);
	if ((e = pg_exec(s, P_KEY_RETIRE, "key_retire", &p, &changed)) != STORE_OK || changed)
		return e;
	/* Nothing updated: no such key, or one already retired. */
	p.n = 1;
	if ((e = pg_query(s, P_KEY_EXISTS, "key_retire", &p, &res)) == STORE_OK)
		e = PQntuples(res) ? STORE_CONFLICT : STORE_NOT_FOUND;
	PQclear(res);
	return e;
}

static store_err pg_key_set_private(store *base, const char *kid, const uint8_t *der, size_t len)
{
	struct pg *s = (struct pg *)base;
	struct pg_params p = {0};
	store_err e;
	int changed = 0;

	if (!kid || !der || len == 0 || len > STORE_KEY_DER_MAX)
		return pg_fail_ours(s, "key_set_private", "invalid argument", STORE_INVALID);
	pp_text(&p, kid);
	pp_blob(&p, der, len);
	e = pg_exec(s, P_KEY_SET_PRIVATE, "key_set_private", &p, &changed);
	return e == STORE_OK && !changed ? STORE_NOT_FOUND : e;
}

static store_err pg_key_purge(store *base, int64_t now)
{
	return pg_purge(base, P_KEY_PURGE, "key_purge", now);
}

static store_err pg_revoke_put(store *base, const char *jti, int64_t expires_at)
{
	struct pg *s = (struct pg *)base;
	struct pg_params p = {0};

	if (!jti || !*jti || strnlen(jti, STORE_ID_MAX + 1) > STORE_ID_MAX)
		return pg_fail_ours(s, "revoke_put", "invalid jti", STORE_INVALID);
	pp_text(&p, jti);
	pp_i64(&p, expires_at);
	return pg_exec(s, P_REVOKE_PUT, "revoke_put", &p, NULL);
}

static store_err pg_revoke_check(store *base, const char *jti, int64_t now, int *revoked)
{
	struct pg *s = (struct pg *)base;
	struct pg_params p = {0};
	PGresult *res = NULL;
	store_err e;

	if (!revoked || !jti)
		return pg_fail_ours(s, "revoke_check", "NULL argument", STORE_INVALID);
	*revoked = 1; /* until the store says otherwise */
	pp_text(&p, jti);
	pp_i64(&p, now);
	if ((e = pg_query(s, P_REVOKE_CHECK, "revoke_check", &p, &res)) == STORE_OK)
		*revoked = PQntuples(res) > 0;
	PQclear(res);
	return e;
}

static store_err pg_revoke_purge(store *base, int64_t now)
{
	return pg_purge(base, P_REVOKE_PURGE, "revoke_purge", now);
}

/* ---- authorization codes ---- */

static store_err pg_code_put(store *base, const struct store_code *c)
{
	struct pg *s = (struct pg *)base;

	if (!c || !store_code_valid(c))
		return pg_fail_ours(s, "code_put", "invalid code", STORE_INVALID);
	return pg_put_row(s, P_CODE_PUT, "code_put", &store_cols_code, c);
}

static store_err pg_code_take(store *base, const uint8_t *hash, size_t hash_len, int64_t now,
                              struct store_code *out)
{
	return pg_get_by_hash((struct pg *)base, P_CODE_TAKE, "code_take", hash, hash_len, now,
	                      &store_cols_code, out);
}

static store_err pg_code_purge(store *base, int64_t now)
{
	return pg_purge(base, P_CODE_PURGE, "code_purge", now);
}

/* ---- users ---- */

static store_err pg_user_put(store *base, const struct store_user *u)
{
	struct pg *s = (struct pg *)base;

	if (!u || !store_user_valid(u))
		return pg_fail_ours(s, "user_put", "invalid user", STORE_INVALID);
	return pg_put_row(s, P_USER_PUT, "user_put", &store_cols_user, u);
}

static store_err pg_user_find(store *base, enum pg_query q, const char *what, const char *key,
                              struct store_user *out)
{
	struct pg *s = (struct pg *)base;
	struct pg_params p = {0};

	if (!key || !out)
		return pg_fail_ours(s, what, "NULL argument", STORE_INVALID);
	pp_text(&p, key);
	return pg_get_row(s, q, what, &p, &store_cols_user, out);
}

static store_err pg_user_get(store *base, const char *id, struct store_user *out)
{
	return pg_user_find(base, P_USER_GET, "user_get", id, out);
}

static store_err pg_user_get_by_name(store *base, const char *username, struct store_user *out)
{
	return pg_user_find(base, P_USER_GET_NAME, "user_get_by_name", username, out);
}

static store_err pg_user_list(store *base, store_user_cb cb, void *ctx)
{
	struct pg *s = (struct pg *)base;
	struct pg_each a = {.cb.user = cb, .ctx = ctx};

	if (!cb)
		return pg_fail_ours(s, "user_list", "NULL callback", STORE_INVALID);
	return pg_each_row(s, P_USER_LIST, "user_list", NULL, &store_cols_user, pg_each_user, &a);
}

static store_err pg_user_delete(store *base, const char *username)
{
	struct pg *s = (struct pg *)base;

	if (!username)
		return pg_fail_ours(s, "user_delete", "NULL argument", STORE_INVALID);
	return pg_exec_key(s, P_USER_DELETE, "user_delete", username, NULL, 0);
}

/* The first column of the one row of q (with the text key) as an integer into *v; NOT_FOUND if none. */
static store_err pg_int_of(struct pg *s, enum pg_query q, const char *what, struct pg_params *p, int64_t *v)
{
	PGresult *res = NULL;
	store_err e = pg_query(s, q, what, p, &res);

	if (e == STORE_OK)
		e = PQntuples(res) == 0 ? STORE_NOT_FOUND
		    : pg_col_i64(PQgetvalue(res, 0, 0), INT64_MIN, INT64_MAX, v)
		        ? pg_fail_ours(s, what, "stored value is not a number", STORE_CORRUPT)
		        : STORE_OK;
	PQclear(res);
	return e;
}

/* ---- sign-in attempts ---- */

/* The lock on record for the name in p ($1) into *v (0 when none). */
static store_err pg_login_locked(struct pg *s, struct pg_params *p, const char *what, int64_t *v)
{
	p->n = 1;
	store_err e = pg_int_of(s, P_LOGIN_LOCKED, what, p, v);

	if (e == STORE_NOT_FOUND) {
		*v = 0;
		e = STORE_OK;
	}
	return e;
}

/* The name, now, threshold and period of a sign-in call as $1..$4 into p. */
static void pg_login_params(struct pg_params *p, const char *name, int64_t now, int threshold, int64_t period)
{
	pp_text(p, name);
	pp_i64(p, now);
	pp_i64(p, threshold);
	pp_i64(p, period);
}

static store_err pg_login_admit(store *base, const char *username, int64_t now, int threshold, int64_t period,
                                int *admitted, int64_t *locked_until, int *locked_started)
{
	struct pg *s = (struct pg *)base;
	struct pg_params p = {0};
	char name[STORE_USERNAME_MAX + 1];
	int64_t until = 0;
	store_err e;
	int row;

	*admitted = *locked_started = 0;
	*locked_until = 0;
	if (store_login_name(username, name) || !store_login_args_valid(now, threshold, period))
		return pg_fail_ours(s, "login_admit", "invalid argument", STORE_INVALID);
	if (threshold == 0) {
		*admitted = 1;
		return STORE_OK;
	}
	pg_login_params(&p, name, now, threshold, period);
	e = pg_int_of(s, P_LOGIN_ADMIT, "login_admit", &p, &until);
	if ((row = e == STORE_OK) == 0 && e == STORE_NOT_FOUND) /* a lock in force: nothing changed */
		e = pg_login_locked(s, &p, "login_admit", &until);
	if (e != STORE_OK)
		return e;
	*admitted = row && until == 0;
	*locked_started = row && until != 0;
	*locked_until = until;
	return STORE_OK;
}

static store_err pg_login_failed(store *base, const char *username, int64_t now, int threshold,
                                 int64_t period, int64_t *locked_until)
{
	struct pg *s = (struct pg *)base;
	struct pg_params p = {0};
	char name[STORE_USERNAME_MAX + 1];
	store_err e;

	*locked_until = 0;
	if (store_login_name(username, name) || !store_login_args_valid(now, threshold, period))
		return pg_fail_ours(s, "login_failed", "invalid argument", STORE_INVALID);
	if (threshold == 0)
		return STORE_OK;
	pg_login_params(&p, name, now, threshold, period);
	e = pg_int_of(s, P_LOGIN_FAILED, "login_failed", &p, locked_until);
	return e == STORE_NOT_FOUND ? STORE_OK : e;
}

static store_err pg_login_clear(store *base, const char *username, int64_t now)
{
	struct pg *s = (struct pg *)base;
	struct pg_params p = {0};
	char name[STORE_USERNAME_MAX + 1];
	int64_t until;
	store_err e;
	int changed = 0;

	if (store_login_name(username, name))
		return pg_fail_ours(s, "login_clear", "invalid argument", STORE_INVALID);
	pp_text(&p, name);
	pp_i64(&p, now);
	if ((e = pg_exec(s, P_LOGIN_CLEAR, "login_clear", &p, &changed)) != STORE_OK || changed)
		return e;
	if ((e = pg_login_locked(s, &p, "login_clear", &until)) != STORE_OK)
		return e;
	return until > now ? STORE_CONFLICT : STORE_OK;
}

static store_err pg_login_unlock(store *base, const char *username)
{
	struct pg *s = (struct pg *)base;
	struct pg_params p = {0};
	char name[STORE_USERNAME_MAX + 1];

	if (store_login_name(username, name))
		return pg_fail_ours(s, "login_unlock", "invalid argument", STORE_INVALID);
	pp_text(&p, name);
	return pg_exec(s, P_LOGIN_UNLOCK, "login_unlock", &p, NULL);
}

static store_err pg_login_get(store *base, const char *username, struct store_login *out)
{
	struct pg *s = (struct pg *)base;
	struct pg_params p = {0};
	PGresult *res = NULL;
	char name[STORE_USERNAME_MAX + 1];
	int64_t v[3];
	store_err e;

	if (!out || store_login_name(username, name))
		return pg_fail_ours(s, "login_get", "invalid argument", STORE_INVALID);
	memset(out, 0, sizeof *out);
	pp_text(&p, name);
	if ((e = pg_query(s, P_LOGIN_GET, "login_get", &p, &res)) != STORE_OK)
		goto out;
	if (PQntuples(res) == 0) {
		e = STORE_NOT_FOUND;
		goto out;
	}
	for (int i = 0; i < 3; i++)
		if (pg_col_i64(PQgetvalue(res, 0, i), 0, i == 0 ? INT_MAX : INT64_MAX, &v[i])) {
			e = pg_fail_ours(s, "login_get", "stored value is not a number", STORE_CORRUPT);
			goto out;
		}
	out->attempts = (int)v[0];
	out->since = v[1];
	out->locked_until = v[2];
out:
	PQclear(res);
	return e;
}

static store_err pg_login_purge(store *base, int64_t now, int64_t period)
{
	struct pg *s = (struct pg *)base;
	struct pg_params p = {0};

	if (!store_login_args_valid(now, 0, period))
		return pg_fail_ours(s, "login_purge", "invalid argument", STORE_INVALID);
	pp_i64(&p, now);
	pp_i64(&p, period);
	return pg_exec(s, P_LOGIN_PURGE, "login_purge", &p, NULL);
}

static store_err pg_user_set_password(store *base, const char *id, const char *password_hash)
{
	struct pg *s = (struct pg *)base;
	struct pg_params p = {0};
	int changed = 0;
	store_err e;

	if (!id || !password_hash || !password_hash[0] ||
	    strnlen(password_hash, STORE_PASSWORD_HASH_MAX + 1) > STORE_PASSWORD_HASH_MAX)
		return pg_fail_ours(s, "user_set_password", "invalid argument", STORE_INVALID);
	pp_text(&p, id);
	pp_text(&p, password_hash);
	e = pg_exec(s, P_USER_SET_PASSWORD, "user_set_password", &p, &changed);
	return e == STORE_OK && !changed ? STORE_NOT_FOUND : e;
}

static store_err pg_user_update(store *base, const struct store_user *u)
{
	struct pg *s = (struct pg *)base;
	struct pg_params p = {0};
	int changed = 0;
	store_err e;

	if (!u || !store_user_valid(u))
		return pg_fail_ours(s, "user_update", "invalid user", STORE_INVALID);
	pp_text(&p, u->id);
	pp_text(&p, u->email[0] ? u->email : NULL);
	pp_text(&p, u->name);
	pp_i64(&p, u->email_verified);
	pp_i64(&p, u->disabled);
	pp_text(&p, u->groups);
	pp_i64(&p, u->verify_required);
	e = pg_exec(s, P_USER_UPDATE, "user_update", &p, &changed);
	return e == STORE_OK && !changed ? STORE_NOT_FOUND : e;
}

static store_err pg_user_end_sessions(store *base, const char *id)
{
	static const enum pg_query ends[] = {P_USER_END_SESSIONS, P_USER_END_CODES, P_USER_END_FLOWS,
	                                     P_USER_END_REFRESH};
	struct pg *s = (struct pg *)base;
	struct store_user u;
	store_err e;
	int began = 0;

	if (!id || !id[0])
		return pg_fail_ours(s, "user_end_sessions", "invalid argument", STORE_INVALID);
	if (!s->in_tx) { /* a transaction of its own, unless the caller's is open */
		if ((e = pg_simple(s, "user_end_sessions", "BEGIN")) != STORE_OK)
			return e;
		began = 1;
	}
	e = pg_user_find(base, P_USER_GET, "user_end_sessions", id, &u);
	explicit_bzero(&u, sizeof u);
	for (size_t i = 0; e == STORE_OK && i < sizeof ends / sizeof ends[0]; i++) {
		struct pg_params p = {0};

		pp_text(&p, id);
		e = pg_exec(s, ends[i], "user_end_sessions", &p, NULL);
	}
	if (e == STORE_OK && began)
		e = pg_simple(s, "user_end_sessions", "COMMIT");
	if (e != STORE_OK && began && s->conn)
		pg_simple(s, "user_end_sessions", "ROLLBACK");
	return e;
}

static store_err pg_user_get_by_email(store *base, const char *email, struct store_user *out)
{
	return pg_user_find(base, P_USER_GET_EMAIL, "user_get_by_email", email, out);
}

/* ---- single-use links ---- */

static store_err pg_link_put(store *base, const struct store_link *l)
{
	struct pg *s = (struct pg *)base;

	if (!l || !store_link_valid(l))
		return pg_fail_ours(s, "link_put", "invalid link", STORE_INVALID);
	return pg_put_row(s, P_LINK_PUT, "link_put", &store_cols_link, l);
}

/* The live link of hash and kind by q (P_LINK_GET or P_LINK_TAKE) into out. */
static store_err pg_link_find(store *base, enum pg_query q, const char *what, const uint8_t *hash, size_t len,
                              const char *kind, int64_t now, struct store_link *out)
{
	struct pg *s = (struct pg *)base;
	struct pg_params p = {0};

	if (!hash || !kind || !out || len == 0 || len > STORE_HASH_MAX) {
		if (out)
			explicit_bzero(out, sizeof *out);
		return pg_fail_ours(s, what, "invalid argument", STORE_INVALID);
	}
	pp_blob(&p, hash, len);
	pp_i64(&p, now);
	pp_text(&p, kind);
	return pg_get_row(s, q, what, &p, &store_cols_link, out);
}

static store_err pg_link_get(store *base, const uint8_t *hash, size_t len, const char *kind, int64_t now,
                             struct store_link *out)
{
	return pg_link_find(base, P_LINK_GET, "link_get", hash, len, kind, now, out);
}

static store_err pg_link_take(store *base, const uint8_t *hash, size_t len, const char *kind, int64_t now,
                              struct store_link *out)
{
	return pg_link_find(base, P_LINK_TAKE, "link_take", hash, len, kind, now, out);
}

static store_err pg_link_end(store *base, const char *user_id, const char *kind)
{
	struct pg *s = (struct pg *)base;
	struct pg_params p = {0};

	if (!user_id || !user_id[0] || !kind)
		return pg_fail_ours(s, "link_end", "invalid argument", STORE_INVALID);
	pp_text(&p, user_id);
	pp_text(&p, kind);
	return pg_exec(s, P_LINK_END, "link_end", &p, NULL);
}

static store_err pg_link_count(store *base, const char *user_id, const char *kind, int64_t since, int *n)
{
	struct pg *s = (struct pg *)base;
	struct pg_params p = {0};
	PGresult *res = NULL;
	store_err e;

	if (!n || !user_id || !kind)
		return pg_fail_ours(s, "link_count", "invalid argument", STORE_INVALID);
	*n = 0;
	pp_text(&p, user_id);
	pp_text(&p, kind);
	pp_i64(&p, since);
	if ((e = pg_query(s, P_LINK_COUNT, "link_count", &p, &res)) == STORE_OK)
		*n = PQntuples(res) == 1 ? atoi(PQgetvalue(res, 0, 0)) : 0;
	PQclear(res);
	return e;
}

static store_err pg_link_purge(store *base, int64_t now)
{
	return pg_purge(base, P_LINK_PURGE, "link_purge", now);
}

/* ---- sessions ---- */

static store_err pg_session_put(store *base, const struct store_session *se)
{
	struct pg *s = (struct pg *)base;

	if (!se || !store_session_valid(se))
		return pg_fail_ours(s, "session_put", "invalid session", STORE_INVALID);
	return pg_put_row(s, P_SESSION_PUT, "session_put", &store_cols_session, se);
}

static store_err pg_session_get(store *base, const uint8_t *hash, size_t hash_len, int64_t now,
                                struct store_session *out)
{
	return pg_get_by_hash((struct pg *)base, P_SESSION_GET, "session_get", hash, hash_len, now,
	                      &store_cols_session, out);
}

static store_err pg_session_delete(store *base, const uint8_t *hash, size_t hash_len)
{
	struct pg *s = (struct pg *)base;

	if (!hash || hash_len == 0 || hash_len > STORE_HASH_MAX)
		return pg_fail_ours(s, "session_delete", "invalid argument", STORE_INVALID);
	return pg_exec_key(s, P_SESSION_DELETE, "session_delete", NULL, hash, hash_len);
}

static store_err pg_session_purge(store *base, int64_t now)
{
	return pg_purge(base, P_SESSION_PURGE, "session_purge", now);
}

static store_err pg_session_list(store *base, const char *user_id, int64_t now, store_session_cb cb,
                                 void *ctx)
{
	struct pg *s = (struct pg *)base;
	struct pg_each a = {.cb.session = cb, .ctx = ctx};
	struct pg_params p = {0};

	if (!user_id || !cb)
		return pg_fail_ours(s, "session_list", "NULL argument", STORE_INVALID);
	pp_text(&p, user_id);
	pp_i64(&p, now);
	return pg_each_row(s, P_SESSION_LIST, "session_list", &p, &store_cols_session, pg_each_session, &a);
}

/* ---- refresh tokens ---- */

static store_err pg_refresh_put(store *base, const struct store_refresh *r)
{
	struct pg *s = (struct pg *)base;

	if (!r || !store_refresh_valid(r))
		return pg_fail_ours(s, "refresh_put", "invalid refresh token", STORE_INVALID);
	return pg_put_row(s, P_REFRESH_PUT, "refresh_put", &store_cols_refresh, r);
}

static store_err pg_refresh_get(store *base, const uint8_t *hash, size_t hash_len, int64_t now,
                                struct store_refresh *out)
{
	return pg_get_by_hash((struct pg *)base, P_REFRESH_GET, "refresh_get", hash, hash_len, now,
	                      &store_cols_refresh, out);
}

/* Read the old token, locked, into *old and *r; NOT_FOUND if none. */
static store_err pg_refresh_lock(struct pg *s, const uint8_t *hash, size_t n, struct store_refresh *old,
                                 struct store_rotation *r)
{
	const int k = (int)store_cols_refresh.n;
	struct pg_params p = {0};
	PGresult *res = NULL;
	store_err e;

	pp_blob(&p, hash, n);
	if ((e = pg_query(s, P_REFRESH_FIND, "refresh_rotate", &p, &res)) != STORE_OK)
		return e;
	if (PQntuples(res) == 0)
		e = STORE_NOT_FOUND;
	else if (pg_read_row(res, 0, 0, &store_cols_refresh, old) ||
	         pg_col_i64(PQgetvalue(res, 0, k + 2), INT64_MIN, INT64_MAX, &r->used_at) ||
	         (!PQgetisnull(res, 0, k + 3) &&
	          pg_col_blob(PQgetvalue(res, 0, k + 3), (size_t)PQgetlength(res, 0, k + 3), r->replaced_by,
	                      sizeof r->replaced_by, &r->replaced_by_len)))
		e = pg_fail_row(s, "refresh_rotate", &store_cols_refresh);
	else {
		r->used = strcmp(PQgetvalue(res, 0, k), "0") != 0;
		r->revoked = strcmp(PQgetvalue(res, 0, k + 1), "0") != 0;
	}
	PQclear(res);
	return e;
}

/* Run q with ($1 the hash a[0..n), $2 now, $3 the hash b[0..bn)); *changed the rows it changed. */
static store_err pg_link(struct pg *s, enum pg_query q, const uint8_t *a, size_t n, int64_t now,
                         const uint8_t *b, size_t bn, int *changed)
{
	struct pg_params p = {0};

	pp_blob(&p, a, n);
	pp_i64(&p, now);
	pp_blob(&p, b, bn);
	return pg_exec(s, q, "refresh_rotate", &p, changed);
}

/* A used token's retry within the grace: its unused successor gives way to next
 * (*regranted 1), or this is a replay (0). */
static store_err pg_refresh_regrant(struct pg *s, const uint8_t *old_hash, size_t old_len,
                                    const struct store_refresh *old, const struct store_rotation *r,
                                    const struct store_refresh *next, int64_t now, int64_t grace,
                                    int *regranted)
{
	store_err e;
	int n = 0;

	*regranted = 0;
	if (!store_regrant_due(r, old, now, grace))
		return STORE_OK;
	if ((e = pg_link(s, P_REFRESH_SUPERSEDE, r->replaced_by, r->replaced_by_len, now, next->hash,
	                 next->hash_len, &n)) != STORE_OK ||
	    !n)
		return e;
	if ((e = pg_link(s, P_REFRESH_REPLACED, old_hash, old_len, now, next->hash, next->hash_len, &n)) ==
	    STORE_OK)
		*regranted = 1;
	return e;
}

/* One try of a rotation inside its own transaction (see store.h for the answers). */
static store_err pg_rotate_once(struct pg *s, const uint8_t *old_hash, size_t old_len,
                                const struct store_refresh *next, int64_t now, int64_t grace,
                                struct store_refresh *old)
{
	struct store_refresh row;
	struct store_rotation r = {0};
	int regranted = 0, n = 0;
	store_err e;

	if ((e = pg_simple(s, "refresh_rotate", "BEGIN")) != STORE_OK)
		return e;
	e = pg_refresh_lock(s, old_hash, old_len, old, &r);
	if (e == STORE_OK && strcmp(old->client_id, next->client_id) != 0)
		e = STORE_NOT_FOUND; /* another client's token: not this client's to use or to revoke */
	else if (e == STORE_OK && r.used)
		e = pg_refresh_regrant(s, old_hash, old_len, old, &r, next, now, grace, &regranted);
	if (e == STORE_OK && r.used && !regranted) {
		struct pg_params p = {0};

		pp_text(&p, old->family_id);
		if ((e = pg_exec(s, P_REFRESH_REVOKE, "refresh_rotate", &p, NULL)) == STORE_OK &&
		    (e = pg_simple(s, "refresh_rotate", "COMMIT")) == STORE_OK)
			return STORE_REUSED;
	} else if (e == STORE_OK && !regranted && (r.revoked || old->expires_at <= now))
		e = STORE_NOT_FOUND;
	else if (e == STORE_OK) {
		store_refresh_successor(old, next, &row);
		if ((regranted || (e = pg_link(s, P_REFRESH_USE, old_hash, old_len, now, next->hash,
		                               next->hash_len, &n)) == STORE_OK) &&
		    (e = pg_put_row(s, P_REFRESH_PUT, "refresh_rotate", &store_cols_refresh, &row)) ==
		        STORE_OK &&
		    (e = pg_simple(s, "refresh_rotate", "COMMIT")) == STORE_OK)
			return STORE_OK;
	}
	if (s->conn)
		pg_simple(s, "refresh_rotate", "ROLLBACK");
	return e;
}

static store_err pg_refresh_rotate(store *base, const uint8_t *old_hash, size_t old_hash_len,
                                   const struct store_refresh *next, int64_t now, int64_t grace,
                                   struct store_refresh *old_out)
{
	struct pg *s = (struct pg *)base;
	store_err e = STORE_BUSY;

	if (old_out)
		memset(old_out, 0, sizeof *old_out);
	if (!store_rotate_args_valid(old_hash, old_hash_len, next, old_out, grace))
		return pg_fail_ours(s, "refresh_rotate", "invalid argument", STORE_INVALID);
	if (s->in_tx)
		return pg_fail_ours(s, "refresh_rotate", "not inside tx_begin", STORE_INVALID);
	/* A deadlock or serialization failure (40P01, 40001) rolled everything back:
	 * try again. A timeout drops the connection, and is not retried. */
	for (int i = 0; i < STORE_PG_RETRIES; i++)
		if ((e = pg_rotate_once(s, old_hash, old_hash_len, next, now, grace, old_out)) !=
		        STORE_BUSY ||
		    !s->conn)
			break;
	if (e != STORE_OK && e != STORE_REUSED)
		memset(old_out, 0, sizeof *old_out);
	return e;
}

static store_err pg_refresh_revoke_family(store *base, const char *family_id)
{
	struct pg *s = (struct pg *)base;

	if (!family_id || !family_id[0])
		return pg_fail_ours(s, "refresh_revoke_family", "empty family id", STORE_INVALID);
	return pg_exec_key(s, P_REFRESH_REVOKE, "refresh_revoke_family", family_id, NULL, 0);
}

static store_err pg_refresh_revoke_session(store *base, const uint8_t *hash, size_t hash_len)
{
	struct pg *s = (struct pg *)base;
	struct pg_params p = {0};

	if (!hash || hash_len == 0 || hash_len > STORE_HASH_MAX)
		return pg_fail_ours(s, "refresh_revoke_session", "invalid argument", STORE_INVALID);
	pp_blob(&p, hash, hash_len);
	return pg_exec(s, P_REFRESH_REVOKE_SESSION, "refresh_revoke_session", &p, NULL);
}

static store_err pg_refresh_purge(store *base, int64_t now)
{
	return pg_purge(base, P_REFRESH_PURGE, "refresh_purge", now);
}

/* ---- login flows, consents ---- */

static store_err pg_flow_put(store *base, const struct store_flow *f)
{
	struct pg *s = (struct pg *)base;

	if (!f || !store_flow_valid(f))
		return pg_fail_ours(s, "flow_put", "invalid flow", STORE_INVALID);
	return pg_put_row(s, P_FLOW_PUT, "flow_put", &store_cols_flow, f);
}

static store_err pg_flow_get(store *base, const uint8_t *hash, size_t hash_len, int64_t now,
                             struct store_flow *out)
{
	return pg_get_by_hash((struct pg *)base, P_FLOW_GET, "flow_get", hash, hash_len, now,
	                      &store_cols_flow, out);
}

static store_err pg_flow_take(store *base, const uint8_t *hash, size_t hash_len, int64_t now,
                              struct store_flow *out)
{
	return pg_get_by_hash((struct pg *)base, P_FLOW_TAKE, "flow_take", hash, hash_len, now,
	                      &store_cols_flow, out);
}

static store_err pg_flow_set_user(store *base, const uint8_t *hash, size_t hash_len, int64_t now,
                                  const char *user_id, int64_t auth_time, const char *amr, int mfa_pending)
{
	struct pg *s = (struct pg *)base;
	struct pg_params p = {0};
	int changed = 0;
	store_err e;

	if (!hash || hash_len == 0 || hash_len > STORE_HASH_MAX || !user_id || !user_id[0] ||
	    strnlen(user_id, STORE_ID_MAX + 1) > STORE_ID_MAX || auth_time <= 0 || !store_amr_valid(amr) ||
	    (mfa_pending != 0 && mfa_pending != 1))
		return pg_fail_ours(s, "flow_set_user", "invalid argument", STORE_INVALID);
	pp_blob(&p, hash, hash_len);
	pp_i64(&p, now);
	pp_text(&p, user_id);
	pp_i64(&p, auth_time);
	pp_text(&p, amr);
	pp_i64(&p, mfa_pending);
	e = pg_exec(s, P_FLOW_SET_USER, "flow_set_user", &p, &changed); /* unknown user: NOT_FOUND */
	return e == STORE_OK && !changed ? STORE_NOT_FOUND : e;
}

static store_err pg_flow_purge(store *base, int64_t now)
{
	return pg_purge(base, P_FLOW_PURGE, "flow_purge", now);
}

static store_err pg_consent_put(store *base, const char *user_id, const char *client_id, const char *scope,
                                int64_t now)
{
	struct pg *s = (struct pg *)base;
	struct pg_params p = {0};

	if (!user_id || !user_id[0] || !client_id || !client_id[0] || !scope || strchr(scope, '\n') ||
	    strnlen(user_id, STORE_ID_MAX + 1) > STORE_ID_MAX ||
	    strnlen(client_id, STORE_ID_MAX + 1) > STORE_ID_MAX ||
	    strnlen(scope, STORE_SCOPE_MAX + 1) > STORE_SCOPE_MAX)
		return pg_fail_ours(s, "consent_put", "invalid argument", STORE_INVALID);
	pp_text(&p, user_id);
	pp_text(&p, client_id);
	pp_text(&p, scope);
	pp_i64(&p, now);
	return pg_exec(s, P_CONSENT_PUT, "consent_put", &p, NULL); /* unknown user or client: NOT_FOUND */
}

static store_err pg_consent_get(store *base, const char *user_id, const char *client_id, char *scope_out)
{
	struct pg *s = (struct pg *)base;
	struct pg_params p = {0};
	PGresult *res = NULL;
	store_err e;

	if (!user_id || !client_id || !scope_out)
		return pg_fail_ours(s, "consent_get", "NULL argument", STORE_INVALID);
	scope_out[0] = '\0';
	pp_text(&p, user_id);
	pp_text(&p, client_id);
	if ((e = pg_query(s, P_CONSENT_GET, "consent_get", &p, &res)) == STORE_OK) {
		size_t n = PQntuples(res) ? (size_t)PQgetlength(res, 0, 0) : 0;

		if (!PQntuples(res))
			e = STORE_NOT_FOUND;
		else if (n > STORE_SCOPE_MAX)
			e = pg_fail_ours(s, "consent_get", "stored scope does not fit the limits",
			                 STORE_CORRUPT);
		else
			memcpy(scope_out, PQgetvalue(res, 0, 0), n + 1);
	}
	PQclear(res);
	return e;
}

/* ---- the mail outbox ---- */

static store_err pg_outbox_put(store *base, const struct store_mail *m)
{
	struct pg *s = (struct pg *)base;

	if (!m || !store_mail_valid(m))
		return pg_fail_ours(s, "outbox_put", "invalid mail", STORE_INVALID);
	return pg_put_row(s, P_OUTBOX_PUT, "outbox_put", &store_cols_mail, m);
}

static store_err pg_outbox_claim(store *base, int64_t now, int64_t lease, struct store_mail *out)
{
	struct pg *s = (struct pg *)base;
	struct pg_params p = {0};

	if (!out || lease <= 0 || now > INT64_MAX - lease) {
		if (out)
			explicit_bzero(out, sizeof *out);
		return pg_fail_ours(s, "outbox_claim", "invalid argument", STORE_INVALID);
	}
	pp_i64(&p, now);
	pp_i64(&p, now + lease);
	return pg_get_row(s, P_OUTBOX_CLAIM, "outbox_claim", &p, &store_cols_mail, out);
}

static store_err pg_outbox_get(store *base, const char *id, struct store_mail *out)
{
	struct pg *s = (struct pg *)base;
	struct pg_params p = {0};

	if (!id || !out) {
		if (out)
			explicit_bzero(out, sizeof *out);
		return pg_fail_ours(s, "outbox_get", "NULL argument", STORE_INVALID);
	}
	pp_text(&p, id);
	return pg_get_row(s, P_OUTBOX_GET, "outbox_get", &p, &store_cols_mail, out);
}

static store_err pg_outbox_done(store *base, const char *id, int attempt, int64_t now)
{
	struct pg *s = (struct pg *)base;
	struct pg_params p = {0};
	store_err e;
	int changed = 0;

	if (!id || attempt < 1)
		return pg_fail_ours(s, "outbox_done", "invalid argument", STORE_INVALID);
	pp_text(&p, id);
	pp_i64(&p, attempt);
	pp_i64(&p, now);
	e = pg_exec(s, P_OUTBOX_DONE, "outbox_done", &p, &changed);
	return e == STORE_OK && !changed ? STORE_NOT_FOUND : e;
}

static store_err pg_outbox_retry(store *base, const char *id, int attempt, int64_t now, int64_t next_at,
                                 const char *error)
{
	struct pg *s = (struct pg *)base;
	struct pg_params p = {0};
	char why[STORE_MAIL_ERROR_MAX + 1];
	store_err e;
	int changed = 0;

	if (!id || attempt < 1 || next_at < 0 || !error)
		return pg_fail_ours(s, "outbox_retry", "invalid argument", STORE_INVALID);
	snprintf(why, sizeof why, "%s", error);
	pp_text(&p, id);
	pp_i64(&p, attempt);
	pp_i64(&p, now);
	pp_i64(&p, next_at);
	pp_text(&p, why);
	e = pg_exec(s, P_OUTBOX_RETRY, "outbox_retry", &p, &changed);
	return e == STORE_OK && !changed ? STORE_NOT_FOUND : e;
}

static store_err pg_outbox_count(store *base, int64_t now, struct store_outbox_counts *out)
{
	struct pg *s = (struct pg *)base;
	struct pg_params p = {0};
	PGresult *res = NULL;
	int64_t *v[4];
	store_err e;

	if (!out)
		return pg_fail_ours(s, "outbox_count", "NULL argument", STORE_INVALID);
	memset(out, 0, sizeof *out);
	v[0] = &out->queued, v[1] = &out->due, v[2] = &out->sent, v[3] = &out->failed;
	pp_i64(&p, now);
	if ((e = pg_query(s, P_OUTBOX_COUNT, "outbox_count", &p, &res)) == STORE_OK)
		for (int i = 0; i < 4 && e == STORE_OK; i++)
			if (PQntuples(res) != 1 || pg_col_i64(PQgetvalue(res, 0, i), 0, INT64_MAX, v[i]))
				e = pg_fail_ours(s, "outbox_count", "an unexpected answer", STORE_CORRUPT);
	PQclear(res);
	return e;
}

static store_err pg_outbox_purge(store *base, int64_t before)
{
	return pg_purge(base, P_OUTBOX_PURGE, "outbox_purge", before);
}

/* ---- second factors, WebAuthn challenges ---- */

static store_err pg_factor_put(store *base, const struct store_factor *f)
{
	struct pg *s = (struct pg *)base;

	if (!f || !store_factor_valid(f))
		return pg_fail_ours(s, "factor_put", "invalid factor", STORE_INVALID);
	return pg_put_row(s, P_FACTOR_PUT, "factor_put", &store_cols_factor, f);
}

static store_err pg_factor_list(store *base, const char *user_id, store_factor_cb cb, void *ctx)
{
	struct pg *s = (struct pg *)base;
	struct pg_each a = {.cb.factor = cb, .ctx = ctx};
	struct pg_params p = {0};

	if (!user_id || !cb)
		return pg_fail_ours(s, "factor_list", "NULL argument", STORE_INVALID);
	pp_text(&p, user_id);
	return pg_each_row(s, P_FACTOR_LIST, "factor_list", &p, &store_cols_factor, pg_each_factor, &a);
}

static store_err pg_factor_by_cred(store *base, const uint8_t *cred_id, size_t len, struct store_factor *out)
{
	struct pg *s = (struct pg *)base;
	struct pg_params p = {0};

	if (!cred_id || !out || len == 0 || len > STORE_CRED_ID_MAX) {
		if (out)
			explicit_bzero(out, sizeof *out);
		return pg_fail_ours(s, "factor_by_cred", "invalid argument", STORE_INVALID);
	}
	pp_blob(&p, cred_id, len);
	return pg_get_row(s, P_FACTOR_BY_CRED, "factor_by_cred", &p, &store_cols_factor, out);
}

/* Run q, a conditional write to the factor id ($1) of user_id ($2) with p's further
 * parameters: OK when it changed the row; else CONFLICT when that factor exists
 * (its condition did not hold), NOT_FOUND when it does not. */
static store_err pg_factor_write(struct pg *s, enum pg_query q, const char *what, struct pg_params *p)
{
	struct pg_params k = {0};
	PGresult *res = NULL;
	store_err e;
	int changed = 0;

	if ((e = pg_exec(s, q, what, p, &changed)) != STORE_OK || changed)
		return e;
	pp_text(&k, p->v[0]);
	pp_text(&k, p->v[1]);
	if ((e = pg_query(s, P_FACTOR_EXISTS, what, &k, &res)) == STORE_OK)
		e = PQntuples(res) ? STORE_CONFLICT : STORE_NOT_FOUND;
	PQclear(res);
	return e;
}

/* One UPDATE (P_FACTOR_USE): concurrent uses queue on the row's lock, and each
 * re-checks the condition on the row the one before left. */
static store_err pg_factor_use(store *base, const char *id, const char *user_id, int64_t counter, int64_t now)
{
	struct pg *s = (struct pg *)base;
	struct pg_params p = {0};

	if (!id || !user_id || counter < 0)
		return pg_fail_ours(s, "factor_use", "invalid argument", STORE_INVALID);
	pp_text(&p, id);
	pp_text(&p, user_id);
	pp_i64(&p, counter);
	pp_i64(&p, now);
	return pg_factor_write(s, P_FACTOR_USE, "factor_use", &p);
}

/* One UPDATE (P_FACTOR_SWAP): a compare-and-swap of the factor's bytes. */
static store_err pg_factor_swap(store *base, const char *id, const char *user_id, const uint8_t *old,
                                size_t old_len, const uint8_t *data, size_t data_len, int64_t now)
{
	struct pg *s = (struct pg *)base;
	struct pg_params p = {0};

	if (!id || !user_id || (old_len && !old) || (data_len && !data) || old_len > STORE_FACTOR_DATA_MAX ||
	    data_len > STORE_FACTOR_DATA_MAX)
		return pg_fail_ours(s, "factor_swap", "invalid argument", STORE_INVALID);
	pp_text(&p, id);
	pp_text(&p, user_id);
	pp_blob(&p, old, old_len);
	pp_blob(&p, data, data_len);
	pp_i64(&p, now);
	return pg_factor_write(s, P_FACTOR_SWAP, "factor_swap", &p);
}

static store_err pg_factor_delete(store *base, const char *id, const char *user_id)
{
	struct pg *s = (struct pg *)base;
	struct pg_params p = {0};
	int changed = 0;
	store_err e;

	if (!id || !user_id)
		return pg_fail_ours(s, "factor_delete", "NULL argument", STORE_INVALID);
	pp_text(&p, id);
	pp_text(&p, user_id);
	e = pg_exec(s, P_FACTOR_DELETE, "factor_delete", &p, &changed);
	return e == STORE_OK && !changed ? STORE_NOT_FOUND : e;
}

static store_err pg_factor_clear(store *base, const char *user_id, const char *kind, int *n)
{
	struct pg *s = (struct pg *)base;
	struct pg_params p = {0};
	int changed = 0;
	store_err e;

	if (n)
		*n = 0;
	if (!user_id || (kind && !store_factor_kind_valid(kind)))
		return pg_fail_ours(s, "factor_clear", "invalid argument", STORE_INVALID);
	pp_text(&p, user_id);
	pp_text(&p, kind);
	if ((e = pg_exec(s, P_FACTOR_CLEAR, "factor_clear", &p, &changed)) == STORE_OK && n)
		*n = changed;
	return e;
}

static store_err pg_challenge_put(store *base, const uint8_t *hash, size_t hash_len, const char *user_id,
                                  int64_t expires_at)
{
	struct pg *s = (struct pg *)base;
	struct pg_params p = {0};

	if (!hash || hash_len == 0 || hash_len > STORE_HASH_MAX || !user_id ||
	    strnlen(user_id, STORE_ID_MAX + 1) > STORE_ID_MAX)
		return pg_fail_ours(s, "challenge_put", "invalid argument", STORE_INVALID);
	pp_blob(&p, hash, hash_len);
	pp_text(&p, user_id);
	pp_i64(&p, expires_at);
	return pg_exec(s, P_CHALLENGE_PUT, "challenge_put", &p, NULL);
}

/* One DELETE ... RETURNING (as flow_take): concurrent takers queue on the row's
 * lock and find it gone. */
static store_err pg_challenge_take(store *base, const uint8_t *hash, size_t hash_len, int64_t now,
                                   char *user_id)
{
	struct pg *s = (struct pg *)base;
	struct pg_params p = {0};
	PGresult *res = NULL;
	store_err e;

	if (user_id)
		user_id[0] = '\0';
	if (!hash || hash_len == 0 || hash_len > STORE_HASH_MAX || !user_id)
		return pg_fail_ours(s, "challenge_take", "invalid argument", STORE_INVALID);
	pp_blob(&p, hash, hash_len);
	pp_i64(&p, now);
	if ((e = pg_query(s, P_CHALLENGE_TAKE, "challenge_take", &p, &res)) != STORE_OK)
		return e;
	if (PQntuples(res) == 0)
		e = STORE_NOT_FOUND;
	else if ((size_t)PQgetlength(res, 0, 0) > STORE_ID_MAX ||
	         memchr(PQgetvalue(res, 0, 0), '\0', (size_t)PQgetlength(res, 0, 0)))
		e = pg_fail_ours(s, "challenge_take", "stored user id does not fit the limits",
		                 STORE_CORRUPT);
	else
		memcpy(user_id, PQgetvalue(res, 0, 0), (size_t)PQgetlength(res, 0, 0) + 1);
	PQclear(res);
	return e;
}

static store_err pg_challenge_purge(store *base, int64_t now)
{
	return pg_purge(base, P_CHALLENGE_PURGE, "challenge_purge", now);
}

/* ---- raw rows (store copy) ---- */

/* Run sql (not prepared: a rare statement) with p; the result into *out, as pg_query. */
static store_err pg_query_sql(struct pg *s, const char *sql, const char *what, const struct pg_params *p,
                              PGresult **out)
{
	int64_t deadline = pg_now_ms() + pg_timeout_ms;
	PGresult *res = NULL;
	store_err e;

	*out = NULL;
	if ((e = pg_ready(s, what)) != STORE_OK)
		return e;
	if (!PQsendQueryParams(s->conn, sql, p ? p->n : 0, NULL, p ? p->v : NULL, p ? p->len : NULL,
	                       p ? p->fmt : NULL, 0)) {
		pg_set_msg(s, what, PQerrorMessage(s->conn));
		pg_drop(s);
		return STORE_IO;
	}
	if ((e = pg_collect(s, what, deadline, &res)) != STORE_OK)
		return e;
	if ((e = pg_check(s, what, res)) != STORE_OK) {
		PQclear(res);
		return e;
	}
	*out = res;
	return STORE_OK;
}

/* Row i of res as raw values of kinds into v (bytes decoded into buf, of room enough). */
static int pg_raw_row(PGresult *res, int i, const char *kinds, struct store_value *v, uint8_t *buf)
{
	for (int c = 0; kinds[c]; c++) {
		const char *x = PQgetvalue(res, i, c);
		size_t n = (size_t)PQgetlength(res, i, c);

		v[c] = (struct store_value){.kind = PQgetisnull(res, i, c) ? 0 : kinds[c]};
		if (v[c].kind == 'i' && pg_col_i64(x, INT64_MIN, INT64_MAX, &v[c].i))
			return -1;
		if (v[c].kind == 't')
			v[c].p = x, v[c].len = n;
		if (v[c].kind == 'b') {
			if (pg_col_blob(x, n, buf, n / 2, &v[c].len))
				return -1;
			v[c].p = buf;
			buf += v[c].len;
		}
	}
	return 0;
}

/* see store.h: struct store_ops, raw_each */
static store_err pg_raw_each(store *base, size_t t, store_raw_cb cb, void *ctx)
{
	struct pg *s = (struct pg *)base;
	struct store_value v[STORE_RAW_COLS_MAX];
	PGresult *res = NULL;
	uint8_t *buf = NULL;
	char sql[640];
	store_err e;

	if (!cb || t >= store_raw_n)
		return pg_fail_ours(s, "raw_each", "invalid argument", STORE_INVALID);
	snprintf(sql, sizeof sql, "SELECT %s FROM %s%s", store_raw_tables[t].cols, store_raw_tables[t].name,
	         strcmp(store_raw_tables[t].name, "signing_keys") ? "" : " ORDER BY created_at, seq");
	if ((e = pg_query_sql(s, sql, "raw_each", NULL, &res)) != STORE_OK)
		return e;
	for (int i = 0; e == STORE_OK && i < PQntuples(res); i++) {
		size_t room = 0;

		for (int c = 0; c < PQnfields(res); c++)
			room += (size_t)PQgetlength(res, i, c) / 2;
		free(buf);
		if (!(buf = malloc(room + 1)))
			e = pg_fail_ours(s, "raw_each", "out of memory", STORE_NOMEM);
		else if (pg_raw_row(res, i, store_raw_tables[t].kinds, v, buf))
			e = pg_fail_ours(s, "raw_each", "a stored value is not of its column's kind",
			                 STORE_CORRUPT);
		else if (cb(ctx, v, strlen(store_raw_tables[t].kinds)))
			break;
	}
	free(buf);
	PQclear(res);
	return e;
}

/* see store.h: struct store_ops, raw_put */
static store_err pg_raw_put(store *base, size_t t, const struct store_value *v, size_t n, int merge)
{
	struct pg *s = (struct pg *)base;
	struct pg_params p = {0};
	char sql[768], marks[5 * STORE_RAW_COLS_MAX] = "";
	PGresult *res = NULL;
	store_err e;

	if (t >= store_raw_n || n != strlen(store_raw_tables[t].kinds) || n > PG_MAX_PARAMS || (n && !v))
		return pg_fail_ours(s, "raw_put", "invalid argument", STORE_INVALID);
	for (size_t i = 0; i < n; i++) {
		snprintf(marks + strlen(marks), sizeof marks - strlen(marks), "%s$%zu", i ? ", " : "", i + 1);
		if (v[i].kind == 'i')
			pp_i64(&p, v[i].i);
		else if (v[i].kind) /* text and bytes both as binary: exact lengths, no NUL needed */
			p.v[p.n] = v[i].p ? v[i].p : "", p.len[p.n] = (int)v[i].len, p.fmt[p.n++] = 1;
		else
			pp_text(&p, NULL);
	}
	snprintf(sql, sizeof sql, "INSERT INTO %s (%s) VALUES (%s)%s", store_raw_tables[t].name,
	         store_raw_tables[t].cols, marks, merge ? " ON CONFLICT DO NOTHING" : "");
	e = pg_query_sql(s, sql, "raw_put", &p, &res);
	PQclear(res);
	return e;
}

/* ---- open, migrate, close ---- */

static const char *pg_errmsg(store *base)
{
	return ((struct pg *)base)->msg;
}

static void pg_close(store *base)
{
	struct pg *s = (struct pg *)base;

	if (!s)
		return;
	PQfinish(s->conn); /* the server rolls back a transaction left open */
	if (s->url) {
		explicit_bzero(s->url, strlen(s->url));
		free(s->url);
	}
	free(s);
}

/* The first column of the first row of sql as an integer (-1: no row); -2 on failure. */
static int64_t pg_scalar(struct pg *s, const char *sql)
{
	PGresult *res = NULL;
	int64_t v = -1;

	if (pg_ready(s, "open") != STORE_OK || !PQsendQuery(s->conn, sql) ||
	    pg_collect(s, "open", pg_now_ms() + pg_timeout_ms, &res) != STORE_OK ||
	    pg_check(s, "open", res) != STORE_OK)
		v = -2;
	else if (PQntuples(res) && pg_col_i64(PQgetvalue(res, 0, 0), INT64_MIN, INT64_MAX, &v))
		v = -2;
	PQclear(res);
	return v;
}

/*
 * Take the schema to this program's version: every migration with its version
 * bump in one transaction, the version row locked FOR UPDATE so that replicas
 * starting together migrate once. A first creation that loses the race to
 * another process (a duplicate table or key) is rolled back and read again.
 * 0, or -1 with the reason in err.
 */
static int pg_migrate(struct pg *s, char *err, size_t errlen)
{
	for (int tries = 0; tries < 20; tries++) {
		int64_t tables, v;
		store_err e = pg_simple(s, "migrate", "BEGIN");

		tables = e ? -2
		           : pg_scalar(s, "SELECT count(*) FROM information_schema.tables WHERE table_schema "
		                          "= current_schema() AND table_name = 'idb_schema'");
		v = tables == 1   ? pg_scalar(s, "SELECT version FROM idb_schema WHERE app = '" PG_APP "' "
		                                   "FOR UPDATE")
		    : tables == 0 ? pg_scalar(s, "SELECT count(*) FROM information_schema.tables WHERE "
		                                 "table_schema = current_schema()") > 0
		                        ? -3
		                        : 0
		                  : -2;
		if (v == -3 || (tables == 1 && v == -1)) {
			snprintf(err, errlen,
			         "not an identity-backend database (it has tables, but no "
			         "identity-backend schema): refusing to touch it");
			break;
		}
		if (v > PG_SCHEMA_VERSION) {
			snprintf(err, errlen,
			         "schema version %" PRId64 " is newer than this program's (%d): "
			         "upgrade identity-backend",
			         v, PG_SCHEMA_VERSION);
			break;
		}
		for (int64_t i = v; v >= 0 && i < PG_SCHEMA_VERSION && e == STORE_OK; i++) {
			char bump[96];

			snprintf(bump, sizeof bump,
			         "UPDATE idb_schema SET version = %" PRId64 " WHERE app = '" PG_APP "'",
			         i + 1);
			if ((e = pg_simple(s, "migrate", pg_migrations[i])) == STORE_OK)
				e = pg_simple(s, "migrate", bump);
		}
		if (v >= 0 && e == STORE_OK && (e = pg_simple(s, "migrate", "COMMIT")) == STORE_OK)
			return 0;
		if (s->conn)
			pg_simple(s, "migrate", "ROLLBACK");
		if (e != STORE_CONFLICT && e != STORE_BUSY && !(e == STORE_IO && s->conn)) {
			snprintf(err, errlen, "schema migration failed: %s", s->msg);
			return -1;
		}
		struct timespec ts = {0, 20 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	if (!err[0])
		snprintf(err, errlen, "schema migration failed: %s", s->msg);
	return -1;
}

/* see store.h */
store *store_pg_open(const char *url, char *err, size_t errlen)
{
	char why[300] = "";
	struct pg *s = NULL;

	if (err && errlen)
		err[0] = '\0';
	if (!url || !*url || !(s = calloc(1, sizeof *s)) || !(s->url = strdup(url))) {
		snprintf(why, sizeof why, "%s", s ? "out of memory" : "no database URL");
		goto fail;
	}
	s->base.ops = &store_pg_ops;
	if (pg_connect(s, why, sizeof why) || pg_migrate(s, why, sizeof why))
		goto fail;
	return &s->base;
fail:
	if (err && errlen)
		snprintf(err, errlen, "PostgreSQL: %s", why);
	pg_close(s ? &s->base : NULL);
	return NULL;
}

/* see store.h */
const struct store_ops store_pg_ops = {
    .name = "postgres",
    .open = store_pg_open,
    .close = pg_close,
    .errmsg = pg_errmsg,
    .tx_begin = pg_tx_begin,
    .tx_end = pg_tx_end,
    .ping = pg_ping,
    .backup = pg_backup,
    .client_put = pg_client_put,
    .client_get = pg_client_get,
    .client_list = pg_client_list,
    .client_delete = pg_client_delete,
    .client_update = pg_client_update,
    .key_put = pg_key_put,
    .key_list = pg_key_list,
    .key_retire = pg_key_retire,
    .key_set_private = pg_key_set_private,
    .key_purge = pg_key_purge,
    .revoke_put = pg_revoke_put,
    .revoke_check = pg_revoke_check,
    .revoke_purge = pg_revoke_purge,
    .code_put = pg_code_put,
    .code_take = pg_code_take,
    .code_purge = pg_code_purge,
    .user_put = pg_user_put,
    .user_get = pg_user_get,
    .user_get_by_name = pg_user_get_by_name,
    .user_list = pg_user_list,
    .user_delete = pg_user_delete,
    .user_set_password = pg_user_set_password,
    .user_update = pg_user_update,
    .user_end_sessions = pg_user_end_sessions,
    .user_get_by_email = pg_user_get_by_email,
    .link_put = pg_link_put,
    .link_get = pg_link_get,
    .link_take = pg_link_take,
    .link_end = pg_link_end,
    .link_count = pg_link_count,
    .link_purge = pg_link_purge,
    .login_admit = pg_login_admit,
    .login_failed = pg_login_failed,
    .login_clear = pg_login_clear,
    .login_unlock = pg_login_unlock,
    .login_get = pg_login_get,
    .login_purge = pg_login_purge,
    .session_put = pg_session_put,
    .session_get = pg_session_get,
    .session_delete = pg_session_delete,
    .session_purge = pg_session_purge,
    .refresh_put = pg_refresh_put,
    .refresh_get = pg_refresh_get,
    .refresh_rotate = pg_refresh_rotate,
    .refresh_revoke_family = pg_refresh_revoke_family,
    .refresh_revoke_session = pg_refresh_revoke_session,
    .refresh_purge = pg_refresh_purge,
    .flow_put = pg_flow_put,
    .flow_get = pg_flow_get,
    .flow_set_user = pg_flow_set_user,
    .flow_take = pg_flow_take,
    .flow_purge = pg_flow_purge,
    .consent_put = pg_consent_put,
    .consent_get = pg_consent_get,
    .raw_each = pg_raw_each,
    .raw_put = pg_raw_put,
    .outbox_put = pg_outbox_put,
    .outbox_claim = pg_outbox_claim,
    .outbox_done = pg_outbox_done,
    .outbox_retry = pg_outbox_retry,
    .outbox_get = pg_outbox_get,
    .outbox_count = pg_outbox_count,
    .outbox_purge = pg_outbox_purge,
    .session_list = pg_session_list,
    .factor_put = pg_factor_put,
    .factor_list = pg_factor_list,
    .factor_by_cred = pg_factor_by_cred,
    .factor_use = pg_factor_use,
    .factor_swap = pg_factor_swap,
    .factor_delete = pg_factor_delete,
    .factor_clear = pg_factor_clear,
    .challenge_put = pg_challenge_put,
    .challenge_take = pg_challenge_take,
    .challenge_purge = pg_challenge_purge,
};
