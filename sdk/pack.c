// SPDX-License-Identifier: MIT
/*
 * Writing a package: read the driver bitcode, check it (verifier, profile, descriptor, lint),
 * derive the manifest from the descriptor, and write manifest.json followed by driver.bc into a
 * ustar archive with libarchive. Every header field that could vary between machines (mtime,
 * owner, mode, block padding) is fixed, so the same bitcode and options give the same bytes.
 * The archive is read back with sdk_package_read before it is written out, so pack can never
 * produce a package the loader would refuse; the file is replaced atomically.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <llvm-c/Analysis.h>
#include <stdlib.h>
#include <string.h>
#include <xdrv/sdk.h>
#include <xdrv/util.h>

#include "sdk_private.h"

#define BITCODE_MEMBER "driver.bc"

struct membuf {
	uint8_t *p;
	size_t len, cap;
};

static la_ssize_t mem_write(struct archive *a, void *opaque, const void *buf, size_t n)
{
	struct membuf *m = opaque;
	if (m->len + n > m->cap) {
		size_t cap = m->cap ? m->cap : 16384;
		while (cap < m->len + n)
			cap *= 2;
		uint8_t *p = realloc(m->p, cap);
		if (!p) {
			archive_set_error(a, ENOMEM, "out of memory");
			return -1;
		}
		m->p = p;
		m->cap = cap;
	}
	memcpy(m->p + m->len, buf, n);
	m->len += n;
	return (la_ssize_t)n;
}

static int add_member(struct archive *a, const char *name, const void *data, size_t len)
{
	struct archive_entry *e = archive_entry_new();
	if (!e)
		return -ENOMEM;
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t)len);
	archive_entry_set_mtime(e, 0, 0);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	int rc = 0;
	if (archive_write_header(a, e) != ARCHIVE_OK ||
	    archive_write_data(a, data, len) != (la_ssize_t)len)
		rc = -EIO;
	archive_entry_free(e);
	return rc;
}

/* Tar the manifest and the bitcode into *out (malloc'd). */
static int write_tar(const char *json, size_t jlen, const uint8_t *bc, size_t bclen,
		     struct membuf *out, char **err)
{
	int rc = 0;
	struct archive *a = archive_write_new();
	if (!a)
		return xdrv_err(err, -ENOMEM, "pack: out of memory");
	/* ustar: the plainest tar; 512-byte blocks and no padding of the last block keep the
	 * package small and its bytes independent of libarchive's default blocking */
	if (archive_write_set_format_ustar(a) != ARCHIVE_OK ||
	    archive_write_set_bytes_per_block(a, 512) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
	    archive_write_open2(a, out, NULL, mem_write, NULL, NULL) != ARCHIVE_OK) {
		rc = xdrv_err(err, -EIO, "pack: archive: %s",
			      archive_error_string(a) ? archive_error_string(a) : "setup failed");
		goto out_free;
	}
	if (add_member(a, SDK_MANIFEST_NAME, json, jlen) != 0 ||
	    add_member(a, BITCODE_MEMBER, bc, bclen) != 0 || archive_write_close(a) != ARCHIVE_OK)
		rc = xdrv_err(err, -EIO, "pack: archive: %s",
			      archive_error_string(a) ? archive_error_string(a) : "write failed");
out_free:
	archive_write_free(a);
	return rc;
}

/* Parse, verify and check the bitcode; fill the manifest's descriptor. */
static int check_bitcode(const char *path, const uint8_t *bc, size_t len,
			 struct sdk_descriptor *desc, int no_lint, char **err)
{
	LLVMContextRef ctx = LLVMContextCreate();
	LLVMModuleRef m = NULL;
	char *msg = NULL;
	int rc = sdk_bitcode_parse(ctx, bc, len, path, &m, err);
	if (rc)
		goto out_ctx;
	if (LLVMVerifyModule(m, LLVMReturnStatusAction, &msg)) {
		rc = xdrv_err(err, -EINVAL, "%s: invalid module: %.500s", path, msg ? msg : "");
		goto out_mod;
	}
	if ((!no_lint && (rc = sdk_profile_check(m, err))) ||
	    (rc = sdk_descriptor_read(m, desc, err)))
		goto out_mod;
	if (!no_lint)
		rc = sdk_lint(m, desc->abi_version, err);
out_mod:
	LLVMDisposeMessage(msg);
	LLVMDisposeModule(m);
out_ctx:
	LLVMContextDispose(ctx);
	return rc;
}

/* A driver's or extension's manifest: from its descriptor. */
static int driver_manifest(const struct sdk_pack_opts *opts, const uint8_t *bc, size_t bclen,
			   struct sdk_manifest *man, char **err)
{
	int rc = check_bitcode(opts->bitcode, bc, bclen, &man->desc, opts->no_lint, err);
	if (rc)
		return rc;
	if (!man->desc.name || !man->desc.version)
		return xdrv_err(err, -EINVAL, "pack: %s: no descriptor", opts->bitcode);
	if (opts->version && strcmp(opts->version, man->desc.version) != 0)
		return xdrv_err(err, -EINVAL,
				"pack: --version %.40s differs from the version in the driver's "
				"descriptor, %s: rebuild the driver or leave out --version",
				opts->version, man->desc.version);
	man->name = strdup(man->desc.name);
	man->version = strdup(man->desc.version);
	man->abi_version = man->desc.abi_version;
	return 0;
}

/* A live patch's manifest: from its base (sdk/patch.c) and the options. */
static int patch_manifest(const struct sdk_pack_opts *opts, const uint8_t *bc, size_t bclen,
			  struct sdk_manifest *man, char **err)
{
	if (!opts->version || !sdk_valid_version(opts->version))
		return xdrv_err(err, -EINVAL,
				"pack: a patch needs --version MAJOR.MINOR.PATCH (its own "
				"version: a patch has no descriptor)");
	int rc = sdk_patch_manifest(bc, bclen, opts->bitcode, opts->patch_for, opts->patch_for_len,
				    opts->patch_for_label, opts->no_lint, man, err);
	if (rc) {
		xdrv_err_prefix(err, "pack");
		return rc;
	}
	if (!(man->version = strdup(opts->version)))
		return xdrv_err(err, -ENOMEM, "pack: out of memory");
	return 0;
}

int sdk_pack(const struct sdk_pack_opts *opts, char **err)
{
	const struct sdk_caps caps = SDK_CAPS_DEFAULT;
	struct sdk_manifest man = {0};
	struct membuf tar = {0};
	char *json = NULL;
	size_t jlen = 0;
	uint8_t *bc = NULL;
	size_t bclen = 0;
	int rc;
	if (!opts || !opts->bitcode || !opts->output)
		return xdrv_err(err, -EINVAL, "pack: bitcode and output paths are required");
	if (opts->security_version >= (1ull << 53))
		return xdrv_err(err, -EINVAL, "pack: security version %llu is not below 2^53",
				(unsigned long long)opts->security_version);
	if ((rc = xdrv_read_file(opts->bitcode, (size_t)caps.max_entry_size, &bc, &bclen, err)))
		return rc;
	if (opts->patch_for)
		rc = patch_manifest(opts, bc, bclen, &man, err);
	else
		rc = driver_manifest(opts, bc, bclen, &man, err);
	if (rc)
		goto out;
	man.format = 1;
	man.security_version = opts->security_version;
	man.profile = strdup(SDK_PROFILE);
	man.bitcode = strdup(BITCODE_MEMBER);
	if (opts->description && !sdk_valid_desc(opts->description)) {
		rc = xdrv_err(err, -EINVAL,
			      "pack: --description: must be one line of printable ASCII, at most "
			      "%d bytes",
			      SDK_DESC_MAX);
		goto out;
	}
	if (opts->description && !(man.description = strdup(opts->description))) {
		rc = xdrv_err(err, -ENOMEM, "pack: out of memory");
		goto out;
	}
	man.files[0].path = strdup(BITCODE_MEMBER);
	man.files[0].size = bclen;
	man.nfiles = 1;
	if (!man.name || !man.version || !man.profile || !man.bitcode || !man.files[0].path) {
		rc = xdrv_err(err, -ENOMEM, "pack: out of memory");
		goto out;
	}
	if (sdk_sha256_hex(bc, bclen, man.files[0].sha256) != 0) {
		rc = xdrv_err(err, -EIO, "pack: SHA-256 failed");
		goto out;
	}
	if ((rc = sdk_manifest_write(&man, &json, &jlen, err)) ||
	    (rc = write_tar(json, jlen, bc, bclen, &tar, err)))
		goto out;
	/* read our own output back exactly as the loader will */
	struct sdk_package check;
	if ((rc = sdk_package_read(tar.p, tar.len, &caps, NULL, &check, err))) {
		xdrv_err_prefix(err, "pack: self-check of the written package failed");
		goto out;
	}
	sdk_package_free(&check);
	rc = xdrv_write_file_atomic(opts->output, tar.p, tar.len, 0644, err);
out:
	free(tar.p);
	free(json);
	free(bc);
	sdk_manifest_free(&man);
	return rc;
}
