/*
 * jose_b64url.h: strict base64url (RFC 4648 §5) as JWS requires (RFC 7515 §2):
 * no padding, no whitespace, no characters outside [A-Za-z0-9_-], and the unused
 * low bits of the last character must be zero, so every byte string has exactly
 * one accepted encoding. Never allocates.
 */
#ifndef JOSE_B64URL_H
#define JOSE_B64URL_H

#include <stddef.h>
#include <stdint.h>

/* Upper bound of the decoded length of n input characters. */
#define JOSE_B64URL_DECODED_MAX(n) (((n) / 4) * 3 + 2)

/* Exact encoded length of n bytes (no padding). */
#define JOSE_B64URL_ENCODED_LEN(n) (((n) / 3) * 4 + ((n) % 3 ? (n) % 3 + 1 : 0))

/*
 * Decode in[0..in_len) into out, which holds out_cap bytes. On success stores
 * the decoded length in *out_len and returns 0; returns -1 if the input is not
 * canonical base64url or out is too small (nothing useful is left in out).
 */
int jose_b64url_decode(uint8_t *out, size_t out_cap, size_t *out_len, const char *in, size_t in_len);

/*
 * Decode standard padded base64 (RFC 4648 §4: "+" and "/" for 62 and 63, '='
 * padding to a multiple of 4 characters, required), as strictly as
 * jose_b64url_decode and by the same loop: only alphabet characters before at
 * most two final '=', zero unused bits. For HTTP Basic credentials (RFC 7617).
 */
int jose_b64_decode(uint8_t *out, size_t out_cap, size_t *out_len, const char *in, size_t in_len);

/*
 * Encode in[0..len) into out (out_cap bytes, including room for a final NUL).
 * Returns the encoded length, or 0 with out untouched if out_cap is too small.
 */
size_t jose_b64url_encode(char *out, size_t out_cap, const uint8_t *in, size_t len);

#endif
