// The WASM package in workerd (Cloudflare's Workers runtime), as users get it:
// `npm pack`, installed into a temp folder, and bundled into a Worker the way
// wrangler would: index.js as the ES module '@identity-backend/verifier', its
// dist/verifier.wasm as the `wasm` module '@identity-backend/verifier/verifier.wasm'
// (a precompiled WebAssembly.Module handed to createVerifier), the shared suite,
// and the jose-minted fixtures as a `json` module. workerd serves it on a
// loopback port it picks itself (reported on --control-fd); GET / runs the suite.
// Twice: plain workerd (no node:crypto: both modes are the full module's
// wolfCrypt) and with nodejs_compat (crypto 'auto' finds node:crypto through
// process.getBuiltinModule: the host's arithmetic, wolfCrypt behind it).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { reporter } from '../lib.mjs';
import { atExit, bin, fixturesAndExpectedNames, packAndInstall, relay, suitePath, watchdog } from './runtimes/common.mjs';

const suite = reporter('wasm/workerd');
const { report } = suite;
watchdog(suite, 170);
const t0 = Date.now();

const config = (flags) => `using Workerd = import "/workerd/workerd.capnp";

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
  compatibilityDate = "2025-09-01",
  compatibilityFlags = [${flags}],
);
`;

/** Start workerd on tmp's config; resolves the port it listens on, or throws. */
async function start(tmp, file) {
	const child = spawn(bin('workerd'), ['serve', file, '--control-fd', '3'], { cwd: tmp, stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
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
	return { child, port, log: () => stderr };
}

async function stop(child) {
	if (!child || child.exitCode !== null || child.signalCode !== null) return;
	const gone = new Promise((resolve) => child.once('exit', resolve));
	child.kill('SIGTERM');
	const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
	await gone;
	clearTimeout(timer);
}

const RUNS = [
	// verifyAsync: WebCrypto's arithmetic in plain workerd, node:crypto's with nodejs_compat.
	['', '', { modes: ['auto', 'wasm', 'auto+async'], expectCrypto: { auto: 'wasm', wasm: 'wasm', 'auto+async': 'webcrypto' } }],
	['nodejs_compat: ', '"nodejs_compat"', { modes: ['auto', 'wasm', 'auto+async'], expectCrypto: { auto: 'host+wasm', wasm: 'wasm', 'auto+async': 'host+wasm' } }],
];
try {
	const { tmp, pkgDir } = packAndInstall('workerd');
	fs.copyFileSync(suitePath, path.join(tmp, 'suite.mjs'));
	fs.copyFileSync(new URL('./runtimes/workerd-worker.mjs', import.meta.url), path.join(tmp, 'worker.mjs'));
	for (const [prefix, flags, opts] of RUNS) {
		let w;
		try {
			const { fixtures, names } = await fixturesAndExpectedNames(pkgDir, opts);
			fs.writeFileSync(path.join(tmp, 'fixtures.json'), JSON.stringify({ ...fixtures, opts }));
			fs.writeFileSync(path.join(tmp, 'config.capnp'), config(flags));
			w = await start(tmp, 'config.capnp');
			report(true, `${prefix}workerd started and listens on loopback`);
			let body;
			try {
				const res = await fetch(`http://127.0.0.1:${w.port}/`, { signal: AbortSignal.timeout(60000) });
				const text = await res.text();
				try {
					body = JSON.parse(text);
				} catch {
					body = { results: [], fatal: `HTTP ${res.status}: ${text.slice(0, 500)}` };
				}
			} catch (e) {
				body = { results: [], fatal: `GET /: ${e.message}` };
			}
			report(body.done === true && !body.fatal, `${prefix}the worker ran the suite to the end`, `${body.fatal ?? 'not done'}; workerd: ${w.log().trim().slice(-800)}`);
			relay(report, body.results ?? [], names, prefix);
		} finally {
			await stop(w?.child);
		}
	}
} catch (e) {
	report(false, 'runner set-up', e && e.stack);
}
console.log(`# wasm/workerd: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
suite.finish();
