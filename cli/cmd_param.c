// SPDX-License-Identifier: MIT
/*
 * `xdrv param list|status|set`: read and re-specialize the declared parameters of a driver
 * running in `xdrv run --control` (cli/run/ctl_param.c serves the requests in process, the
 * loader's ldr_image_param_set compiles the new code and swaps it in between two dispatches; in a
 * driver domain the supervisor serves them, cli/run/ctl_swap.c).
 */
#include "commands.h"
#include "run/ctl.h"
#include "swap_args.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void usage(FILE *f)
{
	fprintf(f,
		"usage: xdrv param list [--control PATH] [DRIVER]\n"
		"       xdrv param status [--control PATH] [DRIVER]\n"
		"       xdrv param set [--control PATH] [--no-wait] [--timeout SECS] DRIVER NAME "
		"VALUE\n"
		"\n"
		"Read or change the declared parameters of the driver of a running\n"
		"`xdrv run --control` (in process or in a driver domain), or of a driver of a\n"
		"served boot (`xdrv boot --serve`, which needs DRIVER when it serves several).\n"
		"set re-specializes: the driver's module is compiled again with the new value\n"
		"folded in as a constant (in the background, while the old code keeps running)\n"
		"and swapped in between two dispatches, with the driver's state kept. Only\n"
		"parameters the driver declares live\n"
		"(XDRV_PARAM_F_LIVE) change while it runs; a value outside the declared range, an\n"
		"unknown name or a fixed parameter is refused and nothing changes.\n"
		"  --control PATH  the run's control socket (default $XDRV_RUN_DIR, else\n"
		"                  $XDG_RUNTIME_DIR, else /tmp, /xdrv-run.sock)\n"
		"  --no-wait       return once the compile has started\n"
		"  --timeout SECS  how long set waits for the swap (default 600)\n"
		"list: NAME VALUE live|fixed MIN..MAX TYPE, one a line;\n"
		"status: the code's generation (0: the load's), the newest swap and its state,\n"
		"its object's SHA-256, compile and swap times.\n");
}

static int do_set(const char *path, char **ops, bool wait, unsigned timeout_s)
{
	unsigned gen0 = 0;
	char line[512], what[300];
	if (run_ctl_swap_status("xdrv param", path, ops[0], &gen0, NULL, 0, NULL) != 0)
		return 1;
	if (snprintf(line, sizeof line, "param set %s %s %s\n", ops[0], ops[1], ops[2]) >=
	    (int)sizeof line)
		return xdrv_cli_usage_error("param", "set: operands too long", NULL);
	char *answer = NULL;
	int rc = run_ctl_request("xdrv param", path, line, &answer);
	if (rc >= 0)
		rc = run_ctl_print("xdrv param", answer);
	int done = rc == 0 && run_ctl_swap_done(answer, gen0); /* a served boot's answer */
	free(answer);
	if (rc != 0 || !wait || done)
		return rc ? 1 : 0;
	snprintf(what, sizeof what, "set %s=%s", ops[1], ops[2]);
	return run_ctl_swap_wait("xdrv param", path, ops[0], gen0, timeout_s, what) ? 1 : 0;
}

int cmd_param(int argc, char **argv)
{
	struct cli_swap_args o;
	int st = cli_swap_args("param", argc, argv, usage, &o);
	if (st >= 0)
		return st;
	if (optind >= argc)
		return xdrv_cli_usage_error("param", "wants list, status or set", NULL);
	const char *sub = argv[optind++];
	int rest = argc - optind;
	if (!strcmp(sub, "list") || !strcmp(sub, "status")) {
		if (rest > 1)
			return xdrv_cli_usage_error("param", "takes at most one DRIVER, not",
						    argv[optind + 1]);
		if (rest && (!argv[optind][0] || strpbrk(argv[optind], " \t\r\n")))
			return xdrv_cli_usage_error("param", "a DRIVER is one word, not",
						    argv[optind]);
		char line[160], *answer = NULL;
		snprintf(line, sizeof line, "param %s%s%.128s\n", sub, rest ? " " : "",
			 rest ? argv[optind] : "");
		int rc = run_ctl_request("xdrv param", o.path, line, &answer);
		if (rc >= 0)
			rc = run_ctl_print("xdrv param", answer);
		free(answer);
		return rc ? 1 : 0;
	}
	if (!strcmp(sub, "set")) {
		if (rest != 3)
			return xdrv_cli_usage_error("param", "set wants DRIVER NAME VALUE", NULL);
		for (int i = 0; i < 3; i++)
			if (!argv[optind + i][0] || strpbrk(argv[optind + i], " \t\r\n"))
				return xdrv_cli_usage_error(
					"param", "set: an operand is empty or has blanks:",
					argv[optind + i]);
		return do_set(o.path, argv + optind, o.wait, o.timeout_s);
	}
	return xdrv_cli_usage_error("param", "wants list, status or set, not", sub);
}
