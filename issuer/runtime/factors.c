/*
 * factors.c: second factors over the store (see factors.h). Every code, secret
 * and challenge it touches is wiped before its buffer goes; nothing is logged.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/seal.h"
#include "crypto/secret.h"
#include "http/page.h"
#include "jose_b64url.h"
#include "jose_utf8.h"
#include "runtime/factors.h"

/* A user's factors, read into a heap array (a factor is a few KB). */
struct list {
	struct store_factor *f;
	size_t n;
};

static int collect(void *ctx, const struct store_factor *f)
{
	struct list *l = ctx;

	l->f[l->n++] = *f;
	return l->n >= FACTORS_MAX;
}

static store_err load(app_thread *t, const char *user_id, struct list *l)
{
	store_err e;

	l->n = 0;
	if (!(l->f = calloc(FACTORS_MAX, sizeof *l->f)))
		return STORE_NOMEM;
	if ((e = store_factor_list(t->db, user_id, collect, l)) != STORE_OK)
		l->n = 0;
	return e;
}

static void unload(struct list *l)
{
	if (l->f)
		explicit_bzero(l->f, FACTORS_MAX * sizeof *l->f);
	free(l->f);
	l->f = NULL;
}

/* see factors.h */
store_err factors_list(app_thread *t, const char *user_id, struct store_factor **out, size_t *n)
{
	struct list l;
	store_err e = load(t, user_id, &l);

	if (e != STORE_OK) {
		unload(&l);
		*out = NULL;
		*n = 0;
		return e;
	}
	*out = l.f;
	*n = l.n;
	return STORE_OK;
}

/* see factors.h */
void factors_list_free(struct store_factor *f)
{
	struct list l = {.f = f};

	unload(&l);
}

static int is_kind(const struct store_factor *f, const char *kind)
{
	return strcmp(f->kind, kind) == 0;
}

/* see factors.h */
store_err factors_have(app_thread *t, const char *user_id, struct factors_have *out)
{
	struct list l;
	store_err e = load(t, user_id, &l);

	memset(out, 0, sizeof *out);
	for (size_t i = 0; i < l.n; i++) {
		const struct store_factor *f = &l.f[i];
		if (!f->confirmed)
			continue;
		if (is_kind(f, STORE_FACTOR_TOTP))
			out->totp = 1;
		else if (is_kind(f, STORE_FACTOR_PASSKEY))
			out->passkeys++;
		else if (is_kind(f, STORE_FACTOR_RECOVERY) && f->data_len % sizeof(recovery_hash) == 0)
			out->recovery_left += (int)recovery_left((const recovery_hash *)f->data,
			                                         f->data_len / sizeof(recovery_hash));
	}
	out->any = out->totp || out->passkeys;
	unload(&l);
	return e;
}

/* see factors.h */
int factors_required(app_thread *t, const char *client_id)
{
	struct store_client c;
	store_err e;

	if (t->app->cfg->mfa_required)
		return 1;
	if (!client_id || !*client_id)
		return 0;
	e = app_client_get(t, client_id, &c);
	return e == STORE_OK ? c.require_mfa : e == STORE_NOT_FOUND ? 0 : -1;
}

/* see factors.h */
int factors_needed(app_thread *t, const char *user_id, const char *client_id)
{
	struct factors_have have;
	int required = factors_required(t, client_id);

	if (required)
		return required;
	return factors_have(t, user_id, &have) == STORE_OK ? have.any : -1;
}

/* The TOTP secret of f into key[TOTP_SECRET_MAX] (opened when sealed); 0 or -1. */
static int totp_key(app_thread *t, const struct store_factor *f, uint8_t key[TOTP_SECRET_MAX], size_t *len)
{
	const seal_keys *k = t->app->cfg->seal;

	if (seal_is_sealed(f->data, f->data_len))
		return k && k->n ? seal_open(k, f->id, f->data, f->data_len, key, TOTP_SECRET_MAX, len) : -1;
	if (!f->data_len || f->data_len > TOTP_SECRET_MAX)
		return -1;
	memcpy(key, f->data, f->data_len);
	*len = f->data_len;
	return 0;
}

/* Check code against the app f at now: its step into *step; TOTP_OK or why not. */
static totp_result totp_check(app_thread *t, const struct store_factor *f, const char *code, int64_t now,
                              uint64_t last, uint64_t *step)
{
	uint8_t key[TOTP_SECRET_MAX];
	size_t len = 0;
	totp_result r = TOTP_BAD_CALL;

	if (totp_key(t, f, key, &len) == 0)
		r = totp_verify(key, len, code, strlen(code), now, 1, last, step);
	explicit_bzero(key, sizeof key);
	return r;
}

static enum factors_result from_store(store_err e)
{
	return e == STORE_OK                                 ? FACTORS_OK
	       : e == STORE_CONFLICT || e == STORE_NOT_FOUND ? FACTORS_WRONG
	                                                     : FACTORS_UNAVAILABLE;
}

/* The user's confirmed app checked with code, and the step spent. */
static enum factors_result use_totp(app_thread *t, const struct list *l, const char *user_id,
                                    const char *code, int64_t now)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct store_factor *f = &l->f[i];
		uint64_t step = 0;
		if (!f->confirmed || !is_kind(f, STORE_FACTOR_TOTP) ||
		    totp_check(t, f, code, now, (uint64_t)f->counter, &step) != TOTP_OK)
			continue;
		return from_store(store_factor_use(t->db, f->id, user_id, (int64_t)step, now));
	}
	return FACTORS_WRONG;
}

/* The user's recovery codes checked with code, and the one that matched spent. */
static enum factors_result use_recovery(app_thread *t, const struct list *l, const char *user_id,
                                        const char *code, int64_t now)
{
	recovery_hash set[RECOVERY_CODES], old[RECOVERY_CODES];

	for (size_t i = 0; i < l->n; i++) {
		const struct store_factor *f = &l->f[i];
		size_t n = f->data_len / sizeof(recovery_hash);
		if (!f->confirmed || !is_kind(f, STORE_FACTOR_RECOVERY) ||
		    f->data_len % sizeof(recovery_hash) || n > RECOVERY_CODES)
			continue;
		memcpy(set, f->data, f->data_len);
		memcpy(old, f->data, f->data_len);
		enum factors_result r = FACTORS_WRONG;
		if (recovery_redeem(set, n, code, strlen(code)) >= 0)
			r = from_store(store_factor_swap(t->db, f->id, user_id, (const uint8_t *)old,
			                                 f->data_len, (const uint8_t *)set, f->data_len,
			                                 now));
		explicit_bzero(set, sizeof set);
		explicit_bzero(old, sizeof old);
		return r;
	}
	return FACTORS_WRONG;
}

/* 1 when code is TOTP_DIGITS digits, spaces aside: an app's code, not a recovery code. */
static int looks_totp(const char *code)
{
	size_t digits = 0;

	for (const char *p = code; *p; p++) {
		if (*p >= '0' && *p <= '9')
			digits++;
		else if (*p != ' ')
			return 0;
	}
	return digits == TOTP_DIGITS;
}

/* see factors.h */
enum factors_result factors_check_code(app_thread *t, const char *user_id, const char *code, int64_t now,
                                       int *recovery)
{
	struct list l;
	enum factors_result r;

	*recovery = 0;
	if (!code || !*code || strlen(code) > RECOVERY_INPUT_MAX)
		return FACTORS_WRONG;
	if (load(t, user_id, &l) != STORE_OK) {
		unload(&l);
		return FACTORS_UNAVAILABLE;
	}
	if (looks_totp(code))
		r = use_totp(t, &l, user_id, code, now);
	else if ((r = use_recovery(t, &l, user_id, code, now)) == FACTORS_OK)
		*recovery = 1;
	unload(&l);
	return r;
}

/* Remove user_id's apps: unconfirmed ones (confirmed 0), or confirmed ones but keep. */
static store_err drop_apps(app_thread *t, const struct list *l, const char *user_id, int confirmed,
                           const char *keep)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct store_factor *f = &l->f[i];
		store_err e;
		if (!is_kind(f, STORE_FACTOR_TOTP) || f->confirmed != confirmed ||
		    (keep && !strcmp(f->id, keep)))
			continue;
		if ((e = store_factor_delete(t->db, f->id, user_id)) != STORE_OK && e != STORE_NOT_FOUND)
			return e;
	}
	return STORE_OK;
}

/* f's data: the secret, sealed to f's id when the system secrets are set. */
static int put_secret(app_thread *t, struct store_factor *f, const uint8_t *key, size_t len)
{
	const seal_keys *k = t->app->cfg->seal;

	if (!k || !k->n) {
		memcpy(f->data, key, len);
		f->data_len = len;
		return 0;
	}
	return seal_close(k, &t->rng, f->id, key, len, f->data, sizeof f->data, &f->data_len);
}

/* see factors.h */
int factors_totp_begin(app_thread *t, const char *user_id, int64_t now, char id[STORE_ID_MAX + 1],
                       char b32[TOTP_SECRET_B32 + 1])
{
	struct store_factor *f = calloc(1, sizeof *f);
	uint8_t key[TOTP_SECRET_BYTES];
	struct list l = {0};
	int rc = -1;

	if (f && load(t, user_id, &l) == STORE_OK && drop_apps(t, &l, user_id, 0, NULL) == STORE_OK &&
	    secret_uuid(&t->rng, f->id) == 0 && totp_secret_generate(&t->rng, key) == 0 &&
	    put_secret(t, f, key, sizeof key) == 0 &&
	    totp_base32_encode(b32, TOTP_SECRET_B32 + 1, key, sizeof key, 0) == TOTP_SECRET_B32) {
		snprintf(f->user_id, sizeof f->user_id, "%s", user_id);
		snprintf(f->kind, sizeof f->kind, "%s", STORE_FACTOR_TOTP);
		snprintf(f->name, sizeof f->name, "Authenticator app");
		f->created_at = now;
		if (store_factor_put(t->db, f) == STORE_OK) {
			snprintf(id, STORE_ID_MAX + 1, "%s", f->id);
			rc = 0;
		}
	}
	explicit_bzero(key, sizeof key);
	if (f)
		explicit_bzero(f, sizeof *f);
	free(f);
	unload(&l);
	if (rc)
		explicit_bzero(b32, TOTP_SECRET_B32 + 1);
	return rc;
}

/* The unconfirmed app id of l, or NULL. */
static const struct store_factor *pending_app(const struct list *l, const char *id)
{
	for (size_t i = 0; i < l->n; i++)
		if (is_kind(&l->f[i], STORE_FACTOR_TOTP) && !l->f[i].confirmed && strcmp(l->f[i].id, id) == 0)
			return &l->f[i];
	return NULL;
}

/* see factors.h */
int factors_totp_pending(app_thread *t, const char *user_id, const char *id, char b32[TOTP_SECRET_B32 + 1])
{
	struct list l;
	const struct store_factor *f;
	uint8_t key[TOTP_SECRET_MAX];
	size_t len = 0;
	int rc = -1;

	if (id && load(t, user_id, &l) == STORE_OK && (f = pending_app(&l, id)) &&
	    totp_key(t, f, key, &len) == 0)
		rc = totp_base32_encode(b32, TOTP_SECRET_B32 + 1, key, len, 0) > 0 ? 0 : -1;
	explicit_bzero(key, sizeof key);
	if (id)
		unload(&l);
	return rc;
}

/* see factors.h */
enum factors_result factors_totp_confirm(app_thread *t, const char *user_id, const char *id, const char *code,
                                         int64_t now)
{
	struct list l;
	const struct store_factor *f;
	uint64_t step = 0;
	enum factors_result r = FACTORS_WRONG;

	if (!id || !code)
		return FACTORS_WRONG;
	if (load(t, user_id, &l) != STORE_OK) {
		unload(&l);
		return FACTORS_UNAVAILABLE;
	}
	if ((f = pending_app(&l, id)) && totp_check(t, f, code, now, 0, &step) == TOTP_OK &&
	    (r = from_store(store_factor_use(t->db, f->id, user_id, (int64_t)step, now))) == FACTORS_OK &&
	    drop_apps(t, &l, user_id, 1, id) != STORE_OK)
		r = FACTORS_UNAVAILABLE;
	unload(&l);
	return r;
}

/* see factors.h */
int factors_recovery_new(app_thread *t, const char *user_id, int64_t now,
                         char codes[RECOVERY_CODES][RECOVERY_CODE_TEXT + 1])
{
	struct store_factor *f = calloc(1, sizeof *f);
	recovery_hash set[RECOVERY_CODES];
	int rc = -1;

	if (f && recovery_generate(&t->rng, codes, set) == 0 && secret_uuid(&t->rng, f->id) == 0 &&
	    store_factor_clear(t->db, user_id, STORE_FACTOR_RECOVERY, NULL) == STORE_OK) {
		snprintf(f->user_id, sizeof f->user_id, "%s", user_id);
		snprintf(f->kind, sizeof f->kind, "%s", STORE_FACTOR_RECOVERY);
		snprintf(f->name, sizeof f->name, "Recovery codes");
		memcpy(f->data, set, sizeof set);
		f->data_len = sizeof set;
		f->confirmed = 1;
		f->created_at = now;
		rc = store_factor_put(t->db, f) == STORE_OK ? 0 : -1;
	}
	explicit_bzero(set, sizeof set);
	if (f)
		explicit_bzero(f, sizeof *f);
	free(f);
	if (rc)
		explicit_bzero(codes, RECOVERY_CODES * (RECOVERY_CODE_TEXT + 1));
	return rc;
}

/* The stored hash of challenge bound to binding: SHA-256(challenge || binding). */
static void challenge_hash(const uint8_t challenge[FACTORS_CHALLENGE_LEN],
                           const uint8_t binding[SECRET_HASH_LEN], uint8_t out[SECRET_HASH_LEN])
{
	uint8_t both[FACTORS_CHALLENGE_LEN + SECRET_HASH_LEN];

	memcpy(both, challenge, FACTORS_CHALLENGE_LEN);
	memcpy(both + FACTORS_CHALLENGE_LEN, binding, SECRET_HASH_LEN);
	secret_hash((const char *)both, sizeof both, out);
	explicit_bzero(both, sizeof both);
}

/* see factors.h */
int factors_challenge_new(app_thread *t, const char *user_id, const uint8_t binding[SECRET_HASH_LEN],
                          int64_t now, char text[FACTORS_CHALLENGE_TEXT + 1])
{
	uint8_t c[FACTORS_CHALLENGE_LEN], h[SECRET_HASH_LEN];
	int rc = -1;

	if (wc_RNG_GenerateBlock(&t->rng, c, sizeof c) == 0) {
		challenge_hash(c, binding, h);
		if (store_challenge_put(t->db, h, sizeof h, user_id, now + FACTORS_CHALLENGE_TTL) ==
		        STORE_OK &&
		    jose_b64url_encode(text, FACTORS_CHALLENGE_TEXT + 1, c, sizeof c) ==
		        FACTORS_CHALLENGE_TEXT)
			rc = 0;
	}
	explicit_bzero(c, sizeof c);
	return rc;
}

/* see factors.h */
enum factors_result factors_challenge_take(app_thread *t, const char *text,
                                           const uint8_t binding[SECRET_HASH_LEN], int64_t now,
                                           uint8_t challenge[FACTORS_CHALLENGE_LEN],
                                           char user_id[STORE_ID_MAX + 1])
{
	uint8_t h[SECRET_HASH_LEN];
	size_t len = 0;

	user_id[0] = '\0';
	if (!text || strlen(text) != FACTORS_CHALLENGE_TEXT ||
	    jose_b64url_decode(challenge, FACTORS_CHALLENGE_LEN, &len, text, FACTORS_CHALLENGE_TEXT) ||
	    len != FACTORS_CHALLENGE_LEN)
		return FACTORS_WRONG;
	challenge_hash(challenge, binding, h);
	return from_store(store_challenge_take(t->db, h, sizeof h, now, user_id));
}

/* see factors.h */
void factors_origin(app_thread *t, char *origin, size_t cap)
{
	page_origin(t->app->cfg->issuer, origin, cap);
}

/* see factors.h */
void factors_rp_id(app_thread *t, char *rp_id, size_t cap)
{
	const char *host = strstr(t->app->cfg->issuer, "://");
	size_t n;

	host = host ? host + 3 : t->app->cfg->issuer;
	n = host[0] == '[' ? strcspn(host, "]") + 1 : strcspn(host, ":/");
	snprintf(rp_id, cap, "%.*s", (int)n, host);
}

/* What a ceremony must show: the one origin, the challenge, user verification or not. */
static void expect(webauthn_expect *x, const char *const origins[1], const uint8_t *challenge, int require_uv)
{
	memset(x, 0, sizeof *x);
	x->challenge = challenge;
	x->challenge_len = FACTORS_CHALLENGE_LEN;
	x->origins = origins;
	x->n_origins = 1;
	x->require_uv = require_uv;
}

/* see factors.h */
store_err factors_passkey_ids(app_thread *t, const char *user_id, char *out, size_t cap)
{
	struct list l;
	store_err e = load(t, user_id, &l);
	size_t len = 0;

	out[0] = '\0';
	for (size_t i = 0; i < l.n && e == STORE_OK; i++) {
		const struct store_factor *f = &l.f[i];
		size_t need = (f->cred_id_len * 4 + 2) / 3 + 2;
		if (!is_kind(f, STORE_FACTOR_PASSKEY) || !f->confirmed || !f->cred_id_len)
			continue;
		if (len + need > cap) {
			out[0] = '\0';
			break;
		}
		if (len)
			out[len++] = ',';
		len += jose_b64url_encode(out + len, cap - len, f->cred_id, f->cred_id_len);
	}
	unload(&l);
	return e;
}

/* base64url text into out[cap], its length in *len; 0, or -1 when absent, malformed or too long. */
static int unb64(const char *text, uint8_t *out, size_t cap, size_t *len)
{
	*len = 0;
	return !text || !*text || strlen(text) > (cap * 4 + 2) / 3 ||
	               jose_b64url_decode(out, cap, len, text, strlen(text))
	           ? -1
	           : 0;
}

/* The browser's answer to a ceremony, decoded (a few KB: kept off the stack). */
struct ceremony {
	char rp_id[256], origin[512];
	const char *origins[1];
	webauthn_expect x;
	uint8_t cd[WEBAUTHN_CLIENT_DATA_MAX], att[WEBAUTHN_ATTESTATION_MAX], sig[1024];
	uint8_t cred[STORE_CRED_ID_MAX];
	size_t cd_len, att_len, sig_len, cred_len;
	webauthn_credential c;
	struct store_factor f;
};

static struct ceremony *ceremony_new(app_thread *t, const uint8_t *challenge, int require_uv)
{
	struct ceremony *m = calloc(1, sizeof *m);

	if (!m)
		return NULL;
	factors_rp_id(t, m->rp_id, sizeof m->rp_id);
	factors_origin(t, m->origin, sizeof m->origin);
	m->origins[0] = m->origin;
	expect(&m->x, m->origins, challenge, require_uv);
	m->x.rp_id = m->rp_id;
	return m;
}

static void ceremony_free(struct ceremony *m)
{
	if (m)
		explicit_bzero(m, sizeof *m);
	free(m);
}

/* 1 when name is a label to keep: 1..FACTORS_NAME_MAX bytes of well-formed UTF-8
 * without a control character. */
static int label_ok(const char *name)
{
	size_t len = name ? strlen(name) : 0, k;
	uint32_t cp;

	if (!len || len > FACTORS_NAME_MAX)
		return 0;
	for (const uint8_t *p = (const uint8_t *)name; len; p += k, len -= k)
		if (!(k = jose_utf8_seq(p, len, &cp)) || cp < 0x20 || (cp >= 0x7f && cp < 0xa0))
			return 0;
	return 1;
}

/* Store m's registered credential for user_id as a passkey named name. */
static enum factors_result keep_passkey(app_thread *t, struct ceremony *m, const char *user_id,
                                        const char *name, int64_t now, webauthn_err *why)
{
	struct store_factor *f = &m->f;
	store_err e;

	if (m->c.cose_len > sizeof f->data || secret_uuid(&t->rng, f->id)) {
		*why = WEBAUTHN_E_COSE_KEY;
		return FACTORS_WRONG;
	}
	snprintf(f->user_id, sizeof f->user_id, "%s", user_id);
	snprintf(f->kind, sizeof f->kind, "%s", STORE_FACTOR_PASSKEY);
	snprintf(f->name, sizeof f->name, "%s", label_ok(name) ? name : "Passkey");
	memcpy(f->cred_id, m->c.cred_id, m->c.cred_id_len);
	f->cred_id_len = m->c.cred_id_len;
	memcpy(f->data, m->c.cose_key, m->c.cose_len);
	f->data_len = m->c.cose_len;
	f->counter = m->c.sign_count;
	f->confirmed = 1;
	f->created_at = now;
	if ((e = store_factor_put(t->db, f)) == STORE_CONFLICT)
		*why = WEBAUTHN_E_CRED_ID; /* registered already */
	return from_store(e);
}

/* see factors.h */
enum factors_result factors_passkey_register(app_thread *t, const char *user_id, const char *name,
                                             const uint8_t challenge[FACTORS_CHALLENGE_LEN],
                                             const char *client_data, const char *attestation, int64_t now,
                                             webauthn_err *why)
{
	struct ceremony *m = ceremony_new(t, challenge, 1);
	enum factors_result r = FACTORS_WRONG;

	*why = WEBAUTHN_E_ARG;
	if (!m)
		return FACTORS_UNAVAILABLE;
	if (!unb64(client_data, m->cd, sizeof m->cd, &m->cd_len) &&
	    !unb64(attestation, m->att, sizeof m->att, &m->att_len) &&
	    (*why = webauthn_register(&m->x, m->cd, m->cd_len, m->att, m->att_len, &m->c)) == WEBAUTHN_OK)
		r = keep_passkey(t, m, user_id, name, now, why);
	ceremony_free(m);
	return r;
}

/* Check m's assertion against the stored passkey m->f and spend its counter. */
static enum factors_result check_assertion(app_thread *t, struct ceremony *m, int64_t now,
                                           struct factors_passkey *out, webauthn_err *why)
{
	webauthn_assertion a;

	*why = webauthn_verify(&m->x, m->f.data, m->f.data_len, (uint32_t)m->f.counter, m->cd, m->cd_len,
	                       m->att, m->att_len, m->sig, m->sig_len, &a);
	if (*why != WEBAUTHN_OK)
		return FACTORS_WRONG;
	enum factors_result r = from_store(store_factor_use(t->db, m->f.id, m->f.user_id, a.sign_count, now));
	if (r == FACTORS_WRONG)
		*why = WEBAUTHN_E_CLONED; /* another use with this counter came first */
	snprintf(out->user_id, sizeof out->user_id, "%s", m->f.user_id);
	out->flags = a.flags;
	return r;
}

/* see factors.h */
enum factors_result factors_passkey_check(app_thread *t, const char *user_id,
                                          const uint8_t challenge[FACTORS_CHALLENGE_LEN], int require_uv,
                                          const char *cred_id, const char *client_data, const char *auth_data,
                                          const char *signature, int64_t now, struct factors_passkey *out,
                                          webauthn_err *why)
{
	struct ceremony *m = ceremony_new(t, challenge, require_uv);
	enum factors_result r = FACTORS_WRONG;
	store_err e;

	memset(out, 0, sizeof *out);
	*why = WEBAUTHN_E_ARG;
	if (!m)
		return FACTORS_UNAVAILABLE;
	if (unb64(cred_id, m->cred, sizeof m->cred, &m->cred_len) ||
	    unb64(client_data, m->cd, sizeof m->cd, &m->cd_len) ||
	    unb64(auth_data, m->att, sizeof m->att, &m->att_len) ||
	    unb64(signature, m->sig, sizeof m->sig, &m->sig_len))
		goto out;
	*why = WEBAUTHN_E_CRED_ID;
	if ((e = store_factor_by_cred(t->db, m->cred, m->cred_len, &m->f)) != STORE_OK) {
		r = from_store(e) == FACTORS_UNAVAILABLE ? FACTORS_UNAVAILABLE : FACTORS_WRONG;
		goto out;
	}
	if (!m->f.confirmed || !is_kind(&m->f, STORE_FACTOR_PASSKEY) ||
	    (user_id && strcmp(m->f.user_id, user_id)))
		goto out;
	r = check_assertion(t, m, now, out, why);
out:
	ceremony_free(m);
	return r;
}

/* see factors.h */
void factors_amr(int password, int otp, int passkey, uint8_t passkey_flags, char out[STORE_AMR_MAX + 1])
{
	int shown = password + otp + (passkey ? (passkey_flags & WEBAUTHN_FLAG_UV ? 2 : 1) : 0);
	const char *key = passkey ? (passkey_flags & WEBAUTHN_FLAG_BE ? "swk " : "hwk ") : "";
	int n = snprintf(out, STORE_AMR_MAX + 1, "%s%s%s%s", password ? "pwd " : "", otp ? "otp " : "", key,
	                 shown >= 2 ? "mfa" : "");

	if (n > 0 && out[n - 1] == ' ')
		out[n - 1] = '\0';
}

/* see factors.h */
int factors_amr_has(const char *amr, const char *m)
{
	size_t len = strlen(m);

	for (const char *p = amr; p && *p;) {
		size_t n = strcspn(p, " ");
		if (n == len && memcmp(p, m, n) == 0)
			return 1;
		p += n;
		p += *p == ' ';
	}
	return 0;
}

/* see factors.h */
const char *factors_acr(const char *amr)
{
	if (factors_amr_has(amr, "hwk"))
		return "phrh";
	if (factors_amr_has(amr, "swk"))
		return "phr";
	return factors_amr_has(amr, "mfa") ? FACTORS_ACR_MFA : FACTORS_ACR_PWD;
}
