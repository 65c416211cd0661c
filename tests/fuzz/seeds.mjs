// seeds.mjs: (re)writes the seed corpora tests/fuzz/corpus/<target>/ from test
// vectors: RFC 7515 A.1/A.3, RFC 7520 §4 and RFC 8037 A.4 keys and tokens, a few
// single key sets from Wycheproof's json_web_key_test.json (Apache-2.0), the
// WHATWG/RFC vectors of tests/unit/test_http.c, the attack shapes of
// tests/interop/attacks.test.mjs, and the issuer's own request shapes.
//
// Run from anywhere: node tests/fuzz/seeds.mjs   (SEEDS_REWRITE=1 or =jwt,… rewrites seeds)
// The corpora are committed; run this only to change them. A re-run adds new
// seeds, removes unlisted ones and keeps the rest (see writeCorpus).
//
// Keys: every private key here is a published example key (RFC 7515, RFC 7520,
// RFC 8037), except FUZZ_P384, a throwaway P-384 key made for these seeds (no RFC
// publishes a P-384 signing example): it signs nothing but fuzz seeds. The public
// halves are the key set of tests/fuzz/fuzz.h; keep the two in step.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http2 from 'node:http2';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const CORPUS = path.join(HERE, 'corpus');

const b64u = (b) => Buffer.from(b).toString('base64url');
const enc = (part) => b64u(Buffer.isBuffer(part) ? part : Buffer.from(typeof part === 'string' ? part : JSON.stringify(part), 'utf8'));

// ---- keys ------------------------------------------------------------------------------

// RFC 7515 A.1.1 (HMAC key).
const OCT = { kty: 'oct', k: 'AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow' };
// RFC 7520 §3.4 (RSA, 2048 bits).
const RSA = {
	kty: 'RSA', kid: 'bilbo.baggins@hobbiton.example', use: 'sig',
	n: 'n4EPtAOCc9AlkeQHPzHStgAbgs7bTZLwUBZdR8_KuKPEHLd4rHVTeT-O-XV2jRojdNhxJWTDvNd7nqQ0VEiZQHz_AJmSCpMaJMRBSFKrKb2wqVwGU_NsYOYL-QtiWN2lbzcEe6XC0dApr5ydQLrHqkHHig3RBordaZ6Aj-oBHqFEHYpPe7Tpe-OfVfHd1E6cS6M1FZcD1NNLYD5lFHpPI9bTwJlsde3uhGqC0ZCuEHg8lhzwOHrtIQbS0FVbb9k3-tVTU4fg_3L_vniUFAKwuCLqKnS2BYwdq_mzSnbLY7h_qixoR7jig3__kRhuaxwUkRz5iaiQkqgc5gHdrNP5zw',
	e: 'AQAB',
	d: 'bWUC9B-EFRIo8kpGfh0ZuyGPvMNKvYWNtB_ikiH9k20eT-O1q_I78eiZkpXxXQ0UTEs2LsNRS-8uJbvQ-A1irkwMSMkK1J3XTGgdrhCku9gRldY7sNA_AKZGh-Q661_42rINLRCe8W-nZ34ui_qOfkLnK9QWDDqpaIsA-bMwWWSDFu2MUBYwkHTMEzLYGqOe04noqeq1hExBTHBOBdkMXiuFhUq1BU6l-DqEiWxqg82sXt2h-LMnT3046AOYJoRioz75tSUQfGCshWTBnP5uDjd18kKhyv07lhfSJdrPdM5Plyl21hsFf4L_mHCuoFau7gdsPfHPxxjVOcOpBrQzwQ',
	p: '3Slxg_DwTXJcb6095RoXygQCAZ5RnAvZlno1yhHtnUex_fp7AZ_9nRaO7HX_-SFfGQeutao2TDjDAWU4Vupk8rw9JR0AzZ0N2fvuIAmr_WCsmGpeNqQnev1T7IyEsnh8UMt-n5CafhkikzhEsrmndH6LxOrvRJlsPp6Zv8bUq0k',
	q: 'uKE2dh-cTf6ERF4k4e_jy78GfPYUIaUyoSSJuBzp3Cubk3OCqs6grT8bR_cu0Dm1MZwWmtdqDyI95HrUeq3MP15vMMON8lHTeZu2lmKvwqW7anV5UzhM1iZ7z4yMkuUwFWoBvyY898EXvRD-hdqRxHlSqAZ192zB3pVFJ0s7pFc',
	dp: 'B8PVvXkvJrj2L-GYQ7v3y9r6Kw5g9SahXBwsWUzp19TVlgI-YV85q1NIb1rxQtD-IsXXR3-TanevuRPRt5OBOdiMGQp8pbt26gljYfKU_E9xn-RULHz0-ed9E9gXLKD4VGngpz-PfQ_q29pk5xWHoJp009Qf1HvChixRX59ehik',
	dq: 'CLDmDGduhylc9o7r84rEUVn7pzQ6PF83Y-iBZx5NT-TpnOZKF1pErAMVeKzFEl41DlHHqqBLSM0W1sOFbwTxYWZDm6sI6og5iTbwQGIC3gnJKbi_7k_vJgGHwHxgPaX2PnvP-zyEkDERuf-ry4c_Z11Cq9AqC2yeL6kdKT1cYF8',
	qi: '3PiqvXQN0zwMeE-sBvZgi289XP9XCQF3VWqPzMKnIgQp7_Tugo6-NZBKCQsMf3HaEGBjTVJs_jcK8-TRXvaKe-7ZMaQj8VfBdYkssbu0NKDDhjJ-GtiseaDVWt7dcH0cfwxgFUHpQh7FoCrjFJ6h6ZEpMF6xmujs4qMpPz8aaI4',
};
// RFC 7515 A.3.1 (P-256).
const P256 = { kty: 'EC', crv: 'P-256', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0', d: 'jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI' };
// Throwaway fuzz-seed key (see the header).
const P384 = { kty: 'EC', crv: 'P-384', kid: 'p384', x: 'my4kiRh-LwcaMNA_ZG3x1PP1bwDi4KlfPVE5V0O0q8X0--W2nkNI1J7JIOHPH6Z2', y: '-7FvTuI3mxJHKHqFJRnEzixIEJZYADOc8Z_XtK9-dItYsDcjfZNMFOWs1IL8DO_B', d: 'NBtXtxpZ77DiOJRhjJh6Uo2bjWmCYSRiJOVzXofxesX0xhDj8pc-b-0RfQWd3wKr' };
// RFC 7520 §3.2 (P-521).
const P521 = { kty: 'EC', kid: 'bilbo.baggins@hobbiton.example', use: 'sig', crv: 'P-521', x: 'AHKZLLOsCOzz5cY97ewNUajB957y-C-U88c3v13nmGZx6sYl_oJXu9A5RkTKqjqvjyekWF-7ytDyRXYgCF5cj0Kt', y: 'AdymlHvOiLxXkEhayXQnNCvDX4h9htZaCJN34kfmC6pV5OhQHiraVySsUdaQkAgDPrwQrJmbnX9cwlGfP-HqHZR1', d: 'AAhRON2r9cqXX1hg-RoI6R1tX5p2rUAYdmpHZoC1XNM56KtscrX6zbKipQrCW9CGZH3T4ubpnoTKLDYJ_fF3_rJt' };
// RFC 8037 A.1 (Ed25519).
const ED = { kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo', d: 'nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A' };

const pub = (k) => Object.fromEntries(Object.entries(k).filter(([n]) => !['d', 'p', 'q', 'dp', 'dq', 'qi'].includes(n)));
const SET = { keys: [OCT, pub(RSA), pub(P256), pub(P384), pub(P521), pub(ED)] };
const priv = (k) => crypto.createPrivateKey({ key: k, format: 'jwk' });
const HASH = { 256: 'sha256', 384: 'sha384', 512: 'sha512' };

function rawSign(alg, input) {
	const data = Buffer.from(input, 'latin1');
	const bits = alg.slice(2);
	switch (alg.slice(0, 2)) {
	case 'HS': return crypto.createHmac(HASH[bits], Buffer.from(OCT.k, 'base64url')).update(data).digest();
	case 'RS': return crypto.sign(HASH[bits], data, priv(RSA));
	case 'PS': return crypto.sign(HASH[bits], data, { key: priv(RSA), padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: Number(bits) / 8 });
	case 'ES': return crypto.sign(HASH[bits], data, { key: priv({ 256: P256, 384: P384, 512: P521 }[bits]), dsaEncoding: 'ieee-p1363' });
	case 'Ed': return crypto.sign(null, data, priv(ED));
	default: throw new Error(alg);
	}
}

/** A compact JWS of header and payload (objects, strings or Buffers) signed with signAlg. */
function token(header, payload, signAlg = header.alg, { sig, rawSig } = {}) {
	const input = `${enc(header)}.${enc(payload)}`;
	if (rawSig !== undefined) return `${input}.${rawSig}`;
	return `${input}.${b64u(sig !== undefined ? sig : rawSign(signAlg, input))}`;
}

const CLAIMS = { iss: 'https://issuer.example', sub: 'svc', aud: 'api', iat: 1700000000, nbf: 1700000000, exp: 4102444800, jti: 'j1' };
const KID = { HS: undefined, RS: RSA.kid, PS: RSA.kid, ES256: undefined, ES384: 'p384', ES512: P521.kid, Ed: undefined };

// ---- RFC tokens --------------------------------------------------------------------------

const RFC = {
	a1: 'eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk',
	a3: 'eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q',
	rs256: 'eyJhbGciOiJSUzI1NiIsImtpZCI6ImJpbGJvLmJhZ2dpbnNAaG9iYml0b24uZXhhbXBsZSJ9.SXTigJlzIGEgZGFuZ2Vyb3VzIGJ1c2luZXNzLCBGcm9kbywgZ29pbmcgb3V0IHlvdXIgZG9vci4gWW91IHN0ZXAgb250byB0aGUgcm9hZCwgYW5kIGlmIHlvdSBkb24ndCBrZWVwIHlvdXIgZmVldCwgdGhlcmXigJlzIG5vIGtub3dpbmcgd2hlcmUgeW91IG1pZ2h0IGJlIHN3ZXB0IG9mZiB0by4.MRjdkly7_-oTPTS3AXP41iQIGKa80A0ZmTuV5MEaHoxnW2e5CZ5NlKtainoFmKZopdHM1O2U4mwzJdQx996ivp83xuglII7PNDi84wnB-BDkoBwA78185hX-Es4JIwmDLJK3lfWRa-XtL0RnltuYv746iYTh_qHRD68BNt1uSNCrUCTJDt5aAE6x8wW1Kt9eRo4QPocSadnHXFxnt8Is9UzpERV0ePPQdLuW3IS_de3xyIrDaLGdjluPxUAhb6L2aXic1U12podGU0KLUQSE_oI-ZnmKJ3F4uOZDnd6QZWJushZ41Axf_fcIe8u9ipH84ogoree7vjbU5y18kDquDg',
	ps384: 'eyJhbGciOiJQUzM4NCIsImtpZCI6ImJpbGJvLmJhZ2dpbnNAaG9iYml0b24uZXhhbXBsZSJ9.SXTigJlzIGEgZGFuZ2Vyb3VzIGJ1c2luZXNzLCBGcm9kbywgZ29pbmcgb3V0IHlvdXIgZG9vci4gWW91IHN0ZXAgb250byB0aGUgcm9hZCwgYW5kIGlmIHlvdSBkb24ndCBrZWVwIHlvdXIgZmVldCwgdGhlcmXigJlzIG5vIGtub3dpbmcgd2hlcmUgeW91IG1pZ2h0IGJlIHN3ZXB0IG9mZiB0by4.cu22eBqkYDKgIlTpzDXGvaFfz6WGoz7fUDcfT0kkOy42miAh2qyBzk1xEsnk2IpN6-tPid6VrklHkqsGqDqHCdP6O8TTB5dDDItllVo6_1OLPpcbUrhiUSMxbbXUvdvWXzg-UD8biiReQFlfz28zGWVsdiNAUf8ZnyPEgVFn442ZdNqiVJRmBqrYRXe8P_ijQ7p8Vdz0TTrxUeT3lm8d9shnr2lfJT8ImUjvAA2Xez2Mlp8cBE5awDzT0qI0n6uiP1aCN_2_jLAeQTlqRHtfa64QQSUmFAAjVKPbByi7xho0uTOcbH510a6GYmJUAfmWjwZ6oD4ifKo8DYM-X72Eaw',
	es512: 'eyJhbGciOiJFUzUxMiIsImtpZCI6ImJpbGJvLmJhZ2dpbnNAaG9iYml0b24uZXhhbXBsZSJ9.SXTigJlzIGEgZGFuZ2Vyb3VzIGJ1c2luZXNzLCBGcm9kbywgZ29pbmcgb3V0IHlvdXIgZG9vci4gWW91IHN0ZXAgb250byB0aGUgcm9hZCwgYW5kIGlmIHlvdSBkb24ndCBrZWVwIHlvdXIgZmVldCwgdGhlcmXigJlzIG5vIGtub3dpbmcgd2hlcmUgeW91IG1pZ2h0IGJlIHN3ZXB0IG9mZiB0by4.AE_R_YZCChjn4791jSQCrdPZCNYqHXCTZH0-JZGYNlaAjP2kqaluUIIUnC9qvbu9Plon7KRTzoNEuT4Va2cmL1eJAQy3mtPBu_u_sDDyYjnAMDxXPn7XrT0lw-kvAD890jl8e2puQens_IEKBpHABlsbEPX6sFY8OcGDqoRuBomu9xQ2',
	hs256kid: 'eyJhbGciOiJIUzI1NiIsImtpZCI6IjAxOGMwYWU1LTRkOWItNDcxYi1iZmQ2LWVlZjMxNGJjNzAzNyJ9.SXTigJlzIGEgZGFuZ2Vyb3VzIGJ1c2luZXNzLCBGcm9kbywgZ29pbmcgb3V0IHlvdXIgZG9vci4gWW91IHN0ZXAgb250byB0aGUgcm9hZCwgYW5kIGlmIHlvdSBkb24ndCBrZWVwIHlvdXIgZmVldCwgdGhlcmXigJlzIG5vIGtub3dpbmcgd2hlcmUgeW91IG1pZ2h0IGJlIHN3ZXB0IG9mZiB0by4.s0h6KThzkfBBBkLspW1h84VsJZFTsPPqMDA7g1Md7p0',
	eddsa: 'eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg',
};

// ---- output ----------------------------------------------------------------------------

const rewrite = (name) => ['1', 'all'].includes(process.env.SEEDS_REWRITE) || (process.env.SEEDS_REWRITE || '').split(',').includes(name);
// Seeds no longer listed are removed; existing ones are kept as they are (ECDSA and
// PSS signatures are randomized: rewriting would churn them) unless SEEDS_REWRITE=1
// (every corpus) or SEEDS_REWRITE=jwt,router (those).
function writeCorpus(name, seeds) {
	const dir = path.join(CORPUS, name);
	fs.mkdirSync(dir, { recursive: true });
	for (const f of fs.readdirSync(dir))
		if (!(f in seeds)) fs.rmSync(path.join(dir, f));
	let written = 0;
	for (const [file, data] of Object.entries(seeds)) {
		const p = path.join(dir, file);
		if (rewrite(name) || !fs.existsSync(p)) {
			fs.writeFileSync(p, data);
			written++;
		}
	}
	console.log(`${name}: ${Object.keys(seeds).length} seeds (${written} written)`);
}
const withOpt = (opt, s) => Buffer.concat([Buffer.from([opt]), Buffer.from(s, 'latin1')]);

// ---- jwt: option byte, mode byte (see fuzz_jwt.c) + token -------------------------------------------

const ALGS = ['HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];
const kidOf = (alg) => KID[alg] ?? KID[alg.slice(0, 2)];
const jw = (opt, tok, mode = 0) => Buffer.concat([Buffer.from([opt, mode]), Buffer.from(tok, 'latin1')]);
const jwt = {};
ALGS.forEach((alg, i) => {
	const h = { alg, typ: i % 2 ? 'at+jwt' : 'JWT', ...(kidOf(alg) ? { kid: kidOf(alg) } : {}) };
	// Option bytes: now = 1700000100 (bits 0-1 = 0) and a rotating mix of checks that the claims pass.
	jwt[`valid-${alg}`] = jw([0x00, 0x08, 0x10, 0x18, 0x28, 0x38, 0x80, 0xb8][i % 8], token(h, CLAIMS));
});
Object.assign(jwt, {
	'rfc7515-a1-hs256': jw(0x01, RFC.a1),
	'rfc7515-a3-es256': jw(0x01, RFC.a3),
	'rfc7515-a1-expired': jw(0x00, RFC.a1),
	'rfc7520-4.1-rs256': jw(0x00, RFC.rs256),
	'rfc7520-4.2-ps384': jw(0x00, RFC.ps384),
	'rfc7520-4.3-es512': jw(0x00, RFC.es512),
	'rfc7520-4.4-hs256-kid': jw(0x00, RFC.hs256kid),
	'rfc8037-a4-eddsa': jw(0x00, RFC.eddsa),
	'alg-none': jw(0, token({ alg: 'none', typ: 'JWT' }, CLAIMS, null, { sig: Buffer.alloc(0) })),
	'alg-none-junk-sig': jw(0, token({ alg: 'None' }, CLAIMS, null, { sig: Buffer.from('signature') })),
	'key-confusion-hs256-rsa-n': jw(0, token({ alg: 'HS256', kid: RSA.kid }, CLAIMS, null, { sig: crypto.createHmac('sha256', Buffer.from(RSA.n, 'base64url')).update(`${enc({ alg: 'HS256', kid: RSA.kid })}.${enc(CLAIMS)}`).digest() })),
	'crit-unknown': jw(0, token({ alg: 'HS256', crit: ['exp'], exp: 1 }, CLAIMS)),
	'crit-registered': jw(0, token({ alg: 'HS256', crit: ['alg'] }, CLAIMS)),
	'crit-missing': jw(0, token({ alg: 'HS256', crit: ['x'] }, CLAIMS)),
	'b64-false': jw(0, token({ alg: 'HS256', b64: false, crit: ['b64'] }, CLAIMS)),
	'jku-jwk-x5u': jw(0, token({ alg: 'ES256', jku: 'https://evil.example/jwks', jwk: pub(P256), x5u: 'https://evil.example/c', x5c: ['MIIB'] }, CLAIMS)),
	'kid-unknown': jw(0, token({ alg: 'HS256', kid: 'nope' }, CLAIMS)),
	'kid-number': jw(0, token({ alg: 'HS256', kid: 7 }, CLAIMS)),
	'kid-shared-rsa-ec': jw(0, token({ alg: 'ES512', kid: RSA.kid }, CLAIMS)),
	'header-dup-alg': jw(0, token('{"alg":"HS256","alg":"none"}', CLAIMS, 'HS256')),
	'header-array': jw(0, token('["HS256"]', CLAIMS, 'HS256')),
	'header-deep': jw(0, token(`{"alg":"HS256","x":${'['.repeat(16)}${']'.repeat(16)}}`, CLAIMS, 'HS256')),
	'header-nul-kid': jw(0, token('{"alg":"HS256","kid":"a\\u0000b"}', CLAIMS, 'HS256')),
	'payload-string': jw(0, token({ alg: 'HS256' }, '"just a string"')),
	'payload-dup-exp': jw(0, token({ alg: 'HS256' }, '{"exp":1,"exp":4102444800}')),
	'payload-exp-string': jw(0, token({ alg: 'HS256' }, { exp: '4102444800' })),
	'payload-exp-huge': jw(0, token({ alg: 'HS256' }, '{"exp":1e300,"nbf":-9007199254740991}')),
	'payload-aud-array': jw(0x10, token({ alg: 'HS256' }, { ...CLAIMS, aud: ['x', 'api', 7] })),
	'payload-typ-app': jw(0x40, token({ alg: 'ES256', typ: 'application/JWT' }, CLAIMS)),
	'empty-signature': jw(0, token({ alg: 'HS256' }, CLAIMS, null, { sig: Buffer.alloc(0) })),
	'ecdsa-zero-sig': jw(0, token({ alg: 'ES256' }, CLAIMS, null, { sig: Buffer.alloc(64) })),
	'ecdsa-der-sig': jw(0, token({ alg: 'ES256' }, CLAIMS, null, { sig: crypto.sign('sha256', Buffer.from(`${enc({ alg: 'ES256' })}.${enc(CLAIMS)}`), priv(P256)) })),
	'ed25519-s-too-big': jw(0, token({ alg: 'EdDSA' }, CLAIMS, null, { sig: Buffer.concat([Buffer.alloc(32, 1), Buffer.alloc(32, 0xff)]) })),
	'rsa-short-sig': jw(0, token({ alg: 'RS256', kid: RSA.kid }, CLAIMS, null, { sig: Buffer.alloc(255, 1) })),
	'padding-in-b64': jw(0, `${enc({ alg: 'HS256' })}=.${enc(CLAIMS)}.AAAA`),
	'four-parts': jw(0, 'a.b.c.d'),
	'two-parts': jw(0, `${enc({ alg: 'HS256' })}.${enc(CLAIMS)}`),
	'dots-only': jw(0, '..'),
	'json-serialization': jw(0, JSON.stringify({ payload: enc(CLAIMS), signatures: [{ protected: enc({ alg: 'HS256' }), signature: 'AAAA' }] })),
});

// Re-sign mode (mode bit 0; bits 1-2 the HMAC hash): the harness signs with the oct key, so
// these reach the header and claim rules behind the signature check. The signature text is a
// placeholder.
const rs = (opt, header, payload, mode = 1) => jw(opt, `${enc(header)}.${enc(payload)}.x`, mode);
Object.assign(jwt, {
	'resign-valid': rs(0x00, { alg: 'HS256', typ: 'JWT' }, CLAIMS),
	'resign-hs384': rs(0x08, { alg: 'HS384' }, CLAIMS, 3),
	'resign-hs512': rs(0x10, { alg: 'HS512' }, CLAIMS, 5),
	'resign-all-checks': rs(0xfc, { alg: 'HS256', typ: 'JWT' }, CLAIMS),
	'resign-typ-at-jwt': rs(0x40, { alg: 'HS256', typ: 'application/at+jwt' }, CLAIMS),
	'resign-typ-missing': rs(0x40, { alg: 'HS256' }, CLAIMS),
	'resign-exp-now': rs(0x00, { alg: 'HS256' }, { exp: 1700000100 }),
	'resign-exp-leeway': rs(0x04, { alg: 'HS256' }, { exp: 1700000050 }),
	'resign-exp-string': rs(0x00, { alg: 'HS256' }, { exp: '4102444800' }),
	'resign-exp-max': rs(0x00, { alg: 'HS256' }, '{"exp":9007199254740991,"nbf":-9007199254740991}'),
	'resign-exp-over': rs(0x00, { alg: 'HS256' }, '{"exp":9007199254740992}'),
	'resign-exp-float': rs(0x00, { alg: 'HS256' }, '{"exp":1700000100.5,"iat":1.7e9}'),
	'resign-nbf-future': rs(0x00, { alg: 'HS256' }, { nbf: 1700000200 }),
	'resign-iat-future': rs(0x80, { alg: 'HS256' }, { iat: 1700000200, jti: 'a' }),
	'resign-max-age-old': rs(0x80, { alg: 'HS256' }, { iat: 1600000000, jti: 'a' }),
	'resign-required-missing': rs(0x80, { alg: 'HS256' }, { iat: 1700000000 }),
	'resign-iss-mismatch': rs(0x08, { alg: 'HS256' }, { iss: 'https://issuer.example/' }),
	'resign-iss-number': rs(0x08, { alg: 'HS256' }, { iss: 1 }),
	'resign-aud-array': rs(0x10, { alg: 'HS256' }, { aud: ['x', 'other'] }),
	'resign-aud-empty-array': rs(0x10, { alg: 'HS256' }, { aud: [] }),
	'resign-aud-mixed': rs(0x10, { alg: 'HS256' }, { aud: [null, 1, 'api'] }),
	'resign-sub-mismatch': rs(0x20, { alg: 'HS256' }, { sub: 'SVC' }),
	'resign-payload-array': rs(0x00, { alg: 'HS256' }, '[1,2]'),
	'resign-payload-dup': rs(0x00, { alg: 'HS256' }, '{"aud":"api","aud":"x"}'),
	'resign-payload-deep': rs(0x00, { alg: 'HS256' }, `{"a":${'['.repeat(15)}${']'.repeat(15)}}`),
	'resign-payload-bad-utf8': jw(0x00, `${enc({ alg: 'HS256' })}.${b64u(Buffer.from([0x7b, 0x22, 0xc0, 0xaf, 0x22, 0x3a, 0x31, 0x7d]))}.x`, 1),
	'resign-crit-b64': rs(0x00, { alg: 'HS256', b64: false, crit: ['b64'] }, CLAIMS),
	'resign-kid-miss': rs(0x00, { alg: 'HS256', kid: 'nope' }, CLAIMS),
	'resign-alg-es256': rs(0x00, { alg: 'ES256' }, CLAIMS),
	'resign-empty-payload': jw(0x00, `${enc({ alg: 'HS256' })}..x`, 1),
	// Found by fuzz_jwt (a harness false positive: cJSON_Compare calls two infinities different).
	'resign-infinite-number': rs(0x00, { alg: 'HS256' }, '{"exr":90071E9254740992}'),
});
writeCorpus('jwt', jwt);

// ---- jwks: a key set document ------------------------------------------------------------

const J = (o) => typeof o === 'string' ? o : JSON.stringify(o);
const jwks = {
	'fixed-set': J(SET),
	'oct': J({ keys: [{ ...OCT, kid: 'hs', use: 'sig', alg: 'HS256' }] }),
	'rsa': J({ keys: [pub(RSA)] }),
	'p256': J({ keys: [{ ...pub(P256), key_ops: ['verify'] }] }),
	'p384': J({ keys: [pub(P384)] }),
	'p521': J({ keys: [pub(P521)] }),
	'ed25519': J({ keys: [{ ...pub(ED), alg: 'EdDSA' }] }),
	'single-jwk': J(pub(P256)),
	'private-rsa': J({ keys: [RSA] }),
	'private-ec': J({ keys: [P256] }),
	'off-curve-p256': J({ keys: [{ kty: 'EC', crv: 'P-256', x: P256.x, y: 'x_FEzRu9m36HLN_tie__mfIc6T7Z9HxlW9q4jRPcrEU' }] }),
	'short-x': J({ keys: [{ kty: 'EC', crv: 'P-256', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVE', y: P256.y }] }),
	'ed25519-small-order': J({ keys: [{ kty: 'OKP', crv: 'Ed25519', x: 'AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }] }),
	'x25519-ignored': J({ keys: [{ kty: 'OKP', crv: 'X25519', x: 'hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmo' }, pub(ED)] }),
	'oct-empty': J({ keys: [{ kty: 'oct', k: '' }] }),
	'oct-short': J({ keys: [{ kty: 'oct', k: 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg', alg: 'HS256' }] }),
	'use-enc': J({ keys: [{ ...pub(P256), use: 'enc' }] }),
	'key-ops-encrypt': J({ keys: [{ ...pub(RSA), key_ops: ['encrypt', 'verify', 'verify'] }] }),
	'alg-mismatch': J({ keys: [{ ...pub(P256), alg: 'ES384' }, { ...pub(RSA), alg: 'HS256' }] }),
	'unknown-kty': J({ keys: [{ kty: 'XYZ', k: 'AA' }, { kty: 'EC', crv: 'secp256k1', x: 'AA', y: 'AA' }] }),
	'dup-member': '{"keys":[{"kty":"oct","k":"AAAA","k":"BBBB"}]}',
	'keys-not-array': J({ keys: { kty: 'oct', k: OCT.k } }),
	'keys-empty': J({ keys: [] }),
	'keys-has-null': J({ keys: [null, 1, 'x', []] }),
	'rsa-e-one': J({ keys: [{ ...pub(RSA), kid: 'e1', e: 'AQ' }] }),
	'rsa-e-even': J({ keys: [{ ...pub(RSA), kid: 'e2', e: 'AQAC' }] }),
	'rsa-n-leading-zero': J({ keys: [{ ...pub(RSA), n: 'AA' + pub(RSA).n }] }),
	'many-oct': J({ keys: Array.from({ length: 65 }, (_, i) => ({ kty: 'oct', kid: `k${i}`, k: OCT.k })) }),
	'kid-long': J({ keys: [{ ...OCT, kid: 'k'.repeat(300) }] }),
	// Wycheproof json_web_key_test.json, public halves of single groups (Apache-2.0).
	'wycheproof-mixed-symmetry': J({ keys: [{ alg: 'HS256', use: 'sig', k: '-ebuDNsVZ2iJtoZ-akfXTSCt4UO2cruLCsbWlBinggE', kid: 'kid-aes-sign', kty: 'oct' }, { alg: 'ES256', use: 'sig', x: '04N0xi21hshyvBp7I167sbE_bXqyqkAPfefdklMO7wY', y: 'UI8exy-C06a7DUnjIdENkxeFtHM4-l_41LqEw9nVgmw', crv: 'P-256', kid: 'kid-ec-sign', kty: 'EC' }] }),
	'wycheproof-rsa-1024': J({ keys: [{ kty: 'RSA', use: 'sig', alg: 'RS256', n: 'rJBIp6T1YK-RtPyvYqFFlcucqewSAA_IReSFchE8qyiQrbARqRlXWkB2DR8j_pJQnIpYELbQWZC5Cd0PTGAU8rMbar2AW6zpmBbi7aQf17lUBdt8XI9M9rq7FPVQ1dDdUXm1SVH_9qqWhvMPR422SbfHBEzCAtzK0ANDRo6qz78', e: 'AQAB', kid: 'RS256_1024' }] }),
	'wycheproof-roca': J({ keys: [{ alg: 'RS256', use: 'sig', n: 'AanFpofbj7KjD4Lf-N2hVMKR7yewSyXhhbirIMTGpfYEhZ_lnt5UoK98DnKIgArXGTu3MaW_HhFw16HGaTDUHqPrId7fe4r11CqRw09yBFuW79V8sYIwHdzCaWflUI6auImYbVfoN9_nD5n8N8SY9DwXw7mwZM9wREPXoDPgOoIWl6q_MPsp7n0zs3Z5ZaiQWOOzl1S9OhwAfSiiOwz6efnXEaxuTEtPd7BjSx7NaFka8Dx9U7YqXy2RFj1O9PjyaDGuRh7YXsX3iMUSP_wSyHQg_c_qHRtKUsNSGCT7OZg0hzm2KphtjnayKJvC64vAbROBR4Ubg6Bxg9IQVZ-QYyE', e: 'AQAB', kid: 'kid-rsa-roca-sign', kty: 'RSA' }] }),
	'wycheproof-wrong-curve': J({ keys: [{ alg: 'ES256', use: 'sig', x: '04N0xi21hshyvBp7I167sbE_bXqyqkAPfefdklMO7wY', y: 'UI8exy-C06a7DUnjIdENkxeFtHM4-l_41LqEw9nVgmw', crv: 'P-384', kid: 'kid-ec-sign', kty: 'EC' }] }),
	'wycheproof-aes-gcm-key': J({ keys: [{ alg: 'A256GCM', use: 'sig', k: '-ebuDNsVZ2iJtoZ-akfXTSCt4UO2cruLCsbWlBinggE', kid: 'kid-aes-sign', kty: 'oct' }] }),
};
writeCorpus('jwks', jwks);

// ---- json ------------------------------------------------------------------------------

const json = {
	'header-a1': Buffer.from('eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9', 'base64url'),
	'payload-a1': Buffer.from('eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ', 'base64url'),
	'claims': J(CLAIMS),
	'jwks': J({ keys: [pub(P256)] }),
	'numbers': '[0,-0,1.5,-1e-7,1E+2,9007199254740991,9007199254740993,1e308,1e400,123456789012345678901234567890,5e-324]',
	'strings': '["","\\"\\\\\\/\\b\\f\\n\\r\\t","\\u00e9\\ud83d\\ude00","\u00e9\u20ac\ud83d\ude00","\\u001f"]',
	'literals': '[true,false,null]',
	'nested-16': '['.repeat(16) + ']'.repeat(16),
	'nested-17': '['.repeat(17) + ']'.repeat(17),
	'objects': '{"a":{"b":{"c":[1,{"d":null}]}},"e":[],"f":{}}',
	'dup-deep': '{"a":[{"x":1,"x":2}]}',
	'dup-top': '{"alg":"HS256","alg":"none"}',
	'nul-escape': '{"kid":"a\\u0000b"}',
	'lone-surrogate': '["\\ud800"]',
	'leading-zero': '[01]',
	'trailing-dot': '[1.]',
	'trailing-bytes': '{} x',
	'whitespace': ' \t\r\n{ "a" : 1 }\n',
	'overlong-utf8': Buffer.from([0x5b, 0x22, 0xc0, 0xaf, 0x22, 0x5d]),
	'long-number': '[' + '1'.repeat(64) + ']',
	'scalar': '"just a string"',
	'empty': '',
};
writeCorpus('json', json);

// ---- http: option byte (see fuzz_http.c) + one header value or form ------------------------------

const http = {};
const httpSeeds = [
	'grant_type=client_credentials&scope=read%20write&resource=https%3A%2F%2Fapi.example',
	'grant_type=authorization_code&code=SplxlOBeZQQYbYS6WxSbIA&redirect_uri=https%3A%2F%2Fclient%2Eexample%2Ecom%2Fcb',
	'x=+%25%26%2B%C2%A3%E2%82%AC', 'a=a&a=b', '&&&a=b&&&&c=d&', 'a=%C0%AF', 'a=%ED%A0%80', 'a=%4', '%EF%BB%BFtest=%EF%BB%BF',
	Array.from({ length: 33 }, (_, i) => `p${i}=${i}`).join('&'),
	'Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==', 'basic dGVzdDoxMjPCow==', 'Basic Y2xpZW50OislMjUlMjYlMkIlQzIlQTMlRTIlODIlQUM=',
	'Basic bXklM0FjbGllbnQ6cCUzQXclMjVyZCUyQjEreA==', 'Basic Ong=', 'Basic YTp=', 'Basic YTolMDA=', 'Basic ====',
	'Bearer mF_9.B5f-4.1JqM', 'bearer AZaz09-._~+/==', 'Bearer ==abc', `Bearer ${RFC.a3}`,
	'sid=abc; __Host-idb_session="v1.xyz"; a=1', 'a=1;a=2', ' sid = "x" ;', 'sid="a\\b"', 'other=%%%; sid=ok',
	'application/x-www-form-urlencoded', 'Application/JSON; charset=utf-8', ' application/json\t;', 'text/plain',
	// Accept-Language, ui_locales and a catalog message (http/i18n.h)
	'de-CH, fr;q=0.9, en;q=0.8, *;q=0.5', 'es fr-CA de', 'fr;q=0, de;q=0.001, en;q=1.000', 'de;q=2, fr;q=', 'Hello **{{name}}**, {{n}} {{n}',
];
httpSeeds.forEach((s, i) => { http[`seed-${String(i).padStart(2, '0')}`] = withOpt(i * 37 & 0xff, s); });
writeCorpus('http', http);

// ---- mail: NUL-separated address, names, subject and bodies (see fuzz_mail.c) ----------------------

const MAIL_SEEDS = [
	['alice@example.org', 'Alice', 'Identity', 'Confirm your email address', 'Hello,\nopen https://id.example/v?t=abc\n', '<p>Hello</p>\n'],
	['first.last+tag@sub.example.org', 'Zoë Ångström', 'Idëntity “Ω”', 'Bestätigen Sie Ihre Adresse – ✓', 'a=b ünïcödé\n.dot\n trailing \n', '<a href="x">ü</a>'],
	['eve@example.org\r\nBcc: x@evil.example', 'Eve\r\nBcc: x@evil.example', 'Eve', 'Hi\r\nBcc: x@evil.example', 'x', 'y'],
	['a@b', '"quoted" \\ <x@y.z>, w@v.u', '=?UTF-8?B?QWRtaW4=?=', '=?UTF-8?B?QWRtaW4=?=', '0123456789'.repeat(30), '--=_0123456789abcdef\r\n'],
	['o\'neil@xn--bcher-kva.example', '', '', 'Größenänderung ✓ '.repeat(10), '\r\n\r\n.\r\n', ''],
];
const mail = {};
MAIL_SEEDS.forEach((f, i) => { mail[`seed-${String(i).padStart(2, '0')}`] = Buffer.from(f.join('\0'), 'utf8'); });
writeCorpus('mail', mail);

// ---- router: whole HTTP/1.1 requests (see fuzz_router.c for the server's fixed state) --------------

const LEGACY = 'fuzz-legacy-secret-0123456789abcdef'; // the harness's JWT_SECRET_KEY
const BROWSER = 'Basic ' + Buffer.from('browser-ui:fuzz-browser-secret').toString('base64'); // its BROWSER_UI_CLIENT_SECRET
const BASIC = 'Basic ' + Buffer.from('fuzz-client:fuzz-client-secret').toString('base64'); // the client it registers
const hs = (payload) => {
	const input = `${enc({ alg: 'HS256', typ: 'JWT' })}.${enc(payload)}`;
	return `${input}.${b64u(crypto.createHmac('sha256', LEGACY).update(input).digest())}`;
};
const LEGACY_TOKEN = hs({ sub: 'svc', aud: 'api', exp: 4102444800, iat: 1700000000, jti: 'legacy-1', client_id: 'fuzz-client' });
// A token the harness signs (fuzz_router.c: 43 '@' after a '.' become the HS256 signature).
const hsm = (payload, header = { alg: 'HS256', typ: 'JWT' }) => `${enc(header)}.${enc(payload)}.${'@'.repeat(43)}`;
const TOK = { sub: 'svc', aud: 'api', exp: 4102444800, iat: 1700000000, jti: 'marked-1', client_id: 'fuzz-client' };
const req = (method, target, headers = {}, body = '') => {
	const h = { Host: 'localhost', ...headers };
	if (body !== '' || method === 'POST') h['Content-Length'] = String(Buffer.byteLength(body));
	return `${method} ${target} HTTP/1.1\r\n${Object.entries(h).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n${body}`;
};
const FORM = { 'Content-Type': 'application/x-www-form-urlencoded' };
// The sign-in fixtures fuzz_router.c stores (and puts back after every input): a user,
// a public and a confidential client, fixed cookies, flows, codes and refresh tokens;
// "$AT$" and "$IDT$" become an access token and an ID token the harness signed.
const SI = {
	user: 'alice', password: 'fuzz-password', verifier: 'fuzz-code-verifier-0123456789-0123456789-0123456789',
	browser: 'fuzzBrowserCookie0000000000000000000000000A', session: 'fuzzSessionCookie0000000000000000000000000A',
	flowPublic: 'fuzzFlowPublic000000000000000000000000000AA', csrfPublic: 'fuzzCsrfPublic000000000000000000000000000AA',
	flowWeb: 'fuzzFlowWeb000000000000000000000000000000AA', csrfWeb: 'fuzzCsrfWeb000000000000000000000000000000AA',
	flowSigned: 'fuzzFlowSigned000000000000000000000000000AA', csrfSigned: 'fuzzCsrfSigned000000000000000000000000000AA',
	codePublic: 'fuzzCodePublic000000000000000000000000000AA', codeWeb: 'fuzzCodeWeb000000000000000000000000000000AA',
	refreshPublic: 'fuzzRefreshPublic000000000000000000000000AA', refreshWeb: 'fuzzRefreshWeb000000000000000000000000000AA',
	pubRedirect: 'https://app.example/cb', webRedirect: 'https://web.example/cb',
};
SI.challenge = b64u(crypto.createHash('sha256').update(SI.verifier).digest());
// logout.c's confirmation token for the fixed browser: base64url(SHA-256("logout:" || SHA-256(cookie))).
SI.logoutCsrf = b64u(crypto.createHash('sha256').update(Buffer.concat([Buffer.from('logout:'),
	crypto.createHash('sha256').update(SI.browser).digest()])).digest());
const WEB_BASIC = 'Basic ' + Buffer.from('fuzz-web:fuzz-web-secret').toString('base64');
const COOKIE_B = { Cookie: `idb_browser=${SI.browser}` };
// The account forms' CSRF token of that browser (cookie.h): base64url(SHA-256("account:" || SHA-256(cookie))).
const ACCOUNT_CSRF = crypto.createHash('sha256').update(Buffer.concat([Buffer.from('account:'),
	crypto.createHash('sha256').update(SI.browser).digest()])).digest('base64url');
const COOKIE_BS = { Cookie: `idb_browser=${SI.browser}; idb_session=${SI.session}` };
const qs = (o) => new URLSearchParams(o).toString();
const AUTHZ = { response_type: 'code', client_id: 'fuzz-public', redirect_uri: SI.pubRedirect, scope: 'openid profile email',
	state: 'fuzz-state', nonce: 'fuzz-nonce', code_challenge: SI.challenge, code_challenge_method: 'S256' };
const AUTHZ_WEB = { ...AUTHZ, client_id: 'fuzz-web', redirect_uri: SI.webRedirect, scope: 'openid profile offline_access' };
const login = (flow, csrf, password = SI.password, user = SI.user, h = COOKIE_B) =>
	req('POST', '/login', { ...FORM, ...h }, qs({ flow, csrf, username: user, password }));
const signIn = {
	'authorize-get': req('GET', `/authorize?${qs(AUTHZ)}`),
	'authorize-login-hint': req('GET', `/authorize?${qs({ ...AUTHZ, login_hint: 'alice', prompt: 'login' })}`, COOKIE_B),
	'authorize-sso': req('GET', `/authorize?${qs(AUTHZ)}`, COOKIE_BS),
	'authorize-sso-consent': req('GET', `/authorize?${qs(AUTHZ_WEB)}`, COOKIE_BS),
	'authorize-prompt-none': req('GET', `/authorize?${qs({ ...AUTHZ, prompt: 'none' })}`),
	'authorize-prompt-none-sso': req('GET', `/authorize?${qs({ ...AUTHZ_WEB, prompt: 'none' })}`, COOKIE_BS),
	'authorize-prompt-consent': req('GET', `/authorize?${qs({ ...AUTHZ, prompt: 'consent select_account' })}`, COOKIE_BS),
	'authorize-max-age-0': req('GET', `/authorize?${qs({ ...AUTHZ, max_age: '0' })}`, COOKIE_BS),
	'authorize-max-age': req('GET', `/authorize?${qs({ ...AUTHZ, max_age: '30' })}`, COOKIE_BS),
	'authorize-post': req('POST', '/authorize', { ...FORM, ...COOKIE_BS }, qs(AUTHZ_WEB)),
	'authorize-bad-client': req('GET', `/authorize?${qs({ ...AUTHZ, client_id: 'fuzz-client' })}`),
	'authorize-bad-redirect': req('GET', `/authorize?${qs({ ...AUTHZ, redirect_uri: 'https://evil.example/cb' })}`),
	'authorize-dup': req('GET', `/authorize?${qs(AUTHZ)}&state=again`),
	'authorize-plain-pkce': req('GET', `/authorize?${qs({ ...AUTHZ, code_challenge_method: 'plain' })}`),
	'authorize-request-object': req('GET', `/authorize?${qs({ ...AUTHZ, request: 'eyJhbGciOiJub25lIn0.e30.' })}`),
	'authorize-fragment': req('GET', `/authorize?${qs({ ...AUTHZ, response_mode: 'fragment', response_type: 'code id_token' })}`),
	'login-ok': login(SI.flowPublic, SI.csrfPublic),
	'login-ok-then-authorize': login(SI.flowPublic, SI.csrfPublic) + req('GET', `/authorize?${qs(AUTHZ)}`, COOKIE_BS),
	'login-wrong': login(SI.flowPublic, SI.csrfPublic, 'nope'),
	'login-unknown-user': login(SI.flowPublic, SI.csrfPublic, SI.password, 'bob'),
	'login-lockout': [1, 2, 3].map(() => login(SI.flowPublic, SI.csrfPublic, 'wrong')).join('') + login(SI.flowPublic, SI.csrfPublic),
	'login-address-limit': [1, 2, 3, 4, 5, 6].map((i) => login(SI.flowPublic, SI.csrfPublic, 'x', `u${i}`)).join(''),
	'login-bad-csrf': login(SI.flowPublic, SI.csrfWeb),
	'login-other-browser': login(SI.flowPublic, SI.csrfPublic, SI.password, SI.user, { Cookie: `idb_browser=${SI.session}` }),
	'login-origin': req('POST', '/login', { ...FORM, ...COOKIE_B, Origin: 'https://evil.example' },
		qs({ flow: SI.flowPublic, csrf: SI.csrfPublic, username: SI.user, password: SI.password })),
	'login-empty': login(SI.flowPublic, SI.csrfPublic, '', ''),
	'login-get': req('GET', `/login?flow=${SI.flowPublic}`),
	'login-consent': login(SI.flowWeb, SI.csrfWeb) + req('POST', '/consent', { ...FORM, ...COOKIE_B },
		qs({ flow: SI.flowWeb, csrf: SI.csrfWeb, decision: 'allow' })) + req('GET', `/authorize?${qs(AUTHZ_WEB)}`, COOKIE_BS),
	'consent-allow': req('POST', '/consent', { ...FORM, ...COOKIE_B }, qs({ flow: SI.flowSigned, csrf: SI.csrfSigned, decision: 'allow' })),
	'consent-deny': req('POST', '/consent', { ...FORM, ...COOKIE_B }, qs({ flow: SI.flowSigned, csrf: SI.csrfSigned, decision: 'deny' })),
	'consent-not-signed-in': req('POST', '/consent', { ...FORM, ...COOKIE_B }, qs({ flow: SI.flowWeb, csrf: SI.csrfWeb, decision: 'allow' })),
	'token-code-public': req('POST', '/token', FORM, qs({ grant_type: 'authorization_code', code: SI.codePublic,
		redirect_uri: SI.pubRedirect, client_id: 'fuzz-public', code_verifier: SI.verifier })),
	'token-code-web': req('POST', '/token', { ...FORM, Authorization: WEB_BASIC }, qs({ grant_type: 'authorization_code',
		code: SI.codeWeb, redirect_uri: SI.webRedirect, code_verifier: SI.verifier })),
	'token-code-replay': [1, 2].map(() => req('POST', '/token', FORM, qs({ grant_type: 'authorization_code', code: SI.codePublic,
		redirect_uri: SI.pubRedirect, client_id: 'fuzz-public', code_verifier: SI.verifier }))).join(''),
	'token-code-bad-verifier': req('POST', '/token', FORM, qs({ grant_type: 'authorization_code', code: SI.codePublic,
		redirect_uri: SI.pubRedirect, client_id: 'fuzz-public', code_verifier: 'x'.repeat(43) })),
	'token-refresh-public': req('POST', '/token', FORM, qs({ grant_type: 'refresh_token', refresh_token: SI.refreshPublic, client_id: 'fuzz-public' })),
	'token-refresh-web-narrow': req('POST', '/token', { ...FORM, Authorization: WEB_BASIC },
		qs({ grant_type: 'refresh_token', refresh_token: SI.refreshWeb, scope: 'openid' })),
	'token-refresh-reuse': [1, 2].map(() => req('POST', '/token', FORM, qs({ grant_type: 'refresh_token',
		refresh_token: SI.refreshPublic, client_id: 'fuzz-public' }))).join(''),
	'token-refresh-wrong-client': req('POST', '/token', { ...FORM, Authorization: WEB_BASIC },
		qs({ grant_type: 'refresh_token', refresh_token: SI.refreshPublic })),
	'token-options': req('OPTIONS', '/token', { Origin: 'https://app.example', 'Access-Control-Request-Method': 'POST' }),
	'introspect-refresh': req('POST', '/introspect', { ...FORM, Authorization: WEB_BASIC }, qs({ token: SI.refreshWeb, token_type_hint: 'refresh_token' })),
	'revoke-refresh': req('POST', '/revoke', { ...FORM, Authorization: WEB_BASIC }, qs({ token: SI.refreshWeb }))
		+ req('POST', '/token', { ...FORM, Authorization: WEB_BASIC }, qs({ grant_type: 'refresh_token', refresh_token: SI.refreshWeb })),
	'token-password': req('POST', '/token', { ...FORM, Authorization: WEB_BASIC },
		qs({ grant_type: 'password', username: 'alice', password: 'fuzz-password', scope: 'openid profile offline_access' })),
	'token-password-wrong': req('POST', '/token', { ...FORM, Authorization: WEB_BASIC },
		qs({ grant_type: 'password', username: 'alice', password: 'wrong' })),
	'auth-login': req('POST', '/auth/login', { 'Content-Type': 'application/json', Authorization: WEB_BASIC },
		JSON.stringify({ username: 'alice', password: 'fuzz-password' })),
	'auth-login-members': req('POST', '/auth/login', { 'Content-Type': 'application/json' },
		JSON.stringify({ username: 'alice', password: 'fuzz-password', client_id: 'fuzz-web', client_secret: 'fuzz-web-secret' })),
	'users-me': req('GET', '/users/me', { Authorization: 'Bearer $AT$' }),
	'forgot-get': req('GET', '/forgot', COOKIE_B),
	'forgot-post': req('POST', '/forgot', { ...FORM, ...COOKIE_B }, qs({ csrf: ACCOUNT_CSRF, email: 'alice@example.com' })),
	'register-post': req('POST', '/register', { ...FORM, ...COOKIE_B },
		qs({ csrf: ACCOUNT_CSRF, username: 'newbie', email: 'newbie@example.com', name: 'New B', password: 'a fine long password', password2: 'a fine long password' })),
	'reset-get': req('GET', `/reset?token=${'A'.repeat(43)}`),
	'reset-post': req('POST', '/reset', { ...FORM, ...COOKIE_B }, qs({ csrf: ACCOUNT_CSRF, token: 'A'.repeat(43), password: 'x', password2: 'x' })),
	'verify-email': req('POST', '/verify-email', { ...FORM, ...COOKIE_B }, qs({ csrf: ACCOUNT_CSRF, token: 'B'.repeat(43) })),
	'auth-register': req('POST', '/auth/register', { 'Content-Type': 'application/json' },
		JSON.stringify({ username: 'jsonnew', email: 'j@example.com', password: 'a fine long password', full_name: 'J' })),
	'login-mfa': req('POST', '/login/mfa', { ...FORM, ...COOKIE_B }, qs({ flow: SI.flowPublic, csrf: SI.csrfPublic, code: '123456' })),
	'login-mfa-recovery': req('POST', '/login/mfa', { ...FORM, ...COOKIE_B }, qs({ flow: SI.flowWeb, csrf: SI.csrfWeb, code: '7fj2k-q9xm4', challenge: 'C'.repeat(43) })),
	'login-passkey-challenge': req('POST', '/login/passkey/challenge', { ...FORM, ...COOKIE_B }, qs({ flow: SI.flowPublic, csrf: SI.csrfPublic })),
	'login-passkey': req('POST', '/login/passkey', { ...FORM, ...COOKIE_B }, qs({ flow: SI.flowPublic, csrf: SI.csrfPublic,
		challenge: 'C'.repeat(43), credential: 'AAEC', client_data: 'eyJ0eXBlIjoid2ViYXV0aG4uZ2V0In0', authenticator_data: 'AAAA', signature: 'MEUCIQ' })),
	'account-get': req('GET', '/account?done=app', COOKIE_BS),
	'account-post': req('POST', '/account', { ...FORM, ...COOKIE_BS }, qs({ csrf: ACCOUNT_CSRF, action: 'app-begin' })),
	'account-confirm': req('POST', '/account', { ...FORM, ...COOKIE_BS }, qs({ csrf: ACCOUNT_CSRF, action: 'app-confirm', id: 'x', code: '123456' })),
	'account-codes': req('POST', '/account', { ...FORM, ...COOKIE_BS }, qs({ csrf: ACCOUNT_CSRF, action: 'codes-new' })),
	'account-end-session': req('POST', '/account', { ...FORM, ...COOKIE_BS }, qs({ csrf: ACCOUNT_CSRF, action: 'end-session', id: 'f'.repeat(64) })),
	'account-login': req('POST', '/account/login', { ...FORM, ...COOKIE_B }, qs({ csrf: ACCOUNT_CSRF, username: 'alice', password: 'fuzz-password' })),
	'account-mfa': req('POST', '/account/mfa', { ...FORM, ...COOKIE_B }, qs({ csrf: ACCOUNT_CSRF, challenge: 'C'.repeat(43), code: '123456' })),
	'account-passkey': req('POST', '/account/passkey', { ...FORM, ...COOKIE_BS }, qs({ csrf: ACCOUNT_CSRF, challenge: 'C'.repeat(43), client_data: 'e30', attestation: 'oA', name: 'Key' })),
	'passkey-js': req('GET', '/static/passkey.js'),
	'userinfo-get': req('GET', '/userinfo', { Authorization: 'Bearer $AT$' }),
	'userinfo-post': req('POST', '/userinfo', { Authorization: 'Bearer $AT$' }),
	'userinfo-id-token': req('GET', '/userinfo', { Authorization: 'Bearer $IDT$' }),
	'userinfo-hs256': req('GET', '/userinfo', { Authorization: `Bearer ${hsm({ ...TOK, sub: 'fuzz-user-1', scope: 'openid', auth_time: 1 }, { alg: 'HS256', typ: 'at+jwt' })}` }),
	'userinfo-none': req('GET', '/userinfo'),
	'userinfo-options': req('OPTIONS', '/userinfo', { Origin: 'https://app.example', 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'authorization' }),
	'logout-hint': req('GET', `/logout?id_token_hint=$IDT$&${qs({ post_logout_redirect_uri: 'https://web.example/bye', state: 'bye' })}`, COOKIE_BS),
	'logout-hint-client': req('GET', `/logout?id_token_hint=$IDT$&${qs({ client_id: 'fuzz-web', post_logout_redirect_uri: 'https://app.example/bye' })}`, COOKIE_BS),
	'logout-confirm-page': req('GET', `/logout?${qs({ client_id: 'fuzz-public', post_logout_redirect_uri: 'https://app.example/bye', state: 's' })}`, COOKIE_BS),
	'logout-confirm-post': req('POST', '/logout', { ...FORM, ...COOKIE_BS }, qs({ csrf: SI.logoutCsrf, client_id: 'fuzz-public',
		post_logout_redirect_uri: 'https://app.example/bye', state: 's' })),
	'logout-bad-csrf': req('POST', '/logout', { ...FORM, ...COOKIE_BS }, qs({ csrf: SI.csrfWeb })),
	'logout-marked-hint': req('GET', `/logout?id_token_hint=${hsm({ iss: 'http://127.0.0.1:8080', sub: 'fuzz-user-1', aud: 'fuzz-web', exp: 1 })}`, COOKIE_BS),
	'demo-index': req('GET', '/demo/'),
	'demo-files': req('GET', '/demo/demo.js') + req('HEAD', '/demo/demo.css') + req('GET', '/demo/verifier/index.js') + req('GET', '/favicon.ico'),
	'demo-traversal': req('GET', '/demo/../../etc/passwd') + req('GET', '/demo/%2e%2e/%2e%2e/etc/passwd') + req('GET', '/demo/..%2F..%2Fissuer%2Fapp.c')
		+ req('GET', '/demo/verifier/../../../Makefile') + req('GET', '/demo/index.html%00.js') + req('POST', '/demo/index.html'),
	'demo-no-slash': req('GET', '/demo') + req('GET', '/demo//index.html') + req('GET', '/demo/.%2e/www/demo/index.html'),
	'h2-login': await captureH2([[{ ':method': 'POST', ':path': '/login', 'content-type': FORM['Content-Type'], cookie: `idb_browser=${SI.browser}` },
		qs({ flow: SI.flowPublic, csrf: SI.csrfPublic, username: SI.user, password: SI.password })],
		[{ ':method': 'GET', ':path': '/userinfo' }]]), // HPACK may Huffman-code a header: no "$AT$" here
};
const router = {
	'ping': req('GET', '/ping'),
	'head-ping': req('HEAD', '/ping'),
	'health': req('GET', '/health'),
	'metrics': req('GET', '/metrics'),
	'discovery': req('GET', '/.well-known/openid-configuration'),
	'jwks': req('GET', '/.well-known/jwks.json'),
	'not-found': req('GET', '/nope?x=1'),
	'method-not-allowed': req('DELETE', '/token'),
	'path-normalize': req('GET', '/./.well-known/../ping'),
	'token-basic': req('POST', '/token', { ...FORM, Authorization: BASIC }, 'grant_type=client_credentials'),
	'token-browser-ui': req('POST', '/token', { ...FORM, Authorization: BROWSER }, 'grant_type=client_credentials'),
	'token-post-auth': req('POST', '/token', FORM, 'grant_type=client_credentials&client_id=fuzz-client&client_secret=fuzz-client-secret&scope=openid%20read'),
	'token-bad-secret': req('POST', '/token', { ...FORM, Authorization: 'Basic ' + Buffer.from('browser-ui:nope').toString('base64') }, 'grant_type=client_credentials'),
	'token-json-seed': req('POST', '/token', { 'Content-Type': 'application/json', Authorization: BASIC }, J({ sub: 'svc', aud: 'api' })),
	'token-json-creds': req('POST', '/token', { 'Content-Type': 'application/json' }, J({ sub: 'alice', aud: 'https://api.example', client_id: 'fuzz-client', client_secret: 'fuzz-client-secret' })),
	'token-resource': req('POST', '/token', { ...FORM, Authorization: BASIC }, 'grant_type=client_credentials&resource=https%3A%2F%2Fapi.example&audience=api'),
	'token-unsupported-grant': req('POST', '/token', { ...FORM, Authorization: BASIC }, 'grant_type=password&username=a&password=b'),
	'token-dup-param': req('POST', '/token', { ...FORM, Authorization: BASIC }, 'grant_type=client_credentials&grant_type=client_credentials'),
	'token-wrong-type': req('POST', '/token', { 'Content-Type': 'text/plain', Authorization: BASIC }, 'grant_type=client_credentials'),
	'verify-legacy': req('POST', '/verify', { 'Content-Type': 'application/json' }, J({ token: LEGACY_TOKEN })),
	'verify-aud': req('POST', '/verify', { 'Content-Type': 'application/json' }, J({ token: LEGACY_TOKEN, aud: 'api' })),
	'verify-rfc': req('POST', '/verify', { 'Content-Type': 'application/json' }, J({ token: RFC.a3 })),
	'verify-bad-body': req('POST', '/verify', { 'Content-Type': 'application/json' }, '{"token":1}'),
	'introspect': req('POST', '/introspect', { ...FORM, Authorization: BASIC }, `token=${LEGACY_TOKEN}`),
	'introspect-noauth': req('POST', '/introspect', FORM, `token=${LEGACY_TOKEN}`),
	'revoke': req('POST', '/revoke', { ...FORM, Authorization: BASIC }, `token=${LEGACY_TOKEN}&token_type_hint=access_token`),
	'revoke-then-verify': req('POST', '/revoke', { ...FORM, Authorization: BASIC }, `token=${LEGACY_TOKEN}`) + req('POST', '/verify', { 'Content-Type': 'application/json' }, J({ token: LEGACY_TOKEN })),
	'pipelined': req('GET', '/ping') + req('GET', '/health') + req('GET', '/nope'),
	'chunked': `POST /verify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{"tok\r\n0\r\n\r\n`,
	// Request smuggling shapes (refused with 400 before any handler: issuer/http/framing.h).
	'smuggle-cl-cl': 'POST /verify HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: 33\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\n\r\n',
	'smuggle-cl-te': 'POST /verify HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\n\r\n',
	'smuggle-obs-fold': 'GET /ping HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n 33\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\n\r\n',
	'expect-continue': req('POST', '/token', { ...FORM, Authorization: BASIC, Expect: '100-continue' }, 'grant_type=client_credentials'),
	'http10': 'GET /ping HTTP/1.0\r\n\r\n',
	'h2c-upgrade': 'GET /ping HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n',
	'garbage': 'GET\r\n\r\n',
	'marked-verify': req('POST', '/verify', { 'Content-Type': 'application/json' }, J({ token: hsm(TOK), aud: 'api' })),
	'marked-verify-expired': req('POST', '/verify', { 'Content-Type': 'application/json' }, J({ token: hsm({ ...TOK, exp: 1 }) })),
	'marked-verify-claims': req('POST', '/verify', { 'Content-Type': 'application/json' }, J({ token: hsm({ ...TOK, aud: ['x', 'api'], nbf: 4102444700, iss: 7 }), aud: 'x' })),
	'marked-verify-kid': req('POST', '/verify', { 'Content-Type': 'application/json' }, J({ token: hsm(TOK, { alg: 'HS256', kid: 'legacy', crit: ['x'], x: 1 }) })),
	'marked-introspect': req('POST', '/introspect', { ...FORM, Authorization: BASIC }, `token=${hsm({ ...TOK, scope: 'read write' })}`),
	'marked-introspect-other': req('POST', '/introspect', { ...FORM, Authorization: BASIC }, `token=${hsm({ ...TOK, client_id: 'browser-ui', aud: ['https://api.example'] })}`),
	'marked-revoke': req('POST', '/revoke', { ...FORM, Authorization: BASIC }, `token=${hsm(TOK)}&token_type_hint=access_token`)
		+ req('POST', '/verify', { 'Content-Type': 'application/json' }, J({ token: hsm(TOK) })),
	'marked-revoke-no-jti': req('POST', '/revoke', { ...FORM, Authorization: BASIC }, `token=${hsm({ client_id: 'fuzz-client', exp: 4102444800 })}`),
	'marked-revoke-other-client': req('POST', '/revoke', { ...FORM, Authorization: BASIC }, `token=${hsm({ ...TOK, client_id: 'browser-ui' })}`),
	'marked-bearer': req('GET', '/health', { Authorization: `Bearer ${hsm(TOK)}` }),
	'h2-ping-verify': await captureH2([[{ ':method': 'GET', ':path': '/ping' }], [{ ':method': 'POST', ':path': '/verify', 'content-type': 'application/json' }, J({ token: LEGACY_TOKEN })]]),
	'h2-token': await captureH2([[{ ':method': 'POST', ':path': '/token', 'content-type': FORM['Content-Type'], authorization: BASIC }, 'grant_type=client_credentials&scope=read']]),
	...signIn,
};
writeCorpus('router', router);

/** The bytes Node's HTTP/2 client sends (prior knowledge, h2c) for requests [[headers, body?], …]. */
async function captureH2(requests) {
	const chunks = [];
	const srv = net.createServer((s) => s.on('data', (d) => chunks.push(d)));
	await new Promise((r) => srv.listen(0, '127.0.0.1', r));
	const c = http2.connect(`http://127.0.0.1:${srv.address().port}`);
	c.on('error', () => {});
	for (const [headers, body] of requests) {
		const r = c.request(headers);
		r.on('error', () => {});
		r.end(body);
	}
	await new Promise((r) => setTimeout(r, 300));
	c.destroy();
	srv.close();
	return Buffer.concat(chunks);
}

// ---- dictionaries: tests/fuzz/<target>.dict (libFuzzer format: one "quoted" entry a line) --------

function writeDict(name, comment, entries) {
	const q = (s) => '"' + [...Buffer.from(s, 'latin1')].map((c) =>
		c === 0x22 ? '\\"' : c === 0x5c ? '\\\\' : c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : `\\x${c.toString(16).padStart(2, '0')}`).join('') + '"';
	const lines = [...new Set(entries)].map(q);
	fs.writeFileSync(path.join(HERE, `${name}.dict`), `# ${comment}\n# Written by tests/fuzz/seeds.mjs; edit there.\n${lines.join('\n')}\n`);
	console.log(`${name}.dict: ${lines.length} entries`);
}
const utf8 = (s) => Buffer.from(s, 'utf8').toString('latin1');

writeDict('mail', 'fuzz_mail: header syntax, encoded words, quoted-printable and MIME boundaries', [
	'\0', '\r\n', '\n', '\r', '@', '.', '..', '"', '\\', '<', '>', ',', ';', ':', '=?', '?=', '=?UTF-8?B?', '=?utf-8?q?',
	'Bcc: ', 'To: ', 'Subject: ', 'Content-Type: ', 'boundary="', '--=_', '=0D=0A', '=\r\n', ' \r\n', '\t',
	'\xc3\xa9', '\xe2\x9c\x93', '\xf0\x9f\x98\x80', '\xc3', '\xed\xa0\x80', '\xc2\x85', 'xn--', '-.', '.-',
]);
// Tokens are base64url: header fragments are only useful encoded, whole or from a 3-byte boundary.
const b64frag = (s) => enc(s);
writeDict('jwt', 'fuzz_jwt: base64url of whole protected headers and claim sets, and the separators', [
	'.', '..', '=', '-', '_', 'eyJ', 'fQ', 'In0', 'e30', 'W10',
	...ALGS.map((alg) => b64frag({ alg })),
	...ALGS.map((alg) => b64frag({ alg, typ: 'JWT' })),
	...ALGS.map((alg) => kidOf(alg) ? b64frag({ alg, kid: kidOf(alg) }) : b64frag({ alg, kid: 'x' })),
	b64frag({ alg: 'none' }), b64frag({ alg: 'HS256', crit: ['b64'], b64: false }), b64frag({ alg: 'HS256', crit: ['x'], x: 1 }),
	b64frag({ alg: 'ES256', jwk: {} }), b64frag({ alg: 'HS256', kid: 7 }), b64frag({ alg: 'HS256', typ: 'at+jwt' }),
	b64frag(CLAIMS), b64frag({ exp: 1 }), b64frag({ exp: '1' }), b64frag({ iss: 'joe', exp: 1300819380 }),
	b64frag({ aud: ['api'] }), b64frag({ nbf: 4102444800 }), b64frag({ iat: 1700000000 }), b64frag('[]'), b64frag('"x"'),
	'AAAA', '____', b64u(Buffer.alloc(64)), b64u(Buffer.alloc(32, 0xff)),
]);
writeDict('jwks', 'fuzz_jwks: JWK member names and values (RFC 7517, RFC 7518 §6, RFC 8037)', [
	'"keys"', '"kty"', '"oct"', '"RSA"', '"EC"', '"OKP"', '"crv"', '"P-256"', '"P-384"', '"P-521"', '"Ed25519"', '"Ed448"',
	'"X25519"', '"secp256k1"', '"x"', '"y"', '"n"', '"e"', '"d"', '"p"', '"q"', '"dp"', '"dq"', '"qi"', '"oth"', '"k"',
	'"kid"', '"use"', '"sig"', '"enc"', '"key_ops"', '"verify"', '"sign"', '"encrypt"', '"alg"', '"x5c"', '"x5t"',
	'"ext"', ...ALGS.map((a) => `"${a}"`), '"none"', '"AQAB"', '"AQ"', '"AA"', '""', '{', '}', '[', ']', ':', ',',
	'null', 'true', 'false', '\\u0000', '{"keys":[', ']}', '{"kty":"EC","crv":"P-256","x":"', '","y":"',
	P256.x, P256.y, OCT.k, ED.x,
]);
writeDict('json', 'fuzz_json: RFC 8259 tokens, escapes, number forms and UTF-8 edge sequences', [
	'{', '}', '[', ']', ',', ':', '"', '""', '{}', '[]', 'true', 'false', 'null', ' ', '\t', '\r\n',
	'\\"', '\\\\', '\\/', '\\b', '\\f', '\\n', '\\r', '\\t', '\\u', '\\u0000', '\\u001f', '\\u00e9', '\\ud800', '\\udc00',
	'\\ud83d\\ude00', '\\uffff', '-', '-0', '0', '0.', '.5', '1e', 'e+', 'E-', '1e400', '-1e400', '5e-324',
	'9007199254740991', '9007199254740993', '1.7976931348623157e308', '0000000000000000000000000000000000000000000000000000000000000000',
	'\xc2\x80', '\xdf\xbf', '\xe0\xa0\x80', '\xed\x9f\xbf', '\xed\xa0\x80', '\xef\xbf\xbf', '\xf0\x90\x80\x80',
	'\xf4\x8f\xbf\xbf', '\xf4\x90\x80\x80', '\xc0\xaf', '\xe0\x80\xaf', '\xff', utf8('\u2028'),
	'"alg"', '"exp"', '"kid"', '"keys"',
]);
writeDict('http', 'fuzz_http: form, Authorization, Cookie and Content-Type syntax', [
	'Basic ', 'basic ', 'BASIC ', 'Bearer ', 'bearer ', '=', '==', '&', '&&', '+', '%', '%00', '%0A', '%1F', '%20', '%25',
	'%26', '%2B', '%3A', '%3D', '%7F', '%C2%A3', '%E2%82%AC', '%C0%AF', '%ED%A0%80', '%F4%90%80%80', '%EF%BB%BF',
	';', '; ', '"', ',', '\\', '\t', ' ', 'application/x-www-form-urlencoded', 'application/json', 'charset=utf-8',
	'sid=', '__Host-idb_session=', 'a=', 'grant_type=', 'client_credentials', 'client_id=', 'client_secret=', 'scope=',
	'resource=', 'audience=', 'token=', 'Og==', 'YTo=', 'QWxhZGRpbjpvcGVuIHNlc2FtZQ==', '====', '-._~+/',
	';q=', ';q=0.5', 'q=1.000', '*', 'de-CH', 'fr', 'en', '{{', '}}', '{{n}}', '{{name}}', '**',
]);
writeDict('router', 'fuzz_router: HTTP/1.x framing, the issuer\'s routes, headers and parameters', [
	'GET ', 'POST ', 'HEAD ', 'PUT ', 'DELETE ', 'OPTIONS ', 'CONNECT ', ' HTTP/1.1\r\n', ' HTTP/1.0\r\n', 'HTTP/2.0',
	'\r\n', '\r\n\r\n', ': ', 'Host: localhost\r\n', 'Content-Length: ', 'Content-Length: 0\r\n', 'Transfer-Encoding: chunked\r\n',
	'0\r\n\r\n', 'Content-Type: application/x-www-form-urlencoded\r\n', 'Content-Type: application/json\r\n',
	`Authorization: ${BASIC}\r\n`, `Authorization: ${BROWSER}\r\n`, 'Authorization: Bearer ', 'Expect: 100-continue\r\n',
	'Connection: close\r\n', 'Connection: keep-alive\r\n', 'Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n',
	'Cookie: ', 'X-Forwarded-For: ', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n',
	'/token', '/verify', '/introspect', '/revoke', '/ping', '/health', '/metrics', '/.well-known/openid-configuration',
	'/.well-known/jwks.json', '?', '/..', '/./', '%2F', '//',
	'grant_type=client_credentials', '&scope=', 'read write', '&resource=', '&audience=', 'https%3A%2F%2Fapi.example',
	'&client_id=fuzz-client&client_secret=fuzz-client-secret', 'token=', '&token_type_hint=access_token',
	'{"token":"', '","aud":"', '"}', '{"sub":"svc","aud":"api"}', LEGACY_TOKEN,
	// the sign-in flow (fuzz_router.c's fixtures)
	'/authorize', '/login', '/consent', '/logout', '/userinfo', '/demo/', '/demo/verifier/', '/favicon.ico', '/demo/index.html',
	'/auth/login', '/users/me', '/forgot', '/reset', '/verify-email', '/register', '/auth/register', 'token=', 'password2=', 'grant_type=password', '&username=alice', '&password=fuzz-password', '{"username":"alice","password":"',
	'/login/mfa', '/login/passkey', '/login/passkey/challenge', '/account', '/account/login', '/account/mfa', '/account/passkey',
	'/static/passkey.js', '&code=', '&challenge=', '&credential=', '&client_data=', '&authenticator_data=', '&signature=',
	'&attestation=', '&action=', 'app-begin', 'app-confirm', 'codes-new', 'remove', 'end-session', 'sign-out', '&id=', '?done=', '?setup=required',
	'response_type=code', '&client_id=fuzz-public', '&client_id=fuzz-web', 'client_id=', '&redirect_uri=',
	'https%3A%2F%2Fapp.example%2Fcb', 'https%3A%2F%2Fweb.example%2Fcb', '&scope=openid', '%20profile', '%20email',
	'%20offline_access', '&state=', '&nonce=', `&code_challenge=${SI.challenge}`, '&code_challenge_method=S256',
	'&prompt=', 'none', 'login', 'consent', 'select_account', '&max_age=', '&login_hint=', '&response_mode=', '&request=',
	`flow=${SI.flowPublic}`, `flow=${SI.flowWeb}`, `flow=${SI.flowSigned}`, `&csrf=${SI.csrfPublic}`, `&csrf=${SI.csrfWeb}`,
	`&csrf=${SI.csrfSigned}`, `&csrf=${SI.logoutCsrf}`, '&username=alice', '&password=fuzz-password', '&password=',
	'&decision=allow', '&decision=deny', 'id_token_hint=$IDT$', '&post_logout_redirect_uri=', 'https%3A%2F%2Fweb.example%2Fbye',
	'https%3A%2F%2Fapp.example%2Fbye', 'Authorization: Bearer $AT$\r\n', `Authorization: ${WEB_BASIC}\r\n`, '$AT$', '$IDT$',
	'grant_type=authorization_code', 'grant_type=refresh_token', `&code=${SI.codePublic}`, `&code=${SI.codeWeb}`,
	`&code_verifier=${SI.verifier}`, `&refresh_token=${SI.refreshPublic}`, `&refresh_token=${SI.refreshWeb}`,
	'&token_type_hint=refresh_token', `Cookie: idb_browser=${SI.browser}\r\n`, `idb_session=${SI.session}`,
	`Cookie: idb_browser=${SI.browser}; idb_session=${SI.session}\r\n`, 'Origin: https://app.example\r\n',
	'Access-Control-Request-Method: POST\r\n', '%2e%2e/', '..%2F', '%00',
]);
