/* SPDX-License-Identifier: MIT */
/*
 * What every command-line program of xdrv shares (the `xdrv` front end in cli/, the bench
 * programs in bench/, the daemons): spotting a request for help, and the one format of a usage
 * error. The programs' own tables and texts live with them; this file knows none of them.
 */
#ifndef XDRV_COMMON_CLI_H
#define XDRV_COMMON_CLI_H

#include <stdbool.h>
#include <stdio.h>

struct option; /* <getopt.h> */

/* True if argv[1..argc) holds -h or --help before a "--". */
bool xdrv_cli_wants_help(int argc, char **argv);

/* xdrv_cli_usage_print: print "xdrv CMD: MSG[ ARG]; try 'xdrv CMD --help'" to stderr.
 * xdrv_cli_usage_error: the same, and return 2 (the usage-error
 * exit status), so commands write `return xdrv_cli_usage_error("load", "unknown option", arg);`.
 * arg may be NULL. */
void xdrv_cli_usage_print(const char *cmd, const char *msg, const char *arg);
/* Inline so that its value is visibly 2, to readers and to the static analyzer (which would
 * otherwise follow the caller's "success" path after `return xdrv_cli_usage_error(...)`). */
static inline int xdrv_cli_usage_error(const char *cmd, const char *msg, const char *arg)
{
	xdrv_cli_usage_print(cmd, msg, arg);
	return 2;
}

/* The usage error for an option getopt_long refused (it returned '?' or ':' with opterr = 0):
 * arg is the argument it stopped at (argv[optind - 1]). A long option that is in longopts
 * but lacks its value gets "missing value for --NAME"; one that takes no value but got
 * "=VALUE" gets "--NAME takes no value"; an unknown one gets "unknown option --NAMX (did you
 * mean --NAME?)" when a long option is within two typos (xdrv_suggest, xdrv/util.h). Prints in the
 * format of xdrv_cli_usage_error (xdrv_cli_option_print), and returns 2 (xdrv_cli_option_error).
 * longopts ends with a zero entry; may be NULL. */
void xdrv_cli_option_print(const char *cmd, const struct option *longopts, const char *arg);
/* Inline for the reason xdrv_cli_usage_error is. */
static inline int xdrv_cli_option_error(const char *cmd, const struct option *longopts,
					const char *arg)
{
	xdrv_cli_option_print(cmd, longopts, arg);
	return 2;
}

/* Whether to write ANSI colour and bold to f: only if f is a terminal and the environment has
 * no NO_COLOR (https://no-color.org: set to anything non-empty turns colour off) and TERM is
 * not "dumb". Every program of xdrv asks this before printing an escape sequence. */
bool xdrv_cli_color_enabled(FILE *f);

#endif
