// A person in Chromium (playwright-core) looks after their own account, with every
// link taken from a mail a real SMTP server (python3-aiosmtpd) received:
// - registers on /register from the login page's link, is told to confirm first,
//   opens the verification link from the mail, confirms, and signs in;
// - forgets the password: /forgot from the login page, the reset link from the mail,
//   a new password typed twice, then signs in with it and not with the old one.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { reporter, serverSet, tempDir, runSuite } from '../lib.mjs';
import { header, haveSmtpd, startSmtpd } from '../mail/smtpd.mjs';
import { addClient, until } from '../issuer/lib.mjs';

const R = reporter('browser/selfservice');
const { report, skip } = R;
const { servers, serve } = serverSet(report);
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const TINY = { PASSWORD_ARGON2_TEST: '1', PASSWORD_ARGON2_M_KIB: '64', PASSWORD_ARGON2_T: '1' };
const PW = `chromium-${crypto.randomBytes(9).toString('base64url')}`;
const PW2 = `renewed-${crypto.randomBytes(9).toString('base64url')}`;
const CB = 'http://127.0.0.1:9/cb'; // nothing listens: the code is read off the redirect
const VERIFIER = 'v'.repeat(43);
const CHALLENGE = crypto.createHash('sha256').update(VERIFIER).digest('base64url');
const tmp = tempDir('idb-bself-');
const db = path.join(tmp, 'b.db');

/** The first token link of a received message (quoted-printable decoded). */
function linkIn(m) {
	const qp = m.text.split('\r\n\r\n').slice(1).join('\r\n\r\n').replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16)));
	return qp.match(/https?:\/\/[^\s"<>]+\?token=[A-Za-z0-9_-]{43}/)?.[0];
}

if (!haveSmtpd() || !fs.existsSync(CHROMIUM)) {
	skip('the browser self-service suite', 'python3-aiosmtpd or Chromium is not installed (scripts/setup.sh installs both)');
	process.exit(0);
}

let browser = null;
await runSuite(R, servers, async () => {
	const smtp = await startSmtpd({ dir: path.join(tmp, 'mail') });
	await addClient(db, 'web', ['--public', '--grant', 'authorization_code', '--redirect-uri', CB, '--scope', 'openid email']);
	const s = await serve({ db, env: { ...TINY, SMTP_URL: `smtp+insecure://127.0.0.1:${smtp.port}`, MAIL_FROM: 'IdP <idp@issuer.test>',
		MAIL_RETRY_SECONDS: '1', REGISTRATION: 'open', LOGIN_FAILURES_PER_ADDRESS: '0' } });
	const mailsTo = (addr) => smtp.messages().filter((m) => header(m.text, 'To')?.includes(addr));
	const { chromium } = await import('playwright-core');
	browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
	const page = await (await browser.newContext()).newPage();
	const authorize = `${s.base}/authorize?${new URLSearchParams({ client_id: 'web', redirect_uri: CB, response_type: 'code', scope: 'openid email', state: 'st', code_challenge: CHALLENGE, code_challenge_method: 'S256' })}`;
	/** Sign in on the login page; resolves the URL the browser was sent to (the client's, with a code) or the page's alert. */
	async function signIn(user, pw) {
		await page.goto(authorize);
		await page.fill('#username', user);
		await page.fill('#password', pw);
		const back = page.waitForRequest((r) => r.url().startsWith(CB), { timeout: 5000 }).then((r) => r.url()).catch(() => null);
		await page.click('button[type=submit]');
		const url = await back;
		return url ?? (await page.textContent('.alert'));
	}

	// ---- registration ----
	await page.goto(authorize);
	await page.click('text=Create an account');
	report(page.url() === `${s.base}/register`, 'the login page links to the registration page', page.url());
	await page.fill('#username', 'cora');
	await page.fill('#email', 'cora@example.com');
	await page.fill('#name', 'Cora Ö');
	await page.fill('#password', PW);
	await page.fill('#password2', PW);
	await page.click('button[type=submit]');
	report(/Check your mail/.test(await page.textContent('h1')), 'registered: the page says to check the mail');
	let got = await signIn('cora', PW);
	report(typeof got === 'string' && /Confirm your email address first/.test(got), 'before confirming, sign-in says to confirm first', got);
	await until(() => mailsTo('cora@example.com').length >= 1, 20000, 50);
	await page.goto(linkIn(mailsTo('cora@example.com')[0]));
	report(/cora@example\.com/.test(await page.textContent('.lead')), 'the link from the mail opens the confirmation page');
	await page.click('button[type=submit]');
	report(/Address confirmed/.test(await page.textContent('h1')), 'confirmed in the browser');
	got = await signIn('cora', PW);
	report(typeof got === 'string' && new URL(got).searchParams.get('code'), 'then cora signs in and the client gets a code', got);

	// ---- password reset ----
	const ctx2 = await browser.newContext();
	const p2 = await ctx2.newPage();
	await p2.goto(authorize);
	await p2.click('text=Forgot your password?');
	await p2.fill('#email', 'cora@example.com');
	await p2.click('button[type=submit]');
	report(/If an account has the address/.test(await p2.textContent('.alert')), '/forgot: the same words for any address');
	await until(() => mailsTo('cora@example.com').length >= 2, 20000, 50);
	await p2.goto(linkIn(mailsTo('cora@example.com')[1]));
	await p2.fill('#password', PW2);
	await p2.fill('#password2', PW2);
	await p2.click('button[type=submit]');
	report(/Password set/.test(await p2.textContent('h1')), 'the reset link from the mail sets the new password');
	await ctx2.close();
	got = await signIn('cora', PW);
	report(typeof got === 'string' && /incorrect/.test(got), 'the old password is refused', got);
	got = await signIn('cora', PW2);
	report(typeof got === 'string' && new URL(got).searchParams.get('code'), 'the new password signs in', got);
	await smtp.stop();
});
if (browser) await browser.close();
fs.rmSync(tmp, { recursive: true, force: true });
