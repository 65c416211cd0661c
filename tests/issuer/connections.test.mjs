// connections.test.mjs: a flood of idle connections (slowloris, descriptor
// exhaustion) against a real server. With MAX_CONNECTIONS=N the process holds at
// most N client connections: the (N+1)th waits in the kernel's backlog, unanswered,
// until one of the N closes, and is then answered. And when the process runs out of
// descriptors (a low `ulimit -n`), accept fails with EMFILE while the listening
// socket stays readable: a server that retries at once spins a core doing nothing.
// It must pause accepting instead (its CPU time over 2 s stays under 20% of a core,
// read from /proc/PID/stat) and answer again once descriptors are free.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { BIN, childEnv, freePort, reporter, runSuite, sanitizerReport, serveArgs, serverSet, sleep, stopChild, tempDir } from '../lib.mjs';
import { hreq, until } from './lib.mjs';

const R = reporter('issuer/connections');
const { report } = R;
const { servers, serve, stop } = serverSet(report);
const tmp = tempDir('idb-conns-');
const PING = 'GET /ping HTTP/1.1\r\nHost: x\r\n\r\n';

/** A connection to port, once connected: {sock, answers()} where answers() counts the 200s read so far. */
function connect(port) {
	return new Promise((resolve, reject) => {
		let text = '';
		const sock = net.connect(port, '127.0.0.1', () => resolve({ sock, answers: () => (text.match(/HTTP\/1\.1 200 /g) ?? []).length }));
		sock.on('data', (d) => (text += d.toString('latin1')));
		sock.on('error', reject);
	});
}

const answered = (conns) => conns.map((c) => c.answers());

/** utime + stime of pid in seconds (/proc/PID/stat fields 14 and 15, in clock ticks of 1/100 s). */
function cpuSeconds(pid) {
	const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
	const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // f[0] is field 3
	return (Number(f[11]) + Number(f[12])) / 100;
}

await runSuite(R, servers, async () => {
	const db = path.join(tmp, 'c.db');

	// ---- MAX_CONNECTIONS=4, 7 connections
	const N = 4, K = 3;
	const s = await serve({ db, threads: 2, env: { MAX_CONNECTIONS: String(N) } });
	report(/"max_connections":4/.test(s.stderr()), 'the start line says max_connections 4', s.stderr().split('\n').find((l) => l.includes('listening')));
	const conns = [];
	for (let i = 0; i < N + K; i++) conns.push(await connect(s.port));
	for (const c of conns) c.sock.write(PING);
	await until(() => answered(conns).filter(Boolean).length >= N, 3000, 20);
	await sleep(500); // time for a wrong extra answer to show
	let a = answered(conns);
	report(a.slice(0, N).every((x) => x === 1) && a.slice(N).every((x) => x === 0),
		`MAX_CONNECTIONS=${N}: of ${N + K} open connections the first ${N} are answered, the other ${K} wait (in the backlog)`, JSON.stringify(a));
	const m = await hreq(`${s.metrics}/metrics`);
	report(m.status === 200, 'the /metrics listener still answers while the public one is full', m.status);

	// Two of the served ones close: the two oldest waiting ones are accepted and answered.
	let t0 = Date.now();
	conns[0].sock.destroy();
	conns[1].sock.destroy();
	await until(() => answered(conns).slice(N, N + 2).every((x) => x === 1), 3000, 10);
	const waited = Date.now() - t0;
	await sleep(300);
	a = answered(conns);
	report(a[N] === 1 && a[N + 1] === 1 && a[N + 2] === 0, `two close: the next two waiting are answered (after ${waited} ms), the last still waits`, JSON.stringify(a));

	t0 = Date.now();
	conns[2].sock.destroy();
	await until(() => answered(conns)[N + 2] === 1, 3000, 10);
	report(answered(conns)[N + 2] === 1, `one more closes: the last one is answered (after ${Date.now() - t0} ms)`, JSON.stringify(answered(conns)));
	for (const c of conns) c.sock.destroy();
	const after = await hreq(`${s.base}/ping`);
	report(after.status === 200, 'all closed: a new connection is served at once', after.status);
	await stop(s, 'MAX_CONNECTIONS server');

	// ---- out of descriptors: ulimit -n 64, 150 idle connections
	const port = await freePort();
	const child = spawn('bash', ['-c', 'ulimit -n 64 && exec "$0" "$@"', BIN, ...serveArgs({ db, port, threads: 2 })], { env: childEnv({}), stdio: ['ignore', 'ignore', 'pipe'] });
	let err = '';
	child.stderr.on('data', (d) => (err += d));
	try {
		const up = await until(() => err.includes('"msg":"listening"'), 20000, 50);
		report(up, 'serve runs under ulimit -n 64', err.slice(0, 300));
		const idle = [];
		for (let i = 0; i < 150; i++) idle.push(await connect(port).catch(() => null));
		const opened = idle.filter(Boolean).length;
		await sleep(500); // the server meets EMFILE and settles
		const c0 = cpuSeconds(child.pid);
		const w0 = Date.now();
		await sleep(2000);
		const pct = ((cpuSeconds(child.pid) - c0) / ((Date.now() - w0) / 1000)) * 100;
		report(pct < 20, `${opened} idle connections exhaust the server's descriptors: its CPU over 2 s is ${pct.toFixed(1)}% of a core (< 20%: no accept loop spinning on EMFILE)`, `${pct.toFixed(1)}%`);
		report(/cannot accept connections[^\n]*"reason":"Too many open files"/.test(err) && err.split('cannot accept connections').length === 2, 'running out of descriptors is logged, once', err.split('\n').filter((l) => /accept|limit of open files/.test(l)).join(' | '));
		for (const c of idle) c?.sock.destroy();
		t0 = Date.now();
		const ok = await until(async () => (await hreq(`http://127.0.0.1:${port}/ping`, { timeout: 1000 })).status === 200, 5000, 50);
		report(ok, `all closed: it answers again (after ${Date.now() - t0} ms)`, err.slice(-300));
	} finally {
		const r = await stopChild(child);
		report(r.code === 0, 'the ulimit server stops cleanly on SIGTERM', `${r.code} ${r.signal}`);
		report(!sanitizerReport(err), 'the ulimit server: no sanitizer report on its stderr', sanitizerReport(err));
	}
});
