// smtpd.mjs: a real SMTP server for the suites (tests/mail/smtpd.py on Debian's
// python3-aiosmtpd), on a free loopback port, writing what it receives to a folder.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { freePort, repo, sleep } from '../lib.mjs';

// Debian's Python: python3-aiosmtpd is installed for it (a python3 earlier on PATH may lack it).
const PYTHON = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

/** 1 when aiosmtpd can be imported (scripts/setup.sh installs python3-aiosmtpd). */
export function haveSmtpd() {
	return spawnSync(PYTHON, ['-c', 'import aiosmtpd'], { stdio: 'ignore' }).status === 0;
}

/** A self-signed certificate for 127.0.0.1 and localhost in dir: {cert, key}. */
export function makeCert(dir) {
	const cert = path.join(dir, 'smtp-cert.pem'), key = path.join(dir, 'smtp-key.pem');
	const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2',
		'-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', key, '-out', cert], { encoding: 'utf8' });
	if (r.status !== 0) throw new Error(`openssl: ${r.stderr}`);
	return { cert, key };
}

/**
 * Start the SMTP server: opts {dir (received mail; made if missing), port (default: a
 * free one), starttls: {cert, key}, smtps: {cert, key}, auth: 'user:password', delay: s,
 * reject: a domain whose recipients get 550}.
 * Resolves {port, dir, messages(), stop(), kill(), restart()}: messages() is every
 * received message {file, text, envelope} in arrival order; kill() is SIGKILL;
 * restart() starts it again on the same port with the same options.
 */
export async function startSmtpd(opts) {
	const port = opts.port ?? (await freePort());
	fs.mkdirSync(opts.dir, { recursive: true });
	const args = [path.join(repo, 'tests/mail/smtpd.py'), '--port', String(port), '--dir', opts.dir];
	if (opts.starttls) args.push('--starttls', opts.starttls.cert, opts.starttls.key);
	if (opts.smtps) args.push('--smtps', opts.smtps.cert, opts.smtps.key);
	if (opts.auth) args.push('--auth', opts.auth);
	if (opts.delay) args.push('--delay', String(opts.delay));
	if (opts.reject) args.push('--reject', opts.reject);
	const child = spawn(PYTHON, args, { stdio: ['ignore', 'pipe', 'pipe'] });
	let out = '', err = '';
	child.stdout.on('data', (d) => (out += d));
	child.stderr.on('data', (d) => (err += d));
	const t0 = Date.now();
	while (!out.includes('ready')) {
		if (child.exitCode !== null || Date.now() - t0 > 10000) {
			child.kill('SIGKILL');
			throw new Error(`smtpd did not start: ${err}`);
		}
		await sleep(50);
	}
	process.on('exit', () => child.kill('SIGKILL'));
	const gone = () => (child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', r)));
	return {
		port,
		dir: opts.dir,
		messages() {
			return fs.readdirSync(opts.dir).filter((f) => f.endsWith('.eml')).sort().map((f) => ({
				file: f,
				text: fs.readFileSync(path.join(opts.dir, f), 'latin1'),
				envelope: JSON.parse(fs.readFileSync(path.join(opts.dir, f.replace(/\.eml$/, '.json')), 'utf8')),
			}));
		},
		async stop() {
			child.kill('SIGTERM');
			await gone();
		},
		async kill() {
			child.kill('SIGKILL');
			await gone();
		},
		restart() {
			return startSmtpd({ ...opts, port });
		},
	};
}

/** The value of header name in an RFC 5322 message, unfolded. */
export function header(text, name) {
	const head = text.split('\r\n\r\n')[0].replace(/\r\n[ \t]/g, ' ');
	const m = head.split('\r\n').find((l) => l.toLowerCase().startsWith(name.toLowerCase() + ':'));
	return m === undefined ? undefined : m.slice(name.length + 1).trim();
}
