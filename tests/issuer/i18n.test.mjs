// The pages and mails in the reader's language, and the brand folder, over HTTP
// against a real server (and a real SMTP server, tests/mail/smtpd.py):
// - the catalogs www/i18n/*.json: every message of en.json in every catalog, the
//   same {{placeholders}} and **emphasis** in each, plural forms complete;
// - the choice: /authorize's ui_locales (first supported tag wins; kept in a
//   cookie through the sign-in), then Accept-Language (q-values, de-CH is de),
//   then English; <html lang> and Content-Language on every page; discovery's
//   ui_locales_supported;
// - messages from C code (the wrong password, the 429 with its plural, the
//   "to continue to" lead) in the page's language, values still escaped;
// - mails in the language of the request that caused them (reset, register);
// - BRAND_DIR: brand.css and the logo served with their types, linked on every
//   page, the pages' CSP unchanged; a missing folder, a non-PNG logo.png, a too
//   big brand.css: serve refuses to start and says why, doctor says the same.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { freePort, launchServer, repo, reporter, runSuite, serverSet, tempDir } from '../lib.mjs';
import { haveSmtpd, header, startSmtpd } from '../mail/smtpd.mjs';
import { addClient, afterLogin, browser, run, until } from './lib.mjs';

const R = reporter('issuer/i18n');
const { report, skip } = R;
const { servers, serve } = serverSet(report);
const TINY = { PASSWORD_ARGON2_TEST: '1', PASSWORD_ARGON2_M_KIB: '64', PASSWORD_ARGON2_T: '1' };
const tmp = tempDir('idb-i18n-');
const db = path.join(tmp, 'i18n.db');
const CB = 'https://web.example/cb';
const CHALLENGE = crypto.createHash('sha256').update('v'.repeat(43)).digest('base64url');
const PW = `pw-${crypto.randomBytes(9).toString('base64url')}`;
const hidden = (html) => Object.fromEntries([...html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1], m[2]]));
const form = (o) => ({ method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(o).toString() });
const short = (x) => String(typeof x === 'string' ? x : JSON.stringify(x)).replace(/\s+/g, ' ').slice(0, 300);
const langOf = (html) => /<html lang="([^"]*)">/.exec(html)?.[1];
const alertOf = (html) => /role="alert">([^<]*)</.exec(html)?.[1] ?? null;
const unescape = (s) => s.replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

// ---- the catalogs ----
const CATALOGS = path.join(repo, 'www', 'i18n');
const catalogs = Object.fromEntries(fs.readdirSync(CATALOGS).filter((f) => f.endsWith('.json')).map((f) => [f.slice(0, -5), JSON.parse(fs.readFileSync(path.join(CATALOGS, f), 'utf8'))]));
const messages = (c) => Object.entries(c).filter(([k]) => !k.startsWith('_'));
const forms = (m) => (typeof m === 'string' ? { other: m } : m);
const shape = (text) => JSON.stringify({ names: [...text.matchAll(/\{\{(\w+)\}\}/g)].map((x) => x[1]).sort(), em: (text.match(/\*\*/g) ?? []).length });

function checkCatalogs() {
	const en = catalogs.en;
	report(en && Object.keys(catalogs).length >= 3 && catalogs.de && catalogs.fr, 'catalogs: en, de and fr in www/i18n/', Object.keys(catalogs));
	for (const [tag, c] of Object.entries(catalogs)) {
		const missing = messages(en).filter(([k]) => !(k in c)).map(([k]) => k);
		const extra = messages(c).filter(([k]) => !(k in en)).map(([k]) => k);
		report(missing.length === 0 && extra.length === 0, `catalogs: ${tag}.json has every message of en.json and no other`, { missing, extra });
		const bad = [];
		for (const [k, m] of messages(c)) {
			const want = forms(en[k] ?? '');
			const f = forms(m);
			if (typeof m !== 'string' && (typeof m !== 'object' || typeof f.other !== 'string' || Object.keys(f).some((x) => x !== 'one' && x !== 'other'))) bad.push(`${k}: not a message`);
			for (const [form, text] of Object.entries(f)) {
				if (typeof text !== 'string' || !text.trim()) bad.push(`${k}.${form}: empty`);
				else if (shape(text) !== shape(want.other)) bad.push(`${k}.${form}: ${shape(text)} vs English ${shape(want.other)}`);
				if ((text.match(/\*\*/g) ?? []).length % 2) bad.push(`${k}.${form}: unpaired **`);
				if (/<|>/.test(text)) bad.push(`${k}.${form}: markup`);
			}
			if (typeof en[k] === 'object' && typeof m === 'object' && (!f.one || !f.other)) bad.push(`${k}: a plural form missing`);
		}
		report(bad.length === 0, `catalogs: ${tag}.json keeps every placeholder and emphasis of English, plural forms complete, no markup`, bad.slice(0, 6));
		report(['n==1', 'n<=1'].includes(c._plural) && typeof c._name === 'string', `catalogs: ${tag}.json says its plural rule and its name`, `${c._plural} ${c._name}`);
	}
	// Every {{t:key}} of the templates (pages and mails) is an English message.
	const files = [...fs.readdirSync(path.join(repo, 'www')).filter((f) => f.endsWith('.html')).map((f) => path.join(repo, 'www', f)),
		...fs.readdirSync(path.join(repo, 'www', 'mail')).map((f) => path.join(repo, 'www', 'mail', f))];
	const unknown = files.flatMap((f) => [...fs.readFileSync(f, 'utf8').matchAll(/\{\{t:([a-z0-9_.-]+)\}\}/g)].filter((m) => !(m[1] in catalogs.en)).map((m) => `${path.basename(f)}: ${m[1]}`));
	report(unknown.length === 0, 'catalogs: every {{t:key}} of www/*.html and www/mail/* is in en.json', unknown);
}

/**
 * Every message the C code hands a page as text (page_error's title and message, the
 * last argument of the pages' functions; literals, #defines, both sides of a ?:) is
 * an English catalog message, so it is shown translated (http/page.h).
 */
function checkCodeMessages() {
	const dirs = ['issuer/sso', 'issuer/http', 'issuer/oauth'].map((d) => path.join(repo, d));
	const files = dirs.flatMap((d) => fs.readdirSync(d).filter((f) => /\.[ch]$/.test(f)).map((f) => path.join(d, f)));
	const text = Object.fromEntries(files.map((f) => [f, fs.readFileSync(f, 'utf8')]));
	const defines = {};
	for (const t of Object.values(text))
		for (const m of t.matchAll(/^#define\s+(\w+)\s+((?:"(?:[^"\\]|\\.)*"\s*)+)$/gm)) defines[m[1]] = [...m[2].matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((x) => x[1]).join('');
	const english = new Set(messages(catalogs.en).filter(([, m]) => typeof m === 'string').map(([, m]) => m));
	const calls = { page_error: [2, 3], login_page: [7], reset_page: [5], forgot_page: [4], reg_page: [4], refuse: [6],
		mfa_page: [4], mfa_refused: [4], show: [6], login_form: [4], account_second: [4], app_page: [5], codes_page: [3] };
	const seen = [], missing = [];
	for (const [file, t] of Object.entries(text)) {
		for (const [fn, which] of Object.entries(calls)) {
			for (const m of t.matchAll(new RegExp(`\\b${fn}\\(`, 'g'))) {
				let i = m.index + m[0].length, depth = 1, arg = '', args = [], str = false;
				for (; i < t.length && depth > 0; i++) {
					const c = t[i];
					if (str) { arg += c; if (c === '\\') arg += t[++i]; else if (c === '"') str = false; continue; }
					if (c === '"') str = true;
					if (c === '(') depth++;
					if (c === ')' && --depth === 0) break;
					if (c === ',' && depth === 1) { args.push(arg); arg = ''; continue; }
					arg += c;
				}
				args.push(arg);
				if (/^\s*(static|void|int)\b/.test(t.slice(t.lastIndexOf('\n', m.index) + 1, m.index))) continue; // the definition
				for (const k of which) {
					const a = args[k] ?? '';
					if (/page_msg\(|page_tr\(/.test(a)) continue;
					const lits = [...a.replace(/"\s*\n\s*"/g, '').matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((x) => x[1]);
					const macros = [...a.matchAll(/\b([A-Z][A-Z0-9_]{2,})\b/g)].map((x) => defines[x[1]]).filter(Boolean);
					for (const msg of [...lits, ...macros]) (english.has(msg) ? seen : missing).push(`${path.basename(file)}: ${fn}: ${msg}`);
				}
			}
		}
	}
	report(missing.length === 0 && seen.length >= 40, `every message the C code puts on a page is in the catalogs (${seen.length} found)`, missing);
}

/** The /authorize URL of client web with more parameters. */
const authorize = (base, extra = {}) => `${base}/authorize?${new URLSearchParams({ client_id: 'web', redirect_uri: CB, response_type: 'code', scope: 'openid email', state: 's', code_challenge: CHALLENGE, code_challenge_method: 'S256', ...extra })}`;

/** The text part of a received message, quoted-printable decoded. */
function textPart(msg) {
	const part = msg.split(/Content-Type: text\/plain[^\r\n]*\r\n/i)[1] ?? '';
	const qp = part.split('\r\n\r\n').slice(1).join('\r\n\r\n').split(/\r\n--/)[0].replace(/=\r\n/g, '');
	return Buffer.from(qp.replace(/=([0-9A-F]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8');
}
/** The HTML part, decoded. */
function htmlPart(msg) {
	const part = msg.split(/Content-Type: text\/html[^\r\n]*\r\n/i)[1] ?? '';
	const qp = part.split('\r\n\r\n').slice(1).join('\r\n\r\n').split(/\r\n--/)[0].replace(/=\r\n/g, '');
	return Buffer.from(qp.replace(/=([0-9A-F]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8');
}
/** A header's RFC 2047 encoded words decoded. */
const decodeWords = (v) => (v ?? '').replace(/=\?UTF-8\?B\?([^?]*)\?=\s*/gi, (_, b) => Buffer.from(b, 'base64').toString('utf8')).replace(/=\?UTF-8\?Q\?([^?]*)\?=\s*/gi, (_, q) => Buffer.from(q.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/gi, (__, h) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8'));

async function languageChoice(s) {
	// Accept-Language alone (no ui_locales): q-values, a region matches its language.
	const cases = [
		['de-CH', 'de'], ['fr-CA, de;q=0.9', 'fr'], ['es, fr;q=0.5, de;q=0.8', 'de'], ['es, it', 'en'], ['', 'en'], ['fr;q=0, de;q=0.1', 'de'], ['*', 'en'],
	];
	for (const [al, want] of cases) {
		const r = await fetch(authorize(s.base), { headers: al ? { 'accept-language': al } : {} });
		const html = await r.text();
		report(r.status === 200 && langOf(html) === want && r.headers.get('content-language') === want, `Accept-Language "${al}" → ${want} (<html lang>, Content-Language)`, `${r.status} ${langOf(html)} ${r.headers.get('content-language')}`);
	}
	// ui_locales wins over Accept-Language; the first supported tag.
	const b = browser();
	let r = await b.go(authorize(s.base, { ui_locales: 'es fr-CA de' }), { headers: { 'accept-language': 'de' } });
	let html = await r.text();
	const cookie = r.headers.getSetCookie().find((c) => c.startsWith('idb_lang='));
	report(langOf(html) === 'fr' && r.headers.get('content-language') === 'fr' && /<title>Connexion<\/title>/.test(html),
		'ui_locales "es fr-CA de" with Accept-Language de → the French login page', `${langOf(html)} ${short(html.match(/<title>.*<\/title>/)?.[0])}`);
	report(/^idb_lang=fr; Path=\/; Max-Age=\d+; HttpOnly; SameSite=Lax$/.test(cookie ?? ''), 'ui_locales is kept in a cookie: HttpOnly, SameSite=Lax (no Secure on http)', cookie);
	report(/<label for="username">Nom d’utilisateur<\/label>/.test(html) && /pour continuer vers Web &amp; &lt;Co&gt;/.test(html),
		'the French page: labels, and the lead with the client\'s name escaped', short(html.match(/<p class="lead">.*<\/p>/)?.[0]));
	// The sign-in goes on in French: a wrong password, through the 303, with Accept-Language de.
	const post = await b.go(`${s.base}/login`, form({ ...hidden(html), username: 'alice', password: 'not-her-password' }));
	r = await afterLogin((u) => b.go(u, { headers: { 'accept-language': 'de' } }), post);
	html = await r.text();
	report(post.status === 303 && r.status === 200 && langOf(html) === 'fr' && unescape(alertOf(html) ?? '') === catalogs.fr['login.wrong'],
		'the wrong password: 303, then the message in the sign-in\'s language (the cookie), not Accept-Language\'s', `${post.status} ${r.status} ${langOf(html)} ${alertOf(html)}`);
	report(/id="password"[^>]*aria-invalid="true" autofocus>/.test(html) && /value="alice"/.test(html) && !/id="username"[^>]*autofocus/.test(html),
		'after the wrong password: the username kept, the focus on the password field', short(html.match(/<form[^]*<\/form>/)?.[0]));
	const again = await b.go(r.url ?? `${s.base}/login?error=wrong`, { headers: { 'accept-language': 'de' } });
	report(again.status === 200 && alertOf(await again.text()) !== null, 'a reload of that page shows it again (no form posted)', again.status);
	// A later /authorize without ui_locales clears the cookie: Accept-Language decides.
	r = await b.go(authorize(s.base), { headers: { 'accept-language': 'de' } });
	html = await r.text();
	report(langOf(html) === 'de' && r.headers.getSetCookie().some((c) => /^idb_lang=; .*Max-Age=0/.test(c)) && !b.jar.has('idb_lang'),
		'/authorize without ui_locales clears the cookie: Accept-Language decides again', `${langOf(html)} ${r.headers.getSetCookie().join(' | ')}`);
	// An unsupported ui_locales: Accept-Language, then English.
	r = await fetch(authorize(s.base, { ui_locales: 'es it' }), { headers: { 'accept-language': 'fr' } });
	report(langOf(await r.text()) === 'fr' && !r.headers.getSetCookie().some((c) => c.startsWith('idb_lang=fr')), 'ui_locales with no supported tag: Accept-Language decides', r.headers.get('content-language'));
	r = await fetch(authorize(s.base, { ui_locales: 'xx-YY' }));
	report(langOf(await r.text()) === 'en' && r.headers.get('content-language') === 'en', 'nothing supported anywhere: English', r.headers.get('content-language'));
	// Every page kind says its language: error pages and the account pages too.
	const pages = ['/login', '/forgot', '/register', '/reset?token=x', '/verify-email?token=x', '/logout', `/authorize?client_id=nope`];
	const got = [];
	for (const p of pages) {
		const x = await fetch(`${s.base}${p}`, { headers: { 'accept-language': 'fr-BE' } });
		const h = await x.text();
		got.push(`${p} ${x.status} ${langOf(h)} ${x.headers.get('content-language')}`);
	}
	report(got.every((g) => g.endsWith(' fr fr')), 'every page (forms and error pages) has <html lang> and Content-Language of its language', got);
	const d = await (await fetch(`${s.base}/.well-known/openid-configuration`)).json();
	report(JSON.stringify(d.ui_locales_supported) === JSON.stringify(['en', ...Object.keys(catalogs).filter((t) => t !== 'en').sort()]), 'discovery: ui_locales_supported lists the catalogs, English first', d.ui_locales_supported);
}

/** On an https issuer the cookie is Secure, under __Host- (no path) or __Secure- (a path), and read back by that name. */
async function httpsCookie() {
	for (const [suffix, name, cookiePath] of [['', '__Host-idb_lang', '/'], ['/auth', '__Secure-idb_lang', '/auth']]) {
		const port = await freePort();
		const s = await serve({ db, port, issuer: `https://127.0.0.1:${port}${suffix}`, env: TINY });
		const base = `http://127.0.0.1:${port}${suffix}`;
		const r = await fetch(authorize(base, { ui_locales: 'de' }));
		const set = r.headers.getSetCookie().find((c) => c.startsWith(`${name}=`));
		report(new RegExp(`^${name}=de; Path=${cookiePath}; Max-Age=\\d+; HttpOnly; SameSite=Lax; Secure$`).test(set ?? ''), `https issuer${suffix ? ' with a path' : ''}: the language cookie is ${name}, Secure`, set);
		const back = await fetch(`${base}/login`, { headers: { cookie: `${name}=fr`, 'accept-language': 'de' } });
		report(langOf(await back.text()) === 'fr', `https issuer${suffix ? ' with a path' : ''}: the pages read ${name} back`, back.headers.get('content-language'));
		await s.stop();
		servers.splice(servers.indexOf(s), 1);
	}
}

async function limitPlural(s) {
	// LOGIN_FAILURES_PER_ADDRESS=1 on this server: the second attempt is 429, in German, with its plural.
	const b = browser();
	const html = await (await b.go(authorize(s.base, { ui_locales: 'de' }))).text();
	await afterLogin(b.go, await b.go(`${s.base}/login`, form({ ...hidden(html), username: 'alice', password: 'wrong-1' })));
	const r = await b.go(`${s.base}/login`, form({ ...hidden(html), username: 'alice', password: 'wrong-2' }));
	const t = await r.text();
	report(r.status === 429 && /Zu viele fehlgeschlagene Anmeldungen aus Ihrem Netzwerk; versuchen Sie es in \d+ Minuten? erneut\./.test(unescape(alertOf(t) ?? '')) && langOf(t) === 'de',
		'429: "try again in N minutes" in German, its plural form chosen by N', `${r.status} ${alertOf(t)}`);
}

async function mails(s, smtp) {
	const mailsTo = (addr) => smtp.messages().filter((m) => m.envelope.to?.includes(addr) || header(m.text, 'To')?.includes(addr));
	// A reset asked with Accept-Language de: the mail is German.
	const b = browser();
	const page = await (await b.go(`${s.base}/forgot`, { headers: { 'accept-language': 'de-AT' } })).text();
	const r = await b.go(`${s.base}/forgot`, { ...form({ ...hidden(page), email: 'alice@example.com' }), headers: { 'content-type': 'application/x-www-form-urlencoded', 'accept-language': 'de-AT' } });
	const answer = await r.text();
	report(r.status === 200 && langOf(answer) === 'de' && unescape(answer).includes('Wenn ein Konto die Adresse alice@example.com hat'), '/forgot answers in German, the address in the message', short(alertOf(answer)));
	await until(() => mailsTo('alice@example.com').length >= 1, 20000, 50);
	const m = mailsTo('alice@example.com')[0]?.text ?? '';
	const subject = decodeWords(header(m, 'Subject'));
	report(subject === catalogs.de['mail.reset.subject'], 'the reset mail\'s subject is German', subject);
	const text = textPart(m), html = htmlPart(m);
	report(text.startsWith('Hallo Alice A.,') && text.includes('30 Minuten lang') && text.includes('Konto alice angefordert') && !text.includes('**'),
		'its text part is German (the span "30 Minuten" too), emphasis dropped', short(text));
	report(/<html lang="de">/.test(html) && html.includes('<strong>alice</strong>') && html.includes('Neues Passwort wählen'), 'its HTML part is German, with lang="de" and <strong>', short(html));
	// A registration with Accept-Language fr: the welcome mail is French.
	const c = browser();
	const reg = await (await c.go(`${s.base}/register`, { headers: { 'accept-language': 'fr' } })).text();
	const rr = await c.go(`${s.base}/register`, { ...form({ ...hidden(reg), username: 'zoe', email: 'zoe@example.com', name: 'Zoé <Z>', password: PW, password2: PW }), headers: { 'content-type': 'application/x-www-form-urlencoded', 'accept-language': 'fr' } });
	const done = await rr.text();
	report(rr.status === 200 && langOf(done) === 'fr' && /<title>Consultez vos e-mails<\/title>/.test(done), '/register answers in French', `${rr.status} ${short(done.match(/<title>.*<\/title>/)?.[0])}`);
	await until(() => mailsTo('zoe@example.com').length >= 1, 20000, 50);
	const z = mailsTo('zoe@example.com')[0]?.text ?? '';
	report(decodeWords(header(z, 'Subject')) === catalogs.fr['mail.register.subject'] && textPart(z).includes('Bonjour Zoé <Z>,') && textPart(z).includes('24 heures') &&
		htmlPart(z).includes('Bonjour Zoé &lt;Z&gt;,') && htmlPart(z).includes('<html lang="fr">'), 'the registration mail is French; the name escaped in HTML only', short(textPart(z)));
	// Without any language: English, as before.
	const e = browser();
	const ep = await (await e.go(`${s.base}/forgot`)).text();
	await e.go(`${s.base}/forgot`, form({ ...hidden(ep), email: 'bert@example.com' }));
	await until(() => mailsTo('bert@example.com').length >= 1, 20000, 50);
	const em = mailsTo('bert@example.com')[0]?.text ?? '';
	report(decodeWords(header(em, 'Subject')) === 'Reset your password' && textPart(em).includes('for 30 minutes'), 'no language asked: the mail is English', decodeWords(header(em, 'Subject')));
}

async function brand() {
	const dir = path.join(tmp, 'brand');
	fs.mkdirSync(dir);
	fs.writeFileSync(path.join(dir, 'logo.svg'), '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10" fill="#c00"/></svg>\n');
	fs.writeFileSync(path.join(dir, 'brand.css'), ':root { --accent: #7a1f99; }\n');
	fs.writeFileSync(path.join(dir, 'notes.txt'), 'ignored');
	const s = await serve({ db, env: { ...TINY, BRAND_DIR: dir } });
	const page = await fetch(authorize(s.base));
	const html = await page.text();
	report(/<link rel="stylesheet" href="\/static\/style.css">\n<link rel="stylesheet" href="\/static\/brand.css">/.test(html) && /<img class="brand" src="\/static\/logo.svg" alt="">/.test(html),
		'BRAND_DIR: every page links brand.css after style.css and shows the logo', short(html.match(/<link[^]*?<img[^>]*>/)?.[0]));
	report(!/unsafe-inline|style-src [^;]*http/.test(page.headers.get('content-security-policy')) && /style-src 'self'/.test(page.headers.get('content-security-policy')),
		'BRAND_DIR: the pages\' CSP is unchanged (styles from self only, nothing inline)', page.headers.get('content-security-policy'));
	let r = await fetch(`${s.base}/static/brand.css`);
	report(r.status === 200 && r.headers.get('content-type') === 'text/css; charset=utf-8' && (await r.text()) === ':root { --accent: #7a1f99; }\n' && r.headers.get('x-content-type-options') === 'nosniff',
		'/static/brand.css: the folder\'s file, text/css, nosniff', r.headers.get('content-type'));
	r = await fetch(`${s.base}/static/logo.svg`);
	report(r.status === 200 && r.headers.get('content-type') === 'image/svg+xml' && /sandbox/.test(r.headers.get('content-security-policy') ?? '') && (await r.text()).includes('<svg'),
		'/static/logo.svg: image/svg+xml, sandboxed when opened on its own', `${r.headers.get('content-type')} ${r.headers.get('content-security-policy')}`);
	r = await fetch(`${s.base}/static/logo.png`);
	report(r.status === 404, '/static/logo.png: 404 when the folder has an SVG logo', r.status);
	await s.stop();
	servers.splice(servers.indexOf(s), 1);

	// A PNG logo, and no folder at all.
	const png = path.join(tmp, 'brand-png');
	fs.mkdirSync(png);
	fs.writeFileSync(path.join(png, 'logo.png'), Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), crypto.randomBytes(64)]));
	const p = await serve({ db, env: { ...TINY, BRAND_DIR: png } });
	r = await fetch(`${p.base}/static/logo.png`);
	const css = await fetch(`${p.base}/static/brand.css`);
	report(r.status === 200 && r.headers.get('content-type') === 'image/png' && (await r.arrayBuffer()).byteLength === 72 && css.status === 200 && (await css.text()) === '',
		'a PNG logo served as image/png; no brand.css: an empty style sheet', `${r.status} ${r.headers.get('content-type')} ${css.status}`);
	await p.stop();
	servers.splice(servers.indexOf(p), 1);
	const none = await serve({ db, env: TINY });
	const nh = await (await fetch(authorize(none.base))).text();
	report(/<img class="brand none" src="" alt="">/.test(nh) && (await fetch(`${none.base}/static/logo.svg`)).status === 404, 'without BRAND_DIR: no logo (hidden), 404 for its URL', short(nh.match(/<img class="brand[^>]*>/)?.[0]));
	await none.stop();
	servers.splice(servers.indexOf(none), 1);

	// What stops the start, said in one line; doctor says the same.
	let nbad = 0;
	const bad = (name, content) => {
		const d = path.join(tmp, `bad-${++nbad}`);
		fs.mkdirSync(d);
		if (content !== null) fs.writeFileSync(path.join(d, name), content);
		else fs.mkdirSync(path.join(d, name));
		return d;
	};
	const cases = [
		['a missing folder', path.join(tmp, 'no-such-folder'), /BRAND_DIR: cannot open the folder .*no-such-folder: No such file or directory/],
		['a file, not a folder', path.join(tmp, 'brand', 'brand.css'), /BRAND_DIR: .*brand\.css is not a folder/],
		['a logo.png that is no PNG', bad('logo.png', '<svg/>'), /BRAND_DIR: .*logo\.png is not a PNG image/],
		['a logo.svg that is no SVG', bad('logo.svg', 'GIF89a'), /BRAND_DIR: .*logo\.svg is not an SVG image/],
		['a brand.css over 64 KiB', bad('brand.css', 'a'.repeat(64 * 1024 + 1)), /BRAND_DIR: .*brand\.css is not a regular file of at most 65536 bytes/],
		['a folder named brand.css', bad('brand.css', null), /BRAND_DIR: .*brand\.css is not a regular file/],
	];
	for (const [what, dir, want] of cases) {
		const x = await launchServer({ db, env: { ...TINY, BRAND_DIR: dir }, readyMs: 10000 });
		const code = (await x.exited).code;
		report(x.outcome === 'exited' && code === 2 && want.test(x.stderr()) && x.stderr().trim().split('\n').length === 1, `BRAND_DIR with ${what}: serve does not start, one line says why`, `${x.outcome} ${code} ${x.stderr()}`);
		if (x.outcome !== 'exited') await x.stop('SIGKILL');
		const doc = await run(['doctor', '--db', db], { env: { BRAND_DIR: dir } });
		report(doc.code !== 0 && /doctor: BRAND_DIR: /.test(doc.stdout) && want.test(`BRAND_DIR: ${doc.stdout.split('doctor: BRAND_DIR: ')[1] ?? ''}`), `doctor reports BRAND_DIR with ${what}`, doc.stdout + doc.stderr);
	}
}

if (!haveSmtpd()) {
	skip('the i18n suite', 'python3-aiosmtpd is not installed (scripts/setup.sh installs it)');
	process.exit(0);
}

await runSuite(R, servers, async () => {
	checkCatalogs();
	checkCodeMessages();
	const smtp = await startSmtpd({ dir: path.join(tmp, 'mail') });
	await addClient(db, 'web', ['--public', '--name', 'Web & <Co>', '--grant', 'authorization_code', '--redirect-uri', CB, '--scope', 'openid email']);
	for (const [u, email, name] of [['alice', 'alice@example.com', 'Alice A.'], ['bert', 'bert@example.com', '']]) {
		const r = await run(['user', 'add', '--db', db, '--username', u, '--email', email, ...(name ? ['--name', name] : []), '--password-stdin'], { env: TINY, input: PW });
		if (r.code !== 0) throw new Error(`user add ${u}: ${r.stderr}`);
	}
	const mailEnv = { SMTP_URL: `smtp+insecure://127.0.0.1:${smtp.port}`, MAIL_FROM: 'IdP <idp@issuer.test>', MAIL_RETRY_SECONDS: '1', REGISTRATION: 'open' };
	const s = await serve({ db, env: { ...TINY, ...mailEnv, LOGIN_FAILURES_PER_ADDRESS: '0' } });
	await languageChoice(s);
	await mails(s, smtp);
	await s.stop();
	servers.splice(servers.indexOf(s), 1);
	const l = await serve({ db, env: { ...TINY, LOGIN_FAILURES_PER_ADDRESS: '1' } });
	await limitPlural(l);
	await l.stop();
	servers.splice(servers.indexOf(l), 1);
	await httpsCookie();
	await brand();
	await smtp.stop();
	fs.rmSync(tmp, { recursive: true, force: true });
});
