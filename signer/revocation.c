// SPDX-License-Identifier: MIT
/*
 * Revocation: the root-signed CRL and the deny-list of package digests (xdrv/revocation.h), and
 * making such a CRL (`xdrv revoke`). Signature verification itself is verify.c's; this file only
 * answers "is this already verified package revoked?".
 *
 * A package's identity is its payload digest (the SHA-256 of the signed content, what
 * sig_info.digest_hex shows), never the digest of the file: the signature around the payload
 * can be re-encoded by anyone, and verify.c refuses every encoding but one only as a second
 * line of defence.
 */
#include "xdrv/revocation.h"

#include <errno.h>
#include <openssl/bn.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sig_internal.h"
#include "xdrv/signer.h"
#include "xdrv/util.h"

#define DENY_MAX   100000u /* digests in a deny-list: far beyond any real list, bounds memory */
#define REVOKE_MAX 4096u

struct deny {
	uint8_t d[32];
	char *where; /* "file:line" */
};

struct sig_revocation {
	X509_CRL *crl;
	char *crl_path;
	struct deny *deny;
	size_t ndeny;
};

static int read_pem_cert(const char *path, X509 **out, char **err)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return xdrv_err(err, -errno, "%s: %s", path, strerror(errno));
	*out = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (!*out) {
		char e[256];
		return xdrv_err(err, -EBADMSG, "%s: not a PEM certificate (%s)", path,
				sig_ossl_err(e, sizeof e));
	}
	return 0;
}

static int hex_digest(const char *s, size_t n, uint8_t out[32])
{
	if (n != 64)
		return -1;
	for (size_t i = 0; i < 64; i++) {
		char c = s[i];
		int v = c >= '0' && c <= '9'   ? c - '0'
			: c >= 'a' && c <= 'f' ? c - 'a' + 10
			: c >= 'A' && c <= 'F' ? c - 'A' + 10
					       : -1;
		if (v < 0)
			return -1;
		if (i % 2 == 0)
			out[i / 2] = (uint8_t)(v << 4);
		else
			out[i / 2] |= (uint8_t)v;
	}
	return 0;
}

static int load_deny(struct sig_revocation *r, const char *path, char **err)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc = xdrv_read_file(path, 16u << 20, &buf, &len, err);
	if (rc) {
		xdrv_err_prefix(err, "deny-list");
		return rc;
	}
	size_t line = 0;
	char *next = (char *)buf;
	while (next && *next) {
		char *l = next;
		next = strchr(l, '\n');
		if (next)
			*next++ = 0;
		line++;
		char *h = strchr(l, '#');
		if (h)
			*h = 0;
		char *s = l + strspn(l, " \t\r");
		size_t n = strcspn(s, " \t\r");
		if (n == 0)
			continue;
		if (s[n + strspn(s + n, " \t\r")] != 0 || r->ndeny >= DENY_MAX) {
			rc = xdrv_err(err, -EBADMSG, "deny-list %s:%zu: %s", path, line,
				      r->ndeny >= DENY_MAX ? "too many digests"
							   : "one digest per line");
			break;
		}
		uint8_t d[32];
		if (hex_digest(s, n, d) != 0) {
			rc = xdrv_err(err, -EBADMSG,
				      "deny-list %s:%zu: not a SHA-256 (64 hex digits): %.70s",
				      path, line, s);
			break;
		}
		struct deny *nd = realloc(r->deny, (r->ndeny + 1) * sizeof *nd);
		if (!nd) {
			rc = xdrv_err(err, -ENOMEM, "deny-list: out of memory");
			break;
		}
		r->deny = nd;
		memcpy(nd[r->ndeny].d, d, 32);
		char where[512];
		snprintf(where, sizeof where, "%s:%zu", path, line);
		if (!(nd[r->ndeny].where = strdup(where))) {
			rc = xdrv_err(err, -ENOMEM, "deny-list: out of memory");
			break;
		}
		r->ndeny++;
	}
	free(buf);
	return rc;
}

static int load_crl(struct sig_revocation *r, const char *root_pem, const char *path, char **err)
{
	X509 *root = NULL;
	int rc = read_pem_cert(root_pem, &root, err);
	if (rc)
		return rc;
	char e[256];
	FILE *f = fopen(path, "r");
	if (!f) {
		rc = xdrv_err(err, -errno, "CRL %s: %s", path, strerror(errno));
		goto out;
	}
	r->crl = PEM_read_X509_CRL(f, NULL, NULL, NULL);
	fclose(f);
	if (!r->crl) {
		rc = xdrv_err(err, -EBADMSG, "CRL %s: not a PEM CRL (%s)", path,
			      sig_ossl_err(e, sizeof e));
		goto out;
	}
	if (X509_NAME_cmp(X509_CRL_get_issuer(r->crl), X509_get_subject_name(root)) != 0) {
		rc = xdrv_err(err, -EPERM, "CRL %s: not issued by the pinned root", path);
		goto out;
	}
	EVP_PKEY *pk = X509_get0_pubkey(root);
	if (!pk || X509_CRL_verify(r->crl, pk) != 1) {
		rc = xdrv_err(err, -EPERM, "CRL %s: signature is not the pinned root's", path);
		goto out;
	}
out:
	X509_free(root);
	return rc;
}

int sig_revocation_load(const char *root_pem, const char *crl_pem, const char *deny_path,
			struct sig_revocation **out, char **err)
{
	*out = NULL;
	struct sig_revocation *r = calloc(1, sizeof *r);
	if (!r)
		return xdrv_err(err, -ENOMEM, "revocation: out of memory");
	int rc = 0;
	if (crl_pem) {
		if (!root_pem)
			rc = xdrv_err(err, -EINVAL, "CRL %s: no root to check it against", crl_pem);
		else
			rc = load_crl(r, root_pem, crl_pem, err);
		if (!rc && !(r->crl_path = strdup(crl_pem)))
			rc = xdrv_err(err, -ENOMEM, "revocation: out of memory");
	}
	if (!rc && deny_path)
		rc = load_deny(r, deny_path, err);
	if (rc) {
		sig_revocation_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

void sig_revocation_free(struct sig_revocation *r)
{
	if (!r)
		return;
	X509_CRL_free(r->crl);
	free(r->crl_path);
	for (size_t i = 0; i < r->ndeny; i++)
		free(r->deny[i].where);
	free(r->deny);
	free(r);
}

void sig_revocation_counts(const struct sig_revocation *r, size_t *serials, size_t *digests)
{
	STACK_OF(X509_REVOKED) *rev = r && r->crl ? X509_CRL_get_REVOKED(r->crl) : NULL;
	*serials = rev ? (size_t)sk_X509_REVOKED_num(rev) : 0;
	*digests = r ? r->ndeny : 0;
}

static const struct deny *denied(const struct sig_revocation *r, const uint8_t d[32])
{
	for (size_t i = 0; i < r->ndeny; i++)
		if (memcmp(r->deny[i].d, d, 32) == 0)
			return &r->deny[i];
	return NULL;
}

static int check_certs(const struct sig_revocation *r, const uint8_t *buf, size_t len, char **err)
{
	size_t plen = 0, coff = 0, clen = 0;
	int rc = sig_trailer_parse(buf, len, &plen, &coff, &clen, err);
	if (rc)
		return rc;
	const unsigned char *p = buf + coff;
	CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &p, (long)clen);
	if (!cms)
		return xdrv_err(err, -EBADMSG, "revocation: CMS does not parse");
	STACK_OF(X509) *certs = CMS_get1_certs(cms);
	for (int i = 0; !rc && certs && i < sk_X509_num(certs); i++) {
		X509 *x = sk_X509_value(certs, i);
		X509_REVOKED *rev = NULL;
		if (X509_CRL_get0_by_serial(r->crl, &rev, X509_get0_serialNumber(x)) != 1 || !rev)
			continue;
		BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
		char *hex = bn ? BN_bn2hex(bn) : NULL;
		char subj[256], when[40] = "?";
		int64_t t = 0;
		sig_name_oneline(X509_get_subject_name(x), subj, sizeof subj);
		if (sig_asn1_to_unix(X509_REVOKED_get0_revocationDate(rev), &t) == 0)
			sig_fmt_time(t, when, sizeof when);
		rc = xdrv_err(
			err, -EKEYREVOKED,
			"%s certificate (%s) serial 0x%s is revoked by the root's CRL (revoked "
			"%s)",
			X509_check_ca(x) ? "vendor CA" : "signer", subj, hex ? hex : "?", when);
		OPENSSL_free(hex);
		BN_free(bn);
	}
	sk_X509_pop_free(certs, X509_free);
	CMS_ContentInfo_free(cms);
	return rc;
}

int sig_revocation_check(const struct sig_revocation *r, const uint8_t *buf, size_t len, char **err)
{
	if (!r)
		return 0;
	if (r->crl) {
		int rc = check_certs(r, buf, len, err);
		if (rc)
			return rc;
	}
	if (!r->ndeny)
		return 0;
	/* The payload digest only: it is what the signature covers, so it is the same for every
	 * encoding of the signature and for the unsigned package. The file's own digest is not
	 * an identity (issue 10: a re-encoded CMS gave a revoked package a new file digest). */
	uint8_t d[32];
	unsigned int dl = 32;
	char hex[65];
	size_t plen = 0;
	int rc = sig_trailer_parse(buf, len, &plen, NULL, NULL, NULL);
	if (rc == -ENODATA)
		plen = len; /* an unsigned package is its own payload */
	else if (rc)
		return sig_trailer_parse(buf, len, &plen, NULL, NULL, err);
	if (!EVP_Digest(buf, plen, d, &dl, EVP_sha256(), NULL))
		return xdrv_err(err, -EIO, "revocation: SHA-256 failed");
	const struct deny *hit = denied(r, d);
	if (!hit)
		return 0;
	xdrv_hex(d, 32, hex);
	return xdrv_err(err, -EKEYREVOKED, "package payload digest %s is on the deny-list (%s)",
			hex, hit->where);
}

/* ---- freshness --------------------------------------------------------------------------- */
static int crl_number(const X509_CRL *crl, uint64_t *out, int *present)
{
	int crit = 0;
	ASN1_INTEGER *n = X509_CRL_get_ext_d2i(crl, NID_crl_number, &crit, NULL);
	*present = n != NULL;
	if (!n)
		return crit == -1 ? 0 : -1; /* -1: absent; -2: more than one; else malformed */
	int ok = ASN1_INTEGER_get_uint64(out, n) == 1;
	ASN1_INTEGER_free(n);
	return ok ? 0 : -1;
}

int sig_revocation_crl_fresh(const struct sig_revocation *r, int64_t time_floor, uint64_t stored,
			     uint64_t *number, char **err)
{
	char when[40], floor[40];
	int64_t next = 0;
	int present = 0;
	*number = 0;
	if (!r || !r->crl)
		return xdrv_err(err, -EINVAL, "revocation: no CRL loaded");
	const char *path = r->crl_path ? r->crl_path : "?";
	/* the number first, so that the caller can report it whatever is wrong below */
	if (crl_number(r->crl, number, &present) != 0)
		return xdrv_err(err, -EBADMSG,
				"CRL %s: cRLNumber is malformed, repeated or above 2^64-1", path);
	const ASN1_TIME *nu = X509_CRL_get0_nextUpdate(r->crl);
	if (!nu)
		return xdrv_err(err, -ESTALE,
				"CRL %s: no nextUpdate, so it never goes stale; xdrv CRLs say when "
				"they expire (xdrv revoke --days)",
				path);
	if (sig_asn1_to_unix(nu, &next) != 0)
		return xdrv_err(err, -EBADMSG, "CRL %s: unreadable nextUpdate", path);
	/* The floor is a lower bound on now: a nextUpdate before it has certainly passed. */
	if (next < time_floor) {
		sig_fmt_time(next, when, sizeof when);
		sig_fmt_time(time_floor, floor, sizeof floor);
		return xdrv_err(err, -ESTALE,
				"CRL %s: stale: its nextUpdate %s is before the time floor %s; "
				"issue a fresh one (xdrv revoke)",
				path, when, floor);
	}
	if (!present)
		return xdrv_err(err, -ESTALE,
				"CRL %s: no cRLNumber, so an older CRL could not be told from a "
				"newer one; issue one with xdrv revoke",
				path);
	if (*number < stored)
		return xdrv_err(
			err, -ESTALE,
			"CRL %s: cRLNumber %llu is lower than %llu, the highest this host has "
			"seen: an older CRL",
			path, (unsigned long long)*number, (unsigned long long)stored);
	return 0;
}

/* ---- making a CRL --------------------------------------------------------------------------- */
static int add_serial(X509_CRL *crl, const ASN1_INTEGER *serial, const ASN1_TIME *now)
{
	X509_REVOKED *rv = X509_REVOKED_new();
	if (!rv || !X509_REVOKED_set_serialNumber(rv, (ASN1_INTEGER *)serial) ||
	    !X509_REVOKED_set_revocationDate(rv, (ASN1_TIME *)now) ||
	    !X509_CRL_add0_revoked(crl, rv)) {
		X509_REVOKED_free(rv);
		return -1;
	}
	return 0;
}

/* The cRLNumber of the CRL already at `path`, 0 if there is none or it has none. */
static uint64_t previous_number(const char *path)
{
	FILE *f = fopen(path, "r");
	X509_CRL *old = f ? PEM_read_X509_CRL(f, NULL, NULL, NULL) : NULL;
	uint64_t n = 0;
	int present = 0;
	if (f)
		fclose(f);
	if (!old || crl_number(old, &n, &present) != 0 || !present)
		n = 0;
	X509_CRL_free(old);
	ERR_clear_error();
	return n;
}

int sig_crl_create(const char *root_cert, const char *root_key, const char *const *certs,
		   size_t ncerts, const char *const *serials, size_t nserials, uint32_t days,
		   uint64_t number, const char *out, uint64_t *number_out, char **err)
{
	X509 *root = NULL;
	EVP_PKEY *key = NULL;
	X509_CRL *crl = NULL;
	ASN1_TIME *now = NULL, *next = NULL;
	BIO *bio = NULL;
	char e[256];
	int rc;
	if (ncerts + nserials > REVOKE_MAX || days == 0 || days > 36525)
		return xdrv_err(err, -EINVAL, "CRL: 1..%u entries and 1..36525 days", REVOKE_MAX);
	rc = read_pem_cert(root_cert, &root, err);
	if (rc)
		return rc;
	FILE *f = fopen(root_key, "r");
	if (!f) {
		rc = xdrv_err(err, -errno, "%s: %s", root_key, strerror(errno));
		goto out;
	}
	key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (!key || X509_check_private_key(root, key) != 1) {
		rc = xdrv_err(err, -EINVAL, "%s: not the private key of %s", root_key, root_cert);
		goto out;
	}
	crl = X509_CRL_new();
	now = X509_gmtime_adj(NULL, 0);
	next = X509_gmtime_adj(NULL, (long)days * 86400);
	if (!crl || !now || !next || !X509_CRL_set_version(crl, X509_CRL_VERSION_2) ||
	    !X509_CRL_set_issuer_name(crl, X509_get_subject_name(root)) ||
	    !X509_CRL_set1_lastUpdate(crl, now) || !X509_CRL_set1_nextUpdate(crl, next)) {
		rc = xdrv_err(err, -ENOMEM, "CRL: %s", sig_ossl_err(e, sizeof e));
		goto out;
	}
	if (!number) {
		/* Automatic: the issue time in seconds, or one more than the CRL being replaced,
		 * whichever is higher, so that numbers only go up even if the clock does not. */
		uint64_t prev = previous_number(out);
		time_t t = time(NULL);
		number = t > 0 ? (uint64_t)t : 1;
		if (prev >= number)
			number = prev + 1;
	}
	ASN1_INTEGER *num = ASN1_INTEGER_new();
	int added = num && ASN1_INTEGER_set_uint64(num, number) == 1 &&
		    X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, 0) == 1;
	ASN1_INTEGER_free(num);
	if (!added) {
		rc = xdrv_err(err, -ENOMEM, "CRL: cRLNumber: %s", sig_ossl_err(e, sizeof e));
		goto out;
	}
	if (number_out)
		*number_out = number;
	for (size_t i = 0; i < ncerts; i++) {
		X509 *x = NULL;
		rc = read_pem_cert(certs[i], &x, err);
		if (rc)
			goto out;
		rc = add_serial(crl, X509_get0_serialNumber(x), now);
		X509_free(x);
		if (rc) {
			rc = xdrv_err(err, -ENOMEM, "CRL: out of memory");
			goto out;
		}
	}
	for (size_t i = 0; i < nserials; i++) {
		BIGNUM *bn = NULL;
		const char *s = serials[i];
		if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
			s += 2;
		if (!*s || strlen(s) > 40 || strspn(s, "0123456789abcdefABCDEF") != strlen(s) ||
		    !BN_hex2bn(&bn, s)) {
			BN_free(bn);
			rc = xdrv_err(err, -EINVAL, "CRL: serial '%s' is not hex", serials[i]);
			goto out;
		}
		ASN1_INTEGER *ai = BN_to_ASN1_INTEGER(bn, NULL);
		BN_free(bn);
		rc = ai ? add_serial(crl, ai, now) : -1;
		ASN1_INTEGER_free(ai);
		if (rc) {
			rc = xdrv_err(err, -ENOMEM, "CRL: out of memory");
			goto out;
		}
	}
	X509_CRL_sort(crl);
	if (!X509_CRL_sign(crl, key, EVP_sha256())) {
		rc = xdrv_err(err, -EIO, "CRL: signing: %s", sig_ossl_err(e, sizeof e));
		goto out;
	}
	bio = BIO_new(BIO_s_mem());
	char *pem = NULL;
	long n;
	if (!bio || !PEM_write_bio_X509_CRL(bio, crl) || (n = BIO_get_mem_data(bio, &pem)) <= 0) {
		rc = xdrv_err(err, -ENOMEM, "CRL: out of memory");
		goto out;
	}
	rc = xdrv_write_file_atomic(out, pem, (size_t)n, 0644, err);
out:
	BIO_free(bio);
	ASN1_TIME_free(now);
	ASN1_TIME_free(next);
	X509_CRL_free(crl);
	EVP_PKEY_free(key);
	X509_free(root);
	return rc;
}
