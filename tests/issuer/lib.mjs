// Helpers of the issuer's Node suites (tests/issuer/, tests/browser/) on top of the
// shared ones in tests/lib.mjs (reporter, ports, server start and stop, sanitizer
// check): a CLI runner that keeps every stderr, `client add`, HTTP/1.1 over
// keep-alive agents, raw TCP, polling, and a bounded pool of tasks.
import { spawn } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { BIN, childEnv } from '../lib.mjs';
import { checkAnswer, isWatched } from '../openapi.mjs';

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
 * One HTTP/1.1 request with node:http (agent: a keep-alive pool). Never
 * rejects: resolves {status, headers, text, json} or {status: 0, error}. An
 * answer from an issuer launchServer started is checked against www/openapi.json
 * first (tests/openapi.mjs).
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
					const out = { status: res.statusCode, headers: res.headers, text, json };
					if (!isWatched(url)) resolve(out);
					else checkAnswer({ method, url, status: res.statusCode, headers: res.headers, body: text }).then(() => resolve(out), () => resolve(out));
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

export const basic = (id, secret) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
export const b64u = (s) => Buffer.from(s).toString('base64url');

/**
 * One person's browser: go(url, init) is fetch with redirects by hand and a cookie
 * jar (Set-Cookie kept by name; Max-Age=0 or an expiry in 1970 deletes); jar is the
 * Map itself, setCookies every Set-Cookie line seen, in order.
 */
export function browser() {
	const jar = new Map();
	const setCookies = [];
	const go = async (url, init = {}) => {
		const headers = { ...(init.headers ?? {}) };
		if (jar.size) headers.cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
		const r = await fetch(url, { ...init, headers, redirect: 'manual' });
		for (const c of r.headers.getSetCookie()) {
			const [pair, ...attrs] = c.split(';');
			const i = pair.indexOf('=');
			setCookies.push(c);
			if (attrs.some((a) => /^\s*max-age=0\s*$/i.test(a) || /^\s*expires=.*1970/i.test(a))) jar.delete(pair.slice(0, i));
			else jar.set(pair.slice(0, i), pair.slice(i + 1));
		}
		return r;
	};
	return { go, jar, setCookies };
}

/**
 * A failed POST /login answers 303 to GET <issuer>/login?error=CODE (POST/Redirect/GET):
 * go(that URL) in the same browser and resolve its answer (the login page with the
 * message); any other answer r resolves as it is.
 */
export async function afterLogin(go, r) {
	const loc = r.status === 303 ? r.headers.get('location') ?? '' : '';
	return /\/login\?error=[a-z]+$/.test(loc) ? go(loc) : r;
}
