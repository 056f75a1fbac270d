/* SPDX-License-Identifier: MIT */
/*
 * Loader, JIT core: private types and functions shared by cache.c, ctx.c, image.c, jit.c,
 * lazy.c, specialize.c and target.c. Nothing outside loader/ (except tests/loader) includes this.
 *
 *   target.c      LLVM targets for the host architecture, the host TargetMachine, retargeting a
 *                 portable module to the host (triple, data layout, preemptible imports), O2
 *   specialize.c  declared parameters -> constants
 *   jit.c         the LLJIT of a context, one bare JITDylib + resource tracker per image, ABI
 *                 imports as absolute symbols, eager add, lookups, removal, compile counting
 *   lazy.c        per-function partitioning behind ORC's lazy re-exports or, where ORC has
 *                 none (powerpc64le), IR thunks that call the loader (stubs)
 *   image.c       the load pipeline and the image accessors
 *   cache.c       the object cache: keys, authenticated entries, eviction
 *   budget.c      the budget instrumentation: back edges and call depth counted, checked
 *   ctx.c         the context
 */
#ifndef XDRV_LDR_JIT_H
#define XDRV_LDR_JIT_H

#include <llvm-c/Core.h>
#include <llvm-c/LLJIT.h>
#include <llvm-c/Orc.h>
#include <llvm-c/TargetMachine.h>
#include <stdint.h>
#include <string.h>

#include "xdrv/loader.h"
#include "xdrv/runtime.h"
#include "xdrv/sdk.h"
#include "xdrv/signer.h"
#include "xdrv/util.h"

#define LDR_ERRMSG_MAX 4096

/* ---- target.c ---------------------------------------------------------------------------------
 */
struct ldr_host {
	char *triple;	   /* normalized host triple, malloc'd */
	char *cpu;	   /* LLVMGetHostCPUName, malloc'd */
	char *features;	   /* LLVMGetHostCPUFeatures, malloc'd */
	char *description; /* "triple cpu=NAME +f1,+f2,...", malloc'd */
	LLVMTargetRef target;
	int big_endian; /* host byte order (tests may set it to see the refusal) */
};
/* Register the LLVM target of the architecture this file was compiled for (once per process). */
int ldr_target_init(char **err);
int ldr_host_init(struct ldr_host *h, char **err);
void ldr_host_fini(struct ldr_host *h);
/* A TargetMachine for the host CPU at codegen level `opt_level` (0..3), PIC, small code model. The
 * caller disposes it (LLVMDisposeTargetMachine). NULL with *err on failure. */
LLVMTargetMachineRef ldr_host_tm(const struct ldr_host *h, uint32_t opt_level, char **err);
/* Give a portable-profile module the host's triple and the TM's data layout, and re-declare its
 * function imports without dso_local, so that the JIT links them through the GOT/PLT (the host
 * functions are further than +-2 GiB from JIT memory). */
int ldr_module_retarget(LLVMModuleRef m, LLVMTargetMachineRef tm, const char *triple, char **err);
/* LLVMRunPasses(m, "default<O<opt_level>>", tm). */
int ldr_module_optimize(LLVMModuleRef m, LLVMTargetMachineRef tm, uint32_t opt_level, char **err);
/* A new declaration like function `f` (type, calling convention, attributes), unnamed, in the
 * same module; used to turn definitions into imports. */
LLVMValueRef ldr_function_redeclare(LLVMValueRef f);

/* ---- specialize.c -----------------------------------------------------------------------------
 */
/* Parse `text` for a parameter of XDRV_PARAM_* `type`: decimal or 0x hex (with '-' for i32/i64),
 * true/false/1/0 for bool. The result is the two's-complement bit pattern. */
int ldr_param_parse(const struct sdk_param *p, const char *text, uint64_t *out, char **err);
/* For each declared parameter: take the override from `pv` (or the default), check it against
 * min..max (signed compare for i32/i64), make it the initializer of xdrv_param_<name> and mark
 * that global constant. Unknown names in `pv` are errors. If `values` is not NULL it receives
 * d->nparams values (the ones applied). */
int ldr_specialize(LLVMModuleRef m, const struct sdk_descriptor *d,
		   const struct ldr_param_value *pv, size_t npv, uint64_t *values, char **err);
/* The same checks and values without a module: d->nparams values into `values` (the object
 * cache's key needs them before any bitcode is parsed). */
int ldr_param_values(const struct sdk_descriptor *d, const struct ldr_param_value *pv, size_t npv,
		     uint64_t *values, char **err);

/* ---- ctx.c / image.c --------------------------------------------------------------------------
 */
struct ldr_image;

struct ldr_ctx {
	struct ldr_config cfg; /* strings copied below */
	char *trust_root;
	char *extract_dir;
	struct sig_trust *trust; /* NULL when no trust root (allow_unsigned) */
	struct ldr_host host;
	LLVMOrcLLJITRef jit;
	LLVMOrcExecutionSessionRef es;
	const struct ldr_abi_binding *bindings;
	size_t nbindings;
	const struct ldr_abi_binding *rt_bindings; /* ldr_rt_bindings: weak, for the back end */
	size_t nrt_bindings;
	struct ldr_image *images; /* loaded images, newest first */
	uint64_t next_id;
	char *jit_errors; /* errors the session reported since the last take (ES error reporter) */
	struct ldr_image *obj_digest_img; /* eager emission in progress: objects hash into it */
	struct ldr_cache *cache;	  /* the object cache (cache.c), NULL: none */
	char *cache_policy;		  /* part of every cache key */
	char llvm_version[32];		  /* "19.1.7", for the cache key (tests change it) */
	/* lazy mode: the loader's thunks even where ORC has lazy re-exports (tests set it) */
	int lazy_thunks_always;
	/* tier auto: tier 2 gets a damaged copy of tier 1's bitcode (tests: a tier 2 that fails) */
	int tier_test_corrupt;
	/* the compiler process (compile.c): eager loads keep a copy of their object even without
	 * a cache (set in that process only); forks made (tests count them); a sleep before
	 * compiling (tests only: a compiler process that hangs), raw bytes it answers instead of
	 * compiling (tests only: a compiler process taken over by the package) */
	int capture_objects;
	/* the compiler process in lazy mode (lazy_remote.c): every object emitted, in order,
	 * until taken */
	int capture_all;
	/* revocation of live patches (ldr_ctx_set_revocation; borrowed), NULL: none */
	const struct sig_revocation *revocation;
	/* the compiler process: compile this generation of a swappable load (tier.c) */
	const struct ldr_gen_job *gen_job;
	struct ldr_obj_buf {
		uint8_t *p;
		size_t n;
	} * captured;
	size_t ncaptured;
	uint32_t compile_forks;
	uint32_t compile_test_sleep_ms;
	const uint8_t *compile_test_reply; /* tests only: the process sends these bytes instead */
	size_t compile_test_reply_len;
	char errmsg[LDR_ERRMSG_MAX];
};
/* Remember `err` (may be NULL) as the context's last error. Inline here because both ctx.c and
 * image.c set it, and ctx.c (which unloads images) must not be needed by image.c. */
static inline void ldr_ctx_set_error(struct ldr_ctx *ctx, const char *err)
{
	if (!ctx)
		return;
	if (xdrv_snprintf(ctx->errmsg, sizeof ctx->errmsg, "%s", err ? err : "") != 0) {
		/* keep the head of an overlong message and say it was cut */
		memcpy(ctx->errmsg + sizeof ctx->errmsg - 5, "...", 4);
	}
}
/* Replace the ABI binding table (tests; also a future runtime with per-backend bindings). The
 * table is borrowed and must outlive the context. */
void ldr_ctx_set_bindings(struct ldr_ctx *ctx, const struct ldr_abi_binding *b, size_t n);

struct ldr_image {
	struct ldr_ctx *ctx;
	struct ldr_image *next;
	uint64_t id;
	char *label;
	char *name;
	uint32_t mode;
	uint32_t abi_version;
	int has_manifest;
	struct sdk_manifest manifest;
	int sig_checked;
	struct sig_info sig;
	uint64_t *param_values; /* manifest/descriptor params, values applied */
	size_t nparams;
	LLVMOrcJITDylibRef jd;
	LLVMOrcResourceTrackerRef rt;
	LLVMOrcLazyCallThroughManagerRef lctm; /* lazy mode with ORC's re-exports */
	LLVMOrcIndirectStubsManagerRef ism;    /* lazy mode with ORC's re-exports */
	char **lazy_bodies; /* lazy mode: "F$body" of thunk i (lazy.c), malloc'd (jit.c frees) */
	uint32_t nlazy;	    /* entries in lazy_bodies */
	int lazy_fd;	    /* lazy mode in a driver host: the session to the compiler process
			       (lazy_remote.c); -1 or 0 when unused (never closed by the image) */
	uint32_t lazy_resolved; /* thunks resolved (slots filled) */
	uint32_t compiled, total;
	const struct xdrv_driver *desc;
	struct ldr_timings t;
	/* objects emitted while obj_digest_img pointed here, and the SHA-256 chain over their
	 * SHA-256s (ldr_image_object_digest) */
	uint32_t nobjects;
	unsigned char obj_digest[32];
	/* a load that will store its object in the cache: the transform keeps a copy of the
	 * first object emitted */
	int obj_capture;
	uint8_t *obj_copy;
	size_t obj_len;
	const char *cache_state; /* ldr_image_cache_state: static string */
	struct ldr_tier *tier;	 /* tier auto (tier.c), else NULL */
	/* a packet extension (issue 16, ext_priv.h): its JITDylib binds ext_symbols.def only
	 * (ext_bind.c), its budget counter is its own (allocated there, freed at unload), and
	 * its descriptor is `xdrv_extension` (ext_desc, in JIT memory) */
	int is_ext;
	struct ldr_budget_state *ext_budget;
	const void *ext_desc;
	/* loaded from a package (ldr_image_load_buf): the SHA-256 of its payload, the identity a
	 * live patch names (patch.h); signed or not */
	int has_payload_digest;
	uint8_t payload_digest[32];
};

/* Shared by image.c and compile.c: a failure message to the context and the caller (takes e,
 * returns rc); the loader's package caps from the configuration; a package file read whole
 * under the largest size the caps admit (errors prefixed "package BASE"); a path's last
 * component. */
int ldr_fail(struct ldr_ctx *ctx, int rc, char *e, char **err);
void ldr_caps_from(const struct ldr_config *cfg, struct sdk_caps *caps);
int ldr_package_read(struct ldr_ctx *ctx, const char *path, uint8_t **buf, size_t *len, char **err);
const char *ldr_package_base(const char *path);
/* Steps 1-2 of a load, shared by image.c and patch.c: the signature before anything reads the
 * payload (trailer; sig_verify against ctx->trust: CMS, chain, time floor, digest; an unsigned
 * package only with allow_unsigned, -EPERM otherwise; a signed one without a trust root is
 * loaded unchecked, *sig_checked 0), then the archive and manifest under the context's caps
 * (sdk_package_read, extracted to cfg.extract_dir if set and `extract`: a driver's load, not a
 * patch's, whose members would collide with its base's there). On success *pkg is the caller's to
 * free (sdk_package_free); *sig is filled when *sig_checked; *payload_len is what the
 * signature covers (the whole buffer when unsigned); *verify_ns (may be NULL) the time of the
 * signature step. Messages without the package's name ("signature: ...", "archive: ..."). */
int ldr_package_open(struct ldr_ctx *ctx, const uint8_t *buf, size_t len, int extract,
		     struct sdk_package *pkg, struct sig_info *sig, int *sig_checked,
		     size_t *payload_len, uint64_t *verify_ns, char **err);
/* Steps 4-5 short of optimization, shared by image.c and patch.c: the budget instrumentation of
 * the context's configuration (`budget`: LDR_HOST_NO_BUDGET for an extension, whose budget is
 * its own; LDR_HOST_BUDGET for a driver; LDR_HOST_BUDGET_PATCH for a live patch:
 * ldr_budget_instrument_patch), a host TargetMachine at the context's opt level, and
 * ldr_module_retarget. *tm_out (may be NULL: the machine is disposed) gets the machine on
 * success, for the caller to dispose. */
#define LDR_HOST_NO_BUDGET    0
#define LDR_HOST_BUDGET	      1
#define LDR_HOST_BUDGET_PATCH 2
int ldr_module_for_host(struct ldr_ctx *ctx, LLVMModuleRef m, int budget,
			LLVMTargetMachineRef *tm_out, char **err);

#define LDR_LOAD_NO_LINT 1u /* tests only: skip sdk_lint (to show that the JIT still refuses) */
#define LDR_LOAD_EXT	 4u /* a packet extension (ext_priv.h): its lint, memory check, budget */
/* The pipeline from a parsed module on: [lint] -> [specialize] -> retarget -> optimize -> JIT.
 * `m` must live in `tsc`'s context; ownership of `m` passes to this function in all cases.
 * `d` (may be NULL: no descriptor, no parameters) declares the parameters. The image takes
 * nothing else from the caller; manifest and signature are filled in by image.c. */
int ldr_image_load_module(struct ldr_ctx *ctx, LLVMOrcThreadSafeContextRef tsc, LLVMModuleRef m,
			  const char *label, const struct sdk_descriptor *d, uint32_t flags,
			  const struct ldr_param_value *params, size_t nparams,
			  struct ldr_image **out, char **err);

/* compile.c: link a compiled object as ldr_image_load_compiled does; is_ext: a packet
 * extension (its ABI, its descriptor `xdrv_extension` in img->ext_desc). */
struct ldr_compiled;
int ldr_compiled_link(struct ldr_ctx *ctx, const struct ldr_compiled *c, int is_ext,
		      struct ldr_image **out, char **err);

/* ---- jit.c ------------------------------------------------------------------------------------
 */
int ldr_jit_create(struct ldr_ctx *ctx, uint32_t opt_level, char **err);
void ldr_jit_destroy(struct ldr_ctx *ctx);
/* Create the image's bare JITDylib and resource tracker and define the ABI symbols available
 * at img->abi_version as absolute symbols. */
int ldr_jit_image_begin(struct ldr_image *img, char **err);
/* Remove everything the image put into the JIT (idempotent). */
void ldr_jit_image_end(struct ldr_image *img);
/* Add a relocatable object (copied) to the image: a cache hit. */
int ldr_jit_add_object(struct ldr_image *img, const uint8_t *obj, size_t len, char **err);
/* Add a whole module to the image (ownership of `m` passes in all cases). */
int ldr_jit_add_module(struct ldr_image *img, LLVMOrcThreadSafeContextRef tsc, LLVMModuleRef m,
		       char **err);
/* Look up `n` names in the image's JITDylib only; all must be found. exported_only: do not
 * match hidden symbols. Materializes what is not yet compiled. */
int ldr_jit_lookup(struct ldr_image *img, const char *const *names, size_t n, int exported_only,
		   uint64_t *addrs, char **err);
/* Errors the session reported (link failures name the missing symbols); caller frees. */
char *ldr_jit_take_errors(struct ldr_ctx *ctx);
/* Count of defined functions in `m`. */
uint32_t ldr_module_defined_functions(LLVMModuleRef m);
/* Turn an LLVMErrorRef into an xdrv_err message (consumes it); returns `code`. Inline here
 * because jit.c, lazy.c and target.c all report LLVM errors, and jit.c uses target.c. */
static inline int ldr_llvm_err(char **err, LLVMErrorRef e, int code, const char *what)
{
	char *msg = LLVMGetErrorMessage(e);
	xdrv_err(err, code, "%s: %s", what, msg ? msg : "unknown LLVM error");
	LLVMDisposeErrorMessage(msg);
	return code;
}

/* ---- cache.c ----------------------------------------------------------------------------------
 */
struct ldr_cache_key {
	uint8_t digest[32];
	char hex[65];
	char *text; /* the canonical text hashed, malloc'd */
};
/* The key of an eager load of the package whose payload has SHA-256 `payload_hex`, with the
 * manifest's parameters at `values`, in this context. */
int ldr_cache_key_make(const struct ldr_ctx *ctx, const char *payload_hex,
		       const struct sdk_manifest *m, const uint64_t *values,
		       struct ldr_cache_key *k, char **err);
void ldr_cache_key_free(struct ldr_cache_key *k);
struct ldr_cache_hit {
	uint8_t *obj; /* malloc'd */
	size_t obj_len;
	uint8_t obj_sha256[32];
	uint32_t functions;
};
/* Read and authenticate the entry of key k. 0: a hit (the entry's mtime becomes now); -ENOENT:
 * no entry; -EBADMSG: an entry that failed (*why says how: HMAC, size, another key, ...); any
 * other negative: it could not be read (*why). */
int ldr_cache_get(struct ldr_cache *c, const struct ldr_cache_key *k, struct ldr_cache_hit *h,
		  char **why);
void ldr_cache_hit_free(struct ldr_cache_hit *h);
/* Store an entry (temporary file + rename), then evict the least recently used entries until
 * the folder is within the cap. An object larger than the cap is not stored (-EFBIG). */
int ldr_cache_put(struct ldr_cache *c, const struct ldr_cache_key *k, const char *name,
		  const char *version, uint32_t functions, const uint8_t *obj, size_t len,
		  char **err);

/* ---- budget.c ---------------------------------------------------------------------------------
 */
/* The absolute symbols of an image's JITDylib that instrumented code uses (jit.c defines them
 * when the context's configuration instruments): the state (struct ldr_budget_state,
 * runtime_budget.c) and the host function that stops the driver. */
#define LDR_BUDGET_STATE_SYM "__xdrv_budget"
#define LDR_BUDGET_STOP_SYM  "__xdrv_budget_exhausted"
struct ldr_budget_stats {
	uint32_t functions;	/* functions instrumented */
	uint32_t back_edges;	/* edges (and musttail calls) counted */
	uint32_t depth_checked; /* functions whose frames count: those that can recurse */
};
/* Count every backward edge (at most `edges` per outermost entry into driver code; 0: not
 * counted) of every defined function of `m`, and the call depth of those that can recurse (at
 * most `depth` of their frames at once; 0: not counted). Runs on the specialized module, before
 * optimization. -EINVAL for a module that names __xdrv_budget* itself or has a loop it cannot
 * count. st may be NULL. */
int ldr_budget_instrument(LLVMModuleRef m, uint64_t edges, uint32_t depth,
			  struct ldr_budget_stats *st, char **err);
/* The same for a live patch (patch.c), before it is linked into its base: a function that calls
 * a declared non-ABI function (its base's) or through a pointer counts its depth as well, since
 * it may be in a cycle through the base that the patch's own call graph cannot show. */
int ldr_budget_instrument_patch(LLVMModuleRef m, uint64_t edges, uint32_t depth,
				struct ldr_budget_stats *st, char **err);
/* Calls of __xdrv_budget_exhausted in `m` (0: not instrumented). */
uint32_t ldr_budget_stop_calls(LLVMModuleRef m);
/* runtime_budget.c: the host side the two symbols above bind to */
void *ldr_budget_state_addr(void);
/* Jumps to the innermost fault guard (the call into the driver); aborts without one. */
__attribute__((noreturn)) void ldr_budget_exhausted(uint32_t kind, uint64_t limit, const char *fn);

/* ---- lazy.c -----------------------------------------------------------------------------------
 */
/* Split the optimized module (ownership passes in) into a globals module and one module per
 * defined function, add them to the image, and make each F a stub for F$body: ORC's lazy
 * re-exports where ORC has a lazy call-through manager for the host (and not
 * ctx->lazy_thunks_always), else a thunk in the globals module that calls F$body through a
 * slot the loader fills on F's first call. */
int ldr_lazy_add(struct ldr_image *img, LLVMOrcThreadSafeContextRef tsc, LLVMModuleRef m,
		 char **err);
/* The string attribute that marks a thunk: not a function body, not counted as compiled. */
#define LDR_LAZY_THUNK_ATTR "xdrv-lazy-thunk"
/* Number of lazy call-through failures since process start (the error handler counts them). */
uint64_t ldr_lazy_failures(void);

/* lazy.c, shared with tier.c: make internal symbols linkable from another module (hidden,
 * named); a thunk's function attributes; a call's attributes copied from the callee (1: a
 * tail call is safe, 0: not, -ENOMEM). */
int ldr_lazy_prepare(LLVMModuleRef m, char **err);
void ldr_lazy_strip_fn_attrs(LLVMValueRef f);
int ldr_lazy_copy_call_attrs(LLVMValueRef f, LLVMValueRef call);
/* At the builder's place: call `target` (of f's type) with f's own arguments, calling
 * convention and parameter attributes (a tail call where they allow it), and return what it
 * returns: the body of a thunk (lazy.c's and tier.c's). 0 or -ENOMEM. */
int ldr_thunk_forward(LLVMBuilderRef b, LLVMValueRef f, LLVMValueRef target);

/* ---- tier.c ------------------------------------------------------------------------------- */
struct ldr_tier;
/* Whether a load of this context is tiered (tier auto, eager, in process). */
int ldr_tier_wanted(const struct ldr_ctx *ctx);
/* Tier 1 of the retargeted, specialized, instrumented module `m` (not yet optimized): keep its
 * bitcode for tier 2, then make every function F a thunk through F$slot to F$body (in place).
 * img->tier is set. */
int ldr_tier_split(struct ldr_image *img, LLVMModuleRef m, const struct sdk_descriptor *d,
		   int direct, char **err);
/* Whether a load of this context keeps its code swappable (cfg.swappable, eager, in process).
 * A swappable full or fast load is split with `direct` set: the bodies call each other
 * directly (the optimizer inlines across them), only entries from outside go through slots. */
int ldr_tier_swappable(const struct ldr_ctx *ctx);
/* After tier 1 is linked: start tier 2's thread. */
int ldr_tier_start(struct ldr_image *img, char **err);

/* Code swaps across processes (gen.c, the supervisor's; loader/README.md "Code swaps in a driver
 * domain and in a boot"). A generation the compiler process is asked for: set in the context
 * (ctx->gen_job) across the fork, read by the load. */
struct ldr_patch;
struct ldr_gen_job {
	uint32_t generation; /* >= 1: bodies F$g<N> */
	const uint64_t *values;
	size_t nvalues;			  /* the descriptor's parameters, all of them */
	struct ldr_patch *const *patches; /* live patches, oldest first, checked by the caller */
	size_t npatches;
};
/* The compiler process, after ldr_tier_split (direct) of the load: generation job->generation
 * compiled at once; it becomes img->obj_copy (nothing is linked). */
int ldr_tier_gen_object(struct ldr_image *img, const struct ldr_gen_job *job, char **err);
/* The supervisor: ldr_package_compile_mem of generation job->generation (job NULL: the
 * load's), by the compiler process, never from the object cache. */
int ldr_package_compile_gen(struct ldr_ctx *ctx, const uint8_t *buf, size_t len, const char *label,
			    const struct ldr_param_value *pv, size_t npv,
			    const struct ldr_gen_job *job, struct ldr_compiled **out, char **err);
/* The driver host, after linking generation 0 compiled by a compiler process: an object with
 * slots (F$slot) makes the image swappable by ldr_image_swap_compiled; one without is left as
 * it is (0). */
int ldr_tier_adopt(struct ldr_image *img, const uint8_t *obj, size_t len, char **err);
/* A generation as the driver host received it (from a struct ldr_compiled, compile.c). */
struct ldr_compiled_gen {
	const char *name; /* the driver's, from the record's manifest */
	uint32_t generation, what;
	const char *change;
	const uint64_t *values;
	size_t nvalues;
	const uint8_t *obj;
	size_t obj_len;
	uint64_t compile_ns;
};
int ldr_image_swap_compiled(struct ldr_image *img, const struct ldr_compiled_gen *g,
			    struct ldr_tier_info *ti, char **err);
/* The checks of a live parameter change (ldr_image_param_set's, and gen.c's): declared, a
 * valid value in range, declared XDRV_PARAM_F_LIVE, not the running value. *k its index, *v the
 * value. */
int ldr_param_live_check(const char *who, const struct sdk_param *params, size_t nparams,
			 const uint64_t *live_vals, const char *name, const char *value, size_t *k,
			 uint64_t *v, char **err);
/* At unload: stop waiting for the thread, free (idempotent). */
void ldr_tier_end(struct ldr_image *img);

/* ---- lazy mode across processes (lazy_remote.c) -------------------------------------------- */
/* lazy.c: define the two absolute symbols the thunks call (the resolver `resolve`, this image);
 * the error handler a failed resolution returns in place of the function. */
typedef void *(*ldr_lazy_resolver)(struct ldr_image *img, void **slot, uint32_t id);
int ldr_lazy_define_symbols(struct ldr_image *img, ldr_lazy_resolver resolve, char **err);
uint64_t ldr_lazy_error_handler(void);
/* The objects captured so far (ctx->capture_all), taken: *out and *n, the caller frees each
 * p and the array. */
void ldr_jit_take_captured(struct ldr_ctx *ctx, struct ldr_obj_buf **out, size_t *n);
/* In the compiler process: answer the driver hosts' requests for function objects on the
 * session `fd` until it reaches its end. 0, or -errno. */
int ldr_lazy_serve(struct ldr_image *img, int fd);
/* In the driver host: thunks resolve through the compiler process on session `fd`. */
int ldr_lazy_remote_attach(struct ldr_image *img, int fd, char **err);
/* The host's side of one exchange (exported for the fuzz target): send the request for
 * function `id` as exchange `seq`, read its answer (messages of other exchanges skipped), check
 * it: the body's name (printable, ending "$body") and the objects as one blob of `nobjs`
 * length-prefixed objects (*blob malloc'd). 0, or -errno with *err. */
#define LDR_LAZY_NAME_MAX 512u
int ldr_lazy_fetch(int fd, uint32_t seq, uint32_t id, char name[LDR_LAZY_NAME_MAX], uint8_t **blob,
		   uint64_t *len, uint32_t *nobjs, char **err);
/* Walk such a blob: each(arg, object, length) per object, every length checked against what
 * is left, nothing after the last. 0, each's error, or -EPROTO with *err. */
int ldr_lazy_blob_walk(const uint8_t *blob, uint64_t len, uint32_t nobjs,
		       int (*each)(void *arg, const uint8_t *obj, size_t n, char **err), void *arg,
		       char **err);

#endif
