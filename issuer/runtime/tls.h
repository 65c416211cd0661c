/*
 * tls.h: TLS for `serve --tls-cert FILE --tls-key FILE`, for a single machine
 * without a proxy in front: TLS 1.2 and 1.3 only, TLS 1.2 limited to ECDHE with
 * AES-GCM or ChaCha20-Poly1305 (forward secrecy, AEAD), HTTP/1.1 by ALPN, and
 * HTTP/2 too only when asked for (HTTP2=on): the HTTP/2 of Debian's H2O 2.2.5
 * predates the fix for rapid reset (CVE-2023-44487), where a client opens and
 * cancels streams without limit. The certificate can be replaced while serving: a context
 * made from the new files is used for every connection accepted after it,
 * while connections already open keep theirs.
 */
#ifndef ISSUER_RUNTIME_TLS_H
#define ISSUER_RUNTIME_TLS_H

#include <stddef.h>

#include <openssl/ssl.h>

/* TLS 1.2's cipher suites (OpenSSL names); TLS 1.3 keeps OpenSSL's defaults (all AEAD). */
#ifndef TLS_CIPHERS_12
/* clang-format off */
#define TLS_CIPHERS_12 \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:" \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:" \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"
/* clang-format on */
#endif

/*
 * A server context for the PEM certificate chain in cert_file and the private key
 * in key_file (which must match), or NULL with a one-line reason in err. ALPN
 * selects h2 when http2 is 1 and the client offers it, else http/1.1.
 */
SSL_CTX *tls_context_new(const char *cert_file, const char *key_file, int http2, char *err, size_t errlen);

#endif
