// reset_address.test.mjs: a password guesser that resets its connection (SO_LINGER 0,
// an RST) right after sending POST /login must still be counted under its address.
// The server answers the guess after the password check on the worker pool; by then,
// or even by the time the request is handled, the connection is gone, and
// getpeername() on it fails (ENOTCONN). An address asked for only then is no address,
// and a failure under no address counts against no per-address limit: resetting
// every guess would step around LOGIN_FAILURES_PER_ADDRESS. The server takes the
// address from accept() instead, so 80 reset guesses are 80 failures of 127.0.0.1,
// and with LOGIN_FAILURES_PER_ADDRESS=80 the next ordinary guess gets 429.
import net from 'node:net';
import path from 'node:path';
import { reporter, runSuite, serverSet, tempDir } from '../lib.mjs';
import { hreq, run, until } from './lib.mjs';

const R = reporter('issuer/reset_address');
const { report } = R;
const { servers, serve, stop } = serverSet(report);
const tmp = tempDir('idb-reset-');
const GUESSES = 80;
const TINY = { PASSWORD_ARGON2_TEST: '1', PASSWORD_ARGON2_M_KIB: '64', PASSWORD_ARGON2_T: '1' };

/** A login flow of a new browser: {cookie, flow, csrf}. */
async function flow(base) {
	const q = new URLSearchParams({ client_id: 'web', redirect_uri: 'http://127.0.0.1:9/cb', response_type: 'code', scope: 'openid',
		state: 's', nonce: 'n', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGjSstw-cM', code_challenge_method: 'S256' });
	const r = await hreq(`${base}/authorize?${q}`);
	const cookie = [].concat(r.headers?.['set-cookie'] ?? []).map((c) => c.split(';')[0]).join('; ');
	const field = (n) => new RegExp(`name="${n}" value="([^"]*)"`).exec(r.text ?? '')?.[1];
	return { cookie, flow: field('flow'), csrf: field('csrf') };
}

/** POST /login with a wrong password on a new connection, reset (RST) as soon as it is written. */
function guessAndReset(port, f, i) {
	return new Promise((resolve) => {
		const body = new URLSearchParams({ flow: f.flow, csrf: f.csrf, username: 'alice', password: `guess-${i}` }).toString();
		const s = net.connect(port, '127.0.0.1', () => {
			s.write(`POST /login HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nCookie: ${f.cookie}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
			s.resetAndDestroy();
		});
		s.on('error', () => {});
		s.on('close', resolve);
	});
}

async function metric(s, key) {
	const t = (await hreq(`${s.metrics}/metrics`)).text ?? '';
	const line = t.split('\n').find((l) => l.startsWith(`${key} `));
	return line ? Number(line.slice(key.length + 1)) : -1;
}

await runSuite(R, servers, async () => {
	const db = path.join(tmp, 'r.db');
	const u = await run(['user', 'add', '--db', db, '--username', 'alice', '--password-stdin'], { env: TINY, input: 'alice-right-password' });
	const c = await run(['client', 'add', '--db', db, '--id', 'web', '--public', '--grant', 'authorization_code', '--redirect-uri', 'http://127.0.0.1:9/cb']);
	report(u.code === 0 && c.code === 0, 'a user and a sign-in client', `${u.stderr} ${c.stderr}`);
	const s = await serve({ db, threads: 2, env: { ...TINY, LOGIN_FAILURES_PER_ADDRESS: String(GUESSES), LOGIN_LOCKOUT_THRESHOLD: '0' } });
	const f = await flow(s.base);
	report(f.flow && f.csrf && f.cookie.includes('idb_browser='), 'a login flow, its CSRF token and the browser cookie', JSON.stringify(f));

	const t0 = Date.now();
	for (let i = 0; i < GUESSES; i++) await guessAndReset(s.port, f, i);
	const done = await until(async () => (await metric(s, 'idb_logins_total{outcome="failed"}')) >= GUESSES, 15000);
	report(done, `${GUESSES} wrong passwords, each connection reset as soon as it was written: all ${GUESSES} checked (idb_logins_total{outcome="failed"}) in ${Date.now() - t0} ms`,
		await metric(s, 'idb_logins_total{outcome="failed"}'));

	const form = new URLSearchParams({ flow: f.flow, csrf: f.csrf, username: 'alice', password: 'one-more-guess' }).toString();
	const r = await hreq(`${s.base}/login`, { method: 'POST', headers: { cookie: f.cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: form });
	report(r.status === 429 && Number(r.headers?.['retry-after']) > 0,
		`the next ordinary guess from 127.0.0.1 → 429: the ${GUESSES} reset ones counted under its address (LOGIN_FAILURES_PER_ADDRESS=${GUESSES})`, `${r.status} ${(r.text ?? '').slice(0, 120)}`);
	await stop(s, 'server');
});
