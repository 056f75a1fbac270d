/* SPDX-License-Identifier: MIT */
/*
 * Packet extensions, the host's side (issue 16): load a signed extension package
 * (driver-abi/include/xdrv/ext.h), run it over frames, read and fill its tables.
 *
 * An extension is loaded like a driver (signature, chain, revocation, measurement, lint for the
 * extension profile, specialization, budgets, JIT) but never probed: the host calls its run()
 * once per frame through ldr_ext_run, inside the fault guard, with the per-packet budget reset.
 * A fault, an exhausted budget, an access out of bounds or a verdict that is not one marks the
 * extension failed: ldr_ext_run returns a negative status from then on without running it, and
 * ldr_ext_failure names what happened. Whoever attached it detaches it and counts that.
 *
 * Single-threaded: an extension runs on the thread that runs its NIC's driver, and is attached,
 * replaced and detached there, between dispatches.
 */
#ifndef XDRV_EXT_HOST_H
#define XDRV_EXT_HOST_H

#include <stddef.h>
#include <stdint.h>
#include <xdrv/ext.h>
#include <xdrv/loader.h>

struct ldr_ext;

/* Defaults a caller may override in struct ldr_ext_opts. */
#define LDR_EXT_BUDGET_DEFAULT 4096u /* back edges per packet */
#define LDR_EXT_BUDGET_MAX     1000000u

struct ldr_ext_opts {
	uint64_t budget; /* back edges per packet; 0: LDR_EXT_BUDGET_DEFAULT */
};

struct ldr_ext_meta {
	uint32_t hook;	  /* XDRV_EXT_HOOK_RX or _TX */
	uint32_t queue;	  /* receive or transmit queue */
	uint32_t ifindex; /* host interface index, 0 if none */
	uint32_t reserved;
	uint64_t time_ns; /* CLOCK_MONOTONIC when the frame reached the hook */
};

/* Load a signed extension package (kind "extension"). Same errors and messages as
 * ldr_image_load_file; a driver package is refused ("is a driver, not an extension"). */
int ldr_ext_load_file(struct ldr_ctx *ctx, const char *path, const struct ldr_param_value *params,
		      size_t nparams, const struct ldr_ext_opts *opts, struct ldr_ext **out,
		      char **err);
/* The same from the package's bytes, read once (a caller that measures or checks revocation on
 * them loads exactly what it checked); `label` names it in messages. */
int ldr_ext_load_buf(struct ldr_ctx *ctx, const uint8_t *buf, size_t len, const char *label,
		     const struct ldr_param_value *params, size_t nparams,
		     const struct ldr_ext_opts *opts, struct ldr_ext **out, char **err);
/* 0, or -EINVAL "package LABEL: is a driver, not an extension" when the package's manifest (read
 * unverified, only to refuse) says it is a driver: what ldr_ext_load_buf checks first, for a
 * caller that compiles an extension itself (ldr_package_compile_mem) to refuse a driver before
 * compiling it. A package whose manifest does not read passes (the full path says why). */
int ldr_ext_refuse_driver(struct ldr_ctx *ctx, const uint8_t *buf, size_t len, const char *label,
			  char **err);
/* Link an extension the compiler process produced (ldr_package_compile of an extension). */
int ldr_ext_load_compiled(struct ldr_ctx *ctx, const struct ldr_compiled *c,
			  const struct ldr_ext_opts *opts, struct ldr_ext **out, char **err);
void ldr_ext_unload(struct ldr_ext *e); /* NULL-safe */

const char *ldr_ext_name(const struct ldr_ext *e);
const char *ldr_ext_version(const struct ldr_ext *e);
uint32_t ldr_ext_hooks(const struct ldr_ext *e); /* XDRV_EXT_HOOK_* mask */
/* The payload digest of the package (its identity). */
void ldr_ext_digest(const struct ldr_ext *e, uint8_t out[32]);

/*
 * Run the extension over one frame of `len` bytes at `frame`, which it may rewrite in place (the
 * length does not change). Returns the verdict (XDRV_EXT_PASS, _DROP, _TX or XDRV_EXT_CLASS(n)),
 * or, when it faulted, exceeded its budget, went out of bounds or returned something else, a
 * negative status (-EFAULT, -ELOOP, -ERANGE, -EPROTO); it is then failed for good.
 */
int32_t ldr_ext_run(struct ldr_ext *e, uint8_t *frame, uint32_t len, const struct ldr_ext_meta *m);
/*
 * The same over n frames (frames[i] of lens[i] bytes; NULL frames are empty), in order, with one
 * fault guard and one pair of clock readings for the batch; the budget is still reset for each
 * frame (per packet). out[i] gets frame i's verdict. When frame k fails the extension, frames
 * before k keep their verdicts, out[k..n-1] get the negative status (k and later are not run).
 * Returns k (n when none failed; 0 when it was failed already).
 */
uint32_t ldr_ext_run_batch(struct ldr_ext *e, uint8_t *const *frames, const uint32_t *lens,
			   uint32_t n, const struct ldr_ext_meta *m, int32_t *out);
/* 1 if the extension may rewrite frames (it imports a store, xdrv_ext_st*; 1 for NULL), 0 if it
 * cannot: the host may then run it over a buffer it must not write (a receive pool's). */
int ldr_ext_writes(const struct ldr_ext *e);
/* NULL while healthy, else one line saying what stopped it (borrowed). */
const char *ldr_ext_failure(const struct ldr_ext *e);

struct ldr_ext_stats {
	uint64_t runs;
	uint64_t pass, drop, tx, classed; /* by verdict */
	uint64_t failed;		  /* 1 once failed */
	uint64_t table_full;		  /* inserts refused by a full hash table */
	uint64_t run_ns;		  /* time spent in run(), summed */
};
void ldr_ext_stats(const struct ldr_ext *e, struct ldr_ext_stats *st);

/* Tables, from the host's side (fill a filter's set, read a counter table). */
uint32_t ldr_ext_table_count(const struct ldr_ext *e);
/* Index of the table called `name`, or -ENOENT. */
int ldr_ext_table_find(const struct ldr_ext *e, const char *name);
const char *ldr_ext_table_name(const struct ldr_ext *e, uint32_t table);
uint32_t ldr_ext_table_kind(const struct ldr_ext *e, uint32_t table);
/* 0, -ERANGE (array key out of range, bad table), -ENOSPC (hash table full). */
int ldr_ext_table_set(struct ldr_ext *e, uint32_t table, uint64_t key, uint64_t value);
int ldr_ext_table_get(const struct ldr_ext *e, uint32_t table, uint64_t key, uint64_t *value);
/* Calls fn for each key with a non-zero value (array) or each present key (hash), in key order
 * for arrays and any order for hashes; stops at fn's first non-zero return, which it returns. */
int ldr_ext_table_scan(const struct ldr_ext *e, uint32_t table,
		       int (*fn)(void *arg, uint64_t key, uint64_t value), void *arg);

/* A table file: one entry a line, "KEY [VALUE]" (VALUE 1 when left out); KEY and VALUE decimal,
 * 0x-hex, or an IPv4 address a.b.c.d (its 32-bit value in network order read as a number,
 * 10.0.0.1 = 0x0a000001); '#' starts a comment; at most XDRV_EXT_TABLE_MAX_ENTRIES entries.
 * Appends to *keys / *vals (malloc'd, *n entries so far; start with NULL, NULL, 0; the caller
 * frees them, also on failure). 0 or -errno with *err naming the file and line. Read by
 * `xdrv run --ext ...:table=` and the boot configuration's extension tables. */
int ldr_ext_table_file_read(const char *path, uint64_t **keys, uint64_t **vals, size_t *n,
			    char **err);

#endif /* XDRV_EXT_HOST_H */
