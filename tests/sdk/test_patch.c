// SPDX-License-Identifier: MIT
/*
 * Tests for sdk/patch.c and the patch parts of lint.c, manifest.c and pack.c: a patch module is
 * held to its base (replacements exist with the identical type, declarations resolve, no
 * writable data), its lint allows references to the base and refuses a descriptor, its manifest
 * round-trips and is parsed strictly, and `pack --patch-for` writes a patch package naming the
 * base's payload digest or refuses with messages that name the function and both types.
 */
#include <errno.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xdrv/abi.h>
#include <xdrv/sdk.h>
#include <xdrv/util.h>

#include "../xtest.h"
#include "sdk_fixtures.h"

/* The base: the fixture driver, plus a static counter and a helper a patch may use. */
static const char base_extra[] = "@counter = internal global i32 0\n"
				 "define internal i32 @helper(i32 %x) {\n  ret i32 %x\n}\n";

/* A good patch: probe replaced (internal i32 (ptr) in the base), using the base's counter and
 * helper, with a static helper and static constant data of its own. */
static const char patch_good[] =
	"@counter = external global i32\n"
	"@note = private constant [3 x i8] c\"ok\\00\"\n"
	"declare i32 @helper(i32)\n"
	"define internal i32 @twice(i32 %x) {\n  %y = add i32 %x, %x\n  ret i32 %y\n}\n"
	"define i32 @probe(ptr %d) {\n"
	"  %v = load i32, ptr @counter\n"
	"  %h = call i32 @helper(i32 %v)\n"
	"  %t = call i32 @twice(i32 %h)\n"
	"  ret i32 %t\n}\n";

static bool has(const char *e, const char *want)
{
	bool found = e && strstr(e, want);
	if (!found)
		fprintf(stderr, "expected '%s' in: %s\n", want, e ? e : "(none)");
	return found;
}

/* sdk_patch_check of `patch_ir` against the base; returns rc, *err the message. */
static int check(const char *patch_ir, char ***names, size_t *n, char **err)
{
	LLVMContextRef ctx = LLVMContextCreate();
	LLVMModuleRef b = sdkfx_ir(ctx, sdkfx_ir_driver, base_extra);
	LLVMModuleRef p = sdkfx_ir(ctx, patch_ir, NULL);
	int rc = -1;
	if (b && p)
		rc = sdk_patch_check(p, b, names, n, err);
	if (b)
		LLVMDisposeModule(b);
	if (p)
		LLVMDisposeModule(p);
	LLVMContextDispose(ctx);
	return rc;
}

static void test_patch_check_accepts_a_replacement_and_names_it(void)
{
	char **names = NULL, *err = NULL;
	size_t n = 0;
	CU_ASSERT_EQUAL_FATAL(check(patch_good, &names, &n, &err), 0);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT(names && strcmp(names[0], "probe") == 0);
	CU_ASSERT_PTR_NULL(err);
	sdk_patch_names_free(names, n);
}

static void test_patch_check_refuses_a_type_change_naming_both_types(void)
{
	char *err = NULL;
	size_t n = 0;
	CU_ASSERT_EQUAL(check("define i64 @probe(ptr %d) {\n  ret i64 0\n}\n", NULL, &n, &err),
			-EINVAL);
	CU_ASSERT(has(err, "function probe: type i64 (ptr) in the patch, i32 (ptr) in the base"));
	free(err);
}

static void test_patch_check_refuses_a_function_the_base_lacks(void)
{
	char *err = NULL;
	size_t n = 0;
	CU_ASSERT_EQUAL(check("define i32 @nosuch(ptr %d) {\n  ret i32 0\n}\n", NULL, &n, &err),
			-EINVAL);
	CU_ASSERT(has(err, "function nosuch: the patch defines it, the base does not"));
	free(err);
}

static void test_patch_check_refuses_writable_data(void)
{
	char *err = NULL;
	size_t n = 0;
	char ir[1024];
	snprintf(ir, sizeof ir, "@state = internal global i32 0\n%s", patch_good);
	CU_ASSERT_EQUAL(check(ir, NULL, &n, &err), -EINVAL);
	CU_ASSERT(has(err, "global state: writable data: a patch may not define storage"));
	free(err);
	err = NULL;
	snprintf(ir, sizeof ir, "@table = constant i32 7\n%s", patch_good);
	CU_ASSERT_EQUAL(check(ir, NULL, &n, &err), -EINVAL);
	CU_ASSERT(has(err, "global table: a patch's constant data must be static"));
	free(err);
}

static void test_patch_check_refuses_unresolved_and_mistyped_references(void)
{
	char *err = NULL;
	size_t n = 0;
	static const char ir[] = "@counter = external global i64\n"
				 "declare i32 @elsewhere(i32)\n"
				 "define i32 @probe(ptr %d) {\n"
				 "  %v = load i64, ptr @counter\n"
				 "  %w = trunc i64 %v to i32\n"
				 "  %r = call i32 @elsewhere(i32 %w)\n"
				 "  ret i32 %r\n}\n";
	CU_ASSERT_EQUAL(check(ir, NULL, &n, &err), -EINVAL);
	CU_ASSERT(has(err, "global counter: type i64 in the patch, i32 in the base"));
	CU_ASSERT(has(err, "function elsewhere: the patch calls it, but it is neither in the ABI "
			   "nor defined by the base"));
	CU_ASSERT_EQUAL(sdkfx_lines(err), 2);
	free(err);
}

static void test_patch_check_refuses_a_patch_that_replaces_nothing(void)
{
	char *err = NULL;
	size_t n = 0;
	CU_ASSERT_EQUAL(
		check("define internal i32 @only(i32 %x) {\n  ret i32 %x\n}\n", NULL, &n, &err),
		-EINVAL);
	CU_ASSERT(has(err, "the patch replaces no function"));
	free(err);
}

static void test_patch_lint_allows_base_references_and_refuses_a_descriptor(void)
{
	LLVMContextRef ctx = LLVMContextCreate();
	LLVMModuleRef p = sdkfx_ir(ctx, patch_good, NULL);
	char *err = NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL(sdk_lint_patch(p, XDRV_ABI_MKVER(1, 0, 0), NULL, &err), 0);
	CU_ASSERT_PTR_NULL(err);
	/* the driver lint refuses the same module: a data import, an import outside the ABI */
	CU_ASSERT_EQUAL(sdk_lint(p, XDRV_ABI_MKVER(1, 0, 0), &err), -EINVAL);
	CU_ASSERT(has(err, "function helper: import not in the xdrv ABI"));
	free(err);
	err = NULL;
	LLVMDisposeModule(p);
	/* a descriptor in a patch */
	p = sdkfx_ir(ctx, sdkfx_ir_driver, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL(sdk_lint_patch(p, XDRV_ABI_MKVER(1, 0, 0), NULL, &err), -EINVAL);
	CU_ASSERT(has(err, "global xdrv_driver: a patch has no descriptor"));
	free(err);
	LLVMDisposeModule(p);
	LLVMContextDispose(ctx);
}

/* ---- manifest --------------------------------------------------------------------------- */

static const char patch_json[] =
	"{\"format\": 1, \"name\": \"hello\", \"version\": \"1.0.1\", \"security_version\": 2, "
	"\"abi_version\": 1000000, \"profile\": \"" SDK_PROFILE "\", \"bitcode\": \"driver.bc\", "
	"\"kind\": \"patch\", \"patch_for\": "
	"\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\", "
	"\"functions\": [\"probe\", \"helper\"], \"files\": [{\"path\": \"driver.bc\", "
	"\"sha256\": \"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\", "
	"\"size\": 4}]}";

/* patch_json with `from` replaced by `to` (once), parsed. */
static int parse_tweaked(const char *from, const char *to, struct sdk_manifest *m, char **err)
{
	char buf[2048];
	const char *at = from ? strstr(patch_json, from) : NULL;
	if (at)
		snprintf(buf, sizeof buf, "%.*s%s%s", (int)(at - patch_json), patch_json, to,
			 at + strlen(from));
	else
		snprintf(buf, sizeof buf, "%s", patch_json);
	return sdk_manifest_parse(buf, strlen(buf), m, err);
}

static void test_patch_manifest_round_trips(void)
{
	struct sdk_manifest m, back;
	char *err = NULL, *json = NULL;
	size_t len = 0;
	CU_ASSERT_EQUAL_FATAL(parse_tweaked(NULL, NULL, &m, &err), 0);
	CU_ASSERT_EQUAL(m.desc.kind, SDK_KIND_PATCH);
	CU_ASSERT_STRING_EQUAL(m.patch_for,
			       "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	CU_ASSERT_EQUAL_FATAL(m.npatch_functions, 2);
	CU_ASSERT_STRING_EQUAL(m.patch_functions[1], "helper");
	CU_ASSERT_EQUAL_FATAL(sdk_manifest_write(&m, &json, &len, &err), 0);
	CU_ASSERT_PTR_NULL(strstr(json, "\"entry\""));
	CU_ASSERT_PTR_NULL(strstr(json, "\"params\""));
	CU_ASSERT_EQUAL_FATAL(sdk_manifest_parse(json, len, &back, &err), 0);
	CU_ASSERT_EQUAL(back.desc.kind, SDK_KIND_PATCH);
	CU_ASSERT_STRING_EQUAL(back.patch_for, m.patch_for);
	CU_ASSERT_EQUAL(back.npatch_functions, 2);
	CU_ASSERT_EQUAL(back.security_version, 2);
	sdk_manifest_free(&back);
	sdk_manifest_free(&m);
	free(json);
}

static void test_patch_manifest_refuses_bad_fields(void)
{
	static const struct {
		const char *from, *to, *want;
	} cases[] = {
		{"\"patch_for\": \"0123", "\"patch_for\": \"X123",
		 "manifest: patch_for: must be 64 lower-case hex digits"},
		{"[\"probe\", \"helper\"]", "[]",
		 "manifest: functions: must be an array of 1..1024 function names"},
		{"[\"probe\", \"helper\"]", "[\"probe\", \"probe\"]",
		 "manifest: functions[1]: 'probe' listed twice"},
		{"[\"probe\", \"helper\"]", "[\"a b\"]",
		 "manifest: functions[0]: must be a function"},
		{"\"kind\": \"patch\",", "\"kind\": \"patch\", \"entry\": {},",
		 "manifest: entry: unknown key"},
		{"\"patch_for\": "
		 "\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\", ",
		 "", "manifest: patch_for: missing"},
		{"\"kind\": \"patch\"", "\"kind\": \"hotfix\"",
		 "manifest: kind: must be \"driver\", \"extension\" or \"patch\""},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct sdk_manifest m;
		char *err = NULL;
		CU_ASSERT_EQUAL(parse_tweaked(cases[i].from, cases[i].to, &m, &err), -EINVAL);
		CU_ASSERT(has(err, cases[i].want));
		free(err);
	}
}

/* ---- pack --patch-for --------------------------------------------------------------------- */

/* The base package (unsigned: its file is its payload), read whole into *base. */
static const char *base_pkg(const char *dir, uint8_t **base, size_t *len)
{
	static char out[1024];
	char bc[1024], ir[2048];
	snprintf(ir, sizeof ir, "%s%s", sdkfx_ir_driver, base_extra);
	snprintf(bc, sizeof bc, "%s", sdkfx_ir_to_bc(dir, "base.bc", ir));
	snprintf(out, sizeof out, "%s/base.xdrv", dir);
	struct sdk_pack_opts o = {.bitcode = bc, .output = out};
	char *err = NULL;
	if (sdk_pack(&o, &err) != 0) {
		fprintf(stderr, "base: %s\n", err ? err : "?");
		free(err);
		return NULL;
	}
	*base = xtest_read(out, len);
	return *base ? out : NULL;
}

static int pack_patch(const char *dir, const char *ir, const uint8_t *base, size_t blen,
		      const char *version, const char *out, char **err)
{
	char bc[1024];
	snprintf(bc, sizeof bc, "%s", sdkfx_ir_to_bc(dir, "patch.bc", ir));
	struct sdk_pack_opts o = {.bitcode = bc,
				  .output = out,
				  .version = version,
				  .security_version = 1,
				  .patch_for = base,
				  .patch_for_len = blen,
				  .patch_for_label = "base.xdrv"};
	return sdk_pack(&o, err);
}

static void test_pack_patch_names_the_base_payload_digest(void)
{
	const char *dir = xtest_tmpdir();
	uint8_t *base = NULL;
	size_t blen = 0;
	CU_ASSERT_PTR_NOT_NULL_FATAL(base_pkg(dir, &base, &blen));
	char out[1024], *err = NULL;
	snprintf(out, sizeof out, "%s/p.xdrv", dir);
	CU_ASSERT_EQUAL_FATAL(pack_patch(dir, patch_good, base, blen, "1.0.1", out, &err), 0);
	size_t len = 0;
	uint8_t *pkg = xtest_read(out, &len);
	struct sdk_package p;
	CU_ASSERT_EQUAL_FATAL(sdk_package_read(pkg, len, NULL, NULL, &p, &err), 0);
	char want[65];
	uint8_t md[32];
	unsigned mdlen = 0;
	EVP_Digest(base, blen, md, &mdlen, EVP_sha256(), NULL);
	xdrv_hex(md, 32, want);
	CU_ASSERT_EQUAL(p.manifest.desc.kind, SDK_KIND_PATCH);
	CU_ASSERT_STRING_EQUAL(p.manifest.patch_for, want);
	CU_ASSERT_STRING_EQUAL(p.manifest.name, "hello");
	CU_ASSERT_STRING_EQUAL(p.manifest.version, "1.0.1");
	CU_ASSERT_EQUAL(p.manifest.abi_version, 1000000);
	CU_ASSERT_EQUAL_FATAL(p.manifest.npatch_functions, 1);
	CU_ASSERT_STRING_EQUAL(p.manifest.patch_functions[0], "probe");
	sdk_package_free(&p);
	/* a patch package is not a base */
	char out2[1024];
	snprintf(out2, sizeof out2, "%s/p2.xdrv", dir);
	CU_ASSERT_EQUAL(pack_patch(dir, patch_good, pkg, len, "1.0.2", out2, &err), -EINVAL);
	CU_ASSERT(has(err, "base base.xdrv: is a patch package, not a driver package"));
	free(err);
	free(pkg);
	free(base);
}

static void test_pack_patch_refusals_name_the_function_and_types(void)
{
	const char *dir = xtest_tmpdir();
	uint8_t *base = NULL;
	size_t blen = 0;
	CU_ASSERT_PTR_NOT_NULL_FATAL(base_pkg(dir, &base, &blen));
	char out[1024], *err = NULL;
	snprintf(out, sizeof out, "%s/p.xdrv", dir);
	CU_ASSERT_EQUAL(pack_patch(dir, "define i64 @probe(ptr %d) {\n  ret i64 0\n}\n", base, blen,
				   "1.0.1", out, &err),
			-EINVAL);
	CU_ASSERT(has(err, "function probe: type i64 (ptr) in the patch, i32 (ptr) in the base"));
	free(err);
	err = NULL;
	CU_ASSERT_EQUAL(pack_patch(dir, "define i32 @nosuch(ptr %d) {\n  ret i32 0\n}\n", base,
				   blen, "1.0.1", out, &err),
			-EINVAL);
	CU_ASSERT(has(err, "function nosuch: the patch defines it, the base does not"));
	free(err);
	err = NULL;
	char ir[1024];
	snprintf(ir, sizeof ir, "@state = internal global i32 0\n%s", patch_good);
	CU_ASSERT_EQUAL(pack_patch(dir, ir, base, blen, "1.0.1", out, &err), -EINVAL);
	CU_ASSERT(has(err, "global state: writable data"));
	free(err);
	err = NULL;
	CU_ASSERT_EQUAL(pack_patch(dir, patch_good, base, blen, NULL, out, &err), -EINVAL);
	CU_ASSERT(has(err, "a patch needs --version"));
	free(err);
	err = NULL;
	/* a base that is not a package at all */
	static const uint8_t junk[600] = {1, 2, 3};
	CU_ASSERT(pack_patch(dir, patch_good, junk, sizeof junk, "1.0.1", out, &err) < 0);
	CU_ASSERT(has(err, "base base.xdrv: archive"));
	free(err);
	CU_ASSERT_NOT_EQUAL(access(out, F_OK), 0); /* nothing written by any refusal */
	free(base);
}

XTEST_SUITE(sdk_patch, NULL, NULL, XTEST(test_patch_check_accepts_a_replacement_and_names_it),
	    XTEST(test_patch_check_refuses_a_type_change_naming_both_types),
	    XTEST(test_patch_check_refuses_a_function_the_base_lacks),
	    XTEST(test_patch_check_refuses_writable_data),
	    XTEST(test_patch_check_refuses_unresolved_and_mistyped_references),
	    XTEST(test_patch_check_refuses_a_patch_that_replaces_nothing),
	    XTEST(test_patch_lint_allows_base_references_and_refuses_a_descriptor),
	    XTEST(test_patch_manifest_round_trips), XTEST(test_patch_manifest_refuses_bad_fields),
	    XTEST(test_pack_patch_names_the_base_payload_digest),
	    XTEST(test_pack_patch_refusals_name_the_function_and_types));
