/* SPDX-License-Identifier: MIT */
/*
 * The message by which the supervisor of a driver domain hands the running driver host an
 * extension it verified and compiled for `xdrv ext attach` (cli/run/ctl.c), private to cli/.
 *
 * One SEQPACKET message, little-endian: magic "XDRVEXA1", seq (u32, the relay's request number,
 * echoed in the answer), op (u32: RUN_CTL_OP_ATTACH or _REPLACE), where (u32: the position,
 * 0..LDR_NET_EXT_CHAIN_MAX or LDR_NET_EXT_END, for attach; the attachment id, > 0, for replace),
 * hook (u32, XDRV_EXT_HOOK_RX or _TX), policy (u32, LDR_NET_EXT_PASS or _DROP), table count (u32,
 * at most RUN_EXT_TABLES_MAX), record length (u32), reserved (u32, 0); then each table: its name
 * (32 bytes, printable, NUL-terminated, NUL-padded, not empty), entry count (u32, at most
 * XDRV_EXT_TABLE_MAX_ENTRIES), reserved (u32, 0), the entries (key u64, value u64); then the
 * compiled record (ldr_compiled_wire_write, parsed by ldr_compiled_wire_read). Nothing may
 * follow; the whole is at most RUN_CTL_ATTACH_MAX bytes. The answer is the relay's text one.
 *
 * The swap message hands the driver host a generation of its driver's code that the supervisor
 * checked and had compiled for `xdrv param set`, `xdrv patch apply|revert` or `--tier auto`'s
 * tier 2 (loader's struct ldr_gen), or for `xdrv update` the new version's generation 0: magic
 * "XDRVSWP1", seq (u32), what (u32, LDR_SWAP_PARAM, _PATCH, _REVERT, _TIER2, or
 * RUN_CTL_SWAP_UPDATE: the driver replaced, cli/run/update.c), change
 * length (u32, 1..RUN_CTL_CHANGE_MAX-1), record length (u32, not 0), reserved (u32, 0); then the
 * change (printable ASCII, no NUL: what the host reports), then the compiled record. Nothing may
 * follow; at most RUN_CTL_ATTACH_MAX bytes in all.
 */
#ifndef XDRV_CLI_RUN_CTL_MSG_H
#define XDRV_CLI_RUN_CTL_MSG_H

#include "run_ext.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RUN_CTL_ATTACH_MAX (192u * 1024u) /* fits a unix socket's default send buffer */
#define RUN_CTL_OP_ATTACH  1u
#define RUN_CTL_OP_REPLACE 2u

struct run_ctl_attach {
	uint32_t seq, op, where, hook, policy;
	struct run_ext_spec spec; /* hook, policy and the tables (malloc'd; run_ext_free) */
	const uint8_t *record;	  /* borrowed from the message */
	size_t record_len;
};

/* Whether a message of n bytes is one of these (by its magic). */
bool run_ctl_attach_is(const uint8_t *b, size_t n);
/* Build the message for spec s (its hook, policy and tables) and record rec. 0, or -E2BIG
 * (larger than RUN_CTL_ATTACH_MAX) / -ENOMEM with *err. */
int run_ctl_attach_write(uint32_t seq, uint32_t op, uint32_t where, const struct run_ext_spec *s,
			 const uint8_t *rec, size_t rlen, uint8_t **out, size_t *len, char **err);
/* Parse one from the other side: every field checked. 0, or -EBADMSG (naming the field) /
 * -ENOMEM with *err; a->seq is set whenever the header was long enough to hold it. */
int run_ctl_attach_parse(const uint8_t *b, size_t n, struct run_ctl_attach *a, char **err);
void run_ctl_attach_free(struct run_ctl_attach *a);

#define RUN_CTL_CHANGE_MAX  160u /* struct ldr_tier_info.change's size */
#define RUN_CTL_SWAP_UPDATE 16u	 /* what: `xdrv update` (not an LDR_SWAP_* kind) */

struct run_ctl_swap {
	uint32_t seq, what;
	char change[RUN_CTL_CHANGE_MAX];
	const uint8_t *record; /* borrowed from the message */
	size_t record_len;
};

/* Whether a message of n bytes is a swap message (by its magic). */
bool run_ctl_swap_is(const uint8_t *b, size_t n);
/* Build one. 0, or -E2BIG (larger than RUN_CTL_ATTACH_MAX) / -EINVAL (a change that is empty,
 * too long or not printable; an unknown what) / -ENOMEM with *err. */
int run_ctl_swap_write(uint32_t seq, uint32_t what, const char *change, const uint8_t *rec,
		       size_t rlen, uint8_t **out, size_t *len, char **err);
/* Parse one from the other side: every field checked. 0, or -EBADMSG naming the field; s->seq
 * is set whenever the header was long enough to hold it. */
int run_ctl_swap_parse(const uint8_t *b, size_t n, struct run_ctl_swap *s, char **err);

#endif
