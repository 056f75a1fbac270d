/* SPDX-License-Identifier: MIT */
/*
 * Shared by the JIT-core suites (test_jit.c, test_lazy.c, test_specialize.c, test_image.c):
 * compile a small driver written in the test to portable bitcode with clang (the profile's
 * flags), parse it into a context of its own and hand it to the loader's module entry point,
 * which is the JIT path without a package. Also a test ABI binding table whose functions count
 * their calls, so a test can see driver code reach the host through an import.
 */
#ifndef XDRV_TEST_JIT_FIXTURE_H
#define XDRV_TEST_JIT_FIXTURE_H

#include "../xtest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xdrv/abi.h>
#include <xdrv/loader.h>
#include <xdrv/runtime.h>
#include <xdrv/sdk.h>
#include <xdrv/util.h>

#include "../../loader/ldr_jit.h"

/* Compile C source (a driver) to bitcode in a fresh temporary folder, with extra clang flags.
 * Returns the path in a static buffer, or NULL if clang failed. */
static inline const char *fx_bc_flags(const char *csrc, const char *flags)
{
	static char bc[1024];
	const char *dir = xtest_tmpdir();
	char src[1024];
	snprintf(src, sizeof src, "%s/d.c", dir);
	snprintf(bc, sizeof bc, "%s/d.bc", dir);
	if (xtest_write(src, csrc, strlen(csrc)) != 0)
		return NULL;
	int rc = xtest_sh(SDK_CLANG " --target=" SDK_TRIPLE " -ffreestanding -nostdlibinc -isystem "
				    "'%s/driver-abi/include' -fsigned-char -O2 -Xclang "
				    "-disable-llvm-passes -emit-llvm %s -c '%s' -o '%s'",
			  XDRV_SRCDIR, flags, src, bc);
	return rc == 0 ? bc : NULL;
}

static inline const char *fx_bc(const char *csrc)
{
	return fx_bc_flags(csrc, "");
}

/* Parse bitcode at `path` into `tsc`'s context. */
static inline LLVMModuleRef fx_parse(LLVMOrcThreadSafeContextRef tsc, const char *path)
{
	size_t len = 0;
	unsigned char *buf = xtest_read(path, &len);
	LLVMModuleRef m = NULL;
	char *err = NULL;
	if (buf && sdk_bitcode_parse(LLVMOrcThreadSafeContextGetContext(tsc), buf, len, path, &m,
				     &err) != 0) {
		fprintf(stderr, "fx_parse: %s\n", err);
		m = NULL;
	}
	free(err);
	free(buf);
	return m;
}

/* A context with the given JIT mode, unsigned packages allowed, O2. */
static inline struct ldr_ctx *fx_ctx(uint32_t mode)
{
	struct ldr_config cfg = {.allow_unsigned = 1, .jit_mode = mode, .opt_level = 2};
	struct ldr_ctx *ctx = NULL;
	char *err = NULL;
	if (ldr_ctx_create(&cfg, &ctx, &err) != 0) {
		fprintf(stderr, "fx_ctx: %s\n", err);
		free(err);
		return NULL;
	}
	return ctx;
}

/* Compile `csrc` and load it through ldr_image_load_module. */
static inline int fx_load_flags(struct ldr_ctx *ctx, const char *csrc, const char *cflags,
				const struct sdk_descriptor *d, uint32_t flags,
				const struct ldr_param_value *pv, size_t npv,
				struct ldr_image **img, char **err)
{
	*img = NULL;
	const char *bc = fx_bc_flags(csrc, cflags);
	if (!bc)
		return xdrv_err(err, -1, "fixture: clang failed");
	LLVMOrcThreadSafeContextRef tsc = LLVMOrcCreateNewThreadSafeContext();
	LLVMModuleRef m = fx_parse(tsc, bc);
	int rc = m ? ldr_image_load_module(ctx, tsc, m, "test", d, flags, pv, npv, img, err)
		   : xdrv_err(err, -1, "fixture: parse failed");
	LLVMOrcDisposeThreadSafeContext(tsc);
	return rc;
}

static inline int fx_load(struct ldr_ctx *ctx, const char *csrc, const struct sdk_descriptor *d,
			  uint32_t flags, const struct ldr_param_value *pv, size_t npv,
			  struct ldr_image **img, char **err)
{
	return fx_load_flags(ctx, csrc, "", d, flags, pv, npv, img, err);
}

/* Test functions that call into JIT code carry this: UBSan's -fsanitize=function check reads
 * a type signature just before the callee, and JIT code has none (the page before it may not
 * even be mapped). */
#define FX_JITCALL __attribute__((no_sanitize("function")))

/* Look a symbol up in the image and return it as a function pointer of type T. */
#define FX_FN(img, T, name)                                                                        \
	({                                                                                         \
		uint64_t a_ = 0;                                                                   \
		char *e_ = NULL;                                                                   \
		if (ldr_image_lookup((img), (name), &a_, &e_) != 0) {                              \
			fprintf(stderr, "lookup %s: %s\n", (name), e_);                            \
			a_ = 0;                                                                    \
		}                                                                                  \
		free(e_);                                                                          \
		(T)(uintptr_t) a_;                                                                 \
	})

/* ---- a test ABI: counts calls, allocates with malloc ------------------------------------------
 */
struct fx_abi_stats {
	int allocs, frees, logs;
	char last_log[256];
};
static struct fx_abi_stats fx_abi;

static inline void *fx_mem_alloc(uint64_t n)
{
	fx_abi.allocs++;
	return malloc(n ? n : 1);
}
static inline void fx_mem_free(void *p)
{
	fx_abi.frees++;
	free(p);
}
static inline void fx_log(uint32_t level, const char *msg)
{
	(void)level;
	fx_abi.logs++;
	snprintf(fx_abi.last_log, sizeof fx_abi.last_log, "%s", msg ? msg : "");
}

static inline void fx_use_test_abi(struct ldr_ctx *ctx)
{
	static const struct ldr_abi_binding tbl[] = {
		{"xdrv_mem_alloc", (void (*)(void))fx_mem_alloc, XDRV_ABI_MKVER(1, 0, 0)},
		{"xdrv_mem_free", (void (*)(void))fx_mem_free, XDRV_ABI_MKVER(1, 0, 0)},
		{"xdrv_log", (void (*)(void))fx_log, XDRV_ABI_MKVER(1, 0, 0)},
		{"memset", (void (*)(void))memset, XDRV_ABI_MKVER(1, 0, 0)},
		{"memcpy", (void (*)(void))memcpy, XDRV_ABI_MKVER(1, 0, 0)},
		/* introduced "later" than any driver here declares: none may see it */
		{"xdrv_future_call", (void (*)(void))fx_log, XDRV_ABI_MKVER(1, 999, 0)},
	};
	memset(&fx_abi, 0, sizeof fx_abi);
	ldr_ctx_set_bindings(ctx, tbl, sizeof tbl / sizeof tbl[0]);
}

/* err contains needle (NULL err never does). */
static inline int fx_has(const char *err, const char *needle)
{
	return err && strstr(err, needle) != NULL;
}

#endif
