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

/* The portable profile: LP64, little-endian, signed char, neutral triple. */
#define SDK_PROFILE "xdrv-lp64le-1"
#define SDK_TRIPLE "le64-unknown-unknown"
#define SDK_CLANG "clang-19"

/* ---- build ---------------------------------------------------------------------------------- */
struct sdk_build_opts {
	const char *const *sources; /* C files */
	size_t nsources;
	const char *output;         /* .bc path */
	const char *const *defines; /* "NAME=VALUE" or "NAME", may be NULL */
	size_t ndefines;
	const char *const *include_dirs; /* extra -I dirs (driver-local headers), may be NULL */
	size_t ninclude_dirs;
	const char *abi_include_dir; /* driver-abi/include; NULL: $XDRV_ABI_INCLUDE, then the
					built-in path of this checkout */
	int verbose;                 /* print the clang command lines */
};
/* Compile each source with clang for the profile (freestanding, ABI headers only,
 * -O2 -Xclang -disable-llvm-passes, -fsigned-char), link them into one module, normalize it
 * (sdk_normalize), lint it (sdk_lint with the descriptor's ABI version), write `output`. */
int sdk_build(const struct sdk_build_opts *opts, char **err);

/* Strip target-cpu/target-features/tune-cpu and other target-specific function attributes,
 * set the neutral triple and profile data layout. */
int sdk_normalize(LLVMModuleRef m, char **err);

/* ---- lint ----------------------------------------------------------------------------------- */
/* Check a module against the portability profile and the ABI `abi_version`: no inline or module
 * asm, no target-specific intrinsics, no va_start/va_arg/variadic functions, no aggregates
 * (or byval/sret/inalloca) in the signature of any external function, import or indirect call,
 * no data imports, no imports outside driver-abi/symbols.def at `abi_version`, no x86_fp80 /
 * fp128 / ppc_fp128, exactly one `xdrv_driver` descriptor. Returns 0 or -EINVAL; *err lists
 * every problem, one per line, each "function NAME: CONSTRUCT: what to write instead". */
int sdk_lint(LLVMModuleRef m, uint32_t abi_version, char **err);
/* True if `name` is importable at `abi_version`. */
int sdk_abi_symbol_allowed(const char *name, uint32_t abi_version);

/* ---- descriptor ----------------------------------------------------------------------------- */
#define SDK_MAX_PARAMS 64
#define SDK_MAX_MATCH 64
struct sdk_param {
	char *name;
	uint32_t type; /* XDRV_PARAM_* */
	uint64_t def, min, max;
	char *desc; /* may be NULL */
};
struct sdk_match {
	uint32_t bus, vendor, device, class_code, class_mask;
	char *compatible; /* may be NULL */
};
struct sdk_descriptor {
	uint32_t abi_version;
	char *name;
	char *version;
	char *probe;  /* function names */
	char *remove;
	struct sdk_match *match;
	size_t nmatch;
	struct sdk_param *params;
	size_t nparams;
};
/* Read the `xdrv_driver` global's constant initializer from the IR (no code is run) and
 * validate it: magic, struct size, name/version syntax, param names/types/ranges (min <= def <=
 * max, signed types compared signed), match table termination and bus values. */
int sdk_descriptor_read(LLVMModuleRef m, struct sdk_descriptor *out, char **err);
void sdk_descriptor_free(struct sdk_descriptor *d); /* frees members; NULL-safe */

/* ---- manifest ------------------------------------------------------------------------------- */
#define SDK_MANIFEST_NAME "manifest.json"
#define SDK_MANIFEST_MAX (256u * 1024u)
#define SDK_MAX_FILES 16
struct sdk_file {
	char *path;        /* archive member name, e.g. "driver.bc" */
	char sha256[65];   /* lower-case hex */
	uint64_t size;
};
struct sdk_manifest {
	uint32_t format;          /* 1 */
	char *name;
	char *version;            /* MAJOR.MINOR.PATCH */
	uint64_t security_version;
	uint32_t abi_version;
	char *profile;            /* SDK_PROFILE */
	char *bitcode;            /* path of the bitcode member */
	struct sdk_descriptor desc; /* entry points, match table, params (name/version copied) */
	struct sdk_file files[SDK_MAX_FILES];
	size_t nfiles;
};
/* Serialize with jansson, keys sorted, 2-space indent. *json is malloc'd. */
int sdk_manifest_write(const struct sdk_manifest *m, char **json, size_t *len, char **err);
/* Parse and validate untrusted JSON: every field present and typed, ranges checked, unknown
 * keys rejected, sizes capped. Messages name the field: "manifest: params[2].default: ...". */
int sdk_manifest_parse(const char *json, size_t len, struct sdk_manifest *out, char **err);
void sdk_manifest_free(struct sdk_manifest *m); /* frees members; NULL-safe */

/* ---- package archive ------------------------------------------------------------------------ */
struct sdk_pack_opts {
	const char *bitcode;   /* .bc path */
	const char *output;    /* package path */
	const char *version;   /* NULL: the descriptor's version */
	uint64_t security_version;
};
/* Read the descriptor from the bitcode, lint it, write manifest.json + driver.bc into a ustar
 * archive with libarchive (fixed mtime/uid/gid/mode so the output is reproducible), atomically. */
int sdk_pack(const struct sdk_pack_opts *opts, char **err);

struct sdk_caps {
	uint32_t max_entries;     /* default 16 */
	uint64_t max_entry_size;  /* default 16 MiB */
	uint64_t max_total_size;  /* default 32 MiB */
	uint32_t max_ratio;       /* uncompressed/compressed, default 200 (compressed archives) */
};
#define SDK_CAPS_DEFAULT {16, 16u << 20, 32u << 20, 200}
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
/* Read a package payload (tar) from memory with libarchive. Rejects: non-regular entries
 * (symlinks, hardlinks, devices, dirs), absolute paths, "..", empty or over-long names,
 * duplicate names, entries or totals over the caps, a missing or invalid manifest, files whose
 * SHA-256 or size disagree with the manifest, members not listed in the manifest. If
 * `extract_dir` is not NULL, also writes the entries there with archive_write_disk and the
 * ARCHIVE_EXTRACT_SECURE_* flags (defence in depth behind our own checks). */
int sdk_package_read(const uint8_t *payload, size_t len, const struct sdk_caps *caps,
		     const char *extract_dir, struct sdk_package *out, char **err);
void sdk_package_free(struct sdk_package *p); /* NULL-safe */

#endif
