/* SPDX-License-Identifier: MIT */
/*
 * Fixtures shared by the signer suites: development PKIs in fresh temporary folders, a small
 * payload, signing it, and editing signed packages. Everything is made at test time.
 */
#ifndef XDRV_TESTS_SIGNER_FIXTURE_H
#define XDRV_TESTS_SIGNER_FIXTURE_H

#include <stddef.h>
#include <stdint.h>
#include <xdrv/signer.h>

/* Create a PKI with the given options (out_dir is filled in) in a fresh temporary folder.
 * Returns the folder (malloc'd) or NULL, printing the error. */
char *sigfx_pki(struct sig_pki_opts o);
/* Write a small deterministic payload (`n` bytes) into a fresh temporary file; path malloc'd. */
char *sigfx_payload(size_t n);
/* Sign `in` with the signer of PKI folder `pki` into a new temporary file; path malloc'd or NULL
 * (error printed). */
char *sigfx_sign(const char *pki, const char *in);
/* Path of "<dir>/<name>" in a static rotating buffer. */
const char *sigfx_file(const char *dir, const char *name);
/* Little-endian field writes into a trailer, for corrupting packages in tests. */
void sigfx_put_le32(uint8_t *p, uint32_t v);
void sigfx_put_le64(uint8_t *p, uint64_t v);
/* True if err is non-NULL and holds `needle`; prints the message either way. */
int sigfx_has(const char *err, const char *needle);

#endif
