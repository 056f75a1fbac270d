// SPDX-License-Identifier: MIT
/*
 * Tests for signer/revocation.c: a CRL made by sig_crl_create under the root revokes a package
 * whose signer (or vendor CA) is listed; a CRL from another root is refused; the deny-list
 * matches the payload digest (not the file's) and names file:line; malformed deny-lists are
 * refused.
 */
#include "../xtest.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <xdrv/revocation.h>

#include "fixture.h"

static char *pki, *other, *pkg;
static uint8_t *buf;
static size_t len;

static int init(void)
{
	struct sig_pki_opts o = {0};
	pki = sigfx_pki(o);
	other = sigfx_pki(o);
	char *payload = sigfx_payload(300);
	pkg = pki && payload ? sigfx_sign(pki, payload) : NULL;
	free(payload);
	buf = pkg ? xtest_read(pkg, &len) : NULL;
	return buf && other ? 0 : -1;
}

static int clean(void)
{
	free(pki);
	free(other);
	free(pkg);
	free(buf);
	return 0;
}

static void test_revocation_crl_revokes_the_signer(void)
{
	const char *crl = xtest_path("%s/crl.pem", xtest_tmpdir());
	const char *cert = sigfx_file(pki, "signer.pem");
	struct sig_revocation *r = NULL;
	char *e = NULL;
	CU_ASSERT_EQUAL_FATAL(sig_crl_create(sigfx_file(pki, "root.pem"),
					     sigfx_file(pki, "root.key"), &cert, 1, NULL, 0, 30,
					     crl, NULL),
			      0);
	CU_ASSERT_EQUAL_FATAL(sig_revocation_load(sigfx_file(pki, "root.pem"), crl, NULL, &r, NULL),
			      0);
	CU_ASSERT_EQUAL(sig_revocation_check(r, buf, len, &e), -EKEYREVOKED);
	CU_ASSERT(sigfx_has(
		e, "signer certificate (O = xdrv dev vendor, CN = driver signer) serial 0x"));
	CU_ASSERT(sigfx_has(e, "is revoked by the root's CRL"));
	free(e);
	sig_revocation_free(r);
}

static void test_revocation_crl_of_unrelated_serial_lets_package_pass(void)
{
	const char *crl = xtest_path("%s/crl2.pem", xtest_tmpdir());
	const char *serial = "0x1234";
	struct sig_revocation *r = NULL;
	CU_ASSERT_EQUAL_FATAL(sig_crl_create(sigfx_file(pki, "root.pem"),
					     sigfx_file(pki, "root.key"), NULL, 0, &serial, 1, 30,
					     crl, NULL),
			      0);
	CU_ASSERT_EQUAL_FATAL(sig_revocation_load(sigfx_file(pki, "root.pem"), crl, NULL, &r, NULL),
			      0);
	CU_ASSERT_EQUAL(sig_revocation_check(r, buf, len, NULL), 0);
	sig_revocation_free(r);
}

static void test_revocation_rejects_crl_of_another_root(void)
{
	const char *crl = xtest_path("%s/crl3.pem", xtest_tmpdir());
	const char *serial = "01";
	struct sig_revocation *r = NULL;
	char *e = NULL;
	CU_ASSERT_EQUAL_FATAL(sig_crl_create(sigfx_file(other, "root.pem"),
					     sigfx_file(other, "root.key"), NULL, 0, &serial, 1, 30,
					     crl, NULL),
			      0);
	CU_ASSERT_EQUAL(sig_revocation_load(sigfx_file(pki, "root.pem"), crl, NULL, &r, &e),
			-EPERM);
	CU_ASSERT(sigfx_has(e, "signature is not the pinned root's"));
	CU_ASSERT_PTR_NULL(r);
	free(e);
}

static void test_revocation_deny_list_matches_payload_digest(void)
{
	uint8_t d[32];
	unsigned int dl = 32;
	char hex[65];
	size_t plen = 0;
	CU_ASSERT_EQUAL_FATAL(sig_trailer_parse(buf, len, &plen, NULL, NULL, NULL), 0);
	EVP_Digest(buf, plen, d, &dl, EVP_sha256(), NULL);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
	const char *deny = xtest_path("%s/deny.txt", xtest_tmpdir());
	char text[256];
	snprintf(text, sizeof text, "# denied\n\n%s  # bad build\n", hex);
	CU_ASSERT_EQUAL_FATAL(xtest_write(deny, text, strlen(text)), 0);
	struct sig_revocation *r = NULL;
	char *e = NULL;
	CU_ASSERT_EQUAL_FATAL(sig_revocation_load(NULL, NULL, deny, &r, NULL), 0);
	CU_ASSERT_EQUAL(sig_revocation_check(r, buf, len, &e), -EKEYREVOKED);
	CU_ASSERT(sigfx_has(e, "package payload digest"));
	CU_ASSERT(sigfx_has(e, "is on the deny-list"));
	CU_ASSERT(sigfx_has(e, "deny.txt:3)"));
	free(e);
	sig_revocation_free(r);
}

/* A file digest (what deny-lists held before issue 10) is not an identity: it matches nothing. */
static void test_revocation_deny_list_ignores_file_digest(void)
{
	uint8_t d[32];
	unsigned int dl = 32;
	char hex[65], text[128];
	EVP_Digest(buf, len, d, &dl, EVP_sha256(), NULL);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
	const char *deny = xtest_path("%s/deny-file.txt", xtest_tmpdir());
	snprintf(text, sizeof text, "%s\n", hex);
	CU_ASSERT_EQUAL_FATAL(xtest_write(deny, text, strlen(text)), 0);
	struct sig_revocation *r = NULL;
	CU_ASSERT_EQUAL_FATAL(sig_revocation_load(NULL, NULL, deny, &r, NULL), 0);
	CU_ASSERT_EQUAL(sig_revocation_check(r, buf, len, NULL), 0);
	sig_revocation_free(r);
}

static void test_revocation_rejects_malformed_deny_list(void)
{
	const char *deny = xtest_path("%s/deny-bad.txt", xtest_tmpdir());
	const char *text = "abcd\n";
	CU_ASSERT_EQUAL_FATAL(xtest_write(deny, text, strlen(text)), 0);
	struct sig_revocation *r = NULL;
	char *e = NULL;
	CU_ASSERT_EQUAL(sig_revocation_load(NULL, NULL, deny, &r, &e), -EBADMSG);
	CU_ASSERT(sigfx_has(e, "deny-bad.txt:1: not a SHA-256 (64 hex digits): abcd"));
	free(e);
}

XTEST_SUITE(signer_revocation, init, clean, XTEST(test_revocation_crl_revokes_the_signer),
	    XTEST(test_revocation_crl_of_unrelated_serial_lets_package_pass),
	    XTEST(test_revocation_rejects_crl_of_another_root),
	    XTEST(test_revocation_deny_list_matches_payload_digest),
	    XTEST(test_revocation_deny_list_ignores_file_digest),
	    XTEST(test_revocation_rejects_malformed_deny_list))
