// backup.test.mjs: `identity-backend backup` as an operator uses it: a copy taken while a
// server serves and other writers write, that passes SQLite's integrity check and that a
// server opens as it is (restore); an existing target is refused unless --force; a copy
// that fails or is killed half-way leaves nothing under the target's name.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { BIN, childEnv, reporter, serverSet, tempDir, runSuite } from '../lib.mjs';
import { addClient, basic, hreq, run, until } from './lib.mjs';

const R = reporter('issuer/backup');
const { report } = R;
const { servers, serve, stop } = serverSet(report);
const tmp = tempDir('idb-backup-');
const db = path.join(tmp, 'live.db');
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const ISS = 'http://issuer.test'; // both servers, on their own ports, are this issuer
const sql = (file, q) => spawnSync('sqlite3', ['-cmd', '.timeout 5000', file, q], { encoding: 'utf8' });
const mode = (f) => (fs.statSync(f).mode & 0o777).toString(8);
const show = (r) => `exit ${r.code} ${r.stdout?.slice(0, 200)} ${r.stderr?.slice(0, 300)}`;

await runSuite(R, servers, async () => {
	const c = await addClient(db, 'svc', ['--audience', 'api']);
	// A database of some size, so the copy takes long enough to overlap other writers.
	const fill = sql(db, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200000) INSERT INTO revoked_tokens SELECT 'jti-' || i, 4000000000 FROM n;");
	report(fill.status === 0, 'the database holds 200000 revocations (about 10 MB)', fill.stderr);
	const s = await serve({ db, issuer: ISS });
	const tok = await hreq(`${s.base}/token`, { method: 'POST', headers: { ...FORM, authorization: basic(c.client_id, c.client_secret) }, body: 'grant_type=client_credentials' });
	// Every key made (the key thread finishes the last ones just after start-up).
	await until(async () => (await hreq(`${s.base}/.well-known/jwks.json`)).json?.keys?.length === 4, 5000);
	const jwksBefore = (await hreq(`${s.base}/.well-known/jwks.json`)).json;

	// 1. A copy while the server serves and the CLI writes.
	const copy = path.join(tmp, 'copy.db');
	const writers = Array.from({ length: 5 }, (_, i) => run(['client', 'add', '--db', db, '--id', `during-${i}`]));
	const r = await run(['backup', '--db', db, '--to', copy]);
	const w = await Promise.all(writers);
	report(r.code === 0 && r.json?.backup === copy && r.json?.bytes === fs.statSync(copy).size, 'backup --to FILE: exit 0, {"backup","bytes"} printed', show(r));
	report(w.every((x) => x.code === 0), 'five client adds during the copy all succeeded', w.map((x) => x.code).join(' '));
	report(mode(copy) === '600', 'the copy is mode 0600 (it holds the private keys)', mode(copy));
	const ic = sql(copy, 'PRAGMA integrity_check; PRAGMA journal_mode;');
	report(ic.status === 0 && ic.stdout.trim() === 'ok\ndelete', 'the copy passes integrity_check and is a standalone file (no WAL)', ic.stdout + ic.stderr);
	report(sql(copy, 'SELECT count(*) FROM revoked_tokens;').stdout.trim() === '200000', 'the copy holds every row of the original');
	report(fs.readdirSync(tmp).every((f) => !f.includes('.partial-')), 'no temporary file is left beside it');

	// 2. Restore: a server on the copy has the same keys and clients.
	const s2 = await serve({ db: copy, issuer: ISS });
	const jwksCopy = (await hreq(`${s2.base}/.well-known/jwks.json`)).json;
	const tok2 = await hreq(`${s2.base}/token`, { method: 'POST', headers: { ...FORM, authorization: basic(c.client_id, c.client_secret) }, body: 'grant_type=client_credentials' });
	const v = await hreq(`${s2.base}/verify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: tok.json?.access_token, aud: 'api' }) });
	report(JSON.stringify(jwksCopy) === JSON.stringify(jwksBefore), 'restored: the same published keys');
	report(tok2.status === 200 && v.status === 200 && v.json?.valid === true, 'restored: the client authenticates, and a token of the original server verifies', `${tok2.status} ${v.status} ${v.text}`);
	await stop(s2, 'restored server');

	// 3. An existing target: refused, untouched; --force replaces it.
	const before = fs.readFileSync(copy);
	let x = await run(['backup', '--db', db, '--to', copy]);
	report(x.code === 2 && x.stdout === '' && /^identity-backend backup: the target exists/.test(x.stderr) && fs.readFileSync(copy).equals(before), 'an existing target: exit 2, one line, the file untouched', show(x));
	x = await run(['backup', '--db', db, `--to=${copy}`, '--force']);
	report(x.code === 0 && sql(copy, "SELECT count(*) FROM clients WHERE id LIKE 'during-%';").stdout.trim() === '5', '--force replaces it with a fresh copy (--to=FILE works too)', show(x));

	// 4. Failures leave nothing under the target's name.
	x = await run(['backup', '--db', db, '--to', path.join(tmp, 'no/such/dir/x.db')]);
	report(x.code === 1 && /^identity-backend backup: /.test(x.stderr) && !fs.existsSync(path.join(tmp, 'no')), 'a target in a missing folder: exit 1 with a reason', show(x));
	x = await run(['backup', '--db', path.join(tmp, 'absent.db'), '--to', path.join(tmp, 'y.db')]);
	report(x.code === 2 && /no database at/.test(x.stderr) && !fs.existsSync(path.join(tmp, 'y.db')) && !fs.existsSync(path.join(tmp, 'absent.db')), 'no database: exit 2, nothing created', show(x));
	x = await run(['backup', '--db', db]);
	report(x.code === 2 && /--to FILE is required/.test(x.stderr), 'without --to: usage error', show(x));
	const killed = path.join(tmp, 'killed.db');
	const p = spawn(BIN, ['backup', '--db', db, '--to', killed], { env: childEnv(), stdio: 'ignore' });
	setTimeout(() => p.kill('SIGKILL'), 15);
	await new Promise((res) => p.on('exit', res));
	report(!fs.existsSync(killed) || sql(killed, 'PRAGMA integrity_check;').stdout.trim() === 'ok', 'a backup killed half-way leaves no partial file under the target name', fs.existsSync(killed) ? 'complete copy' : 'absent');
	await stop(s, 'serving server');
});
