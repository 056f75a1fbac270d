/* SPDX-License-Identifier: MIT */
/*
 * xdrv driver ABI — the driver descriptor.
 *
 * Every driver defines exactly one `const struct xdrv_driver xdrv_driver` (use XDRV_DRIVER). The
 * SDK reads it from the bitcode to write the package manifest; the loader reads it again and
 * checks it against the manifest before probing.
 *
 * Parameters are globals named xdrv_param_<name>, declared with XDRV_PARAM and listed in the
 * descriptor with type, default and range. The loader validates the value a host configured,
 * writes it into the global, and, when JIT-compiling, makes it a constant before optimizing, so
 * a parameter costs nothing at run time (specialization).
 */
#ifndef XDRV_DRIVER_H
#define XDRV_DRIVER_H

#include <xdrv/types.h>

#define XDRV_DRIVER_MAGIC 0x58445256u /* "XDRV" */

/*
 * One entry of a match table; a table ends with an entry whose bus is 0.
 *
 *  0      4      8      12     16     20     24            32
 *  | bus  |vendor|device|class |cmask | rsvd | compatible   |
 */
struct xdrv_match {
	uint32_t bus;		/* XDRV_BUS_PCI or XDRV_BUS_PLATFORM; 0 ends the table */
	uint32_t vendor;	/* PCI: vendor id, XDRV_MATCH_ANY for any */
	uint32_t device;	/* PCI: device id, XDRV_MATCH_ANY for any */
	uint32_t class_code;	/* PCI: compared under class_mask */
	uint32_t class_mask;	/* 0: class not compared */
	uint32_t reserved;	/* zero */
	const char *compatible; /* PLATFORM: e.g. "ns16550a"; NULL for PCI */
};
XDRV_STATIC_ASSERT(sizeof(struct xdrv_match) == 32, "xdrv_match layout");
#define XDRV_MATCH_ANY 0xffffffffu

#define XDRV_PARAM_U32	1u
#define XDRV_PARAM_U64	2u
#define XDRV_PARAM_I32	3u
#define XDRV_PARAM_I64	4u
#define XDRV_PARAM_BOOL 5u /* stored as uint32_t, 0 or 1 */

/*
 * Parameter flags (ABI 1.2). XDRV_PARAM_F_LIVE: the driver reads the parameter only where a new
 * value takes effect at once (its data path), never to size or set up state at probe, so a host
 * may re-specialize it while the driver runs (`xdrv param set`) and swap the code between two
 * dispatches. Without it a parameter is fixed from probe to remove: a new value needs a reload.
 */
#define XDRV_PARAM_F_LIVE 1u
#define XDRV_PARAM_F_ALL  XDRV_PARAM_F_LIVE

/*
 * A declared parameter; a table ends with an entry whose name is NULL. Signed defaults and
 * bounds are stored as their two's-complement bit patterns.
 *
 *  0             8      12     16            24            32            40            48
 *  | name        | type | flags| def         | min         | max         | var         |
 *  | desc        |                                                                   56 bytes
 */
struct xdrv_param {
	const char *name; /* [a-z0-9_]{1,31}; the global is xdrv_param_<name> */
	uint32_t type;	  /* XDRV_PARAM_* */
	uint32_t flags;	  /* XDRV_PARAM_F_* (ABI 1.2; was reserved, zero) */
	uint64_t def;
	uint64_t min;
	uint64_t max;
	void *var;	  /* &xdrv_param_<name> */
	const char *desc; /* one line for `xdrv inspect`, may be NULL */
};
XDRV_STATIC_ASSERT(sizeof(struct xdrv_param) == 56, "xdrv_param layout");

/*
 * The descriptor.
 *
 *  0      4       8       12     16            24            32            40
 *  | magic| abi   | size  | flags| name        | version     | match       |
 *  40            48            56            64
 *  | params      | probe       | remove      | reserved[8] (NULL) .. 128
 */
struct xdrv_driver {
	uint32_t magic;	      /* XDRV_DRIVER_MAGIC */
	uint32_t abi_version; /* XDRV_ABI_TARGET: the ABI version the driver was built against */
	uint32_t struct_size; /* sizeof(struct xdrv_driver) */
	uint32_t flags;	      /* zero; reserved for future use */
	const char *name;     /* [a-z0-9_-]{1,63} */
	const char *version;  /* "MAJOR.MINOR.PATCH" */
	const struct xdrv_match *match;
	const struct xdrv_param *params; /* may be NULL */
	/* Bind to `dev`. Return XDRV_OK or a negative status; on failure the driver must have
	 * released what it acquired (the host releases the rest). */
	int32_t (*probe)(xdrv_device_t *dev);
	/* Unbind: quiesce the device, free what probe acquired. */
	void (*remove)(xdrv_device_t *dev);
	void *reserved[8];
};
XDRV_STATIC_ASSERT(sizeof(struct xdrv_driver) == 128, "xdrv_driver layout");

#define XDRV_DRIVER(...)                                                                           \
	const struct xdrv_driver xdrv_driver = {.magic = XDRV_DRIVER_MAGIC,                        \
						.abi_version = XDRV_ABI_TARGET,                    \
						.struct_size = sizeof(struct xdrv_driver),         \
						__VA_ARGS__}

/* Declare parameter storage: XDRV_PARAM(uint32_t, rx_ring); read it as xdrv_param_rx_ring. */
#define XDRV_PARAM(ctype, pname) ctype xdrv_param_##pname

#define XDRV_PARAM_ENTRY(ptype, pname, pdef, pmin, pmax, pdesc)                                    \
	XDRV_PARAM_ENTRY_F(ptype, pname, pdef, pmin, pmax, 0u, pdesc)
/* With flags: XDRV_PARAM_F_LIVE. A driver built for an ABI before 1.2 (XDRV_ABI_WANT) declares
 * none, so the same source builds for older hosts. */
#if defined(XDRV_ABI_TARGET) && XDRV_ABI_TARGET < 1002000u
#define XDRV_PARAM_FLAGS_(f) 0u
#else
#define XDRV_PARAM_FLAGS_(f) (f)
#endif
#define XDRV_PARAM_ENTRY_F(ptype, pname, pdef, pmin, pmax, pflags, pdesc)                          \
	{                                                                                          \
		.name = #pname, .type = (ptype), .flags = XDRV_PARAM_FLAGS_(pflags),               \
		.def = (uint64_t)(pdef), .min = (uint64_t)(pmin), .max = (uint64_t)(pmax),         \
		.var = &xdrv_param_##pname, .desc = (pdesc)                                        \
	}
#define XDRV_PARAM_END                                                                             \
	{                                                                                          \
		.name = NULL                                                                       \
	}

#endif
