// SPDX-License-Identifier: MIT
/*
 * Tests for the one-encoding rule of signer/verify.c (issue 10): a corpus of malleated
 * signatures, made at test time from a good package, each refused with a message that names
 * the malleation. Byte-level edits need no key (what an attacker without one can do: a BER
 * indefinite length, a non-minimal length, a changed signatureAlgorithm OID, bytes after the
 * DER inside the trailer's cms_len, an unsigned attribute); an extra signed attribute and a
 * second SignerInfo are re-signed with the fixture's signer key, as a vendor could. Also:
 * revocation keys on the payload digest, so a deny-listed package stays revoked when its
 * signature is re-encoded, and `xdrv verify` of a malleated file exits non-zero.
 */
#include "../xtest.h"
#include "fixture.h"

#include <errno.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xdrv/revocation.h>
#include <xdrv/signer.h>

static char *pki, *payload_path;
static struct sig_trust *trust;
static uint8_t *pkg; /* the good package */
static size_t pkg_len, plen, coff, clen;

static int suite_init(void)
{
	pki = sigfx_pki((struct sig_pki_opts){0});
	payload_path = sigfx_payload(1500);
	if (!pki || !payload_path ||
	    sig_trust_create(sigfx_file(pki, "root.pem"), 0, &trust, NULL) != 0)
		return -1;
	char *out = sigfx_sign(pki, payload_path);
	pkg = out ? xtest_read(out, &pkg_len) : NULL;
	free(out);
	if (!pkg || sig_trailer_parse(pkg, pkg_len, &plen, &coff, &clen, NULL) != 0)
		return -1;
	/* The edits below assume the outer SEQUENCE has a two-byte long-form length. */
	return pkg[coff] == 0x30 && pkg[coff + 1] == 0x82 ? 0 : -1;
}

static int suite_clean(void)
{
	sig_trust_destroy(trust);
	free(pkg);
	free(pki);
	free(payload_path);
	return 0;
}

/* payload ‖ cms ‖ trailer, malloc'd. */
static uint8_t *repack(const uint8_t *cms, size_t n, size_t *out_len)
{
	*out_len = plen + n + SIG_TRAILER_SIZE;
	uint8_t *b = calloc(1, *out_len);
	if (!b)
		return NULL;
	memcpy(b, pkg, plen);
	memcpy(b + plen, cms, n);
	uint8_t *t = b + plen + n;
	memcpy(t, SIG_TRAILER_MAGIC, sizeof SIG_TRAILER_MAGIC);
	sigfx_put_le32(t + 16, 1);
	sigfx_put_le64(t + 24, plen);
	sigfx_put_le64(t + 32, n);
	return b;
}

static void expect_refused(const uint8_t *b, size_t n, const char *needle)
{
	char *err = NULL;
	struct sig_info info;
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_EQUAL(sig_verify(trust, b, n, &info, &err), -EBADMSG);
	CU_ASSERT(sigfx_has(err, needle));
	free(err);
}

/* The outer SEQUENCE re-encoded with an indefinite length: 30 82 LL LL ... becomes
 * 30 80 ... 00 00, the same size, four bytes changed. */
static uint8_t *ber_indefinite(size_t *n)
{
	uint8_t *cms = malloc(clen);
	if (!cms)
		return NULL;
	cms[0] = 0x30;
	cms[1] = 0x80;
	memcpy(cms + 2, pkg + coff + 4, clen - 4);
	cms[clen - 2] = cms[clen - 1] = 0;
	uint8_t *b = repack(cms, clen, n);
	free(cms);
	return b;
}

static void test_malleation_refuses_ber_indefinite_length(void)
{
	size_t n = 0;
	uint8_t *b = ber_indefinite(&n);
	expect_refused(b, n, "CMS is not DER (re-encoding differs at byte 1;");
	free(b);
}

static void test_malleation_refuses_non_minimal_length(void)
{
	uint8_t *cms = malloc(clen + 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cms);
	cms[0] = 0x30;
	cms[1] = 0x83; /* three length bytes where two suffice */
	cms[2] = 0;
	memcpy(cms + 3, pkg + coff + 2, clen - 2);
	size_t n = 0;
	uint8_t *b = repack(cms, clen + 1, &n);
	expect_refused(b, n, "CMS is not DER (re-encoding differs at byte 1;");
	free(b);
	free(cms);
}

static void test_malleation_refuses_changed_signature_algorithm(void)
{
	/* ecdsa-with-SHA256; its last occurrence is the SignerInfo's (certificates come first). */
	static const uint8_t oid[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02};
	size_t n = 0, at = 0;
	uint8_t *b = repack(pkg + coff, clen, &n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	for (size_t i = plen; i + sizeof oid <= plen + clen; i++)
		if (memcmp(b + i, oid, sizeof oid) == 0)
			at = i;
	CU_ASSERT_FATAL(at != 0);
	b[at + sizeof oid - 1] = 0x03; /* ecdsa-with-SHA384 */
	expect_refused(b, n,
		       "signatureAlgorithm 1.2.840.10045.4.3.3 does not match the signer's key "
		       "(want ecdsa-with-SHA256");
	free(b);
}

static void test_malleation_refuses_bytes_after_der_inside_cms_len(void)
{
	uint8_t *cms = calloc(1, clen + 3);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cms);
	memcpy(cms, pkg + coff, clen);
	size_t n = 0;
	uint8_t *b = repack(cms, clen + 3, &n);
	expect_refused(b, n, "CMS: 3 bytes after the DER structure");
	free(b);
	free(cms);
}

static CMS_ContentInfo *parse_good(void)
{
	const unsigned char *p = pkg + coff;
	return d2i_CMS_ContentInfo(NULL, &p, (long)clen);
}

static uint8_t *repack_cms(CMS_ContentInfo *cms, size_t *n)
{
	unsigned char *der = NULL;
	int dl = cms ? i2d_CMS_ContentInfo(cms, &der) : -1;
	uint8_t *b = dl > 0 ? repack(der, (size_t)dl, n) : NULL;
	OPENSSL_free(der);
	return b;
}

static void test_malleation_refuses_unsigned_attribute(void)
{
	CMS_ContentInfo *cms = parse_good();
	CU_ASSERT_PTR_NOT_NULL_FATAL(cms);
	CMS_SignerInfo *si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms), 0);
	CU_ASSERT_FATAL(CMS_unsigned_add1_attr_by_NID(si, NID_pkcs9_unstructuredName,
						      V_ASN1_UTF8STRING, "hello", 5) == 1);
	size_t n = 0;
	uint8_t *b = repack_cms(cms, &n);
	expect_refused(b, n,
		       "CMS: unsigned attribute 1.2.840.113549.1.9.2; xdrv signatures carry none");
	free(b);
	CMS_ContentInfo_free(cms);
}

static X509 *read_cert(const char *path)
{
	FILE *f = fopen(path, "r");
	X509 *x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
	if (f)
		fclose(f);
	return x;
}

static EVP_PKEY *read_key(const char *path)
{
	FILE *f = fopen(path, "r");
	EVP_PKEY *k = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
	if (f)
		fclose(f);
	return k;
}

/* Sign the good payload again with the fixture's signer key, the way signer/sign.c does, plus
 * an extra signed attribute or a second SignerInfo. */
static uint8_t *resign(int extra_signed_attr, int two_signers, size_t *n)
{
	const unsigned flags = CMS_DETACHED | CMS_BINARY | CMS_NOSMIMECAP | CMS_PARTIAL;
	X509 *cert = read_cert(sigfx_file(pki, "signer.pem"));
	X509 *vendor = read_cert(sigfx_file(pki, "vendor.pem"));
	EVP_PKEY *key = read_key(sigfx_file(pki, "signer.key"));
	BIO *data = BIO_new_mem_buf(pkg, (int)plen);
	CMS_ContentInfo *cms = CMS_sign(NULL, NULL, NULL, NULL, flags);
	CMS_SignerInfo *si =
		cms && cert && key ? CMS_add1_signer(cms, cert, key, EVP_sha256(), flags) : NULL;
	uint8_t *b = NULL;
	int ok = si && vendor && data && CMS_add1_cert(cms, vendor) == 1;
	if (ok && extra_signed_attr)
		ok = CMS_signed_add1_attr_by_NID(si, NID_pkcs9_unstructuredName, V_ASN1_UTF8STRING,
						 "hello", 5) == 1;
	if (ok && two_signers)
		ok = CMS_add1_signer(cms, cert, key, EVP_sha256(), flags | CMS_NOCERTS) != NULL;
	if (ok && CMS_final(cms, data, NULL, flags) == 1)
		b = repack_cms(cms, n);
	ERR_clear_error();
	CMS_ContentInfo_free(cms);
	BIO_free(data);
	EVP_PKEY_free(key);
	X509_free(vendor);
	X509_free(cert);
	return b;
}

static void test_malleation_resigned_control_verifies(void)
{
	/* The re-signing helper itself makes a package that verifies: the refusals below are
	 * about the one change each makes, not the helper. */
	size_t n = 0;
	uint8_t *b = resign(0, 0, &n);
	char *err = NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_EQUAL(sig_verify(trust, b, n, NULL, &err), 0);
	if (err)
		fprintf(stderr, "control: %s\n", err);
	free(err);
	free(b);
}

static void test_malleation_refuses_extra_signed_attribute(void)
{
	size_t n = 0;
	uint8_t *b = resign(1, 0, &n);
	expect_refused(b, n,
		       "CMS: unknown signed attribute 1.2.840.113549.1.9.2 (xdrv signatures carry "
		       "contentType, messageDigest and signingTime only)");
	free(b);
}

static void test_malleation_refuses_two_signer_infos(void)
{
	size_t n = 0;
	uint8_t *b = resign(0, 1, &n);
	expect_refused(b, n, "CMS: 2 signers, expected exactly 1");
	free(b);
}

static void payload_hex(char hex[65])
{
	uint8_t d[32];
	unsigned int dl = 32;
	EVP_Digest(pkg, plen, d, &dl, EVP_sha256(), NULL);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
}

static void test_malleation_deny_listed_payload_stays_revoked_when_re_encoded(void)
{
	char hex[65], text[128];
	payload_hex(hex);
	const char *deny = xtest_path("%s/deny.txt", xtest_tmpdir());
	snprintf(text, sizeof text, "%s\n", hex);
	CU_ASSERT_EQUAL_FATAL(xtest_write(deny, text, strlen(text)), 0);
	struct sig_revocation *r = NULL;
	CU_ASSERT_EQUAL_FATAL(sig_revocation_load(NULL, NULL, deny, &r, NULL), 0);
	size_t n = 0;
	uint8_t *b = ber_indefinite(&n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT(memcmp(b, pkg, n) != 0); /* a different file ... */
	char *e = NULL;
	CU_ASSERT_EQUAL(sig_revocation_check(r, pkg, pkg_len, &e), -EKEYREVOKED);
	free(e);
	e = NULL;
	CU_ASSERT_EQUAL(sig_revocation_check(r, b, n, &e), -EKEYREVOKED); /* ... same payload */
	CU_ASSERT(sigfx_has(e, hex));
	free(e);
	sig_revocation_free(r);
	free(b);
}

static void test_malleation_xdrv_verify_exits_non_zero(void)
{
	const char *xdrv = xtest_path("%s/bin/xdrv", xtest_build_dir());
	char root[4096], good_path[4096], bad_path[4096];
	snprintf(root, sizeof root, "%s", sigfx_file(pki, "root.pem"));
	snprintf(good_path, sizeof good_path, "%s", xtest_path("%s/good.xdrv", xtest_tmpdir()));
	snprintf(bad_path, sizeof bad_path, "%s", xtest_path("%s/ber.xdrv", xtest_tmpdir()));
	size_t n = 0;
	uint8_t *b = ber_indefinite(&n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_EQUAL_FATAL(xtest_write(bad_path, b, n), 0);
	CU_ASSERT_EQUAL_FATAL(xtest_write(good_path, pkg, pkg_len), 0);
	free(b);
	/* the control first, so that a missing binary cannot pass as a refusal */
	CU_ASSERT_EQUAL(xtest_sh("'%s' verify --trust '%s' '%s'", xdrv, root, good_path), 0);
	CU_ASSERT_NOT_EQUAL(xtest_sh("'%s' verify --trust '%s' '%s'", xdrv, root, bad_path), 0);
	CU_ASSERT_EQUAL(xtest_sh("'%s' verify --trust '%s' '%s' 2>&1 | grep -q 'CMS is not DER'",
				 xdrv, root, bad_path),
			0);
}

XTEST_SUITE(signer_malleation, suite_init, suite_clean,
	    XTEST(test_malleation_refuses_ber_indefinite_length),
	    XTEST(test_malleation_refuses_non_minimal_length),
	    XTEST(test_malleation_refuses_changed_signature_algorithm),
	    XTEST(test_malleation_refuses_bytes_after_der_inside_cms_len),
	    XTEST(test_malleation_refuses_unsigned_attribute),
	    XTEST(test_malleation_resigned_control_verifies),
	    XTEST(test_malleation_refuses_extra_signed_attribute),
	    XTEST(test_malleation_refuses_two_signer_infos),
	    XTEST(test_malleation_deny_listed_payload_stays_revoked_when_re_encoded),
	    XTEST(test_malleation_xdrv_verify_exits_non_zero))
