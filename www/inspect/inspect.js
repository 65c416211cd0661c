// Token inspector: decodes a pasted JWT for display and verifies it with the
// @identity-backend/verifier WebAssembly package against a pasted or fetched
// JWKS. Runs entirely in the page; nothing is sent anywhere except the GET of a
// JWKS URL the user asks for. No inline scripts, no innerHTML with user data.

/** Where the verifier package (index.js with dist/verifier.wasm beside it) is served from. */
const VERIFIER_URL = './verifier/index.js';

/** Same cap as the package's remote verifier (JOSE_JWKS_MAX_LEN). */
const JWKS_MAX = 256 * 1024;
const FETCH_TIMEOUT_MS = 10000;
const ALGORITHMS = ['HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];
const TIME_CLAIMS = { exp: 'Expires', nbf: 'Not before', iat: 'Issued at', auth_time: 'Authenticated at' };
const HINTS = {
	ERR_JWS_INVALID: 'The token is not a well-formed compact JWS (three base64url parts).',
	ERR_JWT_INVALID: 'The claims are not a valid JWT claims set.',
	ERR_JWS_SIGNATURE_VERIFICATION_FAILED: 'The signature does not match: the token was altered, or it was signed by a different key.',
	ERR_JWT_EXPIRED: 'The token is past its expiry time (exp).',
	ERR_JWT_CLAIM_VALIDATION_FAILED: 'A claim does not satisfy the checks.',
	ERR_JOSE_ALG_NOT_ALLOWED: 'The token’s algorithm is not allowed (or is “none”, which never is).',
	ERR_JWKS_NO_MATCHING_KEY: 'No key in the set has the token’s kid and suits its algorithm.',
	ERR_JWKS_MULTIPLE_MATCHING_KEYS: 'Several keys match a token without a kid; give each key a kid.',
	ERR_JWK_INVALID: 'A key in the set is malformed, or holds private key material.',
	ERR_JWKS_INVALID: 'The key set is not a valid JWKS.',
	ERR_JOSE_NOT_SUPPORTED: 'The token uses a feature the verifier does not support.',
};

const $ = (id) => document.getElementById(id);
const el = {
	engine: $('engine'),
	engineText: $('engine-text'),
	token: $('token'),
	tokenStatus: $('token-status'),
	clear: $('clear-token'),
	decodedEmpty: $('decoded-empty'),
	decoded: $('decoded'),
	lifetime: $('lifetime'),
	chips: $('chips'),
	times: $('times'),
	headerJson: $('header-json'),
	payloadJson: $('payload-json'),
	form: $('verify-form'),
	sourcePaste: $('source-paste'),
	sourceUrl: $('source-url'),
	pastePanel: $('paste-panel'),
	urlPanel: $('url-panel'),
	jwks: $('jwks'),
	jwksUrl: $('jwks-url'),
	keysStatus: $('keys-status'),
	checks: $('checks'),
	issuer: $('issuer'),
	audience: $('audience'),
	algorithms: $('algorithms'),
	leeway: $('leeway'),
	verify: $('verify'),
	verdict: $('verdict'),
};

let lib = null; // the verifier module once loaded
let libError = null;
let decoded = null; // { header, payload } of the current token, or null
let verifySeq = 0;

/* ---------- small DOM helpers (textContent only) ---------- */

function h(tag, props = {}, ...children) {
	const node = document.createElement(tag);
	for (const [k, v] of Object.entries(props)) {
		if (v === undefined || v === null || v === false) continue;
		if (k === 'class') node.className = v;
		else if (k === 'text') node.textContent = v;
		else node.setAttribute(k, v === true ? '' : String(v));
	}
	for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) node.append(c);
	return node;
}

/* ---------- time formatting ---------- */

const localZone = Intl.DateTimeFormat().resolvedOptions().timeZone || 'local time';
const localFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'long' });
const nowSeconds = () => Date.now() / 1000;

/** A Date for a NumericDate, or null when it is not a usable one. */
function numericDate(v) {
	if (typeof v !== 'number' || !Number.isFinite(v)) return null;
	const d = new Date(v * 1000);
	return Number.isNaN(d.getTime()) ? null : d;
}

const pad = (n, w = 2) => String(Math.trunc(Math.abs(n))).padStart(w, '0');

/** ISO 8601 in UTC, without milliseconds unless present. */
function isoUtc(d) {
	const s = d.toISOString();
	return s.endsWith('.000Z') ? `${s.slice(0, -5)}Z` : s;
}

/** ISO 8601 in the browser's time zone, with its offset. */
function isoLocal(d) {
	const off = -d.getTimezoneOffset();
	const sign = off >= 0 ? '+' : '-';
	const year = d.getFullYear();
	const y = year < 0 || year > 9999 ? `${year < 0 ? '-' : '+'}${pad(year, 6)}` : pad(year, 4);
	const ms = d.getMilliseconds() ? `.${pad(d.getMilliseconds(), 3)}` : '';
	return `${y}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}${ms}${sign}${pad(off / 60)}:${pad(off % 60)}`;
}

/** "4m 12s", "3h", "2d 5h": the largest unit of a span in seconds and, if not zero, the next one. */
function span(seconds) {
	const s = Math.floor(Math.abs(seconds));
	const units = [['y', 31557600], ['d', 86400], ['h', 3600], ['m', 60], ['s', 1]];
	for (let i = 0; i < units.length; i++) {
		const [name, size] = units[i];
		if (s < size) continue;
		const n = Math.floor(s / size);
		const next = units[i + 1];
		const m = next ? Math.floor((s - n * size) / next[1]) : 0;
		return m ? `${n}${name} ${m}${next[0]}` : `${n}${name}`;
	}
	return '0s';
}

/** "in 4m 12s" or "3h ago". */
function relative(t) {
	const diff = t - nowSeconds();
	if (Math.abs(diff) < 1) return 'now';
	return diff > 0 ? `in ${span(diff)}` : `${span(diff)} ago`;
}

/* ---------- JSON rendering with highlighting ---------- */

function jsonNodes(value, indent, out, topLevelDates) {
	const push = (text, cls, title) => out.push(cls ? h('span', { class: cls, title, text }) : document.createTextNode(text));
	if (value === null) return push('null', 'j-null');
	if (Array.isArray(value)) {
		if (!value.length) return push('[]');
		push('[\n');
		value.forEach((v, i) => {
			push(' '.repeat(indent + 2));
			jsonNodes(v, indent + 2, out);
			push(i < value.length - 1 ? ',\n' : '\n');
		});
		return push(`${' '.repeat(indent)}]`);
	}
	switch (typeof value) {
		case 'object': {
			const keys = Object.keys(value);
			if (!keys.length) return push('{}');
			push('{\n');
			keys.forEach((k, i) => {
				push(' '.repeat(indent + 2));
				push(JSON.stringify(k), 'j-key');
				push(': ');
				const v = value[k];
				const d = topLevelDates && k in TIME_CLAIMS ? numericDate(v) : null;
				if (d) push(JSON.stringify(v), 'j-num j-date', `${isoUtc(d)} (UTC)`);
				else jsonNodes(v, indent + 2, out);
				push(i < keys.length - 1 ? ',\n' : '\n');
			});
			return push(`${' '.repeat(indent)}}`);
		}
		case 'string':
			return push(JSON.stringify(value), 'j-str');
		case 'number':
			return push(JSON.stringify(value), 'j-num');
		case 'boolean':
			return push(String(value), 'j-bool');
		default:
			return push(String(value));
	}
}

function renderJson(pre, value, topLevelDates = false) {
	const out = [];
	jsonNodes(value, 0, out, topLevelDates);
	pre.replaceChildren(...out);
}

/* ---------- decoding ---------- */

/** The token as pasted, minus whitespace and an "Authorization: Bearer" prefix. */
function normalizedToken() {
	return el.token.value
		.trim()
		.replace(/^(authorization:\s*)?bearer\s+/i, '')
		.replace(/\s+/g, '');
}

function setTokenStatus(parts, error) {
	el.tokenStatus.replaceChildren();
	el.tokenStatus.dataset.state = error ? 'error' : parts ? 'ok' : '';
	if (error) {
		el.tokenStatus.append(h('span', { class: 'err-code', text: error.code ?? 'Error' }), ` ${error.message}`);
		return;
	}
	if (!parts) return;
	const [a, b, c] = parts;
	el.tokenStatus.append(
		h('span', { class: 'part part-header', text: `header ${a.length}` }),
		h('span', { class: 'part-dot', 'aria-hidden': 'true', text: '·' }),
		h('span', { class: 'part part-payload', text: `payload ${b.length}` }),
		h('span', { class: 'part-dot', 'aria-hidden': 'true', text: '·' }),
		h('span', { class: 'part part-signature', text: `signature ${c.length}` }),
		h('span', { class: 'part-unit', text: ' characters' }),
	);
}

function chip(label, value) {
	return h('li', { class: 'chip' }, h('span', { class: 'chip-k', text: label }), h('span', { class: 'chip-v', text: value }));
}

function decodeNow() {
	const token = normalizedToken();
	decoded = null;
	if (!token) {
		setTokenStatus(null, null);
		showDecoded(false);
		return;
	}
	if (!lib) {
		setTokenStatus(null, libError ? { code: 'Unavailable', message: 'the verifier package did not load (see the top of the page).' } : null);
		showDecoded(false);
		return;
	}
	// Five parts is the compact JWE form (RFC 7516 §7.1): encrypted, not signed.
	if (token.split('.').length === 5) {
		setTokenStatus(null, { code: 'JWE', message: 'encrypted token (JWE): not supported. This page verifies signed tokens (JWS) only.' });
		showDecoded(false);
		return;
	}
	try {
		decoded = lib.decode(token);
	} catch (e) {
		setTokenStatus(null, e);
		showDecoded(false);
		return;
	}
	setTokenStatus(token.split('.'), null);
	const { header, payload } = decoded;

	el.chips.replaceChildren(
		chip('alg', typeof header.alg === 'string' ? header.alg : '—'),
		...(header.kid !== undefined ? [chip('kid', String(header.kid))] : []),
		...(header.typ !== undefined ? [chip('typ', String(header.typ))] : []),
		...(payload.iss !== undefined ? [chip('iss', String(payload.iss))] : []),
		...(payload.sub !== undefined ? [chip('sub', String(payload.sub))] : []),
		...(payload.aud !== undefined ? [chip('aud', [payload.aud].flat().join(', '))] : []),
	);

	const items = [];
	for (const [claim, label] of Object.entries(TIME_CLAIMS)) {
		if (!(claim in payload)) continue;
		const v = payload[claim];
		const d = numericDate(v);
		const head = h('div', { class: 'time-head' }, h('code', { class: 'time-claim', text: claim }), h('span', { class: 'time-label', text: label }), h('code', { class: 'time-raw', text: JSON.stringify(v) }));
		if (!d) {
			items.push(h('li', { class: 'time bad' }, head, h('p', { class: 'time-bad', text: 'Not a valid NumericDate (seconds since 1970 as a JSON number).' })));
			continue;
		}
		items.push(
			h(
				'li',
				{ class: 'time', 'data-claim': claim },
				head,
				h(
					'dl',
					{},
					h('div', {}, h('dt', { text: 'UTC' }), h('dd', {}, h('time', { datetime: isoUtc(d), class: 'iso', text: isoUtc(d) }))),
					h('div', {}, h('dt', { text: 'Local' }), h('dd', {}, h('time', { datetime: isoUtc(d), class: 'iso', text: isoLocal(d) }), h('span', { class: 'zone', text: ` ${localZone}` }), h('span', { class: 'long', text: localFmt.format(d) }))),
					h('div', {}, h('dt', { text: 'Relative' }), h('dd', { class: 'rel', 'data-t': String(v) }, relative(v))),
				),
			),
		);
	}
	el.times.replaceChildren(...items);
	el.times.hidden = el.times.previousElementSibling.hidden = items.length === 0;
	renderJson(el.headerJson, header);
	renderJson(el.payloadJson, payload, true);
	updateClock();
	showDecoded(true);
}

function showDecoded(on) {
	el.decoded.hidden = !on;
	el.decodedEmpty.hidden = on;
}

/** The live parts: the expiry banner and the relative times; called every second. */
function updateClock() {
	if (!decoded) return;
	for (const dd of el.times.querySelectorAll('.rel')) dd.textContent = relative(Number(dd.dataset.t));
	const { payload } = decoded;
	const now = nowSeconds();
	const exp = numericDate(payload.exp) ? payload.exp : null;
	const nbf = numericDate(payload.nbf) ? payload.nbf : null;
	let state;
	let text;
	if (nbf !== null && nbf > now) {
		state = 'future';
		text = `not valid yet: valid ${relative(nbf)}`;
		if (exp !== null) text += `, expires ${relative(exp)}`;
	} else if (exp === null) {
		state = 'none';
		text = 'exp' in payload ? 'exp is not a valid NumericDate' : 'never expires (no exp claim)';
	} else if (exp > now) {
		state = exp - now < 60 ? 'soon' : 'valid';
		text = `expires in ${span(exp - now)}`;
	} else {
		state = 'expired';
		text = `expired ${span(now - exp)} ago`;
	}
	el.lifetime.dataset.state = state;
	el.lifetime.textContent = text;
}

/* ---------- keys ---------- */

function source() {
	return el.sourceUrl.checked ? 'url' : 'paste';
}

function describeKeys(doc) {
	const list = Array.isArray(doc?.keys) ? doc.keys : doc && typeof doc === 'object' && typeof doc.kty === 'string' ? [doc] : null;
	if (!list) return null;
	const desc = list.map((k) => {
		if (!k || typeof k !== 'object') return '?';
		const what = [k.kty, k.crv, k.alg].filter((x) => typeof x === 'string').join(' ');
		return k.kid !== undefined ? `${String(k.kid)} (${what || 'no kty'})` : `no kid (${what || 'no kty'})`;
	});
	return `${list.length} key${list.length === 1 ? '' : 's'}${desc.length ? `: ${desc.join(', ')}` : ''}`;
}

function setKeysStatus(text, state = '') {
	el.keysStatus.textContent = text;
	el.keysStatus.dataset.state = state;
}

/** Where a JSON.parse error is, as "line L, column C", when the engine says at which position. */
function jsonProblem(text, e) {
	const m = /position (\d+)/.exec(e.message);
	if (!m) return e.message;
	const pos = Number(m[1]);
	const before = text.slice(0, pos).split('\n');
	return `${e.message.replace(/ in JSON at position \d+.*$/, '')} at line ${before.length}, column ${before[before.length - 1].length + 1}`;
}

function onKeysInput() {
	markStale();
	if (source() !== 'paste') return;
	const text = el.jwks.value.trim();
	if (!text) return setKeysStatus('');
	try {
		const doc = JSON.parse(text);
		const d = describeKeys(doc);
		setKeysStatus(d ?? 'Not a JWKS: expected {"keys":[…]} or a single JWK.', d ? 'ok' : 'error');
	} catch (e) {
		setKeysStatus(`Not valid JSON: ${jsonProblem(text, e)}`, 'error');
	}
}

class FetchError extends Error {}

async function fetchJwks(raw) {
	let url;
	try {
		url = new URL(raw, location.href);
	} catch {
		throw new FetchError(`“${raw}” is not a URL.`);
	}
	if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new FetchError(`Only http and https URLs can be fetched, not ${url.protocol}`);
	const ctl = new AbortController();
	const timer = setTimeout(() => ctl.abort(), FETCH_TIMEOUT_MS);
	let res;
	try {
		res = await fetch(url, { signal: ctl.signal, headers: { accept: 'application/jwk-set+json, application/json' }, credentials: 'omit', cache: 'no-store', referrerPolicy: 'no-referrer' });
	} catch (e) {
		clearTimeout(timer);
		if (ctl.signal.aborted) throw new FetchError(`GET ${url.href}: no answer within ${FETCH_TIMEOUT_MS / 1000} s.`);
		throw new FetchError(`GET ${url.href}: network error. The server is unreachable, or it does not allow cross-origin requests from this page (CORS: it must send Access-Control-Allow-Origin).`);
	}
	try {
		if (!res.ok) throw new FetchError(`GET ${url.href}: HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}.`);
		if (Number(res.headers.get('content-length')) > JWKS_MAX) throw new FetchError(`GET ${url.href}: the response is larger than ${JWKS_MAX / 1024} KiB.`);
		const text = await res.text();
		if (text.length > JWKS_MAX) throw new FetchError(`GET ${url.href}: the response is larger than ${JWKS_MAX / 1024} KiB.`);
		let doc;
		try {
			doc = JSON.parse(text);
		} catch (e) {
			const type = res.headers.get('content-type');
			throw new FetchError(`GET ${url.href}: the response is not JSON${type ? ` (Content-Type: ${type.split(';')[0]})` : ''}: ${jsonProblem(text, e)}.`);
		}
		return { text, doc, url: res.url || url.href };
	} catch (e) {
		if (e instanceof FetchError) throw e;
		throw new FetchError(`GET ${url.href}: ${ctl.signal.aborted ? `no answer within ${FETCH_TIMEOUT_MS / 1000} s` : e.message}.`);
	} finally {
		clearTimeout(timer);
	}
}

/* ---------- options ---------- */

class InputError extends Error {
	constructor(message, field) {
		super(message);
		this.field = field;
	}
}

const list = (s) =>
	s
		.split(',')
		.map((x) => x.trim())
		.filter(Boolean);

function options() {
	const o = {};
	const iss = list(el.issuer.value);
	if (iss.length) o.issuer = iss.length === 1 ? iss[0] : iss;
	const aud = list(el.audience.value);
	if (aud.length) o.audience = aud.length === 1 ? aud[0] : aud;
	const algs = el.algorithms.value.split(/[\s,]+/).filter(Boolean);
	if (algs.length) {
		const canon = algs.map((a) => ALGORITHMS.find((x) => x.toLowerCase() === a.toLowerCase()) ?? a);
		const bad = canon.filter((a) => !ALGORITHMS.includes(a));
		if (bad.length) throw new InputError(`Unknown algorithm${bad.length > 1 ? 's' : ''}: ${bad.join(', ')}. Supported: ${ALGORITHMS.join(', ')}.`, el.algorithms);
		o.algorithms = [...new Set(canon)];
	}
	const leeway = el.leeway.value.trim();
	if (leeway) {
		const n = Number(leeway);
		if (!Number.isInteger(n) || n < 0) throw new InputError('Clock tolerance must be a whole number of seconds, 0 or more.', el.leeway);
		o.clockTolerance = n;
	}
	return o;
}

function checkedList(o, header, payload) {
	const out = [`signature (${header.alg})`];
	if ('exp' in payload) out.push('exp');
	if ('nbf' in payload) out.push('nbf');
	if (o.issuer) out.push(`iss = ${[o.issuer].flat().join(' or ')}`);
	if (o.audience) out.push(`aud ∋ ${[o.audience].flat().join(' or ')}`);
	if (o.algorithms) out.push(`alg ∈ {${o.algorithms.join(', ')}}`);
	if (o.clockTolerance) out.push(`leeway ${o.clockTolerance}s`);
	return out;
}

/* ---------- verdict ---------- */

function verdict(state, title, ...detail) {
	el.verdict.dataset.state = state;
	const icon = { ok: '✓', fail: '✕', warn: '!', busy: '…', idle: '', stale: '' }[state] ?? '';
	el.verdict.replaceChildren(
		...(icon ? [h('span', { class: 'verdict-icon', 'aria-hidden': 'true', text: icon })] : []),
		h('div', { class: 'verdict-body' }, h('p', { class: 'verdict-title', text: title }), ...detail),
	);
}

function markStale() {
	if (el.verdict.dataset.state === 'idle' || el.verdict.dataset.state === 'stale') return;
	verifySeq++; // a verification still running no longer applies
	setBusy(false);
	verdict('stale', 'Not verified', h('p', { class: 'verdict-detail', text: 'The inputs changed since the last check. Press Verify again.' }));
}

function setBusy(on) {
	el.verify.disabled = on;
	el.verify.setAttribute('aria-busy', on ? 'true' : 'false');
	el.verify.textContent = on ? 'Verifying…' : 'Verify signature';
}

/** Which key verified a token that has no kid: try each key on its own. */
async function findKey(doc, token, o) {
	const keys = Array.isArray(doc?.keys) ? doc.keys : [doc];
	for (let i = 0; i < keys.length; i++) {
		let v;
		try {
			v = await lib.createVerifier({ ...o, keys: { keys: [keys[i]] } });
			v.verify(token);
			return { index: i, kid: keys[i]?.kid };
		} catch {
			// not this one
		} finally {
			v?.close();
		}
	}
	return null;
}

async function onVerify(event) {
	event?.preventDefault();
	const seq = ++verifySeq;
	const token = normalizedToken();
	const fail = (title, message, field) => {
		verdict('warn', title, h('p', { class: 'verdict-detail', text: message }));
		field?.focus();
	};
	if (!lib) return fail('The verifier is not available', libError ? `It did not load from ${VERIFIER_URL} (${libError.message}). Serve the built package there: see README.md beside this page.` : 'It is still loading; try again in a moment.');
	if (!token) return fail('No token to verify', 'Paste a token in step 1 first.', el.token);
	if (token.split('.').length === 5) return fail('Encrypted token (JWE): not supported', 'This page verifies signed tokens (JWS); a JWE needs the recipient’s private key to open.', el.token);
	let o;
	try {
		o = options();
	} catch (e) {
		if (!e.field) throw e;
		el.checks.open = true;
		return fail('Check the options', e.message, e.field);
	}

	let keysText;
	let keysDoc;
	let from;
	if (source() === 'url') {
		const raw = el.jwksUrl.value.trim();
		if (!raw) return fail('No JWKS URL', 'Enter the URL of a JSON Web Key Set, e.g. https://issuer.example/.well-known/jwks.json.', el.jwksUrl);
		setBusy(true);
		verdict('busy', 'Fetching the key set…', h('p', { class: 'verdict-detail', text: raw }));
		try {
			const got = await fetchJwks(raw);
			if (seq !== verifySeq) return;
			keysText = got.text;
			keysDoc = got.doc;
			from = `key set fetched from ${got.url}`;
			setKeysStatus(`Fetched ${describeKeys(keysDoc) ?? 'a document that is not a JWKS'}`, describeKeys(keysDoc) ? 'ok' : 'error');
		} catch (e) {
			if (seq !== verifySeq) return;
			setBusy(false);
			setKeysStatus('The key set could not be fetched.', 'error');
			verdict('fail', 'Could not fetch the key set', h('p', { class: 'verdict-detail', text: e.message }));
			return;
		}
	} else {
		keysText = el.jwks.value.trim();
		if (!keysText) return fail('No keys', 'Paste the issuer’s JSON Web Key Set (its /.well-known/jwks.json), or choose “Fetch from a URL”.', el.jwks);
		try {
			keysDoc = JSON.parse(keysText);
		} catch (e) {
			return fail('The key set is not valid JSON', jsonProblem(keysText, e), el.jwks);
		}
		from = 'pasted key set';
	}

	setBusy(true);
	let verifier;
	try {
		verifier = await lib.createVerifier({ ...o, keys: keysText });
		const { header, payload } = verifier.verify(token);
		let kid = header.kid;
		let which = '';
		if (kid === undefined) {
			const found = await findKey(keysDoc, token, o);
			kid = found?.kid;
			which = found ? `key #${found.index + 1} of the set` : '';
		}
		if (seq !== verifySeq) return;
		const at = new Date();
		verdict(
			'ok',
			'Signature verified',
			h(
				'p',
				{ class: 'verdict-key' },
				'Key ',
				kid !== undefined ? h('code', { class: 'kid', text: String(kid) }) : h('span', { text: `without a kid${which ? ` (${which})` : ''}` }),
				` · ${header.alg}`,
			),
			...(header.kid === undefined ? [h('p', { class: 'verdict-detail', text: `The token names no kid: ${which || 'the key'} was found by trying each key of the set.` })] : []),
			h('p', { class: 'verdict-detail', text: `Checked: ${checkedList(o, header, payload).join(', ')}.` }),
			h('p', { class: 'verdict-meta', text: `Checked at ${localFmt.format(at)} against the ${from}.` }),
		);
	} catch (e) {
		if (seq !== verifySeq) return;
		if (e && typeof e.code === 'string' && e.name === 'JwtError') {
			verdict(
				'fail',
				'Verification failed',
				h('p', { class: 'verdict-code' }, h('code', { class: 'err-code', text: e.code })),
				h('p', { class: 'verdict-message', text: e.message }),
				...(e.claim ? [h('p', { class: 'verdict-claim' }, 'Claim: ', h('code', { text: e.claim }))] : []),
				...(HINTS[e.code] ? [h('p', { class: 'verdict-detail', text: HINTS[e.code] })] : []),
				h('p', { class: 'verdict-meta', text: `Against the ${from}.` }),
			);
		} else {
			verdict('fail', 'Verification could not run', h('p', { class: 'verdict-message', text: e?.message ?? String(e) }));
		}
	} finally {
		verifier?.close();
		if (seq === verifySeq) setBusy(false);
	}
}

/* ---------- wiring ---------- */

function onSourceChange() {
	const url = source() === 'url';
	el.urlPanel.hidden = !url;
	el.pastePanel.hidden = url;
	setKeysStatus('');
	if (!url) onKeysInput();
	markStale();
}

el.token.addEventListener('input', () => {
	decodeNow();
	markStale();
});
el.clear.addEventListener('click', () => {
	el.token.value = '';
	decodeNow();
	markStale();
	el.token.focus();
});
el.jwks.addEventListener('input', onKeysInput);
el.jwksUrl.addEventListener('input', markStale);
for (const f of [el.issuer, el.audience, el.algorithms, el.leeway]) f.addEventListener('input', markStale);
el.sourcePaste.addEventListener('change', onSourceChange);
el.sourceUrl.addEventListener('change', onSourceChange);
el.form.addEventListener('submit', onVerify);
for (const t of [el.token, el.jwks])
	t.addEventListener('keydown', (e) => {
		if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
			e.preventDefault();
			el.form.requestSubmit();
		}
	});
setInterval(updateClock, 1000);

// Browsers restore form fields on back/forward: show what they hold.
onSourceChange();

try {
	lib = await import(VERIFIER_URL);
	await lib.init();
	el.engine.dataset.state = 'ready';
	el.engineText.textContent = 'Verifier ready (WebAssembly)';
} catch (e) {
	lib = null;
	libError = e;
	el.engine.dataset.state = 'error';
	el.engineText.textContent = `The verifier did not load from ${new URL(VERIFIER_URL, import.meta.url).href} (${e.message}). Serve the built package there: see README.md.`;
}
decodeNow();
