// SPDX-License-Identifier: MIT
/*
 * Tests for sdk/package.c (sdk_package_read): a valid package, then malicious archives made in
 * memory with libarchive — "../" and absolute names, symlinks, hardlinks, directories,
 * duplicates, entries and totals over the caps (declared sizes checked before any data is
 * read), too many entries, members the manifest does not list, digest and size mismatches,
 * compressed and truncated archives — and extraction with the secure flags.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <xdrv/sdk.h>

#include "../xtest.h"
#include "sdk_fixtures.h"

static const char bc[] = "BC\xc0\xde not really bitcode, the reader does not parse it";
#define BCLEN (sizeof bc - 1)

static int read_members(const struct sdkfx_member *m, size_t n, const struct sdk_caps *caps,
			struct sdk_package *p, char **err)
{
	size_t len;
	uint8_t *tar = sdkfx_tar(m, n, 0, &len);
	int rc = sdk_package_read(tar, len, caps, NULL, p, err);
	free(tar);
	return rc;
}

/* manifest + driver.bc + extra members; expects failure with `want`. */
static void expect_bad_with(const struct sdkfx_member *extra, size_t nextra,
			    const struct sdk_caps *caps, int code, const char *want)
{
	char *man = sdkfx_manifest_for(bc, BCLEN, NULL);
	struct sdkfx_member m[8] = {
		{"manifest.json", 'f', man, strlen(man)},
		{"driver.bc", 'f', bc, BCLEN},
	};
	for (size_t i = 0; i < nextra && i < 6; i++)
		m[2 + i] = extra[i];
	struct sdk_package p;
	char *err = NULL;
	CU_ASSERT_EQUAL(read_members(m, 2 + nextra, caps, &p, &err), code);
	bool found = err && strstr(err, want);
	CU_ASSERT(found);
	if (!found)
		fprintf(stderr, "\nwanted '%s', got: %s\n", want, err ? err : "(nothing)");
	free(err);
	free(man);
}

static void test_package_reads_valid_archive(void)
{
	char *man = sdkfx_manifest_for(bc, BCLEN, NULL);
	struct sdkfx_member m[] = {{"manifest.json", 'f', man, strlen(man)},
				   {"driver.bc", 'f', bc, BCLEN}};
	struct sdk_package p;
	char *err = NULL;
	CU_ASSERT_EQUAL_FATAL(read_members(m, 2, NULL, &p, &err), 0);
	CU_ASSERT_EQUAL(p.nentries, 2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p.bitcode);
	CU_ASSERT_STRING_EQUAL(p.bitcode->path, "driver.bc");
	CU_ASSERT_EQUAL(p.bitcode->size, BCLEN);
	CU_ASSERT(memcmp(p.bitcode->data, bc, BCLEN) == 0);
	CU_ASSERT_STRING_EQUAL(p.manifest.name, "hello");
	sdk_package_free(&p);
	sdk_package_free(NULL);
	free(man);
}

static void test_package_rejects_dotdot_entry(void)
{
	struct sdkfx_member x = {"../x", 'f', "x", 1};
	expect_bad_with(&x, 1, NULL, -EINVAL, "archive: entry 3 '../x': path escapes the package");
	struct sdkfx_member y = {"a/../../y", 'f', "y", 1};
	expect_bad_with(&y, 1, NULL, -EINVAL, "archive: entry 3 'a/../../y': path escapes");
}

static void test_package_rejects_absolute_entry(void)
{
	struct sdkfx_member x = {"/etc/cron.d/evil", 'f', "x", 1};
	expect_bad_with(&x, 1, NULL, -EINVAL,
			"archive: entry 3 '/etc/cron.d/evil': path escapes the package");
}

static void test_package_rejects_odd_names(void)
{
	struct sdkfx_member x = {"a//b", 'f', "x", 1};
	expect_bad_with(&x, 1, NULL, -EINVAL,
			"archive: entry 3 'a//b': empty or '.' path component");
	struct sdkfx_member y = {"we\xff.bc", 'f', "x", 1};
	expect_bad_with(&y, 1, NULL, -EINVAL, "name has characters outside");
}

static void test_package_rejects_symlink(void)
{
	struct sdkfx_member x = {"a", 'l', "/etc/passwd", 0};
	expect_bad_with(&x, 1, NULL, -EINVAL, "archive: entry 'a': symbolic links are not allowed");
}

static void test_package_rejects_hardlink(void)
{
	struct sdkfx_member x = {"b", 'h', "driver.bc", 0};
	expect_bad_with(&x, 1, NULL, -EINVAL, "archive: entry 'b': hard links are not allowed");
}

static void test_package_rejects_directory(void)
{
	struct sdkfx_member x = {"dir", 'd', NULL, 0};
	expect_bad_with(&x, 1, NULL, -EINVAL, "archive: entry 'dir/': not a regular file");
}

static void test_package_rejects_duplicate_entry(void)
{
	struct sdkfx_member x = {"driver.bc", 'f', bc, BCLEN};
	expect_bad_with(&x, 1, NULL, -EINVAL, "archive: duplicate entry 'driver.bc'");
}

static void test_package_rejects_entry_over_cap(void)
{
	static uint8_t big[2000];
	char *man = sdkfx_manifest_for(big, sizeof big, NULL);
	struct sdkfx_member m[] = {{"manifest.json", 'f', man, strlen(man)},
				   {"driver.bc", 'f', big, sizeof big}};
	struct sdk_caps caps = {.max_entry_size = 1000};
	struct sdk_package p;
	char *err = NULL;
	CU_ASSERT_EQUAL(read_members(m, 2, &caps, &p, &err), -EFBIG);
	CU_ASSERT_PTR_NOT_NULL(
		err ? strstr(err, "archive: entry 'driver.bc' is 2000 bytes, over the cap of 1000")
		    : NULL);
	free(err);
	err = NULL;
	struct sdk_caps total = {.max_total_size = 2100};
	CU_ASSERT_EQUAL(read_members(m, 2, &total, &p, &err), -EFBIG);
	CU_ASSERT_PTR_NOT_NULL(err ? strstr(err, "over the cap of 2100") : NULL);
	free(err);
	free(man);
}

/* Patch the size field of the ustar header at `hdr` and fix its checksum. */
static void set_tar_size(uint8_t *hdr, unsigned long long size)
{
	char field[13];
	snprintf(field, sizeof field, "%011llo", size);
	memcpy(hdr + 124, field, 12);
	memset(hdr + 148, ' ', 8);
	unsigned sum = 0;
	for (int i = 0; i < 512; i++)
		sum += hdr[i];
	snprintf(field, sizeof field, "%06o", sum);
	memcpy(hdr + 148, field, 7);
	hdr[155] = ' ';
}

static void test_package_checks_declared_size_before_reading(void)
{
	/* a header claiming 40 MB in a 2 KB archive: refused from the header alone */
	char *man = sdkfx_manifest_for(bc, BCLEN, NULL);
	struct sdkfx_member m[] = {{"driver.bc", 'f', bc, BCLEN},
				   {"manifest.json", 'f', man, strlen(man)}};
	size_t len;
	uint8_t *tar = sdkfx_tar(m, 2, 0, &len);
	CU_ASSERT_EQUAL_FATAL(memcmp(tar, "driver.bc", 9), 0);
	set_tar_size(tar, 40000000);
	struct sdk_package p;
	char *err = NULL;
	CU_ASSERT_EQUAL(sdk_package_read(tar, len, NULL, NULL, &p, &err), -EFBIG);
	CU_ASSERT_PTR_NOT_NULL(
		err ? strstr(err, "archive: entry 'driver.bc' is 40000000 bytes, over the cap of "
				  "16777216")
		    : NULL);
	free(err);
	err = NULL;
	/* a header claiming more bytes than the archive holds: a short read */
	set_tar_size(tar, 4000);
	CU_ASSERT_EQUAL(sdk_package_read(tar, len, NULL, NULL, &p, &err), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(err ? strstr(err, "archive: entry 'driver.bc'") : NULL);
	free(err);
	free(tar);
	free(man);
}

static void test_package_rejects_too_many_entries(void)
{
	struct sdk_caps caps = {.max_entries = 3};
	struct sdkfx_member x[] = {{"c", 'f', "c", 1}, {"d", 'f', "d", 1}};
	expect_bad_with(x, 2, &caps, -EFBIG, "archive: more than 3 entries");
}

static void test_package_rejects_member_not_in_manifest(void)
{
	struct sdkfx_member x = {"notes.txt", 'f', "hi", 2};
	expect_bad_with(&x, 1, NULL, -EINVAL,
			"archive: entry 'notes.txt': not listed in the manifest");
}

static void test_package_rejects_digest_mismatch(void)
{
	char other[sizeof bc];
	memcpy(other, bc, sizeof bc);
	other[10] ^= 1; /* same size, one bit different */
	char *man = sdkfx_manifest_for(other, BCLEN, NULL);
	struct sdkfx_member m[] = {{"manifest.json", 'f', man, strlen(man)},
				   {"driver.bc", 'f', bc, BCLEN}};
	struct sdk_package p;
	char *err = NULL;
	CU_ASSERT_EQUAL(read_members(m, 2, NULL, &p, &err), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(err ? strstr(err, "manifest: files[0]: 'driver.bc' has SHA-256")
				   : NULL);
	free(err);
	free(man);
}

static void test_package_rejects_size_mismatch(void)
{
	char from[32], to[32], want[64];
	snprintf(from, sizeof from, "\"size\": %zu", BCLEN);
	snprintf(to, sizeof to, "\"size\": %zu", BCLEN + 1);
	snprintf(want, sizeof want, "'driver.bc' is %zu bytes, the manifest says %zu", BCLEN,
		 BCLEN + 1);
	const char *const tw[2] = {from, to};
	char *man = sdkfx_manifest_for(bc, BCLEN, tw);
	struct sdkfx_member m[] = {{"manifest.json", 'f', man, strlen(man)},
				   {"driver.bc", 'f', bc, BCLEN}};
	struct sdk_package p;
	char *err = NULL;
	CU_ASSERT_EQUAL(read_members(m, 2, NULL, &p, &err), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(err ? strstr(err, want) : NULL);
	free(err);
	free(man);
}

static void test_package_rejects_missing_members(void)
{
	char *man = sdkfx_manifest_for(bc, BCLEN, NULL);
	struct sdkfx_member only_man[] = {{"manifest.json", 'f', man, strlen(man)}};
	struct sdkfx_member only_bc[] = {{"driver.bc", 'f', bc, BCLEN}};
	struct sdk_package p;
	char *err = NULL;
	CU_ASSERT_EQUAL(read_members(only_man, 1, NULL, &p, &err), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(
		err ? strstr(err, "manifest: files[0]: 'driver.bc' is missing from the archive")
		    : NULL);
	free(err);
	err = NULL;
	CU_ASSERT_EQUAL(read_members(only_bc, 1, NULL, &p, &err), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(err ? strstr(err, "archive: no manifest.json") : NULL);
	free(err);
	free(man);
}

static void test_package_rejects_bad_manifest(void)
{
	const char *const tw[2] = {"\"format\": 1", "\"format\": 1, \"x\": 0"};
	char *man = sdkfx_manifest_for(bc, BCLEN, tw);
	struct sdkfx_member m[] = {{"manifest.json", 'f', man, strlen(man)},
				   {"driver.bc", 'f', bc, BCLEN}};
	struct sdk_package p;
	char *err = NULL;
	CU_ASSERT_EQUAL(read_members(m, 2, NULL, &p, &err), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(err ? strstr(err, "manifest: x: unknown key") : NULL);
	free(err);
	free(man);
}

static void test_package_rejects_compressed_archive(void)
{
	char *man = sdkfx_manifest_for(bc, BCLEN, NULL);
	struct sdkfx_member m[] = {{"manifest.json", 'f', man, strlen(man)},
				   {"driver.bc", 'f', bc, BCLEN}};
	size_t len;
	uint8_t *tgz = sdkfx_tar(m, 2, 1, &len);
	struct sdk_package p;
	char *err = NULL;
	CU_ASSERT_EQUAL(sdk_package_read(tgz, len, NULL, NULL, &p, &err), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(err ? strstr(err, "only uncompressed tar is accepted") : NULL);
	if (err && !strstr(err, "only uncompressed"))
		fprintf(stderr, "\n%s\n", err);
	free(err);
	free(tgz);
	free(man);
}

static void test_package_rejects_truncated_and_garbage(void)
{
	char *man = sdkfx_manifest_for(bc, BCLEN, NULL);
	struct sdkfx_member m[] = {{"manifest.json", 'f', man, strlen(man)},
				   {"driver.bc", 'f', bc, BCLEN}};
	size_t len;
	uint8_t *tar = sdkfx_tar(m, 2, 0, &len);
	struct sdk_package p;
	/* cut inside manifest data, at the second header, inside driver.bc data */
	const size_t cuts[] = {600, 1536, 1536 + 512 + 20, 100};
	for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
		char *err = NULL;
		CU_ASSERT_NOT_EQUAL(sdk_package_read(tar, cuts[i], NULL, NULL, &p, &err), 0);
		CU_ASSERT_PTR_NOT_NULL(err);
		free(err);
	}
	char *err = NULL;
	CU_ASSERT_EQUAL(sdk_package_read((const uint8_t *)"hello world", 11, NULL, NULL, &p, &err),
			-EINVAL);
	CU_ASSERT_PTR_NOT_NULL(err ? strstr(err, "archive:") : NULL);
	free(err);
	err = NULL;
	CU_ASSERT_EQUAL(sdk_package_read(NULL, 0, NULL, NULL, &p, &err), -EINVAL);
	free(err);
	free(tar);
	free(man);
}

static void test_package_extracts_with_secure_flags(void)
{
	char *man = sdkfx_manifest_for(bc, BCLEN, NULL);
	struct sdkfx_member m[] = {{"manifest.json", 'f', man, strlen(man)},
				   {"driver.bc", 'f', bc, BCLEN}};
	size_t len;
	uint8_t *tar = sdkfx_tar(m, 2, 0, &len);
	const char *dir = xtest_path("%s/out/pkg", xtest_tmpdir());
	struct sdk_package p;
	char *err = NULL;
	CU_ASSERT_EQUAL_FATAL(sdk_package_read(tar, len, NULL, dir, &p, &err), 0);
	sdk_package_free(&p);
	size_t got = 0;
	unsigned char *data = xtest_read(xtest_path("%s/driver.bc", dir), &got);
	CU_ASSERT_EQUAL(got, BCLEN);
	CU_ASSERT(data && memcmp(data, bc, BCLEN) == 0);
	free(data);
	/* never overwrites: a second extraction into the same folder fails */
	CU_ASSERT_EQUAL(sdk_package_read(tar, len, NULL, dir, &p, &err), -EIO);
	CU_ASSERT_PTR_NOT_NULL(err ? strstr(err, "extract:") : NULL);
	free(err);
	free(tar);
	free(man);
}

XTEST_SUITE(sdk_package, NULL, NULL, XTEST(test_package_reads_valid_archive),
	    XTEST(test_package_rejects_dotdot_entry), XTEST(test_package_rejects_absolute_entry),
	    XTEST(test_package_rejects_odd_names), XTEST(test_package_rejects_symlink),
	    XTEST(test_package_rejects_hardlink), XTEST(test_package_rejects_directory),
	    XTEST(test_package_rejects_duplicate_entry), XTEST(test_package_rejects_entry_over_cap),
	    XTEST(test_package_checks_declared_size_before_reading),
	    XTEST(test_package_rejects_too_many_entries),
	    XTEST(test_package_rejects_member_not_in_manifest),
	    XTEST(test_package_rejects_digest_mismatch), XTEST(test_package_rejects_size_mismatch),
	    XTEST(test_package_rejects_missing_members), XTEST(test_package_rejects_bad_manifest),
	    XTEST(test_package_rejects_compressed_archive),
	    XTEST(test_package_rejects_truncated_and_garbage),
	    XTEST(test_package_extracts_with_secure_flags))
