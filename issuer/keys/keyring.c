/*
 * keyring.c: the shared view of the signing keys (see keyring.h).
 *
 * A view is immutable once published: the rows the store listed (newest first),
 * a keys_key per row, the JWKS text and the core's jose_jwks built from it.
 * keyring_sync is the only writer and runs on one thread at a time (its own
 * mutex: start-up's key thread and thread 0's tick may both call it), so it may
 * read the current view without the rwlock; it builds the next view aside, swaps
 * it in under the exclusive lock and frees what the new view no longer holds.
 * Keys that survive a sync move to the new view as they are (no re-import).
 *
 * Never logs, never exports private material: the legacy secret is kept here
 * and wiped on free; private keys stay inside keys_key.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <wolfssl/wolfcrypt/hmac.h>

#include "jose_b64url.h"
#include "jose_jwk.h"
#include "jose_jwt.h"
#include "keys/keyring.h"
#include "keys/keys.h"

/* One published key: its store row's times and the loaded key. */
struct entry {
	keys_key *k;
	int64_t created_at, not_before, retired_at, expires_at;
};

struct view {
	size_t n;
	struct entry e[KEYRING_MAX_KEYS];
	char *jwks; /* {"keys":[...]} public members only */
	size_t jwks_len;
	jose_jwks *verify; /* the published keys, plus the legacy secret */
	uint32_t algs;     /* what verify accepts */
};

struct keyring {
	pthread_rwlock_t lock;
	pthread_mutex_t sync; /* one keyring_sync at a time (start-up's key thread and thread 0) */
	struct view *v;
	char required[8][16];
	size_t n_required;
	uint8_t *legacy;
	size_t legacy_len;
	atomic_int warned; /* the too-many-keys warning: 0 none, 1 due (keyring_warning), 2 given */
	int64_t rotate_every, rotate_lead, rotate_grace; /* keyring_set_rotation; every 0: off */
	seal_keys seal;                                  /* keyring_set_seal; n 0: keys stored plain */
};

/* Rows as key_list gave them (DER copied: the store wipes its row after the callback). */
struct rows {
	size_t n;
	struct store_key *k;
	int truncated; /* the store holds more unexpired keys than KEYRING_MAX_KEYS */
};

static int collect(void *ctx, const struct store_key *k)
{
	struct rows *r = ctx;

	if (r->n == KEYRING_MAX_KEYS) {
		r->truncated = 1;
		return 1; /* newest first: the oldest beyond the limit are left out */
	}
	r->k[r->n++] = *k;
	return 0;
}

static void rows_free(struct rows *r)
{
	if (r->k) {
		memset(r->k, 0, KEYRING_MAX_KEYS * sizeof *r->k);
		free(r->k);
	}
}

static int eligible(const struct store_key *k, int64_t now)
{
	return k->retired_at == 0 && k->not_before <= now;
}

/* see keyring.h */
keyring *keyring_new(const char *const *required, size_t n, const char *legacy, size_t legacy_len)
{
	pthread_rwlockattr_t a;
	keyring *r;

	if (n > 8 || (legacy && legacy_len < KEYRING_LEGACY_MIN) || !(r = calloc(1, sizeof *r)))
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (strlen(required[i]) >= sizeof r->required[i]) {
			free(r);
			return NULL;
		}
		strcpy(r->required[r->n_required++], required[i]);
	}
	if (legacy) {
		if (!(r->legacy = malloc(legacy_len))) {
			free(r);
			return NULL;
		}
		memcpy(r->legacy, legacy, legacy_len);
		r->legacy_len = legacy_len;
	}
	pthread_rwlockattr_init(&a);
	pthread_rwlockattr_setkind_np(&a, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&r->lock, &a);
	pthread_rwlockattr_destroy(&a);
	pthread_mutex_init(&r->sync, NULL);
	return r;
}

/* Free a view; its keys too when own_keys. */
static void view_free(struct view *v, int own_keys)
{
	if (!v)
		return;
	for (size_t i = 0; own_keys && i < v->n; i++)
		keys_free(v->e[i].k);
	free(v->jwks);
	jose_jwks_free(v->verify);
	free(v);
}

#define TEXT_OF(x) #x
#define TEXT(x)    TEXT_OF(x)

/* see keyring.h */
const char *keyring_warning(keyring *r)
{
	int due = 1;

	if (!atomic_compare_exchange_strong(&r->warned, &due, 2))
		return NULL;
	return "more than " TEXT(KEYRING_MAX_KEYS) " unexpired signing keys: only the newest are published; "
	                                           "retire old keys (identity-backend keys retire KID)";
}

/* see keyring.h */
void keyring_free(keyring *r)
{
	if (!r)
		return;
	view_free(r->v, 1);
	seal_keys_wipe(&r->seal);
	if (r->legacy) {
		memset(r->legacy, 0, r->legacy_len);
		free(r->legacy);
	}
	pthread_rwlock_destroy(&r->lock);
	pthread_mutex_destroy(&r->sync);
	free(r);
}

/* Generate a key for alg, store it (made at now, signing from not_before; sealed when
 * r seals), and put its row first in rows. */
static int add_key(const keyring *r, store *s, WC_RNG *rng, const char *alg, int64_t now, int64_t not_before,
                   struct rows *rows, char *err, size_t errlen)
{
	struct store_key row = {.created_at = now, .not_before = not_before};
	keys_key *k = NULL;
	store_err se;
	int rc = -1;

	if (keys_generate(alg, rng, &k) != JOSE_OK || keys_to_row(k, &r->seal, rng, &row)) {
		snprintf(err, errlen, "cannot generate a %s key", alg);
		goto out;
	}
	if ((se = store_key_put(s, &row)) != STORE_OK) {
		snprintf(err, errlen, "cannot store the new %s key: %s (%s)", alg, store_strerror(se),
		         store_errmsg(s));
		goto out;
	}
	if (rows->n == KEYRING_MAX_KEYS)
		rows->n--;
	memmove(rows->k + 1, rows->k, rows->n * sizeof *rows->k);
	rows->k[0] = row;
	rows->n++;
	rc = 0;
out:
	explicit_bzero(&row, sizeof row);
	keys_free(k);
	return rc;
}

/* 1 when the view already reflects rows exactly. */
static int same(const struct view *v, const struct rows *rows)
{
	if (!v || v->n != rows->n)
		return 0;
	for (size_t i = 0; i < rows->n; i++) {
		const struct entry *e = &v->e[i];
		const struct store_key *k = &rows->k[i];
		if (strcmp(keys_kid(e->k), k->kid) || e->not_before != k->not_before ||
		    e->retired_at != k->retired_at || e->expires_at != k->expires_at)
			return 0;
	}
	return 1;
}

/* The loaded key with kid in the old view, or NULL. */
static keys_key *reuse(const struct view *old, const char *kid)
{
	for (size_t i = 0; old && i < old->n; i++)
		if (strcmp(keys_kid(old->e[i].k), kid) == 0)
			return old->e[i].k;
	return NULL;
}

/* The legacy secret as an oct JWK added to arr; 0 or -1. */
static int add_legacy(cJSON *arr, const uint8_t *secret, size_t len)
{
	char *k = malloc(JOSE_B64URL_ENCODED_LEN(len) + 1);
	cJSON *jwk = cJSON_CreateObject();
	int rc = -1;

	if (k && jwk && cJSON_AddItemToArray(arr, jwk)) {
		size_t n = jose_b64url_encode(k, JOSE_B64URL_ENCODED_LEN(len) + 1, secret, len);
		k[n] = '\0';
		if (cJSON_AddStringToObject(jwk, "kty", "oct") &&
		    cJSON_AddStringToObject(jwk, "alg", "HS256") && cJSON_AddStringToObject(jwk, "k", k))
			rc = 0;
		memset(k, 0, n);
		jwk = NULL;
	}
	free(k);
	cJSON_Delete(jwk);
	return rc;
}

/* The JWKS text and the verification set of v; 0 or -1. */
static int view_publish(struct view *v, const keyring *r)
{
	cJSON *doc = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(doc, "keys"), *jwk;
	char *text = NULL;
	int rc = -1;

	for (size_t i = 0; arr && i < v->n; i++) {
		if (keys_public_jwk(v->e[i].k, &jwk) != JOSE_OK || !cJSON_AddItemToArray(arr, jwk))
			goto out;
		v->algs |= JOSE_ALG_BIT(jose_alg_from_name(keys_alg(v->e[i].k), strlen(keys_alg(v->e[i].k))));
	}
	if (!arr || !(v->jwks = cJSON_PrintUnformatted(doc)))
		goto out;
	v->jwks_len = strlen(v->jwks);
	if (r->legacy) {
		if (add_legacy(arr, r->legacy, r->legacy_len))
			goto out;
		v->algs |= JOSE_ALG_BIT(JOSE_ALG_HS256);
	}
	if (!(text = cJSON_PrintUnformatted(doc)) || jose_jwks_import(text, strlen(text), &v->verify, NULL))
		goto out;
	rc = 0;
out:
	if (text) {
		memset(text, 0, strlen(text));
		free(text);
	}
	cJSON_Delete(doc);
	return rc;
}

/* Build the view of rows, reusing keys of old; NULL with err on failure. */
static struct view *view_build(const keyring *r, const struct view *old, const struct rows *rows, char *err,
                               size_t errlen)
{
	struct view *v = calloc(1, sizeof *v);
	int sealed = 0;

	if (!v) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	for (; v->n < rows->n; v->n++) {
		const struct store_key *k = &rows->k[v->n];
		struct entry *e = &v->e[v->n];
		e->created_at = k->created_at, e->not_before = k->not_before;
		e->retired_at = k->retired_at, e->expires_at = k->expires_at;
		if ((e->k = reuse(old, k->kid)))
			continue;
		if (keys_from_row(k, &r->seal, &e->k, &sealed) != JOSE_OK) {
			snprintf(
			    err, errlen,
			    sealed ? "stored key %s (%s) is sealed, and no secret in SECRETS_SYSTEM opens it"
			           : "stored key %s (%s) cannot be loaded",
			    k->kid, k->alg);
			goto fail;
		}
	}
	if (view_publish(v, r) == 0)
		return v;
	snprintf(err, errlen, "cannot build the JWKS");
fail:
	for (size_t i = 0; i <= v->n && i < KEYRING_MAX_KEYS; i++)
		if (v->e[i].k && !reuse(old, keys_kid(v->e[i].k)))
			keys_free(v->e[i].k);
	v->n = 0;
	view_free(v, 0);
	return NULL;
}

/* Free the keys of old that v no longer holds, then old itself. */
static void view_retire(struct view *old, const struct view *v)
{
	for (size_t i = 0; old && i < old->n; i++) {
		size_t j = 0;
		while (j < v->n && v->e[j].k != old->e[i].k)
			j++;
		if (j == v->n)
			keys_free(old->e[i].k);
	}
	view_free(old, 0);
}

/* Make sure the first n required algs have an eligible row, adding keys as needed. */
static int ensure_required(keyring *r, size_t n, store *s, WC_RNG *rng, int64_t now, struct rows *rows,
                           char *err, size_t errlen)
{
	for (size_t i = 0; i < n && i < r->n_required; i++) {
		size_t j = 0;
		while (j < rows->n &&
		       !(strcmp(rows->k[j].alg, r->required[i]) == 0 && eligible(&rows->k[j], now)))
			j++;
		if (j == rows->n && add_key(r, s, rng, r->required[i], now, now, rows, err, errlen))
			return -1;
	}
	return 0;
}

/* see keyring.h */
void keyring_set_seal(keyring *r, const seal_keys *seal)
{
	r->seal = *seal;
}

/* see keyring.h */
void keyring_set_rotation(keyring *r, int64_t every, int64_t lead, int64_t grace)
{
	r->rotate_every = every;
	r->rotate_lead = lead;
	r->rotate_grace = grace;
}

/*
 * Scheduled rotation of alg (see keyring_set_rotation) over rows (newest first):
 * retire the keys past their period that a newer key has superseded (keys an
 * operator rotated out early are left to `keys retire`), then, when the key that
 * signs is due and no newer key waits for its lead time, add its successor.
 */
static int rotate_alg(keyring *r, const char *alg, store *s, WC_RNG *rng, int64_t now, struct rows *rows,
                      char *err, size_t errlen)
{
	const struct store_key *newest = NULL, *signs = NULL;
	store_err se;

	for (size_t j = 0; j < rows->n; j++) {
		struct store_key *k = &rows->k[j];
		if (strcmp(k->alg, alg) != 0 || k->retired_at != 0)
			continue;
		if (!newest)
			newest = k;
		if (signs && eligible(k, now) && now - k->created_at >= r->rotate_every) {
			if ((se = store_key_retire(s, k->kid, now, now + r->rotate_grace)) != STORE_OK) {
				snprintf(err, errlen, "cannot retire the superseded %s key: %s (%s)", alg,
				         store_strerror(se), store_errmsg(s));
				return -1;
			}
			k->retired_at = now, k->expires_at = now + r->rotate_grace;
		} else if (!signs && eligible(k, now)) {
			signs = k;
		}
	}
	if (signs && newest == signs && now - signs->created_at >= r->rotate_every)
		return add_key(r, s, rng, alg, now, now + r->rotate_lead, rows, err, errlen);
	return 0;
}

static int sync_locked(keyring *r, store *s, WC_RNG *rng, int64_t now, size_t n, char *err, size_t errlen);

/* see keyring.h */
int keyring_sync(keyring *r, store *s, WC_RNG *rng, int64_t now, char *err, size_t errlen)
{
	return keyring_sync_first(r, s, rng, now, r->n_required, err, errlen);
}

/* see keyring.h */
int keyring_sync_first(keyring *r, store *s, WC_RNG *rng, int64_t now, size_t n, char *err, size_t errlen)
{
	int rc;

	pthread_mutex_lock(&r->sync);
	rc = sync_locked(r, s, rng, now, n, err, errlen);
	pthread_mutex_unlock(&r->sync);
	return rc;
}

/* keyring_sync_first's work, under r->sync (it reads r->v without the rwlock). */
static int sync_locked(keyring *r, store *s, WC_RNG *rng, int64_t now, size_t n, char *err, size_t errlen)
{
	struct rows rows = {0, calloc(KEYRING_MAX_KEYS, sizeof(struct store_key)), 0};
	struct view *v = NULL, *old = r->v;
	store_err se;
	int rc = -1;

	if (!rows.k) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if ((se = store_key_list(s, now, collect, &rows)) != STORE_OK) {
		snprintf(err, errlen, "cannot list keys: %s (%s)", store_strerror(se), store_errmsg(s));
		goto out;
	}
	if (rows.truncated && atomic_load(&r->warned) == 0)
		atomic_store(&r->warned, 1);
	if (ensure_required(r, n, s, rng, now, &rows, err, errlen))
		goto out;
	for (size_t i = 0; r->rotate_every > 0 && n == r->n_required && i < r->n_required; i++)
		if (rotate_alg(r, r->required[i], s, rng, now, &rows, err, errlen))
			goto out;
	if (same(old, &rows)) {
		rc = 0;
		goto out;
	}
	if (!(v = view_build(r, old, &rows, err, errlen)))
		goto out;
	pthread_rwlock_wrlock(&r->lock);
	r->v = v;
	pthread_rwlock_unlock(&r->lock);
	view_retire(old, v);
	rc = 0;
out:
	rows_free(&rows);
	return rc;
}

/* The legacy HS256 token of payload; JOSE_OK or an error. */
static jose_err sign_legacy(const keyring *r, const char *payload, size_t len, char **token)
{
	static const char header[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
	size_t hl = JOSE_B64URL_ENCODED_LEN(sizeof header - 1), pl = JOSE_B64URL_ENCODED_LEN(len);
	size_t cap = hl + 1 + pl + 1 + JOSE_B64URL_ENCODED_LEN(32) + 1, n;
	uint8_t mac[32];
	char *t = malloc(cap);
	Hmac h;
	int ok;

	if (!t)
		return JOSE_E_NOMEM;
	n = jose_b64url_encode(t, cap, (const uint8_t *)header, sizeof header - 1);
	t[n++] = '.';
	n += jose_b64url_encode(t + n, cap - n, (const uint8_t *)payload, len);
	ok = wc_HmacInit(&h, NULL, INVALID_DEVID) == 0;
	ok = ok && wc_HmacSetKey(&h, WC_SHA256, r->legacy, (word32)r->legacy_len) == 0 &&
	     wc_HmacUpdate(&h, (const byte *)t, (word32)n) == 0 && wc_HmacFinal(&h, mac) == 0;
	wc_HmacFree(&h);
	if (!ok) {
		free(t);
		return JOSE_E_INTERNAL;
	}
	t[n++] = '.';
	n += jose_b64url_encode(t + n, cap - n, mac, sizeof mac);
	t[n] = '\0';
	*token = t;
	return JOSE_OK;
}

/* The key of v that signs alg at now (not retired, past its lead time), or NULL. Under r->lock. */
static const struct entry *signer(const struct view *v, const char *alg, int64_t now)
{
	for (size_t i = 0; v && i < v->n; i++) {
		const struct entry *e = &v->e[i];
		if (e->retired_at == 0 && e->not_before <= now && strcmp(keys_alg(e->k), alg) == 0)
			return e;
	}
	return NULL;
}

/* see keyring.h */
jose_err keyring_sign(keyring *r, const char *alg, WC_RNG *rng, int64_t now, const char *header_extra,
                      const char *payload, size_t len, char **token)
{
	jose_err err = JOSE_E_ARG;
	const struct entry *e;

	*token = NULL;
	if (strcmp(alg, "HS256") == 0)
		return r->legacy ? sign_legacy(r, payload, len, token) : JOSE_E_ARG;
	pthread_rwlock_rdlock(&r->lock);
	if ((e = signer(r->v, alg, now)) != NULL)
		err = keys_sign_jws(e->k, rng, header_extra, payload, len, token);
	pthread_rwlock_unlock(&r->lock);
	return err;
}

/* see keyring.h */
size_t keyring_signers(keyring *r, int64_t now, struct keyring_signer *out, size_t max)
{
	const struct view *v;
	size_t n = 0;

	pthread_rwlock_rdlock(&r->lock);
	v = r->v;
	for (size_t i = 0; v && i < v->n && n < max; i++) {
		const char *alg = keys_alg(v->e[i].k);
		size_t j = 0;

		while (j < n && strcmp(out[j].alg, alg) != 0)
			j++;
		if (j < n || signer(v, alg, now) != &v->e[i] || strlen(alg) >= sizeof out[n].alg)
			continue; /* seen already, or not the key that signs its algorithm */
		strcpy(out[n].alg, alg);
		out[n++].created_at = v->e[i].created_at;
	}
	pthread_rwlock_unlock(&r->lock);
	return n;
}

/* see keyring.h */
int keyring_can_sign(keyring *r, const char *alg, int64_t now)
{
	int ok;

	if (strcmp(alg, "HS256") == 0)
		return r->legacy != NULL;
	pthread_rwlock_rdlock(&r->lock);
	ok = signer(r->v, alg, now) != NULL;
	pthread_rwlock_unlock(&r->lock);
	return ok;
}

/* see keyring.h */
jose_err keyring_verify(keyring *r, const jose_jwt_opts *opts, const char *token, size_t len, jose_jwt *out,
                        jose_fail *why)
{
	jose_jwt_opts o = *opts;
	jose_err err = JOSE_E_INTERNAL;

	memset(out, 0, sizeof *out);
	pthread_rwlock_rdlock(&r->lock);
	if (r->v) {
		if (!o.algs)
			o.algs = r->v->algs;
		err = jose_jwt_verify(r->v->verify, &o, token, len, out, why);
	}
	pthread_rwlock_unlock(&r->lock);
	return err;
}

/* see keyring.h */
char *keyring_jwks(keyring *r, size_t *len)
{
	char *out = NULL;

	pthread_rwlock_rdlock(&r->lock);
	if (r->v && (out = malloc(r->v->jwks_len + 1))) {
		memcpy(out, r->v->jwks, r->v->jwks_len + 1);
		*len = r->v->jwks_len;
	}
	pthread_rwlock_unlock(&r->lock);
	return out;
}

/* see keyring.h */
void keyring_stats(keyring *r, size_t *published, int *legacy)
{
	pthread_rwlock_rdlock(&r->lock);
	*published = r->v ? r->v->n : 0;
	pthread_rwlock_unlock(&r->lock);
	*legacy = r->legacy != NULL;
}

/* see keyring.h */
void keyring_algs(keyring *r, char *buf, size_t cap)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < r->n_required; i++)
		n += (size_t)snprintf(buf + n, n < cap ? cap - n : 0, "%s%s", i ? "," : "", r->required[i]);
	if (r->legacy && n < cap)
		snprintf(buf + n, cap - n, "%sHS256", n ? "," : "");
}
