/* SPDX-License-Identifier: MIT */
/*
 * Private helpers shared by the SDK's source files (and by the sdk/cmd_*.c front-end commands,
 * which sit beside them): a growable text buffer for problem lists, the name syntax rules that
 * the descriptor and manifest readers share, and the table of target-specific attributes that
 * sdk_normalize strips and sdk_lint rejects. Nothing here is part of the public contract.
 */
#ifndef XDRV_SDK_PRIVATE_H
#define XDRV_SDK_PRIVATE_H

#include <llvm-c/Core.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xdrv/sdk.h"

/* Length caps for strings that come from bitcode or manifests. Bounded so that a hostile
 * package cannot make us print or store megabytes through one field. */
#define SDK_NAME_MAX	   63  /* driver name, [a-z0-9_-] */
#define SDK_VERSION_MAX	   32  /* "MAJOR.MINOR.PATCH" */
#define SDK_PARAM_NAME_MAX 31  /* [a-z0-9_] */
#define SDK_COMPAT_MAX	   63  /* platform "compatible" string */
#define SDK_DESC_MAX	   255 /* one-line parameter description */
#define SDK_SYMBOL_MAX	   255 /* function names (entry points) */
#define SDK_PATH_MAX	   255 /* archive member names (the ustar limit) */

/* ---- growable text buffer -------------------------------------------------------------- */
struct sdk_buf {
	char *s;
	size_t len, cap;
	int oom;      /* an append failed: the text is incomplete */
	size_t lines; /* lines appended with sdk_buf_line */
};
void sdk_buf_printf(struct sdk_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Append one line (a trailing newline is added); a line equal to one already present is
 * dropped, so that a construct repeated in a loop is reported once. */
void sdk_buf_line(struct sdk_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hand the text over (caller frees), with the final newline removed. NULL if empty. */
char *sdk_buf_take(struct sdk_buf *b);
void sdk_buf_free(struct sdk_buf *b);

/* ---- syntax of names ----------------------------------------------------------------- */
bool sdk_valid_driver_name(const char *s); /* [a-z0-9_-]{1,63} */
bool sdk_valid_param_name(const char *s);  /* [a-z0-9_]{1,31} */
bool sdk_valid_version(const char *s);	   /* MAJOR.MINOR.PATCH, no leading zeros, <= 9 digits */
bool sdk_valid_compatible(const char *s);  /* [a-z0-9,._+-]{1,63} */
bool sdk_valid_desc(const char *s);	   /* printable ASCII, <= 255 bytes */
bool sdk_valid_symbol(const char *s);	   /* [A-Za-z0-9_.$]{1,255} */
/* A package member name: relative, components of [A-Za-z0-9._-], no "." or "..", no empty
 * component, at most SDK_PATH_MAX bytes. On false, *why says what is wrong. */
bool sdk_valid_member_path(const char *s, const char **why);

/* Parameter type names as they appear in manifests ("u32", ...); NULL for an unknown type. */
const char *sdk_param_type_name(uint32_t type);
uint32_t sdk_param_type_from_name(const char *s); /* 0 if unknown */
/* Check that min, max and def fit the type and min <= def <= max (signed for i32/i64). On
 * failure *field names the offending field ("min", "max", "default") and why says what is
 * wrong: "9000 out of range 16..4096". */
bool sdk_param_range_ok(uint32_t type, uint64_t def, uint64_t min, uint64_t max, const char **field,
			char *why, size_t whylen);
/* Format a parameter value of `type` in decimal (signed types as signed). */
void sdk_param_value_str(uint32_t type, uint64_t v, char *out, size_t outlen);

/* ---- target-specific attributes --------------------------------------------------------- */
/* True for function attributes that tie code to one target (target-cpu, target-features,
 * tune-cpu, x86/arm-specific knobs). sdk_normalize removes them, sdk_lint rejects them. */
bool sdk_attr_is_target_specific(const char *kind, size_t len);

/* ---- the ABI's prototypes ------------------------------------------------------------- */
/* Parse into ctx the module of the ABI's prototypes: one declaration per symbol of
 * driver-abi/include/xdrv/symbols.def, as clang declares it from <xdrv/abi.h> for the profile
 * (generated at build time from the headers; sdk/abi_protos.c). The caller disposes of *out.
 * 0, or a negative errno (out of memory) with *err. */
int sdk_abi_prototypes(LLVMContextRef ctx, LLVMModuleRef *out, char **err);

/* The same for the extension ABI: driver-abi/include/xdrv/ext_symbols.def through <xdrv/ext.h>
 * (sdk/ext_protos.c). */
int sdk_ext_prototypes(LLVMContextRef ctx, LLVMModuleRef *out, char **err);

/* ---- the extension profile's lint (sdk/lint_ext.c) ------------------------------------ */
struct lint; /* sdk/lint.c's state */
/* What the extension rules call back in sdk/lint.c, passed in by it (so lint_ext.c names
 * nothing of lint.c and the two files make no circle): report one problem line, placed at `at`
 * (an instruction or function with debug info, may be NULL), with the lint's caps and
 * de-duplication; a value's name, printable and bounded (rotating buffers: at most four in use
 * at once). */
struct sdk_lint_io {
	void (*report)(struct lint *l, LLVMValueRef at, const char *fmt, ...)
		__attribute__((format(printf, 3, 4)));
	const char *(*name)(struct lint *l, LLVMValueRef v);
};
/* `xdrv build --extension`'s step before the lint (sdk/build_ext.c): static functions with
 * pointer parameters inlined, locals promoted to registers. 0 or -EINVAL with *err. */
int sdk_build_ext_prepare(LLVMModuleRef m, char **err);
/* The extension rules, on a module of kind SDK_KIND_EXTENSION, after the portability lint. */
void sdk_lint_ext(struct lint *l, const struct sdk_lint_io *io, LLVMModuleRef m);

/* ---- LLVM diagnostics ------------------------------------------------------------------- */
/* While active, errors LLVM reports through `ctx` are kept (the first one, in msg) instead of
 * being printed and ending the process. end restores the caller's handler and frees msg. */
struct sdk_diag {
	char *msg;
	LLVMContextRef ctx;
	LLVMDiagnosticHandler old_handler;
	void *old_opaque;
};
void sdk_diag_begin(LLVMContextRef ctx, struct sdk_diag *d);
void sdk_diag_end(struct sdk_diag *d);

/* ---- live patches (sdk/patch.c) --------------------------------------------------------- */
/* sdk_pack's part for a patch: read the base payload (a driver package), parse the patch
 * bitcode `bc` (named `what`) and the base's bitcode into one context, verify, profile-check
 * and (unless no_lint) lint the patch with sdk_lint_patch at the base's ABI version, check it
 * against the base (sdk_patch_check), and fill man's name, abi_version, desc.kind, patch_for
 * and patch_functions. 0 or a negative errno with *err. */
int sdk_patch_manifest(const uint8_t *bc, size_t len, const char *what, const uint8_t *base,
		       size_t base_len, const char *base_label, int no_lint,
		       struct sdk_manifest *man, char **err);

/* Lower-case hex SHA-256 of data (OpenSSL EVP). 0 or -EIO. */
int sdk_sha256_hex(const uint8_t *data, size_t len, char out[65]);

#endif
