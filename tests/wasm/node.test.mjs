// The WASM package tested as users get it: `npm pack`, installed into an empty
// folder, imported by name (ESM and CommonJS), then the shared suite; every
// verdict compared with the native CLI's; Wycheproof's JWS file through both;
// and a leak check over many verifications.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { BIN, repo, reporter } from '../lib.mjs';
import { makeFixtures } from './fixtures.mjs';
import { runSuite } from './suite.mjs';

const { report, finish } = reporter('wasm/node');

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
const api = await import(pathToFileURL(path.join(tmp, 'entry.mjs')));
const cjs = createRequire(path.join(tmp, 'entry.cjs'))('@identity-backend/verifier');
report(typeof api.createVerifier === 'function' && typeof cjs.createVerifier === 'function', 'installed tarball imports by name with import and require');
const files = fs.readdirSync(path.join(tmp, 'node_modules/@identity-backend/verifier')).sort().join(',');
report(files === 'LICENSE,README.md,dist,index.cjs,index.d.cts,index.d.ts,index.js,package.json', 'tarball holds exactly the files allowlist', files);
{
	// verifier.wasm compiles in wolfCrypt (GPL-2.0-or-later): the tarball says so in its
	// SPDX license field and ships the GPL's text; the JavaScript is ours (MIT).
	const pkgDir = path.join(tmp, 'node_modules/@identity-backend/verifier');
	const pkg = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
	const lic = fs.readFileSync(path.join(pkgDir, 'LICENSE'), 'utf8');
	report(pkg.license === 'MIT AND GPL-2.0-or-later', 'tarball license field is MIT AND GPL-2.0-or-later', pkg.license);
	report(lic.startsWith('MIT License') && /wolfCrypt 5\.5\.4 +GPL-2\.0-or-later/.test(lic) && lic.includes('GNU GENERAL PUBLIC LICENSE\n                       Version 2, June 1991'), 'tarball LICENSE holds our MIT text, the notice and the GPL-2.0 text');
	report(['repository', 'homepage', 'bugs'].every((k) => pkg[k]), 'package.json names repository, homepage and bugs');
}

// 2. The shared suite, through ESM; a sample through CommonJS.
const fixtures = await makeFixtures();
const codes = await runSuite(api, fixtures, report);
await runSuite(cjs, fixtures.slice(0, 8), (p, n, d) => report(p, `require: ${n}`, d));

// 3. Same verdicts as the native CLI on every fixture.
const dir = fs.mkdtempSync(path.join(tmp, 'cli-'));
fixtures.forEach((f, i) => {
	const jwks = path.join(dir, `${i}.json`);
	fs.writeFileSync(jwks, JSON.stringify(f.keys));
	const o = f.options;
	const args = ['verify', '--jwks', jwks, '--now', String(o.now)];
	if (o.algorithms) args.push('--alg', o.algorithms.join(','));
	for (const v of [o.issuer ?? []].flat()) args.push('--iss', v);
	for (const v of [o.audience ?? []].flat()) args.push('--aud', v);
	for (const v of o.requiredClaims ?? []) args.push('--require', v);
	if (o.subject) args.push('--sub', o.subject);
	if (o.typ) args.push('--typ', o.typ);
	if (o.clockTolerance) args.push('--leeway', String(o.clockTolerance));
	if (o.maxTokenAge) args.push('--max-age', String(o.maxTokenAge));
	args.push('-');
	const r = spawnSync(BIN, args, { input: f.token, encoding: 'utf8' });
	let native = 'unparseable';
	try {
		const j = JSON.parse(r.stdout);
		native = j.valid ? 'valid' : j.error;
	} catch {}
	report(native === codes[i], `same verdict as the native CLI: ${f.name}`, `wasm ${codes[i]}, native ${native}`);
});

// 4. Wycheproof's JWS file: the WASM verdict and code equal the CLI's on every case.
const vectors = process.env.VECTORS || path.join(repo, 'tests', 'vectors');
const wp = path.join(vectors, 'wycheproof', 'json_web_signature_test.json');
report(fs.existsSync(wp), `Wycheproof JWS file present (${wp})`);
if (fs.existsSync(wp)) {
	const doc = JSON.parse(fs.readFileSync(wp, 'utf8'));
	let cases = 0;
	let differ = [];
	for (const g of doc.testGroups) {
		const key = g.public ?? g.private;
		const keyFile = path.join(dir, `wp-${cases}.json`);
		fs.writeFileSync(keyFile, JSON.stringify(key));
		for (const t of g.tests) {
			if (typeof t.jws !== 'string') continue; // JSON serialization: not ours (compact only)
			cases++;
			let w = 'valid';
			try {
				const v = await api.createVerifier({ keys: key });
				try {
					v.verify(t.jws);
				} finally {
					v.close();
				}
			} catch (e) {
				w = e.code ?? `THREW ${e.message}`;
			}
			const r = spawnSync(BIN, ['verify', '--jwks', keyFile, '-'], { input: t.jws, encoding: 'utf8' });
			let n = 'unparseable';
			try {
				const j = JSON.parse(r.stdout);
				n = j.valid ? 'valid' : j.error;
			} catch {}
			if (n !== w) differ.push(`tcId ${t.tcId}: wasm ${w}, native ${n}`);
		}
	}
	report(cases > 300 && differ.length === 0, `Wycheproof JWS: ${cases} compact cases, same code as native on all`, differ.slice(0, 10).join('; '));
}

// 5. No leak: many verifications, valid and invalid, do not grow the module's memory.
{
	const f = fixtures.find((x) => x.name === 'HS256: valid token');
	const bad = fixtures.find((x) => x.name === 'HS256: tampered signature');
	const v = await api.createVerifier({ keys: f.keys, issuer: 'https://issuer.example', currentDate: new Date(f.options.now * 1000) });
	for (let i = 0; i < 2000; i++) v.verify(f.token);
	const before = api.wasmMemoryBytes();
	let thrown = 0;
	for (let i = 0; i < 1000000; i++) {
		try {
			v.verify(i % 3 ? f.token : bad.token);
		} catch {
			thrown++;
		}
	}
	report(api.wasmMemoryBytes() === before && thrown === 333334, '1,000,000 verifications (a third failing) leave the wasm heap unchanged',
		`${before} -> ${api.wasmMemoryBytes()} bytes, ${thrown} thrown`);
	v.close();
	for (let i = 0; i < 2000; i++) (await api.createVerifier({ keys: f.keys })).close();
	report(api.wasmMemoryBytes() === before, '2,000 verifiers created and closed leave the heap unchanged', `${api.wasmMemoryBytes()}`);
}

finish();
