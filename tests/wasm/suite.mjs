// The WASM package's shared suite: pure ESM with no runtime-specific imports, so
// Node, Chromium, Deno and workerd run exactly this file. `api` is the imported
// package; `data` comes from fixtures.mjs ({ cases, api }); `report(pass, name,
// detail)` prints. The cases run once per crypto mode the runtime supports
// (opts.modes: 'auto', 'wasm'), every check named after its mode, and the modes'
// verdicts must be equal case by case; then the API checks (options, results,
// keys, thumbprints, decoding), whose expectations are jose's. A mode with
// "+async" ('auto+async') verifies with verifyAsync in that crypto mode (WebCrypto's
// arithmetic in browsers) and must give the same verdicts as the others.
export async function runSuite(api, data, report, { modes = ['auto'], expectCrypto = {} } = {}) {
	const codes = {};
	for (const mode of modes) codes[mode] = await runCases(api, data.cases, (p, n, d) => report(p, `${mode}: ${n}`, d), mode, expectCrypto[mode]);
	const [a, ...others] = modes;
	for (const b of others) {
		const differ = data.cases.map((f, i) => (codes[a][i] === codes[b][i] ? null : `${f.name}: ${a} ${codes[a][i]}, ${b} ${codes[b][i]}`)).filter(Boolean);
		report(differ.length === 0, `${a} and ${b} give the same verdict, code and claim on all ${data.cases.length} cases`, differ.slice(0, 5).join('; '));
	}
	for (const mode of modes.filter((m) => !m.endsWith('+async'))) await apiChecks(api, data, (p, n, d) => report(p, `${mode}: ${n}`, d), mode);
	await decoding(api, data, report);
	return codes[modes[0]].map((c) => c.split('/')[0]);
}

async function runCases(api, fixtures, report, mode, expectCrypto) {
	const codes = [];
	const isAsync = mode.endsWith('+async');
	const crypto = mode.replace(/\+async$/, '');
	let used;
	for (const f of fixtures) {
		let got = 'valid';
		let claim;
		let result;
		try {
			const { now, ...options } = f.options;
			const v = await api.createVerifier({ ...options, keys: f.keys, currentDate: new Date(now * 1000), crypto });
			used ??= isAsync ? v.asyncCrypto : v.crypto;
			try {
				result = isAsync ? await v.verifyAsync(f.token) : v.verify(f.token);
			} finally {
				v.close();
			}
		} catch (e) {
			if (!(e instanceof api.JwtError)) {
				report(false, f.name, `threw a non-JwtError: ${e && e.stack}`);
				codes.push('THREW');
				continue;
			}
			got = e.code;
			claim = e.claim;
		}
		codes.push(`${got}/${claim ?? ''}`);
		const claimOk = !f.claim || claim === f.claim;
		const payloadOk = got !== 'valid' || (result && typeof result.payload === 'object' && result.protectedHeader && typeof result.protectedHeader.alg === 'string');
		report(got === f.expect && claimOk && payloadOk, f.name, `expected ${f.expect}${f.claim ? `/${f.claim}` : ''}, got ${got}${claim ? `/${claim}` : ''}`);
	}
	report(!expectCrypto || used === expectCrypto, `createVerifier({ crypto: '${crypto}' }) reports the arithmetic ${isAsync ? 'verifyAsync' : 'verify'} uses`, `${used}, expected ${expectCrypto}`);
	return codes;
}

/** JSON-equal, member order ignored. */
function same(a, b) {
	const norm = (v) => (Array.isArray(v) ? v.map(norm) : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, norm(v[k])])) : v);
	return JSON.stringify(norm(a)) === JSON.stringify(norm(b));
}

async function verdict(api, options, token) {
	try {
		const v = await api.createVerifier(options);
		try {
			v.verify(token);
		} finally {
			v.close();
		}
		return { expect: 'valid' };
	} catch (e) {
		return { expect: e instanceof api.JwtError ? e.code : `THREW ${e && e.message}`, claim: e.claim };
	}
}

async function throwsNaming(fn, words) {
	try {
		await fn();
		return 'no error';
	} catch (e) {
		if (!(e instanceof TypeError)) return `${e && e.name}: ${e && e.message}`;
		return words.every((w) => e.message.includes(w)) ? null : e.message;
	}
}

async function apiChecks(api, data, report, mode) {
	const d = data.api;
	const at = new Date(d.now * 1000);
	const base = { keys: d.set, currentDate: at, crypto: mode };
	for (const group of ['times', 'order']) {
		const wrong = [];
		for (const c of d[group]) {
			const got = await verdict(api, { ...base, ...c.options }, c.token);
			if (got.expect !== c.expect || (got.claim ?? '') !== (c.claim ?? '')) wrong.push(`${c.name}: jose ${c.expect}/${c.claim ?? ''}, ours ${got.expect}/${got.claim ?? ''}`);
		}
		report(wrong.length === 0, `${group === 'times' ? 'clockTolerance and maxTokenAge (fractional, strings, 0)' : 'the claim named when several fail'}: jose's verdict on all ${d[group].length} cases`, wrong.slice(0, 4).join('; '));
	}
	// Options are checked: a wrong name or type throws naming it.
	for (const [name, options, words] of [
		['a misspelt option', { ...base, isuer: 'https://id.example' }, ['isuer', 'issuer']],
		["algorithms: ['none']", { ...base, algorithms: ['none'] }, ['algorithms', 'none']],
		["algorithms: ['RS255']", { ...base, algorithms: ['RS255'] }, ['algorithms', 'RS255']],
		['clockTolerance of the wrong type', { ...base, clockTolerance: {} }, ['clockTolerance']],
		["crypto: 'fast'", { ...base, crypto: 'fast' }, ['crypto']],
		['an empty audience list', { ...base, audience: [] }, ['audience']],
		['a subject that is not a string', { ...base, subject: 7 }, ['subject']],
		['no keys', { crypto: mode }, ['keys']],
	])
		report((await throwsNaming(() => api.createVerifier(options), words)) === null, `createVerifier with ${name} throws a TypeError naming it`, await throwsNaming(() => api.createVerifier(options), words));
	// Key sets of any shape are judged, with a JwtError.
	for (const [name, keys, code] of [['a number', 5, 'ERR_JWKS_INVALID'], ['an array', [], 'ERR_JWKS_INVALID'], ['broken JSON', '{"keys":', 'ERR_JWKS_INVALID'],
		['a PEM block that is no key', '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----', 'ERR_JWK_INVALID']]) {
		const got = await verdict(api, { ...base, keys }, 'a.b.c');
		report(got.expect === code, `a key set that is ${name} gives ${code}`, got.expect);
	}
	// The result: payload, protectedHeader (= header), and the key that verified.
	{
		const v = await api.createVerifier(base);
		const t = d.order[0].token;
		const wide = await api.createVerifier({ ...base, keys: { keys: [{ kty: 'oct', k: 'A'.repeat(43), kid: 'other' }, ...d.set.keys] } });
		const r = wide.verify(t);
		report(same(r.key, d.set.keys[0]) && Object.isFrozen(r.key) && r.header === r.protectedHeader && r.payload.sub === 's',
			'verify returns { payload, protectedHeader, key }: the JWK that verified (frozen), not the first in the set', JSON.stringify(r.key));
		const xs = d.turns.map(([tok]) => v.verify(tok).protectedHeader.x);
		report(xs.join() === d.turns.map(([, x]) => x).join(), 'each result carries its own token\'s header when headers change from token to token', xs.join());
		const bytes = new TextEncoder().encode(t);
		report(same(v.verify(bytes).payload, v.verify(t).payload), 'a token as a Uint8Array verifies as its string does');
		v.close();
		wide.close();
	}
	// PEM keys: createVerifier({ keys: pem }), importSPKI, importX509.
	for (const p of d.pem) {
		const got = await verdict(api, { keys: p.pem, algorithms: [p.alg], currentDate: at, crypto: mode }, p.token);
		const jwk = await (p.kind === 'spki' ? api.importSPKI(p.pem, p.alg) : api.importX509(p.pem, p.alg));
		report(got.expect === 'valid' && same(jwk, { ...p.jwk, alg: p.alg }), `${p.name}: a PEM key verifies its token and imports as jose's JWK`, `${got.expect} ${JSON.stringify(jwk)}`);
	}
	report(d.pem.length === 4, 'PEM fixtures include an openssl-made X.509 certificate', `${d.pem.length} PEM fixtures`);
}

function decoding(api, data, report) {
	const d = data.api;
	const valid = data.cases.find((f) => f.expect === 'valid');
	const dd = api.decode(valid.token);
	const [h, p] = valid.token.split('.').slice(0, 2).map((s) => JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0)))));
	report(same(dd.header, h) && same(dd.payload, p), 'decode returns header and claims without verifying');
	let code;
	try {
		api.decode('not-a-token');
	} catch (e) {
		code = e.code;
	}
	report(code === 'ERR_JWS_INVALID', 'decode of garbage throws ERR_JWS_INVALID', `got ${code}`);
	report(new api.JwtError('ERR_JWT_EXPIRED', 'm', 'exp') instanceof Error, 'JwtError is an Error');
	report(d.headers.every(([t, want]) => same(api.decodeProtectedHeader(t), want)), "decodeProtectedHeader equals jose's on every fixture");
	let bad = null;
	try {
		api.decodeProtectedHeader('x.y');
	} catch (e) {
		bad = e;
	}
	report(bad instanceof TypeError, 'decodeProtectedHeader of garbage throws a TypeError, as jose');
	return Promise.all(d.thumbprints.map(([jwk, alg, want]) => api.calculateJwkThumbprint(jwk, alg).then((got) => got === want || `${alg}: ${got} != ${want}`)))
		.then((r) => report(r.every((x) => x === true), `calculateJwkThumbprint equals jose's and RFC 7638's on ${r.length} keys`, r.filter((x) => x !== true).join('; ')));
}
