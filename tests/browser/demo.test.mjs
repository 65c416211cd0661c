// The demo app (www/demo/, served by the issuer at /demo/) end to end: a real
// server on a loopback port with a real SQLite file in a temporary folder, the
// `demo` client and a user added with the CLI, then headless Chromium (through
// playwright-core) signs in through the real login page (a wrong password
// first), lands back on /demo/ with the ID token verified in the page by the
// WebAssembly verifier, refreshes (the refresh token rotates), signs out, and
// signs in again (the password is asked again). Before the browser: the file
// serving over plain HTTP (MIME types, headers, traversal attempts, symlinks
// out of the folder, start-up without www/). Screenshots go to build/screenshots/.
import fs from 'node:fs';
import path from 'node:path';
import { BIN, repo, reporter, sanitizerReport, startServer, tempDir } from '../lib.mjs';
import { addClient, cliTranscript, hreq, run } from '../issuer/lib.mjs';

const { report, skip, finish } = reporter('demo');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const SHOTS = path.join(repo, 'build', 'screenshots');
// Fast argon2id for tests, in the CLI and in the server alike.
const FAST = { PASSWORD_ARGON2_TEST: '1', PASSWORD_ARGON2_M_KIB: '64', PASSWORD_ARGON2_T: '1' };
const USER = 'alice';
const PASSWORD = 'correct horse battery staple';
const WASM = path.join(repo, 'verifier-wasm', 'dist', 'verifier.wasm');

if (!fs.existsSync(BIN)) {
	report(false, `${BIN} is missing (run make)`);
	finish();
}
if (!fs.existsSync(WASM)) {
	report(false, 'verifier-wasm/dist/verifier.wasm is missing (run make wasm)');
	finish();
}

const dir = tempDir('idb-demo-');
const db = path.join(dir, 'identity.db');
const servers = [];
let browser = null;
const watchdog = setTimeout(() => {
	report(false, 'the run finished within 150 s');
	finish();
}, 150000);

async function addUser(username, password, email) {
	const r = await run(['user', 'add', '--db', db, '--username', username, '--email', email, '--password-stdin'], { env: FAST, input: `${password}\n` });
	if (r.code !== 0) throw new Error(`user add ${username}: exit ${r.code}: ${r.stderr}`);
}

/* ---------- file serving over plain HTTP ---------- */

async function serveChecks(base, metrics) {
	const types = {
		'/demo/': 'text/html',
		'/demo/index.html': 'text/html',
		'/demo/demo.js': 'text/javascript',
		'/demo/demo.css': 'text/css',
		'/demo/favicon.svg': 'image/svg+xml',
		'/favicon.ico': 'image/svg+xml', // asked for by every issuer page
		'/demo/verifier/index.js': 'text/javascript',
		'/demo/verifier/dist/verifier.wasm': 'application/wasm',
	};
	for (const [p, want] of Object.entries(types)) {
		const r = await hreq(base + p);
		report(r.status === 200 && String(r.headers['content-type']).startsWith(want) && r.headers['cache-control'] === 'no-cache' && r.headers['x-content-type-options'] === 'nosniff', `GET ${p}: 200 ${want}, no-cache, nosniff`, `${r.status} ${r.headers?.['content-type']} ${r.headers?.['cache-control']}`);
	}
	const page = await hreq(`${base}/demo/`);
	const csp = page.headers['content-security-policy'] ?? '';
	report(/default-src 'self'/.test(csp) && /script-src 'self' 'wasm-unsafe-eval'(;|$)/.test(csp) && /connect-src 'self'/.test(csp) && /frame-ancestors 'none'/.test(csp) && !csp.includes('unsafe-inline'), 'the page has a CSP header: self, wasm-unsafe-eval, connect-src self, frame-ancestors none, no unsafe-inline', csp);
	report(!/<script(?![^>]*\bsrc=)[^>]*>/i.test(page.text) && !/\sstyle=|<style/i.test(page.text) && /<html lang="en">/.test(page.text), 'the page has no inline script or style, and a lang', page.text.slice(0, 200));
	report(page.headers['referrer-policy'] === 'no-referrer' && page.headers['x-frame-options'] === 'DENY', 'the page sends Referrer-Policy no-referrer and X-Frame-Options DENY', JSON.stringify(page.headers));
	const js = await hreq(`${base}/demo/demo.js`);
	report(!js.headers['content-security-policy'], 'scripts are served without a CSP of their own');
	const wasm = await hreq(`${base}/demo/verifier/dist/verifier.wasm`);
	report(wasm.text.length > 1000 && Number(wasm.headers['content-length']) === fs.statSync(WASM).size, 'the WASM module is served whole, from verifier-wasm/dist/', `${wasm.headers['content-length']} vs ${fs.statSync(WASM).size}`);
	const redirect = await hreq(`${base}/demo`);
	report(redirect.status === 301 && redirect.headers.location === '/demo/', '/demo redirects to /demo/', `${redirect.status} ${redirect.headers?.location}`);
	const post = await hreq(`${base}/demo/`, { method: 'POST', body: 'x=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
	report(post.status === 405 && post.json?.error === 'method_not_allowed' && /GET/.test(post.headers.allow ?? ''), 'POST /demo/: 405 with Allow', `${post.status} ${post.text}`);
	const head = await hreq(`${base}/demo/`, { method: 'HEAD' });
	report(head.status === 200 && head.text === '' && String(head.headers['content-type']).startsWith('text/html'), 'HEAD /demo/: 200, headers only', `${head.status}`);

	// Never a byte from outside the folders: these are all the same JSON 404.
	const secrets = ['.DEFAULT_GOAL', '# identity-backend', 'root:x:0:0', '"name"', 'emcc', 'clang-format'];
	const attempts = [
		'/demo/../Makefile',
		'/demo/%2e%2e/Makefile',
		'/demo/%2E%2E/%2E%2E/etc/passwd',
		'/demo/..%2fMakefile',
		'/demo/%2e%2e%2fMakefile',
		'/demo/verifier/../../README.md',
		'/demo/verifier/..%2f..%2fREADME.md',
		'/demo/verifier/package.json',
		'/demo/verifier/README.md',
		'/demo/verifier/src/verifier.c',
		'/demo/verifier/dist/',
		'/demo/verifier/',
		'/demo//etc/passwd',
		'/demo/.%2e/Makefile',
		'/demo/%00index.html',
		'/demo/index.html%00.js',
		'/demo/index.html/',
		'/demo/.git/config',
		'/demo/..\\Makefile',
		'/demo/nope.html',
		'/demo/demo.js.bak',
		'/demo/../inspect/README.md',
	];
	for (const p of attempts) {
		const r = await hreq(base + p);
		const leaked = secrets.find((s) => r.text?.includes(s));
		report(r.status === 404 && r.json?.error === 'not_found' && !leaked, `GET ${p}: JSON 404, no file contents`, `${r.status} ${leaked ?? ''} ${String(r.text).slice(0, 120)}`);
	}
	const m = await hreq(`${metrics}/metrics`);
	report(/idb_http_requests_total\{route="other",code="200"\} \d+/.test(m.text) && /idb_http_requests_total\{route="other",code="404"\} \d+/.test(m.text), '/demo/ requests are counted in /metrics (route "other")', m.text?.match(/route="other"[^\n]*/g)?.join(' | '));
}

/* Symlinks out of the folder, a FIFO, and start-up without any www/. */
async function folderChecks() {
	const www = path.join(dir, 'www');
	fs.mkdirSync(path.join(www, 'demo'), { recursive: true });
	fs.writeFileSync(path.join(www, 'demo', 'index.html'), '<!doctype html><title>t</title><p>own copy');
	fs.writeFileSync(path.join(dir, 'outside.txt'), 'TOP SECRET outside the folder');
	fs.symlinkSync(path.join(dir, 'outside.txt'), path.join(www, 'demo', 'link.txt'));
	fs.symlinkSync(dir, path.join(www, 'demo', 'up'));
	const s = await startServer({ db, threads: 1, env: { ...FAST, WWW_DIR: www, VERIFIER_DIR: path.join(dir, 'nowhere') } });
	servers.push(s);
	const own = await hreq(`${s.base}/demo/`);
	report(own.status === 200 && own.text.includes('own copy'), 'WWW_DIR chooses the folder', own.text);
	for (const p of ['/demo/link.txt', '/demo/up/outside.txt']) {
		const r = await hreq(s.base + p);
		report(r.status === 404 && !r.text.includes('TOP SECRET'), `a symlink out of the folder is not followed: ${p}`, `${r.status} ${r.text}`);
	}
	const v = await hreq(`${s.base}/demo/verifier/index.js`);
	report(v.status === 404, 'VERIFIER_DIR that does not exist: the package is a 404', `${v.status}`);
	const stopped = await s.stop();
	report(/"level":"warn","msg":"no verifier-wasm\/ found/.test(stopped.stderr), 'a missing verifier package is one warning line at start-up', stopped.stderr.split('\n')[0]);
	servers.pop();

	const none = await startServer({ db, threads: 1, env: { ...FAST, WWW_DIR: path.join(dir, 'missing') } });
	servers.push(none);
	const r = await hreq(`${none.base}/demo/`);
	const ping = await hreq(`${none.base}/ping`);
	const out = await none.stop();
	servers.pop();
	const warns = out.stderr.split('\n').filter((l) => l.includes('"level":"warn"'));
	report(r.status === 404 && r.json?.error === 'not_found' && ping.text === 'OK' && warns.length === 1 && warns[0].includes('WWW_DIR'), 'without its folder the server still starts: /demo/ is a JSON 404, one warning line', `${r.status} ${warns.join(' | ')}`);
}

/* ---------- the browser ---------- */

async function browserRun(base) {
	const { chromium } = await import('playwright-core');
	browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
	const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
	const page = await context.newPage();
	const errors = [];
	page.on('console', (m) => {
		if (m.type() === 'error') errors.push(`console: ${m.text()} at ${m.location()?.url ?? '?'}`);
	});
	page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
	page.on('response', (r) => {
		if (r.status() >= 400) errors.push(`HTTP ${r.status()} ${r.request().method()} ${r.url()}`);
	});
	const stateIs = (s) => page.waitForSelector(`body[data-state="${s}"]`, { timeout: 15000 });
	const text = (sel) => page.textContent(sel).then((t) => (t ?? '').trim());

	await page.goto(`${base}/demo/`);
	await stateIs('signed-out');
	report(await page.isVisible('#signin'), 'the demo opens signed out, with a Sign in button');

	// A refused sign-in is shown plainly: access_denied coming back with the right state.
	await page.click('#signin');
	await page.waitForSelector('input[name="password"]');
	const pending = await page.evaluate(() => JSON.parse(sessionStorage.getItem('demo.pending')));
	await page.goto(`${base}/demo/?error=access_denied&error_description=${encodeURIComponent('the user cancelled')}&state=${pending.state}&iss=${encodeURIComponent(base)}`);
	await stateIs('signed-out');
	let msg = await text('#message');
	report(msg.includes('access_denied') && msg.includes('cancelled'), 'an access_denied answer is shown plainly', msg);
	report(new URL(page.url()).search === '', 'the answer’s parameters leave the address bar', page.url());
	await page.screenshot({ path: path.join(SHOTS, 'demo-error.png'), fullPage: true });
	await page.goto(`${base}/demo/?code=forged&state=not-ours&iss=${encodeURIComponent(base)}`);
	await stateIs('signed-out');
	msg = await text('#message');
	report(msg.includes('state_mismatch') || msg.includes('no_pending'), 'a code with a state this tab did not send is refused, never exchanged', msg);

	// Sign in: the real login page.
	const [nav] = await Promise.all([page.waitForNavigation(), page.click('#signin')]);
	await page.waitForSelector('input[name="password"]');
	const authUrl = new URL(nav.request().redirectedFrom()?.url() ?? nav.url());
	const q = Object.fromEntries(new URL(page.url()).pathname === '/authorize' ? new URL(page.url()).searchParams : authUrl.searchParams);
	report(q.client_id === 'demo' && q.code_challenge_method === 'S256' && /^[A-Za-z0-9_-]{43}$/.test(q.code_challenge ?? '') && q.redirect_uri === `${base}/demo/` && q.state && q.nonce && q.response_type === 'code' && !('code_verifier' in q), 'Sign in goes to /authorize with PKCE S256, state, nonce and the /demo/ redirect URI', JSON.stringify(q));
	const csp = (await nav.allHeaders())['content-security-policy'] ?? '';
	report(/frame-ancestors 'none'/.test(csp) && !/script-src[^;]*unsafe-inline/.test(csp), 'the login page sends a CSP (frame-ancestors none, no inline script)', csp);
	const form = await page.evaluate(() => {
		const f = document.querySelector('form');
		return {
			method: f?.getAttribute('method'),
			user: !!f?.querySelector('input[name="username"]'),
			pass: f?.querySelector('input[name="password"]')?.type,
			labels: [...document.querySelectorAll('label[for]')].map((l) => l.getAttribute('for')),
			inline: document.querySelectorAll('script:not([src])').length,
		};
	});
	report(form.method?.toLowerCase() === 'post' && form.user && form.pass === 'password' && form.labels.includes('username') && form.labels.includes('password') && form.inline === 0, 'the login page has a POST form with labelled username and password fields, no inline script', JSON.stringify(form));
	await page.screenshot({ path: path.join(SHOTS, 'demo-login.png'), fullPage: true });

	// A wrong password: the login page again with a message that names neither field.
	await page.fill('input[name="username"]', USER);
	await page.fill('input[name="password"]', 'not the password');
	await Promise.all([page.waitForNavigation(), page.click('button[type="submit"]')]);
	await page.waitForSelector('input[name="password"]');
	const wrong = await page.evaluate(() => document.querySelector('[role="alert"]')?.textContent?.trim() ?? '');
	report(/incorrect|wrong|invalid/i.test(wrong) && new URL(page.url()).pathname !== '/demo/', 'a wrong password shows the error message on the login page', `${page.url()} ${wrong}`);
	await page.screenshot({ path: path.join(SHOTS, 'demo-login-error.png'), fullPage: true });

	// The right one: back at /demo/, signed in, the ID token verified in the page.
	await page.fill('input[name="username"]', USER);
	await page.fill('input[name="password"]', PASSWORD);
	await page.click('button[type="submit"]');
	await page.waitForURL(`${base}/demo/**`, { timeout: 15000 });
	await page.waitForSelector('body[data-state^="signed-in"]', { timeout: 15000 });
	report((await page.getAttribute('body', 'data-state')) === 'signed-in', 'back at /demo/ signed in', `${await page.getAttribute('body', 'data-state')} ${await text('#message')}`);
	report(new URL(page.url()).search === '', 'the code left the address bar', page.url());
	report((await text('#who')) === USER && (await text('#username')) === USER && (await text('#email')).startsWith('alice@example.com'), 'shows who signed in (from /userinfo: username and email)', `${await text('#who')} / ${await text('#email')}`);
	const verdict = await page.getAttribute('#verdict', 'data-state');
	const vtitle = await text('#verdict-title');
	const vdetail = await text('#verdict-detail');
	report(verdict === 'ok' && /Verified by the WebAssembly verifier/.test(vtitle) && /alg RS256 · kid \S+/.test(vdetail), '"Verified by the WebAssembly verifier" with alg and kid', `${verdict} ${vtitle} ${vdetail}`);
	const claim = (k) => text(`tr[data-claim="${k}"] td`);
	const session = await page.evaluate(() => JSON.parse(sessionStorage.getItem('demo.session')));
	const users = await run(['user', 'list', '--db', db]);
	const alice = (users.json ?? []).find((u) => u.username === USER);
	const sub = await claim('sub');
	report(sub.length > 0 && (!alice || !alice.user_id || alice.user_id === sub) && (await text('#sub')) === sub, 'the verified claims show sub (the same as /userinfo)', `${sub} ${JSON.stringify(alice)}`);
	report((await claim('aud')) === 'demo' || (await claim('aud')) === '["demo"]', 'aud is demo', await claim('aud'));
	report((await claim('nonce')) === session.nonce && session.nonce.length >= 20, 'the nonce is the one the page sent', `${await claim('nonce')} vs ${session.nonce}`);
	report((await claim('iss')) === base, 'iss is the issuer', await claim('iss'));
	const checks = await text('#checks');
	report(/nonce matches/.test(checks) && /at_hash matches/.test(checks) && /aud contains demo/.test(checks), 'the checks made are listed (nonce, at_hash, aud)', checks);
	await page.screenshot({ path: path.join(SHOTS, 'demo-signed-in.png'), fullPage: true });

	// Refresh: the refresh token rotates.
	const rtBefore = session.tokens.refresh_token;
	const fpBefore = await text('#rt-fp');
	await page.click('#refresh');
	await page.waitForSelector('#rotation:not([hidden])', { timeout: 15000 });
	const after = await page.evaluate(() => JSON.parse(sessionStorage.getItem('demo.session')));
	const fpAfter = await text('#rt-fp');
	report(typeof rtBefore === 'string' && typeof after.tokens.refresh_token === 'string' && after.tokens.refresh_token !== rtBefore && fpAfter !== fpBefore && (await page.getAttribute('#rotation', 'data-rotated')) === 'true', 'Refresh: a new refresh token, different from the old one, shown as rotated', `${fpBefore} → ${fpAfter}; ${await text('#rotation')} ${await text('#message')}`);
	report((await page.getAttribute('#verdict', 'data-state')) === 'ok' && (await page.getAttribute('body', 'data-state')) === 'signed-in', 'after the refresh the ID token is still verified', await text('#verdict'));
	const refreshFp = fpAfter;
	report(!(await page.content()).includes(after.tokens.refresh_token), 'the page never displays a refresh token, only its fingerprint', refreshFp);

	// The signed-in page on a phone-sized viewport: nothing wider than the screen.
	await page.setViewportSize({ width: 390, height: 844 });
	const wide = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
	report(wide <= 0, 'phone width, signed in: no horizontal scrolling', `${wide}px`);
	await page.screenshot({ path: path.join(SHOTS, 'demo-signed-in-phone.png'), fullPage: true });
	await page.setViewportSize({ width: 1100, height: 900 });

	// Sign out: through the end-session endpoint and back to /demo/.
	await page.click('#signout');
	await page.waitForURL(`${base}/demo/**`, { timeout: 15000 });
	await stateIs('signed-out');
	msg = await text('#message');
	report(/signed out/i.test(msg) && (await page.evaluate(() => sessionStorage.getItem('demo.session'))) === null, 'Sign out: back at /demo/, signed out, tokens gone', msg);
	await page.screenshot({ path: path.join(SHOTS, 'demo-signed-out.png'), fullPage: true });

	// Signing in again asks for the password: the session at the issuer has ended.
	await page.click('#signin');
	const again = await Promise.race([
		page.waitForSelector('input[name="password"]', { timeout: 15000 }).then(() => 'login page'),
		page.waitForSelector('body[data-state^="signed-in"]', { timeout: 15000 }).then(() => 'signed in without a password'),
	]);
	report(again === 'login page', 'a second sign-in after signing out asks for the password again', again);

	report(errors.length === 0, 'no console errors, page errors or CSP violations', errors.join(' | '));
	await context.close();

	// A phone: the page fits without sideways scrolling.
	const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
	const p2 = await phone.newPage();
	await p2.goto(`${base}/demo/`);
	await p2.waitForSelector('body[data-state="signed-out"]');
	const overflow = await p2.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
	report(overflow <= 0, 'phone viewport: no horizontal scrolling', `${overflow}px`);
	await p2.screenshot({ path: path.join(SHOTS, 'demo-phone.png'), fullPage: true });
	await phone.close();
}

try {
	fs.mkdirSync(SHOTS, { recursive: true });
	const s = await startServer({ db, threads: 2, env: FAST });
	servers.push(s);
	const base = s.base;
	await addClient(db, 'demo', ['--public', '--grant', 'authorization_code', '--grant', 'refresh_token', '--scope', 'openid profile email offline_access', '--redirect-uri', `${base}/demo/`, '--post-logout-redirect-uri', `${base}/demo/`]);
	await addUser(USER, PASSWORD, 'alice@example.com');
	await serveChecks(base, s.metrics);
	if (!fs.existsSync(CHROMIUM)) skip(`no Chromium at ${CHROMIUM}`, 'scripts/setup.sh installs it');
	else await browserRun(base);
	const out = await s.stop();
	servers.pop();
	report(out.code === 0, 'the server stopped cleanly', `${out.code ?? out.signal}`);
	await folderChecks();
	const san = sanitizerReport(out.stderr) ?? sanitizerReport(cliTranscript.join('\n'));
	report(!san, 'no sanitizer report from the server or the CLI (SAN=1 builds)', san);
} catch (e) {
	report(false, 'the run finished', e.stack || e.message);
} finally {
	clearTimeout(watchdog);
	await browser?.close().catch(() => {});
	for (const s of servers) await s.stop().catch(() => {});
	fs.rmSync(dir, { recursive: true, force: true });
}
finish();
