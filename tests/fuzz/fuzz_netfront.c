// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: netfront's handling of what a backend writes in the shared rings (TX and
 * RX responses and the producer indexes), with frames transmitted and received in between; the
 * input format is at hvb_netfront_fuzz_responses in hypervisor-backends/xen/netfront.c. Besides
 * crashes and sanitizer reports, the buffer bookkeeping must stay consistent whatever the
 * backend wrote (TX buffers free or in flight, RX buffers posted, queued or held).
 */
#include "../../hypervisor-backends/xen/netfront.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <xdrv/hvb.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void quiet(void *ctx, const char *line)
{
	(void)ctx;
	(void)line;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	hvb_set_log(quiet, NULL); /* each disconnect logs a line */
	if (hvb_netfront_fuzz_responses(data, size) != 0)
		abort();
	return 0;
}
