// SPDX-License-Identifier: MIT
/*
 * Reading a package payload: an uncompressed tar archive holding manifest.json and the files it
 * lists. libarchive parses the tar; every header is checked before any data is read (regular
 * files only, safe relative names, no duplicates, entry count, declared sizes against the caps),
 * the bytes actually read are checked against the declared size, and then the manifest must
 * describe the members exactly (same set, same sizes, same SHA-256). Only after all of that may
 * the entries be written to disk, and then through archive_write_disk with its secure flags as a
 * second line of defence.
 *
 * Compressed archives are not accepted: xdrv pack never writes them, the signature covers the
 * bytes as they are, and refusing filters removes decompression bombs from the attack surface.
 * (caps->max_ratio is still checked, total bytes over payload bytes, for the day a filter is
 * allowed; for plain tar it can never trip.)
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xdrv/sdk.h>
#include <xdrv/util.h>

#include "sdk_private.h"

#define NAME_SHOWN 80 /* characters of an untrusted member name shown in a message */

/* A member name fit for a message: printable, bounded. */
static void shown(const char *s, char *out, size_t outlen)
{
	size_t o = 0;
	if (!s)
		s = "";
	for (; *s && o + 4 < outlen && o < NAME_SHOWN; s++)
		out[o++] = ((unsigned char)*s >= 0x20 && (unsigned char)*s < 0x7f) ? *s : '?';
	if (*s) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = 0;
}

int sdk_sha256_hex(const uint8_t *data, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	if (!EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) || mdlen != 32)
		return -EIO;
	xdrv_hex(md, 32, out);
	return 0;
}

static void caps_or_default(const struct sdk_caps *in, struct sdk_caps *c)
{
	const struct sdk_caps def = SDK_CAPS_DEFAULT;
	*c = in ? *in : def;
	if (!c->max_entries)
		c->max_entries = def.max_entries;
	if (!c->max_entry_size)
		c->max_entry_size = def.max_entry_size;
	if (!c->max_total_size)
		c->max_total_size = def.max_total_size;
	if (!c->max_ratio)
		c->max_ratio = def.max_ratio;
}

/* Header checks: everything about an entry that can be judged before reading its data. */
static int check_header(struct archive_entry *e, unsigned idx, const struct sdk_package *p,
			const struct sdk_caps *caps, uint64_t total, size_t payload_len, char **err)
{
	const char *path = archive_entry_pathname(e);
	char nm[NAME_SHOWN + 8];
	shown(path, nm, sizeof nm);
	if (!path)
		return xdrv_err(err, -EINVAL, "archive: entry %u: name cannot be read", idx);
	if (archive_entry_symlink(e) || archive_entry_filetype(e) == AE_IFLNK)
		return xdrv_err(err, -EINVAL, "archive: entry '%s': symbolic links are not allowed",
				nm);
	if (archive_entry_hardlink(e))
		return xdrv_err(err, -EINVAL, "archive: entry '%s': hard links are not allowed",
				nm);
	if (archive_entry_filetype(e) != AE_IFREG)
		return xdrv_err(err, -EINVAL,
				"archive: entry '%s': not a regular file (directories, devices and "
				"fifos are not allowed)",
				nm);
	if (archive_entry_sparse_count(e) > 0)
		return xdrv_err(err, -EINVAL, "archive: entry '%s': sparse files are not allowed",
				nm);
	const char *why;
	if (!sdk_valid_member_path(path, &why))
		return xdrv_err(err, -EINVAL, "archive: entry %u '%s': %s", idx, nm, why);
	for (size_t i = 0; i < p->nentries; i++)
		if (strcmp(p->entries[i].path, path) == 0)
			return xdrv_err(err, -EINVAL, "archive: duplicate entry '%s'", nm);
	if (!archive_entry_size_is_set(e) || archive_entry_size(e) < 0)
		return xdrv_err(err, -EINVAL, "archive: entry '%s': no size", nm);
	uint64_t size = (uint64_t)archive_entry_size(e);
	if (size > caps->max_entry_size)
		return xdrv_err(err, -EFBIG,
				"archive: entry '%s' is %llu bytes, over the cap of %llu", nm,
				(unsigned long long)size, (unsigned long long)caps->max_entry_size);
	/* uncompressed: an entry cannot hold more bytes than the whole archive */
	if (size > payload_len)
		return xdrv_err(err, -EINVAL,
				"archive: entry '%s' claims %llu bytes in an archive of %zu", nm,
				(unsigned long long)size, payload_len);
	uint64_t new_total = total + size;
	if (new_total > caps->max_total_size)
		return xdrv_err(
			err, -EFBIG,
			"archive: entry '%s' brings the total to %llu bytes, over the cap of "
			"%llu",
			nm, (unsigned long long)new_total,
			(unsigned long long)caps->max_total_size);
	return 0;
}

/* Read exactly `size` bytes of the current entry; more or fewer is an error. */
static int read_data(struct archive *a, const char *nm, uint64_t size, uint8_t **out, char **err)
{
	uint8_t *buf = malloc(size ? (size_t)size : 1);
	if (!buf)
		return xdrv_err(err, -ENOMEM, "archive: entry '%s': out of memory", nm);
	uint64_t n = 0;
	while (n < size) {
		la_ssize_t r = archive_read_data(a, buf + n, (size_t)(size - n));
		if (r < 0) {
			int rc = xdrv_err(err, -EINVAL, "archive: entry '%s': %s", nm,
					  archive_error_string(a) ? archive_error_string(a)
								  : "read error");
			free(buf);
			return rc;
		}
		if (r == 0)
			break;
		n += (uint64_t)r;
	}
	uint8_t extra;
	if (n < size || archive_read_data(a, &extra, 1) != 0) {
		free(buf);
		return xdrv_err(
			err, -EINVAL,
			"archive: entry '%s': %llu bytes of data for a declared size of %llu", nm,
			(unsigned long long)n, (unsigned long long)size);
	}
	*out = buf;
	return 0;
}

static int read_entries(const uint8_t *payload, size_t len, const struct sdk_caps *caps,
			struct sdk_package *p, char **err)
{
	int rc = 0;
	uint64_t total = 0;
	size_t cap = 0;
	struct archive *a = archive_read_new();
	if (!a)
		return xdrv_err(err, -ENOMEM, "archive: out of memory");
	archive_read_support_format_tar(a);
	if (archive_read_open_memory(a, payload, len) != ARCHIVE_OK) {
		rc = xdrv_err(err, -EINVAL, "archive: %s (only uncompressed tar is accepted)",
			      archive_error_string(a) ? archive_error_string(a) : "cannot open");
		goto out_free;
	}
	for (unsigned idx = 1;; idx++) {
		struct archive_entry *e;
		int r = archive_read_next_header(a, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK) {
			/* ARCHIVE_WARN too: a header libarchive had doubts about is not trusted */
			const char *es = archive_error_string(a);
			rc = xdrv_err(err, -EINVAL,
				      "archive: entry %u: %s (only uncompressed tar is accepted)",
				      idx, es ? es : "unreadable header");
			goto out_free;
		}
		if (idx > caps->max_entries) {
			rc = xdrv_err(err, -EFBIG, "archive: more than %u entries",
				      caps->max_entries);
			goto out_free;
		}
		if ((rc = check_header(e, idx, p, caps, total, len, err)))
			goto out_free;
		if (p->nentries == cap) {
			/* grow in steps: the cap may be large, most packages have two entries */
			size_t ncap = cap ? cap * 2 : 4;
			struct sdk_entry *ne = realloc(p->entries, ncap * sizeof *ne);
			if (!ne) {
				rc = xdrv_err(err, -ENOMEM, "archive: out of memory");
				goto out_free;
			}
			memset(ne + cap, 0, (ncap - cap) * sizeof *ne);
			p->entries = ne;
			cap = ncap;
		}
		struct sdk_entry *en = &p->entries[p->nentries];
		char nm[NAME_SHOWN + 8];
		shown(archive_entry_pathname(e), nm, sizeof nm);
		en->size = (uint64_t)archive_entry_size(e);
		en->path = strdup(archive_entry_pathname(e));
		if (!en->path) {
			rc = xdrv_err(err, -ENOMEM, "archive: out of memory");
			goto out_free;
		}
		p->nentries++;
		if ((rc = read_data(a, nm, en->size, &en->data, err)))
			goto out_free;
		total += en->size;
	}
	if (total > (uint64_t)len * caps->max_ratio)
		rc = xdrv_err(err, -EFBIG,
			      "archive: expands %llu bytes to %llu, over the ratio of %u",
			      (unsigned long long)len, (unsigned long long)total, caps->max_ratio);
out_free:
	archive_read_free(a);
	return rc;
}

/* The manifest must describe the members exactly. */
static int cross_check(struct sdk_package *p, char **err)
{
	const struct sdk_manifest *m = &p->manifest;
	for (size_t i = 0; i < p->nentries; i++) {
		const struct sdk_entry *en = &p->entries[i];
		if (strcmp(en->path, SDK_MANIFEST_NAME) == 0)
			continue;
		bool listed = false;
		for (size_t j = 0; j < m->nfiles && !listed; j++)
			listed = strcmp(m->files[j].path, en->path) == 0;
		if (!listed)
			return xdrv_err(err, -EINVAL,
					"archive: entry '%s': not listed in the manifest",
					en->path);
	}
	for (size_t j = 0; j < m->nfiles; j++) {
		const struct sdk_file *f = &m->files[j];
		const struct sdk_entry *en = NULL;
		for (size_t i = 0; i < p->nentries && !en; i++)
			if (strcmp(p->entries[i].path, f->path) == 0)
				en = &p->entries[i];
		if (!en)
			return xdrv_err(err, -EINVAL,
					"manifest: files[%zu]: '%s' is missing from the archive", j,
					f->path);
		if (en->size != f->size)
			return xdrv_err(
				err, -EINVAL,
				"manifest: files[%zu]: '%s' is %llu bytes, the manifest says "
				"%llu",
				j, f->path, (unsigned long long)en->size,
				(unsigned long long)f->size);
		char hex[65];
		if (sdk_sha256_hex(en->data, (size_t)en->size, hex) != 0)
			return xdrv_err(err, -EIO, "archive: SHA-256 failed");
		if (strcmp(hex, f->sha256) != 0)
			return xdrv_err(
				err, -EINVAL,
				"manifest: files[%zu]: '%s' has SHA-256 %s, the manifest says "
				"%s",
				j, f->path, hex, f->sha256);
		if (strcmp(f->path, m->bitcode) == 0)
			p->bitcode = en;
	}
	if (!p->bitcode)
		return xdrv_err(err, -EINVAL, "manifest: bitcode: '%s' not found", m->bitcode);
	return 0;
}

static int extract(const struct sdk_package *p, const char *dir, char **err)
{
	int rc = xdrv_mkdirs(dir, 0700, err);
	if (rc)
		return rc;
	struct archive *w = archive_write_disk_new();
	if (!w)
		return xdrv_err(err, -ENOMEM, "extract: out of memory");
	/* Entry names were already checked; these flags are the second line of defence. With an
	 * absolute destination the joined path is absolute, which NOABSOLUTEPATHS would refuse,
	 * so that one flag is only set for a relative destination. */
	int flags = ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
		    ARCHIVE_EXTRACT_NO_OVERWRITE;
	if (dir[0] != '/')
		flags |= ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS;
	archive_write_disk_set_options(w, flags);
	for (size_t i = 0; i < p->nentries && rc == 0; i++) {
		const struct sdk_entry *en = &p->entries[i];
		char path[4096];
		if (xdrv_snprintf(path, sizeof path, "%s/%s", dir, en->path) != 0) {
			rc = xdrv_err(err, -ENAMETOOLONG, "extract: %s: path too long", dir);
			break;
		}
		struct archive_entry *ae = archive_entry_new();
		if (!ae) {
			rc = xdrv_err(err, -ENOMEM, "extract: out of memory");
			break;
		}
		archive_entry_set_pathname(ae, path);
		archive_entry_set_filetype(ae, AE_IFREG);
		archive_entry_set_perm(ae, 0644);
		archive_entry_set_size(ae, (la_int64_t)en->size);
		if (archive_write_header(w, ae) != ARCHIVE_OK ||
		    archive_write_data(w, en->data, (size_t)en->size) != (la_ssize_t)en->size ||
		    archive_write_finish_entry(w) != ARCHIVE_OK) {
			const char *es = archive_error_string(w);
			rc = xdrv_err(err, -EIO, "extract: %s: %s", path, es ? es : "write failed");
		}
		archive_entry_free(ae);
	}
	if (archive_write_close(w) != ARCHIVE_OK && rc == 0)
		rc = xdrv_err(err, -EIO, "extract: %s: %s", dir,
			      archive_error_string(w) ? archive_error_string(w) : "close failed");
	archive_write_free(w);
	return rc;
}

int sdk_package_read(const uint8_t *payload, size_t len, const struct sdk_caps *caps_in,
		     const char *extract_dir, struct sdk_package *out, char **err)
{
	struct sdk_caps caps;
	memset(out, 0, sizeof *out);
	caps_or_default(caps_in, &caps);
	if (!payload || len == 0)
		return xdrv_err(err, -EINVAL, "archive: empty");
	int rc = read_entries(payload, len, &caps, out, err);
	const struct sdk_entry *man = NULL;
	for (size_t i = 0; rc == 0 && i < out->nentries && !man; i++)
		if (strcmp(out->entries[i].path, SDK_MANIFEST_NAME) == 0)
			man = &out->entries[i];
	if (rc == 0 && !man)
		rc = xdrv_err(err, -EINVAL, "archive: no %s", SDK_MANIFEST_NAME);
	if (rc == 0 && man)
		rc = sdk_manifest_parse((const char *)man->data, (size_t)man->size, &out->manifest,
					err);
	if (rc == 0)
		rc = cross_check(out, err);
	if (rc == 0 && extract_dir)
		rc = extract(out, extract_dir, err);
	if (rc != 0)
		sdk_package_free(out);
	return rc;
}

void sdk_package_free(struct sdk_package *p)
{
	if (!p)
		return;
	for (size_t i = 0; p->entries && i < p->nentries; i++) {
		free(p->entries[i].path);
		free(p->entries[i].data);
	}
	free(p->entries);
	sdk_manifest_free(&p->manifest);
	memset(p, 0, sizeof *p);
}
