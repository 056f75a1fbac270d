// SPDX-License-Identifier: MIT
/*
 * `xdrv patch apply|revert|list`: live patches of the driver of a running `xdrv run --control`
 * (cli/run/ctl_param.c serves the requests in process, cli/run/ctl_swap.c in a driver domain;
 * the loader verifies the patch package, merges it into the running code's bitcode and swaps the
 * new generation in between two dispatches, ldr_image_patch_apply / struct ldr_gen).
 */
#include "commands.h"
#include "run/ctl.h"
#include "swap_args.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xdrv/sdk.h>
#include <xdrv/signer.h>
#include <xdrv/util.h>

static void usage(FILE *f)
{
	fprintf(f,
		"usage: xdrv patch apply [--control PATH] [--no-wait] [--timeout SECS] PATCH.xdrv\n"
		"       xdrv patch revert [--control PATH] [--no-wait] [--timeout SECS] [DRIVER]\n"
		"       xdrv patch list [--control PATH] [DRIVER]\n"
		"\n"
		"Apply a signed live patch (`xdrv pack --patch-for BASE.xdrv`) to the driver of a\n"
		"running `xdrv run --control` (in process or in a driver domain), or of a served\n"
		"boot (`xdrv boot --serve`: the driver the patch names; DRIVER for revert and\n"
		"list when it serves several), or take the newest one back. The patch must name\n"
		"the running package's payload digest; it is verified with the run's trust root\n"
		"and merged into the running code (each function it replaces must exist with the\n"
		"same type: refused here otherwise, nothing changes); the driver is compiled "
		"again\n"
		"with it in the background and swapped in between two dispatches, its state kept.\n"
		"  --control PATH  the run's control socket (default $XDRV_RUN_DIR, else\n"
		"                  $XDG_RUNTIME_DIR, else /tmp, /xdrv-run.sock)\n"
		"  --no-wait       return once the compile has started\n"
		"  --timeout SECS  how long to wait for the swap (default 600)\n"
		"list: N DRIVER VERSION SHA256 functions=K, oldest first.\n");
}

/* The driver a patch package's manifest names (its "name"), read without verifying anything:
 * only to ask the right driver's status; the server verifies the patch. 0, or -1. */
static int patch_driver(const char *path, char *name, size_t cap)
{
	uint8_t *buf = NULL;
	size_t len = 0, plen = 0;
	struct sdk_package pkg;
	memset(&pkg, 0, sizeof pkg);
	if (xdrv_read_file(path, 64u << 20, &buf, &len, NULL) != 0)
		return -1;
	if (sig_trailer_parse(buf, len, &plen, NULL, NULL, NULL) != 0)
		plen = len;
	int rc = sdk_package_read(buf, plen, NULL, NULL, &pkg, NULL) == 0 && pkg.manifest.name &&
				 strlen(pkg.manifest.name) < cap
			 ? 0
			 : -1;
	if (rc == 0)
		snprintf(name, cap, "%s", pkg.manifest.name);
	sdk_package_free(&pkg);
	free(buf);
	return rc;
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
	const char *driver = NULL;
	char named[128];
	if (!strcmp(sub, "list") || !strcmp(sub, "revert")) {
		if (rest > 1)
			return xdrv_cli_usage_error("patch", "takes at most one DRIVER, not",
						    argv[optind + 1]);
		if (rest && (!argv[optind][0] || strpbrk(argv[optind], " \t\r\n") ||
			     strlen(argv[optind]) >= sizeof named))
			return xdrv_cli_usage_error("patch", "a DRIVER is one word, not",
						    argv[optind]);
		driver = rest ? argv[optind] : NULL;
		snprintf(line, sizeof line, "patch %s%s%s\n", sub, driver ? " " : "",
			 driver ? driver : "");
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
		/* the driver it is for, from its manifest (the server checks it all again) */
		if (patch_driver(abs, named, sizeof named) == 0)
			driver = named;
	} else {
		return xdrv_cli_usage_error("patch", "wants apply, revert or list, not", sub);
	}
	unsigned gen0 = 0;
	/* apply: the status of the driver the patch names, else of the run's one driver; if
	 * neither answers, the request goes on anyway and the server says why it refuses */
	if (!strcmp(sub, "apply") && driver &&
	    run_ctl_swap_status_quiet(o.path, driver, &gen0) != 0)
		driver = NULL;
	if (!strcmp(sub, "apply") && !driver && run_ctl_swap_status_quiet(o.path, NULL, &gen0) != 0)
		o.wait = false; /* nothing to wait for: the answer says it all */
	else if (!strcmp(sub, "revert") &&
		 run_ctl_swap_status("xdrv patch", o.path, driver, &gen0, NULL, 0, NULL) != 0)
		return 1;
	char *answer = NULL;
	int rc = run_ctl_request("xdrv patch", o.path, line, &answer);
	if (rc >= 0)
		rc = run_ctl_print("xdrv patch", answer);
	int done = rc == 0 && run_ctl_swap_done(answer, gen0); /* a served boot's answer */
	free(answer);
	if (rc != 0 || !o.wait || done || !strcmp(sub, "list"))
		return rc ? 1 : 0;
	return run_ctl_swap_wait("xdrv patch", o.path, driver, gen0, o.timeout_s, what) ? 1 : 0;
}
