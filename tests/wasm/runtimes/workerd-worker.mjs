// The Cloudflare Worker of workerd.test.mjs. workerd's config names the modules
// as a bundler (wrangler) would: the package by its bare name, its wasm as a
// `wasm` module (a precompiled WebAssembly.Module: Workers cannot compile wasm
// from bytes at run time), the suite and the fixtures (a `json` module).
// GET / runs the suite and answers { results: [{ pass, name, detail }], done, fatal }.
import * as api from '@identity-backend/verifier';
import wasm from '@identity-backend/verifier/verifier.wasm';
import data from './fixtures.json';
import { runSuite } from './suite.mjs';

export default {
	async fetch(request) {
		const results = [];
		const report = (pass, name, detail = '') => results.push({ pass: !!pass, name, detail: String(detail) });
		let done = false;
		let fatal = null;
		try {
			report(wasm instanceof WebAssembly.Module, 'the wasm binding is a precompiled WebAssembly.Module', Object.prototype.toString.call(wasm));
			// Runtime compilation from bytes is refused here, which is why the module is handed over.
			let refused = false;
			try {
				await WebAssembly.compile(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]));
			} catch {
				refused = true;
			}
			report(refused, 'workerd refuses to compile wasm from bytes (so the binding path is what is tested)');
			// First use initialises the package with the precompiled module, as the README shows.
			const { opts, ...fixtures } = data;
			const v = await api.createVerifier({ wasm, keys: fixtures.cases[0].keys });
			v.close();
			report(api.wasmMemoryBytes() > 0, 'createVerifier({ wasm: WebAssembly.Module }) initialises the package', `${api.wasmMemoryBytes()} bytes`);
			await api.init(wasm); // already initialised: a no-op that must not throw
			await runSuite(api, fixtures, report, opts);
			done = true;
		} catch (e) {
			fatal = String(e && e.stack ? e.stack : e);
		}
		return Response.json({ results, done, fatal });
	},
};
