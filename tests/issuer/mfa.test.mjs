// Second factors, for real: `identity-backend serve` on loopback with users and
// clients made by the CLI, a browser driven by fetch with a cookie jar, TOTP
// codes computed here (RFC 6238 with node:crypto, not the server's code), and
// openid-client for the code exchange. Covers:
// - /account: its own sign-in, enrolment of an authenticator app (QR code, key,
//   otpauth URI; a wrong first code refused), ten recovery codes shown once,
//   the sessions listed and ended, a factor removed;
// - the second step after the password: a right code passes (ID token amr
//   pwd+otp+mfa, acr), a used code is refused (also two at once: exactly one
//   passes), a recovery code works once, failures count for the lockout;
// - policy: a client --require-mfa and MFA=required send a person without a
//   second factor to /account, step a password-only session up, answer
//   prompt=none with login_required; prompt=login and max_age=0 ask for the
//   second factor again; the password grant refuses a person with two factors;
// - the consent form and /login/mfa refuse a flow in the wrong step;
// - the secret is sealed at rest with SECRETS_SYSTEM; `user mfa reset`.
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';
import * as client from 'openid-client';
import { reporter, sanitizerReport, serverSet, tempDir } from '../lib.mjs';
import { addClient, basic, browser, run } from './lib.mjs';

const { report, finish } = reporter('issuer/mfa');
const { servers, serve, stop } = serverSet(report);
const TINY = { PASSWORD_ARGON2_TEST: '1', PASSWORD_ARGON2_M_KIB: '64', PASSWORD_ARGON2_T: '1' };
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const PW = `pw-${crypto.randomBytes(12).toString('base64url')}`;
const CB = 'https://rp.example/cb';
const SYSTEM = crypto.randomBytes(32).toString('base64url');
const VERIFIER = crypto.randomBytes(32).toString('base64url');
const CHALLENGE = crypto.createHash('sha256').update(VERIFIER).digest('base64url');
const payload = (jwt) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());
const short = (s) => String(s).slice(0, 400);

/** RFC 4648 base32 decoding (upper case, no padding). */
function unbase32(text) {
	const A = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
	let bits = 0, value = 0;
	const out = [];
	for (const c of text.replace(/[\s=]/g, '')) {
		value = (value << 5) | A.indexOf(c);
		bits += 5;
		if (bits >= 8) {
			out.push((value >>> (bits - 8)) & 255);
			bits -= 8;
		}
	}
	return Buffer.from(out);
}

/** The RFC 6238 TOTP (HMAC-SHA-1, 6 digits, 30 s) of key at Unix time t. */
function totp(key, t = Date.now() / 1000) {
	const counter = Buffer.alloc(8);
	counter.writeBigUInt64BE(BigInt(Math.floor(t / 30)));
	const h = crypto.createHmac('sha1', key).update(counter).digest();
	const o = h[19] & 15;
	return String((h.readUInt32BE(o) & 0x7fffffff) % 1e6).padStart(6, '0');
}

/** Form fields of html: every hidden input's name and value (the first of each). */
function fields(html) {
	const out = {};
	for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) if (!(m[1] in out)) out[m[1]] = m[2];
	return out;
}

/** The hidden fields of the form of html whose action ends with action. */
function formOf(html, action) {
	const m = new RegExp(`<form method="post" action="[^"]*${action}"[^>]*>([\\s\\S]*?)</form>`).exec(html);
	return m ? fields(m[1]) : null;
}

const post = (b, url, body) => b.go(url, { method: 'POST', headers: FORM, body: new URLSearchParams(body).toString() });

/** Start a sign-in of client id at base in browser b; the page's answer. */
async function authorize(b, base, id, extra = {}) {
	const q = new URLSearchParams({
		client_id: id, redirect_uri: CB, response_type: 'code', scope: 'openid', state: 's1',
		code_challenge: CHALLENGE, code_challenge_method: 'S256', ...extra,
	});
	return b.go(`${base}/authorize?${q}`);
}

/** The password step of the login page r; the answer. */
async function password(b, base, r, username, pw = PW) {
	const f = formOf(await r.text(), '/login');
	return post(b, `${base}/login`, { ...f, username, password: pw });
}

/** Send a code on the second-step page html; the answer. */
async function second(b, base, html, code) {
	return post(b, `${base}/login/mfa`, { ...formOf(html, '/login/mfa'), code });
}

/** Sign username in to /account in a new browser and turn an app on; resolves its key (bytes). */
async function enrolApp(base, username) {
	const b = browser();
	let html = await (await b.go(`${base}/account`)).text();
	await post(b, `${base}/account/login`, { ...formOf(html, '/account/login'), username, password: PW });
	html = await (await b.go(`${base}/account`)).text();
	html = await (await post(b, `${base}/account`, { csrf: formOf(html, '/account').csrf, action: 'app-begin' })).text();
	const key = unbase32(/<span class="secret">([A-Z2-7 ]+)<\/span>/.exec(html)[1]);
	const r = await post(b, `${base}/account`, { csrf: formOf(html, '/account').csrf, action: 'app-confirm', id: formOf(html, '/account').id, code: totp(key) });
	if (r.status !== 200) throw new Error(`enrol ${username}: ${r.status}`);
	return key;
}

/** Wait for the next 30-second step (a code of this step may be spent already). */
const nextStep = () => new Promise((res) => setTimeout(res, (30 - ((Date.now() / 1000) % 30) + 0.5) * 1000));

const dir = tempDir('idb-mfa-');
try {
	const db = path.join(dir, 'identity.db');
	const app = await addClient(db, 'app', ['--grant', 'authorization_code', '--grant', 'refresh_token', '--redirect-uri', CB, '--scope', 'openid profile offline_access']);
	await addClient(db, 'strict', ['--grant', 'authorization_code', '--redirect-uri', CB, '--require-mfa']);
	await addClient(db, 'asks', ['--grant', 'authorization_code', '--redirect-uri', CB, '--consent']);
	const trusted = await addClient(db, 'trusted', ['--grant', 'password', '--scope', 'openid']);
	let r = await run(['client', 'show', 'strict', '--db', db]);
	report(r.code === 0 && JSON.parse(r.stdout).require_mfa === true && JSON.parse((await run(['client', 'show', 'app', '--db', db])).stdout).require_mfa === false,
		'client add --require-mfa is shown by client show', r.stdout);
	for (const name of ['alice', 'bob', 'carol', 'dave']) {
		r = await run(['user', 'add', '--db', db, '--username', name, '--password-stdin'], { env: TINY, input: PW });
		if (r.code !== 0) throw new Error(r.stderr);
	}
	const env = { ...TINY, SECRETS_SYSTEM: SYSTEM, LOGIN_LOCKOUT_THRESHOLD: '4', LOGIN_FAILURES_PER_ADDRESS: '0' };
	const s = await serve({ db, env });
	const base = s.base;

	// ---- the account page: sign in, enrol an app ----
	const a = browser();
	r = await a.go(`${base}/account`);
	let html = await r.text();
	report(r.status === 200 && /Sign in to your account/.test(html) && formOf(html, '/account/login')?.csrf, 'GET /account without a session: its sign-in form', short(html));
	r = await post(a, `${base}/account/login`, { ...formOf(html, '/account/login'), username: 'alice', password: 'wrong' });
	report(r.status === 200 && /incorrect/.test(await r.text()), 'a wrong password on the account sign-in: the form again');
	r = await post(a, `${base}/account/login`, { ...formOf(html, '/account/login'), username: 'alice', password: PW });
	report(r.status === 303 && /\/account$/.test(r.headers.get('location')), 'the right password: 303 to /account', r.status);
	r = await a.go(`${base}/account`);
	html = await r.text();
	const csp = r.headers.get('content-security-policy') ?? '';
	report(r.status === 200 && /Signed in as <strong>alice<\/strong>/.test(html) && /Set up an authenticator app/.test(html) && /This browser/.test(html),
		'the account page: who, set up an app, this browser\'s session', short(html));
	report(/script-src 'self'/.test(csp) && !/unsafe-inline/.test(csp) && /<script src="\/static\/passkey.js" defer><\/script>/.test(html),
		'the account page runs the issuer\'s own passkey script and nothing inline', csp);
	const js = await fetch(`${base}/static/passkey.js`);
	report(js.status === 200 && /javascript/.test(js.headers.get('content-type')) && /navigator\.credentials\.create/.test(await js.text()), 'GET /static/passkey.js');
	const acsrf = formOf(html, '/account').csrf;
	r = await post(a, `${base}/account`, { csrf: 'x'.repeat(43), action: 'app-begin' });
	report(r.status === 400, 'an account form with a wrong CSRF token: 400', r.status);
	r = await post(a, `${base}/account`, { csrf: acsrf, action: 'app-begin' });
	html = await r.text();
	const key = /<span class="secret">([A-Z2-7 ]+)<\/span>/.exec(html)?.[1];
	const uri = /href="(otpauth:[^"]+)"/.exec(html)?.[1]?.replace(/&amp;/g, '&');
	const qr = /<img class="qr" src="data:image\/svg\+xml;base64,([^"]+)"/.exec(html)?.[1];
	const appCsp = r.headers.get('content-security-policy') ?? '';
	report(r.status === 200 && key && key.replace(/ /g, '').length === 32 && /img-src 'self' data:/.test(appCsp), 'app-begin: a 160-bit key in base32, the QR code inline (img-src data:)', short(html));
	const u = uri ? new URL(uri) : null;
	report(u && u.protocol === 'otpauth:' && u.searchParams.get('secret') === key.replace(/ /g, '') && u.searchParams.get('algorithm') === 'SHA1' &&
		u.searchParams.get('digits') === '6' && u.searchParams.get('period') === '30' && /alice/.test(decodeURIComponent(u.pathname)),
		'the otpauth:// URI: the same key, SHA1, 6 digits, 30 s, the account', uri);
	const svg = qr ? Buffer.from(qr, 'base64').toString() : '';
	report(/^<svg|^<\?xml/.test(svg) && /<path/.test(svg) && !svg.includes(key.replace(/ /g, '')), 'the QR code is an SVG that does not spell the key out', svg.slice(0, 120));
	const zbar = spawnSync('zbarimg', ['-q', '--raw', '-'], { input: Buffer.from(svg), encoding: 'utf8' });
	if (zbar.status !== null && !zbar.error) report(zbar.stdout.trim() === uri || zbar.status !== 0, 'zbarimg reads the otpauth URI back from the SVG (when it reads SVG)', zbar.stdout + zbar.stderr);
	const secret = unbase32(key);
	const appId = formOf(html, '/account').id;
	r = await post(a, `${base}/account`, { csrf: acsrf, action: 'app-confirm', id: appId, code: totp(secret, Date.now() / 1000 - 600) });
	html = await r.text();
	report(r.status === 200 && /not right/.test(html) && html.includes(key), 'a wrong first code: the same enrolment page again, with the key', short(html));
	r = await post(a, `${base}/account`, { csrf: acsrf, action: 'app-confirm', id: appId, code: totp(secret) });
	html = await r.text();
	const codes = (/<pre class="codes">([\s\S]*?)<\/pre>/.exec(html)?.[1] ?? '').trim().split('\n').filter(Boolean);
	report(r.status === 200 && codes.length === 10 && codes.every((c) => /^[0-9a-hjkmnp-tv-z]{5}-[0-9a-hjkmnp-tv-z]{5}$/.test(c)) && new Set(codes).size === 10,
		'the first right code turns the app on and shows ten recovery codes once', short(html));
	r = await a.go(`${base}/account`);
	html = await r.text();
	report(!/Set up an authenticator app<\/button>/.test(html.replace(/class="inline none"[\s\S]*?<\/form>/g, '')) && /Authenticator app<span class="meta">Added/.test(html) && /10 of 10 codes left/.test(html),
		'the account page lists the app and 10 codes left', short(html));
	const rows = await (await a.go(`${base}/account`)).text();
	report(!rows.includes(key.replace(/ /g, '')) && !codes.some((c) => rows.includes(c)), 'the account page never shows the key or a code again');
	const stored = spawnSync('sqlite3', [db, "SELECT kind, hex(substr(data, 1, 8)) FROM factors WHERE kind = 'totp'"], { encoding: 'utf8' });
	report(stored.stdout.trim() === `totp|${Buffer.from('IDBSEAL1').toString('hex').toUpperCase()}`, 'with SECRETS_SYSTEM the app\'s key is sealed at rest', stored.stdout + stored.stderr);

	// ---- the second step ----
	const b = browser();
	r = await password(b, base, await authorize(b, base, 'app'), 'alice');
	html = await r.text();
	report(r.status === 200 && /Confirm it is you/.test(html) && formOf(html, '/login/mfa')?.flow, 'after the right password: the second step, not a code', short(html));
	r = await post(b, `${base}/consent`, { ...formOf(html, '/login/mfa'), decision: 'allow' });
	report(r.status === 400, 'the consent form refuses a flow that owes its second factor', r.status);
	r = await second(b, base, html, '000000');
	const wrongPage = await r.text();
	report(r.status === 200 && /not right/.test(wrongPage) && !r.headers.get('location'), 'a wrong code: the second step again', short(wrongPage));
	let now = Date.now() / 1000;
	// The code alice's enrolment used is spent; wait for a fresh step if needed.
	if (totp(secret, now) === totp(secret)) await new Promise((res) => setTimeout(res, (30 - (now % 30) + 0.5) * 1000));
	const code1 = totp(secret);
	r = await second(b, base, wrongPage, code1);
	const loc = r.headers.get('location') ?? '';
	report(r.status === 303 && loc.startsWith(CB) && new URL(loc).searchParams.get('code'), 'the right code: redirected to the client with a code', `${r.status} ${loc}`);
	const config = await client.discovery(new URL(base), 'app', undefined, client.ClientSecretBasic(app.client_secret), { execute: [client.allowInsecureRequests] });
	report((config.serverMetadata().acr_values_supported ?? []).includes('urn:identity-backend:acr:mfa') && (config.serverMetadata().claims_supported ?? []).includes('amr'),
		'discovery lists acr_values_supported and the amr claim');
	const tokens = await client.authorizationCodeGrant(config, new URL(loc), { pkceCodeVerifier: VERIFIER, expectedState: 's1' }).catch((e) => e);
	const claims = tokens?.claims?.();
	report(claims && JSON.stringify(claims.amr) === '["pwd","otp","mfa"]' && claims.acr === 'urn:identity-backend:acr:mfa',
		'openid-client sees amr ["pwd","otp","mfa"] and the acr of two factors', JSON.stringify(claims ?? { error: String(tokens), body: tokens?.error_description ?? tokens?.cause }));

	// SSO keeps the session's amr, and a refresh keeps the grant's
	r = await authorize(b, base, 'app', { scope: 'openid offline_access' });
	const ssoCode = new URL(r.headers.get('location') ?? 'x:/').searchParams.get('code');
	const tok = await (await fetch(`${base}/token`, { method: 'POST', headers: { ...FORM, authorization: basic('app', app.client_secret) },
		body: new URLSearchParams({ grant_type: 'authorization_code', code: ssoCode, redirect_uri: CB, code_verifier: VERIFIER }) })).json();
	const ref = await (await fetch(`${base}/token`, { method: 'POST', headers: { ...FORM, authorization: basic('app', app.client_secret) },
		body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: tok.refresh_token ?? '' }) })).json();
	report(tok.id_token && ref.id_token && JSON.stringify(payload(tok.id_token).amr) === '["pwd","otp","mfa"]' && JSON.stringify(payload(ref.id_token).amr) === '["pwd","otp","mfa"]' &&
		payload(ref.id_token).acr === 'urn:identity-backend:acr:mfa', 'an SSO code carries the session\'s amr, and its refreshed ID token keeps it', JSON.stringify([tok, ref]).slice(0, 300));

	// a used code is refused
	const c = browser();
	r = await password(c, base, await authorize(c, base, 'app'), 'alice');
	html = await r.text();
	r = await second(c, base, html, code1);
	report(r.status === 200 && /not right/.test(await r.text()), 'a code used once is refused the second time');

	// a recovery code works once
	r = await authorize(c, base, 'app');
	r = await password(c, base, r, 'alice');
	html = await r.text();
	r = await second(c, base, html, codes[0].toUpperCase().replace('-', ' '));
	report(r.status === 303 && (r.headers.get('location') ?? '').startsWith(CB), 'a recovery code (any case, a space for the dash) passes the second step', r.status);
	const d = browser();
	r = await password(d, base, await authorize(d, base, 'app'), 'alice');
	r = await second(d, base, await r.text(), codes[0]);
	report(r.status === 200 && /not right/.test(await r.text()), 'the same recovery code is refused the second time');

	// SSO: a two-factor session serves the strict client without asking
	r = await authorize(b, base, 'strict');
	report(r.status === 302 && (r.headers.get('location') ?? '').includes('code='), 'a session with two factors: SSO to a --require-mfa client', r.status);
	// prompt=login and max_age=0 ask for both factors again
	for (const extra of [{ prompt: 'login' }, { max_age: '0' }]) {
		r = await authorize(b, base, 'app', extra);
		r = await password(b, base, r, 'alice');
		report(r.status === 200 && /Confirm it is you/.test(await r.text()), `${JSON.stringify(extra)}: the password, then the second factor again`);
	}

	// two requests with one code at once: exactly one passes
	await new Promise((res) => setTimeout(res, (30 - ((Date.now() / 1000) % 30) + 0.5) * 1000));
	const pair = [browser(), browser()];
	const pages = [];
	for (const p of pair) pages.push(await (await password(p, base, await authorize(p, base, 'app'), 'alice')).text());
	const code2 = totp(secret);
	const raced = await Promise.all(pair.map((p, i) => second(p, base, pages[i], code2)));
	report(raced.filter((x) => x.status === 303).length === 1 && raced.filter((x) => x.status === 200).length === 1,
		'one code sent in two flows at once: exactly one passes', raced.map((x) => x.status).join());

	// the lockout counts second-step failures (bob)
	const bb = browser();
	r = await post(bb, `${base}/account/login`, { ...formOf(await (await bb.go(`${base}/account`)).text(), '/account/login'), username: 'bob', password: PW });
	html = await (await bb.go(`${base}/account`)).text();
	html = await (await post(bb, `${base}/account`, { csrf: formOf(html, '/account').csrf, action: 'app-begin' })).text();
	const bobKey = unbase32(/<span class="secret">([A-Z2-7 ]+)<\/span>/.exec(html)[1]);
	r = await post(bb, `${base}/account`, { csrf: formOf(html, '/account').csrf, action: 'app-confirm', id: formOf(html, '/account').id, code: totp(bobKey) });
	report(r.status === 200, 'bob turns an app on');
	const lb = browser();
	r = await password(lb, base, await authorize(lb, base, 'app'), 'bob');
	html = await r.text();
	const statuses = [];
	for (let i = 0; i < 5; i++) {
		r = await second(lb, base, html, '000000');
		statuses.push(r.status);
		html = await r.text();
	}
	report(statuses.includes(429) && /Too many wrong codes/.test(html), 'wrong second-step codes lock the account', statuses.join());
	await new Promise((res) => setTimeout(res, (30 - ((Date.now() / 1000) % 30) + 0.5) * 1000));
	r = await second(lb, base, html, totp(bobKey));
	report(r.status === 429, 'while locked even the right code is refused', r.status);

	// ---- policy ----
	const cb = browser();
	r = await password(cb, base, await authorize(cb, base, 'strict'), 'carol');
	report(r.status === 303 && /\/account\?setup=required$/.test(r.headers.get('location') ?? ''), 'no second factor, a --require-mfa client: to /account to set one up', `${r.status} ${r.headers.get('location')}`);
	html = await (await cb.go(`${base}/account?setup=required`)).text();
	report(/asks for a second factor/.test(html), 'the account page says why');
	const db2 = browser();
	r = await password(db2, base, await authorize(db2, base, 'app'), 'dave');
	report(r.status === 303 && (r.headers.get('location') ?? '').startsWith(CB), 'no second factor, an ordinary client: the password is enough', r.status);
	r = await authorize(db2, base, 'strict', { prompt: 'none' });
	report(r.status === 302 && new URL(r.headers.get('location')).searchParams.get('error') === 'login_required', 'a password-only session, prompt=none, a --require-mfa client: login_required', r.headers.get('location'));
	r = await authorize(db2, base, 'strict');
	report(r.status === 303 && /setup=required/.test(r.headers.get('location') ?? ''), 'a password-only session, a --require-mfa client: set up a second factor', r.status);

	// the password grant refuses a person with two factors
	const g = await fetch(`${base}/token`, { method: 'POST', headers: { ...FORM, authorization: basic('trusted', trusted.client_secret) }, body: new URLSearchParams({ grant_type: 'password', username: 'alice', password: PW }) });
	const gj = await g.json();
	report(g.status === 400 && gj.error === 'invalid_grant' && /two factors/.test(gj.error_description), 'the password grant refuses a person with a second factor', JSON.stringify(gj));
	const gd = await fetch(`${base}/token`, { method: 'POST', headers: { ...FORM, authorization: basic('trusted', trusted.client_secret) }, body: new URLSearchParams({ grant_type: 'password', username: 'dave', password: PW }) });
	const dj = await gd.json();
	report(gd.status === 200 && JSON.stringify(payload(dj.id_token).amr) === '["pwd"]', 'the password grant of a password-only person: amr ["pwd"]', JSON.stringify(dj).slice(0, 200));

	// ---- sessions and factors on the account page ----
	html = await (await a.go(`${base}/account`)).text();
	const sessions = [...html.matchAll(/name="action" value="end-session">\s*<input type="hidden" name="id" value="([0-9a-f]{64})">/g)].map((m) => m[1]);
	report(sessions.length >= 4, 'the account page lists alice\'s sessions', sessions.length);
	const other = sessions.find((id) => !new RegExp(`This browser[\\s\\S]{0,400}${id}`).test(html)) ?? sessions[0];
	r = await post(a, `${base}/account`, { csrf: acsrf, action: 'end-session', id: other });
	report(r.status === 303 && /done=ended/.test(r.headers.get('location') ?? ''), 'end one of them', r.status);
	html = await (await a.go(`${base}/account`)).text();
	report(!html.includes(other) && /Signed in as/.test(html), 'it is gone; this browser is still signed in');
	r = await post(a, `${base}/account`, { csrf: acsrf, action: 'end-session', id: 'f'.repeat(64) });
	report(r.status === 404, 'a session that is not alice\'s: 404', r.status);
	const appRow = /name="action" value="remove">\s*<input type="hidden" name="id" value="([^"]+)">/.exec(html)?.[1];
	r = await post(a, `${base}/account`, { csrf: acsrf, action: 'remove', id: appRow });
	report(r.status === 303, 'remove the app', r.status);
	html = await (await a.go(`${base}/account`)).text();
	report(/Set up an authenticator app/.test(html) && /codes-heading" class="none"/.test(html), 'the app is gone, and the recovery codes with it');
	const e = browser();
	r = await password(e, base, await authorize(e, base, 'app'), 'alice');
	report(r.status === 303, 'without a second factor alice signs in with her password', r.status);

	// user mfa reset (bob)
	r = await run(['user', 'mfa', 'reset', 'bob', '--db', db]);
	report(r.code === 0, 'user mfa reset bob', r.stdout + r.stderr);
	r = await run(['user', 'unlock', 'bob', '--db', db]);
	const fb = browser();
	r = await password(fb, base, await authorize(fb, base, 'app'), 'bob');
	report(r.status === 303, 'after user mfa reset the password is enough again', r.status);

	const log = await stop(s, 'mfa server');
	report(!log.includes(PW) && !log.includes(key.replace(/ /g, '')) && !codes.some((x) => log.includes(x)) && !log.includes(code1),
		'the server log holds no password, key, recovery code or TOTP code');
	report(!sanitizerReport(log), 'no sanitizer report', sanitizerReport(log));

	// MFA=required: everybody needs two factors
	const s2 = await serve({ db, env: { ...env, MFA: 'required' } });
	const h = browser();
	r = await password(h, s2.base, await authorize(h, s2.base, 'app'), 'dave');
	report(r.status === 303 && /setup=required/.test(r.headers.get('location') ?? ''), 'MFA=required: a person without a second factor is sent to set one up', r.status);
	await stop(s2, 'MFA=required server');
	r = await run(['serve', '--db', db], { env: { MFA: 'sometimes' }, timeout: 10000 });
	report(r.code === 2 && /MFA/.test(r.stderr), 'MFA must be optional or required', r.stderr);

	// ---- keys sealed later, and the system secret rotated ----
	const plainDb = path.join(dir, 'plain.db');
	await addClient(plainDb, 'app', ['--grant', 'authorization_code', '--redirect-uri', CB, '--scope', 'openid']);
	await run(['user', 'add', '--db', plainDb, '--username', 'erin', '--password-stdin'], { env: TINY, input: PW });
	const s3 = await serve({ db: plainDb, env: TINY });
	const erinKey = await enrolApp(s3.base, 'erin');
	await stop(s3, 'server without SECRETS_SYSTEM');
	const prefix = () => spawnSync('sqlite3', [plainDb, "SELECT substr(data, 1, 8) FROM factors WHERE kind = 'totp'"], { encoding: 'utf8' }).stdout.trim();
	report(prefix() !== 'IDBSEAL1', 'without SECRETS_SYSTEM (SQLite) the app key is stored plain');
	r = await run(['doctor', '--db', plainDb], { env: { SECRETS_SYSTEM: SYSTEM } });
	report(/authenticator apps: 1 stored unsealed: run keys reseal/.test(r.stdout), 'doctor with SECRETS_SYSTEM names the unsealed app key', r.stdout);
	r = await run(['keys', 'reseal', '--db', plainDb], { env: { SECRETS_SYSTEM: SYSTEM } });
	report(r.code === 0 && JSON.parse(r.stdout).app_keys_resealed === 1 && prefix() === 'IDBSEAL1', 'keys reseal seals the app key too', r.stdout + r.stderr);
	const NEW = crypto.randomBytes(32).toString('base64url');
	r = await run(['keys', 'reseal', '--db', plainDb], { env: { SECRETS_SYSTEM: `${NEW},${SYSTEM}` } });
	report(r.code === 0 && JSON.parse(r.stdout).app_keys_resealed === 1, 'a new system secret first, keys reseal: the app key follows', r.stdout + r.stderr);
	const s4 = await serve({ db: plainDb, env: { ...TINY, SECRETS_SYSTEM: NEW } });
	const eb = browser();
	html = await (await password(eb, s4.base, await authorize(eb, s4.base, 'app'), 'erin')).text();
	await nextStep();
	r = await second(eb, s4.base, html, totp(erinKey));
	report(r.status === 303 && (r.headers.get('location') ?? '').startsWith(CB), 'with only the new secret the app\'s codes still work', r.status);
	await stop(s4, 'server with the new secret');

	// the login page's passkey challenges count with the flows for the address
	const s5 = await serve({ db: plainDb, env: { ...TINY, SECRETS_SYSTEM: NEW, LOGIN_FLOWS_PER_ADDRESS: '4' } });
	const fb5 = browser();
	const f5 = formOf(await (await authorize(fb5, s5.base, 'app')).text(), '/login');
	const asked = [];
	for (let i = 0; i < 6; i++) {
		const x = await post(fb5, `${s5.base}/login/passkey/challenge`, f5);
		asked.push({ status: x.status, body: await x.json().catch(() => null), after: x.headers.get('retry-after') });
	}
	report(asked[0].status === 200 && /^[A-Za-z0-9_-]{43}$/.test(asked[0].body?.challenge ?? '') && asked.at(-1).status === 429 &&
		asked.at(-1).body?.error === 'slow_down' && Number(asked.at(-1).after) > 0,
		'the login page\'s passkey challenges: 32 random bytes each, counted with the flows (429 past LOGIN_FLOWS_PER_ADDRESS)', asked.map((a) => a.status).join());
	await stop(s5, 'server with a low flow limit');
} catch (err) {
	report(false, 'suite ran', err?.stack ?? err);
} finally {
	for (const x of [...servers]) await stop(x, 'leftover');
}
finish();
