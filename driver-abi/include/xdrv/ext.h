/* SPDX-License-Identifier: MIT */
/*
 * xdrv extension ABI 1.0 — packet extensions.
 *
 * An extension is a small signed program the host runs over one packet on a NIC's receive path
 * (before the host sees a frame the driver received) or transmit path (before the driver is asked
 * to send a frame), on any NIC driver, without changing it. It is the VIFlet of the in-kernel JVM
 * seed and the XDP program of Linux, built and shipped like a driver: portable bitcode, packed,
 * signed, measured at boot, JIT-compiled for the host.
 *
 * What an extension may touch, and nothing else:
 *   - the packet, only through the accessors below, which check every offset against the
 *     packet's length (an access out of range stops the extension: it is detached and counted);
 *   - its own stack and its own constant data; the extension profile has no writable globals,
 *     no pointers loaded from or stored to memory, no integer-to-pointer casts, and every access
 *     the compiler cannot prove in range gets a check;
 *   - its tables, typed key -> value stores shared with the host (counters, lookup sets), through
 *     the table functions below, by index in the descriptor's table list.
 * No pointer crosses the boundary in either direction: an extension names the packet by the
 * opaque handle it was given and a table by its index.
 *
 * Budgets: every loop iteration counts against a per-packet budget of back edges, and recursion
 * is refused when the extension is built; an extension that exceeds its budget, faults, or
 * touches out of bounds is detached and counted, and the packet gets the host's policy verdict
 * (pass or drop). The driver and the host keep running.
 *
 * Versioning follows the driver ABI (abi.h): major*1000000 + minor*1000 + patch, symbols listed
 * in ext_symbols.def with the version that added them, never renumbered or removed.
 */
#ifndef XDRV_EXT_H
#define XDRV_EXT_H

#include <xdrv/driver.h>
#include <xdrv/types.h>

#define XDRV_EXT_ABI_VERSION_MAJOR 1u
#define XDRV_EXT_ABI_VERSION_MINOR 0u
#define XDRV_EXT_ABI_VERSION_PATCH 0u
#define XDRV_EXT_ABI_VERSION                                                                       \
	(XDRV_EXT_ABI_VERSION_MAJOR * 1000000u + XDRV_EXT_ABI_VERSION_MINOR * 1000u +              \
	 XDRV_EXT_ABI_VERSION_PATCH)

#define XDRV_EXT_MAGIC 0x54584558u /* "XEXT" */

/* Attach points (xdrv_ext.hooks is a mask of these). */
#define XDRV_EXT_HOOK_RX 1u /* a frame the driver received, before the host sees it */
#define XDRV_EXT_HOOK_TX 2u /* a frame the host sends, before the driver is asked to send it */

/*
 * Verdicts: what run() returns. Anything else is a fault (the extension is detached).
 *   PASS          the frame goes on, possibly rewritten in place;
 *   DROP          the frame is dropped and counted;
 *   TX            receive hook only: the (rewritten) frame is sent back out of the same NIC
 *                 instead of going to the host;
 *   CLASS(n)      the frame goes on in priority class n (0 highest .. XDRV_EXT_CLASSES-1);
 *                 where the path queues (the transmit backlog), a lower class is served only
 *                 while no frame of a higher class waits (strict priority).
 */
#define XDRV_EXT_PASS	  0
#define XDRV_EXT_DROP	  1
#define XDRV_EXT_TX	  2
#define XDRV_EXT_CLASSES  4u
#define XDRV_EXT_CLASS(n) (0x100 | (int32_t)(n))

/* Metadata keys for xdrv_ext_meta. */
#define XDRV_EXT_META_HOOK    1u /* XDRV_EXT_HOOK_RX or XDRV_EXT_HOOK_TX */
#define XDRV_EXT_META_QUEUE   2u /* the receive or transmit queue of the frame */
#define XDRV_EXT_META_TIME_NS 3u /* the host's monotonic time when the frame reached the hook */
#define XDRV_EXT_META_IFINDEX 4u /* the host's index of the network interface */

/* Table kinds. Keys and values are 64-bit.
 *   ARRAY: keys 0..max_entries-1, values start at 0; a key out of range is an access out of
 *          bounds (the extension is detached);
 *   HASH:  any key, up to max_entries of them; a missing key reads 0. */
#define XDRV_EXT_TABLE_ARRAY 1u
#define XDRV_EXT_TABLE_HASH  2u

#define XDRV_EXT_TABLE_MAX_ENTRIES (1u << 20) /* per table */
#define XDRV_EXT_TABLES_MAX	   16u	      /* per extension */

/*
 * A table the extension declares; a list ends with an entry whose name is NULL.
 *
 *  0             8      12     16           24
 *  | name        | kind | max  | reserved    |
 */
struct xdrv_ext_table {
	const char *name;     /* [a-z0-9_]{1,31}; how the host names the table */
	uint32_t kind;	      /* XDRV_EXT_TABLE_* */
	uint32_t max_entries; /* 1..XDRV_EXT_TABLE_MAX_ENTRIES */
	uint64_t reserved;    /* zero */
};
XDRV_STATIC_ASSERT(sizeof(struct xdrv_ext_table) == 24, "xdrv_ext_table layout");

/* The packet, as the extension sees it: an opaque handle. */
typedef struct xdrv_ext_pkt xdrv_ext_pkt_t;

/*
 * The descriptor. Every extension defines exactly one `const struct xdrv_ext xdrv_extension`
 * (use XDRV_EXTENSION). Parameters are declared as for drivers (XDRV_PARAM, struct xdrv_param)
 * and specialized into constants the same way.
 *
 *  0      4       8       12     16            24            32            40
 *  | magic| abi   | size  | hooks| name        | version     | tables      |
 *  40            48            56
 *  | params      | run         | reserved[9] (NULL) .. 128
 */
struct xdrv_ext {
	uint32_t magic;	      /* XDRV_EXT_MAGIC */
	uint32_t abi_version; /* XDRV_EXT_ABI_VERSION the extension was built against */
	uint32_t struct_size; /* sizeof(struct xdrv_ext) */
	uint32_t hooks;	      /* XDRV_EXT_HOOK_* mask: where it may be attached; not 0 */
	const char *name;     /* [a-z0-9_-]{1,63} */
	const char *version;  /* "MAJOR.MINOR.PATCH" */
	const struct xdrv_ext_table *tables; /* may be NULL */
	const struct xdrv_param *params;     /* may be NULL */
	/* One packet: return a verdict (XDRV_EXT_PASS, _DROP, _TX, XDRV_EXT_CLASS(n)). */
	int32_t (*run)(xdrv_ext_pkt_t *pkt);
	void *reserved[9];
};
XDRV_STATIC_ASSERT(sizeof(struct xdrv_ext) == 128, "xdrv_ext layout");

#define XDRV_EXTENSION(...)                                                                        \
	const struct xdrv_ext xdrv_extension = {.magic = XDRV_EXT_MAGIC,                           \
						.abi_version = XDRV_EXT_ABI_VERSION,               \
						.struct_size = sizeof(struct xdrv_ext),            \
						__VA_ARGS__}

/* ---- the packet ---------------------------------------------------------------------------- */

/* Length of the frame in bytes (Ethernet header included, FCS not). */
uint32_t xdrv_ext_len(xdrv_ext_pkt_t *pkt);

/* Read 1, 2 or 4 bytes at `off`, the multi-byte forms in network (big-endian) order. An access
 * with any byte at or past xdrv_ext_len stops the extension (out of bounds). */
uint32_t xdrv_ext_ld8(xdrv_ext_pkt_t *pkt, uint32_t off);
uint32_t xdrv_ext_ld16(xdrv_ext_pkt_t *pkt, uint32_t off);
uint32_t xdrv_ext_ld32(xdrv_ext_pkt_t *pkt, uint32_t off);

/* Write 1, 2 or 4 bytes at `off` (network order), same bounds; the low bits of `val` are
 * written. */
void xdrv_ext_st8(xdrv_ext_pkt_t *pkt, uint32_t off, uint32_t val);
void xdrv_ext_st16(xdrv_ext_pkt_t *pkt, uint32_t off, uint32_t val);
void xdrv_ext_st32(xdrv_ext_pkt_t *pkt, uint32_t off, uint32_t val);

/* Metadata (XDRV_EXT_META_*); an unknown key reads 0. */
uint64_t xdrv_ext_meta(xdrv_ext_pkt_t *pkt, uint32_t key);

/* The extension's own copies and fills, of its stack and constant data only (the loader checks
 * the ranges); the same declarations as <xdrv/mem.h>. */
void *memcpy(void *dst, const void *src, unsigned long n);
void *memmove(void *dst, const void *src, unsigned long n);
void *memset(void *dst, int c, unsigned long n);

/* ---- tables -------------------------------------------------------------------------------- */

/* The value under `key` in table `table` (an index into the descriptor's list), 0 when a hash
 * table has no such key. A table index past the list, or an array key out of range, stops the
 * extension (out of bounds). */
uint64_t xdrv_ext_tab_get(xdrv_ext_pkt_t *pkt, uint32_t table, uint64_t key);

/* Set the value under `key`. Returns 0, or -1 when a hash table is full (nothing changes; the
 * host counts it). Same bounds as xdrv_ext_tab_get. */
int32_t xdrv_ext_tab_set(xdrv_ext_pkt_t *pkt, uint32_t table, uint64_t key, uint64_t value);

/* Add `delta` (wrapping) to the value under `key`, inserting it at 0 first in a hash table;
 * returns the new value, or 0 when a hash table is full. Same bounds as xdrv_ext_tab_get. */
uint64_t xdrv_ext_tab_add(xdrv_ext_pkt_t *pkt, uint32_t table, uint64_t key, uint64_t delta);

#endif /* XDRV_EXT_H */
