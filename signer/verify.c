// SPDX-License-Identifier: MIT
/*
 * Verification of a signed package against one pinned root, before anything parses the payload.
 * Order: trailer bounds (trailer.c); the DER CMS, parsed from its slice with a length bound,
 * in exactly one encoding (strict DER, the algorithms, attributes and certificates sign.c
 * writes and nothing else: "one encoding only" below); its shape (SignedData, detached, one
 * signer, SHA-256, signed attributes); the signer
 * certificate's profile (digitalSignature, our EKU, our policy, not a CA); the chain to the
 * pinned root with policy checking; certificate expiry against the time floor; the payload
 * digest; and finally CMS_verify, which checks the chain and the signature once more and
 * recomputes the digest. Each step names what it rejects.
 *
 * The time floor is a lower bound on "now" (the source date of the build, or one the caller
 * stored): a certificate whose notAfter lies before it has certainly expired. notBefore cannot
 * be decided from a lower bound, so it is not checked; OpenSSL's own clock check is disabled
 * (X509_V_FLAG_NO_CHECK_TIME) so that the host clock plays no part.
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
#include <openssl/x509v3.h>
#include <openssl/core_names.h>
#include <xdrv/signer.h>
#include <xdrv/util.h>

#ifndef XDRV_SOURCE_DATE
/* 2026-01-01 00:00:00 UTC, for builds outside the Makefile (no git date to stamp). */
#define XDRV_SOURCE_DATE 1767225600
#endif

#define ROOT_PEM_MAX (1u << 20)

struct sig_trust {
	X509 *root;
	X509_STORE *store; /* the root only, with our verification parameters */
	int64_t floor;
};

void sig_trust_destroy(struct sig_trust *t)
{
	if (!t)
		return;
	X509_STORE_free(t->store);
	X509_free(t->root);
	free(t);
}

static int load_root(const char *path, X509 **out, char **err)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	char why[256];
	int rc = xdrv_read_file(path, ROOT_PEM_MAX, &buf, &len, err);
	if (rc)
		return rc;
	BIO *b = BIO_new_mem_buf(buf, (int)len);
	X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	if (!x) {
		rc = xdrv_err(err, -EINVAL, "%s: not a PEM certificate: %s", path,
			      sig_ossl_err(why, sizeof why));
		goto out;
	}
	X509 *extra = PEM_read_bio_X509(b, NULL, NULL, NULL);
	if (extra) {
		X509_free(extra);
		rc = xdrv_err(err, -EINVAL, "%s: holds more than one certificate; pin one root",
			      path);
		goto out;
	}
	ERR_clear_error();
	/* A pinned root must be a self-signed CA: anything else cannot anchor our chains. */
	EVP_PKEY *pub = X509_get0_pubkey(x);
	if (X509_check_issued(x, x) != X509_V_OK || !pub || X509_verify(x, pub) != 1) {
		rc = xdrv_err(err, -EINVAL, "%s: not a self-signed root certificate", path);
		goto out;
	}
	if (!(X509_get_extension_flags(x) & EXFLAG_CA)) {
		rc = xdrv_err(err, -EINVAL, "%s: not a CA certificate (basicConstraints CA:TRUE)",
			      path);
		goto out;
	}
	*out = x;
	x = NULL;
out:
	X509_free(x);
	BIO_free(b);
	free(buf);
	ERR_clear_error();
	return rc;
}

int sig_trust_create(const char *root_pem, int64_t time_floor, struct sig_trust **out, char **err)
{
	char why[256];
	if (!root_pem || !out)
		return xdrv_err(err, -EINVAL, "trust: no root certificate path");
	*out = NULL;
	if (time_floor < 0)
		return xdrv_err(err, -EINVAL, "trust: negative time floor %lld",
				(long long)time_floor);
	int rc = sig_oids_init(err);
	if (rc)
		return rc;
	struct sig_trust *t = calloc(1, sizeof *t);
	if (!t)
		return xdrv_err(err, -ENOMEM, "trust: out of memory");
	t->floor = time_floor ? time_floor : (int64_t)XDRV_SOURCE_DATE;
	if ((rc = load_root(root_pem, &t->root, err)) != 0)
		goto out_destroy;
	t->store = X509_STORE_new();
	ASN1_OBJECT *policy = OBJ_txt2obj(SIG_OID_POLICY_DRIVER, 1);
	X509_VERIFY_PARAM *p = t->store ? X509_STORE_get0_param(t->store) : NULL;
	/* POLICY_CHECK + EXPLICIT_POLICY + our policy: the chain must carry our policy OID, as
	 * `openssl cms -verify -policy OID -explicit_policy` demands. Purpose "any": the S/MIME
	 * purpose CMS_verify would default to wants emailProtection; we check our own EKU. */
	if (!p || !policy || !X509_STORE_add_cert(t->store, t->root) ||
	    !X509_VERIFY_PARAM_set_flags(p, X509_V_FLAG_POLICY_CHECK | X509_V_FLAG_EXPLICIT_POLICY |
						    X509_V_FLAG_NO_CHECK_TIME |
						    X509_V_FLAG_X509_STRICT) ||
	    !X509_VERIFY_PARAM_set_purpose(p, X509_PURPOSE_ANY) ||
	    !X509_VERIFY_PARAM_add0_policy(p, policy)) {
		ASN1_OBJECT_free(policy);
		rc = xdrv_err(err, -ENOMEM, "trust: %s", sig_ossl_err(why, sizeof why));
		goto out_destroy;
	}
	*out = t;
	return 0;
out_destroy:
	sig_trust_destroy(t);
	ERR_clear_error();
	return rc;
}

int64_t sig_trust_time_floor(const struct sig_trust *t)
{
	return t ? t->floor : (int64_t)XDRV_SOURCE_DATE;
}

/* ---- the signer certificate's profile ------------------------------------------------------ */

static int has_eku(X509 *x, char *have, size_t n, int *present)
{
	int crit = 0, found = 0;
	EXTENDED_KEY_USAGE *eku = X509_get_ext_d2i(x, NID_ext_key_usage, &crit, NULL);
	*present = eku != NULL;
	have[0] = 0;
	for (int i = 0; eku && i < sk_ASN1_OBJECT_num(eku); i++) {
		const ASN1_OBJECT *o = sk_ASN1_OBJECT_value(eku, i);
		char txt[96];
		if (OBJ_obj2nid(o) == sig_nid_eku())
			found = 1;
		OBJ_obj2txt(txt, sizeof txt, o, 0);
		size_t used = strlen(have);
		snprintf(have + used, n - used, "%s%s", used ? ", " : "", txt);
	}
	EXTENDED_KEY_USAGE_free(eku);
	return found;
}

static int has_policy(X509 *x)
{
	int crit = 0, found = 0;
	CERTIFICATEPOLICIES *pols = X509_get_ext_d2i(x, NID_certificate_policies, &crit, NULL);
	for (int i = 0; pols && i < sk_POLICYINFO_num(pols); i++)
		if (OBJ_obj2nid(sk_POLICYINFO_value(pols, i)->policyid) == sig_nid_policy())
			found = 1;
	CERTIFICATEPOLICIES_free(pols);
	return found;
}

static int check_signer_profile(X509 *x, char **err)
{
	uint32_t xflags = X509_get_extension_flags(x);
	char have[512];
	int present = 0;
	if (xflags & EXFLAG_INVALID)
		return xdrv_err(err, -EBADMSG, "signer certificate has malformed extensions");
	if (xflags & EXFLAG_CA)
		return xdrv_err(err, -EPERM,
				"signer certificate is a CA certificate; drivers are signed by a "
				"leaf (CA:FALSE)");
	if (!(xflags & EXFLAG_KUSAGE) || !(X509_get_key_usage(x) & KU_DIGITAL_SIGNATURE))
		return xdrv_err(err, -EPERM,
				"signer certificate lacks the digitalSignature key usage");
	if (!has_eku(x, have, sizeof have, &present))
		return xdrv_err(err, -EPERM,
				"signer certificate lacks the driver-signing extended key usage %s "
				"(%s%s)",
				SIG_OID_EKU_DRIVER_SIGNING, present ? "it has: " : "",
				present ? have : "no extended key usage extension");
	if (!has_policy(x))
		return xdrv_err(err, -EPERM,
				"signer certificate lacks the driver-signing certificate policy %s",
				SIG_OID_POLICY_DRIVER);
	return 0;
}

/* ---- chain ------------------------------------------------------------------------------- */

static const char *chain_hint(int e)
{
	switch (e) {
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
		return "signer not issued under the pinned root";
	case X509_V_ERR_NO_EXPLICIT_POLICY:
		return "the chain does not carry the driver-signing policy " SIG_OID_POLICY_DRIVER;
	case X509_V_ERR_PATH_LENGTH_EXCEEDED:
		return "more intermediate CAs than the vendor CA's pathlen allows";
	default:
		return NULL;
	}
}

static const char *role(int depth, int n)
{
	if (depth == 0)
		return "signer";
	return depth == n - 1 ? "root" : "vendor CA";
}

/* On success *chain_out (if not NULL) gets the verified chain, signer first, root last; the
 * caller frees it with sk_X509_pop_free(..., X509_free). */
static int check_chain(const struct sig_trust *t, X509 *signer, STACK_OF(X509) * certs,
		       STACK_OF(X509) * *chain_out, char **err)
{
	char why[256], subj[256];
	int rc = 0;
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	if (!ctx || !X509_STORE_CTX_init(ctx, t->store, signer, certs)) {
		rc = xdrv_err(err, -ENOMEM, "certificate chain: %s", sig_ossl_err(why, sizeof why));
		goto out;
	}
	if (X509_verify_cert(ctx) != 1) {
		int e = X509_STORE_CTX_get_error(ctx);
		const char *hint = chain_hint(e);
		X509 *at = X509_STORE_CTX_get_current_cert(ctx);
		if (at)
			sig_name_oneline(X509_get_subject_name(at), subj, sizeof subj);
		else
			snprintf(subj, sizeof subj, "depth %d",
				 X509_STORE_CTX_get_error_depth(ctx));
		if (hint)
			rc = xdrv_err(err, -EPERM, "certificate chain: %s (%s)",
				      X509_verify_cert_error_string(e), hint);
		else
			rc = xdrv_err(err, -EPERM, "certificate chain: %s (at %s)",
				      X509_verify_cert_error_string(e), subj);
		goto out;
	}
	STACK_OF(X509) *chain = X509_STORE_CTX_get0_chain(ctx);
	int n = sk_X509_num(chain);
	if (n < 2 || X509_cmp(sk_X509_value(chain, n - 1), t->root) != 0) {
		rc = xdrv_err(err, -EPERM,
			      "certificate chain does not end at the "
			      "pinned root");
		goto out;
	}
	for (int i = 0; i < n; i++) {
		X509 *x = sk_X509_value(chain, i);
		int64_t na = 0;
		char when[40], floor[40];
		if (sig_asn1_to_unix(X509_get0_notAfter(x), &na) != 0) {
			rc = xdrv_err(err, -EBADMSG, "%s certificate: unreadable notAfter",
				      role(i, n));
			goto out;
		}
		if (na < t->floor) {
			sig_fmt_time(na, when, sizeof when);
			sig_fmt_time(t->floor, floor, sizeof floor);
			rc = xdrv_err(err, -EKEYEXPIRED,
				      "%s certificate expired %s before the time floor %s",
				      role(i, n), when, floor);
			goto out;
		}
	}
	if (chain_out && !(*chain_out = X509_STORE_CTX_get1_chain(ctx)))
		rc = xdrv_err(err, -ENOMEM, "certificate chain: out of memory");
out:
	X509_STORE_CTX_free(ctx);
	ERR_clear_error();
	return rc;
}

/* ---- the CMS ------------------------------------------------------------------------------- */

static int64_t signing_time(CMS_SignerInfo *si)
{
	int idx = CMS_signed_get_attr_by_NID(si, NID_pkcs9_signingTime, -1);
	X509_ATTRIBUTE *a = idx >= 0 ? CMS_signed_get_attr(si, idx) : NULL;
	ASN1_TYPE *v = a ? X509_ATTRIBUTE_get0_type(a, 0) : NULL;
	int64_t t = 0;
	if (v && (v->type == V_ASN1_UTCTIME || v->type == V_ASN1_GENERALIZEDTIME))
		(void)sig_asn1_to_unix(v->value.utctime, &t);
	return t;
}

/* ---- one encoding only ------------------------------------------------------------------------
 * A signed package must have exactly one byte encoding, or anything keyed on its bytes (and an
 * attacker's "new" package that still verifies) escapes revocation and measurement. OpenSSL
 * accepts BER and ignores fields it does not need (the SignerInfo's signatureAlgorithm, unsigned
 * attributes, unused certificates), so each of these is checked here against what sig_sign
 * produces (signer/sign.c): strict DER, ecdsa-with-SHA256 with a P-256 key, SHA-256 without
 * parameters, the signed attributes contentType, messageDigest and signingTime once each, no
 * unsigned attributes, issuerAndSerialNumber, no CRLs, and only certificates of the chain. */

/* The DER re-encoding of what OpenSSL parsed must be the input, byte for byte: this refuses BER
 * (indefinite lengths), non-minimal lengths and any other alternative encoding. */
static int check_der(CMS_ContentInfo *cms, const uint8_t *der, size_t len, char **err)
{
	unsigned char *re = NULL;
	int n = i2d_CMS_ContentInfo(cms, &re);
	int rc = 0;
	if (n <= 0 || !re)
		return xdrv_err(err, -EBADMSG, "CMS: cannot be re-encoded as DER");
	size_t m = (size_t)n < len ? (size_t)n : len, at = 0;
	while (at < m && re[at] == der[at])
		at++;
	if (at < m || (size_t)n != len)
		rc = xdrv_err(err, -EBADMSG,
			      "CMS is not DER (re-encoding differs at byte %zu; %zu bytes, DER "
			      "has %d)",
			      at, len, n);
	OPENSSL_free(re);
	return rc;
}

static const char *oid_txt(const ASN1_OBJECT *o, char *buf, size_t n)
{
	if (!o || OBJ_obj2txt(buf, (int)n, o, 1) <= 0)
		snprintf(buf, n, "?");
	return buf;
}

static int check_algorithms(CMS_SignerInfo *si, char **err)
{
	X509_ALGOR *dig = NULL, *sigalg = NULL;
	const ASN1_OBJECT *obj = NULL;
	int ptype = V_ASN1_UNDEF;
	char oid[96];
	CMS_SignerInfo_get0_algs(si, NULL, NULL, &dig, &sigalg);
	if (!dig || !sigalg)
		return xdrv_err(err, -EBADMSG, "CMS: SignerInfo without algorithms");
	X509_ALGOR_get0(&obj, &ptype, NULL, dig);
	if (OBJ_obj2nid(obj) != NID_sha256)
		return xdrv_err(err, -EBADMSG,
				"CMS: digestAlgorithm %s is not SHA-256 (2.16.840.1.101.3.4.2.1)",
				oid_txt(obj, oid, sizeof oid));
	if (ptype != V_ASN1_UNDEF)
		return xdrv_err(err, -EBADMSG,
				"CMS: digestAlgorithm SHA-256 carries parameters; xdrv signatures "
				"leave them absent");
	X509_ALGOR_get0(&obj, &ptype, NULL, sigalg);
	if (OBJ_obj2nid(obj) != NID_ecdsa_with_SHA256)
		return xdrv_err(err, -EBADMSG,
				"signatureAlgorithm %s does not match the signer's key (want "
				"ecdsa-with-SHA256, 1.2.840.10045.4.3.2)",
				oid_txt(obj, oid, sizeof oid));
	if (ptype != V_ASN1_UNDEF)
		return xdrv_err(err, -EBADMSG,
				"signatureAlgorithm ecdsa-with-SHA256 carries parameters; RFC 5758 "
				"leaves them absent");
	return 0;
}

/* Exactly the signed attributes sig_sign writes, each once with one value; no unsigned ones. */
static int check_attributes(CMS_SignerInfo *si, char **err)
{
	static const int allowed[] = {NID_pkcs9_contentType, NID_pkcs9_messageDigest,
				      NID_pkcs9_signingTime};
	int seen[3] = {0, 0, 0};
	char oid[96];
	int n = CMS_signed_get_attr_count(si);
	for (int i = 0; i < n; i++) {
		X509_ATTRIBUTE *a = CMS_signed_get_attr(si, i);
		ASN1_OBJECT *o = a ? X509_ATTRIBUTE_get0_object(a) : NULL;
		int nid = OBJ_obj2nid(o), k = 0;
		while (k < 3 && allowed[k] != nid)
			k++;
		if (k == 3)
			return xdrv_err(err, -EBADMSG,
					"CMS: unknown signed attribute %s (xdrv signatures carry "
					"contentType, messageDigest and signingTime only)",
					oid_txt(o, oid, sizeof oid));
		if (seen[k]++)
			return xdrv_err(err, -EBADMSG, "CMS: signed attribute %s appears twice",
					OBJ_nid2sn(nid));
		if (X509_ATTRIBUTE_count(a) != 1)
			return xdrv_err(err, -EBADMSG,
					"CMS: signed attribute %s has %d values, not 1",
					OBJ_nid2sn(nid), X509_ATTRIBUTE_count(a));
	}
	if (!seen[0])
		return xdrv_err(err, -EBADMSG, "CMS: no contentType signed attribute");
	n = CMS_unsigned_get_attr_count(si);
	if (n > 0) {
		X509_ATTRIBUTE *a = CMS_unsigned_get_attr(si, 0);
		return xdrv_err(err, -EBADMSG,
				"CMS: unsigned attribute %s; xdrv signatures carry none",
				oid_txt(a ? X509_ATTRIBUTE_get0_object(a) : NULL, oid, sizeof oid));
	}
	return 0;
}

/* ecdsa-with-SHA256 is only consistent with an ECDSA P-256 key. */
static int check_signer_key(X509 *signer, char **err)
{
	EVP_PKEY *pk = X509_get0_pubkey(signer);
	char group[64] = "";
	size_t glen = 0;
	if (!pk || !EVP_PKEY_is_a(pk, "EC") ||
	    !EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
					    &glen) ||
	    strcmp(group, "prime256v1") != 0) {
		ERR_clear_error();
		return xdrv_err(err, -EBADMSG,
				"signer certificate key is %s%s%s, not ECDSA P-256 (the only key "
				"xdrv signs with)",
				pk ? EVP_PKEY_get0_type_name(pk) : "unreadable",
				group[0] ? " " : "", group);
	}
	return 0;
}

/* The certificates set holds the chain and nothing else, each once. */
static int check_cert_set(STACK_OF(X509) * certs, STACK_OF(X509) * chain, char **err)
{
	char subj[256];
	for (int i = 0; i < sk_X509_num(certs); i++) {
		X509 *x = sk_X509_value(certs, i);
		int in_chain = 0;
		for (int j = 0; j < sk_X509_num(chain) && !in_chain; j++)
			in_chain = X509_cmp(x, sk_X509_value(chain, j)) == 0;
		for (int j = 0; j < i; j++)
			if (X509_cmp(x, sk_X509_value(certs, j)) == 0) {
				sig_name_oneline(X509_get_subject_name(x), subj, sizeof subj);
				return xdrv_err(err, -EBADMSG,
						"CMS: certificate \"%s\" is carried twice", subj);
			}
		if (!in_chain) {
			sig_name_oneline(X509_get_subject_name(x), subj, sizeof subj);
			return xdrv_err(err, -EBADMSG,
					"CMS: certificate \"%s\" is not part of the signer's chain",
					subj);
		}
	}
	return 0;
}

/* The shape we sign with, nothing else: SignedData over id-data, detached, one signer whose
 * certificate is inside, SHA-256, signed attributes. */
static int check_shape(CMS_ContentInfo *cms, CMS_SignerInfo **psi, X509 **psigner,
		       STACK_OF(X509) * *pcerts, char **err)
{
	if (OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed)
		return xdrv_err(err, -EBADMSG, "CMS: not SignedData");
	if (OBJ_obj2nid(CMS_get0_eContentType(cms)) != NID_pkcs7_data)
		return xdrv_err(err, -EBADMSG, "CMS: signed content type is not id-data");
	if (CMS_is_detached(cms) != 1)
		return xdrv_err(err, -EBADMSG,
				"CMS: carries embedded content; xdrv signatures are "
				"detached");
	STACK_OF(CMS_SignerInfo) *sis = CMS_get0_SignerInfos(cms);
	if (sk_CMS_SignerInfo_num(sis) != 1)
		return xdrv_err(err, -EBADMSG, "CMS: %d signers, expected exactly 1",
				sk_CMS_SignerInfo_num(sis));
	CMS_SignerInfo *si = sk_CMS_SignerInfo_value(sis, 0);
	int rc = check_algorithms(si, err);
	if (rc)
		return rc;
	if (CMS_signed_get_attr_count(si) <= 0)
		return xdrv_err(err, -EBADMSG, "CMS: no signed attributes");
	if ((rc = check_attributes(si, err)) != 0)
		return rc;
	ASN1_OCTET_STRING *keyid = NULL;
	if (CMS_SignerInfo_get0_signer_id(si, &keyid, NULL, NULL) != 1 || keyid)
		return xdrv_err(err, -EBADMSG,
				"CMS: signer identified by subjectKeyIdentifier; xdrv signatures "
				"use issuerAndSerialNumber");
	STACK_OF(X509_CRL) *crls = CMS_get1_crls(cms);
	int ncrls = crls ? sk_X509_CRL_num(crls) : 0;
	sk_X509_CRL_pop_free(crls, X509_CRL_free);
	if (ncrls > 0)
		return xdrv_err(err, -EBADMSG,
				"CMS: carries %d CRL(s); xdrv signatures carry none (revocation "
				"comes from the boot configuration)",
				ncrls);
	STACK_OF(X509) *certs = CMS_get1_certs(cms);
	X509 *signer = NULL;
	for (int i = 0; i < sk_X509_num(certs) && !signer; i++)
		if (CMS_SignerInfo_cert_cmp(si, sk_X509_value(certs, i)) == 0)
			signer = sk_X509_value(certs, i);
	if (!signer) {
		sk_X509_pop_free(certs, X509_free);
		return xdrv_err(err, -EBADMSG,
				"CMS: the signer's certificate is not in the signature");
	}
	if ((rc = check_signer_key(signer, err)) != 0) {
		sk_X509_pop_free(certs, X509_free);
		return rc;
	}
	*psi = si;
	*psigner = signer;
	*pcerts = certs;
	return 0;
}

static int check_digest(CMS_SignerInfo *si, const uint8_t *payload, size_t len, char hex[65],
			char **err)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char signed_hex[65];
	if (EVP_Digest(payload, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32)
		return xdrv_err(err, -ENOMEM, "cannot compute SHA-256");
	xdrv_hex(md, 32, hex);
	ASN1_OCTET_STRING *want = CMS_signed_get0_data_by_OBJ(
		si, OBJ_nid2obj(NID_pkcs9_messageDigest), -3, V_ASN1_OCTET_STRING);
	if (!want)
		return xdrv_err(err, -EBADMSG, "CMS: no message-digest signed attribute");
	if (ASN1_STRING_length(want) != 32)
		return xdrv_err(err, -EBADMSG, "CMS: message-digest attribute is %d bytes, not 32",
				ASN1_STRING_length(want));
	if (CRYPTO_memcmp(ASN1_STRING_get0_data(want), md, 32) != 0) {
		xdrv_hex(ASN1_STRING_get0_data(want), 32, signed_hex);
		return xdrv_err(err, -EBADMSG,
				"payload digest mismatch: package modified after signing (signed "
				"sha256 %s, payload sha256 %s)",
				signed_hex, hex);
	}
	return 0;
}

/* The authoritative check: OpenSSL's own CMS verification with the same store, which verifies
 * the chain again, the signature over the signed attributes, and recomputes the digest of the
 * detached payload. */
static int cms_verify(const struct sig_trust *t, CMS_ContentInfo *cms, const uint8_t *payload,
		      size_t len, char **err)
{
	char why[256];
	int rc = 0;
	/* The content goes in through a null filter, not as a bare memory BIO: for a memory BIO,
	 * OpenSSL 3.0's CMS_verify makes a read-only copy BIO that it leaks when CMS_dataInit
	 * fails (e.g. an unknown algorithm in the SignedData digestAlgorithms set; found by
	 * tests/fuzz/fuzz_signature). Through a filter it reads our BIO directly. */
	BIO *mem = BIO_new_mem_buf(payload, (int)len);
	BIO *filter = BIO_new(BIO_f_null());
	BIO *content = mem && filter ? BIO_push(filter, mem) : NULL;
	if (!content) {
		BIO_free(filter);
		BIO_free(mem);
		return xdrv_err(err, -ENOMEM, "out of memory");
	}
	if (CMS_verify(cms, NULL, t->store, content, NULL, CMS_BINARY) != 1) {
		int reason = sig_ossl_reason();
		sig_ossl_err(why, sizeof why);
		if (reason == CMS_R_CONTENT_VERIFY_ERROR)
			rc = xdrv_err(err, -EBADMSG,
				      "payload digest mismatch: package modified after signing");
		else if (reason == CMS_R_VERIFICATION_FAILURE)
			rc = xdrv_err(err, -EBADMSG,
				      "the signature value does not verify with the "
				      "signer certificate's key");
		else
			rc = xdrv_err(err, -EBADMSG, "CMS verification failed: %s", why);
	}
	BIO_free_all(content);
	return rc;
}

int sig_verify(const struct sig_trust *t, const uint8_t *buf, size_t len, struct sig_info *info,
	       char **err)
{
	size_t plen = 0, coff = 0, clen = 0;
	CMS_ContentInfo *cms = NULL;
	STACK_OF(X509) *certs = NULL, *chain = NULL;
	CMS_SignerInfo *si = NULL;
	X509 *signer = NULL;
	char hex[65], why[256];

	if (info)
		memset(info, 0, sizeof *info);
	if (!t)
		return xdrv_err(err, -EINVAL, "verify: no trust anchor");
	int rc = sig_trailer_parse(buf, len, &plen, &coff, &clen, err);
	if (rc)
		return rc;
	if (plen > INT_MAX)
		return xdrv_err(err, -EFBIG, "payload of %zu bytes is too large", plen);

	const unsigned char *p = buf + coff;
	cms = d2i_CMS_ContentInfo(NULL, &p, (long)clen);
	if (!cms) {
		rc = xdrv_err(err, -EBADMSG, "CMS: not a DER CMS structure (%s)",
			      sig_ossl_err(why, sizeof why));
		goto out;
	}
	if (p != buf + coff + clen) {
		rc = xdrv_err(err, -EBADMSG,
			      "CMS: %zu bytes after the DER structure, before the "
			      "trailer",
			      (size_t)(buf + coff + clen - p));
		goto out;
	}
	if ((rc = check_der(cms, buf + coff, clen, err)) != 0 ||
	    (rc = check_shape(cms, &si, &signer, &certs, err)) != 0)
		goto out;
	if ((rc = check_signer_profile(signer, err)) != 0)
		goto out;
	if ((rc = check_chain(t, signer, certs, &chain, err)) != 0 ||
	    (rc = check_cert_set(certs, chain, err)) != 0 ||
	    (rc = check_digest(si, buf, plen, hex, err)) != 0 ||
	    (rc = cms_verify(t, cms, buf, plen, err)) != 0)
		goto out;
	if (info) {
		info->payload_len = plen;
		sig_name_oneline(X509_get_subject_name(signer), info->signer, sizeof info->signer);
		sig_name_oneline(X509_get_issuer_name(signer), info->issuer, sizeof info->issuer);
		memcpy(info->digest_hex, hex, sizeof info->digest_hex);
		info->signing_time = signing_time(si);
	}
out:
	sk_X509_pop_free(chain, X509_free);
	sk_X509_pop_free(certs, X509_free);
	CMS_ContentInfo_free(cms);
	ERR_clear_error();
	return rc;
}
