/*
 * app.c: shared and per-thread state of the running issuer (see app.h). Every
 * failure here is reported as one line; nothing in this file writes a secret
 * anywhere (the browser-ui secret is hashed and wiped from the copy it makes).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "routes.h"
#include "secret.h"

/* see app.h */
int64_t app_now(void)
{
	return (int64_t)time(NULL);
}

/* Register (or re-key) the seeds' `browser-ui` client with secret; 0 or -1. */
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

/* The algorithms the ring must sign with: ES256, RS256 and the configured one. */
static keyring *make_ring(const server_config *cfg)
{
	const char *req[3] = {"ES256", "RS256", NULL};
	size_t n = 2;
	const char *legacy = cfg->legacy_secret;

	if (strcmp(cfg->alg, "ES256") && strcmp(cfg->alg, "RS256") && strcmp(cfg->alg, "HS256"))
		req[n++] = cfg->alg;
	return keyring_new(req, n, legacy, legacy ? strlen(legacy) : 0);
}

/* see app.h */
app *app_start(const server_config *cfg, char *err, size_t errlen)
{
	app *a = calloc(1, sizeof *a);
	store *db = NULL;
	WC_RNG rng;
	int rng_ok = 0;
	size_t n_routes;
	const char *const *names = routes_names(&n_routes);

	if (!a || !(a->metrics = metrics_new(cfg->threads, names, n_routes)) || !(a->keys = make_ring(cfg))) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	a->cfg = cfg;
	a->started = app_now();
	if (!(db = store_sqlite_open(cfg->db, err, errlen)))
		goto fail;
	if (wc_InitRng(&rng) != 0) {
		snprintf(err, errlen, "cannot seed the random number generator");
		goto fail;
	}
	rng_ok = 1;
	if (cfg->browser_ui_secret && browser_ui(db, &rng, cfg->browser_ui_secret, err, errlen))
		goto fail;
	if (keyring_sync(a->keys, db, &rng, a->started, err, errlen))
		goto fail;
	wc_FreeRng(&rng);
	store_close(db);
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
	keyring_free(a->keys);
	metrics_free(a->metrics);
	free(a);
}

/* see app.h */
int app_thread_init(app_thread *t, app *a, unsigned index, char *err, size_t errlen)
{
	memset(t, 0, sizeof *t);
	t->app = a;
	t->index = index;
	if (!(t->db = store_sqlite_open(a->cfg->db, err, errlen)))
		return -1;
	if (wc_InitRng(&t->rng) != 0) {
		snprintf(err, errlen, "cannot seed the random number generator");
		store_close(t->db);
		t->db = NULL;
		return -1;
	}
	t->next_sync = app_now() + APP_KEY_SYNC_SECONDS;
	t->next_purge = app_now() + 60;
	return 0;
}

/* see app.h */
void app_thread_tick(app_thread *t)
{
	int64_t now = app_now();
	char err[256];

	if (t->index != 0)
		return;
	if (now >= t->next_sync) {
		t->next_sync = now + APP_KEY_SYNC_SECONDS;
		if (keyring_sync(t->app->keys, t->db, &t->rng, now, err, sizeof err))
			fprintf(stderr,
			        "{\"level\":\"error\",\"msg\":\"key sync failed\",\"reason\":\"%s\"}\n", err);
	}
	if (now >= t->next_purge) {
		t->next_purge = now + APP_PURGE_SECONDS;
		store_revoke_purge(t->db, now);
		store_code_purge(t->db, now);
		store_key_purge(t->db, now);
	}
}

/* see app.h */
void app_thread_fini(app_thread *t)
{
	if (t->db) {
		wc_FreeRng(&t->rng);
		store_close(t->db);
		t->db = NULL;
	}
}
