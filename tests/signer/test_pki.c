// SPDX-License-Identifier: MIT
/*
 * Tests for signer/pki.c: the files it writes (and their modes), the certificate profile read
 * back with OpenSSL, the test options (no EKU, no policy, dates), and refusals.
 */
#include "../xtest.h"
#include "fixture.h"

#include <errno.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <xdrv/signer.h>

static char *pki;

static int suite_init(void)
{
	pki = sigfx_pki((struct sig_pki_opts){.vendor = "Acme Drivers", .days = 30});
	return pki ? 0 : -1;
}

static int suite_clean(void)
{
	free(pki);
	return 0;
}

static X509 *load(const char *dir, const char *name)
{
	FILE *f = fopen(sigfx_file(dir, name), "r");
	X509 *x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
	if (f)
		fclose(f);
	return x;
}

static int has_oid_ext(X509 *x, int nid, const char *oid)
{
	int found = 0;
	if (nid == NID_ext_key_usage) {
		EXTENDED_KEY_USAGE *eku = X509_get_ext_d2i(x, nid, NULL, NULL);
		for (int i = 0; eku && i < sk_ASN1_OBJECT_num(eku); i++) {
			char txt[96];
			OBJ_obj2txt(txt, sizeof txt, sk_ASN1_OBJECT_value(eku, i), 1);
			found |= strcmp(txt, oid) == 0;
		}
		EXTENDED_KEY_USAGE_free(eku);
	} else {
		CERTIFICATEPOLICIES *p = X509_get_ext_d2i(x, nid, NULL, NULL);
		for (int i = 0; p && i < sk_POLICYINFO_num(p); i++) {
			char txt[96];
			OBJ_obj2txt(txt, sizeof txt, sk_POLICYINFO_value(p, i)->policyid, 1);
			found |= strcmp(txt, oid) == 0;
		}
		CERTIFICATEPOLICIES_free(p);
	}
	return found;
}

static void test_pki_writes_keys_private_and_certs_public(void)
{
	static const char *const keys[] = {"root.key", "vendor.key", "signer.key"};
	static const char *const certs[] = {"root.pem", "vendor.pem", "signer.pem"};
	struct stat st;
	for (int i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL_FATAL(stat(sigfx_file(pki, keys[i]), &st), 0);
		CU_ASSERT_EQUAL(st.st_mode & 0777, 0600);
		CU_ASSERT_EQUAL_FATAL(stat(sigfx_file(pki, certs[i]), &st), 0);
		CU_ASSERT_EQUAL(st.st_mode & 0777, 0644);
	}
	FILE *f = fopen(sigfx_file(pki, "signer.key"), "r");
	EVP_PKEY *k = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
	CU_ASSERT_PTR_NOT_NULL(k);
	CU_ASSERT(k && EVP_PKEY_is_a(k, "EC"));
	char group[64] = "";
	CU_ASSERT(k && EVP_PKEY_get_utf8_string_param(k, "group", group, sizeof group, NULL));
	CU_ASSERT_STRING_EQUAL(group, "prime256v1");
	EVP_PKEY_free(k);
	if (f)
		fclose(f);
}

static void test_pki_root_is_self_signed_ca(void)
{
	X509 *root = load(pki, "root.pem");
	CU_ASSERT_PTR_NOT_NULL_FATAL(root);
	CU_ASSERT_EQUAL(X509_check_issued(root, root), X509_V_OK);
	CU_ASSERT_EQUAL(X509_verify(root, X509_get0_pubkey(root)), 1);
	uint32_t fl = X509_get_extension_flags(root);
	CU_ASSERT(fl & EXFLAG_CA);
	CU_ASSERT_EQUAL(X509_get_key_usage(root), KU_KEY_CERT_SIGN | KU_CRL_SIGN);
	int crit = 0;
	BASIC_CONSTRAINTS *bc = X509_get_ext_d2i(root, NID_basic_constraints, &crit, NULL);
	CU_ASSERT_EQUAL(crit, 1);
	BASIC_CONSTRAINTS_free(bc);
	X509_free(root);
}

static void test_pki_vendor_is_pathlen0_ca_with_policy(void)
{
	X509 *root = load(pki, "root.pem"), *vendor = load(pki, "vendor.pem");
	CU_ASSERT_PTR_NOT_NULL_FATAL(vendor);
	CU_ASSERT_EQUAL(X509_check_issued(root, vendor), X509_V_OK);
	CU_ASSERT(X509_get_extension_flags(vendor) & EXFLAG_CA);
	CU_ASSERT_EQUAL(X509_get_pathlen(vendor), 0);
	CU_ASSERT(has_oid_ext(vendor, NID_certificate_policies, SIG_OID_POLICY_DRIVER));
	char org[80] = "";
	X509_NAME_get_text_by_NID(X509_get_subject_name(vendor), NID_organizationName, org,
				  sizeof org);
	CU_ASSERT_STRING_EQUAL(org, "Acme Drivers");
	X509_free(vendor);
	X509_free(root);
}

static void test_pki_signer_has_driver_profile(void)
{
	X509 *vendor = load(pki, "vendor.pem"), *s = load(pki, "signer.pem");
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(X509_check_issued(vendor, s), X509_V_OK);
	CU_ASSERT_FALSE(X509_get_extension_flags(s) & EXFLAG_CA);
	CU_ASSERT_EQUAL(X509_get_key_usage(s), KU_DIGITAL_SIGNATURE);
	int crit = 0;
	ASN1_BIT_STRING *ku = X509_get_ext_d2i(s, NID_key_usage, &crit, NULL);
	CU_ASSERT_EQUAL(crit, 1);
	ASN1_BIT_STRING_free(ku);
	EXTENDED_KEY_USAGE *eku = X509_get_ext_d2i(s, NID_ext_key_usage, NULL, NULL);
	CU_ASSERT_EQUAL(sk_ASN1_OBJECT_num(eku), 1); /* our EKU and nothing else */
	EXTENDED_KEY_USAGE_free(eku);
	CU_ASSERT(has_oid_ext(s, NID_ext_key_usage, SIG_OID_EKU_DRIVER_SIGNING));
	CU_ASSERT(has_oid_ext(s, NID_certificate_policies, SIG_OID_POLICY_DRIVER));
	/* --days 30 */
	int days = 0, secs = 0;
	CU_ASSERT(ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(s), X509_get0_notAfter(s)));
	CU_ASSERT_EQUAL(days, 30);
	X509_free(s);
	X509_free(vendor);
}

static void test_pki_serials_are_random(void)
{
	char *other = sigfx_pki((struct sig_pki_opts){0});
	CU_ASSERT_PTR_NOT_NULL_FATAL(other);
	X509 *a = load(pki, "signer.pem"), *b = load(other, "signer.pem");
	X509 *r = load(pki, "root.pem");
	CU_ASSERT_NOT_EQUAL(ASN1_INTEGER_cmp(X509_get0_serialNumber(a), X509_get0_serialNumber(b)),
			    0);
	CU_ASSERT_NOT_EQUAL(ASN1_INTEGER_cmp(X509_get0_serialNumber(a), X509_get0_serialNumber(r)),
			    0);
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(a), NULL);
	CU_ASSERT(bn && !BN_is_negative(bn) && BN_num_bits(bn) > 64 && BN_num_bits(bn) <= 159);
	BN_free(bn);
	X509_free(a);
	X509_free(b);
	X509_free(r);
	free(other);
}

static void test_pki_options_leave_out_eku_and_policy(void)
{
	char *d = sigfx_pki((struct sig_pki_opts){.no_eku = 1, .no_policy = 1});
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	X509 *s = load(d, "signer.pem"), *v = load(d, "vendor.pem");
	CU_ASSERT_PTR_NULL(X509_get_ext_d2i(s, NID_ext_key_usage, NULL, NULL));
	CU_ASSERT_FALSE(has_oid_ext(s, NID_certificate_policies, SIG_OID_POLICY_DRIVER));
	CU_ASSERT(has_oid_ext(v, NID_certificate_policies, SIG_OID_POLICY_DRIVER));
	X509_free(s);
	X509_free(v);
	free(d);
}

static void test_pki_dates_follow_options(void)
{
	int64_t nb = 1600000000, na = 1600000000 + 86400;
	char *d = sigfx_pki((struct sig_pki_opts){.not_before = nb, .not_after = na});
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	X509 *s = load(d, "signer.pem"), *v = load(d, "vendor.pem"), *r = load(d, "root.pem");
	CU_ASSERT_EQUAL(X509_cmp_time(X509_get0_notAfter(s), &(time_t){na + 1}), -1);
	CU_ASSERT_EQUAL(X509_cmp_time(X509_get0_notAfter(s), &(time_t){na - 1}), 1);
	CU_ASSERT_EQUAL(X509_cmp_time(X509_get0_notBefore(r), &(time_t){nb - 1}), 1);
	/* the CAs outlive the signer */
	CU_ASSERT_EQUAL(ASN1_TIME_compare(X509_get0_notAfter(v), X509_get0_notAfter(s)), 1);
	CU_ASSERT_EQUAL(ASN1_TIME_compare(X509_get0_notAfter(r), X509_get0_notAfter(v)), 1);
	X509_free(s);
	X509_free(v);
	X509_free(r);
	free(d);
}

static void test_pki_refuses_to_replace_keys(void)
{
	char *err = NULL;
	struct sig_pki_opts o = {.out_dir = pki};
	CU_ASSERT_EQUAL(sig_pki_create(&o, &err), -EEXIST);
	CU_ASSERT(sigfx_has(err, "already exists; refusing to replace keys"));
	free(err);
	err = NULL;
	char *d = sigfx_pki((struct sig_pki_opts){0});
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	X509 *before = load(d, "root.pem");
	o.out_dir = d;
	o.overwrite = 1;
	CU_ASSERT_EQUAL(sig_pki_create(&o, &err), 0);
	X509 *after = load(d, "root.pem");
	CU_ASSERT_NOT_EQUAL(X509_cmp(before, after), 0);
	X509_free(before);
	X509_free(after);
	free(d);
	free(err);
}

static void test_pki_rejects_bad_options(void)
{
	char *err = NULL;
	const char *dir = xtest_tmpdir();
	struct sig_pki_opts o = {.out_dir = dir, .days = 40000};
	CU_ASSERT_EQUAL(sig_pki_create(&o, &err), -EINVAL);
	CU_ASSERT(sigfx_has(err, "days 40000 out of range 1..36525"));
	free(err);
	err = NULL;
	o = (struct sig_pki_opts){.out_dir = dir, .not_before = 2000, .not_after = 1000};
	CU_ASSERT_EQUAL(sig_pki_create(&o, &err), -EINVAL);
	CU_ASSERT(sigfx_has(err, "not_after is not after not_before"));
	free(err);
	err = NULL;
	o = (struct sig_pki_opts){.out_dir = dir, .vendor = ""};
	CU_ASSERT_EQUAL(sig_pki_create(&o, &err), -EINVAL);
	CU_ASSERT(sigfx_has(err, "vendor name must be 1..64 bytes"));
	free(err);
	err = NULL;
	o = (struct sig_pki_opts){.out_dir = dir, .vendor = "bad\nname"};
	CU_ASSERT_EQUAL(sig_pki_create(&o, &err), -EINVAL);
	CU_ASSERT(sigfx_has(err, "control character"));
	free(err);
	err = NULL;
	CU_ASSERT_EQUAL(sig_pki_create(NULL, &err), -EINVAL);
	CU_ASSERT(sigfx_has(err, "no output folder for the PKI"));
	free(err);
	/* nothing was written by the refused calls */
	struct stat st;
	CU_ASSERT_NOT_EQUAL(stat(sigfx_file(dir, "root.key"), &st), 0);
}

XTEST_SUITE(signer_pki, suite_init, suite_clean,
	    XTEST(test_pki_writes_keys_private_and_certs_public),
	    XTEST(test_pki_root_is_self_signed_ca),
	    XTEST(test_pki_vendor_is_pathlen0_ca_with_policy),
	    XTEST(test_pki_signer_has_driver_profile), XTEST(test_pki_serials_are_random),
	    XTEST(test_pki_options_leave_out_eku_and_policy), XTEST(test_pki_dates_follow_options),
	    XTEST(test_pki_refuses_to_replace_keys), XTEST(test_pki_rejects_bad_options))
