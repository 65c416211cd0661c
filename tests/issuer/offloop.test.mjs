// offloop.test.mjs: a request that waits for the store never holds its event loop.
// One loop thread (--threads 1), a SQLite file whose write lock another process
// (the sqlite3 shell) holds: a token revocation (a write) waits for the lock on a
// database worker, while /ping, the JWK Set and a read of the store (introspection)
// on that same loop answer at once; when the lock is let go, the revocation
// completes and takes effect. With one connection in the pool and DB_TIMEOUT_MS
// of 300, a write queued behind a waiting one gets 503 with Retry-After instead of
// waiting on. And an HTTP/2 stream reset (and a closed connection) while its
// request waits for the store leaves the server whole: the request's handler runs
// on a copy of the request, so nothing of the one H2O disposed of is touched
// (a sanitizer build reports any use after free on stderr, which is checked).
import { spawn } from 'node:child_process';
import http2 from 'node:http2';
import path from 'node:path';
import { reporter, runSuite, serverSet, sleep, tempDir } from '../lib.mjs';
import { addClient, basic, hreq } from './lib.mjs';

const R = reporter('issuer/offloop');
const { report } = R;
const { servers, serve, stop } = serverSet(report);
const tmp = tempDir('idb-offloop-');
const FORM = 'application/x-www-form-urlencoded';

/** The sqlite3 shell holding the file's write lock: resolves {release()} once it holds it. */
function holdLock(db) {
	return new Promise((resolve, reject) => {
		const p = spawn('sqlite3', [db], { stdio: ['pipe', 'pipe', 'inherit'] });
		const timer = setTimeout(() => reject(new Error('the sqlite3 shell did not take the lock')), 5000);
		p.stdout.on('data', (d) => {
			if (!String(d).includes('held')) return;
			clearTimeout(timer);
			resolve({ release: () => new Promise((r) => (p.on('close', r), p.stdin.end('COMMIT;\n'))) });
		});
		p.on('error', reject);
		p.stdin.write("BEGIN IMMEDIATE;\nSELECT 'held';\n");
	});
}

async function timed(promise) {
	const t0 = Date.now();
	const r = await promise;
	return { ...r, ms: Date.now() - t0 };
}

await runSuite(R, servers, async () => {
	const db = path.join(tmp, 'o.db');
	const cl = await addClient(db, 'svc', ['--grant', 'client_credentials', '--audience', 'api']);
	const auth = { authorization: basic('svc', cl.client_secret), 'content-type': FORM };
	const s = await serve({ db, threads: 1, env: { DB_POOL_SIZE: '2', HTTP2_CLEARTEXT: 'on' } });
	const token = async () => (await hreq(`${s.base}/token`, { method: 'POST', headers: auth, body: 'grant_type=client_credentials&audience=api' })).json?.access_token;
	const revoke = (t) => hreq(`${s.base}/revoke`, { method: 'POST', headers: auth, body: `token=${t}` });
	const active = async (t) => (await hreq(`${s.base}/introspect`, { method: 'POST', headers: auth, body: `token=${t}` })).json?.active;
	const [t1, t2, t3] = [await token(), await token(), await token()];
	report(t1 && t2 && t3, 'three access tokens');

	// 1. A write waits for the lock off the loop; the loop answers the rest meanwhile.
	let lock = await holdLock(db);
	const t0 = Date.now();
	const pending = revoke(t1);
	await sleep(150);
	const pings = [], jwks = [];
	for (let i = 0; i < 5; i++) {
		pings.push(await timed(hreq(`${s.base}/ping`)));
		jwks.push(await timed(hreq(`${s.base}/.well-known/jwks.json`)));
	}
	const read = await timed(hreq(`${s.base}/introspect`, { method: 'POST', headers: auth, body: `token=${t2}` }));
	const worst = Math.max(...pings.map((p) => p.ms), ...jwks.map((p) => p.ms));
	report(pings.every((p) => p.status === 200) && jwks.every((p) => p.status === 200) && worst < 200,
		'while a write waits for the lock, /ping and the JWK Set on the same loop answer at once', `worst ${worst} ms`);
	report(read.status === 200 && read.json?.active === true && read.ms < 300,
		'and a read of the store (introspection) answers too, from another connection', `${read.status} in ${read.ms} ms`);
	await sleep(600 - (Date.now() - t0));
	await lock.release();
	const done = await pending;
	report(done.status === 200 && Date.now() - t0 >= 600, 'the revocation waited for the lock, then succeeded', `${done.status} after ${Date.now() - t0} ms`);
	report((await active(t1)) === false, 'and took effect: the token is no longer active');

	// 2. HTTP/2: a stream reset, and a connection closed, while their requests wait.
	lock = await holdLock(db);
	const session = http2.connect(s.base);
	session.on('error', () => {});
	const body = `token=${t3}`;
	const h2req = (sess) => {
		const r = sess.request({ ':method': 'POST', ':path': '/revoke', ...auth, 'content-length': Buffer.byteLength(body) });
		r.on('error', () => {});
		r.end(body);
		return r;
	};
	const reset = h2req(session);
	await sleep(150);
	reset.close(http2.constants.NGHTTP2_CANCEL);
	const closing = http2.connect(s.base);
	closing.on('error', () => {});
	h2req(closing);
	await sleep(150);
	closing.destroy();
	await sleep(100);
	const ping = await timed(hreq(`${s.base}/ping`));
	report(ping.status === 200 && ping.ms < 200, 'with those requests still waiting, the loop answers', `${ping.status} in ${ping.ms} ms`);
	await lock.release();
	await sleep(300);
	session.close();
	const again = await revoke(t3);
	report(again.status === 200 && (await active(t3)) === false, 'after the reset and the close, requests are served as before', `${again.status}`);
	report(s.child.exitCode === null, 'the server is still running');
	await stop(s, 'the one-loop server');

	// 3. One connection, DB_TIMEOUT_MS 300: a write queued behind a waiting one gets 503.
	const s2 = await serve({ db, threads: 1, env: { DB_POOL_SIZE: '1', DB_TIMEOUT_MS: '300' } });
	const auth2 = auth;
	const tok = async () => (await hreq(`${s2.base}/token`, { method: 'POST', headers: auth2, body: 'grant_type=client_credentials&audience=api' })).json?.access_token;
	const [u1, u2] = [await tok(), await tok()];
	lock = await holdLock(db);
	const first = hreq(`${s2.base}/revoke`, { method: 'POST', headers: auth2, body: `token=${u1}` });
	await sleep(50);
	const second = timed(hreq(`${s2.base}/revoke`, { method: 'POST', headers: auth2, body: `token=${u2}` }));
	await sleep(700);
	await lock.release();
	const [a, b] = [await first, await second];
	report(a.status === 200, 'the write that held the connection succeeds once the lock is free', `${a.status}`);
	report(b.status === 503 && b.headers?.['retry-after'] && b.json?.error === 'temporarily_unavailable',
		'the write queued behind it past DB_TIMEOUT_MS gets 503 with Retry-After', `${b.status} ${JSON.stringify(b.json)} in ${b.ms} ms`);
	report(b.ms < 1500, 'within a bounded wait', `${b.ms} ms`);
	await stop(s2, 'the one-connection server');
});
