// SPDX-License-Identifier: MIT
/*
 * `xdrv run`: load a driver (a signed package through the JIT, or a natively compiled shared
 * library for comparison), create a device model on a backend, bind the driver to it, dispatch
 * its interrupts and polls until it is idle or a time is up, unbind it and summarize: what was
 * compiled, how long loading and the first call took, what the driver still held at unbind.
 * For the uart16550 model it also shows what the driver transmitted ("uart> " lines) and feeds
 * --input to the receiver. For a NIC driver it opens the interface the driver registered and
 * connects both ends: the host end (the netdev) to a TAP interface (--host-tap), or, with the
 * generator wire and no TAP, an echo that sends every received frame back; the wire end
 * (--wire) to a wire side of the device model (xdrv/wire.h): the in-process generator/sink or
 * a TAP in another namespace. Argument handling, the frame pump and output only; the work is
 * in the loader (loader.h), the runtime (runtime.h) and the backends (hvb.h, wire.h).
 */
#define _GNU_SOURCE /* ppoll */
#include "../cli/commands.h"
#include "run_disk.h"

#include "host_tap.h"

#include <dlfcn.h>
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
#include <xdrv/abi.h>
#include <xdrv/hvb.h>
#include <xdrv/loader.h>
#include <xdrv/runtime.h>
#include <xdrv/uart16550.h>
#include <xdrv/util.h>
#include <xdrv/wire.h>

#define MAX_PARAMS 64
#define INPUT_MAX  65536
/* Without --for, a run ends when the driver has had nothing to do for this long, or at the
 * cap (a driver that keeps itself busy forever must not hang a script). */
#define IDLE_END_NS (20ull * 1000000u)
#define RUN_CAP_NS  (10ull * 1000000000u)
/* NIC pump: frames read from the host TAP per round; how long an idle round waits (the wire's
 * side has no descriptor to wait on, so the wait is short, then longer once idle for a while) */
#define TAP_BATCH	   64
#define IDLE_WAIT_NS	   50000ll
#define IDLE_WAIT_LONG_NS  1000000ll
#define IDLE_LONG_AFTER_NS (200ull * 1000000u)
#define FRAME_MAX	   65536

static void usage(FILE *f)
{
	fprintf(f,
		"usage: xdrv run (--trust root.pem | --allow-unsigned) [--eager | --lazy]\n"
		"                [--backend NAME] --device MODEL[:CONFIG] [--param NAME=VALUE]...\n"
		"                [--input TEXT] [--for MS] [--time-floor WHEN] [--io-timeout MS]\n"
		"                [--host-tap IFNAME[@NETNS]] [--wire KIND[:OPTIONS]]\n"
		"                (PKG | --native LIB.so)\n"
		"\n"
		"Load a driver, bind it to a device model on a hypervisor backend, and run it: "
		"probe,\n"
		"deliver its interrupts and polls until it is idle (or for --for milliseconds), "
		"then\n"
		"remove it. Prints the driver's log, what it transmitted on a UART, and a "
		"summary:\n"
		"functions compiled, load time, time to first call (start of load until probe\n"
		"returned), and what unbind had to release.\n"
		"\n"
		"  --trust FILE        pinned root certificate (PEM); the package must verify\n"
		"  --allow-unsigned    development: accept packages without a signature\n"
		"  --eager | --lazy    compile everything now (default) or each function on first "
		"call\n"
		"  --backend NAME      hypervisor backend (default native)\n"
		"  --device MODEL[:CONFIG]  device model and its \"key=value,...\" configuration\n"
		"  --param NAME=VALUE  set a declared driver parameter (checked against its "
		"range)\n"
		"  --input TEXT        bytes for the UART receiver; C escapes \\n \\r \\t \\\\ "
		"\\xHH\n"
		"  --for MS            run this long instead of until idle\n"
		"  --time-floor WHEN   lower bound on the time for certificate expiry (Unix "
		"seconds\n"
		"                      or YYYY-MM-DD); default: this build's source date\n"
		"  --io-timeout MS     wait for a block/SCSI request (default 5000)\n"
		"  --native LIB.so     instead of PKG: dlopen a natively compiled driver and use "
		"its\n"
		"                      `xdrv_driver` (no signature, no sandbox: benchmarks only)\n"
		"\n"
		"NIC drivers (a driver that registers a network interface, e.g. dp83820):\n"
		"  --host-tap IFNAME[@NETNS]  the driver's interface on the host: a TAP created "
		"in\n"
		"                      network namespace NETNS (/run/netns/NETNS), given the NIC's "
		"MAC\n"
		"                      and brought up; also name=IF,netns=NS,mtu=N,offload=0|1\n"
		"                      (offload=1, the default: TCP/UDP checksums of the host's\n"
		"                      frames are left to the NIC's checksum offload)\n"
		"  --wire KIND[:OPTIONS]  what the device model's cable is plugged into:\n"
		"                      tap:IFNAME@NETNS or "
		"tap:name=IF,netns=NS[,addr=A/N][,mtu=N]\n"
		"                      gen:count=N,size=S  in-process generator and sink; without\n"
		"                      --host-tap the host echoes every frame it receives back\n"
		"  With --host-tap the run lasts until SIGINT/SIGTERM (or --for); with the "
		"generator\n"
		"  until its frames are through. Prints frames each way, the wire's counters and\n"
		"  digest, and the driver's statistics.\n"
		"  e.g. xdrv run --trust root.pem --device dp83820 --host-tap xdrvA@nsA \\\n"
		"         --wire tap:xdrvB@nsB dp83820.xdrv\n"
		"\n");
	run_disk_usage(f);
	fprintf(f, "backends:\n");
	for (const struct hvb_backend_ops *const *b = hvb_backend_list(); b && *b; b++)
		fprintf(f, "  %-12s %s\n", (*b)->name, (*b)->description ? (*b)->description : "");
	fprintf(f, "device models:\n");
	for (const struct hvb_model_ops *const *m = hvb_model_list(); m && *m; m++)
		fprintf(f, "  %-12s %s\n", (*m)->name, (*m)->description ? (*m)->description : "");
}

static int parse_ms(const char *s, uint64_t max, uint64_t *out)
{
	char *end = NULL;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || !*s || *end || s[0] == '-' || v > max)
		return -1;
	*out = v;
	return 0;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9'   ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
				      : -1;
}

/* Decode C escapes of --input into buf; returns the length, or -1 on a bad escape. */
static long unescape(const char *s, uint8_t *buf, size_t cap)
{
	size_t n = 0;
	while (*s) {
		if (n == cap)
			return -1;
		char c = *s++;
		if (c != '\\') {
			buf[n++] = (uint8_t)c;
			continue;
		}
		c = *s++;
		if (c == 'n')
			buf[n++] = '\n';
		else if (c == 'r')
			buf[n++] = '\r';
		else if (c == 't')
			buf[n++] = '\t';
		else if (c == '\\')
			buf[n++] = '\\';
		else if (c == 'x' && hexval(s[0]) >= 0 && hexval(s[1]) >= 0) {
			buf[n++] = (uint8_t)(hexval(s[0]) << 4 | hexval(s[1]));
			s += 2;
		} else
			return -1;
	}
	return (long)n;
}

static void log_sink(void *ctx, const char *driver, uint32_t level, const char *msg)
{
	(void)ctx;
	const char *lv = level == XDRV_LOG_ERROR  ? "error: "
			 : level == XDRV_LOG_WARN ? "warning: "
						  : "";
	printf("[%s] %s%s\n", driver, lv, msg);
	fflush(stdout);
}

/* Transmitted UART bytes, printed a line at a time. */
struct uart_out {
	char line[256];
	size_t len;
	uint64_t total;
};

static void uart_flush(struct uart_out *u)
{
	if (!u->len)
		return;
	printf("uart> %.*s\n", (int)u->len, u->line);
	fflush(stdout);
	u->len = 0;
}

static int uart_drain(struct hvb_device *dev, struct uart_out *u)
{
	uint8_t buf[512];
	size_t n, got = 0;
	while ((n = hvb_uart_take_output(dev, buf, sizeof buf)) > 0) {
		got += n;
		for (size_t i = 0; i < n; i++) {
			uint8_t c = buf[i];
			if (c == '\n') {
				if (u->len)
					uart_flush(u);
				else
					printf("uart>\n");
				continue;
			}
			if (c == '\r')
				continue;
			if (u->len == sizeof u->line)
				uart_flush(u);
			u->line[u->len++] = (char)(c >= 0x20 && c < 0x7f ? c : '.');
		}
	}
	u->total += got;
	return got > 0;
}

struct run_args {
	struct ldr_config cfg;
	const char *backend, *device, *native, *pkg, *input;
	const char *host_tap, *wire; /* NIC: --host-tap, --wire */
	const char *kv[MAX_PARAMS];
	struct ldr_param_value pv[MAX_PARAMS];
	char *pv_store[MAX_PARAMS];
	size_t nparams;
	uint64_t for_ms, io_timeout_ms;
	struct run_disk disk; /* --blk-* and --scsi operations (run_disk.c) */
};

static int parse_disk_option(struct run_args *a, int c, const char *arg)
{
	char *err = NULL;
	int rc = run_disk_parse(&a->disk, c, arg, &err);
	if (rc)
		fprintf(stderr, "xdrv run: %s; try 'xdrv run --help'\n", err ? err : "bad option");
	free(err);
	return rc;
}

static int parse_args(int argc, char **argv, struct run_args *a)
{
	static const struct option longopts[] = {
		{"trust", required_argument, NULL, 't'},
		{"allow-unsigned", no_argument, NULL, 'u'},
		{"eager", no_argument, NULL, 'e'},
		{"lazy", no_argument, NULL, 'l'},
		{"backend", required_argument, NULL, 'b'},
		{"device", required_argument, NULL, 'd'},
		{"param", required_argument, NULL, 'p'},
		{"input", required_argument, NULL, 'i'},
		{"for", required_argument, NULL, 'F'},
		{"time-floor", required_argument, NULL, 'f'},
		{"io-timeout", required_argument, NULL, 'T'},
		{"native", required_argument, NULL, 'n'},
		{"host-tap", required_argument, NULL, 'H'},
		{"wire", required_argument, NULL, 'W'},
		RUN_DISK_LONGOPTS,
		{NULL, 0, NULL, 0},
	};
	int c, modes = 0;
	a->cfg.jit_mode = LDR_JIT_EAGER;
	a->cfg.opt_level = 2;
	a->backend = "native";
	opterr = 0;
	optind = 0; /* glibc: full re-initialisation */
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (c) {
		case 't':
			a->cfg.trust_root = optarg;
			break;
		case 'u':
			a->cfg.allow_unsigned = 1;
			break;
		case 'e':
			a->cfg.jit_mode = LDR_JIT_EAGER;
			modes++;
			break;
		case 'l':
			a->cfg.jit_mode = LDR_JIT_LAZY;
			modes++;
			break;
		case 'b':
			a->backend = optarg;
			break;
		case 'd':
			a->device = optarg;
			break;
		case 'i':
			a->input = optarg;
			break;
		case 'n':
			a->native = optarg;
			break;
		case 'H':
			a->host_tap = optarg;
			break;
		case 'W':
			a->wire = optarg;
			break;
		case 'p': {
			const char *eq = strchr(optarg, '=');
			if (!eq || eq == optarg)
				return cli_usage_error("run", "--param wants NAME=VALUE, not",
						       optarg);
			if (a->nparams == MAX_PARAMS)
				return cli_usage_error("run", "too many --param options", NULL);
			char *name = strndup(optarg, (size_t)(eq - optarg));
			if (!name)
				return cli_usage_error("run", "out of memory", NULL);
			a->kv[a->nparams] = optarg;
			a->pv_store[a->nparams] = name;
			a->pv[a->nparams].name = name;
			a->pv[a->nparams].value = eq + 1;
			a->nparams++;
			break;
		}
		case 'F':
			if (parse_ms(optarg, 24ull * 3600 * 1000, &a->for_ms) != 0 || !a->for_ms)
				return cli_usage_error(
					"run", "--for wants milliseconds (1..86400000), not",
					optarg);
			break;
		case 'T':
			if (parse_ms(optarg, 3600 * 1000, &a->io_timeout_ms) != 0 ||
			    !a->io_timeout_ms)
				return cli_usage_error(
					"run", "--io-timeout wants milliseconds, not", optarg);
			break;
		case 'f':
			if (xdrv_parse_when(optarg, &a->cfg.time_floor) != 0)
				return cli_usage_error(
					"run", "--time-floor wants Unix seconds or YYYY-MM-DD, not",
					optarg);
			break;
		case ':':
			return cli_usage_error("run", "missing value for", argv[optind - 1]);
		default:
			if (run_disk_is_option(c)) {
				if (parse_disk_option(a, c, optarg))
					return 2;
				break;
			}
			return cli_usage_error("run", "unknown option", argv[optind - 1]);
		}
	}
	if (modes > 1)
		return cli_usage_error("run", "--eager and --lazy exclude each other", NULL);
	if (!a->device)
		return cli_usage_error("run", "--device MODEL is required", NULL);
	if (a->native) {
		if (argc - optind != 0)
			return cli_usage_error("run", "--native takes the place of PKG, not",
					       argv[optind]);
		if (a->cfg.trust_root || modes)
			return cli_usage_error(
				"run",
				"--native runs an unsigned, natively compiled driver: "
				"--trust, --eager and --lazy do not apply",
				NULL);
	} else {
		if (!a->cfg.trust_root && !a->cfg.allow_unsigned)
			return cli_usage_error(
				"run", "give --trust root.pem, or --allow-unsigned for development",
				NULL);
		if (argc - optind != 1)
			return cli_usage_error(
				"run", "wants exactly one package (or --native LIB.so)", NULL);
		a->pkg = argv[optind];
	}
	return 0;
}

static double ms(uint64_t ns)
{
	return (double)ns / 1e6;
}

struct run_state {
	struct ldr_ctx *ctx;
	struct ldr_image *img;
	void *lib;
	struct hvb_backend *be;
	struct hvb_device *dev;
	struct ldr_driver *drv;
	const struct xdrv_driver *desc;
	uint64_t t0, t_loaded, t_probed, t_end, events;
	uint32_t compiled_at_probe; /* lazy JIT: functions compiled by the first call */
	struct uart_out uart;
	uint64_t fed;
	struct nic_run *nic; /* NIC mode, else NULL */
};

/* ---- NIC mode: the host end (TAP or echo) and the wire end --------------------------------- */

struct nic_run {
	struct ldr_netdev *nd;
	struct hvb_wire *wire;
	bool gen;			  /* the wire is the generator */
	int tapfd;			  /* host TAP, or -1 */
	bool vnet;			  /* its frames carry a struct ldr_host_tap_vnet */
	uint64_t rx, rx_bytes, rx_digest; /* frames the driver delivered to the host */
	uint64_t tx, tx_bytes;		  /* frames the host handed to the driver */
	uint64_t tx_refused, tap_write_drops;
	uint64_t csum_offloaded, csum_valid; /* TAP frames with NEEDS_CSUM / marked DATA_VALID */
	uint8_t frame[FRAME_MAX];
};

static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
	stop_signal = sig;
}

/* FNV-1a 64 over the frame's 16-bit length (big-endian) and bytes, as the gen sink digests. */
#define FNV_OFFSET 0xcbf29ce484222325ull
static uint64_t fnv_frame(uint64_t h, const uint8_t *f, size_t len)
{
	uint8_t l[2] = {(uint8_t)(len >> 8), (uint8_t)len};
	for (int i = 0; i < 2; i++)
		h = (h ^ l[i]) * 0x100000001b3ull;
	for (size_t i = 0; i < len; i++)
		h = (h ^ f[i]) * 0x100000001b3ull;
	return h;
}

static void nic_on_rx(void *ctx, const uint8_t *frame, size_t len, uint32_t csum_flags)
{
	struct nic_run *n = ctx;
	n->rx++;
	n->rx_bytes += len;
	n->rx_digest = fnv_frame(n->rx_digest, frame, len);
	if (n->tapfd >= 0) {
		/* the chip checked TCP/UDP: the kernel need not check again */
		struct ldr_host_tap_vnet h = {0};
		if (csum_flags & XDRV_CSUM_L4_GOOD) {
			h.flags = LDR_TAP_DATA_VALID;
			n->csum_valid++;
		}
		struct iovec iov[2] = {{&h, sizeof h}, {(void *)frame, len}};
		size_t hl = n->vnet ? sizeof h : 0;
		if (writev(n->tapfd, iov + !n->vnet, 2 - !n->vnet) != (ssize_t)(hl + len))
			n->tap_write_drops++;
		return;
	}
	if (n->gen && len >= 12 && len <= FRAME_MAX) { /* echo: swap the addresses, send back */
		memcpy(n->frame, frame + 6, 6);
		memcpy(n->frame + 6, frame, 6);
		memcpy(n->frame + 12, frame + 12, len - 12);
		if (ldr_net_xmit(n->nd, n->frame, len, XDRV_CSUM_NONE, 0, 0) == 0) {
			n->tx++;
			n->tx_bytes += len;
		} else {
			n->tx_refused++;
		}
	}
}

/* "tap:IF@NS" is short for "tap:name=IF,netns=NS"; other options go to the wire as given. */
static int wire_create(const char *spec, struct hvb_wire **out, bool *gen, char **err)
{
	char kind[32], opts[512];
	const char *colon = strchr(spec, ':');
	size_t n = colon ? (size_t)(colon - spec) : strlen(spec);
	if (n == 0 || n >= sizeof kind)
		return xdrv_err(err, -EINVAL, "--wire %s: bad kind", spec);
	memcpy(kind, spec, n);
	kind[n] = 0;
	const char *o = colon ? colon + 1 : "";
	if (strlen(o) >= sizeof opts / 2)
		return xdrv_err(err, -EINVAL, "--wire %s: options too long", spec);
	const char *at = strchr(o, '@');
	if (!strcmp(kind, "tap") && *o && !strchr(o, '='))
		snprintf(opts, sizeof opts, at ? "name=%.*s,netns=%s" : "name=%.*s%s",
			 (int)(at ? at - o : (long)strlen(o)), o, at ? at + 1 : "");
	else
		snprintf(opts, sizeof opts, "%s", o);
	*gen = !strcmp(kind, "gen");
	return hvb_wire_create(kind, *opts ? opts : NULL, out, err);
}

static int nic_setup(struct run_args *a, struct run_state *st, char **err)
{
	struct nic_run *n = calloc(1, sizeof *n);
	if (!n)
		return xdrv_err(err, -ENOMEM, "out of memory");
	n->tapfd = -1;
	n->rx_digest = FNV_OFFSET;
	st->nic = n;
	n->nd = ldr_driver_netdev(st->drv, 0);
	if (!n->nd)
		return xdrv_err(err, -ENODEV,
				"%s: the driver registered no network interface, so "
				"--host-tap/--wire have nothing to connect",
				st->desc->name);
	ldr_net_set_rx(n->nd, nic_on_rx, n);
	int rc = ldr_net_open(n->nd, err);
	if (rc == 0 && a->host_tap) {
		struct ldr_host_tap_cfg cfg;
		rc = ldr_host_tap_parse(a->host_tap, &cfg, err);
		if (rc == 0)
			rc = ldr_host_tap_open(&cfg, ldr_net_mac(n->nd), err);
		if (rc >= 0) {
			n->tapfd = rc;
			n->vnet = cfg.offload != 0;
			rc = 0;
			printf("host: TAP %s%s%s stands for the driver's interface\n", cfg.name,
			       cfg.netns[0] ? " in namespace " : "", cfg.netns);
		}
	}
	if (rc == 0 && a->wire)
		rc = wire_create(a->wire, &n->wire, &n->gen, err);
	if (rc == 0 && n->wire)
		rc = hvb_wire_attach(n->wire, st->dev, err);
	if (rc == 0 && n->wire)
		printf("wire: %s attached to %s\n", hvb_wire_name(n->wire),
		       hvb_device_name(st->dev));
	fflush(stdout);
	return rc;
}

/* Frames the kernel sent on the host TAP go to the driver. Returns frames moved. */
static int tap_pump(struct nic_run *n)
{
	int moved = 0;
	while (moved < TAP_BATCH) {
		struct ldr_host_tap_vnet h = {0};
		struct iovec iov[2] = {{&h, sizeof h}, {n->frame, sizeof n->frame}};
		size_t hl = n->vnet ? sizeof h : 0;
		ssize_t got = readv(n->tapfd, iov + !n->vnet, 2 - !n->vnet);
		if (got <= (ssize_t)hl)
			break;
		size_t len = (size_t)got - hl;
		moved++;
		/* a checksum the kernel left to the NIC: the driver asks the chip for it */
		uint32_t cf = XDRV_CSUM_NONE;
		if ((h.flags & LDR_TAP_NEEDS_CSUM) && h.csum_start < len) {
			cf = XDRV_CSUM_PARTIAL;
			n->csum_offloaded++;
		}
		if (ldr_net_xmit(n->nd, n->frame, len, cf, h.csum_start, h.csum_offset) == 0) {
			n->tx++;
			n->tx_bytes += len;
		} else {
			n->tx_refused++;
		}
	}
	return moved;
}

/* Until a signal, --for, or (generator, no --for) the generator's frames are through. */
static void nic_loop(struct run_args *a, struct run_state *st)
{
	struct nic_run *n = st->nic;
	struct sigaction sa = {.sa_handler = on_stop_signal}, old_int, old_term;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	stop_signal = 0;
	uint64_t start = xdrv_now_ns();
	uint64_t end = a->for_ms ? start + a->for_ms * 1000000u : UINT64_MAX;
	bool until_done = !a->for_ms && n->tapfd < 0;
	uint64_t idle_since = 0;
	while (!stop_signal) {
		uint64_t now = xdrv_now_ns();
		if (now >= end || (until_done && now - start >= RUN_CAP_NS * 6))
			break;
		int busy = n->tapfd >= 0 ? tap_pump(n) : 0;
		int ev = ldr_driver_dispatch(st->drv);
		st->events += ev > 0 ? (uint64_t)ev : 0;
		if (busy || ev > 0) {
			idle_since = 0;
			continue;
		}
		if (!idle_since)
			idle_since = now;
		if (until_done && (!n->gen || !hvb_wire_gen_pending(n->wire)) &&
		    now - idle_since >= IDLE_END_NS)
			break;
		long long wait =
			now - idle_since > IDLE_LONG_AFTER_NS ? IDLE_WAIT_LONG_NS : IDLE_WAIT_NS;
		struct timespec ts = {0, wait};
		struct pollfd pfd = {.fd = n->tapfd, .events = POLLIN};
		if (n->tapfd >= 0)
			ppoll(&pfd, 1, &ts, NULL);
		else
			nanosleep(&ts, NULL);
	}
	if (stop_signal)
		printf("stopping on signal %d\n", (int)stop_signal);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	st->t_end = xdrv_now_ns();
}

static void nic_summary(struct run_state *st)
{
	struct nic_run *n = st->nic;
	if (!n || !n->nd)
		return;
	double secs = (double)(st->t_end - st->t_probed) / 1e9;
	printf("  host        received %" PRIu64 " frames (%" PRIu64 " bytes, digest %016" PRIx64
	       "), sent %" PRIu64 " frames (%" PRIu64 " bytes)",
	       n->rx, n->rx_bytes, n->rx_digest, n->tx, n->tx_bytes);
	if (n->tx_refused || n->tap_write_drops)
		printf("; %" PRIu64 " refused by the driver, %" PRIu64 " not written to the TAP",
		       n->tx_refused, n->tap_write_drops);
	printf("\n");
	if (n->vnet)
		printf("  offload     %" PRIu64
		       " sent frames left their TCP/UDP checksum to the NIC, "
		       "%" PRIu64 " received frames passed the NIC's check\n",
		       n->csum_offloaded, n->csum_valid);
	if (secs > 0)
		printf("  rate        %.3f Gbit/s received, %.3f Gbit/s sent\n",
		       (double)n->rx_bytes * 8 / secs / 1e9, (double)n->tx_bytes * 8 / secs / 1e9);
	if (n->wire) {
		struct hvb_wire_stats ws;
		hvb_wire_get_stats(n->wire, &ws);
		printf("  wire        %s: to the NIC %" PRIu64 " frames (%" PRIu64
		       " bytes), from the NIC %" PRIu64 " frames (%" PRIu64 " bytes, %" PRIu64
		       " errors",
		       hvb_wire_name(n->wire), ws.rx_frames, ws.rx_bytes, ws.tx_frames, ws.tx_bytes,
		       ws.tx_errors);
		if (n->gen)
			printf(", %" PRIu64 " bad, digest %016" PRIx64, ws.tx_bad, ws.digest);
		printf(")\n");
	}
	struct xdrv_net_stats ns;
	if (ldr_net_stats(n->nd, &ns) == 0)
		printf("  driver      rx %" PRIu64 " packets %" PRIu64 " bytes, tx %" PRIu64
		       " packets %" PRIu64 " bytes; errors rx %" PRIu64 " tx %" PRIu64
		       ", dropped rx %" PRIu64 " tx %" PRIu64 ", fifo %" PRIu64 "\n",
		       ns.rx_packets, ns.rx_bytes, ns.tx_packets, ns.tx_bytes, ns.rx_errors,
		       ns.tx_errors, ns.rx_dropped, ns.tx_dropped, ns.rx_fifo_errors);
	uint32_t up = 0, speed = 0, duplex = 0;
	ldr_net_link(n->nd, &up, &speed, &duplex);
	printf("  link        %s", up ? "up" : "down");
	if (up)
		printf(", %u Mbit/s %s duplex", speed, duplex ? "full" : "half");
	printf("\n");
}

static void nic_cleanup(struct run_state *st)
{
	struct nic_run *n = st->nic;
	if (!n)
		return;
	hvb_wire_destroy(n->wire);
	if (n->tapfd >= 0)
		close(n->tapfd);
	free(n);
	st->nic = NULL;
}

/* Load the driver: the JIT path or the native path. Sets st->desc. */
static int load_driver(struct run_args *a, struct run_state *st, char **err)
{
	if (a->native) {
		size_t nsyms = 0;
		ldr_abi_bindings(&nsyms); /* links every ABI function in, for the library to bind */
		st->lib = dlopen(a->native, RTLD_NOW | RTLD_LOCAL);
		if (!st->lib)
			return xdrv_err(err, -ENOENT, "%s", dlerror());
		st->desc = dlsym(st->lib, "xdrv_driver");
		if (!st->desc)
			return xdrv_err(err, -ENOENT, "%s: no symbol xdrv_driver", a->native);
		printf("native: %s (%zu ABI symbols available to it)\n", a->native, nsyms);
		return 0;
	}
	int rc = ldr_ctx_create(&a->cfg, &st->ctx, err);
	if (rc == 0)
		rc = ldr_image_load_file(st->ctx, a->pkg, a->pv, a->nparams, &st->img, err);
	if (rc == 0 && !(st->desc = ldr_image_descriptor(st->img)))
		rc = xdrv_err(err, -EINVAL, "%s: no driver descriptor", a->pkg);
	return rc;
}

static int create_device(struct run_args *a, struct run_state *st, char **err)
{
	char model[128];
	const char *colon = strchr(a->device, ':');
	size_t n = colon ? (size_t)(colon - a->device) : strlen(a->device);
	if (n == 0 || n >= sizeof model)
		return xdrv_err(err, -EINVAL, "--device %s: bad model name", a->device);
	memcpy(model, a->device, n);
	model[n] = 0;
	int rc = hvb_backend_create(a->backend, NULL, &st->be, err);
	if (rc == 0)
		rc = hvb_device_create(st->be, model, colon ? colon + 1 : NULL, &st->dev, err);
	return rc;
}

static bool is_uart(const struct run_state *st)
{
	const struct hvb_model_ops *m = hvb_device_model(st->dev);
	return m && strcmp(m->name, "uart16550") == 0;
}

/* Dispatch until idle or the time is up; feed input one byte per idle round, so the receive
 * FIFO (16 bytes) never overruns while the driver keeps reading it. */
static void run_loop(struct run_args *a, struct run_state *st, const uint8_t *in, size_t in_len)
{
	bool uart = is_uart(st);
	uint64_t start = xdrv_now_ns();
	uint64_t end = start + (a->for_ms ? a->for_ms * 1000000u : RUN_CAP_NS);
	uint64_t idle_since = 0;
	for (;;) {
		uint64_t now = xdrv_now_ns();
		if (now >= end)
			break;
		int n = ldr_driver_dispatch(st->drv);
		bool busy = n > 0;
		st->events += n > 0 ? (uint64_t)n : 0;
		if (uart) {
			busy |= uart_drain(st->dev, &st->uart);
			if (!busy && st->fed < in_len) {
				st->fed += hvb_uart_receive(st->dev, in + st->fed, 1) ? 1 : 0;
				if (st->fed < in_len)
					busy = true;
			}
		}
		if (busy) {
			idle_since = 0;
			continue;
		}
		if (!idle_since)
			idle_since = now;
		if (!a->for_ms && now - idle_since >= IDLE_END_NS && st->fed >= in_len)
			break;
		struct timespec ts = {0, 100000}; /* idle: don't spin a core */
		nanosleep(&ts, NULL);
	}
	if (uart)
		uart_drain(st->dev, &st->uart);
	st->t_end = xdrv_now_ns();
}

static void summary(struct run_args *a, struct run_state *st, const struct ldr_unbind_report *r)
{
	const char *name = st->desc->name, *ver = st->desc->version;
	printf("summary:\n");
	printf("  driver      %s %s on %s (%s backend)\n", name ? name : "?", ver ? ver : "?",
	       hvb_device_name(st->dev), hvb_backend_name(st->be));
	if (st->img) {
		struct ldr_timings t;
		ldr_image_timings(st->img, &t);
		printf("  jit         %s, %u of %u functions compiled (%u by the time probe "
		       "returned)\n",
		       a->cfg.jit_mode == LDR_JIT_LAZY ? "lazy" : "eager",
		       ldr_image_compiled_functions(st->img), ldr_image_total_functions(st->img),
		       st->compiled_at_probe);
		printf("  load        %.3f ms (verify %.3f, extract %.3f, parse+lint %.3f, "
		       "optimize "
		       "%.3f, jit %.3f)\n",
		       ms(st->t_loaded - st->t0), ms(t.verify_ns), ms(t.extract_ns), ms(t.parse_ns),
		       ms(t.opt_ns), ms(t.jit_ns));
	} else {
		printf("  native      %s, loaded in %.3f ms\n", a->native,
		       ms(st->t_loaded - st->t0));
	}
	printf("  first call  %.3f ms from start of load until probe returned (probe %.3f ms)\n",
	       ms(st->t_probed - st->t0), ms(st->t_probed - st->t_loaded));
	printf("  ran         %.3f ms, %" PRIu64 " events dispatched\n",
	       ms(st->t_end - st->t_probed), st->events);
	if (is_uart(st))
		printf("  uart        %" PRIu64 " bytes transmitted, %" PRIu64 " bytes received\n",
		       st->uart.total, st->fed);
	printf("  memory      peak %" PRIu64 " bytes of driver memory; unbind released %" PRIu64
	       " bytes in %" PRIu64 " blocks\n",
	       r->mem_peak, r->mem_bytes, r->mem_blocks);
	printf("  dma         unbind released %u coherent buffers and %u mappings (%" PRIu64
	       " bytes)\n",
	       r->coherent, r->dma_maps, r->dma_bytes);
	printf("  peak rss    %" PRIu64 " KiB\n", xdrv_peak_rss_kib());
}

static void cleanup(struct run_args *a, struct run_state *st)
{
	ldr_image_unload(st->img);
	ldr_ctx_destroy(st->ctx);
	hvb_backend_destroy(st->be);
	if (st->lib)
		dlclose(st->lib);
	for (size_t i = 0; i < a->nparams; i++)
		free(a->pv_store[i]);
	run_disk_free(&a->disk);
	ldr_runtime_set_log(NULL, NULL);
}

/* The --blk-* and --scsi operations, once the driver is bound; a failure is printed. */
static int run_disk_ops(struct run_args *a, struct run_state *st)
{
	char *err = NULL;
	int rc = run_disk_exec(&a->disk, st->drv, stdout, &err);
	if (rc) {
		fflush(stdout);
		fprintf(stderr, "xdrv run: %s\n", err ? err : "disk operation failed");
	}
	free(err);
	return rc;
}

int cmd_run(int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		usage(stdout);
		return 0;
	}
	struct run_args a;
	struct run_state st;
	memset(&a, 0, sizeof a);
	memset(&st, 0, sizeof st);
	int rc = parse_args(argc, argv, &a);
	if (rc) {
		for (size_t i = 0; i < a.nparams; i++)
			free(a.pv_store[i]);
		run_disk_free(&a.disk);
		return rc;
	}
	static uint8_t input[INPUT_MAX];
	long in_len = a.input ? unescape(a.input, input, sizeof input) : 0;
	if (in_len < 0) {
		cleanup(&a, &st);
		return cli_usage_error("run", "--input: bad escape or longer than 64 KiB", NULL);
	}
	char *err = NULL;
	ldr_runtime_set_log(log_sink, NULL);
	st.t0 = xdrv_now_ns();
	rc = load_driver(&a, &st, &err);
	st.t_loaded = xdrv_now_ns();
	if (rc == 0)
		rc = create_device(&a, &st, &err);
	if (rc == 0) {
		struct ldr_bind_opts o = {
			.write_params = a.native != NULL,
			.param_kv = a.native ? a.kv : NULL,
			.nparams = a.native ? a.nparams : 0,
			.io_timeout_ms = (uint32_t)a.io_timeout_ms,
		};
		/* device creation is not loading: keep it out of the time to first call */
		uint64_t t_dev = xdrv_now_ns();
		rc = ldr_driver_bind(st.desc, st.dev, &o, &st.drv, &err);
		st.t_probed = xdrv_now_ns();
		st.compiled_at_probe = st.img ? ldr_image_compiled_functions(st.img) : 0;
		st.t0 += t_dev - st.t_loaded;
		st.t_loaded = t_dev;
	}
	if (rc == 0 && (a.host_tap || a.wire)) {
		rc = nic_setup(&a, &st, &err);
		if (rc != 0) {
			ldr_driver_unbind(st.drv);
			nic_cleanup(&st);
		}
	}
	if (rc != 0) {
		fflush(stdout);
		fprintf(stderr, "xdrv run: %s\n", err ? err : "failed");
		free(err);
		cleanup(&a, &st);
		return 1;
	}
	int disk_rc = run_disk_ops(&a, &st);
	if (st.nic)
		nic_loop(&a, &st);
	else
		run_loop(&a, &st, input, (size_t)in_len);
	if (st.nic) {
		printf("net:\n");
		nic_summary(&st); /* the driver's statistics: before unbind */
	}
	struct ldr_unbind_report rep;
	ldr_driver_unbind_report(st.drv, &rep);
	nic_cleanup(&st);
	if (is_uart(&st)) {
		uart_drain(st.dev, &st.uart); /* what remove printed */
		uart_flush(&st.uart);
	}
	summary(&a, &st, &rep);
	cleanup(&a, &st);
	return disk_rc ? 1 : 0;
}
