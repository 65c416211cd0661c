/*
 * rsapad.c: the RSA signature encodings of JWS, checked by the core on s^e mod n
 * whichever backend computed it (see jose_sig.h), so that padding decisions
 * are the same everywhere.
 *
 * RS*: EMSA-PKCS1-v1_5 (RFC 8017 §9.2): the expected block 00 01 FF..FF 00
 * DigestInfo(hash) is built and compared whole, so nothing is parsed and no
 * lenient reading of the DER (garbage after the digest, long-form lengths,
 * missing NULL parameters) can pass. PS*: EMSA-PSS-VERIFY (§9.1.2) with MGF1
 * on the same hash and a salt exactly as long as the hash (RFC 7518 §3.5).
 * Stack only; every failure is JOSE_E_SIG_FAILED.
 */
#include <string.h>

#include "inner.h"

/* Largest encoded message: an RSA-4096 block. */
#define EM_MAX (JOSE_RSA_MAX_BITS / 8)

/*
 * DER prefixes of the DigestInfo for SHA-256/384/512 (RFC 8017 §9.2, note 1).
 */
#define DIGESTINFO_PREFIX 19
static const uint8_t digestinfo[3][DIGESTINFO_PREFIX] = {
    {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00,
     0x04, 0x20},
    {0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00,
     0x04, 0x30},
    {0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00,
     0x04, 0x40},
};

/* Index 0..2 of alg's hash (SHA-256, -384, -512). */
static int hash_index(jose_alg alg)
{
	size_t n = jose_alg_hash_len(alg);

	return n == 32 ? 0 : n == 48 ? 1 : 2;
}

/* see inner.h */
jose_err jose_rsa_check_pkcs1(jose_alg alg, const uint8_t *em, size_t em_len, const uint8_t *digest)
{
	size_t hl = jose_alg_hash_len(alg), t = DIGESTINFO_PREFIX + hl;
	uint8_t want[EM_MAX];

	if (em_len > EM_MAX || em_len < t + 11)
		return JOSE_E_SIG_FAILED;
	want[0] = 0x00;
	want[1] = 0x01;
	memset(want + 2, 0xff, em_len - t - 3);
	want[em_len - t - 1] = 0x00;
	memcpy(want + em_len - t, digestinfo[hash_index(alg)], DIGESTINFO_PREFIX);
	memcpy(want + em_len - hl, digest, hl);
	return memcmp(want, em, em_len) == 0 ? JOSE_OK : JOSE_E_SIG_FAILED;
}

/* MGF1 (RFC 8017 §B.2.1): mask[0..len) ^= MGF1(seed) under alg's hash. */
static jose_err mgf1_xor(jose_alg alg, const uint8_t *seed, size_t hl, uint8_t *mask, size_t len)
{
	uint8_t in[64 + 4], out[64];

	memcpy(in, seed, hl);
	for (uint32_t c = 0, done = 0; done < len; c++) {
		in[hl] = (uint8_t)(c >> 24), in[hl + 1] = (uint8_t)(c >> 16);
		in[hl + 2] = (uint8_t)(c >> 8), in[hl + 3] = (uint8_t)c;
		if (jose_digest(alg, in, hl + 4, out) != JOSE_OK)
			return JOSE_E_INTERNAL;
		for (size_t i = 0; i < hl && done < len; i++)
			mask[done++] ^= out[i];
	}
	return JOSE_OK;
}

/* see inner.h */
jose_err jose_rsa_check_pss(jose_alg alg, const uint8_t *em, size_t em_len, size_t bits,
                            const uint8_t *digest)
{
	size_t hl = jose_alg_hash_len(alg), sl = hl, em_bits = bits - 1, len = (em_bits + 7) / 8, db_len, z;
	unsigned top = (unsigned)(8 * len - em_bits); /* leftmost bits of EM that must be zero */
	uint8_t db[EM_MAX], mp[8 + 64 + 64], h2[64];
	const uint8_t *h;
	jose_err err;

	/* EM is the low emLen bytes of s^e mod n; when emLen < k the byte above must be 0. */
	if (em_len > EM_MAX || bits < 2 || len > em_len || (len < em_len && em[0] != 0))
		return JOSE_E_SIG_FAILED;
	em += em_len - len;
	if (len < hl + sl + 2 || em[len - 1] != 0xbc || (em[0] >> (8 - top)) != 0)
		return JOSE_E_SIG_FAILED;
	db_len = len - hl - 1;
	h = em + db_len;
	memcpy(db, em, db_len);
	if ((err = mgf1_xor(alg, h, hl, db, db_len)) != JOSE_OK)
		return err;
	db[0] &= (uint8_t)(0xff >> top);
	z = len - hl - sl - 2; /* DB = PS (zeros) || 0x01 || salt */
	for (size_t i = 0; i < z; i++)
		if (db[i] != 0)
			return JOSE_E_SIG_FAILED;
	if (db[z] != 0x01)
		return JOSE_E_SIG_FAILED;
	memset(mp, 0, 8);
	memcpy(mp + 8, digest, hl);
	memcpy(mp + 8 + hl, db + db_len - sl, sl);
	if ((err = jose_digest(alg, mp, 8 + hl + sl, h2)) != JOSE_OK)
		return err;
	return memcmp(h2, h, hl) == 0 ? JOSE_OK : JOSE_E_SIG_FAILED;
}
