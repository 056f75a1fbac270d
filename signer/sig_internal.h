/* SPDX-License-Identifier: MIT */
/*
 * Private to signer/: the OpenSSL glue every signer file needs (our OIDs, the error queue as a
 * message, certificate times as Unix seconds) and the trailer encoder. Not part of the contract
 * in xdrv/signer.h.
 */
#ifndef XDRV_SIG_INTERNAL_H
#define XDRV_SIG_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/asn1.h>
#include <openssl/x509.h>

/* Register SIG_OID_EKU_DRIVER_SIGNING and SIG_OID_POLICY_DRIVER with OpenSSL (OBJ_create), once
 * per process, thread-safe. 0 or -ENOMEM with *err set. */
int sig_oids_init(char **err);
/* NIDs of the two OIDs; valid after a successful sig_oids_init(). */
int sig_nid_eku(void);
int sig_nid_policy(void);

/* The reason of the newest OpenSSL error (plus its data, if any) into buf, then clear the
 * thread's error queue. Writes "no OpenSSL error detail" when the queue is empty. Returns buf. */
const char *sig_ossl_err(char *buf, size_t n);
/* The newest OpenSSL error's reason code (ERR_GET_REASON), 0 if none. Leaves the queue. */
int sig_ossl_reason(void);

/* ASN1_TIME (UTCTime or GeneralizedTime) to Unix seconds. 0 or -EINVAL. */
int sig_asn1_to_unix(const ASN1_TIME *t, int64_t *out);
/* "2026-03-01 12:00:00 UTC" into buf (at least 32 bytes). */
void sig_fmt_time(int64_t t, char *buf, size_t n);
/* One-line, escaped form of an X.509 name ("O = acme, CN = driver signer"), truncated to fit. */
void sig_name_oneline(const X509_NAME *name, char *buf, size_t n);

/* Encode the 48-byte trailer (layout in xdrv/signer.h). */
void sig_trailer_encode(uint8_t out[48], uint64_t payload_len, uint64_t cms_len);

#endif
