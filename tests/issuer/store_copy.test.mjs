// Moving house: `identity-backend store copy` takes a running installation from a
// SQLite file to PostgreSQL and back. After the move a refresh token issued before
// it still rotates, an access token signed before it still verifies against the
// new server's JWKS (same keys, now sealed), a revocation made before it is still
// in force, the SSO session cookie still signs the person in, and their password
// still works. Refusals: PostgreSQL without SECRETS_SYSTEM, a non-empty target
// without --merge, and a merge that cannot complete leaves the target as it was.
import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import * as jose from 'jose';
import { reporter, runSuite, serverSet, startPostgres, tempDir } from '../lib.mjs';
import { addClient, basic, run } from './lib.mjs';

const { report, finish } = reporter('issuer/store_copy');
const { servers, serve, stop } = serverSet(report);
const TINY = { PASSWORD_ARGON2_TEST: '1', PASSWORD_ARGON2_M_KIB: '64', PASSWORD_ARGON2_T: '1' };
const SECRETS = { SECRETS_SYSTEM: crypto.randomBytes(32).toString('base64url') };
const CB = 'https://rp.example/cb';
const ISS = 'http://issuer.example';
const MAGIC = Buffer.from('IDBSEAL1').toString('hex');

const sqlite = (db, q) => execFileSync('sqlite3', [db, q], { encoding: 'utf8' }).trim();
const psql = (url, q) => execFileSync('psql', [url, '-qAt', '-c', q], { encoding: 'utf8' }).trim();
const TABLES = ['clients', 'users', 'signing_keys', 'revoked_tokens', 'sessions', 'auth_codes', 'refresh_tokens', 'login_flows', 'consents', 'factors', 'challenges'];

/** Sign alice in at base: resolves {code, verifier, cookies}. */
async function signIn(base, password, cookies = new Map()) {
	const verifier = crypto.randomBytes(32).toString('base64url');
	const challenge = crypto.createHash('sha256').update(verifier).digest('base64url');
	const go = async (url, init = {}) => {
		const r = await fetch(url, { ...init, redirect: 'manual', headers: { ...(init.headers ?? {}), cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; ') } });
		for (const c of r.headers.getSetCookie()) cookies.set(c.split(';')[0].split('=')[0], c.split(';')[0].split('=').slice(1).join('='));
		return r;
	};
	const q = new URLSearchParams({ response_type: 'code', client_id: 'web', redirect_uri: CB, scope: 'openid offline_access', state: 's', nonce: 'n', code_challenge: challenge, code_challenge_method: 'S256' });
	let r = await go(`${base}/authorize?${q}`);
	if (r.status === 303 || r.status === 302) return { code: new URL(r.headers.get('location')).searchParams.get('code'), verifier, cookies, sso: true };
	const html = await r.text();
	const field = (n) => new RegExp(`name="${n}" value="([^"]*)"`).exec(html)?.[1];
	r = await go(`${base}/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ flow: field('flow'), csrf: field('csrf'), username: 'alice', password }).toString() });
	return { code: r.status === 303 ? new URL(r.headers.get('location')).searchParams.get('code') : null, verifier, cookies, sso: false };
}

const form = (secret, body) => ({ method: 'POST', headers: { authorization: basic('web', secret), 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(body).toString() });

const pg = await startPostgres();
const dir = tempDir('idb-copy-');
await runSuite({ report, finish }, servers, async () => {
	const A = path.join(dir, 'a.db');
	const password = crypto.randomBytes(12).toString('base64url');
	await run(['user', 'add', '--db', A, '--username', 'alice', '--password-stdin'], { env: TINY, input: `${password}\n` });
	const web = await addClient(A, 'web', ['--grant', 'authorization_code', '--grant', 'refresh_token', '--redirect-uri', CB, '--scope', 'openid offline_access']);

	// Life on SQLite: a sign-in, tokens, a revocation.
	let srv = await serve({ db: A, issuer: ISS, env: TINY });
	const s1 = await signIn(srv.base, password);
	let r = await fetch(`${srv.base}/token`, form(web.client_secret, { grant_type: 'authorization_code', code: s1.code, redirect_uri: CB, code_verifier: s1.verifier }));
	const t1 = await r.json();
	const s2 = await signIn(srv.base, password, s1.cookies);
	const t2 = await (await fetch(`${srv.base}/token`, form(web.client_secret, { grant_type: 'authorization_code', code: s2.code, redirect_uri: CB, code_verifier: s2.verifier }))).json();
	r = await fetch(`${srv.base}/revoke`, form(web.client_secret, { token: t2.access_token }));
	report(t1.refresh_token && s2.sso && r.status === 200, 'on SQLite: a sign-in, a second one by the SSO session, tokens, one access token revoked');
	await stop(srv, 'SQLite server');
	// A second factor (unconfirmed: the password alone still signs in below) and a pending
	// WebAuthn challenge, as the MFA pages leave them.
	sqlite(A, `INSERT INTO factors (id, user_id, kind, name, cred_id, data, counter, confirmed, created_at, last_used_at)
		SELECT 'fk-1', id, 'passkey', 'Key', x'00c0ffee', x'a5010203ff00', 41, 0, 1700000000, 1700000100 FROM users;
		INSERT INTO challenges (hash, user_id, expires_at) SELECT x'00112233', id, 4000000000 FROM users`);

	r = await run(['store', 'copy', '--from', A, '--to', pg.url]);
	report(r.code === 2 && /SECRETS_SYSTEM is required with PostgreSQL/.test(r.stderr), 'copy into PostgreSQL without SECRETS_SYSTEM: exit 2', r.stderr.trim());
	r = await run(['store', 'copy', '--from', A, '--to', pg.url], { env: SECRETS });
	const counts = r.json?.copied ?? {};
	report(r.code === 0 && counts.users === 1 && counts.clients === 1 && counts.signing_keys >= 3 && counts.refresh_tokens >= 2 && counts.sessions === 1 && counts.revoked_tokens === 1, 'store copy SQLite → PostgreSQL: every table (counts printed)', r.stdout + r.stderr);
	const same = TABLES.every((t) => Number(sqlite(A, `SELECT count(*) FROM ${t}`)) === Number(psql(pg.url, `SELECT count(*) FROM ${t}`)));
	report(same, 'PostgreSQL holds as many rows of each table as the file');
	report(psql(pg.url, "SELECT encode(cred_id, 'hex') || ' ' || encode(data, 'hex') || ' ' || counter || ' ' || last_used_at FROM factors") === '00c0ffee a5010203ff00 41 1700000100' &&
		psql(pg.url, "SELECT count(*) FROM challenges WHERE hash = '\\x00112233'::bytea") === '1' &&
		psql(pg.url, 'SELECT DISTINCT amr FROM sessions') === 'pwd',
		'second factors (bytes exact), challenges and the sessions\' amr arrive as they were');
	const prefixes = psql(pg.url, "SELECT encode(substr(private_der, 1, 8), 'hex') FROM signing_keys").split('\n');
	report(prefixes.every((p) => p === MAGIC), 'the private keys arrived sealed (they were plain in the file)', prefixes.join(' '));
	r = await run(['store', 'copy', '--from', A, '--to', pg.url], { env: SECRETS });
	report(r.code === 2 && /target holds data/.test(r.stderr), 'copying again into the non-empty target: refused, exit 2', r.stderr.trim());
	r = await run(['store', 'copy', '--from', A, '--to', pg.url, '--merge'], { env: SECRETS });
	report(r.code === 0 && TABLES.every((t) => Number(sqlite(A, `SELECT count(*) FROM ${t}`)) === Number(psql(pg.url, `SELECT count(*) FROM ${t}`))), 'with --merge: nothing duplicated', r.stderr);

	// Life on PostgreSQL, with what was issued on SQLite.
	srv = await serve({ db: pg.url, issuer: ISS, env: { ...TINY, ...SECRETS } });
	r = await fetch(`${srv.base}/token`, form(web.client_secret, { grant_type: 'refresh_token', refresh_token: t1.refresh_token }));
	report(r.status === 200 && (await r.json()).refresh_token, 'on PostgreSQL: the refresh token issued on SQLite rotates', r.status);
	const jwks = jose.createRemoteJWKSet(new URL(`${srv.base}/.well-known/jwks.json`));
	report(await jose.jwtVerify(t1.access_token, jwks, { issuer: ISS }).then(() => true, (e) => e.message), 'an access token signed before the move verifies against the new JWKS');
	const intro = await (await fetch(`${srv.base}/introspect`, form(web.client_secret, { token: t2.access_token }))).json();
	report(intro.active === false, 'the revocation made before the move is in force', JSON.stringify(intro));
	const s3 = await signIn(srv.base, password, s1.cookies);
	report(s3.sso && s3.code, 'the SSO session cookie from before the move signs alice in at once');
	const s4 = await signIn(srv.base, password);
	report(!s4.sso && s4.code, 'and her password works on the new server');
	await stop(srv, 'PostgreSQL server');

	// And back: PostgreSQL → a new SQLite file.
	const B = path.join(dir, 'b.db');
	r = await run(['store', 'copy', '--from', pg.url, '--to', B]);
	report(r.code === 0 && TABLES.every((t) => Number(sqlite(B, `SELECT count(*) FROM ${t}`)) === Number(psql(pg.url, `SELECT count(*) FROM ${t}`))), 'store copy PostgreSQL → a new SQLite file: every row', r.stdout + r.stderr);
	report(sqlite(B, "SELECT hex(cred_id) || ' ' || hex(data) || ' ' || counter FROM factors") === '00C0FFEE A5010203FF00 41', 'and the factor\'s bytes come back exact');
	srv = await serve({ db: B, issuer: ISS, env: { ...TINY, ...SECRETS } });
	report(!!(await signIn(srv.base, password)).code, 'a server on the copied-back file signs alice in (its keys still sealed: same secret)');
	await stop(srv, 'server on the copied-back file');

	// A merge that cannot complete changes nothing: "ALICE" under another id takes the
	// username, so alice's rows that refer to her id cannot follow.
	const C = path.join(dir, 'c.db');
	await run(['user', 'add', '--db', C, '--username', 'ALICE', '--password-stdin'], { env: TINY, input: 'another-password\n' });
	const before = TABLES.map((t) => sqlite(C, `SELECT count(*) FROM ${t}`)).join(',');
	r = await run(['store', 'copy', '--from', A, '--to', C, '--merge']);
	const after = TABLES.map((t) => sqlite(C, `SELECT count(*) FROM ${t}`)).join(',');
	report(r.code === 1 && before === after, 'a merge that fails half-way (rows of a user the target cannot take): exit 1, the target exactly as before', `${r.stderr.trim()} | ${before} → ${after}`);
	const D = path.join(dir, 'd.db');
	r = await run(['store', 'copy', '--from', path.join(dir, 'none.db'), '--to', D]);
	report(r.code === 2 && !fs.existsSync(D), 'a missing source: exit 2, no target file made', r.stderr.trim());
	r = await run(['store', 'copy', '--from', A]);
	const r2 = await run(['store', 'copy', '--from', A, '--to', A]);
	const r3 = await run(['store', 'move']);
	report(r.code === 2 && r2.code === 2 && r3.code === 2, 'usage errors: no --to, the same database twice, an unknown subcommand (exit 2)', [r.stderr, r2.stderr, r3.stderr].join(' | '));
	r = await run(['store', 'copy', '--from', A, '--to', 'postgresql://idb:hunter2-secret@127.0.0.1:1/x'], { env: SECRETS });
	report(r.code === 1 && !r.stderr.includes('hunter2-secret'), 'an unreachable target URL: exit 1, its password not in the message', r.stderr.trim());
	fs.rmSync(dir, { recursive: true, force: true });
});
