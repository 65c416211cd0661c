/*
 * webauthn.h: the relying party's checks of WebAuthn Level 2/3 passkeys: a
 * registration (navigator.credentials.create: clientDataJSON and the
 * attestationObject) and an assertion (navigator.credentials.get:
 * clientDataJSON, authenticatorData and signature) against a stored credential.
 *
 * Accepted: attestation format "none" only (an empty attStmt; a passkey's
 * provenance is not attested), credential keys ES256 (COSE EC2 P-256), EdDSA
 * (COSE OKP Ed25519, alg -8) and RS256 (COSE RSA, 2048..4096 bits). Everything
 * else, and every malformed byte, is refused with its own error code and
 * webauthn_strerror's sentence.
 *
 * CBOR is decoded by libcbor after a strict scan of ours that never allocates:
 * definite lengths only, shortest-form heads only (CTAP2's canonical form), no
 * reserved or stray bytes, nothing after the item, every length and count within
 * the bytes left (so libcbor never allocates more than the input's size), at
 * most WEBAUTHN_CBOR_DEPTH levels, no duplicate map key. clientDataJSON is parsed
 * by the JOSE core's strict JSON (jose_json.h: RFC 8259, duplicate members refused).
 *
 * What a caller stores for a credential is what webauthn_register returns: the
 * credential id, the COSE_Key bytes exactly as the authenticator sent them (the
 * stored public key; webauthn_verify re-reads them with the same rules), the
 * sign counter and the flags. The challenge is compared in constant time; the
 * caller makes it (at least 16 random bytes), binds it to the browser's flow and
 * spends it before calling, whatever the outcome. Nothing here logs, keeps
 * state between calls, or holds a secret.
 */
#ifndef ISSUER_MFA_WEBAUTHN_H
#define ISSUER_MFA_WEBAUTHN_H

#include <stddef.h>
#include <stdint.h>

/* Longest credential id (WebAuthn L3 §5.1: at most 1023 bytes). */
#define WEBAUTHN_CRED_ID_MAX 1023
/* Largest COSE_Key kept (an RSA-4096 key with its header is about 530 bytes). */
#ifndef WEBAUTHN_COSE_MAX
#define WEBAUTHN_COSE_MAX 1024
#endif
/* Largest attestationObject and authenticatorData accepted, in bytes. */
#ifndef WEBAUTHN_ATTESTATION_MAX
#define WEBAUTHN_ATTESTATION_MAX 4096
#endif
/* Largest clientDataJSON accepted, in bytes. */
#ifndef WEBAUTHN_CLIENT_DATA_MAX
#define WEBAUTHN_CLIENT_DATA_MAX 4096
#endif
/* Challenge length bounds, in bytes (L3 §13.4.3: at least 16 random bytes). */
#define WEBAUTHN_CHALLENGE_MIN 16
#define WEBAUTHN_CHALLENGE_MAX 64
/* Deepest CBOR nesting accepted (a COSE_Key is depth 1; extensions need a few more). */
#ifndef WEBAUTHN_CBOR_DEPTH
#define WEBAUTHN_CBOR_DEPTH 8
#endif
/* Most origins a webauthn_expect may list. */
#define WEBAUTHN_ORIGINS_MAX 16

/* authenticatorData flags (L3 §6.1). */
#define WEBAUTHN_FLAG_UP 0x01 /* user present */
#define WEBAUTHN_FLAG_UV 0x04 /* user verified */
#define WEBAUTHN_FLAG_BE 0x08 /* backup eligible (a synced passkey can be) */
#define WEBAUTHN_FLAG_BS 0x10 /* backed up */
#define WEBAUTHN_FLAG_AT 0x40 /* attested credential data follows */
#define WEBAUTHN_FLAG_ED 0x80 /* extension data follows */

/* COSE algorithms accepted (IANA COSE Algorithms registry). */
typedef enum webauthn_alg {
	WEBAUTHN_ES256 = -7,
	WEBAUTHN_EDDSA = -8,
	WEBAUTHN_RS256 = -257,
} webauthn_alg;

/* Every outcome: 0, the call failed (1..9), or why the credential is refused (10..). */
typedef enum webauthn_err {
	WEBAUTHN_OK = 0,
	/* The call failed, not the credential. */
	WEBAUTHN_E_ARG = 1, /* a bad argument (NULL, no origin, challenge length, …) */
	WEBAUTHN_E_NOMEM,
	WEBAUTHN_E_INTERNAL, /* wolfCrypt failed */
	/* CBOR that is not one strict, well-formed item. */
	WEBAUTHN_E_CBOR_TRUNCATED = 10, /* ends inside an item */
	WEBAUTHN_E_CBOR_TRAILING,       /* bytes after the item */
	WEBAUTHN_E_CBOR_INDEFINITE,     /* an indefinite length */
	WEBAUTHN_E_CBOR_MALFORMED, /* reserved additional information, a stray break, simple < 32 in two bytes
	                            */
	WEBAUTHN_E_CBOR_NONCANONICAL, /* a head longer than its value needs */
	WEBAUTHN_E_CBOR_DEPTH,        /* nested deeper than WEBAUTHN_CBOR_DEPTH */
	WEBAUTHN_E_CBOR_TYPE,         /* a value of the wrong major type */
	WEBAUTHN_E_CBOR_SIZE,         /* a value larger than its limit, a count beyond the bytes left */
	WEBAUTHN_E_CBOR_DUPLICATE,    /* a map key twice */
	/* The attestation object. */
	WEBAUTHN_E_ATT_MEMBER = 30, /* a member missing, or one WebAuthn does not define */
	WEBAUTHN_E_ATT_FMT,         /* an attestation format other than "none" */
	WEBAUTHN_E_ATT_STMT,        /* "none" with a non-empty attStmt */
	/* Authenticator data. */
	WEBAUTHN_E_AUTHDATA_LENGTH = 40, /* shorter than its parts, or bytes after them */
	WEBAUTHN_E_RP_ID,                /* rpIdHash is not SHA-256 of our RP ID */
	WEBAUTHN_E_FLAG_UP,              /* user not present */
	WEBAUTHN_E_FLAG_UV,              /* user verification required but not done */
	WEBAUTHN_E_FLAG_AT,              /* no credential data in a registration, or some in an assertion */
	WEBAUTHN_E_FLAG_ED,              /* ED set without an extensions map, or the reverse */
	WEBAUTHN_E_FLAG_BS,              /* backed up (BS) but not backup eligible (BE) */
	WEBAUTHN_E_CRED_ID,              /* credential id empty or over WEBAUTHN_CRED_ID_MAX */
	/* The credential public key (COSE_Key, RFC 9052 §7, RFC 9053). */
	WEBAUTHN_E_COSE_KEY =
	    60,              /* a parameter missing, unexpected (private parts too), or of the wrong length */
	WEBAUTHN_E_COSE_ALG, /* an algorithm or key type not accepted, or the two disagree */
	WEBAUTHN_E_COSE_POINT, /* an EC2 point not on P-256, an Ed25519 key of small order */
	WEBAUTHN_E_RSA_SIZE,   /* an RSA modulus outside 2048..4096 bits, or a bad exponent */
	/* clientDataJSON. */
	WEBAUTHN_E_CLIENT_JSON =
	    70,                  /* not strict JSON, not an object, a member of the wrong type, too long */
	WEBAUTHN_E_CLIENT_TYPE,  /* type is not webauthn.create / webauthn.get as the ceremony wants */
	WEBAUTHN_E_CHALLENGE,    /* not the challenge we issued */
	WEBAUTHN_E_ORIGIN,       /* an origin not in the allowed list */
	WEBAUTHN_E_CROSS_ORIGIN, /* made inside a cross-origin iframe (crossOrigin true, topOrigin) */
	/* The assertion's signature. */
	WEBAUTHN_E_SIG_FORMAT = 80, /* not a strict DER ECDSA signature, or of the wrong length */
	WEBAUTHN_E_SIGNATURE,       /* does not verify under the credential's key */
	/* Valid signature, but the counter went backwards: a cloned authenticator. */
	WEBAUTHN_E_CLONED = 90,
} webauthn_err;

/* What the ceremony must show. */
typedef struct webauthn_expect {
	const char *rp_id;          /* our RP ID, e.g. "login.example.com" (its SHA-256 is rpIdHash) */
	const uint8_t *challenge;   /* the challenge we issued for this ceremony */
	size_t challenge_len;       /* WEBAUTHN_CHALLENGE_MIN..MAX */
	const char *const *origins; /* allowed origins, exact strings ("https://login.example.com") */
	size_t n_origins;           /* 1..WEBAUTHN_ORIGINS_MAX */
	int require_uv;             /* 1: the UV flag must be set (passkey sign-in) */
} webauthn_expect;

/* A credential as registered: what the caller stores (copies, not pointers into the input). */
typedef struct webauthn_credential {
	uint8_t flags;       /* the registration's authenticatorData flags */
	uint32_t sign_count; /* its signature counter (0: the authenticator keeps none) */
	uint8_t aaguid[16];  /* the authenticator model ("none": often all zeros) */
	webauthn_alg alg;
	size_t cred_id_len;
	uint8_t cred_id[WEBAUTHN_CRED_ID_MAX];
	size_t cose_len; /* the COSE_Key, as sent: the stored public key */
	uint8_t cose_key[WEBAUTHN_COSE_MAX];
} webauthn_credential;

/* What an assertion showed. */
typedef struct webauthn_assertion {
	uint8_t flags;       /* WEBAUTHN_FLAG_*: UV the user was verified, BE/BS a synced passkey */
	uint32_t sign_count; /* the new counter to store (also set on WEBAUTHN_E_CLONED) */
} webauthn_assertion;

/*
 * Check a registration: client_data[0..cd_len) (clientDataJSON: type
 * "webauthn.create", x's challenge, an allowed origin, not cross-origin) and
 * att[0..att_len) (attestationObject: fmt "none", empty attStmt, authData with
 * our rpIdHash, UP, UV when x requires it, BE/BS consistent, attested credential
 * data with a credential id of 1..WEBAUTHN_CRED_ID_MAX bytes and an accepted
 * COSE_Key, extensions only when ED says so, nothing after). WEBAUTHN_OK with
 * *out filled, or the first rule broken (*out zeroed).
 */
webauthn_err webauthn_register(const webauthn_expect *x, const uint8_t *client_data, size_t cd_len,
                               const uint8_t *att, size_t att_len, webauthn_credential *out);

/*
 * Check an assertion by the credential whose stored COSE_Key is
 * cose[0..cose_len) and stored counter stored_count: clientDataJSON (type
 * "webauthn.get", challenge, origin, not cross-origin), authenticatorData
 * (rpIdHash, UP, UV when required, BE/BS, no attested credential data, nothing
 * after), then the signature over authenticatorData || SHA-256(clientDataJSON):
 * ES256 a strict DER ECDSA signature (r and s in 1..n-1), EdDSA 64 bytes (S < L),
 * RS256 RSASSA-PKCS1-v1_5 with SHA-256 as long as the modulus. Last, the counter
 * (L3 §7.2 step 22): when either the new or the stored count is non-zero and the
 * new one is not greater, WEBAUTHN_E_CLONED, distinct from every other refusal
 * (the signature was valid; *out is filled so the caller can record both).
 * WEBAUTHN_OK with *out filled: store out->sign_count.
 */
webauthn_err webauthn_verify(const webauthn_expect *x, const uint8_t *cose, size_t cose_len,
                             uint32_t stored_count, const uint8_t *client_data, size_t cd_len,
                             const uint8_t *auth_data, size_t ad_len, const uint8_t *sig, size_t sig_len,
                             webauthn_assertion *out);

/*
 * Check a COSE_Key cose[0..len) as webauthn_register does (strict CBOR, one of
 * the accepted key types with exactly its parameters, a P-256 point on the curve,
 * an RSA size in range), its algorithm in *alg. WEBAUTHN_OK or the rule broken.
 */
webauthn_err webauthn_cose_check(const uint8_t *cose, size_t len, webauthn_alg *alg);

/* One sentence for e (never NULL; "unknown error" for a value not in the enum). */
const char *webauthn_strerror(webauthn_err e);

#endif
