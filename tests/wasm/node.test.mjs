// The WASM package tested as users get it: `npm pack`, installed into an empty
// folder, imported by name (ESM and CommonJS: the "node" condition's node.js, the
// small module and node:crypto), then the shared suite in both crypto modes
// ('auto': node:crypto's arithmetic; 'wasm': the full module's wolfCrypt) and
// through index.js (the full module with the host behind it); every verdict
// compared with the native CLI's; Wycheproof's JWS file through both modes and
// the CLI; Wycheproof's primitive files (ECDSA P-256/384/521, RSA PKCS#1 and PSS,
// Ed25519) through each mode's signature step; the RFC 7520/8037 cookbook tokens
// in each mode; and a leak check over many verifications in each mode.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { BIN, repo, reporter } from '../lib.mjs';
import { makeApiFixtures, makeFixtures } from './fixtures.mjs';
import { runSuite } from './suite.mjs';

const { report, finish } = reporter('wasm/node');
const MODES = ['auto', 'wasm'];
const t0 = Date.now();

function sh(cmd, args, cwd) {
	const r = spawnSync(cmd, args, { cwd, encoding: 'utf8' });
	if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr || r.stdout}`);
	return r.stdout.trim();
}

// 1. Pack and install into an empty folder.
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'idb-wasm-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));
const tgz = sh('npm', ['pack', '--silent', '--pack-destination', tmp], path.join(repo, 'verifier-wasm')).split('\n').pop();
fs.writeFileSync(path.join(tmp, 'package.json'), '{"name":"consumer","private":true,"type":"module"}');
sh('npm', ['install', '--silent', '--no-audit', '--no-fund', '--offline', path.join(tmp, tgz)], tmp);
fs.writeFileSync(path.join(tmp, 'entry.mjs'), "export * from '@identity-backend/verifier';\n");
const pkgDir = path.join(tmp, 'node_modules/@identity-backend/verifier');
const api = await import(pathToFileURL(path.join(tmp, 'entry.mjs')));
const browserApi = await import(pathToFileURL(path.join(pkgDir, 'index.js')));
const cjs = createRequire(path.join(tmp, 'entry.cjs'))('@identity-backend/verifier');
report(typeof api.createVerifier === 'function' && typeof cjs.createVerifier === 'function', 'installed tarball imports by name with import and require');
{
	const byName = await import(pathToFileURL(path.join(pkgDir, 'node.js')));
	report(byName.createVerifier === api.createVerifier, 'in Node the package name resolves to node.js (the "node" export condition)');
}
const files = fs.readdirSync(pkgDir).sort().join(',');
report(files === 'LICENSE,README.md,dist,index.cjs,index.d.cts,index.d.ts,index.js,node.js,package.json', 'tarball holds exactly the files allowlist', files);
const dist = fs.readdirSync(path.join(pkgDir, 'dist')).sort().join(',');
report(dist === 'verifier-small.wasm,verifier.wasm', 'dist holds the full and the small module', dist);
{
	// verifier.wasm compiles in wolfCrypt (GPL-2.0-or-later): the tarball says so in its
	// SPDX license field and ships the GPL's text; the JavaScript is ours (MIT).
	const pkg = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
	const lic = fs.readFileSync(path.join(pkgDir, 'LICENSE'), 'utf8');
	report(pkg.license === 'MIT AND GPL-2.0-or-later', 'tarball license field is MIT AND GPL-2.0-or-later', pkg.license);
	report(lic.startsWith('MIT License') && /wolfCrypt 5\.5\.4 +GPL-2\.0-or-later/.test(lic) && lic.includes('GNU GENERAL PUBLIC LICENSE\n                       Version 2, June 1991'), 'tarball LICENSE holds our MIT text, the notice and the GPL-2.0 text');
	report(['repository', 'homepage', 'bugs'].every((k) => pkg[k]), 'package.json names repository, homepage and bugs');
	const small = fs.readFileSync(path.join(pkgDir, 'dist/verifier-small.wasm'));
	const full = fs.readFileSync(path.join(pkgDir, 'dist/verifier.wasm'));
	const exportsOf = (b) => WebAssembly.Module.exports(new WebAssembly.Module(b)).map((e) => e.name);
	const importsOf = (b) => WebAssembly.Module.imports(new WebAssembly.Module(b)).map((e) => `${e.module}.${e.name}`).sort().join(',');
	report(exportsOf(full).includes('idb_wasm_crypto') && !exportsOf(small).includes('idb_wasm_crypto'), 'only the full module carries the arithmetic marker');
	report(importsOf(small) === importsOf(full) && importsOf(full) === 'env.emscripten_notify_memory_growth,env.host_key_free,env.host_key_load,env.host_rsa,env.host_verify',
		'both modules import only the four host functions (and the growth notice)', importsOf(full));
}

// 2. The shared suite in both modes through ESM; through index.js (full module, host
//    arithmetic); a sample through CommonJS.
const data = { cases: await makeFixtures(), api: await makeApiFixtures() };
const codes = await runSuite(api, data, report, { modes: [...MODES, 'auto+async'], expectCrypto: { auto: 'host', wasm: 'wasm', 'auto+async': 'host' } });
await runSuite(browserApi, data, (p, n, d) => report(p, `index.js: ${n}`, d), { modes: ['auto'], expectCrypto: { auto: 'host+wasm' } });
await runSuite(cjs, { cases: data.cases.slice(0, 8), api: data.api }, (p, n, d) => report(p, `require: ${n}`, d), { modes: MODES, expectCrypto: { auto: 'host', wasm: 'wasm' } });

// 3. Same verdicts as the native CLI on every fixture.
const dir = fs.mkdtempSync(path.join(tmp, 'cli-'));
function cliVerdict(jwksFile, o, token) {
	const args = ['verify', '--jwks', jwksFile, '--now', String(o.now)];
	if (o.algorithms) args.push('--alg', o.algorithms.join(','));
	for (const v of [o.issuer ?? []].flat()) args.push('--iss', v);
	for (const v of [o.audience ?? []].flat()) args.push('--aud', v);
	for (const v of o.requiredClaims ?? []) args.push('--require', v);
	if (o.subject) args.push('--sub', o.subject);
	if (o.typ) args.push('--typ', o.typ);
	if (o.clockTolerance) args.push('--leeway', String(o.clockTolerance));
	if (o.maxTokenAge) args.push('--max-age', String(o.maxTokenAge));
	args.push('-');
	const r = spawnSync(BIN, args, { input: token, encoding: 'utf8' });
	try {
		const j = JSON.parse(r.stdout);
		return j.valid ? 'valid' : j.error;
	} catch {
		return 'unparseable';
	}
}
data.cases.forEach((f, i) => {
	const jwks = path.join(dir, `${i}.json`);
	fs.writeFileSync(jwks, JSON.stringify(f.keys));
	const native = cliVerdict(jwks, f.options, f.token);
	report(native === codes[i], `same verdict as the native CLI: ${f.name}`, `wasm ${codes[i]}, native ${native}`);
});

async function packageVerdict(pkg, options, token) {
	try {
		const v = await pkg.createVerifier(options);
		try {
			v.verify(token);
		} finally {
			v.close();
		}
		return 'valid';
	} catch (e) {
		return e instanceof pkg.JwtError ? e.code : `THREW ${e && e.message}`;
	}
}

// 4. Wycheproof's JWS file: each mode's verdict and code equal the CLI's on every case.
const vectors = process.env.VECTORS || path.join(repo, 'tests', 'vectors');
const readVectors = (name) => {
	const file = path.join(vectors, 'wycheproof', name);
	report(fs.existsSync(file), `Wycheproof file present (${name})`);
	return fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : { testGroups: [] };
};
{
	const doc = readVectors('json_web_signature_test.json');
	let cases = 0;
	const differ = [];
	for (const g of doc.testGroups) {
		const key = g.public ?? g.private;
		const keyFile = path.join(dir, `wp-${cases}.json`);
		fs.writeFileSync(keyFile, JSON.stringify(key));
		for (const t of g.tests) {
			if (typeof t.jws !== 'string') continue; // JSON serialization: not ours (compact only)
			cases++;
			const native = spawnSync(BIN, ['verify', '--jwks', keyFile, '-'], { input: t.jws, encoding: 'utf8' });
			let n = 'unparseable';
			try {
				const j = JSON.parse(native.stdout);
				n = j.valid ? 'valid' : j.error;
			} catch {}
			for (const mode of MODES) {
				const w = await packageVerdict(api, { keys: key, crypto: mode }, t.jws);
				if (n !== w) differ.push(`tcId ${t.tcId} ${mode}: wasm ${w}, native ${n}`);
			}
		}
	}
	report(cases > 300 && differ.length === 0, `Wycheproof JWS: ${cases} compact cases, same code as native in both modes`, differ.slice(0, 10).join('; '));
}

// 5. Wycheproof's primitive files through each mode's signature step: "valid" must
//    verify, "invalid" must not, "acceptable" may go either way, and both modes
//    must answer alike on every case (all their keys are 2048+ bits or NIST/Ed25519).
const hex = (h) => Uint8Array.from((h ?? '').match(/../g) ?? [], (b) => parseInt(b, 16));
const b64u = (bytes) => Buffer.from(bytes).toString('base64url');
function fixed(h, size) {
	let b = hex(h);
	while (b.length > size && b[0] === 0) b = b.subarray(1);
	const out = new Uint8Array(size);
	out.set(b, size - b.length);
	return out;
}
const unsigned = (h) => {
	let b = hex(h);
	while (b.length > 1 && b[0] === 0) b = b.subarray(1);
	return b;
};
const KEY_VERIFY = Symbol.for('@identity-backend/verifier.keyVerify');
const PRIMITIVES = [
	['ecdsa_secp256r1_sha256_p1363_test.json', 'ES256', (pk) => ({ kty: 'EC', crv: 'P-256', x: b64u(fixed(pk.wx, 32)), y: b64u(fixed(pk.wy, 32)) })],
	['ecdsa_secp384r1_sha384_p1363_test.json', 'ES384', (pk) => ({ kty: 'EC', crv: 'P-384', x: b64u(fixed(pk.wx, 48)), y: b64u(fixed(pk.wy, 48)) })],
	['ecdsa_secp521r1_sha512_p1363_test.json', 'ES512', (pk) => ({ kty: 'EC', crv: 'P-521', x: b64u(fixed(pk.wx, 66)), y: b64u(fixed(pk.wy, 66)) })],
	['rsa_signature_2048_sha256_test.json', 'RS256', (pk) => ({ kty: 'RSA', n: b64u(unsigned(pk.modulus)), e: b64u(unsigned(pk.publicExponent)) })],
	['rsa_signature_3072_sha384_test.json', 'RS384', (pk) => ({ kty: 'RSA', n: b64u(unsigned(pk.modulus)), e: b64u(unsigned(pk.publicExponent)) })],
	['rsa_signature_4096_sha512_test.json', 'RS512', (pk) => ({ kty: 'RSA', n: b64u(unsigned(pk.modulus)), e: b64u(unsigned(pk.publicExponent)) })],
	['rsa_pss_2048_sha256_mgf1_32_test.json', 'PS256', (pk) => ({ kty: 'RSA', n: b64u(unsigned(pk.modulus)), e: b64u(unsigned(pk.publicExponent)) })],
	['ed25519_test.json', 'EdDSA', (pk) => ({ kty: 'OKP', crv: 'Ed25519', x: b64u(hex(pk.pk)) })],
];
for (const [file, alg, toJwk] of PRIMITIVES) {
	const doc = readVectors(file);
	let cases = 0;
	const wrong = [];
	for (const g of doc.testGroups) {
		const jwk = toJwk(g.publicKey ?? g.key);
		const verifiers = {};
		for (const mode of MODES) verifiers[mode] = await api.createVerifier({ keys: jwk, crypto: mode }).catch((e) => e);
		for (const t of g.tests) {
			cases++;
			const got = {};
			for (const mode of MODES) {
				const v = verifiers[mode];
				got[mode] = v instanceof Error ? `import: ${v.code ?? v.message}` : v[KEY_VERIFY](alg, hex(t.msg), hex(t.sig));
			}
			const a = got.auto;
			const ok = a === got.wasm && (t.result === 'acceptable' || (t.result === 'valid') === (a === 'valid')) && (a === 'valid' || a.startsWith('ERR_J'));
			if (!ok) wrong.push(`tcId ${t.tcId} (${t.result}, ${t.comment}): auto ${a}, wasm ${got.wasm}`);
		}
		for (const v of Object.values(verifiers)) if (!(v instanceof Error)) v.close();
	}
	report(cases > 100 && wrong.length === 0, `Wycheproof ${file}: ${cases} cases, Wycheproof's verdict and the same answer in both modes`, wrong.slice(0, 6).join('; '));
}

// 6. The cookbook: tokens of RFC 7520 §4.1-4.4 and RFC 8037 A.4 (payloads are text,
//    not claims: a good signature shows as ERR_JWT_INVALID, after it is checked).
for (const file of ['jws/4_1.rsa_v15_signature.json', 'jws/4_2.rsa-pss_signature.json', 'jws/4_3.ecdsa_signature.json',
	'jws/4_4.hmac-sha2_integrity_protection.json', 'curve25519/jws.json']) {
	const doc = JSON.parse(fs.readFileSync(path.join(vectors, 'jose-cookbook', file), 'utf8'));
	const { d, p, q, dp, dq, qi, ...pub } = doc.input.key; // verification sets refuse private members
	const token = doc.output.compact;
	const parts = token.split('.');
	const sig = Buffer.from(parts[2], 'base64url');
	sig[sig.length >> 1] ^= 1;
	const bad = `${parts[0]}.${parts[1]}.${sig.toString('base64url')}`;
	for (const mode of MODES) {
		const good = await packageVerdict(api, { keys: doc.input.key.kty === 'oct' ? doc.input.key : pub, crypto: mode }, token);
		const tampered = await packageVerdict(api, { keys: doc.input.key.kty === 'oct' ? doc.input.key : pub, crypto: mode }, bad);
		report(good === 'ERR_JWT_INVALID' && tampered === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
			`${mode}: cookbook ${file} (${doc.input.alg}): the RFC's signature verifies, a flipped bit does not`, `${good}, ${tampered}`);
	}
}

// 7. No leak: many verifications, valid and invalid, do not grow the modules' memory
//    (host keys are freed with their verifier: thousands made and closed).
for (const mode of MODES) {
	const f = data.cases.find((x) => x.name === 'ES256: valid token');
	const bad = data.cases.find((x) => x.name === 'ES256: tampered signature');
	const h = data.cases.find((x) => x.name === 'HS256: valid token');
	const v = await api.createVerifier({ keys: f.keys, issuer: 'https://issuer.example', currentDate: new Date(f.options.now * 1000), crypto: mode });
	const vh = await api.createVerifier({ keys: h.keys, currentDate: new Date(h.options.now * 1000), crypto: mode });
	for (let i = 0; i < 2000; i++) vh.verify(h.token);
	const before = api.wasmMemoryBytes();
	let thrown = 0;
	const n = mode === 'wasm' ? 3000 : 30000;
	for (let i = 0; i < n; i++) {
		try {
			v.verify(i % 3 ? f.token : bad.token);
		} catch {
			thrown++;
		}
	}
	for (let i = 0; i < 300000; i++) vh.verify(h.token);
	report(api.wasmMemoryBytes() === before && thrown === n / 3, `${mode}: ${n} ES256 verifications (a third failing) and 300,000 HS256 leave the wasm heap unchanged`,
		`${before} -> ${api.wasmMemoryBytes()} bytes, ${thrown} thrown`);
	v.close();
	vh.close();
	for (let i = 0; i < 2000; i++) (await api.createVerifier({ keys: f.keys, crypto: mode })).close();
	report(api.wasmMemoryBytes() === before, `${mode}: 2,000 verifiers created and closed leave the heap unchanged`, `${api.wasmMemoryBytes()}`);
}
console.log(`# wasm/node: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
finish();
