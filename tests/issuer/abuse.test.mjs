// The abuse controls against a running issuer: per-address limits on *failed* client authentication at
// /token, /introspect and /revoke (429 temporarily_unavailable with
// Retry-After for the failures of an address that reached its limit, and only
// from it; valid credentials from there are still served), successes never counted (3000 tokens from one
// address with the defaults, none limited), the counters in /metrics, and the
// configuration's refusals (exit 2, one line). Other source addresses are real:
// connections come from 127.0.0.2, 127.0.0.3, ... to the server on 127.0.0.1.
// The sign-in side (lockout, limits at /login) is tested with /login.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { freePort, reporter, sanitizerReport, serverSet, tempDir } from '../lib.mjs';
import { addClient, basic, cliTranscript, hreq, pool, run } from './lib.mjs';

const { report, finish } = reporter('issuer/abuse');
const started = Date.now();
const FORM = 'application/x-www-form-urlencoded';
const dirs = [];
const { servers, serve, stop } = serverSet(report);
const agents = new Map();

/** A keep-alive agent whose connections come from local address `from` (127.0.0.x). */
function from(addr) {
	if (!agents.has(addr)) agents.set(addr, new http.Agent({ keepAlive: true, maxSockets: 16, localAddress: addr }));
	return agents.get(addr);
}

const show = (r) => `${r.status} ${r.text ?? r.error ?? ''}`.slice(0, 300);
const form = (o) => new URLSearchParams(o).toString();

/** POST a form to s's path p from address addr with extra headers. */
const post = (s, p, body, { addr = '127.0.0.1', headers = {} } = {}) =>
	hreq(`${s.base}${p}`, { method: 'POST', agent: from(addr), headers: { 'content-type': FORM, ...headers }, body: form(body) });

/** client_credentials for c ({client_id, client_secret}) by Basic from addr. */
const token = (s, c, addr) => post(s, '/token', { grant_type: 'client_credentials', resource: 'api' }, { addr, headers: { authorization: basic(c.client_id, c.client_secret) } });

/** A sample of s's /metrics: the value of the line starting with key, or -1. */
async function metric(s, key) {
	const r = await hreq(`${s.metrics}/metrics`);
	const line = (r.text ?? '').split('\n').find((l) => l.startsWith(`${key} `));
	return line ? Number(line.slice(key.length + 1)) : -1;
}

const isLimited = (r) =>
	r.status === 429 &&
	r.json?.error === 'temporarily_unavailable' &&
	/too many failed client authentications/.test(r.json?.error_description ?? '') &&
	/^[1-9][0-9]*$/.test(r.headers?.['retry-after'] ?? '');


try {
	const dir = tempDir('idb-abuse-');
	dirs.push(dir);
	const db = path.join(dir, 'identity.db');
	const svc = await addClient(db, 'svc', ['--grant', 'client_credentials', '--audience', 'api', '--scope', 'read']);
	const bad = { client_id: 'svc', client_secret: `${svc.client_secret}x` };
	const ghost = { client_id: 'nobody', client_secret: 'x'.repeat(43) };

	// ============================================ 1. a small limit: 5 failures per address
	let s = await serve({ db, env: { CLIENT_AUTH_FAILURES_PER_ADDRESS: '5' } });
	try {
		const A = '127.0.0.2';
		let r = await token(s, svc, A);
		report(r.status === 200 && typeof r.json?.access_token === 'string', 'limit 5: the good client gets a token before any failure', show(r));
		// Five failures of every kind: wrong secret, unknown client, malformed Basic, post, two methods.
		const fails = [
			await token(s, bad, A),
			await token(s, ghost, A),
			await post(s, '/token', { grant_type: 'client_credentials' }, { addr: A, headers: { authorization: 'Basic !!!' } }),
			await post(s, '/token', { grant_type: 'client_credentials', client_id: 'svc', client_secret: 'wrong' }, { addr: A }),
			await post(s, '/introspect', { token: 'x', client_secret: 'y' }, { addr: A, headers: { authorization: basic('svc', 'z') } }),
		];
		report(
			fails.slice(0, 4).every((f) => f.status === 401 && f.json?.error === 'invalid_client') && fails[4].status === 400,
			'limit 5: failures 1..5 answer as before (401 invalid_client; 400 for two methods at once), none limited',
			fails.map(show),
		);
		r = await token(s, bad, A);
		report(isLimited(r), 'limit 5: the 6th attempt (a bad secret) → 429 temporarily_unavailable with Retry-After', `${show(r)} retry-after=${r.headers?.['retry-after']}`);
		const retry = Number(r.headers?.['retry-after']);
		report(retry >= 15 * 60 && retry <= 15 * 60 + 2 * 60, `limit 5: Retry-After is the window (15 min) to within two of its 16 steps: ${retry}`, retry);
		report(r.headers?.['cache-control']?.includes('no-store') && /application\/json/.test(r.headers?.['content-type'] ?? ''), 'limit 5: the 429 is JSON, no-store', JSON.stringify(r.headers));
		// Others behind the same address (a proxy, a NAT) filled its limit: a client
		// with valid credentials is still served everywhere, only failures get 429.
		r = await token(s, svc, A);
		report(r.status === 200 && typeof r.json?.access_token === 'string', 'limit 5: the good client from the same address is still served: valid credentials are never refused by a limit others filled', show(r));
		r = await post(s, '/introspect', { token: 'x' }, { addr: A, headers: { authorization: basic(svc.client_id, svc.client_secret) } });
		report(r.status === 200 && r.json?.active === false, 'limit 5: /introspect with valid credentials from the address → 200', show(r));
		r = await post(s, '/revoke', { token: 'x' }, { addr: A, headers: { authorization: basic(svc.client_id, svc.client_secret) } });
		report(r.status === 200, 'limit 5: /revoke with valid credentials from the address → 200', show(r));
		r = await post(s, '/introspect', { token: 'x' }, { addr: A, headers: { authorization: basic('svc', 'wrong') } });
		report(isLimited(r), 'limit 5: a failed authentication at /introspect from the address → 429', show(r));
		r = await hreq(`${s.base}/.well-known/jwks.json`, { agent: from(A) });
		report(r.status === 200, 'limit 5: endpoints without client authentication still answer the address', show(r));
		r = await token(s, svc, '127.0.0.3');
		report(r.status === 200, 'limit 5: the good client from another address still gets tokens', show(r));

		// Successes neither count nor forgive: 4 failures, 50 successes, 1 failure → limited.
		const B = '127.0.0.4';
		for (let i = 0; i < 4; i++) await token(s, bad, B);
		const ok = await pool(Array.from({ length: 50 }, () => () => token(s, svc, B)), 8);
		report(ok.every((x) => x.status === 200), 'limit 5: 4 failures then 50 successes from one address: all 50 served', ok.map((x) => x.status).filter((x) => x !== 200).slice(0, 5));
		r = await token(s, bad, B);
		report(r.status === 401, 'limit 5: the 5th failure is still answered 401 (50 successes did not count)', show(r));
		r = await token(s, bad, B);
		report(isLimited(r), 'limit 5: …and then the address is limited (successes did not forgive the failures)', show(r));

		const limited = await metric(s, 'idb_requests_limited_total{endpoint="client_auth"}');
		const failed = await metric(s, 'idb_client_auth_failures_total');
		report(limited === 3, `/metrics: idb_requests_limited_total{endpoint="client_auth"} == 3 (the failures answered 429): ${limited}`, limited);
		report(failed === 13, `/metrics: idb_client_auth_failures_total == 13 (7 at A, 6 at B; successes not counted): ${failed}`, failed);
		report((await metric(s, 'idb_requests_limited_total{endpoint="login"}')) === 0, '/metrics: idb_requests_limited_total{endpoint="login"} present, 0');
		const text = (await hreq(`${s.metrics}/metrics`)).text ?? '';
		report(
			['ok', 'failed', 'locked', 'limited'].every((o) => text.includes(`idb_logins_total{outcome="${o}"} `)) &&
				/\nidb_account_lockouts_total \d+\n/.test(text) &&
				/\nidb_password_jobs \d+\n/.test(text) &&
				text.includes('# TYPE idb_password_jobs gauge') &&
				text.includes('# TYPE idb_client_auth_failures_total counter'),
			'/metrics: idb_logins_total (every outcome), idb_account_lockouts_total and idb_password_jobs present',
			text.slice(0, 200),
		);
	} catch (e) {
		report(false, 'limit-5 server ran', e.stack);
	}
	await stop(s, 'limit-5 server');

	// ============================================ 2. the defaults: busy services are never limited
	s = await serve({ db, threads: 2 });
	try {
		const C = '127.0.0.5';
		for (let i = 0; i < 99; i++) await token(s, bad, C);
		const t0 = Date.now();
		const many = await pool(Array.from({ length: 3000 }, () => () => token(s, svc, C)), 16);
		const statuses = {};
		for (const x of many) statuses[x.status] = (statuses[x.status] ?? 0) + 1;
		report(statuses[200] === 3000, `defaults: 99 failures, then 3000 client_credentials tokens from one address in ${Date.now() - t0} ms: all 200, no 429`, statuses);
		let r = await token(s, bad, C);
		report(r.status === 401, 'defaults: the 100th failure is still answered 401', show(r));
		r = await token(s, bad, C);
		report(isLimited(r), 'defaults: after 100 failures (CLIENT_AUTH_FAILURES_PER_ADDRESS default) the address is limited', show(r));
		report((await metric(s, 'idb_tokens_issued_total{grant="client_credentials"}')) === 3000, '/metrics: 3000 tokens issued');
	} catch (e) {
		report(false, 'defaults server ran', e.stack);
	}
	await stop(s, 'defaults server');

	// ============================================ 3. the limit off
	s = await serve({ db, env: { CLIENT_AUTH_FAILURES_PER_ADDRESS: '0', LOGIN_LOCKOUT_THRESHOLD: '1000', FAILURE_WINDOW_MINUTES: '1440', LOGIN_LOCKOUT_MINUTES: '1' } });
	try {
		const rs = await pool(Array.from({ length: 150 }, () => () => token(s, bad, '127.0.0.6')), 8);
		const r = await token(s, svc, '127.0.0.6');
		report(rs.every((x) => x.status === 401) && r.status === 200, 'CLIENT_AUTH_FAILURES_PER_ADDRESS=0: 150 failures, never limited; the good client is served', show(r));
		report((await metric(s, 'idb_client_auth_failures_total')) === 150, '/metrics: failures still counted with the limit off');
	} catch (e) {
		report(false, 'limit-off server ran', e.stack);
	}
	await stop(s, 'limit-off server');

	// ============================================ 4. configuration refusals
	const port = await freePort();
	const refusals = [
		['LOGIN_LOCKOUT_THRESHOLD', '-1'],
		['LOGIN_LOCKOUT_THRESHOLD', '1001'],
		['LOGIN_LOCKOUT_THRESHOLD', 'ten'],
		['LOGIN_LOCKOUT_MINUTES', '0'],
		['LOGIN_LOCKOUT_MINUTES', '1441'],
		['LOGIN_FAILURES_PER_ADDRESS', '1000001'],
		['LOGIN_FAILURES_PER_ADDRESS', '5x'],
		['CLIENT_AUTH_FAILURES_PER_ADDRESS', ' 5'],
		['CLIENT_AUTH_FAILURES_PER_ADDRESS', '+5'],
		['CLIENT_AUTH_FAILURES_PER_ADDRESS', '-5'],
		['FAILURE_WINDOW_MINUTES', '0'],
		['FAILURE_WINDOW_MINUTES', '1441'],
		['FAILURE_WINDOW_MINUTES', '15.5'],
		['SESSION_TTL_MINUTES', '4'],
		['SESSION_TTL_MINUTES', '43201'],
		['REFRESH_TOKEN_DAYS', '0'],
		['REFRESH_TOKEN_DAYS', '366'],
	];
	for (const [name, value] of refusals) {
		const r = await run(['serve', '--listen', `127.0.0.1:${port}`, '--db', db], { env: { [name]: value }, timeout: 10000 });
		const lines = r.stderr.split('\n').filter(Boolean);
		report(
			r.code === 2 && lines.length === 1 && lines[0].includes(name) && lines[0].startsWith('identity-backend serve: invalid'),
			`${name}=${JSON.stringify(value)}: refused, exit 2, one line naming it`,
			`${r.code} ${r.stderr}`,
		);
	}
} catch (e) {
	report(false, 'abuse test ran to the end', e.stack);
}

for (const s of [...servers]) s.child.kill('SIGKILL');
for (const a of agents.values()) a.destroy();
const cliSan = cliTranscript.map(sanitizerReport).find(Boolean);
report(!cliSan, `no sanitizer report from the ${cliTranscript.length} CLI runs`, cliSan);
for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
const secs = (Date.now() - started) / 1000;
console.log(`# the suite ran in ${secs.toFixed(1)} s`);
finish();
