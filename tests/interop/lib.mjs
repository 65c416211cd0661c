// Helpers of the interop suites (not a suite itself: run.sh only runs *.test.mjs), on
// top of the shared ones in tests/lib.mjs (the binary, the reporter).
//
// The suites drive the real CLI binary, `identity-backend verify`, end to end and print
// one line per check, "ok - …" or "not ok - … (details)", as tests/run.sh expects. A
// missing binary is a failure, never a skip: nothing here can pass vacuously.

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual, inspect } from 'node:util';
import { BIN, reporter, tempDir as newTempDir } from '../lib.mjs';

// Every code `verify` may print (jose's error codes, plus the key-set one).
export const CODES = new Set([
	'ERR_JWS_INVALID',
	'ERR_JWT_INVALID',
	'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
	'ERR_JWT_EXPIRED',
	'ERR_JWT_CLAIM_VALIDATION_FAILED',
	'ERR_JOSE_ALG_NOT_ALLOWED',
	'ERR_JWKS_NO_MATCHING_KEY',
	'ERR_JWKS_MULTIPLE_MATCHING_KEYS',
	'ERR_JWK_INVALID',
	'ERR_JWKS_INVALID',
	'ERR_JOSE_NOT_SUPPORTED',
]);
export const CLAIM_CODES = new Set(['ERR_JWT_EXPIRED', 'ERR_JWT_CLAIM_VALIDATION_FAILED']);

const oneLine = (s) => String(s).replace(/\s+/g, ' ').trim();
const clip = (s, n = 300) => (s.length > n ? `${s.slice(0, n)}…[${s.length} chars]` : s);
const suite = reporter(''); // the descriptions name their suite's topic themselves

/** Print one check line: "ok - DESC" or "not ok - DESC (DETAILS)"; returns pass. */
export function check(desc, pass, details = '') {
	return suite.report(pass, oneLine(desc), details ? oneLine(details) : '');
}

/** End the suite: exit 1 if any check failed (or none ran), else 0. */
export const finish = suite.finish;

/** Fail hard (one not-ok line, exit 1) when the binary is not there: never a skip. */
export function requireBinary() {
	let st;
	try {
		st = fs.statSync(BIN);
	} catch {
		st = null;
	}
	if (!st || !st.isFile()) {
		check(`binary exists at ${BIN}`, false, 'build it with `make` or set IDB_BIN');
		finish();
		process.exit(1);
	}
	try {
		fs.accessSync(BIN, fs.constants.X_OK);
	} catch {
		check(`binary is executable: ${BIN}`, false, 'not executable');
		finish();
		process.exit(1);
	}
}

/** A fresh temp directory, removed when the process exits. */
export function tempDir(prefix = 'idb-interop-') {
	const dir = newTempDir(prefix);
	process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
	return dir;
}

let fileSeq = 0;
/** Write a JWKS (object, or raw string/Buffer) into dir and return its path. */
export function writeJwks(dir, jwks, name) {
	const file = path.join(dir, `${name || 'jwks'}-${++fileSeq}.json`);
	fs.writeFileSync(file, typeof jwks === 'string' || Buffer.isBuffer(jwks) ? jwks : JSON.stringify(jwks));
	return file;
}

/**
 * Run the binary: run(['verify', '--jwks', f, token]) or with {input} for stdin.
 * Returns { status, signal, stdout, stderr, json, jsonError, cmd }.
 */
export function run(args, { input, timeout = 20000 } = {}) {
	const r = spawnSync(BIN, args, {
		input: input === undefined ? '' : input,
		timeout,
		maxBuffer: 16 * 1024 * 1024,
	});
	const stdout = r.stdout ? r.stdout.toString('utf8') : '';
	const stderr = r.stderr ? r.stderr.toString('utf8') : '';
	let json;
	let jsonError;
	try {
		json = JSON.parse(stdout);
	} catch (e) {
		jsonError = e.message;
	}
	const shown = args.map((a) => (a.length > 120 ? `${a.slice(0, 120)}…[${a.length}]` : a));
	return {
		status: r.status,
		signal: r.signal,
		error: r.error,
		stdout,
		stderr,
		json,
		jsonError,
		cmd: `verify ${shown.slice(1).join(' ')}${input !== undefined ? ` <stdin ${Buffer.byteLength(input)} bytes>` : ''}`,
	};
}

/** Human summary of a run for "not ok" details. */
export function show(r) {
	const parts = [`cmd: ${r.cmd}`, `exit=${r.status}`];
	if (r.signal) parts.push(`signal=${r.signal}`);
	if (r.error) parts.push(`spawn error=${r.error.message}`);
	parts.push(`stdout=${clip(r.stdout.trim(), 400) || '<empty>'}`);
	if (r.stderr.trim()) parts.push(`stderr=${clip(r.stderr.trim(), 200)}`);
	return parts.join('; ');
}

/**
 * Assert that a run rejected the token with `code` (a string or an array of accepted
 * codes) and, when given, `claim`. Checks exit 1, a JSON object with valid:false, a
 * string message, a known error code, and "claim" present exactly for claim errors.
 */
export function expectError(desc, r, code, claim) {
	const accepted = Array.isArray(code) ? code : [code];
	const problems = [];
	if (r.signal) problems.push(`killed by ${r.signal}`);
	if (r.status !== 1) problems.push(`exit ${r.status}, want 1`);
	const j = r.json;
	if (!j || typeof j !== 'object' || Array.isArray(j)) {
		problems.push(`stdout is not one JSON object (${r.jsonError || typeof j})`);
	} else {
		if (j.valid !== false) problems.push(`valid=${JSON.stringify(j.valid)}, want false`);
		if (!accepted.includes(j.error)) problems.push(`error=${JSON.stringify(j.error)}, want ${accepted.join(' or ')}`);
		if (typeof j.message !== 'string' || !j.message) problems.push('message missing or not a string');
		if (claim !== undefined) {
			if (j.claim !== claim) problems.push(`claim=${JSON.stringify(j.claim)}, want ${JSON.stringify(claim)}`);
		} else if (!CLAIM_CODES.has(j.error) && 'claim' in j) {
			problems.push(`unexpected "claim" member ${JSON.stringify(j.claim)} for a non-claim error`);
		}
		// The payload is parsed only after the signature verifies: a token refused before
		// that point must never have its (unauthenticated) claims echoed.
		if (!CLAIM_CODES.has(j.error) && 'payload' in j) problems.push('a token rejected before its claims were checked must not echo a payload');
	}
	return check(desc, problems.length === 0, problems.length ? `${problems.join('; ')} | ${show(r)}` : '');
}

/**
 * Assert that a run accepted the token. Optional expectations: payload (deep equal),
 * header (deep equal, or a function(header) → error string|null).
 */
export function expectValid(desc, r, { payload, header } = {}) {
	const problems = [];
	if (r.signal) problems.push(`killed by ${r.signal}`);
	if (r.status !== 0) problems.push(`exit ${r.status}, want 0`);
	const j = r.json;
	if (!j || typeof j !== 'object' || Array.isArray(j)) {
		problems.push(`stdout is not one JSON object (${r.jsonError || typeof j})`);
	} else {
		if (j.valid !== true) problems.push(`valid=${JSON.stringify(j.valid)}, want true`);
		if ('error' in j) problems.push(`unexpected error ${JSON.stringify(j.error)}`);
		if (!j.header || typeof j.header !== 'object') problems.push('header missing');
		if (!j.payload || typeof j.payload !== 'object') problems.push('payload missing');
		if (payload !== undefined && !isDeepStrictEqual(j.payload, payload)) {
			problems.push(`payload ${inspect(j.payload, { depth: 5, breakLength: Infinity })} != ${inspect(payload, { depth: 5, breakLength: Infinity })}`);
		}
		if (typeof header === 'function') {
			const e = header(j.header);
			if (e) problems.push(e);
		} else if (header !== undefined && !isDeepStrictEqual(j.header, header)) {
			problems.push(`header ${JSON.stringify(j.header)} != ${JSON.stringify(header)}`);
		}
	}
	return check(desc, problems.length === 0, problems.length ? `${problems.join('; ')} | ${show(r)}` : '');
}

/** Assert a usage error: exit 2, no crash. */
export function expectUsage(desc, r) {
	const problems = [];
	if (r.signal) problems.push(`killed by ${r.signal}`);
	if (r.status !== 2) problems.push(`exit ${r.status}, want 2`);
	if (r.json && r.json.valid === true) problems.push('printed valid:true');
	return check(desc, problems.length === 0, problems.length ? `${problems.join('; ')} | ${show(r)}` : '');
}

// --- encoding helpers for hand-built tokens ---------------------------------------

export const b64u = (buf) => Buffer.from(buf).toString('base64url');
export const b64uJson = (obj) => b64u(Buffer.from(typeof obj === 'string' ? obj : JSON.stringify(obj), 'utf8'));

// --- additions for the attack corpus (attacks.test.mjs) ------------------------------

/**
 * Like run(), but asynchronous (child_process.spawn), so independent runs can overlap
 * (see runPool). Resolves to the same shape as run(); an EPIPE on stdin (the binary
 * stopped reading a huge input) is not an error of the run.
 */
export function runAsync(args, { input, timeout = 20000 } = {}) {
	return new Promise((resolve) => {
		const child = spawn(BIN, args, { timeout, stdio: ['pipe', 'pipe', 'pipe'] });
		const out = [];
		const err = [];
		let spawnError;
		child.stdout.on('data', (b) => out.push(b));
		child.stderr.on('data', (b) => err.push(b));
		child.stdin.on('error', () => {});
		child.on('error', (e) => { spawnError = e; });
		child.on('close', (status, signal) => {
			const stdout = Buffer.concat(out).toString('utf8');
			const stderr = Buffer.concat(err).toString('utf8');
			let json;
			let jsonError;
			try {
				json = JSON.parse(stdout);
			} catch (e) {
				jsonError = e.message;
			}
			const shown = args.map((a) => (a.length > 120 ? `${a.slice(0, 120)}…[${a.length}]` : a));
			resolve({
				status,
				signal,
				error: spawnError,
				stdout,
				stderr,
				json,
				jsonError,
				cmd: `verify ${shown.slice(1).join(' ')}${input !== undefined ? ` <stdin ${Buffer.byteLength(input)} bytes>` : ''}`,
			});
		});
		child.stdin.end(input === undefined ? '' : input);
	});
}

/** Run jobs (functions returning promises) with at most `width` in flight; results in order. */
export async function runPool(jobs, width = Math.max(2, Math.min(8, os.availableParallelism ? os.availableParallelism() : os.cpus().length))) {
	const results = new Array(jobs.length);
	let next = 0;
	const worker = async () => {
		while (next < jobs.length) {
			const i = next++;
			results[i] = await jobs[i]();
		}
	};
	await Promise.all(Array.from({ length: Math.min(width, jobs.length) }, worker));
	return results;
}

/**
 * Problems (strings; empty when fine) with a run that must end in a clean verdict:
 * no signal, exit 1 with {"valid":false,"error":<documented code>,"message":…}, or,
 * only when allowValid, exit 0 with {"valid":true,…}.
 */
export function verdictProblems(r, { allowValid = false } = {}) {
	const problems = [];
	const j = r.json;
	if (r.signal) problems.push(`killed by ${r.signal}`);
	if (r.status === 0 && allowValid) {
		if (!j || j.valid !== true) problems.push('exit 0 without {"valid":true}');
		return problems;
	}
	if (r.status !== 1) problems.push(`exit ${r.status}, want 1${allowValid ? ' (or 0)' : ''}`);
	if (!j || typeof j !== 'object' || Array.isArray(j)) {
		problems.push(`stdout is not one JSON object (${r.jsonError || typeof j})`);
	} else {
		if (j.valid !== false) problems.push(`valid=${JSON.stringify(j.valid)}, want false`);
		if (!CODES.has(j.error)) problems.push(`error ${JSON.stringify(j.error)} is not a documented code`);
		if (typeof j.message !== 'string' || !j.message) problems.push('message missing or not a string');
	}
	return problems;
}
