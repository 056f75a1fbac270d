/* SPDX-License-Identifier: MIT */
/*
 * Signer: development PKI, signing packages, verifying them.
 *
 * A signed package is  payload ‖ DER CMS SignedData (detached, SHA-256, ECDSA P-256) ‖ trailer.
 * The CMS carries the signer and vendor certificates. Verification finds the signature from the
 * fixed trailer, checks bounds, the CMS, the chain to a pinned root, key usage, the driver-signing
 * EKU and certificate policy, certificate expiry against a stored time floor (not the wall
 * clock), and the payload digest; only then may anything parse the payload.
 *
 * All functions: 0 or a negative errno; *err (if err is not NULL) gets a malloc'd message.
 */
#ifndef XDRV_SIGNER_H
#define XDRV_SIGNER_H

#include <stddef.h>
#include <stdint.h>

/* OIDs under the 2.25 (UUID) arc; see signer/README.md. */
#define SIG_OID_EKU_DRIVER_SIGNING "2.25.(filled by signer)"
#define SIG_OID_POLICY_DRIVER "2.25.(filled by signer)"

/* The trailer, 48 bytes at the very end of a signed package, little-endian:
 *  0                16      20      24              32              40              48
 *  | magic "XDRV-SIGNATURE\n\0" | ver | flags | payload_len   | cms_len       | reserved (0) |
 */
#define SIG_TRAILER_MAGIC "XDRV-SIGNATURE\n"
#define SIG_TRAILER_SIZE 48u
#define SIG_CMS_MAX (64u * 1024u)

struct sig_pki_opts {
	const char *out_dir;   /* writes root.pem/.key, vendor.pem/.key, signer.pem/.key */
	const char *vendor;    /* vendor organisation name, default "xdrv dev vendor" */
	uint32_t days;         /* validity of signer cert, default 365 */
	int64_t not_before;    /* unix time, 0 = now - 1 h */
	int64_t not_after;     /* unix time, 0 = not_before + days; lets tests make expired certs */
	int no_eku;            /* tests: leave out the driver-signing EKU */
	int no_policy;         /* tests: leave out the policy OID */
};
int sig_pki_create(const struct sig_pki_opts *opts, char **err);

/* Sign `in` (an unsigned package) into `out` (atomic write). A package that already carries a
 * trailer is refused. */
int sig_sign_file(const char *in, const char *out, const char *cert_pem, const char *key_pem,
		  const char *chain_pem, char **err);

struct sig_trust; /* a pinned root + verification settings */
/* Load the pinned root certificate. time_floor: unix seconds; 0 = the built-in floor (the
 * source date of this build). */
int sig_trust_create(const char *root_pem, int64_t time_floor, struct sig_trust **out, char **err);
void sig_trust_destroy(struct sig_trust *t);

struct sig_info {
	size_t payload_len;     /* the verified payload is buf[0 .. payload_len) */
	char signer[256];       /* subject of the signer certificate, one line */
	char issuer[256];
	char digest_hex[65];    /* SHA-256 of the payload */
	int64_t signing_time;   /* from the CMS signed attributes, 0 if absent */
};
/* Parse and bounds-check the trailer only. 0 and offsets, or -EBADMSG/-ENODATA ("not signed"). */
int sig_trailer_parse(const uint8_t *buf, size_t len, size_t *payload_len, size_t *cms_off,
		      size_t *cms_len, char **err);
/* Full verification of a signed package in memory. */
int sig_verify(const struct sig_trust *t, const uint8_t *buf, size_t len, struct sig_info *info,
	       char **err);

#endif
