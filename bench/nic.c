// SPDX-License-Identifier: MIT
/*
 * The NIC workloads, each one timed measurement on a variant's dp83820 and its generator
 * wire: RX (the generator feeds frames through the chip and the driver to the host), TX (the
 * host sends frames through the driver until the wire has them all), and round trips (one
 * frame out, one in, timed together; p50 and p99). Each gives up with an error after
 * MEASURE_CAP_NS. The devices are variants.c's; the counts and where the results go bench.c's.
 */
#include "bench_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <xdrv/runtime.h>
#include <xdrv/util.h>
#include <xdrv/wire.h>

#define MEASURE_CAP_NS (20ull * 1000000000u) /* one measurement may not take longer */

struct timeout_ctx {
	uint64_t end;
	const char *what;
	int mode;
};

static int too_long(const struct timeout_ctx *t, char **err)
{
	if (xdrv_now_ns() < t->end)
		return 0;
	return xdrv_err(err, -ETIMEDOUT, "%s: %s did not finish within %llu s",
			bench_mode_names[t->mode], t->what, MEASURE_CAP_NS / 1000000000ull);
}

int bench_nic_rx(struct variant *v, uint32_t size, uint32_t count, double *pps, char **err)
{
	struct nic *n = &v->nic;
	struct timeout_ctx to = {xdrv_now_ns() + MEASURE_CAP_NS, "NIC RX", v->mode};
	uint64_t want = n->rx + count;
	uint64_t t0 = bench_clock_ns();
	if (hvb_wire_gen_start(n->wire, count, size) != 0)
		return xdrv_err(err, -EINVAL, "generator refused %u frames of %u bytes", count,
				size);
	uint32_t spins = 0;
	while (n->rx < want) {
		ldr_driver_dispatch(n->drv);
		if (++spins % 64 == 0 && too_long(&to, err))
			return -ETIMEDOUT;
	}
	*pps = count / ((double)(bench_clock_ns() - t0) / 1e9);
	return 0;
}

static uint64_t wire_tx_frames(const struct nic *n)
{
	struct hvb_wire_stats ws;
	hvb_wire_get_stats(n->wire, &ws);
	return ws.tx_frames;
}

int bench_nic_tx(struct variant *v, const uint8_t *frame, uint32_t size, uint32_t count,
		 double *pps, char **err)
{
	struct nic *n = &v->nic;
	struct timeout_ctx to = {xdrv_now_ns() + MEASURE_CAP_NS, "NIC TX", v->mode};
	uint64_t want = wire_tx_frames(n) + count;
	uint64_t t0 = bench_clock_ns();
	uint32_t sent = 0, spins = 0;
	while (sent < count) {
		if (ldr_net_xmit(n->nd, frame, size, XDRV_CSUM_NONE, 0, 0) == 0) {
			if (++sent % 32 == 0)
				ldr_driver_dispatch(n->drv);
		} else {
			ldr_driver_dispatch(n->drv); /* backlog full: let the driver reap */
		}
		if (++spins % 256 == 0 && too_long(&to, err))
			return -ETIMEDOUT;
	}
	while (wire_tx_frames(n) < want) {
		ldr_driver_dispatch(n->drv);
		if (++spins % 64 == 0 && too_long(&to, err))
			return -ETIMEDOUT;
	}
	*pps = count / ((double)(bench_clock_ns() - t0) / 1e9);
	return 0;
}

/* One round trip: a 64-byte frame out through the driver to the wire, then one frame from the
 * wire in through the driver to the host; microseconds. */
static int round_trip(struct nic *n, const uint8_t *frame, const struct timeout_ctx *to, double *us,
		      char **err)
{
	int rc = 0;
	uint64_t out = wire_tx_frames(n) + 1, in = n->rx + 1;
	uint64_t t0 = bench_clock_ns();
	while (ldr_net_xmit(n->nd, frame, bench_frame_sizes[0], XDRV_CSUM_NONE, 0, 0) != 0 &&
	       !(rc = too_long(to, err)))
		ldr_driver_dispatch(n->drv);
	while (rc == 0 && wire_tx_frames(n) < out && !(rc = too_long(to, err)))
		ldr_driver_dispatch(n->drv);
	if (rc == 0 && hvb_wire_gen_start(n->wire, 1, bench_frame_sizes[0]) != 0)
		rc = xdrv_err(err, -EINVAL, "generator refused a frame");
	while (rc == 0 && n->rx < in && !(rc = too_long(to, err)))
		ldr_driver_dispatch(n->drv);
	*us = (double)(bench_clock_ns() - t0) / 1e3;
	return rc;
}

int bench_nic_latency(struct variant *v, const uint8_t *frame, uint32_t count, double *p50,
		      double *p99, char **err)
{
	struct timeout_ctx to = {xdrv_now_ns() + MEASURE_CAP_NS, "NIC round trip", v->mode};
	double *us = calloc(count, sizeof *us);
	if (!us)
		return xdrv_err(err, -ENOMEM, "out of memory");
	int rc = 0;
	for (uint32_t i = 0; i < count && rc == 0; i++)
		rc = round_trip(&v->nic, frame, &to, &us[i], err);
	if (rc == 0) {
		*p50 = bench_percentile(us, count, 0.50);
		*p99 = bench_percentile(us, count, 0.99);
	}
	free(us);
	return rc;
}
