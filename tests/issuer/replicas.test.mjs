// Several replicas are one issuer: two `identity-backend serve` processes on one
// real PostgreSQL (started by this suite, tests/pg.sh), behind a real HAProxy
// (round-robin, health checks) and reached directly. A code from replica A is
// redeemed at B; one code redeemed at A and B at once gives exactly one token;
// refresh rotation, the reuse grace and reuse detection hold across replicas; a revocation at A is
// refused at once by /introspect, /userinfo and /verify at B; keys rotated with
// the CLI are published by both replicas while neither signs with them yet;
// failed logins at A and B count toward one lockout; openid-client completes the
// code flow and a refresh through the proxy, its requests spread over both; a
// second `serve` on a port in use refuses to start; kill -9 of a replica: the
// proxy's traffic goes on at the other; PostgreSQL stopped: 503 with Retry-After
// and /ping still fast, then recovery without restarting a replica.
import crypto from 'node:crypto';
import http from 'node:http';
import * as client from 'openid-client';
import { freePort, reporter, runSuite, serverSet, sleep, startHaproxy, startPostgres } from '../lib.mjs';
import { addClient, basic, browser, run } from './lib.mjs';

const { report, finish } = reporter('issuer/replicas');
const { servers, serve, stop } = serverSet(report);
const TINY = { PASSWORD_ARGON2_TEST: '1', PASSWORD_ARGON2_M_KIB: '64', PASSWORD_ARGON2_T: '1' };
const CB = 'https://rp.example/callback';
const SECRETS = { SECRETS_SYSTEM: crypto.randomBytes(32).toString('base64url') }; // PostgreSQL needs it
const SERVER_ENV = { ...TINY, ...SECRETS, LOGIN_LOCKOUT_THRESHOLD: '4', LOGIN_FAILURES_PER_ADDRESS: '0', DB_TIMEOUT_MS: '1000', DB_POOL_SIZE: '3', REFRESH_REUSE_GRACE_SECONDS: '2', TRUSTED_PROXIES: '127.0.0.1' };

/** PKCE pair (RFC 7636 S256). */
function pkce() {
	const verifier = crypto.randomBytes(32).toString('base64url');
	return { verifier, challenge: crypto.createHash('sha256').update(verifier).digest('base64url') };
}

/** Sign in at `at` (a replica's base URL) and post the form to `formAt`; resolves the
 * 303 response of /login (a code in its Location when the sign-in worked). */
async function login(at, formAt, username, password, p) {
	const b = browser();
	const q = new URLSearchParams({ response_type: 'code', client_id: 'web', redirect_uri: CB, scope: 'openid offline_access', state: 'st', nonce: 'nn', code_challenge: p.challenge, code_challenge_method: 'S256' });
	let r = await b.go(`${at}/authorize?${q}`);
	const html = await r.text();
	const field = (n) => new RegExp(`name="${n}" value="([^"]*)"`).exec(html)?.[1];
	if (r.status !== 200 || !field('flow')) throw new Error(`authorize at ${at}: ${r.status} ${html.slice(0, 200)}`);
	r = await b.go(`${formAt}/login`, {
		method: 'POST',
		headers: { 'content-type': 'application/x-www-form-urlencoded' },
		body: new URLSearchParams({ flow: field('flow'), csrf: field('csrf'), username, password }).toString(),
	});
	return r;
}

/** A code for alice: authorize at `at`, the login form posted to `formAt`. */
async function code(at, formAt, password) {
	const p = pkce();
	const r = await login(at, formAt, 'alice', password, p);
	const c = r.status === 303 ? new URL(r.headers.get('location')).searchParams.get('code') : null;
	if (!c) throw new Error(`login: ${r.status} ${await r.text()}`);
	return { code: c, verifier: p.verifier };
}

function exchange(base, secret, c) {
	return fetch(`${base}/token`, {
		method: 'POST',
		headers: { authorization: basic('web', secret), 'content-type': 'application/x-www-form-urlencoded' },
		body: new URLSearchParams({ grant_type: 'authorization_code', code: c.code, redirect_uri: CB, code_verifier: c.verifier }),
	});
}

function refresh(base, secret, token) {
	return fetch(`${base}/token`, {
		method: 'POST',
		headers: { authorization: basic('web', secret), 'content-type': 'application/x-www-form-urlencoded' },
		body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: token }),
	});
}

function ccToken(base, secret) {
	return fetch(`${base}/token`, {
		method: 'POST',
		headers: { authorization: basic('svc', secret), 'content-type': 'application/x-www-form-urlencoded' },
		body: 'grant_type=client_credentials&audience=api%3A%2F%2Forders',
	});
}

const kidOf = (jwt) => JSON.parse(Buffer.from(jwt.split('.')[0], 'base64url').toString()).kid;
const requestsIn = (s) => (s.stderr().match(/"msg":"request"/g) ?? []).length;

const pg = await startPostgres();
let proxy = null;
await runSuite({ report, finish }, servers, async () => {
	const DB = pg.url;
	const password = crypto.randomBytes(12).toString('base64url');
	const u = await run(['user', 'add', '--db', DB, '--username', 'alice', '--password-stdin'], { env: TINY, input: `${password}\n` });
	const bob = await run(['user', 'add', '--db', DB, '--username', 'bob', '--password-stdin'], { env: TINY, input: 'bobs-password-1\n' });
	report(u.code === 0 && bob.code === 0, 'users added on PostgreSQL with the CLI', u.stderr + bob.stderr);
	const web = await addClient(DB, 'web', ['--grant', 'authorization_code', '--grant', 'refresh_token', '--redirect-uri', CB, '--scope', 'openid offline_access']);
	const svc = await addClient(DB, 'svc', ['--grant', 'client_credentials', '--audience', 'api://orders']);

	const [pa, pb, pp] = [await freePort(), await freePort(), await freePort()];
	const ISS = `http://127.0.0.1:${pp}`;
	const A = await serve({ db: DB, port: pa, issuer: ISS, threads: 2, env: SERVER_ENV });
	const B = await serve({ db: DB, port: pb, issuer: ISS, threads: 2, env: SERVER_ENV });
	proxy = await startHaproxy(pp, [pa, pb]);
	report(true, `two replicas on one PostgreSQL (${A.base}, ${B.base}) behind HAProxy (${ISS})`);

	// A code from A redeemed at B.
	let c = await code(A.base, A.base, password);
	let r = await exchange(B.base, web.client_secret, c);
	const tokens = await r.json();
	report(r.status === 200 && tokens.access_token && tokens.refresh_token, 'a code issued by replica A is redeemed at replica B', r.status);

	// One code, A and B at once: exactly one token.
	let exact = 0;
	const seen = [];
	for (let i = 0; i < 8; i++) {
		c = await code(i % 2 ? A.base : B.base, i % 2 ? B.base : A.base, password);
		const both = await Promise.all([exchange(A.base, web.client_secret, c), exchange(B.base, web.client_secret, c)]);
		const st = both.map((x) => x.status).sort().join(',');
		seen.push(st);
		if (st === '200,400') exact++;
	}
	report(exact === 8, 'one code redeemed at A and B at once, 8 times: exactly one 200 each time (the other invalid_grant)', seen.join(' '));

	// Refresh rotation across replicas, the reuse grace (2 s here) and reuse detection.
	r = await refresh(A.base, web.client_secret, tokens.refresh_token);
	const rotated = await r.json();
	report(r.status === 200 && rotated.refresh_token && rotated.refresh_token !== tokens.refresh_token, 'refresh at A rotates the token', r.status);
	r = await refresh(B.base, web.client_secret, tokens.refresh_token);
	const retried = await r.json();
	report(r.status === 200 && retried.refresh_token && retried.refresh_token !== rotated.refresh_token, 'the same token retried at B within the grace (the first answer lost): a fresh pair, not a revocation', r.status);
	r = await refresh(A.base, web.client_secret, retried.refresh_token);
	const onward = await r.json();
	report(r.status === 200, 'the client goes on at A with the token from B', r.status);
	r = await refresh(B.base, web.client_secret, tokens.refresh_token);
	const reuse = await r.json();
	report(r.status === 400 && reuse.error === 'invalid_grant', 'the first token replayed at B once its successor was used: invalid_grant', JSON.stringify(reuse));
	r = await refresh(A.base, web.client_secret, onward.refresh_token);
	report(r.status === 400, 'and the family is revoked: the newest token is refused at A too', r.status);
	const g1 = await (await exchange(A.base, web.client_secret, await code(A.base, A.base, password))).json();
	r = await refresh(A.base, web.client_secret, g1.refresh_token);
	const g2 = await r.json();
	await sleep(2200);
	r = await refresh(B.base, web.client_secret, g1.refresh_token);
	const late = await r.json();
	const dead = await refresh(A.base, web.client_secret, g2.refresh_token);
	report(r.status === 400 && late.error === 'invalid_grant' && dead.status === 400, 'a replay after the grace (2.2 s later, at the other replica): invalid_grant, the family revoked', `${r.status} ${dead.status}`);
	// A revocation at A is refused at once at B.
	const at = rotated.access_token;
	const introspect = (base) => fetch(`${base}/introspect`, { method: 'POST', headers: { authorization: basic('web', web.client_secret), 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${at}` }).then((x) => x.json());
	report((await introspect(B.base)).active === true, 'before: the access token is active at B');
	r = await fetch(`${A.base}/revoke`, { method: 'POST', headers: { authorization: basic('web', web.client_secret), 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${at}` });
	report(r.status === 200, 'revoked at A', r.status);
	const i2 = await introspect(B.base);
	const ui = await fetch(`${B.base}/userinfo`, { headers: { authorization: `Bearer ${at}` } });
	const aud = JSON.parse(Buffer.from(at.split('.')[1], 'base64url').toString()).aud;
	const vf = await fetch(`${B.base}/verify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: at, aud: Array.isArray(aud) ? aud[0] : aud }) });
	report(i2.active === false && ui.status === 401 && vf.status === 401, 'at once, B refuses it: /introspect inactive, /userinfo 401, /verify 401', `${JSON.stringify(i2)} ${ui.status} ${vf.status}`);

	// Keys rotated with the CLI: both replicas publish the new key; neither signs with it yet.
	const before = await (await ccToken(A.base, svc.client_secret)).json();
	const rot = await run(['keys', 'rotate', '--db', DB, '--alg', 'ES256'], { env: SECRETS });
	const newKid = rot.json?.kid ?? rot.json?.rotated?.kid ?? /"kid":\s*"([^"]+)"/.exec(rot.stdout)?.[1];
	report(rot.code === 0 && newKid, 'keys rotate --alg ES256 on the shared database', rot.stdout + rot.stderr);
	await sleep(2500); // the key set is re-read from the store every second
	const jwks = await Promise.all([A, B].map((s) => fetch(`${s.base}/.well-known/jwks.json`).then((x) => x.json())));
	report(jwks.every((k) => k.keys.some((j) => j.kid === newKid)), 'within 2.5 s both replicas publish the new key', newKid);
	const after = await Promise.all([A, B].map((s) => ccToken(s.base, svc.client_secret).then((x) => x.json())));
	report(after.every((t) => kidOf(t.access_token) === kidOf(before.access_token) && kidOf(t.access_token) !== newKid), 'and neither signs with it before its lead time', after.map((t) => kidOf(t.access_token)).join(' '));

	// Failed logins at A and B count toward one lockout (threshold 4 on both).
	const outcomes = [];
	for (let i = 0; i < 4; i++) outcomes.push((await login(i % 2 ? A.base : B.base, i % 2 ? A.base : B.base, 'bob', `wrong-${i}`, pkce())).status);
	const list = await run(['user', 'list', '--db', DB]);
	const bobRow = (list.json?.users ?? list.json ?? []).find?.((x) => x.username === 'bob');
	r = await login(A.base, A.base, 'bob', 'bobs-password-1', pkce());
	report(bobRow?.locked === true && !/[?&]code=/.test(r.headers.get('location') ?? ''), 'two failed logins at A and two at B lock the account (threshold 4): the right password is then refused', `${outcomes} locked=${bobRow?.locked} then ${r.status}`);

	// openid-client through the proxy: discovery, code flow, refresh; both replicas serve.
	const countA = requestsIn(A), countB = requestsIn(B);
	const config = await client.discovery(new URL(ISS), 'web', undefined, client.ClientSecretBasic(web.client_secret), { execute: [client.allowInsecureRequests] });
	const p = pkce();
	const authUrl = client.buildAuthorizationUrl(config, { redirect_uri: CB, scope: 'openid offline_access', code_challenge: p.challenge, code_challenge_method: 'S256', state: 'xyz', nonce: 'n1' });
	const b = browser();
	r = await b.go(authUrl.href);
	const html = await r.text();
	const field = (n) => new RegExp(`name="${n}" value="([^"]*)"`).exec(html)?.[1];
	r = await b.go(`${ISS}/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ flow: field('flow'), csrf: field('csrf'), username: 'alice', password }).toString() });
	const back = new URL(r.headers.get('location') ?? 'http://x/');
	const t1 = await client.authorizationCodeGrant(config, back, { pkceCodeVerifier: p.verifier, expectedState: 'xyz', expectedNonce: 'n1', idTokenExpected: true });
	const t2 = await client.refreshTokenGrant(config, t1.refresh_token);
	const info = await client.fetchUserInfo(config, t2.access_token, t1.claims().sub);
	report(t1.claims()?.iss === ISS && t2.refresh_token !== t1.refresh_token && info.sub === t1.claims().sub, 'openid-client through HAProxy: discovery, code flow with PKCE, refresh rotation, userinfo', JSON.stringify(t1.claims()));
	for (let i = 0; i < 20; i++) await fetch(`${ISS}/.well-known/openid-configuration`);
	await sleep(500); // access-log lines are written in batches, every 100 ms
	report(requestsIn(A) - countA >= 5 && requestsIn(B) - countB >= 5, 'the proxy spread those requests over both replicas', `A +${requestsIn(A) - countA}, B +${requestsIn(B) - countB}`);

	// Behind the proxy (TRUSTED_PROXIES=127.0.0.1): the client's address is the one the proxy
	// saw (this suite sends from 127.0.0.2), whatever X-Forwarded-For the client forges.
	const from2 = (url, headers = {}) => new Promise((resolve) => {
		const u = new URL(url);
		http.get({ host: u.hostname, port: u.port, path: u.pathname, localAddress: '127.0.0.2', headers }, (res) => (res.resume(), res.on('end', () => resolve(res.statusCode)))).on('error', () => resolve(0));
	});
	await from2(`${ISS}/ping`, { 'x-forwarded-for': '6.6.6.6' });
	await from2(`${A.base}/ping`, { 'x-forwarded-for': '6.6.6.6' });
	await from2(`${B.base}/ping`, { 'x-forwarded-for': '6.6.6.6' });
	await sleep(500);
	const remotes = [A, B].flatMap((x) => x.stderr().split('\n').filter((l) => l.includes('"path":"/ping"')).slice(-3).map((l) => JSON.parse(l).remote));
	report(remotes.includes('127.0.0.2') && !remotes.includes('6.6.6.6'), 'the access log names the real client (127.0.0.2) through the proxy and directly; the forged X-Forwarded-For never', remotes.join(' '));

	// A second serve on a port in use refuses to start.
	const dup = await run(['serve', '--db', DB, '--listen', `127.0.0.1:${pa}`], { env: SECRETS, timeout: 10000 });
	report(dup.code === 1 && /Address already in use/.test(dup.stderr), 'a third serve on replica A\'s port refuses to start', `exit ${dup.code}: ${dup.stderr.trim()}`);

	// kill -9 of a replica under load: the proxy's traffic goes on at the other.
	let okAfter = 0, failedAfter = 0, killedAt = 0;
	const worker = async () => {
		while (!killedAt || Date.now() - killedAt < 1500) {
			const x = await ccToken(ISS, svc.client_secret).then((y) => y.status, () => 0);
			if (killedAt) x === 200 ? okAfter++ : failedAfter++;
		}
	};
	const load = Promise.all([worker(), worker(), worker(), worker()]); // 4 clients at once
	await sleep(300);
	B.child.kill('SIGKILL');
	await B.exited;
	killedAt = Date.now();
	servers.splice(servers.indexOf(B), 1);
	await load;
	report(okAfter > 100 && failedAfter <= 4, 'kill -9 of replica B under load (4 clients): the proxy\'s requests go on at A, at most the ones in flight lost', `${okAfter} ok, ${failedAfter} failed after the kill`);
	const pings = await Promise.all(Array.from({ length: 10 }, () => fetch(`${ISS}/ping`).then((x) => x.status)));
	report(pings.every((s) => s === 200), 'the proxy answers from A alone', pings.join(','));

	// PostgreSQL stalled (SIGSTOP, every process of it): a request that needs it gets 503
	// with Retry-After after a bounded wait (DB_TIMEOUT_MS, 1 s here, for a connection of
	// the pool and again for PostgreSQL's answer); /ping and the JWKS answer at once: the
	// waits are on the database workers, never on a loop thread; nothing hangs.
	const { execSync } = await import('node:child_process');
	const pgSignal = (sig) => execSync(`pkill -${sig} -P ${pg.pid()}; kill -${sig} ${pg.pid()}`);
	const stallIntroMs = [], stallPingMs = [], stallJwksMs = [];
	const timed = async (list, f) => {
		const t0 = Date.now();
		const x = await f();
		list.push(Date.now() - t0);
		return x;
	};
	pgSignal('STOP');
	let stalled;
	try {
		stalled = await Promise.all([
			...Array.from({ length: 6 }, () => timed(stallIntroMs, () => fetch(`${A.base}/introspect`, { method: 'POST', headers: { authorization: basic('web', web.client_secret), 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${at}` }))),
			...Array.from({ length: 20 }, (_, i) => sleep(i * 50).then(() => timed(stallPingMs, () => fetch(`${A.base}/ping`)))),
			...Array.from({ length: 10 }, (_, i) => sleep(i * 100).then(() => timed(stallJwksMs, () => fetch(`${A.base}/.well-known/jwks.json`)))),
		]);
	} finally {
		pgSignal('CONT');
	}
	const q = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];
	report(stalled.slice(0, 6).every((x) => x.status === 503 && x.headers.get('retry-after') === '1') && Math.max(...stallIntroMs) < 3000, `PostgreSQL stalled: requests that need it get 503 with Retry-After (slowest ${Math.max(...stallIntroMs)} ms; DB_TIMEOUT_MS 1000)`, stalled.slice(0, 6).map((x) => x.status).join(','));
	report(stalled.slice(6).every((x) => x.status === 200) && Math.max(...stallPingMs, ...stallJwksMs) < 250, `and /ping and the JWKS keep answering (ping p50 ${q(stallPingMs, 0.5)} ms, p99 ${q(stallPingMs, 0.99)} ms; jwks max ${Math.max(...stallJwksMs)} ms)`);
	let recovered = 0;
	for (let i = 0; i < 80 && !recovered; i++) {
		const x = await fetch(`${A.base}/introspect`, { method: 'POST', headers: { authorization: basic('web', web.client_secret), 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${at}` });
		if (x.status === 200) recovered = 1;
		else await sleep(100);
	}
	report(recovered, 'PostgreSQL resumed: the replica answers again by itself');

	// PostgreSQL stopped: 503 with Retry-After, /ping still fast; started again: recovery.
	const { execFileSync } = await import('node:child_process');
	const ctl = (...args) => execFileSync('bash', ['-c', `b=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1); if [ "$(id -u)" = 0 ]; then runuser -u $(stat -c %U ${pg.dir}) -- "$b/pg_ctl" "$@"; else "$b/pg_ctl" "$@"; fi`, 'pg_ctl', ...args], { stdio: 'ignore', timeout: 60000 });
	const port = new URL(DB).port;
	ctl('-D', `${pg.dir}/data`, '-m', 'fast', '-w', 'stop');
	await sleep(1200); // past the client cache
	r = await ccToken(A.base, svc.client_secret);
	const t0 = Date.now();
	const ping = await fetch(`${A.base}/ping`);
	const pingMs = Date.now() - t0;
	report(r.status === 503 && r.headers.get('retry-after') === '1', 'PostgreSQL stopped: a request that needs it gets 503 with Retry-After: 1', `${r.status} retry-after=${r.headers.get('retry-after')}`);
	report(ping.status === 200, `and /ping still answers (${pingMs} ms)`, ping.status);
	const ready = await fetch(`${A.base}/health/ready`);
	report(ready.status === 503, '/health/ready says not ready', ready.status);
	ctl('-D', `${pg.dir}/data`, '-l', `${pg.dir}/server.log`, '-w', 'start', '-o', `-k ${pg.dir} -p ${port} -c listen_addresses=127.0.0.1 -c max_connections=200`);
	let back200 = 0;
	for (let i = 0; i < 50 && back200 < 3; i++) {
		const x = await ccToken(A.base, svc.client_secret);
		if (x.status === 200) back200++;
		else await sleep(100);
	}
	report(back200 === 3, 'PostgreSQL started again: the replica answers 200 without a restart', back200);
	for (let i = 0; i < 10; i++) await fetch(`${A.base}/introspect`, { method: 'POST', headers: { authorization: basic('web', web.client_secret), 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${at}` });
	const conns = Number(execFileSync('psql', [DB, '-qAt', '-c', "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'identity-backend'"], { encoding: 'utf8' }).trim());
	report(conns >= 1 && conns <= 4, `after all of it, replica A holds ${conns} connection(s): at most DB_POOL_SIZE (3) and one for the key thread, none leaked`, conns);
	await proxy.stop();
	proxy = null;
	await stop(A, 'replica A');
});
