// Runs in Chromium as an external module script (served as /main.js; no inline
// script, so it also runs under a strict CSP). Imports the installed package by
// URL, lets it load dist/verifier.wasm itself (fetch relative to import.meta.url),
// runs the shared suite on /fixtures.json and leaves the results in
// window.__suite = { results: [{ pass, name, detail }], done, fatal }.
import * as api from './node_modules/@identity-backend/verifier/index.js';
import { runSuite } from './suite.mjs';

const state = (window.__suite = { results: [], done: false, fatal: null });
const report = (pass, name, detail = '') => state.results.push({ pass: !!pass, name, detail: String(detail) });
const violations = [];
document.addEventListener('securitypolicyviolation', (e) => violations.push(`${e.violatedDirective} ${e.blockedURI}`));

try {
	const csp = new URL(import.meta.url).searchParams.get('csp') === '1';
	const res = await fetch('./fixtures.json');
	const { opts, ...fixtures } = await res.json();
	await runSuite(api, fixtures, report, opts);
	report(api.wasmMemoryBytes() > 0, 'default wasm loading (fetch of dist/verifier.wasm next to index.js)', `${api.wasmMemoryBytes()} bytes`);
	if (!csp) {
		// The page's import map maps the bare name to the installed index.js: same module instance.
		const byName = await import('@identity-backend/verifier');
		report(byName.createVerifier === api.createVerifier, 'import by package name through an import map');
	} else {
		// Let any violation event be delivered, then prove the policy is really in force.
		await new Promise((r) => setTimeout(r, 50));
		report(violations.length === 0, 'no CSP violation while loading and verifying', violations.join('; '));
		let blocked = false;
		try {
			(0, eval)('1');
		} catch (e) {
			blocked = e instanceof EvalError;
		}
		report(blocked, "the CSP is in force (eval is blocked without 'unsafe-eval')");
	}
	state.done = true;
} catch (e) {
	state.fatal = String(e && e.stack ? e.stack : e);
}
