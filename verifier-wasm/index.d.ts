/**
 * @identity-backend/verifier: JWT verification in WebAssembly with the rules of
 * the identity-backend issuer. Option names and error codes are jose's.
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
  | 'EdDSA';

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
  /** Seconds (number) or a duration string ("30s", "5m") of clock tolerance. */
  clockTolerance?: number | string;
  /** Maximum age since "iat" (which becomes required), seconds or a duration string. */
  maxTokenAge?: number | string;
  /** Claims that must be present. */
  requiredClaims?: string[];
  /** The clock to verify against; default: now. */
  currentDate?: Date;
  /** A precompiled module, the .wasm bytes, or its URL (Cloudflare Workers need the module). */
  wasm?: WebAssembly.Module | BufferSource | Response | URL | string;
}

export interface VerifierOptions extends VerifyOptions {
  /** The key set (or one key), as an object or JSON text. */
  keys: JSONWebKeySet | JWK | string;
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

export interface VerifyResult {
  header: JWTHeader;
  /** The same object as header, under jose's name. */
  protectedHeader: JWTHeader;
  payload: JWTPayload;
}

export interface Verifier {
  /** Synchronous: returns the decoded token or throws JwtError. */
  verify(token: string | Uint8Array): VerifyResult;
  /** Free the imported keys now (otherwise when garbage-collected). */
  close(): void;
}

export interface RemoteVerifier {
  verify(token: string | Uint8Array): Promise<VerifyResult>;
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
  | 'ERR_JOSE_NOT_SUPPORTED';

export class JwtError extends Error {
  constructor(code: JwtErrorCode, message: string, claim?: string);
  readonly code: JwtErrorCode;
  /** The claim that failed, for ERR_JWT_EXPIRED and ERR_JWT_CLAIM_VALIDATION_FAILED. */
  readonly claim?: string;
}

export function init(source?: WebAssembly.Module | BufferSource | Response | URL | string): Promise<void>;
export function createVerifier(options: VerifierOptions): Promise<Verifier>;
export function createRemoteVerifier(options: RemoteVerifierOptions): Promise<RemoteVerifier>;
/** Decode without verifying: for display only, never for a decision. */
export function decode(token: string): { header: JWTHeader; payload: JWTPayload };
export function wasmMemoryBytes(): number;
