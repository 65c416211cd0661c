// The person-facing grants of /token, /userinfo and discovery, for real:
// `identity-backend serve` on a free loopback port, clients and users made by
// the CLI, driven over HTTP by fetch. Covers grant_type=authorization_code
// (RFC 6749 §4.1.3, RFC 7636 §4.6, OIDC Core §3.1.3) and refresh_token (RFC
// 6749 §6, rotation and reuse detection per RFC 9700 §4.14.2) with every error
// path, public and confidential clients, ID tokens verified by jose (at_hash
// computed here, independently), /userinfo (OIDC Core §5.3, RFC 6750),
// refresh tokens at /introspect and /revoke, CORS, and the discovery document.
//
// Codes come from two places: the real /authorize + /login flow (flow tests),
// and rows written straight into the server's SQLite file with the sqlite3
// CLI (the code's SHA-256, as the store keeps it), which is how the error paths
// get codes of another client, with a `plain` challenge, or already expired,
// without waiting out the 60-second code lifetime. Both are the real store
// under the real server: nothing is mocked.
import crypto from 'node:crypto';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import * as jose from 'jose';
import { reporter, sanitizerReport, serverSet, tempDir } from '../lib.mjs';
import { addClient, basic, cliTranscript, run } from './lib.mjs';

const { report, finish } = reporter('issuer/tokens');
const started = Date.now();
const FORM = 'application/x-www-form-urlencoded';
const dirs = [];
const { servers, serve, stop } = serverSet(report);
const show = (r) => `${r.status} ${r.text ?? r.error ?? ''}`.slice(0, 400);
const isError = (r, status, code) => r.status === status && r.json?.error === code && typeof r.json?.error_description === 'string';
const sha256 = (s) => crypto.createHash('sha256').update(s).digest();
const b64u = (buf) => Buffer.from(buf).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

/** fetch that never rejects: {status, headers, text, json} or {status: 0, error}. */
async function req(url, init = {}) {
	try {
		const r = await fetch(url, { redirect: 'manual', ...init });
		const text = await r.text();
		let json;
		try {
			json = JSON.parse(text);
		} catch {
			json = undefined;
		}
		return { status: r.status, headers: r.headers, text, json };
	} catch (e) {
		return { status: 0, error: `${e.message} ${e.cause?.code ?? ''}` };
	}
}

/** at_hash (OIDC Core §3.1.3.6) of token for an ID token signed with alg, computed here. */
export function atHash(alg, token) {
	const h = alg === 'EdDSA' ? 'sha512' : `sha${alg.slice(2)}`;
	const d = crypto.createHash(h).update(token, 'ascii').digest();
	return b64u(d.subarray(0, d.length / 2));
}

/** Run SQL on db with the sqlite3 CLI (waits up to 5 s for the server's writers). */
function sql(db, text) {
	const r = spawnSync('sqlite3', [db], { input: `.timeout 5000\n${text}\n`, encoding: 'utf8' });
	if (r.status !== 0 || r.stderr) throw new Error(`sqlite3: ${r.stderr}`);
	return r.stdout.trim();
}
const q = (s) => `'${String(s).replaceAll("'", "''")}'`;

try {
	// ==================================================================== set-up
	const dir = tempDir('idb-tokens-');
	dirs.push(dir);
	const DB = path.join(dir, 'identity.db');
	const users = {};
	for (const [name, email] of [['alice', 'alice@example.com'], ['bob', null]]) {
		const r = await run(['user', 'add', '--db', DB, '--username', name, ...(email ? ['--email', email] : []), '--password-stdin'], {
			input: `${name}-password-123\n`,
		});
		if (r.code !== 0) throw new Error(`user add ${name}: ${r.stderr}`);
		users[name] = r.json.user_id;
	}
	const CB = 'https://app.example/cb';
	const SPA_CB = 'http://localhost:5173/cb';
	const C = {};
	const codeGrants = ['--grant', 'authorization_code', '--grant', 'refresh_token'];
	C.web = await addClient(DB, 'web', [...codeGrants, '--redirect-uri', CB]);
	C.web2 = await addClient(DB, 'web2', [...codeGrants, '--redirect-uri', CB]);
	C.spa = await addClient(DB, 'spa', ['--public', ...codeGrants, '--redirect-uri', SPA_CB]);
	C.spa2 = await addClient(DB, 'spa2', ['--public', '--grant', 'authorization_code', '--redirect-uri', SPA_CB, '--scope', 'openid profile email offline_access']);
	C.apiweb = await addClient(DB, 'apiweb', [...codeGrants, '--redirect-uri', CB, '--audience', 'api']);
	C.svc = await addClient(DB, 'svc', ['--grant', 'client_credentials', '--audience', 'api', '--scope', 'openid read']);
	for (const alg of ['ES256', 'PS256', 'EdDSA']) {
		C[alg] = await addClient(DB, `web-${alg}`, [...codeGrants, '--redirect-uri', CB, '--id-token-alg', alg]);
	}
	// Strict rotation: no reuse grace, so that every replay is caught at once (the grace
	// has its own checks in the store contract and the replicas suite).
	const srv = await serve({ db: DB, threads: 2, env: { REFRESH_REUSE_GRACE_SECONDS: '0' } });
	const base = srv.base;
	const ISS = base;
	const JWKS = jose.createRemoteJWKSet(new URL(`${base}/.well-known/jwks.json`), { cooldownDuration: 0 });

	/** Write an authorization code into the store; resolves {code, verifier}. */
	function mint({ client = 'web', user = users.alice, uri = CB, scope = 'openid profile email offline_access', nonce = '', ttl = 60, method = 'S256', authTime = now() - 5 } = {}) {
		const code = b64u(crypto.randomBytes(32));
		const verifier = b64u(crypto.randomBytes(48));
		const challenge = method === 'S256' ? b64u(sha256(verifier)) : verifier;
		sql(
			DB,
			`INSERT INTO auth_codes (code_hash, client_id, user_id, redirect_uri, scope, nonce, code_challenge, code_challenge_method, auth_time, expires_at) VALUES (X'${sha256(code).toString('hex')}', ${q(client)}, ${q(user)}, ${q(uri)}, ${q(scope)}, ${q(nonce)}, ${q(challenge)}, ${q(method)}, ${authTime}, ${now() + ttl});`,
		);
		return { code, verifier, authTime };
	}

	/** POST /token as client c (public: client_id only; else basic or post) with params. */
	function token(c, params, how = 'basic') {
		const body = new URLSearchParams(params);
		const headers = { 'content-type': FORM };
		if (how === 'public') body.set('client_id', c.client_id);
		else if (how === 'basic') headers.authorization = basic(c.client_id, c.client_secret);
		else if (how === 'post') {
			body.set('client_id', c.client_id);
			body.set('client_secret', c.client_secret);
		}
		return req(`${base}/token`, { method: 'POST', headers, body: body.toString() });
	}
	const how = (c) => (c.client_secret ? 'basic' : 'public');
	const exchange = (c, m, extra = {}) => token(c, { grant_type: 'authorization_code', code: m.code, redirect_uri: c === C.spa || c === C.spa2 ? SPA_CB : CB, code_verifier: m.verifier, ...extra }, how(c));
	const refresh = (c, rt, extra = {}) => token(c, { grant_type: 'refresh_token', refresh_token: rt, ...extra }, how(c));
	const verifies = async (t, opts) => {
		try {
			return await jose.jwtVerify(t, JWKS, opts);
		} catch (e) {
			return { error: `${e.code}: ${e.message}` };
		}
	};

	// ============================================= 1. client identification
	let m = mint({ client: 'spa', uri: SPA_CB });
	let r = await token(C.spa, { grant_type: 'authorization_code', code: m.code, redirect_uri: SPA_CB, code_verifier: m.verifier }, 'none');
	report(isError(r, 401, 'invalid_client'), 'public client: no client_id at all → 401 invalid_client', show(r));
	r = await token({ ...C.spa, client_secret: 'a-secret-the-public-client-does-not-have' }, { grant_type: 'authorization_code', code: m.code, redirect_uri: SPA_CB, code_verifier: m.verifier }, 'post');
	report(isError(r, 401, 'invalid_client'), 'public client sending a client_secret → 401 invalid_client', show(r));
	r = await token({ ...C.spa, client_secret: '' }, { grant_type: 'authorization_code', code: m.code, redirect_uri: SPA_CB, code_verifier: m.verifier }, 'basic');
	report(isError(r, 401, 'invalid_client'), 'public client with Basic and an empty secret → 401 invalid_client', show(r));
	r = await token(C.web, { grant_type: 'authorization_code', code: m.code, redirect_uri: CB, code_verifier: m.verifier }, 'public');
	report(isError(r, 401, 'invalid_client'), 'confidential client by client_id alone (no secret) → 401 invalid_client', show(r));
	r = await token({ client_id: 'nobody' }, { grant_type: 'authorization_code', code: m.code, redirect_uri: SPA_CB, code_verifier: m.verifier }, 'public');
	report(isError(r, 401, 'invalid_client'), 'unknown client_id alone → 401 invalid_client', show(r));
	r = await token(C.spa, { grant_type: 'client_credentials' }, 'public');
	report(isError(r, 401, 'invalid_client'), 'public client asking client_credentials by client_id → 401 invalid_client', show(r));
	r = await token(C.svc, { grant_type: 'authorization_code', code: m.code, redirect_uri: CB, code_verifier: m.verifier });
	report(isError(r, 400, 'unauthorized_client'), 'a client without the authorization_code grant → 400 unauthorized_client', show(r));
	r = await exchange(C.spa, m);
	report(r.status === 200, 'the code survived every refused identification (none of them took it)', show(r));

	// ============================================ 2. authorization_code errors
	m = mint();
	for (const [what, params] of [
		['no code', { code: undefined }],
		['no redirect_uri', { redirect_uri: undefined }],
		['no code_verifier', { code_verifier: undefined }],
		['a 42-character code_verifier', { code_verifier: 'a'.repeat(42) }],
		['a 129-character code_verifier', { code_verifier: 'a'.repeat(129) }],
		['a code_verifier with "+"', { code_verifier: `${'a'.repeat(50)}+` }],
	]) {
		const p = { grant_type: 'authorization_code', code: m.code, redirect_uri: CB, code_verifier: m.verifier, ...params };
		for (const k of Object.keys(p)) if (p[k] === undefined) delete p[k];
		r = await token(C.web, p);
		report(isError(r, 400, 'invalid_request'), `${what} → 400 invalid_request`, show(r));
	}
	r = await exchange(C.web, m);
	report(r.status === 200, 'a malformed request does not burn the code: the right exchange then succeeds', show(r));
	r = await exchange(C.web, { code: b64u(crypto.randomBytes(32)), verifier: m.verifier });
	report(isError(r, 400, 'invalid_grant'), 'an unknown code → 400 invalid_grant', show(r));

	m = mint();
	r = await exchange(C.web, { ...m, verifier: b64u(crypto.randomBytes(48)) });
	report(isError(r, 400, 'invalid_grant'), 'PKCE: another code_verifier → 400 invalid_grant (RFC 7636 §4.6)', show(r));
	r = await exchange(C.web, m);
	report(isError(r, 400, 'invalid_grant'), 'PKCE: after a wrong verifier the code is burned (the right one → invalid_grant)', show(r));
	m = mint();
	r = await exchange(C.web, { ...m, verifier: m.verifier.slice(0, -1) + (m.verifier.endsWith('A') ? 'B' : 'A') });
	report(isError(r, 400, 'invalid_grant'), 'PKCE: a verifier one character off → 400 invalid_grant', show(r));
	m = mint({ method: 'plain' });
	r = await exchange(C.web, m);
	report(isError(r, 400, 'invalid_grant'), 'PKCE: a code whose challenge is "plain" (verifier = challenge) → 400 invalid_grant', show(r));
	m = mint();
	r = await exchange(C.web, m, { redirect_uri: `${CB}/other` });
	report(isError(r, 400, 'invalid_grant'), 'redirect_uri differs from the code\'s → 400 invalid_grant', show(r));
	r = await exchange(C.web, m);
	report(isError(r, 400, 'invalid_grant'), 'after a redirect_uri mismatch the code is burned', show(r));
	m = mint({ client: 'web' });
	r = await exchange(C.web2, m);
	report(isError(r, 400, 'invalid_grant'), 'the code of another client → 400 invalid_grant', show(r));
	r = await exchange(C.web, m);
	report(isError(r, 400, 'invalid_grant'), 'a code another client tried is burned for its own client too', show(r));
	m = mint({ ttl: -1 });
	r = await exchange(C.web, m);
	report(isError(r, 400, 'invalid_grant'), 'an expired code → 400 invalid_grant', show(r));

	// Replay: the second exchange fails and revokes what the first one issued (RFC 6749 §4.1.2).
	m = mint();
	const first = await exchange(C.web, m);
	r = await exchange(C.web, m);
	report(first.status === 200 && isError(r, 400, 'invalid_grant'), 'a replayed code → 400 invalid_grant', show(r));
	r = first.json?.refresh_token ? await refresh(C.web, first.json.refresh_token) : { status: 0 };
	report(isError(r, 400, 'invalid_grant'), 'replayed code: the refresh token of its first exchange is revoked', show(r));
	r = first.json?.access_token ? await req(`${base}/introspect`, { method: 'POST', headers: { 'content-type': FORM, authorization: basic('web', C.web.client_secret) }, body: `token=${first.json.access_token}` }) : { status: 0 };
	report(r.status === 200 && r.json?.active === false, 'replayed code: the access token of its first exchange is revoked (introspection: inactive)', show(r));

	// 20 concurrent exchanges of one code: exactly one 200.
	for (const c of [C.web, C.spa]) {
		m = mint(c === C.spa ? { client: 'spa', uri: SPA_CB } : {});
		const all = await Promise.all(Array.from({ length: 20 }, () => exchange(c, m)));
		const ok = all.filter((x) => x.status === 200).length;
		const bad = all.filter((x) => isError(x, 400, 'invalid_grant')).length;
		report(ok === 1 && bad === 19, `${c.client_id}: 20 concurrent exchanges of one code → exactly one 200, 19 invalid_grant`, `${ok} ok, ${bad} invalid_grant; ${[...new Set(all.map((x) => x.status))]}`);
	}

	// ================================================= 3. authorization_code OK
	m = mint({ client: 'spa', uri: SPA_CB, nonce: 'n-0S6_WzA2Mj' });
	r = await exchange(C.spa, m);
	const spaTok = r.json ?? {};
	report(
		r.status === 200 && spaTok.token_type === 'Bearer' && spaTok.expires_in === 900 && spaTok.scope === 'openid profile email offline_access' && /no-store/.test(r.headers.get('cache-control') ?? '') && r.headers.get('pragma') === 'no-cache',
		'public client with PKCE: 200, Bearer, expires_in 900, the code\'s scope, no-store and Pragma no-cache',
		show(r),
	);
	report(r.headers?.get('access-control-allow-origin') === '*', '/token answers carry Access-Control-Allow-Origin: *', r.headers?.get('access-control-allow-origin'));
	let v = spaTok.access_token ? await verifies(spaTok.access_token, { issuer: ISS, audience: ISS, typ: 'at+jwt' }) : { error: 'none' };
	report(
		!v.error && v.payload.sub === users.alice && v.payload.client_id === 'spa' && v.payload.scope === spaTok.scope && v.payload.aud === ISS && v.payload.auth_time === m.authTime && typeof v.payload.jti === 'string' && v.payload.exp - v.payload.iat === 900,
		'access token: RFC 9068 (typ at+jwt) verified by jose; sub = the user, client_id, scope, aud = the issuer, auth_time, jti',
		v.error ?? JSON.stringify(v.payload),
	);
	v = spaTok.id_token ? await verifies(spaTok.id_token, { issuer: ISS, audience: 'spa', typ: 'JWT', algorithms: ['RS256'] }) : { error: 'none' };
	report(
		!v.error && v.payload.sub === users.alice && v.payload.aud === 'spa' && v.payload.nonce === 'n-0S6_WzA2Mj' && v.payload.auth_time === m.authTime && v.payload.exp - v.payload.iat === 900 && Math.abs(v.payload.iat - now()) < 30,
		'ID token: RS256 by default, typ JWT, verified by jose; iss, sub, aud = client_id, nonce, auth_time, iat, exp',
		v.error ?? JSON.stringify(v.payload),
	);
	report(!v.error && v.payload.at_hash === atHash('RS256', spaTok.access_token), 'ID token: at_hash = left half of SHA-256 of the access token (computed here)', v.payload?.at_hash);
	report(!v.error && v.payload.email === 'alice@example.com' && v.payload.email_verified === false && v.payload.preferred_username === 'alice' && !('scope' in v.payload),
		'ID token: the profile and email claims its scope allows (as /userinfo), and no scope', JSON.stringify(v.payload));
	report(typeof spaTok.refresh_token === 'string' && spaTok.refresh_token.length === 43, 'offline_access and the refresh_token grant: a refresh token (43 characters)', show(r));
	report(sql(DB, `SELECT count(*) FROM refresh_tokens WHERE token_hash = X'${sha256(spaTok.refresh_token ?? '').toString('hex')}';`) === '1', 'the store keeps the refresh token by its SHA-256');

	m = mint({ client: 'web', scope: 'openid profile' });
	r = await exchange(C.web, m);
	report(r.status === 200 && r.json.id_token && !('refresh_token' in r.json) && r.json.scope === 'openid profile', 'no offline_access → no refresh token', show(r));
	v = r.json?.id_token ? await verifies(r.json.id_token, { issuer: ISS, audience: 'web' }) : { error: 'none' };
	report(!v.error && !('nonce' in v.payload), 'no nonce in the request → no nonce claim', JSON.stringify(v.payload ?? v));
	m = mint({ client: 'web', scope: 'profile email' });
	r = await exchange(C.web, m, {});
	report(r.status === 200 && !('id_token' in r.json) && r.json.access_token, 'no openid scope → an access token and no ID token', show(r));
	m = mint({ client: 'spa2', uri: SPA_CB });
	r = await exchange(C.spa2, m);
	report(r.status === 200 && !('refresh_token' in r.json), 'offline_access for a client without the refresh_token grant → no refresh token', show(r));
	m = mint({ client: 'web' });
	r = await token(C.web, { grant_type: 'authorization_code', code: m.code, redirect_uri: CB, code_verifier: m.verifier }, 'post');
	report(r.status === 200 && r.json.id_token, 'confidential client with client_secret_post: 200', show(r));

	m = mint({ client: 'apiweb' });
	r = await exchange(C.apiweb, m);
	v = r.json?.access_token ? await verifies(r.json.access_token, { issuer: ISS, audience: 'api', typ: 'at+jwt' }) : { error: show(r) };
	report(!v.error && JSON.stringify(v.payload.aud) === JSON.stringify([ISS, 'api']), 'a client with audiences: aud = [issuer, its audiences] when the scope has openid', v.error ?? JSON.stringify(v.payload.aud));
	m = mint({ client: 'apiweb', scope: 'profile' });
	r = await exchange(C.apiweb, m);
	v = r.json?.access_token ? await verifies(r.json.access_token, { issuer: ISS, audience: 'api', typ: 'at+jwt' }) : { error: show(r) };
	report(!v.error && v.payload.aud === 'api', 'a client with audiences, scope without openid: aud = its audience only', v.error ?? JSON.stringify(v.payload.aud));

	for (const alg of ['ES256', 'PS256', 'EdDSA']) {
		const c = C[alg];
		m = mint({ client: c.client_id, nonce: `nonce-${alg}` });
		r = await exchange(c, m);
		v = r.json?.id_token ? await verifies(r.json.id_token, { issuer: ISS, audience: c.client_id, algorithms: [alg] }) : { error: show(r) };
		report(!v.error && v.protectedHeader.alg === alg && v.payload.nonce === `nonce-${alg}`, `id_token_alg ${alg}: the ID token is ${alg} and verifies`, v.error);
		report(!v.error && v.payload.at_hash === atHash(alg, r.json.access_token), `id_token_alg ${alg}: at_hash with ${alg === 'EdDSA' ? 'SHA-512 (as oidc-provider)' : `SHA-${alg.slice(2)}`}`, `${v.payload?.at_hash} vs ${r.json?.access_token && atHash(alg, r.json.access_token)}`);
	}

	// ============================================================ 4. refresh
	m = mint({ client: 'web', nonce: 'first-nonce' });
	r = await exchange(C.web, m);
	let rt0 = r.json?.refresh_token;
	r = await refresh(C.web, rt0);
	let rt1 = r.json?.refresh_token;
	report(r.status === 200 && rt1 && rt1 !== rt0 && r.json.access_token && r.json.scope === 'openid profile email offline_access', 'refresh: 200 with a new (rotated) refresh token and the granted scope', show(r));
	v = r.json?.id_token ? await verifies(r.json.id_token, { issuer: ISS, audience: 'web' }) : { error: show(r) };
	report(
		!v.error && v.payload.sub === users.alice && v.payload.auth_time === m.authTime && !('nonce' in v.payload) && v.payload.at_hash === atHash('RS256', r.json.access_token),
		'refresh: a new ID token with the original auth_time, no nonce, at_hash of the new access token',
		v.error ?? JSON.stringify(v.payload),
	);
	r = await refresh(C.web, rt0);
	report(isError(r, 400, 'invalid_grant'), 'reuse of a rotated refresh token → 400 invalid_grant', show(r));
	r = await refresh(C.web, rt1);
	report(isError(r, 400, 'invalid_grant'), 'after reuse the whole family is revoked: the newest refresh token fails too', show(r));

	m = mint({ client: 'web' });
	rt0 = (await exchange(C.web, m)).json?.refresh_token;
	r = await refresh(C.web, rt0, { scope: 'openid' });
	rt1 = r.json?.refresh_token;
	report(r.status === 200 && r.json.scope === 'openid' && r.json.id_token, 'refresh with scope=openid: narrowed to openid for this answer', show(r));
	v = r.json?.access_token ? await verifies(r.json.access_token, { issuer: ISS, audience: ISS }) : { error: show(r) };
	report(!v.error && v.payload.scope === 'openid', 'refresh with a narrower scope: the access token carries it', v.error ?? v.payload.scope);
	r = await refresh(C.web, rt1, { scope: 'profile' });
	report(r.status === 200 && r.json.scope === 'profile' && !('id_token' in r.json), 'narrowing does not shrink the grant: the next refresh may ask for profile (no openid → no ID token)', show(r));
	rt1 = r.json?.refresh_token;
	r = await refresh(C.web, rt1);
	report(r.status === 200 && r.json.scope === 'openid profile email offline_access', 'without scope the refresh gets the whole granted scope again', show(r));
	rt1 = r.json?.refresh_token;
	r = await refresh(C.web, rt1, { scope: 'openid admin' });
	report(isError(r, 400, 'invalid_scope'), 'refresh asking for a scope beyond the grant → 400 invalid_scope', show(r));
	r = await refresh(C.web, rt1, { scope: 'openid  profile' });
	report(isError(r, 400, 'invalid_scope'), 'refresh with a malformed scope → 400 invalid_scope', show(r));
	r = await refresh(C.web, rt1);
	report(r.status === 200, 'a refused scope does not consume the refresh token', show(r));
	rt1 = r.json?.refresh_token;
	r = await refresh(C.web2, rt1);
	report(isError(r, 400, 'invalid_grant'), 'another client\'s refresh token → 400 invalid_grant', show(r));
	r = await refresh(C.web, rt1);
	report(r.status === 200, '… and that attempt leaves the owner\'s token working', show(r));
	rt1 = r.json?.refresh_token;
	r = await token(C.web, { grant_type: 'refresh_token' });
	report(isError(r, 400, 'invalid_request'), 'refresh without refresh_token → 400 invalid_request', show(r));
	r = await refresh(C.web, b64u(crypto.randomBytes(32)));
	report(isError(r, 400, 'invalid_grant'), 'an unknown refresh token → 400 invalid_grant', show(r));
	r = await refresh(C.spa2, rt1);
	report(isError(r, 400, 'unauthorized_client'), 'a client without the refresh_token grant → 400 unauthorized_client', show(r));
	r = await refresh({ client_id: 'web' }, rt1);
	report(isError(r, 401, 'invalid_client'), 'refresh by a confidential client without its secret → 401 invalid_client', show(r));

	sql(DB, `UPDATE refresh_tokens SET expires_at = ${now() - 1} WHERE token_hash = X'${sha256(rt1).toString('hex')}';`);
	r = await refresh(C.web, rt1);
	report(isError(r, 400, 'invalid_grant'), 'an expired refresh token → 400 invalid_grant', show(r));

	m = mint({ client: 'spa', uri: SPA_CB });
	rt0 = (await exchange(C.spa, m)).json?.refresh_token;
	r = await refresh(C.spa, rt0);
	report(r.status === 200 && r.json.refresh_token, 'public client: refresh by client_id alone', show(r));
	rt1 = r.json?.refresh_token;
	const ten = await Promise.all(Array.from({ length: 10 }, () => refresh(C.spa, rt1)));
	const won = ten.filter((x) => x.status === 200);
	report(won.length === 1 && ten.filter((x) => isError(x, 400, 'invalid_grant')).length === 9, '10 concurrent refreshes of one token → exactly one 200, nine invalid_grant', ten.map((x) => x.status).join());
	r = won[0]?.json?.refresh_token ? await refresh(C.spa, won[0].json.refresh_token) : { status: 0 };
	report(isError(r, 400, 'invalid_grant'), '… and the concurrent reuse revoked the family: the winner\'s new token fails', show(r));

	// ============================================ 5. codes from the real flow
	/** Sign in through GET /authorize and POST /login like a browser; resolves the callback's URL. */
	async function signIn({ client = 'spa', uri = SPA_CB, scope = 'openid profile email offline_access', state = b64u(crypto.randomBytes(8)), nonce, username = 'alice', verifier = b64u(crypto.randomBytes(32)) } = {}) {
		const jar = new Map();
		const keep = (r) => {
			for (const c of r.headers.getSetCookie?.() ?? []) {
				const [pair] = c.split(';');
				const i = pair.indexOf('=');
				jar.set(pair.slice(0, i), pair.slice(i + 1));
			}
		};
		const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
		const u = new URL(`${base}/authorize`);
		const p = { client_id: client, redirect_uri: uri, response_type: 'code', scope, state, code_challenge: b64u(sha256(verifier)), code_challenge_method: 'S256' };
		if (nonce) p.nonce = nonce;
		for (const [k, x] of Object.entries(p)) u.searchParams.set(k, x);
		let r = await fetch(u, { redirect: 'manual' });
		keep(r);
		const html = await r.text();
		const field = (n) => new RegExp(`name="${n}" value="([^"]*)"`).exec(html)?.[1];
		r = await fetch(`${base}/login`, {
			method: 'POST',
			redirect: 'manual',
			headers: { 'content-type': FORM, cookie: cookie() },
			body: new URLSearchParams({ flow: field('flow'), csrf: field('csrf'), username, password: `${username}-password-123` }).toString(),
		});
		const loc = r.headers.get('location');
		if (r.status !== 303 || !loc) throw new Error(`login: ${r.status} ${await r.text()}`);
		const back = new URL(loc);
		return { code: back.searchParams.get('code'), state: back.searchParams.get('state'), iss: back.searchParams.get('iss'), verifier, location: back };
	}

	let f = await signIn({ nonce: 'flow-nonce' });
	r = await exchange(C.spa, f);
	v = r.json?.id_token ? await verifies(r.json.id_token, { issuer: ISS, audience: 'spa' }) : { error: show(r) };
	report(r.status === 200 && !v.error && v.payload.nonce === 'flow-nonce' && v.payload.sub === users.alice && f.iss === ISS, 'real flow: /authorize + /login code (iss = issuer) exchanges for an ID token with the nonce', v.error ?? show(r));
	report(!v.error && Math.abs(v.payload.auth_time - now()) < 60, 'real flow: auth_time is the sign-in time', JSON.stringify(v.payload ?? {}));
	const flowTok = r.json ?? {};
	r = await exchange(C.spa, f);
	report(isError(r, 400, 'invalid_grant'), 'real flow: the code replayed → invalid_grant', show(r));
	r = flowTok.refresh_token ? await refresh(C.spa, flowTok.refresh_token) : { status: 0 };
	report(isError(r, 400, 'invalid_grant'), 'real flow: the replay revoked the refresh token of the first exchange', show(r));
	f = await signIn({ client: 'web', uri: CB });
	r = await exchange(C.web, { ...f, verifier: b64u(crypto.randomBytes(32)) });
	report(isError(r, 400, 'invalid_grant'), 'real flow: a wrong code_verifier → invalid_grant', show(r));
	f = await signIn({ client: 'web', uri: CB });
	const twenty = await Promise.all(Array.from({ length: 20 }, () => exchange(C.web, f)));
	report(twenty.filter((x) => x.status === 200).length === 1, 'real flow: 20 concurrent exchanges of one code → exactly one 200', twenty.map((x) => x.status).join());
	f = await signIn({ client: 'web', uri: CB });
	r = await exchange(C.web2, f);
	report(isError(r, 400, 'invalid_grant'), 'real flow: another client presenting the code → invalid_grant', show(r));

	// ============================================================ 6. /userinfo
	const ui = (tok, init = {}) => req(`${base}/userinfo`, { ...init, headers: { ...(tok ? { authorization: `Bearer ${tok}` } : {}), ...(init.headers ?? {}) } });
	const grantFor = async (scope, client = C.web, user = users.alice) => (await exchange(client, mint({ client: client.client_id, scope, user, uri: client === C.spa ? SPA_CB : CB }))).json ?? {};
	let g = await grantFor('openid profile email');
	r = await ui(g.access_token);
	report(
		r.status === 200 && r.json?.sub === users.alice && r.json.preferred_username === 'alice' && r.json.email === 'alice@example.com' && r.json.email_verified === false && Object.keys(r.json).length === 4,
		'/userinfo GET (openid profile email): sub, preferred_username, email, email_verified false, nothing else',
		show(r),
	);
	report(/^application\/json/.test(r.headers?.get('content-type') ?? '') && r.headers.get('access-control-allow-origin') === '*' && /no-store/.test(r.headers.get('cache-control') ?? ''), '/userinfo: JSON, Access-Control-Allow-Origin: *, no-store', [...(r.headers ?? [])].join(' '));
	r = await req(`${base}/userinfo`, { method: 'POST', headers: { authorization: `Bearer ${g.access_token}` } });
	report(r.status === 200 && r.json?.sub === users.alice, '/userinfo POST with the Authorization header', show(r));
	r = await req(`${base}/userinfo`, { method: 'POST', headers: { 'content-type': FORM }, body: `access_token=${g.access_token}` });
	report(r.status === 200 && r.json?.sub === users.alice, '/userinfo POST with access_token in the form body (RFC 6750 §2.2)', show(r));
	r = await req(`${base}/userinfo`, { method: 'POST', headers: { 'content-type': FORM, authorization: `Bearer ${g.access_token}` }, body: `access_token=${g.access_token}` });
	report(isError(r, 400, 'invalid_request'), '/userinfo: the token in the header and the body at once → 400 invalid_request', show(r));
	r = await ui(`${g.access_token}`, { headers: { authorization: `bearer ${g.access_token}` } });
	report(r.status === 200, '/userinfo: the scheme "bearer" in any case', show(r));
	for (const [scope, want] of [['openid', ['sub']], ['openid profile', ['preferred_username', 'sub']], ['openid email', ['email', 'email_verified', 'sub']]]) {
		g = await grantFor(scope);
		r = await ui(g.access_token);
		report(r.status === 200 && JSON.stringify(Object.keys(r.json ?? {}).sort()) === JSON.stringify(want), `/userinfo with scope "${scope}": ${want.join(', ')}`, show(r));
	}
	g = await grantFor('openid profile email', C.web, users.bob);
	r = await ui(g.access_token);
	report(r.status === 200 && r.json?.sub === users.bob && !('email' in r.json) && !('email_verified' in r.json), '/userinfo: a user without an email gets no email claims', show(r));
	r = await ui(null);
	report(r.status === 401 && /^Bearer/.test(r.headers.get('www-authenticate') ?? '') && !/error=/.test(r.headers.get('www-authenticate')), '/userinfo without a token → 401 WWW-Authenticate: Bearer (no error code, RFC 6750 §3.1)', `${show(r)} ${r.headers?.get('www-authenticate')}`);
	const invalidToken = (x) => x.status === 401 && x.json?.error === 'invalid_token' && /^Bearer .*error="invalid_token"/.test(x.headers.get('www-authenticate') ?? '');
	r = await ui('not.a.token');
	report(invalidToken(r), '/userinfo with garbage → 401 invalid_token with WWW-Authenticate', `${show(r)} ${r.headers?.get('www-authenticate')}`);
	r = await ui('not a token');
	report(invalidToken(r), '/userinfo with a malformed Bearer credential (spaces) → 401 invalid_token', `${show(r)} ${r.headers?.get('www-authenticate')}`);
	r = await req(`${base}/userinfo`, { headers: { authorization: 'Basic YTpi' } });
	report(r.status === 401 && !/error=/.test(r.headers.get('www-authenticate') ?? ''), '/userinfo with another scheme (Basic) → 401 without an error code (RFC 6750 §3.1)', `${show(r)} ${r.headers?.get('www-authenticate')}`);
	g = await grantFor('openid profile');
	r = await ui(g.id_token);
	report(invalidToken(r), '/userinfo with an ID token (typ JWT) → 401 invalid_token', show(r));
	r = await ui(`${g.access_token.slice(0, -2)}${g.access_token.endsWith('AA') ? 'BB' : 'AA'}`);
	report(invalidToken(r), '/userinfo with a tampered signature → 401 invalid_token', show(r));
	const cc = await token(C.svc, { grant_type: 'client_credentials', scope: 'openid' });
	r = await ui(cc.json?.access_token);
	report(cc.status === 200 && invalidToken(r), '/userinfo with a client_credentials token (no person) → 401 invalid_token', show(r));
	const other = await jose.generateKeyPair('ES256');
	const forged = await new jose.SignJWT({ sub: users.alice, client_id: 'web', scope: 'openid', auth_time: now(), jti: 'x' }).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt' }).setIssuer(ISS).setAudience(ISS).setIssuedAt().setExpirationTime('5m').sign(other.privateKey);
	r = await ui(forged);
	report(invalidToken(r), '/userinfo with a token signed by a key not ours → 401 invalid_token', show(r));
	g = await grantFor('profile email');
	r = await ui(g.access_token);
	report(r.status === 403 && r.json?.error === 'insufficient_scope' && /insufficient_scope/.test(r.headers.get('www-authenticate') ?? ''), '/userinfo with a token without openid → 403 insufficient_scope', show(r));
	g = await grantFor('openid profile');
	r = await req(`${base}/revoke`, { method: 'POST', headers: { 'content-type': FORM, authorization: basic('web', C.web.client_secret) }, body: `token=${g.access_token}` });
	r = await ui(g.access_token);
	report(invalidToken(r), '/userinfo with a revoked access token → 401 invalid_token', show(r));
	r = await req(`${base}/userinfo`, { method: 'OPTIONS', headers: { origin: 'https://spa.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' } });
	report(
		r.status === 204 && r.headers.get('access-control-allow-origin') === '*' && /GET/.test(r.headers.get('access-control-allow-methods') ?? '') && /authorization/i.test(r.headers.get('access-control-allow-headers') ?? ''),
		'/userinfo OPTIONS preflight: 204 with allow-origin *, methods and the Authorization header',
		`${r.status} ${[...(r.headers ?? [])].join(' ')}`,
	);
	r = await req(`${base}/token`, { method: 'OPTIONS', headers: { origin: 'https://spa.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });
	report(r.status === 204 && r.headers.get('access-control-allow-origin') === '*' && /POST/.test(r.headers.get('access-control-allow-methods') ?? ''), '/token OPTIONS preflight: 204 with allow-origin * and POST', `${r.status} ${[...(r.headers ?? [])].join(' ')}`);
	r = await req(`${base}/token`, { method: 'POST', headers: { 'content-type': FORM }, body: 'grant_type=authorization_code' });
	report(r.status === 401 && r.headers.get('access-control-allow-origin') === '*', '/token errors carry Access-Control-Allow-Origin too (a browser can read them)', show(r));
	// A deleted user's tokens stop working at /userinfo at once.
	const carol = await run(['user', 'add', '--db', DB, '--username', 'carol', '--password-stdin'], { input: 'carol-password-123\n' });
	g = await grantFor('openid', C.web, carol.json?.user_id);
	r = await ui(g.access_token);
	const before = r.status;
	await run(['user', 'remove', '--db', DB, 'carol']);
	r = await ui(g.access_token);
	report(before === 200 && invalidToken(r), '/userinfo after the user was removed → 401 invalid_token', `${before} then ${show(r)}`);

	// =============================== 7. refresh tokens at /introspect and /revoke
	const intro = (c, tok) => req(`${base}/introspect`, { method: 'POST', headers: { 'content-type': FORM, authorization: basic(c.client_id, c.client_secret) }, body: new URLSearchParams({ token: tok, token_type_hint: 'refresh_token' }).toString() });
	const revoke = (c, tok) => req(`${base}/revoke`, { method: 'POST', headers: { 'content-type': FORM, authorization: basic(c.client_id, c.client_secret) }, body: new URLSearchParams({ token: tok }).toString() });
	g = await grantFor('openid offline_access');
	r = await intro(C.web, g.refresh_token);
	report(
		r.status === 200 && r.json?.active === true && r.json.token_type === 'refresh_token' && r.json.client_id === 'web' && r.json.sub === users.alice && r.json.scope === 'openid offline_access' && r.json.exp > now() + 86400,
		'/introspect of a refresh token by its client: active, token_type refresh_token, client_id, sub, scope, exp',
		show(r),
	);
	r = await intro(C.web2, g.refresh_token);
	report(r.status === 200 && r.json?.active === false && Object.keys(r.json).length === 1, '/introspect of a refresh token by another client: {"active":false}', show(r));
	r = await revoke(C.web2, g.refresh_token);
	report(isError(r, 400, 'unauthorized_client'), '/revoke of a refresh token by another client → 400 unauthorized_client', show(r));
	const rotated = (await refresh(C.web, g.refresh_token)).json?.refresh_token;
	r = await intro(C.web, g.refresh_token);
	report(r.json?.active === false, '/introspect of a rotated-away refresh token: inactive', show(r));
	r = await revoke(C.web, rotated);
	report(r.status === 200, '/revoke of a refresh token by its client: 200', show(r));
	r = await refresh(C.web, rotated);
	report(isError(r, 400, 'invalid_grant'), 'after /revoke the refresh token is refused', show(r));
	r = await intro(C.web, rotated);
	report(r.json?.active === false, 'after /revoke the refresh token introspects inactive', show(r));
	r = await revoke(C.web, b64u(crypto.randomBytes(32)));
	report(r.status === 200, '/revoke of an unknown opaque token: 200 (RFC 7009 §2.2)', show(r));
	// A public client revokes its own tokens by its client_id (RFC 7009 §2.1: credentials
	// are asked of confidential clients only).
	const revokePublic = (id, tok) => req(`${base}/revoke`, { method: 'POST', headers: { 'content-type': FORM }, body: new URLSearchParams({ token: tok, client_id: id }).toString() });
	const sg = await grantFor('openid offline_access', C.spa);
	r = await revokePublic('spa', sg.refresh_token);
	const after = await refresh(C.spa, sg.refresh_token);
	report(r.status === 200 && isError(after, 400, 'invalid_grant'), 'a public client revokes its own refresh token by client_id: 200, and the token is refused', `${show(r)} | ${show(after)}`);
	const wg = await grantFor('openid offline_access');
	r = await revokePublic('spa', wg.refresh_token);
	report(isError(r, 400, 'unauthorized_client') && (await refresh(C.web, wg.refresh_token)).status === 200, 'a public client cannot revoke another client\'s refresh token (400 unauthorized_client), which stays usable', show(r));
	r = await revokePublic('web', wg.refresh_token);
	report(isError(r, 401, 'invalid_client'), 'a confidential client_id without its secret is refused at /revoke (401 invalid_client)', show(r));

	// =========================================================== 8. discovery
	r = await req(`${base}/.well-known/openid-configuration`);
	const d = r.json ?? {};
	const has = (k, ...vals) => Array.isArray(d[k]) && vals.every((x) => d[k].includes(x));
	report(
		d.issuer === ISS && d.authorization_endpoint === `${ISS}/authorize` && d.token_endpoint === `${ISS}/token` && d.userinfo_endpoint === `${ISS}/userinfo` && d.end_session_endpoint === `${ISS}/logout` &&
			d.jwks_uri === `${ISS}/.well-known/jwks.json` && d.introspection_endpoint === `${ISS}/introspect` && d.revocation_endpoint === `${ISS}/revoke`,
		'discovery: every endpoint (authorize, token, userinfo, end_session, jwks, introspection, revocation)',
		r.text,
	);
	report(
		JSON.stringify(d.response_types_supported) === '["code"]' && JSON.stringify(d.response_modes_supported) === '["query"]' && has('grant_types_supported', 'authorization_code', 'refresh_token', 'client_credentials') &&
			JSON.stringify(d.subject_types_supported) === '["public"]' && JSON.stringify(d.code_challenge_methods_supported) === '["S256"]',
		'discovery: response type code, mode query, the three grants, public subjects, S256 only',
		r.text,
	);
	report(has('id_token_signing_alg_values_supported', 'RS256', 'ES256', 'PS256', 'EdDSA') && has('scopes_supported', 'openid', 'profile', 'email', 'offline_access'), 'discovery: ID token algs RS256 ES256 PS256 EdDSA; scopes openid profile email offline_access', r.text);
	report(
		has('claims_supported', 'sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'at_hash', 'preferred_username', 'email', 'email_verified') && has('token_endpoint_auth_methods_supported', 'client_secret_basic', 'client_secret_post', 'none') && has('prompt_values_supported', 'none', 'login', 'consent'),
		'discovery: claims, token endpoint auth methods (basic, post, none), prompt values',
		r.text,
	);
	report(d.authorization_response_iss_parameter_supported === true && d.request_parameter_supported === false && d.request_uri_parameter_supported === false && d.claims_parameter_supported === false, 'discovery: iss in the authorization response (RFC 9207); no request objects, no claims parameter', r.text);
	report(r.headers?.get('access-control-allow-origin') === '*', 'discovery: Access-Control-Allow-Origin: *', r.headers?.get('access-control-allow-origin'));
	for (const alg of d.id_token_signing_alg_values_supported ?? []) {
		const c = alg === 'RS256' ? C.web : C[alg];
		g = await grantFor('openid', c);
		v = g.id_token ? await verifies(g.id_token, { issuer: ISS, audience: c.client_id, algorithms: [alg] }) : { error: 'none' };
		report(!v.error, `discovery's ID token alg ${alg} really signs (verified against jwks_uri)`, v.error);
	}
} catch (e) {
	report(false, 'tokens test ran to the end', e.stack);
}

for (const s of [...servers]) await stop(s, 'server');
const cliSan = cliTranscript.map(sanitizerReport).find(Boolean);
report(!cliSan, `no sanitizer report from the ${cliTranscript.length} CLI runs`, cliSan);
for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
const secs = (Date.now() - started) / 1000;
console.log(`# the suite ran in ${secs.toFixed(1)} s`);
finish();
