// SPDX-License-Identifier: MIT
/*
 * The ceilings the drivers are measured against, the same bytes moved without any driver or
 * device model: memcpy of each frame into a ring of buffers (NIC), memcpy to and from a RAM
 * buffer of the RAM disk's size (SCSI RAM), and pread/pwrite on the same image file at the
 * same offsets (SCSI image). Creating the image is bench.c's; so is recording the results.
 */
#include "bench_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xdrv/runtime.h>
#include <xdrv/util.h>

int bench_ceil_alloc(struct ceil_bufs *c, uint64_t ram_len, char **err)
{
	c->ring = malloc((size_t)CEIL_RING * FRAME_BUF);
	if (!c->ring)
		return xdrv_err(err, -ENOMEM, "out of memory");
	memset(c->ring, 0, (size_t)CEIL_RING * FRAME_BUF); /* no page faults in the ceiling */
	c->ram_len = ram_len;
	c->ram = malloc(ram_len);
	if (!c->ram)
		return xdrv_err(err, -ENOMEM, "out of memory for the RAM ceiling");
	memset(c->ram, 0x5a, ram_len);
	return 0;
}

void bench_ceil_free(struct ceil_bufs *c)
{
	free(c->ring);
	free(c->ram);
	c->ring = NULL;
	c->ram = NULL;
}

double bench_ceil_frames(struct ceil_bufs *c, const uint8_t *frame, uint32_t size, uint32_t count)
{
	uint64_t t0 = bench_clock_ns();
	for (uint32_t i = 0; i < count; i++) {
		uint8_t *dst = c->ring + (size_t)(i % CEIL_RING) * FRAME_BUF;
		memcpy(dst, frame, size);
		__asm__ volatile("" : : "r"(dst) : "memory"); /* the copy may not be elided */
	}
	return count / ((double)(bench_clock_ns() - t0) / 1e9);
}

double bench_ceil_disk(struct ceil_bufs *c, bool file, bool write, bool seq, uint32_t bytes,
		       uint32_t count, uint8_t *buf, char **err, int *rc)
{
	uint64_t slots = (file ? c->file_len : c->ram_len) / bytes, rng = BENCH_RNG_SEED;
	if (!slots) {
		*rc = xdrv_err(err, -ERANGE, "ceiling: %s smaller than one I/O",
			       file ? "the file" : "the RAM buffer");
		return 0;
	}
	uint64_t t0 = bench_clock_ns();
	for (uint32_t i = 0; i < count; i++) {
		uint64_t off = (seq ? i % slots : bench_rng_next(&rng) % slots) * bytes;
		if (!file) {
			if (write)
				memcpy(c->ram + off, buf, bytes);
			else
				memcpy(buf, c->ram + off, bytes);
			__asm__ volatile("" : : "r"(buf) : "memory");
			continue;
		}
		ssize_t n = write ? pwrite(c->fd, buf, bytes, (off_t)off)
				  : pread(c->fd, buf, bytes, (off_t)off);
		if (n != (ssize_t)bytes) {
			*rc = xdrv_err(err, -EIO, "image: %s at %llu: %s",
				       write ? "pwrite" : "pread", (unsigned long long)off,
				       n < 0 ? strerror(errno) : "short");
			return 0;
		}
	}
	return count / ((double)(bench_clock_ns() - t0) / 1e9);
}
