// Every position of a token's characters and of a JSON string's bytes, through
// both modules: the small one reads base64url, a token's dots and JSON strings 16
// bytes at a time (WebAssembly SIMD), the full one and the native CLI a byte at a
// time. For each case the verdict is stated (accepted, or the error code) and both
// modes must give it; a sample also goes to the native CLI, which must agree.
//
// 1. A valid HS256 token with one character replaced at each position (header,
//    payload, signature), by characters outside base64url ('+', '/', '=', ' ',
//    '@', '[', '`', '{', ':', DEL, 'é', '.') and inside it ('-', '_', 'A', 'z', '0').
// 2. Claims whose strings hold, at each of 40 positions, a quote, a lone or a
//    valid escape, control bytes, DEL, non-ASCII UTF-8 (2 and 4 bytes) and
//    invalid UTF-8 (0xff, an overlong, a surrogate); in a claim no rule reads and
//    in "sub", which the verifier compares (so a string copied wrong is caught).
import crypto from 'node:crypto';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { BIN, reporter, tempDir } from '../lib.mjs';
import { packAndInstall } from './runtimes/common.mjs';

const { report, finish } = reporter('wasm/positions');
const NOW = 1_800_000_000;
const secret = crypto.randomBytes(32);
const keys = { keys: [{ kty: 'oct', k: secret.toString('base64url'), alg: 'HS256' }] };
const b64 = (bytes) => Buffer.from(bytes).toString('base64url');
const sign = (input) => crypto.createHmac('sha256', secret).update(input).digest('base64url');

/** An HS256 token over these payload bytes. */
function token(payload) {
	const input = `${b64('{"alg":"HS256","typ":"JWT"}')}.${b64(payload)}`;
	return `${input}.${sign(input)}`;
}

const { pkgDir } = packAndInstall('positions');
const api = await import(pathToFileURL(path.join(pkgDir, 'node.js')));
const verifiers = {};
const options = (mode) => ({ keys, algorithms: ['HS256'], currentDate: new Date(NOW * 1000), crypto: mode });
for (const mode of ['auto', 'wasm']) verifiers[mode] = { '': await api.createVerifier(options(mode)) };
report(verifiers.auto[''].crypto === 'host' && verifiers.wasm[''].crypto === 'wasm', "'auto' runs on the small module and 'wasm' on the full one",
	`${verifiers.auto[''].crypto}, ${verifiers.wasm[''].crypto}`);

/** One mode's verdict: 'valid' or the JwtError's code (with the claim for claim failures). */
function verdict(mode, tok, subject) {
	let v = verifiers[mode][''];
	if (subject !== undefined) {
		v = verifiers[mode][subject];
		if (!v) v = verifiers[mode][subject] = api.createVerifierSync({ ...options(mode), subject });
	}
	try {
		v.verify(tok);
		return 'valid';
	} catch (e) {
		return e instanceof api.JwtError ? e.code : `THREW ${e?.message}`;
	}
}

const dir = tempDir('idb-positions-');
process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
const jwksFile = path.join(dir, 'jwks.json');
fs.writeFileSync(jwksFile, JSON.stringify(keys));
function cliVerdict(tok) {
	const r = spawnSync(BIN, ['verify', '--jwks', jwksFile, '--now', String(NOW), '--alg', 'HS256', '-'], { input: tok, encoding: 'utf8' });
	try {
		const j = JSON.parse(r.stdout);
		return j.valid ? 'valid' : j.error;
	} catch {
		return `unparseable: ${r.stderr}`;
	}
}

// Each case: [name, token, expected verdict or null (then both modes must only agree), subject]
const cases = [];

// ---- 1. token characters ----
{
	const claims = { iss: 'https://issuer.example/', aud: 'api', scope: 'openid profile email orders:read orders:write', exp: NOW + 3600 };
	const good = token(JSON.stringify(claims));
	const outside = ['+', '/', '=', ' ', '@', '[', '`', '{', ':', '\x7f', 'é'];
	const inside = ['-', '_', 'A', 'z', '0'];
	const [h, p] = good.split('.');
	for (let i = 0; i < good.length; i++) {
		if (good[i] === '.') continue;
		const part = i < h.length ? 'header' : i < h.length + 1 + p.length ? 'payload' : 'signature';
		for (const c of [...outside, '.']) cases.push([`${part} char ${i} -> ${JSON.stringify(c)}`, good.slice(0, i) + c + good.slice(i + 1), 'ERR_JWS_INVALID']);
		for (const c of inside)
			if (c !== good[i]) cases.push([`${part} char ${i} -> ${c}`, good.slice(0, i) + c + good.slice(i + 1), null]);
	}
	cases.push(['the unchanged token', good, 'valid']);
}

// ---- 2. JSON string bytes ----
{
	const specials = [
		// [name, bytes, accepted, what the string then says]
		['quote', [0x22], false],
		['lone backslash', [0x5c, 0x78], false],
		['escaped newline', [0x5c, 0x6e], true, '\n'],
		['escaped quote', [0x5c, 0x22], true, '"'],
		['0x01', [0x01], false],
		['0x1f', [0x1f], false],
		['space', [0x20], true, ' '],
		['DEL', [0x7f], true, '\x7f'],
		['é', [0xc3, 0xa9], true, 'é'],
		['emoji', [0xf0, 0x9f, 0x98, 0x80], true, '😀'],
		['0xff', [0xff], false],
		['overlong', [0xc0, 0x80], false],
		['surrogate', [0xed, 0xa0, 0x80], false],
	];
	const filler = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN'; // 40 bytes
	for (let i = 0; i <= filler.length; i++) {
		for (const [name, bytes, ok, text] of specials) {
			const str = Buffer.concat([Buffer.from(filler.slice(0, i)), Buffer.from(bytes), Buffer.from(filler.slice(i))]);
			const said = ok ? filler.slice(0, i) + text + filler.slice(i) : undefined;
			for (const where of ['note', 'sub']) {
				const payload = Buffer.concat([Buffer.from(`{"iss":"https://issuer.example/","${where}":"`), str, Buffer.from(`","exp":${NOW + 3600}}`)]);
				const subject = where === 'sub' && ok ? said : undefined;
				cases.push([`${name} at byte ${i} of "${where}"`, token(payload), ok ? 'valid' : 'ERR_JWT_INVALID', subject]);
			}
		}
	}
}

const wrong = [];
let stated = 0;
for (const [name, tok, expected, subject] of cases) {
	const small = verdict('auto', tok, subject);
	const full = verdict('wasm', tok, subject);
	if (expected !== null) stated++;
	if (small !== full || (expected !== null && small !== expected))
		wrong.push(`${name}: small ${small}, full ${full}${expected !== null ? `, expected ${expected}` : ''}`);
}
report(wrong.length === 0 && cases.length > 4000, `${cases.length} cases (${stated} with a stated verdict): the small module's vector code and the full module's byte loop give the same verdicts, each as stated`,
	`${wrong.length} wrong: ${wrong.slice(0, 6).join('; ')}`);

// The native CLI on every 40th case (one process each).
const sample = cases.filter((c, i) => i % 40 === 0 && c[3] === undefined);
const disagree = sample.map(([name, tok]) => [name, verdict('auto', tok), cliVerdict(tok)]).filter(([, a, b]) => a !== b);
report(disagree.length === 0 && sample.length > 50, `the native CLI gives the same verdicts on ${sample.length} of them`,
	disagree.slice(0, 6).map(([n, a, b]) => `${n}: package ${a}, CLI ${b}`).join('; '));

for (const m of Object.values(verifiers)) for (const v of Object.values(m)) v.close();
finish();
