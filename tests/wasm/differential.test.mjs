// Differential fuzz of the package's two arithmetics: every input is verified
// with crypto 'auto' (node:crypto does RSA, ECDSA and Ed25519) and 'wasm'
// (wolfCrypt in the module), and the two verdicts (code and claim, or the
// accepted payload) must be equal; any throw that is not a JwtError fails.
//
// Inputs: the suite's jose-minted fixtures and Wycheproof's compact JWS cases as
// seeds, then random mutations for IDB_DIFF_SECONDS (default 4) seconds from a
// fixed seed (IDB_DIFF_SEED): token text (bit flips, inserted, deleted and
// repeated characters, segments swapped between tokens), signatures aimed at
// the edges the core decides and the arithmetic must agree on (r or s = 0, 1,
// n-1, n, n+1; Ed25519 S near L; RSA s = n-1, 0, 1; one bit of a valid
// signature), headers re-encoded with another alg, kid, crit or b64, claims
// re-signed with the HMAC key so they reach the claim rules, and key sets
// mutated (coordinates, moduli, curves, members, JSON text). Edge signatures and
// key set mutations also go through verifyAsync with WebCrypto's arithmetic
// (index.js on a module loaded without node:crypto, as in a browser; here
// WebCrypto is Node's), whose verdict must equal the other two.
import crypto from 'node:crypto';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import fs from 'node:fs';
import { prng, repo, reporter } from '../lib.mjs';
import { makeFixtures } from './fixtures.mjs';
import { packAndInstall } from './runtimes/common.mjs';

const suite = reporter('wasm/differential');
const { report } = suite;
const SECONDS = Number(process.env.IDB_DIFF_SECONDS || 4);
const SEED = Number(process.env.IDB_DIFF_SEED || 0x5eed17);
const rand = prng(SEED);
const pick = (xs) => xs[Math.floor(rand() * xs.length)];
const int = (n) => Math.floor(rand() * n);
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const b64 = (x) => Buffer.from(typeof x === 'string' ? x : JSON.stringify(x)).toString('base64url');

const { pkgDir } = packAndInstall('differential');
const api = await import(pathToFileURL(path.join(pkgDir, 'node.js')));
// Load both modules, so verifiers can be made synchronously (createVerifierSync).
(await api.createVerifier({ keys: { keys: [] }, crypto: 'wasm' })).close();
(await api.createVerifier({ keys: { keys: [] } })).close();
// The browser entry with its module loaded while node:crypto cannot be found: verifyAsync is WebCrypto's.
const browserApi = await import(pathToFileURL(path.join(pkgDir, 'index.js')));
const getBuiltinModule = process.getBuiltinModule;
process.getBuiltinModule = undefined;
try {
	await browserApi.init();
} finally {
	process.getBuiltinModule = getBuiltinModule;
}

// ---- seeds ---------------------------------------------------------------------------

const seeds = (await makeFixtures()).map((f) => ({ keys: f.keys, token: f.token, options: f.options }));
const wycheproof = path.join(process.env.VECTORS || path.join(repo, 'tests', 'vectors'), 'wycheproof', 'json_web_signature_test.json');
for (const g of JSON.parse(fs.readFileSync(wycheproof, 'utf8')).testGroups)
	for (const t of g.tests) if (typeof t.jws === 'string') seeds.push({ keys: g.public ?? g.private, token: t.jws, options: { now: 1800000000 } });
const hmacSeeds = seeds.filter((s) => s.keys?.keys?.length === 1 && s.keys.keys[0].kty === 'oct' && s.keys.keys[0].kid === 'k-HS256');
const secret = Buffer.from(hmacSeeds[0].keys.keys[0].k, 'base64url');

// ---- verdicts --------------------------------------------------------------------------

const stats = { inputs: 0, asyncInputs: 0, differ: [], threw: [], codes: {} };
const cache = new Map(); // keys+options -> { auto, wasm } verifiers or errors

function verifierPair(keys, options) {
	const id = `${typeof keys === 'string' ? keys : JSON.stringify(keys)}|${JSON.stringify(options)}`;
	let pair = cache.get(id);
	if (!pair) {
		if (cache.size > 400) {
			for (const p of cache.values()) for (const v of Object.values(p)) if (v.close) v.close();
			cache.clear();
		}
		const { now, ...rest } = options;
		pair = {};
		for (const [mode, entry, crypto] of [['auto', api, 'auto'], ['wasm', api, 'wasm'], ['webcrypto', browserApi, 'auto']]) {
			try {
				pair[mode] = entry.createVerifierSync({ ...rest, keys, currentDate: new Date(now * 1000), crypto });
			} catch (e) {
				pair[mode] = e;
			}
		}
		cache.set(id, pair);
	}
	return pair;
}

const isJwtError = (e) => e instanceof api.JwtError || e instanceof browserApi.JwtError;
const described = (e) => (isJwtError(e) ? `${e.code}/${e.claim ?? ''}` : `THREW ${e && e.name}: ${e && e.message}`);

function outcome(v, token) {
	if (v instanceof Error) return described(v);
	try {
		const r = v.verify(token);
		return `valid ${JSON.stringify(r.payload)} ${JSON.stringify(r.key)}`;
	} catch (e) {
		return described(e);
	}
}

async function asyncOutcome(v, token) {
	if (v instanceof Error) return described(v);
	if (v.asyncCrypto !== 'webcrypto') return `THREW verifyAsync would not use WebCrypto (${v.asyncCrypto})`;
	try {
		const r = await v.verifyAsync(token);
		return `valid ${JSON.stringify(r.payload)} ${JSON.stringify(r.key)}`;
	} catch (e) {
		return described(e);
	}
}

async function judge(keys, token, options, what, withAsync = false) {
	const pair = verifierPair(keys, options);
	const a = outcome(pair.auto, token);
	const w = outcome(pair.wasm, token);
	if (withAsync) {
		const x = await asyncOutcome(pair.webcrypto, token);
		stats.asyncInputs++;
		if (x !== w && stats.differ.length < 8) stats.differ.push(`${what}: verifyAsync ${x.slice(0, 120)} | wasm ${w.slice(0, 120)} | token ${String(token).slice(0, 160)}`);
		if (x.startsWith('THREW') && stats.threw.length < 8) stats.threw.push(`${what} (verifyAsync): ${x}`);
	}
	stats.inputs++;
	const code = a.split(/[ /]/)[0];
	stats.codes[code] = (stats.codes[code] ?? 0) + 1;
	if (a !== w && stats.differ.length < 8) stats.differ.push(`${what}: auto ${a.slice(0, 120)} | wasm ${w.slice(0, 120)} | token ${String(token).slice(0, 160)}`);
	if (a !== w && process.env.IDB_DIFF_DUMP) fs.appendFileSync(process.env.IDB_DIFF_DUMP, `${JSON.stringify({ keys, token, options, a, w })}\n`);
	for (const x of [a, w]) if (x.startsWith('THREW') && stats.threw.length < 8) stats.threw.push(`${what}: ${x}`);
}

// ---- mutations -------------------------------------------------------------------------

function textMutation(t) {
	const i = int(t.length + 1);
	switch (int(6)) {
	case 0: return t.slice(0, i) + pick(B64) + t.slice(i + 1);
	case 1: return t.slice(0, i) + t.slice(i + 1);
	case 2: return t.slice(0, i) + pick([...B64, '.', '=', ' ', '+', '/', '\u00e9']) + t.slice(i);
	case 3: return t.slice(0, i) + t.slice(i, i + 1 + int(8)).repeat(2) + t.slice(i + 1 + int(8));
	case 4: {
		const p = t.split('.');
		const q = pick(seeds).token.split('.');
		const k = int(3);
		p[k] = q[k] ?? '';
		return p.join('.');
	}
	default: return t.slice(0, int(t.length));
	}
}

const ORDER = {
	ES256: 'ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551',
	ES384: 'ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973',
	ES512: '01ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409',
};
const L = 'edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010'; // little-endian

function bigHex(v, bytes) {
	return Buffer.from(v.toString(16).padStart(bytes * 2, '0').slice(-bytes * 2), 'hex');
}

/** A signature aimed at an edge: ranges for ECDSA, S near L for Ed25519, small and large s for RSA, one bit off. */
function edgeSignature(token) {
	const [h, p, s] = token.split('.');
	let alg;
	try {
		alg = JSON.parse(Buffer.from(h, 'base64url')).alg;
	} catch {
		return null;
	}
	const sig = Buffer.from(s ?? '', 'base64url');
	if (int(3) === 0 && sig.length) {
		sig[int(sig.length)] ^= 1 << int(8);
		return `${h}.${p}.${sig.toString('base64url')}`;
	}
	if (ORDER[alg]) {
		const n = BigInt(`0x${ORDER[alg]}`);
		const size = ORDER[alg].length / 2;
		const edge = () => pick([0n, 1n, n - 1n, n, n + 1n, n - 2n, BigInt(`0x${crypto.randomBytes(size).toString('hex')}`)]);
		const half = (v) => bigHex(v, size);
		const keepR = sig.length === 2 * size && int(2);
		const out = Buffer.concat([keepR ? sig.subarray(0, size) : half(edge()), half(edge())]);
		return `${h}.${p}.${out.toString('base64url')}`;
	}
	if (alg === 'EdDSA' || alg === 'Ed25519') {
		const l = BigInt(`0x${Buffer.from(L, 'hex').reverse().toString('hex')}`);
		const S = Buffer.from(bigHex(pick([l - 1n, l, l + 1n, 0n, 2n ** 253n - 1n, 2n ** 256n - 1n]), 32)).reverse();
		const out = Buffer.concat([sig.length === 64 ? sig.subarray(0, 32) : crypto.randomBytes(32), S]);
		return `${h}.${p}.${out.toString('base64url')}`;
	}
	if (/^(RS|PS)/.test(alg) && sig.length) {
		const v = pick([0n, 1n, 2n, BigInt(`0x${sig.toString('hex')}`) + 1n]);
		return `${h}.${p}.${bigHex(v, sig.length).toString('base64url')}`;
	}
	return null;
}

const ALGS = ['HS256', 'RS256', 'PS384', 'ES256', 'ES512', 'EdDSA', 'Ed25519', 'none', 'RS1024', ''];
function headerMutation(token) {
	const [h, p, s] = token.split('.');
	let header;
	try {
		header = JSON.parse(Buffer.from(h, 'base64url'));
	} catch {
		return null;
	}
	if (typeof header !== 'object' || !header) return null;
	switch (int(5)) {
	case 0: header.alg = pick(ALGS); break;
	case 1: header.kid = pick([undefined, 'other', 7, '', header.kid?.toUpperCase()]); break;
	case 2: header.crit = pick([['b64'], ['x'], [], 'x']); header.x = 1; break;
	case 3: header.b64 = pick([false, true, 'false']); break;
	default: return `${b64(JSON.stringify(header).replace('{', '{"alg":"none",'))}.${p}.${s}`;
	}
	return `${b64(header)}.${p}.${s}`;
}

/** Claims re-signed with the HMAC seeds' key, so the mutated claims reach the rules. */
function claimsMutation() {
	const now = 1800000000;
	const claims = { sub: 'svc', iss: 'https://issuer.example', aud: 'api', exp: now + 600, iat: now - 10 };
	const k = pick(['exp', 'nbf', 'iat', 'aud', 'iss', 'sub', 'x']);
	claims[k] = pick([now, now - 1, now + 1, now - 1.5, now + 0.5, '1800000000', 1e300, -1, 9007199254740993, null, [], ['api', 7], { a: 1 }, 'api']);
	let text = JSON.stringify(claims);
	if (int(6) === 0) text = text.replace('{', `{"${k}":1,`); // a duplicate member
	const header = b64({ alg: 'HS256', kid: 'k-HS256' });
	const input = `${header}.${Buffer.from(text).toString('base64url')}`;
	const options = { now, ...pick([{}, { issuer: 'https://issuer.example' }, { audience: ['api', 'x'] }, { clockTolerance: pick([1, 1.5, '2s']) }, { maxTokenAge: pick([0, 5, '1m']) }, { requiredClaims: ['x', 'jti'] }, { subject: 'svc' }]) };
	return { keys: hmacSeeds[0].keys, token: `${input}.${crypto.createHmac('sha256', secret).update(input).digest('base64url')}`, options };
}

function keyMutation(seed) {
	const set = JSON.parse(JSON.stringify(seed.keys));
	const list = Array.isArray(set?.keys) ? set.keys : [set];
	const k = list[int(list.length)];
	if (!k || typeof k !== 'object') return null;
	const flipB64 = (v) => (typeof v === 'string' && v.length ? v.slice(0, -2) + pick(B64) + v.slice(-1) : v);
	switch (int(8)) {
	case 0: k.x = flipB64(k.x); break;
	case 1: k.y = flipB64(k.y ?? k.x); break;
	case 2: k.n = flipB64(k.n); break;
	case 3: k.e = pick(['AQAB', 'Aw', 'AQ', 'AAEAAQ', 'BA', '']); break;
	case 4: k.crv = pick(['P-256', 'P-384', 'P-521', 'Ed25519', 'X25519', 'secp256k1']); break;
	case 5: k.alg = pick(ALGS); break;
	case 6: k.use = pick(['sig', 'enc', 5]); k.key_ops = pick([undefined, ['verify'], ['sign'], 'verify']); break;
	default: {
		const text = JSON.stringify(set);
		const i = int(text.length);
		return { ...seed, keys: text.slice(0, i) + pick(['"', ',', '}', 'A', '\\u0000', '1e999']) + text.slice(i + 1) };
	}
	}
	return { ...seed, keys: set };
}

// ---- the run ---------------------------------------------------------------------------

const t0 = Date.now();
for (const s of seeds) await judge(s.keys, s.token, s.options, 'seed', true);
const asymmetric = seeds.filter((s) => /"alg":"(RS|PS|ES|Ed)/.test(Buffer.from(s.token.split('.')[0] ?? '', 'base64url').toString()));
let rounds = 0;
while (Date.now() - t0 < SECONDS * 1000) {
	rounds++;
	const s = pick(seeds);
	switch (int(5)) {
	case 0: await judge(s.keys, textMutation(s.token), s.options, 'text mutation'); break;
	case 1: {
		const a = pick(asymmetric);
		const t = edgeSignature(a.token);
		if (t) await judge(a.keys, t, a.options, 'edge signature', true);
		break;
	}
	case 2: {
		const t = headerMutation(s.token);
		if (t) await judge(s.keys, t, s.options, 'header mutation');
		break;
	}
	case 3: {
		const c = claimsMutation();
		await judge(c.keys, c.token, c.options, 'claims mutation');
		break;
	}
	default: {
		const m = keyMutation(pick(asymmetric));
		if (m) await judge(m.keys, m.token, m.options, 'key set mutation', true);
	}
	}
}
for (const p of cache.values()) for (const v of Object.values(p)) if (v.close) v.close();

const reached = ['valid', 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED', 'ERR_JWT_CLAIM_VALIDATION_FAILED', 'ERR_JWK_INVALID'].every((c) => stats.codes[c] > 10);
report(stats.differ.length === 0, `auto and wasm agree on all ${stats.inputs} inputs, and verifyAsync (WebCrypto) with them on ${stats.asyncInputs} (${seeds.length} seeds, ${rounds} mutations in ${SECONDS} s, seed ${SEED})`, stats.differ.join(' || '));
report(stats.asyncInputs > 100, `verifyAsync with WebCrypto's arithmetic judged ${stats.asyncInputs} seeds, edge signatures and key set mutations`);
report(stats.threw.length === 0, 'no input made either mode throw anything but a JwtError', stats.threw.join(' || '));
report(reached, 'the mutations reach signatures, claims and keys in both modes (not only parsing)', JSON.stringify(stats.codes));
suite.finish();
