/* SPDX-License-Identifier: MIT */
/*
 * Revocation inputs of the trusted boot chain (signer/revocation.c):
 *
 *  - a CRL signed by the pinned root. It lists serial numbers of certificates anywhere in a
 *    package's chain (vendor CA or driver signer): the root speaks for the whole hierarchy it
 *    issued, so a serial is matched whoever issued the certificate (serials are random 127-bit
 *    numbers, see signer/README.md);
 *  - a deny-list of package payload digests: a text file, one SHA-256 (64 hex digits) per
 *    line, '#' comments; a package is denied if the SHA-256 of its payload (the signed content,
 *    sig_info.digest_hex; for an unsigned package, the whole file) is listed. The digest of a
 *    signed file is not an identity (its signature can be re-encoded) and is no longer matched:
 *    a list written before issue 10 with file digests must be regenerated with
 *    `xdrv revoke --deny-list OUT --package PKG...` (docs/BOOT.md).
 *
 * The CRL must be fresh (sig_revocation_crl_fresh): nextUpdate not before the time floor, and
 * a cRLNumber not lower than the highest the host has seen (kept with the rollback floors by
 * the loader, boot_floor.c), so an older CRL cannot be replayed.
 *
 * The security_version floor is the loader's (boot_seq.c), since it needs the manifest.
 * All functions: 0 or a negative errno; *err (if err is not NULL) gets a malloc'd message.
 */
#ifndef XDRV_REVOCATION_H
#define XDRV_REVOCATION_H

#include <stddef.h>
#include <stdint.h>

struct sig_revocation;
/* Load and check the inputs: crl_pem (NULL: none) must parse, be a v2 CRL issued under the
 * root's subject and carry a valid signature by the root's key (root_pem); deny_path (NULL:
 * none) must hold only well-formed lines. -EBADMSG / -EPERM naming the file and the line. */
int sig_revocation_load(const char *root_pem, const char *crl_pem, const char *deny_path,
			struct sig_revocation **out, char **err);
void sig_revocation_free(struct sig_revocation *r); /* NULL-safe */
/* Check a signed package (already verified with sig_verify): each certificate its CMS carries
 * against the CRL, the payload digest against the deny-list. -EKEYREVOKED with "signer
 * certificate serial 0x... is revoked by the root's CRL (revoked 2026-...)" or "package payload
 * digest ... is on the deny-list" (file:line). */
int sig_revocation_check(const struct sig_revocation *r, const uint8_t *buf, size_t len,
			 char **err);
/* Numbers of revoked serials and denied digests (for measurement and messages). */
void sig_revocation_counts(const struct sig_revocation *r, size_t *serials, size_t *digests);

/* Is the loaded CRL fresh? Its nextUpdate must be present and not before time_floor (a lower
 * bound on now, as in sig_trust_create: the host clock is never read), and its cRLNumber
 * present and not lower than `stored` (the highest number this host has accepted; equal is
 * fine). 0 with *number set to the CRL's number (the caller raises its stored number to it;
 * *number is also set when the CRL is refused as stale, 0 if it has none),
 * -ESTALE ("CRL PATH: stale: its nextUpdate ... is before the time floor ...", "... no
 * nextUpdate ...", "... no cRLNumber ...", "... cRLNumber 3 is lower than 5, the highest this
 * host has seen: an older CRL"), -EBADMSG for a malformed field, -EINVAL without a CRL. */
int sig_revocation_crl_fresh(const struct sig_revocation *r, int64_t time_floor, uint64_t stored,
			     uint64_t *number, char **err);

/* Write a CRL signed by the root (cert + unencrypted PEM key), valid `days` from now, revoking
 * the serial numbers of the given certificates (PEM files) and of `serials` (hex strings),
 * with the cRLNumber `number`; 0 picks one: the current Unix time, or one more than the
 * number of a CRL already at `out` if that is higher, so numbers only go up. *number_out (may
 * be NULL) gets the number written. */
int sig_crl_create(const char *root_cert, const char *root_key, const char *const *certs,
		   size_t ncerts, const char *const *serials, size_t nserials, uint32_t days,
		   uint64_t number, const char *out, uint64_t *number_out, char **err);

#endif
