// Private keys sealed at rest (SECRETS_SYSTEM): on SQLite, keys made without a
// secret are stored as plain DER; `keys reseal` seals them all (ChaCha20-Poly1305,
// bound to each kid); a server without the secret then refuses to start with a
// reason, one with it serves and its tokens verify against its JWKS (the same
// keys as before); the secret is rotated by listing the new one first, resealing,
// and dropping the old; `keys rotate` with a secret stores the new key sealed.
// On PostgreSQL, serve refuses to start without SECRETS_SYSTEM, and every key
// it makes is sealed in the database.
import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import * as jose from 'jose';
import { launchServer, reporter, runSuite, serverSet, startPostgres, tempDir } from '../lib.mjs';
import { addClient, basic, run } from './lib.mjs';

const { report, finish } = reporter('issuer/seal');
const { servers, serve, stop } = serverSet(report);
const S1 = crypto.randomBytes(32).toString('base64url');
const S2 = crypto.randomBytes(32).toString('base64url');
const MAGIC = Buffer.from('IDBSEAL1').toString('hex').toUpperCase();

const sql = (db, q) => execFileSync('sqlite3', [db, q], { encoding: 'utf8' }).trim();
const prefixes = (db) => sql(db, 'SELECT hex(substr(private_der, 1, 8)) FROM signing_keys').split('\n');

async function token(base, secret) {
	const r = await fetch(`${base}/token`, { method: 'POST', headers: { authorization: basic('svc', secret), 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials&audience=api' });
	return (await r.json()).access_token;
}

const pg = await startPostgres();
const dir = tempDir('idb-seal-');
await runSuite({ report, finish }, servers, async () => {
	const DB = path.join(dir, 'id.db');
	const svc = await addClient(DB, 'svc', ['--grant', 'client_credentials', '--audience', 'api']);
	let srv = await serve({ db: DB });
	const before = await token(srv.base, svc.client_secret);
	await stop(srv, 'plain server');
	report(prefixes(DB).every((p) => p.startsWith('30')), 'no secret: private keys stored as plain DER (SEQUENCE)', prefixes(DB).join(' '));

	let r = await run(['doctor', '--db', DB], { env: { SECRETS_SYSTEM: S1 } });
	report(r.code === 1 && (r.stdout.match(/its private key is stored unsealed/g) ?? []).length === prefixes(DB).length, 'doctor with SECRETS_SYSTEM set: every plain key is a finding', r.stdout);
	r = await run(['keys', 'reseal', '--db', DB]);
	report(r.code === 2 && /needs SECRETS_SYSTEM/.test(r.stderr), 'keys reseal without SECRETS_SYSTEM: exit 2, says why', r.stderr);
	r = await run(['keys', 'reseal', '--db', DB], { env: { SECRETS_SYSTEM: 'too-short' } });
	report(r.code === 2 && /shorter than 32/.test(r.stderr) && !r.stderr.includes('too-short'), 'a secret under 32 bytes: exit 2, the secret not echoed', r.stderr);
	r = await run(['keys', 'reseal', '--db', DB], { env: { SECRETS_SYSTEM: S1 } });
	report(r.code === 0 && r.json?.resealed === prefixes(DB).length && prefixes(DB).every((p) => p === MAGIC), `keys reseal: every key sealed (${r.json?.resealed})`, r.stdout + r.stderr);

	r = await run(['doctor', '--db', DB], { env: { SECRETS_SYSTEM: S1 } });
	report(!/stored unsealed/.test(r.stdout), 'after the reseal doctor finds no unsealed key', r.stdout);
	const refused = await launchServer({ db: DB, readyMs: 10000 });
	const out = await refused.exited;
	report(refused.outcome === 'exited' && out.code !== 0 && /is sealed, and no secret in SECRETS_SYSTEM opens it/.test(refused.stderr()), 'a server without the secret refuses to start, saying the keys are sealed', refused.stderr().trim().split('\n').pop());
	const wrong = await launchServer({ db: DB, env: { SECRETS_SYSTEM: S2 }, readyMs: 10000 });
	await wrong.exited;
	report(wrong.outcome === 'exited', 'with another secret: refused too');

	srv = await serve({ db: DB, env: { SECRETS_SYSTEM: S1 } });
	const jwks = jose.createRemoteJWKSet(new URL(`${srv.base}/.well-known/jwks.json`));
	const a = await jose.jwtVerify(before, jwks).then(() => true, () => false);
	const b = await jose.jwtVerify(await token(srv.base, svc.client_secret), jwks).then(() => true, () => false);
	report(a && b, 'with the secret: it serves; a token signed before the reseal and a new one verify against its JWKS');
	await stop(srv, 'sealed server');

	// Rotating the secret: the new one first, reseal, then the old one can go.
	r = await run(['keys', 'reseal', '--db', DB], { env: { SECRETS_SYSTEM: `${S2},${S1}` } });
	report(r.code === 0, 'keys reseal with "new,old": sealed with the new secret', r.stderr);
	const onlyOld = await launchServer({ db: DB, env: { SECRETS_SYSTEM: S1 }, readyMs: 10000 });
	await onlyOld.exited;
	report(onlyOld.outcome === 'exited', 'the old secret alone no longer opens them');
	srv = await serve({ db: DB, env: { SECRETS_SYSTEM: S2 } });
	report(!!(await token(srv.base, svc.client_secret)), 'the new secret alone serves');
	await stop(srv, 'server after the secret rotation');
	r = await run(['keys', 'rotate', '--db', DB, '--alg', 'EdDSA'], { env: { SECRETS_SYSTEM: S2 } });
	const kid = r.json?.kid;
	report(r.code === 0 && sql(DB, `SELECT hex(substr(private_der, 1, 8)) FROM signing_keys WHERE kid = '${kid}'`) === MAGIC, 'keys rotate with a secret stores the new key sealed', r.stdout + r.stderr);

	// PostgreSQL: required, and what it stores is sealed.
	const refusedPg = await run(['serve', '--db', pg.url], { timeout: 10000 });
	report(refusedPg.code === 2 && /SECRETS_SYSTEM is required with PostgreSQL/.test(refusedPg.stderr), 'serve on PostgreSQL without SECRETS_SYSTEM: exit 2 with the reason', refusedPg.stderr.trim());
	const rotPg = await run(['keys', 'rotate', '--db', pg.url]);
	report(rotPg.code === 2 && /required with PostgreSQL/.test(rotPg.stderr), 'keys rotate on PostgreSQL without it: exit 2', rotPg.stderr.trim());
	srv = await serve({ db: pg.url, env: { SECRETS_SYSTEM: S1 } });
	const rows = execFileSync('psql', [pg.url, '-qAt', '-c', "SELECT encode(substr(private_der, 1, 8), 'hex') FROM signing_keys"], { encoding: 'utf8' }).trim().split('\n');
	report(rows.length >= 3 && rows.every((x) => x.toUpperCase() === MAGIC), `PostgreSQL: every key the server made is sealed in the database (${rows.length})`, rows.join(' '));
	await stop(srv, 'PostgreSQL server');
	fs.rmSync(dir, { recursive: true, force: true });
});
