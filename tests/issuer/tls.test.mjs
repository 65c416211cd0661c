// tls.test.mjs: `serve --tls-cert --tls-key` on a real loopback port with certificates
// made by the openssl command for the test: HTTPS with TLS 1.2 and 1.3 only, HTTP/2 by
// ALPN with HTTP2=on (off by default: tests/issuer/http2.test.mjs), HSTS on every answer, and SIGHUP replacing the certificate without dropping an
// open connection (a broken replacement is refused and the old certificate stays).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http2 from 'node:http2';
import https from 'node:https';
import path from 'node:path';
import tls from 'node:tls';
import { launchServer, reporter, serverSet, tempDir, runSuite } from '../lib.mjs';
import { until } from './lib.mjs';

const R = reporter('issuer/tls');
const { report } = R;
const { servers, serve, stop } = serverSet(report);
const tmp = tempDir('idb-tls-');
const db = path.join(tmp, 't.db');

/** A self-signed EC certificate for 127.0.0.1 and localhost: {cert, key} file paths and the PEM. */
function makeCert(name) {
	const cert = path.join(tmp, `${name}.crt`), key = path.join(tmp, `${name}.key`);
	const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2', '-subj', `/CN=${name}`,
		'-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', key, '-out', cert], { encoding: 'utf8' });
	if (r.status !== 0) throw new Error(`openssl: ${r.stderr}`);
	return { cert, key, pem: fs.readFileSync(cert, 'utf8') };
}

/** One TLS handshake with options: {protocol, alpn, cn} or {error}. */
function handshake(port, opts) {
	return new Promise((resolve) => {
		const s = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ...opts }, () => {
			const r = { protocol: s.getProtocol(), alpn: s.alpnProtocol, cn: s.getPeerCertificate().subject?.CN };
			s.end();
			resolve(r);
		});
		s.on('error', (e) => resolve({ error: e.code || e.message }));
		s.setTimeout(5000, () => s.destroy(new Error('timeout')));
	});
}

function get(port, ca, pathname = '/ping') {
	return new Promise((resolve) => {
		https.get({ host: '127.0.0.1', port, path: pathname, ca, servername: 'localhost' }, (res) => {
			let body = '';
			res.on('data', (d) => (body += d));
			res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
		}).on('error', (e) => resolve({ status: 0, error: e.message }));
	});
}

await runSuite(R, servers, async () => {
	const a = makeCert('first');
	const b = makeCert('second');
	const live = { cert: path.join(tmp, 'live.crt'), key: path.join(tmp, 'live.key') };
	fs.copyFileSync(a.cert, live.cert);
	fs.copyFileSync(a.key, live.key);
	const s = await serve({ db, issuer: null, args: ['--tls-cert', live.cert, '--tls-key', live.key], env: { HTTP2: 'on' } });
	const port = s.port;

	let r = await get(port, a.pem);
	report(r.status === 200 && r.body === 'OK', 'GET /ping over HTTPS with the certificate given', r.error ?? r.status);
	report(r.headers?.['strict-transport-security'] === 'max-age=31536000', 'HSTS on the answers of an https issuer', JSON.stringify(r.headers));
	const disc = await get(port, a.pem, '/.well-known/openid-configuration');
	report(JSON.parse(disc.body || '{}').issuer === `https://127.0.0.1:${port}`, 'the default issuer of a TLS server is https://HOST:PORT', disc.body?.slice(0, 120));

	for (const v of ['TLSv1.2', 'TLSv1.3']) {
		const h = await handshake(port, { ca: a.pem, minVersion: v, maxVersion: v });
		report(h.protocol === v, `${v} is accepted`, JSON.stringify(h));
	}
	for (const v of ['TLSv1', 'TLSv1.1']) {
		const h = await handshake(port, { ca: a.pem, minVersion: v, maxVersion: v, ciphers: 'DEFAULT@SECLEVEL=0' });
		report(!!h.error, `${v} is refused`, JSON.stringify(h));
	}
	const weak = await handshake(port, { ca: a.pem, maxVersion: 'TLSv1.2', ciphers: 'AES128-SHA:AES256-SHA:ECDHE-RSA-AES128-SHA' });
	report(!!weak.error, 'TLS 1.2 without forward secrecy or AEAD (AES-CBC, RSA key exchange) is refused', JSON.stringify(weak));
	const alpn = await handshake(port, { ca: a.pem, ALPNProtocols: ['h2', 'http/1.1'] });
	report(alpn.alpn === 'h2', 'ALPN offers HTTP/2', JSON.stringify(alpn));

	// HTTP/2, and a session kept open across the reload.
	const session = http2.connect(`https://127.0.0.1:${port}`, { ca: a.pem, servername: 'localhost' });
	const h2get = (p) => new Promise((resolve) => {
		const q = session.request({ ':path': p });
		let body = '', status = 0;
		q.on('response', (h) => (status = h[':status']));
		q.on('data', (d) => (body += d));
		q.on('end', () => resolve({ status, body }));
		q.on('error', (e) => resolve({ status: 0, error: e.message }));
		q.end();
	});
	r = await h2get('/ping');
	report(r.status === 200 && r.body === 'OK', 'GET /ping over HTTP/2', JSON.stringify(r));

	// SIGHUP with the second certificate in place: new connections get it, the open session goes on.
	fs.copyFileSync(b.cert, live.cert);
	fs.copyFileSync(b.key, live.key);
	s.child.kill('SIGHUP');
	const reloaded = await until(() => /SIGHUP: TLS certificate reloaded/.test(s.stderr()), 5000);
	const after = await handshake(port, { ca: b.pem });
	r = await h2get('/ping');
	report(reloaded && after.cn === 'second', 'SIGHUP: new connections get the new certificate', JSON.stringify(after));
	report(r.status === 200 && s.child.exitCode === null, 'SIGHUP: the HTTP/2 session opened before it still answers', JSON.stringify(r));
	session.close();

	// A broken replacement: refused, logged, the second certificate stays.
	fs.writeFileSync(live.cert, 'not a certificate\n');
	s.child.kill('SIGHUP');
	const refused = await until(() => /SIGHUP: the TLS files did not load; the previous certificate stays/.test(s.stderr()), 5000);
	const still = await handshake(port, { ca: b.pem });
	report(refused && still.cn === 'second' && s.child.exitCode === null, 'SIGHUP with a broken certificate: logged, the previous one stays, the server goes on', JSON.stringify(still));
	await stop(s, 'TLS server');

	// Bad files at start-up: one line, exit 2.
	const bad = [
		[['--tls-cert', path.join(tmp, 'none.crt'), '--tls-key', a.key], /none\.crt/, 'a missing certificate file'],
		[['--tls-cert', a.cert, '--tls-key', b.key], /does not match/, 'a key of another certificate'],
		[['--tls-cert', a.cert], /--tls-cert and --tls-key/, '--tls-cert without --tls-key'],
	];
	for (const [args, want, what] of bad) {
		const x = await launchServer({ db, args, readyMs: 10000 });
		const e = x.outcome === 'exited' ? await x.exited : { code: null };
		if (x.outcome !== 'exited') await x.stop('SIGKILL');
		const lines = x.stderr().split('\n').filter(Boolean);
		report(e.code === 2 && lines.length === 1 && lines[0].startsWith('identity-backend serve: ') && want.test(lines[0]), `${what}: one line, exit 2`, `${e.code} ${x.stderr()}`);
	}
});
