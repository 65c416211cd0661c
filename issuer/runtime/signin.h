/*
 * signin.h: one check of a username and password, with the same rules wherever
 * a person signs in (the login page, the password grant, the JSON login). The
 * password check runs on the worker pool (pool.h), never on the loop.
 *
 * Every attempt is counted when it is submitted, before its check, for its
 * username in the store (store.h login_admit: the account lockout, shared by
 * replicas) and for its address (ratelimit.h): attempts sent at once are counted
 * at once, so no more than the threshold are ever checked per period, and a
 * caller that leaves before the answer was counted all the same. A correct
 * password clears the count, unless a lock came into force while it was being
 * checked: then it is refused like a wrong one and the lock stays. A stored hash
 * of other argon2id parameters is replaced after a successful check.
 *
 * It never tells a wrong password from an unknown username or a locked account:
 * one result, and the same work before it (the count is written for any name; an
 * unknown name burns an argon2id run, a locked account burns one too). Only the
 * right password of a disabled account learns that it is disabled. A password is
 * never kept beyond its job (the copy is wiped).
 */
#ifndef ISSUER_RUNTIME_SIGNIN_H
#define ISSUER_RUNTIME_SIGNIN_H

#include <stdint.h>
#include <sys/socket.h>

#include "runtime/app.h"
#include "runtime/pool.h"
#include "store/store.h"

enum signin_result {
	SIGNIN_OK,          /* the right password of an enabled account */
	SIGNIN_WRONG,       /* wrong password, unknown username or a lock in force */
	SIGNIN_DISABLED,    /* the right password of a disabled account */
	SIGNIN_UNVERIFIED,  /* the right password of a registered account whose address is not confirmed */
	SIGNIN_UNAVAILABLE, /* the store failed at the end: answer 503 */
};

struct signin;
/* Called back on the loop with the result (counted, audited and measured
 * already); req is NULL when the caller left: then only record. s is freed
 * (and wiped) after it returns. */
typedef void (*signin_done)(struct signin *s, h2o_req_t *req, enum signin_result r, int64_t now);

/* An attempt. A caller's own struct may begin with it (signin_new's size). */
struct signin {
	pool_job job; /* first: the pool hands back &job */
	app_thread *t;
	signin_done done;
	struct store_user user;                /* the account, for SIGNIN_OK and SIGNIN_DISABLED */
	char username[STORE_USERNAME_MAX + 1]; /* as typed */
	char client_id[STORE_ID_MAX + 1];      /* for the audit log; "" when none */
	/* Private. */
	size_t size;    /* of the allocation, wiped when freed */
	char *password; /* malloc'd copy, wiped on the worker */
	size_t password_len;
	char hash[STORE_PASSWORD_HASH_MAX + 1]; /* "" for an unknown username: burn */
	struct password_params burn, current;
	int locked, ok;
	char rehash[STORE_PASSWORD_HASH_MAX + 1];
	char name[STORE_USERNAME_MAX + 1]; /* in ASCII lower case: the party known at an address */
	struct sockaddr_storage peer;
	int has_peer;
};

/*
 * 1 when the address of req is over its limit of failed sign-ins and username
 * (or NULL) never signed in from it (ratelimit.h), with *retry the seconds to
 * wait (counted in /metrics and the audit log); 0 when the attempt may go on.
 * Answers nothing.
 */
int signin_limited(h2o_req_t *req, app_thread *t, const char *username, int64_t now, int64_t *retry);

/*
 * A new zeroed attempt of size bytes (at least sizeof(struct signin)) for
 * username and password (both checked by the caller: non-empty, username at
 * most STORE_USERNAME_MAX, password at most PASSWORD_MAX_LEN bytes), client_id
 * (or NULL) for the audit log, and done. NULL when out of memory.
 */
struct signin *signin_new(app_thread *t, size_t size, const char *username, const char *password,
                          const char *client_id, signin_done done);

/* Count the attempt and hand the check to the pool; done answers. 0, or -1 when the
 * store or the pool failed: s is freed and the caller answers 503. */
int signin_start(struct signin *s, h2o_req_t *req, int64_t now);

/*
 * A new password hashed on the worker pool (a reset, a registration): done is
 * called back on the loop with ok and, when ok, the argon2id hash in hash
 * (req NULL when the caller left); the struct is wiped and freed after it
 * returns. A caller's own struct may begin with it (newpass_new's size).
 */
struct newpass;
typedef void (*newpass_done)(struct newpass *n, h2o_req_t *req, int ok);
struct newpass {
	pool_job job; /* first */
	app_thread *t;
	newpass_done done;
	char hash[STORE_PASSWORD_HASH_MAX + 1];
	/* Private. */
	size_t size;
	char *password;
	size_t password_len;
	int ok;
};

/* A new zeroed job of size bytes (at least sizeof(struct newpass)) for password, or NULL. */
struct newpass *newpass_new(app_thread *t, size_t size, const char *password, newpass_done done);

/* Hand it to the pool; 0, or -1 when the pool refused (n is freed: answer 503). */
int newpass_start(struct newpass *n, h2o_req_t *req);

#endif
