// SPDX-License-Identifier: MIT
/*
 * The SCSI workload: synchronous I/Os (queue depth 1) of a given size through the block
 * device a variant's virtio_scsi driver registered, at random 4 KiB-aligned offsets (the same
 * sequence as the pread/pwrite ceiling, bench_rng_next) or sequentially; one timed measurement.
 * The devices are variants.c's; which sizes and counts, and where the results go, bench.c's.
 */
#include "bench_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <xdrv/runtime.h>
#include <xdrv/util.h>

int bench_disk_run(struct variant *v, struct disk *d, uint32_t op, bool seq, uint32_t bytes,
		   uint32_t count, uint8_t *buf, double *iops, char **err)
{
	uint32_t bs = ldr_blk_block_size(d->bd), blocks = bytes / bs;
	uint64_t slots = ldr_blk_num_blocks(d->bd) / blocks, rng = BENCH_RNG_SEED;
	if (!slots)
		return xdrv_err(err, -ERANGE, "disk smaller than one I/O");
	uint64_t t0 = bench_clock_ns();
	for (uint32_t i = 0; i < count; i++) {
		uint64_t slot = seq ? i % slots : bench_rng_next(&rng) % slots;
		char *e = NULL;
		int rc = ldr_blk_io(d->bd, op, slot * blocks, blocks, buf, &e);
		if (rc) {
			xdrv_err(err, rc, "%s: %s: %s", bench_mode_names[v->mode],
				 ldr_blk_name(d->bd), e ? e : "I/O failed");
			free(e);
			return rc;
		}
	}
	*iops = count / ((double)(bench_clock_ns() - t0) / 1e9);
	return 0;
}
