// The browser half of single sign-on, for real: `identity-backend serve` on a
// free loopback port with users and clients made by the CLI, driven by fetch
// (redirect: 'manual') with a small cookie jar per "browser". Covers
// /authorize (RFC 6749 §4.1.1, §4.1.2.1; RFC 7636 S256 only; OIDC Core
// §3.1.2.1 prompt and max_age; RFC 9207 iss on every redirect): the error
// page before the redirect URI is validated (never an open redirect), error
// redirects after it; the login page (security headers, form fields,
// references only); POST /login (one message for unknown user, wrong password
// and locked account; lockout; the per-address limit; CSRF and browser
// binding; a flow ends in one code); SSO with the session cookie; consent;
// RP-initiated logout; the worker pool: /ping answered while ten logins hash at
// the default argon2id cost (its latency printed; tests/bench/sso.mjs measures
// it); and the code exchanged at /token with the ID token checked by jose; a
// rehash after a change of argon2id cost. A sanitizer report on any stderr fails.
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';
import * as jose from 'jose';
import { reporter, sanitizerReport, serverSet, tempDir } from '../lib.mjs';
import { addClient, cliTranscript, run } from './lib.mjs';

const { report, failures, finish } = reporter('issuer/sso');
const started = Date.now();
const FORM = 'application/x-www-form-urlencoded';
const TINY = { PASSWORD_ARGON2_TEST: '1', PASSWORD_ARGON2_M_KIB: '64', PASSWORD_ARGON2_T: '1' };
const WRONG = 'The username or password is incorrect.';
const { servers, serve, stop } = serverSet(report);
const secrets = new Set(); // passwords, codes, cookies and CSRF tokens: never in a log line
const b64u = (buf) => Buffer.from(buf).toString('base64url');
const show = (r) => `${r.status} ${r.headers?.get?.('location') ?? ''} ${(r.text ?? r.error ?? '').slice(0, 300)}`;

/** A PKCE pair (RFC 7636 §4.1, §4.2 S256). */
function pkce() {
	const verifier = b64u(crypto.randomBytes(32));
	return { verifier, challenge: b64u(crypto.createHash('sha256').update(verifier).digest()) };
}

/** The Set-Cookie lines of a response (Node 18.14+ and 20 have getSetCookie). */
function setCookies(headers) {
	if (typeof headers.getSetCookie === 'function') return headers.getSetCookie();
	const v = headers.get('set-cookie');
	return v ? v.split(/,(?=\s*idb_)/) : [];
}

/** A browser: a cookie jar and fetch with redirect: 'manual'. */
class Browser {
	constructor() {
		this.jar = new Map();
		this.raw = []; // every Set-Cookie line seen
	}
	cookie() {
		return [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
	}
	absorb(headers) {
		for (const line of setCookies(headers)) {
			this.raw.push(line);
			const [nv, ...attrs] = line.split(';').map((s) => s.trim());
			const i = nv.indexOf('=');
			const name = nv.slice(0, i), value = nv.slice(i + 1);
			const age = attrs.find((a) => /^max-age=/i.test(a));
			if (age && Number(age.split('=')[1]) <= 0) this.jar.delete(name);
			else {
				this.jar.set(name, value);
				secrets.add(value);
			}
		}
	}
	async fetch(url, { method = 'GET', form, headers = {} } = {}) {
		const h = { ...headers };
		if (this.jar.size) h.cookie = this.cookie();
		let body;
		if (form) {
			h['content-type'] = FORM;
			body = new URLSearchParams(form).toString();
		}
		try {
			const r = await fetch(url, { method, headers: h, body, redirect: 'manual' });
			this.absorb(r.headers);
			const text = await r.text();
			return { status: r.status, headers: r.headers, text, setCookie: setCookies(r.headers) };
		} catch (e) {
			return { status: 0, error: `${e.message} ${e.cause?.code ?? ''}`, headers: new Headers() };
		}
	}
}

/** The hidden fields of a page's form. */
function hidden(html) {
	const out = {};
	for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) out[m[1]] = m[2];
	return out;
}

/** The text of the role="alert" element. */
const alertText = (html) => /role="alert">([^<]*)</.exec(html)?.[1] ?? null;

/** The query of a Location header as an object (null when there is none). */
function locationQuery(r, prefix) {
	const loc = r.headers.get('location');
	if (!loc || (prefix && !loc.startsWith(prefix + '?'))) return null;
	return Object.fromEntries(new URL(loc).searchParams);
}


async function addUser(db, username, password, env = TINY) {
	secrets.add(password);
	const r = await run(['user', 'add', '--db', db, '--username', username, '--password-stdin'], { env, input: password });
	if (r.code !== 0) throw new Error(`user add ${username}: ${r.stderr}`);
	return JSON.parse(r.stdout).user_id;
}

/** The /authorize URL of base with params over the defaults of client `web`. */
function authorizeUrl(base, ctx, over = {}) {
	const p = {
		client_id: 'web',
		redirect_uri: ctx.cb,
		response_type: 'code',
		scope: 'openid profile',
		state: 'st-' + crypto.randomBytes(4).toString('hex'),
		nonce: 'n-' + crypto.randomBytes(4).toString('hex'),
		code_challenge: ctx.pk.challenge,
		code_challenge_method: 'S256',
		...over,
	};
	for (const k of Object.keys(p)) if (p[k] === undefined) delete p[k];
	return `${base}/authorize?${new URLSearchParams(p)}`;
}

/** Sign in through the login page: /authorize then POST /login; returns the /login answer and the flow. */
async function signIn(b, base, ctx, user, password, over = {}) {
	const page = await b.fetch(authorizeUrl(base, ctx, over));
	const f = hidden(page.text);
	if (f.csrf) secrets.add(f.csrf), secrets.add(f.flow);
	const post = await b.fetch(`${base}/login`, { method: 'POST', form: { ...f, username: user, password } });
	return { page, form: f, r: await afterFailure(b, base, post), post };
}

/** A failed POST /login answers 303 to GET /login?error=CODE (POST/Redirect/GET): that GET's answer; else r. */
async function afterFailure(b, base, r) {
	const loc = r.status === 303 ? r.headers.get('location') ?? '' : '';
	return loc.startsWith(`${base}/login?error=`) ? b.fetch(loc) : r;
}

function isErrorPage(r, status) {
	return (
		r.status === status &&
		(r.headers.get('content-type') ?? '').startsWith('text/html') &&
		!r.headers.get('location') &&
		/role="alert"/.test(r.text)
	);
}

/** 302 to cb with error (and state when given) and iss. */
function isErrorRedirect(r, ctx, error, state) {
	const q = locationQuery(r, ctx.cb);
	return (
		(r.status === 302 || r.status === 303) &&
		q?.error === error &&
		typeof q.error_description === 'string' &&
		q.iss === ctx.base &&
		(state === undefined ? !('state' in q) : q.state === state)
	);
}

// ---------------------------------------------------------------------------

async function errorsBeforeRedirect(base, ctx) {
	const b = new Browser();
	const cases = [
		['unknown client_id', { client_id: 'nobody' }],
		['missing client_id', { client_id: undefined }],
		['client without the authorization_code grant', { client_id: 'svc' }],
		['missing redirect_uri', { redirect_uri: undefined }],
		['unregistered redirect_uri', { redirect_uri: 'https://evil.example/cb' }],
		['redirect_uri with an extra path (exact match)', { redirect_uri: ctx.cb + '/x' }],
		['redirect_uri with a trailing query (exact match)', { redirect_uri: ctx.cb + '?a=1' }],
		['another client\'s redirect_uri', { redirect_uri: ctx.cbThird }],
	];
	for (const [name, over] of cases) {
		const r = await b.fetch(authorizeUrl(base, ctx, over));
		report(isErrorPage(r, 400), `/authorize ${name} → 400 error page, never a redirect`, show(r));
	}
	const u = new URL(authorizeUrl(base, ctx));
	let r = await b.fetch(`${u}&client_id=web`);
	report(isErrorPage(r, 400), '/authorize with client_id twice → error page (whose redirect URI?)', show(r));
	r = await b.fetch(`${u}&redirect_uri=${encodeURIComponent(ctx.cb)}`);
	report(isErrorPage(r, 400), '/authorize with redirect_uri twice → error page', show(r));
	r = await b.fetch(`${u}&x=%zz`);
	report(isErrorPage(r, 400), '/authorize with a malformed %-escape → error page', show(r));
	r = await b.fetch(`${base}/authorize`, { method: 'POST', headers: { 'content-type': 'text/plain' } });
	report(isErrorPage(r, 400), 'POST /authorize with another media type → error page', show(r));
	const csp = r.headers.get('content-security-policy') ?? '';
	report(csp.includes("default-src 'none'") && r.headers.get('cache-control') === 'no-store', 'error page: CSP and no-store', csp);
}

async function errorRedirects(base, ctx) {
	const b = new Browser();
	const long = (n) => 'x'.repeat(n);
	const cases = [
		['missing response_type', { response_type: undefined }, 'invalid_request'],
		['response_type=token', { response_type: 'token' }, 'unsupported_response_type'],
		['response_type=id_token', { response_type: 'id_token' }, 'unsupported_response_type'],
		['missing scope', { scope: undefined }, 'invalid_scope'],
		['only unknown scopes', { scope: 'admin root' }, 'invalid_scope'],
		['malformed scope (two spaces)', { scope: 'openid  profile' }, 'invalid_scope'],
		['only scopes beyond the client\'s registration', { client_id: 'narrow', redirect_uri: ctx.cbNarrow, scope: 'email profile' }, 'invalid_scope'],
		['missing code_challenge (PKCE required)', { code_challenge: undefined }, 'invalid_request'],
		['code_challenge_method absent', { code_challenge_method: undefined }, 'invalid_request'],
		['code_challenge_method=plain', { code_challenge_method: 'plain' }, 'invalid_request'],
		['code_challenge_method=S512', { code_challenge_method: 'S512' }, 'invalid_request'],
		['code_challenge of 42 characters', { code_challenge: ctx.pk.challenge.slice(1) }, 'invalid_request'],
		['code_challenge not base64url', { code_challenge: ctx.pk.challenge.slice(1) + '+' }, 'invalid_request'],
		['nonce over STORE_NONCE_MAX', { nonce: long(513) }, 'invalid_request'],
		['prompt=none login', { prompt: 'none login' }, 'invalid_request'],
		['prompt=none consent', { prompt: 'none consent' }, 'invalid_request'],
		['unknown prompt', { prompt: 'bogus' }, 'invalid_request'],
		['max_age=-1', { max_age: '-1' }, 'invalid_request'],
		['max_age=abc', { max_age: 'abc' }, 'invalid_request'],
		['max_age empty', { max_age: '' }, 'invalid_request'],
		['request object', { request: 'eyJhbGciOiJub25lIn0.e30.' }, 'request_not_supported'],
		['request_uri', { request_uri: 'https://rp.example/req' }, 'request_uri_not_supported'],
		['response_mode=fragment', { response_mode: 'fragment' }, 'invalid_request'],
	];
	for (const [name, over, error] of cases) {
		const r = await b.fetch(authorizeUrl(base, ctx, { ...over, state: 'keep-me' }));
		const q = over.client_id === 'narrow' ? { ...ctx, cb: ctx.cbNarrow } : ctx;
		report(isErrorRedirect(r, q, error, 'keep-me'), `/authorize ${name} → 302 ${error} with state and iss`, show(r));
	}
	let r = await b.fetch(authorizeUrl(base, ctx, { state: long(513) }));
	report(isErrorRedirect(r, ctx, 'invalid_request', undefined), '/authorize state over STORE_STATE_MAX → invalid_request (not echoed)', show(r));
	r = await b.fetch(authorizeUrl(base, ctx, { state: 'a b&c=d/é' }));
	report(r.status === 200 && /name="flow"/.test(r.text), 'state with reserved characters is accepted', show(r));
	r = await b.fetch(authorizeUrl(base, ctx, { state: 'a b&c=d/é', prompt: 'none' }));
	report(isErrorRedirect(r, ctx, 'login_required', 'a b&c=d/é'), 'state comes back URL-encoded, byte for byte', r.headers.get('location'));
	r = await b.fetch(`${authorizeUrl(base, ctx, { state: 'dup' })}&scope=email`);
	report(isErrorRedirect(r, ctx, 'invalid_request', 'dup'), 'a repeated scope → invalid_request at the redirect URI, state echoed', show(r));
	r = await b.fetch(authorizeUrl(base, ctx, { prompt: 'none', state: 'pn' }));
	report(isErrorRedirect(r, ctx, 'login_required', 'pn'), 'prompt=none without a session → login_required', show(r));
	r = await b.fetch(authorizeUrl(base, ctx, { prompt: 'none', state: undefined }));
	report(isErrorRedirect(r, ctx, 'login_required', undefined), 'no state in the request → none in the redirect', show(r));
	r = await b.fetch(`${base}/authorize`, { method: 'POST', form: new URLSearchParams(new URL(authorizeUrl(base, ctx, { prompt: 'none', state: 'viapost' })).search) });
	report(r.status === 303 && isErrorRedirect(r, ctx, 'login_required', 'viapost'), 'POST /authorize (form) works; its redirects are 303', show(r));
	r = await b.fetch(`${base}/authorize`, { method: 'PUT' });
	report(r.status === 405 && /GET/.test(r.headers.get('allow')) && /POST/.test(r.headers.get('allow')), '/authorize PUT → 405 with Allow: GET, POST', `${r.status} ${r.headers.get('allow')}`);
}

async function loginPage(base, ctx) {
	const b = new Browser();
	const r = await b.fetch(authorizeUrl(base, ctx, { state: 'visible-state', nonce: 'visible-nonce' }));
	const h = (n) => r.headers.get(n) ?? '';
	report(r.status === 200 && h('content-type') === 'text/html; charset=utf-8', 'login page: 200 text/html; charset=utf-8', show(r));
	const csp = h('content-security-policy');
	report(
		csp.includes("default-src 'none'") && csp.includes("frame-ancestors 'none'") && csp.includes("style-src 'self'") &&
			csp.includes("form-action 'self'") && csp.includes("base-uri 'none'") && /script-src 'self'(;|$)/.test(csp) && !/unsafe-inline|unsafe-eval|script-src [^;]*(https?:|\*)/.test(csp),
		'login page: CSP with the issuer\'s own script only (no inline, no other origin), no framing, forms to self',
		csp,
	);
	report(csp.includes(new URL(ctx.cb).origin), 'login page: CSP form-action also names the client origin (browsers check the redirect after the post)', csp);
	report(h('cache-control') === 'no-store' && h('x-content-type-options') === 'nosniff' && h('referrer-policy') === 'same-origin' && h('x-frame-options') === 'DENY', 'login page: no-store, nosniff, same-origin referrer (its form posts carry the real Origin), DENY', [...r.headers].join(' | '));
	const browserCookie = b.raw.find((c) => c.startsWith('idb_browser='));
	report(!!browserCookie && /HttpOnly/.test(browserCookie) && /SameSite=Lax/.test(browserCookie) && /Path=\//.test(browserCookie) && !/Secure/.test(browserCookie), 'idb_browser cookie: HttpOnly, SameSite=Lax, Path=/ (no Secure on an http issuer)', browserCookie);
	const t = r.text;
	report(/<html lang="en">/.test(t) && /name="viewport"/.test(t) && /role="alert"/.test(t), 'login page: lang, viewport, an alert region', t.slice(0, 200));
	report(/<form method="post" action="\/login">/.test(t) && /<input[^>]*name="username"[^>]*autocomplete="username"/.test(t) && /<input[^>]*name="password" type="password" autocomplete="current-password"/.test(t), 'login page: post form with username and password inputs (autocomplete)', t);
	report(/<label for="username">/.test(t) && /<label for="password">/.test(t), 'login page: labelled inputs', '');
	const f = hidden(t);
	report(Object.keys(f).sort().join() === 'csrf,flow' && f.flow.length === 43 && f.csrf.length === 43, 'login page: hidden fields are flow and csrf only (references)', f);
	report(!t.includes('visible-state') && !t.includes('visible-nonce') && !t.includes(ctx.pk.challenge) && !t.includes(ctx.cb), 'login page: carries no state, nonce, challenge or redirect URI', '');
	report([...t.matchAll(/<script[^>]*>/gi)].map((m) => m[0]).join() === '<script src="/static/passkey.js" defer>' && !/<script[^>]*>[^<]/i.test(t) && !/style="/.test(t) && !/ on[a-z]+=/.test(t),
		'login page: one script, the issuer\'s passkey.js by reference; no inline script, style or handler', '');
	const css = await b.fetch(`${base}/static/style.css`);
	report(css.status === 200 && /^text\/css/.test(css.headers.get('content-type')) && css.text.includes('.alert'), '/static/style.css is served (text/css)', show(css));
	const g = await b.fetch(`${base}/login`);
	report(isErrorPage(g, 400) && /start from the application|Start from your application/i.test(g.text), 'GET /login without a flow → a friendly error page', show(g));
	const hint = await b.fetch(authorizeUrl(base, ctx, { login_hint: '<b>"x"</b>' }));
	report(hint.text.includes('value="&lt;b&gt;&quot;x&quot;&lt;/b&gt;"'), 'login_hint prefills the username, HTML-escaped', /name="username"[^>]*/.exec(hint.text)?.[0]);
}

async function wrongPasswords(base, ctx) {
	const msgs = [];
	for (const [name, user, pw] of [
		['unknown user', 'nobody-here', 'whatever-1'],
		['wrong password', 'alice', 'not-alices'],
	]) {
		const b = new Browser();
		const { r, post } = await signIn(b, base, ctx, user, pw);
		msgs.push([name, r.status, alertText(r.text)]);
		report(post.status === 303 && post.headers.get('location') === `${base}/login?error=wrong` && post.text === '', `login: ${name} → 303 to GET /login?error=wrong (a reload posts nothing)`, show(post));
		report(r.status === 200 && alertText(r.text) === WRONG, `login: ${name} → the form again with "${WRONG}"`, show(r));
		report(/id="password"[^>]*aria-invalid="true" autofocus>/.test(r.text) && !/id="username"[^>]*autofocus/.test(r.text), `login: ${name}: the focus on the password field`, /<input id="password"[^>]*>/.exec(r.text)?.[0]);
		report(!r.text.includes(pw) && r.text.includes(`value="${user}"`) && hidden(r.text).flow, `login: ${name}: username kept, password not echoed, same flow`, '');
		report(!b.jar.has('idb_session'), `login: ${name}: no session cookie`, [...b.jar.keys()]);
	}
	return msgs;
}

async function lockout(base, ctx, db, msgs) {
	// LOGIN_LOCKOUT_THRESHOLD=3 on this server.
	for (let i = 0; i < 3; i++) await signIn(new Browser(), base, ctx, 'carol', `wrong-${i}`);
	const list = await run(['user', 'list', '--db', db], { env: TINY });
	const carol = (JSON.parse(list.stdout).users ?? JSON.parse(list.stdout)).find?.((u) => u.username === 'carol');
	report(carol?.locked === true, 'lockout: three failures lock the account (user list: locked)', list.stdout.slice(0, 300));
	const b = new Browser();
	const { r } = await signIn(b, base, ctx, 'carol', ctx.carolPw);
	msgs.push(['locked account', r.status, alertText(r.text)]);
	report(r.status === 200 && alertText(r.text) === WRONG && !b.jar.has('idb_session'), 'lockout: the right password is refused with the same message', show(r));
	report(new Set(msgs.map((m) => `${m[1]} ${m[2]}`)).size === 1, 'unknown user, wrong password and locked account answer identically', msgs);
	const m = await (await fetch(`${ctx.metrics}/metrics`)).text();
	const val = (re) => Number(re.exec(m)?.[1] ?? NaN);
	report(val(/^idb_account_lockouts_total (\d+)/m) >= 1 && val(/^idb_logins_total\{outcome="locked"\} (\d+)/m) >= 1 && val(/^idb_logins_total\{outcome="failed"\} (\d+)/m) >= 4, 'metrics: lockouts, locked and failed sign-ins counted', m.split('\n').filter((l) => /login|lockout/.test(l)).join(' | '));
}

async function csrf(base, ctx) {
	const a = new Browser();
	const page = await a.fetch(authorizeUrl(base, ctx));
	const f = hidden(page.text);
	const good = { ...f, username: 'alice', password: ctx.alicePw };
	let r = await a.fetch(`${base}/login`, { method: 'POST', form: { ...good, csrf: f.flow } });
	report(isErrorPage(r, 400) && /expired/.test(r.text), 'login: a wrong csrf token → 400 "expired" page', show(r));
	const noCookie = new Browser();
	r = await noCookie.fetch(`${base}/login`, { method: 'POST', form: good });
	report(isErrorPage(r, 400), 'login: without the browser cookie → refused', show(r));
	const other = new Browser();
	await other.fetch(authorizeUrl(base, ctx));
	r = await other.fetch(`${base}/login`, { method: 'POST', form: good });
	report(isErrorPage(r, 400) && !other.jar.has('idb_session'), "login: another browser's cookie → refused", show(r));
	r = await a.fetch(`${base}/login`, { method: 'POST', form: good, headers: { origin: 'https://evil.example' } });
	report(isErrorPage(r, 400), 'login: a foreign Origin → refused', show(r));
	r = await a.fetch(`${base}/login`, { method: 'POST', form: { ...good, flow: 'A'.repeat(43) } });
	report(isErrorPage(r, 400), 'login: an unknown flow → refused', show(r));
	r = await a.fetch(`${base}/login`, { method: 'POST', form: good, headers: { origin: 'null' } });
	report(isErrorPage(r, 400), 'login: Origin: null (a sandboxed frame, a data: or file: page) → refused', show(r));
	r = await a.fetch(`${base}/login`, { method: 'POST', form: good, headers: { origin: new URL(base).origin } });
	report(r.status === 303 && locationQuery(r, ctx.cb)?.code, "login: the same form, right cookie and csrf, the issuer's Origin → 303 with a code", show(r));
	r = await a.fetch(`${base}/login`, { method: 'POST', form: good });
	report(isErrorPage(r, 400), 'login: the flow cannot be used again after it produced a code', show(r));
}

async function success(base, ctx) {
	const b = new Browser();
	const { r, page } = await signIn(b, base, ctx, 'ALICE', ctx.alicePw, { state: 's-ok', nonce: 'nonce-ok' });
	report(page.status === 200, 'success: the login page', show(page));
	const q = locationQuery(r, ctx.cb);
	report(r.status === 303 && q?.code?.length === 43 && q.state === 's-ok' && q.iss === base, 'success: 303 to the redirect URI with code, state and iss (username in any case)', show(r));
	if (q?.code) secrets.add(q.code);
	const sc = b.raw.find((c) => c.startsWith('idb_session='));
	report(!!sc && /HttpOnly/.test(sc) && /SameSite=Lax/.test(sc) && /Path=\//.test(sc) && /Max-Age=5400(;|$)/.test(sc), 'success: idb_session cookie HttpOnly, SameSite=Lax, Path=/, Max-Age = SESSION_TTL_MINUTES (90 min)', sc);
	return { b, code: q?.code, nonce: 'nonce-ok' };
}

async function sso(base, ctx, b) {
	let r = await b.fetch(authorizeUrl(base, ctx, { state: 'again' }));
	let q = locationQuery(r, ctx.cb);
	report(r.status === 302 && q?.code && q.state === 'again' && q.iss === base, 'SSO: a second /authorize with the session → a code, no form', show(r));
	r = await b.fetch(authorizeUrl(base, ctx, { prompt: 'none', state: 'quiet' }));
	q = locationQuery(r, ctx.cb);
	report(r.status === 302 && q?.code && q.state === 'quiet', 'SSO: prompt=none with a session → a code', show(r));
	r = await b.fetch(authorizeUrl(base, ctx, { prompt: 'login' }));
	report(r.status === 200 && hidden(r.text).flow, 'SSO: prompt=login → the login form again', show(r));
	r = await b.fetch(authorizeUrl(base, ctx, { max_age: '0' }));
	report(r.status === 200 && hidden(r.text).flow, 'SSO: max_age=0 → the login form again', show(r));
	r = await b.fetch(authorizeUrl(base, ctx, { max_age: '0', prompt: 'none', state: 'ma' }));
	report(isErrorRedirect(r, ctx, 'login_required', 'ma'), 'SSO: max_age=0 with prompt=none → login_required', show(r));
	r = await b.fetch(authorizeUrl(base, ctx, { max_age: '3600' }));
	report(r.status === 302 && locationQuery(r, ctx.cb)?.code, 'SSO: max_age=3600 (satisfied) → a code', show(r));
	const forged = new Browser();
	forged.jar.set('idb_session', 'A'.repeat(43));
	r = await forged.fetch(authorizeUrl(base, ctx, { prompt: 'none', state: 'f' }));
	report(isErrorRedirect(r, ctx, 'login_required', 'f'), 'SSO: an unknown session cookie is no session', show(r));
}

async function consent(base, ctx) {
	const third = { ...ctx, cb: ctx.cbThird };
	const b = new Browser();
	const { r } = await signIn(b, base, third, 'alice', ctx.alicePw, { client_id: 'third', redirect_uri: ctx.cbThird, scope: 'openid email offline_access', state: 'c1' });
	report(r.status === 200 && /Allow access/.test(r.text) && r.text.includes('third') && r.text.includes('openid: sign you in') && r.text.includes('email: see your email address') && r.text.includes('offline_access: stay signed in'), 'consent: after login a --consent client gets the consent page listing the scopes', show(r));
	const f = hidden(r.text);
	report(Object.keys(f).sort().join() === 'csrf,flow', 'consent page: flow and csrf only', f);
	let c = await new Browser().fetch(`${base}/consent`, { method: 'POST', form: { ...f, decision: 'allow' } });
	report(isErrorPage(c, 400), "consent: another browser cannot answer the flow", show(c));
	c = await b.fetch(`${base}/consent`, { method: 'POST', form: { ...f, decision: 'allow' } });
	let q = locationQuery(c, ctx.cbThird);
	report(c.status === 303 && q?.code && q.state === 'c1' && q.iss === base, 'consent: allow → 303 with a code', show(c));
	c = await b.fetch(`${base}/consent`, { method: 'POST', form: { ...f, decision: 'allow' } });
	report(isErrorPage(c, 400), 'consent: the flow is gone after its code', show(c));
	c = await b.fetch(authorizeUrl(base, third, { client_id: 'third', redirect_uri: ctx.cbThird, scope: 'openid email', prompt: 'none', state: 'c2' }));
	q = locationQuery(c, ctx.cbThird);
	report(c.status === 302 && q?.code && q.state === 'c2', 'consent: remembered (a narrower request later gets a code at once)', show(c));
	c = await b.fetch(authorizeUrl(base, third, { client_id: 'third', redirect_uri: ctx.cbThird, scope: 'openid profile', prompt: 'none', state: 'c3' }));
	report(isErrorRedirect(c, third, 'consent_required', 'c3'), 'consent: a scope not consented to with prompt=none → consent_required', show(c));
	c = await b.fetch(authorizeUrl(base, third, { client_id: 'third', redirect_uri: ctx.cbThird, scope: 'openid profile', state: 'c4' }));
	report(c.status === 200 && /Allow access/.test(c.text) && !/name="password"/.test(c.text), 'consent: with a session, a new scope → the consent page without a login', show(c));
	const d = await b.fetch(`${base}/consent`, { method: 'POST', form: { ...hidden(c.text), decision: 'deny' } });
	report(isErrorRedirect(d, third, 'access_denied', 'c4'), 'consent: deny → access_denied with state', show(d));
	const pc = await b.fetch(authorizeUrl(base, ctx, { prompt: 'consent' }));
	report(pc.status === 200 && /Allow access/.test(pc.text), 'prompt=consent asks even a first-party client', show(pc));
}

async function exchange(base, ctx, code, nonce, aliceId) {
	const r = await fetch(`${base}/token`, {
		method: 'POST',
		headers: { 'content-type': FORM },
		body: new URLSearchParams({ grant_type: 'authorization_code', client_id: 'web', code, redirect_uri: ctx.cb, code_verifier: ctx.pk.verifier }),
	});
	const body = await r.json().catch(() => ({}));
	report(r.status === 200 && typeof body.id_token === 'string', 'end to end: the code from the login page exchanges at /token', `${r.status} ${JSON.stringify(body).slice(0, 200)}`);
	if (!body.id_token) return null;
	const jwks = jose.createLocalJWKSet(await (await fetch(`${base}/.well-known/jwks.json`)).json());
	try {
		const { payload } = await jose.jwtVerify(body.id_token, jwks, { issuer: base, audience: 'web' });
		report(payload.sub === aliceId && payload.nonce === nonce && typeof payload.auth_time === 'number', 'end to end: ID token (jose) for alice with the nonce and auth_time', payload);
	} catch (e) {
		report(false, 'end to end: ID token verifies with jose', e.message);
	}
	const again = await fetch(`${base}/token`, {
		method: 'POST',
		headers: { 'content-type': FORM },
		body: new URLSearchParams({ grant_type: 'authorization_code', client_id: 'web', code, redirect_uri: ctx.cb, code_verifier: ctx.pk.verifier }),
	});
	report(again.status === 400, 'end to end: the code is single use', again.status);
	return body.id_token;
}

async function logout(base, ctx, idToken) {
	// A fresh session, and its ID token as the hint.
	const b = new Browser();
	const { r } = await signIn(b, base, ctx, 'alice', ctx.alicePw);
	const code = locationQuery(r, ctx.cb)?.code;
	const tok = await (await fetch(`${base}/token`, { method: 'POST', headers: { 'content-type': FORM }, body: new URLSearchParams({ grant_type: 'authorization_code', client_id: 'web', code, redirect_uri: ctx.cb, code_verifier: ctx.pk.verifier }) })).json();
	const hint = tok.id_token ?? idToken;
	let x = await b.fetch(`${base}/logout?${new URLSearchParams({ id_token_hint: hint, post_logout_redirect_uri: 'https://evil.example/bye', state: 'l0' })}`);
	report(isErrorPage(x, 400), 'logout: an unregistered post_logout_redirect_uri → error page, never a redirect', show(x));
	x = await b.fetch(`${base}/logout?${new URLSearchParams({ post_logout_redirect_uri: ctx.bye, state: 'l0' })}`);
	report(isErrorPage(x, 400), 'logout: post_logout_redirect_uri without a client (no hint, no client_id) → error page', show(x));
	x = await b.fetch(`${base}/logout?${new URLSearchParams({ id_token_hint: hint.slice(0, -4) + 'AAAA', post_logout_redirect_uri: ctx.bye })}`);
	report(isErrorPage(x, 400), 'logout: a hint with a bad signature → error page', show(x));
	x = await b.fetch(`${base}/logout?${new URLSearchParams({ id_token_hint: hint, client_id: 'third', post_logout_redirect_uri: ctx.bye })}`);
	report(isErrorPage(x, 400), "logout: client_id that is not the hint's audience → error page", show(x));
	let still = await b.fetch(authorizeUrl(base, ctx, { prompt: 'none' }));
	report(still.status === 302 && locationQuery(still, ctx.cb)?.code, 'logout: refused requests leave the session alone', show(still));
	x = await b.fetch(`${base}/logout?${new URLSearchParams({ id_token_hint: hint, post_logout_redirect_uri: ctx.bye, state: 'bye-state' })}`);
	const q = locationQuery(x, ctx.bye);
	report(x.status === 302 && q?.state === 'bye-state', 'logout: hint + registered post_logout_redirect_uri → redirect with state', show(x));
	report(x.setCookie.some((c) => /^idb_session=;/.test(c) && /Max-Age=0/.test(c)), 'logout: the session cookie is cleared (Max-Age=0)', x.setCookie);
	// The cookie is gone from the jar; put the old value back: the session itself must be gone too.
	const old = [...new Set(b.raw.filter((c) => /^idb_session=[^;]+/.test(c)).map((c) => /^idb_session=([^;]+)/.exec(c)[1]))].pop();
	b.jar.set('idb_session', old);
	still = await b.fetch(authorizeUrl(base, ctx, { prompt: 'none', state: 'after' }));
	report(isErrorRedirect(still, ctx, 'login_required', 'after'), 'logout: the session is gone (prompt=none → login_required, even with the old cookie)', show(still));

	// Without a hint: a confirmation page, and only its POST signs out.
	const c = new Browser();
	await signIn(c, base, ctx, 'alice', ctx.alicePw);
	let p = await c.fetch(`${base}/logout?${new URLSearchParams({ client_id: 'web', post_logout_redirect_uri: ctx.bye, state: 'conf' })}`);
	const f = hidden(p.text);
	report(p.status === 200 && /<form method="post" action="\/logout">/.test(p.text) && f.csrf?.length === 43 && f.post_logout_redirect_uri === ctx.bye && f.state === 'conf', 'logout without a hint: a confirmation page with a POST form', show(p));
	report(c.jar.has('idb_session'), 'logout without a hint: GET alone does not sign out', [...c.jar.keys()]);
	let s = await c.fetch(`${base}/logout`, { method: 'POST', form: { ...f, csrf: 'B'.repeat(43) } });
	report(isErrorPage(s, 400), 'logout: the confirmation POST with a wrong token → refused', show(s));
	s = await new Browser().fetch(`${base}/logout`, { method: 'POST', form: { client_id: 'web' } });
	report(s.status === 200 && /signed out/i.test(s.text), 'logout: a POST from a browser without a session → signed-out page', show(s));
	s = await c.fetch(`${base}/logout`, { method: 'POST', form: { client_id: 'web' } });
	report(s.status === 200 && /Sign out\?/.test(s.text) && c.jar.has('idb_session'), 'logout: a cross-site POST without the token only gets the confirmation page', show(s));
	s = await c.fetch(`${base}/logout`, { method: 'POST', form: f });
	report(s.status === 303 && locationQuery(s, ctx.bye)?.state === 'conf' && !c.jar.has('idb_session'), 'logout: the confirmation POST signs out and redirects (303) with state', show(s));
	p = await c.fetch(authorizeUrl(base, ctx, { prompt: 'none', state: 'gone' }));
	report(isErrorRedirect(p, ctx, 'login_required', 'gone'), 'logout (confirmed): the session is gone', show(p));
	const d = new Browser();
	await signIn(d, base, ctx, 'alice', ctx.alicePw);
	p = await d.fetch(`${base}/logout?${new URLSearchParams({ id_token_hint: hint })}`);
	report(p.status === 200 && /You are signed out/.test(p.text) && !d.jar.has('idb_session'), 'logout: a hint without a redirect URI → "You are signed out" page', show(p));
}

async function addressLimit(db, ctx) {
	const s = await serve({ db, env: { ...TINY, LOGIN_FAILURES_PER_ADDRESS: '3', LOGIN_LOCKOUT_THRESHOLD: '0' } });
	const c = { ...ctx, base: s.base };
	const statuses = [];
	for (let i = 0; i < 3; i++) statuses.push((await signIn(new Browser(), s.base, c, 'bob', `nope-${i}`)).r.status);
	const b = new Browser();
	const { r } = await signIn(b, s.base, c, 'bob', ctx.bobPw);
	report(statuses.every((x) => x === 200) && r.status === 429 && /too many failed sign-ins from your network; try again in \d+ minutes?/i.test(r.text), 'per-address limit: after 3 failures (LOGIN_FAILURES_PER_ADDRESS=3) → 429 login page', `${statuses} ${show(r)}`);
	report(Number(r.headers.get('retry-after')) > 0 && !b.jar.has('idb_session'), 'per-address limit: Retry-After, and even the right password is not checked', r.headers.get('retry-after'));
	const m = await (await fetch(`${s.metrics}/metrics`)).text();
	report(/^idb_requests_limited_total\{endpoint="login"\} [1-9]/m.test(m) && /^idb_logins_total\{outcome="limited"\} [1-9]/m.test(m), 'per-address limit: counted in /metrics', m.split('\n').filter((l) => /limited/.test(l)).join(' | '));
	await stop(s, 'limit server');
}

/** The stored PHC string of username, read with the sqlite3 CLI. */
function storedHash(db, username) {
	const r = spawnSync('sqlite3', [db], { input: `.timeout 5000\nSELECT password_hash FROM users WHERE username = '${username}';\n`, encoding: 'utf8' });
	return r.stdout.trim();
}

async function rehash(db, ctx) {
	const before = storedHash(db, 'alice');
	const s = await serve({ db, env: { ...TINY, PASSWORD_ARGON2_M_KIB: '128' } });
	const { r } = await signIn(new Browser(), s.base, { ...ctx, base: s.base }, 'alice', ctx.alicePw);
	const after = storedHash(db, 'alice');
	report(r.status === 303 && /m=64,/.test(before) && /m=128,/.test(after), 'rehash: a login under a new argon2id cost stores a new hash (m=64 → m=128)', `${r.status} ${before.slice(0, 30)} → ${after.slice(0, 30)}`);
	const again = await signIn(new Browser(), s.base, { ...ctx, base: s.base }, 'alice', ctx.alicePw);
	report(again.r.status === 303, 'rehash: the new hash verifies', show(again.r));
	await stop(s, 'rehash server');
}

async function poolLatency(dir) {
	const db = path.join(dir, 'slow.db');
	const env = { PASSWORD_ARGON2_TEST: undefined, PASSWORD_ARGON2_M_KIB: undefined, PASSWORD_ARGON2_T: undefined };
	await addUser(db, 'dora', 'dora-default-cost', env);
	const cb = 'http://127.0.0.1:9/cb';
	await addClient(db, 'web', ['--public', '--grant', 'authorization_code', '--redirect-uri', cb]);
	const s = await serve({ db, threads: 1, env });
	const ctx = { base: s.base, cb, pk: pkce() };
	const browsers = Array.from({ length: 10 }, () => new Browser());
	const forms = [];
	for (const b of browsers) forms.push(hidden((await b.fetch(authorizeUrl(s.base, ctx))).text));
	const t0 = performance.now();
	const logins = browsers.map((b, i) => b.fetch(`${s.base}/login`, { method: 'POST', form: { ...forms[i], username: 'dora', password: 'dora-default-cost' } }).then((r) => ({ r, ms: performance.now() - t0 })));
	let settled = false;
	const all = Promise.all(logins).then((v) => ((settled = true), v));
	const pings = [];
	const unanswered = []; // pings not answered 200 "OK"
	while (!settled && pings.length < 5000) {
		const p0 = performance.now();
		const r = await fetch(`${s.base}/ping`);
		const text = await r.text();
		if (r.status !== 200 || text !== 'OK') unanswered.push(`${r.status} ${text.slice(0, 40)}`);
		if (!settled) pings.push(performance.now() - p0);
	}
	const done = await all;
	// The loop answers while the pool hashes. The latencies are printed, not gated: on a
	// shared machine they measure the neighbours too (tests/bench/sso.mjs measures /ping
	// during logins).
	pings.sort((a, b) => a - b);
	const pct = (q) => pings[Math.min(pings.length - 1, Math.floor(q * pings.length))];
	const max = pings[pings.length - 1], med = pct(0.5), p95 = pct(0.95);
	const total = Math.max(...done.map((d) => d.ms));
	report(done.every((d) => d.r.status === 303), 'pool: ten logins at the default argon2id cost all succeed', done.map((d) => d.r.status));
	report(pings.length >= 3 && unanswered.length === 0, `pool: /ping answered while ten logins hash: ${pings.length} pings, median ${med?.toFixed(2)} ms, p95 ${p95?.toFixed(2)} ms, max ${max?.toFixed(2)} ms; logins took ${total.toFixed(0)} ms`, { pings: pings.length, unanswered: unanswered.slice(0, 3), max, med, p95, total });
	await stop(s, 'default-cost server');
}

async function main() {
	const dir = tempDir('idb-sso-');
	const db = path.join(dir, 'identity.db');
	const ctx = { pk: pkce(), alicePw: 'alice-pw-' + crypto.randomBytes(6).toString('hex'), bobPw: 'bob-password-1', carolPw: 'carol-password-1' };
	const aliceId = await addUser(db, 'alice', ctx.alicePw);
	await addUser(db, 'bob', ctx.bobPw);
	await addUser(db, 'carol', ctx.carolPw);
	ctx.cb = 'http://127.0.0.1:9/cb';
	ctx.cbThird = 'http://127.0.0.1:9/third/cb';
	ctx.cbNarrow = 'http://127.0.0.1:9/narrow/cb';
	ctx.bye = 'http://127.0.0.1:9/bye';
	await addClient(db, 'web', ['--public', '--grant', 'authorization_code', '--grant', 'refresh_token', '--redirect-uri', ctx.cb, '--post-logout-redirect-uri', ctx.bye]);
	await addClient(db, 'third', ['--public', '--grant', 'authorization_code', '--grant', 'refresh_token', '--redirect-uri', ctx.cbThird, '--consent']);
	await addClient(db, 'narrow', ['--public', '--grant', 'authorization_code', '--redirect-uri', ctx.cbNarrow, '--scope', 'openid']);
	await addClient(db, 'svc', ['--grant', 'client_credentials', '--audience', 'api']);
	const s = await serve({ db, env: { ...TINY, LOGIN_LOCKOUT_THRESHOLD: '3', SESSION_TTL_MINUTES: '90' } });
	ctx.base = s.base;
	ctx.metrics = s.metrics;

	await errorsBeforeRedirect(s.base, ctx);
	await errorRedirects(s.base, ctx);
	await loginPage(s.base, ctx);
	const msgs = await wrongPasswords(s.base, ctx);
	await lockout(s.base, ctx, db, msgs);
	await csrf(s.base, ctx);
	const { b, code, nonce } = await success(s.base, ctx);
	const idToken = code ? await exchange(s.base, ctx, code, nonce, aliceId) : null;
	await sso(s.base, ctx, b);
	await consent(s.base, ctx);
	await logout(s.base, ctx, idToken);
	const log = await stop(s, 'main server');
	const leaked = [...secrets].filter((x) => x && x.length >= 8 && log.includes(x));
	report(leaked.length === 0, 'no password, code, cookie or CSRF token in the server log', leaked.map((x) => x.slice(0, 6) + '…'));

	await addressLimit(db, ctx);
	await rehash(db, ctx);
	await poolLatency(dir);
	const san = cliTranscript.map(sanitizerReport).find(Boolean);
	report(!san, 'no sanitizer report from the CLI', san);
}

try {
	await main();
} catch (e) {
	report(false, 'suite ran to the end', e.stack);
} finally {
	for (const s of servers) await s.stop().catch(() => {});
}
console.log(`# issuer/sso: ${failures()} failed, ${((Date.now() - started) / 1000).toFixed(1)} s`);
finish();
