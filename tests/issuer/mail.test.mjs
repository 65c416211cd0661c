// mail.test.mjs: mail as an operator and a user get it, with a real SMTP server
// (Debian's python3-aiosmtpd, tests/mail/smtpd.py) on a loopback port:
// `mail test` queues through the CLI and the running server sends; the SMTP server
// killed in the middle of a queue and started again: every mail arrives exactly
// once; the issuer killed while the SMTP server is down: nothing is lost; STARTTLS
// with a password (masked in every log line), implicit TLS, and smtp:// refusing to
// send in the clear to a server without STARTTLS; a silent SMTP server does not
// hold up a stopping issuer; two replicas on one PostgreSQL send each mail once; a
// recipient with CR LF refused;
// the messages wiped from the outbox once sent; the idb_mail_* metrics.
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import net from 'node:net';
import path from 'node:path';
import { freePort, reporter, runSuite, serverSet, sleep, startPostgres, tempDir } from '../lib.mjs';
import { header, haveSmtpd, makeCert, startSmtpd } from '../mail/smtpd.mjs';
import { hreq, run, until } from './lib.mjs';

const R = reporter('issuer/mail');
const { report, skip } = R;
const { servers, serve, stop } = serverSet(report);
const tmp = tempDir('idb-mail-');
const db = path.join(tmp, 'mail.db');
const FROM = 'Idëntity Tést “Ω” <idp@issuer.test>';
const PASSWORD = 'Sm7p-pa55w0rd-never-logged';
const sql = (q) => spawnSync('sqlite3', ['-cmd', '.timeout 5000', db, q], { encoding: 'utf8' }).stdout.trim();
const env = (url, more = {}) => ({ SMTP_URL: url, MAIL_FROM: FROM, MAIL_RETRY_SECONDS: '1', ...more });
const show = (r) => `exit ${r.code} ${r.stdout.slice(0, 300)} ${r.stderr.slice(0, 300)}`;
const metric = async (s, name) => Number(((await hreq(`${s.metrics}/metrics`)).text.match(new RegExp(`^${name} (\\S+)$`, 'm')) || [])[1]);

/** `mail test` through the CLI with the mail settings e: resolves run()'s answer. */
const queue = (e, to, more = []) => run(['mail', 'test', '--db', db, '--to', to, ...more], { env: e });

/** Every message id (the left part of Message-ID) received so far, in order. */
const ids = (smtp) => smtp.messages().map((m) => (header(m.text, 'Message-ID') || '').replace(/^<([0-9a-f]+)@issuer\.test>$/, '$1'));

if (!haveSmtpd()) {
	skip('the mail suite', 'python3-aiosmtpd is not installed (scripts/setup.sh installs it)');
	process.exit(0);
}

await runSuite(R, servers, async () => {
	const cert = makeCert(tmp);
	run(['client', 'add', '--db', db, '--id', 'seed']); // creates the database

	// 0. Mail off: `mail test` says so.
	let r = await queue({}, 'alice@example.org');
	report(r.code === 2 && /mail is off/.test(r.stderr), 'mail test without SMTP_URL and MAIL_FROM: exit 2, "mail is off"', show(r));

	// 1. Plain SMTP (smtp+insecure://): `mail test` queues, the server sends.
	let smtp = await startSmtpd({ dir: path.join(tmp, 'plain'), delay: 0.2, reject: 'nowhere.example' });
	const plain = env(`smtp+insecure://127.0.0.1:${smtp.port}`);
	let s = await serve({ db, env: plain });
	r = await queue(plain, 'alice@example.org', ['--wait', '20']);
	const first = smtp.messages()[0];
	report(r.code === 0 && r.json?.state === 'sent' && r.json?.attempts === 1, 'mail test --wait: queued by the CLI, sent by the server at the first attempt', show(r));
	const parsed = first?.envelope.parsed;
	report(first && header(first.text, 'Message-ID') === `<${r.json?.id}@issuer.test>` && header(first.text, 'To') === '<alice@example.org>' &&
		/^multipart\/alternative;/.test(header(first.text, 'Content-Type')) && /^[\x00-\x7f]*$/.test(first.text) &&
		first.envelope.from === 'idp@issuer.test' && first.envelope.to.join() === 'alice@example.org',
	'the SMTP server got it: Message-ID <id@sender domain>, To, multipart/alternative, 7-bit, the envelope', first?.text.slice(0, 400));
	report(parsed && parsed.defects.length === 0 && parsed.from === FROM && parsed.to === 'alice@example.org' &&
		parsed.subject === 'Test mail from http://127.0.0.1:8080' && parsed.type === 'multipart/alternative' &&
		parsed.parts.length === 2 && parsed.parts[0].type === 'text/plain' && parsed.parts[1].type === 'text/html' &&
		parsed.parts.every((p) => p.charset === 'utf-8') && parsed.parts[0].text.includes('sent with `identity-backend mail test` to alice@example.org.') &&
		parsed.parts[1].text.includes('<code>identity-backend mail test</code>'),
	"Python's mail parser reads it without a defect: the UTF-8 display name decoded, both parts decoded", JSON.stringify(parsed)?.slice(0, 600));
	report(sql(`SELECT state || ':' || length(message) FROM outbox WHERE id = '${r.json?.id}'`) === '1:0', 'in the outbox it is SENT and its message is wiped');

	// A recipient the SMTP server refuses for good (550): given up at once, not retried.
	r = await queue(plain, 'nobody@nowhere.example', ['--wait', '20']);
	report(r.code === 1 && r.json?.state === 'failed' && r.json?.attempts === 1 && /550/.test(r.json?.last_error) &&
		(await metric(s, 'idb_mail_given_up_total')) === 1,
	'a recipient refused with 550: given up after one attempt (FAILED, idb_mail_given_up_total 1)', show(r));
	sql("DELETE FROM outbox WHERE state = 2");

	// 2. The SMTP server killed in the middle of a queue of 12, started again: each arrives once.
	const N = 12;
	const queued = [];
	for (let i = 0; i < N; i++) {
		const q = await queue(plain, `user${i}@example.org`);
		if (q.json?.queued) queued.push(q.json.queued);
	}
	report(queued.length === N, `${N} mails queued through the CLI`, queued.length);
	const failed0 = await metric(s, 'idb_mail_failed_total');
	await until(() => smtp.messages().length >= 4, 20000, 10);
	await smtp.kill(); // during the next message's delay: it is not stored, and gets no 250
	const before = smtp.messages().length;
	await until(async () => (await metric(s, 'idb_mail_failed_total')) >= failed0 + 2, 15000);
	report((await metric(s, 'idb_mail_failed_total')) >= failed0 + 2, `the server killed after ${before - 1} of them: attempts fail (idb_mail_failed_total grows) and are retried`);
	smtp = await smtp.restart();
	await until(() => smtp.messages().length >= N + 1, 60000);
	await sleep(1500); // room for a duplicate to show up
	const got = ids(smtp);
	const once = queued.every((id) => got.filter((x) => x === id).length === 1);
	report(once && got.length === N + 1, `after the restart every one of the ${N} mails arrived exactly once (${got.length - 1} received)`, `${got.length} ${JSON.stringify(got)}`);
	r = await run(['mail', 'status', '--db', db]);
	report(r.json?.queued === 0 && r.json?.sent === N + 1 && r.json?.failed === 0, 'mail status: none queued, all sent', show(r));
	report((await metric(s, 'idb_mail_sent_total')) === N + 1 && (await until(async () => (await metric(s, 'idb_mail_outbox_depth')) === 0, 12000)),
		'metrics: idb_mail_sent_total counts them, idb_mail_outbox_depth is back to 0');

	// 3. The issuer killed while the SMTP server is down: the queue waits for the next server.
	await smtp.kill();
	const q2 = [];
	for (let i = 0; i < 3; i++) q2.push((await queue(plain, `late${i}@example.org`)).json?.queued);
	await until(async () => Number(sql("SELECT count(*) FROM outbox WHERE state = 0 AND attempts > 0")) === 3, 15000);
	await s.stop('SIGKILL');
	servers.splice(servers.indexOf(s), 1);
	smtp = await smtp.restart();
	s = await serve({ db, env: plain });
	await until(() => ids(smtp).filter((id) => q2.includes(id)).length === 3, 30000);
	report(q2.every((id) => ids(smtp).filter((x) => x === id).length === 1), 'mails queued while SMTP was down survive a killed issuer: each arrives once from the next one', JSON.stringify(ids(smtp)));
	await stop(s, 'plain SMTP server');

	// 4. smtp:// requires STARTTLS: a plain server gets nothing.
	s = await serve({ db, env: env(`smtp://127.0.0.1:${smtp.port}`) });
	const count = smtp.messages().length;
	r = await queue(env(`smtp://127.0.0.1:${smtp.port}`), 'tls@example.org', ['--wait', '4']);
	report(r.code === 1 && r.json?.state === 'queued' && /STARTTLS/.test(r.json?.last_error) && smtp.messages().length === count,
		'smtp:// to a server without STARTTLS: not sent in the clear, kept for a retry, the reason says STARTTLS', show(r));
	const stderr4 = await stop(s, 'STARTTLS-required server');
	report(/"msg":"mail not sent; it will be tried again"/.test(stderr4) && !/tls@example\.org/.test(stderr4), 'the failure is logged by mail id, without the address');
	sql("DELETE FROM outbox WHERE state = 0");
	await smtp.stop();

	// 5. STARTTLS with a password: sent over TLS; the password is in no log line.
	smtp = await startSmtpd({ dir: path.join(tmp, 'starttls'), starttls: cert, auth: `mailer:${PASSWORD}` });
	const tlsEnv = env(`smtp://mailer:${encodeURIComponent(PASSWORD)}@127.0.0.1:${smtp.port}`, { SMTP_CA_FILE: cert.cert });
	s = await serve({ db, env: tlsEnv });
	r = await queue(tlsEnv, 'bob@example.org', ['--wait', '20']);
	report(r.code === 0 && smtp.messages().length === 1 && smtp.messages()[0].envelope.tls === true, 'smtp:// with STARTTLS and AUTH: sent, over TLS', show(r));
	report(!r.stdout.includes(PASSWORD) && !r.stderr.includes(PASSWORD), 'mail test prints no password');
	const wrong = env(`smtp://mailer:wrong-password@127.0.0.1:${smtp.port}`, { SMTP_CA_FILE: cert.cert });
	let stderr5 = await stop(s, 'STARTTLS server');
	report(stderr5.includes(`"smtp":"smtp://mailer:***@127.0.0.1:${smtp.port}"`) && !stderr5.includes(PASSWORD), 'the server logs SMTP_URL with the password as ***, and never the password');
	s = await serve({ db, env: wrong });
	r = await queue(wrong, 'carol@example.org', ['--wait', '4']);
	report(r.code === 1 && r.json?.state === 'queued' && r.json?.attempts >= 1 && !r.stdout.includes('wrong-password'),
		'a wrong password: the mail is kept for later (not given up), the reason without the password', show(r));
	stderr5 = await stop(s, 'wrong-password server');
	report(!stderr5.includes('wrong-password'), 'and the log holds no password either');
	sql("DELETE FROM outbox WHERE state = 0");
	await smtp.stop();

	// 6. smtps://: TLS from the first byte; and a server whose certificate is not trusted gets nothing.
	smtp = await startSmtpd({ dir: path.join(tmp, 'smtps'), smtps: cert });
	const untrusted = env(`smtps://127.0.0.1:${smtp.port}`);
	s = await serve({ db, env: untrusted });
	r = await queue(untrusted, 'dave@example.org', ['--wait', '3']);
	report(r.code === 1 && smtp.messages().length === 0, 'smtps:// to a certificate no CA vouches for: nothing sent', show(r));
	await stop(s, 'untrusted smtps server');
	sql("DELETE FROM outbox WHERE state = 0");
	const smtps = env(`smtps://127.0.0.1:${smtp.port}`, { SMTP_CA_FILE: cert.cert });
	s = await serve({ db, env: smtps });
	r = await queue(smtps, 'erin@example.org', ['--wait', '20']);
	report(r.code === 0 && smtp.messages().length === 1 && smtp.messages()[0].envelope.tls === true, 'smtps:// with the CA given: sent over TLS', show(r));
	await stop(s, 'smtps server');
	await smtp.stop();

	// 7. An SMTP server that accepts the connection and never answers: stopping the issuer
	// does not wait for SMTP's timeout, and the mail stays queued for later.
	const hungPort = await freePort();
	let connected = 0;
	const hung = net.createServer((c) => (connected++, c.on('error', () => {}))).listen(hungPort, '127.0.0.1');
	const hungEnv = env(`smtp+insecure://127.0.0.1:${hungPort}`);
	s = await serve({ db, env: hungEnv });
	const hq = await queue(hungEnv, 'frank@example.org');
	await until(() => connected > 0, 10000);
	const t0 = Date.now();
	await stop(s, 'server talking to a silent SMTP server');
	const ms = Date.now() - t0;
	report(connected > 0 && ms < 5000 && sql(`SELECT state FROM outbox WHERE id = '${hq.json?.queued}'`) === '0',
		`stopped in ${ms} ms while a delivery hung (not SMTP's 60 s timeout); the mail is still queued`, `${connected} ${ms}`);
	hung.close();
	sql("DELETE FROM outbox WHERE state = 0");

	// 8. Two replicas on one PostgreSQL share the outbox: 30 mails, each sent once.
	const pg = await startPostgres();
	smtp = await startSmtpd({ dir: path.join(tmp, 'replicas'), delay: 0.05 });
	const pgEnv = { ...env(`smtp+insecure://127.0.0.1:${smtp.port}`), SECRETS_SYSTEM: crypto.randomBytes(32).toString('base64url') };
	const a = await serve({ db: pg.url, env: pgEnv }), b = await serve({ db: pg.url, env: pgEnv });
	const many = await Promise.all(Array.from({ length: 30 }, (_, i) => run(['mail', 'test', '--db', pg.url, '--to', `r${i}@example.org`], { env: pgEnv })));
	const sent = many.map((x) => x.json?.queued);
	await until(() => smtp.messages().length >= 30, 30000);
	await sleep(1000);
	const pgIds = ids(smtp);
	const sa = await metric(a, 'idb_mail_sent_total'), sb = await metric(b, 'idb_mail_sent_total');
	report(sent.every((id) => id && pgIds.filter((x) => x === id).length === 1) && pgIds.length === 30 && sa + sb === 30,
		`two replicas on one PostgreSQL: 30 mails, each sent exactly once (${sa} by one, ${sb} by the other)`, `${pgIds.length} ${sa} ${sb}`);
	await stop(a, 'replica a');
	await stop(b, 'replica b');
	await smtp.stop();
	pg.stop();

	// 7. Bad input: a recipient with CR LF, a bad SMTP_URL (its password not echoed).
	r = await queue(plain, 'x@example.org\r\nBcc: eve@evil.example');
	const r2 = await queue(plain, 'Eve <eve@example.org>');
	report(r.code === 2 && r2.code === 2 && sql("SELECT count(*) FROM outbox WHERE rcpt LIKE '%evil%' OR rcpt LIKE '%<%'") === '0', 'a recipient with CR LF, or a whole mailbox: refused (exit 2), nothing queued', show(r));
	const bad = await run(['serve', '--db', db, '--listen', '127.0.0.1:1'], { env: env(`smtp://u:${PASSWORD}@host.example:99999`) });
	report(bad.code === 2 && /SMTP_URL/.test(bad.stderr) && !bad.stderr.includes(PASSWORD), 'serve with a bad SMTP_URL: exit 2, the reason names SMTP_URL, not the password', show(bad));
	const nofrom = await run(['serve', '--db', db, '--listen', '127.0.0.1:1'], { env: { SMTP_URL: 'smtp://host.example' } });
	report(nofrom.code === 2 && /MAIL_FROM/.test(nofrom.stderr), 'SMTP_URL without MAIL_FROM: exit 2', show(nofrom));
	report(sql("SELECT count(*) FROM outbox WHERE state = 1 AND message <> ''") === '0', 'no sent mail keeps its message (links) in the outbox');
});
