// The "Done when" of the single sign-on issue: a certified relying-party
// library, openid-client 6.9.0, against the running issuer, for a public client
// (PKCE, token_endpoint_auth_method none) and a confidential one
// (client_secret_basic): discovery, the code flow with PKCE through the real
// login form (fetch with the browser's cookies), the library's own checks of
// the callback (state, iss per RFC 9207) and of the ID token (iss, aud, exp,
// iat, nonce), the ID token's signature and at_hash checked again with jose
// against jwks_uri, userinfo, refresh with rotation, reuse detection (the old
// token is invalid_grant and the family, with the newest token, is revoked),
// and RP-initiated logout back to the registered post_logout_redirect_uri
// with the state. No mocks: `identity-backend serve` on a free port.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import * as jose from 'jose';
import * as client from 'openid-client';
import { reporter, sanitizerReport, serverSet, tempDir } from '../lib.mjs';
import { addClient, browser, cliTranscript, run } from './lib.mjs';

const { report, finish } = reporter('issuer/oidc');
const { serve, stop } = serverSet(report);
const started = Date.now();
const dirs = [];
let srv = null;

/** Sign in at url (an authorization URL) through the login form; resolves the callback URL. */
async function signIn(b, url, username, password) {
	let r = await b.go(url);
	const html = await r.text();
	const field = (n) => new RegExp(`name="${n}" value="([^"]*)"`).exec(html)?.[1];
	if (r.status !== 200 || !field('flow')) throw new Error(`authorize: ${r.status} ${html.slice(0, 300)}`);
	const action = new URL(/<form[^>]*action="([^"]*)"/.exec(html)?.[1] ?? '/login', url);
	r = await b.go(action, {
		method: 'POST',
		headers: { 'content-type': 'application/x-www-form-urlencoded' },
		body: new URLSearchParams({ flow: field('flow'), csrf: field('csrf'), username, password }).toString(),
	});
	const loc = r.headers.get('location');
	if (r.status !== 303 || !loc) throw new Error(`login: ${r.status} ${await r.text()}`);
	return new URL(loc, url);
}

const errorOf = async (p) => {
	try {
		await p;
		return null;
	} catch (e) {
		return e;
	}
};

try {
	const dir = tempDir('idb-oidc-');
	dirs.push(dir);
	const DB = path.join(dir, 'identity.db');
	const password = crypto.randomBytes(12).toString('base64url');
	const u = await run(['user', 'add', '--db', DB, '--username', 'alice', '--email', 'alice@example.com', '--name', 'Alice Ångström', '--group', 'admins', '--group', 'system:masters', '--password-stdin'], { input: `${password}\n` });
	if (u.code !== 0) throw new Error(`user add: ${u.stderr}`);
	const SUB = u.json.user_id;
	const SPA_CB = 'http://localhost:5173/callback';
	const WEB_CB = 'https://rp.example/callback';
	await addClient(DB, 'spa', ['--public', '--grant', 'authorization_code', '--grant', 'refresh_token', '--redirect-uri', SPA_CB, '--post-logout-redirect-uri', 'http://localhost:5173/']);
	const web = await addClient(DB, 'web', ['--grant', 'authorization_code', '--grant', 'refresh_token', '--redirect-uri', WEB_CB, '--post-logout-redirect-uri', 'https://rp.example/bye']);
	srv = await serve({ db: DB, threads: 2, env: { REFRESH_REUSE_GRACE_SECONDS: '0' } }); // strict reuse detection
	const ISS = srv.base;

	for (const [name, id, auth, cb, bye] of [
		['public client', 'spa', client.None(), SPA_CB, 'http://localhost:5173/'],
		['confidential client (client_secret_basic)', 'web', client.ClientSecretBasic(web.client_secret), WEB_CB, 'https://rp.example/bye'],
	]) {
		const t = (what) => `${name}: ${what}`;
		// Discovery.
		const config = await client.discovery(new URL(ISS), id, undefined, auth, { execute: [client.allowInsecureRequests] });
		const meta = config.serverMetadata();
		report(meta.issuer === ISS && meta.userinfo_endpoint === `${ISS}/userinfo` && meta.end_session_endpoint === `${ISS}/logout` && client.supportsPKCE?.(config) !== false, t('discovery: issuer, userinfo and end_session endpoints, PKCE supported'), JSON.stringify(meta));

		// The code flow with PKCE through the real login form.
		const b = browser();
		const verifier = client.randomPKCECodeVerifier();
		const state = client.randomState();
		const nonce = client.randomNonce();
		const authUrl = client.buildAuthorizationUrl(config, {
			redirect_uri: cb,
			scope: 'openid profile email groups offline_access',
			code_challenge: await client.calculatePKCECodeChallenge(verifier),
			code_challenge_method: 'S256',
			state,
			nonce,
		});
		const back = await signIn(b, authUrl, 'alice', password);
		report(back.origin + back.pathname === cb && back.searchParams.get('iss') === ISS && back.searchParams.get('state') === state, t('the login form redirects to the redirect URI with code, state and iss'), back.href);
		const tokens = await client.authorizationCodeGrant(config, back, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true });
		const claims = tokens.claims();
		report(claims?.sub === SUB && claims.aud === id && claims.iss === ISS && claims.nonce === nonce && typeof claims.auth_time === 'number', t('authorizationCodeGrant: the library accepts the callback and the ID token (iss, aud, nonce, sub, auth_time)'), JSON.stringify(claims));
		report(tokens.token_type?.toLowerCase() === 'bearer' && typeof tokens.refresh_token === 'string' && tokens.expiresIn() > 0, t('the answer has a Bearer access token, expiry and a refresh token'), JSON.stringify(Object.keys(tokens)));
		const jwks = jose.createRemoteJWKSet(new URL(meta.jwks_uri));
		const { payload, protectedHeader } = await jose.jwtVerify(tokens.id_token, jwks, { issuer: ISS, audience: id, algorithms: ['RS256'] });
		const d = crypto.createHash('sha256').update(tokens.access_token, 'ascii').digest();
		report(protectedHeader.alg === 'RS256' && payload.at_hash === d.subarray(0, 16).toString('base64url'), t('the ID token verifies with jose against jwks_uri (RS256) and at_hash matches the access token'), JSON.stringify(payload));

		// UserInfo.
		const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
		report(info.sub === SUB && info.preferred_username === 'alice' && info.name === 'Alice Ångström' && info.email === 'alice@example.com' && info.email_verified === false && info.groups?.join() === 'admins,system:masters', t('fetchUserInfo: sub, preferred_username, name, email, email_verified, groups'), JSON.stringify(info));
		report(claims.name === 'Alice Ångström' && claims.email === 'alice@example.com' && claims.email_verified === false && claims.groups?.join() === 'admins,system:masters', t('the ID token the library accepted carries name, email, email_verified and groups'), JSON.stringify(claims));
		const wrongSub = await errorOf(client.fetchUserInfo(config, tokens.access_token, 'someone-else'));
		report(wrongSub !== null, t('fetchUserInfo with another expected subject fails in the library (it checks sub)'), String(wrongSub));

		// Refresh with rotation.
		const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
		report(refreshed.refresh_token && refreshed.refresh_token !== tokens.refresh_token && refreshed.access_token !== tokens.access_token && refreshed.claims()?.sub === SUB, t('refreshTokenGrant: new access token, rotated refresh token, ID token of the same person'), JSON.stringify(Object.keys(refreshed)));
		const info2 = await client.fetchUserInfo(config, refreshed.access_token, SUB);
		report(info2.sub === SUB, t('the refreshed access token works at userinfo'), JSON.stringify(info2));

		// Reuse detection.
		const reuse = await errorOf(client.refreshTokenGrant(config, tokens.refresh_token));
		report(reuse?.error === 'invalid_grant', t('reusing the old refresh token: invalid_grant'), `${reuse?.name} ${reuse?.error} ${reuse?.message}`);
		const newest = await errorOf(client.refreshTokenGrant(config, refreshed.refresh_token));
		report(newest?.error === 'invalid_grant', t('after the reuse the newest refresh token is dead too (family revoked)'), `${newest?.name} ${newest?.error} ${newest?.message}`);

		// SSO: a second authorization in the same browser needs no password.
		const state2 = client.randomState();
		const verifier2 = client.randomPKCECodeVerifier();
		let r = await b.go(client.buildAuthorizationUrl(config, { redirect_uri: cb, scope: 'openid', code_challenge: await client.calculatePKCECodeChallenge(verifier2), code_challenge_method: 'S256', state: state2, prompt: 'none' }));
		const sso = new URL(r.headers.get('location') ?? 'about:blank');
		const tokens2 = sso.searchParams.get('code') ? await client.authorizationCodeGrant(config, sso, { pkceCodeVerifier: verifier2, expectedState: state2 }) : null;
		report(tokens2?.claims()?.sub === SUB, t('prompt=none within the session: a code at once, exchanged by the library'), sso.href);

		// RP-initiated logout.
		const logoutState = client.randomState();
		const endUrl = client.buildEndSessionUrl(config, { id_token_hint: tokens.id_token, post_logout_redirect_uri: bye, state: logoutState });
		r = await b.go(endUrl);
		const loc = r.headers.get('location');
		const after = loc ? new URL(loc, ISS) : null;
		report([302, 303].includes(r.status) && after?.origin + after?.pathname === new URL(bye).origin + new URL(bye).pathname && after.searchParams.get('state') === logoutState, t('buildEndSessionUrl → redirect to the registered post_logout_redirect_uri with the state'), `${r.status} ${loc}`);
		const state3 = client.randomState();
		r = await b.go(client.buildAuthorizationUrl(config, { redirect_uri: cb, scope: 'openid', code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()), code_challenge_method: 'S256', state: state3, prompt: 'none' }));
		const none = new URL(r.headers.get('location') ?? 'about:blank');
		report(none.searchParams.get('error') === 'login_required' && none.searchParams.get('state') === state3, t('after logout, prompt=none answers login_required (the session ended)'), none.href);
		r = await b.go(client.buildEndSessionUrl(config, { id_token_hint: tokens.id_token, post_logout_redirect_uri: 'https://evil.example/', state: 'x' }));
		const evil = r.headers.get('location') ?? '';
		report(!evil.startsWith('https://evil.example'), t('an unregistered post_logout_redirect_uri is never redirected to'), `${r.status} ${evil}`);
	}
} catch (e) {
	report(false, 'oidc test ran to the end', e.stack);
}

if (srv) await stop(srv, 'server');
const cliSan = cliTranscript.map(sanitizerReport).find(Boolean);
report(!cliSan, `no sanitizer report from the ${cliTranscript.length} CLI runs`, cliSan);
for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
const secs = (Date.now() - started) / 1000;
console.log(`# the suite ran in ${secs.toFixed(1)} s`);
finish();
