// Fixtures for the WASM suite: keys and tokens minted by jose (an independent
// implementation) at test time, plus hand-built attack tokens, each with the
// verdict the rules of README.md "Verification rules" require; and, for the API
// checks (makeApiFixtures), what jose itself answers for the same tokens and
// options: verdicts under fractional clockTolerance, maxTokenAge and claim
// order, JWK thumbprints, decodeProtectedHeader, SPKI and X.509 (made by the
// openssl command) PEM keys. Plain JSON data, so the same lists run in Node,
// Chromium, Deno and workerd.
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as jose from 'jose';

const NOW = 1800000000; // a fixed clock (2027), after 2038's 2^31 boundary is tested separately
export const NOW_FIXED = NOW;
const ALGS = ['HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];
const b64 = (x) => Buffer.from(typeof x === 'string' ? x : JSON.stringify(x)).toString('base64url');

async function keyFor(alg) {
	if (alg.startsWith('HS')) {
		const secret = crypto.randomBytes(Number(alg.slice(2)) / 8);
		return { sign: secret, jwk: { kty: 'oct', k: secret.toString('base64url'), kid: `k-${alg}` }, secret };
	}
	const { privateKey, publicKey } = await jose.generateKeyPair(alg, { extractable: true, ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}) });
	return { sign: privateKey, jwk: { ...(await jose.exportJWK(publicKey)), kid: `k-${alg}` }, publicKey };
}

function hs256(secret, header, payload) {
	const input = `${b64(header)}.${b64(payload)}`;
	return `${input}.${crypto.createHmac('sha256', secret).update(input).digest('base64url')}`;
}

export async function makeFixtures() {
	const out = [];
	const add = (name, keys, token, options, expect, claim) => out.push({ name, keys, token, options: { now: NOW, ...options }, expect, claim });
	const claims = { iss: 'https://issuer.example', aud: 'api', sub: 'svc', iat: NOW - 10, exp: NOW + 600, scope: 'read', n: 9007199254740991 };
	const keys = {};
	for (const alg of ALGS) {
		const k = (keys[alg] = await keyFor(alg));
		const set = { keys: [k.jwk] };
		const mint = (c, h = {}) => new jose.SignJWT(c).setProtectedHeader({ alg, kid: k.jwk.kid, ...h }).sign(k.sign);
		const good = await mint(claims);
		add(`${alg}: valid token`, set, good, { issuer: 'https://issuer.example', audience: 'api' }, 'valid');
		add(`${alg}: expired`, set, await mint({ ...claims, exp: NOW - 1 }), {}, 'ERR_JWT_EXPIRED', 'exp');
		add(`${alg}: wrong issuer`, set, good, { issuer: 'https://other.example' }, 'ERR_JWT_CLAIM_VALIDATION_FAILED', 'iss');
		const parts = good.split('.');
		const sig = Buffer.from(parts[2], 'base64url');
		sig[0] ^= 1;
		add(`${alg}: tampered signature`, set, `${parts[0]}.${parts[1]}.${sig.toString('base64url')}`, {}, 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
		add(`${alg}: tampered payload`, set, `${parts[0]}.${b64({ ...claims, sub: 'admin' })}.${parts[2]}`, {}, 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
		add(`${alg}: not in algorithms`, set, good, { algorithms: [alg === 'ES256' ? 'RS256' : 'ES256'] }, 'ERR_JOSE_ALG_NOT_ALLOWED');
		add(`${alg}: unknown kid`, set, await mint(claims, { kid: 'other' }), {}, 'ERR_JWKS_NO_MATCHING_KEY');
	}
	const rsa = { keys: [keys.RS256.jwk] };
	const ec = { keys: [keys.ES256.jwk] };
	const oct = { keys: [keys.HS256.jwk] };
	const c = { sub: 'svc', exp: NOW + 600 };
	// RFC 8725 §2.1 / CVE-2015-9235: alg none, any spelling.
	for (const none of ['none', 'None', 'NONE', 'nOnE'])
		add(`alg ${none} is never accepted`, rsa, `${b64({ alg: none })}.${b64(c)}.AAAA`, {}, 'ERR_JOSE_ALG_NOT_ALLOWED');
	// CVE-2016-10555: HS256 with the RSA / EC public key as the HMAC secret.
	const pem = keys.RS256.publicKey.export({ type: 'spki', format: 'pem' });
	add('HS/RS key confusion (public key PEM as HMAC secret)', rsa, hs256(pem, { alg: 'HS256', kid: 'k-RS256' }, c), {}, 'ERR_JWKS_NO_MATCHING_KEY');
	add('HS/EC key confusion (public JWK as HMAC secret)', ec, hs256(JSON.stringify(keys.ES256.jwk), { alg: 'HS256', kid: 'k-ES256' }, c), {}, 'ERR_JWKS_NO_MATCHING_KEY');
	// CVE-2022-21449: ECDSA r = s = 0; DER instead of r||s.
	const ecHead = `${b64({ alg: 'ES256', kid: 'k-ES256' })}.${b64(c)}`;
	add('ECDSA r = s = 0 (psychic signature)', ec, `${ecHead}.${Buffer.alloc(64).toString('base64url')}`, {}, 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
	const der = crypto.sign('sha256', Buffer.from(ecHead), { key: keys.ES256.sign, dsaEncoding: 'der' });
	add('ECDSA signature in DER, not r||s', ec, `${ecHead}.${der.toString('base64url')}`, {}, 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
	// RFC 7515 §4.1.11 crit; RFC 7797 b64.
	const sign = (h, p, k = keys.HS256) => hs256(k.secret, { kid: 'k-HS256', ...h }, p);
	add('crit with an unknown extension', oct, sign({ alg: 'HS256', crit: ['urn:x'], 'urn:x': 1 }, c), {}, 'ERR_JOSE_NOT_SUPPORTED');
	add('crit not an array', oct, sign({ alg: 'HS256', crit: 'urn:x' }, c), {}, 'ERR_JWS_INVALID');
	add('b64 false with crit is not supported', oct, sign({ alg: 'HS256', b64: false, crit: ['b64'] }, c), {}, 'ERR_JOSE_NOT_SUPPORTED');
	add('b64 false without crit', oct, sign({ alg: 'HS256', b64: false }, c), {}, 'ERR_JOSE_NOT_SUPPORTED');
	// Parser differentials and resource bounds.
	const dupHead = Buffer.from('{"alg":"HS256","kid":"k-HS256","alg":"none"}').toString('base64url');
	add('duplicate header member names', oct, `${dupHead}.${b64(c)}.AAAA`, {}, 'ERR_JWS_INVALID');
	const dupBody = Buffer.from('{"sub":"svc","sub":"admin"}').toString('base64url');
	const dupInput = `${b64({ alg: 'HS256', kid: 'k-HS256' })}.${dupBody}`;
	add('duplicate claim names (validly signed)', oct, `${dupInput}.${crypto.createHmac('sha256', keys.HS256.secret).update(dupInput).digest('base64url')}`, {}, 'ERR_JWT_INVALID');
	add('nesting 100 deep in the header', oct, sign({ alg: 'HS256', x: JSON.parse('['.repeat(100) + ']'.repeat(100)) }, c), {}, 'ERR_JWS_INVALID');
	add('nesting 100 deep in the claims', oct, sign({ alg: 'HS256' }, { ...c, x: JSON.parse('['.repeat(100) + ']'.repeat(100)) }), {}, 'ERR_JWT_INVALID');
	const nulKid = Buffer.from('{"alg":"HS256","kid":"k-HS256\\u0000x"}').toString('base64url');
	add('kid with \\u0000 (truncation injection)', oct, `${nulKid}.${b64(c)}.AAAA`, {}, 'ERR_JWS_INVALID');
	add('kid differing in case', oct, sign({ alg: 'HS256', kid: 'K-HS256' }, c), {}, 'ERR_JWKS_NO_MATCHING_KEY');
	add('embedded jwk header is ignored (CVE-2018-0114)', rsa,
		await new jose.SignJWT(c).setProtectedHeader({ alg: 'RS256', jwk: keys.RS256.jwk }).sign((await keyFor('RS256')).sign), {}, 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
	add('exp as a string', oct, sign({ alg: 'HS256' }, { exp: String(NOW + 600) }), {}, 'ERR_JWT_CLAIM_VALIDATION_FAILED', 'exp');
	add('exp beyond 2^53', oct, sign({ alg: 'HS256' }, { exp: 1e300 }), {}, 'ERR_JWT_CLAIM_VALIDATION_FAILED', 'exp');
	add('2038: exp in 2100 is valid in 2090', oct, sign({ alg: 'HS256' }, { exp: 4102444800 }), { now: 3786912000 }, 'valid');
	add('2038: exp in 2038 is expired in 2090', oct, sign({ alg: 'HS256' }, { exp: 2147483648 }), { now: 3786912000 }, 'ERR_JWT_EXPIRED', 'exp');
	add('token over 64 KiB', oct, sign({ alg: 'HS256' }, { ...c, pad: 'x'.repeat(70000) }), {}, 'ERR_JWS_INVALID');
	add('token of 48 KiB is fine', oct, sign({ alg: 'HS256' }, { ...c, pad: 'x'.repeat(36000) }), {}, 'valid');
	add('four segments', oct, `${sign({ alg: 'HS256' }, c)}.x`, {}, 'ERR_JWS_INVALID');
	add('base64 padding', oct, sign({ alg: 'HS256' }, c).replace(/\.([^.]*)$/, '.$1='), {}, 'ERR_JWS_INVALID');
	add('payload not an object (validly signed)', oct, sign({ alg: 'HS256' }, [1, 2]), {}, 'ERR_JWT_INVALID');
	// Claim options, jose semantics.
	add('audience array match', oct, sign({ alg: 'HS256' }, { ...c, aud: ['x', 'api'] }), { audience: ['api'] }, 'valid');
	add('audience mismatch', oct, sign({ alg: 'HS256' }, { ...c, aud: ['x'] }), { audience: 'api' }, 'ERR_JWT_CLAIM_VALIDATION_FAILED', 'aud');
	add('nbf in the future', oct, sign({ alg: 'HS256' }, { ...c, nbf: NOW + 60 }), {}, 'ERR_JWT_CLAIM_VALIDATION_FAILED', 'nbf');
	add('clockTolerance covers nbf', oct, sign({ alg: 'HS256' }, { ...c, nbf: NOW + 60 }), { clockTolerance: 120 }, 'valid');
	add('maxTokenAge exceeded', oct, sign({ alg: 'HS256' }, { ...c, iat: NOW - 7200 }), { maxTokenAge: 3600 }, 'ERR_JWT_EXPIRED', 'iat');
	add('requiredClaims missing', oct, sign({ alg: 'HS256' }, c), { requiredClaims: ['jti'] }, 'ERR_JWT_CLAIM_VALIDATION_FAILED', 'jti');
	add('typ matches ignoring application/', oct, sign({ alg: 'HS256', typ: 'at+jwt' }, c), { typ: 'application/at+jwt' }, 'valid');
	add('typ mismatch', oct, sign({ alg: 'HS256', typ: 'JWT' }, c), { typ: 'at+jwt' }, 'ERR_JWT_CLAIM_VALIDATION_FAILED', 'typ');
	// Key sets.
	add('key set that is not a JWKS', { keys: 1 }, sign({ alg: 'HS256' }, c), {}, 'ERR_JWKS_INVALID');
	add('HMAC key shorter than the hash', { keys: [{ kty: 'oct', k: 'c2hvcnQ', kid: 'k-HS256' }] }, sign({ alg: 'HS256' }, c), {}, 'ERR_JWK_INVALID');
	add('private key material in the set', { keys: [{ ...(await jose.exportJWK((await jose.generateKeyPair('ES256', { extractable: true })).privateKey)), kid: 'k-ES256' }] },
		await new jose.SignJWT(c).setProtectedHeader({ alg: 'ES256', kid: 'k-ES256' }).sign(keys.ES256.sign), {}, 'ERR_JWK_INVALID');
	add('key for encryption only (use enc)', { keys: [{ ...keys.ES256.jwk, use: 'enc' }] },
		await new jose.SignJWT(c).setProtectedHeader({ alg: 'ES256', kid: 'k-ES256' }).sign(keys.ES256.sign), {}, 'ERR_JWKS_NO_MATCHING_KEY');
	// RFC 9864: the fully-specified "Ed25519" (jose 5 cannot sign it: node:crypto does).
	const edInput = `${b64({ alg: 'Ed25519', kid: 'k-EdDSA' })}.${b64(claims)}`;
	const edToken = `${edInput}.${crypto.sign(null, Buffer.from(edInput), keys.EdDSA.sign).toString('base64url')}`;
	const edSet = { keys: [keys.EdDSA.jwk] };
	add('RFC 9864 alg Ed25519 verifies with an Ed25519 key', edSet, edToken, {}, 'valid');
	add('alg Ed25519 is its own name in algorithms', edSet, edToken, { algorithms: ['EdDSA'] }, 'ERR_JOSE_ALG_NOT_ALLOWED');
	add('a key with alg EdDSA does not verify alg Ed25519', { keys: [{ ...keys.EdDSA.jwk, alg: 'EdDSA' }] }, edToken, {}, 'ERR_JWKS_NO_MATCHING_KEY');
	// A public exponent of 32 bits (wolfCrypt's SP code stops at 29 in WebAssembly: the generic code takes it).
	{
		const big = crypto.generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 0xffff_ffff });
		const bigJwk = { ...big.publicKey.export({ format: 'jwk' }), kid: 'big-e' };
		const bigTok = await new jose.SignJWT(c).setProtectedHeader({ alg: 'RS256', kid: 'big-e' }).sign(big.privateKey);
		add('RSA key with a 32-bit public exponent', { keys: [bigJwk] }, bigTok, {}, 'valid');
	}
	// Off-curve and out-of-field EC keys (invalid-curve attacks): refused at import by either arithmetic.
	const ecj = keys.ES256.jwk;
	const esTok = await new jose.SignJWT(c).setProtectedHeader({ alg: 'ES256', kid: 'k-ES256' }).sign(keys.ES256.sign);
	add('EC key off its curve', { keys: [{ ...ecj, y: ecj.x }] }, esTok, {}, 'ERR_JWK_INVALID');
	add('EC key with x = p', { keys: [{ ...ecj, x: '_____wAAAAEAAAAAAAAAAAAAAAD_______________8' }] }, esTok, {}, 'ERR_JWK_INVALID');
	return out;
}

/** What jose answers: 'valid' or its error code (and claim). */
async function joseVerdict(token, key, options) {
	try {
		await jose.jwtVerify(token, key, options);
		return { expect: 'valid' };
	} catch (e) {
		return { expect: e.code ?? `THREW ${e.message}`, claim: e.claim };
	}
}

/** An X.509 certificate made by the openssl command for a new P-256 key: { pem, keyPem } or null. */
function opensslCertificate() {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'idb-x509-'));
	try {
		const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=verifier test',
			'-days', '1', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')], { encoding: 'utf8' });
		if (r.status !== 0) return null;
		return { pem: fs.readFileSync(path.join(dir, 'cert.pem'), 'utf8'), keyPem: fs.readFileSync(path.join(dir, 'key.pem'), 'utf8') };
	} finally {
		fs.rmSync(dir, { recursive: true, force: true });
	}
}

/**
 * The API checks' data, each expectation from jose (5.9.6) or the RFCs:
 *   times: verdicts of tokens with fractional exp/nbf under clockTolerance and maxTokenAge values;
 *   order: which claim jose names when several are missing;
 *   thumbprints: [jwk, digest, expected] from jose.calculateJwkThumbprint and RFC 7638 §3.1;
 *   headers: [token, jose.decodeProtectedHeader(token)];
 *   pem: SPKI and X.509 PEM with a token each, and the JWK jose exports for the key.
 */
export async function makeApiFixtures() {
	const secret = crypto.randomBytes(32);
	const set = { keys: [{ kty: 'oct', k: secret.toString('base64url'), kid: 'h' }] };
	const sign = (claims) => new jose.SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid: 'h' }).sign(secret);
	const at = new Date(NOW * 1000);
	const times = [];
	const tokens = {
		'exp 1.7 s ago': await sign({ sub: 's', exp: NOW - 1.7 }),
		'nbf 1.2 s ahead': await sign({ sub: 's', nbf: NOW + 1.2 }),
		'iat an hour ago': await sign({ sub: 's', iat: NOW - 3600 }),
		'iat 0.4 s ahead': await sign({ sub: 's', iat: NOW + 0.4 }),
		'no iat': await sign({ sub: 's' }),
	};
	const variants = [{}, { clockTolerance: 1 }, { clockTolerance: 1.5 }, { clockTolerance: '1.5s' }, { clockTolerance: '1.4 secs' },
		{ clockTolerance: 2.5 }, { clockTolerance: '-1s' }, { clockTolerance: 0.5 }, { maxTokenAge: 0 }, { maxTokenAge: '0s' }, { maxTokenAge: 3599.5 },
		{ maxTokenAge: '1h' }, { maxTokenAge: 7200, clockTolerance: '1 min' }, { maxTokenAge: '2h', clockTolerance: 0.3 }];
	for (const [what, token] of Object.entries(tokens))
		for (const options of variants) times.push({ name: `${what}, ${JSON.stringify(options)}`, token, options, ...(await joseVerdict(token, secret, { ...options, currentDate: at })) });
	const order = [];
	for (const [name, claims, options] of [
		['iss and a required claim missing', { sub: 's' }, { issuer: 'i', requiredClaims: ['jti'] }],
		['two required claims missing', { sub: 's' }, { requiredClaims: ['a', 'b'] }],
		['aud and sub missing, iat missing with maxTokenAge', { x: 1 }, { audience: 'a', subject: 's', maxTokenAge: 60 }],
		['iss wrong and sub wrong', { iss: 'x', sub: 'y' }, { issuer: 'i', subject: 's' }],
		['nbf ahead and exp a string', { nbf: NOW + 60, exp: 'soon' }, {}],
		['typ wrong and iss missing', { sub: 's' }, { typ: 'at+jwt', issuer: 'i' }],
	]) {
		const token = await sign(claims);
		order.push({ name, token, options, ...(await joseVerdict(token, secret, { ...options, currentDate: at })) });
	}
	const thumbprints = [[{ kty: 'RSA', n: '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw', e: 'AQAB', alg: 'RS256', kid: '2011-04-29' },
		'sha256', 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs']]; // RFC 7638 §3.1
	const pairs = {};
	for (const alg of ['RS256', 'ES384', 'EdDSA']) {
		pairs[alg] = await jose.generateKeyPair(alg, { extractable: true, ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}) });
		const jwk = await jose.exportJWK(pairs[alg].publicKey);
		for (const d of ['sha256', 'sha384', 'sha512']) thumbprints.push([jwk, d, await jose.calculateJwkThumbprint(jwk, d)]);
	}
	thumbprints.push([set.keys[0], 'sha256', await jose.calculateJwkThumbprint(set.keys[0])]);
	const headers = [];
	for (const alg of ['RS256', 'ES384', 'EdDSA']) {
		const t = await new jose.SignJWT({ sub: 's' }).setProtectedHeader({ alg, kid: `k-${alg}`, typ: 'at+jwt', x: [1, { y: 'é' }] }).sign(pairs[alg].privateKey);
		headers.push([t, jose.decodeProtectedHeader(t)]);
	}
	const pem = [];
	for (const alg of ['RS256', 'ES384', 'EdDSA']) {
		const token = await new jose.SignJWT({ sub: 's', exp: NOW + 60 }).setProtectedHeader({ alg }).sign(pairs[alg].privateKey);
		pem.push({ name: `SPKI ${alg}`, kind: 'spki', alg, pem: await jose.exportSPKI(pairs[alg].publicKey), jwk: await jose.exportJWK(pairs[alg].publicKey), token });
	}
	const cert = opensslCertificate();
	if (cert) {
		const key = await jose.importPKCS8(cert.keyPem, 'ES256');
		const token = await new jose.SignJWT({ sub: 's', exp: NOW + 60 }).setProtectedHeader({ alg: 'ES256' }).sign(key);
		pem.push({ name: 'X.509 (openssl) ES256', kind: 'x509', alg: 'ES256', pem: cert.pem, jwk: await jose.exportJWK(await jose.importX509(cert.pem, 'ES256', { extractable: true })), token });
	}
	// Two headers in turn through one verifier (which keeps the last header it parsed).
	const turns = [];
	for (const x of [1, 2, 2, 1, 3]) turns.push([await new jose.SignJWT({ sub: 's' }).setProtectedHeader({ alg: 'HS256', kid: 'h', x }).sign(secret), x]);
	return { now: NOW, set, times, order, thumbprints, headers, pem, turns };
}
