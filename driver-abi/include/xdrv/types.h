/* SPDX-License-Identifier: MIT */
/*
 * xdrv driver ABI — basic types, status codes and opaque handles.
 *
 * Only <stdint.h> fixed-width types cross the ABI. Handles are opaque: a driver never looks
 * inside them, and the host validates every handle it is given back, so a stale or forged handle
 * is answered with XDRV_EINVAL instead of a crash.
 */
#ifndef XDRV_TYPES_H
#define XDRV_TYPES_H

#include <stdint.h>

#ifndef NULL
#define NULL ((void *)0)
#endif

/* Status codes: 0 or a negative number. Values follow Linux errno so that logs read familiarly;
 * they are part of the ABI and never renumbered. */
#define XDRV_OK	       0
#define XDRV_EPERM     (-1)
#define XDRV_EIO       (-5)
#define XDRV_EAGAIN    (-11)
#define XDRV_ENOMEM    (-12)
#define XDRV_EFAULT    (-14)
#define XDRV_EBUSY     (-16)
#define XDRV_EEXIST    (-17)
#define XDRV_ENODEV    (-19)
#define XDRV_EINVAL    (-22)
#define XDRV_ENOSPC    (-28)
#define XDRV_ERANGE    (-34)
#define XDRV_ENOTSUP   (-95)
#define XDRV_ETIMEDOUT (-110)

/* Opaque handles. */
typedef struct xdrv_device xdrv_device_t;	/* a device bound to this driver */
typedef struct xdrv_region xdrv_region_t;	/* a register window (MMIO or port I/O) */
typedef struct xdrv_netdev xdrv_netdev_t;	/* a registered network interface */
typedef struct xdrv_pkt xdrv_pkt_t;		/* a network packet buffer */
typedef struct xdrv_scsi_host xdrv_scsi_host_t; /* a registered SCSI host adapter */
typedef struct xdrv_blkdev xdrv_blkdev_t;	/* a registered block device */
typedef struct xdrv_rxpool xdrv_rxpool_t;	/* ABI 1.1: pre-mapped receive buffers */

#define XDRV_STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)

#endif
