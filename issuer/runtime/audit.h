/*
 * audit.h: security events, one JSON line each, in the access log's form
 * (reqlog.h), for example
 *
 *   {"ts":"2026-12-05T17:20:00.123Z","level":"warn","event":"auth.login.failed",
 *    "request_id":"6f1c0e2a9d3b4c51","username":"alice","remote":"10.0.0.7","reason":"password"}
 *
 * "event" is a stable name (the list is AUDIT_EVENTS below, and the README's);
 * then, each when known: "request_id", "client", "sub" (the user's id),
 * "username", "remote" (the client's address), and the event's own fields.
 * Never a secret, a password, a token or a hash of one: callers pass names and
 * ids only.
 *
 * Lines go to stderr, with the access log, or to the file AUDIT_LOG names
 * (appended to, created with mode 0600). Each line is one write(2) of fewer than
 * PIPE_BUF bytes, so lines of several threads or processes never interleave. A
 * line that cannot be written (a full pipe, a full disk) is not waited for: it is
 * counted (audit_dropped, idb_audit_dropped_total) and the request goes on.
 */
#ifndef ISSUER_AUDIT_H
#define ISSUER_AUDIT_H

#include <stdint.h>

#include <h2o.h>

#include "runtime/reqlog.h"

/* Every event name, space-separated (for the README, tests and dashboards). */
#define AUDIT_EVENTS                                                                                         \
	"auth.login.succeeded auth.login.failed auth.login.locked auth.logout oauth.code.issued "            \
	"oauth.code.exchanged oauth.code.replayed oauth.refresh.rotated oauth.refresh.reuse_detected "       \
	"oauth.token.revoked oauth.password.granted client.created client.changed client.removed "           \
	"user.created user.changed "                                                                         \
	"user.removed user.unlocked user.disabled user.enabled user.password_changed client.secret_rotated " \
	"keys.rotated keys.retired limit.hit"

/* Send events to the file path (appended to; created 0600), or to stderr when path
 * is NULL or empty. 0, or -1 with a one-line reason in err. Call before any event. */
int audit_open(const char *path, char *err, size_t errlen);

/* Who an event is about; any member may be NULL (left out). */
typedef struct audit_who {
	const char *request_id;
	const char *client;
	const char *sub;
	const char *username;
	const char *remote;
} audit_who;

/* One event: level "info" or "warn", who, then extra[0..n) (at most 6). */
void audit_event(const char *event, const char *level, const audit_who *who, const reqlog_field *extra,
                 size_t n);

/* audit_event for a request: its request id and the client's address come from
 * req (NULL: neither); client, sub and username may be NULL. */
void audit_req(h2o_req_t *req, const char *event, const char *level, const char *client, const char *sub,
               const char *username, const reqlog_field *extra, size_t n);

/* Lines that could not be written since the start. Thread-safe. */
uint64_t audit_dropped(void);

#endif
