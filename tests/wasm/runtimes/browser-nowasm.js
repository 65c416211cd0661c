// Control for the CSP page (served as /nowasm.js under a CSP *without*
// 'wasm-unsafe-eval'): compiling the module must be refused there, which shows
// the CSP page's pass really depended on 'wasm-unsafe-eval' and nothing looser.
import * as api from './node_modules/@identity-backend/verifier/index.js';

try {
	await api.init();
	window.__nowasm = { rejected: false, message: 'init() succeeded' };
} catch (e) {
	window.__nowasm = { rejected: true, message: String(e && e.message) };
}
