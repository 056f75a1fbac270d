// SPDX-License-Identifier: MIT
/*
 * Signing: payload ‖ DER CMS SignedData ‖ trailer. The CMS is detached (the payload is not
 * repeated inside it), SHA-256 with ECDSA, with the signed attributes content-type,
 * message-digest and signing-time, and carries the signer and the chain certificates so that a
 * verifier needs nothing but the pinned root. Whether the signer's certificate fits the profile
 * is for the verifier to decide; here only the key must match the certificate.
 */
#include "sig_internal.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <xdrv/signer.h>
#include <xdrv/util.h>

#define PEM_MAX (1u << 20) /* a certificate chain or key file is a few KiB */

/* Every certificate in a PEM file, in order; at least one. */
static int load_certs(const char *path, STACK_OF(X509) * *out, char **err)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc = xdrv_read_file(path, PEM_MAX, &buf, &len, err);
	if (rc)
		return rc;
	STACK_OF(X509) *sk = sk_X509_new_null();
	BIO *b = BIO_new_mem_buf(buf, (int)len);
	if (!sk || !b) {
		rc = xdrv_err(err, -ENOMEM, "%s: out of memory", path);
		goto out_free;
	}
	X509 *x;
	while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
		if (!sk_X509_push(sk, x)) {
			X509_free(x);
			rc = xdrv_err(err, -ENOMEM, "%s: out of memory", path);
			goto out_free;
		}
	}
	/* The loop ends on "no start line" at the end of the file; anything else is damage. */
	if (ERR_GET_REASON(ERR_peek_last_error()) != PEM_R_NO_START_LINE) {
		char why[256];
		rc = xdrv_err(err, -EINVAL, "%s: certificate %d: %s", path, sk_X509_num(sk) + 1,
			      sig_ossl_err(why, sizeof why));
		goto out_free;
	}
	ERR_clear_error();
	if (sk_X509_num(sk) == 0) {
		rc = xdrv_err(err, -EINVAL, "%s: no PEM certificate in the file", path);
		goto out_free;
	}
	*out = sk;
	sk = NULL;
out_free:
	sk_X509_pop_free(sk, X509_free);
	BIO_free(b);
	free(buf);
	return rc;
}

static int load_key(const char *path, EVP_PKEY **out, char **err)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc = xdrv_read_file(path, PEM_MAX, &buf, &len, err);
	if (rc)
		return rc;
	BIO *b = BIO_new_mem_buf(buf, (int)len);
	/* No passphrase callback: an encrypted key fails here instead of prompting. */
	EVP_PKEY *k = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, (void *)"") : NULL;
	if (!k) {
		char why[256];
		rc = xdrv_err(err, -EINVAL, "%s: not a PEM private key: %s", path,
			      sig_ossl_err(why, sizeof why));
	}
	*out = k;
	BIO_free(b);
	OPENSSL_cleanse(buf, len);
	free(buf);
	return rc;
}

/* DER CMS SignedData over payload, detached; *der is OPENSSL_malloc'd. */
static int make_cms(const uint8_t *payload, size_t len, X509 *cert, EVP_PKEY *key,
		    STACK_OF(X509) * chain, unsigned char **der, size_t *der_len, char **err)
{
	char why[256];
	int rc = 0;
	/* BINARY: no MIME canonicalisation of the bytes; NOSMIMECAP: no capabilities attribute,
	 * only content-type, message-digest and signing-time are signed; PARTIAL: add the signer
	 * with an explicit digest before finalising. */
	const unsigned flags = CMS_DETACHED | CMS_BINARY | CMS_NOSMIMECAP | CMS_PARTIAL;
	BIO *data = BIO_new_mem_buf(payload, (int)len);
	CMS_ContentInfo *cms = data ? CMS_sign(NULL, NULL, NULL, NULL, flags) : NULL;
	if (!cms || !CMS_add1_signer(cms, cert, key, EVP_sha256(), flags))
		goto out_ossl;
	/* OpenSSL 3.0 refuses a certificate the CMS already holds (3.2 skips it): add each
	 * chain certificate once, and not the signer's again. */
	for (int i = 0; i < sk_X509_num(chain); i++) {
		X509 *x = sk_X509_value(chain, i);
		int dup = X509_cmp(x, cert) == 0;
		for (int j = 0; j < i && !dup; j++)
			dup = X509_cmp(x, sk_X509_value(chain, j)) == 0;
		if (!dup && !CMS_add1_cert(cms, x))
			goto out_ossl;
	}
	if (CMS_final(cms, data, NULL, flags) != 1)
		goto out_ossl;
	unsigned char *p = NULL;
	int n = i2d_CMS_ContentInfo(cms, &p);
	if (n <= 0 || !p) {
		rc = xdrv_err(err, -EINVAL, "CMS encoding: %s", sig_ossl_err(why, sizeof why));
		goto out_free;
	}
	if ((size_t)n > SIG_CMS_MAX) {
		OPENSSL_free(p);
		rc = xdrv_err(err, -E2BIG,
			      "signature is %d bytes, over the limit of %u (too many chain "
			      "certificates?)",
			      n, SIG_CMS_MAX);
		goto out_free;
	}
	*der = p;
	*der_len = (size_t)n;
	goto out_free;
out_ossl:
	rc = xdrv_err(err, -EINVAL, "CMS signing: %s", sig_ossl_err(why, sizeof why));
out_free:
	CMS_ContentInfo_free(cms);
	BIO_free(data);
	return rc;
}

int sig_sign_file(const char *in, const char *out, const char *cert_pem, const char *key_pem,
		  const char *chain_pem, char **err)
{
	uint8_t *payload = NULL, *signed_pkg = NULL;
	unsigned char *der = NULL;
	size_t len = 0, der_len = 0;
	STACK_OF(X509) *certs = NULL, *chain = NULL;
	EVP_PKEY *key = NULL;
	char why[256];

	if (!in || !out || !cert_pem || !key_pem || !chain_pem)
		return xdrv_err(err, -EINVAL,
				"sign: missing input, output, certificate, key or "
				"chain path");
	int rc = sig_oids_init(err);
	if (rc)
		return rc;
	if ((rc = xdrv_read_file(in, SIG_PACKAGE_MAX, &payload, &len, err)) != 0)
		goto out;
	if (sig_trailer_parse(payload, len, NULL, NULL, NULL, NULL) == 0) {
		rc = xdrv_err(err, -EEXIST,
			      "%s: already signed (it ends with an xdrv signature trailer); sign "
			      "the unsigned package",
			      in);
		goto out;
	}
	if ((rc = load_certs(cert_pem, &certs, err)) != 0 ||
	    (rc = load_certs(chain_pem, &chain, err)) != 0 ||
	    (rc = load_key(key_pem, &key, err)) != 0)
		goto out;
	X509 *cert = sk_X509_value(certs, 0);
	if (X509_check_private_key(cert, key) != 1) {
		rc = xdrv_err(err, -EINVAL, "%s does not belong to the certificate in %s (%s)",
			      key_pem, cert_pem, sig_ossl_err(why, sizeof why));
		goto out;
	}
	if ((rc = make_cms(payload, len, cert, key, chain, &der, &der_len, err)) != 0) {
		xdrv_err_prefix(err, "%s", in);
		goto out;
	}
	size_t total = len + der_len + SIG_TRAILER_SIZE;
	signed_pkg = malloc(total);
	if (!signed_pkg) {
		rc = xdrv_err(err, -ENOMEM, "%s: out of memory", in);
		goto out;
	}
	memcpy(signed_pkg, payload, len);
	memcpy(signed_pkg + len, der, der_len);
	sig_trailer_encode(signed_pkg + len + der_len, len, der_len);
	rc = xdrv_write_file_atomic(out, signed_pkg, total, 0644, err);
out:
	free(signed_pkg);
	OPENSSL_free(der);
	EVP_PKEY_free(key);
	sk_X509_pop_free(chain, X509_free);
	sk_X509_pop_free(certs, X509_free);
	free(payload);
	ERR_clear_error();
	return rc;
}
