// test_qr.test.mjs: the TOTP enrolment QR code (issuer/mfa/qr.c) read back by
// independent parts: Chromium (through playwright-core) renders the SVG as a page
// shows it, and zbar (Debian's zbar-tools, `zbarimg`) decodes the picture. The SVG
// comes from the C unit test's binary (`test_qr --svg TEXT`, tests/unit/test_qr.c).
// A damaged SVG must not decode: the decoder is really reading what we drew.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { BIN, reporter, tempDir } from '../lib.mjs';

const { report, skip, finish } = reporter('qr');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const QR_BIN = path.join(path.dirname(path.dirname(BIN)), 'tests', 'test_qr');

const TEXTS = [
	['an otpauth URI', 'otpauth://totp/Example%20Co:alice%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Example%20Co&algorithm=SHA1&digits=6&period=30'],
	['a URI with UTF-8 percent-encoded and a 64-byte secret', 'otpauth://totp/B%C3%A4ckerei%20%26%20Co:bob%2B1?secret=' + 'GEZDGNBVGY3TQOJQ'.repeat(6) + 'GEZDGNBVGY3TQ&issuer=B%C3%A4ckerei%20%26%20Co&algorithm=SHA1&digits=6&period=30'],
	['raw UTF-8 bytes', 'Bäckerei – ключ – 鍵'],
	['a 1000-byte text (a large version)', 'x'.repeat(1000)],
];

function svgOf(text) {
	return execFileSync(QR_BIN, ['--svg', text], { encoding: 'utf8' });
}

function zbar(png) {
	const r = spawnSync('zbarimg', ['--raw', '-q', '-Sbinary', png]);
	return { code: r.status, text: r.stdout.toString('utf8').replace(/\n$/, '') };
}

async function main() {
	if (!fs.existsSync(QR_BIN)) return report(false, `${QR_BIN} is built (make)`);
	if (spawnSync('zbarimg', ['--version']).status !== 0) return report(false, 'zbarimg runs (Debian zbar-tools, scripts/setup.sh installs it)');
	if (!fs.existsSync(CHROMIUM)) return skip('Chromium renders the SVG', `${CHROMIUM} is missing`);
	const dir = tempDir('idb-qr-');
	const { chromium } = await import('playwright-core');
	const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
	try {
		const page = await browser.newPage();
		const render = async (svg, file) => {
			const side = Number(/viewBox="0 0 (\d+) /.exec(svg)?.[1] || 0) * 6;
			const src = 'data:image/svg+xml;base64,' + Buffer.from(svg).toString('base64');
			await page.setContent(`<body style="margin:0;background:#888"><img id="q" width="${side}" height="${side}" src="${src}"></body>`);
			await page.waitForFunction(() => document.getElementById('q').complete);
			await page.locator('#q').screenshot({ path: file });
		};
		for (const [name, text] of TEXTS) {
			const svg = svgOf(text);
			const png = path.join(dir, 'qr.png');
			await render(svg, png);
			const got = zbar(png);
			report(got.code === 0 && got.text === text, `${name}: Chromium's rendering decodes back (zbar) to the same text`,
				`zbarimg exit ${got.code}, read ${JSON.stringify(got.text.slice(0, 80))}`);
		}
		// Control: a third of the path's runs removed; the picture must no longer read as the text.
		const svg = svgOf(TEXTS[0][1]);
		const runs = svg.match(/M\d+ \d+h\d+v1H\d+z/g);
		const damaged = svg.replace(/d="[^"]*"/, `d="${runs.filter((_, i) => i % 3 !== 0).join('')}"`);
		const png = path.join(dir, 'damaged.png');
		await render(damaged, png);
		const got = zbar(png);
		report(got.text !== TEXTS[0][1], 'control: with a third of the modules gone, zbar does not read the text', got.text);
	} finally {
		await browser.close();
		fs.rmSync(dir, { recursive: true, force: true });
	}
}

main().then(finish, (e) => { report(false, 'the QR round trip ran', e.stack || String(e)); finish(); });
