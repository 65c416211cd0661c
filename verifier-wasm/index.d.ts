/**
 * @identity-backend/verifier: JWT verification with the C core and rules of the
 * identity-backend issuer, in WebAssembly; the RSA, ECDSA and Ed25519 arithmetic
 * is the host's (node:crypto) where there is one. Option names and error codes
 * are jose's.
 */

export interface JWK {
  kty: string;
  kid?: string;
  alg?: string;
  use?: string;
  key_ops?: string[];
  [member: string]: unknown;
}
export interface JSONWebKeySet {
  keys: JWK[];
}

export type Algorithm =
  | 'HS256' | 'HS384' | 'HS512'
  | 'RS256' | 'RS384' | 'RS512'
  | 'PS256' | 'PS384' | 'PS512'
  | 'ES256' | 'ES384' | 'ES512'
  | 'EdDSA' | 'Ed25519';

/** The asymmetric algorithms (what a PEM public key can be bound to). */
export type AsymmetricAlgorithm = Exclude<Algorithm, 'HS256' | 'HS384' | 'HS512'>;

export interface JWTHeader {
  alg: string;
  kid?: string;
  typ?: string;
  [parameter: string]: unknown;
}
export interface JWTPayload {
  iss?: string;
  sub?: string;
  aud?: string | string[];
  jti?: string;
  nbf?: number;
  exp?: number;
  iat?: number;
  [claim: string]: unknown;
}

export interface VerifyOptions {
  /** Allowed algorithms; default: all supported. "none" is never allowed. */
  algorithms?: Algorithm[];
  /** Accepted "iss" values (exact match). */
  issuer?: string | string[];
  /** Accepted "aud" values: the token's aud (string or array) must contain one. */
  audience?: string | string[];
  /** Expected "sub". */
  subject?: string;
  /** Expected header "typ", compared ignoring case and an "application/" prefix. */
  typ?: string;
  /** Seconds (any number: 1.5 stays 1.5) or a duration string ("30s", "1.5s" rounds to 2) of clock tolerance, as jose. */
  clockTolerance?: number | string;
  /** Maximum age since "iat" (which becomes required), seconds or a duration string; a number 0 only requires "iat", as in jose. */
  maxTokenAge?: number | string;
  /** Claims that must be present. */
  requiredClaims?: string[];
  /** The clock to verify against; default: now. */
  currentDate?: Date;
  /**
   * Where the RSA, ECDSA and Ed25519 arithmetic is done: 'auto' (default) the host's
   * crypto (node:crypto in Node, Deno, Bun, workerd with nodejs_compat) when there is
   * one, else the module's wolfCrypt; 'wasm' always wolfCrypt. Verdicts are the same.
   */
  crypto?: 'auto' | 'wasm';
  /** A precompiled module, the .wasm bytes, or its URL (Cloudflare Workers need the module). */
  wasm?: WebAssembly.Module | BufferSource | Response | URL | string;
}

export interface VerifierOptions extends VerifyOptions {
  /**
   * The key set (or one key): an object, its JSON text or bytes, or a PEM public key
   * ("-----BEGIN PUBLIC KEY-----") or certificate ("-----BEGIN CERTIFICATE-----").
   */
  keys: JSONWebKeySet | JWK | string | Uint8Array;
}

export interface RemoteVerifierOptions extends VerifyOptions {
  /** Where the JWK Set lives. Either this or issuer (discovery) is required. */
  jwksUri?: string;
  /** Milliseconds a fetched key set is used before it is fetched again (default 600000). */
  cacheMaxAge?: number;
  /** Minimum milliseconds between refetches caused by an unknown kid (default 30000). */
  cooldownDuration?: number;
  /** Milliseconds before a fetch is abandoned (default 5000). */
  timeoutDuration?: number;
  /** The fetch to use (default: globalThis.fetch). */
  fetch?: typeof fetch;
}

export interface VerifyResult<T extends JWTPayload = JWTPayload> {
  /** The claims (typed as the caller says: `verify<MyClaims>(token)`; nothing checks T). */
  payload: T & JWTPayload;
  protectedHeader: JWTHeader;
  /** The same object as protectedHeader. */
  header: JWTHeader;
  /** The JWK of the key set that verified the token (frozen), as jose's `key`. */
  key: Readonly<JWK>;
}

export interface Verifier {
  /** Synchronous: returns the decoded token or throws JwtError. */
  verify<T extends JWTPayload = JWTPayload>(token: string | Uint8Array): VerifyResult<T>;
  /**
   * The same verification and verdicts, with the signature arithmetic done by
   * WebCrypto where verify would use the module's (browsers, Workers without
   * node:crypto; crypto 'auto'). Elsewhere it is verify, as a promise.
   */
  verifyAsync<T extends JWTPayload = JWTPayload>(token: string | Uint8Array): Promise<VerifyResult<T>>;
  /** Free the imported keys now (otherwise when garbage-collected). */
  close(): void;
  /** The arithmetic in use: the module's ('wasm'), the host's ('host'), or the host's with the module's behind it. */
  readonly crypto: 'wasm' | 'host' | 'host+wasm';
  /** The arithmetic verifyAsync uses: 'webcrypto', or the same as verify's. */
  readonly asyncCrypto: 'webcrypto' | 'wasm' | 'host' | 'host+wasm';
}

export interface RemoteVerifier {
  verify<T extends JWTPayload = JWTPayload>(token: string | Uint8Array): Promise<VerifyResult<T>>;
  /** Fetch the key set now. */
  reload(): Promise<void>;
  close(): void;
}

export type JwtErrorCode =
  | 'ERR_JWS_INVALID'
  | 'ERR_JWT_INVALID'
  | 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED'
  | 'ERR_JWT_EXPIRED'
  | 'ERR_JWT_CLAIM_VALIDATION_FAILED'
  | 'ERR_JOSE_ALG_NOT_ALLOWED'
  | 'ERR_JWKS_NO_MATCHING_KEY'
  | 'ERR_JWKS_MULTIPLE_MATCHING_KEYS'
  | 'ERR_JWK_INVALID'
  | 'ERR_JWKS_INVALID'
  | 'ERR_JWKS_TIMEOUT'
  | 'ERR_JWKS_UNREACHABLE'
  | 'ERR_JOSE_NOT_SUPPORTED';

export class JwtError extends Error {
  constructor(code: JwtErrorCode, message: string, claim?: string, options?: { cause?: unknown });
  readonly code: JwtErrorCode;
  /** The claim that failed, for ERR_JWT_EXPIRED and ERR_JWT_CLAIM_VALIDATION_FAILED. */
  readonly claim?: string;
}

export function init(source?: WebAssembly.Module | BufferSource | Response | URL | string): Promise<void>;
export function createVerifier(options: VerifierOptions): Promise<Verifier>;
/** createVerifier once the module is loaded (after `await init()`): throws if it is not. */
export function createVerifierSync(options: VerifierOptions): Verifier;
export function createRemoteVerifier(options: RemoteVerifierOptions): Promise<RemoteVerifier>;
/** Decode without verifying: for display only, never for a decision. */
export function decode(token: string): { header: JWTHeader; payload: JWTPayload };
/** The protected header of a compact JWS or JWE (or of an object with "protected"), unverified, as jose's. */
export function decodeProtectedHeader(token: string | { protected?: string }): JWTHeader;
/** The public JWK of an SPKI PEM, bound to alg (its "alg" member), as jose's importSPKI. */
export function importSPKI(spki: string, alg: AsymmetricAlgorithm): Promise<JWK>;
/** The public JWK of an X.509 certificate's PEM, bound to alg, as jose's importX509. */
export function importX509(x509: string, alg: AsymmetricAlgorithm): Promise<JWK>;
/** The RFC 7638 thumbprint of a JWK, base64url (the issuer's kids are these). */
export function calculateJwkThumbprint(jwk: JWK, digestAlgorithm?: 'sha256' | 'sha384' | 'sha512'): Promise<string>;
export function wasmMemoryBytes(): number;
