// SPDX-License-Identifier: MIT
/*
 * `xdrv update [--control PATH] NEWPKG`: replace the driver of a running `xdrv run --control`
 * by a newer signed version of itself, without unregistering its network interface
 * (cli/run/update.c serves the request, in process or in a driver domain's driver host after the
 * supervisor checked and compiled it, cli/run/ctl_swap.c; loader/runtime_update.c swaps the
 * drivers). Prints the run's answer; exits 1 on an "error:" answer.
 */
#include "commands.h"
#include "run/ctl.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
	fprintf(f,
		"usage: xdrv update [--control PATH] NEWPKG\n"
		"\n"
		"Replace the driver of a running `xdrv run --control` by a newer signed version\n"
		"of the same driver, without unregistering its network interface:\n"
		"the run checks NEWPKG as a boot would (signature and chain with the run's trust\n"
		"root, revocation with its --ext-crl/--ext-deny-list, the same driver name, a\n"
		"security_version not below the running one's), compiles it while the old driver\n"
		"runs, then between two dispatches quiesces and removes the old driver and probes\n"
		"the new one on the same device. The interface, its address, its extensions and\n"
		"the host's view of it stay; frames in flight may drop, and the answer counts "
		"them.\n"
		"A disk run's disks stay too: requests not completed are re-issued to the new "
		"one.\n"
		"A refused update leaves the old driver running; a new version that fails to "
		"probe\n"
		"is replaced by the old one again, and the answer says so.\n"
		"  --control PATH  the run's control socket (default $XDRV_RUN_DIR, else\n"
		"                  $XDG_RUNTIME_DIR, else /tmp, /xdrv-run.sock)\n"
		"  NEWPKG          the new version's package file\n"
		"In a driver domain (xdrv run without --in-process) the supervisor checks NEWPKG\n"
		"and has its compiler process compile it with the run's parameters; the driver\n"
		"host links it and replaces the driver; a driver host restarted later starts\n"
		"from the new version (not with --lazy).\n");
}

int cmd_update(int argc, char **argv)
{
	if (xdrv_cli_wants_help(argc, argv)) {
		usage(stdout);
		return 0;
	}
	static const struct option longopts[] = {
		{"control", required_argument, NULL, 'c'},
		{NULL, 0, NULL, 0},
	};
	char path[108] = "";
	int c;
	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (strlen(optarg) >= sizeof path)
				return xdrv_cli_usage_error("update", "--control: path too long",
							    optarg);
			snprintf(path, sizeof path, "%s", optarg);
			break;
		case ':':
			return xdrv_cli_usage_error("update", "missing value for",
						    argv[optind - 1]);
		default:
			return xdrv_cli_option_error("update", longopts, argv[optind - 1]);
		}
	}
	if (argc - optind != 1)
		return xdrv_cli_usage_error("update", "wants one package, the new version", NULL);
	if (!path[0] && run_ctl_default_path(path, sizeof path) != 0)
		return xdrv_cli_usage_error("update", "the default control path is too long", NULL);
	/* the run's working directory is not ours: the package by its absolute path */
	char abs[PATH_MAX];
	if (!realpath(argv[optind], abs)) {
		fprintf(stderr, "xdrv update: %s: %s\n", argv[optind], strerror(errno));
		return 1;
	}
	if (strchr(abs, '\n'))
		return xdrv_cli_usage_error("update", "a package path with a newline:", abs);
	char line[PATH_MAX + 16];
	snprintf(line, sizeof line, "update %s\n", abs);
	char *answer = NULL;
	int rc = run_ctl_request_to("xdrv update", path, line, "xdrv run --control", &answer);
	if (rc >= 0)
		rc = run_ctl_print("xdrv update", answer);
	free(answer);
	return rc ? 1 : 0;
}
