// SPDX-License-Identifier: MIT
/*
 * xdrv-taprelay: the ceiling of the TAP path of `xdrv run --host-tap A --wire tap:B`, with no
 * driver and no device model: two interfaces (each optionally in a network namespace), created
 * with the same code `xdrv run --host-tap` and the "tap" wire use (xdrv/tap.h), and every frame
 * read from one written to the other, both ways, in one thread with poll(2). A side without
 * offload moves frames as the "tap" wire does (io=auto: a veth with PACKET_MMAP rings, batched,
 * else a TAP; io=tap forces the TAP); a side with offload is a TAP. A side with offload (the
 * default, as --host-tap) exchanges a virtio_net_hdr with the kernel; a frame whose TCP/UDP
 * checksum the kernel left to us (NEEDS_CSUM) gets it completed in software when it goes to a
 * side without offload, as the DP83820 model's checksum offload does on the `xdrv run` path.
 *
 *   xdrv-taprelay [--for SECONDS] A-SPEC B-SPEC
 *     SPEC: IFNAME[@NETNS] or name=IFNAME[,netns=NETNS][,mtu=N][,offload=0|1]
 *   e.g. xdrv-taprelay xtA@nsA name=xtB,netns=nsB,offload=0   (the `xdrv run` configuration)
 *
 * Prints "relay: up" once both interfaces exist, runs until SIGINT/SIGTERM (or --for), then
 * prints the frames and bytes moved each way and the frames dropped. Exit 0, 1 on a setup
 * error, 2 on a usage error.
 */
#include <xdrv/tap.h>

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include <xdrv/endian.h>
#include <xdrv/util.h>
#include <xdrv/wire.h>

#define FRAME_MAX 65536u
#define BATCH	  64

struct side {
	struct hvb_tap_cfg cfg;
	int fd;			/* a TAP, or -1 */
	struct hvb_ring *ring;	/* a ring, or NULL */
	uint64_t frames, bytes; /* read from this side and written to the other */
	uint64_t drops;		/* read here, not written to the other side */
	uint64_t csum_done;	/* checksums completed in software on the way out */
};

static volatile sig_atomic_t stop_signal;
static uint8_t frame_buf[FRAME_MAX]; /* the frame being relayed */

static void on_signal(int sig)
{
	stop_signal = sig;
}

static int usage(const char *why)
{
	if (why)
		fprintf(stderr, "xdrv-taprelay: %s\n", why);
	fprintf(stderr,
		"usage: xdrv-taprelay [--for SECONDS] A-SPEC B-SPEC\n"
		"  SPEC: IFNAME[@NETNS] or "
		"name=IFNAME[,netns=NETNS][,addr=A/N][,mtu=N][,offload=0|1][,io=auto|ring|tap]\n"
		"  Relays every frame between two TAP interfaces (no driver): the ceiling of\n"
		"  `xdrv run --host-tap A --wire tap:B`. Runs until SIGINT/SIGTERM or --for.\n");
	return 2;
}

/* One frame from `in`: its length (the vnet header in *h, zero for a ring) and *frame, or 0. */
static size_t take(struct side *in, uint8_t *buf, struct hvb_tap_vnet *h, uint8_t **frame)
{
	memset(h, 0, sizeof *h);
	if (in->ring) {
		const uint8_t *f;
		int len = hvb_ring_peek(in->ring, &f);
		*frame = (uint8_t *)f; /* the ring's mapping is writable: a checksum may go in */
		return len > 0 ? (size_t)len : 0;
	}
	size_t hin = in->cfg.offload ? sizeof(struct hvb_tap_vnet) : 0;
	struct iovec iov[2] = {{h, sizeof *h}, {buf, FRAME_MAX}};
	ssize_t got = readv(in->fd, iov + !hin, 2 - !hin);
	*frame = buf;
	return got > (ssize_t)hin ? (size_t)got - hin : 0;
}

static bool put(struct side *out, struct hvb_tap_vnet *h, const uint8_t *frame, size_t len)
{
	if (out->ring)
		return hvb_ring_put(out->ring, frame, len) == 0;
	size_t hout = out->cfg.offload ? sizeof(struct hvb_tap_vnet) : 0;
	struct iovec ov[2] = {{h, sizeof *h}, {(void *)frame, len}};
	return writev(out->fd, ov + !hout, 2 - !hout) == (ssize_t)(len + hout);
}

/* Move up to BATCH frames from `in` to `out`. Returns frames read. */
static int relay(struct side *in, struct side *out, uint8_t *buf)
{
	int moved = 0;
	bool hout = out->cfg.offload && !out->ring;
	while (moved < BATCH) {
		struct hvb_tap_vnet h;
		uint8_t *frame;
		size_t len = take(in, buf, &h, &frame);
		if (!len)
			break;
		moved++;
		if ((h.flags & HVB_TAP_NEEDS_CSUM) && !hout) {
			/* the kernel stored the pseudo-header sum in the field: finish it */
			size_t start = h.csum_start, at = start + h.csum_offset;
			if (start < len && at + 2 <= len) {
				uint16_t c =
					hvb_csum_fold(hvb_csum_add(0, frame + start, len - start));
				if (c == 0 && h.csum_offset == 6) /* UDP: 0 means "no checksum" */
					c = 0xffff;
				xdrv_put_be16(frame + at, c);
				in->csum_done++;
			}
		}
		if (put(out, &h, frame, len)) {
			in->frames++;
			in->bytes += len;
		} else {
			in->drops++;
		}
		if (in->ring)
			hvb_ring_next(in->ring);
	}
	hvb_ring_flush(out->ring);
	return moved;
}

static int side_fd(const struct side *s)
{
	return s->ring ? hvb_ring_fd(s->ring) : s->fd;
}

/* As the "tap" wire: a ring unless offload or io=tap; io=auto falls back to a TAP, saying why. */
static int open_side(struct side *s, char **err)
{
	if (!s->cfg.offload && s->cfg.io != HVB_TAP_IO_TAP) {
		char *why = NULL;
		int rc = hvb_ring_open(&s->cfg, &s->ring, &why);
		if (rc == 0)
			return 0;
		if (s->cfg.io == HVB_TAP_IO_RING) {
			*err = why;
			return rc;
		}
		printf("relay: %s: plain TAP I/O, one system call per frame (the ring is "
		       "unavailable: %s)\n",
		       s->cfg.name, why ? why : "?");
		free(why);
	}
	int fd = hvb_tap_open(&s->cfg, err);
	if (fd < 0)
		return fd;
	s->fd = fd;
	return 0;
}

static void close_side(struct side *s)
{
	hvb_ring_close(s->ring);
	s->ring = NULL;
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {{"for", required_argument, NULL, 'f'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	double for_s = 0;
	int c;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'f') {
			char *end = NULL;
			for_s = strtod(optarg, &end);
			if (!*optarg || *end || !(for_s > 0 && for_s < 1e6))
				return usage("--for wants a number of seconds > 0");
		} else if (c == 'h') {
			usage(NULL);
			return 0;
		} else {
			return usage(NULL);
		}
	}
	if (argc - optind != 2)
		return usage("wants two TAP specs");

	struct side s[2];
	memset(s, 0, sizeof s);
	s[0].fd = s[1].fd = -1;
	char *err = NULL;
	int rc = 0;
	for (int i = 0; rc == 0 && i < 2; i++) {
		rc = hvb_tap_parse(argv[optind + i], "tap", true, true, &s[i].cfg, &err);
		if (rc == 0) {
			/* locally administered, distinct: 02:00:00:83:30:0a / 0b */
			const uint8_t mac[6] = {0x02, 0, 0, 0x83, 0x30, (uint8_t)(0x0a + i)};
			memcpy(s[i].cfg.mac, mac, 6);
			s[i].cfg.has_mac = true;
			rc = open_side(&s[i], &err);
		}
	}
	if (rc == 0 && !strcmp(s[0].cfg.name, s[1].cfg.name) &&
	    !strcmp(s[0].cfg.netns, s[1].cfg.netns))
		rc = xdrv_err(&err, -EINVAL, "both sides are %s", s[0].cfg.name);
	if (rc < 0) {
		fprintf(stderr, "xdrv-taprelay: %s\n", err ? err : strerror(-rc));
		free(err);
		for (int i = 0; i < 2; i++)
			close_side(&s[i]);
		return 1;
	}

	struct sigaction sa = {.sa_handler = on_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	for (int i = 0; i < 2; i++)
		printf("relay: %s %s%s%s (%s)\n", i ? "B" : "A", s[i].cfg.name,
		       s[i].cfg.netns[0] ? " in " : "", s[i].cfg.netns,
		       s[i].ring	  ? "veth, PACKET_MMAP rings"
		       : s[i].cfg.offload ? "TAP, virtio_net_hdr, checksum offload"
					  : "TAP, plain frames");
	printf("relay: up\n");
	fflush(stdout);

	uint64_t start = xdrv_now_ns();
	uint64_t end = for_s > 0 ? start + (uint64_t)(for_s * 1e9) : UINT64_MAX;
	while (!stop_signal) {
		uint64_t now = xdrv_now_ns();
		if (now >= end)
			break;
		int busy = relay(&s[0], &s[1], frame_buf) + relay(&s[1], &s[0], frame_buf);
		if (busy)
			continue;
		struct pollfd pfd[2] = {{.fd = side_fd(&s[0]), .events = POLLIN},
					{.fd = side_fd(&s[1]), .events = POLLIN}};
		long long left_ms =
			end == UINT64_MAX ? 1000 : (long long)((end - now) / 1000000u) + 1;
		poll(pfd, 2, (int)(left_ms < 1000 ? left_ms : 1000));
	}
	double secs = (double)(xdrv_now_ns() - start) / 1e9;
	if (stop_signal)
		printf("relay: stopping on signal %d\n", (int)stop_signal);
	for (int i = 0; i < 2; i++)
		printf("relay: %s -> %s %" PRIu64 " frames %" PRIu64
		       " bytes (%.3f Gbit/s over %.1f s), "
		       "%" PRIu64 " dropped, %" PRIu64 " checksums completed\n",
		       s[i].cfg.name, s[!i].cfg.name, s[i].frames, s[i].bytes,
		       secs > 0 ? (double)s[i].bytes * 8 / secs / 1e9 : 0.0, secs, s[i].drops,
		       s[i].csum_done);
	for (int i = 0; i < 2; i++) {
		if (s[i].ring) {
			struct hvb_ring_stats rs;
			hvb_ring_get_stats(s[i].ring, &rs);
			printf("relay: %s ring: %" PRIu64 " sends (kicks), %" PRIu64
			       " frames rejected (too long or short), %" PRIu64
			       " found it full, %" PRIu64
			       " dropped by the kernel (receive ring full)\n",
			       s[i].cfg.name, rs.kicks, rs.rx_oversize + rs.rx_runts, rs.tx_full,
			       rs.rx_ring_full);
		}
		close_side(&s[i]);
	}
	return 0;
}
