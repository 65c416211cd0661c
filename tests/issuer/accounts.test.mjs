// The account lifecycle an operator drives from the command line, seen from the
// outside by a real server: a new password keeps the `sub` and ends the refresh
// tokens (unless --keep-sessions); a disabled user cannot sign in and their tokens
// fail at /userinfo, /introspect and /verify at once; enabling lets them back in;
// a changed address is unverified; the profile claims follow the scope in
// /userinfo and in the ID token, and a scope the client does not know is ignored
// (OIDC Core §3.1.2.1). A password typed at a terminal (a real pseudo-terminal,
// through script(1)) is asked twice and never echoed.
import crypto from 'node:crypto';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { BIN, childEnv, reporter, serverSet, tempDir } from '../lib.mjs';
import { addClient, basic, browser, run, afterLogin } from './lib.mjs';

const { report, finish } = reporter('issuer/accounts');
const TINY = { PASSWORD_ARGON2_TEST: '1', PASSWORD_ARGON2_M_KIB: '64', PASSWORD_ARGON2_T: '1' };
const { servers, serve, stop } = serverSet(report);
const CB = 'https://web.example/cb';
const VERIFIER = 'v'.repeat(43);
const CHALLENGE = crypto.createHash('sha256').update(VERIFIER).digest('base64url');
const PW = `pw-${crypto.randomBytes(12).toString('base64url')}`;
const PW2 = `second-${crypto.randomBytes(12).toString('base64url')}`;
const hidden = (html) => Object.fromEntries([...html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1], m[2]]));
const form = (o) => ({ method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(o).toString() });
const payload = (jwt) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());
const short = (x) => JSON.stringify(x).slice(0, 300);

/** The login page's answer for user/pw at base with scope: { status, html, tokens (when a code came) }. */
async function signIn(base, scope, user = 'erin', pw = PW) {
	const b = browser();
	const q = new URLSearchParams({ client_id: 'web', redirect_uri: CB, response_type: 'code', scope, state: 'st', code_challenge: CHALLENGE, code_challenge_method: 'S256' });
	const first = await b.go(`${base}/authorize?${q}`);
	if (first.status !== 200) return { status: first.status, location: first.headers.get('location') };
	const r = await afterLogin(b.go, await b.go(`${base}/login`, form({ ...hidden(await first.text()), username: user, password: pw })));
	const code = new URL(r.headers.get('location') ?? 'x:/').searchParams.get('code');
	if (!code) return { status: r.status, html: await r.text() };
	const t = await fetch(`${base}/token`, form({ grant_type: 'authorization_code', code, redirect_uri: CB, client_id: 'web', code_verifier: VERIFIER }));
	return { status: r.status, tokens: await t.json() };
}

const cli = (db, args, input = '') => run(['user', ...args, '--db', db], { env: TINY, input });

/** Run `user set-password NAME` on a pseudo-terminal, typing first and then second after each prompt. */
function onTerminal(db, name, first, second) {
	return new Promise((resolve) => {
		const cmd = [BIN, 'user', 'set-password', name, '--db', db].map((a) => `'${a}'`).join(' ');
		const p = spawn('script', ['-qec', cmd, '/dev/null'], { env: childEnv(TINY) });
		let out = '';
		let typed = 0;
		const timer = setTimeout(() => p.kill('SIGKILL'), 20000);
		p.stdout.on('data', (d) => {
			out += d;
			if (typed === 0 && /New password: /.test(out)) p.stdin.write(`${first}\n`), (typed = 1);
			if (typed === 1 && /Repeat the password: /.test(out)) p.stdin.write(`${second}\n`), (typed = 2);
		});
		p.on('close', (code) => {
			clearTimeout(timer);
			resolve({ code, out });
		});
	});
}

const dir = tempDir('idb-accounts-');
try {
	const db = path.join(dir, 'identity.db');
	await addClient(db, 'web', ['--public', '--grant', 'authorization_code', '--grant', 'refresh_token', '--redirect-uri', CB,
		'--scope', 'openid profile email groups offline_access']);
	const rs = await addClient(db, 'rs', ['--grant', 'client_credentials', '--audience', 'api://orders']);
	let r = await cli(db, ['add', '--username', 'erin', '--email', 'erin@example.com', '--email-verified', '--name', 'Erin Ümlaut',
		'--group', 'admins', '--group', 'system:masters', '--password-stdin'], PW);
	report(r.code === 0, 'user add with a name, two groups and a verified address', r.stderr);
	const erin = JSON.parse(r.stdout || '{}');
	report(erin.name === 'Erin Ümlaut' && erin.email_verified === true && erin.groups?.join() === 'admins,system:masters',
		'add prints the profile as stored', short(erin));

	const s = await serve({ db, env: TINY });
	const refresh = (rt) => fetch(`${s.base}/token`, form({ grant_type: 'refresh_token', refresh_token: rt, client_id: 'web' }));
	const userinfo = (at) => fetch(`${s.base}/userinfo`, { headers: { authorization: `Bearer ${at}` } });
	const verify = (token) => fetch(`${s.base}/verify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) });
	const introspect = (token) => fetch(`${s.base}/introspect`, { method: 'POST', headers: { authorization: basic('rs', rs.client_secret), 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token }).toString() }).then((x) => x.json());

	// ---- claims by scope, an unknown scope ignored ----
	let t = (await signIn(s.base, 'openid profile email groups offline_access no-such-scope')).tokens ?? {};
	report(typeof t.access_token === 'string' && !/no-such-scope/.test(t.scope ?? '') && /groups/.test(t.scope ?? ''),
		'a scope the client does not know is ignored, not refused', short(t));
	const id = payload(t.id_token ?? 'x.e30.x');
	report(id.sub === erin.user_id && id.name === 'Erin Ümlaut' && id.preferred_username === 'erin' && id.email === 'erin@example.com' &&
		id.email_verified === true && id.groups?.join() === 'admins,system:masters',
		'the ID token carries name, preferred_username, email, email_verified and groups', short(id));
	let ui = await (await userinfo(t.access_token)).json();
	report(ui.sub === erin.user_id && ui.name === 'Erin Ümlaut' && ui.email_verified === true && ui.groups?.length === 2,
		'/userinfo gives the same claims', short(ui));
	const narrow = (await signIn(s.base, 'openid')).tokens ?? {};
	const idn = payload(narrow.id_token ?? 'x.e30.x');
	report(narrow.id_token && !('email' in idn) && !('name' in idn) && !('groups' in idn) && !('preferred_username' in idn),
		'with scope openid alone the ID token carries no profile claims', short(idn));
	const none = await signIn(s.base, 'no-such-scope other');
	report(none.status === 302 && /error=invalid_scope/.test(none.location ?? ''), 'no known scope at all: invalid_scope', short(none));
	const disc = await (await fetch(`${s.base}/.well-known/openid-configuration`)).json();
	report(disc.scopes_supported?.includes('groups') && ['name', 'groups', 'email_verified'].every((c) => disc.claims_supported?.includes(c)),
		'discovery lists the groups scope and the claims', short(disc.claims_supported));

	// ---- update: a new address is unverified ----
	r = await cli(db, ['update', 'erin', '--email', 'erin@new.example']);
	report(r.code === 0 && JSON.parse(r.stdout).email_verified === false, 'update --email: the new address is unverified', r.stdout + r.stderr);
	ui = await (await userinfo(t.access_token)).json();
	report(ui.email === 'erin@new.example' && ui.email_verified === false, '/userinfo shows the new, unverified address at once', short(ui));
	r = await cli(db, ['update', 'erin', '--email-verified', '--no-groups']);
	report(r.code === 0 && JSON.parse(r.stdout).email_verified === true && JSON.parse(r.stdout).groups.length === 0,
		'update --email-verified --no-groups', r.stdout + r.stderr);
	r = await cli(db, ['update', 'erin', '--name', 'bad\u0007name']);
	report(r.code === 2 && r.stdout === '', 'a name with a control character: usage error', r.stderr);

	// ---- set-password ----
	r = await cli(db, ['set-password', 'erin', '--keep-sessions', '--password-stdin'], PW2);
	report(r.code === 0 && JSON.parse(r.stdout).user_id === erin.user_id, 'set-password --keep-sessions: same user id', r.stderr);
	let rr = await refresh(t.refresh_token);
	const t2 = await rr.json();
	report(rr.status === 200 && typeof t2.refresh_token === 'string', 'with --keep-sessions the refresh token still works', short(t2));
	report((await signIn(s.base, 'openid', 'erin', PW)).tokens === undefined, 'the old password no longer signs in');
	t = (await signIn(s.base, 'openid offline_access', 'erin', PW2)).tokens ?? {};
	report(payload(t.id_token ?? 'x.e30.x').sub === erin.user_id, 'the new password signs in as the same sub');
	r = await cli(db, ['set-password', 'erin', '--password-stdin'], PW);
	report(r.code === 0, 'set-password again (sessions end)', r.stderr);
	for (const [rt, what] of [[t.refresh_token, 'a refresh token of a later sign-in'], [t2.refresh_token, 'the kept one']]) {
		rr = await refresh(rt);
		report(rr.status === 400 && (await rr.json()).error === 'invalid_grant', `after set-password, ${what} is refused`);
	}
	r = await cli(db, ['set-password', 'erin', '--password-stdin'], 'short');
	report(r.code === 1 && /password refused/.test(r.stderr), 'set-password holds to the password policy', r.stderr);

	// ---- disable, enable ----
	t = (await signIn(s.base, 'openid profile offline_access', 'erin', PW)).tokens ?? {};
	report(typeof t.access_token === 'string', 'signed in before being disabled');
	r = await cli(db, ['disable', 'erin']);
	report(r.code === 0 && JSON.parse(r.stdout).disabled === true, 'user disable', r.stderr);
	let x = await userinfo(t.access_token);
	report(x.status === 401 && /invalid_token/.test(x.headers.get('www-authenticate') ?? ''), '/userinfo: 401 invalid_token for a disabled user');
	x = await verify(t.access_token);
	const xv = await x.json();
	report(x.status === 401 && xv.error === 'ERR_JWT_REVOKED' && /disabled/.test(xv.message), '/verify: the token of a disabled user is revoked', short(xv));
	const xi = await introspect(t.access_token);
	report(xi.active === false, '/introspect: active false', short(xi));
	rr = await refresh(t.refresh_token);
	report(rr.status === 400 && (await rr.json()).error === 'invalid_grant', 'the refresh token of a disabled user is refused');
	let page = await signIn(s.base, 'openid', 'erin', PW);
	report(page.status === 403 && /account is disabled/.test(page.html ?? ''), 'the right password of a disabled user: a page that says so', short(page));
	page = await signIn(s.base, 'openid', 'erin', 'wrong-password-here');
	report(page.status === 200 && /incorrect/.test(page.html ?? '') && !/disabled/.test(page.html ?? ''),
		'a wrong password for a disabled user tells nothing about it', short(page));
	r = await cli(db, ['enable', 'erin']);
	report(r.code === 0 && JSON.parse(r.stdout).disabled === false, 'user enable', r.stderr);
	t = (await signIn(s.base, 'openid', 'erin', PW)).tokens ?? {};
	report(typeof t.access_token === 'string' && (await userinfo(t.access_token)).status === 200, 'enabled again: signs in, /userinfo answers');

	// ---- mfa reset: the factors go, and so do the sessions signed in on them ----
	t = (await signIn(s.base, 'openid offline_access', 'erin', PW)).tokens ?? {};
	r = await cli(db, ['mfa', 'reset', 'erin']);
	report(r.code === 0 && JSON.parse(r.stdout).factors_removed === 0 && JSON.parse(r.stdout).user_id === erin.user_id,
		'user mfa reset of a user without factors: 0 removed', r.stdout + r.stderr);
	rr = await refresh(t.refresh_token);
	report(rr.status === 400 && (await rr.json()).error === 'invalid_grant', 'after mfa reset, the refresh token of the earlier sign-in is refused');
	report((await signIn(s.base, 'openid', 'erin', PW)).tokens !== undefined, 'and the password alone signs in again');

	// ---- the client's name and logo on the sign-in pages ----
	r = await run(['client', 'update', 'web', '--db', db, '--name', 'Web <App> & "Co"', '--logo-uri', 'https://cdn.example:8443/logo.png']);
	report(r.code === 0 && r.json?.name === 'Web <App> & "Co"', 'client update --name --logo-uri', r.stderr);
	await new Promise((res) => setTimeout(res, 1200)); // past the client cache (1 s)
	const lq = new URLSearchParams({ client_id: 'web', redirect_uri: CB, response_type: 'code', scope: 'openid', code_challenge: CHALLENGE, code_challenge_method: 'S256' });
	const lp = await fetch(`${s.base}/authorize?${lq}`);
	const lh = await lp.text();
	report(lh.includes('to continue to Web &lt;App&gt; &amp; &quot;Co&quot;') && !lh.includes('<App>') && !lh.includes('continue to web'),
		'the login page shows the client\'s name, escaped, instead of its id', lh.match(/class="lead">[^<]*/)?.[0]);
	report(/<img class="logo" src="https:\/\/cdn\.example:8443\/logo\.png"/.test(lh) &&
		/img-src 'self' https:\/\/cdn\.example:8443;/.test(lp.headers.get('content-security-policy') ?? ''),
		'the logo is shown and its origin, only, is allowed by the CSP', lp.headers.get('content-security-policy'));
	r = await run(['client', 'update', 'web', '--db', db, '--name', '', '--logo-uri', '']);
	await new Promise((res) => setTimeout(res, 1200));
	const lh2 = await (await fetch(`${s.base}/authorize?${lq}`)).text();
	report(r.code === 0 && lh2.includes('to continue to web') && lh2.includes('class="logo none"'), 'name and logo removed: the id again, no logo', r.stderr);
	r = await run(['client', 'update', 'web', '--db', db, '--logo-uri', 'http://cdn.example/logo.png']);
	report(r.code === 2, 'a logo that is not https: usage error', r.stderr);

	// ---- client rotate-secret: the old secret for a grace period ----
	const cc = (secret) => fetch(`${s.base}/token`, { method: 'POST', headers: { authorization: basic('rs', secret), 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' }).then((x) => x.status);
	r = await run(['client', 'rotate-secret', 'rs', '--db', db, '--grace', '1h']);
	const rot1 = r.json?.client_secret;
	report(r.code === 0 && typeof rot1 === 'string' && rot1 !== rs.client_secret, 'rotate-secret prints a new secret once', r.stderr);
	await new Promise((res) => setTimeout(res, 1200));
	report(await cc(rot1) === 200 && await cc(rs.client_secret) === 200, 'within the grace period both the new and the old secret work');
	report(/"previous_secret_until"/.test((await run(['client', 'show', 'rs', '--db', db])).stdout), 'client show says until when the old secret works');
	r = await run(['client', 'rotate-secret', 'rs', '--db', db]);
	const rot2 = r.json?.client_secret;
	await new Promise((res) => setTimeout(res, 1200));
	report(r.code === 0 && await cc(rot2) === 200 && await cc(rot1) === 401 && await cc(rs.client_secret) === 401,
		'rotated again without --grace (default 0): only the newest secret works');
	r = await run(['client', 'rotate-secret', 'rs', '--db', db, '--grace', '1s']);
	const rot3 = r.json?.client_secret;
	await new Promise((res) => setTimeout(res, 2300));
	report(await cc(rot3) === 200 && await cc(rot2) === 401, 'after its grace period the old secret is refused');
	r = await run(['client', 'rotate-secret', 'web', '--db', db]);
	report(r.code === 1 && /public client/.test(r.stderr), 'a public client has no secret to rotate', r.stderr);

	// ---- the password typed at a terminal ----
	const typed = `typed-${crypto.randomBytes(9).toString('base64url')}`;
	let tt = await onTerminal(db, 'erin', typed, `${typed}x`);
	report(tt.code === 1 && /differ/.test(tt.out) && !tt.out.includes(typed), 'two different passwords at the terminal: refused, nothing echoed', tt.out);
	report((await signIn(s.base, 'openid', 'erin', PW)).tokens !== undefined, 'the refused change left the password as it was');
	tt = await onTerminal(db, 'erin', typed, typed);
	report(tt.code === 0 && /Repeat the password/.test(tt.out) && !tt.out.includes(typed), 'the same password twice: set, never echoed', tt.out.slice(0, 300));
	report((await signIn(s.base, 'openid', 'erin', typed)).tokens !== undefined, 'the password typed at the terminal signs in');
	r = await cli(db, ['set-password', 'erin']);
	report(r.code === 2 && /not a terminal/.test(r.stderr), 'no terminal and no --password-stdin: usage error', r.stderr);
	await stop(s, 'server');
} catch (e) {
	report(false, 'the accounts suite ran to its end', e.stack);
	for (const x of servers) await x.stop();
}
fs.rmSync(dir, { recursive: true, force: true });
finish();
