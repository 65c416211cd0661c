/*
 * session.h: SSO sessions: a person signed in once is not asked again by any
 * client until the session ends (cfg->session_ttl, or /logout). The session's id
 * lives in the idb_session cookie (cookie.h); the store keeps its hash.
 */
#ifndef ISSUER_SESSION_H
#define ISSUER_SESSION_H

#include <stdint.h>

#include "runtime/app.h"
#include "store/store.h"

/*
 * The session of req's idb_session cookie, valid at now, into *out (its id_hash
 * set): STORE_OK; STORE_NOT_FOUND without a cookie or a live session; else the
 * store failed.
 */
store_err session_current(h2o_req_t *req, app_thread *t, int64_t now, struct store_session *out);

/* Start a session for user_id signed in at now with amr (how: "pwd", "pwd otp mfa";
 * factors.h), replacing the browser's current one, set its cookie on req's
 * answer and its id hash into id_hash; 0, or -1 (RNG or store failed). */
int session_start(h2o_req_t *req, app_thread *t, const char *user_id, const char *amr, int64_t now,
                  uint8_t id_hash[SECRET_HASH_LEN]);

/* How long after its expiry an id_token_hint still names its user (seconds): RPs
 * come back late (OIDC Core §3.1.2.1: the hint need not be unexpired). */
#ifndef SESSION_HINT_LEEWAY
#define SESSION_HINT_LEEWAY (366 * 86400)
#endif

/*
 * Read an id_token_hint: an ID token this issuer signed (asymmetric keys only: the
 * legacy HS256 secret never vouches for one; our iss; not an access token), with
 * client_id among its audiences when client_id is not NULL. Its subject goes into
 * sub and its client (client_id, else azp, else a single aud; "" if none fits)
 * into client. 0, or -1 when it is none of that.
 */
int session_hint(app_thread *t, const char *hint, const char *client_id, char sub[STORE_ID_MAX + 1],
                 char client[STORE_ID_MAX + 1]);

/* End the browser's current session (if any): the refresh tokens issued in it are
 * revoked, the session deleted, and its cookie expired on req's answer. 0, or -1
 * when the store failed to revoke (the session is then kept: try again). */
int session_end(h2o_req_t *req, app_thread *t);

#endif
