// The passkey buttons of the sign-in and account pages: the only script the
// issuer's pages run. A form with data-passkey="get" (sign in) or "create"
// (register) carries the challenge and the relying party in data- attributes;
// its button asks the browser for the passkey, puts the answer (base64url) in
// hidden fields of the form and submits it. The server checks everything.
'use strict';

function b64url(buf) {
	const bytes = new Uint8Array(buf);
	let s = '';
	for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
	return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function unb64url(text) {
	const s = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
	const out = new Uint8Array(s.length);
	for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
	return out;
}

function ids(list) {
	return (list || '').split(',').filter(Boolean).map((id) => ({ type: 'public-key', id: unb64url(id) }));
}

// Put value in the form's hidden field name, made when the page has none.
function set(form, name, value) {
	let input = form.elements[name];
	if (!input) {
		input = document.createElement('input');
		input.type = 'hidden';
		input.name = name;
		form.appendChild(input);
	}
	input.value = value;
}

// A challenge made for this click (the login page has none until asked: most
// people sign in with a password, and a stored challenge each would be waste).
async function challenge(form) {
	const d = form.dataset;
	if (d.challenge) return d.challenge;
	const body = new URLSearchParams({ flow: form.elements.flow.value, csrf: form.elements.csrf.value });
	const res = await fetch(d.options, { method: 'POST', body, credentials: 'same-origin' });
	if (!res.ok) throw new Error('challenge');
	const c = (await res.json()).challenge;
	set(form, 'challenge', c);
	return c;
}

async function signIn(form) {
	const d = form.dataset;
	const c = await challenge(form);
	const cred = await navigator.credentials.get({
		publicKey: {
			challenge: unb64url(c),
			rpId: d.rpId,
			allowCredentials: ids(d.credentials),
			userVerification: d.uv || 'required',
			timeout: 120000,
		},
	});
	set(form, 'credential', b64url(cred.rawId));
	set(form, 'client_data', b64url(cred.response.clientDataJSON));
	set(form, 'authenticator_data', b64url(cred.response.authenticatorData));
	set(form, 'signature', b64url(cred.response.signature));
}

async function register(form) {
	const d = form.dataset;
	const cred = await navigator.credentials.create({
		publicKey: {
			challenge: unb64url(d.challenge),
			rp: { id: d.rpId, name: d.rpName },
			user: { id: unb64url(d.userId), name: d.userName, displayName: d.userDisplay || d.userName },
			pubKeyCredParams: [
				{ type: 'public-key', alg: -7 },
				{ type: 'public-key', alg: -8 },
				{ type: 'public-key', alg: -257 },
			],
			excludeCredentials: ids(d.credentials),
			authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
			attestation: 'none',
			timeout: 120000,
		},
	});
	set(form, 'client_data', b64url(cred.response.clientDataJSON));
	set(form, 'attestation', b64url(cred.response.attestationObject));
}

function wire(form) {
	const button = form.querySelector('button');
	const status = form.querySelector('.passkey-status');
	if (!window.PublicKeyCredential) {
		if (status) status.textContent = status.dataset.unsupported || '';
		button.disabled = true;
		return;
	}
	button.addEventListener('click', async () => {
		button.disabled = true;
		try {
			await (form.dataset.passkey === 'create' ? register(form) : signIn(form));
			form.submit();
		} catch (e) {
			if (status) status.textContent = status.dataset.failed || String(e && e.name);
			button.disabled = false;
		}
	});
}

document.querySelectorAll('form[data-passkey]').forEach(wire);
