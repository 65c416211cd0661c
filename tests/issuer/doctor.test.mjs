// doctor.test.mjs: `identity-backend doctor`, the security self-check, on real databases
// and environments: a careful deployment has no findings (exit 0); each weakness, made
// one at a time, gives its own line and exit 1; the database's problems (absent,
// unreadable) are said, not ignored.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { reporter, tempDir } from '../lib.mjs';
import { run } from './lib.mjs';

const { report, finish } = reporter('issuer/doctor');
const tmp = tempDir('idb-doctor-');
const dir = path.join(tmp, 'data');
fs.mkdirSync(dir, { mode: 0o700 });
const db = path.join(dir, 'id.db');
const GOOD = { JWT_ISSUER: 'https://id.example' };
const doctor = (env = {}, args = []) => run(['doctor', '--db', db, ...args], { env: { ...GOOD, ...env } });
const lines = (r) => r.stdout.split('\n').filter(Boolean);
const show = (r) => `exit ${r.code} ${r.stdout.slice(0, 300)} ${r.stderr.slice(0, 200)}`;

try {
	let r = await run(['client', 'add', '--db', db, '--id', 'web', '--grant', 'authorization_code', '--redirect-uri', 'https://app.example/cb', '--redirect-uri', 'http://127.0.0.1:9000/cb']);
	report(r.code === 0, 'a client with an https and a loopback http redirect URI', show(r));
	r = await run(['keys', 'rotate', '--db', db, '--lead', '0']);
	r = await doctor();
	report(r.code === 0 && r.stdout === 'identity-backend doctor: no findings\n', 'a careful deployment: no findings, exit 0', show(r));

	// One weakness at a time: its own line naming it, exit 1.
	const cases = [
		[{ JWT_ISSUER: 'http://id.example' }, /^identity-backend doctor: issuer: not https/, 'an http issuer'],
		[{ JWT_ISSUER: 'http://127.0.0.1:8080' }, /^identity-backend doctor: issuer: http on loopback/, 'an http issuer on loopback'],
		[{ JWT_ISSUER: undefined }, /^identity-backend doctor: issuer: http on loopback/, 'no issuer set (the default is http on loopback)'],
		[{ JWT_SECRET_KEY: 'x'.repeat(40) }, /^identity-backend doctor: JWT_SECRET_KEY: legacy HS256 is on/, 'legacy HS256'],
		[{ PASSWORD_ARGON2_TEST: '1', PASSWORD_ARGON2_M_KIB: '64', PASSWORD_ARGON2_T: '1' }, /^identity-backend doctor: argon2id: /, 'argon2id below OWASP (test mode)'],
		[{ PASSWORD_ARGON2_M_KIB: '1024' }, /^identity-backend doctor: argon2id: .*below OWASP/, 'argon2id parameters the server would refuse'],
		[{ LOGIN_LOCKOUT_THRESHOLD: '0' }, /^identity-backend doctor: LOGIN_LOCKOUT_THRESHOLD: 0 turns account lockout off/, 'account lockout off'],
		[{ LOGIN_FAILURES_PER_ADDRESS: '0' }, /^identity-backend doctor: LOGIN_FAILURES_PER_ADDRESS: 0 turns the per-address limit off/, 'per-address sign-in limit off'],
		[{ CLIENT_AUTH_FAILURES_PER_ADDRESS: '0' }, /^identity-backend doctor: CLIENT_AUTH_FAILURES_PER_ADDRESS: /, 'per-address client limit off'],
		[{ KEY_ROTATION_DAYS: '0' }, /^identity-backend doctor: KEY_ROTATION_DAYS: 0 turns scheduled key rotation off/, 'scheduled rotation off'],
		[{ PASSWORD_LIST: '/nonexistent/list.txt' }, /^identity-backend doctor: PASSWORD_LIST: cannot read \/nonexistent\/list\.txt: No such file or directory; new passwords cannot be set/, 'a list of common passwords that cannot be read'],
		[{ PASSWORD_LIST: 'none' }, /^identity-backend doctor: PASSWORD_LIST: none: new passwords are not checked against a list of common passwords/, 'the list of common passwords turned off'],
		[{ PASSWORD_MIN_LENGTH: '6' }, /^identity-backend doctor: password policy: PASSWORD_MIN_LENGTH: .*from 8/, 'a minimum password length below 8'],
	];
	for (const [env, want, what] of cases) {
		r = await doctor(env);
		report(r.code === 1 && lines(r).length === 1 && want.test(lines(r)[0]), `${what}: one finding, exit 1`, show(r));
	}

	fs.chmodSync(db, 0o644);
	r = await doctor();
	report(r.code === 1 && lines(r).some((l) => l.includes('mode 644: others may read the private keys')), 'a database readable by others', show(r));
	fs.chmodSync(db, 0o600);
	fs.chmodSync(dir, 0o777);
	r = await doctor();
	report(r.code === 1 && lines(r).some((l) => l.includes('folder mode 777')), 'a folder others may write', show(r));
	fs.chmodSync(dir, 0o700);

	r = await run(['client', 'add', '--db', db, '--id', 'plain', '--grant', 'authorization_code', '--redirect-uri', 'http://app.example/cb']);
	r = await doctor();
	report(r.code === 1 && lines(r).length === 1 && /^identity-backend doctor: client plain: redirect URI http:\/\/app\.example\/cb is http to a network host/.test(lines(r)[0]), 'a client redirecting over http to a network host (loopback http is fine)', show(r));
	await run(['client', 'remove', '--db', db, 'plain']);

	const old = spawnSync('sqlite3', ['-cmd', '.timeout 5000', db, 'UPDATE signing_keys SET created_at = created_at - 200 * 86400;'], { encoding: 'utf8' });
	r = await doctor();
	report(old.status === 0 && r.code === 1 && lines(r).length >= 1 && lines(r).every((l) => /^identity-backend doctor: key \S+: \S+ key signing for 20\d days \(more than 90\)/.test(l)), 'signing keys older than the rotation period', show(r));

	r = await run(['doctor', '--db', 'postgres://u@127.0.0.1/id'], { env: GOOD });
	report(r.code !== 0 && lines(r).some((l) => /^identity-backend doctor: SECRETS_SYSTEM: unset with a networked database/.test(l)), 'a networked database without SECRETS_SYSTEM', show(r));

	// The database itself: absent, unreadable.
	r = await run(['doctor', '--db', path.join(tmp, 'none.db')], { env: GOOD });
	report(r.code === 2 && /^identity-backend doctor: no database at /.test(r.stderr) && !fs.existsSync(path.join(tmp, 'none.db')), 'no database: said, exit 2, nothing created', show(r));
	const junk = path.join(dir, 'junk.db');
	fs.writeFileSync(junk, 'not a database '.repeat(100), { mode: 0o600 });
	r = await run(['doctor', '--db', junk], { env: GOOD });
	report(r.code !== 0 && /^identity-backend doctor: .*junk\.db/m.test(r.stderr), 'an unreadable database: said, non-zero exit', show(r));
	r = await run(['doctor', '--bogus'], { env: GOOD });
	report(r.code === 2 && /^identity-backend doctor: unknown option/.test(r.stderr), 'an unknown option: usage error', show(r));
	const all = lines(await doctor({ JWT_SECRET_KEY: 's3cr3t-'.repeat(6) }));
	report(!all.some((l) => l.includes('s3cr3t')), 'no finding prints a secret');
} catch (e) {
	report(false, 'suite ran to the end', e.stack);
}
finish();
