// SPDX-License-Identifier: MIT
/*
 * The options of `xdrv param` and `xdrv patch` (swap_args.h).
 */
#include "swap_args.h"

#include "run/ctl.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <xdrv/cli.h>

int cli_swap_args(const char *cmd, int argc, char **argv, void (*usage)(FILE *),
		  struct cli_swap_args *a)
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
	a->path[0] = 0;
	a->wait = true;
	a->timeout_s = 600;
	int c;
	opterr = 0;
	optind = 0; /* glibc: full re-initialisation */
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (strlen(optarg) >= sizeof a->path)
				return xdrv_cli_usage_error(cmd, "--control: path too long",
							    optarg);
			snprintf(a->path, sizeof a->path, "%s", optarg);
			break;
		case 'n':
			a->wait = false;
			break;
		case 't': {
			char *end = NULL;
			unsigned long v = strtoul(optarg, &end, 10);
			if (!*optarg || *end || v == 0 || v > 86400)
				return xdrv_cli_usage_error(
					cmd, "--timeout wants seconds (1..86400), not", optarg);
			a->timeout_s = (unsigned)v;
			break;
		}
		case ':':
			return xdrv_cli_usage_error(cmd, "missing value for", argv[optind - 1]);
		default:
			return xdrv_cli_option_error(cmd, longopts, argv[optind - 1]);
		}
	}
	if (!a->path[0] && run_ctl_default_path(a->path, sizeof a->path) != 0)
		return xdrv_cli_usage_error(cmd, "the default control path is too long", NULL);
	return -1;
}
