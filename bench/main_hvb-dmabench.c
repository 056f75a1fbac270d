// SPDX-License-Identifier: MIT
/*
 * hvb-dmabench: the per-operation cost of a device's DMA bookkeeping on the native backend, the
 * part of a NIC's per-frame time that grows with the ring (issue 14): a ring of N live
 * mappings in which the oldest is unmapped and a new one mapped per frame, as a NIC driver
 * refilling RX buffers does, and a 64-byte model write through a mapping (one translation and
 * a guarded copy). Only the public hvb API is used, so the same source measures any version of
 * the table.
 *
 *   hvb-dmabench [--reps R] [--pairs P] [LIVE...]     default: 7 reps, 200000 pairs, 16 256 4096
 *
 * Prints one Markdown table: per LIVE, ns per map+unmap pair and per 64-byte DMA write, the
 * median with min and max over the reps, wall time and CPU time of the process (the machine is
 * shared; CPU time is what the operation costs, wall time what a neighbour's load adds to it).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xdrv/dma.h>
#include <xdrv/hvb.h>

#define FRAME	 2048u
#define LIVE_MAX 65536u /* a device's mapping cap */

static double now_ns(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

struct stat3 {
	double min, med, max;
};

static struct stat3 stat3(double *v, unsigned n)
{
	qsort(v, n, sizeof *v, cmp_double);
	return (struct stat3){v[0], v[n / 2], v[n - 1]};
}

/* One rep: `pairs` unmap+map pairs over a ring of `live` mappings, then `pairs` DMA writes
 * spread over the ring. ns per operation, wall and CPU. */
static int one_rep(struct hvb_device *d, uint8_t *bufs, uint64_t *bus, unsigned live,
		   unsigned pairs, double out[4])
{
	char *err = NULL;
	for (unsigned i = 0; i < live; i++)
		if (hvb_dma_map(d, bufs + (size_t)i * FRAME, FRAME, XDRV_DMA_FROM_DEVICE, &bus[i],
				&err) != 0)
			goto fail;
	double w0 = now_ns(CLOCK_MONOTONIC), c0 = now_ns(CLOCK_PROCESS_CPUTIME_ID);
	for (unsigned n = 0; n < pairs; n++) {
		unsigned k = n % live;
		if (hvb_dma_unmap(d, bus[k], FRAME) != 0 ||
		    hvb_dma_map(d, bufs + (size_t)k * FRAME, FRAME, XDRV_DMA_FROM_DEVICE, &bus[k],
				&err) != 0)
			goto fail;
	}
	double w1 = now_ns(CLOCK_MONOTONIC), c1 = now_ns(CLOCK_PROCESS_CPUTIME_ID);
	static const uint8_t frame[64] = {1, 2, 3};
	for (unsigned n = 0; n < pairs; n++)
		if (hvb_dma_write(d, bus[(n * 7u) % live] + 14, frame, sizeof frame) != 0) {
			fprintf(stderr, "hvb-dmabench: DMA write failed\n");
			return -1;
		}
	double w2 = now_ns(CLOCK_MONOTONIC), c2 = now_ns(CLOCK_PROCESS_CPUTIME_ID);
	for (unsigned i = 0; i < live; i++)
		hvb_dma_unmap(d, bus[i], FRAME);
	out[0] = (w1 - w0) / pairs;
	out[1] = (c1 - c0) / pairs;
	out[2] = (w2 - w1) / pairs;
	out[3] = (c2 - c1) / pairs;
	return 0;
fail:
	fprintf(stderr, "hvb-dmabench: %s\n", err ? err : "unmap failed");
	free(err);
	return -1;
}

/* A decimal number in 1..max, or false. */
static bool parse_count(const char *s, unsigned max, unsigned *out)
{
	char *end = NULL;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v == 0 || v > max)
		return false;
	*out = (unsigned)v;
	return true;
}

int main(int argc, char **argv)
{
	unsigned reps = 7, pairs = 200000, lives[16] = {0}, nlives = 0;
	for (int i = 1; i < argc; i++) {
		bool ok;
		if (!strcmp(argv[i], "--reps") && i + 1 < argc)
			ok = parse_count(argv[++i], 99, &reps);
		else if (!strcmp(argv[i], "--pairs") && i + 1 < argc)
			ok = parse_count(argv[++i], 100000000u, &pairs);
		else
			ok = nlives < 16 && parse_count(argv[i], LIVE_MAX, &lives[nlives++]);
		if (!ok) {
			fprintf(stderr,
				"hvb-dmabench: bad argument '%s'\n"
				"usage: hvb-dmabench [--reps 1..99] [--pairs P] [LIVE...] (LIVE "
				"1..%u, "
				"at most 16)\n",
				argv[i], LIVE_MAX);
			return 2;
		}
	}
	if (!nlives) {
		lives[0] = 16;
		lives[1] = 256;
		lives[2] = 4096;
		nlives = 3;
	}
	struct hvb_backend *be = NULL;
	struct hvb_device *d = NULL;
	char *err = NULL;
	if (hvb_backend_create("native", NULL, &be, &err) != 0 ||
	    hvb_device_create(be, "null", NULL, &d, &err) != 0) {
		fprintf(stderr, "hvb-dmabench: %s\n", err ? err : "no device");
		free(err);
		hvb_backend_destroy(be);
		return 1;
	}
	printf("| live mappings | map+unmap ns (wall) | map+unmap ns (CPU) | 64 B DMA write ns "
	       "(wall) | 64 B DMA write ns (CPU) |\n|---:|---:|---:|---:|---:|\n");
	int rc = 0;
	for (unsigned l = 0; l < nlives && rc == 0; l++) {
		unsigned live = lives[l];
		uint8_t *bufs = calloc(live, FRAME);
		uint64_t *bus = calloc(live, sizeof *bus);
		double v[4][99];
		rc = bufs && bus ? 0 : 1;
		for (unsigned r = 0; r < reps && rc == 0; r++) {
			double o[4];
			rc = one_rep(d, bufs, bus, live, pairs, o) != 0;
			for (int k = 0; k < 4 && rc == 0; k++)
				v[k][r] = o[k];
		}
		if (rc == 0) {
			printf("| %u |", live);
			for (int k = 0; k < 4; k++) {
				struct stat3 s = stat3(v[k], reps);
				printf(" %.1f (%.1f-%.1f) |", s.med, s.min, s.max);
			}
			printf("\n");
		}
		free(bufs);
		free(bus);
	}
	hvb_backend_destroy(be);
	return rc;
}
