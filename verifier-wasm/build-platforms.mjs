// Writes the Node entries of the package from index.js (run by `make wasm`): the
// same code with the platform block swapped, so every runtime runs one
// implementation.
//   node.js     ESM for Node, Deno and Bun (package.json "node", "deno", "bun"):
//               node:crypto imported, the small module by default.
//   index.cjs   the same for `require`, with index.d.cts (the same declarations,
//               which TypeScript wants under that name for CommonJS users).
// index.js itself stays the browser, Workers and default entry.
import fs from 'node:fs';

const here = new URL('.', import.meta.url);
const src = fs.readFileSync(new URL('index.js', here), 'utf8');
const START = '// @platform-start';
const END = '// @platform-end';
const start = src.indexOf(START);
const end = src.indexOf(END);
if (start < 0 || end < 0) throw new Error('build-platforms: platform markers not found in index.js');
const swap = (block) => src.slice(0, start) + block + src.slice(end + END.length);

const nodeEsm = `// Node, Deno, Bun (written from index.js by build-platforms.mjs): node:crypto does
// the arithmetic, so the small module is the default; the full one is loaded for
// crypto: 'wasm' or a key this runtime's crypto cannot use. node:fs and node:crypto
// come from process.getBuiltinModule (Node 20.16+, Deno, Bun), which loads nothing
// at import: an ESM import of either builds its whole module namespace (node:fs
// measured 10 to 20 ms of a cold start). Older Nodes get createRequire once, when
// the first module is read.
let builtin = globalThis.process?.getBuiltinModule ? (name) => globalThis.process.getBuiltinModule(name) : null;
const moduleUrl = (file) => new URL(\`./dist/\${file}\`, import.meta.url);
const platform = {
	preferSmall: true,
	syncWasm: true, // no main-thread limit on compiling here, unlike browsers
	hasHost: () => true,
	async prepare() {
		builtin ??= (await import('node:module')).createRequire(import.meta.url);
	},
	hostCrypto: () => builtin?.('node:crypto') ?? null,
	moduleBytesSync: (file) => builtin?.('node:fs').readFileSync(moduleUrl(file)) ?? null,
	async moduleBytes(file) {
		await platform.prepare();
		return builtin('node:fs').readFileSync(moduleUrl(file));
	},
};`;
fs.writeFileSync(new URL('node.js', here), swap(nodeEsm));

const nodeCjs = `// Node with require (written from index.js by build-platforms.mjs): as node.js.
let nodeCrypto;
const platform = {
	preferSmall: true,
	syncWasm: true,
	hasHost: () => true,
	hostCrypto: () => (nodeCrypto ??= require('node:crypto')),
	moduleBytesSync: (file) => require('node:fs').readFileSync(require('node:path').join(__dirname, 'dist', file)),
	moduleBytes: async (file) => require('node:fs').readFileSync(require('node:path').join(__dirname, 'dist', file)),
};`;
let cjs = swap(nodeCjs);
const names = [];
cjs = cjs.replace(/^export (async function|function|class) (\w+)/gm, (_, kind, name) => {
	names.push(name);
	return `${kind} ${name}`;
});
if (/^export /m.test(cjs) || /\bimport\s*\(|^import /m.test(cjs.replace(/^\s*(\/\/|\*).*$/gm, '')))
	throw new Error('build-platforms: an export or import form this script does not handle');
fs.writeFileSync(new URL('index.cjs', here), `'use strict';\n${cjs}\nmodule.exports = { ${names.join(', ')} };\n`);
fs.copyFileSync(new URL('index.d.ts', here), new URL('index.d.cts', here));
