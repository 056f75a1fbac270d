// SPDX-License-Identifier: MIT
/*
 * `xdrv patch apply|revert|list`: live patches of the driver of a running `xdrv run --control`
 * (cli/run/ctl_param.c serves the requests in process, cli/run/ctl_swap.c in a driver domain;
 * the loader verifies the patch package, merges it into the running code's bitcode and swaps the
 * new generation in between two dispatches, ldr_image_patch_apply / struct ldr_gen).
 */
#include "commands.h"
#include "run/ctl.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
	fprintf(f,
		"usage: xdrv patch apply [--control PATH] [--no-wait] [--timeout SECS] PATCH.xdrv\n"
		"       xdrv patch revert [--control PATH] [--no-wait] [--timeout SECS]\n"
		"       xdrv patch list [--control PATH]\n"
		"\n"
		"Apply a signed live patch (`xdrv pack --patch-for BASE.xdrv`) to the driver of a\n"
		"running `xdrv run --control` (in process or in a driver domain), or take the\n"
		"newest one back. The patch must name the running package's payload digest; it\n"
		"is verified with the run's trust root and merged into the running code (each\n"
		"function it replaces must exist with the same type: refused here otherwise,\n"
		"nothing changes); the driver is compiled again with it in the background and\n"
		"swapped in between two dispatches, its state kept.\n"
		"  --control PATH  the run's control socket (default $XDRV_RUN_DIR, else\n"
		"                  $XDG_RUNTIME_DIR, else /tmp, /xdrv-run.sock)\n"
		"  --no-wait       return once the compile has started\n"
		"  --timeout SECS  how long to wait for the swap (default 600)\n"
		"list: N DRIVER VERSION SHA256 functions=K, oldest first.\n");
}

int cmd_patch(int argc, char **argv)
{
	if (xdrv_cli_wants_help(argc, argv)) {
		usage(stdout);
		return 0;
	}
	static const struct option longopts[] = {
		{"control", required_argument, NULL, 'c'},
		{"no-wait", no_argument, NULL, 'n'},
		{"timeout", required_argument, NULL, 't'},
		{NULL, 0, NULL, 0},
	};
	char path[108] = "";
	bool wait = true;
	unsigned timeout_s = 600;
	int c;
	opterr = 0;
	optind = 0; /* glibc: full re-initialisation */
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (strlen(optarg) >= sizeof path)
				return xdrv_cli_usage_error("patch", "--control: path too long",
							    optarg);
			snprintf(path, sizeof path, "%s", optarg);
			break;
		case 'n':
			wait = false;
			break;
		case 't': {
			char *end = NULL;
			unsigned long v = strtoul(optarg, &end, 10);
			if (!*optarg || *end || v == 0 || v > 86400)
				return xdrv_cli_usage_error(
					"patch", "--timeout wants seconds (1..86400), not", optarg);
			timeout_s = (unsigned)v;
			break;
		}
		case ':':
			return xdrv_cli_usage_error("patch", "missing value for", argv[optind - 1]);
		default:
			return xdrv_cli_option_error("patch", longopts, argv[optind - 1]);
		}
	}
	if (!path[0] && run_ctl_default_path(path, sizeof path) != 0)
		return xdrv_cli_usage_error("patch", "the default control path is too long", NULL);
	if (optind >= argc)
		return xdrv_cli_usage_error("patch", "wants apply, revert or list", NULL);
	const char *sub = argv[optind++];
	int rest = argc - optind;
	char line[PATH_MAX + 32], what[PATH_MAX + 32];
	if (!strcmp(sub, "list")) {
		if (rest)
			return xdrv_cli_usage_error("patch", "takes no operand:", argv[optind]);
		snprintf(line, sizeof line, "patch list\n");
	} else if (!strcmp(sub, "revert")) {
		if (rest)
			return xdrv_cli_usage_error("patch", "takes no operand:", argv[optind]);
		snprintf(line, sizeof line, "patch revert\n");
		snprintf(what, sizeof what, "revert");
	} else if (!strcmp(sub, "apply")) {
		if (rest != 1)
			return xdrv_cli_usage_error("patch", "apply wants one PATCH.xdrv", NULL);
		char abs[PATH_MAX];
		if (!realpath(argv[optind], abs)) {
			fprintf(stderr, "xdrv patch: %s: no such file\n", argv[optind]);
			return 1;
		}
		if (strpbrk(abs, "\n\r"))
			return xdrv_cli_usage_error("patch", "a path with a line break:", abs);
		snprintf(line, sizeof line, "patch apply %s\n", abs);
		snprintf(what, sizeof what, "apply %s", argv[optind]);
	} else {
		return xdrv_cli_usage_error("patch", "wants apply, revert or list, not", sub);
	}
	unsigned gen0 = 0;
	if (strcmp(sub, "list") != 0 &&
	    run_ctl_swap_status("xdrv patch", path, &gen0, NULL, 0, NULL) != 0)
		return 1;
	char *answer = NULL;
	int rc = run_ctl_request("xdrv patch", path, line, &answer);
	if (rc >= 0)
		rc = run_ctl_print("xdrv patch", answer);
	free(answer);
	if (rc != 0 || !wait || !strcmp(sub, "list"))
		return rc ? 1 : 0;
	return run_ctl_swap_wait("xdrv patch", path, gen0, timeout_s, what) ? 1 : 0;
}
