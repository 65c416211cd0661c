// Runs inside Deno (copied next to the installed package by deno.test.mjs): the
// shared suite against the package imported by name, which Deno resolves through
// package.json's "deno" condition to node.js (node:crypto; the modules read with
// node:fs/promises). Prints one JSON object per line: { pass, name, detail },
// then { done: true }; a crash prints { fatal }.
import * as api from '@identity-backend/verifier';
import { runSuite } from './suite.mjs';

const out = (o) => console.log(JSON.stringify(o));
const report = (pass, name, detail = '') => out({ pass: !!pass, name, detail: String(detail) });
try {
	report(typeof Deno === 'object' && typeof Deno.version?.deno === 'string', 'runs in Deno', `Deno ${globalThis.Deno?.version?.deno}`);
	const { opts, ...data } = JSON.parse(await Deno.readTextFile(new URL('./fixtures.json', import.meta.url)));
	await runSuite(api, data, report, opts);
	// The bare name resolves (package.json "exports" via node_modules) to node.js.
	const nodeEntry = await import('./node_modules/@identity-backend/verifier/node.js');
	report(nodeEntry.createVerifier === api.createVerifier, 'import by package name resolves to node.js (the "deno" condition)');
	report(api.wasmMemoryBytes() > 0, 'default wasm loading from dist/ next to node.js', `${api.wasmMemoryBytes()} bytes`);
	out({ done: true });
} catch (e) {
	out({ fatal: String(e && e.stack ? e.stack : e) });
}
