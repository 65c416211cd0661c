/*
 * @identity-backend/verifier: JWT verification in WebAssembly, with the same C
 * core and the same rules as the identity-backend server (see README.md).
 *
 * This loader instantiates the modules itself (no Emscripten glue, no eval, no
 * filesystem or network inside a module), copies each token into the module's
 * memory through one reusable buffer, and turns the core's error codes into
 * JwtError. Key sets are imported once per verifier, never per call.
 *
 * Two modules: dist/verifier.wasm (wolfCrypt's arithmetic inside) and
 * dist/verifier-small.wasm (none: the host's crypto does it). With crypto
 * 'auto' and a host crypto library present (node:crypto in Node, Deno, Bun,
 * workerd with nodejs_compat) the core asks the host for the RSA, ECDSA and
 * Ed25519 arithmetic through four imported functions, with one key object per
 * key made when the verifier is made; every decision stays in the core, so
 * verdicts and error codes are the same in both modes.
 *
 * This file is the browser, Workers and default entry, and stands alone (the
 * issuer serves it as one file). build-platforms.mjs writes the Node entries
 * (node.js, index.cjs) from it by replacing the platform block below.
 */

/** Largest token the core accepts (JOSE_TOKEN_MAX_LEN); longer ones are refused before copying. */
const TOKEN_MAX = 64 * 1024;
/** Largest JWKS response createRemoteVerifier reads (JOSE_JWKS_MAX_LEN). */
const JWKS_MAX = 256 * 1024;
/** Most values of issuer, audience and requiredClaims (LIST_MAX in api.c). */
const LIST_MAX = 32;
/** The module files, in dist/ next to this file. */
const FILES = { full: 'verifier.wasm', small: 'verifier-small.wasm' };

const enc = new TextEncoder();
const dec = new TextDecoder();

/** The error of a failed verification: `code` is one of jose's codes; `claim` names a failed claim. */
export class JwtError extends Error {
	constructor(code, message, claim, options) {
		super(message, options);
		this.name = 'JwtError';
		this.code = code;
		if (claim) this.claim = claim;
	}
}

// @platform-start
// Browsers, Workers, Deno and Node importing this file by path. The host's
// crypto is found only through process.getBuiltinModule, which needs no import
// a bundler would have to resolve; the full module is the default.
const platform = {
	preferSmall: false,
	/** Whether a host crypto library may be there (cheap: loads nothing). */
	hasHost: () => typeof globalThis.process?.getBuiltinModule === 'function',
	/** The host's node:crypto, or null. */
	hostCrypto() {
		try {
			return globalThis.process?.getBuiltinModule?.('node:crypto') ?? null;
		} catch {
			return null;
		}
	},
	/** A module file's bytes at once, where that is possible (null here). */
	moduleBytesSync: null,
	async moduleBytes(file) {
		const url = new URL(`./dist/${file}`, import.meta.url);
		if (url.protocol === 'file:') {
			const fs = globalThis.process?.getBuiltinModule?.('node:fs');
			return fs ? fs.readFileSync(url) : (await import('node:fs/promises')).readFile(url);
		}
		return fetch(url); // a Response: compiled as it downloads (see responseModule)
	},
};
// @platform-end

// ---- base64url and DER (key input) -------------------------------------------------

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
function b64url(bytes) {
	let s = '';
	for (let i = 0; i < bytes.length; i += 3) {
		const n = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
		s += B64[n >> 18] + B64[(n >> 12) & 63];
		if (i + 1 < bytes.length) s += B64[(n >> 6) & 63];
		if (i + 2 < bytes.length) s += B64[n & 63];
	}
	return s;
}

function base64Bytes(text) {
	const bin = atob(text);
	const out = new Uint8Array(bin.length);
	for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
	return out;
}

/** One DER element at b[i]: { tag, start (of contents), end }. Definite, minimal lengths only. */
function derAt(b, i, end = b.length) {
	if (i + 2 > end) throw new TypeError('truncated DER');
	const tag = b[i];
	let len = b[i + 1];
	let p = i + 2;
	if (len & 0x80) {
		const n = len & 0x7f;
		if (n === 0 || n > 3 || p + n > end || b[p] === 0) throw new TypeError('invalid DER length');
		len = 0;
		for (let k = 0; k < n; k++) len = len * 256 + b[p++];
		if (len < 128) throw new TypeError('invalid DER length');
	}
	if (p + len > end) throw new TypeError('truncated DER');
	return { tag, start: p, end: p + len };
}

/** The children of a constructed element. */
function derChildren(b, el) {
	const out = [];
	for (let i = el.start; i < el.end; ) {
		const c = derAt(b, i, el.end);
		out.push(c);
		i = c.end;
	}
	return out;
}

const hex = (b, el) => Array.from(b.subarray(el.start, el.end), (x) => x.toString(16).padStart(2, '0')).join('');
const OID = {
	rsa: '2a864886f70d010101',
	ec: '2a8648ce3d0201',
	ed25519: '2b6570',
	curves: { '2a8648ce3d030107': ['P-256', 32], '2b81040022': ['P-384', 48], '2b81040023': ['P-521', 66] },
};

/** A SubjectPublicKeyInfo (RFC 5280 §4.1.2.7) as a public JWK: RSA, EC P-256/384/521 (uncompressed), Ed25519. */
function spkiToJwk(b, el) {
	const [algId, bits] = derChildren(b, el);
	if (el.tag !== 0x30 || !algId || algId.tag !== 0x30 || !bits || bits.tag !== 0x03 || b[bits.start] !== 0)
		throw new TypeError('not a SubjectPublicKeyInfo');
	const [oid, param] = derChildren(b, algId);
	const key = b.subarray(bits.start + 1, bits.end);
	if (oid?.tag !== 0x06) throw new TypeError('not a SubjectPublicKeyInfo');
	const id = hex(b, oid);
	if (id === OID.rsa) {
		const seq = derAt(key, 0);
		const [n, e] = derChildren(key, seq);
		if (seq.tag !== 0x30 || seq.end !== key.length || n?.tag !== 2 || e?.tag !== 2) throw new TypeError('invalid RSA public key');
		const unsigned = (x) => {
			let s = x.start;
			while (s < x.end - 1 && key[s] === 0) s++;
			return b64url(key.subarray(s, x.end));
		};
		return { kty: 'RSA', n: unsigned(n), e: unsigned(e) };
	}
	if (id === OID.ec) {
		const curve = param?.tag === 0x06 && OID.curves[hex(b, param)];
		if (!curve) throw new TypeError('unsupported EC curve (P-256, P-384 and P-521 are)');
		const [crv, size] = curve;
		if (key.length !== 1 + 2 * size || key[0] !== 4) throw new TypeError('EC public key must be an uncompressed point');
		return { kty: 'EC', crv, x: b64url(key.subarray(1, 1 + size)), y: b64url(key.subarray(1 + size)) };
	}
	if (id === OID.ed25519 && !param && key.length === 32) return { kty: 'OKP', crv: 'Ed25519', x: b64url(key) };
	throw new TypeError('unsupported public key type (RSA, EC and Ed25519 are)');
}

/** The DER bytes of the one PEM block labelled label. */
function pemBytes(pem, label) {
	if (typeof pem !== 'string') throw new TypeError(`"${label}" must be a PEM string`);
	const m = new RegExp(`^\\s*-----BEGIN ${label}-----([A-Za-z0-9+/=\\s]+)-----END ${label}-----\\s*$`).exec(pem);
	if (!m) throw new TypeError(`expected one PEM block "-----BEGIN ${label}-----"`);
	return base64Bytes(m[1].replace(/\s+/g, ''));
}

function spkiPemToJwk(pem) {
	const b = pemBytes(pem, 'PUBLIC KEY');
	const el = derAt(b, 0);
	if (el.end !== b.length) throw new TypeError('trailing data after the SubjectPublicKeyInfo');
	return spkiToJwk(b, el);
}

/** The subject public key of an X.509 certificate (RFC 5280 §4.1): the 7th field of tbsCertificate, or 6th without version. */
function x509PemToJwk(pem) {
	const b = pemBytes(pem, 'CERTIFICATE');
	const cert = derAt(b, 0);
	const [tbs] = cert.tag === 0x30 && cert.end === b.length ? derChildren(b, cert) : [];
	if (tbs?.tag !== 0x30) throw new TypeError('not an X.509 certificate');
	const fields = derChildren(b, tbs);
	const spki = fields[fields[0]?.tag === 0xa0 ? 6 : 5];
	if (!spki) throw new TypeError('not an X.509 certificate');
	return spkiToJwk(b, spki);
}

const ALGS = ['HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];

function bindAlg(jwk, alg, fn) {
	if (typeof alg !== 'string' || !ALGS.includes(alg) || alg.startsWith('HS'))
		throw new TypeError(`${fn}: "alg" must be one of ${ALGS.filter((a) => !a.startsWith('HS')).join(', ')}`);
	return { ...jwk, alg };
}

/** A public JWK from an SPKI PEM ("-----BEGIN PUBLIC KEY-----"), bound to alg, as jose's importSPKI. */
export async function importSPKI(spki, alg) {
	return bindAlg(spkiPemToJwk(spki), alg, 'importSPKI');
}

/** The public JWK of an X.509 certificate's PEM, bound to alg, as jose's importX509. */
export async function importX509(x509, alg) {
	return bindAlg(x509PemToJwk(x509), alg, 'importX509');
}

// ---- options --------------------------------------------------------------------------

const DURATION = /^([+-])? ?(\d+|\d+\.\d+) ?(seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h|days?|d|weeks?|w|years?|yrs?|y)(?: (ago|from now))?$/i;
const UNIT = { s: 1, m: 60, h: 3600, d: 86400, w: 604800, y: 31557600 };
/** jose's duration strings ("30s", "1.5 hours", "2d ago"): rounded to whole seconds, as jose rounds them. */
function durationSeconds(text, name) {
	const m = DURATION.exec(text);
	if (!m || (m[1] && m[4])) throw new TypeError(`invalid "${name}" option: ${JSON.stringify(text)} is not a duration`);
	const v = Math.round(parseFloat(m[2]) * UNIT[m[3][0].toLowerCase()]);
	return m[1] === '-' || m[4] === 'ago' ? -v : v;
}

function seconds(v, name) {
	if (typeof v === 'number' && Number.isFinite(v)) return v;
	if (typeof v === 'string') return durationSeconds(v, name);
	throw new TypeError(`invalid "${name}" option: a number of seconds or a duration string ("30s", "5m")`);
}

const isObject = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);
const nonEmptyString = (v) => typeof v === 'string' && v.length > 0;

function stringList(v, name) {
	const list = typeof v === 'string' ? [v] : v;
	if (!Array.isArray(list) || list.length === 0 || !list.every(nonEmptyString))
		throw new TypeError(`invalid "${name}" option: a non-empty string or a non-empty array of them`);
	if (list.length > LIST_MAX) throw new TypeError(`invalid "${name}" option: at most ${LIST_MAX} values`);
	return list;
}

/** Each option: its check, which may normalise; an unknown name or a wrong type throws naming it. */
const CHECKS = {
	keys: (v) => v,
	algorithms: (v) => {
		if (!Array.isArray(v) || v.length === 0) throw new TypeError('invalid "algorithms" option: a non-empty array of algorithm names');
		for (const a of v) {
			if (typeof a === 'string' && a.toLowerCase() === 'none') throw new TypeError('invalid "algorithms" option: "none" is never accepted');
			if (!ALGS.includes(a)) throw new TypeError(`invalid "algorithms" option: ${JSON.stringify(a)} is not supported (${ALGS.join(', ')})`);
		}
		return v;
	},
	issuer: (v) => stringList(v, 'issuer'),
	audience: (v) => stringList(v, 'audience'),
	subject: (v) => {
		if (!nonEmptyString(v)) throw new TypeError('invalid "subject" option: a non-empty string');
		return v;
	},
	typ: (v) => {
		if (!nonEmptyString(v)) throw new TypeError('invalid "typ" option: a non-empty string');
		return v;
	},
	requiredClaims: (v) => {
		if (!Array.isArray(v) || !v.every(nonEmptyString)) throw new TypeError('invalid "requiredClaims" option: an array of claim names');
		if (v.length > LIST_MAX) throw new TypeError(`invalid "requiredClaims" option: at most ${LIST_MAX} names`);
		return v;
	},
	clockTolerance: (v) => seconds(v, 'clockTolerance'),
	// jose checks the age when the option is truthy: a number 0 only requires "iat", "0s" checks it.
	maxTokenAge: (v) => ({ seconds: seconds(v, 'maxTokenAge'), checked: typeof v === 'string' || v !== 0 }),
	currentDate: (v) => {
		if (!(v instanceof Date) || Number.isNaN(v.getTime())) throw new TypeError('invalid "currentDate" option: a valid Date');
		return v;
	},
	crypto: (v) => {
		if (v !== 'auto' && v !== 'wasm') throw new TypeError(`invalid "crypto" option: 'auto' or 'wasm', not ${JSON.stringify(v)}`);
		return v;
	},
	wasm: (v) => v,
	// createRemoteVerifier only:
	jwksUri: (v) => {
		if (!nonEmptyString(v) && !(v instanceof URL)) throw new TypeError('invalid "jwksUri" option: a URL');
		return String(v);
	},
	cacheMaxAge: (v) => positive(v, 'cacheMaxAge'),
	cooldownDuration: (v) => positive(v, 'cooldownDuration'),
	timeoutDuration: (v) => positive(v, 'timeoutDuration'),
	fetch: (v) => {
		if (typeof v !== 'function') throw new TypeError('invalid "fetch" option: a function');
		return v;
	},
};
const LOCAL = ['keys', 'algorithms', 'issuer', 'audience', 'subject', 'typ', 'requiredClaims', 'clockTolerance', 'maxTokenAge', 'currentDate', 'crypto', 'wasm'];
const REMOTE = [...LOCAL.filter((n) => n !== 'keys'), 'jwksUri', 'cacheMaxAge', 'cooldownDuration', 'timeoutDuration', 'fetch'];

function positive(v, name) {
	if (typeof v !== 'number' || !(v >= 0) || !Number.isFinite(v)) throw new TypeError(`invalid "${name}" option: milliseconds, a number >= 0`);
	return v;
}

/** Edit distance, to suggest the option a typo meant. */
function distance(a, b) {
	const d = Array.from({ length: b.length + 1 }, (_, j) => j);
	for (let i = 1; i <= a.length; i++) {
		let prev = d[0];
		d[0] = i;
		for (let j = 1; j <= b.length; j++) {
			const t = d[j];
			d[j] = Math.min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1));
			prev = t;
		}
	}
	return d[b.length];
}

/** Checked, normalised options; undefined values count as absent (as in jose). */
function checkOptions(options, names, fn) {
	if (!isObject(options)) throw new TypeError(`${fn}: options must be an object`);
	const out = {};
	for (const [name, value] of Object.entries(options)) {
		if (!names.includes(name)) {
			const near = names.filter((n) => distance(name, n) <= 2);
			throw new TypeError(`${fn}: unknown option "${name}"${near.length ? ` (did you mean "${near[0]}"?)` : ''}`);
		}
		if (value !== undefined) out[name] = CHECKS[name](value);
	}
	return out;
}

/** The options document api.c reads (jose's names; durations already in seconds). */
function optionsDocument(o) {
	const doc = { clockTolerance: o.clockTolerance ?? 0 };
	for (const n of ['algorithms', 'issuer', 'audience', 'subject', 'typ', 'requiredClaims']) if (o[n] !== undefined) doc[n] = o[n];
	if (o.maxTokenAge !== undefined) {
		doc.maxTokenAge = o.maxTokenAge.seconds;
		doc.maxTokenAgeChecked = o.maxTokenAge.checked;
	}
	return JSON.stringify(doc);
}

/**
 * { text, list }: the key set as JSON text for the core, and its JWKs as
 * objects (the `key` of a result). Any shape reaches the core, which judges it
 * (a JwtError); a PEM public key or certificate becomes its JWK first.
 */
function keyInput(keys) {
	let doc = keys;
	if (keys instanceof Uint8Array) {
		// JSON bytes reach the core as they are (it checks their UTF-8); PEM is text.
		const text = dec.decode(keys);
		return /^\s*-----BEGIN /.test(text) ? keyInput(text) : { text: keys, list: keyInput(text).list };
	}
	if (typeof keys === 'string' && /^\s*-----BEGIN /.test(keys)) {
		try {
			doc = /^\s*-----BEGIN CERTIFICATE-----/.test(keys) ? x509PemToJwk(keys) : spkiPemToJwk(keys);
		} catch (e) {
			throw new JwtError('ERR_JWK_INVALID', `PEM key: ${e.message}`, undefined, { cause: e });
		}
	} else if (typeof keys === 'string') {
		try {
			doc = JSON.parse(keys);
		} catch {
			doc = undefined; // the core says why, with its own error
		}
		return { text: keys, list: listOf(doc) };
	}
	let text;
	try {
		text = JSON.stringify(doc) ?? 'null';
	} catch (e) {
		throw new JwtError('ERR_JWKS_INVALID', `the key set is not JSON: ${e.message}`, undefined, { cause: e });
	}
	return { text, list: listOf(doc) };
}

function listOf(doc) {
	const list = isObject(doc) && Array.isArray(doc.keys) ? doc.keys : [doc];
	return list.map((k) => (isObject(k) ? Object.freeze({ ...k }) : k));
}

// ---- the host's crypto ----------------------------------------------------------------

const KTY_RSA = 2;
const KTY_EC = 3;
const CURVES = { 1: ['P-256', 32, 'sha256'], 2: ['P-384', 48, 'sha384'], 3: ['P-521', 66, 'sha512'] };
/**
 * Curves whose arithmetic stays in the module even with a host: P-384, where
 * wolfCrypt's SP code with its per-key tables measured 1.8x OpenSSL 3's (3.2k
 * against 1.8k verifications/s in Node 22). The host declines such keys as it
 * declines what it cannot do, so the full module's wolfCrypt takes them.
 */
const MODULE_CURVES = new Set([2]);
const ALG_RS256 = 3; // jose_alg: RS256..RS512, PS256..PS512 follow
const ALG_PS256 = 6;
const HASHES = ['sha256', 'sha384', 'sha512'];
/** Each curve's generator, a point every host that has the curve accepts (SEC 2 §2.4-2.6). */
const GENERATORS = {
	1: ['axfR8uEsQkf4vOblY6RA8ncDfYEt6zOg9KE5RdiYwpY', 'T-NC4v4af5uO5-tKfA-eFivOM1drMV7Oy7ZAaDe_UfU'],
	2: ['qofKIr6LBTeOscce8yCtdG4dO2KLp5uYWfdB4IJUKjhVAvJdv1UpbDpUXjhydgq3', 'NhfeSpYmLG9dnpi_kpLcKfj0Hb0omhR86doxE7XwuMAKYLHOHX6BnXpDHXyQ6g5f'],
	3: ['AMaFjga3BATpzZ4-y2YjlbRCnGSBOQU_tSH4KK9ga009uqFLXnfv51ko_h3BJ6L_qN4zSLPBhWpCm_l-fjHC5b1m', 'ARg5KWp4mjvABFyKX7QsfRvZmPVESVebRGgXr70XJz5mLJfucple9CZAxVC5AT-tB2E1PHCGonLCQIi-lHaf0WZQ'],
};

/**
 * view(p, n, slot): a Uint8Array of the n bytes at p in the module's memory. A
 * call site that passes a slot gets the same view again for the same p and n
 * (the core keeps a token at one place and a signature at another, so each
 * verification would otherwise build two views, and node:crypto costs more for
 * a new one): each slot keeps one pointer's views by length, all dropped when
 * the memory grows (its old buffer is then detached, so a view of it is empty).
 */
function memoryViews(memory) {
	let whole = null;
	const slots = [];
	const fresh = () => {
		if (whole === null || whole.length === 0) {
			whole = new Uint8Array(memory().buffer);
			slots.length = 0;
		}
	};
	return (p, n, slot) => {
		fresh();
		if (slot === undefined) return new Uint8Array(whole.buffer, p, n);
		let s = slots[slot];
		if (!s || s.p !== p || s.byLength.size >= 64) s = slots[slot] = { p, byLength: new Map() };
		let v = s.byLength.get(n);
		if (v === undefined) s.byLength.set(n, (v = new Uint8Array(whole.buffer, p, n)));
		return v;
	};
}

/**
 * The imports of host.c over a node:crypto module `c`: key objects in a table
 * (handle = index), created at load, dropped at unload. Every call that throws
 * answers -1 ("cannot"), never a verdict: the core then falls back or fails.
 */
function hostImports(hostCrypto, memory) {
	let c = null; // node:crypto, loaded with the first key (a verifier in 'wasm' mode never loads it)
	const keys = [null];
	const free = [];
	const curveOk = {};
	const view = memoryViews(memory);
	const importKey = (jwk) => c.createPublicKey({ key: jwk, format: 'jwk' });
	const rsaEntry = (key, len) => {
		const opts = { key, padding: c.constants.RSA_NO_PADDING };
		const one = new Uint8Array(len);
		one[len - 1] = 1; // 1^e mod n = 1: the probe proves the raw operation works here
		const r = c.publicEncrypt(opts, one);
		if (r.length !== len || r[len - 1] !== 1) return null;
		// Whole RSA verification where this runtime takes it (probed with a wrong signature); else
		// -1, and the core checks the encoding on the raw operation's output.
		const whole = (options) => {
			try {
				return c.verify('sha256', one, options, one) === false ? options : null;
			} catch {
				return null;
			}
		};
		const pkcs1 = whole(key);
		const pss = [32, 48, 64].map((saltLength) => whole({ key, padding: c.constants.RSA_PKCS1_PSS_PADDING, saltLength }));
		return {
			rsa: (s, out) => out.set(c.publicEncrypt(opts, s)),
			verify(m, s, alg) {
				const i = (alg - ALG_RS256) % 3; // SHA-256, -384, -512
				const o = alg < ALG_PS256 ? pkcs1 : pss[i];
				return o ? c.verify(HASHES[i], m, o, s) : -1;
			},
		};
	};
	const ecEntry = (key, crv) => {
		// The core passes ECDSA signatures as DER (host.c), node:crypto's default form.
		const hash = CURVES[crv][2];
		const verify = (m, s) => c.verify(hash, m, key, s);
		const probe = Uint8Array.of(0x30, 6, 2, 1, 1, 2, 1, 1); // r = s = 1: well-formed, wrong
		try {
			return verify(probe, probe) === false ? { verify } : null;
		} catch {
			return null;
		}
	};
	const edEntry = (key) => {
		const verify = (m, s) => c.verify(null, m, key, s);
		return verify(new Uint8Array(1), new Uint8Array(64)) === false ? { verify } : null;
	};
	const supportsCurve = (crv) => {
		if (!(crv in curveOk)) {
			try {
				const [x, y] = GENERATORS[crv];
				importKey({ kty: 'EC', crv: CURVES[crv][0], x, y });
				curveOk[crv] = true;
			} catch {
				curveOk[crv] = false;
			}
		}
		return curveOk[crv];
	};
	return {
		host_key_load(kty, crv, a, al, b, bl) {
			if (kty === KTY_EC && MODULE_CURVES.has(crv)) return -1;
			c ??= hostCrypto();
			if (!c) return -1;
			try {
				const A = b64url(view(a, al));
				const jwk = kty === KTY_RSA ? { kty: 'RSA', n: A, e: b64url(view(b, bl)) }
					: kty === KTY_EC ? { kty: 'EC', crv: CURVES[crv][0], x: A, y: b64url(view(b, bl)) }
					: { kty: 'OKP', crv: 'Ed25519', x: A };
				let key;
				try {
					key = importKey(jwk);
				} catch {
					return kty === KTY_EC && supportsCurve(crv) ? 0 : -1; // off its curve, or a curve this host lacks
				}
				const entry = kty === KTY_RSA ? rsaEntry(key, al) : kty === KTY_EC ? ecEntry(key, crv) : edEntry(key);
				if (!entry) return -1;
				const h = free.pop() ?? keys.length;
				keys[h] = entry;
				return h;
			} catch {
				return -1;
			}
		},
		host_key_free(h) {
			keys[h] = null;
			free.push(h);
		},
		host_rsa(h, s, len, out) {
			try {
				keys[h].rsa(view(s, len), view(out, len));
				return 0;
			} catch {
				return -1;
			}
		},
		host_verify(h, alg, m, ml, s, sl) {
			try {
				const ok = keys[h].verify(view(m, ml, 0), view(s, sl, 1), alg);
				return ok === -1 ? -1 : ok ? 1 : 0;
			} catch {
				return -1;
			}
		},
		keysHeld: () => keys.length - 1 - free.length,
	};
}

/** Imports for a module with no host crypto: every call says "cannot". */
const noHost = {
	host_key_load: () => -1,
	host_key_free() {},
	host_rsa: () => -1,
	host_verify: () => -1,
};

// ---- the modules ----------------------------------------------------------------------

/** One instantiated module: its exports, scratch buffers and cached memory views. */
class Engine {
	constructor(instance, host) {
		const x = (this.x = instance.exports);
		x._initialize?.();
		this.full = typeof x.idb_wasm_crypto === 'function';
		this.hostCrypto = host; // () => the host's crypto module or null (loaded on first call)
		this.scratch = 0;
		this.cap = 0;
		this.why = x.idb_malloc(12 + 24); // jose_fail { err, reason, claim } + idb_result (6 words)
		this.res = this.why + 12;
		this.u8 = null;
		this.u32 = null;
		this.input = null; // the scratch buffer's view, for encodeInto
	}

	/**
	 * Byte and word views of the memory, remade only after it grew (growing
	 * detaches the old buffer, which empties every view of it).
	 */
	views() {
		if (this.u8 === null || this.u8.length === 0) {
			const b = this.x.memory.buffer;
			this.u8 = new Uint8Array(b);
			this.u32 = new Uint32Array(b);
			this.input = null;
		}
	}

	cstring(ptr) {
		if (!ptr) return undefined;
		this.views();
		let end = ptr;
		while (this.u8[end]) end++;
		return dec.decode(this.u8.subarray(ptr, end));
	}

	/** Copy bytes (a string's UTF-8, or a Uint8Array) into the scratch buffer; returns the length. */
	put(input, max) {
		const need = typeof input === 'string' ? input.length * 3 : input.length;
		if (need > this.cap) {
			if (this.scratch) this.x.idb_free(this.scratch);
			this.cap = Math.max(need, 4096, Math.min(max, 2 * this.cap));
			this.scratch = this.x.idb_malloc(this.cap);
			this.input = null;
			if (!this.scratch) {
				this.cap = 0;
				throw new Error('@identity-backend/verifier: out of memory');
			}
		}
		this.views();
		if (typeof input !== 'string') {
			this.u8.set(input, this.scratch);
			return input.length;
		}
		this.input ??= this.u8.subarray(this.scratch, this.scratch + this.cap);
		return enc.encodeInto(input, this.input).written;
	}

	failure(err) {
		this.views();
		const w = this.why >>> 2;
		const code = this.cstring(this.x.idb_err_code(err));
		if (err < 100) return new Error(`@identity-backend/verifier: ${code}`);
		return new JwtError(code, this.cstring(this.u32[w + 1]) ?? code, this.cstring(this.u32[w + 2]));
	}

	/** A C verifier for keys (JSON text) and options (document), or throws. Returns [ptr, err]. */
	newVerifier(keyText, doc, useHost) {
		const k = typeof keyText === 'string' ? enc.encode(keyText) : keyText;
		const d = enc.encode(doc);
		const out = this.x.idb_malloc(8 + k.length + d.length); // [out pointer | keys | options]
		if (!out) throw new Error('@identity-backend/verifier: out of memory');
		try {
			this.views();
			this.u8.set(k, out + 8);
			this.u8.set(d, out + 8 + k.length);
			this.u32.fill(0, this.why >>> 2, (this.why >>> 2) + 3);
			const err = this.x.idb_verifier_new(out + 8, k.length, out + 8 + k.length, d.length, useHost ? 1 : 0, out, this.why);
			this.views();
			return [err === 0 ? this.u32[out >>> 2] : 0, err];
		} finally {
			this.x.idb_free(out);
		}
	}
}

const engines = { full: null, small: null }; // each a Promise<Engine> once asked for
const ready = { full: null, small: null }; // each the Engine once loaded

function kindOf(module) {
	return WebAssembly.Module.exports(module).some((e) => e.name === 'idb_wasm_crypto') ? 'full' : 'small';
}

/**
 * A Response's module: compiled while it downloads where the runtime can
 * (compileStreaming needs the application/wasm type), else from its bytes.
 */
async function responseModule(res) {
	if (!res.ok) throw new Error(`@identity-backend/verifier: cannot load the module: HTTP ${res.status}`);
	const wasmType = /^application\/wasm\b/i.test(res.headers?.get?.('content-type') ?? '');
	if (wasmType && typeof WebAssembly.compileStreaming === 'function') return WebAssembly.compileStreaming(res);
	return WebAssembly.compile(await res.arrayBuffer());
}

async function toModule(source, kind) {
	if (source === undefined || source === null) source = await platform.moduleBytes(FILES[kind]);
	if (source instanceof WebAssembly.Module) return source;
	if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) return WebAssembly.compile(source);
	// Only now touch fetch/Response: in Node their first use loads undici (~40 ms).
	if (typeof source === 'string' || source instanceof URL) source = await fetch(source);
	if (typeof Response !== 'undefined' && source instanceof Response) return responseModule(source);
	return WebAssembly.compile(source);
}

/** The engine over a compiled module, with the host's crypto when there is one. */
async function instantiate(module) {
	await platform.prepare?.();
	let memory = null;
	let c;
	const hostCrypto = () => (c === undefined ? (c = platform.hostCrypto()) : c);
	const host = platform.hasHost() ? hostImports(hostCrypto, () => memory) : noHost;
	const imports = { env: { ...host, emscripten_notify_memory_growth() {} } };
	const instance = platform.syncWasm ? new WebAssembly.Instance(module, imports) : await WebAssembly.instantiate(module, imports);
	memory = instance.exports.memory;
	return new Engine(instance, platform.hasHost() ? hostCrypto : () => null);
}

/** The engine of kind ('full' or 'small'), loading its module (or `source`) the first time. */
async function engine(kind, source, host = false) {
	if (source !== undefined && source !== null) {
		const module = await toModule(source);
		kind = kindOf(module);
		engines[kind] ??= instantiate(module).then((e) => (ready[kind] = e));
	} else {
		engines[kind] ??= (async () => {
			// A verifier on the host's crypto: its library loads (in Node, node:crypto: several ms)
			// while the module compiles on V8's background threads. Otherwise, where the platform
			// allows it, the module compiles at once (V8 compiles lazily: about half the time).
			const bytes = platform.moduleBytesSync?.(FILES[kind]);
			if (bytes && platform.syncWasm && !host) return instantiate(new WebAssembly.Module(bytes));
			const compiling = bytes ? WebAssembly.compile(bytes) : toModule(undefined, kind);
			if (host) platform.hostCrypto();
			return instantiate(await compiling);
		})().then((e) => (ready[kind] = e));
	}
	try {
		return await engines[kind];
	} catch (e) {
		engines[kind] = null;
		throw e;
	}
}

/** The module 'auto' uses here: the small one where the host has crypto and this entry prefers it. */
function defaultKind() {
	return platform.preferSmall && platform.hasHost() && hasSimd() ? 'small' : 'full';
}

// The small module uses WebAssembly SIMD (128-bit); an engine without it gets the
// full one, which does not. The probe: a function returning a v128 constant.
const SIMD_PROBE = Uint8Array.of(0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 5, 1, 0x60, 0, 1, 0x7b, 3, 2, 1, 0, 10, 0x16, 1, 0x14, 0,
	0xfd, 0x0c, ...new Array(16).fill(0), 0x0b);
let simd;
const hasSimd = () => (simd ??= WebAssembly.validate(SIMD_PROBE));

/**
 * Load a module now. Optional: every API call does it on first use. Pass a
 * precompiled WebAssembly.Module (Cloudflare Workers), the .wasm bytes, or a
 * URL; which of the two modules it is, is read from its exports.
 */
export async function init(source) {
	await engine(defaultKind(), source);
}

// ---- verifiers --------------------------------------------------------------------------

// Verifiers not closed explicitly are freed when garbage-collected.
const registry = typeof FinalizationRegistry !== 'undefined' ? new FinalizationRegistry(({ e, ptr }) => e.x.idb_verifier_free(ptr)) : null;

const NOT_SUPPORTED = 110; // JOSE_E_NOT_SUPPORTED (jose_err.h)
/** Build the C verifier in the engines given; throws JwtError for an unusable key set. */
function nativeVerifier(o, keyText, e, full) {
	// node:crypto is loaded here, for the first verifier that may use it, never for 'wasm'.
	const wantHost = o.crypto !== 'wasm';
	if (!e.full && !(wantHost && e.hostCrypto()))
		throw new TypeError("the small module (verifier-small.wasm) has no arithmetic of its own: crypto: 'wasm' and hosts without node:crypto need verifier.wasm");
	const doc = optionsDocument(o);
	let useHost = wantHost && e.hostCrypto() !== null;
	let [ptr, err] = e.newVerifier(keyText, doc, useHost);
	if (err === NOT_SUPPORTED && !e.full) {
		// The host cannot use one of the keys: the full module does that key itself.
		if (!full) return null;
		e = full;
		useHost = e.hostCrypto() !== null;
		[ptr, err] = e.newVerifier(keyText, doc, useHost);
	}
	if (err === 1) throw new TypeError('invalid verifier options');
	if (err !== 0) throw e.failure(err);
	return { e, ptr, mode: useHost ? (e.full ? 'host+wasm' : 'host') : 'wasm' };
}

/** The module kind a verifier with options o starts on. */
const kindFor = (o) => (o.crypto === 'wasm' ? 'full' : defaultKind());

function tokenInput(token) {
	if (typeof token === 'string') {
		if (token.length > TOKEN_MAX) throw new JwtError('ERR_JWS_INVALID', 'token larger than 64 KiB');
		return token;
	}
	if (token instanceof Uint8Array) {
		if (token.length > TOKEN_MAX) throw new JwtError('ERR_JWS_INVALID', 'token larger than 64 KiB');
		return token;
	}
	throw new JwtError('ERR_JWS_INVALID', 'Compact JWS must be a string or Uint8Array');
}

function verifyWith(v, token) {
	const { e, o, keys } = v;
	const len = e.put(tokenInput(token), TOKEN_MAX);
	const at = o.currentDate ? o.currentDate.getTime() : Date.now();
	const err = e.x.idb_verify(v.ptr, e.scratch, len, Math.floor(at / 1000), e.why, e.res);
	if (err !== 0) throw e.failure(err);
	// The core decoded and strictly validated both; JSON.parse of the same text gives the same values.
	e.views();
	const r = e.res >>> 2;
	const u32 = e.u32;
	// The header is read again only when the core's cache of it changed; each
	// result gets its own copy (a flat header's members are all primitives).
	if (u32[r + 5] !== v.headerFills) {
		v.headerText = dec.decode(e.u8.subarray(u32[r], u32[r] + u32[r + 1]));
		v.header = JSON.parse(v.headerText);
		v.headerFlat = Object.values(v.header).every((m) => m === null || typeof m !== 'object');
		v.headerFills = u32[r + 5];
	}
	const protectedHeader = v.headerFlat ? { ...v.header } : JSON.parse(v.headerText);
	const payload = JSON.parse(dec.decode(e.u8.subarray(u32[r + 2], u32[r + 2] + u32[r + 3])));
	return { payload, protectedHeader, header: protectedHeader, key: keys.list[u32[r + 4]] };
}

// ---- verifyAsync: WebCrypto's arithmetic (browsers) ----------------------------------------

const SUBTLE_CURVES = { 1: 'P-256', 2: 'P-384', 3: 'P-521' };

/** The request the core noted (defer.c's idb_note), copied out of the module's memory, or null. */
function readNote(e, p) {
	e.views();
	const w = p >>> 2;
	const u32 = e.u32;
	if (!u32[w]) return null;
	const bytes = (at, len) => e.u8.slice(at, at + len);
	return { alg: ALGS[u32[w + 1]], kty: u32[w + 2], crv: u32[w + 3], keyAt: u32[w + 4], a: bytes(u32[w + 4], u32[w + 5]),
		b: bytes(u32[w + 6], u32[w + 7]), msg: bytes(u32[w + 8], u32[w + 9]), sig: bytes(p + 44, u32[w + 10]) };
}

/** WebCrypto's import and verify parameters for a noted request. */
function subtleParams(n) {
	const hash = `SHA-${n.alg.slice(2)}`;
	if (n.kty === KTY_RSA) {
		const name = n.alg.startsWith('PS') ? 'RSA-PSS' : 'RSASSA-PKCS1-v1_5';
		return { jwk: { kty: 'RSA', n: b64url(n.a), e: b64url(n.b) }, importAlg: { name, hash }, verifyAlg: { name, saltLength: Number(n.alg.slice(2)) / 8 } };
	}
	if (n.kty === KTY_EC) {
		const namedCurve = SUBTLE_CURVES[n.crv];
		return { jwk: { kty: 'EC', crv: namedCurve, x: b64url(n.a), y: b64url(n.b) }, importAlg: { name: 'ECDSA', namedCurve }, verifyAlg: { name: 'ECDSA', hash } };
	}
	return { jwk: { kty: 'OKP', crv: 'Ed25519', x: b64url(n.a) }, importAlg: { name: 'Ed25519' }, verifyAlg: { name: 'Ed25519' } };
}

/**
 * WebCrypto's answer for a noted request: true or false, or null when it cannot
 * give one (no such algorithm or curve here, a key it refuses): the module then
 * computes. Each key is imported once per verifier and algorithm.
 */
async function subtleVerify(v, n) {
	try {
		const p = subtleParams(n);
		const id = `${n.keyAt}/${n.alg}`;
		if (!v.subtleKeys.has(id))
			v.subtleKeys.set(id, globalThis.crypto.subtle.importKey('jwk', p.jwk, p.importAlg, false, ['verify']).catch(() => null));
		const key = await v.subtleKeys.get(id);
		return key ? await globalThis.crypto.subtle.verify(p.verifyAlg, key, n.sig, n.msg) : null;
	} catch {
		return null;
	}
}

/** verifyWith with the core's signature check in the given defer mode (defer.c). */
function verifyDeferred(v, token, mode) {
	v.e.x.idb_defer(mode);
	try {
		return verifyWith(v, token);
	} finally {
		v.e.x.idb_defer(0);
	}
}

/**
 * The core verifies the token with its signature check noted instead of
 * computed; WebCrypto answers it; a valid signature keeps the core's verdict,
 * an invalid one (or none from WebCrypto) has the core verify the token again
 * with that answer (or with wolfCrypt): the verdict is the synchronous one.
 */
async function verifyWebCrypto(v, token) {
	const { e } = v;
	let result, error, note;
	const at = e.x.idb_defer(1);
	try {
		result = verifyWith(v, token);
	} catch (err) {
		error = err;
	} finally {
		note = readNote(e, at);
		e.x.idb_defer(0);
	}
	const ok = note ? await subtleVerify(v, note) : true;
	if (note) v.subtleAnswers[ok === null ? 'module' : 'webcrypto']++;
	if (ok === true) {
		if (error) throw error;
		return result;
	}
	if (!v.ptr) throw new Error('@identity-backend/verifier: verifier is closed');
	return verifyDeferred(v, token, ok === false ? 2 : 0);
}

const KEY_VERIFY = Symbol.for('@identity-backend/verifier.keyVerify');
const ASYNC_ANSWERS = Symbol.for('@identity-backend/verifier.asyncAnswers');

/** The verifier object around a C verifier. */
function verifierHandle(o, keys, native) {
	const v = { ...native, o, keys, headerFills: -1, headerText: '', header: null, headerFlat: false, subtleKeys: new Map(), subtleAnswers: { webcrypto: 0, module: 0 } };
	// verifyAsync's arithmetic: WebCrypto's where the module would otherwise do it ('auto' without a host).
	const subtle = o.crypto !== 'wasm' && native.mode === 'wasm' && typeof native.e.x.idb_defer === 'function' && !!globalThis.crypto?.subtle;
	const handle = {
		verify(token) {
			if (!v.ptr) throw new Error('@identity-backend/verifier: verifier is closed');
			return verifyWith(v, token);
		},
		async verifyAsync(token) {
			if (!v.ptr) throw new Error('@identity-backend/verifier: verifier is closed');
			return subtle ? verifyWebCrypto(v, token) : verifyWith(v, token);
		},
		/** Which arithmetic verifyAsync uses: 'webcrypto', or the same as verify's. */
		asyncCrypto: subtle ? 'webcrypto' : native.mode,
		close() {
			if (!v.ptr) return;
			registry?.unregister(handle);
			v.e.x.idb_verifier_free(v.ptr);
			v.ptr = 0;
		},
		/** Which arithmetic this verifier uses: 'wasm', 'host', or 'host+wasm' (the host, wolfCrypt behind it). */
		crypto: native.mode,
		// For the package's own tests: how many of verifyAsync's signature checks WebCrypto answered.
		[ASYNC_ANSWERS]: () => ({ ...v.subtleAnswers }),
		// The signature primitive alone, for the package's own tests (Wycheproof's primitive vectors).
		[KEY_VERIFY](alg, msg, sig) {
			const { e } = v;
			const m = e.x.idb_malloc(msg.length + sig.length + 1);
			try {
				e.views();
				e.u8.set(msg, m);
				e.u8.set(sig, m + msg.length);
				const err = e.x.idb_key_verify(v.ptr, ALGS.indexOf(alg), m, msg.length, m + msg.length, sig.length);
				return err === 0 ? 'valid' : e.cstring(e.x.idb_err_code(err));
			} finally {
				e.x.idb_free(m);
			}
		},
	};
	registry?.register(handle, { e: v.e, ptr: v.ptr }, handle);
	return handle;
}

function localOptions(options, fn) {
	const o = checkOptions(options, LOCAL, fn);
	if (!('keys' in o)) throw new TypeError(`${fn}: "keys" is required: a JWK Set, a JWK, their JSON text, or a PEM public key`);
	return o;
}

/**
 * A verifier for a fixed key set. `verify(token)` is synchronous and returns
 * `{ payload, protectedHeader, header, key }` or throws JwtError. Options
 * follow jose's jwtVerify; `crypto` picks the arithmetic ('auto' or 'wasm').
 */
export async function createVerifier(options) {
	const o = localOptions(options, 'createVerifier');
	const keys = keyInput(o.keys);
	const e = await engine(kindFor(o), o.wasm, o.crypto !== 'wasm' && platform.hasHost());
	const native = nativeVerifier(o, keys.text, e, ready.full) ?? nativeVerifier(o, keys.text, e, await engine('full'));
	return verifierHandle(o, keys, native);
}

/**
 * createVerifier without the wait, once the module it needs is loaded (after
 * `await init()` or any earlier async call): for code that cannot await.
 * Throws if that module is not loaded yet.
 */
export function createVerifierSync(options) {
	const o = localOptions(options, 'createVerifierSync');
	if (o.wasm !== undefined) throw new TypeError('createVerifierSync: "wasm" needs createVerifier or init');
	const keys = keyInput(o.keys);
	const e = ready[kindFor(o)];
	if (!e) throw new Error(`@identity-backend/verifier: ${FILES[kindFor(o)]} is not loaded yet: await init() first`);
	const native = nativeVerifier(o, keys.text, e, ready.full);
	if (!native) throw new Error('@identity-backend/verifier: a key needs verifier.wasm, which is not loaded: await init() with it first');
	return verifierHandle(o, keys, native);
}

// ---- remote key sets --------------------------------------------------------------------

async function readLimited(res, url, limit, ctl) {
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
}

/** GET url as text: HTTP errors, oversize, time-outs and unreachable servers each say which they are. */
async function fetchText(fetcher, url, timeout, limit) {
	const ctl = new AbortController();
	let timedOut = false;
	const timer = setTimeout(() => {
		timedOut = true;
		ctl.abort();
	}, timeout);
	try {
		const res = await fetcher(url, { signal: ctl.signal, headers: { accept: 'application/json' }, redirect: 'manual' });
		if (!res.ok) throw new JwtError('ERR_JWKS_INVALID', `GET ${url}: HTTP ${res.status}`);
		return await readLimited(res, url, limit, ctl);
	} catch (e) {
		if (e instanceof JwtError) throw e;
		if (timedOut) throw new JwtError('ERR_JWKS_TIMEOUT', `GET ${url}: no answer within ${timeout} ms`, undefined, { cause: e });
		const why = e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(e);
		throw new JwtError('ERR_JWKS_UNREACHABLE', `GET ${url}: unreachable (${why})`, undefined, { cause: e });
	} finally {
		clearTimeout(timer);
	}
}

/**
 * A verifier that fetches the key set from `jwksUri` (or discovers it from
 * `issuer`), caches it for `cacheMaxAge` ms, and refetches once on an unknown
 * key, at most once per `cooldownDuration` ms. `verify` is async.
 */
export async function createRemoteVerifier(options) {
	const o = checkOptions(options, REMOTE, 'createRemoteVerifier');
	if (!o.jwksUri && !o.issuer) throw new TypeError('createRemoteVerifier needs "jwksUri" or "issuer"');
	await engine(o.crypto === 'wasm' ? 'full' : defaultKind(), o.wasm);
	const fetcher = o.fetch ?? globalThis.fetch;
	const timeout = o.timeoutDuration ?? 5000;
	const cooldown = o.cooldownDuration ?? 30000;
	const maxAge = o.cacheMaxAge ?? 600000;
	const local = Object.fromEntries(Object.entries(o).filter(([n]) => LOCAL.includes(n)));
	let jwksUri = o.jwksUri;
	let current = null; // { verifier, fetchedAt }
	let inflight = null;

	async function discover() {
		const iss = o.issuer[0];
		const meta = JSON.parse(await fetchText(fetcher, `${iss.replace(/\/$/, '')}/.well-known/openid-configuration`, timeout, JWKS_MAX));
		if (meta.issuer !== iss || typeof meta.jwks_uri !== 'string')
			throw new JwtError('ERR_JWKS_INVALID', 'discovery document does not match the issuer');
		return meta.jwks_uri;
	}
	function refresh() {
		inflight ??= (async () => {
			try {
				jwksUri ??= await discover();
				const text = await fetchText(fetcher, jwksUri, timeout, JWKS_MAX);
				const verifier = await createVerifier({ ...local, keys: text });
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

// ---- decoding and thumbprints -------------------------------------------------------------

function b64urlJson(part, code, what) {
	try {
		if (!/^[A-Za-z0-9_-]*$/.test(part)) throw new Error();
		return JSON.parse(dec.decode(base64Bytes(part.replace(/-/g, '+').replace(/_/g, '/'))));
	} catch {
		throw new JwtError(code, `${what} is not base64url-encoded JSON`);
	}
}

/** Decode without verifying, for display: `{ header, payload }`. Never use the result for a decision. */
export function decode(token) {
	if (typeof token !== 'string') throw new JwtError('ERR_JWS_INVALID', 'Compact JWS must be a string');
	const parts = token.split('.');
	if (parts.length !== 3) throw new JwtError('ERR_JWS_INVALID', 'Invalid Compact JWS');
	const header = b64urlJson(parts[0], 'ERR_JWS_INVALID', 'JWS Protected Header');
	const payload = b64urlJson(parts[1], 'ERR_JWT_INVALID', 'JWT Claims Set');
	if (!isObject(header)) throw new JwtError('ERR_JWS_INVALID', 'JWS Protected Header must be an object');
	if (!isObject(payload)) throw new JwtError('ERR_JWT_INVALID', 'JWT Claims Set must be a top-level JSON object');
	return { header, payload };
}

/** The protected header of a compact JWS or JWE (or of an object with "protected"), unverified, as jose's. */
export function decodeProtectedHeader(token) {
	let part;
	if (typeof token === 'string') {
		const parts = token.split('.');
		if (parts.length === 3 || parts.length === 5) part = parts[0];
	} else if (typeof token === 'object' && token) {
		if (!('protected' in token)) throw new TypeError('Token does not contain a Protected Header');
		part = token.protected;
	}
	try {
		if (typeof part !== 'string' || !part) throw new Error();
		const h = b64urlJson(part, 'ERR_JWS_INVALID', 'header');
		if (!isObject(h)) throw new Error();
		return h;
	} catch {
		throw new TypeError('Invalid Token or Protected Header formatting');
	}
}

const THUMBPRINT_MEMBERS = { EC: ['crv', 'kty', 'x', 'y'], OKP: ['crv', 'kty', 'x'], RSA: ['e', 'kty', 'n'], oct: ['k', 'kty'] };
const DIGESTS = { sha256: [0, 32], sha384: [1, 48], sha512: [2, 64] };

/** The RFC 7638 thumbprint of a JWK (base64url of SHA-256 by default), as jose's; the issuer's kids are these. */
export async function calculateJwkThumbprint(jwk, digestAlgorithm = 'sha256') {
	if (!isObject(jwk)) throw new TypeError('JWK must be an object');
	const digest = DIGESTS[digestAlgorithm];
	if (!digest) throw new TypeError('digestAlgorithm must one of "sha256", "sha384", or "sha512"');
	const members = THUMBPRINT_MEMBERS[jwk.kty];
	if (!members) throw new JwtError('ERR_JOSE_NOT_SUPPORTED', '"kty" (Key Type) Parameter missing or unsupported');
	for (const m of members) if (!nonEmptyString(jwk[m])) throw new JwtError('ERR_JWK_INVALID', `"${m}" Parameter missing or invalid`);
	const text = enc.encode(JSON.stringify(Object.fromEntries(members.map((m) => [m, jwk[m]]))));
	const e = await engine(defaultKind());
	const p = e.x.idb_malloc(text.length + 64);
	try {
		e.views();
		e.u8.set(text, p);
		if (e.x.idb_digest(digest[0], p, text.length, p + text.length) !== 0) throw new Error('@identity-backend/verifier: digest failed');
		e.views();
		return b64url(e.u8.slice(p + text.length, p + text.length + digest[1]));
	} finally {
		e.x.idb_free(p);
	}
}

/** Bytes of WebAssembly memory in use by the loaded modules (for leak tests and monitoring; 0 before init). */
export function wasmMemoryBytes() {
	let n = 0;
	for (const e of Object.values(ready)) if (e) n += e.x.memory.buffer.byteLength;
	return n;
}
