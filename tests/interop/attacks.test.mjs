// Interop suite 2: an independent attack corpus against `identity-backend verify`.
//
// Every token here is built by hand (Buffer base64url, node:crypto) so that nothing a
// JOSE library refuses to produce is out of reach. Each attack is paired with a control
// built by the same code path that does verify, so a rejection can only come from the
// attack itself. Expected codes follow the table in README.md "Verification rules" (the
// contract) and the README's "Verification rules": 3 strict base64url parts, header a strict
// JSON object of depth <= 16 and <= 4096 chars, token <= 64 KiB, payload parsed only after
// the signature verifies, NumericDates within ±(2^53 - 1), key set <= 64 keys, …
//
// Where jose 5 (the reference for codes) is laxer, the README wins and the check says so:
// crit naming a missing or registered name (jose: ERR_JOSE_NOT_SUPPORTED; here the header
// is malformed: ERR_JWS_INVALID), b64 / kid of the wrong type (jose ignores them), an empty
// signature segment (jose: ERR_JWS_SIGNATURE_VERIFICATION_FAILED; here ERR_JWS_INVALID).
//
// Run: node tests/interop/attacks.test.mjs   (binary: $IDB_BIN or build/bin/identity-backend)

import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import * as jose from 'jose';
import { prng } from '../lib.mjs';
import {
	b64u, check, expectError, expectValid, finish, requireBinary, run, runAsync, runPool, show, tempDir,
	verdictProblems, writeJwks,
} from './lib.mjs';

requireBinary();

const dir = tempDir('idb-attacks-');
const NOW = 1700000000;
const NOWF = ['--now', String(NOW)];

// --- keys ------------------------------------------------------------------------------

const gen = (type, opts) => crypto.generateKeyPairSync(type, opts);
const rsa = gen('rsa', { modulusLength: 2048 });
const ec = gen('ec', { namedCurve: 'P-256' });
const ec384 = gen('ec', { namedCurve: 'P-384' });
const ec521 = gen('ec', { namedCurve: 'P-521' });
const ed = gen('ed25519');
const attacker = gen('ec', { namedCurve: 'P-256' });
const secret = crypto.randomBytes(32);

const pubJwk = (kp) => kp.publicKey.export({ format: 'jwk' });
const privJwk = (kp) => kp.privateKey.export({ format: 'jwk' });
const RSA_JWK = { ...pubJwk(rsa), kid: 'rsa1' };
const EC_JWK = { ...pubJwk(ec), kid: 'ec1' };
const EC384_JWK = { ...pubJwk(ec384), kid: 'ec384' };
const EC521_JWK = { ...pubJwk(ec521), kid: 'ec521' };
const ED_JWK = { ...pubJwk(ed), kid: 'ed1' };
const OCT_JWK = { kty: 'oct', k: b64u(secret), kid: 'key1' };

const F = {
	main: writeJwks(dir, { keys: [RSA_JWK, EC_JWK, EC384_JWK, EC521_JWK, ED_JWK, OCT_JWK] }, 'main'),
	rsaOnly: writeJwks(dir, { keys: [RSA_JWK] }, 'rsa-only'),
	ecOnly: writeJwks(dir, { keys: [EC_JWK] }, 'ec-only'),
	oct: writeJwks(dir, { keys: [OCT_JWK] }, 'oct'),
};

// --- hand-built tokens -----------------------------------------------------------------

const enc = (part) => b64u(Buffer.isBuffer(part) ? part : Buffer.from(typeof part === 'string' ? part : JSON.stringify(part), 'utf8'));
const HASH = { 256: 'sha256', 384: 'sha384', 512: 'sha512' };

/** Sign input (string) with alg and key (Buffer secret or KeyObject); raw JOSE signature bytes. */
function rawSign(alg, key, input) {
	const data = Buffer.from(input, 'latin1');
	const bits = alg.slice(2);
	switch (alg.slice(0, 2)) {
	case 'HS': return crypto.createHmac(HASH[bits], key).update(data).digest();
	case 'RS': return crypto.sign(HASH[bits], data, key);
	case 'PS': return crypto.sign(HASH[bits], data, { key, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: Number(bits) / 8 });
	case 'ES': return crypto.sign(HASH[bits], data, { key, dsaEncoding: 'ieee-p1363' });
	case 'Ed': return crypto.sign(null, data, key);
	default: throw new Error(`rawSign: ${alg}`);
	}
}

/**
 * token(header, payload, signAlg, key): header/payload are objects (JSON), strings
 * (raw JSON text) or Buffers (raw bytes). signAlg/key sign "h.p" (Latin-1 of the
 * ASCII text); sig overrides the signature bytes; rawSig the signature text.
 */
function token(header, payload, signAlg, key, { sig, rawSig } = {}) {
	const input = `${enc(header)}.${enc(payload)}`;
	if (rawSig !== undefined) return `${input}.${rawSig}`;
	const s = sig !== undefined ? sig : signAlg ? rawSign(signAlg, key, input) : Buffer.alloc(0);
	return `${input}.${b64u(s)}`;
}

const PAYLOAD = { iss: 'https://issuer.example', sub: 'alice', iat: NOW - 10, exp: NOW + 600 };
const verify = (file, tok, flags = []) => run(['verify', '--jwks', file, ...NOWF, ...flags, tok]);
const verifyStdin = (file, input, flags = []) => run(['verify', '--jwks', file, ...NOWF, ...flags, '-'], { input });
const verifyAt = (now, file, tok) => run(['verify', '--jwks', file, '--now', String(now), tok]);
const verifyStdinAsync = (file, input) => runAsync(['verify', '--jwks', file, ...NOWF, '-'], { input });
const hs = (header, payload = PAYLOAD, opts) => token(header, payload, 'HS256', secret, opts);
const es = (header, payload = PAYLOAD, opts) => token(header, payload, 'ES256', ec.privateKey, opts);

// Controls: the hand-built path yields tokens the binary accepts.
expectValid('control: hand-built HS256 token (kid key1) verifies', verify(F.main, hs({ alg: 'HS256', kid: 'key1' })), { payload: PAYLOAD });
expectValid('control: hand-built HS256 token without kid verifies', verify(F.oct, hs({ alg: 'HS256' })), { payload: PAYLOAD });
expectValid('control: hand-built ES256 token verifies', verify(F.main, es({ alg: 'ES256', kid: 'ec1' })), { payload: PAYLOAD });
expectValid('control: hand-built ES384 token verifies', verify(F.main, token({ alg: 'ES384', kid: 'ec384' }, PAYLOAD, 'ES384', ec384.privateKey)));
expectValid('control: hand-built ES512 token verifies', verify(F.main, token({ alg: 'ES512', kid: 'ec521' }, PAYLOAD, 'ES512', ec521.privateKey)));
expectValid('control: hand-built RS256 token verifies', verify(F.main, token({ alg: 'RS256', kid: 'rsa1' }, PAYLOAD, 'RS256', rsa.privateKey)));
expectValid('control: hand-built PS256 token verifies', verify(F.main, token({ alg: 'PS256', kid: 'rsa1' }, PAYLOAD, 'PS256', rsa.privateKey)));
expectValid('control: hand-built EdDSA token verifies', verify(F.main, token({ alg: 'EdDSA', kid: 'ed1' }, PAYLOAD, 'EdDSA', ed.privateKey)));

// --- 1. alg "none" ------------------------------------------------------------------------
// RFC 7518 §3.6, RFC 8725 §2.1 / §3.1; CVE-2015-9235 (jsonwebtoken), CVE-2018-1000531 (inversoft).
// The alg rows use a non-empty junk signature so only the alg can decide. With an empty
// signature segment the binary still answers ERR_JOSE_ALG_NOT_ALLOWED: it reads the header's
// alg before it looks at the signature segment (shared/src/jws.c), and the README row for
// "none" is unconditional; the empty-signature rule itself is checked separately below.
for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
	for (const [what, sig] of [['empty signature', Buffer.alloc(0)], ['non-empty junk signature', Buffer.from('signature')]]) {
		for (const [file, name] of [[F.main, 'main set'], [F.oct, 'oct-only set']]) {
			expectError(`alg_none: alg "${alg}" with ${what} (${name}) → ERR_JOSE_ALG_NOT_ALLOWED`,
				verify(file, token({ alg, typ: 'JWT' }, PAYLOAD, null, null, { sig })), 'ERR_JOSE_ALG_NOT_ALLOWED');
		}
	}
	expectError(`alg_none: alg "${alg}" with kid key1, junk signature and --alg HS256 → ERR_JOSE_ALG_NOT_ALLOWED`,
		verify(F.main, token({ alg, kid: 'key1' }, PAYLOAD, null, null, { sig: Buffer.from('junk') }), ['--alg', 'HS256']), 'ERR_JOSE_ALG_NOT_ALLOWED');
}
// Empty signature segment on an otherwise acceptable header (RFC 7515 §7.1: a JWS has a
// signature; an unsecured "h.p." is the alg-none shape). jose 5 says
// ERR_JWS_SIGNATURE_VERIFICATION_FAILED here; the binary refuses the shape: ERR_JWS_INVALID.
expectError('empty_signature: HS256 header (kid key1), empty signature segment "h.p." → ERR_JWS_INVALID',
	verify(F.main, token({ alg: 'HS256', kid: 'key1' }, PAYLOAD, null, null, { sig: Buffer.alloc(0) })), 'ERR_JWS_INVALID');
expectError('empty_signature: ES256 header (kid ec1), empty signature segment → ERR_JWS_INVALID',
	verify(F.main, token({ alg: 'ES256', kid: 'ec1' }, PAYLOAD, null, null, { sig: Buffer.alloc(0) })), 'ERR_JWS_INVALID');
expectError('empty_signature: literal "x.y." → ERR_JWS_INVALID', verify(F.main, 'x.y.'), 'ERR_JWS_INVALID');
// "none" header but a genuine HMAC of the input: the alg decides, not the signature.
expectError('alg_none: alg "none" carrying a valid HMAC of key1 → ERR_JOSE_ALG_NOT_ALLOWED',
	verify(F.oct, token({ alg: 'none', kid: 'key1' }, PAYLOAD, 'HS256', secret)), 'ERR_JOSE_ALG_NOT_ALLOWED');
// Near-miss spellings of real algorithms are not the algorithms (names are case-sensitive).
for (const alg of ['hs256', 'HS256 ', ' HS256', 'HS-256', 'ES256K', 'ed25519', 'RSA-OAEP', 'HS1024']) {
	expectError(`alg_spelling: alg ${JSON.stringify(alg)} (validly HMAC-signed) → ERR_JOSE_ALG_NOT_ALLOWED`,
		verify(F.oct, token({ alg, kid: 'key1' }, PAYLOAD, 'HS256', secret)), 'ERR_JOSE_ALG_NOT_ALLOWED');
}
// Allowlist downgrade: RFC 8725 §3.1: an RS256 token when only ES256 is allowed.
expectError('alg_allowlist: RS256 token with --alg ES256 → ERR_JOSE_ALG_NOT_ALLOWED',
	verify(F.main, token({ alg: 'RS256', kid: 'rsa1' }, PAYLOAD, 'RS256', rsa.privateKey), ['--alg', 'ES256']), 'ERR_JOSE_ALG_NOT_ALLOWED');

// --- 2. public key as HMAC secret ("key confusion") ----------------------------------------
// CVE-2015-9235 (jsonwebtoken), CVE-2016-10555 (jwt-simple), CVE-2016-5431 (php-jose),
// RFC 8725 §2.1 / §3.1: a verifier must never use a public key as an HMAC secret.
{
	const rsaPem = rsa.publicKey.export({ type: 'spki', format: 'pem' });
	const rsaSecrets = {
		'SPKI PEM text': Buffer.from(rsaPem),
		'SPKI PEM text without final newline': Buffer.from(rsaPem.trimEnd()),
		'PKCS#1 PEM text': Buffer.from(rsa.publicKey.export({ type: 'pkcs1', format: 'pem' })),
		'JWK JSON text': Buffer.from(JSON.stringify(pubJwk(rsa))),
		'JWK JSON text with kid': Buffer.from(JSON.stringify(RSA_JWK)),
		'SPKI DER bytes': rsa.publicKey.export({ type: 'spki', format: 'der' }),
		'modulus bytes': Buffer.from(RSA_JWK.n, 'base64url'),
	};
	const ecPub = pubJwk(ec);
	const ecSecrets = {
		'SPKI PEM text': Buffer.from(ec.publicKey.export({ type: 'spki', format: 'pem' })),
		'JWK JSON text': Buffer.from(JSON.stringify(ecPub)),
		'SPKI DER bytes': ec.publicKey.export({ type: 'spki', format: 'der' }),
		'uncompressed point 04||x||y': Buffer.concat([Buffer.from([4]), Buffer.from(ecPub.x, 'base64url'), Buffer.from(ecPub.y, 'base64url')]),
	};
	for (const [family, file, kid, secrets] of [['RSA', F.rsaOnly, 'rsa1', rsaSecrets], ['EC', F.ecOnly, 'ec1', ecSecrets]]) {
		for (const [what, s] of Object.entries(secrets)) {
			for (const alg of ['HS256', 'HS384', 'HS512']) {
				for (const withKid of [true, false]) {
					if (alg !== 'HS256' && !withKid) continue; // keep the matrix small
					const h = withKid ? { alg, kid } : { alg };
					expectError(`key_confusion: ${alg} signed with the ${family} public key's ${what}${withKid ? `, kid ${kid}` : ', no kid'} → ERR_JWKS_NO_MATCHING_KEY`,
						verify(file, token(h, PAYLOAD, alg, s)), 'ERR_JWKS_NO_MATCHING_KEY');
				}
			}
		}
		expectError(`key_confusion: HS256 with the ${family} PEM and --alg HS256 only → ERR_JWKS_NO_MATCHING_KEY`,
			verify(file, token({ alg: 'HS256', kid }, PAYLOAD, 'HS256', Object.values(secrets)[0]), ['--alg', 'HS256']), 'ERR_JWKS_NO_MATCHING_KEY');
	}
	// A public key labelled "alg":"HS256" in the set is still a public key (kty decides).
	const labelled = writeJwks(dir, { keys: [{ ...RSA_JWK, alg: 'HS256' }] }, 'rsa-labelled-hs');
	expectError('key_confusion: RSA JWK labelled alg HS256, HS256 token signed with its PEM → must not verify',
		verify(labelled, token({ alg: 'HS256', kid: 'rsa1' }, PAYLOAD, 'HS256', rsaSecrets['SPKI PEM text'])), ['ERR_JWKS_NO_MATCHING_KEY', 'ERR_JWK_INVALID']);
	// Other cross-type uses of a key.
	expectError('kty_mismatch: ES256 token against an RSA-only set → ERR_JWKS_NO_MATCHING_KEY',
		verify(F.rsaOnly, es({ alg: 'ES256' })), 'ERR_JWKS_NO_MATCHING_KEY');
	expectError('kty_mismatch: RS256 token against an EC-only set → ERR_JWKS_NO_MATCHING_KEY',
		verify(F.ecOnly, token({ alg: 'RS256' }, PAYLOAD, 'RS256', rsa.privateKey)), 'ERR_JWKS_NO_MATCHING_KEY');
	expectError('kty_mismatch: RS256 token against an oct-only set → ERR_JWKS_NO_MATCHING_KEY',
		verify(F.oct, token({ alg: 'RS256' }, PAYLOAD, 'RS256', rsa.privateKey)), 'ERR_JWKS_NO_MATCHING_KEY');
	expectError('curve_mismatch: ES384 token with kid ec1 (a P-256 key) → ERR_JWKS_NO_MATCHING_KEY',
		verify(F.main, token({ alg: 'ES384', kid: 'ec1' }, PAYLOAD, 'ES384', ec384.privateKey)), 'ERR_JWKS_NO_MATCHING_KEY');
	expectError('kty_mismatch: ES256 header but kid ed1 (an Ed25519 key) → ERR_JWKS_NO_MATCHING_KEY',
		verify(F.main, token({ alg: 'ES256', kid: 'ed1' }, PAYLOAD, 'EdDSA', ed.privateKey)), 'ERR_JWKS_NO_MATCHING_KEY');
	expectError('kty_mismatch: EdDSA header with kid ec1 → ERR_JWKS_NO_MATCHING_KEY',
		verify(F.main, token({ alg: 'EdDSA', kid: 'ec1' }, PAYLOAD, 'ES256', ec.privateKey)), 'ERR_JWKS_NO_MATCHING_KEY');
}

// --- 3. ECDSA signature encoding and range ------------------------------------------------
// CVE-2022-21449 ("psychic signatures", Java 15-18): r = s = 0 verified everything.
// RFC 7518 §3.4: the signature is the fixed-length big-endian r||s; 1 <= r,s < n (SEC 1 §4.1.4).
{
	const N = {
		256: Buffer.from('ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551', 'hex'),
		384: Buffer.from('ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973', 'hex'),
		521: Buffer.from('01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409', 'hex'),
	};
	const addInt = (buf, k) => {
		const out = Buffer.from(buf);
		let carry = k;
		for (let i = out.length - 1; i >= 0 && carry; i--) {
			const v = out[i] + carry;
			out[i] = v & 0xff;
			carry = v >> 8;
		}
		return out;
	};
	const one = (len) => { const b = Buffer.alloc(len); b[len - 1] = 1; return b; };
	const curves = [
		['ES256', 'ec1', ec, 256, 32],
		['ES384', 'ec384', ec384, 384, 48],
		['ES512', 'ec521', ec521, 521, 66],
	];
	for (const [alg, kid, kp, bits, len] of curves) {
		const h = { alg, kid };
		const good = rawSign(alg, kp.privateKey, `${enc(h)}.${enc(PAYLOAD)}`);
		const r = good.subarray(0, len);
		const s = good.subarray(len);
		const n = N[bits];
		const cases = {
			'r = s = 0 (all-zero signature)': Buffer.alloc(2 * len),
			'r = 0, s valid': Buffer.concat([Buffer.alloc(len), s]),
			'r valid, s = 0': Buffer.concat([r, Buffer.alloc(len)]),
			'r = s = n (curve order)': Buffer.concat([n, n]),
			'r = n, s = 1': Buffer.concat([n, one(len)]),
			'r = 1, s = n': Buffer.concat([one(len), n]),
			'r = n + 1, s valid': Buffer.concat([addInt(n, 1), s]),
			'r = n, s valid': Buffer.concat([n, s]),
			'r valid, s = n': Buffer.concat([r, n]),
			'r valid, s = n + 1': Buffer.concat([r, addInt(n, 1)]),
			'r = s = n + 1': Buffer.concat([addInt(n, 1), addInt(n, 1)]),
			'r = s = 0xff…ff (> n)': Buffer.alloc(2 * len, 0xff),
			'r = s = 1': Buffer.concat([one(len), one(len)]),
			'DER-encoded signature instead of r||s': crypto.sign(HASH[bits === 521 ? 512 : bits], Buffer.from(`${enc(h)}.${enc(PAYLOAD)}`), kp.privateKey),
			'r||s truncated by one byte': good.subarray(0, good.length - 1),
			'r||s with one extra byte': Buffer.concat([good, Buffer.alloc(1)]),
			'r||s with s and r swapped': Buffer.concat([s, r]),
		};
		// Test sanity: (r, n - s) is the other valid signature iff n is this curve's order.
		const sBig = BigInt(`0x${s.toString('hex')}`);
		const nBig = BigInt(`0x${n.toString('hex')}`);
		const negS = Buffer.from((nBig - sBig).toString(16).padStart(2 * len, '0'), 'hex');
		check(`ecdsa_signature: test sanity: ${alg} curve order constant is right (${n.length} bytes)`,
			n.length === len && crypto.verify(HASH[alg.slice(2)], Buffer.from(`${enc(h)}.${enc(PAYLOAD)}`),
				{ key: kp.publicKey, dsaEncoding: 'ieee-p1363' }, Buffer.concat([r, negS])), 'n is wrong');
		for (const [what, sig] of Object.entries(cases)) {
			expectError(`ecdsa_signature: ${alg} ${what} → ERR_JWS_SIGNATURE_VERIFICATION_FAILED`,
				verify(F.main, token(h, PAYLOAD, null, null, { sig })), 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
		}
		expectValid(`ecdsa_signature: control: ${alg} with its genuine r||s verifies`, verify(F.main, token(h, PAYLOAD, null, null, { sig: good })));
		// ECDSA malleability: (r, n - s) is a second valid signature of the same message
		// (SEC 1 §4.1.4 accepts any s in [1, n-1]); RFC 7518 §3.4 does not demand low-S, and
		// the README only bounds r, s to [1, n-1], so the verdict is "valid", as in jose.
		// Token-level replay is the JWT risk here, not forgery: the claims are unchanged.
		const highS = token(h, PAYLOAD, null, null, { sig: Buffer.concat([r, negS]) });
		check(`ecdsa_malleability: ${alg} test sanity: (r, n - s) differs from (r, s)`, !negS.equals(s), 's = n/2?');
		expectValid(`ecdsa_malleability: ${alg} with s replaced by n - s (the other valid signature) verifies`,
			verify(F.main, highS), { payload: PAYLOAD });
		let joseSays;
		try {
			await jose.jwtVerify(highS, kp.publicKey, { currentDate: new Date(NOW * 1000) });
			joseSays = 'valid';
		} catch (e) {
			joseSays = e.code || e.message;
		}
		check(`ecdsa_malleability: jose agrees: ${alg} (r, n - s) is valid`, joseSays === 'valid', `jose says ${joseSays}`);
	}
	// Psychic signature with no kid, against a set whose only P-256 key then gets tried.
	expectError('ecdsa_signature: ES256 r = s = 0, no kid, EC-only set → ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
		verify(F.ecOnly, token({ alg: 'ES256' }, PAYLOAD, null, null, { sig: Buffer.alloc(64) })), 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
}

// --- 4. EdDSA signature malleability and small-order keys ---------------------------------
// RFC 8032 §5.1.7: S must be < L (else signatures are malleable); all-zero signature;
// a small-order public key (the identity point) lets R = identity, S = 0 "verify" any message.
{
	const L = 2n ** 252n + 27742317777372353535851937790883648493n;
	const h = { alg: 'EdDSA', kid: 'ed1' };
	const good = rawSign('EdDSA', ed.privateKey, `${enc(h)}.${enc(PAYLOAD)}`);
	const sLE = good.subarray(32);
	let sVal = 0n;
	for (let i = 31; i >= 0; i--) sVal = (sVal << 8n) | BigInt(sLE[i]);
	let sPlusL = sVal + L;
	const malleated = Buffer.alloc(32);
	for (let i = 0; i < 32; i++) { malleated[i] = Number(sPlusL & 0xffn); sPlusL >>= 8n; }
	expectError('eddsa_malleability: Ed25519 S replaced by S + L (RFC 8032 §5.1.7) → ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
		verify(F.main, token(h, PAYLOAD, null, null, { sig: Buffer.concat([good.subarray(0, 32), malleated]) })), 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
	expectError('eddsa_signature: all-zero 64-byte signature → ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
		verify(F.main, token(h, PAYLOAD, null, null, { sig: Buffer.alloc(64) })), 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
	expectError('eddsa_signature: 63-byte signature → ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
		verify(F.main, token(h, PAYLOAD, null, null, { sig: good.subarray(0, 63) })), 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
	const identity = Buffer.alloc(32); identity[0] = 1;
	const smallOrder = writeJwks(dir, { keys: [{ kty: 'OKP', crv: 'Ed25519', x: b64u(identity), kid: 'weak-ed' }] }, 'ed-small-order');
	expectError('eddsa_small_order_key: identity public key, R = identity, S = 0 (universal forgery) → must not verify',
		verify(smallOrder, token({ alg: 'EdDSA', kid: 'weak-ed' }, PAYLOAD, null, null, { sig: Buffer.concat([identity, Buffer.alloc(32)]) })),
		['ERR_JWK_INVALID', 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED']);
}

// --- 5. other signature forgeries -------------------------------------------------------
{
	const hh = { alg: 'HS256', kid: 'key1' };
	const mac = rawSign('HS256', secret, `${enc(hh)}.${enc(PAYLOAD)}`);
	// Truncated MACs (RFC 7518 §3.2: the full output must be compared).
	expectError('hmac_truncation: HS256 MAC truncated to 16 bytes → ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
		verify(F.main, token(hh, PAYLOAD, null, null, { sig: mac.subarray(0, 16) })), 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
	expectError('hmac_truncation: HS256 MAC truncated to 1 byte → ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
		verify(F.main, token(hh, PAYLOAD, null, null, { sig: mac.subarray(0, 1) })), 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
	expectError('hmac_forgery: HS256 signed with the empty secret → ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
		verify(F.main, token(hh, PAYLOAD, 'HS256', Buffer.alloc(0))), 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
	expectError('hmac_forgery: HS256 MAC with its last bit flipped → ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
		verify(F.main, token(hh, PAYLOAD, null, null, { sig: Buffer.concat([mac.subarray(0, 31), Buffer.from([mac[31] ^ 1])]) })), 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
	// RSA: PKCS#1 v1.5 signature under a PS256 header and the reverse (padding confusion).
	const rsH = { alg: 'PS256', kid: 'rsa1' };
	expectError('rsa_padding_confusion: PS256 header carrying an RS256 (PKCS#1 v1.5) signature → ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
		verify(F.main, token(rsH, PAYLOAD, 'RS256', rsa.privateKey)), 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
	expectError('rsa_padding_confusion: RS256 header carrying a PS256 signature → ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
		verify(F.main, token({ alg: 'RS256', kid: 'rsa1' }, PAYLOAD, 'PS256', rsa.privateKey)), 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
	const rsSig = rawSign('RS256', rsa.privateKey, `${enc({ alg: 'RS256', kid: 'rsa1' })}.${enc(PAYLOAD)}`);
	expectError('rsa_signature: RS256 signature with one byte dropped (255 bytes) → ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
		verify(F.main, token({ alg: 'RS256', kid: 'rsa1' }, PAYLOAD, null, null, { sig: rsSig.subarray(1) })), 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
	expectError('rsa_signature: RS256 signature with a zero byte prepended (257 bytes) → ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
		verify(F.main, token({ alg: 'RS256', kid: 'rsa1' }, PAYLOAD, null, null, { sig: Buffer.concat([Buffer.alloc(1), rsSig]) })), 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
	expectError('rsa_signature: RS256 all-zero 256-byte signature → ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
		verify(F.main, token({ alg: 'RS256', kid: 'rsa1' }, PAYLOAD, null, null, { sig: Buffer.alloc(256) })), 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
	expectError('rsa_signature: RS256 signature = modulus n → ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
		verify(F.main, token({ alg: 'RS256', kid: 'rsa1' }, PAYLOAD, null, null, { sig: Buffer.from(RSA_JWK.n, 'base64url') })), 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
	// RSA s >= n (RFC 8017 §5.2.2 step 1: "signature representative out of range"). s + n
	// cannot be expressed in the same 256 bytes for a full-size modulus, so that variant is
	// skipped; all 0xff of the modulus length is the largest s >= n that fits.
	expectError('rsa_signature: RS256 signature of 256 bytes all 0xff (s > n) → ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
		verify(F.main, token({ alg: 'RS256', kid: 'rsa1' }, PAYLOAD, null, null, { sig: Buffer.alloc(256, 0xff) })), 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
	expectError('rsa_signature: PS256 signature of 256 bytes all 0xff (s > n) → ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
		verify(F.main, token({ alg: 'PS256', kid: 'rsa1' }, PAYLOAD, null, null, { sig: Buffer.alloc(256, 0xff) })), 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
	expectError('rsa_signature: RS256 signature = 1 (left-padded) → ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
		verify(F.main, token({ alg: 'RS256', kid: 'rsa1' }, PAYLOAD, null, null, { sig: Buffer.concat([Buffer.alloc(255), Buffer.from([1])]) })), 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
	// Signature transplanted onto a different payload.
	const other = { ...PAYLOAD, sub: 'admin' };
	expectError('signature_transplant: a genuine HS256 MAC over another payload → ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
		verify(F.main, token(hh, other, null, null, { sig: mac })), 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
}

// --- 6. crit and b64 ----------------------------------------------------------------------
// RFC 7515 §4.1.11 (crit), RFC 7797 (b64:false unencoded payload), RFC 8725 §3.
{
	const NS = 'ERR_JOSE_NOT_SUPPORTED';
	const JI = 'ERR_JWS_INVALID';
	const cases = [
		['crit ["exp"] with "exp" in the header (unknown extension)', { alg: 'HS256', kid: 'key1', crit: ['exp'], exp: NOW + 600 }, NS],
		['crit ["urn:x"] with "urn:x" present', { alg: 'HS256', kid: 'key1', crit: ['urn:x'], 'urn:x': 1 }, NS],
		// RFC 7515 §4.1.11: listed names MUST be present → malformed header. (jose 5 says
		// ERR_JOSE_NOT_SUPPORTED here and for crit ["alg"]: it checks "recognized" first.)
		['crit ["urn:x"] without the member', { alg: 'HS256', kid: 'key1', crit: ['urn:x'] }, JI],
		['crit ["urn:x", "urn:y"] with only urn:x present', { alg: 'HS256', kid: 'key1', crit: ['urn:x', 'urn:y'], 'urn:x': 1 }, JI],
		['crit ["b64"] with b64 true (an extension we do not implement)', { alg: 'HS256', kid: 'key1', crit: ['b64'], b64: true }, NS],
		['crit "exp" (a string, not an array)', { alg: 'HS256', kid: 'key1', crit: 'exp', exp: NOW + 600 }, JI],
		['crit {} (an object)', { alg: 'HS256', kid: 'key1', crit: {} }, JI],
		['crit null', { alg: 'HS256', kid: 'key1', crit: null }, JI],
		['crit [] (empty array)', { alg: 'HS256', kid: 'key1', crit: [] }, JI],
		// RFC 7515 §4.1.11: crit MUST NOT name a header parameter defined by RFC 7515/7516.
		['crit ["alg"] (a registered name)', { alg: 'HS256', kid: 'key1', crit: ['alg'] }, JI],
		['crit ["x5t#S256"] (a registered name)', { alg: 'HS256', kid: 'key1', crit: ['x5t#S256'], 'x5t#S256': 'x' }, JI],
		['crit ["kid"] (a registered name)', { alg: 'HS256', kid: 'key1', crit: ['kid'] }, JI],
		['crit [1] (non-string entry)', { alg: 'HS256', kid: 'key1', crit: [1] }, JI],
		['crit [""] (empty name)', { alg: 'HS256', kid: 'key1', crit: [''] }, JI],
	];
	for (const [what, h, want] of cases) {
		expectError(`crit: ${what} (validly signed) → ${[].concat(want).join(' or ')}`, verify(F.main, hs(h)), want);
	}
	// RFC 7797: signing input is header "." raw payload.
	const raw = `{"sub":"alice","exp":${NOW + 600}}`; // no "." so it fits the compact form
	const b64f = { alg: 'HS256', kid: 'key1', b64: false, crit: ['b64'] };
	const in7797 = `${enc(b64f)}.${raw}`;
	const mac7797 = b64u(crypto.createHmac('sha256', secret).update(in7797).digest());
	expectError('b64_false: RFC 7797 unencoded payload, crit ["b64"] → ERR_JOSE_NOT_SUPPORTED',
		verify(F.main, `${in7797}.${mac7797}`), NS);
	expectError('b64_false: b64:false, crit ["b64"], payload base64url-encoded and signed normally → ERR_JOSE_NOT_SUPPORTED',
		verify(F.main, hs(b64f)), NS);
	expectError('b64_false: detached payload (empty middle segment), crit ["b64"] → ERR_JOSE_NOT_SUPPORTED',
		verify(F.main, `${enc(b64f)}..${mac7797}`), NS);
	expectError('b64_false: b64:false without crit, signed normally → ERR_JOSE_NOT_SUPPORTED',
		verify(F.main, hs({ alg: 'HS256', kid: 'key1', b64: false })), NS);
	// b64 must be a boolean (RFC 7797 §3); jose 5 ignores a string b64 and accepts the token.
	expectError('b64_type: b64:"false" (a string), crit ["b64"], signed normally → ERR_JWS_INVALID',
		verify(F.main, hs({ alg: 'HS256', kid: 'key1', b64: 'false', crit: ['b64'] })), JI);
	expectError('b64_type: b64:"false" (a string) without crit, signed normally → ERR_JWS_INVALID',
		verify(F.main, hs({ alg: 'HS256', kid: 'key1', b64: 'false' })), JI);
	expectError('b64_type: b64:0 (a number), signed normally → ERR_JWS_INVALID',
		verify(F.main, hs({ alg: 'HS256', kid: 'key1', b64: 0 })), JI);
}

// --- 7. keys named by the token: jwk / jku / x5u / x5c ------------------------------------
// CVE-2018-0114 (node-jose, embedded jwk trusted), RFC 8725 §3.10, the verification rules: "jku, x5u,
// jwk, x5c in a token never choose a key".
// Expected: the header's key is ignored, so selection runs over the set alone. With no kid
// or with our kid, our P-256 key is the one ES256 candidate → it is selected and the
// attacker's signature fails on it: ERR_JWS_SIGNATURE_VERIFICATION_FAILED. With a kid
// only the attacker's jwk carries, no key in the set matches: ERR_JWKS_NO_MATCHING_KEY.
{
	const evilJwk = pubJwk(attacker);
	const evil = (h) => token(h, PAYLOAD, 'ES256', attacker.privateKey);
	const SF = 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED';
	const NK = 'ERR_JWKS_NO_MATCHING_KEY';
	const cases = [
		['embedded jwk, no kid', { alg: 'ES256', jwk: evilJwk }, SF],
		['embedded jwk, kid ec1 (ours)', { alg: 'ES256', kid: 'ec1', jwk: evilJwk }, SF],
		['embedded jwk carrying kid ec1, token kid ec1', { alg: 'ES256', kid: 'ec1', jwk: { ...evilJwk, kid: 'ec1' } }, SF],
		['embedded jwk, kid "attacker" (only in the jwk)', { alg: 'ES256', kid: 'attacker', jwk: { ...evilJwk, kid: 'attacker' } }, NK],
		['jku to an attacker URL, no kid', { alg: 'ES256', jku: 'https://evil.example/jwks.json' }, SF],
		['jku to an attacker URL, kid ec1', { alg: 'ES256', kid: 'ec1', jku: 'https://evil.example/jwks.json' }, SF],
		['jku to an attacker URL, kid attacker', { alg: 'ES256', kid: 'attacker', jku: 'https://evil.example/jwks.json' }, NK],
		['jku file:// URL, no kid', { alg: 'ES256', jku: `file://${dir}/evil.json` }, SF],
		['x5u to an attacker URL, no kid', { alg: 'ES256', x5u: 'https://evil.example/cert.pem' }, SF],
		['x5c with a bogus certificate, no kid', { alg: 'ES256', x5c: [b64u(crypto.randomBytes(64)).replace(/-/g, '+').replace(/_/g, '/')] }, SF],
	];
	fs.writeFileSync(path.join(dir, 'evil.json'), JSON.stringify({ keys: [evilJwk] }));
	for (const [what, h, want] of cases) {
		expectError(`embedded_key: ${what}, signed by the attacker → ${want}`, verify(F.ecOnly, evil(h)), want);
	}
	const evilSecret = crypto.randomBytes(32);
	expectError('embedded_key: HS256 with an embedded oct jwk of the attacker\'s secret, EC-only set → ERR_JWKS_NO_MATCHING_KEY',
		verify(F.ecOnly, token({ alg: 'HS256', jwk: { kty: 'oct', k: b64u(evilSecret) } }, PAYLOAD, 'HS256', evilSecret)), NK);
	expectError('embedded_key: HS256 with an embedded oct jwk of the attacker\'s secret, oct set → ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
		verify(F.oct, token({ alg: 'HS256', jwk: { kty: 'oct', k: b64u(evilSecret) } }, PAYLOAD, 'HS256', evilSecret)), SF);
	expectValid('embedded_key: control: our own key signs, header also carries an attacker jwk → verifies with our key',
		verify(F.ecOnly, es({ alg: 'ES256', kid: 'ec1', jwk: evilJwk })));
}

// --- 8. kid injection ---------------------------------------------------------------------
// kid path traversal / SQL injection (RFC 7515 §4.1.4: kid is an opaque hint; RFC 8725 §3.10;
// OWASP JWT cheat sheet),
// NUL truncation, case folding: kid selects by exact byte match only (the verification rules).
{
	const NK = 'ERR_JWKS_NO_MATCHING_KEY';
	const JI = 'ERR_JWS_INVALID';
	expectError('kid_injection: kid "../../dev/null", HS256 signed with the empty secret → ERR_JWKS_NO_MATCHING_KEY',
		verify(F.main, token({ alg: 'HS256', kid: '../../dev/null' }, PAYLOAD, 'HS256', Buffer.alloc(0))), NK);
	expectError('kid_injection: kid "/dev/null", HS256 signed with the empty secret → ERR_JWKS_NO_MATCHING_KEY',
		verify(F.main, token({ alg: 'HS256', kid: '/dev/null' }, PAYLOAD, 'HS256', Buffer.alloc(0))), NK);
	expectError(`kid_injection: kid "${'../'.repeat(8)}${F.oct}" (our own JWKS path) → ERR_JWKS_NO_MATCHING_KEY`,
		verify(F.main, hs({ alg: 'HS256', kid: `${'../'.repeat(8)}${F.oct}` })), NK);
	for (const kid of ["' OR 1=1 --", "key1' --", 'key1" OR "1"="1', 'key1; DROP TABLE keys', '*', 'key*', '.*', '$(id)']) {
		expectError(`kid_injection: kid ${JSON.stringify(kid)} (MAC by key1's secret) → ERR_JWKS_NO_MATCHING_KEY`,
			verify(F.main, hs({ alg: 'HS256', kid })), NK);
	}
	expectError('kid_nul: kid "key1\\u0000x" (escaped NUL, key1 exists) → ERR_JWS_INVALID',
		verify(F.main, hs('{"alg":"HS256","kid":"key1\\u0000x"}')), JI);
	expectError('kid_nul: kid "key1\\u0000" (escaped NUL suffix only) → ERR_JWS_INVALID',
		verify(F.main, hs('{"alg":"HS256","kid":"key1\\u0000"}')), JI);
	expectError('kid_nul: kid with a raw NUL byte inside the JSON string → ERR_JWS_INVALID',
		verify(F.main, hs(Buffer.from('{"alg":"HS256","kid":"key1\u0000x"}', 'latin1'))), JI);
	for (const kid of ['KEY1', 'Key1', 'key1 ', ' key1', 'kеy1' /* Cyrillic е */, 'key1\n', 'key']) {
		expectError(`kid_exact: kid ${JSON.stringify(kid)} (key1 exists; MAC by key1's secret) → ERR_JWKS_NO_MATCHING_KEY`,
			verify(F.main, hs({ alg: 'HS256', kid })), NK);
	}
	expectValid('kid_exact: control: kid "key1" spelled with a JSON escape ("k\\u0065y1") is the same string → verifies',
		verify(F.main, hs('{"alg":"HS256","kid":"k\\u0065y1"}')));
	for (const [what, kid] of [['number', 1], ['null', null], ['array ["key1"]', ['key1']], ['object', { kid: 'key1' }], ['true', true]]) {
		expectError(`kid_type: kid ${what} → ERR_JWS_INVALID`, verify(F.main, hs({ alg: 'HS256', kid })), JI);
	}
	expectError('kid_long: kid of 5000 characters (header > 4 KiB) → ERR_JWS_INVALID',
		verify(F.main, hs({ alg: 'HS256', kid: 'k'.repeat(5000) })), JI);
	expectError('kid_long: kid of 300 characters, no such key → ERR_JWKS_NO_MATCHING_KEY',
		verify(F.main, hs({ alg: 'HS256', kid: 'k'.repeat(300) })), NK);
	expectError('kid_long: kid "key1" followed by 300 "x" (prefix of the token kid exists) → ERR_JWKS_NO_MATCHING_KEY',
		verify(F.main, hs({ alg: 'HS256', kid: `key1${'x'.repeat(300)}` })), NK);
}

// --- 9. strict JSON in the header --------------------------------------------------------
// RFC 7515 §5.2 (duplicate header names: reject), RFC 8259 §4, RFC 8725 §3.6 (parser
// differentials), nesting caps (RFC 8259 §9: a parser may limit depth; stack exhaustion).
{
	const JI = 'ERR_JWS_INVALID';
	const raw = [
		['duplicate members {"alg":"HS256","alg":"none"}', '{"alg":"HS256","alg":"none"}'],
		['duplicate members {"alg":"none","alg":"HS256"}', '{"alg":"none","alg":"HS256"}'],
		['duplicate members {"alg":"HS256","alg":"HS256"}', '{"alg":"HS256","alg":"HS256"}'],
		['duplicate kid members', '{"alg":"HS256","kid":"key1","kid":"evil"}'],
		['duplicate via escape {"alg":…,"\\u0061lg":"none"}', '{"alg":"HS256","\\u0061lg":"none"}'],
		['nesting 100 deep', `{"alg":"HS256","kid":"key1","x":${'['.repeat(100)}${']'.repeat(100)}}`],
		['nesting 100 deep in objects', `{"alg":"HS256","kid":"key1","x":${'{"a":'.repeat(100)}1${'}'.repeat(100)}}`],
		['trailing garbage after the object', '{"alg":"HS256","kid":"key1"}x'],
		['two objects', '{"alg":"HS256","kid":"key1"}{}'],
		['trailing comma', '{"alg":"HS256","kid":"key1",}'],
		['single quotes', "{'alg':'HS256','kid':'key1'}"],
		['unquoted names', '{alg:"HS256",kid:"key1"}'],
		['a comment', '{"alg":"HS256",/*x*/"kid":"key1"}'],
		['NaN value', '{"alg":"HS256","kid":"key1","x":NaN}'],
		['leading zero number', '{"alg":"HS256","kid":"key1","x":01}'],
		['unterminated string', '{"alg":"HS256","kid":"key1'],
		['raw control character in a string', '{"alg":"HS256","kid":"key1","x":"a\tb"}'],
		['bad escape \\x41', '{"alg":"HS256","kid":"key1","x":"\\x41"}'],
		['empty text', ''],
		['array []', '[]'],
		['array [{"alg":"HS256"}]', '[{"alg":"HS256","kid":"key1"}]'],
		['string "x"', '"x"'],
		['number 1', '1'],
		['null', 'null'],
		['true', 'true'],
		['alg missing', '{"kid":"key1"}'],
		['alg a number', '{"alg":256,"kid":"key1"}'],
		['alg null', '{"alg":null,"kid":"key1"}'],
		['alg an array', '{"alg":["HS256"],"kid":"key1"}'],
		['alg an object', '{"alg":{"name":"HS256"},"kid":"key1"}'],
		// Depth cap 16 (the header object itself is level 1): 17 levels reject.
		['nesting 17 levels (object + 16 arrays)', `{"alg":"HS256","kid":"key1","x":${'['.repeat(16)}${']'.repeat(16)}}`],
		// Lone UTF-16 surrogates cannot be represented in UTF-8 (RFC 8259 §8.2: "unpredictable"),
		// so a strict parser refuses them: a differential otherwise (RFC 8725 §3.6).
		['lone high surrogate "\\ud800"', '{"alg":"HS256","kid":"key1","x":"\\ud800"}'],
		['lone low surrogate "\\udc00"', '{"alg":"HS256","kid":"key1","x":"\\udc00"}'],
		['reversed surrogate pair "\\udc00\\ud800"', '{"alg":"HS256","kid":"key1","x":"\\udc00\\ud800"}'],
		['high surrogate followed by a letter "\\ud800x"', '{"alg":"HS256","kid":"key1","x":"\\ud800x"}'],
		['lone surrogate in a member name', '{"alg":"HS256","kid":"key1","\\ud800":1}'],
		['lone surrogate in kid', '{"alg":"HS256","kid":"key1\\ud800"}'],
		// README: "\u0000" anywhere in the header rejects (C strings would truncate there).
		['escaped NUL in a non-kid member', '{"alg":"HS256","kid":"key1","x":"a\\u0000b"}'],
		['escaped NUL in a member name', '{"alg":"HS256","kid":"key1","x\\u0000":1}'],
		['escaped NUL suffix on alg "HS256\\u0000"', '{"alg":"HS256\\u0000","kid":"key1"}'],
	];
	for (const [what, text] of raw) {
		expectError(`header_json: ${what} (validly MAC'd) → ERR_JWS_INVALID`, verify(F.main, hs(text)), JI);
	}
	expectValid('header_json: control: nesting exactly 16 levels (object + 15 arrays) verifies',
		verify(F.main, hs(`{"alg":"HS256","kid":"key1","x":${'['.repeat(15)}${']'.repeat(15)}}`)));
	expectValid('header_json: control: a valid surrogate pair "\\ud83d\\ude00" verifies',
		verify(F.main, hs('{"alg":"HS256","kid":"key1","x":"\\ud83d\\ude00"}')));
	const utf8 = [
		['lone 0xff byte', Buffer.from([0xff])],
		['overlong "/" (0xc0 0xaf)', Buffer.from([0xc0, 0xaf])],
		['UTF-16 surrogate as UTF-8 (0xed 0xa0 0x80)', Buffer.from([0xed, 0xa0, 0x80])],
		['truncated 3-byte sequence (0xe2 0x82)', Buffer.from([0xe2, 0x82])],
		['code point above U+10FFFF (0xf4 0x90 0x80 0x80)', Buffer.from([0xf4, 0x90, 0x80, 0x80])],
	];
	for (const [what, bytes] of utf8) {
		const text = Buffer.concat([Buffer.from('{"alg":"HS256","kid":"key1","x":"'), bytes, Buffer.from('"}')]);
		expectError(`header_utf8: invalid UTF-8 in a header string: ${what} → ERR_JWS_INVALID`, verify(F.main, hs(text)), JI);
	}
	expectValid('header_json: control: nesting 5 deep in the header is fine', verify(F.main, hs(`{"alg":"HS256","kid":"key1","x":${'['.repeat(5)}${']'.repeat(5)}}`)));
	expectValid('header_json: control: UTF-8 "é✓😀" in a header string is fine', verify(F.main, hs({ alg: 'HS256', kid: 'key1', x: 'é✓😀' })));
	expectValid('header_json: control: whitespace around members is fine', verify(F.main, hs(' { "alg" : "HS256" , "kid" : "key1" } ')));
	// Header size cap: 4096 encoded characters.
	const bigHeader = { alg: 'HS256', kid: 'key1', pad: 'x'.repeat(3200) }; // ~4300 encoded
	expectError(`header_size: header of ${enc(bigHeader).length} encoded chars (> 4096), validly MAC'd → ERR_JWS_INVALID`, verify(F.main, hs(bigHeader)), JI);
	const okHeader = { alg: 'HS256', kid: 'key1', pad: 'x'.repeat(2000) };
	expectValid(`header_size: control: header of ${enc(okHeader).length} encoded chars verifies`, verify(F.main, hs(okHeader)));
}

// --- 10. strict JSON in the payload (validly signed) ----------------------------------------
// RFC 7519 §7.2 step 10 (claims set must be a JSON object), RFC 7519 §4 (duplicate claim
// names: reject), RFC 8725 §3.6.
{
	const JW = 'ERR_JWT_INVALID';
	const H = { alg: 'HS256', kid: 'key1' };
	const raw = [
		['duplicate members {"sub":"a","sub":"b"}', '{"sub":"alice","sub":"admin"}'],
		['duplicate exp members', `{"exp":${NOW - 100},"exp":${NOW + 10000}}`],
		['duplicate via escape {"sub":…,"\\u0073ub":…}', '{"sub":"alice","\\u0073ub":"admin"}'],
		['nesting 100 deep', `{"sub":"alice","x":${'['.repeat(100)}${']'.repeat(100)}}`],
		['nesting 1000 deep', `{"sub":"alice","x":${'['.repeat(1000)}${']'.repeat(1000)}}`],
		['array [1]', '[1]'],
		['string "str"', '"str"'],
		['number 1', '1'],
		['null', 'null'],
		['empty payload', ''],
		['not JSON (hello)', 'hello'],
		['trailing garbage', '{"sub":"alice"}x'],
		['trailing comma', '{"sub":"alice",}'],
		['duplicate members inside a nested object', '{"sub":"alice","x":{"a":1,"a":2}}'],
		['nesting 17 levels (object + 16 arrays)', `{"sub":"alice","x":${'['.repeat(16)}${']'.repeat(16)}}`],
		['nesting 17 levels of objects', `${'{"a":'.repeat(16)}{}${'}'.repeat(16)}`],
		['lone high surrogate "\\ud800" in a claim', '{"sub":"\\ud800"}'],
		['lone low surrogate "\\udc00" in a claim', '{"sub":"a\\udc00b"}'],
	];
	for (const [what, text] of raw) {
		expectError(`payload_json: ${what} (validly signed) → ERR_JWT_INVALID`, verify(F.main, hs(H, text)), JW);
	}
	// 16 levels is the cap, inclusive: object + 15 arrays, and 16 nested objects.
	const deep15 = JSON.parse(`${'['.repeat(15)}${']'.repeat(15)}`);
	expectValid('payload_json: control: nesting exactly 16 levels (object + 15 arrays) verifies',
		verify(F.main, hs(H, { sub: 'alice', x: deep15 })), { payload: { sub: 'alice', x: deep15 } });
	const deepObj = JSON.parse(`${'{"a":'.repeat(15)}{}${'}'.repeat(15)}`);
	expectValid('payload_json: control: 16 nested objects verify', verify(F.main, hs(H, deepObj)), { payload: deepObj });
	expectError('payload_utf8: invalid UTF-8 (0xff) in a claim (validly signed) → ERR_JWT_INVALID',
		verify(F.main, hs(H, Buffer.concat([Buffer.from('{"sub":"'), Buffer.from([0xff]), Buffer.from('"}')]))), JW);
	expectError('payload_utf8: overlong UTF-8 (0xc0 0xaf) in a claim (validly signed) → ERR_JWT_INVALID',
		verify(F.main, hs(H, Buffer.concat([Buffer.from('{"sub":"'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')]))), JW);
	// The payload is only parsed after the signature verifies (RFC 7515 §5.2 order).
	expectError('payload_order: payload [1] with a bad signature → ERR_JWS_SIGNATURE_VERIFICATION_FAILED (not parsed first)',
		verify(F.main, token(H, '[1]', 'HS256', crypto.randomBytes(32))), 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
	expectError('payload_order: duplicate-member payload with a bad signature → ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
		verify(F.main, token(H, '{"sub":"a","sub":"b"}', 'HS256', crypto.randomBytes(32))), 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
	expectError('payload_order: expired payload with a bad signature → ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
		verify(F.main, token(H, { exp: 1 }, 'HS256', crypto.randomBytes(32))), 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
	expectValid('payload_json: control: nesting 5 deep in the payload is fine',
		verify(F.main, hs(H, `{"sub":"alice","x":${'['.repeat(5)}${']'.repeat(5)}}`)), { payload: { sub: 'alice', x: [[[[[]]]]] } });
}

// --- 11. NumericDate types and ranges ------------------------------------------------------
// RFC 7519 §2 (NumericDate is a number), the verification rules: "NumericDates are 64-bit and range-checked".
{
	const H = { alg: 'HS256', kid: 'key1' };
	const CV = 'ERR_JWT_CLAIM_VALIDATION_FAILED';
	const cases = [
		['exp as the string "9999999999"', '{"sub":"a","exp":"9999999999"}', 'exp'],
		['exp 1e400 (overflows a double)', '{"sub":"a","exp":1e400}', 'exp'],
		['exp -1e400', '{"sub":"a","exp":-1e400}', 'exp'],
		['exp 1e30 (beyond 64 bits)', '{"sub":"a","exp":1e30}', 'exp'],
		['exp 2^63 = 9223372036854775808', '{"sub":"a","exp":9223372036854775808}', 'exp'],
		['exp 1e19', '{"sub":"a","exp":1e19}', 'exp'],
		['exp true', '{"sub":"a","exp":true}', 'exp'],
		['exp null', '{"sub":"a","exp":null}', 'exp'],
		['exp [9999999999]', '{"sub":"a","exp":[9999999999]}', 'exp'],
		['exp {}', '{"sub":"a","exp":{}}', 'exp'],
		['nbf 1e400', '{"sub":"a","nbf":1e400}', 'nbf'],
		['nbf as a string', '{"sub":"a","nbf":"0"}', 'nbf'],
		['iat 1e400', '{"sub":"a","iat":1e400}', 'iat'],
		['iat as a string', '{"sub":"a","iat":"0"}', 'iat'],
		// README: "beyond ±2^53" → out of range (2^53 is the first integer past the cap).
		['exp 2^53 = 9007199254740992', '{"sub":"a","exp":9007199254740992}', 'exp'],
		['exp 2^53 + 1 = 9007199254740993', '{"sub":"a","exp":9007199254740993}', 'exp'],
		['exp 9.007199254740992e15 (2^53 in exponent form)', '{"sub":"a","exp":9.007199254740992e15}', 'exp'],
		['nbf -2^53', '{"sub":"a","nbf":-9007199254740992}', 'nbf'],
		['iat 2^53', '{"sub":"a","iat":9007199254740992}', 'iat'],
	];
	for (const [what, text, claim] of cases) {
		expectError(`numericdate: ${what} (validly signed) → ${CV} claim ${claim}`, verify(F.main, hs(H, text)), CV, claim);
	}
	expectValid('numericdate: control: exp 9999999999 (year 2286) as a number verifies', verify(F.main, hs(H, '{"sub":"a","exp":9999999999}')));
	expectValid('numericdate: control: exp 2^53 - 1 = 9007199254740991 (the largest allowed) verifies',
		verify(F.main, hs(H, '{"sub":"a","exp":9007199254740991}')));
	// Year 2038 (signed 32-bit time_t overflow at 2147483648): NumericDates are 64-bit.
	const y2100 = 4102444800; // 2100-01-01T00:00:00Z
	const t2100 = hs(H, { sub: 'a', iat: 2147483648, nbf: 2147483648, exp: y2100 });
	expectValid('y2038: exp 4102444800 (2100), nbf/iat 2^31, --now 2200000000 verifies', verifyAt(2200000000, F.main, t2100),
		{ payload: { sub: 'a', iat: 2147483648, nbf: 2147483648, exp: y2100 } });
	expectError('y2038: the same token at --now 4102444800 (= exp) → ERR_JWT_EXPIRED claim exp',
		verifyAt(y2100, F.main, t2100), 'ERR_JWT_EXPIRED', 'exp');
	expectError('y2038: nbf 2^31, --now 2147483000 (before nbf) → ERR_JWT_CLAIM_VALIDATION_FAILED claim nbf',
		verifyAt(2147483000, F.main, t2100), CV, 'nbf');
	expectError('y2038: exp 2147483647 (the last 32-bit second), --now 2200000000 → ERR_JWT_EXPIRED claim exp (no wrap-around)',
		verifyAt(2200000000, F.main, hs(H, { sub: 'a', exp: 2147483647 })), 'ERR_JWT_EXPIRED', 'exp');
}

// --- 12. compact serialization: segments and strict base64url -------------------------------
// RFC 7515 §7.1 (three parts), §2 + RFC 4648 §5 (base64url, no padding, no whitespace),
// RFC 4648 §3.5 (canonical encoding: unused bits zero). Parser differentials: RFC 8725 §3.
{
	const JI = 'ERR_JWS_INVALID';
	const H = { alg: 'HS256', kid: 'key1' };
	// A base token whose segments contain '-' and '_' and whose signature and payload
	// end in a character with unused bits.
	let good;
	for (let n = 0; ; n++) {
		if (n > 100000) throw new Error('no base token with "-"/"_" found');
		// "~~~": in ASCII JSON only '>', '?', '~' (at byte offset 2 mod 3) encode to '-'/'_'.
		const p = { ...PAYLOAD, jti: `~~~${n}` };
		good = hs(H, p);
		const [, ps, ss] = good.split('.');
		if (/[-_]/.test(ss) && /[-_]/.test(ps) && ps.length % 4 !== 0) break;
	}
	const [h, p, s] = good.split('.');
	expectValid('encoding: control: the base token verifies', verify(F.main, good));
	const ALPHA = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
	// Flip the lowest unused bit of the last character (same decoded bytes, non-canonical).
	const nonCanonical = (seg) => {
		const unused = seg.length % 4 === 2 ? 4 : 2;
		const i = ALPHA.indexOf(seg.at(-1));
		void unused; // 4 or 2 unused low bits; bit 0 is unused either way
		return seg.slice(0, -1) + ALPHA[i | 1];
	};
	const cases = [
		['2 segments (h.p)', `${h}.${p}`],
		['1 segment', h],
		['4 segments (extra ".x")', `${good}.x`],
		['4 segments (trailing ".")', `${good}.`],
		['5 segments (JWE-shaped)', `${h}.${p}.${s}.${s}.${s}`],
		['only dots ".."', '..'],
		['empty header segment', `.${p}.${s}`],
		['"=" padding on the signature', `${good}=`],
		['"==" padding on the header', `${h}==.${p}.${s}`],
		['"=" inside the payload', `${h}.${p.slice(0, 4)}=${p.slice(4)}.${s}`],
		['leading space', ` ${good}`],
		['trailing space', `${good} `],
		['space inside the payload', `${h}.${p.slice(0, 5)} ${p.slice(5)}.${s}`],
		['tab inside the signature', `${h}.${p}.${s.slice(0, 5)}\t${s.slice(5)}`],
		['newline inside the header', `${h.slice(0, 5)}\n${h.slice(5)}.${p}.${s}`],
		['"+" and "/" instead of "-" and "_" in the signature', `${h}.${p}.${s.replace(/-/g, '+').replace(/_/g, '/')}`],
		['"+" and "/" instead of "-" and "_" in the payload', `${h}.${p.replace(/-/g, '+').replace(/_/g, '/')}.${s}`],
		['non-canonical trailing bits in the signature', `${h}.${p}.${nonCanonical(s)}`],
		['non-canonical trailing bits in the payload', `${h}.${nonCanonical(p)}.${s}`],
		['invalid character "!" in the signature', `${h}.${p}.${s.slice(0, -1)}!`],
		['invalid character "*" in the header', `*${h}.${p}.${s}`],
		['non-ASCII "é" in the payload', `${h}.${p}é.${s}`],
		['signature length ≡ 1 (mod 4)', `${h}.${p}.${s}AA`],
		['header length ≡ 1 (mod 4)', `${h}${'A'.repeat((5 - (h.length % 4)) % 4 || 4)}.${p}.${s}`],
	];
	for (const [what, t] of cases) {
		if (t === good) { check(`encoding: ${what}: case builds a changed token`, false, 'token unchanged'); continue; }
		expectError(`encoding: ${what} → ERR_JWS_INVALID`, verify(F.main, t), JI);
	}
	check('encoding: non-canonical payload/signature decode to the same bytes (the test is meaningful)',
		Buffer.from(nonCanonical(s), 'base64url').equals(Buffer.from(s, 'base64url'))
		&& Buffer.from(nonCanonical(p), 'base64url').equals(Buffer.from(p, 'base64url'))
		&& nonCanonical(s) !== s && nonCanonical(p) !== p, `s=${s} nc=${nonCanonical(s)}`);
	// Empty payload segment with a genuine MAC over "h.": payload is empty → not a claims set.
	expectError('encoding: empty payload segment, validly MAC\'d → ERR_JWT_INVALID', verify(F.main, hs(H, '')), 'ERR_JWT_INVALID');
	// stdin: a CRLF-terminated token is the same token.
	expectValid('stdin: token followed by "\\r\\n" verifies', verifyStdin(F.main, `${good}\r\n`));
	expectError('stdin: two tokens on two lines → ERR_JWS_INVALID', verifyStdin(F.main, `${good}\n${good}\n`), JI);
}

// --- 13. sizes ------------------------------------------------------------------------------
// Resource exhaustion (RFC 7515 sets no limit; README: token > 64 KiB → ERR_JWS_INVALID).
{
	const JI = 'ERR_JWS_INVALID';
	const H = { alg: 'HS256', kid: 'key1' };
	// Find a pad length giving a token of exactly `len` bytes.
	const exact = (len) => {
		for (let extra = 0; extra < 4; extra++) {
			const hdr = { ...H, ...(extra ? { x: 'y'.repeat(extra) } : {}) };
			for (let padLen = Math.floor((len * 3) / 4) - 400; padLen < Math.floor((len * 3) / 4); padLen++) {
				const t = hs(hdr, { sub: 'big', pad: 'z'.repeat(padLen) });
				if (t.length === len) return t;
				if (t.length > len) break;
			}
		}
		throw new Error(`no token of ${len} bytes`);
	};
	const t65536 = exact(65536);
	const t65537 = exact(65537);
	expectValid('size: validly signed token of exactly 65536 bytes (stdin) verifies', verifyStdin(F.main, `${t65536}\n`));
	expectError('size: validly signed token of 65537 bytes (stdin) → ERR_JWS_INVALID', verifyStdin(F.main, `${t65537}\n`), JI);
	const t60k = exact(60 * 1024);
	expectValid('size: validly signed token of exactly 60 KiB (61440 bytes, stdin) verifies',
		verifyStdin(F.main, `${t60k}\n`), { payload: JSON.parse(Buffer.from(t60k.split('.')[1], 'base64url')) });
	const t70kExact = exact(70 * 1024);
	expectError('size: validly signed token of exactly 70 KiB (71680 bytes, stdin) → ERR_JWS_INVALID, no crash',
		verifyStdin(F.main, `${t70kExact}\n`), JI);
	const t70k = hs(H, { sub: 'big', pad: 'z'.repeat(70000) });
	expectError(`size: validly signed token of ${t70k.length} bytes (> 64 KiB, stdin) → ERR_JWS_INVALID`, verifyStdin(F.main, `${t70k}\n`), JI);
	expectError(`size: the same ${t70k.length}-byte token as an argument → ERR_JWS_INVALID`, verify(F.main, t70k), JI);
	expectError('size: 4 MiB of "a" on stdin → ERR_JWS_INVALID, no crash', verifyStdin(F.main, 'a'.repeat(4 << 20)), JI);
	expectError('size: 2 MiB of dots on stdin → ERR_JWS_INVALID, no crash', verifyStdin(F.main, '.'.repeat(2 << 20)), JI);
	expectError('size: 1 MiB of random bytes on stdin → ERR_JWS_INVALID, no crash', verifyStdin(F.main, crypto.randomBytes(1 << 20)), JI);
}

// --- 14. key set problems -------------------------------------------------------------------
// RFC 7517 §4.2/4.3 (use, key_ops), §4.4 (alg), §5 (sets); RFC 7518 §3.3 (RSA >= 2048),
// §3.2 (HMAC key >= hash size); invalid-curve attacks (CVE-2017-16007 node-jose / Jose4j);
// private material in a verification set (README row ERR_JWK_INVALID).
{
	const NK = 'ERR_JWKS_NO_MATCHING_KEY';
	const KI = 'ERR_JWK_INVALID';
	const SI = 'ERR_JWKS_INVALID';
	const tokHs = hs({ alg: 'HS256', kid: 'key1' });
	const badSets = [
		['not JSON', 'this is not json'],
		['{"keys":1}', '{"keys":1}'],
		['{"keys":{}}', '{"keys":{}}'],
		['{"keys":"x"}', '{"keys":"x"}'],
		['a JSON array', '[]'],
		['an empty object {} (neither a JWK Set nor a JWK)', '{}'],
		['{"keys":null}', '{"keys":null}'],
		['a JSON string', '"keys"'],
		['an empty file', ''],
		['truncated JSON', `{"keys":[${JSON.stringify(OCT_JWK)}`],
		['duplicate "keys" members', `{"keys":[],"keys":[${JSON.stringify(OCT_JWK)}]}`],
		['nesting 1000 deep', `{"keys":[${JSON.stringify(OCT_JWK)}],"x":${'['.repeat(1000)}${']'.repeat(1000)}}`],
		['larger than 256 KiB', JSON.stringify({ keys: [OCT_JWK], pad: 'p'.repeat(300 * 1024) })],
		['invalid UTF-8', Buffer.concat([Buffer.from(`{"keys":[${JSON.stringify(OCT_JWK)}],"x":"`), Buffer.from([0xff]), Buffer.from('"}')])],
	];
	for (const [what, content] of badSets) {
		expectError(`jwks_invalid: JWKS file ${what} → ERR_JWKS_INVALID (exit 1)`, verify(writeJwks(dir, content, 'bad'), tokHs), SI);
	}
	// Set size cap: 64 keys (shared/include/jose_jwk.h); the token's key is the last one.
	const manyKeys = (count) => ({ keys: [...Array.from({ length: count - 1 }, (_, i) => ({ ...OCT_JWK, kid: `k${i}` })), OCT_JWK] });
	expectValid('jwks_size: control: 64 keys (the cap), token for the 64th verifies', verify(writeJwks(dir, manyKeys(64), 'k64'), tokHs));
	expectError('jwks_size: 65 keys → ERR_JWKS_INVALID', verify(writeJwks(dir, manyKeys(65), 'k65'), tokHs), SI);
	expectError('jwks_invalid: 100 keys (more than a set may hold) → ERR_JWKS_INVALID',
		verify(writeJwks(dir, { keys: Array.from({ length: 100 }, (_, i) => ({ ...OCT_JWK, kid: `k${i}` })) }, 'many'), tokHs), SI);
	expectError('jwks_member: {"keys":[1]} → must not verify (exit 1)',
		verify(writeJwks(dir, '{"keys":[1]}', 'member'), tokHs), [SI, NK, KI]);

	// Weak RSA (RFC 7518 §3.3: 2048 bits minimum).
	const rsa1024 = gen('rsa', { modulusLength: 1024 });
	const weakJwk = { ...pubJwk(rsa1024), kid: 'weak' };
	const weakTok = (h) => token(h, PAYLOAD, 'RS256', rsa1024.privateKey);
	expectError('weak_key: RSA-1024 key (kid weak), RS256 token signed by it → ERR_JWK_INVALID',
		verify(writeJwks(dir, { keys: [weakJwk] }, 'rsa1024'), weakTok({ alg: 'RS256', kid: 'weak' })), KI);
	expectError('weak_key: RSA-1024 key as the only key, token without kid → ERR_JWK_INVALID',
		verify(writeJwks(dir, { keys: [weakJwk] }, 'rsa1024'), weakTok({ alg: 'RS256' })), KI);
	const mixed = writeJwks(dir, { keys: [weakJwk, EC_JWK] }, 'weak-plus-ec');
	expectValid('weak_key: control: a dead RSA-1024 entry does not break the EC key next to it',
		verify(mixed, es({ alg: 'ES256', kid: 'ec1' })));
	const rsaTok = token({ alg: 'RS256', kid: 'rsa1' }, PAYLOAD, 'RS256', rsa.privateKey);
	expectError('weak_key: RSA key with e = 1 → ERR_JWK_INVALID',
		verify(writeJwks(dir, { keys: [{ ...RSA_JWK, e: 'AQ' }] }, 'e1'), rsaTok), KI);
	expectError('weak_key: RSA key with even e = 2 → ERR_JWK_INVALID',
		verify(writeJwks(dir, { keys: [{ ...RSA_JWK, e: 'Ag' }] }, 'e2'), rsaTok), KI);
	// HMAC secrets shorter than the hash output (RFC 7518 §3.2).
	const short = crypto.randomBytes(16);
	expectError('weak_key: 16-byte oct key, HS256 token signed with it → ERR_JWK_INVALID',
		verify(writeJwks(dir, { keys: [{ kty: 'oct', k: b64u(short), kid: 'short' }] }, 'short'), token({ alg: 'HS256', kid: 'short' }, PAYLOAD, 'HS256', short)), KI);
	expectError('weak_key: empty oct key, HS256 token signed with the empty secret → ERR_JWK_INVALID',
		verify(writeJwks(dir, { keys: [{ kty: 'oct', k: '', kid: 'empty' }] }, 'empty'), token({ alg: 'HS256', kid: 'empty' }, PAYLOAD, 'HS256', Buffer.alloc(0))), KI);
	expectError('weak_key: 32-byte oct key, HS512 token signed with it → must not verify',
		verify(F.oct, token({ alg: 'HS512', kid: 'key1' }, PAYLOAD, 'HS512', secret)), [KI, NK]);

	// use / key_ops / alg of the key restrict it.
	const esTok = es({ alg: 'ES256', kid: 'ec1' });
	const withProps = (props, name) => writeJwks(dir, { keys: [{ ...EC_JWK, ...props }] }, name);
	expectError('key_use: key with use "enc" → ERR_JWKS_NO_MATCHING_KEY', verify(withProps({ use: 'enc' }, 'use-enc'), esTok), NK);
	expectValid('key_use: control: key with use "sig" verifies', verify(withProps({ use: 'sig' }, 'use-sig'), esTok));
	expectError('key_ops: key with key_ops ["sign"] only → ERR_JWKS_NO_MATCHING_KEY', verify(withProps({ key_ops: ['sign'] }, 'ops-sign'), esTok), NK);
	expectError('key_ops: key with key_ops ["encrypt"] → ERR_JWKS_NO_MATCHING_KEY', verify(withProps({ key_ops: ['encrypt'] }, 'ops-enc'), esTok), NK);
	expectValid('key_ops: control: key with key_ops ["verify"] verifies', verify(withProps({ key_ops: ['verify'] }, 'ops-verify'), esTok));
	expectError('key_alg: EC key with alg ES384, ES256 token → ERR_JWKS_NO_MATCHING_KEY', verify(withProps({ alg: 'ES384' }, 'alg384'), esTok), NK);
	const psTok = token({ alg: 'PS256', kid: 'rsa1' }, PAYLOAD, 'PS256', rsa.privateKey);
	expectError('key_alg: RSA key with alg RS256, PS256 token → ERR_JWKS_NO_MATCHING_KEY',
		verify(writeJwks(dir, { keys: [{ ...RSA_JWK, alg: 'RS256' }] }, 'rsa-rs256'), psTok), NK);
	expectValid('key_alg: control: RSA key with alg PS256, PS256 token verifies',
		verify(writeJwks(dir, { keys: [{ ...RSA_JWK, alg: 'PS256' }] }, 'rsa-ps256'), psTok));
	expectError('key_alg: oct key with alg HS512, HS256 token → ERR_JWKS_NO_MATCHING_KEY',
		verify(writeJwks(dir, { keys: [{ ...OCT_JWK, alg: 'HS512' }] }, 'oct-hs512'), tokHs), NK);

	// Invalid-curve keys (CVE-2017-16007, "Critical vulnerability in JSON Web Encryption" 2017).
	const yBytes = Buffer.from(EC_JWK.y, 'base64url');
	yBytes[31] ^= 1;
	const offCurve = { ...EC_JWK, y: b64u(yBytes) };
	expectError('invalid_curve: P-256 key whose point is not on the curve (kid ec1) → ERR_JWK_INVALID',
		verify(writeJwks(dir, { keys: [offCurve] }, 'off-curve'), esTok), KI);
	expectError('invalid_curve: off-curve key, token without kid → ERR_JWK_INVALID',
		verify(writeJwks(dir, { keys: [offCurve] }, 'off-curve'), es({ alg: 'ES256' })), KI);
	expectError('invalid_curve: P-256 key with the all-zero point → ERR_JWK_INVALID',
		verify(writeJwks(dir, { keys: [{ ...EC_JWK, x: b64u(Buffer.alloc(32)), y: b64u(Buffer.alloc(32)) }] }, 'zero-point'), esTok), KI);
	expectError('invalid_curve: P-256 key with a 31-byte x → ERR_JWK_INVALID',
		verify(writeJwks(dir, { keys: [{ ...EC_JWK, x: b64u(Buffer.from(EC_JWK.x, 'base64url').subarray(1)) }] }, 'short-x'), esTok), KI);
	expectError('invalid_curve: crv P-256 carrying P-384 coordinates → ERR_JWK_INVALID',
		verify(writeJwks(dir, { keys: [{ ...EC384_JWK, crv: 'P-256', kid: 'ec1' }] }, 'crv-lie'), esTok), KI);

	// Private keys in a verification set.
	expectError('private_key: RSA JWK with "d" (kid rsa1) → ERR_JWK_INVALID',
		verify(writeJwks(dir, { keys: [{ ...privJwk(rsa), kid: 'rsa1' }] }, 'rsa-priv'), rsaTok), KI);
	expectError('private_key: EC JWK with "d" (kid ec1) → ERR_JWK_INVALID',
		verify(writeJwks(dir, { keys: [{ ...privJwk(ec), kid: 'ec1' }] }, 'ec-priv'), esTok), KI);
	expectError('private_key: Ed25519 JWK with "d" (kid ed1) → ERR_JWK_INVALID',
		verify(writeJwks(dir, { keys: [{ ...privJwk(ed), kid: 'ed1' }] }, 'ed-priv'), token({ alg: 'EdDSA', kid: 'ed1' }, PAYLOAD, 'EdDSA', ed.privateKey)), KI);
	expectValid('private_key: control: a private EC entry does not break the public RSA key next to it',
		verify(writeJwks(dir, { keys: [{ ...privJwk(ec), kid: 'ec1' }, RSA_JWK] }, 'priv-plus-rsa'), rsaTok));

	// Members we do not know are ignored (RFC 7517 §5): never selected.
	const ed448 = gen('ed448');
	expectError('unknown_curve: Ed448 key (kid ed448) and an EdDSA token signed by it → ERR_JWKS_NO_MATCHING_KEY',
		verify(writeJwks(dir, { keys: [{ ...pubJwk(ed448), kid: 'ed448' }] }, 'ed448'), token({ alg: 'EdDSA', kid: 'ed448' }, PAYLOAD, 'EdDSA', ed448.privateKey)), NK);
	expectError('unknown_kty: a "kty":"XYZ" member with kid key1 → ERR_JWKS_NO_MATCHING_KEY',
		verify(writeJwks(dir, { keys: [{ kty: 'XYZ', kid: 'key1', k: OCT_JWK.k }] }, 'kty-xyz'), tokHs), NK);
	const k256 = gen('ec', { namedCurve: 'secp256k1' });
	expectError('unknown_curve: secp256k1 key with crv relabelled P-256 (point off P-256) → ERR_JWK_INVALID',
		verify(writeJwks(dir, { keys: [{ ...pubJwk(k256), crv: 'P-256', kid: 'k1' }] }, 'k1-as-p256'), token({ alg: 'ES256', kid: 'k1' }, PAYLOAD, 'ES256', k256.privateKey)), KI);
}

// --- 15. seeded fuzz: every input a clean verdict ---------------------------------------------
// Robustness (the contract: bad input of any kind gets an error, "never a 5xx, a crash or a
// hang"; CWE-20). Three deterministic corpora (mulberry32 seeds below), all through stdin:
//   A. 400 random byte strings;
//   B. 400 one-byte mutations (flip a bit, insert a byte, delete a byte) of valid tokens;
//   C. 100 structured inputs: random base64url segments, multi-edit mutations, random
//      headers with junk or genuine-but-mismatched signatures.
// Each must exit 1 with {"valid":false,"error":<documented code>,"message":…}; exit 0 is
// allowed (and then required) only where the mutation left an equivalent token, i.e. one
// that equals the original once the CLI trims trailing whitespace from stdin. Never a
// signal, never another exit status. The runs overlap (runPool) to keep the suite fast.
{
	const bytesOf = (rnd, n) => Buffer.from(Array.from({ length: n }, () => Math.floor(rnd() * 256)));
	const trimEnd = (buf) => {
		let n = buf.length;
		while (n > 0 && [0x20, 0x09, 0x0d, 0x0a].includes(buf[n - 1])) n--;
		return buf.subarray(0, n);
	};
	const cases = []; // { name, input: Buffer, equivalent: bool }

	// A. random byte strings (non-empty once trailing whitespace is trimmed: an empty token
	// is a usage question, not an attack).
	{
		const rnd = prng(0xa77ac5);
		for (let i = 0; i < 400; i++) {
			let input = bytesOf(rnd, 1 + Math.floor(rnd() * 300));
			if (trimEnd(input).length === 0) input = Buffer.concat([Buffer.from('x'), input]);
			cases.push({ name: `fuzz_random_bytes #${i} (seed 0xa77ac5)`, input, equivalent: false });
		}
	}

	// B. one-byte mutations of valid tokens of four algorithms.
	{
		const valid = [
			['HS256', hs({ alg: 'HS256', kid: 'key1' })],
			['ES256', es({ alg: 'ES256', kid: 'ec1' })],
			['RS256', token({ alg: 'RS256', kid: 'rsa1' }, PAYLOAD, 'RS256', rsa.privateKey)],
			['EdDSA', token({ alg: 'EdDSA', kid: 'ed1' }, PAYLOAD, 'EdDSA', ed.privateKey)],
		];
		for (const [alg, t] of valid) expectValid(`fuzz_mutation: control: the unmutated ${alg} seed token verifies via stdin`, verifyStdin(F.main, t));
		const rnd = prng(0x5eed01);
		const ri = (n) => Math.floor(rnd() * n);
		for (let i = 0; i < 400; i++) {
			const [alg, t] = valid[i % valid.length];
			const orig = Buffer.from(t, 'latin1');
			let input;
			let op;
			switch (ri(3)) {
			case 0: { // flip one bit of one byte
				const at = ri(orig.length);
				const bit = ri(8);
				input = Buffer.from(orig);
				input[at] ^= 1 << bit;
				op = `flip bit ${bit} of byte ${at}`;
				break;
			}
			case 1: { // insert one random byte (at the end too)
				const at = ri(orig.length + 1);
				const b = ri(256);
				input = Buffer.concat([orig.subarray(0, at), Buffer.from([b]), orig.subarray(at)]);
				op = `insert 0x${b.toString(16).padStart(2, '0')} at ${at}`;
				break;
			}
			default: { // delete one byte
				const at = ri(orig.length);
				input = Buffer.concat([orig.subarray(0, at), orig.subarray(at + 1)]);
				op = `delete byte ${at}`;
			}
			}
			cases.push({ name: `fuzz_mutation #${i} (seed 0x5eed01, ${alg}, ${op})`, input, equivalent: trimEnd(input).equals(orig) });
		}
	}

	// C. structured inputs (seed 0x1d5eed).
	{
		const rnd = prng(0x1d5eed);
		const ri = (n) => Math.floor(rnd() * n);
		const pick = (a) => a[ri(a.length)];
		const bytes = (n) => bytesOf(rnd, n);
		const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
		const b64s = (n) => Array.from({ length: n }, () => B64[ri(64)]).join('');
		const seeds = [
			hs({ alg: 'HS256', kid: 'key1' }),
			es({ alg: 'ES256', kid: 'ec1' }),
			token({ alg: 'RS256', kid: 'rsa1' }, PAYLOAD, 'RS256', rsa.privateKey),
			token({ alg: 'EdDSA' }, PAYLOAD, 'EdDSA', ed.privateKey),
		];
		const CHARS = `${B64}.=+/ \t{}[]":,\\\u0000\u00ff`;
		const mutate = (t) => {
			let s = t;
			const k = 1 + ri(3);
			for (let i = 0; i < k; i++) {
				const at = ri(s.length);
				const op = ri(4);
				if (op === 0) s = s.slice(0, at) + s.slice(at + 1);
				else if (op === 1) s = s.slice(0, at) + pick([...CHARS]) + s.slice(at);
				else if (op === 2) s = s.slice(0, at) + pick([...CHARS]) + s.slice(at + 1);
				else s = s.slice(0, at) + s.slice(at, at + 1 + ri(20)) + s.slice(at); // duplicate a run
			}
			return s.replace(/[ \t\r\n]+$/, '') === t ? `${t}x` : s;
		};
		const HDR_VALUES = {
			alg: ['HS256', 'ES256', 'RS256', 'PS512', 'EdDSA', 'none', 'HS', 1, null, ['HS256']],
			kid: ['key1', 'ec1', 'rsa1', 'ed1', 'nope', '', 1, null],
			crit: [['b64'], ['exp'], [], 'x', ['alg']],
			b64: [false, true, 'false'],
			typ: ['JWT', 'at+jwt', 1],
			jwk: [pubJwk(attacker), {}],
		};
		const randomHeader = () => {
			const h = {};
			for (const [name, values] of Object.entries(HDR_VALUES)) if (rnd() < (name === 'alg' ? 0.9 : 0.3)) h[name] = pick(values);
			return h;
		};
		const randomPayload = () => pick([
			PAYLOAD, {}, [], 'x', { exp: pick([1, 'x', 1e300, null]) }, { sub: bytes(4).toString('latin1') }, '{"a":1,"a":2}', bytes(ri(40)),
		]);
		for (let i = 0; i < 100; i++) {
			const kind = i % 5;
			let input;
			if (kind === 0) input = bytes(1 + ri(300));
			else if (kind === 1) input = Array.from({ length: 1 + ri(5) }, () => b64s(ri(60))).join('.');
			else if (kind === 2 || kind === 3) input = mutate(pick(seeds));
			else {
				const sigKind = ri(4);
				const h = randomHeader();
				const p = randomPayload();
				input = sigKind === 0 ? hs(h, p) : sigKind === 1 ? es(h, p) : token(h, p, null, null, { sig: bytes(ri(80)) });
				// A genuine signature under the matching alg could legitimately verify: break it.
				if ((sigKind === 0 && h.alg === 'HS256') || (sigKind === 1 && h.alg === 'ES256')) input = `${input}x`;
			}
			input = Buffer.isBuffer(input) ? input : Buffer.from(input, 'latin1');
			if (trimEnd(input).length === 0) input = Buffer.concat([Buffer.from('x'), input]);
			cases.push({ name: `fuzz_structured #${i} (seed 0x1d5eed, kind ${kind})`, input, equivalent: false });
		}
	}

	const results = await runPool(cases.map((c) => () => verifyStdinAsync(F.main, c.input)));
	let crashes = 0;
	let equivalents = 0;
	const seen = {};
	cases.forEach((c, i) => {
		const r = results[i];
		if (r.signal || (r.status !== 0 && r.status !== 1)) crashes++;
		let problems;
		if (c.equivalent) {
			equivalents++;
			problems = verdictProblems(r, { allowValid: true });
			if (r.status !== 0) problems.push('an equivalent token (only trailing whitespace added) must still verify');
		} else {
			problems = verdictProblems(r);
		}
		if (r.json && r.json.error) seen[r.json.error] = (seen[r.json.error] || 0) + 1;
		const want = c.equivalent ? 'equivalent token: exit 0, valid' : 'exit 1 with a documented code';
		check(`${c.name}: ${want}`, problems.length === 0,
			problems.length ? `${problems.join('; ')}; input(hex)=${c.input.subarray(0, 160).toString('hex')}${c.input.length > 160 ? `…[${c.input.length} bytes]` : ''} | ${show(r)}` : '');
	});
	check('fuzz: no input crashed the binary or ended with another exit status', crashes === 0, `${crashes} crashes`);
	// Non-vacuity: the corpus must reach past the parser, not only bounce off it.
	const dist = Object.entries(seen).sort().map(([k, v]) => `${k.replace(/^ERR_/, '')}=${v}`).join(' ');
	check(`fuzz: verdicts reach past parsing (${dist}; ${equivalents} equivalent mutations)`,
		Object.keys(seen).length >= 5 && seen.ERR_JWS_SIGNATURE_VERIFICATION_FAILED > 0 && seen.ERR_JWS_INVALID > 0
		&& seen.ERR_JOSE_ALG_NOT_ALLOWED > 0 && seen.ERR_JWKS_NO_MATCHING_KEY > 0, 'too few distinct verdicts');
}

finish();
