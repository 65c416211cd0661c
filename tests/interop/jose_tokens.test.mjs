// Interop suite 1: tokens minted by jose (an independent implementation) at test time,
// verified end to end by `identity-backend verify`, with jose's own jwtVerify verdict as
// the reference where both should agree (the package's contract: "Options follow jose's jwtVerify
// names and meanings"; "JwtError.code uses jose's codes … The CLI uses the same").
//
// Run: node tests/interop/jose_tokens.test.mjs   (binary: $IDB_BIN or build/bin/identity-backend)

import * as jose from 'jose';
import { BIN } from '../lib.mjs';
import {
	check, expectError, expectUsage, expectValid, finish, requireBinary, run, tempDir, writeJwks,
} from './lib.mjs';

requireBinary();

const ALGS = ['HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512',
	'ES256', 'ES384', 'ES512', 'EdDSA'];
const isHmac = (alg) => alg.startsWith('HS');
const dir = tempDir('idb-jose-');
const realNow = () => Math.floor(Date.now() / 1000);

// --- keys: two per algorithm (the signer, and an unrelated one), each made once ----------

async function makeKey(alg) {
	if (isHmac(alg)) {
		const secret = await jose.generateSecret(alg, { extractable: true });
		return { alg, signKey: secret, verifyKey: secret, jwk: await jose.exportJWK(secret) };
	}
	const opts = { extractable: true, ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}) };
	const { publicKey, privateKey } = await jose.generateKeyPair(alg, opts);
	return { alg, signKey: privateKey, verifyKey: publicKey, jwk: await jose.exportJWK(publicKey) };
}

const KEYS = {};
const OTHER = {};
await Promise.all(ALGS.map(async (alg) => {
	[KEYS[alg], OTHER[alg]] = await Promise.all([makeKey(alg), makeKey(alg)]);
}));

const kidOf = (alg) => `k-${alg}`;
const withKid = (jwk, kid) => ({ ...jwk, kid });
// Files: per algorithm with and without kid; all keys together (with kid / no kid /
// with an "alg" member and no kid).
const F = {};
for (const alg of ALGS) {
	F[alg] = {
		kid: writeJwks(dir, { keys: [withKid(KEYS[alg].jwk, kidOf(alg))] }, `kid-${alg}`),
		nokid: writeJwks(dir, { keys: [KEYS[alg].jwk] }, `nokid-${alg}`),
	};
}
const JWKS_ALL_KID = { keys: ALGS.map((a) => withKid(KEYS[a].jwk, kidOf(a))) };
const JWKS_ALL_NOKID = { keys: ALGS.map((a) => KEYS[a].jwk) };
const JWKS_ALL_ALG = { keys: ALGS.map((a) => ({ ...KEYS[a].jwk, alg: a })) };
const F_ALL_KID = writeJwks(dir, JWKS_ALL_KID, 'all-kid');
const F_ALL_NOKID = writeJwks(dir, JWKS_ALL_NOKID, 'all-nokid');
const F_ALL_ALG = writeJwks(dir, JWKS_ALL_ALG, 'all-alg');

// jose's reference verdict. jose's local JWKS resolver has no "oct" support, so for HMAC
// the secret is passed directly (key selection is then not compared, only the rest).
async function joseVerdict(token, key, options = {}) {
	try {
		const r = await jose.jwtVerify(token, key, options);
		return { code: 'valid', payload: r.payload, header: r.protectedHeader };
	} catch (e) {
		return { code: e.code || `${e.name}: ${e.message}`, claim: e.claim };
	}
}
function joseAgrees(desc, got, code, claim) {
	const ok = got.code === code && (claim === undefined || got.claim === claim);
	return check(`jose agrees: ${desc}`, ok,
		`jose says ${got.code}${got.claim ? ` claim ${got.claim}` : ''}, expected ${code}${claim ? ` claim ${claim}` : ''}`);
}

async function sign(key, payload, header) {
	return new jose.SignJWT(payload).setProtectedHeader(header).sign(key.signKey);
}

const verify = (jwksFile, token, flags = []) => run(['verify', '--jwks', jwksFile, ...flags, token]);

// --- 1. every algorithm: round trip, stdin, key selection, allowlist ------------------

const richClaims = (alg, now) => ({
	iss: 'https://issuer.example',
	sub: `user-${alg}`,
	aud: ['api', 'other'],
	iat: now,
	nbf: now - 5,
	exp: now + 3600,
	jti: `jti-${alg}-${now}`,
	name: 'Zoë ✓ 😀 日本語',
	esc: 'quote" backslash\\ nl\n tab\t ctrl\u0001 </script> \u2028',
	n: {
		int: 42, neg: -7, big: 9007199254740991, float: 3.25, tenth: 0.1, zero: 0,
		t: true, f: false, nul: null, arr: [1, 'two', [3], { four: 4 }], empty: {}, emptyArr: [],
	},
});

for (const alg of ALGS) {
	const key = KEYS[alg];
	const other = OTHER[alg];
	const kid = kidOf(alg);
	const now = realNow();
	const claims = richClaims(alg, now);
	const hdrKid = { alg, kid, typ: 'JWT' };
	const hdrNoKid = { alg, typ: 'JWT' };
	const tKid = await sign(key, claims, hdrKid);
	const tNoKid = await sign(key, claims, hdrNoKid);
	// The same payload jose would hand back (what we must print).
	const decoded = jose.decodeJwt(tKid);

	let r = verify(F[alg].kid, tKid);
	expectValid(`${alg}: jose token with kid verifies; header and every claim round-trip`, r,
		{ payload: decoded, header: hdrKid });
	const jv = await joseVerdict(tKid, isHmac(alg) ? key.verifyKey : jose.createLocalJWKSet({ keys: [withKid(key.jwk, kid)] }));
	check(`jose agrees: ${alg} token verifies with the same key set`, jv.code === 'valid', `jose says ${jv.code}`);

	r = run(['verify', '--jwks', F[alg].kid, '-'], { input: `${tKid}\n` });
	expectValid(`${alg}: token read from stdin ("-", trailing newline) verifies`, r, { payload: decoded });

	r = verify(F[alg].nokid, tNoKid);
	expectValid(`${alg}: token without kid, key set without kid`, r, { payload: decoded, header: hdrNoKid });

	r = verify(F[alg].kid, tNoKid);
	expectValid(`${alg}: token without kid selects the only suitable key (which has a kid)`, r, { payload: decoded });

	r = verify(F[alg].nokid, tKid);
	expectError(`${alg}: token kid but key set has no kid → no matching key`, r, 'ERR_JWKS_NO_MATCHING_KEY');
	if (!isHmac(alg)) {
		joseAgrees(`${alg}: token kid, key without kid`, await joseVerdict(tKid, jose.createLocalJWKSet({ keys: [key.jwk] })), 'ERR_JWKS_NO_MATCHING_KEY');
	}

	// Wrong key: a kid the set does not hold → no key; the set's kid on another key → bad signature.
	const tOtherKid = await sign(other, claims, { alg, kid: 'k-unknown' });
	r = verify(F[alg].kid, tOtherKid);
	expectError(`${alg}: signed by another key, kid not in the set → ERR_JWKS_NO_MATCHING_KEY`, r, 'ERR_JWKS_NO_MATCHING_KEY');
	const tOtherSameKid = await sign(other, claims, { alg, kid });
	r = verify(F[alg].kid, tOtherSameKid);
	expectError(`${alg}: signed by another key under the set's kid → ERR_JWS_SIGNATURE_VERIFICATION_FAILED`, r, 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
	const tOtherNoKid = await sign(other, claims, { alg });
	r = verify(F[alg].nokid, tOtherNoKid);
	expectError(`${alg}: signed by another key, no kids anywhere → ERR_JWS_SIGNATURE_VERIFICATION_FAILED`, r, 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
	if (isHmac(alg)) {
		joseAgrees(`${alg}: signed by another secret`, await joseVerdict(tOtherSameKid, key.verifyKey), 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
	} else {
		const set = jose.createLocalJWKSet({ keys: [withKid(key.jwk, kid)] });
		joseAgrees(`${alg}: another key, unknown kid`, await joseVerdict(tOtherKid, set), 'ERR_JWKS_NO_MATCHING_KEY');
		joseAgrees(`${alg}: another key, same kid`, await joseVerdict(tOtherSameKid, set), 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
	}

	// Tampering: the payload of another (validly signed) token spliced in.
	const [h, , s] = tKid.split('.');
	const spliced = `${h}.${jose.base64url.encode(JSON.stringify({ ...claims, sub: 'admin' }))}.${s}`;
	r = verify(F[alg].kid, spliced);
	expectError(`${alg}: payload changed after signing → ERR_JWS_SIGNATURE_VERIFICATION_FAILED`, r, 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED');

	// Allowlist.
	const others = ALGS.filter((a) => a !== alg);
	const disallowed = [others[(ALGS.indexOf(alg) + 3) % others.length], others[(ALGS.indexOf(alg) + 7) % others.length]];
	r = verify(F[alg].kid, tKid, ['--alg', disallowed.join(',')]);
	expectError(`${alg}: --alg ${disallowed.join(',')} excludes the token's alg → ERR_JOSE_ALG_NOT_ALLOWED`, r, 'ERR_JOSE_ALG_NOT_ALLOWED');
	joseAgrees(`${alg}: algorithms [${disallowed}]`,
		await joseVerdict(tKid, isHmac(alg) ? key.verifyKey : jose.createLocalJWKSet({ keys: [withKid(key.jwk, kid)] }), { algorithms: disallowed }),
		'ERR_JOSE_ALG_NOT_ALLOWED');
	r = verify(F[alg].kid, tKid, ['--alg', `${disallowed[0]},${alg}`]);
	expectValid(`${alg}: --alg ${disallowed[0]},${alg} includes the token's alg`, r, { payload: decoded });

	// A set holding every key: kid selects; without kid, type/curve must single one out.
	r = verify(F_ALL_KID, tKid);
	expectValid(`${alg}: kid selects the right key among all 13`, r, { payload: decoded });
	r = verify(F_ALL_NOKID, tNoKid);
	if (['ES256', 'ES384', 'ES512', 'EdDSA', 'HS512'].includes(alg)) {
		// HS512: of the three oct keys only the 64-byte one is long enough (RFC 7518 §3.2),
		// so shorter secrets are not candidates and the choice is unambiguous.
		expectValid(`${alg}: no kid, mixed set without kids: only one key of this type/curve/size`, r, { payload: decoded });
		// jose's local JWK Set does not hold oct keys, so it has no verdict to compare for HS512.
		if (!isHmac(alg))
			joseAgrees(`${alg}: no kid, mixed set`, await joseVerdict(tNoKid, jose.createLocalJWKSet(JWKS_ALL_NOKID)), 'valid');
	} else {
		expectError(`${alg}: no kid, mixed set without kids holds several ${isHmac(alg) ? 'oct' : 'RSA'} keys → ERR_JWKS_MULTIPLE_MATCHING_KEYS`, r, 'ERR_JWKS_MULTIPLE_MATCHING_KEYS');
		if (!isHmac(alg)) {
			joseAgrees(`${alg}: no kid, mixed set`, await joseVerdict(tNoKid, jose.createLocalJWKSet(JWKS_ALL_NOKID)), 'ERR_JWKS_MULTIPLE_MATCHING_KEYS');
		}
	}
	r = verify(F_ALL_ALG, tNoKid);
	expectValid(`${alg}: no kid, mixed set whose keys carry "alg": the key's alg singles one out`, r, { payload: decoded });
	if (!isHmac(alg)) {
		joseAgrees(`${alg}: no kid, keys with alg`, await joseVerdict(tNoKid, jose.createLocalJWKSet(JWKS_ALL_ALG)), 'valid');
	}
}

// --- 2. claims, against jose's verdict on the same inputs ------------------------------

const NOW = 1700000000;
const EC = KEYS.ES256;
const EC_KID = kidOf('ES256');
const EC_SET = jose.createLocalJWKSet({ keys: [withKid(EC.jwk, EC_KID)] });
const HS = KEYS.HS256;

// o: { iss:[], aud:[], sub, typ, require:[], maxAge, leeway, now, alg:[] } → CLI flags and jose options.
function cliFlags(o) {
	const f = [];
	for (const v of o.iss || []) f.push('--iss', v);
	for (const v of o.aud || []) f.push('--aud', v);
	if (o.sub !== undefined) f.push('--sub', o.sub);
	if (o.typ !== undefined) f.push('--typ', o.typ);
	for (const v of o.require || []) f.push('--require', v);
	if (o.maxAge !== undefined) f.push('--max-age', String(o.maxAge));
	if (o.leeway !== undefined) f.push('--leeway', String(o.leeway));
	if (o.now !== undefined) f.push('--now', String(o.now));
	if (o.alg !== undefined) f.push('--alg', o.alg.join(','));
	return f;
}
function joseOptions(o) {
	const j = {};
	if (o.iss) j.issuer = o.iss;
	if (o.aud) j.audience = o.aud;
	if (o.sub !== undefined) j.subject = o.sub;
	if (o.typ !== undefined) j.typ = o.typ;
	if (o.require) j.requiredClaims = o.require;
	if (o.maxAge !== undefined) j.maxTokenAge = o.maxAge;
	if (o.leeway !== undefined) j.clockTolerance = o.leeway;
	if (o.now !== undefined) j.currentDate = new Date(o.now * 1000);
	if (o.alg !== undefined) j.algorithms = o.alg;
	return j;
}

const BASE = { iss: 'https://issuer.example', sub: 'alice', aud: 'api', iat: NOW - 10, nbf: NOW - 10, exp: NOW + 600 };

/**
 * One claim case: sign payload (ES256 with kid, and HS256), verify with the CLI and with
 * jose, expect `want` ('valid' or an error code) and `claim`.
 */
async function claimCase(desc, payload, o, want, claim, { header = {}, jose: compare = true } = {}) {
	const opts = { now: NOW, ...o };
	if (opts.now === null) delete opts.now;
	for (const [name, key, extra, verifyKey] of [
		['ES256', EC, { kid: EC_KID }, EC_SET],
		['HS256', HS, { kid: kidOf('HS256') }, HS.verifyKey],
	]) {
		const token = await sign(key, payload, { alg: name, ...extra, ...header });
		const r = verify(F[name].kid, token, cliFlags(opts));
		const d = `claims/${name}: ${desc}`;
		if (want === 'valid') expectValid(d, r, { payload: jose.decodeJwt(token) });
		else expectError(d, r, want, claim);
		if (compare) joseAgrees(d, await joseVerdict(token, verifyKey, joseOptions(opts)), want, claim);
	}
}

await claimCase('all claims fine at --now', BASE, {}, 'valid');
// exp: expired when exp <= now - leeway (RFC 7519 §4.1.4).
await claimCase('exp 100 s in the past → expired', { ...BASE, exp: NOW - 100 }, {}, 'ERR_JWT_EXPIRED', 'exp');
await claimCase('exp == now → expired', { ...BASE, exp: NOW }, {}, 'ERR_JWT_EXPIRED', 'exp');
await claimCase('exp == now + 1 → valid', { ...BASE, exp: NOW + 1 }, {}, 'valid');
await claimCase('exp 100 s past, --leeway 3600 → valid', { ...BASE, exp: NOW - 100 }, { leeway: 3600 }, 'valid');
await claimCase('exp 100 s past, --leeway 101 → valid', { ...BASE, exp: NOW - 100 }, { leeway: 101 }, 'valid');
await claimCase('exp 100 s past, --leeway 100 → expired (boundary)', { ...BASE, exp: NOW - 100 }, { leeway: 100 }, 'ERR_JWT_EXPIRED', 'exp');
await claimCase('no exp at all → valid', { iss: BASE.iss, sub: 'alice' }, {}, 'valid');
// nbf
await claimCase('nbf 100 s in the future → not yet valid', { ...BASE, nbf: NOW + 100 }, {}, 'ERR_JWT_CLAIM_VALIDATION_FAILED', 'nbf');
await claimCase('nbf == now → valid', { ...BASE, nbf: NOW }, {}, 'valid');
await claimCase('nbf +100, --leeway 100 → valid (boundary)', { ...BASE, nbf: NOW + 100 }, { leeway: 100 }, 'valid');
await claimCase('nbf +100, --leeway 99 → not yet valid', { ...BASE, nbf: NOW + 100 }, { leeway: 99 }, 'ERR_JWT_CLAIM_VALIDATION_FAILED', 'nbf');
// iss: exact, any of the repeated --iss
await claimCase('--iss matches', BASE, { iss: ['https://issuer.example'] }, 'valid');
await claimCase('--iss mismatch', BASE, { iss: ['https://evil.example'] }, 'ERR_JWT_CLAIM_VALIDATION_FAILED', 'iss');
await claimCase('--iss differs only by a trailing slash', BASE, { iss: ['https://issuer.example/'] }, 'ERR_JWT_CLAIM_VALIDATION_FAILED', 'iss');
await claimCase('--iss differs only in case', BASE, { iss: ['https://ISSUER.example'] }, 'ERR_JWT_CLAIM_VALIDATION_FAILED', 'iss');
await claimCase('iss missing while --iss given', { ...BASE, iss: undefined }, { iss: ['https://issuer.example'] }, 'ERR_JWT_CLAIM_VALIDATION_FAILED', 'iss');
await claimCase('--iss repeated, second matches', BASE, { iss: ['https://a.example', 'https://issuer.example'] }, 'valid');
await claimCase('--iss repeated, none matches', BASE, { iss: ['https://a.example', 'https://b.example'] }, 'ERR_JWT_CLAIM_VALIDATION_FAILED', 'iss');
await claimCase('iss is a number while --iss given', { ...BASE, iss: 1 }, { iss: ['1'] }, 'ERR_JWT_CLAIM_VALIDATION_FAILED', 'iss');
// aud: string or array, any overlap
await claimCase('aud string, --aud matches', BASE, { aud: ['api'] }, 'valid');
await claimCase('aud string, --aud mismatch', BASE, { aud: ['web'] }, 'ERR_JWT_CLAIM_VALIDATION_FAILED', 'aud');
await claimCase('aud array, --aud matches its 2nd entry', { ...BASE, aud: ['web', 'api'] }, { aud: ['api'] }, 'valid');
await claimCase('aud array, --aud x --aud web (repeated, one matches)', { ...BASE, aud: ['web', 'api'] }, { aud: ['x', 'web'] }, 'valid');
await claimCase('aud array, --aud mismatch', { ...BASE, aud: ['web', 'api'] }, { aud: ['x'] }, 'ERR_JWT_CLAIM_VALIDATION_FAILED', 'aud');
await claimCase('aud empty array, --aud given', { ...BASE, aud: [] }, { aud: ['api'] }, 'ERR_JWT_CLAIM_VALIDATION_FAILED', 'aud');
await claimCase('aud differs in case', { ...BASE, aud: 'API' }, { aud: ['api'] }, 'ERR_JWT_CLAIM_VALIDATION_FAILED', 'aud');
await claimCase('aud missing while --aud given', { ...BASE, aud: undefined }, { aud: ['api'] }, 'ERR_JWT_CLAIM_VALIDATION_FAILED', 'aud');
await claimCase('aud present, no --aud → not checked', { ...BASE, aud: 'anything' }, {}, 'valid');
// sub
await claimCase('--sub matches', BASE, { sub: 'alice' }, 'valid');
await claimCase('--sub mismatch', BASE, { sub: 'bob' }, 'ERR_JWT_CLAIM_VALIDATION_FAILED', 'sub');
await claimCase('sub missing while --sub given', { ...BASE, sub: undefined }, { sub: 'alice' }, 'ERR_JWT_CLAIM_VALIDATION_FAILED', 'sub');
// typ (RFC 8725 §3.11; jose compares lower-cased, without "application/")
await claimCase('typ at+jwt, --typ application/at+jwt', BASE, { typ: 'application/at+jwt' }, 'valid', undefined, { header: { typ: 'at+jwt' } });
await claimCase('typ at+jwt, --typ AT+JWT', BASE, { typ: 'AT+JWT' }, 'valid', undefined, { header: { typ: 'at+jwt' } });
await claimCase('typ application/at+jwt, --typ at+jwt', BASE, { typ: 'at+jwt' }, 'valid', undefined, { header: { typ: 'application/at+jwt' } });
await claimCase('typ JWT, --typ at+jwt', BASE, { typ: 'at+jwt' }, 'ERR_JWT_CLAIM_VALIDATION_FAILED', 'typ', { header: { typ: 'JWT' } });
await claimCase('typ missing, --typ JWT', BASE, { typ: 'JWT' }, 'ERR_JWT_CLAIM_VALIDATION_FAILED', 'typ');
await claimCase('typ "dpop+jwt", no --typ → not checked', BASE, {}, 'valid', undefined, { header: { typ: 'dpop+jwt' } });
// required claims
await claimCase('--require jti, jti missing', BASE, { require: ['jti'] }, 'ERR_JWT_CLAIM_VALIDATION_FAILED', 'jti');
await claimCase('--require jti, jti present', { ...BASE, jti: 'j1' }, { require: ['jti'] }, 'valid');
await claimCase('--require jti --require scope, scope missing', { ...BASE, jti: 'j1' }, { require: ['jti', 'scope'] }, 'ERR_JWT_CLAIM_VALIDATION_FAILED', 'scope');
await claimCase('--require scope, scope present with value null (present is present)', { ...BASE, scope: null }, { require: ['scope'] }, 'valid');
// max age: iat required; too old → ERR_JWT_EXPIRED claim iat; in the future → iat check failed
await claimCase('--max-age 60, iat 120 s old', { ...BASE, iat: NOW - 120 }, { maxAge: 60 }, 'ERR_JWT_EXPIRED', 'iat');
await claimCase('--max-age 60, iat 30 s old', { ...BASE, iat: NOW - 30 }, { maxAge: 60 }, 'valid');
await claimCase('--max-age 60, iat 61 s old', { ...BASE, iat: NOW - 61 }, { maxAge: 60 }, 'ERR_JWT_EXPIRED', 'iat');
await claimCase('--max-age 60 --leeway 1, iat 61 s old', { ...BASE, iat: NOW - 61 }, { maxAge: 60, leeway: 1 }, 'valid');
await claimCase('--max-age 60, no iat', { ...BASE, iat: undefined }, { maxAge: 60 }, 'ERR_JWT_CLAIM_VALIDATION_FAILED', 'iat');
await claimCase('--max-age 3600, iat 100 s in the future', { ...BASE, iat: NOW + 100 }, { maxAge: 3600 }, 'ERR_JWT_CLAIM_VALIDATION_FAILED', 'iat');
await claimCase('iat in the future, no --max-age → not checked (jose v5)', { ...BASE, iat: NOW + 100 }, {}, 'valid');
await claimCase('iat a string → invalid iat', { ...BASE, iat: String(NOW) }, {}, 'ERR_JWT_CLAIM_VALIDATION_FAILED', 'iat');
await claimCase('exp a string → invalid exp', { ...BASE, exp: String(NOW + 600) }, {}, 'ERR_JWT_CLAIM_VALIDATION_FAILED', 'exp');
await claimCase('nbf a string → invalid nbf', { ...BASE, nbf: String(NOW - 10) }, {}, 'ERR_JWT_CLAIM_VALIDATION_FAILED', 'nbf');
// Order of checks when several fail (jose: typ, presence, iss, sub, aud, iat type, nbf, exp, max age).
await claimCase('expired and wrong iss → iss reported first (jose order)', { ...BASE, exp: NOW - 100 }, { iss: ['https://x.example'] }, 'ERR_JWT_CLAIM_VALIDATION_FAILED', 'iss');
await claimCase('not yet valid and expired → nbf reported first (jose order)', { ...BASE, nbf: NOW + 100, exp: NOW - 100 }, {}, 'ERR_JWT_CLAIM_VALIDATION_FAILED', 'nbf');
// --now pinning and 64-bit NumericDates past 2038.
await claimCase('exp just before now in 2033 (--now 2000000000)', { sub: 'a', exp: 1999999999 }, { now: 2000000000 }, 'ERR_JWT_EXPIRED', 'exp');
await claimCase('year 2100 exp, --now 2200000000 (after 2038) → valid', { sub: 'a', iat: 2199999990, exp: 4102444800 }, { now: 2200000000 }, 'valid');
await claimCase('year 2100 exp, --now 4102444800 → expired', { sub: 'a', exp: 4102444800 }, { now: 4102444800 }, 'ERR_JWT_EXPIRED', 'exp');
await claimCase('year 2100 exp, --now 2147483648 (2^31) → valid', { sub: 'a', exp: 4102444800 }, { now: 2147483648 }, 'valid');
await claimCase('nbf 2200000000, --now 2199999999 → not yet valid', { sub: 'a', nbf: 2200000000, exp: 4102444800 }, { now: 2199999999 }, 'ERR_JWT_CLAIM_VALIDATION_FAILED', 'nbf');
await claimCase('max age across 2^31: iat 2147483600, --now 2147483700, --max-age 60', { sub: 'a', iat: 2147483600 }, { now: 2147483700, maxAge: 60 }, 'ERR_JWT_EXPIRED', 'iat');

// exp 4102444800 must come back as exactly that number (no 32-bit truncation, no float text).
{
	const token = await sign(EC, { sub: 'y2100', exp: 4102444800, iat: 4102444000 }, { alg: 'ES256', kid: EC_KID });
	const r = verify(F.ES256.kid, token, ['--now', '4102444700']);
	expectValid('2100: exp 4102444800 and iat 4102444000 printed back exactly', r, { payload: { sub: 'y2100', exp: 4102444800, iat: 4102444000 } });
	check('2100: stdout carries the integer text "exp":4102444800', /"exp"\s*:\s*4102444800\b/.test(r.stdout), `stdout=${r.stdout.trim()}`);
}

// Pinned vs real clock: a token valid only at NOW fails without --now, and the reverse.
{
	const token = await sign(EC, { sub: 'pin', iat: NOW - 10, exp: NOW + 100 }, { alg: 'ES256', kid: EC_KID });
	expectValid('--now pins the clock: token valid at 1700000000', verify(F.ES256.kid, token, ['--now', String(NOW)]));
	expectError('without --now the real clock is used: the same token is expired', verify(F.ES256.kid, token), 'ERR_JWT_EXPIRED', 'exp');
	const rn = realNow();
	const fresh = await sign(EC, { sub: 'real', iat: rn, exp: rn + 3600 }, { alg: 'ES256', kid: EC_KID });
	expectValid('without --now: token expiring in an hour is valid', verify(F.ES256.kid, fresh));
	expectError('--now two hours ahead: the same token is expired', verify(F.ES256.kid, fresh, ['--now', String(rn + 7200)]), 'ERR_JWT_EXPIRED', 'exp');
	const stale = await sign(EC, { sub: 'real', iat: rn - 7200, exp: rn - 3600 }, { alg: 'ES256', kid: EC_KID });
	expectError('without --now: token expired an hour ago', verify(F.ES256.kid, stale), 'ERR_JWT_EXPIRED', 'exp');
	const early = await sign(EC, { sub: 'real', nbf: rn + 3600 }, { alg: 'ES256', kid: EC_KID });
	expectError('without --now: nbf an hour ahead → not yet valid', verify(F.ES256.kid, early), 'ERR_JWT_CLAIM_VALIDATION_FAILED', 'nbf');
	expectValid('--now two hours ahead: same nbf token valid', verify(F.ES256.kid, early, ['--now', String(rn + 7200)]));
}

// --- 3. several keys that fit: ambiguity is an error, never a guess --------------------

{
	const ec2 = await makeKey('ES256');
	const token = await sign(EC, { sub: 'm' }, { alg: 'ES256' });
	const set = { keys: [EC.jwk, ec2.jwk] };
	let r = verify(writeJwks(dir, set, 'two-ec'), token);
	expectError('two P-256 keys without kid, token without kid → ERR_JWKS_MULTIPLE_MATCHING_KEYS', r, 'ERR_JWKS_MULTIPLE_MATCHING_KEYS');
	joseAgrees('two P-256 keys without kid', await joseVerdict(token, jose.createLocalJWKSet(set)), 'ERR_JWKS_MULTIPLE_MATCHING_KEYS');

	const sameKid = { keys: [withKid(EC.jwk, 'dup'), withKid(ec2.jwk, 'dup')] };
	const tDup = await sign(EC, { sub: 'm' }, { alg: 'ES256', kid: 'dup' });
	r = verify(writeJwks(dir, sameKid, 'dup-kid'), tDup);
	expectError('two P-256 keys with the same kid, token with that kid → ERR_JWKS_MULTIPLE_MATCHING_KEYS', r, 'ERR_JWKS_MULTIPLE_MATCHING_KEYS');
	joseAgrees('two keys with the same kid', await joseVerdict(tDup, jose.createLocalJWKSet(sameKid)), 'ERR_JWKS_MULTIPLE_MATCHING_KEYS');

	const rsaSet = { keys: [KEYS.RS256.jwk, KEYS.PS256.jwk] };
	const tRs = await sign(KEYS.RS256, { sub: 'm' }, { alg: 'RS256' });
	r = verify(writeJwks(dir, rsaSet, 'two-rsa'), tRs);
	expectError('two RSA keys without kid, RS256 token without kid → ERR_JWKS_MULTIPLE_MATCHING_KEYS', r, 'ERR_JWKS_MULTIPLE_MATCHING_KEYS');
	joseAgrees('two RSA keys without kid', await joseVerdict(tRs, jose.createLocalJWKSet(rsaSet)), 'ERR_JWKS_MULTIPLE_MATCHING_KEYS');

	const octSet = { keys: [KEYS.HS256.jwk, OTHER.HS256.jwk] };
	const tHs = await sign(KEYS.HS256, { sub: 'm' }, { alg: 'HS256' });
	r = verify(writeJwks(dir, octSet, 'two-oct'), tHs);
	expectError('two oct keys without kid, HS256 token without kid → ERR_JWKS_MULTIPLE_MATCHING_KEYS', r, 'ERR_JWKS_MULTIPLE_MATCHING_KEYS');

	// A different kty in the set is not a second candidate.
	const mixed = { keys: [EC.jwk, KEYS.ES384.jwk, KEYS.RS256.jwk, KEYS.HS256.jwk] };
	r = verify(writeJwks(dir, mixed, 'mixed'), token);
	expectValid('one P-256 key among P-384, RSA and oct keys (no kids) → selected', r, { payload: { sub: 'm' } });
	joseAgrees('one P-256 key among others', await joseVerdict(token, jose.createLocalJWKSet(mixed)), 'valid');
}

// --- 4. usage errors: exit 2, not a verdict ---------------------------------------------

{
	const token = await sign(EC, { sub: 'u' }, { alg: 'ES256', kid: EC_KID });
	expectValid('usage baseline: the token used below verifies', verify(F.ES256.kid, token));
	expectUsage('unknown flag --bogus → exit 2', run(['verify', '--jwks', F.ES256.kid, '--bogus', token]));
	expectUsage('missing --jwks → exit 2', run(['verify', token]));
	expectUsage('--jwks of a file that does not exist → exit 2', run(['verify', '--jwks', `${dir}/nope.json`, token]));
	expectUsage('--jwks of a directory (unreadable as a file) → exit 2', run(['verify', '--jwks', dir, token]));
	expectUsage('--alg HS999 (unknown name) → exit 2', run(['verify', '--jwks', F.ES256.kid, '--alg', 'HS999', token]));
	expectUsage('--alg ES256,none ("none" is not an algorithm we know) → exit 2', run(['verify', '--jwks', F.ES256.kid, '--alg', 'ES256,none', token]));
	expectUsage('--alg es256 (names are case-sensitive) → exit 2', run(['verify', '--jwks', F.ES256.kid, '--alg', 'es256', token]));
	expectUsage('no token argument → exit 2', run(['verify', '--jwks', F.ES256.kid]));
}

check(`suite used binary ${BIN}`, true);
finish();
