// What every Node suite (tests/**/*.test.mjs) and server benchmark (tests/bench/) shares:
// where the binary is, the reporter whose lines tests/run.sh counts, free loopback
// ports, `identity-backend serve` started for real and stopped with a signal, and the
// sanitizer-report check of SAN=1 builds. Helpers of one family of suites stay in
// that family's own module (tests/issuer/lib.mjs, tests/interop/lib.mjs,
// tests/wasm/runtimes/common.mjs, tests/bench/proc.mjs) and import these.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkAnswer, headerObject, isWatched, openapiSummary, watchServer } from './openapi.mjs';

/** The repository's root folder. */
export const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The binary under test: $IDB_BIN (tests/run.sh sets it), else $BUILD/bin/identity-backend (BUILD: build). */
export const BIN = path.resolve(process.env.IDB_BIN || path.join(repo, process.env.BUILD || 'build', 'bin', 'identity-backend'));

// ---- every answer of an issuer, checked against www/openapi.json --------------------

// The global fetch of every suite (and of what it drives: openid-client, the browser
// helper of tests/issuer/lib.mjs) passes each answer from an issuer that launchServer
// started to checkAnswer before the caller sees it; the body is read from a clone,
// so the caller's response is untouched. The reporter's finish() turns mismatches
// into a failed check (tests/openapi.mjs says what "matches" means).
const plainFetch = globalThis.fetch;
globalThis.fetch = async function checkedFetch(input, init) {
	const res = await plainFetch(input, init);
	const url = res.url || (input instanceof Request ? input.url : String(input));
	if (!isWatched(url)) return res;
	const asked = (init?.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
	const method = res.redirected && asked !== 'HEAD' ? 'GET' : asked;
	let body;
	try {
		body = await res.clone().text();
	} catch {
		body = undefined; // aborted or reset: status and headers are still checked
	}
	await checkAnswer({ method, url, status: res.status, headers: headerObject(res.headers), body });
	return res;
};

// ---- the reporter ---------------------------------------------------------------

const LINE_MAX = 1000;
/** A detail as one clipped line: strings as they are, errors as their stack, other values as JSON. */
function oneLine(detail) {
	let s;
	try {
		if (typeof detail === 'string') s = detail;
		else if (detail instanceof Error) s = detail.stack || String(detail);
		else s = JSON.stringify(detail) ?? String(detail);
	} catch {
		s = String(detail); // a BigInt or a cycle
	}
	s = s.replace(/\s*\n\s*/g, ' | ').trim();
	return s.length > LINE_MAX ? `${s.slice(0, LINE_MAX)}…[${s.length} chars]` : s;
}

/**
 * The reporter of one suite. Every check is one line that tests/run.sh counts:
 *   ok - PREFIX: NAME
 *   not ok - PREFIX: NAME (DETAIL)        (the detail only on failure, on the same line)
 *   skip - PREFIX: NAME (WHY)
 * ("PREFIX: " is left out when prefix is ''.) Returns
 *   report(pass, name, detail): prints the line, returns pass (so `if (!report(...))` reads);
 *   skip(name, why); failures(): how many checks failed;
 *   finish(): exits 1 if a check failed or none ran (then says so in a not-ok line), else 0;
 *     when the suite received answers from an issuer it started, first one more check:
 *     every one of them matched www/openapi.json.
 */
export function reporter(prefix) {
	const label = prefix ? `${prefix}: ` : '';
	let checks = 0;
	let failed = 0;
	const report = (pass, name, detail = '') => {
		checks++;
		if (!pass) failed++;
		const why = !pass && detail !== '' && detail != null ? ` (${oneLine(detail)})` : '';
		console.log(`${pass ? 'ok' : 'not ok'} - ${label}${String(name).replace(/\s*\n\s*/g, ' ')}${why}`);
		return pass;
	};
	const skip = (name, why = '') => console.log(`skip - ${label}${name}${why ? ` (${oneLine(why)})` : ''}`);
	const finish = () => {
		const api = openapiSummary();
		if (api.checked > 0)
			report(api.mismatches.length === 0, `every answer of the issuer (${api.checked}) matched www/openapi.json`,
				`${api.mismatches.length} mismatches: ${api.mismatches.slice(0, 8).join(' | ')}`);
		if (checks === 0) report(false, 'the suite ran its checks', 'none ran');
		process.exit(failed ? 1 : 0);
	};
	return { report, skip, failures: () => failed, finish };
}

// ---- small shared pieces ----------------------------------------------------------

/** A TCP port nobody listens on right now, on 127.0.0.1. */
export function freePort() {
	return new Promise((resolve, reject) => {
		const s = net.createServer().listen(0, '127.0.0.1', () => {
			const { port } = s.address();
			s.close(() => resolve(port));
		});
		s.on('error', reject);
	});
}

/** A new private temporary folder (the caller removes it). */
export function tempDir(prefix = 'idb-') {
	return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** mulberry32: a small seeded PRNG, so that generated cases are reproducible; returns () => float in [0, 1). */
export function prng(seed) {
	let a = seed >>> 0;
	return () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

/**
 * The first line of a sanitizer report in text (SAN=1 builds: AddressSanitizer,
 * LeakSanitizer, UndefinedBehaviorSanitizer's "runtime error:", ThreadSanitizer), or
 * null. Any line naming a sanitizer counts, warnings and crash banners included.
 */
export function sanitizerReport(text) {
	const m = /^.*(Sanitizer|runtime error:).*$/m.exec(text ?? '');
	return m ? m[0] : null;
}

// ---- child processes --------------------------------------------------------------

// The issuer's configuration variables: a child never inherits them from the shell.
const ISSUER_VARS = ['JWT_ISSUER', 'JWT_EXPIRATION_MINUTES', 'JWT_SECRET_KEY', 'JWT_ALGORITHM', 'BROWSER_UI_CLIENT_SECRET', 'KEY_LEAD_SECONDS', 'ACCESS_LOG',
	'PASSWORD_ARGON2_M_KIB', 'PASSWORD_ARGON2_T', 'PASSWORD_ARGON2_P', 'PASSWORD_ARGON2_TEST', 'PASSWORD_WORKERS', 'LOGIN_LOCKOUT_THRESHOLD',
	'LOGIN_LOCKOUT_MINUTES', 'LOGIN_FAILURES_PER_ADDRESS', 'CLIENT_AUTH_FAILURES_PER_ADDRESS', 'FAILURE_WINDOW_MINUTES', 'LOGIN_FLOWS_PER_ADDRESS', 'WWW_DIR',
	'VERIFIER_DIR', 'SESSION_TTL_MINUTES', 'REFRESH_TOKEN_DAYS', 'KEY_ROTATION_DAYS', 'MAX_CONNECTIONS', 'METRICS_LISTEN', 'HTTP2', 'HTTP2_CLEARTEXT',
	'PASSWORD_MIN_LENGTH', 'PASSWORD_LIST', 'DB_POOL_SIZE', 'DB_TIMEOUT_MS', 'AUDIT_LOG',
	'SMTP_URL', 'MAIL_FROM', 'MAIL_RETRY_SECONDS', 'SMTP_CA_FILE', 'REGISTRATION', 'REGISTRATION_REQUIRE_VERIFIED', 'ACCOUNT_JSON_API'];

/**
 * The environment of a child of the binary: process.env without the issuer's
 * variables, plus env (an entry set to undefined removes it). LeakSanitizer's
 * suppression statistics (not a report) are turned off, as tests/run.sh does, so
 * that stderr stays JSON lines.
 */
export function childEnv(env = {}) {
	const e = { ...process.env };
	for (const k of ISSUER_VARS) delete e[k];
	if (e.LSAN_OPTIONS && !e.LSAN_OPTIONS.includes('print_suppressions')) e.LSAN_OPTIONS += ':print_suppressions=0';
	for (const [k, v] of Object.entries(env)) {
		if (v === undefined) delete e[k];
		else e[k] = v;
	}
	return e;
}

/** Resolves {code, signal} once child has exited (at once if it already has). */
export function exited(child) {
	return new Promise((resolve) => {
		if (child.exitCode !== null || child.signalCode !== null) resolve({ code: child.exitCode, signal: child.signalCode });
		else child.once('exit', (code, signal) => resolve({ code, signal }));
	});
}

/** Sends child signal, then SIGKILL if it is still there after killAfterMs; resolves {code, signal}. */
export async function stopChild(child, { signal = 'SIGTERM', killAfterMs = 5000 } = {}) {
	if (child.exitCode !== null || child.signalCode !== null) return exited(child);
	child.kill(signal);
	const t = killAfterMs > 0 ? setTimeout(() => child.kill('SIGKILL'), killAfterMs) : null;
	const r = await exited(child);
	clearTimeout(t);
	return r;
}

// ---- the issuer's server ------------------------------------------------------------

/**
 * The arguments of `serve`: --db DB, --listen 127.0.0.1:PORT, --threads N and --issuer URL
 * when given (null or undefined leaves one out, for the binary's default), then args.
 */
export function serveArgs({ db, port, threads, issuer, args = [] } = {}) {
	return [
		'serve',
		...(db != null ? ['--db', db] : []),
		...(port != null ? ['--listen', `127.0.0.1:${port}`] : []),
		...(threads != null ? ['--threads', String(threads)] : []),
		...(issuer != null ? ['--issuer', issuer] : []),
		...args,
	];
}

const live = new Set(); // servers still running: killed if the suite exits without stopping them
process.on('exit', () => {
	for (const c of live) {
		try {
			c.kill('SIGKILL');
		} catch {}
	}
});

/**
 * Starts `identity-backend serve` and resolves once the outcome is known: it logged
 * "listening", it exited, or readyMs passed. Options: db, port (default: a free one),
 * threads (2), issuer (default: http://127.0.0.1:PORT; null: none), args (more
 * arguments), env (added to childEnv(): the issuer's variables are not inherited),
 * cwd, readyMs (20000). Never rejects. /metrics has its own listener (METRICS_LISTEN)
 * on another free port unless env names METRICS_LISTEN (undefined: none). The server:
 *   outcome: 'listening' | 'exited' | 'hang';  port, base, child;
 *   metrics: the base URL of that listener (`${s.metrics}/metrics`), or undefined;
 *   stderr(), stdout(): everything it printed so far (all of it once it has exited);
 *   exited: resolves {code, signal, ms} (ms since the spawn; code -1 if it could not run);
 *   stop(signal = 'SIGTERM', {killAfterMs = 30000}): signal, SIGKILL after killAfterMs,
 *     resolves {code, signal, stderr, stdout, ms} (ms since the signal).
 */
export async function launchServer({ db, port, threads = 2, issuer, args = [], env = {}, cwd, readyMs = 20000 } = {}) {
	if (port === undefined) port = await freePort();
	const base = port != null ? `http://127.0.0.1:${port}` : undefined;
	let metrics;
	if (!('METRICS_LISTEN' in env)) {
		let mport;
		do mport = await freePort();
		while (mport === port);
		env = { ...env, METRICS_LISTEN: `127.0.0.1:${mport}` };
		metrics = `http://127.0.0.1:${mport}`;
	}
	if (port != null) watchServer(port, issuer ? new URL(issuer).pathname : '');
	if (metrics) watchServer(new URL(metrics).port, '', true);
	const t0 = Date.now();
	const child = spawn(BIN, serveArgs({ db, port, threads, issuer: issuer === undefined ? base : issuer, args }), {
		env: childEnv(env),
		cwd,
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	live.add(child);
	const err = [], out = [];
	let errText = null, outText = null, spawnError = '';
	const stderr = () => (errText ??= spawnError + Buffer.concat(err).toString('utf8'));
	const stdout = () => (outText ??= Buffer.concat(out).toString('utf8'));
	child.stderr.on('data', (d) => (err.push(d), (errText = null)));
	child.stdout.on('data', (d) => (out.push(d), (outText = null)));
	// Resolves when the process has gone and its output has been read to the end.
	const closed = new Promise((resolve) => {
		child.on('close', (code, signal) => resolve({ code, signal, ms: Date.now() - t0 }));
		child.on('error', (e) => {
			spawnError += `spawn failed: ${e.message}\n`;
			errText = null;
			resolve({ code: -1, signal: null, ms: Date.now() - t0 });
		});
	});
	const exitedP = new Promise((resolve) => {
		child.on('exit', (code, signal) => resolve({ code, signal, ms: Date.now() - t0 }));
		closed.then(resolve);
	});
	exitedP.then(() => live.delete(child));

	const outcome = await new Promise((resolve) => {
		const timer = setTimeout(() => resolve('hang'), readyMs);
		const onData = () => {
			if (stderr().includes('"msg":"listening"')) {
				child.stderr.off('data', onData);
				clearTimeout(timer);
				resolve('listening');
			}
		};
		child.stderr.on('data', onData);
		closed.then(() => {
			clearTimeout(timer);
			resolve('exited');
		});
	});
	return {
		outcome,
		port,
		base,
		metrics,
		child,
		stderr,
		stdout,
		exited: exitedP,
		async stop(signal = 'SIGTERM', { killAfterMs = 30000 } = {}) {
			const s0 = Date.now();
			const r = await stopChild(child, { signal, killAfterMs });
			await closed;
			return { ...r, stderr: stderr(), stdout: stdout(), ms: Date.now() - s0 };
		},
	};
}

/**
 * launchServer(opts), for suites that need the server up: resolves it once it is
 * listening, rejects (and kills it) when it exits first or is not listening within
 * readyMs.
 */
export async function startServer(opts = {}) {
	const s = await launchServer(opts);
	if (s.outcome === 'listening') return s;
	if (s.outcome === 'hang') {
		await s.stop('SIGKILL');
		throw new Error(`not listening after ${opts.readyMs ?? 20000} ms: ${s.stderr()}`);
	}
	const x = await s.exited;
	throw new Error(`serve exited (${x.code ?? x.signal}) before listening: ${s.stderr()}`);
}

/**
 * The checks every stopped server gets: it exited 0 (r: what stop() resolved) and
 * its stderr holds no sanitizer report. Returns whether both passed.
 */
export function checkStopped(report, r, name) {
	const clean = report(r.code === 0, `${name}: SIGTERM → exit 0`, `code ${r.code} signal ${r.signal} after ${r.ms} ms`);
	const san = sanitizerReport(r.stderr);
	return report(!san, `${name}: no sanitizer report on the server's stderr`, san) && clean;
}

/**
 * Run a suite's body: a throw is one failed check ("suite ran to the end") rather than a
 * crash, every server still in `servers` is killed, the duration is printed, and
 * finish() ends the process with the suite's status.
 */
export async function runSuite({ report, finish }, servers, body) {
	const t0 = Date.now();
	try {
		await body();
	} catch (e) {
		report(false, 'suite ran to the end', e.stack);
	} finally {
		for (const s of servers) s.child.kill('SIGKILL');
		console.log(`# the suite ran in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
	}
	finish();
}

/**
 * The servers one suite starts: serve(opts) starts one (startServer) and remembers
 * it; stop(s, name) stops it with SIGTERM, reports checkStopped(), and returns its
 * stderr; `servers` is what is still running (kill these when the suite fails).
 */
export function serverSet(report) {
	const servers = [];
	async function serve(opts) {
		const s = await startServer(opts);
		servers.push(s);
		return s;
	}
	async function stop(s, name) {
		const r = await s.stop();
		servers.splice(servers.indexOf(s), 1);
		checkStopped(report, r, name);
		return r.stderr;
	}
	return { servers, serve, stop };
}

// ---- a real PostgreSQL and a real HAProxy --------------------------------------------

const stopAtExit = new Set(); // stop functions still to run if the suite exits early
process.on('exit', () => {
	for (const f of stopAtExit) f();
});

/**
 * A throwaway PostgreSQL server (tests/pg.sh: initdb in a new temporary folder, a
 * free port, trust authentication on loopback). Resolves {url, dir, pid(), stop()}:
 * url is the superuser's postgresql:// URL of database "postgres"; stop() stops it
 * and removes the folder (also run at exit if the suite never calls it).
 */
export async function startPostgres() {
	const dir = tempDir('idb-pg-');
	const { execFileSync } = await import('node:child_process');
	const script = path.join(repo, 'tests', 'pg.sh');
	const url = execFileSync('bash', [script, 'start', dir], { encoding: 'utf8', timeout: 120000 }).trim();
	const stop = () => {
		stopAtExit.delete(stop);
		try {
			execFileSync('bash', [script, 'stop', dir], { stdio: 'ignore', timeout: 60000 });
		} catch {}
	};
	stopAtExit.add(stop);
	const pid = () => Number(fs.readFileSync(path.join(dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
	return { url, dir, pid, stop };
}

/**
 * HAProxy (Debian's haproxy) in the foreground on 127.0.0.1:port, balancing HTTP
 * requests round-robin over the given backend ports, with health checks on
 * /health/live every 300 ms, retries with redispatch (a connection refused by a
 * dead server goes to another) and X-Forwarded-For. Resolves {port, child, stop()}
 * once it accepts connections; rejects if it exits or does not within 10 s.
 */
export async function startHaproxy(port, backends) {
	const dir = tempDir('idb-haproxy-');
	const cfg = path.join(dir, 'haproxy.cfg');
	fs.writeFileSync(cfg, [
		'global', '  maxconn 4096',
		'defaults', '  mode http', '  timeout connect 2s', '  timeout client 30s', '  timeout server 30s',
		'  retries 3', '  option redispatch', '  option forwardfor',
		'frontend fe', `  bind 127.0.0.1:${port}`, '  default_backend be',
		'backend be', '  balance roundrobin', '  option httpchk GET /health/live',
		...backends.map((p, i) => `  server r${i} 127.0.0.1:${p} check inter 300 fall 1 rise 1`),
		'',
	].join('\n'));
	const bin = fs.existsSync('/usr/sbin/haproxy') ? '/usr/sbin/haproxy' : 'haproxy';
	const child = spawn(bin, ['-f', cfg, '-db'], { stdio: ['ignore', 'ignore', 'pipe'] });
	let err = '';
	child.stderr.on('data', (d) => (err += d));
	const stop = async () => {
		stopAtExit.delete(kill);
		await stopChild(child, { killAfterMs: 3000 });
		fs.rmSync(dir, { recursive: true, force: true });
	};
	const kill = () => child.kill('SIGKILL');
	stopAtExit.add(kill);
	for (const t0 = Date.now(); Date.now() - t0 < 10000; await sleep(50)) {
		if (child.exitCode !== null) throw new Error(`haproxy exited: ${err}`);
		const up = await new Promise((resolve) => {
			const s = net.connect(port, '127.0.0.1', () => (s.end(), resolve(true)));
			s.on('error', () => resolve(false));
		});
		if (up) return { port, child, stop, stderr: () => err };
	}
	await stop();
	throw new Error(`haproxy not accepting on ${port}: ${err}`);
}
