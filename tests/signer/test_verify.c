// SPDX-License-Identifier: MIT
/*
 * Tests for signer/verify.c: a good package verifies and reports its signer; each bad input of
 * issue 2 (changed payload, damaged trailer, garbage CMS, untrusted root, expired signer, no
 * EKU, no policy, unsigned) is rejected with its error code and a message naming the problem.
 */
#include "../xtest.h"
#include "fixture.h"

#include <errno.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xdrv/signer.h>
#include <xdrv/util.h>

#ifndef XDRV_SOURCE_DATE
#define XDRV_SOURCE_DATE 1767225600
#endif
#define DAY 86400

static char *good, *untrusted, *expired, *noeku, *nopolicy, *payload;
static struct sig_trust *trust; /* good root, built-in time floor */
static uint8_t *pkg;		/* payload signed by `good` */
static size_t pkg_len;

static int suite_init(void)
{
	const int64_t floor = XDRV_SOURCE_DATE;
	good = sigfx_pki((struct sig_pki_opts){0});
	untrusted = sigfx_pki((struct sig_pki_opts){0});
	expired = sigfx_pki((struct sig_pki_opts){.not_before = floor - 400 * DAY,
						  .not_after = floor - 35 * DAY});
	noeku = sigfx_pki((struct sig_pki_opts){.no_eku = 1});
	nopolicy = sigfx_pki((struct sig_pki_opts){.no_policy = 1});
	payload = sigfx_payload(4096);
	if (!good || !untrusted || !expired || !noeku || !nopolicy || !payload)
		return -1;
	char *err = NULL;
	if (sig_trust_create(sigfx_file(good, "root.pem"), 0, &trust, &err) != 0) {
		fprintf(stderr, "trust: %s\n", err);
		free(err);
		return -1;
	}
	char *out = sigfx_sign(good, payload);
	pkg = out ? xtest_read(out, &pkg_len) : NULL;
	free(out);
	return pkg ? 0 : -1;
}

static int suite_clean(void)
{
	sig_trust_destroy(trust);
	free(pkg);
	free(good);
	free(untrusted);
	free(expired);
	free(noeku);
	free(nopolicy);
	free(payload);
	return 0;
}

/* A fresh copy of the good package. */
static uint8_t *copy_pkg(void)
{
	uint8_t *b = malloc(pkg_len);
	if (b)
		memcpy(b, pkg, pkg_len);
	return b;
}

static void expect_reject_buf(const struct sig_trust *t, const uint8_t *b, size_t len, int code,
			      const char *needle)
{
	char *err = NULL;
	struct sig_info info;
	CU_ASSERT_EQUAL(sig_verify(t, b, len, &info, &err), code);
	CU_ASSERT(sigfx_has(err, needle));
	CU_ASSERT_EQUAL(info.payload_len, 0);
	free(err);
}

/* Sign the payload with the signer of `pki` and expect the good trust to reject it. */
static void expect_reject_signed_by(const char *pki, int code, const char *needle)
{
	char *out = sigfx_sign(pki, payload);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	size_t len = 0;
	uint8_t *b = xtest_read(out, &len);
	expect_reject_buf(trust, b, len, code, needle);
	free(b);
	free(out);
}

static void test_verify_accepts_good_package_and_reports_signer(void)
{
	struct sig_info info;
	char *err = NULL;
	CU_ASSERT_EQUAL(sig_verify(trust, pkg, pkg_len, &info, &err), 0);
	CU_ASSERT_PTR_NULL(err);
	free(err);
	CU_ASSERT_EQUAL(info.payload_len, 4096);
	CU_ASSERT_PTR_NOT_NULL(strstr(info.signer, "CN = driver signer"));
	CU_ASSERT_PTR_NOT_NULL(strstr(info.signer, "O = xdrv dev vendor"));
	CU_ASSERT_PTR_NOT_NULL(strstr(info.issuer, "CN = vendor driver CA"));
	unsigned char md[32];
	char hex[65];
	EVP_Digest(pkg, 4096, md, NULL, EVP_sha256(), NULL);
	xdrv_hex(md, 32, hex);
	CU_ASSERT_STRING_EQUAL(info.digest_hex, hex);
	int64_t now = (int64_t)time(NULL);
	CU_ASSERT(info.signing_time > now - 3600 && info.signing_time <= now + 60);
}

static void test_verify_rejects_changed_payload_byte(void)
{
	uint8_t *b = copy_pkg();
	b[100] ^= 0x01;
	expect_reject_buf(trust, b, pkg_len, -EBADMSG,
			  "payload digest mismatch: package modified after signing");
	free(b);
}

static void test_verify_rejects_truncated_trailer(void)
{
	expect_reject_buf(trust, pkg, pkg_len - 7, -EBADMSG, "trailer: truncated");
}

static void test_verify_rejects_oversized_cms_len(void)
{
	uint8_t *b = copy_pkg();
	sigfx_put_le64(b + pkg_len - SIG_TRAILER_SIZE + 32, 999999);
	expect_reject_buf(trust, b, pkg_len, -EBADMSG, "trailer: cms_len 999999 exceeds file");
	free(b);
}

static void test_verify_rejects_inconsistent_cms_len(void)
{
	size_t clen = 0;
	CU_ASSERT_EQUAL_FATAL(sig_trailer_parse(pkg, pkg_len, NULL, NULL, &clen, NULL), 0);
	uint8_t *b = copy_pkg();
	uint8_t *t = b + pkg_len - SIG_TRAILER_SIZE;
	sigfx_put_le64(t + 32, clen - 1);
	expect_reject_buf(trust, b, pkg_len, -EBADMSG, "does not match the file size");
	/* lengths consistent again, but the CMS slice now misses its first byte */
	sigfx_put_le64(t + 24, 4096 + 1);
	expect_reject_buf(trust, b, pkg_len, -EBADMSG, "CMS: not a DER CMS structure");
	free(b);
}

static void test_verify_rejects_garbage_cms(void)
{
	size_t off = 0, clen = 0;
	CU_ASSERT_EQUAL_FATAL(sig_trailer_parse(pkg, pkg_len, NULL, &off, &clen, NULL), 0);
	uint8_t *b = copy_pkg();
	for (size_t i = 0; i < clen; i++)
		b[off + i] = (uint8_t)(i * 131 + 17);
	expect_reject_buf(trust, b, pkg_len, -EBADMSG, "CMS: not a DER CMS structure");
	free(b);
}

static void test_verify_rejects_bytes_after_cms(void)
{
	size_t off = 0, clen = 0;
	CU_ASSERT_EQUAL_FATAL(sig_trailer_parse(pkg, pkg_len, NULL, &off, &clen, NULL), 0);
	size_t len = pkg_len + 2;
	uint8_t *b = malloc(len);
	memcpy(b, pkg, off + clen);
	b[off + clen] = 0;
	b[off + clen + 1] = 0;
	memcpy(b + off + clen + 2, pkg + off + clen, SIG_TRAILER_SIZE);
	sigfx_put_le64(b + len - SIG_TRAILER_SIZE + 32, clen + 2);
	expect_reject_buf(trust, b, len, -EBADMSG, "2 bytes after the DER structure");
	free(b);
}

static void test_verify_rejects_corrupted_signature_value(void)
{
	/* The ECDSA signature is the last field of the CMS: change its final byte (part of s). */
	size_t off = 0, clen = 0;
	CU_ASSERT_EQUAL_FATAL(sig_trailer_parse(pkg, pkg_len, NULL, &off, &clen, NULL), 0);
	uint8_t *b = copy_pkg();
	b[off + clen - 1] ^= 0x55;
	expect_reject_buf(trust, b, pkg_len, -EBADMSG, "signature value does not verify");
	free(b);
}

static void test_verify_rejects_unknown_algorithm_in_digest_set(void)
{
	/* The SignedData digestAlgorithms set (not the signer's own digest field) names an
	 * unknown algorithm: OpenSSL 3.0's CMS_verify leaked a BIO on this path (found by
	 * fuzz_signature); the sanitizer build of this test catches a regression. */
	static const uint8_t sha256_oid[] = {0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
					     0x65, 0x03, 0x04, 0x02, 0x01};
	size_t off = 0, clen = 0;
	CU_ASSERT_EQUAL_FATAL(sig_trailer_parse(pkg, pkg_len, NULL, &off, &clen, NULL), 0);
	uint8_t *b = copy_pkg();
	uint8_t *hit = NULL;
	for (size_t i = 0; !hit && i + sizeof sha256_oid <= clen; i++)
		if (memcmp(b + off + i, sha256_oid, sizeof sha256_oid) == 0)
			hit = b + off + i;
	CU_ASSERT_PTR_NOT_NULL_FATAL(hit);
	CU_ASSERT(hit - (b + off) < 64); /* the first one is the set, near the start */
	hit[sizeof sha256_oid - 1] ^= 0x6f;
	expect_reject_buf(trust, b, pkg_len, -EBADMSG, "CMS verification failed");
	free(b);
}

static void test_verify_rejects_untrusted_root(void)
{
	expect_reject_signed_by(untrusted, -EPERM,
				"certificate chain: unable to get local issuer "
				"certificate (signer not issued under the pinned root)");
}

static void test_verify_rejects_expired_signer(void)
{
	char *out = sigfx_sign(expired, payload);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	size_t len = 0;
	uint8_t *b = xtest_read(out, &len);
	struct sig_trust *t = NULL;
	char *err = NULL;
	CU_ASSERT_EQUAL_FATAL(sig_trust_create(sigfx_file(expired, "root.pem"), 0, &t, &err), 0);
	expect_reject_buf(t, b, len, -EKEYEXPIRED, "signer certificate expired");
	expect_reject_buf(t, b, len, -EKEYEXPIRED, "before the time floor");
	sig_trust_destroy(t);
	free(b);
	free(out);
}

static void test_verify_checks_expiry_against_time_floor_not_clock(void)
{
	/* signer valid for 10 days from a date long past: expired by the clock, valid for a
	 * floor inside its validity, expired for a floor after its notAfter */
	int64_t nb = 1500000000;
	char *d = sigfx_pki((struct sig_pki_opts){.not_before = nb, .not_after = nb + 10 * DAY});
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	char *out = sigfx_sign(d, payload);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	size_t len = 0;
	uint8_t *b = xtest_read(out, &len);
	struct sig_trust *t = NULL;
	char *err = NULL;
	CU_ASSERT_EQUAL_FATAL(sig_trust_create(sigfx_file(d, "root.pem"), nb + 5 * DAY, &t, &err),
			      0);
	CU_ASSERT_EQUAL(sig_verify(t, b, len, NULL, &err), 0);
	sig_trust_destroy(t);
	CU_ASSERT_EQUAL_FATAL(sig_trust_create(sigfx_file(d, "root.pem"), nb + 11 * DAY, &t, &err),
			      0);
	expect_reject_buf(t, b, len, -EKEYEXPIRED, "signer certificate expired 2017-07-24");
	sig_trust_destroy(t);
	free(err);
	free(b);
	free(out);
	free(d);
}

static void test_verify_does_not_judge_not_before_from_floor(void)
{
	/* A floor is a lower bound on now: a certificate that starts after it may be valid. */
	int64_t floor = XDRV_SOURCE_DATE;
	char *d = sigfx_pki((struct sig_pki_opts){.not_before = floor + 30 * DAY});
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	char *out = sigfx_sign(d, payload);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	size_t len = 0;
	uint8_t *b = xtest_read(out, &len);
	struct sig_trust *t = NULL;
	char *err = NULL;
	CU_ASSERT_EQUAL_FATAL(sig_trust_create(sigfx_file(d, "root.pem"), floor, &t, &err), 0);
	CU_ASSERT_EQUAL(sig_verify(t, b, len, NULL, &err), 0);
	sig_trust_destroy(t);
	free(err);
	free(b);
	free(out);
	free(d);
}

static void test_verify_rejects_signer_without_eku(void)
{
	/* noeku has its own root: pin it, so that the EKU is the only defect */
	char *out = sigfx_sign(noeku, payload);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	size_t len = 0;
	uint8_t *b = xtest_read(out, &len);
	struct sig_trust *t = NULL;
	CU_ASSERT_EQUAL_FATAL(sig_trust_create(sigfx_file(noeku, "root.pem"), 0, &t, NULL), 0);
	expect_reject_buf(t, b, len, -EPERM,
			  "signer certificate lacks the driver-signing extended key "
			  "usage " SIG_OID_EKU_DRIVER_SIGNING " (no extended key usage extension)");
	sig_trust_destroy(t);
	free(b);
	free(out);
}

static void test_verify_rejects_signer_without_policy(void)
{
	char *out = sigfx_sign(nopolicy, payload);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	size_t len = 0;
	uint8_t *b = xtest_read(out, &len);
	struct sig_trust *t = NULL;
	CU_ASSERT_EQUAL_FATAL(sig_trust_create(sigfx_file(nopolicy, "root.pem"), 0, &t, NULL), 0);
	expect_reject_buf(t, b, len, -EPERM,
			  "signer certificate lacks the driver-signing certificate "
			  "policy " SIG_OID_POLICY_DRIVER);
	sig_trust_destroy(t);
	free(b);
	free(out);
}

/* Issue <dir>/<name>.pem (+ .key, P-256) with the openssl tool under ca_cert/ca_key, with
 * the extensions in `ext` (openssl extfile syntax). 0 on success. */
static int openssl_issue(const char *dir, const char *name, const char *ca_cert, const char *ca_key,
			 const char *ext)
{
	char extfile[1024];
	snprintf(extfile, sizeof extfile, "%s/%s.cnf", dir, name);
	if (xtest_write(extfile, ext, strlen(ext)) != 0)
		return -1;
	return xtest_sh("cd '%s' && openssl ecparam -name prime256v1 -genkey -noout -out %s.key "
			"2>/dev/null && openssl req -new -key %s.key -subj '/O=odd/CN=%s' -out "
			"%s.csr && openssl x509 -req -in %s.csr -CA '%s' -CAkey '%s' -set_serial "
			"%d -days 30 -extfile %s.cnf -out %s.pem 2>/dev/null",
			dir, name, name, name, name, name, ca_cert, ca_key, rand() & 0xffff, name,
			name);
}

/* Sign the payload with <dir>/<name>.pem/.key and the chain file; package path malloc'd. */
static char *sign_with(const char *dir, const char *name, const char *chain)
{
	char cert[1024], key[1024], out[1024];
	char *err = NULL;
	snprintf(cert, sizeof cert, "%s/%s.pem", dir, name);
	snprintf(key, sizeof key, "%s/%s.key", dir, name);
	snprintf(out, sizeof out, "%s/%s.xdrv", dir, name);
	if (sig_sign_file(payload, out, cert, key, chain, &err) != 0) {
		fprintf(stderr, "sign with %s: %s\n", name, err ? err : "");
		free(err);
		return NULL;
	}
	return strdup(out);
}

#define LEAF_EXT_OK                                                                                \
	"basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n"                 \
	"extendedKeyUsage=" SIG_OID_EKU_DRIVER_SIGNING "\n"                                        \
	"certificatePolicies=" SIG_OID_POLICY_DRIVER "\n"                                          \
	"subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid:always\n"
#define CA_EXT(pathlen, policy)                                                                    \
	"basicConstraints=critical,CA:TRUE" pathlen "\nkeyUsage=critical,keyCertSign,cRLSign\n"    \
	"subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid:always\n" policy

/* A leaf issued by the good vendor CA with the openssl tool; then a package signed by it. */
static char *sign_with_openssl_leaf(const char *ext)
{
	char *d = strdup(xtest_tmpdir());
	char vcert[1024], vkey[1024];
	snprintf(vcert, sizeof vcert, "%s/vendor.pem", good);
	snprintf(vkey, sizeof vkey, "%s/vendor.key", good);
	char *out = NULL;
	if (openssl_issue(d, "leaf", vcert, vkey, ext) == 0)
		out = sign_with(d, "leaf", vcert);
	free(d);
	return out;
}

static void expect_reject_file(const char *path, int code, const char *needle)
{
	size_t len = 0;
	uint8_t *b = xtest_read(path, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	expect_reject_buf(trust, b, len, code, needle);
	free(b);
}

static void test_verify_accepts_leaf_issued_by_openssl_tool(void)
{
	/* the profile is not private to our pki code: a leaf made with standard tools passes */
	char *out = sign_with_openssl_leaf(LEAF_EXT_OK);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	size_t len = 0;
	uint8_t *b = xtest_read(out, &len);
	char *err = NULL;
	CU_ASSERT_EQUAL(sig_verify(trust, b, len, NULL, &err), 0);
	if (err)
		fprintf(stderr, "%s\n", err);
	free(err);
	free(b);
	free(out);
}

static void test_verify_rejects_vendor_ca_without_policy(void)
{
	/* root → vendor CA without certificatePolicies → a leaf that has the policy: the chain
	 * as a whole does not carry it (RFC 5280 explicit policy) */
	char *d = strdup(xtest_tmpdir());
	char rcert[1024], rkey[1024], vcert[1024], vkey[1024];
	snprintf(rcert, sizeof rcert, "%s/root.pem", good);
	snprintf(rkey, sizeof rkey, "%s/root.key", good);
	snprintf(vcert, sizeof vcert, "%s/ca.pem", d);
	snprintf(vkey, sizeof vkey, "%s/ca.key", d);
	CU_ASSERT_EQUAL_FATAL(openssl_issue(d, "ca", rcert, rkey, CA_EXT(",pathlen:0", "")), 0);
	CU_ASSERT_EQUAL_FATAL(openssl_issue(d, "leaf", vcert, vkey, LEAF_EXT_OK), 0);
	char *out = sign_with(d, "leaf", vcert);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	expect_reject_file(out, -EPERM,
			   "certificate chain: no explicit policy (the chain does not "
			   "carry the driver-signing policy " SIG_OID_POLICY_DRIVER ")");
	free(out);
	free(d);
}

static void test_verify_rejects_ca_below_vendor_pathlen0(void)
{
	/* root → vendor (pathlen 0) → sub-CA → leaf: one CA too many */
	char *d = strdup(xtest_tmpdir());
	char vcert[1024], vkey[1024], scert[1024], skey[1024], chain[1024];
	snprintf(vcert, sizeof vcert, "%s/vendor.pem", good);
	snprintf(vkey, sizeof vkey, "%s/vendor.key", good);
	snprintf(scert, sizeof scert, "%s/sub.pem", d);
	snprintf(skey, sizeof skey, "%s/sub.key", d);
	snprintf(chain, sizeof chain, "%s/chain.pem", d);
	CU_ASSERT_EQUAL_FATAL(
		openssl_issue(d, "sub", vcert, vkey,
			      CA_EXT("", "certificatePolicies=" SIG_OID_POLICY_DRIVER "\n")),
		0);
	CU_ASSERT_EQUAL_FATAL(openssl_issue(d, "leaf", scert, skey, LEAF_EXT_OK), 0);
	CU_ASSERT_EQUAL_FATAL(xtest_sh("cat '%s' '%s' > '%s'", scert, vcert, chain), 0);
	char *out = sign_with(d, "leaf", chain);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	expect_reject_file(out, -EPERM,
			   "more intermediate CAs than the vendor CA's pathlen allows");
	free(out);
	free(d);
}

static void test_verify_rejects_any_extended_key_usage_only(void)
{
	char *out = sign_with_openssl_leaf(
		"basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n"
		"extendedKeyUsage=anyExtendedKeyUsage\n"
		"certificatePolicies=" SIG_OID_POLICY_DRIVER "\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	size_t len = 0;
	uint8_t *b = xtest_read(out, &len);
	expect_reject_buf(trust, b, len, -EPERM,
			  "lacks the driver-signing extended key usage " SIG_OID_EKU_DRIVER_SIGNING
			  " (it has: Any Extended Key Usage)");
	free(b);
	free(out);
}

static void test_verify_rejects_signer_without_digital_signature(void)
{
	char *out = sign_with_openssl_leaf(
		"basicConstraints=critical,CA:FALSE\nkeyUsage=critical,keyAgreement\n"
		"extendedKeyUsage=" SIG_OID_EKU_DRIVER_SIGNING "\n"
		"certificatePolicies=" SIG_OID_POLICY_DRIVER "\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	size_t len = 0;
	uint8_t *b = xtest_read(out, &len);
	expect_reject_buf(trust, b, len, -EPERM, "lacks the digitalSignature key usage");
	free(b);
	free(out);
}

static void test_verify_rejects_ca_as_signer(void)
{
	char *err = NULL;
	const char *p = xtest_path("%s/ca-signed.xdrv", xtest_tmpdir());
	char *out = strdup(p);
	CU_ASSERT_EQUAL_FATAL(sig_sign_file(payload, out, sigfx_file(good, "vendor.pem"),
					    sigfx_file(good, "vendor.key"),
					    sigfx_file(good, "vendor.pem"), &err),
			      0);
	size_t len = 0;
	uint8_t *b = xtest_read(out, &len);
	expect_reject_buf(trust, b, len, -EPERM, "signer certificate is a CA certificate");
	free(b);
	free(out);
}

static void test_verify_reports_unsigned_package(void)
{
	expect_reject_buf(trust, pkg, 4096, -ENODATA, "not signed: no xdrv signature trailer");
}

static void test_trust_rejects_bad_roots(void)
{
	struct sig_trust *t = NULL;
	char *err = NULL;
	CU_ASSERT_EQUAL(sig_trust_create(sigfx_file(good, "vendor.pem"), 0, &t, &err), -EINVAL);
	CU_ASSERT(sigfx_has(err, "not a self-signed root certificate"));
	free(err);
	err = NULL;
	CU_ASSERT_EQUAL(sig_trust_create(payload, 0, &t, &err), -EINVAL);
	CU_ASSERT(sigfx_has(err, "not a PEM certificate"));
	free(err);
	err = NULL;
	const char *two = xtest_path("%s/two.pem", xtest_tmpdir());
	char *twop = strdup(two);
	CU_ASSERT_EQUAL(xtest_sh("cat '%s/root.pem' '%s/root.pem' > '%s'", good, untrusted, twop),
			0);
	CU_ASSERT_EQUAL(sig_trust_create(twop, 0, &t, &err), -EINVAL);
	CU_ASSERT(sigfx_has(err, "more than one certificate"));
	free(err);
	err = NULL;
	CU_ASSERT_EQUAL(sig_trust_create(sigfx_file(good, "root.pem"), -1, &t, &err), -EINVAL);
	CU_ASSERT(sigfx_has(err, "negative time floor"));
	free(err);
	err = NULL;
	CU_ASSERT_EQUAL(sig_trust_create("/nonexistent/root.pem", 0, &t, &err), -ENOENT);
	CU_ASSERT(sigfx_has(err, "/nonexistent/root.pem"));
	free(err);
	CU_ASSERT_PTR_NULL(t);
	sig_trust_destroy(NULL);
	free(twop);
}

static void *verify_many(void *arg)
{
	(void)arg;
	intptr_t bad = 0;
	for (int i = 0; i < 20; i++)
		if (sig_verify(trust, pkg, pkg_len, NULL, NULL) != 0)
			bad++;
	return (void *)bad;
}

static void test_verify_shares_one_trust_between_threads(void)
{
	pthread_t th[4];
	for (int i = 0; i < 4; i++)
		CU_ASSERT_EQUAL_FATAL(pthread_create(&th[i], NULL, verify_many, NULL), 0);
	for (int i = 0; i < 4; i++) {
		void *r = NULL;
		pthread_join(th[i], &r);
		CU_ASSERT_PTR_NULL(r);
	}
}

XTEST_SUITE(signer_verify, suite_init, suite_clean,
	    XTEST(test_verify_accepts_good_package_and_reports_signer),
	    XTEST(test_verify_rejects_changed_payload_byte),
	    XTEST(test_verify_rejects_truncated_trailer),
	    XTEST(test_verify_rejects_oversized_cms_len),
	    XTEST(test_verify_rejects_inconsistent_cms_len), XTEST(test_verify_rejects_garbage_cms),
	    XTEST(test_verify_rejects_bytes_after_cms),
	    XTEST(test_verify_rejects_corrupted_signature_value),
	    XTEST(test_verify_rejects_unknown_algorithm_in_digest_set),
	    XTEST(test_verify_rejects_untrusted_root), XTEST(test_verify_rejects_expired_signer),
	    XTEST(test_verify_checks_expiry_against_time_floor_not_clock),
	    XTEST(test_verify_does_not_judge_not_before_from_floor),
	    XTEST(test_verify_rejects_signer_without_eku),
	    XTEST(test_verify_rejects_signer_without_policy),
	    XTEST(test_verify_accepts_leaf_issued_by_openssl_tool),
	    XTEST(test_verify_rejects_vendor_ca_without_policy),
	    XTEST(test_verify_rejects_ca_below_vendor_pathlen0),
	    XTEST(test_verify_rejects_any_extended_key_usage_only),
	    XTEST(test_verify_rejects_signer_without_digital_signature),
	    XTEST(test_verify_rejects_ca_as_signer), XTEST(test_verify_reports_unsigned_package),
	    XTEST(test_trust_rejects_bad_roots),
	    XTEST(test_verify_shares_one_trust_between_threads))
