// SPDX-License-Identifier: MIT
/*
 * `xdrv run`: load a driver (a signed package through the JIT, or a natively compiled shared
 * library for comparison), create a device model on a backend, bind the driver to it, run it
 * until it is idle, a time is up or a signal comes, unbind it and summarize: what was compiled,
 * how long loading and the first call took, what the driver still held at unbind. Argument
 * handling and the summary only: the ends that stand at the other side of the driver (console,
 * NIC, disk) and the loop are in cli/run/; the work is in the loader (loader.h), the runtime
 * (runtime.h) and the backends (hvb.h, wire.h, tap.h).
 */
#include "budget_args.h"
#include "cache_args.h"
#include "commands.h"
#include "run/ctl.h"
#include "run/disk.h"
#include "run/run_ext.h"
#include "run/run.h"
#include "run/update.h"
#include "verify_args.h"

#include <dlfcn.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <xdrv/abi.h>
#include <xdrv/domain.h>
#include <xdrv/revocation.h>
#include <xdrv/sandbox.h>
#include <xdrv/hvb.h>
#include <xdrv/hvb_disk.h>
#include <xdrv/hvb_split.h>
#include <xdrv/loader.h>
#include <xdrv/runtime.h>
#include <xdrv/util.h>

#define MAX_PARAMS 64
#define INPUT_MAX  65536
/* Without --for, a run ends when the driver has had nothing to do for a while, or at the cap
 * (a driver that keeps itself busy forever must not hang a script); a NIC run fed by a
 * generator wire gets longer, one with a host TAP runs until a signal. */
#define RUN_CAP_NS     (10ull * 1000000000u)
#define NIC_RUN_CAP_NS (60ull * 1000000000u)

#define RUN_OPT_TIER	 0x1301 /* --tier: no short option */
#define RUN_OPT_EXT_CRL	 0x1302 /* --ext-crl */
#define RUN_OPT_EXT_DENY 0x1303 /* --ext-deny-list */
#define RUN_OPT_FLOORS	 0x1304 /* --floors: xdrv update's rollback floors */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: xdrv run [--trust root.pem | --allow-unsigned] [--store DIR]\n"
		"                [--eager | --lazy] [--cache DIR | --no-cache] [--cache-max MIB]\n"
		"                [--tier full|fast|auto]\n"
		"                [--backend NAME] --device MODEL[:CONFIG]\n"
		"                [--param NAME=VALUE]...\n"
		"                [--input TEXT] [--for MS] [--time-floor WHEN] [--io-timeout MS]\n"
		"                [--host-tap IFNAME[@NETNS]] [--wire KIND[:OPTIONS]] [--echo]\n"
		"                [--ext HOOK:PKG[:policy=pass|drop][:table=NAME=FILE]]...\n"
		"                [--ext-crl FILE] [--ext-deny-list FILE] [--control[=PATH]]\n"
		"                [--floors DIR]\n"
		"                [--in-process] [--heartbeat MS] [--restarts N]\n"
		"                [--cpu-limit SECONDS] [--backends auto|supervisor|host]\n"
		"                (PKG | NAME[@VERSION] | --native LIB.so)\n"
		"\n"
		"Load a driver, bind it to a device model on a hypervisor backend, and run it: "
		"probe,\n"
		"deliver its interrupts and polls until it is idle (or for --for milliseconds), "
		"then\n"
		"remove it. Prints the driver's log, what it transmitted on a UART, and a "
		"summary:\n"
		"functions compiled, load time, time to first call (start of load until probe\n"
		"returned), and what unbind had to release. PKG is a package file; NAME or\n"
		"NAME@VERSION (a driver name, no such file here) is the package of an installed\n"
		"driver, looked up in the store.\n"
		"\n"
		"  --trust FILE        pinned root certificate (PEM); the package must verify;\n"
		"                      default $XDRV_TRUST, else STORE/trust-root.pem; the one\n"
		"                      taken is named on stderr: 'trust: PATH (SOURCE)'\n"
		"  --store DIR         local store of installed drivers, for NAME and its trust\n"
		"                      root (default $XDRV_STORE, else /var/lib/xdrv; read only)\n"
		"  --allow-unsigned    development: accept packages without a signature\n"
		"  --eager | --lazy    compile everything now (default) or each function on first "
		"call\n"
		"  --tier full|fast|auto  full (default): optimize (O2) before running; fast: O0\n"
		"                      with fast instruction selection, and stay there; auto: "
		"start\n"
		"                      at O0, compile O2 in the background and swap it in between\n"
		"                      two dispatches (eager; in a driver domain the\n"
		"                      supervisor's compiler process compiles tier 2 and the\n"
		"                      driver host swaps it in)\n" CLI_CACHE_USAGE CLI_BUDGET_USAGE
		"  --backend NAME[:OPTIONS]  hypervisor backend (default native); xen takes\n"
		"                      transport=xen|loop,socket=PATH,domid=N,toolstack=0|1,\n"
		"                      timeout=MS,spin=US\n"
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
		"Driver domains: the driver runs in a driver host, a sandboxed process of its own\n"
		"(seccomp allow-list, no new files, rlimits, namespaces where allowed) that this\n"
		"process watches and restarts when it crashes or hangs; the bitcode is compiled in "
		"a\n"
		"compiler process of its own (with --lazy, that process stays and compiles each\n"
		"function when the driver host first calls it).\n"
		"  --in-process        run the driver in this process instead (debugging; implied "
		"by\n"
		"                      --native)\n"
		"  --heartbeat MS      CPU time a running driver host may spend without "
		"completing\n"
		"                      a round of its loop before it is killed (default 100)\n"
		"  --restarts N        driver hosts restarted after a crash or a missed deadline\n"
		"                      before giving up (default 3)\n"
		"  --cpu-limit SECONDS  CPU time a driver host may use in all (RLIMIT_CPU); then\n"
		"                      it is killed (SIGXCPU) and restarted (default: no limit,\n"
		"                      a NIC driver may run for days)\n"
		"  --backends WHERE    who serves the wire and the disks: auto (default): a TAP\n"
		"                      wire and file/iSCSI disks this process, through netfront/\n"
		"                      blkfront rings, a generator wire and RAM disks the driver\n"
		"                      host; supervisor: every wire and disk this process; host:\n"
		"                      all in the driver host. The host TAP is opened here and\n"
		"                      handed over (not with host), so it outlives a restart\n"
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
		"                      [,io=auto|ring|tap]  (auto: a veth with PACKET_MMAP rings,\n"
		"                      else a TAP, saying why)\n"
		"                      gen:count=N,size=S  in-process generator and sink; without\n"
		"                      --host-tap the host echoes every frame it receives back\n"
		"                      netfront[:vif=N,...]  a Xen netfront (--backend xen): to\n"
		"                      the backend domain's netback, or to xdrv-backd\n"
		"  --echo              without --host-tap: the host sends every frame it receives\n"
		"                      back, addresses swapped (on by default with a generator)\n"
		"  --ext HOOK:PKG[:policy=pass|drop][:table=NAME=FILE]  attach a packet extension\n"
		"                      (a signed package of kind extension, verified like the\n"
		"                      driver) to the interface's rx hook (each received frame,\n"
		"                      before the host) or tx hook (each frame sent, before the\n"
		"                      driver); repeatable, in chain order. policy: what a frame\n"
		"                      gets when the extension fails and is detached (default\n"
		"                      pass); table=NAME=FILE fills its table NAME, one \"KEY\n"
		"                      [VALUE]\" a line (numbers, 0x-hex or IPv4 addresses). In a\n"
		"                      driver domain the extension runs in the driver host\n"
		"  --ext-crl FILE, --ext-deny-list FILE  refuse an extension (at the start and\n"
		"                      for `xdrv ext attach`), a new version for `xdrv\n"
		"                      update` or a live patch for `xdrv patch apply`, whose\n"
		"                      signer the root's CRL revokes, or whose\n"
		"                      payload digest the deny-list holds (`xdrv revoke`); they\n"
		"                      need a trust root\n"
		"  --control[=PATH]    a control socket for `xdrv ext attach|detach|list|stats`\n"
		"                      and `xdrv param`, `xdrv patch` (the code is then loaded\n"
		"                      swappable, to be re-specialized and patched live)\n"
		"                      while the run lasts (default $XDRV_RUN_DIR, else\n"
		"                      $XDG_RUNTIME_DIR, else /tmp, /xdrv-run.sock; this user or\n"
		"                      root only); in a driver domain the supervisor relays\n"
		"                      detach, list and stats to the driver host, and for\n"
		"                      attach verifies and compiles the package and hands it\n"
		"                      to the running driver host; also for `xdrv update` (a\n"
		"                      newer version of the driver, same interface; in a\n"
		"                      driver domain checked and compiled by the supervisor)\n"
		"  --floors DIR        `xdrv update` also refuses a version below the rollback\n"
		"                      floor that the boot state folder DIR (a boot's\n"
		"                      \"state_dir\", no TPM) holds for the driver\n"
		"  With --host-tap the run lasts until SIGINT/SIGTERM (or --for); with the "
		"generator\n"
		"  until its frames are through. Prints frames each way, the wire's counters and\n"
		"  digest, and the driver's statistics.\n"
		"  e.g. xdrv run --trust root.pem --device dp83820 --host-tap xdrvA@nsA \\\n"
		"         --wire tap:xdrvB@nsB dp83820.xdrv\n"
		"\n");
	run_disk_usage(f);
	fprintf(f, "disk backends (the models' disk=SPEC):\n");
	for (const struct hvb_disk_ops *const *d = hvb_disk_backend_list(); d && *d; d++)
		fprintf(f, "  %-12s %s\n", (*d)->name, (*d)->description ? (*d)->description : "");
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
	if (!s)
		return -1;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || !*s || *end || s[0] == '-' || v > max)
		return -1;
	*out = v;
	return 0;
}

static void log_sink(void *ctx, const char *driver, uint32_t level, const char *msg)
{
	(void)ctx;
	const char *lv = level == XDRV_LOG_ERROR  ? "error: "
			 : level == XDRV_LOG_WARN ? "warning: "
						  : "";
	char d[256], m[4096]; /* the label and message come from the driver: shown escaped */
	printf("[%s] %s%s\n", xdrv_escape_text(driver, d, sizeof d), lv,
	       xdrv_escape_text(msg, m, sizeof m));
	fflush(stdout);
}

struct run_args {
	struct ldr_config cfg;
	const char *backend, *device, *native, *pkg, *input;
	const char *store;	     /* --store */
	struct repo_trust trust;     /* the trust root taken (verify_args.h) */
	char pkg_path[4096];	     /* the package file PKG names (itself, or an installed one) */
	const char *host_tap, *wire; /* NIC: --host-tap, --wire */
	bool echo;		     /* NIC: --echo */
	bool in_process;	     /* --in-process: no driver host */
	bool tier_set;		     /* --tier given */
	uint32_t tier2_opt;	     /* --tier auto in a driver domain: tier 2's level, else 0 */
	const char *backends;	     /* --backends, NULL: not given */
	enum hvb_split_where where;  /* --backends */
	struct hvb_split_plan split; /* what the supervisor serves (xdrv/hvb_split.h) */
	struct hvb_split *server;    /* its backend server, while the run lasts */
	const char *split_socket;    /* the server's socket, for the driver host */
	struct run_host_tap htap;    /* the host TAP the supervisor opened, fd -1 if none */
	int pass[4];		     /* descriptors handed to each driver host: the host TAP, the */
	size_t npass;		     /* lazy compiler's session */
	struct ldr_domain_cfg dom;   /* --heartbeat, --restarts */
	const char *kv[MAX_PARAMS];
	struct ldr_param_value pv[MAX_PARAMS];
	char *pv_store[MAX_PARAMS];
	size_t nparams;
	uint64_t for_ms, io_timeout_ms;
	struct run_disk disk; /* --blk-* and --scsi operations (run_disk.c) */
	struct cli_cache cache;
	struct cli_budget budget;
	struct run_ext_spec ext[RUN_EXT_MAX]; /* --ext, in chain order */
	size_t next;
	struct ldr_ctx *ext_ctx; /* --lazy in a domain: the extensions' (eager) context */
	bool control;		 /* --control */
	char control_path[108];	 /* its socket */
	int ctl_pair[2];	 /* driver domain: the supervisor's relay to the host (ctl.h) */
	const char *ext_crl, *ext_deny; /* --ext-crl, --ext-deny-list */
	const char *floors;		/* --floors: a boot's state folder, for xdrv update */
	struct sig_revocation *ext_rev; /* what they load */
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
		{"echo", no_argument, NULL, 'E'},
		{"store", required_argument, NULL, 'S'},
		{"in-process", no_argument, NULL, 'P'},
		{"heartbeat", required_argument, NULL, 'B'},
		{"restarts", required_argument, NULL, 'R'},
		{"cpu-limit", required_argument, NULL, 'C'},
		{"backends", required_argument, NULL, 'X'},
		{"tier", required_argument, NULL, RUN_OPT_TIER},
		{"ext", required_argument, NULL, 'x'},
		{"control", optional_argument, NULL, 'K'},
		{"ext-crl", required_argument, NULL, RUN_OPT_EXT_CRL},
		{"ext-deny-list", required_argument, NULL, RUN_OPT_EXT_DENY},
		{"floors", required_argument, NULL, RUN_OPT_FLOORS},
		RUN_DISK_LONGOPTS,
		CLI_CACHE_LONGOPTS,
		CLI_BUDGET_LONGOPTS,
		{NULL, 0, NULL, 0},
	};
	int c, modes = 0;
	a->cfg.jit_mode = LDR_JIT_EAGER;
	a->cfg.opt_level = 2;
	a->backend = "native";
	a->dom.max_restarts = LDR_DOMAIN_RESTARTS;
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
		case 'E':
			a->echo = true;
			break;
		case 'S':
			a->store = optarg;
			break;
		case 'P':
			a->in_process = true;
			break;
		case RUN_OPT_TIER:
			if (ldr_tier_parse(optarg, &a->cfg.tier) != 0)
				return xdrv_cli_usage_error(
					"run", "--tier wants full, fast or auto, not", optarg);
			a->tier_set = true;
			break;
		case RUN_OPT_EXT_CRL:
			a->ext_crl = optarg;
			break;
		case RUN_OPT_EXT_DENY:
			a->ext_deny = optarg;
			break;
		case RUN_OPT_FLOORS:
			a->floors = optarg;
			break;
		case 'K':
			a->control = true;
			if (optarg && strlen(optarg) >= sizeof a->control_path)
				return xdrv_cli_usage_error("run", "--control: path too long",
							    optarg);
			if (optarg)
				snprintf(a->control_path, sizeof a->control_path, "%s", optarg);
			else if (run_ctl_default_path(a->control_path, sizeof a->control_path))
				return xdrv_cli_usage_error(
					"run", "--control: the default path is too long", NULL);
			break;
		case 'x': {
			if (a->next == RUN_EXT_MAX)
				return xdrv_cli_usage_error("run", "too many --ext options", NULL);
			char *err = NULL;
			int erc = run_ext_parse(optarg, &a->ext[a->next], &err);
			a->next++; /* its table files are freed with the others */
			if (erc) {
				fprintf(stderr, "xdrv run: %s; try 'xdrv run --help'\n",
					err ? err : "bad --ext");
				free(err);
				return 2;
			}
			break;
		}
		case 'X':
			if (hvb_split_where_parse(optarg, &a->where) != 0)
				return xdrv_cli_usage_error(
					"run", "--backends wants auto, supervisor or host, not",
					optarg);
			a->backends = optarg;
			break;
		case 'B': {
			uint64_t v = 0;
			if (parse_ms(optarg, 600000, &v) != 0 || !v)
				return xdrv_cli_usage_error(
					"run", "--heartbeat wants milliseconds (1..600000), not",
					optarg);
			a->dom.heartbeat_ms = (uint32_t)v;
			break;
		}
		case 'C': {
			uint64_t v = 0;
			if (parse_ms(optarg, 31ull * 24 * 3600, &v) != 0 || !v)
				return xdrv_cli_usage_error(
					"run", "--cpu-limit wants seconds (1..2678400), not",
					optarg);
			a->dom.cpu_secs = v;
			break;
		}
		case 'R': {
			uint64_t v = 0;
			if (parse_ms(optarg, 100, &v) != 0)
				return xdrv_cli_usage_error("run", "--restarts wants 0..100, not",
							    optarg);
			a->dom.max_restarts = (uint32_t)v;
			break;
		}
		case 'p': {
			if (a->nparams == MAX_PARAMS)
				return xdrv_cli_usage_error("run", "too many --param options",
							    NULL);
			char *name = NULL;
			const char *value = NULL;
			int prc = run_param_split(optarg, &name, &value);
			if (prc == -ENOMEM)
				return xdrv_cli_usage_error("run", "out of memory", NULL);
			if (prc)
				return xdrv_cli_usage_error("run", "--param wants NAME=VALUE, not",
							    optarg);
			a->kv[a->nparams] = optarg;
			a->pv_store[a->nparams] = name;
			a->pv[a->nparams].name = name;
			/* name is in pv_store, freed by cleanup(); the analyzer loses it at the
			 * symbolic index */
			/* NOLINTNEXTLINE(clang-analyzer-unix.Malloc) */
			a->pv[a->nparams].value = value;
			a->nparams++;
			break;
		}
		case 'F':
			if (parse_ms(optarg, 24ull * 3600 * 1000, &a->for_ms) != 0 || !a->for_ms)
				return xdrv_cli_usage_error(
					"run", "--for wants milliseconds (1..86400000), not",
					optarg);
			break;
		case 'T':
			if (parse_ms(optarg, 3600 * 1000, &a->io_timeout_ms) != 0 ||
			    !a->io_timeout_ms)
				return xdrv_cli_usage_error(
					"run", "--io-timeout wants milliseconds, not", optarg);
			break;
		case 'f':
			if (xdrv_parse_when(optarg, &a->cfg.time_floor) != 0)
				return xdrv_cli_usage_error(
					"run", "--time-floor wants Unix seconds or YYYY-MM-DD, not",
					optarg);
			break;
		case ':':
			return xdrv_cli_usage_error("run", "missing value for", argv[optind - 1]);
		default:
			if (run_disk_is_option(c)) {
				if (parse_disk_option(a, c, optarg))
					return 2;
				break;
			}
			if (cli_cache_is_option(c)) {
				if (cli_cache_option("run", c, optarg, &a->cache))
					return 2;
				break;
			}
			if (cli_budget_is_option(c)) {
				if (cli_budget_option("run", c, optarg, &a->budget))
					return 2;
				break;
			}
			return xdrv_cli_option_error("run", longopts, argv[optind - 1]);
		}
	}
	if (modes > 1)
		return xdrv_cli_usage_error("run", "--eager and --lazy exclude each other", NULL);
	if (a->cache.dir && a->cache.off)
		return xdrv_cli_usage_error("run", "--cache and --no-cache exclude each other",
					    NULL);
	a->cfg.cache_dir = cli_cache_dir(&a->cache);
	a->cfg.cache_max_bytes = a->cache.max_bytes;
	cli_budget_apply(&a->budget, &a->cfg);
	if (!a->device)
		return xdrv_cli_usage_error("run", "--device MODEL is required", NULL);
	if (a->cfg.tier == LDR_TIER_AUTO && a->cfg.jit_mode == LDR_JIT_LAZY)
		return xdrv_cli_usage_error("run", "--tier auto compiles eagerly: not with --lazy",
					    NULL);
	if (a->native && a->tier_set)
		return xdrv_cli_usage_error(
			"run", "--native runs native code: --tier does not apply", NULL);
	if (a->backends && (a->in_process || a->native))
		return xdrv_cli_usage_error("run",
					    "--backends places backends beside a driver host: "
					    "not with --in-process or --native",
					    NULL);
	if (a->next && !a->host_tap && !a->wire)
		return xdrv_cli_usage_error("run",
					    "--ext attaches to a NIC's interface: it needs --wire "
					    "or --host-tap",
					    NULL);
	/* in process, a disk run's control socket takes `xdrv update` */
	if (a->control && !a->host_tap && !a->wire && !(a->in_process && a->disk.count))
		return xdrv_cli_usage_error(
			"run",
			"--control attaches extensions to a NIC's interface: it "
			"needs --wire or --host-tap (or --in-process with disk operations, "
			"for xdrv update)",
			NULL);
	if ((a->next || a->control) && a->native)
		return xdrv_cli_usage_error("run",
					    "--ext loads signed extension packages: not with "
					    "--native",
					    NULL);
	if (a->native) {
		if (argc - optind != 0)
			return xdrv_cli_usage_error("run", "--native takes the place of PKG, not",
						    argv[optind]);
		if (a->cfg.trust_root || modes || a->cache.dir)
			return xdrv_cli_usage_error(
				"run",
				"--native runs an unsigned, natively compiled driver: "
				"--trust, --eager, --lazy and --cache do not apply",
				NULL);
	} else {
		if (argc - optind != 1)
			return xdrv_cli_usage_error(
				"run", "wants exactly one package (or --native LIB.so)", NULL);
		a->pkg = argv[optind];
	}
	return 0;
}

/* After the usage checks: the trust root as every verifying command finds it (--allow-unsigned
 * makes it optional: a signed package is still verified when a root is found), and the package
 * file PKG names. 0, or the exit status after the message. */
static int find_package(struct run_args *a)
{
	if (a->native)
		return 0;
	int rc = cli_trust("run", a->store, a->cfg.trust_root, true, a->cfg.allow_unsigned, false,
			   &a->trust);
	if (rc != 0)
		return rc;
	a->cfg.trust_root = a->trust.source != REPO_TRUST_NONE ? a->trust.path : NULL;
	if (cli_package("run", a->store, a->pkg, false, a->pkg_path, sizeof a->pkg_path))
		return 1;
	a->pkg = a->pkg_path;
	return 0;
}

static double ms(uint64_t ns)
{
	return (double)ns / 1e6;
}

struct run_state {
	struct ldr_ctx *ctx;
	struct ldr_image *img;
	const struct ldr_compiled *compiled; /* a driver host: what the compiler process made */
	void *lib;
	struct hvb_backend *be;
	struct hvb_device *dev;
	struct ldr_driver *drv;
	const struct xdrv_driver *desc;
	uint64_t t_ctx; /* in process: LLVM and the JIT set up */
	uint64_t t0, t_loaded, t_probed, t_end;
	uint32_t compiled_at_probe; /* lazy JIT: functions compiled by the first call */
	struct run_loop_result loop;
	struct run_console *console; /* a model with a serial port, else NULL */
	struct run_nic *nic;	     /* NIC mode, else NULL */
	struct run_ctl *ctl;	     /* --control, else NULL */
	struct run_update upd;	     /* in process with --control: what `xdrv update` replaces */
};

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
	st->t_ctx = xdrv_now_ns();
	if (rc == 0) /* live patches are checked against the run's revocation inputs too */
		ldr_ctx_set_revocation(st->ctx, a->ext_rev);
	if (rc == 0)
		rc = ldr_image_load_file(st->ctx, a->pkg, a->pv, a->nparams, &st->img, err);
	if (rc == 0 && !(st->desc = ldr_image_descriptor(st->img)))
		rc = xdrv_err(err, -EINVAL, "%s: no driver descriptor", a->pkg);
	return rc;
}

static int create_device(struct run_args *a, struct run_state *st, char **err)
{
	int rc = hvb_backend_create_spec(a->backend, &st->be, err);
	return rc ? rc : run_device_create(st->be, a->device, &st->dev, err);
}

/* Dispatch until the run is over, pumping the console or the NIC end. */
static void run(struct run_args *a, struct run_state *st, struct ldr_domain_host *host)
{
	struct run_loop_opts o = {.for_ns = a->for_ms * 1000000u,
				  .until_idle = true,
				  .cap_ns = RUN_CAP_NS,
				  .host = host};
	if (st->console)
		o.ends[o.nends++] = run_console_end(st->console);
	if (st->ctl)
		o.ends[o.nends++] = run_ctl_end(st->ctl);
	if (st->nic) {
		o.ends[o.nends++] = run_nic_end(st->nic);
		o.until_idle = !run_nic_until_signal(st->nic);
		o.cap_ns = o.until_idle ? NIC_RUN_CAP_NS : 0;
	}
	o.drvp = &st->drv; /* `xdrv update` may replace it between two rounds */
	run_loop(st->drv, &o, &st->loop);
	if (st->loop.signal)
		printf("stopping on signal %d\n", st->loop.signal);
	run_console_finish(st->console);
	st->t_end = xdrv_now_ns();
}

/* --tier auto in a driver host: tier 2 is the supervisor's swap (cli/run/ctl_swap.c). */
static void tier_summary_host(const struct run_args *a, const struct ldr_tier_info *ti)
{
	char hex[65];
	xdrv_hex(ti->obj_sha256, sizeof ti->obj_sha256, hex);
	if (ti->what == LDR_SWAP_TIER2 && ti->state == LDR_TIER_LIVE)
		printf("  tier        auto: tier 1 O0, tier 2 O%u live after %.3f ms (compiled by "
		       "the supervisor's compiler process, swap %.3f ms, %u of %u slots; object "
		       "sha256 %s)\n",
		       a->tier2_opt, ms(ti->live_after_ns), ms(ti->swap_ns), ti->swapped,
		       ti->functions, hex);
	else if (ti->what == LDR_SWAP_NONE)
		printf("  tier        auto: tier 1 O0 throughout; tier 2 O%u was not swapped into "
		       "the driver host before the run ended\n",
		       a->tier2_opt);
	else /* a change after tier 2 (or after it failed): the code line says which runs */
		printf("  tier        auto: tier 1 O0, tier 2 O%u asked of the supervisor; "
		       "generation %u runs (below)\n",
		       a->tier2_opt, ti->generation);
}

/* --tier fast|auto: what ran, and for auto when tier 2 went live (or why not). */
static void tier_summary(const struct run_args *a, const struct run_state *st)
{
	struct ldr_tier_info ti;
	ldr_image_tier_info(st->img, &ti);
	if (a->tier2_opt) {
		tier_summary_host(a, &ti);
		return;
	}
	if (a->cfg.tier == LDR_TIER_FAST || ti.state == LDR_TIER_NONE) {
		printf("  tier        %s: O%u throughout%s\n", ldr_tier_name(a->cfg.tier),
		       ldr_ctx_opt_level(st->ctx),
		       a->cfg.tier == LDR_TIER_AUTO ? " (the full tier's object from the cache)"
						    : "");
		return;
	}
	char hex[65];
	xdrv_hex(ti.obj_sha256, sizeof ti.obj_sha256, hex);
	if (ti.state == LDR_TIER_LIVE)
		printf("  tier        auto: tier 1 O0, tier 2 O%u live after %.3f ms (compiled in "
		       "%.3f ms in the background, swap %.3f ms, %u of %u slots; object "
		       "sha256 %s)\n",
		       ti.opt_level, ms(ti.live_after_ns), ms(ti.compile_ns), ms(ti.swap_ns),
		       ti.swapped, ti.functions, hex);
	else if (ti.state == LDR_TIER_FAILED)
		printf("  tier        auto: tier 1 O0 throughout; tier 2 O%u failed: %s\n",
		       ti.opt_level, ti.error);
	else
		printf("  tier        auto: tier 1 O0 throughout; tier 2 O%u was still %s when the "
		       "run ended\n",
		       ti.opt_level,
		       ti.state == LDR_TIER_READY ? "waiting for a dispatch" : "compiling");
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
		if (strcmp(ldr_image_cache_state(st->img), "off") != 0)
			printf("  cache       %s (%.3f ms)\n", ldr_image_cache_state(st->img),
			       ms(t.cache_ns));
		if (st->compiled) {
			struct ldr_timings c;
			uint8_t d[32];
			char hex[65];
			ldr_compiled_timings(st->compiled, &c);
			ldr_compiled_sha256(st->compiled, d);
			xdrv_hex(d, sizeof d, hex);
			printf("  load        %.3f ms (verify %.3f, extract %.3f, compiler process "
			       "%.3f, link in the driver host %.3f)\n",
			       ms(st->t_loaded - st->t0), ms(c.verify_ns), ms(c.extract_ns),
			       ms(c.jit_ns), ms(t.jit_ns));
			if (ldr_compiled_session_fd(st->compiled) >= 0)
				printf("  object      sha256 %s of the globals object (measured by "
				       "the supervisor); each function's object came from the "
				       "compiler process on its first call\n",
				       hex);
			else
				printf("  object      sha256 %s (measured by the supervisor; cache "
				       "%s)\n",
				       hex, ldr_compiled_cache_state(st->compiled));
		} else {
			printf("  load        %.3f ms (verify %.3f, extract %.3f, parse+lint %.3f, "
			       "optimize %.3f, jit %.3f)\n",
			       ms(st->t_loaded - st->t0), ms(t.verify_ns), ms(t.extract_ns),
			       ms(t.parse_ns), ms(t.opt_ns), ms(t.jit_ns));
		}
	} else {
		printf("  native      %s, loaded in %.3f ms\n", a->native,
		       ms(st->t_loaded - st->t0));
	}
	if (st->img && (a->cfg.tier != LDR_TIER_FULL || a->tier2_opt))
		tier_summary(a, st);
	struct ldr_tier_info ti;
	ldr_image_tier_info(st->img, &ti);
	if (st->img && ti.what >= LDR_SWAP_PARAM) { /* `xdrv param set`, `xdrv patch` */
		char hex[65] = "-";
		if (ti.state == LDR_TIER_LIVE)
			xdrv_hex(ti.obj_sha256, sizeof ti.obj_sha256, hex);
		printf("  code        generation %u runs; the last swap, %s, %s (object sha256 "
		       "%s)\n",
		       ti.generation, ti.change,
		       ti.state == LDR_TIER_LIVE     ? "live"
		       : ti.state == LDR_TIER_FAILED ? "failed"
						     : "not swapped in before the end",
		       hex);
	}
	if (st->upd.updates) /* the load and probe figures are of the first version */
		printf("  update      %u live update(s) to the version above, %" PRIu64
		       " frame(s) in flight dropped\n",
		       st->upd.updates, st->upd.frames_dropped);
	printf("  first call  %.3f ms from start of load until probe returned (probe %.3f ms)\n",
	       ms(st->t_probed - st->t0), ms(st->t_probed - st->t_loaded));
	if (st->ctx && st->t_ctx > st->t0) /* in process: what a second driver would not pay */
		printf("  of which    %.3f ms LLVM loaded and the JIT set up (once per process), "
		       "%.3f ms the driver\n",
		       ms(st->t_ctx - st->t0), ms(st->t_probed - st->t_ctx));
	printf("  ran         %.3f ms, %" PRIu64 " events dispatched\n",
	       ms(st->t_end - st->t_probed), st->loop.events);
	run_console_summary(st->console);
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
	run_host_tap_close(&a->htap);
	for (int i = 0; i < 2; i++)
		if (a->ctl_pair[i] >= 0)
			close(a->ctl_pair[i]);
	hvb_split_stop(a->server); /* after the driver host: its frontends close first */
	hvb_split_plan_free(&a->split);
	run_console_destroy(st->console);
	ldr_image_unload(st->img);
	ldr_ctx_destroy(st->ctx);
	hvb_backend_destroy(st->be);
	if (st->lib)
		dlclose(st->lib);
	for (size_t i = 0; i < a->nparams; i++)
		free(a->pv_store[i]);
	run_disk_free(&a->disk);
	run_ext_free(a->ext, a->next);
	ldr_ctx_destroy(a->ext_ctx);
	a->ext_ctx = NULL;
	run_ext_set_revocation(NULL);
	sig_revocation_free(a->ext_rev);
	a->ext_rev = NULL;
	ldr_runtime_set_log(NULL, NULL);
}

/* In process with --control: `xdrv update` replaces the driver (cli/run/update.c). */
static void offer_update(struct run_args *a, struct run_state *st)
{
	if (!st->ctl)
		return;
	st->upd = (struct run_update){.ctx = st->ctx,
				      .img = &st->img,
				      .drv = &st->drv,
				      .desc = &st->desc,
				      .params = a->pv,
				      .nparams = a->nparams,
				      .bind = {.io_timeout_ms = (uint32_t)a->io_timeout_ms},
				      .rev = a->ext_rev,
				      .floors = a->floors};
	run_ctl_set_update(st->ctl, &st->upd);
}

/* The --blk-* and --scsi operations, once the driver is bound; a failure is printed. With a
 * control socket, it is served between two requests (`xdrv update` under the disk's load). */
static int run_disk_ops(struct run_args *a, struct run_state *st)
{
	char *err = NULL;
	struct run_end ce = st->ctl ? run_ctl_end(st->ctl) : (struct run_end){.fd = -1};
	const struct run_disk_live live = {.pump = ce.pump, .ctx = ce.ctx, .drvp = &st->drv};
	int rc = run_disk_exec_live(&a->disk, &live, stdout, &err);
	if (rc) {
		fflush(stdout);
		fprintf(stderr, "xdrv run: %s\n", err ? err : "disk operation failed");
	}
	free(err);
	return rc;
}

/* Everything after loading (st->desc set): the device and what needs files, sockets or
 * namespaces; in a driver host, the sandbox; then bind (probe), the NIC, console and disk ends,
 * the run and the summary. The exit status. */
static int run_loaded(struct run_args *a, struct run_state *st, const uint8_t *input, size_t in_len,
		      struct ldr_domain_host *host)
{
	char *err = NULL;
	struct run_host_tap tap = a->htap; /* the supervisor's, handed over; or opened here */
	int rc = 0;
	if (a->split_socket)
		rc = hvb_split_frontends(a->split_socket, &err);
	if (rc == 0)
		rc = create_device(a, st, &err);
	if (rc == 0 && a->host_tap && tap.fd < 0)
		rc = run_host_tap_open(a->host_tap, &tap, &err);
	if (rc == 0 && (a->host_tap || a->wire))
		rc = run_nic_prepare(&tap, a->wire, a->echo || a->split.wire_source, &st->nic,
				     &err);
	if (rc == 0 && st->nic && a->split.wire_source)
		run_nic_expect(st->nic, a->split.source_frames);
	if (rc == 0)
		rc = run_disk_open(&a->disk, &err);
	if (rc == 0 && host) {
		const char *how = NULL;
		rc = ldr_domain_confine(host, NULL, 0, &how, &err);
		if (rc == 0) {
			printf("domain: driver host %d: %s\n", (int)getpid(), how);
			fflush(stdout); /* a host killed in probe must not lose it */
		}
	}
	if (rc == 0) {
		struct ldr_bind_opts o = {
			.write_params = a->native != NULL,
			.param_kv = a->native ? a->kv : NULL,
			.nparams = a->native ? a->nparams : 0,
			.io_timeout_ms = (uint32_t)a->io_timeout_ms,
		};
		/* device creation is not loading: keep it out of the time to first call */
		uint64_t t_dev = xdrv_now_ns();
		rc = ldr_driver_bind(st->desc, st->dev, &o, &st->drv, &err);
		st->t_probed = xdrv_now_ns();
		st->compiled_at_probe = st->img ? ldr_image_compiled_functions(st->img) : 0;
		st->t0 += t_dev - st->t_loaded;
		st->t_loaded = t_dev;
	}
	if (rc == 0 && st->nic) {
		rc = run_nic_attach(st->nic, st->drv, st->dev,
				    st->desc->name ? st->desc->name : "driver", &err);
		/* the extensions run here, next to the runtime: in the driver host in a domain */
		if (rc == 0 && a->next)
			rc = run_ext_attach(st->ctx, run_nic_netdev(st->nic), a->ext, a->next,
					    &err);
		if (rc == 0 && a->control && !host) {
			rc = run_ctl_open(a->control_path, &st->ctl, &err);
			offer_update(a, st);
		}
		run_ctl_set(st->ctl, st->ctx, run_nic_netdev(st->nic));
		run_ctl_set_image(st->ctl, st->img);
		if (rc != 0)
			ldr_driver_unbind(st->drv);
	}
	/* a driver host: the supervisor relays requests, swaps (tier 2 too) and updates to us */
	if (rc == 0 && host && (a->control || a->tier2_opt)) {
		st->ctl = run_ctl_host(a->ctl_pair[1], host);
		if (!st->ctl) {
			rc = xdrv_err(&err, -ENOMEM, "out of memory");
			ldr_driver_unbind(st->drv);
		}
		run_ctl_set(st->ctl, st->ctx, st->nic ? run_nic_netdev(st->nic) : NULL);
		run_ctl_set_image(st->ctl, st->img); /* what the swap messages swap code in */
		offer_update(a, st);
	}
	/* a disk run in process: its control socket takes `xdrv update`, between two requests of
	 * the disk operations and in the loop after them */
	if (rc == 0 && !st->nic && a->control && !host) {
		rc = run_ctl_open(a->control_path, &st->ctl, &err);
		if (rc == 0) {
			run_ctl_set(st->ctl, st->ctx, NULL);
			offer_update(a, st);
		} else {
			ldr_driver_unbind(st->drv);
		}
	}
	if (rc == 0) {
		st->console = run_console_create(st->dev, input, in_len);
		ldr_domain_ready(host);
	}
	if (rc != 0) {
		fflush(stdout);
		fprintf(stderr, "xdrv run: %s\n", err ? err : "failed");
		free(err);
		run_nic_destroy(st->nic);
		st->nic = NULL;
		return 1;
	}
	int disk_rc = run_disk_ops(a, st);
	run(a, st, host);
	run_ctl_close(st->ctl); /* no request after the run */
	st->ctl = NULL;
	ldr_domain_ending(host); /* unbind and teardown: no heartbeat from here */
	if (st->nic) {
		printf("net:\n");
		/* the driver's statistics: before unbind */
		run_nic_summary(st->nic, (double)(st->t_end - st->t_probed) / 1e9);
		if (a->next || a->control)
			run_ext_summary(run_nic_netdev(st->nic), stdout);
	}
	struct ldr_unbind_report rep;
	ldr_driver_unbind_report(st->drv, &rep);
	run_nic_destroy(st->nic);
	st->nic = NULL;
	run_console_finish(st->console); /* what remove printed */
	summary(a, st, &rep);
	return disk_rc ? 1 : 0;
}

struct host_job {
	struct run_args *a;
	const uint8_t *input;
	size_t in_len;
	struct ldr_ctx *ctx;
	const struct ldr_compiled *compiled;
	const struct run_swap *swap; /* --control: the supervisor's code swaps, else NULL */
	uint64_t t0;		     /* the supervisor's start of load */
};

/* The driver host (a forked child of the supervisor, xdrv/domain.h). */
static int host_body(void *arg, struct ldr_domain_host *h, uint32_t restarts)
{
	struct host_job *j = arg;
	struct run_state st;
	memset(&st, 0, sizeof st);
	char *err = NULL;
	if (restarts)
		printf("domain: driver host restarted (%u)\n", restarts);
	st.t0 = restarts ? xdrv_now_ns() : j->t0;
	st.ctx = j->ctx;
	/* a restarted host links the version `xdrv update` made live, if any */
	struct ldr_compiled *upd = NULL;
	int rc = run_swap_base(j->swap, &upd, &err);
	st.compiled = upd ? upd : j->compiled;
	if (rc == 0)
		rc = ldr_image_load_compiled(j->ctx, st.compiled, &st.img, &err);
	if (rc == 0 && !(st.desc = ldr_image_descriptor(st.img)))
		rc = xdrv_err(&err, -EINVAL, "%s: no driver descriptor", j->a->pkg);
	/* a restarted host runs the generation that was live (xdrv param set, xdrv patch) */
	if (rc == 0)
		rc = run_swap_catch_up(j->swap, st.img, &err);
	st.t_loaded = xdrv_now_ns();
	if (rc != 0) {
		fflush(stdout);
		fprintf(stderr, "xdrv run: %s\n", err ? err : "failed");
		free(err);
		ldr_compiled_free(upd);
		return 1;
	}
	rc = run_loaded(j->a, &st, j->input, j->in_len, h);
	ldr_compiled_free(upd);
	/* the process ends here: what it holds goes with it (unbind released the driver's) */
	return rc;
}

/* Before the first driver host: the backends that touch the outside world are the supervisor's
 * (xdrv/hvb_split.h), on the native backend (with --backend xen the user has chosen the
 * frontends already), and the host TAP is opened here and handed to each driver host. 0, or
 * -errno with *err. */
static int supervisor_backends(struct run_args *a, char **err)
{
	int rc = 0;
	if (hvb_split_backend_applies(a->backend))
		rc = hvb_split_plan(a->where, a->device, a->wire, &a->split, err);
	if (rc == 0 && a->split.ndevs)
		rc = hvb_split_start(&a->split, "xdrv run: backend", false, &a->server, err);
	if (rc == 0 && a->server) {
		printf("supervisor: serves %s to the driver host over split-driver rings (backend "
		       "server %d)\n",
		       a->split.served, hvb_split_pid(a->server));
		fflush(stdout);
		a->split_socket = hvb_split_socket(a->server);
		if (a->split.device)
			a->device = a->split.device;
		if (a->split.wire[0])
			a->wire = a->split.wire;
	}
	if (rc == 0 && a->host_tap && a->where != HVB_SPLIT_HOST) {
		rc = run_host_tap_open(a->host_tap, &a->htap, err);
		if (rc == 0)
			a->pass[a->npass++] = a->htap.fd;
	}
	a->dom.pass_fds = a->pass;
	a->dom.npass = a->npass;
	return rc;
}

/* The supervisor: never parses bitcode, never runs driver code. */
static int run_isolated(struct run_args *a, const uint8_t *input, size_t in_len)
{
	struct host_job j = {.a = a, .input = input, .in_len = in_len, .t0 = xdrv_now_ns()};
	struct ldr_ctx *ctx = NULL;
	struct ldr_compiled *compiled = NULL;
	struct run_swap *swap = NULL;
	char *cerr = NULL;
	char label[128];
	const char *base = strrchr(a->pkg, '/');
	snprintf(label, sizeof label, "%s", base ? base + 1 : a->pkg);
	/* with a control socket the code stays swappable (xdrv param set, xdrv patch): the
	 * package is read once, and what a change compiles later is these bytes */
	if (a->control && a->cfg.jit_mode == LDR_JIT_EAGER)
		a->cfg.swappable = 1;
	/* --tier auto: generation 0 at O0, swappable; the relay has tier 2 compiled at the
	 * optimized level and swapped in, as a served boot does (loader/boot_seq.c) */
	if (a->cfg.tier == LDR_TIER_AUTO) {
		a->tier2_opt = a->cfg.opt_level ? a->cfg.opt_level : 2;
		a->cfg.tier = LDR_TIER_FAST;
		a->cfg.opt_level = 0;
		a->cfg.swappable = 1;
	}
	uint8_t *pkg = NULL;
	size_t pkg_len = 0;
	int crc = ldr_ctx_create(&a->cfg, &ctx, &cerr);
	if (crc == 0 && (crc = run_ext_read(a->pkg, &pkg, &pkg_len, &cerr)) != 0)
		xdrv_err_prefix(&cerr, "package %s", label);
	if (crc == 0)
		crc = ldr_package_compile_mem(ctx, pkg, pkg_len, label, a->pv, a->nparams,
					      &compiled, &cerr);
	if (crc == 0 && a->cfg.swappable)
		crc = run_swap_new(&a->cfg, pkg, pkg_len, label, a->pv, a->nparams, compiled,
				   a->ext_rev, &swap, &cerr);
	run_swap_set_run(swap, a->tier2_opt, a->floors);
	if (crc == 0 && a->tier2_opt) {
		printf("domain: --tier auto: %s compiled at O%u (swappable, generation 0) by the "
		       "compiler process; tier 2 (O%u) follows, swapped into the driver host\n",
		       label, a->cfg.opt_level, a->tier2_opt);
		fflush(stdout);
	}
	free(pkg);
	/* the extensions too: verified and compiled here and in the compiler process, linked
	 * and run in the driver host */
	if (crc == 0 && a->next && a->cfg.jit_mode == LDR_JIT_LAZY) {
		struct ldr_config ec = a->cfg; /* extensions are compiled eagerly, never lazily */
		ec.jit_mode = LDR_JIT_EAGER;
		crc = ldr_ctx_create(&ec, &a->ext_ctx, &cerr);
	}
	if (crc == 0)
		crc = run_ext_compile(a->ext_ctx ? a->ext_ctx : ctx, a->ext, a->next, &cerr);
	if (crc != 0) {
		fprintf(stderr, "xdrv run: %s\n", cerr ? cerr : "the package was not compiled");
		free(cerr);
		run_swap_free(swap);
		ldr_compiled_free(compiled);
		run_ext_free(a->ext, a->next);
		ldr_ctx_destroy(ctx);
		return 1;
	}
	j.ctx = ctx;
	j.compiled = compiled;
	j.swap = swap;
	/* lazy: the driver host asks the compiler process for each function */
	if (ldr_compiled_session_fd(compiled) >= 0)
		a->pass[a->npass++] = ldr_compiled_session_fd(compiled);
	char *err = NULL;
	int rc = supervisor_backends(a, &err);
	if (rc != 0) {
		fprintf(stderr, "xdrv run: %s\n", err ? err : "backends failed");
		free(err);
		run_swap_free(swap);
		ldr_compiled_free(compiled);
		run_ext_free(a->ext, a->next);
		ldr_ctx_destroy(ctx);
		return 1;
	}
	/* --control: the socket is the supervisor's (a driver host may not accept connections);
	 * a thread relays list, stats and detach to the driver host over a socket pair */
	struct run_ctl *ctl = NULL;
	if (rc == 0 && (a->control || a->tier2_opt)) { /* without --control: tier 2's relay */
		rc = run_ctl_open(a->control ? a->control_path : NULL, &ctl, &err);
		if (rc == 0 &&
		    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, a->ctl_pair) != 0)
			rc = xdrv_err(&err, -errno, "--control: socketpair: %s", strerror(errno));
		run_ctl_set_compile(ctl, &a->cfg); /* live attach: compiled as --ext is */
		run_ctl_set_swap(ctl, swap);	   /* param and patch: served by the relay */
		if (rc == 0)
			rc = run_ctl_relay_start(ctl, a->ctl_pair[0], &err);
		if (rc == 0) {
			a->pass[a->npass++] = a->ctl_pair[1];
			a->dom.npass = a->npass;
		}
	}
	if (rc != 0) {
		fprintf(stderr, "xdrv run: %s\n", err ? err : "--control failed");
		free(err);
		run_ctl_close(ctl);
		run_swap_free(swap);
		ldr_compiled_free(compiled);
		run_ext_free(a->ext, a->next);
		ldr_ctx_destroy(ctx);
		return 1;
	}
	a->dom.label = label;
	a->dom.who = "xdrv run";
	/* a TAP in a named namespace is opened from the host's own namespaces, setting the host
	 * TAP's MAC address needs the namespace's privileges, and a netfront the user chose may be
	 * on the xen transport; a generator wire and the supervisor's rings need nothing */
	bool gen = a->wire && (!strcmp(a->wire, "gen") || !strncmp(a->wire, "gen:", 4));
	a->dom.no_namespaces = a->host_tap != NULL || (a->wire && !a->split.wire[0] && !gen);
	struct ldr_domain_result res;
	rc = ldr_domain_run(&a->dom, host_body, &j, &res, &err);
	run_ctl_close(ctl);
	run_swap_free(swap);
	ldr_compiled_free(compiled);
	run_ext_free(a->ext, a->next);
	ldr_ctx_destroy(ctx);
	if (rc != 0) {
		fprintf(stderr, "xdrv run: %s\n", err ? err : "no driver host");
		free(err);
		return 1;
	}
	if (res.restarts)
		fprintf(stderr, "xdrv run: %s: %u driver host restart%s%s%s\n", label, res.restarts,
			res.restarts == 1 ? "" : "s", res.gave_up ? "; gave up: " : "",
			res.gave_up ? res.cause : "");
	return res.status;
}

int cmd_run(int argc, char **argv)
{
	if (xdrv_cli_wants_help(argc, argv)) {
		usage(stdout);
		return 0;
	}
	struct run_args a;
	struct run_state st;
	memset(&a, 0, sizeof a);
	memset(&st, 0, sizeof st);
	a.htap.fd = -1;
	a.ctl_pair[0] = a.ctl_pair[1] = -1;
	int rc = parse_args(argc, argv, &a);
	if (rc) {
		for (size_t i = 0; i < a.nparams; i++)
			free(a.pv_store[i]);
		run_disk_free(&a.disk);
		run_ext_free(a.ext, a.next);
		return rc;
	}
	static uint8_t input[INPUT_MAX];
	long in_len = a.input ? run_console_unescape(a.input, input, sizeof input) : 0;
	if (in_len < 0) {
		cleanup(&a, &st);
		return xdrv_cli_usage_error("run", "--input: bad escape or longer than 64 KiB",
					    NULL);
	}
	rc = find_package(&a);
	if (rc) {
		cleanup(&a, &st);
		return rc;
	}
	if (a.ext_crl || a.ext_deny) {
		char *rerr = NULL;
		if (!a.cfg.trust_root) {
			cleanup(&a, &st);
			return xdrv_cli_usage_error(
				"run", "--ext-crl and --ext-deny-list need a trust root", NULL);
		}
		if (sig_revocation_load(a.cfg.trust_root, a.ext_crl, a.ext_deny, &a.ext_rev,
					&rerr) != 0) {
			fprintf(stderr, "xdrv run: %s\n",
				rerr ? rerr : "revocation inputs refused");
			free(rerr);
			cleanup(&a, &st);
			return 1;
		}
		run_ext_set_revocation(a.ext_rev);
	}
	ldr_runtime_set_log(log_sink, NULL);
	if (!a.in_process && !a.native && !xdrv_sandbox_available()) {
		fprintf(stderr, "xdrv run: this build has no sandbox (built without libseccomp): "
				"running in process\n");
		a.in_process = true;
	}
	if (!a.in_process && !a.native) {
		rc = run_isolated(&a, input, (size_t)in_len);
		cleanup(&a, &st);
		return rc;
	}
	/* in process with a control socket, the code stays swappable: `xdrv param set` */
	if (a.control && a.cfg.jit_mode == LDR_JIT_EAGER)
		a.cfg.swappable = 1;
	char *err = NULL;
	st.t0 = xdrv_now_ns();
	rc = load_driver(&a, &st, &err);
	st.t_loaded = xdrv_now_ns();
	if (rc != 0) {
		fflush(stdout);
		fprintf(stderr, "xdrv run: %s\n", err ? err : "failed");
		free(err);
		cleanup(&a, &st);
		return 1;
	}
	rc = run_loaded(&a, &st, input, (size_t)in_len, NULL);
	cleanup(&a, &st);
	return rc;
}
