// install.test.mjs: `make install` and `make uninstall` as an operator runs them, into a
// temporary PREFIX: every file in place with sane modes, the installed binary serving its
// pages and the verifier package from share/ by itself, the systemd unit clean for
// `systemd-analyze verify` and sandboxed to an exposure of at most 2.0, `make run PORT=`,
// and an uninstall that leaves no file behind.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { childEnv, freePort, repo, reporter, stopChild, tempDir } from '../lib.mjs';
import { hreq, until } from './lib.mjs';

const { report, skip, finish } = reporter('issuer/install');
const tmp = tempDir('idb-install-');
const prefix = path.join(tmp, 'prefix');
// The build that is being tested (tests/run.sh sets BUILD=build/san for SAN=1).
const SAN = (process.env.BUILD ?? 'build').endsWith('san') ? ['SAN=1'] : [];
// A make of its own, not a part of the `make test` that may be running this suite.
const MAKE_ENV = { MAKEFLAGS: undefined, MFLAGS: undefined, MAKELEVEL: undefined };
const make = (args) => spawnSync('make', ['-s', '-C', repo, ...SAN, ...args], { encoding: 'utf8', env: childEnv(MAKE_ENV), timeout: 300000 });
const files = (dir) => (fs.existsSync(dir) ? fs.readdirSync(dir, { recursive: true }).filter((f) => fs.statSync(path.join(dir, f)).isFile()) : []);
const mode = (f) => (fs.statSync(f).mode & 0o777).toString(8);
const t0 = Date.now();
let server;

try {
	let r = make(['install', `PREFIX=${prefix}`]);
	report(r.status === 0, `make install PREFIX=${prefix}: exit 0`, r.stderr.slice(-400));
	const bin = path.join(prefix, 'bin/identity-backend');
	const unit = path.join(prefix, 'lib/systemd/system/identity-backend.service');
	const share = path.join(prefix, 'share/identity-backend');
	const doc = path.join(prefix, 'share/doc/identity-backend');
	report(fs.existsSync(bin) && mode(bin) === '755', 'the binary, mode 755', fs.existsSync(bin) && mode(bin));
	report(['www/demo/index.html', 'www/demo/demo.js', 'www/inspect/index.html', 'www/inspect/inspect.js', 'verifier-wasm/index.js', 'verifier-wasm/dist/verifier.wasm'].every((f) => fs.existsSync(path.join(share, f)) && mode(path.join(share, f)) === '644'),
		'the demo app, the inspector and the verifier package under share/identity-backend/, mode 644', files(share).join(' '));
	report(!files(share).some((f) => f.endsWith('README.md')), 'no development files among them (READMEs stay in the source tree)');
	report(['LICENSE', 'NOTICE', 'GPL-2.0.txt', 'README.md', 'usage.txt'].every((f) => fs.existsSync(path.join(doc, f))) && fs.readFileSync(path.join(doc, 'usage.txt'), 'utf8').includes('identity-backend <command>'),
		'the license files, the README and the usage text under share/doc/identity-backend/');
	const u = fs.existsSync(unit) ? fs.readFileSync(unit, 'utf8') : '';
	report(u.includes(`ExecStart=${bin} serve --db /var/lib/identity-backend/identity.db`) && u.includes('StateDirectory=identity-backend') && !/@[A-Z]+@/.test(u), 'the systemd unit names the installed binary and the state folder, no placeholder left', u.split('\n').find((l) => l.startsWith('ExecStart')));

	// The installed binary finds its pages and the package by itself.
	const port = await freePort();
	server = spawn(bin, ['serve', '--listen', `127.0.0.1:${port}`, '--db', path.join(tmp, 'id.db')], { env: childEnv(), stdio: ['ignore', 'ignore', 'pipe'] });
	let err = '';
	server.stderr.on('data', (d) => (err += d));
	const up = await until(() => err.includes('"msg":"listening"'), 20000);
	const base = `http://127.0.0.1:${port}`;
	const demo = await hreq(`${base}/demo/`), insp = await hreq(`${base}/inspect/`), wasm = await hreq(`${base}/demo/verifier/dist/verifier.wasm`);
	report(up && (await hreq(`${base}/ping`)).text === 'OK' && demo.status === 200 && insp.status === 200 && wasm.status === 200 && !err.includes('"level":"warn"'),
		'the installed binary serves /ping, /demo/, /inspect/ and the verifier package, with no warning', `${demo.status} ${insp.status} ${wasm.status} ${err.slice(0, 300)}`);
	await stopChild(server);
	server = null;

	if (spawnSync('systemd-analyze', ['--version']).status !== 0) {
		skip('systemd-analyze checks', 'systemd-analyze is not installed');
	} else {
		r = spawnSync('systemd-analyze', ['verify', unit], { encoding: 'utf8' });
		report(r.status === 0 && r.stderr.trim() === '', 'systemd-analyze verify: clean', r.stderr);
		r = spawnSync('systemd-analyze', ['security', '--offline=true', '--no-pager', unit], { encoding: 'utf8' });
		const level = Number(/Overall exposure level for identity-backend\.service: ([\d.]+)/.exec(r.stdout)?.[1]);
		report(level <= 2.0, `systemd-analyze security: exposure ${level} (at most 2.0)`, r.stdout.slice(-300) + r.stderr);
	}

	r = make(['uninstall', `PREFIX=${prefix}`]);
	report(r.status === 0 && files(prefix).length === 0, 'make uninstall: exit 0, no file left under the prefix', files(prefix).join(' '));

	// make run PORT=N: the server on that port, the demo registered for it.
	const rport = await freePort();
	const runDb = path.join(tmp, 'run.db');
	// Its own process group: make, the script and the server it execs are stopped together.
	const run = spawn('make', ['-s', '-C', repo, ...SAN, 'run', `PORT=${rport}`], { env: childEnv({ ...MAKE_ENV, DB: runDb }), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
	let out = '';
	run.stdout.on('data', (d) => (out += d));
	run.stderr.on('data', (d) => (out += d));
	const listening = await until(() => out.includes('"msg":"listening"'), 60000);
	const disc = await hreq(`http://127.0.0.1:${rport}/.well-known/openid-configuration`);
	report(listening && disc.json?.issuer === `http://127.0.0.1:${rport}` && out.includes(`http://127.0.0.1:${rport}/demo/`), `make run PORT=${rport}: serves there, issuer and demo URL follow`, out.slice(-300));
	const gone = new Promise((res) => (run.exitCode !== null ? res() : run.on('exit', res)));
	process.kill(-run.pid, 'SIGTERM');
	await gone;
	const left = () => spawnSync('pgrep', ['-f', `127.0.0.1:${rport}`], { encoding: 'utf8' }).stdout.trim();
	report(await until(() => !left(), 5000), 'make run stops with its process group: no server left behind', left());
} catch (e) {
	report(false, 'suite ran to the end', e.stack);
} finally {
	if (server) server.kill('SIGKILL');
	console.log(`# the suite ran in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}
finish();
