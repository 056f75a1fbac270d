// SPDX-License-Identifier: MIT
/*
 * `xdrv boot --config FILE`: the measured boot of the drivers a boot configuration names
 * (loader/boot_seq.c does the work; docs/BOOT.md describes the configuration, the events and
 * the PCRs). Argument handling and output only.
 */
#include "commands.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <xdrv/boot.h>
#include <xdrv/util.h>

static void usage(FILE *f)
{
	fprintf(f,
		"usage: xdrv boot --config FILE [--tpm TCTI|none]\n"
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
		"\n"
		"  --config FILE   boot configuration (JSON, see docs/BOOT.md)\n"
		"  --tpm TCTI      override the configuration's TPM, e.g. "
		"swtpm:host=127.0.0.1,port=2321,\n"
		"                  device:/dev/tpmrm0, or none\n"
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
		{NULL, 0, NULL, 0},
	};
	if (xdrv_cli_wants_help(argc, argv)) {
		usage(stdout);
		return 0;
	}
	const char *config = NULL, *tpm = NULL;
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
	signal(SIGPIPE, SIG_IGN); /* a TPM socket that closes must be an error, not a signal */
	struct boot_result r;
	char *err = NULL;
	uint64_t t0 = xdrv_now_ns();
	int rc = boot_run(config, tpm, &r, &err);
	double ms = (double)(xdrv_now_ns() - t0) / 1e6;
	fflush(stdout);
	if (rc) {
		fprintf(stderr, "xdrv boot: %s\n", err ? err : "failed");
		free(err);
		return 1;
	}
	printf("boot: complete in %.1f ms: %u driver(s) booted, %u refused, %u events measured "
	       "%s\n",
	       ms, r.booted, r.refused, r.events,
	       r.tpm_used ? "into PCRs 11 and 12" : "(no TPM: log only)");
	return 0;
}
