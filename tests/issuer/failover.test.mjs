// Failover with nothing lost: a PostgreSQL primary and a hot standby by streaming
// replication with synchronous commit (tests/pg.sh), two `serve` replicas on a
// multi-host URL (target_session_attrs=read-write) behind HAProxy. Under load
// that writes (revocations through /revoke, each acknowledged with 200 only
// after its commit), the primary is killed with kill -9 and the standby
// promoted; the replicas find the new primary by themselves, requests in the
// gap get 503 with Retry-After (never a wrong answer, never a hang), and every
// revocation acknowledged before, during or after the failover is still in
// force afterwards (/introspect says inactive), at both replicas.
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';
import { freePort, repo, reporter, runSuite, serverSet, sleep, startHaproxy, startPostgres, tempDir } from '../lib.mjs';
import { addClient, basic } from './lib.mjs';

const { report, finish } = reporter('issuer/failover');
const { servers, serve, stop } = serverSet(report);
const SECRETS = { SECRETS_SYSTEM: crypto.randomBytes(32).toString('base64url') };
const pgsh = (...args) => execFileSync('bash', [path.join(repo, 'tests', 'pg.sh'), ...args], { encoding: 'utf8', timeout: 120000 }).trim();

const primary = await startPostgres();
const standbyDir = tempDir('idb-pg-standby-');
process.on('exit', () => {
	try {
		execFileSync('bash', [path.join(repo, 'tests', 'pg.sh'), 'stop', standbyDir], { stdio: 'ignore' });
	} catch {}
});
let proxy = null;
await runSuite({ report, finish }, servers, async () => {
	const standbyUrl = pgsh('standby', primary.dir, standbyDir);
	const p1 = new URL(primary.url).port, p2 = new URL(standbyUrl).port;
	const DB = `postgresql://idb@127.0.0.1:${p1},127.0.0.1:${p2}/postgres?target_session_attrs=read-write`;
	report(true, `primary on ${p1}, synchronous hot standby on ${p2}; replicas use ${DB}`);

	const env = { ...SECRETS, DB_TIMEOUT_MS: '1000' };
	const svc = await addClient(DB, 'svc', ['--grant', 'client_credentials', '--audience', 'api://orders']).catch(async (e) => {
		throw new Error(`client add on the multi-host URL: ${e.message}`);
	});
	const [pa, pb, pp] = [await freePort(), await freePort(), await freePort()];
	const ISS = `http://127.0.0.1:${pp}`;
	const A = await serve({ db: DB, port: pa, issuer: ISS, threads: 2, env });
	const B = await serve({ db: DB, port: pb, issuer: ISS, threads: 2, env });
	proxy = await startHaproxy(pp, [pa, pb]);
	const auth = { authorization: basic('svc', svc.client_secret), 'content-type': 'application/x-www-form-urlencoded' };
	const mint = async () => (await (await fetch(`${ISS}/token`, { method: 'POST', headers: auth, body: 'grant_type=client_credentials&audience=api%3A%2F%2Forders' })).json()).access_token;
	const tokens = [];
	for (let i = 0; i < 400; i++) tokens.push(await mint());
	report(tokens.every(Boolean), `${tokens.length} access tokens minted through the proxy`);

	// Revoke them one by one from 4 clients; kill the primary and promote the standby midway.
	const acked = [], statuses = {};
	let next = 0, failedOverAt = 0;
	const worker = async () => {
		while (next < tokens.length) {
			const t = tokens[next++];
			let r = null;
			for (let attempt = 0; attempt < 40 && (!r || r.status === 503); attempt++) {
				if (r) await sleep(100); // Retry-After says 1 s; a test waits less
				r = await fetch(`${ISS}/revoke`, { method: 'POST', headers: auth, body: `token=${t}` }).catch(() => ({ status: 0, headers: new Headers() }));
				statuses[r.status] = (statuses[r.status] ?? 0) + 1;
				if (r.status === 503 && r.headers.get('retry-after') !== '1') statuses.noRetryAfter = (statuses.noRetryAfter ?? 0) + 1;
			}
			if (r.status === 200) acked.push(t);
		}
	};
	const load = Promise.all([worker(), worker(), worker(), worker()]);
	while (next < 120) await sleep(10);
	pgsh('crash', primary.dir);
	const crashedAt = Date.now();
	await sleep(300);
	pgsh('promote', standbyDir);
	failedOverAt = Date.now();
	await load;
	report(acked.length === tokens.length, `every revocation was acknowledged in the end (${acked.length} of ${tokens.length}; answers ${JSON.stringify(statuses)})`);
	report(!statuses.noRetryAfter && Object.keys(statuses).every((s) => ['200', '503'].includes(s)), 'during the failover only 200 or 503 with Retry-After: 1, never another answer', JSON.stringify(statuses));
	report(failedOverAt - crashedAt < 5000, `standby promoted ${failedOverAt - crashedAt} ms after the crash`);

	// Every acknowledged revocation holds on the new primary, at both replicas.
	let active = 0, unknown = 0;
	for (const [i, t] of acked.entries()) {
		const base = i % 2 ? A.base : B.base;
		let r = await fetch(`${base}/introspect`, { method: 'POST', headers: auth, body: `token=${t}` });
		for (let k = 0; k < 5 && r.status === 503; k++) // what Retry-After asks of a client
			r = await sleep(200).then(() => fetch(`${base}/introspect`, { method: 'POST', headers: auth, body: `token=${t}` }));
		const j = await r.json().catch(() => ({}));
		if (r.status !== 200) unknown++;
		else if (j.active !== false) active++;
	}
	report(active === 0 && unknown === 0, `all ${acked.length} acknowledged revocations are in force after the failover (at A and B alike)`, `${active} active again, ${unknown} not answered`);
	const fresh = await mint();
	report(typeof fresh === 'string', 'the replicas serve new tokens from the promoted standby');
	await proxy.stop();
	proxy = null;
	await stop(A, 'replica A');
	await stop(B, 'replica B');
	pgsh('stop', standbyDir);
});
