// framing.test.mjs: HTTP request smuggling (CWE-444) against a real server over raw
// TCP. Debian's H2O 2.2.5 reads an ambiguous head one way (the first of two
// Content-Length, Transfer-Encoding over Content-Length, an obs-fold line as a
// nameless header of its own); a proxy in front may read it the other way and end
// the body elsewhere, so that the rest is a request it never checked. Each such
// head must get 400 with "Connection: close", the connection closed by the server,
// and the request smuggled after it never answered (RFC 9112 §6.1: Content-Length
// with Transfer-Encoding; §6.3: several Content-Length; §5.2: obs-fold). The same
// requests without the ambiguity are answered, both of them, so the test can see a
// smuggled request when one gets through.
import net from 'node:net';
import path from 'node:path';
import { reporter, runSuite, serverSet, tempDir } from '../lib.mjs';
import { hreq, rawStatuses } from './lib.mjs';

const R = reporter('issuer/framing');
const { report } = R;
const { servers, serve, stop } = serverSet(report);
const tmp = tempDir('idb-framing-');

/**
 * Write bytes on one connection and keep it open (no half-close): resolves
 * {text, closedByServer} once the server closed it, or after ms (closedByServer false).
 */
function exchange(port, bytes, ms = 3000) {
	return new Promise((resolve) => {
		const parts = [];
		let byUs = false;
		const s = net.connect(port, '127.0.0.1', () => s.write(bytes));
		s.on('data', (d) => parts.push(d));
		s.on('error', () => {});
		const timer = setTimeout(() => ((byUs = true), s.destroy()), ms);
		s.on('close', () => {
			clearTimeout(timer);
			resolve({ text: Buffer.concat(parts).toString('latin1'), closedByServer: !byUs });
		});
	});
}

// The request a front proxy never saw: answered 200 if it gets through.
const SMUGGLED = 'GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n';
const chunked = (s) => `${s.length.toString(16)}\r\n${s}\r\n0\r\n\r\n`;

const attacks = [
	// CL.CL: a proxy that takes the last Content-Length forwards 5 body bytes, we would take 0.
	['two Content-Length, different (CL.CL)', `POST /verify HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: ${SMUGGLED.length}\r\n\r\n${SMUGGLED}`],
	['two Content-Length, equal', `POST /verify HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n{}${SMUGGLED}`],
	// CL.TE and TE.CL: one reader ends the body by length, the other by chunks.
	['Content-Length then Transfer-Encoding (CL.TE)', `POST /verify HTTP/1.1\r\nHost: x\r\nContent-Length: ${chunked('{}').length + SMUGGLED.length}\r\nTransfer-Encoding: chunked\r\n\r\n${chunked('{}')}${SMUGGLED}`],
	['Transfer-Encoding then Content-Length (TE.CL)', `POST /verify HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n${chunked('{}')}${SMUGGLED}`],
	['two Transfer-Encoding', `POST /verify HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n${chunked('{}')}${SMUGGLED}`],
	// obs-fold: a proxy that unfolds reads "Content-Length: 0 44" (or drops it); we read 0.
	['obs-fold continuing Content-Length', `POST /verify HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n ${SMUGGLED.length}\r\n\r\n${SMUGGLED}`],
	['obs-fold (space) in a GET', `GET /ping HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n 2\r\n\r\n${SMUGGLED}`],
	['obs-fold (tab) in a GET', `GET /ping HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n\t2\r\n\r\n${SMUGGLED}`],
];

await runSuite(R, servers, async () => {
	const s = await serve({ db: path.join(tmp, 'f.db') });

	// Controls: the same shapes, unambiguous, pipelined with the second request: both answered.
	const controls = [
		['one Content-Length', `POST /verify HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}${SMUGGLED}`],
		['chunked alone', `POST /verify HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${chunked('{}')}${SMUGGLED}`],
		['a GET with an ordinary header', `GET /ping HTTP/1.1\r\nHost: x\r\nX-A: 1 2\r\n\r\n${SMUGGLED}`],
	];
	for (const [name, bytes] of controls) {
		const r = await exchange(s.port, bytes, 1500);
		const st = rawStatuses(r.text);
		report(st.length === 2 && st[1] === 200 && !/obs-fold|more than one|both Content-Length/.test(r.text), `control, ${name}: both pipelined requests answered`, JSON.stringify(st));
	}

	for (const [name, bytes] of attacks) {
		const t0 = Date.now();
		const r = await exchange(s.port, bytes);
		const st = rawStatuses(r.text);
		report(
			st.length === 1 && st[0] === 400 && /\r\nConnection: close\r\n/i.test(r.text) && r.closedByServer && /"error":"invalid_request","error_description":"[^"]*(obs-fold|more than one|both Content-Length)/.test(r.text),
			`${name}: 400 invalid_request, Connection: close, closed by the server in ${Date.now() - t0} ms, the smuggled request never answered`,
			`statuses ${JSON.stringify(st)}, closed by server ${r.closedByServer}: ${r.text.slice(0, 300)}`,
		);
	}

	// Each refusal is counted (route "other", 400); the server still serves.
	const m = await hreq(`${s.metrics}/metrics`);
	const n = Number(/^idb_http_requests_total\{route="other",code="400"\} (\d+)$/m.exec(m.text ?? '')?.[1] ?? -1);
	report(n === attacks.length, `/metrics counts the ${attacks.length} refusals under route "other", 400`, n);
	const ok = await hreq(`${s.base}/ping`);
	report(ok.status === 200, 'the server still answers afterwards', ok.status);
	await stop(s, 'framing server');
});
