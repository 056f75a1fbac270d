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

/* OIDs under the 2.25 arc (ITU-T X.667: an OID made of a random UUID, no registration needed);
 * see signer/README.md. Never change them: every signed package in the field carries them. */
#define SIG_OID_EKU_DRIVER_SIGNING "2.25.179486840601333027670850861959011940717"
#define SIG_OID_POLICY_DRIVER	   "2.25.132004283868106738037368545957961889558"

/* The trailer, 48 bytes at the very end of a signed package, little-endian:
 *  0                16      20      24              32              40              48
 *  | magic "XDRV-SIGNATURE\n\0" | ver | flags | payload_len   | cms_len       | reserved (0) |
 *    16 bytes (15 + NUL)          u32=1  u32=0   u64             u64             8 zero bytes
 * payload_len + cms_len + 48 == file size exactly; 0 < cms_len <= SIG_CMS_MAX.
 */
#define SIG_TRAILER_MAGIC "XDRV-SIGNATURE\n"
#define SIG_TRAILER_SIZE  48u
#define SIG_CMS_MAX	  (64u * 1024u)

struct sig_pki_opts {
	const char *out_dir; /* writes root.pem/.key, vendor.pem/.key, signer.pem/.key */
	const char *vendor;  /* vendor organisation name (1..64 bytes), default "xdrv dev vendor" */
	uint32_t days;	     /* validity of signer cert, default 365, at most 36525 */
	int64_t not_before;  /* unix time of all three certs, 0 = now - 1 h */
	int64_t not_after;   /* signer cert only; unix time, 0 = not_before + days; lets tests
			      * make expired certs. The CAs get 10 (vendor) and 20 (root) years
			      * from not_before, and never end before the signer. */
	int no_eku;	     /* tests: leave the driver-signing EKU out of the signer cert */
	int no_policy;	     /* tests: leave the policy OID out of the signer cert */
	int overwrite;	     /* replace existing files; otherwise an existing one is -EEXIST */
};
/* Create the development PKI in opts->out_dir (created if missing): ECDSA P-256 keys (PKCS#8
 * PEM, mode 0600) and certificates (PEM, 0644), each written atomically, root.pem last. */
int sig_pki_create(const struct sig_pki_opts *opts, char **err);

/* Sign `in` (an unsigned package, at most 1 GiB) into `out` (atomic write; may equal `in`).
 * cert_pem: the signer certificate; key_pem: its unencrypted PEM key (must match, -EINVAL);
 * chain_pem: one or more PEM certificates to carry in the CMS (the vendor CA). A package that
 * already ends with a valid trailer is refused with -EEXIST. The certificate profile is not
 * checked here; sig_verify does that. A signature over SIG_CMS_MAX is -E2BIG. */
int sig_sign_file(const char *in, const char *out, const char *cert_pem, const char *key_pem,
		  const char *chain_pem, char **err);

struct sig_trust; /* a pinned root + verification settings */
/* Load the pinned root certificate (a PEM file holding exactly one self-signed CA).
 * time_floor: unix seconds, a lower bound on the current time; 0 = the built-in floor (the
 * source date of this build, XDRV_SOURCE_DATE). A certificate whose notAfter is before the
 * floor has expired; notBefore cannot be judged from a lower bound and is not checked; the
 * host clock is never read. sig_trust_destroy(NULL) is a no-op. */
int sig_trust_create(const char *root_pem, int64_t time_floor, struct sig_trust **out, char **err);
void sig_trust_destroy(struct sig_trust *t);
/* The time floor this trust judges by (the built-in one if 0 was given); for other checks
 * against the same lower bound on now, such as a CRL's nextUpdate. */
int64_t sig_trust_time_floor(const struct sig_trust *t);

struct sig_info {
	size_t payload_len; /* the verified payload is buf[0 .. payload_len) */
	char signer[256];   /* subject of the signer certificate, one line */
	char issuer[256];
	char digest_hex[65];  /* SHA-256 of the payload */
	int64_t signing_time; /* from the CMS signed attributes, 0 if absent */
};
/* Parse and bounds-check the trailer only (no cryptography). 0 and the offsets (payload at 0,
 * CMS at *cms_off; any out-pointer may be NULL), -ENODATA "not signed: no xdrv signature
 * trailer" when there is no trailer, -EBADMSG naming the defect ("trailer: truncated ...",
 * "trailer: cms_len N exceeds file ...") otherwise. Outputs are untouched on failure. */
int sig_trailer_parse(const uint8_t *buf, size_t len, size_t *payload_len, size_t *cms_off,
		      size_t *cms_len, char **err);
/* Full verification of a signed package in memory: trailer, one encoding only (strict DER;
 * ecdsa-with-SHA256 with a P-256 key; SHA-256; the signed attributes contentType,
 * messageDigest, signingTime and no others; no unsigned attributes; no CRLs; only the chain's
 * certificates: any other encoding of a package is -EBADMSG naming it), CMS shape (SignedData,
 * detached, one signer, SHA-256, signed attributes), signer profile (digitalSignature, the
 * driver-signing EKU, the policy, not a CA), chain to the pinned root with explicit policy, expiry
 * against the time floor, payload digest, and OpenSSL's CMS_verify. 0 with *info filled (info may
 * be NULL), or: -ENODATA/-EBADMSG (trailer, malformed CMS, digest mismatch, bad signature value),
 * -EPERM (chain, profile), -EKEYEXPIRED (expired before the floor), -EFBIG; *info is zeroed on
 * failure. Several threads may verify with one trust at once. */
int sig_verify(const struct sig_trust *t, const uint8_t *buf, size_t len, struct sig_info *info,
	       char **err);

/* Largest package sig_sign_file reads and `xdrv verify` accepts: 1 GiB. Driver packages are
 * bitcode (tens to hundreds of KiB); the cap only stops a hostile file from exhausting memory,
 * and keeps lengths inside OpenSSL's `int` BIO lengths. */
#define SIG_PACKAGE_MAX ((size_t)1 << 30)

#endif
