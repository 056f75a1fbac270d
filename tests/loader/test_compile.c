// SPDX-License-Identifier: MIT
/*
 * Tests for loader/compile.c, the compiler process (issue 12): the object it sends back has the
 * digest of an in-process load of the same package, and linked in another context
 * (ldr_image_load_compiled) it runs; a cache hit forks no compiler process; bitcode that
 * crashes LLVM's reader (tests/hostile/bad_bitcode_*.bc, signed here) kills only the compiler
 * process and comes back as an error naming the signal, with no file left open; a compiler
 * process that hangs is killed at its watchdog; a lint failure comes back as the lint's
 * message; a malformed answer (a compiler process the package took over: test hook) is refused
 * naming the defect, a failure's text shown escaped; an unsigned package is refused before any
 * process is forked. Lazy mode: the compiler process sends the globals object and stays; a
 * driver host that links it compiles each function on its first call by asking that process
 * (lazy_remote.c), a second host gets the same functions again, a malformed request is
 * answered with an error and the session goes on.
 */
#include "craft_fixture.h"
#include "jit_fixture.h"

#include <dirent.h>
#include <errno.h>
#include <openssl/evp.h>
#include <unistd.h>
#include <xdrv/signer.h>

#define DRV_SRC_FMT                                                                                \
	"#include <xdrv/abi.h>\n"                                                                  \
	"XDRV_PARAM(uint32_t, ring);\n"                                                            \
	"static const struct xdrv_param params[] = {\n"                                            \
	"  XDRV_PARAM_ENTRY_F(XDRV_PARAM_U32, ring, 64, 16, 4096, XDRV_PARAM_F_LIVE, \"ring\"), "  \
	"XDRV_PARAM_END};\n"                                                                       \
	"static const struct xdrv_match match[] = {{.bus = XDRV_BUS_PLATFORM,\n"                   \
	"  .compatible = \"test,compile\"}, {.bus = 0}};\n"                                        \
	"static int32_t probe(xdrv_device_t *d) { (void)d; return (int32_t)xdrv_param_ring; }\n"   \
	"static void rm(xdrv_device_t *d) { (void)d; }\n"                                          \
	"uint32_t ring_twice(void) { return 2 * xdrv_param_ring; }\n"                              \
	"%s\n"                                                                                     \
	"XDRV_DRIVER(.name = \"compiletest\", .version = \"1.2.3\", .match = match, .params = "    \
	"params,\n"                                                                                \
	"  .probe = probe, .remove = rm);\n"

static char dir[512], pki[600], root_pem[700], good[700], good_unsigned[700];

/* Bitcode of the test driver with `extra` (the profile's flags + sdk_normalize, as sdk_build
 * does without its lint) at `bc`. */
static int driver_bc(const char *extra, const char *bc)
{
	char src[700], text[4096];
	char *err = NULL;
	snprintf(src, sizeof src, "%s.c", bc);
	snprintf(text, sizeof text, DRV_SRC_FMT, extra);
	int rc = xtest_write(src, text, strlen(text));
	if (!rc)
		rc = xtest_sh(SDK_CLANG
			      " --target=" SDK_TRIPLE " -ffreestanding -nostdlibinc "
			      "-isystem '%s/driver-abi/include' -fsigned-char -O2 -Xclang "
			      "-disable-llvm-passes -emit-llvm -c '%s' -o '%s'",
			      XDRV_SRCDIR, src, bc);
	if (!rc) {
		LLVMOrcThreadSafeContextRef tsc = LLVMOrcCreateNewThreadSafeContext();
		LLVMModuleRef m = fx_parse(tsc, bc);
		rc = m ? sdk_normalize(m, &err) : -1;
		if (!rc)
			rc = sdk_bitcode_write(m, bc, &err);
		if (m)
			LLVMDisposeModule(m);
		LLVMOrcDisposeThreadSafeContext(tsc);
	}
	if (rc)
		fprintf(stderr, "driver_bc: %s\n", err ? err : "?");
	free(err);
	return rc;
}

static int sign(const char *in, const char *out)
{
	char cert[700], key[700], chain[700];
	char *err = NULL;
	snprintf(cert, sizeof cert, "%s/signer.pem", pki);
	snprintf(key, sizeof key, "%s/signer.key", pki);
	snprintf(chain, sizeof chain, "%s/vendor.pem", pki);
	int rc = sig_sign_file(in, out, cert, key, chain, &err);
	if (rc)
		fprintf(stderr, "sign: %s\n", err ? err : "?");
	free(err);
	return rc;
}

static int suite_init(void)
{
	char *err = NULL, bc[700];
	snprintf(dir, sizeof dir, "%s", xtest_tmpdir());
	snprintf(pki, sizeof pki, "%s/pki", dir);
	snprintf(root_pem, sizeof root_pem, "%s/root.pem", pki);
	snprintf(bc, sizeof bc, "%s/good.bc", dir);
	snprintf(good_unsigned, sizeof good_unsigned, "%s/good.unsigned.xdrv", dir);
	snprintf(good, sizeof good, "%s/good.xdrv", dir);
	struct sig_pki_opts po = {.out_dir = pki};
	struct sdk_pack_opts pk = {.bitcode = bc, .output = good_unsigned, .security_version = 1};
	int rc = driver_bc("", bc);
	if (!rc)
		rc = sig_pki_create(&po, &err);
	if (!rc)
		rc = sdk_pack(&pk, &err);
	if (!rc)
		rc = sign(good_unsigned, good);
	if (rc)
		fprintf(stderr, "test_compile fixture: %s\n", err ? err : "?");
	free(err);
	return rc ? 1 : 0;
}

/* A signed package at DIR/NAME.xdrv: the good package's manifest, with the bitcode member
 * `bcpath`: bytes the SDK would refuse to pack. */
static const char *craft_signed(const char *name, const char *bcpath)
{
	static char out[800];
	snprintf(out, sizeof out, "%s/%s.xdrv", dir, name);
	return craft_signed_package(good_unsigned, bcpath, pki, out) == 0 ? out : NULL;
}

static struct ldr_ctx *ctx_with(uint32_t mode, const char *cache_dir)
{
	struct ldr_config cfg = {
		.trust_root = root_pem, .jit_mode = mode, .opt_level = 2, .cache_dir = cache_dir};
	struct ldr_ctx *ctx = NULL;
	char *err = NULL;
	if (ldr_ctx_create(&cfg, &ctx, &err) != 0)
		fprintf(stderr, "ctx: %s\n", err);
	free(err);
	return ctx;
}

static int has(const char *msg, const char *needle)
{
	int ok = msg && strstr(msg, needle);
	if (!ok)
		fprintf(stderr, "\n  message: %s\n  wanted: %s\n", msg ? msg : "(none)", needle);
	return ok;
}

static int open_fds(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return -1;
	for (struct dirent *e; (e = readdir(d));)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* Link `c` into a fresh context and call ring_twice; returns its result (0 on failure). */
static uint32_t link_and_call(const struct ldr_compiled *c, uint8_t digest[32])
{
	struct ldr_ctx *host = ctx_with(LDR_JIT_EAGER, NULL);
	struct ldr_image *img = NULL;
	char *e = NULL;
	uint32_t v = 0;
	uint64_t addr = 0;
	if (!host)
		return 0;
	int rc = ldr_image_load_compiled(host, c, &img, &e);
	if (rc)
		fprintf(stderr, "load_compiled: %s\n", e ? e : "?");
	CU_ASSERT_EQUAL(rc, 0);
	if (!rc) {
		/* lazy: the image links more objects later; its load checked the first, the
		 * globals object, against the record (ldr_image_load_compiled) */
		bool lazy = ldr_compiled_session_fd(c) >= 0;
		CU_ASSERT_EQUAL(ldr_image_object_digest(img, digest), lazy ? -ENODATA : 0);
		CU_ASSERT_PTR_NOT_NULL(ldr_image_descriptor(img));
		CU_ASSERT_STRING_EQUAL(ldr_image_name(img), "compiletest");
		CU_ASSERT_PTR_NOT_NULL(ldr_image_signature(img));
		CU_ASSERT_PTR_NOT_NULL(ldr_image_manifest(img));
		CU_ASSERT(ldr_image_total_functions(img) >= 3);
		if (ldr_image_lookup(img, "ring_twice", &addr, &e) == 0)
			v = ((uint32_t(*)(void))(uintptr_t)addr)();
	}
	ldr_image_unload(img);
	ldr_ctx_destroy(host);
	free(e);
	return v;
}

static void test_compiled_object_has_the_digest_of_an_in_process_load_and_runs(void)
{
	struct ldr_ctx *ctx = ctx_with(LDR_JIT_EAGER, NULL);
	struct ldr_ctx *inproc = ctx_with(LDR_JIT_EAGER, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	CU_ASSERT_PTR_NOT_NULL_FATAL(inproc);
	struct ldr_compiled *c = NULL;
	struct ldr_image *img = NULL;
	char *e = NULL;
	uint8_t dc[32], di[32], dl[32];
	int rc = ldr_package_compile(ctx, good, NULL, 0, &c, &e);
	if (rc)
		fprintf(stderr, "compile: %s\n", e ? e : "?");
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL(ctx->compile_forks, 1u);
	CU_ASSERT_EQUAL(ctx->images, NULL); /* nothing was linked in the supervisor */
	CU_ASSERT_STRING_EQUAL(ldr_compiled_cache_state(c), "off");
	size_t olen = 0;
	const uint8_t *obj = ldr_compiled_object(c, &olen);
	CU_ASSERT(obj && olen > 64 && memcmp(obj, "\177ELF", 4) == 0);
	ldr_compiled_sha256(c, dc);
	/* the digest is the supervisor's, of the bytes it holds */
	uint8_t inner[64], want[32];
	unsigned int l = 32;
	memset(inner, 0, 32);
	EVP_Digest(obj, olen, inner + 32, &l, EVP_sha256(), NULL);
	EVP_Digest(inner, 64, want, &l, EVP_sha256(), NULL);
	CU_ASSERT_EQUAL(memcmp(dc, want, 32), 0);
	struct ldr_timings t;
	ldr_compiled_timings(c, &t);
	CU_ASSERT(t.verify_ns > 0 && t.extract_ns > 0 && t.jit_ns > 0 && t.total_ns >= t.jit_ns);
	size_t np = 0;
	const uint64_t *pv = ldr_compiled_param_values(c, &np);
	CU_ASSERT_EQUAL_FATAL(np, 1u);
	CU_ASSERT_EQUAL(pv[0], 64u);
	CU_ASSERT_PTR_NOT_NULL(ldr_compiled_signature(c));

	CU_ASSERT_EQUAL_FATAL(ldr_image_load_file(inproc, good, NULL, 0, &img, NULL), 0);
	CU_ASSERT_EQUAL(ldr_image_object_digest(img, di), 0);
	CU_ASSERT_EQUAL(memcmp(dc, di, 32), 0);
	ldr_image_unload(img);

	CU_ASSERT_EQUAL(link_and_call(c, dl), 128u);
	CU_ASSERT_EQUAL(memcmp(dl, dc, 32), 0);
	ldr_compiled_free(c);

	/* a specialization value reaches the code */
	struct ldr_param_value p = {"ring", "100"};
	CU_ASSERT_EQUAL_FATAL(ldr_package_compile(ctx, good, &p, 1, &c, NULL), 0);
	CU_ASSERT_EQUAL(link_and_call(c, dl), 200u);
	ldr_compiled_free(c);
	/* ... and a refused one is refused in the supervisor, before any fork */
	p.value = "5";
	CU_ASSERT_EQUAL(ldr_package_compile(ctx, good, &p, 1, &c, &e), -ERANGE);
	CU_ASSERT_PTR_NULL(c);
	CU_ASSERT_EQUAL(ctx->compile_forks, 2u);
	ldr_ctx_destroy(ctx);
	ldr_ctx_destroy(inproc);
	free(e);
}

static void test_a_cache_hit_forks_no_compiler_process(void)
{
	char cache[700];
	snprintf(cache, sizeof cache, "%s/cache", xtest_tmpdir());
	struct ldr_ctx *ctx = ctx_with(LDR_JIT_EAGER, cache);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	struct ldr_compiled *c = NULL;
	uint8_t d1[32], d2[32], dl[32];
	CU_ASSERT_EQUAL_FATAL(ldr_package_compile(ctx, good, NULL, 0, &c, NULL), 0);
	CU_ASSERT_STRING_EQUAL(ldr_compiled_cache_state(c), "miss");
	CU_ASSERT_EQUAL(ctx->compile_forks, 1u);
	ldr_compiled_sha256(c, d1);
	ldr_compiled_free(c);
	CU_ASSERT_EQUAL_FATAL(ldr_package_compile(ctx, good, NULL, 0, &c, NULL), 0);
	CU_ASSERT_STRING_EQUAL(ldr_compiled_cache_state(c), "hit");
	CU_ASSERT_EQUAL(ctx->compile_forks, 1u); /* no compiler process */
	ldr_compiled_sha256(c, d2);
	CU_ASSERT_EQUAL(memcmp(d1, d2, 32), 0);
	CU_ASSERT_EQUAL(link_and_call(c, dl), 128u);
	CU_ASSERT_EQUAL(memcmp(dl, d1, 32), 0);
	ldr_compiled_free(c);
	/* an in-process load of the same context hits the entry the supervisor stored */
	struct ldr_image *img = NULL;
	CU_ASSERT_EQUAL_FATAL(ldr_image_load_file(ctx, good, NULL, 0, &img, NULL), 0);
	CU_ASSERT_STRING_EQUAL(ldr_image_cache_state(img), "hit");
	ldr_image_unload(img);
	ldr_ctx_destroy(ctx);
}

/* The fixture `file` (tests/hostile) signed into the package NAME.xdrv and compiled in a new
 * context (*ctxp; the compiler process's error in *e, the supervisor's open files before it in
 * *fds): the compile's status. Nothing may come of it. */
static int compile_fixture(const char *name, const char *file, struct ldr_ctx **ctxp, char **e,
			   int *fds)
{
	const char *pkg = craft_signed(name, xtest_path("%s/tests/hostile/%s", XDRV_SRCDIR, file));
	CU_ASSERT_PTR_NOT_NULL_FATAL(pkg);
	char path[800];
	snprintf(path, sizeof path, "%s", pkg);
	*ctxp = ctx_with(LDR_JIT_EAGER, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(*ctxp);
	struct ldr_compiled *c = NULL;
	*e = NULL;
	*fds = open_fds();
	int rc = ldr_package_compile(*ctxp, path, NULL, 0, &c, e);
	CU_ASSERT_PTR_NULL(c);
	ldr_compiled_free(c);
	return rc;
}

/* After compile_fixture: one compiler process was forked, and the good package compiles right
 * after; ctx and e are freed. */
static void good_after(struct ldr_ctx *ctx, char *e)
{
	struct ldr_compiled *c = NULL;
	CU_ASSERT_EQUAL(ctx->compile_forks, 1u);
	CU_ASSERT_EQUAL(ldr_package_compile(ctx, good, NULL, 0, &c, NULL), 0);
	ldr_compiled_free(c);
	ldr_ctx_destroy(ctx);
	free(e);
}

/* The fixture `file` (tests/hostile) signed into a package: compiling it kills the compiler
 * process with `sig`; the supervisor (this process) gets the error, keeps no file of it open,
 * and compiles the good package right after. */
static void expect_crash(const char *name, const char *file, const char *sig)
{
	char want[256];
	struct ldr_ctx *ctx = NULL;
	char *e = NULL;
	int fds = 0;
	CU_ASSERT_EQUAL(compile_fixture(name, file, &ctx, &e, &fds), -ECHILD);
	snprintf(want, sizeof want,
		 "package %s.xdrv: compiler process for %s.xdrv died: %s (LLVM crashed on the "
		 "package's bitcode); nothing of it was loaded",
		 name, name, sig);
	CU_ASSERT(has(e, want));
	CU_ASSERT(has(ldr_errmsg(ctx), want));
	CU_ASSERT_EQUAL(open_fds(), fds);
	good_after(ctx, e);
}

/* tests/hostile/bad_bitcode_abort.bc made LLVM's reader verify it and abort (its upgrade path,
 * report_fatal_error); sdk_bitcode_parse turns that off and verifies the module itself, so the
 * compiler process now refuses it with the verifier's message, and no signal. */
static void expect_refused_without_a_crash(void)
{
	struct ldr_ctx *ctx = NULL;
	char *e = NULL;
	int fds = 0;
	CU_ASSERT_EQUAL(compile_fixture("abort", "bad_bitcode_abort.bc", &ctx, &e, &fds), -EINVAL);
	CU_ASSERT(has(e, "package abort.xdrv: driver.bc: invalid module: invalid value for "
			 "'frame-pointer' attribute"));
	CU_ASSERT(!has(e, "died"));
	good_after(ctx, e);
}

static void test_bitcode_that_crashes_llvm_kills_only_the_compiler_process(void)
{
	expect_crash("crash", "bad_bitcode_crash.bc", "SIGSEGV");
	expect_refused_without_a_crash();
}

static void test_a_hung_compiler_process_is_killed_at_its_watchdog(void)
{
	struct ldr_config cfg = {.trust_root = root_pem, .opt_level = 2, .compile_timeout_ms = 300};
	struct ldr_ctx *ctx = NULL;
	CU_ASSERT_EQUAL_FATAL(ldr_ctx_create(&cfg, &ctx, NULL), 0);
	ctx->compile_test_sleep_ms = 60000;
	struct ldr_compiled *c = NULL;
	char *e = NULL;
	int fds = open_fds();
	uint64_t t0 = xdrv_now_ns();
	CU_ASSERT_EQUAL(ldr_package_compile(ctx, good, NULL, 0, &c, &e), -ETIMEDOUT);
	uint64_t ms = (xdrv_now_ns() - t0) / 1000000u;
	CU_ASSERT(ms >= 300 && ms < 10000);
	CU_ASSERT(has(e, "package good.xdrv: compiler process for good.xdrv did not answer "
			 "within 300 ms; killed"));
	CU_ASSERT_EQUAL(open_fds(), fds);
	ctx->compile_test_sleep_ms = 0;
	ctx->cfg.compile_timeout_ms = 0; /* the default: a sanitizer build compiles for seconds */
	CU_ASSERT_EQUAL(ldr_package_compile(ctx, good, NULL, 0, &c, NULL), 0);
	ldr_compiled_free(c);
	ldr_ctx_destroy(ctx);
	free(e);
}

static void test_a_lint_failure_comes_back_as_the_lints_message(void)
{
	char bc[700];
	snprintf(bc, sizeof bc, "%s/getpid.bc", xtest_tmpdir());
	CU_ASSERT_EQUAL_FATAL(
		driver_bc("int getpid(void);\nint pid(void) { return getpid(); }", bc), 0);
	const char *pkg = craft_signed("getpid", bc);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pkg);
	char path[800];
	snprintf(path, sizeof path, "%s", pkg);
	struct ldr_ctx *ctx = ctx_with(LDR_JIT_EAGER, NULL),
		       *inproc = ctx_with(LDR_JIT_EAGER, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	CU_ASSERT_PTR_NOT_NULL_FATAL(inproc);
	struct ldr_compiled *c = NULL;
	struct ldr_image *img = NULL;
	char *e = NULL, *ei = NULL;
	CU_ASSERT_EQUAL(ldr_package_compile(ctx, path, NULL, 0, &c, &e), -EINVAL);
	CU_ASSERT_EQUAL(ctx->compile_forks, 1u);
	/* the same message as an in-process load's, said once */
	CU_ASSERT_EQUAL(ldr_image_load_file(inproc, path, NULL, 0, &img, &ei), -EINVAL);
	CU_ASSERT(has(e, "getpid"));
	CU_ASSERT(e && ei && strcmp(e, ei) == 0);
	if (e && ei && strcmp(e, ei) != 0)
		fprintf(stderr, "\n  compiler process: %s\n  in process: %s\n", e, ei);
	CU_ASSERT(e && strncmp(e, "package getpid.xdrv: ", 21) == 0 &&
		  !strstr(e + 21, "package getpid.xdrv"));
	ldr_ctx_destroy(ctx);
	ldr_ctx_destroy(inproc);
	free(e);
	free(ei);
}

/* A frame header as the compiler process writes it. */
static size_t frame(uint8_t *h, const char *magic, uint32_t kind, int32_t rc, uint64_t len)
{
	memset(h, 0, 48);
	memcpy(h, magic, 8);
	for (int i = 0; i < 4; i++) {
		h[8 + i] = (uint8_t)(kind >> (8 * i));
		h[12 + i] = (uint8_t)((uint32_t)rc >> (8 * i));
		h[16 + i] = (uint8_t)(3u >> (8 * i));
	}
	for (int i = 0; i < 8; i++)
		h[24 + i] = (uint8_t)(len >> (8 * i));
	return 48;
}

/* The compiler process runs LLVM on vendor bytes: a process those bytes took over may answer
 * anything. Each malformed answer is an error naming the defect, never a crash or a load. */
static void test_a_malformed_answer_is_refused_naming_the_defect(void)
{
	static uint8_t m[256];
	static const struct {
		const char *magic;
		uint32_t kind;
		int32_t rc;
		uint64_t len;
		const char *payload;
		size_t plen;
		int rc_want;
		const char *msg;
	} cases[] = {
		{"XDRVCOBX", 1, 0, 4, "\177ELF", 4, -EBADMSG,
		 "sent a malformed answer (not an answer frame)"},
		{"XDRVCOB1", 1, 0, 0, "", 0, -EBADMSG,
		 "(an object of 0 bytes (1 to 67108864 allowed))"},
		{"XDRVCOB1", 1, 0, 1ull << 40, "", 0, -EBADMSG, "an object of 1099511627776 bytes"},
		{"XDRVCOB1", 1, 5, 4, "\177ELF", 4, -EBADMSG, "an object with rc 5"},
		{"XDRVCOB1", 7, 0, 4, "\177ELF", 4, -EBADMSG, "answer of kind 7"},
		{"XDRVCOB1", 2, 3, 2, "no", 2, -EBADMSG, "a failure with rc 3"},
		{"XDRVCOB1", 2, -22, 5000, "", 0, -EBADMSG, "a message of 5000 bytes (1 to 4096"},
		{"XDRVCOB1", 1, 0, 4, "\177ELFx", 5, -EBADMSG, "(bytes after its answer)"},
		{"XDRVCOB1", 1, 0, 8, "\177ELF", 4, -EBADMSG, "ended after 52 bytes of its answer"},
		{NULL, 0, 0, 0, NULL, 0, -EBADMSG, "ended after 0 bytes of its answer"},
		/* a failure's text is shown as one escaped line */
		{"XDRVCOB1", 2, -22, 22, "bad\x1b[2J\nfake: line", 18, -EBADMSG,
		 "ended after 66 bytes"},
		{"XDRVCOB1", 2, -22, 18, "bad\x1b[2J\nfake: line", 18, -EINVAL,
		 "package good.xdrv: bad\\x1b[2J\\nfake: line"},
	};
	struct ldr_ctx *ctx = ctx_with(LDR_JIT_EAGER, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t n = 0;
		if (cases[i].magic)
			n = frame(m, cases[i].magic, cases[i].kind, cases[i].rc, cases[i].len);
		memcpy(m + n, cases[i].payload ? cases[i].payload : "", cases[i].plen);
		ctx->compile_test_reply = m;
		ctx->compile_test_reply_len = n + cases[i].plen;
		struct ldr_compiled *c = NULL;
		char *e = NULL;
		int rc = ldr_package_compile(ctx, good, NULL, 0, &c, &e);
		CU_ASSERT_EQUAL(rc, cases[i].rc_want);
		CU_ASSERT_PTR_NULL(c);
		if (!has(e, cases[i].msg))
			fprintf(stderr, "  (case %zu)\n", i);
		CU_ASSERT(e && strstr(e, cases[i].msg));
		free(e);
	}
	ldr_ctx_destroy(ctx);
}

static void test_lazy_functions_come_from_the_compiler_process_on_first_call(void)
{
	struct ldr_ctx *ctx = ctx_with(LDR_JIT_LAZY, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	struct ldr_compiled *c = NULL;
	char *e = NULL;
	uint8_t dl[32];
	int rc = ldr_package_compile(ctx, good, NULL, 0, &c, &e);
	if (rc)
		fprintf(stderr, "lazy compile: %s\n", e ? e : "?");
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL(ctx->compile_forks, 1u);
	CU_ASSERT_EQUAL(ctx->images, NULL);
	int fd = ldr_compiled_session_fd(c);
	CU_ASSERT(fd >= 0);
	/* a host: the globals object links, ring_twice is a thunk until its first call, which
	 * asks the compiler process */
	CU_ASSERT_EQUAL(link_and_call(c, dl), 128u);
	/* garbage on the session: answered with an error, and the session goes on */
	CU_ASSERT_EQUAL(write(fd, "xyz", 3), 3);
	/* a second host (a restart): the same function again, from the process's own copy */
	CU_ASSERT_EQUAL(link_and_call(c, dl), 128u);
	CU_ASSERT_EQUAL(ctx->compile_forks, 1u);
	ldr_compiled_free(c);
	/* eager contexts have no session */
	ldr_ctx_destroy(ctx);
	ctx = ctx_with(LDR_JIT_EAGER, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	CU_ASSERT_EQUAL_FATAL(ldr_package_compile(ctx, good, NULL, 0, &c, &e), 0);
	CU_ASSERT_EQUAL(ldr_compiled_session_fd(c), -1);
	ldr_compiled_free(c);
	ldr_ctx_destroy(ctx);
	free(e);
}

static void test_unsigned_is_refused_before_any_fork(void)
{
	struct ldr_ctx *ctx = ctx_with(LDR_JIT_EAGER, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	struct ldr_compiled *c = NULL;
	char *e = NULL;
	CU_ASSERT_EQUAL(ldr_package_compile(ctx, good_unsigned, NULL, 0, &c, &e), -EPERM);
	CU_ASSERT(has(e, "unsigned, and this host requires signatures"));
	CU_ASSERT_EQUAL(ctx->compile_forks, 0u);
	ldr_ctx_destroy(ctx);
	free(e);
}

/* A record handed over (ldr_compiled_wire_*): read back it links and runs as the original; every
 * truncation, a byte more, and a flipped byte anywhere are refused or (a flipped byte of a
 * signature string or parameter, which nothing checks) read without harm; the object is checked
 * by its digest. */
static void test_a_record_handed_over_is_read_back_strictly(void)
{
	struct ldr_ctx *ctx = ctx_with(LDR_JIT_EAGER, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	struct ldr_compiled *c = NULL, *r = NULL;
	char *e = NULL;
	uint8_t *w = NULL, d[32];
	size_t n = 0;
	CU_ASSERT_EQUAL_FATAL(ldr_package_compile(ctx, good, NULL, 0, &c, &e), 0);
	CU_ASSERT_EQUAL_FATAL(ldr_compiled_wire_write(c, &w, &n, &e), 0);
	CU_ASSERT_EQUAL_FATAL(ldr_compiled_wire_read(w, n, &r, &e), 0);
	uint8_t d1[32], d2[32];
	ldr_compiled_sha256(c, d1);
	ldr_compiled_sha256(r, d2);
	CU_ASSERT_EQUAL(memcmp(d1, d2, 32), 0);
	CU_ASSERT_EQUAL(link_and_call(r, d), 2 * 64);
	CU_ASSERT_STRING_EQUAL(ldr_compiled_signature(r)->digest_hex,
			       ldr_compiled_signature(c)->digest_hex);
	ldr_compiled_free(r);
	r = NULL;
	for (size_t k = 0; k < n; k++) { /* every truncation */
		CU_ASSERT_EQUAL(ldr_compiled_wire_read(w, k, &r, NULL), -EBADMSG);
		CU_ASSERT_PTR_NULL(r);
	}
	uint8_t *more = malloc(n + 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(more);
	memcpy(more, w, n);
	more[n] = 0;
	CU_ASSERT_EQUAL(ldr_compiled_wire_read(more, n + 1, &r, &e), -EBADMSG);
	CU_ASSERT(has(e, "its fields say"));
	free(more);
	size_t refused = 0;
	for (size_t k = 0; k < n; k++) { /* a flipped byte */
		w[k] ^= 0x5a;
		int rc = ldr_compiled_wire_read(w, n, &r, NULL);
		w[k] ^= 0x5a;
		CU_ASSERT(rc == 0 || rc == -EBADMSG || rc == -EINVAL || rc == -E2BIG);
		if (rc == 0) {
			CU_ASSERT_PTR_NOT_NULL(r);
			ldr_compiled_free(r);
			r = NULL;
		} else {
			refused++;
		}
	}
	CU_ASSERT(refused > n / 2); /* the object and the manifest are all checked */
	/* the object's last byte: its digest no longer matches */
	w[n - 1] ^= 1;
	CU_ASSERT_EQUAL(ldr_compiled_wire_read(w, n, &r, &e), -EBADMSG);
	CU_ASSERT(has(e, "the object's digest is not the one sent"));
	w[n - 1] ^= 1;
	w[0] = 'Y';
	CU_ASSERT_EQUAL(ldr_compiled_wire_read(w, n, &r, &e), -EBADMSG);
	CU_ASSERT(has(e, "bad magic"));
	free(w);
	ldr_compiled_free(c);
	ldr_ctx_destroy(ctx);
	free(e);
}

/* Code swaps across processes (gen.c): the supervisor asks the compiler process for generation 1
 * of swappable code, the "driver host" (another context here) links it into its running image
 * and stores every slot; the state and the one address of each function are kept. */
static void test_a_generation_from_the_compiler_process_is_swapped_into_the_host(void)
{
	struct ldr_config cfg = {
		.trust_root = root_pem, .jit_mode = LDR_JIT_EAGER, .opt_level = 2, .swappable = 1};
	struct ldr_ctx *sup = NULL, *host = NULL;
	struct ldr_compiled *c0 = NULL, *c1 = NULL, *c2 = NULL, *r = NULL;
	struct ldr_image *img = NULL;
	struct ldr_gen *g = NULL;
	char *e = NULL;
	uint8_t *pkg = NULL, *w = NULL;
	size_t len = 0, wl = 0;
	CU_ASSERT_EQUAL_FATAL(ldr_ctx_create(&cfg, &sup, NULL), 0);
	cfg.swappable = 0; /* the host links what it is sent */
	CU_ASSERT_EQUAL_FATAL(ldr_ctx_create(&cfg, &host, NULL), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pkg = xtest_read(good, &len));
	CU_ASSERT_EQUAL_FATAL(ldr_package_compile_mem(sup, pkg, len, "good.xdrv", NULL, 0, &c0, &e),
			      0);
	CU_ASSERT_EQUAL(ldr_compiled_generation(c0), 0u);
	CU_ASSERT_EQUAL_FATAL(ldr_image_load_compiled(host, c0, &img, &e), 0);
	struct ldr_tier_info ti;
	ldr_image_tier_info(img, &ti);
	CU_ASSERT_EQUAL(ti.swappable, 1);
	CU_ASSERT_EQUAL(ti.generation, 0u);
	uint64_t a0 = 0, slot = 0;
	CU_ASSERT_EQUAL_FATAL(ldr_image_lookup(img, "ring_twice", &a0, NULL), 0);
	uint32_t (*twice)(void) = (uint32_t(*)(void))(uintptr_t)a0;
	CU_ASSERT_EQUAL(twice(), 128u);

	CU_ASSERT_EQUAL_FATAL(ldr_gen_new(sup, pkg, len, "good.xdrv", NULL, 0, c0, &g, &e), 0);
	/* refused in the supervisor: nothing forked, nothing changes */
	uint32_t forks = sup->compile_forks;
	CU_ASSERT_EQUAL(ldr_gen_param(g, "ring", "5", &c1, &e), -ERANGE);
	CU_ASSERT(has(e, "out of range 16..4096"));
	CU_ASSERT_EQUAL(ldr_gen_param(g, "ring", "64", &c1, &e), -EALREADY);
	CU_ASSERT_EQUAL(ldr_gen_param(g, "rings", "64", &c1, &e), -ENOENT);
	CU_ASSERT(has(e, "not declared (declared: ring (live))"));
	CU_ASSERT_EQUAL(ldr_gen_patch_revert(g, &c1, &e), -ENOENT);
	CU_ASSERT_EQUAL(sup->compile_forks, forks);

	/* generation 1, handed over as the wire record, swapped in */
	CU_ASSERT_EQUAL_FATAL(ldr_gen_param(g, "ring", "100", &c1, &e), 0);
	CU_ASSERT_EQUAL(ldr_compiled_generation(c1), 1u);
	CU_ASSERT_EQUAL(ldr_gen_param(g, "ring", "200", &c2, &e), -EBUSY); /* one at a time */
	CU_ASSERT_EQUAL_FATAL(ldr_compiled_wire_write(c1, &w, &wl, &e), 0);
	CU_ASSERT_EQUAL_FATAL(ldr_compiled_wire_read(w, wl, &r, &e), 0);
	CU_ASSERT_EQUAL(ldr_compiled_generation(r), 1u);
	int rc = ldr_image_swap_generation(img, r, LDR_SWAP_PARAM, ldr_gen_change(g), &ti, &e);
	if (rc)
		fprintf(stderr, "\n  swap: %s\n", e ? e : "?");
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	ldr_gen_done(g, 1);
	CU_ASSERT_EQUAL(ti.generation, 1u);
	CU_ASSERT_EQUAL(ti.what, LDR_SWAP_PARAM);
	CU_ASSERT(ti.swapped > 0 && ti.swapped == ti.functions);
	CU_ASSERT_PTR_NOT_NULL(strstr(ti.change, "ring=100"));
	CU_ASSERT_EQUAL(twice(), 200u); /* the same address, the new code */
	const char *names[2] = {"ring_twice$slot", "ring_twice$g1"}; /* hidden symbols */
	uint64_t addrs[2] = {0, 0};
	CU_ASSERT_EQUAL(ldr_jit_lookup(img, names, 2, 0, addrs, NULL), 0);
	slot = addrs[0];
	uint64_t body = addrs[1];
	CU_ASSERT(slot && body && *(uint64_t *)(uintptr_t)slot == body);
	size_t nv = 0;
	CU_ASSERT_EQUAL(ldr_image_param_values(img, &nv)[0], 100u);
	CU_ASSERT_EQUAL(ldr_gen_live(g), 1u);
	/* the same record again: not newer than what runs */
	CU_ASSERT_EQUAL(ldr_image_swap_generation(img, r, LDR_SWAP_PARAM, "", NULL, &e), -ESTALE);
	CU_ASSERT(has(e, "generation 1 is not newer than the running 1"));
	/* generation 0's record is a load, not a swap */
	CU_ASSERT_EQUAL(ldr_image_swap_generation(img, c0, LDR_SWAP_PARAM, "", NULL, &e), -EINVAL);

	/* a generation the host refuses (here: not made live) changes nothing in the supervisor;
	 * the next is generation 3, never 2 again */
	CU_ASSERT_EQUAL_FATAL(ldr_gen_param(g, "ring", "300", &c2, &e), 0);
	CU_ASSERT_EQUAL(ldr_compiled_generation(c2), 2u);
	ldr_gen_done(g, 0);
	ldr_compiled_free(c2);
	c2 = NULL;
	CU_ASSERT_EQUAL(ldr_gen_param(g, "ring", "100", &c2, &e), -EALREADY);
	CU_ASSERT_EQUAL_FATAL(ldr_gen_param(g, "ring", "64", &c2, &e), 0);
	CU_ASSERT_EQUAL(ldr_compiled_generation(c2), 3u);
	CU_ASSERT_EQUAL_FATAL(
		ldr_image_swap_generation(img, c2, LDR_SWAP_PARAM, ldr_gen_change(g), &ti, &e), 0);
	ldr_gen_done(g, 1);
	CU_ASSERT_EQUAL(twice(), 128u);
	CU_ASSERT_EQUAL(ti.generation, 3u);

	/* an image that is not swappable (compiled without slots) refuses any generation */
	struct ldr_compiled *plain = NULL;
	struct ldr_image *pimg = NULL;
	CU_ASSERT_EQUAL_FATAL(
		ldr_package_compile_mem(host, pkg, len, "good.xdrv", NULL, 0, &plain, &e), 0);
	CU_ASSERT_EQUAL_FATAL(ldr_image_load_compiled(host, plain, &pimg, &e), 0);
	CU_ASSERT_EQUAL(ldr_image_swap_generation(pimg, r, LDR_SWAP_PARAM, "", NULL, &e), -ENOTSUP);
	CU_ASSERT(has(e, "not compiled swappable"));
	ldr_image_unload(pimg);
	ldr_compiled_free(plain);

	ldr_gen_free(g);
	ldr_image_unload(img);
	ldr_compiled_free(c0);
	ldr_compiled_free(c1);
	ldr_compiled_free(c2);
	ldr_compiled_free(r);
	free(w);
	free(pkg);
	free(e);
	ldr_ctx_destroy(sup);
	ldr_ctx_destroy(host);
}

XTEST_SUITE(loader_compile, suite_init, NULL,
	    XTEST(test_a_generation_from_the_compiler_process_is_swapped_into_the_host),
	    XTEST(test_a_record_handed_over_is_read_back_strictly),
	    XTEST(test_compiled_object_has_the_digest_of_an_in_process_load_and_runs),
	    XTEST(test_a_cache_hit_forks_no_compiler_process),
	    XTEST(test_bitcode_that_crashes_llvm_kills_only_the_compiler_process),
	    XTEST(test_a_hung_compiler_process_is_killed_at_its_watchdog),
	    XTEST(test_a_lint_failure_comes_back_as_the_lints_message),
	    XTEST(test_a_malformed_answer_is_refused_naming_the_defect),
	    XTEST(test_lazy_functions_come_from_the_compiler_process_on_first_call),
	    XTEST(test_unsigned_is_refused_before_any_fork))
