// Runs inside Deno (copied next to the installed package by deno.test.mjs):
// the shared suite against node_modules/@identity-backend/verifier/index.js,
// loaded by file path with the package's default wasm loading (node:fs/promises
// for a file: URL). Prints one JSON object per line: { pass, name, detail },
// then { done: true }; a crash prints { fatal }.
import * as api from './node_modules/@identity-backend/verifier/index.js';
import { runSuite } from './suite.mjs';

const out = (o) => console.log(JSON.stringify(o));
const report = (pass, name, detail = '') => out({ pass: !!pass, name, detail: String(detail) });
try {
	report(typeof Deno === 'object' && typeof Deno.version?.deno === 'string', 'runs in Deno', `Deno ${globalThis.Deno?.version?.deno}`);
	const fixtures = JSON.parse(await Deno.readTextFile(new URL('./fixtures.json', import.meta.url)));
	await runSuite(api, fixtures, report);
	// The bare name resolves (package.json "exports" via node_modules) to the same module instance.
	const byName = await import('@identity-backend/verifier');
	report(byName.createVerifier === api.createVerifier, 'import by package name resolves to index.js');
	report(api.wasmMemoryBytes() > 0, 'default wasm loading from dist/ next to index.js', `${api.wasmMemoryBytes()} bytes`);
	out({ done: true });
} catch (e) {
	out({ fatal: String(e && e.stack ? e.stack : e) });
}
