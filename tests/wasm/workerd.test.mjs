// The WASM package in workerd (Cloudflare's Workers runtime), as users get it:
// `npm pack`, installed into a temp folder, and bundled into a Worker the way
// wrangler would: index.js as the ES module '@identity-backend/verifier', its
// dist/verifier.wasm as the `wasm` module '@identity-backend/verifier/verifier.wasm'
// (a precompiled WebAssembly.Module handed to createVerifier), the shared suite,
// and the jose-minted fixtures as a `json` module. workerd serves it on a
// loopback port it picks itself (reported on --control-fd); GET / runs the suite.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { reporter } from '../lib.mjs';
import { atExit, bin, fixturesAndExpectedNames, packAndInstall, relay, suitePath, watchdog } from './runtimes/common.mjs';

const suite = reporter('wasm/workerd');
const { report } = suite;
watchdog(suite, 55);
const t0 = Date.now();

const CONFIG = `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [(name = "main", worker = .verifierWorker)],
  sockets = [(name = "http", address = "127.0.0.1:0", http = (), service = "main")],
);

const verifierWorker :Workerd.Worker = (
  modules = [
    (name = "worker.mjs", esModule = embed "worker.mjs"),
    (name = "@identity-backend/verifier", esModule = embed "node_modules/@identity-backend/verifier/index.js"),
    (name = "@identity-backend/verifier/verifier.wasm", wasm = embed "node_modules/@identity-backend/verifier/dist/verifier.wasm"),
    (name = "suite.mjs", esModule = embed "suite.mjs"),
    (name = "fixtures.json", json = embed "fixtures.json"),
  ],
  compatibilityDate = "2024-09-23",
);
`;

let child;
try {
	const { tmp, pkgDir } = packAndInstall('workerd');
	const { fixtures, names } = await fixturesAndExpectedNames(pkgDir);
	fs.writeFileSync(path.join(tmp, 'fixtures.json'), JSON.stringify(fixtures));
	fs.copyFileSync(suitePath, path.join(tmp, 'suite.mjs'));
	fs.copyFileSync(new URL('./runtimes/workerd-worker.mjs', import.meta.url), path.join(tmp, 'worker.mjs'));
	fs.writeFileSync(path.join(tmp, 'config.capnp'), CONFIG);

	child = spawn(bin('workerd'), ['serve', 'config.capnp', '--control-fd', '3'], { cwd: tmp, stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
	atExit(() => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL'));
	let stderr = '';
	child.stdout.on('data', (d) => (stderr += d));
	child.stderr.on('data', (d) => (stderr += d));
	const exited = new Promise((resolve) => child.on('exit', (code, sig) => resolve(`exited (${sig ?? code})`)));

	// Wait for {"event":"listen","socket":"http","port":N} on the control pipe.
	const port = await Promise.race([
		new Promise((resolve) => {
			let ctl = '';
			child.stdio[3].on('data', (d) => {
				ctl += d;
				for (const line of ctl.split('\n')) {
					try {
						const m = JSON.parse(line);
						if (m.event === 'listen' && m.socket === 'http') resolve(m.port);
					} catch {}
				}
			});
		}),
		exited,
		new Promise((resolve) => setTimeout(resolve, 20000, 'did not listen within 20 s')),
	]);
	if (typeof port !== 'number') throw new Error(`workerd ${port}: ${stderr.trim().slice(-1500)}`);
	report(true, 'workerd started and listens on loopback');

	let body;
	try {
		const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(35000) });
		const text = await res.text();
		try {
			body = JSON.parse(text);
		} catch {
			body = { results: [], fatal: `HTTP ${res.status}: ${text.slice(0, 500)}` };
		}
	} catch (e) {
		body = { results: [], fatal: `GET /: ${e.message}` };
	}
	report(body.done === true && !body.fatal, 'the worker ran the suite to the end', `${body.fatal ?? 'not done'}; workerd: ${stderr.trim().slice(-800)}`);
	relay(report, body.results ?? [], names);
} catch (e) {
	report(false, 'runner set-up', e && e.stack);
} finally {
	if (child && child.exitCode === null && child.signalCode === null) {
		const gone = new Promise((resolve) => child.once('exit', resolve));
		child.kill('SIGTERM');
		const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
		await gone;
		clearTimeout(timer);
	}
}
console.log(`# wasm/workerd: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
suite.finish();
