/*
 * jose_utf8.h: the one UTF-8 decoder of the code base (RFC 3629 §4): every
 * place that must tell well-formed text from bytes (JSON strings, passwords,
 * form values, client metadata, the access log's escaping) asks it. Accepts
 * only the shortest form of each code point, no surrogate (U+D800..DFFF) and
 * nothing above U+10FFFF. Never allocates, never reads past n bytes.
 */
#ifndef JOSE_UTF8_H
#define JOSE_UTF8_H

#include <stddef.h>
#include <stdint.h>

/*
 * The length (1..4) of the well-formed UTF-8 sequence at s[0..n), with its code
 * point in *cp when cp is not NULL; 0 when s does not start one (a stray
 * continuation byte, an overlong form, a surrogate, a value past U+10FFFF, a
 * sequence cut short by n, or n == 0).
 */
size_t jose_utf8_seq(const uint8_t *s, size_t n, uint32_t *cp);

#endif
