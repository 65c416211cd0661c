// A consent page left open across a logout cannot approve anything (OIDC Core
// §3.1.2.4: consent is the signed-in user's; RP-Initiated Logout 1.0 §2 ends the
// session): /consent requires the live session of the user who signed in for the
// flow. Before this was enforced, the page shown before /logout still yielded a code
// and an ID token for the signed-out user.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { reporter, serverSet, tempDir } from '../lib.mjs';
import { addClient, browser, run } from './lib.mjs';

const { report, finish } = reporter('issuer/consent_logout');
const TINY = { PASSWORD_ARGON2_TEST: '1', PASSWORD_ARGON2_M_KIB: '64', PASSWORD_ARGON2_T: '1' };
const { servers, serve, stop } = serverSet(report);
const CB = 'https://third.example/cb';
const PW = `pw-${crypto.randomBytes(12).toString('base64url')}`;
const challenge = Buffer.from(crypto.createHash('sha256').update('v'.repeat(43)).digest()).toString('base64url');
const hidden = (html) => Object.fromEntries([...html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1], m[2]]));
const form = (o) => ({ method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(o).toString() });

/** Sign in at base for client third and return the consent page's fields. */
async function toConsent(b, base) {
	const q = new URLSearchParams({ client_id: 'third', redirect_uri: CB, response_type: 'code', scope: 'openid', state: 'st', code_challenge: challenge, code_challenge_method: 'S256' });
	const login = hidden(await (await b.go(`${base}/authorize?${q}`)).text());
	const page = await (await b.go(`${base}/login`, form({ ...login, username: 'erin', password: PW }))).text();
	return /Allow access/.test(page) ? hidden(page) : null;
}

const dir = tempDir('idb-consent-');
try {
	const db = path.join(dir, 'identity.db');
	await addClient(db, 'third', ['--public', '--grant', 'authorization_code', '--redirect-uri', CB, '--scope', 'openid', '--consent']);
	const u = await run(['user', 'add', '--db', db, '--username', 'erin', '--password-stdin'], { env: TINY, input: PW });
	if (u.code !== 0) throw new Error(u.stderr);
	const s = await serve({ db, env: TINY });
	try {
		const b = browser();
		let f = await toConsent(b, s.base);
		report(f?.flow && f?.csrf, 'signed in: the consent page');
		const conf = hidden(await (await b.go(`${s.base}/logout`)).text());
		const out = await b.go(`${s.base}/logout`, form(conf));
		report(out.status < 400 && !b.jar.has('idb_session'), 'then signed out in the same browser', `${out.status} ${[...b.jar.keys()]}`);
		let r = await b.go(`${s.base}/consent`, form({ ...f, decision: 'allow' }));
		const loc = r.headers.get('location') ?? '';
		report(r.status === 400 && !loc.includes('code='), 'the consent page shown before the logout approves nothing afterwards (400, no code)', `${r.status} ${loc}`);

		f = await toConsent(b, s.base);
		r = await b.go(`${s.base}/consent`, form({ ...f, decision: 'allow' }));
		report(r.status === 303 && new URL(r.headers.get('location')).searchParams.has('code'), 'signed in again: consent with the live session gives a code', `${r.status}`);
	} finally {
		await stop(s, 'server');
	}
} catch (e) {
	report(false, 'the consent-after-logout suite ran', e.stack);
	for (const x of servers) await x.stop();
}
fs.rmSync(dir, { recursive: true, force: true });
finish();
