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
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
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
					     sigfx_file(pki, "root.key"), &cert, 1, NULL, 0, 30, 0,
					     crl, NULL, NULL),
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
					     0, crl, NULL, NULL),
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
					     0, crl, NULL, NULL),
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

/* ---- freshness (issue 10) ----------------------------------------------------------------- */
#define DAY 86400

/* A CRL under `pki`'s root revoking serial 0x1234, with the given number (0: automatic). */
static struct sig_revocation *make_crl_at(const char *crl, uint32_t days, uint64_t number,
					  uint64_t *written)
{
	const char *serial = "0x1234";
	struct sig_revocation *r = NULL;
	char *e = NULL;
	if (sig_crl_create(sigfx_file(pki, "root.pem"), sigfx_file(pki, "root.key"), NULL, 0,
			   &serial, 1, days, number, crl, written, &e) != 0 ||
	    sig_revocation_load(sigfx_file(pki, "root.pem"), crl, NULL, &r, &e) != 0)
		fprintf(stderr, "make_crl: %s\n", e ? e : "?");
	free(e);
	return r;
}

static struct sig_revocation *make_crl(const char *name, uint32_t days, uint64_t number,
				       uint64_t *written)
{
	char path[4096];
	snprintf(path, sizeof path, "%s", xtest_path("%s/%s", xtest_tmpdir(), name));
	return make_crl_at(path, days, number, written);
}

static int64_t now(void)
{
	return (int64_t)time(NULL);
}

static void test_crl_fresh_accepts_equal_and_higher_numbers(void)
{
	uint64_t n = 0, written = 0;
	struct sig_revocation *r = make_crl("fresh.pem", 30, 7, &written);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(written, 7);
	CU_ASSERT_EQUAL(sig_revocation_crl_fresh(r, now(), 0, &n, NULL), 0);
	CU_ASSERT_EQUAL(n, 7); /* higher than stored 0: the caller raises its stored number to 7 */
	n = 0;
	CU_ASSERT_EQUAL(sig_revocation_crl_fresh(r, now(), 7, &n, NULL), 0); /* equal is fine */
	CU_ASSERT_EQUAL(n, 7);
	sig_revocation_free(r);
}

static void test_crl_fresh_refuses_lower_number_than_stored(void)
{
	uint64_t n = 0;
	char *e = NULL;
	struct sig_revocation *r = make_crl("older.pem", 30, 3, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(sig_revocation_crl_fresh(r, now(), 5, &n, &e), -ESTALE);
	CU_ASSERT(sigfx_has(e, "cRLNumber 3 is lower than 5, the highest this host has seen: an "
			       "older CRL"));
	CU_ASSERT(sigfx_has(e, "older.pem"));
	free(e);
	sig_revocation_free(r);
}

static void test_crl_fresh_refuses_next_update_before_time_floor(void)
{
	uint64_t n = 0;
	char *e = NULL;
	struct sig_revocation *r = make_crl("stale.pem", 1, 9, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	/* valid today; a floor two days ahead (a lower bound on now) makes it certainly stale */
	CU_ASSERT_EQUAL(sig_revocation_crl_fresh(r, now(), 0, &n, NULL), 0);
	CU_ASSERT_EQUAL(sig_revocation_crl_fresh(r, now() + 2 * DAY, 0, &n, &e), -ESTALE);
	CU_ASSERT(sigfx_has(e, "stale.pem: stale: its nextUpdate "));
	CU_ASSERT(sigfx_has(e, "is before the time floor"));
	free(e);
	sig_revocation_free(r);
}

static void test_crl_automatic_numbers_go_up(void)
{
	uint64_t first = 0, second = 0;
	char path[4096];
	snprintf(path, sizeof path, "%s", xtest_path("%s/auto.pem", xtest_tmpdir()));
	struct sig_revocation *r1 = make_crl_at(path, 30, 0, &first);
	/* the same output again, within the same second: one more than the CRL it replaces */
	struct sig_revocation *r2 = make_crl_at(path, 30, 0, &second);
	CU_ASSERT_PTR_NOT_NULL(r1);
	CU_ASSERT_PTR_NOT_NULL(r2);
	CU_ASSERT(first >= (uint64_t)now() - 60);
	CU_ASSERT(second > first);
	sig_revocation_free(r1);
	sig_revocation_free(r2);
}

/* A root-signed CRL without nextUpdate (or without cRLNumber), made with OpenSSL directly:
 * xdrv revoke never writes one. */
static const char *write_crl_without(int next_update, int number)
{
	const char *path = xtest_path("%s/crl-%d%d.pem", xtest_tmpdir(), next_update, number);
	FILE *f = fopen(sigfx_file(pki, "root.pem"), "r");
	X509 *root = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
	if (f)
		fclose(f);
	f = fopen(sigfx_file(pki, "root.key"), "r");
	EVP_PKEY *key = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
	if (f)
		fclose(f);
	X509_CRL *crl = X509_CRL_new();
	ASN1_TIME *t = X509_gmtime_adj(NULL, 0), *nt = X509_gmtime_adj(NULL, 30 * DAY);
	ASN1_INTEGER *n = ASN1_INTEGER_new();
	int ok = root && key && crl && t && nt && n && X509_CRL_set_version(crl, 1) &&
		 X509_CRL_set_issuer_name(crl, X509_get_subject_name(root)) &&
		 X509_CRL_set1_lastUpdate(crl, t) &&
		 (!next_update || X509_CRL_set1_nextUpdate(crl, nt)) &&
		 ASN1_INTEGER_set(n, 42) == 1 &&
		 (!number || X509_CRL_add1_ext_i2d(crl, NID_crl_number, n, 0, 0) == 1) &&
		 X509_CRL_sign(crl, key, EVP_sha256()) > 0;
	f = ok ? fopen(path, "w") : NULL;
	ok = f && PEM_write_X509_CRL(f, crl);
	if (f)
		fclose(f);
	ASN1_INTEGER_free(n);
	ASN1_TIME_free(t);
	ASN1_TIME_free(nt);
	X509_CRL_free(crl);
	EVP_PKEY_free(key);
	X509_free(root);
	return ok ? path : NULL;
}

static void test_crl_fresh_refuses_missing_next_update(void)
{
	const char *path = write_crl_without(0, 1);
	struct sig_revocation *r = NULL;
	uint64_t n = 0;
	char *e = NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(path);
	CU_ASSERT_EQUAL_FATAL(
		sig_revocation_load(sigfx_file(pki, "root.pem"), path, NULL, &r, NULL), 0);
	CU_ASSERT_EQUAL(sig_revocation_crl_fresh(r, now(), 0, &n, &e), -ESTALE);
	CU_ASSERT(sigfx_has(e, "no nextUpdate, so it never goes stale"));
	free(e);
	sig_revocation_free(r);
}

static void test_crl_fresh_refuses_missing_crl_number(void)
{
	const char *path = write_crl_without(1, 0);
	struct sig_revocation *r = NULL;
	uint64_t n = 0;
	char *e = NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(path);
	CU_ASSERT_EQUAL_FATAL(
		sig_revocation_load(sigfx_file(pki, "root.pem"), path, NULL, &r, NULL), 0);
	CU_ASSERT_EQUAL(sig_revocation_crl_fresh(r, now(), 0, &n, &e), -ESTALE);
	CU_ASSERT(sigfx_has(e, "no cRLNumber"));
	free(e);
	sig_revocation_free(r);
	/* the control: the same CRL with both fields is fresh */
	path = write_crl_without(1, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(path);
	CU_ASSERT_EQUAL_FATAL(
		sig_revocation_load(sigfx_file(pki, "root.pem"), path, NULL, &r, NULL), 0);
	CU_ASSERT_EQUAL(sig_revocation_crl_fresh(r, now(), 0, &n, NULL), 0);
	CU_ASSERT_EQUAL(n, 42);
	sig_revocation_free(r);
}

XTEST_SUITE(signer_revocation, init, clean, XTEST(test_revocation_crl_revokes_the_signer),
	    XTEST(test_revocation_crl_of_unrelated_serial_lets_package_pass),
	    XTEST(test_revocation_rejects_crl_of_another_root),
	    XTEST(test_revocation_deny_list_matches_payload_digest),
	    XTEST(test_revocation_deny_list_ignores_file_digest),
	    XTEST(test_revocation_rejects_malformed_deny_list),
	    XTEST(test_crl_fresh_accepts_equal_and_higher_numbers),
	    XTEST(test_crl_fresh_refuses_lower_number_than_stored),
	    XTEST(test_crl_fresh_refuses_next_update_before_time_floor),
	    XTEST(test_crl_automatic_numbers_go_up),
	    XTEST(test_crl_fresh_refuses_missing_next_update),
	    XTEST(test_crl_fresh_refuses_missing_crl_number))
