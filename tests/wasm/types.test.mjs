// The package's TypeScript declarations, checked as users get them: `npm pack`,
// installed into a temp folder, then `tsc --noEmit --strict` on types-check.ts
// (every export used as documented, plus `@ts-expect-error` lines for misuse)
// resolving '@identity-backend/verifier' through node_modules and the package's
// "exports" map, under the resolutions users have (nodenext, bundler, node16).
// A control run against an any-typed copy of the declarations must report every
// `@ts-expect-error` as unused, so the misuse lines cannot pass vacuously.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { reporter } from '../lib.mjs';
import { atExit, bin, packAndInstall, watchdog } from './runtimes/common.mjs';

const suite = reporter('wasm/types');
const { report } = suite;
watchdog(suite, 58);
const t0 = Date.now();
const PKG = path.join('node_modules', '@identity-backend', 'verifier');
// lib.dom for WebAssembly, fetch, Response and URL (no @types/node here); the
// standard library itself is not re-checked (the package's .d.ts still is).
const COMMON = ['--noEmit', '--strict', '--pretty', 'false', '--target', 'es2022', '--lib', 'es2022,dom', '--skipDefaultLibCheck'];

/** Run tsc in `cwd`; resolves { status, out, errors: [{ file, line, code, text }] }. */
function tsc(cwd, args) {
	return new Promise((resolve) => {
		const child = spawn(bin('tsc'), [...COMMON, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
		atExit(() => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL'));
		let out = '';
		child.stdout.on('data', (d) => (out += d));
		child.stderr.on('data', (d) => (out += d));
		child.on('error', (e) => resolve({ status: -1, out: String(e), errors: [] }));
		child.on('close', (status) => {
			const errors = [];
			for (const m of out.matchAll(/^(.+?)\((\d+),\d+\): error (TS\d+): (.*)$/gm)) errors.push({ file: m[1], line: Number(m[2]), code: m[3], text: m[4] });
			resolve({ status, out, errors });
		});
	});
}
const fmt = (errs) => errs.map((e) => `${e.file}:${e.line} ${e.code} ${e.text}`).slice(0, 8).join('; ');

try {
	const { tmp, pkgDir } = packAndInstall('types');
	const check = fs.readFileSync(new URL('./types-check.ts', import.meta.url), 'utf8');
	fs.writeFileSync(path.join(tmp, 'types-check.ts'), check);
	fs.copyFileSync(new URL('./runtimes/types-cjs.cts', import.meta.url), path.join(tmp, 'types-cjs.cts'));
	fs.copyFileSync(new URL('./runtimes/types-jwterror.ts', import.meta.url), path.join(tmp, 'types-jwterror.ts'));
	const directives = check.split('\n').flatMap((l, i) => (/^\s*\/\/ @ts-expect-error/.test(l) ? [i + 1] : []));

	// The control: the same consumer against declarations where every export is
	// `any` (loose/node_modules is nearer to loose/types-check.ts, so it wins).
	const loose = path.join(tmp, 'loose');
	const loosePkg = path.join(loose, PKG);
	fs.mkdirSync(loosePkg, { recursive: true });
	fs.writeFileSync(path.join(loose, 'package.json'), fs.readFileSync(path.join(tmp, 'package.json')));
	for (const f of ['index.js', 'index.cjs']) fs.copyFileSync(path.join(pkgDir, f), path.join(loosePkg, f));
	// Another version, or tsc would deduplicate the two same-named packages into one.
	const manifest = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
	fs.writeFileSync(path.join(loosePkg, 'package.json'), JSON.stringify({ ...manifest, version: `${manifest.version}-loose-control` }));
	const dts = fs.readFileSync(path.join(pkgDir, 'index.d.ts'), 'utf8');
	const exported = [...dts.matchAll(/^export (?:declare )?(interface|type|class|function|const) (\w+)/gm)];
	const looseDts = [...new Set(exported.map((m) => `${m[1] === 'interface' || m[1] === 'type' ? '' : `export declare const ${m[2]}: any;\n`}export type ${m[2]} = any;`))].join('\n');
	fs.writeFileSync(path.join(loosePkg, 'index.d.ts'), `${looseDts}\n`);
	fs.writeFileSync(path.join(loose, 'types-check.ts'), check);

	const [nodenext, bundler, node16] = await Promise.all([
		tsc(tmp, ['--module', 'nodenext', '--moduleResolution', 'nodenext', '--listFiles', 'types-check.ts', 'types-jwterror.ts', 'loose/types-check.ts']),
		tsc(tmp, ['--module', 'esnext', '--moduleResolution', 'bundler', 'types-check.ts']),
		tsc(tmp, ['--module', 'node16', '--moduleResolution', 'node16', 'types-check.ts', 'types-cjs.cts']),
	]);
	for (const r of [nodenext, bundler, node16])
		if (r.status === -1 || (r.status !== 0 && r.errors.length === 0)) throw new Error(`tsc did not run: ${r.out.slice(0, 1000)}`);

	const installedDts = path.join(tmp, PKG, 'index.d.ts');
	report(nodenext.out.split('\n').some((l) => path.resolve(tmp, l.trim()) === installedDts),
		"'@identity-backend/verifier' resolves to the installed package's index.d.ts", nodenext.out.slice(0, 800));
	const of = (r, file) => r.errors.filter((e) => e.file === file);
	report(of(nodenext, 'types-check.ts').length === 0, `types-check.ts passes tsc --strict, module nodenext (${directives.length} misuse lines rejected)`, fmt(of(nodenext, 'types-check.ts')));
	report(bundler.status === 0 && bundler.errors.length === 0, 'types-check.ts passes tsc --strict, moduleResolution bundler', fmt(bundler.errors));
	report(of(node16, 'types-check.ts').length === 0, 'types-check.ts passes tsc --strict, module node16', fmt(of(node16, 'types-check.ts')));
	report(of(node16, 'types-cjs.cts').length === 0, 'a CommonJS TypeScript consumer (.cts, module node16) can import the package (types for the "require" condition)', fmt(of(node16, 'types-cjs.cts')));
	report(of(nodenext, 'types-jwterror.ts').length === 0, 'JwtError is declared with the constructor index.js has: new JwtError(code, message, claim?)', fmt(of(nodenext, 'types-jwterror.ts')));
	const control = of(nodenext, 'loose/types-check.ts');
	report(nodenext.out.split('\n').some((l) => path.resolve(tmp, l.trim()) === path.join(loosePkg, 'index.d.ts')), 'control: loose/types-check.ts resolves to the any-typed declarations');
	const unused = new Set(control.filter((e) => e.code === 'TS2578').map((e) => e.line));
	const notBiting = directives.filter((l) => !unused.has(l));
	report(directives.length >= 15 && notBiting.length === 0,
		`control: against any-typed declarations all ${directives.length} @ts-expect-error lines are reported unused`,
		`lines still satisfied: ${notBiting.join(', ')}; exports seen: ${exported.length}; ${fmt(control)}`);
} catch (e) {
	report(false, 'runner set-up', e && e.stack);
}
console.log(`# wasm/types: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
suite.finish();
