// The issuer's OAuth surface, for real: `identity-backend serve` on a free
// loopback port with clients registered by the CLI, driven over HTTP/1.1 by
// fetch, node:http keep-alive pools, raw TCP and openid-client (the certified
// client library), with every token checked by jose. Covers discovery and the
// JWKS, client_credentials (RFC 6749 §4.4, RFC 9068 tokens) and its errors
// (RFC 6749 §5.2), the legacy JSON /token and /verify, introspection (RFC
// 7662), revocation (RFC 7009), key rotation against a running server,
// concurrency, a seeded malformed-input barrage, the environment
// configuration (legacy HS256, browser-ui), the access log, /metrics and the
// database file mode. A sanitizer report on any stderr (SAN=1 builds) fails.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import * as jose from 'jose';
import * as oc from 'openid-client';
import { prng, reporter, sanitizerReport, serverSet, sleep, tempDir } from '../lib.mjs';
import { addClient, b64u, basic, cliTranscript, hreq, pool, raw, rawStatuses, run, until } from './lib.mjs';

const { report, finish } = reporter('issuer/oauth');
const started = Date.now();
const SEED = Number(process.env.FUZZ_SEED ?? 20261123);
const FORM = 'application/x-www-form-urlencoded';
const dirs = [];
const { servers, serve, stop } = serverSet(report);

// Everything secret the run saw: none of it may appear in a log line.
const secrets = new Set();
const tokens = new Set();
// Tokens the main server issued, by grant (checked against /metrics).
const issued = { client_credentials: 0, json: 0 };

const form = (o) => new URLSearchParams(o).toString();
const header = (t) => jose.decodeProtectedHeader(t);
const claims = (t) => jose.decodeJwt(t);
const show = (r) => `${r.status} ${r.text ?? r.error ?? ''}`.slice(0, 300);


/** A fresh temp folder with a database path. */
function scratch(prefix) {
	const dir = tempDir(prefix);
	dirs.push(dir);
	return { dir, db: path.join(dir, 'identity.db') };
}

/** Note a 200 /token answer of the main server: count it by grant, remember the token. */
function note(body, main = true) {
	if (!body?.access_token) return;
	tokens.add(body.access_token);
	if (!main) return;
	let typ;
	try {
		typ = header(body.access_token).typ;
	} catch {
		return;
	}
	if (typ === 'at+jwt') issued.client_credentials++;
	else issued.json++;
}

/** fetch that never rejects: {status, headers, text, json} or {status: 0, error}. */
async function req(url, init = {}) {
	try {
		const r = await fetch(url, init);
		const text = await r.text();
		let json;
		try {
			json = JSON.parse(text);
		} catch {
			json = undefined;
		}
		return { status: r.status, headers: r.headers, text, json };
	} catch (e) {
		return { status: 0, error: `${e.message} ${e.cause?.code ?? ''}` };
	}
}

/** POST a form to base+p with extra headers. */
const postForm = (base, p, body, headers = {}) =>
	req(`${base}${p}`, { method: 'POST', headers: { 'content-type': FORM, ...headers }, body: typeof body === 'string' ? body : form(body) });
const postJson = (base, p, doc, headers = {}) =>
	req(`${base}${p}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof doc === 'string' ? doc : JSON.stringify(doc) });

/** client_credentials for client c ({client_id, client_secret}) with params; how: basic | post. */
async function grant(base, c, params = {}, how = 'basic', main = true) {
	const body = { grant_type: 'client_credentials', ...params };
	const headers = {};
	if (how === 'basic') headers.authorization = basic(c.client_id, c.client_secret);
	else Object.assign(body, { client_id: c.client_id, client_secret: c.client_secret });
	const r = await postForm(base, '/token', body, headers);
	if (r.status === 200) note(r.json, main);
	return r;
}

const isError = (r, status, code) => r.status === status && r.json?.error === code && typeof r.json?.error_description === 'string';

try {
	// ==================================================================== set-up
	const main = scratch('idb-oauth-');
	const DB = main.db;
	const C = {};
	C.svc = await addClient(DB, 'svc', ['--grant', 'client_credentials', '--audience', 'api', '--audience', 'other', '--scope', 'read write']);
	C.svc2 = await addClient(DB, 'svc2', ['--audience', 'api', '--scope', 'read']);
	C.svc3 = await addClient(DB, 'svc3', ['--audience', 'api', '--scope', 'read write']);
	C.seed = await addClient(DB, 'seed', ['--audience', 'api', '--subject', 'alice']);
	C.billing = await addClient(DB, 'billing', ['--audience', 'billing', '--scope', 'read']);
	C.web = await addClient(DB, 'web', ['--grant', 'authorization_code', '--redirect-uri', 'https://app.example/cb', '--audience', 'api']);
	for (const c of Object.values(C)) secrets.add(c.client_secret);
	// The barrage below fails client authentication on purpose; the per-address limit
	// (abuse.test.mjs tests it) must not turn later checks into 429s.
	const srv = await serve({ db: DB, threads: 2, env: { CLIENT_AUTH_FAILURES_PER_ADDRESS: '0' } });
	const base = srv.base;
	const ISS = base;

	// ================================================================ 1. discovery
	let r = await req(`${base}/.well-known/openid-configuration`);
	const disc = r.json ?? {};
	report(r.status === 200 && disc.issuer === ISS, 'discovery: 200 and issuer is the configured one', show(r));
	const urls = Object.entries(disc).filter(([k, v]) => /(_endpoint|_uri)$/.test(k) && typeof v === 'string');
	const answers = await Promise.all(urls.map(async ([k, u]) => [k, (await req(u)).status]));
	report(
		urls.length >= 4 && urls.every(([, u]) => u.startsWith(`${ISS}/`)) && answers.every(([, s]) => s !== 404 && s >= 200 && s < 500),
		'discovery: every endpoint URL it lists is under the issuer and answers (not 404)',
		JSON.stringify(answers),
	);
	report(
		['token_endpoint', 'introspection_endpoint', 'revocation_endpoint', 'jwks_uri'].every((k) => typeof disc[k] === 'string') &&
			['client_secret_basic', 'client_secret_post'].every((m) => disc.token_endpoint_auth_methods_supported?.includes(m)) &&
			disc.grant_types_supported?.includes('client_credentials'),
		'discovery: lists token, introspection, revocation endpoints, jwks_uri, both secret auth methods, client_credentials',
		JSON.stringify(disc),
	);
	r = await req(disc.jwks_uri);
	const jwks0 = r.json ?? {};
	const PRIVATE = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth'];
	report(
		r.status === 200 && /^application\/json/.test(r.headers.get('content-type') ?? '') && Array.isArray(jwks0.keys) && jwks0.keys.length > 0,
		'jwks_uri: 200 application/json with a non-empty key set',
		show(r),
	);
	report(
		jwks0.keys?.every((k) => PRIVATE.every((m) => !(m in k)) && k.kty !== 'oct' && typeof k.kid === 'string'),
		'jwks_uri: public members only (no d, p, q, dp, dq, qi, k; no oct key), every key has a kid',
		r.text,
	);
	report(/max-age=\d+/.test(r.headers?.get('cache-control') ?? ''), 'jwks_uri: Cache-Control carries max-age', r.headers?.get('cache-control'));

	// ==================================================== 2. client_credentials
	const JWKS = jose.createRemoteJWKSet(new URL(disc.jwks_uri), { cooldownDuration: 0 });
	const atOpts = { issuer: ISS, audience: 'api', typ: 'at+jwt' };
	const verifies = async (t, opts = atOpts, keys = JWKS) => {
		try {
			return await jose.jwtVerify(t, keys, opts);
		} catch (e) {
			return { error: `${e.code}: ${e.message}` };
		}
	};

	r = await grant(base, C.svc, {}, 'basic');
	const tokB = r.json?.access_token;
	report(
		r.status === 200 && r.json.token_type === 'Bearer' && r.json.expires_in === 900 && /no-store/.test(r.headers.get('cache-control') ?? ''),
		'client_secret_basic: 200, token_type Bearer, expires_in 900, Cache-Control no-store',
		show(r),
	);
	let v = tokB ? await verifies(tokB) : { error: 'no token' };
	report(!v.error && v.protectedHeader.typ === 'at+jwt' && v.protectedHeader.alg === 'ES256', 'client_secret_basic: the token verifies in jose (remote JWKS, iss, aud api, typ at+jwt), ES256', v.error);
	report(
		!v.error && v.payload.sub === 'svc' && v.payload.client_id === 'svc' && v.payload.scope === 'read write' && typeof v.payload.jti === 'string' && v.payload.exp - v.payload.iat === 900,
		'client_secret_basic: sub = client_id = client, registered scope when none asked, jti, exp-iat 900',
		JSON.stringify(v.payload ?? v),
	);
	report(!v.error && r.json.scope === 'read write', 'client_secret_basic: the answer carries the granted scope', show(r));

	r = await grant(base, C.svc, { scope: 'read' }, 'post');
	v = r.json?.access_token ? await verifies(r.json.access_token) : { error: show(r) };
	report(
		r.status === 200 && r.json.token_type === 'Bearer' && r.json.expires_in === 900 && /no-store/.test(r.headers.get('cache-control') ?? '') && !v.error && v.payload.scope === 'read' && r.json.scope === 'read' && v.payload.sub === 'svc',
		'client_secret_post: 200, Bearer, 900, no-store, scope as requested, verifies in jose',
		v.error ?? show(r),
	);

	const fifty = await Promise.all(Array.from({ length: 50 }, (_, i) => grant(base, i % 2 ? C.svc : C.svc3, {}, i % 3 ? 'basic' : 'post')));
	const jtis = new Set(fifty.map((x) => x.json?.access_token && claims(x.json.access_token).jti));
	report(fifty.every((x) => x.status === 200) && jtis.size === 50, 'jti is unique across 50 tokens', `${jtis.size} distinct; statuses ${[...new Set(fifty.map((x) => x.status))]}`);

	for (const p of ['resource', 'audience']) {
		r = await grant(base, C.svc, { [p]: 'api' });
		v = r.json?.access_token ? await verifies(r.json.access_token) : { error: show(r) };
		report(r.status === 200 && !v.error && v.payload.aud === 'api', `${p}=api: 200 and aud is exactly "api"`, v.error ?? JSON.stringify(v.payload));
	}
	r = await grant(base, C.svc, { resource: 'other' });
	v = r.json?.access_token ? await verifies(r.json.access_token, { ...atOpts, audience: 'other' }) : { error: show(r) };
	report(r.status === 200 && !v.error && v.payload.aud === 'other', 'resource=other (a second registered audience): aud "other"', v.error);
	r = await grant(base, C.svc, { resource: 'api', audience: 'api' });
	report(isError(r, 400, 'invalid_request'), 'resource and audience together: 400 invalid_request', show(r));

	// ============================================================ 3. error paths
	const wrong = { client_id: 'svc', client_secret: 'not-the-secret-0123456789-abcdefghijk' };
	const rWrong = await grant(base, wrong, {}, 'basic', false);
	report(isError(rWrong, 401, 'invalid_client') && /^Basic /.test(rWrong.headers?.get('www-authenticate') ?? ''), 'wrong secret: 401 invalid_client with WWW-Authenticate: Basic', show(rWrong));
	r = await grant(base, wrong, {}, 'post', false);
	report(isError(r, 401, 'invalid_client'), 'wrong secret (client_secret_post): 401 invalid_client', show(r));
	const rUnknown = await grant(base, { client_id: 'nobody', client_secret: wrong.client_secret }, {}, 'basic', false);
	report(isError(rUnknown, 401, 'invalid_client') && rUnknown.text === rWrong.text, 'unknown client: 401 with the same body as a wrong secret', `${show(rUnknown)} vs ${show(rWrong)}`);
	r = await postForm(base, '/token', { grant_type: 'client_credentials' });
	report(isError(r, 401, 'invalid_client') && !!r.headers.get('www-authenticate'), 'no client authentication: 401 invalid_client with WWW-Authenticate', show(r));
	r = await postForm(base, '/token', { grant_type: 'client_credentials', client_id: 'svc' });
	report(isError(r, 401, 'invalid_client'), 'client_id without a secret: 401 invalid_client', show(r));
	r = await postForm(base, '/token', { grant_type: 'client_credentials', client_id: 'svc', client_secret: C.svc.client_secret }, { authorization: basic('svc', C.svc.client_secret) });
	report(isError(r, 400, 'invalid_request'), 'Basic and client_secret_post at once: 400 invalid_request', show(r));
	r = await postForm(base, '/token', { grant_type: 'client_credentials' }, { authorization: 'Basic !!!not-base64' });
	report(isError(r, 401, 'invalid_client'), 'malformed Basic credentials: 401 invalid_client', show(r));
	r = await postForm(base, '/token', { scope: 'read' }, { authorization: basic('svc', C.svc.client_secret) });
	report(isError(r, 400, 'invalid_request'), 'missing grant_type: 400 invalid_request', show(r));
	r = await postForm(base, '/token', { grant_type: 'password', username: 'a', password: 'b' }, { authorization: basic('svc', C.svc.client_secret) });
	report(isError(r, 400, 'unauthorized_client'), 'grant_type=password for a client not registered for it: 400 unauthorized_client', show(r));
	r = await postForm(base, '/token', { grant_type: 'urn:ietf:params:oauth:grant-type:device_code' }, { authorization: basic('svc', C.svc.client_secret) });
	report(isError(r, 400, 'unsupported_grant_type'), 'an unknown grant_type: 400 unsupported_grant_type', show(r));
	r = await grant(base, C.web, {});
	report(isError(r, 400, 'unauthorized_client'), 'a client not registered for client_credentials: 400 unauthorized_client', show(r));
	r = await grant(base, C.svc, { scope: 'read admin' });
	report(isError(r, 400, 'invalid_scope'), 'scope not allowed (admin): 400 invalid_scope', show(r));
	r = await grant(base, C.svc2, { scope: 'write' });
	report(isError(r, 400, 'invalid_scope'), 'scope registered for another client only: 400 invalid_scope', show(r));
	for (const [s, what] of [
		['read  write', 'two spaces'],
		[' read', 'a leading space'],
		['read ', 'a trailing space'],
		['', 'empty'],
		['read"write', 'a quote (not NQCHAR)'],
		['read\\', 'a backslash (not NQCHAR)'],
	]) {
		r = await grant(base, C.svc, { scope: s });
		report(isError(r, 400, 'invalid_scope'), `malformed scope (${what}): 400 invalid_scope`, show(r));
	}
	for (const [s, what] of [
		['read\twrite', 'TAB'],
		['read\x01', 'U+0001'],
		['read\x7f', 'DEL'],
	]) {
		r = await grant(base, C.svc, { scope: s });
		// The form parser refuses control characters in any parameter before the scope is
		// read (invalid_request); RFC 6749 §5.2 also allows invalid_scope for it.
		report(r.status === 400 && ['invalid_scope', 'invalid_request'].includes(r.json?.error), `scope with a control character (${what}): 400 invalid_scope or invalid_request`, show(r));
	}
	r = await grant(base, C.svc, { audience: 'nope' });
	report(isError(r, 400, 'invalid_target'), 'audience not allowed: 400 invalid_target', show(r));
	r = await grant(base, C.svc, { resource: 'billing' });
	report(isError(r, 400, 'invalid_target'), 'resource registered for another client only: 400 invalid_target', show(r));
	r = await postForm(base, '/token', 'grant_type=client_credentials&grant_type=client_credentials', { authorization: basic('svc', C.svc.client_secret) });
	report(isError(r, 400, 'invalid_request'), 'grant_type repeated: 400 invalid_request', show(r));
	r = await postForm(base, '/token', 'grant_type=client_credentials&scope=read&scope=write', { authorization: basic('svc', C.svc.client_secret) });
	report(isError(r, 400, 'invalid_request'), 'scope repeated: 400 invalid_request', show(r));
	for (const [b, what] of [
		['grant_type=client%ZZcredentials', '%ZZ'],
		['grant_type=client_credentials%', 'a trailing %'],
		['grant_type=client_credentials&scope=%E', '%E at the end'],
		['grant_type=client_credentials&scope=%C3%28', 'invalid UTF-8'],
	]) {
		r = await postForm(base, '/token', b, { authorization: basic('svc', C.svc.client_secret) });
		report(isError(r, 400, 'invalid_request'), `bad percent-encoding (${what}): 400 invalid_request`, show(r));
	}
	r = await req(`${base}/token`, { method: 'POST', headers: { 'content-type': 'text/plain', authorization: basic('svc', C.svc.client_secret) }, body: 'grant_type=client_credentials' });
	report(r.status === 415 && r.json?.error === 'invalid_request', 'text/plain body: 415 with a JSON error', show(r));
	r = await req(`${base}/token`, { method: 'POST', headers: { authorization: basic('svc', C.svc.client_secret) } });
	report(r.status === 415 || r.status === 400, 'no body, no Content-Type: 400 or 415', show(r));
	r = await postForm(base, '/token', { grant_type: 'client_credentials' }, { 'content-type': 'Application/X-WWW-Form-Urlencoded; charset=UTF-8', authorization: basic('svc', C.svc.client_secret) });
	if (r.status === 200) note(r.json);
	report(r.status === 200, 'form media type matched case-insensitively, parameters allowed', show(r));
	r = await postForm(base, '/token', { grant_type: 'client_credentials' }, { authorization: `Basic ${Buffer.from(`sv%63:${C.svc.client_secret}`).toString('base64')}` });
	if (r.status === 200) note(r.json);
	report(r.status === 200 && claims(r.json.access_token).client_id === 'svc', 'Basic credentials are form-urlencoded before base64 (RFC 6749 §2.3.1): "sv%63" is svc', show(r));
	{
		const body = 'grant_type=client_credentials&resource=api';
		const head = `POST /token HTTP/1.1\r\nHost: x\r\nAuthorization: ${basic('svc', C.svc.client_secret)}\r\nContent-Type: ${FORM}\r\nConnection: close\r\n`;
		const chunkedOk = await raw(srv.port, `${head}Transfer-Encoding: chunked\r\n\r\n5\r\n${body.slice(0, 5)}\r\n${(body.length - 5).toString(16)}\r\n${body.slice(5)}\r\n0\r\n\r\n`);
		const at = /"access_token":"([^"]+)"/.exec(chunkedOk.text)?.[1];
		if (at) note({ access_token: at });
		report(rawStatuses(chunkedOk.text)[0] === 200 && at, 'a chunked request body is read whole: 200', chunkedOk.text.slice(0, 120));
		const piped = await raw(srv.port, `GET /ping HTTP/1.1\r\nHost: x\r\n\r\n`.repeat(3) + 'GET /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
		report(rawStatuses(piped.text).join() === '200,200,200,200', 'four pipelined requests on one connection: four 200 answers in order', piped.text.slice(0, 120));
	}
	r = await req(`${base}/token`);
	report(r.status === 405 && r.headers.get('allow') === 'POST, OPTIONS' && r.json?.error === 'method_not_allowed', 'GET /token: 405 with Allow: POST, OPTIONS (OPTIONS: the CORS preflight)', `${show(r)} allow=${r.headers?.get('allow')}`);
	r = await req(`${base}/no/such/endpoint`);
	report(r.status === 404 && /^application\/json/.test(r.headers.get('content-type') ?? '') && r.json?.error === 'not_found', 'unknown path: 404 JSON', show(r));
	r = await req(`${base}/token`, { method: 'POST', headers: { 'content-type': FORM }, body: `grant_type=client_credentials&pad=${'a'.repeat(100 * 1024)}` });
	report(r.status === 413, '100 KB body: 413', show(r));

	// ======================================================== 4. legacy JSON /token
	const seedAuth = { authorization: basic('seed', C.seed.client_secret) };
	r = await postJson(base, '/token', { sub: 'alice', aud: 'api' }, seedAuth);
	note(r.json);
	const seedTok = r.json?.token;
	v = seedTok ? await verifies(seedTok, { issuer: ISS, audience: 'api' }) : { error: show(r) };
	report(
		r.status === 200 && seedTok && seedTok === r.json.access_token && r.json.token_type === 'Bearer' && !v.error && v.payload.sub === 'alice' && v.payload.aud === 'api',
		"legacy JSON /token: 200, token == access_token, sub alice, aud api, verifies in jose",
		v.error ?? show(r),
	);
	r = await postJson(base, '/token', { sub: 'alice', aud: 'api', client_id: 'seed', client_secret: C.seed.client_secret });
	note(r.json);
	report(r.status === 200 && r.json?.token, "legacy JSON /token: client_id/client_secret members authenticate too", show(r));
	r = await postJson(base, '/token', { sub: 'bob', aud: 'api' }, seedAuth);
	report(r.status === 403 && r.json?.error, "legacy JSON /token: a subject not registered → 403", show(r));
	r = await postJson(base, '/token', { sub: 'alice', aud: 'billing' }, seedAuth);
	report(r.status === 403 && r.json?.error, "legacy JSON /token: an audience not registered → 403", show(r));
	r = await postJson(base, '/token', { sub: 'svc', aud: 'api' }, { authorization: basic('svc', C.svc.client_secret) });
	report(r.status === 403, "legacy JSON /token: a client without --subject cannot mint any subject → 403", show(r));
	r = await postJson(base, '/token', { sub: 'alice', aud: 'api' });
	report(r.status === 401 && r.json?.error === 'invalid_client', "legacy JSON /token: no auth → 401", show(r));
	r = await postJson(base, '/token', { sub: 'alice', aud: 'api' }, { authorization: basic('seed', 'wrong-secret-0123456789-0123456789-abcd') });
	report(r.status === 401 && r.json?.error === 'invalid_client', "legacy JSON /token: wrong secret → 401", show(r));
	for (const [b, what] of [
		['{"sub":"alice",', 'not JSON'],
		['[{"sub":"alice","aud":"api"}]', 'a JSON array'],
		['{"aud":"api"}', 'missing sub'],
		['{"sub":"alice"}', 'missing aud'],
		['{"sub":7,"aud":"api"}', 'sub not a string'],
		['{"sub":"alice","sub":"bob","aud":"api"}', 'duplicate member'],
		['', 'empty body'],
	]) {
		r = await postJson(base, '/token', b, seedAuth);
		report(r.status === 400, `legacy JSON /token: ${what} → 400`, show(r));
	}
	// Regression: routes_send_error once pasted descriptions unescaped (a '"' broke the JSON).
	report(r.json?.error === 'invalid_request' && typeof r.json.error_description === 'string', "legacy JSON /token: the 400 answer is a valid RFC 6749 §5.2 JSON error", r.text);

	// =================================================================== 5. /verify
	r = await grant(base, C.svc, { resource: 'api' });
	const tok = r.json.access_token;
	r = await postJson(base, '/verify', { token: tok });
	report(r.status === 200 && r.json?.valid === true && r.json.claims?.sub === 'svc' && r.json.claims?.jti === claims(tok).jti, '/verify: a valid token → 200 {valid:true, claims}', show(r));
	r = await postJson(base, '/verify', { token: tok, aud: 'api' });
	report(r.status === 200 && r.json?.valid === true, '/verify: with aud "api" → 200', show(r));
	r = await postJson(base, '/verify', { token: tok, aud: 'nope' });
	report(r.status === 401 && r.json?.valid === false && r.json.error === 'ERR_JWT_CLAIM_VALIDATION_FAILED' && r.json.claim === 'aud', '/verify: aud "nope" → 401 ERR_JWT_CLAIM_VALIDATION_FAILED, claim aud', show(r));
	const [h64, p64, s64] = tok.split('.');
	const sig = Buffer.from(s64, 'base64url');
	sig[10] ^= 0x01;
	r = await postJson(base, '/verify', { token: `${h64}.${p64}.${sig.toString('base64url')}` });
	report(r.status === 401 && r.json?.error === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED', '/verify: tampered signature → 401 ERR_JWS_SIGNATURE_VERIFICATION_FAILED', show(r));
	const p2 = b64u(JSON.stringify({ ...claims(tok), sub: 'admin' }));
	r = await postJson(base, '/verify', { token: `${h64}.${p2}.${s64}` });
	report(r.status === 401 && r.json?.error === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED', '/verify: tampered payload → 401 ERR_JWS_SIGNATURE_VERIFICATION_FAILED', show(r));
	r = await postJson(base, '/verify', { token: 'garbage' });
	report(r.status === 401 && r.json?.valid === false && r.json.error === 'ERR_JWS_INVALID', '/verify: garbage → 401 ERR_JWS_INVALID', show(r));
	const none = `${b64u(JSON.stringify({ alg: 'none', typ: 'at+jwt' }))}.${p64}.`;
	r = await postJson(base, '/verify', { token: none });
	report(r.status === 401 && r.json?.valid === false, '/verify: alg none → 401', show(r));
	const noneKid = `${b64u(JSON.stringify({ alg: 'none', kid: header(tok).kid }))}.${p64}.`;
	r = await postJson(base, '/verify', { token: noneKid });
	report(r.status === 401 && r.json?.valid === false, '/verify: alg none with our kid → 401', show(r));
	const hsPub = `${b64u(JSON.stringify({ alg: 'HS256', kid: header(tok).kid }))}.${p64}`;
	const jwkPub = jwks0.keys.find((k) => k.kid === header(tok).kid);
	const confusion = `${hsPub}.${crypto.createHmac('sha256', JSON.stringify(jwkPub)).update(hsPub).digest('base64url')}`;
	r = await postJson(base, '/verify', { token: confusion });
	report(r.status === 401 && r.json?.valid === false, '/verify: HS256 signed with the public JWK as secret (alg confusion) → 401', show(r));
	const foreign = await jose.generateKeyPair('ES256');
	const ftok = await new jose.SignJWT({ ...claims(tok) }).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'foreign-key' }).sign(foreign.privateKey);
	r = await postJson(base, '/verify', { token: ftok });
	report(r.status === 401 && r.json?.error === 'ERR_JWKS_NO_MATCHING_KEY', '/verify: token from a foreign ES256 key → 401 ERR_JWKS_NO_MATCHING_KEY', show(r));
	const expired = await new jose.SignJWT({ ...claims(tok), exp: 1000 }).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: header(tok).kid }).sign(foreign.privateKey);
	r = await postJson(base, '/verify', { token: expired });
	report(r.status === 401 && r.json?.valid === false, '/verify: foreign key posing under our kid → 401', show(r));
	r = await postJson(base, '/verify', 'token=abc');
	report(r.status === 400 && r.json?.valid === false, '/verify: body not JSON → 400', show(r));
	r = await postJson(base, '/verify', { token: tok, aud: 7 });
	report(r.status === 400, '/verify: aud not a string → 400', show(r));
	r = await postJson(base, '/verify', { tok });
	report(r.status === 400, '/verify: no token member → 400', show(r));

	// =============================================================== 6. /introspect
	const svcAuth = { authorization: basic('svc', C.svc.client_secret) };
	r = await grant(base, C.svc, { scope: 'read', resource: 'api' });
	const own = r.json.access_token;
	r = await postForm(base, '/introspect', { token: own }, svcAuth);
	const oc0 = claims(own);
	report(
		r.status === 200 && r.json?.active === true && r.json.scope === 'read' && r.json.client_id === 'svc' && r.json.sub === 'svc' && r.json.exp === oc0.exp && r.json.iat === oc0.iat && r.json.jti === oc0.jti && r.json.iss === ISS && /^bearer$/i.test(r.json.token_type ?? ''),
		'/introspect: own token → active true with scope, client_id, sub, exp, iat, jti, iss, token_type',
		show(r),
	);
	report(/no-store/.test(r.headers.get('cache-control') ?? ''), '/introspect: answer is no-store', r.headers.get('cache-control'));
	r = await postForm(base, '/introspect', { token: own, client_id: 'svc', client_secret: C.svc.client_secret });
	report(r.status === 200 && r.json?.active === true, '/introspect: client_secret_post works too', show(r));
	r = await postForm(base, '/introspect', { token: own }, { authorization: basic('billing', C.billing.client_secret) });
	report(r.status === 200 && JSON.stringify(r.json) === '{"active":false}', "/introspect: another client's token for an audience the caller lacks → {active:false}", show(r));
	r = await postForm(base, '/introspect', { token: own }, { authorization: basic('svc2', C.svc2.client_secret) });
	report(r.status === 200 && r.json?.active === true, '/introspect: a resource server registered for the audience (api) sees the token active', show(r));
	r = await postForm(base, '/introspect', { token: 'garbage.garbage.garbage' }, svcAuth);
	report(r.status === 200 && JSON.stringify(r.json) === '{"active":false}', '/introspect: garbage → {active:false}', show(r));
	r = await postForm(base, '/introspect', { token: ftok }, svcAuth);
	report(r.status === 200 && r.json?.active === false, '/introspect: foreign-key token → {active:false}', show(r));
	r = await postForm(base, '/introspect', { token: own });
	report(r.status === 401 && r.json?.error === 'invalid_client', '/introspect: unauthenticated → 401 invalid_client', show(r));
	r = await postForm(base, '/introspect', { token: own }, { authorization: basic('svc', 'wrong-secret-0123456789-0123456789-abcd') });
	report(r.status === 401, '/introspect: wrong secret → 401', show(r));
	r = await postForm(base, '/introspect', { token_type_hint: 'access_token' }, svcAuth);
	report(isError(r, 400, 'invalid_request'), '/introspect: no token parameter → 400 invalid_request', show(r));

	// =================================================================== 7. /revoke
	const keep = (await grant(base, C.svc, { resource: 'api' })).json.access_token;
	const doomed = (await grant(base, C.svc, { resource: 'api' })).json.access_token;
	r = await postForm(base, '/revoke', { token: doomed }, svcAuth);
	report(r.status === 200, '/revoke: own token → 200', show(r));
	r = await postJson(base, '/verify', { token: doomed });
	report(r.status === 401 && r.json?.error === 'ERR_JWT_REVOKED', '/revoke: then /verify → 401 ERR_JWT_REVOKED', show(r));
	r = await postForm(base, '/introspect', { token: doomed }, svcAuth);
	report(r.status === 200 && r.json?.active === false, '/revoke: then introspection → active false', show(r));
	r = await postForm(base, '/revoke', { token: doomed, token_type_hint: 'access_token' }, svcAuth);
	report(r.status === 200, '/revoke: revoking it again → 200', show(r));
	r = await postForm(base, '/revoke', { token: 'garbage' }, svcAuth);
	report(r.status === 200, '/revoke: garbage → 200 (RFC 7009 §2.2)', show(r));
	r = await postForm(base, '/revoke', { token: keep }, { authorization: basic('svc2', C.svc2.client_secret) });
	report(isError(r, 400, 'unauthorized_client'), "/revoke: another client's token → 400 unauthorized_client", show(r));
	r = await postForm(base, '/revoke', { token: keep });
	report(r.status === 401 && r.json?.error === 'invalid_client', '/revoke: unauthenticated → 401', show(r));
	r = await postJson(base, '/verify', { token: keep });
	const r2 = await postForm(base, '/introspect', { token: keep }, svcAuth);
	report(r.status === 200 && r.json?.valid && r2.json?.active === true, '/revoke: other tokens of the same client stay valid', `${show(r)} ${show(r2)}`);

	// ============================================================ 8. openid-client
	try {
		const cfg = await oc.discovery(new URL(ISS), 'svc', undefined, oc.ClientSecretBasic(C.svc.client_secret), { execute: [oc.allowInsecureRequests] });
		report(cfg.serverMetadata().issuer === ISS && cfg.serverMetadata().token_endpoint === `${ISS}/token`, 'openid-client: discovery accepts the issuer');
		const tr = await oc.clientCredentialsGrant(cfg, { scope: 'read', resource: 'api' });
		note(tr);
		v = await verifies(tr.access_token);
		report(!v.error && v.payload.scope === 'read' && v.payload.aud === 'api' && tr.token_type === 'bearer' && tr.expires_in === 900, 'openid-client: client_credentials (client_secret_basic) → a token jose verifies', v.error ?? JSON.stringify(tr));
		const ir = await oc.tokenIntrospection(cfg, tr.access_token);
		report(ir.active === true && ir.client_id === 'svc' && ir.jti === v.payload?.jti, 'openid-client: introspection → active', JSON.stringify(ir));
		await oc.tokenRevocation(cfg, tr.access_token);
		report(true, 'openid-client: revocation succeeds');
		const ir2 = await oc.tokenIntrospection(cfg, tr.access_token);
		report(ir2.active === false, 'openid-client: introspection after revocation → inactive', JSON.stringify(ir2));
		const cfgPost = await oc.discovery(new URL(ISS), 'svc3', undefined, oc.ClientSecretPost(C.svc3.client_secret), { execute: [oc.allowInsecureRequests] });
		const tr2 = await oc.clientCredentialsGrant(cfgPost, { audience: 'api' });
		note(tr2);
		v = await verifies(tr2.access_token);
		report(!v.error && v.payload.sub === 'svc3', 'openid-client: client_credentials (client_secret_post) → a token jose verifies', v.error);
		const bad = await oc.discovery(new URL(ISS), 'svc', undefined, oc.ClientSecretBasic('nope-nope-nope-nope-nope-nope-nope-nope'), { execute: [oc.allowInsecureRequests] });
		const err = await oc.clientCredentialsGrant(bad).then(() => null, (e) => e);
		// v6 reports a 401 with WWW-Authenticate as a challenge error (its cause lists the challenges).
		const challenged = err?.code === 'OAUTH_WWW_AUTHENTICATE_CHALLENGE' && err.cause?.[0]?.scheme === 'basic';
		report(err?.status === 401 && (challenged || err?.error === 'invalid_client'), 'openid-client: a wrong secret is refused with 401 (Basic challenge / invalid_client)', `${err?.name} ${err?.code} ${err?.error} ${err?.status} ${err?.message}`);
	} catch (e) {
		report(false, 'openid-client flow ran', `${e.name} ${e.code ?? ''} ${e.error ?? ''} ${e.message} ${JSON.stringify(e.cause ?? '')}`);
	}

	// ================================================================ 9. rotation
	{
		const jwksKids = async () => ((await req(disc.jwks_uri)).json?.keys ?? []).map((k) => k.kid);
		const freshJwks = async () => jose.createLocalJWKSet((await req(disc.jwks_uri)).json);
		const signer = async () => {
			const x = await grant(base, C.svc3, { resource: 'api' });
			return x.status === 200 ? { kid: header(x.json.access_token).kid, token: x.json.access_token } : { error: show(x) };
		};
		const first = await signer();
		const K0 = first.kid;
		const oldTok = first.token;
		r = await run(['keys', 'rotate', '--db', DB, '--alg', 'ES256', '--lead', '0']);
		const K1 = r.json?.kid;
		report(r.code === 0 && K1 && K1 !== K0, 'keys rotate --lead 0 against the running server: prints the new kid', `${r.code} ${r.stdout} ${r.stderr}`);
		let t0 = Date.now();
		const seen = await until(async () => (await jwksKids()).includes(K1) && (await signer()).kid === K1, 3000);
		report(!!seen, `rotate --lead 0: within 3 s the new kid is in the JWKS and new tokens carry it (${Date.now() - t0} ms)`, `K0 ${K0} K1 ${K1} kids ${await jwksKids()}`);
		const s1 = await signer();
		v = await verifies(s1.token ?? '', atOpts, await freshJwks());
		report(s1.kid === K1 && !v.error, 'rotate --lead 0: a new token signed by the new key verifies in jose', v.error ?? s1.error);
		r = await postJson(base, '/verify', { token: oldTok });
		v = await verifies(oldTok, atOpts, await freshJwks());
		report(r.status === 200 && !v.error, 'rotate --lead 0: tokens of the old key still verify (server and jose)', `${show(r)} ${v.error}`);

		r = await run(['keys', 'rotate', '--db', DB, '--alg', 'ES256', '--lead', '60']);
		const K2 = r.json?.kid;
		t0 = Date.now();
		const pub = await until(async () => (await jwksKids()).includes(K2), 3000);
		report(r.code === 0 && !!pub, `rotate --lead 60: the new kid is published at once (${Date.now() - t0} ms, sync ≤ 1 s)`, `${r.stdout} ${r.stderr}`);
		await sleep(1200); // one more sync round
		const after = await Promise.all(Array.from({ length: 10 }, signer));
		report(after.every((x) => x.kid === K1), 'rotate --lead 60: tokens are NOT signed with the pending key', after.map((x) => x.kid ?? x.error).join(','));

		r = await run(['keys', 'retire', K0, '--db', DB]);
		report(r.code === 0 && r.json?.kid === K0 && r.json.expires_at > r.json.retired_at, 'keys retire OLDKID: exit 0, prints retired_at < expires_at', `${r.code} ${r.stdout} ${r.stderr}`);
		await sleep(1300);
		const kidsNow = await jwksKids();
		report(kidsNow.includes(K0), 'retired key: still published in the JWKS (grace)', kidsNow.join(','));
		r = await postJson(base, '/verify', { token: oldTok });
		v = await verifies(oldTok, atOpts, await freshJwks());
		report(r.status === 200 && !v.error, 'retired key: still verifies its old tokens (server and jose)', `${show(r)} ${v.error}`);
		const after2 = await Promise.all(Array.from({ length: 10 }, signer));
		report(after2.every((x) => x.kid && x.kid !== K0), 'retired key: never signs new tokens', after2.map((x) => x.kid ?? x.error).join(','));

		r = await run(['keys', 'list', '--db', DB]);
		const live = (r.json ?? []).filter((k) => k.alg === 'ES256' && k.status !== 'retired').map((k) => k.kid);
		const rets = await Promise.all(live.map((k) => run(['keys', 'retire', k, '--db', DB])));
		report(live.length >= 2 && rets.every((x) => x.code === 0), `retire every ES256 key (${live.length})`, rets.map((x) => `${x.code} ${x.stderr}`).join(' | '));
		const retired = new Set([K0, ...live]);
		t0 = Date.now();
		const during = [];
		const fresh = await until(async () => {
			const s = await signer();
			during.push(s);
			return s.kid && !retired.has(s.kid) ? s : null;
		}, 4000, 50);
		report(!!fresh, `all ES256 keys retired: a fresh key signs within ${Date.now() - t0} ms`, during.slice(-3).map((x) => x.kid ?? x.error).join(','));
		report(during.every((x) => x.kid), `all ES256 keys retired: every token request in the meantime answered 200 (${during.length})`, during.filter((x) => !x.kid).map((x) => x.error).join(','));
		if (fresh) {
			v = await verifies(fresh.token, atOpts, await freshJwks());
			report(!v.error && (await jwksKids()).includes(fresh.kid), 'all ES256 keys retired: the fresh key is published and its tokens verify', v.error);
		}
		r = await run(['keys', 'list', '--db', DB]);
		report(r.code === 0 && !/"d"|private/i.test(r.stdout), 'keys list prints no private material', r.stdout.slice(0, 200));
	}

	// ============================================================== 10. concurrency
	const freshKeys = jose.createLocalJWKSet((await req(disc.jwks_uri)).json);
	const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
	const trio = [C.svc, C.svc2, C.svc3];
	let t0 = Date.now();
	const par = await Promise.all(
		Array.from({ length: 200 }, (_, i) => {
			const c = trio[i % 3];
			return hreq(`${base}/token`, { method: 'POST', agent, headers: { 'content-type': FORM, authorization: basic(c.client_id, c.client_secret) }, body: form({ grant_type: 'client_credentials', resource: 'api' }) });
		}),
	);
	par.forEach((x) => x.status === 200 && note(x.json));
	const parMs = Date.now() - t0;
	report(par.every((x) => x.status === 200), `200 parallel token requests from 3 clients over 8 keep-alive connections: all 200 (${parMs} ms)`, [...new Set(par.map((x) => `${x.status} ${x.error ?? ''}`))].join(','));
	const vres = await Promise.all(par.filter((x) => x.json?.access_token).map((x, i) => verifies(x.json.access_token, atOpts, freshKeys).then((v) => (!v.error && v.payload.sub === trio[i % 3].client_id ? true : v.error ?? v.payload.sub))));
	report(vres.length === 200 && vres.every((x) => x === true), 'all 200 verify in jose with the right sub', vres.filter((x) => x !== true).slice(0, 3).join(','));
	const pj = new Set(par.map((x) => x.json?.access_token && claims(x.json.access_token).jti));
	report(pj.size === 200, 'all 200 jti distinct', `${pj.size}`);

	const sample = par[0].json?.access_token ?? tok;
	const mixed = await Promise.all(
		Array.from({ length: 100 }, (_, i) => {
			const c = trio[i % 3];
			const auth = { authorization: basic(c.client_id, c.client_secret) };
			switch (i % 5) {
				case 0:
					return hreq(`${base}/token`, { method: 'POST', agent, headers: { 'content-type': FORM, ...auth }, body: 'grant_type=client_credentials' }).then((x) => (x.status === 200 && note(x.json), x));
				case 1:
					return hreq(`${base}/verify`, { method: 'POST', agent, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: sample, aud: 'api' }) });
				case 2:
					return hreq(`${base}/introspect`, { method: 'POST', agent, headers: { 'content-type': FORM, ...auth }, body: form({ token: sample }) });
				case 3:
					return hreq(`${base}/.well-known/jwks.json`, { agent });
				default:
					return hreq(`${base}/${['token', 'verify', 'introspect', 'revoke'][i % 4]}`, { method: 'POST', agent, headers: { 'content-type': i % 2 ? FORM : 'application/json' }, body: crypto.randomBytes(64) });
			}
		}),
	);
	const mixedSt = mixed.map((x) => x.status);
	report(mixedSt.every((s) => (s >= 200 && s < 300) || (s >= 400 && s < 500)), '100 parallel mixed requests (token, verify, introspect, jwks, garbage): only 2xx/4xx, never 5xx', [...new Set(mixedSt)].join(','));
	r = await req(`${base}/ping`);
	report(r.status === 200 && r.text === 'OK', '/ping still answers after the concurrency run', show(r));

	// ======================================================= 11. malformed barrage
	{
		const rnd = prng(SEED);
		const int = (n) => Math.floor(rnd() * n);
		const pick = (a) => a[int(a.length)];
		const bytes = (n) => Buffer.from(Array.from({ length: n }, () => int(256)));
		const rawCases = [];
		for (let i = 0; i < 40; i++) rawCases.push(['random bytes', bytes(1 + int(3000))]);
		const good = `POST /token HTTP/1.1\r\nHost: x\r\nContent-Type: ${FORM}\r\nAuthorization: ${basic('svc', 'x'.repeat(40))}\r\nContent-Length: 29\r\n\r\ngrant_type=client_credentials`;
		for (let i = 0; i < 30; i++) rawCases.push(['truncated request', Buffer.from(good.slice(0, 1 + int(good.length - 2)))]);
		for (let i = 0; i < 10; i++) {
			const b = Buffer.from(good);
			for (let k = 0; k < 3; k++) b[int(b.length)] = int(256);
			rawCases.push(['mutated request', b]);
		}
		// Within H2O's request-head limit (8 KB + 4 KB per header): any answer but a 5xx.
		rawCases.push(['a 100 KB header', Buffer.from(`GET /ping HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(100 * 1024)}\r\n\r\n`), 'no5xx']);
		rawCases.push(['a 1 MB header', Buffer.from(`GET /ping HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(1024 * 1024)}\r\n\r\n`)]);
		rawCases.push(['1000 headers', Buffer.from(`GET /ping HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 1000 }, (_, i) => `X-${i}: v`).join('\r\n')}\r\n\r\n`)]);
		rawCases.push(['a header without a colon', Buffer.from('GET /ping HTTP/1.1\r\nHost: x\r\nnocolon\r\n\r\n')]);
		// RFC 9112 §2.2: a recipient MAY accept a bare LF as the line terminator.
		rawCases.push(['a bare LF request', Buffer.from('GET /ping HTTP/1.1\nHost: x\n\n'), 'no5xx']);
		rawCases.push(['HTTP/9.9', Buffer.from('GET /ping HTTP/9.9\r\nHost: x\r\n\r\n')]);
		rawCases.push(['NUL in the path', Buffer.from('GET /pi\0ng HTTP/1.1\r\nHost: x\r\n\r\n')]);
		const chunked = (body) => Buffer.from(`POST /token HTTP/1.1\r\nHost: x\r\nContent-Type: ${FORM}\r\nTransfer-Encoding: chunked\r\n\r\n${body}`);
		for (const b of ['zz\r\ngrant\r\n0\r\n\r\n', 'ffffffffffffffffffff\r\nab\r\n0\r\n\r\n', '5\r\ngrant_type=xx\r\n0\r\n\r\n', '-1\r\nx\r\n0\r\n\r\n', '10\r\nabc', '3\r\nabc', '3;ext=\x01\r\nabc\r\n0\r\n\r\n', '1d\r\ngrant_type=client_credentials\r\n'])
			rawCases.push(['bad chunked encoding', chunked(b)]);
		rawCases.push(['Content-Length and chunked', Buffer.from(`POST /token HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`)]);
		rawCases.push(['two Content-Lengths', Buffer.from(`POST /token HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 5\r\n\r\nabcde`)]);
		rawCases.push(['negative Content-Length', Buffer.from(`POST /token HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\nabcde`)]);
		rawCases.push(['huge Content-Length', Buffer.from(`POST /token HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\nab`)]);
		const rawRes = await pool(rawCases.map(([name, b, rule]) => () => raw(srv.port, b).then((x) => ({ name, rule, ...x }))), 16);
		const badRaw = rawRes.filter((x) => rawStatuses(x.text).some((s) => s >= 500 || (s < 400 && x.rule !== 'no5xx')) || (x.text && !rawStatuses(x.text).length));
		report(badRaw.length === 0, `raw TCP: ${rawCases.length} malformed requests → 4xx or a closed connection, never 5xx`, badRaw.slice(0, 3).map((x) => `${x.name}: ${JSON.stringify(x.text.slice(0, 80))}`).join(' | '));
		const hung = rawRes.filter((x) => !x.closedByServer);
		report(hung.length === 0, 'raw TCP: the server closes every malformed connection after the client half-closes (no hang)', hung.slice(0, 3).map((x) => x.name).join(','));
		r = await req(`${base}/ping`);
		report(r.status === 200, '/ping answers after the raw TCP barrage', show(r));

		// Random form and JSON bodies at the four POST endpoints.
		const fuzzTok = (await grant(base, C.svc2, {})).json?.access_token ?? 'x';
		const endpoints = ['/token', '/verify', '/introspect', '/revoke'];
		const fnames = ['grant_type', 'client_id', 'client_secret', 'scope', 'resource', 'audience', 'token', 'token_type_hint', 'sub', 'aud', '', 'a'.repeat(300), '%00', 'grant%5Ftype'];
		const fvals = () => [
			'client_credentials', 'password', 'authorization_code', 'svc2', 'svc', C.svc2.client_secret, 'wrong', 'read', 'read write', 'read  write', 'api', 'nope', fuzzTok, 'garbage',
			'%', '%zz', '%00', '%C3%28', '%ED%A0%80', '%F4%90%80%80', '%C0%AF', '+', '=', '%26', '%3D', 'x'.repeat(5000), '%E2%82%AC', encodeURIComponent(bytes(int(40)).toString('latin1')),
			`${fuzzTok.slice(0, int(fuzzTok.length))}`, '..', 'a.b.c', 'e30.e30.', '',
		];
		const formBody = () => {
			const vals = fvals();
			const pairs = Array.from({ length: int(9) }, () => {
				const n = pick(fnames);
				const s = rnd();
				return s < 0.1 ? n : s < 0.15 ? `=${pick(vals)}` : `${n}=${pick(vals)}`;
			});
			let b = pairs.join(pick(['&', '&', '&', '&&', ';']));
			if (rnd() < 0.2) b = Buffer.concat([Buffer.from(b), bytes(int(50))]);
			return b;
		};
		const jstr = () => pick(['alice', 'api', 'svc2', C.svc2.client_secret, fuzzTok, '', 'x'.repeat(3000), '\u0000', '\ud800', '\u202e', 'é', '\\', '"']);
		const jval = (d) => {
			const s = rnd();
			if (d > 3 || s < 0.35) return jstr();
			if (s < 0.45) return pick([0, -0, 1e308, -1, 1.5, 2 ** 63, Number.MAX_SAFE_INTEGER, 123456789012]);
			if (s < 0.5) return pick([true, false, null]);
			if (s < 0.65) return Array.from({ length: int(4) }, () => jval(d + 1));
			return jobj(d + 1);
		};
		const jobj = (d) => Object.fromEntries(Array.from({ length: int(6) }, () => [pick(['sub', 'aud', 'token', 'client_id', 'client_secret', 'exp', 'iss', '', 'x']), jval(d)]));
		const jsonBody = () => {
			let t = JSON.stringify(rnd() < 0.8 ? jobj(0) : jval(0));
			const s = rnd();
			if (s < 0.1) t = t.slice(0, int(t.length));
			else if (s < 0.2) t = `${t.slice(0, int(t.length))}${pick(['"', '{', '}', ',', ':', '\\u', '\\ud800', '\x00', 'NaN', '1e99999', '\u00ff'])}${t.slice(int(t.length))}`;
			else if (s < 0.25) t = `${'['.repeat(1 + int(5000))}${t}`;
			else if (s < 0.3) t = `{"token":"a","token":"b"${t.length > 2 ? `,${t.slice(1)}` : '}'}`;
			else if (s < 0.33) t = `\ufeff${t}`;
			else if (s < 0.36) t = `${t} trailing`;
			else if (s < 0.38) t = `${'{"a":'.repeat(1 + int(3000))}1${'}'.repeat(int(3000))}`;
			return t;
		};
		const authFor = () => {
			const s = rnd();
			if (s < 0.45) return { authorization: basic('svc2', C.svc2.client_secret) };
			if (s < 0.55) return { authorization: basic('seed', C.seed.client_secret) };
			if (s < 0.7) return { authorization: pick(['Basic ', 'Basic ====', `Basic ${b64u('svc2')}`, `Basic ${Buffer.from(':').toString('base64')}`, `Bearer ${fuzzTok}`, `basic ${Buffer.from(`svc2:${C.svc2.client_secret}`).toString('base64')}`, `Basic ${Buffer.from(`${'a'.repeat(2000)}:${'b'.repeat(2000)}`).toString('base64')}`]) };
			return {};
		};
		const cases = [];
		for (let i = 0; i < 1000; i++) cases.push({ kind: 'form', path: pick(endpoints), body: formBody(), headers: { 'content-type': rnd() < 0.9 ? FORM : pick(['application/json', 'text/plain', `${FORM}; charset=latin1`, 'multipart/form-data']), ...authFor() } });
		for (let i = 0; i < 1000; i++) cases.push({ kind: 'json', path: pick(endpoints), body: jsonBody(), headers: { 'content-type': rnd() < 0.9 ? 'application/json' : pick([FORM, 'application/json; charset=utf-8', 'APPLICATION/JSON', 'application/jsonx']), ...authFor() } });
		const fuzzAgent = new http.Agent({ keepAlive: true, maxSockets: 16 });
		t0 = Date.now();
		const fres = await pool(cases.map((c) => () => hreq(`${base}${c.path}`, { method: 'POST', agent: fuzzAgent, headers: c.headers, body: c.body }).then((x) => ({ c, x }))), 32);
		fuzzAgent.destroy();
		for (const { c, x } of fres) if (c.path === '/token' && x.status === 200) note(x.json);
		const by = {};
		for (const { c, x } of fres) by[`${c.kind} ${x.status}`] = (by[`${c.kind} ${x.status}`] ?? 0) + 1;
		const bad5 = fres.filter(({ x }) => !(x.status >= 400 && x.status < 500) && !(x.status >= 200 && x.status < 300));
		report(bad5.length === 0, `1000 random form + 1000 random JSON bodies (seed ${SEED}): only 4xx (or 2xx for a request that happens to be valid), no 5xx, no dropped connection (${Date.now() - t0} ms; ${JSON.stringify(by)})`, bad5.slice(0, 3).map(({ c, x }) => `${c.path} ${x.status} ${x.error ?? x.text?.slice(0, 80)} body=${JSON.stringify(String(c.body).slice(0, 120))}`).join(' | '));
		const non4 = fres.filter(({ x }) => x.status >= 400 && x.status < 500 && !(x.json && (typeof x.json.error === 'string' || x.json.valid === false)) && x.status !== 413);
		report(non4.length === 0, 'every 4xx of the barrage carries a JSON error body', non4.slice(0, 3).map(({ c, x }) => `${c.path} ${x.status} ${x.text?.slice(0, 80)}`).join(' | '));
		r = await req(`${base}/ping`);
		report(r.status === 200 && r.text === 'OK', '/ping answers after the body barrage', show(r));
	}

	// ====================================================== 13. logs and metrics
	r = await req(`${base}/ping?client_secret=${C.svc.client_secret}&q=QUERYMARKER`);
	await req(`${base}/token?code=QUERYMARKER2`, { method: 'POST', headers: { 'content-type': FORM, authorization: basic('svc', C.svc.client_secret) }, body: 'grant_type=client_credentials&client_secret=leak' }).then((x) => {
		// Basic plus client_secret in the body: 400, no token
		if (x.status === 200) note(x.json);
	});
	r = await req(`${srv.metrics}/metrics`);
	const metrics = r.text ?? '';
	const metric = (re) => [...metrics.matchAll(re)].map((m) => Number(m[1]));
	const ccIssued = metric(/^idb_tokens_issued_total\{grant="client_credentials"\} (\d+)$/gm)[0];
	const jsonIssued = metric(/^idb_tokens_issued_total\{grant="json"\} (\d+)$/gm)[0];
	report(r.status === 200 && ccIssued === issued.client_credentials, `/metrics: idb_tokens_issued_total{grant="client_credentials"} equals the tokens obtained (${issued.client_credentials})`, `metric ${ccIssued}`);
	report(jsonIssued === issued.json, `/metrics: idb_tokens_issued_total{grant="json"} equals the legacy JSON tokens obtained (${issued.json})`, `metric ${jsonIssued}`);
	const revokedFails = metric(/^idb_token_verification_failures_total\{reason="revoked"\} (\d+)$/gm)[0];
	report(revokedFails >= 1, `/metrics: idb_token_verification_failures_total{reason="revoked"} ≥ 1 (${revokedFails})`, metrics.slice(0, 200));
	const t401 = metric(/^idb_http_requests_total\{route="\/token",code="401"\} (\d+)$/gm)[0];
	report(t401 > 0, `/metrics: idb_http_requests_total{route="/token",code="401"} > 0 (${t401})`);
	const requestsTotal = metric(/^idb_http_requests_total\{[^}]*\} (\d+)$/gm).reduce((a, b) => a + b, 0);
	report(!/client_secret|svc|alice/.test(metrics), '/metrics names no client, subject or secret');

	// ======================================================== 14. database mode
	const mode = fs.statSync(DB).mode & 0o777;
	report(mode === 0o600, 'the database file is mode 0600', mode.toString(8));

	const errText = await stop(srv, 'main server');
	// A sanitizer build's own notice that it cannot follow every stack switch (the server's
	// coroutines tell it of each one) is not the server's line.
	const lines = errText.split('\n').filter((l) => l.length && !/^==\d+==WARNING: ASan doesn't fully support makecontext\/swapcontext/.test(l));
	const parsed = lines.map((l) => {
		try {
			return JSON.parse(l);
		} catch {
			return null;
		}
	});
	const unparsable = lines.filter((_, i) => !parsed[i] || typeof parsed[i] !== 'object');
	report(unparsable.length === 0, `server stderr: every line is JSON (${lines.length} lines)`, unparsable.slice(0, 3).join(' | '));
	const reqLines = parsed.filter((p) => p?.msg === 'request');
	report(reqLines.length === requestsTotal, `access log: one line per request (${reqLines.length} lines = ${requestsTotal} counted by /metrics; its own listener logs none)`, `${reqLines.length} vs ${requestsTotal}`);
	report(reqLines.every((p) => typeof p.method === 'string' && typeof p.path === 'string' && Number.isInteger(p.status) && typeof p.ts === 'string'), 'access log lines carry method, path, status, ts');
	report(reqLines.some((p) => p.path === '/token' && p.client === 'svc' && p.status === 200), 'access log names the authenticated client of /token');
	const leakedSecret = [...secrets].find((s) => errText.includes(s));
	report(!leakedSecret, 'access log: no client secret', 'a client secret is in the log');
	const leakedTok = [...tokens].find((t) => errText.includes(t) || errText.includes(t.split('.')[2]));
	report(!leakedTok, `access log: none of the ${tokens.size} tokens`, 'a token is in the log');
	report(!errText.includes('client_secret') && !errText.includes('QUERYMARKER'), 'access log: no "client_secret", no query string', lines.filter((l) => /client_secret|QUERYMARKER/.test(l)).slice(0, 2).join(' | '));
	report(reqLines.some((p) => p.path === '/ping' && p.status === 200 && !('query' in p)), 'access log: the path is logged cut at "?"');

	// ================================= 2 (continued). other algorithms and lifetimes
	const alt = async (env, name, fn) => {
		const s0 = scratch('idb-oauth-alt-');
		const c = await addClient(s0.db, 'svc', ['--audience', 'api', '--scope', 'read']);
		secrets.add(c.client_secret);
		let s;
		try {
			s = await serve({ db: s0.db, threads: 2, env });
			await fn(s, c);
		} catch (e) {
			report(false, `${name}: ran`, e.stack);
		}
		if (s) await stop(s, name);
	};
	const results = [];
	await Promise.all([
		...['RS256', 'EdDSA', 'PS256'].map((alg) =>
			alt({ JWT_ALGORITHM: alg }, `JWT_ALGORITHM=${alg} server`, async (s, c) => {
				const x = await grant(s.base, c, {}, 'basic', false);
				const t = x.json?.access_token;
				const keys = jose.createRemoteJWKSet(new URL(`${s.base}/.well-known/jwks.json`));
				const vv = t ? await verifies(t, { issuer: s.base, audience: 'api', typ: 'at+jwt', algorithms: [alg] }, keys) : { error: show(x) };
				const d = (await req(`${s.base}/.well-known/openid-configuration`)).json;
				results.push([x.status === 200 && !vv.error && vv.protectedHeader.alg === alg, `JWT_ALGORITHM=${alg}: client_credentials token has alg ${alg} and verifies in jose`, vv.error ?? JSON.stringify(vv.protectedHeader)]);
				results.push([d?.access_token_signing_alg_values_supported?.includes(alg), `JWT_ALGORITHM=${alg}: discovery advertises ${alg}`, JSON.stringify(d?.access_token_signing_alg_values_supported)]);
				const vr = await postJson(s.base, '/verify', { token: t, aud: 'api' });
				results.push([vr.status === 200 && vr.json?.valid, `JWT_ALGORITHM=${alg}: /verify accepts its own token`, show(vr)]);
			}),
		),
		alt({ JWT_EXPIRATION_MINUTES: '5' }, 'JWT_EXPIRATION_MINUTES=5 server', async (s, c) => {
			const x = await grant(s.base, c, {}, 'post', false);
			const p = x.json?.access_token ? claims(x.json.access_token) : {};
			results.push([x.status === 200 && x.json.expires_in === 300 && p.exp - p.iat === 300, 'JWT_EXPIRATION_MINUTES=5: expires_in 300 and exp-iat 300', `${show(x)} ${p.exp - p.iat}`]);
		}),
	]);
	for (const x of results) report(...x);

	// ======================================================================== 12. config
	const cfgDir = scratch('idb-oauth-cfg-');
	const shortSecret = 'short-SECRET-value-xyz';
	const bad = [
		[{ JWT_EXPIRATION_MINUTES: '0' }, 'JWT_EXPIRATION_MINUTES=0', 'JWT_EXPIRATION_MINUTES'],
		[{ JWT_EXPIRATION_MINUTES: 'abc' }, 'JWT_EXPIRATION_MINUTES=abc', 'JWT_EXPIRATION_MINUTES'],
		[{ JWT_EXPIRATION_MINUTES: '10abc' }, 'JWT_EXPIRATION_MINUTES=10abc', 'JWT_EXPIRATION_MINUTES'],
		[{ JWT_ALGORITHM: 'HS384' }, 'JWT_ALGORITHM=HS384', 'JWT_ALGORITHM'],
		[{ JWT_ALGORITHM: 'none' }, 'JWT_ALGORITHM=none', 'JWT_ALGORITHM'],
		[{ JWT_SECRET_KEY: shortSecret }, 'JWT_SECRET_KEY shorter than 32', 'JWT_SECRET_KEY'],
		[{ JWT_ALGORITHM: 'HS256' }, 'JWT_ALGORITHM=HS256 without JWT_SECRET_KEY', 'JWT_ALGORITHM'],
		[{ BROWSER_UI_CLIENT_SECRET: shortSecret }, 'BROWSER_UI_CLIENT_SECRET shorter than 32', 'BROWSER_UI_CLIENT_SECRET'],
	];
	const cfgRes = await Promise.all(bad.map(([env]) => run(['serve', '--listen', '127.0.0.1:1', '--db', cfgDir.db], { env, timeout: 10000 })));
	bad.forEach(([env, name, vname], i) => {
		const x = cfgRes[i];
		report(x.code === 2 && x.stderr.trim().split('\n').length === 1 && x.stderr.includes(vname), `config ${name}: exit 2, one stderr line naming ${vname}`, `exit ${x.code}: ${x.stderr}`);
		if (name.includes('shorter')) report(!x.stderr.includes(shortSecret), `config ${name}: the value is not printed`, x.stderr);
	});
	report(!fs.existsSync(cfgDir.db), 'invalid configuration creates no database', cfgDir.db);

	// Legacy HS256 + browser-ui in one server.
	{
		const lg = scratch('idb-oauth-legacy-');
		const SECRET = `legacy-${crypto.randomBytes(24).toString('hex')}`.slice(0, 40);
		const BUI = `bui-${crypto.randomBytes(24).toString('hex')}`.slice(0, 40);
		secrets.add(SECRET).add(BUI);
		const seed = await addClient(lg.db, 'seed', ['--audience', 'api', '--subject', 'alice']);
		secrets.add(seed.client_secret);
		let s;
		try {
			s = await serve({ db: lg.db, env: { JWT_SECRET_KEY: SECRET, JWT_ALGORITHM: 'HS256', BROWSER_UI_CLIENT_SECRET: BUI } });
			r = await req(`${s.base}/health`);
			report(r.status === 200 && r.json?.legacy_hs256 === true && typeof r.json.warning === 'string' && r.json.warning.length > 0, 'legacy mode: /health has legacy_hs256 true and a warning', show(r));
			report(!r.text.includes(SECRET), 'legacy mode: /health does not show the secret');
			const key = new TextEncoder().encode(SECRET);
			r = await postJson(s.base, '/token', { sub: 'alice', aud: 'api' }, { authorization: basic('seed', seed.client_secret) });
			const lt = r.json?.token;
			v = lt ? await verifies(lt, { audience: 'api', algorithms: ['HS256'] }, key) : { error: show(r) };
			report(r.status === 200 && !v.error && v.protectedHeader.alg === 'HS256' && v.payload.sub === 'alice', "legacy mode: the legacy JSON /token gives an HS256 token that jose verifies with the secret", v.error ?? show(r));
			r = await req(`${s.base}/.well-known/jwks.json`);
			const b64s = Buffer.from(SECRET).toString('base64url');
			report(r.status === 200 && !(r.json?.keys ?? []).some((k) => k.kty === 'oct' || 'k' in k) && !r.text.includes(SECRET) && !r.text.includes(b64s), 'legacy mode: the JWKS has no oct key and not the secret', r.text.slice(0, 200));
			const minted = await new jose.SignJWT({ sub: 'alice', aud: 'api' }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setExpirationTime('5m').sign(key);
			r = await postJson(s.base, '/verify', { token: minted, aud: 'api' });
			report(r.status === 200 && r.json?.valid === true && r.json.claims?.sub === 'alice', 'legacy mode: an HS256 token minted by jose with the secret (no iss) verifies at /verify', show(r));
			const forged = await new jose.SignJWT({ sub: 'alice', aud: 'api' }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setExpirationTime('5m').sign(new TextEncoder().encode(`${SECRET}x`));
			r = await postJson(s.base, '/verify', { token: forged });
			report(r.status === 401 && r.json?.valid === false, 'legacy mode: an HS256 token with another secret → 401', show(r));
			const exp = await new jose.SignJWT({ sub: 'alice', aud: 'api', exp: Math.floor(Date.now() / 1000) - 3600 }).setProtectedHeader({ alg: 'HS256' }).sign(key);
			r = await postJson(s.base, '/verify', { token: exp });
			report(r.status === 401 && r.json?.error === 'ERR_JWT_EXPIRED', 'legacy mode: an expired HS256 token → 401 ERR_JWT_EXPIRED', show(r));
			r = await grant(s.base, seed, { resource: 'api' }, 'basic', false);
			v = r.json?.access_token ? await verifies(r.json.access_token, { issuer: s.base, audience: 'api', typ: 'at+jwt' }, jose.createRemoteJWKSet(new URL(`${s.base}/.well-known/jwks.json`))) : { error: show(r) };
			report(!v.error && v.protectedHeader.alg === 'ES256', 'legacy mode: client_credentials access tokens are still ES256 from the JWKS, never HS256', v.error);
			// The legacy secret is shared with legacy callers: it vouches for /verify alone.
			const real = r.json?.access_token;
			const realJti = v.payload?.jti;
			const hsForged = await new jose.SignJWT({ iss: s.base, sub: 'alice', aud: 'api', client_id: 'seed', jti: realJti, scope: 'x' }).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' }).setIssuedAt().setExpirationTime('5m').sign(key);
			r = await postForm(s.base, '/introspect', { token: hsForged }, { authorization: basic('seed', seed.client_secret) });
			report(r.status === 200 && r.json?.active === false, 'legacy mode: /introspect calls an HS256 token made with the legacy secret inactive', show(r));
			r = await postForm(s.base, '/revoke', { token: hsForged }, { authorization: basic('seed', seed.client_secret) });
			const still = await postForm(s.base, '/introspect', { token: real }, { authorization: basic('seed', seed.client_secret) });
			report(r.status === 200 && still.json?.active === true, 'legacy mode: /revoke of an HS256 token carrying another token\'s jti revokes nothing', `${show(r)} | ${show(still)}`);
			const hint = await new jose.SignJWT({ iss: s.base, sub: 'alice', aud: 'seed' }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuedAt().setExpirationTime('5m').sign(key);
			r = await req(`${s.base}/logout?id_token_hint=${hint}`);
			report(r.status === 400, 'legacy mode: /logout refuses an HS256 id_token_hint', r.status);
			r = await postForm(s.base, '/token', { grant_type: 'client_credentials' }, { authorization: basic('browser-ui', BUI) });
			report(r.status !== 401 && r.json?.error !== 'invalid_client', `BROWSER_UI_CLIENT_SECRET: browser-ui authenticates with it (answer ${r.status} ${r.json?.error ?? ''})`, show(r));
			report(r.status === 400 && r.json?.error === 'invalid_target', 'BROWSER_UI_CLIENT_SECRET: browser-ui has no audience → 400 invalid_target', show(r));
			r = await postForm(s.base, '/token', { grant_type: 'client_credentials' }, { authorization: basic('browser-ui', `${BUI}x`) });
			report(r.status === 401 && r.json?.error === 'invalid_client', 'BROWSER_UI_CLIENT_SECRET: a wrong browser-ui secret → 401 invalid_client', show(r));
		} catch (e) {
			report(false, 'legacy mode server ran', e.stack);
		}
		if (s) {
			const text = await stop(s, 'legacy server');
			report(!text.includes(SECRET) && !text.includes(BUI), 'legacy server: stderr shows neither JWT_SECRET_KEY nor BROWSER_UI_CLIENT_SECRET');
		}
		const lr = await run(['client', 'list', '--db', lg.db]);
		report(lr.code === 0 && !lr.stdout.includes(BUI), 'browser-ui is registered without its secret in clear', lr.stdout.slice(0, 200));
	}
} catch (e) {
	report(false, 'oauth test ran to the end', e.stack);
}

for (const s of [...servers]) {
	s.child.kill('SIGKILL');
}
const cliSan = cliTranscript.map(sanitizerReport).find(Boolean);
report(!cliSan, `no sanitizer report from the ${cliTranscript.length} CLI runs`, cliSan);
for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
const secs = (Date.now() - started) / 1000;
console.log(`# the suite ran in ${secs.toFixed(1)} s`);
finish();
