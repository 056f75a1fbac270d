// SPDX-License-Identifier: MIT
/*
 * Verification of a signed package against one pinned root, before anything parses the payload.
 * Order: trailer bounds (trailer.c); the DER CMS, parsed from its slice with a length bound;
 * its shape (SignedData, detached, one signer, SHA-256, signed attributes); the signer
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

static int check_chain(const struct sig_trust *t, X509 *signer, STACK_OF(X509) * certs, char **err)
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
	X509_ALGOR *dig = NULL, *sigalg = NULL;
	CMS_SignerInfo_get0_algs(si, NULL, NULL, &dig, &sigalg);
	if (!dig || OBJ_obj2nid(dig->algorithm) != NID_sha256)
		return xdrv_err(err, -EBADMSG, "CMS: digest algorithm is not SHA-256");
	if (CMS_signed_get_attr_count(si) <= 0)
		return xdrv_err(err, -EBADMSG, "CMS: no signed attributes");
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
	STACK_OF(X509) *certs = NULL;
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
	if ((rc = check_shape(cms, &si, &signer, &certs, err)) != 0)
		goto out;
	if ((rc = check_signer_profile(signer, err)) != 0)
		goto out;
	if ((rc = check_chain(t, signer, certs, err)) != 0 ||
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
	sk_X509_pop_free(certs, X509_free);
	CMS_ContentInfo_free(cms);
	ERR_clear_error();
	return rc;
}
