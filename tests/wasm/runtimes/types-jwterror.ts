// Type-checked by types.test.mjs: JwtError is constructed as index.js defines
// it, `new JwtError(code, message, claim?)` (the shared suite does the same).
import { JwtError } from '@identity-backend/verifier';

export const expired = new JwtError('ERR_JWT_EXPIRED', '"exp" claim timestamp check failed', 'exp');
export const invalid = new JwtError('ERR_JWS_INVALID', 'Invalid Compact JWS');
export const code: 'ERR_JWT_EXPIRED' | string = expired.code;
