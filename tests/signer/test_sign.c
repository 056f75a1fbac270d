// SPDX-License-Identifier: MIT
/*
 * Tests for signer/sign.c: the layout of a signed package, the CMS it carries (read back with
 * OpenSSL, independently of verify.c), and what signing refuses.
 */
#include "../xtest.h"
#include "fixture.h"

#include <errno.h>
#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xdrv/signer.h>

static char *pki, *other_pki, *payload;

static int suite_init(void)
{
	pki = sigfx_pki((struct sig_pki_opts){0});
	other_pki = sigfx_pki((struct sig_pki_opts){0});
	payload = sigfx_payload(1000);
	return pki && other_pki && payload ? 0 : -1;
}

static int suite_clean(void)
{
	free(pki);
	free(other_pki);
	free(payload);
	return 0;
}

static void test_sign_appends_cms_and_trailer(void)
{
	char *out = sigfx_sign(pki, payload);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	size_t plen = 0, len = 0, pl = 0, off = 0, clen = 0;
	unsigned char *orig = xtest_read(payload, &plen), *b = xtest_read(out, &len);
	CU_ASSERT_EQUAL(sig_trailer_parse(b, len, &pl, &off, &clen, NULL), 0);
	CU_ASSERT_EQUAL(pl, plen);
	CU_ASSERT_EQUAL(off, plen);
	CU_ASSERT_EQUAL(pl + clen + SIG_TRAILER_SIZE, len);
	CU_ASSERT(clen > 0 && clen <= SIG_CMS_MAX);
	CU_ASSERT_EQUAL(memcmp(b, orig, plen), 0);
	/* trailer bytes as documented: magic, version 1 LE, flags 0, lengths LE, reserved 0 */
	const unsigned char *t = b + len - SIG_TRAILER_SIZE;
	CU_ASSERT_EQUAL(memcmp(t, "XDRV-SIGNATURE\n\0", 16), 0);
	CU_ASSERT(t[16] == 1 && t[17] == 0 && t[18] == 0 && t[19] == 0);
	CU_ASSERT(t[24] == (plen & 0xff) && t[25] == (plen >> 8));
	static const unsigned char zero[8];
	CU_ASSERT_EQUAL(memcmp(t + 40, zero, 8), 0);
	free(orig);
	free(b);
	free(out);
}

static void test_sign_writes_detached_sha256_cms_with_chain(void)
{
	char *out = sigfx_sign(pki, payload);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	size_t len = 0, pl = 0, off = 0, clen = 0;
	unsigned char *b = xtest_read(out, &len);
	CU_ASSERT_EQUAL_FATAL(sig_trailer_parse(b, len, &pl, &off, &clen, NULL), 0);
	const unsigned char *p = b + off;
	CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &p, (long)clen);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cms);
	CU_ASSERT_EQUAL(OBJ_obj2nid(CMS_get0_type(cms)), NID_pkcs7_signed);
	CU_ASSERT_EQUAL(CMS_is_detached(cms), 1);
	STACK_OF(X509) *certs = CMS_get1_certs(cms);
	CU_ASSERT_EQUAL(sk_X509_num(certs), 2); /* signer + vendor CA */
	sk_X509_pop_free(certs, X509_free);
	STACK_OF(CMS_SignerInfo) *sis = CMS_get0_SignerInfos(cms);
	CU_ASSERT_EQUAL_FATAL(sk_CMS_SignerInfo_num(sis), 1);
	CMS_SignerInfo *si = sk_CMS_SignerInfo_value(sis, 0);
	X509_ALGOR *dig = NULL, *sig = NULL;
	CMS_SignerInfo_get0_algs(si, NULL, NULL, &dig, &sig);
	CU_ASSERT_EQUAL(OBJ_obj2nid(dig->algorithm), NID_sha256);
	CU_ASSERT_EQUAL(OBJ_obj2nid(sig->algorithm), NID_ecdsa_with_SHA256);
	CU_ASSERT(CMS_signed_get_attr_by_NID(si, NID_pkcs9_contentType, -1) >= 0);
	CU_ASSERT(CMS_signed_get_attr_by_NID(si, NID_pkcs9_messageDigest, -1) >= 0);
	CU_ASSERT(CMS_signed_get_attr_by_NID(si, NID_pkcs9_signingTime, -1) >= 0);
	CU_ASSERT_EQUAL(CMS_signed_get_attr_count(si), 3);
	ASN1_OCTET_STRING *md = CMS_signed_get0_data_by_OBJ(
		si, OBJ_nid2obj(NID_pkcs9_messageDigest), -3, V_ASN1_OCTET_STRING);
	unsigned char want[32];
	CU_ASSERT_EQUAL(EVP_Digest(b, pl, want, NULL, EVP_sha256(), NULL), 1);
	CU_ASSERT(md && ASN1_STRING_length(md) == 32 &&
		  memcmp(ASN1_STRING_get0_data(md), want, 32) == 0);
	CMS_ContentInfo_free(cms);
	free(b);
	free(out);
}

static void test_sign_refuses_already_signed_input(void)
{
	char *out = sigfx_sign(pki, payload);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	char *err = NULL;
	const char *again = xtest_path("%s/again.xdrv", xtest_tmpdir());
	CU_ASSERT_EQUAL(sig_sign_file(out, again, sigfx_file(pki, "signer.pem"),
				      sigfx_file(pki, "signer.key"), sigfx_file(pki, "vendor.pem"),
				      &err),
			-EEXIST);
	CU_ASSERT(sigfx_has(err, "already signed"));
	free(err);
	free(out);
}

static void test_sign_in_place_replaces_input(void)
{
	const char *p = xtest_path("%s/inplace.xdrv", xtest_tmpdir());
	CU_ASSERT_EQUAL_FATAL(xtest_write(p, "hello driver", 12), 0);
	char *path = strdup(p), *err = NULL;
	CU_ASSERT_EQUAL(sig_sign_file(path, path, sigfx_file(pki, "signer.pem"),
				      sigfx_file(pki, "signer.key"), sigfx_file(pki, "vendor.pem"),
				      &err),
			0);
	size_t len = 0, pl = 0;
	unsigned char *b = xtest_read(path, &len);
	CU_ASSERT_EQUAL(sig_trailer_parse(b, len, &pl, NULL, NULL, NULL), 0);
	CU_ASSERT_EQUAL(pl, 12);
	free(b);
	free(path);
	free(err);
}

static void test_sign_accepts_empty_payload(void)
{
	const char *p = xtest_path("%s/empty", xtest_tmpdir());
	CU_ASSERT_EQUAL_FATAL(xtest_write(p, "", 0), 0);
	char *in = strdup(p);
	char *out = sigfx_sign(pki, in);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	size_t len = 0, pl = 9;
	unsigned char *b = xtest_read(out, &len);
	CU_ASSERT_EQUAL(sig_trailer_parse(b, len, &pl, NULL, NULL, NULL), 0);
	CU_ASSERT_EQUAL(pl, 0);
	free(b);
	free(out);
	free(in);
}

static void test_sign_rejects_key_of_another_certificate(void)
{
	char *err = NULL;
	const char *out = xtest_path("%s/x.xdrv", xtest_tmpdir());
	CU_ASSERT_EQUAL(sig_sign_file(payload, out, sigfx_file(pki, "signer.pem"),
				      sigfx_file(other_pki, "signer.key"),
				      sigfx_file(pki, "vendor.pem"), &err),
			-EINVAL);
	CU_ASSERT(sigfx_has(err, "does not belong to the certificate"));
	free(err);
}

static void test_sign_names_missing_and_malformed_files(void)
{
	char *err = NULL;
	char out[1024];
	snprintf(out, sizeof out, "%s/x.xdrv", xtest_tmpdir());
	CU_ASSERT_EQUAL(sig_sign_file("/nonexistent/in", out, sigfx_file(pki, "signer.pem"),
				      sigfx_file(pki, "signer.key"), sigfx_file(pki, "vendor.pem"),
				      &err),
			-ENOENT);
	CU_ASSERT(sigfx_has(err, "/nonexistent/in"));
	free(err);
	err = NULL;
	/* a key where the certificate should be */
	CU_ASSERT_EQUAL(sig_sign_file(payload, out, sigfx_file(pki, "signer.key"),
				      sigfx_file(pki, "signer.key"), sigfx_file(pki, "vendor.pem"),
				      &err),
			-EINVAL);
	CU_ASSERT(sigfx_has(err, "no PEM certificate"));
	free(err);
	err = NULL;
	/* a certificate where the key should be */
	CU_ASSERT_EQUAL(sig_sign_file(payload, out, sigfx_file(pki, "signer.pem"),
				      sigfx_file(pki, "vendor.pem"), sigfx_file(pki, "vendor.pem"),
				      &err),
			-EINVAL);
	CU_ASSERT(sigfx_has(err, "not a PEM private key"));
	free(err);
	err = NULL;
	/* a damaged certificate */
	const char *bad = xtest_path("%s/bad.pem", xtest_tmpdir());
	const char pem[] = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
	CU_ASSERT_EQUAL_FATAL(xtest_write(bad, pem, sizeof pem - 1), 0);
	CU_ASSERT_EQUAL(sig_sign_file(payload, out, sigfx_file(pki, "signer.pem"),
				      sigfx_file(pki, "signer.key"), bad, &err),
			-EINVAL);
	CU_ASSERT(sigfx_has(err, "bad.pem: certificate 1"));
	free(err);
	FILE *f = fopen(out, "r");
	CU_ASSERT_PTR_NULL(f); /* nothing written */
	if (f)
		fclose(f);
}

XTEST_SUITE(signer_sign, suite_init, suite_clean, XTEST(test_sign_appends_cms_and_trailer),
	    XTEST(test_sign_writes_detached_sha256_cms_with_chain),
	    XTEST(test_sign_refuses_already_signed_input), XTEST(test_sign_in_place_replaces_input),
	    XTEST(test_sign_accepts_empty_payload),
	    XTEST(test_sign_rejects_key_of_another_certificate),
	    XTEST(test_sign_names_missing_and_malformed_files))
