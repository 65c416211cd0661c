// docs.test.mjs: the API viewer at /docs/ in headless Chromium (playwright-core with
// Debian's chromium). A real issuer serves the page, Swagger UI's files (installed
// by scripts/setup.sh from npm into www/docs/node_modules/, never committed) and
// /openapi.json; the page runs under a strict CSP (scripts and styles from the
// issuer's origin only: no inline script, no eval, no other origin). Chromium must
// render every operation of the description with no console error, page error or
// CSP violation, and an operation opened shows its documented statuses. Over plain
// HTTP first: the redirect, the headers, the files served whole. Screenshots go to
// build/screenshots/docs-*.png.
import fs from 'node:fs';
import path from 'node:path';
import { repo, reporter, runSuite, serverSet, tempDir } from '../lib.mjs';
import { SPEC_PATH } from '../openapi.mjs';
import { hreq } from '../issuer/lib.mjs';

const R = reporter('docs');
const { report } = R;
const { servers, serve, stop } = serverSet(report);
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const SHOTS = path.join(repo, 'build', 'screenshots');
const VIEWER = path.join(repo, 'www', 'docs', 'node_modules', 'swagger-ui-dist');
const tmp = tempDir('idb-docs-');
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));
const spec = JSON.parse(fs.readFileSync(SPEC_PATH, 'utf8'));
const OPS = Object.values(spec.paths).reduce((n, item) => n + ['get', 'post', 'put', 'delete', 'options', 'patch'].filter((m) => item[m]).length, 0);

let browser = null;
await runSuite(R, servers, async () => {
	if (!fs.existsSync(path.join(VIEWER, 'swagger-ui-bundle.js'))) {
		report(false, 'Swagger UI is installed in www/docs/node_modules/ (scripts/setup.sh)', VIEWER);
		return;
	}
	const s = await serve({ db: path.join(tmp, 'd.db') });

	// Plain HTTP.
	let r = await hreq(`${s.base}/docs`);
	report(r.status === 301 && r.headers.location === 'docs/', 'GET /docs: 301 to docs/ (relative: right under an issuer path too)', `${r.status} ${r.headers.location}`);
	r = await hreq(`${s.base}/docs/`);
	const csp = r.headers['content-security-policy'] ?? '';
	const directives = Object.fromEntries(csp.split(/\s*;\s*/).filter(Boolean).map((d) => [d.split(' ')[0], d.split(' ').slice(1)]));
	report(r.status === 200 && /^text\/html/.test(r.headers['content-type']) && directives['default-src']?.join(' ') === "'none'" &&
		directives['script-src']?.join(' ') === "'self'" && directives['style-src']?.join(' ') === "'self'" && directives['frame-ancestors']?.join(' ') === "'none'" &&
		!/unsafe-inline|unsafe-eval|\*/.test(csp), "GET /docs/: the page, CSP default-src 'none', script-src and style-src 'self' only (no unsafe-inline, no eval), frame-ancestors 'none'", `${r.status} ${csp}`);
	report(!/<script(?![^>]*\bsrc=)[^>]*>/i.test(r.text) && !/\sstyle=|<style/i.test(r.text) && r.headers['x-frame-options'] === 'DENY' && r.headers['x-content-type-options'] === 'nosniff',
		'the page has no inline script or style; X-Frame-Options DENY, nosniff', r.text.slice(0, 300));
	for (const [f, type] of [['swagger-ui-bundle.js', 'text/javascript'], ['swagger-ui.css', 'text/css']]) {
		r = await hreq(`${s.base}/docs/${f}`);
		report(r.status === 200 && r.headers['content-type'].startsWith(type) && Number(r.headers['content-length']) === fs.statSync(path.join(VIEWER, f)).size && !r.headers['content-security-policy'],
			`GET /docs/${f}: 200 ${type}, swagger-ui-dist's file whole`, `${r.status} ${r.headers['content-type']} ${r.headers['content-length']}`);
	}
	r = await hreq(`${s.base}/docs/index.html`);
	report(r.status === 404 && r.json?.error === 'not_found', 'only the viewer\'s four files are served (/docs/index.html: 404)', r.status);
	r = await hreq(`${s.base}/docs/`, { method: 'POST', body: '' });
	report(r.status === 405, 'POST /docs/: 405', r.status);

	// Chromium.
	const { chromium } = await import('playwright-core');
	browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
	const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
	const errors = [], requests = [];
	page.on('console', (m) => {
		if (m.type() === 'error' || /Content.Security.Policy/i.test(m.text())) errors.push(`console: ${m.text()}`);
	});
	page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
	page.on('request', (q) => requests.push(q.url()));
	await page.goto(`${s.base}/docs/`, { waitUntil: 'load' });
	const rendered = await page.waitForFunction((n) => document.querySelectorAll('.opblock').length >= n, OPS, { timeout: 30000 }).then(() => true, () => false);
	const count = await page.locator('.opblock').count();
	const title = await page.locator('.info .title').first().textContent().catch(() => '');
	report(rendered && count === OPS && /identity-backend/.test(title ?? ''), `Swagger UI renders the description: "${(title ?? '').trim()}", ${count} of ${OPS} operations`, `${count} ${title}`);
	fs.mkdirSync(SHOTS, { recursive: true });
	await page.screenshot({ path: path.join(SHOTS, 'docs-overview.png') });
	const token = page.locator('#operations-oauth-token');
	await token.locator('.opblock-summary').click();
	const statuses = await token.locator('.responses-table tr.response').evaluateAll((rows) => rows.map((x) => x.getAttribute('data-code')));
	report(['200', '400', '401', '429', '503'].every((c) => statuses.includes(c)), `POST /token opened: its documented statuses (${statuses.join(', ')})`, statuses);
	await token.screenshot({ path: path.join(SHOTS, 'docs-token.png') });
	const foreign = requests.filter((u) => new URL(u).origin !== s.base && !u.startsWith('data:'));
	report(foreign.length === 0, 'the page asked nothing of any other origin', foreign);
	report(errors.length === 0, 'no console errors, page errors or CSP violations', errors.slice(0, 5));
	await browser.close();
	browser = null;
	await stop(s, 'server');
});
