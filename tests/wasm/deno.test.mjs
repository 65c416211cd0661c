// The WASM package in Deno, as users get it: `npm pack`, installed into a temp
// folder, then runtimes/deno-runner.mjs runs the shared suite there under
// `deno run --allow-read=<tmp>` (no other permission) with jose-minted fixtures
// handed over as JSON, in both crypto modes: 'auto' (the package name resolves to
// node.js through the "deno" condition: the small module, Deno's node:crypto) and
// 'wasm' (the full module). Results come back as JSON lines and are relayed here.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { reporter } from '../lib.mjs';
import { atExit, bin, fixturesAndExpectedNames, packAndInstall, relay, suitePath, watchdog } from './runtimes/common.mjs';

const suite = reporter('wasm/deno');
const { report } = suite;
watchdog(suite, 150);
const t0 = Date.now();

try {
	const { tmp, pkgDir } = packAndInstall('deno');
	const opts = { modes: ['auto', 'wasm', 'auto+async'], expectCrypto: { auto: 'host', wasm: 'wasm', 'auto+async': 'host' } };
	const { fixtures, names } = await fixturesAndExpectedNames(pkgDir, opts);
	fs.writeFileSync(path.join(tmp, 'fixtures.json'), JSON.stringify({ ...fixtures, opts }));
	fs.copyFileSync(suitePath, path.join(tmp, 'suite.mjs'));
	fs.copyFileSync(new URL('./runtimes/deno-runner.mjs', import.meta.url), path.join(tmp, 'runner.mjs'));

	const child = spawn(bin('deno'), ['run', '--no-prompt', `--allow-read=${tmp}`, path.join(tmp, 'runner.mjs')], {
		cwd: tmp,
		env: { ...process.env, DENO_DIR: path.join(tmp, '.deno'), DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1' },
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	atExit(() => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL'));
	let stdout = '';
	let stderr = '';
	child.stdout.on('data', (d) => (stdout += d));
	child.stderr.on('data', (d) => (stderr += d));
	const status = await new Promise((resolve) => child.on('close', (code, sig) => resolve(sig ?? code)));

	const results = [];
	let done = false;
	let fatal;
	for (const line of stdout.split('\n')) {
		if (!line.trim()) continue;
		let o;
		try {
			o = JSON.parse(line);
		} catch {
			continue; // not ours
		}
		if (o.done) done = true;
		else if (o.fatal) fatal = o.fatal;
		else if (typeof o.name === 'string') results.push(o);
	}
	report(status === 0 && done && !fatal, 'deno ran the suite to the end',
		`exit ${status}; ${fatal ? `fatal: ${fatal}` : done ? '' : 'no end marker'}; stderr: ${stderr.trim().slice(-800)}`);
	relay(report, results, names);
} catch (e) {
	report(false, 'runner set-up', e && e.stack);
}
console.log(`# wasm/deno: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
suite.finish();
