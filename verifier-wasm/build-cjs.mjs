// Writes index.cjs (and index.d.cts) from index.js (and index.d.ts) (run by `make wasm`): the same code, with the
// ESM-only parts swapped for CommonJS ones, so `require` and `import` users get
// one implementation. The wasm file is located next to this file in both.
import fs from 'node:fs';

const here = new URL('.', import.meta.url);
let src = fs.readFileSync(new URL('index.js', here), 'utf8');
const start = src.indexOf('// @cjs-replace-start');
const end = src.indexOf('// @cjs-replace-end');
if (start < 0 || end < 0) throw new Error('build-cjs: markers not found in index.js');
const cjsLoader = `async function defaultWasmBytes() {
	return require('node:fs').promises.readFile(require('node:path').join(__dirname, 'dist', 'verifier.wasm'));
}
`;
src = src.slice(0, start) + cjsLoader + src.slice(end + '// @cjs-replace-end'.length);
const names = [];
src = src.replace(/^export (async function|function|class) (\w+)/gm, (_, kind, name) => {
	names.push(name);
	return `${kind} ${name}`;
});
if (/^export /m.test(src)) throw new Error('build-cjs: an export form this script does not handle');
src = `'use strict';\n${src}\nmodule.exports = { ${names.join(', ')} };\n`;
fs.writeFileSync(new URL('index.cjs', here), src);
// TypeScript wants CommonJS consumers' declarations in a .d.cts file: the same text.
fs.copyFileSync(new URL('index.d.ts', here), new URL('index.d.cts', here));
