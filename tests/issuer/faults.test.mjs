// The issuer under faults (issue 6, item 4): the real `identity-backend serve`
// on a free loopback port, each case on its own temporary database.
//   a. kill -9 in the middle of load (token requests, revocations, `client add`
//      from the CLI), restart on the same file: start-up is clean, every client
//      created and every revocation acknowledged before the kill is still there,
//      the signing keys are the same, SQLite's integrity_check says ok.
//   b. the database file read-only (chmod 0400; as root, where modes do not bind,
//      chattr +i), and the database's folder on a read-only mount: the server
//      refuses to start with one line, or starts, serves reads and answers writes
//      with an honest 503 that really did not persist.
//   c. the disk full (a 256 KiB tmpfs filled up), before start and while running:
//      the same two honest outcomes; acknowledged writes persist, refused ones not.
//   d. a corrupt database (random bytes; a damaged table page): refusal with one
//      line naming the file within 2 s, or 503 where the damage is; no crash.
//   e. a database from a newer program (user_version above ours), and another
//      program's SQLite file: refusal, and the file is left untouched.
// Never acceptable anywhere: a 500, a crash (exit by a signal other than ours), a
// hang, a "200" for a write that did not persist, or a wrong verdict.
import { execFile, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { BIN, launchServer, reporter, sanitizerReport as sanitizer, sleep, tempDir } from '../lib.mjs';

const tmp = tempDir('idb-faults-');
const isRoot = process.getuid?.() === 0;
const hasSqlite = spawnSync('sqlite3', ['-version']).status === 0;
const { report, skip, finish } = reporter('issuer/faults');

/** The CLI, asynchronously (it runs while the server does). */
function cli(args, { input } = {}) {
	return new Promise((resolve) => {
		const p = execFile(BIN, args, { encoding: 'utf8', timeout: 30000 }, (error, stdout, stderr) => {
			let json;
			try {
				json = JSON.parse(stdout);
			} catch {
				json = undefined;
			}
			resolve({ code: error ? (error.code ?? null) : 0, signal: error?.signal ?? null, out: stdout, err: stderr, json });
		});
		if (input !== undefined) p.stdin.end(input);
	});
}
const addClient = async (db, id) => {
	const r = await cli(['client', 'add', '--db', db, '--id', id, '--audience', 'api', '--scope', 'read']);
	return r.code === 0 && r.json?.client_secret ? { id, secret: r.json.client_secret } : { id, fail: r };
};

/**
 * Start serve on db (ACCESS_LOG=on). Resolves as soon as the outcome is known:
 * {listening: true, srv} or {listening: false, srv, code, signal, err, ms} (it exited;
 * ms since the spawn), or {hang: true, srv} when neither happened within 5 s.
 * srv.stderr() is what it said so far.
 */
async function start(db, { env = {}, threads = 2 } = {}) {
	// One issuer URL for every start: tokens must outlive a restart on another port.
	const srv = await launchServer({ db, threads, issuer: 'https://faults.example', env: { ACCESS_LOG: 'on', ...env }, readyMs: 5000 });
	if (srv.outcome === 'listening') return { listening: true, srv };
	if (srv.outcome === 'hang') return { hang: true, srv };
	return { listening: false, srv, ...(await srv.exited), err: srv.stderr() };
}
const running = new Set(); // servers to kill if the test itself breaks
async function startTracked(db, opts) {
	const o = await start(db, opts);
	if (o.listening || o.hang) running.add(o.srv);
	return o;
}
/** SIGTERM (SIGKILL after 5 s); resolves {code, signal, ms}. */
async function stop(srv) {
	running.delete(srv);
	const { code, signal, ms } = await srv.stop('SIGTERM', { killAfterMs: 5000 });
	return { code, signal, ms };
}

/** One request; never throws: {status, body, json} or {status: 0, error}. */
async function req(url, { method = 'GET', headers = {}, body } = {}) {
	try {
		const r = await fetch(url, { method, headers, body, signal: AbortSignal.timeout(10000) });
		const text = await r.text();
		let json;
		try {
			json = JSON.parse(text);
		} catch {
			json = undefined;
		}
		return { status: r.status, body: text, json };
	} catch (e) {
		return { status: 0, error: e.cause?.code ?? e.message };
	}
}
const basic = (c) => ({ authorization: `Basic ${Buffer.from(`${c.id}:${c.secret}`).toString('base64')}` });
const form = { 'content-type': 'application/x-www-form-urlencoded' };
const token = (base, c) => req(`${base}/token`, { method: 'POST', headers: { ...basic(c), ...form }, body: 'grant_type=client_credentials&scope=read' });
const verify = (base, t) =>
	req(`${base}/verify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: t, aud: 'api' }) });
const revoke = (base, c, t) => req(`${base}/revoke`, { method: 'POST', headers: { ...basic(c), ...form }, body: `token=${t}` });
const introspect = (base, c, t) => req(`${base}/introspect`, { method: 'POST', headers: { ...basic(c), ...form }, body: `token=${t}` });
const kids = async (base) => ((await req(`${base}/.well-known/jwks.json`)).json?.keys ?? []).map((k) => k.kid).sort().join();

/** What a refusal to start must look like: non-zero exit, not a signal, one line naming the file (or at least "database"). */
function refusalOk(o, db, maxMs = 5000) {
	const lines = (o.err ?? '').trim().split('\n');
	return (
		!o.listening &&
		!o.hang &&
		o.code !== 0 &&
		o.code !== null &&
		o.signal === null &&
		lines.length === 1 &&
		(lines[0].includes(path.basename(db)) || /database/i.test(lines[0])) &&
		o.ms <= maxMs &&
		!sanitizer(o.err)
	);
}
/** The refusal line, shortened, for the ok line (what the operator sees). */
const said = (o) => JSON.stringify((o.err ?? "").trim().replace(/^identity-backend serve: /, "").split(`${tmp}/`).join("").slice(0, 140));
const showOutcome = (o) =>
	o.hang ? 'no outcome within 5 s' : o.listening ? 'listening' : `exit ${o.code} signal ${o.signal} after ${o.ms} ms: ${o.err?.trim()}`;

/** A db with one client (`app`), its keys made by a first start, stopped cleanly. */
async function preparedDb(dir) {
	fs.mkdirSync(dir, { recursive: true });
	const db = path.join(dir, 'identity.db');
	const c = await addClient(db, 'app');
	if (!c.secret) throw new Error(`client add failed: ${JSON.stringify(c.fail)}`);
	const o = await startTracked(db);
	if (!o.listening) throw new Error(`cannot prepare ${db}: ${showOutcome(o)}`);
	const t = await token(o.srv.base, c);
	const x = await stop(o.srv);
	if (t.status !== 200 || x.code !== 0) throw new Error(`cannot prepare ${db}: token ${t.status}, stop ${x.code}`);
	return { db, client: c, token: t.json.access_token };
}

const sqlite = (db, q) => spawnSync('sqlite3', [db, q], { encoding: 'utf8' });
const sha = (file) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

/**
 * A server up on a store that cannot write (read-only or full): reads must work,
 * a revocation must be 200 (and then persist) or an honest 503. Returns the
 * revocation statuses by token so that the caller can check them after a
 * writable restart. No 500 anywhere.
 */
async function degradedServes(name, srv, c, oldToken) {
	const statuses = [];
	const t = await token(srv.base, c);
	statuses.push(t.status);
	report(t.status === 200 && t.json?.access_token, `${name}: tokens are still issued (reads work)`, `${t.status} ${t.body ?? t.error}`);
	const v = await verify(srv.base, oldToken);
	statuses.push(v.status);
	report(v.status === 200 && v.json?.valid === true, `${name}: /verify still answers (a valid token is valid)`, `${v.status} ${v.body ?? v.error}`);
	const i = await introspect(srv.base, c, oldToken);
	statuses.push(i.status);
	report(i.status === 200 && i.json?.active === true, `${name}: /introspect still answers`, `${i.status} ${i.body ?? i.error}`);
	const revoked = new Map(); // token -> status
	const errors = new Set();
	for (const tok of [oldToken, t.json?.access_token].filter(Boolean)) {
		const r = await revoke(srv.base, c, tok);
		statuses.push(r.status);
		revoked.set(tok, r.status);
		if (r.status === 503) errors.add(r.json?.error);
	}
	const rs = [...revoked.values()];
	report(rs.every((s) => s === 503 || s === 200), `${name}: a revocation is answered 503 (honest) or 200, nothing else`, rs.join());
	if (errors.size) report([...errors].join() === 'temporarily_unavailable', `${name}: the 503 is RFC 6749 JSON, temporarily_unavailable`, [...errors].join());
	const h = await req(`${srv.base}/health`);
	statuses.push(h.status);
	report(h.status === 200, `${name}: /health answers`, `${h.status}`);
	report(!statuses.includes(500) && !statuses.includes(0), `${name}: no 500, no dropped connection`, statuses.join());
	return revoked;
}

/** After a writable restart: 200-acknowledged revocations hold, 503-refused ones did not happen. */
async function revocationsTruthful(name, db, revoked) {
	const o = await startTracked(db);
	if (!report(o.listening, `${name}: restarts once writable`, showOutcome(o))) return;
	const wrong = [];
	for (const [tok, status] of revoked) {
		const v = await verify(o.srv.base, tok);
		const isRevoked = v.status === 401 && v.json?.error === 'ERR_JWT_REVOKED';
		const isValid = v.status === 200 && v.json?.valid === true;
		if (!(status === 200 ? isRevoked : isValid)) wrong.push(`revoke said ${status}, now ${v.status} ${v.body}`);
	}
	report(wrong.length === 0, `${name}: every revocation answered 200 persisted, every one answered 503 did not happen`, wrong.join('; '));
	await stop(o.srv);
}

try {
	// ---- a. kill -9 in the middle of load ----
	{
		const dir = path.join(tmp, 'a');
		fs.mkdirSync(dir);
		const db = path.join(dir, 'identity.db');
		const load = await addClient(db, 'load');
		const o = await startTracked(db, { threads: 2 });
		if (!report(o.listening && load.secret, 'kill -9: the server starts', showOutcome(o))) throw new Error('cannot go on');
		const srv = o.srv;
		// Start-up makes three keys before answering and the fourth (PS256) at the first
		// key sync, within a second: compare the whole set.
		for (let i = 0; i < 50 && (await kids(srv.base)).split(',').length < 4; i++) await new Promise((r) => setTimeout(r, 100));
		const kidsBefore = await kids(srv.base);
		const created = [];
		const acked = []; // tokens whose revocation was answered 200 before the kill
		const seen = new Map(); // status -> count, before the kill
		let killed = false;
		let killedAt = 0;
		const clients = (async () => {
			for (let i = 1; i <= 20; i++) {
				const c = await addClient(db, `c${i}`);
				created.push({ ...c, beforeKill: !killed });
			}
		})();
		const worker = async () => {
			while (!killed) {
				const t = await token(srv.base, load);
				if (killed || t.status === 0) break;
				seen.set(t.status, (seen.get(t.status) ?? 0) + 1);
				if (t.status !== 200) continue;
				const r = await revoke(srv.base, load, t.json.access_token);
				if (r.status === 0) break;
				seen.set(r.status, (seen.get(r.status) ?? 0) + 1);
				if (r.status === 200) acked.push(t.json.access_token);
			}
		};
		const workers = Array.from({ length: 8 }, worker);
		// Kill once half the clients exist and revocations are flowing (at most 10 s in).
		const t0 = Date.now();
		while ((created.length < 10 || acked.length < 50) && Date.now() - t0 < 10000) await sleep(20);
		const ackedAtKill = acked.length;
		srv.child.kill('SIGKILL');
		killed = true;
		killedAt = Date.now();
		const x = await srv.exited;
		running.delete(srv);
		await Promise.all(workers);
		await clients;
		const acks = acked.slice(); // every 200 that reached us: all were sent before the kill
		report(x.signal === 'SIGKILL', 'kill -9: the server died by SIGKILL mid-load', JSON.stringify({ ...x, ackedAtKill, created: created.length }));
		report(ackedAtKill >= 50 && created.filter((c) => c.beforeKill && c.secret).length >= 10,
			`kill -9: load was running (${acks.length} revocations acknowledged, ${created.filter((c) => c.beforeKill && c.secret).length} clients added before the kill)`,
			`${ackedAtKill} acks, ${created.length} clients`);
		const bad5xx = [...seen].filter(([s]) => s !== 200);
		report(bad5xx.length === 0, 'kill -9: before the kill every token and revocation was answered 200', JSON.stringify([...seen]));
		report(created.every((c) => c.secret), 'kill -9: every client add succeeded (the CLI writes beside the server)',
			JSON.stringify(created.filter((c) => !c.secret).map((c) => c.fail)).slice(0, 400));
		report(!sanitizer(srv.stderr()), 'kill -9: no sanitizer report before the kill', sanitizer(srv.stderr()));

		// restart on the same (crashed) file
		const o2 = await startTracked(db, { threads: 2 });
		const early = o2.srv.stderr().split('\n').filter((l) => l && !l.includes('"listening"'));
		report(o2.listening && early.length === 0, 'kill -9: the restart is clean (listening, nothing else said)', showOutcome(o2) + early.join('|'));
		if (o2.listening) {
			const base = o2.srv.base;
			const h = await req(`${base}/health`);
			report(h.status === 200 && h.json?.status === 'ok', 'kill -9: /health ok after the restart', h.body);
			report((await kids(base)) === kidsBefore && kidsBefore !== '', 'kill -9: the signing keys are the same (JWKS kids unchanged)', `${kidsBefore} vs ${await kids(base)}`);
			const noAuth = [];
			for (const c of created.filter((c) => c.secret)) {
				const t = await token(base, c);
				const v = t.status === 200 ? await verify(base, t.json.access_token) : { status: 0 };
				if (t.status !== 200 || v.json?.valid !== true) noAuth.push(`${c.id}: token ${t.status}, verify ${v.status}`);
			}
			report(noAuth.length === 0, `kill -9: every client added (${created.filter((c) => c.secret).length}) authenticates and gets a valid token`, noAuth.join('; '));
			const lost = [];
			for (let i = 0; i < acks.length; i += 32) {
				const vs = await Promise.all(acks.slice(i, i + 32).map((t) => verify(base, t)));
				vs.forEach((v, j) => {
					if (!(v.status === 401 && v.json?.error === 'ERR_JWT_REVOKED')) lost.push(`${i + j}: ${v.status} ${v.body}`);
				});
			}
			report(lost.length === 0, `kill -9: every acknowledged revocation (${acks.length}) is still in force (ERR_JWT_REVOKED)`, `${lost.length} lost: ${lost.slice(0, 3).join('; ')}`);
			const fresh = await token(base, load);
			const fv = fresh.status === 200 ? await verify(base, fresh.json.access_token) : {};
			report(fv.json?.valid === true, 'kill -9: a token issued after the restart is valid (not revoked by mistake)', fv.body);
			if (hasSqlite) {
				const ic = sqlite(db, 'PRAGMA integrity_check; PRAGMA foreign_key_check;');
				report(ic.status === 0 && ic.stdout.trim() === 'ok', 'kill -9: PRAGMA integrity_check says ok (no half-written rows)', ic.stdout + ic.stderr);
				const n = sqlite(db, 'SELECT count(*) FROM revoked_tokens; SELECT count(*) FROM clients;').stdout.trim().split('\n').map(Number);
				report(n[0] >= acks.length && n[1] === 21, 'kill -9: the rows are all there (revocations >= acknowledged, 21 clients)', n.join());
			} else skip('kill -9: PRAGMA integrity_check', 'the sqlite3 CLI is not installed');
			const sx = await stop(o2.srv);
			report(sx.code === 0, 'kill -9: the restarted server stops cleanly', JSON.stringify(sx));
		}
	}

	// ---- b. read-only database ----
	{
		const name = 'read-only file';
		const { db, client, token: tok } = await preparedDb(path.join(tmp, 'b'));
		const files = [db, `${db}-wal`, `${db}-shm`].filter((f) => fs.existsSync(f));
		let locked = false;
		let how = '';
		if (!isRoot) {
			files.forEach((f) => fs.chmodSync(f, 0o400));
			locked = true;
			how = 'chmod 0400';
		} else if (files.every((f) => spawnSync('chattr', ['+i', f]).status === 0)) {
			locked = true;
			how = 'chattr +i (running as root: file modes do not bind root)';
		}
		if (!locked) {
			skip(`${name}`, 'running as root: file modes do not bind root, and chattr +i is not available here');
		} else {
			try {
				const cantWrite = (() => {
					try {
						fs.appendFileSync(db, '');
						fs.openSync(db, 'r+');
						return false;
					} catch {
						return true;
					}
				})();
				report(cantWrite, `${name}: the file really refuses writes (${how})`);
				const o = await startTracked(db);
				if (o.hang) report(false, `${name}: start-up has an outcome within 5 s`, showOutcome(o));
				else if (!o.listening) report(refusalOk(o, db), `${name}: the server refuses to start with one line naming the file or the database: ${said(o)}`, showOutcome(o));
				else {
					report(true, `${name}: the server starts read-only (outcome recorded: serves reads, writes must be 503)`);
					const revoked = await degradedServes(name, o.srv, client, tok);
					report([...revoked.values()].every((s) => s === 503), `${name}: a revocation cannot persist, so it is 503`, [...revoked.values()].join());
					const add = await cli(['client', 'add', '--db', db, '--id', 'late', '--audience', 'api']);
					report(add.code === 1 && add.out === '' && /read-only|readonly/.test(add.err) && add.err.trim().split('\n').length === 1,
						`${name}: client add fails with one line, exit 1, and prints no secret`, `exit ${add.code}: ${add.out} ${add.err}`);
					const sx = await stop(o.srv);
					report(sx.code === 0 && !sanitizer(o.srv.stderr()), `${name}: SIGTERM stops it cleanly`, JSON.stringify(sx));
					files.push(...[`${db}-wal`, `${db}-shm`].filter((f) => fs.existsSync(f) && !files.includes(f)));
					if (isRoot) files.forEach((f) => spawnSync('chattr', ['-i', f]));
					else files.forEach((f) => fs.chmodSync(f, 0o600));
					await revocationsTruthful(name, db, revoked);
				}
			} finally {
				if (isRoot) files.forEach((f) => spawnSync('chattr', ['-i', f]));
				else files.forEach((f) => fs.existsSync(f) && fs.chmodSync(f, 0o600));
			}
		}

		// The folder on a read-only mount (a read-only volume): needs mount (root).
		const rname = 'read-only filesystem';
		const prep = await preparedDb(path.join(tmp, 'b2'));
		const ro = path.join(tmp, 'b2-ro');
		fs.mkdirSync(ro);
		const bind = spawnSync('mount', ['--bind', path.dirname(prep.db), ro], { encoding: 'utf8' });
		const remount = bind.status === 0 ? spawnSync('mount', ['-o', 'remount,ro,bind', ro], { encoding: 'utf8' }) : bind;
		if (remount.status !== 0) {
			if (bind.status === 0) spawnSync('umount', [ro]);
			skip(rname, `cannot make a read-only bind mount: ${(remount.stderr || remount.error?.message || '').trim().split('\n')[0]}`);
		} else {
			try {
				const db = path.join(ro, 'identity.db');
				const o = await startTracked(db);
				if (o.hang) report(false, `${rname}: start-up has an outcome within 5 s`, showOutcome(o));
				else if (!o.listening) report(refusalOk(o, db), `${rname}: the server refuses to start with one line naming the file or the database: ${said(o)}`, showOutcome(o));
				else {
					report(true, `${rname}: the server starts (serves reads, writes must be 503)`);
					const revoked = await degradedServes(rname, o.srv, prep.client, prep.token);
					report([...revoked.values()].every((s) => s === 503), `${rname}: a revocation cannot persist, so it is 503`, [...revoked.values()].join());
					await stop(o.srv);
				}
			} finally {
				for (const s of running) await stop(s);
				spawnSync('umount', [ro]);
			}
		}
	}

	// ---- c. disk full ----
	{
		const mnt = path.join(tmp, 'c-tmpfs');
		fs.mkdirSync(mnt);
		const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=256k,mode=0700', 'tmpfs', mnt], { encoding: 'utf8' });
		if (m.status !== 0) {
			skip('disk full', `cannot mount a tmpfs: ${(m.stderr || m.error?.message || '').trim().split('\n')[0] || `exit ${m.status}`} (needs root or CAP_SYS_ADMIN)`);
		} else {
			const fill = path.join(mnt, 'fill');
			const fillUp = () => {
				const fd = fs.openSync(fill, 'a');
				const chunk = Buffer.alloc(1024, 0x55);
				try {
					for (;;) fs.writeSync(fd, chunk);
				} catch (e) {
					if (e.code !== 'ENOSPC') throw e;
				} finally {
					fs.closeSync(fd);
				}
			};
			try {
				const prep = await preparedDb(path.join(tmp, 'c'));
				const db = path.join(mnt, 'identity.db');
				fs.copyFileSync(prep.db, db);

				// c1: no space left before start-up
				let name = 'disk full before start';
				fillUp();
				const o = await startTracked(db);
				if (o.hang) report(false, `${name}: start-up has an outcome within 5 s`, showOutcome(o));
				else if (!o.listening) report(refusalOk(o, db), `${name}: the server refuses to start with one line naming the file or the database: ${said(o)}`, showOutcome(o));
				else {
					report(true, `${name}: the server starts (serves reads, writes must be 503)`);
					const revoked = await degradedServes(name, o.srv, prep.client, prep.token);
					const sx = await stop(o.srv);
					report(sx.signal === null && !sanitizer(o.srv.stderr()), `${name}: no crash (stopped: ${JSON.stringify(sx)})`, o.srv.stderr().slice(-400));
					fs.rmSync(fill);
					await revocationsTruthful(name, db, revoked);
				}
				fs.rmSync(fill, { force: true });
				for (const f of [`${db}-wal`, `${db}-shm`]) fs.rmSync(f, { force: true }); // a refusal may leave them

				// c2: the disk fills up while the server runs
				name = 'disk full while running';
				const o2 = await startTracked(db);
				if (report(o2.listening, `${name}: the server starts with space left`, showOutcome(o2))) {
					const fresh = await token(o2.srv.base, prep.client);
					fillUp();
					const revoked = await degradedServes(name, o2.srv, prep.client, fresh.json?.access_token ?? prep.token);
					// a burst of writes on the full disk: still only 200 or 503, still serving
					const more = [];
					for (let i = 0; i < 20; i++) {
						const t = await token(o2.srv.base, prep.client);
						if (t.status !== 200) {
							more.push(t.status);
							continue;
						}
						const r = await revoke(o2.srv.base, prep.client, t.json.access_token);
						more.push(r.status);
						revoked.set(t.json.access_token, r.status);
					}
					report(more.every((s) => s === 200 || s === 503), `${name}: 20 more token+revoke rounds: only 200 or 503`, more.join());
					const sx = await stop(o2.srv);
					report(sx.signal === null && !sanitizer(o2.srv.stderr()), `${name}: no crash (stopped: ${JSON.stringify(sx)})`, o2.srv.stderr().slice(-400));
					fs.rmSync(fill);
					await revocationsTruthful(name, db, revoked);
					if (hasSqlite) {
						const ic = sqlite(db, 'PRAGMA integrity_check');
						report(ic.stdout.trim() === 'ok', `${name}: integrity_check ok once space is back`, ic.stdout + ic.stderr);
					} else skip(`${name}: integrity_check`, 'the sqlite3 CLI is not installed');
				} else await stop(o2.srv);
			} finally {
				for (const s of running) await stop(s);
				const u = spawnSync('umount', [mnt], { encoding: 'utf8' });
				report(u.status === 0, 'disk full: the tmpfs is unmounted at the end', u.stderr);
			}
		}
	}

	// ---- d. corrupt database ----
	{
		const dir = path.join(tmp, 'd');
		fs.mkdirSync(dir);
		const rnd = path.join(dir, 'identity.db');
		fs.writeFileSync(rnd, crypto.randomBytes(110592), { mode: 0o600 });
		const before = sha(rnd);
		let o = await startTracked(rnd);
		report(refusalOk(o, rnd, 2000) && /database/i.test(o.err), 'random bytes: refusal within 2 s, one line naming the file and saying "database", not a crash', showOutcome(o));
		report(sha(rnd) === before, 'random bytes: the file is left as it was');
		if (o.listening) await stop(o.srv);

		// A valid database with one table page overwritten by 4 KiB of random bytes.
		const prep = await preparedDb(path.join(tmp, 'd2'));
		const pageOf = (table) => (hasSqlite ? Number(sqlite(prep.db, `SELECT rootpage FROM sqlite_schema WHERE name = '${table}'`).stdout) : 0);
		const pageSize = hasSqlite ? Number(sqlite(prep.db, 'PRAGMA page_size').stdout) : 4096;
		const smash = (src, dst, page) => {
			fs.copyFileSync(src, dst);
			const fd = fs.openSync(dst, 'r+');
			fs.writeSync(fd, crypto.randomBytes(pageSize), 0, pageSize, (page - 1) * pageSize);
			fs.closeSync(fd);
		};
		// page 2 (the clients table in this schema) as the brief says; then each key table by name
		const cases = [['page 2', 2]];
		if (hasSqlite) cases.push(['the signing_keys table', pageOf('signing_keys')], ['the revoked_tokens table', pageOf('revoked_tokens')]);
		else skip('corrupt key and revocation tables', 'the sqlite3 CLI is not installed (needed to find their pages)');
		for (const [what, page] of cases) {
			const db = path.join(dir, `smashed-${page}.db`);
			smash(prep.db, db, page);
			o = await startTracked(db);
			const name = `corrupt ${what} (page ${page})`;
			if (o.hang) report(false, `${name}: start-up has an outcome within 2 s`, showOutcome(o));
			else if (!o.listening) report(refusalOk(o, db, 2000), `${name}: refusal within 2 s, one line naming the file or the database: ${said(o)}`, showOutcome(o));
			else {
				// Started: whatever lives on the damaged page must be 503, never a wrong answer.
				const base = o.srv.base;
				const t = await token(base, prep.client);
				const v = await verify(base, prep.token);
				const r = await revoke(base, prep.client, prep.token);
				const got = `token ${t.status}, verify ${v.status} ${v.body ?? ''}, revoke ${r.status}`;
				const honest = (x, good) => x.status === 503 || good(x);
				const ok =
					honest(t, (x) => x.status === 200) &&
					honest(v, (x) => x.status === 200 && x.json?.valid === true) &&
					honest(r, (x) => x.status === 200) &&
					[t, v, r].some((x) => x.status === 503);
				report(ok, `${name}: the server starts and answers 503 where the damage is, never 500 or a wrong verdict (start-up does not check the pages)`, got);
				const sx = await stop(o.srv);
				report(sx.signal === null && !sanitizer(o.srv.stderr()), `${name}: no crash`, JSON.stringify(sx));
			}
		}
	}

	// ---- e. a newer program's database; another program's database ----
	if (!hasSqlite) skip('newer schema version, foreign database', 'the sqlite3 CLI is not installed');
	else {
		const prep = await preparedDb(path.join(tmp, 'e'));
		const v = Number(sqlite(prep.db, 'PRAGMA user_version').stdout);
		report(v >= 1, 'the schema version lives in PRAGMA user_version (store_sqlite.c)', v);
		const newer = path.join(tmp, 'e', 'newer.db');
		fs.copyFileSync(prep.db, newer);
		sqlite(newer, `PRAGMA user_version = ${v + 41}`);
		let before = sha(newer);
		let o = await startTracked(newer);
		report(refusalOk(o, newer, 2000) && /newer|version/i.test(o.err), 'a newer schema version: refusal, one line saying so', showOutcome(o));
		report(sha(newer) === before, 'a newer schema version: the file is left as it was');
		if (o.listening) await stop(o.srv);
		const foreign = path.join(tmp, 'e', 'foreign.db');
		sqlite(foreign, 'CREATE TABLE notes (x TEXT); INSERT INTO notes VALUES (\'keep me\');');
		fs.chmodSync(foreign, 0o644);
		before = sha(foreign);
		o = await startTracked(foreign);
		report(refusalOk(o, foreign, 2000) && /not an identity-backend database/.test(o.err), "another program's database: refusal, one line saying so", showOutcome(o));
		const jm = sqlite(foreign, 'PRAGMA journal_mode').stdout.trim();
		const fmode = (fs.statSync(foreign).mode & 0o777).toString(8);
		report(sha(foreign) === before && jm === 'delete' && fmode === '644',
			"another program's database: the file is left as it was (bytes, journal mode, file mode)", `journal_mode ${jm} (was delete), mode ${fmode} (was 644), bytes ${sha(foreign) === before ? "same" : "changed"}`);
		if (o.listening) await stop(o.srv);
		const app = path.join(tmp, 'e', 'app-id.db');
		sqlite(app, 'PRAGMA application_id = 42; PRAGMA user_version = 1;');
		o = await startTracked(app);
		report(refusalOk(o, app, 2000) && /application_id/.test(o.err), 'a database with another application_id: refusal', showOutcome(o));
		if (o.listening) await stop(o.srv);
	}
} catch (e) {
	report(false, 'faults test ran', e.stack);
} finally {
	for (const s of running) s.child.kill('SIGKILL');
	fs.rmSync(tmp, { recursive: true, force: true });
}
finish();
