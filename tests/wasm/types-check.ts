// Type-checked (never run) by types.test.mjs with `tsc --noEmit --strict`
// against the installed package's index.d.ts. The first half uses every export
// as README.md documents; each `@ts-expect-error` below is a misuse the types
// must reject: if the declarations get looser, tsc reports the directive as
// unused (TS2578) and the test fails.
import {
	calculateJwkThumbprint,
	createRemoteVerifier,
	createVerifier,
	createVerifierSync,
	decode,
	decodeProtectedHeader,
	importSPKI,
	importX509,
	init,
	JwtError,
	wasmMemoryBytes,
	type Algorithm,
	type JSONWebKeySet,
	type JWK,
	type JwtErrorCode,
	type JWTHeader,
	type JWTPayload,
	type RemoteVerifier,
	type RemoteVerifierOptions,
	type Verifier,
	type VerifierOptions,
	type VerifyOptions,
	type VerifyResult,
} from '@identity-backend/verifier';

declare const token: string;
declare const tokenBytes: Uint8Array;
declare const wasmModule: WebAssembly.Module;
declare const wasmBytes: ArrayBuffer;
declare const pem: string;

const jwk: JWK = { kty: 'EC', crv: 'P-256', x: 'x', y: 'y', kid: 'k1', alg: 'ES256', use: 'sig' };
const jwks: JSONWebKeySet = { keys: [jwk, { kty: 'oct', k: 'c2VjcmV0', kid: 'k2' }] };
const algorithms: Algorithm[] = ['ES256', 'RS256', 'PS512', 'HS384', 'EdDSA', 'Ed25519'];
interface AccessClaims extends JWTPayload {
	scope: string;
	client_id: string;
}

// --- correct use ---------------------------------------------------------
export async function correctUse(): Promise<void> {
	await init();
	await init(wasmModule);
	await init(wasmBytes);
	await init(new Uint8Array(wasmBytes));
	await init(new URL('https://cdn.example/verifier.wasm'));
	await init('https://cdn.example/verifier.wasm');
	await init(await fetch('https://cdn.example/verifier.wasm'));
	const bytesInUse: number = wasmMemoryBytes();

	const common: VerifyOptions = {
		algorithms,
		issuer: ['https://id.example', 'https://id2.example'],
		audience: 'api',
		subject: 'svc',
		typ: 'at+jwt',
		clockTolerance: '30s',
		maxTokenAge: 3600,
		requiredClaims: ['jti'],
		currentDate: new Date(),
	};
	const options: VerifierOptions = { ...common, keys: jwks };
	const v: Verifier = await createVerifier(options);
	await createVerifier({ keys: JSON.stringify(jwks), issuer: 'https://id.example', audience: ['a', 'b'], clockTolerance: 5, maxTokenAge: '2h' });
	await createVerifier({ keys: jwk, wasm: wasmModule });
	await createVerifier({ keys: jwks, wasm: wasmBytes, crypto: 'wasm' });
	await createVerifier({ keys: pem, algorithms: ['RS256'], crypto: 'auto' });
	await createVerifier({ keys: new TextEncoder().encode(JSON.stringify(jwks)) });
	const sync: Verifier = createVerifierSync({ keys: jwks });
	const arithmetic: 'wasm' | 'host' | 'host+wasm' = sync.crypto;
	const spkiJwk: JWK = await importSPKI(pem, 'ES256');
	const certJwk: JWK = await importX509(pem, 'Ed25519');
	const thumbprint: string = await calculateJwkThumbprint(spkiJwk);
	await calculateJwkThumbprint(certJwk, 'sha512');
	const protectedHeader: JWTHeader = decodeProtectedHeader(token);
	const typed = sync.verify<AccessClaims>(token);
	const typedAsync: VerifyResult<AccessClaims> = await sync.verifyAsync<AccessClaims>(token);
	const asyncArithmetic: 'webcrypto' | 'wasm' | 'host' | 'host+wasm' = sync.asyncCrypto;
	console.log(typedAsync.payload.scope, asyncArithmetic);
	const scopeText: string = typed.payload.scope;
	const typedSub: string | undefined = typed.payload.sub;
	const verifiedBy: Readonly<JWK> = typed.key;
	console.log(arithmetic, thumbprint, protectedHeader, scopeText, typedSub, verifiedBy);

	const result: VerifyResult = v.verify(token);
	v.verify(tokenBytes);
	const header: JWTHeader = result.header;
	const sameHeader: JWTHeader = result.protectedHeader;
	const payload: JWTPayload = result.payload;
	const alg: string = header.alg;
	const kid: string | undefined = header.kid;
	const exp: number | undefined = payload.exp;
	const aud: string | string[] | undefined = payload.aud;
	const custom: unknown = payload.scope;
	v.close();

	const remoteOptions: RemoteVerifierOptions = {
		...common,
		jwksUri: 'https://id.example/.well-known/jwks.json',
		cacheMaxAge: 600_000,
		cooldownDuration: 30_000,
		timeoutDuration: 5_000,
		fetch: (input, requestInit) => fetch(input, requestInit),
	};
	const remote: RemoteVerifier = await createRemoteVerifier(remoteOptions);
	await createRemoteVerifier({ issuer: 'https://id.example', audience: 'api' });
	const remoteResult: VerifyResult = await remote.verify(token);
	const remoteTyped: VerifyResult<AccessClaims> = await remote.verify<AccessClaims>(token);
	console.log(remoteTyped.payload.client_id);
	await remote.reload();
	remote.close();

	const decoded: { header: JWTHeader; payload: JWTPayload } = decode(token);
	const sub: string | undefined = decoded.payload.sub;

	try {
		v.verify(token);
	} catch (e) {
		if (e instanceof JwtError) {
			const code: JwtErrorCode = e.code;
			const claim: string | undefined = e.claim;
			const message: string = e.message;
			const asError: Error = e;
			if (e.code === 'ERR_JWT_EXPIRED' || e.code === 'ERR_JWT_CLAIM_VALIDATION_FAILED') console.log(code, claim, message, asError);
		}
	}
	console.log(bytesInUse, sameHeader, alg, kid, exp, aud, custom, remoteResult, sub);
}

// --- misuse the types must reject ------------------------------------------
export async function misuse(v: Verifier, remote: RemoteVerifier, e: JwtError, typed: VerifyResult<AccessClaims>): Promise<void> {
	// @ts-expect-error keys are required
	await createVerifier({ issuer: 'https://id.example' });
	// @ts-expect-error unknown algorithm name
	await createVerifier({ keys: jwks, algorithms: ['none'] });
	// @ts-expect-error algorithm names are case-sensitive
	await createVerifier({ keys: jwks, algorithms: ['es256'] });
	// @ts-expect-error wrong option type: clockTolerance is seconds or a duration string
	await createVerifier({ keys: jwks, clockTolerance: true });
	// @ts-expect-error wrong option type: issuer is a string or string[]
	await createVerifier({ keys: jwks, issuer: 42 });
	// @ts-expect-error wrong option type: currentDate is a Date, not seconds
	await createVerifier({ keys: jwks, currentDate: 1800000000 });
	// @ts-expect-error wrong option type: requiredClaims is a list
	await createVerifier({ keys: jwks, requiredClaims: 'jti' });
	// @ts-expect-error keys must be a JWKS, a JWK or JSON text
	await createVerifier({ keys: 42 });
	// @ts-expect-error misspelt option (excess property)
	await createVerifier({ keys: jwks, audiences: ['api'] });
	// (No line for `init(42)`: lib.dom declares WebAssembly.Module as an empty
	// interface, so any object or number is structurally one; TypeScript's limit.)
	// @ts-expect-error wasm is a module, bytes, a Response or a URL, never null
	await init(null);
	// @ts-expect-error the fixed-key verifier is synchronous: its result is not a Promise
	v.verify(token).then(() => undefined);
	// @ts-expect-error tokens are strings or bytes
	v.verify({ token });
	// @ts-expect-error verifyAsync's result is a Promise: it must be awaited
	const asyncNotAwaited: VerifyResult = v.verifyAsync(token);
	// @ts-expect-error the remote verifier is asynchronous: its result must be awaited
	const notAwaited: VerifyResult = remote.verify(token);
	// @ts-expect-error cacheMaxAge is milliseconds (a number), not a duration string
	await createRemoteVerifier({ jwksUri: 'https://id.example/jwks', cacheMaxAge: '10m' });
	// @ts-expect-error decode takes the compact string only
	decode(new Uint8Array(0));
	// @ts-expect-error claims are typed: exp may be absent
	const exp: number = decode(token).payload.exp;
	// @ts-expect-error unknown claims are `unknown`, not `any`
	const scope: string = decode(token).payload.scope;
	// @ts-expect-error the claim of an error may be absent
	const claim: string = e.claim;
	// @ts-expect-error not one of jose's error codes
	if (e.code === 'ERR_SOMETHING_ELSE') return;
	// @ts-expect-error error codes are read-only
	e.code = 'ERR_JWT_EXPIRED';
	// @ts-expect-error wasmMemoryBytes returns a number
	const bytes: string = wasmMemoryBytes();
	// @ts-expect-error crypto is 'auto' or 'wasm'
	await createVerifier({ keys: jwks, crypto: 'openssl' });
	// @ts-expect-error a PEM key binds to an asymmetric algorithm, never an HMAC one
	await importSPKI('pem', 'HS256');
	// @ts-expect-error thumbprints are SHA-2
	await calculateJwkThumbprint(jwk, 'md5');
	// @ts-expect-error a typed payload keeps its claims' types
	const wrongScope: number = typed.payload.scope;
	// @ts-expect-error the verifying key is read-only
	v.verify(token).key.kid = 'other';
	console.log(notAwaited, exp, scope, claim, bytes, wrongScope);
}
