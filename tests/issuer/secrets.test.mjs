// Secrets never leave where they belong (issue 6, item 5). A full session on a
// temporary database, every output kept: client add (the secrets captured), keys
// rotate for each alg, servers signing with each alg, a legacy-mode server
// (JWT_SECRET_KEY, BROWSER_UI_CLIENT_SECRET, JWT_ALGORITHM=HS256), tokens,
// /verify, /introspect, /revoke, failed and malformed authentications carrying
// real and near-miss secrets, /health, /metrics, discovery, JWKS, `keys list`,
// `client list`, bad configuration. Then every server stderr (the access log),
// every HTTP answer (status, headers, body) and every CLI stdout and stderr,
// except the one `client add` stdout that shows its secret once, is searched for:
// every client secret (also as the Basic credentials), every wrong secret sent,
// JWT_SECRET_KEY and BROWSER_UI_CLIENT_SECRET (raw, base64, base64url, hex), the
// private keys (read straight from the signing_keys table: the whole PKCS#8 DER
// and each private member, d p q dp dq qi, as base64, base64url and hex), any
// JWK private member name ("d", "p", …, "k"), and "PRIVATE KEY". The database
// file, its -wal and -shm are 0600, and the default var/ folder is 0700 (checked
// under umask 000, so the modes are the program's doing, not the umask's).
//
// The sign-in flow (issue 5) gets the same treatment: a user made by `user add`
// (its password sent on stdin), a public and a confidential client with the code
// and refresh grants, and a server (ACCESS_LOG=on) driven through real HTTP with
// cookies: /authorize, failed logins (a wrong and a near-miss password, an
// unknown user, a password in the query string), POST /login, the code at /token
// with its code_verifier, refresh and a reused refresh token, /userinfo (header
// and body), SSO, consent, RP-initiated logout (hint and confirmation form), the
// error pages of used flows, codes and forged CSRF tokens. Searched for: the
// password (raw, base64, hex, URL- and form-encoded), the wrong passwords, the
// idb_session and idb_browser cookie values, every flow id and CSRF token, the
// authorization codes, the refresh tokens, the code_verifiers. The answers that
// must carry some of them (the login page carries its flow and CSRF token, a
// redirect its code, a Set-Cookie its cookie, /token its refresh token) are
// searched for the passwords and verifiers only; the access log, the CLI
// outputs, /health, /metrics and the error pages for all of them; the database
// file and its -wal (read while the server runs and at the end) must hold none
// of them in clear (only hashes). No access log line records a query string.
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SignJWT } from 'jose';
import { BIN, reporter, startServer, tempDir } from '../lib.mjs';
import { haveSmtpd, startSmtpd } from '../mail/smtpd.mjs';

const tmp = tempDir('idb-secrets-');
const db = path.join(tmp, 'identity.db');
const ISSUER = 'https://secrets.example';
const hasSqlite = spawnSync('sqlite3', ['-version']).status === 0;
const { report, skip, finish } = reporter('issuer/secrets');
process.umask(0o000); // the modes checked below must be set by the program itself

const outputs = []; // {where, text}: everything that is searched at the end
const keep = (where, text) => text && outputs.push({ where, text: String(text) });
const needles = []; // {label, value}: what must appear in no output
const secretOf = new Map(); // client id -> secret
const mode = (f) => (fs.statSync(f).mode & 0o777).toString(8).padStart(3, '0');

/** Run the CLI; everything it prints is kept unless keepStdout is false. */
function run(args, { input = '', env = {}, cwd = tmp, keepStdout = true } = {}) {
	const r = spawnSync(BIN, args, { input, env: { ...process.env, ...env }, cwd, encoding: 'utf8', timeout: 60000 });
	if (r.error) throw new Error(`cannot run ${BIN}: ${r.error.message}`);
	const where = `\`${args.slice(0, 2).join(' ')}\``;
	if (keepStdout) keep(`${where} stdout`, r.stdout);
	keep(`${where} stderr`, r.stderr);
	let json;
	try {
		json = JSON.parse(r.stdout);
	} catch {
		json = undefined;
	}
	return { code: r.status, out: r.stdout, err: r.stderr, json };
}

/** client add: its stdout is the one place a secret may show, once; it is not kept. */
function addClient(id, extra = [], opts = {}) {
	const r = run(['client', 'add', '--db', db, '--id', id, ...extra], { ...opts, keepStdout: false });
	if (r.code !== 0 || !r.json?.client_secret) throw new Error(`client add ${id}: exit ${r.code} ${r.err}`);
	secretOf.set(id, r.json.client_secret);
	needles.push({ label: `client secret of ${id}`, value: r.json.client_secret });
	needles.push({ label: `Basic credentials of ${id}`, value: Buffer.from(`${id}:${r.json.client_secret}`).toString('base64') });
	return r.json.client_secret;
}

/**
 * Start serve (ACCESS_LOG=on) on dbFile (null: the default var/identity.db under cwd);
 * resolves {base, metrics, stop, kill} once listening. stop() sends SIGTERM, keeps what the
 * server printed, and resolves {code, signal}.
 */
async function serve(label, { env = {}, cwd = tmp, dbFile = db } = {}) {
	let s;
	try {
		s = await startServer({ db: dbFile, threads: 2, issuer: ISSUER, env: { ACCESS_LOG: 'on', ...env }, cwd, readyMs: 5000 });
	} catch (e) {
		throw new Error(`${label}: ${e.message}`);
	}
	return {
		base: s.base,
		metrics: s.metrics,
		async stop() {
			const { code, signal, stderr, stdout } = await s.stop();
			keep(`${label} stderr`, stderr);
			keep(`${label} stdout`, stdout);
			return { code, signal };
		},
		kill: () => s.child.kill('SIGKILL'),
	};
}

/** One HTTP exchange; the answer (status line, headers, body) is kept. */
async function http(base, p, { method = 'GET', headers = {}, body } = {}) {
	const r = await fetch(`${base}${p}`, { method, headers, body });
	const text = await r.text();
	const head = [...r.headers].map(([k, v]) => `${k}: ${v}`).join('\n');
	keep(`${method} ${p} answer`, `HTTP ${r.status} ${r.statusText}\n${head}\n\n${text}`);
	let json;
	try {
		json = JSON.parse(text);
	} catch {
		json = undefined;
	}
	return { status: r.status, json, text };
}
const basic = (id, secret) => ({ authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}` });
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const JSONH = { 'content-type': 'application/json' };
/** A secret that differs from s in its last character only. */
const nearMiss = (s) => {
	const w = s.slice(0, -1) + (s.endsWith('A') ? 'B' : 'A');
	needles.push({ label: 'a near-miss wrong secret', value: w });
	return w;
};

/** The service-to-service session against one running server, as client `id`. */
async function session(base, id, name, metrics) {
	const secret = secretOf.get(id);
	const tok = await http(base, '/token', { method: 'POST', headers: { ...basic(id, secret), ...FORM }, body: 'grant_type=client_credentials&scope=read' });
	const post = await http(base, '/token', { method: 'POST', headers: FORM, body: `grant_type=client_credentials&client_id=${id}&client_secret=${secret}` });
	const t = tok.json?.access_token;
	const v = await http(base, '/verify', { method: 'POST', headers: JSONH, body: JSON.stringify({ token: t, aud: 'api' }) });
	const i = await http(base, '/introspect', { method: 'POST', headers: { ...basic(id, secret), ...FORM }, body: `token=${t}` });
	const rv = await http(base, '/revoke', { method: 'POST', headers: { ...basic(id, secret), ...FORM }, body: `token=${post.json?.access_token}` });
	const v2 = await http(base, '/verify', { method: 'POST', headers: JSONH, body: JSON.stringify({ token: post.json?.access_token }) });
	// failures that carry secrets: wrong, near-miss, another client's, malformed, duplicated
	const wrong = crypto.randomBytes(32).toString('base64url');
	needles.push({ label: 'a random wrong secret', value: wrong });
	const near = nearMiss(secret);
	const fails = [
		await http(base, '/token', { method: 'POST', headers: { ...basic(id, wrong), ...FORM }, body: 'grant_type=client_credentials' }),
		await http(base, '/token', { method: 'POST', headers: { ...basic(id, near), ...FORM }, body: 'grant_type=client_credentials' }),
		await http(base, '/token', { method: 'POST', headers: { ...basic('nobody', secret), ...FORM }, body: 'grant_type=client_credentials' }),
		await http(base, '/token', { method: 'POST', headers: FORM, body: `grant_type=client_credentials&client_id=${id}&client_secret=${near}` }),
		await http(base, '/introspect', { method: 'POST', headers: { ...basic(id, near), ...FORM }, body: `token=${t}` }),
		await http(base, '/revoke', { method: 'POST', headers: { ...basic(id, near), ...FORM }, body: `token=${t}` }),
	];
	const malformed = [
		await http(base, '/token', { method: 'POST', headers: FORM, body: `grant_type=client_credentials&client_id=${id}&client_secret=${secret}&client_secret=${secret}` }),
		await http(base, '/token', { method: 'POST', headers: { ...basic(id, secret), ...FORM }, body: `grant_type=client_credentials&client_id=${id}&client_secret=${secret}` }),
		await http(base, '/token', { method: 'POST', headers: FORM, body: `grant_type=client_credentials&client_id=${id}&client_secret=${secret}%zz` }),
		await http(base, '/token', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: `client_secret=${secret}` }),
		await http(base, '/token', { method: 'POST', headers: { authorization: `Basic ${secret}`, ...FORM }, body: 'grant_type=client_credentials' }),
		await http(base, '/token', { method: 'POST', headers: { authorization: `Bearer ${secret}`, ...FORM }, body: 'grant_type=client_credentials' }),
		await http(base, `/token?client_secret=${secret}`, { method: 'POST', headers: FORM, body: 'grant_type=client_credentials' }),
		await http(base, '/verify', { method: 'POST', headers: JSONH, body: `{"token":"${secret}"}` }),
		await http(base, '/token', { method: 'POST', headers: JSONH, body: JSON.stringify({ sub: 'x', aud: 'api', client_id: id, client_secret: near }) }),
	];
	report(tok.status === 200 && post.status === 200 && v.json?.valid === true && i.json?.active === true && rv.status === 200 &&
		v2.json?.error === 'ERR_JWT_REVOKED', `${name}: the session works (token, post auth, verify, introspect, revoke)`,
	[tok.status, post.status, v.status, i.status, rv.status, v2.text].join());
	report(fails.every((f) => f.status === 401 && f.json?.error === 'invalid_client'), `${name}: wrong secrets get 401 invalid_client`, fails.map((f) => f.status).join());
	report(malformed.every((f) => f.status >= 400 && f.status < 500), `${name}: malformed requests carrying a secret get a 4xx`, malformed.map((f) => f.status).join());
	for (const p of ['/.well-known/openid-configuration', '/.well-known/jwks.json', '/health', '/ping']) await http(base, p);
	await http(metrics, '/metrics');
	return t;
}

// ---- the sign-in flow ------------------------------------------------------------------

const TINY = { PASSWORD_ARGON2_TEST: '1', PASSWORD_ARGON2_M_KIB: '64', PASSWORD_ARGON2_T: '1' };
const flowAnswers = []; // {where, text}: answers that legitimately carry a flow value (see the header)
const flowNeedles = []; // {label, value}: sign-in values; the passwords and verifiers are in both lists
const pwNeedles = []; // passwords and code_verifiers: in no answer at all
const addFlowNeedle = (label, value) => value && flowNeedles.push({ label, value: String(value) });
const addPwNeedle = (label, value) => {
	pwNeedles.push({ label, value });
	flowNeedles.push({ label, value });
};
/** Every form a password can take on the way: raw, base64, hex, URL- and form-encoded. */
function passwordForms(label, pw) {
	const b = Buffer.from(pw, 'utf8');
	const forms = new Set([pw, b.toString('base64'), b.toString('base64url'), b.toString('hex'), encodeURIComponent(pw),
		new URLSearchParams({ p: pw }).toString().slice(2)]);
	for (const f of forms) addPwNeedle(`${label} (${f === pw ? 'raw' : 'encoded'})`, f);
}
const setCookieLines = (h) => (typeof h.getSetCookie === 'function' ? h.getSetCookie() : (h.get('set-cookie') ?? '').split(/,(?=\s*(?:__Host-)?idb_)/).filter(Boolean));

/** A browser: a cookie jar over fetch (redirect: 'manual'); its answers go to flowAnswers. */
class Browser {
	constructor(name) {
		this.name = name;
		this.jar = new Map();
	}
	async go(base, p, { method = 'GET', form, headers = {}, keepAll = false } = {}) {
		const h = { ...headers };
		if (this.jar.size) h.cookie = [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
		let body;
		if (form) {
			h['content-type'] = 'application/x-www-form-urlencoded';
			body = new URLSearchParams(form).toString();
		}
		const r = await fetch(`${base}${p}`, { method, headers: h, body, redirect: 'manual' });
		const text = await r.text();
		for (const line of setCookieLines(r.headers)) {
			const m = /^((?:__Host-)?idb_\w+)=([^;]*)/.exec(line);
			if (!m) continue;
			if (m[2]) {
				this.jar.set(m[1], m[2]);
				addFlowNeedle(`the ${m[1]} cookie of ${this.name}`, m[2]);
			} else this.jar.delete(m[1]);
		}
		const head = [...r.headers].map(([k, v]) => `${k}: ${v}`).join('\n');
		const where = `${this.name}: ${method} ${p.split('?')[0]} answer`;
		const all = `HTTP ${r.status}\n${head}\n\n${text}`;
		(keepAll ? outputs : flowAnswers).push({ where, text: all });
		const loc = r.headers.get('location');
		const q = loc ? Object.fromEntries(new URL(loc).searchParams) : {};
		return { status: r.status, text, q, loc };
	}
}
/** The hidden fields of a page's form (their values are flow needles). */
function hiddenFields(html, what) {
	const out = {};
	for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) out[m[1]] = m[2];
	for (const k of ['flow', 'csrf']) addFlowNeedle(`the ${k} of ${what}`, out[k]);
	return out;
}
function pkcePair(label) {
	const verifier = crypto.randomBytes(32).toString('base64url');
	addPwNeedle(`the code_verifier of ${label}`, verifier);
	return { verifier, challenge: crypto.createHash('sha256').update(verifier).digest('base64url') };
}
/** A code from a redirect (a flow needle). */
function codeOf(r, label) {
	addFlowNeedle(`the authorization code of ${label}`, r.q.code);
	return r.q.code;
}
/** POST /token as a form; the answer is kept among flowAnswers (it carries the refresh token). */
async function tokenCall(base, form, headers = {}, label = 'token') {
	const r = await fetch(`${base}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(form).toString() });
	const text = await r.text();
	flowAnswers.push({ where: `POST /token (${label}) answer`, text: `HTTP ${r.status}\n${text}` });
	let json;
	try {
		json = JSON.parse(text);
	} catch {
		json = undefined;
	}
	addFlowNeedle(`the refresh token of ${label}`, json?.refresh_token);
	return { status: r.status, json, text };
}
const dbBytesNow = () => Buffer.concat([db, `${db}-wal`].filter((f) => fs.existsSync(f)).map((f) => fs.readFileSync(f)));
let dbSnapshot = Buffer.alloc(0); // the database and its -wal while the sign-in server ran

async function signInSession() {
	const password = `Pw ${crypto.randomBytes(12).toString('base64')}+/&=é%`; // needs URL and form encoding
	passwordForms("alice's password", password);
	let r = run(['user', 'add', '--db', db, '--username', 'alice', '--email', 'alice@example.com', '--password-stdin'], { input: password, env: TINY });
	report(r.code === 0 && r.json?.user_id, 'user add --password-stdin', `exit ${r.code} ${r.err}`);
	const aliceId = r.json?.user_id;
	r = run(['client', 'add', '--db', db, '--id', 'spa', '--public', '--grant', 'authorization_code', '--grant', 'refresh_token',
		'--redirect-uri', 'https://spa.example/cb', '--post-logout-redirect-uri', 'https://spa.example/bye']);
	report(r.code === 0, 'client add --public (code and refresh grants)', `exit ${r.code} ${r.err}`);
	const rpSecret = addClient('rp', ['--grant', 'authorization_code', '--grant', 'refresh_token', '--redirect-uri', 'https://rp.example/cb', '--consent']);
	const rpAuth = basic('rp', rpSecret).authorization;

	const s = await serve('serve (sign-in)', { env: { ...TINY, REFRESH_REUSE_GRACE_SECONDS: '0' } });
	servers.push(s);
	const b = new Browser('browser 1');
	const pk = pkcePair('the first sign-in');
	const state = `st-${crypto.randomBytes(9).toString('base64url')}`;
	addFlowNeedle('a state value', state);
	const authz = (over = {}) => `/authorize?${new URLSearchParams({ response_type: 'code', client_id: 'spa', redirect_uri: 'https://spa.example/cb',
		scope: 'openid profile email offline_access', state, nonce: 'n-1', code_challenge: pk.challenge, code_challenge_method: 'S256', ...over })}`;

	// The login page, failed logins, then the right password.
	let page = await b.go(s.base, authz());
	let f = hiddenFields(page.text, 'the first login page');
	report(page.status === 200 && f.flow && f.csrf && b.jar.has('__Host-idb_browser'), 'sign-in: /authorize shows the login page and sets __Host-idb_browser (an https issuer)', page.status);
	const wrong = `${password.slice(0, -1)}X`;
	addPwNeedle('a near-miss wrong password', wrong);
	const other = `Other-${crypto.randomBytes(9).toString('base64url')}`;
	addPwNeedle('a random wrong password', other);
	const fails = [
		await b.go(s.base, '/login', { method: 'POST', form: { ...f, username: 'alice', password: wrong } }),
		await b.go(s.base, '/login', { method: 'POST', form: { ...f, username: 'alice', password: other } }),
		await b.go(s.base, '/login', { method: 'POST', form: { ...f, username: 'nobody', password } }),
		await b.go(s.base, `/login?password=${encodeURIComponent(password)}`, { method: 'POST', form: { ...f, username: 'alice', password: wrong } }),
	];
	// A failed POST /login answers 303 to GET /login?error=wrong (POST/Redirect/GET): the page it shows.
	for (let i = 0; i < fails.length; i++)
		if (fails[i].status === 303 && /\/login\?error=wrong$/.test(fails[i].loc ?? '')) fails[i] = await b.go(s.base, '/login?error=wrong');
	report(fails.every((x) => x.status === 200 && /incorrect/.test(x.text)), 'sign-in: wrong passwords and an unknown user get the login page again', fails.map((x) => x.status).join());
	r = await b.go(s.base, '/login', { method: 'POST', form: { ...f, username: 'alice', password } });
	const code1 = codeOf(r, 'the first sign-in');
	report(r.status === 303 && code1 && r.q.state === state && b.jar.has('__Host-idb_session'), 'sign-in: the right password → 303 with a code, __Host-idb_session set', r.status);
	// The used flow, a forged CSRF token: error pages (kept: searched for everything).
	const used = await b.go(s.base, '/login', { method: 'POST', form: { ...f, username: 'alice', password }, keepAll: true });
	const forged = await b.go(s.base, '/login', { method: 'POST', form: { flow: f.flow, csrf: 'A'.repeat(43), username: 'alice', password }, keepAll: true });
	report(used.status === 400 && forged.status === 400, 'sign-in: a used flow and a forged CSRF token get an error page', `${used.status} ${forged.status}`);

	// The code at /token, /userinfo, refresh, a reused refresh token, the code again.
	let t = await tokenCall(s.base, { grant_type: 'authorization_code', client_id: 'spa', code: code1, redirect_uri: 'https://spa.example/cb', code_verifier: pk.verifier }, {}, 'the first code');
	report(t.status === 200 && t.json?.refresh_token && t.json?.id_token, 'sign-in: the code exchanges (with its code_verifier) for tokens and a refresh token', t.text.slice(0, 200));
	const refresh1 = t.json?.refresh_token, access = t.json?.access_token, idToken = t.json?.id_token;
	const ui = await http(s.base, '/userinfo', { headers: { authorization: `Bearer ${access}` } });
	const ui2 = await http(s.base, '/userinfo', { method: 'POST', headers: FORM, body: `access_token=${access}` });
	report(ui.status === 200 && ui.json?.sub === aliceId && ui2.status === 200, '/userinfo (Bearer header and form body)', `${ui.status} ${ui2.status}`);
	t = await tokenCall(s.base, { grant_type: 'refresh_token', client_id: 'spa', refresh_token: refresh1 }, {}, 'the first refresh');
	report(t.status === 200 && t.json?.refresh_token && t.json.refresh_token !== refresh1, 'refresh: rotates the refresh token', t.text.slice(0, 200));
	const reuse = await http(s.base, '/token', { method: 'POST', headers: FORM, body: `grant_type=refresh_token&client_id=spa&refresh_token=${refresh1}` });
	report(reuse.status === 400, 'refresh: a reused refresh token is refused (the refusal is searched too)', reuse.status);
	const replay = await http(s.base, '/token', { method: 'POST', headers: FORM, body: new URLSearchParams({ grant_type: 'authorization_code', client_id: 'spa', code: code1, redirect_uri: 'https://spa.example/cb', code_verifier: pk.verifier }).toString() });
	report(replay.status === 400, 'sign-in: the code is single use (the refusal is searched too)', replay.status);

	// Consent for the confidential client, with the SSO session; its code at /token with Basic.
	const pk2 = pkcePair('the consent');
	page = await b.go(s.base, authz({ client_id: 'rp', redirect_uri: 'https://rp.example/cb', code_challenge: pk2.challenge }));
	f = hiddenFields(page.text, 'the consent page');
	report(page.status === 200 && /decision/.test(page.text), 'consent: SSO leads to the consent page', page.status);
	const badConsent = await b.go(s.base, '/consent', { method: 'POST', form: { ...f, csrf: 'B'.repeat(43), decision: 'allow' }, keepAll: true });
	r = await b.go(s.base, '/consent', { method: 'POST', form: { ...f, decision: 'allow' } });
	const code2 = codeOf(r, 'the consent');
	report(badConsent.status === 400 && r.status === 303 && code2, 'consent: a forged CSRF token is refused; allow → 303 with a code', `${badConsent.status} ${r.status}`);
	t = await tokenCall(s.base, { grant_type: 'authorization_code', code: code2, redirect_uri: 'https://rp.example/cb', code_verifier: pk2.verifier }, { authorization: rpAuth }, 'the consent code');
	report(t.status === 200 && t.json?.refresh_token, 'consent: the confidential client exchanges its code', t.text.slice(0, 200));
	t = await tokenCall(s.base, { grant_type: 'refresh_token', refresh_token: t.json?.refresh_token, scope: 'openid' }, { authorization: rpAuth }, 'the confidential refresh');
	report(t.status === 200, 'consent: the confidential client refreshes (scope narrowed)', t.status);
	// SSO: a code at once for the first client.
	r = await b.go(s.base, authz({ state: 'sso' }));
	codeOf(r, 'SSO');
	report(r.status === 302 && r.q.code, 'SSO: a second /authorize answers with a code at once', r.status);
	// A code sent back to /authorize and a password in a GET query: the access log must not keep them.
	await http(s.base, `/authorize?code=${r.q.code}&state=${state}`);
	await http(s.base, `/login?username=alice&password=${encodeURIComponent(password)}`);

	// Logout: the confirmation form (no hint), then a second browser with a hint.
	let lo = await b.go(s.base, `/logout?${new URLSearchParams({ client_id: 'spa', post_logout_redirect_uri: 'https://spa.example/bye', state: 'bye' })}`);
	f = hiddenFields(lo.text, 'the logout confirmation');
	addFlowNeedle('the logout form token', f.csrf);
	lo = await b.go(s.base, '/logout', { method: 'POST', form: f });
	report(lo.status === 303 && !b.jar.has('__Host-idb_session'), 'logout: the confirmation POST signs out', lo.status);
	const b2 = new Browser('browser 2');
	const pk3 = pkcePair('the second browser');
	page = await b2.go(s.base, authz({ code_challenge: pk3.challenge }));
	f = hiddenFields(page.text, 'the second login page');
	r = await b2.go(s.base, '/login', { method: 'POST', form: { ...f, username: 'ALICE', password } });
	const code3 = codeOf(r, 'the second browser');
	t = await tokenCall(s.base, { grant_type: 'authorization_code', client_id: 'spa', code: code3, redirect_uri: 'https://spa.example/cb', code_verifier: pk3.verifier }, {}, 'the second browser');
	lo = await b2.go(s.base, `/logout?${new URLSearchParams({ id_token_hint: t.json?.id_token ?? idToken, post_logout_redirect_uri: 'https://spa.example/bye', state: 'bye2' })}`);
	report(lo.status === 302 && !b2.jar.has('__Host-idb_session'), 'logout: with an id_token_hint → redirect, session cookie cleared', lo.status);
	const gone = await b2.go(s.base, '/login', { method: 'POST', form: { ...f, username: 'alice', password }, keepAll: true });
	report(gone.status === 400, 'logout: the old flow is refused afterwards (error page searched)', gone.status);
	// Lock the account (10 failures) and fail once more: every failure message is searched.
	for (let i = 0; i < 11; i++) {
		const b3 = new Browser(`browser ${3 + i}`);
		const pg = await b3.go(s.base, authz());
		const ff = hiddenFields(pg.text, `login page ${3 + i}`);
		await b3.go(s.base, '/login', { method: 'POST', form: { ...ff, username: 'alice', password: i === 10 ? password : wrong } });
	}
	await http(s.base, '/health');
	await http(s.metrics, '/metrics');
	dbSnapshot = dbBytesNow();
	const x = await s.stop();
	servers.pop();
	report(x.code === 0, 'serve (sign-in): SIGTERM, exit 0', JSON.stringify(x));
	run(['user', 'list', '--db', db]);
}

const servers = [];

/** The first token link of a received mail (quoted-printable decoded), and its token. */
function mailToken(m) {
	const qp = m.text.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16)));
	return qp.match(/\?token=([A-Za-z0-9_-]{43})/)?.[1];
}

/*
 * Mail: a registration and a password reset through a server with mail on (a real
 * SMTP server receives). The passwords (both) join the password needles and the
 * link tokens the sign-in needles, so the access log, the CLI outputs and every
 * error page are searched for them at the end; here: the captured mails carry the
 * tokens (a control) but no password; the outbox holds a link's token only while
 * its mail waits, never a password; once sent, the database holds neither.
 */
async function mailFlows() {
	if (!haveSmtpd()) {
		skip('the mail secrets', 'python3-aiosmtpd is not installed (scripts/setup.sh installs it)');
		return;
	}
	const mdb = path.join(tmp, 'mail.db');
	const mbytes = () => Buffer.concat([mdb, `${mdb}-wal`].filter((f) => fs.existsSync(f)).map((f) => fs.readFileSync(f)));
	const p1 = `Reg ${crypto.randomBytes(12).toString('base64')}é`, p2 = `Reset ${crypto.randomBytes(12).toString('base64')}ö`;
	passwordForms('the registered password', p1);
	passwordForms('the reset password', p2);
	let smtp = await startSmtpd({ dir: path.join(tmp, 'mail') });
	run(['client', 'add', '--db', mdb, '--id', 'mail-app', '--public', '--grant', 'authorization_code', '--redirect-uri', 'https://mail.example/cb']);
	const env = { ...TINY, SMTP_URL: `smtp+insecure://127.0.0.1:${smtp.port}`, MAIL_FROM: 'IdP <idp@secrets.example>', MAIL_RETRY_SECONDS: '1', REGISTRATION: 'open' };
	const s = await serve('serve (mail)', { dbFile: mdb, env });
	servers.push(s);
	const until = async (f) => {
		for (let i = 0; i < 200 && !f(); i++) await new Promise((r) => setTimeout(r, 50));
	};
	const b = new Browser('mail browser');
	let pg = await b.go(s.base, '/register');
	await b.go(s.base, '/register', { method: 'POST', form: { ...hiddenFields(pg.text, 'the registration form'), username: 'maria', email: 'maria@example.com', password: p1, password2: p1 } });
	await until(() => smtp.messages().length >= 1);
	const t1 = mailToken(smtp.messages()[0] ?? { text: '' });
	addFlowNeedle('a verification link token', t1);
	pg = await b.go(s.base, `/verify-email?token=${t1}`);
	await b.go(s.base, '/verify-email', { method: 'POST', form: hiddenFields(pg.text, 'the verification form') });
	// A reset while SMTP is down: its mail, with the token, waits in the outbox.
	await smtp.kill();
	pg = await b.go(s.base, '/forgot');
	await b.go(s.base, '/forgot', { method: 'POST', form: { ...hiddenFields(pg.text, 'the forgot form'), email: 'maria@example.com' } });
	await until(() => /reset/.test(spawnSync('sqlite3', [mdb, "SELECT kind FROM outbox WHERE state = 0"], { encoding: 'utf8' }).stdout));
	const queued = mbytes();
	smtp = await smtp.restart();
	await until(() => smtp.messages().length >= 2);
	const t2 = mailToken(smtp.messages()[1] ?? { text: '' });
	addFlowNeedle('a reset link token', t2);
	pg = await b.go(s.base, `/reset?token=${t2}`);
	await b.go(s.base, '/reset', { method: 'POST', form: { ...hiddenFields(pg.text, 'the reset form'), password: p2, password2: p2 } });
	await new Promise((r) => setTimeout(r, 300));
	const x = await s.stop();
	servers.pop();
	report(x.code === 0, 'serve (mail): SIGTERM, exit 0', JSON.stringify(x));
	const mails = smtp.messages();
	await smtp.stop();
	report(t1 && t2 && mails.length === 2, 'mail: a verification and a reset mail were received', mails.length);
	const pwIn = (text) => pwNeedles.filter((n) => /registered|reset password/.test(n.label) && text.includes(n.value)).map((n) => n.label);
	report(mails.every((m) => pwIn(m.text).length === 0), 'the captured mails carry no password (raw or encoded)', mails.flatMap((m) => pwIn(m.text)).join('; '));
	report(mails[0]?.text.includes(t1) !== undefined && mailToken(mails[0]) === t1 && mailToken(mails[1]) === t2, 'control: the mails carry their link tokens (the search can find them)');
	report(queued.includes(Buffer.from(t2)) && pwIn(queued.toString('latin1')).length === 0,
		'while its mail waited, the outbox held the reset link\'s token (where it must be), and never a password', pwIn(queued.toString('latin1')).join('; '));
	const after = mbytes();
	const left = [[t1, 'the verification token'], [t2, 'the reset token']].filter(([t]) => after.includes(Buffer.from(t))).map(([, l]) => l);
	report(left.length === 0 && pwIn(after.toString('latin1')).length === 0, 'once sent, the database (outbox included) holds no link token and no password in clear', left.join('; '));
}
try {
	// ---- clients and keys ----
	addClient('svc', ['--audience', 'api', '--scope', 'read write']);
	addClient('other', ['--audience', 'api2', '--scope', 'read']);
	addClient('seed', ['--subject', 'alice', '--audience', 'api']);
	const chosen = crypto.randomBytes(33).toString('base64url');
	addClient('chosen', ['--secret-stdin', '--audience', 'api', '--scope', 'read'], { input: `${chosen}\n` });
	report(secretOf.get('chosen') === chosen, 'client add --secret-stdin takes the secret given');
	const weak = 'short-but-secret-9';
	needles.push({ label: 'a refused (too short) --secret-stdin secret', value: weak });
	let r = run(['client', 'add', '--db', db, '--id', 'weak', '--secret-stdin', '--audience', 'api'], { input: weak });
	report(r.code !== 0 && r.out === '', 'a too-short --secret-stdin secret is refused, nothing on stdout', `exit ${r.code}`);
	r = run(['client', 'add', '--db', db, '--id', 'svc', '--audience', 'api']);
	report(r.code === 1 && r.out === '', 'client add of an existing id fails without printing a secret', `exit ${r.code} ${r.out}`);
	const rotated = {};
	for (const alg of ['ES256', 'RS256', 'PS256', 'EdDSA']) {
		r = run(['keys', 'rotate', '--db', db, '--alg', alg, '--lead', '0']);
		report(r.code === 0 && r.json?.alg === alg, `keys rotate --alg ${alg} --lead 0`, `exit ${r.code} ${r.err}`);
		rotated[alg] = r.json?.kid;
	}

	// ---- a server per signing alg; the first one gets the long session ----
	for (const alg of ['ES256', 'RS256', 'PS256', 'EdDSA']) {
		const s = await serve(`serve (${alg})`, { env: { JWT_ALGORITHM: alg } });
		servers.push(s);
		if (alg === 'ES256') {
			for (const f of [db, `${db}-wal`, `${db}-shm`]) {
				const exists = fs.existsSync(f);
				report(exists && mode(f) === '600', `${path.basename(f)} is mode 0600 while the server runs`, exists ? mode(f) : 'missing');
			}
		}
		const t = await session(s.base, 'svc', `serve ${alg}`, s.metrics);
		const header = JSON.parse(Buffer.from(String(t).split('.')[0], 'base64url').toString());
		report(header.alg === alg && header.kid === rotated[alg], `serve ${alg}: tokens are signed with the rotated ${alg} key`, JSON.stringify(header));
		await session(s.base, 'chosen', `serve ${alg} (chosen secret)`, s.metrics);
		const x = await s.stop();
		servers.pop();
		report(x.code === 0, `serve ${alg}: SIGTERM, exit 0`, JSON.stringify(x));
	}

	// ---- legacy mode: the legacy shared secret ----
	const legacy = crypto.randomBytes(36).toString('base64url'); // 48 characters
	const bui = crypto.randomBytes(30).toString('base64url'); // 40 characters
	const legacyBytes = Buffer.from(legacy);
	for (const [label, value] of [['JWT_SECRET_KEY', legacy], ['BROWSER_UI_CLIENT_SECRET', bui]]) {
		const b = Buffer.from(value);
		needles.push({ label, value }, { label: `${label} (base64)`, value: b.toString('base64') },
			{ label: `${label} (base64url)`, value: b.toString('base64url') }, { label: `${label} (hex)`, value: b.toString('hex') });
	}
	secretOf.set('browser-ui', bui);
	needles.push({ label: 'Basic credentials of browser-ui', value: Buffer.from(`browser-ui:${bui}`).toString('base64') });
	const legacyEnv = { JWT_SECRET_KEY: legacy, BROWSER_UI_CLIENT_SECRET: bui, JWT_ALGORITHM: 'HS256' };
	const s = await serve('serve (legacy HS256)', { env: legacyEnv });
	servers.push(s);
	const seedSecret = secretOf.get('seed');
	const jt = await http(s.base, '/token', { method: 'POST', headers: JSONH, body: JSON.stringify({ sub: 'alice', aud: 'api', client_id: 'seed', client_secret: seedSecret }) });
	const hs = jt.json?.token;
	report(jt.status === 200 && JSON.parse(Buffer.from(String(hs).split('.')[0], 'base64url')).alg === 'HS256', "legacy: the legacy JSON /token signs HS256", jt.text);
	const jt2 = await http(s.base, '/token', { method: 'POST', headers: { ...JSONH, ...basic('seed', seedSecret) }, body: JSON.stringify({ sub: 'alice', aud: 'api' }) });
	report(jt2.status === 200, "legacy: the legacy JSON /token with Basic auth", jt2.text);
	const v = await http(s.base, '/verify', { method: 'POST', headers: JSONH, body: JSON.stringify({ token: hs, aud: 'api' }) });
	report(v.json?.valid === true, 'legacy: /verify accepts the HS256 token', v.text);
	const minted = await new SignJWT({ sub: 'alice', aud: 'api' }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().setExpirationTime('5m').sign(legacyBytes);
	const v2 = await http(s.base, '/verify', { method: 'POST', headers: JSONH, body: JSON.stringify({ token: minted }) });
	report(v2.json?.valid === true, "legacy: /verify accepts an HS256 token made with JWT_SECRET_KEY (the legacy way)", v2.text);
	const forged = await new SignJWT({ sub: 'alice' }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('5m').sign(Buffer.from(nearMiss(legacy)));
	const v3 = await http(s.base, '/verify', { method: 'POST', headers: JSONH, body: JSON.stringify({ token: forged }) });
	report(v3.status === 401, 'legacy: a token made with a near-miss secret is refused', v3.text);
	const bi = await http(s.base, '/introspect', { method: 'POST', headers: { ...basic('browser-ui', bui), ...FORM }, body: `token=${hs}` });
	report(bi.status === 200, 'legacy: browser-ui authenticates with BROWSER_UI_CLIENT_SECRET', bi.text);
	const bw = await http(s.base, '/introspect', { method: 'POST', headers: { ...basic('browser-ui', nearMiss(bui)), ...FORM }, body: `token=${hs}` });
	report(bw.status === 401, 'legacy: browser-ui with a near-miss secret gets 401', bw.text);
	await http(s.base, '/token', { method: 'POST', headers: { ...basic('browser-ui', bui), ...FORM }, body: 'grant_type=client_credentials' });
	await http(s.base, '/token', { method: 'POST', headers: FORM, body: `grant_type=client_credentials&client_id=browser-ui&client_secret=${bui}&audience=${legacy}` });
	await http(s.base, '/verify', { method: 'POST', headers: JSONH, body: JSON.stringify({ token: legacy, aud: bui }) });
	const h = await http(s.base, '/health');
	report(h.json?.legacy_hs256 === true, '/health says legacy_hs256', h.text);
	const jwks = await http(s.base, '/.well-known/jwks.json');
	report(Array.isArray(jwks.json?.keys) && jwks.json.keys.every((k) => k.kty !== 'oct'), 'legacy: the JWKS publishes no symmetric key', jwks.text.slice(0, 200));
	await session(s.base, 'svc', 'legacy', s.metrics);
	await http(s.metrics, '/metrics');
	let x = await s.stop();
	servers.pop();
	report(x.code === 0, 'legacy: SIGTERM, exit 0', JSON.stringify(x));

	// ---- the sign-in flow ----
	await signInSession();

	// bad legacy configuration: the refusal names the setting, never the value
	const shortLegacy = crypto.randomBytes(12).toString('base64url');
	const shortBui = crypto.randomBytes(12).toString('base64url');
	needles.push({ label: 'a too-short JWT_SECRET_KEY', value: shortLegacy }, { label: 'a too-short BROWSER_UI_CLIENT_SECRET', value: shortBui });
	for (const [env, name] of [[{ JWT_SECRET_KEY: shortLegacy }, 'JWT_SECRET_KEY'], [{ BROWSER_UI_CLIENT_SECRET: shortBui }, 'BROWSER_UI_CLIENT_SECRET']]) {
		r = run(['serve', '--db', db, '--listen', '127.0.0.1:1'], { env });
		report(r.code === 2 && r.err.includes(name), `a too-short ${name} stops start-up, naming the setting`, `exit ${r.code} ${r.err}`);
	}

	// ---- the listing commands ----
	r = run(['keys', 'list', '--db', db]);
	report(r.code === 0 && Array.isArray(r.json) && r.json.length >= 4, 'keys list', `exit ${r.code}`);
	r = run(['client', 'list', '--db', db]);
	report(r.code === 0 && Array.isArray(r.json) && r.json.some((c) => c.client_id === 'browser-ui'), 'client list (browser-ui registered by legacy mode)', `exit ${r.code}`);
	r = run(['keys', 'retire', '--db', db, rotated.PS256]);
	report(r.code === 0, 'keys retire', `exit ${r.code} ${r.err}`);
	r = run(['client', 'remove', '--db', db, 'other']);
	report(r.code === 0, 'client remove', `exit ${r.code} ${r.err}`);
	r = run(['verify', '--jwks', path.join(tmp, 'missing.json'), legacy]);
	report(r.code !== 0, 'verify with a secret as the token fails', `exit ${r.code}`);

	// ---- the private keys, straight from the database ----
	if (!hasSqlite) {
		skip('private key bytes in the outputs', 'the sqlite3 CLI is not installed: cannot read signing_keys.private_der');
	} else {
		const rows = spawnSync('sqlite3', ['-separator', ' ', db, 'SELECT kid, alg, hex(private_der) FROM signing_keys'], { encoding: 'utf8' }).stdout.trim().split('\n').map((l) => l.split(' '));
		report(rows.length >= 4 && rows.every((row) => row.length === 3 && row[2].length > 64), `the private keys are read from signing_keys.private_der (${rows.length} keys)`, rows.map((row) => row[1]).join());
		let members = 0;
		for (const [kid, alg, hex] of rows) {
			const der = Buffer.from(hex, 'hex');
			for (const [enc, value] of [['hex', der.toString('hex')], ['HEX', hex], ['base64', der.toString('base64')], ['base64url', der.toString('base64url')]])
				needles.push({ label: `the ${alg} private key ${kid} (PKCS#8 DER, ${enc})`, value });
			let jwk;
			try {
				jwk = crypto.createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }).export({ format: 'jwk' });
			} catch (e) {
				report(false, `the ${alg} private key ${kid} imports as PKCS#8`, e.message);
				continue;
			}
			for (const m of ['d', 'p', 'q', 'dp', 'dq', 'qi']) {
				if (!jwk[m]) continue;
				members++;
				const b = Buffer.from(jwk[m], 'base64url');
				for (const [enc, value] of [['base64url', jwk[m]], ['base64', b.toString('base64')], ['hex', b.toString('hex')]])
					needles.push({ label: `private member ${m} of the ${alg} key ${kid} (${enc})`, value });
			}
		}
		report(members >= 6, `private members extracted (${members}: d of each EC and OKP key, d p q dp dq qi of each RSA key)`, members);
	}

	// ---- modes ----
	for (const f of [db, `${db}-wal`, `${db}-shm`].filter((f) => fs.existsSync(f)))
		report(mode(f) === '600', `${path.basename(f)} is mode 0600 at the end`, mode(f));
	const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'idb-secrets-cwd-'));
	try {
		r = run(['keys', 'rotate', '--alg', 'ES256'], { cwd });
		report(r.code === 0 && fs.existsSync(path.join(cwd, 'var')), 'a CLI command that adds, without --db, creates var/identity.db', `exit ${r.code} ${r.err}`);
		report(mode(path.join(cwd, 'var')) === '700', 'the default var/ folder is mode 0700 (umask 000)', mode(path.join(cwd, 'var')));
		report(mode(path.join(cwd, 'var', 'identity.db')) === '600', 'the default var/identity.db is mode 0600 (umask 000)', mode(path.join(cwd, 'var', 'identity.db')));
		const cwd2 = fs.mkdtempSync(path.join(os.tmpdir(), 'idb-secrets-cwd-'));
		try {
			const d = await serve('serve (default db)', { cwd: cwd2, dbFile: null });
			servers.push(d);
			const got = ['var', 'var/identity.db', 'var/identity.db-wal', 'var/identity.db-shm'].map((f) => {
				const p = path.join(cwd2, f);
				return `${f} ${fs.existsSync(p) ? mode(p) : 'missing'}`;
			});
			report(got.join() === 'var 700,var/identity.db 600,var/identity.db-wal 600,var/identity.db-shm 600',
				'serve without --db: var/ 0700, identity.db, -wal and -shm 0600 (umask 000)', got.join());
			await http(d.base, '/.well-known/jwks.json');
			x = await d.stop();
			servers.pop();
		} finally {
			fs.rmSync(cwd2, { recursive: true, force: true });
		}
	} finally {
		fs.rmSync(cwd, { recursive: true, force: true });
	}

	await mailFlows();

	// ---- the search ----
	const dbBytes = Buffer.concat([db, `${db}-wal`].filter((f) => fs.existsSync(f)).map((f) => fs.readFileSync(f)));
	const inDb = needles.filter((n) => /secret|JWT_SECRET_KEY|BROWSER_UI|credentials/.test(n.label) && !/private/.test(n.label))
		.filter((n) => dbBytes.includes(Buffer.from(n.value)));
	report(inDb.length === 0, 'the database file holds no client secret or shared secret in clear', inDb.map((n) => n.label).join('; '));

	const bytes = outputs.reduce((n, o) => n + o.text.length, 0);
	report(outputs.some((o) => o.where.includes('serve') && o.text.includes('"msg":"request"')), 'the access logs were captured');
	const groups = [
		['client secrets and Basic credentials', (n) => /client secret|Basic credentials/.test(n.label)],
		['wrong secrets sent in requests', (n) => /wrong secret|too short|refused/.test(n.label)],
		['JWT_SECRET_KEY (raw, base64, base64url, hex)', (n) => n.label.startsWith('JWT_SECRET_KEY')],
		['BROWSER_UI_CLIENT_SECRET (raw, base64, base64url, hex)', (n) => n.label.startsWith('BROWSER_UI_CLIENT_SECRET')],
		['private keys (PKCS#8 DER and private members; base64, base64url, hex)', (n) => /private/.test(n.label)],
	];
	for (const [what, pick] of groups) {
		const ns = needles.filter(pick);
		if (ns.length === 0 && /private/.test(what) && !hasSqlite) continue; // skipped above
		const hits = [];
		for (const n of ns) for (const o of outputs) if (o.text.includes(n.value)) hits.push(`${n.label} in ${o.where}`);
		report(ns.length > 0 && hits.length === 0, `no ${what} in any output (${ns.length} values, ${outputs.length} outputs, ${Math.round(bytes / 1024)} KiB)`, [...new Set(hits)].slice(0, 8).join('; '));
	}
	const jwkPrivate = outputs.filter((o) => /"(d|p|q|dp|dq|qi|k)"\s*:/.test(o.text)).map((o) => o.where);
	report(jwkPrivate.length === 0, 'no JWK private member ("d", "p", "q", "dp", "dq", "qi", "k") in any output', [...new Set(jwkPrivate)].join('; '));
	const pem = outputs.filter((o) => /PRIVATE KEY/i.test(o.text)).map((o) => o.where);
	report(pem.length === 0, 'no "PRIVATE KEY" in any output', pem.join('; '));

	// ---- the sign-in values ----
	const searchIn = (ns, outs) => {
		const hits = [];
		for (const n of ns) for (const o of outs) if (o.text.includes(n.value)) hits.push(`${n.label} in ${o.where}`);
		return [...new Set(hits)];
	};
	const kinds = ['password', 'cookie', 'flow of', 'csrf of', 'authorization code', 'refresh token', 'code_verifier', 'state value', 'logout form token'];
	const missing = kinds.filter((k) => !flowNeedles.some((n) => n.label.includes(k)));
	report(missing.length === 0, `the sign-in values were captured (${flowNeedles.length} values: ${kinds.join(', ')})`, missing.join());
	let hits = searchIn(flowNeedles, outputs);
	report(hits.length === 0, `no password, cookie, flow, CSRF token, code, refresh token or code_verifier in the access log, CLI outputs, /health, /metrics or error pages (${flowNeedles.length} values, ${outputs.length} outputs)`, hits.slice(0, 8).join('; '));
	// A control: the same search finds the values where they belong (else it proves nothing).
	const found = new Set(searchIn(flowNeedles.filter((n) => /cookie|flow of|csrf of|authorization code|refresh token/.test(n.label)), flowAnswers).map((h) => h.split(' in ')[0]));
	report(['cookie', 'flow of', 'csrf of', 'authorization code', 'refresh token'].every((k) => [...found].some((l) => l.includes(k))),
		`control: the search finds cookies, flows, CSRF tokens, codes and refresh tokens in the answers that carry them (${found.size} values)`, [...found].join('; '));
	hits = searchIn(pwNeedles, flowAnswers);
	report(hits.length === 0, `no password or code_verifier in any sign-in answer (${pwNeedles.length} values, ${flowAnswers.length} answers)`, hits.slice(0, 8).join('; '));
	for (const [when, bytes] of [['while the server ran', dbSnapshot], ['at the end', dbBytesNow()]]) {
		const inDbFlow = flowNeedles.filter((n) => !/state value/.test(n.label) && bytes.includes(Buffer.from(n.value)));
		report(bytes.length > 0 && inDbFlow.length === 0, `the database and its -wal ${when} hold no password, cookie, flow id, CSRF token, code, refresh token or code_verifier in clear (${bytes.length} bytes)`,
			inDbFlow.map((n) => n.label).join('; '));
	}
	const logLines = outputs.filter((o) => o.where.endsWith('stderr')).flatMap((o) => o.text.split('\n')).filter((l) => l.includes('"msg":"request"'));
	const withQuery = logLines.filter((l) => /"path":"[^"]*\?/.test(l) || /code=|state=|password=/.test(l));
	report(logLines.some((l) => l.includes('"path":"/authorize"')) && logLines.some((l) => l.includes('"path":"/login"')) && withQuery.length === 0,
		`the access log records /authorize and /login without their query strings (${logLines.length} lines)`, withQuery.slice(0, 3).join(' | '));
} catch (e) {
	report(false, 'secrets test ran', e.stack);
} finally {
	for (const s of servers) s.kill();
	fs.rmSync(tmp, { recursive: true, force: true });
}
finish();
