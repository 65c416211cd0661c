// createRemoteVerifier against a real HTTP server on loopback: discovery, JWKS
// caching, one refetch on an unknown kid (a key rotation), the cooldown, the
// cache's max age, and the bounds: response size, timeout, HTTP errors. Also
// that no promise is ever left rejected unhandled.
import http from 'node:http';
import * as jose from 'jose';
import * as api from '../../verifier-wasm/index.js';
import { reporter } from '../lib.mjs';

const { report, finish } = reporter('wasm/remote');
process.on('unhandledRejection', (e) => report(false, 'no unhandled promise rejection', e && e.stack));

const key1 = await jose.generateKeyPair('ES256', { extractable: true });
const key2 = await jose.generateKeyPair('ES256', { extractable: true });
const jwk = async (k, kid) => ({ ...(await jose.exportJWK(k.publicKey)), kid, alg: 'ES256', use: 'sig' });
const mint = (k, kid, claims = {}) =>
	new jose.SignJWT({ sub: 'svc', iss: issuer, ...claims }).setProtectedHeader({ alg: 'ES256', kid }).setExpirationTime('5m').sign(k.privateKey);

let keys = [await jwk(key1, 'k1')];
let hits = { jwks: 0, discovery: 0 };
let mode = 'ok';
const server = http.createServer((req, res) => {
	if (req.url === '/.well-known/openid-configuration') {
		hits.discovery++;
		res.setHeader('content-type', 'application/json');
		return res.end(JSON.stringify({ issuer: mode === 'wrong-issuer' ? 'https://evil.example' : issuer, jwks_uri: `${issuer}/jwks` }));
	}
	if (req.url === '/jwks') {
		hits.jwks++;
		if (mode === 'slow') return setTimeout(() => res.end('{}'), 1500);
		if (mode === 'error') {
			res.statusCode = 500;
			return res.end('oops');
		}
		if (mode === 'huge') return res.end(`{"keys":[],"pad":"${'x'.repeat(300 * 1024)}"}`);
		res.setHeader('content-type', 'application/json');
		return res.end(JSON.stringify({ keys }));
	}
	res.statusCode = 404;
	res.end();
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const issuer = `http://127.0.0.1:${server.address().port}`;

async function code(p) {
	try {
		await p;
		return 'valid';
	} catch (e) {
		return e.code ?? `THREW ${e.message}`;
	}
}

try {
	const v = await api.createRemoteVerifier({ jwksUri: `${issuer}/jwks`, issuer, cooldownDuration: 300, cacheMaxAge: 1500 });
	const t1 = await mint(key1, 'k1');
	report((await v.verify(t1)).payload.sub === 'svc' && hits.jwks === 1, 'first verify fetches the JWKS once', JSON.stringify(hits));
	await v.verify(t1);
	report(hits.jwks === 1, 'second verify uses the cached JWKS', JSON.stringify(hits));
	await new Promise((r) => setTimeout(r, 350));
	keys = [await jwk(key1, 'k1'), await jwk(key2, 'k2')]; // rotation: k2 published
	const t2 = await mint(key2, 'k2');
	report((await code(v.verify(t2))) === 'valid' && hits.jwks === 2, 'unknown kid: one refetch picks up the rotated-in key', JSON.stringify(hits));
	const t3 = await mint(key2, 'k3');
	report((await code(v.verify(t3))) === 'ERR_JWKS_NO_MATCHING_KEY' && hits.jwks === 2, 'an unknown kid within the cooldown does not refetch', JSON.stringify(hits));
	await new Promise((r) => setTimeout(r, 350));
	await code(v.verify(t3));
	await code(v.verify(t3));
	report(hits.jwks === 3, 'after the cooldown: exactly one more refetch for repeated unknown kids', JSON.stringify(hits));
	await new Promise((r) => setTimeout(r, 1600));
	await v.verify(t1);
	report(hits.jwks === 4, 'cacheMaxAge: a stale JWKS is fetched again', JSON.stringify(hits));
	report((await code(v.verify(await mint(key1, 'k1', { iss: 'https://other.example' })))) === 'ERR_JWT_CLAIM_VALIDATION_FAILED', 'claims are checked as in createVerifier');
	v.close();

	hits = { jwks: 0, discovery: 0 };
	const d = await api.createRemoteVerifier({ issuer });
	const verdicts = await Promise.all([1, 2, 3, 4, 5].map(() => code(d.verify(t1))));
	report(verdicts.every((x) => x === 'valid') && hits.discovery === 1 && hits.jwks === 1, 'issuer discovery; five concurrent verifies share one fetch', `${verdicts} ${JSON.stringify(hits)}`);
	d.close();

	mode = 'wrong-issuer';
	report((await code((await api.createRemoteVerifier({ issuer })).verify(t1))) === 'ERR_JWKS_INVALID', 'discovery document for another issuer is refused');
	mode = 'huge';
	report((await code((await api.createRemoteVerifier({ jwksUri: `${issuer}/jwks` })).verify(t1))) === 'ERR_JWKS_INVALID', 'a JWKS response over 256 KiB is refused');
	mode = 'error';
	report((await code((await api.createRemoteVerifier({ jwksUri: `${issuer}/jwks` })).verify(t1))) === 'ERR_JWKS_INVALID', 'HTTP 500 from the JWKS URL is ERR_JWKS_INVALID');
	mode = 'slow';
	const t0 = Date.now();
	const slow = await code((await api.createRemoteVerifier({ jwksUri: `${issuer}/jwks`, timeoutDuration: 200 })).verify(t1));
	report(slow === 'ERR_JWKS_TIMEOUT' && Date.now() - t0 < 1200, 'a slow JWKS endpoint times out', `${slow} after ${Date.now() - t0} ms`);
	// Nothing listens on a port just freed: the fetch is refused at once, which is not a time-out.
	const closed = http.createServer();
	await new Promise((r) => closed.listen(0, '127.0.0.1', r));
	const deadUri = `http://127.0.0.1:${closed.address().port}/jwks`;
	await new Promise((r) => closed.close(r));
	let refused;
	try {
		await (await api.createRemoteVerifier({ jwksUri: deadUri, timeoutDuration: 5000 })).verify(t1);
	} catch (e) {
		refused = e;
	}
	report(refused instanceof api.JwtError && refused.code === 'ERR_JWKS_UNREACHABLE' && /unreachable/.test(refused.message) && refused.cause,
		'an unreachable JWKS URL is ERR_JWKS_UNREACHABLE (not a time-out), with the network error as its cause', `${refused?.code}: ${refused?.message}`);
	mode = 'ok';
	const after = await api.createRemoteVerifier({ jwksUri: `${issuer}/jwks` });
	report((await code(after.verify(t1))) === 'valid', 'a failed fetch does not poison later verifiers');
	let threw = false;
	try {
		await api.createRemoteVerifier({});
	} catch (e) {
		threw = e instanceof TypeError;
	}
	report(threw, 'createRemoteVerifier without jwksUri or issuer is a TypeError');
	let typo;
	try {
		await api.createRemoteVerifier({ jwksUri: `${issuer}/jwks`, cacheMaxAg: 5 });
	} catch (e) {
		typo = e;
	}
	report(typo instanceof TypeError && /cacheMaxAg\b/.test(typo.message) && /cacheMaxAge/.test(typo.message), 'a misspelt remote option throws naming it', typo?.message);
} finally {
	server.closeAllConnections?.();
	server.close();
}
await new Promise((r) => setTimeout(r, 50));
finish();
