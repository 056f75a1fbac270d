// SPDX-License-Identifier: MIT
/*
 * Tests for packet extensions in the SDK (issue 16): `sdk_build` with .extension (the inlining
 * step, sdk/build_ext.c), the descriptor of kind extension (sdk/descriptor.c), the manifest's
 * "kind", hooks and tables (sdk/manifest.c), and each rule of the extension profile's lint
 * (sdk/lint_ext.c), accepted and refused, from C sources compiled with the SDK's own flags.
 */
#define _GNU_SOURCE /* asprintf */
#include <errno.h>
#include <llvm-c/BitReader.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xdrv/ext.h>
#include <xdrv/sdk.h>

#include "../xtest.h"
#include "sdk_fixtures.h"

#define HEAD "#include <xdrv/ext.h>\n"
#define DESC(...)                                                                                  \
	"XDRV_EXTENSION(.name = \"t\", .version = \"1.2.3\", .hooks = XDRV_EXT_HOOK_RX, .run = "   \
	"run" __VA_ARGS__ ");\n"

static int build_ext(const char *src, bool ext, char **err, char *out, size_t outlen)
{
	const char *dir = xtest_tmpdir();
	char path[1024];
	snprintf(path, sizeof path, "%s", xtest_path("%s/ext.c", dir));
	CU_ASSERT_EQUAL(xtest_write(path, src, strlen(src)), 0);
	snprintf(out, outlen, "%s/ext.bc", dir);
	const char *srcs[] = {path};
	struct sdk_build_opts o = {
		.sources = srcs, .nsources = 1, .output = out, .extension = ext ? 1 : 0};
	return sdk_build(&o, err);
}

static void expect_ok(const char *src)
{
	char out[1024], *err = NULL;
	int rc = build_ext(src, true, &err, out, sizeof out);
	CU_ASSERT_EQUAL(rc, 0);
	if (rc)
		fprintf(stderr, "\nunexpected: %s\n", err ? err : "(nothing)");
	free(err);
}

static void expect_fail(const char *src, const char *want)
{
	char out[1024], *err = NULL;
	CU_ASSERT_EQUAL(build_ext(src, true, &err, out, sizeof out), -EINVAL);
	bool found = err && strstr(err, want);
	CU_ASSERT(found);
	if (!found)
		fprintf(stderr, "\nwanted '%s', got: %s\n", want, err ? err : "(nothing)");
	free(err);
}

/* Build src and read its descriptor back. */
static int descriptor_of(const char *src, struct sdk_descriptor *d, char **err)
{
	char out[1024];
	int rc = build_ext(src, true, err, out, sizeof out);
	if (rc)
		return rc;
	size_t len = 0;
	uint8_t *bc = xtest_read(out, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(bc);
	LLVMContextRef ctx = LLVMContextCreate();
	LLVMModuleRef m = NULL;
	rc = sdk_bitcode_parse(ctx, bc, len, "ext.bc", &m, err);
	free(bc);
	if (rc == 0) {
		CU_ASSERT_EQUAL(sdk_module_kind(m), SDK_KIND_EXTENSION);
		rc = sdk_descriptor_read(m, d, err);
		LLVMDisposeModule(m);
	}
	LLVMContextDispose(ctx);
	return rc;
}

static const char prio_like[] =
	HEAD "XDRV_PARAM(uint32_t, port);\n"
	     "static const struct xdrv_param params[] = {\n"
	     "\tXDRV_PARAM_ENTRY(XDRV_PARAM_U32, port, 22, 0, 65535, \"a port\"),\n"
	     "\tXDRV_PARAM_END,\n};\n"
	     "static const struct xdrv_ext_table tables[] = {\n"
	     "\t{.name = \"ports\", .kind = XDRV_EXT_TABLE_HASH, .max_entries = 64},\n"
	     "\t{.name = \"hits\", .kind = XDRV_EXT_TABLE_ARRAY, .max_entries = 4},\n"
	     "\t{.name = NULL},\n};\n"
	     "struct flow { uint32_t sport, dport; };\n"
	     "static int parse(xdrv_ext_pkt_t *pkt, struct flow *f)\n{\n"
	     "\tif (xdrv_ext_len(pkt) < 38)\n\t\treturn -1;\n"
	     "\tf->sport = xdrv_ext_ld16(pkt, 34);\n\tf->dport = xdrv_ext_ld16(pkt, 36);\n"
	     "\treturn 0;\n}\n"
	     "static int32_t run(xdrv_ext_pkt_t *pkt)\n{\n"
	     "\tstruct flow f;\n\tuint8_t seen[16] = {0};\n"
	     "\tif (parse(pkt, &f))\n\t\treturn XDRV_EXT_CLASS(0);\n"
	     "\tseen[f.dport & 15] = 1;\n"
	     "\tfor (uint32_t i = 0; i < 16; i++)\n\t\tif (seen[i])\n"
	     "\t\t\txdrv_ext_tab_add(pkt, 1, i & 3, 1);\n"
	     "\tif (f.dport == xdrv_param_port || xdrv_ext_tab_get(pkt, 0, f.dport))\n"
	     "\t\treturn XDRV_EXT_CLASS(0);\n"
	     "\treturn XDRV_EXT_CLASS(1);\n}\n"
	     "XDRV_EXTENSION(.name = \"prio-t\", .version = \"1.2.3\", .hooks = XDRV_EXT_HOOK_RX | "
	     "XDRV_EXT_HOOK_TX, .tables = tables, .params = params, .run = run);\n";

static void test_ext_descriptor_read(void)
{
	struct sdk_descriptor d;
	char *err = NULL;
	int rc = descriptor_of(prio_like, &d, &err);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL(d.kind, SDK_KIND_EXTENSION);
	CU_ASSERT_EQUAL(d.abi_version, XDRV_EXT_ABI_VERSION);
	CU_ASSERT_STRING_EQUAL(d.name, "prio-t");
	CU_ASSERT_STRING_EQUAL(d.version, "1.2.3");
	CU_ASSERT_EQUAL(d.hooks, XDRV_EXT_HOOK_RX | XDRV_EXT_HOOK_TX);
	CU_ASSERT_STRING_EQUAL(d.run, "run");
	CU_ASSERT_PTR_NULL(d.probe);
	CU_ASSERT_EQUAL(d.nmatch, 0);
	CU_ASSERT_EQUAL_FATAL(d.ntables, 2);
	CU_ASSERT_STRING_EQUAL(d.tables[0].name, "ports");
	CU_ASSERT_EQUAL(d.tables[0].kind, XDRV_EXT_TABLE_HASH);
	CU_ASSERT_EQUAL(d.tables[0].max_entries, 64);
	CU_ASSERT_STRING_EQUAL(d.tables[1].name, "hits");
	CU_ASSERT_EQUAL(d.tables[1].kind, XDRV_EXT_TABLE_ARRAY);
	CU_ASSERT_EQUAL_FATAL(d.nparams, 1);
	CU_ASSERT_STRING_EQUAL(d.params[0].name, "port");
	CU_ASSERT_EQUAL(d.params[0].def, 22);

	/* the manifest: kind, hooks, tables, entry.run, no match; and back */
	struct sdk_manifest m = {.format = 1,
				 .name = d.name,
				 .version = d.version,
				 .abi_version = d.abi_version,
				 .profile = SDK_PROFILE,
				 .bitcode = "driver.bc",
				 .desc = d,
				 .nfiles = 1};
	m.files[0].path = "driver.bc";
	memset(m.files[0].sha256, 'a', 64);
	m.files[0].size = 10;
	char *json = NULL;
	size_t len = 0;
	CU_ASSERT_EQUAL_FATAL(sdk_manifest_write(&m, &json, &len, &err), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(json, "\"kind\": \"extension\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(json, "\"run\": \"run\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(json, "\"max_entries\": 64"));
	CU_ASSERT_PTR_NULL(strstr(json, "\"match\""));
	struct sdk_manifest back;
	rc = sdk_manifest_parse(json, len, &back, &err);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL(back.desc.kind, SDK_KIND_EXTENSION);
	CU_ASSERT_EQUAL(back.desc.hooks, XDRV_EXT_HOOK_RX | XDRV_EXT_HOOK_TX);
	CU_ASSERT_EQUAL_FATAL(back.desc.ntables, 2);
	CU_ASSERT_STRING_EQUAL(back.desc.tables[1].name, "hits");
	CU_ASSERT_EQUAL(back.desc.tables[1].kind, XDRV_EXT_TABLE_ARRAY);
	CU_ASSERT_EQUAL(back.desc.tables[1].max_entries, 4);
	CU_ASSERT_STRING_EQUAL(back.desc.run, "run");
	sdk_manifest_free(&back);

	/* broken variants of the same manifest */
	static const char *const bad[][3] = {
		{"\"kind\": \"extension\"", "\"kind\": \"plugin\"", "kind: must be"},
		{"\"hash\"", "\"tree\"", "tables[0].kind"},
		{"\"max_entries\": 64", "\"max_entries\": 0", "tables[0].max_entries"},
		{"\"run\": \"run\"", "\"probe\": \"run\"", "entry.probe: unknown key"},
		{"\"tx\"", "\"rx\"", "hooks[1]"},
		{"\"name\": \"hits\"", "\"name\": \"ports\"", "listed twice"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		const char *at = strstr(json, bad[i][0]);
		CU_ASSERT_PTR_NOT_NULL_FATAL(at);
		char *t = NULL;
		CU_ASSERT(asprintf(&t, "%.*s%s%s", (int)(at - json), json, bad[i][1],
				   at + strlen(bad[i][0])) > 0);
		char *e = NULL;
		CU_ASSERT_EQUAL(sdk_manifest_parse(t, strlen(t), &back, &e), -EINVAL);
		CU_ASSERT(e && strstr(e, bad[i][2]));
		if (!(e && strstr(e, bad[i][2])))
			fprintf(stderr, "\ncase %zu: wanted '%s', got %s\n", i, bad[i][2],
				e ? e : "(nothing)");
		free(e);
		free(t);
	}
	free(json);
	sdk_descriptor_free(&d);
	free(err);
}

static void test_ext_driver_manifest_has_no_kind(void)
{
	LLVMContextRef ctx = LLVMContextCreate();
	LLVMModuleRef mod = sdkfx_ir(ctx, sdkfx_ir_driver, NULL);
	struct sdk_descriptor d;
	CU_ASSERT_EQUAL_FATAL(sdk_descriptor_read(mod, &d, NULL), 0);
	CU_ASSERT_EQUAL(d.kind, SDK_KIND_DRIVER);
	struct sdk_manifest m = {.format = 1,
				 .name = d.name,
				 .version = d.version,
				 .abi_version = d.abi_version,
				 .profile = SDK_PROFILE,
				 .bitcode = "driver.bc",
				 .desc = d,
				 .nfiles = 1};
	m.files[0].path = "driver.bc";
	memset(m.files[0].sha256, 'b', 64);
	char *json = NULL, *err = NULL;
	size_t len = 0;
	CU_ASSERT_EQUAL_FATAL(sdk_manifest_write(&m, &json, &len, &err), 0);
	CU_ASSERT_PTR_NULL(strstr(json, "\"kind\""));
	CU_ASSERT_PTR_NULL(strstr(json, "\"tables\""));
	/* "kind": "driver" is accepted too */
	char *t = NULL;
	CU_ASSERT(asprintf(&t, "{\"kind\": \"driver\", %s", json + 1) > 0);
	struct sdk_manifest back;
	CU_ASSERT_EQUAL(sdk_manifest_parse(t, strlen(t), &back, &err), 0);
	CU_ASSERT_EQUAL(back.desc.kind, SDK_KIND_DRIVER);
	sdk_manifest_free(&back);
	free(t);
	free(json);
	free(err);
	sdk_descriptor_free(&d);
	LLVMDisposeModule(mod);
	LLVMContextDispose(ctx);
}

static void test_ext_descriptor_rules(void)
{
	static const struct {
		const char *src, *want;
	} cases[] = {
		{HEAD "static int32_t run(xdrv_ext_pkt_t *p) { return 0; }\n"
		      "XDRV_EXTENSION(.name = \"t\", .version = \"1.0.0\", .run = run);\n",
		 "descriptor: hooks: 0x0 must be"},
		{HEAD
		 "static int32_t run(xdrv_ext_pkt_t *p) { return 0; }\n"
		 "XDRV_EXTENSION(.name = \"t\", .version = \"1.0.0\", .hooks = 4, .run = run);\n",
		 "descriptor: hooks: 0x4"},
		{HEAD "XDRV_EXTENSION(.name = \"t\", .version = \"1.0.0\", .hooks = 1);\n",
		 "descriptor: run: missing (NULL)"},
		{HEAD
		 "static int32_t run(xdrv_ext_pkt_t *p) { return 0; }\n"
		 "XDRV_EXTENSION(.name = \"T!\", .version = \"1.0.0\", .hooks = 1, .run = run);\n",
		 "is not an extension name"},
		{HEAD "static int32_t run(xdrv_ext_pkt_t *p) { return 0; }\n"
		      "static const struct xdrv_ext_table t[] = {{.name = \"Bad\", .kind = 1, "
		      ".max_entries = 1}, {0}};\n" DESC(", .tables = t"),
		 "tables[0].name: 'Bad' is not a table name"},
		{HEAD "static int32_t run(xdrv_ext_pkt_t *p) { return 0; }\n"
		      "static const struct xdrv_ext_table t[] = {{.name = \"a\", .kind = 3, "
		      ".max_entries = 1}, {0}};\n" DESC(", .tables = t"),
		 "tables[0].kind: 3 is not"},
		{HEAD "static int32_t run(xdrv_ext_pkt_t *p) { return 0; }\n"
		      "static const struct xdrv_ext_table t[] = {{.name = \"a\", .kind = 1, "
		      ".max_entries = 0}, {0}};\n" DESC(", .tables = t"),
		 "tables[0].max_entries: 0 out of range 1..1048576"},
		{HEAD "static int32_t run(xdrv_ext_pkt_t *p) { return 0; }\n"
		      "static const struct xdrv_ext_table t[] = {{.name = \"a\", .kind = 1, "
		      ".max_entries = (1u << 20) + 1}, {0}};\n" DESC(", .tables = t"),
		 "tables[0].max_entries: 1048577 out of range"},
		{HEAD "static int32_t run(xdrv_ext_pkt_t *p) { return 0; }\n"
		      "static const struct xdrv_ext_table t[] = {{.name = \"a\", .kind = 1, "
		      ".max_entries = 1, .reserved = 1}, {0}};\n" DESC(", .tables = t"),
		 "tables[0].reserved: must be zero"},
		{HEAD
		 "static int32_t run(xdrv_ext_pkt_t *p) { return 0; }\n"
		 "static const struct xdrv_ext_table t[] = {{.name = \"a\", .kind = 1, "
		 ".max_entries = 1}, {.name = \"a\", .kind = 2, .max_entries = 1}, {0}};\n" DESC(
			 ", .tables = t"),
		 "table 'a' declared twice"},
		{HEAD "static int32_t run(xdrv_ext_pkt_t *p) { return 0; }\n"
		      "#define T(n) {.name = #n, .kind = 1, .max_entries = 1}\n"
		      "static const struct xdrv_ext_table t[] = {T(a), T(b), T(c), T(d), T(e), "
		      "T(f), T(g), T(h), T(i), T(j), T(k), T(l), T(m), T(n), T(o), T(p), T(q), "
		      "{0}};\n" DESC(", .tables = t"),
		 "more than 16 tables"},
		{HEAD "static int32_t run(xdrv_ext_pkt_t *p) { return 0; }\n"
		      "static const struct xdrv_ext_table t[] = {{.name = \"a\", .kind = 1, "
		      ".max_entries = 1}};\n" DESC(", .tables = t"),
		 "does not end with an entry whose name is NULL"},
		{HEAD "static int32_t run(xdrv_ext_pkt_t *p) { return 0; }\n"
		      "const struct xdrv_ext xdrv_extension = {.magic = 1, .abi_version = 1000000, "
		      ".struct_size = 128, .hooks = 1, .name = \"t\", .version = \"1.0.0\", .run = "
		      "run};\n",
		 "is not XDRV_EXT_MAGIC"},
		{HEAD "static int32_t run(xdrv_ext_pkt_t *p) { return 0; }\n"
		      "const struct xdrv_ext xdrv_extension = {.magic = XDRV_EXT_MAGIC, "
		      ".abi_version = 1999000, .struct_size = 128, .hooks = 1, .name = \"t\", "
		      ".version = \"1.0.0\", .run = run};\n",
		 "extension ABI 1.999.0 (1999000) is not between 1.0.0 and"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		expect_fail(cases[i].src, cases[i].want);
}

static void test_ext_build_kind_must_match(void)
{
	char out[1024], *err = NULL;
	static const char ext[] =
		HEAD "static int32_t run(xdrv_ext_pkt_t *p) { return 0; }\n" DESC();
	CU_ASSERT_EQUAL(build_ext(ext, false, &err, out, sizeof out), -EINVAL);
	CU_ASSERT(err && strstr(err, "build it with `xdrv build --extension`"));
	free(err);
	err = NULL;
	CU_ASSERT_EQUAL(build_ext(sdkfx_c_hello, true, &err, out, sizeof out), -EINVAL);
	CU_ASSERT(err && strstr(err, "--extension, but the sources define a driver"));
	free(err);
}

static void test_ext_lint_accepts_samples_and_loops(void)
{
	expect_ok(prio_like);
	/* loops are allowed: the budget counts their back edges */
	expect_ok(HEAD
		  "static int32_t run(xdrv_ext_pkt_t *pkt)\n{\n\tuint32_t x = 1;\n"
		  "\tfor (;;) {\n\t\tx = x * 3 + xdrv_ext_len(pkt);\n"
		  "\t\tif (x == 7)\n\t\t\tbreak;\n\t}\n\treturn (int32_t)(x & 1);\n}\n" DESC());
	/* a helper that only takes the packet handle stays a function (noinline) */
	expect_ok(HEAD "__attribute__((noinline)) static uint32_t port(xdrv_ext_pkt_t *pkt, "
		       "uint32_t o)\n{\n\treturn xdrv_ext_ld16(pkt, o);\n}\n"
		       "static int32_t run(xdrv_ext_pkt_t *pkt)\n{\n"
		       "\treturn port(pkt, 34) == 22 ? XDRV_EXT_DROP : XDRV_EXT_PASS;\n}\n" DESC());
	/* memcpy/memset on the stack, reading a constant table; writing the packet */
	expect_ok(HEAD
		  "static const uint8_t k[8] = {1, 2, 3, 4, 5, 6, 7, 8};\n"
		  "static int32_t run(xdrv_ext_pkt_t *pkt)\n{\n\tuint8_t b[8];\n"
		  "\t__builtin_memcpy(b, k, sizeof b);\n"
		  "\tuint32_t i = xdrv_ext_ld8(pkt, 0) & 7;\n\tb[i] ^= 1;\n"
		  "\txdrv_ext_st8(pkt, 0, b[(i + 1) & 7]);\n\treturn XDRV_EXT_PASS;\n}\n" DESC());
	/* a stack of exactly 512 bytes */
	expect_ok(HEAD "static int32_t run(xdrv_ext_pkt_t *pkt)\n{\n\tvolatile uint8_t b[512];\n"
		       "\tb[xdrv_ext_ld8(pkt, 0)] = 1;\n\treturn b[3];\n}\n" DESC());
}

static void test_ext_lint_rejects_writable_global(void)
{
	expect_fail(HEAD
		    "static uint32_t counter;\n"
		    "static int32_t run(xdrv_ext_pkt_t *pkt) { counter++; return 0; }\n" DESC(),
		    "global counter: writable global: an extension keeps nothing between packets "
		    "in its own memory: make it const, keep state in a table");
}

static void test_ext_lint_rejects_parameter_write(void)
{
	expect_fail(HEAD "XDRV_PARAM(uint32_t, limit);\n"
			 "static const struct xdrv_param params[] = {\n"
			 "\tXDRV_PARAM_ENTRY(XDRV_PARAM_U32, limit, 1, 0, 9, \"l\"), "
			 "XDRV_PARAM_END,\n};\n"
			 "static int32_t run(xdrv_ext_pkt_t *pkt) { xdrv_param_limit = 2; return "
			 "0; }\n" DESC(", .params = params"),
		    "global xdrv_param_limit: parameter written or its address passed on");
}

static void test_ext_lint_rejects_pointer_load_and_store(void)
{
	/* an array of pointers indexed at run time stays in memory after SROA */
	expect_fail(HEAD "static int32_t run(xdrv_ext_pkt_t *pkt)\n{\n"
			 "\tuint8_t a = 1, b = 2;\n\tuint8_t *volatile p[2] = {&a, &b};\n"
			 "\treturn *p[xdrv_ext_ld8(pkt, 0) & 1];\n}\n" DESC(),
		    "function run: store of a pointer: an extension keeps no pointers in memory");
	expect_fail(HEAD "static int32_t run(xdrv_ext_pkt_t *pkt)\n{\n"
			 "\tuint8_t a = 1, b = 2;\n\tuint8_t *volatile p[2] = {&a, &b};\n"
			 "\treturn *p[xdrv_ext_ld8(pkt, 0) & 1];\n}\n" DESC(),
		    "function run: load of a pointer");
}

static void test_ext_lint_rejects_int_pointer_casts(void)
{
	expect_fail(HEAD "static int32_t run(xdrv_ext_pkt_t *pkt) { return *(volatile uint8_t "
			 "*)(unsigned long)xdrv_ext_len(pkt); }\n" DESC(),
		    "function run: inttoptr (an integer cast to a pointer): an extension has no "
		    "addresses");
	expect_fail(HEAD "static int32_t run(xdrv_ext_pkt_t *pkt)\n{\n\tuint8_t b[4];\n"
			 "\txdrv_ext_tab_set(pkt, 0, 0, (unsigned long)&b[1]);\n\treturn 0;\n}\n"
			 "static const struct xdrv_ext_table t[] = {{.name = \"a\", .kind = 1, "
			 ".max_entries = 1}, {0}};\n" DESC(", .tables = t"),
		    "function run: ptrtoint (a pointer cast to an integer)");
}

static void test_ext_lint_rejects_indirect_call(void)
{
	expect_fail(HEAD "static int32_t a(uint32_t v) { return 0; }\n"
			 "static int32_t b(uint32_t v) { return 1; }\n"
			 "static int32_t (*const tbl[2])(uint32_t) = {a, b};\n"
			 "static int32_t run(xdrv_ext_pkt_t *pkt) { return "
			 "tbl[xdrv_ext_len(pkt) & 1](3); }\n" DESC(),
		    "function run: indirect call (through a function pointer): call functions by "
		    "name");
}

static void test_ext_lint_rejects_recursion(void)
{
	expect_fail(HEAD "static uint32_t f(uint32_t n) { return n ? f(n - 1) + 1 : 0; }\n"
			 "static int32_t run(xdrv_ext_pkt_t *pkt) { return f(xdrv_ext_len(pkt)) ? "
			 "0 : 1; }\n" DESC(),
		    "function f: recursion (f -> f): the extension profile refuses it");
	/* through two functions */
	expect_fail(HEAD "static uint32_t odd(uint32_t n);\n"
			 "static uint32_t even(uint32_t n) { return n == 0 ? 1 : odd(n - 1); }\n"
			 "static uint32_t odd(uint32_t n) { return n == 0 ? 0 : even(n - 1); }\n"
			 "static int32_t run(xdrv_ext_pkt_t *pkt) { return "
			 "(int32_t)even(xdrv_ext_len(pkt)); }\n" DESC(),
		    "recursion (even -> odd -> even)");
}

static void test_ext_lint_rejects_dynamic_alloca(void)
{
	expect_fail(HEAD "static int32_t run(xdrv_ext_pkt_t *pkt)\n{\n"
			 "\tuint32_t n = xdrv_ext_len(pkt);\n\tvolatile uint8_t b[n];\n"
			 "\tb[0] = 1;\n\treturn b[0];\n}\n" DESC(),
		    "function run: dynamic alloca (a variable-length array or alloca() with a "
		    "run-time size): the extension's stack must have a size known when it is "
		    "built: use a fixed-size array");
}

static void test_ext_lint_rejects_deep_stack(void)
{
	/* 300 + 300 bytes along run -> fill: each alone is under the limit */
	expect_fail(HEAD
		    "__attribute__((noinline)) static uint32_t fill(uint32_t v)\n{\n"
		    "\tvolatile uint8_t b[300];\n\tb[v % 300] = 1;\n\treturn b[7];\n}\n"
		    "static int32_t run(xdrv_ext_pkt_t *pkt)\n{\n\tvolatile uint8_t b[300];\n"
		    "\tb[xdrv_ext_ld8(pkt, 0)] = 2;\n\treturn (int32_t)fill(b[1]);\n}\n" DESC(),
		    "function run: stack of 600 bytes along run (300) -> fill (300), over the "
		    "extension limit of 512 bytes");
	expect_fail(HEAD "static int32_t run(xdrv_ext_pkt_t *pkt)\n{\n\tvolatile uint8_t b[513];\n"
			 "\tb[xdrv_ext_ld8(pkt, 0)] = 1;\n\treturn b[3];\n}\n" DESC(),
		    "stack of 513 bytes");
}

static void test_ext_lint_rejects_pointer_parameters(void)
{
	expect_fail(HEAD "struct f { uint32_t a, b; };\n"
			 "__attribute__((noinline)) static void parse(xdrv_ext_pkt_t *pkt, struct "
			 "f *o) { o->a = xdrv_ext_ld32(pkt, 0); o->b = 1; }\n"
			 "static int32_t run(xdrv_ext_pkt_t *pkt) { struct f x; parse(pkt, &x); "
			 "return x.a == 3; }\n" DESC(),
		    "function parse: pointer parameter 2 that is not the packet handle");
	/* the handle's parameter taking something else at one call */
	expect_fail(HEAD "__attribute__((noinline)) static uint32_t rd(xdrv_ext_pkt_t *pkt) { "
			 "return xdrv_ext_len(pkt); }\n"
			 "static int32_t run(xdrv_ext_pkt_t *pkt)\n{\n\tuint8_t b[8] = {0};\n"
			 "\treturn (int32_t)(rd(pkt) + rd((xdrv_ext_pkt_t *)b));\n}\n" DESC(),
		    "function rd: pointer parameter 1 that is not the packet handle");
	/* a stack pointer passed to an accessor */
	expect_fail(HEAD "static int32_t run(xdrv_ext_pkt_t *pkt)\n{\n\tuint8_t b[8] = {0};\n"
			 "\treturn (int32_t)xdrv_ext_len((xdrv_ext_pkt_t *)b);\n}\n" DESC(),
		    "passes a pointer to the stack to xdrv_ext_len where the packet handle");
}

static void test_ext_lint_rejects_packet_handle_misuse(void)
{
	expect_fail(HEAD
		    "static int32_t run(xdrv_ext_pkt_t *pkt) { return *(uint8_t *)pkt; }\n" DESC(),
		    "function run: load through the packet handle: read the packet with "
		    "xdrv_ext_ld8/16/32");
	expect_fail(HEAD "static int32_t run(xdrv_ext_pkt_t *pkt) { return ((uint8_t *)pkt)[4]; "
			 "}\n" DESC(),
		    "function run: address arithmetic on the packet handle");
	expect_fail(HEAD "static int32_t run(xdrv_ext_pkt_t *pkt) { *(uint8_t *)pkt = 1; return "
			 "0; }\n" DESC(),
		    "function run: store through the packet handle");
	expect_fail(
		HEAD
		"static int32_t run(xdrv_ext_pkt_t *pkt)\n{\n\tuint8_t b[8];\n"
		"\t__builtin_memcpy(b, pkt, xdrv_ext_len(pkt) & 7);\n\treturn b[1];\n}\n" DESC(),
		"reads from the packet handle: memcpy, memmove and memset work on the "
		"extension's own stack");
}

static void test_ext_lint_rejects_driver_imports_and_atomics(void)
{
	expect_fail(HEAD "void xdrv_log(int32_t level, const char *msg);\n"
			 "static int32_t run(xdrv_ext_pkt_t *pkt) { xdrv_log(3, \"hi\"); return 0; "
			 "}\n" DESC(),
		    "function xdrv_log: import not in the xdrv extension ABI 1.0.0 symbol list");
	expect_fail(HEAD "static int32_t run(xdrv_ext_pkt_t *pkt)\n{\n\tuint32_t x = 0;\n"
			 "\t__atomic_fetch_add(&x, xdrv_ext_len(pkt), __ATOMIC_SEQ_CST);\n"
			 "\treturn (int32_t)x;\n}\n" DESC(),
		    "function run: atomic operation");
	/* an ABI import with another prototype */
	expect_fail(
		"#include <stdint.h>\ntypedef struct xdrv_ext_pkt xdrv_ext_pkt_t;\n"
		"uint64_t xdrv_ext_len(xdrv_ext_pkt_t *pkt);\n"
		"struct xdrv_ext { uint32_t m, a, s, h; const char *n, *v; const void *t, *p; "
		"int32_t (*run)(xdrv_ext_pkt_t *); void *r[9]; };\n"
		"static int32_t run(xdrv_ext_pkt_t *pkt) { return (int32_t)xdrv_ext_len(pkt); }\n"
		"const struct xdrv_ext xdrv_extension = {0x54584558u, 1000000, 128, 1, \"t\", "
		"\"1.0.0\", 0, 0, run};\n",
		"function xdrv_ext_len: import prototype i64 (ptr) does not match the ABI's i32 "
		"(ptr)");
}

/* ---- bitcode the SDK did not write (what a loader may receive) ------------------------------ */

static const char ir_ext[] =
	"%struct.xdrv_ext = type { i32, i32, i32, i32, ptr, ptr, ptr, ptr, ptr, [9 x ptr] }\n"
	"@.name = private constant [2 x i8] c\"t\\00\"\n"
	"@.ver = private constant [6 x i8] c\"1.0.0\\00\"\n"
	"@xdrv_extension = constant %struct.xdrv_ext { i32 1415071064, i32 1000000, i32 128, "
	"i32 1, ptr @.name, ptr @.ver, ptr null, ptr null, ptr @run, [9 x ptr] zeroinitializer }\n"
	"declare i32 @xdrv_ext_len(ptr noundef)\n";

static char *lint_ir(const char *body, int *rc)
{
	LLVMContextRef ctx = LLVMContextCreate();
	LLVMModuleRef m = sdkfx_ir(ctx, ir_ext, body);
	char *err = NULL;
	*rc = -9999;
	if (m) {
		CU_ASSERT_EQUAL(sdk_module_kind(m), SDK_KIND_EXTENSION);
		*rc = sdk_lint(m, 1000000, &err);
		LLVMDisposeModule(m);
	}
	LLVMContextDispose(ctx);
	return err;
}

static void expect_ir(const char *body, const char *want)
{
	int rc;
	char *e = lint_ir(body, &rc);
	if (!want) {
		CU_ASSERT_EQUAL(rc, 0);
		if (rc)
			fprintf(stderr, "\nunexpected: %s\n", e ? e : "(nothing)");
	} else {
		CU_ASSERT_EQUAL(rc, -EINVAL);
		bool found = e && strstr(e, want);
		CU_ASSERT(found);
		if (!found)
			fprintf(stderr, "\nwanted '%s', lint said: %s\n", want,
				e ? e : "(nothing)");
	}
	free(e);
}

static void test_ext_lint_ir(void)
{
	/* accepted: the handle straight to an accessor */
	expect_ir("define internal i32 @run(ptr %p) {\n  %n = call i32 @xdrv_ext_len(ptr %p)\n"
		  "  ret i32 %n\n}\n",
		  NULL);
	/* clang's output without `xdrv build --extension`'s step: the handle spilled to a slot */
	static const char spilled[] = "define internal i32 @run(ptr %p) {\n  %a = alloca ptr\n"
				      "  store ptr %p, ptr %a\n  %q = load ptr, ptr %a\n"
				      "  %n = call i32 @xdrv_ext_len(ptr %q)\n  ret i32 %n\n}\n";
	expect_ir(spilled, "function run: store of a pointer");
	expect_ir(spilled, "function run: load of a pointer");
	/* a load from inside a function's code */
	expect_ir("define internal i32 @run(ptr %p) {\n"
		  "  %v = load i32, ptr getelementptr (i8, ptr @run, i64 4)\n  ret i32 %v\n}\n",
		  "function run: load through a pointer of unknown origin");
	/* run called by a helper with a stack pointer */
	expect_ir("define internal i32 @run(ptr %p) {\n  %n = call i32 @xdrv_ext_len(ptr %p)\n"
		  "  ret i32 %n\n}\n"
		  "define i32 @other() {\n  %a = alloca i32\n  %n = call i32 @run(ptr %a)\n"
		  "  ret i32 %n\n}\n",
		  "function run: pointer parameter 1 that is not the packet handle");
	/* a phi of the stack and the handle, loaded from */
	expect_ir(
		"define internal i32 @run(ptr %p) {\n  %a = alloca i32\n"
		"  %n = call i32 @xdrv_ext_len(ptr %p)\n  %c = icmp eq i32 %n, 0\n"
		"  br i1 %c, label %x, label %y\nx:\n  br label %y\ny:\n"
		"  %q = phi ptr [ %a, %x ], [ %p, %0 ]\n  %v = load i32, ptr %q\n  ret i32 %v\n}\n",
		"function run: load through the packet handle");
	/* the driver descriptor and the extension's in one module */
	LLVMContextRef ctx = LLVMContextCreate();
	LLVMModuleRef m = sdkfx_ir(ctx, sdkfx_ir_driver,
				   "%struct.xdrv_ext = type { i32, i32, i32, i32, ptr, ptr, ptr, "
				   "ptr, ptr, [9 x ptr] }\n"
				   "@xdrv_extension = constant %struct.xdrv_ext zeroinitializer\n");
	if (m) {
		struct sdk_descriptor d;
		char *err = NULL;
		CU_ASSERT_EQUAL(sdk_module_kind(m), SDK_KIND_DRIVER);
		CU_ASSERT_EQUAL(sdk_descriptor_read(m, &d, &err), -EINVAL);
		CU_ASSERT(err && strstr(err, "both xdrv_driver and xdrv_extension"));
		free(err);
		LLVMDisposeModule(m);
	}
	LLVMContextDispose(ctx);
}

static void test_ext_symbols(void)
{
	CU_ASSERT_TRUE(sdk_ext_symbol_allowed("xdrv_ext_ld8", 1000000));
	CU_ASSERT_TRUE(sdk_ext_symbol_allowed("memset", 1000000));
	CU_ASSERT_FALSE(sdk_ext_symbol_allowed("xdrv_ext_ld8", 999999));
	CU_ASSERT_FALSE(sdk_ext_symbol_allowed("xdrv_log", 1000000));
	CU_ASSERT_FALSE(sdk_ext_symbol_allowed(NULL, 1000000));
	CU_ASSERT_EQUAL(sdk_ext_symbol_version("xdrv_ext_tab_add"), 1000000);
	CU_ASSERT_EQUAL(sdk_abi_symbol_version("xdrv_ext_tab_add"), 0);
}

XTEST_SUITE(sdk_ext, NULL, NULL, XTEST(test_ext_descriptor_read),
	    XTEST(test_ext_driver_manifest_has_no_kind), XTEST(test_ext_descriptor_rules),
	    XTEST(test_ext_build_kind_must_match), XTEST(test_ext_lint_accepts_samples_and_loops),
	    XTEST(test_ext_lint_rejects_writable_global),
	    XTEST(test_ext_lint_rejects_parameter_write),
	    XTEST(test_ext_lint_rejects_pointer_load_and_store),
	    XTEST(test_ext_lint_rejects_int_pointer_casts),
	    XTEST(test_ext_lint_rejects_indirect_call), XTEST(test_ext_lint_rejects_recursion),
	    XTEST(test_ext_lint_rejects_dynamic_alloca), XTEST(test_ext_lint_rejects_deep_stack),
	    XTEST(test_ext_lint_rejects_pointer_parameters),
	    XTEST(test_ext_lint_rejects_packet_handle_misuse),
	    XTEST(test_ext_lint_rejects_driver_imports_and_atomics), XTEST(test_ext_symbols),
	    XTEST(test_ext_lint_ir))
