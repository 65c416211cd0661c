// Type-checked by types.test.mjs as a CommonJS consumer (`.cts`, --module node16,
// the model of Node 18/20 where require() cannot load ESM): the package ships
// index.cjs for `require`, so its types must resolve for `require` users too.
import { createVerifier, decode, JwtError, type Verifier } from '@identity-backend/verifier';

export async function check(token: string): Promise<string> {
	const v: Verifier = await createVerifier({ keys: { keys: [] }, algorithms: ['ES256'] });
	try {
		return String(v.verify(token).payload.sub ?? decode(token).header.alg);
	} catch (e) {
		return e instanceof JwtError ? e.code : 'unexpected';
	} finally {
		v.close();
	}
}
