// openapi.mjs: every answer the Node suites receive from an issuer they started is
// checked against the API description (www/openapi.json), so an answer the
// description does not promise fails the suite that received it. tests/lib.mjs hooks
// it in: launchServer registers each issuer's ports (watchServer), the global fetch
// and tests/issuer/lib.mjs's hreq pass every answer from those ports to checkAnswer,
// and the reporter's finish() adds one check with the mismatches (openapiSummary).
//
// What "matches" means, for the request's method and path (the issuer's path prefix
// taken off, as the server does):
// - the path is one of the description's paths (exact ones first, then templates
//   whose parameters are one segment); any other path must answer as
//   x-unmatched.path says (404), a method the path does not list as
//   x-unmatched.method (405); any request may answer a status x-any-request lists
//   (413, before routing); HEAD is answered as GET, without a body;
// - the status is one of the operation's responses (no "default": an undocumented
//   status is a mismatch);
// - the Content-Type is one of that response's media types (parameters compared
//   too, unless the description's type has none), and a response with no content
//   has an empty body;
// - a JSON body validates against the media type's schema (JSON Schema 2020-12, by
//   Ajv, with formats); a schema that is a `const` string must equal the body;
// - every header the response marks required is present.
// Nothing here imports tests/lib.mjs (which imports this), and Ajv loads at the
// first answer checked, so suites that start no issuer pay nothing.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the description lives in the repository. */
export const SPEC_PATH = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'www', 'openapi.json');

const watched = new Map(); // "host:port" -> {prefix: the issuer's path prefix ('' or '/idp'), own: a listener of its own}
const mismatches = [];
let checked = 0;
let loaded = null; // Promise of {spec, validator(pointer)}

/**
 * Check answers from 127.0.0.1:port: the public listener of an issuer whose URL's
 * path is prefix ('' for none), or with own set, a listener of its own
 * (METRICS_LISTEN), which serves only the paths whose path item names servers.
 */
export function watchServer(port, prefix = '', own = false) {
	watched.set(`127.0.0.1:${port}`, { prefix: prefix.replace(/\/+$/, ''), own });
}

/** Whether an answer from url is to be checked. */
export function isWatched(url) {
	try {
		return watched.has(new URL(url).host);
	} catch {
		return false;
	}
}

async function load() {
	const { default: Ajv2020 } = await import('ajv/dist/2020.js');
	const { default: addFormats } = await import('ajv-formats');
	const spec = JSON.parse(fs.readFileSync(SPEC_PATH, 'utf8'));
	const ajv = new Ajv2020({ strict: false, allErrors: true, logger: false });
	addFormats(ajv);
	ajv.addSchema(spec, 'openapi');
	const cache = new Map();
	const validator = (pointer) => {
		if (!cache.has(pointer)) cache.set(pointer, ajv.compile({ $ref: `openapi#${pointer}` }));
		return cache.get(pointer);
	};
	return { spec, validator };
}

const esc = (s) => s.replaceAll('~', '~0').replaceAll('/', '~1');

/** Follow a local $ref of the description; returns [object, its JSON pointer]. */
function deref(spec, obj, pointer) {
	while (obj && obj.$ref) {
		pointer = obj.$ref.slice(1);
		obj = pointer.split('/').slice(1).reduce((o, k) => o?.[k.replaceAll('~1', '/').replaceAll('~0', '~')], spec);
	}
	return [obj, pointer];
}

/** The description's path for a request path: exact first, then templates of one-segment parameters. */
function findPath(spec, p) {
	if (spec.paths[p]) return p;
	for (const tpl of Object.keys(spec.paths)) {
		if (!tpl.includes('{')) continue;
		const re = new RegExp(`^${tpl.split(/\{[^}]+\}/).map((s) => s.replace(/[.*+?^$()|[\]\\]/g, '\\$&')).join('[^/]+')}$`);
		if (re.test(p)) return tpl;
	}
	return null;
}

const norm = (t) => t.toLowerCase().replace(/\s*;\s*/g, '; ').trim();

/** The media type of content that type matches, or undefined. */
function mediaType(content, type) {
	const t = norm(type ?? '');
	const keys = Object.keys(content);
	return keys.find((k) => norm(k) === t) ?? keys.find((k) => !k.includes(';') && norm(k) === t.split(';')[0]);
}

/** The response object the description promises, with its pointer; or a reason it promises none. */
function promised(spec, method, p, status, own) {
	const any = spec['x-any-request']?.[String(status)];
	if (any) return { obj: deref(spec, any, `/x-any-request/${status}`) };
	let tpl = findPath(spec, p);
	if (tpl && own && !spec.paths[tpl].servers) tpl = null; // a listener of its own serves its paths alone
	if (!tpl) {
		if (status !== 404) return { why: `undocumented path ${p} answered ${status} (x-unmatched.path is 404)` };
		return { obj: deref(spec, spec['x-unmatched'].path, '/x-unmatched/path') };
	}
	const item = spec.paths[tpl];
	const op = item[method === 'head' ? 'get' : method];
	if (!op) {
		if (status !== 405) return { why: `${method.toUpperCase()} ${tpl} is not described, and it answered ${status} (x-unmatched.method is 405)` };
		return { obj: deref(spec, spec['x-unmatched'].method, '/x-unmatched/method') };
	}
	const opPtr = `/paths/${esc(tpl)}/${method === 'head' ? 'get' : method}/responses`;
	const key = [String(status), `${String(status)[0]}XX`].find((k) => op.responses[k]);
	if (!key) return { why: `${method.toUpperCase()} ${tpl} answered ${status}, not one of ${Object.keys(op.responses).join(', ')}` };
	return { obj: deref(spec, op.responses[key], `${opPtr}/${key}`), tpl };
}

/**
 * Check one answer: {method, url, status, headers (lower-case names), body (text, or
 * undefined when it could not be read)}. Resolves the problems found ([] when it
 * matches); unless record is false, they are also kept for openapiSummary().
 */
export async function checkAnswer({ method, url, status, headers, body, record = true }) {
	loaded ??= load();
	const { spec, validator } = await loaded;
	const u = new URL(url);
	const { prefix, own } = watched.get(u.host) ?? { prefix: '', own: false };
	let p = u.pathname;
	if (prefix && p.startsWith(`${prefix}/`)) p = p.slice(prefix.length);
	const m = method.toLowerCase();
	const problems = [];
	const pr = promised(spec, m, p, status, own);
	if (record) checked++;
	if (pr.why) problems.push(pr.why);
	else {
		const [res, ptr] = pr.obj;
		const where = `${method} ${p} → ${status}`;
		for (const [name, h] of Object.entries(res.headers ?? {})) {
			if (h.required && headers[name.toLowerCase()] == null) problems.push(`${where}: header ${name} missing`);
		}
		const type = headers['content-type'];
		if (res.content) {
			const mt = mediaType(res.content, type);
			if (!mt) problems.push(`${where}: content-type ${type ?? '(none)'} is not one of ${Object.keys(res.content).join(', ')}`);
			else if (m !== 'head' && body !== undefined) {
				const schema = res.content[mt].schema ?? {};
				if (/^application\/([a-z.+-]+\+)?json/.test(norm(mt))) {
					let doc;
					try {
						doc = JSON.parse(body);
					} catch {
						problems.push(`${where}: the body is not JSON: ${body.slice(0, 80)}`);
					}
					if (doc !== undefined) {
						const v = validator(`${ptr}/content/${esc(mt)}/schema`);
						if (!v(doc)) problems.push(`${where}: body ${JSON.stringify(doc).slice(0, 160)} fails the schema: ${v.errors.map((e) => `${e.instancePath || '/'} ${e.message}${e.params?.additionalProperty ? ` (${e.params.additionalProperty})` : ''}`).join('; ')}`);
					}
				} else if (typeof schema.const === 'string' && body !== schema.const) {
					problems.push(`${where}: body ${JSON.stringify(body.slice(0, 40))} is not ${JSON.stringify(schema.const)}`);
				}
			}
		} else if (m !== 'head' && body) {
			problems.push(`${where}: the description promises no body, got ${type ?? 'no content-type'}: ${body.slice(0, 60)}`);
		}
	}
	if (record) mismatches.push(...problems);
	return problems;
}

/** {checked, mismatches}: how many answers were checked, and what did not match. */
export function openapiSummary() {
	return { checked, mismatches: [...new Set(mismatches)] };
}

/** Headers of a fetch Response (or node:http's object) as a plain object of lower-case names. */
export function headerObject(h) {
	if (typeof h?.forEach === 'function' && typeof h.get === 'function') {
		const o = {};
		h.forEach((v, k) => (o[k.toLowerCase()] = v));
		return o;
	}
	return Object.fromEntries(Object.entries(h ?? {}).map(([k, v]) => [k.toLowerCase(), Array.isArray(v) ? v.join(', ') : v]));
}
