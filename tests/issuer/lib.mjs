// Shared helpers of the issuer's Node integration tests: the binary, a reporter
// that prints one "ok - …" / "not ok - …" line per check (tests/run.sh counts
// them), free loopback ports, temporary folders, a CLI runner, a server that is
// started for real and stopped with SIGTERM, HTTP/1.1 over keep-alive agents,
// raw TCP, a seeded PRNG, and the sanitizer-report detector (SAN=1 builds).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = path.resolve(process.env.IDB_BIN || path.join(repo, 'build/bin/identity-backend'));

/** A reporter for suite `suite`: report(pass, name, detail) and failures(). */
export function reporter(suite) {
	let failed = 0;
	const report = (pass, name, detail = '') => {
		if (!pass) failed++;
		const d = typeof detail === 'string' ? detail : JSON.stringify(detail);
		console.log(`${pass ? 'ok' : 'not ok'} - ${suite}: ${name}${pass ? '' : ` (${String(d).slice(0, 600)})`}`);
		return pass;
	};
	return { report, failures: () => failed };
}

/** A TCP port nobody listens on right now. */
export function freePort() {
	return new Promise((resolve, reject) => {
		const s = net.createServer().listen(0, '127.0.0.1', () => {
			const { port } = s.address();
			s.close(() => resolve(port));
		});
		s.on('error', reject);
	});
}

/** A new private temporary folder. */
export function tempDir(prefix = 'idb-') {
	return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Sanitizer reports (ASan, LSan, UBSan, TSan) in text: the first such line, or null. */
export function sanitizerReport(text) {
	const m = /^.*(ERROR: (AddressSanitizer|LeakSanitizer|ThreadSanitizer)|runtime error:|WARNING: ThreadSanitizer).*$/m.exec(text ?? '');
	return m ? m[0] : null;
}

/**
 * The environment of a child: process.env without the issuer's variables, plus
 * env (undefined removes). LeakSanitizer's suppression statistics (not a
 * report) are turned off, as tests/run.sh does, so stderr stays JSON lines.
 */
function childEnv(env) {
	const e = { ...process.env };
	for (const k of ['JWT_ISSUER', 'JWT_EXPIRATION_MINUTES', 'JWT_SECRET_KEY', 'JWT_ALGORITHM', 'BROWSER_UI_CLIENT_SECRET', 'KEY_LEAD_SECONDS', 'ACCESS_LOG',
		'PASSWORD_ARGON2_M_KIB', 'PASSWORD_ARGON2_T', 'PASSWORD_ARGON2_P', 'PASSWORD_ARGON2_TEST', 'PASSWORD_WORKERS', 'LOGIN_LOCKOUT_THRESHOLD',
		'LOGIN_LOCKOUT_MINUTES', 'LOGIN_FAILURES_PER_ADDRESS', 'CLIENT_AUTH_FAILURES_PER_ADDRESS', 'FAILURE_WINDOW_MINUTES', 'WWW_DIR',
		'VERIFIER_DIR', 'SESSION_TTL_MINUTES', 'REFRESH_TOKEN_DAYS']) delete e[k];
	if (e.LSAN_OPTIONS && !e.LSAN_OPTIONS.includes('print_suppressions')) e.LSAN_OPTIONS += ':print_suppressions=0';
	for (const [k, v] of Object.entries(env)) if (v === undefined) delete e[k];
		else e[k] = v;
	return e;
}

/** Every stderr of every CLI run, for the sanitizer check and leak searches. */
export const cliTranscript = [];

/**
 * Run the binary with args; env entries add to (undefined: remove from) the
 * environment. Resolves {code, signal, stdout, stderr, json}.
 */
export function run(args, { env = {}, input = '', timeout = 60000 } = {}) {
	return new Promise((resolve, reject) => {
		const p = spawn(BIN, args, { env: childEnv(env), stdio: ['pipe', 'pipe', 'pipe'] });
		let stdout = '', stderr = '';
		p.stdout.on('data', (d) => (stdout += d));
		p.stderr.on('data', (d) => (stderr += d));
		p.on('error', reject);
		const timer = setTimeout(() => p.kill('SIGKILL'), timeout);
		p.on('close', (code, signal) => {
			clearTimeout(timer);
			cliTranscript.push(stderr);
			let json;
			try {
				json = JSON.parse(stdout);
			} catch {
				json = undefined;
			}
			resolve({ code, signal, stdout, stderr, json });
		});
		p.stdin.on('error', () => {});
		p.stdin.end(input);
	});
}

/** `client add` into db; resolves {client_id, client_secret}; throws when it fails. */
export async function addClient(db, id, args = []) {
	const r = await run(['client', 'add', '--db', db, '--id', id, ...args]);
	if (r.code !== 0 || !r.json) throw new Error(`client add ${id}: exit ${r.code}: ${r.stderr}`);
	return r.json;
}

/**
 * Start `serve` on a free loopback port with issuer http://127.0.0.1:PORT.
 * Resolves when it logs "listening": {port, base, child, stderr(), stop()}.
 * stop() sends SIGTERM and resolves {code, signal, stderr, ms}.
 */
export async function startServer({ db, threads = 2, env = {}, args = [], readyMs = 20000 } = {}) {
	const port = await freePort();
	const base = `http://127.0.0.1:${port}`;
	const e = childEnv(env);
	const child = spawn(BIN, ['serve', '--listen', `127.0.0.1:${port}`, '--db', db, '--threads', String(threads), '--issuer', base, ...args], {
		env: e,
		stdio: ['ignore', 'ignore', 'pipe'],
	});
	const chunks = [];
	let text = null;
	const stderr = () => (text ??= Buffer.concat(chunks).toString('utf8'));
	const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
	await new Promise((resolve, reject) => {
		const timer = setTimeout(() => reject(new Error(`not listening after ${readyMs} ms: ${stderr()}`)), readyMs);
		child.stderr.on('data', (d) => {
			chunks.push(d);
			text = null;
			if (stderr().includes('"msg":"listening"')) {
				clearTimeout(timer);
				resolve();
			}
		});
		exited.then(({ code, signal }) => {
			clearTimeout(timer);
			reject(new Error(`serve exited (${code ?? signal}) before listening: ${stderr()}`));
		});
	});
	const closed = new Promise((resolve) => child.stderr.on('close', resolve));
	return {
		port,
		base,
		child,
		stderr,
		async stop(signal = 'SIGTERM') {
			const t0 = Date.now();
			child.kill(signal);
			const r = await exited;
			await closed;
			return { ...r, stderr: stderr(), ms: Date.now() - t0 };
		},
	};
}

/**
 * One HTTP/1.1 request with node:http (agent: a keep-alive pool). Never
 * rejects: resolves {status, headers, text, json} or {status: 0, error}.
 */
export function hreq(url, { method = 'GET', headers = {}, body, agent, timeout = 15000 } = {}) {
	return new Promise((resolve) => {
		const u = new URL(url);
		const h = { ...headers };
		if (body != null && !Object.keys(h).some((k) => k.toLowerCase() === 'content-length')) h['content-length'] = Buffer.byteLength(body);
		let req;
		try {
			req = http.request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method, headers: h, agent }, (res) => {
				const parts = [];
				res.on('data', (c) => parts.push(c));
				res.on('end', () => {
					const text = Buffer.concat(parts).toString('utf8');
					let json;
					try {
						json = JSON.parse(text);
					} catch {
						json = undefined;
					}
					resolve({ status: res.statusCode, headers: res.headers, text, json });
				});
				res.on('error', (e) => resolve({ status: 0, error: e.message }));
			});
		} catch (e) {
			resolve({ status: -1, error: e.message }); // refused by node:http (invalid header), never sent
			return;
		}
		req.on('error', (e) => resolve({ status: 0, error: e.message }));
		req.setTimeout(timeout, () => req.destroy(new Error('timeout')));
		if (body != null) req.write(body);
		req.end();
	});
}

/**
 * Write bytes on a new TCP connection, half-close, collect the answer.
 * Resolves {text, closedByServer}: closedByServer is false when we gave up
 * after timeout ms.
 */
export function raw(port, bytes, { timeout = 4000, halfClose = true } = {}) {
	return new Promise((resolve) => {
		const parts = [];
		let byUs = false;
		const s = net.connect(port, '127.0.0.1', () => (halfClose ? s.end(bytes) : s.write(bytes)));
		s.on('data', (d) => parts.push(d));
		s.on('error', () => {});
		const timer = setTimeout(() => {
			byUs = true;
			s.destroy();
		}, timeout);
		s.on('close', () => {
			clearTimeout(timer);
			resolve({ text: Buffer.concat(parts).toString('latin1'), closedByServer: !byUs });
		});
	});
}

/** Status codes of every response head in a raw HTTP/1.x answer. */
export function rawStatuses(text) {
	return [...text.matchAll(/HTTP\/1\.[01] (\d{3})/g)].map((m) => Number(m[1]));
}

/** mulberry32: a small seeded PRNG; returns () => float in [0, 1). */
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

/** Poll fn (async, truthy when done) every step ms for at most ms; resolves its last value. */
export async function until(fn, ms, step = 100) {
	const end = Date.now() + ms;
	for (;;) {
		const v = await fn();
		if (v || Date.now() >= end) return v;
		await new Promise((r) => setTimeout(r, step));
	}
}

/** Run tasks (functions returning promises) with at most n in flight; resolves their results in order. */
export async function pool(tasks, n) {
	const out = new Array(tasks.length);
	let next = 0;
	await Promise.all(
		Array.from({ length: Math.min(n, tasks.length) }, async () => {
			while (next < tasks.length) {
				const i = next++;
				out[i] = await tasks[i]();
			}
		}),
	);
	return out;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const basic = (id, secret) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
export const b64u = (s) => Buffer.from(s).toString('base64url');

/**
 * The servers one suite starts, for report: serve(opts) starts one and remembers
 * it; stop(s, name) stops it with SIGTERM, checks exit 0 and no sanitizer report,
 * and returns its stderr; `servers` is what is still running (kill these on failure).
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
		report(r.code === 0, `${name}: SIGTERM → exit 0`, `code ${r.code} signal ${r.signal} after ${r.ms} ms`);
		const san = sanitizerReport(r.stderr);
		report(!san, `${name}: no sanitizer report on the server's stderr`, san);
		return r.stderr;
	}
	return { servers, serve, stop };
}
