// What a logout ends (RP-Initiated Logout 1.0 §2 ends the session at the OP):
// - a consent page left open across a logout cannot approve anything (OIDC Core
//   §3.1.2.4: consent is the signed-in user's): /consent requires the live session of
//   the user who signed in for the flow;
// - the refresh tokens issued in that browser session are revoked (before, the
//   30-day refresh token outlived the logout), and those of another session are not;
// and, with the tokens the sign-ins give, /verify vouches for access tokens only (an
// ID token passed as one before), a client with the issuer URL as its audience
// introspects nobody's tokens, and removing a client or user ends their tokens.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { reporter, serverSet, tempDir } from '../lib.mjs';
import { addClient, browser, run } from './lib.mjs';

const { report, finish } = reporter('issuer/consent_logout');
const TINY = { PASSWORD_ARGON2_TEST: '1', PASSWORD_ARGON2_M_KIB: '64', PASSWORD_ARGON2_T: '1' };
const { servers, serve, stop } = serverSet(report);
const CB = 'https://third.example/cb';
const PW = `pw-${crypto.randomBytes(12).toString('base64url')}`;
const challenge = Buffer.from(crypto.createHash('sha256').update('v'.repeat(43)).digest()).toString('base64url');
const hidden = (html) => Object.fromEntries([...html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1], m[2]]));
const WEB_CB = 'https://web.example/cb';
const VERIFIER = 'v'.repeat(43);
const tokenForm = (o) => ({ method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(o).toString() });

/** Sign in at base as erin for client web (offline_access) and redeem the code: the token answer. */
async function signInTokens(b, base, user = 'erin', pw = PW) {
	const q = new URLSearchParams({ client_id: 'web', redirect_uri: WEB_CB, response_type: 'code', scope: 'openid offline_access', state: 'st', code_challenge: challenge, code_challenge_method: 'S256' });
	const login = hidden(await (await b.go(`${base}/authorize?${q}`)).text());
	const r = await b.go(`${base}/login`, tokenForm({ ...login, username: user, password: pw }));
	const code = new URL(r.headers.get('location') ?? 'x:/').searchParams.get('code');
	const t = await fetch(`${base}/token`, tokenForm({ grant_type: 'authorization_code', code, redirect_uri: WEB_CB, client_id: 'web', code_verifier: VERIFIER }));
	return t.json();
}
const refresh = (base, rt) => fetch(`${base}/token`, tokenForm({ grant_type: 'refresh_token', refresh_token: rt, client_id: 'web' }));

const form = (o) => ({ method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(o).toString() });

/** Sign in at base for client third and return the consent page's fields. */
async function toConsent(b, base) {
	const q = new URLSearchParams({ client_id: 'third', redirect_uri: CB, response_type: 'code', scope: 'openid', state: 'st', code_challenge: challenge, code_challenge_method: 'S256' });
	const login = hidden(await (await b.go(`${base}/authorize?${q}`)).text());
	const page = await (await b.go(`${base}/login`, form({ ...login, username: 'erin', password: PW }))).text();
	return /Allow access/.test(page) ? hidden(page) : null;
}

const dir = tempDir('idb-consent-');
try {
	const db = path.join(dir, 'identity.db');
	await addClient(db, 'third', ['--public', '--grant', 'authorization_code', '--redirect-uri', CB, '--scope', 'openid', '--consent']);
	await addClient(db, 'web', ['--public', '--grant', 'authorization_code', '--grant', 'refresh_token', '--redirect-uri', WEB_CB, '--scope', 'openid offline_access']);
	for (const name of ['erin', 'frank']) {
		const u = await run(['user', 'add', '--db', db, '--username', name, '--password-stdin'], { env: TINY, input: PW });
		if (u.code !== 0) throw new Error(u.stderr);
	}
	const s = await serve({ db, env: TINY });
	try {
		const b = browser();
		let f = await toConsent(b, s.base);
		report(f?.flow && f?.csrf, 'signed in: the consent page');
		const conf = hidden(await (await b.go(`${s.base}/logout`)).text());
		const out = await b.go(`${s.base}/logout`, form(conf));
		report(out.status < 400 && !b.jar.has('idb_session'), 'then signed out in the same browser', `${out.status} ${[...b.jar.keys()]}`);
		let r = await b.go(`${s.base}/consent`, form({ ...f, decision: 'allow' }));
		const loc = r.headers.get('location') ?? '';
		report(r.status === 400 && !loc.includes('code='), 'the consent page shown before the logout approves nothing afterwards (400, no code)', `${r.status} ${loc}`);

		f = await toConsent(b, s.base);
		r = await b.go(`${s.base}/consent`, form({ ...f, decision: 'allow' }));
		report(r.status === 303 && new URL(r.headers.get('location')).searchParams.has('code'), 'signed in again: consent with the live session gives a code', `${r.status}`);

		// Two browsers of erin, each with a refresh token; one signs out.
		const home = browser(), office = browser();
		const th = await signInTokens(home, s.base), to = await signInTokens(office, s.base);
		report(typeof th.refresh_token === 'string' && typeof to.refresh_token === 'string', 'two browser sessions, each with a refresh token (offline_access)', JSON.stringify(th).slice(0, 120));
		// /verify vouches for access tokens: an ID token is not one (RFC 8725 §3.11).
		const verify = (body) => fetch(`${s.base}/verify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(async (r) => ({ status: r.status, json: await r.json() }));
		let v = await verify({ token: th.access_token });
		report(v.status === 200 && v.json.valid === true, '/verify: the access token (typ at+jwt) is valid', JSON.stringify(v.json).slice(0, 120));
		v = await verify({ token: th.id_token });
		report(v.status === 401 && v.json.valid === false && v.json.claim === 'typ', '/verify: the ID token is refused as an access token (claim typ)', JSON.stringify(v.json).slice(0, 160));
		v = await verify({ token: th.id_token, typ: 'JWT' });
		report(v.status === 200 && v.json.valid === true && v.json.claims?.auth_time > 0, '/verify: asked for typ JWT, the ID token is valid', JSON.stringify(v.json).slice(0, 120));
		v = await verify({ token: th.access_token, typ: 'JWT' });
		report(v.status === 401 && v.json.claim === 'typ', '/verify: asked for typ JWT, an access token is refused', JSON.stringify(v.json).slice(0, 120));
		// id_token_hint at /authorize (OIDC Core §3.1.2.1): another person's session
		// does not count.
		const fb = browser();
		await signInTokens(fb, s.base, 'frank', PW);
		const az = (hint, extra = {}) => fb.go(`${s.base}/authorize?${new URLSearchParams({ client_id: 'web', redirect_uri: WEB_CB, response_type: 'code', scope: 'openid', state: 'h', code_challenge: challenge, code_challenge_method: 'S256', prompt: 'none', id_token_hint: hint, ...extra })}`);
		const q = (r) => new URL(r.headers.get('location') ?? 'x:/').searchParams;
		let h = await az(th.id_token);
		report(h.status === 302 && q(h).get('error') === 'login_required' && !q(h).has('code'), "prompt=none with erin's id_token_hint in frank's browser → login_required, no code for frank", `${h.status} ${h.headers.get('location')}`);
		h = await fb.go(`${s.base}/authorize?${new URLSearchParams({ client_id: 'web', redirect_uri: WEB_CB, response_type: 'code', scope: 'openid', state: 'h', code_challenge: challenge, code_challenge_method: 'S256', id_token_hint: th.id_token })}`);
		report(h.status === 200 && /name="password"/.test(await h.text()), 'without prompt=none: the login page, to sign in as the hinted person', `${h.status}`);
		h = await home.go(`${s.base}/authorize?${new URLSearchParams({ client_id: 'web', redirect_uri: WEB_CB, response_type: 'code', scope: 'openid', state: 'h', code_challenge: challenge, code_challenge_method: 'S256', prompt: 'none', id_token_hint: th.id_token })}`);
		report(h.status === 302 && q(h).has('code'), "erin's own browser with her hint: a code at once", `${h.status}`);
		h = await az('not.a.token');
		report(h.status === 302 && q(h).get('error') === 'invalid_request', 'a hint that is no ID token of ours → invalid_request', `${h.status} ${h.headers.get('location')}`);

		// A client registered with the issuer URL as its audience learns nothing of the
		// people's access tokens (all meant for the issuer's /userinfo).
		const rs = await addClient(db, 'rs', ['--grant', 'client_credentials', '--audience', s.base]);
		const auth = `Basic ${Buffer.from(`rs:${rs.client_secret}`).toString('base64')}`;
		const intro = await fetch(`${s.base}/introspect`, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token: th.access_token }).toString() }).then((r) => r.json());
		report(intro.active === false, 'a client whose audience is the issuer URL cannot introspect a person\'s access token (active: false)', JSON.stringify(intro).slice(0, 120));
		let x = await refresh(s.base, th.refresh_token);
		const th2 = await x.json();
		report(x.status === 200 && th2.refresh_token, 'the first refreshes (rotation) while signed in', `${x.status}`);
		const c2 = hidden(await (await home.go(`${s.base}/logout`)).text());
		await home.go(`${s.base}/logout`, form(c2));
		x = await refresh(s.base, th2.refresh_token);
		const body = await x.json().catch(() => ({}));
		report(x.status === 400 && body.error === 'invalid_grant', 'after that browser signs out, the refresh token issued in its session (rotated once) is refused: invalid_grant', `${x.status} ${JSON.stringify(body)}`);
		x = await refresh(s.base, to.refresh_token);
		report(x.status === 200, 'the other browser session\'s refresh token still works', `${x.status}`);

		// Removing a client or a person ends their tokens at once, not at their expiry.
		const cc = await fetch(`${s.base}/token`, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' }).then((r) => r.json());
		v = await verify({ token: cc.access_token });
		const v0 = await verify({ token: to.access_token });
		report(v.status === 200 && v0.status === 200, 'a client_credentials token of rs and erin\'s access token are valid', `${v.status} ${v0.status}`);
		await run(['client', 'remove', '--db', db, 'rs']);
		await run(['user', 'remove', '--db', db, 'erin']);
		await new Promise((r) => setTimeout(r, 1200)); // past the client cache (1 s)
		v = await verify({ token: cc.access_token });
		report(v.status === 401 && v.json.error === 'ERR_JWT_REVOKED' && /client was removed/.test(v.json.message), '/verify: the token of a removed client is refused', JSON.stringify(v.json));
		v = await verify({ token: to.access_token });
		report(v.status === 401 && v.json.error === 'ERR_JWT_REVOKED' && /user was removed/.test(v.json.message), '/verify: the access token of a removed user is refused', JSON.stringify(v.json));
	} finally {
		await stop(s, 'server');
	}
} catch (e) {
	report(false, 'the consent-after-logout suite ran', e.stack);
	for (const x of servers) await x.stop();
}
fs.rmSync(dir, { recursive: true, force: true });
finish();
