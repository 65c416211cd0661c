// The token inspector (www/inspect/) in a real browser: a node:http static
// server serves the page with the verifier package mapped in from
// verifier-wasm/ (as README.md there says to serve it), plus JWKS documents on
// the same origin and on a second, cross-origin server. Chromium (through
// playwright-core) pastes tokens minted by jose and checks what the page shows:
// decoded claims, dates in UTC and local time, the live expiry countdown, the
// verdict for valid, tampered, expired and mis-issued tokens, JWKS fetched
// from URLs (and fetch failures), keyboard use, labels, the strict CSP, and no
// console errors. Screenshots go to build/screenshots/.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import * as jose from 'jose';
import { repo, reporter } from '../lib.mjs';

const PAGE_DIR = path.join(repo, 'www', 'inspect');
const PKG_DIR = path.join(repo, 'verifier-wasm');
const SHOTS = path.join(repo, 'build', 'screenshots');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const TZ = 'Asia/Kolkata'; // +05:30 all year: a fixed, non-UTC local time to check against

const { report, skip, finish } = reporter('inspector');

if (!fs.existsSync(path.join(PKG_DIR, 'dist', 'verifier.wasm'))) {
	report(false, 'verifier-wasm/dist/verifier.wasm is missing (run make wasm)');
	finish();
}
if (!fs.existsSync(CHROMIUM)) {
	skip(`no Chromium at ${CHROMIUM}`, 'scripts/setup.sh installs it');
	process.exit(0); // a skip, not a failure
}
const { chromium } = await import('playwright-core');

// ---------- keys and tokens ----------

const now = Math.floor(Date.now() / 1000);
const es = await jose.generateKeyPair('ES256', { extractable: true });
const rs = await jose.generateKeyPair('RS256', { extractable: true, modulusLength: 2048 });
const KID = 'inspector-es256';
const jwks = {
	keys: [
		{ ...(await jose.exportJWK(es.publicKey)), kid: KID, alg: 'ES256', use: 'sig' },
		{ ...(await jose.exportJWK(rs.publicKey)), kid: 'inspector-rs256', alg: 'RS256', use: 'sig' },
	],
};
const jwksText = JSON.stringify(jwks, null, 2);
const claims = {
	iss: 'https://issuer.example',
	aud: ['api', 'billing'],
	sub: 'alice',
	scope: 'openid profile email',
	email_verified: true,
	iat: now - 60,
	nbf: now - 60,
	auth_time: now - 300,
	exp: now + 290, // "expires in 4m 50s", give or take the start-up time
	jti: 'f3b0c2d4-0001',
};
const sign = (c, header = { alg: 'ES256', kid: KID, typ: 'JWT' }) => new jose.SignJWT(c).setProtectedHeader(header).sign(es.privateKey);
const good = await sign(claims);
const [h64, , s64] = good.split('.');
const tampered = `${h64}.${Buffer.from(JSON.stringify({ ...claims, sub: 'admin' })).toString('base64url')}.${s64}`;
const expired = await sign({ ...claims, iat: now - 4 * 3600, nbf: now - 4 * 3600, auth_time: now - 4 * 3600, exp: now - 3 * 3600 - 5 });
const noKid = await sign({ sub: 'bob', exp: now + 3600 }, { alg: 'ES256' });

const isoUtc = (t) => new Date(t * 1000).toISOString().replace('.000Z', 'Z');
const isoKolkata = (t) => new Date((t + 5.5 * 3600) * 1000).toISOString().replace('.000Z', '+05:30');

// ---------- servers ----------

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml', '.png': 'image/png', '.json': 'application/json', '.wasm': 'application/wasm', '.md': 'text/markdown; charset=utf-8' };
const requests = []; // { server, method, url }

function sendFile(res, file) {
	fs.readFile(file, (err, data) => {
		if (err) {
			res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
			return;
		}
		res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' }).end(data);
	});
}

function listen(handler) {
	return new Promise((resolve, reject) => {
		const server = http.createServer(handler);
		server.on('error', reject);
		server.listen(0, '127.0.0.1', () => resolve(server));
	});
}

const site = await listen((req, res) => {
	requests.push({ server: 'site', method: req.method, url: req.url });
	const url = new URL(req.url, 'http://x');
	const p = decodeURIComponent(url.pathname);
	if (req.method !== 'GET' && req.method !== 'HEAD') return res.writeHead(405).end();
	// The package, mapped from verifier-wasm/ without copying (see www/inspect/README.md).
	if (p === '/verifier/index.js') return sendFile(res, path.join(PKG_DIR, 'index.js'));
	if (p === '/verifier/dist/verifier.wasm') return sendFile(res, path.join(PKG_DIR, 'dist', 'verifier.wasm'));
	if (p === '/jwks.json') return res.writeHead(200, { 'content-type': 'application/json' }).end(jwksText);
	if (p === '/not-json') return res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>Login</title><p>Please sign in');
	if (p === '/missing.json') return res.writeHead(404, { 'content-type': 'text/plain' }).end('no such key set');
	const file = path.resolve(PAGE_DIR, `.${p.endsWith('/') ? `${p}index.html` : p}`);
	if (!file.startsWith(PAGE_DIR + path.sep)) return res.writeHead(403).end();
	return sendFile(res, file);
});
const other = await listen((req, res) => {
	requests.push({ server: 'other', method: req.method, url: req.url });
	if (req.url === '/jwks.json') return res.writeHead(200, { 'content-type': 'application/json', 'access-control-allow-origin': '*' }).end(jwksText);
	if (req.url === '/no-cors.json') return res.writeHead(200, { 'content-type': 'application/json' }).end(jwksText);
	return res.writeHead(404, { 'access-control-allow-origin': '*' }).end();
});
const base = `http://127.0.0.1:${site.address().port}`;
const otherBase = `http://127.0.0.1:${other.address().port}`;

// Failures the tests provoke on purpose; Chromium logs them as console errors.
const expectedErrors = [/\/missing\.json/, /\/no-cors\.json/];

// ---------- the browser ----------

let browser;
const watchdog = setTimeout(() => {
	report(false, 'timed out after 120 s');
	browser?.close().catch(() => {});
	finish();
}, 120000);

async function openPage(contextOptions) {
	const context = await browser.newContext({ timezoneId: TZ, locale: 'en-GB', ...contextOptions });
	const page = await context.newPage();
	const errors = [];
	page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
	page.on('console', (m) => {
		if (m.type() !== 'error') return;
		const where = `${m.text()} ${m.location()?.url ?? ''}`;
		if (!expectedErrors.some((re) => re.test(where))) errors.push(`console error: ${where}`);
	});
	await page.addInitScript(() => {
		window.addEventListener('securitypolicyviolation', (e) => console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`));
	});
	await page.goto(`${base}/`);
	await page.waitForSelector('#engine[data-state="ready"], #engine[data-state="error"]', { timeout: 20000 });
	return { page, context, errors };
}

const text = (page, sel) => page.locator(sel).innerText();

/** Press Verify and wait for a settled verdict; returns { state, text }. */
async function verify(page, how = 'click') {
	if (how === 'click') await page.click('#verify');
	else await page.keyboard.press(how);
	await page.waitForSelector('#verdict:is([data-state="ok"], [data-state="fail"], [data-state="warn"])', { timeout: 15000 });
	return { state: await page.getAttribute('#verdict', 'data-state'), text: await text(page, '#verdict') };
}

async function useSource(page, which) {
	await page.click(`label[for="source-${which}"]`);
}

try {
	fs.mkdirSync(SHOTS, { recursive: true });
	browser = await chromium.launch({
		executablePath: CHROMIUM,
		headless: true,
		args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
	});

	// ----- static properties of the page -----
	const html = fs.readFileSync(path.join(PAGE_DIR, 'index.html'), 'utf8');
	const csp = /<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]+)"/i.exec(html)?.[1] ?? '';
	const directives = Object.fromEntries(csp.split(';').map((d) => d.trim().split(/\s+/)).filter((d) => d[0]).map(([k, ...v]) => [k, v.join(' ')]));
	report(
		directives['default-src'] === "'self'" && directives['script-src'] === "'self' 'wasm-unsafe-eval'" && directives['style-src'] === "'self'" && directives['connect-src'] === '*',
		'page declares the strict CSP (self scripts and styles, wasm-unsafe-eval, connect-src *)',
		csp,
	);
	report(!/<script(?![^>]*\bsrc=)[^>]*>/i.test(html) && !/\son[a-z]+\s*=/i.test(html) && !/\sstyle\s*=/i.test(html), 'no inline scripts, event handlers or style attributes');
	report(/^const VERIFIER_URL = '\.\/verifier\/index\.js';$/m.test(fs.readFileSync(path.join(PAGE_DIR, 'inspect.js'), 'utf8')), 'the package location is one constant in inspect.js');

	// ----- desktop -----
	const { page, context, errors } = await openPage({ viewport: { width: 1280, height: 900 } });
	report((await page.getAttribute('#engine', 'data-state')) === 'ready', 'the WASM verifier loads under the CSP', await text(page, '#engine'));

	const a11y = await page.evaluate(() => {
		const unlabeled = [...document.querySelectorAll('input, textarea, select')].filter((e) => !e.labels?.length && !e.getAttribute('aria-label')).map((e) => e.id || e.name);
		const unnamedButtons = [...document.querySelectorAll('button')].filter((b) => !b.textContent.trim() && !b.getAttribute('aria-label')).length;
		const v = document.getElementById('verdict');
		return { unlabeled, unnamedButtons, live: v.getAttribute('aria-live'), role: v.getAttribute('role'), lang: document.documentElement.lang };
	});
	report(a11y.unlabeled.length === 0 && a11y.unnamedButtons === 0 && a11y.live === 'polite' && a11y.role === 'status' && a11y.lang === 'en', 'every field is labelled; the verdict is an aria-live status', JSON.stringify(a11y));

	// Decoding.
	await page.fill('#token', `Bearer ${good}`);
	await page.waitForSelector('#decoded:not([hidden])');
	const payloadText = await text(page, '#payload-json');
	const headerText = await text(page, '#header-json');
	report(payloadText.includes('"sub": "alice"') && payloadText.includes('"email_verified": true') && payloadText.includes('"billing"'), 'claims decoded as pretty JSON', payloadText);
	report(headerText.includes('"alg": "ES256"') && headerText.includes(`"kid": "${KID}"`), 'header decoded', headerText);
	const times = await text(page, '#times');
	const dateOk = ['exp', 'iat', 'nbf', 'auth_time'].every((c) => times.includes(isoUtc(claims[c])) && times.includes(isoKolkata(claims[c])));
	report(dateOk, 'exp, iat, nbf and auth_time shown as ISO dates in UTC and in local time', times);
	report(/Asia\/(Kolkata|Calcutta)/.test(times), 'the local time zone is named', times);
	const life1 = await text(page, '#lifetime');
	report(/^expires in [34]m \d{1,2}s$/.test(life1), 'expiry shown as a countdown ("expires in 4m 12s")', life1);
	await page.waitForTimeout(2100);
	const life2 = await text(page, '#lifetime');
	report(life2 !== life1 && /^expires in [34]m \d{1,2}s$/.test(life2), 'the countdown is live', `${life1} -> ${life2}`);
	report((await text(page, '#token-status')).includes('signature 86'), 'token parts summarised', await text(page, '#token-status'));

	// Verification against a pasted JWKS.
	await page.fill('#jwks', jwksText);
	report((await text(page, '#keys-status')).includes('2 keys') && (await text(page, '#keys-status')).includes(KID), 'pasted key set summarised', await text(page, '#keys-status'));
	let v = await verify(page);
	report(v.state === 'ok' && v.text.includes('Signature verified') && v.text.includes(KID), 'valid token: "Signature verified" with the key\'s kid', v.text);

	await page.fill('#token', tampered);
	report((await page.getAttribute('#verdict', 'data-state')) === 'stale', 'editing the token withdraws the previous verdict');
	v = await verify(page);
	report(v.state === 'fail' && v.text.includes('ERR_JWS_SIGNATURE_VERIFICATION_FAILED'), 'tampered token: ERR_JWS_SIGNATURE_VERIFICATION_FAILED', v.text);

	await page.fill('#token', expired);
	const lifeExpired = await text(page, '#lifetime');
	report(lifeExpired === 'expired 3h ago', 'expired token: "expired 3h ago"', lifeExpired);
	v = await verify(page);
	report(v.state === 'fail' && v.text.includes('ERR_JWT_EXPIRED') && /Claim:\s*exp/.test(v.text), 'expired token: ERR_JWT_EXPIRED, claim exp', v.text);
	await page.screenshot({ path: path.join(SHOTS, 'inspector-failed.png'), fullPage: true });

	// Claim checks (keyboard: summary opens with Enter).
	await page.fill('#token', good);
	await page.focus('#checks summary');
	await page.keyboard.press('Enter');
	await page.fill('#issuer', 'https://other.example');
	v = await verify(page);
	report(v.state === 'fail' && v.text.includes('ERR_JWT_CLAIM_VALIDATION_FAILED') && /Claim:\s*iss/.test(v.text), 'wrong issuer: ERR_JWT_CLAIM_VALIDATION_FAILED, claim iss', v.text);
	await page.fill('#issuer', 'https://issuer.example');
	await page.fill('#audience', 'billing');
	await page.fill('#algorithms', 'RS256');
	v = await verify(page);
	report(v.state === 'fail' && v.text.includes('ERR_JOSE_ALG_NOT_ALLOWED'), 'algorithm not in the allowlist: ERR_JOSE_ALG_NOT_ALLOWED', v.text);
	await page.fill('#algorithms', 'ES256, FOO');
	v = await verify(page);
	report(v.state === 'warn' && v.text.includes('FOO'), 'an unknown algorithm name is reported before verifying', v.text);
	await page.fill('#algorithms', 'es256');
	await page.focus('#audience');
	v = await verify(page, 'Enter');
	report(v.state === 'ok' && v.text.includes('iss = https://issuer.example') && v.text.includes('aud ∋ billing'), 'Enter in a field verifies; issuer, audience and algorithm checks pass', v.text);
	await page.fill('#audience', 'nobody');
	await page.focus('#token');
	v = await verify(page, 'Control+Enter');
	report(v.state === 'fail' && /Claim:\s*aud/.test(v.text), 'Ctrl+Enter in the token verifies; wrong audience names the claim aud', v.text);
	await page.fill('#audience', '');
	await page.fill('#issuer', '');
	await page.fill('#algorithms', '');

	await page.fill('#token', noKid);
	v = await verify(page);
	report(v.state === 'ok' && v.text.includes(KID) && v.text.includes('key #1') && v.text.includes('names no kid'), 'token without a kid: the verdict says which key verified it', v.text);

	await page.fill('#token', 'not-a-token');
	report((await text(page, '#token-status')).includes('ERR_JWS_INVALID') && (await page.isHidden('#decoded')), 'garbage input: ERR_JWS_INVALID, nothing decoded', await text(page, '#token-status'));
	await page.fill('#jwks', '{"keys": [');
	report((await text(page, '#keys-status')).startsWith('Not valid JSON'), 'malformed JWKS JSON is reported as you type', await text(page, '#keys-status'));
	await page.fill('#token', good);
	v = await verify(page);
	report(v.state === 'warn' && v.text.includes('not valid JSON'), 'verify with malformed JWKS: a clear input error', v.text);
	await page.fill('#jwks', jwksText);

	// JWKS from URLs.
	await useSource(page, 'url');
	report(await page.isVisible('#jwks-url'), 'choosing "Fetch from a URL" shows the URL field');
	await page.fill('#jwks-url', `${base}/jwks.json`);
	v = await verify(page);
	report(v.state === 'ok' && v.text.includes('Signature verified') && v.text.includes(KID) && v.text.includes(`${base}/jwks.json`), 'JWKS fetched from a same-origin URL: verified', v.text);
	report((await text(page, '#keys-status')).includes('Fetched 2 keys'), 'the fetched key set is summarised', await text(page, '#keys-status'));
	await page.fill('#jwks-url', `${otherBase}/jwks.json`);
	v = await verify(page);
	report(v.state === 'ok' && v.text.includes(KID), 'JWKS fetched cross-origin (CORS, connect-src *): verified', v.text);
	for (const [url, want, name] of [
		[`${base}/missing.json`, 'HTTP 404', 'HTTP 404'],
		[`${base}/not-json`, 'not JSON', 'a non-JSON response'],
		[`${otherBase}/no-cors.json`, 'CORS', 'a server without CORS headers'],
		[`http://127.0.0.1:${other.address().port}:bad`, 'not a URL', 'a malformed URL'],
	]) {
		await page.fill('#jwks-url', url);
		v = await verify(page);
		report(v.state === 'fail' && v.text.includes('Could not fetch the key set') && v.text.includes(want), `JWKS fetch failure shown clearly: ${name}`, v.text);
	}

	// The screenshot: a verified token, keys pasted, claim checks filled.
	await useSource(page, 'paste');
	await page.fill('#issuer', 'https://issuer.example');
	await page.fill('#audience', 'api');
	await page.fill('#algorithms', 'ES256');
	v = await verify(page);
	report(v.state === 'ok', 'verified again after switching back to the pasted key set', v.text);
	await page.screenshot({ path: path.join(SHOTS, 'inspector.png'), fullPage: true });

	// Nothing the user pasted left the page.
	const sig = good.split('.')[2];
	const leaks = requests.filter((r) => r.method !== 'GET' || r.url.includes(sig) || r.url.includes(good.split('.')[1].slice(0, 20)));
	report(leaks.length === 0, 'the page sends no token anywhere (GET requests only, none carrying it)', JSON.stringify(leaks));
	report(errors.length === 0, 'no console errors, page errors or CSP violations (desktop)', errors.join(' | '));
	await context.close();

	// ----- phone -----
	const phone = await openPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
	await phone.page.fill('#token', good);
	await phone.page.fill('#jwks', jwksText);
	v = await verify(phone.page);
	report(v.state === 'ok' && v.text.includes(KID), 'phone viewport: verified', v.text);
	const overflow = await phone.page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
	report(overflow <= 0, 'phone viewport: no horizontal scrolling', `${overflow}px too wide`);
	await phone.page.screenshot({ path: path.join(SHOTS, 'inspector-phone.png'), fullPage: true });
	report(phone.errors.length === 0, 'no console errors, page errors or CSP violations (phone)', phone.errors.join(' | '));
	await phone.context.close();
} catch (e) {
	report(false, 'the browser run finished', e.stack || e.message);
} finally {
	clearTimeout(watchdog);
	await browser?.close().catch(() => {});
	site.close();
	other.close();
	site.closeAllConnections?.();
	other.closeAllConnections?.();
}
finish();
