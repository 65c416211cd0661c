// openapi.test.mjs: the API description (www/openapi.json) is valid, complete and
// served. A maintained parser (@readme/openapi-parser) validates it as OpenAPI 3.1
// ($refs resolved); every route of the server's table (issuer/routes/routes.c) and
// every folder static.c serves is described with each method it takes; the issuer
// serves the same document at /openapi.json with its own URL as the server; and the
// checker that holds every suite's answers to the description (tests/openapi.mjs)
// refuses what it must: an undocumented status, path, content type, body member or
// missing header (its verdicts here are not recorded against this suite).
import fs from 'node:fs';
import path from 'node:path';
import { repo, reporter, runSuite, serverSet, tempDir } from '../lib.mjs';
import { SPEC_PATH, checkAnswer, watchServer } from '../openapi.mjs';
import { hreq } from './lib.mjs';

const R = reporter('issuer/openapi');
const { report } = R;
const { servers, serve, stop } = serverSet(report);
const tmp = tempDir('idb-openapi-');
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

const spec = JSON.parse(fs.readFileSync(SPEC_PATH, 'utf8'));
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

await runSuite(R, servers, async () => {
	// 1. A maintained parser validates it.
	const { validate } = await import('@readme/openapi-parser');
	const v = await validate(structuredClone(spec));
	report(v.valid && spec.openapi.startsWith('3.1.'), `@readme/openapi-parser validates www/openapi.json as OpenAPI ${spec.openapi}`, v.errors ?? v);

	// 2. Every route of the table, with its methods, and every static folder.
	const table = fs.readFileSync(path.join(repo, 'issuer', 'routes', 'routes.c'), 'utf8');
	const rows = [...table.matchAll(/^\s*\{"(\/[^"]*)", "([A-Z, ]+)", \w+, [01]\},$/gm)].map((m) => ({ path: m[1], methods: m[2].split(', ') }));
	const missing = [];
	for (const r of rows) {
		for (const m of r.methods) if (!spec.paths[r.path]?.[m.toLowerCase()]) missing.push(`${m} ${r.path}`);
		for (const m of METHODS) if (spec.paths[r.path]?.[m] && !r.methods.includes(m.toUpperCase())) missing.push(`${m.toUpperCase()} ${r.path} is described but not routed`);
	}
	report(rows.length >= 20 && missing.length === 0, `each of the ${rows.length} routes of routes.c is described with exactly its methods`, missing);
	const sites = [...fs.readFileSync(path.join(repo, 'issuer', 'http', 'static.c'), 'utf8').matchAll(/^\s*\{"(\/\w+\/)", "\w+", \w+_CSP, ""\},$/gm)].map((m) => m[1]);
	const siteMissing = sites.flatMap((s) => [s.slice(0, -1), s, `${s}{file}`, `${s}verifier/index.js`, `${s}verifier/dist/verifier.wasm`].filter((p) => !spec.paths[p]?.get));
	report(sites.length === 2 && siteMissing.length === 0 && spec.paths['/favicon.ico']?.get && spec.paths['/metrics']?.get,
		`the static folders (${sites.join(', ')}), /favicon.ico and /metrics are described`, siteMissing);
	const ops = Object.entries(spec.paths).flatMap(([p, item]) => METHODS.filter((m) => item[m]).map((m) => [`${m.toUpperCase()} ${p}`, item[m]]));
	const bare = ops.filter(([, o]) => !o.operationId || !o.summary || !(o['x-error-only'] || Object.keys(o.responses).some((k) => /^[23]/.test(k))));
	report(bare.length === 0, `each of the ${ops.length} operations has an operationId, a summary and a success status (or says x-error-only)`, bare.map(([n]) => n));
	const ids = ops.map(([, o]) => o.operationId);
	report(new Set(ids).size === ids.length, 'operationIds are unique');

	// 3. Served by the issuer, with its own URL as the server.
	const s = await serve({ db: path.join(tmp, 'o.db') });
	const r = await hreq(`${s.base}/openapi.json`);
	const want = structuredClone(spec);
	want.servers = [{ url: s.base }];
	want.paths['/metrics'].servers[0].variables.metrics_listen.default = new URL(s.metrics).host;
	report(r.status === 200 && /^application\/json/.test(r.headers['content-type']) && JSON.stringify(r.json) === JSON.stringify(want),
		'GET /openapi.json: the repository\'s document, its servers the issuer URL and METRICS_LISTEN', `${r.status} ${JSON.stringify(r.json?.servers)}`);
	report(r.headers['access-control-allow-origin'] === '*', 'GET /openapi.json is readable from any origin (CORS *)');
	const head = await hreq(`${s.base}/openapi.json`, { method: 'HEAD' });
	report(head.status === 200 && head.text === '', 'HEAD /openapi.json: 200, no body');
	const post = await hreq(`${s.base}/openapi.json`, { method: 'POST', body: '{}' });
	report(post.status === 405 && post.headers.allow === 'GET', 'POST /openapi.json: 405, Allow: GET', `${post.status} ${post.text}`);
	await stop(s, 'server');

	// 4. The checker refuses what it must (not recorded: these answers are made up).
	watchServer(1);
	const check = (a) => checkAnswer({ headers: {}, body: '', ...a, url: `http://127.0.0.1:1${a.path}`, record: false });
	const json = { 'content-type': 'application/json' };
	const good = { method: 'POST', path: '/token', status: 200, headers: { ...json, 'cache-control': 'no-store', pragma: 'no-cache' }, body: '{"access_token":"a.b.c","token_type":"Bearer","expires_in":900}' };
	const cases = [
		['a described answer', good, 0],
		['HEAD as GET, without a body', { method: 'HEAD', path: '/health', status: 200, headers: json }, 0],
		['an undocumented status', { ...good, status: 418 }, 1],
		['an undocumented body member', { ...good, body: '{"access_token":"a","token_type":"Bearer","expires_in":900,"debug":"x"}' }, 1],
		['a member of the wrong type', { ...good, body: '{"access_token":"a","token_type":"Bearer","expires_in":"900"}' }, 1],
		['a body that is not JSON', { ...good, body: 'OK' }, 1],
		['another content type', { ...good, headers: { ...good.headers, 'content-type': 'text/plain' } }, 1],
		['a required header missing (405 without Allow)', { method: 'DELETE', path: '/token', status: 405, headers: json, body: '{"error":"method_not_allowed"}' }, 1],
		['an unknown path answering 200', { method: 'GET', path: '/secret', status: 200, headers: json, body: '{}' }, 1],
		['an unknown path answering the 404 error', { method: 'GET', path: '/secret', status: 404, headers: json, body: '{"error":"not_found","error_description":"no such endpoint"}' }, 0],
		['a method not described answering 200', { method: 'PUT', path: '/health', status: 200, headers: json, body: '{}' }, 1],
		['a path of a folder (template)', { method: 'GET', path: '/demo/demo.js', status: 200, headers: { 'content-type': 'text/javascript; charset=utf-8' }, body: 'x' }, 0],
		['a const body that differs (/ping)', { method: 'GET', path: '/ping', status: 200, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'NO' }, 1],
		['a body where none is promised (302)', { method: 'GET', path: '/authorize', status: 302, headers: { location: 'https://app.example/cb?code=x' }, body: 'hello' }, 1],
	];
	for (const [name, a, bad] of cases) {
		const problems = await check(a);
		report(bad ? problems.length > 0 : problems.length === 0, `the checker ${bad ? 'refuses' : 'accepts'} ${name}`, problems);
	}
	watchServer(2, '', true);
	const own = await checkAnswer({ method: 'GET', url: 'http://127.0.0.1:2/health', status: 200, headers: json, body: '{}', record: false });
	report(own.length > 0, 'the checker refuses a public path answered on the METRICS_LISTEN listener', own);
});
