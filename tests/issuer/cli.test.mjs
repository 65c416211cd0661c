// The store commands, as an operator runs them: `identity-backend keys` (list,
// rotate, retire) and `identity-backend client` (add, list, remove; with
// post-logout redirect URIs and the ID token alg) against a
// fresh SQLite file in a temporary directory. Checks the JSON they print, their
// exit statuses (0 ok, 1 store answer or failure, 2 usage), and that private key
// material and client secrets never leak: not on stdout or stderr (every output
// of the run is kept and searched at the end), not in `list`, not in clear in
// the database file.
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { calculateJwkThumbprint } from 'jose';
import { BIN, reporter, sanitizerReport } from '../lib.mjs';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'idb-cli-'));
const db = path.join(tmp, 'identity.db');
const NOW = 1_800_000_000;
const B64URL43 = /^[A-Za-z0-9_-]{43}$/;
const { report, skip, finish } = reporter('issuer/cli');
const transcript = []; // every stdout and stderr of the run
const secrets = []; // every client secret printed

/** Run the binary; env entries set to undefined are removed. */
function run(args, { input = '', env = {}, cwd = tmp } = {}) {
	const e = { ...process.env, ...env };
	for (const k of ['KEY_LEAD_SECONDS', 'JWT_EXPIRATION_MINUTES']) if (!(k in env)) delete e[k];
	const r = spawnSync(BIN, args, { input, env: e, cwd, encoding: 'utf8', timeout: 60000 });
	if (r.error) throw new Error(`cannot run ${BIN}: ${r.error.message}`);
	transcript.push(r.stdout, r.stderr);
	let json;
	try {
		json = JSON.parse(r.stdout);
	} catch {
		json = undefined;
	}
	return { code: r.status, signal: r.signal, out: r.stdout, err: r.stderr, json };
}
const keys = (...a) => run(['keys', ...a, '--db', db]);
const client = (args, opts) => run(['client', ...args, '--db', db], opts);
const show = (r) => `exit ${r.code} ${r.signal ?? ''} ${(r.out ?? '').slice(0, 200)} ${(r.err ?? '').slice(0, 300)}`;

/** The sqlite3 shell, when installed, reads the file as an independent witness. */
const hasSqlite = spawnSync('sqlite3', ['-version']).status === 0;
const sql = (file, q) => spawnSync('sqlite3', [file, q], { encoding: 'utf8' }).stdout.trim();

try {
	// ---- keys rotate ----
	const kids = new Map(); // alg -> kid
	for (const alg of ['ES256', 'RS256', 'PS256', 'EdDSA']) {
		const r = keys('rotate', '--alg', alg, '--lead', '0', '--now', String(NOW));
		const ok = r.code === 0 && r.json?.alg === alg && B64URL43.test(r.json?.kid ?? '') && r.json?.not_before === NOW;
		report(ok, `keys rotate --alg ${alg} prints {kid, alg, not_before}`, show(r));
		report(ok && Object.keys(r.json).sort().join() === 'alg,kid,not_before', `keys rotate ${alg}: nothing else printed`, show(r));
		if (ok) kids.set(alg, r.json.kid);
	}
	report(new Set(kids.values()).size === 4, 'every rotation has its own kid', [...kids.values()].join());
	const mode = fs.statSync(db).mode & 0o777;
	report(mode === 0o600, 'the database file is mode 0600', mode.toString(8));

	let r = keys('rotate', '--now', String(NOW + 1)); // the newest key: it signs ES256 once its lead is over
	report(r.code === 0 && r.json.alg === 'ES256' && r.json.not_before === NOW + 301, 'rotate defaults: ES256, lead 300 s', show(r));
	const pendingKid = r.json?.kid;
	r = run(['keys', 'rotate', '--db', db, '--now', String(NOW)], { env: { KEY_LEAD_SECONDS: '42' } });
	report(r.code === 0 && r.json.not_before === NOW + 42, 'KEY_LEAD_SECONDS sets the lead', show(r));
	const lead42 = r.json?.kid;
	r = run(['keys', 'rotate', '--db', db, '--lead', '7', '--now', String(NOW)], { env: { KEY_LEAD_SECONDS: '42' } });
	report(r.code === 0 && r.json.not_before === NOW + 7, '--lead overrides KEY_LEAD_SECONDS', show(r));
	const lead7 = r.json?.kid;
	r = run(['keys', 'rotate', '--db', db], { env: { KEY_LEAD_SECONDS: 'soon' } });
	report(r.code === 2 && /KEY_LEAD_SECONDS/.test(r.err), 'an invalid KEY_LEAD_SECONDS is a usage error', show(r));
	for (const bad of [['--alg', 'HS256'], ['--alg', 'none'], ['--lead', '-1'], ['--lead', '1x'], ['--grace', '5']]) {
		r = keys('rotate', ...bad);
		report(r.code === 2 && r.out === '', `rotate ${bad.join(' ')}: usage error, nothing printed`, show(r));
	}

	// ---- keys list ----
	r = keys('list', '--now', String(NOW));
	const list0 = r.json ?? [];
	const byKid = (l, kid) => l.find((k) => k.kid === kid);
	report(r.code === 0 && Array.isArray(r.json) && r.json.length === 7, 'keys list prints every key as an array', show(r));
	report([...kids.values()].every((kid) => byKid(list0, kid)?.status === 'active'), 'keys with lead 0 are active', r.out.slice(0, 400));
	report(['pending', 'pending', 'pending'].join() === [pendingKid, lead42, lead7].map((k) => byKid(list0, k)?.status).join(),
		'keys within their lead time are pending', r.out.slice(0, 400));
	const fields = new Set(list0.flatMap(Object.keys));
	report([...fields].sort().join() === 'alg,created_at,kid,not_before,signing,status',
		'list members: kid, alg, status, signing, created_at, not_before', [...fields].join());
	report(list0.filter((k) => k.signing).map((k) => k.kid).sort().join() === [...kids.values()].sort().join(),
		'the signing key of each alg is marked', r.out.slice(0, 400));
	r = keys('list', '--now', String(NOW + 301));
	report(r.code === 0 && r.json.every((k) => k.status === 'active'), 'after the lead time every key is active', show(r));
	report(r.json?.find((k) => k.alg === 'ES256' && k.signing)?.kid === pendingKid, 'then the newest ES256 key signs', show(r));
	for (const bad of [['--alg', 'ES256'], ['--lead', '0'], ['--grace', '0'], ['extra']]) {
		r = keys('list', ...bad);
		report(r.code === 2, `list ${bad.join(' ')}: usage error`, show(r));
	}

	// ---- keys retire ----
	const es = kids.get('ES256');
	r = keys('retire', es, '--now', String(NOW + 10));
	report(r.code === 0 && r.json?.kid === es && r.json.retired_at === NOW + 10 && r.json.expires_at === NOW + 10 + 15 * 60 + 300,
		'retire: retired now, unpublished after 15 min + 300 s by default', show(r));
	r = keys('list', '--now', String(NOW + 10));
	const retired = byKid(r.json ?? [], es);
	report(retired?.status === 'retired' && retired.retired_at === NOW + 10 && retired.expires_at === NOW + 1210 && !retired.signing,
		'list shows the key retired, with retired_at and expires_at', JSON.stringify(retired));
	r = keys('retire', es, '--now', String(NOW + 20));
	report(r.code === 1 && /already retired/.test(r.err) && r.out === '', 'retire twice: exit 1, already retired', show(r));
	r = keys('retire', 'A'.repeat(43), '--now', String(NOW));
	report(r.code === 1 && /no such key/.test(r.err), 'retire an unknown kid: exit 1, no such key', show(r));
	r = run(['keys', 'retire', '--db', db, '--now', String(NOW), '--', '--not-a-flag-but-a-kid']);
	report(r.code === 1 && /no such key/.test(r.err), 'after "--" a kid may begin with "--"', show(r));
	const rs = kids.get('RS256');
	r = run(['keys', 'retire', rs, '--db', db, '--now', String(NOW)], { env: { JWT_EXPIRATION_MINUTES: '60' } });
	report(r.code === 0 && r.json.expires_at === NOW + 3600 + 300, 'JWT_EXPIRATION_MINUTES sets the grace', show(r));
	r = run(['keys', 'retire', kids.get('PS256'), '--db', db, '--now', String(NOW)], { env: { JWT_EXPIRATION_MINUTES: '0' } });
	report(r.code === 2 && /JWT_EXPIRATION_MINUTES/.test(r.err), 'JWT_EXPIRATION_MINUTES=0 is a usage error', show(r));
	r = keys('retire', kids.get('PS256'), '--grace', '60', '--now', String(NOW));
	report(r.code === 0 && r.json.expires_at === NOW + 60, '--grace sets the grace', show(r));
	r = keys('list', '--now', String(NOW + 61));
	report(r.code === 0 && !byKid(r.json, kids.get('PS256')) && byKid(r.json, rs)?.status === 'retired',
		'a key past its expires_at is no longer listed', show(r));
	for (const bad of [[], ['--alg', 'ES256'], ['a', 'b']]) {
		r = keys('retire', ...bad);
		report(r.code === 2, `retire ${bad.join(' ') || '(no kid)'}: usage error`, show(r));
	}

	// ---- the stored keys, read independently ----
	if (hasSqlite) {
		const rows = sql(db, "SELECT kid || ' ' || alg || ' ' || hex(private_der) FROM signing_keys").split('\n');
		let match = 0;
		for (const row of rows) {
			const [kid, alg, hex] = row.split(' ');
			const der = Buffer.from(hex, 'hex');
			const jwk = crypto.createPublicKey(crypto.createPrivateKey({ key: der, format: 'der', type: 'pkcs8' })).export({ format: 'jwk' });
			const fits = { ES256: jwk.crv === 'P-256', RS256: jwk.kty === 'RSA', PS256: jwk.kty === 'RSA', EdDSA: jwk.crv === 'Ed25519' }[alg];
			if (fits && (await calculateJwkThumbprint(jwk)) === kid) match++;
			for (const form of [der.toString('hex'), der.toString('hex').toUpperCase(), der.toString('base64'), der.toString('base64url')])
				for (let i = 0; i + 24 <= form.length; i += 24)
					if (transcript.some((t) => t.includes(form.slice(i, i + 24)))) report(false, `private key bytes of ${kid} printed`);
		}
		report(rows.length === 7 && match === 7, 'each stored key is a PKCS#8 key of its alg whose RFC 7638 thumbprint is its kid', `${match}/${rows.length}`);
	} else {
		skip('sqlite3 shell not installed: stored keys not cross-checked');
	}

	// ---- client add ----
	r = client(['add', '--id', 'svc-a', '--audience', 'api://orders', '--subject', 'svc-a', '--subject', 'worker 1', '--scope', 'orders:read orders:write']);
	report(r.code === 0 && r.json?.client_id === 'svc-a' && B64URL43.test(r.json?.client_secret ?? ''),
		'client add prints client_id and a 43-char base64url secret', show(r));
	report(r.json && Object.keys(r.json).sort().join() === 'client_id,client_secret', 'client add prints nothing else', show(r));
	const secretA = r.json?.client_secret;
	secrets.push(secretA);
	r = client(['add', '--id', 'svc-b']);
	secrets.push(r.json?.client_secret);
	report(r.code === 0 && r.json.client_secret !== secretA, 'every client gets its own secret', show(r));

	const given = 'x'.repeat(20) + '-operator-chosen-secret!';
	r = client(['add', '--id', 'svc-c', '--secret-stdin'], { input: `${given}\n` });
	report(r.code === 0 && r.json?.client_secret === given, '--secret-stdin: that secret, its trailing newline removed', show(r));
	secrets.push(given);
	for (const [input, why] of [['short-secret\n', 'shorter than 32'], ['', 'empty'], ['s'.repeat(1025), 'over 1 KiB'],
		[`${'é'.repeat(20)}\n`, 'not printable ASCII'], [`${'a'.repeat(20)}\t${'b'.repeat(20)}`, 'a control character']]) {
		r = client(['add', '--id', 'svc-stdin-bad', '--secret-stdin'], { input });
		report(r.code === 2 && r.out === '', `--secret-stdin ${why}: usage error`, show(r));
	}
	r = client(['add', '--id', 'svc-a']);
	report(r.code === 1 && /client exists/.test(r.err) && r.out === '', 'a duplicate id: exit 1, client exists', show(r));

	for (const [args, why] of [
		[['add'], 'no --id'],
		[['add', '--id', 'bad id'], 'an id with a space'],
		[['add', '--id', 'a/b'], 'an id with a slash'],
		[['add', '--id', 'x'.repeat(129)], 'an id of 129 chars'],
		[['add', '--id', ''], 'an empty id'],
		[['add', '--id', 'g1', '--grant', 'password', '--public'], 'the password grant for a public client'],
		[['add', '--id', 'g2', '--grant', 'implicit'], 'the implicit grant'],
		[['add', '--id', 'g3', '--grant', 'authorization_code'], 'authorization_code without a redirect URI'],
		[['add', '--id', 'g4', '--grant', 'refresh_token'], 'refresh_token alone'],
		[['add', '--id', 'g5', '--redirect-uri', 'https://app.example/cb'], 'a redirect URI without authorization_code'],
		[['add', '--id', 'g6', '--audience', 'a\nb'], 'an audience with a newline'],
		[['add', '--id', 'g7', '--subject', ''], 'an empty subject'],
		[['add', '--id', 'g8', '--scope', 'a  b'], 'a scope with two spaces'],
		[['add', '--id', 'g9', '--scope', 'a "b"'], 'a scope with a quote'],
		[['add', '--id', 'g10', '--public', '--grant', 'client_credentials', '--redirect-uri', 'https://a.example/cb'], 'a public client with client_credentials'],
		[['add', '--id', 'g11', '--public', '--secret-stdin', '--redirect-uri', 'https://a.example/cb'], 'a public client with a secret'],
		[['add', '--id', 'g12', '--frobnicate', 'x'], 'an unknown option'],
		[['add', '--id', 'g13', 'extra'], 'an extra argument'],
		[['add', '--id', 'g14', '--post-logout-redirect-uri', 'https://app.example/bye'], 'a post-logout URI without authorization_code'],
		[['add', '--id', 'g15', '--id-token-alg', 'ES256'], 'an ID token alg without authorization_code'],
		[['add', '--id', 'g16', '--public', '--redirect-uri', 'https://a.example/cb', '--id-token-alg'], '--id-token-alg without a value'],
		[['frob'], 'an unknown subcommand'],
		[[], 'no subcommand'],
	]) {
		r = client(args);
		report(r.code === 2 && r.out === '', `client ${why}: usage error`, show(r));
	}
	for (const uri of ['javascript:alert(1)', 'data:text/html,hi', 'https://app.example/cb#frag', '/relative/cb', 'app.example/cb',
		'https://', 'https:///cb', 'http://user@app.example/cb', 'https://app.example/c b', 'https://app.example/%zz', 'file:///etc/passwd', `https://a.example/${'p'.repeat(2100)}`]) {
		r = client(['add', '--id', 'uri-bad', '--grant', 'authorization_code', '--redirect-uri', uri]);
		report(r.code === 2, `redirect URI refused: ${uri.slice(0, 40)}`, show(r));
	}
	for (const uri of ['javascript:alert(1)', 'https://app.example/bye#frag', '/bye', 'http://user@app.example/bye', 'https://app.example/b y', '']) {
		r = client(['add', '--id', 'logout-bad', '--public', '--redirect-uri', 'https://a.example/cb', '--post-logout-redirect-uri', uri]);
		report(r.code === 2 && r.out === '' && /--post-logout-redirect-uri/.test(r.err), `post-logout redirect URI refused: ${uri.slice(0, 40) || '(empty)'}`, show(r));
	}
	for (const alg of ['HS256', 'none', 'es256', 'ES384', 'RS256 ', '']) {
		r = client(['add', '--id', 'alg-bad', '--public', '--redirect-uri', 'https://a.example/cb', '--id-token-alg', alg]);
		report(r.code === 2 && r.out === '' && /invalid --id-token-alg \(RS256, PS256, ES256 or EdDSA\)/.test(r.err),
			`--id-token-alg ${JSON.stringify(alg)}: usage error naming the choices`, show(r));
	}
	r = client(['add']);
	report(/--post-logout-redirect-uri U/.test(r.err) && /--id-token-alg RS256\|PS256\|ES256\|EdDSA/.test(r.err), 'the usage names the two logout and ID token options', show(r));
	r = client(['add', '--id', 'web', '--grant', 'authorization_code', '--grant', 'refresh_token', '--consent',
		'--redirect-uri', 'https://app.example/cb?x=1', '--redirect-uri', 'http://127.0.0.1:8765/cb', '--redirect-uri', 'com.example.app:/oauth2redirect',
		'--post-logout-redirect-uri', 'https://app.example/bye', '--post-logout-redirect-uri', 'com.example.app:/logout',
		'--post-logout-redirect-uri', 'https://app.example/bye', '--id-token-alg', 'PS256', '--id-token-alg', 'EdDSA']);
	report(r.code === 0 && B64URL43.test(r.json?.client_secret ?? ''), 'a confidential login client with https, loopback and private-use redirect URIs', show(r));
	secrets.push(r.json?.client_secret);
	r = client(['add', '--id', 'spa', '--public', '--redirect-uri', 'https://spa.example/']);
	report(r.code === 0 && r.json?.client_id === 'spa' && !('client_secret' in r.json), 'a public client has no secret', show(r));

	if (fs.existsSync('/dev/full')) {
		const full = fs.openSync('/dev/full', 'w');
		const f = spawnSync(BIN, ['client', 'add', '--id', 'unseen', '--db', db], { stdio: ['ignore', full, 'pipe'], encoding: 'utf8' });
		fs.closeSync(full);
		transcript.push(f.stderr ?? '');
		report(f.status === 1 && /cannot write/.test(f.stderr) && !client(['list']).out.includes('unseen'),
			'a secret that could not be printed is not kept: the add is undone', `exit ${f.status} ${f.stderr}`);
	}

	// ---- client list ----
	r = client(['list']);
	const clients = r.json ?? [];
	const byId = (id) => clients.find((c) => c.client_id === id);
	report(r.code === 0 && Array.isArray(r.json) && clients.map((c) => c.client_id).join() === 'spa,svc-a,svc-b,svc-c,web',
		'client list: every client, in id order', show(r));
	report(clients.every((c) => Object.keys(c).sort().join() ===
		'audiences,client_id,consent,created_at,grants,id_token_alg,post_logout_redirect_uris,public,redirect_uris,require_mfa,scope,subjects'),
		'list members: client_id, public, consent, require_mfa, grants, redirect_uris, post_logout_redirect_uris, id_token_alg, audiences, subjects, scope, created_at',
		r.out.slice(0, 300));
	report(!secrets.some((s) => s && r.out.includes(s)) && !/secret|hash|salt/i.test(r.out), 'client list never shows a secret, hash or salt', r.out.slice(0, 300));
	const a = byId('svc-a');
	report(a && a.grants.join() === 'client_credentials' && a.audiences.join() === 'api://orders' && a.subjects.join('|') === 'svc-a|worker 1' &&
		a.scope === 'orders:read orders:write' && a.public === false && a.consent === false && Math.abs(a.created_at - Date.now() / 1000) < 600,
		'svc-a is stored as given', JSON.stringify(a));
	const w = byId('web');
	report(w && w.grants.join() === 'authorization_code,refresh_token' && w.redirect_uris.length === 3 && w.consent === true &&
		w.scope === 'openid profile email groups offline_access', 'web: grants, redirect URIs, consent, the OIDC default scope', JSON.stringify(w));
	report(w && w.post_logout_redirect_uris.join() === 'https://app.example/bye,com.example.app:/logout' && w.id_token_alg === 'EdDSA',
		'web: post-logout URIs in order, a repeat kept once; the last --id-token-alg wins', JSON.stringify(w));
	const spa = byId('spa');
	report(spa && spa.public === true && spa.grants.join() === 'authorization_code', 'a public client defaults to authorization_code', JSON.stringify(spa));
	report(spa && Array.isArray(spa.post_logout_redirect_uris) && spa.post_logout_redirect_uris.length === 0 && spa.id_token_alg === 'RS256',
		'without the options: no post-logout URIs, id_token_alg RS256', JSON.stringify(spa));
	report(a && a.post_logout_redirect_uris.length === 0 && a.id_token_alg === 'RS256', 'a client_credentials client lists the same defaults', JSON.stringify(a));
	report(client(['list', '--grant', 'x']).code === 2 && client(['list', 'extra']).code === 2, 'list takes no other arguments');

	if (hasSqlite) {
		const bytes = fs.readFileSync(db);
		const wal = fs.existsSync(`${db}-wal`) ? fs.readFileSync(`${db}-wal`) : Buffer.alloc(0);
		report(!secrets.some((s) => s && (bytes.includes(s) || wal.includes(s))), 'no client secret is in the database file in clear');
		report(sql(db, "SELECT length(secret_hash) || ',' || length(secret_salt) FROM clients WHERE id = 'svc-a'") === '32,16' &&
			sql(db, "SELECT secret_hash IS NULL FROM clients WHERE id = 'spa'") === '1', 'the store holds a 32-byte hash and a 16-byte salt; a public client none');
		report(sql(db, "SELECT quote(id_token_alg) || ' ' || replace(post_logout_uris, char(10), '|') FROM clients WHERE id = 'web'") ===
			"'EdDSA' https://app.example/bye|com.example.app:/logout" && sql(db, "SELECT quote(id_token_alg) FROM clients WHERE id = 'spa'") === "''",
			'stored: the alg as given ("" when none: RS256) and the post-logout URIs as a newline list');
	}

	// ---- client remove ----
	r = client(['remove', 'svc-b']);
	report(r.code === 0 && r.json?.removed === 'svc-b', 'client remove prints {"removed":ID}', show(r));
	r = client(['remove', 'svc-b']);
	report(r.code === 1 && /no such client/.test(r.err), 'removing it again: exit 1, no such client', show(r));
	report(client(['remove']).code === 2 && client(['remove', 'a', 'b']).code === 2, 'remove needs exactly one ID');
	report(!client(['list']).json?.some((c) => c.client_id === 'svc-b'), 'a removed client is gone from the list');

	// ---- the database path ----
	for (const [where, why] of [['/dev/null/identity.db', 'under a non-directory'], [path.join(tmp, 'no/such/dir/x.db'), 'in a missing directory'], [tmp, 'a directory']]) {
		for (const cmd of [['keys', 'list'], ['client', 'list'], ['keys', 'rotate']]) {
			r = run([...cmd, '--db', where]);
			// A command that only reads finds no database in a missing directory: a usage error.
			const code = cmd[1] === 'list' && why === 'in a missing directory' ? 2 : 1;
			report(r.code === code && r.signal === null && new RegExp(`^identity-backend ${cmd[0]}: .+`).test(r.err) && r.out === '',
				`${cmd.join(' ')} with a database ${why}: exit ${code} with a reason`, show(r));
		}
	}
	const junk = path.join(tmp, 'junk.db');
	fs.writeFileSync(junk, 'this is not a database '.repeat(100), { mode: 0o600 });
	r = run(['client', 'list', '--db', junk]);
	report(r.code === 1 && r.signal === null && /junk\.db/.test(r.err), 'a file that is not a database: exit 1 with a reason', show(r));
	if (process.getuid?.() !== 0) {
		const ro = path.join(tmp, 'ro.db');
		fs.copyFileSync(db, ro);
		fs.chmodSync(ro, 0o400);
		r = run(['client', 'add', '--id', 'new', '--db', ro]);
		report(r.code === 1 && r.signal === null && r.out === '' && /identity-backend client: /.test(r.err), 'a read-only database: exit 1 with a reason, no secret printed', show(r));
	} else {
		skip('running as root: a read-only file is writable');
	}

	const work = path.join(tmp, 'cwd');
	fs.mkdirSync(work);
	r = run(['keys', 'list'], { cwd: work });
	report(r.code === 2 && r.out === '' && r.err.trim() === 'identity-backend keys: no database at var/identity.db' && !fs.existsSync(path.join(work, 'var')),
		'keys list without a database: "no database at var/identity.db", exit 2, nothing created', show(r));
	r = run(['keys', 'rotate', '--alg', 'ES256'], { cwd: work });
	const varMode = fs.existsSync(path.join(work, 'var')) ? fs.statSync(path.join(work, 'var')).mode & 0o777 : 0;
	report(r.code === 0 && r.json?.alg === 'ES256' && varMode === 0o700 && (fs.statSync(path.join(work, 'var/identity.db')).mode & 0o777) === 0o600,
		'keys rotate without --db: var/identity.db, var/ made mode 0700', `${show(r)} var ${varMode.toString(8)}`);
	r = run(['--help']);
	report(r.code === 0 && /keys rotate/.test(r.out) && /client add/.test(r.out) && /verify/.test(r.out) && /serve/.test(r.out), '--help describes verify, serve, keys and client');
	report(run(['keys']).code === 2 && run(['keys', 'frob']).code === 2, 'keys without or with an unknown subcommand: usage error');

	// ---- nothing private ever printed ----
	const all = transcript.join('\n');
	report(!/"(d|p|q|dp|dq|qi|k)"\s*:/.test(all), 'no private JWK member (d, p, q, dp, dq, qi, k) in any output');
	report(!/PRIVATE|BEGIN /.test(all), 'no PEM in any output');
	report(!sanitizerReport(all), 'no sanitizer report (SAN=1 builds)', sanitizerReport(all));
	const shown = secrets.filter(Boolean).map((s) => all.split(s).length - 1);
	report(shown.every((n) => n === 1), 'each client secret was printed exactly once', shown.join());
} catch (e) {
	report(false, 'the suite ran to the end', e.stack);
} finally {
	fs.rmSync(tmp, { recursive: true, force: true });
}
finish();
