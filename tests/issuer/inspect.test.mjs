// inspect.test.mjs: the token inspector served by the issuer at /inspect/, like the demo:
// its files and the verifier package mapped in place, the same refusals as /demo/, a CSP
// that lets it fetch a key set from any URL its user types; then, in Chromium, the page
// from the issuer's own origin verifies one of the issuer's tokens against its JWKS URL,
// says so in a whole sentence, and names an encrypted token (JWE) for what it is.
import fs from 'node:fs';
import path from 'node:path';
import { reporter, serverSet, tempDir } from '../lib.mjs';
import { addClient, basic, hreq } from './lib.mjs';

const { report, skip, finish } = reporter('issuer/inspect');
const { servers, serve, stop } = serverSet(report);
const tmp = tempDir('idb-inspect-');
const db = path.join(tmp, 'i.db');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const t0 = Date.now();
let browser;

try {
	const c = await addClient(db, 'svc', ['--audience', 'api']);
	const s = await serve({ db });
	let r = await hreq(`${s.base}/inspect`);
	report(r.status === 301 && r.headers.location === '/inspect/', 'GET /inspect: 301 to /inspect/', `${r.status} ${r.headers.location}`);
	r = await hreq(`${s.base}/inspect/`);
	const csp = r.headers['content-security-policy'] ?? '';
	report(r.status === 200 && /text\/html/.test(r.headers['content-type']) && r.text.includes('Token inspector'), 'GET /inspect/: the page', `${r.status} ${r.headers['content-type']}`);
	report(/connect-src 'self' https: http:/.test(csp) && /frame-ancestors 'none'/.test(csp) && /script-src 'self' 'wasm-unsafe-eval'/.test(csp), "its CSP: scripts from the issuer only, key sets fetched from any http(s) URL, no framing", csp);
	r = await hreq(`${s.base}/demo/`);
	report(/connect-src 'self';/.test(r.headers['content-security-policy'] ?? ''), "the demo's CSP still fetches from the issuer only");
	r = await hreq(`${s.base}/inspect/verifier/dist/verifier.wasm`);
	const wasm = fs.readFileSync(new URL('../../verifier-wasm/dist/verifier.wasm', import.meta.url));
	report(r.status === 200 && r.headers['content-type'] === 'application/wasm' && Number(r.headers['content-length']) === wasm.length, 'the verifier package is mapped in place at /inspect/verifier/', `${r.status} ${r.headers['content-type']}`);
	r = await hreq(`${s.base}/inspect/verifier/index.js`);
	report(r.status === 200 && /javascript/.test(r.headers['content-type']), '/inspect/verifier/index.js', r.status);
	for (const p of ['/inspect/verifier/package.json', '/inspect/.hidden', '/inspect/README.md', '/inspect/nope.html', '/inspect/%2e%2e/%2e%2e/etc/passwd', '/inspect/verifier/%2e%2e/package.json', '/inspect//inspect.js']) {
		r = await hreq(`${s.base}${p}`);
		report(r.status === 404 && r.json?.error === 'not_found', `GET ${p}: 404`, r.status);
	}
	r = await hreq(`${s.base}/inspect/inspect.js`, { method: 'HEAD' });
	report(r.status === 200, 'HEAD /inspect/inspect.js: 200', r.status);
	r = await hreq(`${s.base}/inspect/`, { method: 'POST', body: '' });
	report(r.status === 405 && r.headers.allow === 'GET, HEAD', 'POST /inspect/: 405, Allow: GET, HEAD', r.status);

	// The page from the issuer's origin, in Chromium.
	if (!fs.existsSync(CHROMIUM)) {
		skip(`no Chromium at ${CHROMIUM}`, 'scripts/setup.sh installs it');
	} else {
		const { chromium } = await import('playwright-core');
		browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
		const page = await browser.newPage();
		const errors = [];
		page.on('pageerror', (e) => errors.push(e.message));
		page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
		await page.goto(`${s.base}/inspect/`);
		await page.waitForSelector('#engine[data-state="ready"], #engine[data-state="error"]', { timeout: 20000 });
		report((await page.getAttribute('#engine', 'data-state')) === 'ready', 'the verifier loads from /inspect/verifier/', await page.locator('#engine').innerText());
		const tok = await hreq(`${s.base}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(c.client_id, c.client_secret) }, body: 'grant_type=client_credentials' });
		await page.fill('#token', tok.json.access_token);
		await page.click('label[for="source-url"]');
		await page.fill('#jwks-url', `${s.base}/.well-known/jwks.json`);
		await page.click('#verify');
		await page.waitForSelector('#verdict:is([data-state="ok"], [data-state="fail"], [data-state="warn"])', { timeout: 15000 });
		const verdict = await page.locator('#verdict').innerText();
		report((await page.getAttribute('#verdict', 'data-state')) === 'ok' && verdict.includes(`against the key set fetched from ${s.base}/.well-known/jwks.json.`), "a token of the issuer verifies against its JWKS URL, said in a whole sentence", verdict);
		const jwe = 'eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.OKOawDo13gRp2ojaHV7LFpZcgV7T6DVZKTyKOMTYUmKoTCVJRgckCL9kiMT03JGe.48V1_ALb6US04U3b.5eym8TW_c8SuK0ltJ3rpYIzOeDQz7TALvtu6UG9oMo4vpzs9tX_EFShS8iB7j6jiSdiwkIr3ajwQzaBtQD_A.XFBoMYUZodetZdvTiFvSkQ';
		await page.fill('#token', jwe);
		await page.waitForTimeout(300);
		const status = await page.locator('#token-status').innerText();
		report(/encrypted token \(JWE\): not supported/.test(status) && !/Invalid Compact JWS/i.test(status), 'a five-part token: "encrypted token (JWE): not supported"', status);
		report(errors.length === 0, 'no page error, console error or CSP violation', errors.join(' | '));
	}
	await stop(s, 'server');
} catch (e) {
	report(false, 'suite ran to the end', e.stack);
} finally {
	await browser?.close().catch(() => {});
	for (const s of servers) s.child.kill('SIGKILL');
	console.log(`# the suite ran in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}
finish();
