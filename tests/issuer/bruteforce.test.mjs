// Brute force against the sign-in, with real concurrent requests against a real
// server (OWASP ASVS V2.2, RFC 9700 §4.15 on credential guessing):
// - many guesses sent at once on one flow: no more than LOGIN_LOCKOUT_THRESHOLD are
//   checked, the right password sent with them does not slip past the lock, and
//   the account ends locked;
// - an unknown username is counted and answered like a known one (same work: no
//   username enumeration by timing or by the lock);
// - a per-address limit that others behind the same proxy filled does not lock out
//   a person who signed in from that address before (addresses come from
//   X-Forwarded-For through TRUSTED_PROXIES, as behind a load balancer);
// - an anonymous flood of /authorize stores at most LOGIN_FLOWS_PER_ADDRESS flows.
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { reporter, sanitizerReport, serverSet, tempDir } from '../lib.mjs';
import { addClient, browser, cliTranscript, run } from './lib.mjs';

const { report, finish } = reporter('issuer/bruteforce');
const started = Date.now();
const TINY = { PASSWORD_ARGON2_TEST: '1', PASSWORD_ARGON2_M_KIB: '64', PASSWORD_ARGON2_T: '1' };
const WRONG = 'The username or password is incorrect.';
const { servers, serve, stop } = serverSet(report);
const CB = 'https://app.example/cb';
const strong = () => `pw-${crypto.randomBytes(12).toString('base64url')}`;
const b64u = (b) => Buffer.from(b).toString('base64url');
const verifier = b64u(crypto.randomBytes(32));
const challenge = b64u(crypto.createHash('sha256').update(verifier).digest());
const show = (r) => `${r.status} ${r.headers.get('location') ?? ''}`;

async function addUser(db, username, password) {
	const r = await run(['user', 'add', '--db', db, '--username', username, '--password-stdin'], { env: TINY, input: password });
	if (r.code !== 0) throw new Error(`user add ${username}: ${r.stderr}`);
}

/** A browser's login form for client web: its hidden fields. */
async function loginForm(b, base, headers = {}) {
	const q = new URLSearchParams({ client_id: 'web', redirect_uri: CB, response_type: 'code', scope: 'openid', state: 's', code_challenge: challenge, code_challenge_method: 'S256' });
	const page = await b.go(`${base}/authorize?${q}`, { headers });
	const html = await page.text();
	const f = {};
	for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) f[m[1]] = m[2];
	return f;
}

/** POST /login with the form f and the credentials; resolves {status, headers, text}. */
async function postLogin(b, base, f, username, password, headers = {}) {
	let r = await b.go(`${base}/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams({ ...f, username, password }).toString() });
	// A failed sign-in answers 303 to GET /login?error=CODE (POST/Redirect/GET): the page that shows.
	if (r.status === 303 && (r.headers.get('location') ?? '').startsWith(`${base}/login?error=`)) r = await b.go(r.headers.get('location'), { headers });
	return { status: r.status, headers: r.headers, text: await r.text() };
}

const signedIn = (r) => r.status === 303 && (r.headers.get('location') ?? '').startsWith(`${CB}?`) && new URL(r.headers.get('location')).searchParams.has('code');
const alertText = (html) => /role="alert">([^<]*)</.exec(html)?.[1] ?? null;

async function metrics(s) {
	return (await fetch(`${s.metrics ?? s.base}/metrics`)).text();
}
const metric = (text, key) => Number(new RegExp(`^${key.replace(/[{}"]/g, (c) => `\\${c}`)} (\\d+)`, 'm').exec(text)?.[1] ?? NaN);

function sql(db, q) {
	return spawnSync('sqlite3', [db], { input: `.timeout 5000\n${q}\n`, encoding: 'utf8' }).stdout.trim();
}

async function userLocked(db, username) {
	const r = await run(['user', 'list', '--db', db], { env: TINY });
	const list = r.json?.users ?? r.json ?? [];
	return list.find?.((u) => u.username === username)?.locked;
}

/** 45 wrong passwords and the right one at once on one flow (threshold 5). */
async function concurrentGuesses(db) {
	const s = await serve({ db, threads: 2, env: { ...TINY, LOGIN_LOCKOUT_THRESHOLD: '5', LOGIN_FAILURES_PER_ADDRESS: '0', PASSWORD_WORKERS: '2' } });
	try {
		const b = browser();
		const f = await loginForm(b, s.base);
		const guesses = Array.from({ length: 45 }, (_, i) => `wrong-${i}`);
		const answers = await Promise.all([...guesses.map((g) => postLogin(b, s.base, f, 'victim', g)), postLogin(b, s.base, f, 'victim', VICTIM_PW)]);
		const right = answers[45];
		const wins = answers.filter(signedIn).length;
		const m = await metrics(s);
		const checked = metric(m, 'idb_logins_total{outcome="failed"}') + metric(m, 'idb_logins_total{outcome="ok"}');
		const refused = metric(m, 'idb_logins_total{outcome="locked"}');
		report(checked <= 5 && checked + refused === 46, `46 guesses at once, threshold 5: at most 5 checked (${checked} checked, ${refused} refused unchecked)`, m.split('\n').filter((l) => /logins_total/.test(l)).join(' | '));
		report(answers.every((a) => signedIn(a) || (a.status === 200 && alertText(a.text) === WRONG)), 'every other guess got the same "incorrect" form', answers.map((a) => a.status).join(','));
		report(wins === 0 || (wins === 1 && signedIn(right) && checked <= 5), `the right password, sent last, signed in only if it was one of the 5 admitted (${wins} sign-ins)`, show(right));
		const attempts = Number(sql(db, "SELECT attempts FROM login_attempts WHERE name = 'victim'") || 0);
		const locked = await userLocked(db, 'victim');
		report(wins === 1 || (locked === true && attempts === 5), `the account ends locked with 5 attempts on record (locked: ${locked}, attempts: ${attempts})`);
		report(metric(m, 'idb_account_lockouts_total') === 1, `one lockout counted for one account (idb_account_lockouts_total ${metric(m, 'idb_account_lockouts_total')})`);
		if (wins === 0) {
			const c = browser();
			const again = await postLogin(c, s.base, await loginForm(c, s.base), 'victim', VICTIM_PW);
			report(!signedIn(again) && alertText(again.text) === WRONG, 'and the right password is refused while the lock lasts', `${again.status}`);
		}
	} finally {
		await stop(s, 'lockout server');
	}
}

/** An unknown username: counted, locked and answered like a known one. */
async function unknownLikeKnown(db) {
	const s = await serve({ db, threads: 1, env: { ...TINY, LOGIN_LOCKOUT_THRESHOLD: '3', LOGIN_FAILURES_PER_ADDRESS: '0' } });
	try {
		const texts = [];
		for (const name of ['alice', 'Nobody-Here']) {
			for (let i = 0; i < 4; i++) {
				const b = browser();
				const r = await postLogin(b, s.base, await loginForm(b, s.base), name, `bad-${i}`);
				texts.push(`${r.status} ${alertText(r.text)}`);
			}
		}
		const rows = sql(db, "SELECT name || ':' || attempts || ':' || (locked_until > 0) FROM login_attempts WHERE name IN ('alice', 'nobody-here') ORDER BY name");
		report(rows === 'alice:3:1\nnobody-here:3:1', 'an unknown username is counted and locked exactly like a known one (the same write before every check)', rows);
		report(new Set(texts).size === 1, 'and every answer is the same', [...new Set(texts)]);
		const b = browser();
		const r = await postLogin(b, s.base, await loginForm(b, s.base), 'alice', ALICE_PW);
		report(!signedIn(r) && alertText(r.text) === WRONG, 'the known account is locked: its right password is refused', `${r.status}`);
		const u = await run(['user', 'list', '--db', db], { env: TINY });
		report(u.code === 0 && !/nobody/i.test(u.stdout), 'the unknown name created no user', u.stdout.slice(0, 200));
	} finally {
		await stop(s, 'unknown-name server');
	}
}

/** Behind one proxy: others fill the address limit; a known person still signs in. */
async function sharedAddress(db) {
	const s = await serve({ db, threads: 1, env: { ...TINY, LOGIN_LOCKOUT_THRESHOLD: '0', LOGIN_FAILURES_PER_ADDRESS: '3', TRUSTED_PROXIES: '127.0.0.1/32' } });
	try {
		const office = { 'x-forwarded-for': '198.51.100.7' };
		let b = browser();
		let r = await postLogin(b, s.base, await loginForm(b, s.base, office), 'carol', CAROL_PW, office);
		report(signedIn(r), 'carol signs in from the office address', show(r));
		for (let i = 0; i < 3; i++) {
			b = browser();
			await postLogin(b, s.base, await loginForm(b, s.base, office), `spray-${i}`, 'Winter2026!', office);
		}
		b = browser();
		r = await postLogin(b, s.base, await loginForm(b, s.base, office), 'dave', 'guess', office);
		report(r.status === 429, 'three failures from the office address: a further attempt for a name never signed in from there → 429', `${r.status}`);
		b = browser();
		r = await postLogin(b, s.base, await loginForm(b, s.base, office), 'CAROL', CAROL_PW, office);
		report(signedIn(r), 'carol, known at the office address, is not locked out by the others (signed in, any case of her name)', show(r));
		b = browser();
		r = await postLogin(b, s.base, await loginForm(b, s.base, { 'x-forwarded-for': '203.0.113.9' }), 'dave', DAVE_PW, { 'x-forwarded-for': '203.0.113.9' });
		report(signedIn(r), 'another address is not limited', show(r));
		// A sign-in is answered later (its password is checked on the worker pool): it is
		// logged and measured when its answer goes out, with that answer's status.
		const m = await metrics(s);
		const logins303 = metric(m, 'idb_http_requests_total{route="/login",code="303"}');
		const loginsOther = metric(m, 'idb_http_requests_total{route="/login",code="other"}');
		report(logins303 >= 3 && !(loginsOther > 0), `/metrics counts POST /login by the status it answered (303: ${logins303}, other: ${loginsOther})`, m.split('\n').filter((l) => /route="\/login"/.test(l) && /requests_total/.test(l)).join(' | '));
	} finally {
		const log = await stop(s, 'shared-address server');
		const lines = log.split('\n').filter((l) => l.includes('"path":"/login"')).map((l) => JSON.parse(l)).filter((l) => l.method === 'POST');
		report(lines.length >= 6 && lines.every((l) => l.method === 'POST' && l.status !== 0) && lines.some((l) => l.status === 303) && lines.some((l) => l.status === 429) && lines.filter((l) => l.status === 303).every((l) => l.remote === '198.51.100.7' || l.remote === '203.0.113.9'), `the access log has every POST /login with the status it answered and the client's address (${lines.map((l) => l.status).join(',')})`, log.slice(0, 300));
	}
}

/** Anonymous GET /authorize from one address: each stores a flow, up to a cap. */
async function flowFlood(db) {
	const s = await serve({ db, threads: 1, env: { ...TINY, LOGIN_FLOWS_PER_ADDRESS: '20', TRUSTED_PROXIES: '127.0.0.1/32' } });
	try {
		const before = Number(sql(db, 'SELECT count(*) FROM login_flows'));
		const flood = { 'x-forwarded-for': '192.0.2.66' };
		const q = new URLSearchParams({ client_id: 'web', redirect_uri: CB, response_type: 'code', scope: 'openid', state: 's', code_challenge: challenge, code_challenge_method: 'S256' });
		const statuses = [];
		for (let i = 0; i < 200; i += 20) statuses.push(...(await Promise.all(Array.from({ length: 20 }, () => fetch(`${s.base}/authorize?${q}`, { headers: flood }).then((r) => r.status)))));
		const stored = Number(sql(db, 'SELECT count(*) FROM login_flows')) - before;
		report(statuses.filter((x) => x === 200).length === 20 && statuses.filter((x) => x === 429).length === 180 && stored === 20, `200 anonymous /authorize from one address (LOGIN_FLOWS_PER_ADDRESS=20): 20 login pages, 180 × 429, 20 flows stored (${stored})`, statuses.join(',').slice(0, 200));
		const r = await fetch(`${s.base}/authorize?${q}`, { headers: { 'x-forwarded-for': '192.0.2.67' } });
		report(r.status === 200, 'another address still gets its login page', `${r.status}`);
		const life = Number(sql(db, 'SELECT max(expires_at - created_at) FROM login_flows'));
		report(life === 600, `a login flow lives 10 minutes (${life} s)`);
	} finally {
		await stop(s, 'flow-flood server');
	}
}

const VICTIM_PW = strong(), ALICE_PW = strong(), CAROL_PW = strong(), DAVE_PW = strong();
const dir = tempDir('idb-brute-');
try {
	const db = path.join(dir, 'identity.db');
	await addClient(db, 'web', ['--public', '--grant', 'authorization_code', '--redirect-uri', CB, '--scope', 'openid']);
	await addUser(db, 'victim', VICTIM_PW);
	await addUser(db, 'alice', ALICE_PW);
	await addUser(db, 'carol', CAROL_PW);
	await addUser(db, 'dave', DAVE_PW);
	await concurrentGuesses(db);
	await unknownLikeKnown(db);
	await sharedAddress(db);
	await flowFlood(db);
} catch (e) {
	report(false, 'the brute-force suite ran', e.stack);
	for (const s of servers) await s.stop();
}
fs.rmSync(dir, { recursive: true, force: true });
report(!cliTranscript.map(sanitizerReport).find(Boolean), 'no sanitizer report from the CLI runs');
console.log(`# the suite ran in ${((Date.now() - started) / 1000).toFixed(1)} s`);
finish();
