// Demo app: a public OpenID Connect client (client_id "demo") in one page. It
// signs a person in at this issuer with the authorization code flow and PKCE
// S256, checks state and iss on the way back, exchanges the code, verifies the
// ID token in the browser with @identity-backend/verifier (WebAssembly) and the
// issuer's JWKS, shows /userinfo, refreshes with rotation, and signs out through
// the end-session endpoint. It never sees a password, never puts user data in
// innerHTML, and keeps its tokens in this tab's sessionStorage only.

/** Where the verifier package is served: the issuer maps verifier-wasm/ here. */
const VERIFIER_URL = './verifier/index.js';
const CLIENT_ID = 'demo';
const SCOPE = 'openid profile email offline_access';
const KEY_PENDING = 'demo.pending'; // {state, nonce, verifier} of a sign-in under way
const KEY_SESSION = 'demo.session'; // {tokens, nonce, expiresAt, rotations}
const KEY_LOGOUT = 'demo.logout'; // {state} of a sign-out under way
const TIME_CLAIMS = new Set(['exp', 'iat', 'nbf', 'auth_time', 'updated_at']);
const ALL_ALGS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

const $ = (id) => document.getElementById(id);

/** An OAuth error answer (RFC 6749 §4.1.2.1, §5.2) or a check of ours that failed. */
class FlowError extends Error {
	constructor(code, description = '') {
		super(description ? `${code}: ${description}` : code);
		this.code = code;
		this.description = description;
	}
}

const EXPLAIN = {
	access_denied: 'You cancelled the sign-in, or the issuer refused it.',
	login_required: 'You have no session at the issuer, so it could not sign you in without asking.',
	consent_required: 'The issuer needs your consent first.',
	invalid_request: 'The issuer refused the request as malformed.',
	invalid_grant: 'The code or refresh token was refused: it expired, was already used, or was revoked.',
	invalid_client: 'The issuer does not know the client "demo". Register it (make run does).',
	unauthorized_client: 'The client "demo" is not allowed this grant.',
	invalid_scope: 'The issuer refused the requested scopes.',
	server_error: 'The issuer had an internal error.',
	temporarily_unavailable: 'The issuer is busy or refusing for a while; try again shortly.',
	state_mismatch: 'The answer’s state does not match the sign-in started in this tab, so it was ignored (it may be a forged or replayed link).',
	issuer_mismatch: 'The answer names a different issuer (iss) than this page talks to, so it was ignored (a mix-up attack would look like this).',
	nonce_mismatch: 'The ID token’s nonce is not the one this tab sent, so it was not accepted.',
	no_pending: 'No sign-in was started in this tab, or it already completed. Press Sign in to start again.',
	wrong_origin: 'This page must be opened on the issuer’s own origin.',
};

/* ---------- small helpers ---------- */

function b64url(bytes) {
	let s = '';
	for (const b of new Uint8Array(bytes)) s += String.fromCharCode(b);
	return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function randomString(bytes = 32) {
	return b64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

async function sha(name, text) {
	return new Uint8Array(await crypto.subtle.digest(name, new TextEncoder().encode(text)));
}

async function fingerprint(token) {
	const d = await sha('SHA-256', token);
	return Array.from(d.slice(0, 6), (b) => b.toString(16).padStart(2, '0')).join('');
}

const load = (key) => {
	try {
		return JSON.parse(sessionStorage.getItem(key));
	} catch {
		return null;
	}
};
const save = (key, value) => sessionStorage.setItem(key, JSON.stringify(value));
const drop = (key) => sessionStorage.removeItem(key);

function iso(seconds) {
	return new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
}

function relative(seconds) {
	const d = Math.round(seconds - Date.now() / 1000);
	const a = Math.abs(d);
	const text = a < 90 ? `${a} s` : a < 5400 ? `${Math.round(a / 60)} min` : `${Math.round(a / 3600)} h`;
	return d >= 0 ? `in ${text}` : `${text} ago`;
}

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

/* ---------- what the page shows ---------- */

function show(view) {
	for (const id of ['loading', 'signed-out', 'signed-in', 'idtoken', 'tokens']) $(id).hidden = true;
	for (const id of view) $(id).hidden = false;
}

function setState(state) {
	document.body.dataset.state = state;
}

function message(kind, title, detail = '') {
	const box = $('message');
	box.dataset.kind = kind;
	box.setAttribute('role', kind === 'error' ? 'alert' : 'status');
	$('message-title').textContent = title;
	$('message-detail').textContent = detail;
	box.hidden = false;
}

function clearMessage() {
	$('message').hidden = true;
}

function showError(e, what) {
	if (e instanceof FlowError) {
		const explain = EXPLAIN[e.code] ?? '';
		message('error', `${what}: ${e.code}`, [e.description, explain].filter(Boolean).join(' — '));
	} else {
		message('error', `${what}: ${e?.code ?? 'error'}`, e?.message ?? String(e));
	}
}

function busy(on) {
	for (const id of ['signin', 'refresh', 'signout']) $(id).disabled = on;
	$('main').setAttribute('aria-busy', on ? 'true' : 'false');
}

function focusHeading(id) {
	const el = $(id);
	el.setAttribute('tabindex', '-1');
	el.focus({ preventScroll: false });
}

/* ---------- talking to the issuer ---------- */

async function getJson(url, init = {}) {
	const res = await fetch(url, { ...init, headers: { accept: 'application/json', ...(init.headers ?? {}) } });
	let body = null;
	try {
		body = await res.json();
	} catch {
		/* not JSON */
	}
	if (!res.ok || body === null || typeof body !== 'object') {
		const code = body?.error ?? (res.status === 401 ? 'invalid_token' : `HTTP ${res.status}`);
		throw new FlowError(code, body?.error_description ?? `${init.method ?? 'GET'} ${new URL(url, location.href).pathname} failed`);
	}
	return body;
}

async function tokenRequest(d, form) {
	const body = await getJson(d.token_endpoint, {
		method: 'POST',
		headers: { 'content-type': 'application/x-www-form-urlencoded' },
		body: new URLSearchParams({ ...form, client_id: CLIENT_ID }),
	});
	if (typeof body.access_token !== 'string' || String(body.token_type).toLowerCase() !== 'bearer')
		throw new FlowError('invalid_response', 'the token endpoint did not return a Bearer access token');
	return body;
}

/* ---------- sign in ---------- */

async function signIn(d, redirectUri) {
	const verifier = randomString(32); // 43 characters (RFC 7636 §4.1)
	const state = randomString(16);
	const nonce = randomString(16);
	const challenge = b64url(await sha('SHA-256', verifier));
	save(KEY_PENDING, { state, nonce, verifier });
	const url = new URL(d.authorization_endpoint);
	const q = {
		response_type: 'code',
		client_id: CLIENT_ID,
		redirect_uri: redirectUri,
		scope: SCOPE,
		state,
		nonce,
		code_challenge: challenge,
		code_challenge_method: 'S256',
	};
	if ($('prompt-login').checked) q.prompt = 'login';
	for (const [k, v] of Object.entries(q)) url.searchParams.set(k, v);
	location.assign(url.href);
}

/* The answer at the redirect URI: a code to exchange, or an error. */
async function handleReturn(d, redirectUri, params) {
	const pending = load(KEY_PENDING);
	drop(KEY_PENDING); // one answer per sign-in, whatever happens next
	if (!pending) throw new FlowError('no_pending');
	if (params.get('state') !== pending.state) throw new FlowError('state_mismatch');
	// RFC 9207: the issuer identifies itself; a different one is a mix-up.
	if (params.has('iss') ? params.get('iss') !== d.issuer : d.authorization_response_iss_parameter_supported === true)
		throw new FlowError('issuer_mismatch', params.has('iss') ? `got iss=${params.get('iss')}` : 'no iss in the answer');
	if (params.has('error')) throw new FlowError(params.get('error'), params.get('error_description') ?? '');
	const code = params.get('code');
	if (!code) throw new FlowError('invalid_response', 'no code in the answer');
	const tokens = await tokenRequest(d, {
		grant_type: 'authorization_code',
		code,
		redirect_uri: redirectUri,
		code_verifier: pending.verifier,
	});
	if (typeof tokens.id_token !== 'string') throw new FlowError('invalid_response', 'no id_token: was the openid scope granted?');
	const session = { tokens, nonce: pending.nonce, expiresAt: Math.floor(Date.now() / 1000) + (Number(tokens.expires_in) || 0), rotations: [] };
	save(KEY_SESSION, session);
	return session;
}

/* ---------- the ID token ---------- */

let remote = null;

async function verifier(d) {
	if (remote) return remote;
	const lib = await import(VERIFIER_URL);
	const algs = Array.isArray(d.id_token_signing_alg_values_supported) ? d.id_token_signing_alg_values_supported.filter((a) => ALL_ALGS.includes(a)) : ALL_ALGS;
	remote = await lib.createRemoteVerifier({
		jwksUri: d.jwks_uri,
		issuer: d.issuer,
		audience: CLIENT_ID,
		algorithms: algs.length ? algs : ALL_ALGS,
		clockTolerance: 30,
	});
	return remote;
}

/* OIDC Core §3.1.3.6: at_hash is the left half of the hash of the access token that matches the alg. */
async function atHash(alg, accessToken) {
	const name = alg === 'EdDSA' || alg.endsWith('512') ? 'SHA-512' : alg.endsWith('384') ? 'SHA-384' : 'SHA-256';
	const d = await sha(name, accessToken);
	return b64url(d.slice(0, d.length / 2));
}

/* Verify the session's ID token; returns {header, payload, checks} or throws. */
async function verifyIdToken(d, session) {
	let v;
	try {
		v = await verifier(d);
	} catch (e) {
		throw new FlowError('verifier_unavailable', `the WebAssembly verifier could not be loaded (${e.message}); run make wasm`);
	}
	const { header, payload } = await v.verify(session.tokens.id_token);
	const checks = [
		`signature (${header.alg}, kid ${header.kid ?? 'none'}) against the issuer’s JWKS`,
		`iss is ${payload.iss}`,
		`aud contains ${CLIENT_ID}`,
		`not expired: exp ${relative(payload.exp)}`,
	];
	if (!session.fromRefresh) {
		if (payload.nonce !== session.nonce) throw new FlowError('nonce_mismatch', `expected ${session.nonce}, got ${payload.nonce ?? 'none'}`);
		checks.push('nonce matches the one this tab sent');
	} else {
		// OIDC Core §12.2: a refreshed ID token is about the same person; a nonce, if any, is the original one.
		if (payload.nonce !== undefined && payload.nonce !== session.nonce) throw new FlowError('nonce_mismatch', `expected ${session.nonce} or none, got ${payload.nonce}`);
		if (session.sub !== undefined && payload.sub !== session.sub) throw new FlowError('invalid_id_token', 'the refreshed ID token is about someone else (sub changed)');
		checks.push(payload.nonce === undefined ? 'refreshed ID token: same sub, no nonce (OIDC Core §12.2)' : 'refreshed ID token: same sub, nonce matches the one this tab sent');
	}
	if (payload.azp !== undefined && payload.azp !== CLIENT_ID) throw new FlowError('invalid_id_token', `azp is ${payload.azp}, not ${CLIENT_ID}`);
	if (payload.at_hash !== undefined) {
		if (payload.at_hash !== (await atHash(header.alg, session.tokens.access_token)))
			throw new FlowError('invalid_id_token', 'at_hash does not match the access token');
		checks.push('at_hash matches the access token');
	}
	return { header, payload, checks };
}

function claimValue(k, v) {
	if (TIME_CLAIMS.has(k) && Number.isFinite(v)) return `${v} (${iso(v)}, ${relative(v)})`;
	return typeof v === 'string' ? v : JSON.stringify(v);
}

function renderIdToken(session, result, error) {
	const token = session.tokens.id_token;
	let decoded = null;
	try {
		const [hd, pl] = token.split('.').slice(0, 2).map((p) => JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(p.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0)))));
		decoded = { header: hd, payload: pl };
	} catch {
		/* shown as not decodable below */
	}
	const shown = result ?? decoded;
	const verdict = $('verdict');
	verdict.dataset.state = result ? 'ok' : 'fail';
	if (result) {
		$('verdict-title').textContent = 'Verified by the WebAssembly verifier';
		$('verdict-detail').textContent = `alg ${result.header.alg} · kid ${result.header.kid ?? '(none)'} · @identity-backend/verifier`;
	} else {
		$('verdict-title').textContent = `Not verified: ${error?.code ?? 'error'}`;
		$('verdict-detail').textContent = `${error?.message ?? error}. The claims below are decoded only and prove nothing.`;
	}
	$('checks').replaceChildren(...(result?.checks ?? []).map((c) => h('li', { text: c })));
	const rows = shown ? Object.entries(shown.payload).map(([k, v]) => h('tr', { 'data-claim': k }, h('th', { scope: 'row' }, h('code', { text: k })), h('td', { text: claimValue(k, v) }))) : [];
	$('claims').replaceChildren(...rows);
	$('header-json').textContent = shown ? JSON.stringify(shown.header, null, 2) : '';
	$('raw-token').textContent = token;
}

/* ---------- signed in ---------- */

async function renderSession(d, session) {
	let result = null;
	let error = null;
	try {
		result = await verifyIdToken(d, session);
		if (session.sub === undefined) save(KEY_SESSION, { ...session, sub: result.payload.sub });
	} catch (e) {
		error = e;
	}
	renderIdToken(session, result, error);
	const claims = result?.payload ?? {};
	let info = null;
	if (d.userinfo_endpoint) {
		try {
			info = await getJson(d.userinfo_endpoint, { headers: { authorization: `Bearer ${session.tokens.access_token}` } });
			if (result && info.sub !== claims.sub) throw new FlowError('invalid_response', 'userinfo sub differs from the ID token’s');
		} catch (e) {
			if (e instanceof FlowError && e.code === 'invalid_token') throw e; // the access token is gone: session over
			showError(e, 'Userinfo failed');
		}
	}
	const who = info ?? claims;
	const name = who.preferred_username ?? who.name ?? who.sub ?? '(unknown)';
	$('who').textContent = name;
	$('username').textContent = who.preferred_username ?? who.name ?? '—';
	$('email').textContent = who.email ? `${who.email}${who.email_verified === true ? ' (verified)' : ''}` : '—';
	$('sub').textContent = who.sub ?? '—';
	$('at-exp').textContent = session.expiresAt ? `${iso(session.expiresAt)} (${relative(session.expiresAt)})` : '—';
	$('scope').textContent = session.tokens.scope ?? SCOPE;
	$('rt-fp').textContent = session.tokens.refresh_token ? await fingerprint(session.tokens.refresh_token) : 'none (no offline_access)';
	$('refresh').hidden = !session.tokens.refresh_token;
	show(['signed-in', 'idtoken', 'tokens']);
	setState(error ? 'signed-in-unverified' : 'signed-in');
	if (error) showError(error, 'ID token not accepted');
}

async function refresh(d, session) {
	const before = await fingerprint(session.tokens.refresh_token);
	const tokens = await tokenRequest(d, { grant_type: 'refresh_token', refresh_token: session.tokens.refresh_token });
	const next = {
		...session,
		tokens: { ...session.tokens, ...tokens, id_token: tokens.id_token ?? session.tokens.id_token, refresh_token: tokens.refresh_token ?? session.tokens.refresh_token },
		fromRefresh: session.fromRefresh || typeof tokens.id_token === 'string',
		expiresAt: Math.floor(Date.now() / 1000) + (Number(tokens.expires_in) || 0),
	};
	const after = await fingerprint(next.tokens.refresh_token);
	next.rotations = [...(session.rotations ?? []), { before, after, at: Math.floor(Date.now() / 1000) }].slice(-5);
	save(KEY_SESSION, next);
	return { next, before, after };
}

function showRotation(before, after) {
	const p = $('rotation');
	p.hidden = false;
	p.dataset.rotated = String(before !== after);
	p.textContent = before !== after ? `Rotated: refresh token ${before} was replaced by ${after}; the old one no longer works.` : `The issuer kept the same refresh token (${after}).`;
}

/* ---------- sign out ---------- */

function signOut(d, session, redirectUri) {
	drop(KEY_SESSION);
	remote?.close?.();
	if (!d.end_session_endpoint) {
		message('info', 'Signed out of this page', 'The issuer has no end_session_endpoint, so your session there is still open.');
		showSignedOut(d);
		return;
	}
	const state = randomString(16);
	save(KEY_LOGOUT, { state });
	const url = new URL(d.end_session_endpoint);
	url.searchParams.set('id_token_hint', session.tokens.id_token);
	url.searchParams.set('post_logout_redirect_uri', redirectUri);
	url.searchParams.set('client_id', CLIENT_ID);
	url.searchParams.set('state', state);
	location.assign(url.href);
}

function showSignedOut(d) {
	$('issuer-line').textContent = `Issuer: ${d.issuer}`;
	show(['signed-out']);
	setState('signed-out');
}

/* ---------- start ---------- */

async function main() {
	// The answer's parameters leave the address bar (and history) at once: a code is a secret.
	const params = new URLSearchParams(location.search);
	if (location.search) history.replaceState(null, '', location.pathname);
	busy(true);
	let d;
	try {
		d = await getJson('/.well-known/openid-configuration');
	} catch (e) {
		showError(e, 'Cannot read the issuer’s discovery document');
		$('loading-text').textContent = 'The demo cannot start without the issuer.';
		setState('error');
		return;
	}
	const redirectUri = `${d.issuer}/demo/`;
	if (new URL(d.issuer).origin !== location.origin) {
		message('error', 'Open this page at the issuer', `${EXPLAIN.wrong_origin} The issuer is ${d.issuer}; open ${redirectUri} (the registered redirect URI).`);
		$('loading-text').textContent = `Go to ${redirectUri}`;
		setState('error');
		return;
	}
	if (!crypto.subtle) {
		message('error', 'No Web Crypto here', 'PKCE needs crypto.subtle, which browsers offer only on https:// or http://127.0.0.1 / localhost.');
		setState('error');
		return;
	}

	let session = load(KEY_SESSION);
	if (params.has('code') || params.has('error')) {
		try {
			session = await handleReturn(d, redirectUri, params);
		} catch (e) {
			showError(e, 'Sign-in failed');
		}
	} else if (params.has('state')) {
		const pending = load(KEY_LOGOUT);
		drop(KEY_LOGOUT);
		if (pending && pending.state === params.get('state')) message('info', 'You are signed out', 'Your session at the issuer has ended; signing in again asks for your password.');
		else message('error', 'Sign-out answer ignored: state_mismatch', EXPLAIN.state_mismatch);
	}

	$('signin').addEventListener('click', () => {
		clearMessage();
		busy(true);
		signIn(d, redirectUri).catch((e) => {
			showError(e, 'Cannot start the sign-in');
			busy(false);
		});
	});
	$('refresh').addEventListener('click', async () => {
		const current = load(KEY_SESSION);
		if (!current) return showSignedOut(d);
		clearMessage();
		busy(true);
		try {
			const { next, before, after } = await refresh(d, current);
			await renderSession(d, next);
			showRotation(before, after);
		} catch (e) {
			showError(e, 'Refresh failed');
			if (e instanceof FlowError && (e.code === 'invalid_grant' || e.code === 'invalid_token')) {
				drop(KEY_SESSION);
				showSignedOut(d);
			}
		} finally {
			busy(false);
		}
	});
	$('signout').addEventListener('click', () => {
		const current = load(KEY_SESSION);
		busy(true);
		if (current) signOut(d, current, redirectUri);
		else showSignedOut(d);
		busy(false);
	});

	if (session) {
		try {
			await renderSession(d, session);
			focusHeading('signed-in-h');
		} catch (e) {
			drop(KEY_SESSION);
			showError(e, 'Your session at this page ended');
			showSignedOut(d);
		}
	} else {
		showSignedOut(d);
	}
	busy(false);
}

main();
