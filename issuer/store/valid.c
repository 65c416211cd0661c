/*
 * valid.c: the checks a row must pass before any backend writes it (see
 * valid.h). Pure functions of the row: nothing here looks at a database.
 */
#include <stdint.h>
#include <string.h>

#include "jose_utf8.h"

#include "store/valid.h"

/* The JWAs the issuer can sign ID tokens with (keys.c makes keys of these);
 * "" is the default, RS256 (OIDC Core §3.1.3.7: what a client gets unless it
 * registered another). Kept here too so that no handler meets another value. */
static int id_token_alg_valid(const struct store_client *c)
{
	static const char *const algs[] = {"", "RS256", "PS256", "ES256", "EdDSA"};

	if (!STORE_TERMINATED(c->id_token_alg))
		return 0;
	for (size_t i = 0; i < sizeof algs / sizeof algs[0]; i++)
		if (strcmp(c->id_token_alg, algs[i]) == 0)
			return 1;
	return 0;
}

/* see valid.h */
int store_client_valid(const struct store_client *c)
{
	return STORE_TERMINATED(c->id) && c->id[0] && STORE_TERMINATED(c->grants) &&
	       STORE_TERMINATED(c->redirect_uris) && STORE_TERMINATED(c->audiences) &&
	       STORE_TERMINATED(c->scope) && STORE_TERMINATED(c->subjects) &&
	       STORE_TERMINATED(c->post_logout_uris) &&
	       store_list_valid(c->post_logout_uris, STORE_LIST_MAX) && id_token_alg_valid(c) &&
	       store_list_valid(c->grants, STORE_GRANTS_MAX) &&
	       store_list_valid(c->redirect_uris, STORE_LIST_MAX) &&
	       store_list_valid(c->audiences, STORE_LIST_MAX) &&
	       store_list_valid(c->subjects, STORE_LIST_MAX) && !strchr(c->scope, '\n') &&
	       (c->is_public == 0 || c->is_public == 1) && (c->needs_consent == 0 || c->needs_consent == 1) &&
	       c->secret_hash_len <= STORE_HASH_MAX && c->secret_salt_len <= STORE_SALT_MAX &&
	       (c->is_public ? c->secret_hash_len == 0 : c->secret_hash_len > 0) &&
	       STORE_TERMINATED(c->name) && !strchr(c->name, '\n') && STORE_TERMINATED(c->logo_uri) &&
	       !strchr(c->logo_uri, '\n') && c->prev_hash_len <= STORE_HASH_MAX &&
	       c->prev_salt_len <= STORE_SALT_MAX && c->prev_until >= 0 &&
	       (c->require_mfa == 0 || c->require_mfa == 1);
}

/* see valid.h */
int store_key_valid(const struct store_key *k)
{
	return STORE_TERMINATED(k->kid) && k->kid[0] && STORE_TERMINATED(k->alg) && k->alg[0] &&
	       k->private_der_len > 0 && k->private_der_len <= STORE_KEY_DER_MAX &&
	       (!k->expires_at || (k->retired_at && k->expires_at >= k->retired_at));
}

/* see valid.h */
int store_code_valid(const struct store_code *c)
{
	return c->code_hash_len > 0 && c->code_hash_len <= STORE_HASH_MAX && STORE_TERMINATED(c->client_id) &&
	       STORE_TERMINATED(c->user_id) && STORE_TERMINATED(c->redirect_uri) &&
	       STORE_TERMINATED(c->scope) && STORE_TERMINATED(c->nonce) &&
	       STORE_TERMINATED(c->code_challenge) && STORE_TERMINATED(c->code_challenge_method) &&
	       c->session_hash_len <= STORE_HASH_MAX && STORE_TERMINATED(c->amr) && store_amr_valid(c->amr);
}

/* see valid.h */
int store_link_valid(const struct store_link *l)
{
	return l->hash_len > 0 && l->hash_len <= STORE_HASH_MAX && STORE_TERMINATED(l->kind) && l->kind[0] &&
	       STORE_TERMINATED(l->user_id) && STORE_TERMINATED(l->email) && l->expires_at > l->created_at;
}

/* see valid.h */
int store_user_valid(const struct store_user *u)
{
	return STORE_TERMINATED(u->id) && u->id[0] && STORE_TERMINATED(u->username) && u->username[0] &&
	       STORE_TERMINATED(u->email) && STORE_TERMINATED(u->password_hash) && u->password_hash[0] &&
	       STORE_TERMINATED(u->name) && !strchr(u->name, '\n') && STORE_TERMINATED(u->groups) &&
	       store_list_valid(u->groups, STORE_GROUPS_MAX) &&
	       (u->email_verified == 0 || u->email_verified == 1) && (u->disabled == 0 || u->disabled == 1) &&
	       (u->verify_required == 0 || u->verify_required == 1);
}

/* see valid.h */
int store_session_valid(const struct store_session *se)
{
	return se->id_hash_len > 0 && se->id_hash_len <= STORE_HASH_MAX && STORE_TERMINATED(se->user_id) &&
	       se->user_id[0] && STORE_TERMINATED(se->amr) && store_amr_valid(se->amr);
}

/* see valid.h */
int store_refresh_valid(const struct store_refresh *r)
{
	return r->hash_len > 0 && r->hash_len <= STORE_HASH_MAX && STORE_TERMINATED(r->family_id) &&
	       r->family_id[0] && STORE_TERMINATED(r->client_id) && r->client_id[0] &&
	       STORE_TERMINATED(r->user_id) && r->user_id[0] && STORE_TERMINATED(r->scope) &&
	       !strchr(r->scope, '\n') && r->session_hash_len <= STORE_HASH_MAX && STORE_TERMINATED(r->amr) &&
	       store_amr_valid(r->amr);
}

/* see valid.h */
int store_flow_valid(const struct store_flow *f)
{
	return f->id_hash_len > 0 && f->id_hash_len <= STORE_HASH_MAX && f->csrf_hash_len > 0 &&
	       f->csrf_hash_len <= STORE_HASH_MAX && f->browser_hash_len > 0 &&
	       f->browser_hash_len <= STORE_HASH_MAX && STORE_TERMINATED(f->client_id) && f->client_id[0] &&
	       STORE_TERMINATED(f->redirect_uri) && f->redirect_uri[0] && STORE_TERMINATED(f->scope) &&
	       !strchr(f->scope, '\n') && STORE_TERMINATED(f->state) && STORE_TERMINATED(f->nonce) &&
	       STORE_TERMINATED(f->code_challenge) && STORE_TERMINATED(f->code_challenge_method) &&
	       STORE_TERMINATED(f->user_id) && f->prompt >= 0 &&
	       f->prompt <= (STORE_PROMPT_LOGIN | STORE_PROMPT_CONSENT) && f->max_age >= -1 &&
	       f->auth_time >= 0 && (f->user_id[0] == '\0') == (f->auth_time == 0) &&
	       STORE_TERMINATED(f->amr) && store_amr_valid(f->amr) &&
	       (f->mfa_pending == 0 || (f->mfa_pending == 1 && f->user_id[0]));
}

/* 1 when s holds no control character (nor DEL): one line of text. */
static int no_controls(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

/* see valid.h */
int store_amr_valid(const char *amr)
{
	return amr && strnlen(amr, STORE_AMR_MAX + 1) <= STORE_AMR_MAX && no_controls(amr);
}

/* see valid.h */
int store_factor_kind_valid(const char *kind)
{
	return kind && (strcmp(kind, STORE_FACTOR_TOTP) == 0 || strcmp(kind, STORE_FACTOR_RECOVERY) == 0 ||
	                strcmp(kind, STORE_FACTOR_PASSKEY) == 0);
}

/* see valid.h */
int store_factor_valid(const struct store_factor *f)
{
	int passkey = STORE_TERMINATED(f->kind) && strcmp(f->kind, STORE_FACTOR_PASSKEY) == 0;

	return STORE_TERMINATED(f->id) && f->id[0] && no_controls(f->id) && STORE_TERMINATED(f->user_id) &&
	       f->user_id[0] && STORE_TERMINATED(f->kind) && store_factor_kind_valid(f->kind) &&
	       STORE_TERMINATED(f->name) && no_controls(f->name) && f->cred_id_len <= STORE_CRED_ID_MAX &&
	       (passkey ? f->cred_id_len > 0 : f->cred_id_len == 0) && f->data_len <= STORE_FACTOR_DATA_MAX &&
	       f->counter >= 0 && (f->confirmed == 0 || f->confirmed == 1) && f->created_at >= 0 &&
	       f->last_used_at >= 0;
}

/* see valid.h */
int store_rotate_args_valid(const uint8_t *old_hash, size_t old_len, const struct store_refresh *next,
                            const struct store_refresh *old_out, int64_t grace)
{
	return old_hash && next && old_out && old_len > 0 && old_len <= STORE_HASH_MAX &&
	       next->hash_len > 0 && next->hash_len <= STORE_HASH_MAX && STORE_TERMINATED(next->client_id) &&
	       next->client_id[0] && next->expires_at >= 0 && grace >= 0;
}

/* see valid.h */
int store_regrant_due(const struct store_rotation *r, const struct store_refresh *old, int64_t now,
                      int64_t grace)
{
	return r->used && grace > 0 && !r->revoked && old->expires_at > now && now - r->used_at < grace &&
	       r->replaced_by_len > 0;
}

/* see valid.h */
void store_refresh_successor(const struct store_refresh *old, const struct store_refresh *next,
                             struct store_refresh *row)
{
	*row = *old;
	memcpy(row->hash, next->hash, next->hash_len);
	row->hash_len = next->hash_len;
	row->created_at = next->created_at;
	row->expires_at = next->expires_at ? next->expires_at : old->expires_at;
}

/* see valid.h */
int store_login_name(const char *username, char out[STORE_USERNAME_MAX + 1])
{
	size_t n = username ? strnlen(username, STORE_USERNAME_MAX + 1) : 0;

	if (n == 0 || n > STORE_USERNAME_MAX)
		return -1;
	for (size_t i = 0; i < n; i++)
		out[i] =
		    username[i] >= 'A' && username[i] <= 'Z' ? (char)(username[i] - 'A' + 'a') : username[i];
	out[n] = '\0';
	return 0;
}

/* see valid.h */
int store_login_args_valid(int64_t now, int threshold, int64_t period)
{
	return now >= 0 && threshold >= 0 && period >= 1 && period <= INT64_MAX - now;
}

/* 1 when s is set and holds no control character (nor DEL). */
static int mail_word(const char *s)
{
	return *s && no_controls(s);
}

/* see valid.h */
int store_mail_valid(const struct store_mail *m)
{
	return STORE_TERMINATED(m->id) && mail_word(m->id) && STORE_TERMINATED(m->kind) &&
	       mail_word(m->kind) && STORE_TERMINATED(m->sender) && mail_word(m->sender) &&
	       STORE_TERMINATED(m->rcpt) && mail_word(m->rcpt) && STORE_TERMINATED(m->message) &&
	       m->message[0] && STORE_TERMINATED(m->last_error) && m->state == STORE_MAIL_QUEUED &&
	       m->attempts == 0 && m->lease_until == 0 && m->done_at == 0 && m->next_at > 0 &&
	       m->created_at > 0;
}

#define ALNUM "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
/* RFC 5321 §4.5.3.1.1: the local part of an address is at most 64 octets. */
#define EMAIL_LOCAL_MAX 64

/* see valid.h */
int store_username_valid(const char *u)
{
	size_t n = strspn(u, ALNUM "._@+-");

	return n > 0 && n <= STORE_USERNAME_MAX && u[n] == '\0';
}

/* see valid.h */
int store_email_valid(const char *e)
{
	const char *at = strchr(e, '@'), *d;
	size_t local, n;

	if (!at || strlen(e) > STORE_EMAIL_MAX)
		return 0;
	local = (size_t)(at - e);
	if (local == 0 || local > EMAIL_LOCAL_MAX || strspn(e, ALNUM ".!#$%&'*+/=?^_`{|}~-") != local)
		return 0;
	for (d = at + 1;; d += n + 1) {
		n = strspn(d, ALNUM "-");
		if (n == 0 || n > 63 || d[0] == '-' || d[n - 1] == '-')
			return 0;
		if (d[n] == '\0')
			return 1;
		if (d[n] != '.')
			return 0;
	}
}

/* see valid.h */
int store_fullname_valid(const char *n)
{
	size_t len = strlen(n), at = 0, k;
	uint32_t cp;

	if (len == 0 || len > STORE_NAME_MAX)
		return 0;
	for (; at < len; at += k)
		if (!(k = jose_utf8_seq((const uint8_t *)n + at, len - at, &cp)) || cp < 0x20 ||
		    (cp >= 0x7f && cp < 0xa0) || cp == 0x2028 || cp == 0x2029)
			return 0;
	return 1;
}
