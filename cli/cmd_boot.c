// SPDX-License-Identifier: MIT
/*
 * `xdrv boot --config FILE`: the measured boot of the drivers a boot configuration names
 * (loader/boot_seq.c does the work; docs/BOOT.md describes the configuration, the events and
 * the PCRs). Argument handling and output only; with --json the boot's progress lines go to
 * stderr and stdout holds one JSON object.
 */
#include "cmd_json.h"
#include "commands.h"
#include "run/ctl.h"

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <unistd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xdrv/boot.h>
#include <xdrv/loader.h>
#include <xdrv/repo_client.h>
#include <xdrv/util.h>

/* drivers[].package by name (boot_set_package_resolver): the store's installed package file */
static int resolve_package(void *ctx, const char *store, const char *value, const char *dir,
			   char **path, char **err)
{
	struct repo_installed rec;
	char n[160], v[80];
	*path = NULL;
	if (!repo_cli_names_installed(value, dir))
		return 0; /* a package file */
	int rc = repo_cli_resolve_installed(store, value, &rec, err);
	if (rc == 0 && !(*path = strdup(rec.path)))
		rc = xdrv_err(err, -ENOMEM, "out of memory");
	if (rc == 0)
		printf("boot: %s: %s %s installed (%s)\n", value,
		       xdrv_escape_text(rec.name, n, sizeof n),
		       xdrv_escape_text(rec.version, v, sizeof v), rec.path);
	return rc;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: xdrv boot --config FILE [--tpm TCTI|none] [--reinit-floors] [--json]\n"
		"                 [--tier full|fast|auto] [--serve [--control PATH]]\n"
		"\n"
		"Measured boot: measure the loader, the configuration, the trust anchor, the "
		"policy\n"
		"and the revocation inputs (PCR 11); then for each driver of the configuration, "
		"in\n"
		"order: verify its signature chain, check revocation (root-signed CRL, deny-list "
		"of\n"
		"package digests, security_version against its rollback floor), measure the "
		"package,\n"
		"JIT-compile it, measure the JIT's inputs and output, and probe it on its device\n"
		"(PCR 12). Every event goes to a TCG crypto-agile event log and into the TPM.\n"
		"Each driver is compiled and probed in a process of its own: one that crashes,\n"
		"ends its process or hangs past the policy's probe_timeout_ms is measured as\n"
		"refused, with the cause. A boot that stops closes its log with the reason\n"
		"(xdrv.boot.stopped), SIGINT and SIGTERM included.\n"
		"\n"
		"  --config FILE   boot configuration (JSON, see docs/BOOT.md); a driver's\n"
		"                  \"package\" is a package file, or an installed driver's NAME\n"
		"                  or NAME@VERSION (a driver name, no such file beside the\n"
		"                  configuration), looked up in the configuration's \"store\"\n"
		"                  (default $XDRV_STORE, else /var/lib/xdrv; read only)\n"
		"  --tpm TCTI      override the configuration's TPM, e.g. "
		"swtpm:host=127.0.0.1,port=2321,\n"
		"                  device:/dev/tpmrm0, or none\n"
		"  --reinit-floors accept a rollback-floor store that is missing or older than\n"
		"                  its record (state file), or whose directory lists deleted\n"
		"                  indices (TPM), and start again from what is there; measured\n"
		"                  as an xdrv.floors.reinit event (without it such a store\n"
		"                  stops the boot)\n"
		"  --tier full|fast|auto  over the policy's \"tier\": full (default) optimizes "
		"(the\n"
		"                  policy's opt_level), fast compiles at O0 with fast instruction\n"
		"                  selection (measured as opt=0); auto (with --serve): O0 first,\n"
		"                  then the policy's opt_level (2 if it said fast) compiled by "
		"the\n"
		"                  compiler process and swapped in once the boot serves\n"
		"                  (measured: xdrv.driver.swap what=tier2)\n"
		"  --serve         keep the booted drivers running after the boot, each in its\n"
		"                  process, and change their code while they run: `xdrv param\n"
		"                  set`, `xdrv patch apply|revert` through the control socket,\n"
		"                  and SIGHUP reloads the configuration (changed parameters are\n"
		"                  re-specialized); every swap is compiled by the compiler\n"
		"                  process and measured into PCR 12 (xdrv.driver.swap) before it\n"
		"                  runs. SIGINT or SIGTERM ends the drivers and the boot. Needs\n"
		"                  the policy's eager JIT\n"
		"  --control PATH  the control socket of --serve (default: as `xdrv run\n"
		"                  --control`, $XDRV_RUN_DIR, else $XDG_RUNTIME_DIR, else /tmp,\n"
		"                  /xdrv-run.sock)\n"
		"  --json          progress lines to stderr; on stdout one JSON object:\n"
		"                  {\"ok\": true, \"ms\", \"booted\", \"refused\", \"events\",\n"
		"                  \"tpm_used\"} or {\"ok\": false, \"error\"} (exit 1)\n"
		"\n"
		"Exit: 0 boot complete (refused drivers are listed when policy lets the boot go "
		"on),\n"
		"1 the boot stopped, 2 usage.\n");
}

int cmd_boot(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"tpm", required_argument, NULL, 't'},
		{"json", no_argument, NULL, 'j'},
		{"reinit-floors", no_argument, NULL, 'r'},
		{"tier", required_argument, NULL, 'T'},
		{"serve", no_argument, NULL, 's'},
		{"control", required_argument, NULL, 'K'},
		{NULL, 0, NULL, 0},
	};
	bool json = false;
	unsigned flags = 0;
	if (xdrv_cli_wants_help(argc, argv)) {
		usage(stdout);
		return 0;
	}
	const char *config = NULL, *tpm = NULL;
	char control[108] = "";
	int c;
	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config = optarg;
			break;
		case 't':
			tpm = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'r':
			flags |= BOOT_RUN_REINIT_FLOORS;
			break;
		case 's':
			flags |= BOOT_RUN_SERVE;
			break;
		case 'K':
			if (!*optarg || strlen(optarg) >= sizeof control)
				return xdrv_cli_usage_error("boot",
							    "--control: a path of 1 to 107 "
							    "bytes, not",
							    optarg);
			snprintf(control, sizeof control, "%s", optarg);
			break;
		case 'T': {
			uint32_t tier = 0;
			if (ldr_tier_parse(optarg, &tier) != 0) {
				fprintf(stderr,
					"xdrv boot: --tier wants full, fast or auto (with "
					"--serve), "
					"not %s; try 'xdrv boot --help'\n",
					optarg);
				return 2;
			}
			flags &= ~(BOOT_RUN_TIER_FAST | BOOT_RUN_TIER_FULL | BOOT_RUN_TIER_AUTO);
			flags |= tier == LDR_TIER_FAST	 ? BOOT_RUN_TIER_FAST
				 : tier == LDR_TIER_AUTO ? BOOT_RUN_TIER_AUTO
							 : BOOT_RUN_TIER_FULL;
			break;
		}
		case ':':
			fprintf(stderr, "xdrv boot: missing value for %s; try 'xdrv boot --help'\n",
				argv[optind - 1]);
			return 2;
		default:
			return xdrv_cli_option_error("boot", longopts, argv[optind - 1]);
		}
	}
	if (!config || optind != argc) {
		fprintf(stderr, "xdrv boot: wants --config FILE and no other argument; try 'xdrv "
				"boot --help'\n");
		return 2;
	}
	if (control[0] && !(flags & BOOT_RUN_SERVE))
		return xdrv_cli_usage_error("boot", "--control goes with --serve", NULL);
	if ((flags & BOOT_RUN_TIER_AUTO) && !(flags & BOOT_RUN_SERVE))
		return xdrv_cli_usage_error(
			"boot",
			"--tier auto needs --serve (the optimized tier is swapped "
			"in while the boot serves its drivers)",
			NULL);
	if ((flags & BOOT_RUN_SERVE) && !control[0] &&
	    run_ctl_default_path(control, sizeof control) != 0)
		return xdrv_cli_usage_error("boot", "the default control path is too long", NULL);
	signal(SIGPIPE, SIG_IGN); /* a TPM socket that closes must be an error, not a signal */
	struct boot_result r;
	char *err = NULL;
	uint64_t t0 = xdrv_now_ns();
	/* boot_run writes its progress to stdout; --json keeps stdout for the document */
	int saved = -1;
	fflush(stdout);
	if (json && (saved = dup(1)) >= 0)
		dup2(2, 1);
	boot_set_package_resolver(resolve_package, NULL);
	int rc = boot_run_serve(config, tpm, flags, control[0] ? control : NULL, &r, &err);
	boot_set_package_resolver(NULL, NULL);
	double ms = (double)(xdrv_now_ns() - t0) / 1e6;
	fflush(stdout);
	if (saved >= 0) {
		dup2(saved, 1);
		close(saved);
	}
	char eb[4096]; /* a message may quote a package's strings: shown escaped */
	if (json) {
		json_t *doc = rc ? json_pack("{s:b, s:s}", "ok", 0, "error", err ? err : "failed")
				 : json_pack("{s:b, s:f, s:i, s:i, s:i, s:b}", "ok", 1, "ms", ms,
					     "booted", (int)r.booted, "refused", (int)r.refused,
					     "events", (int)r.events, "tpm_used", r.tpm_used != 0);
		if (rc)
			fprintf(stderr, "xdrv boot: %s\n",
				xdrv_escape_text(err ? err : "failed", eb, sizeof eb));
		free(err);
		int prc = cmd_json_print("boot", doc);
		return rc ? 1 : prc;
	}
	if (rc) {
		fprintf(stderr, "xdrv boot: %s\n",
			xdrv_escape_text(err ? err : "failed", eb, sizeof eb));
		free(err);
		return 1;
	}
	printf("boot: complete in %.1f ms: %u driver(s) booted, %u refused, %u events measured "
	       "%s\n",
	       ms, r.booted, r.refused, r.events,
	       r.tpm_used ? "into PCRs 11 and 12" : "(no TPM: log only)");
	return 0;
}
