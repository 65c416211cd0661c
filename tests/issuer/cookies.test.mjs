// The sign-in cookies of an https issuer carry the prefixes browsers enforce
// (RFC 6265bis §4.1.3): __Host- (Secure, Path=/, no Domain: no other host or path
// can set or shadow them) at the root, __Secure- under an issuer path (__Host-
// needs Path=/). The server listens on plain http here, as behind a TLS proxy; the
// test client sends cookies back by name, as a browser on https would.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { freePort, reporter, serverSet, tempDir } from '../lib.mjs';
import { addClient, browser, run } from './lib.mjs';

const { report, finish } = reporter('issuer/cookies');
const TINY = { PASSWORD_ARGON2_TEST: '1', PASSWORD_ARGON2_M_KIB: '64', PASSWORD_ARGON2_T: '1' };
const { servers, serve, stop } = serverSet(report);
const CB = 'https://web.example/cb';
const PW = `pw-${crypto.randomBytes(12).toString('base64url')}`;
const challenge = Buffer.from(crypto.createHash('sha256').update('v'.repeat(43)).digest()).toString('base64url');
const hidden = (html) => Object.fromEntries([...html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1], m[2]]));

/** Sign in through prefix (the issuer path, "" or "/auth") of base; the browser and the /login answer. */
async function signIn(base, prefix) {
	const b = browser();
	const q = new URLSearchParams({ client_id: 'web', redirect_uri: CB, response_type: 'code', scope: 'openid', state: 's', code_challenge: challenge, code_challenge_method: 'S256' });
	const f = hidden(await (await b.go(`${base}${prefix}/authorize?${q}`)).text());
	const r = await b.go(`${base}${prefix}/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ ...f, username: 'gina', password: PW }).toString() });
	return { b, r };
}

const dir = tempDir('idb-cookies-');
try {
	const db = path.join(dir, 'identity.db');
	await addClient(db, 'web', ['--public', '--grant', 'authorization_code', '--redirect-uri', CB, '--scope', 'openid']);
	const u = await run(['user', 'add', '--db', db, '--username', 'gina', '--password-stdin'], { env: TINY, input: PW });
	if (u.code !== 0) throw new Error(u.stderr);
	for (const [prefix, name, cookiePath] of [['', '__Host-', '/'], ['/auth', '__Secure-', '/auth']]) {
		const port = await freePort();
		const s = await serve({ db, port, issuer: `https://127.0.0.1:${port}${prefix}`, env: TINY });
		try {
			const { b, r } = await signIn(s.base, prefix);
			const set = b.setCookies;
			const browserC = set.find((c) => c.startsWith(`${name}idb_browser=`)) ?? '';
			const sessionC = set.find((c) => c.startsWith(`${name}idb_session=`)) ?? '';
			const attrs = (c) => /; Secure/.test(c) && /; HttpOnly/.test(c) && c.includes(`; Path=${cookiePath};`) && !/Domain=/i.test(c);
			report(r.status === 303 && attrs(browserC) && attrs(sessionC), `https issuer${prefix ? ' with a path' : ''}: ${name}idb_browser and ${name}idb_session, Secure, HttpOnly, Path=${cookiePath}, no Domain; the sign-in works with them`, set.join(' | '));
			report(!set.some((c) => /^idb_/.test(c)), 'no cookie under the bare name', set.join(' | '));
			const again = await b.go(`${s.base}${prefix}/authorize?${new URLSearchParams({ client_id: 'web', redirect_uri: CB, response_type: 'code', scope: 'openid', state: 's2', prompt: 'none', code_challenge: challenge, code_challenge_method: 'S256' })}`);
			report(again.status === 302 && new URL(again.headers.get('location')).searchParams.has('code'), 'the prefixed session cookie is read back: SSO with prompt=none gives a code', `${again.status}`);
			const bare = await fetch(`${s.base}${prefix}/authorize?${new URLSearchParams({ client_id: 'web', redirect_uri: CB, response_type: 'code', scope: 'openid', state: 's3', prompt: 'none', code_challenge: challenge, code_challenge_method: 'S256' })}`, { redirect: 'manual', headers: { cookie: `idb_session=${sessionC.split(';')[0].split('=')[1]}` } });
			report(new URL(bare.headers.get('location')).searchParams.get('error') === 'login_required', 'the same value under the bare name (which any subdomain or http page could set) is not a session', `${bare.status}`);
		} finally {
			await stop(s, `https issuer${prefix}`);
		}
	}
} catch (e) {
	report(false, 'the cookie suite ran', e.stack);
	for (const x of servers) await x.stop();
}
fs.rmSync(dir, { recursive: true, force: true });
finish();
