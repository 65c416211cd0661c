/*
 * app.c: shared and per-thread state of the running issuer (see app.h). Every
 * failure here is reported as one line; nothing in this file writes a secret
 * anywhere (the browser-ui secret is hashed and wiped from the copy it makes).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "runtime/app.h"
#include "runtime/audit.h"
#include "runtime/coro.h"
#include "runtime/reqlog.h"
#include "crypto/secret.h"

/* see app.h */
int64_t app_now(void)
{
	return (int64_t)time(NULL);
}

/* Register (or re-key) the legacy `browser-ui` client with secret; 0 or -1. */
static int browser_ui(store *db, WC_RNG *rng, const char *secret, char *err, size_t errlen)
{
	struct store_client c;
	store_err e = store_client_get(db, "browser-ui", &c);

	if (e == STORE_OK && secret_client_check(&c, secret, strlen(secret)))
		return 0;
	if (e == STORE_OK)
		e = store_client_delete(db, "browser-ui");
	if (e != STORE_OK && e != STORE_NOT_FOUND)
		goto fail;
	memset(&c, 0, sizeof c);
	strcpy(c.id, "browser-ui");
	strcpy(c.grants, "client_credentials");
	c.created_at = app_now();
	if (secret_client_set(rng, &c, secret, strlen(secret))) {
		snprintf(err, errlen, "cannot hash BROWSER_UI_CLIENT_SECRET");
		return -1;
	}
	if ((e = store_client_put(db, &c)) == STORE_OK)
		return 0;
fail:
	snprintf(err, errlen, "cannot register the browser-ui client: %s (%s)", store_strerror(e),
	         store_errmsg(db));
	return -1;
}

/* idb_password_jobs: the worker pool's depth (pool_depth is safe from any thread). */
static unsigned pool_depth_of(void *p)
{
	return pool_depth(p);
}

/*
 * The algorithms the ring must sign with: every one a client may register for
 * its ID tokens (store_client.id_token_alg, discovery's
 * id_token_signing_alg_values_supported), which includes every JWT_ALGORITHM
 * but the legacy HS256 (the legacy secret signs that).
 */
static keyring *make_ring(const server_config *cfg)
{
	const char *req[4] = {"ES256", "RS256", "EdDSA", "PS256"}, *legacy = cfg->legacy_secret;
	keyring *r;

	/* The configured alg third: start-up makes keys for the first APP_KEYS_AT_START. */
	for (size_t i = 2; i < 4; i++)
		if (strcmp(req[i], cfg->alg) == 0)
			req[i] = req[2], req[2] = cfg->alg;
	r = keyring_new(req, 4, legacy, legacy ? strlen(legacy) : 0);

	/* A retired key stays published while a token it signed may live, and some clock skew. */
	if (r)
		keyring_set_rotation(r, cfg->key_rotation, cfg->key_lead,
		                     cfg->token_ttl + APP_KEY_GRACE_EXTRA);
	if (r && cfg->seal)
		keyring_set_seal(r, cfg->seal);
	return r;
}

/* The key thread: the keys start-up did not wait for (beyond APP_KEYS_AT_START), made
 * on a connection and RNG of its own while the loops already answer. */
static void *keygen_main(void *arg)
{
	app *a = arg;
	char err[256];
	store *db = store_open(a->cfg->db, err, sizeof err);
	WC_RNG rng;
	int ok = 0;

	if (db && wc_InitRng(&rng) == 0) {
		ok = keyring_sync(a->keys, db, &rng, app_now(), err, sizeof err) == 0;
		wc_FreeRng(&rng);
	}
	if (!ok) /* thread 0's next sync tries again */
		reqlog_print("warn",
		             (reqlog_field[]){{"msg", "key generation deferred", 0},
		                              {"reason", db ? err : "cannot open the store", 0}},
		             2);
	store_close(db);
	return NULL;
}

/* see app.h */
app *app_start(const server_config *cfg, const char *const *route_names, size_t n_routes, char *err,
               size_t errlen)
{
	app *a = calloc(1, sizeof *a);
	store *db = NULL;
	WC_RNG rng;
	int rng_ok = 0;

	if (!a || !(a->metrics = metrics_new(cfg->threads, route_names, n_routes)) ||
	    !(a->keys = make_ring(cfg)) || !(a->limits = ratelimit_new(&cfg->limits))) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (!(a->workers = pool_new(cfg->workers ? cfg->workers : 1))) {
		snprintf(err, errlen, "cannot start the worker threads");
		goto fail;
	}
	metrics_set_password_jobs(a->metrics, pool_depth_of, a->workers);
	metrics_set_keyring(a->metrics, a->keys, cfg->key_rotation);
	metrics_set_audit_dropped(a->metrics, audit_dropped);
	a->cfg = cfg;
	a->started = app_now();
	if (!(db = store_open(cfg->db, err, errlen)))
		goto fail;
	if (wc_InitRng(&rng) != 0) {
		snprintf(err, errlen, "cannot seed the random number generator");
		goto fail;
	}
	rng_ok = 1;
	if (cfg->browser_ui_secret && browser_ui(db, &rng, cfg->browser_ui_secret, err, errlen))
		goto fail;
	/* ES256, RS256 and the configured alg now; the others on the key thread while the
	 * loops start, so a first start waits for one RSA key, not two. */
	if (keyring_sync_first(a->keys, db, &rng, a->started, APP_KEYS_AT_START, err, errlen))
		goto fail;
	store_close(db); /* migrated: the pool's connections open a current schema */
	db = NULL;
	if (!(a->db = dbpool_new(cfg->db, cfg->db_pool ? cfg->db_pool : 1, cfg->db_timeout_ms, err, errlen)))
		goto fail;
	metrics_set_store(a->metrics, a->db);
	if (cfg->mail && !(a->mail = mailer_start(cfg->mail, cfg->db, err, errlen)))
		goto fail;
	a->keygen_started = pthread_create(&a->keygen, NULL, keygen_main, a) == 0;
	wc_FreeRng(&rng);
	return a;
fail:
	if (rng_ok)
		wc_FreeRng(&rng);
	store_close(db);
	app_stop(a);
	return NULL;
}

/* see app.h */
void app_stop(app *a)
{
	if (!a)
		return;
	if (a->keygen_started)
		pthread_join(a->keygen, NULL);
	mailer_stop(a->mail);
	pool_free(a->workers);
	dbpool_free(a->db);
	keyring_free(a->keys);
	ratelimit_free(a->limits);
	metrics_free(a->metrics);
	free(a);
}

/* see app.h */
int app_thread_init(app_thread *t, app *a, unsigned index, char *err, size_t errlen)
{
	memset(t, 0, sizeof *t);
	t->app = a;
	t->index = index;
	if (wc_InitRng(&t->rng) != 0) {
		snprintf(err, errlen, "cannot seed the random number generator");
		return -1;
	}
	if (!(t->clients = calloc(APP_CLIENT_CACHE, sizeof *t->clients))) {
		snprintf(err, errlen, "out of memory");
		wc_FreeRng(&t->rng);
		return -1;
	}
	t->db = dbpool_store(a->db);
	if (wc_RNG_GenerateBlock(&t->rng, (byte *)&t->rid, sizeof t->rid) != 0 || !t->rid)
		t->rid = 0x9e3779b97f4a7c15ull ^ (uint64_t)index;
	t->next_sync = app_now() + APP_KEY_SYNC_SECONDS;
	t->next_purge = app_now() + 60;
	return 0;
}

/* The tick's work, in its coroutine: key sync every APP_KEY_SYNC_SECONDS, purges
 * every APP_PURGE_SECONDS. */
static void tick(void *arg)
{
	app_thread *t = arg;
	int64_t now = app_now();
	const char *warning;
	char err[256];

	if (now >= t->next_sync) {
		t->next_sync = now + APP_KEY_SYNC_SECONDS;
		if (keyring_sync(t->app->keys, t->db, &t->rng, now, err, sizeof err))
			reqlog_print("error",
			             (reqlog_field[]){{"msg", "key sync failed", 0}, {"reason", err, 0}}, 2);
		if ((warning = keyring_warning(t->app->keys)))
			reqlog_print("warn", (reqlog_field[]){{"msg", warning, 0}}, 1);
	}
	if (now >= t->next_purge) {
		t->next_purge = now + APP_PURGE_SECONDS;
		store_revoke_purge(t->db, now);
		store_code_purge(t->db, now);
		store_flow_purge(t->db, now);
		store_session_purge(t->db, now);
		store_refresh_purge(t->db, now);
		store_key_purge(t->db, now);
		store_login_purge(t->db, now, t->app->cfg->lockout_seconds);
		store_link_purge(t->db, now);
		store_challenge_purge(t->db, now);
	}
	t->ticking = 0;
}

/* see app.h */
void app_thread_tick(app_thread *t)
{
	int64_t now = app_now();

	if (t->index != 0 || t->ticking || (now < t->next_sync && now < t->next_purge))
		return;
	t->ticking = 1;
	if (coro_start(tick, t) != 0)
		t->ticking = 0; /* none to be had now: the next round tries again */
}

/* see app.h */
store_err app_client_get(app_thread *t, const char *id, struct store_client *out)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	struct app_client_slot *slot;
	int64_t now = app_now();
	store_err e;

	for (const char *p = id; *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	slot = &t->clients[h % APP_CLIENT_CACHE];
	if (slot->fetched && now - slot->fetched < APP_CLIENT_TTL && strcmp(slot->c.id, id) == 0) {
		*out = slot->c;
		return STORE_OK;
	}
	if ((e = store_client_get(t->db, id, out)) == STORE_OK) {
		slot->c = *out;
		slot->fetched = now;
	}
	return e;
}

/* see app.h */
void app_request_id(app_thread *t, char out[APP_REQUEST_ID_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	uint64_t x = t->rid, v;

	x ^= x >> 12, x ^= x << 25, x ^= x >> 27;
	t->rid = x;
	v = x * 0x2545f4914f6cdd1dull;
	for (int i = APP_REQUEST_ID_LEN - 1; i >= 0; i--, v >>= 4)
		out[i] = hex[v & 15];
	out[APP_REQUEST_ID_LEN] = '\0';
}

/* see app.h */
void app_log_flush(app_thread *t, int64_t now_ms)
{
	size_t off = 0;

	while (off < t->log_len) {
		ssize_t n = write(STDERR_FILENO, t->log + off, t->log_len - off);
		if (n <= 0)
			break; /* logging never fails a request: a full or closed stderr drops lines */
		off += (size_t)n;
	}
	t->log_len = 0;
	t->log_flushed_ms = now_ms;
}

/* see app.h */
void app_log(app_thread *t, const char *line, size_t len, int64_t now_ms)
{
	if (t->log_len + len > sizeof t->log)
		app_log_flush(t, now_ms);
	if (len <= sizeof t->log) {
		memcpy(t->log + t->log_len, line, len);
		t->log_len += len;
	}
}

/* see app.h */
void app_thread_fini(app_thread *t)
{
	app_log_flush(t, 0);
	if (t->clients) {
		memset(t->clients, 0, APP_CLIENT_CACHE * sizeof *t->clients);
		free(t->clients);
		t->clients = NULL;
	}
	if (t->db) {
		wc_FreeRng(&t->rng);
		t->db = NULL; /* the pool's: app_stop closes it */
	}
}
