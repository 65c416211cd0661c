/*
 * store_sqlite.c: the SQLite backend of the storage seam (see store.h). One
 * `struct sq` is one connection, opened in multi-thread mode (no SQLite mutex:
 * one thread per connection, as store.h requires), in WAL mode so readers never
 * wait for the writer, with every statement prepared once per connection and
 * kept. The schema lives in `migrations[]` below and only ever moves forward.
 *
 * It must never: put a secret in an error message, hand back a truncated value,
 * answer "not found" or "not revoked" when the truth is "could not read", or
 * close() a descriptor of a database file that SQLite may hold locks on (POSIX
 * locks are per process: that close would drop every connection's locks; see
 * https://sqlite.org/howtocorrupt.html §2.2).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store/columns.h"
#include "store/valid.h"
#include "store/store.h"

/* How long a write waits for another writer before STORE_BUSY. Writes are a few
 * rows each, so waiting this long means something is wrong, not merely busy. */
/* Pages a backup copies before it lets writers in again (4 KiB each). */
#ifndef STORE_SQLITE_BACKUP_PAGES
#define STORE_SQLITE_BACKUP_PAGES 256
#endif
#ifndef STORE_SQLITE_BUSY_MS
#define STORE_SQLITE_BUSY_MS 2000
#endif

/* WAL pages after which a commit is followed by a checkpoint (SQLite's own
 * wal_autocheckpoint default); see sq_wal_hook. */
#ifndef STORE_SQLITE_CHECKPOINT_PAGES
#define STORE_SQLITE_CHECKPOINT_PAGES 1000
#endif

/* Pause between attempts to switch a fresh file to WAL mode (see open). */
#define SQ_WAL_RETRY_MS 5

/* "IDBK": PRAGMA application_id, so that another program's database is refused. */
#define SQ_APP_ID 0x4944424b

/* Oldest SQLite with STRICT tables (3.37) and UPDATE … RETURNING (3.35). */
#define SQ_MIN_VERSION 3037000

/*
 * The schema, one entry per version: migrations[i] takes user_version i to i+1,
 * in one transaction with the version bump. Append only; never edit a released
 * entry. Multi-valued columns are '\n'-separated lists (store.h, "Values").
 * Hashes are BLOBs computed by the caller; the store never sees a secret.
 */
static const char *const migrations[] = {
    /* 1: clients, keys, revocations; users, sessions, codes, refresh tokens. */
    "PRAGMA application_id = 1229210187;\n" /* SQ_APP_ID */
    "CREATE TABLE clients (\n"
    "  id            TEXT PRIMARY KEY NOT NULL,\n"
    "  secret_hash   BLOB,\n" /* keyed hash of the secret; NULL for a public client */
    "  secret_salt   BLOB,\n"
    "  is_public     INTEGER NOT NULL DEFAULT 0 CHECK (is_public IN (0, 1)),\n"
    "  grants        TEXT NOT NULL DEFAULT '',\n"
    "  redirect_uris TEXT NOT NULL DEFAULT '',\n"
    "  audiences     TEXT NOT NULL DEFAULT '',\n"
    "  scope         TEXT NOT NULL DEFAULT '',\n"
    "  subjects      TEXT NOT NULL DEFAULT '',\n" /* allowed `sub`s (legacy JSON /token) */
    "  needs_consent INTEGER NOT NULL DEFAULT 0 CHECK (needs_consent IN (0, 1)),\n"
    "  created_at    INTEGER NOT NULL,\n"
    "  CHECK ((is_public = 1) = (secret_hash IS NULL))\n"
    ") STRICT;\n"
    "CREATE TABLE signing_keys (\n"
    "  kid         TEXT PRIMARY KEY NOT NULL,\n" /* RFC 7638 thumbprint */
    "  alg         TEXT NOT NULL,\n"
    "  private_der BLOB NOT NULL,\n"
    "  created_at  INTEGER NOT NULL,\n" /* published from here */
    "  not_before  INTEGER NOT NULL,\n" /* signs from here (publish-before-sign) */
    "  retired_at  INTEGER,\n"          /* signs no more from here */
    "  expires_at  INTEGER,\n"          /* leaves the JWKS here; then purgeable */
    "  CHECK (expires_at IS NULL OR retired_at IS NOT NULL AND expires_at >= retired_at)\n"
    ") STRICT;\n"
    "CREATE INDEX signing_keys_created ON signing_keys (created_at);\n"
    "CREATE TABLE revoked_tokens (\n"
    "  jti        TEXT PRIMARY KEY NOT NULL,\n"
    "  expires_at INTEGER NOT NULL\n" /* the token's exp: kept until then */
    ") STRICT, WITHOUT ROWID;\n"
    "CREATE INDEX revoked_tokens_expires ON revoked_tokens (expires_at);\n"
    "CREATE TABLE users (\n"
    "  id            TEXT PRIMARY KEY NOT NULL,\n" /* the `sub`: opaque, never reused */
    "  username      TEXT NOT NULL UNIQUE,\n"
    "  email         TEXT,\n"
    "  password_hash TEXT NOT NULL,\n" /* argon2id encoded string ($argon2id$v=19$…) */
    "  created_at    INTEGER NOT NULL,\n"
    "  failed_logins INTEGER NOT NULL DEFAULT 0,\n"
    "  locked_until  INTEGER NOT NULL DEFAULT 0\n"
    ") STRICT;\n"
    "CREATE TABLE sessions (\n"
    "  id_hash    BLOB PRIMARY KEY NOT NULL,\n" /* hash of the cookie value */
    "  user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,\n"
    "  auth_time  INTEGER NOT NULL,\n"
    "  expires_at INTEGER NOT NULL\n"
    ") STRICT, WITHOUT ROWID;\n"
    "CREATE INDEX sessions_user ON sessions (user_id);\n"
    "CREATE INDEX sessions_expires ON sessions (expires_at);\n"
    "CREATE TABLE auth_codes (\n"
    "  code_hash             BLOB PRIMARY KEY NOT NULL,\n"
    "  client_id             TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,\n"
    "  user_id               TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,\n"
    "  redirect_uri          TEXT NOT NULL,\n"
    "  scope                 TEXT NOT NULL,\n"
    "  nonce                 TEXT NOT NULL DEFAULT '',\n"
    "  code_challenge        TEXT NOT NULL,\n"
    "  code_challenge_method TEXT NOT NULL,\n"
    "  auth_time             INTEGER NOT NULL,\n"
    "  expires_at            INTEGER NOT NULL,\n"
    "  used                  INTEGER NOT NULL DEFAULT 0 CHECK (used IN (0, 1))\n"
    ") STRICT;\n"
    "CREATE INDEX auth_codes_client ON auth_codes (client_id);\n"
    "CREATE INDEX auth_codes_user ON auth_codes (user_id);\n"
    "CREATE INDEX auth_codes_expires ON auth_codes (expires_at);\n"
    "CREATE TABLE refresh_tokens (\n"
    "  token_hash BLOB PRIMARY KEY NOT NULL,\n"
    "  family_id  TEXT NOT NULL,\n" /* every rotation of one grant shares it */
    "  client_id  TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,\n"
    "  user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,\n"
    "  scope      TEXT NOT NULL,\n"
    "  auth_time  INTEGER NOT NULL,\n" /* for the ID token a refresh returns */
    "  created_at INTEGER NOT NULL,\n"
    "  expires_at INTEGER NOT NULL,\n"
    "  used       INTEGER NOT NULL DEFAULT 0 CHECK (used IN (0, 1)),\n"   /* rotated away */
    "  revoked    INTEGER NOT NULL DEFAULT 0 CHECK (revoked IN (0, 1))\n" /* family revoked */
    ") STRICT;\n"
    "CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);\n"
    "CREATE INDEX refresh_tokens_client ON refresh_tokens (client_id);\n"
    "CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);\n"
    "CREATE INDEX refresh_tokens_expires ON refresh_tokens (expires_at);\n",
    /* 2: usernames are unique without regard to ASCII case ("Alice" is "alice"),
     * as in Keycloak; lookups by name use this index (WHERE … COLLATE NOCASE). */
    "CREATE UNIQUE INDEX users_username_nocase ON users (username COLLATE NOCASE);\n",
    /* 3: RP-initiated logout and the ID token's alg per client; login flows kept
     * server-side between /authorize and the code; consents per user and client.
     * Child keys are indexed so that deleting a client or user cascades without
     * scanning (https://sqlite.org/foreignkeys.html §3). login_flows keeps its
     * rowid: a row (URI, state, nonce) can be kilobytes, too big for a B-tree key. */
    "ALTER TABLE clients ADD COLUMN post_logout_uris TEXT NOT NULL DEFAULT '';\n"
    "ALTER TABLE clients ADD COLUMN id_token_alg TEXT NOT NULL DEFAULT '';\n" /* '': RS256 */
    "CREATE TABLE login_flows (\n"
    "  id_hash               BLOB PRIMARY KEY NOT NULL,\n" /* hash of the flow's random id */
    "  csrf_hash             BLOB NOT NULL,\n"             /* hash of the form's CSRF token */
    "  browser_hash          BLOB NOT NULL,\n"             /* hash of the browser-binding cookie */
    "  client_id             TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,\n"
    "  redirect_uri          TEXT NOT NULL,\n"
    "  scope                 TEXT NOT NULL,\n"
    "  state                 TEXT NOT NULL DEFAULT '',\n"
    "  nonce                 TEXT NOT NULL DEFAULT '',\n"
    "  code_challenge        TEXT NOT NULL,\n"
    "  code_challenge_method TEXT NOT NULL,\n"
    "  prompt                INTEGER NOT NULL DEFAULT 0 CHECK (prompt BETWEEN 0 AND 3),\n"
    "  max_age               INTEGER NOT NULL DEFAULT -1 CHECK (max_age >= -1),\n"
    "  user_id               TEXT REFERENCES users (id) ON DELETE CASCADE,\n" /* NULL until signed in */
    "  auth_time             INTEGER NOT NULL DEFAULT 0,\n"
    "  created_at            INTEGER NOT NULL,\n"
    "  expires_at            INTEGER NOT NULL\n"
    ") STRICT;\n"
    "CREATE INDEX login_flows_client ON login_flows (client_id);\n"
    "CREATE INDEX login_flows_user ON login_flows (user_id);\n"
    "CREATE INDEX login_flows_expires ON login_flows (expires_at);\n"
    "CREATE TABLE consents (\n"
    "  user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,\n"
    "  client_id  TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,\n"
    "  scope      TEXT NOT NULL,\n" /* space-separated, as granted */
    "  granted_at INTEGER NOT NULL,\n"
    "  PRIMARY KEY (user_id, client_id)\n"
    ") STRICT, WITHOUT ROWID;\n"
    "CREATE INDEX consents_client ON consents (client_id);\n",
    /* 4: refresh tokens remember when they were rotated and by which token, so a
     * retry whose answer was lost can be told from a replay (the reuse grace). */
    "ALTER TABLE refresh_tokens ADD COLUMN used_at INTEGER NOT NULL DEFAULT 0;\n"
    "ALTER TABLE refresh_tokens ADD COLUMN replaced_by BLOB;\n",
    /* 5: sign-in attempts are counted by username, known or not, when they are
     * submitted (store.h login_admit); users.failed_logins and locked_until are
     * read no more, and a lock in force moves over. */
    "CREATE TABLE login_attempts (\n"
    "  name         TEXT PRIMARY KEY NOT NULL,\n" /* the username in ASCII lower case */
    "  attempts     INTEGER NOT NULL CHECK (attempts >= 0),\n"
    "  since        INTEGER NOT NULL,\n"
    "  locked_until INTEGER NOT NULL DEFAULT 0\n"
    ") STRICT, WITHOUT ROWID;\n"
    "INSERT INTO login_attempts (name, attempts, since, locked_until)\n"
    "  SELECT lower(username), min(failed_logins, 2147483647), created_at, locked_until FROM users\n"
    "  WHERE locked_until > 0;\n"
    "UPDATE users SET failed_logins = 0, locked_until = 0;\n"
    /* Codes and refresh tokens remember the browser session they were issued in,
     * so that signing out there revokes that session's refresh tokens. */
    "ALTER TABLE auth_codes ADD COLUMN session_hash BLOB;\n"
    "ALTER TABLE refresh_tokens ADD COLUMN session_hash BLOB;\n"
    "CREATE INDEX refresh_tokens_session ON refresh_tokens (session_hash) WHERE session_hash IS NOT NULL;\n",
    /* 6: account lifecycle: a person's full name, a confirmed address, a disabled
     * flag and groups; a client's display name and logo, and the secret before
     * its last rotation with the end of its grace period. */
    "ALTER TABLE users ADD COLUMN name TEXT NOT NULL DEFAULT '';\n"
    "ALTER TABLE users ADD COLUMN email_verified INTEGER NOT NULL DEFAULT 0 CHECK (email_verified IN (0, "
    "1));\n"
    "ALTER TABLE users ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1));\n"
    "ALTER TABLE users ADD COLUMN groups TEXT NOT NULL DEFAULT '';\n"
    "ALTER TABLE clients ADD COLUMN name TEXT NOT NULL DEFAULT '';\n"
    "ALTER TABLE clients ADD COLUMN logo_uri TEXT NOT NULL DEFAULT '';\n"
    "ALTER TABLE clients ADD COLUMN prev_hash BLOB;\n"
    "ALTER TABLE clients ADD COLUMN prev_salt BLOB;\n"
    "ALTER TABLE clients ADD COLUMN prev_until INTEGER NOT NULL DEFAULT 0;\n"
    /* Self-registered users wait for their address; single-use links mailed to
     * people (verification, reset), by the hash of their token; user_id NULL: a
     * decoy written for an unknown address. */
    "ALTER TABLE users ADD COLUMN verify_required INTEGER NOT NULL DEFAULT 0 CHECK (verify_required IN (0, "
    "1));\n"
    "CREATE INDEX users_email ON users (email COLLATE NOCASE);\n"
    "CREATE TABLE account_links (\n"
    "  hash       BLOB PRIMARY KEY NOT NULL,\n"
    "  kind       TEXT NOT NULL,\n"
    "  user_id    TEXT REFERENCES users (id) ON DELETE CASCADE,\n"
    "  email      TEXT NOT NULL,\n"
    "  created_at INTEGER NOT NULL,\n"
    "  expires_at INTEGER NOT NULL,\n"
    "  used       INTEGER NOT NULL DEFAULT 0 CHECK (used IN (0, 1))\n"
    ") STRICT, WITHOUT ROWID;\n"
    "CREATE INDEX account_links_user ON account_links (user_id, kind, created_at);\n"
    "CREATE INDEX account_links_expires ON account_links (expires_at);\n",
    /* 7: the mail outbox (store.h, struct store_mail): mails wait here, written in
     * the transaction of what they announce, until a sender has them accepted. */
    "CREATE TABLE outbox (\n"
    "  id          TEXT PRIMARY KEY NOT NULL,\n" /* the local part of its Message-ID */
    "  kind        TEXT NOT NULL,\n"
    "  sender      TEXT NOT NULL,\n"
    "  rcpt        TEXT NOT NULL,\n"
    "  message     TEXT NOT NULL,\n" /* '' once sent or given up */
    "  state       INTEGER NOT NULL DEFAULT 0 CHECK (state IN (0, 1, 2)),\n"
    "  attempts    INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),\n"
    "  created_at  INTEGER NOT NULL,\n"
    "  next_at     INTEGER NOT NULL,\n"
    "  lease_until INTEGER NOT NULL DEFAULT 0,\n"
    "  done_at     INTEGER NOT NULL DEFAULT 0,\n"
    "  last_error  TEXT NOT NULL DEFAULT ''\n"
    ") STRICT;\n"
    "CREATE INDEX outbox_due ON outbox (state, next_at);\n",
    /* 8: multi-factor sign-in (store.h, struct store_factor): how each sign-in
     * was made (OIDC amr) on sessions, codes, refresh tokens and flows, a flow's
     * owed second factor, the factors of each user, and the single-use WebAuthn
     * challenges by hash (user_id '': nobody yet; no foreign key: short-lived,
     * and the taker checks the user). */
    "ALTER TABLE sessions ADD COLUMN amr TEXT NOT NULL DEFAULT '';\n"
    "ALTER TABLE auth_codes ADD COLUMN amr TEXT NOT NULL DEFAULT '';\n"
    "ALTER TABLE refresh_tokens ADD COLUMN amr TEXT NOT NULL DEFAULT '';\n"
    "ALTER TABLE login_flows ADD COLUMN amr TEXT NOT NULL DEFAULT '';\n"
    "ALTER TABLE login_flows ADD COLUMN mfa_pending INTEGER NOT NULL DEFAULT 0 CHECK (mfa_pending IN (0, "
    "1));\n"
    "CREATE TABLE factors (\n"
    "  id           TEXT PRIMARY KEY NOT NULL,\n"
    "  user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,\n"
    "  kind         TEXT NOT NULL CHECK (kind IN ('totp', 'recovery', 'passkey')),\n"
    "  name         TEXT NOT NULL DEFAULT '',\n"
    "  cred_id      BLOB UNIQUE,\n" /* a passkey's credential id; NULL for the others */
    "  data         BLOB,\n"        /* sealed secret, code hashes, COSE_Key: never read here */
    "  counter      INTEGER NOT NULL DEFAULT 0 CHECK (counter >= 0),\n"
    "  confirmed    INTEGER NOT NULL DEFAULT 0 CHECK (confirmed IN (0, 1)),\n"
    "  created_at   INTEGER NOT NULL,\n"
    "  last_used_at INTEGER NOT NULL DEFAULT 0\n"
    ") STRICT;\n"
    "CREATE INDEX factors_user ON factors (user_id, created_at);\n"
    "CREATE TABLE challenges (\n"
    "  hash       BLOB PRIMARY KEY NOT NULL,\n"
    "  user_id    TEXT NOT NULL DEFAULT '',\n"
    "  expires_at INTEGER NOT NULL\n"
    ") STRICT, WITHOUT ROWID;\n"
    "CREATE INDEX challenges_expires ON challenges (expires_at);\n",
    /* 9: a client whose users sign in with two factors (client add --require-mfa). */
    "ALTER TABLE clients ADD COLUMN require_mfa INTEGER NOT NULL DEFAULT 0 CHECK (require_mfa IN (0, 1));\n",
};
#define SQ_SCHEMA_VERSION ((int)(sizeof migrations / sizeof migrations[0]))

/* Every statement the operations run, prepared on first use and kept. */
enum sq_query {
	Q_CLIENT_PUT,
	Q_CLIENT_UPDATE,
	Q_USER_UPDATE,
	Q_USER_GET_EMAIL,
	Q_LINK_PUT,
	Q_LINK_GET,
	Q_LINK_TAKE,
	Q_LINK_END,
	Q_LINK_COUNT,
	Q_LINK_PURGE,
	Q_USER_END_SESSIONS,
	Q_USER_END_CODES,
	Q_USER_END_FLOWS,
	Q_USER_END_REFRESH,
	Q_CLIENT_GET,
	Q_CLIENT_LIST,
	Q_CLIENT_DELETE,
	Q_KEY_PUT,
	Q_KEY_LIST,
	Q_KEY_RETIRE,
	Q_KEY_EXISTS,
	Q_KEY_SET_PRIVATE,
	Q_KEY_PURGE,
	Q_REVOKE_PUT,
	Q_REVOKE_CHECK,
	Q_REVOKE_PURGE,
	Q_CODE_PUT,
	Q_CODE_TAKE,
	Q_CODE_PURGE,
	Q_USER_PUT,
	Q_USER_GET,
	Q_USER_GET_NAME,
	Q_USER_LIST,
	Q_USER_DELETE,
	Q_LOGIN_ADMIT,
	Q_LOGIN_FAILED,
	Q_LOGIN_LOCKED,
	Q_LOGIN_CLEAR,
	Q_LOGIN_UNLOCK,
	Q_LOGIN_GET,
	Q_LOGIN_PURGE,
	Q_USER_SET_PASSWORD,
	Q_SESSION_PUT,
	Q_SESSION_GET,
	Q_SESSION_DELETE,
	Q_SESSION_PURGE,
	Q_REFRESH_PUT,
	Q_REFRESH_GET,
	Q_REFRESH_FIND,
	Q_REFRESH_USE,
	Q_REFRESH_SUPERSEDE,
	Q_REFRESH_REPLACED,
	Q_REFRESH_REVOKE,
	Q_REFRESH_REVOKE_SESSION,
	Q_REFRESH_PURGE,
	Q_FLOW_PUT,
	Q_FLOW_GET,
	Q_FLOW_SET_USER,
	Q_FLOW_TAKE,
	Q_FLOW_PURGE,
	Q_CONSENT_PUT,
	Q_CONSENT_GET,
	Q_PING,
	Q_BEGIN,
	Q_COMMIT,
	Q_ROLLBACK,
	Q_OUTBOX_PUT,
	Q_OUTBOX_CLAIM,
	Q_OUTBOX_DONE,
	Q_OUTBOX_RETRY,
	Q_OUTBOX_GET,
	Q_OUTBOX_COUNT,
	Q_OUTBOX_PURGE,
	Q_SESSION_LIST,
	Q_FACTOR_PUT,
	Q_FACTOR_LIST,
	Q_FACTOR_BY_CRED,
	Q_FACTOR_USE,
	Q_FACTOR_SWAP,
	Q_FACTOR_EXISTS,
	Q_FACTOR_DELETE,
	Q_FACTOR_CLEAR,
	Q_CHALLENGE_PUT,
	Q_CHALLENGE_TAKE,
	Q_CHALLENGE_PURGE,
	Q_COUNT
};

#define SQ_CLIENT_COLS                                                                                       \
	"id, secret_hash, secret_salt, is_public, needs_consent, grants, redirect_uris, audiences, scope, "  \
	"subjects, created_at, post_logout_uris, id_token_alg, name, logo_uri, prev_hash, prev_salt, "       \
	"prev_until, require_mfa"
#define SQ_KEY_COLS "kid, alg, private_der, created_at, not_before, retired_at, expires_at"
#define SQ_CODE_COLS                                                                                         \
	"code_hash, client_id, user_id, redirect_uri, scope, nonce, code_challenge, code_challenge_method, " \
	"auth_time, expires_at, session_hash, amr"
#define SQ_USER_COLS                                                                                         \
	"id, username, email, password_hash, created_at, name, email_verified, disabled, groups, "           \
	"verify_required"
#define SQ_LINK_COLS "hash, kind, user_id, email, created_at, expires_at"
/* A link that may be used (?1 its hash, ?2 now, ?3 its kind). */
#define SQ_LINK_LIVE    "hash = ?1 AND kind = ?3 AND used = 0 AND expires_at > ?2 AND user_id IS NOT NULL"
#define SQ_SESSION_COLS "id_hash, user_id, auth_time, expires_at, amr"
#define SQ_FLOW_COLS                                                                                         \
	"id_hash, csrf_hash, browser_hash, client_id, redirect_uri, scope, state, nonce, code_challenge, "   \
	"code_challenge_method, prompt, max_age, user_id, auth_time, created_at, expires_at, amr, "          \
	"mfa_pending"
#define SQ_REFRESH_COLS                                                                                      \
	"token_hash, family_id, client_id, user_id, scope, auth_time, created_at, expires_at, "              \
	"session_hash, amr"
#define SQ_FACTOR_COLS "id, user_id, kind, name, cred_id, data, counter, confirmed, created_at, last_used_at"
#define SQ_MAIL_COLS                                                                                         \
	"id, kind, sender, rcpt, message, state, attempts, created_at, next_at, lease_until, done_at, "      \
	"last_error"
/* A sign-in count that no longer holds (?2 now, ?4 the period): older than the
 * period, or from before a lock that has ended (the WHERE of Q_LOGIN_ADMIT keeps
 * out a lock in force). */
#define SQ_LOGIN_STALE "(since + ?4 <= ?2 OR locked_until <> 0)"
/* A refresh token's family is revoked when any of its tokens is (revoke marks them all). */
#define SQ_FAMILY_REVOKED                                                                                    \
	"EXISTS (SELECT 1 FROM refresh_tokens AS f WHERE f.family_id = t.family_id AND f.revoked = 1)"

static const char *const queries[Q_COUNT] = {
    [Q_CLIENT_PUT] =
        "INSERT INTO clients (" SQ_CLIENT_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, "
        "?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)",
    /* Every column but id (?1), in SQ_CLIENT_COLS' order. */
    [Q_CLIENT_UPDATE] =
        "UPDATE clients SET secret_hash = ?2, secret_salt = ?3, is_public = ?4, "
        "needs_consent = ?5, grants = ?6, redirect_uris = ?7, audiences = ?8, scope = ?9, "
        "subjects = ?10, created_at = ?11, post_logout_uris = ?12, id_token_alg = ?13, name = ?14, "
        "logo_uri = ?15, prev_hash = ?16, prev_salt = ?17, prev_until = ?18, require_mfa = ?19 WHERE id = ?1",
    [Q_CLIENT_GET] = "SELECT " SQ_CLIENT_COLS " FROM clients WHERE id = ?1",
    [Q_CLIENT_LIST] = "SELECT " SQ_CLIENT_COLS " FROM clients ORDER BY id",
    [Q_CLIENT_DELETE] = "DELETE FROM clients WHERE id = ?1",
    [Q_KEY_PUT] = "INSERT INTO signing_keys (" SQ_KEY_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [Q_KEY_LIST] = "SELECT " SQ_KEY_COLS " FROM signing_keys WHERE expires_at IS NULL OR expires_at > ?1 "
                   "ORDER BY created_at DESC, rowid DESC",
    [Q_KEY_RETIRE] = "UPDATE signing_keys SET retired_at = ?2, expires_at = ?3 "
                     "WHERE kid = ?1 AND retired_at IS NULL",
    [Q_KEY_EXISTS] = "SELECT 1 FROM signing_keys WHERE kid = ?1",
    [Q_KEY_SET_PRIVATE] = "UPDATE signing_keys SET private_der = ?2 WHERE kid = ?1",
    [Q_KEY_PURGE] = "DELETE FROM signing_keys WHERE expires_at <= ?1",
    [Q_REVOKE_PUT] = "INSERT INTO revoked_tokens (jti, expires_at) VALUES (?1, ?2) ON CONFLICT (jti) "
                     "DO UPDATE SET expires_at = max(expires_at, excluded.expires_at)",
    [Q_REVOKE_CHECK] = "SELECT 1 FROM revoked_tokens WHERE jti = ?1 AND expires_at > ?2",
    [Q_REVOKE_PURGE] = "DELETE FROM revoked_tokens WHERE expires_at <= ?1",
    [Q_CODE_PUT] = "INSERT INTO auth_codes (" SQ_CODE_COLS
                   ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    /* One statement, so one implicit write transaction: SQLite's single writer
     * lock serialises every taker, in this process or another, and only the
     * first finds used = 0. RETURNING reads the row inside that transaction. */
    [Q_CODE_TAKE] = "UPDATE auth_codes SET used = 1 WHERE code_hash = ?1 AND used = 0 AND expires_at > ?2 "
                    "RETURNING " SQ_CODE_COLS,
    [Q_CODE_PURGE] = "DELETE FROM auth_codes WHERE expires_at <= ?1 OR used = 1",
    [Q_USER_PUT] = "INSERT INTO users (" SQ_USER_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    /* The profile columns of SQ_USER_COLS (?3, ?6..?10) of the user ?1. */
    [Q_USER_UPDATE] = "UPDATE users SET email = ?3, name = ?6, email_verified = ?7, disabled = ?8, "
                      "groups = ?9, verify_required = ?10 WHERE id = ?1",
    [Q_USER_GET_EMAIL] = "SELECT " SQ_USER_COLS " FROM users WHERE email = ?1 COLLATE NOCASE "
                         "ORDER BY username COLLATE NOCASE, username LIMIT 1",
    [Q_LINK_PUT] = "INSERT INTO account_links (" SQ_LINK_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [Q_LINK_GET] = "SELECT " SQ_LINK_COLS " FROM account_links WHERE " SQ_LINK_LIVE,
    [Q_LINK_TAKE] = "UPDATE account_links SET used = 1 WHERE " SQ_LINK_LIVE " RETURNING " SQ_LINK_COLS,
    [Q_LINK_END] = "UPDATE account_links SET used = 1 WHERE user_id = ?1 AND kind = ?2",
    [Q_LINK_COUNT] =
        "SELECT count(*) FROM account_links WHERE user_id = ?1 AND kind = ?2 AND created_at >= ?3",
    [Q_LINK_PURGE] = "DELETE FROM account_links WHERE used = 1 OR expires_at <= ?1",
    [Q_USER_END_SESSIONS] = "DELETE FROM sessions WHERE user_id = ?1",
    [Q_USER_END_CODES] = "DELETE FROM auth_codes WHERE user_id = ?1",
    [Q_USER_END_FLOWS] = "DELETE FROM login_flows WHERE user_id = ?1",
    [Q_USER_END_REFRESH] = "UPDATE refresh_tokens SET revoked = 1 WHERE user_id = ?1",
    [Q_USER_GET] = "SELECT " SQ_USER_COLS " FROM users WHERE id = ?1",
    [Q_USER_GET_NAME] = "SELECT " SQ_USER_COLS " FROM users WHERE username = ?1 COLLATE NOCASE",
    [Q_USER_LIST] = "SELECT " SQ_USER_COLS " FROM users ORDER BY username COLLATE NOCASE, username",
    [Q_USER_DELETE] = "DELETE FROM users WHERE username = ?1 COLLATE NOCASE",
    /* One statement: concurrent failures (several loops, several replicas) each
     * count. SET expressions read the row as it was before the update. */
    /* ?1 name, ?2 now, ?3 threshold, ?4 period. A count older than the period or
     * from before a lock that ended starts again; the first attempt beyond the
     * threshold starts the lock. A lock in force matches no row: nothing changes. */
    [Q_LOGIN_ADMIT] =
        "INSERT INTO login_attempts (name, attempts, since, locked_until) VALUES (?1, 1, ?2, 0) "
        "ON CONFLICT (name) DO UPDATE SET "
        "attempts = CASE WHEN " SQ_LOGIN_STALE " THEN 1 WHEN attempts < ?3 THEN attempts + 1 "
        "ELSE attempts END, "
        "since = CASE WHEN " SQ_LOGIN_STALE " THEN ?2 ELSE since END, "
        "locked_until = CASE WHEN " SQ_LOGIN_STALE " OR attempts < ?3 THEN 0 ELSE ?2 + ?4 END "
        "WHERE locked_until <= ?2 RETURNING locked_until",
    /* A failed check: the count at the threshold starts the lock (once). */
    [Q_LOGIN_FAILED] = "UPDATE login_attempts SET locked_until = ?2 + ?4 "
                       "WHERE name = ?1 AND attempts >= ?3 AND locked_until <= ?2 RETURNING locked_until",
    [Q_LOGIN_LOCKED] = "SELECT locked_until FROM login_attempts WHERE name = ?1",
    [Q_LOGIN_CLEAR] =
        "DELETE FROM login_attempts WHERE name = ?1 AND (locked_until <= ?2 OR locked_until = ?3)",
    [Q_LOGIN_UNLOCK] = "DELETE FROM login_attempts WHERE name = ?1",
    [Q_LOGIN_GET] = "SELECT attempts, since, locked_until FROM login_attempts WHERE name = ?1",
    [Q_LOGIN_PURGE] = "DELETE FROM login_attempts WHERE locked_until <= ?1 AND since <= ?1 - ?2",
    [Q_USER_SET_PASSWORD] = "UPDATE users SET password_hash = ?2 WHERE id = ?1",
    [Q_SESSION_PUT] = "INSERT INTO sessions (" SQ_SESSION_COLS ") VALUES (?1, ?2, ?3, ?4, ?5)",
    [Q_SESSION_GET] = "SELECT " SQ_SESSION_COLS " FROM sessions WHERE id_hash = ?1 AND expires_at > ?2",
    [Q_SESSION_DELETE] = "DELETE FROM sessions WHERE id_hash = ?1",
    [Q_SESSION_PURGE] = "DELETE FROM sessions WHERE expires_at <= ?1",
    [Q_REFRESH_PUT] =
        "INSERT INTO refresh_tokens (" SQ_REFRESH_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    [Q_REFRESH_GET] = "SELECT " SQ_REFRESH_COLS " FROM refresh_tokens AS t WHERE token_hash = ?1 AND "
                      "used = 0 AND expires_at > ?2 AND NOT " SQ_FAMILY_REVOKED,
    [Q_REFRESH_FIND] = "SELECT " SQ_REFRESH_COLS ", used, " SQ_FAMILY_REVOKED
                       ", used_at, replaced_by FROM refresh_tokens AS t WHERE token_hash = ?1",
    [Q_REFRESH_USE] =
        "UPDATE refresh_tokens SET used = 1, used_at = ?2, replaced_by = ?3 WHERE token_hash = ?1",
    /* The reuse grace: the lost successor ?1, if still unused, gives way to ?3. */
    [Q_REFRESH_SUPERSEDE] = "UPDATE refresh_tokens SET used = 1, used_at = ?2, replaced_by = ?3 "
                            "WHERE token_hash = ?1 AND used = 0 AND revoked = 0",
    [Q_REFRESH_REPLACED] = "UPDATE refresh_tokens SET replaced_by = ?3 WHERE token_hash = ?1 AND used = 1 "
                           "AND used_at <= ?2",
    [Q_REFRESH_REVOKE] = "UPDATE refresh_tokens SET revoked = 1 WHERE family_id = ?1",
    [Q_REFRESH_REVOKE_SESSION] = "UPDATE refresh_tokens SET revoked = 1 WHERE session_hash = ?1",
    [Q_REFRESH_PURGE] = "DELETE FROM refresh_tokens WHERE expires_at <= ?1 OR revoked = 1",
    [Q_FLOW_PUT] = "INSERT INTO login_flows (" SQ_FLOW_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
                   "?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
    [Q_FLOW_GET] = "SELECT " SQ_FLOW_COLS " FROM login_flows WHERE id_hash = ?1 AND expires_at > ?2",
    [Q_FLOW_SET_USER] = "UPDATE login_flows SET user_id = ?3, auth_time = ?4, amr = ?5, mfa_pending = ?6 "
                        "WHERE id_hash = ?1 AND expires_at > ?2",
    /* As Q_CODE_TAKE: one statement, one write transaction, so only the first of
     * any number of takers finds the row; the others find it gone. */
    [Q_FLOW_TAKE] = "DELETE FROM login_flows WHERE id_hash = ?1 AND expires_at > ?2 RETURNING " SQ_FLOW_COLS,
    [Q_FLOW_PURGE] = "DELETE FROM login_flows WHERE expires_at <= ?1",
    [Q_CONSENT_PUT] = "INSERT INTO consents (user_id, client_id, scope, granted_at) VALUES (?1, ?2, ?3, ?4) "
                      "ON CONFLICT (user_id, client_id) DO UPDATE SET scope = excluded.scope, "
                      "granted_at = excluded.granted_at",
    [Q_CONSENT_GET] = "SELECT scope FROM consents WHERE user_id = ?1 AND client_id = ?2",
    /* IMMEDIATE: take the write lock before reading, so that of two rotations of
     * one token the second reads what the first wrote (a DEFERRED read-then-write
     * in WAL mode would fail with SQLITE_BUSY_SNAPSHOT instead of waiting). */
    /* A b-tree seek in the clients table that finds nothing: the file is read. */
    [Q_PING] = "SELECT 1 FROM clients WHERE rowid = -1",
    [Q_BEGIN] = "BEGIN IMMEDIATE",
    [Q_COMMIT] = "COMMIT",
    [Q_ROLLBACK] = "ROLLBACK",
    [Q_OUTBOX_PUT] =
        "INSERT INTO outbox (" SQ_MAIL_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    /* One statement, one write transaction: of concurrent claimers the second
     * runs after the first committed and finds that mail leased. ?1 now, ?2 the lease's end. */
    [Q_OUTBOX_CLAIM] =
        "UPDATE outbox SET attempts = attempts + 1, lease_until = ?2 WHERE id = (SELECT id FROM "
        "outbox WHERE state = 0 AND next_at <= ?1 AND lease_until <= ?1 ORDER BY next_at, "
        "created_at LIMIT 1) RETURNING " SQ_MAIL_COLS,
    [Q_OUTBOX_DONE] = "UPDATE outbox SET state = 1, done_at = ?3, message = '', lease_until = 0 "
                      "WHERE id = ?1 AND attempts = ?2 AND state = 0",
    /* ?4 the next attempt's time, 0: give up. */
    [Q_OUTBOX_RETRY] =
        "UPDATE outbox SET state = CASE WHEN ?4 = 0 THEN 2 ELSE 0 END, "
        "next_at = CASE WHEN ?4 = 0 THEN next_at ELSE ?4 END, "
        "done_at = CASE WHEN ?4 = 0 THEN ?3 ELSE 0 END, "
        "message = CASE WHEN ?4 = 0 THEN '' ELSE message END, lease_until = 0, last_error = ?5 "
        "WHERE id = ?1 AND attempts = ?2 AND state = 0",
    [Q_OUTBOX_GET] = "SELECT " SQ_MAIL_COLS " FROM outbox WHERE id = ?1",
    [Q_OUTBOX_COUNT] =
        "SELECT count(*) FILTER (WHERE state = 0), count(*) FILTER (WHERE state = 0 AND next_at "
        "<= ?1 AND lease_until <= ?1), count(*) FILTER (WHERE state = 1), count(*) FILTER "
        "(WHERE state = 2) FROM outbox",
    [Q_OUTBOX_PURGE] = "DELETE FROM outbox WHERE state <> 0 AND done_at <= ?1",
    [Q_SESSION_LIST] = "SELECT " SQ_SESSION_COLS " FROM sessions WHERE user_id = ?1 AND expires_at > ?2 "
                       "ORDER BY auth_time DESC, id_hash",
    [Q_FACTOR_PUT] =
        "INSERT INTO factors (" SQ_FACTOR_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    [Q_FACTOR_LIST] = "SELECT " SQ_FACTOR_COLS " FROM factors WHERE user_id = ?1 ORDER BY created_at, id",
    [Q_FACTOR_BY_CRED] = "SELECT " SQ_FACTOR_COLS " FROM factors WHERE cred_id = ?1 AND kind = 'passkey'",
    /* One statement, one write transaction (as Q_CODE_TAKE): of concurrent uses
     * with one counter the second finds it stored and changes nothing.
     * ?1 id, ?2 user_id, ?3 counter, ?4 now. */
    [Q_FACTOR_USE] = "UPDATE factors SET counter = ?3, last_used_at = ?4, confirmed = 1 WHERE id = ?1 AND "
                     "user_id = ?2 AND (counter < ?3 OR (counter = 0 AND ?3 = 0))",
    /* Compare-and-swap of the bytes; no bytes (NULL, or an empty BLOB that a copy
     * may have written) equal no bytes.
     * ?1 id, ?2 user_id, ?3 the old bytes, ?4 the new, ?5 now. */
    [Q_FACTOR_SWAP] = "UPDATE factors SET data = ?4, last_used_at = ?5 WHERE id = ?1 AND user_id = ?2 AND "
                      "coalesce(data, x'') = coalesce(?3, x'')",
    [Q_FACTOR_EXISTS] = "SELECT 1 FROM factors WHERE id = ?1 AND user_id = ?2",
    [Q_FACTOR_DELETE] = "DELETE FROM factors WHERE id = ?1 AND user_id = ?2",
    [Q_FACTOR_CLEAR] = "DELETE FROM factors WHERE user_id = ?1 AND (?2 IS NULL OR kind = ?2)",
    [Q_CHALLENGE_PUT] = "INSERT INTO challenges (hash, user_id, expires_at) VALUES (?1, ?2, ?3)",
    /* As Q_FLOW_TAKE: only the first of any number of takers finds the row. */
    [Q_CHALLENGE_TAKE] = "DELETE FROM challenges WHERE hash = ?1 AND expires_at > ?2 RETURNING user_id",
    [Q_CHALLENGE_PURGE] = "DELETE FROM challenges WHERE expires_at <= ?1",
};

struct sq_group;

struct sq {
	store base; /* first: a store * is a struct sq * */
	sqlite3 *db;
	sqlite3_stmt *q[Q_COUNT];
	int ready;              /* fully opened: close may then run PRAGMA optimize */
	int writing;            /* holds sq_writer (see below) */
	struct sq_group *group; /* its file's group commit (see below), or NULL: synchronous=FULL */
	sqlite3_int64 changes0; /* sqlite3_total_changes64 when the writer turn was taken */
	uint64_t flush_due;     /* its last commit's number, until a flush covers it; 0: none */
	int in_tx;              /* inside a transaction begun by tx_begin */
	int ckpt_due;           /* the WAL has grown past STORE_SQLITE_CHECKPOINT_PAGES */
	char msg[256];          /* last failure, for errmsg() */
};

/* Serialises the create-the-file step of every open in this process (see open). */
static pthread_mutex_t sq_create_lock = PTHREAD_MUTEX_INITIALIZER;

/*
 * The writer turn. SQLite lets one connection write at a time and makes the
 * others wait in its busy handler, which polls: it sleeps 1, 2, 5, 10 … 100 ms
 * between tries (sqlite3_busy_timeout), so with several event-loop threads
 * writing, a loser sleeps well past the few hundred microseconds the winner's
 * commit takes, and its whole loop (every connection on it) sleeps with it; a
 * loser that keeps losing waits out STORE_SQLITE_BUSY_MS and fails. So every
 * connection of this process takes its turn here first, in arrival order (a
 * ticket lock), before it asks SQLite for the write lock (before BEGIN
 * IMMEDIATE, or the single statement that writes), and gives it back once the
 * transaction has ended (after COMMIT, with its fsync, or ROLLBACK): the next
 * writer starts the moment the last one is done. Other processes (the CLI, a
 * second server on the same file) still meet SQLite's lock and busy handler.
 *
 * The turn is the process's, not the file's: a process with two databases
 * serialises their writes too (the issuer has one). A thread that already
 * holds the turn and writes through another connection goes on without it
 * (SQLite's lock and busy timeout then decide, as before): never a deadlock
 * on ourselves. The holder never waits for anything unbounded while holding
 * it (SQLite's waits end at the busy timeout), so no waiter waits forever.
 */
static struct {
	pthread_mutex_t m;
	pthread_cond_t turn;
	unsigned long next, serving; /* tickets: handed out, and the one whose turn it is */
	pthread_t owner;             /* valid while held */
	int held;
} sq_writer = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0, 0};

/* Wait for the writer turn: 1 once held, 0 when this thread holds it already. */
static int sq_writer_enter(void)
{
	unsigned long ticket;
	int got = 0;

	pthread_mutex_lock(&sq_writer.m);
	if (sq_writer.held && pthread_equal(sq_writer.owner, pthread_self()))
		goto out;
	ticket = sq_writer.next++;
	while (ticket != sq_writer.serving)
		pthread_cond_wait(&sq_writer.turn, &sq_writer.m);
	sq_writer.owner = pthread_self();
	sq_writer.held = got = 1;
out:
	pthread_mutex_unlock(&sq_writer.m);
	return got;
}

static void sq_writer_leave(void)
{
	pthread_mutex_lock(&sq_writer.m);
	sq_writer.held = 0;
	sq_writer.serving++;
	pthread_cond_broadcast(&sq_writer.turn); /* a few loop threads at most wait */
	pthread_mutex_unlock(&sq_writer.m);
}

/*
 * Group commit. With a group, a connection commits with synchronous=NORMAL: the
 * commit appends its frames to the WAL under the writer turn but does not flush
 * them. sq_end, once the turn is given back, makes the commit durable before the
 * call returns: one flush of the WAL (the xSync of this connection's own WAL
 * file) covers every commit of the file numbered before the flush began. While
 * one writer flushes, the next ones commit, and one later flush covers them all.
 * So every acknowledged write is on disk, as with synchronous=FULL, and no writer
 * holds the turn through a flush. (A checkpoint flushes the WAL before it copies
 * from it, so it never copies a frame that is not yet on disk.)
 *
 * Files are told apart by SQLite's name for them; a process has at most
 * SQ_GROUPS files in groups at once, and a connection to one more keeps
 * synchronous=FULL.
 */
#define SQ_GROUPS 8

struct sq_group {
	char *name;         /* the database file (sqlite3_db_filename); NULL: slot free */
	int users;          /* connections in the group */
	uint64_t committed; /* commits numbered so far */
	uint64_t flushed;   /* every commit up to this number is on disk */
	uint64_t flushes;   /* flushes done (fewer than commits when commits share them) */
	int flushing;       /* a flush is under way */
};

static struct {
	pthread_mutex_t m;
	pthread_cond_t done; /* a flush ended */
	struct sq_group g[SQ_GROUPS];
} sq_gc = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, {{0}}};

/* Join the group of s's file; 0, or -1 (no slot, out of memory: keep FULL). */
static int sq_group_join(struct sq *s)
{
	const char *name = sqlite3_db_filename(s->db, "main");
	struct sq_group *free_slot = NULL, *g = NULL;

	if (!name || !*name)
		return -1;
	pthread_mutex_lock(&sq_gc.m);
	for (int i = 0; i < SQ_GROUPS && !g; i++) {
		if (sq_gc.g[i].name && strcmp(sq_gc.g[i].name, name) == 0)
			g = &sq_gc.g[i];
		else if (!sq_gc.g[i].name && !free_slot)
			free_slot = &sq_gc.g[i];
	}
	if (!g && free_slot && (free_slot->name = strdup(name))) {
		g = free_slot;
		g->committed = g->flushed = g->flushes = 0;
	}
	if (g)
		g->users++;
	pthread_mutex_unlock(&sq_gc.m);
	s->group = g;
	return g ? 0 : -1;
}

static void sq_group_leave(struct sq *s)
{
	struct sq_group *g = s->group;

	if (!g)
		return;
	pthread_mutex_lock(&sq_gc.m);
	if (--g->users == 0) {
		free(g->name);
		g->name = NULL;
	}
	pthread_mutex_unlock(&sq_gc.m);
	s->group = NULL;
}

/* Flush this connection's WAL file to disk (SQLite's own xSync on it). */
static int sq_wal_flush(struct sq *s)
{
	sqlite3_file *f = NULL;
	int rc = sqlite3_file_control(s->db, "main", SQLITE_FCNTL_JOURNAL_POINTER, &f);

	if (rc != SQLITE_OK || !f || !f->pMethods)
		return rc; /* no WAL open on this connection: nothing of its own to flush */
	return f->pMethods->xSync(f, SQLITE_SYNC_NORMAL);
}

/* Under the writer turn, the transaction just ended: number it if it changed rows. */
static void sq_group_commit(struct sq *s)
{
	if (!s->group || sqlite3_total_changes64(s->db) == s->changes0)
		return;
	pthread_mutex_lock(&sq_gc.m);
	s->flush_due = ++s->group->committed;
	pthread_mutex_unlock(&sq_gc.m);
}

static store_err sq_fail(struct sq *s, const char *what, int rc);

/* Wait until a flush covers commit number mine, flushing when nobody is. */
static store_err sq_group_flush(struct sq *s, uint64_t mine)
{
	struct sq_group *g = s->group;
	uint64_t upto;
	int rc = SQLITE_OK;

	pthread_mutex_lock(&sq_gc.m);
	while (g->flushed < mine && rc == SQLITE_OK) {
		if (g->flushing) {
			pthread_cond_wait(&sq_gc.done, &sq_gc.m);
			continue;
		}
		upto = g->committed;
		g->flushing = 1;
		pthread_mutex_unlock(&sq_gc.m);
		rc = sq_wal_flush(s);
		pthread_mutex_lock(&sq_gc.m);
		g->flushing = 0;
		g->flushes += rc == SQLITE_OK;
		if (rc == SQLITE_OK && upto > g->flushed)
			g->flushed = upto;
		pthread_cond_broadcast(&sq_gc.done);
	}
	pthread_mutex_unlock(&sq_gc.m);
	return rc == SQLITE_OK ? STORE_OK : sq_fail(s, "flush the WAL", rc);
}

/* ---- errors ---- */

/* SQLite's result code (extended codes are on) as a store_err. */
static store_err sq_map(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_ROW:
	case SQLITE_DONE:
		return STORE_OK;
	case SQLITE_CONSTRAINT:
		if (rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE)
			return STORE_CONFLICT;
		if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
			return STORE_NOT_FOUND; /* the row it refers to is missing */
		return STORE_INVALID;           /* CHECK, NOT NULL, STRICT type */
	case SQLITE_NOMEM:
		return STORE_NOMEM;
	case SQLITE_TOOBIG:
	case SQLITE_RANGE:
	case SQLITE_MISMATCH:
		return STORE_INVALID;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return STORE_BUSY;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
	case SQLITE_FORMAT:
		return STORE_CORRUPT;
	case SQLITE_READONLY:
	case SQLITE_PERM:
		return STORE_READONLY;
	case SQLITE_FULL:
		return STORE_FULL;
	default: /* IOERR, CANTOPEN, PROTOCOL, ERROR (schema gone), MISUSE, … */
		return STORE_IO;
	}
}

/* Record the failure of `what` (code rc) for errmsg() and return its store_err.
 * Only SQLite's message and our own words go in: never a bound value. */
static store_err sq_fail(struct sq *s, const char *what, int rc)
{
	snprintf(s->msg, sizeof s->msg, "%s: %s (SQLite %d: %s)", what, sqlite3_errstr(rc), rc,
	         rc == sqlite3_extended_errcode(s->db) ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
	return sq_map(rc);
}

/* Record a failure found by us (not SQLite) and return e. */
static store_err sq_fail_ours(struct sq *s, const char *what, const char *why, store_err e)
{
	snprintf(s->msg, sizeof s->msg, "%s: %s", what, why);
	return e;
}

/* ---- statements, binding and reading ---- */

/* The cached statement for q, prepared on first use; reset and unbound by sq_done. */
static store_err sq_stmt(struct sq *s, enum sq_query q, sqlite3_stmt **out)
{
	int rc;

	*out = NULL;
	if (!s->q[q]) {
		rc = sqlite3_prepare_v3(s->db, queries[q], -1, SQLITE_PREPARE_PERSISTENT, &s->q[q], NULL);
		if (rc != SQLITE_OK)
			return sq_fail(s, "prepare", rc);
	}
	/* SQLite ends a transaction by itself after some failures (I/O, full
	 * disk): what follows inside tx_begin's must not go on in autocommit. */
	if (s->in_tx && q != Q_COMMIT && q != Q_ROLLBACK && sqlite3_get_autocommit(s->db))
		return sq_fail_ours(s, "transaction", "rolled back after a failure; end it", STORE_IO);
	/* A statement that writes, or BEGIN (which sqlite3_stmt_readonly calls
	 * read-only), first takes the writer turn, unless this connection has it. */
	if (!s->writing && (q == Q_BEGIN || !sqlite3_stmt_readonly(s->q[q]))) {
		s->writing = sq_writer_enter();
		s->changes0 = sqlite3_total_changes64(s->db);
	}
	*out = s->q[q];
	return STORE_OK;
}

/* Reset and unbind st (may be NULL); give the writer turn back once no
 * transaction is open (the statement's own has ended with the reset). */
static void sq_done(struct sq *s, sqlite3_stmt *st)
{
	if (st) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
	}
	if (s->writing && sqlite3_get_autocommit(s->db)) {
		sq_group_commit(s);
		s->writing = 0;
		sq_writer_leave();
	}
	if (s->ckpt_due && !s->writing) {
		/* PASSIVE: copies what it can without waiting for anyone (no busy
		 * handler), while the next writer already writes; a failure leaves
		 * the pages in the WAL for the next try. */
		s->ckpt_due = 0;
		(void)sqlite3_wal_checkpoint_v2(s->db, "main", SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	}
}

/* sq_done, then, when a commit of this connection waits for its flush, that flush
 * (group commit): e, or the flush's failure when e was OK. Every call that may
 * write ends here, so it returns only once what it wrote is on disk. */
static store_err sq_end(struct sq *s, sqlite3_stmt *st, store_err e)
{
	uint64_t due;
	store_err fe;

	sq_done(s, st);
	if (!(due = s->flush_due))
		return e;
	s->flush_due = 0;
	fe = sq_group_flush(s, due);
	return e == STORE_OK ? fe : e;
}

/*
 * Called by SQLite after each commit of this connection with the WAL's size in
 * pages. SQLite's automatic checkpoint would run here, inside the statement,
 * so inside the writer turn: every writer of the process would wait for it
 * (it writes up to STORE_SQLITE_CHECKPOINT_PAGES pages into the database file
 * and syncs it: milliseconds). It is turned off at open, and this hook only
 * notes it is due: sq_done runs it once the turn is given back. A checkpoint
 * never needs SQLite's write lock, so other connections write meanwhile.
 */
static int sq_wal_hook(void *ctx, sqlite3 *db, const char *name, int pages)
{
	(void)db;
	(void)name;
	if (pages >= STORE_SQLITE_CHECKPOINT_PAGES)
		((struct sq *)ctx)->ckpt_due = 1;
	return SQLITE_OK;
}

/* Bind a string that must fit in a field of max bytes (without NUL). */
static int sq_bind_str(sqlite3_stmt *st, int i, const char *v, size_t max)
{
	size_t n = strnlen(v, max + 1);

	if (n > max)
		return SQLITE_TOOBIG;
	return sqlite3_bind_text(st, i, v, (int)n, SQLITE_STATIC);
}

/* Bind bytes (NULL when n is 0). */
static int sq_bind_blob(sqlite3_stmt *st, int i, const uint8_t *v, size_t n, size_t max)
{
	if (n > max)
		return SQLITE_TOOBIG;
	if (n == 0)
		return sqlite3_bind_null(st, i);
	return sqlite3_bind_blob(st, i, v, (int)n, SQLITE_STATIC);
}

/* Bind a time; 0 (not set) as NULL when nullable. */
static int sq_bind_time(sqlite3_stmt *st, int i, int64_t t, int nullable)
{
	if (nullable && t == 0)
		return sqlite3_bind_null(st, i);
	return sqlite3_bind_int64(st, i, t);
}

/* Copy a TEXT column into dst[cap] (cap includes the NUL). -1 when it does not
 * fit or holds a NUL: the caller reports STORE_CORRUPT, never a cut value. */
static int sq_col_str(sqlite3_stmt *st, int i, char *dst, size_t cap)
{
	const unsigned char *v = sqlite3_column_text(st, i);
	size_t n = (size_t)sqlite3_column_bytes(st, i);

	if (!v) {
		if (sqlite3_column_type(st, i) != SQLITE_NULL)
			return -1; /* out of memory converting */
		dst[0] = '\0';
		return 0;
	}
	if (n >= cap || memchr(v, '\0', n))
		return -1;
	memcpy(dst, v, n);
	dst[n] = '\0';
	return 0;
}

static int sq_col_blob(sqlite3_stmt *st, int i, uint8_t *dst, size_t cap, size_t *len)
{
	const void *v = sqlite3_column_blob(st, i);
	size_t n = (size_t)sqlite3_column_bytes(st, i);

	*len = 0;
	if (!v)
		return sqlite3_column_type(st, i) == SQLITE_NULL ? 0 : -1;
	if (n > cap)
		return -1;
	memcpy(dst, v, n);
	*len = n;
	return 0;
}

/* ---- whole rows, from the column tables of columns.h ---- */

/* Bind the columns of row (t's order) to ?first, ?first+1, ...; SQLITE_OK or the error. */
static int sq_bind_row(sqlite3_stmt *st, int first, const struct store_table *t, const void *row)
{
	const char *r = row;
	int rc = SQLITE_OK;

	for (size_t i = 0; i < t->n && rc == SQLITE_OK; i++) {
		const struct store_col *c = &t->cols[i];
		int at = first + (int)i;

		switch (c->kind) {
		case STORE_COL_TEXT:
			rc = c->null_if_empty && !r[c->off] ? sqlite3_bind_null(st, at)
			                                    : sq_bind_str(st, at, r + c->off, c->size - 1);
			break;
		case STORE_COL_BLOB:
			rc = sq_bind_blob(st, at, (const uint8_t *)r + c->off,
			                  *(const size_t *)(r + c->len_off), c->size);
			break;
		case STORE_COL_INT:
			rc = sq_bind_time(st, at, *(const int *)(r + c->off), c->null_if_empty);
			break;
		case STORE_COL_I64:
			rc = sq_bind_time(st, at, *(const int64_t *)(r + c->off), c->null_if_empty);
			break;
		}
	}
	return rc;
}

/* Read columns first, first+1, ... of the current row into row (zeroed first, t's
 * order); -1 when a value does not fit its field or range (the caller reports
 * STORE_CORRUPT: nothing is ever cut). */
static int sq_read_row(sqlite3_stmt *st, int first, const struct store_table *t, void *row)
{
	char *r = row;

	memset(row, 0, t->row_size);
	for (size_t i = 0; i < t->n; i++) {
		const struct store_col *c = &t->cols[i];
		int at = first + (int)i;
		int64_t v;

		switch (c->kind) {
		case STORE_COL_TEXT:
			if (sq_col_str(st, at, r + c->off, c->size))
				return -1;
			break;
		case STORE_COL_BLOB:
			if (sq_col_blob(st, at, (uint8_t *)r + c->off, c->size, (size_t *)(r + c->len_off)))
				return -1;
			break;
		case STORE_COL_INT:
		case STORE_COL_I64:
			v = sqlite3_column_int64(st, at); /* NULL reads as 0 */
			if (v < c->min || v > c->max)
				return -1;
			if (c->kind == STORE_COL_INT)
				*(int *)(r + c->off) = (int)v;
			else
				*(int64_t *)(r + c->off) = v;
			break;
		}
	}
	return 0;
}

/* A stored row of t that does not fit: STORE_CORRUPT, with t's name in the message. */
static store_err sq_fail_row(struct sq *s, const char *what, const struct store_table *t)
{
	snprintf(s->msg, sizeof s->msg, "%s: stored %s does not fit the limits", what, t->name);
	return STORE_CORRUPT;
}

/* Insert row (t's columns, ?1...) with q; validation is the caller's. */
static store_err sq_write_row(struct sq *s, enum sq_query q, const char *what, const struct store_table *t,
                              const void *row, int *changes)
{
	sqlite3_stmt *st = NULL;
	store_err e;
	int rc;

	if ((e = sq_stmt(s, q, &st)) != STORE_OK)
		goto out;
	if ((rc = sq_bind_row(st, 1, t, row)) || (rc = sqlite3_step(st)) != SQLITE_DONE) {
		e = sq_fail(s, what, rc);
		goto out;
	}
	if (changes)
		*changes = sqlite3_changes(s->db);
	e = STORE_OK;
out:
	return sq_end(s, st, e);
}

static store_err sq_put_row(struct sq *s, enum sq_query q, const char *what, const struct store_table *t,
                            const void *row)
{
	return sq_write_row(s, q, what, t, row, NULL);
}

/* Run q, an UPDATE bound with a whole row of t (its key first): NOT_FOUND when it changed no row. */
static store_err sq_update_row(struct sq *s, enum sq_query q, const char *what, const struct store_table *t,
                               const void *row)
{
	int n = 0;
	store_err e = sq_write_row(s, q, what, t, row, &n);

	return e == STORE_OK && n == 0 ? STORE_NOT_FOUND : e;
}

/* What a query looks its one row up by: ?1 = text or bytes, ?2 = now when has_now, and
 * ?3 = text3 when set. */
struct sq_key {
	const char *text;
	const uint8_t *blob;
	size_t len;
	int has_now;
	int64_t now;
	const char *text3;
};

/*
 * The row of q for k, read as t into out. The statement runs to its end, so a
 * DELETE or UPDATE ... RETURNING takes effect only when it all went well (a
 * failure before that means nothing was taken, and we say so), and a row that
 * does not fit is still consumed but never handed out cut. NOT_FOUND when there
 * is none; out is zeroed on any failure.
 */
static store_err sq_get_row(struct sq *s, enum sq_query q, const char *what, const struct sq_key *k,
                            const struct store_table *t, void *out)
{
	sqlite3_stmt *st = NULL;
	store_err e;
	int rc, bad;

	if ((e = sq_stmt(s, q, &st)) != STORE_OK)
		goto out;
	rc = k->text ? sqlite3_bind_text(st, 1, k->text, -1, SQLITE_STATIC)
	             : sqlite3_bind_blob(st, 1, k->blob, (int)k->len, SQLITE_STATIC);
	if (rc || (k->has_now && (rc = sqlite3_bind_int64(st, 2, k->now))) ||
	    (k->text3 && (rc = sqlite3_bind_text(st, 3, k->text3, -1, SQLITE_STATIC))) ||
	    ((rc = sqlite3_step(st)) != SQLITE_ROW && rc != SQLITE_DONE)) {
		e = sq_fail(s, what, rc);
		goto out;
	}
	if (rc == SQLITE_DONE) {
		e = STORE_NOT_FOUND;
		goto out;
	}
	bad = sq_read_row(st, 0, t, out);
	if ((rc = sqlite3_step(st)) != SQLITE_DONE) { /* one row at most: the key is unique */
		e = sq_fail(s, what, rc);
		goto out;
	}
	e = bad ? sq_fail_row(s, what, t) : STORE_OK;
out:
	sq_done(s, st);
	if (e != STORE_OK && out)
		explicit_bzero(out, t->row_size);
	return e;
}

/* The unexpired row of q whose key is the hash[0..hash_len) (?1) at now (?2), as sq_get_row. */
static store_err sq_get_by_hash(struct sq *s, enum sq_query q, const char *what, const uint8_t *hash,
                                size_t hash_len, int64_t now, const struct store_table *t, void *out)
{
	struct sq_key k = {.blob = hash, .len = hash_len, .has_now = 1, .now = now};

	if (!hash || !out || hash_len == 0 || hash_len > STORE_HASH_MAX)
		return sq_fail_ours(s, what, "invalid argument", STORE_INVALID);
	return sq_get_row(s, q, what, &k, t, out);
}

/*
 * Step q (?1 = key when key is not NULL; then ?1, or ?2 after a key, = *now when
 * now is not NULL) and hand each row, read as t, to each(ctx, row) until it
 * returns non-zero. The row lives on the heap (rows run to tens of KB: off the
 * event loop's stack) and is wiped before it is freed.
 */
static store_err sq_each_row(struct sq *s, enum sq_query q, const char *what, const char *key,
                             const int64_t *now, const struct store_table *t,
                             int (*each)(void *ctx, const void *row), void *ctx)
{
	sqlite3_stmt *st = NULL;
	void *row = NULL;
	store_err e;
	int rc = SQLITE_OK;

	if (!(row = malloc(t->row_size))) {
		e = sq_fail_ours(s, what, "out of memory", STORE_NOMEM);
		goto out;
	}
	if ((e = sq_stmt(s, q, &st)) != STORE_OK)
		goto out;
	if ((key && (rc = sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC))) ||
	    (now && (rc = sqlite3_bind_int64(st, key ? 2 : 1, *now)))) {
		e = sq_fail(s, what, rc);
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sq_read_row(st, 0, t, row)) {
			e = sq_fail_row(s, what, t);
			goto out;
		}
		if (each(ctx, row))
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		e = sq_fail(s, what, rc);
		goto out;
	}
	e = STORE_OK;
out:
	sq_done(s, st);
	if (row)
		explicit_bzero(row, t->row_size);
	free(row);
	return e;
}

/* The typed callbacks of the list calls, behind sq_each_row's untyped one. */
struct sq_each {
	union {
		store_client_cb client;
		store_key_cb key;
		store_user_cb user;
		store_factor_cb factor;
		store_session_cb session;
	} cb;
	void *ctx;
};
static int sq_each_client(void *p, const void *row)
{
	const struct sq_each *a = p;
	return a->cb.client(a->ctx, row);
}
static int sq_each_key(void *p, const void *row)
{
	const struct sq_each *a = p;
	return a->cb.key(a->ctx, row);
}
static int sq_each_user(void *p, const void *row)
{
	const struct sq_each *a = p;
	return a->cb.user(a->ctx, row);
}
static int sq_each_factor(void *p, const void *row)
{
	const struct sq_each *a = p;
	return a->cb.factor(a->ctx, row);
}
static int sq_each_session(void *p, const void *row)
{
	const struct sq_each *a = p;
	return a->cb.session(a->ctx, row);
}

/* ---- clients ---- */

static store_err sq_client_put(store *base, const struct store_client *c)
{
	struct sq *s = (struct sq *)base;

	if (!c || !store_client_valid(c))
		return sq_fail_ours(s, "client_put", "invalid client", STORE_INVALID);
	return sq_put_row(s, Q_CLIENT_PUT, "client_put", &store_cols_client, c);
}

static store_err sq_client_update(store *base, const struct store_client *c)
{
	struct sq *s = (struct sq *)base;

	if (!c || !store_client_valid(c))
		return sq_fail_ours(s, "client_update", "invalid client", STORE_INVALID);
	return sq_update_row(s, Q_CLIENT_UPDATE, "client_update", &store_cols_client, c);
}

static store_err sq_client_get(store *base, const char *id, struct store_client *out)
{
	struct sq *s = (struct sq *)base;
	struct sq_key k = {.text = id};

	if (!id || !out)
		return sq_fail_ours(s, "client_get", "NULL argument", STORE_INVALID);
	return sq_get_row(s, Q_CLIENT_GET, "client_get", &k, &store_cols_client, out);
}

static store_err sq_client_list(store *base, store_client_cb cb, void *ctx)
{
	struct sq *s = (struct sq *)base;
	struct sq_each a = {.cb.client = cb, .ctx = ctx};

	if (!cb)
		return sq_fail_ours(s, "client_list", "NULL callback", STORE_INVALID);
	return sq_each_row(s, Q_CLIENT_LIST, "client_list", NULL, NULL, &store_cols_client, sq_each_client,
	                   &a);
}

static store_err sq_client_delete(store *base, const char *id)
{
	struct sq *s = (struct sq *)base;
	sqlite3_stmt *st = NULL;
	store_err e;
	int rc;

	if (!id) {
		e = sq_fail_ours(s, "client_delete", "NULL argument", STORE_INVALID);
		goto out;
	}
	if ((e = sq_stmt(s, Q_CLIENT_DELETE, &st)) != STORE_OK)
		goto out;
	if ((rc = sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC)) ||
	    (rc = sqlite3_step(st)) != SQLITE_DONE) {
		e = sq_fail(s, "client_delete", rc);
		goto out;
	}
	e = sqlite3_changes(s->db) ? STORE_OK : STORE_NOT_FOUND;
out:
	return sq_end(s, st, e);
}

/* ---- signing keys ---- */

static store_err sq_key_put(store *base, const struct store_key *k)
{
	struct sq *s = (struct sq *)base;

	if (!k || !store_key_valid(k))
		return sq_fail_ours(s, "key_put", "invalid key", STORE_INVALID);
	return sq_put_row(s, Q_KEY_PUT, "key_put", &store_cols_key, k);
}

static store_err sq_key_list(store *base, int64_t now, store_key_cb cb, void *ctx)
{
	struct sq *s = (struct sq *)base;
	struct sq_each a = {.cb.key = cb, .ctx = ctx};

	if (!cb)
		return sq_fail_ours(s, "key_list", "NULL callback", STORE_INVALID);
	return sq_each_row(s, Q_KEY_LIST, "key_list", NULL, &now, &store_cols_key, sq_each_key, &a);
}

static store_err sq_key_retire(store *base, const char *kid, int64_t retired_at, int64_t expires_at)
{
	struct sq *s = (struct sq *)base;
	sqlite3_stmt *st = NULL;
	store_err e;
	int rc;

	if (!kid || retired_at <= 0 || expires_at < retired_at) {
		e = sq_fail_ours(s, "key_retire", "invalid argument", STORE_INVALID);
		goto out;
	}
	if ((e = sq_stmt(s, Q_KEY_RETIRE, &st)) != STORE_OK)
		goto out;
	if ((rc = sqlite3_bind_text(st, 1, kid, -1, SQLITE_STATIC)) ||
	    (rc = sqlite3_bind_int64(st, 2, retired_at)) || (rc = sqlite3_bind_int64(st, 3, expires_at)) ||
	    (rc = sqlite3_step(st)) != SQLITE_DONE) {
		e = sq_fail(s, "key_retire", rc);
		goto out;
	}
	if (sqlite3_changes(s->db)) {
		e = STORE_OK;
		goto out;
	}
	/* Nothing updated: no such key, or one already retired. */
	sq_done(s, st);
	if ((e = sq_stmt(s, Q_KEY_EXISTS, &st)) != STORE_OK)
		goto out;
	if ((rc = sqlite3_bind_text(st, 1, kid, -1, SQLITE_STATIC)) ||
	    ((rc = sqlite3_step(st)) != SQLITE_ROW && rc != SQLITE_DONE)) {
		e = sq_fail(s, "key_retire", rc);
		goto out;
	}
	e = rc == SQLITE_ROW ? STORE_CONFLICT : STORE_NOT_FOUND;
out:
	return sq_end(s, st, e);
}

static store_err sq_key_set_private(store *base, const char *kid, const uint8_t *der, size_t len)
{
	struct sq *s = (struct sq *)base;
	sqlite3_stmt *st = NULL;
	store_err e;
	int rc;

	if (!kid || !der || len == 0 || len > STORE_KEY_DER_MAX) {
		e = sq_fail_ours(s, "key_set_private", "invalid argument", STORE_INVALID);
		goto out;
	}
	if ((e = sq_stmt(s, Q_KEY_SET_PRIVATE, &st)) != STORE_OK)
		goto out;
	if ((rc = sqlite3_bind_text(st, 1, kid, -1, SQLITE_STATIC)) ||
	    (rc = sqlite3_bind_blob(st, 2, der, (int)len, SQLITE_STATIC)) ||
	    (rc = sqlite3_step(st)) != SQLITE_DONE) {
		e = sq_fail(s, "key_set_private", rc);
		goto out;
	}
	e = sqlite3_changes(s->db) ? STORE_OK : STORE_NOT_FOUND;
out:
	return sq_end(s, st, e);
}

/* DELETE … WHERE expires_at <= now, for the purge operations. */
static store_err sq_purge(struct sq *s, enum sq_query q, const char *what, int64_t now)
{
	sqlite3_stmt *st = NULL;
	store_err e;
	int rc;

	if ((e = sq_stmt(s, q, &st)) != STORE_OK)
		goto out;
	if ((rc = sqlite3_bind_int64(st, 1, now)) || (rc = sqlite3_step(st)) != SQLITE_DONE) {
		e = sq_fail(s, what, rc);
		goto out;
	}
	e = STORE_OK;
out:
	return sq_end(s, st, e);
}

static store_err sq_key_purge(store *base, int64_t now)
{
	return sq_purge((struct sq *)base, Q_KEY_PURGE, "key_purge", now);
}

/* ---- revoked token ids ---- */

static store_err sq_revoke_put(store *base, const char *jti, int64_t expires_at)
{
	struct sq *s = (struct sq *)base;
	sqlite3_stmt *st = NULL;
	store_err e;
	int rc;

	if (!jti || !*jti) {
		e = sq_fail_ours(s, "revoke_put", "empty jti", STORE_INVALID);
		goto out;
	}
	if ((e = sq_stmt(s, Q_REVOKE_PUT, &st)) != STORE_OK)
		goto out;
	if ((rc = sq_bind_str(st, 1, jti, STORE_ID_MAX)) || (rc = sqlite3_bind_int64(st, 2, expires_at)) ||
	    (rc = sqlite3_step(st)) != SQLITE_DONE) {
		e = sq_fail(s, "revoke_put", rc);
		goto out;
	}
	e = STORE_OK;
out:
	return sq_end(s, st, e);
}

static store_err sq_revoke_check(store *base, const char *jti, int64_t now, int *revoked)
{
	struct sq *s = (struct sq *)base;
	sqlite3_stmt *st = NULL;
	store_err e;
	int rc;

	if (!revoked || !jti) {
		e = sq_fail_ours(s, "revoke_check", "NULL argument", STORE_INVALID);
		goto out;
	}
	*revoked = 1; /* until the store says otherwise */
	if ((e = sq_stmt(s, Q_REVOKE_CHECK, &st)) != STORE_OK)
		goto out;
	if ((rc = sqlite3_bind_text(st, 1, jti, -1, SQLITE_STATIC)) ||
	    (rc = sqlite3_bind_int64(st, 2, now)) ||
	    ((rc = sqlite3_step(st)) != SQLITE_ROW && rc != SQLITE_DONE)) {
		e = sq_fail(s, "revoke_check", rc);
		goto out;
	}
	*revoked = rc == SQLITE_ROW;
	e = STORE_OK;
out:
	return sq_end(s, st, e);
}

static store_err sq_revoke_purge(store *base, int64_t now)
{
	return sq_purge((struct sq *)base, Q_REVOKE_PURGE, "revoke_purge", now);
}

/* ---- authorization codes ---- */

static store_err sq_code_put(store *base, const struct store_code *c)
{
	struct sq *s = (struct sq *)base;

	if (!c || !store_code_valid(c))
		return sq_fail_ours(s, "code_put", "invalid code", STORE_INVALID);
	return sq_put_row(s, Q_CODE_PUT, "code_put", &store_cols_code, c);
}

/* The code is marked used by an UPDATE ... RETURNING, committed only when the
 * statement runs to its end (sq_get_row): a failure before means nobody took it. */
static store_err sq_code_take(store *base, const uint8_t *hash, size_t hash_len, int64_t now,
                              struct store_code *out)
{
	return sq_get_by_hash((struct sq *)base, Q_CODE_TAKE, "code_take", hash, hash_len, now,
	                      &store_cols_code, out);
}

static store_err sq_code_purge(store *base, int64_t now)
{
	return sq_purge((struct sq *)base, Q_CODE_PURGE, "code_purge", now);
}

/* ---- statements run for their effect, transactions ---- */

/* Step q (bound with text a, if not NULL) to its end; *changes gets the rows it
 * changed (when not NULL). */
static store_err sq_run(struct sq *s, enum sq_query q, const char *what, const char *a, int *changes)
{
	sqlite3_stmt *st = NULL;
	store_err e;
	int rc;

	if ((e = sq_stmt(s, q, &st)) != STORE_OK)
		goto out;
	if ((a && (rc = sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC))) ||
	    (rc = sqlite3_step(st)) != SQLITE_DONE) {
		e = sq_fail(s, what, rc);
		goto out;
	}
	if (changes)
		*changes = sqlite3_changes(s->db);
	e = STORE_OK;
out:
	return sq_end(s, st, e);
}

/* Step q bound with (?1 the token hash a[0..n), ?2 now, ?3 the hash b[0..bn)) to its
 * end; *changes gets the rows it changed. */
static store_err sq_run_link(struct sq *s, enum sq_query q, const char *what, const uint8_t *a, size_t n,
                             int64_t now, const uint8_t *b, size_t bn, int *changes)
{
	sqlite3_stmt *st = NULL;
	store_err e;
	int rc;

	if ((e = sq_stmt(s, q, &st)) != STORE_OK)
		goto out;
	if ((rc = sqlite3_bind_blob(st, 1, a, (int)n, SQLITE_STATIC)) ||
	    (rc = sqlite3_bind_int64(st, 2, now)) ||
	    (rc = sqlite3_bind_blob(st, 3, b, (int)bn, SQLITE_STATIC)) ||
	    (rc = sqlite3_step(st)) != SQLITE_DONE) {
		e = sq_fail(s, what, rc);
		goto out;
	}
	*changes = sqlite3_changes(s->db);
	e = STORE_OK;
out:
	return sq_end(s, st, e);
}

/* Undo the transaction we began, if SQLite has not already (it rolls back by
 * itself after some errors); keeps the message of the failure that led here. */
static void sq_rollback(struct sq *s)
{
	sqlite3_stmt *st = NULL;

	if (!sqlite3_get_autocommit(s->db) && sq_stmt(s, Q_ROLLBACK, &st) == STORE_OK)
		sqlite3_step(st);
	sq_done(s, st); /* gives the writer turn back either way */
}

/* see store.h: struct store_ops, tx_begin */
static store_err sq_tx_begin(store *base)
{
	struct sq *s = (struct sq *)base;
	store_err e;

	if (s->in_tx)
		return sq_fail_ours(s, "tx_begin", "a transaction is open already", STORE_INVALID);
	if ((e = sq_run(s, Q_BEGIN, "tx_begin", NULL, NULL)) == STORE_OK)
		s->in_tx = 1;
	return e;
}

/* see store.h: struct store_ops, ping */
static store_err sq_ping(store *base)
{
	return sq_run((struct sq *)base, Q_PING, "ping", NULL, NULL);
}

/* Copy s's database into the open connection dst, a few pages at a time so writers
 * are not held up for long; SQLITE_DONE when complete, else the failure. */
static int sq_copy_into(struct sq *s, sqlite3 *dst)
{
	sqlite3_backup *b = sqlite3_backup_init(dst, "main", s->db, "main");
	int rc;

	if (!b)
		return sqlite3_errcode(dst);
	while ((rc = sqlite3_backup_step(b, STORE_SQLITE_BACKUP_PAGES)) == SQLITE_OK || rc == SQLITE_BUSY ||
	       rc == SQLITE_LOCKED)
		if (rc != SQLITE_OK)
			sqlite3_sleep(5);
	sqlite3_backup_finish(b);
	return rc;
}

/* Flush the folder holding path, so a new name in it survives a crash (best effort). */
static void sq_sync_dir(const char *path)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	int fd;

	snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path) + 1 : 1, slash ? path : ".");
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		(void)fsync(fd);
		close(fd);
	}
}

/* see store.h: struct store_ops, backup */
static store_err sq_backup(store *base, const char *to, int replace)
{
	struct sq *s = (struct sq *)base;
	char tmp[4096];
	sqlite3 *dst = NULL;
	struct stat sb;
	int fd = -1, rc;
	store_err e = STORE_IO;

	if (!to || !*to || (size_t)snprintf(tmp, sizeof tmp, "%s.partial-XXXXXX", to) >= sizeof tmp)
		return sq_fail_ours(s, "backup", "no usable target name", STORE_INVALID);
	if (!replace && lstat(to, &sb) == 0)
		return sq_fail_ours(s, "backup", "the target exists", STORE_CONFLICT);
	if ((fd = mkstemp(tmp)) < 0) /* mode 0600, in the target's folder (so rename is atomic) */
		return sq_fail_ours(s, "backup", strerror(errno), errno == ENOSPC ? STORE_FULL : STORE_IO);
	if ((rc = sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE, NULL)) != SQLITE_OK ||
	    (rc = sq_copy_into(s, dst)) != SQLITE_DONE) {
		e = sq_fail(s, "backup", rc);
		goto out;
	}
	if ((rc = sqlite3_exec(dst, "PRAGMA journal_mode = DELETE", NULL, NULL, NULL)) != SQLITE_OK) {
		e = sq_fail(s, "backup", rc);
		goto out;
	}
	sqlite3_close(dst), dst = NULL;
	if (fsync(fd) != 0 || (!replace && link(tmp, to) != 0) || (replace && rename(tmp, to) != 0)) {
		e = sq_fail_ours(s, "backup", strerror(errno), errno == EEXIST ? STORE_CONFLICT : STORE_IO);
		goto out;
	}
	sq_sync_dir(to);
	e = STORE_OK;
out:
	sqlite3_close(dst);
	close(fd);
	unlink(tmp); /* after link(): the target keeps the data; after a failure: no leftover */
	return e;
}

/* see store.h: struct store_ops, tx_end */
static store_err sq_tx_end(store *base, int commit)
{
	struct sq *s = (struct sq *)base;
	store_err e = STORE_OK;

	if (!s->in_tx)
		return sq_fail_ours(s, "tx_end", "no transaction is open", STORE_INVALID);
	s->in_tx = 0;
	if (commit)
		e = sq_run(s, Q_COMMIT, "tx_end", NULL, NULL);
	sq_rollback(s); /* after a failed COMMIT, so that nothing took effect */
	return e;
}

/* Bind a key string: too long for any row is no row (NOT_FOUND), as client_get does. */
static int sq_bind_key(sqlite3_stmt *st, int i, const char *v)
{
	return sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
}

/* ---- users ---- */

static store_err sq_user_put(store *base, const struct store_user *u)
{
	struct sq *s = (struct sq *)base;

	if (!u || !store_user_valid(u))
		return sq_fail_ours(s, "user_put", "invalid user", STORE_INVALID);
	return sq_put_row(s, Q_USER_PUT, "user_put", &store_cols_user, u);
}

/* One user by the key of query q (id, or username in any ASCII case). */
static store_err sq_user_find(struct sq *s, enum sq_query q, const char *what, const char *key,
                              struct store_user *out)
{
	struct sq_key k = {.text = key};

	if (!key || !out)
		return sq_fail_ours(s, what, "NULL argument", STORE_INVALID);
	return sq_get_row(s, q, what, &k, &store_cols_user, out);
}

static store_err sq_user_get(store *base, const char *id, struct store_user *out)
{
	return sq_user_find((struct sq *)base, Q_USER_GET, "user_get", id, out);
}

static store_err sq_user_get_by_name(store *base, const char *username, struct store_user *out)
{
	return sq_user_find((struct sq *)base, Q_USER_GET_NAME, "user_get_by_name", username, out);
}

static store_err sq_user_list(store *base, store_user_cb cb, void *ctx)
{
	struct sq *s = (struct sq *)base;
	struct sq_each a = {.cb.user = cb, .ctx = ctx};

	if (!cb)
		return sq_fail_ours(s, "user_list", "NULL callback", STORE_INVALID);
	return sq_each_row(s, Q_USER_LIST, "user_list", NULL, NULL, &store_cols_user, sq_each_user, &a);
}

static store_err sq_user_delete(store *base, const char *username)
{
	struct sq *s = (struct sq *)base;
	store_err e;
	int n = 0;

	if (!username)
		return sq_fail_ours(s, "user_delete", "NULL argument", STORE_INVALID);
	if ((e = sq_run(s, Q_USER_DELETE, "user_delete", username, &n)) != STORE_OK)
		return e;
	return n ? STORE_OK : STORE_NOT_FOUND;
}

/* ---- sign-in attempts ---- */

/* The lock on record for name into *v (0 when none). */
static store_err sq_login_locked(struct sq *s, const char *name, const char *what, int64_t *v)
{
	sqlite3_stmt *st = NULL;
	store_err e;
	int rc;

	*v = 0;
	if ((e = sq_stmt(s, Q_LOGIN_LOCKED, &st)) != STORE_OK)
		goto out;
	if ((rc = sq_bind_key(st, 1, name)) || ((rc = sqlite3_step(st)) != SQLITE_ROW && rc != SQLITE_DONE)) {
		e = sq_fail(s, what, rc);
		goto out;
	}
	if (rc == SQLITE_ROW)
		*v = sqlite3_column_int64(st, 0);
	e = STORE_OK;
out:
	return sq_end(s, st, e);
}

/* Run q (Q_LOGIN_ADMIT or Q_LOGIN_FAILED: ?1 name, ?2 now, ?3 threshold, ?4 period)
 * to its end: *row when it changed a row, *until the lock it returned. */
static store_err sq_login_step(struct sq *s, enum sq_query q, const char *what, const char *name, int64_t now,
                               int threshold, int64_t period, int *row, int64_t *until)
{
	sqlite3_stmt *st = NULL;
	store_err e;
	int rc;

	*row = 0;
	*until = 0;
	if ((e = sq_stmt(s, q, &st)) != STORE_OK)
		goto out;
	if ((rc = sq_bind_key(st, 1, name)) || (rc = sqlite3_bind_int64(st, 2, now)) ||
	    (rc = sqlite3_bind_int(st, 3, threshold)) || (rc = sqlite3_bind_int64(st, 4, period)) ||
	    ((rc = sqlite3_step(st)) != SQLITE_ROW && rc != SQLITE_DONE)) {
		e = sq_fail(s, what, rc);
		goto out;
	}
	if ((*row = rc == SQLITE_ROW)) {
		*until = sqlite3_column_int64(st, 0);
		/* The write commits when the statement runs to its end. */
		if ((rc = sqlite3_step(st)) != SQLITE_DONE) {
			e = sq_fail(s, what, rc);
			goto out;
		}
	}
	e = STORE_OK;
out:
	return sq_end(s, st, e);
}

static store_err sq_login_admit(store *base, const char *username, int64_t now, int threshold, int64_t period,
                                int *admitted, int64_t *locked_until, int *locked_started)
{
	struct sq *s = (struct sq *)base;
	char name[STORE_USERNAME_MAX + 1];
	int64_t until = 0;
	store_err e;
	int row;

	*admitted = *locked_started = 0;
	*locked_until = 0;
	if (store_login_name(username, name) || !store_login_args_valid(now, threshold, period))
		return sq_fail_ours(s, "login_admit", "invalid argument", STORE_INVALID);
	if (threshold == 0) {
		*admitted = 1;
		return STORE_OK;
	}
	if ((e = sq_login_step(s, Q_LOGIN_ADMIT, "login_admit", name, now, threshold, period, &row,
	                       &until)) != STORE_OK)
		return e;
	if (!row && (e = sq_login_locked(s, name, "login_admit", &until)) != STORE_OK)
		return e;
	*admitted = row && until == 0;
	*locked_started = row && until != 0;
	*locked_until = until;
	return STORE_OK;
}

static store_err sq_login_failed(store *base, const char *username, int64_t now, int threshold,
                                 int64_t period, int64_t *locked_until)
{
	struct sq *s = (struct sq *)base;
	char name[STORE_USERNAME_MAX + 1];
	int row;

	*locked_until = 0;
	if (store_login_name(username, name) || !store_login_args_valid(now, threshold, period))
		return sq_fail_ours(s, "login_failed", "invalid argument", STORE_INVALID);
	if (threshold == 0)
		return STORE_OK;
	return sq_login_step(s, Q_LOGIN_FAILED, "login_failed", name, now, threshold, period, &row,
	                     locked_until);
}

/* Step q bound with (?1 name, ?2 now; Q_LOGIN_UNLOCK: ?1 alone) to its end; *changes
 * gets the rows it changed. */
static store_err sq_login_run(struct sq *s, enum sq_query q, const char *what, const char *name, int64_t now,
                              int *changes)
{
	sqlite3_stmt *st = NULL;
	store_err e;
	int rc;

	if ((e = sq_stmt(s, q, &st)) != STORE_OK)
		goto out;
	if ((rc = sq_bind_key(st, 1, name)) ||
	    (q != Q_LOGIN_UNLOCK && (rc = sqlite3_bind_int64(st, 2, now))) ||
	    (rc = sqlite3_step(st)) != SQLITE_DONE) {
		e = sq_fail(s, what, rc);
		goto out;
	}
	*changes = sqlite3_changes(s->db);
	e = STORE_OK;
out:
	return sq_end(s, st, e);
}

static store_err sq_login_clear(store *base, const char *username, int64_t now)
{
	struct sq *s = (struct sq *)base;
	char name[STORE_USERNAME_MAX + 1];
	int64_t until;
	store_err e;
	int n = 0;

	if (store_login_name(username, name))
		return sq_fail_ours(s, "login_clear", "invalid argument", STORE_INVALID);
	if ((e = sq_login_run(s, Q_LOGIN_CLEAR, "login_clear", name, now, &n)) != STORE_OK || n)
		return e;
	if ((e = sq_login_locked(s, name, "login_clear", &until)) != STORE_OK)
		return e;
	return until > now ? STORE_CONFLICT : STORE_OK;
}

static store_err sq_login_unlock(store *base, const char *username)
{
	struct sq *s = (struct sq *)base;
	char name[STORE_USERNAME_MAX + 1];
	int n = 0;

	if (store_login_name(username, name))
		return sq_fail_ours(s, "login_unlock", "invalid argument", STORE_INVALID);
	return sq_login_run(s, Q_LOGIN_UNLOCK, "login_unlock", name, 0, &n);
}

static store_err sq_login_get(store *base, const char *username, struct store_login *out)
{
	struct sq *s = (struct sq *)base;
	sqlite3_stmt *st = NULL;
	char name[STORE_USERNAME_MAX + 1];
	store_err e;
	int rc;

	if (!out || store_login_name(username, name))
		return sq_fail_ours(s, "login_get", "invalid argument", STORE_INVALID);
	memset(out, 0, sizeof *out);
	if ((e = sq_stmt(s, Q_LOGIN_GET, &st)) != STORE_OK)
		goto out;
	if ((rc = sq_bind_key(st, 1, name)) || (rc = sqlite3_step(st)) != SQLITE_ROW) {
		e = rc == SQLITE_DONE ? STORE_NOT_FOUND : sq_fail(s, "login_get", rc);
		goto out;
	}
	out->attempts = sqlite3_column_int(st, 0);
	out->since = sqlite3_column_int64(st, 1);
	out->locked_until = sqlite3_column_int64(st, 2);
	e = STORE_OK;
out:
	return sq_end(s, st, e);
}

static store_err sq_login_purge(store *base, int64_t now, int64_t period)
{
	struct sq *s = (struct sq *)base;
	sqlite3_stmt *st = NULL;
	store_err e;
	int rc;

	if (!store_login_args_valid(now, 0, period))
		return sq_fail_ours(s, "login_purge", "invalid argument", STORE_INVALID);
	if ((e = sq_stmt(s, Q_LOGIN_PURGE, &st)) != STORE_OK)
		goto out;
	if ((rc = sqlite3_bind_int64(st, 1, now)) || (rc = sqlite3_bind_int64(st, 2, period)) ||
	    (rc = sqlite3_step(st)) != SQLITE_DONE) {
		e = sq_fail(s, "login_purge", rc);
		goto out;
	}
	e = STORE_OK;
out:
	return sq_end(s, st, e);
}

static store_err sq_user_set_password(store *base, const char *id, const char *password_hash)
{
	struct sq *s = (struct sq *)base;
	sqlite3_stmt *st = NULL;
	store_err e;
	int rc;

	if (!id || !password_hash || !password_hash[0]) {
		e = sq_fail_ours(s, "user_set_password", "invalid argument", STORE_INVALID);
		goto out;
	}
	if ((e = sq_stmt(s, Q_USER_SET_PASSWORD, &st)) != STORE_OK)
		goto out;
	if ((rc = sq_bind_key(st, 1, id)) ||
	    (rc = sq_bind_str(st, 2, password_hash, STORE_PASSWORD_HASH_MAX)) ||
	    (rc = sqlite3_step(st)) != SQLITE_DONE) {
		e = sq_fail(s, "user_set_password", rc);
		goto out;
	}
	e = sqlite3_changes(s->db) ? STORE_OK : STORE_NOT_FOUND;
out:
	return sq_end(s, st, e);
}

static store_err sq_user_update(store *base, const struct store_user *u)
{
	struct sq *s = (struct sq *)base;

	if (!u || !store_user_valid(u))
		return sq_fail_ours(s, "user_update", "invalid user", STORE_INVALID);
	return sq_update_row(s, Q_USER_UPDATE, "user_update", &store_cols_user, u);
}

static store_err sq_user_end_sessions(store *base, const char *id)
{
	static const enum sq_query ends[] = {Q_USER_END_SESSIONS, Q_USER_END_CODES, Q_USER_END_FLOWS,
	                                     Q_USER_END_REFRESH};
	struct sq *s = (struct sq *)base;
	struct store_user u;
	store_err e;
	int began = 0;

	if (!id || !id[0])
		return sq_fail_ours(s, "user_end_sessions", "invalid argument", STORE_INVALID);
	if (!s->in_tx) { /* a transaction of its own, unless the caller's is open */
		if ((e = sq_run(s, Q_BEGIN, "user_end_sessions", NULL, NULL)) != STORE_OK)
			return e;
		began = 1;
	}
	e = sq_user_find(s, Q_USER_GET, "user_end_sessions", id, &u);
	explicit_bzero(&u, sizeof u);
	for (size_t i = 0; e == STORE_OK && i < sizeof ends / sizeof ends[0]; i++)
		e = sq_run(s, ends[i], "user_end_sessions", id, NULL);
	if (e == STORE_OK && began)
		e = sq_run(s, Q_COMMIT, "user_end_sessions", NULL, NULL);
	if (began)
		sq_rollback(s);
	return e;
}

static store_err sq_user_get_by_email(store *base, const char *email, struct store_user *out)
{
	return sq_user_find((struct sq *)base, Q_USER_GET_EMAIL, "user_get_by_email", email, out);
}

/* ---- single-use links ---- */

static store_err sq_link_put(store *base, const struct store_link *l)
{
	struct sq *s = (struct sq *)base;

	if (!l || !store_link_valid(l))
		return sq_fail_ours(s, "link_put", "invalid link", STORE_INVALID);
	return sq_put_row(s, Q_LINK_PUT, "link_put", &store_cols_link, l);
}

/* The live link of hash and kind by q (Q_LINK_GET or Q_LINK_TAKE) into out. */
static store_err sq_link_find(struct sq *s, enum sq_query q, const char *what, const uint8_t *hash,
                              size_t len, const char *kind, int64_t now, struct store_link *out)
{
	struct sq_key k = {.blob = hash, .len = len, .has_now = 1, .now = now, .text3 = kind};

	if (!hash || !kind || !out || len == 0 || len > STORE_HASH_MAX) {
		if (out)
			explicit_bzero(out, sizeof *out);
		return sq_fail_ours(s, what, "invalid argument", STORE_INVALID);
	}
	return sq_get_row(s, q, what, &k, &store_cols_link, out);
}

static store_err sq_link_get(store *base, const uint8_t *hash, size_t len, const char *kind, int64_t now,
                             struct store_link *out)
{
	return sq_link_find((struct sq *)base, Q_LINK_GET, "link_get", hash, len, kind, now, out);
}

static store_err sq_link_take(store *base, const uint8_t *hash, size_t len, const char *kind, int64_t now,
                              struct store_link *out)
{
	return sq_link_find((struct sq *)base, Q_LINK_TAKE, "link_take", hash, len, kind, now, out);
}

static store_err sq_link_end(store *base, const char *user_id, const char *kind)
{
	struct sq *s = (struct sq *)base;
	sqlite3_stmt *st = NULL;
	store_err e;
	int rc;

	if (!user_id || !user_id[0] || !kind)
		return sq_fail_ours(s, "link_end", "invalid argument", STORE_INVALID);
	if ((e = sq_stmt(s, Q_LINK_END, &st)) != STORE_OK)
		goto out;
	if ((rc = sq_bind_key(st, 1, user_id)) || (rc = sq_bind_key(st, 2, kind)) ||
	    (rc = sqlite3_step(st)) != SQLITE_DONE) {
		e = sq_fail(s, "link_end", rc);
		goto out;
	}
	e = STORE_OK;
out:
	return sq_end(s, st, e);
}

static store_err sq_link_count(store *base, const char *user_id, const char *kind, int64_t since, int *n)
{
	struct sq *s = (struct sq *)base;
	sqlite3_stmt *st = NULL;
	store_err e;
	int rc;

	if (!n || !user_id || !kind)
		return sq_fail_ours(s, "link_count", "invalid argument", STORE_INVALID);
	*n = 0;
	if ((e = sq_stmt(s, Q_LINK_COUNT, &st)) != STORE_OK)
		goto out;
	if ((rc = sq_bind_key(st, 1, user_id)) || (rc = sq_bind_key(st, 2, kind)) ||
	    (rc = sqlite3_bind_int64(st, 3, since)) || (rc = sqlite3_step(st)) != SQLITE_ROW) {
		e = sq_fail(s, "link_count", rc);
		goto out;
	}
	*n = sqlite3_column_int(st, 0);
	e = STORE_OK;
out:
	return sq_end(s, st, e);
}

static store_err sq_link_purge(store *base, int64_t now)
{
	return sq_purge((struct sq *)base, Q_LINK_PURGE, "link_purge", now);
}

/* ---- sessions ---- */

static store_err sq_session_put(store *base, const struct store_session *se)
{
	struct sq *s = (struct sq *)base;

	if (!se || !store_session_valid(se))
		return sq_fail_ours(s, "session_put", "invalid session", STORE_INVALID);
	return sq_put_row(s, Q_SESSION_PUT, "session_put", &store_cols_session, se);
}

static store_err sq_session_get(store *base, const uint8_t *hash, size_t hash_len, int64_t now,
                                struct store_session *out)
{
	return sq_get_by_hash((struct sq *)base, Q_SESSION_GET, "session_get", hash, hash_len, now,
	                      &store_cols_session, out);
}

static store_err sq_session_delete(store *base, const uint8_t *hash, size_t hash_len)
{
	struct sq *s = (struct sq *)base;
	sqlite3_stmt *st = NULL;
	store_err e;
	int rc;

	if (!hash || hash_len == 0 || hash_len > STORE_HASH_MAX) {
		e = sq_fail_ours(s, "session_delete", "invalid argument", STORE_INVALID);
		goto out;
	}
	if ((e = sq_stmt(s, Q_SESSION_DELETE, &st)) != STORE_OK)
		goto out;
	if ((rc = sqlite3_bind_blob(st, 1, hash, (int)hash_len, SQLITE_STATIC)) ||
	    (rc = sqlite3_step(st)) != SQLITE_DONE) {
		e = sq_fail(s, "session_delete", rc);
		goto out;
	}
	e = sqlite3_changes(s->db) ? STORE_OK : STORE_NOT_FOUND;
out:
	return sq_end(s, st, e);
}

static store_err sq_session_purge(store *base, int64_t now)
{
	return sq_purge((struct sq *)base, Q_SESSION_PURGE, "session_purge", now);
}

static store_err sq_session_list(store *base, const char *user_id, int64_t now, store_session_cb cb,
                                 void *ctx)
{
	struct sq *s = (struct sq *)base;
	struct sq_each a = {.cb.session = cb, .ctx = ctx};

	if (!user_id || !cb)
		return sq_fail_ours(s, "session_list", "NULL argument", STORE_INVALID);
	return sq_each_row(s, Q_SESSION_LIST, "session_list", user_id, &now, &store_cols_session,
	                   sq_each_session, &a);
}

/* ---- refresh tokens ---- */

static store_err sq_refresh_put(store *base, const struct store_refresh *r)
{
	struct sq *s = (struct sq *)base;

	if (!r || !store_refresh_valid(r))
		return sq_fail_ours(s, "refresh_put", "invalid refresh token", STORE_INVALID);
	return sq_put_row(s, Q_REFRESH_PUT, "refresh_put", &store_cols_refresh, r);
}

static store_err sq_refresh_get(store *base, const uint8_t *hash, size_t hash_len, int64_t now,
                                struct store_refresh *out)
{
	return sq_get_by_hash((struct sq *)base, Q_REFRESH_GET, "refresh_get", hash, hash_len, now,
	                      &store_cols_refresh, out);
}

/* The old token (inside the rotation's transaction) into *old and *r; NOT_FOUND if none. */
static store_err sq_refresh_find(struct sq *s, const uint8_t *hash, size_t n, struct store_refresh *old,
                                 struct store_rotation *r)
{
	const int k = (int)store_cols_refresh.n;
	sqlite3_stmt *st = NULL;
	store_err e;
	int rc;

	if ((e = sq_stmt(s, Q_REFRESH_FIND, &st)) != STORE_OK)
		goto out;
	if ((rc = sqlite3_bind_blob(st, 1, hash, (int)n, SQLITE_STATIC)) ||
	    (rc = sqlite3_step(st)) != SQLITE_ROW) {
		e = rc == SQLITE_DONE ? STORE_NOT_FOUND : sq_fail(s, "refresh_rotate", rc);
		goto out;
	}
	if (sq_read_row(st, 0, &store_cols_refresh, old) ||
	    sq_col_blob(st, k + 3, r->replaced_by, sizeof r->replaced_by, &r->replaced_by_len)) {
		e = sq_fail_row(s, "refresh_rotate", &store_cols_refresh);
		goto out;
	}
	r->used = sqlite3_column_int(st, k);
	r->revoked = sqlite3_column_int(st, k + 1);
	r->used_at = sqlite3_column_int64(st, k + 2);
	e = STORE_OK;
out:
	return sq_end(s, st, e);
}

/* A used token's retry within the grace: its unused successor gives way to next (1), or
 * this is a replay (0). */
static store_err sq_refresh_regrant(struct sq *s, const uint8_t *old_hash, size_t old_len,
                                    const struct store_refresh *old, const struct store_rotation *r,
                                    const struct store_refresh *next, int64_t now, int64_t grace,
                                    int *regranted)
{
	store_err e;
	int n = 0;

	*regranted = 0;
	if (!store_regrant_due(r, old, now, grace))
		return STORE_OK;
	if ((e = sq_run_link(s, Q_REFRESH_SUPERSEDE, "refresh_rotate", r->replaced_by, r->replaced_by_len,
	                     now, next->hash, next->hash_len, &n)) != STORE_OK ||
	    !n)
		return e;
	if ((e = sq_run_link(s, Q_REFRESH_REPLACED, "refresh_rotate", old_hash, old_len, now, next->hash,
	                     next->hash_len, &n)) == STORE_OK)
		*regranted = 1;
	return e;
}

static store_err sq_refresh_rotate(store *base, const uint8_t *old_hash, size_t old_hash_len,
                                   const struct store_refresh *next, int64_t now, int64_t grace,
                                   struct store_refresh *old_out)
{
	struct sq *s = (struct sq *)base;
	struct store_refresh row;
	struct store_rotation r = {0};
	store_err e;
	int n = 0, began = 0, regranted = 0;

	if (old_out)
		memset(old_out, 0, sizeof *old_out);
	if (!store_rotate_args_valid(old_hash, old_hash_len, next, old_out, grace)) {
		e = sq_fail_ours(s, "refresh_rotate", "invalid argument", STORE_INVALID);
		goto out;
	}
	if (s->in_tx) {
		e = sq_fail_ours(s, "refresh_rotate", "not inside tx_begin", STORE_INVALID);
		goto out;
	}
	if ((e = sq_run(s, Q_BEGIN, "refresh_rotate", NULL, NULL)) != STORE_OK)
		goto out;
	began = 1;
	if ((e = sq_refresh_find(s, old_hash, old_hash_len, old_out, &r)) != STORE_OK)
		goto out;
	if (strcmp(old_out->client_id, next->client_id) != 0) {
		e = STORE_NOT_FOUND; /* another client's token: not this client's to use or to revoke */
		goto out;
	}
	if (r.used && (e = sq_refresh_regrant(s, old_hash, old_hash_len, old_out, &r, next, now, grace,
	                                      &regranted)) != STORE_OK)
		goto out;
	if (r.used && !regranted) {
		if ((e = sq_run(s, Q_REFRESH_REVOKE, "refresh_rotate", old_out->family_id, NULL)) !=
		        STORE_OK ||
		    (e = sq_run(s, Q_COMMIT, "refresh_rotate", NULL, NULL)) != STORE_OK)
			goto out;
		e = STORE_REUSED;
		goto out;
	}
	if (!regranted && (r.revoked || old_out->expires_at <= now)) {
		e = STORE_NOT_FOUND;
		goto out;
	}
	store_refresh_successor(old_out, next, &row);
	if (!regranted && (e = sq_run_link(s, Q_REFRESH_USE, "refresh_rotate", old_hash, old_hash_len, now,
	                                   next->hash, next->hash_len, &n)) != STORE_OK)
		goto out;
	if ((e = sq_put_row(s, Q_REFRESH_PUT, "refresh_rotate", &store_cols_refresh, &row)) != STORE_OK ||
	    (e = sq_run(s, Q_COMMIT, "refresh_rotate", NULL, NULL)) != STORE_OK)
		goto out;
	e = STORE_OK;
out:
	if (began)
		sq_rollback(s);
	if (e != STORE_OK && e != STORE_REUSED && old_out)
		memset(old_out, 0, sizeof *old_out);
	return e;
}

static store_err sq_refresh_revoke_family(store *base, const char *family_id)
{
	struct sq *s = (struct sq *)base;
	store_err e;
	int n = 0;

	if (!family_id || !family_id[0])
		return sq_fail_ours(s, "refresh_revoke_family", "empty family id", STORE_INVALID);
	if ((e = sq_run(s, Q_REFRESH_REVOKE, "refresh_revoke_family", family_id, &n)) != STORE_OK)
		return e;
	return n ? STORE_OK : STORE_NOT_FOUND;
}

static store_err sq_refresh_revoke_session(store *base, const uint8_t *hash, size_t hash_len)
{
	struct sq *s = (struct sq *)base;
	sqlite3_stmt *st = NULL;
	store_err e;
	int rc;

	if (!hash || hash_len == 0 || hash_len > STORE_HASH_MAX)
		return sq_fail_ours(s, "refresh_revoke_session", "invalid argument", STORE_INVALID);
	if ((e = sq_stmt(s, Q_REFRESH_REVOKE_SESSION, &st)) != STORE_OK)
		goto out;
	if ((rc = sqlite3_bind_blob(st, 1, hash, (int)hash_len, SQLITE_STATIC)) ||
	    (rc = sqlite3_step(st)) != SQLITE_DONE) {
		e = sq_fail(s, "refresh_revoke_session", rc);
		goto out;
	}
	e = STORE_OK;
out:
	return sq_end(s, st, e);
}

static store_err sq_refresh_purge(store *base, int64_t now)
{
	return sq_purge((struct sq *)base, Q_REFRESH_PURGE, "refresh_purge", now);
}

/* ---- login flows ---- */

static store_err sq_flow_put(store *base, const struct store_flow *f)
{
	struct sq *s = (struct sq *)base;

	if (!f || !store_flow_valid(f))
		return sq_fail_ours(s, "flow_put", "invalid flow", STORE_INVALID);
	return sq_put_row(s, Q_FLOW_PUT, "flow_put", &store_cols_flow, f);
}

/* The unexpired flow by hash, through q (get: SELECT; take: DELETE ... RETURNING,
 * which takes effect only when sq_get_row ran it to its end). */
static store_err sq_flow_find(struct sq *s, enum sq_query q, const char *what, const uint8_t *hash,
                              size_t hash_len, int64_t now, struct store_flow *out)
{
	return sq_get_by_hash(s, q, what, hash, hash_len, now, &store_cols_flow, out);
}

static store_err sq_flow_get(store *base, const uint8_t *hash, size_t hash_len, int64_t now,
                             struct store_flow *out)
{
	return sq_flow_find((struct sq *)base, Q_FLOW_GET, "flow_get", hash, hash_len, now, out);
}

static store_err sq_flow_take(store *base, const uint8_t *hash, size_t hash_len, int64_t now,
                              struct store_flow *out)
{
	return sq_flow_find((struct sq *)base, Q_FLOW_TAKE, "flow_take", hash, hash_len, now, out);
}

static store_err sq_flow_set_user(store *base, const uint8_t *hash, size_t hash_len, int64_t now,
                                  const char *user_id, int64_t auth_time, const char *amr, int mfa_pending)
{
	struct sq *s = (struct sq *)base;
	sqlite3_stmt *st = NULL;
	store_err e;
	int rc;

	if (!hash || hash_len == 0 || hash_len > STORE_HASH_MAX || !user_id || !user_id[0] ||
	    auth_time <= 0 || !store_amr_valid(amr) || (mfa_pending != 0 && mfa_pending != 1)) {
		e = sq_fail_ours(s, "flow_set_user", "invalid argument", STORE_INVALID);
		goto out;
	}
	if ((e = sq_stmt(s, Q_FLOW_SET_USER, &st)) != STORE_OK)
		goto out;
	if ((rc = sqlite3_bind_blob(st, 1, hash, (int)hash_len, SQLITE_STATIC)) ||
	    (rc = sqlite3_bind_int64(st, 2, now)) || (rc = sq_bind_str(st, 3, user_id, STORE_ID_MAX)) ||
	    (rc = sqlite3_bind_int64(st, 4, auth_time)) || (rc = sq_bind_str(st, 5, amr, STORE_AMR_MAX)) ||
	    (rc = sqlite3_bind_int(st, 6, mfa_pending)) || (rc = sqlite3_step(st)) != SQLITE_DONE) {
		e = sq_fail(s, "flow_set_user", rc); /* an unknown user: the foreign key, NOT_FOUND */
		goto out;
	}
	e = sqlite3_changes(s->db) ? STORE_OK : STORE_NOT_FOUND;
out:
	return sq_end(s, st, e);
}

static store_err sq_flow_purge(store *base, int64_t now)
{
	return sq_purge((struct sq *)base, Q_FLOW_PURGE, "flow_purge", now);
}

/* ---- consents ---- */

static store_err sq_consent_put(store *base, const char *user_id, const char *client_id, const char *scope,
                                int64_t now)
{
	struct sq *s = (struct sq *)base;
	sqlite3_stmt *st = NULL;
	store_err e;
	int rc;

	if (!user_id || !user_id[0] || !client_id || !client_id[0] || !scope || strchr(scope, '\n')) {
		e = sq_fail_ours(s, "consent_put", "invalid argument", STORE_INVALID);
		goto out;
	}
	if ((e = sq_stmt(s, Q_CONSENT_PUT, &st)) != STORE_OK)
		goto out;
	if ((rc = sq_bind_str(st, 1, user_id, STORE_ID_MAX)) ||
	    (rc = sq_bind_str(st, 2, client_id, STORE_ID_MAX)) ||
	    (rc = sq_bind_str(st, 3, scope, STORE_SCOPE_MAX)) || (rc = sqlite3_bind_int64(st, 4, now)) ||
	    (rc = sqlite3_step(st)) != SQLITE_DONE) {
		e = sq_fail(s, "consent_put", rc); /* an unknown user or client: NOT_FOUND */
		goto out;
	}
	e = STORE_OK;
out:
	return sq_end(s, st, e);
}

static store_err sq_consent_get(store *base, const char *user_id, const char *client_id, char *scope_out)
{
	struct sq *s = (struct sq *)base;
	sqlite3_stmt *st = NULL;
	store_err e;
	int rc;

	if (!user_id || !client_id || !scope_out) {
		e = sq_fail_ours(s, "consent_get", "NULL argument", STORE_INVALID);
		goto out;
	}
	if ((e = sq_stmt(s, Q_CONSENT_GET, &st)) != STORE_OK)
		goto out;
	if ((rc = sq_bind_key(st, 1, user_id)) || (rc = sq_bind_key(st, 2, client_id)) ||
	    (rc = sqlite3_step(st)) != SQLITE_ROW) {
		e = rc == SQLITE_DONE ? STORE_NOT_FOUND : sq_fail(s, "consent_get", rc);
		goto out;
	}
	if (sq_col_str(st, 0, scope_out, STORE_SCOPE_MAX + 1)) {
		e = sq_fail_ours(s, "consent_get", "stored scope does not fit the limits", STORE_CORRUPT);
		goto out;
	}
	e = STORE_OK;
out:
	sq_done(s, st);
	if (e != STORE_OK && scope_out)
		scope_out[0] = '\0';
	return e;
}

/* ---- the mail outbox ---- */

static store_err sq_outbox_put(store *base, const struct store_mail *m)
{
	struct sq *s = (struct sq *)base;

	if (!m || !store_mail_valid(m))
		return sq_fail_ours(s, "outbox_put", "invalid mail", STORE_INVALID);
	return sq_put_row(s, Q_OUTBOX_PUT, "outbox_put", &store_cols_mail, m);
}

/* Step q (bound with ?1 the text id, or the integer a when id is NULL, and ?2 b) to its
 * one row, read into out (zeroed on any failure); NOT_FOUND when there is none. */
static store_err sq_outbox_row(struct sq *s, enum sq_query q, const char *what, const char *id, int64_t a,
                               int64_t b, struct store_mail *out)
{
	sqlite3_stmt *st = NULL;
	store_err e;
	int rc, bad;

	if ((e = sq_stmt(s, q, &st)) != STORE_OK)
		goto out;
	rc = id ? sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC) : sqlite3_bind_int64(st, 1, a);
	if (rc || (!id && (rc = sqlite3_bind_int64(st, 2, b))) ||
	    ((rc = sqlite3_step(st)) != SQLITE_ROW && rc != SQLITE_DONE)) {
		e = sq_fail(s, what, rc);
		goto out;
	}
	if (rc == SQLITE_DONE) {
		e = STORE_NOT_FOUND;
		goto out;
	}
	bad = sq_read_row(st, 0, &store_cols_mail, out);
	if ((rc = sqlite3_step(st)) != SQLITE_DONE) {
		e = sq_fail(s, what, rc);
		goto out;
	}
	e = bad ? sq_fail_row(s, what, &store_cols_mail) : STORE_OK;
out:
	e = sq_end(s, st, e);
	if (e != STORE_OK && out)
		explicit_bzero(out, sizeof *out);
	return e;
}

static store_err sq_outbox_claim(store *base, int64_t now, int64_t lease, struct store_mail *out)
{
	struct sq *s = (struct sq *)base;

	if (!out || lease <= 0 || now > INT64_MAX - lease)
		return sq_fail_ours(s, "outbox_claim", "invalid argument", STORE_INVALID);
	return sq_outbox_row(s, Q_OUTBOX_CLAIM, "outbox_claim", NULL, now, now + lease, out);
}

static store_err sq_outbox_get(store *base, const char *id, struct store_mail *out)
{
	struct sq *s = (struct sq *)base;

	if (!id || !out)
		return sq_fail_ours(s, "outbox_get", "NULL argument", STORE_INVALID);
	return sq_outbox_row(s, Q_OUTBOX_GET, "outbox_get", id, 0, 0, out);
}

/* done (error NULL) or retry: the claim numbered attempt of mail id; NOT_FOUND when it is not current. */
static store_err sq_outbox_end(struct sq *s, enum sq_query q, const char *what, const char *id, int attempt,
                               int64_t now, int64_t next_at, const char *error)
{
	sqlite3_stmt *st = NULL;
	store_err e;
	int rc;

	if (!id || attempt < 1 || next_at < 0 || (q == Q_OUTBOX_RETRY && !error)) {
		e = sq_fail_ours(s, what, "invalid argument", STORE_INVALID);
		goto out;
	}
	if ((e = sq_stmt(s, q, &st)) != STORE_OK)
		goto out;
	if ((rc = sq_bind_key(st, 1, id)) || (rc = sqlite3_bind_int(st, 2, attempt)) ||
	    (rc = sqlite3_bind_int64(st, 3, now)) ||
	    (error && ((rc = sqlite3_bind_int64(st, 4, next_at)) ||
	               (rc = sqlite3_bind_text(st, 5, error, (int)strnlen(error, STORE_MAIL_ERROR_MAX),
	                                       SQLITE_STATIC)))) ||
	    (rc = sqlite3_step(st)) != SQLITE_DONE) {
		e = sq_fail(s, what, rc);
		goto out;
	}
	e = sqlite3_changes(s->db) ? STORE_OK : STORE_NOT_FOUND;
out:
	return sq_end(s, st, e);
}

static store_err sq_outbox_done(store *base, const char *id, int attempt, int64_t now)
{
	return sq_outbox_end((struct sq *)base, Q_OUTBOX_DONE, "outbox_done", id, attempt, now, 0, NULL);
}

static store_err sq_outbox_retry(store *base, const char *id, int attempt, int64_t now, int64_t next_at,
                                 const char *error)
{
	return sq_outbox_end((struct sq *)base, Q_OUTBOX_RETRY, "outbox_retry", id, attempt, now, next_at,
	                     error);
}

static store_err sq_outbox_count(store *base, int64_t now, struct store_outbox_counts *out)
{
	struct sq *s = (struct sq *)base;
	sqlite3_stmt *st = NULL;
	store_err e;
	int rc;

	if (!out)
		return sq_fail_ours(s, "outbox_count", "NULL argument", STORE_INVALID);
	memset(out, 0, sizeof *out);
	if ((e = sq_stmt(s, Q_OUTBOX_COUNT, &st)) != STORE_OK)
		goto out;
	if ((rc = sqlite3_bind_int64(st, 1, now)) || (rc = sqlite3_step(st)) != SQLITE_ROW) {
		e = sq_fail(s, "outbox_count", rc);
		goto out;
	}
	out->queued = sqlite3_column_int64(st, 0);
	out->due = sqlite3_column_int64(st, 1);
	out->sent = sqlite3_column_int64(st, 2);
	out->failed = sqlite3_column_int64(st, 3);
out:
	sq_done(s, st);
	return e;
}

static store_err sq_outbox_purge(store *base, int64_t before)
{
	return sq_purge((struct sq *)base, Q_OUTBOX_PURGE, "outbox_purge", before);
}

/* ---- second factors ---- */

static store_err sq_factor_put(store *base, const struct store_factor *f)
{
	struct sq *s = (struct sq *)base;

	if (!f || !store_factor_valid(f))
		return sq_fail_ours(s, "factor_put", "invalid factor", STORE_INVALID);
	return sq_put_row(s, Q_FACTOR_PUT, "factor_put", &store_cols_factor, f);
}

static store_err sq_factor_list(store *base, const char *user_id, store_factor_cb cb, void *ctx)
{
	struct sq *s = (struct sq *)base;
	struct sq_each a = {.cb.factor = cb, .ctx = ctx};

	if (!user_id || !cb)
		return sq_fail_ours(s, "factor_list", "NULL argument", STORE_INVALID);
	return sq_each_row(s, Q_FACTOR_LIST, "factor_list", user_id, NULL, &store_cols_factor, sq_each_factor,
	                   &a);
}

static store_err sq_factor_by_cred(store *base, const uint8_t *cred_id, size_t len, struct store_factor *out)
{
	struct sq *s = (struct sq *)base;
	struct sq_key k = {.blob = cred_id, .len = len};

	if (!cred_id || !out || len == 0 || len > STORE_CRED_ID_MAX) {
		if (out)
			explicit_bzero(out, sizeof *out);
		return sq_fail_ours(s, "factor_by_cred", "invalid argument", STORE_INVALID);
	}
	return sq_get_row(s, Q_FACTOR_BY_CRED, "factor_by_cred", &k, &store_cols_factor, out);
}

/* After a conditional write to the factor id of user_id changed nothing: CONFLICT
 * when that factor exists (its condition did not hold), else NOT_FOUND. */
static store_err sq_factor_missed(struct sq *s, const char *what, const char *id, const char *user_id)
{
	sqlite3_stmt *st = NULL;
	store_err e;
	int rc;

	if ((e = sq_stmt(s, Q_FACTOR_EXISTS, &st)) != STORE_OK)
		goto out;
	if ((rc = sq_bind_key(st, 1, id)) || (rc = sq_bind_key(st, 2, user_id)) ||
	    ((rc = sqlite3_step(st)) != SQLITE_ROW && rc != SQLITE_DONE)) {
		e = sq_fail(s, what, rc);
		goto out;
	}
	e = rc == SQLITE_ROW ? STORE_CONFLICT : STORE_NOT_FOUND;
out:
	return sq_end(s, st, e);
}

/* Bind ?1 id and ?2 user_id to st (the caller bound ?3 on, with the result rc) and
 * step it; *changes gets the rows it changed. Ends st (sq_end). */
static store_err sq_factor_step(struct sq *s, sqlite3_stmt *st, const char *what, const char *id,
                                const char *user_id, int rc, int *changes)
{
	store_err e = STORE_OK;

	*changes = 0;
	if (rc || (rc = sq_bind_key(st, 1, id)) || (rc = sq_bind_key(st, 2, user_id)) ||
	    (rc = sqlite3_step(st)) != SQLITE_DONE)
		e = sq_fail(s, what, rc);
	else
		*changes = sqlite3_changes(s->db);
	return sq_end(s, st, e);
}

/* One statement (Q_FACTOR_USE), so one write transaction: see its comment. */
static store_err sq_factor_use(store *base, const char *id, const char *user_id, int64_t counter, int64_t now)
{
	struct sq *s = (struct sq *)base;
	sqlite3_stmt *st = NULL;
	store_err e;
	int n = 0, rc;

	if (!id || !user_id || counter < 0)
		return sq_fail_ours(s, "factor_use", "invalid argument", STORE_INVALID);
	if ((e = sq_stmt(s, Q_FACTOR_USE, &st)) != STORE_OK)
		return sq_end(s, st, e);
	if (!(rc = sqlite3_bind_int64(st, 3, counter)))
		rc = sqlite3_bind_int64(st, 4, now);
	e = sq_factor_step(s, st, "factor_use", id, user_id, rc, &n);
	return e == STORE_OK && !n ? sq_factor_missed(s, "factor_use", id, user_id) : e;
}

/* One statement (Q_FACTOR_SWAP): a compare-and-swap of the factor's bytes. */
static store_err sq_factor_swap(store *base, const char *id, const char *user_id, const uint8_t *old,
                                size_t old_len, const uint8_t *data, size_t data_len, int64_t now)
{
	struct sq *s = (struct sq *)base;
	sqlite3_stmt *st = NULL;
	store_err e;
	int n = 0, rc;

	if (!id || !user_id || (old_len && !old) || (data_len && !data) || old_len > STORE_FACTOR_DATA_MAX ||
	    data_len > STORE_FACTOR_DATA_MAX)
		return sq_fail_ours(s, "factor_swap", "invalid argument", STORE_INVALID);
	if ((e = sq_stmt(s, Q_FACTOR_SWAP, &st)) != STORE_OK)
		return sq_end(s, st, e);
	if (!(rc = sq_bind_blob(st, 3, old, old_len, STORE_FACTOR_DATA_MAX)) &&
	    !(rc = sq_bind_blob(st, 4, data, data_len, STORE_FACTOR_DATA_MAX)))
		rc = sqlite3_bind_int64(st, 5, now);
	e = sq_factor_step(s, st, "factor_swap", id, user_id, rc, &n);
	return e == STORE_OK && !n ? sq_factor_missed(s, "factor_swap", id, user_id) : e;
}

static store_err sq_factor_delete(store *base, const char *id, const char *user_id)
{
	struct sq *s = (struct sq *)base;
	sqlite3_stmt *st = NULL;
	store_err e;
	int n = 0;

	if (!id || !user_id)
		return sq_fail_ours(s, "factor_delete", "NULL argument", STORE_INVALID);
	if ((e = sq_stmt(s, Q_FACTOR_DELETE, &st)) != STORE_OK)
		return sq_end(s, st, e);
	e = sq_factor_step(s, st, "factor_delete", id, user_id, SQLITE_OK, &n);
	return e == STORE_OK && !n ? STORE_NOT_FOUND : e;
}

static store_err sq_factor_clear(store *base, const char *user_id, const char *kind, int *n)
{
	struct sq *s = (struct sq *)base;
	sqlite3_stmt *st = NULL;
	store_err e;
	int rc;

	if (n)
		*n = 0;
	if (!user_id || (kind && !store_factor_kind_valid(kind)))
		return sq_fail_ours(s, "factor_clear", "invalid argument", STORE_INVALID);
	if ((e = sq_stmt(s, Q_FACTOR_CLEAR, &st)) != STORE_OK)
		goto out;
	if ((rc = sq_bind_key(st, 1, user_id)) ||
	    (rc = kind ? sq_bind_key(st, 2, kind) : sqlite3_bind_null(st, 2)) ||
	    (rc = sqlite3_step(st)) != SQLITE_DONE) {
		e = sq_fail(s, "factor_clear", rc);
		goto out;
	}
	if (n)
		*n = sqlite3_changes(s->db);
	e = STORE_OK;
out:
	return sq_end(s, st, e);
}

/* ---- WebAuthn challenges ---- */

static store_err sq_challenge_put(store *base, const uint8_t *hash, size_t hash_len, const char *user_id,
                                  int64_t expires_at)
{
	struct sq *s = (struct sq *)base;
	sqlite3_stmt *st = NULL;
	store_err e;
	int rc;

	if (!hash || hash_len == 0 || hash_len > STORE_HASH_MAX || !user_id)
		return sq_fail_ours(s, "challenge_put", "invalid argument", STORE_INVALID);
	if ((e = sq_stmt(s, Q_CHALLENGE_PUT, &st)) != STORE_OK)
		goto out;
	if ((rc = sqlite3_bind_blob(st, 1, hash, (int)hash_len, SQLITE_STATIC)) ||
	    (rc = sq_bind_str(st, 2, user_id, STORE_ID_MAX)) ||
	    (rc = sqlite3_bind_int64(st, 3, expires_at)) || (rc = sqlite3_step(st)) != SQLITE_DONE) {
		e = sq_fail(s, "challenge_put", rc);
		goto out;
	}
	e = STORE_OK;
out:
	return sq_end(s, st, e);
}

/* A DELETE ... RETURNING run to its end (as sq_get_row): a failure before that
 * means nobody took the challenge. */
static store_err sq_challenge_take(store *base, const uint8_t *hash, size_t hash_len, int64_t now,
                                   char *user_id)
{
	struct sq *s = (struct sq *)base;
	sqlite3_stmt *st = NULL;
	store_err e;
	int rc, bad = 0;

	if (user_id)
		user_id[0] = '\0';
	if (!hash || hash_len == 0 || hash_len > STORE_HASH_MAX || !user_id)
		return sq_fail_ours(s, "challenge_take", "invalid argument", STORE_INVALID);
	if ((e = sq_stmt(s, Q_CHALLENGE_TAKE, &st)) != STORE_OK)
		goto out;
	if ((rc = sqlite3_bind_blob(st, 1, hash, (int)hash_len, SQLITE_STATIC)) ||
	    (rc = sqlite3_bind_int64(st, 2, now)) ||
	    ((rc = sqlite3_step(st)) != SQLITE_ROW && rc != SQLITE_DONE)) {
		e = sq_fail(s, "challenge_take", rc);
		goto out;
	}
	if (rc == SQLITE_DONE) {
		e = STORE_NOT_FOUND;
		goto out;
	}
	bad = sq_col_str(st, 0, user_id, STORE_ID_MAX + 1);
	if ((rc = sqlite3_step(st)) != SQLITE_DONE) { /* one row at most: the hash is the key */
		e = sq_fail(s, "challenge_take", rc);
		goto out;
	}
	e = bad ? sq_fail_ours(s, "challenge_take", "stored user id does not fit the limits", STORE_CORRUPT)
	        : STORE_OK;
out:
	e = sq_end(s, st, e);
	if (e != STORE_OK && user_id)
		user_id[0] = '\0';
	return e;
}

static store_err sq_challenge_purge(store *base, int64_t now)
{
	return sq_purge((struct sq *)base, Q_CHALLENGE_PURGE, "challenge_purge", now);
}

/* ---- raw rows (store copy) ---- */

/* see store.h: struct store_ops, raw_each */
static store_err sq_raw_each(store *base, size_t t, store_raw_cb cb, void *ctx)
{
	struct sq *s = (struct sq *)base;
	struct store_value v[STORE_RAW_COLS_MAX];
	sqlite3_stmt *st = NULL;
	char sql[640];
	store_err e = STORE_OK;
	int rc;

	if (!cb || t >= store_raw_n)
		return sq_fail_ours(s, "raw_each", "invalid argument", STORE_INVALID);
	snprintf(sql, sizeof sql, "SELECT %s FROM %s%s", store_raw_tables[t].cols, store_raw_tables[t].name,
	         strcmp(store_raw_tables[t].name, "signing_keys") ? "" : " ORDER BY created_at, rowid");
	if ((rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL)) != SQLITE_OK)
		return sq_fail(s, "raw_each", rc);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *kinds = store_raw_tables[t].kinds;
		size_t n = strlen(kinds);

		for (size_t i = 0; i < n; i++) {
			int c = (int)i, null = sqlite3_column_type(st, c) == SQLITE_NULL;

			v[i] = (struct store_value){.kind = null ? 0 : kinds[i]};
			if (v[i].kind == 'i')
				v[i].i = sqlite3_column_int64(st, c);
			else if (v[i].kind)
				v[i].p = v[i].kind == 't' ? (const void *)sqlite3_column_text(st, c)
				                          : sqlite3_column_blob(st, c),
				v[i].len = (size_t)sqlite3_column_bytes(st, c);
		}
		if (cb(ctx, v, n))
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		e = sq_fail(s, "raw_each", rc);
	sqlite3_finalize(st);
	return e;
}

/* see store.h: struct store_ops, raw_put */
static store_err sq_raw_put(store *base, size_t t, const struct store_value *v, size_t n, int merge)
{
	struct sq *s = (struct sq *)base;
	sqlite3_stmt *st = NULL;
	char sql[768], marks[4 * STORE_RAW_COLS_MAX] = "";
	store_err e = STORE_OK;
	int rc = SQLITE_OK;

	if (t >= store_raw_n || n != strlen(store_raw_tables[t].kinds) || (n && !v))
		return sq_fail_ours(s, "raw_put", "invalid argument", STORE_INVALID);
	for (size_t i = 0; i < n; i++)
		strcat(marks, i ? ", ?" : "?");
	snprintf(sql, sizeof sql, "INSERT INTO %s (%s) VALUES (%s)%s", store_raw_tables[t].name,
	         store_raw_tables[t].cols, marks, merge ? " ON CONFLICT DO NOTHING" : "");
	if ((rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL)) != SQLITE_OK)
		return sq_fail(s, "raw_put", rc);
	for (size_t i = 0; i < n && rc == SQLITE_OK; i++) {
		int c = (int)i + 1;

		rc = v[i].kind == 'i' ? sqlite3_bind_int64(st, c, v[i].i)
		     : v[i].kind == 't'
		         ? sqlite3_bind_text(st, c, v[i].p ? v[i].p : "", (int)v[i].len, SQLITE_STATIC)
		     : v[i].kind == 'b'
		         ? (v[i].len ? sqlite3_bind_blob(st, c, v[i].p, (int)v[i].len, SQLITE_STATIC)
		                     : sqlite3_bind_zeroblob(st, c, 0))
		         : sqlite3_bind_null(st, c);
	}
	if (rc != SQLITE_OK || (rc = sqlite3_step(st)) != SQLITE_DONE)
		e = sq_fail(s, "raw_put", rc);
	sqlite3_finalize(st);
	return e;
}

/* ---- open, migrate, close ---- */

static const char *sq_errmsg(store *base)
{
	return ((struct sq *)base)->msg;
}

static void sq_close(store *base)
{
	struct sq *s = (struct sq *)base;

	if (!s)
		return;
	if (s->in_tx || s->writing) { /* closed inside a transaction: undo it, give the turn back */
		s->in_tx = 0;
		sq_rollback(s);
	}
	for (int i = 0; i < Q_COUNT; i++)
		sqlite3_finalize(s->q[i]);
	if (s->ready && !sqlite3_db_readonly(s->db, "main"))
		sqlite3_exec(s->db, "PRAGMA optimize", NULL, NULL, NULL);
	if (s->group) /* what was written outside sq_end (raw_put) is flushed too */
		(void)sq_wal_flush(s);
	sq_group_leave(s);
	sqlite3_close(s->db);
	free(s);
}

/* Format "path: reason" into err (which may be NULL or empty). */
static void sq_err(char *err, size_t errlen, const char *path, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!err || errlen == 0)
		return;
	n = snprintf(err, errlen, "%s: ", path);
	if (n < 0 || (size_t)n >= errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

/* A step of opening failed with rc: "path: what: SQLite's words", naming a
 * damaged or foreign file plainly, as that is what an operator must act on. */
static void sq_open_fail(char *err, size_t errlen, const char *path, const char *what, sqlite3 *db, int rc)
{
	if ((rc & 0xff) == SQLITE_NOTADB || (rc & 0xff) == SQLITE_CORRUPT)
		sq_err(err, errlen, path, "not a SQLite database, or a damaged one (%s: %s)", what,
		       sqlite3_errmsg(db));
	else
		sq_err(err, errlen, path, "%s: %s", what, sqlite3_errmsg(db));
}

/* Run one-row SQL of n integer columns into v[0..n). */
static int sq_ints(sqlite3 *db, const char *sql, int64_t *v, int n)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			for (int i = 0; i < n; i++)
				v[i] = sqlite3_column_int64(st, i);
			rc = SQLITE_OK;
		} else if (rc == SQLITE_DONE) {
			rc = SQLITE_ERROR; /* no row where one was due */
		}
	}
	if (rc == SQLITE_OK)
		rc = sqlite3_finalize(st);
	else
		sqlite3_finalize(st);
	return rc;
}

static int sq_int(sqlite3 *db, const char *sql, int64_t *v)
{
	return sq_ints(db, sql, v, 1);
}

/* Create path with mode 0600 if it does not exist, so SQLite never creates it
 * with its default 0644 (and the -wal and -shm files, which SQLite gives the
 * database file's mode, follow). The descriptor is ours alone: the file is new,
 * and every open in this process holds sq_create_lock around this step, so no
 * connection can have locks on it that our close() would drop. */
static int sq_create(const char *path, char *err, size_t errlen)
{
	struct stat sb;
	int fd, rc = -1;

	pthread_mutex_lock(&sq_create_lock);
	if (stat(path, &sb) == 0) {
		rc = 0;
		goto out;
	}
	if (errno != ENOENT) {
		sq_err(err, errlen, path, "%s", strerror(errno));
		goto out;
	}
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 && errno != EEXIST) {
		sq_err(err, errlen, path, "cannot create: %s%s", strerror(errno),
		       errno == ENOENT ? " (does its directory exist?)" : "");
		goto out;
	}
	if (fd >= 0)
		close(fd);
	rc = 0;
out:
	pthread_mutex_unlock(&sq_create_lock);
	return rc;
}

/* Make path (and its -wal and -shm, if present) mode 0600 at most; -1 if it is
 * looser and cannot be made so. */
static int sq_tighten(const char *path, char *err, size_t errlen)
{
	static const char *const suffix[] = {"", "-wal", "-shm"};
	char p[4096];
	struct stat sb;

	for (size_t i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
		if ((size_t)snprintf(p, sizeof p, "%s%s", path, suffix[i]) >= sizeof p) {
			sq_err(err, errlen, path, "path too long");
			return -1;
		}
		if (stat(p, &sb) != 0) {
			if (errno == ENOENT && i > 0)
				continue;
			sq_err(err, errlen, p, "%s", strerror(errno));
			return -1;
		}
		if (i == 0 && !S_ISREG(sb.st_mode)) {
			sq_err(err, errlen, path, "not a regular file");
			return -1;
		}
		if ((sb.st_mode & 077) && chmod(p, sb.st_mode & 0600) != 0) {
			sq_err(err, errlen, p,
			       "mode %03o lets others read the keys, and chmod 600 failed: %s",
			       (unsigned)(sb.st_mode & 0777), strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* Apply migrations[from..] one transaction each. BEGIN IMMEDIATE takes the write
 * lock first, so of several connections migrating at once each step runs once:
 * the others wait, then see the new version and skip it. */
static int sq_migrate(sqlite3 *db, const char *path, char *err, size_t errlen)
{
	char bump[64];
	int64_t v, nobjects;
	int rc;

	for (int i = 0; i < SQ_SCHEMA_VERSION; i++) {
		if ((rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL)) != SQLITE_OK)
			goto fail;
		if ((rc = sq_int(db, "PRAGMA user_version", &v)) != SQLITE_OK)
			goto fail;
		if (v > i) {
			if ((rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL)) != SQLITE_OK)
				goto fail;
			continue;
		}
		if (v == 0) {
			if ((rc = sq_int(db, "SELECT count(*) FROM sqlite_schema", &nobjects)) != SQLITE_OK)
				goto fail;
			if (nobjects) {
				sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
				sq_err(err, errlen, path,
				       "not an identity-backend database (it has tables, but no "
				       "schema version): refusing to touch it");
				return -1;
			}
		}
		snprintf(bump, sizeof bump, "PRAGMA user_version = %d", i + 1);
		if ((rc = sqlite3_exec(db, migrations[i], NULL, NULL, NULL)) != SQLITE_OK ||
		    (rc = sqlite3_exec(db, bump, NULL, NULL, NULL)) != SQLITE_OK ||
		    (rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL)) != SQLITE_OK)
			goto fail;
	}
	return 0;
fail:
	sq_open_fail(err, errlen, path, "schema migration failed", db, rc);
	if (!sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/* see store.h */
store *store_sqlite_open(const char *path, char *err, size_t errlen)
{
	struct sq *s = NULL;
	store *ret = NULL;
	int64_t app_id, version, id[3];
	char mode[16] = "";
	sqlite3_stmt *st = NULL;
	int rc, ro;

	if (err && errlen)
		err[0] = '\0';
	if (!path || !*path) {
		sq_err(err, errlen, "(store)", "empty database path");
		goto out;
	}
	if (sqlite3_libversion_number() < SQ_MIN_VERSION) {
		sq_err(err, errlen, path, "SQLite %s is too old (3.37 or later needed)",
		       sqlite3_libversion());
		goto out;
	}
	if (!sqlite3_threadsafe()) {
		sq_err(err, errlen, path, "SQLite was built without thread support");
		goto out;
	}
	if (!(s = calloc(1, sizeof *s))) {
		sq_err(err, errlen, path, "out of memory");
		goto out;
	}
	s->base.ops = &store_sqlite_ops;
	if (sq_create(path, err, errlen))
		goto out;
	/* READWRITE falls back to read-only when the file refuses writes. */
	rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		sq_err(err, errlen, path, "cannot open: %s",
		       s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
		goto out;
	}
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, STORE_SQLITE_BUSY_MS);
	/* No schema trickery through the file: it is data, not code. */
	sqlite3_db_config(s->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_db_config(s->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
	ro = sqlite3_db_readonly(s->db, "main") == 1;

	/* The first read: this is where a file of random bytes shows itself, and
	 * where someone else's database is told apart before anything (mode,
	 * journal mode, schema) is changed. One statement, so one snapshot: read
	 * apart, another connection's migration could commit in between and show a
	 * mix of before and after (it sets application_id, user_version and the
	 * tables in one transaction). */
	if ((rc =
	         sq_ints(s->db,
	                 "SELECT a.application_id, v.user_version, (SELECT count(*) FROM sqlite_schema) FROM "
	                 "pragma_application_id AS a, pragma_user_version AS v",
	                 id, 3)) != SQLITE_OK) {
		sq_open_fail(err, errlen, path, "cannot read", s->db, rc);
		goto out;
	}
	app_id = id[0];
	version = id[1];
	if (app_id != SQ_APP_ID && (app_id != 0 || version != 0)) {
		sq_err(err, errlen, path,
		       "not an identity-backend database (application_id %lld, version %lld)",
		       (long long)app_id, (long long)version);
		goto out;
	}
	if (version == 0 && id[2] != 0) {
		sq_err(err, errlen, path,
		       "not an identity-backend database (it has tables, but no schema version): refusing "
		       "to touch it");
		goto out;
	}
	/* Ours (or empty): before anything is written, so that the -wal and -shm
	 * files SQLite creates next copy a mode of 0600. */
	if (sq_tighten(path, err, errlen))
		goto out;
	if (version > SQ_SCHEMA_VERSION) {
		sq_err(err, errlen, path,
		       "schema version %lld is newer than this program's (%d): upgrade identity-backend, or "
		       "restore a backup made for this version",
		       (long long)version, SQ_SCHEMA_VERSION);
		goto out;
	}
	if (ro && version < SQ_SCHEMA_VERSION) {
		sq_err(err, errlen, path, "read-only, and at schema version %lld where %d is needed",
		       (long long)version, SQ_SCHEMA_VERSION);
		goto out;
	}
	if (!ro) {
		/* WAL: readers never wait for the writer. synchronous=FULL (until the
		 * migrations are done; then group commit, see sq_group_flush): a commit
		 * (a revocation, a used code) survives power loss; the token hot path
		 * (client_credentials) writes nothing, so this costs it nothing.
		 * Switching a fresh file to WAL needs an exclusive lock that SQLite
		 * does not wait for through the busy handler (the upgrade from a read
		 * lock could deadlock), so when several connections open one fresh
		 * file at once, the losers retry here for up to the busy timeout. */
		for (int waited = 0;; waited += SQ_WAL_RETRY_MS) {
			rc = sqlite3_prepare_v2(s->db, "PRAGMA journal_mode = WAL", -1, &st, NULL);
			if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
				if (sqlite3_column_text(st, 0))
					snprintf(mode, sizeof mode, "%s",
					         (const char *)sqlite3_column_text(st, 0));
				rc = SQLITE_OK;
			}
			sqlite3_finalize(st);
			st = NULL;
			if ((rc & 0xff) != SQLITE_BUSY || waited >= STORE_SQLITE_BUSY_MS)
				break;
			sqlite3_sleep(SQ_WAL_RETRY_MS);
		}
		if (rc != SQLITE_OK) {
			sq_open_fail(err, errlen, path, "cannot switch to WAL mode", s->db, rc);
			goto out;
		}
		if (strcmp(mode, "wal") != 0) {
			sq_err(err, errlen, path, "cannot switch to WAL mode (still \"%s\")", mode);
			goto out;
		}
		if ((rc = sqlite3_exec(s->db, "PRAGMA synchronous = FULL", NULL, NULL, NULL)) != SQLITE_OK) {
			sq_open_fail(err, errlen, path, "cannot set synchronous", s->db, rc);
			goto out;
		}
		sqlite3_wal_hook(s->db, sq_wal_hook, s); /* replaces the automatic checkpoint */
	}
	if ((rc = sqlite3_exec(s->db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL)) != SQLITE_OK) {
		sq_open_fail(err, errlen, path, "cannot enable foreign keys", s->db, rc);
		goto out;
	}
	/* Content deleted or overwritten (a sent mail's link, a used code) is zeroed in
	 * its page, not left in the file's free space; FAST: no extra I/O. */
	if ((rc = sqlite3_exec(s->db, "PRAGMA secure_delete = FAST", NULL, NULL, NULL)) != SQLITE_OK) {
		sq_open_fail(err, errlen, path, "cannot set secure_delete", s->db, rc);
		goto out;
	}
	if (!ro && sq_migrate(s->db, path, err, errlen))
		goto out;
	/* Migrated under synchronous=FULL; from here on, commits are flushed by
	 * group commit (see sq_group_flush) when the file has a group. */
	if (!ro && sq_group_join(s) == 0 &&
	    (rc = sqlite3_exec(s->db, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL)) != SQLITE_OK) {
		sq_open_fail(err, errlen, path, "cannot set synchronous", s->db, rc);
		goto out;
	}
	s->ready = 1;
	ret = &s->base;
out:
	if (!ret)
		sq_close(s ? &s->base : NULL);
	return ret;
}

static store *sq_open(const char *where, char *err, size_t errlen)
{
	return store_sqlite_open(where, err, errlen);
}

/* see store.h */
const struct store_ops store_sqlite_ops = {
    .name = "sqlite",
    .open = sq_open,
    .close = sq_close,
    .errmsg = sq_errmsg,
    .tx_begin = sq_tx_begin,
    .tx_end = sq_tx_end,
    .ping = sq_ping,
    .backup = sq_backup,
    .client_put = sq_client_put,
    .client_get = sq_client_get,
    .client_list = sq_client_list,
    .client_delete = sq_client_delete,
    .client_update = sq_client_update,
    .key_put = sq_key_put,
    .key_list = sq_key_list,
    .key_retire = sq_key_retire,
    .key_set_private = sq_key_set_private,
    .key_purge = sq_key_purge,
    .revoke_put = sq_revoke_put,
    .revoke_check = sq_revoke_check,
    .revoke_purge = sq_revoke_purge,
    .code_put = sq_code_put,
    .code_take = sq_code_take,
    .code_purge = sq_code_purge,
    .user_put = sq_user_put,
    .user_get = sq_user_get,
    .user_get_by_name = sq_user_get_by_name,
    .user_list = sq_user_list,
    .user_delete = sq_user_delete,
    .user_set_password = sq_user_set_password,
    .user_update = sq_user_update,
    .user_end_sessions = sq_user_end_sessions,
    .user_get_by_email = sq_user_get_by_email,
    .link_put = sq_link_put,
    .link_get = sq_link_get,
    .link_take = sq_link_take,
    .link_end = sq_link_end,
    .link_count = sq_link_count,
    .link_purge = sq_link_purge,
    .login_admit = sq_login_admit,
    .login_failed = sq_login_failed,
    .login_clear = sq_login_clear,
    .login_unlock = sq_login_unlock,
    .login_get = sq_login_get,
    .login_purge = sq_login_purge,
    .session_put = sq_session_put,
    .session_get = sq_session_get,
    .session_delete = sq_session_delete,
    .session_purge = sq_session_purge,
    .refresh_put = sq_refresh_put,
    .refresh_get = sq_refresh_get,
    .refresh_rotate = sq_refresh_rotate,
    .refresh_revoke_family = sq_refresh_revoke_family,
    .refresh_revoke_session = sq_refresh_revoke_session,
    .refresh_purge = sq_refresh_purge,
    .flow_put = sq_flow_put,
    .flow_get = sq_flow_get,
    .flow_set_user = sq_flow_set_user,
    .flow_take = sq_flow_take,
    .flow_purge = sq_flow_purge,
    .consent_put = sq_consent_put,
    .consent_get = sq_consent_get,
    .raw_each = sq_raw_each,
    .raw_put = sq_raw_put,
    .outbox_put = sq_outbox_put,
    .outbox_claim = sq_outbox_claim,
    .outbox_done = sq_outbox_done,
    .outbox_retry = sq_outbox_retry,
    .outbox_get = sq_outbox_get,
    .outbox_count = sq_outbox_count,
    .outbox_purge = sq_outbox_purge,
    .session_list = sq_session_list,
    .factor_put = sq_factor_put,
    .factor_list = sq_factor_list,
    .factor_by_cred = sq_factor_by_cred,
    .factor_use = sq_factor_use,
    .factor_swap = sq_factor_swap,
    .factor_delete = sq_factor_delete,
    .factor_clear = sq_factor_clear,
    .challenge_put = sq_challenge_put,
    .challenge_take = sq_challenge_take,
    .challenge_purge = sq_challenge_purge,
};
