// SPDX-License-Identifier: MIT
/*
 * Tests for loader/patch.c: a live patch package is read only when it verifies like a driver's
 * (signature, chain) and names the base it is given (refusals: another base's digest, not a
 * patch, a forged payload, an unknown signer, unsigned where signatures are required), and it
 * merges into the base's prepared module: the replaced function keeps its name, linkage,
 * visibility and uses with the patch's body, the patch's statics are renamed, references to
 * the base resolve to the base, budgets are in the patch's code, and the result verifies and
 * links in the JIT. A refused merge (type differs, functions the manifest does not list, an
 * unresolved import) leaves the base exactly as it was.
 *
 * The fixture builds everything at test time with the SDK: sample-drivers/hello as the base,
 * tests/data/patch/hello_goodbye.c (good) and hello_badtype.c (wrong type) as patches.
 */
#include "jit_fixture.h"

#include <errno.h>
#include <llvm-c/Analysis.h>
#include <openssl/evp.h>
#include <xdrv/signer.h>

#include "../../loader/patch.h"

static char root_pem[600], base_pkg[600], base_bc[600], patch_pkg[600], patch_unsigned[600],
	foreign_pkg[600], bad_bc[600];
static uint8_t base_digest[32];

static int build(const char *src, const char *out, int patch, char **err)
{
	const char *srcs[] = {src};
	struct sdk_build_opts o = {.sources = srcs,
				   .nsources = 1,
				   .output = out,
				   .abi_include_dir = XDRV_SRCDIR "/driver-abi/include",
				   .patch = patch};
	return sdk_build(&o, err);
}

static int sign(const char *pki, const char *in, const char *out, char **err)
{
	char cert[700], key[700], chain[700];
	snprintf(cert, sizeof cert, "%s/signer.pem", pki);
	snprintf(key, sizeof key, "%s/signer.key", pki);
	snprintf(chain, sizeof chain, "%s/vendor.pem", pki);
	return sig_sign_file(in, out, cert, key, chain, err);
}

static int suite_init(void)
{
	const char *dir = xtest_tmpdir();
	char pki[600], pki2[600], base_unsigned[600], patch_bc[600];
	snprintf(pki, sizeof pki, "%s/pki", dir);
	snprintf(pki2, sizeof pki2, "%s/pki-other", dir);
	snprintf(root_pem, sizeof root_pem, "%s/root.pem", pki);
	snprintf(base_bc, sizeof base_bc, "%s/hello.bc", dir);
	snprintf(base_unsigned, sizeof base_unsigned, "%s/hello.unsigned.xdrv", dir);
	snprintf(base_pkg, sizeof base_pkg, "%s/hello.xdrv", dir);
	snprintf(patch_bc, sizeof patch_bc, "%s/goodbye.bc", dir);
	snprintf(bad_bc, sizeof bad_bc, "%s/badtype.bc", dir);
	snprintf(patch_unsigned, sizeof patch_unsigned, "%s/goodbye.unsigned.xdrv", dir);
	snprintf(patch_pkg, sizeof patch_pkg, "%s/goodbye.xdrv", dir);
	snprintf(foreign_pkg, sizeof foreign_pkg, "%s/goodbye-foreign.xdrv", dir);
	struct sig_pki_opts po = {.out_dir = pki}, po2 = {.out_dir = pki2};
	struct sdk_pack_opts bo = {.bitcode = base_bc, .output = base_unsigned};
	char *err = NULL;
	uint8_t *base = NULL;
	size_t blen = 0;
	int rc = sig_pki_create(&po, &err);
	if (!rc)
		rc = sig_pki_create(&po2, &err);
	if (!rc)
		rc = build(XDRV_SRCDIR "/sample-drivers/hello/hello.c", base_bc, 0, &err);
	if (!rc)
		rc = build(XDRV_SRCDIR "/tests/data/patch/hello_goodbye.c", patch_bc, 1, &err);
	if (!rc)
		rc = build(XDRV_SRCDIR "/tests/data/patch/hello_badtype.c", bad_bc, 1, &err);
	if (!rc)
		rc = sdk_pack(&bo, &err);
	if (!rc)
		rc = sign(pki, base_unsigned, base_pkg, &err);
	if (!rc && !(base = xtest_read(base_unsigned, &blen)))
		rc = -EIO;
	if (!rc) {
		/* the base's payload is the unsigned package: signing appends, it changes nothing
		 */
		unsigned dl = 32;
		EVP_Digest(base, blen, base_digest, &dl, EVP_sha256(), NULL);
		struct sdk_pack_opts po3 = {.bitcode = patch_bc,
					    .output = patch_unsigned,
					    .version = "1.0.1",
					    .patch_for = base,
					    .patch_for_len = blen,
					    .patch_for_label = "hello.xdrv"};
		rc = sdk_pack(&po3, &err);
	}
	if (!rc)
		rc = sign(pki, patch_unsigned, patch_pkg, &err);
	if (!rc)
		rc = sign(pki2, patch_unsigned, foreign_pkg, &err);
	if (rc)
		fprintf(stderr, "test_patch fixture: %s\n", err ? err : "?");
	free(err);
	free(base);
	return rc ? 1 : 0;
}

static struct ldr_ctx *ctx_with(const char *trust, int allow_unsigned, uint64_t edges)
{
	struct ldr_config cfg = {.trust_root = trust,
				 .allow_unsigned = allow_unsigned,
				 .opt_level = 2,
				 .budget_edges = edges,
				 .budget_depth = edges ? LDR_BUDGET_DEPTH_DEFAULT : 0};
	struct ldr_ctx *ctx = NULL;
	char *err = NULL;
	if (ldr_ctx_create(&cfg, &ctx, &err) != 0)
		fprintf(stderr, "ctx: %s\n", err);
	free(err);
	return ctx;
}

static bool has(const char *e, const char *want)
{
	bool found = e && strstr(e, want);
	if (!found)
		fprintf(stderr, "expected '%s' in: %s\n", want, e ? e : "(none)");
	return found;
}

/* ---- reading -------------------------------------------------------------------------------- */

static void test_read_accepts_the_patch_for_its_base(void)
{
	struct ldr_ctx *ctx = ctx_with(root_pem, 0, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	struct ldr_patch *p = NULL;
	char *err = NULL;
	CU_ASSERT_EQUAL_FATAL(ldr_patch_read(ctx, patch_pkg, base_digest, &p, &err), 0);
	CU_ASSERT_STRING_EQUAL(ldr_patch_name(p), "hello");
	CU_ASSERT_STRING_EQUAL(ldr_patch_version(p), "1.0.1");
	size_t n = 0;
	const char *const *fns = ldr_patch_functions(p, &n);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_STRING_EQUAL(fns[0], "hello_remove");
	const struct sig_info *si = ldr_patch_signature(p);
	CU_ASSERT_PTR_NOT_NULL_FATAL(si);
	/* the digest is the payload's: the one the signature covers */
	CU_ASSERT_STRING_EQUAL(ldr_patch_digest_hex(p), si->digest_hex);
	char hex[65];
	xdrv_hex(ldr_patch_digest(p), 32, hex);
	CU_ASSERT_STRING_EQUAL(hex, si->digest_hex);
	CU_ASSERT(p->bitcode && p->bitcode_len > 0);
	ldr_patch_free(p);
	ldr_ctx_destroy(ctx);
}

static void expect_read_refused(struct ldr_ctx *ctx, const char *path, const uint8_t *digest,
				int want_rc, const char *want)
{
	struct ldr_patch *p = (struct ldr_patch *)1;
	char *err = NULL;
	CU_ASSERT_EQUAL(ldr_patch_read(ctx, path, digest, &p, &err), want_rc);
	CU_ASSERT_PTR_NULL(p);
	CU_ASSERT(has(err, want));
	CU_ASSERT(has(ldr_errmsg(ctx), want));
	free(err);
}

static void test_read_refuses_a_patch_for_another_base(void)
{
	struct ldr_ctx *ctx = ctx_with(root_pem, 0, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	uint8_t other[32];
	memcpy(other, base_digest, 32);
	other[31] ^= 1;
	char want[200], bh[65], oh[65];
	xdrv_hex(base_digest, 32, bh);
	xdrv_hex(other, 32, oh);
	snprintf(want, sizeof want,
		 "is a patch for the package whose payload has SHA-256 %s; the base's payload "
		 "has SHA-256 %s",
		 bh, oh);
	expect_read_refused(ctx, patch_pkg, other, -ESRCH, want);
	ldr_ctx_destroy(ctx);
}

static void test_read_refuses_a_driver_package(void)
{
	struct ldr_ctx *ctx = ctx_with(root_pem, 0, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	expect_read_refused(ctx, base_pkg, base_digest, -EINVAL,
			    "patch hello.xdrv: is a driver package, not a live patch");
	ldr_ctx_destroy(ctx);
}

static void test_read_refuses_a_forged_payload(void)
{
	size_t len = 0;
	uint8_t *buf = xtest_read(patch_pkg, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	buf[600] ^= 0x20; /* inside the manifest, under the signature */
	char path[700];
	snprintf(path, sizeof path, "%s/forged.xdrv", xtest_tmpdir());
	CU_ASSERT_EQUAL_FATAL(xtest_write(path, buf, len), 0);
	free(buf);
	struct ldr_ctx *ctx = ctx_with(root_pem, 0, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	struct ldr_patch *p = NULL;
	char *err = NULL;
	CU_ASSERT(ldr_patch_read(ctx, path, base_digest, &p, &err) < 0);
	CU_ASSERT_PTR_NULL(p);
	CU_ASSERT(has(err, "patch forged.xdrv: signature"));
	free(err);
	ldr_ctx_destroy(ctx);
}

static void test_read_refuses_an_unknown_signer(void)
{
	struct ldr_ctx *ctx = ctx_with(root_pem, 0, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	struct ldr_patch *p = NULL;
	char *err = NULL;
	CU_ASSERT_EQUAL(ldr_patch_read(ctx, foreign_pkg, base_digest, &p, &err), -EPERM);
	CU_ASSERT_PTR_NULL(p);
	CU_ASSERT(has(err, "patch goodbye-foreign.xdrv: signature"));
	free(err);
	ldr_ctx_destroy(ctx);
}

static void test_read_refuses_unsigned_where_signatures_are_required(void)
{
	struct ldr_ctx *ctx = ctx_with(root_pem, 0, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	expect_read_refused(ctx, patch_unsigned, base_digest, -EPERM,
			    "patch goodbye.unsigned.xdrv: unsigned, and this host requires "
			    "signatures");
	ldr_ctx_destroy(ctx);
	/* a development host takes it, unchecked */
	ctx = ctx_with(NULL, 1, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	struct ldr_patch *p = NULL;
	char *err = NULL;
	CU_ASSERT_EQUAL(ldr_patch_read(ctx, patch_unsigned, base_digest, &p, &err), 0);
	CU_ASSERT_PTR_NULL(ldr_patch_signature(p));
	ldr_patch_free(p);
	free(err);
	ldr_ctx_destroy(ctx);
}

/* The running base's identity, as the lead's `xdrv patch apply` reads it: the digest a patch
 * for it names. */
static void test_image_payload_digest_is_the_one_a_patch_names(void)
{
	struct ldr_ctx *ctx = ctx_with(root_pem, 0, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	struct ldr_image *img = NULL;
	struct ldr_patch *p = NULL;
	char *err = NULL;
	uint8_t d[32];
	CU_ASSERT_EQUAL(ldr_image_payload_digest(NULL, d), -ENODATA);
	CU_ASSERT_EQUAL_FATAL(ldr_image_load_file(ctx, base_pkg, NULL, 0, &img, &err), 0);
	CU_ASSERT_EQUAL_FATAL(ldr_image_payload_digest(img, d), 0);
	CU_ASSERT_EQUAL(memcmp(d, base_digest, 32), 0);
	CU_ASSERT_EQUAL(ldr_patch_read(ctx, patch_pkg, d, &p, &err), 0);
	ldr_patch_free(p);
	ldr_image_unload(img);
	free(err);
	ldr_ctx_destroy(ctx);
}

static void test_a_patch_is_not_loaded_as_a_driver(void)
{
	struct ldr_ctx *ctx = ctx_with(root_pem, 0, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	struct ldr_image *img = NULL;
	char *err = NULL;
	CU_ASSERT_EQUAL(ldr_image_load_file(ctx, patch_pkg, NULL, 0, &img, &err), -EINVAL);
	CU_ASSERT_PTR_NULL(img);
	CU_ASSERT(has(err, "package goodbye.xdrv: is a live patch"));
	free(err);
	ldr_ctx_destroy(ctx);
}

/* ---- merging -------------------------------------------------------------------------------- */

/* The base as the tier keeps it: prepared for linking across modules, specialized,
 * instrumented and retargeted for ctx, not optimized; in tsc's context. */
static LLVMModuleRef prepared_base(struct ldr_ctx *ctx, LLVMOrcThreadSafeContextRef tsc)
{
	LLVMModuleRef m = fx_parse(tsc, base_bc);
	struct sdk_descriptor d;
	char *err = NULL;
	int rc = m ? sdk_descriptor_read(m, &d, &err) : -1;
	if (!rc) {
		rc = ldr_lazy_prepare(m, &err);
		if (!rc)
			rc = ldr_specialize(m, &d, NULL, 0, NULL, &err);
		if (!rc)
			rc = ldr_module_for_host(ctx, m, LDR_HOST_BUDGET, NULL, &err);
		sdk_descriptor_free(&d);
	}
	if (rc) {
		fprintf(stderr, "prepared_base: %s\n", err ? err : "?");
		if (m)
			LLVMDisposeModule(m);
		m = NULL;
	}
	free(err);
	return m;
}

static bool calls(LLVMValueRef f, const char *callee)
{
	for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(f); bb; bb = LLVMGetNextBasicBlock(bb))
		for (LLVMValueRef i = LLVMGetFirstInstruction(bb); i;
		     i = LLVMGetNextInstruction(i)) {
			if (!LLVMIsACallInst(i))
				continue;
			LLVMValueRef c = LLVMGetCalledValue(i);
			size_t len = 0;
			const char *n = c ? LLVMGetValueName2(c, &len) : "";
			if (strlen(callee) == len && memcmp(n, callee, len) == 0)
				return true;
		}
	return false;
}

static void test_merge_replaces_the_body_and_keeps_the_base_function(void)
{
	struct ldr_ctx *ctx = ctx_with(root_pem, 0, LDR_BUDGET_EDGES_DEFAULT);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	struct ldr_patch *p = NULL;
	char *err = NULL;
	CU_ASSERT_EQUAL_FATAL(ldr_patch_read(ctx, patch_pkg, base_digest, &p, &err), 0);
	LLVMOrcThreadSafeContextRef tsc = LLVMOrcCreateNewThreadSafeContext();
	LLVMModuleRef m = prepared_base(ctx, tsc);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	LLVMValueRef before = LLVMGetNamedFunction(m, "hello_remove");
	CU_ASSERT_PTR_NOT_NULL_FATAL(before);
	LLVMLinkage lk = LLVMGetLinkage(before);
	LLVMVisibility vis = LLVMGetVisibility(before);
	CU_ASSERT_FALSE(calls(before, "hello_fnv1a")); /* the base's remove does not hash */

	CU_ASSERT_EQUAL_FATAL(ldr_patch_merge(m, p, &err), 0);
	char *msg = NULL;
	CU_ASSERT_EQUAL(LLVMVerifyModule(m, LLVMReturnStatusAction, &msg), 0);
	LLVMDisposeMessage(msg);
	LLVMValueRef f = LLVMGetNamedFunction(m, "hello_remove");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(LLVMGetLinkage(f), lk);
	CU_ASSERT_EQUAL(LLVMGetVisibility(f), vis);
	/* the patch's body: its static helper, renamed under the patch's digest prefix */
	char helper[128];
	snprintf(helper, sizeof helper, "__xdrv_patch.%.8s.patch_goodbye", ldr_patch_digest_hex(p));
	CU_ASSERT_TRUE(calls(f, helper));
	LLVMValueRef h = LLVMGetNamedFunction(m, helper);
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	/* which calls the base's own hello_fnv1a (one function of that name: the base's) */
	CU_ASSERT_TRUE(calls(h, "hello_fnv1a"));
	LLVMValueRef fnv = LLVMGetNamedFunction(m, "hello_fnv1a");
	CU_ASSERT(fnv && !LLVMIsDeclaration(fnv));
	/* the descriptor's remove entry is the patched function (the uses moved) */
	LLVMValueRef desc = LLVMGetNamedGlobal(m, "xdrv_driver");
	CU_ASSERT_PTR_NOT_NULL_FATAL(desc);
	LLVMValueRef init = LLVMGetInitializer(desc);
	bool found = false;
	for (int i = 0; init && i < LLVMGetNumOperands(init); i++)
		found = found || LLVMGetOperand(init, (unsigned)i) == f;
	CU_ASSERT_TRUE(found);
	/* no temporary names left; budgets in the patch's code too */
	for (LLVMValueRef v = LLVMGetFirstFunction(m); v; v = LLVMGetNextFunction(v)) {
		size_t len = 0;
		const char *n = LLVMGetValueName2(v, &len);
		char *nm = strndup(n, len);
		CU_ASSERT(nm && !strstr(nm, ".new."));
		free(nm);
	}
	char msg_str[128];
	snprintf(msg_str, sizeof msg_str, "__xdrv_patch.%.8s.xdrv_msg_str",
		 ldr_patch_digest_hex(p));
	LLVMValueRef ms = LLVMGetNamedFunction(m, msg_str);
	CU_ASSERT(ms && calls(ms, LDR_BUDGET_STOP_SYM));
	/* call depth: the helper that calls the base (a cycle through the base is possible) counts
	 * its frames; hello_remove, which calls only the patch and the ABI, does not */
	CU_ASSERT_STRING_EQUAL(LLVMGetBasicBlockName(LLVMGetEntryBasicBlock(h)), "xb.entry");
	CU_ASSERT_STRING_NOT_EQUAL(LLVMGetBasicBlockName(LLVMGetEntryBasicBlock(f)), "xb.entry");

	LLVMDisposeModule(m);
	LLVMOrcDisposeThreadSafeContext(tsc);
	free(err);
	ldr_patch_free(p);
	ldr_ctx_destroy(ctx);
}

/* The merged module compiles and links: every name resolves in the image's JITDylib (ABI
 * symbols, the base's, the patch's renamed statics). A context without budgets: the loader's
 * module path instruments by its own configuration, and the merge already did. */
static void test_merged_module_links_in_the_jit(void)
{
	struct ldr_ctx *ctx = ctx_with(root_pem, 0, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	struct ldr_patch *p = NULL;
	struct ldr_image *img = NULL;
	char *err = NULL;
	CU_ASSERT_EQUAL_FATAL(ldr_patch_read(ctx, patch_pkg, base_digest, &p, &err), 0);
	LLVMOrcThreadSafeContextRef tsc = LLVMOrcCreateNewThreadSafeContext();
	LLVMModuleRef m = prepared_base(ctx, tsc);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL_FATAL(ldr_patch_merge(m, p, &err), 0);
	CU_ASSERT_EQUAL(ldr_image_load_module(ctx, tsc, m, "merged", NULL, LDR_LOAD_NO_LINT, NULL,
					      0, &img, &err),
			0);
	if (err)
		fprintf(stderr, "load merged: %s\n", err);
	CU_ASSERT_PTR_NOT_NULL(img);
	CU_ASSERT_PTR_NOT_NULL(ldr_image_descriptor(img));
	ldr_image_unload(img);
	LLVMOrcDisposeThreadSafeContext(tsc);
	free(err);
	ldr_patch_free(p);
	ldr_ctx_destroy(ctx);
}

/* A patch no SDK would pack: `bc` as its bitcode, `fn` as its manifest's function list. */
static struct ldr_patch *crafted(struct ldr_ctx *ctx, const char *bc, const char *fn)
{
	struct ldr_patch *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->ctx = ctx;
	p->label = strdup("crafted.xdrv");
	p->bitcode = xtest_read(bc, &p->bitcode_len);
	p->abi_version = XDRV_ABI_VERSION;
	memset(p->digest_hex, 'a', 64);
	p->functions = calloc(1, sizeof *p->functions);
	if (p->functions && (p->functions[0] = strdup(fn)))
		p->nfunctions = 1;
	return p;
}

/* Merge refused with `want`, and the base printed the same before and after. */
static void expect_merge_refused(struct ldr_patch *p, const char *want)
{
	LLVMOrcThreadSafeContextRef tsc = LLVMOrcCreateNewThreadSafeContext();
	LLVMModuleRef m = prepared_base(p->ctx, tsc);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	char *before = LLVMPrintModuleToString(m), *err = NULL;
	CU_ASSERT_EQUAL(ldr_patch_merge(m, p, &err), -EINVAL);
	CU_ASSERT(has(err, want));
	char *after = LLVMPrintModuleToString(m);
	CU_ASSERT(before && after && strcmp(before, after) == 0);
	LLVMDisposeMessage(before);
	LLVMDisposeMessage(after);
	free(err);
	LLVMDisposeModule(m);
	LLVMOrcDisposeThreadSafeContext(tsc);
}

static void test_merge_refuses_a_type_change_and_leaves_the_base(void)
{
	struct ldr_ctx *ctx = ctx_with(root_pem, 0, LDR_BUDGET_EDGES_DEFAULT);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	struct ldr_patch *p = crafted(ctx, bad_bc, "hello_remove");
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	expect_merge_refused(p, "patch crafted.xdrv: function hello_remove: type i32 (ptr) in the "
				"patch, void (ptr) in the base");
	ldr_patch_free(p);
	ldr_ctx_destroy(ctx);
}

static void test_merge_refuses_a_function_missing_in_the_base(void)
{
	static const char src[] = "#include <xdrv/abi.h>\n"
				  "void hello_nosuch(xdrv_device_t *dev);\n"
				  "void hello_nosuch(xdrv_device_t *dev) { xdrv_dev_set_priv(dev, "
				  "0); }\n";
	char path[700], bc[700], *err = NULL;
	snprintf(path, sizeof path, "%s/nosuch.c", xtest_tmpdir());
	snprintf(bc, sizeof bc, "%s/nosuch.bc", xtest_tmpdir());
	CU_ASSERT_EQUAL_FATAL(xtest_write(path, src, strlen(src)), 0);
	CU_ASSERT_EQUAL_FATAL(build(path, bc, 1, &err), 0);
	struct ldr_ctx *ctx = ctx_with(root_pem, 0, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	struct ldr_patch *p = crafted(ctx, bc, "hello_nosuch");
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	expect_merge_refused(p, "function hello_nosuch: the patch defines it, the base does not");
	ldr_patch_free(p);
	ldr_ctx_destroy(ctx);
	free(err);
}

static void test_merge_refuses_functions_the_manifest_does_not_list(void)
{
	char good_bc[700];
	snprintf(good_bc, sizeof good_bc, "%s/goodbye.bc", xtest_tmpdir());
	struct ldr_ctx *ctx = ctx_with(root_pem, 0, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	/* the suite's tmpdir is per test: rebuild the good patch here */
	char *err = NULL;
	CU_ASSERT_EQUAL_FATAL(
		build(XDRV_SRCDIR "/tests/data/patch/hello_goodbye.c", good_bc, 1, &err), 0);
	struct ldr_patch *p = crafted(ctx, good_bc, "hello_probe");
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	expect_merge_refused(p, "manifest and bitcode disagree: functions");
	ldr_patch_free(p);
	ldr_ctx_destroy(ctx);
	free(err);
}

XTEST_SUITE(loader_patch, suite_init, NULL, XTEST(test_read_accepts_the_patch_for_its_base),
	    XTEST(test_read_refuses_a_patch_for_another_base),
	    XTEST(test_read_refuses_a_driver_package), XTEST(test_read_refuses_a_forged_payload),
	    XTEST(test_read_refuses_an_unknown_signer),
	    XTEST(test_read_refuses_unsigned_where_signatures_are_required),
	    XTEST(test_a_patch_is_not_loaded_as_a_driver),
	    XTEST(test_image_payload_digest_is_the_one_a_patch_names),
	    XTEST(test_merge_replaces_the_body_and_keeps_the_base_function),
	    XTEST(test_merged_module_links_in_the_jit),
	    XTEST(test_merge_refuses_a_type_change_and_leaves_the_base),
	    XTEST(test_merge_refuses_a_function_missing_in_the_base),
	    XTEST(test_merge_refuses_functions_the_manifest_does_not_list));
