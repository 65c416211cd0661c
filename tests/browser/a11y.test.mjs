// Accessibility of every page, in every language, in light and dark colour schemes,
// in Chromium (playwright-core) against a real server: axe-core (npm, pinned in
// tests/package.json) finds no violation of WCAG 2.1 A and AA; every form field's
// border has 3:1 against its background and a focused field a visible ring; after a
// wrong password the focus is on the password field and a reload posts nothing.
// A screenshot of each page goes to build/screenshots/PAGE-LANG-SCHEME.png.
//
// PAGES is the list: one line a page. A new page (the /account page, the MFA step)
// is one more line: its name and how a browser gets there (t: the helpers below).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { repo, reporter, serverSet, tempDir, runSuite } from '../lib.mjs';
import { header, haveSmtpd, startSmtpd } from '../mail/smtpd.mjs';
import { addClient, browser as httpBrowser, run, until } from '../issuer/lib.mjs';

// name               how to open it (t: goto, authorize, signIn, links; see below)
const PAGES = [
	['login', (t) => t.goto(t.authorize('web'))],
	['login-error', (t) => t.signIn('web', 'alice', 'not-the-password')],
	['consent', (t) => t.signIn('asks', 'alice', t.pw)],
	['error', (t) => t.goto('/authorize?client_id=nobody')],
	['logout', (t) => t.goto('/logout')],
	['signed-out', async (t) => (await t.goto('/logout'), await t.click('button[type=submit]'))],
	['forgot', (t) => t.goto('/forgot')],
	['reset', (t) => t.goto(t.links.reset)],
	['verify', (t) => t.goto(t.links.verify)],
	['register', (t) => t.goto('/register')],
	['account-login', (t) => t.goto('/account')],
	['account', (t) => t.accountSignIn()],
	['account-app', (t) => t.click('text=' + t.say('account.app_add'))],
	['account-codes', (t) => t.confirmApp()],
	['mfa', async (t) => (await t.signOut(), await t.signIn('web', t.acct, t.pw))],
];
const LANGS = ['en-US', 'de-DE', 'fr-FR'];
const SCHEMES = ['light', 'dark'];
const WCAG = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

const R = reporter('browser/a11y');
const { report, skip } = R;
const { servers, serve } = serverSet(report);
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const TINY = { PASSWORD_ARGON2_TEST: '1', PASSWORD_ARGON2_M_KIB: '64', PASSWORD_ARGON2_T: '1' };
const PW = `a11y-${crypto.randomBytes(9).toString('base64url')}`;
const CB = 'http://127.0.0.1:9/cb'; // nothing listens there
const CHALLENGE = crypto.createHash('sha256').update('v'.repeat(43)).digest('base64url');
const SHOTS = path.join(repo, 'build', 'screenshots');
const tmp = tempDir('idb-a11y-');
const db = path.join(tmp, 'a.db');

/** The first token link of a received message (quoted-printable decoded). */
function linkIn(m) {
	const qp = m.text.split('\r\n\r\n').slice(1).join('\r\n\r\n').replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16)));
	return qp.match(/https?:\/\/[^\s"<>]+\?token=[A-Za-z0-9_-]{43}/)?.[0];
}

/** RFC 6238 (HMAC-SHA-1, 6 digits, 30 s) of the base32 key at now. */
function totp(b32) {
	const A = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
	let bits = 0, value = 0;
	const key = [];
	for (const c of b32.replace(/\s/g, '')) {
		value = (value << 5) | A.indexOf(c);
		bits += 5;
		if (bits >= 8) key.push((value >>> (bits -= 8)) & 255);
	}
	const counter = Buffer.alloc(8);
	counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 30000)));
	const h = crypto.createHmac('sha1', Buffer.from(key)).update(counter).digest();
	return String((h.readUInt32BE(h[19] & 15) & 0x7fffffff) % 1e6).padStart(6, '0');
}

/** In the page: each visible text field's border contrast against the card, and a focused field's outline. */
function fieldContrast() {
	const lum = (c) => {
		const [r, g, b] = c.match(/[\d.]+/g).slice(0, 3).map(Number).map((v) => v / 255).map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
		return 0.2126 * r + 0.7152 * g + 0.0722 * b;
	};
	const ratio = (a, b) => (Math.max(lum(a), lum(b)) + 0.05) / (Math.min(lum(a), lum(b)) + 0.05);
	const card = getComputedStyle(document.querySelector('.card')).backgroundColor;
	const fields = [...document.querySelectorAll('input:not([type=hidden]), button.secondary')].filter((e) => e.offsetParent);
	const out = fields.map((e) => ({ id: e.id || e.className, border: ratio(getComputedStyle(e).borderTopColor, card) }));
	const first = document.querySelector('input:not([type=hidden])');
	if (first) {
		first.focus();
		const s = getComputedStyle(first);
		out.push({ id: 'focus-ring', outline: s.outlineStyle !== 'none' ? parseFloat(s.outlineWidth) : 0, border: ratio(s.outlineColor, card) });
	}
	return out;
}

if (!haveSmtpd() || !fs.existsSync(CHROMIUM)) {
	skip('the accessibility suite', 'python3-aiosmtpd or Chromium is not installed (scripts/setup.sh installs both)');
	process.exit(0);
}

await runSuite(R, servers, async () => {
	const axeSource = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
	const smtp = await startSmtpd({ dir: path.join(tmp, 'mail') });
	await addClient(db, 'web', ['--public', '--name', 'Web', '--grant', 'authorization_code', '--redirect-uri', CB, '--scope', 'openid email']);
	await addClient(db, 'asks', ['--public', '--name', 'Asks first', '--consent', '--grant', 'authorization_code', '--redirect-uri', CB, '--scope', 'openid email']);
	const u = await run(['user', 'add', '--db', db, '--username', 'alice', '--email', 'alice@example.com', '--password-stdin'], { env: TINY, input: PW });
	if (u.code !== 0) throw new Error(`user add: ${u.stderr}`);
	// One account a language and scheme: each sets up an app on its own pass.
	for (const l of LANGS) for (const c of SCHEMES)
		await run(['user', 'add', '--db', db, '--username', `acct-${l.slice(0, 2)}-${c}`, '--password-stdin'], { env: TINY, input: PW });
	const catalogs = Object.fromEntries(['en', 'de', 'fr'].map((l) => [l, JSON.parse(fs.readFileSync(path.join(repo, 'www', 'i18n', `${l}.json`), 'utf8'))]));
	const s = await serve({ db, env: { ...TINY, SMTP_URL: `smtp+insecure://127.0.0.1:${smtp.port}`, MAIL_FROM: 'IdP <idp@issuer.test>',
		MAIL_RETRY_SECONDS: '1', REGISTRATION: 'open', LOGIN_FAILURES_PER_ADDRESS: '0' } });

	// The links of a reset and of a registration's verification (their GET pages work until used).
	const mailsTo = (addr) => smtp.messages().filter((m) => header(m.text, 'To')?.includes(addr));
	const submit = async (p, fields) => {
		const b = httpBrowser();
		const html = await (await b.go(`${s.base}${p}`)).text();
		const hidden = Object.fromEntries([...html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1], m[2]]));
		await b.go(`${s.base}${p}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ ...hidden, ...fields }).toString() });
	};
	await submit('/forgot', { email: 'alice@example.com' });
	await submit('/register', { username: 'vera', email: 'vera@example.com', password: PW, password2: PW });
	await until(() => mailsTo('alice@example.com').length > 0 && mailsTo('vera@example.com').length > 0, 20000, 50);
	const links = { reset: linkIn(mailsTo('alice@example.com')[0]), verify: linkIn(mailsTo('vera@example.com')[0]) };
	report(links.reset && links.verify, 'the reset and verification links came by mail', links);

	const { chromium } = await import('playwright-core');
	const engine = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
	fs.mkdirSync(SHOTS, { recursive: true });
	try {
	for (const locale of LANGS)
		for (const colorScheme of SCHEMES) {
			// bypassCSP: the pages' CSP (rightly) forbids the script axe-core is; the page itself is unchanged.
			const context = await engine.newContext({ locale, colorScheme, bypassCSP: true });
			const page = await context.newPage();
			const t = {
				pw: PW,
				links,
				goto: (p) => page.goto(p.startsWith('http') ? p : `${s.base}${p}`),
				click: (sel) => Promise.all([page.waitForNavigation(), page.click(sel)]),
				authorize: (client) => `${s.base}/authorize?${new URLSearchParams({ client_id: client, redirect_uri: CB, response_type: 'code', scope: 'openid email', state: 'st', code_challenge: CHALLENGE, code_challenge_method: 'S256' })}`,
				acct: `acct-${locale.slice(0, 2)}-${colorScheme}`,
				say: (key) => catalogs[locale.slice(0, 2)][key] ?? catalogs.en[key],
				signOut: () => context.clearCookies(),
				async accountSignIn() {
					await page.goto(`${s.base}/account`);
					await page.fill('#username', t.acct);
					await page.fill('#password', PW);
					await t.click('button[type=submit]');
				},
				async confirmApp() {
					await page.fill('#code', totp(await page.textContent('.secret')));
					await t.click('button[type=submit]');
				},
				async signIn(client, user, pw) {
					await page.goto(t.authorize(client));
					await page.fill('#username', user);
					await page.fill('#password', pw);
					await t.click('button[type=submit]');
				},
			};
			const lang = locale.slice(0, 2);
			for (const [name, open] of PAGES) {
				const where = `${name} (${lang}, ${colorScheme})`;
				await open(t);
				const focus = await page.evaluate(() => document.activeElement?.id); /* before the checks move it */
				await page.screenshot({ path: path.join(SHOTS, `${name}-${lang}-${colorScheme}.png`), fullPage: true });
				await page.addScriptTag({ content: axeSource });
				const result = await page.evaluate((tags) => globalThis.axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] }), WCAG);
				const violations = result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
				report(violations.length === 0, `${where}: no WCAG 2.1 A/AA violation (axe-core ${result.testEngine.version})`, violations);
				report((await page.getAttribute('html', 'lang')) === lang, `${where}: <html lang="${lang}">`, await page.getAttribute('html', 'lang'));
				const fields = await page.evaluate(fieldContrast);
				const weak = fields.filter((f) => f.border < 3 || f.outline === 0);
				report(weak.length === 0, `${where}: field borders and the focus ring 3:1 against the card, the ring visible`, weak.length ? weak : fields.map((f) => `${f.id} ${f.border.toFixed(2)}`).join(', '));
				if (name === 'login-error') {
					const before = page.url();
					let posted = false;
					page.on('request', (r) => (posted ||= r.method() === 'POST'));
					await page.reload();
					report(focus === 'password' && /\/login\?error=wrong$/.test(before) && !posted && (await page.textContent('.alert')).trim().length > 0,
						`${where}: the focus on the password field; a reload shows the message again and posts nothing`, `${focus} ${before} posted=${posted}`);
				}
			}
			await context.close();
		}
	} finally {
		await engine.close();
	}
	const shots = PAGES.flatMap(([name]) => LANGS.flatMap((l) => SCHEMES.map((c) => `${name}-${l.slice(0, 2)}-${c}.png`)));
	report(shots.every((f) => fs.existsSync(path.join(SHOTS, f))), `a screenshot of every page in every language and scheme in ${path.relative(repo, SHOTS)}/`, shots.filter((f) => !fs.existsSync(path.join(SHOTS, f))));
	await smtp.stop();
	fs.rmSync(tmp, { recursive: true, force: true });
});
