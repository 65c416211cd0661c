/*
 * @identity-backend/verifier: JWT verification in WebAssembly, with the same C
 * core and the same rules as the identity-backend server (see README.md).
 *
 * This loader instantiates dist/verifier.wasm itself (no Emscripten glue, no
 * eval, no filesystem or network inside the module), copies each token into the
 * module's memory through one reusable buffer, and turns the core's error
 * codes into JwtError. Key sets are imported once per verifier, never per call.
 */

/** Largest token the core accepts (JOSE_TOKEN_MAX_LEN); longer ones are refused before copying. */
const TOKEN_MAX = 64 * 1024;
/** Largest JWKS response createRemoteVerifier reads (JOSE_JWKS_MAX_LEN). */
const JWKS_MAX = 256 * 1024;

const enc = new TextEncoder();
const dec = new TextDecoder();

/** The error of a failed verification: `code` is one of jose's codes; `claim` names a failed claim. */
export class JwtError extends Error {
	constructor(code, message, claim) {
		super(message);
		this.name = 'JwtError';
		this.code = code;
		if (claim) this.claim = claim;
	}
}

let wasm = null; // the instance's exports, once initialised
let loading = null;
let scratch = 0; // reusable input buffer in wasm memory
let scratchCap = 0;
let why = 0; // jose_fail out-parameter: { int err; const char *reason; const char *claim; }
let result = 0; // idb_result out-parameter: { header, header_len, payload, payload_len }

// @cjs-replace-start
async function defaultWasmBytes() {
	const url = new URL('./dist/verifier.wasm', import.meta.url);
	if (url.protocol === 'file:') {
		const fs = await import('node:fs/promises');
		return fs.readFile(url);
	}
	const res = await fetch(url);
	if (!res.ok) throw new Error(`@identity-backend/verifier: cannot load ${url}: HTTP ${res.status}`);
	return res.arrayBuffer();
}
// @cjs-replace-end

async function toModule(source) {
	if (source instanceof WebAssembly.Module) return source;
	if (source === undefined || source === null) return WebAssembly.compile(await defaultWasmBytes());
	if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) return WebAssembly.compile(source);
	// Only now touch fetch/Response: in Node their first use loads undici (~40 ms).
	if (typeof source === 'string' || source instanceof URL) source = await fetch(source);
	if (typeof Response !== 'undefined' && source instanceof Response) {
		if (!source.ok) throw new Error(`@identity-backend/verifier: cannot load the module: HTTP ${source.status}`);
		source = await source.arrayBuffer();
	}
	return WebAssembly.compile(source);
}

/**
 * Load the module. Optional: every API call does it on first use. Pass a
 * precompiled WebAssembly.Module (Cloudflare Workers), the .wasm bytes, or a URL.
 */
export async function init(source) {
	if (wasm) return;
	loading ??= (async () => {
		const module = await toModule(source);
		const instance = await WebAssembly.instantiate(module, {
			env: { emscripten_notify_memory_growth() {} },
		});
		instance.exports._initialize?.();
		why = instance.exports.idb_malloc(12 + 16);
		result = why + 12;
		wasm = instance.exports;
	})();
	try {
		await loading;
	} catch (e) {
		loading = null;
		throw e;
	}
}

function cstring(ptr) {
	if (!ptr) return undefined;
	const mem = new Uint8Array(wasm.memory.buffer);
	let end = ptr;
	while (mem[end]) end++;
	return dec.decode(mem.subarray(ptr, end));
}

/** Copy the token's UTF-8 into the scratch buffer (grown as needed); returns its length. */
function toScratch(text) {
	const need = text.length * 3; // worst case of UTF-8 for a JS string
	if (need > scratchCap) {
		if (scratch) wasm.idb_free(scratch);
		scratchCap = Math.max(need, 4096);
		scratch = wasm.idb_malloc(scratchCap);
		if (!scratch) {
			scratchCap = 0;
			throw new Error('@identity-backend/verifier: out of memory');
		}
	}
	return enc.encodeInto(text, new Uint8Array(wasm.memory.buffer, scratch, scratchCap)).written;
}

function failure(err) {
	const words = new Uint32Array(wasm.memory.buffer, why, 3);
	const code = cstring(wasm.idb_err_code(err));
	if (err < 100) throw new Error(`@identity-backend/verifier: ${code}`);
	return new JwtError(code, cstring(words[1]) ?? code, cstring(words[2]));
}

const UNITS = { s: 1, m: 60, h: 3600, d: 86400, w: 604800, y: 31557600 };
/** Seconds from a number or a jose-style duration string ("30s", "5 minutes", "2h"). */
function seconds(v, name) {
	if (v === undefined) return undefined;
	if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return Math.floor(v);
	const m = typeof v === 'string' && /^(\d+|\d+\.\d+) ?(s|sec|secs|seconds?|m|min|mins|minutes?|h|hr|hrs|hours?|d|days?|w|weeks?|y|yr|yrs|years?)$/i.exec(v);
	if (!m) throw new TypeError(`invalid ${name}: ${v}`);
	return Math.floor(parseFloat(m[1]) * UNITS[m[2][0].toLowerCase()]);
}

function optionsDocument(o) {
	const doc = {};
	if (o.algorithms !== undefined) doc.algorithms = o.algorithms;
	if (o.issuer !== undefined) doc.issuer = o.issuer;
	if (o.audience !== undefined) doc.audience = o.audience;
	if (o.subject !== undefined) doc.subject = o.subject;
	if (o.typ !== undefined) doc.typ = o.typ;
	if (o.requiredClaims !== undefined) doc.requiredClaims = o.requiredClaims;
	doc.clockTolerance = seconds(o.clockTolerance, 'clockTolerance') ?? 0;
	const maxAge = seconds(o.maxTokenAge, 'maxTokenAge');
	if (maxAge !== undefined) doc.maxTokenAge = maxAge;
	return JSON.stringify(doc);
}

function b64urlJson(part, code, what) {
	try {
		const bin = atob(part.replace(/-/g, '+').replace(/_/g, '/'));
		const bytes = new Uint8Array(bin.length);
		for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
		return JSON.parse(dec.decode(bytes));
	} catch {
		throw new JwtError(code, `${what} is not base64url-encoded JSON`);
	}
}

// Verifiers not closed explicitly are freed when garbage-collected.
const registry = typeof FinalizationRegistry !== 'undefined' ? new FinalizationRegistry((ptr) => wasm?.idb_verifier_free(ptr)) : null;

/** Build the C verifier; throws JwtError for an unusable key set, TypeError for bad options. */
function newNativeVerifier(keys, options) {
	const keyText = typeof keys === 'string' ? keys : JSON.stringify(keys ?? null);
	const optBytes = enc.encode(optionsDocument(options));
	const keyBytes = enc.encode(keyText);
	const out = wasm.idb_malloc(8 + keyBytes.length + optBytes.length); /* [out pointer | keys | options] */
	if (!out) throw new Error('@identity-backend/verifier: out of memory');
	const kp = out + 8;
	try {
		new Uint8Array(wasm.memory.buffer, kp, keyBytes.length).set(keyBytes);
		new Uint8Array(wasm.memory.buffer, kp + keyBytes.length, optBytes.length).set(optBytes);
		new Uint32Array(wasm.memory.buffer, why, 3).fill(0);
		const err = wasm.idb_verifier_new(kp, keyBytes.length, kp + keyBytes.length, optBytes.length, out, why);
		if (err === 1) throw new TypeError('invalid verifier options (see the README for names and types)');
		if (err !== 0) throw failure(err);
		return new Uint32Array(wasm.memory.buffer, out, 1)[0];
	} finally {
		wasm.idb_free(out);
	}
}

function verifySync(ptr, options, token) {
	if (typeof token !== 'string' && !(token instanceof Uint8Array))
		throw new JwtError('ERR_JWS_INVALID', 'Compact JWS must be a string or Uint8Array');
	const text = typeof token === 'string' ? token : dec.decode(token);
	if (text.length > TOKEN_MAX) throw new JwtError('ERR_JWS_INVALID', 'token larger than 64 KiB');
	const len = toScratch(text);
	const at = options.currentDate instanceof Date ? options.currentDate.getTime() : Date.now();
	const err = wasm.idb_verify(ptr, scratch, len, Math.floor(at / 1000), why, result);
	if (err !== 0) throw failure(err);
	// The core decoded and strictly validated both; JSON.parse of the same text gives the same values.
	const [hp, hl, pp, pl] = new Uint32Array(wasm.memory.buffer, result, 4);
	const header = JSON.parse(dec.decode(new Uint8Array(wasm.memory.buffer, hp, hl)));
	const payload = JSON.parse(dec.decode(new Uint8Array(wasm.memory.buffer, pp, pl)));
	return { header, protectedHeader: header, payload };
}

/**
 * A verifier for a fixed key set. `verify(token)` is synchronous and returns
 * `{ header, payload }` or throws JwtError. Options follow jose's jwtVerify.
 */
export async function createVerifier(options = {}) {
	await init(options.wasm);
	let ptr = newNativeVerifier(options.keys, options);
	const handle = {};
	registry?.register(handle, ptr, handle);
	handle.verify = (token) => {
		if (!ptr) throw new Error('@identity-backend/verifier: verifier is closed');
		return verifySync(ptr, options, token);
	};
	handle.close = () => {
		if (!ptr) return;
		registry?.unregister(handle);
		wasm.idb_verifier_free(ptr);
		ptr = 0;
	};
	return handle;
}

async function fetchJson(fetcher, url, timeout, limit) {
	const ctl = new AbortController();
	const timer = setTimeout(() => ctl.abort(), timeout);
	try {
		const res = await fetcher(url, { signal: ctl.signal, headers: { accept: 'application/json' }, redirect: 'manual' });
		if (!res.ok) throw new JwtError('ERR_JWKS_INVALID', `GET ${url}: HTTP ${res.status}`);
		const declared = Number(res.headers.get('content-length'));
		if (declared > limit) throw new JwtError('ERR_JWKS_INVALID', `GET ${url}: response larger than ${limit} bytes`);
		const reader = res.body.getReader();
		const chunks = [];
		let size = 0;
		for (;;) {
			const { done, value } = await reader.read();
			if (done) break;
			size += value.length;
			if (size > limit) {
				ctl.abort();
				throw new JwtError('ERR_JWKS_INVALID', `GET ${url}: response larger than ${limit} bytes`);
			}
			chunks.push(value);
		}
		const all = new Uint8Array(size);
		let o = 0;
		for (const c of chunks) all.set(c, (o += c.length) - c.length);
		return dec.decode(all);
	} catch (e) {
		if (e instanceof JwtError) throw e;
		throw new JwtError('ERR_JWKS_TIMEOUT', `GET ${url}: ${ctl.signal.aborted ? 'timed out' : e.message}`);
	} finally {
		clearTimeout(timer);
	}
}

/**
 * A verifier that fetches the key set from `jwksUri` (or discovers it from
 * `issuer`), caches it for `cacheMaxAge` ms, and refetches once on an unknown
 * key, at most once per `cooldownDuration` ms. `verify` is async.
 */
export async function createRemoteVerifier(options = {}) {
	await init(options.wasm);
	const fetcher = options.fetch ?? globalThis.fetch;
	const timeout = options.timeoutDuration ?? 5000;
	const cooldown = options.cooldownDuration ?? 30000;
	const maxAge = options.cacheMaxAge ?? 600000;
	if (!options.jwksUri && !options.issuer) throw new TypeError('createRemoteVerifier needs jwksUri or issuer');
	let jwksUri = options.jwksUri;
	let current = null; // { verifier, fetchedAt }
	let inflight = null;

	async function discover() {
		const iss = Array.isArray(options.issuer) ? options.issuer[0] : options.issuer;
		const meta = JSON.parse(await fetchJson(fetcher, `${iss.replace(/\/$/, '')}/.well-known/openid-configuration`, timeout, JWKS_MAX));
		if (meta.issuer !== iss || typeof meta.jwks_uri !== 'string')
			throw new JwtError('ERR_JWKS_INVALID', 'discovery document does not match the issuer');
		return meta.jwks_uri;
	}
	function refresh() {
		inflight ??= (async () => {
			try {
				jwksUri ??= await discover();
				const text = await fetchJson(fetcher, jwksUri, timeout, JWKS_MAX);
				const verifier = await createVerifier({ ...options, keys: text });
				current?.verifier.close();
				current = { verifier, fetchedAt: Date.now() };
			} finally {
				inflight = null;
			}
		})();
		return inflight;
	}
	return {
		async verify(token) {
			if (!current || Date.now() - current.fetchedAt > maxAge) await refresh();
			try {
				return current.verifier.verify(token);
			} catch (e) {
				if (!(e instanceof JwtError) || e.code !== 'ERR_JWKS_NO_MATCHING_KEY' || Date.now() - current.fetchedAt < cooldown) throw e;
				await refresh();
				return current.verifier.verify(token);
			}
		},
		async reload() {
			await refresh();
		},
		close() {
			current?.verifier.close();
			current = null;
		},
	};
}

/** Decode without verifying, for display: `{ header, payload }`. Never use the result for a decision. */
export function decode(token) {
	if (typeof token !== 'string') throw new JwtError('ERR_JWS_INVALID', 'Compact JWS must be a string');
	const parts = token.split('.');
	if (parts.length !== 3) throw new JwtError('ERR_JWS_INVALID', 'Invalid Compact JWS');
	const header = b64urlJson(parts[0], 'ERR_JWS_INVALID', 'JWS Protected Header');
	const payload = b64urlJson(parts[1], 'ERR_JWT_INVALID', 'JWT Claims Set');
	if (!header || typeof header !== 'object' || Array.isArray(header)) throw new JwtError('ERR_JWS_INVALID', 'JWS Protected Header must be an object');
	if (!payload || typeof payload !== 'object' || Array.isArray(payload)) throw new JwtError('ERR_JWT_INVALID', 'JWT Claims Set must be a top-level JSON object');
	return { header, payload };
}

/** Bytes of WebAssembly memory in use (for leak tests and monitoring; 0 before init). */
export function wasmMemoryBytes() {
	return wasm ? wasm.memory.buffer.byteLength : 0;
}
