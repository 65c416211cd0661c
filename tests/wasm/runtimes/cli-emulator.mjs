// Loaded with `node --import` before a suite that drives `identity-backend verify`
// (tests/interop/attacks.test.mjs): every `verify` run of the binary is answered
// in-process by the WASM package instead, in the mode IDB_EMULATE_CRYPTO names
// ('auto' or 'wasm'), printing what the CLI prints ({"valid":true,"header","payload"}
// exit 0, {"valid":false,"error","message"[,"claim"]} exit 1, usage errors exit 2).
// So the suite's own expectations, written for the native binary, judge the
// package. Anything the package is not (a subcommand other than verify, a key set
// given by URL or missing, a flag the emulation does not know) runs the real binary.
//
// child_process is patched before the suite imports it (syncBuiltinESMExports), and
// answers come synchronously: the package's modules are loaded here first, then
// createVerifierSync builds each verifier. At exit one line reports how many runs
// the package answered (a suite of zero answered runs fails). With
// IDB_EMULATE_RECORD=FILE every answered run is appended to FILE as a JSON line
// ({ args, input, jwks, status, stdout, call }), to replay the corpus through another
// verifier (the package README's comparison with jose was made so); call is the
// package call that answered it ({ options, keys, now, token | tokenBytes }: keys
// and tokenBytes in base64, options without keys and currentDate), for replays in
// other runtimes (browser.test.mjs).
import childProcess from 'node:child_process';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { PassThrough } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { BIN } from '../../lib.mjs';

const MODE = process.env.IDB_EMULATE_CRYPTO || 'auto';
// The suite ends with process.exit(): on a socket from a Node parent, writes still
// queued would be lost, so stdout blocks until each line is out.
process.stdout._handle?.setBlocking?.(true);
const api = await import(pathToFileURL(process.env.IDB_PACKAGE_ENTRY));
// Load both modules now: createVerifierSync cannot wait for one.
(await api.createVerifier({ keys: { keys: [] }, crypto: 'wasm' })).close();
(await api.createVerifier({ keys: { keys: [] } })).close();

const stats = { answered: 0, delegated: 0, modes: new Set() };
const ALGS = new Set(['HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519']);
const SPAN = /^(\d{1,18})([smhdw]?)$/;
const UNIT = { '': 1, s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/** The verify options of argv, or null when the emulation should leave the run to the binary. */
function parse(args) {
	if (args[0] !== 'verify') return null;
	const o = { iss: [], aud: [], req: [] };
	for (let i = 1; i < args.length; i++) {
		const a = args[i];
		const value = () => (i + 1 < args.length ? args[++i] : null);
		switch (a) {
		case '--jwks': o.jwks = value(); break;
		case '--alg': o.alg = value(); break;
		case '--iss': o.iss.push(value()); break;
		case '--aud': o.aud.push(value()); break;
		case '--sub': o.sub = value(); break;
		case '--typ': o.typ = value(); break;
		case '--require': o.req.push(value()); break;
		case '--max-age': o.maxAge = value(); break;
		case '--leeway': o.leeway = value(); break;
		case '--now': o.now = value(); break;
		default:
			if (a.startsWith('--') || o.token !== undefined) return null;
			o.token = a;
		}
	}
	if (!o.jwks || /^https?:/.test(o.jwks) || !fs.existsSync(o.jwks) || o.token === undefined) return null;
	return o;
}

const span = (s) => {
	const m = SPAN.exec(s ?? '');
	return m ? Number(m[1]) * UNIT[m[2]] : null;
};

/** { status, stdout } of the run, answered by the package. */
function answer(o, input) {
	const usage = (why) => ({ status: 2, stdout: '', stderr: `identity-backend verify: ${why}\n` });
	const options = { keys: new Uint8Array(fs.readFileSync(o.jwks)), crypto: MODE };
	if (o.alg !== undefined) {
		const list = o.alg.split(',');
		if (!o.alg || !list.every((a) => ALGS.has(a))) return usage(`bad --alg ${o.alg}`);
		options.algorithms = list;
	}
	if (o.iss.length) options.issuer = o.iss;
	if (o.aud.length) options.audience = o.aud;
	if (o.req.length) options.requiredClaims = o.req;
	if (o.sub !== undefined) options.subject = o.sub;
	if (o.typ !== undefined) options.typ = o.typ;
	for (const [flag, name] of [['leeway', 'clockTolerance'], ['maxAge', 'maxTokenAge']]) {
		if (o[flag] === undefined) continue;
		const v = span(o[flag]);
		if (v === null) return usage(`bad --${flag}`);
		options[name] = v;
	}
	// The CLI's --max-age 0 checks the age (as jose's "0s" does); a number 0 in jose does not.
	if (options.maxTokenAge === 0) options.maxTokenAge = '0s';
	const now = o.now === undefined ? Date.now() : /^-?\d+$/.test(o.now) ? Number(o.now) * 1000 : NaN;
	if (Number.isNaN(now)) return usage('bad --now');
	options.currentDate = new Date(now);
	let token = o.token;
	if (token === '-') {
		let b = Buffer.from(input ?? '');
		let n = b.length;
		while (n && ' \t\r\n'.includes(String.fromCharCode(b[n - 1]))) n--;
		token = new Uint8Array(b.subarray(0, n));
	}
	const { keys: _keys, currentDate: _at, ...plain } = options;
	const call = { options: plain, keys: Buffer.from(options.keys).toString('base64'), now, ...(typeof token === 'string' ? { token } : { tokenBytes: Buffer.from(token).toString('base64') }) };
	let v;
	try {
		v = api.createVerifierSync(options);
	} catch (e) {
		if (e instanceof TypeError) return usage(e.message);
		return { ...verdict(e), call };
	}
	stats.modes.add(v.crypto);
	try {
		const r = v.verify(token);
		return { status: 0, stdout: `${JSON.stringify({ valid: true, header: r.protectedHeader, payload: r.payload })}\n`, stderr: '', call };
	} catch (e) {
		return { ...verdict(e), call };
	} finally {
		v.close();
	}
}

function verdict(e) {
	if (!(e instanceof api.JwtError)) return { status: 70, stdout: '', stderr: `package threw a non-JwtError: ${e && e.stack}\n` };
	const o = { valid: false, error: e.code, message: e.message };
	if (e.claim) o.claim = e.claim;
	return { status: 1, stdout: `${JSON.stringify(o)}\n`, stderr: '' };
}

function record(args, o, input, r) {
	if (!process.env.IDB_EMULATE_RECORD) return;
	const line = { args, input: input === undefined ? null : Buffer.from(input).toString('base64'), jwks: fs.readFileSync(o.jwks, 'utf8'), status: r.status, stdout: r.stdout, call: r.call };
	fs.appendFileSync(process.env.IDB_EMULATE_RECORD, `${JSON.stringify(line)}\n`);
}

const realSpawnSync = childProcess.spawnSync;
const realSpawn = childProcess.spawn;

childProcess.spawnSync = function spawnSync(cmd, args, opts) {
	const o = cmd === BIN ? parse(args) : null;
	if (!o) {
		if (cmd === BIN) stats.delegated++;
		return realSpawnSync(cmd, args, opts);
	}
	stats.answered++;
	const r = answer(o, opts?.input);
	record(args, o, opts?.input, r);
	return { status: r.status, signal: null, stdout: Buffer.from(r.stdout), stderr: Buffer.from(r.stderr), output: [] };
};

childProcess.spawn = function spawn(cmd, args, opts) {
	const o = cmd === BIN ? parse(args) : null;
	if (!o) {
		if (cmd === BIN) stats.delegated++;
		return realSpawn(cmd, args, opts);
	}
	stats.answered++;
	// A child that reads its whole stdin, then answers like the CLI.
	const child = new EventEmitter();
	const chunks = [];
	child.stdin = new PassThrough();
	child.stdout = new PassThrough();
	child.stderr = new PassThrough();
	child.stdin.on('data', (c) => chunks.push(c));
	child.stdin.on('finish', () => {
		const r = answer(o, Buffer.concat(chunks));
		record(args, o, Buffer.concat(chunks), r);
		child.stdout.end(r.stdout);
		child.stderr.end(r.stderr);
		setImmediate(() => {
			child.emit('exit', r.status, null);
			child.emit('close', r.status, null);
		});
	});
	child.kill = () => true;
	return child;
};
syncBuiltinESMExports();

process.on('exit', () => {
	const ok = stats.answered > 0 && [...stats.modes].every((m) => (MODE === 'wasm' ? m === 'wasm' : m !== 'wasm'));
	console.log(`${ok ? 'ok' : 'not ok'} - the package answered ${stats.answered} verify runs in mode ${MODE} (verifiers: ${[...stats.modes].join(', ') || 'none'}); ${stats.delegated} other runs went to the binary`);
});
