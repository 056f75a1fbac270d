// SPDX-License-Identifier: MIT
/*
 * Our signatures checked by software we did not write: the `openssl cms -verify` command of
 * signer/README.md, run on a split package (payload + DER CMS, cut with sig_trailer_parse as
 * `xdrv verify --split` does). It must accept a good signature and reject a changed payload,
 * an untrusted root, and a signer without the driver policy (-explicit_policy).
 */
#include "../xtest.h"
#include "fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xdrv/signer.h>

/* The independent check, exactly as documented in signer/README.md. */
#define OPENSSL_VERIFY                                                                             \
	"openssl cms -verify -binary -inform DER -in '%s/signature.der' -content '%s/payload' "    \
	"-CAfile '%s/root.pem' -purpose any -policy " SIG_OID_POLICY_DRIVER                        \
	" -explicit_policy -out /dev/null"

static char *good, *untrusted, *nopolicy, *payload;
static char *split_good, *split_nopolicy;

/* Split the package signed by `pki` into a fresh folder; folder malloc'd. */
static char *split(const char *pki)
{
	char *out = sigfx_sign(pki, payload);
	char *dir = strdup(xtest_tmpdir());
	size_t len = 0, plen = 0, off = 0, clen = 0;
	unsigned char *b = out ? xtest_read(out, &len) : NULL;
	int ok = b && dir && sig_trailer_parse(b, len, &plen, &off, &clen, NULL) == 0 &&
		 xtest_write(sigfx_file(dir, "payload"), b, plen) == 0 &&
		 xtest_write(sigfx_file(dir, "signature.der"), b + off, clen) == 0;
	free(b);
	free(out);
	if (!ok) {
		free(dir);
		return NULL;
	}
	return dir;
}

static int suite_init(void)
{
	if (xtest_sh("openssl version >/dev/null 2>&1") != 0) {
		fprintf(stderr, "signer_openssl_cli: the openssl tool is missing\n");
		return -1;
	}
	good = sigfx_pki((struct sig_pki_opts){0});
	untrusted = sigfx_pki((struct sig_pki_opts){0});
	nopolicy = sigfx_pki((struct sig_pki_opts){.no_policy = 1});
	payload = sigfx_payload(2000);
	if (!good || !untrusted || !nopolicy || !payload)
		return -1;
	split_good = split(good);
	split_nopolicy = split(nopolicy);
	return split_good && split_nopolicy ? 0 : -1;
}

static int suite_clean(void)
{
	free(good);
	free(untrusted);
	free(nopolicy);
	free(payload);
	free(split_good);
	free(split_nopolicy);
	return 0;
}

static void test_openssl_accepts_good_signature(void)
{
	CU_ASSERT_EQUAL(xtest_sh(OPENSSL_VERIFY " 2>/dev/null", split_good, split_good, good), 0);
}

static void test_openssl_rejects_changed_payload(void)
{
	const char *d = xtest_tmpdir();
	char *dir = strdup(d);
	CU_ASSERT_EQUAL_FATAL(
		xtest_sh("cp '%s/signature.der' '%s/payload' '%s/'", split_good, split_good, dir),
		0);
	size_t len = 0;
	unsigned char *b = xtest_read(sigfx_file(dir, "payload"), &len);
	CU_ASSERT_FATAL(b && len > 10);
	b[10] ^= 0x20;
	CU_ASSERT_EQUAL(xtest_write(sigfx_file(dir, "payload"), b, len), 0);
	CU_ASSERT_NOT_EQUAL(xtest_sh(OPENSSL_VERIFY " 2>/dev/null", dir, dir, good), 0);
	free(b);
	free(dir);
}

static void test_openssl_rejects_untrusted_root(void)
{
	CU_ASSERT_NOT_EQUAL(
		xtest_sh(OPENSSL_VERIFY " 2>/dev/null", split_good, split_good, untrusted), 0);
}

static void test_openssl_rejects_signer_without_policy(void)
{
	CU_ASSERT_NOT_EQUAL(
		xtest_sh(OPENSSL_VERIFY " 2>/dev/null", split_nopolicy, split_nopolicy, nopolicy),
		0);
}

static void test_openssl_shows_signer_driver_eku(void)
{
	/* openssl cannot require a private EKU, but it hands out the signer certificate
	 * (-signer) so that the EKU can be read with standard tools, as the README shows */
	CU_ASSERT_EQUAL(xtest_sh(OPENSSL_VERIFY
				 " -signer '%s/signer-out.pem' 2>/dev/null && "
				 "openssl x509 -in '%s/signer-out.pem' -noout -ext "
				 "extendedKeyUsage | grep -q '" SIG_OID_EKU_DRIVER_SIGNING "'",
				 split_good, split_good, good, split_good, split_good),
			0);
}

XTEST_SUITE(signer_openssl_cli, suite_init, suite_clean, XTEST(test_openssl_accepts_good_signature),
	    XTEST(test_openssl_rejects_changed_payload), XTEST(test_openssl_rejects_untrusted_root),
	    XTEST(test_openssl_rejects_signer_without_policy),
	    XTEST(test_openssl_shows_signer_driver_eku))
