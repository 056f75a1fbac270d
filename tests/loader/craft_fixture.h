/* SPDX-License-Identifier: MIT */
/*
 * Shared by test_compile.c and test_boot_seq.c: a package the SDK would refuse to write (its
 * bitcode member is not valid bitcode, or fails the lint), made from a good unsigned package's
 * manifest with another bitcode member (its size and digest put into the manifest), then
 * signed. sdk_pack parses and lints the bitcode, so such packages are written here directly.
 */
#ifndef XDRV_TEST_CRAFT_FIXTURE_H
#define XDRV_TEST_CRAFT_FIXTURE_H

#include "../xtest.h"

#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xdrv/sdk.h>
#include <xdrv/signer.h>
#include <xdrv/util.h>

static inline int craft_member(struct archive *a, const char *name, const void *data, size_t len)
{
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, name);
	archive_entry_set_size(e, (la_int64_t)len);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	int ok = archive_write_header(a, e) == ARCHIVE_OK &&
		 archive_write_data(a, data, len) == (la_ssize_t)len;
	archive_entry_free(e);
	return ok ? 0 : -1;
}

/* Write `out` (signed with PKI/signer.pem, signer.key, vendor.pem; `out`.unsigned beside it):
 * the manifest of the unsigned package `model`, the bitcode member from file `bcpath`. */
static inline int craft_signed_package(const char *model, const char *bcpath, const char *pki,
				       const char *out)
{
	size_t len = 0, bclen = 0, jlen = 0;
	unsigned char *gp = xtest_read(model, &len);
	unsigned char *bc = xtest_read(bcpath, &bclen);
	struct sdk_package pkg;
	char *err = NULL, *json = NULL, un[1024], cert[1024], key[1024], chain[1024];
	memset(&pkg, 0, sizeof pkg);
	int rc = gp && bc ? sdk_package_read(gp, len, NULL, NULL, &pkg, &err) : -1;
	struct sdk_manifest *m = &pkg.manifest;
	for (size_t i = 0; !rc && i < m->nfiles; i++) {
		if (strcmp(m->files[i].path, m->bitcode) != 0)
			continue;
		uint8_t md[32];
		unsigned mdlen = 0;
		EVP_Digest(bc, bclen, md, &mdlen, EVP_sha256(), NULL);
		xdrv_hex(md, 32, m->files[i].sha256);
		m->files[i].size = bclen;
	}
	if (!rc)
		rc = sdk_manifest_write(m, &json, &jlen, &err);
	snprintf(un, sizeof un, "%s.unsigned", out);
	if (!rc) {
		struct archive *a = archive_write_new();
		if (archive_write_set_format_ustar(a) != ARCHIVE_OK ||
		    archive_write_open_filename(a, un) != ARCHIVE_OK ||
		    craft_member(a, SDK_MANIFEST_NAME, json, jlen) != 0 ||
		    craft_member(a, m->bitcode, bc, bclen) != 0)
			rc = -1;
		archive_write_close(a);
		archive_write_free(a);
	}
	snprintf(cert, sizeof cert, "%s/signer.pem", pki);
	snprintf(key, sizeof key, "%s/signer.key", pki);
	snprintf(chain, sizeof chain, "%s/vendor.pem", pki);
	if (!rc)
		rc = sig_sign_file(un, out, cert, key, chain, &err);
	if (rc)
		fprintf(stderr, "craft_signed_package: %s\n", err ? err : "?");
	free(json);
	free(err);
	free(gp);
	free(bc);
	sdk_package_free(&pkg);
	return rc;
}

#endif
