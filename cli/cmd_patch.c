// SPDX-License-Identifier: MIT
/*
 * `xdrv patch apply|revert|list`: live patches of the driver of a running `xdrv run
 * --in-process --control` (cli/run/ctl_param.c serves the requests; the loader verifies the
 * patch package, merges it into the running code's bitcode and swaps the new generation in
 * between two dispatches, ldr_image_patch_apply).
 */
#include "commands.h"
#include "run/ctl.h"
#include "swap_args.h"

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
		"running `xdrv run --in-process --control`, or take the newest one back. The "
		"patch\n"
		"must name the running package's payload digest; it is verified with the run's\n"
		"trust root and merged into the running code (each function it replaces must\n"
		"exist with the same type: refused here otherwise, nothing changes); the driver "
		"is\n"
		"compiled again with it in the background and swapped in between two dispatches,\n"
		"its state kept.\n"
		"  --control PATH  the run's control socket (default $XDRV_RUN_DIR, else\n"
		"                  $XDG_RUNTIME_DIR, else /tmp, /xdrv-run.sock)\n"
		"  --no-wait       return once the compile has started\n"
		"  --timeout SECS  how long to wait for the swap (default 600)\n"
		"list: N DRIVER VERSION SHA256 functions=K, oldest first.\n");
}

int cmd_patch(int argc, char **argv)
{
	struct cli_swap_args o;
	int st = cli_swap_args("patch", argc, argv, usage, &o);
	if (st >= 0)
		return st;
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
	    run_ctl_swap_status("xdrv patch", o.path, &gen0, NULL, 0, NULL) != 0)
		return 1;
	char *answer = NULL;
	int rc = run_ctl_request("xdrv patch", o.path, line, &answer);
	if (rc >= 0)
		rc = run_ctl_print("xdrv patch", answer);
	free(answer);
	if (rc != 0 || !o.wait || !strcmp(sub, "list"))
		return rc ? 1 : 0;
	return run_ctl_swap_wait("xdrv patch", o.path, gen0, o.timeout_s, what) ? 1 : 0;
}
