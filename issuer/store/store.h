/*
 * store.h: the issuer's storage seam. Handlers and CLI subcommands see a `store *`
 * and call the store_* wrappers below, which go through one table of functions
 * (struct store_ops, in the manner of curl's struct Curl_ssl), which each backend
 * fills: SQLite (store_sqlite.c) and PostgreSQL (store_pg.c); store_open chooses
 * one by the database's name, and no handler knows which. Nothing here knows SQL, files or
 * threads; nothing here hashes or generates secrets: callers hand the store
 * hashes (passwords, client secrets, codes, sessions and refresh tokens are never
 * stored in the clear) and the store keeps and compares bytes.
 *
 * Threads: a `store` is one connection and is used by one thread only. Each
 * event-loop thread (and each worker) opens its own with ops->open(); opening
 * several at once, from several threads or processes, is safe (schema migrations
 * are serialised by the database itself).
 *
 * Errors: every operation returns a store_err. STORE_NOT_FOUND, STORE_CONFLICT
 * and STORE_REUSED are answers ("no such row", "already exists", "refresh token
 * replayed"); everything from STORE_INVALID up means the call got no answer, and
 * the caller must fail the request (503 for store_unavailable(), 500 otherwise)
 * rather than guess: a revocation check that failed is not "not revoked".
 * ops->errmsg() gives a one-line detail for logs (never contains secrets: hashes
 * are not echoed). A call that reads a row into a caller's struct leaves it
 * zeroed when it fails (NOT_FOUND included).
 *
 * Values: times are Unix seconds (int64_t); 0 in an optional time field means
 * "not set". Strings are NUL-terminated UTF-8 in fixed arrays whose sizes are the
 * limits below; a put whose field does not fit (or is not terminated) returns
 * STORE_INVALID, and a stored row that does not fit on the way out returns
 * STORE_CORRUPT rather than a truncated value. Multi-valued fields (redirect URIs,
 * audiences, subjects, grant types) are lists: items joined by '\n', no empty
 * item, no control characters, no leading or trailing '\n' ("" is the empty
 * list). None of these values can contain a newline (RFC 3986 URIs cannot; ids
 * and grant names are ours), so the encoding needs no escaping and is stored as
 * is, in one TEXT column. Scopes keep OAuth's own form: one space-separated
 * string (RFC 6749 §3.3).
 */
#ifndef ISSUER_STORE_H
#define ISSUER_STORE_H

#include <stddef.h>
#include <stdint.h>

/* Limits, in bytes without the NUL. Raising one only grows the structs below. */
#ifndef STORE_ID_MAX
#define STORE_ID_MAX 128 /* client id, key id (kid), user id, jti */
#endif
#ifndef STORE_LIST_MAX
#define STORE_LIST_MAX 4096 /* one list: redirect URIs, audiences, subjects */
#endif
#ifndef STORE_GRANTS_MAX
#define STORE_GRANTS_MAX 256 /* the grant-type list of a client */
#endif
#ifndef STORE_SCOPE_MAX
#define STORE_SCOPE_MAX 1024 /* a space-separated scope string */
#endif
#ifndef STORE_URI_MAX
#define STORE_URI_MAX 2048 /* one redirect URI, as bound to a code */
#endif
#ifndef STORE_NONCE_MAX
#define STORE_NONCE_MAX 512 /* an OIDC nonce */
#endif
#ifndef STORE_PKCE_MAX
#define STORE_PKCE_MAX 128 /* a PKCE code_challenge (RFC 7636 §4.1-4.2: 43..128 chars) */
#endif
#ifndef STORE_HASH_MAX
#define STORE_HASH_MAX 64 /* a stored hash: room for SHA-512 / HMAC-SHA-512 */
#endif
#ifndef STORE_SALT_MAX
#define STORE_SALT_MAX 32 /* a client secret's salt */
#endif
#ifndef STORE_ALG_MAX
#define STORE_ALG_MAX 15 /* a JWA name ("ES256", "EdDSA"), or a PKCE method ("S256") */
#endif
#ifndef STORE_KEY_DER_MAX
#define STORE_KEY_DER_MAX 8192 /* a private key's DER: RSA-8192 fits (~4.7 KB) */
#endif
#ifndef STORE_USERNAME_MAX
#define STORE_USERNAME_MAX 64 /* a login name */
#endif
#ifndef STORE_EMAIL_MAX
#define STORE_EMAIL_MAX 254 /* RFC 5321 §4.5.3.1.3: a path is 256 octets with its "<" and ">" */
#endif
#ifndef STORE_PASSWORD_HASH_MAX
#define STORE_PASSWORD_HASH_MAX 255 /* an argon2id PHC string (password.h: ~100 in practice) */
#endif
#ifndef STORE_NAME_MAX
#define STORE_NAME_MAX 128 /* a person's or a client's display name */
#endif
#ifndef STORE_GROUPS_MAX
#define STORE_GROUPS_MAX 1024 /* the group list of a user */
#endif
#ifndef STORE_STATE_MAX
#define STORE_STATE_MAX 512 /* an OAuth `state` carried through a login flow */
#endif
#ifndef STORE_AMR_MAX
#define STORE_AMR_MAX 63 /* how a person signed in: OIDC amr values, space-separated ("pwd otp mfa") */
#endif
#ifndef STORE_CRED_ID_MAX
#define STORE_CRED_ID_MAX 1023 /* a passkey's credential id (WebAuthn: at most 1023 bytes) */
#endif
#ifndef STORE_FACTOR_DATA_MAX
#define STORE_FACTOR_DATA_MAX 1536 /* a factor's stored part: sealed secret, code hashes, public key */
#endif

typedef enum store_err {
	STORE_OK = 0,
	/* Answers: the store worked. */
	STORE_NOT_FOUND = 1, /* no such row; for code_take also "used" or "expired";
	                        for a put, a row it refers to (client, user) is missing */
	STORE_CONFLICT = 2,  /* a row with that key already exists (or, key_retire: already retired) */
	STORE_REUSED = 3,    /* refresh_rotate: the token was already used; its family is now revoked */
	/* The call failed: a caller's bug or the process is out of memory. */
	STORE_INVALID = 10, /* bad argument: NULL, too long, malformed list, constraint */
	STORE_NOMEM = 11,
	/* The store is unavailable: answer 503, retry later; never a wrong answer. */
	STORE_BUSY = 20,     /* locked by another writer beyond the busy timeout */
	STORE_IO = 21,       /* I/O error, or any other failure of the engine */
	STORE_CORRUPT = 22,  /* the file is damaged, not ours, or holds values we cannot hold */
	STORE_READONLY = 23, /* the file, directory or file system refuses writes */
	STORE_FULL = 24,     /* the disk (or the database's size limit) is full */
} store_err;

/* A short English phrase for e ("not found", "database busy"). Never NULL. */
const char *store_strerror(store_err e);

/* 1 when e means the store could not answer now (HTTP 503), 0 otherwise. */
static inline int store_unavailable(store_err e)
{
	return e >= STORE_BUSY;
}

/* 1 when the '\n'-separated list contains item exactly (byte for byte), else 0. */
int store_list_has(const char *list, const char *item);

/* 1 when list is well-formed (see "Values" above) and at most max bytes, else 0. */
int store_list_valid(const char *list, size_t max);

/* A registered OAuth client (`identity-backend client add`). */
struct store_client {
	char id[STORE_ID_MAX + 1];
	/* A keyed hash of the secret (fast: secrets are high-entropy random) and its
	 * salt; len 0 for a public client, which has no secret and must use PKCE. */
	uint8_t secret_hash[STORE_HASH_MAX];
	size_t secret_hash_len;
	uint8_t secret_salt[STORE_SALT_MAX];
	size_t secret_salt_len;
	int is_public;                     /* 1: public client (secret_hash_len must be 0); 0: confidential */
	int needs_consent;                 /* 1: show the consent page; 0: first-party */
	int require_mfa;                   /* 1: its users sign in with two factors (--require-mfa) */
	char grants[STORE_GRANTS_MAX + 1]; /* list: "client_credentials\nauthorization_code" */
	char redirect_uris[STORE_LIST_MAX + 1];    /* list of exact redirect URIs */
	char audiences[STORE_LIST_MAX + 1];        /* list of audiences it may ask for */
	char scope[STORE_SCOPE_MAX + 1];           /* space-separated scopes it may ask for */
	char subjects[STORE_LIST_MAX + 1];         /* list of `sub`s for the legacy JSON /token */
	char post_logout_uris[STORE_LIST_MAX + 1]; /* list of exact post_logout_redirect_uris */
	char id_token_alg[STORE_ALG_MAX + 1];      /* JWA of its ID tokens; "" means RS256 */
	int64_t created_at;
	char name[STORE_NAME_MAX + 1];    /* shown on the login and consent pages; "": the id */
	char logo_uri[STORE_URI_MAX + 1]; /* an https: image shown with the name; "" when none */
	/* The secret before the last rotation, still accepted until prev_until
	 * (`client rotate-secret --grace`); len 0 or prev_until 0: none. */
	uint8_t prev_hash[STORE_HASH_MAX];
	size_t prev_hash_len;
	uint8_t prev_salt[STORE_SALT_MAX];
	size_t prev_salt_len;
	int64_t prev_until;
};

/* A signing key. Published in the JWKS from created_at until expires_at; signs
 * only from not_before (the publish-before-sign lead time) until retired_at. */
struct store_key {
	char kid[STORE_ID_MAX + 1]; /* RFC 7638 thumbprint */
	char alg[STORE_ALG_MAX + 1];
	uint8_t private_der[STORE_KEY_DER_MAX];
	size_t private_der_len;
	int64_t created_at;
	int64_t not_before;
	int64_t retired_at; /* 0: active */
	int64_t expires_at; /* 0: published without end; else gone from the JWKS at this time */
};

/* An authorization code, stored by its hash and bound to its flow (RFC 6749 §4.1,
 * RFC 7636, OIDC Core §3.1.2). Single use: see store_code_take. */
struct store_code {
	uint8_t code_hash[STORE_HASH_MAX];
	size_t code_hash_len;
	char client_id[STORE_ID_MAX + 1];
	char user_id[STORE_ID_MAX + 1];
	char redirect_uri[STORE_URI_MAX + 1];
	char scope[STORE_SCOPE_MAX + 1];
	char nonce[STORE_NONCE_MAX + 1]; /* "" when the request had none */
	char code_challenge[STORE_PKCE_MAX + 1];
	char code_challenge_method[STORE_ALG_MAX + 1]; /* "S256" */
	int64_t auth_time;
	int64_t expires_at;
	uint8_t session_hash[STORE_HASH_MAX]; /* the browser session it was issued in; length 0: none */
	size_t session_hash_len;
	char amr[STORE_AMR_MAX + 1]; /* the session's amr, for the ID token; "" none */
};

/* A person who signs in (`identity-backend user add`). */
struct store_user {
	char id[STORE_ID_MAX + 1];                       /* the `sub`: random, opaque, never the username */
	char username[STORE_USERNAME_MAX + 1];           /* unique without regard to ASCII case */
	char email[STORE_EMAIL_MAX + 1];                 /* "" when none */
	char password_hash[STORE_PASSWORD_HASH_MAX + 1]; /* argon2id PHC string (password.h) */
	char name[STORE_NAME_MAX + 1];                   /* full name (OIDC `name`); "" when none */
	char groups[STORE_GROUPS_MAX + 1];               /* list of group names (the `groups` claim) */
	int email_verified;                              /* 1: the address was confirmed (or vouched for) */
	int disabled;                                    /* 1: may not sign in; their tokens are refused */
	int verify_required; /* 1: registered, may sign in only once the address is verified */
	int64_t created_at;
};

/*
 * Sign-in attempts counted for one username (in any ASCII case), whether or not
 * a user has that name: an unknown name is counted, locked and answered like a
 * known one, so neither the answers nor the work done tell them apart.
 */
struct store_login {
	int attempts;         /* attempts admitted since `since` */
	int64_t since;        /* when the first of them came; 0: none on record */
	int64_t locked_until; /* no attempt is admitted before this time; 0: no lock */
};

/* A browser session (the SSO cookie), stored by the hash of the cookie's value. */
struct store_session {
	uint8_t id_hash[STORE_HASH_MAX];
	size_t id_hash_len;
	char user_id[STORE_ID_MAX + 1];
	int64_t auth_time;           /* when the person signed in (OIDC auth_time) */
	int64_t expires_at;          /* the session ends here */
	char amr[STORE_AMR_MAX + 1]; /* how they signed in ("pwd", "pwd otp mfa", "hwk"); "" unknown */
};

/* prompt flags of a login flow (OIDC Core §3.1.2.1). */
#define STORE_PROMPT_LOGIN   1 /* prompt=login: sign in again even with a session */
#define STORE_PROMPT_CONSENT 2 /* prompt=consent: ask again even when consent is on record */

/*
 * A login in progress: what a valid /authorize request asked for, kept
 * server-side (never in form fields) until /login, and the consent page when the
 * client needs one, finish it with a code. Stored by the hash of its random id
 * (carried in the login page's URL and form); csrf_hash is the hash of the form's
 * CSRF token, browser_hash the hash of the browser-binding cookie of the browser
 * that started it (a flow finishes only in that browser). user_id is "" until
 * the person has signed in (then auth_time and amr are set): the consent step.
 * mfa_pending is 1 while user_id has passed the first factor only and owes the
 * second: such a flow is not signed in (no consent, no code).
 */
struct store_flow {
	uint8_t id_hash[STORE_HASH_MAX];
	size_t id_hash_len;
	uint8_t csrf_hash[STORE_HASH_MAX];
	size_t csrf_hash_len;
	uint8_t browser_hash[STORE_HASH_MAX];
	size_t browser_hash_len;
	char client_id[STORE_ID_MAX + 1];
	char redirect_uri[STORE_URI_MAX + 1];
	char scope[STORE_SCOPE_MAX + 1];
	char state[STORE_STATE_MAX + 1]; /* "" when the request had none */
	char nonce[STORE_NONCE_MAX + 1]; /* "" when the request had none */
	char code_challenge[STORE_PKCE_MAX + 1];
	char code_challenge_method[STORE_ALG_MAX + 1]; /* "S256" */
	int prompt;                                    /* STORE_PROMPT_* flags */
	int64_t max_age;                               /* -1: none */
	char user_id[STORE_ID_MAX + 1];                /* "" until signed in */
	int64_t auth_time;                             /* 0 until signed in */
	char amr[STORE_AMR_MAX + 1];                   /* how, once signed in; "" before */
	int mfa_pending;                               /* 1: user_id owes the second factor */
	int64_t created_at;
	int64_t expires_at;
};

/*
 * A refresh token, stored by its hash. Every rotation of one grant shares a
 * family_id: when a used token comes back, someone holds a copy, and the whole
 * family is revoked (RFC 9700 §4.14.2, refresh token rotation).
 */
struct store_refresh {
	uint8_t hash[STORE_HASH_MAX];
	size_t hash_len;
	char family_id[STORE_ID_MAX + 1];
	char client_id[STORE_ID_MAX + 1];
	char user_id[STORE_ID_MAX + 1];
	char scope[STORE_SCOPE_MAX + 1]; /* as granted (RFC 6749 §6: kept across rotations) */
	int64_t auth_time;               /* of the original sign-in, for refreshed ID tokens */
	int64_t created_at;
	int64_t expires_at;
	uint8_t session_hash[STORE_HASH_MAX]; /* the browser session of its code (kept across
	                                       * rotations); length 0: none */
	size_t session_hash_len;
	char amr[STORE_AMR_MAX + 1]; /* of the original sign-in (kept across rotations); "" none */
};

/* Limits of a mail in the outbox, in bytes without the NUL. */
#ifndef STORE_MAIL_MAX
#define STORE_MAIL_MAX 32768 /* one whole message (RFC 5322 headers and MIME body, 7-bit) */
#endif
#ifndef STORE_MAIL_KIND_MAX
#define STORE_MAIL_KIND_MAX 32 /* its kind ("verify", "reset"): logs and counts */
#endif
#ifndef STORE_MAIL_ERROR_MAX
#define STORE_MAIL_ERROR_MAX 255 /* the last delivery failure, one line */
#endif

/* Where a mail of the outbox stands. */
enum store_mail_state {
	STORE_MAIL_QUEUED = 0, /* waiting for its next attempt (next_at) */
	STORE_MAIL_SENT = 1,   /* the SMTP server accepted it (done_at); its message is wiped */
	STORE_MAIL_FAILED = 2, /* given up (done_at); its message is wiped */
};

/*
 * A mail in the outbox, written by the mail module in the same transaction as
 * whatever it announces (a verification token, a reset link) and taken by the
 * sender. The message is the finished text handed to SMTP's DATA, and may carry
 * a secret link until it is sent: outbox_done and a given-up outbox_retry wipe it.
 */
struct store_mail {
	char id[STORE_ID_MAX + 1];          /* unique: the local part of its Message-ID */
	char kind[STORE_MAIL_KIND_MAX + 1]; /* "verify", "reset", ... */
	char sender[STORE_EMAIL_MAX + 1];   /* the envelope sender (SMTP MAIL FROM) */
	char rcpt[STORE_EMAIL_MAX + 1];     /* the envelope recipient (SMTP RCPT TO) */
	char message[STORE_MAIL_MAX + 1];   /* CRLF lines, 7-bit; "" once sent or failed */
	int state;                          /* enum store_mail_state */
	int attempts;                       /* claims so far; also the claim's fencing number */
	int64_t created_at;
	int64_t next_at;                           /* due from here (while QUEUED) */
	int64_t lease_until;                       /* claimed by a sender until here; 0: not claimed */
	int64_t done_at;                           /* when it was sent or given up; 0: not yet */
	char last_error[STORE_MAIL_ERROR_MAX + 1]; /* the last failed attempt's reason, or "" */
};

/*
 * A single-use link mailed to a person (address verification, password reset),
 * stored by the hash of its random token. user_id "" is a decoy: the row a reset
 * for an unknown address writes so that it costs what a real one costs; it never
 * opens anything.
 */
struct store_link {
	uint8_t hash[STORE_HASH_MAX];
	size_t hash_len;
	char kind[STORE_ALG_MAX + 1];    /* "verify" or "reset" */
	char user_id[STORE_ID_MAX + 1];  /* "" for a decoy */
	char email[STORE_EMAIL_MAX + 1]; /* the address it was sent to */
	int64_t created_at;
	int64_t expires_at;
};

/* How many mails of the outbox are in each state (outbox_count). */
struct store_outbox_counts {
	int64_t queued; /* waiting, due or not */
	int64_t due;    /* waiting and due at `now`, not claimed */
	int64_t sent;   /* sent, not yet purged */
	int64_t failed; /* given up, not yet purged */
};

/* A second factor's kind (struct store_factor). */
#define STORE_FACTOR_TOTP     "totp"     /* an authenticator app: data is the sealed secret */
#define STORE_FACTOR_RECOVERY "recovery" /* the recovery codes: data is their hashes */
#define STORE_FACTOR_PASSKEY  "passkey"  /* a WebAuthn credential: data is its COSE_Key */

/*
 * A sign-in factor of a user beyond the password. The store keeps bytes and
 * never reads data: the caller seals a TOTP secret before putting it (bound to
 * the factor's id) and hashes recovery codes. counter is what makes a use
 * single: a TOTP's last accepted time step, a passkey's signature counter.
 * A factor counts for sign-in once confirmed (a TOTP by its first code; the
 * others are put confirmed).
 */
struct store_factor {
	char id[STORE_ID_MAX + 1]; /* random; names it on the account page */
	char user_id[STORE_ID_MAX + 1];
	char kind[STORE_ALG_MAX + 1];       /* STORE_FACTOR_* */
	char name[STORE_NAME_MAX + 1];      /* the label shown to its owner; "" none */
	uint8_t cred_id[STORE_CRED_ID_MAX]; /* a passkey's credential id (unique); length 0 for the others */
	size_t cred_id_len;
	uint8_t data[STORE_FACTOR_DATA_MAX];
	size_t data_len;
	int64_t counter; /* TOTP: last step used; passkey: signature counter; else 0 */
	int confirmed;   /* 1: counts for sign-in */
	int64_t created_at;
	int64_t last_used_at; /* 0: never */
};

/*
 * List callbacks get one row at a time, valid only during the call (key rows are
 * wiped afterwards: copy what you keep). Return 0 to go on, non-zero to stop (the
 * list then returns STORE_OK). A callback must not call the same list operation
 * on the same store.
 */
typedef int (*store_client_cb)(void *ctx, const struct store_client *c);
typedef int (*store_key_cb)(void *ctx, const struct store_key *k);
typedef int (*store_user_cb)(void *ctx, const struct store_user *u);
typedef int (*store_factor_cb)(void *ctx, const struct store_factor *f);
typedef int (*store_session_cb)(void *ctx, const struct store_session *se);

typedef struct store store;

/*
 * Whole rows, every column, for moving an installation between backends (`store
 * copy`): the tables in an order that satisfies their foreign keys, each with its
 * columns and their kinds ('t' text, 'b' bytes, 'i' integer), the same on every
 * backend. A value is NULL when kind is 0.
 */
struct store_raw_table {
	const char *name;
	const char *cols;  /* "id, secret_hash, ..." */
	const char *kinds; /* one letter per column */
};
extern const struct store_raw_table store_raw_tables[];
extern const size_t store_raw_n;
#define STORE_RAW_COLS_MAX 24
struct store_value {
	char kind; /* 't', 'b', 'i', or 0 for NULL */
	int64_t i;
	const void *p; /* text (not NUL-terminated) or bytes */
	size_t len;
};
typedef int (*store_raw_cb)(void *ctx, const struct store_value *v, size_t n);

/* The seam. Every backend fills every member; `s` is always one of its own. */
struct store_ops {
	const char *name; /* "sqlite", "postgres" */

	/* Open (creating and migrating as needed) the store named by `where` (for
	 * SQLite: a file path; for PostgreSQL: its URL). NULL on failure, with a
	 * one-line reason in err. */
	store *(*open)(const char *where, char *err, size_t errlen);
	/* Release the connection. s may be NULL. */
	void (*close)(store *s);
	/* Detail of the last failure on s, for logs; "" when none. */
	const char *(*errmsg)(store *s);

	/*
	 * Transactions, for a handler whose several writes must take effect
	 * together: tx_begin starts one (SQLite: taking the file's write lock, so
	 * other writers, in this process or another, wait: BUSY as any write when
	 * they do not yield in time; PostgreSQL: the rows it writes are locked until
	 * tx_end); the calls on s that follow, up to tx_end, take effect
	 * all or none; tx_end(s, 1) commits them (OK only once they are durable;
	 * on any error none took effect), tx_end(s, 0) undoes them (and answers OK).
	 * Inside: only single-statement calls (get, put, take, delete, revoke), not
	 * refresh_rotate (a transaction of its own) and no nested tx_begin (both
	 * INVALID); nothing slow between them (no I/O but this store's, no
	 * waiting): other writers may wait for tx_end. A failed call inside leaves
	 * the transaction open for the caller to end (on PostgreSQL nothing more in
	 * it succeeds: end it with tx_end(s, 0)). tx_end without tx_begin:
	 * INVALID. One commit instead of several is also one disk flush instead of
	 * several.
	 */
	store_err (*tx_begin)(store *s);
	store_err (*tx_end)(store *s, int commit);

	/* Answer a trivial read of the schema's tables, for readiness checks: OK when
	 * the store can serve queries now, else the failure (BUSY, IO, ...). */
	store_err (*ping)(store *s);

	/*
	 * A consistent copy of the whole store, taken while others keep reading and
	 * writing, into the new file `to` (mode 0600; a backend without files may
	 * refuse with INVALID). The copy is written under a temporary name in the
	 * same folder and renamed over `to` only when complete and flushed, so an
	 * interrupted backup never leaves a partial file under that name; CONFLICT
	 * when `to` exists and !replace. Restoring is opening the copy as a store.
	 */
	store_err (*backup)(store *s, const char *to, int replace);

	/*
	 * Raw rows (see store_raw_tables). raw_each hands every row of table t to cb
	 * (valid only during the call; non-zero stops) in insertion order where the
	 * order matters (signing keys). raw_put inserts one row; with merge, a row
	 * whose key or unique value exists is skipped (OK). Both are for `store copy`:
	 * nothing is checked beyond the database's own constraints.
	 */
	store_err (*raw_each)(store *s, size_t t, store_raw_cb cb, void *ctx);
	store_err (*raw_put)(store *s, size_t t, const struct store_value *v, size_t n, int merge);

	/* Clients. put inserts (CONFLICT if the id exists); update replaces the
	 * client with c's id by c (NOT_FOUND when none);
	 * list goes in id order; delete also removes the client's codes and
	 * refresh tokens. */
	store_err (*client_put)(store *s, const struct store_client *c);
	store_err (*client_get)(store *s, const char *id, struct store_client *out);
	store_err (*client_list)(store *s, store_client_cb cb, void *ctx);
	store_err (*client_delete)(store *s, const char *id);
	store_err (*client_update)(store *s, const struct store_client *c);

	/* Signing keys. list gives every key not expired at `now` (expires_at 0 or
	 * > now), retired or not, newest first (created_at, then insertion): the signer
	 * takes the first of its alg with not_before <= now and retired_at 0, the
	 * JWKS publishes all. retire: NOT_FOUND if no such kid, CONFLICT if already
	 * retired; expires_at must be >= retired_at. purge deletes keys expired at
	 * `now`, private bytes and all. */
	store_err (*key_put)(store *s, const struct store_key *k);
	store_err (*key_list)(store *s, int64_t now, store_key_cb cb, void *ctx);
	store_err (*key_retire)(store *s, const char *kid, int64_t retired_at, int64_t expires_at);
	/* Replace the private bytes of key kid (a re-seal: same key, new sealing):
	 * NOT_FOUND if no such kid, INVALID if der is empty or too long. */
	store_err (*key_set_private)(store *s, const char *kid, const uint8_t *der, size_t len);
	store_err (*key_purge)(store *s, int64_t now);

	/* Revoked token ids (RFC 7009), kept until the token's own expiry. put is
	 * idempotent (a later expiry wins). check sets *revoked to 1 when jti is
	 * revoked and its token not yet expired at `now`, else 0; on any error
	 * *revoked is 1, so a careless caller fails closed. */
	store_err (*revoke_put)(store *s, const char *jti, int64_t expires_at);
	store_err (*revoke_check)(store *s, const char *jti, int64_t now, int *revoked);
	store_err (*revoke_purge)(store *s, int64_t now);

	/* Authorization codes. put: CONFLICT if the hash exists, NOT_FOUND if the
	 * client or user does not. take: atomically marks the code used and returns
	 * it, only if it exists, is unused and expires_at > now; of any number of
	 * concurrent takers (threads, processes, replicas) exactly one gets
	 * STORE_OK, every other NOT_FOUND. purge deletes codes expired at `now`
	 * and used ones. */
	store_err (*code_put)(store *s, const struct store_code *c);
	store_err (*code_take)(store *s, const uint8_t *hash, size_t hash_len, int64_t now,
	                       struct store_code *out);
	store_err (*code_purge)(store *s, int64_t now);

	/* Users. put inserts (CONFLICT if the id exists, or the username does in any
	 * ASCII case: "Alice" and "alice" are one user). get finds by id,
	 * get_by_name by username in any ASCII case; list goes in username order;
	 * delete takes the username and removes the user's sessions, codes and
	 * refresh tokens with it. set_password replaces the stored hash (a rehash
	 * after login, or a reset; sessions stay: end them apart); NOT_FOUND for an
	 * unknown id. update replaces the profile of the user with u's id: email,
	 * name, email_verified, disabled and groups (not the username, the hash or
	 * created_at); NOT_FOUND for an unknown id. end_sessions ends everything a
	 * sign-in of the user left behind: their browser sessions, unused codes and
	 * login flows are deleted, their refresh tokens revoked (OK when there
	 * were none; NOT_FOUND for an unknown id). */
	store_err (*user_put)(store *s, const struct store_user *u);
	store_err (*user_get)(store *s, const char *id, struct store_user *out);
	store_err (*user_get_by_name)(store *s, const char *username, struct store_user *out);
	store_err (*user_list)(store *s, store_user_cb cb, void *ctx);
	store_err (*user_delete)(store *s, const char *username);
	store_err (*user_set_password)(store *s, const char *id, const char *password_hash);
	store_err (*user_update)(store *s, const struct store_user *u);
	store_err (*user_end_sessions)(store *s, const char *id);

	/* Sign-in attempts by username (struct store_login; the name is matched in
	 * any ASCII case). login_admit counts an attempt when it is submitted, before
	 * its password is checked, so attempts that arrive at once are counted at
	 * once: with threshold > 0, at most threshold attempts are admitted per
	 * period seconds. *admitted is 1 when this one may be checked; else 0, and
	 * *locked_until gets the end of the lock that refused it. The first attempt
	 * refused starts a lock of period seconds (*locked_started = 1), and so does
	 * login_failed, a failed check, once threshold attempts are on record
	 * (*locked_until gets its end, else 0): each lock starts once. A count older
	 * than period, or from before a lock that has ended, starts again at this
	 * attempt: one typo after a lock does not lock again. threshold 0 admits
	 * everything and writes nothing.
	 * login_clear forgets the count after a correct password: OK, or CONFLICT
	 * (nothing changes) when a lock is in force at now, which a success never
	 * ends (the sign-in is then refused like a wrong password).
	 * login_unlock forgets count and lock whatever they are (an administrator).
	 * login_get: NOT_FOUND when nothing is on record for the name. login_purge
	 * deletes records with no lock in force and a count older than period. */
	store_err (*login_admit)(store *s, const char *username, int64_t now, int threshold, int64_t period,
	                         int *admitted, int64_t *locked_until, int *locked_started);
	store_err (*login_failed)(store *s, const char *username, int64_t now, int threshold, int64_t period,
	                          int64_t *locked_until);
	store_err (*login_clear)(store *s, const char *username, int64_t now);
	store_err (*login_unlock)(store *s, const char *username);
	store_err (*login_get)(store *s, const char *username, struct store_login *out);
	store_err (*login_purge)(store *s, int64_t now, int64_t period);

	/* Sessions. put: CONFLICT if the hash exists, NOT_FOUND if the user does not.
	 * get: NOT_FOUND unless it exists and expires_at > now. delete: NOT_FOUND if
	 * there was none (a logout may ignore that). purge deletes sessions expired
	 * at `now`. */
	store_err (*session_put)(store *s, const struct store_session *se);
	store_err (*session_get)(store *s, const uint8_t *hash, size_t hash_len, int64_t now,
	                         struct store_session *out);
	store_err (*session_delete)(store *s, const uint8_t *hash, size_t hash_len);
	store_err (*session_purge)(store *s, int64_t now);
	/* The unexpired sessions of user_id at now, newest auth_time first. */
	store_err (*session_list)(store *s, const char *user_id, int64_t now, store_session_cb cb, void *ctx);

	/*
	 * Refresh tokens. put: CONFLICT if the hash exists, NOT_FOUND if the client
	 * or user does not; a new grant takes a new random family_id. get: the token
	 * if it is active at `now` (unused, unexpired, family not revoked), else
	 * NOT_FOUND (for introspection and revocation).
	 *
	 * rotate exchanges the token old_hash for next, atomically, and returns the
	 * old token's row in *old_out. The caller fills in next's hash, client_id (the
	 * authenticated client: the old token must have been issued to it), created_at
	 * and expires_at (0: keep the old token's expiry, for an absolute lifetime);
	 * family_id, user_id, scope, auth_time, session_hash and amr are taken from
	 * the old token (what the caller put there is ignored). Answers:
	 *   OK        the old token was active; it is now used and next is stored
	 *             in its family;
	 *   REUSED    the old token had been used already: the whole family is now
	 *             revoked (next is not stored; *old_out says whose it was);
	 *   NOT_FOUND no such token, another client's, expired, or its family
	 *             revoked (nothing changes);
	 *   CONFLICT  next's hash exists (nothing changes).
	 * Of any number of concurrent rotations of one token (threads, processes,
	 * replicas) exactly one gets OK; the others, arriving after it, get REUSED,
	 * which revokes the family: a client must not refresh twice at once. On any
	 * answer but OK and REUSED, *old_out is zeroed.
	 *
	 * grace (seconds, 0: off) forgives a retry whose first answer was lost: a
	 * used token presented again less than grace seconds after it was rotated,
	 * whose successor has not been used, is rotated again (OK): its successor
	 * is marked used (superseded) and next takes its place. Reuse after the
	 * grace, or once the successor was used, is REUSED as above. With grace,
	 * concurrent rotations of one token within it all get OK, the last stored
	 * successor being the only one left active.
	 *
	 * revoke_family makes every token of the family unusable (NOT_FOUND if it
	 * has none); revoke_session those of every family issued in the browser
	 * session with that id hash (RP-initiated logout; OK when there were none). purge deletes tokens
	 * expired at `now` and revoked ones; used tokens stay until they expire, so that their reuse is still
	 * recognised.
	 */
	store_err (*refresh_put)(store *s, const struct store_refresh *r);
	store_err (*refresh_get)(store *s, const uint8_t *hash, size_t hash_len, int64_t now,
	                         struct store_refresh *out);
	store_err (*refresh_rotate)(store *s, const uint8_t *old_hash, size_t old_hash_len,
	                            const struct store_refresh *next, int64_t now, int64_t grace,
	                            struct store_refresh *old_out);
	store_err (*refresh_revoke_family)(store *s, const char *family_id);
	store_err (*refresh_revoke_session)(store *s, const uint8_t *session_hash, size_t session_hash_len);
	store_err (*refresh_purge)(store *s, int64_t now);

	/*
	 * Login flows. put: CONFLICT if the hash exists, NOT_FOUND if the client
	 * does not. get: NOT_FOUND unless it exists and expires_at > now.
	 * set_user records who signed in (user_id, auth_time, amr, mfa_pending) on
	 * an unexpired flow (NOT_FOUND otherwise, or if the user does not exist),
	 * replacing what was recorded (a second factor after the first). take atomically
	 * deletes the flow and returns it, only if it exists and expires_at > now: of
	 * concurrent takers exactly one gets OK, the others NOT_FOUND (a flow ends
	 * in one code). purge deletes flows expired at `now`. Removing the client or
	 * the user removes its flows.
	 */
	store_err (*flow_put)(store *s, const struct store_flow *f);
	store_err (*flow_get)(store *s, const uint8_t *hash, size_t hash_len, int64_t now,
	                      struct store_flow *out);
	store_err (*flow_set_user)(store *s, const uint8_t *hash, size_t hash_len, int64_t now,
	                           const char *user_id, int64_t auth_time, const char *amr, int mfa_pending);
	store_err (*flow_take)(store *s, const uint8_t *hash, size_t hash_len, int64_t now,
	                       struct store_flow *out);
	store_err (*flow_purge)(store *s, int64_t now);

	/*
	 * Consents a person gave a --consent client. put records scope (space-
	 * separated) as granted by user_id to client_id, replacing what was there
	 * (NOT_FOUND if the user or client does not exist). get copies the granted
	 * scope into scope_out[STORE_SCOPE_MAX + 1]: NOT_FOUND when none is on
	 * record. Removing the client or the user removes its consents.
	 */
	store_err (*consent_put)(store *s, const char *user_id, const char *client_id, const char *scope,
	                         int64_t now);
	store_err (*consent_get)(store *s, const char *user_id, const char *client_id, char *scope_out);

	/*
	 * The mail outbox (struct store_mail). put inserts a QUEUED mail
	 * (attempts 0, lease_until 0, done_at 0; CONFLICT if the id exists); it is one
	 * statement, so it may run inside tx_begin..tx_end with the row it announces.
	 * claim takes the QUEUED mail due at `now` (next_at <= now) and not claimed
	 * (lease_until <= now) that has waited longest, in one atomic step: its
	 * attempts grow by one and it is leased until now + lease; *out gets it as
	 * it is then. NOT_FOUND when none is due. Of concurrent claimers (threads,
	 * processes, replicas) each gets a different mail or NOT_FOUND: one mail is
	 * never claimed twice while its lease lasts. done marks the mail SENT at now
	 * and wipes its message; retry puts it back as QUEUED, due at next_at, with
	 * error as last_error, or with next_at 0 gives it up (FAILED at now, message
	 * wiped). Both apply only to the claim numbered attempt (the mail's attempts
	 * then) that is still QUEUED: a sender whose lease ran out and was claimed
	 * again gets NOT_FOUND and changes nothing. get reads one mail by id
	 * (NOT_FOUND: none). count fills *out for `now`. purge deletes SENT and FAILED
	 * mails whose done_at <= before.
	 */
	store_err (*outbox_put)(store *s, const struct store_mail *m);
	store_err (*outbox_claim)(store *s, int64_t now, int64_t lease, struct store_mail *out);
	store_err (*outbox_done)(store *s, const char *id, int attempt, int64_t now);
	store_err (*outbox_retry)(store *s, const char *id, int attempt, int64_t now, int64_t next_at,
	                          const char *error);
	store_err (*outbox_get)(store *s, const char *id, struct store_mail *out);
	store_err (*outbox_count)(store *s, int64_t now, struct store_outbox_counts *out);
	store_err (*outbox_purge)(store *s, int64_t before);

	/*
	 * Single-use links (struct store_link). put stores one (NOT_FOUND: its user
	 * is gone; CONFLICT: the hash exists). get reads the link of hash and kind
	 * that is unused, unexpired at now and not a decoy; take does the same and
	 * marks it used in one atomic step: of concurrent takers exactly one gets
	 * OK, the others NOT_FOUND. end marks every link of kind of the user used (a
	 * password reset spends the other reset links). count gives the links of kind
	 * made for the user since `since` (a per-account limit). purge deletes used
	 * and expired links. Removing a user removes their links.
	 */
	store_err (*link_put)(store *s, const struct store_link *l);
	store_err (*link_get)(store *s, const uint8_t *hash, size_t hash_len, const char *kind, int64_t now,
	                      struct store_link *out);
	store_err (*link_take)(store *s, const uint8_t *hash, size_t hash_len, const char *kind, int64_t now,
	                       struct store_link *out);
	store_err (*link_end)(store *s, const char *user_id, const char *kind);
	store_err (*link_count)(store *s, const char *user_id, const char *kind, int64_t since, int *n);
	store_err (*link_purge)(store *s, int64_t now);
	/* The user whose address is email, compared without regard to ASCII case (the
	 * first by username when several share it); NOT_FOUND when none. */
	store_err (*user_get_by_email)(store *s, const char *email, struct store_user *out);

	/*
	 * Second factors (struct store_factor). put stores one: CONFLICT when the id,
	 * or a passkey's credential id, exists; NOT_FOUND when the user does not;
	 * INVALID for an unknown kind. list gives the user's factors, oldest first
	 * (created_at, then id). by_cred reads the passkey with that credential id
	 * (NOT_FOUND: none). use records a use, atomically: when the stored counter
	 * is below counter, or both are 0 (an authenticator without a counter), it
	 * stores counter, last_used_at = now and confirmed = 1 (OK); else nothing
	 * changes (CONFLICT: a replayed TOTP step, a cloned authenticator). Of
	 * concurrent uses with one counter > 0 exactly one gets OK; uses with
	 * counter 0 on a factor whose counter is 0 all get OK (nothing to compare:
	 * the single-use WebAuthn challenge is what stops their replay); counter < 0:
	 * INVALID. swap replaces data, atomically, only while it still equals
	 * old[0..old_len) (OK, last_used_at = now), else CONFLICT: spending one
	 * recovery code of a set; either length may be 0 (no bytes). use and swap
	 * answer NOT_FOUND when the user has no factor id. delete removes the user's
	 * factor id (NOT_FOUND: none of theirs). clear removes the user's factors of
	 * kind (NULL: all; an unknown kind: INVALID), *n (when not NULL) gets how
	 * many (0 and OK for a user without any, or an unknown user). Removing a
	 * user removes their factors. All but list and by_cred take user_id and
	 * touch only that user's factors. A passkey has a credential id, the other
	 * kinds none (put: INVALID otherwise).
	 */
	store_err (*factor_put)(store *s, const struct store_factor *f);
	store_err (*factor_list)(store *s, const char *user_id, store_factor_cb cb, void *ctx);
	store_err (*factor_by_cred)(store *s, const uint8_t *cred_id, size_t cred_id_len,
	                            struct store_factor *out);
	store_err (*factor_use)(store *s, const char *id, const char *user_id, int64_t counter, int64_t now);
	store_err (*factor_swap)(store *s, const char *id, const char *user_id, const uint8_t *old,
	                         size_t old_len, const uint8_t *data, size_t data_len, int64_t now);
	store_err (*factor_delete)(store *s, const char *id, const char *user_id);
	store_err (*factor_clear)(store *s, const char *user_id, const char *kind, int *n);

	/*
	 * Single-use WebAuthn challenges, stored by hash (the caller hashes the
	 * challenge with what it is bound to: a login flow, a session). put: CONFLICT
	 * when the hash exists; user_id may be "" (a passkey sign-in: nobody yet) and
	 * need not name an existing user (the taker checks).
	 * take deletes it and copies its user_id into user_id[STORE_ID_MAX + 1],
	 * atomically, only when it exists and expires_at > now: of concurrent takers
	 * exactly one gets OK, the others NOT_FOUND. purge deletes expired ones.
	 */
	store_err (*challenge_put)(store *s, const uint8_t *hash, size_t hash_len, const char *user_id,
	                           int64_t expires_at);
	store_err (*challenge_take)(store *s, const uint8_t *hash, size_t hash_len, int64_t now,
	                            char *user_id);
	store_err (*challenge_purge)(store *s, int64_t now);
};

/* Every store begins with this header; backends embed it first. */
struct store {
	const struct store_ops *ops;
};

/*
 * Open the store named by where with the backend it names: "sqlite:PATH" or a
 * plain file path is a SQLite file (store_sqlite_open below); "postgres://..."
 * and "postgresql://..." are a PostgreSQL database (store_pg_open). NULL on
 * failure, with a one-line reason in err that never contains a password.
 * Handlers and commands call this, never a backend's own open.
 */
store *store_open(const char *where, char *err, size_t errlen);

/* 1 when where names a PostgreSQL database (postgres:// or postgresql://), else 0. */
int store_is_postgres(const char *where);

/*
 * where with any password replaced by "***" (the userinfo's "user:password@"
 * and a "password=" query parameter), into out[n], for logs and messages;
 * where itself when it holds none. Returns out.
 */
const char *store_redact(const char *where, char *out, size_t n);

/* The SQLite backend (store_sqlite.c). `where` is a file path; its directory must
 * exist. The file is created with mode 0600 (a looser mode on an existing file
 * is tightened to 0600, or the open fails), put in WAL mode with foreign keys
 * enforced, and migrated forward to this program's schema; a database written by
 * a newer program, a file that is not a database, and someone else's database
 * are refused. A read-only file opens read-only (writes then return
 * STORE_READONLY) if its schema is current. */
extern const struct store_ops store_sqlite_ops;
store *store_sqlite_open(const char *path, char *err, size_t errlen);

/*
 * The PostgreSQL backend (store_pg.c). `where` is a libpq connection URI
 * (postgres://user:password@host1:port,host2/dbname?target_session_attrs=read-write)
 * or key=value string. Creates the schema in an empty database and migrates an
 * older one (replicas starting together migrate once); a database that holds
 * other tables, or a newer schema, is refused untouched. Every round trip waits
 * at most the timeout below; a connection that broke is opened again by the
 * next call. backup is INVALID (use pg_dump).
 */
extern const struct store_ops store_pg_ops;
store *store_pg_open(const char *url, char *err, size_t errlen);

/* The longest wait for one answer (or one connection) from a networked database,
 * in ms, unless DB_TIMEOUT_MS says otherwise. */
#ifndef STORE_PG_TIMEOUT_MS
#define STORE_PG_TIMEOUT_MS 5000
#endif

/* The longest wait, in ms, for one answer or connection from a networked
 * database, for every store opened or used after the call (DB_TIMEOUT_MS);
 * ms <= 0 restores the default (STORE_PG_TIMEOUT_MS). Call before starting threads. */
void store_pg_set_timeout(int ms);

/* The calls handlers make: each is s->ops->name(s, ...); see struct store_ops. */
static inline void store_close(store *s)
{
	if (s)
		s->ops->close(s);
}
static inline const char *store_errmsg(store *s)
{
	return s->ops->errmsg(s);
}
static inline store_err store_tx_begin(store *s)
{
	return s->ops->tx_begin(s);
}
static inline store_err store_tx_end(store *s, int commit)
{
	return s->ops->tx_end(s, commit);
}
static inline store_err store_ping(store *s)
{
	return s->ops->ping(s);
}
static inline store_err store_backup(store *s, const char *to, int replace)
{
	return s->ops->backup(s, to, replace);
}
static inline store_err store_raw_each(store *s, size_t t, store_raw_cb cb, void *ctx)
{
	return s->ops->raw_each(s, t, cb, ctx);
}
static inline store_err store_raw_put(store *s, size_t t, const struct store_value *v, size_t n, int merge)
{
	return s->ops->raw_put(s, t, v, n, merge);
}
static inline store_err store_client_put(store *s, const struct store_client *c)
{
	return s->ops->client_put(s, c);
}
static inline store_err store_client_get(store *s, const char *id, struct store_client *out)
{
	return s->ops->client_get(s, id, out);
}
static inline store_err store_client_list(store *s, store_client_cb cb, void *ctx)
{
	return s->ops->client_list(s, cb, ctx);
}
static inline store_err store_client_delete(store *s, const char *id)
{
	return s->ops->client_delete(s, id);
}
static inline store_err store_client_update(store *s, const struct store_client *c)
{
	return s->ops->client_update(s, c);
}
static inline store_err store_key_put(store *s, const struct store_key *k)
{
	return s->ops->key_put(s, k);
}
static inline store_err store_key_list(store *s, int64_t now, store_key_cb cb, void *ctx)
{
	return s->ops->key_list(s, now, cb, ctx);
}
static inline store_err store_key_retire(store *s, const char *kid, int64_t retired_at, int64_t expires_at)
{
	return s->ops->key_retire(s, kid, retired_at, expires_at);
}
static inline store_err store_key_set_private(store *s, const char *kid, const uint8_t *der, size_t len)
{
	return s->ops->key_set_private(s, kid, der, len);
}
static inline store_err store_key_purge(store *s, int64_t now)
{
	return s->ops->key_purge(s, now);
}
static inline store_err store_revoke_put(store *s, const char *jti, int64_t expires_at)
{
	return s->ops->revoke_put(s, jti, expires_at);
}
static inline store_err store_revoke_check(store *s, const char *jti, int64_t now, int *revoked)
{
	return s->ops->revoke_check(s, jti, now, revoked);
}
static inline store_err store_revoke_purge(store *s, int64_t now)
{
	return s->ops->revoke_purge(s, now);
}
static inline store_err store_code_put(store *s, const struct store_code *c)
{
	return s->ops->code_put(s, c);
}
static inline store_err store_code_take(store *s, const uint8_t *hash, size_t hash_len, int64_t now,
                                        struct store_code *out)
{
	return s->ops->code_take(s, hash, hash_len, now, out);
}
static inline store_err store_code_purge(store *s, int64_t now)
{
	return s->ops->code_purge(s, now);
}
static inline store_err store_user_put(store *s, const struct store_user *u)
{
	return s->ops->user_put(s, u);
}
static inline store_err store_user_get(store *s, const char *id, struct store_user *out)
{
	return s->ops->user_get(s, id, out);
}
static inline store_err store_user_get_by_name(store *s, const char *username, struct store_user *out)
{
	return s->ops->user_get_by_name(s, username, out);
}
static inline store_err store_user_list(store *s, store_user_cb cb, void *ctx)
{
	return s->ops->user_list(s, cb, ctx);
}
static inline store_err store_user_delete(store *s, const char *username)
{
	return s->ops->user_delete(s, username);
}
static inline store_err store_user_set_password(store *s, const char *id, const char *password_hash)
{
	return s->ops->user_set_password(s, id, password_hash);
}
static inline store_err store_user_update(store *s, const struct store_user *u)
{
	return s->ops->user_update(s, u);
}
static inline store_err store_user_end_sessions(store *s, const char *id)
{
	return s->ops->user_end_sessions(s, id);
}
static inline store_err store_login_admit(store *s, const char *username, int64_t now, int threshold,
                                          int64_t period, int *admitted, int64_t *locked_until,
                                          int *locked_started)
{
	return s->ops->login_admit(s, username, now, threshold, period, admitted, locked_until,
	                           locked_started);
}
static inline store_err store_login_failed(store *s, const char *username, int64_t now, int threshold,
                                           int64_t period, int64_t *locked_until)
{
	return s->ops->login_failed(s, username, now, threshold, period, locked_until);
}
static inline store_err store_login_clear(store *s, const char *username, int64_t now)
{
	return s->ops->login_clear(s, username, now);
}
static inline store_err store_login_unlock(store *s, const char *username)
{
	return s->ops->login_unlock(s, username);
}
static inline store_err store_login_get(store *s, const char *username, struct store_login *out)
{
	return s->ops->login_get(s, username, out);
}
static inline store_err store_login_purge(store *s, int64_t now, int64_t period)
{
	return s->ops->login_purge(s, now, period);
}
static inline store_err store_session_put(store *s, const struct store_session *se)
{
	return s->ops->session_put(s, se);
}
static inline store_err store_session_get(store *s, const uint8_t *hash, size_t hash_len, int64_t now,
                                          struct store_session *out)
{
	return s->ops->session_get(s, hash, hash_len, now, out);
}
static inline store_err store_session_delete(store *s, const uint8_t *hash, size_t hash_len)
{
	return s->ops->session_delete(s, hash, hash_len);
}
static inline store_err store_session_purge(store *s, int64_t now)
{
	return s->ops->session_purge(s, now);
}
static inline store_err store_refresh_put(store *s, const struct store_refresh *r)
{
	return s->ops->refresh_put(s, r);
}
static inline store_err store_refresh_get(store *s, const uint8_t *hash, size_t hash_len, int64_t now,
                                          struct store_refresh *out)
{
	return s->ops->refresh_get(s, hash, hash_len, now, out);
}
static inline store_err store_refresh_rotate(store *s, const uint8_t *old_hash, size_t old_hash_len,
                                             const struct store_refresh *next, int64_t now, int64_t grace,
                                             struct store_refresh *old_out)
{
	return s->ops->refresh_rotate(s, old_hash, old_hash_len, next, now, grace, old_out);
}
static inline store_err store_refresh_revoke_family(store *s, const char *family_id)
{
	return s->ops->refresh_revoke_family(s, family_id);
}
static inline store_err store_refresh_revoke_session(store *s, const uint8_t *session_hash,
                                                     size_t session_hash_len)
{
	return s->ops->refresh_revoke_session(s, session_hash, session_hash_len);
}
static inline store_err store_refresh_purge(store *s, int64_t now)
{
	return s->ops->refresh_purge(s, now);
}
static inline store_err store_flow_put(store *s, const struct store_flow *f)
{
	return s->ops->flow_put(s, f);
}
static inline store_err store_flow_get(store *s, const uint8_t *hash, size_t hash_len, int64_t now,
                                       struct store_flow *out)
{
	return s->ops->flow_get(s, hash, hash_len, now, out);
}
static inline store_err store_flow_set_user(store *s, const uint8_t *hash, size_t hash_len, int64_t now,
                                            const char *user_id, int64_t auth_time, const char *amr,
                                            int mfa_pending)
{
	return s->ops->flow_set_user(s, hash, hash_len, now, user_id, auth_time, amr, mfa_pending);
}
static inline store_err store_flow_take(store *s, const uint8_t *hash, size_t hash_len, int64_t now,
                                        struct store_flow *out)
{
	return s->ops->flow_take(s, hash, hash_len, now, out);
}
static inline store_err store_flow_purge(store *s, int64_t now)
{
	return s->ops->flow_purge(s, now);
}
static inline store_err store_consent_put(store *s, const char *user_id, const char *client_id,
                                          const char *scope, int64_t now)
{
	return s->ops->consent_put(s, user_id, client_id, scope, now);
}
static inline store_err store_consent_get(store *s, const char *user_id, const char *client_id,
                                          char *scope_out)
{
	return s->ops->consent_get(s, user_id, client_id, scope_out);
}

static inline store_err store_link_put(store *s, const struct store_link *l)
{
	return s->ops->link_put(s, l);
}
static inline store_err store_link_get(store *s, const uint8_t *hash, size_t hash_len, const char *kind,
                                       int64_t now, struct store_link *out)
{
	return s->ops->link_get(s, hash, hash_len, kind, now, out);
}
static inline store_err store_link_take(store *s, const uint8_t *hash, size_t hash_len, const char *kind,
                                        int64_t now, struct store_link *out)
{
	return s->ops->link_take(s, hash, hash_len, kind, now, out);
}
static inline store_err store_link_end(store *s, const char *user_id, const char *kind)
{
	return s->ops->link_end(s, user_id, kind);
}
static inline store_err store_link_count(store *s, const char *user_id, const char *kind, int64_t since,
                                         int *n)
{
	return s->ops->link_count(s, user_id, kind, since, n);
}
static inline store_err store_link_purge(store *s, int64_t now)
{
	return s->ops->link_purge(s, now);
}
static inline store_err store_user_get_by_email(store *s, const char *email, struct store_user *out)
{
	return s->ops->user_get_by_email(s, email, out);
}
static inline store_err store_outbox_put(store *s, const struct store_mail *m)
{
	return s->ops->outbox_put(s, m);
}
static inline store_err store_outbox_claim(store *s, int64_t now, int64_t lease, struct store_mail *out)
{
	return s->ops->outbox_claim(s, now, lease, out);
}
static inline store_err store_outbox_done(store *s, const char *id, int attempt, int64_t now)
{
	return s->ops->outbox_done(s, id, attempt, now);
}
static inline store_err store_outbox_retry(store *s, const char *id, int attempt, int64_t now,
                                           int64_t next_at, const char *error)
{
	return s->ops->outbox_retry(s, id, attempt, now, next_at, error);
}
static inline store_err store_outbox_get(store *s, const char *id, struct store_mail *out)
{
	return s->ops->outbox_get(s, id, out);
}
static inline store_err store_outbox_count(store *s, int64_t now, struct store_outbox_counts *out)
{
	return s->ops->outbox_count(s, now, out);
}
static inline store_err store_outbox_purge(store *s, int64_t before)
{
	return s->ops->outbox_purge(s, before);
}
static inline store_err store_session_list(store *s, const char *user_id, int64_t now, store_session_cb cb,
                                           void *ctx)
{
	return s->ops->session_list(s, user_id, now, cb, ctx);
}
static inline store_err store_factor_put(store *s, const struct store_factor *f)
{
	return s->ops->factor_put(s, f);
}
static inline store_err store_factor_list(store *s, const char *user_id, store_factor_cb cb, void *ctx)
{
	return s->ops->factor_list(s, user_id, cb, ctx);
}
static inline store_err store_factor_by_cred(store *s, const uint8_t *cred_id, size_t cred_id_len,
                                             struct store_factor *out)
{
	return s->ops->factor_by_cred(s, cred_id, cred_id_len, out);
}
static inline store_err store_factor_use(store *s, const char *id, const char *user_id, int64_t counter,
                                         int64_t now)
{
	return s->ops->factor_use(s, id, user_id, counter, now);
}
static inline store_err store_factor_swap(store *s, const char *id, const char *user_id, const uint8_t *old,
                                          size_t old_len, const uint8_t *data, size_t data_len, int64_t now)
{
	return s->ops->factor_swap(s, id, user_id, old, old_len, data, data_len, now);
}
static inline store_err store_factor_delete(store *s, const char *id, const char *user_id)
{
	return s->ops->factor_delete(s, id, user_id);
}
static inline store_err store_factor_clear(store *s, const char *user_id, const char *kind, int *n)
{
	return s->ops->factor_clear(s, user_id, kind, n);
}
static inline store_err store_challenge_put(store *s, const uint8_t *hash, size_t hash_len,
                                            const char *user_id, int64_t expires_at)
{
	return s->ops->challenge_put(s, hash, hash_len, user_id, expires_at);
}
static inline store_err store_challenge_take(store *s, const uint8_t *hash, size_t hash_len, int64_t now,
                                             char *user_id)
{
	return s->ops->challenge_take(s, hash, hash_len, now, user_id);
}
static inline store_err store_challenge_purge(store *s, int64_t now)
{
	return s->ops->challenge_purge(s, now);
}

#endif
