/* SPDX-License-Identifier: MIT */
/*
 * SDK: build C sources into portable driver bitcode, lint bitcode against the portability
 * profile and the ABI, read the driver descriptor from bitcode, write and read package
 * manifests, write and read package archives. The loader links this library too: it runs the
 * same lint and the same manifest and archive readers on what it receives, never trusting that
 * the SDK ran.
 *
 * All functions: 0 or a negative errno; on failure *err (if err is not NULL) gets a malloc'd
 * message the caller frees, naming the thing and the place. Not thread-safe per object.
 */
#ifndef XDRV_SDK_H
#define XDRV_SDK_H

#include <llvm-c/Core.h>
#include <stddef.h>
#include <stdint.h>

/* The portable profile: LP64, little-endian, signed char, neutral triple. The data layout is
 * the one clang-19 uses for le64 (PNaCl's neutral target); clang makes every struct padding and
 * every load/store/alloca alignment explicit in the IR, so the loader can replace it with the
 * host's layout without moving a field. The profile name is recorded in the module flag
 * "xdrv.profile" (behaviour Error, so modules of different profiles never link). */
#define SDK_PROFILE	 "xdrv-lp64le-1"
#define SDK_TRIPLE	 "le64-unknown-unknown"
#define SDK_DATALAYOUT	 "e-m:e-v128:32-v16:16-v32:32-v96:32-n8:16:32:64-S128"
#define SDK_PROFILE_FLAG "xdrv.profile"
#define SDK_CLANG	 "clang-19" /* overridden by $XDRV_CLANG */

/* ---- build ---------------------------------------------------------------------------------- */
struct sdk_build_opts {
	const char *const *sources; /* C files */
	size_t nsources;
	const char *output;	    /* .bc path */
	const char *const *defines; /* "NAME=VALUE" or "NAME", may be NULL */
	size_t ndefines;
	const char *const *include_dirs; /* extra -I dirs (driver-local headers), may be NULL */
	size_t ninclude_dirs;
	const char *abi_include_dir; /* driver-abi/include; NULL: sdk_abi_include_find */
	int verbose;		     /* print the clang command lines */
	int no_lint;   /* testing loaders only: write the module even if the descriptor or lint
			  check fails (the problems go to stderr as warnings) */
	int extension; /* a packet extension (`xdrv build --extension`): the module must define
			  xdrv_extension; after linking, static functions with pointer parameters
			  are inlined and locals promoted to registers (sdk/README.md, "The
			  extension profile"), then it is linted with the extension profile */
	int patch;     /* a live patch's sources (`xdrv build --patch`, sdk/README.md "Patch
			  packages"): no descriptor; linted with sdk_lint_patch at this SDK's ABI */
};
/* Compile each source with clang for the profile (run with posix_spawnp, never a shell;
 * freestanding, ABI headers only, -O2 -Xclang -disable-llvm-passes, -fsigned-char; the full
 * flag list is in sdk/README.md), link them into one module (LLVMLinkModules2), normalize it
 * (sdk_normalize), verify it, read the descriptor and lint it at the descriptor's ABI version,
 * then write `output` atomically. Descriptor and lint problems are reported together; compiler
 * diagnostics become the message on failure and go to stderr (warnings) on success. */
int sdk_build(const struct sdk_build_opts *opts, char **err);

/* Find the driver ABI headers (the folder holding xdrv/abi.h) for the program at `exe` (NULL:
 * this process, from /proc/self/exe), so that a moved or relocated install still finds them and
 * no build path is baked into the binary. In order: $XDRV_ABI_INCLUDE if set (an error if it
 * lacks xdrv/abi.h: an explicit choice is never silently replaced); PREFIX/include/xdrv-driver
 * for a program in PREFIX/bin (`make install`, the xdrv-driver-dev package); driver-abi/include
 * in one of the first four folders above the program's folder (run from a build folder inside
 * the source tree). Writes the folder to out. -ENOENT with a message naming every place tried
 * when none holds the headers; -ENAMETOOLONG if out is too small. */
int sdk_abi_include_find(const char *exe, char *out, size_t outsz, char **err);

/* Strip target-cpu/target-features/tune-cpu and other target-specific function attributes
 * (on definitions, declarations and call sites), set the neutral triple and profile data
 * layout, and record the profile in the "xdrv.profile" module flag. Idempotent. -EINVAL if the
 * module already carries a different profile. */
int sdk_normalize(LLVMModuleRef m, char **err);
/* Check that a module was built for the profile: triple SDK_TRIPLE and the "xdrv.profile"
 * module flag equal to SDK_PROFILE. Bitcode compiled for a real target has that target's
 * calling convention already lowered into it (structs split into registers, va_list layout),
 * which no lint can undo, so such bitcode is refused. The loader calls this before it sets the
 * host triple. 0 or -EINVAL. */
int sdk_profile_check(LLVMModuleRef m, char **err);

/* Parse bitcode from memory (copied; `buf` may be freed afterwards) into `ctx`. A diagnostic
 * handler is installed for the duration of the call, so a malformed file yields -EINVAL and a
 * message instead of LLVM printing and exiting; the caller's handler is restored. `what` names
 * the input in messages. The module is verified too (LLVMVerifyModule; an invalid one is
 * -EINVAL, "WHAT: invalid module: ..."), and LLVM's own verification at read time, which aborts
 * the process on an invalid module, is turned off (bitcode.c). */
int sdk_bitcode_parse(LLVMContextRef ctx, const uint8_t *buf, size_t len, const char *what,
		      LLVMModuleRef *out, char **err);
/* Write the module's bitcode to `path` atomically (mode 0644). */
int sdk_bitcode_write(LLVMModuleRef m, const char *path, char **err);

/* ---- lint ----------------------------------------------------------------------------------- */
/* Check a module against the portability profile and the ABI `abi_version`: no inline or module
 * asm, no target-specific intrinsics, no va_start/va_arg/variadic functions, no aggregates
 * (or byval/sret/inalloca) in the signature of any external function, import or indirect call,
 * no data imports, no imports outside driver-abi/include/xdrv/symbols.def at `abi_version`, no
 * import declared or called with another prototype than <xdrv/abi.h> gives it (types,
 * signext/zeroext), no x86_fp80 / fp128 / ppc_fp128, exactly one `xdrv_driver` descriptor. Returns
 * 0 or -EINVAL; *err lists every problem, one per line, each "function NAME: CONSTRUCT: what to
 * write instead".
 * A module of kind SDK_KIND_EXTENSION (sdk_module_kind) is checked against the extension profile
 * instead, `abi_version` being the extension ABI version: the same portability rules, imports
 * from ext_symbols.def with <xdrv/ext.h>'s prototypes, and the extension rules (sdk/lint_ext.c,
 * sdk/README.md: no writable globals, no pointer loads/stores, no inttoptr/ptrtoint, no indirect
 * calls, no recursion, no dynamic alloca, a stack of at most SDK_EXT_STACK_MAX bytes, pointers
 * only to the packet handle, the stack and constants). */
int sdk_lint(LLVMModuleRef m, uint32_t abi_version, char **err);
/* The lint of a live patch's bitcode (sdk/README.md, "Patch packages"): the driver rules of
 * sdk_lint at `abi_version` (the base driver's), except that the module has no descriptor (and
 * must not define one), and that function and data declarations outside the ABI are allowed:
 * they name the base driver's own functions and globals, which sdk_patch_check resolves. `unit`
 * as for sdk_lint_diag (NULL: no place prefix). 0 or -EINVAL with every problem, one a line. */
int sdk_lint_patch(LLVMModuleRef m, uint32_t abi_version, const char *unit, char **err);
/* sdk_lint with each line in the form editors and CI parse: "FILE:LINE:COL: error: ..." where
 * the module has debug info for the place (the instruction, else the function, else an
 * import's first call), else "UNIT: error: ..." (unit names the module, e.g. "driver.bc"). */
int sdk_lint_diag(LLVMModuleRef m, uint32_t abi_version, const char *unit, char **err);
/* 1 if `name` is importable at `abi_version` (listed in driver-abi/include/xdrv/symbols.def with a
 * version
 * <= abi_version), else 0. */
int sdk_abi_symbol_allowed(const char *name, uint32_t abi_version);
/* The same for the extension ABI: driver-abi/include/xdrv/ext_symbols.def. */
int sdk_ext_symbol_allowed(const char *name, uint32_t ext_abi_version);
uint32_t sdk_ext_symbol_version(const char *name); /* 0 if not listed */
/* The extension profile's stack limit: the bytes of every alloca along the deepest call chain
 * from run() (see sdk/README.md, "The extension profile"). */
#define SDK_EXT_STACK_MAX 512u

/* ---- descriptor ----------------------------------------------------------------------------- */
#define SDK_MAX_PARAMS 64
#define SDK_MAX_MATCH  64
struct sdk_param {
	char *name;
	uint32_t type;	/* XDRV_PARAM_* */
	uint32_t flags; /* XDRV_PARAM_F_* (the manifest's "live": true) */
	uint64_t def, min, max;
	char *desc; /* may be NULL */
};
struct sdk_match {
	uint32_t bus, vendor, device, class_code, class_mask;
	char *compatible; /* may be NULL */
};
/* What a package holds (struct sdk_descriptor.kind, the manifest's "kind"): a driver
 * (`xdrv_driver`, driver ABI) or a packet extension (`xdrv_extension`, extension ABI,
 * driver-abi/include/xdrv/ext.h). The zero value is a driver, so older code that fills a
 * descriptor by hand keeps meaning one. */
#define SDK_KIND_DRIVER	   0u
#define SDK_KIND_EXTENSION 1u
#define SDK_KIND_PATCH	   2u /* a live patch (manifest "kind": "patch"); no descriptor */
#define SDK_MAX_TABLES	   16 /* XDRV_EXT_TABLES_MAX */
/* A table an extension declares (struct xdrv_ext_table), by its index in `tables`. */
struct sdk_ext_table {
	char *name;	      /* [a-z0-9_]{1,31}, unique in the extension */
	uint32_t kind;	      /* XDRV_EXT_TABLE_ARRAY or XDRV_EXT_TABLE_HASH */
	uint32_t max_entries; /* 1..XDRV_EXT_TABLE_MAX_ENTRIES */
};
struct sdk_descriptor {
	uint32_t abi_version; /* of the kind's ABI: driver ABI, or extension ABI (ext.h) */
	char *name;
	char *version;
	char *probe; /* function names; drivers only (NULL for an extension) */
	char *remove;
	struct sdk_match *match; /* drivers only (NULL, 0 for an extension) */
	size_t nmatch;
	struct sdk_param *params;
	size_t nparams;
	/* ---- packet extensions (kind SDK_KIND_EXTENSION); zero for a driver ---- */
	uint32_t kind;		      /* SDK_KIND_* */
	uint32_t hooks;		      /* XDRV_EXT_HOOK_* mask, not 0 */
	char *run;		      /* the run() function's name */
	struct sdk_ext_table *tables; /* in descriptor order: index = table number */
	size_t ntables;		      /* 0..SDK_MAX_TABLES */
};
/* A module's kind by its descriptor global: SDK_KIND_DRIVER if it has `xdrv_driver` (or
 * neither), SDK_KIND_EXTENSION if it has `xdrv_extension` and no `xdrv_driver`. The descriptor
 * reader and the lint decide the same way (and refuse a module that has both). */
uint32_t sdk_module_kind(LLVMModuleRef m);
/* Read the `xdrv_driver` global's constant initializer from the IR (no code is run) and
 * validate it: magic, struct size, flags and reserved fields zero, ABI version between 1.0.0
 * and the one these headers define, name/version syntax, probe/remove defined in the driver,
 * match table (terminated, at most SDK_MAX_MATCH, bus values, compatible strings), params (at
 * most SDK_MAX_PARAMS, unique names, types, min <= def <= max compared signed for i32/i64, var
 * pointing at xdrv_param_<name> of the right size). A malformed initializer is -EINVAL, never a
 * crash. On failure *out is empty; on success free it with sdk_descriptor_free. */
int sdk_descriptor_read(LLVMModuleRef m, struct sdk_descriptor *out, char **err);
/* For a module of kind SDK_KIND_EXTENSION, sdk_descriptor_read reads `xdrv_extension` (struct
 * xdrv_ext, ext.h) instead, into kind, abi_version (the extension ABI's, 1.0.0 up to
 * XDRV_EXT_ABI_VERSION), name, version, hooks (RX and/or TX, not 0), tables (at most
 * SDK_MAX_TABLES, names [a-z0-9_]{1,31} and unique, kind ARRAY or HASH, max_entries
 * 1..XDRV_EXT_TABLE_MAX_ENTRIES, reserved 0, ended by a NULL name), params (the driver rules),
 * run (defined in the module) and reserved[] (NULL). A module defining both descriptors is
 * refused. */
void sdk_descriptor_free(struct sdk_descriptor *d); /* frees members; NULL-safe */

/* ---- manifest ------------------------------------------------------------------------------- */
#define SDK_MANIFEST_NAME "manifest.json"
#define SDK_MANIFEST_MAX  (256u * 1024u)
#define SDK_MAX_FILES	  16
struct sdk_file {
	char *path;	 /* archive member name, e.g. "driver.bc" */
	char sha256[65]; /* lower-case hex */
	uint64_t size;
};
struct sdk_manifest {
	uint32_t format; /* 1 */
	char *name;
	char *version; /* MAJOR.MINOR.PATCH */
	uint64_t security_version;
	uint32_t abi_version;
	char *profile;		    /* SDK_PROFILE */
	char *bitcode;		    /* path of the bitcode member */
	char *description;	    /* optional one-line summary (printable ASCII, <= 255 bytes);
				       NULL when the package has none */
	struct sdk_descriptor desc; /* entry points, match table, params (name/version copied) */
	struct sdk_file files[SDK_MAX_FILES];
	size_t nfiles;
	/* ---- a live patch (desc.kind SDK_KIND_PATCH; empty otherwise) ---- */
	char patch_for[65];	 /* hex SHA-256 of the base package's payload */
	char **patch_functions;	 /* the base functions the patch replaces, bitcode order */
	size_t npatch_functions; /* 1..SDK_MAX_PATCH_FUNCTIONS */
};
#define SDK_MAX_PATCH_FUNCTIONS 1024
/* Serialize with jansson, keys sorted, 2-space indent, final newline. *json is malloc'd, *len
 * (may be NULL) its length. 64-bit parameter values are written as decimal strings. */
int sdk_manifest_write(const struct sdk_manifest *m, char **json, size_t *len, char **err);
/* Parse and validate untrusted JSON (at most SDK_MANIFEST_MAX bytes, -EFBIG above): every field
 * present and typed, ranges checked, unknown and duplicate keys rejected, strings and lists
 * capped, names checked with the descriptor's rules, profile must be SDK_PROFILE, the bitcode
 * member must be listed in files. Messages name the field by its JSON path:
 * "manifest: params[2].default: 9000 out of range 16..4096". The fields are described in
 * sdk/README.md. On failure *out is empty. */
int sdk_manifest_parse(const char *json, size_t len, struct sdk_manifest *out, char **err);
void sdk_manifest_free(struct sdk_manifest *m); /* frees members; NULL-safe */

/* ---- package archive ------------------------------------------------------------------------ */
struct sdk_pack_opts {
	const char *bitcode; /* .bc path */
	const char *output;  /* package path */
	const char *version; /* NULL: the descriptor's version */
	uint64_t security_version;
	const char *description; /* NULL: none; printable ASCII, at most 255 bytes */
	int no_lint;		 /* testing loaders only: skip the profile check and the lint (the
				    descriptor must still be readable) */
	/* A live patch (`xdrv pack --patch-for BASE`): the base driver package's payload (the
	 * bytes its signature covers: the file without its signature trailer, which the caller
	 * strips), and its name for messages. `bitcode` is then the patch's (xdrv build --patch)
	 * and `version` is required (the patch's own). NULL: a driver or extension package. */
	const uint8_t *patch_for;
	size_t patch_for_len;
	const char *patch_for_label;
};
/* With opts->patch_for: a patch package (sdk/README.md, "Patch packages"). The base must be a
 * driver package (not an extension or a patch); the patch bitcode is verified, profile-checked,
 * linted with sdk_lint_patch at the base's ABI version and checked against the base's bitcode
 * with sdk_patch_check; the manifest gets "kind": "patch", the base's name and ABI version,
 * `version`, "patch_for" (SHA-256 of the base payload) and "functions" (those replaced).
 *
 * Read the bitcode (verify, sdk_profile_check, descriptor, lint), derive the manifest, write
 * manifest.json + driver.bc into a ustar archive with libarchive (fixed mtime 0, uid/gid 0, mode
 * 0644, 512-byte blocking: the same bitcode gives the same bytes), read it back with
 * sdk_package_read as a self-check, and write `output` atomically. `version`, if given, must
 * equal the descriptor's version (-EINVAL otherwise); security_version must be below 2^53. */
int sdk_pack(const struct sdk_pack_opts *opts, char **err);

struct sdk_caps {
	uint32_t max_entries;	 /* default 16 */
	uint64_t max_entry_size; /* default 16 MiB */
	uint64_t max_total_size; /* default 32 MiB */
	uint32_t max_ratio;	 /* total bytes / payload bytes, default 200; only a compressed
				    archive could reach it, and those are refused anyway */
};
/* A zero field means its default; caps == NULL means all defaults. */
#define SDK_CAPS_DEFAULT                                                                           \
	{                                                                                          \
		16, 16u << 20, 32u << 20, 200                                                      \
	}
struct sdk_entry {
	char *path;
	uint8_t *data;
	uint64_t size;
};
struct sdk_package {
	struct sdk_entry *entries;
	size_t nentries;
	struct sdk_manifest manifest;
	const struct sdk_entry *bitcode; /* points into entries */
};
/* Read a package payload (uncompressed tar; compressed archives are refused) from memory with
 * libarchive. Every header is checked before its data is read. Rejects: non-regular entries
 * (symlinks, hardlinks, devices, dirs, sparse files), absolute paths, "..", empty or "."
 * components, names over 255 bytes or outside [A-Za-z0-9._/-], duplicate names, more entries
 * than the cap, declared sizes (and the bytes actually read) over the caps, a missing or
 * invalid manifest, files whose SHA-256 or size disagree with the manifest, members not listed
 * in the manifest and listed files missing. If `extract_dir` is not NULL (created if missing),
 * the checked entries are then written there with archive_write_disk and
 * ARCHIVE_EXTRACT_SECURE_SYMLINKS | SECURE_NODOTDOT | NO_OVERWRITE (| SECURE_NOABSOLUTEPATHS
 * when extract_dir is relative), as defence in depth behind our own checks. On success *out
 * owns copies of every entry; free with sdk_package_free. On failure *out is empty. */
int sdk_package_read(const uint8_t *payload, size_t len, const struct sdk_caps *caps,
		     const char *extract_dir, struct sdk_package *out, char **err);
void sdk_package_free(struct sdk_package *p); /* NULL-safe */

/* ---- live patches (sdk/patch.c) ------------------------------------------------------------ */
/* Check a patch module against its base module (both in one LLVMContext, neither changed):
 * every function the patch defines with external linkage is a replacement and must be defined
 * by the base under that name with the identical function type; every function or global the
 * patch declares that is neither an intrinsic nor an ABI symbol must be defined by the base
 * with the identical type (function type, or value type for data); the patch defines no global
 * variable with writable storage, and its constant data is static (internal or private).
 * Returns 0 with *names (may be NULL: not wanted) a malloc'd array of the replaced functions'
 * names (each malloc'd; free with sdk_patch_names_free) and *n their number (at least 1), or
 * -EINVAL with every problem, one a line, each naming the symbol and both types:
 * "function uart_tx: type i32 (ptr) in the patch, i32 (ptr, i32) in the base: ...". */
int sdk_patch_check(LLVMModuleRef patch, LLVMModuleRef base, char ***names, size_t *n, char **err);
void sdk_patch_names_free(char **names, size_t n);

/* ---- small helpers the front end shares ---------------------------------------------------- */
/* Copy s into out (n bytes) for a message: bytes outside printable ASCII become '?', and a
 * string too long ends in "...". Returns out. */
const char *sdk_printable(const char *s, char *out, size_t n);
/* The ABI version (major*1000000+minor*1000+patch) that introduced `name`, 0 if not listed. */
uint32_t sdk_abi_symbol_version(const char *name);
/* Format an ABI version number as "1.0.0". */
void sdk_abi_version_str(uint32_t v, char *out, size_t outlen);

#endif
