// An issuer URL with a path (--issuer http://127.0.0.1:PORT/auth, as behind a proxy
// that serves the issuer under a prefix): discovery and every endpoint URL carry
// the path, the login page's form action and style sheet carry it, the cookies are
// scoped to it, and openid-client completes discovery, the code flow with PKCE
// through the login form, refresh, userinfo and RP-initiated logout under it. A
// proxy that strips the prefix works too: the same endpoints answer without it.
import crypto from 'node:crypto';
import path from 'node:path';
import * as client from 'openid-client';
import { freePort, reporter, runSuite, serverSet, tempDir } from '../lib.mjs';
import { addClient, run } from './lib.mjs';

const { report, finish } = reporter('issuer/issuer_path');
const { servers, serve, stop } = serverSet(report);
const TINY = { PASSWORD_ARGON2_TEST: '1', PASSWORD_ARGON2_M_KIB: '64', PASSWORD_ARGON2_T: '1' };
const CB = 'https://rp.example/cb';

await runSuite({ report, finish }, servers, async () => {
	const DB = path.join(tempDir('idb-path-'), 'id.db');
	const password = crypto.randomBytes(12).toString('base64url');
	await run(['user', 'add', '--db', DB, '--username', 'alice', '--password-stdin'], { env: TINY, input: `${password}\n` });
	const web = await addClient(DB, 'web', ['--grant', 'authorization_code', '--grant', 'refresh_token', '--redirect-uri', CB, '--post-logout-redirect-uri', 'https://rp.example/bye']);
	const port = await freePort();
	const ISS = `http://127.0.0.1:${port}/auth`;
	const srv = await serve({ db: DB, port, issuer: ISS, env: TINY });

	const config = await client.discovery(new URL(ISS), 'web', undefined, client.ClientSecretBasic(web.client_secret), { execute: [client.allowInsecureRequests] });
	const meta = config.serverMetadata();
	const eps = ['authorization_endpoint', 'token_endpoint', 'userinfo_endpoint', 'jwks_uri', 'introspection_endpoint', 'revocation_endpoint', 'end_session_endpoint'];
	report(meta.issuer === ISS && eps.every((e) => meta[e]?.startsWith(`${ISS}/`)), 'discovery at ISSUER/.well-known/openid-configuration: the issuer and every endpoint under /auth', JSON.stringify(eps.map((e) => meta[e])));

	const verifier = client.randomPKCECodeVerifier();
	const authUrl = client.buildAuthorizationUrl(config, { redirect_uri: CB, scope: 'openid offline_access', code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state: 'st', nonce: 'nn' });
	const jar = new Map();
	const go = async (url, init = {}) => {
		const r = await fetch(url, { ...init, redirect: 'manual', headers: { ...(init.headers ?? {}), cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') } });
		for (const c of r.headers.getSetCookie()) {
			jar.set(c.split(';')[0].split('=')[0], c.split(';')[0].split('=').slice(1).join('='));
			go.cookies.push(c);
		}
		return r;
	};
	go.cookies = [];
	let r = await go(authUrl.href);
	const html = await r.text();
	const action = /<form[^>]*action="([^"]*)"/.exec(html)?.[1];
	const sheet = /<link rel="stylesheet" href="([^"]*)"/.exec(html)?.[1];
	report(r.status === 200 && action === '/auth/login' && sheet === '/auth/static/style.css', 'the login page: form action and style sheet under /auth', `${action} ${sheet}`);
	const css = await fetch(new URL(sheet, ISS));
	report(css.status === 200 && /text\/css/.test(css.headers.get('content-type')), 'the style sheet answers at /auth/static/style.css', css.status);
	const field = (n) => new RegExp(`name="${n}" value="([^"]*)"`).exec(html)?.[1];
	r = await go(new URL(action, ISS), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ flow: field('flow'), csrf: field('csrf'), username: 'alice', password }).toString() });
	report(go.cookies.length >= 2 && go.cookies.every((c) => /;\s*Path=\/auth(;|$)/.test(c)), 'every cookie is scoped to Path=/auth', go.cookies.map((c) => c.replace(/=[^;]*/, '=…')).join(' | '));
	const back = new URL(r.headers.get('location') ?? 'http://x/');
	const tokens = await client.authorizationCodeGrant(config, back, { pkceCodeVerifier: verifier, expectedState: 'st', expectedNonce: 'nn', idTokenExpected: true });
	const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
	const info = await client.fetchUserInfo(config, refreshed.access_token, tokens.claims().sub);
	report(tokens.claims().iss === ISS && info.sub === tokens.claims().sub, 'openid-client: code flow with PKCE through the login form, refresh and userinfo, all under /auth', JSON.stringify(tokens.claims()));
	const logoutUrl = client.buildEndSessionUrl(config, { id_token_hint: tokens.id_token, post_logout_redirect_uri: 'https://rp.example/bye', state: 'bye' });
	r = await go(logoutUrl.href);
	const page = r.status === 200 ? await r.text() : '';
	const logoutAction = /<form[^>]*action="([^"]*)"/.exec(page)?.[1];
	report(logoutUrl.pathname === '/auth/logout' && ([302, 303].includes(r.status) || logoutAction === '/auth/logout'), 'RP-initiated logout at /auth/logout (its confirmation form posts there too)', `${r.status} ${logoutAction ?? r.headers.get('location')}`);
	const stripped = await fetch(`http://127.0.0.1:${port}/.well-known/openid-configuration`);
	report(stripped.status === 200 && (await stripped.json()).issuer === ISS, 'a proxy that strips the prefix: the same endpoints answer without it');
	const outside = await fetch(`http://127.0.0.1:${port}/authx/token`, { method: 'POST' });
	report(outside.status === 404, 'a path that only begins like the prefix is not under it (/authx/token: 404)', outside.status);
	await stop(srv, 'server under /auth');
});
