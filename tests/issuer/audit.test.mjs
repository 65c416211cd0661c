// audit.test.mjs: the audit trail and the log's form. With AUDIT_LOG set, every
// security event of the server and of the commands lands in that file as one JSON
// line: sign-ins (succeeded, failed, locked), logout, codes (issued, exchanged,
// replayed), refresh tokens (rotated, reuse detected), revocation, clients, users
// and keys made and removed, and limits hit. Each line has ts, level, a documented
// event name, the request id of the request it came from (the one echoed in that
// answer's X-Request-Id), the client, the subject and the client's address where
// known; none holds a password, a client secret, a code or a token. A trusted
// proxy's X-Request-Id is kept, a malformed one replaced; the access log carries
// the id too; and every line the server writes on stderr has ts and level.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { reporter, runSuite, serverSet, tempDir } from '../lib.mjs';
import { addClient, basic, browser, run } from './lib.mjs';

const R = reporter('issuer/audit');
const { report } = R;
const { servers, serve, stop } = serverSet(report);
const TINY = { PASSWORD_ARGON2_TEST: '1', PASSWORD_ARGON2_M_KIB: '64', PASSWORD_ARGON2_T: '1' };
const EVENTS = ['auth.login.succeeded', 'auth.login.failed', 'auth.login.locked', 'auth.logout', 'oauth.code.issued', 'oauth.code.exchanged',
	'oauth.code.replayed', 'oauth.refresh.rotated', 'oauth.refresh.reuse_detected', 'oauth.token.revoked', 'client.created', 'client.removed',
	'user.created', 'user.removed', 'keys.rotated', 'keys.retired', 'limit.hit'];
const CB = 'https://web.example/cb';
const VERIFIER = crypto.randomBytes(32).toString('base64url');
const CHALLENGE = crypto.createHash('sha256').update(VERIFIER).digest('base64url');
const PW = `pw-${crypto.randomBytes(12).toString('base64url')}`;
const hidden = (html) => Object.fromEntries([...html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1], m[2]]));
const form = (o, headers = {}) => ({ method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(o).toString() });
const tmp = tempDir('idb-audit-');
const secrets = [PW, VERIFIER];

/** The login page of a new flow for client web in browser b. */
async function loginPage(b, base) {
	const q = new URLSearchParams({ client_id: 'web', redirect_uri: CB, response_type: 'code', scope: 'openid offline_access', state: 's', code_challenge: CHALLENGE, code_challenge_method: 'S256' });
	return hidden(await (await b.go(`${base}/authorize?${q}`)).text());
}

const lines = (file) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '').split('\n').filter(Boolean);

await runSuite(R, servers, async () => {
	const db = path.join(tmp, 'a.db'), log = path.join(tmp, 'audit.log');
	const env = { ...TINY, AUDIT_LOG: log };
	// The commands' events.
	const u1 = await run(['user', 'add', '--db', db, '--username', 'erin', '--password-stdin'], { env, input: PW });
	const u2 = await run(['user', 'add', '--db', db, '--username', 'mallory', '--password-stdin'], { env, input: PW });
	const web = await run(['client', 'add', '--db', db, '--id', 'web', '--public', '--grant', 'authorization_code', '--grant', 'refresh_token', '--redirect-uri', CB, '--scope', 'openid offline_access'], { env });
	const svc = await run(['client', 'add', '--db', db, '--id', 'svc', '--grant', 'client_credentials', '--audience', 'api'], { env });
	const tmpc = await run(['client', 'add', '--db', db, '--id', 'gone', '--grant', 'client_credentials', '--audience', 'api'], { env });
	const rm = await run(['client', 'remove', '--db', db, 'gone'], { env });
	const rot = await run(['keys', 'rotate', '--db', db, '--alg', 'EdDSA'], { env });
	const kid = rot.json?.kid;
	const ret = await run(['keys', 'retire', '--db', db, kid ?? 'none'], { env });
	report([u1, u2, web, svc, tmpc, rm, rot, ret].every((r) => r.code === 0), 'users, clients and keys made and removed by the commands', [u1, u2, web, svc, tmpc, rm, rot, ret].map((r) => r.stderr).join(' '));
	secrets.push(svc.json?.client_secret, tmpc.json?.client_secret);
	const urm = await run(['user', 'add', '--db', db, '--username', 'temp', '--password-stdin'], { env, input: PW });
	const urm2 = await run(['user', 'remove', '--db', db, 'temp'], { env });
	report(urm.code === 0 && urm2.code === 0, 'a user made and removed');

	const s = await serve({ db, env: { ...env, LOGIN_LOCKOUT_THRESHOLD: '3', CLIENT_AUTH_FAILURES_PER_ADDRESS: '2', TRUSTED_PROXIES: '127.0.0.1', REFRESH_REUSE_GRACE_SECONDS: '0' } });
	const seen = {}; // event → the X-Request-Id of the request that made it
	// Sign-in failures, then the lock (mallory), a success (erin).
	let b = browser();
	for (let i = 0; i < 4; i++) {
		const f = await loginPage(b, s.base);
		await b.go(`${s.base}/login`, form({ ...f, username: 'mallory', password: `wrong-${i}` }));
	}
	b = browser();
	const f = await loginPage(b, s.base);
	const login = await b.go(`${s.base}/login`, form({ ...f, username: 'erin', password: PW }));
	seen['auth.login.succeeded'] = login.headers.get('x-request-id');
	const code = new URL(login.headers.get('location') ?? 'x:/').searchParams.get('code');
	report(login.status === 303 && code, 'erin signs in: a code', login.status);
	const ex = await fetch(`${s.base}/token`, form({ grant_type: 'authorization_code', code, redirect_uri: CB, client_id: 'web', code_verifier: VERIFIER }));
	seen['oauth.code.exchanged'] = ex.headers.get('x-request-id');
	const tok = await ex.json();
	secrets.push(code, tok.access_token, tok.refresh_token, tok.id_token);
	report(ex.status === 200 && tok.refresh_token, 'the code exchanged: tokens with a refresh token', ex.status);
	const rot1 = await fetch(`${s.base}/token`, form({ grant_type: 'refresh_token', refresh_token: tok.refresh_token, client_id: 'web' }));
	const next = await rot1.json();
	secrets.push(next.access_token, next.refresh_token);
	await new Promise((r) => setTimeout(r, 100));
	const reuse = await fetch(`${s.base}/token`, form({ grant_type: 'refresh_token', refresh_token: tok.refresh_token, client_id: 'web' }), { headers: {} });
	report(rot1.status === 200 && reuse.status === 400, 'a refresh rotated, then the old token reused: 400', `${rot1.status} ${reuse.status}`);
	// (A replayed code revokes what it gave, so this comes after the refresh tokens.)
	const replay = await fetch(`${s.base}/token`, form({ grant_type: 'authorization_code', code, redirect_uri: CB, client_id: 'web', code_verifier: VERIFIER }));
	report(replay.status === 400, 'the code replayed: 400', replay.status);
	// client_credentials, its revocation, and failed client authentications past the limit.
	const cc = await fetch(`${s.base}/token`, form({ grant_type: 'client_credentials', audience: 'api' }, { authorization: basic('svc', svc.json.client_secret), 'x-request-id': 'edge-proxy.req_42' }));
	const at = (await cc.json()).access_token;
	secrets.push(at);
	report(cc.headers.get('x-request-id') === 'edge-proxy.req_42', "a trusted proxy's X-Request-Id is kept and echoed", cc.headers.get('x-request-id'));
	const rv = await fetch(`${s.base}/revoke`, form({ token: at }, { authorization: basic('svc', svc.json.client_secret), 'x-request-id': 'bad id!' }));
	seen['oauth.token.revoked'] = rv.headers.get('x-request-id');
	report(rv.status === 200 && /^[0-9a-f]{16}$/.test(seen['oauth.token.revoked']), 'a malformed X-Request-Id is replaced by one of ours', seen['oauth.token.revoked']);
	for (let i = 0; i < 3; i++) await fetch(`${s.base}/token`, form({ grant_type: 'client_credentials' }, { authorization: basic('svc', 'not-the-secret') }));
	// Logout.
	const conf = hidden(await (await b.go(`${s.base}/logout`)).text());
	const out = await b.go(`${s.base}/logout`, form(conf));
	seen['auth.logout'] = out.headers.get('x-request-id');
	report(out.status < 400, 'erin signs out', out.status);
	const stderr = await stop(s, 'the server');

	const all = lines(log);
	const parsed = all.map((l) => {
		try {
			return JSON.parse(l);
		} catch {
			return null;
		}
	});
	report(parsed.length > 0 && parsed.every((p) => p && typeof p.ts === 'string' && /^\d{4}-\d\d-\d\dT/.test(p.ts) && ['info', 'warn'].includes(p.level) && EVENTS.includes(p.event)),
		`AUDIT_LOG: ${parsed.length} lines, each JSON with ts, level and a documented event`, all.filter((_, i) => !parsed[i] || !EVENTS.includes(parsed[i].event)).slice(0, 2).join(' | '));
	for (const ev of EVENTS) report(parsed.some((p) => p?.event === ev), `event ${ev} written`);
	const ofEvent = (ev) => parsed.filter((p) => p?.event === ev);
	for (const [ev, rid] of Object.entries(seen))
		report(rid && ofEvent(ev).some((p) => p.request_id === rid), `${ev} carries the request id its answer echoed (${rid})`, JSON.stringify(ofEvent(ev)[0]));
	const erin = ofEvent('auth.login.succeeded')[0];
	report(erin?.username === 'erin' && erin?.client === 'web' && erin?.sub && erin?.remote === '127.0.0.1', 'a sign-in names the user, the subject, the client and the address', JSON.stringify(erin));
	const failed = ofEvent('auth.login.failed');
	report(failed.length === 4 && failed.every((p) => p.username === 'mallory' && p.level === 'warn') && failed.some((p) => p.reason === 'locked'), 'four failures of mallory, the last one refused as locked', JSON.stringify(failed.map((p) => p.reason)));
	report(ofEvent('auth.login.locked').length === 1, 'one lock started', ofEvent('auth.login.locked').length);
	report(ofEvent('limit.hit').some((p) => p.limit === 'CLIENT_AUTH_FAILURES_PER_ADDRESS'), 'the client authentication limit hit is named', JSON.stringify(ofEvent('limit.hit')));
	report(ofEvent('client.removed')[0]?.client === 'gone' && ofEvent('keys.rotated')[0]?.kid === kid && ofEvent('keys.retired')[0]?.kid === kid, 'the commands name the client and the key', JSON.stringify(ofEvent('keys.rotated')[0]));
	const text = fs.readFileSync(log, 'utf8');
	const leaked = secrets.filter((x) => x && (text.includes(x) || stderr.includes(x)));
	report(leaked.length === 0 && secrets.filter(Boolean).length >= 10, `no password, client secret, code or token in the audit trail or the server's log (${secrets.filter(Boolean).length} checked)`, leaked.map((x) => x.slice(0, 12)).join(', '));
	const errLines = stderr.split('\n').filter((l) => l.length && !/^==\d+==WARNING: ASan doesn't fully support makecontext\/swapcontext/.test(l));
	const bad = errLines.filter((l) => {
		try {
			const p = JSON.parse(l);
			return typeof p.ts !== 'string' || typeof p.level !== 'string';
		} catch {
			return true;
		}
	});
	report(errLines.length > 0 && bad.length === 0, `every line on the server's stderr has ts and level (${errLines.length} lines)`, bad.slice(0, 2).join(' | '));
	const access = errLines.map((l) => JSON.parse(l)).filter((p) => p.msg === 'request');
	report(access.length > 0 && access.every((p) => typeof p.request_id === 'string' && p.request_id.length > 0) && access.some((p) => p.request_id === 'edge-proxy.req_42'),
		'every access-log line carries its request id', JSON.stringify(access[0]));
	report(errLines.some((l) => /"msg":"listening"/.test(l) && /"ts":/.test(l)), 'the start-up line has ts and level');
});
