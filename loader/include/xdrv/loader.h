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

/* Tiers (loader/README.md, "Tiers"): full compiles at opt_level (today's behaviour, a zeroed
 * config); fast compiles at O0 with fast instruction selection and stays there; auto links an
 * O0 first tier whose functions are called through slots, compiles opt_level in a background
 * thread and swaps it in between two dispatches (ldr_driver_dispatch). Eager mode, in process
 * only (a compiler process or driver host refuses auto). */
#define LDR_TIER_FULL 0u
#define LDR_TIER_FAST 1u
#define LDR_TIER_AUTO 2u

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
	const char *cache_dir;	  /* the object cache's folder (below); NULL: no cache */
	uint64_t cache_max_bytes; /* the cache's size cap; 0: LDR_CACHE_MAX_DEFAULT */
	const char *cache_policy; /* the safety policy, part of every cache key; NULL: "none" */
	/* the compiler process (ldr_package_compile): its watchdog in ms (0: the default,
	 * LDR_COMPILE_TIMEOUT_DEFAULT_MS) and the address space it may add to what it had when
	 * forked (0: LDR_COMPILE_MEM_DEFAULT; not applied in sanitizer builds) */
	uint32_t compile_timeout_ms;
	uint64_t compile_mem_bytes;
	/* Budgets in the driver's code (loader/README.md "Budgets"), part of every cache key:
	 * backward edges (loop iterations) one entry into driver code may take, and the depth of
	 * driver calls; exhausting either stops the driver, naming the function. 0: that one is
	 * not instrumented (a zeroed config instruments nothing; xdrv load/run/bench use the
	 * defaults below). At most LDR_BUDGET_EDGES_MAX and LDR_BUDGET_DEPTH_MAX. */
	uint64_t budget_edges;
	uint32_t budget_depth;
	uint32_t tier; /* LDR_TIER_FULL (0), LDR_TIER_FAST or LDR_TIER_AUTO */
	/* Keep a driver's code swappable for its life (tier.c, loader/README.md "Code swaps"):
	 * every function called through a slot, the specialized bitcode kept, so that
	 * ldr_image_param_set and ldr_image_patch_apply can change it while it runs. Eager, in
	 * process (the compiler process ignores it; a boot does not offer it); no object cache (the
	 * object would have no slots). Tier auto is swappable by nature. */
	uint32_t swappable;
};
#define LDR_BUDGET_EDGES_DEFAULT (2ull << 20) /* 2 Mi: 1-30 ms of CPU (loader/README.md) */
#define LDR_BUDGET_DEPTH_DEFAULT 256u
#define LDR_BUDGET_EDGES_MAX	 (1ull << 48)
#define LDR_BUDGET_DEPTH_MAX	 (1u << 20)

/* Create a context: loads the trust root (if any), initializes the LLVM target of the
 * architecture the loader was built for, describes the host CPU, creates the LLJIT, binds the
 * ABI to ldr_abi_bindings(), opens the object cache if cfg->cache_dir is set (ldr_cache_open:
 * its errors are the context's). Strings in cfg are copied. -EINVAL for a bad configuration. */
int ldr_ctx_create(const struct ldr_config *cfg, struct ldr_ctx **out, char **err);
void ldr_ctx_destroy(struct ldr_ctx *ctx); /* unloads remaining images; NULL-safe */
/* The revocation inputs (CRL, deny-list: signer/revocation.h) a live patch applied in this
 * context is checked against (ldr_image_patch_apply), as a driver's package is at boot; borrowed,
 * NULL: none. */
struct sig_revocation;
void ldr_ctx_set_revocation(struct ldr_ctx *ctx, const struct sig_revocation *rev);
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
	uint64_t parse_ns; /* bitcode parse + LLVMVerifyModule + lint + descriptor (0: cache hit) */
	uint64_t opt_ns;   /* specialization + O2 (0: cache hit) */
	uint64_t jit_ns;   /* eager: all code emitted (cache hit: the object linked); lazy: stubs
			      + globals */
	uint64_t total_ns;
	uint64_t cache_ns; /* object cache: key, read + authenticate (hit), or store (miss) */
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
/* The SHA-256 of the payload of the package the image was loaded from (what its signature
 * covers, sig_info.digest_hex; an unsigned package's whole file): the identity a live patch
 * names in its manifest's "patch_for". -ENODATA for an image not loaded from a package. */
int ldr_image_payload_digest(const struct ldr_image *img, uint8_t out[32]);
/* The parameter values the image was specialized with, in the manifest's params order;
 * borrowed. */
const uint64_t *ldr_image_param_values(const struct ldr_image *img, size_t *n);
/* Number of functions compiled so far (lazy mode: grows as they are called). */
uint32_t ldr_image_compiled_functions(const struct ldr_image *img);
uint32_t ldr_image_total_functions(const struct ldr_image *img);
/* Where the image's code came from: "hit" (the object cache), "miss" (compiled, and stored in
 * the cache), "rejected" (a cache entry failed authentication: compiled again, the entry
 * replaced, and said on stderr), "off" (no cache, lazy mode, or not loaded from a package). */
const char *ldr_image_cache_state(const struct ldr_image *img);
/* Remove the image's code and data from the JIT. NULL-safe. The caller must have unbound it. */
void ldr_image_unload(struct ldr_image *img);

/* ---- object cache (cache.c; loader/README.md "Object cache") ---------------------------------
 * The relocatable object an eager load compiled, kept in a folder and keyed by the SHA-256 of a
 * canonical text of everything that determines it: the package payload's digest, the loader
 * (version, git commit, build-id), the driver ABI, LLVM (version, build-id), host triple, CPU
 * and features, JIT mode and level, the specialization values and the safety policy. An entry
 * (KEYHEX.xoc) is header + object + metadata + HMAC-SHA256 over all of it under the folder's
 * host key (cache.key: 32 random bytes, mode 0600, made on first use). The folder and the key
 * must not be writable (or, the key, readable) by anyone but their owner. */
#define LDR_CACHE_MAX_DEFAULT (256ull << 20)
#define LDR_CACHE_ENTRY_MAX   (64u << 20) /* one entry's bytes */
/* ldr_cache_open: -ENOENT if the folder is missing, and no key made (no entry verifies then) */
#define LDR_CACHE_OPEN_EXISTING 1u
struct ldr_cache;
/* Open (and create, mode 0700, unless LDR_CACHE_OPEN_EXISTING) the cache in `dir`, reading (or
 * making) its key. -EPERM for a folder or key others could write (or read, the key), -EBADMSG
 * for a key that is not 32 bytes. max_bytes 0: LDR_CACHE_MAX_DEFAULT. */
int ldr_cache_open(const char *dir, uint64_t max_bytes, unsigned flags, struct ldr_cache **out,
		   char **err);
void ldr_cache_close(struct ldr_cache *c); /* wipes the key; NULL-safe */
const char *ldr_cache_dir(const struct ldr_cache *c);
struct ldr_cache_entry {
	char file[96]; /* its file name in the folder (a name is never trusted) */
	uint64_t size; /* bytes on disk */
	int64_t used;  /* last store or hit: the file's mtime, Unix seconds */
	int ok;	       /* authenticated and well-formed; else `problem` says why */
	char problem[256];
	/* the rest only when ok (from the authenticated entry): */
	char key[65], object_sha256[65];
	uint64_t object_size;
	char name[64], version[32], package_sha256[65], cpu[64], mode[8];
	uint32_t opt, functions;
};
/* Call fn for every entry (KEYHEX.xoc) in name order, each read and authenticated; *total gets
 * the bytes of all of them. fn returning non-zero stops the scan with that value. */
int ldr_cache_scan(struct ldr_cache *c, int (*fn)(void *arg, const struct ldr_cache_entry *e),
		   void *arg, uint64_t *total, char **err);
/* Remove every entry and leftover temporary file (the key stays); *removed: entries removed. */
int ldr_cache_clear(struct ldr_cache *c, size_t *removed, char **err);
/* Forget the context's cache (its key wiped from memory): `xdrv boot` does this in a driver's
 * process before the driver's code runs. Later loads of the context compile. */
void ldr_ctx_drop_cache(struct ldr_ctx *ctx);

/* ---- the compiler process (compile.c; loader/README.md "The compiler process") ---------------
 * The supervisor (xdrv run, xdrv boot) never parses bitcode: LLVM's bitcode reader is not
 * hardened against hostile input. ldr_package_compile does steps 1-2 (signature, archive and
 * manifest; no bitcode) in this process and looks the object cache up (a hit: no compiler
 * process at all); on a miss it forks a compiler process that parses, lints, specializes,
 * optimizes and emits the relocatable object, and sends it back on a pipe (one framed message,
 * sizes capped, parsed strictly) under a watchdog (cfg.compile_timeout_ms) and rlimits (CPU
 * time, address space, no core dumps), with PR_SET_NO_NEW_PRIVS and every file closed but its
 * pipe and 0-2. A crash or hang of LLVM on the package costs that process and becomes the
 * error: "compiler process for PKG died: SIGSEGV (LLVM crashed on the package's bitcode);
 * nothing of it was loaded", "... did not answer within N ms; killed". The object is stored in
 * the cache, and its digest computed, here, from the bytes received.
 * Lazy mode (cfg.jit_mode LDR_JIT_LAZY): the object is the globals object (globals, the
 * loader's thunks, the descriptor), and the compiler process stays, compiling each function
 * when a driver host first calls it and sending the object on a session
 * (ldr_compiled_session_fd, which the driver host must have open); ldr_compiled_free ends it.
 * Lazy loads are not cached. */
#define LDR_COMPILE_TIMEOUT_DEFAULT_MS 600000u /* minutes: sanitizer builds under QEMU */
#define LDR_COMPILE_MEM_DEFAULT	       (2ull << 30)
#define LDR_COMPILE_ERR_MAX	       4096u /* a failure message from the compiler process */
struct ldr_compiled; /* a verified package turned into a relocatable object for this host */
int ldr_package_compile(struct ldr_ctx *ctx, const char *path, const struct ldr_param_value *pv,
			size_t npv, struct ldr_compiled **out, char **err);
/* The same from bytes already read (xdrv boot reads each package once and measures those). */
int ldr_package_compile_mem(struct ldr_ctx *ctx, const uint8_t *pkg, size_t len, const char *label,
			    const struct ldr_param_value *pv, size_t npv, struct ldr_compiled **out,
			    char **err);
/* The object (borrowed). */
const uint8_t *ldr_compiled_object(const struct ldr_compiled *c, size_t *len);
/* The object's digest as ldr_image_object_digest gives it for an image of one object,
 * SHA-256(0^32 || SHA-256(object)), computed by this process from the bytes it holds. */
void ldr_compiled_sha256(const struct ldr_compiled *c, uint8_t out[32]);
/* "hit" (from the object cache, no compiler process), "miss" (compiled and stored), "rejected"
 * (an entry failed authentication: compiled, replaced), "off" (no cache). */
const char *ldr_compiled_cache_state(const struct ldr_compiled *c);
/* verify_ns, extract_ns and cache_ns (key, lookup, store) in this process; jit_ns: the compiler
 * process's wall time (fork to answer; 0 on a hit); parse_ns and opt_ns as the compiler process
 * reported them (information only); total_ns. */
void ldr_compiled_timings(const struct ldr_compiled *c, struct ldr_timings *t);
/* The manifest, the parameter values (manifest order), the function count (as the compiler
 * process or the cache entry said: information), the verified signature or NULL. Borrowed. */
const struct sdk_manifest *ldr_compiled_manifest(const struct ldr_compiled *c);
const uint64_t *ldr_compiled_param_values(const struct ldr_compiled *c, size_t *n);
uint32_t ldr_compiled_functions(const struct ldr_compiled *c);
const struct sig_info *ldr_compiled_signature(const struct ldr_compiled *c);
/* Lazy mode: the session to the compiler process, for the driver hosts (pass it to each);
 * -1 in eager mode. */
int ldr_compiled_session_fd(const struct ldr_compiled *c);
void ldr_compiled_free(struct ldr_compiled *c); /* NULL-safe; lazy: ends the compiler process */
/* A record handed to a running driver host (an extension attached live, cli/run/ctl.c): written
 * into one malloc'd buffer (eager records only), and read back from bytes that came over a
 * socket, parsed strictly (sizes, counts, strings, the manifest with the SDK's parser, the
 * object's digest recomputed and compared). 0, or -EBADMSG / -E2BIG / -ENOMEM with *err. */
int ldr_compiled_wire_write(const struct ldr_compiled *c, uint8_t **out, size_t *len, char **err);
int ldr_compiled_wire_read(const uint8_t *buf, size_t len, struct ldr_compiled **out, char **err);
/* Driver-host side: link the object into a new image of ctx (as a cache hit is: no bitcode);
 * manifest, signature, parameter values and function counts from the record. The image's
 * ldr_image_object_digest equals ldr_compiled_sha256 (checked: -EIO otherwise). */
int ldr_image_load_compiled(struct ldr_ctx *ctx, const struct ldr_compiled *c,
			    struct ldr_image **out, char **err);

/* ---- tiers (tier.c; loader/README.md, "Tiers") ---------------------------------------------- */
#define LDR_TIER_NONE	   0u /* the image is not tiered (full, fast, lazy, a cache hit) */
#define LDR_TIER_COMPILING 1u /* tier 1 runs; tier 2 compiles in the background */
#define LDR_TIER_READY	   2u /* tier 2 compiled, swapped in at the next dispatch */
#define LDR_TIER_LIVE	   3u /* tier 2 runs: every slot points at its code */
#define LDR_TIER_FAILED	   4u /* tier 2 failed (error says why): tier 1 keeps running */
/* What the newest code swap was (struct ldr_tier_info.what). Generation 0 is the load's code;
 * each swap compiles generation N+1 of the whole module and stores every slot. */
#define LDR_SWAP_NONE	0u /* nothing swapped yet */
#define LDR_SWAP_TIER2	1u /* tier auto's optimized tier */
#define LDR_SWAP_PARAM	2u /* re-specialization (ldr_image_param_set) */
#define LDR_SWAP_PATCH	3u /* a live patch applied (ldr_image_patch_apply) */
#define LDR_SWAP_REVERT 4u /* the newest live patch reverted (ldr_image_patch_revert) */
struct ldr_tier_info {
	uint32_t state;		/* LDR_TIER_* above: of the newest swap (LIVE: its code runs) */
	uint32_t what;		/* LDR_SWAP_* of the newest swap */
	uint32_t generation;	/* of the code that runs (0: the load's) */
	uint32_t swappable;	/* the image can be re-specialized (slots, bitcode kept) */
	char change[160];	/* the newest swap's change, e.g. "csum_offload=0" */
	uint32_t opt_level;	/* of tier 2 */
	uint32_t functions;	/* functions called through a slot */
	uint32_t swapped;	/* slots that point at tier-2 code */
	uint64_t compile_ns;	/* tier 2's compile, in the background thread */
	uint64_t live_after_ns; /* from the end of the tier-1 load to the end of the swap */
	uint64_t swap_ns;	/* at the swap point: tier 2's object linked, the slots stored */
	uint8_t obj_sha256[32]; /* tier 2's object (state LIVE) */
	size_t obj_len;
	char error[512];
};
/* Code swaps across processes (driver domains, the boot; loader/README.md "Code swaps in a driver
 * domain and in a boot"). With cfg.swappable, ldr_package_compile* compile generation 0 with
 * slots, and the driver host's ldr_image_load_compiled makes that image swappable; a later
 * generation (struct ldr_gen, below, asks the compiler process for it) is linked into the
 * running image and every slot stored at once by ldr_image_swap_generation, between two
 * dispatches. `what` (LDR_SWAP_*) and `change` are for reports; *ti (may be NULL) gets the
 * swap's figures. -ENOTSUP an image without slots, -EINVAL a record of another driver or one
 * without a body for every slot, -ESTALE a generation not newer than the running one; on any
 * error the running code is unchanged. */
uint32_t ldr_compiled_generation(const struct ldr_compiled *c);
int ldr_image_swap_generation(struct ldr_image *img, const struct ldr_compiled *c, uint32_t what,
			      const char *change, struct ldr_tier_info *ti, char **err);

/* The supervisor's side of those swaps (gen.c): one swappable driver that runs in a driver host.
 * ldr_gen_new takes the package bytes and load parameters the host's generation 0 was compiled
 * from, and that record. Each change is checked as in process (ldr_image_param_set,
 * ldr_image_patch_apply, ldr_image_patch_revert: the same refusals and messages; a patch's
 * signature, chain, revocation with `rev` (may be NULL) and base digest here) and its generation
 * compiled by the compiler process: *out is the record to hand the driver host
 * (ldr_compiled_wire_write), whose answer the caller reports with ldr_gen_done(g, live). One
 * change at a time (-EBUSY until then); a change that fails or is not made live changes nothing
 * here. */
struct ldr_gen;
struct sig_revocation;
struct ldr_patch_info;
struct sdk_param;
int ldr_gen_new(struct ldr_ctx *ctx, const uint8_t *pkg, size_t len, const char *label,
		const struct ldr_param_value *pv, size_t npv, const struct ldr_compiled *gen0,
		struct ldr_gen **out, char **err);
void ldr_gen_free(struct ldr_gen *g); /* NULL-safe */
int ldr_gen_param(struct ldr_gen *g, const char *name, const char *value, struct ldr_compiled **out,
		  char **err);
int ldr_gen_patch_apply(struct ldr_gen *g, const uint8_t *buf, size_t len, const char *label,
			const struct sig_revocation *rev, struct ldr_compiled **out, char **err);
int ldr_gen_patch_revert(struct ldr_gen *g, struct ldr_compiled **out, char **err);
/* Tier auto across processes: the running code (its values and patches) compiled again at
 * opt_level (generation N, what LDR_SWAP_TIER2); once live, later changes compile at that level
 * too. -EALREADY when the code is at that level. */
int ldr_gen_tier2(struct ldr_gen *g, uint32_t opt_level, struct ldr_compiled **out, char **err);
void ldr_gen_done(struct ldr_gen *g, int live);
uint32_t ldr_gen_what(const struct ldr_gen *g);	     /* LDR_SWAP_* of the newest change */
const char *ldr_gen_change(const struct ldr_gen *g); /* e.g. "re-specialization (x=1)" */
uint32_t ldr_gen_live(const struct ldr_gen *g);	     /* the generation that runs */
const char *ldr_gen_name(const struct ldr_gen *g);
const struct sdk_param *ldr_gen_params(const struct ldr_gen *g, const uint64_t **vals, size_t *n);
size_t ldr_gen_patches(const struct ldr_gen *g, struct ldr_patch_info *out, size_t cap);
/* The values of the change compiled and not yet done (else the running ones); the digest (hex)
 * of the patch it applies or reverts ("" for a re-specialization). */
const uint64_t *ldr_gen_job_values(const struct ldr_gen *g, size_t *n);
const char *ldr_gen_subject(const struct ldr_gen *g);

/* The tiering state of an image (state LDR_TIER_NONE for one that is not tiered). */
void ldr_image_tier_info(const struct ldr_image *img, struct ldr_tier_info *out);
/* Swap in every tier 2 of this process that is ready (or report one that failed, once): the
 * driver runtime calls it from ldr_driver_dispatch, between two dispatches, with no driver
 * entry point running. A check of one atomic counter when nothing is ready. Returns the number
 * of images that changed state. */
int ldr_tier_poll(void);
/* Wait up to timeout_ms for tier 2 of `img` to be compiled or to fail (then poll swaps it).
 * 0, -ETIMEDOUT, or -ENODATA for an image that is not tiered. */
int ldr_image_tier_wait(struct ldr_image *img, uint32_t timeout_ms);
/* Called after each swap and each tier-2 failure, on the thread that polled (a supervisor
 * measures the swap there: the event log's JIT event with tier 2's object digest). */
typedef void (*ldr_tier_observer)(void *arg, struct ldr_image *img, const struct ldr_tier_info *ti);
void ldr_tier_set_observer(ldr_tier_observer fn, void *arg);
/*
 * Re-specialize a running driver (loader/README.md, "Code swaps"): give parameter `name` the
 * value `value` (text as --param takes it). The image must be swappable (cfg.swappable or tier
 * auto), the parameter declared XDRV_PARAM_F_LIVE, the value in its declared range, and no
 * swap compiling; otherwise nothing changes and the error says why (-ENOENT unknown name,
 * -EINVAL/-ERANGE bad value, -EPERM not live, -ENOTSUP not swappable, -EBUSY a swap
 * compiling). On 0 the whole module is compiled again in the background with the new value
 * folded in (generation N+1) and swapped in at the next dispatch like tier 2 (ldr_tier_poll;
 * ldr_image_tier_wait waits for the compile); ldr_image_param_values then shows the value. A
 * value equal to the running one is -EALREADY.
 */
int ldr_image_param_set(struct ldr_image *img, const char *name, const char *value, char **err);
/*
 * Live patches (loader/README.md, "Code swaps"; the package: patch.h): apply the signed patch
 * package at `path` to the running swappable image. It must name this image's payload digest
 * (patch_for) and driver, verify like a driver package with the context's trust root, and merge
 * (each function it replaces defined here with the identical type; tried at once on the kept
 * bitcode, so a refusal is answered here and nothing changes). Then generation N+1 (the base,
 * the patches already live, this one, the running parameter values) compiles in the background
 * and is swapped in like a re-specialization. -EALREADY for a patch applied already, -EBUSY,
 * -ENOTSUP as ldr_image_param_set; the reader's and the merge's codes otherwise.
 * ldr_image_patch_revert compiles the code without the newest live patch (-ENOENT: none).
 */
int ldr_image_patch_apply(struct ldr_image *img, const char *path, char **err);
int ldr_image_patch_revert(struct ldr_image *img, char **err);
struct ldr_patch_info {
	char version[64];
	uint8_t sha256[32]; /* the patch package's payload digest */
	uint32_t functions; /* replaced */
};
/* The live patches of the running code, oldest first: their count (cap of them into out). */
size_t ldr_image_patches(const struct ldr_image *img, struct ldr_patch_info *out, size_t cap);
/* "tier 2", "re-specialization", ... for LDR_SWAP_*. */
const char *ldr_swap_name(uint32_t what);
/* "full", "fast", "auto"; and the reverse (-EINVAL for another word). */
const char *ldr_tier_name(uint32_t tier);
int ldr_tier_parse(const char *s, uint32_t *tier);

#endif
