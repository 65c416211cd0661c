// cli_help.test.mjs: the binary's help, version and "no database" answers, as an
// operator meets them: --help and -h on every command and subcommand print usage on
// stdout and exit 0; `version` and `--version` name ours and the libraries'; commands
// that only read never create a database.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { BIN, repo, reporter, tempDir } from '../lib.mjs';

const tmp = tempDir('idb-clihelp-');
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));
const { report, finish } = reporter('issuer/cli_help');
const run = (args, cwd = tmp) => {
	const r = spawnSync(BIN, args, { cwd, encoding: 'utf8', timeout: 30000, input: '' });
	return { code: r.status, out: r.stdout, err: r.stderr };
};
const show = (r) => `exit ${r.code} out ${JSON.stringify(r.out.slice(0, 120))} err ${JSON.stringify(r.err.slice(0, 200))}`;

// 1. Help: every command and subcommand, both spellings, wherever among the options.
const forms = [
	[[], /usage: identity-backend <command>/],
	[['verify'], /verify --jwks FILE/], [['verify', '--jwks', 'x.json'], /verify --jwks FILE/],
	[['serve'], /serve \[--listen HOST:PORT\]/], [['serve', '--listen', '127.0.0.1:1'], /serve \[--listen/],
	[['keys'], /keys rotate/], [['keys', 'list'], /keys list/], [['keys', 'rotate', '--alg', 'ES256'], /keys rotate/], [['keys', 'retire'], /keys retire KID/],
	[['client'], /client add --id ID/], [['client', 'add', '--id', 'x'], /client add/], [['client', 'list'], /client list/], [['client', 'remove'], /client remove ID/],
	[['user'], /user add --username/], [['user', 'add'], /user add/], [['user', 'list'], /user list/], [['user', 'remove'], /user remove USERNAME/],
];
for (const [args, want] of forms) {
	for (const flag of ['--help', '-h']) {
		const r = run([...args, flag], tmp);
		report(r.code === 0 && want.test(r.out) && r.err === '', `${['identity-backend', ...args, flag].join(' ')}: usage on stdout, exit 0`, show(r));
	}
}
report(!fs.existsSync(path.join(tmp, 'var')), 'asking for help creates no database and starts nothing');
{
	const r = run(['--help']);
	report(!/So far/.test(r.out) && /version/.test(r.out) && /--help \(or -h\)/.test(r.out), 'the top-level help is current (no "So far", names version and -h)', show(r));
	const t = run(['client', 'remove', '--', '-h'], tmp);
	report(t.code === 2 && /no database at var\/identity\.db/.test(t.err), '"-h" after "--" is an argument, not a request for help', show(t));
}

// 2. Version: ours equals the npm package's; the libraries are named.
const pkg = JSON.parse(fs.readFileSync(path.join(repo, 'verifier-wasm/package.json'), 'utf8'));
for (const args of [['version'], ['--version']]) {
	const r = run(args);
	const first = r.out.split('\n')[0];
	report(r.code === 0 && first === `identity-backend ${pkg.version}` && /^wolfCrypt 5\.5\.4 /m.test(r.out) && /^H2O 2\.2\.5$/m.test(r.out) && /^SQLite 3\./m.test(r.out) && /^cJSON 1\./m.test(r.out),
		`identity-backend ${args[0]}: "identity-backend ${pkg.version}" and the libraries' versions`, show(r));
}

// 3. Commands that only read or remove never create a database; adding does.
for (const args of [['keys', 'list'], ['client', 'list'], ['user', 'list'], ['client', 'remove', 'x'], ['user', 'remove', 'x'], ['keys', 'retire', 'kid']]) {
	const db = path.join(tmp, 'none.db');
	const r = run([...args, '--db', db]);
	report(r.code === 2 && r.out === '' && r.err === `identity-backend ${args[0]}: no database at ${db}\n` && !fs.existsSync(db),
		`${args.join(' ')} on a missing --db: "no database at", exit 2, no file made`, show(r));
}
{
	const db = path.join(tmp, 'made.db');
	const r = run(['client', 'add', '--id', 'svc', '--db', db]);
	report(r.code === 0 && fs.existsSync(db) && run(['client', 'list', '--db', db]).code === 0, 'client add makes the database; list then reads it', show(r));
}

// 4. An unknown command: the usage on stderr, exit 2, the error line names the program.
{
	const r = run(['frobnicate']);
	report(r.code === 2 && r.out === '' && r.err.startsWith("identity-backend: unknown command 'frobnicate'"), 'an unknown command: one line naming it, usage on stderr, exit 2', show(r));
}
finish();
