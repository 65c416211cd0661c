// `identity-backend user add | list | remove`, as an operator runs it, against a
// fresh SQLite file in a temporary directory: the JSON printed, exit statuses
// (0 ok, 1 store answer or failure, 2 usage), username and email rules, the
// password on stdin (read(2), one trailing newline dropped, 1..1024 bytes of
// UTF-8), the rules for new passwords (NIST SP 800-63B §5.1.1.2: at least
// PASSWORD_MIN_LENGTH characters, 12 by default, counted as code points; not on
// the list of common passwords PASSWORD_LIST names, by default john-data's
// /usr/share/john/password.lst; not the username, one repeated character or a
// run of digits), that an account whose old password breaks them still signs
// in (and is rehashed), and that a password or its hash never shows: not on stdout or stderr
// (every output of the run is kept and searched at the end), not in `list`, not
// in clear in the database file. When the sqlite3 shell exists, the stored hash
// is read as an independent witness (argon2id, with the configured parameters),
// and when Python can load libargon2 it verifies that hash against the exact
// password bytes (so the newline handling is checked by someone other than us).
// Tiny argon2id parameters (PASSWORD_ARGON2_TEST=1) except one add at the
// default cost.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { BIN, reporter, sanitizerReport, startServer, tempDir } from '../lib.mjs';
import { addClient, browser } from './lib.mjs';

const tmp = tempDir('idb-user-');
const db = path.join(tmp, 'identity.db');
const TINY = { PASSWORD_ARGON2_TEST: '1', PASSWORD_ARGON2_M_KIB: '64', PASSWORD_ARGON2_T: '1', PASSWORD_ARGON2_P: '1' };
const UUID4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const PASSWORD_VARS = ['PASSWORD_ARGON2_TEST', 'PASSWORD_ARGON2_M_KIB', 'PASSWORD_ARGON2_T', 'PASSWORD_ARGON2_P', 'PASSWORD_MIN_LENGTH', 'PASSWORD_LIST'];
const { report, skip, finish } = reporter('issuer/user');
const transcript = []; // every stdout and stderr of the run
const passwords = []; // every password given

/** Run the binary with the tiny parameters unless env says otherwise (undefined removes). */
function run(args, { input = '', env = TINY } = {}) {
	const e = { ...process.env };
	for (const k of PASSWORD_VARS) delete e[k];
	for (const [k, v] of Object.entries(env)) if (v === undefined) delete e[k]; else e[k] = v;
	const r = spawnSync(BIN, args, { input, env: e, cwd: tmp, timeout: 60000 });
	if (r.error) throw new Error(`cannot run ${BIN}: ${r.error.message}`);
	const out = r.stdout.toString('utf8'), err = r.stderr.toString('utf8');
	transcript.push(out, err);
	let json;
	try {
		json = JSON.parse(out);
	} catch {
		json = undefined;
	}
	return { code: r.status, signal: r.signal, out, err, json };
}
const user = (args, opts) => run(['user', ...args, '--db', db], opts);
const add = (name, password, more = [], opts = {}) => {
	if (typeof password === 'string') passwords.push(password.replace(/\r?\n$/, ''));
	return user(['add', '--username', name, ...more, '--password-stdin'], { input: password, ...opts });
};
const show = (r) => `exit ${r.code} ${r.signal ?? ''} ${(r.out ?? '').slice(0, 200)} ${(r.err ?? '').slice(0, 300)}`;

/** The sqlite3 shell, when installed, reads the file as an independent witness. */
const hasSqlite = spawnSync('sqlite3', ['-version']).status === 0;
const sql = (q) => spawnSync('sqlite3', [db, q], { encoding: 'utf8' }).stdout.trim();
const storedHash = (name) => sql(`SELECT password_hash FROM users WHERE username = '${name}'`);

/** libargon2's own argon2id_verify, through Python's ctypes: 1, 0, or null when unavailable. */
const PY = `
import ctypes, ctypes.util, sys
lib = ctypes.CDLL(ctypes.util.find_library('argon2') or 'libargon2.so.1')
lib.argon2id_verify.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_size_t]
enc = sys.argv[1].encode(); pw = bytes.fromhex(sys.argv[2])
print(1 if lib.argon2id_verify(enc, pw, len(pw)) == 0 else 0)
`;
const pyVerify = (encoded, pwBuf) => {
	const r = spawnSync('python3', ['-c', PY, encoded, Buffer.from(pwBuf).toString('hex')], { encoding: 'utf8' });
	return r.status === 0 ? Number(r.stdout.trim()) : null;
};
const hasPyArgon2 = hasSqlite && pyVerify('$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4', 'password') === 1;

try {
	// ---- add ----
	let r = add('alice', 'correct horse battery staple\n', ['--email', 'alice@example.com']);
	report(r.code === 0 && UUID4.test(r.json?.user_id ?? '') && r.json.username === 'alice' && r.json.email === 'alice@example.com',
		'user add prints {user_id (a random UUID), username, email}', show(r));
	report(r.json && Object.keys(r.json).sort().join() === 'created_at,disabled,email,email_verified,groups,user_id,username' &&
		r.json.email_verified === false && r.json.disabled === false && r.json.groups.length === 0,
		'user add prints the profile (unverified, enabled, no groups) and nothing else: no hash', show(r));
	report(/PASSWORD_ARGON2_TEST=1/.test(r.err) && /below OWASP/.test(r.err), 'test parameters below OWASP are warned about on stderr', show(r));
	const alice = r.json?.user_id;
	report((fs.statSync(db).mode & 0o777) === 0o600, 'the database file is mode 0600');

	r = add('bob', 'bob-password');
	report(r.code === 0 && r.json && !('email' in r.json) && r.json.user_id !== alice,
		'without --email: no email; every user gets a new id', show(r));
	r = add('b'.repeat(64), 'long enough passphrase');
	report(r.code === 0 && r.json?.username === 'b'.repeat(64), 'a 64-character username is accepted', show(r));
	r = add('Carol.O-Neil+sso@corp_1', 'p\u00e4ssw\u00f6rd \u{1F511} schl\u00fcssel', ['--email', "o'neil.c+sso@mail-1.example.co.uk"]);
	report(r.code === 0 && r.json?.username === 'Carol.O-Neil+sso@corp_1', 'usernames take A-Z a-z 0-9 . _ @ + -; a UTF-8 password is fine', show(r));
	r = add('maxlen', 'Mn'.repeat(512) + '\n');
	report(r.code === 0, 'a 1024-byte password (plus its newline) is accepted', show(r));
	r = add('crlf', 'windows-pass\r\n');
	report(r.code === 0, 'a password ending in CRLF is accepted', show(r));

	// ---- duplicates ----
	r = add('alice', 'another password');
	report(r.code === 1 && /user exists: alice/.test(r.err) && r.out === '', 'a username that exists: exit 1, user exists, nothing printed', show(r));
	r = add('ALICE', 'another password');
	report(r.code === 1 && /user exists/.test(r.err), 'usernames are unique in any letter case', show(r));

	// ---- bad usernames, emails, arguments ----
	for (const [name, why] of [['', 'empty'], ['a b', 'a space'], ['j\u00f6rg', 'non-ASCII'], ['x'.repeat(65), '65 characters'],
		['semi;colon', 'a semicolon'], ['new\nline', 'a newline'], ['<script>', 'angle brackets'], ['a/b', 'a slash']]) {
		r = add(name, 'pw');
		report(r.code === 2 && r.out === '', `username with ${why}: usage error, nothing printed`, show(r));
	}
	r = add('esc\x1b[31mred', 'pw');
	report(r.code === 2 && !r.err.includes('\x1b'), 'control characters in a bad username are not echoed to the terminal', show(r));
	for (const email of ['no-at', 'a@', '@b.example', 'a@b..example', 'a@-b.example', 'a@b-.example', 'a b@c.example',
		'a@b.example.', 'a@@b.example', `${'l'.repeat(65)}@b.example`, `a@${'d'.repeat(64)}.example`, 'a@b_c.example', '']) {
		r = add('eve', 'pw', ['--email', email]);
		report(r.code === 2 && r.out === '' && /--email/.test(r.err), `invalid --email ${JSON.stringify(email)}: usage error`, show(r));
	}
	r = user(['add', '--username', 'eve'], { input: 'pw\n' });
	report(r.code === 2 && /--password-stdin/.test(r.err), 'add without --password-stdin: usage error', show(r));
	r = user(['add', '--password-stdin'], { input: 'pw\n' });
	report(r.code === 2 && /--username/.test(r.err), 'add without --username: usage error', show(r));
	for (const args of [['add', '--username', 'eve', '--password-stdin', 'extra'], ['add', '--username', 'eve', '--password-stdin', '--password', 'pw'],
		['list', '--password-stdin'], ['list', '--username', 'x'], ['list', 'extra'], ['remove'], ['remove', 'a', 'b'], ['frob'], [],
		['remove', 'bad name'], ['add', '--username']]) {
		r = user(args, { input: 'pw\n' });
		report(r.code === 2 && r.out === '', `user ${args.join(' ')}: usage error`, show(r));
	}
	report(!user(['list']).json?.some((u) => u.username === 'eve'), 'no failed add created a user');

	// ---- the password on stdin ----
	for (const [input, why] of [['', 'empty'], ['\n', 'only a newline'], ['\r\n', 'only CRLF'], ['x'.repeat(1025), '1025 bytes'],
		['x'.repeat(1025) + '\n', '1025 bytes and a newline'], [Buffer.from([0x61, 0x00, 0x62]), 'a NUL byte'],
		[Buffer.from([0x70, 0xff, 0x77]), 'not UTF-8 (byte FF)'], [Buffer.from([0xc0, 0xaf]), 'an overlong UTF-8 form'],
		['x'.repeat(100000), '100 kB']]) {
		r = user(['add', '--username', 'frank', '--password-stdin'], { input });
		report(r.code === 2 && r.out === '' && /the password is/.test(r.err), `password ${why}: usage error`, show(r));
	}
	report(!user(['list']).json?.some((u) => u.username === 'frank'), 'no user made from a refused password');

	// ---- parameters from the environment ----
	r = add('gina', 'pw', [], { env: { PASSWORD_ARGON2_M_KIB: '1024' } });
	report(r.code === 2 && /PASSWORD_ARGON2_M_KIB/.test(r.err) && /OWASP/.test(r.err), 'm below the OWASP minimum without PASSWORD_ARGON2_TEST: usage error', show(r));
	r = add('gina', 'pw', [], { env: { ...TINY, PASSWORD_ARGON2_T: 'two' } });
	report(r.code === 2 && /PASSWORD_ARGON2_T/.test(r.err), 'a non-numeric PASSWORD_ARGON2_T: usage error', show(r));
	r = add('gina', 'pw', [], { env: { ...TINY, PASSWORD_ARGON2_P: '0' } });
	report(r.code === 2, 'PASSWORD_ARGON2_P=0: usage error', show(r));
	const t0 = Date.now();
	r = add('dora', 'default cost password', [], { env: {} });
	const ms = Date.now() - t0;
	report(r.code === 0 && !/warning/.test(r.err), 'add at the default cost (no environment): no warning', show(r));
	console.log(`# user add at m=19456,t=2,p=1: ${ms} ms for the whole command`);

	// ---- what is stored ----
	if (hasSqlite) {
		report(/^\$argon2id\$v=19\$m=64,t=1,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/.test(storedHash('alice')),
			'the stored hash is argon2id with the configured parameters (m=64,t=1,p=1)', storedHash('alice'));
		report(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/.test(storedHash('dora')), 'by default: OWASP\'s m=19456,t=2,p=1', storedHash('dora'));
		report(sql(`SELECT id FROM users WHERE username = 'alice'`) === alice && sql(`SELECT email IS NULL FROM users WHERE username = 'bob'`) === '1',
			'the user id is the one printed; no email is stored as NULL');
		report(storedHash('alice') !== storedHash('bob') && new Set(sql('SELECT substr(password_hash, 29, 22) FROM users').split('\n')).size === Number(sql('SELECT count(*) FROM users')),
			'every hash has its own salt');
		if (hasPyArgon2) {
			report(pyVerify(storedHash('alice'), Buffer.from('correct horse battery staple')) === 1 &&
				pyVerify(storedHash('alice'), Buffer.from('correct horse battery staple\n')) === 0,
				'libargon2 (via Python) verifies the password without its newline, not with it');
			report(pyVerify(storedHash('crlf'), Buffer.from('windows-pass')) === 1, 'a trailing CRLF is dropped as one newline');
			report(pyVerify(storedHash('maxlen'), Buffer.from('Mn'.repeat(512))) === 1, 'all 1024 bytes are hashed');
			report(pyVerify(storedHash('Carol.O-Neil+sso@corp_1'), Buffer.from('p\u00e4ssw\u00f6rd \u{1F511} schl\u00fcssel', 'utf8')) === 1, 'the UTF-8 bytes are hashed as given');
			report(pyVerify(storedHash('dora'), Buffer.from('default cost password')) === 1, 'the default-cost hash verifies');
		} else {
			skip('Python cannot load libargon2: stored hashes not verified independently');
		}
	} else {
		skip('no sqlite3 shell: the stored hash is not inspected');
	}
	const bytes = Buffer.concat([fs.readFileSync(db), fs.existsSync(`${db}-wal`) ? fs.readFileSync(`${db}-wal`) : Buffer.alloc(0)]);
	report(!passwords.some((p) => p.length >= 8 && bytes.includes(Buffer.from(p))), 'no password is in the database file in clear');

	// ---- list ----
	r = user(['list']);
	const list = r.json ?? [];
	report(r.code === 0 && Array.isArray(r.json) && list.length === 7, 'user list prints every user as an array', show(r));
	const fields = new Set(list.flatMap(Object.keys));
	report([...fields].sort().join() === 'created_at,disabled,email,email_verified,groups,locked,user_id,username', 'list members: the profile and locked, never a hash', [...fields].join());
	const a = list.find((u) => u.username === 'alice');
	report(a?.user_id === alice && a.email === 'alice@example.com' && a.locked === false && Math.abs(a.created_at - Date.now() / 1000) < 600,
		'alice: her id, email, created_at now, not locked', JSON.stringify(a));
	report(!('email' in (list.find((u) => u.username === 'bob') ?? { email: 1 })), 'no email: the member is left out');
	report(list.map((u) => u.username).join() === [...list.map((u) => u.username)].sort((x, y) => x.toLowerCase().localeCompare(y.toLowerCase())).join(),
		'listed in username order, regardless of case', list.map((u) => u.username).join());
	report(!/argon2|\$v=19/.test(r.out), 'list never prints a password hash');
	if (hasSqlite) {
		sql(`INSERT INTO login_attempts (name, attempts, since, locked_until) VALUES ('bob', 5, 1999999000, 2000000000)`);
		r = user(['list', '--now', '1999999999']);
		report(r.json?.find((u) => u.username === 'bob')?.locked === true, 'a user locked until later shows locked: true', show(r));
		r = user(['list', '--now', '2000000000']);
		report(r.json?.find((u) => u.username === 'bob')?.locked === false, 'from locked_until on, locked: false', show(r));
		// ---- show, unlock ----
		r = user(['show', 'BOB', '--now', '1999999999']);
		report(r.code === 0 && r.json?.username === 'bob' && r.json.locked === true && r.json.locked_until === 2000000000 && r.json.failed_attempts === 5 && !/argon2/.test(r.out),
			'user show (any case): the user, locked until when, the failures on record, no hash', show(r));
		r = user(['unlock', 'bob']);
		report(r.code === 0 && r.json?.unlocked === 'bob', 'user unlock prints {"unlocked":USERNAME}', show(r));
		r = user(['show', 'bob', '--now', '1999999999']);
		report(r.json?.locked === false && r.json.locked_until === 0 && r.json.failed_attempts === 0, 'after unlock: not locked, no failures on record', show(r));
		report(sql("SELECT count(*) FROM login_attempts WHERE name = 'bob' AND locked_until > 0") === '0', 'the lock is gone from the store');
	}
	// ---- second factors: show lists them (never their data), mfa reset removes them ----
	const bobId = list.find((u) => u.username === 'bob')?.user_id;
	if (hasSqlite) {
		sql(`INSERT INTO factors (id, user_id, kind, name, data, created_at) VALUES ('fa-totp', '${alice}', 'totp', 'Phone', x'deadbeefcafe', 300);
			INSERT INTO factors (id, user_id, kind, name, cred_id, data, counter, confirmed, created_at, last_used_at) VALUES
			('fa-key', '${alice}', 'passkey', 'Blue key', x'c0ffee', x'deadbeefcafe', 9, 1, 200, 1999999000),
			('fb-key', '${bobId}', 'passkey', 'Bob''s key', x'c0ffef', x'deadbeefcafe', 1, 1, 100, 0);
			INSERT INTO factors (id, user_id, kind, name, data, confirmed, created_at) VALUES ('fa-rec', '${alice}', 'recovery', '', x'deadbeefcafe', 1, 250);
			INSERT INTO sessions (id_hash, user_id, auth_time, expires_at, amr) VALUES (x'a1a1', '${alice}', 1, 4000000000, 'pwd otp mfa'), (x'b1b1', '${bobId}', 1, 4000000000, 'pwd')`);
		r = user(['show', 'alice']);
		const fs_ = r.json?.factors ?? [];
		report(r.code === 0 && fs_.map((f) => f.id).join() === 'fa-key,fa-rec,fa-totp' &&
			fs_.every((f) => Object.keys(f).sort().join() === 'confirmed,created_at,id,kind,last_used_at,name'),
			'user show lists the user\'s factors, oldest first: id, kind, name, confirmed, created_at, last_used_at', show(r));
		report(fs_[0]?.kind === 'passkey' && fs_[0].name === 'Blue key' && fs_[0].confirmed === true && fs_[0].created_at === 200 && fs_[0].last_used_at === 1999999000 &&
			fs_[2]?.kind === 'totp' && fs_[2].confirmed === false && fs_[2].last_used_at === 0,
			'each factor: its kind, name, whether confirmed, when made and last used (0: never)', JSON.stringify(fs_));
		report(!/deadbeef|3q2-7|3q2\+7|c0ffee|wP\/u|wP_u/i.test(r.out), 'user show never prints a factor\'s data or credential id');
		r = user(['show', 'maxlen']);
		report(r.code === 0 && Array.isArray(r.json?.factors) && r.json.factors.length === 0, 'a user without factors: "factors": []', show(r));
		r = user(['mfa', 'reset', 'ALICE']);
		const ev = r.err.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)).find((e) => e.event === 'user.mfa_reset');
		report(r.code === 0 && r.json?.user_id === alice && r.json.username === 'alice' && r.json.factors_removed === 3,
			'user mfa reset (any case) prints {"user_id","username","factors_removed":3}', show(r));
		report(sql(`SELECT count(*) FROM factors WHERE user_id = '${alice}'`) === '0' && sql(`SELECT count(*) FROM factors WHERE user_id = '${bobId}'`) === '1',
			'mfa reset removed every factor of the user, and only theirs');
		report(sql(`SELECT count(*) FROM sessions WHERE user_id = '${alice}'`) === '0' && sql(`SELECT count(*) FROM sessions WHERE user_id = '${bobId}'`) === '1',
			'mfa reset ended the user\'s sessions, and only theirs');
		report(ev?.sub === alice && ev.username === 'alice' && ev.by === 'command' && ev.level === 'info',
			'mfa reset is audit-logged: user.mfa_reset with sub and username', r.err.slice(0, 300));
		r = user(['mfa', 'reset', 'alice']);
		report(r.code === 0 && r.json?.factors_removed === 0, 'mfa reset again: 0 removed, exit 0', show(r));
		r = user(['show', 'alice']);
		report(r.code === 0 && r.json?.factors?.length === 0, 'user show after the reset: no factors', show(r));
	}
	r = user(['mfa']);
	report(r.code === 2 && /user: mfa needs an action: reset/.test(r.err) && r.out === '', 'user mfa without an action: usage, exit 2', show(r));
	r = user(['mfa', 'purge', 'alice']);
	report(r.code === 2 && /unknown mfa action \(there is: reset\): purge/.test(r.err), 'user mfa with an unknown action: usage, exit 2', show(r));
	r = user(['mfa', 'reset']);
	report(r.code === 2 && /mfa reset needs a USERNAME/.test(r.err), 'user mfa reset without a name: usage, exit 2', show(r));
	r = user(['mfa', 'reset', 'alice', 'bob']);
	report(r.code === 2 && /unexpected argument: bob/.test(r.err), 'user mfa reset with two names: usage, exit 2', show(r));
	r = user(['mfa', 'reset', 'nobody']);
	report(r.code === 1 && /no such user: nobody/.test(r.err) && r.out === '', 'user mfa reset of an unknown user: exit 1, no such user', show(r));
	r = user(['mfa', 'reset', 'alice', '--now', '5']);
	report(r.code === 2 && /mfa takes no: --now/.test(r.err), 'user mfa reset takes no --now', show(r));
	r = run(['user', 'mfa', 'reset', 'alice', '--db', path.join(tmp, 'none.db')]);
	report(r.code === 2 && /no database at/.test(r.err) && !fs.existsSync(path.join(tmp, 'none.db')), 'user mfa reset creates no database', show(r));

	r = user(['show', 'nobody']);
	report(r.code === 1 && /no such user: nobody/.test(r.err) && r.out === '', 'user show of an unknown user: exit 1, no such user', show(r));
	r = user(['unlock', 'nobody']);
	report(r.code === 1 && /no such user: nobody/.test(r.err), 'user unlock of an unknown user: exit 1', show(r));
	r = user(['show']);
	report(r.code === 2 && /show needs a USERNAME/.test(r.err), 'user show without a name: usage, exit 2', show(r));

	// ---- remove ----
	if (hasSqlite) sql(`INSERT INTO sessions (id_hash, user_id, auth_time, expires_at) VALUES (x'00112233', '${list.find((u) => u.username === 'bob')?.user_id}', 1, 4000000000)`);
	r = user(['remove', 'BOB']);
	report(r.code === 0 && r.json?.removed === 'BOB', 'user remove (any case) prints {"removed":USERNAME}', show(r));
	if (hasSqlite) report(sql('SELECT count(*) FROM sessions') === '0', 'removing a user ends their sessions');
	if (hasSqlite) report(sql('SELECT count(*) FROM factors') === '0', 'removing a user removes their factors');
	r = user(['remove', 'bob']);
	report(r.code === 1 && /no such user: bob/.test(r.err) && r.out === '', 'removing again: exit 1, no such user', show(r));
	r = user(['list']);
	report(r.code === 0 && !r.json?.some((u) => u.username === 'bob') && r.json?.length === 6, 'a removed user is gone from the list', show(r));
	r = add('bob', 'bob-again-password');
	report(r.code === 0 && r.json?.user_id !== list.find((u) => u.username === 'bob')?.user_id, 'a username can be taken again, with a new id (a sub is never reused)', show(r));

	// ---- databases ----
	r = run(['user', 'list', '--db', path.join(tmp, 'no/such/dir.db')]);
	report(r.code === 2 && /^identity-backend user: no database at /.test(r.err) && r.out === '', 'user list on a database in a missing directory: "no database at", exit 2', show(r));
	r = run(['--help']);
	report(r.code === 0 && /user add --username/.test(r.out) && /user remove USERNAME/.test(r.out) && /user mfa reset USERNAME/.test(r.out) && !/being built/.test(r.out), '--help describes the user command');

	// ---- the rules for new passwords (NIST SP 800-63B §5.1.1.2, crypto/policy.h) ----
	const names = () => (user(['list']).json ?? []).map((u) => u.username);
	const refused = (x, why) => x.code === 1 && x.out === '' && new RegExp(`^identity-backend user: password refused: ${why}`, 'm').test(x.err);
	r = add('ivy', 'x');
	report(refused(r, 'too short: at least 12 characters'), 'a 1-character password: exit 1, "password refused: too short: at least 12 characters"', show(r));
	r = add('ivy', 'tr0ub4dor&3');
	report(refused(r, 'too short'), 'an 11-character password: too short', show(r));
	r = add('ivy', '\u00e9\u00e8\u00ea\u00eb\u00e0\u00e2\u00e4\u00ee\u00ef\u00f4\u00f6');
	report(refused(r, 'too short'), '11 accented letters in 22 bytes: too short (characters are counted, not bytes)', show(r));
	r = add('ivy', 'winniethepooh');
	report(refused(r, 'this password is on a list of common passwords'), "on john-data's list (winniethepooh): exit 1, \"this password is on a list of common passwords\"", show(r));
	r = add('ivy', 'WinnieThePooh\n');
	report(refused(r, 'this password is on a list'), 'on the list in another letter case (WinnieThePooh)', show(r));
	r = add('ivy', 'Ivy20242024202');
	report(refused(r, '.*username'), 'the username followed by digits: refused', show(r));
	r = add('ivy', 'zzzzzzzzzzzzzzzz');
	report(refused(r, 'one character repeated'), 'one character repeated: refused', show(r));
	r = add('ivy', '9876543210987');
	report(refused(r, 'consecutive digits or letters'), 'a run of digits (9876543210987): refused', show(r));
	report(!names().includes('ivy'), 'no refused password made a user');
	r = add('ivy', 'ivy grows on old walls');
	report(r.code === 0 && r.json?.username === 'ivy', 'a passphrase that meets the rules: the user is added', show(r));

	const MIN8 = { ...TINY, PASSWORD_MIN_LENGTH: '8' };
	r = add('jack', 'iloveyou', [], { env: MIN8 });
	report(refused(r, 'this password is on a list'), 'PASSWORD_MIN_LENGTH=8: iloveyou (8 characters, on the list) is refused', show(r));
	r = add('jack', 'tr0ub4dor', [], { env: MIN8 });
	report(r.code === 0, 'PASSWORD_MIN_LENGTH=8: a 9-character password not on the list is accepted', show(r));
	r = add('kate', 'fifteen letters', [], { env: { ...TINY, PASSWORD_MIN_LENGTH: '16' } });
	report(refused(r, 'too short: at least 16 characters'), 'PASSWORD_MIN_LENGTH=16: 15 characters are too short', show(r));
	r = add('kate', 'sixteen letters!', [], { env: { ...TINY, PASSWORD_MIN_LENGTH: '16' } });
	report(r.code === 0, 'PASSWORD_MIN_LENGTH=16: 16 characters are enough', show(r));
	for (const v of ['7', '0', '65', 'twelve', '-8', '12 ']) {
		r = add('lee', 'lee is a good sort', [], { env: { ...TINY, PASSWORD_MIN_LENGTH: v } });
		report(r.code === 2 && r.out === '' && /PASSWORD_MIN_LENGTH: .*from 8 .* to 64/.test(r.err), `PASSWORD_MIN_LENGTH=${JSON.stringify(v)}: refused, exit 2 (at least 8, NIST's least)`, show(r));
	}
	report(!names().includes('lee'), 'no user made under a refused setting');

	const own = path.join(tmp, 'our-list.txt');
	fs.writeFileSync(own, "#!comment: this deployment's own list\nour company name 2024\n");
	r = add('mia', 'Our Company Name 2024', [], { env: { ...TINY, PASSWORD_LIST: own } });
	report(refused(r, 'this password is on a list'), 'PASSWORD_LIST=FILE: a password on that list is refused', show(r));
	r = add('mia', 'winniethepooh', [], { env: { ...TINY, PASSWORD_LIST: own } });
	report(r.code === 0, "PASSWORD_LIST=FILE: that list replaces john-data's", show(r));
	const fresh = path.join(tmp, 'fresh.db');
	r = run(['user', 'add', '--db', fresh, '--username', 'ned', '--password-stdin'], { input: 'ned is a good sort', env: { ...TINY, PASSWORD_LIST: path.join(tmp, 'no-such-list.txt') } });
	report(r.code === 2 && r.out === '' && /PASSWORD_LIST: cannot read \S*no-such-list\.txt: No such file or directory/.test(r.err) && /PASSWORD_LIST=none/.test(r.err) && !fs.existsSync(fresh),
		'a list that cannot be read: exit 2 naming the file and PASSWORD_LIST=none; no database made', show(r));
	r = run(['user', 'add', '--db', fresh, '--username', 'ned', '--password-stdin'], { input: 'x' });
	report(refused(r, 'too short') && !fs.existsSync(fresh), 'a refused password makes no database file either', show(r));
	r = add('ned', 'iloveyou', [], { env: { ...MIN8, PASSWORD_LIST: 'none' } });
	report(r.code === 0, 'PASSWORD_LIST=none: no list (iloveyou is accepted at PASSWORD_MIN_LENGTH=8)', show(r));
	r = add('otto', 'otto-pw', [], { env: { ...TINY, PASSWORD_LIST: 'none' } });
	report(refused(r, 'too short'), 'PASSWORD_LIST=none: the other rules still apply', show(r));

	// ---- an existing account keeps its password ----
	// The rules are for new passwords: an account whose stored password breaks them (here
	// "password", eight characters and on the list, as argon2's reference vector with
	// m=256,t=2,p=1) signs in, and its rehash at the configured cost is not checked either.
	if (hasSqlite) {
		const OLD = '$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4';
		const cb = 'https://app.example/cb';
		r = add('olive', 'olive trees are old');
		sql(`UPDATE users SET password_hash = '${OLD}' WHERE username = 'olive'`);
		await addClient(db, 'web', ['--grant', 'authorization_code', '--redirect-uri', cb]);
		const s = await startServer({ db, threads: 1, env: TINY });
		let res;
		try {
			const b = browser();
			const verifier = crypto.randomBytes(32).toString('base64url');
			const u = new URL(`${s.base}/authorize`);
			for (const [k, v] of Object.entries({ client_id: 'web', redirect_uri: cb, response_type: 'code', scope: 'openid', state: 'st',
				code_challenge: crypto.createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256' })) u.searchParams.set(k, v);
			const page = await (await b.go(u.href)).text();
			const field = (n) => new RegExp(`name="${n}" value="([^"]*)"`).exec(page)?.[1] ?? '';
			res = await b.go(`${s.base}/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
				body: new URLSearchParams({ flow: field('flow'), csrf: field('csrf'), username: 'olive', password: 'password' }).toString() });
		} finally {
			transcript.push((await s.stop()).stderr);
		}
		const loc = res.headers.get('location') ?? '';
		report(res.status === 303 && loc.startsWith(`${cb}?`) && new URL(loc).searchParams.has('code'),
			'an account whose password is too short and on the list ("password") still signs in', `${res.status} ${loc}`);
		report(/^\$argon2id\$v=19\$m=64,t=1,p=1\$/.test(storedHash('olive')), '… and is rehashed at the configured cost (a rehash is not a new password)', storedHash('olive'));
	} else {
		skip('no sqlite3 shell: the sign-in with an old short password is not tried');
	}

	// ---- nothing secret ever printed ----
	const all = transcript.join('\n');
	const leaked = passwords.filter((p) => p.length >= 4 && all.includes(p));
	report(leaked.length === 0, 'no password appears in any output', leaked.map((p) => p.slice(0, 12)).join());
	report(!/\$argon2id\$v=19\$m=(64|19456),/.test(all), 'no stored hash appears in any output');
	report(!sanitizerReport(all), 'no sanitizer report (SAN=1 builds)', sanitizerReport(all));
} catch (e) {
	report(false, 'the suite ran to the end', e.stack);
} finally {
	fs.rmSync(tmp, { recursive: true, force: true });
}
finish();
