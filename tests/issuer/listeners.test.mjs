// listeners.test.mjs: /metrics off the public address. Its counters tell anyone who
// can reach the issuer how sign-ins fare (failed, locked, limited), how many
// tokens go out and which clients fail to authenticate: an attacker watches the
// effect of a guessing run or a lockout campaign there. So the public port answers
// /metrics 404 like any unknown path (whatever the Host header says), METRICS_LISTEN
// starts a listener of its own that serves /metrics alone, and an address in use
// for it refuses start-up with one line and exit 2. /health stays public and
// reports no counts of outcomes. Also: every new setting refused when invalid.
import net from 'node:net';
import path from 'node:path';
import { freePort, launchServer, reporter, runSuite, serverSet, tempDir } from '../lib.mjs';
import { hreq, raw, run } from './lib.mjs';

const R = reporter('issuer/listeners');
const { report } = R;
const { servers, serve, stop } = serverSet(report);
const tmp = tempDir('idb-listeners-');

await runSuite(R, servers, async () => {
	const db = path.join(tmp, 'l.db');

	// ---- METRICS_LISTEN set (the suites' default: tests/lib.mjs)
	let s = await serve({ db });
	await hreq(`${s.base}/ping`);
	let r = await hreq(`${s.base}/metrics`);
	report(r.status === 404 && r.json?.error === 'not_found', 'public port: GET /metrics → 404 not_found, like any unknown path', `${r.status} ${r.text}`);
	const viaHost = await raw(s.port, 'GET /metrics HTTP/1.1\r\nHost: metrics:65535\r\nConnection: close\r\n\r\n');
	report(/^HTTP\/1\.1 404/.test(viaHost.text), 'public port: a Host header naming the metrics host changes nothing (404)', viaHost.text.slice(0, 40));
	r = await hreq(`${s.metrics}/metrics`);
	report(r.status === 200 && r.headers['content-type'] === 'text/plain; version=0.0.4; charset=utf-8' &&
		/^idb_http_requests_total\{route="\/ping",code="200"\} 1$/m.test(r.text) && /^idb_logins_total\{outcome="failed"\} 0$/m.test(r.text),
	'METRICS_LISTEN: GET /metrics → 200, Prometheus text with the counters', `${r.status} ${r.headers?.['content-type']} ${r.text?.slice(0, 200)}`);
	report(!/route="\/metrics"/.test(r.text), 'no /metrics route among the public routes counted', r.text?.match(/route="[^"]*"/g)?.join(' '));
	r = await hreq(`${s.metrics}/metrics`, { method: 'HEAD' });
	report(r.status === 200, 'METRICS_LISTEN: HEAD /metrics → 200', r.status);
	r = await hreq(`${s.metrics}/ping`);
	report(r.status === 404, 'METRICS_LISTEN: every other path → 404 (/ping)', `${r.status} ${r.text}`);
	r = await hreq(`${s.metrics}/health`);
	report(r.status === 404, 'METRICS_LISTEN: every other path → 404 (/health)', `${r.status} ${r.text}`);
	r = await hreq(`${s.metrics}/metrics`, { method: 'POST', body: '' });
	report(r.status === 405 && r.headers.allow === 'GET', 'METRICS_LISTEN: POST /metrics → 405, Allow: GET', `${r.status} ${r.text}`);
	r = await hreq(`${s.base}/health`);
	report(r.status === 200 && !Object.keys(r.json ?? {}).some((k) => /login|lockout|limit|fail|issued/i.test(k)), '/health stays public and reports no counts of outcomes', r.text);
	r = await hreq(`${s.base}/health/live`);
	const ready = await hreq(`${s.base}/health/ready`);
	report(r.status === 200 && ready.status === 200, 'liveness and readiness stay on the public port', `${r.status} ${ready.status}`);
	report(new RegExp(`"metrics":"127\\.0\\.0\\.1:${new URL(s.metrics).port}"`).test(s.stderr()), 'the start line names the metrics address', s.stderr().split('\n').find((l) => l.includes('listening')));

	// ---- METRICS_LISTEN's address in use: one line, exit 2, nothing served
	const taken = net.createServer().listen(0, '127.0.0.1');
	await new Promise((ok) => taken.once('listening', ok));
	const busy = `127.0.0.1:${taken.address().port}`;
	const port = await freePort();
	let x = await run(['serve', '--db', db, '--listen', `127.0.0.1:${port}`], { env: { METRICS_LISTEN: busy }, timeout: 10000 });
	let lines = x.stderr.split('\n').filter(Boolean);
	report(x.code === 2 && lines.length === 1 && lines[0] === `identity-backend serve: cannot listen on METRICS_LISTEN ${busy}: Address already in use`,
		'METRICS_LISTEN on an address in use: refused, one line, exit 2', `${x.code} ${x.stderr}`);
	x = await run(['serve', '--db', db, '--listen', `127.0.0.1:${port}`], { env: { METRICS_LISTEN: `127.0.0.1:${port}` }, timeout: 10000 });
	report(x.code === 2 && /cannot listen on METRICS_LISTEN 127\.0\.0\.1:\d+: Address already in use/.test(x.stderr), 'METRICS_LISTEN on the public address itself: refused, exit 2', `${x.code} ${x.stderr}`);
	taken.close();
	await stop(s, 'metrics server');

	// ---- METRICS_LISTEN unset: /metrics nowhere
	s = await serve({ db, env: { METRICS_LISTEN: undefined } });
	r = await hreq(`${s.base}/metrics`);
	report(s.metrics === undefined && r.status === 404 && !/"metrics":/.test(s.stderr()), 'METRICS_LISTEN unset: /metrics → 404, no second listener', `${r.status} ${r.text}`);
	await stop(s, 'no-metrics server');

	// ---- --max-connections wins over MAX_CONNECTIONS
	s = await launchServer({ db, args: ['--max-connections', '5'], env: { MAX_CONNECTIONS: '7' } });
	report(s.outcome === 'listening' && /"max_connections":5/.test(s.stderr()), '--max-connections 5 over MAX_CONNECTIONS=7', s.stderr().slice(0, 300));
	await s.stop();

	// ---- invalid settings: one line naming the setting, exit 2
	const refusals = [
		[{ MAX_CONNECTIONS: '0' }, [], 'MAX_CONNECTIONS'],
		[{ MAX_CONNECTIONS: '1000001' }, [], 'MAX_CONNECTIONS'],
		[{ MAX_CONNECTIONS: 'lots' }, [], 'MAX_CONNECTIONS'],
		[{}, ['--max-connections', '-1'], '--max-connections'],
		[{ HTTP2: 'yes' }, [], 'HTTP2'],
		[{ HTTP2_CLEARTEXT: '1' }, [], 'HTTP2_CLEARTEXT'],
		[{ METRICS_LISTEN: 'nope' }, [], 'METRICS_LISTEN'],
		[{ METRICS_LISTEN: 'metrics.example:9464' }, [], 'METRICS_LISTEN'],
		[{ METRICS_LISTEN: '127.0.0.1:0' }, [], 'METRICS_LISTEN'],
	];
	for (const [env, args, name] of refusals) {
		x = await run(['serve', '--db', db, '--listen', `127.0.0.1:${port}`, ...args], { env, timeout: 10000 });
		lines = x.stderr.split('\n').filter(Boolean);
		report(x.code === 2 && lines.length === 1 && lines[0].startsWith('identity-backend serve: invalid') && lines[0].includes(name),
			`${JSON.stringify(env)} ${args.join(' ')}: refused, exit 2, one line naming ${name}`, `${x.code} ${x.stderr}`);
	}
});
