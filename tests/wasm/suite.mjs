// The WASM package's shared suite: pure ESM with no runtime-specific imports, so
// Node, Chromium, Deno and workerd run exactly this file. `api` is the imported
// package; `fixtures` come from fixtures.mjs; `report(pass, name, detail)` prints.
export async function runSuite(api, fixtures, report) {
	const codes = [];
	for (const f of fixtures) {
		let got = 'valid';
		let claim;
		let result;
		try {
			const { now, ...options } = f.options;
			const v = await api.createVerifier({ ...options, keys: f.keys, currentDate: new Date(now * 1000) });
			try {
				result = v.verify(f.token);
			} finally {
				v.close();
			}
		} catch (e) {
			if (!(e instanceof api.JwtError)) {
				report(false, f.name, `threw a non-JwtError: ${e && e.stack}`);
				codes.push('THREW');
				continue;
			}
			got = e.code;
			claim = e.claim;
		}
		codes.push(got);
		const claimOk = !f.claim || claim === f.claim;
		const payloadOk = got !== 'valid' || (result && typeof result.payload === 'object' && result.header && typeof result.header.alg === 'string');
		report(got === f.expect && claimOk && payloadOk, f.name, `expected ${f.expect}${f.claim ? `/${f.claim}` : ''}, got ${got}${claim ? `/${claim}` : ''}`);
	}
	apiBehaviour(api, fixtures, report);
	return codes;
}

function apiBehaviour(api, fixtures, report) {
	const valid = fixtures.find((f) => f.expect === 'valid');
	const d = api.decode(valid.token);
	const [h, p] = valid.token.split('.').slice(0, 2).map((s) => JSON.parse(atob(s.replace(/-/g, '+').replace(/_/g, '/'))));
	report(JSON.stringify(d.header) === JSON.stringify(h) && JSON.stringify(d.payload) === JSON.stringify(p), 'decode returns header and claims without verifying');
	let code;
	try {
		api.decode('not-a-token');
	} catch (e) {
		code = e.code;
	}
	report(code === 'ERR_JWS_INVALID', 'decode of garbage throws ERR_JWS_INVALID', `got ${code}`);
	report(new api.JwtError('ERR_JWT_EXPIRED', 'm', 'exp') instanceof Error, 'JwtError is an Error');
}
