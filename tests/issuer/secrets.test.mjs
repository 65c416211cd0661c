// Secrets never leave where they belong (issue 6, item 5). A full session on a
// temporary database, every output kept: client add (the secrets captured), keys
// rotate for each alg, servers signing with each alg, a legacy-mode server
// (JWT_SECRET_KEY, BROWSER_UI_CLIENT_SECRET, JWT_ALGORITHM=HS256), tokens,
// /verify, /introspect, /revoke, failed and malformed authentications carrying
// real and near-miss secrets, /health, /metrics, discovery, JWKS, `keys list`,
// `client list`, bad configuration. Then every server stderr (the access log),
// every HTTP answer (status, headers, body) and every CLI stdout and stderr,
// except the one `client add` stdout that shows its secret once, is searched for:
// every client secret (also as the Basic credentials), every wrong secret sent,
// JWT_SECRET_KEY and BROWSER_UI_CLIENT_SECRET (raw, base64, base64url, hex), the
// private keys (read straight from the signing_keys table: the whole PKCS#8 DER
// and each private member, d p q dp dq qi, as base64, base64url and hex), any
// JWK private member name ("d", "p", …, "k"), and "PRIVATE KEY". The database
// file, its -wal and -shm are 0600, and the default var/ folder is 0700 (checked
// under umask 000, so the modes are the program's doing, not the umask's).
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SignJWT } from 'jose';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = path.resolve(process.env.IDB_BIN || path.join(repo, 'build/bin/identity-backend'));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'idb-secrets-'));
const db = path.join(tmp, 'identity.db');
const ISSUER = 'https://secrets.example';
const hasSqlite = spawnSync('sqlite3', ['-version']).status === 0;
let failed = 0;
const report = (pass, name, detail = '') => {
	if (!pass) failed++;
	const d = typeof detail === 'string' ? detail : JSON.stringify(detail);
	console.log(`${pass ? 'ok' : 'not ok'} - issuer/secrets: ${name}${pass ? '' : ` (${String(d).slice(0, 600)})`}`);
	return pass;
};
const skip = (name, why) => console.log(`skip - issuer/secrets: ${name} (${why})`);
process.umask(0o000); // the modes checked below must be set by the program itself

const outputs = []; // {where, text}: everything that is searched at the end
const keep = (where, text) => text && outputs.push({ where, text: String(text) });
const needles = []; // {label, value}: what must appear in no output
const secretOf = new Map(); // client id -> secret
const mode = (f) => (fs.statSync(f).mode & 0o777).toString(8).padStart(3, '0');

/** Run the CLI; everything it prints is kept unless keepStdout is false. */
function run(args, { input = '', env = {}, cwd = tmp, keepStdout = true } = {}) {
	const r = spawnSync(BIN, args, { input, env: { ...process.env, ...env }, cwd, encoding: 'utf8', timeout: 60000 });
	if (r.error) throw new Error(`cannot run ${BIN}: ${r.error.message}`);
	const where = `\`${args.slice(0, 2).join(' ')}\``;
	if (keepStdout) keep(`${where} stdout`, r.stdout);
	keep(`${where} stderr`, r.stderr);
	let json;
	try {
		json = JSON.parse(r.stdout);
	} catch {
		json = undefined;
	}
	return { code: r.status, out: r.stdout, err: r.stderr, json };
}

/** client add: its stdout is the one place a secret may show, once; it is not kept. */
function addClient(id, extra = [], opts = {}) {
	const r = run(['client', 'add', '--db', db, '--id', id, ...extra], { ...opts, keepStdout: false });
	if (r.code !== 0 || !r.json?.client_secret) throw new Error(`client add ${id}: exit ${r.code} ${r.err}`);
	secretOf.set(id, r.json.client_secret);
	needles.push({ label: `client secret of ${id}`, value: r.json.client_secret });
	needles.push({ label: `Basic credentials of ${id}`, value: Buffer.from(`${id}:${r.json.client_secret}`).toString('base64') });
	return r.json.client_secret;
}

function freePort() {
	return new Promise((resolve, reject) => {
		const s = net.createServer().listen(0, '127.0.0.1', () => {
			const { port } = s.address();
			s.close(() => resolve(port));
		});
		s.on('error', reject);
	});
}

/** Start serve (stderr kept); resolves {base, stop} once listening. */
async function serve(label, { env = {}, cwd = tmp, args = ['--db', db] } = {}) {
	const port = await freePort();
	const child = spawn(BIN, ['serve', ...args, '--listen', `127.0.0.1:${port}`, '--threads', '2', '--issuer', ISSUER], {
		env: { ...process.env, ACCESS_LOG: 'on', ...env },
		cwd,
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	let err = '';
	let out = '';
	child.stderr.on('data', (d) => (err += d));
	child.stdout.on('data', (d) => (out += d));
	const exited = new Promise((resolve) => {
		child.on('exit', (code, signal) => resolve({ code, signal }));
		child.on('error', (e) => ((err += `spawn failed: ${e.message}\n`), resolve({ code: -1, signal: null })));
	});
	await new Promise((resolve, reject) => {
		const timer = setTimeout(() => reject(new Error(`${label}: not listening after 5 s: ${err}`)), 5000);
		child.stderr.on('data', () => err.includes('"listening"') && (clearTimeout(timer), resolve()));
		exited.then(({ code }) => (clearTimeout(timer), reject(new Error(`${label}: exited ${code}: ${err}`))));
	});
	return {
		base: `http://127.0.0.1:${port}`,
		pid: child.pid,
		async stop() {
			child.kill('SIGTERM');
			const x = await exited;
			keep(`${label} stderr`, err);
			keep(`${label} stdout`, out);
			return x;
		},
		kill: () => child.kill('SIGKILL'),
	};
}

/** One HTTP exchange; the answer (status line, headers, body) is kept. */
async function http(base, p, { method = 'GET', headers = {}, body } = {}) {
	const r = await fetch(`${base}${p}`, { method, headers, body });
	const text = await r.text();
	const head = [...r.headers].map(([k, v]) => `${k}: ${v}`).join('\n');
	keep(`${method} ${p} answer`, `HTTP ${r.status} ${r.statusText}\n${head}\n\n${text}`);
	let json;
	try {
		json = JSON.parse(text);
	} catch {
		json = undefined;
	}
	return { status: r.status, json, text };
}
const basic = (id, secret) => ({ authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}` });
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const JSONH = { 'content-type': 'application/json' };
/** A secret that differs from s in its last character only. */
const nearMiss = (s) => {
	const w = s.slice(0, -1) + (s.endsWith('A') ? 'B' : 'A');
	needles.push({ label: 'a near-miss wrong secret', value: w });
	return w;
};

/** The service-to-service session against one running server, as client `id`. */
async function session(base, id, name) {
	const secret = secretOf.get(id);
	const tok = await http(base, '/token', { method: 'POST', headers: { ...basic(id, secret), ...FORM }, body: 'grant_type=client_credentials&scope=read' });
	const post = await http(base, '/token', { method: 'POST', headers: FORM, body: `grant_type=client_credentials&client_id=${id}&client_secret=${secret}` });
	const t = tok.json?.access_token;
	const v = await http(base, '/verify', { method: 'POST', headers: JSONH, body: JSON.stringify({ token: t, aud: 'api' }) });
	const i = await http(base, '/introspect', { method: 'POST', headers: { ...basic(id, secret), ...FORM }, body: `token=${t}` });
	const rv = await http(base, '/revoke', { method: 'POST', headers: { ...basic(id, secret), ...FORM }, body: `token=${post.json?.access_token}` });
	const v2 = await http(base, '/verify', { method: 'POST', headers: JSONH, body: JSON.stringify({ token: post.json?.access_token }) });
	// failures that carry secrets: wrong, near-miss, another client's, malformed, duplicated
	const wrong = crypto.randomBytes(32).toString('base64url');
	needles.push({ label: 'a random wrong secret', value: wrong });
	const near = nearMiss(secret);
	const fails = [
		await http(base, '/token', { method: 'POST', headers: { ...basic(id, wrong), ...FORM }, body: 'grant_type=client_credentials' }),
		await http(base, '/token', { method: 'POST', headers: { ...basic(id, near), ...FORM }, body: 'grant_type=client_credentials' }),
		await http(base, '/token', { method: 'POST', headers: { ...basic('nobody', secret), ...FORM }, body: 'grant_type=client_credentials' }),
		await http(base, '/token', { method: 'POST', headers: FORM, body: `grant_type=client_credentials&client_id=${id}&client_secret=${near}` }),
		await http(base, '/introspect', { method: 'POST', headers: { ...basic(id, near), ...FORM }, body: `token=${t}` }),
		await http(base, '/revoke', { method: 'POST', headers: { ...basic(id, near), ...FORM }, body: `token=${t}` }),
	];
	const malformed = [
		await http(base, '/token', { method: 'POST', headers: FORM, body: `grant_type=client_credentials&client_id=${id}&client_secret=${secret}&client_secret=${secret}` }),
		await http(base, '/token', { method: 'POST', headers: { ...basic(id, secret), ...FORM }, body: `grant_type=client_credentials&client_id=${id}&client_secret=${secret}` }),
		await http(base, '/token', { method: 'POST', headers: FORM, body: `grant_type=client_credentials&client_id=${id}&client_secret=${secret}%zz` }),
		await http(base, '/token', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: `client_secret=${secret}` }),
		await http(base, '/token', { method: 'POST', headers: { authorization: `Basic ${secret}`, ...FORM }, body: 'grant_type=client_credentials' }),
		await http(base, '/token', { method: 'POST', headers: { authorization: `Bearer ${secret}`, ...FORM }, body: 'grant_type=client_credentials' }),
		await http(base, `/token?client_secret=${secret}`, { method: 'POST', headers: FORM, body: 'grant_type=client_credentials' }),
		await http(base, '/verify', { method: 'POST', headers: JSONH, body: `{"token":"${secret}"}` }),
		await http(base, '/token', { method: 'POST', headers: JSONH, body: JSON.stringify({ sub: 'x', aud: 'api', client_id: id, client_secret: near }) }),
	];
	report(tok.status === 200 && post.status === 200 && v.json?.valid === true && i.json?.active === true && rv.status === 200 &&
		v2.json?.error === 'ERR_JWT_REVOKED', `${name}: the session works (token, post auth, verify, introspect, revoke)`,
	[tok.status, post.status, v.status, i.status, rv.status, v2.text].join());
	report(fails.every((f) => f.status === 401 && f.json?.error === 'invalid_client'), `${name}: wrong secrets get 401 invalid_client`, fails.map((f) => f.status).join());
	report(malformed.every((f) => f.status >= 400 && f.status < 500), `${name}: malformed requests carrying a secret get a 4xx`, malformed.map((f) => f.status).join());
	for (const p of ['/.well-known/openid-configuration', '/.well-known/jwks.json', '/health', '/metrics', '/ping']) await http(base, p);
	return t;
}

const servers = [];
try {
	// ---- clients and keys ----
	addClient('svc', ['--audience', 'api', '--scope', 'read write']);
	addClient('other', ['--audience', 'api2', '--scope', 'read']);
	addClient('seed', ['--subject', 'alice', '--audience', 'api']);
	const chosen = crypto.randomBytes(33).toString('base64url');
	addClient('chosen', ['--secret-stdin', '--audience', 'api', '--scope', 'read'], { input: `${chosen}\n` });
	report(secretOf.get('chosen') === chosen, 'client add --secret-stdin takes the secret given');
	const weak = 'short-but-secret-9';
	needles.push({ label: 'a refused (too short) --secret-stdin secret', value: weak });
	let r = run(['client', 'add', '--db', db, '--id', 'weak', '--secret-stdin', '--audience', 'api'], { input: weak });
	report(r.code !== 0 && r.out === '', 'a too-short --secret-stdin secret is refused, nothing on stdout', `exit ${r.code}`);
	r = run(['client', 'add', '--db', db, '--id', 'svc', '--audience', 'api']);
	report(r.code === 1 && r.out === '', 'client add of an existing id fails without printing a secret', `exit ${r.code} ${r.out}`);
	const rotated = {};
	for (const alg of ['ES256', 'RS256', 'PS256', 'EdDSA']) {
		r = run(['keys', 'rotate', '--db', db, '--alg', alg, '--lead', '0']);
		report(r.code === 0 && r.json?.alg === alg, `keys rotate --alg ${alg} --lead 0`, `exit ${r.code} ${r.err}`);
		rotated[alg] = r.json?.kid;
	}

	// ---- a server per signing alg; the first one gets the long session ----
	for (const alg of ['ES256', 'RS256', 'PS256', 'EdDSA']) {
		const s = await serve(`serve (${alg})`, { env: { JWT_ALGORITHM: alg } });
		servers.push(s);
		if (alg === 'ES256') {
			for (const f of [db, `${db}-wal`, `${db}-shm`]) {
				const exists = fs.existsSync(f);
				report(exists && mode(f) === '600', `${path.basename(f)} is mode 0600 while the server runs`, exists ? mode(f) : 'missing');
			}
		}
		const t = await session(s.base, 'svc', `serve ${alg}`);
		const header = JSON.parse(Buffer.from(String(t).split('.')[0], 'base64url').toString());
		report(header.alg === alg && header.kid === rotated[alg], `serve ${alg}: tokens are signed with the rotated ${alg} key`, JSON.stringify(header));
		await session(s.base, 'chosen', `serve ${alg} (chosen secret)`);
		const x = await s.stop();
		servers.pop();
		report(x.code === 0, `serve ${alg}: SIGTERM, exit 0`, JSON.stringify(x));
	}

	// ---- legacy mode: the seeds' shared secrets ----
	const legacy = crypto.randomBytes(36).toString('base64url'); // 48 characters
	const bui = crypto.randomBytes(30).toString('base64url'); // 40 characters
	const legacyBytes = Buffer.from(legacy);
	for (const [label, value] of [['JWT_SECRET_KEY', legacy], ['BROWSER_UI_CLIENT_SECRET', bui]]) {
		const b = Buffer.from(value);
		needles.push({ label, value }, { label: `${label} (base64)`, value: b.toString('base64') },
			{ label: `${label} (base64url)`, value: b.toString('base64url') }, { label: `${label} (hex)`, value: b.toString('hex') });
	}
	secretOf.set('browser-ui', bui);
	needles.push({ label: 'Basic credentials of browser-ui', value: Buffer.from(`browser-ui:${bui}`).toString('base64') });
	const legacyEnv = { JWT_SECRET_KEY: legacy, BROWSER_UI_CLIENT_SECRET: bui, JWT_ALGORITHM: 'HS256' };
	const s = await serve('serve (legacy HS256)', { env: legacyEnv });
	servers.push(s);
	const seedSecret = secretOf.get('seed');
	const jt = await http(s.base, '/token', { method: 'POST', headers: JSONH, body: JSON.stringify({ sub: 'alice', aud: 'api', client_id: 'seed', client_secret: seedSecret }) });
	const hs = jt.json?.token;
	report(jt.status === 200 && JSON.parse(Buffer.from(String(hs).split('.')[0], 'base64url')).alg === 'HS256', "legacy: the seeds' JSON /token signs HS256", jt.text);
	const jt2 = await http(s.base, '/token', { method: 'POST', headers: { ...JSONH, ...basic('seed', seedSecret) }, body: JSON.stringify({ sub: 'alice', aud: 'api' }) });
	report(jt2.status === 200, "legacy: the seeds' JSON /token with Basic auth", jt2.text);
	const v = await http(s.base, '/verify', { method: 'POST', headers: JSONH, body: JSON.stringify({ token: hs, aud: 'api' }) });
	report(v.json?.valid === true, 'legacy: /verify accepts the HS256 token', v.text);
	const minted = await new SignJWT({ sub: 'alice', aud: 'api' }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().setExpirationTime('5m').sign(legacyBytes);
	const v2 = await http(s.base, '/verify', { method: 'POST', headers: JSONH, body: JSON.stringify({ token: minted }) });
	report(v2.json?.valid === true, "legacy: /verify accepts an HS256 token made with JWT_SECRET_KEY (the seeds' way)", v2.text);
	const forged = await new SignJWT({ sub: 'alice' }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('5m').sign(Buffer.from(nearMiss(legacy)));
	const v3 = await http(s.base, '/verify', { method: 'POST', headers: JSONH, body: JSON.stringify({ token: forged }) });
	report(v3.status === 401, 'legacy: a token made with a near-miss secret is refused', v3.text);
	const bi = await http(s.base, '/introspect', { method: 'POST', headers: { ...basic('browser-ui', bui), ...FORM }, body: `token=${hs}` });
	report(bi.status === 200, 'legacy: browser-ui authenticates with BROWSER_UI_CLIENT_SECRET', bi.text);
	const bw = await http(s.base, '/introspect', { method: 'POST', headers: { ...basic('browser-ui', nearMiss(bui)), ...FORM }, body: `token=${hs}` });
	report(bw.status === 401, 'legacy: browser-ui with a near-miss secret gets 401', bw.text);
	await http(s.base, '/token', { method: 'POST', headers: { ...basic('browser-ui', bui), ...FORM }, body: 'grant_type=client_credentials' });
	await http(s.base, '/token', { method: 'POST', headers: FORM, body: `grant_type=client_credentials&client_id=browser-ui&client_secret=${bui}&audience=${legacy}` });
	await http(s.base, '/verify', { method: 'POST', headers: JSONH, body: JSON.stringify({ token: legacy, aud: bui }) });
	const h = await http(s.base, '/health');
	report(h.json?.legacy_hs256 === true, '/health says legacy_hs256', h.text);
	const jwks = await http(s.base, '/.well-known/jwks.json');
	report(Array.isArray(jwks.json?.keys) && jwks.json.keys.every((k) => k.kty !== 'oct'), 'legacy: the JWKS publishes no symmetric key', jwks.text.slice(0, 200));
	await session(s.base, 'svc', 'legacy');
	await http(s.base, '/metrics');
	let x = await s.stop();
	servers.pop();
	report(x.code === 0, 'legacy: SIGTERM, exit 0', JSON.stringify(x));

	// bad legacy configuration: the refusal names the setting, never the value
	const shortLegacy = crypto.randomBytes(12).toString('base64url');
	const shortBui = crypto.randomBytes(12).toString('base64url');
	needles.push({ label: 'a too-short JWT_SECRET_KEY', value: shortLegacy }, { label: 'a too-short BROWSER_UI_CLIENT_SECRET', value: shortBui });
	for (const [env, name] of [[{ JWT_SECRET_KEY: shortLegacy }, 'JWT_SECRET_KEY'], [{ BROWSER_UI_CLIENT_SECRET: shortBui }, 'BROWSER_UI_CLIENT_SECRET']]) {
		r = run(['serve', '--db', db, '--listen', '127.0.0.1:1'], { env });
		report(r.code === 2 && r.err.includes(name), `a too-short ${name} stops start-up, naming the setting`, `exit ${r.code} ${r.err}`);
	}

	// ---- the listing commands ----
	r = run(['keys', 'list', '--db', db]);
	report(r.code === 0 && Array.isArray(r.json) && r.json.length >= 4, 'keys list', `exit ${r.code}`);
	r = run(['client', 'list', '--db', db]);
	report(r.code === 0 && Array.isArray(r.json) && r.json.some((c) => c.client_id === 'browser-ui'), 'client list (browser-ui registered by legacy mode)', `exit ${r.code}`);
	r = run(['keys', 'retire', '--db', db, rotated.PS256]);
	report(r.code === 0, 'keys retire', `exit ${r.code} ${r.err}`);
	r = run(['client', 'remove', '--db', db, 'other']);
	report(r.code === 0, 'client remove', `exit ${r.code} ${r.err}`);
	r = run(['verify', '--jwks', path.join(tmp, 'missing.json'), legacy]);
	report(r.code !== 0, 'verify with a secret as the token fails', `exit ${r.code}`);

	// ---- the private keys, straight from the database ----
	if (!hasSqlite) {
		skip('private key bytes in the outputs', 'the sqlite3 CLI is not installed: cannot read signing_keys.private_der');
	} else {
		const rows = spawnSync('sqlite3', ['-separator', ' ', db, 'SELECT kid, alg, hex(private_der) FROM signing_keys'], { encoding: 'utf8' }).stdout.trim().split('\n').map((l) => l.split(' '));
		report(rows.length >= 4 && rows.every((row) => row.length === 3 && row[2].length > 64), `the private keys are read from signing_keys.private_der (${rows.length} keys)`, rows.map((row) => row[1]).join());
		let members = 0;
		for (const [kid, alg, hex] of rows) {
			const der = Buffer.from(hex, 'hex');
			for (const [enc, value] of [['hex', der.toString('hex')], ['HEX', hex], ['base64', der.toString('base64')], ['base64url', der.toString('base64url')]])
				needles.push({ label: `the ${alg} private key ${kid} (PKCS#8 DER, ${enc})`, value });
			let jwk;
			try {
				jwk = crypto.createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }).export({ format: 'jwk' });
			} catch (e) {
				report(false, `the ${alg} private key ${kid} imports as PKCS#8`, e.message);
				continue;
			}
			for (const m of ['d', 'p', 'q', 'dp', 'dq', 'qi']) {
				if (!jwk[m]) continue;
				members++;
				const b = Buffer.from(jwk[m], 'base64url');
				for (const [enc, value] of [['base64url', jwk[m]], ['base64', b.toString('base64')], ['hex', b.toString('hex')]])
					needles.push({ label: `private member ${m} of the ${alg} key ${kid} (${enc})`, value });
			}
		}
		report(members >= 6, `private members extracted (${members}: d of each EC and OKP key, d p q dp dq qi of each RSA key)`, members);
	}

	// ---- modes ----
	for (const f of [db, `${db}-wal`, `${db}-shm`].filter((f) => fs.existsSync(f)))
		report(mode(f) === '600', `${path.basename(f)} is mode 0600 at the end`, mode(f));
	const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'idb-secrets-cwd-'));
	try {
		r = run(['client', 'list'], { cwd });
		report(r.code === 0 && fs.existsSync(path.join(cwd, 'var')), 'a CLI command without --db creates var/identity.db', `exit ${r.code} ${r.err}`);
		report(mode(path.join(cwd, 'var')) === '700', 'the default var/ folder is mode 0700 (umask 000)', mode(path.join(cwd, 'var')));
		report(mode(path.join(cwd, 'var', 'identity.db')) === '600', 'the default var/identity.db is mode 0600 (umask 000)', mode(path.join(cwd, 'var', 'identity.db')));
		const cwd2 = fs.mkdtempSync(path.join(os.tmpdir(), 'idb-secrets-cwd-'));
		try {
			const d = await serve('serve (default db)', { cwd: cwd2, args: [] });
			servers.push(d);
			const got = ['var', 'var/identity.db', 'var/identity.db-wal', 'var/identity.db-shm'].map((f) => {
				const p = path.join(cwd2, f);
				return `${f} ${fs.existsSync(p) ? mode(p) : 'missing'}`;
			});
			report(got.join() === 'var 700,var/identity.db 600,var/identity.db-wal 600,var/identity.db-shm 600',
				'serve without --db: var/ 0700, identity.db, -wal and -shm 0600 (umask 000)', got.join());
			await http(d.base, '/.well-known/jwks.json');
			x = await d.stop();
			servers.pop();
		} finally {
			fs.rmSync(cwd2, { recursive: true, force: true });
		}
	} finally {
		fs.rmSync(cwd, { recursive: true, force: true });
	}

	// ---- the search ----
	const dbBytes = Buffer.concat([db, `${db}-wal`].filter((f) => fs.existsSync(f)).map((f) => fs.readFileSync(f)));
	const inDb = needles.filter((n) => /secret|JWT_SECRET_KEY|BROWSER_UI|credentials/.test(n.label) && !/private/.test(n.label))
		.filter((n) => dbBytes.includes(Buffer.from(n.value)));
	report(inDb.length === 0, 'the database file holds no client secret or shared secret in clear', inDb.map((n) => n.label).join('; '));

	const bytes = outputs.reduce((n, o) => n + o.text.length, 0);
	report(outputs.some((o) => o.where.includes('serve') && o.text.includes('"msg":"request"')), 'the access logs were captured');
	const groups = [
		['client secrets and Basic credentials', (n) => /client secret|Basic credentials/.test(n.label)],
		['wrong secrets sent in requests', (n) => /wrong secret|too short|refused/.test(n.label)],
		['JWT_SECRET_KEY (raw, base64, base64url, hex)', (n) => n.label.startsWith('JWT_SECRET_KEY')],
		['BROWSER_UI_CLIENT_SECRET (raw, base64, base64url, hex)', (n) => n.label.startsWith('BROWSER_UI_CLIENT_SECRET')],
		['private keys (PKCS#8 DER and private members; base64, base64url, hex)', (n) => /private/.test(n.label)],
	];
	for (const [what, pick] of groups) {
		const ns = needles.filter(pick);
		if (ns.length === 0 && /private/.test(what) && !hasSqlite) continue; // skipped above
		const hits = [];
		for (const n of ns) for (const o of outputs) if (o.text.includes(n.value)) hits.push(`${n.label} in ${o.where}`);
		report(ns.length > 0 && hits.length === 0, `no ${what} in any output (${ns.length} values, ${outputs.length} outputs, ${Math.round(bytes / 1024)} KiB)`, [...new Set(hits)].slice(0, 8).join('; '));
	}
	const jwkPrivate = outputs.filter((o) => /"(d|p|q|dp|dq|qi|k)"\s*:/.test(o.text)).map((o) => o.where);
	report(jwkPrivate.length === 0, 'no JWK private member ("d", "p", "q", "dp", "dq", "qi", "k") in any output', [...new Set(jwkPrivate)].join('; '));
	const pem = outputs.filter((o) => /PRIVATE KEY/i.test(o.text)).map((o) => o.where);
	report(pem.length === 0, 'no "PRIVATE KEY" in any output', pem.join('; '));
} catch (e) {
	report(false, 'secrets test ran', e.stack);
} finally {
	for (const s of servers) s.kill();
	fs.rmSync(tmp, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
