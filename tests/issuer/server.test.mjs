// The issuer's HTTP server, for real: `identity-backend serve` on a free
// loopback port, exercised over HTTP/1.1 (keep-alive, concurrency), fed bad
// input (garbage, oversized bodies, wrong methods), and stopped with SIGTERM.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { freePort, reporter, startServer, tempDir } from '../lib.mjs';
import { run } from './lib.mjs';

const { report, finish } = reporter('issuer/server');
const tmp = tempDir('idb-server-');
const DB = path.join(tmp, 'identity.db');

function raw(port, bytes) {
	return new Promise((resolve) => {
		const s = net.connect(port, '127.0.0.1', () => s.end(bytes));
		let out = '';
		s.on('data', (d) => (out += d));
		s.on('close', () => resolve(out));
		s.on('error', () => resolve(out));
		setTimeout(() => s.destroy(), 3000);
	});
}

const port = await freePort();
const base = `http://127.0.0.1:${port}`;
let srv;
try {
	srv = await startServer({ db: DB, port, threads: 2, issuer: 'https://id.example', readyMs: 5000 });
	let r = await fetch(`${base}/ping`);
	report(r.status === 200 && (await r.text()) === 'OK', 'GET /ping answers OK');
	r = await fetch(`${base}/health`);
	const health = await r.json();
	report(r.status === 200 && r.headers.get('content-type') === 'application/json' && health.status === 'ok', 'GET /health is JSON', JSON.stringify(health));
	report(r.headers.get('cache-control') === 'no-store' && r.headers.get('x-content-type-options') === 'nosniff', 'JSON answers carry no-store and nosniff');
	r = await fetch(`${base}/ping`, { method: 'HEAD' });
	report(r.status === 200, 'HEAD /ping');
	r = await fetch(`${base}/no/such/thing?x=1`);
	report(r.status === 404 && (await r.json()).error === 'not_found', 'unknown path: JSON 404');
	r = await fetch(`${base}/health`, { method: 'DELETE' });
	report(r.status === 405 && (await r.json()).error === 'method_not_allowed', 'wrong method: JSON 405');
	r = await fetch(`${base}/ping/`);
	report(r.status === 404, 'paths match exactly (/ping/ is not /ping)');
	r = await fetch(`${base}/ping`, { method: 'POST', body: Buffer.alloc(100 * 1024) });
	report(r.status === 413, 'a body over 64 KiB is refused with 413', r.status);
	const garbage = await raw(port, 'GARBAGE\r\n\r\n');
	report(/^HTTP\/1\.1 400/.test(garbage), 'a garbage request line gets 400', garbage.slice(0, 40));
	const huge = await raw(port, `GET /${'a'.repeat(20000)} HTTP/1.1\r\nHost: x\r\n\r\n`);
	report(/^HTTP\/1\.1 4\d\d/.test(huge) || huge === '', 'a 20 KB request line gets a 4xx or a closed connection', huge.slice(0, 40));
	const headers = Array.from({ length: 200 }, (_, i) => `X-H${i}: v`).join('\r\n');
	const many = await raw(port, `GET /ping HTTP/1.1\r\nHost: x\r\n${headers}\r\n\r\n`);
	report(/^HTTP\/1\.1 4\d\d/.test(many) || many === '', '200 headers get a 4xx or a closed connection', many.slice(0, 40));
	const all = await Promise.all(Array.from({ length: 400 }, () => fetch(`${base}/health`).then((x) => x.status)));
	report(all.every((s) => s === 200), '400 concurrent requests all answered 200', [...new Set(all)].join(','));
	r = await fetch(`${base}/ping`);
	report(r.status === 200, 'still serving after the bad input');
	// A second server on a port in use refuses to start: two servers (perhaps on two
	// databases) must never split one port's traffic silently.
	const second = await run(['serve', '--db', path.join(tmp, 'second.db'), '--listen', `127.0.0.1:${port}`], { timeout: 10000 });
	report(second.code === 1 && /cannot listen on 127\.0\.0\.1:\d+: Address already in use/.test(second.stderr),
		'a second server on the same port refuses to start', `exit ${second.code}: ${second.stderr.trim()}`);
	const pings = await Promise.all(Array.from({ length: 20 }, () => fetch(`${base}/ping`).then((x) => x.status)));
	report(pings.every((s) => s === 200), 'and the first keeps answering', pings.join(','));
	const { code, ms } = await srv.stop();
	report(code === 0 && ms < 2000, 'SIGTERM: clean exit within 2 s', `code ${code}, ${ms} ms`);
} catch (e) {
	report(false, 'server test ran', e.stack);
	srv?.child.kill('SIGKILL');
}

for (const [args, env, name] of [
	[['--listen', 'nope'], {}, 'unparseable --listen'],
	[['--threads', '0'], {}, '--threads 0'],
	[['--bogus'], {}, 'unknown option'],
	[[], { JWT_ISSUER: 'ftp://x' }, 'JWT_ISSUER not an http(s) URL'],
	[['--issuer', 'https://id.example/'], {}, 'issuer with a trailing slash'],
]) {
	const r = await run(['serve', '--db', DB, ...args], { env, timeout: 10000 });
	report(r.code === 2 && r.stderr.trim().split('\n').length === 1, `invalid config stops start-up with one line: ${name}`, `exit ${r.code}: ${r.stderr}`);
}
fs.rmSync(tmp, { recursive: true, force: true });
finish();
