// SPDX-License-Identifier: MIT
/*
 * The OpenSSL glue the other signer files share: our two OIDs registered once per process, the
 * thread's OpenSSL error queue turned into one message, ASN1_TIME to Unix seconds, and names as
 * one escaped line. Nothing here decides whether a signature is good.
 */
#include "sig_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <xdrv/signer.h>
#include <xdrv/util.h>

static CRYPTO_ONCE oids_once = CRYPTO_ONCE_STATIC_INIT;
static int nid_eku = NID_undef;
static int nid_policy = NID_undef;

/* An application (or an earlier library in this process) may have registered the OID already,
 * under other names: then use its NID rather than fail. */
static int register_oid(const char *oid, const char *sn, const char *ln)
{
	int nid = OBJ_txt2nid(oid);
	if (nid == NID_undef)
		nid = OBJ_create(oid, sn, ln);
	return nid;
}

static void oids_register(void)
{
	nid_eku = register_oid(SIG_OID_EKU_DRIVER_SIGNING, "xdrvDriverSigning",
			       "xdrv driver signing");
	nid_policy = register_oid(SIG_OID_POLICY_DRIVER, "xdrvDriverPolicy",
				  "xdrv driver signing policy");
	ERR_clear_error();
}

int sig_oids_init(char **err)
{
	if (!CRYPTO_THREAD_run_once(&oids_once, oids_register) || nid_eku == NID_undef ||
	    nid_policy == NID_undef)
		return xdrv_err(err, -ENOMEM, "OpenSSL: cannot register the xdrv OIDs");
	return 0;
}

int sig_nid_eku(void)
{
	return nid_eku;
}

int sig_nid_policy(void)
{
	return nid_policy;
}

const char *sig_ossl_err(char *buf, size_t n)
{
	const char *data = NULL;
	int eflags = 0;
	unsigned long e = ERR_peek_last_error_data(&data, &eflags);
	if (e == 0) {
		snprintf(buf, n, "no OpenSSL error detail");
	} else {
		const char *reason = ERR_reason_error_string(e);
		char num[32];
		if (!reason) {
			snprintf(num, sizeof num, "error %d", ERR_GET_REASON(e));
			reason = num;
		}
		if (data && *data && (eflags & ERR_TXT_STRING))
			snprintf(buf, n, "%s (%s)", reason, data);
		else
			snprintf(buf, n, "%s", reason);
	}
	ERR_clear_error();
	return buf;
}

int sig_ossl_reason(void)
{
	unsigned long e = ERR_peek_last_error();
	return e ? ERR_GET_REASON(e) : 0;
}

int sig_asn1_to_unix(const ASN1_TIME *t, int64_t *out)
{
	struct tm tm;
	memset(&tm, 0, sizeof tm);
	if (!t || ASN1_TIME_to_tm(t, &tm) != 1) {
		ERR_clear_error();
		return -EINVAL;
	}
	*out = (int64_t)timegm(&tm);
	return 0;
}

void sig_fmt_time(int64_t t, char *buf, size_t n)
{
	struct tm tm;
	time_t tt = (time_t)t;
	if (!gmtime_r(&tt, &tm) || strftime(buf, n, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(buf, n, "@%lld", (long long)t);
}

void sig_name_oneline(const X509_NAME *name, char *buf, size_t n)
{
	buf[0] = 0;
	BIO *b = BIO_new(BIO_s_mem());
	if (!b)
		goto out;
	/* ONELINE escapes control characters and non-ASCII bytes: a name from an untrusted
	 * certificate is printed to terminals and logs. */
	if (X509_NAME_print_ex(b, name, 0, XN_FLAG_ONELINE & ~ASN1_STRFLGS_ESC_MSB) < 0)
		goto out_free;
	char *p = NULL;
	long len = BIO_get_mem_data(b, &p);
	if (len < 0 || !p)
		goto out_free;
	size_t m = (size_t)len < n - 1 ? (size_t)len : n - 1;
	/* ESC_MSB is off so UTF-8 stays readable; still replace any raw control byte. */
	for (size_t i = 0; i < m; i++)
		buf[i] = ((unsigned char)p[i] < 0x20 || p[i] == 0x7f) ? '?' : p[i];
	buf[m] = 0;
out_free:
	BIO_free(b);
out:
	ERR_clear_error();
}
