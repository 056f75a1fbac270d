// SPDX-License-Identifier: MIT
/*
 * Tests for loader/image.c (with ctx.c): the whole path from a package file to JIT code.
 * Fixtures are made at suite start with the real SDK and signer: a development PKI, a driver
 * built with sdk_build, packed with sdk_pack, signed with sig_sign_file. Bad packages that the
 * SDK would refuse to write (foreign triple, corrupt bitcode, a manifest that lies, an import
 * outside the ABI) are assembled here with libarchive, so the loader's own checks are what
 * rejects them.
 */
#include "jit_fixture.h"

#include <archive.h>
#include <archive_entry.h>
#include <llvm-c/BitWriter.h>
#include <llvm-c/IRReader.h>
#include <errno.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <time.h>
#include <xdrv/signer.h>

#define DRV_SRC_FMT                                                                                \
	"#include <xdrv/abi.h>\n"                                                                  \
	"XDRV_PARAM(uint32_t, ring);\n"                                                            \
	"static const struct xdrv_param params[] = {\n"                                            \
	"  XDRV_PARAM_ENTRY(XDRV_PARAM_U32, ring, 64, 16, 4096, \"ring size\"), "                  \
	"XDRV_PARAM_END};\n"                                                                       \
	"static const struct xdrv_match match[] = {{.bus = XDRV_BUS_PLATFORM,\n"                   \
	"  .compatible = \"test,img\"}, {.bus = 0}};\n"                                            \
	"static int32_t probe(xdrv_device_t *d) { (void)d; return (int32_t)xdrv_param_ring; }\n"   \
	"static void rm(xdrv_device_t *d) { (void)d; }\n"                                          \
	"uint32_t ring_size(void) { return xdrv_param_ring; }\n"                                   \
	"%s\n"                                                                                     \
	"XDRV_DRIVER(.name = \"imgtest\", .version = \"1.4.2\", .match = match, .params = "        \
	"params,\n"                                                                                \
	"  .probe = probe, .remove = rm);\n"

static char pki[512], signed_pkg[512], unsigned_pkg[512], root_pem[512];

/* Write the driver source with `extra` spliced in; return its path (static). */
static const char *write_src(const char *extra)
{
	static char path[600];
	char buf[4096];
	snprintf(buf, sizeof buf, DRV_SRC_FMT, extra);
	snprintf(path, sizeof path, "%s/drv.c", xtest_tmpdir());
	return xtest_write(path, buf, strlen(buf)) == 0 ? path : NULL;
}

static uint8_t *driver_bitcode(const char *extra, const char *triple, size_t *len);

static int suite_init(void)
{
	char *err = NULL;
	const char *dir = xtest_tmpdir();
	snprintf(pki, sizeof pki, "%s/pki", dir);
	snprintf(root_pem, sizeof root_pem, "%s/root.pem", pki);
	snprintf(unsigned_pkg, sizeof unsigned_pkg, "%s/imgtest.unsigned.xdrv", dir);
	snprintf(signed_pkg, sizeof signed_pkg, "%s/imgtest.xdrv", dir);
	char bc[600], cert[600], key[600], chain[600];
	snprintf(bc, sizeof bc, "%s/imgtest.bc", dir);
	snprintf(cert, sizeof cert, "%s/signer.pem", pki);
	snprintf(key, sizeof key, "%s/signer.key", pki);
	snprintf(chain, sizeof chain, "%s/vendor.pem", pki);
	/* the profile's clang flags + sdk_normalize: what sdk_build does before its lint; the
	 * lint then runs in sdk_pack */
	size_t bclen = 0;
	uint8_t *code = driver_bitcode("", SDK_TRIPLE, &bclen);
	struct sig_pki_opts po = {.out_dir = pki};
	struct sdk_pack_opts pk = {.bitcode = bc, .output = unsigned_pkg, .security_version = 3};
	int rc = code ? xtest_write(bc, code, bclen) : -1;
	free(code);
	if (!rc)
		rc = sig_pki_create(&po, &err);
	if (!rc)
		rc = sdk_pack(&pk, &err);
	if (!rc)
		rc = sig_sign_file(unsigned_pkg, signed_pkg, cert, key, chain, &err);
	if (rc)
		fprintf(stderr, "test_image fixture: %s\n", err ? err : "?");
	free(err);
	return rc ? 1 : 0;
}

static struct ldr_ctx *ctx_with(const char *trust, int allow_unsigned, uint32_t mode)
{
	struct ldr_config cfg = {.trust_root = trust,
				 .allow_unsigned = allow_unsigned,
				 .jit_mode = mode,
				 .opt_level = 2};
	struct ldr_ctx *ctx = NULL;
	char *err = NULL;
	if (ldr_ctx_create(&cfg, &ctx, &err) != 0)
		fprintf(stderr, "ctx: %s\n", err);
	free(err);
	return ctx;
}

/* ---- crafting packages the SDK would refuse to write ------------------------------------------
 */
static int add_member(struct archive *a, const char *name, const void *data, size_t len)
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

/*
 * Write a package at `out` from the good one's manifest, edited by `edit` (may be NULL), with
 * `bc` as its bitcode member (the manifest's size and digest are made to match it).
 */
static int craft(const char *out, const uint8_t *bc, size_t bclen,
		 void (*edit)(struct sdk_manifest *m))
{
	size_t len = 0;
	unsigned char *good = xtest_read(unsigned_pkg, &len);
	struct sdk_package pkg;
	char *err = NULL, *json = NULL;
	size_t jlen = 0;
	int rc = good ? sdk_package_read(good, len, NULL, NULL, &pkg, &err) : -1;
	free(good);
	if (rc) {
		fprintf(stderr, "craft: %s\n", err ? err : "?");
		free(err);
		return -1;
	}
	struct sdk_manifest *m = &pkg.manifest;
	for (size_t i = 0; i < m->nfiles; i++) {
		if (strcmp(m->files[i].path, m->bitcode) != 0)
			continue;
		uint8_t md[32];
		unsigned mdlen = 0;
		EVP_Digest(bc, bclen, md, &mdlen, EVP_sha256(), NULL);
		xdrv_hex(md, 32, m->files[i].sha256);
		m->files[i].size = bclen;
	}
	if (edit)
		edit(m);
	rc = sdk_manifest_write(m, &json, &jlen, &err);
	struct archive *a = archive_write_new();
	if (!rc && (archive_write_set_format_ustar(a) != ARCHIVE_OK ||
		    archive_write_open_filename(a, out) != ARCHIVE_OK ||
		    add_member(a, SDK_MANIFEST_NAME, json, jlen) != 0 ||
		    add_member(a, m->bitcode, bc, bclen) != 0))
		rc = -1;
	archive_write_close(a);
	archive_write_free(a);
	if (rc)
		fprintf(stderr, "craft: %s\n", err ? err : "archive");
	free(json);
	free(err);
	sdk_package_free(&pkg);
	return rc;
}

/* Bitcode of the test driver with `extra`: clang for `triple`, normalized to the profile if
 * the triple is the profile's (as sdk_build does, but without its lint). malloc'd. */
static uint8_t *driver_bitcode(const char *extra, const char *triple, size_t *len)
{
	const char *src = write_src(extra);
	const char *bcp = xtest_path("%s.bc", src);
	char bcpath[700];
	snprintf(bcpath, sizeof bcpath, "%s", bcp);
	if (xtest_sh(SDK_CLANG " --target=%s -ffreestanding -nostdlibinc -isystem "
			       "'%s/driver-abi/include' -fsigned-char -O2 -Xclang "
			       "-disable-llvm-passes -emit-llvm -c '%s' -o '%s'",
		     triple, XDRV_SRCDIR, src, bcpath) != 0)
		return NULL;
	if (strcmp(triple, SDK_TRIPLE) == 0) {
		LLVMOrcThreadSafeContextRef tsc = LLVMOrcCreateNewThreadSafeContext();
		LLVMModuleRef m = fx_parse(tsc, bcpath);
		char *err = NULL;
		int rc = m ? sdk_normalize(m, &err) : -1;
		if (!rc)
			rc = sdk_bitcode_write(m, bcpath, &err);
		free(err);
		if (m)
			LLVMDisposeModule(m);
		LLVMOrcDisposeThreadSafeContext(tsc);
		if (rc)
			return NULL;
	}
	return xtest_read(bcpath, len);
}

/* Load `path` unsigned-allowed and expect failure with `code` and `needle`. */
static void expect_refused(const char *path, int code, const char *needle)
{
	struct ldr_ctx *ctx = ctx_with(NULL, 1, LDR_JIT_EAGER);
	struct ldr_image *img = NULL;
	char *err = NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	int rc = ldr_image_load_file(ctx, path, NULL, 0, &img, &err);
	CU_ASSERT_EQUAL(rc, code);
	CU_ASSERT_PTR_NULL(img);
	CU_ASSERT(fx_has(err, needle));
	if (rc != code || !fx_has(err, needle))
		fprintf(stderr, "expected %d '%s', got %d: %s\n", code, needle, rc,
			err ? err : "(none)");
	CU_ASSERT(fx_has(ldr_errmsg(ctx), needle));
	free(err);
	ldr_ctx_destroy(ctx);
}

/* ---- the good path ----------------------------------------------------------------------------
 */
FX_JITCALL static void test_signed_package_loads_eagerly(void)
{
	struct ldr_ctx *ctx = ctx_with(root_pem, 0, LDR_JIT_EAGER);
	struct ldr_image *img = NULL;
	char *err = NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	CU_ASSERT_EQUAL_FATAL(ldr_image_load_file(ctx, signed_pkg, NULL, 0, &img, &err), 0);
	CU_ASSERT_STRING_EQUAL(ldr_image_name(img), "imgtest");
	const struct sdk_manifest *m = ldr_image_manifest(img);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_STRING_EQUAL(m->version, "1.4.2");
	CU_ASSERT_EQUAL(m->security_version, 3);
	CU_ASSERT(img->sig_checked);
	const struct xdrv_driver *d = ldr_image_descriptor(img);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_STRING_EQUAL(d->name, "imgtest");
	CU_ASSERT_EQUAL(d->probe(NULL), 64); /* the default */
	CU_ASSERT_EQUAL(ldr_image_compiled_functions(img), ldr_image_total_functions(img));
	CU_ASSERT(ldr_image_total_functions(img) >= 3);
	struct ldr_timings t;
	ldr_image_timings(img, &t);
	CU_ASSERT(t.verify_ns > 0 && t.extract_ns > 0 && t.parse_ns > 0 && t.opt_ns > 0 &&
		  t.jit_ns > 0);
	CU_ASSERT(t.total_ns >= t.verify_ns + t.extract_ns + t.parse_ns + t.opt_ns + t.jit_ns);
	CU_ASSERT_STRING_EQUAL(ldr_errmsg(ctx), "");
	ldr_image_unload(img);
	ldr_ctx_destroy(ctx);
	free(err);
}

FX_JITCALL static void test_signed_package_loads_lazily_with_params(void)
{
	struct ldr_ctx *ctx = ctx_with(root_pem, 0, LDR_JIT_LAZY);
	struct ldr_image *img = NULL;
	char *err = NULL;
	struct ldr_param_value pv[] = {{"ring", "512"}};
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	CU_ASSERT_EQUAL_FATAL(ldr_image_load_file(ctx, signed_pkg, pv, 1, &img, &err), 0);
	CU_ASSERT_EQUAL(ldr_image_compiled_functions(img), 0);
	const struct xdrv_driver *d = ldr_image_descriptor(img);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_EQUAL(d->probe(NULL), 512);
	CU_ASSERT_EQUAL(ldr_image_compiled_functions(img), 1);
	uint32_t (*ring)(void) = FX_FN(img, uint32_t(*)(void), "ring_size");
	CU_ASSERT_PTR_NOT_NULL_FATAL(ring);
	CU_ASSERT_EQUAL(ring(), 512);
	CU_ASSERT_EQUAL(ldr_image_compiled_functions(img), 2);
	ldr_image_unload(img);
	ldr_ctx_destroy(ctx);
	free(err);
}

FX_JITCALL static void test_unsigned_package_loads_in_development_mode(void)
{
	struct ldr_ctx *ctx = ctx_with(NULL, 1, LDR_JIT_EAGER);
	struct ldr_image *img = NULL;
	char *err = NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	CU_ASSERT_EQUAL_FATAL(ldr_image_load_file(ctx, unsigned_pkg, NULL, 0, &img, &err), 0);
	CU_ASSERT_FALSE(img->sig_checked);
	CU_ASSERT_EQUAL(ldr_image_descriptor(img)->probe(NULL), 64);
	ldr_image_unload(img);
	/* a signed package without a pinned root loads as unchecked */
	CU_ASSERT_EQUAL_FATAL(ldr_image_load_file(ctx, signed_pkg, NULL, 0, &img, &err), 0);
	CU_ASSERT_FALSE(img->sig_checked);
	ldr_image_unload(img);
	ldr_ctx_destroy(ctx);
	free(err);
}

static void test_extract_dir_receives_the_members(void)
{
	const char *dir = xtest_path("%s/x", xtest_tmpdir());
	char xdir[600];
	snprintf(xdir, sizeof xdir, "%s", dir);
	CU_ASSERT_EQUAL_FATAL(mkdir(xdir, 0700), 0);
	struct ldr_config cfg = {.trust_root = root_pem, .extract_dir = xdir, .opt_level = 2};
	struct ldr_ctx *ctx = NULL;
	struct ldr_image *img = NULL;
	char *err = NULL;
	CU_ASSERT_EQUAL_FATAL(ldr_ctx_create(&cfg, &ctx, &err), 0);
	CU_ASSERT_EQUAL(ldr_image_load_file(ctx, signed_pkg, NULL, 0, &img, &err), 0);
	struct stat st;
	CU_ASSERT_EQUAL(stat(xtest_path("%s/" SDK_MANIFEST_NAME, xdir), &st), 0);
	ldr_ctx_destroy(ctx);
	free(err);
}

/* ---- signatures -------------------------------------------------------------------------------
 */
static void test_unsigned_package_is_refused_when_signatures_are_required(void)
{
	struct ldr_ctx *ctx = ctx_with(root_pem, 0, LDR_JIT_EAGER);
	struct ldr_image *img = NULL;
	char *err = NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	CU_ASSERT_EQUAL(ldr_image_load_file(ctx, unsigned_pkg, NULL, 0, &img, &err), -EPERM);
	CU_ASSERT(fx_has(err, "package imgtest.unsigned.xdrv: unsigned, and this host requires "
			      "signatures"));
	free(err);
	ldr_ctx_destroy(ctx);
}

static void load_signed_bytes(const uint8_t *buf, size_t len, const char *needle)
{
	struct ldr_ctx *ctx = ctx_with(root_pem, 0, LDR_JIT_EAGER);
	struct ldr_image *img = NULL;
	char *err = NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	int rc = ldr_image_load_buf(ctx, buf, len, "bad.xdrv", NULL, 0, &img, &err);
	CU_ASSERT(rc < 0);
	CU_ASSERT_PTR_NULL(img);
	CU_ASSERT(fx_has(err, needle));
	if (!fx_has(err, needle))
		fprintf(stderr, "expected '%s' in: %s\n", needle, err ? err : "(none)");
	free(err);
	ldr_ctx_destroy(ctx);
}

static void test_payload_changed_after_signing_is_refused(void)
{
	size_t len = 0;
	unsigned char *buf = xtest_read(signed_pkg, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	buf[len / 4] ^= 0x01; /* inside the payload */
	load_signed_bytes(buf, len, "package bad.xdrv: signature");
	free(buf);
}

static void test_truncated_trailer_is_refused(void)
{
	size_t len = 0;
	unsigned char *buf = xtest_read(signed_pkg, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	load_signed_bytes(buf, len - 7, "package bad.xdrv:");
	free(buf);
}

static void test_expired_signer_is_refused_through_the_time_floor(void)
{
	/* a floor 30 years ahead: every certificate of the dev PKI has expired by then */
	struct ldr_config cfg = {.trust_root = root_pem,
				 .time_floor = (int64_t)time(NULL) + 30ll * 365 * 86400,
				 .opt_level = 2};
	struct ldr_ctx *ctx = NULL;
	struct ldr_image *img = NULL;
	char *err = NULL;
	CU_ASSERT_EQUAL_FATAL(ldr_ctx_create(&cfg, &ctx, &err), 0);
	CU_ASSERT(ldr_image_load_file(ctx, signed_pkg, NULL, 0, &img, &err) < 0);
	CU_ASSERT(fx_has(err, "package imgtest.xdrv: signature"));
	free(err);
	ldr_ctx_destroy(ctx);
}

static void test_missing_trust_root_fails_context_creation(void)
{
	struct ldr_config cfg = {.trust_root = "/nonexistent/root.pem", .opt_level = 2};
	struct ldr_ctx *ctx = NULL;
	char *err = NULL;
	CU_ASSERT(ldr_ctx_create(&cfg, &ctx, &err) < 0);
	CU_ASSERT(fx_has(err, "/nonexistent/root.pem"));
	CU_ASSERT_PTR_NULL(ctx);
	free(err);
}

static void test_missing_package_file_is_named(void)
{
	expect_refused("/nonexistent/pkg.xdrv", -ENOENT, "package pkg.xdrv");
}

/* ---- what only the loader's own checks catch --------------------------------------------------
 */
static void test_foreign_triple_bitcode_is_refused(void)
{
	size_t len = 0;
	uint8_t *bc = driver_bitcode("", "x86_64-unknown-linux-gnu", &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(bc);
	const char *out = xtest_path("%s/x86.xdrv", xtest_tmpdir());
	CU_ASSERT_EQUAL_FATAL(craft(out, bc, len, NULL), 0);
	expect_refused(out, -EINVAL,
		       "bitcode targets x86_64-unknown-linux-gnu; xdrv packages must be built for "
		       "the portable profile le64-unknown-unknown");
	free(bc);
}

static void test_corrupt_bitcode_is_refused(void)
{
	static const uint8_t junk[] = "BC\xc0\xde this is not really bitcode at all";
	const char *out = xtest_path("%s/junk.xdrv", xtest_tmpdir());
	CU_ASSERT_EQUAL_FATAL(craft(out, junk, sizeof junk, NULL), 0);
	expect_refused(out, -EINVAL, "not valid LLVM bitcode");
}

static void test_lint_runs_again_in_the_loader(void)
{
	size_t len = 0;
	uint8_t *bc = driver_bitcode("int getpid(void);\nint pid(void) { return getpid(); }",
				     SDK_TRIPLE, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(bc);
	const char *out = xtest_path("%s/getpid.xdrv", xtest_tmpdir());
	CU_ASSERT_EQUAL_FATAL(craft(out, bc, len, NULL), 0);
	expect_refused(out, -EINVAL, "getpid");
	free(bc);
}

/* A breakpoint in a driver would end the host with SIGTRAP: the loader's lint refuses it by name
 * (issue 10), whatever sdk_pack did. */
static void test_debugtrap_is_refused_at_load(void)
{
	size_t len = 0;
	uint8_t *bc = driver_bitcode("void bp(void) { __builtin_debugtrap(); }", SDK_TRIPLE, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(bc);
	const char *out = xtest_path("%s/debugtrap.xdrv", xtest_tmpdir());
	CU_ASSERT_EQUAL_FATAL(craft(out, bc, len, NULL), 0);
	expect_refused(out, -EINVAL, "trap intrinsic llvm.debugtrap: return a negative XDRV_E*");
	free(bc);
}

/* The test driver's bitcode with prologue data on ring_size: bytes that would run as native
 * code at its entry (a 0x90 NOP here; a hostile driver put a raw system call there). No C
 * spelling and no LLVM-C setter exist: the IR text gets them. malloc'd. */
static uint8_t *prologue_bitcode(size_t *len)
{
	size_t bclen = 0;
	uint8_t *bc = driver_bitcode("", SDK_TRIPLE, &bclen);
	const char *bcpath = xtest_path("%s/prologue.bc", xtest_tmpdir());
	if (!bc || xtest_write(bcpath, bc, bclen) != 0) {
		free(bc);
		return NULL;
	}
	free(bc);
	LLVMOrcThreadSafeContextRef tsc = LLVMOrcCreateNewThreadSafeContext();
	LLVMModuleRef m = fx_parse(tsc, bcpath);
	char *text = m ? LLVMPrintModuleToString(m) : NULL;
	const char *fn = text ? strstr(text, "@ring_size()") : NULL;
	const char *brace = fn ? strstr(fn, " {\n") : NULL;
	uint8_t *out = NULL;
	if (brace) {
		static const char ins[] = " prologue i8 -112";
		size_t at = (size_t)(brace - text), tl = strlen(text);
		char *ir = malloc(tl + sizeof ins);
		memcpy(ir, text, at);
		memcpy(ir + at, ins, sizeof ins - 1);
		memcpy(ir + at + sizeof ins - 1, text + at, tl - at + 1);
		LLVMMemoryBufferRef mb =
			LLVMCreateMemoryBufferWithMemoryRangeCopy(ir, strlen(ir), "prologue");
		LLVMModuleRef m2 = NULL;
		char *msg = NULL;
		if (LLVMParseIRInContext(LLVMOrcThreadSafeContextGetContext(tsc), mb, &m2, &msg) ==
		    0) {
			LLVMMemoryBufferRef w = LLVMWriteBitcodeToMemoryBuffer(m2);
			*len = LLVMGetBufferSize(w);
			out = malloc(*len);
			memcpy(out, LLVMGetBufferStart(w), *len);
			LLVMDisposeMemoryBuffer(w);
			LLVMDisposeModule(m2);
		} else {
			fprintf(stderr, "prologue IR: %s\n", msg ? msg : "?");
		}
		LLVMDisposeMessage(msg);
		free(ir);
	}
	LLVMDisposeMessage(text);
	if (m)
		LLVMDisposeModule(m);
	LLVMOrcDisposeThreadSafeContext(tsc);
	return out;
}

/* Prologue data (issue 12): the loader's own lint refuses it by name, in an unsigned package
 * (development mode) and in one signed by the trusted PKI: a signature vouches for who wrote
 * a driver, not for what it does. */
static void test_prologue_data_is_refused_at_load(void)
{
	static const char want[] =
		"function ring_size: prologue data: bytes placed at the function's entry run as "
		"native code, unchecked";
	size_t len = 0;
	uint8_t *bc = prologue_bitcode(&len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(bc);
	const char *dir = xtest_tmpdir();
	char unsigned_out[600], signed_out[600], cert[600], key[600], chain[600];
	snprintf(unsigned_out, sizeof unsigned_out, "%s/prologue.unsigned.xdrv", dir);
	snprintf(signed_out, sizeof signed_out, "%s/prologue.xdrv", dir);
	snprintf(cert, sizeof cert, "%s/signer.pem", pki);
	snprintf(key, sizeof key, "%s/signer.key", pki);
	snprintf(chain, sizeof chain, "%s/vendor.pem", pki);
	CU_ASSERT_EQUAL_FATAL(craft(unsigned_out, bc, len, NULL), 0);
	free(bc);
	expect_refused(unsigned_out, -EINVAL, want);

	char *err = NULL;
	CU_ASSERT_EQUAL_FATAL(sig_sign_file(unsigned_out, signed_out, cert, key, chain, &err), 0);
	free(err);
	err = NULL;
	struct ldr_ctx *ctx = ctx_with(root_pem, 0, LDR_JIT_EAGER);
	struct ldr_image *img = NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	CU_ASSERT_EQUAL(ldr_image_load_file(ctx, signed_out, NULL, 0, &img, &err), -EINVAL);
	CU_ASSERT_PTR_NULL(img);
	CU_ASSERT(fx_has(err, want));
	if (!fx_has(err, want))
		fprintf(stderr, "expected '%s' in: %s\n", want, err ? err : "(none)");
	free(err);
	ldr_ctx_destroy(ctx);
}

static void newer_abi(struct sdk_manifest *m)
{
	m->abi_version = XDRV_ABI_MKVER(1, 7, 0);
	m->desc.abi_version = m->abi_version;
}

static void test_newer_abi_is_refused(void)
{
	size_t len = 0;
	uint8_t *bc = driver_bitcode("", SDK_TRIPLE, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(bc);
	const char *out = xtest_path("%s/newabi.xdrv", xtest_tmpdir());
	CU_ASSERT_EQUAL_FATAL(craft(out, bc, len, newer_abi), 0);
	expect_refused(out, -ENOTSUP, "built for driver ABI 1.7.0, newer than this host's 1.2.0");
	free(bc);
}

static void other_version(struct sdk_manifest *m)
{
	free(m->version);
	m->version = strdup("9.9.9");
}

static void other_default(struct sdk_manifest *m)
{
	m->desc.params[0].def = 128;
}

static void other_probe(struct sdk_manifest *m)
{
	free(m->desc.probe);
	m->desc.probe = strdup("attach");
}

static void test_manifest_that_disagrees_with_the_bitcode_is_refused(void)
{
	size_t len = 0;
	uint8_t *bc = driver_bitcode("", SDK_TRIPLE, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(bc);
	const char *out = xtest_path("%s/lies.xdrv", xtest_tmpdir());
	char path[700];
	snprintf(path, sizeof path, "%s", out);
	CU_ASSERT_EQUAL_FATAL(craft(path, bc, len, other_version), 0);
	expect_refused(path, -EINVAL,
		       "manifest and bitcode disagree: version: manifest says "
		       "'9.9.9', the bitcode's descriptor '1.4.2'");
	CU_ASSERT_EQUAL_FATAL(craft(path, bc, len, other_default), 0);
	expect_refused(path, -EINVAL, "params[0] (ring).default: manifest says '128'");
	CU_ASSERT_EQUAL_FATAL(craft(path, bc, len, other_probe), 0);
	expect_refused(path, -EINVAL, "entry point probe: manifest says 'attach'");
	/* and the unedited craft loads: the checks above are what refused */
	CU_ASSERT_EQUAL_FATAL(craft(path, bc, len, NULL), 0);
	struct ldr_ctx *ctx = ctx_with(NULL, 1, LDR_JIT_EAGER);
	struct ldr_image *img = NULL;
	char *err = NULL;
	CU_ASSERT_EQUAL(ldr_image_load_file(ctx, path, NULL, 0, &img, &err), 0);
	ldr_ctx_destroy(ctx);
	free(err);
	free(bc);
}

static void test_bad_param_is_refused_with_the_package_name(void)
{
	struct ldr_ctx *ctx = ctx_with(root_pem, 0, LDR_JIT_EAGER);
	struct ldr_image *img = NULL;
	char *err = NULL;
	struct ldr_param_value pv[] = {{"ring", "5000"}};
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	CU_ASSERT_EQUAL(ldr_image_load_file(ctx, signed_pkg, pv, 1, &img, &err), -ERANGE);
	CU_ASSERT(fx_has(err, "package imgtest.xdrv: param ring: '5000' out of range 16..4096"));
	free(err);
	err = NULL;
	struct ldr_param_value unk[] = {{"mtu", "1500"}};
	CU_ASSERT_EQUAL(ldr_image_load_file(ctx, signed_pkg, unk, 1, &img, &err), -ENOENT);
	CU_ASSERT(fx_has(err, "param mtu: not declared by the driver (declared: ring)"));
	free(err);
	ldr_ctx_destroy(ctx);
}

XTEST_SUITE(loader_image, suite_init, NULL, XTEST(test_signed_package_loads_eagerly),
	    XTEST(test_signed_package_loads_lazily_with_params),
	    XTEST(test_unsigned_package_loads_in_development_mode),
	    XTEST(test_extract_dir_receives_the_members),
	    XTEST(test_unsigned_package_is_refused_when_signatures_are_required),
	    XTEST(test_payload_changed_after_signing_is_refused),
	    XTEST(test_truncated_trailer_is_refused),
	    XTEST(test_expired_signer_is_refused_through_the_time_floor),
	    XTEST(test_missing_trust_root_fails_context_creation),
	    XTEST(test_missing_package_file_is_named),
	    XTEST(test_foreign_triple_bitcode_is_refused), XTEST(test_corrupt_bitcode_is_refused),
	    XTEST(test_lint_runs_again_in_the_loader), XTEST(test_debugtrap_is_refused_at_load),
	    XTEST(test_prologue_data_is_refused_at_load), XTEST(test_newer_abi_is_refused),
	    XTEST(test_manifest_that_disagrees_with_the_bitcode_is_refused),
	    XTEST(test_bad_param_is_refused_with_the_package_name))
