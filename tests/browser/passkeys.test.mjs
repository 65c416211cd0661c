// Passkeys in Chromium (playwright-core) with the DevTools protocol's virtual
// authenticator (WebAuthn domain: CTAP2, internal, resident keys, user
// verification), against `identity-backend serve` at http://localhost:PORT
// (the RP ID is the issuer's host):
// - a person signs in to /account with a password and adds a passkey from the page;
// - signs in to a client with the passkey alone (no password): the ID token says
//   amr ["hwk","mfa"], acr phrh;
// - with a password and the passkey as the second step: amr ["pwd","hwk","mfa"];
// - a replayed answer (the same challenge posted again) is refused;
// - an answer made on another origin (same RP ID, another port) is refused;
// - a cloned authenticator (the same key with a lower signature counter) is
//   refused, distinctly, while the original keeps working.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { freePort, reporter, serverSet, tempDir, runSuite } from '../lib.mjs';
import { addClient, basic, run } from '../issuer/lib.mjs';

const R = reporter('browser/passkeys');
const { report, skip } = R;
const { servers, serve } = serverSet(report);
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const TINY = { PASSWORD_ARGON2_TEST: '1', PASSWORD_ARGON2_M_KIB: '64', PASSWORD_ARGON2_T: '1' };
const PW = `pk-${crypto.randomBytes(9).toString('base64url')}`;
// The client's redirect URI: nothing listens there; the browser's route answers for it
// (a port Chromium allows, so no error page races the next step).
const CB = `http://127.0.0.1:${await freePort()}/cb`;
const VERIFIER = crypto.randomBytes(32).toString('base64url');
const CHALLENGE = crypto.createHash('sha256').update(VERIFIER).digest('base64url');
const tmp = tempDir('idb-bpasskey-');
const db = path.join(tmp, 'p.db');
const payload = (jwt) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());

if (!fs.existsSync(CHROMIUM)) {
	skip('the passkey suite', 'Chromium is not installed (scripts/setup.sh installs it)');
	process.exit(0);
}

let browser = null;
let other = null;
await runSuite(R, servers, async () => {
	const web = await addClient(db, 'web', ['--grant', 'authorization_code', '--redirect-uri', CB, '--scope', 'openid']);
	const u = await run(['user', 'add', '--db', db, '--username', 'pat', '--password-stdin'], { env: TINY, input: PW });
	if (u.code !== 0) throw new Error(u.stderr);
	const port = await freePort();
	const ISS = `http://localhost:${port}`;
	await serve({ db, port, issuer: ISS, env: { ...TINY, LOGIN_FAILURES_PER_ADDRESS: '0' } });
	const { chromium } = await import('playwright-core');
	browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--host-resolver-rules=MAP localhost 127.0.0.1'] });
	const context = await browser.newContext();
	const page = await context.newPage();
	await page.route(`${CB}**`, (route) => route.fulfill({ status: 200, contentType: 'text/plain', body: 'client' }));
	const cdp = await context.newCDPSession(page);
	await cdp.send('WebAuthn.enable', { enableUI: false });
	const options = { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true };
	let { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', { options });
	const authorize = `${ISS}/authorize?${new URLSearchParams({ client_id: 'web', redirect_uri: CB, response_type: 'code', scope: 'openid', state: 'st', code_challenge: CHALLENGE, code_challenge_method: 'S256' })}`;
	const exchange = async (url) => {
		const code = new URL(url).searchParams.get('code');
		const r = await fetch(`${ISS.replace('localhost', '127.0.0.1')}/token`, {
			method: 'POST', headers: { authorization: basic('web', web.client_secret), 'content-type': 'application/x-www-form-urlencoded' },
			body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: CB, code_verifier: VERIFIER }),
		});
		return payload((await r.json()).id_token);
	};
	/** Click selector and resolve the client's redirect URL, or null (then the page's alert or status is the answer). */
	const clickToClient = async (selector) => {
		const back = page.waitForRequest((r) => r.url().startsWith(CB), { timeout: 8000 }).then((r) => r.url()).catch(() => null);
		await page.waitForLoadState('load'); // the page's script is wired to its buttons
		await page.click(selector);
		const url = await back;
		if (url) await page.waitForURL((u) => u.href.startsWith(CB), { timeout: 8000 }).catch(() => {});
		return url;
	};
	/** page.goto(url). A form's redirect to the client (where nothing listens; the route answers)
	 * can still land an error page or a second navigation after the step that caused it ended:
	 * then wait for the page to settle and go again. */
	const open = async (url) => {
		for (let i = 0; ; i++) {
			try {
				return await page.goto(url);
			} catch (e) {
				if (i === 4 || !/interrupted by another navigation/.test(e.message)) throw e;
				await page.waitForLoadState('load').catch(() => {});
				await new Promise((r) => setTimeout(r, 200));
				if (page.url() === url) return null;
			}
		}
	};
	const alertText = async () => (await page.textContent('.alert').catch(() => '')) || (await page.textContent('.passkey-status').catch(() => ''));

	// ---- add a passkey on the account page ----
	await page.goto(`${ISS}/account`);
	await page.fill('#username', 'pat');
	await page.fill('#password', PW);
	await page.click('button[type=submit]');
	report(/Your account/.test(await page.textContent('h1')), 'signed in to the account page with the password');
	await page.fill('#passkey-name', 'Laptop');
	await Promise.all([page.waitForURL(/done=passkey/, { timeout: 8000 }).catch(() => null), page.click('text=Add a passkey')]);
	report(/done=passkey/.test(page.url()) && /Laptop/.test(await page.textContent('main')), 'Add a passkey: the virtual authenticator makes one, the page lists it', page.url());
	const creds = (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials;
	report(creds.length === 1 && creds[0].isResidentCredential, 'the authenticator holds one discoverable credential for the RP', JSON.stringify(creds.map((c) => c.rpId)));
	const listed = JSON.parse((await run(['user', 'show', 'pat', '--db', db])).stdout);
	report(JSON.stringify(listed).includes('passkey'), 'user show lists the passkey', JSON.stringify(listed).slice(0, 300));

	// ---- a passkey alone ----
	await context.clearCookies();
	await open(authorize);
	let url = await clickToClient('text=Sign in with a passkey');
	let id = url ? await exchange(url) : null;
	report(id && JSON.stringify(id.amr) === '["hwk","mfa"]' && id.acr === 'phrh', 'a passkey alone signs in: amr ["hwk","mfa"], acr phrh', JSON.stringify(id) + (url ? '' : await alertText()));

	// ---- the passkey as the second step ----
	await context.clearCookies();
	await open(authorize);
	await page.fill('#username', 'pat');
	await page.fill('#password', PW);
	await page.click('button[type=submit]');
	report(/Confirm it is you/.test(await page.textContent('h1')), 'a person with a passkey is asked for it after the password');
	url = await clickToClient('text=Use a passkey');
	id = url ? await exchange(url) : null;
	report(id && JSON.stringify(id.amr) === '["pwd","hwk","mfa"]', 'the passkey as the second step: amr ["pwd","hwk","mfa"]', JSON.stringify(id) + (url ? '' : `${page.url()} ${(await page.textContent('main').catch(() => '')).slice(0, 300)}`));

	// ---- a replayed answer ----
	await context.clearCookies();
	await open(authorize);
	let body = null;
	await page.route('**/login/passkey', async (route) => {
		body = route.request().postData();
		await route.continue();
	});
	url = await clickToClient('text=Sign in with a passkey');
	await page.unroute('**/login/passkey');
	const cookie = (await context.cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
	const again = await fetch(`${ISS.replace('localhost', '127.0.0.1')}/login/passkey`, { method: 'POST', redirect: 'manual', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, body });
	report(url && body && again.status !== 303 && again.status < 500, 'the same answer posted again is refused (its challenge and flow are spent)', `${again.status}`);

	// ---- another origin, the same RP ID ----
	const otherPort = await freePort();
	other = http.createServer((req, res) => {
		res.writeHead(200, { 'content-type': 'text/html' });
		res.end('<!doctype html><title>other</title><p>other origin</p>');
	});
	await new Promise((r) => other.listen(otherPort, '127.0.0.1', r));
	await context.clearCookies();
	await open(authorize);
	const form = await page.evaluate(() => Object.fromEntries(new FormData(document.querySelector('form[data-passkey]'))));
	const chal = await page.evaluate(async () => {
		const body = new URLSearchParams({ flow: document.querySelector('input[name=flow]').value, csrf: document.querySelector('input[name=csrf]').value });
		return (await (await fetch('/login/passkey/challenge', { method: 'POST', body })).json()).challenge;
	});
	await page.goto(`http://localhost:${otherPort}/`);
	const assertion = await page.evaluate(async (c) => {
		const b64 = (buf) => btoa(String.fromCharCode(...new Uint8Array(buf))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
		const bytes = Uint8Array.from(atob(c.replace(/-/g, '+').replace(/_/g, '/')), (x) => x.charCodeAt(0));
		const cred = await navigator.credentials.get({ publicKey: { challenge: bytes, rpId: 'localhost', userVerification: 'required' } });
		return { credential: b64(cred.rawId), client_data: b64(cred.response.clientDataJSON), authenticator_data: b64(cred.response.authenticatorData), signature: b64(cred.response.signature) };
	}, chal);
	const cookie2 = (await context.cookies(ISS)).map((c) => `${c.name}=${c.value}`).join('; ');
	const cross = await fetch(`${ISS.replace('localhost', '127.0.0.1')}/login/passkey`, {
		method: 'POST', redirect: 'manual', headers: { cookie: cookie2, 'content-type': 'application/x-www-form-urlencoded' },
		body: new URLSearchParams({ ...form, challenge: chal, ...assertion }),
	});
	report(cross.status === 200 && /could not be used/.test(await cross.text()), 'an answer made on another origin (same RP ID) is refused', `${cross.status}`);

	// ---- a cloned authenticator ----
	const [orig] = (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials;
	await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId });
	const clone = await cdp.send('WebAuthn.addVirtualAuthenticator', { options });
	await cdp.send('WebAuthn.addCredential', { authenticatorId: clone.authenticatorId, credential: { ...orig, signCount: 0 } });
	await context.clearCookies();
	await open(authorize);
	url = await clickToClient('text=Sign in with a passkey');
	report(!url && /could not be used/.test(await alertText()), 'a clone with a lower signature counter is refused', `${orig.signCount} ${url}`);
	await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId: clone.authenticatorId });
	({ authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', { options }));
	await cdp.send('WebAuthn.addCredential', { authenticatorId, credential: { ...orig, signCount: orig.signCount + 5 } });
	await context.clearCookies();
	await open(authorize);
	url = await clickToClient('text=Sign in with a passkey');
	report(Boolean(url), 'the original, its counter moving on, still signs in', url);
});
await browser?.close();
other?.close();
