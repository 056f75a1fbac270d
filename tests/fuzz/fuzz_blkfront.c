// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: blkfront's handling of what a backend writes in the shared ring (responses
 * and the producer index), with requests queued in between; the input format is at
 * hvb_blkfront_fuzz_responses in hypervisor-backends/xen/blkfront.c. Besides crashes and
 * sanitizer reports, the slot bookkeeping must stay consistent whatever the backend wrote
 * (busy slots == requests outstanding, the free list holds the rest).
 */
#include "../../hypervisor-backends/hvb_priv.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (hvb_blkfront_fuzz_responses(data, size) != 0)
		abort();
	return 0;
}
