// prometheus.test.mjs: the dashboards and alerts of ops/ against the real thing. A
// Prometheus from Debian (`prometheus`, `promtool`), started here on a free port with
// a data folder of its own, scrapes a real issuer's METRICS_LISTEN every second while
// the suite sends it a short mixed load (client_credentials tokens, /verify with good
// and bad tokens, /introspect, discovery, a failed client authentication, unknown
// paths, a sign-in with a refresh token rotated and then reused, and a flood of bad
// sign-ins that locks accounts). Then:
// - `promtool check config` and `promtool check rules` pass on the files as shipped;
// - every query of every panel of the Grafana dashboard returns data through
//   Prometheus's HTTP API (Grafana's variables replaced as Grafana would);
// - every alert rule as Prometheus loaded it has one filtering comparison, its
//   expression evaluates, and with that comparison made `bool` it returns data;
// - the flood of bad sign-ins fires IdbLockoutSpike, while IdbIssuerDown,
//   IdbHighErrorRate and IdbRefreshReuseSpike (one reuse, threshold 3) stay quiet;
// - stopping the issuer fires IdbIssuerDown.
// The test's copy of the configuration differs from ops/ only where a test must:
// one-second scrape and evaluation intervals, `for: 1s`, the issuer's port, and the
// rule file's absolute path (each substitution is checked to have matched).
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { freePort, repo, reporter, runSuite, serverSet, stopChild, tempDir } from '../lib.mjs';
import { addClient, afterLogin, basic, browser, hreq, pool, run, until } from '../issuer/lib.mjs';

const R = reporter('ops/prometheus');
const { report } = R;
const { servers, serve, stop } = serverSet(report);
const OPS = path.join(repo, 'ops');
const TINY = { PASSWORD_ARGON2_TEST: '1', PASSWORD_ARGON2_M_KIB: '64', PASSWORD_ARGON2_T: '1' };
const CB = 'https://app.example/cb';
const JOB = 'identity-backend';
const tmp = tempDir('idb-ops-');
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

// ---- PromQL helpers ---------------------------------------------------------------

/**
 * The comparisons of a PromQL expression that filter (==, !=, >, <, >=, <= not followed
 * by `bool`), outside label matchers and strings, as [index, length] pairs.
 */
function filteringComparisons(expr) {
	const out = [];
	let braces = 0, quote = null;
	for (let i = 0; i < expr.length; i++) {
		const c = expr[i];
		if (quote) {
			if (c === '\\') i++;
			else if (c === quote) quote = null;
			continue;
		}
		if (c === '"' || c === "'" || c === '`') quote = c;
		else if (c === '{') braces++;
		else if (c === '}') braces--;
		else if (braces === 0) {
			const two = expr.slice(i, i + 2);
			let len = 0;
			if (['==', '!=', '>=', '<='].includes(two)) len = 2;
			else if (c === '>' || c === '<') len = 1;
			if (!len) continue;
			if (!/^\s*bool\b/.test(expr.slice(i + len))) out.push([i, len]);
			i += len - 1;
		}
	}
	return out;
}

/** expr with every filtering comparison made `bool`: it returns the signal whether or not it crosses. */
function asBool(expr) {
	let s = expr;
	for (const [i, len] of filteringComparisons(expr).reverse()) s = `${s.slice(0, i + len)} bool${s.slice(i + len)}`;
	return s;
}

/** A Grafana panel query as Grafana sends it for this job, every replica, 15 s rate windows. */
const grafanaExpr = (e) => e.replaceAll('$__rate_interval', '15s').replaceAll('$job', JOB).replaceAll('$instance', '.+');

// ---- Prometheus -------------------------------------------------------------------

/** text with `from` replaced by `to`, which must occur exactly `times` times (a check on the copy). */
function substitute(text, from, to, times = 1) {
	const n = typeof from === 'string' ? text.split(from).length - 1 : (text.match(from) || []).length;
	if (n !== times) throw new Error(`the test's copy: expected ${times} of ${from}, found ${n}`);
	return text.replaceAll(from, to);
}

function promtool(args) {
	const r = spawnSync('promtool', args, { encoding: 'utf8', timeout: 30000 });
	return { code: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? r.error.message : ''}` };
}

/** Prometheus on a free port with the test's configuration; resolves {base, child, stderr()} once ready. */
async function startPrometheus(config) {
	const port = await freePort();
	const child = spawn('prometheus', [`--config.file=${config}`, `--storage.tsdb.path=${path.join(tmp, 'data')}`,
		`--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'], { stdio: ['ignore', 'ignore', 'pipe'] });
	let err = '';
	child.stderr.on('data', (d) => (err += d));
	const p = { base: `http://127.0.0.1:${port}`, child, stderr: () => err };
	servers.push(p); // runSuite kills it if the suite fails
	const ready = await until(async () => child.exitCode === null && (await fetch(`${p.base}/-/ready`).catch(() => null))?.status === 200, 20000, 100);
	if (!ready) throw new Error(`prometheus not ready: ${err.slice(-2000)}`);
	return p;
}

/** An instant query; resolves {status, result, error}. */
async function query(p, expr) {
	const r = await fetch(`${p.base}/api/v1/query`, { method: 'POST', body: new URLSearchParams({ query: expr }) });
	const j = await r.json();
	return { status: j.status, result: j.data?.result ?? [], error: j.error };
}

const alertState = async (p, name) => (await (await fetch(`${p.base}/api/v1/alerts`)).json()).data.alerts.find((a) => a.labels.alertname === name)?.state ?? 'inactive';

// ---- the load ---------------------------------------------------------------------

const b64u = (b) => Buffer.from(b).toString('base64url');

/** A sign-in of alice with offline_access, her refresh token rotated once and then the used one presented again. */
async function refreshReuse(s, password) {
	const verifier = b64u(crypto.randomBytes(32));
	const challenge = b64u(crypto.createHash('sha256').update(verifier).digest());
	const b = browser();
	const q = new URLSearchParams({ client_id: 'web', redirect_uri: CB, response_type: 'code', scope: 'openid offline_access', state: 's', code_challenge: challenge, code_challenge_method: 'S256' });
	const html = await (await b.go(`${s.base}/authorize?${q}`)).text();
	const f = {};
	for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) f[m[1]] = m[2];
	const login = await b.go(`${s.base}/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ ...f, username: 'alice', password }).toString() });
	const code = new URL(login.headers.get('location') ?? 'x:/').searchParams.get('code');
	const form = (o) => ({ method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(o).toString() });
	const t1 = await (await fetch(`${s.base}/token`, form({ grant_type: 'authorization_code', code, redirect_uri: CB, code_verifier: verifier, client_id: 'web' }))).json();
	const t2 = await fetch(`${s.base}/token`, form({ grant_type: 'refresh_token', refresh_token: t1.refresh_token, client_id: 'web' }));
	const again = await fetch(`${s.base}/token`, form({ grant_type: 'refresh_token', refresh_token: t1.refresh_token, client_id: 'web' }));
	const body = await again.json();
	return { rotated: t2.status === 200, reused: again.status === 400 && body.error === 'invalid_grant', detail: `${login.status} ${t2.status} ${again.status} ${JSON.stringify(body)}` };
}

/** Bad passwords for `names` usernames, `tries` each on one login flow per name. */
async function badLogins(s, names, tries) {
	const statuses = [];
	for (let n = 0; n < names; n++) {
		const b = browser();
		const q = new URLSearchParams({ client_id: 'web', redirect_uri: CB, response_type: 'code', scope: 'openid', state: 's', code_challenge: 'x'.repeat(43), code_challenge_method: 'S256' });
		const html = await (await b.go(`${s.base}/authorize?${q}`)).text();
		const f = {};
		for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) f[m[1]] = m[2];
		for (let i = 0; i < tries; i++) {
			const r = await afterLogin(b.go, await b.go(`${s.base}/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ ...f, username: `sprayed-${n}`, password: `Guess-${i}-Winter2026` }).toString() }));
			statuses.push(r.status);
			await r.text();
		}
	}
	return statuses;
}

/** Mixed traffic on most routes; resolves the statuses seen, by kind. */
async function mixedLoad(s, svc) {
	const auth = { authorization: basic('svc', svc.client_secret), 'content-type': 'application/x-www-form-urlencoded' };
	const tokens = await pool(Array.from({ length: 120 }, () => () => hreq(`${s.base}/token`, { method: 'POST', headers: auth, body: 'grant_type=client_credentials&audience=api' })), 8);
	const good = tokens.map((r) => r.json?.access_token).filter(Boolean);
	const json = { 'content-type': 'application/json' };
	const verified = await pool(good.slice(0, 40).map((t) => () => hreq(`${s.base}/verify`, { method: 'POST', headers: json, body: JSON.stringify({ token: t, aud: 'api' }) })), 8);
	const refused = await pool(Array.from({ length: 15 }, (_, i) => () => hreq(`${s.base}/verify`, { method: 'POST', headers: json, body: JSON.stringify({ token: `not.a.token${i}`, aud: 'api' }) })), 8);
	const intro = await pool(good.slice(0, 10).map((t) => () => hreq(`${s.base}/introspect`, { method: 'POST', headers: auth, body: `token=${t}` })), 4);
	const misc = await pool(['/.well-known/openid-configuration', '/.well-known/jwks.json', '/health', '/health/ready', '/ping', '/no-such-path', '/metrics']
		.map((p) => () => hreq(`${s.base}${p}`)), 4);
	const wrong = await hreq(`${s.base}/token`, { method: 'POST', headers: { ...auth, authorization: basic('svc', 'wrong-secret') }, body: 'grant_type=client_credentials' });
	return {
		tokens: tokens.filter((r) => r.status === 200).length,
		verified: verified.filter((r) => r.status === 200).length,
		refused: refused.filter((r) => r.status === 401).length,
		intro: intro.filter((r) => r.status === 200 && r.json?.active === true).length,
		misc: misc.map((r) => r.status).join(','),
		wrong: wrong.status,
	};
}

// ---- the suite --------------------------------------------------------------------

await runSuite(R, servers, async () => {
	if (spawnSync('prometheus', ['--version']).error || spawnSync('promtool', ['--version']).error) {
		report(false, "Debian's prometheus (prometheus, promtool) is installed", 'not found on PATH: scripts/setup.sh installs it');
		return;
	}
	// 1. The files as shipped.
	let c = promtool(['check', 'config', path.join(OPS, 'prometheus', 'prometheus.yml')]);
	report(c.code === 0 && /SUCCESS/.test(c.out), 'promtool check config ops/prometheus/prometheus.yml', c.out);
	c = promtool(['check', 'rules', path.join(OPS, 'prometheus', 'alerts.yml')]);
	report(c.code === 0 && /SUCCESS: 10 rules found/.test(c.out), 'promtool check rules ops/prometheus/alerts.yml: 10 rules', c.out);
	const dashboard = JSON.parse(fs.readFileSync(path.join(OPS, 'grafana', 'dashboards', 'identity-backend.json'), 'utf8'));
	const flat = (ps) => ps.flatMap((p) => [p, ...flat(p.panels ?? [])]);
	const panels = flat(dashboard.panels).filter((p) => p.type !== 'row');
	report(panels.length >= 20 && panels.every((p) => p.targets?.length && p.targets.every((t) => t.expr)), `the dashboard has ${panels.length} panels, each with its queries`);
	for (const f of ['datasources/prometheus.yml', 'dashboards/identity-backend.yml']) {
		const text = fs.readFileSync(path.join(OPS, 'grafana', 'provisioning', f), 'utf8');
		report(/^apiVersion: 1$/m.test(text) && (f.startsWith('datasources') ? /type: prometheus/.test(text) : /type: file/.test(text)), `grafana provisioning ${f}: apiVersion 1, ${f.startsWith('datasources') ? 'a prometheus data source' : 'a file provider'}`);
	}

	// 2. A real issuer, its clients and a user.
	const db = path.join(tmp, 'ops.db');
	const svc = await addClient(db, 'svc', ['--grant', 'client_credentials', '--audience', 'api']);
	await addClient(db, 'web', ['--public', '--grant', 'authorization_code', '--grant', 'refresh_token', '--redirect-uri', CB]);
	const alicePw = `pw-${crypto.randomBytes(12).toString('base64url')}`;
	const u = await run(['user', 'add', '--db', db, '--username', 'alice', '--password-stdin'], { env: TINY, input: alicePw });
	if (u.code !== 0) throw new Error(`user add: ${u.stderr}`);
	const s = await serve({ db, threads: 2, env: { ...TINY, LOGIN_LOCKOUT_THRESHOLD: '3', LOGIN_FAILURES_PER_ADDRESS: '0', REFRESH_REUSE_GRACE_SECONDS: '0' } });
	const mport = new URL(s.metrics).port;

	// 3. The test's copy of the configuration, and Prometheus on it.
	let cfg = fs.readFileSync(path.join(OPS, 'prometheus', 'prometheus.yml'), 'utf8');
	cfg = substitute(cfg, 'scrape_interval: 15s', 'scrape_interval: 1s');
	cfg = substitute(cfg, 'evaluation_interval: 15s', 'evaluation_interval: 1s');
	cfg = substitute(cfg, '- 127.0.0.1:9464', `- 127.0.0.1:${mport}`);
	cfg = substitute(cfg, '- alerts.yml', `- ${path.join(tmp, 'alerts.yml')}`);
	fs.writeFileSync(path.join(tmp, 'prometheus.yml'), cfg);
	fs.writeFileSync(path.join(tmp, 'alerts.yml'), substitute(fs.readFileSync(path.join(OPS, 'prometheus', 'alerts.yml'), 'utf8'), /^(\s+)for: \S+$/gm, '$1for: 1s', 10));
	c = promtool(['check', 'config', path.join(tmp, 'prometheus.yml')]);
	report(c.code === 0, "promtool check config on the test's copy (1 s intervals, the issuer's port)", c.out);
	const p = await startPrometheus(path.join(tmp, 'prometheus.yml'));
	const scraped = await until(async () => (await query(p, `up{job="${JOB}"} == 1`)).result.length === 1 && (await query(p, 'idb_account_lockouts_total')).result.length === 1, 20000, 200);
	report(scraped, `Prometheus scrapes the issuer's METRICS_LISTEN (up{job="${JOB}"} == 1) before the load`);

	// 4. The load.
	const t0 = Date.now();
	const load = await mixedLoad(s, svc);
	report(load.tokens === 120 && load.verified === 40 && load.refused === 15 && load.intro === 10 && load.wrong === 401 && load.misc === '200,200,200,200,200,404,404',
		'mixed load: 120 tokens, 40 verified, 15 refused, 10 introspected, a failed client authentication, discovery/JWKS/health/ping, unknown paths', load);
	const reuse = await refreshReuse(s, alicePw);
	report(reuse.rotated && reuse.reused, "alice signs in, her refresh token rotates, the used one comes back: 400 invalid_grant", reuse.detail);
	const flood = await badLogins(s, 7, 4);
	report(flood.length === 28 && flood.every((x) => x === 200), '28 bad sign-ins for 7 usernames (lockout threshold 3): each answered with the form again', flood.join(','));
	console.log(`# load took ${Date.now() - t0} ms`);

	// 5. The lockout alert fires; the others that the load must not trip stay quiet.
	const fired = await until(async () => (await alertState(p, 'IdbLockoutSpike')) === 'firing', 30000, 250);
	const lockouts = (await query(p, 'sum(idb_account_lockouts_total)')).result[0]?.value?.[1];
	report(fired, `the flood of bad sign-ins fires IdbLockoutSpike (idb_account_lockouts_total ${lockouts})`, await alertState(p, 'IdbLockoutSpike'));
	for (const quiet of ['IdbIssuerDown', 'IdbHighErrorRate', 'IdbRefreshReuseSpike', 'IdbStoreErrors']) {
		const st = await alertState(p, quiet);
		report(st === 'inactive', `${quiet} stays inactive under this load`, st);
	}
	const reused = (await query(p, 'sum(idb_refresh_token_reuse_total)')).result[0]?.value?.[1];
	report(reused === '1', 'idb_refresh_token_reuse_total counts the one reuse', reused);

	// 6. Every dashboard query returns data.
	for (const panel of panels) {
		const missing = [];
		for (const t of panel.targets) {
			const r = await query(p, grafanaExpr(t.expr));
			if (r.status !== 'success' || r.result.length === 0) missing.push(`${t.expr} → ${r.status} ${r.error ?? 'no data'}`);
		}
		report(missing.length === 0, `dashboard panel "${panel.title}": every query returns data`, missing.join(' ; '));
	}
	for (const v of dashboard.templating.list.filter((x) => x.type === 'query')) {
		const m = /^label_values\((.*), (\w+)\)$/.exec(v.definition);
		const r = m && (await (await fetch(`${p.base}/api/v1/label/${m[2]}/values?${new URLSearchParams({ 'match[]': m[1].replaceAll('$job', JOB) })}`)).json());
		report(r?.status === 'success' && r.data.length > 0 && (m[2] !== 'job' || r.data.includes(JOB)), `dashboard variable $${v.name} (${v.definition}) has values`, r?.data);
	}

	// 7. Every alert rule, as Prometheus loaded it: one filtering comparison; evaluates; with it made bool, data.
	const groups = (await (await fetch(`${p.base}/api/v1/rules`)).json()).data.groups;
	const rules = groups.flatMap((g) => g.rules).filter((r) => r.type === 'alerting');
	report(rules.length === 10 && rules.every((r) => r.health === 'ok'), `Prometheus loaded 10 alert rules, all healthy`, rules.map((r) => `${r.name}:${r.health}:${r.lastError ?? ''}`));
	for (const rule of rules) {
		const n = filteringComparisons(rule.query).length;
		const raw = await query(p, rule.query);
		const signal = await query(p, asBool(rule.query));
		report(n === 1 && raw.status === 'success' && signal.status === 'success' && signal.result.length > 0,
			`alert ${rule.name}: one filtering comparison, evaluates, and its signal returns data`,
			`${n} comparisons; ${raw.status} ${raw.error ?? ''}; signal ${signal.status} ${signal.result.length} series ${signal.error ?? ''}: ${asBool(rule.query)}`);
	}

	// 8. The issuer stops: IdbIssuerDown fires.
	await stop(s, 'issuer');
	const down = await until(async () => (await alertState(p, 'IdbIssuerDown')) === 'firing', 20000, 250);
	report(down, 'the issuer stopped: IdbIssuerDown fires', await alertState(p, 'IdbIssuerDown'));

	const r = await stopChild(p.child, { killAfterMs: 5000 });
	servers.splice(servers.indexOf(p), 1);
	report(r.code === 0 || r.signal === 'SIGTERM', 'Prometheus stops on SIGTERM', r);
});
