// The WASM package in headless Chromium (Debian's, through playwright-core), as
// users get it: `npm pack`, installed into a temp folder that a tiny static
// server on 127.0.0.1 serves. Two pages run the shared suite from an external
// module script (runtimes/browser-main.js) that imports the package's index.js,
// which fetches dist/verifier.wasm relative to itself:
//   /index.html  no CSP, with an import map for the bare package name;
//   /csp.html    Content-Security-Policy: default-src 'self'; script-src 'self' 'wasm-unsafe-eval'.
// The suite runs in 'auto' and 'wasm' with verify, and with verifyAsync (in 'auto'
// its arithmetic is WebCrypto's). Then /corpus.html replays the attack corpus of
// tests/interop/attacks.test.mjs (recorded through the package in Node by
// runtimes/cli-emulator.mjs) with verify in 'wasm' and verifyAsync in 'auto'
// (runtimes/browser-corpus.js): the verdicts must be equal token by token.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { createRequire } from 'node:module';
import { repo, reporter } from '../lib.mjs';
import { atExit, fixturesAndExpectedNames, packAndInstall, relay, suitePath, watchdog } from './runtimes/common.mjs';

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'";
const CSP_NO_WASM = "default-src 'self'; script-src 'self'";
const suite = reporter('wasm/browser');
const { report } = suite;
watchdog(suite, 300);
const t0 = Date.now();

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
	'.json': 'application/json', '.wasm': 'application/wasm', '.cjs': 'text/javascript; charset=utf-8', '.ts': 'text/plain', '.md': 'text/plain' };

/** A static file server for `root` on a random loopback port; records the paths served. */
async function serve(root) {
	const served = [];
	const server = http.createServer((req, res) => {
		const url = new URL(req.url, 'http://x');
		const file = path.resolve(root, `.${decodeURIComponent(url.pathname)}`);
		let stat;
		try {
			stat = file.startsWith(root + path.sep) && fs.statSync(file);
		} catch {}
		if (req.method !== 'GET' || !stat || !stat.isFile()) {
			res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
			return;
		}
		served.push(url.pathname);
		const headers = { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' };
		if (url.pathname === '/csp.html') headers['content-security-policy'] = CSP;
		if (url.pathname === '/nowasm.html') headers['content-security-policy'] = CSP_NO_WASM;
		res.writeHead(200, headers);
		fs.createReadStream(file).pipe(res);
	});
	await new Promise((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
	atExit(() => server.closeAllConnections?.() ?? server.close());
	return { server, served, origin: `http://127.0.0.1:${server.address().port}` };
}

/** The attack corpus's verify calls, answered by the installed package in wasm mode, into file. */
function recordCorpus(pkgDir, file) {
	const emulator = new URL('./runtimes/cli-emulator.mjs', import.meta.url).pathname;
	const r = spawnSync(process.execPath, ['--import', emulator, path.join(repo, 'tests', 'interop', 'attacks.test.mjs')], {
		env: { ...process.env, IDB_EMULATE_CRYPTO: 'wasm', IDB_PACKAGE_ENTRY: path.join(pkgDir, 'index.js'), IDB_EMULATE_RECORD: file },
		encoding: 'utf8',
		timeout: 120000,
	});
	const n = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).length : 0;
	report(r.status === 0 && n > 1000, `the attack corpus recorded through the package (${n} verify calls)`, `exit ${r.status}; ${(r.stderr || '').slice(-400)}`);
}

/** /corpus.html: verify in 'wasm' and verifyAsync in 'auto' give the recorded verdict on every call. */
async function replayCorpus(browser, origin) {
	const page = await browser.newPage();
	let r;
	try {
		await page.goto(`${origin}/corpus.html`, { timeout: 15000 });
		await page.waitForFunction(() => window.__corpus && (window.__corpus.done || window.__corpus.fatal), null, { timeout: 90000 });
		r = await page.evaluate(() => window.__corpus);
	} catch (e) {
		r = { fatal: e.message, differ: [] };
	}
	report(r.done && r.total > 1000 && r.differ.length === 0,
		`attack corpus in Chromium: verifyAsync (WebCrypto) and verify (wasm) give the recorded verdict on all ${r.total} calls`, r.fatal ?? r.differ.slice(0, 5).join('; '));
	// Most of the corpus is refused before any arithmetic; the rest must reach WebCrypto, not fall back.
	report(r.webcrypto > 100 && r.module === 0, `attack corpus in Chromium: WebCrypto answered ${r.webcrypto} of verifyAsync's signature checks (the module ${r.module}): ${JSON.stringify(r.algs)}`);
	await page.close();
}

let browser;
try {
	if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found (apt-get install chromium)`);
	const { chromium } = createRequire(path.join(repo, 'tests', 'package.json'))('playwright-core');
	const { tmp, pkgDir } = packAndInstall('browser');
	// Browsers have no host crypto: 'auto' is the full module's wolfCrypt as 'wasm' is.
	// verifyAsync in 'auto' is WebCrypto's arithmetic; in 'wasm' it stays the module's.
	const opts = { modes: ['auto', 'wasm', 'auto+async', 'wasm+async'], expectCrypto: { auto: 'wasm', wasm: 'wasm', 'auto+async': 'webcrypto', 'wasm+async': 'wasm' } };
	const { fixtures, names } = await fixturesAndExpectedNames(pkgDir, opts);
	fs.writeFileSync(path.join(tmp, 'fixtures.json'), JSON.stringify({ ...fixtures, opts }));
	fs.copyFileSync(suitePath, path.join(tmp, 'suite.mjs'));
	fs.copyFileSync(new URL('./runtimes/browser-main.js', import.meta.url), path.join(tmp, 'main.js'));
	fs.copyFileSync(new URL('./runtimes/browser-nowasm.js', import.meta.url), path.join(tmp, 'nowasm.js'));
	const importMap = JSON.stringify({ imports: { '@identity-backend/verifier': '/node_modules/@identity-backend/verifier/index.js' } });
	fs.writeFileSync(path.join(tmp, 'index.html'),
		`<!doctype html><meta charset="utf-8"><title>verifier</title>\n<script type="importmap">${importMap}</script>\n<script type="module" src="/main.js"></script>\n`);
	fs.writeFileSync(path.join(tmp, 'csp.html'),
		'<!doctype html><meta charset="utf-8"><title>verifier under CSP</title>\n<script type="module" src="/main.js?csp=1"></script>\n');
	fs.writeFileSync(path.join(tmp, 'nowasm.html'), '<!doctype html><meta charset="utf-8"><title>control</title>\n<script type="module" src="/nowasm.js"></script>\n');
	fs.copyFileSync(new URL('./runtimes/browser-corpus.js', import.meta.url), path.join(tmp, 'corpus.js'));
	fs.writeFileSync(path.join(tmp, 'corpus.html'), '<!doctype html><meta charset="utf-8"><title>attack corpus</title>\n<script type="module" src="/corpus.js"></script>\n');
	recordCorpus(pkgDir, path.join(tmp, 'corpus.jsonl'));
	const { served, origin } = await serve(tmp);

	browser = await chromium.launch({
		executablePath: CHROMIUM,
		timeout: 30000,
		args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
	});
	report(true, `Chromium ${browser.version()} started`);

	for (const [page_, prefix] of [['/index.html', ''], ['/csp.html', 'csp: ']]) {
		const page = await browser.newPage();
		const log = [];
		page.on('console', (m) => log.push(`console.${m.type()}: ${m.text()}`));
		page.on('pageerror', (e) => log.push(`pageerror: ${e.stack || e.message}`));
		page.on('requestfailed', (r) => log.push(`requestfailed: ${r.url()} ${r.failure()?.errorText}`));
		const before = served.length;
		let state = null;
		try {
			const resp = await page.goto(origin + page_, { timeout: 15000 });
			if (page_ === '/csp.html') report(resp.headers()['content-security-policy'] === CSP, `${prefix}page served with the strict CSP header`);
			await page.waitForFunction(() => window.__suite && (window.__suite.done || window.__suite.fatal), null, { timeout: 30000 });
			state = await page.evaluate(() => window.__suite);
		} catch (e) {
			state = { results: (await page.evaluate(() => window.__suite?.results).catch(() => null)) ?? [], fatal: e.message };
		}
		report(state.done === true && !state.fatal, `${prefix}the page ran the suite to the end`, `${state.fatal ?? 'not done'}; ${log.join(' | ').slice(0, 1500)}`);
		const wasmFetched = served.slice(before).includes('/node_modules/@identity-backend/verifier/dist/verifier.wasm');
		report(wasmFetched, `${prefix}the page fetched dist/verifier.wasm from the installed package`, served.slice(before).join(', '));
		relay(report, state.results ?? [], names, prefix);
		await page.close();
	}

	await replayCorpus(browser, origin);

	// Control: the same package under a CSP without 'wasm-unsafe-eval' must be refused.
	{
		const page = await browser.newPage();
		let r;
		try {
			await page.goto(`${origin}/nowasm.html`, { timeout: 15000 });
			await page.waitForFunction(() => window.__nowasm, null, { timeout: 15000 });
			r = await page.evaluate(() => window.__nowasm);
		} catch (e) {
			r = { rejected: false, message: e.message };
		}
		report(r.rejected && /wasm-unsafe-eval|Content Security Policy|CompileError/i.test(r.message),
			"control: without 'wasm-unsafe-eval' the CSP refuses to compile the module", r.message);
		await page.close();
	}
} catch (e) {
	report(false, 'runner set-up', e && e.stack);
} finally {
	await browser?.close().catch(() => {});
}
console.log(`# wasm/browser: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
suite.finish();
