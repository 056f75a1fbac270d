/* SPDX-License-Identifier: MIT */
/*
 * Live patches, the loader's side (issue 13, loader/README.md "Live patch: packages and merge"):
 * reading a patch package (verified exactly as a driver package is, then held to the base it
 * names) and merging its functions into the base driver's prepared module. Compiling the merged
 * module and swapping the code are the tier's (tier.c); the front end's `xdrv patch` drives it.
 * Internal to loader/ (and tests/loader).
 */
#ifndef XDRV_LDR_PATCH_H
#define XDRV_LDR_PATCH_H

#include <llvm-c/Core.h>
#include <stddef.h>
#include <stdint.h>

#include "xdrv/signer.h"

struct ldr_ctx;
struct sig_revocation;

/* A verified patch package. Built by ldr_patch_read*; the fields are here for the tests, which
 * also make patches that no SDK would pack (the merge's refusals). */
struct ldr_patch {
	struct ldr_ctx *ctx; /* borrowed: its budgets and host are the merge's */
	char *label;	     /* the file's last path component, for messages */
	char *name;	     /* the base driver's name */
	char *version;	     /* the patch's own */
	uint64_t security_version;
	uint32_t abi_version;	 /* the base's driver ABI version, as packed */
	uint8_t digest[32];	 /* SHA-256 of the patch package's payload */
	char digest_hex[65];	 /* the same in hex */
	uint8_t base_digest[32]; /* the base package's payload digest it applies to */
	char **functions;	 /* the manifest's "functions": the base functions replaced */
	size_t nfunctions;
	uint8_t *bitcode; /* the verified bitcode member */
	size_t bitcode_len;
	int sig_checked; /* 0: an unsigned (development) patch, or no trust root */
	struct sig_info sig;
};

/* Read the patch package at `path` and check it: signature, chain and time floor against the
 * context's trust root (ldr_package_open, as for a driver: unsigned only with allow_unsigned),
 * archive and manifest under the context's caps, "kind": "patch", a driver ABI this host has,
 * and "patch_for" equal to `base_digest` (the SHA-256 of the running base package's payload).
 * Revocation (CRL, deny-list) is the caller's, as for a driver: ldr_patch_read_buf takes it.
 * On success *out is the caller's (ldr_patch_free); ctx must outlive it. On failure a negative
 * errno, *out NULL, ldr_errmsg(ctx) and *err (caller frees) "patch FILE: ...": -EPERM unsigned
 * where signatures are required, the signer's code for a bad signature (-EBADMSG, -EPERM for an
 * unknown signer, -EKEYEXPIRED), -EINVAL not a patch / bad manifest, -ESRCH a patch for another
 * base ("patch for the package whose payload has SHA-256 X; the base's is Y"), -ENOTSUP a newer
 * ABI. */
int ldr_patch_read(struct ldr_ctx *ctx, const char *path, const uint8_t base_digest[32],
		   struct ldr_patch **out, char **err);
/* The same from bytes read once (`label` names them in messages), with revocation: when `rev`
 * is not NULL and the signature was checked, the certificates against its CRL and the payload
 * digest against its deny-list (sig_revocation_check: -EKEYREVOKED). */
int ldr_patch_read_buf(struct ldr_ctx *ctx, const uint8_t *buf, size_t len, const char *label,
		       const uint8_t base_digest[32], const struct sig_revocation *rev,
		       struct ldr_patch **out, char **err);
void ldr_patch_free(struct ldr_patch *p); /* NULL-safe */

/* Merge the patch into `base`, the base driver's prepared module (ldr_lazy_prepare'd,
 * specialized, budget-instrumented and retargeted, not optimized; in any LLVMContext): the
 * patch's bitcode is parsed into base's context, checked (triple, profile, sdk_lint_patch at its
 * ABI version, sdk_patch_check against base: each function the patch defines is defined by base
 * with the identical type, each declaration resolves to a base definition of the same type, no
 * writable data; the functions are those the manifest lists), instrumented and retargeted as
 * load_module does for a driver (ldr_module_for_host), its own static symbols renamed
 * "__xdrv_patch.<8 hex of its digest>.NAME" (no base name can clash), and linked into base:
 * each replaced function keeps its name, linkage, visibility and every use, with the patch's
 * body; references to base globals and functions become the base's. The result passes
 * LLVMVerifyModule. The whole merge is tried on a clone first: on any refusal base is not
 * changed. 0, or a negative errno with *err (caller frees) "patch FILE: ...": -EINVAL for a
 * refused patch (naming the function and both types), -ENOMEM. Not thread-safe with other users
 * of base's context. */
int ldr_patch_merge(LLVMModuleRef base, const struct ldr_patch *p, char **err);

/* The live patches of running code and those of a change being compiled: an in-process image's
 * (tier.c) and a driver's in another process (gen.c) keep the same lists the same way. */
struct ldr_patch_info;
struct ldr_patch_set {
	struct ldr_patch **live, **job; /* oldest first; job borrows live's and adds `applying` */
	size_t nlive, njob;
	struct ldr_patch *applying; /* the job's new patch, owned until it goes live */
};
/* The job's list: the live ones, then `add` (NULL: none; it becomes `applying`), less the
 * newest if `drop`. -ENOMEM (nothing changed). */
int ldr_patch_set_job(struct ldr_patch_set *s, struct ldr_patch *add, int drop);
/* The job went live: its list is the running one; a patch it left out (a revert) is freed. */
void ldr_patch_set_commit(struct ldr_patch_set *s);
/* The job failed or was refused: the running list stays; a patch being applied is freed. */
void ldr_patch_set_drop(struct ldr_patch_set *s);
void ldr_patch_set_free(struct ldr_patch_set *s);
/* Whether a patch with p's payload digest is live. */
int ldr_patch_set_has(const struct ldr_patch_set *s, const struct ldr_patch *p);
/* The live patches, oldest first: their count (cap of them into out). */
size_t ldr_patch_set_info(const struct ldr_patch_set *s, struct ldr_patch_info *out, size_t cap);

/* Accessors; strings and arrays borrowed from p. */
const uint8_t *ldr_patch_digest(const struct ldr_patch *p); /* 32 bytes */
const char *ldr_patch_digest_hex(const struct ldr_patch *p);
const char *ldr_patch_name(const struct ldr_patch *p);
const char *ldr_patch_version(const struct ldr_patch *p);
uint64_t ldr_patch_security_version(const struct ldr_patch *p);
uint32_t ldr_patch_abi_version(const struct ldr_patch *p);
const char *const *ldr_patch_functions(const struct ldr_patch *p, size_t *n);
/* The verified signature, or NULL for an unchecked (development) patch. */
const struct sig_info *ldr_patch_signature(const struct ldr_patch *p);

#endif
