// jose-replay.mjs CORPUS.jsonl: the verify runs a suite made (recorded by
// cli-emulator.mjs with IDB_EMULATE_RECORD=CORPUS.jsonl), replayed through jose's
// jwtVerify with the same key set and options, listing each token jose accepts and
// the package refused. A tool, not a test: the package README's list of what jose
// accepts was made with it, from tests/interop/attacks.test.mjs:
//
//   IDB_EMULATE_RECORD=/tmp/corpus.jsonl IDB_EMULATE_CRYPTO=wasm \
//     IDB_PACKAGE_ENTRY=$PWD/verifier-wasm/node.js \
//     node --import ./tests/wasm/runtimes/cli-emulator.mjs tests/interop/attacks.test.mjs
//   node tests/wasm/runtimes/jose-replay.mjs /tmp/corpus.jsonl
//
// jose takes no HMAC key in a JWK Set: an HS* token is given the set's one oct key with
// its kid (or the only oct key) as a secret, which skips jose's own checks of the set.
import fs from 'node:fs';
import * as jose from 'jose';

const file = process.argv[2];
if (!file) {
	console.error('usage: node jose-replay.mjs CORPUS.jsonl');
	process.exit(2);
}
const part = (token, i) => {
	try {
		return JSON.parse(Buffer.from(token.split('.')[i], 'base64url'));
	} catch {
		return null;
	}
};

/** The CLI's options as jose's, and the token. */
function parse(args, input) {
	const o = { issuer: [], audience: [], requiredClaims: [] };
	let token;
	for (let i = 1; i < args.length; i++) {
		const flag = args[i];
		const value = () => args[++i];
		if (flag === '--jwks') value();
		else if (flag === '--alg') o.algorithms = value().split(',');
		else if (flag === '--iss') o.issuer.push(value());
		else if (flag === '--aud') o.audience.push(value());
		else if (flag === '--sub') o.subject = value();
		else if (flag === '--typ') o.typ = value();
		else if (flag === '--require') o.requiredClaims.push(value());
		else if (flag === '--max-age') o.maxTokenAge = /^\d+$/.test(args[i + 1]) ? Number(value()) : value();
		else if (flag === '--leeway') o.clockTolerance = /^\d+$/.test(args[i + 1]) ? Number(value()) : value();
		else if (flag === '--now') o.currentDate = new Date(Number(value()) * 1000);
		else token = flag;
	}
	for (const k of ['issuer', 'audience', 'requiredClaims']) if (!o[k].length) delete o[k];
	if (token === '-') token = Buffer.from(input, 'base64').toString('latin1').replace(/[ \t\r\n]+$/, '');
	return { token, options: o };
}

function keyFor(jwksText, token) {
	let set = JSON.parse(jwksText);
	if (!Array.isArray(set?.keys)) set = { keys: [set] };
	const h = part(token, 0);
	if (typeof h?.alg === 'string' && h.alg.startsWith('HS')) {
		const octs = set.keys.filter((k) => k?.kty === 'oct' && (h.kid === undefined || k.kid === h.kid));
		if (octs.length === 1) return Buffer.from(octs[0].k, 'base64url');
	}
	return jose.createLocalJWKSet(set);
}

let n = 0;
for (const line of fs.readFileSync(file, 'utf8').trim().split('\n')) {
	const r = JSON.parse(line);
	let ours;
	try {
		const j = JSON.parse(r.stdout);
		ours = j.valid ? 'valid' : j.error;
	} catch {
		continue; // a usage error: not a verdict
	}
	if (ours === 'valid') continue;
	const { token, options } = parse(r.args, r.input);
	try {
		await jose.jwtVerify(token, keyFor(r.jwks, token), options);
	} catch {
		continue;
	}
	n++;
	console.log(`${ours}: ${JSON.stringify(token.length > 300 ? `${token.slice(0, 300)}…` : token)} header ${JSON.stringify(part(token, 0))}`);
}
console.log(`${n} tokens jose ${jose.cryptoRuntime ?? ''} accepts that the package refused`);
