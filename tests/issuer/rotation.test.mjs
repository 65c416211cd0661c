// rotation.test.mjs: scheduled key rotation (KEY_ROTATION_DAYS) on a real server, as an
// operator meets it after the period has passed: every signing key gets a successor that
// is published before it signs (KEY_LEAD_SECONDS), the superseded key is retired but
// stays in the JWKS while a token it signed may live, and no token fails verification
// at any moment of the rotation. The keys are made "old" by moving their times back in
// the SQLite file while the server is stopped.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import * as jose from 'jose';
import { launchServer, reporter, serverSet, sleep, tempDir, runSuite } from '../lib.mjs';
import { addClient, basic, hreq, run, until } from './lib.mjs';

const R = reporter('issuer/rotation');
const { report } = R;
const { servers, serve, stop } = serverSet(report);
const tmp = tempDir('idb-rotation-');
const db = path.join(tmp, 'r.db');
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const ISS = 'http://issuer.test'; // the same for every server of the suite (their ports differ)

const kidOf = (t) => jose.decodeProtectedHeader(t).kid;
async function token(s, c) {
	const r = await hreq(`${s.base}/token`, { method: 'POST', headers: { ...FORM, authorization: basic(c.client_id, c.client_secret) }, body: 'grant_type=client_credentials' });
	return r.json?.access_token;
}
async function jwks(s) {
	return (await hreq(`${s.base}/.well-known/jwks.json`)).json?.keys ?? [];
}
/** The token verifies against the issuer's JWKS (jose) and at /verify. */
async function verifies(s, t) {
	const set = jose.createLocalJWKSet({ keys: await jwks(s) });
	try {
		await jose.jwtVerify(t, set, { issuer: ISS, audience: 'api' });
	} catch {
		return false;
	}
	const v = await hreq(`${s.base}/verify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: t, aud: 'api' }) });
	return v.status === 200 && v.json?.valid === true;
}
const age = (days) => {
	const r = spawnSync('sqlite3', ['-cmd', '.timeout 5000', db, `UPDATE signing_keys SET created_at = created_at - ${days * 86400}, not_before = not_before - ${days * 86400};`], { encoding: 'utf8' });
	return r.status === 0 ? '' : r.stderr;
};

await runSuite(R, servers, async () => {
	const c = await addClient(db, 'svc', ['--audience', 'api']);
	let s = await serve({ db, issuer: ISS });
	const old = await token(s, c);
	const oldKid = old && kidOf(old);
	const four = await until(async () => (await jwks(s)).length === 4, 5000); // the key thread makes the last ones
	report(old && four, 'a first start publishes one key per algorithm (ES256, RS256, PS256, EdDSA)');
	await stop(s, 'first server');
	report(age(2) === '', 'the keys are made two days old in the database');

	// Rotation off: old keys stay as they are.
	s = await serve({ db, issuer: ISS, env: { KEY_ROTATION_DAYS: '0' } });
	await sleep(2500);
	report((await jwks(s)).length === 4 && kidOf(await token(s, c)) === oldKid, 'KEY_ROTATION_DAYS=0: no rotation, however old the keys');
	await stop(s, 'server without rotation');

	// Rotation on: successors appear at once, sign after the lead time.
	s = await serve({ db, issuer: ISS, env: { KEY_ROTATION_DAYS: '1', KEY_LEAD_SECONDS: '3', JWT_EXPIRATION_MINUTES: '1' } });
	const failures = [];
	let minted = 0, stopLoop = false;
	const loop = (async () => {
		while (!stopLoop) {
			const t = await token(s, c);
			minted++;
			if (!t || !(await verifies(s, t))) failures.push(t ? kidOf(t) : 'no token');
			await sleep(100);
		}
	})();
	const published = await until(async () => (await jwks(s)).length === 8, 3000);
	const during = await token(s, c);
	report(published && kidOf(during) === oldKid, 'within a second: a successor per algorithm is published (8 keys), the old key still signs');
	const switched = await until(async () => kidOf(await token(s, c)) !== oldKid, 8000);
	const after = await token(s, c);
	const keysNow = (await jwks(s)).map((k) => k.kid);
	report(switched && keysNow.includes(oldKid) && keysNow.includes(kidOf(after)), 'after the lead time the successor signs; the old key is still published', `${kidOf(after)} in ${keysNow.join(' ')}`);
	report(await verifies(s, old), 'a token signed by the old key before the rotation still verifies (JWKS and /verify)');
	await sleep(1500);
	stopLoop = true;
	await loop;
	report(minted > 20 && failures.length === 0, `no token failed verification during the rotation (${minted} minted and verified)`, failures.join(' '));
	const list = await run(['keys', 'list', '--db', db]);
	const oldRow = list.json?.find?.((k) => k.kid === oldKid);
	report(oldRow && oldRow.status === 'retired', 'keys list: the superseded key is retired', JSON.stringify(oldRow));
	await stop(s, 'rotating server');

	// A value out of range stops start-up with one line.
	for (const v of ['-1', '3651', '1.5']) {
		const bad = await launchServer({ db, env: { KEY_ROTATION_DAYS: v }, readyMs: 10000 });
		const x = bad.outcome === 'exited' ? await bad.exited : { code: null };
		if (bad.outcome !== 'exited') await bad.stop('SIGKILL');
		const lines = bad.stderr().split('\n').filter(Boolean);
		report(x.code === 2 && lines.length === 1 && lines[0].startsWith('identity-backend serve: invalid KEY_ROTATION_DAYS'),
			`KEY_ROTATION_DAYS=${v}: refused at start-up, exit 2, one line`, `${x.code} ${bad.stderr()}`);
	}
});
