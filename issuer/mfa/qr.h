/*
 * qr.h: a QR code as a small SVG image, drawn on the server so enrolment needs
 * no third-party service and no script in the page: the TOTP otpauth:// URI
 * (totp.h) is what it carries.
 *
 * The symbol is made by libqrencode (byte mode where needed, error correction
 * level M, the smallest version that holds the text). The SVG is one white
 * square with the quiet zone of QR_QUIET modules (ISO/IEC 18004 §6.3.8 asks for
 * four) and one path for every dark module, runs merged row by row, in module
 * units (viewBox), drawn QR_SVG_SCALE pixels a module unless the page's CSS says
 * otherwise. It carries role="img" and an aria-label, and never the text itself
 * (the secret is in it): the page shows the URI or the secret separately.
 * Nothing here logs; the caller frees the SVG and should wipe it (qr_svg_free).
 */
#ifndef ISSUER_MFA_QR_H
#define ISSUER_MFA_QR_H

#include <stddef.h>

/* Longest text encoded, in bytes (version 40-M holds 2331; an otpauth URI is ~200). */
#ifndef QR_TEXT_MAX
#define QR_TEXT_MAX 1024
#endif
/* Light modules around the symbol, and pixels a module at the SVG's natural size. */
#define QR_QUIET     4
#define QR_SVG_SCALE 4

/*
 * The QR code of text (NUL-terminated, 1..QR_TEXT_MAX bytes) as an SVG document
 * in a new NUL-terminated buffer *svg, its length in *len. 0, or -1 when the text
 * is empty or too long, or memory ran out (*svg is NULL then).
 */
int qr_svg(const char *text, char **svg, size_t *len);

/* Wipe and free an SVG from qr_svg (it encodes the text, a secret); NULL is accepted. */
void qr_svg_free(char *svg, size_t len);

#endif
