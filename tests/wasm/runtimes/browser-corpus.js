// Runs in Chromium (served as /corpus.js): the attack corpus recorded by
// cli-emulator.mjs (/corpus.jsonl, made with the package's wasm mode in Node)
// replayed through the installed package: each call once with verify in
// crypto 'wasm' (wolfCrypt) and once with verifyAsync in 'auto' (WebCrypto's
// arithmetic), which must give the same verdict, code and claim as each other
// and as the recording. Leaves window.__corpus = { total, webcrypto, module, algs,
// differ, done, fatal }: webcrypto and module count the signature checks each answered.
import * as api from './node_modules/@identity-backend/verifier/index.js';

const state = (window.__corpus = { total: 0, webcrypto: 0, module: 0, algs: {}, differ: [], done: false, fatal: null });
const ANSWERS = Symbol.for('@identity-backend/verifier.asyncAnswers');
const bytes = (b64) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));

/** The token's header alg, for the tally. */
function alg(token) {
	try {
		return api.decodeProtectedHeader(typeof token === 'string' ? token : new TextDecoder().decode(token)).alg;
	} catch {
		return '?';
	}
}

/** 'valid' or 'CODE/claim' of one call. */
async function verdict(call, crypto, useAsync) {
	let v;
	try {
		v = await api.createVerifier({ ...call.options, keys: bytes(call.keys), currentDate: new Date(call.now), crypto });
		const token = call.token ?? bytes(call.tokenBytes);
		try {
			await (useAsync ? v.verifyAsync(token) : v.verify(token));
		} finally {
			const n = useAsync ? v[ANSWERS]() : { webcrypto: 0, module: 0 };
			state.webcrypto += n.webcrypto;
			state.module += n.module;
			if (n.webcrypto) state.algs[alg(token)] = (state.algs[alg(token)] ?? 0) + 1;
		}
		return 'valid';
	} catch (e) {
		if (!(e instanceof api.JwtError)) return `threw ${e && e.name}: ${e && e.message}`;
		return `${e.code}/${e.claim ?? ''}`;
	} finally {
		v?.close();
	}
}

try {
	const lines = (await (await fetch('./corpus.jsonl')).text()).split('\n').filter(Boolean).map((l) => JSON.parse(l));
	for (const line of lines) {
		if (!line.call) continue;
		state.total++;
		const out = JSON.parse(line.stdout || '{}');
		const recorded = out.valid ? 'valid' : `${out.error}/${out.claim ?? ''}`;
		const sync = await verdict(line.call, 'wasm', false);
		const viaAsync = await verdict(line.call, 'auto', true);
		if (sync !== viaAsync || sync !== recorded) state.differ.push(`${line.args.join(' ').slice(0, 120)}: recorded ${recorded}, wasm ${sync}, verifyAsync ${viaAsync}`);
	}
	state.done = true;
} catch (e) {
	state.fatal = String(e && e.stack ? e.stack : e);
}
