/* SPDX-License-Identifier: MIT */
/*
 * The options `xdrv param` and `xdrv patch` share: --control PATH (the run's control socket),
 * --no-wait and --timeout SECS (how long to wait for the code swap), and --help.
 */
#ifndef XDRV_CLI_SWAP_ARGS_H
#define XDRV_CLI_SWAP_ARGS_H

#include <stdbool.h>
#include <stdio.h>

struct cli_swap_args {
	char path[108];	    /* --control, else run_ctl_default_path */
	bool wait;	    /* false with --no-wait */
	unsigned timeout_s; /* --timeout, default 600 */
};

/* Parse the options of `xdrv CMD` into *a (without --control, the default control path);
 * --help or -h anywhere prints usage(stdout). Returns -1 when the command goes on with its
 * operands from argv[optind]; else the exit status to return: 0 after the help, 2 after a
 * usage error (said). */
int cli_swap_args(const char *cmd, int argc, char **argv, void (*usage)(FILE *),
		  struct cli_swap_args *a);

#endif
