/* SPDX-License-Identifier: MIT */
/*
 * Loader, part 1: from a signed package file to JIT-compiled code in memory.
 *
 *   verify (signer) -> extract with caps (sdk_package_read) -> parse bitcode -> LLVMVerifyModule
 *   -> lint again (sdk_lint) -> descriptor == manifest -> specialize parameters -> host triple
 *   and data layout -> LLVMRunPasses("default<O2>") -> ORC LLJIT, eager or lazy per function
 *
 * Driver code is linked in its own bare JITDylib where the only resolvable names are the ABI
 * symbols (absolute symbols bound to the runtime, runtime.h; only those introduced at or before
 * the driver's ABI version) and the driver's own: any other import fails to link, with a message
 * naming it. Unloading removes the code through the image's resource tracker.
 *
 * The context owns one LLJIT; images share it. Not thread-safe: one thread uses a context and
 * its images at a time. Long-lived objects keep their last error: ldr_errmsg(ctx).
 *
 * Calling JIT code from a build with UBSan's -fsanitize=function: the check reads a signature
 * just before the callee, which JIT code does not have (and the page before it may be unmapped);
 * call sites of driver entry points need __attribute__((no_sanitize("function"))).
 */
#ifndef XDRV_LOADER_H
#define XDRV_LOADER_H

#include <stddef.h>
#include <stdint.h>

struct xdrv_driver;
struct sdk_manifest;
struct sig_info;
struct ldr_ctx;
struct ldr_image;

#define LDR_JIT_EAGER 0u
#define LDR_JIT_LAZY  1u

struct ldr_config {
	const char *trust_root;	 /* path of the pinned root's PEM; NULL only with allow_unsigned */
	int allow_unsigned;	 /* development: accept packages without a signature trailer. With
				    no trust_root, a signed package loads too, reported unchecked */
	int64_t time_floor;	 /* unix seconds; 0 = built-in floor */
	uint32_t jit_mode;	 /* LDR_JIT_EAGER or LDR_JIT_LAZY */
	uint32_t opt_level;	 /* 0..3, taken as given ("default<O0>".."default<O3>", and the
				    codegen level); a zeroed config means O0: xdrv load/run use 2 */
	const char *extract_dir; /* NULL: keep the package in memory only */
	uint32_t max_entries;	 /* 0: SDK_CAPS_DEFAULT (each of the three caps separately) */
	uint64_t max_entry_size, max_total_size;
};

/* Create a context: loads the trust root (if any), initializes the LLVM target of the
 * architecture the loader was built for, describes the host CPU, creates the LLJIT, binds the
 * ABI to ldr_abi_bindings(). Strings in cfg are copied. -EINVAL for a bad configuration. */
int ldr_ctx_create(const struct ldr_config *cfg, struct ldr_ctx **out, char **err);
void ldr_ctx_destroy(struct ldr_ctx *ctx);	   /* unloads remaining images; NULL-safe */
const char *ldr_errmsg(const struct ldr_ctx *ctx); /* last error, "" if none; borrowed */
/* Host target description, e.g. "x86_64-pc-linux-gnu cpu=znver3 +avx2,...": borrowed. */
const char *ldr_host_description(const struct ldr_ctx *ctx);
/* The host triple and CPU name alone (borrowed, "" for NULL), and the context's opt level. */
const char *ldr_host_triple(const struct ldr_ctx *ctx);
const char *ldr_host_cpu(const struct ldr_ctx *ctx);
uint32_t ldr_ctx_opt_level(const struct ldr_ctx *ctx);

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
 * values are errors). On failure returns negative, sets ldr_errmsg and *err (caller frees),
 * "package NAME: ...": -EPERM unsigned where signatures are required, the signer's code for a
 * bad signature, -EINVAL bad archive/manifest/bitcode/lint/descriptor mismatch, -ENOTSUP newer
 * ABI, -ERANGE/-ENOENT bad parameter, -ENOEXEC a JIT link failure (e.g. an import outside the
 * ABI). Nothing is parsed before the signature (if required) has been verified. */
int ldr_image_load_file(struct ldr_ctx *ctx, const char *path, const struct ldr_param_value *params,
			size_t nparams, struct ldr_image **out, char **err);
int ldr_image_load_buf(struct ldr_ctx *ctx, const uint8_t *buf, size_t len, const char *label,
		       const struct ldr_param_value *params, size_t nparams, struct ldr_image **out,
		       char **err);
/* The descriptor in JIT memory (function pointers are lazy stubs in lazy mode; a stub whose
 * function fails to compile on first call logs loudly and returns XDRV_EIO). Borrowed; NULL if
 * the module has none. */
const struct xdrv_driver *ldr_image_descriptor(struct ldr_image *img);
const struct sdk_manifest *ldr_image_manifest(const struct ldr_image *img);
const char *ldr_image_name(const struct ldr_image *img);
void ldr_image_timings(const struct ldr_image *img, struct ldr_timings *t);
/* LDR_JIT_EAGER or LDR_JIT_LAZY; the ABI version the driver was built for. */
uint32_t ldr_image_jit_mode(const struct ldr_image *img);
uint32_t ldr_image_abi_version(const struct ldr_image *img);
/* The verified signature (signer, issuer, payload digest), or NULL when the package's signature
 * was not checked (unsigned development load). Borrowed, valid until the image is unloaded. */
const struct sig_info *ldr_image_signature(const struct ldr_image *img);
/* Address of a driver symbol with external linkage (static functions and data are not found).
 * Eager: the code; lazy: the function's stub, whose first call compiles it. */
int ldr_image_lookup(struct ldr_image *img, const char *symbol, uint64_t *addr, char **err);
/* Eager mode: the SHA-256 of the object code the JIT emitted for the image (one object: its
 * SHA-256 chained once, d = SHA-256(0^32 || SHA-256(object)); several: chained in emission
 * order). -ENODATA in lazy mode (code is emitted later, per function) or if nothing was seen. */
int ldr_image_object_digest(const struct ldr_image *img, uint8_t out[32]);
/* The parameter values the image was specialized with, in the manifest's params order;
 * borrowed. */
const uint64_t *ldr_image_param_values(const struct ldr_image *img, size_t *n);
/* Number of functions compiled so far (lazy mode: grows as they are called). */
uint32_t ldr_image_compiled_functions(const struct ldr_image *img);
uint32_t ldr_image_total_functions(const struct ldr_image *img);
/* Remove the image's code and data from the JIT. NULL-safe. The caller must have unbound it. */
void ldr_image_unload(struct ldr_image *img);

#endif
