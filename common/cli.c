// SPDX-License-Identifier: MIT
/*
 * Shared command-line conventions (xdrv/cli.h): help detection and the usage-error line. Kept
 * apart from the front end so that every program (xdrv, xdrv-bench, the daemons) says the
 * same thing the same way without including cli/: help, usage errors with did-you-mean for
 * options, and whether to use colour.
 */
#include "xdrv/cli.h"

#include "xdrv/util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

bool xdrv_cli_wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			return true;
	}
	return false;
}

void xdrv_cli_usage_print(const char *cmd, const char *msg, const char *arg)
{
	fprintf(stderr, "xdrv %s: %s%s%s; try 'xdrv %s --help'\n", cmd, msg, arg ? " " : "",
		arg ? arg : "", cmd);
}

#define OPTION_NAMES_MAX 64 /* longer option tables get suggestions from the first 64 */

static int option_error(const char *cmd, const struct option *longopts, const char *arg)
{
	if (!arg || strncmp(arg, "--", 2) != 0 || !longopts)
		return xdrv_cli_usage_error(cmd,
					    "unknown option or missing value:", arg ? arg : "?");
	char name[65];
	size_t len = strcspn(arg + 2, "=");
	if (len >= sizeof name)
		return xdrv_cli_usage_error(cmd, "unknown option", arg);
	memcpy(name, arg + 2, len);
	name[len] = 0;
	const char *names[OPTION_NAMES_MAX];
	size_t n = 0;
	for (const struct option *o = longopts; o->name && n < OPTION_NAMES_MAX; o++) {
		if (strcmp(o->name, name) == 0) {
			if (o->has_arg == no_argument && arg[2 + len] == '=')
				return xdrv_cli_usage_error(cmd, "takes no value:", arg);
			return xdrv_cli_usage_error(cmd, "missing value for", arg);
		}
		names[n++] = o->name;
	}
	const char *best = xdrv_suggest(name, names, n);
	if (!best)
		return xdrv_cli_usage_error(cmd, "unknown option", arg);
	fprintf(stderr, "xdrv %s: unknown option %s (did you mean --%s?); try 'xdrv %s --help'\n",
		cmd, arg, best, cmd);
	return 2;
}

void xdrv_cli_option_print(const char *cmd, const struct option *longopts, const char *arg)
{
	(void)option_error(cmd, longopts, arg);
}

bool xdrv_cli_color_enabled(FILE *f)
{
	const char *nc = getenv("NO_COLOR");
	const char *term = getenv("TERM");
	if (nc && *nc)
		return false;
	if (term && strcmp(term, "dumb") == 0)
		return false;
	return f && isatty(fileno(f));
}
