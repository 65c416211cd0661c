// Shared plumbing of the non-Node WASM runners (browser, Deno, workerd, types):
// pack and install the package as users get it, a watchdog, cleanup of temp
// folders and child processes even on failure, and the relay that turns the
// results a runtime sends back into "ok - wasm/<runtime>: …" lines (the reporter
// is tests/lib.mjs's). A runtime that returns fewer results than the suite has
// checks fails (never a vacuous pass).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { repo } from '../../lib.mjs';

export const bin = (name) => path.join(repo, 'tests', 'node_modules', '.bin', name);
export const suitePath = path.join(repo, 'tests', 'wasm', 'suite.mjs');

const cleanups = [];
/** Run `fn` at exit (normal, failure, watchdog or signal); LIFO, synchronous. */
export function atExit(fn) {
	cleanups.push(fn);
}
let cleaned = false;
function cleanupAll() {
	if (cleaned) return;
	cleaned = true;
	while (cleanups.length) {
		try {
			cleanups.pop()();
		} catch {}
	}
}
process.on('exit', cleanupAll);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => process.exit(1));

/**
 * Fail and exit if the whole runner takes longer than `seconds`; `r` is the runner's
 * reporter (tests/lib.mjs reporter(): its finish() exits, and exiting cleans up).
 */
export function watchdog(r, seconds = 55) {
	const t = setTimeout(() => {
		r.report(false, `runner finished within ${seconds} s`, 'timed out');
		r.finish();
	}, seconds * 1000);
	t.unref();
}

export function sh(cmd, args, cwd, opts = {}) {
	const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 60000, ...opts });
	if (r.error) throw r.error;
	if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} (status ${r.status}): ${r.stderr || r.stdout}`);
	return r.stdout.trim();
}

/**
 * `npm pack` verifier-wasm into a new temp folder and install the tarball there
 * (offline; the package has no dependencies). Returns { tmp, pkgDir }.
 */
export function packAndInstall(prefix) {
	const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `idb-wasm-${prefix}-`));
	atExit(() => fs.rmSync(tmp, { recursive: true, force: true }));
	const tgz = sh('npm', ['pack', '--silent', '--pack-destination', tmp], path.join(repo, 'verifier-wasm')).split('\n').pop();
	fs.writeFileSync(path.join(tmp, 'package.json'), '{"name":"consumer","private":true,"type":"module"}');
	sh('npm', ['install', '--silent', '--no-audit', '--no-fund', '--offline', path.join(tmp, tgz)], tmp);
	fs.rmSync(path.join(tmp, tgz));
	const pkgDir = path.join(tmp, 'node_modules', '@identity-backend', 'verifier');
	if (!fs.existsSync(path.join(pkgDir, 'dist', 'verifier.wasm'))) throw new Error(`installed package lacks dist/verifier.wasm: ${pkgDir}`);
	return { tmp, pkgDir };
}

/**
 * The fixtures (minted in Node by jose: { cases, api }) and the names of every
 * check the suite reports with `opts` (the modes the runtime runs), from a
 * reference run in Node against the same installed package: a runtime must
 * report each of these names exactly once.
 */
export async function fixturesAndExpectedNames(pkgDir, opts) {
	const { makeApiFixtures, makeFixtures } = await import('../fixtures.mjs');
	const { runSuite } = await import('../suite.mjs');
	const data = JSON.parse(JSON.stringify({ cases: await makeFixtures(), api: await makeApiFixtures() })); // exactly what the runtime gets
	const api = await import(pathToFileURL(path.join(pkgDir, 'index.js')));
	const names = [];
	await runSuite(api, data, (_pass, name) => names.push(name), opts);
	return { fixtures: data, names };
}

/**
 * Print the runtime's results ([{ pass, name, detail }]) and fail on any
 * expected check it did not report (or reported twice).
 */
export function relay(report, results, expectedNames, prefix = '') {
	const seen = new Map();
	for (const r of results) {
		report(r.pass === true, prefix + r.name, r.detail);
		seen.set(r.name, (seen.get(r.name) ?? 0) + 1);
	}
	const missing = expectedNames.filter((n) => !seen.has(n));
	const twice = [...seen].filter(([, c]) => c > 1).map(([n]) => n);
	report(missing.length === 0 && twice.length === 0 && results.length > 0,
		`${prefix}runtime reported all ${expectedNames.length} checks of the suite`,
		`got ${results.length} results; missing: ${missing.slice(0, 5).join('; ') || 'none'}; duplicated: ${twice.slice(0, 5).join('; ') || 'none'}`);
}
