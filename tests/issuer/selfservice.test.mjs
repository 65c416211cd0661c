// Accounts people look after themselves, by mail, with a real SMTP server
// (python3-aiosmtpd, tests/mail/smtpd.py) receiving every mail and the links
// followed from the received messages:
// - registration (REGISTRATION=open): the page, the verification mail, no sign-in
//   before the address is confirmed (REGISTRATION_REQUIRE_VERIFIED), then sign-in;
//   a taken username said so, bad input refused; the JSON /auth/register;
// - password reset: /forgot answers the same for any address and does the same
//   store work (a decoy link for an unknown one, no mail); the link from the mail
//   sets a new password under the policy, once; the old password and the user's
//   refresh tokens stop working; a disabled account gets nothing; at most 3 mails
//   per account and hour;
// - bad links (expired, reused, foreign, malformed): a clear page, nothing changed;
// - no password, and no token in the clear, in the store; the outbox keeps no
//   message once it is sent.
import crypto from 'node:crypto';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { reporter, serverSet, tempDir, runSuite } from '../lib.mjs';
import { header, haveSmtpd, startSmtpd } from '../mail/smtpd.mjs';
import { addClient, afterLogin, browser, run, until } from './lib.mjs';

const R = reporter('issuer/selfservice');
const { report, skip } = R;
const { servers, serve } = serverSet(report);
const TINY = { PASSWORD_ARGON2_TEST: '1', PASSWORD_ARGON2_M_KIB: '64', PASSWORD_ARGON2_T: '1' };
const tmp = tempDir('idb-self-');
const db = path.join(tmp, 'self.db');
const CB = 'https://web.example/cb';
const VERIFIER = 'v'.repeat(43);
const CHALLENGE = crypto.createHash('sha256').update(VERIFIER).digest('base64url');
const PW = `first-${crypto.randomBytes(9).toString('base64url')}`;
const PW2 = `second-${crypto.randomBytes(9).toString('base64url')}`;
const sql = (q) => spawnSync('sqlite3', ['-cmd', '.timeout 5000', db, q], { encoding: 'utf8' }).stdout.trim();
const hidden = (html) => Object.fromEntries([...html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1], m[2]]));
const form = (o) => ({ method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(o).toString() });
const short = (x) => String(typeof x === 'string' ? x : JSON.stringify(x)).replace(/\s+/g, ' ').slice(0, 300);

/** The text part of a received message, quoted-printable decoded. */
function body(text) {
	const qp = text.split('\r\n\r\n').slice(1).join('\r\n\r\n').replace(/=\r?\n/g, '');
	return Buffer.from(qp.replace(/=([0-9A-F]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8');
}
/** The first link with a token in a received message. */
const linkIn = (m) => body(m.text).match(/https?:\/\/[^\s"<>]+\?token=[A-Za-z0-9_-]{43}/)?.[0];

if (!haveSmtpd()) {
	skip('the self-service suite', 'python3-aiosmtpd is not installed (scripts/setup.sh installs it)');
	process.exit(0);
}

await runSuite(R, servers, async () => {
	const smtp = await startSmtpd({ dir: path.join(tmp, 'mail') });
	await addClient(db, 'web', ['--public', '--grant', 'authorization_code', '--grant', 'refresh_token', '--redirect-uri', CB, '--scope', 'openid email offline_access']);
	const s = await serve({ db, env: { ...TINY, SMTP_URL: `smtp+insecure://127.0.0.1:${smtp.port}`, MAIL_FROM: 'IdP <idp@issuer.test>',
		MAIL_RETRY_SECONDS: '1', REGISTRATION: 'open', ACCOUNT_JSON_API: 'on', LOGIN_FAILURES_PER_ADDRESS: '0' } });
	const mailsTo = (addr) => smtp.messages().filter((m) => m.envelope.to?.includes(addr) || header(m.text, 'To')?.includes(addr));
	const waitMail = (addr, n) => until(() => mailsTo(addr).length >= n, 20000, 50);

	/** Sign in as user/pw for client web: { status, html } or { tokens }. */
	async function signIn(user, pw) {
		const b = browser();
		const q = new URLSearchParams({ client_id: 'web', redirect_uri: CB, response_type: 'code', scope: 'openid email offline_access', state: 's', code_challenge: CHALLENGE, code_challenge_method: 'S256' });
		const r = await afterLogin(b.go, await b.go(`${s.base}/login`, form({ ...hidden(await (await b.go(`${s.base}/authorize?${q}`)).text()), username: user, password: pw })));
		const code = new URL(r.headers.get('location') ?? 'x:/').searchParams.get('code');
		if (!code) return { status: r.status, html: await r.text() };
		return { tokens: await (await fetch(`${s.base}/token`, form({ grant_type: 'authorization_code', code, redirect_uri: CB, client_id: 'web', code_verifier: VERIFIER }))).json() };
	}
	/** GET path in browser b, then POST its form with fields: the answer { status, html }. */
	async function submit(b, url, fields) {
		const page = await (await b.go(url)).text();
		const r = await b.go(new URL(page.match(/<form method="post" action="([^"]+)"/)?.[1] ?? '/none', url).href, form({ ...hidden(page), ...fields }));
		return { status: r.status, html: await r.text() };
	}

	// ---- the login page links to both ----
	const q = new URLSearchParams({ client_id: 'web', redirect_uri: CB, response_type: 'code', scope: 'openid', code_challenge: CHALLENGE, code_challenge_method: 'S256' });
	const lp = await (await fetch(`${s.base}/authorize?${q}`)).text();
	report(/<a class="" href="\/forgot">Forgot your password\?<\/a>/.test(lp) && /<a class="" href="\/register">Create an account<\/a>/.test(lp),
		'the login page links to /forgot and /register', short(lp.match(/<p class="links[^]*?<\/p>/)?.[0]));

	// ---- registration ----
	const b = browser();
	let r = await submit(b, `${s.base}/register`, { username: 'nora', email: 'nora@example.com', name: 'Nora Ñ', password: PW, password2: PW });
	report(r.status === 200 && /Check your mail/.test(r.html), 'registration: the page says to check the mail', short(r.html));
	await waitMail('nora@example.com', 1);
	const reg = mailsTo('nora@example.com')[0];
	const vlink = reg && linkIn(reg);
	report(vlink?.startsWith(`${s.base}/verify-email?token=`), 'a mail with the verification link arrives', short(reg && body(reg.text)));
	report(!reg?.text.includes(PW), 'the mail does not carry the password');
	let si = await signIn('nora', PW);
	report(si.status === 403 && /Confirm your email address first/.test(si.html ?? ''), 'before confirming, the right password is told to confirm first', short(si.html));
	r = await fetch(vlink);
	const vpage = await r.text();
	report(r.status === 200 && /nora@example\.com/.test(vpage) && /<button type="submit">Confirm<\/button>/.test(vpage),
		'following the link shows a page to confirm (a GET spends nothing)', short(vpage));
	r = await submit(browser(), vlink, {});
	report(r.status === 200 && /Address confirmed/.test(r.html), 'confirming: the address is confirmed', short(r.html));
	r = await fetch(vlink);
	report(r.status === 400 && /expired or was already used/.test(await r.text()), 'the link works once');
	si = await signIn('nora', PW);
	report(typeof si.tokens?.access_token === 'string', 'confirmed: nora signs in', short(si));
	const nora = JSON.parse((await run(['user', 'show', 'nora', '--db', db])).stdout);
	report(nora.email_verified === true && nora.name === 'Nora Ñ', 'user show: verified, with the name given', short(nora));

	r = await submit(browser(), `${s.base}/register`, { username: 'NORA', email: 'other@example.com', password: PW, password2: PW });
	report(r.status === 409 && /username is taken/.test(r.html) && /value="other@example.com"/.test(r.html), 'a taken username (in any case): said so, the form kept', short(r.html));
	for (const [fields, what, re] of [
		[{ username: 'a b', email: 'x@example.com', password: PW, password2: PW }, 'a bad username', /username/],
		[{ username: 'olaf', email: 'not-an-address', password: PW, password2: PW }, 'a bad address', /email address/],
		[{ username: 'olaf', email: 'olaf@example.com', password: PW, password2: PW2 }, 'two different passwords', /differ/],
		[{ username: 'olaf', email: 'olaf@example.com', password: 'short', password2: 'short' }, 'a password the policy refuses', /too short/],
		[{ username: 'olaf', email: 'o@example.com\r\nBcc: victim@example.com', password: PW, password2: PW }, 'a header injection in the address', /could not be read|email address/],
	]) {
		r = await submit(browser(), `${s.base}/register`, fields);
		report(r.status === 400 && re.test(r.html), `registration with ${what}: 400, said why`, short(r.html));
	}
	r = await fetch(`${s.base}/register`, form({ username: 'olaf', email: 'olaf@example.com', password: PW, password2: PW }));
	report(r.status === 400 && /Form expired/.test(await r.text()), 'registration without the form\'s CSRF token: refused');
	report(sql("SELECT count(*) FROM users WHERE username = 'olaf'") === '0', 'no refused registration made a user');

	// ---- the JSON registration ----
	const jreg = (o) => fetch(`${s.base}/auth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(o) }).then(async (x) => ({ status: x.status, json: await x.json() }));
	let j = await jreg({ username: 'jules', email: 'jules@example.com', password: PW, full_name: 'Jules J' });
	report(j.status === 201 && j.json.username === 'jules' && j.json.email_verified === false && /^[0-9a-f-]{36}$/.test(j.json.user_id),
		'/auth/register: 201 with the new user', short(j.json));
	await waitMail('jules@example.com', 1);
	report(mailsTo('jules@example.com').length === 1, '/auth/register mails the verification link too');
	j = await jreg({ username: 'jules', email: 'j2@example.com', password: PW });
	report(j.status === 409 && j.json.error === 'username_taken', '/auth/register: a taken username is 409 username_taken', short(j.json));
	j = await jreg({ username: 'kim', email: 'kim@example.com', password: 12345 });
	report(j.status === 400 && j.json.error === 'invalid_request', '/auth/register: a number as password is invalid_request', short(j.json));

	// ---- password reset ----
	const forgot = (email) => submit(browser(), `${s.base}/forgot`, { email });
	const linksBefore = Number(sql('SELECT count(*) FROM account_links'));
	const known = await forgot('NORA@example.com');
	const unknown = await forgot('nobody@example.com');
	const same = (h, e) => h.replace(e, 'EMAIL');
	report(known.status === 200 && unknown.status === 200 && same(known.html, 'NORA@example.com') === same(unknown.html, 'nobody@example.com'),
		'/forgot: the same answer for a known and an unknown address', short(unknown.html));
	report(Number(sql('SELECT count(*) FROM account_links')) === linksBefore + 2 && sql('SELECT count(*) FROM account_links WHERE user_id IS NULL') === '1',
		'/forgot: the same store work for both (a decoy link for the unknown address)', sql('SELECT kind, user_id IS NULL FROM account_links'));
	await waitMail('nora@example.com', 2);
	await new Promise((res) => setTimeout(res, 500));
	report(mailsTo('nobody@example.com').length === 0, 'no mail to an address without an account');
	const rlink = linkIn(mailsTo('nora@example.com')[1]);
	report(rlink?.startsWith(`${s.base}/reset?token=`), 'the reset mail carries a /reset link', short(rlink));
	const rb = browser();
	r = await submit(rb, rlink, { password: PW2, password2: `${PW2}x` });
	report(r.status === 400 && /differ/.test(r.html), 'two different new passwords: said so', short(r.html));
	r = await submit(rb, rlink, { password: 'nora2024', password2: 'nora2024' });
	report(r.status === 400 && /refused|short|username|common/.test(r.html), 'a new password the policy refuses: said why', short(r.html));
	const before = si.tokens;
	r = await submit(rb, rlink, { password: PW2, password2: PW2 });
	report(r.status === 200 && /Password set/.test(r.html), 'a good new password: set', short(r.html));
	report((await signIn('nora', PW)).tokens === undefined && (await signIn('nora', PW2)).tokens !== undefined, 'the old password fails, the new one signs in');
	const rr = await fetch(`${s.base}/token`, form({ grant_type: 'refresh_token', refresh_token: before.refresh_token, client_id: 'web' }));
	report(rr.status === 400, 'the refresh tokens from before the reset are ended', rr.status);
	r = await fetch(rlink);
	report(r.status === 400 && /expired or was already used/.test(await r.text()), 'the reset link works once');

	// ---- a new address set by an operator is confirmed by mail ----
	const menv = { JWT_ISSUER: s.base, SMTP_URL: `smtp+insecure://127.0.0.1:${smtp.port}`, MAIL_FROM: 'IdP <idp@issuer.test>' };
	let c = await run(['user', 'update', 'nora', '--email', 'nora@new.example', '--db', db], { env: menv });
	report(c.code === 0 && JSON.parse(c.stdout).email_verified === false && /verification mail is queued/.test(c.stderr),
		'user update --email with mail on: unverified, a verification mail queued', c.stderr);
	await waitMail('nora@new.example', 1);
	const nlink = linkIn(mailsTo('nora@new.example')[0] ?? { text: '' });
	r = await submit(browser(), nlink, {});
	report(r.status === 200 && /Address confirmed/.test(r.html) && JSON.parse((await run(['user', 'show', 'nora', '--db', db])).stdout).email_verified === true,
		'following the mailed link confirms the new address', short(r.html));
	c = await run(['user', 'add', '--db', db, '--username', 'vic', '--email', 'vic@example.com', '--email-verified', '--password-stdin'], { env: { ...TINY, ...menv }, input: PW });
	report(c.code === 0 && JSON.parse(c.stdout).email_verified === true && !('verification_mail' in JSON.parse(c.stdout)),
		'user add --email-verified vouches for the address: no mail', c.stdout);

	// ---- a disabled account; the hourly limit ----
	await run(['user', 'add', '--db', db, '--username', 'dora', '--email', 'dora@example.com', '--password-stdin'], { env: TINY, input: PW });
	await run(['user', 'disable', 'dora', '--db', db]);
	r = await forgot('dora@example.com');
	report(r.status === 200 && /If an account has/.test(r.html), 'a reset for a disabled account: the usual answer', short(r.html));
	for (let i = 0; i < 4; i++) await forgot('jules@example.com');
	await waitMail('jules@example.com', 4);
	await new Promise((res) => setTimeout(res, 1500));
	report(mailsTo('dora@example.com').length === 0, 'a disabled account gets no reset mail');
	report(mailsTo('jules@example.com').length === 4, 'at most 3 reset mails per account and hour (the 4th request gets a decoy)', mailsTo('jules@example.com').length);

	// ---- bad links ----
	for (const [url, what] of [[`${s.base}/reset?token=${'A'.repeat(43)}`, 'an unknown token'], [`${s.base}/reset?token=short`, 'a malformed token'],
		[`${s.base}/reset`, 'no token'], [vlink.replace('/verify-email', '/reset'), 'a verification token at /reset'],
		[`${s.base}/verify-email?token=%00%0d%0a`, 'control characters']]) {
		r = await fetch(url);
		report(r.status === 400 && /expired or was already used|could not be read/.test(await r.text()), `${what}: 400, a clear page`);
	}

	// ---- REGISTRATION_REQUIRE_VERIFIED=off: sign in at once ----
	const s2 = await serve({ db, env: { ...TINY, SMTP_URL: `smtp+insecure://127.0.0.1:${smtp.port}`, MAIL_FROM: 'IdP <idp@issuer.test>',
		REGISTRATION: 'open', REGISTRATION_REQUIRE_VERIFIED: 'off', LOGIN_FAILURES_PER_ADDRESS: '0' } });
	const b2 = browser();
	const rp = await (await b2.go(`${s2.base}/register`)).text();
	r = await b2.go(`${s2.base}/register`, form({ ...hidden(rp), username: 'quick', email: 'quick@example.com', password: PW, password2: PW }));
	const rq = await r.text();
	report(r.status === 200 && /you can sign in now/.test(rq), 'REGISTRATION_REQUIRE_VERIFIED=off: the page says sign-in works now', short(rq));
	const qb = browser();
	const q2 = new URLSearchParams({ client_id: 'web', redirect_uri: CB, response_type: 'code', scope: 'openid', state: 's', code_challenge: CHALLENGE, code_challenge_method: 'S256' });
	const lr = await qb.go(`${s2.base}/login`, form({ ...hidden(await (await qb.go(`${s2.base}/authorize?${q2}`)).text()), username: 'quick', password: PW }));
	report(lr.status === 303 && /code=/.test(lr.headers.get('location') ?? ''), 'and the new account signs in before confirming its address', lr.status);
	report(JSON.parse((await run(['user', 'show', 'quick', '--db', db])).stdout).email_verified === false, 'its address stays unconfirmed until the link is followed');
	r = await fetch(`${s.base}/register`);
	report(r.status === 200, 'control: the first server (verified required) still serves /register');

	// ---- the address's limit: every POST counts ----
	const s3 = await serve({ db, env: { ...TINY, SMTP_URL: `smtp+insecure://127.0.0.1:${smtp.port}`, MAIL_FROM: 'IdP <idp@issuer.test>',
		REGISTRATION: 'open', ACCOUNT_JSON_API: 'on', LOGIN_FAILURES_PER_ADDRESS: '2' } });
	const lim = [];
	for (let i = 0; i < 3; i++) lim.push(await submit(browser(), `${s3.base}/forgot`, { email: 'nobody@example.com' }));
	report(lim[0].status === 200 && lim[1].status === 200 && lim[2].status === 429 && /Too many attempts/.test(lim[2].html),
		'LOGIN_FAILURES_PER_ADDRESS=2: the third /forgot from one address is 429', lim.map((x) => x.status).join());
	const jr = await fetch(`${s3.base}/auth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'over', email: 'o@example.com', password: PW }) });
	report(jr.status === 429 && Number(jr.headers.get('retry-after')) > 0 && (await jr.json()).error === 'temporarily_unavailable',
		'and /auth/register from it answers 429 JSON with Retry-After', jr.status);

	// ---- what the store keeps ----
	const dump = spawnSync('sqlite3', [db, '.dump'], { encoding: 'utf8' }).stdout;
	report(![PW, PW2].some((p) => dump.includes(p)), 'no password in the store');
	const tokens = smtp.messages().map(linkIn).filter(Boolean).map((l) => new URL(l).searchParams.get('token'));
	report(tokens.length >= 5 && !tokens.some((t) => dump.includes(t)), 'no link token in the clear in the store (outbox included)', tokens.length);
	await until(() => sql("SELECT count(*) FROM outbox WHERE state = 0") === '0', 20000, 100);
	report(sql("SELECT count(*) FROM outbox WHERE message <> ''") === '0', 'a sent mail leaves no message in the outbox');
	await smtp.stop();
});
fs.rmSync(tmp, { recursive: true, force: true });

