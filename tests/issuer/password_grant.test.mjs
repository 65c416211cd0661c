// The password grant (RFC 6749 §4.3) for trusted first-party clients, and the
// JSON account API of the service this issuer replaces (ACCOUNT_JSON_API=on):
// - only a confidential client registered with --grant password may use it
//   (a public one cannot even be registered so);
// - the same checks as the login page: one answer for a wrong password and an
//   unknown user, the account lockout, a disabled account refused;
// - the token response: an access token, an ID token with the claims the scope
//   allows, a refresh token for offline_access that refreshes;
// - /auth/login and /users/me answer 404 unless ACCOUNT_JSON_API=on, then the
//   password grant with a JSON body and /userinfo.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { reporter, serverSet, tempDir } from '../lib.mjs';
import { addClient, basic, run } from './lib.mjs';

const { report, finish } = reporter('issuer/password_grant');
const TINY = { PASSWORD_ARGON2_TEST: '1', PASSWORD_ARGON2_M_KIB: '64', PASSWORD_ARGON2_T: '1' };
const { servers, serve, stop } = serverSet(report);
const PW = `pw-${crypto.randomBytes(12).toString('base64url')}`;
const payload = (jwt) => JSON.parse(Buffer.from((jwt ?? 'x.e30.x').split('.')[1], 'base64url').toString());
const short = (x) => JSON.stringify(x).slice(0, 300);

const dir = tempDir('idb-password-');
try {
	const db = path.join(dir, 'identity.db');
	const trusted = await addClient(db, 'trusted', ['--grant', 'password', '--grant', 'refresh_token', '--scope', 'openid profile email offline_access']);
	const other = await addClient(db, 'other', ['--grant', 'client_credentials', '--audience', 'api://x']);
	let r = await run(['client', 'add', '--db', db, '--id', 'pub', '--public', '--grant', 'password']);
	report(r.code === 2 && /confidential/.test(r.stderr), 'a public client cannot be registered for the password grant', r.stderr);
	for (const [name, extra] of [['erin', ['--email', 'erin@example.com', '--name', 'Erin E']], ['dave', []]]) {
		r = await run(['user', 'add', '--db', db, '--username', name, ...extra, '--password-stdin'], { env: TINY, input: PW });
		if (r.code !== 0) throw new Error(r.stderr);
	}
	const erin = JSON.parse((await run(['user', 'show', 'erin', '--db', db])).stdout);
	r = await run(['doctor', '--db', db]);
	report(r.code === 1 && /client trusted: may use the password grant/.test(r.stdout) && !/client other:/.test(r.stdout),
		'doctor names the client allowed the password grant, and only it', r.stdout);
	r = await run(['doctor', '--db', db], { env: { REGISTRATION: 'open', REGISTRATION_REQUIRE_VERIFIED: 'off' } });
	report(/REGISTRATION: open without mail/.test(r.stdout) && /REGISTRATION_REQUIRE_VERIFIED: off/.test(r.stdout),
		'doctor: registration open without mail, and without confirmed addresses', r.stdout);

	const s = await serve({ db, env: { ...TINY, LOGIN_LOCKOUT_THRESHOLD: '3', LOGIN_FAILURES_PER_ADDRESS: '0' } });
	const grant = (client, secret, fields) => fetch(`${s.base}/token`, {
		method: 'POST', headers: { authorization: basic(client, secret), 'content-type': 'application/x-www-form-urlencoded' },
		body: new URLSearchParams({ grant_type: 'password', ...fields }).toString(),
	}).then(async (x) => ({ status: x.status, json: await x.json(), headers: x.headers }));

	// ---- the grant ----
	let g = await grant('trusted', trusted.client_secret, { username: 'erin', password: PW, scope: 'openid profile email offline_access unknown' });
	const id = payload(g.json.id_token);
	report(g.status === 200 && g.json.token_type === 'Bearer' && typeof g.json.access_token === 'string' && typeof g.json.refresh_token === 'string',
		'the password grant answers an access token and, for offline_access, a refresh token', short(g.json));
	report(id.sub === erin.user_id && id.aud === 'trusted' && id.name === 'Erin E' && id.email === 'erin@example.com' && !/unknown/.test(g.json.scope),
		'the ID token names the user with the claims the scope allows; an unknown scope is ignored', short(id));
	report(payload(g.json.access_token).sub === erin.user_id, 'the access token is the user\'s');
	const rr = await fetch(`${s.base}/token`, { method: 'POST', headers: { authorization: basic('trusted', trusted.client_secret), 'content-type': 'application/x-www-form-urlencoded' },
		body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: g.json.refresh_token }).toString() });
	report(rr.status === 200, 'its refresh token refreshes', rr.status);
	g = await grant('trusted', trusted.client_secret, { username: 'ERIN', password: PW, scope: 'openid' });
	report(g.status === 200 && !('refresh_token' in g.json) && payload(g.json.id_token).sub === erin.user_id,
		'the username in any case; no offline_access, no refresh token', short(g.json));
	g = await grant('trusted', trusted.client_secret, { username: 'erin', password: PW });
	report(g.status === 200 && g.json.scope === 'openid profile email offline_access', 'no scope asked: the client\'s own', short(g.json));

	// ---- who may use it ----
	g = await grant('other', other.client_secret, { username: 'erin', password: PW });
	report(g.status === 400 && g.json.error === 'unauthorized_client', 'a client not registered for it: unauthorized_client', short(g.json));
	g = await grant('trusted', 'wrong-secret', { username: 'erin', password: PW });
	report(g.status === 401 && g.json.error === 'invalid_client', 'a wrong client secret: invalid_client', short(g.json));
	g = await fetch(`${s.base}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
		body: new URLSearchParams({ grant_type: 'password', client_id: 'trusted', username: 'erin', password: PW }).toString() }).then(async (x) => ({ status: x.status, json: await x.json() }));
	report(g.status === 401 && g.json.error === 'invalid_client', 'no client authentication: invalid_client', short(g.json));
	g = await grant('trusted', trusted.client_secret, { username: 'erin' });
	report(g.status === 400 && g.json.error === 'invalid_request', 'no password: invalid_request', short(g.json));

	// ---- the login page's rules ----
	const wrong = await grant('trusted', trusted.client_secret, { username: 'dave', password: 'not-the-password' });
	const nobody = await grant('trusted', trusted.client_secret, { username: 'nobody', password: 'not-the-password' });
	report(wrong.status === 400 && wrong.json.error === 'invalid_grant' && JSON.stringify(wrong.json) === JSON.stringify(nobody.json),
		'a wrong password and an unknown user get the same answer', `${short(wrong.json)} ${short(nobody.json)}`);
	for (let i = 0; i < 3; i++) await grant('trusted', trusted.client_secret, { username: 'dave', password: `wrong-${i}` });
	g = await grant('trusted', trusted.client_secret, { username: 'dave', password: PW });
	report(g.status === 400 && g.json.error === 'invalid_grant', 'after LOGIN_LOCKOUT_THRESHOLD failures the right password is refused too (locked)', short(g.json));
	r = await run(['user', 'show', 'dave', '--db', db]);
	report(JSON.parse(r.stdout).locked === true, 'the lock is on record for user show', r.stdout);
	await run(['user', 'unlock', 'dave', '--db', db]);
	g = await grant('trusted', trusted.client_secret, { username: 'dave', password: PW });
	report(g.status === 200, 'unlocked: the right password works again', short(g.json));
	await run(['user', 'disable', 'dave', '--db', db]);
	g = await grant('trusted', trusted.client_secret, { username: 'dave', password: PW });
	report(g.status === 400 && g.json.error === 'invalid_grant' && /disabled/.test(g.json.error_description), 'a disabled user: invalid_grant, said so', short(g.json));

	// ---- the JSON account API, off by default ----
	let x = await fetch(`${s.base}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: basic('trusted', trusted.client_secret) }, body: JSON.stringify({ username: 'erin', password: PW }) });
	report(x.status === 404, 'ACCOUNT_JSON_API unset: /auth/login is 404', x.status);
	x = await fetch(`${s.base}/users/me`, { headers: { authorization: `Bearer ${g.json.access_token}` } });
	report(x.status === 404, 'ACCOUNT_JSON_API unset: /users/me is 404', x.status);
	await stop(s, 'server');

	const s2 = await serve({ db, env: { ...TINY, ACCOUNT_JSON_API: 'on' } });
	const login = (body, headers = {}) => fetch(`${s2.base}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body })
		.then(async (y) => ({ status: y.status, json: await y.json() }));
	let l = await login(JSON.stringify({ username: 'erin', password: PW, client_id: 'trusted', client_secret: trusted.client_secret }));
	report(l.status === 200 && typeof l.json.access_token === 'string' && payload(l.json.access_token).sub === erin.user_id,
		'/auth/login {username,password} with client_id/client_secret members: the token response', short(l.json));
	const me = await fetch(`${s2.base}/users/me`, { headers: { authorization: `Bearer ${l.json.access_token}` } });
	const mej = await me.json();
	report(me.status === 200 && mej.sub === erin.user_id && mej.preferred_username === 'erin', '/users/me: the user, as /userinfo', short(mej));
	l = await login(JSON.stringify({ username: 'erin', password: PW }), { authorization: basic('trusted', trusted.client_secret) });
	report(l.status === 200, '/auth/login with HTTP Basic client authentication', short(l.json));
	l = await login(JSON.stringify({ username: 'erin', password: 'nope' }), { authorization: basic('trusted', trusted.client_secret) });
	report(l.status === 400 && l.json.error === 'invalid_grant', '/auth/login with a wrong password: invalid_grant', short(l.json));
	l = await login(JSON.stringify({ username: 'erin', password: PW }));
	report(l.status === 401 && l.json.error === 'invalid_client', '/auth/login without a client: invalid_client', short(l.json));
	l = await login(JSON.stringify({ username: 'erin', password: PW }), { authorization: basic('other', other.client_secret) });
	report(l.status === 400 && l.json.error === 'unauthorized_client', '/auth/login for a client without the password grant: unauthorized_client', short(l.json));
	for (const [body, why] of [['{"username":"erin","password":1}', 'a number as password'], ['[1]', 'an array'], ['{"username":"a","username":"b","password":"x"}', 'a duplicate member'], ['{', 'broken JSON']]) {
		l = await login(body, { authorization: basic('trusted', trusted.client_secret) });
		report(l.status === 400 && l.json.error === 'invalid_request', `/auth/login with ${why}: invalid_request`, short(l.json));
	}
	x = await fetch(`${s2.base}/users/me`);
	report(x.status === 401, '/users/me without a token: 401', x.status);
	await stop(s2, 'server with the JSON API');
} catch (e) {
	report(false, 'the password grant suite ran to its end', e.stack);
	for (const x of servers) await x.stop();
}
fs.rmSync(dir, { recursive: true, force: true });
finish();
