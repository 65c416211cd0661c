/*
 * factors.h: a person's second factors as sign-in and the account page use
 * them: an authenticator app (TOTP, mfa/totp.h), recovery codes
 * (mfa/recovery.h) and passkeys (WebAuthn, mfa/webauthn.h), kept in the store
 * (store.h struct store_factor), and what a sign-in used, as OIDC's amr and acr.
 *
 * A TOTP secret is sealed at rest with the system secrets (crypto/seal.h, bound
 * to the factor's id) when SECRETS_SYSTEM is set, like the signing keys. Every
 * use is single: a TOTP step, a recovery code and a WebAuthn challenge are
 * spent by an atomic store call, so two requests racing with one code cannot
 * both pass. Nothing here logs a secret, a code or a challenge; buffers that
 * held one are wiped.
 */
#ifndef ISSUER_RUNTIME_FACTORS_H
#define ISSUER_RUNTIME_FACTORS_H

#include <stdint.h>

#include "crypto/secret.h"
#include "mfa/recovery.h"
#include "mfa/totp.h"
#include "mfa/webauthn.h"
#include "runtime/app.h"
#include "store/store.h"

/* How long a WebAuthn challenge may be answered, seconds. */
#define FACTORS_CHALLENGE_TTL 300
/* Bytes of a WebAuthn challenge, and its base64url text's length. */
#define FACTORS_CHALLENGE_LEN  32
#define FACTORS_CHALLENGE_TEXT 43
/* Longest name a person gives a passkey, in bytes (a longer or unprintable one is
 * stored as "Passkey"). */
#define FACTORS_NAME_MAX 64
/* Most factors of one user counted or shown. */
#define FACTORS_MAX 32

/* What a user can answer a second step with: confirmed factors only. */
struct factors_have {
	int totp;          /* an authenticator app */
	int recovery_left; /* unspent recovery codes */
	int passkeys;      /* passkeys */
	int any;           /* totp or a passkey: the user has a second factor */
};

/* user_id's factors (at most FACTORS_MAX, oldest first) in a new array *out of *n;
 * STORE_OK, or the store's failure (*out NULL). Free with factors_list_free. */
store_err factors_list(app_thread *t, const char *user_id, struct store_factor **out, size_t *n);

/* Wipe and free a factors_list array. */
void factors_list_free(struct store_factor *f);

/* What a user has, into *out. STORE_OK, or the store's failure. */
store_err factors_have(app_thread *t, const char *user_id, struct factors_have *out);

/* 1 when a sign-in for client_id (NULL or "": none, the account page) needs two
 * factors: MFA=required, or the client's --require-mfa; 0 when not; -1 when the
 * store failed. */
int factors_required(app_thread *t, const char *client_id);

/* 1 when user_id signing in for client_id must show a second factor (they have one,
 * or factors_required), 0 when a password is enough, -1 when the store failed: what
 * a grant without a second step (the password grant, the JSON login) refuses. */
int factors_needed(app_thread *t, const char *user_id, const char *client_id);

/* The result of a check. */
enum factors_result {
	FACTORS_OK,          /* accepted and spent */
	FACTORS_WRONG,       /* refused: wrong, already used, or no such factor */
	FACTORS_UNAVAILABLE, /* the store failed: answer 503 */
};

/*
 * Check what user_id typed at the second step at now: six digits against their
 * authenticator app (a step used before is refused), anything else as one of
 * their recovery codes (spent when it matches). FACTORS_OK sets *recovery to 1
 * when a recovery code was used (else 0).
 */
enum factors_result factors_check_code(app_thread *t, const char *user_id, const char *code, int64_t now,
                                       int *recovery);

/*
 * Start an authenticator app's enrolment for user_id: a new random secret,
 * stored unconfirmed (replacing an earlier unconfirmed one) under a new id
 * (into id), its base32 text into b32. 0, or -1 when the RNG, the seal or the
 * store failed.
 */
int factors_totp_begin(app_thread *t, const char *user_id, int64_t now, char id[STORE_ID_MAX + 1],
                       char b32[TOTP_SECRET_B32 + 1]);

/*
 * The base32 secret of user_id's unconfirmed app id (to show it again after a
 * wrong first code) into b32; 0, or -1 when there is no such enrolment.
 */
int factors_totp_pending(app_thread *t, const char *user_id, const char *id, char b32[TOTP_SECRET_B32 + 1]);

/* Confirm the enrolment id of user_id with its first code: FACTORS_OK, FACTORS_WRONG or
 * FACTORS_UNAVAILABLE. Any other app of the user's is removed once this one counts. */
enum factors_result factors_totp_confirm(app_thread *t, const char *user_id, const char *id, const char *code,
                                         int64_t now);

/*
 * A new set of recovery codes for user_id, replacing any earlier set: the codes'
 * text (to show once) into codes. 0, or -1 when the RNG or the store failed.
 */
int factors_recovery_new(app_thread *t, const char *user_id, int64_t now,
                         char codes[RECOVERY_CODES][RECOVERY_CODE_TEXT + 1]);

/*
 * A new WebAuthn challenge for user_id ("" for a passkey sign-in, where nobody
 * is known yet), bound to binding (the hash of what it belongs to: a login
 * flow, a session), stored for FACTORS_CHALLENGE_TTL: its base64url text into
 * text. 0, or -1 when the RNG or the store failed.
 */
int factors_challenge_new(app_thread *t, const char *user_id, const uint8_t binding[SECRET_HASH_LEN],
                          int64_t now, char text[FACTORS_CHALLENGE_TEXT + 1]);

/*
 * Spend the challenge whose text the browser sent, bound to binding: its bytes
 * into challenge and the user it was made for into user_id. FACTORS_OK, or
 * FACTORS_WRONG (unknown, expired, used, another flow's), or
 * FACTORS_UNAVAILABLE.
 */
enum factors_result factors_challenge_take(app_thread *t, const char *text,
                                           const uint8_t binding[SECRET_HASH_LEN], int64_t now,
                                           uint8_t challenge[FACTORS_CHALLENGE_LEN],
                                           char user_id[STORE_ID_MAX + 1]);

/* The issuer's origin and RP ID, for pages and for factors_expect. */
void factors_origin(app_thread *t, char *origin, size_t cap);
void factors_rp_id(app_thread *t, char *rp_id, size_t cap);

/*
 * Store the registration of a passkey named name (FACTORS_NAME_MAX) for user_id: clientDataJSON and
 * attestationObject as the browser sent them (base64url), checked against the
 * spent challenge (user verification required). FACTORS_OK; FACTORS_WRONG with
 * *why set (webauthn.h) when the credential is refused or already registered;
 * FACTORS_UNAVAILABLE.
 */
enum factors_result factors_passkey_register(app_thread *t, const char *user_id, const char *name,
                                             const uint8_t challenge[FACTORS_CHALLENGE_LEN],
                                             const char *client_data, const char *attestation, int64_t now,
                                             webauthn_err *why);

/* Room for the credential ids of a user's passkeys as factors_passkey_ids writes them. */
#define FACTORS_IDS_MAX 8192

/*
 * The credential ids of user_id's passkeys, base64url, comma-separated, into
 * out[cap] (the browser's allowCredentials); "" when they do not fit (the
 * browser then offers any passkey of ours, and the check still wants theirs).
 */
store_err factors_passkey_ids(app_thread *t, const char *user_id, char *out, size_t cap);

/* What a passkey sign-in showed. */
struct factors_passkey {
	char user_id[STORE_ID_MAX + 1]; /* whose passkey it was */
	uint8_t flags;                  /* WEBAUTHN_FLAG_*: BE says it may be synced (swk, else hwk) */
};

/*
 * Check a passkey assertion: credential id, clientDataJSON, authenticatorData and
 * signature as the browser sent them (base64url), against the spent challenge
 * (user verification when require_uv), and spend its counter. user_id, when not
 * NULL, must own the credential (a second step); else the credential names its
 * user (a passkey sign-in). FACTORS_OK with *out; FACTORS_WRONG with *why;
 * FACTORS_UNAVAILABLE.
 */
enum factors_result factors_passkey_check(app_thread *t, const char *user_id,
                                          const uint8_t challenge[FACTORS_CHALLENGE_LEN], int require_uv,
                                          const char *cred_id, const char *client_data, const char *auth_data,
                                          const char *signature, int64_t now, struct factors_passkey *out,
                                          webauthn_err *why);

/*
 * The amr of a sign-in (RFC 8176 values), space-separated, into out: "pwd" for a
 * password, "otp" for an app's code or a recovery code, "hwk" for a passkey
 * (or "swk" when its flags say it may be synced: BE), and "mfa" when two
 * factors were shown, a passkey with user verification counting as two.
 */
void factors_amr(int password, int otp, int passkey, uint8_t passkey_flags, char out[STORE_AMR_MAX + 1]);

/* The acr of an amr: "phrh" (a device-bound passkey), "phr" (a synced one; both
 * OpenID EAP ACR values), FACTORS_ACR_MFA (two factors), FACTORS_ACR_PWD (a password). */
#define FACTORS_ACR_PWD "urn:identity-backend:acr:pwd"
#define FACTORS_ACR_MFA "urn:identity-backend:acr:mfa"
const char *factors_acr(const char *amr);

/* 1 when amr (space-separated) lists the method m, else 0. */
int factors_amr_has(const char *amr, const char *m);

#endif
