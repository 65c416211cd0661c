// cli_opts.test.mjs: the options every command shares the spelling of: --name=VALUE as
// well as --name VALUE (and "--" ending the options), usage errors for an empty --db and
// an unknown option, serve --listen on localhost and on IPv6 loopback with issuer URLs to
// match, and verify's spans of time as jose writes them.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import * as jose from 'jose';
import { freePort, launchServer, reporter, tempDir } from '../lib.mjs';
import { hreq, run } from './lib.mjs';

const { report, skip, finish } = reporter('issuer/cli_opts');
const tmp = tempDir('idb-cliopts-');
const db = path.join(tmp, 'o.db');
const show = (r) => `exit ${r.code} ${r.stdout.slice(0, 200)} ${r.stderr.slice(0, 200)}`;

try {
	// --name=VALUE everywhere.
	let r = await run(['client', 'add', '--id=svc', '--audience=api', `--db=${db}`]);
	report(r.code === 0 && r.json?.client_id === 'svc', 'client add --id=svc --audience=api --db=FILE', show(r));
	r = await run(['client', 'list', `--db=${db}`]);
	report(r.code === 0 && r.json?.[0]?.audiences?.includes?.('api'), 'client list --db=FILE: the audience given as --audience=api', show(r));
	r = await run(['keys', 'rotate', '--alg=EdDSA', '--lead=0', `--db=${db}`]);
	report(r.code === 0 && r.json?.alg === 'EdDSA', 'keys rotate --alg=EdDSA --lead=0', show(r));
	r = await run(['user', 'add', '--username=ann', `--db=${db}`, '--password-stdin'], { input: 'correct horse battery staple\n', env: { PASSWORD_ARGON2_TEST: '1', PASSWORD_ARGON2_M_KIB: '64', PASSWORD_ARGON2_T: '1' } });
	report(r.code === 0 && r.json?.username === 'ann', 'user add --username=ann', show(r));
	r = await run(['client', 'remove', `--db=${db}`, '--', '--id=x']);
	report(r.code === 1 && /no such client: --id=x/.test(r.stderr), 'after "--", --id=x is an argument, not an option', show(r));
	r = await run(['client', 'add', '--id=', `--db=${db}`]);
	report(r.code === 2 && r.stdout === '', '--id= (an empty value) is a usage error, nothing added', show(r));

	// The getopt_long parsers: every option as --name=VALUE, switches among them, and
	// one line saying what is wrong (exit 2) for an empty --db or an unknown option.
	r = await run(['keys', 'rotate', '--alg=ES256', '--lead=0', `--db=${db}`]);
	report(r.code === 0 && r.json?.alg === 'ES256', 'keys rotate --alg=ES256 --db=FILE', show(r));
	r = await run(['keys', 'list', `--db=${db}`]);
	report(r.code === 0 && r.json?.some?.((k) => k.alg === 'ES256'), 'keys list --db=FILE: the ES256 key is there', show(r));
	r = await run(['client', 'add', '--id=x', '--public', '--grant=authorization_code', '--redirect-uri=https://app.example/cb', '--id-token-alg=ES256', `--db=${db}`]);
	report(r.code === 0 && r.json?.client_id === 'x' && !('client_secret' in (r.json ?? {})), 'client add --id=x --public --grant=… --redirect-uri=… --id-token-alg=ES256', show(r));
	r = await run(['client', 'list', `--db=${db}`]);
	const x = r.json?.find?.((c) => c.client_id === 'x');
	report(x?.public === true && x?.redirect_uris?.[0] === 'https://app.example/cb' && x?.id_token_alg === 'ES256', 'client list: x as given with --name=VALUE', show(r));
	r = await run(['client', 'remove', 'x', `--db=${db}`]);
	report(r.code === 0 && r.json?.removed === 'x', 'client remove x --db=FILE', show(r));
	const firstLine = (t) => t.split('\n')[0];
	for (const cmd of [['keys', 'list'], ['client', 'list'], ['user', 'list']]) {
		r = await run([...cmd, '--db=']);
		report(r.code === 2 && r.stdout === '' && new RegExp(`^identity-backend ${cmd[0]}: [^\\n]*\\n$`).test(r.stderr), `${cmd.join(' ')} --db= (empty): one line, exit 2`, show(r));
	}
	for (const cmd of [['keys', 'list'], ['client', 'list'], ['user', 'list'], ['verify', `--jwks=${db}`, 'x']]) {
		r = await run([...cmd, '--frob=1', `--db=${db}`]);
		report(r.code === 2 && r.stdout === '' && firstLine(r.stderr) === `identity-backend ${cmd[0]}: unknown option: --frob`, `${cmd[0]} --frob=1: "unknown option: --frob", exit 2`, show(r));
	}
	r = await run(['serve', '--frob=1', `--db=${db}`]);
	report(r.code === 2 && r.stderr === 'identity-backend serve: invalid option: --frob\n', 'serve --frob=1: one line, exit 2', show(r));

	// verify: spans of time.
	const { publicKey, privateKey } = await jose.generateKeyPair('ES256', { extractable: true });
	const jwk = { ...(await jose.exportJWK(publicKey)), kid: 'k1', alg: 'ES256' };
	const jwks = path.join(tmp, 'jwks.json');
	fs.writeFileSync(jwks, JSON.stringify({ keys: [jwk] }));
	const now = 1700000000;
	const tok = await new jose.SignJWT({ sub: 'a' }).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).setIssuedAt(now - 3 * 3600).setExpirationTime(now - 30).sign(privateKey);
	const verify = (...a) => run(['verify', `--jwks=${jwks}`, `--now=${now}`, ...a, tok]);
	r = await verify();
	report(r.code === 1 && r.json?.error === 'ERR_JWT_EXPIRED', 'a token expired 30 s ago: ERR_JWT_EXPIRED', show(r));
	r = await verify('--leeway=1m');
	report(r.code === 0 && r.json?.valid === true, '--leeway=1m (60 s) covers it', show(r));
	r = await verify('--leeway', '29s');
	report(r.code === 1 && r.json?.error === 'ERR_JWT_EXPIRED', '--leeway 29s does not', show(r));
	r = await verify('--leeway=1m', '--max-age=2h');
	report(r.code === 1 && r.json?.error === 'ERR_JWT_EXPIRED' && r.json?.claim === 'iat', '--max-age=2h: issued 3 h ago is too old', show(r));
	r = await verify('--leeway=1m', '--max-age', '1d');
	report(r.code === 0, '--max-age 1d: young enough', show(r));
	for (const bad of ['5x', '-5m', 'm', '1.5h', '']) {
		r = await verify(`--max-age=${bad}`);
		report(r.code === 2 && /invalid value for/.test(r.stderr), `--max-age=${JSON.stringify(bad)}: usage error`, show(r));
	}

	// verify --jwks URL: fetched once over http(s); a key set that cannot be had is a usage error.
	const site = http.createServer((req, res) => {
		if (req.url === '/jwks.json') return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
		if (req.url === '/moved') return res.writeHead(302, { location: '/jwks.json' }).end();
		if (req.url === '/huge') return res.writeHead(200).end(' '.repeat(2 << 20));
		res.writeHead(404).end('no');
	});
	await new Promise((res) => site.listen(0, '127.0.0.1', res));
	const url = `http://127.0.0.1:${site.address().port}`;
	const byUrl = (u) => run(['verify', `--jwks=${u}`, `--now=${now}`, '--leeway=1m', tok]);
	r = await byUrl(`${url}/jwks.json`);
	report(r.code === 0 && r.json?.valid === true, 'verify --jwks http://…/jwks.json: fetched, verified', show(r));
	r = await byUrl(`${url}/moved`);
	report(r.code === 0 && r.json?.valid === true, 'verify --jwks follows a redirect', show(r));
	r = await byUrl(`${url}/missing.json`);
	report(r.code === 2 && /^identity-backend verify: cannot fetch .*missing\.json: .*404/.test(r.stderr) && r.stdout === '', 'a 404: "cannot fetch", exit 2, no verdict', show(r));
	r = await byUrl(`${url}/huge`);
	report(r.code === 1 && r.json?.error === 'ERR_JWKS_INVALID', 'a body larger than a key set may be: ERR_JWKS_INVALID, exit 1 (as for a file)', show(r));
	site.close();
	r = await byUrl(`http://127.0.0.1:${await freePort()}/jwks.json`);
	report(r.code === 2 && /^identity-backend verify: cannot fetch /.test(r.stderr), 'nobody listening: "cannot fetch", exit 2', show(r));
	r = await byUrl('ftp://127.0.0.1/jwks.json');
	report(r.code === 2 && /^identity-backend verify: ftp:\/\/127\.0\.0\.1\/jwks\.json: /.test(r.stderr), 'another scheme is a file name, not fetched', show(r));

	// Positionals that begin with "-" (a base64url KID may) are arguments, not options;
	// options are spelt out in full; "--" ends the options.
	r = await run(['keys', 'retire', '-abcDEF', '--db', db]);
	report(r.code === 1 && /no such key: -abcDEF/.test(r.stderr), 'keys retire -abcDEF: a KID beginning with "-" is an argument (no such key, exit 1)', show(r));
	r = await run(['keys', 'retire', '--db', db, '--', '--abc']);
	report(r.code === 1 && /no such key: --abc/.test(r.stderr), 'keys retire -- --abc: after "--" even "--abc" is the KID', show(r));
	r = await run(['keys', 'list', '--d', db]);
	report(r.code === 2 && /unknown option: --d\b/.test(r.stderr), 'an abbreviated option (--d for --db) is refused', show(r));

	// serve --listen localhost:PORT and [::1]:PORT.
	const s = await launchServer({ db, port: null, issuer: null, args: ['--listen', `localhost:${await freePort()}`] });
	if (s.outcome === 'listening') {
		const port = Number(/"address":"127\.0\.0\.1:(\d+)"/.exec(s.stderr())?.[1]);
		const d = await hreq(`http://127.0.0.1:${port}/.well-known/openid-configuration`);
		report(d.json?.issuer === `http://localhost:${port}`, '--listen localhost:PORT: listens on 127.0.0.1, issuer http://localhost:PORT', d.text?.slice(0, 100));
	} else report(false, '--listen localhost:PORT starts', s.stderr());
	await s.stop();
	const port4 = await freePort();
	const s4 = await launchServer({ db, port: null, issuer: null, args: [`--listen=127.0.0.1:${port4}`] });
	if (s4.outcome === 'listening') {
		const d = await hreq(`http://127.0.0.1:${port4}/.well-known/openid-configuration`);
		report(d.json?.issuer === `http://127.0.0.1:${port4}`, 'serve --listen=127.0.0.1:PORT: listens there, issuer http://127.0.0.1:PORT', d.text?.slice(0, 100));
	} else report(false, 'serve --listen=127.0.0.1:PORT starts', s4.stderr());
	await s4.stop();
	const v6 = spawnSync('sh', ['-c', 'cat /proc/net/if_inet6 2>/dev/null | grep -c "00000000000000000000000000000001"'], { encoding: 'utf8' }).stdout.trim();
	if (v6 === '0' || !v6) {
		skip('--listen [::1]:PORT', 'no IPv6 loopback here');
	} else {
		const port6 = await freePort();
		const s6 = await launchServer({ db, port: null, issuer: null, args: ['--listen', `[::1]:${port6}`] });
		const d = s6.outcome === 'listening' ? await fetch(`http://[::1]:${port6}/.well-known/openid-configuration`).then(async (x) => ({ json: await x.json(), text: '' })).catch((e) => ({ text: e.message })) : {};
		report(s6.outcome === 'listening' && d.json?.issuer === `http://[::1]:${port6}` && /"address":"\[::1\]:/.test(s6.stderr()), '--listen [::1]:PORT: IPv6 loopback, issuer http://[::1]:PORT', `${s6.outcome} ${d.text?.slice(0, 100)} ${s6.stderr().slice(0, 200)}`);
		await s6.stop();
	}
	for (const bad of ['example.com:8080', 'localhost', '[::1]', '127.0.0.1:99999']) {
		const x = await launchServer({ db, port: null, issuer: null, args: ['--listen', bad], readyMs: 10000 });
		const e = x.outcome === 'exited' ? await x.exited : { code: null };
		if (x.outcome !== 'exited') await x.stop('SIGKILL');
		report(e.code === 2 && /^identity-backend serve: invalid --listen/.test(x.stderr()), `--listen ${bad}: refused, exit 2`, `${e.code} ${x.stderr()}`);
	}
} catch (e) {
	report(false, 'suite ran to the end', e.stack);
}
finish();
