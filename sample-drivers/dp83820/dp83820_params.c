// SPDX-License-Identifier: MIT
/*
 * dp83820's parameters with their defaults; the loader specializes each into a constant. The
 * table that describes them (range, help) is dp_params in dp83820.c. In a file of their own
 * because every file of the driver reads them and this one needs none of the others.
 */
#include "dp83820.h"

XDRV_PARAM(uint32_t, rx_ring) = 64;
XDRV_PARAM(uint32_t, tx_ring) = 128;
XDRV_PARAM(uint32_t, holdoff_us) = 100;
XDRV_PARAM(uint32_t, csum_offload) = 1;
XDRV_PARAM(uint32_t, desc64) = 0;
XDRV_PARAM(uint32_t, mtu) = 1500;
