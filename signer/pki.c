// SPDX-License-Identifier: MIT
/*
 * The development PKI: an ECDSA P-256 root CA, a vendor intermediate CA (pathlen 0) and a
 * driver-signing leaf, each with a random serial, written as PEM. The profile (extensions,
 * OIDs, validity) is described in signer/README.md; verify.c checks the same profile. Real
 * deployments keep the root offline; this is the tool for developers and tests.
 */
#include "sig_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/conf.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <xdrv/signer.h>
#include <xdrv/util.h>

#define DAY 86400
/* The CAs outlive any signer they issue: a chain is only as valid as its shortest link. */
#define ROOT_DAYS    (20 * 365 + 5)
#define VENDOR_DAYS  (10 * 365 + 3)
#define MAX_DAYS     36525 /* 100 years: anything longer is a typo */
#define NAME_MAX_LEN 64	   /* ub-organization-name in RFC 5280 */

struct ext {
	int nid;
	const char *value;
};

struct certspec {
	const char *org;
	const char *cn;
	int64_t not_before, not_after;
	const struct ext *exts; /* ends with nid 0; a NULL value is skipped */
};

/* 127 random bits, never zero: RFC 5280 wants positive serials of at most 20 octets, and CAs
 * should make them unpredictable. */
static int random_serial(X509 *x)
{
	unsigned char b[16];
	int ok = 0;
	if (RAND_bytes(b, sizeof b) != 1)
		return 0;
	b[0] &= 0x7f;
	b[0] |= 0x40;
	BIGNUM *bn = BN_bin2bn(b, sizeof b, NULL);
	if (bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)))
		ok = 1;
	BN_free(bn);
	return ok;
}

static int set_name(X509_NAME *n, const char *org, const char *cn)
{
	return X509_NAME_add_entry_by_txt(n, "O", MBSTRING_UTF8, (const unsigned char *)org, -1, -1,
					  0) == 1 &&
	       X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1,
					  0) == 1;
}

/* Build and sign one certificate. issuer == NULL: self-signed with `key`. */
static int make_cert(const struct certspec *s, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key,
		     X509 **out, char **err)
{
	char why[256];
	int rc = -EINVAL;
	CONF *conf = NULL;
	X509 *x = X509_new();
	if (!x)
		return xdrv_err(err, -ENOMEM, "certificate %s: out of memory", s->cn);
	if (!X509_set_version(x, X509_VERSION_3) || !random_serial(x) ||
	    !set_name(X509_get_subject_name(x), s->org, s->cn) ||
	    !X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer)
					    : X509_get_subject_name(x)) ||
	    !ASN1_TIME_set(X509_getm_notBefore(x), (time_t)s->not_before) ||
	    !ASN1_TIME_set(X509_getm_notAfter(x), (time_t)s->not_after) || !X509_set_pubkey(x, key))
		goto out_ossl;

	X509V3_CTX ctx;
	X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
	/* certificatePolicies is parsed by an r2i method, which OpenSSL only runs with a config
	 * database attached, even for a plain OID list: give it an empty one. */
	conf = NCONF_new(NULL);
	if (!conf)
		goto out_ossl;
	X509V3_set_nconf(&ctx, conf);
	for (const struct ext *e = s->exts; e->nid; e++) {
		if (!e->value)
			continue;
		X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, e->nid, e->value);
		int ok = ext && X509_add_ext(x, ext, -1);
		X509_EXTENSION_free(ext);
		if (!ok) {
			rc = xdrv_err(err, -EINVAL, "certificate %s: extension %s=%s: %s", s->cn,
				      OBJ_nid2sn(e->nid), e->value, sig_ossl_err(why, sizeof why));
			goto out_free;
		}
	}
	if (X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256()) <= 0)
		goto out_ossl;
	*out = x;
	x = NULL;
	rc = 0;
	goto out_free;
out_ossl:
	rc = xdrv_err(err, -EINVAL, "certificate %s: %s", s->cn, sig_ossl_err(why, sizeof why));
out_free:
	NCONF_free(conf);
	X509_free(x);
	return rc;
}

static int write_cert(const char *dir, const char *name, X509 *x, char **err)
{
	char path[4096], why[256];
	int rc = 0;
	if (xdrv_snprintf(path, sizeof path, "%s/%s.pem", dir, name) != 0)
		return xdrv_err(err, -ENAMETOOLONG, "%s: path too long", dir);
	BIO *b = BIO_new(BIO_s_mem());
	char *p = NULL;
	long len;
	if (!b || !PEM_write_bio_X509(b, x) || (len = BIO_get_mem_data(b, &p)) <= 0) {
		rc = xdrv_err(err, -ENOMEM, "%s: %s", path, sig_ossl_err(why, sizeof why));
		goto out;
	}
	rc = xdrv_write_file_atomic(path, p, (size_t)len, 0644, err);
out:
	BIO_free(b);
	return rc;
}

/* The key goes through a secure-memory BIO (its buffer is wiped when freed) straight into a
 * 0600 file; no other copy of the PEM text is made. */
static int write_key(const char *dir, const char *name, EVP_PKEY *key, char **err)
{
	char path[4096], why[256];
	int rc = 0;
	if (xdrv_snprintf(path, sizeof path, "%s/%s.key", dir, name) != 0)
		return xdrv_err(err, -ENAMETOOLONG, "%s: path too long", dir);
	BIO *b = BIO_new(BIO_s_secmem());
	BUF_MEM *mem = NULL;
	if (!b || !PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL) ||
	    BIO_get_mem_ptr(b, &mem) <= 0 || !mem || mem->length == 0) {
		rc = xdrv_err(err, -ENOMEM, "%s: %s", path, sig_ossl_err(why, sizeof why));
		goto out;
	}
	rc = xdrv_write_file_atomic(path, mem->data, mem->length, 0600, err);
	OPENSSL_cleanse(mem->data, mem->length);
out:
	BIO_free(b);
	return rc;
}

static int check_opts(const struct sig_pki_opts *o, char **err)
{
	if (!o || !o->out_dir || !*o->out_dir)
		return xdrv_err(err, -EINVAL, "no output folder for the PKI");
	if (o->days > MAX_DAYS)
		return xdrv_err(err, -EINVAL, "days %u out of range 1..%u", o->days, MAX_DAYS);
	if (o->vendor) {
		size_t n = strlen(o->vendor);
		if (n == 0 || n > NAME_MAX_LEN)
			return xdrv_err(err, -EINVAL, "vendor name must be 1..%d bytes, not %zu",
					NAME_MAX_LEN, n);
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)o->vendor[i] < 0x20 || o->vendor[i] == 0x7f)
				return xdrv_err(err, -EINVAL,
						"vendor name holds a control character");
	}
	return 0;
}

static const char *const outputs[] = {"signer.key", "signer.pem", "vendor.key",
				      "vendor.pem", "root.key",	  "root.pem"};

static int refuse_overwrite(const char *dir, char **err)
{
	char path[4096];
	struct stat st;
	for (size_t i = 0; i < sizeof outputs / sizeof outputs[0]; i++) {
		if (xdrv_snprintf(path, sizeof path, "%s/%s", dir, outputs[i]) != 0)
			return xdrv_err(err, -ENAMETOOLONG, "%s: path too long", dir);
		if (lstat(path, &st) == 0)
			return xdrv_err(err, -EEXIST,
					"%s already exists; refusing to replace keys (choose "
					"another folder, or overwrite: xdrv pki --force)",
					path);
	}
	return 0;
}

int sig_pki_create(const struct sig_pki_opts *opts, char **err)
{
	int rc = check_opts(opts, err);
	if (rc)
		return rc;
	rc = sig_oids_init(err);
	if (rc)
		return rc;
	const char *dir = opts->out_dir;
	const char *vendor = opts->vendor ? opts->vendor : "xdrv dev vendor";
	int64_t days = opts->days ? opts->days : 365;
	int64_t nb = opts->not_before ? opts->not_before : (int64_t)time(NULL) - 3600;
	int64_t na = opts->not_after ? opts->not_after : nb + days * DAY;
	if (na <= nb)
		return xdrv_err(err, -EINVAL, "signer not_after is not after not_before");
	int64_t vendor_na = nb + (int64_t)VENDOR_DAYS * DAY;
	vendor_na = vendor_na > na ? vendor_na : na;
	int64_t root_na = nb + (int64_t)ROOT_DAYS * DAY;
	root_na = root_na > vendor_na ? root_na : vendor_na;

	rc = xdrv_mkdirs(dir, 0755, err);
	if (rc)
		return rc;
	if (!opts->overwrite && (rc = refuse_overwrite(dir, err)) != 0)
		return rc;

	/* Trust anchors take no part in RFC 5280 policy processing, so the root carries no
	 * certificatePolicies; the vendor CA and the signer carry our policy OID, which is what
	 * `-policy OID -explicit_policy` asks of every certificate below the anchor. */
	const struct ext root_exts[] = {
		{NID_basic_constraints, "critical,CA:TRUE"},
		{NID_key_usage, "critical,keyCertSign,cRLSign"},
		{NID_subject_key_identifier, "hash"},
		{0, NULL},
	};
	const struct ext vendor_exts[] = {
		{NID_basic_constraints, "critical,CA:TRUE,pathlen:0"},
		{NID_key_usage, "critical,keyCertSign,cRLSign"},
		{NID_subject_key_identifier, "hash"},
		{NID_authority_key_identifier, "keyid:always"},
		{NID_certificate_policies, SIG_OID_POLICY_DRIVER},
		{0, NULL},
	};
	const struct ext signer_exts[] = {
		{NID_basic_constraints, "critical,CA:FALSE"},
		{NID_key_usage, "critical,digitalSignature"},
		{NID_ext_key_usage, opts->no_eku ? NULL : SIG_OID_EKU_DRIVER_SIGNING},
		{NID_subject_key_identifier, "hash"},
		{NID_authority_key_identifier, "keyid:always"},
		{NID_certificate_policies, opts->no_policy ? NULL : SIG_OID_POLICY_DRIVER},
		{0, NULL},
	};
	const struct certspec root_spec = {"xdrv development", "xdrv development root CA", nb,
					   root_na, root_exts};
	const struct certspec vendor_spec = {vendor, "vendor driver CA", nb, vendor_na,
					     vendor_exts};
	const struct certspec signer_spec = {vendor, "driver signer", nb, na, signer_exts};

	char why[256];
	EVP_PKEY *root_key = EVP_EC_gen("P-256");
	EVP_PKEY *vendor_key = EVP_EC_gen("P-256");
	EVP_PKEY *signer_key = EVP_EC_gen("P-256");
	X509 *root = NULL, *vcert = NULL, *scert = NULL;
	if (!root_key || !vendor_key || !signer_key) {
		rc = xdrv_err(err, -ENOMEM, "P-256 key generation: %s",
			      sig_ossl_err(why, sizeof why));
		goto out_free;
	}
	if ((rc = make_cert(&root_spec, root_key, NULL, NULL, &root, err)) != 0 ||
	    (rc = make_cert(&vendor_spec, vendor_key, root, root_key, &vcert, err)) != 0 ||
	    (rc = make_cert(&signer_spec, signer_key, vcert, vendor_key, &scert, err)) != 0)
		goto out_free;
	/* root.pem last: its presence (what the Makefile waits for) means the set is complete. */
	if ((rc = write_key(dir, "signer", signer_key, err)) != 0 ||
	    (rc = write_cert(dir, "signer", scert, err)) != 0 ||
	    (rc = write_key(dir, "vendor", vendor_key, err)) != 0 ||
	    (rc = write_cert(dir, "vendor", vcert, err)) != 0 ||
	    (rc = write_key(dir, "root", root_key, err)) != 0 ||
	    (rc = write_cert(dir, "root", root, err)) != 0)
		goto out_free;
out_free:
	X509_free(scert);
	X509_free(vcert);
	X509_free(root);
	/* EVP_PKEY_free wipes the private scalar (BN_clear_free inside the EC key). */
	EVP_PKEY_free(signer_key);
	EVP_PKEY_free(vendor_key);
	EVP_PKEY_free(root_key);
	ERR_clear_error();
	return rc;
}
