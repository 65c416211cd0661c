// http2.test.mjs: HTTP/2 only when asked for. Debian's H2O 2.2.5 predates the fix
// for HTTP/2 rapid reset (CVE-2023-44487): a client opens a stream and cancels it at
// once (HEADERS then RST_STREAM), thousands of times on one connection; every stream
// costs the server a request while the client never waits for an answer and never
// meets the limit on concurrent streams. And without TLS, HTTP/2 arrives by
// "Upgrade: h2c" (RFC 7540 §3.2) or by its preface alone (prior knowledge, §3.4),
// past whatever a proxy in front checks. So by default: no h2c, no preface on the
// plain port, no h2 by ALPN on TLS, and 3,000 HEADERS+RST_STREAM pairs get nowhere
// (not one request handled). HTTP2_CLEARTEXT=on and HTTP2=on turn each back on.
import { spawnSync } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { reporter, runSuite, serverSet, tempDir } from '../lib.mjs';
import { hreq, rawStatuses } from './lib.mjs';

const R = reporter('issuer/http2');
const { report } = R;
const { servers, serve, stop } = serverSet(report);
const tmp = tempDir('idb-http2-');
const PAIRS = 3000;

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');

/** One HTTP/2 frame (RFC 7540 §4.1). */
function frame(type, flags, stream, payload = Buffer.alloc(0)) {
	const h = Buffer.alloc(9);
	h.writeUIntBE(payload.length, 0, 3);
	h[3] = type;
	h[4] = flags;
	h.writeUInt32BE(stream, 5);
	return Buffer.concat([h, payload]);
}

/** HEADERS (END_STREAM | END_HEADERS) of GET path, HPACK without Huffman or indexing of our own. */
function headers(stream, scheme, p = '/ping') {
	const lit = (idx, v) => Buffer.concat([Buffer.from([idx, v.length]), Buffer.from(v)]);
	const block = Buffer.concat([Buffer.from([0x82, scheme === 'https' ? 0x87 : 0x86]), lit(0x04, p), lit(0x01, 'x')]);
	return frame(0x1, 0x5, stream, block);
}

const rst = (stream) => frame(0x3, 0, stream, Buffer.from([0, 0, 0, 8])); // CANCEL

/** The preface, SETTINGS, then `pairs` HEADERS+RST_STREAM (or one HEADERS when pairs is 0). */
function flood(scheme, pairs) {
	const parts = [PREFACE, frame(0x4, 0, 0)];
	if (pairs === 0) parts.push(headers(1, scheme));
	for (let i = 0; i < pairs; i++) parts.push(headers(2 * i + 1, scheme), rst(2 * i + 1));
	return Buffer.concat(parts);
}

/** HTTP/2 frames in buf: [{type, flags, stream, payload}], as far as they are whole. */
function frames(buf) {
	const out = [];
	for (let o = 0; o + 9 <= buf.length;) {
		const len = buf.readUIntBE(o, 3);
		if (o + 9 + len > buf.length) break;
		out.push({ type: buf[o + 3], flags: buf[o + 4], stream: buf.readUInt32BE(o + 5) & 0x7fffffff, payload: buf.subarray(o + 9, o + 9 + len) });
		o += 9 + len;
	}
	return out;
}

/**
 * Connect (plain, or TLS with alpn), write bytes, read for at most ms: resolves
 * {data, closedByServer, alpn}.
 */
function session(port, bytes, { alpn, ms = 3000 } = {}) {
	return new Promise((resolve) => {
		const parts = [];
		let byUs = false, negotiated;
		const onOpen = () => {
			negotiated = alpn ? s.alpnProtocol : undefined;
			s.write(bytes);
		};
		const s = alpn
			? tls.connect({ host: '127.0.0.1', port, servername: 'localhost', rejectUnauthorized: false, ALPNProtocols: alpn }, onOpen)
			: net.connect(port, '127.0.0.1', onOpen);
		s.on('data', (d) => parts.push(d));
		s.on('error', () => {});
		const timer = setTimeout(() => ((byUs = true), s.destroy()), ms);
		s.on('close', () => {
			clearTimeout(timer);
			resolve({ data: Buffer.concat(parts), closedByServer: !byUs, alpn: negotiated });
		});
	});
}

/** The requests for /ping the server has answered, from its /metrics (NaN when /metrics does not answer). */
async function answered(s) {
	const m = await hreq(`${s.metrics}/metrics`);
	if (m.status !== 200) return NaN;
	return [...m.text.matchAll(/^idb_http_requests_total\{route="\/ping",[^}]*\} (\d+)$/gm)].reduce((a, x) => a + Number(x[1]), 0);
}

const UPGRADE = 'GET /ping HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\n\r\n';

function makeCert() {
	const cert = path.join(tmp, 'c.crt'), key = path.join(tmp, 'c.key');
	const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2', '-subj', '/CN=localhost',
		'-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', key, '-out', cert], { encoding: 'utf8' });
	if (r.status !== 0) throw new Error(`openssl: ${r.stderr}`);
	return { cert, key };
}

await runSuite(R, servers, async () => {
	const db = path.join(tmp, 'h.db');
	const { cert, key } = makeCert();

	// ---- the defaults, plain HTTP
	let s = await serve({ db });
	let before = await answered(s);
	let r = await session(s.port, flood('http', PAIRS));
	let st = rawStatuses(r.data.toString('latin1'));
	report(st.length === 1 && st[0] === 400 && r.data.toString('latin1').startsWith('HTTP/1.1 400') && r.closedByServer,
		`plain port: the HTTP/2 preface and ${PAIRS} HEADERS+RST_STREAM pairs get HTTP/1.1 400 and a closed connection`, `${JSON.stringify(st)} closed ${r.closedByServer}: ${r.data.subarray(0, 60).toString('latin1')}`);
	report((await answered(s)) === before, `plain port: not one of the ${PAIRS} streams reached a handler (GET /ping)`, `${before} → ${await answered(s)}`);
	r = await session(s.port, UPGRADE, { ms: 1500 });
	let text = r.data.toString('latin1');
	report(/^HTTP\/1\.1 200 /.test(text) && !/ 101 /.test(text) && text.endsWith('OK'), 'plain port: "Upgrade: h2c" is answered as HTTP/1.1 (200, no 101 Switching Protocols)', text.slice(0, 80));
	await stop(s, 'plain server');

	// ---- the defaults, TLS
	s = await serve({ db, issuer: null, args: ['--tls-cert', cert, '--tls-key', key] });
	r = await session(s.port, Buffer.from('GET /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'), { alpn: ['h2', 'http/1.1'] });
	report(r.alpn === 'http/1.1' && /^HTTP\/1\.1 200/.test(r.data.toString('latin1')), 'TLS: a client offering h2 and http/1.1 gets http/1.1 by ALPN', `${r.alpn}: ${r.data.subarray(0, 40).toString('latin1')}`);
	before = await answered(s);
	r = await session(s.port, flood('https', PAIRS), { alpn: ['h2'] });
	st = rawStatuses(r.data.toString('latin1'));
	report(r.alpn === false && st.length === 1 && st[0] === 400 && r.closedByServer,
		`TLS: a client offering only h2 gets no ALPN, and its preface and ${PAIRS} HEADERS+RST_STREAM pairs get HTTP/1.1 400 and a closed connection`, `alpn ${r.alpn}, ${JSON.stringify(st)}, closed ${r.closedByServer}`);
	report((await answered(s)) === before, `TLS: not one of the ${PAIRS} streams reached a handler`, `${before} → ${await answered(s)}`);
	await stop(s, 'TLS server');

	// ---- HTTP2_CLEARTEXT=on: both ways back, and what rapid reset costs then
	s = await serve({ db, env: { HTTP2_CLEARTEXT: 'on' } });
	r = await session(s.port, flood('http', 0), { ms: 1500 });
	let f = frames(r.data);
	report(f.some((x) => x.type === 0x1 && x.stream === 1 && x.payload[0] === 0x88), 'HTTP2_CLEARTEXT=on: prior-knowledge HTTP/2 answers GET /ping (:status 200 on stream 1)', JSON.stringify(f.map((x) => [x.type, x.stream])));
	r = await session(s.port, UPGRADE, { ms: 1500 });
	report(/^HTTP\/1\.1 101 /.test(r.data.toString('latin1')), 'HTTP2_CLEARTEXT=on: "Upgrade: h2c" switches protocols (101)', r.data.subarray(0, 40).toString('latin1'));
	before = await answered(s);
	await session(s.port, flood('http', PAIRS), { ms: 3000 });
	console.log(`# with HTTP2_CLEARTEXT=on, ${(await answered(s)) - before} of ${PAIRS} streams cancelled at once were handled anyway (what rapid reset feeds on)`);
	await stop(s, 'h2c server');

	// ---- HTTP2=on: h2 by ALPN on TLS
	s = await serve({ db, issuer: null, args: ['--tls-cert', cert, '--tls-key', key], env: { HTTP2: 'on' } });
	r = await session(s.port, flood('https', 0), { alpn: ['h2', 'http/1.1'], ms: 1500 });
	f = frames(r.data);
	report(r.alpn === 'h2' && f.some((x) => x.type === 0x1 && x.stream === 1 && x.payload[0] === 0x88), 'HTTP2=on: ALPN selects h2 and GET /ping answers over HTTP/2', `${r.alpn} ${JSON.stringify(f.map((x) => [x.type, x.stream]))}`);
	await stop(s, 'HTTP2=on server');
});
