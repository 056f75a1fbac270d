/* SPDX-License-Identifier: MIT */
/*
 * Loader, part 1: from a signed package file to JIT-compiled code in memory.
 *
 *   verify (signer) -> extract with caps (sdk_package_read) -> parse bitcode -> LLVMVerifyModule
 *   -> lint again (sdk_lint) -> descriptor == manifest -> specialize parameters -> host triple
 *   and data layout -> LLVMRunPasses("default<O2>") -> ORC LLJIT, eager or lazy per function
 *
 * Driver code is linked in its own bare JITDylib where the only resolvable names are the ABI
 * symbols (absolute symbols bound to the runtime, runtime.h) and the driver's own.
 * Unloading removes the code through the image's resource tracker.
 *
 * The context owns one LLJIT; images share it. Not thread-safe.
 * Long-lived objects keep their last error: ldr_errmsg(ctx).
 */
#ifndef XDRV_LOADER_H
#define XDRV_LOADER_H

#include <stddef.h>
#include <stdint.h>

struct xdrv_driver;
struct sdk_manifest;
struct ldr_ctx;
struct ldr_image;

#define LDR_JIT_EAGER 0u
#define LDR_JIT_LAZY 1u

struct ldr_config {
	const char *trust_root; /* PEM of the pinned root; NULL only with allow_unsigned */
	int allow_unsigned;     /* development: accept packages without a signature trailer */
	int64_t time_floor;     /* unix seconds; 0 = built-in floor */
	uint32_t jit_mode;      /* LDR_JIT_EAGER or LDR_JIT_LAZY */
	uint32_t opt_level;     /* 0..3, default 2 ("default<O2>") */
	const char *extract_dir; /* NULL: keep the package in memory only */
	uint32_t max_entries;   /* 0: SDK_CAPS_DEFAULT */
	uint64_t max_entry_size, max_total_size;
};

int ldr_ctx_create(const struct ldr_config *cfg, struct ldr_ctx **out, char **err);
void ldr_ctx_destroy(struct ldr_ctx *ctx); /* unloads remaining images; NULL-safe */
const char *ldr_errmsg(const struct ldr_ctx *ctx); /* last error, "" if none; borrowed */
/* Host target description, e.g. "x86_64-pc-linux-gnu cpu=znver3 +avx2,...": borrowed. */
const char *ldr_host_description(const struct ldr_ctx *ctx);

struct ldr_param_value {
	const char *name;
	const char *value; /* decimal, 0x hex, or true/false for bool */
};

struct ldr_timings {
	uint64_t verify_ns;  /* trailer + CMS + chain + digest */
	uint64_t extract_ns; /* archive + manifest */
	uint64_t parse_ns;   /* bitcode parse + LLVMVerifyModule + lint + descriptor */
	uint64_t opt_ns;     /* specialization + O2 */
	uint64_t jit_ns;     /* eager: all code emitted; lazy: stubs + globals */
	uint64_t total_ns;
};

/* Load a signed package. `params` overrides declared defaults (unknown names and out-of-range
 * values are errors). On failure returns negative, sets ldr_errmsg and *err. */
int ldr_image_load_file(struct ldr_ctx *ctx, const char *path, const struct ldr_param_value *params,
			size_t nparams, struct ldr_image **out, char **err);
int ldr_image_load_buf(struct ldr_ctx *ctx, const uint8_t *buf, size_t len, const char *label,
		       const struct ldr_param_value *params, size_t nparams,
		       struct ldr_image **out, char **err);
/* The descriptor in JIT memory (function pointers are lazy stubs in lazy mode). Borrowed. */
const struct xdrv_driver *ldr_image_descriptor(struct ldr_image *img);
const struct sdk_manifest *ldr_image_manifest(const struct ldr_image *img);
const char *ldr_image_name(const struct ldr_image *img);
void ldr_image_timings(const struct ldr_image *img, struct ldr_timings *t);
/* Address of a driver symbol (materializes it in lazy mode). */
int ldr_image_lookup(struct ldr_image *img, const char *symbol, uint64_t *addr, char **err);
/* Number of functions compiled so far (lazy mode: grows as they are called). */
uint32_t ldr_image_compiled_functions(const struct ldr_image *img);
uint32_t ldr_image_total_functions(const struct ldr_image *img);
/* Remove the image's code and data from the JIT. NULL-safe. The caller must have unbound it. */
void ldr_image_unload(struct ldr_image *img);

#endif
