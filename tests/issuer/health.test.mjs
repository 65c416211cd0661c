// health.test.mjs: liveness and readiness as a load balancer or an orchestrator asks
// for them: /health/live answers while the process runs; /health/ready only while
// the store answers and the keys sign, and says which check failed.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { reporter, serverSet, tempDir, runSuite } from '../lib.mjs';
import { hreq, until } from './lib.mjs';

const R = reporter('issuer/health');
const { report } = R;
const { servers, serve, stop } = serverSet(report);
const tmp = tempDir('idb-health-');
await runSuite(R, servers, async () => {
	const db = path.join(tmp, 'h.db');
	const s = await serve({ db });
	let r = await hreq(`${s.base}/health/live`);
	report(r.status === 200 && r.json?.status === 'ok' && /application\/json/.test(r.headers['content-type']), 'GET /health/live: 200 {"status":"ok"}', r.text);
	r = await hreq(`${s.base}/health/ready`);
	report(r.status === 200 && r.json?.status === 'ready' && r.json?.checks?.store === 'ok' && r.json?.checks?.keys === 'ok',
		'GET /health/ready on a fresh start: 200 ready, store and keys ok', r.text);
	r = await hreq(`${s.base}/health/ready`, { method: 'HEAD' });
	report(r.status === 200, 'HEAD /health/ready: 200', r.status);
	for (const p of ['/health/live', '/health/ready']) {
		r = await hreq(`${s.base}${p}`, { method: 'POST', body: '' });
		report(r.status === 405 && r.headers.allow === 'GET' && r.json?.error === 'method_not_allowed', `POST ${p}: 405 with Allow: GET`, r.text);
	}

	// SIGHUP (a service manager's reload) is logged and never stops the server.
	s.child.kill('SIGHUP');
	const logged = await until(() => /"msg":"SIGHUP: nothing to reload/.test(s.stderr()), 5000);
	r = await hreq(`${s.base}/health/live`);
	report(logged && r.status === 200 && s.child.exitCode === null && s.child.signalCode === null,
		'SIGHUP: one log line, the server keeps answering', `${r.status} exit ${s.child.exitCode} ${s.child.signalCode}`);

	// The store stops answering (its table is gone under the running server): not ready,
	// the failing check named; liveness is unaffected, and the server answers no 5xx but this.
	const sq = spawnSync('sqlite3', ['-cmd', '.timeout 5000', db, 'PRAGMA foreign_keys=OFF; DROP TABLE clients;'], { encoding: 'utf8' });
	report(sq.status === 0, 'sqlite3 drops the clients table under the running server', sq.stderr);
	const ready = await until(async () => (await hreq(`${s.base}/health/ready`)).status === 503, 5000);
	r = await hreq(`${s.base}/health/ready`);
	report(ready && r.json?.status === 'not_ready' && r.json?.checks?.store === 'failing' && r.json?.checks?.keys === 'ok',
		'a store that cannot answer: 503 not_ready, checks.store "failing", keys still ok', r.text);
	r = await hreq(`${s.base}/health/live`);
	report(r.status === 200, 'the process is still live while the store fails', r.status);
	await stop(s, 'server');
});
