// structure.test.mjs: the include graph of our C code has no cycle and no include goes
// upward through the layers. A module is a .c and its .h (issuer/store/store.h and
// issuer/store/store_sqlite.c are two modules of the folder store/); module A depends
// on module B when A's .c or .h includes B's .h.
//
// Layers, lowest first. The JOSE core (shared/) includes nothing of the issuer or the
// WASM package. In the issuer, a folder may include its own files and the folders
// below it, never one above:
//   store, crypto, keys, mfa  ->  http  ->  mail  ->  runtime  ->  oauth  ->  sso  ->  routes  ->  cli  ->  main.c
// The WASM package's C side (verifier-wasm/src/) sits on the core only.
import fs from 'node:fs';
import path from 'node:path';
import { repo, reporter } from './lib.mjs';

const { report, finish } = reporter('structure');

const ISSUER_LAYERS = ['store', 'crypto', 'keys', 'mfa', 'http', 'mail', 'runtime', 'oauth', 'sso', 'routes', 'cli', '.'];
const rank = (rel) => {
	if (rel.startsWith('shared/')) return { family: 'shared', rank: 0 };
	if (rel.startsWith('verifier-wasm/')) return { family: 'wasm', rank: 1 };
	const folder = path.dirname(path.relative('issuer', rel));
	return { family: 'issuer', rank: ISSUER_LAYERS.indexOf(folder) + 1, folder };
};

function walk(dir, out = []) {
	for (const e of fs.readdirSync(path.join(repo, dir), { withFileTypes: true })) {
		const rel = path.posix.join(dir, e.name);
		if (e.isDirectory()) walk(rel, out);
		else if (/\.[ch]$/.test(e.name)) out.push(rel);
	}
	return out;
}

const files = [...walk('shared'), ...walk('issuer'), ...walk('verifier-wasm/src')];
const exists = (rel) => fs.existsSync(path.join(repo, rel));
// Where a quoted include of file `from` resolves: its own folder, then the -iquote and -I
// folders of the build (issuer/, shared/include/, shared/src/). Generated and system
// files resolve to nothing and are not ours to check.
function resolve(from, name) {
	for (const dir of [path.dirname(from), 'issuer', 'shared/include', 'shared/src']) {
		const rel = path.posix.normalize(path.posix.join(dir, name));
		if (exists(rel) && files.includes(rel)) return rel;
	}
	return null;
}
const moduleOf = (rel) => rel.replace(/\.[ch]$/, '');

const edges = new Map(); // module -> Set(module)
const unresolved = [];
for (const f of files) {
	const m = moduleOf(f);
	if (!edges.has(m)) edges.set(m, new Set());
	const text = fs.readFileSync(path.join(repo, f), 'utf8');
	for (const [, name] of text.matchAll(/^\s*#\s*include\s+"([^"]+)"/gm)) {
		const to = resolve(f, name);
		if (!to) {
			if (!/\.inc$/.test(name)) unresolved.push(`${f}: "${name}"`);
			continue;
		}
		if (moduleOf(to) !== m) edges.get(m).add(moduleOf(to));
	}
}
report(unresolved.length === 0, `every quoted include names one of our files (${files.length} files)`, unresolved.join(', '));

// Tarjan's strongly connected components: any component of two or more modules is a cycle.
function cycles() {
	let index = 0;
	const idx = new Map(), low = new Map(), stack = [], on = new Set(), out = [];
	const visit = (v) => {
		idx.set(v, index), low.set(v, index), index++;
		stack.push(v), on.add(v);
		for (const w of edges.get(v) ?? []) {
			if (!idx.has(w)) visit(w), low.set(v, Math.min(low.get(v), low.get(w)));
			else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
		}
		if (low.get(v) === idx.get(v)) {
			const comp = [];
			let w;
			do (w = stack.pop()), on.delete(w), comp.push(w);
			while (w !== v);
			if (comp.length > 1) out.push(comp.sort());
		}
	};
	for (const v of edges.keys()) if (!idx.has(v)) visit(v);
	return out;
}
const cyc = cycles();
report(cyc.length === 0, `no include cycle among ${edges.size} modules`, cyc.map((c) => c.join(' <-> ')).join('; '));

const upward = [];
for (const [from, tos] of edges) {
	const a = rank(from + '.c');
	for (const to of tos) {
		const b = rank(to + '.h');
		const bad =
			(a.family === 'shared' && b.family !== 'shared') ||
			(a.family === 'wasm' && b.family === 'issuer') ||
			(a.family === 'issuer' && b.family === 'issuer' && (b.rank === 0 || a.rank === 0 || b.rank > a.rank));
		if (bad) upward.push(`${from} -> ${to}`);
	}
}
report(upward.length === 0, 'no include goes upward through the layers', upward.join(', '));

const stray = files.filter((f) => f.startsWith('issuer/') && f !== 'issuer/main.c' && rank(f).rank === 0);
report(stray.length === 0, 'every issuer file but main.c sits in a layer folder', stray.join(', '));

// A check that cannot fail proves nothing: the same analysis must find a planted cycle.
{
	const saved = new Map([...edges].map(([k, v]) => [k, new Set(v)]));
	edges.get('issuer/store/store').add('issuer/runtime/app');
	edges.get('issuer/runtime/app').add('issuer/store/store');
	report(cycles().some((c) => c.includes('issuer/store/store')), 'control: a planted store <-> app cycle is found');
	edges.clear();
	for (const [k, v] of saved) edges.set(k, v);
}
finish();
