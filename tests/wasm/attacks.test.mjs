// The attack corpus of tests/interop/attacks.test.mjs, run against the WASM package
// as users get it (npm pack, installed), once per mode: the suite runs unchanged
// with its `identity-backend verify` runs answered by the package in-process
// (runtimes/cli-emulator.mjs), so every expectation written for the native
// binary judges the package too:
//   auto        node.js entry: the small module, node:crypto's arithmetic;
//   wasm        node.js entry, crypto: 'wasm': the full module, wolfCrypt's;
//   host+wasm   index.js (the browser and Workers entry) in Node: the full module
//               with node:crypto found through process.getBuiltinModule, as in
//               workerd with nodejs_compat.
// Each child's lines are relayed with the mode in front.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { repo, reporter } from '../lib.mjs';
import { packAndInstall, watchdog } from './runtimes/common.mjs';

const suite = reporter('wasm/attacks');
watchdog(suite, 280);
const t0 = Date.now();
const here = path.dirname(fileURLToPath(import.meta.url));

function runMode(mode, entry, crypto) {
	return new Promise((resolve) => {
		const child = spawn(process.execPath, ['--import', path.join(here, 'runtimes', 'cli-emulator.mjs'), path.join(repo, 'tests', 'interop', 'attacks.test.mjs')], {
			env: { ...process.env, IDB_EMULATE_CRYPTO: crypto, IDB_PACKAGE_ENTRY: entry },
			stdio: ['ignore', 'pipe', 'pipe'],
		});
		let out = '';
		let err = '';
		child.stdout.on('data', (d) => (out += d));
		child.stderr.on('data', (d) => (err += d));
		child.on('close', (status) => resolve({ mode, status, out, err }));
	});
}

try {
	const { pkgDir } = packAndInstall('attacks');
	for (const [mode, file, crypto] of [['auto', 'node.js', 'auto'], ['wasm', 'node.js', 'wasm'], ['host+wasm', 'index.js', 'auto']]) {
		const t = Date.now();
		const r = await runMode(mode, path.join(pkgDir, file), crypto);
		let n = 0;
		for (const line of r.out.split('\n')) {
			const m = /^(ok|not ok|skip) - (.*)$/.exec(line);
			if (!m) continue;
			n++;
			if (m[1] === 'skip') suite.skip(`${mode}: ${m[2]}`);
			else suite.report(m[1] === 'ok', `${mode}: ${m[2]}`);
		}
		suite.report(n > 1000 && r.status === 0, `${mode}: the attack corpus ran to the end through the package (${n} checks, ${((Date.now() - t) / 1000).toFixed(1)} s)`,
			`exit ${r.status}; ${r.err.trim().slice(-600)}`);
	}
} catch (e) {
	suite.report(false, 'runner set-up', e && e.stack);
}
console.log(`# wasm/attacks: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
suite.finish();
