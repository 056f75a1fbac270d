/* SPDX-License-Identifier: MIT */
/*
 * What every command-line program of xdrv shares (the `xdrv` front end in cli/, the bench
 * programs in bench/, the daemons): spotting a request for help, and the one format of a usage
 * error. The programs' own tables and texts live with them; this file knows none of them.
 */
#ifndef XDRV_COMMON_CLI_H
#define XDRV_COMMON_CLI_H

#include <stdbool.h>

/* True if argv[1..argc) holds -h or --help before a "--". */
bool xdrv_cli_wants_help(int argc, char **argv);

/* Print "xdrv CMD: MSG[ ARG]; try 'xdrv CMD --help'" to stderr and return 2 (the usage-error
 * exit status), so commands write `return xdrv_cli_usage_error("load", "unknown option", arg);`.
 * arg may be NULL. */
int xdrv_cli_usage_error(const char *cmd, const char *msg, const char *arg);

#endif
