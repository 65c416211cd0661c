// Fixtures for the WASM suite: keys and tokens minted by jose (an independent
// implementation) at test time, plus hand-built attack tokens, each with the
// verdict the rules of README.md "Verification rules" require. Plain JSON data,
// so the same list runs in Node, Chromium, Deno and workerd.
import crypto from 'node:crypto';
import * as jose from 'jose';

const NOW = 1800000000; // a fixed clock (2027), after 2038's 2^31 boundary is tested separately
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
	return out;
}
