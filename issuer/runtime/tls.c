/*
 * tls.c: the server's TLS contexts (see tls.h). Never logs key material; an
 * error line names the file and OpenSSL's reason only.
 */
#include <stdio.h>

#include <h2o.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include "runtime/tls.h"

/* OpenSSL's first queued error as text ("" when none), the queue cleared. */
static const char *ssl_reason(char *buf, size_t len)
{
	unsigned long e = ERR_get_error();

	buf[0] = '\0';
	if (e)
		ERR_error_string_n(e, buf, len);
	ERR_clear_error();
	return buf;
}

/* see tls.h */
SSL_CTX *tls_context_new(const char *cert_file, const char *key_file, int http2, char *err, size_t errlen)
{
	/* h2o_alpn_protocols: h2 first, then http/1.1. Without HTTP/2, http/1.1 alone: a client
	 * that offers only h2 gets no ALPN answer, and HTTP/1.1. */
	static const h2o_iovec_t http1_only[] = {{H2O_STRLIT("http/1.1")}, {NULL, 0}};
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	char why[256];

	ERR_clear_error();
	if (!ctx || !SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) ||
	    !SSL_CTX_set_cipher_list(ctx, TLS_CIPHERS_12)) {
		snprintf(err, errlen, "cannot set up TLS: %s", ssl_reason(why, sizeof why));
		goto fail;
	}
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
	                             SSL_OP_CIPHER_SERVER_PREFERENCE);
	if (SSL_CTX_use_certificate_chain_file(ctx, cert_file) != 1) {
		snprintf(err, errlen, "%s: not a PEM certificate chain: %s", cert_file,
		         ssl_reason(why, sizeof why));
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key_file, SSL_FILETYPE_PEM) != 1) {
		if (ERR_GET_REASON(ERR_peek_error()) == X509_R_KEY_VALUES_MISMATCH)
			snprintf(err, errlen, "%s does not match the certificate in %s", key_file, cert_file);
		else
			snprintf(err, errlen, "%s: not a PEM private key: %s", key_file,
			         ssl_reason(why, sizeof why));
		ERR_clear_error();
		goto fail;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		snprintf(err, errlen, "%s does not match the certificate in %s", key_file, cert_file);
		goto fail;
	}
	h2o_ssl_register_alpn_protocols(ctx, http2 ? h2o_alpn_protocols : http1_only);
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}
