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
 *
 * Two more I/O kinds exist only here, for choosing the wire's I/O (docs/BENCHMARKS.md, "Wire
 * I/O", scripts/bench.d/26-wire-options.sh); a spec's io= may name them:
 *   io=vnet  a TAP with IFF_VNET_HDR and TUNSETOFFLOAD TUN_F_CSUM|TUN_F_TSO4|TUN_F_TSO6: the
 *            kernel hands over super-frames of up to 64 KiB; the virtio_net_hdr goes through
 *            unchanged, so both sides must be io=vnet.
 *   io=xdp   the veth pair of io=ring, but an AF_XDP socket (libxdp's xsk_socket__create, generic
 *            SKB mode, copy) on the hidden peer instead of the PACKET_MMAP sockets (which stay
 *            idle: the XDP program takes every frame before them). Frames fit a 4 KiB UMEM chunk:
 *            mtu <= 3800. Needs CAP_NET_ADMIN, CAP_NET_RAW, CAP_BPF (root) and CONFIG_XDP_SOCKETS.
 * A kind this machine or build cannot provide is refused with a message naming it and exit 1.
 */
#define _GNU_SOURCE /* setns */
#include <xdrv/tap.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/if_tun.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include <xdrv/endian.h>
#include <xdrv/util.h>
#include <xdrv/wire.h>
#ifdef XDRV_HAVE_LIBXDP
#include <linux/if_link.h>
#include <sched.h>
#include <sys/mman.h>
#include <bpf/libbpf.h>
#include <stdarg.h>
#include <xdp/libxdp.h>
#include <xdp/xsk.h>
#endif

#define FRAME_MAX (65536u + 64u) /* a 64 KiB super-frame and its Ethernet header */
#define BATCH	  64

/* The kinds of I/O a side can have: the wire's (xdrv/tap.h) and the two of this experiment. */
enum io_kind { IO_AUTO, IO_TAP, IO_RING, IO_VNET, IO_XDP };
static const char *const io_names[] = {"auto", "tap", "ring", "vnet", "xdp"};

#ifdef XDRV_HAVE_LIBXDP
#define XSK_FRAME  4096u /* one UMEM chunk per frame, no multi-buffer */
#define XSK_FRAMES 4096u /* half to the fill ring, half to send from */
#define XSK_RING   2048u
struct xsk {
	struct xsk_umem *umem;
	struct xsk_socket *sock;
	struct xsk_ring_prod fq, tx;
	struct xsk_ring_cons cq, rx;
	uint8_t *area;
	uint64_t free_tx[XSK_FRAMES / 2]; /* chunks free for sending */
	uint32_t nfree, pending;	  /* free chunks; sent, not yet kicked */
	uint32_t rx_idx, rx_avail, rx_taken;
	uint64_t bad; /* descriptors out of the UMEM: skipped */
};
#else
struct xsk;
#endif

struct side {
	struct hvb_tap_cfg cfg;
	enum io_kind io;
	int fd;			/* a TAP, or -1 */
	struct hvb_ring *ring;	/* a ring (or the veth pair under an AF_XDP socket), or NULL */
	struct xsk *xsk;	/* an AF_XDP socket, or NULL */
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
		"name=IFNAME[,netns=NETNS][,addr=A/N][,mtu=N][,offload=0|1]\n"
		"        [,io=auto|ring|tap|vnet|xdp]\n"
		"  Relays every frame between two TAP interfaces (no driver): the ceiling of\n"
		"  `xdrv run --host-tap A --wire tap:B`. Runs until SIGINT/SIGTERM or --for.\n"
		"  io=vnet: TAPs with TSO super-frames (both sides); io=xdp: AF_XDP on a veth\n"
		"  (libxdp, generic mode, mtu <= 3800). An unavailable kind is refused (exit "
		"1).\n");
	return 2;
}

/* ---- io=xdp: an AF_XDP socket on the veth's hidden peer ----------------------------------- */
#ifdef XDRV_HAVE_LIBXDP
/* The chunks the kernel finished sending are free again. */
static void xsk_reclaim(struct xsk *x)
{
	uint32_t idx;
	uint32_t n = xsk_ring_cons__peek(&x->cq, XSK_FRAMES / 2, &idx);
	for (uint32_t i = 0; i < n && x->nfree < XSK_FRAMES / 2; i++)
		x->free_tx[x->nfree++] = *xsk_ring_cons__comp_addr(&x->cq, idx + i);
	xsk_ring_cons__release(&x->cq, n);
}

static size_t xsk_take(struct xsk *x, uint8_t **frame)
{
	while (1) {
		if (x->rx_taken == x->rx_avail) {
			if (x->rx_avail)
				xsk_ring_cons__release(&x->rx, x->rx_avail);
			x->rx_taken = 0;
			x->rx_avail = xsk_ring_cons__peek(&x->rx, BATCH, &x->rx_idx);
			if (!x->rx_avail)
				return 0;
		}
		const struct xdp_desc *d = xsk_ring_cons__rx_desc(&x->rx, x->rx_idx + x->rx_taken);
		uint64_t off = xsk_umem__add_offset_to_addr(d->addr);
		if (d->len >= 14 && off < (uint64_t)XSK_FRAMES * XSK_FRAME &&
		    d->len <= XSK_FRAME - off % XSK_FRAME) {
			*frame = x->area + off;
			return d->len;
		}
		x->bad++; /* not a frame we can read: give the chunk back, skip it */
		x->rx_taken++;
	}
}

/* Done with the frame xsk_take returned: its chunk goes back to the fill ring. */
static void xsk_next(struct xsk *x)
{
	const struct xdp_desc *d = xsk_ring_cons__rx_desc(&x->rx, x->rx_idx + x->rx_taken);
	uint32_t idx;
	if (xsk_ring_prod__reserve(&x->fq, 1, &idx) == 1) {
		*xsk_ring_prod__fill_addr(&x->fq, idx) =
			xsk_umem__extract_addr(d->addr) & ~(uint64_t)(XSK_FRAME - 1);
		xsk_ring_prod__submit(&x->fq, 1);
	}
	x->rx_taken++;
}

static bool xsk_put(struct xsk *x, const uint8_t *frame, size_t len)
{
	uint32_t idx;
	if (!x->nfree)
		xsk_reclaim(x);
	if (len > XSK_FRAME || !x->nfree || xsk_ring_prod__reserve(&x->tx, 1, &idx) != 1)
		return false;
	uint64_t addr = x->free_tx[--x->nfree];
	memcpy(x->area + addr, frame, len);
	struct xdp_desc *d = xsk_ring_prod__tx_desc(&x->tx, idx);
	d->addr = addr;
	d->len = (uint32_t)len;
	xsk_ring_prod__submit(&x->tx, 1);
	x->pending++;
	return true;
}

/* Generic (copy) mode sends only when told: sendto(2) per batch of 32. */
static void xsk_flush(struct xsk *x)
{
	if (!x || !x->pending)
		return;
	/* the kernel sends at most 32 descriptors per call in this mode (MAX_PER_SOCKET_BUDGET) */
	for (uint32_t left = x->pending; left; left = left > 32 ? left - 32 : 0)
		if (sendto(xsk_socket__fd(x->sock), NULL, 0, MSG_DONTWAIT, NULL, 0) < 0 &&
		    errno != EAGAIN && errno != EBUSY && errno != ENOBUFS)
			break;
	x->pending = 0;
	xsk_reclaim(x);
}

static void xsk_close(struct xsk *x)
{
	if (!x)
		return;
	if (x->sock)
		xsk_socket__delete(x->sock);
	if (x->umem)
		xsk_umem__delete(x->umem);
	if (x->area)
		munmap(x->area, (size_t)XSK_FRAMES * XSK_FRAME);
	free(x);
}

static int xsk_fd(const struct xsk *x)
{
	return xsk_socket__fd(x->sock);
}

/* libbpf and libxdp say what they do at INFO; only their warnings go to stderr. */
__attribute__((format(printf, 2, 0))) static int xdp_say(bool warn, const char *fmt, va_list ap)
{
	if (!warn)
		return 0;
	char line[512];
	vsnprintf(line, sizeof line, fmt, ap);
	/* without a bpffs libxdp loads its one program instead of a dispatcher: all we need */
	if (strstr(line, "bpffs") || strstr(line, "dispatcher"))
		return 0;
	return fprintf(stderr, "xdrv-taprelay: xdp: %s", line);
}
__attribute__((format(printf, 2, 0))) static int libbpf_say(enum libbpf_print_level level,
							    const char *fmt, va_list ap)
{
	return xdp_say(level == LIBBPF_WARN, fmt, ap);
}
__attribute__((format(printf, 2, 0))) static int libxdp_say(enum libxdp_print_level level,
							    const char *fmt, va_list ap)
{
	return xdp_say(level == LIBXDP_WARN, fmt, ap);
}

/* The UMEM and the socket on `ifname`, made in the current namespace. */
static int xsk_make(struct xsk *x, const char *ifname, char **err)
{
	size_t len = (size_t)XSK_FRAMES * XSK_FRAME;
	libbpf_set_print(libbpf_say);
	libxdp_set_print(libxdp_say);
	x->area = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (x->area == MAP_FAILED) {
		x->area = NULL;
		return xdrv_err(err, -errno, "xdp: UMEM of %zu bytes: %s", len, strerror(errno));
	}
	struct xsk_umem_config uc = {.fill_size = XSK_RING,
				     .comp_size = XSK_RING,
				     .frame_size = XSK_FRAME,
				     .frame_headroom = 0,
				     .flags = 0};
	int rc = xsk_umem__create(&x->umem, x->area, len, &x->fq, &x->cq, &uc);
	if (rc < 0) {
		x->umem = NULL;
		return xdrv_err(err, rc,
				"xdp: xsk_umem__create: %s (needs CAP_IPC_LOCK or "
				"RLIMIT_MEMLOCK, a kernel with CONFIG_XDP_SOCKETS)",
				strerror(-rc));
	}
	struct xsk_socket_config sc = {.rx_size = XSK_RING,
				       .tx_size = XSK_RING,
				       .xdp_flags = XDP_FLAGS_SKB_MODE,
				       .bind_flags = XDP_COPY};
	rc = xsk_socket__create(&x->sock, ifname, 0, x->umem, &x->rx, &x->tx, &sc);
	if (rc < 0) {
		x->sock = NULL;
		return xdrv_err(err, rc,
				"xdp: xsk_socket__create on %s: %s (needs CAP_NET_RAW, "
				"CAP_BPF and CAP_NET_ADMIN, a kernel with CONFIG_XDP_SOCKETS and "
				"generic XDP)",
				ifname, strerror(-rc));
	}
	/* the first half receives, the second half sends */
	uint32_t idx, n = XSK_FRAMES / 2;
	if (n > XSK_RING)
		n = XSK_RING;
	if (xsk_ring_prod__reserve(&x->fq, n, &idx) != n)
		return xdrv_err(err, -ENOSPC, "xdp: fill ring on %s: no room", ifname);
	for (uint32_t i = 0; i < n; i++)
		*xsk_ring_prod__fill_addr(&x->fq, idx + i) = (uint64_t)i * XSK_FRAME;
	xsk_ring_prod__submit(&x->fq, n);
	for (uint32_t i = 0; i < XSK_FRAMES / 2; i++)
		x->free_tx[x->nfree++] = (uint64_t)(XSK_FRAMES / 2 + i) * XSK_FRAME;
	return 0;
}

/* The veth pair as for io=ring, then the socket on its peer, inside the side's namespace. */
static int xsk_open(struct side *s, char **err)
{
	s->cfg.offload = false; /* whole frames, as the ring's */
	if (s->cfg.mtu > 3800)
		return xdrv_err(err, -EINVAL,
				"xdp: %s: mtu %u: an AF_XDP frame is one %u-byte chunk here (no "
				"multi-buffer): mtu <= 3800",
				s->cfg.name, (unsigned)s->cfg.mtu, XSK_FRAME);
	char *why = NULL;
	int rc = hvb_ring_open(&s->cfg, &s->ring, &why);
	if (rc < 0) {
		rc = xdrv_err(err, rc, "xdp: the veth pair: %s", why ? why : strerror(-rc));
		free(why);
		return rc;
	}
	s->xsk = calloc(1, sizeof *s->xsk);
	if (!s->xsk)
		return xdrv_err(err, -ENOMEM, "xdp: out of memory");
	int self = -1, ns = -1;
	if (s->cfg.netns[0]) {
		char path[128];
		snprintf(path, sizeof path, "/run/netns/%s", s->cfg.netns);
		self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		ns = open(path, O_RDONLY | O_CLOEXEC);
		if (self < 0 || ns < 0 || setns(ns, CLONE_NEWNET) < 0) {
			rc = xdrv_err(err, -errno, "xdp: network namespace %s: %s", path,
				      strerror(errno));
			goto out;
		}
	}
	rc = xsk_make(s->xsk, hvb_ring_peer(s->ring), err);
	if (self >= 0 && setns(self, CLONE_NEWNET) < 0 && rc == 0)
		rc = xdrv_err(err, -errno, "xdp: back to our namespace: %s", strerror(errno));
out:
	if (self >= 0)
		close(self);
	if (ns >= 0)
		close(ns);
	return rc;
}
#else
static size_t xsk_take(struct xsk *x, uint8_t **frame)
{
	(void)x;
	*frame = NULL;
	return 0;
}
static void xsk_next(struct xsk *x)
{
	(void)x;
}
static bool xsk_put(struct xsk *x, const uint8_t *frame, size_t len)
{
	(void)x, (void)frame, (void)len;
	return false;
}
static void xsk_flush(struct xsk *x)
{
	(void)x;
}
static void xsk_close(struct xsk *x)
{
	(void)x;
}
static int xsk_fd(const struct xsk *x)
{
	(void)x;
	return -1;
}
static int xsk_open(struct side *s, char **err)
{
	return xdrv_err(err, -EOPNOTSUPP,
			"xdp: %s: this xdrv-taprelay was built without libxdp (libxdp-dev, "
			"libbpf-dev; scripts/install-deps)",
			s->cfg.name);
}
#endif

/* ---- the relay --------------------------------------------------------------------------- */

/* One frame from `in`: its length (the vnet header in *h, zero for a ring) and *frame, or 0. */
static size_t take(struct side *in, uint8_t *buf, struct hvb_tap_vnet *h, uint8_t **frame)
{
	memset(h, 0, sizeof *h);
	if (in->xsk)
		return xsk_take(in->xsk, frame);
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
	if (out->xsk)
		return xsk_put(out->xsk, frame, len);
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
		/* a super-frame (io=vnet) goes on with its header: the other side is io=vnet too */
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
		if (in->xsk)
			xsk_next(in->xsk);
		else if (in->ring)
			hvb_ring_next(in->ring);
	}
	if (out->xsk)
		xsk_flush(out->xsk);
	else
		hvb_ring_flush(out->ring);
	return moved;
}

static int side_fd(const struct side *s)
{
	return s->xsk ? xsk_fd(s->xsk) : s->ring ? hvb_ring_fd(s->ring) : s->fd;
}

/* io= of a spec, taken out of it when it names a kind of this tool only (vnet, xdp): the rest
 * goes to hvb_tap_parse. -EINVAL with *err for a kind nobody knows. */
static int io_of(const char *spec, char *rest, size_t cap, enum io_kind *io, char **err)
{
	*io = IO_AUTO;
	snprintf(rest, cap, "%s", spec);
	if (strlen(spec) >= cap)
		return xdrv_err(err, -EINVAL, "tap %.40s...: too long", spec);
	if (!strchr(rest, '='))
		return 0; /* IFNAME[@NETNS] */
	char *p = rest;
	while (p && *p) {
		char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		if (n > 3 && !strncmp(p, "io=", 3)) {
			size_t k = 0;
			while (k < sizeof io_names / sizeof io_names[0] &&
			       (strlen(io_names[k]) != n - 3 ||
				strncmp(p + 3, io_names[k], n - 3) != 0))
				k++;
			if (k == sizeof io_names / sizeof io_names[0])
				return xdrv_err(
					err, -EINVAL,
					"tap %s: io wants auto, tap, ring, vnet or xdp, not "
					"\"%.*s\"",
					spec, (int)(n - 3), p + 3);
			*io = (enum io_kind)k;
			if (*io == IO_VNET || *io == IO_XDP) { /* ours: cut it out */
				if (!comma) {
					p[p > rest ? -1 : 0] = '\0';
					break;
				}
				memmove(p, comma + 1, strlen(comma + 1) + 1);
				continue;
			}
		}
		p = comma ? comma + 1 : NULL;
	}
	return 0;
}

/* As the "tap" wire: a ring unless offload or io=tap; io=auto falls back to a TAP, saying why.
 * io=vnet: a TAP with segmentation offloads; io=xdp: an AF_XDP socket on a veth. */
static int open_side(struct side *s, char **err)
{
	if (s->io == IO_XDP)
		return xsk_open(s, err);
	if (s->io == IO_VNET)
		s->cfg.offload = true;
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
	if (s->io == IO_VNET &&
	    ioctl(fd, TUNSETOFFLOAD, (unsigned long)(TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6)) < 0)
		return xdrv_err(err, -errno, "vnet: %s: TUNSETOFFLOAD TSO4|TSO6: %s", s->cfg.name,
				strerror(errno));
	return 0;
}

static void close_side(struct side *s)
{
	xsk_close(s->xsk);
	s->xsk = NULL;
	hvb_ring_close(s->ring);
	s->ring = NULL;
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

static const char *side_what(const struct side *s)
{
	if (s->xsk)
		return "veth, AF_XDP socket (generic mode, copy)";
	if (s->ring)
		return "veth, PACKET_MMAP rings";
	if (s->io == IO_VNET)
		return "TAP, virtio_net_hdr, checksum and TSO offload (super-frames)";
	return s->cfg.offload ? "TAP, virtio_net_hdr, checksum offload" : "TAP, plain frames";
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
		char spec[256];
		rc = io_of(argv[optind + i], spec, sizeof spec, &s[i].io, &err);
		if (rc == 0)
			rc = hvb_tap_parse(spec, "tap", true, true, &s[i].cfg, &err);
		if (rc == 0 && s[i].io == IO_AUTO)
			s[i].io = s[i].cfg.io == HVB_TAP_IO_TAP	   ? IO_TAP
				  : s[i].cfg.io == HVB_TAP_IO_RING ? IO_RING
								   : IO_AUTO;
		if (rc == 0 && i == 1 && (s[0].io == IO_VNET) != (s[1].io == IO_VNET))
			rc = xdrv_err(&err, -EINVAL,
				      "vnet: io=vnet passes the virtio_net_hdr through: both "
				      "sides want it (%s is io=%s)",
				      s[s[0].io == IO_VNET].cfg.name,
				      io_names[s[s[0].io == IO_VNET].io]);
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
		       s[i].cfg.netns[0] ? " in " : "", s[i].cfg.netns, side_what(&s[i]));
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
#ifdef XDRV_HAVE_LIBXDP
		if (s[i].xsk)
			printf("relay: %s xdp: %" PRIu64 " bad descriptors skipped\n",
			       s[i].cfg.name, s[i].xsk->bad);
#endif
		if (s[i].ring && !s[i].xsk) {
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
