/* SPDX-License-Identifier: MIT */
/*
 * xdrv driver ABI — umbrella header and version.
 *
 * A driver includes this one header. It pulls in every class of the ABI. The version number is
 * major*1000000 + minor*1000 + patch; a driver may ask for the version it was written against by
 * defining XDRV_ABI_WANT before including, and compilation fails if these headers are older.
 * XDRV_ABI_WANT also sets the version the driver declares (XDRV_ABI_TARGET, stamped into its
 * descriptor by XDRV_DRIVER) and hides what later versions added, so a driver built with
 * -DXDRV_ABI_WANT=1000000 is a 1.0 driver that loads on every 1.x host.
 * What may change between versions, and what never may, is in driver-abi/ABI.md.
 */
#ifndef XDRV_ABI_H
#define XDRV_ABI_H

#define XDRV_ABI_VERSION_MAJOR	      1u
#define XDRV_ABI_VERSION_MINOR	      2u
#define XDRV_ABI_VERSION_PATCH	      0u
#define XDRV_ABI_MKVER(maj, min, pat) ((maj)*1000000u + (min)*1000u + (pat))
#define XDRV_ABI_VERSION                                                                           \
	XDRV_ABI_MKVER(XDRV_ABI_VERSION_MAJOR, XDRV_ABI_VERSION_MINOR, XDRV_ABI_VERSION_PATCH)

#ifdef XDRV_ABI_WANT
#if XDRV_ABI_WANT > XDRV_ABI_VERSION
#error "this driver asks for a newer xdrv ABI than these headers provide"
#endif
#define XDRV_ABI_TARGET XDRV_ABI_WANT
#else
#define XDRV_ABI_TARGET XDRV_ABI_VERSION
#endif
/* What a driver built against XDRV_ABI_TARGET may call: XDRV_ABI_HAS(1, 1) for ABI 1.1. */
#define XDRV_ABI_HAS(maj, min) (XDRV_ABI_TARGET >= XDRV_ABI_MKVER(maj, min, 0))

#include <xdrv/types.h>
#include <xdrv/endian.h>
#include <xdrv/log.h>
#include <xdrv/mem.h>
#include <xdrv/time.h>
#include <xdrv/device.h>
#include <xdrv/irq.h>
#include <xdrv/dma.h>
#include <xdrv/driver.h>
#include <xdrv/net.h>
#include <xdrv/scsi.h>
#include <xdrv/block.h>

#endif
